/* `loom user ARCH PROGRAM ARGS...`: the command line, the guest CPU and the
 * run loop that turns the guest's exceptions into system calls and signals. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "user.h"
#include "arm/arm.h"

/* Exit statuses of Loom's own, as `loom run` documents them. */
enum {
    EXIT_USAGE = 64,
    EXIT_NOINPUT = 66,      /* the program cannot be read or loaded */
    EXIT_UNAVAILABLE = 69,  /* this build has no translator for the guest */
    EXIT_INTERNAL = 70,
    EXIT_FAULT = 125,       /* a fault inside Loom's emulation of the guest */
};

#define SLICE_INSNS (1u << 22)
#define SLICE_INSNS_SHARED (1u << 16)

static const char user_usage_text[] =
    "  user ARCH PROGRAM [ARGS...]\n"
    "                       run a Linux program for ARCH (arm: 32-bit ARM EABI)\n"
    "Options of user (before PROGRAM):\n"
    "  -L SYSROOT           where the program's interpreter and libraries live\n"
    "                       (Debian's cross libraries: /usr/arm-linux-gnueabihf)\n"
    "  -E VAR=VALUE         set a variable in the guest's environment (repeatable)\n"
    "  -U VAR               remove a variable from the guest's environment\n"
    "  -0 ARGV0             the program's argv[0] (default: PROGRAM as given)\n"
    "  -cpu MODEL           the CPU model (arm: cortex-a15)\n"
    "  -seed N              seed of AT_RANDOM and getrandom (runs are reproducible)\n"
    "  -strace              print every system call and its result\n"
    "  -d LIST, -D FILE     log categories (unimp reports unknown system calls), log file\n"
    "  --jit=native|interp  the JIT back end\n"
    "  Exit status: the guest's; 128+N when signal N ended it; 69 when this build\n"
    "  cannot run ARCH yet.\n";

void loom_user_usage(FILE *f) { fputs(user_usage_text, f); }

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "loom user: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try loom --help)\n");
    return EXIT_USAGE;
}

/* ---- The run lock ------------------------------------------------------------
 * A ticket lock: threads take turns in the order they asked. */
extern __thread user_thread *user_self;
extern user_thread *volatile user_running;

void user_lock(loom_user *u)
{
    pthread_mutex_lock(&u->lock);
    uint64_t me = u->next_ticket++;
    while (me != u->serving) pthread_cond_wait(&u->turn, &u->lock);
    pthread_mutex_unlock(&u->lock);
    user_running = user_self;
}

void user_unlock(loom_user *u)
{
    user_running = NULL;
    pthread_mutex_lock(&u->lock);
    u->serving++;
    pthread_cond_broadcast(&u->turn);
    pthread_mutex_unlock(&u->lock);
}

/* ---- The ARM guest ---------------------------------------------------------- */

#ifdef LOOM_HAVE_ARM_USER_INIT
static void arm_invalidate(void *opaque, uint32_t start, uint32_t end)
{
    loom_user *u = opaque;
    jit_cpu *jc = u->threads ? &((arm_state *)u->threads->arch)->jc : NULL;
    if (!jc || !jc->code_pages) return;
    for (uint64_t p = start >> USER_PAGE_BITS; p <= end >> USER_PAGE_BITS; p++) {
        if (jit_code_page_marked(jc, p)) {
            jit_invalidate(jc->eng, start, end);
            return;
        }
    }
}

/* Threads that ended keep their CPUs (a simulation owns its CPUs until
 * it ends) for the next thread to reuse. */
static user_thread *idle_threads;

user_thread *user_arm_thread_new(loom_user *u, user_thread *parent)
{
    user_thread *t = idle_threads;
    if (t) {
        idle_threads = t->next;
    } else {
        t = calloc(1, sizeof *t);
        if (!t) return NULL;
        char name[32];
        snprintf(name, sizeof name, "cpu%u", ++u->nthreads_made);
        loom_cpu_opts copts = {.name = name};
        if (loom_cpu_new(u->sim, "arm", u->cpu_model, NULL, &copts, &t->cpu) ||
            arm_user_init(t->cpu, u->guest_base, USER_GUEST_SIZE)) {
            fprintf(stderr, "loom: cannot make a CPU for a new thread: %s\n", loom_sim_last_error(u->sim));
            free(t);
            return NULL;
        }
    }
    loom_cpu *cpu = t->cpu;
    memset(t, 0, sizeof *t);
    t->cpu = cpu;
    t->u = u;
    arm_state *s = arm_state_of(cpu);
    s->jc.user_prot = u->pages;
    t->arch = s;
    t->regs = s->r;
    t->tls = &s->tpidruro;
    if (parent) {
        arm_state *p = parent->arch;
        memcpy(s->r, p->r, sizeof s->r);
        arm_cpsr_set(s, arm_cpsr_get(p), 0xffffffffu);
        s->fpscr = p->fpscr;
        s->fpexc = p->fpexc;
        memcpy(s->d, p->d, sizeof s->d);
        s->tpidruro = p->tpidruro;
        s->excl_valid = 0;
        t->sigmask = parent->sigmask;
    }
    t->next = u->threads;
    u->threads = t;
    u->nthreads++;
    return t;
}

