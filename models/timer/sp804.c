/* ARM SP804 dual timer (ARM DDI 0271), counting in simulated time. */
#include <stddef.h>

#include "loom/model.h"
#include "loom/sim.h"

/* How the counters are modelled.
 *
 * Nothing ticks. Each counter remembers a time origin (tick 0 of its
 * prescaled clock), a tick k0 at which it held the value `start`, and the
 * register values; its value at any tick follows in closed form, and one
 * event is scheduled at the next tick where it reaches zero.
 *
 * Tick k falls at origin + ceil(k * prescale * 10^12 / clock) ps: exact
 * integer arithmetic (128-bit intermediates) with no rounding drift however
 * long the timer runs. The counter takes a value written to Load at the
 * moment of the write (the hardware waits for the next enabled TIMCLK edge:
 * at most one tick of phase, which the model leaves out).
 *
 * From a value N the counter reaches zero N ticks later and raises its
 * interrupt; one tick after zero it reloads (periodic: from Load, which
 * BGLoad also writes), wraps to 0xFFFFFFFF or 0xFFFF (free-running), or
 * stays at zero (one-shot). A periodic timer thus fires every Load + 1
 * ticks, and writing 0 to Load interrupts at once, as the TRM describes.
 *
 * In 16-bit mode the counter takes the low half of Load; Value still reads
 * its 32-bit reset value 0xFFFFFFFF until the timer is loaded or enabled.
 *
 * Changing mode, size or BGLoad while running re-bases the closed form at
 * the current tick and keeps the clock phase; enabling, or changing the
 * prescaler, starts a new phase at the time of the write. */

enum {
    CTRL_ONESHOT = 1u << 0,
    CTRL_32BIT = 1u << 1,
    CTRL_PRE_SHIFT = 2,
    CTRL_PRE_MASK = 3u << 2,
    CTRL_INTEN = 1u << 5,
    CTRL_PERIODIC = 1u << 6,
    CTRL_ENABLE = 1u << 7,
    CTRL_WRITABLE = 0xEF, /* bit 4 is reserved */
    /* Bits that change how the counter moves. */
    CTRL_TIMING = CTRL_ONESHOT | CTRL_32BIT | CTRL_PRE_MASK | CTRL_PERIODIC | CTRL_ENABLE,
};

#define SP804_SIZE 0x1000
#define SP804_SAVE_VERSION 1u
/* Time is in picoseconds: a faster clock than this has ticks shorter than
 * the resolution of time, and the closed form needs freq <= 10^12. */
#define SP804_MAX_FREQ 1000000000000ull

typedef struct sp804 sp804;

typedef struct sp804_timer {
    sp804 *dev;
    uint64_t freq; /* TIMCLK in Hz (a property, not state) */

    /* Registers. */
    uint32_t load;    /* Load and BGLoad are one register */
    uint32_t control;
    uint32_t ris;

    /* The counter: value `start` at tick k0 of the phase that began at
     * origin. While disabled, `start` is the frozen value. zdone: start is
     * zero and that zero already raised the interrupt (a halted one-shot, a
     * counter stopped at zero), so it must not raise it again. */
    loom_time origin;
    uint64_t k0;
    uint32_t start;
    bool zdone;

    /* The next zero: tick kzero, with the event pending while armed. */
    bool armed;
    uint64_t kzero;
    loom_event *ev;

    loom_irq *line; /* TIMINT1 or TIMINT2 */
} sp804_timer;

struct sp804 {
    loom_inst *inst;
    loom_sim *sim;
    sp804_timer t[2];
    uint32_t itcr, itop; /* integration test: ITOP drives the outputs */
    loom_irq *combined;  /* TIMINTC */
};

/* ---- The counter in closed form ------------------------------------------ */

static unsigned prescale(const sp804_timer *t)
{
    /* 0b11 is "undefined" in the TRM; treated as /256 like 0b10. */
    switch ((t->control & CTRL_PRE_MASK) >> CTRL_PRE_SHIFT) {
    case 0: return 1;
    case 1: return 16;
    default: return 256;
    }
}

static uint32_t width_mask(const sp804_timer *t)
{
    return t->control & CTRL_32BIT ? 0xFFFFFFFFu : 0xFFFFu;
}

static bool enabled(const sp804_timer *t) { return (t->control & CTRL_ENABLE) != 0; }

