/* The generic CPU object: clocking, the scheduler runner, interrupt inputs,
 * and the "cpu" model type that places a CPU on a board. The guest itself is
 * a plug-in (struct loom_arch). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void loom__cpu_free(void *p);

struct loom_cpu {
    loom_sim *sim;
    const loom_arch *arch;
    char *name;
    loom_bus *bus;
    void *state;
    uint32_t id;
    loom_time period;   /* picoseconds per instruction */
    uint64_t insns;     /* retired since creation */
    loom_time local;    /* local time at the start of the current slice */
    bool halted;
    bool exit_req;
    uint32_t irq_levels;
    loom_irq *outs[8];  /* the arch's output lines, when on a board */
};

static const char *const exit_names[] = {"budget", "halt", "breakpoint", "exit request", "fatal"};

const char *loom_cpu_exit_name(loom_cpu_exit e)
{
    return (unsigned)e < sizeof exit_names / sizeof *exit_names ? exit_names[e] : "?";
}

loom_err loom_sim_register_arch(loom_sim *sim, const loom_arch *arch)
{
    if (loom_sim_find_arch(sim, arch->name))
        return loom_sim_error(sim, LOOM_E_EXISTS, "architecture '%s' is already registered", arch->name);
    return ptrvec_push(&sim->arch_types, (void *)arch) ? LOOM_OK : LOOM_E_NOMEM;
}

const loom_arch *loom_sim_find_arch(const loom_sim *sim, const char *name)
{
    for (size_t i = 0; i < sim->arch_types.n; i++) {
        const loom_arch *a = sim->arch_types.v[i];
        if (!strcmp(a->name, name)) return a;
    }
    for (size_t i = 0; i < loom_builtin_arch_count; i++)
        if (!strcmp(loom_builtin_archs[i]->name, name)) return loom_builtin_archs[i];
    return NULL;
}

void loom_sim_set_insn_limit(loom_sim *sim, uint64_t max_insns) { sim->insn_limit = max_insns; }
void loom_sim_set_jit(loom_sim *sim, loom_jit_choice j) { sim->jit_choice = j; }
loom_jit_choice loom_sim_jit(const loom_sim *sim) { return (loom_jit_choice)sim->jit_choice; }
void loom_sim_set_semihosting(loom_sim *sim, bool on) { sim->semihosting = on; }
bool loom_sim_semihosting(const loom_sim *sim) { return sim->semihosting; }

static uint64_t insn_budget(loom_sim *sim, uint64_t want)
{
    if (!sim->insn_limit) return want;
    uint64_t left = sim->insn_limit > sim->insns_total ? sim->insn_limit - sim->insns_total : 0;
    return want < left ? want : left;
}

static loom_cpu_exit cpu_exec(loom_cpu *cpu, uint64_t max)
{
    uint64_t done = 0;
    cpu->exit_req = false;
    loom_cpu_exit why = cpu->arch->exec(cpu, cpu->state, max, &done);
    cpu->insns += done;
    cpu->sim->insns_total += done;
    cpu->local += done * cpu->period;
    if (why == LOOM_CPU_HALT) cpu->halted = true;
    if (cpu->sim->insn_limit && cpu->sim->insns_total >= cpu->sim->insn_limit)
        loom_sim_request_stop(cpu->sim, LOOM_STOP_INSN_LIMIT, 0);
    return why;
}

static loom_time runner_run(void *opaque, loom_time now, loom_time until)
{
    loom_cpu *cpu = opaque;
    if (cpu->halted) return now;
    cpu->local = now;
    uint64_t max = (until - now + cpu->period - 1) / cpu->period;
    max = insn_budget(cpu->sim, max ? max : 1);
    if (!max) {
        loom_sim_request_stop(cpu->sim, LOOM_STOP_INSN_LIMIT, 0);
        return now;
    }
    loom_cpu_exit why = cpu_exec(cpu, max);
    if (why == LOOM_CPU_BREAKPOINT) loom_sim_request_stop(cpu->sim, LOOM_STOP_REQUEST, 0);
    return cpu->local;
}

