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
 * IT[7:2] at 15:10, A I F at 8..6, T at 5, mode at 4:0 (User in Linux
 * user mode). */
uint32_t arm_cpsr_get(const arm_state *s)
{
    uint32_t it = s->itstate & 0xff;
    return (s->nf >> 31) << 31 | (uint32_t)(s->zf == 0) << 30 | (s->cf & 1) << 29 | (s->vf & 1) << 28 | (s->qf & 1) << 27 |
           (it & 3) << 25 | (s->ge & 0xf) << 16 | (it >> 2) << 10 | s->aif | (s->thumb & 1) << 5 | s->mode;
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
    /* Masks and mode: system mode only (Linux user mode stays in User). */
    if (!s->jc.user_mode) {
        s->aif = (s->aif & ~(mask & 0x1c0u)) | (cpsr & mask & 0x1c0u);
        uint32_t m = cpsr & 0x1f;
        if ((mask & 0x1f) == 0x1f && arm_mode_valid(m)) arm_switch_mode(s, m);
        s->jc.fetch_mmu = s->mode == ARM_MODE_USR ? ARM_MMU_PL0 : ARM_MMU_PL1;
    }
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
    t->b->mmu_idx = (t->flags & ARM_KEY_PRIV) ? ARM_MMU_PL1 : ARM_MMU_PL0;
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

/* A memory fault. In user mode the run loop returns and user/ looks at
 * `exception` (SIGSEGV, SIGBUS). In system mode the abort is taken: the
 * fault status and address registers, then the vector (B3.12). */
static void arm_raise_fault(jit_cpu *c, const jit_fault *f)
{
    arm_state *s = (arm_state *)c;
    bool align = f->kind == JIT_FAULT_ALIGN; /* a MemA access, misaligned (ARM ARM A3.2.1) */
    s->exception = f->access == JIT_FETCH ? ARM_EXC_PREFETCH_ABORT : align ? ARM_EXC_ALIGNMENT : ARM_EXC_DATA_ABORT;
    s->exception_addr = (uint32_t)f->vaddr;
    if (!c->user_mode) {
        uint32_t fsr = arm_fault_status(s, f);
        if (loom_log_enabled(loom_cpu_sim(c->cpu), LOOM_LOG_INT))
            loom_log(loom_cpu_sim(c->cpu), LOOM_LOG_INT, "%s: %s abort at 0x%08x (pc 0x%08x, status 0x%x)\n",
                     loom_cpu_name(c->cpu), f->access == JIT_FETCH ? "prefetch" : "data", (unsigned)f->vaddr,
                     s->r[15], fsr);
        uint32_t pabt_vector = arm_vector_base(s) + 0x0c;
        if (f->access == JIT_FETCH && (uint32_t)f->vaddr == pabt_vector && s->mode == ARM_MODE_ABT) {
            /* The abort's own vector cannot be fetched: nothing can run. */
            loom_cpu_fault(c->cpu, s->r[15], "arm: prefetch abort at the prefetch abort vector 0x%08x "
                           "(no exception vectors there: VBAR 0x%08x, SCTLR 0x%08x)", pabt_vector, s->vbar, s->sctlr);
            jit_cpu_request_exit(c);
            return;
        }
        if (f->access == JIT_FETCH) {
            s->ifsr = fsr;
            s->ifar = (uint32_t)f->vaddr;
        } else {
            s->dfsr = fsr | (f->access == JIT_WRITE ? 1u << 11 : 0); /* WnR */
            s->dfar = (uint32_t)f->vaddr;
        }
        arm_take_exception(s, s->exception);
        return;
    }
    c->last_exit = IR_EXIT_EXCEPTION;
    jit_cpu_request_exit(c);
}

static bool arm_interrupt(jit_cpu *c)
{
    if (c->user_mode) {
        c->interrupt_pending = false;
        return false;
    }
    return arm_sys_interrupt((arm_state *)c);
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
    .tlb_fill = arm_tlb_fill,
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
    /* MPIDR (B4.1.106): the multiprocessing format, Aff0 the CPU number. */
    ac->s->mpidr = 0x80000000u | (loom_cpu_id(cpu) & 0xff);
    loom_err err = arm_sys_init(cpu, ac->s);
    if (err) return err;
    return jit_cpu_init(&ac->s->jc, e, cpu, loom_cpu_bus(cpu), NULL, 0);
}

/* Everything after the JIT runtime, but for what the model and the board
 * fix (features, MPIDR, the system runtime). */
#define ARM_ARCH_START offsetof(arm_state, r)
#define ARM_ARCH_BYTES (sizeof(arm_state) - ARM_ARCH_START)

static void arm_reset(loom_cpu *cpu, void *state)
{
    arm_state *s = ((arm_cpu *)state)->s;
    uint32_t features = s->model_features, mpidr = s->mpidr;
    struct arm_sys *sys = s->sys;
    memset((uint8_t *)s + ARM_ARCH_START, 0, ARM_ARCH_BYTES);
    s->model_features = features;
    s->mpidr = mpidr;
    s->sys = sys;
    s->jc.interrupt_pending = false;
    if (s->jc.user_mode) s->mode = ARM_MODE_USR;
    else arm_sys_reset(s);
    jit_tlb_flush(&s->jc);
}

static const char *const arm_exception_names[] = {
    [ARM_EXC_SVC] = "supervisor call", [ARM_EXC_UNDEF] = "undefined instruction",
    [ARM_EXC_PREFETCH_ABORT] = "prefetch abort", [ARM_EXC_DATA_ABORT] = "data abort",
    [ARM_EXC_BKPT] = "breakpoint", [ARM_EXC_ALIGNMENT] = "alignment fault",
    [ARM_EXC_IRQ] = "interrupt", [ARM_EXC_FIQ] = "fast interrupt",
};

/* System mode: run, taking the exceptions translated code leaves for
 * (SVC, UNDEF, BKPT) and semihosting calls, until the budget is spent or
 * something else stops the run. In user mode the loop in user/ takes them. */
static loom_cpu_exit arm_exec(loom_cpu *cpu, void *state, uint64_t max, uint64_t *done)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (s->jc.user_mode) return jit_exec(&s->jc, max, done);
    *done = 0;
    if (s->powered_off) {
        loom_cpu_set_halted(cpu, true);
        return LOOM_CPU_HALT;
    }
    for (;;) {
        uint64_t n = 0;
        loom_cpu_exit why = jit_exec(&s->jc, max - *done, &n);
        *done += n;
        if (why == LOOM_CPU_HALT) {
            if (s->powered_off || arm_sys_should_halt(s)) return why;
            why = LOOM_CPU_BUDGET; /* an event or interrupt is there already */
        } else if (why == LOOM_CPU_EXIT_REQUEST && s->jc.last_exit == IR_EXIT_SYSCALL &&
                   s->exception != ARM_EXC_NONE) {
            s->jc.last_exit = IR_EXIT_NORMAL;
            if (s->exception == ARM_EXC_SVC && loom_sim_semihosting(loom_cpu_sim(cpu)) && arm_semihosting_call(s)) {
                /* The pc is past the SVC already; the run goes on from there. */
                s->exception = ARM_EXC_NONE;
                arm_semihost(cpu, s);
            } else {
                if (s->exception == ARM_EXC_BKPT) s->ifsr = (s->ttbcr >> 31) ? 1u << 9 | 0x22 : 0x02;
                if (loom_log_enabled(loom_cpu_sim(cpu), LOOM_LOG_INT))
                    loom_log(loom_cpu_sim(cpu), LOOM_LOG_INT, "%s: %s at 0x%08x\n", loom_cpu_name(cpu),
                             arm_exception_names[s->exception], s->r[15]);
                arm_take_exception(s, s->exception);
            }
            why = LOOM_CPU_BUDGET;
        }
        if (s->powered_off) {
            loom_cpu_set_halted(cpu, true);
            return LOOM_CPU_HALT;
        }
        if (why != LOOM_CPU_BUDGET || *done >= max || loom_sim_stop_requested(loom_cpu_sim(cpu))) return why;
    }
}

