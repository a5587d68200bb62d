/* Linux system calls of 32-bit ARM EABI programs, translated to the host's.
 * Numbers: the kernel's arch/arm/tools/syscall.tbl (EABI entries). A guest
 * pointer p is guest_base + p; structures are converted where the 32-bit
 * ARM layout differs from the host's (stat64, timespec, iovec, rlimit). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "arm/arm.h"

/* ---- Flags whose ARM encoding differs from the host's -------------------- */

/* arch/arm/include/uapi/asm/fcntl.h */
enum {
    ARM_O_DIRECTORY = 040000,
    ARM_O_NOFOLLOW = 0100000,
    ARM_O_DIRECT = 0200000,
    ARM_O_LARGEFILE = 0400000,
};
/* The kernel's O_LARGEFILE on a 64-bit host: glibc defines O_LARGEFILE as 0
 * there, but F_GETFL reports the kernel's bit. */
#define HOST_K_O_LARGEFILE 0100000

static const struct {
    uint32_t arm;
    int host;
} open_flag_map[] = {
    {ARM_O_DIRECTORY, O_DIRECTORY},
    {ARM_O_NOFOLLOW, O_NOFOLLOW},
    {ARM_O_DIRECT, O_DIRECT},
};

int user_arm_open_flags_to_host(uint32_t f)
{
    uint32_t moved = ARM_O_DIRECTORY | ARM_O_NOFOLLOW | ARM_O_DIRECT | ARM_O_LARGEFILE;
    int h = (int)(f & ~moved);
    for (size_t i = 0; i < sizeof open_flag_map / sizeof *open_flag_map; i++)
        if (f & open_flag_map[i].arm) h |= open_flag_map[i].host;
    return h; /* O_LARGEFILE: implied on a 64-bit host */
}

uint32_t user_arm_open_flags_from_host(int h)
{
    int moved = O_DIRECTORY | O_NOFOLLOW | O_DIRECT | HOST_K_O_LARGEFILE;
    uint32_t f = (uint32_t)(h & ~moved);
    for (size_t i = 0; i < sizeof open_flag_map / sizeof *open_flag_map; i++)
        if (h & open_flag_map[i].host) f |= open_flag_map[i].arm;
    if (h & HOST_K_O_LARGEFILE) f |= ARM_O_LARGEFILE;
    return f;
}

/* ---- The call context ------------------------------------------------------ */

typedef struct sys_def {
    uint32_t nr;
    const char *name;
    /* One letter per argument for -strace: d signed, u unsigned, x hex,
     * s string, o octal, f fd (AT_FDCWD by name), and a trailing 'X' for a
     * result printed in hex. */
    const char *fmt;
    sys_fn fn;
} sys_def;


/* A guest path: the string, looked up first under the sysroot (-L) when it
 * is absolute and exists there, as QEMU does. */
static const char *gpath(sc *c, uint32_t addr, char *buf, int64_t *err)
{
    const char *p = user_str(U, addr, PATH_MAX);
    if (!p) {
        *err = -EFAULT;
        return NULL;
    }
    if (U->opts.sysroot && p[0] == '/') {
        struct stat st;
        snprintf(buf, PATH_MAX, "%s%s", U->opts.sysroot, p);
        if (!lstat(buf, &st)) return buf;
    }
    return p;
}
#define PATH(var, addr)                                                                             \
    char var##_buf[PATH_MAX];                                                                      \
    int64_t var##_err = 0;                                                                         \
    const char *var = gpath(c, (addr), var##_buf, &var##_err);                                     \
    if (!var) return var##_err

static int dirfd_of(uint32_t v) { return (int32_t)v; } /* AT_FDCWD is -100 on both */

/* ---- Processes and signals ---------------------------------------------------- */

static int64_t sys_getpid(sc *c) { return getpid(); }
static int64_t sys_getppid(sc *c) { return getppid(); }
static int64_t sys_gettid(sc *c) { return gettid(); }
static int64_t sys_getuid(sc *c) { return getuid(); }
static int64_t sys_geteuid(sc *c) { return geteuid(); }
static int64_t sys_getgid(sc *c) { return getgid(); }
static int64_t sys_getegid(sc *c) { return getegid(); }
static int64_t sys_getpgrp(sc *c) { return getpgrp(); }
static int64_t sys_getpgid(sc *c) { return host_ret(getpgid(SA(0))); }
static int64_t sys_getsid(sc *c) { return host_ret(getsid(SA(0))); }

static int64_t sys_set_robust_list(sc *c)
{
    if (A(1) != 12) return -EINVAL; /* sizeof(struct robust_list_head) on ARM */
    U->robust_list = A(0);
    U->robust_len = A(1);
    return 0;
}

static int64_t sys_zero(sc *c) { return 0; }

static int64_t sys_sched_yield(sc *c) { return BLOCKING(sched_yield()); }

static int64_t sys_sched_getaffinity(sc *c)
{
    uint8_t *m;
    PUT(m, A(2), A(1));
    return host_ret(syscall(SYS_sched_getaffinity, SA(0), (size_t)A(1), m));
}

static int64_t sys_uname(sc *c)
{
    struct utsname un;
    uint8_t *p;
    PUT(p, A(0), sizeof un);
    if (uname(&un)) return -errno;
    snprintf(un.machine, sizeof un.machine, "armv7l");
    memcpy(p, &un, sizeof un); /* six 65-byte strings on both */
    return 0;
}

static int64_t sys_umask(sc *c) { return umask(A(0) & 0777); }

static int64_t sys_prlimit64(sc *c)
{
    if (A(0) && SA(0) != getpid()) return -EPERM;
    uint8_t *nw = NULL, *old = NULL;
    if (A(2)) GET(nw, A(2), 16);
    if (A(3)) PUT(old, A(3), 16);
    struct rlimit n, o;
    if (nw) {
        n.rlim_cur = get64(nw);
        n.rlim_max = get64(nw + 8);
    }
    if (prlimit(0, (int)A(1), nw ? &n : NULL, &o)) return -errno;
    if (old) {
        put64(old, o.rlim_cur);
        put64(old + 8, o.rlim_max);
    }
    return 0;
}

static int64_t sys_ugetrlimit(sc *c)
{
    uint8_t *p;
    PUT(p, A(1), 8);
    struct rlimit r;
    if (getrlimit((int)A(0), &r)) return -errno;
    put32(p, r.rlim_cur >= 0xffffffffu ? 0xffffffffu : (uint32_t)r.rlim_cur);
    put32(p + 4, r.rlim_max >= 0xffffffffu ? 0xffffffffu : (uint32_t)r.rlim_max);
    return 0;
}

/* ---- Time ------------------------------------------------------------------ */

static int64_t put_timespec(sc *c, uint32_t addr, const struct timespec *ts, bool t64)
{
    uint8_t *p;
    if (t64) {
        PUT(p, addr, 16);
        put64(p, (uint64_t)ts->tv_sec);
        put64(p + 8, (uint64_t)ts->tv_nsec);
    } else {
        PUT(p, addr, 8);
        put32(p, (uint32_t)ts->tv_sec);
        put32(p + 4, (uint32_t)ts->tv_nsec);
    }
    return 0;
}

int64_t user_get_timespec(sc *c, uint32_t addr, struct timespec *ts, bool t64)
{
    uint8_t *p;
    if (t64) {
        GET(p, addr, 16);
        ts->tv_sec = (time_t)get64(p);
        ts->tv_nsec = (long)(int32_t)get32(p + 8); /* the upper half is padding for a 32-bit task */
    } else {
        GET(p, addr, 8);
        ts->tv_sec = (int32_t)get32(p);
        ts->tv_nsec = (int32_t)get32(p + 4);
    }
    return 0;
}

static int64_t clock_get(sc *c, bool t64, bool res)
{
    struct timespec ts;
    if ((res ? clock_getres : clock_gettime)(SA(0), &ts)) return -errno;
    return A(1) ? put_timespec(c, A(1), &ts, t64) : 0;
}
static int64_t sys_clock_gettime(sc *c) { return clock_get(c, false, false); }
static int64_t sys_clock_gettime64(sc *c) { return clock_get(c, true, false); }
static int64_t sys_clock_getres(sc *c) { return clock_get(c, false, true); }
static int64_t sys_clock_getres64(sc *c) { return clock_get(c, true, true); }

static int64_t sys_gettimeofday(sc *c)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    uint8_t *p;
    if (A(0)) {
        PUT(p, A(0), 8);
        put32(p, (uint32_t)tv.tv_sec);
        put32(p + 4, (uint32_t)tv.tv_usec);
    }
    if (A(1)) {
        PUT(p, A(1), 8);
        memset(p, 0, 8);
    }
    return 0;
}

