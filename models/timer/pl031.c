/* ARM PrimeCell real-time clock (PL031), after its Technical Reference
 * Manual (ARM DDI 0224). A 32-bit counter of seconds in simulated time,
 * a match register that raises the interrupt when the counter reaches it.
 *
 * The counter starts at the `epoch` property (seconds since 1970), so a
 * run reads the same dates every time; `host-time` starts it at the host's
 * clock instead. It holds base + whole seconds since origin. */
#include <stddef.h>
#include <time.h>

#include "loom/loom.h"

#define PL031_SAVE_VERSION 1u

typedef struct pl031 {
    loom_inst *inst;
    loom_sim *sim;
    uint32_t base;     /* the count at origin */
    loom_time origin;
    uint32_t mr, imsc, ris;
    loom_event *match;
    loom_irq *irq;
} pl031;

static loom_time access_time(const pl031 *s, const loom_txn *txn) { return loom_txn_time(s->sim, txn); }

static uint32_t count_at(const pl031 *s, loom_time t)
{
    return s->base + (uint32_t)((t - s->origin) / LOOM_SEC);
}

static void update(pl031 *s) { loom_irq_set(s->irq, s->ris & s->imsc & 1); }

/* The event for the next second at which the count equals the match
 * register (at most 2^32 seconds ahead). */
static void arm(pl031 *s, loom_time now)
{
    uint32_t ticks = s->mr - count_at(s, now);
    if (ticks == 0) {
        /* Already there: the interrupt is raised at once. */
        s->ris = 1;
        loom_event_cancel(s->match);
        update(s);
        return;
    }
    uint64_t elapsed = (now - s->origin) / LOOM_SEC;
    unsigned __int128 after = (unsigned __int128)(elapsed + ticks) * LOOM_SEC;
    /* Simulated time ends after some 200 days: a later match never comes. */
    if (after > LOOM_TIME_MAX - s->origin) loom_event_cancel(s->match);
    else loom_event_schedule(s->match, s->origin + (loom_time)after);
}

static void matched(loom_sim *sim, void *opaque)
{
    pl031 *s = opaque;
    (void)sim;
    s->ris = 1;
    update(s);
}

static uint64_t dr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    pl031 *s = dev;
    txn->sync = true;
    return count_at(s, access_time(s, txn));
}

static void mr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl031 *s = dev;
    s->mr = (uint32_t)v;
    arm(s, access_time(s, txn));
    txn->sync = true;
}

/* Loading the counter: it continues from the value at the time of the
 * write, in a new phase of whole seconds. */
static void lr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl031 *s = dev;
    s->origin = access_time(s, txn);
    s->base = (uint32_t)v;
    arm(s, s->origin);
    txn->sync = true;
}

/* RTCLR reads back the last value loaded. */
static uint64_t lr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    return ((pl031 *)dev)->base;
}

static void imsc_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl031 *s = dev;
    s->imsc = (uint32_t)v & 1;
    update(s);
    txn->sync = true;
}

static uint64_t mis_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    pl031 *s = dev;
    return s->ris & s->imsc;
}

static void icr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl031 *s = dev;
    if (v & 1) s->ris = 0;
    update(s);
    txn->sync = true;
}

/* Peripheral ID 0x00041031, PrimeCell ID 0xB105F00D. */
static const uint8_t pl031_id[8] = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint64_t id_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    return pl031_id[((r->offset - 0xFE0) / 4 + idx) & 7];
}

#define NOFIELD LOOM_REG_NOFIELD

/* DDI 0224 table 3-1. The counter cannot be stopped: RTCCR reads 1. */
static const loom_reg pl031_regs[] = {
    {"RTCDR", 0x000, 32, 0, LOOM_RO, dr_read, NULL, NOFIELD, 0, 0},
    {"RTCMR", 0x004, 32, 0, LOOM_RW, NULL, mr_write, offsetof(pl031, mr), 0, 0},
    {"RTCLR", 0x008, 32, 0, LOOM_RW, lr_read, lr_write, NOFIELD, 0, 0},
    {"RTCCR", 0x00C, 32, 1, LOOM_RW, NULL, NULL, NOFIELD, 0, 0},
    {"RTCIMSC", 0x010, 32, 0, LOOM_RW, NULL, imsc_write, offsetof(pl031, imsc), 0, 0},
    {"RTCRIS", 0x014, 32, 0, LOOM_RO, NULL, NULL, offsetof(pl031, ris), 0, 0},
    {"RTCMIS", 0x018, 32, 0, LOOM_RO, mis_read, NULL, NOFIELD, 0, 0},
    {"RTCICR", 0x01C, 32, 0, LOOM_WO, NULL, icr_write, NOFIELD, 0, 0},
    {"RTCPeriphID", 0xFE0, 32, 0, LOOM_RO, id_read, NULL, NOFIELD, 4, 4},
    {"RTCPCellID", 0xFF0, 32, 0, LOOM_RO, id_read, NULL, NOFIELD, 4, 4},
};

