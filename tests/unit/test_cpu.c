/* Unit tests for core/cpu.c: the generic CPU runner, driven by a tiny fake
 * guest defined here (struct loom_arch "counter"). Each of its instructions
 * increments r0 and advances the PC by 4; every EVERY-th instruction does
 * something according to the CPU model:
 *   store  stores r0 to RAM (a bus write through the CPU's bus)
 *   wfi    waits for an interrupt (LOOM_CPU_HALT) unless a line is raised
 *   fault  (no periodic action) the instruction after FAULT_AFTER retired
 *          ones is undefined: loom_cpu_fault and LOOM_CPU_FATAL
 * Expectations come from include/loom/cpu.h and DESIGN.md ("Time", "CPU",
 * "Scheduler"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"

#define EVERY 10
#define FAULT_AFTER 76
#define RESET_PC 0x1000u
#define RAM_BASE 0x80000000u
#define RAM_SLOTS 16

/* ---- The fake guest -------------------------------------------------------- */

typedef struct trace {
    char text[16384];
    size_t len;
} trace;

static void trace_add(trace *t, const char *fmt, ...) LOOM_PRINTF(2, 3);
static void trace_add(trace *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->text + t->len, sizeof t->text - t->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof t->text - t->len);
    t->len += (size_t)n;
}

enum { M_STORE, M_WFI, M_FAULT };

typedef struct ctr {
    loom_cpu *cpu;
    int model;
    uint64_t pc, r0;
    uint32_t irqs; /* raised lines */
    trace *t;
    unsigned execs; /* exec calls */
} ctr;

/* Test-side context: where the fake guest reports itself. Tests only; the
 * library itself keeps no globals. */
static struct {
    trace *t;
    ctr *last;
} ctx;

static const char *const ctr_models[] = {"store", "wfi", "fault", NULL};
static const char *const ctr_irq_names[] = {"irq", "fiq"};

static loom_err ctr_init(loom_cpu *cpu, void *state, const char *model)
{
    ctr *c = state;
    c->cpu = cpu;
    c->model = !strcmp(model, "store") ? M_STORE : !strcmp(model, "wfi") ? M_WFI : M_FAULT;
    c->t = ctx.t;
    ctx.last = c;
    return LOOM_OK;
}

static void ctr_reset(loom_cpu *cpu, void *state)
{
    ctr *c = state;
    c->pc = RESET_PC;
    c->r0 = 0;
}

static loom_cpu_exit ctr_exec(loom_cpu *cpu, void *state, uint64_t max, uint64_t *done)
{
    ctr *c = state;
    loom_time start = loom_cpu_local_time(cpu);
    loom_cpu_exit why = LOOM_CPU_BUDGET;
    uint64_t n = 0;
    c->execs++;
    while (n < max) {
        if (c->model == M_FAULT && c->r0 == FAULT_AFTER) {
            loom_cpu_fault(cpu, c->pc, "undefined instruction 0x%08x", 0xe7f000f0u);
            why = LOOM_CPU_FATAL;
            break;
        }
        c->r0++;
        c->pc += 4;
        n++;
        if (c->r0 % EVERY) continue;
        if (c->model == M_STORE) {
            uint8_t b[4];
            loom_put_le(b, 4, (uint32_t)c->r0);
            uint64_t a = RAM_BASE + (c->r0 / EVERY % RAM_SLOTS) * 4;
            if (loom_bus_write(loom_cpu_bus(cpu), a, b, 4)) {
                loom_cpu_fault(cpu, c->pc - 4, "store to 0x%llx failed", (unsigned long long)a);
                why = LOOM_CPU_FATAL;
                break;
            }
        } else if (c->model == M_WFI && !c->irqs) {
            why = LOOM_CPU_HALT;
            break;
        }
    }
    *done = n;
    if (c->t)
        trace_add(c->t, "%s:+%llu@%llu%s ", loom_cpu_name(cpu), (unsigned long long)n,
                  (unsigned long long)start, why == LOOM_CPU_HALT ? ":wfi" : "");
    return why;
}

static void ctr_set_irq(loom_cpu *cpu, void *state, unsigned line, bool level)
{
    ctr *c = state;
    c->irqs = level ? c->irqs | (1u << line) : c->irqs & ~(1u << line);
}

