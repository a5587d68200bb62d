/* Unit tests for core/regs.c: a fake device described by a register table
 * (fields, hooks, arrays with a stride, read-only and write-only
 * registers, 8- to 64-bit registers) served in little- and big-endian
 * maps, with and without narrow accesses. Expectations come from
 * include/loom/model.h ("Register tables") and DESIGN.md ("Endianness"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"

typedef struct dev {
    uint32_t ctrl, status, key, byte, half, lo, hi;
    uint32_t arr[4];
    uint64_t wide;
    /* Hook bookkeeping. */
    unsigned fifo_reads, fifo_writes;
    uint64_t fifo_last;
    unsigned ch_idx[8];
    uint64_t ch_val[8];
    unsigned ch_writes;
    unsigned ch_reads;
    uint32_t cnt; /* a field behind hooks: hooks and debug see the same value */
} dev;

static uint64_t fifo_read(void *d, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    dev *s = d;
    s->fifo_reads++;
    return 0x100 + s->fifo_reads;
}

static void fifo_write(void *d, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    dev *s = d;
    s->fifo_writes++;
    s->fifo_last = v;
}

static uint64_t ch_read(void *d, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    dev *s = d;
    s->ch_reads++;
    return 0xc0de0000u | idx;
}

static void ch_write(void *d, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    dev *s = d;
    if (s->ch_writes < 8) {
        s->ch_idx[s->ch_writes] = idx;
        s->ch_val[s->ch_writes] = v;
    }
    s->ch_writes++;
}

/* A counter that counts its reads; the hook returns a value wider than the
 * register to show the framework masks it. */
static uint64_t cnt_read(void *d, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    dev *s = d;
    return 0xffffff00u | ++s->cnt;
}

#define F(m) offsetof(dev, m)
#define NOF LOOM_REG_NOFIELD

static const loom_reg regs[] = {
    /* name    offset bits reset                  access   read       write       field    count stride */
    {"CTRL",   0x00, 32, 0x00000001,              LOOM_RW, NULL,      NULL,       F(ctrl),   0, 0},
    {"STATUS", 0x04, 32, 0x000000a5,              LOOM_RO, NULL,      NULL,       F(status), 0, 0},
    {"KEY",    0x08, 32, 0,                       LOOM_WO, NULL,      NULL,       F(key),    0, 0},
    {"FIFO",   0x0c, 32, 0x0000beef,              LOOM_RW, fifo_read, fifo_write, NOF,       0, 0},
    {"BYTE",   0x10, 8,  0x5a,                    LOOM_RW, NULL,      NULL,       F(byte),   0, 0},
    {"HALF",   0x12, 16, 0x1234,                  LOOM_RW, NULL,      NULL,       F(half),   0, 0},
    {"CNT",    0x14, 8,  0,                       LOOM_RO, cnt_read,  NULL,       F(cnt),    0, 0},
    {"ARR",    0x20, 32, 0xa0,                    LOOM_RW, NULL,      NULL,       F(arr),    4, 8},
    {"WIDE",   0x40, 64, 0x1122334455667788ull,   LOOM_RW, NULL,      NULL,       F(wide),   0, 0},
    {"LO",     0x50, 32, 0x55550000,              LOOM_RW, NULL,      NULL,       F(lo),     0, 0},
    {"HI",     0x54, 32, 0xaaaa0000,              LOOM_RW, NULL,      NULL,       F(hi),     0, 0},
    {"ID",     0x60, 32, 0x00c0ffee,              LOOM_RO, NULL,      NULL,       NOF,       0, 0},
    {"CH",     0x80, 32, 0,                       LOOM_RW, ch_read,   ch_write,   NOF,       3, 0x10},
};

static const loom_regmap le_map = {"fake", regs, sizeof regs / sizeof *regs, LOOM_LITTLE, false};
static const loom_regmap be_map = {"fake", regs, sizeof regs / sizeof *regs, LOOM_BIG, false};
static const loom_regmap le_narrow = {"fake", regs, sizeof regs / sizeof *regs, LOOM_LITTLE, true};
static const loom_regmap be_narrow = {"fake", regs, sizeof regs / sizeof *regs, LOOM_BIG, true};

