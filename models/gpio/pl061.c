/* ARM PrimeCell GPIO (PL061), after its Technical Reference Manual (ARM DDI
 * 0190): eight pins, each an input or an output, with level or edge
 * interrupts combined into one line.
 *
 * Inputs in[0..7] are the pads' levels from outside; outputs out[0..7]
 * drive the pads of the pins set as outputs (low while a pin is an input).
 * A pin's level is its output bit when it is an output, its pad input
 * otherwise; interrupts are detected on that level, as GPIODATA reads it.
 * GPIODATA is addressed through bits 9:2 of the offset, which mask the
 * pins an access reads or writes. */
#include <stddef.h>

#include "loom/loom.h"

#define PL061_SAVE_VERSION 1u

typedef struct pl061 {
    loom_inst *inst;
    uint32_t data, dir, is, ibe, iev, ie, ris, afsel;
    uint32_t pads;     /* the input levels */
    uint32_t level;    /* the pins' levels when last looked at */
    loom_irq *out[8];
    loom_irq *irq;
} pl061;

static uint32_t levels(const pl061 *s) { return ((s->data & s->dir) | (s->pads & ~s->dir)) & 0xFF; }

/* New pin levels: edges are latched into GPIORIS, level-sensitive pins
 * follow their level; then the lines. */
static void update(pl061 *s)
{
    uint32_t now = levels(s), changed = now ^ s->level;
    uint32_t rising = changed & now, falling = changed & ~now;
    uint32_t edge = ~s->is & 0xFF;
    s->ris |= edge & ((s->ibe & changed) | (~s->ibe & ((s->iev & rising) | (~s->iev & falling))));
    uint32_t lvl = s->is & ~(now ^ s->iev) & 0xFF; /* at the level IEV names */
    s->ris = (s->ris & edge) | lvl;
    s->level = now;
    for (unsigned k = 0; k < 8; k++) loom_irq_set(s->out[k], (s->data & s->dir) >> k & 1);
    loom_irq_set(s->irq, (s->ris & s->ie) != 0);
}

static void pad_input(void *opaque, unsigned n, bool level)
{
    pl061 *s = opaque;
    s->pads = (s->pads & ~(1u << n)) | (uint32_t)level << n;
    update(s);
}

/* GPIODATA at 0x000-0x3FC: the offset's bits 9:2 are the mask. */
static uint64_t data_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    pl061 *s = dev;
    return levels(s) & idx;
}

static void data_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl061 *s = dev;
    s->data = (s->data & ~idx) | ((uint32_t)v & idx);
    update(s);
    txn->sync = true;
}

static uint32_t *field(pl061 *s, uint32_t offset)
{
    switch (offset) {
    case 0x400: return &s->dir;
    case 0x404: return &s->is;
    case 0x408: return &s->ibe;
    case 0x40C: return &s->iev;
    case 0x410: return &s->ie;
    default: return &s->afsel;
    }
}

/* The configuration registers: eight bits each, every write re-evaluated
 * (changing sense or event may make a level interrupt appear or go). */
static void cfg_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl061 *s = dev;
    *field(s, r->offset) = (uint32_t)v & 0xFF;
    update(s);
    txn->sync = true;
}

static uint64_t mis_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    pl061 *s = dev;
    return s->ris & s->ie;
}

/* GPIOIC clears edge-detected interrupts; a level one stays while its
 * level does. */
static void ic_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl061 *s = dev;
    s->ris &= ~((uint32_t)v & ~s->is & 0xFF);
    update(s);
    txn->sync = true;
}

/* Peripheral ID 0x00041061, PrimeCell ID 0xB105F00D. */
static const uint8_t pl061_id[8] = {0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint64_t id_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    return pl061_id[((r->offset - 0xFE0) / 4 + idx) & 7];
}

#define NOFIELD LOOM_REG_NOFIELD
#define CFG(name, off, f) {name, off, 32, 0, LOOM_RW, NULL, cfg_write, offsetof(pl061, f), 0, 0}

