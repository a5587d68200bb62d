/* Human-readable views of a built board (`loom describe`) and of the model
 * registry (`loom models`). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "loom/loom.h"

typedef struct map_ctx {
    const loom_sim *sim;
    FILE *out;
    int width;
    unsigned rows;
} map_ctx;

/* The instance offering region r, and the name it offers it under. */
static const loom_inst *region_owner(const loom_sim *sim, const loom_region *r, const char **rname)
{
    for (size_t i = 0; i < loom_sim_inst_count(sim); i++) {
        const loom_inst *inst = loom_sim_inst_at(sim, i);
        for (size_t k = 0; k < loom_inst_region_count(inst); k++)
            if (loom_inst_region(inst, k, rname) == r) return inst;
    }
    return NULL;
}

static void size_text(char *buf, size_t len, uint64_t n)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < 4 && n >= 1024 && n % 1024 == 0) n /= 1024, u++;
    snprintf(buf, len, "%" PRIu64 " %s", n, unit[u]);
}

static void map_row(void *opaque, int depth, uint64_t start, uint64_t end, const loom_region *r,
                    uint64_t roff, int priority)
{
    map_ctx *c = opaque;
    const char *rname = NULL;
    const loom_inst *inst = region_owner(c->sim, r, &rname);
    char size[32], extra[160] = "";
    size_text(size, sizeof size, end - start + 1);
    uint64_t aoff;
    loom_bus *target = loom_region_alias_target(r, &aoff);
    if (target)
        snprintf(extra, sizeof extra, "  -> %s 0x%0*" PRIx64, loom_bus_name(target), c->width, aoff + roff);
    else if (roff)
        snprintf(extra, sizeof extra, "  (from offset 0x%" PRIx64 ")", roff);
    if (priority) {
        size_t n = strlen(extra);
        snprintf(extra + n, sizeof extra - n, "  priority %d", priority);
    }
    fprintf(c->out, "  %*s0x%0*" PRIx64 "-0x%0*" PRIx64 "  %-9s %-16s %-14s%s\n", depth * 2, "", c->width, start,
            c->width, end, size, loom_region_name(r), inst ? loom_inst_type(inst)->name : "", extra);
    c->rows++;
}

static void max_row(void *opaque, int depth, uint64_t start, uint64_t end, const loom_region *r,
                    uint64_t roff, int priority)
{
    uint64_t *m = opaque;
    if (end > *m) *m = end;
}

static void print_space(const loom_sim *sim, loom_bus *bus, const char *title, FILE *out)
{
    uint64_t max = 0;
    loom_bus_visit(bus, max_row, &max);
    map_ctx c = {sim, out, max > 0xffffffffull ? 16 : max > 0xffff ? 8 : 4, 0};
    fprintf(out, "%s ('%s'):\n", title, loom_bus_name(bus));
    loom_bus_visit(bus, map_row, &c);
    if (!c.rows) fprintf(out, "  (empty)\n");
}

bool loom_line_next_input(const loom_sim *sim, const loom_irq *line, size_t *pos, loom_input_ref *out)
{
    /* *pos counts (instance, port, line) triples already looked at. */
    size_t k = 0;
    for (size_t j = 0; j < loom_sim_inst_count(sim); j++) {
        const loom_inst *t = loom_sim_inst_at(sim, j);
        for (size_t q = 0; q < loom_inst_port_count(t); q++) {
            loom_port_info ti = loom_inst_port(t, q);
            if (ti.output) continue;
            for (unsigned x = 0; x < ti.count; x++, k++) {
                if (k < *pos || loom_inst_input_driver(t, ti.name, x) != line) continue;
                *pos = k + 1;
                *out = (loom_input_ref){t, ti.name, x, ti.count};
                return true;
            }
        }
    }
    *pos = k;
    return false;
}

