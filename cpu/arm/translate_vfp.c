/* The VFP translator (VFPv3-D32 plus VFPv4's fused multiply-add, as on
 * Cortex-A15 without Advanced SIMD), for A32 and Thumb-2: the encodings are
 * the same, with Thumb's 1110 prefix where A32 has its condition (ARM ARM
 * DDI 0406C, A7.5-A7.9). The caller deals with the condition (A32) or the
 * IT block (Thumb).
 *
 * Loads, stores and moves are IR; arithmetic, compares and conversions are
 * one call each of the ARM_H_VFP helper (vfp_helper.c), which reads and
 * writes the registers and FPSCR in the state, exact to the ARM ARM.
 *
 * Sn is the low (n even) or high half of D(n/2): offset d + 4n. */
#include "vfp.h"

#define OFF(field) ARM_OFF(field)

static inline uint32_t bits(uint32_t w, unsigned hi, unsigned lo) { return (w >> lo) & ((2u << (hi - lo)) - 1); }
static uint32_t soff(unsigned n) { return OFF(d) + 4u * n; }
static uint32_t doff(unsigned n) { return OFF(d) + 8u * n; }

typedef struct vfp_insn {
    jit_tcx *t;
    ir_block *b;
    uint32_t w;
    uint32_t pc;
    bool thumb;
} vfp_insn;

static ir_val k32(ir_block *b, uint32_t v) { return ir_const32(b, v); }

/* A core register as a source: r15 reads as the instruction's address + 8
 * (A32) or + 4 (Thumb). */
static ir_val core(const vfp_insn *v, unsigned r)
{
    if (r == 15) return k32(v->b, v->pc + (v->thumb ? 4 : 8));
    return ir_get(v->b, IR_I32, ARM_REG(r));
}

/* Register numbers: Vx:X for singles, X:Vx for doubles. */
static unsigned vreg(uint32_t w, bool dp, unsigned vhi, unsigned xbit)
{
    unsigned vx = bits(w, vhi, vhi - 3), x = bits(w, xbit, xbit);
    return dp ? x << 4 | vx : vx << 1 | x;
}
#define VD(w, dp) vreg(w, dp, 15, 22)
#define VN(w, dp) vreg(w, dp, 19, 7)
#define VM(w, dp) vreg(w, dp, 3, 5)

static void call_vfp(ir_block *b, unsigned op, unsigned d, unsigned n, unsigned m, unsigned imm)
{
    ir_val args[5] = {k32(b, op), k32(b, d), k32(b, n), k32(b, m), k32(b, imm)};
    ir_call(b, IR_I64, ARM_H_VFP, IR_HELPER_READS_STATE | IR_HELPER_WRITES_STATE, args, 5);
}

/* ---- Extension register loads and stores (A7.6) ------------------------------------- */

/* VLDR, VSTR. */
static bool vldr_vstr(const vfp_insn *v)
{
    ir_block *b = v->b;
    uint32_t w = v->w;
    bool dp = bits(w, 8, 8), load = bits(w, 20, 20), up = bits(w, 23, 23);
    unsigned rn = bits(w, 19, 16), d = VD(w, dp);
    uint32_t off = bits(w, 7, 0) * 4;
    if (rn == 15 && !load && v->thumb) return false;
    ir_val base = rn == 15 ? k32(b, (v->pc + (v->thumb ? 4 : 8)) & ~3u) : core(v, rn);
    ir_val addr = off ? (up ? ir_add(b, base, k32(b, off)) : ir_sub(b, base, k32(b, off))) : base;
    unsigned words = dp ? 2 : 1, first = dp ? 2 * d : d;
    if (dp) {
        /* One 8-byte access; each word must be aligned. */
        if (load) {
            ir_val x = ir_load(b, IR_I64, addr, 8, false, false, arm_mmu(b));
            ir_mem_align4(b, x);
            ir_set(b, doff(d), x);
        } else {
            ir_mem_align4(b, ir_store(b, addr, ir_get(b, IR_I64, doff(d)), 8, false, arm_mmu(b)));
        }
        return true;
    }
    if (load) {
        ir_val val[2];
        for (unsigned i = 0; i < words; i++)
            val[i] = arm_load_a(b, IR_I32, i ? ir_add(b, addr, k32(b, 4)) : addr, 4);
        for (unsigned i = 0; i < words; i++) ir_set(b, soff(first + i), val[i]);
    } else {
        for (unsigned i = 0; i < words; i++)
            arm_store_a(b, i ? ir_add(b, addr, k32(b, 4)) : addr, ir_get(b, IR_I32, soff(first + i)), 4);
    }
    return true;
}

