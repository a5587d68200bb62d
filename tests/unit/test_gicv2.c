/* Unit tests for models/intc/gicv2.c, against the GICv2 architecture
 * specification (ARM IHI 0048B): level and edge inputs, acknowledge and end
 * of interrupt, priority masking, preemption and binary point, banked SGIs
 * and PPIs on two CPUs, targets, FIQ for group 0, EOImode with GICC_DIR,
 * save and restore, and bad configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"

extern const loom_model_type loom_model_gicv2;

#define DIST 0x08000000u
#define CPUIF 0x08010000u

enum { CTLR = 0x000, TYPER = 0x004, IIDR = 0x008, IGROUPR = 0x080, ISENABLER = 0x100, ICENABLER = 0x180,
       ISPENDR = 0x200, ICPENDR = 0x280, ISACTIVER = 0x300, IPRIORITYR = 0x400, ITARGETSR = 0x800,
       ICFGR = 0xC00, SGIR = 0xF00, CPENDSGIR = 0xF10, SPENDSGIR = 0xF20, PIDR2 = 0xFE8 };
enum { C_CTLR = 0x00, C_PMR = 0x04, C_BPR = 0x08, C_IAR = 0x0C, C_EOIR = 0x10, C_RPR = 0x14, C_HPPIR = 0x18,
       C_AIAR = 0x20, C_AEOIR = 0x24, C_IIDR = 0xFC, C_DIR = 0x1000 };

typedef struct board {
    loom_sim *sim;
    loom_inst *gic;
    unsigned ncpu;
    bool irq[8], fiq[8];
} board;

static void on_irq(void *opaque, unsigned n, bool level) { ((board *)opaque)->irq[n] = level; }
static void on_fiq(void *opaque, unsigned n, bool level) { ((board *)opaque)->fiq[n] = level; }

static board *board_new(unsigned ncpu, const char *nirq)
{
    board *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->ncpu = ncpu;
    assert_int_equal(loom_sim_new(&b->sim), LOOM_OK);
    assert_int_equal(loom_inst_create(b->sim, &loom_model_gicv2, "gic", &b->gic), LOOM_OK);
    char err[200], n[8];
    snprintf(n, sizeof n, "%u", ncpu);
    assert_int_equal(loom_inst_set_prop(b->gic, "num-cpu", n, err, sizeof err), LOOM_OK);
    if (nirq) assert_int_equal(loom_inst_set_prop(b->gic, "num-irq", nirq, err, sizeof err), LOOM_OK);
    assert_int_equal(loom_inst_init(b->gic), LOOM_OK);
    assert_int_equal(loom_inst_realize(b->gic), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(b->sim), loom_inst_find_region(b->gic, "distributor"), DIST, 0, NULL),
                     LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(b->sim), loom_inst_find_region(b->gic, "cpu"), CPUIF, 0, NULL),
                     LOOM_OK);
    for (unsigned c = 0; c < ncpu; c++) {
        assert_int_equal(loom_irq_connect(loom_inst_output(b->gic, "irq", c), on_irq, b, c), LOOM_OK);
        assert_int_equal(loom_irq_connect(loom_inst_output(b->gic, "fiq", c), on_fiq, b, c), LOOM_OK);
    }
    return b;
}

static void board_free(board *b)
{
    loom_sim_free(b->sim);
    free(b);
}

/* An access as CPU cpu (the transaction's initiator). */
static loom_resp access(board *b, unsigned cpu, uint32_t addr, uint32_t *v, unsigned len, bool write)
{
    uint8_t d[4] = {0};
    if (write) loom_put_le(d, len, *v);
    loom_txn t = {.addr = addr, .data = d, .len = len, .cmd = write ? LOOM_WRITE : LOOM_READ, .initiator = cpu};
    loom_bus_transport(loom_sim_memory(b->sim), &t);
    if (!write) *v = (uint32_t)loom_get_le(d, len);
    return t.resp;
}

static void wr(board *b, unsigned cpu, uint32_t addr, uint32_t v)
{
    assert_int_equal(access(b, cpu, addr, &v, 4, true), LOOM_RESP_OK);
}

static uint32_t rd(board *b, unsigned cpu, uint32_t addr)
{
    uint32_t v;
    assert_int_equal(access(b, cpu, addr, &v, 4, false), LOOM_RESP_OK);
    return v;
}

