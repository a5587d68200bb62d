#define _GNU_SOURCE
/* Sockets, epoll, eventfd and timerfd: the calls whose structures the
 * translation converts (messages with control data, mmsghdr, epoll_event,
 * 32-bit timeouts and timer values) and the ones that block. The output
 * holds no port numbers, descriptors, times or structure sizes, so the same
 * program built for the host prints the same: the host kernel is the
 * reference. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(x)                                                                                    \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            printf("FAILED line %d: %s (errno %d)\n", __LINE__, #x, errno);                        \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

static int stream_pair(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    CHECK(write(sv[0], "ping", 4) == 4);
    char buf[16] = {0};
    CHECK(read(sv[1], buf, sizeof buf) == 4);
    CHECK(send(sv[1], "pong!", 5, 0) == 5);
    memset(buf, 0, sizeof buf);
    CHECK(recv(sv[0], buf, 2, MSG_PEEK) == 2);
    printf("peek: %.2s\n", buf);
    CHECK(recv(sv[0], buf, sizeof buf, 0) == 5);
    printf("socketpair: %.5s\n", buf);
    CHECK(shutdown(sv[0], SHUT_WR) == 0);
    printf("after shutdown: read %zd\n", read(sv[1], buf, sizeof buf));
    int type = 0;
    socklen_t len = sizeof type;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0);
    printf("SO_TYPE %d len %u\n", type, len);
    close(sv[0]);
    close(sv[1]);
    return 0;
}

/* A pipe's write end passed over a socket with SCM_RIGHTS, gathered from
 * two iovecs; then a control buffer too short for two descriptors. */
static int pass_fd(void)
{
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(pipe(p) == 0);
    char a[] = "fd", b[] = "-msg";
    struct iovec iov[2] = {{a, 2}, {b, 4}};
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {0};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    m.msg_control = u.buf;
    m.msg_controllen = CMSG_SPACE(sizeof(int));
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &p[1], sizeof(int));
    CHECK(sendmsg(sv[0], &m, 0) == 6);

    char in[16] = {0};
    struct iovec riov = {in, sizeof in};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ru;
    struct msghdr r = {0};
    r.msg_iov = &riov;
    r.msg_iovlen = 1;
    r.msg_control = ru.buf;
    r.msg_controllen = sizeof ru.buf;
    CHECK(recvmsg(sv[1], &r, 0) == 6);
    printf("recvmsg: %.6s control of one descriptor %d flags %d\n", in,
           r.msg_controllen == CMSG_SPACE(sizeof(int)), r.msg_flags);
    struct cmsghdr *rh = CMSG_FIRSTHDR(&r);
    CHECK(rh != NULL);
    printf("cmsg data %u level %d type %d\n", (unsigned)(rh->cmsg_len - CMSG_LEN(0)), rh->cmsg_level, rh->cmsg_type);
    int fd;
    memcpy(&fd, CMSG_DATA(rh), sizeof fd);
    CHECK(fd != p[1]);
    CHECK(write(fd, "through", 7) == 7);
    char got[8] = {0};
    CHECK(read(p[0], got, 7) == 7);
    printf("passed descriptor wrote: %s\n", got);
    close(fd);

    /* Two descriptors, room for exactly one: MSG_CTRUNC, one arrives and
     * the other is not left open. */
    int two[2] = {p[1], p[1]};
    m.msg_controllen = CMSG_SPACE(2 * sizeof(int));
    h = CMSG_FIRSTHDR(&m);
    h->cmsg_len = CMSG_LEN(2 * sizeof(int));
    memcpy(CMSG_DATA(h), two, sizeof two);
    CHECK(sendmsg(sv[0], &m, 0) == 6);
    r.msg_controllen = CMSG_LEN(sizeof(int));
    int before = dup(0);
    close(before);
    CHECK(recvmsg(sv[1], &r, 0) == 6);
    rh = CMSG_FIRSTHDR(&r);
    printf("short control: MSG_CTRUNC %d, cmsg data %u\n", !!(r.msg_flags & MSG_CTRUNC),
           rh ? (unsigned)(rh->cmsg_len - CMSG_LEN(0)) : 0u);
    if (rh) {
        memcpy(&fd, CMSG_DATA(rh), sizeof fd);
        close(fd);
    }
    int after = dup(0);
    printf("descriptors left open: %d\n", after - before);
    close(after);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
    return 0;
}

