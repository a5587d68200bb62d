/* ARM Generic Interrupt Controller, architecture version 2 (ARM IHI 0048B),
 * as the GIC-400 implements it without the Security Extensions: a
 * distributor and up to eight CPU interfaces.
 *
 * Interrupt IDs 0-15 are software-generated (SGIs) and 16-31 private
 * peripheral interrupts (PPIs), both banked per CPU; 32 and up are shared
 * peripheral interrupts (SPIs). Inputs: spi[n] is interrupt 32 + n, and
 * ppi[c * 16 + (id - 16)] is PPI id of CPU c. Outputs per CPU interface:
 * irq[c] and fiq[c] (group 0 goes to FIQ when GICC_CTLR.FIQEn is set).
 *
 * Which CPU interface a register access reaches (the banked GICD registers,
 * GICD_SGIR's source, the whole GICC) is the transaction's initiator id:
 * CPUs 0 to num-cpu - 1.
 *
 * Nothing is cached: after every change the highest-priority pending
 * interrupt of each CPU interface is found again (at most 1020 interrupts)
 * and the irq and fiq lines are set from it. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "loom/loom.h"

#define GIC_MAX_CPU 8
#define GIC_MAX_IRQ 1020
#define GIC_SPURIOUS 1023
#define GIC_SAVE_VERSION 1u

/* GICD_CTLR, GICC_CTLR */
enum { D_ENABLE_GRP0 = 1u << 0, D_ENABLE_GRP1 = 1u << 1 };
enum {
    C_ENABLE_GRP0 = 1u << 0, C_ENABLE_GRP1 = 1u << 1, C_ACKCTL = 1u << 2, C_FIQEN = 1u << 3,
    C_CBPR = 1u << 4, C_EOIMODE = 1u << 9,
    C_WRITABLE = 0x3FF, /* bits 5-8 (the bypass disables) are kept, not modelled */
};

/* One interrupt as one CPU interface sees it (SGIs and PPIs: that CPU's
 * bank; SPIs: shared). pending is the latch: set by an edge, a write to
 * GICD_ISPENDR or, for SGIs, per source in sgi_src. */
typedef struct gic_irq {
    uint8_t enabled, group, pending, active, level, edge, prio, targets;
} gic_irq;

typedef struct gic_cpu {
    uint32_t ctlr, pmr, bpr, abpr;
    uint32_t apr[8];      /* group priorities with an active interrupt (bit per value) */
    gic_irq priv[32];     /* SGIs and PPIs */
    uint8_t sgi_src[16];  /* per SGI: the CPUs it is pending from */
    loom_irq *irq, *fiq;
} gic_cpu;

typedef struct gic {
    loom_inst *inst;
    unsigned ncpu, nirq;
    uint8_t prio_mask;    /* the implemented priority bits */
    unsigned min_bpr;
    uint32_t ctlr;
    gic_irq spi[GIC_MAX_IRQ];
    gic_cpu cpu[GIC_MAX_CPU];
} gic;

static gic_irq *irq_of(gic *g, unsigned cpu, unsigned id) { return id < 32 ? &g->cpu[cpu].priv[id] : &g->spi[id]; }

static bool is_pending(gic *g, unsigned cpu, unsigned id)
{
    if (id < 16) return g->cpu[cpu].sgi_src[id] != 0;
    const gic_irq *s = irq_of(g, cpu, id);
    return s->pending || (!s->edge && s->level);
}

/* The bits of a priority that decide preemption, by the binary point of its
 * group (IHI 0048B 3.3.3). */
static uint8_t group_prio(const gic *g, unsigned cpu, unsigned group, uint8_t prio)
{
    const gic_cpu *c = &g->cpu[cpu];
    unsigned shift = group == 0 || (c->ctlr & C_CBPR) ? c->bpr + 1 : c->abpr;
    return (uint8_t)(prio & (0xFFu << shift));
}

/* The running priority: the highest active group priority, or idle. */
static unsigned running_prio(const gic_cpu *c)
{
    for (unsigned w = 0; w < 8; w++)
        if (c->apr[w]) return w * 32 + (unsigned)__builtin_ctz(c->apr[w]);
    return 0xFF;
}

/* The highest-priority pending interrupt that may go to this CPU (enabled,
 * not active, its group enabled in the distributor), lowest ID first among
 * equals; GIC_SPURIOUS if none. group_mask: the groups to consider. */
