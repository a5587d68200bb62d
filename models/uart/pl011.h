/* ARM PrimeCell UART (PL011) model: its state, shared with the unit tests. */
#ifndef LOOM_MODELS_UART_PL011_H
#define LOOM_MODELS_UART_PL011_H

#include "loom/chardev.h"
#include "loom/model.h"

#define PL011_FIFO_DEPTH 32

/* Register fields are uint32_t because the register table addresses them
 * (model.h: fields of registers up to 32 bits are uint32_t). */
typedef struct pl011_state {
    loom_inst *inst;
    loom_chardev *cd;
    loom_irq *irq;

    uint32_t rsr;   /* receive status: FE, PE, BE, OE of the last character read */
    uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, dmacr;
    uint32_t ris;   /* raw interrupt status */
    uint32_t id[8]; /* UARTPeriphID0-3, UARTPCellID0-3 */

    /* Receive FIFO: 8 data bits and 4 error bits per entry, as UARTDR reads
     * them. Only one entry is used while FEN is clear. */
    uint16_t rx_fifo[PL011_FIFO_DEPTH];
    uint32_t rx_head, rx_count;

    bool rx_overrun;    /* a character was lost: the next one in carries OE */
    bool tx_off_logged; /* "transmit while disabled" was reported */
} pl011_state;

extern const loom_model_type loom_model_pl011;

#endif
