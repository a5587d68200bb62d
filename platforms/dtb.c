/* The board's flattened device tree, written with libfdt from the built
 * simulation: what the models say of themselves (include/loom/model.h,
 * "Device tree"), where the board maps them and how it wires their
 * interrupts. Cells are two for addresses and sizes, as QEMU's virt has. */
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loom/loom.h"

#define DTB_ROOM (256 * 1024)

struct loom_dt {
    void *fdt;
    int node;         /* the node dt_node writes into */
    char name[96];    /* its name (a new node moves the others) */
    uint32_t phandles; /* the last one given */
    uint32_t apb;     /* the clock's phandle, or 0 */
    int err;          /* the first libfdt error */
};

static void check(loom_dt *dt, int r)
{
    if (r < 0 && !dt->err) dt->err = r;
}

void loom_dt_u32(loom_dt *dt, const char *name, uint32_t v) { check(dt, fdt_setprop_u32(dt->fdt, dt->node, name, v)); }

void loom_dt_cells(loom_dt *dt, const char *name, const uint32_t *cells, unsigned n)
{
    fdt32_t be[64];
    if (n > 64) {
        check(dt, -FDT_ERR_NOSPACE);
        return;
    }
    for (unsigned k = 0; k < n; k++) be[k] = cpu_to_fdt32(cells[k]);
    check(dt, fdt_setprop(dt->fdt, dt->node, name, be, (int)(n * sizeof *be)));
}

void loom_dt_string(loom_dt *dt, const char *name, const char *s)
{
    check(dt, fdt_setprop_string(dt->fdt, dt->node, name, s));
}

void loom_dt_strings(loom_dt *dt, const char *name, const char *const *list)
{
    char buf[512];
    size_t n = 0;
    for (; *list; list++) {
        size_t len = strlen(*list) + 1;
        if (n + len > sizeof buf) {
            check(dt, -FDT_ERR_NOSPACE);
            return;
        }
        memcpy(buf + n, *list, len);
        n += len;
    }
    check(dt, fdt_setprop(dt->fdt, dt->node, name, buf, (int)n));
}

void loom_dt_empty(loom_dt *dt, const char *name) { check(dt, fdt_setprop_empty(dt->fdt, dt->node, name)); }

uint32_t loom_dt_apb_clock(loom_dt *dt)
{
    if (dt->apb) return dt->apb;
    int node = fdt_add_subnode(dt->fdt, 0, "apb-pclk");
    check(dt, node);
    if (node < 0) return 0;
    dt->apb = ++dt->phandles;
    check(dt, fdt_setprop_string(dt->fdt, node, "compatible", "fixed-clock"));
    check(dt, fdt_setprop_u32(dt->fdt, node, "#clock-cells", 0));
    check(dt, fdt_setprop_u32(dt->fdt, node, "clock-frequency", 24000000));
    check(dt, fdt_setprop_string(dt->fdt, node, "clock-output-names", "clk24mhz"));
    check(dt, fdt_setprop_u32(dt->fdt, node, "phandle", dt->apb));
    if (dt->node > 0) dt->node = fdt_subnode_offset(dt->fdt, 0, dt->name);
    return dt->apb;
}

/* ---- Walking the board ---------------------------------------------------------- */

typedef struct mapping {
    const loom_region *r;
    uint64_t start, size;
} mapping;

typedef struct maps {
    mapping m[256];
    unsigned n;
} maps;

static void collect(void *opaque, int depth, uint64_t start, uint64_t end, const loom_region *r, uint64_t roff,
                    int priority)
{
    maps *ms = opaque;
    (void)priority;
    /* Top-level, whole regions: what a node's reg describes. */
    if (depth || roff || ms->n == 256) return;
    ms->m[ms->n++] = (mapping){r, start, end - start + 1};
}