/* VLDM, VSTM (VPUSH, VPOP): increment after or decrement before. */
static bool vldm_vstm(const vfp_insn *v)
{
    ir_block *b = v->b;
    uint32_t w = v->w;
    bool dp = bits(w, 8, 8), load = bits(w, 20, 20), up = bits(w, 23, 23), wb = bits(w, 21, 21);
    bool pre = bits(w, 24, 24);
    unsigned rn = bits(w, 19, 16), d = VD(w, dp), imm8 = bits(w, 7, 0);
    if (pre == up || (pre && !wb)) return false; /* other encodings, or undefined */
    unsigned regs = dp ? imm8 / 2 : imm8;
    if (regs == 0 || d + regs > 32 || (dp && regs > 16)) return false;
    if (rn == 15 && (wb || v->thumb)) return false;
    ir_val base = core(v, rn);
    ir_val addr = up ? base : ir_sub(b, base, k32(b, imm8 * 4));
    unsigned words = dp ? 2 * regs : regs, first = dp ? 2 * d : d;
    ir_val val[64];
    for (unsigned i = 0; i < words; i++) {
        ir_val a = i ? ir_add(b, addr, k32(b, 4 * i)) : addr;
        /* Only the first access checks alignment: the others are at
         * multiples of 4 from it. */
        if (load) val[i] = i ? ir_load(b, IR_I32, a, 4, false, false, arm_mmu(b)) : arm_load_a(b, IR_I32, a, 4);
        else if (i) ir_store(b, a, ir_get(b, IR_I32, soff(first + i)), 4, false, arm_mmu(b));
        else arm_store_a(b, a, ir_get(b, IR_I32, soff(first + i)), 4);
    }
    if (wb) ir_set(b, ARM_REG(rn), up ? ir_add(b, base, k32(b, imm8 * 4)) : ir_sub(b, base, k32(b, imm8 * 4)));
    if (load)
        for (unsigned i = 0; i < words; i++) ir_set(b, soff(first + i), val[i]);
    return true;
}

/* VMOV between two core registers and two singles or a double (A7.8). */
static bool vmov_64(const vfp_insn *v)
{
    ir_block *b = v->b;
    uint32_t w = v->w;
    bool dp = bits(w, 8, 8), to_core = bits(w, 20, 20);
    unsigned rt = bits(w, 15, 12), rt2 = bits(w, 19, 16);
    if (bits(w, 7, 6) != 0 || !bits(w, 4, 4)) return false;
    unsigned m = dp ? bits(w, 5, 5) << 4 | bits(w, 3, 0) : bits(w, 3, 0) << 1 | bits(w, 5, 5);
    unsigned s0 = dp ? 2 * m : m;
    if (rt == 15 || rt2 == 15 || (!dp && m == 31) || (to_core && rt == rt2)) return false;
    if (to_core) {
        ir_val lo = ir_get(b, IR_I32, soff(s0)), hi = ir_get(b, IR_I32, soff(s0 + 1));
        ir_set(b, ARM_REG(rt), lo);
        ir_set(b, ARM_REG(rt2), hi);
    } else {
        ir_val lo = core(v, rt), hi = core(v, rt2);
        ir_set(b, soff(s0), lo);
        ir_set(b, soff(s0 + 1), hi);
    }
    return true;
}

static bool ext_load_store(const vfp_insn *v)
{
    uint32_t w = v->w;
    unsigned op = bits(w, 24, 20);
    if ((op & 0x1e) == 0x04) return vmov_64(v);          /* 0010x */
    if ((op & 0x13) == 0x10 || (op & 0x13) == 0x11) return vldr_vstr(v); /* 1xx0x */
    return vldm_vstm(v);
}

/* ---- 8, 16 and 32-bit transfers (A7.8) -------------------------------------------- */

static void set_core(ir_block *b, unsigned r, ir_val v) { ir_set(b, ARM_REG(r), v); }

