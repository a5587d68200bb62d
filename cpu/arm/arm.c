/* The ARM guest: the jit_guest plug-in, the CPSR view of the state, and the
 * loom_arch glue (models, reset, registers by GDB number, save/restore,
 * user mode). */
#include <stdlib.h>
#include <string.h>

#include "arm.h"
#include "disas.h"
#include "translate.h"

/* ---- The CPSR --------------------------------------------------------------- */

/* ARM ARM B1.3.3: N Z C V Q at 31..27, IT[1:0] at 26:25, GE at 19:16,
 * IT[7:2] at 15:10, T at 5, mode at 4:0 (always User here). */
uint32_t arm_cpsr_get(const arm_state *s)
{
    uint32_t it = s->itstate & 0xff;
    return (s->nf >> 31) << 31 | (uint32_t)(s->zf == 0) << 30 | (s->cf & 1) << 29 | (s->vf & 1) << 28 | (s->qf & 1) << 27 |
           (it & 3) << 25 | (s->ge & 0xf) << 16 | (it >> 2) << 10 | (s->thumb & 1) << 5 | 0x10;
}

void arm_cpsr_set(arm_state *s, uint32_t cpsr, uint32_t mask)
{
    if (mask & (1u << 31)) s->nf = cpsr & (1u << 31);
    if (mask & (1u << 30)) s->zf = !(cpsr & (1u << 30));
    if (mask & (1u << 29)) s->cf = cpsr >> 29 & 1;
    if (mask & (1u << 28)) s->vf = cpsr >> 28 & 1;
    if (mask & (1u << 27)) s->qf = cpsr >> 27 & 1;
    if (mask & 0x000f0000u) s->ge = (s->ge & ~(mask >> 16 & 0xf)) | ((cpsr & mask) >> 16 & 0xf);
    if (mask & 0x0600fc00u) {
        uint32_t it = (cpsr >> 25 & 3) | (cpsr >> 10 & 0x3f) << 2;
        uint32_t itm = (mask >> 25 & 3) | (mask >> 10 & 0x3f) << 2;
        s->itstate = (s->itstate & ~itm) | (it & itm);
    }
    if (mask & (1u << 5)) s->thumb = cpsr >> 5 & 1;
    /* The mode bits stay User: there is no system mode state yet. */
    s->key_flags = arm_key_flags(s);
}

/* ---- The jit_guest ---------------------------------------------------------- */

static void arm_block_key(jit_cpu *c, uint64_t *pc, uint64_t *flags)
{
    arm_state *s = (arm_state *)c;
    *pc = s->r[15];
    s->key_flags = arm_key_flags(s);
    *flags = s->key_flags;
}

static void arm_translate(jit_tcx *t)
{
    if (t->flags & ARM_KEY_THUMB) arm_translate_t32(t);
    else arm_translate_a32(t);
}

static void arm_restore(jit_cpu *c, uint64_t pc, uint32_t extra)
{
    arm_state *s = (arm_state *)c;
    s->r[15] = (uint32_t)pc;
    /* The marker's extra word is the instruction's ITSTATE (0 in ARM state):
     * a block keeps ITSTATE in step instruction by instruction. */
    s->itstate = extra & 0xff;
    s->key_flags = arm_key_flags(s);
}

/* A memory fault: there are no exception vectors yet, so the run loop
 * returns and whoever runs the CPU looks at `exception` (user mode turns it
 * into SIGSEGV). In system mode nobody can, so the run stops with the pc. */
static void arm_raise_fault(jit_cpu *c, const jit_fault *f)
{
    arm_state *s = (arm_state *)c;
    bool align = f->kind == JIT_FAULT_ALIGN; /* a MemA access, misaligned (ARM ARM A3.2.1) */
    s->exception = f->access == JIT_FETCH ? ARM_EXC_PREFETCH_ABORT : align ? ARM_EXC_ALIGNMENT : ARM_EXC_DATA_ABORT;
    s->exception_addr = (uint32_t)f->vaddr;
    c->last_exit = IR_EXIT_EXCEPTION;
    if (!c->user_mode && c->cpu)
        loom_cpu_fault(c->cpu, s->r[15], "arm: %s%s at 0x%08x",
                       f->access == JIT_FETCH ? "prefetch" : f->access == JIT_WRITE ? "data (write)" : "data (read)",
                       align ? " alignment fault" : " abort", (unsigned)f->vaddr);
    jit_cpu_request_exit(c);
}

static bool arm_interrupt(jit_cpu *c)
{
    c->interrupt_pending = false;
    return false;
}

