/* Linux signals for ARM guests.
 *
 * The guest's dispositions and blocked set are mirrored onto the host: a
 * signal the guest ignores is ignored by the host, one it leaves at the
 * default gets the host's default action (so a guest killed by SIGINT is a
 * Loom killed by SIGINT, with the right wait status for its parent), and
 * one it handles is caught by a host handler that records it and stops the
 * CPU at the next block boundary. The host kernel thus does the sending,
 * queueing, blocking and interrupting of system calls; Loom builds the ARM
 * signal frame (arch/arm/kernel/signal.c) and runs the guest's handler.
 *
 * Synchronous signals (faults, undefined instructions, breakpoints) come
 * from the CPU and are forced as the kernel forces them. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#include "sys.h"
#include "arm/arm.h"

/* struct sigaction of 32-bit ARM: handler, flags, restorer, mask. */
enum { GSA_HANDLER = 0, GSA_FLAGS = 4, GSA_RESTORER = 8, GSA_MASK = 12 };
enum {
    G_SA_SIGINFO = 0x4, G_SA_RESTORER = 0x04000000, G_SA_ONSTACK = 0x08000000, G_SA_RESTART = 0x10000000,
    G_SA_NODEFER = 0x40000000, G_SA_RESETHAND = 0x80000000u,
};
enum { G_SS_ONSTACK = 1, G_SS_DISABLE = 2, G_MINSIGSTKSZ = 2048 };

#define BIT(sig) (1ull << ((sig) - 1))
/* Never blocked on the host: they report Loom's own faults (and the
 * guest's, through the JIT), and the two that cannot be blocked. */
#define HOST_UNBLOCKABLE (BIT(SIGSEGV) | BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP) | BIT(SIGKILL) | BIT(SIGSTOP))

/* The vector page: kuser helpers at the end, the sigreturn code at 0x500
 * (ARM, Thumb, ARM rt, Thumb rt; 8 bytes each), as older kernels had them. */
#define VECTORS 0xffff0000u
#define SIGRETURN_CODES (VECTORS + 0x500u)

/* ---- What the host signal handler records ----------------------------------
 * A handler cannot be given a context, so the process-directed signals it
 * records live here; thread-directed ones go to the thread (user_self). */
static user_sig_ring host_ring;
static uint8_t *volatile fault_base;
__thread user_thread *user_self;
user_thread *volatile user_running;

static jit_cpu *jit_of(user_thread *t) { return (jit_cpu *)t->arch; }
static arm_state *arm_of(user_thread *t) { return (arm_state *)t->arch; }

/* Host siginfo (x86-64 layout: the union at 16, 8-byte pointers and longs)
 * to the guest's (the union at 12, 4-byte). */
void user_siginfo_from_host(uint8_t *g, const siginfo_t *si)
{
    memset(g, 0, 128);
    int sig = si->si_signo, code = si->si_code;
    put32(g + 0, (uint32_t)sig);
    put32(g + 4, (uint32_t)si->si_errno);
    put32(g + 8, (uint32_t)code);
    if (code == SI_TIMER) {
        put32(g + 12, (uint32_t)si->si_timerid);
        put32(g + 16, (uint32_t)si->si_overrun);
        put32(g + 20, (uint32_t)(uintptr_t)si->si_value.sival_ptr);
    } else if (code <= 0 || code == SI_KERNEL) {
        put32(g + 12, (uint32_t)si->si_pid);
        put32(g + 16, si->si_uid);
        put32(g + 20, (uint32_t)(uintptr_t)si->si_value.sival_ptr);
    } else if (sig == SIGCHLD) {
        put32(g + 12, (uint32_t)si->si_pid);
        put32(g + 16, si->si_uid);
        put32(g + 20, (uint32_t)si->si_status);
        put32(g + 24, (uint32_t)si->si_utime);
        put32(g + 28, (uint32_t)si->si_stime);
    } else if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP) {
        put32(g + 12, (uint32_t)(uintptr_t)si->si_addr);
    } else if (sig == SIGIO) {
        put32(g + 12, (uint32_t)si->si_band);
        put32(g + 16, (uint32_t)si->si_fd);
    }
}

