/* The JIT engine, tested through the toy guest and through IR built by hand:
 * results against a plain C stepper of the toy ISA, exact instruction
 * budgets, precise faults, self-modifying code, and optimized against
 * unoptimized IR on random blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "eval.h"
#include "opt.h"
#include "toy.h"
#include "x86/backend.h"

/* Every engine test runs on both back ends. */
static loom_jit_choice backend = LOOM_JIT_NATIVE;

#define RAM_BASE 0x1000u
#define RAM_SIZE 0x10000u

/* ---- A board: RAM and one toy CPU -------------------------------------- */

typedef struct rig {
    loom_sim *sim;
    loom_cpu *cpu;
    toy_state *s;
    uint8_t *ram;
    loom_region *reg;
} rig;

/* RAM as a memory model must behave: DMI for CPUs, and writes through
 * transport (other masters) announced. */
static void rig_ram_transport(void *opaque, loom_txn *t)
{
    rig *r = opaque;
    if (t->addr + t->len > RAM_SIZE) {
        t->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(t->cmd)) {
        memcpy(r->ram + t->addr, t->data, t->len);
        loom_region_notify_write(r->reg, t->addr, t->len);
    } else {
        memcpy(t->data, r->ram + t->addr, t->len);
    }
    t->resp = LOOM_RESP_OK;
}

static bool rig_ram_dmi(void *opaque, uint64_t off, loom_dmi *d)
{
    rig *r = opaque;
    *d = (loom_dmi){.host = r->ram, .start = 0, .end = RAM_SIZE - 1, .rights = LOOM_DMI_READ | LOOM_DMI_WRITE};
    return true;
}

static const loom_target_ops rig_ram_ops = {rig_ram_transport, rig_ram_dmi, NULL};

static void rig_new(rig *r, const uint32_t *prog, size_t n)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(loom_sim_new(&r->sim), LOOM_OK);
    loom_sim_set_jit(r->sim, backend);
    assert_int_equal(loom_sim_register_arch(r->sim, &toy_arch), LOOM_OK);
    r->ram = calloc(1, RAM_SIZE);
    assert_int_equal(loom_region_new(r->sim, "ram", RAM_SIZE, &rig_ram_ops, r, &r->reg), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(r->sim), r->reg, RAM_BASE, 0, NULL), LOOM_OK);
    loom_cpu_opts o = {.name = "cpu0", .clock_hz = 100000000};
    assert_int_equal(loom_cpu_new(r->sim, "toy", NULL, NULL, &o, &r->cpu), LOOM_OK);
    r->s = toy_state_of(r->cpu);
    for (size_t i = 0; i < n; i++) loom_put_le(r->ram + 4 * i, 4, prog[i]);
    r->s->pc = RAM_BASE;
}

static void rig_free(rig *r)
{
    loom_sim_free(r->sim);
    free(r->ram);
}

/* ---- The reference: a plain C stepper of the toy ISA -------------------- */

typedef struct ref {
    uint32_t r[8], pc, epc, cause, evec;
    uint8_t mem[RAM_SIZE];
    bool halted, fault;
} ref;

static bool ref_addr(uint32_t a, unsigned size) { return a >= RAM_BASE && a - RAM_BASE + size <= RAM_SIZE; }

static bool ref_trapped;

static void ref_trap(ref *m, uint32_t cause)
{
    ref_trapped = true;
    m->epc = m->pc;
    m->cause = cause;
    if (!m->evec) m->fault = true;
    m->pc = m->evec;
}

static void ref_step(ref *m)
{
    if (!ref_addr(m->pc, 4)) {
        ref_trap(m, TOY_CAUSE_FAULT);
        return;
    }
    uint32_t w = (uint32_t)loom_get_le(m->mem + m->pc - RAM_BASE, 4);
    unsigned op = w >> 26, rd = (w >> 23) & 7, ra = (w >> 20) & 7, rb = (w >> 17) & 7;
    int32_t imm = (int16_t)(w & 0xffff);
    uint32_t next = m->pc + 4, a;
    switch (op) {
    case TOY_HALT: m->halted = true; break;
    case TOY_LI: m->r[rd] = (uint32_t)imm; break;
    case TOY_LUI: m->r[rd] = (uint32_t)imm << 16; break;
    case TOY_ADD: m->r[rd] = m->r[ra] + m->r[rb]; break;
    case TOY_SUB: m->r[rd] = m->r[ra] - m->r[rb]; break;
    case TOY_XOR: m->r[rd] = m->r[ra] ^ m->r[rb]; break;
    case TOY_MUL: m->r[rd] = m->r[ra] * m->r[rb]; break;
    case TOY_SHL: m->r[rd] = m->r[ra] << (m->r[rb] & 31); break;
    case TOY_ADDI: m->r[rd] = m->r[ra] + (uint32_t)imm; break;
    case TOY_LD: case TOY_LDB:
        a = m->r[ra] + (uint32_t)imm;
        if (!ref_addr(a, op == TOY_LD ? 4 : 1)) { ref_trap(m, TOY_CAUSE_FAULT); return; }
        m->r[rd] = (uint32_t)loom_get_le(m->mem + a - RAM_BASE, op == TOY_LD ? 4 : 1);
        break;
    case TOY_ST: case TOY_STB:
        a = m->r[ra] + (uint32_t)imm;
        if (!ref_addr(a, op == TOY_ST ? 4 : 1)) { ref_trap(m, TOY_CAUSE_FAULT); return; }
        loom_put_le(m->mem + a - RAM_BASE, op == TOY_ST ? 4 : 1, m->r[rd]);
        break;
    case TOY_CSTORE:
        if (m->r[ra]) {
            a = m->r[rb] + (uint32_t)imm;
            if (!ref_addr(a, 4)) { ref_trap(m, TOY_CAUSE_FAULT); return; }
            loom_put_le(m->mem + a - RAM_BASE, 4, m->r[rd]);
        }
        break;
    case TOY_BNE: if (m->r[ra] != m->r[rb]) next += (uint32_t)imm * 4; break;
    case TOY_BEQ: if (m->r[ra] == m->r[rb]) next += (uint32_t)imm * 4; break;
    case TOY_JR: next = m->r[ra]; break;
    case TOY_JAL: m->r[rd] = next; next += (uint32_t)imm * 4; break;
    case TOY_CSEL: if (m->r[ra]) m->r[rd] = m->r[rb]; break;
    case TOY_DIVH:
        if (!m->r[rb]) { ref_trap(m, TOY_CAUSE_DIV0); return; }
        m->r[rd] = m->r[ra] / m->r[rb];
        break;
    case TOY_CAS:
        a = m->r[ra];
        if (!ref_addr(a, 4)) { ref_trap(m, TOY_CAUSE_FAULT); return; }
        {
            uint32_t old = (uint32_t)loom_get_le(m->mem + a - RAM_BASE, 4);
            if (old == m->r[rd]) loom_put_le(m->mem + a - RAM_BASE, 4, m->r[rb]);
            m->r[rd] = old;
        }
        break;
    default: ref_trap(m, TOY_CAUSE_UNDEF); return;
    }
    m->pc = next;
}

