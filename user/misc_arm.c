/* More ARM system calls: process groups and credentials, file metadata and
 * links, select, sendfile, statfs, times and sysinfo. Each converts the
 * 32-bit ARM layout where it differs from the host's. */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <unistd.h>

#include "sys.h"

static const char *str(sc *c, uint32_t addr) { return user_str(U, addr, PATH_MAX); }
#define STR(var, addr)                                                                              \
    const char *var = str(c, (addr));                                                              \
    if (!var) return -EFAULT

/* ---- Process groups, sessions, credentials ------------------------------------ */

int64_t sys_setpgid(sc *c) { return host_ret(setpgid(SA(0), SA(1))); }
int64_t sys_setsid(sc *c) { return host_ret(setsid()); }
int64_t sys_setuid(sc *c) { return host_ret(syscall(SYS_setuid, A(0))); }
int64_t sys_setgid(sc *c) { return host_ret(syscall(SYS_setgid, A(0))); }
int64_t sys_setresuid(sc *c) { return host_ret(syscall(SYS_setresuid, A(0), A(1), A(2))); }
int64_t sys_setresgid(sc *c) { return host_ret(syscall(SYS_setresgid, A(0), A(1), A(2))); }

static int64_t getres(sc *c, bool gid)
{
    uint8_t *a, *b, *d;
    PUT(a, A(0), 4);
    PUT(b, A(1), 4);
    PUT(d, A(2), 4);
    unsigned r, e, s;
    if (syscall(gid ? SYS_getresgid : SYS_getresuid, &r, &e, &s)) return -errno;
    put32(a, r);
    put32(b, e);
    put32(d, s);
    return 0;
}
int64_t sys_getresuid(sc *c) { return getres(c, false); }
int64_t sys_getresgid(sc *c) { return getres(c, true); }

int64_t sys_getgroups(sc *c)
{
    /* gid_t is 32 bits on both with the *32 calls. */
    if (SA(0) < 0) return -EINVAL;
    void *p = NULL;
    if (A(0)) PUT(p, A(1), (uint64_t)A(0) * 4);
    return host_ret(syscall(SYS_getgroups, SA(0), p));
}

int64_t sys_setgroups(sc *c)
{
    void *p = NULL;
    if (A(0)) GET(p, A(1), (uint64_t)A(0) * 4);
    return host_ret(syscall(SYS_setgroups, SA(0), p));
}

int64_t sys_getpriority(sc *c)
{
    /* The kernel's raw value (20 - nice), as the guest's libc expects. */
    return host_ret(syscall(SYS_getpriority, SA(0), SA(1)));
}
int64_t sys_setpriority(sc *c) { return host_ret(setpriority(SA(0), (id_t)A(1), SA(2))); }

int64_t sys_prctl(sc *c)
{
    switch (A(0)) {
    case PR_SET_NAME: case PR_GET_NAME: {
        uint8_t *p;
        if (A(0) == PR_SET_NAME) GET(p, A(1), 16);
        else PUT(p, A(1), 16);
        return host_ret(prctl((int)A(0), p));
    }
    case PR_GET_DUMPABLE: case PR_SET_DUMPABLE: case PR_GET_PDEATHSIG: case PR_SET_PDEATHSIG:
    case PR_SET_NO_NEW_PRIVS: case PR_GET_NO_NEW_PRIVS: case PR_SET_CHILD_SUBREAPER:
        if (A(0) == PR_GET_PDEATHSIG) {
            uint8_t *p;
            PUT(p, A(1), 4);
            int sig = 0;
            if (prctl(PR_GET_PDEATHSIG, &sig)) return -errno;
            put32(p, (uint32_t)sig);
            return 0;
        }
        return host_ret(prctl((int)A(0), (unsigned long)A(1), 0ul, 0ul, 0ul));
    default:
        loom_log(U->sim, LOOM_LOG_UNIMP, "user: prctl option %u\n", A(0));
        return -EINVAL;
    }
}

int64_t sys_sched_setaffinity(sc *c)
{
    uint8_t *m;
    GET(m, A(2), A(1));
    return host_ret(syscall(SYS_sched_setaffinity, SA(0), (size_t)A(1), m));
}

/* ---- Files: links, owners, modes, times ---------------------------------------- */

