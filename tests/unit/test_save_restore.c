/* Unit tests for loom_sim_save and loom_sim_restore (core/model.c with the
 * event queue of core/sim.c), on a board of real models: RAM, a PL011 UART
 * writing to an in-memory back end, an SP804 timer whose interrupts go to
 * a script master, and the script master itself driving everything with
 * timed reads and writes whose expected values it checks (any failed check
 * ends the run with status 1; a clean run ends with status 3).
 *
 * The contract (DESIGN.md, "State"): save, restore, continue equals an
 * uninterrupted run, byte for byte; bad saved state never crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"
#include "../../models/uart/pl011.h"

#define T1 (40 * LOOM_US + 500 * LOOM_NS)     /* between the timers' events */
#define TMID (55 * LOOM_US + 250 * LOOM_NS)
#define TEXIT (100 * LOOM_US)
#define T2 (200 * LOOM_US)

/* Times are absolute. Timer 1 (1 MHz) is loaded with 10 at 3 us: it
 * reaches zero at 13 us and every 11 us after (24, 35, 46, 57). Timer 2 is
 * a one-shot loaded with 25 at 20 us: zero at 45 us. */
static const char script[] =
    "      1us write32 0x09000030 0x301          # UART: enable\n"
    "      1us write32 0x09000038 0x20           # UART: unmask TX\n"
    "      1us irq 3 1                           # TX FIFO empty: pending at once\n"
    "      1us write32 0x09000044 0x20\n"
    "      1us irq 3 0\n"
    "      2us write32 0x40000000 0x11223344\n"
    "      2us read32 0x40000000 expect 0x11223344\n"
    "      3us write32 0x09010000 10             # timer 1: Load\n"
    "      3us write32 0x09010008 0xe2           # periodic, interrupt, 32-bit, enable\n"
    "      4us write8 0x09000000 0x48\n"
    "      4us irq 3 1\n"
    "      5us read32 0x09010004 expect 8\n"
    "      6us write8 0x09000000 0x65\n"
    "      8us write8 0x09000000 0x6c\n"
    "      10us write8 0x09000000 0x6c\n"
    "      12us write8 0x09000000 0x6f\n"
    "      12.5us irq 0 0\n"
    "      13.5us irq 0 1\n"
    "      13.5us irq 2 1                        # the combined line too\n"
    "      14us write32 0x0901000c 1\n"
    "      14us irq 0 0\n"
    "      14us irq 2 0\n"
    "      20us write32 0x09010020 25            # timer 2: Load\n"
    "      20us write32 0x09010028 0xa3          # one-shot, interrupt, 32-bit, enable\n"
    "      22us read32 0x09010024 expect 23\n"
    "      24.5us irq 0 1\n"
    "      25us write32 0x0901000c 1\n"
    "      30us write64 0x40000008 0x0123456789abcdef\n"
    "      35.5us irq 0 1\n"
    "      36us write32 0x0901000c 1\n"
    "      36us irq 0 0\n"
    "      38us write8 0x09000000 0x2c\n"
    "      40us write8 0x09000000 0x20\n"
    "      45.5us irq 1 1                        # timer 2 reached zero\n"
    "      45.5us irq 0 0\n"
    "      46.5us irq 0 1\n"
    "      47us read32 0x09010024 expect 0       # a one-shot stays at zero\n"
    "      47us write32 0x0901002c 1\n"
    "      47us irq 1 0\n"
    "      47us write32 0x0901000c 1\n"
    "      47us irq 2 0\n"
    "      50us write8 0x09000000 0x77\n"
    "      52us write8 0x09000000 0x6f\n"
    "      54us write8 0x09000000 0x72\n"
    "      56us write8 0x09000000 0x6c\n"
    "      57.5us irq 0 1\n"
    "      58us write32 0x0901000c 1\n"
    "      58.5us write8 0x09000000 0x64\n"
    "      60us read64 0x40000008 expect 0x0123456789abcdef\n"
    "      60us read32 0x40000000 expect 0x11223344\n"
    "      60.5us write8 0x09000000 0x21\n"
    "      61us write8 0x09000000 0x0a\n"
    "      62us write32 0x09010008 0x62          # timer 1: stop\n"
    "      63us read32 0x09010004 expect 6       # frozen where it stopped\n"
    "      70us irq 0 0\n"
    "      100us exit 3\n";

