/* ARM PrimeCell UART (PL011), after the Technical Reference Manual (ARM DDI
 * 0183, r1p5). Transmission is instant, so the transmit FIFO is always
 * empty; the receive FIFO is modelled, fed from the character back end only
 * while it has room, so no host input is lost. */
#include <string.h>

#include "loom/loom.h"
#include "pl011.h"

/* UARTFR */
enum {
    FR_CTS = 1u << 0, FR_DSR = 1u << 1, FR_DCD = 1u << 2, FR_BUSY = 1u << 3,
    FR_RXFE = 1u << 4, FR_TXFF = 1u << 5, FR_RXFF = 1u << 6, FR_TXFE = 1u << 7,
    FR_RI = 1u << 8,
};
/* UARTLCR_H */
enum { LCRH_FEN = 1u << 4 };
/* UARTCR */
enum {
    CR_UARTEN = 1u << 0, CR_LBE = 1u << 7, CR_TXE = 1u << 8, CR_RXE = 1u << 9,
    CR_DTR = 1u << 10, CR_RTS = 1u << 11, CR_OUT1 = 1u << 12, CR_OUT2 = 1u << 13,
    CR_MASK = 0xff87,
};
/* UARTRIS, UARTMIS, UARTIMSC, UARTICR */
enum {
    INT_RX = 1u << 4, INT_TX = 1u << 5, INT_RT = 1u << 6, INT_OE = 1u << 10,
    INT_MASK = 0x7ff,
};
/* UARTDR error bits as read with each character; UARTRSR holds them >> 8. */
enum { DR_OE = 1u << 11, RSR_OE = 1u << 3 };

#define PL011_SAVE_VERSION 1

/* ---- Receive path ------------------------------------------------------- */

static unsigned rx_depth(const pl011_state *s)
{
    return (s->lcr_h & LCRH_FEN) ? PL011_FIFO_DEPTH : 1;
}

/* UARTIFLS RXIFLSEL: 1/8, 1/4, 1/2, 3/4, 7/8 full; the reserved codes are
 * taken as 1/2, the reset value. Character mode interrupts on each byte. */
static unsigned rx_trigger(const pl011_state *s)
{
    static const uint8_t level[8] = {4, 8, 16, 24, 28, 16, 16, 16};
    return (s->lcr_h & LCRH_FEN) ? level[(s->ifls >> 3) & 7] : 1;
}

static bool rx_enabled(const pl011_state *s)
{
    return (s->cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE);
}

static bool tx_enabled(const pl011_state *s)
{
    return (s->cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE);
}

static void update_irq(pl011_state *s)
{
    loom_irq_set(s->irq, (s->ris & s->imsc) != 0);
}

/* Re-evaluate the receive interrupts after the FIFO changed. RX follows the
 * trigger level (TRM 3.4.3: cleared by reading below the level). The
 * receive timeout should assert 32 bit periods after the last character;
 * we let that period pass at once, so RT is set whenever characters wait
 * below the trigger level, and it clears when the FIFO empties. Either may
 * still be cleared early through UARTICR. */
static void rx_changed(pl011_state *s)
{
    unsigned trig = rx_trigger(s);
    if (s->rx_count >= trig) s->ris |= INT_RX;
    else s->ris &= ~(uint32_t)INT_RX;
    if (s->rx_count == 0) s->ris &= ~(uint32_t)INT_RT;
    else if (s->rx_count < trig) s->ris |= INT_RT;
}

static void rx_push(pl011_state *s, uint8_t c)
{
    if (s->rx_count >= rx_depth(s)) {
        /* The character in the shift register is lost; the FIFO keeps its
         * contents and the next character that gets in carries OE. */
        s->rsr |= RSR_OE;
        s->ris |= INT_OE;
        s->rx_overrun = true;
        return;
    }
    uint16_t entry = c;
    if (s->rx_overrun) entry |= DR_OE;
    s->rx_overrun = false;
    s->rx_fifo[(s->rx_head + s->rx_count) % PL011_FIFO_DEPTH] = entry;
    s->rx_count++;
    rx_changed(s);
}

/* Take host input while the FIFO has room. In loopback the receiver listens
 * to the transmitter only, so host input waits. */
static void rx_pull(pl011_state *s)
{
    while (rx_enabled(s) && !(s->cr & CR_LBE) && s->rx_count < rx_depth(s) &&
           loom_chardev_pending(s->cd)) {
        uint8_t c;
        if (loom_chardev_read(s->cd, &c, 1) != 1) break;
        rx_push(s, c);
    }
}