static void wr8(board *b, unsigned cpu, uint32_t addr, uint8_t v)
{
    uint32_t x = v;
    assert_int_equal(access(b, cpu, addr, &x, 1, true), LOOM_RESP_OK);
}

/* A line driving input `port`[n] of the GIC, created on first use. */
static loom_irq *line_to(board *b, const char *port, unsigned n)
{
    loom_irq *l = loom_inst_input_driver(b->gic, port, n);
    if (l) return l;
    char name[32];
    snprintf(name, sizeof name, "test.%s%u", port, n);
    assert_int_equal(loom_irq_new(b->sim, name, &l), LOOM_OK);
    assert_int_equal(loom_inst_connect_input(b->gic, port, n, l), LOOM_OK);
    return l;
}

/* The distributor and CPU interfaces on, every priority let through. */
static void enable_all(board *b, uint32_t cpu_ctlr)
{
    wr(b, 0, DIST + CTLR, 3);
    for (unsigned c = 0; c < b->ncpu; c++) {
        wr(b, c, CPUIF + C_CTLR, cpu_ctlr);
        wr(b, c, CPUIF + C_PMR, 0xFF);
    }
}

/* SPI id: enabled, this priority, to these CPUs. */
static void setup_spi(board *b, unsigned id, uint8_t prio, uint8_t targets)
{
    wr(b, 0, DIST + ISENABLER + id / 32 * 4, 1u << (id % 32));
    wr8(b, 0, DIST + IPRIORITYR + id, prio);
    wr8(b, 0, DIST + ITARGETSR + id, targets);
}

static void test_gicv2_identification(void **state)
{
    board *b = board_new(2, "96");
    assert_int_equal(rd(b, 0, DIST + TYPER), 2 | 1 << 5);
    assert_int_equal(rd(b, 0, DIST + IIDR) & 0xFFF, 0x43B);
    assert_int_equal(rd(b, 0, DIST + PIDR2) >> 4 & 0xF, 2); /* architecture version 2 */
    assert_int_equal(rd(b, 0, CPUIF + C_IIDR) >> 16 & 0xF, 2);
    /* SGIs are always enabled; the reset state masks everything. */
    assert_int_equal(rd(b, 0, DIST + ISENABLER) & 0xFFFF, 0xFFFF);
    assert_int_equal(rd(b, 0, CPUIF + C_PMR), 0);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1023);
    /* SGIs are edge-triggered and say so. */
    assert_int_equal(rd(b, 0, DIST + ICFGR), 0xAAAAAAAA);
    board_free(b);
}

static void test_gicv2_level_spi_acknowledge_and_eoi(void **state)
{
    board *b = board_new(1, NULL);
    enable_all(b, 1);
    setup_spi(b, 40, 0x80, 1);
    loom_irq *in = line_to(b, "spi", 8);
    assert_false(b->irq[0]);
    loom_irq_raise(in);
    assert_true(b->irq[0]);
    assert_false(b->fiq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_HPPIR), 40);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 40);
    /* Active now, and still pending while the input stays high; it cannot
     * be signalled again until deactivated. */
    assert_false(b->irq[0]);
    assert_int_equal(rd(b, 0, DIST + ISACTIVER + 4), 1u << 8);
    assert_int_equal(rd(b, 0, DIST + ISPENDR + 4), 1u << 8);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0x80);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1023);
    wr(b, 0, CPUIF + C_EOIR, 40);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0xFF);
    assert_int_equal(rd(b, 0, DIST + ISACTIVER + 4), 0);
    assert_true(b->irq[0]); /* the level is still there */
    loom_irq_lower(in);
    assert_false(b->irq[0]);
    assert_int_equal(rd(b, 0, DIST + ISPENDR + 4), 0);
    /* Disabled, it is never signalled; pending by software, it is. */
    wr(b, 0, DIST + ICENABLER + 4, 1u << 8);
    loom_irq_raise(in);
    assert_false(b->irq[0]);
    loom_irq_lower(in);
    wr(b, 0, DIST + ISENABLER + 4, 1u << 8);
    wr(b, 0, DIST + ISPENDR + 4, 1u << 8);
    assert_true(b->irq[0]);
    wr(b, 0, DIST + ICPENDR + 4, 1u << 8);
    assert_false(b->irq[0]);
    board_free(b);
}