static int64_t sleep_common(sc *c, clockid_t clk, int flags, uint32_t req, uint32_t rem, bool t64)
{
    struct timespec r, left = {0, 0};
    int64_t e = user_get_timespec(c, req, &r, t64);
    if (e) return e;
    int err = BLOCKING(clock_nanosleep(clk, flags, &r, &left));
    if (err == EINTR && rem && !(flags & TIMER_ABSTIME)) put_timespec(c, rem, &left, t64);
    return -err;
}
static int64_t sys_nanosleep(sc *c) { return sleep_common(c, CLOCK_MONOTONIC, 0, A(0), A(1), false); }
static int64_t sys_clock_nanosleep(sc *c) { return sleep_common(c, SA(0), SA(1), A(2), A(3), false); }
static int64_t sys_clock_nanosleep64(sc *c) { return sleep_common(c, SA(0), SA(1), A(2), A(3), true); }

/* Deterministic, like AT_RANDOM: the same seed gives the same bytes. */
static int64_t sys_getrandom(sc *c)
{
    uint8_t *p;
    PUT(p, A(0), A(1));
    for (uint32_t i = 0; i < A(1); i++) {
        uint64_t z = (U->rng += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        p[i] = (uint8_t)(z ^ (z >> 31));
    }
    return A(1);
}

/* ---- Files ------------------------------------------------------------------- */


static int64_t sys_read(sc *c)
{
    void *p = kbuf(c, A(1), A(2));
    if (!p) return -EFAULT;
    int64_t n = host_ret(BLOCKING(read(SA(0), p, A(2))));
    invalidate_written(c, A(1), n);
    return n;
}

static int64_t sys_write(sc *c)
{
    void *p = kbuf(c, A(1), A(2));
    if (!p) return -EFAULT;
    return host_ret(BLOCKING(write(SA(0), p, A(2))));
}

static int64_t sys_pread64(sc *c)
{
    /* EABI: the 64-bit offset starts at an even register, r4:r5. */
    void *p = kbuf(c, A(1), A(2));
    if (!p) return -EFAULT;
    int64_t n = host_ret(BLOCKING(pread(SA(0), p, A(2), (off_t)((uint64_t)A(5) << 32 | A(4)))));
    invalidate_written(c, A(1), n);
    return n;
}

static int64_t sys_pwrite64(sc *c)
{
    void *p = kbuf(c, A(1), A(2));
    if (!p) return -EFAULT;
    return host_ret(BLOCKING(pwrite(SA(0), p, A(2), (off_t)((uint64_t)A(5) << 32 | A(4)))));
}

static int64_t rw_vec(sc *c, bool wr)
{
    uint32_t n = A(2);
    if (n > IOV_MAX) return -EINVAL;
    uint8_t *v;
    GET(v, A(1), n * 8);
    struct iovec iov[IOV_MAX];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t base = get32(v + 8 * i), len = get32(v + 8 * i + 4);
        if (!(iov[i].iov_base = kbuf(c, base, len)) && len) return -EFAULT;
        iov[i].iov_len = len;
    }
    int64_t r = host_ret(wr ? BLOCKING(writev(SA(0), iov, (int)n)) : BLOCKING(readv(SA(0), iov, (int)n)));
    if (!wr)
        for (uint32_t i = 0; i < n; i++) invalidate_written(c, get32(v + 8 * i), get32(v + 8 * i + 4));
    return r;
}
static int64_t sys_readv(sc *c) { return rw_vec(c, false); }
static int64_t sys_writev(sc *c) { return rw_vec(c, true); }

static int64_t sys_openat(sc *c)
{
    PATH(p, A(1));
    return host_ret(openat(dirfd_of(A(0)), p, user_arm_open_flags_to_host(A(2)), (mode_t)A(3)));
}

static int64_t sys_open(sc *c)
{
    PATH(p, A(0));
    return host_ret(open(p, user_arm_open_flags_to_host(A(1)), (mode_t)A(2)));
}

static int64_t sys_close(sc *c) { return host_ret(close(SA(0))); }