static unsigned hppi(gic *g, unsigned cpu, unsigned group_mask)
{
    unsigned best = GIC_SPURIOUS, bp = 0x100;
    for (unsigned id = 0; id < g->nirq; id++) {
        const gic_irq *s = irq_of(g, cpu, id);
        if (!s->enabled || s->active || s->prio >= bp || !(group_mask >> s->group & 1)) continue;
        if (!(g->ctlr >> s->group & 1)) continue;
        if (id >= 32 && !(s->targets >> cpu & 1)) continue;
        if (!is_pending(g, cpu, id)) continue;
        best = id;
        bp = s->prio;
    }
    return best;
}

/* Whether interrupt id would be signalled to the CPU now: above the
 * priority mask and able to preempt what runs. */
static bool can_signal(gic *g, unsigned cpu, unsigned id)
{
    const gic_irq *s = irq_of(g, cpu, id);
    const gic_cpu *c = &g->cpu[cpu];
    return s->prio < c->pmr && group_prio(g, cpu, s->group, s->prio) < running_prio(c);
}

static void update(gic *g)
{
    for (unsigned cpu = 0; cpu < g->ncpu; cpu++) {
        gic_cpu *c = &g->cpu[cpu];
        bool irq = false, fiq = false;
        unsigned id = hppi(g, cpu, 3);
        if (id != GIC_SPURIOUS && can_signal(g, cpu, id)) {
            unsigned group = irq_of(g, cpu, id)->group;
            if (c->ctlr >> group & 1) {
                if (group == 0 && (c->ctlr & C_FIQEN)) fiq = true;
                else irq = true;
            }
        }
        loom_irq_set(c->irq, irq);
        loom_irq_set(c->fiq, fiq);
    }
}

/* ---- Inputs ------------------------------------------------------------------------ */

static void set_input(gic *g, gic_irq *s, bool level)
{
    if (level && !s->level && s->edge) s->pending = 1;
    s->level = level;
    update(g);
}

static void spi_input(void *opaque, unsigned n, bool level)
{
    gic *g = opaque;
    set_input(g, &g->spi[32 + n], level);
}

static void ppi_input(void *opaque, unsigned n, bool level)
{
    gic *g = opaque;
    set_input(g, &g->cpu[n / 16].priv[16 + n % 16], level);
}

/* ---- Distributor ------------------------------------------------------------------- */

/* The CPU interface behind an access; false (and an error response) for an
 * initiator that is not one of the GIC's CPUs. */
static bool cpu_of(gic *g, loom_txn *txn, unsigned *cpu)
{
    if (txn->initiator < g->ncpu) {
        *cpu = txn->initiator;
        return true;
    }
    /* (Debug accesses never get here: the register table serves them from
     * the stored fields.) */
    loom_inst_log(g->inst, LOOM_LOG_GUEST_ERRORS, "access from initiator %u, which is not one of its %u CPUs\n",
                  txn->initiator, g->ncpu);
    txn->resp = LOOM_RESP_ADDRESS_ERROR;
    *cpu = 0;
    return false;
}

static uint64_t typer_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    return (g->nirq / 32 - 1) | (g->ncpu - 1) << 5;
}

/* The one-bit-per-interrupt registers: which field, and what a write of
 * ones does to it. */
enum bit_op { BIT_SET, BIT_CLEAR, BIT_WRITE };

static uint8_t *bit_field(gic_irq *s, unsigned which)
{
    switch (which) {
    case 0: return &s->group;
    case 1: return &s->enabled;
    case 2: return &s->pending;
    default: return &s->active;
    }
}

/* Offsets 0x080 (IGROUPR), 0x100/0x180 (I[SC]ENABLER), 0x200/0x280
 * (I[SC]PENDR), 0x300/0x380 (I[SC]ACTIVER). */
static unsigned which_of(const loom_reg *r) { return r->offset < 0x100 ? 0 : r->offset >> 8; }

static uint64_t bits_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu, which = which_of(r);
    if (!cpu_of(g, txn, &cpu)) return 0;
    uint32_t v = 0;
    for (unsigned k = 0; k < 32; k++) {
        unsigned id = idx * 32 + k;
        if (id >= g->nirq) break;
        gic_irq *s = irq_of(g, cpu, id);
        bool b = which == 2 ? is_pending(g, cpu, id) : *bit_field(s, which) != 0;
        if (which == 1 && id < 16) b = true; /* SGIs are always enabled */
        v |= (uint32_t)b << k;
    }
    return v;
}

