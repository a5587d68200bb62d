/* Unit tests for models/uart/ns16550a.c, checked against the PC16550D
 * datasheet: registers through the memory and port-I/O spaces, the
 * character back end through the "mem" chardev. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"
#include "../../models/uart/ns16550a.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5,
       MSR = 6, SCR = 7 };
enum { LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40 };
enum { IER_RDA = 1, IER_THRE = 2, IER_RLS = 4, IER_MS = 8 };

typedef struct fx {
    loom_sim *sim;
    loom_inst *inst;
    ns16550a_state *s;
    loom_bus *bus;
    uint64_t base;
    unsigned shift, width;
    bool irq;
} fx;

static void irq_sink(void *opaque, unsigned n, bool level)
{
    ((fx *)opaque)->irq = level;
}

/* Build a UART with the given spacing and width, mapped at base on the
 * memory space or, with io set, on the port-I/O space. */
static loom_err fx_build(fx *f, unsigned shift, unsigned width, bool io, uint64_t base)
{
    char err[256] = "", text[16];
    memset(f, 0, sizeof *f);
    f->shift = shift;
    f->width = width;
    f->base = base;
    assert_int_equal(loom_sim_new(&f->sim), LOOM_OK);
    assert_int_equal(loom_inst_create(f->sim, &loom_model_ns16550a, "com1", &f->inst), LOOM_OK);
    assert_int_equal(loom_inst_set_prop(f->inst, "chardev", "mem", err, sizeof err), LOOM_OK);
    snprintf(text, sizeof text, "%u", shift);
    assert_int_equal(loom_inst_set_prop(f->inst, "reg-shift", text, err, sizeof err), LOOM_OK);
    snprintf(text, sizeof text, "%u", width);
    assert_int_equal(loom_inst_set_prop(f->inst, "reg-io-width", text, err, sizeof err), LOOM_OK);
    loom_err e = loom_inst_init(f->inst);
    if (e) return e;
    assert_int_equal(loom_inst_realize(f->inst), LOOM_OK);
    f->s = loom_inst_state(f->inst);
    f->bus = io ? loom_sim_io(f->sim) : loom_sim_memory(f->sim);
    loom_region *r = loom_inst_find_region(f->inst, "regs");
    assert_non_null(r);
    assert_int_equal(loom_region_size(r), 8u << shift);
    assert_int_equal(loom_bus_map(f->bus, r, base, 0, NULL), LOOM_OK);
    assert_int_equal(loom_irq_connect(loom_inst_output(f->inst, "irq", 0), irq_sink, f, 0), LOOM_OK);
    return LOOM_OK;
}