static void expect_same(const ref *m, const rig *r, const char *what)
{
    for (int i = 0; i < 8; i++) {
        if (m->r[i] != r->s->r[i]) fail_msg("%s: r%d is 0x%x, the reference has 0x%x", what, i, r->s->r[i], m->r[i]);
    }
    if (m->pc != r->s->pc) fail_msg("%s: pc is 0x%x, the reference has 0x%x", what, r->s->pc, m->pc);
    if (m->epc != r->s->epc || m->cause != r->s->cause)
        fail_msg("%s: epc/cause 0x%x/%u, the reference 0x%x/%u", what, r->s->epc, r->s->cause, m->epc, m->cause);
    if (memcmp(m->mem, r->ram, RAM_SIZE)) fail_msg("%s: memory differs", what);
}

/* ---- Programs ------------------------------------------------------------- */

#define E toy_enc

static void test_jit_toy_loop_computes_sum(void **st)
{
    /* r1 = sum of 1..100 */
    const uint32_t prog[] = {
        E(TOY_LI, 1, 0, 0, 0), E(TOY_LI, 2, 0, 0, 100), E(TOY_LI, 3, 0, 0, 0),
        E(TOY_ADD, 1, 1, 2, 0), E(TOY_ADDI, 2, 2, 0, -1), E(TOY_BNE, 0, 2, 3, -3),
        E(TOY_HALT, 0, 0, 0, 0),
    };
    rig r;
    rig_new(&r, prog, 7);
    loom_cpu_exit why = loom_cpu_run(r.cpu, 100000);
    assert_int_equal(why, LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 5050);
    assert_int_equal(loom_cpu_insns(r.cpu), 3 + 3 * 100 + 1);
    rig_free(&r);
}

static void test_jit_scheduler_time_is_instructions_times_period(void **st)
{
    const uint32_t prog[] = {E(TOY_LI, 2, 0, 0, 1000), E(TOY_ADDI, 2, 2, 0, -1), E(TOY_BNE, 0, 2, 0, -2),
                             E(TOY_HALT, 0, 0, 0, 0)};
    rig r;
    rig_new(&r, prog, 4);
    loom_sim_run(r.sim, 5 * LOOM_US); /* 500 instructions at 10 ns */
    assert_int_equal(loom_cpu_insns(r.cpu), 500);
    assert_int_equal(loom_sim_now(r.sim), 5 * LOOM_US);
    rig_free(&r);
}

/* Random straight-line-and-branching programs, each run for exactly N
 * instructions, must match the reference after N steps. */
static uint32_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)*x;
}

static void random_program(uint64_t *seed, uint32_t *prog, size_t n)
{
    static const unsigned ops[] = {TOY_LI, TOY_ADD, TOY_SUB, TOY_ADDI, TOY_XOR, TOY_SHL, TOY_MUL, TOY_LD,
                                   TOY_ST, TOY_LDB, TOY_STB, TOY_BNE, TOY_BEQ, TOY_CSEL, TOY_CSTORE, TOY_LUI,
                                   TOY_DIVH, TOY_CAS};
    /* r7 points at a data area; loads and stores use it with small offsets,
     * plus a few unmapped addresses to exercise faults. */
    prog[0] = E(TOY_LUI, 7, 0, 0, 0);
    prog[1] = E(TOY_ADDI, 7, 7, 0, 0x4000 + RAM_BASE);
    for (size_t i = 2; i < n; i++) {
        unsigned op = ops[rnd(seed) % (sizeof ops / sizeof *ops)];
        unsigned rd = rnd(seed) % 7, ra = rnd(seed) % 8, rb = rnd(seed) % 8;
        int imm = (int)(rnd(seed) % 64) - 16;
        if (op == TOY_LD || op == TOY_ST || op == TOY_LDB || op == TOY_STB || op == TOY_CSTORE) {
            if (op == TOY_CSTORE) rb = 7; else ra = 7;
            imm = (int)(rnd(seed) % 256) * (op == TOY_LD || op == TOY_ST || op == TOY_CSTORE ? 4 : 1);
            if (rnd(seed) % 64 == 0) imm = -0x7000; /* below RAM: a fault */
        }
        if (op == TOY_CAS) ra = 7;
        if (op == TOY_BNE || op == TOY_BEQ) imm = (int)(rnd(seed) % 8) - 2; /* short jumps, some backwards */
        prog[i] = E(op, rd, ra, rb, imm);
    }
    prog[n - 1] = E(TOY_HALT, 0, 0, 0, 0);
}

static void run_differential(unsigned programs, unsigned len, unsigned steps_max)
{
    uint64_t seed = 0x1234567;
    uint32_t *prog = calloc(len, sizeof *prog);
    for (unsigned p = 0; p < programs; p++) {
        random_program(&seed, prog, len);
        unsigned steps = 1 + rnd(&seed) % steps_max;
        ref *m = calloc(1, sizeof *m);
        for (unsigned i = 0; i < len; i++) loom_put_le(m->mem + 4 * i, 4, prog[i]);
        m->pc = RAM_BASE;
        /* Faults go to a handler that halts. */
        m->evec = RAM_BASE + 4 * (len - 1);
        rig r;
        rig_new(&r, prog, len);
        r.s->evec = m->evec;
        unsigned done = 0;
        /* A trapping instruction does not retire: it is not a step of the
         * budget. */
        while (done < steps && !m->halted) {
            ref_trapped = false;
            ref_step(m);
            if (!ref_trapped) done++;
        }
        loom_cpu_run(r.cpu, steps);
        char what[64];
        snprintf(what, sizeof what, "program %u after %u steps", p, done);
        expect_same(m, &r, what);
        assert_int_equal(loom_cpu_insns(r.cpu), done);
        free(m);
        rig_free(&r);
    }
    free(prog);
}

static void test_jit_random_programs_match_reference_at_exact_budgets(void **st)
{
    run_differential(300, 48, 120);
}

static void test_jit_budget_stops_exactly_inside_a_block(void **st)
{
    /* A 10-instruction straight block: every budget from 1 to 12 stops on
     * the instruction boundary it names. */
    uint32_t prog[12];
    for (int i = 0; i < 11; i++) prog[i] = E(TOY_ADDI, 1, 1, 0, 1);
    prog[11] = E(TOY_HALT, 0, 0, 0, 0);
    for (unsigned n = 1; n <= 12; n++) {
        rig r;
        rig_new(&r, prog, 12);
        /* Warm the cache with the full block first, in another CPU run. */
        loom_cpu_run(r.cpu, n);
        assert_int_equal(r.s->r[1], n > 11 ? 11 : n);
        assert_int_equal(r.s->pc, RAM_BASE + 4 * n);
        rig_free(&r);
    }
}

static void test_jit_fault_in_block_is_precise(void **st)
{
    /* The load in the middle faults: the instructions before it have
     * happened, the ones after have not, and epc names the load. */
    const uint32_t prog[] = {
        E(TOY_LI, 1, 0, 0, 11), E(TOY_LI, 2, 0, 0, 22), E(TOY_LUI, 3, 0, 0, 0x7000),
        E(TOY_LD, 4, 3, 0, 0), /* 0x70000000: unmapped */
        E(TOY_LI, 5, 0, 0, 55), E(TOY_HALT, 0, 0, 0, 0), E(TOY_LI, 6, 0, 0, 66), E(TOY_HALT, 0, 0, 0, 0),
    };
    rig r;
    rig_new(&r, prog, 8);
    r.s->evec = RAM_BASE + 6 * 4;
    assert_int_equal(loom_cpu_run(r.cpu, 100), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 11);
    assert_int_equal(r.s->r[2], 22);
    assert_int_equal(r.s->r[4], 0);
    assert_int_equal(r.s->r[5], 0);
    assert_int_equal(r.s->r[6], 66);
    assert_int_equal(r.s->epc, RAM_BASE + 3 * 4);
    assert_int_equal(r.s->cause, TOY_CAUSE_FAULT);
    assert_int_equal(r.s->badaddr, 0x70000000);
    /* Three instructions before the fault, then the handler's two. */
    assert_int_equal(loom_cpu_insns(r.cpu), 5);
    rig_free(&r);
}