static int64_t sys_lseek(sc *c)
{
    off_t r = lseek(SA(0), (off_t)SA(1), SA(2));
    if (r < 0) return -errno;
    if (r > INT32_MAX) return -EOVERFLOW;
    return r;
}

static int64_t sys_llseek(sc *c)
{
    uint8_t *res;
    PUT(res, A(3), 8);
    off_t r = lseek(SA(0), (off_t)((uint64_t)A(1) << 32 | A(2)), SA(4));
    if (r < 0) return -errno;
    put64(res, (uint64_t)r);
    return 0;
}

static int64_t sys_ftruncate64(sc *c) { return host_ret(ftruncate(SA(0), (off_t)((uint64_t)A(3) << 32 | A(2)))); }
static int64_t sys_fsync(sc *c) { return host_ret(fsync(SA(0))); }
static int64_t sys_fdatasync(sc *c) { return host_ret(fdatasync(SA(0))); }

/* struct stat64 of ARM EABI (arch/arm/include/uapi/asm/stat.h), 104 bytes. */
static int64_t put_stat64(sc *c, uint32_t addr, const struct stat *st)
{
    uint8_t *p;
    PUT(p, addr, 104);
    memset(p, 0, 104);
    put64(p + 0, st->st_dev);
    put32(p + 12, (uint32_t)st->st_ino);
    put32(p + 16, st->st_mode);
    put32(p + 20, (uint32_t)st->st_nlink);
    put32(p + 24, st->st_uid);
    put32(p + 28, st->st_gid);
    put64(p + 32, st->st_rdev);
    put64(p + 48, (uint64_t)st->st_size);
    put32(p + 56, (uint32_t)st->st_blksize);
    put64(p + 64, (uint64_t)st->st_blocks);
    put32(p + 72, (uint32_t)st->st_atim.tv_sec);
    put32(p + 76, (uint32_t)st->st_atim.tv_nsec);
    put32(p + 80, (uint32_t)st->st_mtim.tv_sec);
    put32(p + 84, (uint32_t)st->st_mtim.tv_nsec);
    put32(p + 88, (uint32_t)st->st_ctim.tv_sec);
    put32(p + 92, (uint32_t)st->st_ctim.tv_nsec);
    put64(p + 96, st->st_ino);
    return 0;
}

static int64_t sys_fstat64(sc *c)
{
    struct stat st;
    if (fstat(SA(0), &st)) return -errno;
    return put_stat64(c, A(1), &st);
}

static int64_t sys_stat64(sc *c)
{
    PATH(p, A(0));
    struct stat st;
    if (stat(p, &st)) return -errno;
    return put_stat64(c, A(1), &st);
}

static int64_t sys_lstat64(sc *c)
{
    PATH(p, A(0));
    struct stat st;
    if (lstat(p, &st)) return -errno;
    return put_stat64(c, A(1), &st);
}

static int64_t sys_fstatat64(sc *c)
{
    PATH(p, A(1));
    struct stat st;
    if (fstatat(dirfd_of(A(0)), p, &st, SA(3))) return -errno;
    return put_stat64(c, A(2), &st);
}

static int64_t sys_statx(sc *c)
{
    /* struct statx has the same layout everywhere. */
    PATH(p, A(1));
    void *buf = kbuf(c, A(4), 256);
    if (!buf) return -EFAULT;
    return host_ret(syscall(SYS_statx, dirfd_of(A(0)), p, SA(2), A(3), buf));
}

static int64_t sys_getdents64(sc *c)
{
    /* struct linux_dirent64 is the same on both. */
    void *buf = kbuf(c, A(1), A(2));
    if (!buf) return -EFAULT;
    return host_ret(syscall(SYS_getdents64, SA(0), buf, (size_t)A(2)));
}

static int64_t sys_ioctl(sc *c)
{
    /* ARM uses the generic numbers and kernel structures for these. */
    switch (A(1)) {
    case TCGETS: case TCSETS: case TCSETSW: case TCSETSF:
    case TIOCGWINSZ: case TIOCSWINSZ: case TIOCGPGRP: case FIONREAD: {
        if (!isatty(SA(0))) return -ENOTTY;
        void *p = kbuf(c, A(2), 64);
        if (!p) return -EFAULT;
        return host_ret(syscall(SYS_ioctl, SA(0), (unsigned long)A(1), p));
    }
    default:
        loom_log(U->sim, LOOM_LOG_UNIMP, "user: ioctl 0x%x on fd %d\n", A(1), SA(0));
        return -ENOTTY;
    }
}

static int64_t sys_fcntl64(sc *c)
{
    int fd = SA(0);
    switch (A(1)) {
    case F_DUPFD: case F_DUPFD_CLOEXEC: case F_GETFD: case F_SETFD: case F_SETOWN: case F_GETOWN:
    case F_SETPIPE_SZ: case F_GETPIPE_SZ:
        return host_ret(fcntl(fd, (int)A(1), (int)A(2)));
    case F_GETFL: {
        int r = fcntl(fd, F_GETFL);
        return r < 0 ? -errno : (int64_t)user_arm_open_flags_from_host(r);
    }
    case F_SETFL:
        return host_ret(fcntl(fd, F_SETFL, user_arm_open_flags_to_host(A(2))));
    case 12: case 13: case 14: /* F_GETLK64, F_SETLK64, F_SETLKW64 */
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW: {
        /* ARM EABI's struct flock64 (short, short, pad, s64, s64, pid)
         * lines up with the host's struct flock. */
        static const int cmds[] = {F_GETLK, F_SETLK, F_SETLKW};
        int cmd = A(1) >= 12 && A(1) <= 14 ? cmds[A(1) - 12] : (int)A(1);
        uint8_t *p;
        PUT(p, A(2), 32);
        struct flock fl;
        memcpy(&fl, p, sizeof fl < 32 ? sizeof fl : 32);
        if (fcntl(fd, cmd, &fl)) return -errno;
        memcpy(p, &fl, sizeof fl < 32 ? sizeof fl : 32);
        return 0;
    }
    case F_GETLK: case F_SETLK: case F_SETLKW: {
        /* The 32-bit struct flock: short, short, s32 start, s32 len, pid. */
        uint8_t *p;
        PUT(p, A(2), 16);
        struct flock fl = {0};
        int16_t sh[2];
        memcpy(sh, p, 4);
        fl.l_type = sh[0];
        fl.l_whence = sh[1];
        fl.l_start = (int32_t)get32(p + 4);
        fl.l_len = (int32_t)get32(p + 8);
        fl.l_pid = (int32_t)get32(p + 12);
        if (fcntl(fd, (int)A(1), &fl)) return -errno;
        sh[0] = fl.l_type;
        sh[1] = fl.l_whence;
        memcpy(p, sh, 4);
        put32(p + 4, (uint32_t)fl.l_start);
        put32(p + 8, (uint32_t)fl.l_len);
        put32(p + 12, (uint32_t)fl.l_pid);
        return 0;
    }
    default:
        loom_log(U->sim, LOOM_LOG_UNIMP, "user: fcntl command %u\n", A(1));
        return -EINVAL;
    }
}