static void bits_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu, which = which_of(r);
    if (!cpu_of(g, txn, &cpu)) return;
    enum bit_op op = which == 0 ? BIT_WRITE : (r->offset & 0x80) ? BIT_CLEAR : BIT_SET;
    for (unsigned k = 0; k < 32; k++) {
        unsigned id = idx * 32 + k;
        if (id >= g->nirq) break;
        bool one = (v >> k) & 1;
        if (op != BIT_WRITE && !one) continue;
        /* SGIs: always enabled, pending only through GICD_SGIR and
         * GICD_SPENDSGIR. */
        if (id < 16 && (which == 1 || which == 2)) continue;
        *bit_field(irq_of(g, cpu, id), which) = op == BIT_WRITE ? one : op == BIT_SET;
    }
    update(g);
    txn->sync = true;
}

static uint64_t prio_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (idx >= g->nirq || !cpu_of(g, txn, &cpu)) return 0;
    return irq_of(g, cpu, idx)->prio;
}

static void prio_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (idx >= g->nirq || !cpu_of(g, txn, &cpu)) return;
    irq_of(g, cpu, idx)->prio = (uint8_t)v & g->prio_mask;
    update(g);
    txn->sync = true;
}

static uint64_t targets_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (idx >= g->nirq || !cpu_of(g, txn, &cpu)) return 0;
    /* SGIs and PPIs: the reading CPU's own bit (single-CPU: zero). */
    if (idx < 32) return g->ncpu > 1 ? 1u << cpu : 0;
    return g->spi[idx].targets;
}

static void targets_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    if (idx < 32 || idx >= g->nirq) return;
    g->spi[idx].targets = (uint8_t)(v & ((1u << g->ncpu) - 1));
    update(g);
    txn->sync = true;
}

/* GICD_ICFGRn: two bits per interrupt, bit 1 edge-triggered. SGIs are
 * edge-triggered and fixed. */
static uint64_t cfg_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (!cpu_of(g, txn, &cpu)) return 0;
    uint32_t v = 0;
    for (unsigned k = 0; k < 16; k++) {
        unsigned id = idx * 16 + k;
        if (id >= g->nirq) break;
        if (irq_of(g, cpu, id)->edge) v |= 2u << (2 * k);
    }
    return v;
}

static void cfg_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (idx == 0 || !cpu_of(g, txn, &cpu)) return;
    for (unsigned k = 0; k < 16; k++) {
        unsigned id = idx * 16 + k;
        if (id >= g->nirq) break;
        irq_of(g, cpu, id)->edge = (v >> (2 * k + 1)) & 1;
    }
    update(g);
}

static void sgir_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned src;
    if (!cpu_of(g, txn, &src)) return;
    unsigned id = v & 0xF, list = (v >> 16) & 0xFF;
    switch ((v >> 24) & 3) {
    case 0: break;
    case 1: list = 0xFF & ~(1u << src); break;
    case 2: list = 1u << src; break;
    default:
        loom_inst_log(g->inst, LOOM_LOG_GUEST_ERRORS, "GICD_SGIR: reserved target list filter 3\n");
        return;
    }
    for (unsigned c = 0; c < g->ncpu; c++)
        if (list >> c & 1) g->cpu[c].sgi_src[id] |= (uint8_t)(1u << src);
    update(g);
    txn->sync = true;
}

/* GICD_[CS]PENDSGIRn: a byte per SGI, a bit per source CPU. */
static uint64_t sgi_pend_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (!cpu_of(g, txn, &cpu)) return 0;
    return g->cpu[cpu].sgi_src[idx];
}

static void sgi_pend_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (!cpu_of(g, txn, &cpu)) return;
    uint8_t m = (uint8_t)(v & ((1u << g->ncpu) - 1));
    if (r->offset == 0xF20) g->cpu[cpu].sgi_src[idx] |= m;
    else g->cpu[cpu].sgi_src[idx] &= (uint8_t)~m;
    update(g);
    txn->sync = true;
}

static void dctlr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    g->ctlr = (uint32_t)v & (D_ENABLE_GRP0 | D_ENABLE_GRP1);
    update(g);
    txn->sync = true;
}

