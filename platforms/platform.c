/* The platform assembler: reads a YAML board (with includes), validates it
 * against the model registry, and builds instances, mappings and interrupt
 * wiring into a simulation. Every problem is reported with file, line and
 * column, and all problems are reported at once. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "loom/loom.h"

loom_bus *loom_container_bus(const loom_inst *inst);

#define MAX_INCLUDE_DEPTH 8
#define MAX_ERRORS 50

typedef struct src {
    char *path;        /* as named (for messages) */
    char *dir;         /* folder, for relative paths in the file */
    yaml_document_t doc;
    bool loaded;
} src;

/* A place in a board file, for messages. */
typedef struct where {
    const src *file;
    yaml_mark_t mark;
} where;

typedef struct decl {
    char *name;
    where at;
    const src *file;
    yaml_node_t *node; /* the device's mapping */
    loom_inst *inst;
    bool failed;
} decl;

struct loom_platform {
    loom_sim *sim;
    char *name;
    char *description;
    src **srcs;
    size_t nsrcs;
    decl *decls;
    size_t ndecls;
    loom_time quantum;
    bool quantum_set;
    bool semihosting, semihosting_set; /* semihosting: true */
    uint64_t fw_addr;
    uint64_t dtb_addr;    /* firmware: dtb: where a raw firmware finds the device tree */
    bool dtb_set;
    /* Diagnostics, one per line. */
    char *diag;
    size_t diag_len;
    unsigned nerrors;
    bool io_failed; /* a file could not be opened (exit status: input missing) */
    /* Files being included, by real path, to catch include loops. */
    char *include_stack[MAX_INCLUDE_DEPTH + 1];
    int include_depth;
};

/* ---- Diagnostics ---------------------------------------------------------- */

static void diag_add(loom_platform *p, const char *line)
{
    size_t n = strlen(line);
    char *d = realloc(p->diag, p->diag_len + n + 2);
    if (!d) return;
    p->diag = d;
    memcpy(p->diag + p->diag_len, line, n);
    p->diag_len += n;
    p->diag[p->diag_len++] = '\n';
    p->diag[p->diag_len] = 0;
}

