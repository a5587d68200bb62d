/* The A32 (ARM state) integer translator: a decoder table of bit patterns
 * (ARM ARM DDI 0406C, chapter A5) and one translate function per family.
 *
 * Rules every function follows:
 * - reading r15 gives the instruction's address + 8;
 * - every memory access comes before any guest register or flag is set, so
 *   a fault leaves the state at the instruction's start;
 * - a function that ends the block emits its own terminator and sets
 *   t->end; the caller adds the path for a failed condition. */
#include "cp15.h"
#include "translate.h"

#define OFF(field) ARM_OFF(field)

/* The fields most encodings share, decoded once. */
typedef struct a32_insn {
    uint32_t w;   /* the instruction word */
    uint32_t pc;  /* its address */
    unsigned cond;
    unsigned rn;  /* 19:16 */
    unsigned rd;  /* 15:12 */
    unsigned rs;  /* 11:8 */
    unsigned rm;  /* 3:0 */
    bool p, u, b, wb, l, s; /* 24, 23, 22, 21, 20, and S = 20 */
} a32_insn;

typedef void (*a32_fn)(jit_tcx *t, const a32_insn *d);

static inline uint32_t bits(uint32_t w, unsigned hi, unsigned lo) { return (w >> lo) & ((2u << (hi - lo)) - 1); }

/* ---- Shared pieces ------------------------------------------------------------- */

static ir_val k32(ir_block *b, uint32_t v) { return ir_const32(b, v); }

static ir_val reg(jit_tcx *t, const a32_insn *d, unsigned n)
{
    if (n == 15) return k32(t->b, d->pc + 8);
    return ir_get(t->b, IR_I32, ARM_REG(n));
}

static void set_reg(ir_block *b, unsigned n, ir_val v) { ir_set(b, ARM_REG(n), v); }
static ir_val flag(ir_block *b, uint32_t off) { return ir_get(b, IR_I32, off); }

void arm_set_nz(ir_block *b, ir_val r)
{
    ir_set(b, OFF(nf), r);
    ir_set(b, OFF(zf), r);
}

void arm_set_nzcv_word(ir_block *b, ir_val v)
{
    ir_set(b, OFF(nf), ir_and(b, v, k32(b, 1u << 31)));
    ir_set(b, OFF(zf), ir_and(b, ir_not(b, v), k32(b, 1u << 30)));
    ir_set(b, OFF(cf), ir_extract(b, v, 29, 1));
    ir_set(b, OFF(vf), ir_extract(b, v, 28, 1));
}

ir_val arm_cond_value(ir_block *b, unsigned cond)
{
    ir_val one = k32(b, 1), zero = k32(b, 0), r;
    bool inv = cond & 1;
    switch (cond >> 1) {
    case 0: /* EQ, NE */
        return ir_setcc(b, inv ? IR_NE : IR_EQ, flag(b, OFF(zf)), zero);
    case 1: r = flag(b, OFF(cf)); break; /* CS */
    case 2: /* MI, PL */
        return ir_setcc(b, inv ? IR_GES : IR_LTS, flag(b, OFF(nf)), zero);
    case 3: r = flag(b, OFF(vf)); break; /* VS */
    case 4: /* HI: C set and Z clear */
        r = ir_and(b, flag(b, OFF(cf)), ir_setcc(b, IR_NE, flag(b, OFF(zf)), zero));
        break;
    case 5: /* GE, LT: N == V */
        return ir_setcc(b, inv ? IR_NE : IR_EQ, ir_shr(b, flag(b, OFF(nf)), k32(b, 31)), flag(b, OFF(vf)));
    case 6: /* GT: Z clear and N == V */
        r = ir_and(b, ir_setcc(b, IR_NE, flag(b, OFF(zf)), zero),
                   ir_setcc(b, IR_EQ, ir_shr(b, flag(b, OFF(nf)), k32(b, 31)), flag(b, OFF(vf))));
        break;
    default: return one; /* AL */
    }
    /* The other odd conditions are the even ones inverted. */
    return inv ? ir_xor(b, r, one) : r;
}

void arm_bx_write(jit_tcx *t, ir_val addr)
{
    ir_block *b = t->b;
    /* ARM ARM A2.3.2 BXWritePC: bit 0 selects Thumb and is cleared; an ARM
     * target with bit 1 set is UNPREDICTABLE, here aligned down. */
    ir_val thumb = ir_and(b, addr, k32(b, 1));
    ir_val mask = ir_select(b, thumb, k32(b, ~1u), k32(b, ~3u));
    ir_val pc = ir_and(b, addr, mask);
    ir_set(b, OFF(thumb), thumb);
    ir_set(b, OFF(itstate), k32(b, ARM_KEY_ITSTATE(t->flags)));
    ir_set(b, OFF(key_flags), ir_or(b, k32(b, (uint32_t)t->flags & ~ARM_KEY_THUMB), thumb));
    ir_jump(b, pc);
    t->end = true;
}

void arm_gen_exception(jit_tcx *t, uint32_t pc, enum arm_exception exc, uint32_t resume_pc)
{
    ir_block *b = t->b;
    ir_set(b, OFF(exception), k32(b, exc));
    /* The exit stores resume_pc into r15. */
    ir_exit(b, IR_EXIT_SYSCALL, resume_pc);
    t->end = true;
}

void arm_gen_undef(jit_tcx *t, uint32_t pc) { arm_gen_exception(t, pc, ARM_EXC_UNDEF, pc); }

static void a32_undef(jit_tcx *t, const a32_insn *d) { arm_gen_undef(t, d->pc); }

/* A computed write to r15 from an ALU or load result (ALUWritePC and
 * LoadWritePC are BXWritePC in ARM state from ARMv7). */
static void write_rd(jit_tcx *t, unsigned rd, ir_val v)
{
    if (rd == 15) arm_bx_write(t, v);
    else set_reg(t->b, rd, v);
}

/* ---- The shifter (ARM ARM A8.4.3) ---------------------------------------------- */

/* Rm shifted by an immediate, with the carry out (the old C where the
 * shift leaves it alone). */
ir_val arm_shift_imm(jit_tcx *t, ir_val m, unsigned type, unsigned amt, ir_val *carry)
{
    ir_block *b = t->b;
    switch (type) {
    case 0: /* LSL */
        if (amt == 0) {
            *carry = flag(b, OFF(cf));
            return m;
        }
        *carry = ir_extract(b, m, 32 - amt, 1);
        return ir_shl(b, m, k32(b, amt));
    case 1: /* LSR; #0 encodes #32 */
        if (amt == 0) {
            *carry = ir_shr(b, m, k32(b, 31));
            return k32(b, 0);
        }
        *carry = ir_extract(b, m, amt - 1, 1);
        return ir_shr(b, m, k32(b, amt));
    case 2: /* ASR; #0 encodes #32 */
        if (amt == 0) amt = 32;
        *carry = ir_extract(b, m, amt - 1, 1);
        return ir_sar(b, m, k32(b, amt == 32 ? 31 : amt));
    default:
        if (amt == 0) { /* RRX */
            *carry = ir_and(b, m, k32(b, 1));
            return ir_or(b, ir_shr(b, m, k32(b, 1)), ir_shl(b, flag(b, OFF(cf)), k32(b, 31)));
        }
        *carry = ir_extract(b, m, amt - 1, 1);
        return ir_ror(b, m, k32(b, amt));
    }
}

/* Rm shifted by the bottom byte of Rs: amounts of 32 and more per the
 * ARM ARM (LSL/LSR give 0, ASR the sign, ROR rotates by amount mod 32),
 * an amount of 0 keeps C. Done in 64 bits with the amount clamped, since
 * IR shifts count modulo the width. */
ir_val arm_shift_reg(jit_tcx *t, ir_val m, unsigned type, ir_val rs, ir_val *carry)
{
    ir_block *b = t->b;
    ir_val amt = ir_and(b, rs, k32(b, 0xff));
    ir_val zero = ir_setcc(b, IR_EQ, amt, k32(b, 0));
    ir_val c_old = flag(b, OFF(cf));
    ir_val r, c;
    if (type == 3) { /* ROR */
        r = ir_ror(b, m, amt);
        c = ir_shr(b, r, k32(b, 31));
    } else {
        unsigned clamp = type == 2 ? 32 : 33;
        ir_val a = ir_select(b, ir_setcc(b, IR_LTU, amt, k32(b, clamp)), amt, k32(b, clamp));
        ir_val a64 = ir_zext(b, IR_I64, a, 32);
        if (type == 0) { /* LSL: result the low word, carry bit 32 */
            ir_val v = ir_shl(b, ir_zext(b, IR_I64, m, 32), a64);
            r = ir_trunc(b, v);
            c = ir_trunc(b, ir_extract(b, v, 32, 1));
        } else { /* LSR/ASR: Rm:0 shifted; result the high word, carry bit 31 */
            ir_val hi = ir_shl(b, type == 1 ? ir_zext(b, IR_I64, m, 32) : ir_sext(b, IR_I64, m, 32), ir_const64(b, 32));
            ir_val v = type == 1 ? ir_shr(b, hi, a64) : ir_sar(b, hi, a64);
            r = ir_trunc(b, ir_shr(b, v, ir_const64(b, 32)));
            c = ir_trunc(b, ir_extract(b, v, 31, 1));
        }
    }
    *carry = ir_select(b, zero, c_old, c);
    return ir_select(b, zero, m, r);
}