static void record(user_sig_ring *r, int sig, const siginfo_t *si)
{
    if (sig < 1 || sig > 64) return;
    uint32_t i = __atomic_fetch_add(&r->head, 1, __ATOMIC_SEQ_CST) % USER_SIG_RING;
    int expect = 0;
    /* A full ring drops the signal, as a full kernel queue would. */
    if (__atomic_compare_exchange_n(&r->slot[i].state, &expect, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        user_siginfo_from_host(r->slot[i].info, si);
        __atomic_store_n(&r->slot[i].state, 2, __ATOMIC_SEQ_CST);
    }
    user_thread *run = user_running;
    if (run) jit_cpu_request_exit(jit_of(run));
}

static bool ring_empty(const user_sig_ring *r)
{
    return __atomic_load_n(&r->slot[r->tail % USER_SIG_RING].state, __ATOMIC_SEQ_CST) != 2;
}

static void on_host_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    user_thread *t = user_self;
    record(t && si->si_code == SI_TKILL ? &t->host : &host_ring, sig, si);
    errno = saved;
}

/* A host fault. In translated code touching guest memory it is the
 * guest's: continue at the access's fault pad, which raises the guest's
 * data abort. SIGSEGV or SIGBUS sent by another process is a plain signal. */
static void on_host_fault(int sig, siginfo_t *si, void *ucv)
{
    if (si->si_code <= 0) {
        on_host_signal(sig, si, ucv);
        return;
    }
    ucontext_t *uc = ucv;
    user_thread *t = user_self;
    uint8_t *a = si->si_addr, *base = fault_base;
    if (t && base && a >= base && a < base + USER_RESERVE_SIZE) {
        uintptr_t resume;
        if (jit_host_fault(jit_of(t), (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], (uint64_t)(a - base), &resume)) {
            uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume;
            return;
        }
        char msg[160];
        int n = snprintf(msg, sizeof msg, "loom: internal error: host fault on guest address 0x%08llx outside translated code\n",
                         (unsigned long long)(a - base));
        if (write(2, msg, (size_t)n) < 0) { /* nothing more to do */ }
    }
    /* Loom's own bug: die of it as usual when the handler returns. */
    signal(sig, SIG_DFL);
}

static void set_host_action(int sig, uint32_t handler)
{
    if (sig == SIGKILL || sig == SIGSTOP) return;
    struct sigaction sa = {0};
    sigfillset(&sa.sa_mask);
    if (sig == SIGSEGV || sig == SIGBUS) {
        sa.sa_sigaction = on_host_fault;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    } else if (handler == (uint32_t)(uintptr_t)SIG_DFL) {
        sa.sa_handler = SIG_DFL;
    } else if (handler == (uint32_t)(uintptr_t)SIG_IGN) {
        sa.sa_handler = SIG_IGN;
    } else {
        /* No SA_RESTART: a blocking host call returns EINTR, and the
         * system call layer restarts it if the guest's handler asks. */
        sa.sa_sigaction = on_host_signal;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    }
    sigaction(sig, &sa, NULL);
}

void user_host_sigset(sigset_t *hs, uint64_t mask)
{
    sigemptyset(hs);
    mask &= ~HOST_UNBLOCKABLE;
    for (int sig = 1; sig <= 64; sig++)
        if (mask & BIT(sig)) sigaddset(hs, sig);
}

/* The host thread blocks what the guest thread blocks. */
static void mirror_mask(const user_thread *t)
{
    sigset_t hs;
    user_host_sigset(&hs, t->sigmask);
    pthread_sigmask(SIG_SETMASK, &hs, NULL);
}

void user_sig_init(loom_user *u)
{
    fault_base = u->guest_base;
    /* What the process inherited: ignored signals stay ignored (nohup). */
    for (int sig = 1; sig <= 64; sig++) {
        struct sigaction old;
        memset(u->sigactions[sig], 0, sizeof u->sigactions[sig]);
        if (sig != SIGSEGV && sig != SIGBUS && !sigaction(sig, NULL, &old) && old.sa_handler == SIG_IGN)
            put32(u->sigactions[sig] + GSA_HANDLER, 1);
    }
    set_host_action(SIGSEGV, 0);
    set_host_action(SIGBUS, 0);
}

void user_sig_enter_thread(user_thread *t)
{
    user_self = t;
    /* Host handlers run on a stack of the thread's own: the guest's stack
     * pointer means nothing to the host. Mapped, not static: a sanitizer
     * runtime unmaps a thread's alternate stack when the thread ends. */
    stack_t cur;
    if (!sigaltstack(NULL, &cur) && (cur.ss_flags & SS_DISABLE)) {
        size_t size = 64 * 1024;
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            stack_t ss = {.ss_sp = p, .ss_size = size};
            sigaltstack(&ss, NULL);
        }
    }
    mirror_mask(t);
}