int64_t sys_link(sc *c)
{
    STR(a, A(0));
    STR(b, A(1));
    return host_ret(link(a, b));
}
int64_t sys_linkat(sc *c)
{
    STR(a, A(1));
    STR(b, A(3));
    return host_ret(linkat(SA(0), a, SA(2), b, SA(4)));
}
int64_t sys_symlink(sc *c)
{
    STR(a, A(0));
    STR(b, A(1));
    return host_ret(symlink(a, b));
}
int64_t sys_symlinkat(sc *c)
{
    STR(a, A(0));
    STR(b, A(2));
    return host_ret(symlinkat(a, SA(1), b));
}
int64_t sys_chown(sc *c)
{
    STR(p, A(0));
    return host_ret(chown(p, A(1), A(2)));
}
int64_t sys_lchown(sc *c)
{
    STR(p, A(0));
    return host_ret(lchown(p, A(1), A(2)));
}
int64_t sys_fchown(sc *c) { return host_ret(fchown(SA(0), A(1), A(2))); }
int64_t sys_fchownat(sc *c)
{
    STR(p, A(1));
    return host_ret(fchownat(SA(0), p, A(2), A(3), SA(4)));
}
int64_t sys_fchmodat(sc *c)
{
    STR(p, A(1));
    return host_ret(fchmodat(SA(0), p, (mode_t)A(2), 0));
}
int64_t sys_mknod(sc *c)
{
    STR(p, A(0));
    return host_ret(mknod(p, (mode_t)A(1), A(2)));
}
int64_t sys_mknodat(sc *c)
{
    STR(p, A(1));
    return host_ret(mknodat(SA(0), p, (mode_t)A(2), A(3)));
}
int64_t sys_truncate64(sc *c)
{
    /* EABI: the 64-bit length in r2:r3. */
    STR(p, A(0));
    return host_ret(truncate(p, (off_t)((uint64_t)A(3) << 32 | A(2))));
}
int64_t sys_flock(sc *c) { return host_ret(BLOCKING(flock(SA(0), SA(1)))); }
int64_t sys_sync(sc *c)
{
    sync();
    return 0;
}
int64_t sys_chroot(sc *c)
{
    STR(p, A(0));
    return host_ret(chroot(p));
}

static int64_t utimens_common(sc *c, bool t64)
{
    struct timespec ts[2], *tsp = NULL;
    if (A(2)) {
        uint8_t *p;
        GET(p, A(2), t64 ? 32 : 16);
        for (int i = 0; i < 2; i++) {
            const uint8_t *q = p + i * (t64 ? 16 : 8);
            ts[i].tv_sec = t64 ? (time_t)get64(q) : (int32_t)get32(q);
            ts[i].tv_nsec = (int32_t)get32(q + (t64 ? 8 : 4));
        }
        tsp = ts;
    }
    const char *path = NULL;
    if (A(1)) {
        path = str(c, A(1));
        if (!path) return -EFAULT;
    }
    return host_ret(syscall(SYS_utimensat, SA(0), path, tsp, SA(3)));
}
int64_t sys_utimensat(sc *c) { return utimens_common(c, false); }
int64_t sys_utimensat64(sc *c) { return utimens_common(c, true); }

int64_t sys_utimes(sc *c)
{
    STR(p, A(0));
    struct timeval tv[2], *tvp = NULL;
    if (A(1)) {
        uint8_t *q;
        GET(q, A(1), 16);
        for (int i = 0; i < 2; i++) {
            tv[i].tv_sec = (int32_t)get32(q + 8 * i);
            tv[i].tv_usec = (int32_t)get32(q + 8 * i + 4);
        }
        tvp = tv;
    }
    return host_ret(utimes(p, tvp));
}

/* struct statfs64 of ARM EABI (packed, 84 bytes). */
static int64_t put_statfs64(sc *c, uint32_t addr, uint32_t size, const struct statfs *st)
{
    if (size != 84 && size != 88) return -EINVAL;
    uint8_t *p;
    PUT(p, addr, size);
    memset(p, 0, size);
    put32(p, (uint32_t)st->f_type);
    put32(p + 4, (uint32_t)st->f_bsize);
    put64(p + 8, st->f_blocks);
    put64(p + 16, st->f_bfree);
    put64(p + 24, st->f_bavail);
    put64(p + 32, st->f_files);
    put64(p + 40, st->f_ffree);
    memcpy(p + 48, &st->f_fsid, 8);
    put32(p + 56, (uint32_t)st->f_namelen);
    put32(p + 60, (uint32_t)st->f_frsize);
    put32(p + 64, (uint32_t)st->f_flags);
    return 0;
}
int64_t sys_statfs64(sc *c)
{
    STR(p, A(0));
    struct statfs st;
    if (statfs(p, &st)) return -errno;
    return put_statfs64(c, A(2), A(1), &st);
}
int64_t sys_fstatfs64(sc *c)
{
    struct statfs st;
    if (fstatfs(SA(0), &st)) return -errno;
    return put_statfs64(c, A(2), A(1), &st);
}

/* ---- select, sendfile ------------------------------------------------------------ */

/* fd_set is an array of 32-bit words on the guest, 64-bit on the host:
 * the bits are in the same order in little-endian memory. */
static int64_t select_common(sc *c, int n, uint32_t rd, uint32_t wr, uint32_t ex, struct timespec *ts,
                             const sigset_t *mask)
{
    if (n < 0 || n > FD_SETSIZE) return -EINVAL;
    uint32_t bytes = (uint32_t)((n + 31) / 32 * 4);
    fd_set sets[3];
    uint8_t *g[3] = {NULL, NULL, NULL};
    uint32_t addrs[3] = {rd, wr, ex};
    for (int i = 0; i < 3; i++) {
        FD_ZERO(&sets[i]);
        if (addrs[i] && bytes) {
            PUT(g[i], addrs[i], bytes);
            memcpy(&sets[i], g[i], bytes);
        }
    }
    int r = BLOCKING(pselect(n, addrs[0] ? &sets[0] : NULL, addrs[1] ? &sets[1] : NULL,
                             addrs[2] ? &sets[2] : NULL, ts, mask));
    if (r < 0) return -errno;
    for (int i = 0; i < 3; i++)
        if (g[i]) memcpy(g[i], &sets[i], bytes);
    return r;
}

