/* Block copies through the C library's memcpy, memmove and memset, from
 * 8 bytes to 1 MiB, aligned and not: what drivers, network stacks and
 * loaders spend much of their time on. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 55
#define BUF_SIZE (1u << 20)

/* Keeps the compiler from dropping or merging the copies: the buffers are
 * reached through a pointer it cannot see through. */
static uint8_t *volatile sink;

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static uint8_t src[BUF_SIZE + 64], dst[BUF_SIZE + 64];
    static const uint32_t sizes[] = {8, 16, 24, 64, 100, 256, 1500, 4096, 65536, 1u << 20};
    uint32_t s = 1, sum = 0;
    for (size_t i = 0; i < sizeof src; i++) src[i] = (uint8_t)xorshift32(&s);

    for (uint32_t r = 0; r < scale; r++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            uint32_t n = sizes[k];
            /* About 2 MiB per size and round, at four alignments. */
            uint32_t reps = (2u << 20) / n;
            for (uint32_t i = 0; i < reps; i++) {
                uint32_t so = i & 3, dof = (i >> 2) & 3;
                uint32_t off = n < BUF_SIZE ? (i * 4099u) % (BUF_SIZE - n) & ~63u : 0;
                uint8_t *d = sink = dst + off + dof;
                memcpy(d, src + off + so, n);
                sum += d[n - 1] + d[n / 2];
            }
        }
        /* Overlapping moves both ways, and fills. */
        for (uint32_t i = 0; i < 64; i++) {
            uint8_t *d = sink = dst;
            memmove(d + 1 + i, d, 16384);
            memmove(d, d + 3 + i, 16384);
            memset(d + 1000 * i, (int)(i + r), 4000 + i);
            sum = sum * 3 + d[i * 17] + d[16383];
        }
        src[r % BUF_SIZE] ^= (uint8_t)sum;
    }
    bench_checksum_u32("memcpy", sum);
    return 0;
}