/* ---- Pending signals --------------------------------------------------------- */

struct user_sigq_more {
    struct user_sigq_more *next;
    int sig;
    uint8_t info[128];
};

static void queue(user_sigq *q, int sig, const uint8_t *info)
{
    if (q->set & BIT(sig)) {
        if (sig < 32) return;
        struct user_sigq_more *m = malloc(sizeof *m), **end = &q->more;
        if (!m) return;
        m->next = NULL;
        m->sig = sig;
        memcpy(m->info, info, 128);
        while (*end) end = &(*end)->next;
        *end = m;
        return;
    }
    memcpy(q->info[sig - 1], info, 128);
    q->set |= BIT(sig);
}

/* Take sig off the queue into info; the next instance moves up. */
static void dequeue(user_sigq *q, int sig, uint8_t *info)
{
    memcpy(info, q->info[sig - 1], 128);
    q->set &= ~BIT(sig);
    for (struct user_sigq_more **pp = &q->more; *pp; pp = &(*pp)->next)
        if ((*pp)->sig == sig) {
            struct user_sigq_more *m = *pp;
            *pp = m->next;
            memcpy(q->info[sig - 1], m->info, 128);
            q->set |= BIT(sig);
            free(m);
            break;
        }
}

static void discard(user_sigq *q, int sig)
{
    q->set &= ~BIT(sig);
    for (struct user_sigq_more **pp = &q->more; *pp;) {
        struct user_sigq_more *m = *pp;
        if (m->sig == sig) {
            *pp = m->next;
            free(m);
        } else {
            pp = &m->next;
        }
    }
}

static void collect_ring(user_sig_ring *r, user_sigq *to)
{
    for (;;) {
        uint32_t i = r->tail % USER_SIG_RING;
        if (__atomic_load_n(&r->slot[i].state, __ATOMIC_SEQ_CST) != 2) break;
        queue(to, (int)get32(r->slot[i].info), r->slot[i].info);
        __atomic_store_n(&r->slot[i].state, 0, __ATOMIC_SEQ_CST);
        r->tail++;
    }
}

static void collect(user_thread *t)
{
    collect_ring(&host_ring, &t->u->pending);
    collect_ring(&t->host, &t->pending);
}

static uint32_t handler_of(const loom_user *u, int sig) { return get32(u->sigactions[sig] + GSA_HANDLER); }

static bool ignored(const loom_user *u, int sig)
{
    uint32_t h = handler_of(u, sig);
    if (h == 1) return true;
    return h == 0 && (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT);
}

/* The next signal to deliver: synchronous ones first, then the lowest
 * number, thread-directed before process-directed. */
static int next_signal(user_thread *t, user_sigq **from)
{
    static const int sync_first[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE};
    user_sigq *qs[2] = {&t->pending, &t->u->pending};
    for (unsigned k = 0; k < 5; k++)
        for (unsigned q = 0; q < 2; q++)
            if (qs[q]->set & BIT(sync_first[k]) & ~t->sigmask) {
                *from = qs[q];
                return sync_first[k];
            }
    for (unsigned q = 0; q < 2; q++) {
        uint64_t ready = qs[q]->set & ~t->sigmask;
        if (ready) {
            *from = qs[q];
            return __builtin_ctzll(ready) + 1;
        }
    }
    return 0;
}

bool user_sig_interrupting(user_thread *t, bool *restart)
{
    collect(t);
    user_sigq *q;
    int sig = next_signal(t, &q);
    if (!sig || ignored(t->u, sig)) return false;
    uint32_t h = handler_of(t->u, sig);
    *restart = h > 1 && (get32(t->u->sigactions[sig] + GSA_FLAGS) & G_SA_RESTART);
    return true;
}

void user_sig_fault(user_thread *t, int sig, int code, uint32_t addr)
{
    uint8_t info[128] = {0};
    put32(info, (uint32_t)sig);
    put32(info + 8, (uint32_t)code);
    put32(info + 12, addr);
    /* Forced: a blocked or ignored synchronous signal kills. */
    if ((t->sigmask & BIT(sig)) || handler_of(t->u, sig) == 1) {
        t->sigmask &= ~BIT(sig);
        memset(t->u->sigactions[sig], 0, 20);
        mirror_mask(t);
    }
    discard(&t->pending, sig);
    queue(&t->pending, sig, info);
}

/* ---- Default actions ------------------------------------------------------- */