/* GIC-400's identification: PIDR4-7, PIDR0-3, CIDR0-3 from 0xFD0. */
static const uint8_t gic400_dist_id[12] = {0x04, 0x00, 0x00, 0x00, 0x90, 0xB4, 0x2B, 0x00, 0x0D, 0xF0, 0x05, 0xB1};

static uint64_t id_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn) { return gic400_dist_id[idx]; }

#define NOFIELD LOOM_REG_NOFIELD
#define BITS(name, off) {name, off, 32, 0, LOOM_RW, bits_read, bits_write, NOFIELD, GIC_MAX_IRQ / 32 + 1, 4}

/* IHI 0048B table 4-1. */
static const loom_reg dist_regs[] = {
    {"GICD_CTLR", 0x000, 32, 0, LOOM_RW, NULL, dctlr_write, offsetof(gic, ctlr), 0, 0},
    {"GICD_TYPER", 0x004, 32, 0, LOOM_RO, typer_read, NULL, NOFIELD, 0, 0},
    {"GICD_IIDR", 0x008, 32, 0x0200143B, LOOM_RO, NULL, NULL, NOFIELD, 0, 0},
    BITS("GICD_IGROUPR", 0x080),
    BITS("GICD_ISENABLER", 0x100),
    BITS("GICD_ICENABLER", 0x180),
    BITS("GICD_ISPENDR", 0x200),
    BITS("GICD_ICPENDR", 0x280),
    BITS("GICD_ISACTIVER", 0x300),
    BITS("GICD_ICACTIVER", 0x380),
    {"GICD_IPRIORITYR", 0x400, 8, 0, LOOM_RW, prio_read, prio_write, NOFIELD, GIC_MAX_IRQ, 1},
    {"GICD_ITARGETSR", 0x800, 8, 0, LOOM_RW, targets_read, targets_write, NOFIELD, GIC_MAX_IRQ, 1},
    {"GICD_ICFGR", 0xC00, 32, 0, LOOM_RW, cfg_read, cfg_write, NOFIELD, GIC_MAX_IRQ / 16 + 1, 4},
    {"GICD_SGIR", 0xF00, 32, 0, LOOM_WO, NULL, sgir_write, NOFIELD, 0, 0},
    {"GICD_CPENDSGIR", 0xF10, 8, 0, LOOM_RW, sgi_pend_read, sgi_pend_write, NOFIELD, 16, 1},
    {"GICD_SPENDSGIR", 0xF20, 8, 0, LOOM_RW, sgi_pend_read, sgi_pend_write, NOFIELD, 16, 1},
    {"GICD_ID", 0xFD0, 32, 0, LOOM_RO, id_read, NULL, NOFIELD, 12, 4},
};

static const loom_regmap dist_map = {
    .device = "gicv2 distributor",
    .regs = dist_regs,
    .nregs = sizeof dist_regs / sizeof *dist_regs,
    .endian = LOOM_LITTLE,
    .allow_narrow = false,
};

/* ---- CPU interface ------------------------------------------------------------------- */

static gic_cpu *cpu_iface(gic *g, loom_txn *txn, unsigned *cpu)
{
    return cpu_of(g, txn, cpu) ? &g->cpu[*cpu] : NULL;
}

/* The interrupt ID as GICC_IAR and GICC_HPPIR give it: an SGI carries its
 * lowest pending source CPU in bits 12:10. */
static uint32_t iar_value(gic *g, unsigned cpu, unsigned id)
{
    if (id >= 16) return id;
    unsigned src = (unsigned)__builtin_ctz(g->cpu[cpu].sgi_src[id]);
    return id | src << 10;
}

/* Acknowledge: the highest-priority pending interrupt of the groups in
 * group_mask becomes active and its group priority the running one. */
static uint32_t acknowledge(gic *g, unsigned cpu, unsigned group_mask)
{
    gic_cpu *c = &g->cpu[cpu];
    unsigned id = hppi(g, cpu, 3);
    if (id == GIC_SPURIOUS || !can_signal(g, cpu, id)) return GIC_SPURIOUS;
    gic_irq *s = irq_of(g, cpu, id);
    /* Group 1 through GICC_IAR needs AckCtl; otherwise its ID is 1022. */
    if (!(group_mask >> s->group & 1)) return s->group == 1 && group_mask == 1 ? 1022 : GIC_SPURIOUS;
    uint32_t v = iar_value(g, cpu, id);
    if (id < 16) c->sgi_src[id] &= (uint8_t)~(1u << (v >> 10));
    else s->pending = 0; /* a level input still high keeps it pending */
    s->active = 1;
    unsigned gp = group_prio(g, cpu, s->group, s->prio);
    c->apr[gp / 32] |= 1u << (gp % 32);
    update(g);
    return v;
}

