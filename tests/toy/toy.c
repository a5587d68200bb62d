/* The toy guest: decoder table, translator and the loom_arch glue. */
#include <stdlib.h>
#include <string.h>

#include "toy.h"

#define OFF(field) ((uint32_t)offsetof(toy_state, field))
#define REG(n) (OFF(r) + 4u * (n))

typedef struct toy_insn {
    unsigned op, rd, ra, rb;
    int32_t imm;
} toy_insn;

static ir_val rd_reg(ir_block *b, unsigned n) { return ir_get(b, IR_I32, REG(n)); }
static void wr_reg(ir_block *b, unsigned n, ir_val v) { ir_set(b, REG(n), v); }

enum { H_DIV, H_UNDEF, H_FP = TOY_HELPER_FP, H_COUNT };

static uint64_t helper_div(jit_cpu *c, uint64_t a, uint64_t b, uint64_t pc, uint64_t u3, uint64_t u4)
{
    toy_state *s = (toy_state *)c;
    if ((uint32_t)b == 0) {
        s->epc = (uint32_t)pc;
        s->cause = TOY_CAUSE_DIV0;
        if (!s->evec) {
            loom_cpu_fault(c->cpu, pc, "toy: division by zero");
        }
        s->pc = s->evec;
        c->raised = 1;
        return 0;
    }
    return (uint32_t)a / (uint32_t)b;
}

static uint64_t helper_undef(jit_cpu *c, uint64_t pc, uint64_t u1, uint64_t u2, uint64_t u3, uint64_t u4)
{
    toy_state *s = (toy_state *)c;
    s->epc = (uint32_t)pc;
    s->cause = TOY_CAUSE_UNDEF;
    if (!s->evec) loom_cpu_fault(c->cpu, pc, "toy: undefined instruction");
    s->pc = s->evec;
    c->raised = 1;
    return 0;
}

/* The special cases of checked floating point (tests only): counts its
 * calls in badaddr (its state word) and returns a value made of its
 * arguments, so a test sees which path gave the result. */
static uint64_t helper_fp(jit_cpu *c, uint64_t arg, uint64_t a, uint64_t b, uint64_t u3, uint64_t u4)
{
    (void)u3;
    (void)u4;
    ((toy_state *)c)->badaddr++;
    return arg ^ a ^ (b << 1);
}

static const jit_helper toy_helpers[H_COUNT] = {{"div", helper_div}, {"undef", helper_undef}, {"fp", helper_fp}};

/* Each translate function handles one instruction family. */
typedef void (*toy_fn)(jit_tcx *t, const toy_insn *d);

static unsigned mmu(void) { return 0; }
static bool be(jit_tcx *t) { return t->flags & 1; }

/* Like WFI: it retires, and the CPU continues after it when woken. */
static void t_halt(jit_tcx *t, const toy_insn *d) { ir_exit(t->b, IR_EXIT_HALT, t->pc + 4); t->end = true; }
static void t_li(jit_tcx *t, const toy_insn *d) { wr_reg(t->b, d->rd, ir_const32(t->b, (uint32_t)d->imm)); }
static void t_lui(jit_tcx *t, const toy_insn *d) { wr_reg(t->b, d->rd, ir_const32(t->b, (uint32_t)d->imm << 16)); }

static void t_alu(jit_tcx *t, const toy_insn *d)
{
    ir_block *b = t->b;
    ir_val x = rd_reg(b, d->ra), y = rd_reg(b, d->rb), r;
    switch (d->op) {
    case TOY_ADD: r = ir_add(b, x, y); break;
    case TOY_SUB: r = ir_sub(b, x, y); break;
    case TOY_XOR: r = ir_xor(b, x, y); break;
    case TOY_MUL: r = ir_mul(b, x, y); break;
    default: r = ir_shl(b, x, y); break;
    }
    wr_reg(b, d->rd, r);
}

static void t_addi(jit_tcx *t, const toy_insn *d)
{
    wr_reg(t->b, d->rd, ir_add(t->b, rd_reg(t->b, d->ra), ir_const32(t->b, (uint32_t)d->imm)));
}

static ir_val ea(jit_tcx *t, unsigned r, int32_t imm) { return ir_add(t->b, rd_reg(t->b, r), ir_const32(t->b, (uint32_t)imm)); }