static void arm_set_irq(loom_cpu *cpu, void *state, unsigned line, bool level)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (!s->jc.user_mode) arm_sys_set_irq(s, line, level);
}

/* GDB's numbering for arm without a target description: r0-r15, f0-f7
 * (12 bytes each, FPA, read as zero), fps, cpsr; then, as the target
 * description numbers them, d0-d31 (26-57) and FPSCR (58). */
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
    if (n >= 26 && n < 58) {
        loom_put_le(buf, 8, s->d[n - 26]);
        return 8;
    }
    if (n == 58) {
        loom_put_le(buf, 4, s->fpscr);
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
    if (n >= 26 && n < 58) {
        s->d[n - 26] = loom_get_le(buf, 8);
        return 8;
    }
    if (n == 58) {
        s->fpscr = (uint32_t)loom_get_le(buf, 4);
        s->key_flags = arm_key_flags(s);
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
#define ARM_SAVE_VERSION 2u

/* The 32-bit words and the 64-bit ones, in the order they are saved. */
#define ARM_WORDS(s)                                                                                               \
    &s->nf, &s->zf, &s->cf, &s->vf, &s->qf, &s->ge, &s->thumb, &s->itstate, &s->key_flags, &s->fpscr, &s->fpexc,   \
        &s->excl_addr, &s->excl_valid, &s->tpidruro, &s->tpidrurw, &s->exception, &s->exception_addr, &s->svc_imm, \
        &s->mode, &s->aif, &s->spsr, &s->lines, &s->powered_off, &s->event, &s->halt_wfe, &s->sctlr, &s->actlr,    \
        &s->cpacr, &s->ttbcr, &s->dacr, &s->dfsr, &s->ifsr, &s->adfsr, &s->aifsr, &s->dfar, &s->ifar, &s->prrr,    \
        &s->nmrr, &s->amair0, &s->amair1, &s->vbar, &s->contextidr, &s->tpidrprw, &s->csselr, &s->cntfrq,          \
        &s->cntkctl, &s->cnt_ctl[0], &s->cnt_ctl[1]
#define ARM_DWORDS(s) &s->excl_val, &s->ttbr0, &s->ttbr1, &s->par, &s->cnt_cval[0], &s->cnt_cval[1], &s->cntvoff

static void arm_save(loom_cpu *cpu, void *state, loom_buf *b)
{
    arm_state *s = ((arm_cpu *)state)->s;
    loom_buf_put_u32(b, ARM_SAVE_VERSION);
    for (int i = 0; i < 16; i++) loom_buf_put_u32(b, s->r[i]);
    uint32_t *const words[] = {ARM_WORDS(s)};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) loom_buf_put_u32(b, *words[i]);
    for (int i = 0; i < ARM_BANKS; i++) {
        loom_buf_put_u32(b, s->bank_sp[i]);
        loom_buf_put_u32(b, s->bank_lr[i]);
        loom_buf_put_u32(b, s->bank_spsr[i]);
    }
    for (int i = 0; i < 5; i++) {
        loom_buf_put_u32(b, s->usr_r8_12[i]);
        loom_buf_put_u32(b, s->fiq_r8_12[i]);
    }
    for (int i = 0; i < 32; i++) loom_buf_put_u64(b, s->d[i]);
    uint64_t *const dwords[] = {ARM_DWORDS(s)};
    for (size_t i = 0; i < sizeof dwords / sizeof *dwords; i++) loom_buf_put_u64(b, *dwords[i]);
}

static loom_err arm_restore_state(loom_cpu *cpu, void *state, loom_buf *b)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (loom_buf_get_u32(b) != ARM_SAVE_VERSION) return LOOM_E_FORMAT;
    for (int i = 0; i < 16; i++) s->r[i] = loom_buf_get_u32(b);
    uint32_t *const words[] = {ARM_WORDS(s)};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) *words[i] = loom_buf_get_u32(b);
    for (int i = 0; i < ARM_BANKS; i++) {
        s->bank_sp[i] = loom_buf_get_u32(b);
        s->bank_lr[i] = loom_buf_get_u32(b);
        s->bank_spsr[i] = loom_buf_get_u32(b);
    }
    for (int i = 0; i < 5; i++) {
        s->usr_r8_12[i] = loom_buf_get_u32(b);
        s->fiq_r8_12[i] = loom_buf_get_u32(b);
    }
    for (int i = 0; i < 32; i++) s->d[i] = loom_buf_get_u64(b);
    uint64_t *const dwords[] = {ARM_DWORDS(s)};
    for (size_t i = 0; i < sizeof dwords / sizeof *dwords; i++) *dwords[i] = loom_buf_get_u64(b);
    if (!s->jc.user_mode) {
        s->jc.fetch_mmu = s->mode == ARM_MODE_USR ? ARM_MMU_PL0 : ARM_MMU_PL1;
        s->jc.interrupt_pending = true; /* looked at again at the next block */
    }
    jit_tlb_flush(&s->jc);
    return b->bad ? LOOM_E_FORMAT : LOOM_OK;
}