static loom_resp reg_access(const loom_regmap *map, dev *d, loom_cmd cmd, uint64_t off, uint8_t *buf,
                        uint32_t len)
{
    loom_txn t = {.addr = off, .data = buf, .len = len, .cmd = cmd, .resp = LOOM_RESP_GENERIC_ERROR};
    loom_regs_access(map, d, NULL, &t);
    return t.resp;
}

/* Read len bytes and return them as a little-endian number (the raw byte
 * order on the bus), so tests can see exactly which byte went where. */
static uint64_t rd(const loom_regmap *map, dev *d, uint64_t off, uint32_t len)
{
    uint8_t b[8] = {0};
    assert_int_equal(reg_access(map, d, LOOM_READ, off, b, len), LOOM_RESP_OK);
    return loom_get_le(b, len);
}

static void wr(const loom_regmap *map, dev *d, uint64_t off, uint32_t len, uint64_t bytes_le)
{
    uint8_t b[8];
    loom_put_le(b, len, bytes_le);
    assert_int_equal(reg_access(map, d, LOOM_WRITE, off, b, len), LOOM_RESP_OK);
}

static int setup(void **state)
{
    dev *d = calloc(1, sizeof *d);
    loom_regs_reset(&le_map, d);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* ---- Values ------------------------------------------------------------------------ */

static void test_regs_reset_writes_every_reset_value_including_arrays(void **state)
{
    dev *d = *state;
    assert_int_equal(d->ctrl, 1);
    assert_int_equal(d->status, 0xa5);
    assert_int_equal(d->byte, 0x5a);
    assert_int_equal(d->half, 0x1234);
    for (int i = 0; i < 4; i++) assert_int_equal(d->arr[i], 0xa0);
    assert_int_equal(d->wide, 0x1122334455667788ull);
    /* Changed fields go back to their reset values. */
    d->ctrl = 7;
    d->arr[3] = 9;
    d->wide = 0;
    loom_regs_reset(&le_map, d);
    assert_int_equal(d->ctrl, 1);
    assert_int_equal(d->arr[3], 0xa0);
    assert_int_equal(d->wide, 0x1122334455667788ull);
    /* Hooked registers without a field are left alone (nothing to write). */
    assert_int_equal(d->fifo_writes, 0);
    assert_int_equal(d->ch_writes, 0);
}

static void test_regs_read_values_of_8_16_32_and_64_bit_registers(void **state)
{
    dev *d = *state;
    assert_int_equal(rd(&le_map, d, 0x00, 4), 1);
    assert_int_equal(rd(&le_map, d, 0x04, 4), 0xa5);
    assert_int_equal(rd(&le_map, d, 0x10, 1), 0x5a);
    assert_int_equal(rd(&le_map, d, 0x12, 2), 0x1234);
    assert_int_equal(rd(&le_map, d, 0x40, 8), 0x1122334455667788ull);
    assert_int_equal(rd(&le_map, d, 0x60, 4), 0xc0ffee); /* a constant: no field */
    wr(&le_map, d, 0x10, 1, 0xa7);
    wr(&le_map, d, 0x12, 2, 0xbeef);
    wr(&le_map, d, 0x40, 8, 0x0102030405060708ull);
    assert_int_equal(d->byte, 0xa7);
    assert_int_equal(d->half, 0xbeef);
    assert_int_equal(d->wide, 0x0102030405060708ull);
    assert_int_equal(rd(&le_map, d, 0x40, 8), 0x0102030405060708ull);
}

static void test_regs_big_endian_map_orders_bytes_most_significant_first(void **state)
{
    dev *d = *state;
    d->ctrl = 0x11223344;
    /* Bytes in address order: 11 22 33 44, read back as little-endian. */
    assert_int_equal(rd(&be_map, d, 0x00, 4), 0x44332211);
    assert_int_equal(rd(&be_map, d, 0x12, 2), 0x3412);
    assert_int_equal(rd(&be_map, d, 0x40, 8), 0x8877665544332211ull);
    uint8_t b[4] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(reg_access(&be_map, d, LOOM_WRITE, 0x00, b, 4), LOOM_RESP_OK);
    assert_int_equal(d->ctrl, 0xdeadbeef);
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x00, b, 4), LOOM_RESP_OK);
    assert_int_equal(d->ctrl, 0xefbeadde);
}

