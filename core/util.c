/* Small helpers used across core/: pointer vectors and strings. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool ptrvec_push(ptrvec *p, void *x)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        void **v = realloc(p->v, cap * sizeof *v);
        if (!v) return false;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = x;
    return true;
}

void ptrvec_remove(ptrvec *p, void *x)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->v[i] == x) {
            memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof *p->v);
            p->n--;
            return;
        }
    }
}

void ptrvec_free(ptrvec *p)
{
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

char *loom_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *loom_strfmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

void *loom_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("loom: out of memory\n", stderr);
        abort();
    }
    return p;
}

static const char *const err_names[LOOM_E__COUNT] = {
    [LOOM_OK] = "success",
    [LOOM_E_INVAL] = "invalid argument",
    [LOOM_E_NOMEM] = "out of memory",
    [LOOM_E_IO] = "input/output error",
    [LOOM_E_NOTFOUND] = "not found",
    [LOOM_E_EXISTS] = "already exists",
    [LOOM_E_OVERLAP] = "address ranges overlap",
    [LOOM_E_FORMAT] = "malformed file",
    [LOOM_E_ADDRESS] = "nothing mapped at address",
    [LOOM_E_BUS] = "bus error",
    [LOOM_E_UNSUPPORTED] = "not supported",
    [LOOM_E_STATE] = "not allowed in this state",
    [LOOM_E_TIMEOUT] = "timed out",
    [LOOM_E_CONFIG] = "board description error",
};

const char *loom_strerror(loom_err e)
{
    if ((unsigned)e < LOOM_E__COUNT && err_names[e]) return err_names[e];
    return "unknown error";
}