static void error_at(loom_platform *p, where w, const char *fmt, ...) LOOM_PRINTF(3, 4);
static void error_at(loom_platform *p, where w, const char *fmt, ...)
{
    if (++p->nerrors > MAX_ERRORS) {
        if (p->nerrors == MAX_ERRORS + 1) diag_add(p, "loom: too many errors; stopping here");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    char *line = NULL;
    if (w.file) {
        if (asprintf(&line, "%s:%zu:%zu: error: %s", w.file->path, w.mark.line + 1, w.mark.column + 1,
                     msg ? msg : "?") < 0)
            line = NULL;
    } else if (asprintf(&line, "error: %s", msg ? msg : "?") < 0) {
        line = NULL;
    }
    if (line) diag_add(p, line);
    free(line);
    free(msg);
}

static where node_where(const src *f, const yaml_node_t *n) { return (where){f, n->start_mark}; }

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a single value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Edit distance, for "did you mean". */
static unsigned distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 99;
    unsigned d[41][41];
    for (size_t i = 0; i <= la; i++) d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

/* Append ", name" to a list buffer. */
static void list_add(char *buf, size_t len, const char *name)
{
    size_t used = strlen(buf);
    if (used + strlen(name) + 3 >= len) return;
    if (used) strcat(buf, ", ");
    strcat(buf, name);
}

/* ---- Loading files ---------------------------------------------------------- */

static const char *parser_problem(yaml_parser_t *ps)
{
    return ps->problem ? ps->problem : "malformed YAML";
}

static src *load_src(loom_platform *p, const char *path, const char *text, where from)
{
    src *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->path = strdup(path);
    char *tmp = strdup(path);
    s->dir = tmp ? strdup(dirname(tmp)) : NULL;
    free(tmp);
    src **v = realloc(p->srcs, (p->nsrcs + 1) * sizeof *v);
    if (!s->path || !s->dir || !v) {
        free(s->path);
        free(s->dir);
        free(s);
        if (v) p->srcs = v;
        return NULL;
    }
    p->srcs = v;
    p->srcs[p->nsrcs++] = s;

    yaml_parser_t ps;
    yaml_parser_initialize(&ps);
    FILE *f = NULL;
    if (text) {
        yaml_parser_set_input_string(&ps, (const unsigned char *)text, strlen(text));
    } else {
        f = fopen(path, "rb");
        if (!f) {
            yaml_parser_delete(&ps);
            error_at(p, from, "cannot open board file '%s': %s", path, strerror(errno));
            p->io_failed = true;
            return NULL;
        }
        yaml_parser_set_input_file(&ps, f);
    }
    if (!yaml_parser_load(&ps, &s->doc)) {
        where w = {s, ps.problem_mark};
        if (ps.context)
            error_at(p, w, "YAML syntax: %s %s", parser_problem(&ps), ps.context);
        else
            error_at(p, w, "YAML syntax: %s", parser_problem(&ps));
        yaml_parser_delete(&ps);
        if (f) fclose(f);
        return NULL;
    }
    s->loaded = true;
    /* One document per board file. */
    yaml_document_t extra;
    if (yaml_parser_load(&ps, &extra)) {
        if (yaml_document_get_root_node(&extra))
            error_at(p, (where){s, extra.start_mark},
                     "a second YAML document; a board file holds exactly one");
        yaml_document_delete(&extra);
    }
    yaml_parser_delete(&ps);
    if (f) fclose(f);
    return s;
}

static void free_srcs(loom_platform *p)
{
    for (size_t i = 0; i < p->nsrcs; i++) {
        src *s = p->srcs[i];
        if (s->loaded) yaml_document_delete(&s->doc);
        free(s->path);
        free(s->dir);
        free(s);
    }
    free(p->srcs);
    p->srcs = NULL;
    p->nsrcs = 0;
}

static void platform_free(void *opaque)
{
    loom_platform *p = opaque;
    for (size_t i = 0; i < p->ndecls; i++) free(p->decls[i].name);
    free(p->decls);
    free_srcs(p);
    free(p->name);
    free(p->description);
    free(p->diag);
    free(p);
}

/* ---- Board structure ---------------------------------------------------------- */

static const char *const board_keys[] = {"board",    "description", "include", "quantum",
                                         "firmware", "semihosting", "devices", NULL};
static const char *const device_keys[] = {"type", "at", "on", "priority", NULL};

static void unknown_key(loom_platform *p, where w, const char *key, const char *context,
                        const char *const *fixed, const loom_model_type *t, const char *outputs)
{
    char known[1024] = "";
    const char *best = NULL;
    unsigned bestd = 3;
    for (size_t i = 0; fixed && fixed[i]; i++) {
        list_add(known, sizeof known, fixed[i]);
        unsigned d = distance(key, fixed[i]);
        if (d < bestd) bestd = d, best = fixed[i];
    }
    for (unsigned i = 0; t && i < t->nprops; i++) {
        list_add(known, sizeof known, t->props[i].name);
        unsigned d = distance(key, t->props[i].name);
        if (d < bestd) bestd = d, best = t->props[i].name;
    }
    if (outputs && *outputs) list_add(known, sizeof known, outputs);
    if (best)
        error_at(p, w, "unknown key '%s' in %s; did you mean '%s'? (expected one of: %s)", key, context,
                 best, known);
    else
        error_at(p, w, "unknown key '%s' in %s (expected one of: %s)", key, context, known);
}

static bool is_one_of(const char *k, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (!strcmp(k, list[i])) return true;
    return false;
}

static decl *find_decl(loom_platform *p, const char *name)
{
    for (size_t i = 0; i < p->ndecls; i++)
        if (!strcmp(p->decls[i].name, name)) return &p->decls[i];
    return NULL;
}

static bool valid_name(const char *s)
{
    if (!*s) return false;
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-')) return false;
    return true;
}

static void read_board(loom_platform *p, src *s, int depth);

static void read_include(loom_platform *p, src *s, yaml_node_t *n, int depth)
{
    yaml_document_t *doc = &s->doc;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            read_include(p, s, yaml_document_get_node(doc, *it), depth);
        return;
    }
    const char *name = scalar(n);
    if (!name || !*name) {
        error_at(p, node_where(s, n), "'include' expects a file name or a list of them, found %s", node_kind(n));
        return;
    }
    if (depth >= MAX_INCLUDE_DEPTH) {
        error_at(p, node_where(s, n), "includes nest deeper than %d (an include loop?)", MAX_INCLUDE_DEPTH);
        return;
    }
    char *path = name[0] == '/' ? strdup(name) : NULL;
    if (!path && asprintf(&path, "%s/%s", s->dir, name) < 0) path = NULL;
    if (!path) return;
    char *real = realpath(path, NULL);
    for (int i = 0; real && i < p->include_depth; i++) {
        if (!strcmp(p->include_stack[i], real)) {
            error_at(p, node_where(s, n), "'%s' includes itself (through %s)", name,
                     i + 1 < p->include_depth ? "other files" : "this file");
            free(real);
            free(path);
            return;
        }
    }
    src *inc = load_src(p, path, NULL, node_where(s, n));
    free(path);
    if (inc && real) {
        p->include_stack[p->include_depth++] = real;
        read_board(p, inc, depth + 1);
        p->include_depth--;
    }
    free(real);
}