static bool runner_idle(void *opaque) { return ((loom_cpu *)opaque)->halted; }

static const loom_runner_ops cpu_runner = {runner_run, runner_idle};

loom_err loom_cpu_new(loom_sim *sim, const char *arch_name, const char *model, loom_bus *bus,
                      const loom_cpu_opts *opts, loom_cpu **out)
{
    *out = NULL;
    const loom_arch *arch = loom_sim_find_arch(sim, arch_name);
    if (!arch) {
        char known[512] = "";
        for (size_t i = 0; i < loom_builtin_arch_count; i++) {
            if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
            strncat(known, loom_builtin_archs[i]->name, sizeof known - strlen(known) - 1);
        }
        for (size_t i = 0; i < sim->arch_types.n; i++) {
            if (known[0]) strncat(known, ", ", sizeof known - strlen(known) - 1);
            strncat(known, ((const loom_arch *)sim->arch_types.v[i])->name, sizeof known - strlen(known) - 1);
        }
        return loom_sim_error(sim, LOOM_E_NOTFOUND, "unknown CPU architecture '%s' (known: %s)",
                              arch_name, known[0] ? known : "none yet");
    }
    if (!model || !*model) model = arch->models && arch->models[0] ? arch->models[0] : "";
    bool known_model = !arch->models;
    for (size_t i = 0; arch->models && arch->models[i]; i++)
        if (!strcmp(arch->models[i], model)) known_model = true;
    if (!known_model) {
        char list[512] = "";
        for (size_t i = 0; arch->models[i]; i++) {
            if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, arch->models[i], sizeof list - strlen(list) - 1);
        }
        return loom_sim_error(sim, LOOM_E_NOTFOUND, "unknown %s CPU model '%s' (known: %s)",
                              arch->name, model, list);
    }
    uint64_t hz = opts && opts->clock_hz ? opts->clock_hz : 100000000;
    uint64_t cpi = opts && opts->cycles_per_insn ? opts->cycles_per_insn : 1;
    if (hz > LOOM_SEC)
        return loom_sim_error(sim, LOOM_E_INVAL, "CPU clock %" PRIu64 " Hz is above 1 THz", hz);
    loom_cpu *cpu = calloc(1, sizeof *cpu);
    if (!cpu) return LOOM_E_NOMEM;
    cpu->sim = sim;
    cpu->arch = arch;
    cpu->bus = bus ? bus : sim->memory;
    cpu->name = loom_strdup(opts && opts->name ? opts->name : "cpu0");
    cpu->id = opts ? opts->id : 0;
    cpu->period = LOOM_SEC / hz * cpi;
    cpu->state = calloc(1, arch->state_size ? arch->state_size : 1);
    cpu->local = sim->now;
    if (!cpu->name || !cpu->state) {
        free(cpu->name);
        free(cpu->state);
        free(cpu);
        return LOOM_E_NOMEM;
    }
    loom_err e = arch->init ? arch->init(cpu, cpu->state, model) : LOOM_OK;
    if (!e) e = loom_sim_own(sim, cpu, loom__cpu_free);
    if (e) {
        free(cpu->name);
        free(cpu->state);
        free(cpu);
        return e;
    }
    if (arch->reset) arch->reset(cpu, cpu->state);
    if (!ptrvec_push(&sim->cpus, cpu)) return LOOM_E_NOMEM;
    e = loom_sim_add_runner(sim, cpu->name, &cpu_runner, cpu);
    if (e) return e;
    *out = cpu;
    return LOOM_OK;
}

static void cpu_free(loom_cpu *cpu)
{
    if (!cpu) return;
    if (cpu->arch->fini) cpu->arch->fini(cpu, cpu->state);
    free(cpu->state);
    free(cpu->name);
    free(cpu);
}