static bool vmrs(const vfp_insn *v)
{
    ir_block *b = v->b;
    unsigned reg = bits(v->w, 19, 16), rt = bits(v->w, 15, 12);
    bool user = v->t->cpu->user_mode;
    if (reg == 1) {
        ir_val f = ir_get(b, IR_I32, OFF(fpscr));
        if (rt == 15) { /* VMRS APSR_nzcv, FPSCR */
            arm_set_nzcv_word(b, f);
        } else {
            set_core(b, rt, f);
        }
        return true;
    }
    /* The other registers are for privileged software only: PL0 (Linux
     * user mode) gets UNDEF. There is no privileged mode state yet: system
     * mode runs as if privileged. */
    if (user || rt == 15) return false;
    switch (reg) {
    case 0: set_core(b, rt, k32(b, ARM_FPSID)); return true;
    case 6: set_core(b, rt, k32(b, ARM_MVFR1)); return true;
    case 7: set_core(b, rt, k32(b, ARM_MVFR0)); return true;
    case 8: set_core(b, rt, ir_get(b, IR_I32, OFF(fpexc))); return true;
    default: return false;
    }
}

static bool vmsr(const vfp_insn *v)
{
    ir_block *b = v->b;
    unsigned reg = bits(v->w, 19, 16), rt = bits(v->w, 15, 12);
    if (rt == 15) return false;
    if (reg == 1) {
        /* The new FPSCR may change the key's ARM_KEY_FPFAST: the key
         * word follows, and the block ends, back to the run loop. */
        jit_tcx *t = v->t;
        ir_val f = ir_and(b, core(v, rt), k32(b, FPSCR_WRITABLE));
        ir_set(b, OFF(fpscr), f);
        ir_val fast = ir_setcc(b, IR_EQ, ir_and(b, f, k32(b, ARM_FPFAST_MASK)), k32(b, ARM_FPFAST_VALUE));
        ir_set(b, OFF(itstate), k32(b, ARM_KEY_ITSTATE(t->flags)));
        ir_set(b, OFF(key_flags), ir_or(b, k32(b, (uint32_t)t->flags & ~ARM_KEY_FPFAST), ir_shl(b, fast, k32(b, 9))));
        ir_exit(b, IR_EXIT_NORMAL, v->pc + 4);
        t->end = true;
        return true;
    }
    if (v->t->cpu->user_mode) return false;
    switch (reg) {
    case 0: return true; /* FPSID: writes ignored */
    case 8: ir_set(b, OFF(fpexc), ir_and(b, core(v, rt), k32(b, 1u << 30))); return true; /* EN */
    default: return false;
    }
}

static bool transfer(const vfp_insn *v)
{
    ir_block *b = v->b;
    uint32_t w = v->w;
    bool c = bits(w, 8, 8), l = bits(w, 20, 20);
    unsigned a = bits(w, 23, 21), rt = bits(w, 15, 12);
    if (!c) {
        if (a == 7) return l ? vmrs(v) : vmsr(v);
        if (a != 0 || rt == 15) return false;
        unsigned n = bits(w, 19, 16) << 1 | bits(w, 7, 7); /* VMOV Rt <-> Sn */
        if (l) set_core(b, rt, ir_get(b, IR_I32, soff(n)));
        else ir_set(b, soff(n), core(v, rt));
        return true;
    }
    /* VMOV between a core register and a 32-bit scalar Dn[x]; the 8 and
     * 16-bit forms and VDUP are Advanced SIMD. */
    if (bits(w, 22, 22) || bits(w, 6, 5) || rt == 15) return false;
    if (l && bits(w, 23, 23)) return false;
    if (!l && bits(w, 23, 23)) return false;
    unsigned dn = bits(w, 7, 7) << 4 | bits(w, 19, 16), x = bits(w, 21, 21);
    if (l) set_core(b, rt, ir_get(b, IR_I32, soff(2 * dn + x)));
    else ir_set(b, soff(2 * dn + x), core(v, rt));
    return true;
}

/* ---- Data processing (A7.5) -------------------------------------------------------- */

