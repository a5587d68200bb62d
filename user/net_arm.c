/* Sockets, epoll, eventfd and timerfd for 32-bit ARM EABI programs.
 * Socket addresses, socket option values other than timeouts, eventfd
 * counters and struct pollfd have the same layout on both sides; what
 * differs is converted here: struct msghdr and its iovecs and control
 * messages (4-byte aligned 32-bit headers on ARM), struct mmsghdr, struct
 * epoll_event (16 bytes on ARM EABI, packed 12 on x86-64), and 32-bit
 * struct timeval and struct itimerspec. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

/* Guest layouts (arm-linux-gnueabihf). */
enum {
    G_MSGHDR = 28,     /* name, namelen, iov, iovlen, control, controllen, flags */
    G_MMSGHDR = 32,    /* struct msghdr, then msg_len */
    G_CMSGHDR = 12,    /* len, level, type; data 4-byte aligned */
    G_IOVEC = 8,
    G_EPOLL_EVENT = 16, /* events, padding, data at 8 */
};
/* The old (32-bit time) socket options and control messages. */
enum { G_SO_RCVTIMEO = 20, G_SO_SNDTIMEO = 21, G_SCM_TIMESTAMP = 29, G_SCM_TIMESTAMPNS = 35 };

static uint32_t galign(uint32_t n) { return (n + 3) & ~3u; }

/* ---- Messages ------------------------------------------------------------------ */

/* A guest struct msghdr as the host's. Its iovecs and control buffer are
 * allocated (free with msg_free); for a message to receive the control
 * buffer is empty and large enough for what fits the guest's. */
typedef struct host_msg {
    struct msghdr h;
    struct iovec *iov;
    uint8_t *ctl;
} host_msg;

static void msg_free(host_msg *m)
{
    free(m->iov);
    free(m->ctl);
}

/* The host size of the guest's control messages, each header 4 bytes
 * longer and 8-byte aligned: at most twice the guest's plus one header. */
static size_t host_ctl_room(uint32_t glen) { return (size_t)glen * 2 + CMSG_SPACE(0); }

static int64_t ctl_to_host(sc *c, host_msg *m, uint32_t gctl, uint32_t glen)
{
    uint8_t *g;
    GET(g, gctl, glen);
    size_t room = host_ctl_room(glen), used = 0;
    if (!(m->ctl = calloc(1, room))) return -ENOMEM;
    for (uint32_t off = 0; off + G_CMSGHDR <= glen;) {
        uint32_t len = get32(g + off);
        if (len < G_CMSGHDR || len > glen - off) return -EINVAL;
        int level = (int)get32(g + off + 4), type = (int)get32(g + off + 8);
        uint32_t n = len - G_CMSGHDR;
        if (used + CMSG_SPACE(n) > room) return -EINVAL;
        struct cmsghdr *h = (struct cmsghdr *)(void *)(m->ctl + used);
        h->cmsg_len = CMSG_LEN(n);
        h->cmsg_level = level;
        h->cmsg_type = type;
        /* SCM_RIGHTS (ints) and SCM_CREDENTIALS (three ints) are alike. */
        memcpy(CMSG_DATA(h), g + off + G_CMSGHDR, n);
        used += CMSG_SPACE(n);
        off += galign(len);
    }
    m->h.msg_control = used ? m->ctl : NULL;
    m->h.msg_controllen = used;
    return 0;
}

/* The guest msghdr at addr as the host's; recv: a message to receive. */
static int64_t msg_to_host(sc *c, uint32_t addr, host_msg *m, bool recv)
{
    memset(m, 0, sizeof *m);
    uint8_t *g;
    GET(g, addr, G_MSGHDR);
    uint32_t name = get32(g), namelen = get32(g + 4), iov = get32(g + 8), iovlen = get32(g + 12);
    uint32_t ctl = get32(g + 16), ctllen = get32(g + 20);
    if (iovlen > IOV_MAX) return -EMSGSIZE;
    if (name) {
        uint8_t *p;
        if (recv) PUT(p, name, namelen);
        else GET(p, name, namelen);
        m->h.msg_name = p;
        m->h.msg_namelen = namelen;
    }
    if (iovlen) {
        uint8_t *gv;
        GET(gv, iov, (uint64_t)iovlen * G_IOVEC);
        if (!(m->iov = calloc(iovlen, sizeof *m->iov))) return -ENOMEM;
        for (uint32_t k = 0; k < iovlen; k++) {
            uint32_t base = get32(gv + k * G_IOVEC), len = get32(gv + k * G_IOVEC + 4);
            if ((uint64_t)base + len > USER_GUEST_SIZE || (len && !base)) return -EFAULT;
            m->iov[k] = (struct iovec){U->guest_base + base, len};
        }
    }
    m->h.msg_iov = m->iov;
    m->h.msg_iovlen = iovlen;
    if (!ctl || !ctllen) return 0;
    if (!recv) return ctl_to_host(c, m, ctl, ctllen);
    uint8_t *p;
    PUT(p, ctl, ctllen);
    (void)p;
    if (!(m->ctl = calloc(1, host_ctl_room(ctllen)))) return -ENOMEM;
    m->h.msg_control = m->ctl;
    m->h.msg_controllen = host_ctl_room(ctllen);
    return 0;
}