/* Watchpoints: the run stops before a watched access, at its instruction,
 * and the next run carries out that access and goes on; reads and writes
 * are told apart; every instruction retires once. */
static void test_jit_watchpoints_stop_before_the_access(void **st)
{
    const uint32_t prog[] = {
        E(TOY_LI, 3, 0, 0, 0x2000), E(TOY_LI, 1, 0, 0, 7), E(TOY_LI, 2, 0, 0, 3), E(TOY_LI, 6, 0, 0, 0),
        E(TOY_ST, 1, 3, 0, 4),    /* 4: mem32[0x2004] = r1 */
        E(TOY_LD, 4, 3, 0, 8),    /* 5: r4 = mem32[0x2008] */
        E(TOY_ADDI, 1, 1, 0, 1), E(TOY_ADDI, 2, 2, 0, -1), E(TOY_BNE, 0, 2, 6, -5), E(TOY_HALT, 0, 0, 0, 0),
    };
    rig r;
    rig_new(&r, prog, 10);
    jit_cpu *c = &r.s->jc;
    const unsigned W = 1u << JIT_WRITE, R = 1u << JIT_READ;
    assert_int_equal(jit_watch_insert(c, 0x2004, 4, W), LOOM_OK);
    assert_int_equal(loom_cpu_run(r.cpu, 1000), LOOM_CPU_BREAKPOINT);
    assert_int_equal(r.s->pc, RAM_BASE + 4 * 4);
    assert_int_equal(c->watch_addr, 0x2004);
    assert_int_equal(c->watch_access, JIT_WRITE);
    assert_int_equal(loom_get_le(r.ram + 0x2004 - RAM_BASE, 4), 0); /* not yet */
    assert_int_equal(loom_cpu_insns(r.cpu), 4);
    /* Again: the store happens, the loop comes round to it once more. */
    assert_int_equal(loom_cpu_run(r.cpu, 1000), LOOM_CPU_BREAKPOINT);
    assert_int_equal(r.s->pc, RAM_BASE + 4 * 4);
    assert_int_equal(loom_get_le(r.ram + 0x2004 - RAM_BASE, 4), 7);
    assert_int_equal(r.s->r[1], 8);
    /* A write watchpoint ignores loads; a read watchpoint on one byte of
     * the loaded word stops the load. */
    assert_int_equal(jit_watch_remove(c, 0x2004, 4, W), LOOM_OK);
    assert_int_equal(jit_watch_remove(c, 0x2004, 4, W), LOOM_E_NOTFOUND);
    assert_int_equal(jit_watch_insert(c, 0x2008, 4, W), LOOM_OK);
    assert_int_equal(jit_watch_insert(c, 0x200a, 1, R), LOOM_OK);
    assert_int_equal(loom_cpu_run(r.cpu, 1000), LOOM_CPU_BREAKPOINT);
    assert_int_equal(r.s->pc, RAM_BASE + 5 * 4);
    assert_int_equal(c->watch_access, JIT_READ);
    assert_int_equal(c->watch_addr, 0x2008);
    assert_int_equal(loom_get_le(r.ram + 0x2004 - RAM_BASE, 4), 8);
    assert_int_equal(jit_watch_remove(c, 0x200a, 1, R), LOOM_OK);
    assert_int_equal(loom_cpu_run(r.cpu, 1000), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[2], 0);
    assert_int_equal(loom_get_le(r.ram + 0x2004 - RAM_BASE, 4), 9);
    assert_int_equal(loom_cpu_insns(r.cpu), 4 + 3 * 5 + 1);
    assert_int_equal(jit_watch_insert(c, 0x2000, 0, W), LOOM_E_INVAL);
    rig_free(&r);
}

static void test_jit_unhandled_fault_stops_the_run_with_pc(void **st)
{
    const uint32_t prog[] = {E(TOY_LUI, 3, 0, 0, 0x7000), E(TOY_ST, 1, 3, 0, 8), E(TOY_HALT, 0, 0, 0, 0)};
    rig r;
    rig_new(&r, prog, 3);
    loom_stop_reason why = loom_sim_run(r.sim, LOOM_MS);
    assert_int_equal(why, LOOM_STOP_FAULT);
    assert_non_null(strstr(loom_sim_last_error(r.sim), "0x70000008"));
    assert_non_null(strstr(loom_sim_last_error(r.sim), "cpu0"));
    rig_free(&r);
}

static void test_jit_helper_raise_is_precise(void **st)
{
    const uint32_t prog[] = {E(TOY_LI, 1, 0, 0, 7), E(TOY_LI, 2, 0, 0, 0), E(TOY_DIVH, 3, 1, 2, 0),
                             E(TOY_LI, 4, 0, 0, 1), E(TOY_HALT, 0, 0, 0, 0)};
    rig r;
    rig_new(&r, prog, 5);
    r.s->evec = RAM_BASE + 4 * 4;
    assert_int_equal(loom_cpu_run(r.cpu, 100), LOOM_CPU_HALT);
    assert_int_equal(r.s->epc, RAM_BASE + 2 * 4);
    assert_int_equal(r.s->cause, TOY_CAUSE_DIV0);
    assert_int_equal(r.s->r[4], 0);
    assert_int_equal(loom_cpu_insns(r.cpu), 3); /* two, then the handler's HALT */
    rig_free(&r);
}

static void test_jit_store_into_running_block_takes_effect(void **st)
{
    /* Instruction 3 is rewritten by instruction 2 of the same block before
     * it runs: the new instruction must run, not the translated old one. */
    const uint32_t prog[] = {
        E(TOY_LUI, 1, 0, 0, (int)(E(TOY_LI, 5, 0, 0, 99) >> 16)),
        E(TOY_ADDI, 1, 1, 0, (int)(int16_t)(E(TOY_LI, 5, 0, 0, 99) & 0xffff)),
        E(TOY_ST, 1, 0, 0, 0), /* r0 = 0: patched below to point at instruction 3 */
        E(TOY_LI, 5, 0, 0, 11),
        E(TOY_HALT, 0, 0, 0, 0),
    };
    uint32_t p[5];
    memcpy(p, prog, sizeof p);
    p[2] = E(TOY_ST, 1, 6, 0, 0);
    rig r;
    rig_new(&r, p, 5);
    r.s->r[6] = RAM_BASE + 3 * 4;
    /* The ADDI's immediate is sign-extended; fix the upper half for it. */
    uint32_t want = E(TOY_LI, 5, 0, 0, 99);
    uint32_t hi = (want - (uint32_t)(int32_t)(int16_t)(want & 0xffff)) >> 16;
    loom_put_le(r.ram, 4, E(TOY_LUI, 1, 0, 0, (int)hi));
    assert_int_equal(loom_cpu_run(r.cpu, 100), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], want);
    assert_int_equal(r.s->r[5], 99);
    jit_stats stats = jit_engine_stats(r.s->jc.eng);
    assert_true(stats.invalidations >= 1);
    rig_free(&r);
}

