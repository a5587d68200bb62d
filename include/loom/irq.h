/* Interrupt lines: a named level signal with one driver and several sinks. */
#ifndef LOOM_IRQ_H
#define LOOM_IRQ_H

#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A sink receives the new level with the input index it was connected as.
 * Edge-triggered inputs are modelled by the sink (it sees every change). */
typedef void (*loom_irq_sink_fn)(void *opaque, unsigned n, bool level);

/* The simulation owns the line; its owner is the one driver. */
loom_err loom_irq_new(loom_sim *sim, const char *name, loom_irq **out);
const char *loom_irq_name(const loom_irq *irq);
loom_err loom_irq_connect(loom_irq *irq, loom_irq_sink_fn fn, void *opaque, unsigned n);
unsigned loom_irq_sink_count(const loom_irq *irq);
/* Sinks are called only when the level changes. */
void loom_irq_set(loom_irq *irq, bool level);
static inline void loom_irq_raise(loom_irq *irq) { loom_irq_set(irq, true); }
static inline void loom_irq_lower(loom_irq *irq) { loom_irq_set(irq, false); }
bool loom_irq_level(const loom_irq *irq);
/* Restore the level from a saved state without telling the sinks (they
 * restore their own view). */
void loom_irq_restore_level(loom_irq *irq, bool level);

#ifdef __cplusplus
}
#endif
#endif