/* Received file descriptors the guest has no room for are closed. */
static void close_fds(const struct cmsghdr *h, size_t from_byte)
{
    if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) return;
    size_t n = h->cmsg_len - CMSG_LEN(0);
    for (size_t k = (from_byte + sizeof(int) - 1) / sizeof(int) * sizeof(int); k + sizeof(int) <= n; k += sizeof(int)) {
        int fd;
        memcpy(&fd, CMSG_DATA(h) + k, sizeof fd);
        close(fd);
    }
}

/* After a host recvmsg: the control messages in the guest's layout (old
 * time stamps shrunk to 32-bit fields), the lengths and the flags. */
static void msg_to_guest(sc *c, uint32_t addr, host_msg *m)
{
    uint8_t *g = U->guest_base + addr;
    uint32_t gctl = get32(g + 16), glen = get32(g + 20), used = 0;
    int flags = m->h.msg_flags;
    uint8_t *out = gctl ? U->guest_base + gctl : NULL;
    for (struct cmsghdr *h = m->h.msg_controllen ? CMSG_FIRSTHDR(&m->h) : NULL; h; h = CMSG_NXTHDR(&m->h, h)) {
        size_t n = h->cmsg_len - CMSG_LEN(0);
        uint8_t data[16];
        const uint8_t *src = CMSG_DATA(h);
        if (h->cmsg_level == SOL_SOCKET && (h->cmsg_type == G_SCM_TIMESTAMP || h->cmsg_type == G_SCM_TIMESTAMPNS) &&
            n == 16) {
            /* struct timeval / timespec: two longs, 32-bit on the guest. */
            put32(data, (uint32_t)get64(src));
            put32(data + 4, (uint32_t)get64(src + 8));
            src = data;
            n = 8;
        }
        uint32_t want = G_CMSGHDR + (uint32_t)n;
        if (!out || used + want > glen) {
            /* What does not fit is cut, as the kernel does for a short
             * buffer: whole descriptors only, the rest closed. */
            flags |= MSG_CTRUNC;
            uint32_t fit = out && glen > used + G_CMSGHDR ? glen - used - G_CMSGHDR : 0;
            if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) fit -= fit % sizeof(int);
            else fit = 0;
            close_fds(h, fit);
            if (!fit) continue;
            n = fit;
            want = G_CMSGHDR + fit;
        }
        put32(out + used, want);
        put32(out + used + 4, (uint32_t)h->cmsg_level);
        put32(out + used + 8, (uint32_t)h->cmsg_type);
        memcpy(out + used + G_CMSGHDR, src, n);
        used += galign(want) <= glen - used ? galign(want) : glen - used;
    }
    put32(g + 4, m->h.msg_namelen);
    put32(g + 20, used);
    put32(g + 24, (uint32_t)flags);
}

/* Bytes received into guest memory that holds translated code. */
static void received(sc *c, const struct iovec *iov, size_t n, int64_t bytes)
{
    for (size_t k = 0; k < n && bytes > 0; k++) {
        size_t len = iov[k].iov_len < (uint64_t)bytes ? iov[k].iov_len : (size_t)bytes;
        invalidate_written(c, (uint32_t)((uint8_t *)iov[k].iov_base - U->guest_base), (int64_t)len);
        bytes -= (int64_t)len;
    }
}

int64_t sys_sendmsg(sc *c)
{
    host_msg m;
    int64_t r = msg_to_host(c, A(1), &m, false);
    if (!r) r = host_ret(BLOCKING(sendmsg(SA(0), &m.h, SA(2))));
    msg_free(&m);
    return r;
}

