/* NS16550A UART, after the National/TI PC16550D datasheet. Transmission is
 * instant (THR and the transmit FIFO are always empty); the receive FIFO is
 * modelled and fed from the character back end only while it has room, so
 * no host input is lost. Works the same in a memory or a port-I/O space. */
#include <string.h>

#include "loom/loom.h"
#include "ns16550a.h"

/* IER */
enum { IER_ERBFI = 1u << 0, IER_ETBEI = 1u << 1, IER_ELSI = 1u << 2, IER_EDSSI = 1u << 3 };
/* IIR interrupt identification, highest priority first (datasheet table 4). */
enum {
    IIR_NONE = 0x01, IIR_RLS = 0x06, IIR_RDA = 0x04, IIR_CTI = 0x0c, IIR_THRI = 0x02,
    IIR_MSI = 0x00, IIR_FIFO = 0xc0,
};
/* FCR */
enum { FCR_ENABLE = 1u << 0, FCR_RXRESET = 1u << 1, FCR_TXRESET = 1u << 2, FCR_KEEP = 0xc9 };
/* LCR, MCR */
enum { LCR_DLAB = 1u << 7 };
enum { MCR_DTR = 1u << 0, MCR_RTS = 1u << 1, MCR_OUT1 = 1u << 2, MCR_OUT2 = 1u << 3, MCR_LOOP = 1u << 4 };
/* LSR */
enum {
    LSR_DR = 1u << 0, LSR_OE = 1u << 1, LSR_PE = 1u << 2, LSR_FE = 1u << 3, LSR_BI = 1u << 4,
    LSR_THRE = 1u << 5, LSR_TEMT = 1u << 6, LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI,
};
/* MSR */
enum {
    MSR_DCTS = 1u << 0, MSR_DDSR = 1u << 1, MSR_TERI = 1u << 2, MSR_DDCD = 1u << 3,
    MSR_CTS = 1u << 4, MSR_DSR = 1u << 5, MSR_RI = 1u << 6, MSR_DCD = 1u << 7,
    MSR_DELTAS = 0x0f,
};

#define NS16550A_SAVE_VERSION 1

/* ---- Receive path and interrupts -------------------------------------- */

static bool fifo_on(const ns16550a_state *s) { return (s->fcr & FCR_ENABLE) != 0; }

static unsigned rx_depth(const ns16550a_state *s)
{
    return fifo_on(s) ? NS16550A_FIFO_DEPTH : 1;
}

/* FCR bits 7:6 select 1, 4, 8 or 14 bytes. */
static unsigned rx_trigger(const ns16550a_state *s)
{
    static const uint8_t level[4] = {1, 4, 8, 14};
    return fifo_on(s) ? level[(s->fcr >> 6) & 3] : 1;
}

/* The character timeout should come four character times after the last
 * character moved; we let that time pass at once, so it is pending while
 * characters wait below the trigger level. */
static unsigned iir_source(const ns16550a_state *s)
{
    if ((s->ier & IER_ELSI) && (s->lsr_err & LSR_ERRORS)) return IIR_RLS;
    if ((s->ier & IER_ERBFI) && s->rx_count) {
        if (s->rx_count >= rx_trigger(s)) return IIR_RDA;
        return IIR_CTI;
    }
    if ((s->ier & IER_ETBEI) && s->thr_ipending) return IIR_THRI;
    if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS)) return IIR_MSI;
    return IIR_NONE;
}

/* The chip's INTRPT pin. On a PC, OUT2 gates it on the board, not in the
 * chip, so it is not applied here. */
static void update_irq(ns16550a_state *s)
{
    loom_irq_set(s->irq, iir_source(s) != IIR_NONE);
}

static void rx_clear(ns16550a_state *s)
{
    s->rx_head = s->rx_count = 0;
}

static void rx_push(ns16550a_state *s, uint8_t c)
{
    if (s->rx_count < rx_depth(s)) {
        s->rx_fifo[(s->rx_head + s->rx_count) % NS16550A_FIFO_DEPTH] = c;
        s->rx_count++;
        return;
    }
    /* Overrun. Without FIFOs the new character replaces the unread one in
     * RBR; with FIFOs it dies in the shift register (datasheet, LSR1). */
    s->lsr_err |= LSR_OE;
    if (!fifo_on(s)) s->rx_fifo[s->rx_head] = c;
}

