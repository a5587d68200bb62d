/* Basic types shared by every Loom header: errors, time, forward declarations. */
#ifndef LOOM_TYPES_H
#define LOOM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every fallible call returns one of these; zero is success. The simulation
 * also keeps a last-error message with context (loom_sim_last_error). */
typedef enum loom_err {
    LOOM_OK = 0,
    LOOM_E_INVAL,       /* bad argument or value */
    LOOM_E_NOMEM,       /* out of memory */
    LOOM_E_IO,          /* host I/O failed */
    LOOM_E_NOTFOUND,    /* no such name, file or address */
    LOOM_E_EXISTS,      /* name already used */
    LOOM_E_OVERLAP,     /* address ranges overlap */
    LOOM_E_FORMAT,      /* malformed input file */
    LOOM_E_ADDRESS,     /* nothing mapped at an address */
    LOOM_E_BUS,         /* a target answered with an error */
    LOOM_E_UNSUPPORTED, /* valid, but not implemented */
    LOOM_E_STATE,       /* call not allowed in this state */
    LOOM_E_TIMEOUT,     /* a peer did not answer in time */
    LOOM_E_CONFIG,      /* board description is wrong */
    LOOM_E__COUNT
} loom_err;

const char *loom_strerror(loom_err e);

/* Simulated time in picoseconds. 2^64 ps is about 213 days. */
typedef uint64_t loom_time;
#define LOOM_PS ((loom_time)1)
#define LOOM_NS ((loom_time)1000)
#define LOOM_US ((loom_time)1000000)
#define LOOM_MS ((loom_time)1000000000)
#define LOOM_SEC ((loom_time)1000000000000ULL)
#define LOOM_TIME_MAX UINT64_MAX

typedef struct loom_sim loom_sim;
typedef struct loom_bus loom_bus;
typedef struct loom_region loom_region;
typedef struct loom_mapping loom_mapping;
typedef struct loom_irq loom_irq;
typedef struct loom_event loom_event;
typedef struct loom_inst loom_inst;
typedef struct loom_cpu loom_cpu;
typedef struct loom_chardev loom_chardev;
typedef struct loom_buf loom_buf;

#if defined(__GNUC__)
#define LOOM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LOOM_PRINTF(f, a)
#endif

#ifdef __cplusplus
}
#endif
#endif