/* DDI 0190 table 3-1. */
static const loom_reg pl061_regs[] = {
    {"GPIODATA", 0x000, 32, 0, LOOM_RW, data_read, data_write, NOFIELD, 256, 4},
    CFG("GPIODIR", 0x400, dir),
    CFG("GPIOIS", 0x404, is),
    CFG("GPIOIBE", 0x408, ibe),
    CFG("GPIOIEV", 0x40C, iev),
    CFG("GPIOIE", 0x410, ie),
    {"GPIORIS", 0x414, 32, 0, LOOM_RO, NULL, NULL, offsetof(pl061, ris), 0, 0},
    {"GPIOMIS", 0x418, 32, 0, LOOM_RO, mis_read, NULL, NOFIELD, 0, 0},
    {"GPIOIC", 0x41C, 32, 0, LOOM_WO, NULL, ic_write, NOFIELD, 0, 0},
    CFG("GPIOAFSEL", 0x420, afsel),
    {"GPIOPeriphID", 0xFE0, 32, 0, LOOM_RO, id_read, NULL, NOFIELD, 4, 4},
    {"GPIOPCellID", 0xFF0, 32, 0, LOOM_RO, id_read, NULL, NOFIELD, 4, 4},
};

static const loom_regmap pl061_map = {
    .device = "pl061",
    .regs = pl061_regs,
    .nregs = sizeof pl061_regs / sizeof *pl061_regs,
    .endian = LOOM_LITTLE,
    .allow_narrow = false,
};

static void pl061_transport(void *opaque, loom_txn *txn)
{
    pl061 *s = opaque;
    loom_regs_access(&pl061_map, s, s->inst, txn);
}

static const loom_target_ops pl061_ops = {.transport = pl061_transport, .debug = pl061_transport};

static void pl061_reset(void *state)
{
    pl061 *s = state;
    loom_regs_reset(&pl061_map, s);
    s->data = 0;
    /* Pads keep their levels; the edges seen so far are not new. */
    s->level = levels(s);
    update(s);
}

static loom_err pl061_init(loom_inst *inst, void *state)
{
    pl061 *s = state;
    s->inst = inst;
    loom_err e = loom_inst_add_region(inst, "regs", 0x1000, &pl061_ops, s, NULL);
    if (!e) e = loom_inst_add_output(inst, "out", 8, s->out);
    if (!e) e = loom_inst_add_output(inst, "irq", 1, &s->irq);
    if (!e) e = loom_inst_add_input(inst, "in", 8, pad_input, s);
    return e;
}

static void pl061_save(void *state, loom_buf *b)
{
    const pl061 *s = state;
    loom_buf_put_u8(b, PL061_SAVE_VERSION);
    const uint32_t f[] = {s->data, s->dir, s->is, s->ibe, s->iev, s->ie, s->ris, s->afsel, s->pads, s->level};
    for (size_t k = 0; k < sizeof f / sizeof *f; k++) loom_buf_put_u32(b, f[k]);
}

static loom_err pl061_restore(void *state, loom_buf *b)
{
    pl061 *s = state;
    unsigned version = loom_buf_get_u8(b);
    if (version != PL061_SAVE_VERSION)
        return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state has version %u, expected %u", version,
                               PL061_SAVE_VERSION);
    uint32_t f[10];
    for (size_t k = 0; k < 10; k++) f[k] = loom_buf_get_u32(b) & 0xFF;
    if (b->bad) return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state is truncated");
    uint32_t *to[] = {&s->data, &s->dir, &s->is, &s->ibe, &s->iev, &s->ie, &s->ris, &s->afsel, &s->pads, &s->level};
    for (size_t k = 0; k < 10; k++) *to[k] = f[k];
    return LOOM_OK;
}

/* Pins are named by number and flags (#gpio-cells 2). */
static void pl061_dt(const loom_inst *inst, loom_dt *dt)
{
    loom_dt_empty(dt, "gpio-controller");
    loom_dt_u32(dt, "#gpio-cells", 2);
    loom_dt_u32(dt, "clocks", loom_dt_apb_clock(dt));
    loom_dt_string(dt, "clock-names", "apb_pclk");
}

const loom_model_type loom_model_pl061 = {
    .name = "pl061",
    .kind = "gpio",
    .doc = "ARM PrimeCell GPIO (PL061): eight pins with level and edge interrupts",
    .state_size = sizeof(pl061),
    .init = pl061_init,
    .reset = pl061_reset,
    .save = pl061_save,
    .restore = pl061_restore,
    .dt_name = "pl061",
    .dt_compatible = (const char *const[]){"arm,pl061", "arm,primecell", NULL},
    .dt_node = pl061_dt,
};