static void test_jit_store_into_other_block_retranslates_it(void **st)
{
    /* A subroutine runs, is patched, and runs again. */
    uint32_t prog[] = {
        E(TOY_JAL, 6, 0, 0, 4),             /* 0: call 5 */
        E(TOY_ST, 2, 7, 0, 0),              /* 1: patch the subroutine */
        E(TOY_JAL, 6, 0, 0, 2),             /* 2: call 5 again */
        E(TOY_HALT, 0, 0, 0, 0),            /* 3 */
        E(TOY_HALT, 0, 0, 0, 0),            /* 4 */
        E(TOY_ADDI, 1, 1, 0, 1),            /* 5: r1 += 1 (patched to += 100) */
        E(TOY_JR, 0, 6, 0, 0),              /* 6: return */
    };
    rig r;
    rig_new(&r, prog, 7);
    r.s->r[7] = RAM_BASE + 5 * 4;
    r.s->r[2] = E(TOY_ADDI, 1, 1, 0, 100);
    assert_int_equal(loom_cpu_run(r.cpu, 100), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 101);
    rig_free(&r);
}

static void test_jit_write_by_another_master_drops_translated_code(void **st)
{
    /* A subroutine runs, a debugger (a debug write through the bus, as a
     * DMA engine's transport write would) patches it, and it runs again. */
    uint32_t prog[] = {
        E(TOY_JAL, 6, 0, 0, 2),   /* 0: call 3 */
        E(TOY_HALT, 0, 0, 0, 0),  /* 1 */
        E(TOY_HALT, 0, 0, 0, 0),  /* 2 */
        E(TOY_ADDI, 1, 1, 0, 1),  /* 3: r1 += 1 */
        E(TOY_JR, 0, 6, 0, 0),    /* 4 */
    };
    rig r;
    rig_new(&r, prog, 5);
    assert_int_equal(loom_cpu_run(r.cpu, 100), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 1);
    uint8_t patch[4];
    loom_put_le(patch, 4, E(TOY_ADDI, 1, 1, 0, 100));
    r.s->pc = RAM_BASE;
    r.s->r[1] = 0;
    loom_cpu_set_halted(r.cpu, false);
    /* Not through the rig's DMI pointer: through the bus, as others do. */
    loom_txn t = {.addr = RAM_BASE + 3 * 4, .data = patch, .len = 4, .cmd = LOOM_WRITE};
    loom_bus_transport(loom_sim_memory(r.sim), &t);
    assert_int_equal(t.resp, LOOM_RESP_OK);
    assert_int_equal(loom_cpu_run(r.cpu, 100), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 100);
    rig_free(&r);
}

static void test_jit_data_endianness_is_part_of_the_block_key(void **st)
{
    const uint32_t prog[] = {
        E(TOY_LD, 1, 7, 0, 0), E(TOY_SETBE, 0, 0, 0, 1), E(TOY_LD, 2, 7, 0, 0), E(TOY_SETBE, 0, 0, 0, 0),
        E(TOY_LD, 3, 7, 0, 0), E(TOY_HALT, 0, 0, 0, 0),
    };
    rig r;
    rig_new(&r, prog, 6);
    r.s->r[7] = RAM_BASE + 0x100;
    loom_put_le(r.ram + 0x100, 4, 0x11223344);
    assert_int_equal(loom_cpu_run(r.cpu, 100), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 0x11223344);
    assert_int_equal(r.s->r[2], 0x44332211);
    assert_int_equal(r.s->r[3], 0x11223344);
    rig_free(&r);
}

static void test_jit_interrupt_wakes_halted_cpu_at_block_boundary(void **st)
{
    const uint32_t prog[] = {E(TOY_HALT, 0, 0, 0, 0), E(TOY_LI, 1, 0, 0, 5), E(TOY_HALT, 0, 0, 0, 0)};
    rig r;
    rig_new(&r, prog, 3);
    r.s->evec = RAM_BASE + 4;
    assert_int_equal(loom_cpu_run(r.cpu, 10), LOOM_CPU_HALT);
    assert_true(loom_cpu_halted(r.cpu));
    loom_cpu_set_irq(r.cpu, 0, true);
    assert_false(loom_cpu_halted(r.cpu));
    assert_int_equal(loom_cpu_run(r.cpu, 10), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 5);
    assert_int_equal(r.s->cause, TOY_CAUSE_IRQ);
    rig_free(&r);
}

static void test_jit_loop_runs_chained_without_the_run_loop(void **st)
{
    /* 10000 iterations of a one-block loop: with native code the block is
     * chained to itself, so the run loop looks up a handful of blocks. */
    const uint32_t prog[] = {E(TOY_LI, 2, 0, 0, 10000), E(TOY_ADDI, 1, 1, 0, 3), E(TOY_ADDI, 2, 2, 0, -1),
                             E(TOY_BNE, 0, 2, 0, -3), E(TOY_HALT, 0, 0, 0, 0)};
    rig r;
    rig_new(&r, prog, 5);
    assert_int_equal(loom_cpu_run(r.cpu, 1000000), LOOM_CPU_HALT);
    assert_int_equal(r.s->r[1], 30000);
    assert_int_equal(loom_cpu_insns(r.cpu), 1 + 3 * 10000 + 1);
    jit_stats st2 = jit_engine_stats(r.s->jc.eng);
    if (backend == LOOM_JIT_NATIVE) {
        assert_true(st2.chains >= 1);
        assert_true(st2.lookups < 20);
    }
    rig_free(&r);
}

static void test_jit_budget_stops_chained_code_exactly(void **st)
{
    /* Chained native code must still stop at the exact instruction. */
    const uint32_t prog[] = {E(TOY_LI, 2, 0, 0, 10000), E(TOY_ADDI, 1, 1, 0, 1), E(TOY_ADDI, 2, 2, 0, -1),
                             E(TOY_BNE, 0, 2, 0, -3), E(TOY_HALT, 0, 0, 0, 0)};
    for (unsigned n = 1000; n < 1010; n++) {
        rig r;
        rig_new(&r, prog, 5);
        loom_cpu_run(r.cpu, 500); /* warm up: translate and chain */
        loom_cpu_run(r.cpu, n);
        assert_int_equal(loom_cpu_insns(r.cpu), 500 + n);
        /* Instruction k (from 0) of the loop body increments r1 when k % 3 == 0. */
        uint64_t total = 500 + n, body = total - 1;
        assert_int_equal(r.s->r[1], (body + 2) / 3);
        rig_free(&r);
    }
}

static void test_jit_fault_at_every_position_is_precise(void **st)
{
    /* A block of 12 instructions, each writing a register, with a
     * faulting load at position k: everything before k happened, nothing
     * after, for every k, while the values live in host registers. */
    for (unsigned k = 0; k < 12; k++) {
        uint32_t prog[16];
        for (unsigned i = 0; i < 12; i++)
            prog[i] = i == k ? E(TOY_LD, 6, 7, 0, 0) : E(TOY_ADDI, i % 6, i % 6, 0, (int)(i + 1));
        prog[12] = E(TOY_HALT, 0, 0, 0, 0);
        prog[13] = E(TOY_HALT, 0, 0, 0, 0);
        rig r;
        rig_new(&r, prog, 14);
        r.s->r[7] = 0x7ffff000; /* unmapped */
        r.s->evec = RAM_BASE + 13 * 4;
        loom_cpu_run(r.cpu, 100);
        uint32_t want[6] = {0};
        for (unsigned i = 0; i < k; i++) want[i % 6] += i + 1;
        for (unsigned i = 0; i < 6; i++)
            if (r.s->r[i] != want[i]) fail_msg("fault at %u: r%u is %u, expected %u", k, i, r.s->r[i], want[i]);
        assert_int_equal(r.s->epc, RAM_BASE + 4 * k);
        assert_int_equal(loom_cpu_insns(r.cpu), k + 1);
        rig_free(&r);
    }
}

