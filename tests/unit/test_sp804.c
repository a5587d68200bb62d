/* Unit tests for models/timer/sp804.c: interrupt times to the picosecond,
 * counter values, register semantics (ARM DDI 0271) and save/restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"

extern const loom_model_type loom_model_sp804;

#define BASE 0x10000000u

/* Per-timer register offsets (timer 2 at +0x20) and control bits. */
enum { LOAD = 0x00, VALUE = 0x04, CTRL = 0x08, INTCLR = 0x0C, RIS = 0x10, MIS = 0x14, BGLOAD = 0x18 };
enum {
    ONESHOT = 1u << 0,
    SIZE32 = 1u << 1,
    PRE16 = 1u << 2,
    PRE256 = 2u << 2,
    INTEN = 1u << 5,
    PERIODIC = 1u << 6,
    ENABLE = 1u << 7,
};

#define US LOOM_US
#define MAX_EDGES 2048

/* Records the time of every rising edge of a line. */
typedef struct edges {
    loom_sim *sim;
    loom_time rise[MAX_EDGES];
    unsigned nrise, nfall;
} edges;

static void record(void *opaque, unsigned n, bool level)
{
    edges *e = opaque;
    (void)n;
    if (!level) {
        e->nfall++;
        return;
    }
    assert_true(e->nrise < MAX_EDGES);
    e->rise[e->nrise++] = loom_sim_now(e->sim);
}

typedef struct board {
    loom_sim *sim;
    loom_inst *inst;
    edges irq;      /* the combined TIMINTC */
    edges timer[2]; /* TIMINT1, TIMINT2 */
} board;

static void connect(board *b, const char *port, unsigned i, edges *e)
{
    e->sim = b->sim;
    loom_irq *line = loom_inst_output(b->inst, port, i);
    assert_non_null(line);
    assert_int_equal(loom_irq_connect(line, record, e, 0), LOOM_OK);
}