static void read_devices(loom_platform *p, src *s, yaml_node_t *n)
{
    yaml_document_t *doc = &s->doc;
    if (n->type != YAML_MAPPING_NODE) {
        error_at(p, node_where(s, n),
                 "'devices' must be a mapping of device names to their settings, found %s", node_kind(n));
        return;
    }
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        const char *name = scalar(k);
        if (!name) {
            error_at(p, node_where(s, k), "a device name must be a single word, found %s", node_kind(k));
            continue;
        }
        if (!valid_name(name) || !strcmp(name, "memory") || !strcmp(name, "io")) {
            error_at(p, node_where(s, k),
                     "'%s' is not a valid device name: use letters, digits, '_' and '-' "
                     "('memory' and 'io' name the address spaces)", name);
            continue;
        }
        decl *old = find_decl(p, name);
        if (old) {
            error_at(p, node_where(s, k), "device '%s' is defined twice (first at %s:%zu:%zu)", name,
                     old->at.file->path, old->at.mark.line + 1, old->at.mark.column + 1);
            continue;
        }
        if (v->type != YAML_MAPPING_NODE) {
            error_at(p, node_where(s, v), "device '%s' must be a mapping with at least 'type', found %s",
                     name, node_kind(v));
            continue;
        }
        decl *d = realloc(p->decls, (p->ndecls + 1) * sizeof *d);
        if (!d) return;
        p->decls = d;
        p->decls[p->ndecls++] = (decl){.name = strdup(name), .at = node_where(s, k), .file = s, .node = v};
    }
}

static void read_board(loom_platform *p, src *s, int depth)
{
    yaml_document_t *doc = &s->doc;
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root) {
        error_at(p, (where){s, {0}}, "the board file is empty; expected a mapping with 'devices'");
        return;
    }
    if (root->type != YAML_MAPPING_NODE) {
        error_at(p, node_where(s, root), "a board is a mapping (board:, devices:, ...), found %s",
                 node_kind(root));
        return;
    }
    const char *seen[16] = {0};
    size_t nseen = 0;
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        const char *key = scalar(k);
        if (!key) {
            error_at(p, node_where(s, k), "keys must be single words, found %s", node_kind(k));
            continue;
        }
        if (!is_one_of(key, board_keys)) {
            unknown_key(p, node_where(s, k), key, "the board", board_keys, NULL, NULL);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < nseen; i++) dup |= !strcmp(seen[i], key);
        if (dup) {
            error_at(p, node_where(s, k), "key '%s' appears twice in the board", key);
            continue;
        }
        if (nseen < 16) seen[nseen++] = key;

        if (!strcmp(key, "include")) {
            read_include(p, s, v, depth);
        } else if (!strcmp(key, "devices")) {
            read_devices(p, s, v);
        } else if (!strcmp(key, "board") || !strcmp(key, "description")) {
            const char *t = scalar(v);
            if (!t) {
                error_at(p, node_where(s, v), "'%s' expects text, found %s", key, node_kind(v));
                continue;
            }
            /* The including file wins: it is read after what it includes
             * only for devices; for its own settings, the top file is
             * depth 0 and is never overridden. */
            char **dst = !strcmp(key, "board") ? &p->name : &p->description;
            if (depth == 0 || !*dst) {
                free(*dst);
                *dst = strdup(t);
            }
        } else if (!strcmp(key, "semihosting")) {
            loom_prop_def def = {"semihosting", LOOM_PROP_BOOL, NULL, NULL, NULL};
            loom_prop_value val;
            char err[256];
            const char *t = scalar(v);
            if (!t || loom_prop_parse(&def, t, &val, err, sizeof err))
                error_at(p, node_where(s, v), "semihosting: %s", t ? err : "expected true or false");
            else if (depth == 0 || !p->semihosting_set) {
                p->semihosting = val.u != 0;
                p->semihosting_set = true;
            }
        } else if (!strcmp(key, "quantum")) {
            loom_prop_def def = {"quantum", LOOM_PROP_TIME, NULL, NULL, NULL};
            loom_prop_value val;
            char err[256];
            const char *t = scalar(v);
            if (!t) {
                error_at(p, node_where(s, v), "'quantum' expects a time such as 10us, found %s", node_kind(v));
            } else if (loom_prop_parse(&def, t, &val, err, sizeof err)) {
                error_at(p, node_where(s, v), "quantum: %s", err);
            } else if (val.u == 0) {
                error_at(p, node_where(s, v), "quantum must be greater than 0");
            } else if (depth == 0 || !p->quantum_set) {
                p->quantum = val.u;
                p->quantum_set = true;
            }
        } else if (!strcmp(key, "firmware")) {
            if (v->type != YAML_MAPPING_NODE) {
                error_at(p, node_where(s, v), "'firmware' expects a mapping (address: ...), found %s", node_kind(v));
                continue;
            }
            for (yaml_node_pair_t *fp = v->data.mapping.pairs.start; fp < v->data.mapping.pairs.top; fp++) {
                yaml_node_t *fk = yaml_document_get_node(doc, fp->key);
                yaml_node_t *fv = yaml_document_get_node(doc, fp->value);
                const char *fkey = scalar(fk);
                static const char *const fw_keys[] = {"address", "dtb", NULL};
                if (!fkey || !is_one_of(fkey, fw_keys)) {
                    unknown_key(p, node_where(s, fk), fkey ? fkey : "?", "'firmware'", fw_keys, NULL, NULL);
                    continue;
                }
                loom_prop_def def = {fkey, LOOM_PROP_ADDR, NULL, NULL, NULL};
                loom_prop_value val;
                char err[256];
                const char *t = scalar(fv);
                if (!t || loom_prop_parse(&def, t, &val, err, sizeof err)) {
                    error_at(p, node_where(s, fv), "firmware %s: %s", fkey, t ? err : "expected an address");
                } else if (!strcmp(fkey, "dtb")) {
                    p->dtb_addr = val.u;
                    p->dtb_set = true;
                } else {
                    p->fw_addr = val.u;
                }
            }
        }
    }
}

