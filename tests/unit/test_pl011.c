/* Unit tests for models/uart/pl011.c, checked against the ARM PrimeCell
 * UART (PL011) Technical Reference Manual (DDI 0183): registers through the
 * system bus, the character back end through the "mem" chardev. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"
#include "../../models/uart/pl011.h"

#define BASE 0x09000000u

enum {
    DR = 0x000, RSR = 0x004, FR = 0x018, ILPR = 0x020, IBRD = 0x024, FBRD = 0x028,
    LCR_H = 0x02c, CR = 0x030, IFLS = 0x034, IMSC = 0x038, RIS = 0x03c, MIS = 0x040,
    ICR = 0x044, DMACR = 0x048,
};
enum { FR_BUSY = 1 << 3, FR_RXFE = 1 << 4, FR_TXFF = 1 << 5, FR_RXFF = 1 << 6, FR_TXFE = 1 << 7 };
enum { CR_EN = 0x301, CR_LBE = 1 << 7, LCRH_FEN = 1 << 4 };
enum { I_RX = 1 << 4, I_TX = 1 << 5, I_RT = 1 << 6, I_OE = 1 << 10 };

typedef struct fx {
    loom_sim *sim;
    loom_inst *inst;
    pl011_state *s;
    loom_bus *bus;
    bool irq;
    int irq_edges;
} fx;

static void irq_sink(void *opaque, unsigned n, bool level)
{
    fx *f = opaque;
    f->irq = level;
    f->irq_edges++;
}

static void fx_build(fx *f)
{
    char err[256] = "";
    memset(f, 0, sizeof *f);
    assert_int_equal(loom_sim_new(&f->sim), LOOM_OK);
    assert_int_equal(loom_inst_create(f->sim, &loom_model_pl011, "uart0", &f->inst), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(f->inst, "chardev", "mem", err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(f->inst), LOOM_OK);
    assert_int_equal(loom_inst_realize(f->inst), LOOM_OK);
    f->s = loom_inst_state(f->inst);
    f->bus = loom_sim_memory(f->sim);
    loom_region *r = loom_inst_find_region(f->inst, "regs");
    assert_non_null(r);
    assert_int_equal(loom_region_size(r), 0x1000);
    assert_int_equal(loom_bus_map(f->bus, r, BASE, 0, NULL), LOOM_OK);
    loom_irq *line = loom_inst_output(f->inst, "irq", 0);
    assert_non_null(line);
    assert_int_equal(loom_irq_connect(line, irq_sink, f, 0), LOOM_OK);
}

static int setup(void **state)
{
    fx *f = malloc(sizeof *f);
    fx_build(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    loom_sim_free(f->sim);
    free(f);
    return 0;
}

static uint32_t rd(fx *f, uint32_t off)
{
    uint8_t b[4];
    assert_int_equal(loom_bus_read(f->bus, BASE + off, b, 4), LOOM_OK);
    return (uint32_t)loom_get_le(b, 4);
}

static void wr(fx *f, uint32_t off, uint32_t v)
{
    uint8_t b[4];
    loom_put_le(b, 4, v);
    assert_int_equal(loom_bus_write(f->bus, BASE + off, b, 4), LOOM_OK);
}

static void inject(fx *f, const char *s)
{
    loom_chardev_mem_inject(f->s->cd, s, strlen(s));
}

static size_t output(fx *f, char *buf, size_t cap)
{
    size_t len;
    const uint8_t *p = loom_chardev_mem_output(f->s->cd, &len);
    assert_true(len < cap);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return len;
}

/* ---- Registers at reset ---------------------------------------------------- */

static void test_pl011_reset_values_follow_the_trm(void **state)
{
    fx *f = *state;
    assert_int_equal(rd(f, FR), FR_TXFE | FR_RXFE);
    assert_int_equal(rd(f, CR), 0x300);
    assert_int_equal(rd(f, IFLS), 0x12);
    assert_int_equal(rd(f, LCR_H), 0);
    assert_int_equal(rd(f, IMSC), 0);
    assert_int_equal(rd(f, RIS), 0);
    assert_int_equal(rd(f, MIS), 0);
    assert_int_equal(rd(f, RSR), 0);
    assert_int_equal(rd(f, DMACR), 0);
    assert_false(f->irq);
}

