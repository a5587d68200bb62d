/* Hashing: FNV-1a byte by byte and an xxHash32-style four-lane mixer over
 * generated data, as a firmware image check or a hash table's key hashing does. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 16000
#define BUF_SIZE (64u * 1024)

static uint32_t fnv1a(const uint8_t *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t rotl32(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32 - r));
}

static uint32_t read32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define P1 2654435761u
#define P2 2246822519u
#define P3 3266489917u
#define P4 668265263u
#define P5 374761393u

/* The xxHash32 algorithm (little-endian reads, byte-wise so alignment never matters). */
static uint32_t xxh32(const uint8_t *p, size_t n, uint32_t seed)
{
    const uint8_t *end = p + n;
    uint32_t h;
    if (n >= 16) {
        uint32_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
        for (; p + 16 <= end; p += 16) {
            v1 = rotl32(v1 + read32le(p) * P2, 13) * P1;
            v2 = rotl32(v2 + read32le(p + 4) * P2, 13) * P1;
            v3 = rotl32(v3 + read32le(p + 8) * P2, 13) * P1;
            v4 = rotl32(v4 + read32le(p + 12) * P2, 13) * P1;
        }
        h = rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18);
    } else {
        h = seed + P5;
    }
    h += (uint32_t)n;
    for (; p + 4 <= end; p += 4) h = rotl32(h + read32le(p) * P3, 17) * P4;
    for (; p < end; p++) h = rotl32(h + *p * P5, 11) * P1;
    h ^= h >> 15;
    h *= P2;
    h ^= h >> 13;
    h *= P3;
    h ^= h >> 16;
    return h;
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static uint8_t buf[BUF_SIZE];
    uint32_t s = 0x9e3779b9u;
    for (size_t i = 0; i < BUF_SIZE; i++) buf[i] = (uint8_t)xorshift32(&s);

    uint32_t sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        sum ^= fnv1a(buf, BUF_SIZE, 2166136261u + r);
        /* Many short keys too, as a hash table sees them. */
        for (size_t off = 0; off + 64 <= BUF_SIZE; off += 61) sum += xxh32(buf + off, 3 + off % 61, r);
        sum = rotl32(sum, 5) ^ xxh32(buf, BUF_SIZE, sum);
        buf[r % BUF_SIZE] ^= (uint8_t)sum;
    }
    bench_checksum_u32("hash", sum);
    return 0;
}
