/* The GDB stub of `loom run --gdb`: GDB's remote serial protocol over TCP
 * for the CPUs of one architecture, one thread per CPU. While the debugger
 * holds the machine, nothing runs: simulated time stands still for every
 * CPU and device. */
#ifndef LOOM_TOOLS_GDBSTUB_H
#define LOOM_TOOLS_GDBSTUB_H

#include "loom/loom.h"

typedef struct loom_gdb loom_gdb;

/* Listen on spec: "tcp::PORT" (127.0.0.1) or "tcp:HOST:PORT", for the
 * board's CPUs of its first CPU's architecture. */
loom_err loom_gdb_open(loom_sim *sim, const char *spec, loom_gdb **out);
/* Run the simulation until `until` under the debugger: with wait (-S) the
 * machine first waits for a debugger to connect and let it go. Returns why
 * the simulation ended (the debugger's kill is LOOM_STOP_REQUEST). */
loom_stop_reason loom_gdb_run(loom_gdb *g, loom_time until, bool wait);
void loom_gdb_close(loom_gdb *g);
/* The debugger ended the run (kill): a clean end, not an interruption. */
bool loom_gdb_killed(const loom_gdb *g);

#endif