/* ---- IR built by hand ------------------------------------------------------ */

typedef struct ir_rig {
    toy_state s;
    jit_engine *e;
    loom_sim *sim;
    bool native;
} ir_rig;

static void ir_rig_new_on(ir_rig *r, bool native)
{
    memset(r, 0, sizeof *r);
    r->native = native;
    assert_int_equal(loom_sim_new(&r->sim), LOOM_OK);
    assert_int_equal(jit_engine_new(r->sim, &toy_guest, native ? JIT_BACKEND_X86 : JIT_BACKEND_INTERP, &r->e), LOOM_OK);
    static uint8_t mem[1];
    assert_int_equal(jit_cpu_init(&r->s.jc, r->e, NULL, loom_sim_memory(r->sim), mem, 0), LOOM_OK);
}

static void ir_rig_new(ir_rig *r) { ir_rig_new_on(r, false); }

static void ir_rig_free(ir_rig *r)
{
    jit_cpu_fini(&r->s.jc);
    jit_engine_free(r->e);
    loom_sim_free(r->sim);
}

static void run_ir(ir_rig *r, ir_block *b)
{
    jit_block *tb = jit_block_from_ir(b, 0, 0);
    assert_non_null(tb);
    uint32_t retired, reason;
    if (r->native) {
        x86_cache *x = jit_engine_x86(r->e);
        void *code = jit_x86_compile(x, tb, &toy_guest, true);
        if (!code) {
            jit_x86_cache_reset(x);
            code = jit_x86_compile(x, tb, &toy_guest, true);
        }
        assert_non_null(code);
        /* Every emitted block must decode. */
        assert_true(jit_x86_check(code, tb->code_len));
        jit_x86_run(x, &r->s.jc, code);
    } else {
        jit_interp(&r->s.jc, tb, &retired, &reason);
    }
    jit_block_free(tb);
}

#define REGOFF(n) ((uint32_t)(offsetof(toy_state, r) + 4 * (n)))

static void test_ir_verifier_rejects_malformed_blocks(void **st)
{
    char msg[256];
    ir_block b;
    ir_block_init(&b);
    ir_val x = ir_const32(&b, 1);
    ir_val y = ir_const64(&b, 2);
    ir_emit(&b, IR_ADD, IR_I32, x, y, 0, 0, 0);
    ir_exit(&b, 0, 0);
    assert_non_null(ir_verify(&b, msg, sizeof msg));
    assert_non_null(strstr(msg, "operands"));

    ir_block_reset(&b);
    ir_const32(&b, 1);
    assert_non_null(ir_verify(&b, msg, sizeof msg)); /* no terminator */

    ir_block_reset(&b);
    uint32_t l = ir_new_label(&b);
    ir_val c = ir_const32(&b, 1);
    ir_brcond(&b, c, l);
    ir_val skipped = ir_const32(&b, 5);
    ir_label(&b, l);
    ir_set(&b, REGOFF(1), skipped); /* may be skipped */
    ir_exit(&b, 0, 0);
    assert_non_null(ir_verify(&b, msg, sizeof msg));
    assert_non_null(strstr(msg, "skipped"));

    ir_block_reset(&b);
    ir_set(&b, REGOFF(1), ir_const32(&b, 5));
    ir_exit(&b, 0, 0);
    assert_null(ir_verify(&b, msg, sizeof msg));
    ir_block_free(&b);
}

static void test_ir_flags_nobody_reads_are_removed(void **st)
{
    ir_block b;
    ir_block_init(&b);
    ir_val x = ir_get(&b, IR_I32, REGOFF(1)), y = ir_get(&b, IR_I32, REGOFF(2));
    ir_val sum = ir_add(&b, x, y);
    ir_carry(&b, x, y, 0);
    ir_ovf(&b, x, y, 0);
    ir_set(&b, REGOFF(3), sum);
    ir_exit(&b, 0, 0);
    ir_optimize(&b, IR_OPT_ALL);
    for (uint32_t v = 1; v < b.n; v++) {
        assert_int_not_equal(b.insns[v].op, IR_CARRY);
        assert_int_not_equal(b.insns[v].op, IR_OVF);
    }
    ir_block_free(&b);
}

static void test_ir_forwarding_removes_reloads_and_dead_sets(void **st)
{
    ir_block b;
    ir_block_init(&b);
    ir_set(&b, REGOFF(1), ir_const32(&b, 1)); /* dead: overwritten below */
    ir_set(&b, REGOFF(1), ir_const32(&b, 2));
    ir_val r1 = ir_get(&b, IR_I32, REGOFF(1)); /* forwarded: 2 */
    ir_set(&b, REGOFF(2), ir_add(&b, r1, ir_const32(&b, 3)));
    ir_exit(&b, 0, 0);
    ir_optimize(&b, IR_OPT_ALL);
    unsigned sets = 0, gets = 0;
    for (uint32_t v = 1; v < b.n; v++) {
        sets += b.insns[v].op == IR_SET;
        gets += b.insns[v].op == IR_GET;
    }
    assert_int_equal(sets, 2);
    assert_int_equal(gets, 0);
    ir_rig r;
    ir_rig_new(&r);
    run_ir(&r, &b);
    assert_int_equal(r.s.r[1], 2);
    assert_int_equal(r.s.r[2], 5); /* folded to a constant */
    ir_rig_free(&r);
    ir_block_free(&b);
}

/* Random IR blocks over the toy's registers: the optimized block must leave
 * exactly the state the unoptimized one does. */
static ir_val pick(uint64_t *seed, ir_val *vals, unsigned n) { return vals[rnd(seed) % n]; }

