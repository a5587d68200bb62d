/* The simulation: time, the event queue, the scheduler loop, logging and errors. */
#ifndef LOOM_SIM_H
#define LOOM_SIM_H

#include <stdarg.h>
#include <stdio.h>

#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Life cycle ------------------------------------------------------- */

loom_err loom_sim_new(loom_sim **out);
void loom_sim_free(loom_sim *sim);

/* The system address space and the port-I/O space every simulation owns. */
loom_bus *loom_sim_memory(loom_sim *sim);
loom_bus *loom_sim_io(loom_sim *sim);

/* ---- Errors -------------------------------------------------------------
 * A failing call records a message with context (instance, address, file and
 * line) and returns its code; loom_sim_last_error gives the message. */
loom_err loom_sim_error(loom_sim *sim, loom_err code, const char *fmt, ...) LOOM_PRINTF(3, 4);
const char *loom_sim_last_error(const loom_sim *sim);
void loom_sim_clear_error(loom_sim *sim);

/* ---- Time and events ----------------------------------------------------
 * An event belongs to an owner and has an id, so a saved simulation can name
 * its pending events. Events due at the same time fire in the order they were
 * scheduled. */
typedef void (*loom_event_fn)(loom_sim *sim, void *opaque);

loom_time loom_sim_now(const loom_sim *sim);
loom_err loom_event_new(loom_sim *sim, const char *owner, const char *id, loom_event_fn fn,
                        void *opaque, loom_event **out);
void loom_event_free(loom_event *ev);
/* Schedule at an absolute time (not before now); rescheduling moves it. */
void loom_event_schedule(loom_event *ev, loom_time when);
void loom_event_schedule_in(loom_event *ev, loom_time delay);
void loom_event_cancel(loom_event *ev);
bool loom_event_pending(const loom_event *ev);
loom_time loom_event_when(const loom_event *ev);
/* Time of the earliest pending event, or LOOM_TIME_MAX. */
loom_time loom_sim_next_event(const loom_sim *sim);
/* Fire every event due at or before t and set now to t (t >= now). Used by the
 * built-in loop and by external drivers such as the SystemC bridge. */
void loom_sim_advance_to(loom_sim *sim, loom_time t);

/* ---- Runners --------------------------------------------------------------
 * A runner is anything that executes on its own between events: a CPU, a
 * lock-step external model. The scheduler gives each a slice [now, until). */
typedef struct loom_runner_ops {
    /* Run until local time reaches until or the runner has nothing to do;
     * return the local time reached (>= now). A runner that is idle (WFI)
     * returns now. */
    loom_time (*run)(void *opaque, loom_time now, loom_time until);
    /* True while the runner waits for an interrupt or event. */
    bool (*idle)(void *opaque);
} loom_runner_ops;

loom_err loom_sim_add_runner(loom_sim *sim, const char *name, const loom_runner_ops *ops,
                             void *opaque);

/* ---- The scheduler loop ------------------------------------------------ */

typedef enum loom_stop_reason {
    LOOM_STOP_NONE = 0,
    LOOM_STOP_EXIT,       /* the guest or a model ended the run with a status */
    LOOM_STOP_TIME_LIMIT, /* the requested simulated time was reached */
    LOOM_STOP_INSN_LIMIT, /* the requested instruction count was reached */
    LOOM_STOP_IDLE,       /* no runner active and no event pending */
    LOOM_STOP_REQUEST,    /* an outside request (signal, monitor) */
    LOOM_STOP_FAULT,      /* a guest fault or model error nobody handles */
} loom_stop_reason;

const char *loom_stop_reason_name(loom_stop_reason r);

/* The quantum: how far one runner may go before the next gets its turn. */
void loom_sim_set_quantum(loom_sim *sim, loom_time q);
loom_time loom_sim_quantum(const loom_sim *sim);

/* Ask the loop to stop at the next boundary. status is kept for EXIT and
 * FAULT; the first request wins. */