loom_cpu_exit loom_cpu_run(loom_cpu *cpu, uint64_t max_insns)
{
    cpu->local = cpu->sim->now;
    if (cpu->halted) return LOOM_CPU_HALT;
    return cpu_exec(cpu, insn_budget(cpu->sim, max_insns));
}

void loom_cpu_set_irq(loom_cpu *cpu, unsigned line, bool level)
{
    if (line >= 32) return;
    uint32_t bit = 1u << line;
    cpu->irq_levels = level ? cpu->irq_levels | bit : cpu->irq_levels & ~bit;
    if (level) cpu->halted = false; /* an interrupt wakes a waiting core */
    if (cpu->arch->set_irq) cpu->arch->set_irq(cpu, cpu->state, line, level);
}

void loom_cpu_set_output(loom_cpu *cpu, unsigned n, bool level)
{
    if (n < sizeof cpu->outs / sizeof *cpu->outs && cpu->outs[n]) loom_irq_set(cpu->outs[n], level);
}

void loom_cpu_reset(loom_cpu *cpu)
{
    cpu->halted = false;
    if (cpu->arch->reset) cpu->arch->reset(cpu, cpu->state);
}

int loom_cpu_reg_read(loom_cpu *cpu, unsigned regno, uint8_t *buf)
{
    return cpu->arch->reg_read ? cpu->arch->reg_read(cpu, cpu->state, regno, buf) : -1;
}

int loom_cpu_reg_write(loom_cpu *cpu, unsigned regno, const uint8_t *buf)
{
    return cpu->arch->reg_write ? cpu->arch->reg_write(cpu, cpu->state, regno, buf) : -1;
}

uint64_t loom_cpu_pc(loom_cpu *cpu) { return cpu->arch->get_pc ? cpu->arch->get_pc(cpu, cpu->state) : 0; }

void loom_cpu_set_pc(loom_cpu *cpu, uint64_t pc)
{
    if (cpu->arch->set_pc) cpu->arch->set_pc(cpu, cpu->state, pc);
}

const char *loom_cpu_name(const loom_cpu *cpu) { return cpu->name; }
void *loom_cpu_state(const loom_cpu *cpu) { return cpu->state; }
const loom_arch *loom_cpu_arch(const loom_cpu *cpu) { return cpu->arch; }
loom_bus *loom_cpu_bus(const loom_cpu *cpu) { return cpu->bus; }
loom_sim *loom_cpu_sim(const loom_cpu *cpu) { return cpu->sim; }
uint64_t loom_cpu_insns(const loom_cpu *cpu) { return cpu->insns; }
loom_time loom_cpu_period(const loom_cpu *cpu) { return cpu->period; }
uint32_t loom_cpu_id(const loom_cpu *cpu) { return cpu->id; }
size_t loom_sim_cpu_count(const loom_sim *sim) { return sim->cpus.n; }
loom_cpu *loom_sim_cpu_at(const loom_sim *sim, size_t i) { return i < sim->cpus.n ? sim->cpus.v[i] : NULL; }

loom_err loom_cpu_debug_insert(loom_cpu *cpu, unsigned type, uint64_t addr, uint64_t len)
{
    if (!cpu->arch->debug_insert) return LOOM_E_UNSUPPORTED;
    return cpu->arch->debug_insert(cpu, cpu->state, type, addr, len);
}

loom_err loom_cpu_debug_remove(loom_cpu *cpu, unsigned type, uint64_t addr, uint64_t len)
{
    if (!cpu->arch->debug_remove) return LOOM_E_UNSUPPORTED;
    return cpu->arch->debug_remove(cpu, cpu->state, type, addr, len);
}

unsigned loom_cpu_debug_stopped(loom_cpu *cpu, uint64_t *addr)
{
    return cpu->arch->debug_stopped ? cpu->arch->debug_stopped(cpu, cpu->state, addr) : 0;
}

