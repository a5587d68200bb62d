/* Deep and wide recursion: Ackermann's function and naive Fibonacci,
 * calls and returns with little work between them, as recursive descent
 * parsers, tree walkers and divide-and-conquer code do. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 3400

static uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* Mutual recursion, so the compiler cannot fold it into a loop. */
static uint32_t odd_walk(uint32_t n, uint32_t h);

static uint32_t even_walk(uint32_t n, uint32_t h)
{
    return n == 0 ? h : odd_walk(n - 1, (h ^ n) * 16777619u) + 1;
}

static uint32_t odd_walk(uint32_t n, uint32_t h)
{
    return n == 0 ? h : even_walk(n - 1, h + n * 3) ^ 5;
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    uint32_t sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        sum = sum * 31 + ack(2 + r % 2, 5 + r % 3); /* ack(3, n) = 2^(n+3) - 3 */
        sum = sum * 31 + fib(22 + r % 3);
        sum = sum * 31 + even_walk(5000 + r % 7, r);
    }
    bench_checksum_u32("recursion", sum);
    return 0;
}
