/* Processes and threads of ARM guests: clone (fork and threads), execve,
 * wait4 and waitid, exit, futex.
 *
 * A guest process is a host process, so fork is the host's fork and pids
 * are the host's. A guest thread is a host thread with a CPU of its own;
 * one thread at a time runs guest code (the run lock), and blocking calls
 * let others run meanwhile. execve of another ARM program starts a fresh
 * Loom for it with the same options; any other file is the host's to run,
 * as under qemu-arm. */
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/futex.h>

#include "sys.h"
#include "arm/arm.h"

enum {
    G_CLONE_VM = 0x100, G_CLONE_FS = 0x200, G_CLONE_FILES = 0x400, G_CLONE_SIGHAND = 0x800,
    G_CLONE_VFORK = 0x4000, G_CLONE_PARENT = 0x8000, G_CLONE_THREAD = 0x10000, G_CLONE_SYSVSEM = 0x40000,
    G_CLONE_SETTLS = 0x80000, G_CLONE_PARENT_SETTID = 0x100000, G_CLONE_CHILD_CLEARTID = 0x200000,
    G_CLONE_DETACHED = 0x400000, G_CLONE_CHILD_SETTID = 0x1000000,
};

/* ---- Exit ----------------------------------------------------------------------- */

/* The thread's end as the kernel does it: clear the tid word and wake
 * one waiter (pthread_join). */