/* A simulation holding one SP804 named "timer" at BASE. */
static board *board_new(const char *clock, const char *clock1)
{
    board *b = calloc(1, sizeof *b);
    assert_non_null(b);
    assert_int_equal(loom_sim_new(&b->sim), LOOM_OK);
    assert_int_equal(loom_inst_create(b->sim, &loom_model_sp804, "timer", &b->inst), LOOM_OK);
    char err[200];
    if (clock) assert_int_equal(loom_inst_set_prop(b->inst, "clock", clock, err, sizeof err), LOOM_OK);
    if (clock1) assert_int_equal(loom_inst_set_prop(b->inst, "clock1", clock1, err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(b->inst), LOOM_OK);
    assert_int_equal(loom_inst_realize(b->inst), LOOM_OK);
    loom_region *r = loom_inst_region(b->inst, 0, NULL);
    assert_non_null(r);
    assert_int_equal(loom_bus_map(loom_sim_memory(b->sim), r, BASE, 0, NULL), LOOM_OK);
    connect(b, "irq", 0, &b->irq);
    connect(b, "irq-timer", 0, &b->timer[0]);
    connect(b, "irq-timer", 1, &b->timer[1]);
    return b;
}

static void board_free(board *b)
{
    loom_sim_free(b->sim);
    free(b);
}

static void wr_at(board *b, uint32_t off, uint32_t v)
{
    uint8_t d[4];
    loom_put_le(d, 4, v);
    assert_int_equal(loom_bus_write(loom_sim_memory(b->sim), BASE + off, d, 4), LOOM_OK);
}

static uint32_t rd_at(board *b, uint32_t off)
{
    uint8_t d[4];
    assert_int_equal(loom_bus_read(loom_sim_memory(b->sim), BASE + off, d, 4), LOOM_OK);
    return (uint32_t)loom_get_le(d, 4);
}

static void wr(board *b, unsigned timer, uint32_t reg, uint32_t v) { wr_at(b, timer * 0x20 + reg, v); }
static uint32_t rd(board *b, unsigned timer, uint32_t reg) { return rd_at(b, timer * 0x20 + reg); }

/* Advance to `until`, acknowledging each interrupt as soon as it is raised,
 * as an interrupt handler with no latency would. */
static void run_acking(board *b, loom_time until)
{
    for (;;) {
        loom_time t = loom_sim_next_event(b->sim);
        if (t > until) break;
        loom_sim_advance_to(b->sim, t);
        for (unsigned n = 0; n < 2; n++)
            if (rd(b, n, MIS)) wr(b, n, INTCLR, 1);
    }
    loom_sim_advance_to(b->sim, until);
}

/* A read at the initiator's local time now + delay. */
static uint32_t rd_ahead(board *b, uint32_t off, loom_time delay, bool *sync)
{
    uint8_t d[4];
    loom_txn t = {.addr = BASE + off, .data = d, .len = 4, .cmd = LOOM_READ, .delay = delay};
    loom_bus_transport(loom_sim_memory(b->sim), &t);
    assert_int_equal(t.resp, LOOM_RESP_OK);
    if (sync) *sync = t.sync;
    return (uint32_t)loom_get_le(d, 4);
}

static void wr_ahead(board *b, uint32_t off, uint32_t v, loom_time delay)
{
    uint8_t d[4];
    loom_put_le(d, 4, v);
    loom_txn t = {.addr = BASE + off, .data = d, .len = 4, .cmd = LOOM_WRITE, .delay = delay};
    loom_bus_transport(loom_sim_memory(b->sim), &t);
    assert_int_equal(t.resp, LOOM_RESP_OK);
}

static void expect_rises(const edges *e, const loom_time *want, unsigned n)
{
    if (e->nrise != n) fail_msg("%u rising edges, expected %u", e->nrise, n);
    for (unsigned i = 0; i < n; i++)
        if (e->rise[i] != want[i])
            fail_msg("edge %u at %llu ps, expected %llu ps", i, (unsigned long long)e->rise[i],
                     (unsigned long long)want[i]);
}

/* ---- Registers ------------------------------------------------------------------ */

static void test_sp804_reset_values_match_the_trm(void **state)
{
    board *b = board_new(NULL, NULL);
    for (unsigned n = 0; n < 2; n++) {
        assert_int_equal(rd(b, n, LOAD), 0);
        assert_int_equal(rd(b, n, VALUE), 0xFFFFFFFFu);
        assert_int_equal(rd(b, n, CTRL), 0x20);
        assert_int_equal(rd(b, n, RIS), 0);
        assert_int_equal(rd(b, n, MIS), 0);
        assert_int_equal(rd(b, n, BGLOAD), 0);
    }
    assert_int_equal(rd_at(b, 0xF00), 0);
    /* A disabled timer does not move. */
    loom_sim_advance_to(b->sim, 5 * LOOM_MS);
    assert_int_equal(rd(b, 0, VALUE), 0xFFFFFFFFu);
    assert_int_equal(b->irq.nrise, 0);
    board_free(b);
}

static void test_sp804_id_registers_identify_an_sp804_primecell(void **state)
{
    board *b = board_new(NULL, NULL);
    static const uint8_t id[8] = {0x04, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++) assert_int_equal(rd_at(b, 0xFE0 + 4 * i), id[i]);
    board_free(b);
}

static void test_sp804_unmapped_offset_is_an_address_error(void **state)
{
    board *b = board_new(NULL, NULL);
    uint8_t d[4];
    assert_int_equal(loom_bus_read(loom_sim_memory(b->sim), BASE + 0x40, d, 4), LOOM_E_ADDRESS);
    board_free(b);
}

/* ---- Periodic mode ------------------------------------------------------------------ */

typedef struct periodic_case {
    const char *clock;
    uint32_t pre, load;
    loom_time want[4]; /* first four interrupts, worked out by hand */
} periodic_case;

/* Tick = prescale / clock; zeros at Load ticks, then every Load + 1. */
static const periodic_case periodic_cases[] = {
    /* 1 us ticks: 99 us, then every 100 us. */
    {"1MHz", 0, 99, {99 * US, 199 * US, 299 * US, 399 * US}},
    /* 16/3 us ticks, not a whole number of ps: tick 9 at 48 us, tick 19 at
     * 101333333.33 ps (rounded up: the edge has happened by then). */
    {"3MHz", PRE16, 9, {48000000, 101333334, 154666667, 208000000}},
    /* 32768 Hz / 256: 7.8125 ms ticks. */
    {"32768Hz", PRE256, 4, {31250000000ull, 70312500000ull, 109375000000ull, 148437500000ull}},
    /* 10 ns ticks, 65536-tick period. */
    {"100MHz", 0, 0xFFFF, {655350000, 1310710000, 1966070000, 2621430000ull}},
};

static void test_sp804_periodic_fires_at_exact_picosecond_times(void **state)
{
    for (size_t c = 0; c < sizeof periodic_cases / sizeof *periodic_cases; c++) {
        const periodic_case *pc = &periodic_cases[c];
        board *b = board_new(pc->clock, NULL);
        wr(b, 0, LOAD, pc->load);
        wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32 | pc->pre);
        run_acking(b, pc->want[3]);
        expect_rises(&b->irq, pc->want, 4);
        expect_rises(&b->timer[0], pc->want, 4);
        assert_int_equal(b->timer[1].nrise, 0);
        board_free(b);
    }
}