bool loom_cpu_mem_debug(loom_cpu *cpu, uint64_t vaddr, void *buf, unsigned len, bool write)
{
    if (cpu->arch->mem_debug) return cpu->arch->mem_debug(cpu, cpu->state, vaddr, buf, len, write);
    /* No MMU hook: virtual is physical. */
    return !(write ? loom_bus_debug_write(cpu->bus, vaddr, buf, len) : loom_bus_debug_read(cpu->bus, vaddr, buf, len));
}
loom_time loom_cpu_local_time(const loom_cpu *cpu) { return cpu->local; }
void loom_cpu_set_halted(loom_cpu *cpu, bool halted) { cpu->halted = halted; }
bool loom_cpu_halted(const loom_cpu *cpu) { return cpu->halted; }
void loom_cpu_request_exit(loom_cpu *cpu) { cpu->exit_req = true; }
bool loom_cpu_exit_requested(const loom_cpu *cpu) { return cpu->exit_req; }

void loom_cpu_fault(loom_cpu *cpu, uint64_t pc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    loom_sim_error(cpu->sim, LOOM_E_BUS, "%s: %s at pc 0x%" PRIx64, cpu->name, msg ? msg : "fault", pc);
    free(msg);
    loom_sim_request_stop(cpu->sim, LOOM_STOP_FAULT, 0);
}

/* ---- The "cpu" model type ---------------------------------------------------- */

typedef struct cpu_inst cpu_inst;

/* Each interrupt line is its own one-line input port, so the sink's index is
 * always 0: the line number travels in the sink's opaque instead. */
typedef struct cpu_line {
    cpu_inst *c;
    unsigned line;
} cpu_line;

struct cpu_inst {
    loom_inst *inst;
    loom_cpu *cpu;
    bool reset_pc_set;
    uint64_t reset_pc;
    bool entry_set;     /* loom_sim_set_entry, for CPUs without reset-pc */
    uint64_t entry;
    cpu_line lines[32]; /* loom_cpu_set_irq takes lines 0-31 */
};

static const loom_prop_def cpu_props[] = {
    {"arch", LOOM_PROP_STRING, NULL, "guest architecture: arm, mips, ppc, sparc, xtensa, x86", NULL},
    {"model", LOOM_PROP_STRING, "", "CPU model of the architecture (empty: its default)", NULL},
    {"clock", LOOM_PROP_FREQ, "100MHz", "clock frequency", NULL},
    {"cycles-per-insn", LOOM_PROP_INT, "1", "cycles each instruction takes", NULL},
    {"id", LOOM_PROP_INT, "0", "initiator id on the bus, and the CPU number", NULL},
    {"reset-pc", LOOM_PROP_ADDR, "0", "program counter after reset (when reset-pc-set)", NULL},
    {"reset-pc-set", LOOM_PROP_BOOL, "false", "start at reset-pc instead of the architecture's reset vector", NULL},
};

static void cpu_irq_in(void *opaque, unsigned n, bool level)
{
    const cpu_line *l = opaque;
    (void)n;
    loom_cpu_set_irq(l->c->cpu, l->line, level);
}