/* ---- Building ------------------------------------------------------------------ */

static const char *sim_error_copy(loom_sim *sim, char *buf, size_t len)
{
    snprintf(buf, len, "%s", loom_sim_last_error(sim));
    return buf;
}

/* Output port names of a type are only known once an instance is
 * initialised; before that, a key that is neither fixed nor a property is
 * taken to be an interrupt connection and checked after init. */
static void create_instance(loom_platform *p, decl *d)
{
    const src *s = d->file;
    yaml_document_t *doc = (yaml_document_t *)&s->doc;
    yaml_node_t *type_node = NULL;
    for (yaml_node_pair_t *pr = d->node->data.mapping.pairs.start; pr < d->node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (scalar(k) && !strcmp(scalar(k), "type")) type_node = yaml_document_get_node(doc, pr->value);
    }
    if (!type_node) {
        error_at(p, d->at, "device '%s' has no 'type' (see `loom models` for the types)", d->name);
        d->failed = true;
        return;
    }
    const char *tname = scalar(type_node);
    const loom_model_type *t = tname ? loom_sim_find_model(p->sim, tname) : NULL;
    if (!t) {
        const loom_model_type *all[256];
        size_t n = loom_sim_models(p->sim, all, 256);
        char known[2048] = "";
        const char *best = NULL;
        unsigned bestd = 3;
        for (size_t i = 0; i < n; i++) {
            list_add(known, sizeof known, all[i]->name);
            unsigned dd = tname ? distance(tname, all[i]->name) : 99;
            if (dd < bestd) bestd = dd, best = all[i]->name;
        }
        if (!tname)
            error_at(p, node_where(s, type_node), "'type' expects a model type name, found %s (known types: %s)",
                     node_kind(type_node), known);
        else if (best)
            error_at(p, node_where(s, type_node), "unknown device type '%s'; did you mean '%s'? (known types: %s)",
                     tname, best, known);
        else
            error_at(p, node_where(s, type_node), "unknown device type '%s' (known types: %s)", tname, known);
        d->failed = true;
        return;
    }
    loom_err e = loom_inst_create(p->sim, t, d->name, &d->inst);
    if (e) {
        char buf[512];
        error_at(p, d->at, "%s", sim_error_copy(p->sim, buf, sizeof buf));
        d->failed = true;
        return;
    }
    /* Properties. */
    const char *seen[64];
    size_t nseen = 0;
    for (yaml_node_pair_t *pr = d->node->data.mapping.pairs.start; pr < d->node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        const char *key = scalar(k);
        if (!key) {
            error_at(p, node_where(s, k), "keys must be single words, found %s", node_kind(k));
            d->failed = true;
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < nseen; i++) dup |= !strcmp(seen[i], key);
        if (dup) {
            error_at(p, node_where(s, k), "key '%s' appears twice in device '%s'", key, d->name);
            d->failed = true;
            continue;
        }
        if (nseen < 64) seen[nseen++] = key;
        if (is_one_of(key, device_keys)) continue;
        const loom_prop_def *def = NULL;
        for (unsigned i = 0; i < t->nprops; i++)
            if (!strcmp(t->props[i].name, key)) def = &t->props[i];
        if (!def) continue; /* an interrupt connection, or unknown: checked after init */
        const char *text = scalar(v);
        if (!text) {
            error_at(p, node_where(s, v), "property '%s' of '%s' (%s) expects a single value, found %s", key,
                     d->name, loom_prop_type_name(def->type), node_kind(v));
            d->failed = true;
            continue;
        }
        char *resolved = NULL;
        if (def->type == LOOM_PROP_FILE && *text && text[0] != '/' && asprintf(&resolved, "%s/%s", s->dir, text) < 0)
            resolved = NULL;
        char err[512];
        e = loom_inst_set_prop(d->inst, key, resolved ? resolved : text, err, sizeof err);
        free(resolved);
        if (e) {
            error_at(p, node_where(s, v), "property '%s' of '%s': %s", key, d->name, err);
            d->failed = true;
        }
    }
}