static void default_action(user_thread *t, int sig, const uint8_t *info)
{
    loom_user *u = t->u;
    switch (sig) {
    case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
        return;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        /* The whole emulation stops, as the process would. */
        kill(getpid(), SIGSTOP);
        return;
    }
    arm_state *s = arm_of(t);
    uint32_t addr = get32(info + 12);
    bool from_cpu = (int32_t)get32(info + 8) > 0;
    if (from_cpu && sig == SIGSEGV) user_die(u, sig, "segmentation fault at 0x%08x (pc 0x%08x)", addr, s->r[15]);
    else if (from_cpu && sig == SIGBUS) user_die(u, sig, "bus error at 0x%08x (pc 0x%08x)", addr, s->r[15]);
    else if (from_cpu && sig == SIGILL) user_die(u, sig, "illegal instruction at 0x%08x", addr);
    else if (from_cpu && sig == SIGTRAP) user_die(u, sig, "breakpoint at 0x%08x", addr);
    else user_die(u, sig, "%s", strsignal(sig));
}

/* ---- The ARM signal frame ------------------------------------------------------
 * struct rt_sigframe { siginfo (128); struct sigframe { ucontext (744);
 * retcode[2] } }, and for handlers without SA_SIGINFO the sigframe alone.
 * ucontext: uc_flags, uc_link, uc_stack (12), sigcontext (21 words) at 20,
 * uc_sigmask at 104, uc_regspace at 232 (the VFP frame, then a zero word). */
enum {
    UC_STACK = 8, UC_MCONTEXT = 20, UC_SIGMASK = 104, UC_REGSPACE = 232, UC_SIZE = 744,
    MC_OLDMASK = 8, MC_R0 = 12, MC_CPSR = 76, MC_FAULT = 80,
    VFP_MAGIC = 0x56465001, VFP_FRAME_SIZE = 288,
};

static bool on_altstack(const user_thread *t, uint32_t sp)
{
    return t->altstack[2] && sp - t->altstack[0] < t->altstack[2];
}

static uint32_t altstack_flags(const user_thread *t, uint32_t sp)
{
    if (!t->altstack[2] || (t->altstack[1] & G_SS_DISABLE)) return G_SS_DISABLE;
    return on_altstack(t, sp) ? G_SS_ONSTACK : 0;
}

static void write_ucontext(user_thread *t, uint8_t *uc, uint64_t mask, bool rt, uint32_t fault_addr)
{
    arm_state *s = arm_of(t);
    put32(uc, rt ? 0 : 0x5ac3c35au);
    put32(uc + UC_STACK, t->altstack[0]);
    put32(uc + UC_STACK + 4, altstack_flags(t, s->r[13]));
    put32(uc + UC_STACK + 8, t->altstack[2]);
    uint8_t *mc = uc + UC_MCONTEXT;
    put32(mc + MC_OLDMASK, (uint32_t)mask);
    for (int i = 0; i < 16; i++) put32(mc + MC_R0 + 4 * i, s->r[i]);
    put32(mc + MC_CPSR, arm_cpsr_get(s));
    put32(mc + MC_FAULT, fault_addr);
    put64(uc + UC_SIGMASK, mask);
    uint8_t *vfp = uc + UC_REGSPACE;
    put32(vfp, VFP_MAGIC);
    put32(vfp + 4, VFP_FRAME_SIZE);
    memcpy(vfp + 8, s->d, sizeof s->d);
    put32(vfp + 264, s->fpscr);
    put32(vfp + 272, s->fpexc);
}

/* Run the handler: false when the frame cannot be written (the guest then
 * dies of SIGSEGV, as the kernel's force_sigsegv). */