/* Whole ticks elapsed from origin to `when`. */
static uint64_t tick_at(const sp804_timer *t, loom_time when)
{
    if (when <= t->origin) return 0;
    unsigned __int128 num = (unsigned __int128)(when - t->origin) * t->freq;
    return (uint64_t)(num / ((unsigned __int128)prescale(t) * LOOM_SEC));
}

/* The time of tick k; LOOM_TIME_MAX if past the end of time. Since
 * freq <= 10^12, tick_at(tick_time(k)) == k. */
static loom_time tick_time(const sp804_timer *t, uint64_t k)
{
    unsigned __int128 num = (unsigned __int128)k * prescale(t) * LOOM_SEC;
    unsigned __int128 dt = (num + t->freq - 1) / t->freq;
    if (dt > LOOM_TIME_MAX - t->origin) return LOOM_TIME_MAX;
    return t->origin + (loom_time)dt;
}

/* The value a wrapping counter restarts from after zero. */
static uint64_t reload_value(const sp804_timer *t)
{
    return t->control & CTRL_PERIODIC ? (t->load & width_mask(t)) : width_mask(t);
}

static uint32_t count_at(const sp804_timer *t, uint64_t k)
{
    if (!enabled(t)) return t->start;
    uint64_t j = k > t->k0 ? k - t->k0 : 0;
    if (j <= t->start) return (uint32_t)(t->start - j);
    if (t->control & CTRL_ONESHOT) return 0;
    uint64_t top = reload_value(t);
    return (uint32_t)(top - (j - t->start - 1) % (top + 1));
}

/* The first tick >= from at which the counter reaches zero. */
static bool next_zero(const sp804_timer *t, uint64_t from, uint64_t *kz)
{
    unsigned __int128 first = (unsigned __int128)t->k0 + t->start, k;
    if (!t->zdone && first >= from) {
        k = first;
    } else if (t->control & CTRL_ONESHOT) {
        return false;
    } else {
        /* Zeros of the wrapping phase: first + m * period, m >= 1. */
        unsigned __int128 period = reload_value(t) + 1, base = first + period;
        k = from <= base ? base : base + (from - base + period - 1) / period * period;
    }
    if (k > UINT64_MAX) return false;
    *kz = (uint64_t)k;
    return true;
}

/* Schedule the event for the first zero at or after tick `from`. */
static void arm(sp804_timer *t, uint64_t from)
{
    uint64_t kz;
    t->armed = enabled(t) && next_zero(t, from, &kz);
    if (t->armed) {
        loom_time when = tick_time(t, kz);
        t->armed = when != LOOM_TIME_MAX;
        t->kzero = kz;
        if (t->armed) loom_event_schedule(t->ev, when);
    }
    if (!t->armed) loom_event_cancel(t->ev);
}

/* Continue counting from tick k with new settings: the closed form starts
 * again at k from the value the old one gives there. */
static void rebase(sp804_timer *t, uint64_t k)
{
    uint32_t v = count_at(t, k);
    t->k0 = k;
    t->start = v;
    /* Every zero up to k has been signalled (see catch_up). */
    t->zdone = v == 0;
}

static bool level_of(const sp804 *s, unsigned n)
{
    if (s->itcr & 1) return (s->itop >> n) & 1;
    return s->t[n].ris && (s->t[n].control & CTRL_INTEN);
}

static void update_outputs(sp804 *s)
{
    bool l0 = level_of(s, 0), l1 = level_of(s, 1);
    loom_irq_set(s->t[0].line, l0);
    loom_irq_set(s->t[1].line, l1);
    loom_irq_set(s->combined, l0 || l1);
}

/* A register access happens at the initiator's local time, which may be
 * ahead of the simulation: a zero due by then counts as already reached,
 * and its event moves on to the next one. Returns the current tick. */
static uint64_t catch_up(sp804_timer *t, loom_time when)
{
    if (!enabled(t)) return 0;
    uint64_t k = tick_at(t, when);
    if (t->armed && t->kzero <= k) {
        t->ris = 1;
        arm(t, k + 1);
    }
    return k;
}

static void timer_expired(loom_sim *sim, void *opaque)
{
    sp804_timer *t = opaque;
    (void)sim;
    t->armed = false;
    t->ris = 1;
    /* Schedule the next zero before telling anyone: a sink may write back
     * into the timer from its callback. */
    arm(t, t->kzero + 1);
    update_outputs(t->dev);
}

/* ---- Registers ------------------------------------------------------------- */

