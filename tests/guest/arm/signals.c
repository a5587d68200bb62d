/* Signals for `loom user arm`: SA_SIGINFO handlers and what they are told
 * (si_signo, si_code, si_pid, si_uid, si_value) for raise, kill and
 * sigqueue; nested delivery with and without SA_NODEFER and with sa_mask;
 * blocking, pending, coalescing and the order of delivery; queued real-time
 * signals; sigsuspend; a timer interrupting a busy loop; a handler on an
 * alternate stack (also for a stack overflow); SIGSEGV and SIGILL caught
 * and left with siglongjmp; SA_RESETHAND; SA_RESTART and EINTR for a read
 * on a pipe. With an argument it dies of an uncaught signal instead (die-term,
 * die-segv, die-abort) so that the exit status can be checked.
 * Output is deterministic; compared with qemu-arm by
 * tests/cli/test_loom_user_posix.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    if (mask) sa.sa_mask = *mask;
    else sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL)) printf("sigaction(%d): %s\n", sig, strerror(errno));
}

static void set_timer(long usec)
{
    struct itimerval it = {{0, 0}, {usec / 1000000, usec % 1000000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static int blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

/* ---- What a handler is told ---------------------------------------------------- */

static volatile sig_atomic_t got_signo, got_code, got_pid_is_me, got_uid_is_me, got_value, got_count;

static void info_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_count++;
    got_signo = sig == si->si_signo ? si->si_signo : -1;
    got_code = si->si_code;
    got_pid_is_me = si->si_pid == getpid();
    got_uid_is_me = si->si_uid == getuid();
    got_value = si->si_value.sival_int;
}

static void report(const char *what)
{
    printf("%s: count %d signo %d code %d pid is me %d uid is me %d\n", what, (int)got_count, (int)got_signo,
           (int)got_code, (int)got_pid_is_me, (int)got_uid_is_me);
    got_count = got_signo = got_code = got_pid_is_me = got_uid_is_me = 0;
}

static void test_siginfo(void)
{
    printf("== siginfo\n");
    install(SIGUSR1, info_handler, 0, NULL);
    install(SIGUSR2, info_handler, 0, NULL);
    raise(SIGUSR1);
    report("raise SIGUSR1");
    kill(getpid(), SIGUSR2);
    report("kill SIGUSR2");
    union sigval v = {.sival_int = 4242};
    if (sigqueue(getpid(), SIGUSR1, v)) printf("sigqueue: %s\n", strerror(errno));
    printf("sigqueue value %d\n", (int)got_value);
    report("sigqueue SIGUSR1");
    struct sigaction old;
    sigaction(SIGUSR1, NULL, &old);
    printf("sigaction reads back the handler: %d, SA_SIGINFO %d\n", old.sa_sigaction == info_handler,
           !!(old.sa_flags & SA_SIGINFO));
}

/* ---- Nested delivery ------------------------------------------------------------ */

static char events[512];
static volatile int depth;

static void event(const char *fmt, int a)
{
    char b[64];
    snprintf(b, sizeof b, fmt, a);
    strcat(events, b);
    strcat(events, " ");
}

static void nest_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    static int runs;
    int me = ++runs;
    depth++;
    event("A%d{", me);
    event("usr1-blocked=%d", blocked(SIGUSR1));
    if (me == 1) {
        raise(SIGUSR1); /* deferred: SIGUSR1 is blocked in its own handler */
        event("after-raise-usr1", 0);
        raise(SIGUSR2); /* runs now, nested */
        event("after-raise-usr2", 0);
    }
    event("}A%d", me);
    depth--;
}

static void nest_usr2(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    event("B{depth=%d}", depth);
}

static void nodefer_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    int me = ++depth;
    event("C%d{", me);
    event("usr1-blocked=%d", blocked(SIGUSR1));
    if (me < 3) raise(SIGUSR1); /* delivered at once: SA_NODEFER */
    event("}C%d", me);
    depth--;
}

static void masked_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    event("M{usr2-blocked=%d", blocked(SIGUSR2));
    raise(SIGUSR2); /* in sa_mask: waits for this handler to return */
    event("}M", 0);
}