static void random_ir_block(uint64_t *seed, ir_block *b)
{
    ir_val v32[64], v64[64];
    unsigned n32 = 0, n64 = 0;
    for (int i = 0; i < 4; i++) v32[n32++] = ir_get(b, IR_I32, REGOFF(i));
    v64[n64++] = ir_zext(b, IR_I64, v32[0], 32);
    v64[n64++] = ir_sext(b, IR_I64, v32[1], 32);
    static const ir_op binops[] = {IR_ADD, IR_SUB, IR_MUL, IR_MULHU, IR_MULHS, IR_DIVU, IR_DIVS, IR_REMU,
                                   IR_REMS, IR_AND, IR_OR, IR_XOR, IR_SHL, IR_SHR, IR_SAR, IR_ROR};
    unsigned len = 8 + rnd(seed) % 40;
    for (unsigned k = 0; k < len && n32 < 60 && n64 < 60; k++) {
        unsigned kind = rnd(seed) % 12;
        bool wide = rnd(seed) & 1;
        ir_val *vals = wide ? v64 : v32;
        unsigned *nv = wide ? &n64 : &n32;
        ir_val r;
        switch (kind) {
        case 0: r = wide ? ir_const64(b, ((uint64_t)rnd(seed) << 32) | rnd(seed)) : ir_const32(b, rnd(seed) % 4 ? rnd(seed) % 40 : rnd(seed)); break;
        case 1: case 2: case 3: case 4:
            r = ir_emit(b, binops[rnd(seed) % 16], wide ? IR_I64 : IR_I32, pick(seed, vals, *nv), pick(seed, vals, *nv), 0, 0, 0);
            break;
        case 5: {
            ir_val x = pick(seed, v32, n32), y = pick(seed, v32, n32), cin = 0;
            if (rnd(seed) & 1) {
                /* x - y as x + ~y + 1 (what the optimizer turns into
                 * compares), or with an unknown carry-in. */
                y = ir_not(b, y);
                cin = rnd(seed) & 1 ? ir_const32(b, 1) : ir_and(b, pick(seed, v32, n32), ir_const32(b, 1));
            }
            v32[n32++] = ir_carry(b, x, y, cin);
            v32[n32++] = ir_ovf(b, x, y, cin);
            if (rnd(seed) & 1) v32[n32++] = ir_setcc(b, rnd(seed) & 1 ? IR_EQ : IR_NE, ir_sub(b, x, y), ir_const32(b, 0));
            continue;
        }
        case 6: r = ir_select(b, pick(seed, v32, n32), pick(seed, vals, *nv), pick(seed, vals, *nv)); break;
        case 7: {
            ir_val x = pick(seed, vals, *nv), y = pick(seed, vals, *nv);
            r = ir_setcc(b, (ir_cond)(rnd(seed) % 10), x, y);
            /* Logic on two conditions of one compare (the optimizer makes
             * it one compare), the second maybe with the operands swapped. */
            unsigned how = rnd(seed) % 4;
            if (how) {
                bool swap = rnd(seed) & 1;
                ir_val r2 = ir_setcc(b, (ir_cond)(rnd(seed) % 10), swap ? y : x, swap ? x : y);
                r = how == 1 ? ir_and(b, r, r2) : how == 2 ? ir_or(b, r, r2) : ir_xor(b, r, ir_const32(b, 1));
            }
            vals = v32;
            nv = &n32;
            break;
        }
        case 8: r = rnd(seed) & 1 ? ir_clz(b, pick(seed, vals, *nv)) : ir_ctz(b, pick(seed, vals, *nv)); break;
        case 9: {
            unsigned bits = wide ? 64 : 32, pos = rnd(seed) % bits, len2 = 1 + rnd(seed) % (bits - pos);
            r = rnd(seed) & 1 ? ir_extract(b, pick(seed, vals, *nv), pos, len2)
                              : ir_deposit(b, pick(seed, vals, *nv), pick(seed, vals, *nv), pos, len2);
            break;
        }
        case 10: r = wide ? ir_trunc(b, pick(seed, v64, n64)) : ir_sext(b, IR_I64, pick(seed, v32, n32), 8 << (rnd(seed) % 3)); vals = wide ? v32 : v64; nv = wide ? &n32 : &n64; break;
        default:
            ir_set(b, REGOFF(rnd(seed) % 8), pick(seed, v32, n32));
            continue;
        }
        vals[(*nv)++] = r;
    }
    for (int i = 0; i < 8; i++) ir_set(b, REGOFF(i), pick(seed, v32, n32));
    ir_set(b, REGOFF(4), ir_trunc(b, pick(seed, v64, n64)));
    ir_set(b, REGOFF(5), ir_trunc(b, ir_shr(b, pick(seed, v64, n64), ir_const64(b, 32))));
    ir_exit(b, 0, 0);
}

static void test_ir_random_blocks_optimized_equal_unoptimized(void **st)
{
    uint64_t seed = 0xfeedbeef;
    ir_block b, o;
    ir_block_init(&b);
    ir_block_init(&o);
    ir_rig r;
    ir_rig_new(&r);
    const unsigned blocks = 100000;
    for (unsigned k = 0; k < blocks; k++) {
        ir_block_reset(&b);
        random_ir_block(&seed, &b);
        char msg[256];
        const char *err = ir_verify(&b, msg, sizeof msg);
        if (err) fail_msg("generated block %u is invalid: %s", k, err);
        uint32_t init[8];
        for (int i = 0; i < 8; i++) init[i] = rnd(&seed) % 3 ? rnd(&seed) : (uint32_t)(rnd(&seed) % 5) - 2;
        /* Unoptimized. */
        memcpy(r.s.r, init, sizeof init);
        run_ir(&r, &b);
        uint32_t want[8];
        memcpy(want, r.s.r, sizeof want);
        /* Optimized copy. */
        ir_block_reset(&o);
        free(o.insns);
        free(o.args);
        o = b;
        o.insns = malloc(b.cap * sizeof *b.insns);
        memcpy(o.insns, b.insns, b.n * sizeof *b.insns);
        o.args = NULL;
        o.argcap = o.nargs = 0;
        ir_optimize(&o, IR_OPT_ALL);
        err = ir_verify(&o, msg, sizeof msg);
        if (err) fail_msg("optimized block %u is invalid: %s", k, err);
        memcpy(r.s.r, init, sizeof init);
        run_ir(&r, &o);
        if (memcmp(want, r.s.r, sizeof want)) {
            ir_print(&b, stderr);
            fprintf(stderr, "--- optimized\n");
            ir_print(&o, stderr);
            for (int i = 0; i < 8; i++) fprintf(stderr, "r%d want 0x%x got 0x%x\n", i, want[i], r.s.r[i]);
            fail_msg("block %u: optimized result differs", k);
        }
    }
    free(o.insns);
    o.insns = NULL;
    ir_block_free(&o);
    ir_block_free(&b);
    ir_rig_free(&r);
}

/* The same random blocks on the interpreter and on native code. */
/* A conditional branch after many pending state writes whose values were
 * spilled: writing those back must not clobber the branch condition (found
 * by the ARM translator: a skipped conditional instruction ran). */
static void test_ir_brcond_after_spilled_pending_sets(void **st)
{
    static const uint32_t offs[] = {REGOFF(0), REGOFF(1), REGOFF(2), REGOFF(3), REGOFF(4), REGOFF(5), REGOFF(6),
                                    REGOFF(7), (uint32_t)offsetof(toy_state, epc), (uint32_t)offsetof(toy_state, cause),
                                    (uint32_t)offsetof(toy_state, evec), (uint32_t)offsetof(toy_state, badaddr),
                                    (uint32_t)offsetof(toy_state, be), (uint32_t)offsetof(toy_state, irq_line)};
    const unsigned n = sizeof offs / sizeof *offs;
    for (int native = 0; native < 2; native++) {
        ir_block b;
        ir_block_init(&b);
        ir_rig r;
        ir_rig_new_on(&r, native);
        ir_val x0 = ir_get(&b, IR_I32, REGOFF(0));
        ir_val v[16];
        for (unsigned k = 0; k < n; k++) v[k] = ir_add(&b, ir_get(&b, IR_I32, REGOFF(k & 7)), ir_const32(&b, k + 1));
        for (unsigned k = 0; k < n; k++) ir_set(&b, offs[k], v[k]);
        uint32_t l = ir_new_label(&b);
        ir_brcond(&b, ir_setcc(&b, IR_NE, x0, x0), l); /* never taken */
        ir_set(&b, REGOFF(0), ir_const32(&b, 0xdead));
        ir_label(&b, l);
        ir_exit(&b, IR_EXIT_NORMAL, 0);
        for (int i = 0; i < 8; i++) r.s.r[i] = 0x100u * (uint32_t)(i + 1);
        run_ir(&r, &b);
        assert_int_equal(r.s.r[0], 0xdead);
        assert_int_equal(r.s.r[1], 0x202);
        ir_block_free(&b);
        ir_rig_free(&r);
    }
}