static int64_t sys_dup(sc *c) { return host_ret(dup(SA(0))); }
static int64_t sys_dup2(sc *c) { return host_ret(dup2(SA(0), SA(1))); }
static int64_t sys_dup3(sc *c) { return host_ret(dup3(SA(0), SA(1), user_arm_open_flags_to_host(A(2)))); }

static int64_t sys_pipe2(sc *c)
{
    uint8_t *p;
    PUT(p, A(0), 8);
    int fds[2];
    if (pipe2(fds, user_arm_open_flags_to_host(A(1)))) return -errno;
    put32(p, (uint32_t)fds[0]);
    put32(p + 4, (uint32_t)fds[1]);
    return 0;
}

static int64_t sys_getcwd(sc *c)
{
    void *p = kbuf(c, A(0), A(1));
    if (!p) return -EFAULT;
    return host_ret(syscall(SYS_getcwd, p, (size_t)A(1)));
}

static int64_t readlink_common(sc *c, int dirfd, uint32_t path, uint32_t buf, uint32_t len)
{
    const char *raw = user_str(U, path, PATH_MAX);
    if (!raw) return -EFAULT;
    char self[64];
    snprintf(self, sizeof self, "/proc/%d/exe", (int)getpid());
    if (!strcmp(raw, "/proc/self/exe") || !strcmp(raw, self) || !strcmp(raw, "/proc/thread-self/exe")) {
        /* The guest program, not Loom. */
        uint8_t *p;
        PUT(p, buf, len);
        size_t n = strlen(U->exe_real);
        if (n > len) n = len;
        memcpy(p, U->exe_real, n);
        return (int64_t)n;
    }
    PATH(p, path);
    void *b = kbuf(c, buf, len);
    if (!b) return -EFAULT;
    return host_ret(readlinkat(dirfd, p, b, len));
}
static int64_t sys_readlink(sc *c) { return readlink_common(c, AT_FDCWD, A(0), A(1), A(2)); }
static int64_t sys_readlinkat(sc *c) { return readlink_common(c, dirfd_of(A(0)), A(1), A(2), A(3)); }

static int64_t sys_access(sc *c)
{
    PATH(p, A(0));
    return host_ret(access(p, SA(1)));
}
static int64_t sys_faccessat(sc *c)
{
    PATH(p, A(1));
    return host_ret(syscall(SYS_faccessat, dirfd_of(A(0)), p, SA(2)));
}
static int64_t sys_faccessat2(sc *c)
{
    PATH(p, A(1));
    return host_ret(syscall(SYS_faccessat2, dirfd_of(A(0)), p, SA(2), SA(3)));
}

/* Paths that change the file system are not redirected into the sysroot. */
static int64_t sys_unlinkat(sc *c)
{
    const char *p = user_str(U, A(1), PATH_MAX);
    return p ? host_ret(unlinkat(dirfd_of(A(0)), p, SA(2))) : -EFAULT;
}
static int64_t sys_unlink(sc *c)
{
    const char *p = user_str(U, A(0), PATH_MAX);
    return p ? host_ret(unlink(p)) : -EFAULT;
}
static int64_t sys_rmdir(sc *c)
{
    const char *p = user_str(U, A(0), PATH_MAX);
    return p ? host_ret(rmdir(p)) : -EFAULT;
}
static int64_t sys_mkdirat(sc *c)
{
    const char *p = user_str(U, A(1), PATH_MAX);
    return p ? host_ret(mkdirat(dirfd_of(A(0)), p, (mode_t)A(2))) : -EFAULT;
}
static int64_t sys_mkdir(sc *c)
{
    const char *p = user_str(U, A(0), PATH_MAX);
    return p ? host_ret(mkdir(p, (mode_t)A(1))) : -EFAULT;
}
static int64_t sys_renameat2(sc *c)
{
    const char *a = user_str(U, A(1), PATH_MAX), *b = user_str(U, A(3), PATH_MAX);
    if (!a || !b) return -EFAULT;
    return host_ret(syscall(SYS_renameat2, dirfd_of(A(0)), a, dirfd_of(A(2)), b, A(4)));
}
static int64_t sys_renameat(sc *c)
{
    const char *a = user_str(U, A(1), PATH_MAX), *b = user_str(U, A(3), PATH_MAX);
    if (!a || !b) return -EFAULT;
    return host_ret(renameat(dirfd_of(A(0)), a, dirfd_of(A(2)), b));
}
static int64_t sys_rename(sc *c)
{
    const char *a = user_str(U, A(0), PATH_MAX), *b = user_str(U, A(1), PATH_MAX);
    if (!a || !b) return -EFAULT;
    return host_ret(rename(a, b));
}
static int64_t sys_chdir(sc *c)
{
    PATH(p, A(0));
    return host_ret(chdir(p));
}
static int64_t sys_fchdir(sc *c) { return host_ret(fchdir(SA(0))); }
static int64_t sys_fchmod(sc *c) { return host_ret(fchmod(SA(0), (mode_t)A(1))); }
static int64_t sys_chmod(sc *c)
{
    const char *p = user_str(U, A(0), PATH_MAX);
    return p ? host_ret(chmod(p, (mode_t)A(1))) : -EFAULT;
}

static int64_t sys_poll(sc *c)
{
    /* struct pollfd is the same on both. */
    void *p = kbuf(c, A(0), (uint64_t)A(1) * 8);
    if (!p) return -EFAULT;
    return host_ret(BLOCKING(poll(p, A(1), SA(2))));
}