static void test_nesting(void)
{
    printf("== nesting\n");
    install(SIGUSR1, nest_usr1, 0, NULL);
    install(SIGUSR2, nest_usr2, 0, NULL);
    events[0] = 0;
    raise(SIGUSR1);
    printf("default: %s\n", events);

    install(SIGUSR1, nodefer_usr1, SA_NODEFER, NULL);
    events[0] = 0;
    depth = 0;
    raise(SIGUSR1);
    printf("SA_NODEFER: %s\n", events);

    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    install(SIGUSR1, masked_usr1, 0, &m);
    events[0] = 0;
    depth = 0;
    raise(SIGUSR1);
    printf("sa_mask: %s\n", events);
    printf("mask restored after handlers: usr1 %d usr2 %d\n", blocked(SIGUSR1), blocked(SIGUSR2));
}

/* ---- Blocking, pending, order ---------------------------------------------------- */

static void order_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig >= SIGRTMIN) event("RT+%d", sig - SIGRTMIN), event("v%d", si->si_value.sival_int);
    else event("sig%d", sig);
}

static void test_blocking(void)
{
    printf("== blocking\n");
    install(SIGUSR1, order_handler, 0, NULL);
    install(SIGUSR2, order_handler, 0, NULL);
    install(SIGRTMIN, order_handler, 0, NULL);
    sigset_t b, old, pend;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR1);
    sigaddset(&b, SIGUSR2);
    sigaddset(&b, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &b, &old);
    events[0] = 0;
    raise(SIGUSR2);
    raise(SIGUSR1);
    raise(SIGUSR1); /* a standard signal pending twice is delivered once */
    for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
    sigpending(&pend);
    printf("while blocked: delivered '%s', pending usr1 %d usr2 %d rtmin %d\n", events, sigismember(&pend, SIGUSR1),
           sigismember(&pend, SIGUSR2), sigismember(&pend, SIGRTMIN));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("after unblocking: %s\n", events);
    sigpending(&pend);
    printf("nothing pending: %d\n", !sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGRTMIN));

    /* Ignored signals are discarded, even while blocked. */
    signal(SIGUSR2, SIG_IGN);
    sigprocmask(SIG_BLOCK, &b, &old);
    raise(SIGUSR2);
    sigpending(&pend);
    printf("ignored and blocked is pending: %d\n", sigismember(&pend, SIGUSR2));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGKILL cannot be caught: %s\n",
           sigaction(SIGKILL, &(struct sigaction){.sa_handler = SIG_IGN}, NULL) ? strerror(errno) : "it can");
}

/* ---- sigsuspend, timers ------------------------------------------------------------ */

static volatile sig_atomic_t alarms, alarm_code;

static void alarm_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    alarms++;
    alarm_code = si->si_code;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_suspend_and_timers(void)
{
    printf("== sigsuspend and timers\n");
    install(SIGUSR1, info_handler, 0, NULL);
    sigset_t b, old;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR1);
    sigaddset(&b, SIGALRM);
    sigprocmask(SIG_BLOCK, &b, &old);
    raise(SIGUSR1);
    sigset_t during = old;
    int r = sigsuspend(&during);
    printf("sigsuspend with SIGUSR1 pending: %d %s, handler ran %d, usr1 blocked again %d\n", r, strerror(errno),
           (int)got_count, blocked(SIGUSR1));
    got_count = 0;

    install(SIGALRM, alarm_handler, 0, NULL);
    set_timer(20000);
    r = sigsuspend(&during);
    printf("sigsuspend until a timer: %d %s, alarms %d, si_code %d\n", r, strerror(errno), (int)alarms,
           (int)alarm_code);
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* A signal that arrives while the program computes. */
    alarms = 0;
    set_timer(30000);
    double start = now();
    unsigned long spins = 0;
    while (!alarms) {
        spins++;
        if (!(spins & 0xfffff) && now() - start > 5) break;
    }
    printf("timer interrupted a busy loop: %s\n", alarms ? "yes" : "no (after 5 s)");

    alarms = 0;
    struct itimerval it = {{0, 10000}, {0, 10000}}; /* periodic */
    setitimer(ITIMER_REAL, &it, NULL);
    start = now();
    while (alarms < 3 && now() - start < 5) {
    }
    set_timer(0);
    printf("periodic timer fired at least 3 times: %s\n", alarms >= 3 ? "yes" : "no");
}