static void test_pl011_id_registers_identify_a_pl011(void **state)
{
    fx *f = *state;
    static const uint32_t id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned i = 0; i < 8; i++) assert_int_equal(rd(f, 0xfe0 + 4 * i), id[i]);
    /* Read-only: a write changes nothing. */
    wr(f, 0xfe0, 0xff);
    assert_int_equal(rd(f, 0xfe0), 0x11);
}

static void test_pl011_config_registers_keep_only_their_defined_bits(void **state)
{
    fx *f = *state;
    wr(f, IBRD, 0xffffffff);
    wr(f, FBRD, 0xffffffff);
    wr(f, ILPR, 0xffffffff);
    wr(f, LCR_H, 0xffffffff);
    wr(f, IFLS, 0xffffffff);
    wr(f, IMSC, 0xffffffff);
    wr(f, DMACR, 0xffffffff);
    assert_int_equal(rd(f, IBRD), 0xffff);
    assert_int_equal(rd(f, FBRD), 0x3f);
    assert_int_equal(rd(f, ILPR), 0xff);
    assert_int_equal(rd(f, LCR_H), 0xff);
    assert_int_equal(rd(f, IFLS), 0x3f);
    assert_int_equal(rd(f, IMSC), 0x7ff);
    assert_int_equal(rd(f, DMACR), 0x7);
}

static void test_pl011_unmapped_offsets_give_an_error_response(void **state)
{
    fx *f = *state;
    static const uint32_t holes[] = {0x008, 0x00c, 0x010, 0x014, 0x01c, 0x04c, 0x800, 0xfdc};
    for (size_t i = 0; i < sizeof holes / sizeof *holes; i++) {
        uint8_t b[4] = {0};
        loom_txn t = {.addr = BASE + holes[i], .data = b, .len = 4, .cmd = LOOM_READ};
        loom_bus_transport(f->bus, &t);
        assert_int_equal(t.resp, LOOM_RESP_ADDRESS_ERROR);
        assert_int_not_equal(loom_bus_read(f->bus, BASE + holes[i], b, 4), LOOM_OK);
        assert_int_not_equal(loom_bus_write(f->bus, BASE + holes[i], b, 4), LOOM_OK);
    }
}

/* ---- Transmit ----------------------------------------------------------------- */

static void test_pl011_transmit_reaches_the_chardev_when_enabled(void **state)
{
    fx *f = *state;
    char out[64];
    wr(f, CR, CR_EN);
    wr(f, DR, 'H');
    wr(f, DR, 0x100 | 'i'); /* bits above 7 are not data */
    uint8_t c = '!';
    assert_int_equal(loom_bus_write(f->bus, BASE + DR, &c, 1), LOOM_OK); /* a byte store */
    assert_int_equal(output(f, out, sizeof out), 3);
    assert_string_equal(out, "Hi!");
    /* Instant transmission: never busy, never full. */
    assert_int_equal(rd(f, FR) & (FR_BUSY | FR_TXFF | FR_TXFE), FR_TXFE);
}

static void test_pl011_transmit_is_dropped_until_uarten_and_txe(void **state)
{
    fx *f = *state;
    char out[16];
    wr(f, DR, 'a'); /* reset: UARTEN clear */
    wr(f, CR, 0x201); /* UARTEN and RXE, no TXE */
    wr(f, DR, 'b');
    assert_int_equal(output(f, out, sizeof out), 0);
    wr(f, CR, CR_EN);
    wr(f, DR, 'c');
    assert_int_equal(output(f, out, sizeof out), 1);
    assert_string_equal(out, "c");
}

/* ---- Receive ------------------------------------------------------------------- */