static int ctr_reg_read(loom_cpu *cpu, void *state, unsigned regno, uint8_t *buf)
{
    ctr *c = state;
    if (regno > 1) return -1;
    loom_put_le(buf, 8, regno ? c->pc : c->r0);
    return 8;
}

static int ctr_reg_write(loom_cpu *cpu, void *state, unsigned regno, const uint8_t *buf)
{
    ctr *c = state;
    if (regno > 1) return -1;
    *(regno ? &c->pc : &c->r0) = loom_get_le(buf, 8);
    return 8;
}

static void ctr_set_pc(loom_cpu *cpu, void *state, uint64_t pc) { ((ctr *)state)->pc = pc; }
static uint64_t ctr_get_pc(loom_cpu *cpu, void *state) { return ((ctr *)state)->pc; }

static void ctr_save(loom_cpu *cpu, void *state, loom_buf *b)
{
    ctr *c = state;
    loom_buf_put_u64(b, c->pc);
    loom_buf_put_u64(b, c->r0);
    loom_buf_put_u32(b, c->irqs);
}

static loom_err ctr_restore(loom_cpu *cpu, void *state, loom_buf *b)
{
    ctr *c = state;
    c->pc = loom_buf_get_u64(b);
    c->r0 = loom_buf_get_u64(b);
    c->irqs = loom_buf_get_u32(b);
    return b->bad ? LOOM_E_FORMAT : LOOM_OK;
}

static const loom_arch ctr_arch = {
    .name = "counter",
    .models = ctr_models,
    .state_size = sizeof(ctr),
    .irq_lines = 2,
    .irq_names = ctr_irq_names,
    .init = ctr_init,
    .reset = ctr_reset,
    .exec = ctr_exec,
    .set_irq = ctr_set_irq,
    .reg_read = ctr_reg_read,
    .reg_write = ctr_reg_write,
    .set_pc = ctr_set_pc,
    .get_pc = ctr_get_pc,
    .save = ctr_save,
    .restore = ctr_restore,
};

/* ---- Fixtures --------------------------------------------------------------- */

typedef struct ram {
    uint8_t data[RAM_SLOTS * 4];
    unsigned writes;
} ram;

static void ram_transport(void *opaque, loom_txn *txn)
{
    ram *r = opaque;
    if (txn->addr + txn->len > sizeof r->data) {
        txn->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(txn->cmd)) {
        memcpy(r->data + txn->addr, txn->data, txn->len);
        r->writes++;
    } else {
        memcpy(txn->data, r->data + txn->addr, txn->len);
    }
    txn->resp = LOOM_RESP_OK;
}

static const loom_target_ops ram_ops = {ram_transport, NULL, NULL};

static loom_sim *new_sim(ram *r)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_sim_register_arch(sim, &ctr_arch), LOOM_OK);
    if (r) {
        loom_region *reg;
        assert_int_equal(loom_region_new(sim, "ram", sizeof r->data, &ram_ops, r, &reg), LOOM_OK);
        assert_int_equal(loom_bus_map(loom_sim_memory(sim), reg, RAM_BASE, 0, NULL), LOOM_OK);
    }
    return sim;
}

static loom_cpu *new_cpu(loom_sim *sim, const char *name, const char *model, uint64_t hz,
                         uint64_t cpi)
{
    loom_cpu_opts o = {.name = name, .clock_hz = hz, .cycles_per_insn = cpi};
    loom_cpu *cpu = NULL;
    assert_int_equal(loom_cpu_new(sim, "counter", model, NULL, &o, &cpu), LOOM_OK);
    assert_non_null(cpu);
    return cpu;
}

static uint64_t reg(loom_cpu *cpu, unsigned n)
{
    uint8_t b[8];
    assert_int_equal(loom_cpu_reg_read(cpu, n, b), 8);
    return loom_get_le(b, 8);
}

static int setup(void **state)
{
    memset(&ctx, 0, sizeof ctx);
    return 0;
}

/* ---- Creation ---------------------------------------------------------------- */

