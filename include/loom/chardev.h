/* Character back ends for UARTs and consoles. */
#ifndef LOOM_CHARDEV_H
#define LOOM_CHARDEV_H

#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Open a back end from a spec, following QEMU's -serial/-chardev spelling:
 *   stdio                      the terminal (raw input when it is a tty)
 *   null                       output dropped, no input
 *   file:PATH                  output appended to PATH, no input
 *   tcp:[HOST]:PORT,server     listen (127.0.0.1 unless HOST is given); one
 *                              client at a time; output while nobody is
 *                              connected is dropped
 *   unix:PATH,server           listen on a Unix socket
 *   tcp:HOST:PORT / unix:PATH  connect as a client
 *   mem                        in memory: tests read output and inject input
 * The simulation owns the back end and polls it for input at scheduler
 * boundaries. */
loom_err loom_chardev_open(loom_sim *sim, const char *spec, loom_chardev **out);
const char *loom_chardev_spec(const loom_chardev *cd);
/* Output is never lost while the back end accepts it; a stalled socket
 * client gets the output queued (bounded by 1 MiB, then dropped and
 * counted). */
void loom_chardev_write(loom_chardev *cd, const void *buf, size_t len);
/* Non-blocking read of pending input; returns bytes read. */
size_t loom_chardev_read(loom_chardev *cd, void *buf, size_t len);
/* Bytes waiting without reading them. */
size_t loom_chardev_pending(loom_chardev *cd);
/* Called (from the scheduler, never from a host thread) when input arrives. */
void loom_chardev_set_rx_notify(loom_chardev *cd, void (*fn)(void *opaque), void *opaque);

/* In-memory back ends, for tests. */
const uint8_t *loom_chardev_mem_output(const loom_chardev *cd, size_t *len);
void loom_chardev_mem_inject(loom_chardev *cd, const void *buf, size_t len);

/* The port a tcp server back end listens on (useful with port 0). */
int loom_chardev_port(const loom_chardev *cd);

#ifdef __cplusplus
}
#endif
#endif