static void test_pl011_rx_byte_appears_in_dr_with_clean_flags(void **state)
{
    fx *f = *state;
    wr(f, CR, CR_EN);
    inject(f, "A");
    assert_int_equal(rd(f, FR) & FR_RXFE, 0);
    assert_int_equal(rd(f, DR), 'A'); /* no FE, PE, BE, OE bits */
    assert_int_equal(rd(f, RSR), 0);
    assert_int_equal(rd(f, FR) & FR_RXFE, FR_RXFE);
}

static void test_pl011_rx_waits_in_the_chardev_until_the_receiver_is_enabled(void **state)
{
    fx *f = *state;
    inject(f, "xy");
    assert_int_equal(rd(f, FR) & FR_RXFE, FR_RXFE);
    assert_int_equal(loom_chardev_pending(f->s->cd), 2);
    wr(f, CR, CR_EN);
    assert_int_equal(rd(f, DR), 'x');
    assert_int_equal(rd(f, DR), 'y');
    assert_int_equal(rd(f, FR) & FR_RXFE, FR_RXFE);
}

static void test_pl011_rx_without_fifo_holds_one_character(void **state)
{
    fx *f = *state;
    wr(f, CR, CR_EN);
    inject(f, "xyz");
    assert_int_equal(rd(f, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
    assert_int_equal(loom_chardev_pending(f->s->cd), 2);
    assert_int_equal(rd(f, DR), 'x');
    assert_int_equal(rd(f, FR) & FR_RXFF, FR_RXFF); /* y moved in */
    assert_int_equal(rd(f, DR), 'y');
    assert_int_equal(rd(f, DR), 'z');
    assert_int_equal(rd(f, FR) & (FR_RXFF | FR_RXFE), FR_RXFE);
}

static void test_pl011_rx_fifo_sets_rxff_when_full(void **state)
{
    fx *f = *state;
    char in[41];
    for (int i = 0; i < 40; i++) in[i] = (char)('0' + i);
    in[40] = '\0';
    wr(f, LCR_H, LCRH_FEN | 0x60);
    wr(f, CR, CR_EN);
    inject(f, in);
    assert_int_equal(rd(f, FR) & (FR_RXFF | FR_RXFE), FR_RXFF);
    assert_int_equal(loom_chardev_pending(f->s->cd), 40 - PL011_FIFO_DEPTH);
    /* Nothing was lost: every character comes out, in order, no overrun. */
    for (int i = 0; i < 40; i++) {
        assert_int_equal(rd(f, DR), (uint32_t)in[i]);
        if (i == 0) assert_int_equal(rd(f, FR) & FR_RXFF, FR_RXFF); /* refilled */
    }
    assert_int_equal(rd(f, FR) & (FR_RXFF | FR_RXFE), FR_RXFE);
    assert_int_equal(rd(f, RIS) & I_OE, 0);
    assert_int_equal(rd(f, RSR), 0);
}

static void test_pl011_rx_interrupt_follows_the_trigger_level(void **state)
{
    fx *f = *state;
    wr(f, LCR_H, LCRH_FEN);
    wr(f, CR, CR_EN);
    wr(f, IFLS, 1 << 3); /* RX at 1/4 full: 8 characters */
    wr(f, IMSC, I_RX);
    inject(f, "1234567");
    assert_int_equal(rd(f, RIS) & I_RX, 0);
    assert_false(f->irq);
    inject(f, "8");
    assert_int_equal(rd(f, RIS) & I_RX, I_RX);
    assert_int_equal(rd(f, MIS), I_RX);
    assert_true(f->irq);
    /* Reading below the level clears it (TRM: UARTRXINTR). */
    assert_int_equal(rd(f, DR), '1');
    assert_int_equal(rd(f, RIS) & I_RX, 0);
    assert_false(f->irq);
}

static void test_pl011_rx_timeout_interrupt_lasts_until_the_fifo_is_empty(void **state)
{
    fx *f = *state;
    wr(f, LCR_H, LCRH_FEN);
    wr(f, CR, CR_EN);
    wr(f, IMSC, I_RT);
    inject(f, "abc");
    assert_int_equal(rd(f, MIS), I_RT);
    assert_true(f->irq);
    rd(f, DR);
    rd(f, DR);
    assert_true(f->irq);
    rd(f, DR);
    assert_int_equal(rd(f, RIS) & I_RT, 0);
    assert_false(f->irq);
}

static void test_pl011_icr_clears_and_imsc_masks_interrupts(void **state)
{
    fx *f = *state;
    wr(f, CR, CR_EN);
    /* An enabled, empty transmit FIFO is at its trigger level. */
    assert_int_equal(rd(f, RIS) & I_TX, I_TX);
    assert_false(f->irq); /* masked */
    wr(f, IMSC, I_TX);
    assert_true(f->irq);
    assert_int_equal(rd(f, MIS), I_TX);
    wr(f, IMSC, 0);
    assert_false(f->irq);
    assert_int_equal(rd(f, RIS) & I_TX, I_TX);
    wr(f, IMSC, I_TX);
    wr(f, ICR, I_TX);
    assert_false(f->irq);
    assert_int_equal(rd(f, RIS) & I_TX, 0);
    /* The next character drains through the level again. */
    wr(f, DR, 'x');
    assert_true(f->irq);
    /* ICR clears RX even above the trigger level; MIS follows RIS & IMSC. */
    wr(f, IMSC, I_RX | I_RT);
    wr(f, ICR, 0x7ff);
    inject(f, "q");
    assert_int_equal(rd(f, MIS), I_RX); /* character mode: one character triggers */
    wr(f, ICR, I_RX);
    assert_int_equal(rd(f, MIS), 0);
    assert_false(f->irq);
    assert_int_equal(rd(f, DR), 'q');
}

static void test_pl011_loopback_overrun_sets_oe_and_ecr_clears_it(void **state)
{
    fx *f = *state;
    char out[8];
    wr(f, CR, CR_EN | CR_LBE);
    wr(f, IMSC, I_OE);
    wr(f, DR, 'a');
    assert_int_equal(output(f, out, sizeof out), 0); /* looped back, not sent */
    wr(f, DR, 'b');                                  /* holding register full: lost */
    assert_int_equal(rd(f, RIS) & I_OE, I_OE);
    assert_true(f->irq);
    assert_int_equal(rd(f, RSR) & 0x8, 0x8);
    assert_int_equal(rd(f, DR), 'a');
    wr(f, DR, 'c');
    assert_int_equal(rd(f, DR), 0x800 | 'c'); /* the first character after the loss */
    wr(f, RSR, 0);                            /* UARTECR */
    assert_int_equal(rd(f, RSR), 0);
    wr(f, ICR, I_OE);
    assert_false(f->irq);
    /* Host input waits while the receiver listens to itself. */
    inject(f, "h");
    assert_int_equal(rd(f, FR) & FR_RXFE, FR_RXFE);
    wr(f, CR, CR_EN);
    assert_int_equal(rd(f, DR), 'h');
}

static void test_pl011_reset_empties_the_fifo_and_lowers_the_irq(void **state)
{
    fx *f = *state;
    wr(f, CR, CR_EN);
    wr(f, IMSC, I_RX | I_TX);
    inject(f, "z");
    assert_true(f->irq);
    loom_inst_reset(f->inst);
    assert_false(f->irq);
    assert_int_equal(rd(f, FR), FR_TXFE | FR_RXFE);
    assert_int_equal(rd(f, CR), 0x300);
    assert_int_equal(rd(f, IMSC), 0);
}

/* ---- Save and restore ----------------------------------------------------------- */

/* The same accesses on both copies must give the same answers. */
static void same_future(fx *a, fx *b)
{
    static const uint32_t regs[] = {FR, RSR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS, MIS, DMACR};
    for (int step = 0; step < 30; step++) {
        for (size_t i = 0; i < sizeof regs / sizeof *regs; i++)
            assert_int_equal(rd(a, regs[i]), rd(b, regs[i]));
        assert_int_equal(a->irq, b->irq);
        assert_int_equal(rd(a, DR), rd(b, DR));
        if (step == 10) {
            inject(a, "later");
            inject(b, "later");
        }
        if (step == 12) {
            wr(a, ICR, I_RT);
            wr(b, ICR, I_RT);
        }
        wr(a, DR, 'A' + step);
        wr(b, DR, 'A' + step);
    }
    char oa[128], ob[128];
    size_t la = output(a, oa, sizeof oa), lb = output(b, ob, sizeof ob);
    /* b was built fresh, so its output is only what came after the restore. */
    assert_true(la >= lb);
    assert_string_equal(oa + (la - lb), ob);
}

static void test_pl011_save_restore_continues_identically(void **state)
{
    fx *a = *state;
    wr(a, IBRD, 13);
    wr(a, FBRD, 1);
    wr(a, LCR_H, LCRH_FEN | 0x60);
    wr(a, IFLS, 2 << 3);
    wr(a, CR, CR_EN);
    wr(a, IMSC, I_RX | I_RT | I_TX);
    inject(a, "0123456789abcdefghijklmnopqrstuvwxyz"); /* 36: FIFO full, 4 wait */
    rd(a, DR);
    rd(a, DR);
    wr(a, DR, '>');

    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);

    fx b;
    fx_build(&b);
    /* The host-side bytes still waiting in a's back end are not device
     * state; hand them over the way a host would. */
    char rest[8];
    size_t n = loom_chardev_read(a->s->cd, rest, sizeof rest);
    loom_chardev_mem_inject(a->s->cd, rest, n);
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(b.sim, &buf), LOOM_OK);
    loom_chardev_mem_inject(b.s->cd, rest, n);
    /* Restoring sets line levels without calling sinks: ours reads its
     * view back, as irq.h asks of every sink. */
    b.irq = loom_irq_level(loom_inst_output(b.inst, "irq", 0));
    assert_int_equal(b.irq, a->irq);
    same_future(a, &b);

    loom_buf_free(&buf);
    loom_sim_free(b.sim);
}