static bool setup_frame(user_thread *t, int sig, const uint8_t *info)
{
    loom_user *u = t->u;
    arm_state *s = arm_of(t);
    const uint8_t *act = u->sigactions[sig];
    uint32_t handler = get32(act + GSA_HANDLER), flags = get32(act + GSA_FLAGS);
    bool rt = flags & G_SA_SIGINFO;
    uint32_t sp = s->r[13];
    if ((flags & G_SA_ONSTACK) && altstack_flags(t, sp) == 0) sp = t->altstack[0] + t->altstack[2];
    uint32_t size = rt ? 128 + UC_SIZE + 8 : UC_SIZE + 8;
    uint32_t frame = (sp - size) & ~7u;
    uint8_t *p = user_ptr(u, frame, size, USER_PROT_WRITE);
    if (!p) return false;
    memset(p, 0, size);
    uint8_t *uc = rt ? p + 128 : p;
    if (rt) memcpy(p, info, 128);
    uint64_t old = t->has_saved_mask ? t->saved_mask : t->sigmask;
    t->has_saved_mask = false;
    uint32_t fault = sig == SIGSEGV || sig == SIGBUS ? get32(info + 12) : 0;
    write_ucontext(t, uc, old, rt, fault);
    /* The return code, also in the frame as the kernel writes it; the
     * handler returns to the copy in the vector page (the stack need not be
     * executable). */
    bool thumb = handler & 1;
    uint32_t nr = rt ? 173 : 119;
    uint8_t *rc = uc + UC_SIZE;
    if (thumb) put32(rc, 0xdf002700u | nr);
    else {
        put32(rc, 0xe3a07000u | nr);
        put32(rc + 4, 0xef000000u);
    }
    if (u->invalidate) u->invalidate(u->invalidate_opaque, frame, frame + size - 1);
    uint32_t lr = flags & G_SA_RESTORER ? get32(act + GSA_RESTORER)
                                         : SIGRETURN_CODES + 8 * ((rt ? 2u : 0u) + thumb) + thumb;
    s->r[0] = (uint32_t)sig;
    if (rt) {
        s->r[1] = frame;
        s->r[2] = frame + 128;
    }
    s->r[13] = frame;
    s->r[14] = lr;
    s->r[15] = handler & ~1u;
    arm_cpsr_set(s, thumb ? 1u << 5 : 0, 1u << 5 | 0x0600fc00u);
    t->sigmask |= get64(act + GSA_MASK);
    if (!(flags & G_SA_NODEFER)) t->sigmask |= BIT(sig);
    t->sigmask &= ~(BIT(SIGKILL) | BIT(SIGSTOP));
    mirror_mask(t);
    if (flags & G_SA_RESETHAND) {
        memset(u->sigactions[sig], 0, 20);
        set_host_action(sig, 0);
    }
    return true;
}

void user_sig_deliver(user_thread *t)
{
    loom_user *u = t->u;
    if (!(u->pending.set | t->pending.set) && ring_empty(&host_ring) && ring_empty(&t->host)) return;
    collect(t);
    user_sigq *q;
    int sig;
    while (!u->exited && (sig = next_signal(t, &q))) {
        uint8_t info[128];
        dequeue(q, sig, info);
        uint32_t h = handler_of(u, sig);
        if (h == 1) continue;
        if (h == 0) {
            default_action(t, sig, info);
            continue;
        }
        if (!setup_frame(t, sig, info)) {
            memset(u->sigactions[SIGSEGV], 0, 20);
            user_die(u, SIGSEGV, "cannot write the frame of signal %d at sp 0x%08x", sig, arm_of(t)->r[13]);
        }
    }
}

/* ---- The vector page ---------------------------------------------------------- */

int user_arm_vector_page(loom_user *u)
{
    int e = user_map(u, VECTORS, USER_PAGE_SIZE, USER_PROT_READ | USER_PROT_WRITE);
    if (e) return e;
    uint8_t *p = u->guest_base + VECTORS;
    static const uint32_t sigreturn_codes[8] = {
        0xe3a07077, 0xef000000, /* mov r7, #119 (sigreturn); svc 0 */
        0xdf002777, 0,          /* Thumb: movs r7, #119; svc 0 */
        0xe3a070ad, 0xef000000, /* mov r7, #173 (rt_sigreturn); svc 0 */
        0xdf0027ad, 0,          /* Thumb: movs r7, #173; svc 0 */
    };
    memcpy(p + 0x500, sigreturn_codes, sizeof sigreturn_codes);
    /* The kuser helpers (Documentation/arm/kernel_user_helpers.rst). */
    static const uint32_t cmpxchg64[] = {
        0xe92d00f0, /* push {r4-r7} */
        0xe1c040d0, /* ldrd r4, r5, [r0]: the old value */
        0xe1c160d0, /* ldrd r6, r7, [r1]: the new value */
        0xe1b20f9f, /* 1: ldrexd r0, r1, [r2] */
        0xe0303004, /* eors r3, r0, r4 */
        0x00313005, /* eorseq r3, r1, r5 */
        0x01a23f96, /* strexdeq r3, r6, r7, [r2] */
        0x03330001, /* teqeq r3, #1: the store failed, try again */
        0x0afffff9, /* beq 1b */
        0xe2730000, /* rsbs r0, r3, #0: 0 and C set on success */
        0xe8bd00f0, /* pop {r4-r7} */
        0xe12fff1e, /* bx lr */
    };
    static const uint32_t barrier[] = {0xf57ff05b, 0xe12fff1e}; /* dmb ish; bx lr */
    static const uint32_t cmpxchg[] = {
        0xe1923f9f, /* 1: ldrex r3, [r2] */
        0xe0533000, /* subs r3, r3, r0 */
        0x01823f91, /* strexeq r3, r1, [r2] */
        0x03330001, /* teqeq r3, #1 */
        0x0afffffa, /* beq 1b */
        0xe2730000, /* rsbs r0, r3, #0 */
        0xe12fff1e, /* bx lr */
    };
    static const uint32_t get_tls[] = {0xee1d0f70, 0xe12fff1e}; /* mrc p15, 0, r0, c13, c0, 3; bx lr */
    memcpy(p + 0xf60, cmpxchg64, sizeof cmpxchg64);
    memcpy(p + 0xfa0, barrier, sizeof barrier);
    memcpy(p + 0xfc0, cmpxchg, sizeof cmpxchg);
    memcpy(p + 0xfe0, get_tls, sizeof get_tls);
    put32(p + 0xffc, 5); /* __kuser_helper_version: five helpers */
    return user_protect(u, VECTORS, USER_PAGE_SIZE, USER_PROT_READ | USER_PROT_EXEC);
}