/* ---- Data processing (A5.2.1-A5.2.3) ------------------------------------------- */

enum { DP_AND, DP_EOR, DP_SUB, DP_RSB, DP_ADD, DP_ADC, DP_SBC, DP_RSC,
       DP_TST, DP_TEQ, DP_CMP, DP_CMN, DP_ORR, DP_MOV, DP_BIC, DP_MVN };

static void data_processing(jit_tcx *t, const a32_insn *d, ir_val n, ir_val m, ir_val shc)
{
    ir_block *b = t->b;
    unsigned op = bits(d->w, 24, 21);
    bool test = op >= DP_TST && op <= DP_CMN;
    if (d->rd == 15 && d->s && !test && !arm_priv(t)) {
        /* SUBS pc, lr and friends return from an exception: SPSR does not
         * exist in User mode. */
        arm_gen_undef(t, d->pc);
        return;
    }
    ir_val r, c = IR_NONE, v = IR_NONE;
    bool arith = true;
    switch (op) {
    case DP_AND: case DP_TST: r = ir_and(b, n, m); arith = false; break;
    case DP_EOR: case DP_TEQ: r = ir_xor(b, n, m); arith = false; break;
    case DP_ORR: r = ir_or(b, n, m); arith = false; break;
    case DP_MOV: r = m; arith = false; break;
    case DP_BIC: r = ir_and(b, n, ir_not(b, m)); arith = false; break;
    case DP_MVN: r = ir_not(b, m); arith = false; break;
    case DP_SUB: case DP_CMP: /* n + ~m + 1: C is NOT borrow, n >= m */
        r = ir_sub(b, n, m);
        c = ir_setcc(b, IR_GEU, n, m);
        v = ir_ovfsub(b, n, m);
        break;
    case DP_RSB:
        r = ir_sub(b, m, n);
        c = ir_setcc(b, IR_GEU, m, n);
        v = ir_ovfsub(b, m, n);
        break;
    case DP_ADD: case DP_CMN:
        r = ir_add(b, n, m);
        c = ir_carry(b, n, m, IR_NONE);
        v = ir_ovf(b, n, m, IR_NONE);
        break;
    case DP_ADC: {
        ir_val cin = flag(b, OFF(cf));
        r = ir_adc(b, n, m, cin);
        c = ir_carry(b, n, m, cin);
        v = ir_ovf(b, n, m, cin);
        break;
    }
    case DP_SBC: {
        ir_val cin = flag(b, OFF(cf)), nm = ir_not(b, m);
        r = ir_adc(b, n, nm, cin);
        c = ir_carry(b, n, nm, cin);
        v = ir_ovf(b, n, nm, cin);
        break;
    }
    default: { /* RSC */
        ir_val cin = flag(b, OFF(cf)), nn = ir_not(b, n);
        r = ir_adc(b, m, nn, cin);
        c = ir_carry(b, m, nn, cin);
        v = ir_ovf(b, m, nn, cin);
        break;
    }
    }
    if (d->s && d->rd == 15 && !test) {
        arm_gen_eret(t, r, d->pc); /* CPSR from SPSR, pc from the result */
        return;
    }
    if (d->s) {
        arm_set_nz(b, r);
        if (arith) {
            ir_set(b, OFF(cf), c);
            ir_set(b, OFF(vf), v);
        } else {
            ir_set(b, OFF(cf), shc);
        }
    }
    if (!test) write_rd(t, d->rd, r);
}

/* Data processing, immediate: imm8 rotated right by twice rot; the carry
 * out is bit 31 of the constant when rot != 0, else C. */
static void a32_dp_imm(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned rot = bits(d->w, 11, 8) * 2;
    uint32_t imm8 = bits(d->w, 7, 0);
    uint32_t imm = rot ? (imm8 >> rot | imm8 << (32 - rot)) : imm8;
    ir_val c = rot ? k32(b, imm >> 31) : flag(b, OFF(cf));
    data_processing(t, d, reg(t, d, d->rn), k32(b, imm), c);
}

static void a32_dp_reg(jit_tcx *t, const a32_insn *d)
{
    ir_val c;
    ir_val m = arm_shift_imm(t, reg(t, d, d->rm), bits(d->w, 6, 5), bits(d->w, 11, 7), &c);
    data_processing(t, d, reg(t, d, d->rn), m, c);
}

static void a32_dp_rsr(jit_tcx *t, const a32_insn *d)
{
    if (d->rd == 15 || d->rn == 15 || d->rm == 15 || d->rs == 15) {
        arm_gen_undef(t, d->pc); /* UNPREDICTABLE */
        return;
    }
    ir_val c;
    ir_val m = arm_shift_reg(t, reg(t, d, d->rm), bits(d->w, 6, 5), reg(t, d, d->rs), &c);
    data_processing(t, d, reg(t, d, d->rn), m, c);
}

static uint32_t imm16(uint32_t w) { return bits(w, 19, 16) << 12 | bits(w, 11, 0); }

static void a32_movw(jit_tcx *t, const a32_insn *d)
{
    if (d->rd == 15) { arm_gen_undef(t, d->pc); return; }
    set_reg(t->b, d->rd, k32(t->b, imm16(d->w)));
}

static void a32_movt(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (d->rd == 15) { arm_gen_undef(t, d->pc); return; }
    set_reg(b, d->rd, ir_deposit(b, reg(t, d, d->rd), k32(b, imm16(d->w)), 16, 16));
}

/* ---- Multiplies (A5.2.5) and divides ----------------------------------------------- */

/* MUL/MLA/MLS: Rd = 19:16, Ra = 15:12, Rm = 11:8, Rn = 3:0. S sets N and Z
 * (C and V unchanged from ARMv6). */
static void a32_mul(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned op = bits(d->w, 23, 21);
    unsigned rdst = d->rn, ra = d->rd;
    if (rdst == 15 || d->rm == 15 || d->rs == 15 || (op != 0 && ra == 15)) { arm_gen_undef(t, d->pc); return; }
    ir_val r = ir_mul(b, reg(t, d, d->rm), reg(t, d, d->rs));
    if (op == 1) r = ir_add(b, reg(t, d, ra), r);        /* MLA */
    else if (op == 3) r = ir_sub(b, reg(t, d, ra), r);   /* MLS */
    if (d->s && op != 3) arm_set_nz(b, r);
    set_reg(b, rdst, r);
}

/* UMULL/UMLAL/SMULL/SMLAL: RdHi = 19:16, RdLo = 15:12. */
static void a32_mull(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    bool sign = d->b, acc = d->wb;
    unsigned hi = d->rn, lo = d->rd;
    if (hi == 15 || lo == 15 || d->rm == 15 || d->rs == 15 || hi == lo) { arm_gen_undef(t, d->pc); return; }
    ir_val x = sign ? ir_sext(b, IR_I64, reg(t, d, d->rm), 32) : ir_zext(b, IR_I64, reg(t, d, d->rm), 32);
    ir_val y = sign ? ir_sext(b, IR_I64, reg(t, d, d->rs), 32) : ir_zext(b, IR_I64, reg(t, d, d->rs), 32);
    ir_val p = ir_mul(b, x, y);
    if (acc) {
        ir_val a = ir_or(b, ir_shl(b, ir_zext(b, IR_I64, reg(t, d, hi), 32), ir_const64(b, 32)),
                         ir_zext(b, IR_I64, reg(t, d, lo), 32));
        p = ir_add(b, p, a);
    }
    ir_val rlo = ir_trunc(b, p), rhi = ir_trunc(b, ir_shr(b, p, ir_const64(b, 32)));
    if (d->s) {
        ir_set(b, OFF(nf), rhi);
        ir_set(b, OFF(zf), ir_or(b, rlo, rhi));
    }
    set_reg(b, lo, rlo);
    set_reg(b, hi, rhi);
}