int64_t sys_recvmsg(sc *c)
{
    host_msg m;
    int64_t r = msg_to_host(c, A(1), &m, true);
    if (!r) r = host_ret(BLOCKING(recvmsg(SA(0), &m.h, SA(2))));
    if (r >= 0) {
        msg_to_guest(c, A(1), &m);
        received(c, m.h.msg_iov, m.h.msg_iovlen, r);
    }
    msg_free(&m);
    return r;
}

/* sendmmsg and recvmmsg: the messages one by one, as the kernel's own loop
 * does; the count of those done, or the first error when none was. */
static int64_t mmsg_common(sc *c, bool recv, const struct timespec *timeout)
{
    uint32_t vec = A(1), n = A(2) > 1024 ? 1024 : A(2);
    int flags = SA(3);
    struct timespec end;
    if (timeout) {
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += timeout->tv_sec;
        end.tv_nsec += timeout->tv_nsec;
        if (end.tv_nsec >= 1000000000) {
            end.tv_sec++;
            end.tv_nsec -= 1000000000;
        }
    }
    uint32_t done = 0;
    int64_t err = 0;
    for (; done < n; done++) {
        uint8_t *g = user_ptr(U, vec + done * G_MMSGHDR, G_MMSGHDR, USER_PROT_WRITE);
        if (!g) {
            err = -EFAULT;
            break;
        }
        host_msg m;
        int64_t r = msg_to_host(c, vec + done * G_MMSGHDR, &m, recv);
        if (!r) {
            int f = recv && (flags & MSG_WAITFORONE) && done ? (flags & ~MSG_WAITFORONE) | MSG_DONTWAIT
                                                             : flags & ~MSG_WAITFORONE;
            r = recv ? host_ret(BLOCKING(recvmsg(SA(0), &m.h, f))) : host_ret(BLOCKING(sendmsg(SA(0), &m.h, f)));
        }
        if (r >= 0 && recv) {
            msg_to_guest(c, vec + done * G_MMSGHDR, &m);
            received(c, m.h.msg_iov, m.h.msg_iovlen, r);
        }
        msg_free(&m);
        if (r < 0) {
            err = r;
            break;
        }
        put32(g + 28, (uint32_t)r);
        if (timeout) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) {
                done++;
                break;
            }
        }
    }
    if (done) return done;
    return err;
}

int64_t sys_sendmmsg(sc *c) { return mmsg_common(c, false, NULL); }

static int64_t recvmmsg_common(sc *c, bool t64)
{
    struct timespec ts;
    if (A(4)) {
        int64_t e = user_get_timespec(c, A(4), &ts, t64);
        if (e) return e;
    }
    return mmsg_common(c, true, A(4) ? &ts : NULL);
}
int64_t sys_recvmmsg(sc *c) { return recvmmsg_common(c, false); }
int64_t sys_recvmmsg64(sc *c) { return recvmmsg_common(c, true); }

/* ---- Sockets ------------------------------------------------------------------- */

/* A guest buffer of len bytes (NULL for address 0). */
#define BUF(ptr, addr, len)                                                                         \
    do {                                                                                           \
        (ptr) = NULL;                                                                              \
        if ((addr) && !((ptr) = kbuf(c, (addr), (len)))) return -EFAULT;                            \
    } while (0)

int64_t sys_socket(sc *c) { return host_ret(socket(SA(0), SA(1), SA(2))); }
int64_t sys_socketpair(sc *c)
{
    int *sv;
    BUF(sv, A(3), 8);
    if (!sv) return -EFAULT;
    return host_ret(socketpair(SA(0), SA(1), SA(2), sv));
}
int64_t sys_bind(sc *c)
{
    void *a;
    BUF(a, A(1), A(2));
    return host_ret(bind(SA(0), a, A(2)));
}
int64_t sys_connect(sc *c)
{
    void *a;
    BUF(a, A(1), A(2));
    return host_ret(BLOCKING(connect(SA(0), a, A(2))));
}
int64_t sys_listen(sc *c) { return host_ret(listen(SA(0), SA(1))); }
int64_t sys_shutdown(sc *c) { return host_ret(shutdown(SA(0), SA(1))); }

/* A socket address out: the buffer at addr holds *lenp bytes (socklen_t
 * is 32 bits on both sides). */
#define ADDR_OUT(addr, lenp_addr, a, lenp)                                                          \
    do {                                                                                           \
        BUF(lenp, lenp_addr, 4);                                                                   \
        BUF(a, addr, lenp ? *(lenp) : 0);                                                          \
    } while (0)