static void rx_notify(void *opaque)
{
    pl011_state *s = opaque;
    rx_pull(s);
    update_irq(s);
}

/* ---- Registers ------------------------------------------------------------ */

static uint64_t dr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    pl011_state *s = dev;
    if (!s->rx_count) return 0;
    uint16_t entry = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % PL011_FIFO_DEPTH;
    s->rx_count--;
    /* UARTRSR: FE, PE, BE describe the character just read; OE stays until
     * UARTECR is written. */
    s->rsr = (s->rsr & RSR_OE) | ((entry >> 8) & 0x7);
    rx_changed(s);
    rx_pull(s);
    update_irq(s);
    return entry;
}

static void dr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl011_state *s = dev;
    uint8_t c = (uint8_t)v;
    if (!tx_enabled(s)) {
        /* Real hardware sends nothing; QEMU sends anyway. Say so once, as
         * firmware written against QEMU often forgets UARTEN. */
        if (!s->tx_off_logged)
            loom_inst_log(s->inst, LOOM_LOG_GUEST_ERRORS,
                          "UARTDR written while %s is clear (UARTCR=0x%x): character dropped\n",
                          (s->cr & CR_UARTEN) ? "TXE" : "UARTEN", (unsigned)s->cr);
        s->tx_off_logged = true;
        return;
    }
    if (s->cr & CR_LBE) {
        if (rx_enabled(s)) rx_push(s, c);
    } else {
        loom_chardev_write(s->cd, &c, 1);
    }
    /* The transmit FIFO drained through its trigger level at once. */
    s->ris |= INT_TX;
    update_irq(s);
}

static void ecr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ((pl011_state *)dev)->rsr = 0;
}

/* The modem inputs are not connected (read as deasserted) except in
 * loopback, where the TRM routes RTS to CTS, DTR to DSR, Out1 to DCD and
 * Out2 to RI. */
static uint64_t fr_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    pl011_state *s = dev;
    uint32_t fr = FR_TXFE;
    if (!s->rx_count) fr |= FR_RXFE;
    if (s->rx_count >= rx_depth(s)) fr |= FR_RXFF;
    if (s->cr & CR_LBE) {
        if (s->cr & CR_RTS) fr |= FR_CTS;
        if (s->cr & CR_DTR) fr |= FR_DSR;
        if (s->cr & CR_OUT1) fr |= FR_DCD;
        if (s->cr & CR_OUT2) fr |= FR_RI;
    }
    return fr;
}

static void ilpr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ((pl011_state *)dev)->ilpr = (uint32_t)v & 0xff;
}

static void ibrd_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ((pl011_state *)dev)->ibrd = (uint32_t)v & 0xffff;
}

static void fbrd_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    ((pl011_state *)dev)->fbrd = (uint32_t)v & 0x3f;
}

static void lcr_h_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl011_state *s = dev;
    /* Switching FEN keeps what the FIFO holds: it drains one read at a
     * time and refills only below the new depth. */
    s->lcr_h = (uint32_t)v & 0xff;
    rx_changed(s);
    rx_pull(s);
    update_irq(s);
}

static void cr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl011_state *s = dev;
    bool tx_was = tx_enabled(s);
    s->cr = (uint32_t)v & CR_MASK;
    /* An enabled transmitter with an empty FIFO is at its trigger level. */
    if (!tx_was && tx_enabled(s)) s->ris |= INT_TX;
    rx_pull(s);
    update_irq(s);
}

static void ifls_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl011_state *s = dev;
    s->ifls = (uint32_t)v & 0x3f;
    rx_changed(s);
    update_irq(s);
}

static void imsc_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl011_state *s = dev;
    s->imsc = (uint32_t)v & INT_MASK;
    update_irq(s);
}

static uint64_t mis_read(void *dev, const loom_reg *r, unsigned idx, loom_txn *txn)
{
    pl011_state *s = dev;
    return s->ris & s->imsc;
}

static void icr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl011_state *s = dev;
    s->ris &= ~((uint32_t)v & INT_MASK);
    update_irq(s);
}

static void dmacr_write(void *dev, const loom_reg *r, unsigned idx, uint64_t v, loom_txn *txn)
{
    pl011_state *s = dev;
    s->dmacr = (uint32_t)v & 0x7;
    if (s->dmacr)
        loom_inst_log(s->inst, LOOM_LOG_UNIMP, "DMA requests (UARTDMACR=0x%x) are not modelled\n",
                      (unsigned)s->dmacr);
}

