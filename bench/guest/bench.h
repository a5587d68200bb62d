/* Shared by the guest benchmarks: the scale argument, a fixed PRNG and the
 * checksum line. Every program is plain C99 and must give the same checksum
 * on every host and guest: fixed-width types only, no pointer values, no
 * `char` signedness, nothing from the clock or the environment. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The scale is argv[1], a positive integer: the number of rounds of the
 * kernel, so run time grows linearly with it. The runner reads
 * BENCH_DEFAULT_SCALE from each source file; keep the define on one line. */
static inline uint32_t bench_scale(int argc, char **argv, uint32_t dflt)
{
    if (argc < 2) return dflt;
    char *end;
    unsigned long v = strtoul(argv[1], &end, 10);
    if (*end || v == 0 || v > 0xffffffffu) {
        fprintf(stderr, "usage: %s [SCALE]  (SCALE a positive integer, default %u)\n", argv[0], (unsigned)dflt);
        exit(2);
    }
    return (uint32_t)v;
}

/* Marsaglia's xorshift32 and xorshift64: the state must not be zero. */
static inline uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static inline uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Uniform double in [0, 1) from 53 random bits. */
static inline double xorshift_unit(uint64_t *s)
{
    return (double)(xorshift64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* The one line the runner compares against the native run. */
static inline void bench_checksum_u32(const char *name, uint32_t v)
{
    printf("%s checksum: %08x\n", name, (unsigned)v);
}

static inline void bench_checksum_u64(const char *name, uint64_t v)
{
    printf("%s checksum: %08x%08x\n", name, (unsigned)(v >> 32), (unsigned)v);
}

/* Floating-point results are printed with 7 significant digits so that a
 * last-bit difference between two correct emulators does not count. */
static inline void bench_checksum_f64(const char *name, double v)
{
    printf("%s checksum: %.6e\n", name, v);
}

#endif