/* TCP over loopback: a child connects and sends, the parent accepts. */
static int tcp(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0);
    int one = 1;
    CHECK(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(ls, 4) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    printf("bound: family %d len %u port set %d\n", a.sin_family, len, a.sin_port != 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(2);
        const char msg[] = "hello over tcp";
        if (send(s, msg, sizeof msg, 0) != sizeof msg) _exit(3);
        char ack[4];
        if (recv(s, ack, sizeof ack, MSG_WAITALL) != 4) _exit(4);
        close(s);
        _exit(memcmp(ack, "ack!", 4) ? 5 : 0);
    }
    struct sockaddr_in peer;
    len = sizeof peer;
    int s = accept4(ls, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    CHECK(s >= 0);
    printf("accepted: family %d loopback %d\n", peer.sin_family, peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    char buf[32] = {0};
    size_t got = 0;
    while (got < 15) {
        ssize_t n = recv(s, buf + got, sizeof buf - got, 0);
        CHECK(n > 0);
        got += (size_t)n;
    }
    printf("tcp: %s\n", buf);
    CHECK(send(s, "ack!", 4, 0) == 4);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    printf("client exit %d\n", WEXITSTATUS(st));
    close(s);
    close(ls);
    return 0;
}

/* UDP: sendto/recvfrom, then three datagrams with sendmmsg/recvmmsg, and
 * a receive timeout (SO_RCVTIMEO, a 32-bit struct timeval). */
static int udp(void)
{
    int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(r >= 0 && s >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(r, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    CHECK(getsockname(r, (struct sockaddr *)&a, &len) == 0);
    CHECK(sendto(s, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a) == 8);
    char buf[32] = {0};
    struct sockaddr_in from;
    len = sizeof from;
    CHECK(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) == 8);
    struct sockaddr_in me;
    socklen_t mlen = sizeof me;
    CHECK(getsockname(s, (struct sockaddr *)&me, &mlen) == 0);
    printf("udp: %s from len %u same port %d\n", buf, len, from.sin_port == me.sin_port);

    CHECK(connect(s, (struct sockaddr *)&a, sizeof a) == 0);
    char *words[3] = {"one", "three", "seven!!"};
    struct iovec iov[3];
    struct mmsghdr mm[3];
    memset(mm, 0, sizeof mm);
    for (int k = 0; k < 3; k++) {
        iov[k] = (struct iovec){words[k], strlen(words[k])};
        mm[k].msg_hdr.msg_iov = &iov[k];
        mm[k].msg_hdr.msg_iovlen = 1;
    }
    CHECK(sendmmsg(s, mm, 3, 0) == 3);
    printf("sendmmsg lengths %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    char in[3][16];
    struct iovec riov[3];
    struct mmsghdr rm[3];
    memset(rm, 0, sizeof rm);
    memset(in, 0, sizeof in);
    for (int k = 0; k < 3; k++) {
        riov[k] = (struct iovec){in[k], sizeof in[k]};
        rm[k].msg_hdr.msg_iov = &riov[k];
        rm[k].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(r, rm, 3, MSG_WAITFORONE, NULL);
    printf("recvmmsg %d:", n);
    for (int k = 0; k < n; k++) printf(" %s/%u", in[k], rm[k].msg_len);
    printf("\n");

    struct timeval tv = {0, 150000};
    CHECK(setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    struct timeval back = {0};
    len = sizeof back;
    CHECK(getsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &back, &len) == 0);
    printf("SO_RCVTIMEO back: %ld.%06ld whole %d\n", (long)back.tv_sec, (long)back.tv_usec, len == sizeof back);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    errno = 0;
    ssize_t got = recv(r, buf, sizeof buf, 0);
    int e = errno;
    gettimeofday(&t1, NULL);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
    printf("timed out: %zd %s, waited at least 100 ms %d\n", got, e == EAGAIN ? "EAGAIN" : strerror(e), ms >= 100);
    close(r);
    close(s);
    return 0;
}

static int epoll(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
    CHECK(ep >= 0);
    CHECK(pipe(p) == 0);
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.u64 = 0x1122334455667788ull;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
    ev.events = EPOLLOUT;
    ev.data.u64 = 0xa5a5a5a5deadbeefull;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev) == 0);
    struct epoll_event out[4];
    memset(out, 0, sizeof out);
    int n = epoll_wait(ep, out, 4, 0);
    printf("epoll idle: %d", n);
    for (int k = 0; k < n; k++) printf(" [%#x %#llx]", out[k].events, (unsigned long long)out[k].data.u64);
    printf("\n");
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    n = epoll_pwait(ep, out, 4, 1000, &mask);
    printf("epoll readable: %d", n);
    for (int k = 0; k < n; k++) printf(" [%#x %#llx]", out[k].events, (unsigned long long)out[k].data.u64);
    printf("\n");
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u32 = 7;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0);
    n = epoll_wait(ep, out, 4, 0);
    printf("edge-triggered: %d data %u\n", n, n > 0 ? out[0].data.u32 : 0);
    errno = 0;
    n = epoll_wait(ep, out, 0, 0);
    printf("bad maxevents: %d EINVAL %d\n", n, errno == EINVAL);
    close(p[0]);
    close(p[1]);
    close(ep);
    return 0;
}

static int fds(void)
{
    int e = eventfd(3, 0);
    CHECK(e >= 0);
    uint64_t v = 4;
    CHECK(write(e, &v, 8) == 8);
    CHECK(read(e, &v, 8) == 8);
    printf("eventfd: %llu\n", (unsigned long long)v);
    close(e);
    e = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(e >= 0);
    for (int k = 0; k < 3; k++) {
        errno = 0;
        v = 0;
        ssize_t n = read(e, &v, 8);
        printf("semaphore read %d: %zd value %llu%s\n", k, n, (unsigned long long)v, errno == EAGAIN ? " EAGAIN" : "");
    }
    close(e);

    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK(t >= 0);
    struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}}, old;
    CHECK(timerfd_settime(t, 0, &its, &old) == 0);
    printf("old timer: %ld %ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_nsec);
    uint64_t ticks = 0;
    CHECK(read(t, &ticks, 8) == 8);
    printf("timerfd expirations: %llu\n", (unsigned long long)ticks);
    struct itimerspec cur;
    CHECK(timerfd_gettime(t, &cur) == 0);
    printf("disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_nsec);
    its = (struct itimerspec){{5, 0}, {7, 0}};
    CHECK(timerfd_settime(t, 0, &its, NULL) == 0);
    CHECK(timerfd_gettime(t, &cur) == 0);
    printf("armed: interval %ld value within 7s %d\n", (long)cur.it_interval.tv_sec,
           cur.it_value.tv_sec <= 7 && cur.it_value.tv_sec >= 6);
    close(t);
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int r = stream_pair() || pass_fd() || tcp() || udp() || epoll() || fds();
    printf("done %d\n", r);
    return r;
}