enum {
    HAS_RAM = 1 << 0,
    HAS_UART = 1 << 1,
    HAS_TIMER = 1 << 2,
    HAS_MASTER = 1 << 3,
    FULL = HAS_RAM | HAS_UART | HAS_TIMER | HAS_MASTER,
};

static void cat(char *buf, size_t cap, const char *s)
{
    assert_true(strlen(buf) + strlen(s) < cap);
    strcat(buf, s);
}

/* Build the board, leaving out some devices. */
static loom_sim *board(unsigned parts)
{
    static char yaml[16384];
    yaml[0] = 0;
    cat(yaml, sizeof yaml, "board: save-restore\nquantum: 1us\ndevices:\n");
    if (parts & HAS_RAM)
        cat(yaml, sizeof yaml, "  ram:\n    type: ram\n    at: 0x40000000\n    size: 64KiB\n");
    if (parts & HAS_UART) {
        cat(yaml, sizeof yaml, "  uart0:\n    type: pl011\n    at: 0x09000000\n    chardev: mem\n");
        if (parts & HAS_MASTER) cat(yaml, sizeof yaml, "    irq: master.irq[3]\n");
    }
    if (parts & HAS_TIMER) {
        cat(yaml, sizeof yaml, "  timer:\n    type: sp804\n    at: 0x09010000\n");
        if (parts & HAS_MASTER)
            cat(yaml, sizeof yaml,
                "    irq: master.irq[2]\n"
                "    irq-timer[0]: master.irq[0]\n"
                "    irq-timer[1]: master.irq[1]\n");
    }
    if (parts & HAS_MASTER) {
        cat(yaml, sizeof yaml, "  master:\n    type: script-master\n    commands: |\n");
        cat(yaml, sizeof yaml, script);
    }
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    loom_platform *p;
    loom_err e = loom_platform_load_string(sim, "save-restore.yaml", yaml, NULL, &p);
    if (e) fail_msg("board: %s", loom_sim_last_error(sim));
    assert_int_equal(loom_sim_quantum(sim), 1 * LOOM_US);
    return sim;
}

static const char *uart_output(loom_sim *sim, size_t *len)
{
    loom_inst *u = loom_sim_find_inst(sim, "uart0");
    assert_non_null(u);
    pl011_state *s = loom_inst_state(u);
    return (const char *)loom_chardev_mem_output(s->cd, len);
}

static void save(loom_sim *sim, loom_buf *b)
{
    loom_buf_init(b);
    assert_int_equal(loom_sim_save(sim, b), LOOM_OK);
    assert_false(b->bad);
    assert_true(b->len > 64 * 1024 / 4096 * 8); /* at least something per device */
}

static void assert_same_state(loom_sim *a, loom_sim *b)
{
    loom_buf sa, sb;
    save(a, &sa);
    save(b, &sb);
    assert_int_equal(sa.len, sb.len);
    assert_memory_equal(sa.data, sb.data, sa.len);
    loom_buf_free(&sa);
    loom_buf_free(&sb);
}

