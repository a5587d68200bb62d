/* Private to user/: the context of one ARM system call, shared by the files
 * that implement them (syscall_arm.c, signal_arm.c, proc_arm.c). */
#ifndef LOOM_USER_SYS_H
#define LOOM_USER_SYS_H

#include <errno.h>
#include <string.h>

#include "user.h"

typedef struct sc {
    loom_user *u;
    user_thread *t;
    uint32_t *r;          /* r0..r15 */
    const uint32_t *a;    /* r0..r6 as they were: the arguments */
    bool keep_regs;       /* sigreturn: the registers are the result, not r0 */
} sc;

typedef int64_t (*sys_fn)(sc *c);

#define A(i) (c->a[i])
#define SA(i) ((int32_t)c->a[i])
#define U (c->u)

static inline int64_t host_ret(long r) { return r < 0 ? -errno : r; }

/* Memory Loom itself reads or writes: every page must allow it. */
#define GET(ptr, addr, len)                                                                         \
    do {                                                                                           \
        if (!((ptr) = user_ptr(U, (addr), (len), USER_PROT_READ))) return -EFAULT;                 \
    } while (0)
#define PUT(ptr, addr, len)                                                                         \
    do {                                                                                           \
        if (!((ptr) = user_ptr(U, (addr), (len), USER_PROT_WRITE))) return -EFAULT;                \
    } while (0)

static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A buffer the host kernel reads or writes: only the range is checked here,
 * the kernel answers EFAULT for pages the guest may not touch. */
static inline void *kbuf(sc *c, uint32_t addr, uint64_t len)
{
    if ((uint64_t)addr + len > USER_GUEST_SIZE) return NULL;
    if (len && !addr) return NULL;
    return U->guest_base + addr;
}

/* n bytes the host wrote into guest memory at addr (a read() into memory
 * that holds translated code). */
static inline void invalidate_written(sc *c, uint32_t addr, int64_t n)
{
    if (n > 0 && U->invalidate) U->invalidate(U->invalidate_opaque, addr, (uint32_t)(addr + n - 1));
}

/* Run a blocking host call without the run lock, so other guest threads
 * go on meanwhile. */
#define BLOCKING(expr)                                                                              \
    ({                                                                                             \
        user_unlock(U);                                                                            \
        __typeof__(expr) blocking_r_ = (expr);                                                     \
        int blocking_errno_ = errno;                                                               \
        user_lock(U);                                                                              \
        errno = blocking_errno_;                                                                   \
        blocking_r_;                                                                               \
    })

/* signal_arm.c */
int64_t sys_rt_sigaction(sc *c);
int64_t sys_rt_sigprocmask(sc *c);
int64_t sys_sigaltstack(sc *c);
int64_t sys_rt_sigreturn(sc *c);
int64_t sys_sigreturn(sc *c);
int64_t sys_rt_sigsuspend(sc *c);
int64_t sys_rt_sigpending(sc *c);
int64_t sys_rt_sigtimedwait(sc *c);
int64_t sys_rt_sigtimedwait64(sc *c);
int64_t sys_rt_sigqueueinfo(sc *c);
int64_t sys_rt_tgsigqueueinfo(sc *c);
int64_t sys_kill(sc *c);
int64_t sys_tkill(sc *c);
int64_t sys_tgkill(sc *c);
int64_t sys_setitimer(sc *c);
int64_t sys_getitimer(sc *c);
int64_t sys_pause(sc *c);
/* Host siginfo to the guest's 32-bit layout. */
void user_siginfo_from_host(uint8_t *g, const siginfo_t *si);
/* A guest signal mask (bit sig-1) as a host set, without the signals the
 * host never blocks (Loom's own faults, SIGKILL, SIGSTOP). */
void user_host_sigset(sigset_t *hs, uint64_t mask);

/* syscall_arm.c: a guest struct timespec (t64: the 64-bit time layout) at
 * addr; 0 or -EFAULT. */
int64_t user_get_timespec(sc *c, uint32_t addr, struct timespec *ts, bool t64);

