/* Unit tests for models/timer/pl031.c (ARM DDI 0224): the seconds counter
 * in simulated time, loading it, the match interrupt to the picosecond,
 * masking and clearing, identification, and save/restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"
#include "model_rig.h"

extern const loom_model_type loom_model_pl031;

#define BASE 0x09010000u
enum { DR = 0x00, MR = 0x04, LR = 0x08, CR = 0x0C, IMSC = 0x10, RIS = 0x14, MIS = 0x18, ICR = 0x1C };

typedef struct board {
    loom_sim *sim;
    loom_inst *rtc;
    bool level;
    loom_time rose;
    unsigned rises;
} board;

static void on_irq(void *opaque, unsigned n, bool level)
{
    board *b = opaque;
    (void)n;
    if (level && !b->level) {
        b->rises++;
        b->rose = loom_sim_now(b->sim);
    }
    b->level = level;
}

static board *board_new(const char *epoch)
{
    board *b = calloc(1, sizeof *b);
    assert_non_null(b);
    assert_int_equal(loom_sim_new(&b->sim), LOOM_OK);
    assert_int_equal(loom_inst_create(b->sim, &loom_model_pl031, "rtc", &b->rtc), LOOM_OK);
    char err[200];
    if (epoch) assert_int_equal(loom_inst_set_prop(b->rtc, "epoch", epoch, err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(b->rtc), LOOM_OK);
    assert_int_equal(loom_inst_realize(b->rtc), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(b->sim), loom_inst_region(b->rtc, 0, NULL), BASE, 0, NULL), LOOM_OK);
    assert_int_equal(loom_irq_connect(loom_inst_output(b->rtc, "irq", 0), on_irq, b, 0), LOOM_OK);
    loom_sim_reset(b->sim);
    return b;
}

static void wr(board *b, uint32_t off, uint32_t v) { rig_wr32(b->sim, BASE + off, v); }
static uint32_t rd(board *b, uint32_t off) { return rig_rd32(b->sim, BASE + off); }

static void run_to(board *b, loom_time t)
{
    for (;;) {
        loom_time next = loom_sim_next_event(b->sim);
        if (next > t) break;
        loom_sim_advance_to(b->sim, next);
    }
    loom_sim_advance_to(b->sim, t);
}

static void test_pl031_counts_seconds_from_its_epoch(void **state)
{
    board *b = board_new("1700000000");
    assert_int_equal(rd(b, DR), 1700000000u);
    assert_int_equal(rd(b, CR), 1);
    run_to(b, 999 * LOOM_MS);
    assert_int_equal(rd(b, DR), 1700000000u);
    run_to(b, LOOM_SEC);
    assert_int_equal(rd(b, DR), 1700000001u);
    run_to(b, 90 * LOOM_SEC + 5);
    assert_int_equal(rd(b, DR), 1700000090u);
    /* Loading starts a new phase of whole seconds at the write. */
    run_to(b, 90 * LOOM_SEC + 700 * LOOM_MS);
    wr(b, LR, 5);
    assert_int_equal(rd(b, LR), 5);
    assert_int_equal(rd(b, DR), 5);
    run_to(b, 91 * LOOM_SEC + 699 * LOOM_MS);
    assert_int_equal(rd(b, DR), 5);
    run_to(b, 91 * LOOM_SEC + 700 * LOOM_MS);
    assert_int_equal(rd(b, DR), 6);
    /* Identification: PL031, PrimeCell. */
    assert_int_equal(rd(b, 0xFE0), 0x31);
    assert_int_equal(rd(b, 0xFE4), 0x10);
    assert_int_equal(rd(b, 0xFF0), 0x0D);
    assert_int_equal(rd(b, 0xFFC), 0xB1);
    loom_sim_free(b->sim);
    free(b);
}

static void test_pl031_match_interrupt(void **state)
{
    board *b = board_new(NULL);
    wr(b, LR, 100);
    wr(b, MR, 103);
    wr(b, IMSC, 1);
    run_to(b, 10 * LOOM_SEC);
    assert_int_equal(b->rises, 1);
    assert_true(b->rose == 3 * LOOM_SEC);
    assert_int_equal(rd(b, RIS), 1);
    assert_int_equal(rd(b, MIS), 1);
    assert_true(b->level);
    wr(b, ICR, 1);
    assert_false(b->level);
    assert_int_equal(rd(b, RIS), 0);
    /* Masked, it is raw only; unmasking shows it. */
    wr(b, IMSC, 0);
    wr(b, MR, 112);
    run_to(b, 13 * LOOM_SEC);
    assert_int_equal(rd(b, RIS), 1);
    assert_int_equal(rd(b, MIS), 0);
    assert_false(b->level);
    wr(b, IMSC, 1);
    assert_true(b->level);
    assert_true(b->rose == 13 * LOOM_SEC);
    wr(b, ICR, 1);
    /* A match equal to the count raises it at once. */
    wr(b, MR, rd(b, DR));
    assert_true(b->level);
    wr(b, ICR, 1);
    /* A match in the past waits for the counter to wrap: beyond simulated
     * time, so never. */
    wr(b, MR, 5);
    run_to(b, 100 * LOOM_SEC);
    assert_false(b->level);
    loom_sim_free(b->sim);
    free(b);
}

static void test_pl031_save_restore(void **state)
{
    board *a = board_new("42");
    wr(a, MR, 50);
    wr(a, IMSC, 1);
    run_to(a, 3 * LOOM_SEC + 250 * LOOM_MS);
    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    board *b = board_new(NULL);
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(b->sim, &buf), LOOM_OK);
    loom_buf_free(&buf);
    assert_int_equal(rd(b, DR), 45);
    run_to(a, 20 * LOOM_SEC);
    run_to(b, 20 * LOOM_SEC);
    assert_int_equal(a->rises, 1);
    assert_int_equal(b->rises, 1);
    assert_true(a->rose == 8 * LOOM_SEC && b->rose == 8 * LOOM_SEC);
    assert_int_equal(rd(a, DR), rd(b, DR));
    loom_sim_free(a->sim);
    loom_sim_free(b->sim);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pl031_counts_seconds_from_its_epoch),
        cmocka_unit_test(test_pl031_match_interrupt),
        cmocka_unit_test(test_pl031_save_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