static const mapping *where_mapped(const maps *ms, const loom_region *r)
{
    for (unsigned k = 0; k < ms->n; k++)
        if (ms->m[k].r == r) return &ms->m[k];
    return NULL;
}

/* The first input with a device tree binding an output line drives. */
static bool driven_input(const loom_sim *sim, const loom_irq *line, loom_input_ref *in)
{
    for (size_t pos = 0; loom_line_next_input(sim, line, &pos, in);)
        if (loom_inst_type(in->inst)->dt_irq) return true;
    return false;
}

/* "<dt_name>@<address of the first region>". */
static void node_name(const maps *ms, const loom_inst *inst, char *buf, size_t len)
{
    snprintf(buf, len, "%s@%" PRIx64, loom_inst_type(inst)->dt_name,
             where_mapped(ms, loom_inst_region(inst, 0, NULL))->start);
}

/* /cpus with a node per CPU (reg: its number), and what the CPUs' own
 * architecture adds: the firmware interface that starts them (PSCI) and
 * the timer inside them, whose interrupts are the first CPU's timer
 * outputs (as QEMU's virt writes them). */
static void cpu_nodes(loom_sim *sim, loom_dt *dt, uint32_t root_intc)
{
    const loom_inst *cpus[64];
    unsigned ncpu = 0;
    for (size_t i = 0; i < loom_sim_inst_count(sim) && ncpu < 64; i++) {
        const loom_inst *inst = loom_sim_inst_at(sim, i);
        if (loom_inst_type(inst) == &loom_cpu_model_type) cpus[ncpu++] = inst;
    }
    if (!ncpu) return;
    const loom_arch *arch = loom_sim_find_arch(sim, loom_inst_prop_str(cpus[0], "arch"));
    int off = fdt_add_subnode(dt->fdt, 0, "cpus");
    check(dt, off);
    if (off < 0) return;
    check(dt, fdt_setprop_u32(dt->fdt, off, "#address-cells", 1));
    check(dt, fdt_setprop_u32(dt->fdt, off, "#size-cells", 0));
    for (unsigned k = ncpu; k-- > 0 && !dt->err;) {
        const loom_inst *inst = cpus[k];
        const loom_arch *a = loom_sim_find_arch(sim, loom_inst_prop_str(inst, "arch"));
        const char *model = loom_inst_prop_str(inst, "model");
        if (a && (!model || !*model) && a->models) model = a->models[0];
        uint32_t id = (uint32_t)loom_inst_prop_u64(inst, "id");
        char name[32], compat[96];
        snprintf(name, sizeof name, "cpu@%" PRIx32, id);
        snprintf(compat, sizeof compat, "%s,%s", a ? a->name : "unknown", model ? model : "");
        int c = fdt_add_subnode(dt->fdt, fdt_subnode_offset(dt->fdt, 0, "cpus"), name);
        check(dt, c);
        if (c < 0) return;
        check(dt, fdt_setprop_string(dt->fdt, c, "device_type", "cpu"));
        check(dt, fdt_setprop_string(dt->fdt, c, "compatible", compat));
        check(dt, fdt_setprop_u32(dt->fdt, c, "reg", id));
        if (ncpu > 1 && a && a->dt_psci_method) check(dt, fdt_setprop_string(dt->fdt, c, "enable-method", "psci"));
    }
    if (!arch || dt->err) return;
    if (arch->dt_psci_method) {
        /* PSCI 1.0 with the 0.1 function numbers the 32-bit calls use. */
        int p = fdt_add_subnode(dt->fdt, 0, "psci");
        check(dt, p);
        if (p < 0) return;
        static const char compat[] = "arm,psci-1.0\0arm,psci-0.2\0arm,psci";
        check(dt, fdt_setprop(dt->fdt, p, "compatible", compat, sizeof compat));
        check(dt, fdt_setprop_string(dt->fdt, p, "method", arch->dt_psci_method));
        check(dt, fdt_setprop_u32(dt->fdt, p, "cpu_suspend", 0x84000001u));
        check(dt, fdt_setprop_u32(dt->fdt, p, "cpu_off", 0x84000002u));
        check(dt, fdt_setprop_u32(dt->fdt, p, "cpu_on", 0x84000003u));
        check(dt, fdt_setprop_u32(dt->fdt, p, "migrate", 0x84000005u));
    }
    if (arch->dt_timer && root_intc) {
        uint32_t irqs[64];
        unsigned nirq = 0;
        for (unsigned o = 0; o < arch->out_lines; o++) {
            loom_input_ref in;
            const loom_irq *line = loom_inst_output(cpus[0], arch->out_names[o], 0);
            if (!line || !driven_input(sim, line, &in)) continue;
            unsigned cells = loom_inst_type(in.inst)->dt_irq_cells;
            if (nirq + cells > 64) break;
            loom_inst_type(in.inst)->dt_irq(in.inst, in.port, in.index, irqs + nirq);
            nirq += cells;
        }
        if (!nirq) return;
        int t = fdt_add_subnode(dt->fdt, 0, "timer");
        check(dt, t);
        if (t < 0) return;
        check(dt, fdt_setprop_string(dt->fdt, t, "compatible", arch->dt_timer));
        dt->node = t;
        loom_dt_cells(dt, "interrupts", irqs, nirq);
        check(dt, fdt_setprop_empty(dt->fdt, fdt_subnode_offset(dt->fdt, 0, "timer"), "always-on"));
    }
}