/* VFPExpandImm. */
static uint64_t expand_imm(uint32_t imm8, bool dp)
{
    uint64_t a = imm8 >> 7 & 1, b = imm8 >> 6 & 1, cdefgh = imm8 & 0x3f;
    if (dp) return a << 63 | (b ^ 1) << 62 | (b ? 0xffull : 0) << 54 | cdefgh << 48;
    return (uint32_t)(a << 31 | (b ^ 1) << 30 | (b ? 0x1full : 0) << 25 | cdefgh << 19);
}

/* ---- On the host's arithmetic, checked (ARM_KEY_FPFAST) ----------------------------- */

static ir_val fget(ir_block *b, bool dp, unsigned n) { return dp ? ir_get(b, IR_F64, doff(n)) : ir_get(b, IR_F32, soff(n)); }
static void fset(ir_block *b, bool dp, unsigned n, ir_val x) { ir_set(b, dp ? doff(n) : soff(n), x); }
static ir_val fneg(ir_block *b, ir_val x) { return ir_emit(b, IR_FNEG, ir_type_of(b, x), x, 0, 0, 0, 0); }

/* One rounded step, of type t; vop and imm tell the helper what it is. A
 * sum or difference that is tiny is exact, so only infinities and NaNs
 * need the helper there; other operations may be tiny and inexact (UFC,
 * tininess before rounding). */
static ir_val fstep(ir_block *b, ir_op op, ir_type t, ir_val x, ir_val y, unsigned vop, bool dp_operand, unsigned imm)
{
    unsigned check = op == IR_FADD || op == IR_FSUB ? IR_FPCHK_INF : IR_FPCHK_TINY;
    return ir_fp_checked(b, op, t, x, y, check, ARM_H_VFP_CHECKED, vop | (dp_operand ? VFP_DP : 0) | imm << 16,
                         OFF(fpscr));
}

/* The arithmetic of data_processing with FPSCR in the ARM_KEY_FPFAST state:
 * true if done. VMLA and friends are a product and a sum, each rounded, as
 * the ARM ARM defines them (A8.8.337). */