/* 3 MHz with no prescaler: 333333.33 ps ticks. Each interrupt time is the
 * exact rational time rounded up, after a thousand periods as after one. */
static void test_sp804_periodic_with_fractional_ticks_does_not_drift(void **state)
{
    board *b = board_new("3MHz", NULL);
    wr(b, 0, LOAD, 2);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    run_acking(b, LOOM_MS);
    assert_int_equal(b->irq.nrise, 1000);
    for (unsigned m = 0; m < 1000; m++) {
        uint64_t tick = 2 + 3ull * m;
        loom_time want = (tick * LOOM_SEC + 3000000 - 1) / 3000000;
        assert_true(b->irq.rise[m] == want);
    }
    assert_true(b->irq.rise[0] == 666667);
    assert_true(b->irq.rise[999] == 999666667);
    board_free(b);
}

/* ---- One-shot and free-running ------------------------------------------------------- */

static void test_sp804_oneshot_fires_once_and_stops_at_zero(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 1000);
    wr(b, 0, CTRL, ENABLE | ONESHOT | INTEN | SIZE32);
    loom_sim_advance_to(b->sim, 999 * US + 500000);
    assert_int_equal(rd(b, 0, VALUE), 1);
    run_acking(b, 5 * LOOM_MS);
    static const loom_time want[] = {1000 * US};
    expect_rises(&b->irq, want, 1);
    assert_int_equal(rd(b, 0, VALUE), 0);
    assert_int_equal(rd(b, 0, RIS), 0); /* acknowledged, and nothing since */
    /* A new Load starts it again. */
    wr(b, 0, LOAD, 10);
    run_acking(b, 10 * LOOM_MS);
    static const loom_time want2[] = {1000 * US, 5010 * US};
    expect_rises(&b->irq, want2, 2);
    board_free(b);
}

static void test_sp804_free_running_wraps_at_0xffffffff(void **state)
{
    board *b = board_new("1GHz", NULL); /* 1 ns ticks */
    wr(b, 0, LOAD, 10);
    wr(b, 0, CTRL, ENABLE | INTEN | SIZE32); /* free-running */
    loom_sim_advance_to(b->sim, 10 * LOOM_NS);
    assert_int_equal(rd(b, 0, VALUE), 0);
    loom_sim_advance_to(b->sim, 11 * LOOM_NS);
    assert_int_equal(rd(b, 0, VALUE), 0xFFFFFFFFu);
    loom_sim_advance_to(b->sim, 12 * LOOM_NS);
    assert_int_equal(rd(b, 0, VALUE), 0xFFFFFFFEu);
    wr(b, 0, INTCLR, 1);
    /* Zero again after 2^32 more ticks: from max, not from Load. */
    const loom_time second = ((1ull << 32) + 10) * LOOM_NS;
    run_acking(b, second + 5 * LOOM_NS);
    static const loom_time want[] = {10 * LOOM_NS, ((1ull << 32) + 10) * LOOM_NS};
    expect_rises(&b->irq, want, 2);
    board_free(b);
}

