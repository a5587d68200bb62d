/* Property values: parsing text with units into typed values. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

static const char *const type_names[] = {
    [LOOM_PROP_BOOL] = "boolean", [LOOM_PROP_INT] = "integer",  [LOOM_PROP_SIZE] = "size",
    [LOOM_PROP_FREQ] = "frequency", [LOOM_PROP_TIME] = "time",  [LOOM_PROP_STRING] = "string",
    [LOOM_PROP_FILE] = "file",    [LOOM_PROP_ENUM] = "choice", [LOOM_PROP_ADDR] = "address",
};

const char *loom_prop_type_name(loom_prop_type t)
{
    return (unsigned)t < sizeof type_names / sizeof *type_names ? type_names[t] : "?";
}

void loom_prop_value_clear(loom_prop_value *v)
{
    free(v->s);
    v->s = NULL;
}

/* A number: decimal (with an optional fraction), 0x hex, 0b binary or 0o
 * octal, with '_' separators. Returns the mantissa and the count of
 * fraction digits; *end points past it. */
static bool parse_number(const char *s, uint64_t *mant, unsigned *frac, const char **end)
{
    unsigned base = 10;
    const char *p = s;
    /* A prefix counts only when a digit of its base follows: "0B" is zero
     * bytes, not an empty binary number. */
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) base = 16, p += 2;
    else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B') && (p[2] == '0' || p[2] == '1')) base = 2, p += 2;
    else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O') && p[2] >= '0' && p[2] <= '7') base = 8, p += 2;
    uint64_t v = 0;
    unsigned digits = 0, fd = 0;
    bool in_frac = false;
    for (;; p++) {
        int c = (unsigned char)*p, d;
        if (c == '_' && digits) continue;
        if (c == '.' && base == 10 && !in_frac && digits) {
            in_frac = true;
            continue;
        }
        if (isdigit(c)) d = c - '0';
        else if (base == 16 && isxdigit(c)) d = tolower(c) - 'a' + 10;
        else break;
        if (d >= (int)base) return false;
        if (v > (UINT64_MAX - (uint64_t)d) / base) return false; /* overflow */
        v = v * base + (uint64_t)d;
        digits++;
        if (in_frac) fd++;
    }
    if (!digits) return false;
    *mant = v;
    *frac = fd;
    *end = p;
    return true;
}

typedef struct unit {
    const char *name;
    uint64_t factor;
} unit;

static const unit size_units[] = {
    {"", 1}, {"B", 1},
    {"K", 1ull << 10}, {"KB", 1ull << 10}, {"KiB", 1ull << 10},
    {"M", 1ull << 20}, {"MB", 1ull << 20}, {"MiB", 1ull << 20},
    {"G", 1ull << 30}, {"GB", 1ull << 30}, {"GiB", 1ull << 30},
    {"T", 1ull << 40}, {"TB", 1ull << 40}, {"TiB", 1ull << 40},
    {NULL, 0},
};
static const unit freq_units[] = {
    {"", 1}, {"Hz", 1}, {"kHz", 1000}, {"KHz", 1000}, {"MHz", 1000000}, {"GHz", 1000000000},
    {NULL, 0},
};
static const unit time_units[] = {
    {"ps", 1}, {"ns", LOOM_NS}, {"us", LOOM_US}, {"ms", LOOM_MS}, {"s", LOOM_SEC},
    {NULL, 0},
};

static bool parse_with_units(const char *text, const unit *units, uint64_t *out)
{
    uint64_t mant;
    unsigned frac;
    const char *p;
    while (isspace((unsigned char)*text)) text++;
    if (!parse_number(text, &mant, &frac, &p)) return false;
    while (*p == ' ') p++;
    const unit *u = NULL;
    for (const unit *k = units; k->name; k++)
        if (!strcmp(p, k->name)) u = k;
    if (!u) return false;
    uint64_t div = 1;
    for (unsigned i = 0; i < frac; i++) {
        if (div > UINT64_MAX / 10) return false;
        div *= 10;
    }
    /* mant * factor / div, exactly: a fraction must come out whole. */
    unsigned __int128 v = (unsigned __int128)mant * u->factor;
    if (v % div) return false;
    v /= div;
    if (v > UINT64_MAX) return false;
    *out = (uint64_t)v;
    return true;
}