static int64_t ppoll_common(sc *c, bool t64)
{
    void *p = kbuf(c, A(0), (uint64_t)A(1) * 8);
    if (!p) return -EFAULT;
    struct timespec ts, *tsp = NULL;
    if (A(2)) {
        int64_t e = user_get_timespec(c, A(2), &ts, t64);
        if (e) return e;
        tsp = &ts;
    }
    sigset_t hs, *hsp = NULL;
    if (A(3)) {
        /* ppoll's mask, as the host's (it mirrors the guest's). */
        uint8_t *m;
        GET(m, A(3), 8);
        user_host_sigset(&hs, get64(m));
        hsp = &hs;
    }
    int64_t r = host_ret(BLOCKING(ppoll(p, A(1), tsp, hsp)));
    if (tsp && r >= 0) put_timespec(c, A(2), &ts, t64);
    return r;
}
static int64_t sys_ppoll(sc *c) { return ppoll_common(c, false); }
static int64_t sys_ppoll64(sc *c) { return ppoll_common(c, true); }

/* ---- Memory ------------------------------------------------------------------- */

static int64_t sys_brk(sc *c) { return user_brk(U, A(0)); }

enum {
    ARM_MAP_SHARED = 0x01, ARM_MAP_PRIVATE = 0x02, ARM_MAP_FIXED = 0x10, ARM_MAP_ANONYMOUS = 0x20,
    ARM_MAP_GROWSDOWN = 0x100, ARM_MAP_FIXED_NOREPLACE = 0x100000,
};

static unsigned guest_prot(uint32_t p) { return p & 7; } /* PROT_READ/WRITE/EXEC: 1, 2, 4 on both */

static int host_mmap_prot(unsigned prot)
{
    int p = 0;
    if (prot & (USER_PROT_READ | USER_PROT_EXEC)) p |= PROT_READ;
    if (prot & USER_PROT_WRITE) p |= PROT_WRITE;
    return p;
}

static int64_t sys_mmap2(sc *c)
{
    uint32_t addr = A(0), flags = A(3);
    uint64_t len = user_page_up(A(1));
    unsigned prot = guest_prot(A(2));
    if (!A(1) || (A(1) && !len) || (addr & (USER_PAGE_SIZE - 1) && (flags & ARM_MAP_FIXED))) return -EINVAL;
    if (!(flags & (ARM_MAP_SHARED | ARM_MAP_PRIVATE))) return -EINVAL;
    if (flags & (ARM_MAP_FIXED | ARM_MAP_FIXED_NOREPLACE)) {
        addr = user_page_down(addr);
        if ((uint64_t)addr + len > USER_GUEST_SIZE) return -ENOMEM;
        if ((flags & ARM_MAP_FIXED_NOREPLACE) && !(flags & ARM_MAP_FIXED) && !user_range_free(U, addr, len))
            return -EEXIST;
    } else {
        addr = user_page_down(addr);
        if (!addr || addr < U->mmap_base || !user_range_free(U, addr, len)) addr = user_find_free(U, U->mmap_base, (uint32_t)len);
        if (!addr) addr = user_find_free(U, user_page_up((uint64_t)U->brk + (1u << 20)), (uint32_t)len);
        if (!addr) return -ENOMEM;
    }
    int hflags = (int)(flags & ~(ARM_MAP_GROWSDOWN | ARM_MAP_FIXED_NOREPLACE)) | MAP_FIXED;
    int fd = flags & ARM_MAP_ANONYMOUS ? -1 : SA(4);
    void *p = mmap(U->guest_base + addr, len, host_mmap_prot(prot), hflags, fd, (off_t)A(5) << 12);
    if (p == MAP_FAILED) return -errno;
    memset(U->pages + (addr >> USER_PAGE_BITS), USER_PAGE_MAPPED | prot, len >> USER_PAGE_BITS);
    if (U->invalidate) U->invalidate(U->invalidate_opaque, addr, (uint32_t)(addr + len - 1));
    return addr;
}

static int64_t sys_munmap(sc *c)
{
    if (A(0) & (USER_PAGE_SIZE - 1) || !A(1)) return -EINVAL;
    uint64_t len = user_page_up(A(1));
    if ((uint64_t)A(0) + len > USER_GUEST_SIZE || !len) return -EINVAL;
    return user_unmap(U, A(0), (uint32_t)len);
}

static int64_t sys_mprotect(sc *c) { return user_protect(U, A(0), A(1), guest_prot(A(2))); }

