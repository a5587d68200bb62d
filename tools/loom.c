/* The loom command: run, describe and inspect boards; run Linux programs. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub.h"
#include "qmp.h"
#include "loom/loom.h"
#include "user.h"

/* Exit statuses of Loom's own (a guest's status passes through unchanged). */
enum {
    EXIT_USAGE = 64,      /* bad command line */
    EXIT_BOARD = 65,      /* the board description is wrong */
    EXIT_NOINPUT = 66,    /* a board or firmware file cannot be read */
    EXIT_INTERNAL = 70,   /* a bug or an out-of-memory condition in Loom */
    EXIT_CANTCREAT = 73,  /* an output file cannot be written */
    EXIT_IDLE = 123,      /* nothing can run any more and nothing is scheduled */
    EXIT_LIMIT = 124,     /* --max-time or --max-insns reached, as timeout(1) */
    EXIT_FAULT = 125,     /* a guest fault or model failure nobody handles */
    EXIT_INTERRUPT = 130, /* stopped by Ctrl-C */
};

static const char usage_text[] =
    "usage: loom COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  run BOARD.yaml       build the board and run it\n"
    "  describe BOARD.yaml  print the board's memory map, interrupt wiring and devices\n"
    "  models [TYPE]        list the device model types and their properties\n"
    "%s"
    "\n"
    "Options of run and describe:\n"
    "  -p INST.PROP=VALUE   set a property, overriding the board file (repeatable)\n"
    "  --firmware FILE      load an ELF file (at its addresses) or a raw image\n"
    "                       (at the board's firmware address)\n"
    "Options of describe:\n"
    "  --dtb FILE           write the board's device tree blob to FILE instead\n"
    "Options of run:\n"
    "  --max-time TIME      stop after this much simulated time (10ms, 2s, ...)\n"
    "  --max-insns N        stop after N instructions over all CPUs\n"
    "  -d LIST              log categories, comma-separated: %s\n"
    "  -D FILE              write the log to FILE instead of standard error\n"
    "  -q                   say nothing about how the run ended\n"
    "  --jit=native|interp  the JIT back end: x86-64 code (default) or the IR interpreter\n"
    "  --semihosting        let the guest make semihosting calls (console, host files,\n"
    "                       exit), as the board's semihosting: true does\n"
    "  --gdb tcp::PORT      serve GDB's remote protocol (tcp:HOST:PORT for another\n"
    "                       address than 127.0.0.1); -s is --gdb tcp::1234\n"
    "  -S                   do not start the CPUs: wait for the debugger (or QMP's cont)\n"
    "  --qmp unix:PATH|tcp:[HOST]:PORT   serve QEMU's machine protocol (QMP) there\n"
    "  --preconfig          with --qmp: wait before building the board, for\n"
    "                       property settings and x-exit-preconfig\n"
    "\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 when the run ends cleanly; the guest's own status when it ends\n"
    "the run through the test-control device; 64 bad command line; 65 board\n"
    "description error; 66 a file cannot be read; 70 internal error; 73 an output\n"
    "file cannot be written; 123 idle\n"
    "(nothing runs and nothing is scheduled); 124 --max-time or --max-insns\n"
    "reached; 125 guest fault or model failure; 130 interrupted.\n";

static void usage(FILE *f)
{
    char user[2048] = "";
    FILE *m = fmemopen(user, sizeof user - 1, "w");
    if (m) {
        loom_user_usage(m);
        fclose(m);
    }
    fprintf(f, usage_text, user, loom_log_categories());
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "loom: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(try loom --help)\n");
    return EXIT_USAGE;
}

typedef struct args {
    const char *board;
    const char *firmware;
    loom_override *overrides;
    size_t noverrides;
    const char *log_list;
    const char *log_file;
    loom_time max_time;
    uint64_t max_insns;
    bool quiet;
    loom_jit_choice jit;
    const char *dtb; /* describe --dtb FILE */
    bool semihosting;
    const char *gdb;  /* --gdb SPEC */
    bool wait;        /* -S */
    const char *qmp;  /* --qmp SPEC */
    bool preconfig;
} args;