static bool fast_arith(const vfp_insn *v)
{
    ir_block *b = v->b;
    uint32_t w = v->w;
    bool dp = bits(w, 8, 8), o6 = bits(w, 6, 6);
    ir_type t = dp ? IR_F64 : IR_F32;
    unsigned opc1 = bits(w, 23, 23) << 2 | bits(w, 21, 20);
    unsigned d = VD(w, dp), n = VN(w, dp), m = VM(w, dp);
    if (opc1 <= 4) {
        if (opc1 == 4 && o6) return false;
        ir_val x = fget(b, dp, n), y = fget(b, dp, m), r;
        switch (opc1) {
        case 0: case 1: { /* VMLA, VMLS; VNMLS, VNMLA */
            ir_val p = fstep(b, IR_FMUL, t, x, y, VFP_MUL, dp, 0);
            ir_val acc = fget(b, dp, d);
            if (opc1 == 1) acc = fneg(b, acc);
            if (o6) p = fneg(b, p); /* VMLS, VNMLA */
            r = fstep(b, IR_FADD, t, acc, p, VFP_ADD, dp, 0);
            break;
        }
        case 2: /* VMUL, VNMUL */
            r = fstep(b, IR_FMUL, t, x, y, VFP_MUL, dp, 0);
            if (o6) r = fneg(b, r);
            break;
        case 3: r = o6 ? fstep(b, IR_FSUB, t, x, y, VFP_SUB, dp, 0) : fstep(b, IR_FADD, t, x, y, VFP_ADD, dp, 0); break;
        default: r = fstep(b, IR_FDIV, t, x, y, VFP_DIV, dp, 0); break;
        }
        fset(b, dp, d, r);
        return true;
    }
    if (opc1 != 7 || !(bits(w, 7, 6) & 1)) return false;
    unsigned opc2 = bits(w, 19, 16);
    switch (opc2) {
    case 1: /* VSQRT (VNEG is opc3 01) */
        if (bits(w, 7, 6) != 3) return false;
        fset(b, dp, d, fstep(b, IR_FSQRT, t, fget(b, dp, m), 0, VFP_SQRT, dp, 0));
        return true;
    case 7: { /* VCVT between double and single: m is of the instruction's size */
        if (bits(w, 7, 6) != 3) return false;
        ir_val x = fget(b, dp, m);
        ir_val r = dp ? fstep(b, IR_FCVT, IR_F32, x, 0, VFP_CVT_PREC, true, 0)
                      : ir_fp_checked(b, IR_FCVT, IR_F64, x, 0, IR_FPCHK_INF, ARM_H_VFP_CHECKED, VFP_CVT_PREC, OFF(fpscr));
        fset(b, !dp, VD(w, !dp), r);
        return true;
    }
    case 4: case 5: { /* VCMP{E}: the NZCV in FPSCR; NaNs (IOC) by the helper */
        if (opc2 == 5 && (bits(w, 5, 5) || bits(w, 3, 0))) return false;
        ir_val x = fget(b, dp, d), y = opc2 == 5 ? ir_emit(b, IR_CONST, t, 0, 0, 0, 0, 0) : fget(b, dp, m);
        unsigned imm = bits(w, 7, 7) | (opc2 == 5) << 1;
        ir_val code = ir_fp_checked(b, IR_FCMP, IR_I32, x, y, IR_FPCHK_UNORD, ARM_H_VFP_CHECKED,
                                    VFP_CMP | (dp ? VFP_DP : 0) | imm << 16, OFF(fpscr));
        /* Equal 0110, less 1000, greater 0010, unordered 0011. */
        ir_val nzcv = ir_and(b, ir_shr(b, k32(b, 0x3286), ir_shl(b, code, k32(b, 2))), k32(b, 0xf));
        ir_val f = ir_get(b, IR_I32, OFF(fpscr));
        ir_set(b, OFF(fpscr), ir_or(b, ir_and(b, f, k32(b, 0x0fffffffu)), ir_shl(b, nzcv, k32(b, 28))));
        return true;
    }
    case 8: { /* VCVT to floating point from a 32-bit integer: exact or merely inexact */
        ir_val i = ir_get(b, IR_I32, soff(VM(w, false)));
        if (!bits(w, 7, 7)) i = ir_zext(b, IR_I64, i, 32); /* unsigned */
        fset(b, dp, d, ir_emit(b, IR_ITOF, t, i, 0, 0, 0, 0));
        return true;
    }
    case 12: case 13: { /* VCVT to a 32-bit integer, rounding towards zero (VCVTR: the helper) */
        if (!bits(w, 7, 7)) return false;
        bool is_unsigned = opc2 == 12;
        ir_val r = ir_fp_checked(b, IR_FTOI, IR_I32, fget(b, dp, m), 0, is_unsigned ? IR_FPCHK_UINT : IR_FPCHK_INT,
                                 ARM_H_VFP_CHECKED, VFP_TO_INT | (dp ? VFP_DP : 0) | (is_unsigned | 2u) << 16,
                                 OFF(fpscr));
        ir_set(b, soff(VD(w, false)), r);
        return true;
    }
    default:
        return false;
    }
}