static int64_t sys_mremap(sc *c)
{
    uint32_t old = A(0), flags = A(3);
    uint64_t olen = user_page_up(A(1)), nlen = user_page_up(A(2));
    if (old & (USER_PAGE_SIZE - 1) || !nlen || !olen || (flags & ~3u)) return -EINVAL;
    if ((uint64_t)old + olen > USER_GUEST_SIZE) return -EFAULT;
    for (uint64_t a = old; a < old + olen; a += USER_PAGE_SIZE)
        if (!(U->pages[a >> USER_PAGE_BITS] & USER_PAGE_MAPPED)) return -EFAULT;
    uint8_t prot = U->pages[old >> USER_PAGE_BITS] & 7;
    if (nlen <= olen && !(flags & 2)) {
        if (nlen < olen) user_unmap(U, (uint32_t)(old + nlen), (uint32_t)(olen - nlen));
        return old;
    }
    if (!(flags & 2) && user_range_free(U, (uint32_t)(old + olen), nlen - olen)) {
        /* Grow in place: give the host the reservation's pages first. */
        munmap(U->guest_base + old + olen, nlen - olen);
        if (mremap(U->guest_base + old, olen, nlen, 0) == MAP_FAILED) {
            int err = errno;
            mmap(U->guest_base + old + olen, nlen - olen, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
            return -err;
        }
        memset(U->pages + ((old + olen) >> USER_PAGE_BITS), USER_PAGE_MAPPED | prot, (nlen - olen) >> USER_PAGE_BITS);
        return old;
    }
    if (!(flags & 1)) return -ENOMEM; /* MREMAP_MAYMOVE */
    uint32_t to;
    if (flags & 2) { /* MREMAP_FIXED */
        to = A(4);
        if (to & (USER_PAGE_SIZE - 1) || (uint64_t)to + nlen > USER_GUEST_SIZE) return -EINVAL;
    } else {
        to = user_find_free(U, U->mmap_base, (uint32_t)nlen);
        if (!to) return -ENOMEM;
    }
    uint8_t *saved = malloc(olen >> USER_PAGE_BITS);
    if (!saved) return -ENOMEM;
    memcpy(saved, U->pages + (old >> USER_PAGE_BITS), olen >> USER_PAGE_BITS);
    if (mremap(U->guest_base + old, olen, nlen, MREMAP_MAYMOVE | MREMAP_FIXED, U->guest_base + to) == MAP_FAILED) {
        free(saved);
        return -errno;
    }
    /* The old range is a hole in the reservation now: fill it back. */
    mmap(U->guest_base + old, olen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    memset(U->pages + (old >> USER_PAGE_BITS), 0, olen >> USER_PAGE_BITS);
    uint64_t keep = nlen < olen ? nlen : olen;
    memcpy(U->pages + (to >> USER_PAGE_BITS), saved, keep >> USER_PAGE_BITS);
    if (nlen > olen) memset(U->pages + ((to + olen) >> USER_PAGE_BITS), USER_PAGE_MAPPED | prot, (nlen - olen) >> USER_PAGE_BITS);
    free(saved);
    if (U->invalidate) {
        U->invalidate(U->invalidate_opaque, old, (uint32_t)(old + olen - 1));
        U->invalidate(U->invalidate_opaque, to, (uint32_t)(to + nlen - 1));
    }
    return to;
}

/* ---- ARM private calls (arch/arm/include/uapi/asm/unistd.h) ------------------- */

static int64_t sys_cacheflush(sc *c)
{
    /* Stores into translated code are caught as they happen. */
    return 0;
}

static int64_t sys_set_tls(sc *c)
{
    *c->t->tls = A(0);
    return 0;
}

static int64_t sys_get_tls(sc *c) { return *c->t->tls; }

/* SysV IPC (user/ipc_arm.c). */
#define IPC_CALL(name)                                                                              \
    static int64_t sys_##name(sc *c) { return user_arm_##name(c->u, c->a); }
IPC_CALL(semop) IPC_CALL(semget) IPC_CALL(semctl) IPC_CALL(semtimedop) IPC_CALL(semtimedop_time64)
IPC_CALL(msgsnd) IPC_CALL(msgrcv) IPC_CALL(msgget) IPC_CALL(msgctl)
IPC_CALL(shmat) IPC_CALL(shmdt) IPC_CALL(shmget) IPC_CALL(shmctl)
#undef IPC_CALL

/* ---- The table --------------------------------------------------------------- */

static const sys_def arm_syscalls[] = {
    {1, "exit", "d", sys_exit},
    {2, "fork", "", sys_fork},
    {3, "read", "fxu", sys_read},
    {4, "write", "fxu", sys_write},
    {5, "open", "sxo", sys_open},
    {6, "close", "f", sys_close},
    {9, "link", "ss", sys_link},
    {10, "unlink", "s", sys_unlink},
    {11, "execve", "sxx", sys_execve},
    {12, "chdir", "s", sys_chdir},
    {14, "mknod", "sox", sys_mknod},
    {15, "chmod", "so", sys_chmod},
    {19, "lseek", "fdd", sys_lseek},
    {20, "getpid", "", sys_getpid},
    {24, "getuid", "", sys_getuid},
    {29, "pause", "", sys_pause},
    {33, "access", "so", sys_access},
    {36, "sync", "", sys_sync},
    {37, "kill", "dd", sys_kill},
    {38, "rename", "ss", sys_rename},
    {39, "mkdir", "so", sys_mkdir},
    {40, "rmdir", "s", sys_rmdir},
    {41, "dup", "f", sys_dup},
    {42, "pipe", "x", NULL}, /* pipe2 with no flags, below */
    {43, "times", "x", sys_times},
    {45, "brk", "xX", sys_brk},
    {47, "getgid", "", sys_getgid},
    {49, "geteuid", "", sys_geteuid},
    {50, "getegid", "", sys_getegid},
    {54, "ioctl", "fxx", sys_ioctl},
    {55, "fcntl", "fdx", sys_fcntl64},
    {57, "setpgid", "dd", sys_setpgid},
    {60, "umask", "o", sys_umask},
    {61, "chroot", "s", sys_chroot},
    {63, "dup2", "ff", sys_dup2},
    {64, "getppid", "", sys_getppid},
    {65, "getpgrp", "", sys_getpgrp},
    {66, "setsid", "", sys_setsid},
    {77, "getrusage", "dx", sys_getrusage},
    {78, "gettimeofday", "xx", sys_gettimeofday},
    {83, "symlink", "ss", sys_symlink},
    {85, "readlink", "sxu", sys_readlink},
    {91, "munmap", "xu", sys_munmap},
    {94, "fchmod", "fo", sys_fchmod},
    {96, "getpriority", "dd", sys_getpriority},
    {97, "setpriority", "ddd", sys_setpriority},
    {104, "setitimer", "dxx", sys_setitimer},
    {105, "getitimer", "dx", sys_getitimer},
    {114, "wait4", "dxxx", sys_wait4},
    {116, "sysinfo", "x", sys_sysinfo},
    {118, "fsync", "f", sys_fsync},
    {119, "sigreturn", "", sys_sigreturn},
    {120, "clone", "xxxxx", sys_clone},
    {122, "uname", "x", sys_uname},
    {125, "mprotect", "xux", sys_mprotect},
    {132, "getpgid", "d", sys_getpgid},
    {133, "fchdir", "f", sys_fchdir},
    {140, "_llseek", "fxxxd", sys_llseek},
    {142, "_newselect", "dxxxx", sys_newselect},
    {143, "flock", "fd", sys_flock},
    {145, "readv", "fxu", sys_readv},
    {146, "writev", "fxu", sys_writev},
    {147, "getsid", "d", sys_getsid},
    {148, "fdatasync", "f", sys_fdatasync},
    {158, "sched_yield", "", sys_sched_yield},
    {162, "nanosleep", "xx", sys_nanosleep},
    {163, "mremap", "xuuxxX", sys_mremap},
    {168, "poll", "xud", sys_poll},
    {172, "prctl", "dxxxx", sys_prctl},
    {173, "rt_sigreturn", "", sys_rt_sigreturn},
    {174, "rt_sigaction", "dxxu", sys_rt_sigaction},
    {175, "rt_sigprocmask", "dxxu", sys_rt_sigprocmask},
    {176, "rt_sigpending", "xu", sys_rt_sigpending},
    {177, "rt_sigtimedwait", "xxxu", sys_rt_sigtimedwait},
    {178, "rt_sigqueueinfo", "ddx", sys_rt_sigqueueinfo},
    {179, "rt_sigsuspend", "xu", sys_rt_sigsuspend},
    {180, "pread64", "fxuxuu", sys_pread64},
    {181, "pwrite64", "fxuxuu", sys_pwrite64},
    {183, "getcwd", "xu", sys_getcwd},
    {186, "sigaltstack", "xx", sys_sigaltstack},
    {190, "vfork", "", sys_vfork},
    {191, "ugetrlimit", "dx", sys_ugetrlimit},
    {192, "mmap2", "xuxxfxX", sys_mmap2},
    {193, "truncate64", "sxuu", sys_truncate64},
    {194, "ftruncate64", "fxuu", sys_ftruncate64},
    {195, "stat64", "sx", sys_stat64},
    {196, "lstat64", "sx", sys_lstat64},
    {197, "fstat64", "fx", sys_fstat64},
    {198, "lchown32", "sdd", sys_lchown},
    {199, "getuid32", "", sys_getuid},
    {200, "getgid32", "", sys_getgid},
    {201, "geteuid32", "", sys_geteuid},
    {202, "getegid32", "", sys_getegid},
    {205, "getgroups32", "dx", sys_getgroups},
    {206, "setgroups32", "dx", sys_setgroups},
    {207, "fchown32", "fdd", sys_fchown},
    {208, "setresuid32", "ddd", sys_setresuid},
    {209, "getresuid32", "xxx", sys_getresuid},
    {210, "setresgid32", "ddd", sys_setresgid},
    {211, "getresgid32", "xxx", sys_getresgid},
    {212, "chown32", "sdd", sys_chown},
    {213, "setuid32", "d", sys_setuid},
    {214, "setgid32", "d", sys_setgid},
    {217, "getdents64", "fxu", sys_getdents64},
    {220, "madvise", "xux", sys_zero},
    {221, "fcntl64", "fdx", sys_fcntl64},
    {224, "gettid", "", sys_gettid},
    {238, "tkill", "dd", sys_tkill},
    {239, "sendfile64", "ffxu", sys_sendfile64},
    {240, "futex", "xdxxxx", sys_futex},
    {241, "sched_setaffinity", "dux", sys_sched_setaffinity},
    {242, "sched_getaffinity", "dux", sys_sched_getaffinity},
    {248, "exit_group", "d", sys_exit_group},
    {250, "epoll_create", "d", sys_epoll_create},
    {251, "epoll_ctl", "fdfx", sys_epoll_ctl},
    {252, "epoll_wait", "fxdd", sys_epoll_wait},
    {256, "set_tid_address", "x", sys_set_tid_address},
    {263, "clock_gettime", "dx", sys_clock_gettime},
    {264, "clock_getres", "dx", sys_clock_getres},
    {265, "clock_nanosleep", "ddxx", sys_clock_nanosleep},
    {266, "statfs64", "sux", sys_statfs64},
    {267, "fstatfs64", "fux", sys_fstatfs64},
    {268, "tgkill", "ddd", sys_tgkill},
    {269, "utimes", "sx", sys_utimes},
    {270, "arm_fadvise64_64", "fdxxxx", sys_fadvise64_64},
    {280, "waitid", "ddxxx", sys_waitid},
    {281, "socket", "ddd", sys_socket},
    {282, "bind", "fxu", sys_bind},
    {283, "connect", "fxu", sys_connect},
    {284, "listen", "fd", sys_listen},
    {285, "accept", "fxx", sys_accept},
    {286, "getsockname", "fxx", sys_getsockname},
    {287, "getpeername", "fxx", sys_getpeername},
    {288, "socketpair", "dddx", sys_socketpair},
    {289, "send", "fxux", sys_send},
    {290, "sendto", "fxuxxu", sys_sendto},
    {291, "recv", "fxux", sys_recv},
    {292, "recvfrom", "fxuxxx", sys_recvfrom},
    {293, "shutdown", "fd", sys_shutdown},
    {294, "setsockopt", "fddxu", sys_setsockopt},
    {295, "getsockopt", "fddxx", sys_getsockopt},
    {296, "sendmsg", "fxx", sys_sendmsg},
    {297, "recvmsg", "fxx", sys_recvmsg},
    {298, "semop", "dxu", sys_semop},
    {299, "semget", "ddo", sys_semget},
    {300, "semctl", "dddx", sys_semctl},
    {301, "msgsnd", "dxux", sys_msgsnd},
    {302, "msgrcv", "dxudx", sys_msgrcv},
    {303, "msgget", "do", sys_msgget},
    {304, "msgctl", "dxx", sys_msgctl},
    {305, "shmat", "dxxX", sys_shmat},
    {306, "shmdt", "x", sys_shmdt},
    {307, "shmget", "duo", sys_shmget},
    {308, "shmctl", "dxx", sys_shmctl},
    {312, "semtimedop", "dxux", sys_semtimedop},
    {322, "openat", "fsxo", sys_openat},
    {323, "mkdirat", "fso", sys_mkdirat},
    {324, "mknodat", "fsox", sys_mknodat},
    {325, "fchownat", "fsddx", sys_fchownat},
    {327, "fstatat64", "fsxx", sys_fstatat64},
    {328, "unlinkat", "fsx", sys_unlinkat},
    {329, "renameat", "fsfs", sys_renameat},
    {330, "linkat", "fsfsx", sys_linkat},
    {331, "symlinkat", "sfs", sys_symlinkat},
    {332, "readlinkat", "fsxu", sys_readlinkat},
    {333, "fchmodat", "fso", sys_fchmodat},
    {334, "faccessat", "fso", sys_faccessat},
    {335, "pselect6", "dxxxxx", sys_pselect6},
    {336, "ppoll", "xuxxu", sys_ppoll},
    {338, "set_robust_list", "xu", sys_set_robust_list},
    {346, "epoll_pwait", "fxddxu", sys_epoll_pwait},
    {348, "utimensat", "fsxx", sys_utimensat},
    {350, "timerfd_create", "dx", sys_timerfd_create},
    {351, "eventfd", "u", sys_eventfd},
    {353, "timerfd_settime", "fxxx", sys_timerfd_settime},
    {354, "timerfd_gettime", "fx", sys_timerfd_gettime},
    {356, "eventfd2", "ux", sys_eventfd2},
    {357, "epoll_create1", "x", sys_epoll_create1},
    {358, "dup3", "ffx", sys_dup3},
    {359, "pipe2", "xx", sys_pipe2},
    {363, "rt_tgsigqueueinfo", "dddx", sys_rt_tgsigqueueinfo},
    {365, "recvmmsg", "fxuxx", sys_recvmmsg},
    {366, "accept4", "fxxx", sys_accept4},
    {369, "prlimit64", "ddxx", sys_prlimit64},
    {374, "sendmmsg", "fxux", sys_sendmmsg},
    {382, "renameat2", "fsfsx", sys_renameat2},
    {384, "getrandom", "xux", sys_getrandom},
    {397, "statx", "fsxxx", sys_statx},
    {403, "clock_gettime64", "dx", sys_clock_gettime64},
    {406, "clock_getres_time64", "dx", sys_clock_getres64},
    {407, "clock_nanosleep_time64", "ddxx", sys_clock_nanosleep64},
    {410, "timerfd_gettime64", "fx", sys_timerfd_gettime64},
    {411, "timerfd_settime64", "fxxx", sys_timerfd_settime64},
    {412, "utimensat_time64", "fsxx", sys_utimensat64},
    {413, "pselect6_time64", "dxxxxx", sys_pselect6_64},
    {414, "ppoll_time64", "xuxxu", sys_ppoll64},
    {417, "recvmmsg_time64", "fxuxx", sys_recvmmsg64},
    {420, "semtimedop_time64", "dxux", sys_semtimedop_time64},
    {421, "rt_sigtimedwait_time64", "xxxu", sys_rt_sigtimedwait64},
    {422, "futex_time64", "xdxxxx", sys_futex_time64},
    {439, "faccessat2", "fsox", sys_faccessat2},
    {441, "epoll_pwait2", "fxdxxu", sys_epoll_pwait2},
    {0xf0002, "cacheflush", "xxx", sys_cacheflush},
    {0xf0005, "set_tls", "x", sys_set_tls},
    {0xf0006, "get_tls", "X", sys_get_tls},
};

static const sys_def *find_syscall(uint32_t nr)
{
    size_t lo = 0, hi = sizeof arm_syscalls / sizeof *arm_syscalls;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (arm_syscalls[mid].nr == nr) return &arm_syscalls[mid];
        if (arm_syscalls[mid].nr < nr) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static void print_call(loom_user *u, FILE *f, const sys_def *d, const uint32_t *a)
{
    fprintf(f, "%d %s(", (int)getpid(), d->name);
    unsigned i = 0;
    for (const char *p = d->fmt; *p && *p != 'X'; p++, i++) {
        if (i) fputc(',', f);
        switch (*p) {
        case 'd': fprintf(f, "%" PRId32, (int32_t)a[i]); break;
        case 'u': fprintf(f, "%" PRIu32, a[i]); break;
        case 'o': fprintf(f, "0%" PRIo32, a[i]); break;
        case 'f':
            if ((int32_t)a[i] == AT_FDCWD) fprintf(f, "AT_FDCWD");
            else fprintf(f, "%" PRId32, (int32_t)a[i]);
            break;
        case 's': {
            const char *s = user_str(u, a[i], PATH_MAX);
            if (s) fprintf(f, "\"%s\"", s);
            else fprintf(f, "0x%08" PRIx32, a[i]);
            break;
        }
        default: fprintf(f, "0x%" PRIx32, a[i]); break;
        }
    }
    fputc(')', f);
}

static void print_result(FILE *f, const sys_def *d, int64_t r)
{
    if (r < 0 && r >= -4095)
        fprintf(f, " = -1 errno=%d (%s)\n", (int)-r, strerror((int)-r));
    else if (d && strchr(d->fmt, 'X'))
        fprintf(f, " = 0x%08" PRIx32 "\n", (uint32_t)r);
    else
        fprintf(f, " = %" PRId64 "\n", r);
}

/* Calls the kernel never restarts after a handler ran (they return EINTR
 * even with SA_RESTART): sleeps, waits with timeouts, poll and select,
 * sigsuspend, SysV semaphores and message queues. */
static bool never_restarted(uint32_t nr)
{
    static const uint16_t nrs[] = {29, 142, 162, 168, 177, 179, 250, 252, 265, 298, 301, 302, 312,
                                   335, 336, 346, 407, 413, 414, 420, 421, 441};
    for (size_t i = 0; i < sizeof nrs / sizeof *nrs; i++)
        if (nrs[i] == nr) return true;
    return false;
}

void user_arm_syscall(user_thread *t)
{
    loom_user *u = t->u;
    uint32_t *regs = t->regs;
    uint32_t nr = regs[7];
    uint32_t args[7];
    memcpy(args, regs, sizeof args);
    sc c = {.u = u, .t = t, .r = regs, .a = args};
    const sys_def *d = find_syscall(nr);
    FILE *log = u->opts.strace ? loom_log_stream(u->sim) : NULL;
    int64_t r;
    if (d && nr == 42) {
        /* pipe(fds): pipe2(fds, 0) */
        uint32_t a2[7] = {args[0], 0};
        c.a = a2;
        r = sys_pipe2(&c);
    } else if (d) {
        if (log && (d->fn == sys_exit || d->fn == sys_exit_group || d->fn == sys_execve)) {
            print_call(u, log, d, args);
            fputc('\n', log);
        }
        r = d->fn(&c);
    } else {
        loom_log(u->sim, LOOM_LOG_UNIMP, "user: unimplemented system call %" PRIu32 " (0x%" PRIx32 ")\n", nr, nr);
        if (log) fprintf(log, "%d Unknown syscall %" PRIu32 "\n", (int)getpid(), nr);
        r = -ENOSYS;
    }
    if (log && d && d->fn != sys_exit && d->fn != sys_exit_group) {
        print_call(u, log, d, args);
        if (c.keep_regs) fputc('\n', log);
        else print_result(log, d, r);
    }
    if (c.keep_regs) return;
    if (r == -EINTR && d && !never_restarted(nr)) {
        /* A host signal interrupted the host call. Run the call again
         * (after the handler, when there is one) if the guest's handler has
         * SA_RESTART or no guest signal is due at all. */
        bool restart = true;
        if (!user_sig_interrupting(t, &restart) || restart) {
            regs[15] -= ((arm_state *)t->arch)->thumb ? 2 : 4;
            return;
        }
    }
    regs[0] = (uint32_t)r;
}