static loom_time access_time(const sp804 *s, const loom_txn *txn) { return loom_txn_time(s->sim, txn); }

/* Registers 0x00-0x1F belong to timer 1, 0x20-0x3F to timer 2. */
static sp804_timer *timer_of(sp804 *s, const loom_reg *r) { return &s->t[(r->offset >> 5) & 1]; }

static uint64_t value_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    sp804 *s = dev;
    const sp804_timer *t = timer_of(s, r);
    /* The value depends on exactly when the CPU reads it. */
    txn->sync = true;
    return count_at(t, enabled(t) ? tick_at(t, access_time(s, txn)) : 0);
}

/* RIS as seen at the initiator's time, without side effects. */
static uint32_t ris_at(sp804 *s, sp804_timer *t, const loom_txn *txn)
{
    if (t->ris) return 1;
    return enabled(t) && t->armed && t->kzero <= tick_at(t, access_time(s, txn));
}

static uint64_t ris_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    sp804 *s = dev;
    txn->sync = true;
    return ris_at(s, timer_of(s, r), txn);
}

static uint64_t mis_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    sp804 *s = dev;
    sp804_timer *t = timer_of(s, r);
    txn->sync = true;
    return ris_at(s, t, txn) && (t->control & CTRL_INTEN);
}

static void load_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    sp804 *s = dev;
    sp804_timer *t = timer_of(s, r);
    loom_time when = access_time(s, txn);
    catch_up(t, when);
    t->load = (uint32_t)v;
    /* The counter restarts from the new value, in a new clock phase. */
    t->start = t->load & width_mask(t);
    t->zdone = false;
    t->origin = when;
    t->k0 = 0;
    arm(t, 0);
    update_outputs(s);
    txn->sync = true;
}

static void bgload_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    sp804 *s = dev;
    sp804_timer *t = timer_of(s, r);
    loom_time when = access_time(s, txn);
    uint64_t k = catch_up(t, when);
    /* The current count runs on; the new value is used from the next
     * reload. Re-base first so earlier periods keep the old value. */
    if (enabled(t)) rebase(t, k);
    t->load = (uint32_t)v;
    if (enabled(t)) arm(t, k + 1);
    update_outputs(s);
}

static void control_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    sp804 *s = dev;
    sp804_timer *t = timer_of(s, r);
    loom_time when = access_time(s, txn);
    uint32_t old = t->control, now = (uint32_t)v & CTRL_WRITABLE;
    bool was_running = enabled(t);
    uint64_t k = catch_up(t, when);
    txn->sync = true;
    if (!((old ^ now) & CTRL_TIMING)) {
        /* Only IntEnable (or the reserved bit) changed. */
        t->control = now;
        update_outputs(s);
        return;
    }
    if (was_running) rebase(t, k); /* freezes the value if now disabled */
    t->control = now;
    if (t->start > width_mask(t)) t->start &= width_mask(t);
    if (enabled(t)) {
        bool same_phase = was_running && !((old ^ now) & CTRL_PRE_MASK);
        if (!same_phase) {
            t->origin = when;
            t->k0 = 0;
        }
        arm(t, same_phase ? k + 1 : 0);
    } else {
        arm(t, 0); /* cancels */
    }
    update_outputs(s);
}

static void intclr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    sp804 *s = dev;
    sp804_timer *t = timer_of(s, r);
    /* A zero reached before the write is cleared by it too. */
    catch_up(t, access_time(s, txn));
    t->ris = 0;
    update_outputs(s);
    txn->sync = true;
}

static void itcr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    sp804 *s = dev;
    s->itcr = (uint32_t)v & 1;
    update_outputs(s);
    txn->sync = true;
}

static void itop_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    sp804 *s = dev;
    s->itop = (uint32_t)v & 3;
    update_outputs(s);
    txn->sync = true;
}

/* Peripheral ID 0x00141804 (SP804, revision 1, designer ARM) and the
 * PrimeCell ID 0xB105F00D. */
static const uint8_t sp804_id[8] = {0x04, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static uint64_t id_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    return sp804_id[((r->offset - 0xFE0) / 4 + idx) & 7];
}