static void arm_fini(loom_cpu *cpu, void *state)
{
    arm_cpu *ac = state;
    if (!ac->s) return;
    arm_sys_fini(ac->s);
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
    arm_sys_fini(s);
    s->mode = ARM_MODE_USR;
    s->aif = 0;
    loom_err err = jit_cpu_init(&s->jc, e, cpu, loom_cpu_bus(cpu), guest_base, guest_size);
    s->key_flags = arm_key_flags(s);
    return err;
}

/* ---- Debugging ---------------------------------------------------------------- */

/* GDB's ARM core feature, r0-r15 and cpsr (register 25, as GDB numbers it
 * without a description), and the VFP feature, d0-d31 and FPSCR: what the
 * 'g' packet carries. */
#define ARM_GDB_D(n) "<reg name=\"d" #n "\" bitsize=\"64\" type=\"ieee_double\"/>"
static const char arm_gdb_xml[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n<architecture>arm</architecture>\n"
    "<feature name=\"org.gnu.gdb.arm.core\">\n"
    "<reg name=\"r0\" bitsize=\"32\" regnum=\"0\"/><reg name=\"r1\" bitsize=\"32\"/>"
    "<reg name=\"r2\" bitsize=\"32\"/><reg name=\"r3\" bitsize=\"32\"/><reg name=\"r4\" bitsize=\"32\"/>"
    "<reg name=\"r5\" bitsize=\"32\"/><reg name=\"r6\" bitsize=\"32\"/><reg name=\"r7\" bitsize=\"32\"/>"
    "<reg name=\"r8\" bitsize=\"32\"/><reg name=\"r9\" bitsize=\"32\"/><reg name=\"r10\" bitsize=\"32\"/>"
    "<reg name=\"r11\" bitsize=\"32\"/><reg name=\"r12\" bitsize=\"32\"/>"
    "<reg name=\"sp\" bitsize=\"32\" type=\"data_ptr\"/><reg name=\"lr\" bitsize=\"32\"/>"
    "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"cpsr\" bitsize=\"32\" regnum=\"25\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.arm.vfp\">\n"
    "<reg name=\"d0\" bitsize=\"64\" type=\"ieee_double\" regnum=\"26\"/>"
    ARM_GDB_D(1) ARM_GDB_D(2) ARM_GDB_D(3) ARM_GDB_D(4) ARM_GDB_D(5) ARM_GDB_D(6) ARM_GDB_D(7) ARM_GDB_D(8)
    ARM_GDB_D(9) ARM_GDB_D(10) ARM_GDB_D(11) ARM_GDB_D(12) ARM_GDB_D(13) ARM_GDB_D(14) ARM_GDB_D(15) ARM_GDB_D(16)
    ARM_GDB_D(17) ARM_GDB_D(18) ARM_GDB_D(19) ARM_GDB_D(20) ARM_GDB_D(21) ARM_GDB_D(22) ARM_GDB_D(23) ARM_GDB_D(24)
    ARM_GDB_D(25) ARM_GDB_D(26) ARM_GDB_D(27) ARM_GDB_D(28) ARM_GDB_D(29) ARM_GDB_D(30) ARM_GDB_D(31)
    "<reg name=\"fpscr\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n</feature>\n"
    "</target>\n";
/* r0-r15, cpsr, then d0-d31 and FPSCR (26-58, reg_read's numbers). */
static const unsigned arm_gdb_regs[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 25, 26, 27, 28,
                                        29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                                        48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58};

/* GDB's Z types to the JIT's breakpoints (every CPU) and this CPU's
 * watchpoints (kinds: 1 << JIT_READ, 1 << JIT_WRITE). */
static unsigned watch_kinds(unsigned type)
{
    return type == LOOM_DEBUG_WATCH_WRITE ? 1u << JIT_WRITE
         : type == LOOM_DEBUG_WATCH_READ ? 1u << JIT_READ : 1u << JIT_READ | 1u << JIT_WRITE;
}

static loom_err arm_debug_insert(loom_cpu *cpu, void *state, unsigned type, uint64_t addr, uint64_t len)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (type <= LOOM_DEBUG_HW_BREAK) return jit_break_insert(s->jc.eng, addr & ~1ull);
    if (type > LOOM_DEBUG_WATCH_ACCESS) return LOOM_E_UNSUPPORTED;
    return jit_watch_insert(&s->jc, addr, len ? len : 1, watch_kinds(type));
}