static void t_ld(jit_tcx *t, const toy_insn *d)
{
    unsigned size = d->op == TOY_LDB ? 1 : 4;
    wr_reg(t->b, d->rd, ir_load(t->b, IR_I32, ea(t, d->ra, d->imm), size, false, be(t), mmu()));
}

static void t_st(jit_tcx *t, const toy_insn *d)
{
    unsigned size = d->op == TOY_STB ? 1 : 4;
    ir_store(t->b, ea(t, d->ra, d->imm), rd_reg(t->b, d->rd), size, be(t), mmu());
}

static void t_branch(jit_tcx *t, const toy_insn *d)
{
    ir_block *b = t->b;
    uint32_t next = (uint32_t)t->pc + 4, target = next + (uint32_t)d->imm * 4;
    ir_val c = ir_setcc(b, d->op == TOY_BNE ? IR_NE : IR_EQ, rd_reg(b, d->ra), rd_reg(b, d->rb));
    /* A short jump ahead stays inside the block. */
    if (jit_branch_forward(t, c, target)) return;
    uint32_t taken = ir_new_label(b);
    ir_brcond(b, c, taken);
    ir_goto(b, next);
    ir_label(b, taken);
    ir_goto(b, target);
    t->end = true;
}

static void t_jr(jit_tcx *t, const toy_insn *d)
{
    ir_jump(t->b, rd_reg(t->b, d->ra));
    t->end = true;
}

static void t_jal(jit_tcx *t, const toy_insn *d)
{
    uint32_t next = (uint32_t)t->pc + 4;
    wr_reg(t->b, d->rd, ir_const32(t->b, next));
    ir_goto(t->b, next + (uint32_t)d->imm * 4);
    t->end = true;
}

static void t_divh(jit_tcx *t, const toy_insn *d)
{
    ir_block *b = t->b;
    ir_val args[3] = {rd_reg(b, d->ra), rd_reg(b, d->rb), ir_const32(b, (uint32_t)t->pc)};
    ir_val r = ir_call(b, IR_I32, H_DIV, IR_HELPER_MAY_RAISE | IR_HELPER_WRITES_STATE, args, 3);
    wr_reg(b, d->rd, r);
}

static void t_csel(jit_tcx *t, const toy_insn *d)
{
    ir_block *b = t->b;
    wr_reg(b, d->rd, ir_select(b, rd_reg(b, d->ra), rd_reg(b, d->rb), rd_reg(b, d->rd)));
}

static void t_cas(jit_tcx *t, const toy_insn *d)
{
    ir_block *b = t->b;
    ir_val old = ir_cmpxchg(b, rd_reg(b, d->ra), rd_reg(b, d->rd), rd_reg(b, d->rb), 4, be(t), mmu());
    wr_reg(b, d->rd, old);
}

static void t_cstore(jit_tcx *t, const toy_insn *d)
{
    ir_block *b = t->b;
    uint32_t skip = ir_new_label(b);
    ir_val z = ir_setcc(b, IR_EQ, rd_reg(b, d->ra), ir_const32(b, 0));
    ir_brcond(b, z, skip);
    ir_store(b, ea(t, d->rb, d->imm), rd_reg(b, d->rd), 4, be(t), mmu());
    ir_label(b, skip);
}

static void t_setbe(jit_tcx *t, const toy_insn *d)
{
    /* The mode is in the block key: end the block so the next one is
     * translated for the new mode. */
    ir_set(t->b, OFF(be), ir_const32(t->b, d->imm ? 1 : 0));
    ir_goto(t->b, t->pc + 4);
    t->end = true;
}

static void t_undef(jit_tcx *t, const toy_insn *d)
{
    ir_block *b = t->b;
    ir_val pc = ir_const32(b, (uint32_t)t->pc);
    ir_call(b, IR_I32, H_UNDEF, IR_HELPER_MAY_RAISE | IR_HELPER_WRITES_STATE, &pc, 1);
    ir_exit(b, IR_EXIT_EXCEPTION, t->pc);
    t->end = true;
}

/* The decoder: a table from opcode to translate function, so adding an
 * instruction is adding a row. */