#define F(m) offsetof(pl011_state, m)
#define NOF LOOM_REG_NOFIELD

static const loom_reg pl011_regs[] = {
    /* name       offset bits reset  access   read     write        field */
    {"UARTDR",    0x000, 32, 0,      LOOM_RW, dr_read, dr_write,    NOF, 0, 0},
    {"UARTRSR",   0x004, 32, 0,      LOOM_RW, NULL,    ecr_write,   F(rsr), 0, 0},
    {"UARTFR",    0x018, 32, 0x90,   LOOM_RO, fr_read, NULL,        NOF, 0, 0},
    {"UARTILPR",  0x020, 32, 0,      LOOM_RW, NULL,    ilpr_write,  F(ilpr), 0, 0},
    {"UARTIBRD",  0x024, 32, 0,      LOOM_RW, NULL,    ibrd_write,  F(ibrd), 0, 0},
    {"UARTFBRD",  0x028, 32, 0,      LOOM_RW, NULL,    fbrd_write,  F(fbrd), 0, 0},
    {"UARTLCR_H", 0x02c, 32, 0,      LOOM_RW, NULL,    lcr_h_write, F(lcr_h), 0, 0},
    {"UARTCR",    0x030, 32, 0x300,  LOOM_RW, NULL,    cr_write,    F(cr), 0, 0},
    {"UARTIFLS",  0x034, 32, 0x12,   LOOM_RW, NULL,    ifls_write,  F(ifls), 0, 0},
    {"UARTIMSC",  0x038, 32, 0,      LOOM_RW, NULL,    imsc_write,  F(imsc), 0, 0},
    {"UARTRIS",   0x03c, 32, 0,      LOOM_RO, NULL,    NULL,        F(ris), 0, 0},
    {"UARTMIS",   0x040, 32, 0,      LOOM_RO, mis_read, NULL,       NOF, 0, 0},
    {"UARTICR",   0x044, 32, 0,      LOOM_WO, NULL,    icr_write,   NOF, 0, 0},
    {"UARTDMACR", 0x048, 32, 0,      LOOM_RW, NULL,    dmacr_write, F(dmacr), 0, 0},
    /* Identification: part 0x011, designer 0x41 (ARM), revision 1 (r1p5). */
    {"UARTPeriphID0", 0xfe0, 32, 0x11, LOOM_RO, NULL, NULL, F(id[0]), 0, 0},
    {"UARTPeriphID1", 0xfe4, 32, 0x10, LOOM_RO, NULL, NULL, F(id[1]), 0, 0},
    {"UARTPeriphID2", 0xfe8, 32, 0x14, LOOM_RO, NULL, NULL, F(id[2]), 0, 0},
    {"UARTPeriphID3", 0xfec, 32, 0x00, LOOM_RO, NULL, NULL, F(id[3]), 0, 0},
    {"UARTPCellID0",  0xff0, 32, 0x0d, LOOM_RO, NULL, NULL, F(id[4]), 0, 0},
    {"UARTPCellID1",  0xff4, 32, 0xf0, LOOM_RO, NULL, NULL, F(id[5]), 0, 0},
    {"UARTPCellID2",  0xff8, 32, 0x05, LOOM_RO, NULL, NULL, F(id[6]), 0, 0},
    {"UARTPCellID3",  0xffc, 32, 0xb1, LOOM_RO, NULL, NULL, F(id[7]), 0, 0},
};

/* Narrow accesses are allowed: bare-metal code often stores a byte to
 * UARTDR or loads a byte from UARTFR. */
static const loom_regmap pl011_map = {
    "pl011", pl011_regs, sizeof pl011_regs / sizeof *pl011_regs, LOOM_LITTLE, true};

static void pl011_access(void *opaque, loom_txn *txn)
{
    pl011_state *s = opaque;
    loom_regs_access(&pl011_map, s, s->inst, txn);
}

static const loom_target_ops pl011_ops = {pl011_access, NULL, pl011_access};

/* ---- Life cycle ------------------------------------------------------------- */

static loom_err pl011_init(loom_inst *inst, void *state)
{
    pl011_state *s = state;
    loom_sim *sim = loom_inst_sim(inst);
    s->inst = inst;
    loom_err e = loom_inst_add_region(inst, "regs", 0x1000, &pl011_ops, s, NULL);
    if (!e) e = loom_inst_add_output(inst, "irq", 1, &s->irq);
    if (e) return e;
    const char *spec = loom_inst_prop_str(inst, "chardev");
    e = loom_chardev_open(sim, spec, &s->cd);
    if (e) {
        char why[512];
        snprintf(why, sizeof why, "%s", loom_sim_last_error(sim));
        return loom_inst_error(inst, e, "chardev: %s", why);
    }
    loom_chardev_set_rx_notify(s->cd, rx_notify, s);
    return LOOM_OK;
}

