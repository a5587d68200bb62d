/* Unit tests for models/gpio/pl061.c (ARM DDI 0190): address-masked data,
 * directions, output and input pads, edge (one and both), level
 * interrupts, clearing, and save/restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"
#include "model_rig.h"

extern const loom_model_type loom_model_pl061;

#define BASE 0x09030000u
enum { DATA = 0x000, DIR = 0x400, IS = 0x404, IBE = 0x408, IEV = 0x40C, IE = 0x410, RIS = 0x414, MIS = 0x418,
       IC = 0x41C };

typedef struct board {
    loom_sim *sim;
    loom_inst *gpio;
    loom_irq *pad[8];
    bool out[8], irq;
} board;

static void on_out(void *opaque, unsigned n, bool level) { ((board *)opaque)->out[n] = level; }
static void on_irq(void *opaque, unsigned n, bool level) { ((board *)opaque)->irq = level; }

static board *board_new(void)
{
    board *b = calloc(1, sizeof *b);
    assert_non_null(b);
    assert_int_equal(loom_sim_new(&b->sim), LOOM_OK);
    assert_int_equal(loom_inst_create(b->sim, &loom_model_pl061, "gpio", &b->gpio), LOOM_OK);
    assert_int_equal(loom_inst_init(b->gpio), LOOM_OK);
    for (unsigned k = 0; k < 8; k++) {
        char name[16];
        snprintf(name, sizeof name, "pad%u", k);
        assert_int_equal(loom_irq_new(b->sim, name, &b->pad[k]), LOOM_OK);
        assert_int_equal(loom_inst_connect_input(b->gpio, "in", k, b->pad[k]), LOOM_OK);
    }
    assert_int_equal(loom_inst_realize(b->gpio), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(b->sim), loom_inst_region(b->gpio, 0, NULL), BASE, 0, NULL), LOOM_OK);
    for (unsigned k = 0; k < 8; k++)
        assert_int_equal(loom_irq_connect(loom_inst_output(b->gpio, "out", k), on_out, b, k), LOOM_OK);
    assert_int_equal(loom_irq_connect(loom_inst_output(b->gpio, "irq", 0), on_irq, b, 0), LOOM_OK);
    loom_sim_reset(b->sim);
    return b;
}

static void board_free(board *b)
{
    loom_sim_free(b->sim);
    free(b);
}

static void wr(board *b, uint32_t off, uint32_t v) { rig_wr32(b->sim, BASE + off, v); }
static uint32_t rd(board *b, uint32_t off) { return rig_rd32(b->sim, BASE + off); }

/* GPIODATA with pins `mask` selected by the address. */
static uint32_t data_at(uint32_t mask) { return DATA + (mask << 2); }

static void test_pl061_data_directions_and_pads(void **state)
{
    board *b = board_new();
    /* Pins 0-3 outputs. A write changes only the pins its address
     * selects; a read shows only those. */
    wr(b, DIR, 0x0F);
    wr(b, data_at(0xFF), 0x05);
    assert_true(b->out[0] && !b->out[1] && b->out[2] && !b->out[3]);
    wr(b, data_at(0x03), 0xFF); /* pins 0 and 1 only */
    assert_true(b->out[0] && b->out[1] && b->out[2] && !b->out[3]);
    assert_int_equal(rd(b, data_at(0xFF)), 0x07);
    assert_int_equal(rd(b, data_at(0x02)), 0x02);
    assert_int_equal(rd(b, data_at(0x00)), 0x00);
    /* Input pins read their pads; writes to them do not drive. */
    loom_irq_raise(b->pad[6]);
    wr(b, data_at(0xF0), 0xF0);
    assert_false(b->out[4] || b->out[5] || b->out[6] || b->out[7]);
    assert_int_equal(rd(b, data_at(0xF0)), 0x40);
    /* Made an output, a pin drives its (written) data bit. */
    wr(b, DIR, 0x1F);
    assert_true(b->out[4]);
    assert_int_equal(rd(b, data_at(0x10)), 0x10);
    /* The ID. */
    assert_int_equal(rd(b, 0xFE0), 0x61);
    assert_int_equal(rd(b, 0xFE4), 0x10);
    board_free(b);
}

static void test_pl061_edge_and_level_interrupts(void **state)
{
    board *b = board_new();
    /* Pin 0 rising edge, pin 1 falling edge, pin 2 both edges, pin 3 high
     * level, pin 4 low level. */
    wr(b, IS, 0x18);
    wr(b, IBE, 0x04);
    wr(b, IEV, 0x09);
    assert_int_equal(rd(b, RIS), 0x10); /* pin 4's pad is low */
    wr(b, IE, 0x1F);
    assert_true(b->irq);
    loom_irq_raise(b->pad[4]);
    assert_int_equal(rd(b, RIS), 0);
    assert_false(b->irq);

    loom_irq_raise(b->pad[0]);
    assert_int_equal(rd(b, RIS), 0x01);
    assert_true(b->irq);
    loom_irq_lower(b->pad[0]); /* a falling edge on a rising-edge pin */
    assert_int_equal(rd(b, RIS), 0x01);
    wr(b, IC, 0x01);
    assert_int_equal(rd(b, RIS), 0);
    assert_false(b->irq);

    loom_irq_raise(b->pad[1]);
    assert_int_equal(rd(b, RIS), 0);
    loom_irq_lower(b->pad[1]);
    assert_int_equal(rd(b, RIS), 0x02);
    wr(b, IC, 0x02);

    loom_irq_raise(b->pad[2]);
    assert_int_equal(rd(b, RIS), 0x04);
    wr(b, IC, 0x04);
    loom_irq_lower(b->pad[2]);
    assert_int_equal(rd(b, RIS), 0x04);
    wr(b, IC, 0x04);

    /* A level interrupt lasts while its level does; GPIOIC does not clear
     * it. */
    loom_irq_raise(b->pad[3]);
    assert_int_equal(rd(b, RIS), 0x08);
    wr(b, IC, 0x08);
    assert_int_equal(rd(b, RIS), 0x08);
    /* Masked: raw only. */
    wr(b, IE, 0x17);
    assert_int_equal(rd(b, MIS), 0);
    assert_false(b->irq);
    wr(b, IE, 0x1F);
    assert_int_equal(rd(b, MIS), 0x08);
    loom_irq_lower(b->pad[3]);
    assert_int_equal(rd(b, RIS), 0);
    assert_false(b->irq);
    /* An output pin's own edges count too. */
    wr(b, DIR, 0x01);
    wr(b, data_at(0x01), 1);
    assert_int_equal(rd(b, RIS), 0x01);
    board_free(b);
}

static void test_pl061_save_restore(void **state)
{
    board *a = board_new();
    wr(a, DIR, 0x0F);
    wr(a, data_at(0xFF), 0x0A);
    wr(a, IE, 0xF0);
    wr(a, IEV, 0x20); /* pin 5: rising edge */
    loom_irq_raise(a->pad[5]);
    assert_int_equal(rd(a, RIS), 0x20);
    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    board *b = board_new();
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(b->sim, &buf), LOOM_OK);
    loom_buf_free(&buf);
    const uint32_t regs[] = {data_at(0xFF), DIR, IS, IBE, IEV, IE, RIS, MIS};
    for (size_t k = 0; k < sizeof regs / sizeof *regs; k++) assert_int_equal(rd(a, regs[k]), rd(b, regs[k]));
    board_free(a);
    board_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pl061_data_directions_and_pads),
        cmocka_unit_test(test_pl061_edge_and_level_interrupts),
        cmocka_unit_test(test_pl061_save_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
