/* LZ77 compression and decompression round trip (an LZ4-like greedy
 * compressor with a hash table of 4-byte prefixes), as firmware unpacking
 * an image or a tool packing logs does. The decompressed data must equal
 * the input. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 1800
#define BLOCK (64u * 1024)
#define HASH_BITS 12
#define MIN_MATCH 4
#define MAX_MATCH (127 + MIN_MATCH)
#define MAX_LITERALS 128

/* Format: a control byte c; c < 0x80: c + 1 literal bytes follow; else a
 * match of (c & 0x7f) + MIN_MATCH bytes at the 16-bit little-endian
 * distance that follows (1..65535). */

static uint32_t hash4(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static size_t flush_literals(uint8_t *out, size_t o, const uint8_t *lit, size_t n)
{
    while (n) {
        size_t k = n < MAX_LITERALS ? n : MAX_LITERALS;
        out[o++] = (uint8_t)(k - 1);
        memcpy(out + o, lit, k);
        o += k, lit += k, n -= k;
    }
    return o;
}

static size_t lz_compress(const uint8_t *in, size_t n, uint8_t *out)
{
    static uint32_t table[1u << HASH_BITS];
    memset(table, 0xff, sizeof table);
    size_t i = 0, o = 0, lit = 0;
    while (i + MIN_MATCH <= n) {
        uint32_t h = hash4(in + i);
        uint32_t cand = table[h];
        table[h] = (uint32_t)i;
        if (cand != 0xffffffffu && i - cand < 65536 && !memcmp(in + cand, in + i, MIN_MATCH)) {
            size_t len = MIN_MATCH;
            while (len < MAX_MATCH && i + len < n && in[cand + len] == in[i + len]) len++;
            o = flush_literals(out, o, in + lit, i - lit);
            size_t dist = i - cand;
            out[o++] = (uint8_t)(0x80 | (len - MIN_MATCH));
            out[o++] = (uint8_t)dist;
            out[o++] = (uint8_t)(dist >> 8);
            i += len;
            lit = i;
        } else {
            i++;
        }
    }
    return flush_literals(out, o, in + lit, n - lit);
}

static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t c = in[i++];
        if (c < 0x80) {
            memcpy(out + o, in + i, (size_t)c + 1);
            i += (size_t)c + 1, o += (size_t)c + 1;
        } else {
            size_t len = (size_t)(c & 0x7f) + MIN_MATCH;
            size_t dist = (size_t)in[i] | (size_t)in[i + 1] << 8;
            i += 2;
            /* Byte by byte: a match may overlap what it produces. */
            for (size_t k = 0; k < len; k++, o++) out[o] = out[o - dist];
        }
    }
    return o;
}

/* Text-like input: words from a small vocabulary, with some noise. */
static void make_text(uint8_t *buf, size_t n, uint32_t *s)
{
    static const char *const words[] = {
        "the ", "bus ", "read ", "write ", "register ", "interrupt ", "timer ", "uart ", "0x4000 ",
        "error ", "ok\n", "cpu0 ", "dma ", "transfer ", "complete ", "status=", "irq ", "mask ",
    };
    const size_t nwords = sizeof words / sizeof words[0];
    size_t i = 0;
    while (i < n) {
        uint32_t r = xorshift32(s);
        if (r % 16 == 0) {
            buf[i++] = (uint8_t)(r >> 8);
            continue;
        }
        const char *w = words[(r >> 4) % nwords];
        for (size_t k = 0; w[k] && i < n; k++) buf[i++] = (uint8_t)w[k];
    }
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static uint8_t in[BLOCK], packed[BLOCK + BLOCK / 64 + 16], out[BLOCK];
    uint32_t s = 2463534242u, sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        make_text(in, BLOCK, &s);
        size_t np = lz_compress(in, BLOCK, packed);
        size_t nu = lz_decompress(packed, np, out);
        if (nu != BLOCK || memcmp(in, out, BLOCK)) {
            fprintf(stderr, "lz77: round trip failed in round %u\n", (unsigned)r);
            return 1;
        }
        sum = sum * 33 + (uint32_t)np;
        for (size_t k = 0; k < np; k += 97) sum = (sum ^ packed[k]) * 16777619u;
    }
    bench_checksum_u32("lz77", sum);
    return 0;
}