typedef struct node_info {
    const loom_inst *inst;
    uint32_t phandle; /* interrupt controllers */
} node_info;

loom_err loom_platform_dtb(const loom_platform *p, void **blob, size_t *size)
{
    loom_sim *sim = loom_platform_sim(p);
    loom_dt dt = {.fdt = calloc(1, DTB_ROOM)};
    node_info *nodes = calloc(loom_sim_inst_count(sim) + 1, sizeof *nodes);
    maps *ms = calloc(1, sizeof *ms);
    if (!dt.fdt || !nodes || !ms) {
        free(dt.fdt);
        free(nodes);
        free(ms);
        return LOOM_E_NOMEM;
    }
    loom_bus_visit(loom_sim_memory(sim), collect, ms);
    check(&dt, fdt_create_empty_tree(dt.fdt, DTB_ROOM));
    dt.node = 0;
    loom_dt_string(&dt, "model", loom_platform_name(p));
    loom_dt_strings(&dt, "compatible", (const char *const[]){"loom,board", NULL});
    loom_dt_u32(&dt, "#address-cells", 2);
    loom_dt_u32(&dt, "#size-cells", 2);

    /* Nodes, in the board's order (libfdt puts a new node first, so the
     * last comes first); controllers get phandles now, so any node may name
     * them. */
    unsigned n = 0;
    uint32_t root_intc = 0;
    for (size_t i = loom_sim_inst_count(sim); i-- > 0 && !dt.err;) {
        const loom_inst *inst = loom_sim_inst_at(sim, i);
        const loom_model_type *t = loom_inst_type(inst);
        if (!t->dt_name || !loom_inst_region_count(inst) || !where_mapped(ms, loom_inst_region(inst, 0, NULL))) continue;
        char name[96];
        node_name(ms, inst, name, sizeof name);
        int off = fdt_add_subnode(dt.fdt, 0, name);
        check(&dt, off);
        if (off < 0) break;
        nodes[n] = (node_info){inst, 0};
        if (t->dt_irq) {
            nodes[n].phandle = ++dt.phandles;
            check(&dt, fdt_setprop_u32(dt.fdt, off, "phandle", nodes[n].phandle));
            check(&dt, fdt_setprop_u32(dt.fdt, off, "#interrupt-cells", t->dt_irq_cells));
            check(&dt, fdt_setprop_empty(dt.fdt, off, "interrupt-controller"));
            check(&dt, fdt_setprop_u32(dt.fdt, off, "#address-cells", 0));
            root_intc = nodes[n].phandle; /* the board's first controller, in the end */
        }
        n++;
    }
    if (root_intc) check(&dt, fdt_setprop_u32(dt.fdt, 0, "interrupt-parent", root_intc));

    for (unsigned k = 0; k < n && !dt.err; k++) {
        const loom_inst *inst = nodes[k].inst;
        const loom_model_type *t = loom_inst_type(inst);
        /* Offsets move as the tree grows: the node by its name. */
        node_name(ms, inst, dt.name, sizeof dt.name);
        dt.node = fdt_subnode_offset(dt.fdt, 0, dt.name);
        check(&dt, dt.node);
        if (dt.err) break;
        if (t->dt_compatible) loom_dt_strings(&dt, "compatible", t->dt_compatible);
        uint32_t reg[64];
        unsigned nreg = 0;
        for (size_t r = 0; r < loom_inst_region_count(inst) && nreg + 4 <= 64; r++) {
            const mapping *m = where_mapped(ms, loom_inst_region(inst, r, NULL));
            if (!m) continue;
            reg[nreg++] = (uint32_t)(m->start >> 32);
            reg[nreg++] = (uint32_t)m->start;
            reg[nreg++] = (uint32_t)(m->size >> 32);
            reg[nreg++] = (uint32_t)m->size;
        }
        loom_dt_cells(&dt, "reg", reg, nreg);
        /* Interrupts: every output line that reaches a controller. */
        uint32_t irqs[64];
        unsigned nirq = 0;
        const loom_inst *parent = NULL;
        for (size_t q = 0; q < loom_inst_port_count(inst); q++) {
            loom_port_info pi = loom_inst_port(inst, q);
            if (!pi.output) continue;
            for (unsigned x = 0; x < pi.count; x++) {
                loom_input_ref in;
                if (!driven_input(sim, loom_inst_output(inst, pi.name, x), &in) || (parent && in.inst != parent))
                    continue;
                const loom_inst *c = in.inst;
                unsigned cells = loom_inst_type(c)->dt_irq_cells;
                if (!cells || nirq + cells > 64) continue;
                parent = c;
                loom_inst_type(c)->dt_irq(c, in.port, in.index, irqs + nirq);
                nirq += cells;
            }
        }
        if (nirq) {
            loom_dt_cells(&dt, "interrupts", irqs, nirq);
            for (unsigned j = 0; j < n; j++)
                if (nodes[j].inst == parent && nodes[j].phandle != root_intc)
                    loom_dt_u32(&dt, "interrupt-parent", nodes[j].phandle);
        }
        if (t->dt_node) t->dt_node(inst, &dt);
    }

    if (!dt.err) cpu_nodes(sim, &dt, root_intc);

    /* The console: the board's first UART (nodes[] runs backwards). */
    if (!dt.err) {
        check(&dt, fdt_add_subnode(dt.fdt, 0, "chosen"));
        for (unsigned k = n; k-- > 0 && !dt.err;) {
            if (strcmp(loom_inst_type(nodes[k].inst)->kind, "uart")) continue;
            char path[128], name[96];
            node_name(ms, nodes[k].inst, name, sizeof name);
            snprintf(path, sizeof path, "/%s", name);
            check(&dt, fdt_setprop_string(dt.fdt, fdt_subnode_offset(dt.fdt, 0, "chosen"), "stdout-path", path));
            break;
        }
    }
    free(nodes);
    free(ms);
    if (dt.err || (dt.err = fdt_pack(dt.fdt)) < 0) {
        loom_sim_error(sim, LOOM_E_INVAL, "device tree: cannot write it: %s", fdt_strerror(dt.err));
        free(dt.fdt);
        return LOOM_E_INVAL;
    }
    *blob = dt.fdt;
    *size = fdt_totalsize(dt.fdt);
    return LOOM_OK;
}