int64_t sys_accept4(sc *c)
{
    void *a;
    socklen_t *lenp;
    ADDR_OUT(A(1), A(2), a, lenp);
    return host_ret(BLOCKING(accept4(SA(0), a, lenp, SA(3))));
}
int64_t sys_accept(sc *c)
{
    void *a;
    socklen_t *lenp;
    ADDR_OUT(A(1), A(2), a, lenp);
    return host_ret(BLOCKING(accept(SA(0), a, lenp)));
}
int64_t sys_getsockname(sc *c)
{
    void *a;
    socklen_t *lenp;
    ADDR_OUT(A(1), A(2), a, lenp);
    return host_ret(getsockname(SA(0), a, lenp));
}
int64_t sys_getpeername(sc *c)
{
    void *a;
    socklen_t *lenp;
    ADDR_OUT(A(1), A(2), a, lenp);
    return host_ret(getpeername(SA(0), a, lenp));
}

int64_t sys_sendto(sc *c)
{
    void *p, *a;
    BUF(p, A(1), A(2));
    BUF(a, A(4), A(5));
    return host_ret(BLOCKING(sendto(SA(0), p, A(2), SA(3), a, A(5))));
}
int64_t sys_send(sc *c)
{
    void *p;
    BUF(p, A(1), A(2));
    return host_ret(BLOCKING(send(SA(0), p, A(2), SA(3))));
}
int64_t sys_recvfrom(sc *c)
{
    void *p, *a;
    socklen_t *lenp;
    BUF(p, A(1), A(2));
    ADDR_OUT(A(4), A(5), a, lenp);
    int64_t r = host_ret(BLOCKING(recvfrom(SA(0), p, A(2), SA(3), a, lenp)));
    if (p) received(c, &(struct iovec){p, A(2)}, 1, r);
    return r;
}
int64_t sys_recv(sc *c)
{
    void *p;
    BUF(p, A(1), A(2));
    int64_t r = host_ret(BLOCKING(recv(SA(0), p, A(2), SA(3))));
    if (p) received(c, &(struct iovec){p, A(2)}, 1, r);
    return r;
}

/* Socket options: all the same on both sides but the old receive and send
 * timeouts, a struct timeval of two 32-bit fields on the guest. */
static bool old_timeout(int level, int name)
{
    return level == SOL_SOCKET && (name == G_SO_RCVTIMEO || name == G_SO_SNDTIMEO);
}

int64_t sys_setsockopt(sc *c)
{
    int level = SA(1), name = SA(2);
    void *v;
    BUF(v, A(3), A(4));
    if (old_timeout(level, name)) {
        if (A(4) < 8) return -EINVAL;
        if (!v) return -EFAULT;
        struct timeval tv = {(int32_t)get32(v), (int32_t)get32((uint8_t *)v + 4)};
        return host_ret(setsockopt(SA(0), level, name, &tv, sizeof tv));
    }
    return host_ret(setsockopt(SA(0), level, name, v, A(4)));
}

int64_t sys_getsockopt(sc *c)
{
    int level = SA(1), name = SA(2);
    socklen_t *lenp;
    void *v;
    ADDR_OUT(A(3), A(4), v, lenp);
    if (!lenp) return -EFAULT;
    if (old_timeout(level, name)) {
        struct timeval tv;
        socklen_t len = sizeof tv;
        if ((int)*lenp < 0) return -EINVAL;
        int64_t r = host_ret(getsockopt(SA(0), level, name, &tv, &len));
        if (r) return r;
        uint8_t g[8];
        put32(g, (uint32_t)tv.tv_sec);
        put32(g + 4, (uint32_t)tv.tv_usec);
        uint32_t n = *lenp < 8 ? *lenp : 8;
        if (n && !v) return -EFAULT;
        memcpy(v, g, n);
        *lenp = n;
        return 0;
    }
    return host_ret(getsockopt(SA(0), level, name, v, lenp));
}

/* ---- epoll ------------------------------------------------------------------------ */

int64_t sys_epoll_create(sc *c) { return SA(0) <= 0 ? -EINVAL : host_ret(epoll_create1(0)); }
int64_t sys_epoll_create1(sc *c) { return host_ret(epoll_create1(SA(0))); }

int64_t sys_epoll_ctl(sc *c)
{
    struct epoll_event ev, *evp = NULL;
    if (A(3)) {
        uint8_t *g;
        GET(g, A(3), G_EPOLL_EVENT);
        ev.events = get32(g);
        ev.data.u64 = get64(g + 8);
        evp = &ev;
    }
    return host_ret(epoll_ctl(SA(0), SA(1), SA(2), evp));
}