static void unlink_thread(user_thread *t)
{
    loom_user *u = t->u;
    for (user_thread **pp = &u->threads; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            u->nthreads--;
            break;
        }
    t->next = idle_threads;
    idle_threads = t;
}

void user_arm_thread_drop(user_thread *t) { unlink_thread(t); }

void user_arm_after_fork(user_thread *t)
{
    loom_user *u = t->u;
    pthread_mutex_init(&u->lock, NULL);
    pthread_cond_init(&u->turn, NULL);
    u->next_ticket = 1;
    u->serving = 0;
    user_running = t;
    t->tid = (int)gettid();
    for (user_thread *o = u->threads, *n; o; o = n) {
        n = o->next;
        if (o != t) {
            o->next = idle_threads;
            idle_threads = o;
        }
    }
    u->threads = t;
    t->next = NULL;
    u->nthreads = 1;
}

/* The process ends while other threads may still run: end it here. */
static _Noreturn void end_process(loom_user *u)
{
    fflush(NULL);
    if (u->death_signal) user_die_now(u->death_signal);
    _exit(u->exit_status);
}

void user_arm_thread_run(user_thread *t)
{
    loom_user *u = t->u;
    arm_state *s = t->arch;
    user_sig_enter_thread(t);
    while (!u->exited && !t->exited) {
        /* Several threads take turns; alone, a thread runs long slices. */
        loom_cpu_exit why = loom_cpu_run(t->cpu, u->nthreads > 1 ? SLICE_INSNS_SHARED : SLICE_INSNS);
        if (why == LOOM_CPU_HALT) loom_cpu_set_halted(t->cpu, false); /* WFI, WFE: nothing to wait for */
        if (why == LOOM_CPU_FATAL) {
            fprintf(stderr, "loom: stopped at pc 0x%08x: %s\n", s->r[15], loom_sim_last_error(u->sim));
            u->exited = true;
            u->exit_status = EXIT_FAULT;
            break;
        }
        uint32_t exc = s->exception;
        s->exception = ARM_EXC_NONE;
        switch (exc) {
        case ARM_EXC_SVC:
            user_arm_syscall(t);
            break;
        case ARM_EXC_UNDEF:
            user_sig_fault(t, SIGILL, 1 /* ILL_ILLOPC */, s->r[15]);
            break;
        case ARM_EXC_DATA_ABORT:
        case ARM_EXC_PREFETCH_ABORT: {
            uint32_t a = s->exception_addr;
            bool mapped = u->pages[a >> USER_PAGE_BITS] & USER_PAGE_MAPPED;
            user_sig_fault(t, SIGSEGV, mapped ? 2 /* SEGV_ACCERR */ : 1 /* SEGV_MAPERR */, a);
            break;
        }
        case ARM_EXC_ALIGNMENT:
            user_sig_fault(t, SIGBUS, 1 /* BUS_ADRALN */, s->exception_addr);
            break;
        case ARM_EXC_BKPT:
            user_sig_fault(t, SIGTRAP, 1 /* TRAP_BRKPT */, s->r[15]);
            break;
        default:
            if (why == LOOM_CPU_BREAKPOINT) user_sig_fault(t, SIGTRAP, 1, s->r[15]);
            break; /* the end of a slice, or a host signal to look at */
        }
        user_sig_deliver(t);
        if (u->nthreads > 1 && !u->exited && !t->exited) {
            /* Give the others their turn; a new turn starts with the
             * exclusive monitor clear, as after a context switch. */
            user_unlock(u);
            user_lock(u);
            s->excl_valid = 0;
        }
    }
    if (u->exited) {
        if (u->nthreads > 1 || t != u->main_thread) end_process(u);
        return;
    }
    /* This thread alone ends. */
    user_thread_end(t);
    if (t == u->main_thread) {
        /* The process lives on until its last thread ends; its status is
         * the main thread's. */
        int status = u->exit_status;
        while (u->nthreads > 1 && !u->exited) {
            user_unlock(u);
            usleep(1000);
            user_lock(u);
        }
        if (!u->exited) u->exit_status = status;
        u->exited = true;
        if (u->nthreads > 1) end_process(u);
        return;
    }
    unlink_thread(t);
    user_unlock(u);
}