/* UMAAL: RdHi:RdLo = Rn * Rm + RdHi + RdLo (unsigned; cannot overflow). */
static void a32_umaal(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned hi = d->rn, lo = d->rd;
    if (hi == 15 || lo == 15 || d->rm == 15 || d->rs == 15 || hi == lo) { arm_gen_undef(t, d->pc); return; }
    ir_val p = ir_mul(b, ir_zext(b, IR_I64, reg(t, d, d->rm), 32), ir_zext(b, IR_I64, reg(t, d, d->rs), 32));
    p = ir_add(b, p, ir_zext(b, IR_I64, reg(t, d, hi), 32));
    p = ir_add(b, p, ir_zext(b, IR_I64, reg(t, d, lo), 32));
    set_reg(b, lo, ir_trunc(b, p));
    set_reg(b, hi, ir_trunc(b, ir_shr(b, p, ir_const64(b, 32))));
}

/* SDIV/UDIV: Rd = 19:16, Rm = 11:8, Rn = 3:0. Division by zero gives 0
 * (no trap on the A profile); INT_MIN / -1 is INT_MIN. IR divides agree. */
static void a32_div(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    arm_state *s = (arm_state *)t->cpu;
    if (!(s->model_features & ARM_FEAT_IDIV) || d->rn == 15 || d->rm == 15 || d->rs == 15)
        { arm_gen_undef(t, d->pc); return; }
    ir_val n = reg(t, d, d->rm), m = reg(t, d, d->rs);
    set_reg(b, d->rn, bits(d->w, 21, 21) ? ir_divu(b, n, m) : ir_divs(b, n, m));
}

/* ---- Miscellaneous (A5.2.12) --------------------------------------------------------- */

