/* NS16550A UART model: its state, shared with the unit tests. */
#ifndef LOOM_MODELS_UART_NS16550A_H
#define LOOM_MODELS_UART_NS16550A_H

#include "loom/chardev.h"
#include "loom/model.h"

#define NS16550A_FIFO_DEPTH 16

typedef struct ns16550a_state {
    loom_inst *inst;
    loom_chardev *cd;
    loom_irq *irq;

    /* The register table depends on reg-shift and reg-io-width, so each
     * instance builds its own from a static template. */
    unsigned shift, width;
    loom_reg regs[8];
    loom_regmap map;

    /* Register fields are uint32_t because the table addresses some. */
    uint32_t dll, dlm, ier, fcr, lcr, mcr, scr;
    uint32_t lsr_err; /* LSR's sticky bits: OE, PE, FE, BI */
    uint32_t msr;     /* modem inputs (bits 7:4) and their deltas (3:0) */

    /* Receive FIFO; one entry is used while FCR0 is clear. */
    uint8_t rx_fifo[NS16550A_FIFO_DEPTH];
    uint32_t rx_head, rx_count;

    bool thr_ipending; /* THRE interrupt latched: cleared by an IIR read that
                        * reports it or a THR write */
} ns16550a_state;

extern const loom_model_type loom_model_ns16550a;

#endif