static void clear_child_tid(user_thread *t)
{
    loom_user *u = t->u;
    if (!t->clear_tid) return;
    uint8_t *p = user_ptr(u, t->clear_tid, 4, USER_PROT_WRITE);
    if (p) {
        __atomic_store_n((uint32_t *)p, 0, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, p, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
    t->clear_tid = 0;
}

int64_t sys_exit(sc *c)
{
    user_thread *t = c->t;
    if (U->nthreads > 1) {
        /* Only this thread ends. */
        t->exited = true;
        U->exit_status = (int)(A(0) & 0xff);
        return 0;
    }
    U->exited = true;
    U->exit_status = (int)(A(0) & 0xff);
    return 0;
}

int64_t sys_exit_group(sc *c)
{
    U->exited = true;
    U->exit_status = (int)(A(0) & 0xff);
    return 0;
}

void user_thread_end(user_thread *t)
{
    clear_child_tid(t);
}

int64_t sys_set_tid_address(sc *c)
{
    c->t->clear_tid = A(0);
    return c->t->tid;
}

/* ---- Threads ------------------------------------------------------------------------ */

typedef struct thread_start {
    user_thread *t;
    sem_t started;
} thread_start;

static void *thread_main(void *arg)
{
    thread_start *ts = arg;
    user_thread *t = ts->t;
    t->tid = (int)gettid();
    sem_post(&ts->started); /* ts is gone after this */
    user_lock(t->u);
    user_arm_thread_run(t);
    return NULL;
}

static int64_t clone_thread(sc *c, uint32_t flags)
{
    uint32_t newsp = A(1), ptid = A(2), tls = A(3), ctid = A(4);
    user_thread *parent = c->t;
    user_thread *t = user_arm_thread_new(U, parent);
    if (!t) return -EAGAIN;
    arm_state *s = t->arch;
    s->r[0] = 0;
    if (newsp) s->r[13] = newsp;
    if (flags & G_CLONE_SETTLS) s->tpidruro = tls;
    if (flags & G_CLONE_CHILD_CLEARTID) t->clear_tid = ctid;
    thread_start ts = {.t = t};
    sem_init(&ts.started, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* The new host thread starts with every signal blocked; it takes the
     * guest's mask when it enters guest code. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t th;
    int err = pthread_create(&th, &attr, thread_main, &ts);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (err) {
        user_arm_thread_drop(t);
        sem_destroy(&ts.started);
        return -err;
    }
    while (sem_wait(&ts.started) && errno == EINTR) {
    }
    sem_destroy(&ts.started);
    uint8_t *p;
    if ((flags & G_CLONE_PARENT_SETTID) && (p = user_ptr(U, ptid, 4, USER_PROT_WRITE))) put32(p, (uint32_t)t->tid);
    if ((flags & G_CLONE_CHILD_SETTID) && (p = user_ptr(U, ctid, 4, USER_PROT_WRITE))) put32(p, (uint32_t)t->tid);
    return t->tid;
}

/* ---- Fork ------------------------------------------------------------------------ */

static int64_t do_fork(sc *c, uint32_t flags, uint32_t newsp, uint32_t ptid, uint32_t tls, uint32_t ctid)
{
    if ((flags & 0xff) != SIGCHLD && (flags & 0xff))
        loom_log(U->sim, LOOM_LOG_UNIMP, "user: clone with exit signal %u: the parent gets SIGCHLD\n", flags & 0xff);
    fflush(NULL);
    user_thread *t = c->t;
    jit_engine *eng = ((arm_state *)t->arch)->jc.eng;
    int code_copy = jit_engine_fork_prepare(eng);
    if (code_copy < 0 && jit_engine_backend(eng) == JIT_BACKEND_X86) return -ENOMEM;
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        jit_engine_fork_child(code_copy);
        return -err;
    }
    if (pid) {
        if (jit_engine_fork_parent(eng, code_copy)) {
            /* Both processes on one code cache would corrupt each other. */
            fprintf(stderr, "loom: cannot copy the code cache after fork: %s\n", strerror(errno));
            _exit(EXIT_FAILURE);
        }
        uint8_t *p;
        if ((flags & G_CLONE_PARENT_SETTID) && (p = user_ptr(U, ptid, 4, USER_PROT_WRITE))) put32(p, (uint32_t)pid);
        return pid;
    }
    /* The child: only this thread came along. */
    jit_engine_fork_child(code_copy);
    user_arm_after_fork(t);
    arm_state *s = t->arch;
    if (newsp) s->r[13] = newsp;
    if (flags & G_CLONE_SETTLS) s->tpidruro = tls;
    uint8_t *p;
    if ((flags & G_CLONE_CHILD_SETTID) && (p = user_ptr(U, ctid, 4, USER_PROT_WRITE))) put32(p, (uint32_t)t->tid);
    if (flags & G_CLONE_CHILD_CLEARTID) t->clear_tid = ctid;
    return 0;
}

int64_t sys_clone(sc *c)
{
    uint32_t flags = A(0);
    if ((flags & (G_CLONE_VM | G_CLONE_VFORK)) == G_CLONE_VM) {
        if ((flags & (G_CLONE_THREAD | G_CLONE_SIGHAND)) != (G_CLONE_THREAD | G_CLONE_SIGHAND)) {
            loom_log(U->sim, LOOM_LOG_UNIMP, "user: clone flags 0x%x (shared memory without a thread)\n", flags);
            return -EINVAL;
        }
        return clone_thread(c, flags);
    }
    if (flags & G_CLONE_THREAD) return -EINVAL;
    /* vfork is fork here: the child gets a copy, which programs correct
     * under vfork cannot tell apart. */
    return do_fork(c, flags & ~(uint32_t)(G_CLONE_VM | G_CLONE_VFORK), A(1), A(2), A(3), A(4));
}

int64_t sys_fork(sc *c) { return do_fork(c, SIGCHLD, 0, 0, 0, 0); }
int64_t sys_vfork(sc *c) { return do_fork(c, SIGCHLD, 0, 0, 0, 0); }

/* ---- execve ---------------------------------------------------------------------- */

/* A NULL-terminated vector of guest strings; NULL with *err on failure. */
static char **guest_strv(sc *c, uint32_t addr, int64_t *err)
{
    size_t n = 0, cap = 16;
    char **v = malloc(cap * sizeof *v);
    if (!v) goto nomem;
    for (;; n++) {
        const uint8_t *p = user_ptr(U, addr + 4 * (uint32_t)n, 4, USER_PROT_READ);
        if (!addr) break;
        if (!p) goto fault;
        uint32_t sa = get32(p);
        if (!sa) break;
        const char *s = user_str(U, sa, 128 * 1024);
        if (!s) goto fault;
        if (n + 2 > cap) {
            char **nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) goto nomem;
            v = nv;
        }
        v[n] = (char *)s;
    }
    v[n] = NULL;
    return v;
fault:
    free(v);
    *err = -EFAULT;
    return NULL;
nomem:
    free(v);
    *err = -ENOMEM;
    return NULL;
}

/* Is the file a program for this guest (32-bit little-endian ARM ELF)? */
static bool is_arm_elf(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    uint8_t h[20];
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    return n == (ssize_t)sizeof h && !memcmp(h, "\177ELF", 4) && h[4] == 1 && h[5] == 1 && h[18] == 40 && h[19] == 0;
}

int64_t sys_execve(sc *c)
{
    const char *gp = user_str(U, A(0), PATH_MAX);
    if (!gp) return -EFAULT;
    char buf[PATH_MAX];
    const char *path = gp;
    if (!strcmp(gp, "/proc/self/exe") && U->exe_real) {
        path = U->exe_real;
    } else if (U->opts.sysroot && gp[0] == '/') {
        snprintf(buf, sizeof buf, "%s%s", U->opts.sysroot, gp);
        if (!access(buf, F_OK)) path = buf;
    }
    int64_t err = 0;
    char **argv = guest_strv(c, A(1), &err);
    if (!argv) return err;
    char **envp = guest_strv(c, A(2), &err);
    if (!envp) {
        free(argv);
        return err;
    }
    if (access(path, X_OK)) {
        err = -errno;
        goto out;
    }
    fflush(NULL);
    if (!is_arm_elf(path)) {
        /* Not ours: the host runs it (a host program, or a script whose
         * interpreter the host has). */
        execve(path, argv, envp);
        err = -errno;
        goto out;
    }
    /* loom user arm OPTIONS -0 ARGV0 PATH ARGS... */
    size_t argc = 0;
    while (argv[argc]) argc++;
    char **nv = calloc(argc + (size_t)U->nexec_opts + 8, sizeof *nv);
    if (!nv) {
        err = -ENOMEM;
        goto out;
    }
    size_t k = 0;
    nv[k++] = "loom";
    nv[k++] = "user";
    nv[k++] = "arm";
    for (int i = 0; i < U->nexec_opts; i++) nv[k++] = U->exec_opts[i];
    if (argc) {
        nv[k++] = "-0";
        nv[k++] = argv[0];
    }
    nv[k++] = (char *)path;
    for (size_t i = 1; i < argc; i++) nv[k++] = argv[i];
    nv[k] = NULL;
    execve("/proc/self/exe", nv, envp);
    err = -errno;
    free(nv);
out:
    free(argv);
    free(envp);
    return err;
}

/* ---- wait ------------------------------------------------------------------------ */

/* struct rusage of 32-bit ARM: two timevals, then fourteen 32-bit longs. */
static void put_rusage(uint8_t *p, const struct rusage *ru)
{
    put32(p, (uint32_t)ru->ru_utime.tv_sec);
    put32(p + 4, (uint32_t)ru->ru_utime.tv_usec);
    put32(p + 8, (uint32_t)ru->ru_stime.tv_sec);
    put32(p + 12, (uint32_t)ru->ru_stime.tv_usec);
    const long *l = &ru->ru_maxrss;
    for (int i = 0; i < 14; i++) put32(p + 16 + 4 * i, (uint32_t)l[i]);
}

int64_t sys_wait4(sc *c)
{
    uint8_t *st = NULL, *ru = NULL;
    if (A(1)) PUT(st, A(1), 4);
    if (A(3)) PUT(ru, A(3), 72);
    int status = 0;
    struct rusage r;
    pid_t pid = BLOCKING(wait4(SA(0), &status, SA(2), &r));
    if (pid < 0) return -errno;
    if (pid > 0) {
        if (st) put32(st, (uint32_t)status);
        if (ru) put_rusage(ru, &r);
    }
    return pid;
}

int64_t sys_waitid(sc *c)
{
    uint8_t *info = NULL, *ru = NULL;
    if (A(2)) PUT(info, A(2), 128);
    if (A(4)) PUT(ru, A(4), 72);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    struct rusage r;
    long rc = BLOCKING(syscall(SYS_waitid, SA(0), SA(1), &si, SA(3), &r));
    if (rc < 0) return -errno;
    if (info) {
        if (si.si_pid) user_siginfo_from_host(info, &si);
        else memset(info, 0, 128);
    }
    if (ru) put_rusage(ru, &r);
    return 0;
}

int64_t sys_getrusage(sc *c)
{
    uint8_t *p;
    PUT(p, A(1), 72);
    struct rusage r;
    if (getrusage(SA(0), &r)) return -errno;
    put_rusage(p, &r);
    return 0;
}

/* ---- futex ----------------------------------------------------------------------- */

static int64_t futex_common(sc *c, bool t64)
{
    uint32_t addr = A(0), op = A(1);
    if (addr & 3) return -EINVAL;
    void *w = user_ptr(U, addr, 4, USER_PROT_READ);
    if (!w) return -EFAULT;
    unsigned cmd = op & FUTEX_CMD_MASK;
    struct timespec ts, *tsp = NULL;
    bool has_timeout = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
                       cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_REQUEUE_PI;
    if (has_timeout && A(3)) {
        const uint8_t *p = user_ptr(U, A(3), t64 ? 16 : 8, USER_PROT_READ);
        if (!p) return -EFAULT;
        ts.tv_sec = t64 ? (time_t)get64(p) : (int32_t)get32(p);
        ts.tv_nsec = (int32_t)get32(p + (t64 ? 8 : 4));
        tsp = &ts;
    }
    void *w2 = NULL;
    if (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP || cmd == FUTEX_CMP_REQUEUE_PI ||
        cmd == FUTEX_WAIT_REQUEUE_PI) {
        w2 = user_ptr(U, A(4), 4, USER_PROT_READ);
        if (!w2) return -EFAULT;
    }
    switch (cmd) {
    case FUTEX_WAIT: case FUTEX_WAIT_BITSET: case FUTEX_LOCK_PI: case FUTEX_LOCK_PI2: case FUTEX_WAIT_REQUEUE_PI:
        return host_ret(BLOCKING(syscall(SYS_futex, w, (int)op, A(2), tsp, w2, A(5))));
    case FUTEX_WAKE: case FUTEX_WAKE_BITSET: case FUTEX_UNLOCK_PI: case FUTEX_TRYLOCK_PI:
        return host_ret(syscall(SYS_futex, w, (int)op, A(2), NULL, NULL, A(5)));
    case FUTEX_REQUEUE: case FUTEX_CMP_REQUEUE: case FUTEX_WAKE_OP: case FUTEX_CMP_REQUEUE_PI:
        /* The fourth argument is a count (val2), not a timeout. */
        return host_ret(syscall(SYS_futex, w, (int)op, A(2), (unsigned long)A(3), w2, A(5)));
    default:
        loom_log(U->sim, LOOM_LOG_UNIMP, "user: futex operation %u\n", cmd);
        return -ENOSYS;
    }
}

int64_t sys_futex(sc *c) { return futex_common(c, false); }
int64_t sys_futex_time64(sc *c) { return futex_common(c, true); }