static void test_pl011_bad_chardev_fails_init_with_the_reason(void **state)
{
    loom_sim *sim;
    loom_inst *inst;
    char err[256] = "";
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_inst_create(sim, &loom_model_pl011, "uart9", &inst), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(inst, "chardev", "serial0", err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(inst), LOOM_E_INVAL);
    const char *msg = loom_sim_last_error(sim);
    assert_non_null(strstr(msg, "uart9"));
    assert_non_null(strstr(msg, "accepted forms"));
    loom_sim_free(sim);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pl011_reset_values_follow_the_trm),
        T(test_pl011_id_registers_identify_a_pl011),
        T(test_pl011_config_registers_keep_only_their_defined_bits),
        T(test_pl011_unmapped_offsets_give_an_error_response),
        T(test_pl011_transmit_reaches_the_chardev_when_enabled),
        T(test_pl011_transmit_is_dropped_until_uarten_and_txe),
        T(test_pl011_rx_byte_appears_in_dr_with_clean_flags),
        T(test_pl011_rx_waits_in_the_chardev_until_the_receiver_is_enabled),
        T(test_pl011_rx_without_fifo_holds_one_character),
        T(test_pl011_rx_fifo_sets_rxff_when_full),
        T(test_pl011_rx_interrupt_follows_the_trigger_level),
        T(test_pl011_rx_timeout_interrupt_lasts_until_the_fifo_is_empty),
        T(test_pl011_icr_clears_and_imsc_masks_interrupts),
        T(test_pl011_loopback_overrun_sets_oe_and_ecr_clears_it),
        T(test_pl011_reset_empties_the_fifo_and_lowers_the_irq),
        T(test_pl011_save_restore_continues_identically),
        cmocka_unit_test(test_pl011_bad_chardev_fails_init_with_the_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