/* The waits: events come back in the guest's 16-byte layout. */
static int64_t epoll_common(sc *c, int timeout_ms, const struct timespec *ts, uint32_t mask_addr, bool pwait2)
{
    int max = SA(2);
    if (max <= 0 || max > INT_MAX / G_EPOLL_EVENT) return -EINVAL;
    uint8_t *out;
    PUT(out, A(1), (uint64_t)max * G_EPOLL_EVENT);
    sigset_t hs, *hsp = NULL;
    if (mask_addr) {
        uint8_t *m;
        GET(m, mask_addr, 8);
        user_host_sigset(&hs, get64(m));
        hsp = &hs;
    }
    struct epoll_event *ev = malloc((size_t)max * sizeof *ev);
    if (!ev) return -ENOMEM;
    int64_t r = pwait2 ? host_ret(BLOCKING(epoll_pwait2(SA(0), ev, max, ts, hsp)))
                       : host_ret(BLOCKING(epoll_pwait(SA(0), ev, max, timeout_ms, hsp)));
    for (int64_t k = 0; k < r; k++) {
        put32(out + k * G_EPOLL_EVENT, ev[k].events);
        put32(out + k * G_EPOLL_EVENT + 4, 0);
        put64(out + k * G_EPOLL_EVENT + 8, ev[k].data.u64);
    }
    free(ev);
    return r;
}

int64_t sys_epoll_wait(sc *c) { return epoll_common(c, SA(3), NULL, 0, false); }
int64_t sys_epoll_pwait(sc *c) { return epoll_common(c, SA(3), NULL, A(4), false); }
int64_t sys_epoll_pwait2(sc *c)
{
    struct timespec ts;
    if (A(3)) {
        int64_t e = user_get_timespec(c, A(3), &ts, true);
        if (e) return e;
    }
    return epoll_common(c, 0, A(3) ? &ts : NULL, A(4), true);
}

/* ---- eventfd and timerfd ------------------------------------------------------------ */

/* The flags (EFD_/TFD_ NONBLOCK and CLOEXEC, EFD_SEMAPHORE) have the same
 * values on ARM. */
int64_t sys_eventfd(sc *c) { return host_ret(eventfd(A(0), 0)); }
int64_t sys_eventfd2(sc *c) { return host_ret(eventfd(A(0), SA(1))); }
int64_t sys_timerfd_create(sc *c) { return host_ret(timerfd_create(SA(0), SA(1))); }

/* A guest struct itimerspec (t64: of 64-bit fields) at addr. */
static int64_t get_itimerspec(sc *c, uint32_t addr, struct itimerspec *its, bool t64)
{
    unsigned half = t64 ? 16 : 8;
    int64_t e = user_get_timespec(c, addr, &its->it_interval, t64);
    return e ? e : user_get_timespec(c, addr + half, &its->it_value, t64);
}

static int64_t put_itimerspec(sc *c, uint32_t addr, const struct itimerspec *its, bool t64)
{
    uint8_t *p;
    PUT(p, addr, t64 ? 32 : 16);
    const struct timespec *ts[2] = {&its->it_interval, &its->it_value};
    for (int k = 0; k < 2; k++) {
        if (t64) {
            put64(p + 16 * k, (uint64_t)ts[k]->tv_sec);
            put64(p + 16 * k + 8, (uint64_t)ts[k]->tv_nsec);
        } else {
            put32(p + 8 * k, (uint32_t)ts[k]->tv_sec);
            put32(p + 8 * k + 4, (uint32_t)ts[k]->tv_nsec);
        }
    }
    return 0;
}

static int64_t timerfd_set_common(sc *c, bool t64)
{
    struct itimerspec nv, old;
    int64_t e = get_itimerspec(c, A(2), &nv, t64);
    if (e) return e;
    int64_t r = host_ret(timerfd_settime(SA(0), SA(1), &nv, &old));
    if (!r && A(3)) r = put_itimerspec(c, A(3), &old, t64);
    return r;
}
int64_t sys_timerfd_settime(sc *c) { return timerfd_set_common(c, false); }
int64_t sys_timerfd_settime64(sc *c) { return timerfd_set_common(c, true); }

static int64_t timerfd_get_common(sc *c, bool t64)
{
    struct itimerspec cur;
    int64_t r = host_ret(timerfd_gettime(SA(0), &cur));
    return r ? r : put_itimerspec(c, A(1), &cur, t64);
}
int64_t sys_timerfd_gettime(sc *c) { return timerfd_get_common(c, false); }
int64_t sys_timerfd_gettime64(sc *c) { return timerfd_get_common(c, true); }