static void test_gicv2_edge_priorities_and_preemption(void **state)
{
    board *b = board_new(1, NULL);
    enable_all(b, 1);
    setup_spi(b, 33, 0xA0, 1);
    setup_spi(b, 34, 0x40, 1);
    wr(b, 0, DIST + ICFGR + 8, 2u << 2 | 2u << 4); /* 33 and 34 edge-triggered */
    loom_irq *l33 = line_to(b, "spi", 1), *l34 = line_to(b, "spi", 2);
    /* A pulse is remembered. */
    loom_irq_raise(l33);
    loom_irq_lower(l33);
    assert_true(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 33);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0xA0);
    assert_false(b->irq[0]);
    /* A higher priority preempts the active one. */
    loom_irq_raise(l34);
    loom_irq_lower(l34);
    assert_true(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 34);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0x40);
    /* A lower or equal one waits. */
    loom_irq_raise(l33);
    loom_irq_lower(l33);
    assert_false(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1023);
    wr(b, 0, CPUIF + C_EOIR, 34);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0xA0);
    assert_false(b->irq[0]); /* 33 is still active: its new edge waits */
    wr(b, 0, CPUIF + C_EOIR, 33);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0xFF);
    assert_true(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 33);
    wr(b, 0, CPUIF + C_EOIR, 33);
    assert_false(b->irq[0]);
    /* Two pending at once: the higher priority first, then the lower ID
     * among equals. */
    wr8(b, 0, DIST + IPRIORITYR + 33, 0x40);
    wr(b, 0, DIST + ISPENDR + 4, 1u << 2 | 1u << 1);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 33);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1023);
    wr(b, 0, CPUIF + C_EOIR, 33);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 34);
    wr(b, 0, CPUIF + C_EOIR, 34);
    board_free(b);
}

static void test_gicv2_priority_mask_and_binary_point(void **state)
{
    board *b = board_new(1, NULL);
    enable_all(b, 1);
    setup_spi(b, 50, 0x80, 1);
    wr(b, 0, CPUIF + C_PMR, 0x80); /* only strictly higher priorities pass */
    wr(b, 0, DIST + ISPENDR + 4, 1u << 18);
    assert_false(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1023);
    assert_int_equal(rd(b, 0, CPUIF + C_HPPIR), 50); /* HPPIR ignores the mask */
    wr(b, 0, CPUIF + C_PMR, 0x81);
    assert_int_equal(rd(b, 0, CPUIF + C_PMR), 0x81);
    assert_true(b->irq[0]);
    wr(b, 0, CPUIF + C_PMR, 0xFF);
    /* Binary point 3: preemption looks at bits 7:4 only. */
    wr(b, 0, CPUIF + C_BPR, 3);
    setup_spi(b, 51, 0x40, 1);
    setup_spi(b, 52, 0x48, 1);
    setup_spi(b, 53, 0x30, 1);
    wr(b, 0, DIST + ICPENDR + 4, 1u << 18);
    wr(b, 0, DIST + ISPENDR + 4, 1u << 19);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 51);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0x40);
    wr(b, 0, DIST + ISPENDR + 4, 1u << 20); /* 0x48: same group priority */
    assert_false(b->irq[0]);
    wr(b, 0, DIST + ISPENDR + 4, 1u << 21); /* 0x30: a higher group */
    assert_true(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 53);
    wr(b, 0, CPUIF + C_EOIR, 53);
    wr(b, 0, CPUIF + C_EOIR, 51);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 52);
    wr(b, 0, CPUIF + C_EOIR, 52);
    /* A binary point below the implemented minimum reads back the minimum
     * (8 priority bits: 0), so 0 sticks. */
    wr(b, 0, CPUIF + C_BPR, 0);
    assert_int_equal(rd(b, 0, CPUIF + C_BPR), 0);
    board_free(b);
}

