/* The platform assembler: a YAML board description to a built simulation. */
#ifndef LOOM_PLATFORM_H
#define LOOM_PLATFORM_H

#include <stdio.h>

#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct loom_platform loom_platform;

/* A -p inst.prop=value override from the command line. */
typedef struct loom_override {
    const char *text; /* "uart0.chardev=null" as given, for messages */
} loom_override;

typedef struct loom_platform_opts {
    const loom_override *overrides;
    size_t noverrides;
    const char *firmware; /* --firmware FILE, or NULL */
} loom_platform_opts;

/* Parse, validate and build a board into sim. On failure the sim's last
 * error holds every problem found, one per line, each as
 * "FILE:LINE:COLUMN: error: what was found; what was expected". */
loom_err loom_platform_load(loom_sim *sim, const char *path, const loom_platform_opts *opts,
                            loom_platform **out);
/* The same from a string (tests); name is used in messages. */
loom_err loom_platform_load_string(loom_sim *sim, const char *name, const char *yaml,
                                   const loom_platform_opts *opts, loom_platform **out);

const char *loom_platform_name(const loom_platform *p);
loom_sim *loom_platform_sim(const loom_platform *p);
/* Print the memory map, the port-I/O map and the interrupt wiring. */
void loom_platform_describe(const loom_platform *p, FILE *out);
/* The inputs an output line drives, one per call in the board's order:
 * start with *pos = 0; false when there are no more. */
typedef struct loom_input_ref {
    const loom_inst *inst;
    const char *port;
    unsigned index, count; /* count: the port's lines */
} loom_input_ref;
bool loom_line_next_input(const loom_sim *sim, const loom_irq *line, size_t *pos, loom_input_ref *out);
/* The board's flattened device tree (malloc'd; free it). */
loom_err loom_platform_dtb(const loom_platform *p, void **blob, size_t *size);
/* Board-level settings. */
loom_time loom_platform_quantum(const loom_platform *p);

/* Print the known model types with their properties. */
void loom_models_describe(const loom_sim *sim, FILE *out, const char *only);

#ifdef __cplusplus
}
#endif
#endif