static void deactivate(gic *g, unsigned cpu, unsigned id)
{
    if (id >= g->nirq) return;
    irq_of(g, cpu, id)->active = 0;
}

/* End of interrupt: the running priority drops to the next active one;
 * with EOImode 0 the interrupt is deactivated too. */
static void end_of_interrupt(gic *g, unsigned cpu, uint32_t v)
{
    gic_cpu *c = &g->cpu[cpu];
    unsigned id = v & 0x3FF;
    if (id >= 1020) return;
    for (unsigned w = 0; w < 8; w++) {
        if (c->apr[w]) {
            c->apr[w] &= c->apr[w] - 1;
            break;
        }
    }
    if (!(c->ctlr & C_EOIMODE)) deactivate(g, cpu, id);
    update(g);
}

/* GICC_CTLR, GICC_PMR, GICC_BPR and GICC_ABPR: fields of the CPU
 * interface. A binary point is no lower than the implemented priority bits
 * allow (ABPR one more). */
static uint32_t *cpu_field(gic_cpu *c, uint32_t offset)
{
    switch (offset) {
    case 0x00: return &c->ctlr;
    case 0x04: return &c->pmr;
    case 0x08: return &c->bpr;
    default: return &c->abpr;
    }
}

static uint64_t cfield_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    unsigned cpu;
    gic_cpu *c = cpu_iface(dev, txn, &cpu);
    return c ? *cpu_field(c, r->offset) : 0;
}

static void cfield_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    gic_cpu *c = cpu_iface(g, txn, &cpu);
    if (!c) return;
    uint32_t x = (uint32_t)v;
    switch (r->offset) {
    case 0x00: x &= C_WRITABLE; break;
    case 0x04: x &= g->prio_mask; break;
    default: {
        unsigned min = g->min_bpr + (r->offset == 0x08 ? 0 : 1);
        x &= 7;
        if (x < min) x = min;
        break;
    }
    }
    *cpu_field(c, r->offset) = x;
    update(g);
    txn->sync = true;
}

static uint64_t iar_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    gic_cpu *c = cpu_iface(g, txn, &cpu);
    txn->sync = true;
    if (!c) return GIC_SPURIOUS;
    /* GICC_IAR: group 0, and group 1 with AckCtl; GICC_AIAR: group 1. */
    unsigned mask = r->offset == 0x20 ? 2 : (c->ctlr & C_ACKCTL) ? 3 : 1;
    return acknowledge(g, cpu, mask);
}

static void eoir_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (!cpu_iface(g, txn, &cpu)) return;
    end_of_interrupt(g, cpu, (uint32_t)v);
    txn->sync = true;
}

static void dir_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (!cpu_iface(g, txn, &cpu)) return;
    deactivate(g, cpu, (unsigned)v & 0x3FF);
    update(g);
    txn->sync = true;
}

static uint64_t rpr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    unsigned cpu;
    gic_cpu *c = cpu_iface(dev, txn, &cpu);
    return c ? running_prio(c) : 0xFF;
}

/* GICC_HPPIR (0x18, both groups) and GICC_AHPPIR (0x28, group 1). */
static uint64_t hppir_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    if (!cpu_iface(g, txn, &cpu)) return GIC_SPURIOUS;
    txn->sync = true;
    unsigned id = hppi(g, cpu, r->offset == 0x28 ? 2 : 3);
    return id == GIC_SPURIOUS ? id : iar_value(g, cpu, id);
}

/* GICC_APR0: one bit per group priority in use, for up to 32 of them. */
static uint64_t apr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    gic_cpu *c = cpu_iface(g, txn, &cpu);
    if (!c) return 0;
    uint32_t v = 0;
    unsigned step = 2u << g->min_bpr;
    for (unsigned p = 0; p < 256; p++)
        if (c->apr[p / 32] >> (p % 32) & 1) v |= 1u << ((p / step) & 31);
    return v;
}

static void apr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    gic *g = dev;
    unsigned cpu;
    gic_cpu *c = cpu_iface(g, txn, &cpu);
    /* Firmware writes zero to start from no active priority. */
    if (c && v == 0) memset(c->apr, 0, sizeof c->apr);
    update(g);
}

