/* The QMP monitor of `loom run --qmp`: QEMU's machine protocol (JSON over a
 * socket: greeting, capabilities negotiation, execute/return/error,
 * asynchronous events), with QEMU's commands where Loom has the same thing
 * and Loom's own (loom-*) for instances, properties, memory, stepping and
 * time. Any number of clients. */
#ifndef LOOM_TOOLS_QMP_H
#define LOOM_TOOLS_QMP_H

#include "loom/loom.h"

typedef struct loom_qmp loom_qmp;

/* Where the machine is, as query-status names it. */
typedef enum loom_qmp_phase {
    LOOM_QMP_PRECONFIG, /* --preconfig: no machine yet ("prelaunch") */
    LOOM_QMP_PRELAUNCH, /* -S: built, not started */
    LOOM_QMP_RUNNING,
    LOOM_QMP_PAUSED,
    LOOM_QMP_SHUTDOWN,  /* the guest ended the run */
} loom_qmp_phase;

/* Listen on spec: unix:PATH or tcp:[HOST]:PORT (127.0.0.1 when HOST is
 * empty), QEMU's options after a comma (server, wait=off) accepted. err
 * gets the reason on failure. */
loom_err loom_qmp_open(const char *spec, loom_qmp **out, char *err, size_t errlen);
void loom_qmp_close(loom_qmp *q);

/* Serve clients: wait up to timeout_ms for something to do (< 0: block). */
void loom_qmp_poll(loom_qmp *q, int timeout_ms);

/* The machine, once built (the simulation's poll hook then serves QMP while
 * it runs), and where it is. */
loom_err loom_qmp_attach(loom_qmp *q, loom_sim *sim);
void loom_qmp_set_phase(loom_qmp *q, loom_qmp_phase phase);
loom_qmp_phase loom_qmp_phase_of(const loom_qmp *q);
/* Property settings made in the preconfig state ("inst.prop=value"). */
size_t loom_qmp_override_count(const loom_qmp *q);
const char *loom_qmp_override(const loom_qmp *q, size_t i);

/* What clients asked the run loop for; each read clears it. */
bool loom_qmp_take_exit_preconfig(loom_qmp *q);
bool loom_qmp_take_cont(loom_qmp *q);
bool loom_qmp_take_stop(loom_qmp *q);
bool loom_qmp_quit_requested(const loom_qmp *q);
/* x-exit-preconfig's reply, once the board is built (error: why not). */
void loom_qmp_preconfig_done(loom_qmp *q, const char *error);

/* An event to every negotiated client: name and data (a JSON object text,
 * or NULL). */
void loom_qmp_event(loom_qmp *q, const char *name, const char *data);

#endif