static bool parse_int(const char *text, uint64_t *out)
{
    bool neg = false;
    while (isspace((unsigned char)*text)) text++;
    if (*text == '-') neg = true, text++;
    else if (*text == '+') text++;
    uint64_t v;
    unsigned frac;
    const char *p;
    if (!parse_number(text, &v, &frac, &p) || frac || *p) return false;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        v = (uint64_t)0 - v;
    } else if (v > (uint64_t)INT64_MAX) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_uint(const char *text, uint64_t *out)
{
    uint64_t v;
    unsigned frac;
    const char *p;
    while (isspace((unsigned char)*text)) text++;
    if (!parse_number(text, &v, &frac, &p) || frac || *p) return false;
    *out = v;
    return true;
}

static void errf(char *err, size_t len, const char *fmt, const char *a, const char *b)
{
    if (err && len) snprintf(err, len, fmt, a, b);
}

loom_err loom_prop_parse(const loom_prop_def *def, const char *text, loom_prop_value *out,
                         char *err, size_t errlen)
{
    loom_prop_value v = {.type = def->type};
    switch (def->type) {
    case LOOM_PROP_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcasecmp(text, "on") ||
            !strcmp(text, "1"))
            v.u = 1;
        else if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
                 !strcasecmp(text, "off") || !strcmp(text, "0"))
            v.u = 0;
        else {
            errf(err, errlen, "'%s' is not a boolean; expected true or false%s", text, "");
            return LOOM_E_INVAL;
        }
        break;
    case LOOM_PROP_INT:
        if (!parse_int(text, &v.u)) {
            errf(err, errlen, "'%s' is not an integer; expected a number such as 42, -1 or 0x1f%s",
                 text, "");
            return LOOM_E_INVAL;
        }
        break;
    case LOOM_PROP_ADDR:
        if (!parse_uint(text, &v.u)) {
            errf(err, errlen, "'%s' is not an address; expected a number such as 0x09000000%s",
                 text, "");
            return LOOM_E_INVAL;
        }
        break;
    case LOOM_PROP_SIZE:
        if (!parse_with_units(text, size_units, &v.u)) {
            errf(err, errlen, "'%s' is not a size; expected bytes with an optional unit, such as "
                              "4096, 64KiB, 128MiB or 1GiB%s", text, "");
            return LOOM_E_INVAL;
        }
        break;
    case LOOM_PROP_FREQ:
        if (!parse_with_units(text, freq_units, &v.u)) {
            errf(err, errlen, "'%s' is not a frequency; expected a number with Hz, kHz, MHz or GHz, "
                              "such as 100MHz%s", text, "");
            return LOOM_E_INVAL;
        }
        break;
    case LOOM_PROP_TIME:
        if (!parse_with_units(text, time_units, &v.u)) {
            errf(err, errlen, "'%s' is not a time; expected a number with ps, ns, us, ms or s, "
                              "such as 10us%s", text, "");
            return LOOM_E_INVAL;
        }
        break;
    case LOOM_PROP_ENUM: {
        const char *c = def->choices ? def->choices : "";
        size_t tl = strlen(text);
        unsigned idx = 0;
        bool found = false;
        while (*c) {
            size_t n = strcspn(c, "|");
            if (n == tl && !strncmp(c, text, n)) {
                found = true;
                break;
            }
            c += n;
            if (*c == '|') c++;
            idx++;
        }
        if (!found) {
            errf(err, errlen, "'%s' is not one of the choices; expected one of: %s", text,
                 def->choices ? def->choices : "");
            return LOOM_E_INVAL;
        }
        v.u = idx;
        v.s = loom_strdup(text);
        if (!v.s) return LOOM_E_NOMEM;
        break;
    }
    case LOOM_PROP_STRING:
    case LOOM_PROP_FILE:
        v.s = loom_strdup(text);
        if (!v.s) return LOOM_E_NOMEM;
        break;
    }
    *out = v;
    return LOOM_OK;
}