static void test_regs_array_with_stride_addresses_each_element(void **state)
{
    dev *d = *state;
    wr(&le_map, d, 0x20 + 2 * 8, 4, 0x22);
    wr(&le_map, d, 0x20 + 3 * 8, 4, 0x33);
    assert_int_equal(d->arr[0], 0xa0);
    assert_int_equal(d->arr[2], 0x22);
    assert_int_equal(d->arr[3], 0x33);
    assert_int_equal(rd(&le_map, d, 0x30, 4), 0x22);
    /* The gaps between elements and the slot past the last are unmapped. */
    uint8_t b[4];
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x24, b, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x3c, b, 4), LOOM_RESP_ADDRESS_ERROR);
    /* Hooks get the element index. */
    assert_int_equal(rd(&le_map, d, 0xa0, 4), 0xc0de0002);
    wr(&le_map, d, 0x90, 4, 0x77);
    assert_int_equal(d->ch_idx[0], 1);
    assert_int_equal(d->ch_val[0], 0x77);
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0xb0, b, 4), LOOM_RESP_ADDRESS_ERROR);
}

static void test_regs_hooks_see_each_access_and_their_values_are_masked(void **state)
{
    dev *d = *state;
    assert_int_equal(rd(&le_map, d, 0x0c, 4), 0x101);
    assert_int_equal(rd(&le_map, d, 0x0c, 4), 0x102);
    wr(&le_map, d, 0x0c, 4, 0xfeedface);
    assert_int_equal(d->fifo_reads, 2);
    assert_int_equal(d->fifo_writes, 1);
    assert_int_equal(d->fifo_last, 0xfeedface);
    /* An 8-bit register whose hook returns more bits reads only its own. */
    assert_int_equal(rd(&le_map, d, 0x14, 1), 0x01);
    assert_int_equal(rd(&le_map, d, 0x14, 1), 0x02);
}

/* ---- Access rights ----------------------------------------------------------------- */

static void test_regs_write_to_a_read_only_register_is_ignored(void **state)
{
    dev *d = *state;
    uint8_t b[4] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x04, b, 4), LOOM_RESP_OK);
    assert_int_equal(d->status, 0xa5);
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x60, b, 4), LOOM_RESP_OK);
    assert_int_equal(rd(&le_map, d, 0x60, 4), 0xc0ffee);
    /* Read-only with a read hook: the write reaches no hook either. */
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x14, b, 1), LOOM_RESP_OK);
    assert_int_equal(d->cnt, 0);
}

static void test_regs_read_of_a_write_only_register_gives_zero(void **state)
{
    dev *d = *state;
    wr(&le_map, d, 0x08, 4, 0x5ec2e7);
    assert_int_equal(d->key, 0x5ec2e7);
    assert_int_equal(rd(&le_map, d, 0x08, 4), 0);
    assert_int_equal(rd(&be_map, d, 0x08, 4), 0);
    uint8_t b[4] = {1, 2, 3, 4};
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_READ, 0x08, b, 4), LOOM_RESP_OK);
    assert_int_equal(loom_get_le(b, 4), 0);
}

static void test_regs_unmapped_offset_gives_address_error(void **state)
{
    dev *d = *state;
    uint8_t b[8] = {0};
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x18, b, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x70, b, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x1000, b, 4), LOOM_RESP_ADDRESS_ERROR);
    /* Byte 0x11 lies between BYTE and HALF. */
    assert_int_equal(reg_access(&le_narrow, d, LOOM_READ, 0x11, b, 1), LOOM_RESP_ADDRESS_ERROR);
    /* A whole register followed by a hole fails as a whole. */
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x60, b, 8), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_READ, 0x70, b, 4), LOOM_RESP_ADDRESS_ERROR);
}