void loom_sim_request_stop(loom_sim *sim, loom_stop_reason why, int status);
loom_stop_reason loom_sim_stop_reason(const loom_sim *sim);
int loom_sim_exit_status(const loom_sim *sim);
bool loom_sim_stop_requested(const loom_sim *sim);

/* The loop is pluggable: the default is Loom's round robin; the SystemC bridge
 * installs its own. run() returns why it stopped. */
typedef struct loom_scheduler {
    const char *name;
    loom_stop_reason (*run)(loom_sim *sim, void *opaque, loom_time until);
} loom_scheduler;
void loom_sim_set_scheduler(loom_sim *sim, const loom_scheduler *s, void *opaque);

/* Run until `until` (absolute) or a stop request. */
loom_stop_reason loom_sim_run(loom_sim *sim, loom_time until);
/* The built-in round-robin loop, callable from another scheduler. */
loom_stop_reason loom_sched_round_robin(loom_sim *sim, void *opaque, loom_time until);

/* Host hooks polled at scheduler boundaries (character input and the like).
 * wait is true when nothing else is runnable: the hook may block up to
 * max_wait_ms for host input and returns true if it did something. */
typedef bool (*loom_poll_fn)(void *opaque, int max_wait_ms);
loom_err loom_sim_add_poll(loom_sim *sim, loom_poll_fn fn, void *opaque);
void loom_sim_remove_poll(loom_sim *sim, loom_poll_fn fn, void *opaque);

/* ---- Logging ------------------------------------------------------------
 * Categories selected with -d; output to stderr or a file (-D). */
enum {
    LOOM_LOG_UNIMP = 1u << 0,
    LOOM_LOG_GUEST_ERRORS = 1u << 1,
    LOOM_LOG_INT = 1u << 2,
    LOOM_LOG_MMU = 1u << 3,
    LOOM_LOG_EXEC = 1u << 4,
    LOOM_LOG_IN_ASM = 1u << 5,
    LOOM_LOG_OUT_ASM = 1u << 6,
    LOOM_LOG_OP = 1u << 7,
    LOOM_LOG_BUS = 1u << 8,
    LOOM_LOG_EVENT = 1u << 9,
};

/* Parse "unimp,guest_errors" into a mask; on an unknown name return
 * LOOM_E_INVAL with the known names in the sim's last error. */
loom_err loom_log_parse(loom_sim *sim, const char *list, unsigned *mask);
const char *loom_log_categories(void);
void loom_log_set_mask(loom_sim *sim, unsigned mask);
unsigned loom_log_mask(const loom_sim *sim);
/* NULL for stderr. The file is opened by the caller and not closed. */
void loom_log_set_file(loom_sim *sim, FILE *f);
static inline bool loom_log_enabled(const loom_sim *sim, unsigned cat);
/* Where log lines go, for callers that print with their own formatter. */
FILE *loom_log_stream(const loom_sim *sim);
void loom_log(loom_sim *sim, unsigned cat, const char *fmt, ...) LOOM_PRINTF(3, 4);
void loom_vlog(loom_sim *sim, unsigned cat, const char *fmt, va_list ap);

/* ---- Private per-simulation registry helpers ---------------------------- */

/* Keep an object alive until the simulation ends (destructor called in
 * reverse order of registration). */
loom_err loom_sim_own(loom_sim *sim, void *obj, void (*destroy)(void *));

/* Data shared by everything of one kind in a simulation (the JIT engine of a
 * guest, for one), found by a key the owner chooses (the address of a
 * static object). The destructor runs when the simulation ends. */
void *loom_sim_assoc(const loom_sim *sim, const void *key);
loom_err loom_sim_set_assoc(loom_sim *sim, const void *key, void *data, void (*destroy)(void *));

/* Implementation detail made inline so disabled logging costs one test. */
unsigned loom__log_mask(const loom_sim *sim);
static inline bool loom_log_enabled(const loom_sim *sim, unsigned cat)
{
    return (loom__log_mask(sim) & cat) != 0;
}

#ifdef __cplusplus
}
#endif
#endif
