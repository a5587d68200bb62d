/* Model types and instances: the registry, properties, regions, interrupt
 * ports, and saving or restoring a whole simulation. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct inst_region {
    char *name;
    loom_region *region;
} inst_region;

typedef struct port {
    char *name;
    unsigned count;
    bool output;
    loom_irq **lines;   /* outputs: the lines; inputs: the driver of each */
    loom_irq_sink_fn fn;
    void *opaque;
} port;

struct loom_inst {
    loom_sim *sim;
    char *name;
    const loom_model_type *type;
    loom_prop_value *vals;
    void *state;
    bool inited, realized;
    inst_region *regions;
    size_t nregions;
    port *ports;
    size_t nports;
};

/* ---- Registry ------------------------------------------------------------- */

loom_err loom_sim_register_model(loom_sim *sim, const loom_model_type *type)
{
    for (size_t i = 0; i < sim->model_types.n; i++) {
        const loom_model_type *t = sim->model_types.v[i];
        if (!strcmp(t->name, type->name))
            return loom_sim_error(sim, LOOM_E_EXISTS, "model type '%s' is already registered",
                                  type->name);
    }
    return ptrvec_push(&sim->model_types, (void *)type) ? LOOM_OK : LOOM_E_NOMEM;
}

const loom_model_type *loom_sim_find_model(const loom_sim *sim, const char *name)
{
    for (size_t i = 0; i < sim->model_types.n; i++) {
        const loom_model_type *t = sim->model_types.v[i];
        if (!strcmp(t->name, name)) return t;
    }
    for (size_t i = 0; i < loom_builtin_model_count; i++)
        if (!strcmp(loom_builtin_models[i]->name, name)) return loom_builtin_models[i];
    return NULL;
}

static int cmp_type(const void *a, const void *b)
{
    const loom_model_type *x = *(const loom_model_type *const *)a;
    const loom_model_type *y = *(const loom_model_type *const *)b;
    return strcmp(x->name, y->name);
}

size_t loom_sim_models(const loom_sim *sim, const loom_model_type **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sim->model_types.n; i++)
        if (n < max) out[n++] = sim->model_types.v[i];
    for (size_t i = 0; i < loom_builtin_model_count; i++) {
        const loom_model_type *t = loom_builtin_models[i];
        bool shadowed = false;
        for (size_t k = 0; k < sim->model_types.n; k++)
            if (!strcmp(((const loom_model_type *)sim->model_types.v[k])->name, t->name)) shadowed = true;
        if (!shadowed && n < max) out[n++] = t;
    }
    qsort(out, n, sizeof *out, cmp_type);
    return n;
}

/* ---- Instances ------------------------------------------------------------ */

loom_err loom_inst_create(loom_sim *sim, const loom_model_type *type, const char *name,
                          loom_inst **out)
{
    *out = NULL;
    if (loom_sim_find_inst(sim, name))
        return loom_sim_error(sim, LOOM_E_EXISTS, "an instance named '%s' already exists", name);
    loom_inst *inst = calloc(1, sizeof *inst);
    if (!inst) return LOOM_E_NOMEM;
    inst->sim = sim;
    inst->type = type;
    inst->name = loom_strdup(name);
    inst->vals = calloc(type->nprops ? type->nprops : 1, sizeof *inst->vals);
    inst->state = calloc(1, type->state_size ? type->state_size : 1);
    if (!inst->name || !inst->vals || !inst->state || !ptrvec_push(&sim->insts, inst)) {
        free(inst->name);
        free(inst->vals);
        free(inst->state);
        free(inst);
        return LOOM_E_NOMEM;
    }
    for (unsigned i = 0; i < type->nprops; i++) inst->vals[i].type = type->props[i].type;
    *out = inst;
    return LOOM_OK;
}