const jit_guest arm_guest = {
    .name = "arm",
    .pc_offset = ARM_REG(15),
    .pc_bytes = 4,
    .page_bits = 12,
    .max_block_insns = 64,
    .block_key = arm_block_key,
    .translate = arm_translate,
    .restore = arm_restore,
    .raise_fault = arm_raise_fault,
    .interrupt = arm_interrupt,
    .helpers = arm_helpers,
    .nhelpers = ARM_H_COUNT,
    .disas = arm_disas,
    .flags_offset = ARM_OFF(key_flags),
    .flags_bytes = 4,
};

/* ---- loom_arch glue ---------------------------------------------------------- */

typedef struct arm_cpu {
    arm_state *s;
} arm_cpu;

static const struct {
    const char *name;
    uint32_t features;
} arm_models[] = {
    {"cortex-a15", ARM_FEAT_VFP3 | ARM_FEAT_VFPD32 | ARM_FEAT_IDIV},
};

static const char *const arm_model_names[] = {"cortex-a15", NULL};

static void engine_destroy(void *e) { jit_engine_free(e); }

static loom_err arm_init(loom_cpu *cpu, void *state, const char *model)
{
    arm_cpu *ac = state;
    loom_sim *sim = loom_cpu_sim(cpu);
    uint32_t features = 0;
    bool found = false;
    if (!model) model = arm_models[0].name;
    for (size_t i = 0; i < sizeof arm_models / sizeof *arm_models; i++)
        if (!strcmp(arm_models[i].name, model)) {
            features = arm_models[i].features;
            found = true;
        }
    if (!found) return loom_sim_error(sim, LOOM_E_INVAL, "arm: unknown CPU model '%s' (known: cortex-a15)", model);
    jit_engine *e = loom_sim_assoc(sim, &arm_guest);
    if (!e) {
        jit_backend be = loom_sim_jit(sim) == LOOM_JIT_INTERP ? JIT_BACKEND_INTERP : JIT_BACKEND_X86;
        loom_err err = jit_engine_new(sim, &arm_guest, be, &e);
        if (!err) err = loom_sim_set_assoc(sim, &arm_guest, e, engine_destroy);
        if (err) return err;
    }
    ac->s = calloc(1, sizeof *ac->s);
    if (!ac->s) return LOOM_E_NOMEM;
    ac->s->model_features = features;
    return jit_cpu_init(&ac->s->jc, e, cpu, loom_cpu_bus(cpu), NULL, 0);
}

/* Everything after the JIT runtime, the model's features excepted. */
#define ARM_ARCH_START offsetof(arm_state, r)
#define ARM_ARCH_BYTES (sizeof(arm_state) - ARM_ARCH_START)

static void arm_reset(loom_cpu *cpu, void *state)
{
    arm_state *s = ((arm_cpu *)state)->s;
    uint32_t features = s->model_features;
    memset((uint8_t *)s + ARM_ARCH_START, 0, ARM_ARCH_BYTES);
    s->model_features = features;
    jit_tlb_flush(&s->jc);
}

static const char *const arm_exception_names[] = {
    [ARM_EXC_SVC] = "supervisor call", [ARM_EXC_UNDEF] = "undefined instruction",
    [ARM_EXC_PREFETCH_ABORT] = "prefetch abort", [ARM_EXC_DATA_ABORT] = "data abort",
    [ARM_EXC_BKPT] = "breakpoint", [ARM_EXC_ALIGNMENT] = "alignment fault",
};

static loom_cpu_exit arm_exec(loom_cpu *cpu, void *state, uint64_t max, uint64_t *done)
{
    arm_state *s = ((arm_cpu *)state)->s;
    loom_cpu_exit why = jit_exec(&s->jc, max, done);
    bool system_exc = why == LOOM_CPU_EXIT_REQUEST && !s->jc.user_mode && s->jc.last_exit == IR_EXIT_SYSCALL &&
                      s->exception != ARM_EXC_NONE && s->exception <= ARM_EXC_ALIGNMENT;
    if (system_exc && loom_sim_semihosting(loom_cpu_sim(cpu)) && arm_semihosting_call(s)) {
        /* The pc is past the SVC already; the run goes on from there. */
        s->exception = ARM_EXC_NONE;
        arm_semihost(cpu, s);
        return why;
    }
    /* In user mode the loop in user/ takes SVC and UNDEF exits. System
     * mode has no exception vectors yet: an exception nothing can take
     * stops the run with its pc and reason rather than looping on it. */
    if (system_exc) {
        loom_cpu_fault(cpu, s->r[15], "arm: %s (no exception vectors in system mode yet)",
                       arm_exception_names[s->exception]);
        why = LOOM_CPU_FATAL;
    }
    return why;
}

static void arm_set_irq(loom_cpu *cpu, void *state, unsigned line, bool level)
{
    /* No interrupt entry yet (system mode comes later). */
}

/* GDB's numbering for arm without a target description: r0-r15, f0-f7
 * (12 bytes each, FPA, read as zero), fps, cpsr. */