static int parse_args(int argc, char **argv, bool run, args *a)
{
    memset(a, 0, sizeof *a);
    a->max_time = LOOM_TIME_MAX;
    a->overrides = calloc((size_t)argc, sizeof *a->overrides);
    if (!a->overrides) return EXIT_INTERNAL;
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE()                                                      \
    do {                                                                   \
        if (!val) return usage_error("option %s needs a value", s);        \
        i++;                                                               \
    } while (0)
        if (!strcmp(s, "-p")) {
            NEEDS_VALUE();
            a->overrides[a->noverrides++].text = val;
        } else if (!strncmp(s, "-p", 2) && s[2]) {
            a->overrides[a->noverrides++].text = s + 2;
        } else if (!strcmp(s, "--firmware") || !strcmp(s, "-bios") || !strcmp(s, "-kernel")) {
            NEEDS_VALUE();
            a->firmware = val;
        } else if (run && !strcmp(s, "--max-time")) {
            NEEDS_VALUE();
            loom_prop_def def = {"max-time", LOOM_PROP_TIME, NULL, NULL, NULL};
            loom_prop_value v;
            char err[256];
            if (loom_prop_parse(&def, val, &v, err, sizeof err)) return usage_error("--max-time: %s", err);
            a->max_time = v.u;
        } else if (run && !strcmp(s, "--max-insns")) {
            NEEDS_VALUE();
            char *end;
            errno = 0;
            unsigned long long n = strtoull(val, &end, 0);
            if (errno || *end || end == val || n == 0)
                return usage_error("--max-insns expects a positive count, not '%s'", val);
            a->max_insns = n;
        } else if (run && !strcmp(s, "-d")) {
            NEEDS_VALUE();
            a->log_list = val;
        } else if (run && !strcmp(s, "-D")) {
            NEEDS_VALUE();
            a->log_file = val;
        } else if (!run && !strcmp(s, "--dtb")) {
            NEEDS_VALUE();
            a->dtb = val;
        } else if (run && !strcmp(s, "--gdb")) {
            NEEDS_VALUE();
            a->gdb = val;
        } else if (run && !strcmp(s, "-s")) {
            a->gdb = "tcp::1234";
        } else if (run && !strcmp(s, "-S")) {
            a->wait = true;
        } else if (run && (!strcmp(s, "--qmp") || !strcmp(s, "-qmp"))) {
            NEEDS_VALUE();
            a->qmp = val;
        } else if (run && (!strcmp(s, "--preconfig") || !strcmp(s, "-preconfig"))) {
            a->preconfig = true;
        } else if (run && !strcmp(s, "--semihosting")) {
            a->semihosting = true;
        } else if (run && !strcmp(s, "-q")) {
            a->quiet = true;
        } else if (!strncmp(s, "--jit=", 6)) {
            if (!strcmp(s + 6, "interp")) a->jit = LOOM_JIT_INTERP;
            else if (!strcmp(s + 6, "native")) a->jit = LOOM_JIT_NATIVE;
            else return usage_error("--jit takes native or interp, not '%s'", s + 6);
        } else if (s[0] == '-' && s[1]) {
            return usage_error("unknown option '%s'", s);
        } else if (!a->board) {
            a->board = s;
        } else {
            return usage_error("unexpected argument '%s' (one board at a time)", s);
        }
#undef NEEDS_VALUE
    }
    if (!a->board) return usage_error("%s", "which board? give a BOARD.yaml file");
    if (a->wait && !a->gdb && !a->qmp)
        return usage_error("%s", "-S waits for a debugger or a monitor: give --gdb tcp::PORT (or -s) or --qmp too");
    if (a->preconfig && !a->qmp) return usage_error("%s", "--preconfig waits for QMP commands: give --qmp too");
    return 0;
}

static loom_sim *running_sim; /* for the Ctrl-C handler only */
static volatile sig_atomic_t got_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    got_sigint = 1;
    if (running_sim) loom_sim_request_stop(running_sim, LOOM_STOP_REQUEST, EXIT_INTERRUPT);
}

static int build(const args *a, loom_sim **sim_out, loom_platform **plat_out)
{
    loom_sim *sim;
    if (loom_sim_new(&sim)) {
        fprintf(stderr, "loom: out of memory\n");
        return EXIT_INTERNAL;
    }
    loom_sim_set_jit(sim, a->jit);
    loom_platform_opts opts = {a->overrides, a->noverrides, a->firmware};
    loom_err e = loom_platform_load(sim, a->board, &opts, plat_out);
    if (e) {
        fprintf(stderr, "%s\n", loom_sim_last_error(sim));
        loom_sim_free(sim);
        return e == LOOM_E_IO ? EXIT_NOINPUT : e == LOOM_E_NOMEM ? EXIT_INTERNAL : EXIT_BOARD;
    }
    *sim_out = sim;
    return 0;
}