static void apply_override(loom_platform *p, const char *text)
{
    where cmdline = {NULL, {0}};
    const char *eq = strchr(text, '=');
    const char *dot = strchr(text, '.');
    if (!eq || !dot || dot > eq || dot == text || eq == dot + 1) {
        error_at(p, cmdline, "-p %s: expected INSTANCE.PROPERTY=VALUE", text);
        return;
    }
    char *inst = strndup(text, (size_t)(dot - text));
    char *prop = strndup(dot + 1, (size_t)(eq - dot - 1));
    decl *d = inst ? find_decl(p, inst) : NULL;
    if (!d) {
        char known[1024] = "";
        for (size_t i = 0; i < p->ndecls; i++) list_add(known, sizeof known, p->decls[i].name);
        error_at(p, cmdline, "-p %s: the board has no device '%s' (devices: %s)", text, inst ? inst : "?", known);
    } else if (d->inst) {
        char err[512];
        loom_err e = loom_inst_set_prop(d->inst, prop, eq + 1, err, sizeof err);
        if (e == LOOM_E_NOTFOUND) {
            const loom_model_type *t = loom_inst_type(d->inst);
            char known[1024] = "";
            for (unsigned i = 0; i < t->nprops; i++) list_add(known, sizeof known, t->props[i].name);
            error_at(p, cmdline, "-p %s: type '%s' has no property '%s' (properties: %s)", text, t->name, prop, known);
        } else if (e) {
            error_at(p, cmdline, "-p %s: %s", text, err);
        }
    }
    free(inst);
    free(prop);
}

static bool is_container(const decl *d)
{
    return d->inst && !strcmp(loom_inst_type(d->inst)->name, "container");
}

static void init_instance(loom_platform *p, decl *d)
{
    if (d->failed || !d->inst) return;
    loom_err e = loom_inst_init(d->inst);
    if (e) {
        char buf[1024];
        error_at(p, d->at, "%s", sim_error_copy(p->sim, buf, sizeof buf));
        d->failed = true;
    }
}

static yaml_node_t *get_key(const src *s, yaml_node_t *map, const char *key, yaml_node_t **knode)
{
    yaml_document_t *doc = (yaml_document_t *)&s->doc;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (scalar(k) && !strcmp(scalar(k), key)) {
            if (knode) *knode = k;
            return yaml_document_get_node(doc, pr->value);
        }
    }
    return NULL;
}

static bool parse_addr(const char *t, uint64_t *out)
{
    loom_prop_def def = {"at", LOOM_PROP_ADDR, NULL, NULL, NULL};
    loom_prop_value v;
    char err[128];
    if (!t || loom_prop_parse(&def, t, &v, err, sizeof err)) return false;
    *out = v.u;
    return true;
}

static loom_bus *space_of(loom_platform *p, decl *d, where *w)
{
    yaml_node_t *on = get_key(d->file, d->node, "on", NULL);
    if (!on) return loom_sim_memory(p->sim);
    const char *name = scalar(on);
    *w = node_where(d->file, on);
    if (!name) {
        error_at(p, *w, "'on' expects an address space name (memory, io or a container), found %s", node_kind(on));
        return NULL;
    }
    if (!strcmp(name, "memory")) return loom_sim_memory(p->sim);
    if (!strcmp(name, "io")) return loom_sim_io(p->sim);
    decl *c = find_decl(p, name);
    if (!c) {
        error_at(p, *w, "'on: %s': no such address space; expected memory, io or a container device", name);
        return NULL;
    }
    if (!is_container(c)) {
        if (c->inst)
            error_at(p, *w, "'on: %s': '%s' is a %s, not a container", name, name, loom_inst_type(c->inst)->name);
        return NULL;
    }
    return c->failed ? NULL : loom_container_bus(c->inst);
}

static void map_one(loom_platform *p, decl *d, loom_bus *bus, loom_region *r, const char *rname,
                    yaml_node_t *addr_node, int priority)
{
    uint64_t addr;
    where w = node_where(d->file, addr_node);
    if (!parse_addr(scalar(addr_node), &addr)) {
        error_at(p, w, "address of '%s' must be a number such as 0x09000000, found %s", d->name,
                 scalar(addr_node) ? scalar(addr_node) : node_kind(addr_node));
        return;
    }
    if (loom_bus_map(bus, r, addr, priority, NULL)) {
        char buf[1024];
        error_at(p, w, "cannot map '%s'%s%s: %s", d->name, rname ? " region " : "", rname ? rname : "",
                 sim_error_copy(p->sim, buf, sizeof buf));
    }
}