static const struct {
    unsigned op;
    toy_fn fn;
} toy_table[] = {
    {TOY_HALT, t_halt}, {TOY_LI, t_li},   {TOY_ADD, t_alu},   {TOY_SUB, t_alu},    {TOY_ADDI, t_addi},
    {TOY_LD, t_ld},     {TOY_ST, t_st},   {TOY_BNE, t_branch}, {TOY_JR, t_jr},      {TOY_LUI, t_lui},
    {TOY_DIVH, t_divh}, {TOY_XOR, t_alu}, {TOY_SHL, t_alu},   {TOY_MUL, t_alu},    {TOY_LDB, t_ld},
    {TOY_STB, t_st},    {TOY_CSEL, t_csel}, {TOY_BEQ, t_branch}, {TOY_JAL, t_jal}, {TOY_CAS, t_cas},
    {TOY_CSTORE, t_cstore}, {TOY_SETBE, t_setbe},
};

static void toy_translate(jit_tcx *t)
{
    uint32_t w;
    if (!jit_fetch(t, t->pc, 4, &w)) return;
    toy_insn d = {w >> 26, (w >> 23) & 7, (w >> 20) & 7, (w >> 17) & 7, (int16_t)(w & 0xffff)};
    ir_insn_start(t->b, t->pc, 0);
    toy_fn fn = t_undef;
    for (size_t i = 0; i < sizeof toy_table / sizeof *toy_table; i++)
        if (toy_table[i].op == d.op) fn = toy_table[i].fn;
    fn(t, &d);
    t->pc += 4;
}

static void toy_block_key(jit_cpu *c, uint64_t *pc, uint64_t *flags)
{
    toy_state *s = (toy_state *)c;
    *pc = s->pc;
    *flags = s->be;
}

static void toy_restore(jit_cpu *c, uint64_t pc, uint32_t extra) { ((toy_state *)c)->pc = (uint32_t)pc; }

static void toy_raise_fault(jit_cpu *c, const jit_fault *f)
{
    toy_state *s = (toy_state *)c;
    s->epc = s->pc;
    s->cause = TOY_CAUSE_FAULT;
    s->badaddr = (uint32_t)f->vaddr;
    if (!s->evec) {
        loom_cpu_fault(c->cpu, s->pc, "toy: %s fault at 0x%x", f->access == JIT_WRITE ? "store" : "load",
                       (unsigned)f->vaddr);
        jit_cpu_request_exit(c);
        return;
    }
    s->pc = s->evec;
}

static bool toy_interrupt(jit_cpu *c)
{
    toy_state *s = (toy_state *)c;
    c->interrupt_pending = false;
    if (!s->irq_line || !s->evec) return false;
    s->epc = s->pc;
    s->cause = TOY_CAUSE_IRQ;
    s->pc = s->evec;
    return true;
}

const jit_guest toy_guest = {
    .name = "toy",
    .pc_offset = OFF(pc),
    .pc_bytes = 4,
    .page_bits = 12,
    .max_block_insns = 64,
    .block_key = toy_block_key,
    .translate = toy_translate,
    .restore = toy_restore,
    .raise_fault = toy_raise_fault,
    .interrupt = toy_interrupt,
    .helpers = toy_helpers,
    .nhelpers = H_COUNT,
    .flags_offset = OFF(be),
    .flags_bytes = 4,
};

/* ---- loom_arch glue ------------------------------------------------------ */

typedef struct toy_cpu {
    toy_state *s;
} toy_cpu;

static void engine_destroy(void *e) { jit_engine_free(e); }

static loom_err toy_init(loom_cpu *cpu, void *state, const char *model)
{
    toy_cpu *tc = state;
    loom_sim *sim = loom_cpu_sim(cpu);
    jit_engine *e = loom_sim_assoc(sim, &toy_guest);
    if (!e) {
        jit_backend be = loom_sim_jit(sim) == LOOM_JIT_INTERP ? JIT_BACKEND_INTERP : JIT_BACKEND_X86;
        loom_err err = jit_engine_new(sim, &toy_guest, be, &e);
        if (!err) err = loom_sim_set_assoc(sim, &toy_guest, e, engine_destroy);
        if (err) return err;
    }
    tc->s = calloc(1, sizeof *tc->s);
    if (!tc->s) return LOOM_E_NOMEM;
    return jit_cpu_init(&tc->s->jc, e, cpu, loom_cpu_bus(cpu), NULL, 0);
}