static void test_gicv2_sgis_between_cpus(void **state)
{
    board *b = board_new(2, NULL);
    enable_all(b, 1);
    wr8(b, 0, DIST + IPRIORITYR + 5, 0x10);
    wr8(b, 1, DIST + IPRIORITYR + 5, 0x10);
    /* CPU 0 to CPU 1, by list. */
    wr(b, 0, DIST + SGIR, 0u << 24 | 0x2u << 16 | 5);
    assert_false(b->irq[0]);
    assert_true(b->irq[1]);
    uint32_t v;
    assert_int_equal(access(b, 1, DIST + SPENDSGIR + 4, &v, 4, false), LOOM_RESP_OK);
    assert_int_equal(v >> 8 & 0xFF, 1); /* SGI 5 pending from CPU 0 */
    assert_int_equal(rd(b, 1, CPUIF + C_IAR), 5); /* source CPU 0 in bits 12:10 */
    assert_false(b->irq[1]);
    wr(b, 1, CPUIF + C_EOIR, 5);
    /* CPU 1 to all others: CPU 0, which sees the source. */
    wr(b, 1, DIST + SGIR, 1u << 24 | 3);
    assert_true(b->irq[0]);
    assert_false(b->irq[1]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 3 | 1 << 10);
    wr(b, 0, CPUIF + C_EOIR, 3 | 1 << 10);
    /* To itself; from both sources at once, one acknowledge each. */
    wr(b, 0, DIST + SGIR, 2u << 24 | 7);
    wr(b, 1, DIST + SGIR, 0u << 24 | 1u << 16 | 7);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 7);
    wr(b, 0, CPUIF + C_EOIR, 7);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 7 | 1 << 10);
    wr(b, 0, CPUIF + C_EOIR, 7 | 1 << 10);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1023);
    /* Set and cleared pending through GICD_[SC]PENDSGIR. */
    wr8(b, 0, DIST + SPENDSGIR + 2, 0x2);
    assert_true(b->irq[0]);
    wr8(b, 0, DIST + CPENDSGIR + 2, 0x2);
    assert_false(b->irq[0]);
    board_free(b);
}

static void test_gicv2_ppis_are_banked_and_targets_route(void **state)
{
    board *b = board_new(2, NULL);
    enable_all(b, 1);
    /* PPI 27 of CPU 1 (a timer, say), enabled in CPU 1's bank only. */
    loom_irq *ppi = line_to(b, "ppi", 1 * 16 + 11);
    wr(b, 1, DIST + ISENABLER, 1u << 27);
    assert_int_equal(rd(b, 1, DIST + ISENABLER) >> 27 & 1, 1);
    assert_int_equal(rd(b, 0, DIST + ISENABLER) >> 27 & 1, 0);
    loom_irq_raise(ppi);
    assert_true(b->irq[1]);
    assert_false(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1023);
    assert_int_equal(rd(b, 1, CPUIF + C_IAR), 27);
    wr(b, 1, CPUIF + C_EOIR, 27);
    loom_irq_lower(ppi);
    /* GICD_ITARGETSR for private interrupts reads the reader's own bit. */
    assert_int_equal(rd(b, 0, DIST + ITARGETSR + 24), 0x01010101);
    assert_int_equal(rd(b, 1, DIST + ITARGETSR + 24), 0x02020202);
    /* An SPI goes to the CPUs its targets name. */
    setup_spi(b, 60, 0x20, 2);
    wr(b, 0, DIST + ISPENDR + 4, 1u << 28);
    assert_false(b->irq[0]);
    assert_true(b->irq[1]);
    wr8(b, 0, DIST + ITARGETSR + 60, 3);
    assert_true(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 60);
    assert_false(b->irq[1]); /* active: no longer offered to CPU 1 */
    wr(b, 0, CPUIF + C_EOIR, 60);
    board_free(b);
}

static void test_gicv2_groups_fiq_and_eoimode(void **state)
{
    board *b = board_new(1, NULL);
    /* Group 0 as FIQ. */
    enable_all(b, 1 | 2 | 8);
    setup_spi(b, 40, 0x80, 1);
    wr(b, 0, DIST + ISPENDR + 4, 1u << 8);
    assert_true(b->fiq[0]);
    assert_false(b->irq[0]);
    /* Group 1 is an IRQ; GICC_IAR does not take it without AckCtl. */
    wr(b, 0, DIST + IGROUPR + 4, 1u << 8);
    assert_false(b->fiq[0]);
    assert_true(b->irq[0]);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 1022);
    assert_int_equal(rd(b, 0, CPUIF + C_AIAR), 40);
    wr(b, 0, CPUIF + C_AEOIR, 40);
    /* The distributor's group enable gates it too. */
    wr(b, 0, DIST + ISPENDR + 4, 1u << 8);
    wr(b, 0, DIST + CTLR, 1);
    assert_false(b->irq[0]);
    wr(b, 0, DIST + CTLR, 3);
    assert_true(b->irq[0]);
    /* EOImode 1: EOIR drops the priority, GICC_DIR deactivates. */
    wr(b, 0, CPUIF + C_CTLR, 1 | 2 | 4 | 1u << 9);
    assert_int_equal(rd(b, 0, CPUIF + C_IAR), 40);
    wr(b, 0, CPUIF + C_EOIR, 40);
    assert_int_equal(rd(b, 0, CPUIF + C_RPR), 0xFF);
    assert_int_equal(rd(b, 0, DIST + ISACTIVER + 4), 1u << 8);
    wr(b, 0, CPUIF + C_DIR, 40);
    assert_int_equal(rd(b, 0, DIST + ISACTIVER + 4), 0);
    board_free(b);
}

