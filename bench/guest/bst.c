/* An unbalanced binary search tree of malloc'd nodes with random keys:
 * inserts, lookups and deletes, as symbol tables, timer queues and
 * allocators' free maps do. Checked against the count it must hold. */
#include "bench.h"

#define BENCH_DEFAULT_SCALE 90
#define KEYS 20000u

typedef struct tnode {
    struct tnode *left, *right;
    uint32_t key, value;
} tnode;

/* Returns 1 when key was new. */
static int insert(tnode **t, uint32_t key, uint32_t value)
{
    while (*t) {
        if (key == (*t)->key) {
            (*t)->value = value;
            return 0;
        }
        t = key < (*t)->key ? &(*t)->left : &(*t)->right;
    }
    tnode *n = malloc(sizeof *n);
    if (!n) {
        fprintf(stderr, "bst: out of memory\n");
        exit(1);
    }
    *n = (tnode){NULL, NULL, key, value};
    *t = n;
    return 1;
}

static const tnode *find(const tnode *t, uint32_t key)
{
    while (t && t->key != key) t = key < t->key ? t->left : t->right;
    return t;
}

/* Returns 1 when key was there. A node with two children takes the key of
 * its in-order successor, which is then unlinked. */
static int delete(tnode **t, uint32_t key)
{
    while (*t && (*t)->key != key) t = key < (*t)->key ? &(*t)->left : &(*t)->right;
    tnode *n = *t;
    if (!n) return 0;
    if (n->left && n->right) {
        tnode **s = &n->right;
        while ((*s)->left) s = &(*s)->left;
        tnode *succ = *s;
        n->key = succ->key;
        n->value = succ->value;
        *s = succ->right;
        free(succ);
    } else {
        *t = n->left ? n->left : n->right;
        free(n);
    }
    return 1;
}

static uint32_t walk(const tnode *t, uint32_t h, uint32_t *count)
{
    while (t) {
        h = walk(t->left, h, count);
        h = (h ^ t->key ^ t->value) * 16777619u;
        ++*count;
        t = t->right;
    }
    return h;
}

static void free_tree(tnode *t)
{
    while (t) {
        free_tree(t->left);
        tnode *r = t->right;
        free(t);
        t = r;
    }
}

int main(int argc, char **argv)
{
    uint32_t scale = bench_scale(argc, argv, BENCH_DEFAULT_SCALE);
    uint32_t sum = 0;
    for (uint32_t r = 0; r < scale; r++) {
        tnode *root = NULL;
        uint32_t s = 0x1234567u + r, live = 0, found = 0;
        /* Keys from a range twice as large as the count: some repeat. */
        for (uint32_t i = 0; i < KEYS; i++) live += insert(&root, xorshift32(&s) % (2 * KEYS), i);
        for (uint32_t i = 0; i < 4 * KEYS; i++) {
            const tnode *n = find(root, xorshift32(&s) % (2 * KEYS));
            if (n) found += n->value;
        }
        for (uint32_t i = 0; i < KEYS; i++) live -= delete(&root, xorshift32(&s) % (2 * KEYS));
        for (uint32_t i = 0; i < KEYS / 2; i++) live += insert(&root, xorshift32(&s) % (2 * KEYS), i);
        uint32_t count = 0;
        uint32_t h = walk(root, 2166136261u, &count);
        if (count != live) {
            fprintf(stderr, "bst: %u nodes, expected %u\n", (unsigned)count, (unsigned)live);
            return 1;
        }
        sum = sum * 31 + (h ^ found ^ count);
        free_tree(root);
    }
    bench_checksum_u32("bst", sum);
    return 0;
}