static void test_cpu_new_with_an_unknown_arch_lists_the_known_ones(void **state)
{
    loom_sim *sim = new_sim(NULL);
    loom_cpu *cpu = (loom_cpu *)&cpu;
    assert_int_equal(loom_cpu_new(sim, "vax", NULL, NULL, NULL, &cpu), LOOM_E_NOTFOUND);
    assert_null(cpu);
    const char *msg = loom_sim_last_error(sim);
    assert_non_null(strstr(msg, "'vax'"));
    assert_non_null(strstr(msg, "counter"));
    /* An unknown model of a known arch lists the models. */
    assert_int_equal(loom_cpu_new(sim, "counter", "turbo", NULL, NULL, &cpu), LOOM_E_NOTFOUND);
    msg = loom_sim_last_error(sim);
    assert_non_null(strstr(msg, "'turbo'"));
    assert_non_null(strstr(msg, "store, wfi, fault"));
    /* Registering the same arch twice is refused. */
    assert_int_equal(loom_sim_register_arch(sim, &ctr_arch), LOOM_E_EXISTS);
    assert_ptr_equal(loom_sim_find_arch(sim, "counter"), &ctr_arch);
    assert_null(loom_sim_find_arch(sim, "vax"));
    loom_sim_free(sim);
}

static void test_cpu_new_picks_the_first_model_and_resets(void **state)
{
    loom_sim *sim = new_sim(NULL);
    loom_cpu *cpu = NULL;
    assert_int_equal(loom_cpu_new(sim, "counter", NULL, NULL, NULL, &cpu), LOOM_OK);
    assert_int_equal(ctx.last->model, M_STORE);
    assert_string_equal(loom_cpu_name(cpu), "cpu0");
    assert_ptr_equal(loom_cpu_bus(cpu), loom_sim_memory(sim));
    assert_ptr_equal(loom_cpu_sim(cpu), sim);
    assert_ptr_equal(loom_cpu_arch(cpu), &ctr_arch);
    assert_int_equal(loom_cpu_pc(cpu), RESET_PC);
    assert_int_equal(loom_cpu_period(cpu), 10 * LOOM_NS); /* 100 MHz default */
    uint8_t b[8];
    assert_int_equal(loom_cpu_reg_read(cpu, 7, b), -1);
    loom_sim_free(sim);
}

/* ---- Time ----------------------------------------------------------------------- */

static void test_simulated_time_is_instructions_times_period(void **state)
{
    static const struct {
        uint64_t hz, cpi;
        loom_time period;
    } cases[] = {
        {100000000, 1, 10 * LOOM_NS},
        {100000000, 3, 30 * LOOM_NS},
        {250000000, 1, 4 * LOOM_NS},
        {1000000000, 2, 2 * LOOM_NS},
        {0, 0, 10 * LOOM_NS}, /* defaults: 100 MHz, one cycle */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ram r = {0};
        loom_sim *sim = new_sim(&r);
        loom_cpu *cpu = new_cpu(sim, "cpu0", "store", cases[i].hz, cases[i].cpi);
        assert_int_equal(loom_cpu_period(cpu), cases[i].period);
        loom_sim_set_quantum(sim, 1 * LOOM_US);
        assert_int_equal(loom_sim_run(sim, 30 * LOOM_US), LOOM_STOP_TIME_LIMIT);
        assert_int_equal(loom_sim_now(sim), 30 * LOOM_US);
        assert_int_equal(loom_cpu_insns(cpu), 30 * LOOM_US / cases[i].period);
        assert_int_equal(loom_cpu_insns(cpu) * loom_cpu_period(cpu), loom_sim_now(sim));
        assert_int_equal(loom_cpu_local_time(cpu), 30 * LOOM_US);
        assert_int_equal(reg(cpu, 0), loom_cpu_insns(cpu));
        assert_int_equal(loom_cpu_pc(cpu), RESET_PC + 4 * loom_cpu_insns(cpu));
        assert_int_equal(r.writes, loom_cpu_insns(cpu) / EVERY);
        /* Outside the scheduler, local time runs ahead of the simulation. */
        assert_int_equal(loom_cpu_run(cpu, 25), LOOM_CPU_BUDGET);
        assert_int_equal(loom_cpu_local_time(cpu), 30 * LOOM_US + 25 * cases[i].period);
        assert_int_equal(loom_sim_now(sim), 30 * LOOM_US);
        loom_sim_free(sim);
    }
}

/* ---- --max-insns ---------------------------------------------------------------- */