/* ---- The alternate stack ---------------------------------------------------------- */

static char altstack[64 * 1024] __attribute__((aligned(16)));
static volatile uintptr_t handler_sp;
static volatile int on_altstack_flag;

static void alt_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    volatile char local;
    handler_sp = (uintptr_t)&local;
    stack_t cur;
    sigaltstack(NULL, &cur);
    on_altstack_flag = !!(cur.ss_flags & SS_ONSTACK);
}

static sigjmp_buf overflow_jmp;

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    volatile char local;
    handler_sp = (uintptr_t)&local;
    siglongjmp(overflow_jmp, sig);
}

static int recurse(volatile char *p, int n)
{
    volatile char buf[1024];
    if (n > 1000000) return 0; /* 1 GiB: the stack ends long before */
    buf[0] = (char)n;
    buf[1023] = p ? p[0] : 0;
    return recurse(buf, n + 1) + buf[1023];
}

static int in_altstack(uintptr_t a) { return a >= (uintptr_t)altstack && a < (uintptr_t)altstack + sizeof altstack; }

static void test_altstack(void)
{
    printf("== sigaltstack\n");
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0}, old;
    if (sigaltstack(&ss, &old)) printf("sigaltstack: %s\n", strerror(errno));
    printf("previous: disabled %d\n", !!(old.ss_flags & SS_DISABLE));
    install(SIGUSR2, alt_handler, SA_ONSTACK, NULL);
    raise(SIGUSR2);
    printf("handler ran on the alternate stack: %d, SS_ONSTACK inside: %d\n", in_altstack(handler_sp),
           on_altstack_flag);
    install(SIGUSR2, alt_handler, 0, NULL);
    raise(SIGUSR2);
    printf("without SA_ONSTACK: on the alternate stack %d\n", in_altstack(handler_sp));
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("outside a handler: SS_ONSTACK %d, size %zu\n", !!(cur.ss_flags & SS_ONSTACK), cur.ss_size);

    install(SIGSEGV, overflow_handler, SA_ONSTACK, NULL);
    int sig = sigsetjmp(overflow_jmp, 1);
    if (!sig) recurse(NULL, 0);
    printf("stack overflow caught: signal %d on the alternate stack %d\n", sig, in_altstack(handler_sp));
    signal(SIGSEGV, SIG_DFL);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

/* Addresses in the first page, which nothing maps. */
static volatile int *volatile low_page = 0;

/* ---- Faults ---------------------------------------------------------------------- */

static sigjmp_buf fault_jmp;
static volatile uintptr_t fault_addr;
static volatile int fault_code;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    siglongjmp(fault_jmp, sig);
}

/* An undefined instruction: the permanently undefined encodings (UDF). */
void undefined_insn(void);
#ifdef __thumb__
__asm__(".text\n.align 2\n.global undefined_insn\n.type undefined_insn, %function\n.thumb_func\n"
        "undefined_insn:\n udf #0\n bx lr\n");
#else
__asm__(".text\n.align 2\n.global undefined_insn\n.type undefined_insn, %function\n"
        "undefined_insn:\n .inst 0xe7f000f0\n bx lr\n");
#endif