static loom_err cpu_model_init(loom_inst *inst, void *state)
{
    cpu_inst *c = state;
    loom_sim *sim = loom_inst_sim(inst);
    c->inst = inst;
    int64_t cpi = loom_inst_prop_i64(inst, "cycles-per-insn");
    if (cpi < 1) return loom_inst_error(inst, LOOM_E_CONFIG, "cycles-per-insn must be at least 1");
    if (loom_inst_prop_u64(inst, "clock") == 0)
        return loom_inst_error(inst, LOOM_E_CONFIG, "clock must not be 0");
    loom_cpu_opts o = {.name = loom_inst_name(inst),
                       .clock_hz = loom_inst_prop_u64(inst, "clock"),
                       .id = (uint32_t)loom_inst_prop_u64(inst, "id"),
                       .cycles_per_insn = (uint64_t)cpi};
    loom_err e = loom_cpu_new(sim, loom_inst_prop_str(inst, "arch"), loom_inst_prop_str(inst, "model"),
                              loom_sim_memory(sim), &o, &c->cpu);
    if (e) {
        char *why = loom_strdup(loom_sim_last_error(sim));
        loom_inst_error(inst, e, "%s", why ? why : "cannot create the CPU");
        free(why);
        return e;
    }
    /* The simulation frees the CPU (loom_cpu_new registered it), after
     * every instance is gone. */
    const loom_arch *a = c->cpu->arch;
    if (a->irq_lines > sizeof c->lines / sizeof *c->lines)
        return loom_inst_error(inst, LOOM_E_UNSUPPORTED,
                               "architecture '%s' has %u interrupt lines; at most %zu are supported",
                               a->name, a->irq_lines, sizeof c->lines / sizeof *c->lines);
    for (unsigned i = 0; i < a->irq_lines; i++) {
        const char *n = a->irq_names ? a->irq_names[i] : "irq";
        c->lines[i] = (cpu_line){c, i};
        e = loom_inst_add_input(inst, n, 1, cpu_irq_in, &c->lines[i]);
        if (e) return e;
    }
    if (a->out_lines > sizeof c->cpu->outs / sizeof *c->cpu->outs)
        return loom_inst_error(inst, LOOM_E_UNSUPPORTED, "architecture '%s' has %u output lines; at most %zu",
                               a->name, a->out_lines, sizeof c->cpu->outs / sizeof *c->cpu->outs);
    for (unsigned i = 0; i < a->out_lines; i++) {
        e = loom_inst_add_output(inst, a->out_names[i], 1, &c->cpu->outs[i]);
        if (e) return e;
    }
    c->reset_pc_set = loom_inst_prop_bool(inst, "reset-pc-set");
    c->reset_pc = loom_inst_prop_u64(inst, "reset-pc");
    return LOOM_OK;
}

static void cpu_model_save(void *state, loom_buf *b)
{
    cpu_inst *c = state;
    loom_cpu *cpu = c->cpu;
    loom_buf_put_u64(b, cpu->insns);
    loom_buf_put_u8(b, cpu->halted);
    loom_buf_put_u32(b, cpu->irq_levels);
    if (cpu->arch->save) cpu->arch->save(cpu, cpu->state, b);
}

static loom_err cpu_model_restore(void *state, loom_buf *b)
{
    cpu_inst *c = state;
    loom_cpu *cpu = c->cpu;
    cpu->insns = loom_buf_get_u64(b);
    cpu->halted = loom_buf_get_u8(b);
    cpu->irq_levels = loom_buf_get_u32(b);
    return cpu->arch->restore ? cpu->arch->restore(cpu, cpu->state, b) : LOOM_OK;
}

static void cpu_model_reset(void *state)
{
    cpu_inst *c = state;
    if (!c->cpu) return;
    loom_cpu_reset(c->cpu);
    if (c->reset_pc_set) loom_cpu_set_pc(c->cpu, c->reset_pc);
    else if (c->entry_set) loom_cpu_set_pc(c->cpu, c->entry);
}

void loom_sim_set_entry(loom_sim *sim, uint64_t pc)
{
    for (size_t i = 0; i < loom_sim_inst_count(sim); i++) {
        loom_inst *inst = loom_sim_inst_at(sim, i);
        if (loom_inst_type(inst) != &loom_cpu_model_type) continue;
        cpu_inst *c = loom_inst_state(inst);
        if (!c->cpu || c->reset_pc_set) continue;
        c->entry_set = true;
        c->entry = pc;
        loom_cpu_set_pc(c->cpu, pc);
    }
}

const loom_model_type loom_cpu_model_type = {
    .name = "cpu",
    .kind = "cpu",
    .doc = "a CPU core of any guest architecture",
    .props = cpu_props,
    .nprops = sizeof cpu_props / sizeof *cpu_props,
    .state_size = sizeof(cpu_inst),
    .init = cpu_model_init,
    .reset = cpu_model_reset,
    .save = cpu_model_save,
    .restore = cpu_model_restore,
};

/* CPUs are freed with the simulation; the ownership list calls this. */
void loom__cpu_free(void *p) { cpu_free(p); }