void loom__inst_free(loom_inst *inst)
{
    if (inst->inited && inst->type->fini) inst->type->fini(inst->state);
    for (unsigned i = 0; i < inst->type->nprops; i++) loom_prop_value_clear(&inst->vals[i]);
    free(inst->vals);
    for (size_t i = 0; i < inst->nregions; i++) free(inst->regions[i].name);
    free(inst->regions);
    for (size_t i = 0; i < inst->nports; i++) {
        free(inst->ports[i].name);
        free(inst->ports[i].lines);
    }
    free(inst->ports);
    free(inst->state);
    free(inst->name);
    free(inst);
}

static int prop_index(const loom_model_type *t, const char *name)
{
    for (unsigned i = 0; i < t->nprops; i++)
        if (!strcmp(t->props[i].name, name)) return (int)i;
    return -1;
}

loom_err loom_inst_set_prop(loom_inst *inst, const char *prop, const char *text, char *err,
                            size_t errlen)
{
    int i = prop_index(inst->type, prop);
    if (i < 0) {
        if (err && errlen) snprintf(err, errlen, "type '%s' has no property '%s'", inst->type->name, prop);
        return LOOM_E_NOTFOUND;
    }
    if (inst->inited) {
        if (err && errlen) snprintf(err, errlen, "'%s' is already built; properties are fixed", inst->name);
        return LOOM_E_STATE;
    }
    loom_prop_value v;
    loom_err e = loom_prop_parse(&inst->type->props[i], text, &v, err, errlen);
    if (e) return e;
    loom_prop_value_clear(&inst->vals[i]);
    v.set = true;
    inst->vals[i] = v;
    return LOOM_OK;
}

loom_err loom_inst_init(loom_inst *inst)
{
    const loom_model_type *t = inst->type;
    if (inst->inited) return LOOM_OK;
    for (unsigned i = 0; i < t->nprops; i++) {
        if (inst->vals[i].set) continue;
        if (!t->props[i].def)
            return loom_inst_error(inst, LOOM_E_CONFIG, "required property '%s' (%s) is missing",
                                   t->props[i].name, loom_prop_type_name(t->props[i].type));
        char err[256];
        loom_err e = loom_prop_parse(&t->props[i], t->props[i].def, &inst->vals[i], err, sizeof err);
        if (e) /* a bad default is a bug in the model */
            return loom_inst_error(inst, LOOM_E_INVAL, "default of '%s': %s", t->props[i].name, err);
    }
    inst->inited = true;
    if (t->init) {
        loom_err e = t->init(inst, inst->state);
        if (e) return e;
    }
    if (t->reset) t->reset(inst->state);
    return LOOM_OK;
}

loom_err loom_inst_realize(loom_inst *inst)
{
    if (inst->realized) return LOOM_OK;
    inst->realized = true;
    return inst->type->realize ? inst->type->realize(inst, inst->state) : LOOM_OK;
}

void loom_inst_reset(loom_inst *inst)
{
    if (inst->inited && inst->type->reset) inst->type->reset(inst->state);
}

loom_inst *loom_sim_find_inst(const loom_sim *sim, const char *name)
{
    for (size_t i = 0; i < sim->insts.n; i++) {
        loom_inst *x = sim->insts.v[i];
        if (!strcmp(x->name, name)) return x;
    }
    return NULL;
}

size_t loom_sim_inst_count(const loom_sim *sim) { return sim->insts.n; }
loom_inst *loom_sim_inst_at(const loom_sim *sim, size_t i) { return i < sim->insts.n ? sim->insts.v[i] : NULL; }
const char *loom_inst_name(const loom_inst *inst) { return inst->name; }
const loom_model_type *loom_inst_type(const loom_inst *inst) { return inst->type; }
loom_sim *loom_inst_sim(const loom_inst *inst) { return inst->sim; }
void *loom_inst_state(const loom_inst *inst) { return inst->state; }

loom_err loom_inst_error(const loom_inst *inst, loom_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    loom_sim_error(inst->sim, code, "%s (%s): %s", inst->name, inst->type->name, msg ? msg : "?");
    free(msg);
    return code;
}