static void test_sp804_free_running_wraps_at_0xffff_in_16_bit_mode(void **state)
{
    board *b = board_new("1GHz", NULL);
    wr(b, 0, LOAD, 10);
    wr(b, 0, CTRL, ENABLE | INTEN); /* free-running, 16-bit */
    loom_sim_advance_to(b->sim, 11 * LOOM_NS);
    assert_int_equal(rd(b, 0, VALUE), 0xFFFF);
    wr(b, 0, INTCLR, 1);
    run_acking(b, 140 * US);
    static const loom_time want[] = {10 * LOOM_NS, (10 + 65536) * LOOM_NS, (10 + 2 * 65536) * LOOM_NS};
    expect_rises(&b->irq, want, 3);
    board_free(b);
}

/* ---- Reading the counter -------------------------------------------------------------- */

static void test_sp804_value_read_midway_gives_the_exact_count(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 999);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    /* The count changes exactly on the tick, not a picosecond earlier. */
    loom_sim_advance_to(b->sim, 250 * US - 1);
    assert_int_equal(rd(b, 0, VALUE), 750);
    loom_sim_advance_to(b->sim, 250 * US);
    assert_int_equal(rd(b, 0, VALUE), 749);
    loom_sim_advance_to(b->sim, 250 * US + 500000);
    assert_int_equal(rd(b, 0, VALUE), 749);
    loom_sim_advance_to(b->sim, 999 * US - 1);
    assert_int_equal(rd(b, 0, VALUE), 1);
    assert_int_equal(rd(b, 0, RIS), 0);
    loom_sim_advance_to(b->sim, 999 * US);
    assert_int_equal(rd(b, 0, VALUE), 0);
    loom_sim_advance_to(b->sim, 1000 * US); /* one tick after zero: reloaded */
    assert_int_equal(rd(b, 0, VALUE), 999);
    loom_sim_advance_to(b->sim, 1001 * US);
    assert_int_equal(rd(b, 0, VALUE), 998);
    board_free(b);
}

/* A CPU ahead of the simulation by its annotated delay reads the counter
 * at its own time, and asks to stop right after. */
static void test_sp804_value_read_uses_the_initiators_local_time(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 999);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    loom_sim_advance_to(b->sim, 100 * US);
    bool sync = false;
    assert_int_equal(rd_ahead(b, VALUE, 50 * US, &sync), 849);
    assert_true(sync);
    /* RIS at a local time past the zero shows it, though the event has not
     * fired yet. */
    loom_sim_advance_to(b->sim, 998 * US);
    assert_int_equal(rd_ahead(b, RIS, 0, NULL), 0);
    assert_int_equal(rd_ahead(b, RIS, 2 * US, NULL), 1);
    assert_int_equal(rd_ahead(b, MIS, 2 * US, NULL), 1);
    /* An IntClr written at that local time clears that interrupt before
     * the line ever rises; the next one comes a period later. */
    wr_ahead(b, INTCLR, 1, 2 * US);
    assert_int_equal(rd_ahead(b, RIS, 2 * US, NULL), 0);
    run_acking(b, 2500 * US);
    static const loom_time want[] = {1999 * US};
    expect_rises(&b->irq, want, 1);
    board_free(b);
}

static void test_sp804_debug_read_sees_the_live_count(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 1, LOAD, 500);
    wr(b, 1, CTRL, ENABLE | PERIODIC | SIZE32);
    loom_sim_advance_to(b->sim, 123 * US);
    uint8_t d[4];
    assert_int_equal(loom_bus_debug_read(loom_sim_memory(b->sim), BASE + 0x20 + VALUE, d, 4), LOOM_OK);
    assert_int_equal(loom_get_le(d, 4), 377);
    board_free(b);
}

/* ---- Interrupt registers ----------------------------------------------------------------- */