/* IHI 0048B table 4-2. GICC_IIDR: GIC-400's, architecture version 2. */
static const loom_reg cpu_regs[] = {
    {"GICC_CTLR", 0x00, 32, 0, LOOM_RW, cfield_read, cfield_write, NOFIELD, 0, 0},
    {"GICC_PMR", 0x04, 32, 0, LOOM_RW, cfield_read, cfield_write, NOFIELD, 0, 0},
    {"GICC_BPR", 0x08, 32, 0, LOOM_RW, cfield_read, cfield_write, NOFIELD, 0, 0},
    {"GICC_IAR", 0x0C, 32, 0, LOOM_RO, iar_read, NULL, NOFIELD, 0, 0},
    {"GICC_EOIR", 0x10, 32, 0, LOOM_WO, NULL, eoir_write, NOFIELD, 0, 0},
    {"GICC_RPR", 0x14, 32, 0, LOOM_RO, rpr_read, NULL, NOFIELD, 0, 0},
    {"GICC_HPPIR", 0x18, 32, 0, LOOM_RO, hppir_read, NULL, NOFIELD, 0, 0},
    {"GICC_ABPR", 0x1C, 32, 0, LOOM_RW, cfield_read, cfield_write, NOFIELD, 0, 0},
    {"GICC_AIAR", 0x20, 32, 0, LOOM_RO, iar_read, NULL, NOFIELD, 0, 0},
    {"GICC_AEOIR", 0x24, 32, 0, LOOM_WO, NULL, eoir_write, NOFIELD, 0, 0},
    {"GICC_AHPPIR", 0x28, 32, 0, LOOM_RO, hppir_read, NULL, NOFIELD, 0, 0},
    {"GICC_APR", 0xD0, 32, 0, LOOM_RW, apr_read, apr_write, NOFIELD, 4, 4},
    {"GICC_NSAPR", 0xE0, 32, 0, LOOM_RW, NULL, NULL, NOFIELD, 0, 0},
    {"GICC_IIDR", 0xFC, 32, 0x0202143B, LOOM_RO, NULL, NULL, NOFIELD, 0, 0},
    {"GICC_DIR", 0x1000, 32, 0, LOOM_WO, NULL, dir_write, NOFIELD, 0, 0},
};

static const loom_regmap cpu_map = {
    .device = "gicv2 cpu interface",
    .regs = cpu_regs,
    .nregs = sizeof cpu_regs / sizeof *cpu_regs,
    .endian = LOOM_LITTLE,
    .allow_narrow = false,
};

static void dist_transport(void *opaque, loom_txn *txn)
{
    gic *g = opaque;
    loom_regs_access(&dist_map, g, g->inst, txn);
}

static void cpu_transport(void *opaque, loom_txn *txn)
{
    gic *g = opaque;
    loom_regs_access(&cpu_map, g, g->inst, txn);
}

/* Debug accesses read without side effects (acknowledging is one: a
 * debugger sees the stored fields, which the table's hooks bypass). */
static const loom_target_ops dist_ops = {.transport = dist_transport, .debug = dist_transport};
static const loom_target_ops cpu_ops = {.transport = cpu_transport, .debug = cpu_transport};

/* ---- Life cycle ----------------------------------------------------------------------- */

static void gic_reset(void *state)
{
    gic *g = state;
    g->ctlr = 0;
    memset(g->spi, 0, sizeof g->spi);
    for (unsigned cpu = 0; cpu < GIC_MAX_CPU; cpu++) {
        gic_cpu *c = &g->cpu[cpu];
        c->ctlr = c->pmr = 0;
        c->bpr = g->min_bpr;
        c->abpr = g->min_bpr + 1;
        memset(c->apr, 0, sizeof c->apr);
        memset(c->sgi_src, 0, sizeof c->sgi_src);
        for (unsigned id = 0; id < 32; id++) {
            /* Inputs keep their levels across a reset. */
            uint8_t level = c->priv[id].level;
            c->priv[id] = (gic_irq){.enabled = id < 16, .edge = id < 16, .level = level};
        }
    }
    for (unsigned id = 32; id < GIC_MAX_IRQ; id++) g->spi[id].edge = 0;
    update(g);
}