void loom_inst_log(const loom_inst *inst, unsigned cat, const char *fmt, ...)
{
    if (!loom_log_enabled(inst->sim, cat)) return;
    va_list ap;
    va_start(ap, fmt);
    loom_log(inst->sim, cat, "%s: ", inst->name);
    loom_vlog(inst->sim, cat, fmt, ap);
    va_end(ap);
}

const loom_prop_value *loom_inst_prop(const loom_inst *inst, const char *name)
{
    int i = prop_index(inst->type, name);
    if (i < 0) {
        fprintf(stderr, "loom: bug: model '%s' reads undeclared property '%s'\n", inst->type->name, name);
        abort();
    }
    return &inst->vals[i];
}

uint64_t loom_inst_prop_u64(const loom_inst *inst, const char *name) { return loom_inst_prop(inst, name)->u; }
int64_t loom_inst_prop_i64(const loom_inst *inst, const char *name) { return (int64_t)loom_inst_prop(inst, name)->u; }
bool loom_inst_prop_bool(const loom_inst *inst, const char *name) { return loom_inst_prop(inst, name)->u != 0; }

const char *loom_inst_prop_str(const loom_inst *inst, const char *name)
{
    const char *s = loom_inst_prop(inst, name)->s;
    return s ? s : "";
}

/* Print a value in the most readable unit that keeps it exact. */
static void format_units(char *buf, size_t len, uint64_t v, const char *const *names,
                         const uint64_t *factors, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        if (v && v % factors[i] == 0) {
            snprintf(buf, len, "%" PRIu64 "%s", v / factors[i], names[i]);
            return;
        }
    }
    snprintf(buf, len, "%" PRIu64 "%s", v, names[0]);
}

void loom_inst_prop_format(const loom_inst *inst, const char *name, char *buf, size_t len)
{
    const loom_prop_value *v = loom_inst_prop(inst, name);
    static const char *const sn[] = {"", "KiB", "MiB", "GiB"};
    static const uint64_t sf[] = {1, 1ull << 10, 1ull << 20, 1ull << 30};
    static const char *const fn[] = {"Hz", "kHz", "MHz", "GHz"};
    static const uint64_t ff[] = {1, 1000, 1000000, 1000000000};
    static const char *const tn[] = {"ps", "ns", "us", "ms", "s"};
    static const uint64_t tf[] = {1, LOOM_NS, LOOM_US, LOOM_MS, LOOM_SEC};
    switch (v->type) {
    case LOOM_PROP_BOOL: snprintf(buf, len, "%s", v->u ? "true" : "false"); break;
    case LOOM_PROP_INT: snprintf(buf, len, "%" PRId64, (int64_t)v->u); break;
    case LOOM_PROP_ADDR: snprintf(buf, len, "0x%" PRIx64, v->u); break;
    case LOOM_PROP_SIZE: format_units(buf, len, v->u, sn, sf, 4); break;
    case LOOM_PROP_FREQ: format_units(buf, len, v->u, fn, ff, 4); break;
    case LOOM_PROP_TIME: format_units(buf, len, v->u, tn, tf, 5); break;
    default: snprintf(buf, len, "%s", v->s ? v->s : ""); break;
    }
}

/* ---- Regions and ports ------------------------------------------------------ */

loom_err loom_inst_offer_region(loom_inst *inst, const char *name, loom_region *r)
{
    for (size_t i = 0; i < inst->nregions; i++)
        if (!strcmp(inst->regions[i].name, name))
            return loom_inst_error(inst, LOOM_E_EXISTS, "region '%s' declared twice", name);
    inst_region *v = realloc(inst->regions, (inst->nregions + 1) * sizeof *v);
    if (!v) return LOOM_E_NOMEM;
    inst->regions = v;
    char *n = loom_strdup(name);
    if (!n) return LOOM_E_NOMEM;
    inst->regions[inst->nregions++] = (inst_region){n, r};
    return LOOM_OK;
}

