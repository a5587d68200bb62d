/* `loom user ARCH PROGRAM ARGS...`: the command line, the guest CPU and the
 * run loop that turns the guest's exceptions into system calls and signals. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- Host faults in guest memory -------------------------------------------
 * A guest access to a page it has no right to reaches the host as SIGSEGV
 * (SIGBUS past the end of a mapped file) inside the reservation. Until the
 * JIT can map a host fault back to the guest instruction, the guest dies of
 * it with the address. The handler needs the reservation's address: this is
 * the one piece of process-wide state, set while a guest runs. */
static uint8_t *volatile fault_base;

static void on_host_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uint8_t *a = si->si_addr, *base = fault_base;
    if (base && a >= base && a < base + USER_RESERVE_SIZE) {
        char msg[128];
        int n = snprintf(msg, sizeof msg, "loom: guest died: %s at 0x%08llx\n",
                         sig == SIGBUS ? "bus error" : "segmentation fault", (unsigned long long)(a - base));
        if (write(2, msg, (size_t)n) < 0) { /* nothing more to do */ }
        _exit(128 + sig);
    }
    /* Loom's own bug: die of it as usual. */
    signal(sig, SIG_DFL);
}

__attribute__((unused)) static void catch_host_faults(uint8_t *base)
{
    static uint8_t altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    fault_base = base;
    struct sigaction sa = {0};
    sa.sa_sigaction = on_host_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* ---- The ARM guest ---------------------------------------------------------- */

#ifdef LOOM_HAVE_ARM_USER_INIT
static void arm_invalidate(void *opaque, uint32_t start, uint32_t end)
{
    jit_cpu *jc = &((arm_state *)opaque)->jc;
    if (!jc->code_pages) return;
    for (uint64_t p = start >> USER_PAGE_BITS; p <= end >> USER_PAGE_BITS; p++) {
        if ((p >> 3) < jc->code_pages_len && (jc->code_pages[p >> 3] >> (p & 7)) & 1) {
            jit_invalidate(jc->eng, start, end);
            return;
        }
    }
}

static int run_arm(loom_user *u, loom_cpu *cpu)
{
    loom_err e = arm_user_init(cpu, u->guest_base, USER_GUEST_SIZE);
    if (e) {
        fprintf(stderr, "loom: %s\n", loom_sim_last_error(u->sim));
        return EXIT_INTERNAL;
    }
    arm_state *s = arm_state_of(cpu);
    u->invalidate = arm_invalidate;
    u->invalidate_opaque = s;
    memset(s->r, 0, sizeof s->r);
    s->r[13] = u->sp;
    /* Bit 0 of the entry point selects Thumb, as for a BX. */
    arm_cpsr_set(s, 0x10u | (u->start_pc & 1 ? 1u << 5 : 0), 0xffffffffu);
    s->r[15] = u->start_pc & ~1u;
    catch_host_faults(u->guest_base);
    int rc = 0;
    while (!u->exited) {
        loom_cpu_exit why = loom_cpu_run(cpu, SLICE_INSNS);
        if (why == LOOM_CPU_BUDGET) continue;
        if (why == LOOM_CPU_HALT) { /* WFI, WFE: nothing to wait for */
            loom_cpu_set_halted(cpu, false);
            continue;
        }
        if (why == LOOM_CPU_FATAL) {
            fprintf(stderr, "loom: stopped at pc 0x%08x: %s\n", s->r[15], loom_sim_last_error(u->sim));
            rc = EXIT_FAULT;
            break;
        }
        uint32_t exc = s->exception;
        s->exception = ARM_EXC_NONE;
        switch (exc) {
        case ARM_EXC_SVC:
            user_arm_syscall(u, s->r, &s->tpidruro);
            break;
        case ARM_EXC_UNDEF:
            user_die(u, SIGILL, "illegal instruction at 0x%08x", s->r[15]);
            break;
        case ARM_EXC_DATA_ABORT:
            user_die(u, SIGSEGV, "segmentation fault at 0x%08x (pc 0x%08x)", s->exception_addr, s->r[15]);
            break;
        case ARM_EXC_PREFETCH_ABORT:
            user_die(u, SIGSEGV, "segmentation fault fetching 0x%08x", s->exception_addr);
            break;
        case ARM_EXC_ALIGNMENT:
            user_die(u, SIGBUS, "unaligned access at 0x%08x (pc 0x%08x)", s->exception_addr, s->r[15]);
            break;
        case ARM_EXC_BKPT:
            user_die(u, SIGTRAP, "breakpoint at 0x%08x", s->r[15]);
            break;
        default:
            if (why == LOOM_CPU_BREAKPOINT) user_die(u, SIGTRAP, "breakpoint at 0x%08x", s->r[15]);
            break; /* a stop request with nothing to do */
        }
    }
    fault_base = NULL;
    return rc ? rc : u->exit_status;
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
out:
    loom_user_free(u);
    loom_sim_free(sim);
    if (logf) fclose(logf);
    free(env.v);
    return rc;
}