/* In loopback the receiver hears only the transmitter: host input waits. */
static void rx_pull(ns16550a_state *s)
{
    while (!(s->mcr & MCR_LOOP) && s->rx_count < rx_depth(s) && loom_chardev_pending(s->cd)) {
        uint8_t c;
        if (loom_chardev_read(s->cd, &c, 1) != 1) break;
        rx_push(s, c);
    }
}

static void rx_notify(void *opaque)
{
    ns16550a_state *s = opaque;
    rx_pull(s);
    update_irq(s);
}

/* Modem inputs: in loopback the outputs drive them (RTS->CTS, DTR->DSR,
 * OUT1->RI, OUT2->DCD); otherwise a host end that is always ready. */
static uint32_t msr_inputs(const ns16550a_state *s)
{
    if (!(s->mcr & MCR_LOOP)) return MSR_CTS | MSR_DSR | MSR_DCD;
    uint32_t in = 0;
    if (s->mcr & MCR_RTS) in |= MSR_CTS;
    if (s->mcr & MCR_DTR) in |= MSR_DSR;
    if (s->mcr & MCR_OUT1) in |= MSR_RI;
    if (s->mcr & MCR_OUT2) in |= MSR_DCD;
    return in;
}

static void msr_update_inputs(ns16550a_state *s)
{
    uint32_t old = s->msr & 0xf0, now = msr_inputs(s), chg = old ^ now;
    uint32_t d = s->msr & MSR_DELTAS;
    if (chg & MSR_CTS) d |= MSR_DCTS;
    if (chg & MSR_DSR) d |= MSR_DDSR;
    if (chg & MSR_DCD) d |= MSR_DDCD;
    if ((old & MSR_RI) && !(now & MSR_RI)) d |= MSR_TERI; /* trailing edge only */
    s->msr = now | d;
}

/* ---- Registers ---------------------------------------------------------
 * Offsets in the template are register numbers; init scales them by
 * reg-shift and sets the width from reg-io-width. */

static bool dlab(const ns16550a_state *s) { return (s->lcr & LCR_DLAB) != 0; }

static uint64_t rbr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    ns16550a_state *s = dev;
    if (dlab(s)) return s->dll;
    if (!s->rx_count) return 0;
    uint8_t c = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % NS16550A_FIFO_DEPTH;
    s->rx_count--;
    rx_pull(s);
    update_irq(s);
    return c;
}

static void thr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ns16550a_state *s = dev;
    uint8_t c = (uint8_t)v;
    if (dlab(s)) {
        s->dll = c;
        return;
    }
    if (s->mcr & MCR_LOOP) rx_push(s, c);
    else loom_chardev_write(s->cd, &c, 1);
    /* The write clears THRE and the instant transmission sets it again. */
    s->thr_ipending = true;
    update_irq(s);
}

static uint64_t ier_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    ns16550a_state *s = dev;
    return dlab(s) ? s->dlm : s->ier;
}

static void ier_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ns16550a_state *s = dev;
    if (dlab(s)) {
        s->dlm = (uint32_t)v & 0xff;
        return;
    }
    uint32_t old = s->ier;
    s->ier = (uint32_t)v & 0x0f;
    /* Enabling ETBEI while THR is empty interrupts at once; drivers (Linux
     * 8250's THRE test among them) count on it. */
    if (!(old & IER_ETBEI) && (s->ier & IER_ETBEI)) s->thr_ipending = true;
    update_irq(s);
}

static uint64_t iir_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    ns16550a_state *s = dev;
    unsigned src = iir_source(s);
    if (src == IIR_THRI) {
        s->thr_ipending = false;
        update_irq(s);
    }
    return src | (fifo_on(s) ? IIR_FIFO : 0);
}

static void fcr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ns16550a_state *s = dev;
    bool was_on = fifo_on(s);
    /* The other bits are programmed only together with FCR0. */
    uint32_t fcr = (v & FCR_ENABLE) ? (uint32_t)v & 0xff : 0;
    if (was_on != !!(fcr & FCR_ENABLE)) rx_clear(s); /* switching mode empties both FIFOs */
    if (fcr & FCR_RXRESET) rx_clear(s);
    /* FCR_TXRESET: the transmit FIFO is always empty already. */
    s->fcr = fcr & FCR_KEEP;
    rx_pull(s);
    update_irq(s);
}