static void print_time(FILE *f, loom_time t)
{
    if (t % LOOM_MS == 0) fprintf(f, "%" PRIu64 " ms", t / LOOM_MS);
    else if (t % LOOM_US == 0) fprintf(f, "%" PRIu64 " us", t / LOOM_US);
    else if (t % LOOM_NS == 0) fprintf(f, "%" PRIu64 " ns", t / LOOM_NS);
    else fprintf(f, "%" PRIu64 " ps", t);
}

static int cmd_run(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, true, &a);
    if (rc) { free(a.overrides); return rc; }
    loom_sim *sim = NULL;
    loom_platform *plat;
    FILE *logf = NULL;
    loom_qmp *qmp = NULL;
    if (a.qmp) {
        char err[300];
        if (loom_qmp_open(a.qmp, &qmp, err, sizeof err)) {
            fprintf(stderr, "loom: --qmp: %s\n", err);
            rc = EXIT_USAGE;
            goto out_args;
        }
        if (a.preconfig) {
            /* No machine yet: configuration commands only, until
             * x-exit-preconfig (or quit). */
            loom_qmp_set_phase(qmp, LOOM_QMP_PRECONFIG);
            while (!loom_qmp_take_exit_preconfig(qmp) && !loom_qmp_quit_requested(qmp)) loom_qmp_poll(qmp, 200);
            if (loom_qmp_quit_requested(qmp)) goto out_args;
            size_t n = loom_qmp_override_count(qmp);
            loom_override *ov = realloc(a.overrides, (a.noverrides + n + 1) * sizeof *ov);
            if (!ov) {
                rc = EXIT_INTERNAL;
                goto out_args;
            }
            a.overrides = ov;
            for (size_t i = 0; i < n; i++)
                a.overrides[a.noverrides++] = (loom_override){.text = loom_qmp_override(qmp, i)};
        }
    }
    rc = build(&a, &sim, &plat);
    if (rc) {
        if (qmp && a.preconfig) loom_qmp_preconfig_done(qmp, "the board cannot be built (see loom's standard error)");
        goto out_args;
    }
    if (a.semihosting) loom_sim_set_semihosting(sim, true);
    if (a.log_list) {
        unsigned mask;
        if (loom_log_parse(sim, a.log_list, &mask)) {
            rc = usage_error("-d: %s", loom_sim_last_error(sim));
            goto out;
        }
        loom_log_set_mask(sim, mask);
    }
    if (a.log_file) {
        logf = fopen(a.log_file, "w");
        if (!logf) {
            fprintf(stderr, "loom: cannot write log file '%s': %s\n", a.log_file, strerror(errno));
            rc = EXIT_NOINPUT;
            goto out;
        }
        setvbuf(logf, NULL, _IOLBF, 0);
        loom_log_set_file(sim, logf);
    }
    if (a.max_insns) loom_sim_set_insn_limit(sim, a.max_insns);

    running_sim = sim;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    loom_stop_reason why;
    if (qmp) {
        if (loom_qmp_attach(qmp, sim)) {
            rc = EXIT_INTERNAL;
            goto out;
        }
        loom_qmp_set_phase(qmp, a.wait ? LOOM_QMP_PRELAUNCH : LOOM_QMP_RUNNING);
        if (!a.wait && a.preconfig) loom_qmp_event(qmp, "RESUME", NULL);
        if (a.preconfig) loom_qmp_preconfig_done(qmp, NULL);
    }
    if (qmp && !a.gdb) {
        /* Stopped (-S, stop) until cont; quit ends the run. */
        for (;;) {
            why = LOOM_STOP_REQUEST;
            if (loom_qmp_quit_requested(qmp)) break;
            loom_qmp_phase phase = loom_qmp_phase_of(qmp);
            if (phase == LOOM_QMP_PRELAUNCH || phase == LOOM_QMP_PAUSED) {
                loom_qmp_poll(qmp, 200);
                loom_qmp_take_cont(qmp);
                if (got_sigint) break; /* Ctrl-C while stopped */
                continue;
            }
            why = loom_sim_run(sim, a.max_time);
            if (why == LOOM_STOP_REQUEST && (loom_qmp_take_stop(qmp) || loom_qmp_quit_requested(qmp))) continue;
            break;
        }
        if (loom_qmp_quit_requested(qmp)) rc = 0;
        else if (why != LOOM_STOP_REQUEST) {
            loom_qmp_set_phase(qmp, LOOM_QMP_SHUTDOWN);
            loom_qmp_event(qmp, "SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}");
        }
    } else if (a.gdb) {
        loom_gdb *gdb;
        if (loom_gdb_open(sim, a.gdb, &gdb)) {
            fprintf(stderr, "loom: %s\n", loom_sim_last_error(sim));
            rc = EXIT_USAGE;
            running_sim = NULL;
            signal(SIGINT, SIG_DFL);
            goto out;
        }
        why = loom_gdb_run(gdb, a.max_time, a.wait);
        bool killed = loom_gdb_killed(gdb);
        loom_gdb_close(gdb);
        if (killed) {
            running_sim = NULL;
            signal(SIGINT, SIG_DFL);
            rc = 0; /* the debugger ended it */
            goto out;
        }
    } else {
        why = loom_sim_run(sim, a.max_time);
    }
    running_sim = NULL;
    signal(SIGINT, SIG_DFL);
    if (qmp && loom_qmp_quit_requested(qmp)) {
        rc = 0; /* as QEMU: quit is a clean end */
        goto out;
    }

    loom_time now = loom_sim_now(sim);
    switch (why) {
    case LOOM_STOP_EXIT:
        rc = loom_sim_exit_status(sim);
        break;
    case LOOM_STOP_TIME_LIMIT:
    case LOOM_STOP_INSN_LIMIT:
        rc = EXIT_LIMIT;
        if (!a.quiet) {
            fprintf(stderr, "loom: %s reached at ", loom_stop_reason_name(why));
            print_time(stderr, now);
            fprintf(stderr, " of simulated time\n");
        }
        break;
    case LOOM_STOP_IDLE:
        rc = EXIT_IDLE;
        if (!a.quiet) {
            fprintf(stderr, "loom: idle at ");
            print_time(stderr, now);
            fprintf(stderr, ": nothing runs and nothing is scheduled\n");
        }
        break;
    case LOOM_STOP_FAULT:
        rc = EXIT_FAULT;
        fprintf(stderr, "loom: stopped at ");
        print_time(stderr, now);
        fprintf(stderr, ": %s\n", loom_sim_last_error(sim));
        break;
    case LOOM_STOP_REQUEST:
    case LOOM_STOP_NONE:
        rc = loom_sim_exit_status(sim) ? loom_sim_exit_status(sim) : EXIT_INTERRUPT;
        if (!a.quiet) fprintf(stderr, "loom: interrupted\n");
        break;
    }