int64_t sys_newselect(sc *c)
{
    struct timespec ts, *tsp = NULL;
    uint8_t *tv = NULL;
    if (A(4)) {
        PUT(tv, A(4), 8);
        ts.tv_sec = (int32_t)get32(tv);
        ts.tv_nsec = (long)(int32_t)get32(tv + 4) * 1000;
        tsp = &ts;
    }
    struct timeval start;
    gettimeofday(&start, NULL);
    int64_t r = select_common(c, SA(0), A(1), A(2), A(3), tsp, NULL);
    if (tv && r >= 0) {
        /* Linux writes back the time left. */
        struct timeval now, used, left, want = {ts.tv_sec, ts.tv_nsec / 1000};
        gettimeofday(&now, NULL);
        timersub(&now, &start, &used);
        if (timercmp(&used, &want, <)) timersub(&want, &used, &left);
        else timerclear(&left);
        put32(tv, (uint32_t)left.tv_sec);
        put32(tv + 4, (uint32_t)left.tv_usec);
    }
    return r;
}

static int64_t pselect_common(sc *c, bool t64)
{
    struct timespec ts, *tsp = NULL;
    if (A(4)) {
        int64_t e = user_get_timespec(c, A(4), &ts, t64);
        if (e) return e;
        tsp = &ts;
    }
    sigset_t hs, *hsp = NULL;
    if (A(5)) {
        /* { const sigset_t *ss; size_t ss_len; } */
        uint8_t *d;
        GET(d, A(5), 8);
        if (get32(d)) {
            uint8_t *m;
            GET(m, get32(d), 8);
            user_host_sigset(&hs, get64(m));
            hsp = &hs;
        }
    }
    return select_common(c, SA(0), A(1), A(2), A(3), tsp, hsp);
}
int64_t sys_pselect6(sc *c) { return pselect_common(c, false); }
int64_t sys_pselect6_64(sc *c) { return pselect_common(c, true); }

int64_t sys_sendfile64(sc *c)
{
    uint8_t *op = NULL;
    off_t off = 0;
    if (A(2)) {
        PUT(op, A(2), 8);
        off = (off_t)get64(op);
    }
    ssize_t r = BLOCKING(sendfile(SA(0), SA(1), op ? &off : NULL, A(3)));
    if (r < 0) return -errno;
    if (op) put64(op, (uint64_t)off);
    return r;
}

int64_t sys_fadvise64_64(sc *c)
{
    /* EABI: fd, advice, offset r2:r3, len r4:r5 (arm_fadvise64_64). */
    return -posix_fadvise(SA(0), (off_t)((uint64_t)A(3) << 32 | A(2)), (off_t)((uint64_t)A(5) << 32 | A(4)), SA(1));
}

/* ---- times, sysinfo ------------------------------------------------------------ */

int64_t sys_times(sc *c)
{
    struct tms t;
    clock_t r = times(&t);
    if (A(0)) {
        uint8_t *p;
        PUT(p, A(0), 16);
        put32(p, (uint32_t)t.tms_utime);
        put32(p + 4, (uint32_t)t.tms_stime);
        put32(p + 8, (uint32_t)t.tms_cutime);
        put32(p + 12, (uint32_t)t.tms_cstime);
    }
    return (int64_t)(uint32_t)r;
}

int64_t sys_sysinfo(sc *c)
{
    /* struct sysinfo of 32-bit ARM: 64 bytes. */
    uint8_t *p;
    PUT(p, A(0), 64);
    struct sysinfo si;
    if (sysinfo(&si)) return -errno;
    memset(p, 0, 64);
    /* Memory in units that fit 32 bits. */
    uint64_t unit = si.mem_unit ? si.mem_unit : 1;
    while (si.totalram > 0xffffffffu && unit < (1u << 30)) {
        si.totalram /= 2, si.freeram /= 2, si.sharedram /= 2, si.bufferram /= 2;
        si.totalswap /= 2, si.freeswap /= 2, si.totalhigh /= 2, si.freehigh /= 2;
        unit *= 2;
    }
    put32(p, (uint32_t)si.uptime);
    for (int i = 0; i < 3; i++) put32(p + 4 + 4 * i, (uint32_t)si.loads[i]);
    put32(p + 16, (uint32_t)si.totalram);
    put32(p + 20, (uint32_t)si.freeram);
    put32(p + 24, (uint32_t)si.sharedram);
    put32(p + 28, (uint32_t)si.bufferram);
    put32(p + 32, (uint32_t)si.totalswap);
    put32(p + 36, (uint32_t)si.freeswap);
    memcpy(p + 40, &si.procs, 2);
    put32(p + 44, (uint32_t)si.totalhigh);
    put32(p + 48, (uint32_t)si.freehigh);
    put32(p + 52, (uint32_t)unit);
    return 0;
}
