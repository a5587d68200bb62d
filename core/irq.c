/* Interrupt lines: one driver, any number of sinks, notified on change. */
#include <stdlib.h>

#include "internal.h"

typedef struct sink {
    loom_irq_sink_fn fn;
    void *opaque;
    unsigned n;
} sink;

struct loom_irq {
    loom_sim *sim;
    char *name;
    bool level;
    sink *sinks;
    unsigned nsinks;
};

loom_err loom_irq_new(loom_sim *sim, const char *name, loom_irq **out)
{
    *out = NULL;
    loom_irq *irq = calloc(1, sizeof *irq);
    if (!irq) return LOOM_E_NOMEM;
    irq->sim = sim;
    irq->name = loom_strdup(name);
    if (!irq->name || !ptrvec_push(&sim->irqs, irq)) {
        free(irq->name);
        free(irq);
        return LOOM_E_NOMEM;
    }
    *out = irq;
    return LOOM_OK;
}

void loom__irq_free(loom_irq *irq)
{
    free(irq->sinks);
    free(irq->name);
    free(irq);
}

const char *loom_irq_name(const loom_irq *irq) { return irq->name; }
unsigned loom_irq_sink_count(const loom_irq *irq) { return irq->nsinks; }
bool loom_irq_level(const loom_irq *irq) { return irq->level; }

loom_err loom_irq_connect(loom_irq *irq, loom_irq_sink_fn fn, void *opaque, unsigned n)
{
    sink *s = realloc(irq->sinks, (irq->nsinks + 1) * sizeof *s);
    if (!s) return LOOM_E_NOMEM;
    irq->sinks = s;
    irq->sinks[irq->nsinks++] = (sink){fn, opaque, n};
    /* A sink connected to a raised line sees it at once. */
    if (irq->level) fn(opaque, n, true);
    return LOOM_OK;
}

void loom_irq_set(loom_irq *irq, bool level)
{
    if (irq->level == level) return;
    irq->level = level;
    if (loom_log_enabled(irq->sim, LOOM_LOG_INT))
        loom_log(irq->sim, LOOM_LOG_INT, "irq %s -> %d at %llu ps\n", irq->name, level,
                 (unsigned long long)loom_sim_now(irq->sim));
    for (unsigned i = 0; i < irq->nsinks; i++) {
        irq->sinks[i].fn(irq->sinks[i].opaque, irq->sinks[i].n, level);
        /* A sink changed the line again: that nested change has already
         * told every sink the newer level. */
        if (irq->level != level) return;
    }
}

void loom_irq_restore_level(loom_irq *irq, bool level) { irq->level = level; }