/* A store may rewrite the running block, which then leaves before the
 * next instruction: a SET after the store (a base write-back, say) is seen
 * there even when the next instruction sets the same state again (found
 * by the Thumb translator's ITSTATE writes). */
static void test_ir_set_after_store_survives_next_instruction(void **st)
{
    ir_block b;
    ir_block_init(&b);
    ir_insn_start(&b, 0, 0);
    ir_store(&b, ir_get(&b, IR_I32, REGOFF(0)), ir_const32(&b, 1), 4, false, 0);
    ir_set(&b, REGOFF(1), ir_const32(&b, 1));
    ir_insn_start(&b, 4, 0);
    ir_set(&b, REGOFF(1), ir_const32(&b, 2));
    ir_exit(&b, IR_EXIT_NORMAL, 8);
    ir_optimize(&b, IR_OPT_ALL);
    unsigned sets = 0;
    for (uint32_t v = 1; v < b.n; v++) sets += b.insns[v].op == IR_SET;
    assert_int_equal(sets, 2);
    ir_block_free(&b);
}

/* A computed jump after many pending state writes whose values were
 * spilled: writing those back must not clobber the jump target (found by
 * the ARM translators: POP {r4-r11, pc} returned to the value of r11). */
static void test_ir_jump_after_spilled_pending_sets(void **st)
{
    static const uint32_t offs[] = {REGOFF(0), REGOFF(1), REGOFF(2), REGOFF(3), REGOFF(4), REGOFF(5), REGOFF(6),
                                    REGOFF(7), (uint32_t)offsetof(toy_state, epc), (uint32_t)offsetof(toy_state, cause),
                                    (uint32_t)offsetof(toy_state, evec), (uint32_t)offsetof(toy_state, badaddr),
                                    (uint32_t)offsetof(toy_state, be), (uint32_t)offsetof(toy_state, irq_line)};
    const unsigned n = sizeof offs / sizeof *offs;
    for (int native = 0; native < 2; native++) {
        ir_block b;
        ir_block_init(&b);
        ir_rig r;
        ir_rig_new_on(&r, native);
        ir_val v[16];
        for (unsigned k = 0; k < n; k++) v[k] = ir_add(&b, ir_get(&b, IR_I32, REGOFF(k & 7)), ir_const32(&b, k + 1));
        ir_val target = ir_add(&b, ir_get(&b, IR_I32, REGOFF(0)), ir_const32(&b, 0x1000));
        for (unsigned k = 0; k < n; k++) ir_set(&b, offs[k], v[k]);
        ir_jump(&b, target);
        for (int i = 0; i < 8; i++) r.s.r[i] = 0x100u * (uint32_t)(i + 1);
        run_ir(&r, &b);
        assert_int_equal(r.s.pc, 0x1100);
        assert_int_equal(r.s.r[0], 0x101);
        assert_int_equal(r.s.r[7], 0x808);
        ir_block_free(&b);
        ir_rig_free(&r);
    }
}

/* Checked floating point (ir_fp_checked): the host's result, or the
 * helper's exactly when the result is in the class the check names. The
 * classes are computed here from the C arithmetic, apart from the code
 * under test; both back ends, every pair of a set of edge operands. */
static bool big_or_nan(double r) { return r != r || r > 1.7976931348623157e308 || r < -1.7976931348623157e308; }

typedef struct fp_case {
    ir_op op;
    ir_type t, ta; /* result and operand types */
    unsigned check;
} fp_case;

static uint64_t f64b(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static uint64_t f32b(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }

/* The host result of case c on operands x, y, and whether it is special. */
static uint64_t fp_reference(const fp_case *c, double x, double y, bool *special)
{
    float xf = (float)x, yf = (float)y;
    double r = 0;
    switch (c->op) {
    case IR_FADD: r = x + y; break;
    case IR_FMUL:
        if (c->t == IR_F32) {
            float p = xf * yf;
            /* A zero of a zero factor is exact: no helper. */
            *special = big_or_nan(p) ||
                       (p < 2 * 1.17549435e-38f && p > -2 * 1.17549435e-38f && !(p == 0 && (xf == 0 || yf == 0)));
            return f32b(p);
        }
        r = x * y;
        if (r == 0 && (x == 0 || y == 0)) {
            *special = false;
            return f64b(r);
        }
        break;
    case IR_FDIV:
        r = x / y;
        if (r == 0 && x == 0) {
            *special = false;
            return f64b(r);
        }
        break;
    case IR_FSQRT: r = __builtin_sqrt(x); break;
    case IR_FCVT: {
        float p = (float)x;
        *special = big_or_nan(p) || (p < 2 * 1.17549435e-38f && p > -2 * 1.17549435e-38f);
        return f32b(p);
    }
    case IR_FTOI: {
        double tx = __builtin_trunc(x);
        if (c->check == IR_FPCHK_UINT) {
            *special = !(x > -1.0 && x < 4294967296.0);
            return *special ? 0 : (uint32_t)(int64_t)tx;
        }
        *special = x != x || tx >= 2147483648.0 || tx <= -2147483648.0;
        return *special ? 0 : (uint32_t)(int32_t)tx;
    }
    default: /* IR_FCMP */
        *special = x != x || y != y;
        return x == y ? 0 : x < y ? 1 : x > y ? 2 : 3;
    }
    *special = big_or_nan(r);
    if (c->check == IR_FPCHK_TINY) *special |= r < 2 * 2.2250738585072014e-308 && r > -2 * 2.2250738585072014e-308;
    return f64b(r);
}

static void test_ir_checked_fp_takes_the_helper_exactly_for_special_results(void **st)
{
    static const fp_case cases[] = {
        {IR_FADD, IR_F64, IR_F64, IR_FPCHK_INF}, {IR_FMUL, IR_F64, IR_F64, IR_FPCHK_TINY},
        {IR_FMUL, IR_F32, IR_F32, IR_FPCHK_TINY}, {IR_FDIV, IR_F64, IR_F64, IR_FPCHK_TINY},
        {IR_FSQRT, IR_F64, IR_F64, IR_FPCHK_TINY}, {IR_FCVT, IR_F32, IR_F64, IR_FPCHK_TINY},
        {IR_FTOI, IR_I32, IR_F64, IR_FPCHK_INT}, {IR_FTOI, IR_I32, IR_F64, IR_FPCHK_UINT},
        {IR_FCMP, IR_I32, IR_F64, IR_FPCHK_UNORD},
    };
    const double inf = __builtin_inf(), nan = __builtin_nan("");
    static const double edge[] = {1.5, -2.25, 0.0, -0.0, 2.2250738585072014e-308, 3.3e-308, 4.9e-324,
                                  1.7976931348623157e308, 1e300, 1e-300, 1e-160, 3.0, 2147483648.0, -2147483648.0,
                                  -2147483648.75, 4294967295.5, 4294967296.0, -0.5, -1.0, 1.1754943508222875e-38,
                                  3.4028234663852886e38};
    double vals[sizeof edge / sizeof *edge + 3];
    unsigned nv = 0;
    for (unsigned k = 0; k < sizeof edge / sizeof *edge; k++) vals[nv++] = edge[k];
    vals[nv++] = inf;
    vals[nv++] = -inf;
    vals[nv++] = nan;
    for (int native = 0; native < 2; native++) {
        ir_rig r;
        ir_rig_new_on(&r, native);
        unsigned specials = 0, helper_calls = 0;
        for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
            const fp_case *c = &cases[ci];
            bool unary = c->op == IR_FSQRT || c->op == IR_FCVT || c->op == IR_FTOI;
            for (unsigned xi = 0; xi < nv; xi++)
                for (unsigned yi = 0; yi < (unary ? 1 : nv); yi++) {
                    double x = vals[xi], y = unary ? 0 : vals[yi];
                    uint64_t xb = c->ta == IR_F32 ? f32b((float)x) : f64b(x);
                    uint64_t yb = unary ? 0 : c->ta == IR_F32 ? f32b((float)y) : f64b(y);
                    bool special = false;
                    uint64_t want = fp_reference(c, c->ta == IR_F32 ? (float)x : x, c->ta == IR_F32 ? (float)y : y,
                                                 &special);
                    uint32_t arg = 0x1000u * (uint32_t)ci + xi;
                    uint64_t mask = c->t == IR_F64 ? ~0ull : 0xffffffffull;
                    if (special) want = (arg ^ xb ^ (yb << 1)) & mask;
                    /* Operands from the state (r0:r1, r2:r3), result to r4:r5. */
                    memcpy(&r.s.r[0], &xb, 8);
                    memcpy(&r.s.r[2], &yb, 8);
                    r.s.r[4] = r.s.r[5] = 0xeeeeeeee;
                    uint32_t calls = r.s.badaddr;
                    ir_block b;
                    ir_block_init(&b);
                    ir_val a = ir_get(&b, c->ta, REGOFF(0)), bb = unary ? 0 : ir_get(&b, c->ta, REGOFF(2));
                    ir_val v = ir_fp_checked(&b, c->op, c->t, a, bb, c->check, TOY_HELPER_FP, arg,
                                             (uint32_t)offsetof(toy_state, badaddr));
                    ir_set(&b, REGOFF(4), v);
                    ir_exit(&b, IR_EXIT_NORMAL, 0);
                    char msg[200];
                    const char *bad = ir_verify(&b, msg, sizeof msg);
                    if (bad) fail_msg("%s", bad);
                    run_ir(&r, &b);
                    ir_block_free(&b);
                    uint64_t got = r.s.r[4] | (c->t == IR_F64 ? (uint64_t)r.s.r[5] << 32 : 0);
                    if (got != want || r.s.badaddr - calls != special) {
                        fprintf(stderr, "%s case %zu (%s): x %a y %a: got 0x%llx (%u helper calls), want 0x%llx (%u)\n",
                                native ? "native" : "interp", ci, ir_op_names[c->op], x, y, (unsigned long long)got,
                                r.s.badaddr - calls, (unsigned long long)want, special);
                        fail();
                    }
                    specials += special;
                    helper_calls += r.s.badaddr - calls;
                }
        }
        assert_int_equal(specials, helper_calls);
        assert_true(specials > 50); /* the edges do reach the helper */
        ir_rig_free(&r);
    }
}