loom_err loom_inst_add_region(loom_inst *inst, const char *name, uint64_t size,
                              const loom_target_ops *ops, void *opaque, loom_region **out)
{
    /* The region is named after the instance so the map reads "uart0". */
    char *full = inst->nregions == 0 && !strcmp(name, "regs") ? loom_strdup(inst->name)
                                                               : loom_strfmt("%s.%s", inst->name, name);
    if (!full) return LOOM_E_NOMEM;
    loom_region *r;
    loom_err e = loom_region_new(inst->sim, full, size, ops, opaque, &r);
    free(full);
    if (e) return e;
    e = loom_inst_offer_region(inst, name, r);
    if (e) return e;
    if (out) *out = r;
    return LOOM_OK;
}

size_t loom_inst_region_count(const loom_inst *inst) { return inst->nregions; }

loom_region *loom_inst_region(const loom_inst *inst, size_t i, const char **name)
{
    if (i >= inst->nregions) return NULL;
    if (name) *name = inst->regions[i].name;
    return inst->regions[i].region;
}

loom_region *loom_inst_find_region(const loom_inst *inst, const char *name)
{
    for (size_t i = 0; i < inst->nregions; i++)
        if (!strcmp(inst->regions[i].name, name)) return inst->regions[i].region;
    return NULL;
}

static port *find_port(const loom_inst *inst, const char *name)
{
    for (size_t i = 0; i < inst->nports; i++)
        if (!strcmp(inst->ports[i].name, name)) return &inst->ports[i];
    return NULL;
}

static loom_err add_port(loom_inst *inst, const char *name, unsigned count, bool output, port **out)
{
    if (find_port(inst, name))
        return loom_inst_error(inst, LOOM_E_EXISTS, "interrupt port '%s' declared twice", name);
    if (count == 0) return loom_inst_error(inst, LOOM_E_INVAL, "interrupt port '%s' has no lines", name);
    port *v = realloc(inst->ports, (inst->nports + 1) * sizeof *v);
    if (!v) return LOOM_E_NOMEM;
    inst->ports = v;
    port *p = &inst->ports[inst->nports];
    *p = (port){.name = loom_strdup(name), .count = count, .output = output,
                .lines = calloc(count, sizeof(loom_irq *))};
    if (!p->name || !p->lines) {
        free(p->name);
        free(p->lines);
        return LOOM_E_NOMEM;
    }
    inst->nports++;
    *out = p;
    return LOOM_OK;
}

loom_err loom_inst_add_output(loom_inst *inst, const char *name, unsigned count, loom_irq **lines)
{
    port *p;
    loom_err e = add_port(inst, name, count, true, &p);
    if (e) return e;
    for (unsigned i = 0; i < count; i++) {
        char *n = count == 1 ? loom_strfmt("%s.%s", inst->name, name)
                             : loom_strfmt("%s.%s[%u]", inst->name, name, i);
        if (!n) return LOOM_E_NOMEM;
        e = loom_irq_new(inst->sim, n, &p->lines[i]);
        free(n);
        if (e) return e;
        if (lines) lines[i] = p->lines[i];
    }
    return LOOM_OK;
}

loom_err loom_inst_add_input(loom_inst *inst, const char *name, unsigned count,
                             loom_irq_sink_fn fn, void *opaque)
{
    port *p;
    loom_err e = add_port(inst, name, count, false, &p);
    if (e) return e;
    p->fn = fn;
    p->opaque = opaque;
    return LOOM_OK;
}

size_t loom_inst_port_count(const loom_inst *inst) { return inst->nports; }

loom_port_info loom_inst_port(const loom_inst *inst, size_t i)
{
    const port *p = &inst->ports[i];
    return (loom_port_info){p->name, p->count, p->output};
}