/* ---- System calls --------------------------------------------------------------- */

int64_t sys_rt_sigaction(sc *c)
{
    int sig = SA(0);
    if (sig < 1 || sig > 64 || A(3) != 8) return -EINVAL;
    uint8_t *act = NULL, *old = NULL;
    if (A(1)) GET(act, A(1), 20);
    if (A(2)) PUT(old, A(2), 20);
    if (act && (sig == SIGKILL || sig == SIGSTOP)) return -EINVAL;
    uint8_t prev[20];
    memcpy(prev, U->sigactions[sig], 20);
    if (act) {
        memcpy(U->sigactions[sig], act, 20);
        set_host_action(sig, get32(act + GSA_HANDLER));
        /* Ignoring a pending signal discards it. */
        if (ignored(U, sig)) {
            discard(&U->pending, sig);
            for (user_thread *t = U->threads; t; t = t->next) discard(&t->pending, sig);
        }
    }
    if (old) memcpy(old, prev, 20);
    return 0;
}

int64_t sys_rt_sigprocmask(sc *c)
{
    if (A(3) != 8) return -EINVAL;
    uint8_t *set = NULL, *old = NULL;
    if (A(1)) GET(set, A(1), 8);
    if (A(2)) PUT(old, A(2), 8);
    user_thread *t = c->t;
    uint64_t prev = t->sigmask;
    if (set) {
        uint64_t m = get64(set) & ~(BIT(SIGKILL) | BIT(SIGSTOP));
        switch (A(0)) {
        case SIG_BLOCK: t->sigmask |= m; break;
        case SIG_UNBLOCK: t->sigmask &= ~m; break;
        case SIG_SETMASK: t->sigmask = m; break;
        default: return -EINVAL;
        }
        mirror_mask(t);
    }
    if (old) put64(old, prev);
    return 0;
}

int64_t sys_sigaltstack(sc *c)
{
    user_thread *t = c->t;
    uint8_t *ss = NULL, *old = NULL;
    if (A(0)) GET(ss, A(0), 12);
    if (A(1)) PUT(old, A(1), 12);
    uint32_t sp = c->r[13];
    uint32_t prev[3] = {t->altstack[0], altstack_flags(t, sp), t->altstack[2]};
    if (ss) {
        if (on_altstack(t, sp)) return -EPERM;
        uint32_t flags = get32(ss + 4);
        if (flags & ~(uint32_t)G_SS_DISABLE) return -EINVAL;
        if (flags & G_SS_DISABLE) {
            memset(t->altstack, 0, sizeof t->altstack);
            t->altstack[1] = G_SS_DISABLE;
        } else {
            if (get32(ss + 8) < G_MINSIGSTKSZ) return -ENOMEM;
            t->altstack[0] = get32(ss);
            t->altstack[1] = 0;
            t->altstack[2] = get32(ss + 8);
        }
    }
    if (old) {
        put32(old, prev[0]);
        put32(old + 4, prev[1]);
        put32(old + 8, prev[2]);
    }
    return 0;
}