static void map_instance(loom_platform *p, decl *d)
{
    if (d->failed || !d->inst) return;
    const src *s = d->file;
    yaml_node_t *atk = NULL;
    yaml_node_t *at = get_key(s, d->node, "at", &atk);
    size_t nreg = loom_inst_region_count(d->inst);
    const char *tname = loom_inst_type(d->inst)->name;
    if (!at) {
        if (nreg)
            error_at(p, d->at, "device '%s' (%s) has %s to map but no 'at' address", d->name, tname,
                     nreg == 1 ? "a region" : "regions");
        return;
    }
    if (!nreg) {
        error_at(p, node_where(s, atk), "device '%s' (%s) has nothing to map; remove 'at'", d->name, tname);
        return;
    }
    int priority = 0;
    yaml_node_t *pri = get_key(s, d->node, "priority", NULL);
    if (pri) {
        loom_prop_def def = {"priority", LOOM_PROP_INT, NULL, NULL, NULL};
        loom_prop_value v;
        char err[256];
        if (!scalar(pri) || loom_prop_parse(&def, scalar(pri), &v, err, sizeof err) ||
            (int64_t)v.u < -1000 || (int64_t)v.u > 1000) {
            error_at(p, node_where(s, pri), "priority must be an integer from -1000 to 1000");
            return;
        }
        priority = (int)(int64_t)v.u;
    }
    where sw = d->at;
    loom_bus *bus = space_of(p, d, &sw);
    if (!bus) return;
    if (at->type == YAML_SCALAR_NODE) {
        if (nreg > 1) {
            char names[512] = "";
            for (size_t i = 0; i < nreg; i++) {
                const char *rn;
                loom_inst_region(d->inst, i, &rn);
                list_add(names, sizeof names, rn);
            }
            error_at(p, node_where(s, at),
                     "device '%s' (%s) has several regions (%s); give 'at' as a mapping of region to address",
                     d->name, tname, names);
            return;
        }
        map_one(p, d, bus, loom_inst_region(d->inst, 0, NULL), NULL, at, priority);
        return;
    }
    if (at->type != YAML_MAPPING_NODE) {
        error_at(p, node_where(s, at), "'at' expects an address or a mapping of region to address, found %s",
                 node_kind(at));
        return;
    }
    yaml_document_t *doc = (yaml_document_t *)&s->doc;
    for (yaml_node_pair_t *pr = at->data.mapping.pairs.start; pr < at->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        const char *rn = scalar(k);
        loom_region *r = rn ? loom_inst_find_region(d->inst, rn) : NULL;
        if (!r) {
            char names[512] = "";
            for (size_t i = 0; i < nreg; i++) {
                const char *n;
                loom_inst_region(d->inst, i, &n);
                list_add(names, sizeof names, n);
            }
            error_at(p, node_where(s, k), "device '%s' (%s) has no region '%s' (regions: %s)", d->name, tname,
                     rn ? rn : "?", names);
            continue;
        }
        map_one(p, d, bus, r, rn, v, priority);
    }
}

/* "gic.spi[33]", "cpu0.irq", "cpu0": device, port and index. */
static bool parse_ref(const char *ref, char *dev, size_t devlen, char *port, size_t portlen, unsigned *idx,
                      bool *has_port)
{
    const char *dot = strchr(ref, '.');
    const char *br = strchr(ref, '[');
    size_t dl = dot ? (size_t)(dot - ref) : br ? (size_t)(br - ref) : strlen(ref);
    if (dl == 0 || dl >= devlen) return false;
    memcpy(dev, ref, dl);
    dev[dl] = 0;
    *has_port = dot != NULL;
    *idx = 0;
    port[0] = 0;
    const char *q = ref + dl;
    if (dot) {
        const char *pe = br ? br : ref + strlen(ref);
        if (pe <= dot + 1 || (size_t)(pe - dot - 1) >= portlen) return false;
        memcpy(port, dot + 1, (size_t)(pe - dot - 1));
        port[pe - dot - 1] = 0;
        q = pe;
    }
    if (*q == '[') {
        char *end;
        unsigned long v = strtoul(q + 1, &end, 0);
        if (end == q + 1 || *end != ']' || end[1] || v > 1000000) return false;
        *idx = (unsigned)v;
    } else if (*q) {
        return false;
    }
    return true;
}