static bool data_processing(const vfp_insn *v)
{
    if ((v->t->flags & ARM_KEY_FPFAST) && fast_arith(v)) return true;
    ir_block *b = v->b;
    uint32_t w = v->w;
    bool dp = bits(w, 8, 8), o6 = bits(w, 6, 6);
    unsigned opc1 = bits(w, 23, 23) << 2 | bits(w, 21, 20);
    unsigned d = VD(w, dp), n = VN(w, dp), m = VM(w, dp), dpf = dp ? VFP_DP : 0;
    switch (opc1) {
    case 0: call_vfp(b, dpf | (o6 ? VFP_MLS : VFP_MLA), d, n, m, 0); return true;
    case 1: call_vfp(b, dpf | (o6 ? VFP_NMLA : VFP_NMLS), d, n, m, 0); return true;
    case 2: call_vfp(b, dpf | (o6 ? VFP_NMUL : VFP_MUL), d, n, m, 0); return true;
    case 3: call_vfp(b, dpf | (o6 ? VFP_SUB : VFP_ADD), d, n, m, 0); return true;
    case 4:
        if (o6) return false;
        call_vfp(b, dpf | VFP_DIV, d, n, m, 0);
        return true;
    case 5: call_vfp(b, dpf | (o6 ? VFP_FNMA : VFP_FNMS), d, n, m, 0); return true;
    case 6: call_vfp(b, dpf | (o6 ? VFP_FMS : VFP_FMA), d, n, m, 0); return true;
    default: break;
    }
    /* opc1 = 1x11: the other operations, by opc2 (19:16) and opc3 (7:6). */
    unsigned opc2 = bits(w, 19, 16), opc3 = bits(w, 7, 6);
    if (!(opc3 & 1)) { /* VMOV immediate */
        if (bits(w, 7, 4)) return false;
        uint64_t k = expand_imm(bits(w, 19, 16) << 4 | bits(w, 3, 0), dp);
        if (dp) ir_set(b, doff(d), ir_const64(b, k));
        else ir_set(b, soff(d), k32(b, (uint32_t)k));
        return true;
    }
    switch (opc2) {
    case 0: case 1: {
        if (opc2 == 1 && opc3 == 3) { /* VSQRT */
            call_vfp(b, dpf | VFP_SQRT, d, 0, m, 0);
            return true;
        }
        /* VMOV, VABS, VNEG: bit operations, no exceptions (FPAbs, FPNeg). */
        ir_val x = dp ? ir_get(b, IR_I64, doff(m)) : ir_get(b, IR_I32, soff(m));
        uint64_t sign = dp ? 1ull << 63 : 1u << 31;
        ir_val ks = dp ? ir_const64(b, sign) : k32(b, (uint32_t)sign);
        ir_val kn = dp ? ir_const64(b, ~sign) : k32(b, (uint32_t)~sign);
        if (opc2 == 1) x = ir_xor(b, x, ks);
        else if (opc3 == 3) x = ir_and(b, x, kn);
        ir_set(b, dp ? doff(d) : soff(d), x);
        return true;
    }
    case 2: case 3: /* VCVTB, VCVTT: half and single */
        if (dp) return false;
        call_vfp(b, VFP_CVT_HALF, d, 0, m, bits(w, 7, 7) | (opc2 & 1) << 1);
        return true;
    case 4: case 5: /* VCMP{E} */
        if (opc2 == 5 && (bits(w, 5, 5) || bits(w, 3, 0))) return false;
        call_vfp(b, dpf | VFP_CMP, d, 0, opc2 == 5 ? 0 : m, bits(w, 7, 7) | (opc2 == 5) << 1);
        return true;
    case 7: /* VCVT between double and single */
        if (opc3 != 3) return false;
        call_vfp(b, dpf | VFP_CVT_PREC, VD(w, !dp), 0, m, 0);
        return true;
    case 8: /* VCVT.F32/F64 from a 32-bit integer */
        call_vfp(b, dpf | VFP_FROM_INT, d, 0, VM(w, false), !bits(w, 7, 7));
        return true;
    case 12: case 13: /* VCVT{R} to a 32-bit integer */
        call_vfp(b, dpf | VFP_TO_INT, VD(w, false), 0, m, (opc2 & 1 ? 0u : 1u) | bits(w, 7, 7) << 1);
        return true;
    case 10: case 11: case 14: case 15: { /* VCVT between floating and fixed point */
        unsigned size = bits(w, 7, 7) ? 32 : 16;
        unsigned imm5 = bits(w, 3, 0) << 1 | bits(w, 5, 5);
        if (imm5 > size) return false;
        unsigned fbits = size - imm5;
        unsigned imm = fbits | (opc2 & 1) << 8 | (size == 16) << 9;
        call_vfp(b, dpf | (opc2 & 4 ? VFP_TO_FIXED : VFP_FROM_FIXED), d, 0, 0, imm);
        return true;
    }
    default: return false;
    }
}

bool arm_translate_vfp(jit_tcx *t, uint32_t insn, bool thumb)
{
    uint32_t w = insn;
    /* Coprocessors 10 and 11, with cond != 1111 (A32) or the 1110 prefix
     * (Thumb): 1111 there is Advanced SIMD or ARMv8. */
    if (bits(w, 11, 9) != 5 || bits(w, 31, 28) == 0xf) return false;
    vfp_insn v = {.t = t, .b = t->b, .w = w, .pc = (uint32_t)t->pc, .thumb = thumb};
    switch (bits(w, 27, 24)) {
    case 0xc: case 0xd: return ext_load_store(&v);
    case 0xe: return bits(w, 4, 4) ? transfer(&v) : data_processing(&v);
    default: return false;
    }
}