static void test_sp804_intclr_clears_the_interrupt(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 99);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    loom_sim_advance_to(b->sim, 150 * US);
    assert_int_equal(rd(b, 0, RIS), 1);
    assert_int_equal(rd(b, 0, MIS), 1);
    assert_true(loom_irq_level(loom_inst_output(b->inst, "irq", 0)));
    wr(b, 0, INTCLR, 0); /* any value clears */
    assert_int_equal(rd(b, 0, RIS), 0);
    assert_int_equal(rd(b, 0, MIS), 0);
    assert_false(loom_irq_level(loom_inst_output(b->inst, "irq", 0)));
    assert_int_equal(b->irq.nfall, 1);
    /* Raised again at the next zero. */
    loom_sim_advance_to(b->sim, 199 * US);
    assert_int_equal(rd(b, 0, RIS), 1);
    static const loom_time want[] = {99 * US, 199 * US};
    expect_rises(&b->irq, want, 2);
    board_free(b);
}

static void test_sp804_mis_is_ris_masked_by_interrupt_enable(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 99);
    wr(b, 0, CTRL, ENABLE | PERIODIC | SIZE32); /* IntEnable off */
    loom_sim_advance_to(b->sim, 120 * US);
    assert_int_equal(rd(b, 0, RIS), 1);
    assert_int_equal(rd(b, 0, MIS), 0);
    assert_int_equal(b->irq.nrise, 0);
    /* Enabling the interrupt raises the pending one at once... */
    wr(b, 0, CTRL, ENABLE | PERIODIC | SIZE32 | INTEN);
    assert_int_equal(rd(b, 0, MIS), 1);
    static const loom_time want[] = {120 * US};
    expect_rises(&b->irq, want, 1);
    /* ...masking it again lowers the line but keeps RIS... */
    wr(b, 0, CTRL, ENABLE | PERIODIC | SIZE32);
    assert_int_equal(rd(b, 0, RIS), 1);
    assert_int_equal(rd(b, 0, MIS), 0);
    assert_false(loom_irq_level(loom_inst_output(b->inst, "irq", 0)));
    /* ...and neither disturbs the count. */
    assert_int_equal(rd(b, 0, VALUE), 79);
    assert_int_equal(rd(b, 1, MIS), 0);
    board_free(b);
}

/* ---- Load, BGLoad, enable -------------------------------------------------------------------- */

static void test_sp804_bgload_does_not_restart_the_count(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 99);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    loom_sim_advance_to(b->sim, 50 * US);
    wr(b, 0, BGLOAD, 199);
    assert_int_equal(rd(b, 0, VALUE), 49);
    assert_int_equal(rd(b, 0, LOAD), 199); /* one register behind two names */
    assert_int_equal(rd(b, 0, BGLOAD), 199);
    run_acking(b, 500 * US);
    /* This period ends as planned; the next ones are 200 ticks. */
    static const loom_time want[] = {99 * US, 299 * US, 499 * US};
    expect_rises(&b->irq, want, 3);
    board_free(b);
}

static void test_sp804_load_restarts_the_count(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 99);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    loom_sim_advance_to(b->sim, 50 * US);
    wr(b, 0, LOAD, 199);
    assert_int_equal(rd(b, 0, VALUE), 199);
    run_acking(b, 500 * US);
    static const loom_time want[] = {249 * US, 449 * US};
    expect_rises(&b->irq, want, 2);
    board_free(b);
}

static void test_sp804_disabling_stops_and_enabling_continues(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 999);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    loom_sim_advance_to(b->sim, 300 * US);
    wr(b, 0, CTRL, PERIODIC | INTEN | SIZE32);
    assert_int_equal(rd(b, 0, VALUE), 699);
    loom_sim_advance_to(b->sim, 1000 * US);
    assert_int_equal(rd(b, 0, VALUE), 699);
    assert_int_equal(b->irq.nrise, 0);
    assert_true(loom_sim_next_event(b->sim) == LOOM_TIME_MAX);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    run_acking(b, 3000 * US);
    static const loom_time want[] = {1699 * US, 2699 * US};
    expect_rises(&b->irq, want, 2);
    board_free(b);
}

