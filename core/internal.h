/* Private structures shared by the files of core/. Nothing outside core/
 * includes this. */
#ifndef LOOM_CORE_INTERNAL_H
#define LOOM_CORE_INTERNAL_H

#include <stdio.h>

#include "loom/loom.h"

/* A growable array of pointers. */
typedef struct ptrvec {
    void **v;
    size_t n, cap;
} ptrvec;

bool ptrvec_push(ptrvec *p, void *x);
void ptrvec_remove(ptrvec *p, void *x);
void ptrvec_free(ptrvec *p);

char *loom_strdup(const char *s);
char *loom_strfmt(const char *fmt, ...) LOOM_PRINTF(1, 2);
/* Abort on allocation failure: used only where a failure cannot be reported
 * and the size is small and bounded. */
void *loom_xcalloc(size_t n, size_t size);

struct loom_event {
    loom_sim *sim;
    char *owner, *id;
    loom_event_fn fn;
    void *opaque;
    loom_time when;
    uint64_t seq;      /* order among events due at the same time */
    size_t heap_index; /* SIZE_MAX when not pending */
};

typedef struct runner {
    char *name;
    const loom_runner_ops *ops;
    void *opaque;
    loom_time local; /* how far this runner has run */
} runner;

typedef struct poll_hook {
    loom_poll_fn fn;
    void *opaque;
} poll_hook;

typedef struct owned {
    void *obj;
    void (*destroy)(void *);
} owned;

struct loom_sim {
    loom_time now;
    uint64_t next_seq;
    loom_event **heap;
    size_t heap_n, heap_cap;
    ptrvec events; /* every event, pending or not, for save/restore */

    runner *runners;
    size_t nrunners;
    loom_time quantum;
    uint64_t rounds;

    const loom_scheduler *sched;
    void *sched_opaque;

    loom_stop_reason stop;
    int exit_status;

    poll_hook *polls;
    size_t npolls;

    char *error;
    unsigned log_mask;
    FILE *log_file;

    owned *owned;
    size_t nowned, owned_cap;

    loom_bus *memory, *io;
    ptrvec buses;
    ptrvec regions;
    ptrvec irqs;

    ptrvec model_types; /* the simulation's own registered types */
    ptrvec arch_types;
    ptrvec cpus;        /* every loom_cpu, in creation order */
    ptrvec insts;

    struct assoc { const void *key; void *data; } *assoc;
    size_t nassoc;

    int jit_choice;
    bool semihosting;     /* guests may call the host (loom_sim_set_semihosting) */
    uint64_t insn_limit;  /* 0: none */
    uint64_t insns_total; /* retired by every CPU */
};

/* bus.c */
void loom__bus_free(loom_bus *bus);
void loom__region_free(loom_region *r);
/* model.c */
void loom__inst_free(loom_inst *inst);
/* irq.c */
void loom__irq_free(loom_irq *irq);
/* event queue */
void loom__events_clear(loom_sim *sim);

#endif