static void test_insn_limit_stops_exactly_across_two_cpus(void **state)
{
    ram r = {0};
    loom_sim *sim = new_sim(&r);
    loom_cpu *c0 = new_cpu(sim, "cpu0", "store", 0, 0);
    loom_cpu *c1 = new_cpu(sim, "cpu1", "store", 0, 0);
    loom_sim_set_quantum(sim, 1 * LOOM_US); /* 100 instructions a turn */
    loom_sim_set_insn_limit(sim, 1234);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_INSN_LIMIT);
    assert_int_equal(loom_cpu_insns(c0) + loom_cpu_insns(c1), 1234);
    /* Six full turns each, then cpu0 spends the last 34. */
    assert_int_equal(loom_cpu_insns(c0), 634);
    assert_int_equal(loom_cpu_insns(c1), 600);
    assert_int_equal(loom_sim_now(sim), 6340 * LOOM_NS);
    assert_string_equal(loom_stop_reason_name(LOOM_STOP_INSN_LIMIT), "instruction limit");

    /* Spent is spent: running again retires nothing. */
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_INSN_LIMIT);
    assert_int_equal(loom_cpu_insns(c0) + loom_cpu_insns(c1), 1234);
    assert_int_equal(loom_cpu_run(c1, 50), LOOM_CPU_BUDGET);
    assert_int_equal(loom_cpu_insns(c1), 600);

    /* Raising the limit lets exactly the difference through. */
    loom_sim_set_insn_limit(sim, 1300);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_INSN_LIMIT);
    assert_int_equal(loom_cpu_insns(c0) + loom_cpu_insns(c1), 1300);
    loom_sim_free(sim);
}

/* ---- Halt and interrupts ---------------------------------------------------------- */

typedef struct irq_ev {
    loom_event *ev;
    loom_cpu *cpu;
    bool level;
} irq_ev;

static void irq_fire(loom_sim *sim, void *opaque)
{
    irq_ev *e = opaque;
    loom_cpu_set_irq(e->cpu, 0, e->level);
}

