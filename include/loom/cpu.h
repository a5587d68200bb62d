/* CPUs: instantiable guest cores, any number of any guest in one simulation. */
#ifndef LOOM_CPU_H
#define LOOM_CPU_H

#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why loom_cpu_run returned. */
typedef enum loom_cpu_exit {
    LOOM_CPU_BUDGET = 0,  /* executed the instructions it was given */
    LOOM_CPU_HALT,        /* waiting for an interrupt (WFI and the like) */
    LOOM_CPU_BREAKPOINT,  /* hit a breakpoint or watchpoint */
    LOOM_CPU_EXIT_REQUEST,/* a stop request (sync access, monitor, exit) */
    LOOM_CPU_FATAL,       /* a fault nothing handles; see loom_cpu_fault */
} loom_cpu_exit;

const char *loom_cpu_exit_name(loom_cpu_exit e);

/* What a guest provides. The JIT fills most of this for translated guests;
 * a guest is a plug-in, core/ knows none of them by name. */
typedef struct loom_arch {
    const char *name;             /* "arm", "mips", ... */
    const char *const *models;    /* NULL-terminated; the first is the default */
    size_t state_size;            /* zeroed, handed to every hook */
    unsigned irq_lines;           /* interrupt inputs (IRQ, FIQ, ...) */
    const char *const *irq_names; /* irq_lines names, e.g. "irq", "fiq" */
    unsigned out_lines;           /* output lines (timers a core has inside), at most 8 */
    const char *const *out_names;
    /* The device tree (optional): the compatible of the timer whose
     * interrupts are the output lines, in order; the PSCI conduit ("hvc"
     * or "smc") when the CPU answers PSCI calls. */
    const char *dt_timer;
    const char *dt_psci_method;
    /* Debugging (optional). Breakpoints and watchpoints of GDB's Z types
     * (LOOM_DEBUG_*) at a virtual address; debug_stopped says, once, why
     * the last run stopped for one (1 + the type, or 0) and where. */
    loom_err (*debug_insert)(loom_cpu *cpu, void *state, unsigned type, uint64_t addr, uint64_t len);
    loom_err (*debug_remove)(loom_cpu *cpu, void *state, unsigned type, uint64_t addr, uint64_t len);
    unsigned (*debug_stopped)(loom_cpu *cpu, void *state, uint64_t *addr);
    /* Memory by virtual address, no side effects on devices; a write
     * invalidates translated code. */
    bool (*mem_debug)(loom_cpu *cpu, void *state, uint64_t vaddr, void *buf, unsigned len, bool write);
    /* GDB's target description (target.xml) and the register numbers of
     * the 'g' packet, in order (reg_read's numbers). */
    const char *gdb_xml;
    const unsigned *gdb_regs;
    unsigned gdb_nregs;
    loom_err (*init)(loom_cpu *cpu, void *state, const char *model);
    void (*reset)(loom_cpu *cpu, void *state);
    /* Execute at most max instructions; set *done to the number retired. */
    loom_cpu_exit (*exec)(loom_cpu *cpu, void *state, uint64_t max, uint64_t *done);
    void (*set_irq)(loom_cpu *cpu, void *state, unsigned line, bool level);
    /* Registers by GDB number; return the size in bytes, or -1. */
    int (*reg_read)(loom_cpu *cpu, void *state, unsigned regno, uint8_t *buf);
    int (*reg_write)(loom_cpu *cpu, void *state, unsigned regno, const uint8_t *buf);
    void (*set_pc)(loom_cpu *cpu, void *state, uint64_t pc);
    uint64_t (*get_pc)(loom_cpu *cpu, void *state);
    void (*save)(loom_cpu *cpu, void *state, loom_buf *b);
    loom_err (*restore)(loom_cpu *cpu, void *state, loom_buf *b);
    void (*fini)(loom_cpu *cpu, void *state);
} loom_arch;

/* Architectures: built-in ones (cpu/registry.c) plus a simulation's own. */
loom_err loom_sim_register_arch(loom_sim *sim, const loom_arch *arch);
const loom_arch *loom_sim_find_arch(const loom_sim *sim, const char *name);
extern const loom_arch *const loom_builtin_archs[];
extern const size_t loom_builtin_arch_count;

typedef struct loom_cpu_opts {
    const char *name;     /* instance name, "cpu0" if NULL */
    uint64_t clock_hz;    /* 0: 100 MHz */
    uint32_t id;          /* initiator id on the bus */
    uint64_t cycles_per_insn; /* 0: 1 */
} loom_cpu_opts;

/* The CPU joins the simulation's scheduler as a runner. */
loom_err loom_cpu_new(loom_sim *sim, const char *arch, const char *model, loom_bus *bus,
                      const loom_cpu_opts *opts, loom_cpu **out);