/* ---- Access sizes ------------------------------------------------------------------ */

static void test_regs_wrong_size_access_is_an_error_unless_narrow_is_allowed(void **state)
{
    dev *d = *state;
    uint8_t b[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* Narrower than the register, at its start or inside it. */
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x00, b, 2), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x01, b, 1), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x00, b, 1), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x40, b, 4), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(d->ctrl, 1);
    assert_int_equal(d->wide, 0x1122334455667788ull);
    /* A hooked register is not touched by a refused access. */
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x0c, b, 2), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(d->fifo_reads, 0);
}

static void test_regs_refused_access_has_no_side_effects(void **state)
{
    dev *d = *state;
    uint8_t b[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* 0x12-0x13 is HALF, 0x14 is CNT (its read hook counts) and 0x15 is
     * nothing: the read fails, and CNT's hook must not have run. */
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x12, b, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(d->cnt, 0);
    /* HI at 0x54, then a hole at 0x58: the write fails and HI keeps its
     * value. */
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x54, b, 8), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(d->hi, 0xaaaa0000);
    /* A whole register followed by a register the access only covers in
     * part: refused without narrow accesses, before the first is written. */
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x00, b, 6), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(d->ctrl, 1);
    assert_int_equal(d->status, 0xa5);
    /* FIFO (hooked, 4 bytes), BYTE (1 byte), then the hole at 0x11. */
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x0c, b, 6), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(d->fifo_reads, 0);
    assert_int_equal(reg_access(&le_map, d, LOOM_WRITE, 0x0c, b, 6), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(d->fifo_writes, 0);
    assert_int_equal(d->byte, 0x5a);
}

static void test_regs_narrow_accesses_read_and_merge_part_of_a_register(void **state)
{
    dev *d = *state;
    d->ctrl = 0x12345678;
    /* Little-endian: byte 0 is the least significant. */
    assert_int_equal(rd(&le_narrow, d, 0x00, 1), 0x78);
    assert_int_equal(rd(&le_narrow, d, 0x01, 1), 0x56);
    assert_int_equal(rd(&le_narrow, d, 0x02, 2), 0x1234);
    wr(&le_narrow, d, 0x02, 1, 0xab);
    assert_int_equal(d->ctrl, 0x12ab5678);
    /* Big-endian: byte 0 is the most significant. */
    assert_int_equal(rd(&be_narrow, d, 0x00, 1), 0x12);
    assert_int_equal(rd(&be_narrow, d, 0x03, 1), 0x78);
    wr(&be_narrow, d, 0x00, 1, 0xcd);
    assert_int_equal(d->ctrl, 0xcdab5678);
    /* Part of a 64-bit register. */
    assert_int_equal(rd(&le_narrow, d, 0x44, 4), 0x11223344);
    wr(&le_narrow, d, 0x40, 2, 0xffff);
    assert_int_equal(d->wide, 0x112233445566ffffull);
    /* A narrow write to a hooked register hands the hook the merged value
     * (the rest from the reset value, since it has no field). */
    wr(&le_narrow, d, 0x0c, 1, 0x42);
    assert_int_equal(d->fifo_writes, 1);
    assert_int_equal(d->fifo_last, 0xbe42);
    assert_int_equal(d->fifo_reads, 0);
    /* A narrow access straddling two registers covers a part of each. */
    d->lo = 0x44332211;
    d->hi = 0x88776655;
    assert_int_equal(rd(&le_narrow, d, 0x52, 4), 0x66554433);
}