static void lcr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ((ns16550a_state *)dev)->lcr = (uint32_t)v & 0xff;
}

static void mcr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ns16550a_state *s = dev;
    s->mcr = (uint32_t)v & 0x1f;
    msr_update_inputs(s);
    rx_pull(s); /* leaving loopback lets host input in again */
    update_irq(s);
}

static uint64_t lsr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    ns16550a_state *s = dev;
    uint32_t v = s->lsr_err | LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
    /* LSR7 (an error in the FIFO) stays clear: no character carries one. */
    s->lsr_err = 0;
    update_irq(s);
    return v;
}

static uint64_t msr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    ns16550a_state *s = dev;
    uint32_t v = s->msr;
    s->msr &= ~(uint32_t)MSR_DELTAS;
    update_irq(s);
    return v;
}

/* LSR and MSR writes are for factory testing only (datasheet 8.6.3). */
static void status_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ns16550a_state *s = dev;
    loom_inst_log(s->inst, LOOM_LOG_GUEST_ERRORS, "write of 0x%x to %s ignored\n", (unsigned)v,
                  r->name);
}

static void scr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ((ns16550a_state *)dev)->scr = (uint32_t)v & 0xff;
}

#define F(m) offsetof(ns16550a_state, m)
#define NOF LOOM_REG_NOFIELD

static const loom_reg ns16550a_template[8] = {
    /* name           reg bits reset access   read      write         field */
    {"RBR/THR/DLL",   0,  8,   0,    LOOM_RW, rbr_read, thr_write,    NOF, 0, 0},
    {"IER/DLM",       1,  8,   0,    LOOM_RW, ier_read, ier_write,    NOF, 0, 0},
    {"IIR/FCR",       2,  8,   0x01, LOOM_RW, iir_read, fcr_write,    NOF, 0, 0},
    {"LCR",           3,  8,   0,    LOOM_RW, NULL,     lcr_write,    F(lcr), 0, 0},
    {"MCR",           4,  8,   0,    LOOM_RW, NULL,     mcr_write,    F(mcr), 0, 0},
    {"LSR",           5,  8,   0x60, LOOM_RW, lsr_read, status_write, NOF, 0, 0},
    {"MSR",           6,  8,   0,    LOOM_RW, msr_read, status_write, NOF, 0, 0},
    {"SCR",           7,  8,   0,    LOOM_RW, NULL,     scr_write,    F(scr), 0, 0},
};

static void ns16550a_access(void *opaque, loom_txn *txn)
{
    ns16550a_state *s = opaque;
    loom_regs_access(&s->map, s, s->inst, txn);
}

static const loom_target_ops ns16550a_ops = {ns16550a_access, NULL, ns16550a_access};

/* ---- Life cycle ------------------------------------------------------------- */

static loom_err ns16550a_init(loom_inst *inst, void *state)
{
    ns16550a_state *s = state;
    loom_sim *sim = loom_inst_sim(inst);
    s->inst = inst;

    int64_t shift = loom_inst_prop_i64(inst, "reg-shift");
    int64_t width = loom_inst_prop_i64(inst, "reg-io-width");
    if (shift < 0 || shift > 8)
        return loom_inst_error(inst, LOOM_E_CONFIG, "reg-shift is %lld; it must be 0 to 8",
                               (long long)shift);
    if (width != 1 && width != 4)
        return loom_inst_error(inst, LOOM_E_CONFIG, "reg-io-width is %lld; it must be 1 or 4",
                               (long long)width);
    if (width > (1 << shift))
        return loom_inst_error(inst, LOOM_E_CONFIG,
                               "reg-io-width %lld does not fit a register spacing of %d bytes "
                               "(reg-shift %lld)",
                               (long long)width, 1 << shift, (long long)shift);
    s->shift = (unsigned)shift;
    s->width = (unsigned)width;
    for (unsigned i = 0; i < 8; i++) {
        s->regs[i] = ns16550a_template[i];
        s->regs[i].offset = i << s->shift;
        s->regs[i].bits = (uint8_t)(8 * s->width);
    }
    s->map = (loom_regmap){"ns16550a", s->regs, 8, LOOM_LITTLE, true};

    loom_err e = loom_inst_add_region(inst, "regs", 8u << s->shift, &ns16550a_ops, s, NULL);
    if (!e) e = loom_inst_add_output(inst, "irq", 1, &s->irq);
    if (e) return e;
    e = loom_chardev_open(sim, loom_inst_prop_str(inst, "chardev"), &s->cd);
    if (e) {
        char why[512];
        snprintf(why, sizeof why, "%s", loom_sim_last_error(sim));
        return loom_inst_error(inst, e, "chardev: %s", why);
    }
    loom_chardev_set_rx_notify(s->cd, rx_notify, s);
    return LOOM_OK;
}