/* Run at most max_insns instructions now, outside the scheduler. */
loom_cpu_exit loom_cpu_run(loom_cpu *cpu, uint64_t max_insns);
void loom_cpu_set_irq(loom_cpu *cpu, unsigned line, bool level);
/* GDB's breakpoint and watchpoint types (the Z packet's). */
enum { LOOM_DEBUG_SW_BREAK = 0, LOOM_DEBUG_HW_BREAK = 1, LOOM_DEBUG_WATCH_WRITE = 2, LOOM_DEBUG_WATCH_READ = 3,
       LOOM_DEBUG_WATCH_ACCESS = 4, LOOM_DEBUG_ALL = 0xff /* remove: every one */ };
loom_err loom_cpu_debug_insert(loom_cpu *cpu, unsigned type, uint64_t addr, uint64_t len);
loom_err loom_cpu_debug_remove(loom_cpu *cpu, unsigned type, uint64_t addr, uint64_t len);
/* Why the last run stopped for the debugger: 1 + the type, or 0; once. */
unsigned loom_cpu_debug_stopped(loom_cpu *cpu, uint64_t *addr);
bool loom_cpu_mem_debug(loom_cpu *cpu, uint64_t vaddr, void *buf, unsigned len, bool write);
/* The simulation's CPUs, in creation order. */
size_t loom_sim_cpu_count(const loom_sim *sim);
loom_cpu *loom_sim_cpu_at(const loom_sim *sim, size_t i);

/* For guests: drive output line n (loom_arch.out_names; nothing happens
 * when the CPU is not on a board or the line is not wired). */
void loom_cpu_set_output(loom_cpu *cpu, unsigned n, bool level);
void loom_cpu_reset(loom_cpu *cpu);
int loom_cpu_reg_read(loom_cpu *cpu, unsigned regno, uint8_t *buf);
int loom_cpu_reg_write(loom_cpu *cpu, unsigned regno, const uint8_t *buf);
uint64_t loom_cpu_pc(loom_cpu *cpu);
void loom_cpu_set_pc(loom_cpu *cpu, uint64_t pc);

const char *loom_cpu_name(const loom_cpu *cpu);
uint32_t loom_cpu_id(const loom_cpu *cpu); /* loom_cpu_opts.id: the initiator id and CPU number */
/* The guest's own state (what every loom_arch hook receives). */
void *loom_cpu_state(const loom_cpu *cpu);
const loom_arch *loom_cpu_arch(const loom_cpu *cpu);
loom_bus *loom_cpu_bus(const loom_cpu *cpu);
loom_sim *loom_cpu_sim(const loom_cpu *cpu);
uint64_t loom_cpu_insns(const loom_cpu *cpu);   /* retired since creation */
loom_time loom_cpu_period(const loom_cpu *cpu); /* ps per instruction */
/* The CPU's local time: simulation time plus what it ran ahead. */
loom_time loom_cpu_local_time(const loom_cpu *cpu);

/* For guests: mark the CPU halted until an interrupt line rises, record a
 * fatal fault (the scheduler stops the run with the PC and reason), or ask
 * to stop after the current instruction. */
void loom_cpu_set_halted(loom_cpu *cpu, bool halted);
bool loom_cpu_halted(const loom_cpu *cpu);
void loom_cpu_fault(loom_cpu *cpu, uint64_t pc, const char *fmt, ...) LOOM_PRINTF(3, 4);
void loom_cpu_request_exit(loom_cpu *cpu);
bool loom_cpu_exit_requested(const loom_cpu *cpu);

/* Limit on instructions across every CPU of the simulation (--max-insns);
 * the run stops with LOOM_STOP_INSN_LIMIT once it is reached. 0: none. */
void loom_sim_set_insn_limit(loom_sim *sim, uint64_t max_insns);

/* Which JIT back end new CPUs of this simulation use (--jit). */
typedef enum loom_jit_choice { LOOM_JIT_NATIVE = 0, LOOM_JIT_INTERP = 1 } loom_jit_choice;
void loom_sim_set_jit(loom_sim *sim, loom_jit_choice j);
loom_jit_choice loom_sim_jit(const loom_sim *sim);

/* Whether guests may make semihosting calls to the host (off by default:
 * the board's `semihosting: true` or --semihosting). */
void loom_sim_set_semihosting(loom_sim *sim, bool on);
bool loom_sim_semihosting(const loom_sim *sim);

/* The model type "cpu" that boards use to place CPUs (see platforms/). */
extern const struct loom_model_type loom_cpu_model_type;
/* The program's entry (an ELF firmware's): every "cpu" instance without a
 * reset-pc of its own starts there, now and after each reset, as QEMU
 * starts an ELF given with -kernel. */
void loom_sim_set_entry(loom_sim *sim, uint64_t pc);

#ifdef __cplusplus
}
#endif
#endif