static void test_sp804_load_of_zero_interrupts_at_once(void **state)
{
    board *b = board_new("1MHz", NULL);
    loom_sim_advance_to(b->sim, 10 * US);
    wr(b, 0, LOAD, 0);
    wr(b, 0, CTRL, ENABLE | ONESHOT | INTEN | SIZE32);
    run_acking(b, 100 * US);
    static const loom_time want[] = {10 * US};
    expect_rises(&b->irq, want, 1);
    board_free(b);
}

/* Clearing the one-shot bit of a timer halted at zero lets it wrap again
 * without a second interrupt for the zero it already reported. */
static void test_sp804_oneshot_cleared_at_zero_resumes_counting(void **state)
{
    board *b = board_new("1MHz", NULL);
    wr(b, 0, LOAD, 9);
    wr(b, 0, CTRL, ENABLE | ONESHOT | PERIODIC | INTEN | SIZE32);
    run_acking(b, 50 * US);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    run_acking(b, 75 * US);
    /* From 0 at 50 us: reload at 51 us, zero at 60 us and 70 us. */
    static const loom_time want[] = {9 * US, 60 * US, 70 * US};
    expect_rises(&b->irq, want, 3);
    board_free(b);
}

/* ---- Two timers ----------------------------------------------------------------------------- */

static void test_sp804_timers_are_independent_with_their_own_clocks(void **state)
{
    board *b = board_new("1MHz", "2MHz");
    wr(b, 0, LOAD, 99);
    wr(b, 1, LOAD, 99);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    wr(b, 1, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    run_acking(b, 250 * US);
    static const loom_time t1[] = {99 * US, 199 * US};
    static const loom_time t2[] = {49500000, 99500000, 149500000, 199500000, 249500000};
    static const loom_time both[] = {49500000, 99 * US, 99500000, 149500000, 199 * US,
                                     199500000, 249500000};
    expect_rises(&b->timer[0], t1, 2);
    expect_rises(&b->timer[1], t2, 5);
    expect_rises(&b->irq, both, 7);
    board_free(b);
}

static void test_sp804_integration_test_registers_drive_the_outputs(void **state)
{
    board *b = board_new(NULL, NULL);
    wr_at(b, 0xF04, 2); /* ITOP: TIMINT2; no effect outside test mode */
    assert_int_equal(b->irq.nrise, 0);
    wr_at(b, 0xF00, 1);
    assert_int_equal(rd_at(b, 0xF00), 1);
    assert_int_equal(b->timer[0].nrise, 0);
    assert_int_equal(b->timer[1].nrise, 1);
    assert_int_equal(b->irq.nrise, 1);
    wr_at(b, 0xF00, 0);
    assert_int_equal(b->timer[1].nfall, 1);
    assert_int_equal(b->irq.nfall, 1);
    board_free(b);
}

/* ---- Configuration ----------------------------------------------------------------------- */

static void test_sp804_refuses_a_zero_clock(void **state)
{
    loom_sim *sim;
    loom_inst *inst;
    char err[200];
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_inst_create(sim, &loom_model_sp804, "t0", &inst), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(inst, "clock", "0Hz", err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(inst), LOOM_E_CONFIG);
    assert_non_null(strstr(loom_sim_last_error(sim), "t0 (sp804): clock must not be 0 Hz"));
    loom_sim_free(sim);
}

/* ---- Save and restore ------------------------------------------------------------------- */

static void program_mixed(board *b)
{
    /* Timer 1: periodic, prescaled, 160 us period; timer 2 at 3 MHz,
     * free-running 16-bit from 500. */
    wr(b, 0, LOAD, 9);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32 | PRE16);
    wr(b, 1, LOAD, 500);
    wr(b, 1, CTRL, ENABLE | INTEN);
}

static void compare_registers(board *a, board *b)
{
    for (unsigned n = 0; n < 2; n++)
        for (uint32_t reg = LOAD; reg <= BGLOAD; reg += 4)
            if (reg != INTCLR) assert_int_equal(rd(a, n, reg), rd(b, n, reg));
}

