/* Indirect calls through a table of function pointers, chosen by data: a
 * command dispatcher, a driver's operations table, callbacks. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 70
#define STREAM 4096u
#define CALLS_PER_ROUND 1000000u

typedef uint32_t handler(uint32_t state, uint32_t arg);

static uint32_t h_add(uint32_t s, uint32_t a) { return s + a; }
static uint32_t h_sub(uint32_t s, uint32_t a) { return s - a; }
static uint32_t h_xor(uint32_t s, uint32_t a) { return s ^ a; }
static uint32_t h_mul(uint32_t s, uint32_t a) { return s * (a | 1); }
static uint32_t h_rotl(uint32_t s, uint32_t a) { return s << (a & 31) | s >> (-a & 31); }
static uint32_t h_shr(uint32_t s, uint32_t a) { return s >> (a & 7) ^ a; }
static uint32_t h_not(uint32_t s, uint32_t a) { return ~s + (a & 0xff); }
static uint32_t h_swap(uint32_t s, uint32_t a) { return (s >> 16 | s << 16) + a; }
static uint32_t h_min(uint32_t s, uint32_t a) { return s < a ? s + 1 : a ^ s; }
static uint32_t h_max(uint32_t s, uint32_t a) { return s > a ? s - 1 : a + s; }
static uint32_t h_fnv(uint32_t s, uint32_t a) { return (s ^ (a & 0xff)) * 16777619u; }
static uint32_t h_mix(uint32_t s, uint32_t a) { return s ^ (a + 0x9e3779b9u + (s << 6) + (s >> 2)); }
static uint32_t h_bits(uint32_t s, uint32_t a)
{
    uint32_t n = 0;
    for (uint32_t v = a & 0xffff; v; v &= v - 1) n++; /* a short loop in a handler */
    return s + n;
}
static uint32_t h_and(uint32_t s, uint32_t a) { return (s & a) + 7; }
static uint32_t h_or(uint32_t s, uint32_t a) { return (s | a) - 3; }
static uint32_t h_neg(uint32_t s, uint32_t a) { return -s ^ a; }

static handler *const table[16] = {
    h_add, h_sub, h_xor, h_mul, h_rotl, h_shr, h_not, h_swap,
    h_min, h_max, h_fnv, h_mix, h_bits, h_and, h_or, h_neg,
};

/* An operations table as drivers have: a struct of pointers. */
typedef struct ops {
    handler *open, *xfer, *close;
} ops;

static const ops devices[4] = {
    {h_add, h_fnv, h_sub}, {h_xor, h_mix, h_not}, {h_rotl, h_mul, h_swap}, {h_bits, h_min, h_max},
};

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static uint8_t cmd[STREAM];
    static uint32_t arg[STREAM];
    uint32_t s = 31337, state = 1;
    for (uint32_t i = 0; i < STREAM; i++) {
        cmd[i] = (uint8_t)(xorshift32(&s) % 16);
        arg[i] = xorshift32(&s);
    }
    for (uint32_t r = 0; r < scale; r++) {
        for (uint32_t i = 0; i < CALLS_PER_ROUND; i++) {
            uint32_t k = (i + r) % STREAM;
            state = table[cmd[k]](state, arg[k]);
        }
        for (uint32_t i = 0; i < CALLS_PER_ROUND / 16; i++) {
            const ops *d = &devices[(state ^ i) & 3];
            state = d->close(d->xfer(d->open(state, i), arg[i % STREAM]), r);
        }
    }
    bench_checksum_u32("indirect", state);
    return 0;
}