static void test_halted_cpu_is_skipped_until_an_irq_wakes_it(void **state)
{
    trace *t = calloc(1, sizeof *t);
    ctx.t = t;
    ram r = {0};
    loom_sim *sim = new_sim(&r);
    loom_cpu *c0 = new_cpu(sim, "cpu0", "wfi", 0, 0);
    ctr *s0 = ctx.last;
    loom_cpu *c1 = new_cpu(sim, "cpu1", "store", 0, 0);
    loom_sim_set_quantum(sim, 1 * LOOM_US);
    irq_ev raise = {.cpu = c0, .level = true}, lower = {.cpu = c0, .level = false};
    assert_int_equal(loom_event_new(sim, "test", "raise", irq_fire, &raise, &raise.ev), LOOM_OK);
    assert_int_equal(loom_event_new(sim, "test", "lower", irq_fire, &lower, &lower.ev), LOOM_OK);
    loom_event_schedule(raise.ev, 5 * LOOM_US);
    loom_event_schedule(lower.ev, 7 * LOOM_US);

    assert_int_equal(loom_sim_run(sim, 10 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    /* cpu0: 10 instructions, WFI at 100 ns; woken at 5 us with the line
     * high (WFI falls through); the line drops at 7 us and the next WFI,
     * at instruction 220, halts it again. */
    assert_int_equal(loom_cpu_insns(c0), 220);
    assert_true(loom_cpu_halted(c0));
    assert_int_equal(loom_cpu_insns(c1), 1000);
    /* Never called while halted: once before the WFI, then one turn a
     * microsecond from 5 us until the second WFI at 7.1 us. */
    assert_int_equal(s0->execs, 4);
    assert_non_null(strstr(t->text, "cpu0:+10@0:wfi cpu1:+100@0 cpu1:+100@1000000 "));
    assert_non_null(strstr(t->text, "cpu1:+100@4000000 cpu0:+100@5000000 cpu1:+100@5000000 "));
    assert_non_null(strstr(t->text, "cpu0:+10@7000000:wfi "));

    /* While halted, running it directly does nothing either. */
    assert_int_equal(loom_cpu_run(c0, 100), LOOM_CPU_HALT);
    assert_int_equal(loom_cpu_insns(c0), 220);
    /* A lowered line does not wake it; a raised one does. */
    loom_cpu_set_irq(c0, 1, false);
    assert_true(loom_cpu_halted(c0));
    loom_cpu_set_irq(c0, 1, true);
    assert_false(loom_cpu_halted(c0));
    loom_sim_free(sim);
    free(t);
}

static void test_halted_cpus_with_nothing_pending_end_the_run_idle(void **state)
{
    loom_sim *sim = new_sim(NULL);
    loom_cpu *c0 = new_cpu(sim, "cpu0", "wfi", 0, 0);
    loom_cpu *c1 = new_cpu(sim, "cpu1", "wfi", 0, 0);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_IDLE);
    assert_int_equal(loom_cpu_insns(c0), EVERY);
    assert_int_equal(loom_cpu_insns(c1), EVERY);
    assert_true(loom_cpu_halted(c0) && loom_cpu_halted(c1));
    loom_sim_free(sim);
}

/* ---- Round robin ---------------------------------------------------------------- */

static void two_cpu_run(trace *t, ram *r)
{
    ctx.t = t;
    loom_sim *sim = new_sim(r);
    new_cpu(sim, "cpu0", "store", 100000000, 1);
    new_cpu(sim, "cpu1", "store", 50000000, 1); /* half as fast */
    loom_sim_set_quantum(sim, 700 * LOOM_NS);
    assert_int_equal(loom_sim_run(sim, 5 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    trace_add(t, "end@%llu", (unsigned long long)loom_sim_now(sim));
    loom_sim_free(sim);
    ctx.t = NULL;
}

static void test_two_cpus_are_scheduled_round_robin_deterministically(void **state)
{
    trace *t1 = calloc(1, sizeof *t1), *t2 = calloc(1, sizeof *t2);
    ram r1 = {0}, r2 = {0};
    two_cpu_run(t1, &r1);
    two_cpu_run(t2, &r2);
    assert_string_equal(t1->text, t2->text);
    assert_memory_equal(r1.data, r2.data, sizeof r1.data);
    assert_int_equal(r1.writes, r2.writes);
    /* Turns alternate, each a quantum of its own clock. */
    assert_true(!strncmp(t1->text,
                         "cpu0:+70@0 cpu1:+35@0 cpu0:+70@700000 cpu1:+35@700000 "
                         "cpu0:+70@1400000 cpu1:+35@1400000 ",
                         strlen("cpu0:+70@0 cpu1:+35@0 cpu0:+70@700000 cpu1:+35@700000 "
                                "cpu0:+70@1400000 cpu1:+35@1400000 ")));
    assert_int_equal(r1.writes, (500 + 250) / EVERY);
    free(t1);
    free(t2);
}

/* ---- Faults ---------------------------------------------------------------------- */

static void test_cpu_fault_stops_the_run_naming_the_cpu_and_pc(void **state)
{
    ram r = {0};
    loom_sim *sim = new_sim(&r);
    loom_cpu *ok = new_cpu(sim, "core0", "store", 0, 0);
    loom_cpu *bad = new_cpu(sim, "core3", "fault", 0, 0);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_FAULT);
    assert_int_equal(loom_sim_stop_reason(sim), LOOM_STOP_FAULT);
    const char *msg = loom_sim_last_error(sim);
    assert_non_null(strstr(msg, "core3"));
    assert_non_null(strstr(msg, "undefined instruction 0xe7f000f0"));
    assert_non_null(strstr(msg, "0x1130")); /* RESET_PC + 76 * 4 */
    assert_null(strstr(msg, "core0"));
    /* The faulting instruction did not retire. */
    assert_int_equal(loom_cpu_insns(bad), FAULT_AFTER);
    assert_int_equal(loom_cpu_pc(bad), RESET_PC + 4 * FAULT_AFTER);
    assert_int_equal(loom_cpu_insns(ok), 1000);
    assert_int_equal(loom_sim_now(sim), FAULT_AFTER * 10 * LOOM_NS);
    loom_sim_free(sim);
}

static void test_store_to_unmapped_memory_faults_through_the_bus(void **state)
{
    loom_sim *sim = new_sim(NULL); /* no RAM */
    loom_cpu *cpu = new_cpu(sim, "cpu0", "store", 0, 0);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_FAULT);
    assert_non_null(strstr(loom_sim_last_error(sim), "cpu0: store to 0x80000004 failed at pc 0x1024"));
    assert_int_equal(loom_cpu_insns(cpu), EVERY);
    loom_sim_free(sim);
}

/* ---- The "cpu" model type ------------------------------------------------------------ */

static loom_inst *cpu_inst(loom_sim *sim, const char *name, const char *const *props)
{
    loom_inst *inst;
    char err[256] = "";
    assert_ptr_equal(loom_sim_find_model(sim, "cpu"), &loom_cpu_model_type);
    assert_int_equal(loom_inst_create(sim, &loom_cpu_model_type, name, &inst), LOOM_OK);
    for (size_t i = 0; props[i]; i += 2) {
        if (loom_inst_set_prop(inst, props[i], props[i + 1], err, sizeof err))
            fail_msg("%s=%s: %s", props[i], props[i + 1], err);
    }
    return inst;
}

static void test_cpu_model_type_builds_a_cpu_of_a_registered_arch(void **state)
{
    loom_sim *sim = new_sim(NULL);
    static const char *const props[] = {"arch", "counter", "model", "wfi", "clock", "250MHz",
                                        "cycles-per-insn", "2", "reset-pc", "0x8000",
                                        "reset-pc-set", "true", NULL};
    loom_inst *inst = cpu_inst(sim, "cpu0", props);
    assert_int_equal(loom_inst_init(inst), LOOM_OK);
    assert_int_equal(loom_inst_realize(inst), LOOM_OK);
    ctr *s = ctx.last;
    assert_non_null(s);
    loom_cpu *cpu = s->cpu;
    assert_string_equal(loom_cpu_name(cpu), "cpu0");
    assert_int_equal(s->model, M_WFI);
    assert_int_equal(loom_cpu_period(cpu), 8 * LOOM_NS);
    assert_int_equal(loom_cpu_pc(cpu), 0x8000);
    /* One input port per interrupt line of the arch, named by it. */
    assert_int_equal(loom_inst_port_count(inst), 2);
    assert_string_equal(loom_inst_port(inst, 0).name, "irq");
    assert_string_equal(loom_inst_port(inst, 1).name, "fiq");
    assert_false(loom_inst_port(inst, 0).output);

    loom_irq *line;
    assert_int_equal(loom_irq_new(sim, "wake", &line), LOOM_OK);
    assert_int_equal(loom_inst_connect_input(inst, "fiq", 0, line), LOOM_OK);
    assert_int_equal(loom_sim_run(sim, 1 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_cpu_insns(cpu), EVERY);
    assert_true(loom_cpu_halted(cpu));
    /* The line raised through the board wiring wakes the core. */
    loom_irq_raise(line);
    assert_false(loom_cpu_halted(cpu));
    assert_int_equal(s->irqs, 2);
    assert_int_equal(loom_sim_run(sim, 2 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_cpu_insns(cpu), EVERY + 1 * LOOM_US / (8 * LOOM_NS));

    /* Resetting the instance puts the PC back at reset-pc. */
    loom_inst_reset(inst);
    assert_int_equal(loom_cpu_pc(cpu), 0x8000);
    assert_int_equal(reg(cpu, 0), 0);
    loom_sim_free(sim);
}

static void test_cpu_model_type_reports_bad_settings_with_the_instance_name(void **state)
{
    loom_sim *sim = new_sim(NULL);
    static const char *const bad_arch[] = {"arch", "vax", NULL};
    loom_inst *inst = cpu_inst(sim, "cpu1", bad_arch);
    assert_int_equal(loom_inst_init(inst), LOOM_E_NOTFOUND);
    const char *msg = loom_sim_last_error(sim);
    assert_non_null(strstr(msg, "cpu1 (cpu)"));
    assert_non_null(strstr(msg, "'vax'"));
    assert_non_null(strstr(msg, "counter"));

    static const char *const bad_cpi[] = {"arch", "counter", "cycles-per-insn", "0", NULL};
    inst = cpu_inst(sim, "cpu2", bad_cpi);
    assert_int_equal(loom_inst_init(inst), LOOM_E_CONFIG);
    assert_non_null(strstr(loom_sim_last_error(sim), "cpu2 (cpu): cycles-per-insn"));

    static const char *const no_arch[] = {NULL};
    inst = cpu_inst(sim, "cpu3", no_arch);
    assert_int_equal(loom_inst_init(inst), LOOM_E_CONFIG);
    assert_non_null(strstr(loom_sim_last_error(sim), "'arch'"));
    loom_sim_free(sim);
}

/* Save at T1, restore into a second simulation, run both to T2: the CPU
 * state, the memory and the saved bytes agree. */
static loom_sim *saved_board(loom_inst **ram_out)
{
    loom_sim *sim = new_sim(NULL);
    static const char *const props[] = {"arch", "counter", "model", "store", NULL};
    loom_inst *c = cpu_inst(sim, "cpu0", props);
    assert_int_equal(loom_inst_init(c), LOOM_OK);
    loom_inst *r;
    char err[128];
    assert_int_equal(loom_inst_create(sim, loom_sim_find_model(sim, "ram"), "ram", &r), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(r, "size", "4KiB", err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(r), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(sim), loom_inst_find_region(r, "regs"), RAM_BASE, 0,
                                  NULL),
                     LOOM_OK);
    loom_sim_set_quantum(sim, 1 * LOOM_US);
    if (ram_out) *ram_out = r;
    return sim;
}

static void test_cpu_model_save_restore_continues_like_an_uninterrupted_run(void **state)
{
    loom_sim *a = saved_board(NULL);
    loom_cpu *ca = ctx.last->cpu;
    assert_int_equal(loom_sim_run(a, 3 * LOOM_US + 500 * LOOM_NS), LOOM_STOP_TIME_LIMIT);
    loom_buf at_t1;
    loom_buf_init(&at_t1);
    assert_int_equal(loom_sim_save(a, &at_t1), LOOM_OK);

    loom_sim *b = saved_board(NULL);
    loom_cpu *cb = ctx.last->cpu;
    assert_int_equal(loom_sim_restore(b, &at_t1), LOOM_OK);
    assert_int_equal(at_t1.pos, at_t1.len);
    assert_int_equal(loom_sim_now(b), 3 * LOOM_US + 500 * LOOM_NS);
    assert_int_equal(loom_cpu_insns(cb), loom_cpu_insns(ca));
    assert_int_equal(loom_cpu_pc(cb), loom_cpu_pc(ca));

    assert_int_equal(loom_sim_run(a, 9 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_run(b, 9 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_cpu_insns(cb), 900);
    assert_int_equal(reg(cb, 0), reg(ca, 0));
    uint8_t ma[RAM_SLOTS * 4], mb[RAM_SLOTS * 4];
    assert_int_equal(loom_bus_read(loom_sim_memory(a), RAM_BASE, ma, sizeof ma), LOOM_OK);
    assert_int_equal(loom_bus_read(loom_sim_memory(b), RAM_BASE, mb, sizeof mb), LOOM_OK);
    assert_memory_equal(ma, mb, sizeof ma);
    assert_int_equal(loom_get_le(ma + 4 * (90 % RAM_SLOTS), 4), 900);

    loom_buf sa, sb;
    loom_buf_init(&sa);
    loom_buf_init(&sb);
    assert_int_equal(loom_sim_save(a, &sa), LOOM_OK);
    assert_int_equal(loom_sim_save(b, &sb), LOOM_OK);
    assert_int_equal(sa.len, sb.len);
    assert_memory_equal(sa.data, sb.data, sa.len);
    loom_buf_free(&at_t1);
    loom_buf_free(&sa);
    loom_buf_free(&sb);
    loom_sim_free(a);
    loom_sim_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cpu_new_with_an_unknown_arch_lists_the_known_ones, setup),
        cmocka_unit_test_setup(test_cpu_new_picks_the_first_model_and_resets, setup),
        cmocka_unit_test_setup(test_simulated_time_is_instructions_times_period, setup),
        cmocka_unit_test_setup(test_insn_limit_stops_exactly_across_two_cpus, setup),
        cmocka_unit_test_setup(test_halted_cpu_is_skipped_until_an_irq_wakes_it, setup),
        cmocka_unit_test_setup(test_halted_cpus_with_nothing_pending_end_the_run_idle, setup),
        cmocka_unit_test_setup(test_two_cpus_are_scheduled_round_robin_deterministically, setup),
        cmocka_unit_test_setup(test_cpu_fault_stops_the_run_naming_the_cpu_and_pc, setup),
        cmocka_unit_test_setup(test_store_to_unmapped_memory_faults_through_the_bus, setup),
        cmocka_unit_test_setup(test_cpu_model_type_builds_a_cpu_of_a_registered_arch, setup),
        cmocka_unit_test_setup(test_cpu_model_type_reports_bad_settings_with_the_instance_name, setup),
        cmocka_unit_test_setup(test_cpu_model_save_restore_continues_like_an_uninterrupted_run, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