static int arm_reg_read(loom_cpu *cpu, void *state, unsigned n, uint8_t *buf)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (n < 16) {
        loom_put_le(buf, 4, s->r[n]);
        return 4;
    }
    if (n < 24) {
        memset(buf, 0, 12);
        return 12;
    }
    if (n == 24) {
        memset(buf, 0, 4);
        return 4;
    }
    if (n == 25) {
        loom_put_le(buf, 4, arm_cpsr_get(s));
        return 4;
    }
    return -1;
}

static int arm_reg_write(loom_cpu *cpu, void *state, unsigned n, const uint8_t *buf)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (n < 16) {
        s->r[n] = (uint32_t)loom_get_le(buf, 4);
        return 4;
    }
    if (n < 24) return 12;
    if (n == 24) return 4;
    if (n == 25) {
        arm_cpsr_set(s, (uint32_t)loom_get_le(buf, 4), 0xffffffffu);
        return 4;
    }
    return -1;
}

static uint64_t arm_get_pc(loom_cpu *cpu, void *state) { return ((arm_cpu *)state)->s->r[15]; }
static void arm_set_pc(loom_cpu *cpu, void *state, uint64_t pc) { ((arm_cpu *)state)->s->r[15] = (uint32_t)pc; }

/* The whole architectural state, hidden state (exclusive monitor, pending
 * exception) included, field by field in little-endian order; the JIT
 * runtime is not state and the model's features come from the model.
 * A field added to arm_state must be added here too. */
#define ARM_SAVE_VERSION 1u

static void arm_save(loom_cpu *cpu, void *state, loom_buf *b)
{
    arm_state *s = ((arm_cpu *)state)->s;
    loom_buf_put_u32(b, ARM_SAVE_VERSION);
    for (int i = 0; i < 16; i++) loom_buf_put_u32(b, s->r[i]);
    const uint32_t words[] = {s->nf, s->zf, s->cf, s->vf, s->qf, s->ge, s->thumb, s->itstate, s->key_flags,
                              s->fpscr, s->fpexc, s->excl_addr, s->excl_valid, s->tpidruro, s->tpidrurw,
                              s->exception, s->exception_addr, s->svc_imm};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) loom_buf_put_u32(b, words[i]);
    for (int i = 0; i < 32; i++) loom_buf_put_u64(b, s->d[i]);
    loom_buf_put_u64(b, s->excl_val);
}

static loom_err arm_restore_state(loom_cpu *cpu, void *state, loom_buf *b)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (loom_buf_get_u32(b) != ARM_SAVE_VERSION) return LOOM_E_FORMAT;
    for (int i = 0; i < 16; i++) s->r[i] = loom_buf_get_u32(b);
    uint32_t *const words[] = {&s->nf, &s->zf, &s->cf, &s->vf, &s->qf, &s->ge, &s->thumb, &s->itstate, &s->key_flags,
                               &s->fpscr, &s->fpexc, &s->excl_addr, &s->excl_valid, &s->tpidruro, &s->tpidrurw,
                               &s->exception, &s->exception_addr, &s->svc_imm};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) *words[i] = loom_buf_get_u32(b);
    for (int i = 0; i < 32; i++) s->d[i] = loom_buf_get_u64(b);
    s->excl_val = loom_buf_get_u64(b);
    jit_tlb_flush(&s->jc);
    return b->bad ? LOOM_E_FORMAT : LOOM_OK;
}

static void arm_fini(loom_cpu *cpu, void *state)
{
    arm_cpu *ac = state;
    if (!ac->s) return;
    jit_cpu_fini(&ac->s->jc);
    free(ac->s);
    ac->s = NULL;
}

arm_state *arm_state_of(loom_cpu *cpu) { return ((arm_cpu *)loom_cpu_state(cpu))->s; }

loom_err arm_user_init(loom_cpu *cpu, uint8_t *guest_base, uint64_t guest_size)
{
    arm_state *s = arm_state_of(cpu);
    jit_engine *e = s->jc.eng;
    jit_cpu_fini(&s->jc);
    return jit_cpu_init(&s->jc, e, cpu, loom_cpu_bus(cpu), guest_base, guest_size);
}

static const char *const arm_irqs[] = {"irq", "fiq"};

const loom_arch arm_arch = {
    .name = "arm",
    .models = arm_model_names,
    .state_size = sizeof(arm_cpu),
    .irq_lines = 2,
    .irq_names = arm_irqs,
    .init = arm_init,
    .reset = arm_reset,
    .exec = arm_exec,
    .set_irq = arm_set_irq,
    .reg_read = arm_reg_read,
    .reg_write = arm_reg_write,
    .set_pc = arm_set_pc,
    .get_pc = arm_get_pc,
    .save = arm_save,
    .restore = arm_restore_state,
    .fini = arm_fini,
};