static loom_err gic_init(loom_inst *inst, void *state)
{
    gic *g = state;
    g->inst = inst;
    uint64_t ncpu = loom_inst_prop_u64(inst, "num-cpu"), nirq = loom_inst_prop_u64(inst, "num-irq");
    uint64_t bits = loom_inst_prop_u64(inst, "priority-bits");
    if (ncpu < 1 || ncpu > GIC_MAX_CPU)
        return loom_inst_error(inst, LOOM_E_CONFIG, "num-cpu is %llu; a GICv2 has 1 to 8 CPU interfaces",
                               (unsigned long long)ncpu);
    if (nirq < 32 || nirq > GIC_MAX_IRQ - 28 || nirq % 32)
        return loom_inst_error(inst, LOOM_E_CONFIG,
                               "num-irq is %llu; it must be a multiple of 32 from 32 to 992 (IDs 32 and up are SPIs)",
                               (unsigned long long)nirq);
    if (bits < 4 || bits > 8)
        return loom_inst_error(inst, LOOM_E_CONFIG, "priority-bits is %llu; a GICv2 implements 4 to 8",
                               (unsigned long long)bits);
    g->ncpu = (unsigned)ncpu;
    g->nirq = (unsigned)nirq;
    g->prio_mask = (uint8_t)(0xFFu << (8 - bits));
    g->min_bpr = bits >= 7 ? 0 : 7 - (unsigned)bits;
    loom_irq *irq[GIC_MAX_CPU], *fiq[GIC_MAX_CPU];
    loom_err e = loom_inst_add_region(inst, "distributor", 0x1000, &dist_ops, g, NULL);
    if (!e) e = loom_inst_add_region(inst, "cpu", 0x2000, &cpu_ops, g, NULL);
    if (!e) e = loom_inst_add_output(inst, "irq", g->ncpu, irq);
    if (!e) e = loom_inst_add_output(inst, "fiq", g->ncpu, fiq);
    if (!e && g->nirq > 32) e = loom_inst_add_input(inst, "spi", g->nirq - 32, spi_input, g);
    if (!e) e = loom_inst_add_input(inst, "ppi", g->ncpu * 16, ppi_input, g);
    if (e) return e;
    for (unsigned cpu = 0; cpu < g->ncpu; cpu++) {
        g->cpu[cpu].irq = irq[cpu];
        g->cpu[cpu].fiq = fiq[cpu];
    }
    return LOOM_OK;
}

static void put_irq(loom_buf *b, const gic_irq *s)
{
    loom_buf_put_u8(b, s->enabled);
    loom_buf_put_u8(b, s->group);
    loom_buf_put_u8(b, s->pending);
    loom_buf_put_u8(b, s->active);
    loom_buf_put_u8(b, s->edge);
    loom_buf_put_u8(b, s->prio);
    loom_buf_put_u8(b, s->targets);
}

static void get_irq(loom_buf *b, gic_irq *s, uint8_t prio_mask)
{
    s->enabled = loom_buf_get_u8(b) & 1;
    s->group = loom_buf_get_u8(b) & 1;
    s->pending = loom_buf_get_u8(b) & 1;
    s->active = loom_buf_get_u8(b) & 1;
    s->edge = loom_buf_get_u8(b) & 1;
    s->prio = loom_buf_get_u8(b) & prio_mask;
    s->targets = loom_buf_get_u8(b);
}

/* Input levels are not saved: the simulation restores the lines, and
 * their drivers' levels come back with their sinks' views (below). */
static void gic_save(void *state, loom_buf *b)
{
    const gic *g = state;
    loom_buf_put_u8(b, GIC_SAVE_VERSION);
    loom_buf_put_u32(b, g->ncpu);
    loom_buf_put_u32(b, g->nirq);
    loom_buf_put_u32(b, g->ctlr);
    for (unsigned id = 32; id < g->nirq; id++) {
        put_irq(b, &g->spi[id]);
        loom_buf_put_u8(b, g->spi[id].level);
    }
    for (unsigned cpu = 0; cpu < g->ncpu; cpu++) {
        const gic_cpu *c = &g->cpu[cpu];
        loom_buf_put_u32(b, c->ctlr);
        loom_buf_put_u32(b, c->pmr);
        loom_buf_put_u32(b, c->bpr);
        loom_buf_put_u32(b, c->abpr);
        for (unsigned w = 0; w < 8; w++) loom_buf_put_u32(b, c->apr[w]);
        for (unsigned id = 0; id < 32; id++) {
            put_irq(b, &c->priv[id]);
            loom_buf_put_u8(b, c->priv[id].level);
        }
        for (unsigned id = 0; id < 16; id++) loom_buf_put_u8(b, c->sgi_src[id]);
    }
}