/* Master reset (datasheet table 9); the divisor latch and scratch register
 * are cleared too, as at power-on. */
static void ns16550a_reset(void *state)
{
    ns16550a_state *s = state;
    s->dll = s->dlm = s->ier = s->fcr = s->lcr = s->mcr = s->scr = 0;
    s->lsr_err = 0;
    s->msr = msr_inputs(s);
    s->thr_ipending = false;
    rx_clear(s);
    update_irq(s);
}

static void ns16550a_save(void *state, loom_buf *b)
{
    ns16550a_state *s = state;
    loom_buf_put_u8(b, NS16550A_SAVE_VERSION);
    const uint32_t regs[] = {s->dll, s->dlm, s->ier, s->fcr, s->lcr,
                             s->mcr, s->scr, s->lsr_err, s->msr};
    for (size_t i = 0; i < sizeof regs / sizeof *regs; i++) loom_buf_put_u32(b, regs[i]);
    loom_buf_put_u32(b, s->rx_count);
    for (uint32_t i = 0; i < s->rx_count; i++)
        loom_buf_put_u8(b, s->rx_fifo[(s->rx_head + i) % NS16550A_FIFO_DEPTH]);
    loom_buf_put_u8(b, s->thr_ipending);
}

static loom_err ns16550a_restore(void *state, loom_buf *b)
{
    ns16550a_state *s = state;
    if (loom_buf_get_u8(b) != NS16550A_SAVE_VERSION)
        return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state has an unknown version");
    uint32_t *regs[] = {&s->dll, &s->dlm, &s->ier, &s->fcr, &s->lcr,
                        &s->mcr, &s->scr, &s->lsr_err, &s->msr};
    for (size_t i = 0; i < sizeof regs / sizeof *regs; i++) *regs[i] = loom_buf_get_u32(b);
    uint32_t n = loom_buf_get_u32(b);
    if (b->bad || n > NS16550A_FIFO_DEPTH)
        return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved receive FIFO is malformed");
    s->rx_head = 0;
    s->rx_count = n;
    for (uint32_t i = 0; i < n; i++) s->rx_fifo[i] = loom_buf_get_u8(b);
    s->thr_ipending = loom_buf_get_u8(b) != 0;
    if (b->bad) return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state is truncated");
    loom_irq_restore_level(s->irq, iir_source(s) != IIR_NONE);
    return LOOM_OK;
}

/* Instances are freed before the back ends they opened. */
static void ns16550a_fini(void *state)
{
    ns16550a_state *s = state;
    if (s->cd) loom_chardev_set_rx_notify(s->cd, NULL, NULL);
}

static const loom_prop_def ns16550a_props[] = {
    {"chardev", LOOM_PROP_STRING, "null",
     "character back end: stdio, null, file:PATH, tcp::PORT,server, unix:PATH,server", NULL},
    {"reg-shift", LOOM_PROP_INT, "0", "register spacing is 1 << reg-shift bytes", NULL},
    {"reg-io-width", LOOM_PROP_INT, "1", "access width of each register in bytes: 1 or 4", NULL},
};

const loom_model_type loom_model_ns16550a = {
    .name = "ns16550a",
    .kind = "uart",
    .doc = "National Semiconductor NS16550A UART with 16-byte FIFOs",
    .props = ns16550a_props,
    .nprops = sizeof ns16550a_props / sizeof *ns16550a_props,
    .state_size = sizeof(ns16550a_state),
    .init = ns16550a_init,
    .reset = ns16550a_reset,
    .save = ns16550a_save,
    .restore = ns16550a_restore,
    .fini = ns16550a_fini,
};