static const loom_regmap pl031_map = {
    .device = "pl031",
    .regs = pl031_regs,
    .nregs = sizeof pl031_regs / sizeof *pl031_regs,
    .endian = LOOM_LITTLE,
    .allow_narrow = false,
};

static void pl031_transport(void *opaque, loom_txn *txn)
{
    pl031 *s = opaque;
    loom_regs_access(&pl031_map, s, s->inst, txn);
}

static const loom_target_ops pl031_ops = {.transport = pl031_transport, .debug = pl031_transport};

static void pl031_reset(void *state)
{
    pl031 *s = state;
    loom_regs_reset(&pl031_map, s);
    s->origin = loom_sim_now(s->sim);
    s->base = (uint32_t)loom_inst_prop_u64(s->inst, "epoch");
    if (loom_inst_prop_bool(s->inst, "host-time")) s->base = (uint32_t)time(NULL);
    arm(s, s->origin);
    s->ris = 0; /* a match register of 0 against a count of 0 is no event */
    update(s);
}

static loom_err pl031_init(loom_inst *inst, void *state)
{
    pl031 *s = state;
    s->inst = inst;
    s->sim = loom_inst_sim(inst);
    loom_err e = loom_inst_add_region(inst, "regs", 0x1000, &pl031_ops, s, NULL);
    if (!e) e = loom_inst_add_output(inst, "irq", 1, &s->irq);
    if (!e) e = loom_event_new(s->sim, loom_inst_name(inst), "match", matched, s, &s->match);
    return e;
}

static void pl031_save(void *state, loom_buf *b)
{
    const pl031 *s = state;
    loom_buf_put_u8(b, PL031_SAVE_VERSION);
    loom_buf_put_u32(b, s->base);
    loom_buf_put_u64(b, s->origin);
    loom_buf_put_u32(b, s->mr);
    loom_buf_put_u32(b, s->imsc);
    loom_buf_put_u32(b, s->ris);
}

/* The simulation re-arms the match event and restores the line level. */
static loom_err pl031_restore(void *state, loom_buf *b)
{
    pl031 *s = state;
    unsigned version = loom_buf_get_u8(b);
    if (version != PL031_SAVE_VERSION)
        return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state has version %u, expected %u", version,
                               PL031_SAVE_VERSION);
    uint32_t base = loom_buf_get_u32(b);
    loom_time origin = loom_buf_get_u64(b);
    uint32_t mr = loom_buf_get_u32(b), imsc = loom_buf_get_u32(b) & 1, ris = loom_buf_get_u32(b) & 1;
    if (b->bad) return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state is truncated");
    s->base = base;
    s->origin = origin;
    s->mr = mr;
    s->imsc = imsc;
    s->ris = ris;
    return LOOM_OK;
}

static void pl031_fini(void *state)
{
    pl031 *s = state;
    loom_event_free(s->match);
    s->match = NULL;
}

static const loom_prop_def pl031_props[] = {
    {"epoch", LOOM_PROP_INT, "0", "the count at reset: seconds since 1970-01-01 00:00 UTC", NULL},
    {"host-time", LOOM_PROP_BOOL, "false", "start from the host's clock instead (runs then differ)", NULL},
};

static void pl031_dt(const loom_inst *inst, loom_dt *dt)
{
    loom_dt_u32(dt, "clocks", loom_dt_apb_clock(dt));
    loom_dt_string(dt, "clock-names", "apb_pclk");
}

const loom_model_type loom_model_pl031 = {
    .name = "pl031",
    .kind = "rtc",
    .doc = "ARM PrimeCell real-time clock (PL031): seconds counter with a match interrupt",
    .props = pl031_props,
    .nprops = sizeof pl031_props / sizeof *pl031_props,
    .state_size = sizeof(pl031),
    .init = pl031_init,
    .reset = pl031_reset,
    .save = pl031_save,
    .restore = pl031_restore,
    .fini = pl031_fini,
    .dt_name = "pl031",
    .dt_compatible = (const char *const[]){"arm,pl031", "arm,primecell", NULL},
    .dt_node = pl031_dt,
};