static loom_err arm_debug_remove(loom_cpu *cpu, void *state, unsigned type, uint64_t addr, uint64_t len)
{
    arm_state *s = ((arm_cpu *)state)->s;
    if (type == LOOM_DEBUG_ALL) {
        jit_break_remove_all(s->jc.eng);
        jit_watch_remove_all(&s->jc);
        return LOOM_OK;
    }
    if (type <= LOOM_DEBUG_HW_BREAK) {
        jit_break_remove(s->jc.eng, addr & ~1ull);
        return LOOM_OK; /* the other CPUs' removal found it gone */
    }
    if (type > LOOM_DEBUG_WATCH_ACCESS) return LOOM_E_UNSUPPORTED;
    return jit_watch_remove(&s->jc, addr, len ? len : 1, watch_kinds(type));
}

static unsigned arm_debug_stopped(loom_cpu *cpu, void *state, uint64_t *addr)
{
    jit_cpu *c = &((arm_cpu *)state)->s->jc;
    if (c->bp_hit) {
        c->bp_hit = false;
        *addr = c->bp_pc;
        return 1 + LOOM_DEBUG_SW_BREAK;
    }
    if (c->watch_hit) {
        c->watch_hit = false;
        *addr = c->watch_addr;
        unsigned both = 1u << JIT_READ | 1u << JIT_WRITE;
        return 1 + ((c->watch_kinds & both) == both ? LOOM_DEBUG_WATCH_ACCESS
                    : c->watch_kinds & (1u << JIT_WRITE) ? LOOM_DEBUG_WATCH_WRITE : LOOM_DEBUG_WATCH_READ);
    }
    return 0;
}