/* proc_arm.c */
int64_t sys_clone(sc *c);
int64_t sys_fork(sc *c);
int64_t sys_vfork(sc *c);
int64_t sys_execve(sc *c);
int64_t sys_wait4(sc *c);
int64_t sys_waitid(sc *c);
int64_t sys_exit(sc *c);
int64_t sys_exit_group(sc *c);
int64_t sys_set_tid_address(sc *c);
int64_t sys_futex(sc *c);
int64_t sys_futex_time64(sc *c);
int64_t sys_getrusage(sc *c);

/* net_arm.c: sockets, epoll, eventfd, timerfd */
int64_t sys_socket(sc *c);
int64_t sys_socketpair(sc *c);
int64_t sys_bind(sc *c);
int64_t sys_connect(sc *c);
int64_t sys_listen(sc *c);
int64_t sys_accept(sc *c);
int64_t sys_accept4(sc *c);
int64_t sys_getsockname(sc *c);
int64_t sys_getpeername(sc *c);
int64_t sys_send(sc *c);
int64_t sys_sendto(sc *c);
int64_t sys_recv(sc *c);
int64_t sys_recvfrom(sc *c);
int64_t sys_shutdown(sc *c);
int64_t sys_setsockopt(sc *c);
int64_t sys_getsockopt(sc *c);
int64_t sys_sendmsg(sc *c);
int64_t sys_recvmsg(sc *c);
int64_t sys_sendmmsg(sc *c);
int64_t sys_recvmmsg(sc *c);
int64_t sys_recvmmsg64(sc *c);
int64_t sys_epoll_create(sc *c);
int64_t sys_epoll_create1(sc *c);
int64_t sys_epoll_ctl(sc *c);
int64_t sys_epoll_wait(sc *c);
int64_t sys_epoll_pwait(sc *c);
int64_t sys_epoll_pwait2(sc *c);
int64_t sys_eventfd(sc *c);
int64_t sys_eventfd2(sc *c);
int64_t sys_timerfd_create(sc *c);
int64_t sys_timerfd_settime(sc *c);
int64_t sys_timerfd_settime64(sc *c);
int64_t sys_timerfd_gettime(sc *c);
int64_t sys_timerfd_gettime64(sc *c);

/* misc_arm.c */
int64_t sys_link(sc *c);
int64_t sys_mknod(sc *c);
int64_t sys_sync(sc *c);
int64_t sys_times(sc *c);
int64_t sys_setpgid(sc *c);
int64_t sys_chroot(sc *c);
int64_t sys_setsid(sc *c);
int64_t sys_symlink(sc *c);
int64_t sys_getpriority(sc *c);
int64_t sys_setpriority(sc *c);
int64_t sys_sysinfo(sc *c);
int64_t sys_newselect(sc *c);
int64_t sys_flock(sc *c);
int64_t sys_prctl(sc *c);
int64_t sys_truncate64(sc *c);
int64_t sys_lchown(sc *c);
int64_t sys_getgroups(sc *c);
int64_t sys_setgroups(sc *c);
int64_t sys_fchown(sc *c);
int64_t sys_setresuid(sc *c);
int64_t sys_getresuid(sc *c);
int64_t sys_setresgid(sc *c);
int64_t sys_getresgid(sc *c);
int64_t sys_chown(sc *c);
int64_t sys_setuid(sc *c);
int64_t sys_setgid(sc *c);
int64_t sys_sendfile64(sc *c);
int64_t sys_sched_setaffinity(sc *c);
int64_t sys_statfs64(sc *c);
int64_t sys_fstatfs64(sc *c);
int64_t sys_utimes(sc *c);
int64_t sys_fadvise64_64(sc *c);
int64_t sys_mknodat(sc *c);
int64_t sys_fchownat(sc *c);
int64_t sys_linkat(sc *c);
int64_t sys_symlinkat(sc *c);
int64_t sys_fchmodat(sc *c);
int64_t sys_pselect6(sc *c);
int64_t sys_utimensat(sc *c);
int64_t sys_utimensat64(sc *c);
int64_t sys_pselect6_64(sc *c);

#endif