static void pl011_reset(void *state)
{
    pl011_state *s = state;
    loom_regs_reset(&pl011_map, s);
    s->rx_head = s->rx_count = 0;
    s->rx_overrun = false;
    update_irq(s);
}

static void pl011_save(void *state, loom_buf *b)
{
    pl011_state *s = state;
    loom_buf_put_u8(b, PL011_SAVE_VERSION);
    const uint32_t regs[] = {s->rsr, s->ilpr, s->ibrd, s->fbrd, s->lcr_h,
                             s->cr,  s->ifls, s->imsc, s->dmacr, s->ris};
    for (size_t i = 0; i < sizeof regs / sizeof *regs; i++) loom_buf_put_u32(b, regs[i]);
    loom_buf_put_u32(b, s->rx_count);
    for (uint32_t i = 0; i < s->rx_count; i++) {
        uint16_t e = s->rx_fifo[(s->rx_head + i) % PL011_FIFO_DEPTH];
        loom_buf_put_u8(b, (uint8_t)e);
        loom_buf_put_u8(b, (uint8_t)(e >> 8));
    }
    loom_buf_put_u8(b, s->rx_overrun);
    loom_buf_put_u8(b, s->tx_off_logged);
}

static loom_err pl011_restore(void *state, loom_buf *b)
{
    pl011_state *s = state;
    if (loom_buf_get_u8(b) != PL011_SAVE_VERSION)
        return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state has an unknown version");
    uint32_t *regs[] = {&s->rsr, &s->ilpr, &s->ibrd, &s->fbrd, &s->lcr_h,
                        &s->cr,  &s->ifls, &s->imsc, &s->dmacr, &s->ris};
    for (size_t i = 0; i < sizeof regs / sizeof *regs; i++) *regs[i] = loom_buf_get_u32(b);
    uint32_t n = loom_buf_get_u32(b);
    if (b->bad || n > PL011_FIFO_DEPTH)
        return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved receive FIFO is malformed");
    s->rx_head = 0;
    s->rx_count = n;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t lo = loom_buf_get_u8(b), hi = loom_buf_get_u8(b);
        s->rx_fifo[i] = (uint16_t)(lo | hi << 8);
    }
    s->rx_overrun = loom_buf_get_u8(b) != 0;
    s->tx_off_logged = loom_buf_get_u8(b) != 0;
    if (b->bad) return loom_inst_error(s->inst, LOOM_E_FORMAT, "saved state is truncated");
    /* The simulation restores line levels itself; this only keeps ours in
     * step with the registers just read. */
    loom_irq_restore_level(s->irq, (s->ris & s->imsc) != 0);
    return LOOM_OK;
}

/* Instances are freed before the back ends they opened, so detaching here
 * is safe and keeps a late notify away from freed state. */
static void pl011_fini(void *state)
{
    pl011_state *s = state;
    if (s->cd) loom_chardev_set_rx_notify(s->cd, NULL, NULL);
}

static const loom_prop_def pl011_props[] = {
    {"chardev", LOOM_PROP_STRING, "null",
     "character back end: stdio, null, file:PATH, tcp::PORT,server, unix:PATH,server", NULL},
};

/* Linux's binding: the UART clock and the bus clock, both the board's. */
static void pl011_dt(const loom_inst *inst, loom_dt *dt)
{
    uint32_t clk = loom_dt_apb_clock(dt);
    loom_dt_cells(dt, "clocks", (const uint32_t[]){clk, clk}, 2);
    loom_dt_strings(dt, "clock-names", (const char *const[]){"uartclk", "apb_pclk", NULL});
}

const loom_model_type loom_model_pl011 = {
    .name = "pl011",
    .kind = "uart",
    .doc = "ARM PrimeCell UART (PL011)",
    .props = pl011_props,
    .nprops = sizeof pl011_props / sizeof *pl011_props,
    .state_size = sizeof(pl011_state),
    .init = pl011_init,
    .reset = pl011_reset,
    .save = pl011_save,
    .restore = pl011_restore,
    .fini = pl011_fini,
    .dt_name = "pl011",
    .dt_compatible = (const char *const[]){"arm,pl011", "arm,primecell", NULL},
    .dt_node = pl011_dt,
};