static bool arm_mem_debug(loom_cpu *cpu, void *state, uint64_t vaddr, void *buf, unsigned len, bool write)
{
    jit_cpu *c = &((arm_cpu *)state)->s->jc;
    return write ? jit_debug_write(c, vaddr, buf, len) : jit_debug_read(c, vaddr, buf, len);
}

static const char *const arm_irqs[] = {"irq", "fiq"};
/* The generic timer's outputs, in the device tree's order. */
static const char *const arm_outs[] = {"timer-sec", "timer-phys", "timer-virt", "timer-hyp"};

const loom_arch arm_arch = {
    .name = "arm",
    .models = arm_model_names,
    .state_size = sizeof(arm_cpu),
    .irq_lines = 2,
    .irq_names = arm_irqs,
    .out_lines = 4,
    .out_names = arm_outs,
    .dt_timer = "arm,armv7-timer",
    .dt_psci_method = "hvc",
    .debug_insert = arm_debug_insert,
    .debug_remove = arm_debug_remove,
    .debug_stopped = arm_debug_stopped,
    .mem_debug = arm_mem_debug,
    .gdb_xml = arm_gdb_xml,
    .gdb_regs = arm_gdb_regs,
    .gdb_nregs = sizeof arm_gdb_regs / sizeof *arm_gdb_regs,
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