static void test_ir_random_blocks_native_equals_interpreter(void **st)
{
    uint64_t seed = 0xc0ffee;
    ir_block b;
    ir_block_init(&b);
    ir_rig ri, rn;
    ir_rig_new_on(&ri, false);
    ir_rig_new_on(&rn, true);
    const unsigned blocks = 150000;
    for (unsigned k = 0; k < blocks; k++) {
        ir_block_reset(&b);
        random_ir_block(&seed, &b);
        if (k & 1) ir_optimize(&b, IR_OPT_ALL);
        uint32_t init[8];
        for (int i = 0; i < 8; i++) init[i] = rnd(&seed) % 3 ? rnd(&seed) : (uint32_t)(rnd(&seed) % 5) - 2;
        memcpy(ri.s.r, init, sizeof init);
        memcpy(rn.s.r, init, sizeof init);
        run_ir(&ri, &b);
        run_ir(&rn, &b);
        if (memcmp(ri.s.r, rn.s.r, sizeof ri.s.r)) {
            ir_print(&b, stderr);
            for (int i = 0; i < 8; i++) fprintf(stderr, "r%d interp 0x%x native 0x%x\n", i, ri.s.r[i], rn.s.r[i]);
            jit_block *tb = jit_block_from_ir(&b, 0, 0);
            x86_cache *x = jit_engine_x86(rn.e);
            void *code = jit_x86_compile(x, tb, &toy_guest, true);
            if (code) jit_x86_disassemble(code, tb->code_len, stderr);
            jit_block_free(tb);
            fail_msg("block %u: native code differs from the interpreter", k);
        }
    }
    ir_block_free(&b);
    ir_rig_free(&ri);
    ir_rig_free(&rn);
}

static int on_interp(void **st)
{
    backend = LOOM_JIT_INTERP;
    return 0;
}

static int on_native(void **st)
{
    backend = LOOM_JIT_NATIVE;
    return 0;
}

int main(void)
{
    /* The guest-level tests, once per back end. */
#define ENGINE_TESTS(setup)                                                                                 \
    cmocka_unit_test_setup(test_jit_toy_loop_computes_sum, setup),                                        \
    cmocka_unit_test_setup(test_jit_scheduler_time_is_instructions_times_period, setup),                  \
    cmocka_unit_test_setup(test_jit_random_programs_match_reference_at_exact_budgets, setup),             \
    cmocka_unit_test_setup(test_jit_budget_stops_exactly_inside_a_block, setup),                          \
    cmocka_unit_test_setup(test_jit_fault_in_block_is_precise, setup),                                    \
    cmocka_unit_test_setup(test_jit_unhandled_fault_stops_the_run_with_pc, setup),                        \
    cmocka_unit_test_setup(test_jit_watchpoints_stop_before_the_access, setup),                           \
    cmocka_unit_test_setup(test_jit_helper_raise_is_precise, setup),                                      \
    cmocka_unit_test_setup(test_jit_store_into_running_block_takes_effect, setup),                        \
    cmocka_unit_test_setup(test_jit_store_into_other_block_retranslates_it, setup),                       \
    cmocka_unit_test_setup(test_jit_data_endianness_is_part_of_the_block_key, setup),                     \
    cmocka_unit_test_setup(test_jit_write_by_another_master_drops_translated_code, setup),                     \
    cmocka_unit_test_setup(test_jit_interrupt_wakes_halted_cpu_at_block_boundary, setup),                 \
    cmocka_unit_test_setup(test_jit_loop_runs_chained_without_the_run_loop, setup),                       \
    cmocka_unit_test_setup(test_jit_budget_stops_chained_code_exactly, setup),                            \
    cmocka_unit_test_setup(test_jit_fault_at_every_position_is_precise, setup)
    const struct CMUnitTest tests[] = {
        ENGINE_TESTS(on_interp),
        ENGINE_TESTS(on_native),
        cmocka_unit_test(test_ir_verifier_rejects_malformed_blocks),
        cmocka_unit_test(test_ir_flags_nobody_reads_are_removed),
        cmocka_unit_test(test_ir_forwarding_removes_reloads_and_dead_sets),
        cmocka_unit_test(test_ir_random_blocks_optimized_equal_unoptimized),
        cmocka_unit_test(test_ir_random_blocks_native_equals_interpreter),
        cmocka_unit_test(test_ir_checked_fp_takes_the_helper_exactly_for_special_results),
        cmocka_unit_test(test_ir_brcond_after_spilled_pending_sets),
        cmocka_unit_test(test_ir_jump_after_spilled_pending_sets),
        cmocka_unit_test(test_ir_set_after_store_survives_next_instruction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