out:
    loom_sim_free(sim);
    if (logf) fclose(logf);
out_args:
    loom_qmp_close(qmp);
    free(a.overrides);
    return rc;
}

static int cmd_describe(int argc, char **argv)
{
    args a;
    int rc = parse_args(argc, argv, false, &a);
    if (rc) { free(a.overrides); return rc; }
    loom_sim *sim;
    loom_platform *plat;
    rc = build(&a, &sim, &plat);
    if (!rc && a.dtb) {
        /* Only the device tree, to the file. */
        void *blob;
        size_t size;
        if (loom_platform_dtb(plat, &blob, &size)) {
            fprintf(stderr, "loom: %s\n", loom_sim_last_error(sim));
            rc = EXIT_INTERNAL;
        } else {
            FILE *f = fopen(a.dtb, "wb");
            if (!f || fwrite(blob, 1, size, f) != size || fclose(f)) {
                fprintf(stderr, "loom: cannot write '%s': %s\n", a.dtb, strerror(errno));
                rc = EXIT_CANTCREAT;
            }
            free(blob);
        }
        loom_sim_free(sim);
    } else if (!rc) {
        loom_platform_describe(plat, stdout);
        loom_sim_free(sim);
    }
    free(a.overrides);
    return rc;
}

static int cmd_models(int argc, char **argv)
{
    loom_sim *sim;
    if (argc > 1) return usage_error("%s", "models takes at most one type name");
    if (loom_sim_new(&sim)) return EXIT_INTERNAL;
    if (argc == 1 && !loom_sim_find_model(sim, argv[0])) {
        fprintf(stderr, "loom: no model type '%s'; the known types:\n", argv[0]);
        loom_models_describe(sim, stderr, NULL);
        loom_sim_free(sim);
        return EXIT_USAGE;
    }
    loom_models_describe(sim, stdout, argc ? argv[0] : NULL);
    loom_sim_free(sim);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("loom %s\n", LOOM_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "describe")) return cmd_describe(argc - 2, argv + 2);
    if (!strcmp(cmd, "models")) return cmd_models(argc - 2, argv + 2);
    if (!strcmp(cmd, "user")) return loom_user_main(argc - 2, argv + 2);
    return usage_error("unknown command '%s' (run, describe, models, user)", cmd);
}