loom_irq *loom_inst_output(const loom_inst *inst, const char *name, unsigned index)
{
    port *p = find_port(inst, name);
    if (!p || !p->output || index >= p->count) return NULL;
    return p->lines[index];
}

loom_err loom_inst_connect_input(loom_inst *inst, const char *name, unsigned index, loom_irq *irq)
{
    port *p = find_port(inst, name);
    if (!p || p->output)
        return loom_inst_error(inst, LOOM_E_NOTFOUND, "no interrupt input named '%s'", name);
    if (index >= p->count)
        return loom_inst_error(inst, LOOM_E_INVAL, "input '%s' has %u lines; index %u is out of range",
                               name, p->count, index);
    if (p->lines[index])
        return loom_inst_error(inst, LOOM_E_EXISTS, "input %s[%u] is already driven by %s", name,
                               index, loom_irq_name(p->lines[index]));
    loom_err e = loom_irq_connect(irq, p->fn, p->opaque, index);
    if (e) return e;
    p->lines[index] = irq;
    return LOOM_OK;
}

loom_irq *loom_inst_input_driver(const loom_inst *inst, const char *name, unsigned index)
{
    port *p = find_port(inst, name);
    if (!p || p->output || index >= p->count) return NULL;
    return p->lines[index];
}

/* ---- Whole-simulation state ------------------------------------------------ */

loom_err loom__events_save(loom_sim *sim, loom_buf *b);
loom_err loom__events_restore(loom_sim *sim, loom_buf *b);

#define SAVE_MAGIC 0x4d4f4f4cu /* "LOOM" */
#define SAVE_VERSION 2u /* 2: a directory of instances follows the header */

loom_err loom_sim_save(loom_sim *sim, loom_buf *b)
{
    loom_buf_put_u32(b, SAVE_MAGIC);
    loom_buf_put_u32(b, SAVE_VERSION);
    /* Every instance by name and type, first, so a restore into a board
     * that lacks one can say which before anything else disagrees. */
    loom_buf_put_u32(b, (uint32_t)sim->insts.n);
    for (size_t i = 0; i < sim->insts.n; i++) {
        loom_inst *inst = sim->insts.v[i];
        loom_buf_put_str(b, inst->name);
        loom_buf_put_str(b, inst->type->name);
    }
    loom_err e = loom__events_save(sim, b);
    if (e) return e;
    loom_buf_put_u64(b, sim->insns_total);
    loom_buf_put_u32(b, (uint32_t)sim->nrunners);
    for (size_t i = 0; i < sim->nrunners; i++) loom_buf_put_u64(b, sim->runners[i].local);
    /* Interrupt line levels, so no model has to save the lines it drives. */
    loom_buf_put_u32(b, (uint32_t)sim->irqs.n);
    for (size_t i = 0; i < sim->irqs.n; i++) loom_buf_put_u8(b, loom_irq_level(sim->irqs.v[i]));
    loom_buf_put_u32(b, (uint32_t)sim->insts.n);
    for (size_t i = 0; i < sim->insts.n; i++) {
        loom_inst *inst = sim->insts.v[i];
        loom_buf_put_str(b, inst->name);
        loom_buf_put_str(b, inst->type->name);
        /* Length-prefixed, so a reader can check each model read exactly
         * what it wrote. */
        size_t at = b->len;
        loom_buf_put_u64(b, 0);
        if (inst->type->save) inst->type->save(inst->state, b);
        if (!b->bad) loom_put_le(b->data + at, 8, b->len - at - 8);
    }
    return b->bad ? loom_sim_error(sim, LOOM_E_NOMEM, "saving state: out of memory") : LOOM_OK;
}

static loom_err check_instance(loom_sim *sim, const char *name, const char *type)
{
    loom_inst *inst = name ? loom_sim_find_inst(sim, name) : NULL;
    if (!inst || strcmp(inst->type->name, type))
        return loom_sim_error(sim, LOOM_E_NOTFOUND,
                              "saved state has instance '%s' of type '%s' that this board lacks",
                              name, type);
    return LOOM_OK;
}