static int run_arm(loom_user *u, loom_cpu *cpu)
{
    loom_err e = arm_user_init(cpu, u->guest_base, USER_GUEST_SIZE);
    if (e) {
        fprintf(stderr, "loom: %s\n", loom_sim_last_error(u->sim));
        return EXIT_INTERNAL;
    }
    int ve = user_arm_vector_page(u);
    if (ve) {
        fprintf(stderr, "loom: cannot map the vector page: %s\n", strerror(-ve));
        return EXIT_INTERNAL;
    }
    user_thread *t = calloc(1, sizeof *t);
    if (!t) return EXIT_INTERNAL;
    t->cpu = cpu;
    t->next = idle_threads;
    idle_threads = t;
    t = user_arm_thread_new(u, NULL);
    u->main_thread = t;
    t->tid = (int)getpid();
    arm_state *s = t->arch;
    u->invalidate = arm_invalidate;
    u->invalidate_opaque = u;
    memset(s->r, 0, sizeof s->r);
    s->r[13] = u->sp;
    /* Bit 0 of the entry point selects Thumb, as for a BX. */
    arm_cpsr_set(s, 0x10u | (u->start_pc & 1 ? 1u << 5 : 0), 0xffffffffu);
    s->r[15] = u->start_pc & ~1u;
    /* The guest's blocked signals are what the process inherited. */
    sigset_t hs;
    pthread_sigmask(SIG_SETMASK, NULL, &hs);
    for (int sig = 1; sig <= 64; sig++)
        if (sigismember(&hs, sig) == 1) t->sigmask |= 1ull << (sig - 1);
    user_sig_init(u);
    pthread_mutex_init(&u->lock, NULL);
    pthread_cond_init(&u->turn, NULL);
    user_self = t;
    user_lock(u);
    user_arm_thread_run(t);
    user_unlock(u);
    return u->exit_status;
}
#endif

/* ---- The environment ---------------------------------------------------------- */

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