static void toy_reset(loom_cpu *cpu, void *state)
{
    toy_state *s = ((toy_cpu *)state)->s;
    memset(s->r, 0, sizeof s->r);
    s->pc = s->epc = s->cause = s->evec = s->badaddr = s->be = 0;
    jit_tlb_flush(&s->jc);
}

static loom_cpu_exit toy_exec(loom_cpu *cpu, void *state, uint64_t max, uint64_t *done)
{
    return jit_exec(&((toy_cpu *)state)->s->jc, max, done);
}

static void toy_set_irq(loom_cpu *cpu, void *state, unsigned line, bool level)
{
    toy_state *s = ((toy_cpu *)state)->s;
    s->irq_line = level;
    if (level) {
        s->jc.interrupt_pending = true;
        jit_cpu_kick(&s->jc);
    }
}

static int toy_reg_read(loom_cpu *cpu, void *state, unsigned n, uint8_t *buf)
{
    toy_state *s = ((toy_cpu *)state)->s;
    if (n > 8) return -1;
    loom_put_le(buf, 4, n == 8 ? s->pc : s->r[n]);
    return 4;
}

static int toy_reg_write(loom_cpu *cpu, void *state, unsigned n, const uint8_t *buf)
{
    toy_state *s = ((toy_cpu *)state)->s;
    if (n > 8) return -1;
    uint32_t v = (uint32_t)loom_get_le(buf, 4);
    if (n == 8) s->pc = v; else s->r[n] = v;
    return 4;
}

static uint64_t toy_get_pc(loom_cpu *cpu, void *state) { return ((toy_cpu *)state)->s->pc; }
static void toy_set_pc(loom_cpu *cpu, void *state, uint64_t pc) { ((toy_cpu *)state)->s->pc = (uint32_t)pc; }

static void toy_save(loom_cpu *cpu, void *state, loom_buf *b)
{
    toy_state *s = ((toy_cpu *)state)->s;
    for (int i = 0; i < 8; i++) loom_buf_put_u32(b, s->r[i]);
    loom_buf_put_u32(b, s->pc);
    loom_buf_put_u32(b, s->epc);
    loom_buf_put_u32(b, s->cause);
    loom_buf_put_u32(b, s->evec);
    loom_buf_put_u32(b, s->badaddr);
    loom_buf_put_u32(b, s->be);
    loom_buf_put_u32(b, s->irq_line);
}

static loom_err toy_restore_state(loom_cpu *cpu, void *state, loom_buf *b)
{
    toy_state *s = ((toy_cpu *)state)->s;
    for (int i = 0; i < 8; i++) s->r[i] = loom_buf_get_u32(b);
    s->pc = loom_buf_get_u32(b);
    s->epc = loom_buf_get_u32(b);
    s->cause = loom_buf_get_u32(b);
    s->evec = loom_buf_get_u32(b);
    s->badaddr = loom_buf_get_u32(b);
    s->be = loom_buf_get_u32(b);
    s->irq_line = loom_buf_get_u32(b);
    jit_tlb_flush(&s->jc);
    return b->bad ? LOOM_E_FORMAT : LOOM_OK;
}

static void toy_fini(loom_cpu *cpu, void *state)
{
    toy_cpu *tc = state;
    if (!tc->s) return;
    jit_cpu_fini(&tc->s->jc);
    free(tc->s);
}

toy_state *toy_state_of(loom_cpu *cpu)
{
    return ((toy_cpu *)loom_cpu_state(cpu))->s;
}

static const char *const toy_models[] = {"toy1", NULL};
static const char *const toy_irqs[] = {"irq"};

const loom_arch toy_arch = {
    .name = "toy",
    .models = toy_models,
    .state_size = sizeof(toy_cpu),
    .irq_lines = 1,
    .irq_names = toy_irqs,
    .init = toy_init,
    .reset = toy_reset,
    .exec = toy_exec,
    .set_irq = toy_set_irq,
    .reg_read = toy_reg_read,
    .reg_write = toy_reg_write,
    .set_pc = toy_set_pc,
    .get_pc = toy_get_pc,
    .save = toy_save,
    .restore = toy_restore_state,
    .fini = toy_fini,
};