static int64_t restore_frame(sc *c, bool rt)
{
    user_thread *t = c->t;
    arm_state *s = arm_of(t);
    uint32_t frame = c->r[13];
    const uint8_t *uc = (frame & 7) ? NULL : user_ptr(U, frame + (rt ? 128 : 0), UC_SIZE, USER_PROT_READ);
    if (!uc) {
        memset(U->sigactions[SIGSEGV], 0, 20);
        user_die(U, SIGSEGV, "bad signal frame at sp 0x%08x", frame);
        return 0;
    }
    t->sigmask = get64(uc + UC_SIGMASK) & ~(BIT(SIGKILL) | BIT(SIGSTOP));
    mirror_mask(t);
    const uint8_t *mc = uc + UC_MCONTEXT;
    for (int i = 0; i < 16; i++) s->r[i] = get32(mc + MC_R0 + 4 * i);
    /* What user code may change: NZCVQ, GE, IT, T. */
    arm_cpsr_set(s, get32(mc + MC_CPSR), 0xf80f0000u | 0x0600fc00u | 1u << 5);
    s->r[15] &= s->thumb ? ~1u : ~3u;
    const uint8_t *vfp = uc + UC_REGSPACE;
    if (get32(vfp) == VFP_MAGIC && get32(vfp + 4) == VFP_FRAME_SIZE) {
        memcpy(s->d, vfp + 8, sizeof s->d);
        s->fpscr = get32(vfp + 264);
    }
    if (rt) {
        uint32_t ss_sp = get32(uc + UC_STACK), ss_flags = get32(uc + UC_STACK + 4), ss_size = get32(uc + UC_STACK + 8);
        if (!on_altstack(t, s->r[13]) && !(ss_flags & ~(uint32_t)(G_SS_DISABLE | G_SS_ONSTACK))) {
            if (ss_flags & G_SS_DISABLE) memset(t->altstack, 0, sizeof t->altstack);
            else if (ss_size >= G_MINSIGSTKSZ) {
                t->altstack[0] = ss_sp;
                t->altstack[1] = 0;
                t->altstack[2] = ss_size;
            }
        }
    }
    c->keep_regs = true;
    return 0;
}

int64_t sys_rt_sigreturn(sc *c) { return restore_frame(c, true); }
int64_t sys_sigreturn(sc *c) { return restore_frame(c, false); }

int64_t sys_rt_sigsuspend(sc *c)
{
    if (A(1) != 8) return -EINVAL;
    uint8_t *m;
    GET(m, A(0), 8);
    user_thread *t = c->t;
    uint64_t want = get64(m) & ~(BIT(SIGKILL) | BIT(SIGSTOP));
    /* Block every host signal while checking what is already pending, then
     * wait with the new mask atomically: nothing is lost in between. */
    sigset_t all, hs;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    t->saved_mask = t->sigmask;
    t->has_saved_mask = true;
    t->sigmask = want;
    collect(t);
    user_sigq *q;
    if (!next_signal(t, &q)) {
        user_host_sigset(&hs, want);
        user_unlock(U);
        sigsuspend(&hs);
        user_lock(U);
    }
    /* The signal's handler runs with `want` in force; its frame keeps the
     * old mask. With no handler to run, the old mask is back now. */
    mirror_mask(t);
    bool restart;
    if (!user_sig_interrupting(t, &restart)) {
        t->sigmask = t->saved_mask;
        t->has_saved_mask = false;
        mirror_mask(t);
    }
    return -EINTR;
}

int64_t sys_pause(sc *c)
{
    sigset_t hs;
    user_host_sigset(&hs, c->t->sigmask);
    user_unlock(U);
    sigsuspend(&hs);
    user_lock(U);
    return -EINTR;
}

int64_t sys_rt_sigpending(sc *c)
{
    if (A(1) != 8) return -EINVAL;
    uint8_t *p;
    PUT(p, A(0), 8);
    user_thread *t = c->t;
    collect(t);
    sigset_t hs;
    sigpending(&hs);
    uint64_t set = (U->pending.set | t->pending.set) & t->sigmask;
    for (int sig = 1; sig <= 64; sig++)
        if (sigismember(&hs, sig) == 1) set |= BIT(sig);
    put64(p, set);
    return 0;
}

