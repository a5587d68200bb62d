/* Multi-word arithmetic on 32-bit limbs: a factorial (multiply by a small
 * number), a Fibonacci number (add), their schoolbook product, and the
 * product's decimal digits (divide by 10^9), as cryptography, arbitrary
 * precision calculators and number formatting do. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 20
#define FACT_N 1500u
#define FIB_N 6000u
#define MAX_LIMBS 1024u

typedef struct big {
    uint32_t n; /* limbs in use; the top one is not zero (or n == 0) */
    uint32_t d[MAX_LIMBS];
} big;

static void big_set(big *a, uint32_t v)
{
    a->n = v != 0;
    a->d[0] = v;
}

static void big_mul_small(big *a, uint32_t m)
{
    uint64_t carry = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) a->d[a->n++] = (uint32_t)carry;
}

static void big_add(big *r, const big *a, const big *b)
{
    const big *l = a->n >= b->n ? a : b, *s = a->n >= b->n ? b : a;
    uint64_t carry = 0;
    uint32_t i = 0;
    for (; i < s->n; i++) {
        uint64_t t = (uint64_t)l->d[i] + s->d[i] + carry;
        r->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    for (; i < l->n; i++) {
        uint64_t t = (uint64_t)l->d[i] + carry;
        r->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    r->n = l->n;
    if (carry) r->d[r->n++] = (uint32_t)carry;
}

static void big_mul(big *r, const big *a, const big *b)
{
    memset(r->d, 0, (size_t)(a->n + b->n) * sizeof r->d[0]);
    for (uint32_t i = 0; i < a->n; i++) {
        uint64_t carry = 0;
        for (uint32_t j = 0; j < b->n; j++) {
            uint64_t t = (uint64_t)a->d[i] * b->d[j] + r->d[i + j] + carry;
            r->d[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        r->d[i + b->n] = (uint32_t)carry;
    }
    r->n = a->n + b->n;
    while (r->n && !r->d[r->n - 1]) r->n--;
}

/* Divides a by m in place; returns the remainder. */
static uint32_t big_divmod_small(big *a, uint32_t m)
{
    uint64_t rem = 0;
    for (uint32_t i = a->n; i-- > 0;) {
        uint64_t cur = rem << 32 | a->d[i];
        a->d[i] = (uint32_t)(cur / m);
        rem = cur % m;
    }
    while (a->n && !a->d[a->n - 1]) a->n--;
    return (uint32_t)rem;
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    static big fact, fa, fb, prod;
    uint32_t sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        uint32_t fn = FACT_N - r % 8, bn = FIB_N - r % 16;
        big_set(&fact, 1);
        for (uint32_t k = 2; k <= fn; k++) big_mul_small(&fact, k);
        big_set(&fa, 0);
        big_set(&fb, 1);
        /* (F(k), F(k+1)) to (F(k+2), F(k+3)) per step: ends at F(2 bn). */
        for (uint32_t k = 0; k < bn; k++) {
            big_add(&fa, &fa, &fb);
            big_add(&fb, &fa, &fb);
        }
        big_mul(&prod, &fact, &fb);
        uint32_t digits = 0, dsum = 0;
        while (prod.n) {
            uint32_t chunk = big_divmod_small(&prod, 1000000000u);
            for (int k = 0; k < 9; k++, chunk /= 10) dsum += chunk % 10;
            digits += 9;
        }
        sum = (sum * 31 + dsum) ^ digits ^ fact.n << 16;
    }
    bench_checksum_u32("bignum", sum);
    return 0;
}