static bool strvec_push(strvec *sv, char *s)
{
    if (sv->n + 2 > sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 64;
        char **v = realloc(sv->v, cap * sizeof *v);
        if (!v) return false;
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
    return true;
}

static void env_unset(strvec *env, const char *name)
{
    size_t len = strcspn(name, "=");
    for (size_t i = 0; i < env->n;) {
        if (!strncmp(env->v[i], name, len) && env->v[i][len] == '=') {
            memmove(env->v + i, env->v + i + 1, (env->n - i) * sizeof *env->v);
            env->n--;
        } else {
            i++;
        }
    }
}

/* ---- The command ------------------------------------------------------------- */

int loom_user_main(int argc, char **argv)
{
    extern char **environ;
    loom_user_opts o = {.hwcap = USER_ARM_HWCAP_CORTEX_A15, .seed = USER_DEFAULT_SEED};
    const char *arch = NULL, *model = "cortex-a15", *log_list = NULL, *log_file = NULL, *argv0 = NULL;
    loom_jit_choice jit = LOOM_JIT_NATIVE;
    strvec env = {0};
    char *exec_opts[32];
    int nexec_opts = 0;
    for (char **e = environ; e && *e; e++)
        if (!strvec_push(&env, *e)) return EXIT_INTERNAL;
    int i = 0, rc;
    for (; i < argc; i++) {
        const char *s = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (s[0] != '-' || !s[1]) {
            if (arch) break; /* the program */
            arch = s;
            continue;
        }
#define NEEDS_VALUE()                                                                              \
    do {                                                                                           \
        if (!val) { free(env.v); return usage_error("option %s needs a value", s); }              \
        i++;                                                                                       \
    } while (0)
        /* Options an execve'd guest program runs with too. */
        if (!strcmp(s, "-L") || !strcmp(s, "-cpu") || !strcmp(s, "-seed") || !strcmp(s, "-d") ||
            !strcmp(s, "-strace") || !strncmp(s, "--jit=", 6)) {
            if (nexec_opts + 2 > (int)(sizeof exec_opts / sizeof *exec_opts)) {
                free(env.v);
                return usage_error("%s", "too many options");
            }
            exec_opts[nexec_opts++] = (char *)s;
            if (val && strcmp(s, "-strace") && strncmp(s, "--jit=", 6)) exec_opts[nexec_opts++] = (char *)val;
        }
        if (!strcmp(s, "-L")) {
            NEEDS_VALUE();
            o.sysroot = val;
        } else if (!strcmp(s, "-E")) {
            NEEDS_VALUE();
            if (!strchr(val, '=')) { free(env.v); return usage_error("-E expects VAR=VALUE, not '%s'", val); }
            env_unset(&env, val);
            if (!strvec_push(&env, (char *)val)) return EXIT_INTERNAL;
        } else if (!strcmp(s, "-U")) {
            NEEDS_VALUE();
            env_unset(&env, val);
        } else if (!strcmp(s, "-0")) {
            NEEDS_VALUE();
            argv0 = val;
        } else if (!strcmp(s, "-cpu")) {
            NEEDS_VALUE();
            model = val;
        } else if (!strcmp(s, "-seed")) {
            NEEDS_VALUE();
            char *end;
            errno = 0;
            o.seed = strtoull(val, &end, 0);
            if (errno || *end || end == val) { free(env.v); return usage_error("-seed expects a number, not '%s'", val); }
        } else if (!strcmp(s, "-strace")) {
            o.strace = true;
        } else if (!strcmp(s, "-d")) {
            NEEDS_VALUE();
            log_list = val;
        } else if (!strcmp(s, "-D")) {
            NEEDS_VALUE();
            log_file = val;
        } else if (!strncmp(s, "--jit=", 6)) {
            if (!strcmp(s + 6, "interp")) jit = LOOM_JIT_INTERP;
            else if (!strcmp(s + 6, "native")) jit = LOOM_JIT_NATIVE;
            else { free(env.v); return usage_error("--jit takes native or interp, not '%s'", s + 6); }
        } else {
            free(env.v);
            return usage_error("unknown option '%s'", s);
        }
#undef NEEDS_VALUE
    }
    if (!arch) { free(env.v); return usage_error("%s", "which architecture? loom user arm PROGRAM ARGS..."); }
    if (strcmp(arch, "arm")) {
        free(env.v);
        return usage_error("user mode runs arm programs (32-bit ARM EABI), not '%s'", arch);
    }
    if (i >= argc) { free(env.v); return usage_error("%s", "which program? loom user arm PROGRAM ARGS..."); }
    const char *program = argv[i];

    loom_sim *sim;
    if (loom_sim_new(&sim)) { free(env.v); return EXIT_INTERNAL; }
    loom_sim_set_jit(sim, jit);
    FILE *logf = NULL;
    loom_user *u = NULL;
    if (log_list) {
        unsigned mask;
        if (loom_log_parse(sim, log_list, &mask)) {
            rc = usage_error("-d: %s", loom_sim_last_error(sim));
            goto out;
        }
        loom_log_set_mask(sim, mask);
    }
    if (log_file) {
        logf = fopen(log_file, "w");
        if (!logf) {
            fprintf(stderr, "loom: cannot write log file '%s': %s\n", log_file, strerror(errno));
            rc = EXIT_NOINPUT;
            goto out;
        }
        setvbuf(logf, NULL, _IOLBF, 0);
        loom_log_set_file(sim, logf);
    }
    if (loom_user_new(sim, &o, &u)) {
        fprintf(stderr, "loom: %s\n", loom_sim_last_error(sim));
        rc = EXIT_INTERNAL;
        goto out;
    }
    u->cpu_model = model;
    u->exec_opts = exec_opts;
    u->nexec_opts = nexec_opts;
    loom_err e = loom_user_load(u, program);
    if (e) {
        fprintf(stderr, "loom: %s\n", loom_sim_last_error(sim));
        rc = e == LOOM_E_NOMEM ? EXIT_INTERNAL : EXIT_NOINPUT;
        goto out;
    }
    char **gargv = argv + i;
    char *saved0 = gargv[0];
    if (argv0) gargv[0] = (char *)argv0;
    e = loom_user_setup_stack(u, argc - i, gargv, env.v);
    gargv[0] = saved0;
    if (e) {
        fprintf(stderr, "loom: %s\n", loom_sim_last_error(sim));
        rc = EXIT_USAGE;
        goto out;
    }
    loom_cpu *cpu = NULL;
    loom_cpu_opts copts = {.name = "cpu0"};
    if (!loom_sim_find_arch(sim, "arm")) {
        fprintf(stderr, "loom: user mode for arm needs the ARM translator, which this build does not have yet\n");
        rc = EXIT_UNAVAILABLE;
        goto out;
    }
    if (loom_cpu_new(sim, "arm", model, NULL, &copts, &cpu)) {
        fprintf(stderr, "loom: %s\n", loom_sim_last_error(sim));
        rc = EXIT_USAGE;
        goto out;
    }
#ifdef LOOM_HAVE_ARM_USER_INIT
    rc = run_arm(u, cpu);
#else
    fprintf(stderr, "loom: user mode for arm needs the ARM translator's user mode (arm_user_init), "
                    "which this build does not have yet\n");
    rc = EXIT_UNAVAILABLE;
#endif
out:;
    int death = u ? u->death_signal : 0;
    loom_user_free(u);
    loom_sim_free(sim);
    if (logf) fclose(logf);
    free(env.v);
    /* A guest killed by a signal: its parent sees Loom killed by it. */
    if (death) user_die_now(death);
    return rc;
}
