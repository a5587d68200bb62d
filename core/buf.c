/* The save/restore byte buffer: little-endian fields written and read in order. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void loom_buf_init(loom_buf *b) { memset(b, 0, sizeof *b); }

void loom_buf_free(loom_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void loom_buf_put(loom_buf *b, const void *p, size_t n)
{
    if (b->bad) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->bad = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

void loom_buf_put_u8(loom_buf *b, uint8_t v) { loom_buf_put(b, &v, 1); }

void loom_buf_put_u32(loom_buf *b, uint32_t v)
{
    uint8_t t[4];
    loom_put_le(t, 4, v);
    loom_buf_put(b, t, 4);
}

void loom_buf_put_u64(loom_buf *b, uint64_t v)
{
    uint8_t t[8];
    loom_put_le(t, 8, v);
    loom_buf_put(b, t, 8);
}

void loom_buf_put_str(loom_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    loom_buf_put_u32(b, (uint32_t)n);
    loom_buf_put(b, s, n);
}

bool loom_buf_get(loom_buf *b, void *p, size_t n)
{
    if (b->bad || n > b->len - b->pos) {
        b->bad = true;
        memset(p, 0, n);
        return false;
    }
    memcpy(p, b->data + b->pos, n);
    b->pos += n;
    return true;
}

uint8_t loom_buf_get_u8(loom_buf *b)
{
    uint8_t v;
    loom_buf_get(b, &v, 1);
    return v;
}

uint32_t loom_buf_get_u32(loom_buf *b)
{
    uint8_t t[4];
    loom_buf_get(b, t, 4);
    return (uint32_t)loom_get_le(t, 4);
}

uint64_t loom_buf_get_u64(loom_buf *b)
{
    uint8_t t[8];
    loom_buf_get(b, t, 8);
    return loom_get_le(t, 8);
}

char *loom_buf_get_str(loom_buf *b)
{
    uint32_t n = loom_buf_get_u32(b);
    if (b->bad || n > b->len - b->pos) {
        b->bad = true;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        b->bad = true;
        return NULL;
    }
    loom_buf_get(b, s, n);
    s[n] = 0;
    return s;
}