static void connect_one(loom_platform *p, decl *d, const char *out, unsigned oidx, yaml_node_t *ref_node)
{
    const src *s = d->file;
    where w = node_where(s, ref_node);
    const char *ref = scalar(ref_node);
    char dev[128], port[128];
    unsigned idx;
    bool has_port;
    if (!ref || !parse_ref(ref, dev, sizeof dev, port, sizeof port, &idx, &has_port)) {
        error_at(p, w, "interrupt reference '%s' is malformed; expected DEVICE.INPUT[INDEX], DEVICE.INPUT or DEVICE",
                 ref ? ref : node_kind(ref_node));
        return;
    }
    decl *target = find_decl(p, dev);
    if (!target) {
        error_at(p, w, "interrupt reference '%s': no device named '%s'", ref, dev);
        return;
    }
    if (target->failed || !target->inst) return;
    /* Collect the target's inputs for messages and for the short forms. */
    char inputs[512] = "";
    const char *only = NULL;
    unsigned ninputs = 0;
    for (size_t i = 0; i < loom_inst_port_count(target->inst); i++) {
        loom_port_info pi = loom_inst_port(target->inst, i);
        if (pi.output) continue;
        char item[160];
        snprintf(item, sizeof item, pi.count > 1 ? "%s[0..%u]" : "%s", pi.name, pi.count - 1);
        list_add(inputs, sizeof inputs, item);
        only = pi.name;
        ninputs++;
    }
    if (!has_port) {
        if (ninputs != 1) {
            error_at(p, w, "interrupt reference '%s': '%s' has %s; name one (%s)", ref, dev,
                     ninputs ? "several inputs" : "no interrupt inputs", ninputs ? inputs : "none");
            return;
        }
        snprintf(port, sizeof port, "%s", only);
    }
    loom_irq *line = loom_inst_output(d->inst, out, oidx);
    if (!line) return; /* checked by the caller */
    loom_err e = loom_inst_connect_input(target->inst, port, idx, line);
    if (e == LOOM_E_NOTFOUND) {
        error_at(p, w, "interrupt reference '%s': '%s' (%s) has no input '%s' (inputs: %s)", ref, dev,
                 loom_inst_type(target->inst)->name, port, ninputs ? inputs : "none");
    } else if (e) {
        char buf[512];
        error_at(p, w, "interrupt reference '%s': %s", ref, sim_error_copy(p->sim, buf, sizeof buf));
    }
}

/* Every key that is neither fixed nor a property must be an output. */
static void wire_instance(loom_platform *p, decl *d)
{
    if (d->failed || !d->inst) return;
    const src *s = d->file;
    yaml_document_t *doc = (yaml_document_t *)&s->doc;
    const loom_model_type *t = loom_inst_type(d->inst);
    char outputs[512] = "";
    for (size_t i = 0; i < loom_inst_port_count(d->inst); i++) {
        loom_port_info pi = loom_inst_port(d->inst, i);
        if (pi.output) list_add(outputs, sizeof outputs, pi.name);
    }
    for (yaml_node_pair_t *pr = d->node->data.mapping.pairs.start; pr < d->node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(doc, pr->value);
        const char *key = scalar(k);
        if (!key || is_one_of(key, device_keys)) continue;
        bool is_prop = false;
        for (unsigned i = 0; i < t->nprops; i++) is_prop |= !strcmp(t->props[i].name, key);
        if (is_prop) continue;
        /* "irq" or "irq[2]" */
        char out[128];
        unsigned oidx = 0;
        bool indexed = false;
        const char *br = strchr(key, '[');
        size_t ol = br ? (size_t)(br - key) : strlen(key);
        if (ol >= sizeof out) ol = sizeof out - 1;
        memcpy(out, key, ol);
        out[ol] = 0;
        if (br) {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(br + 1, &end, 0);
            indexed = end != br + 1 && *end == ']' && !end[1] && !errno && x <= 1000000;
            oidx = (unsigned)x;
        }
        loom_port_info info = {0};
        bool found = false;
        for (size_t i = 0; i < loom_inst_port_count(d->inst); i++) {
            loom_port_info pi = loom_inst_port(d->inst, i);
            if (pi.output && !strcmp(pi.name, out)) info = pi, found = true;
        }
        char ctx[256];
        snprintf(ctx, sizeof ctx, "device '%s' (type %s)", d->name, t->name);
        if (!found || (br && !indexed)) {
            unknown_key(p, node_where(s, k), key, ctx, device_keys, t, outputs);
            continue;
        }
        if (v->type == YAML_SEQUENCE_NODE && !br) {
            unsigned i = 0;
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++, i++) {
                if (i >= info.count) {
                    error_at(p, node_where(s, yaml_document_get_node(doc, *it)),
                             "output '%s' of '%s' has %u lines; this list gives more", out, d->name, info.count);
                    break;
                }
                connect_one(p, d, out, i, yaml_document_get_node(doc, *it));
            }
            continue;
        }
        if (oidx >= info.count) {
            error_at(p, node_where(s, k), "output '%s' of '%s' has %u lines; index %u is out of range", out, d->name,
                     info.count, oidx);
            continue;
        }
        if (v->type != YAML_SCALAR_NODE) {
            error_at(p, node_where(s, v), "output '%s' of '%s' expects an interrupt reference such as gic.spi[1], found %s",
                     key, d->name, node_kind(v));
            continue;
        }
        connect_one(p, d, out, oidx, v);
    }
}

/* The board's device tree, written at firmware: dtb:. */
static loom_err place_dtb(loom_platform *p)
{
    void *blob;
    size_t size;
    loom_err e = loom_platform_dtb(p, &blob, &size);
    if (e) return e;
    e = loom_bus_debug_write(loom_sim_memory(p->sim), p->dtb_addr, blob, size);
    free(blob);
    if (e)
        return loom_sim_error(p->sim, e, "the device tree (%zu bytes) does not fit at 0x%llx", size,
                              (unsigned long long)p->dtb_addr);
    return LOOM_OK;
}