static void assert_output(loom_sim *sim, const char *want)
{
    size_t len;
    const char *out = uart_output(sim, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
}

/* ---- Save, restore, continue ----------------------------------------------------- */

static void test_save_restore_continue_equals_an_uninterrupted_run(void **state)
{
    loom_sim *a = board(FULL);
    assert_int_equal(loom_sim_run(a, T1), LOOM_STOP_TIME_LIMIT);
    assert_output(a, "Hello, ");
    loom_buf at_t1;
    save(a, &at_t1);
    /* Saving changes nothing: a second save is the same. */
    loom_buf again;
    save(a, &again);
    assert_int_equal(again.len, at_t1.len);
    assert_memory_equal(again.data, at_t1.data, at_t1.len);
    loom_buf_free(&again);

    loom_sim *b = board(FULL);
    assert_int_equal(loom_sim_restore(b, &at_t1), LOOM_OK);
    assert_int_equal(at_t1.pos, at_t1.len); /* read exactly what was written */
    assert_int_equal(loom_sim_now(b), T1);
    assert_same_state(a, b);

    /* Part way, and at the end. */
    assert_int_equal(loom_sim_run(a, TMID), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_run(b, TMID), LOOM_STOP_TIME_LIMIT);
    assert_same_state(a, b);
    loom_sim *d = board(FULL);
    assert_int_equal(loom_sim_run(d, TMID), LOOM_STOP_TIME_LIMIT);
    assert_same_state(a, d);

    assert_int_equal(loom_sim_run(a, T2), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_run(b, T2), LOOM_STOP_EXIT);
    loom_sim *c = board(FULL);
    assert_int_equal(loom_sim_run(c, T2), LOOM_STOP_EXIT);
    /* Every check of the script passed (a failed one exits with 1). */
    assert_int_equal(loom_sim_exit_status(a), 3);
    assert_int_equal(loom_sim_exit_status(b), 3);
    assert_int_equal(loom_sim_exit_status(c), 3);
    assert_int_equal(loom_sim_now(a), TEXIT);
    assert_int_equal(loom_sim_now(b), TEXIT);
    assert_int_equal(loom_sim_now(c), TEXIT);
    assert_same_state(a, b);
    assert_same_state(a, c);
    /* What the UART sent: b only sent what came after T1. */
    assert_output(a, "Hello, world!\n");
    assert_output(c, "Hello, world!\n");
    assert_output(b, "world!\n");

    loom_buf_free(&at_t1);
    loom_sim_free(a);
    loom_sim_free(b);
    loom_sim_free(c);
    loom_sim_free(d);
}

static void test_restore_at_time_zero_and_twice_in_a_row(void **state)
{
    /* A state saved before anything ran restores too, and restoring the
     * same state twice gives the same simulation. */
    loom_sim *a = board(FULL), *b = board(FULL);
    loom_buf s0;
    save(a, &s0);
    assert_int_equal(loom_sim_run(b, TMID), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_restore(b, &s0), LOOM_OK);
    assert_same_state(a, b);
    s0.pos = 0;
    assert_int_equal(loom_sim_restore(b, &s0), LOOM_OK);
    assert_same_state(a, b);
    assert_int_equal(loom_sim_run(a, T2), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_run(b, T2), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(b), 3);
    assert_same_state(a, b);
    loom_buf_free(&s0);
    loom_sim_free(a);
    loom_sim_free(b);
}

/* ---- Bad saved state ---------------------------------------------------------------- */

static void test_restore_into_a_board_lacking_an_instance_names_it(void **state)
{
    loom_sim *a = board(FULL);
    assert_int_equal(loom_sim_run(a, T1), LOOM_STOP_TIME_LIMIT);
    loom_buf s;
    save(a, &s);
    static const struct {
        unsigned parts;
        const char *name;
    } cases[] = {
        {FULL & ~HAS_RAM, "ram"},
        {FULL & ~HAS_UART, "uart0"},
        {FULL & ~HAS_TIMER, "timer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        loom_sim *b = board(cases[i].parts);
        s.pos = 0;
        loom_err e = loom_sim_restore(b, &s);
        assert_int_not_equal(e, LOOM_OK);
        const char *msg = loom_sim_last_error(b);
        if (!strstr(msg, cases[i].name) || !strstr(msg, "lacks"))
            fail_msg("without '%s': %s", cases[i].name, msg);
        loom_sim_free(b);
    }
    loom_buf_free(&s);
    loom_sim_free(a);
}

static void test_restore_refuses_what_is_not_a_saved_state(void **state)
{
    loom_sim *a = board(FULL);
    loom_buf s;
    save(a, &s);
    loom_buf junk = {0};
    assert_int_equal(loom_sim_restore(a, &junk), LOOM_E_FORMAT);
    assert_non_null(strstr(loom_sim_last_error(a), "not a saved Loom state"));
    /* Wrong magic, then wrong version. */
    s.data[0] ^= 0xff;
    s.pos = 0;
    assert_int_equal(loom_sim_restore(a, &s), LOOM_E_FORMAT);
    s.data[0] ^= 0xff;
    s.data[4] += 1;
    s.pos = 0;
    assert_int_equal(loom_sim_restore(a, &s), LOOM_E_FORMAT);
    loom_buf_free(&s);
    loom_sim_free(a);
}

static void test_restore_of_a_truncated_state_fails_at_every_length(void **state)
{
    loom_sim *a = board(FULL);
    assert_int_equal(loom_sim_run(a, T1), LOOM_STOP_TIME_LIMIT);
    loom_buf s;
    save(a, &s);
    loom_sim *b = board(FULL);
    for (size_t n = 0; n < s.len; n++) {
        loom_buf t = {.data = s.data, .len = n, .cap = n};
        loom_err e = loom_sim_restore(b, &t);
        if (e != LOOM_E_FORMAT)
            fail_msg("truncated to %zu of %zu bytes: %s (%s)", n, s.len, loom_strerror(e),
                     loom_sim_last_error(b));
    }
    /* The whole state still restores, and the run goes on as it should. */
    s.pos = 0;
    assert_int_equal(loom_sim_restore(b, &s), LOOM_OK);
    assert_same_state(a, b);
    assert_int_equal(loom_sim_run(b, T2), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(b), 3);
    assert_output(b, "world!\n");
    loom_buf_free(&s);
    loom_sim_free(a);
    loom_sim_free(b);
}

static void test_failed_restore_leaves_the_simulation_unchanged(void **state)
{
    loom_sim *a = board(FULL);
    assert_int_equal(loom_sim_run(a, T1), LOOM_STOP_TIME_LIMIT);
    loom_buf s;
    save(a, &s);
    /* b is at another point of the same run; a broken restore must leave
     * it there, able to go on. */
    loom_sim *b = board(FULL);
    assert_int_equal(loom_sim_run(b, TMID), LOOM_STOP_TIME_LIMIT);
    loom_buf before;
    save(b, &before);
    static const size_t cuts[] = {20, 40, 100};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts + 1; i++) {
        size_t n = i < sizeof cuts / sizeof *cuts ? cuts[i] : s.len - 3;
        loom_buf t = {.data = s.data, .len = n, .cap = n};
        assert_int_equal(loom_sim_restore(b, &t), LOOM_E_FORMAT);
        loom_buf after;
        save(b, &after);
        if (after.len != before.len || memcmp(after.data, before.data, after.len))
            fail_msg("a restore of %zu bytes that failed changed the simulation", n);
        loom_buf_free(&after);
    }
    assert_int_equal(loom_sim_run(b, T2), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(b), 3);
    assert_output(b, "Hello, world!\n");
    loom_buf_free(&before);
    loom_buf_free(&s);
    loom_sim_free(a);
    loom_sim_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_restore_continue_equals_an_uninterrupted_run),
        cmocka_unit_test(test_restore_at_time_zero_and_twice_in_a_row),
        cmocka_unit_test(test_restore_into_a_board_lacking_an_instance_names_it),
        cmocka_unit_test(test_restore_refuses_what_is_not_a_saved_state),
        cmocka_unit_test(test_restore_of_a_truncated_state_fails_at_every_length),
        cmocka_unit_test(test_failed_restore_leaves_the_simulation_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
