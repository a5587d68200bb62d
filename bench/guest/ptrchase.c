/* Pointer chasing through a linked list laid out in shuffled order, one
 * list that fits in a cache and one that does not: every load depends on
 * the one before, as in list-heavy kernels, allocators and interpreters. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 2400
#define SMALL (4u * 1024)
#define LARGE (512u * 1024)

/* 16 bytes on 32-bit and 64-bit hosts alike, so every engine walks the
 * same amount of memory. */
typedef struct node {
    union {
        struct node *next;
        uint64_t pad;
    } u;
    uint32_t value, pad2;
} node;

/* Links the nodes of pool in a random cyclic order (Fisher-Yates). */
static node *make_ring(node *pool, uint32_t *order, uint32_t n, uint32_t *s)
{
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = xorshift32(s) % (i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t i = 0; i < n; i++) {
        pool[order[i]].u.next = &pool[order[(i + 1) % n]];
        pool[order[i]].value = xorshift32(s);
    }
    return &pool[order[0]];
}

static uint32_t chase(const node *p, uint32_t steps)
{
    uint32_t h = 0;
    while (steps--) {
        h = (h ^ p->value) * 16777619u;
        p = p->u.next;
    }
    return h;
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    node *pool = malloc((size_t)LARGE * sizeof *pool);
    uint32_t *order = malloc((size_t)LARGE * sizeof *order);
    if (!pool || !order) {
        fprintf(stderr, "ptrchase: out of memory\n");
        return 1;
    }
    uint32_t s = 777, sum = 0;
    node *small = make_ring(pool, order, SMALL, &s);
    for (uint32_t r = 0; r < scale; r++) sum = sum * 31 + chase(small, 32 * SMALL);
    node *large = make_ring(pool, order, LARGE, &s);
    for (uint32_t r = 0; r < scale; r++) sum = sum * 31 + chase(large, LARGE / 32 + r);
    free(order);
    free(pool);
    bench_checksum_u32("ptrchase", sum);
    return 0;
}