static void test_sp804_save_restore_continues_like_an_uninterrupted_run(void **state)
{
    const loom_time t1 = 1000 * US + 300000, t2 = 60 * LOOM_MS;
    board *a = board_new("1MHz", "3MHz");
    program_mixed(a);
    run_acking(a, 500 * US);
    wr(a, 0, BGLOAD, 24); /* period 25 ticks of 16 us from the next reload */
    run_acking(a, t1);

    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    unsigned before = a->irq.nrise;

    board *b = board_new("1MHz", "3MHz");
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(b->sim, &buf), LOOM_OK);
    loom_buf_free(&buf);
    assert_true(loom_sim_now(b->sim) == t1);
    compare_registers(a, b);

    run_acking(a, t2);
    run_acking(b, t2);
    assert_true(a->irq.nrise - before > 10);
    expect_rises(&b->irq, a->irq.rise + before, a->irq.nrise - before);
    compare_registers(a, b);
    board_free(a);
    board_free(b);
}

static void test_sp804_restore_refuses_a_differently_clocked_timer(void **state)
{
    board *a = board_new("1MHz", NULL);
    program_mixed(a);
    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    board *b = board_new("2MHz", NULL);
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(b->sim, &buf), LOOM_E_STATE);
    assert_non_null(strstr(loom_sim_last_error(b->sim), "1000000 Hz"));
    loom_buf_free(&buf);
    board_free(a);
    board_free(b);
}

/* Two simulations in one process keep their own timers. */
static void test_sp804_two_simulations_do_not_interfere(void **state)
{
    board *a = board_new("1MHz", NULL), *b = board_new("1MHz", NULL);
    wr(a, 0, LOAD, 99);
    wr(a, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    wr(b, 0, LOAD, 49);
    wr(b, 0, CTRL, ENABLE | PERIODIC | INTEN | SIZE32);
    run_acking(a, 300 * US);
    run_acking(b, 120 * US);
    static const loom_time wa[] = {99 * US, 199 * US, 299 * US};
    static const loom_time wb[] = {49 * US, 99 * US};
    expect_rises(&a->irq, wa, 3);
    expect_rises(&b->irq, wb, 2);
    board_free(a);
    board_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sp804_reset_values_match_the_trm),
        cmocka_unit_test(test_sp804_id_registers_identify_an_sp804_primecell),
        cmocka_unit_test(test_sp804_unmapped_offset_is_an_address_error),
        cmocka_unit_test(test_sp804_periodic_fires_at_exact_picosecond_times),
        cmocka_unit_test(test_sp804_periodic_with_fractional_ticks_does_not_drift),
        cmocka_unit_test(test_sp804_oneshot_fires_once_and_stops_at_zero),
        cmocka_unit_test(test_sp804_free_running_wraps_at_0xffffffff),
        cmocka_unit_test(test_sp804_free_running_wraps_at_0xffff_in_16_bit_mode),
        cmocka_unit_test(test_sp804_value_read_midway_gives_the_exact_count),
        cmocka_unit_test(test_sp804_value_read_uses_the_initiators_local_time),
        cmocka_unit_test(test_sp804_debug_read_sees_the_live_count),
        cmocka_unit_test(test_sp804_intclr_clears_the_interrupt),
        cmocka_unit_test(test_sp804_mis_is_ris_masked_by_interrupt_enable),
        cmocka_unit_test(test_sp804_bgload_does_not_restart_the_count),
        cmocka_unit_test(test_sp804_load_restarts_the_count),
        cmocka_unit_test(test_sp804_disabling_stops_and_enabling_continues),
        cmocka_unit_test(test_sp804_load_of_zero_interrupts_at_once),
        cmocka_unit_test(test_sp804_oneshot_cleared_at_zero_resumes_counting),
        cmocka_unit_test(test_sp804_timers_are_independent_with_their_own_clocks),
        cmocka_unit_test(test_sp804_integration_test_registers_drive_the_outputs),
        cmocka_unit_test(test_sp804_refuses_a_zero_clock),
        cmocka_unit_test(test_sp804_save_restore_continues_like_an_uninterrupted_run),
        cmocka_unit_test(test_sp804_restore_refuses_a_differently_clocked_timer),
        cmocka_unit_test(test_sp804_two_simulations_do_not_interfere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