void loom_platform_describe(const loom_platform *p, FILE *out)
{
    loom_sim *sim = loom_platform_sim(p);
    fprintf(out, "Board %s\n", loom_platform_name(p));
    loom_time q = loom_platform_quantum(p);
    static const char *const unit[] = {"ps", "ns", "us", "ms", "s"};
    int u = 0;
    while (u < 4 && q && q % 1000 == 0) q /= 1000, u++;
    fprintf(out, "Quantum: %" PRIu64 " %s\n\n", q, unit[u]);

    print_space(sim, loom_sim_memory(sim), "Memory map", out);
    loom_bus *io = loom_sim_io(sim);
    uint64_t io_max = 0;
    loom_bus_visit(io, max_row, &io_max);
    if (io_max) {
        fputc('\n', out);
        print_space(sim, io, "Port I/O map", out);
    }

    fprintf(out, "\nInterrupts:\n");
    unsigned lines = 0;
    for (size_t i = 0; i < loom_sim_inst_count(sim); i++) {
        const loom_inst *inst = loom_sim_inst_at(sim, i);
        for (size_t k = 0; k < loom_inst_port_count(inst); k++) {
            loom_port_info pi = loom_inst_port(inst, k);
            if (!pi.output) continue;
            unsigned idle_from = 0, idle = 0; /* a run of lines driving nothing */
            for (unsigned n = 0; n <= pi.count; n++) {
                loom_irq *line = n < pi.count ? loom_inst_output(inst, pi.name, n) : NULL;
                loom_input_ref in;
                size_t pos = 0;
                bool driven = line && loom_line_next_input(sim, line, &pos, &in);
                if (line && !driven) {
                    if (!idle++) idle_from = n;
                    continue;
                }
                /* A run of unconnected lines before this one is one row. */
                if (idle > 1) {
                    char name[96];
                    snprintf(name, sizeof name, "%s.%s[%u-%u]", loom_inst_name(inst), pi.name, idle_from,
                             idle_from + idle - 1);
                    fprintf(out, "  %-28s    (not connected)\n", name);
                    lines++;
                } else if (idle == 1) {
                    const loom_irq *lone = loom_inst_output(inst, pi.name, idle_from);
                    fprintf(out, "  %-28s    (not connected)\n", loom_irq_name(lone));
                    lines++;
                }
                idle = 0;
                /* Every input this line drives. */
                for (; driven; driven = loom_line_next_input(sim, line, &pos, &in), lines++) {
                    if (in.count > 1)
                        fprintf(out, "  %-28s -> %s.%s[%u]\n", loom_irq_name(line), loom_inst_name(in.inst), in.port,
                                in.index);
                    else
                        fprintf(out, "  %-28s -> %s.%s\n", loom_irq_name(line), loom_inst_name(in.inst), in.port);
                }
            }
        }
    }
    if (!lines) fprintf(out, "  (none)\n");

    fprintf(out, "\nDevices:\n");
    for (size_t i = 0; i < loom_sim_inst_count(sim); i++) {
        const loom_inst *inst = loom_sim_inst_at(sim, i);
        const loom_model_type *t = loom_inst_type(inst);
        fprintf(out, "  %-12s %-14s", loom_inst_name(inst), t->name);
        for (unsigned k = 0; k < t->nprops; k++) {
            char v[256];
            loom_inst_prop_format(inst, t->props[k].name, v, sizeof v);
            if (!*v) continue;
            fprintf(out, " %s=%s", t->props[k].name, v);
        }
        fputc('\n', out);
    }
}

void loom_models_describe(const loom_sim *sim, FILE *out, const char *only)
{
    const loom_model_type *all[256];
    size_t n = loom_sim_models(sim, all, 256);
    for (size_t i = 0; i < n; i++) {
        const loom_model_type *t = all[i];
        if (only && strcmp(only, t->name)) continue;
        fprintf(out, "%-14s %-7s %s\n", t->name, t->kind, t->doc);
        for (unsigned k = 0; k < t->nprops; k++) {
            const loom_prop_def *d = &t->props[k];
            char def[96];
            if (!d->def)
                snprintf(def, sizeof def, "required");
            else
                snprintf(def, sizeof def, "default %s", *d->def ? d->def : "\"\"");
            fprintf(out, "    %-18s %-9s %-18s %s", d->name, loom_prop_type_name(d->type), def, d->doc);
            if (d->choices) fprintf(out, " (%s)", d->choices);
            fputc('\n', out);
        }
    }
}