static void test_faults(void)
{
    printf("== faults\n");
    install(SIGSEGV, fault_handler, 0, NULL);
    install(SIGBUS, fault_handler, 0, NULL);
    install(SIGILL, fault_handler, 0, NULL);

    int sig = sigsetjmp(fault_jmp, 1);
    if (!sig) printf("read %d\n", low_page[4]);
    printf("NULL+16 read: signal %d code %d addr 0x%lx\n", sig, fault_code, (unsigned long)fault_addr);

    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(page + 4096, 4096, PROT_NONE);
    sig = sigsetjmp(fault_jmp, 1);
    if (!sig) page[4096 + 40] = 1;
    printf("PROT_NONE write: signal %d code %d offset %ld\n", sig, fault_code, (long)(fault_addr - (uintptr_t)page));
    mprotect(page, 4096, PROT_READ);
    sig = sigsetjmp(fault_jmp, 1);
    if (!sig) page[8] = 1;
    printf("read-only write: signal %d code %d offset %ld\n", sig, fault_code, (long)(fault_addr - (uintptr_t)page));
    munmap(page, 8192);
    sig = sigsetjmp(fault_jmp, 1);
    if (!sig) page[100] = 1;
    printf("unmapped write: signal %d code %d offset %ld\n", sig, fault_code, (long)(fault_addr - (uintptr_t)page));
    printf("SIGSEGV not blocked after siglongjmp: %d\n", !blocked(SIGSEGV));

    /* si_code differs: the kernel says ILL_ILLOPC, qemu-arm ILL_ILLOPN. */
    sig = sigsetjmp(fault_jmp, 1);
    if (!sig) undefined_insn();
    printf("undefined instruction: signal %d at the instruction %d\n", sig,
           fault_addr == ((uintptr_t)undefined_insn & ~(uintptr_t)1));
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGILL, SIG_DFL);
}

/* ---- SA_RESETHAND, SA_RESTART ------------------------------------------------------- */

static int pipe_fds[2];

static void feed_pipe(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    alarms++;
    if (write(pipe_fds[1], "x", 1) != 1) alarms += 100;
}

static void test_flags(void)
{
    printf("== SA_RESETHAND and SA_RESTART\n");
    got_count = 0;
    install(SIGUSR1, info_handler, SA_RESETHAND, NULL);
    raise(SIGUSR1);
    struct sigaction now_sa;
    sigaction(SIGUSR1, NULL, &now_sa);
    printf("SA_RESETHAND: handler ran %d, now SIG_DFL %d\n", (int)got_count, now_sa.sa_handler == SIG_DFL);

    if (pipe(pipe_fds)) printf("pipe: %s\n", strerror(errno));
    char c;
    alarms = 0;
    install(SIGALRM, feed_pipe, SA_RESTART, NULL);
    set_timer(50000);
    errno = 0;
    ssize_t n = read(pipe_fds[0], &c, 1);
    printf("SA_RESTART read: %zd %s, handler ran %d\n", n, n < 0 ? strerror(errno) : "", (int)alarms);

    alarms = 0;
    install(SIGALRM, feed_pipe, 0, NULL);
    set_timer(50000);
    errno = 0;
    n = read(pipe_fds[0], &c, 1);
    printf("read without SA_RESTART: %zd %s, handler ran %d\n", n, n < 0 ? strerror(errno) : "", (int)alarms);
    n = read(pipe_fds[0], &c, 1);
    printf("the byte the handler wrote: %zd '%c'\n", n, n == 1 ? c : '?');

    /* nanosleep is never restarted; it reports the time left. */
    install(SIGALRM, alarm_handler, SA_RESTART, NULL);
    set_timer(20000);
    struct timespec req = {5, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    printf("nanosleep interrupted: %d %s, time left between 4 and 5 s %d\n", r, strerror(errno),
           rem.tv_sec == 4 || (rem.tv_sec == 5 && rem.tv_nsec == 0));
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/* ---- Death by a signal ---------------------------------------------------------------- */

static int die(const char *how)
{
    printf("dying: %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "die-term")) raise(SIGTERM);
    if (!strcmp(how, "die-segv")) return low_page[2];
    if (!strcmp(how, "die-abort")) abort();
    if (!strcmp(how, "die-blocked")) {
        /* Blocked while sent, fatal when unblocked. */
        sigset_t b;
        sigemptyset(&b);
        sigaddset(&b, SIGUSR1);
        sigprocmask(SIG_BLOCK, &b, NULL);
        kill(getpid(), SIGUSR1);
        printf("still alive while blocked\n");
        fflush(stdout);
        sigprocmask(SIG_UNBLOCK, &b, NULL);
    }
    printf("survived %s\n", how);
    return 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) return die(argv[1]);
    test_siginfo();
    test_nesting();
    test_blocking();
    test_suspend_and_timers();
    test_altstack();
    test_faults();
    test_flags();
    printf("done\n");
    return 0;
}