static void test_regs_64_bit_access_over_two_32_bit_registers(void **state)
{
    dev *d = *state;
    assert_int_equal(rd(&le_map, d, 0x50, 8), 0xaaaa000055550000ull);
    wr(&le_map, d, 0x50, 8, 0x0123456789abcdefull);
    assert_int_equal(d->lo, 0x89abcdef);
    assert_int_equal(d->hi, 0x01234567);
    /* Big-endian: each register takes its own four bytes, MSB first. */
    wr(&be_map, d, 0x50, 8, 0x0123456789abcdefull); /* bytes ef cd ab 89 67 45 23 01 */
    assert_int_equal(d->lo, 0xefcdab89);
    assert_int_equal(d->hi, 0x67452301);
    assert_int_equal(rd(&be_map, d, 0x50, 8), 0x0123456789abcdefull);
    /* Two registers of different widths in one access: BYTE and HALF do
     * not make a whole 4 bytes at 0x10 (0x11 is a hole). */
    uint8_t b[4];
    assert_int_equal(reg_access(&le_map, d, LOOM_READ, 0x10, b, 4), LOOM_RESP_ADDRESS_ERROR);
}

/* ---- Debug accesses ------------------------------------------------------------------ */

static void test_regs_debug_reads_do_not_call_hooks(void **state)
{
    dev *d = *state;
    uint8_t b[4];
    /* Hooked, no field: the reset value. */
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_READ, 0x0c, b, 4), LOOM_RESP_OK);
    assert_int_equal(loom_get_le(b, 4), 0xbeef);
    assert_int_equal(d->fifo_reads, 0);
    /* Hooked with a field: the stored value, not a new count. */
    assert_int_equal(rd(&le_map, d, 0x14, 1), 1);
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_READ, 0x14, b, 1), LOOM_RESP_OK);
    assert_int_equal(b[0], 1);
    assert_int_equal(d->cnt, 1);
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_READ, 0x90, b, 4), LOOM_RESP_OK);
    assert_int_equal(d->ch_reads, 0);
    /* Debug writes do not call write hooks either. */
    loom_put_le(b, 4, 0x99);
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_WRITE, 0x0c, b, 4), LOOM_RESP_OK);
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_WRITE, 0x80, b, 4), LOOM_RESP_OK);
    assert_int_equal(d->fifo_writes, 0);
    assert_int_equal(d->ch_writes, 0);
    /* Plain fields are readable and writable by a debugger. */
    assert_int_equal(reg_access(&le_map, d, LOOM_DEBUG_WRITE, 0x00, b, 4), LOOM_RESP_OK);
    assert_int_equal(d->ctrl, 0x99);
}

/* ---- Through a bus, with an instance ------------------------------------------------- */

static void dev_transport(void *opaque, loom_txn *txn) { loom_regs_access(&le_map, opaque, NULL, txn); }

static void test_regs_serve_a_region_on_the_bus(void **state)
{
    dev *d = *state;
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    static const loom_target_ops ops = {dev_transport, NULL, dev_transport};
    loom_region *r;
    assert_int_equal(loom_region_new(sim, "fake", 0x100, &ops, d, &r), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(sim), r, 0x10000000, 0, NULL), LOOM_OK);
    uint8_t b[4] = {0};
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), 0x10000004, b, 4), LOOM_OK);
    assert_int_equal(loom_get_le(b, 4), 0xa5);
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), 0x10000004, b, 2), LOOM_E_BUS);
    assert_int_equal(loom_bus_read(loom_sim_memory(sim), 0x10000070, b, 4), LOOM_E_ADDRESS);
    assert_int_equal(loom_bus_debug_read(loom_sim_memory(sim), 0x1000000c, b, 4), LOOM_OK);
    assert_int_equal(d->fifo_reads, 0);
    loom_sim_free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_regs_reset_writes_every_reset_value_including_arrays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_read_values_of_8_16_32_and_64_bit_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_big_endian_map_orders_bytes_most_significant_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_array_with_stride_addresses_each_element, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_hooks_see_each_access_and_their_values_are_masked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_write_to_a_read_only_register_is_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_read_of_a_write_only_register_gives_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_unmapped_offset_gives_address_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_wrong_size_access_is_an_error_unless_narrow_is_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_refused_access_has_no_side_effects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_narrow_accesses_read_and_merge_part_of_a_register, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_64_bit_access_over_two_32_bit_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_debug_reads_do_not_call_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regs_serve_a_region_on_the_bus, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