static loom_err gic_restore(void *state, loom_buf *b)
{
    gic *g = state;
    unsigned version = loom_buf_get_u8(b);
    if (version != GIC_SAVE_VERSION)
        return loom_inst_error(g->inst, LOOM_E_FORMAT, "saved state has version %u, expected %u", version,
                               GIC_SAVE_VERSION);
    unsigned ncpu = loom_buf_get_u32(b), nirq = loom_buf_get_u32(b);
    if (!b->bad && (ncpu != g->ncpu || nirq != g->nirq))
        return loom_inst_error(g->inst, LOOM_E_STATE,
                               "saved with %u CPUs and %u interrupts; this one has %u and %u", ncpu, nirq,
                               g->ncpu, g->nirq);
    gic *n = malloc(sizeof *n);
    if (!n) return LOOM_E_NOMEM;
    *n = *g;
    n->ctlr = loom_buf_get_u32(b) & (D_ENABLE_GRP0 | D_ENABLE_GRP1);
    for (unsigned id = 32; id < g->nirq; id++) {
        get_irq(b, &n->spi[id], g->prio_mask);
        n->spi[id].level = loom_buf_get_u8(b) & 1;
    }
    for (unsigned cpu = 0; cpu < g->ncpu; cpu++) {
        gic_cpu *c = &n->cpu[cpu];
        c->ctlr = loom_buf_get_u32(b) & C_WRITABLE;
        c->pmr = loom_buf_get_u32(b) & g->prio_mask;
        c->bpr = loom_buf_get_u32(b) & 7;
        c->abpr = loom_buf_get_u32(b) & 7;
        for (unsigned w = 0; w < 8; w++) c->apr[w] = loom_buf_get_u32(b);
        for (unsigned id = 0; id < 32; id++) {
            get_irq(b, &c->priv[id], g->prio_mask);
            c->priv[id].level = loom_buf_get_u8(b) & 1;
        }
        for (unsigned id = 0; id < 16; id++) c->sgi_src[id] = loom_buf_get_u8(b);
    }
    if (b->bad) {
        free(n);
        return loom_inst_error(g->inst, LOOM_E_FORMAT, "saved state is truncated");
    }
    *g = *n;
    free(n);
    return LOOM_OK;
}

static const loom_prop_def gic_props[] = {
    {"num-cpu", LOOM_PROP_INT, "1", "CPU interfaces (1-8); an access's initiator id picks one", NULL},
    {"num-irq", LOOM_PROP_INT, "288", "interrupt IDs, SGIs and PPIs included (a multiple of 32)", NULL},
    {"priority-bits", LOOM_PROP_INT, "8", "implemented priority bits (4-8; GIC-400 has 5)", NULL},
};

/* The GIC binding's three cells: SPI (0) or PPI (1), the number within
 * its kind, and flags: level-high (4), and for a PPI the CPUs it goes to in
 * bits 15:8. */
static void gic_dt_irq(const loom_inst *inst, const char *port, unsigned index, uint32_t *cells)
{
    if (!strcmp(port, "spi")) {
        cells[0] = 0;
        cells[1] = index;
        cells[2] = 4;
    } else {
        /* A PPI: the CPUs whose same PPI something drives (bits 15:8). */
        uint32_t mask = 0;
        for (unsigned c = 0; c < 8; c++)
            if (loom_inst_input_driver(inst, "ppi", c * 16 + index % 16)) mask |= 1u << c;
        cells[0] = 1;
        cells[1] = index % 16;
        cells[2] = (mask ? mask : 1u << (index / 16)) << 8 | 4;
    }
}

const loom_model_type loom_model_gicv2 = {
    .name = "gicv2",
    .kind = "intc",
    .doc = "ARM Generic Interrupt Controller v2 (GIC-400 without Security Extensions): distributor and CPU interfaces",
    .props = gic_props,
    .nprops = sizeof gic_props / sizeof *gic_props,
    .state_size = sizeof(gic),
    .init = gic_init,
    .reset = gic_reset,
    .save = gic_save,
    .restore = gic_restore,
    .dt_name = "intc",
    .dt_compatible = (const char *const[]){"arm,cortex-a15-gic", NULL},
    .dt_irq_cells = 3,
    .dt_irq = gic_dt_irq,
};