static loom_err sim_restore(loom_sim *sim, loom_buf *b)
{
    if (loom_buf_get_u32(b) != SAVE_MAGIC || loom_buf_get_u32(b) != SAVE_VERSION)
        return loom_sim_error(sim, LOOM_E_FORMAT, "not a saved Loom state (or a different version)");
    uint32_t ndir = loom_buf_get_u32(b);
    for (uint32_t i = 0; i < ndir && !b->bad; i++) {
        char *name = loom_buf_get_str(b), *type = loom_buf_get_str(b);
        loom_err e = b->bad ? LOOM_OK : check_instance(sim, name, type);
        free(name);
        free(type);
        if (e) return e;
    }
    if (b->bad) return loom_sim_error(sim, LOOM_E_FORMAT, "saved state is truncated");
    loom_err e = loom__events_restore(sim, b);
    if (e) return e;
    sim->insns_total = loom_buf_get_u64(b);
    uint32_t nr = loom_buf_get_u32(b);
    if (nr != sim->nrunners)
        return loom_sim_error(sim, LOOM_E_FORMAT, "saved state has %u runners, this simulation %zu",
                              nr, sim->nrunners);
    for (size_t i = 0; i < nr; i++) sim->runners[i].local = loom_buf_get_u64(b);
    uint32_t ni = loom_buf_get_u32(b);
    if (ni != sim->irqs.n)
        return loom_sim_error(sim, LOOM_E_FORMAT,
                              "saved state has %u interrupt lines, this simulation %zu", ni, sim->irqs.n);
    for (size_t i = 0; i < ni; i++) loom_irq_restore_level(sim->irqs.v[i], loom_buf_get_u8(b) != 0);
    uint32_t n = loom_buf_get_u32(b);
    if (b->bad) return loom_sim_error(sim, LOOM_E_FORMAT, "saved state is truncated");
    for (uint32_t i = 0; i < n; i++) {
        char *name = loom_buf_get_str(b), *type = loom_buf_get_str(b);
        uint64_t len = loom_buf_get_u64(b);
        loom_inst *inst = name ? loom_sim_find_inst(sim, name) : NULL;
        e = b->bad ? loom_sim_error(sim, LOOM_E_FORMAT, "saved state is truncated")
                   : check_instance(sim, name, type);
        free(name);
        free(type);
        if (e) return e;
        size_t start = b->pos;
        if (inst->type->restore) {
            e = inst->type->restore(inst->state, b);
            if (e) return e;
        }
        if (b->bad || b->pos - start != len)
            return loom_sim_error(sim, LOOM_E_FORMAT,
                                  "saved state of '%s': read %zu bytes of %" PRIu64, inst->name,
                                  b->pos - start, len);
    }
    return LOOM_OK;
}

loom_err loom_sim_restore(loom_sim *sim, loom_buf *b)
{
    /* Bad input must not leave a half-restored simulation (time moved,
     * events dropped, some models restored): keep the current state and
     * put it back if the restore fails. */
    loom_buf undo;
    loom_buf_init(&undo);
    loom_err e = loom_sim_save(sim, &undo);
    if (!e) e = sim_restore(sim, b);
    if (e && undo.len && !undo.bad) {
        char *why = loom_strdup(loom_sim_last_error(sim));
        loom_err ue = sim_restore(sim, &undo);
        if (ue) /* a model whose save and restore disagree */
            loom_sim_error(sim, e, "%s; rolling back failed too: %s", why ? why : "restore failed",
                           loom_sim_last_error(sim));
        else
            loom_sim_error(sim, e, "%s", why ? why : "restore failed");
        free(why);
    }
    loom_buf_free(&undo);
    return e;
}

void loom_sim_reset(loom_sim *sim)
{
    for (size_t i = 0; i < sim->insts.n; i++) loom_inst_reset(sim->insts.v[i]);
}