static void a32_clz(jit_tcx *t, const a32_insn *d)
{
    if (d->rd == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    set_reg(t->b, d->rd, ir_clz(t->b, reg(t, d, d->rm)));
}

/* QADD/QSUB/QDADD/QDSUB: signed saturating, Q sticky on saturation. */
static ir_val sat_add(ir_block *b, ir_val x, ir_val y, bool sub, ir_val *sat)
{
    ir_val yy = sub ? ir_not(b, y) : y, cin = sub ? k32(b, 1) : IR_NONE;
    ir_val r = sub ? ir_sub(b, x, y) : ir_add(b, x, y);
    ir_val o = ir_ovf(b, x, yy, cin);
    /* On overflow the result takes the sign of x: 0x7fffffff or 0x80000000. */
    ir_val lim = ir_xor(b, ir_sar(b, x, k32(b, 31)), k32(b, 0x7fffffff));
    *sat = o;
    return ir_select(b, o, lim, r);
}

static void a32_qaddsub(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned op = bits(d->w, 22, 21);
    if (d->rd == 15 || d->rn == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val m = reg(t, d, d->rm), n = reg(t, d, d->rn), s1 = k32(b, 0), s2;
    if (op & 2) n = sat_add(b, n, n, false, &s1); /* doubling */
    ir_val r = sat_add(b, m, n, op & 1, &s2);
    ir_set(b, OFF(qf), ir_or(b, flag(b, OFF(qf)), ir_or(b, s1, s2)));
    set_reg(b, d->rd, r);
}

/* MRS Rd, APSR (Linux user mode: the CPSR as User mode sees it there); in
 * system mode the CPSR with its mode and masks, or (R = 1, privileged) the
 * SPSR. */
static void a32_mrs(jit_tcx *t, const a32_insn *d)
{
    if (d->rd == 15 || (d->b && !arm_priv(t))) { arm_gen_undef(t, d->pc); return; }
    if (d->b) set_reg(t->b, d->rd, flag(t->b, OFF(spsr)));
    else set_reg(t->b, d->rd, arm_gen_cpsr_read(t));
}

/* MSR APSR_<fields>: mask bit 3 writes NZCVQ, bit 2 GE; the control and
 * extension fields are ignored in User mode. */
static void msr(jit_tcx *t, const a32_insn *d, ir_val v)
{
    ir_block *b = t->b;
    unsigned mask = bits(d->w, 19, 16);
    if (d->b) { /* SPSR */
        if (!arm_priv(t)) { arm_gen_undef(t, d->pc); return; }
        arm_gen_msr_spsr(t, v, mask);
        return;
    }
    if (arm_priv(t) && (mask & 3)) { /* the control or extension field: modes, masks */
        arm_gen_msr_cpsr(t, v, mask, d->pc + 4);
        return;
    }
    if (mask & 8) {
        arm_set_nzcv_word(b, v);
        ir_set(b, OFF(qf), ir_extract(b, v, 27, 1));
    }
    if (mask & 4) ir_set(b, OFF(ge), ir_extract(b, v, 16, 4));
}

static void a32_msr_reg(jit_tcx *t, const a32_insn *d)
{
    if (d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    msr(t, d, reg(t, d, d->rm));
}

static void a32_msr_imm(jit_tcx *t, const a32_insn *d)
{
    unsigned rot = bits(d->w, 11, 8) * 2;
    uint32_t imm8 = bits(d->w, 7, 0);
    msr(t, d, k32(t->b, rot ? (imm8 >> rot | imm8 << (32 - rot)) : imm8));
}

/* ---- Branches -------------------------------------------------------------------------- */

static uint32_t branch_target(const a32_insn *d)
{
    int32_t off = (int32_t)(d->w << 8) >> 6;
    return d->pc + 8 + (uint32_t)off;
}

static void a32_b(jit_tcx *t, const a32_insn *d)
{
    ir_goto(t->b, branch_target(d));
    t->end = true;
}

static void a32_bl(jit_tcx *t, const a32_insn *d)
{
    set_reg(t->b, 14, k32(t->b, d->pc + 4));
    ir_goto(t->b, branch_target(d));
    t->end = true;
}

/* BLX <label>: always to Thumb, H supplies bit 1 of the target. */
static void a32_blx_imm(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    uint32_t target = branch_target(d) | bits(d->w, 24, 24) << 1;
    set_reg(b, 14, k32(b, d->pc + 4));
    ir_set(b, OFF(thumb), k32(b, 1));
    ir_set(b, OFF(key_flags), k32(b, (uint32_t)t->flags | ARM_KEY_THUMB));
    ir_goto(b, target);
    t->end = true;
}

static void a32_bx(jit_tcx *t, const a32_insn *d) { arm_bx_write(t, reg(t, d, d->rm)); }

static void a32_blx_reg(jit_tcx *t, const a32_insn *d)
{
    if (d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val target = reg(t, d, d->rm); /* read before LR changes: BLX lr works */
    set_reg(t->b, 14, k32(t->b, d->pc + 4));
    arm_bx_write(t, target);
}

/* ---- Loads and stores (A5.3, A5.2.8) ------------------------------------------------------ */

/* The addressing modes: offset added (U) or subtracted; P = 1 uses the
 * offset address, P = 0 the base then writes the offset address back;
 * W = 1 with P = 1 writes back too. */
typedef struct a32_addr {
    ir_val addr;     /* where the access goes */
    ir_val wb_val;   /* the new base, or IR_NONE */
} a32_addr;

static a32_addr address(jit_tcx *t, const a32_insn *d, ir_val off)
{
    ir_block *b = t->b;
    ir_val base = reg(t, d, d->rn);
    ir_val oa = d->u ? ir_add(b, base, off) : ir_sub(b, base, off);
    a32_addr a = {d->p ? oa : base, IR_NONE};
    if ((!d->p || d->wb) && d->rn != 15) a.wb_val = oa;
    return a;
}

static void finish_load(jit_tcx *t, const a32_insn *d, const a32_addr *a, unsigned rt, ir_val v)
{
    /* Write-back first: if Rt is also the base (UNPREDICTABLE), the loaded
     * value wins, as on Cortex-A cores. */
    if (a->wb_val) set_reg(t->b, d->rn, a->wb_val);
    write_rd(t, rt, v);
}

/* LDR/STR/LDRB/STRB (and the T forms, which are the same in User mode). */
static void ldst_word_byte(jit_tcx *t, const a32_insn *d, ir_val off)
{
    ir_block *b = t->b;
    a32_addr a = address(t, d, off);
    unsigned size = d->b ? 1 : 4;
    unsigned mmu = !d->p && d->wb ? ARM_MMU_PL0 : arm_mmu(b); /* LDRT, STRT: as User mode */
    if (d->l) {
        if (d->b && d->rd == 15) { arm_gen_undef(t, d->pc); return; }
        ir_val v = ir_load(b, IR_I32, a.addr, size, false, false, mmu);
        finish_load(t, d, &a, d->rd, v);
    } else {
        ir_store(b, a.addr, reg(t, d, d->rd), size, false, mmu);
        if (a.wb_val) set_reg(b, d->rn, a.wb_val);
    }
}

static void a32_ldst_imm(jit_tcx *t, const a32_insn *d) { ldst_word_byte(t, d, k32(t->b, bits(d->w, 11, 0))); }

static void a32_ldst_reg(jit_tcx *t, const a32_insn *d)
{
    if (d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val c;
    ir_val off = arm_shift_imm(t, reg(t, d, d->rm), bits(d->w, 6, 5), bits(d->w, 11, 7), &c);
    ldst_word_byte(t, d, off);
}

/* LDRH/STRH/LDRSB/LDRSH/LDRD/STRD: bit 22 selects imm4H:imm4L or Rm. */
static ir_val extra_offset(jit_tcx *t, const a32_insn *d)
{
    if (d->b) return k32(t->b, bits(d->w, 11, 8) << 4 | bits(d->w, 3, 0));
    return reg(t, d, d->rm);
}

static void a32_ldst_half(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (d->rd == 15 || (!d->b && d->rm == 15)) { arm_gen_undef(t, d->pc); return; }
    a32_addr a = address(t, d, extra_offset(t, d));
    if (d->l) {
        ir_val v = ir_load(b, IR_I32, a.addr, 2, false, false, arm_mmu(b));
        finish_load(t, d, &a, d->rd, v);
    } else {
        ir_store(b, a.addr, reg(t, d, d->rd), 2, false, arm_mmu(b));
        if (a.wb_val) set_reg(b, d->rn, a.wb_val);
    }
}

/* LDRSB (op2 10) and LDRSH (op2 11) with L = 1. */
static void a32_ld_signed(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (d->rd == 15 || (!d->b && d->rm == 15)) { arm_gen_undef(t, d->pc); return; }
    unsigned size = bits(d->w, 5, 5) ? 2 : 1;
    a32_addr a = address(t, d, extra_offset(t, d));
    ir_val v = ir_load(b, IR_I32, a.addr, size, true, false, arm_mmu(b));
    finish_load(t, d, &a, d->rd, v);
}

/* LDRD (op2 10) and STRD (op2 11) with L = 0: Rt even, Rt2 = Rt + 1. */
static void a32_ldst_dual(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    bool load = !bits(d->w, 5, 5);
    unsigned rt = d->rd;
    if ((rt & 1) || rt == 14 || (!d->b && d->rm == 15)) { arm_gen_undef(t, d->pc); return; }
    a32_addr a = address(t, d, extra_offset(t, d));
    ir_val a2 = ir_add(b, a.addr, k32(b, 4));
    if (load) {
        /* The second word is aligned when the first is. */
        ir_val v1 = arm_load_a(b, IR_I32, a.addr, 4);
        ir_val v2 = ir_load(b, IR_I32, a2, 4, false, false, arm_mmu(b));
        if (a.wb_val) set_reg(b, d->rn, a.wb_val);
        set_reg(b, rt, v1);
        set_reg(b, rt + 1, v2);
    } else {
        arm_store_a(b, a.addr, reg(t, d, rt), 4);
        ir_store(b, a2, reg(t, d, rt + 1), 4, false, arm_mmu(b));
        if (a.wb_val) set_reg(b, d->rn, a.wb_val);
    }
}

/* LDM/STM (A5.5): IA, IB, DA, DB; lowest register at the lowest address.
 * S = 1 (B9.3.5-7), privileged only: with the pc loaded an exception
 * return, else the User mode registers. */
static void a32_ldm_stm(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    uint32_t list = bits(d->w, 15, 0);
    unsigned n = (unsigned)__builtin_popcount(list);
    if ((d->b && !arm_priv(t)) || !list || d->rn == 15) { arm_gen_undef(t, d->pc); return; }
    bool eret = d->b && d->l && (list & 0x8000), user = d->b && !eret;
    ir_val base = reg(t, d, d->rn);
    uint32_t start_off = d->u ? (d->p ? 4u : 0u) : (d->p ? -4u * n : -4u * n + 4u);
    ir_val addr = ir_add(b, base, k32(b, start_off));
    ir_val wb = d->wb ? ir_add(b, base, k32(b, d->u ? 4u * n : -4u * n)) : IR_NONE;
    ir_val vals[16] = {0};
    unsigned k = 0;
    for (unsigned r = 0; r < 16; r++) {
        if (!(list & (1u << r))) continue;
        /* Only the first access checks alignment: the others are at
         * multiples of 4 from it. */
        ir_val a = k ? ir_add(b, addr, k32(b, 4 * k)) : addr;
        if (d->l) {
            vals[r] = k ? ir_load(b, IR_I32, a, 4, false, false, arm_mmu(b)) : arm_load_a(b, IR_I32, a, 4);
        } else {
            ir_val v = user && r >= 8 && r < 15 ? arm_sys_call(t, ARM_SYS_GET_USR, k32(b, r), IR_NONE, d->pc, 0)
                                                : reg(t, d, r);
            if (k) {
                /* The base stores its original value. The first and the
                 * last store check the (at most two) pages for translated
                 * code. */
                ir_val s = ir_store(b, a, v, 4, false, arm_mmu(b));
                if (k + 1 < n && s) b->insns[s].flags |= IR_MEM_COVERED;
            } else {
                arm_store_a(b, a, v, 4);
            }
        }
        k++;
    }
    /* Every access is done: now the registers (a loaded base wins over
     * write-back). */
    if (wb) set_reg(b, d->rn, wb);
    if (!d->l) return;
    for (unsigned r = 0; r < 15; r++) {
        if (!(list & (1u << r))) continue;
        if (user && r >= 8) arm_sys_call(t, ARM_SYS_SET_USR, k32(b, r), vals[r], d->pc, 0);
        else set_reg(b, r, vals[r]);
    }
    if (eret) arm_gen_eret(t, vals[15], d->pc);
    else if (list & 0x8000) arm_bx_write(t, vals[15]); /* a return, interworking */
}

/* SWP/SWPB: Rt = [Rn], [Rn] = Rt2, atomically. */
static void a32_swp(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (d->rd == 15 || d->rn == 15 || d->rm == 15 || d->rn == d->rd || d->rn == d->rm)
        { arm_gen_undef(t, d->pc); return; }
    ir_val old = ir_rmw(b, IR_RMW_XCHG, reg(t, d, d->rn), reg(t, d, d->rm), d->b ? 1 : 4, false, arm_mmu(b));
    ir_mem_align(b, old); /* MemA */
    set_reg(b, d->rd, old);
}

/* ---- Exclusives (A3.4): a value-based monitor -------------------------------------------------- */

/* bits 22:21: 00 word, 01 doubleword, 10 byte, 11 halfword. */
static unsigned excl_size(uint32_t w)
{
    static const unsigned sizes[4] = {4, 8, 1, 2};
    return sizes[bits(w, 22, 21)];
}

void arm_gen_ldrex(jit_tcx *t, ir_val addr, unsigned size, unsigned rt, unsigned rt2)
{
    ir_block *b = t->b;
    if (size == 8) {
        ir_val v = arm_load_a(b, IR_I64, addr, 8);
        ir_set(b, OFF(excl_addr), addr);
        ir_set(b, OFF(excl_val), v);
        ir_set(b, OFF(excl_valid), k32(b, 1));
        set_reg(b, rt, ir_trunc(b, v));
        set_reg(b, rt2, ir_trunc(b, ir_shr(b, v, ir_const64(b, 32))));
        return;
    }
    ir_val v = arm_load_a(b, IR_I32, addr, size);
    ir_set(b, OFF(excl_addr), addr);
    ir_set(b, OFF(excl_val), ir_zext(b, IR_I64, v, 32));
    ir_set(b, OFF(excl_valid), k32(b, 1));
    set_reg(b, rt, v);
}

/* LDREX{,D,B,H} Rt, [Rn]: load, and remember address and value. */
static void a32_ldrex(jit_tcx *t, const a32_insn *d)
{
    unsigned size = excl_size(d->w), rt = d->rd;
    if (rt == 15 || d->rn == 15 || (size == 8 && ((rt & 1) || rt == 14))) { arm_gen_undef(t, d->pc); return; }
    arm_gen_ldrex(t, reg(t, d, d->rn), size, rt, rt + 1);
}

void arm_gen_strex(jit_tcx *t, ir_val addr, unsigned size, unsigned rs, unsigned rt, unsigned rt2)
{
    ir_block *b = t->b;
    ir_val ok = ir_and(b, ir_setcc(b, IR_NE, flag(b, OFF(excl_valid)), k32(b, 0)),
                       ir_setcc(b, IR_EQ, flag(b, OFF(excl_addr)), addr));
    ir_val expect64 = ir_get(b, IR_I64, OFF(excl_val));
    ir_val newv;
    if (size == 8) newv = ir_or(b, ir_shl(b, ir_zext(b, IR_I64, ir_get(b, IR_I32, ARM_REG(rt2)), 32), ir_const64(b, 32)),
                                ir_zext(b, IR_I64, ir_get(b, IR_I32, ARM_REG(rt)), 32));
    else newv = ir_get(b, IR_I32, ARM_REG(rt));
    uint32_t fail = ir_new_label(b), done = ir_new_label(b);
    ir_brcond(b, ir_xor(b, ok, k32(b, 1)), fail);
    {
        ir_val expect = size == 8 ? expect64 : ir_trunc(b, expect64);
        ir_val old = ir_cmpxchg(b, addr, expect, newv, size, false, arm_mmu(b));
        ir_mem_align(b, old);
        ir_val status = ir_setcc(b, IR_NE, old, expect);
        ir_set(b, OFF(excl_valid), k32(b, 0));
        set_reg(b, rs, status);
        ir_br(b, done);
    }
    ir_label(b, fail);
    if (size > 1) {
        /* ExclusiveMonitorsPass checks the alignment before the monitor:
         * a misaligned STREX faults even when it would fail. The access
         * below runs only then, and faults before it reads. */
        uint32_t aligned = ir_new_label(b);
        ir_brcond(b, ir_setcc(b, IR_EQ, ir_and(b, addr, k32(b, size - 1)), k32(b, 0)), aligned);
        arm_load_a(b, size == 8 ? IR_I64 : IR_I32, addr, size);
        ir_label(b, aligned);
    }
    ir_set(b, OFF(excl_valid), k32(b, 0));
    set_reg(b, rs, k32(b, 1));
    ir_label(b, done);
}

/* STREX{,D,B,H} Rd, Rt, [Rn]: succeeds (Rd = 0) when the monitor holds this
 * address and memory still holds the value LDREX saw, by compare and
 * exchange; otherwise Rd = 1. Either way the monitor is cleared. */
static void a32_strex(jit_tcx *t, const a32_insn *d)
{
    unsigned size = excl_size(d->w), rs = d->rd, rt = d->rm;
    if (rs == 15 || rt == 15 || d->rn == 15 || rs == d->rn || rs == rt ||
        (size == 8 && ((rt & 1) || rt == 14 || rs == rt + 1)))
        { arm_gen_undef(t, d->pc); return; }
    arm_gen_strex(t, reg(t, d, d->rn), size, rs, rt, rt + 1);
}

static void a32_clrex(jit_tcx *t, const a32_insn *d) { ir_set(t->b, OFF(excl_valid), k32(t->b, 0)); }

/* ---- Media (A5.4) --------------------------------------------------------------------------- */

/* REV, REV16, RBIT, REVSH: bits 22 and 7 select. */
static void a32_rev(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (d->rd == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val m = reg(t, d, d->rm), r;
    unsigned op = bits(d->w, 22, 22) << 1 | bits(d->w, 7, 7);
    switch (op) {
    case 0: r = ir_bswap(b, m, 32); break; /* REV */
    case 1: /* REV16: bytes swapped within each halfword */
        r = ir_or(b, ir_and(b, ir_shl(b, m, k32(b, 8)), k32(b, 0xff00ff00u)),
                  ir_and(b, ir_shr(b, m, k32(b, 8)), k32(b, 0x00ff00ffu)));
        break;
    case 2: { /* RBIT: swap ever larger groups, bytes last */
        static const uint32_t masks[3] = {0x55555555u, 0x33333333u, 0x0f0f0f0fu};
        r = m;
        for (unsigned i = 0; i < 3; i++) {
            ir_val sh = k32(b, 1u << i), mk = k32(b, masks[i]);
            r = ir_or(b, ir_and(b, ir_shr(b, r, sh), mk), ir_shl(b, ir_and(b, r, mk), sh));
        }
        r = ir_bswap(b, r, 32);
        break;
    }
    default: /* REVSH: bytes of the low halfword swapped, sign-extended */
        r = ir_sext(b, IR_I32, ir_bswap(b, m, 16), 16);
        break;
    }
    set_reg(b, d->rd, r);
}

/* SXTB/SXTH/UXTB/UXTH and the add forms (Rn != 15): Rm rotated right by
 * 8 * rotate, extended, plus Rn. Bits 22:20: 010 SXTB, 011 SXTH, 110 UXTB,
 * 111 UXTH. */
static void a32_extend(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (d->rd == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    unsigned op = bits(d->w, 22, 20), rot = bits(d->w, 11, 10) * 8, from = (op & 1) ? 16 : 8;
    ir_val m = reg(t, d, d->rm);
    if (rot) m = ir_ror(b, m, k32(b, rot));
    ir_val r = (op & 4) ? ir_zext(b, IR_I32, m, from) : ir_sext(b, IR_I32, m, from);
    if (d->rn != 15) r = ir_add(b, reg(t, d, d->rn), r);
    set_reg(b, d->rd, r);
}

/* SEL: each byte from Rn where its GE bit is set, else from Rm. */
static void a32_sel(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (d->rd == 15 || d->rn == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val ge = flag(b, OFF(ge)), mask = k32(b, 0);
    for (unsigned i = 0; i < 4; i++) {
        /* 0 - GE[i] is all ones or zero; keep its byte i. */
        ir_val all = ir_neg(b, ir_extract(b, ge, i, 1));
        mask = ir_or(b, mask, ir_and(b, all, k32(b, 0xffu << (8 * i))));
    }
    ir_val r = ir_or(b, ir_and(b, reg(t, d, d->rn), mask), ir_and(b, reg(t, d, d->rm), ir_not(b, mask)));
    set_reg(b, d->rd, r);
}

/* UBFX/SBFX: lsb = 11:7, widthminus1 = 20:16. */
static void a32_bfx(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned lsb = bits(d->w, 11, 7), width = bits(d->w, 20, 16) + 1;
    if (d->rd == 15 || d->rm == 15 || lsb + width > 32) { arm_gen_undef(t, d->pc); return; }
    ir_val m = reg(t, d, d->rm);
    set_reg(b, d->rd, bits(d->w, 22, 22) ? ir_extract(b, m, lsb, width) : ir_sextract(b, m, lsb, width));
}

/* BFI (Rn != 15) and BFC (Rn == 15): lsb = 11:7, msb = 20:16. */
static void a32_bfi(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned lsb = bits(d->w, 11, 7), msb = bits(d->w, 20, 16);
    if (d->rd == 15 || msb < lsb) { arm_gen_undef(t, d->pc); return; }
    unsigned width = msb - lsb + 1;
    ir_val field = d->rm == 15 ? k32(b, 0) : reg(t, d, d->rm);
    set_reg(b, d->rd, ir_deposit(b, reg(t, d, d->rd), field, lsb, width));
}

/* ---- DSP and SIMD-within-a-register media instructions (A5.4, A5.2.7) ------------------------ */

static ir_val call4(ir_block *b, unsigned h, unsigned flags, ir_type ret, ir_val a0, ir_val a1, ir_val a2, ir_val a3)
{
    ir_val args[4] = {a0, a1, a2, a3};
    return ir_call(b, ret, h, flags, args, a3 ? 4 : 3);
}

/* The helpers that touch Q or GE: they read and write guest state. */
#define H_STATE (IR_HELPER_READS_STATE | IR_HELPER_WRITES_STATE)

/* SADD16 .. UHSUB8: U = bit 22, kind = bits 21:20, op2 = bits 7:5. */
static void a32_parallel(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned kind = bits(d->w, 21, 20), op2 = bits(d->w, 7, 5);
    if (!kind || op2 == 5 || op2 == 6 || d->rd == 15 || d->rn == 15 || d->rm == 15)
        { arm_gen_undef(t, d->pc); return; }
    uint32_t op = bits(d->w, 22, 22) << 5 | kind << 3 | op2;
    ir_val r = call4(b, ARM_H_PARALLEL, H_STATE, IR_I32, k32(b, op), reg(t, d, d->rn), reg(t, d, d->rm), IR_NONE);
    set_reg(b, d->rd, r);
}

/* SSAT/USAT: the operand shifted (LSL, or ASR with #0 meaning #32). */
static void a32_sat(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    bool unsig = bits(d->w, 22, 22);
    unsigned width = bits(d->w, 20, 16) + (unsig ? 0 : 1);
    if (d->rd == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val c;
    ir_val v = arm_shift_imm(t, reg(t, d, d->rm), bits(d->w, 6, 6) ? 2 : 0, bits(d->w, 11, 7), &c);
    set_reg(b, d->rd, call4(b, ARM_H_SAT, H_STATE, IR_I32, k32(b, unsig), v, k32(b, width), IR_NONE));
}

static void a32_sat16(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    bool unsig = bits(d->w, 22, 22);
    unsigned width = bits(d->w, 19, 16) + (unsig ? 0 : 1);
    if (d->rd == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    set_reg(b, d->rd, call4(b, ARM_H_SAT, H_STATE, IR_I32, k32(b, 2 | unsig), reg(t, d, d->rm), k32(b, width), IR_NONE));
}

/* PKHBT: Rn's bottom half, (Rm LSL imm)'s top; PKHTB: Rn's top half,
 * (Rm ASR imm)'s bottom (#0 meaning #32). */
static void a32_pkh(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    bool tb = bits(d->w, 6, 6);
    if (d->rd == 15 || d->rn == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val c;
    ir_val m = arm_shift_imm(t, reg(t, d, d->rm), tb ? 2 : 0, bits(d->w, 11, 7), &c);
    ir_val n = reg(t, d, d->rn);
    set_reg(b, d->rd, tb ? ir_deposit(b, n, m, 0, 16) : ir_deposit(b, m, n, 0, 16));
}

/* SXTB16/UXTB16 and the add forms: bytes 0 and 2 of the rotated Rm,
 * extended to halfwords, added lane by lane to Rn. */
static void a32_xtb16(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    bool unsig = bits(d->w, 22, 22);
    if (d->rd == 15 || d->rm == 15) { arm_gen_undef(t, d->pc); return; }
    unsigned rot = bits(d->w, 11, 10) * 8;
    ir_val m = reg(t, d, d->rm);
    if (rot) m = ir_ror(b, m, k32(b, rot));
    ir_val lo = unsig ? ir_extract(b, m, 0, 8) : ir_sextract(b, m, 0, 8);
    ir_val hi = unsig ? ir_extract(b, m, 16, 8) : ir_sextract(b, m, 16, 8);
    if (d->rn != 15) {
        ir_val n = reg(t, d, d->rn);
        lo = ir_add(b, lo, n);
        hi = ir_add(b, hi, ir_shr(b, n, k32(b, 16)));
    }
    set_reg(b, d->rd, ir_deposit(b, lo, hi, 16, 16));
}

/* SMLAxy, SMLAWy/SMULWy, SMLALxy, SMULxy: Rd = 19:16, Ra (RdLo) = 15:12,
 * Rm = 11:8, Rn = 3:0; x = bit 5 (top half of Rn), y = bit 6. */
static void a32_halfmul(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned op1 = bits(d->w, 22, 21), x = bits(d->w, 5, 5), y = bits(d->w, 6, 6);
    unsigned rdst = d->rn, ra = d->rd;
    if (rdst == 15 || d->rm == 15 || d->rs == 15 || ((op1 == 0 || op1 == 2 || (op1 == 1 && !x)) && ra == 15))
        { arm_gen_undef(t, d->pc); return; }
    ir_val n = reg(t, d, d->rm), m = reg(t, d, d->rs);
    if (op1 == 2) { /* SMLALxy */
        if (rdst == ra) { arm_gen_undef(t, d->pc); return; }
        ir_val acc = ir_or(b, ir_shl(b, ir_zext(b, IR_I64, reg(t, d, rdst), 32), ir_const64(b, 32)),
                           ir_zext(b, IR_I64, reg(t, d, ra), 32));
        ir_val r = call4(b, ARM_H_MUL64, IR_HELPER_PURE, IR_I64, k32(b, ARM_MUL_SMLAL | x << 4 | y << 5), n, m, acc);
        set_reg(b, ra, ir_trunc(b, r));
        set_reg(b, rdst, ir_trunc(b, ir_shr(b, r, ir_const64(b, 32))));
        return;
    }
    unsigned kind = op1 == 0 ? ARM_MUL_SMLA : op1 == 3 ? ARM_MUL_SMUL : x ? ARM_MUL_SMULW : ARM_MUL_SMLAW;
    if (kind == ARM_MUL_SMLAW || kind == ARM_MUL_SMULW) x = 0;
    ir_val a = (kind == ARM_MUL_SMLA || kind == ARM_MUL_SMLAW) ? reg(t, d, ra) : k32(b, 0);
    set_reg(b, rdst, call4(b, ARM_H_MUL32, H_STATE, IR_I32, k32(b, kind | x << 4 | y << 5), n, m, a));
}

/* SMLAD/SMUAD/SMLSD/SMUSD, SMLALD/SMLSLD, SMMLA/SMMUL/SMMLS: op1 = 22:20,
 * bit 6 subtracts (dual forms), bit 5 is M (swap) or R (round). */
static void a32_smul_dual(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned op1 = bits(d->w, 22, 20), sub = bits(d->w, 6, 6), xr = bits(d->w, 5, 5);
    unsigned rdst = d->rn, ra = d->rd;
    if (rdst == 15 || d->rm == 15 || d->rs == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val n = reg(t, d, d->rm), m = reg(t, d, d->rs);
    if (op1 == 4) { /* SMLALD/SMLSLD: RdHi = 19:16, RdLo = 15:12 */
        if (ra == 15 || ra == rdst) { arm_gen_undef(t, d->pc); return; }
        ir_val acc = ir_or(b, ir_shl(b, ir_zext(b, IR_I64, reg(t, d, rdst), 32), ir_const64(b, 32)),
                           ir_zext(b, IR_I64, reg(t, d, ra), 32));
        ir_val r = call4(b, ARM_H_MUL64, IR_HELPER_PURE, IR_I64,
                         k32(b, (sub ? ARM_MUL_SMLSLD : ARM_MUL_SMLALD) | xr << 4), n, m, acc);
        set_reg(b, ra, ir_trunc(b, r));
        set_reg(b, rdst, ir_trunc(b, ir_shr(b, r, ir_const64(b, 32))));
        return;
    }
    unsigned kind;
    if (op1 == 0) kind = sub ? (ra == 15 ? ARM_MUL_SMUSD : ARM_MUL_SMLSD) : (ra == 15 ? ARM_MUL_SMUAD : ARM_MUL_SMLAD);
    else if (sub) kind = ARM_MUL_SMMLS;
    else kind = ra == 15 ? ARM_MUL_SMMUL : ARM_MUL_SMMLA;
    if (kind == ARM_MUL_SMMLS && ra == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val a = ra == 15 ? k32(b, 0) : reg(t, d, ra);
    set_reg(b, rdst, call4(b, ARM_H_MUL32, H_STATE, IR_I32, k32(b, kind | xr << 4), n, m, a));
}

/* USAD8/USADA8 (Ra = 15: no accumulate). */
static void a32_usad8(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned rdst = d->rn, ra = d->rd;
    if (rdst == 15 || d->rm == 15 || d->rs == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val a = ra == 15 ? k32(b, 0) : reg(t, d, ra);
    set_reg(b, rdst, call4(b, ARM_H_MUL32, IR_HELPER_PURE, IR_I32, k32(b, ra == 15 ? ARM_MUL_USAD8 : ARM_MUL_USADA8),
                           reg(t, d, d->rm), reg(t, d, d->rs), a));
}

/* ---- System: hints, barriers, exceptions, cp15 ------------------------------------------------- */

static void a32_nop(jit_tcx *t, const a32_insn *d) {}

static void a32_wfi(jit_tcx *t, const a32_insn *d) { arm_gen_wait(t, false, d->pc + 4); }
static void a32_wfe(jit_tcx *t, const a32_insn *d) { arm_gen_wait(t, true, d->pc + 4); }
static void a32_sev(jit_tcx *t, const a32_insn *d) { arm_gen_sev(t); }
static void a32_hvc(jit_tcx *t, const a32_insn *d) { arm_gen_hvc(t, d->pc, d->pc + 4); }

/* CPS (B9.3.2): interrupt masks and mode; a NOP in User mode. */
static void a32_cps(jit_tcx *t, const a32_insn *d)
{
    if (!arm_priv(t)) return;
    arm_gen_cps(t, bits(d->w, 19, 18), bits(d->w, 8, 6), bits(d->w, 17, 17), bits(d->w, 4, 0), d->pc + 4);
}

/* SRS (B9.3.16): LR and SPSR onto the stack of another mode. */
static void a32_srs(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (!arm_priv(t)) { arm_gen_undef(t, d->pc); return; }
    ir_val mode = k32(b, bits(d->w, 4, 0));
    ir_val sp = arm_sys_call(t, ARM_SYS_GET_SP, mode, IR_NONE, d->pc, 0);
    uint32_t off = d->u ? (d->p ? 4u : 0u) : (d->p ? -8u : -4u);
    ir_val addr = ir_add(b, sp, k32(b, off));
    arm_store_a(b, addr, flag(b, ARM_REG(14)), 4);
    ir_store(b, ir_add(b, addr, k32(b, 4)), flag(b, OFF(spsr)), 4, false, arm_mmu(b));
    if (d->wb) arm_sys_call(t, ARM_SYS_SET_SP, mode, ir_add(b, sp, k32(b, d->u ? 8u : -8u)), d->pc, 0);
}

/* RFE (B9.3.13): pc and CPSR from memory. */
static void a32_rfe(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    if (!arm_priv(t) || d->rn == 15) { arm_gen_undef(t, d->pc); return; }
    ir_val base = reg(t, d, d->rn);
    uint32_t off = d->u ? (d->p ? 4u : 0u) : (d->p ? -8u : -4u);
    ir_val addr = ir_add(b, base, k32(b, off));
    ir_val pc = arm_load_a(b, IR_I32, addr, 4);
    ir_val cpsr = ir_load(b, IR_I32, ir_add(b, addr, k32(b, 4)), 4, false, false, arm_mmu(b));
    if (d->wb) set_reg(b, d->rn, ir_add(b, base, k32(b, d->u ? 8u : -8u)));
    arm_sys_call(t, ARM_SYS_ERET, pc, cpsr, d->pc, 1);
    arm_end_after_helper(t);
}

static void a32_barrier(jit_tcx *t, const a32_insn *d) { ir_fence(t->b); }

static void a32_svc(jit_tcx *t, const a32_insn *d)
{
    ir_set(t->b, OFF(svc_imm), k32(t->b, bits(d->w, 23, 0)));
    arm_gen_exception(t, d->pc, ARM_EXC_SVC, d->pc + 4);
}

/* BKPT: the debug exception (a prefetch abort with a debug event), kept
 * apart from UNDEF so user mode can raise SIGTRAP; r15 is the BKPT. */
static void a32_bkpt(jit_tcx *t, const a32_insn *d) { arm_gen_exception(t, d->pc, ARM_EXC_BKPT, d->pc); }

/* MCRR/MRRC p15: the 64-bit registers (system mode). */
static void a32_cp15_64(jit_tcx *t, const a32_insn *d)
{
    uint32_t key = ARM_CP15_64_KEY(bits(d->w, 7, 4), d->rm);
    if (!arm_system(t) || d->rd == 15 || d->rn == 15 || (d->l && d->rd == d->rn) ||
        !arm_gen_cp15(t, key, d->l, d->rd, d->rn, d->pc, d->pc + 4))
        arm_gen_undef(t, d->pc);
}

/* MRC/MCR p15: in Linux user mode as User mode sees it there, the thread
 * ID registers (c13, c0, 2 read-write, 3 read-only) and the CP15 barrier
 * operations; in system mode the CP15 table (cp15.c). */
static void a32_cp15(jit_tcx *t, const a32_insn *d)
{
    ir_block *b = t->b;
    unsigned opc1 = bits(d->w, 23, 21), crn = d->rn, crm = d->rm, opc2 = bits(d->w, 7, 5);
    bool read = d->l;
    uint32_t key = opc1 << 12 | crn << 8 | crm << 4 | opc2;
    if (d->rd == 15) { arm_gen_undef(t, d->pc); return; }
    if (arm_system(t)) {
        if (!arm_gen_cp15(t, key, read, d->rd, 0, d->pc, d->pc + 4)) arm_gen_undef(t, d->pc);
        return;
    }
    switch (key) {
    case 0x0d02: /* TPIDRURW */
        if (read) set_reg(b, d->rd, flag(b, OFF(tpidrurw)));
        else ir_set(b, OFF(tpidrurw), reg(t, d, d->rd));
        return;
    case 0x0d03: /* TPIDRURO */
        if (!read) break;
        set_reg(b, d->rd, flag(b, OFF(tpidruro)));
        return;
    case 0x07a5: case 0x07a4: case 0x0754: /* CP15DMB, CP15DSB, CP15ISB */
        if (read) break;
        ir_fence(b);
        return;
    }
    arm_gen_undef(t, d->pc);
}

/* SETEND: little-endian only. */
static void a32_setend(jit_tcx *t, const a32_insn *d)
{
    if (bits(d->w, 9, 9)) arm_gen_undef(t, d->pc);
}

/* ---- The decoder tables ------------------------------------------------------------------------ */

#define INST(fn, name, pat) {PAT32(pat, PAT_FIX) + PAT_LEN_OK(pat, 32), PAT32(pat, PAT_ONE), name, fn}

typedef struct a32_row {
    uint32_t mask, value;
    const char *name;
    a32_fn fn;
} a32_row;

/* VFP (coprocessors 10 and 11): translate_vfp.c, undefined where it declines. */
static void a32_vfp(jit_tcx *t, const a32_insn *d)
{
    if (!arm_translate_vfp(t, d->w, false)) arm_gen_undef(t, d->pc);
}

/* Conditional space (cond != 1111). First match wins: specific rows
 * before general ones. */
static const a32_row a32_table[] = {
    /* Multiplies and synchronization (bits 7:4 = 1001 in the DP space). */
    INST(a32_mul,       "MUL",           "cccc0000000Sdddd0000mmmm1001nnnn"),
    INST(a32_mul,       "MLA",           "cccc0000001Sddddaaaammmm1001nnnn"),
    INST(a32_umaal,     "UMAAL",         "cccc00000100hhhhllllmmmm1001nnnn"),
    INST(a32_mul,       "MLS",           "cccc00000110ddddaaaammmm1001nnnn"),
    INST(a32_mull,      "UMULL/SMLAL..", "cccc00001uaShhhhllllmmmm1001nnnn"),
    INST(a32_swp,       "SWP/SWPB",      "cccc00010b00nnnntttt00001001uuuu"),
    INST(a32_strex,     "STREX{D,B,H}",  "cccc00011xx0nnnndddd11111001tttt"),
    INST(a32_ldrex,     "LDREX{D,B,H}",  "cccc00011xx1nnnntttt11111001xxxx"),
    /* Extra loads and stores. */
    INST(a32_ldst_half, "LDRH/STRH",     "cccc000PUIWLnnnnttttiiii1011iiii"),
    INST(a32_ldst_dual, "LDRD",          "cccc000PUIW0nnnnttttiiii1101iiii"),
    INST(a32_ld_signed, "LDRSB",         "cccc000PUIW1nnnnttttiiii1101iiii"),
    INST(a32_ldst_dual, "STRD",          "cccc000PUIW0nnnnttttiiii1111iiii"),
    INST(a32_ld_signed, "LDRSH",         "cccc000PUIW1nnnnttttiiii1111iiii"),
    /* Miscellaneous (op1 = 10xx0, bit 7 = 0). */
    INST(a32_mrs,       "MRS",           "cccc00010R00xxxxddddxxxx0000xxxx"),
    INST(a32_msr_reg,   "MSR (reg)",     "cccc00010R10mmmmxxxxxxxx0000nnnn"),
    INST(a32_bx,        "BX",            "cccc00010010xxxxxxxxxxxx0001mmmm"),
    INST(a32_clz,       "CLZ",           "cccc00010110xxxxddddxxxx0001mmmm"),
    INST(a32_bx,        "BXJ",           "cccc00010010xxxxxxxxxxxx0010mmmm"), /* no Jazelle: BX */
    INST(a32_blx_reg,   "BLX (reg)",     "cccc00010010xxxxxxxxxxxx0011mmmm"),
    INST(a32_qaddsub,   "QADD/QSUB..",   "cccc00010oo0nnnndddd00000101mmmm"),
    INST(a32_bkpt,      "BKPT",          "cccc00010010iiiiiiiiiiii0111iiii"),
    INST(a32_hvc,       "HVC",           "cccc00010100iiiiiiiiiiii0111iiii"),
    INST(a32_hvc,       "SMC",           "cccc000101100000000000000111iiii"),
    INST(a32_undef,     "misc",          "cccc00010xx0xxxxxxxxxxxx0xxxxxxx"),
    INST(a32_halfmul,   "SMLAxy..",      "cccc00010oo0ddddaaaammmm1yx0nnnn"),
    /* Data processing. */
    INST(a32_dp_reg,    "DP (reg)",      "cccc000ooooSnnnnddddiiiiitt0mmmm"),
    INST(a32_dp_rsr,    "DP (rsr)",      "cccc000ooooSnnnnddddssss0tt1mmmm"),
    INST(a32_nop,       "NOP",           "cccc0011001000001111000000000000"),
    INST(a32_nop,       "YIELD",         "cccc0011001000001111000000000001"),
    INST(a32_wfe,       "WFE",           "cccc0011001000001111000000000010"),
    INST(a32_wfi,       "WFI",           "cccc0011001000001111000000000011"),
    INST(a32_sev,       "SEV",           "cccc0011001000001111000000000100"),
    INST(a32_nop,       "DBG",           "cccc001100100000111100001111xxxx"),
    INST(a32_nop,       "hint (CSDB..)", "cccc001100100000xxxxxxxxxxxxxxxx"), /* unallocated hints are NOPs */
    INST(a32_msr_imm,   "MSR (imm)",     "cccc00110R10mmmmxxxxrrrriiiiiiii"),
    INST(a32_movw,      "MOVW",          "cccc00110000iiiiddddiiiiiiiiiiii"),
    INST(a32_movt,      "MOVT",          "cccc00110100iiiiddddiiiiiiiiiiii"),
    INST(a32_dp_imm,    "DP (imm)",      "cccc001ooooSnnnnddddrrrriiiiiiii"),
    /* Loads and stores of words and bytes. */
    INST(a32_ldst_imm,  "LDR/STR (imm)", "cccc010PUBWLnnnnttttiiiiiiiiiiii"),
    INST(a32_ldst_reg,  "LDR/STR (reg)", "cccc011PUBWLnnnnttttiiiiitt0mmmm"),
    /* Media. */
    INST(a32_undef,     "UDF",           "cccc01111111xxxxxxxxxxxx1111xxxx"),
    INST(a32_parallel,  "SADD16..UHSUB8","cccc01100uxxnnnndddd1111ooo1mmmm"),
    INST(a32_pkh,       "PKHBT/PKHTB",   "cccc01101000nnnnddddiiiiit01mmmm"),
    INST(a32_sat,       "SSAT",          "cccc0110101sssssddddiiiiih01nnnn"),
    INST(a32_sat,       "USAT",          "cccc0110111sssssddddiiiiih01nnnn"),
    INST(a32_sat16,     "SSAT16",        "cccc01101010ssssdddd11110011nnnn"),
    INST(a32_sat16,     "USAT16",        "cccc01101110ssssdddd11110011nnnn"),
    INST(a32_xtb16,     "SXTB16/SXTAB16","cccc01101000nnnnddddrr000111mmmm"),
    INST(a32_xtb16,     "UXTB16/UXTAB16","cccc01101100nnnnddddrr000111mmmm"),
    INST(a32_smul_dual, "SMLAD/SMUAD..", "cccc01110000ddddaaaammmm0sx1nnnn"),
    INST(a32_smul_dual, "SMLALD/SMLSLD", "cccc01110100hhhhllllmmmm0sx1nnnn"),
    INST(a32_smul_dual, "SMMLA/SMMUL",   "cccc01110101ddddaaaammmm00r1nnnn"),
    INST(a32_smul_dual, "SMMLS",         "cccc01110101ddddaaaammmm11r1nnnn"),
    INST(a32_usad8,     "USAD8/USADA8",  "cccc01111000ddddaaaammmm0001nnnn"),
    INST(a32_sel,       "SEL",           "cccc01101000nnnndddd11111011mmmm"),
    INST(a32_rev,       "REV",           "cccc01101011xxxxddddxxxx0011mmmm"),
    INST(a32_rev,       "REV16",         "cccc01101011xxxxddddxxxx1011mmmm"),
    INST(a32_rev,       "RBIT",          "cccc01101111xxxxddddxxxx0011mmmm"),
    INST(a32_rev,       "REVSH",         "cccc01101111xxxxddddxxxx1011mmmm"),
    INST(a32_extend,    "SXTB/SXTAB",    "cccc01101010nnnnddddrrxx0111mmmm"),
    INST(a32_extend,    "SXTH/SXTAH",    "cccc01101011nnnnddddrrxx0111mmmm"),
    INST(a32_extend,    "UXTB/UXTAB",    "cccc01101110nnnnddddrrxx0111mmmm"),
    INST(a32_extend,    "UXTH/UXTAH",    "cccc01101111nnnnddddrrxx0111mmmm"),
    INST(a32_div,       "SDIV",          "cccc01110001dddd1111mmmm0001nnnn"),
    INST(a32_div,       "UDIV",          "cccc01110011dddd1111mmmm0001nnnn"),
    INST(a32_bfx,       "SBFX",          "cccc0111101wwwwwddddlllll101nnnn"),
    INST(a32_bfi,       "BFC/BFI",       "cccc0111110mmmmmddddlllll001nnnn"),
    INST(a32_bfx,       "UBFX",          "cccc0111111wwwwwddddlllll101nnnn"),
    INST(a32_undef,     "media",         "cccc011xxxxxxxxxxxxxxxxxxxx1xxxx"),
    /* Branches and block transfers. */
    INST(a32_ldm_stm,   "LDM/STM",       "cccc100PUSWLnnnnrrrrrrrrrrrrrrrr"),
    INST(a32_b,         "B",             "cccc1010iiiiiiiiiiiiiiiiiiiiiiii"),
    INST(a32_bl,        "BL",            "cccc1011iiiiiiiiiiiiiiiiiiiiiiii"),
    /* Coprocessors: 10 and 11 are VFP (translate_vfp.c), 15 is system control. */
    INST(a32_vfp,       "VFP",           "cccc110xxxxxxxxxxxxx101xxxxxxxxx"),
    INST(a32_vfp,       "VFP",           "cccc1110xxxxxxxxxxxx101xxxxxxxxx"),
    INST(a32_cp15,      "MRC/MCR p15",   "cccc1110oooLnnnntttt1111ppp1mmmm"),
    INST(a32_cp15_64,   "MRRC/MCRR p15", "cccc1100010Lnnnntttt1111oooommmm"),
    INST(a32_svc,       "SVC",           "cccc1111iiiiiiiiiiiiiiiiiiiiiiii"),
};

/* Unconditional space (cond = 1111). */
static const a32_row a32_uncond_table[] = {
    INST(a32_clrex,     "CLREX",         "111101010111xxxxxxxxxxxx0001xxxx"),
    INST(a32_barrier,   "DSB",           "111101010111xxxxxxxxxxxx0100oooo"),
    INST(a32_barrier,   "DMB",           "111101010111xxxxxxxxxxxx0101oooo"),
    INST(a32_barrier,   "ISB",           "111101010111xxxxxxxxxxxx0110oooo"),
    INST(a32_nop,       "PLI/PLD (imm)", "1111010xxx01xxxxxxxxxxxxxxxxxxxx"),
    INST(a32_nop,       "PLI/PLD (reg)", "1111011xxx01xxxxxxxxxxxxxxx0xxxx"),
    INST(a32_setend,    "SETEND",        "111100010000xxx1xxxxxxEx0000xxxx"),
    INST(a32_cps,       "CPS",           "111100010000iiM00000000AIF0mmmmm"),
    INST(a32_srs,       "SRS",           "1111100PU1W0110100000101000mmmmm"),
    INST(a32_rfe,       "RFE",           "1111100PU0W1nnnn0000101000000000"),
    INST(a32_blx_imm,   "BLX (imm)",     "1111101Hiiiiiiiiiiiiiiiiiiiiiiii"),
};

static a32_fn a32_decode(uint32_t w)
{
    const a32_row *t = a32_table;
    size_t n = sizeof a32_table / sizeof *a32_table;
    if (w >> 28 == 0xf) {
        t = a32_uncond_table;
        n = sizeof a32_uncond_table / sizeof *a32_uncond_table;
    }
    for (size_t i = 0; i < n; i++)
        if ((w & t[i].mask) == t[i].value) return t[i].fn;
    return a32_undef;
}

void arm_translate_a32_word(jit_tcx *t, uint32_t w, uint32_t pc)
{
    a32_insn d = {
        .w = w, .pc = pc, .cond = 14,
        .rn = bits(w, 19, 16), .rd = bits(w, 15, 12), .rs = bits(w, 11, 8), .rm = bits(w, 3, 0),
        .p = bits(w, 24, 24), .u = bits(w, 23, 23), .b = bits(w, 22, 22), .wb = bits(w, 21, 21),
        .l = bits(w, 20, 20), .s = bits(w, 20, 20),
    };
    a32_decode(w)(t, &d);
}

void arm_translate_a32(jit_tcx *t)
{
    uint32_t w;
    if (!jit_fetch(t, t->pc, 4, &w)) return;
    ir_block *b = t->b;
    ir_insn_start(b, t->pc, 0);
    a32_insn d = {
        .w = w, .pc = (uint32_t)t->pc, .cond = w >> 28,
        .rn = bits(w, 19, 16), .rd = bits(w, 15, 12), .rs = bits(w, 11, 8), .rm = bits(w, 3, 0),
        .p = bits(w, 24, 24), .u = bits(w, 23, 23), .b = bits(w, 22, 22), .wb = bits(w, 21, 21),
        .l = bits(w, 20, 20), .s = bits(w, 20, 20),
    };
    a32_fn fn = a32_decode(w);
    if (fn == a32_b && d.cond <= 14 &&
        jit_branch_forward(t, d.cond < 14 ? arm_cond_value(b, d.cond) : IR_NONE, branch_target(&d))) {
        /* A short branch forward: the block goes on. */
    } else if (d.cond >= 14) {
        fn(t, &d);
    } else {
        /* A failed condition skips the instruction (ARM ARM A8.3). */
        uint32_t skip = ir_new_label(b);
        ir_brcond(b, arm_cond_value(b, d.cond ^ 1), skip);
        ir_val branch = b->n - 1;
        fn(t, &d);
        if (t->end || !ir_predicate(b, branch)) ir_label(b, skip);
        if (t->end) ir_goto(b, d.pc + 4);
    }
    t->pc += 4;
}