static int setup(void **state)
{
    fx *f = malloc(sizeof *f);
    assert_int_equal(fx_build(f, 0, 1, false, 0x10000000), LOOM_OK);
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

static uint32_t rd(fx *f, unsigned reg)
{
    uint8_t b[4] = {0};
    assert_int_equal(loom_bus_read(f->bus, f->base + (reg << f->shift), b, f->width), LOOM_OK);
    return (uint32_t)loom_get_le(b, f->width);
}

static void wr(fx *f, unsigned reg, uint32_t v)
{
    uint8_t b[4];
    loom_put_le(b, f->width, v);
    assert_int_equal(loom_bus_write(f->bus, f->base + (reg << f->shift), b, f->width), LOOM_OK);
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

/* ---- Registers ------------------------------------------------------------ */

static void test_ns16550a_reset_values_follow_the_datasheet(void **state)
{
    fx *f = *state;
    assert_int_equal(rd(f, IER), 0);
    assert_int_equal(rd(f, IIR), 0x01);
    assert_int_equal(rd(f, LCR), 0);
    assert_int_equal(rd(f, MCR), 0);
    assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
    assert_int_equal(rd(f, MSR), 0xb0); /* DCD, DSR, CTS: a host end that is ready */
    assert_int_equal(rd(f, SCR), 0);
    assert_false(f->irq);
}

static void test_ns16550a_dlab_switches_to_the_divisor_latch(void **state)
{
    fx *f = *state;
    char out[8];
    wr(f, IER, IER_RDA);
    wr(f, LCR, 0x83);
    wr(f, DLL, 0x0c);
    wr(f, DLM, 0x01);
    assert_int_equal(rd(f, DLL), 0x0c);
    assert_int_equal(rd(f, DLM), 0x01);
    assert_int_equal(output(f, out, sizeof out), 0); /* the DLL write sent nothing */
    wr(f, LCR, 0x03);
    assert_int_equal(rd(f, IER), IER_RDA);
    assert_int_equal(rd(f, LCR), 0x03);
    wr(f, LCR, 0x83);
    assert_int_equal(rd(f, DLL), 0x0c);
}

static void test_ns16550a_scratch_register_keeps_a_byte(void **state)
{
    fx *f = *state;
    wr(f, SCR, 0xa5);
    assert_int_equal(rd(f, SCR), 0xa5);
    wr(f, SCR, 0x5a);
    assert_int_equal(rd(f, SCR), 0x5a);
}

/* ---- Data ----------------------------------------------------------------- */

static void test_ns16550a_transmit_reaches_the_chardev(void **state)
{
    fx *f = *state;
    char out[16];
    wr(f, THR, 'o');
    wr(f, THR, 'k');
    assert_int_equal(output(f, out, sizeof out), 2);
    assert_string_equal(out, "ok");
    assert_int_equal(rd(f, LSR) & (LSR_THRE | LSR_TEMT), LSR_THRE | LSR_TEMT);
}

static void test_ns16550a_rx_byte_sets_data_ready_until_read(void **state)
{
    fx *f = *state;
    inject(f, "Z");
    assert_int_equal(rd(f, LSR) & LSR_DR, LSR_DR);
    assert_int_equal(rd(f, RBR), 'Z');
    assert_int_equal(rd(f, LSR) & LSR_DR, 0);
}

static void test_ns16550a_without_fifo_holds_one_character_and_loses_none(void **state)
{
    fx *f = *state;
    inject(f, "abc");
    assert_int_equal(loom_chardev_pending(f->s->cd), 2);
    assert_int_equal(rd(f, RBR), 'a');
    assert_int_equal(rd(f, RBR), 'b');
    assert_int_equal(rd(f, RBR), 'c');
    assert_int_equal(rd(f, LSR) & (LSR_DR | LSR_OE), 0);
}

static void test_ns16550a_fifo_holds_sixteen_and_loses_none(void **state)
{
    fx *f = *state;
    char in[21];
    for (int i = 0; i < 20; i++) in[i] = (char)('A' + i);
    in[20] = '\0';
    wr(f, FCR, 0x07); /* enable and reset both FIFOs */
    assert_int_equal(rd(f, IIR) & 0xc0, 0xc0);
    inject(f, in);
    assert_int_equal(loom_chardev_pending(f->s->cd), 20 - NS16550A_FIFO_DEPTH);
    for (int i = 0; i < 20; i++) assert_int_equal(rd(f, RBR), (uint32_t)in[i]);
    assert_int_equal(rd(f, LSR) & (LSR_DR | LSR_OE), 0);
}

static void test_ns16550a_fcr_resets_and_mode_switch_empty_the_rx_fifo(void **state)
{
    fx *f = *state;
    wr(f, FCR, 0x01);
    inject(f, "123");
    wr(f, FCR, 0x03); /* RX FIFO reset */
    assert_int_equal(rd(f, LSR) & LSR_DR, 0);
    inject(f, "45");
    wr(f, FCR, 0x00); /* FIFOs off: both emptied */
    assert_int_equal(rd(f, LSR) & LSR_DR, 0);
    assert_int_equal(rd(f, IIR) & 0xc0, 0);
}

/* ---- Interrupts --------------------------------------------------------------- */

static void test_ns16550a_rx_interrupt_follows_the_trigger_level(void **state)
{
    fx *f = *state;
    wr(f, FCR, 0x81); /* trigger at 8 */
    wr(f, IER, IER_RDA);
    assert_false(f->irq);
    inject(f, "1234567");
    assert_int_equal(rd(f, IIR), 0xcc); /* below the level: character timeout */
    assert_true(f->irq);
    inject(f, "8");
    assert_int_equal(rd(f, IIR), 0xc4); /* received data available */
    rd(f, RBR);
    assert_int_equal(rd(f, IIR), 0xcc);
    for (int i = 0; i < 7; i++) rd(f, RBR);
    assert_int_equal(rd(f, IIR), 0xc1);
    assert_false(f->irq);
}

static void test_ns16550a_thre_interrupt_clears_on_iir_read_and_returns_on_write(void **state)
{
    fx *f = *state;
    wr(f, IER, IER_THRE); /* enabling it with THR empty interrupts at once */
    assert_true(f->irq);
    assert_int_equal(rd(f, IIR), 0x02);
    assert_false(f->irq);
    assert_int_equal(rd(f, IIR), 0x01);
    wr(f, THR, '.');
    assert_true(f->irq);
    wr(f, IER, 0); /* masked */
    assert_false(f->irq);
}

static void test_ns16550a_interrupt_priority_puts_line_status_first(void **state)
{
    fx *f = *state;
    wr(f, MCR, 0x10); /* loopback */
    wr(f, THR, 'a');
    wr(f, THR, 'b'); /* no FIFO: overwrites 'a', overrun */
    wr(f, IER, IER_RDA | IER_THRE | IER_RLS | IER_MS);
    assert_int_equal(rd(f, IIR), 0x06); /* receiver line status */
    assert_int_equal(rd(f, LSR) & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
    assert_int_equal(rd(f, LSR) & LSR_OE, 0); /* read clears it */
    assert_int_equal(rd(f, IIR), 0x04);       /* then received data */
    assert_int_equal(rd(f, RBR), 'b');
    /* Entering loopback dropped CTS, DSR and DCD: a modem status change,
     * below THR empty in priority. */
    assert_int_equal(rd(f, IIR), 0x02);
    assert_int_equal(rd(f, IIR), 0x00);
    assert_int_equal(rd(f, MSR), 0x0b); /* DDCD, DDSR, DCTS; inputs all low */
    assert_int_equal(rd(f, IIR), 0x01);
    assert_false(f->irq);
}

static void test_ns16550a_loopback_routes_tx_and_modem_lines(void **state)
{
    fx *f = *state;
    char out[8];
    wr(f, MCR, 0x10);
    rd(f, MSR); /* forget the deltas of entering loopback */
    wr(f, IER, IER_MS);
    wr(f, THR, 'z');
    assert_int_equal(output(f, out, sizeof out), 0);
    assert_int_equal(rd(f, RBR), 'z');
    wr(f, MCR, 0x1f); /* DTR, RTS, OUT1, OUT2 drive DSR, CTS, RI, DCD */
    assert_true(f->irq);
    assert_int_equal(rd(f, MSR), 0xf0 | 0x0b);
    assert_false(f->irq);
    wr(f, MCR, 0x1b); /* OUT1 off: RI trailing edge */
    assert_int_equal(rd(f, MSR), 0xb0 | 0x04);
    /* Host input waits during loopback and arrives after it. */
    inject(f, "h");
    assert_int_equal(rd(f, LSR) & LSR_DR, 0);
    wr(f, MCR, 0x00);
    assert_int_equal(rd(f, RBR), 'h');
}

/* ---- Bus layout --------------------------------------------------------------- */

static void test_ns16550a_reg_shift_and_width_space_the_registers(void **state)
{
    fx f;
    assert_int_equal(fx_build(&f, 2, 4, false, 0x1c090000), LOOM_OK);
    wr(&f, SCR, 0x12345677); /* a 32-bit register keeps its byte */
    assert_int_equal(rd(&f, SCR), 0x77);
    wr(&f, THR, 'w');
    char out[4];
    assert_int_equal(output(&f, out, sizeof out), 1);
    assert_int_equal(rd(&f, LSR), LSR_THRE | LSR_TEMT);
    /* A byte access to the low byte works too. */
    uint8_t b = 0;
    assert_int_equal(loom_bus_read(f.bus, f.base + (LSR << 2), &b, 1), LOOM_OK);
    assert_int_equal(b, LSR_THRE | LSR_TEMT);
    /* The region ends after eight registers. */
    assert_int_not_equal(loom_bus_read(f.bus, f.base + 0x20, &b, 1), LOOM_OK);
    loom_sim_free(f.sim);
}

static void test_ns16550a_byte_registers_leave_gaps_that_give_an_error_response(void **state)
{
    fx f;
    assert_int_equal(fx_build(&f, 2, 1, false, 0x10000000), LOOM_OK);
    uint8_t b[4] = {0};
    loom_txn t = {.addr = f.base + 1, .data = b, .len = 1, .cmd = LOOM_READ};
    loom_bus_transport(f.bus, &t);
    assert_int_equal(t.resp, LOOM_RESP_ADDRESS_ERROR);
    /* A 32-bit access to an 8-bit register reaches the gap after it. */
    assert_int_not_equal(loom_bus_read(f.bus, f.base + (SCR << 2), b, 4), LOOM_OK);
    wr(&f, SCR, 0x42);
    assert_int_equal(rd(&f, SCR), 0x42);
    loom_sim_free(f.sim);
}

static void test_ns16550a_works_in_the_port_io_space(void **state)
{
    fx f;
    assert_int_equal(fx_build(&f, 0, 1, true, 0x3f8), LOOM_OK);
    wr(&f, LCR, 0x03);
    wr(&f, THR, 'p');
    char out[4];
    assert_int_equal(output(&f, out, sizeof out), 1);
    assert_string_equal(out, "p");
    inject(&f, "q");
    uint8_t lsr = 0;
    assert_int_equal(loom_bus_read(loom_sim_io(f.sim), 0x3fd, &lsr, 1), LOOM_OK);
    assert_int_equal(lsr & LSR_DR, LSR_DR);
    assert_int_equal(rd(&f, RBR), 'q');
    loom_sim_free(f.sim);
}

static void test_ns16550a_rejects_a_width_the_spacing_cannot_hold(void **state)
{
    fx f;
    assert_int_equal(fx_build(&f, 0, 4, false, 0), LOOM_E_CONFIG);
    assert_non_null(strstr(loom_sim_last_error(f.sim), "reg-io-width"));
    loom_sim_free(f.sim);
    assert_int_equal(fx_build(&f, 2, 2, false, 0), LOOM_E_CONFIG);
    assert_non_null(strstr(loom_sim_last_error(f.sim), "1 or 4"));
    loom_sim_free(f.sim);
}

/* ---- Save and restore ------------------------------------------------------------ */

static void same_future(fx *a, fx *b)
{
    for (int step = 0; step < 24; step++) {
        for (unsigned r = 1; r < 8; r++) assert_int_equal(rd(a, r), rd(b, r));
        assert_int_equal(a->irq, b->irq);
        assert_int_equal(rd(a, RBR), rd(b, RBR));
        if (step == 8) {
            inject(a, "more");
            inject(b, "more");
        }
        wr(a, THR, 'a' + step);
        wr(b, THR, 'a' + step);
    }
    char oa[128], ob[128];
    size_t la = output(a, oa, sizeof oa), lb = output(b, ob, sizeof ob);
    assert_true(la >= lb);
    assert_string_equal(oa + (la - lb), ob);
}

static void test_ns16550a_save_restore_continues_identically(void **state)
{
    fx *a = *state;
    wr(a, LCR, 0x83);
    wr(a, DLL, 1);
    wr(a, LCR, 0x03);
    wr(a, FCR, 0x41); /* trigger at 4 */
    wr(a, IER, IER_RDA | IER_THRE | IER_RLS);
    wr(a, SCR, 0x99);
    inject(a, "The quick brown fox"); /* 16 in the FIFO, 3 wait */
    rd(a, RBR);
    wr(a, THR, '>');

    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    fx b;
    assert_int_equal(fx_build(&b, 0, 1, false, a->base), LOOM_OK);
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

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ns16550a_reset_values_follow_the_datasheet),
        T(test_ns16550a_dlab_switches_to_the_divisor_latch),
        T(test_ns16550a_scratch_register_keeps_a_byte),
        T(test_ns16550a_transmit_reaches_the_chardev),
        T(test_ns16550a_rx_byte_sets_data_ready_until_read),
        T(test_ns16550a_without_fifo_holds_one_character_and_loses_none),
        T(test_ns16550a_fifo_holds_sixteen_and_loses_none),
        T(test_ns16550a_fcr_resets_and_mode_switch_empty_the_rx_fifo),
        T(test_ns16550a_rx_interrupt_follows_the_trigger_level),
        T(test_ns16550a_thre_interrupt_clears_on_iir_read_and_returns_on_write),
        T(test_ns16550a_interrupt_priority_puts_line_status_first),
        T(test_ns16550a_loopback_routes_tx_and_modem_lines),
        T(test_ns16550a_save_restore_continues_identically),
        cmocka_unit_test(test_ns16550a_reg_shift_and_width_space_the_registers),
        cmocka_unit_test(test_ns16550a_byte_registers_leave_gaps_that_give_an_error_response),
        cmocka_unit_test(test_ns16550a_works_in_the_port_io_space),
        cmocka_unit_test(test_ns16550a_rejects_a_width_the_spacing_cannot_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