static loom_err build(loom_platform *p, const loom_platform_opts *opts)
{
    for (size_t i = 0; i < p->ndecls; i++) create_instance(p, &p->decls[i]);
    for (size_t i = 0; opts && i < opts->noverrides; i++) apply_override(p, opts->overrides[i].text);
    /* Containers first: aliases and devices placed 'on' them need them. */
    for (size_t i = 0; i < p->ndecls; i++)
        if (is_container(&p->decls[i])) init_instance(p, &p->decls[i]);
    for (size_t i = 0; i < p->ndecls; i++)
        if (!is_container(&p->decls[i])) init_instance(p, &p->decls[i]);
    for (size_t i = 0; i < p->ndecls; i++) map_instance(p, &p->decls[i]);
    for (size_t i = 0; i < p->ndecls; i++) wire_instance(p, &p->decls[i]);
    if (p->nerrors) return LOOM_E_CONFIG;
    for (size_t i = 0; i < p->ndecls; i++) {
        if (loom_inst_realize(p->decls[i].inst)) {
            char buf[1024];
            error_at(p, p->decls[i].at, "%s", sim_error_copy(p->sim, buf, sizeof buf));
        }
    }
    if (p->quantum_set) loom_sim_set_quantum(p->sim, p->quantum);
    if (p->semihosting) loom_sim_set_semihosting(p->sim, true);
    p->quantum = loom_sim_quantum(p->sim);
    if (!p->nerrors && opts && opts->firmware) {
        FILE *f = fopen(opts->firmware, "rb");
        unsigned char magic[4] = {0};
        if (!f) {
            error_at(p, (where){0}, "cannot open firmware '%s': %s", opts->firmware, strerror(errno));
            p->io_failed = true;
        } else {
            size_t n = fread(magic, 1, 4, f);
            fclose(f);
            loom_err e;
            if (n == 4 && !memcmp(magic, "\177ELF", 4)) {
                loom_elf_info info;
                e = loom_load_elf(p->sim, loom_sim_memory(p->sim), opts->firmware, &info);
                if (!e) loom_sim_set_entry(p->sim, info.entry);
            } else {
                e = loom_load_raw(p->sim, loom_sim_memory(p->sim), opts->firmware, p->fw_addr, NULL);
                /* A raw image is firmware that looks for the device tree
                 * where the board says, as QEMU's -bios does; an ELF is a
                 * program of its own, whose memory it could overwrite. */
                if (!e && p->dtb_set) e = place_dtb(p);
            }
            if (e) {
                char buf[1024];
                error_at(p, (where){0}, "firmware: %s", sim_error_copy(p->sim, buf, sizeof buf));
            }
        }
    }
    return p->nerrors ? LOOM_E_CONFIG : LOOM_OK;
}

static loom_err load(loom_sim *sim, const char *path, const char *text, const loom_platform_opts *opts,
                     loom_platform **out)
{
    *out = NULL;
    loom_platform *p = calloc(1, sizeof *p);
    if (!p) return LOOM_E_NOMEM;
    p->sim = sim;
    loom_err e = loom_sim_own(sim, p, platform_free);
    if (e) {
        free(p);
        return e;
    }
    src *s = load_src(p, path, text, (where){0});
    char *real = text ? NULL : realpath(path, NULL);
    if (real) p->include_stack[p->include_depth++] = real;
    if (s) read_board(p, s, 0);
    if (real) p->include_depth--;
    free(real);
    if (s && !p->ndecls && !p->nerrors)
        error_at(p, (where){s, {0}}, "the board has no devices; expected a 'devices' mapping");
    if (!p->name) {
        char *tmp = strdup(path);
        char *base = tmp ? basename(tmp) : NULL;
        p->name = base ? strndup(base, strcspn(base, ".")) : NULL;
        free(tmp);
    }
    if (!p->nerrors) build(p, opts);
    if (p->nerrors) {
        bool io = p->io_failed && p->nerrors == 1;
        loom_sim_error(sim, io ? LOOM_E_IO : LOOM_E_CONFIG, "%.*s", (int)(p->diag_len ? p->diag_len - 1 : 0),
                       p->diag ? p->diag : "");
        return io ? LOOM_E_IO : LOOM_E_CONFIG;
    }
    *out = p;
    return LOOM_OK;
}

loom_err loom_platform_load(loom_sim *sim, const char *path, const loom_platform_opts *opts, loom_platform **out)
{
    return load(sim, path, NULL, opts, out);
}

loom_err loom_platform_load_string(loom_sim *sim, const char *name, const char *yaml,
                                   const loom_platform_opts *opts, loom_platform **out)
{
    return load(sim, name, yaml, opts, out);
}

const char *loom_platform_name(const loom_platform *p) { return p->name ? p->name : "board"; }
loom_time loom_platform_quantum(const loom_platform *p) { return p->quantum; }
loom_sim *loom_platform_sim(const loom_platform *p) { return p->sim; }