static void test_gicv2_save_restore(void **state)
{
    board *a = board_new(2, NULL);
    enable_all(a, 1);
    setup_spi(a, 45, 0x60, 3);
    setup_spi(a, 46, 0x20, 1);
    wr(a, 0, DIST + ISPENDR + 4, 1u << 13 | 1u << 14);
    assert_int_equal(rd(a, 0, CPUIF + C_IAR), 46); /* active on CPU 0 */
    wr(a, 0, DIST + SGIR, 0x2u << 16 | 9);      /* pending on CPU 1 */
    loom_buf buf;
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    board *b = board_new(2, NULL);
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(b->sim, &buf), LOOM_OK);
    loom_buf_free(&buf);
    board *both[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        board *x = both[k];
        assert_int_equal(rd(x, 0, CPUIF + C_RPR), 0x20);
        assert_int_equal(rd(x, 1, CPUIF + C_IAR), 9);
        assert_int_equal(rd(x, 1, CPUIF + C_IAR), 1023); /* SGI 9 (priority 0) runs */
        wr(x, 1, CPUIF + C_EOIR, 9);
        assert_int_equal(rd(x, 1, CPUIF + C_IAR), 45);
        wr(x, 0, CPUIF + C_EOIR, 46);
        assert_int_equal(rd(x, 0, CPUIF + C_RPR), 0xFF);
        assert_int_equal(rd(x, 0, CPUIF + C_IAR), 1023); /* 45 is active on CPU 1 */
    }
    /* A GIC with other interrupts refuses the state. */
    board *c = board_new(2, "96");
    loom_buf_init(&buf);
    assert_int_equal(loom_sim_save(a->sim, &buf), LOOM_OK);
    buf.pos = 0;
    assert_int_equal(loom_sim_restore(c->sim, &buf), LOOM_E_STATE);
    assert_non_null(strstr(loom_sim_last_error(c->sim), "288 interrupts"));
    loom_buf_free(&buf);
    board_free(a);
    board_free(b);
    board_free(c);
}

static void test_gicv2_bad_configuration_and_initiator(void **state)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    const char *bad[][2] = {{"num-cpu", "9"}, {"num-cpu", "0"}, {"num-irq", "100"}, {"num-irq", "1024"},
                            {"priority-bits", "3"}};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        loom_inst *g;
        char name[16], err[200];
        snprintf(name, sizeof name, "gic%zu", k);
        assert_int_equal(loom_inst_create(sim, &loom_model_gicv2, name, &g), LOOM_OK);
        assert_int_equal(loom_inst_set_prop(g, bad[k][0], bad[k][1], err, sizeof err), LOOM_OK);
        assert_int_equal(loom_inst_init(g), LOOM_E_CONFIG);
        assert_non_null(strstr(loom_sim_last_error(sim), bad[k][0]));
    }
    loom_sim_free(sim);
    /* An access from an initiator that is not one of the CPUs fails. */
    board *b = board_new(2, NULL);
    uint32_t v;
    assert_int_equal(access(b, 5, CPUIF + C_IAR, &v, 4, false), LOOM_RESP_ADDRESS_ERROR);
    board_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gicv2_identification),
        cmocka_unit_test(test_gicv2_level_spi_acknowledge_and_eoi),
        cmocka_unit_test(test_gicv2_edge_priorities_and_preemption),
        cmocka_unit_test(test_gicv2_priority_mask_and_binary_point),
        cmocka_unit_test(test_gicv2_sgis_between_cpus),
        cmocka_unit_test(test_gicv2_ppis_are_banked_and_targets_route),
        cmocka_unit_test(test_gicv2_groups_fiq_and_eoimode),
        cmocka_unit_test(test_gicv2_save_restore),
        cmocka_unit_test(test_gicv2_bad_configuration_and_initiator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