#define NOFIELD LOOM_REG_NOFIELD
#define TIMER_REGS(n, base)                                                                        \
    {"Timer" #n "Load", (base) + 0x00, 32, 0, LOOM_RW, NULL, load_write,                           \
     offsetof(sp804, t[n - 1].load), 0, 0},                                                        \
    {"Timer" #n "Value", (base) + 0x04, 32, 0xFFFFFFFF, LOOM_RO, value_read, NULL, NOFIELD, 0, 0}, \
    {"Timer" #n "Control", (base) + 0x08, 32, 0x20, LOOM_RW, NULL, control_write,                  \
     offsetof(sp804, t[n - 1].control), 0, 0},                                                     \
    {"Timer" #n "IntClr", (base) + 0x0C, 32, 0, LOOM_WO, NULL, intclr_write, NOFIELD, 0, 0},       \
    {"Timer" #n "RIS", (base) + 0x10, 32, 0, LOOM_RO, ris_read, NULL, offsetof(sp804, t[n - 1].ris), 0, 0}, \
    {"Timer" #n "MIS", (base) + 0x14, 32, 0, LOOM_RO, mis_read, NULL, NOFIELD, 0, 0},              \
    {"Timer" #n "BGLoad", (base) + 0x18, 32, 0, LOOM_RW, NULL, bgload_write,                       \
     offsetof(sp804, t[n - 1].load), 0, 0}

/* DDI 0271 table 3-1. */
static const loom_reg sp804_regs[] = {
    TIMER_REGS(1, 0x00),
    TIMER_REGS(2, 0x20),
    {"TimerITCR", 0xF00, 32, 0, LOOM_RW, NULL, itcr_write, offsetof(sp804, itcr), 0, 0},
    {"TimerITOP", 0xF04, 32, 0, LOOM_WO, NULL, itop_write, offsetof(sp804, itop), 0, 0},
    {"TimerPeriphID", 0xFE0, 32, 0, LOOM_RO, id_read, NULL, NOFIELD, 4, 4},
    {"TimerPCellID", 0xFF0, 32, 0, LOOM_RO, id_read, NULL, NOFIELD, 4, 4},
};

static const loom_regmap sp804_map = {
    .device = "sp804",
    .regs = sp804_regs,
    .nregs = sizeof sp804_regs / sizeof *sp804_regs,
    .endian = LOOM_LITTLE,
    .allow_narrow = false,
};

static void sp804_transport(void *opaque, loom_txn *txn)
{
    sp804 *s = opaque;
    loom_regs_access(&sp804_map, s, s->inst, txn);
}

/* A debugger sees live values: reads here have no side effect beyond the
 * sync request, which a debug access drops. A debug write is a write, as
 * a debugger poking a device register means it. */
static void sp804_debug(void *opaque, loom_txn *txn)
{
    sp804 *s = opaque;
    loom_txn t = *txn;
    t.cmd = loom_cmd_is_write(txn->cmd) ? LOOM_WRITE : LOOM_READ;
    loom_regs_access(&sp804_map, s, s->inst, &t);
    txn->resp = t.resp;
}

static const loom_target_ops sp804_ops = {
    .transport = sp804_transport,
    .debug = sp804_debug,
};

/* ---- Life cycle --------------------------------------------------------------- */

static void sp804_reset(void *state)
{
    sp804 *s = state;
    loom_regs_reset(&sp804_map, s);
    for (unsigned n = 0; n < 2; n++) {
        sp804_timer *t = &s->t[n];
        t->start = 0xFFFFFFFF; /* Value's reset value */
        t->zdone = false;
        t->origin = 0;
        t->k0 = 0;
        t->armed = false;
        t->kzero = 0;
        loom_event_cancel(t->ev);
    }
    update_outputs(s);
}

static loom_err check_clock(loom_inst *inst, const char *prop, uint64_t hz)
{
    if (hz == 0) return loom_inst_error(inst, LOOM_E_CONFIG, "%s must not be 0 Hz", prop);
    if (hz > SP804_MAX_FREQ)
        return loom_inst_error(inst, LOOM_E_CONFIG,
                               "%s of %llu Hz is above 1 THz, finer than picosecond time", prop,
                               (unsigned long long)hz);
    return LOOM_OK;
}

static loom_err sp804_init(loom_inst *inst, void *state)
{
    sp804 *s = state;
    s->inst = inst;
    s->sim = loom_inst_sim(inst);
    uint64_t clk = loom_inst_prop_u64(inst, "clock");
    uint64_t clk1 = loom_inst_prop_u64(inst, "clock1");
    loom_err e = check_clock(inst, "clock", clk);
    if (!e && clk1) e = check_clock(inst, "clock1", clk1);
    if (e) return e;

    loom_irq *lines[2];
    e = loom_inst_add_region(inst, "regs", SP804_SIZE, &sp804_ops, s, NULL);
    if (!e) e = loom_inst_add_output(inst, "irq", 1, &s->combined);
    if (!e) e = loom_inst_add_output(inst, "irq-timer", 2, lines);
    for (unsigned n = 0; n < 2 && !e; n++) {
        sp804_timer *t = &s->t[n];
        t->dev = s;
        t->freq = n == 1 && clk1 ? clk1 : clk;
        t->line = lines[n];
        e = loom_event_new(s->sim, loom_inst_name(inst), n ? "timer1" : "timer0", timer_expired, t,
                           &t->ev);
    }
    return e;
}

static void sp804_save(void *state, loom_buf *b)
{
    const sp804 *s = state;
    loom_buf_put_u8(b, SP804_SAVE_VERSION);
    for (unsigned n = 0; n < 2; n++) {
        const sp804_timer *t = &s->t[n];
        loom_buf_put_u64(b, t->freq); /* to refuse a differently clocked board */
        loom_buf_put_u32(b, t->load);
        loom_buf_put_u32(b, t->control);
        loom_buf_put_u32(b, t->ris);
        loom_buf_put_u64(b, t->origin);
        loom_buf_put_u64(b, t->k0);
        loom_buf_put_u32(b, t->start);
        loom_buf_put_u8(b, t->zdone);
        loom_buf_put_u8(b, t->armed);
        loom_buf_put_u64(b, t->kzero);
    }
    loom_buf_put_u32(b, s->itcr);
    loom_buf_put_u32(b, s->itop);
}

/* The simulation re-arms the pending events (by owner and id) and restores
 * the line levels; the model takes back its fields only. */
static loom_err sp804_restore(void *state, loom_buf *b)
{
    sp804 *s = state;
    unsigned version = loom_buf_get_u8(b);
    if (version != SP804_SAVE_VERSION)
        return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state has version %u, expected %u",
                               version, SP804_SAVE_VERSION);
    sp804_timer saved[2];
    for (unsigned n = 0; n < 2; n++) {
        sp804_timer *t = &saved[n];
        *t = s->t[n];
        uint64_t freq = loom_buf_get_u64(b);
        t->load = loom_buf_get_u32(b);
        t->control = loom_buf_get_u32(b) & CTRL_WRITABLE;
        t->ris = loom_buf_get_u32(b) & 1;
        t->origin = loom_buf_get_u64(b);
        t->k0 = loom_buf_get_u64(b);
        t->start = loom_buf_get_u32(b);
        t->zdone = loom_buf_get_u8(b) != 0;
        t->armed = loom_buf_get_u8(b) != 0;
        t->kzero = loom_buf_get_u64(b);
        if (!b->bad && freq != t->freq)
            return loom_inst_error(s->inst, LOOM_E_STATE,
                                   "timer %u was saved with a %llu Hz clock; this one runs at %llu Hz",
                                   n + 1, (unsigned long long)freq, (unsigned long long)t->freq);
    }
    uint32_t itcr = loom_buf_get_u32(b) & 1, itop = loom_buf_get_u32(b) & 3;
    if (b->bad) return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state is truncated");
    s->t[0] = saved[0];
    s->t[1] = saved[1];
    s->itcr = itcr;
    s->itop = itop;
    return LOOM_OK;
}

static void sp804_fini(void *state)
{
    sp804 *s = state;
    for (unsigned n = 0; n < 2; n++) {
        loom_event_free(s->t[n].ev);
        s->t[n].ev = NULL;
    }
}

static const loom_prop_def sp804_props[] = {
    {"clock", LOOM_PROP_FREQ, "1MHz", "TIMCLK, the counters' clock before the prescaler", NULL},
    {"clock1", LOOM_PROP_FREQ, "0", "clock of the second timer; 0 means the same as clock", NULL},
};

const loom_model_type loom_model_sp804 = {
    .name = "sp804",
    .kind = "timer",
    .doc = "ARM SP804 dual timer: two 32/16-bit down counters, periodic, free-running or one-shot",
    .props = sp804_props,
    .nprops = sizeof sp804_props / sizeof *sp804_props,
    .state_size = sizeof(sp804),
    .init = sp804_init,
    .reset = sp804_reset,
    .save = sp804_save,
    .restore = sp804_restore,
    .fini = sp804_fini,
};