static int64_t sigtimedwait_common(sc *c, bool t64)
{
    if (A(3) != 8) return -EINVAL;
    uint8_t *m, *info = NULL;
    GET(m, A(0), 8);
    if (A(1)) PUT(info, A(1), 128);
    uint64_t want = get64(m) & ~(BIT(SIGKILL) | BIT(SIGSTOP));
    user_thread *t = c->t;
    collect(t);
    user_sigq *qs[2] = {&t->pending, &U->pending};
    for (unsigned k = 0; k < 2; k++) {
        uint64_t ready = qs[k]->set & want;
        if (ready) {
            int sig = __builtin_ctzll(ready) + 1;
            uint8_t one[128];
            dequeue(qs[k], sig, one);
            if (info) memcpy(info, one, 128);
            return sig;
        }
    }
    struct timespec ts, *tsp = NULL;
    if (A(2)) {
        int64_t e = user_get_timespec(c, A(2), &ts, t64);
        if (e) return e;
        tsp = &ts;
    }
    sigset_t hs;
    user_host_sigset(&hs, want);
    siginfo_t si;
    int r = BLOCKING(sigtimedwait(&hs, &si, tsp));
    if (r < 0) return -errno;
    if (info) user_siginfo_from_host(info, &si);
    return r;
}

int64_t sys_rt_sigtimedwait(sc *c) { return sigtimedwait_common(c, false); }
int64_t sys_rt_sigtimedwait64(sc *c) { return sigtimedwait_common(c, true); }

/* Guest siginfo of a queued signal to the host's. */
static int64_t queueinfo(sc *c, uint32_t addr, siginfo_t *si)
{
    uint8_t *g;
    GET(g, addr, 128);
    memset(si, 0, sizeof *si);
    si->si_signo = (int)get32(g);
    si->si_errno = (int)get32(g + 4);
    si->si_code = (int)get32(g + 8);
    si->si_pid = (pid_t)get32(g + 12);
    si->si_uid = get32(g + 16);
    si->si_value.sival_ptr = (void *)(uintptr_t)get32(g + 20);
    return 0;
}

int64_t sys_rt_sigqueueinfo(sc *c)
{
    siginfo_t si;
    int64_t e = queueinfo(c, A(2), &si);
    if (e) return e;
    return host_ret(syscall(SYS_rt_sigqueueinfo, SA(0), SA(1), &si));
}

int64_t sys_rt_tgsigqueueinfo(sc *c)
{
    siginfo_t si;
    int64_t e = queueinfo(c, A(3), &si);
    if (e) return e;
    return host_ret(syscall(SYS_rt_tgsigqueueinfo, SA(0), SA(1), SA(2), &si));
}

/* Sending: the host kernel does it. Pids and thread ids are the host's. */
int64_t sys_kill(sc *c) { return host_ret(kill(SA(0), SA(1))); }
int64_t sys_tkill(sc *c) { return host_ret(syscall(SYS_tkill, SA(0), SA(1))); }
int64_t sys_tgkill(sc *c) { return host_ret(syscall(SYS_tgkill, SA(0), SA(1), SA(2))); }

/* struct itimerval of 32-bit ARM: four 32-bit words. */
static void put_itimerval(uint8_t *p, const struct itimerval *v)
{
    put32(p, (uint32_t)v->it_interval.tv_sec);
    put32(p + 4, (uint32_t)v->it_interval.tv_usec);
    put32(p + 8, (uint32_t)v->it_value.tv_sec);
    put32(p + 12, (uint32_t)v->it_value.tv_usec);
}

int64_t sys_setitimer(sc *c)
{
    uint8_t *nv, *ov = NULL;
    GET(nv, A(1), 16);
    if (A(2)) PUT(ov, A(2), 16);
    struct itimerval n, o;
    n.it_interval.tv_sec = (int32_t)get32(nv);
    n.it_interval.tv_usec = (int32_t)get32(nv + 4);
    n.it_value.tv_sec = (int32_t)get32(nv + 8);
    n.it_value.tv_usec = (int32_t)get32(nv + 12);
    if (setitimer(SA(0), &n, &o)) return -errno;
    if (ov) put_itimerval(ov, &o);
    return 0;
}

int64_t sys_getitimer(sc *c)
{
    uint8_t *p;
    PUT(p, A(1), 16);
    struct itimerval v;
    if (getitimer(SA(0), &v)) return -errno;
    put_itimerval(p, &v);
    return 0;
}

/* ---- Dying of a signal -------------------------------------------------------- */

void user_die(loom_user *u, int sig, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "loom: guest died: ");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    u->exited = true;
    u->exit_status = 128 + sig;
    u->death_signal = sig;
}

_Noreturn void user_die_now(int sig)
{
    fflush(NULL);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    _exit(128 + sig); /* a signal whose default is not to end the process */
}
