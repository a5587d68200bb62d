/* The Thumb translator (ARMv7-A Thumb-2, ARM ARM DDI 0406C chapter A6):
 * decoder tables of bit patterns for the 16-bit and the 32-bit encodings,
 * one translate function per family, and the IT block.
 *
 * Rules every function follows, besides the A32 ones (memory accesses
 * before any SET, a function that ends the block emits its terminator):
 * - reading r15 gives the instruction's address + 4 (literal loads and ADR
 *   align it down to 4);
 * - ITSTATE is known at translate time: t->flags carries the ITSTATE after
 *   the current instruction, the INSN marker's extra word the ITSTATE at
 *   its start (arm_restore puts it back after a fault), and the state's
 *   itstate/key_flags are written whenever an instruction changes them, so
 *   any block end, the engine's included, leaves them right;
 * - inside an IT block an instruction is skipped when ITSTATE's condition
 *   fails, and 16-bit data processing does not set flags.
 *
 * Media, multiply, LDM/STM and coprocessor encodings whose operation is the
 * A32 one are rewritten as the A32 word and translated by translate_a32.c. */
#include "translate.h"

#define OFF(field) ARM_OFF(field)

typedef struct t32_insn {
    uint32_t w;       /* 16-bit: the halfword; 32-bit: first halfword << 16 | second */
    uint32_t pc;      /* its address */
    unsigned len;     /* 2 or 4 */
    unsigned it;      /* ITSTATE at the instruction */
    unsigned next_it; /* ITSTATE after it */
} t32_insn;

typedef void (*t32_fn)(jit_tcx *t, const t32_insn *d);

static inline uint32_t bits(uint32_t w, unsigned hi, unsigned lo) { return (w >> lo) & ((2u << (hi - lo)) - 1); }
static inline bool bit(uint32_t w, unsigned n) { return w >> n & 1; }

/* The weak reference lets this file link with or without translate_vfp.c. */
__attribute__((weak)) bool arm_translate_vfp(jit_tcx *t, uint32_t insn, bool thumb);

/* ---- Shared pieces ------------------------------------------------------------- */

static ir_val k32(ir_block *b, uint32_t v) { return ir_const32(b, v); }

static ir_val reg(jit_tcx *t, const t32_insn *d, unsigned n)
{
    if (n == 15) return k32(t->b, d->pc + 4);
    return ir_get(t->b, IR_I32, ARM_REG(n));
}

/* Align(PC, 4) as literal loads and ADR see it. */
static uint32_t pc_aligned(const t32_insn *d) { return (d->pc + 4) & ~3u; }

static void set_reg(ir_block *b, unsigned n, ir_val v) { ir_set(b, ARM_REG(n), v); }
static ir_val flag(ir_block *b, uint32_t off) { return ir_get(b, IR_I32, off); }

static bool in_it(const t32_insn *d) { return d->it != 0; }

/* ITAdvance (A2.5.2): the mask shifts left until only its stop bit is gone. */
static unsigned it_advance(unsigned it)
{
    if ((it & 7) == 0) return 0;
    return (it & 0xe0) | ((it << 1) & 0x1f);
}

/* Write the ITSTATE after this instruction into the state, if it changes. */
static void sync_it(jit_tcx *t, const t32_insn *d)
{
    if (d->next_it == d->it) return;
    ir_set(t->b, OFF(itstate), k32(t->b, d->next_it));
    ir_set(t->b, OFF(key_flags), k32(t->b, (uint32_t)t->flags));
}

static void t32_goto(jit_tcx *t, const t32_insn *d, uint32_t target)
{
    sync_it(t, d);
    ir_goto(t->b, target);
    t->end = true;
}

/* BranchWritePC in Thumb state: bit 0 ignored, no state change. */
static void branch_write(jit_tcx *t, const t32_insn *d, ir_val v)
{
    sync_it(t, d);
    ir_jump(t->b, ir_and(t->b, v, k32(t->b, ~1u)));
    t->end = true;
}

static void t32_undef(jit_tcx *t, const t32_insn *d) { arm_gen_undef(t, d->pc); }

/* An encoding whose operation is the A32 one: w is the A32 word. */
static void as_a32(jit_tcx *t, const t32_insn *d, uint32_t w) { arm_translate_a32_word(t, w, d->pc); }

/* ---- The ALU (shared by the 16-bit and 32-bit forms) ------------------------------ */

enum alu_op { ALU_AND, ALU_BIC, ALU_ORR, ALU_ORN, ALU_EOR, ALU_MOV, ALU_MVN,
              ALU_ADD, ALU_ADC, ALU_SBC, ALU_SUB, ALU_RSB };

/* op on n and m; with setflags, N and Z from the result, C and V from the
 * addition for arithmetic, C from the shifter (shc, if any) for logic. */
static ir_val alu(jit_tcx *t, enum alu_op op, ir_val n, ir_val m, ir_val shc, bool setflags)
{
    ir_block *b = t->b;
    ir_val r, x = IR_NONE, y = IR_NONE, cin = IR_NONE;
    switch (op) {
    case ALU_AND: r = ir_and(b, n, m); break;
    case ALU_BIC: r = ir_and(b, n, ir_not(b, m)); break;
    case ALU_ORR: r = ir_or(b, n, m); break;
    case ALU_ORN: r = ir_or(b, n, ir_not(b, m)); break;
    case ALU_EOR: r = ir_xor(b, n, m); break;
    case ALU_MOV: r = m; break;
    case ALU_MVN: r = ir_not(b, m); break;
    default:
        /* x + y + cin: subtraction is x + ~y + 1, C is NOT borrow. */
        switch (op) {
        case ALU_ADD: x = n; y = m; break;
        case ALU_ADC: x = n; y = m; cin = flag(b, OFF(cf)); break;
        case ALU_SBC: x = n; y = ir_not(b, m); cin = flag(b, OFF(cf)); break;
        case ALU_SUB: x = n; y = m; break;
        default: x = m; y = n; break; /* RSB */
        }
        if (op == ALU_SUB || op == ALU_RSB) r = ir_sub(b, x, y); /* C is x >= y */
        else r = cin ? ir_adc(b, x, y, cin) : ir_add(b, x, y);
        break;
    }
    if (setflags) {
        arm_set_nz(b, r);
        if (x && (op == ALU_SUB || op == ALU_RSB)) {
            ir_set(b, OFF(cf), ir_setcc(b, IR_GEU, x, y));
            ir_set(b, OFF(vf), ir_ovfsub(b, x, y));
        } else if (x) {
            ir_set(b, OFF(cf), ir_carry(b, x, y, cin));
            ir_set(b, OFF(vf), ir_ovf(b, x, y, cin));
        } else if (shc) {
            ir_set(b, OFF(cf), shc);
        }
    }
    return r;
}

/* ==== 16-bit encodings (A6.2) ===================================================== */

/* LSL/LSR/ASR #imm5 (LSL #0 is MOVS Rd, Rm). */
static void t16_shift_imm(jit_tcx *t, const t32_insn *d)
{
    ir_val c;
    ir_val r = arm_shift_imm(t, reg(t, d, bits(d->w, 5, 3)), bits(d->w, 12, 11), bits(d->w, 10, 6), &c);
    r = alu(t, ALU_MOV, IR_NONE, r, c, !in_it(d));
    set_reg(t->b, bits(d->w, 2, 0), r);
}

/* ADD/SUB Rd, Rn, Rm and ADD/SUB Rd, Rn, #imm3. */
static void t16_addsub3(jit_tcx *t, const t32_insn *d)
{
    ir_val m = bit(d->w, 10) ? k32(t->b, bits(d->w, 8, 6)) : reg(t, d, bits(d->w, 8, 6));
    ir_val r = alu(t, bit(d->w, 9) ? ALU_SUB : ALU_ADD, reg(t, d, bits(d->w, 5, 3)), m, IR_NONE, !in_it(d));
    set_reg(t->b, bits(d->w, 2, 0), r);
}

/* MOV/CMP/ADD/SUB Rdn, #imm8. */
static void t16_imm8(jit_tcx *t, const t32_insn *d)
{
    unsigned op = bits(d->w, 12, 11), rdn = bits(d->w, 10, 8);
    ir_val imm = k32(t->b, bits(d->w, 7, 0));
    static const enum alu_op ops[4] = {ALU_MOV, ALU_SUB, ALU_ADD, ALU_SUB};
    ir_val r = alu(t, ops[op], op ? reg(t, d, rdn) : IR_NONE, imm, IR_NONE, op == 1 || !in_it(d));
    if (op != 1) set_reg(t->b, rdn, r);
}

/* The data processing group: op = 9:6, Rm = 5:3, Rdn = 2:0. */
static void t16_dp(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    unsigned op = bits(d->w, 9, 6), rm = bits(d->w, 5, 3), rdn = bits(d->w, 2, 0);
    bool s = !in_it(d);
    ir_val n = reg(t, d, rdn), m = reg(t, d, rm), r, c;
    switch (op) {
    case 0: r = alu(t, ALU_AND, n, m, IR_NONE, s); break;
    case 1: r = alu(t, ALU_EOR, n, m, IR_NONE, s); break;
    case 2: case 3: case 4: case 7: { /* LSL, LSR, ASR, ROR by register */
        static const unsigned types[8] = {[2] = 0, [3] = 1, [4] = 2, [7] = 3};
        r = arm_shift_reg(t, n, types[op], m, &c);
        r = alu(t, ALU_MOV, IR_NONE, r, c, s);
        break;
    }
    case 5: r = alu(t, ALU_ADC, n, m, IR_NONE, s); break;
    case 6: r = alu(t, ALU_SBC, n, m, IR_NONE, s); break;
    case 8: alu(t, ALU_AND, n, m, IR_NONE, true); return; /* TST */
    case 9: r = alu(t, ALU_RSB, m, k32(b, 0), IR_NONE, s); break; /* RSB Rd, Rm, #0 */
    case 10: alu(t, ALU_SUB, n, m, IR_NONE, true); return; /* CMP */
    case 11: alu(t, ALU_ADD, n, m, IR_NONE, true); return; /* CMN */
    case 12: r = alu(t, ALU_ORR, n, m, IR_NONE, s); break;
    case 13: /* MUL: N and Z only */
        r = ir_mul(b, n, m);
        if (s) arm_set_nz(b, r);
        break;
    case 14: r = alu(t, ALU_BIC, n, m, IR_NONE, s); break;
    default: r = alu(t, ALU_MVN, IR_NONE, m, IR_NONE, s); break;
    }
    set_reg(b, rdn, r);
}

/* ADD/CMP/MOV with high registers: Rdn = D:2:0, Rm = 6:3. ADD and MOV to
 * the pc branch (without interworking); no flags but CMP's. */
static void t16_hireg(jit_tcx *t, const t32_insn *d)
{
    unsigned op = bits(d->w, 9, 8), rdn = bits(d->w, 7, 7) << 3 | bits(d->w, 2, 0), rm = bits(d->w, 6, 3);
    ir_val m = reg(t, d, rm), r;
    if (op == 1) {
        if (rdn == 15 || rm == 15) { t32_undef(t, d); return; }
        alu(t, ALU_SUB, reg(t, d, rdn), m, IR_NONE, true);
        return;
    }
    r = op == 0 ? ir_add(t->b, reg(t, d, rdn), m) : m;
    if (rdn == 15) branch_write(t, d, r);
    else set_reg(t->b, rdn, r);
}

/* BX Rm / BLX Rm: interworking; BLX's return address has bit 0 set. */
static void t16_bx(jit_tcx *t, const t32_insn *d)
{
    unsigned rm = bits(d->w, 6, 3);
    ir_val target = reg(t, d, rm); /* read before LR changes: BLX lr works */
    if (bit(d->w, 7)) {
        if (rm == 15) { t32_undef(t, d); return; }
        set_reg(t->b, 14, k32(t->b, (d->pc + 2) | 1));
    }
    arm_bx_write(t, target); /* writes ITSTATE too */
}

/* ---- Loads and stores ---------------------------------------------------------------- */

/* One access of size bytes at addr; for loads, write-back (if any) first,
 * then Rt (a loaded pc interworks). */
static void ldst(jit_tcx *t, const t32_insn *d, bool load, unsigned size, bool sign, unsigned rt, ir_val addr,
                 unsigned rn, ir_val wb)
{
    ir_block *b = t->b;
    if (load) {
        ir_val v = ir_load(b, IR_I32, addr, size, sign, false, arm_mmu(b));
        if (wb) set_reg(b, rn, wb);
        if (rt == 15) {
            if (size != 4) { t32_undef(t, d); return; }
            arm_bx_write(t, v);
        } else {
            set_reg(b, rt, v);
        }
    } else {
        if (rt == 15) { t32_undef(t, d); return; }
        ir_store(b, addr, reg(t, d, rt), size, false, arm_mmu(b));
        if (wb) set_reg(b, rn, wb);
    }
}

static void t16_ldr_lit(jit_tcx *t, const t32_insn *d)
{
    ir_val addr = k32(t->b, pc_aligned(d) + bits(d->w, 7, 0) * 4);
    ldst(t, d, true, 4, false, bits(d->w, 10, 8), addr, 0, IR_NONE);
}

/* STR STRH STRB LDRSB LDR LDRH LDRB LDRSH [Rn, Rm] by opB = 11:9. */
static void t16_ldst_reg(jit_tcx *t, const t32_insn *d)
{
    static const struct { bool load; unsigned size; bool sign; } ops[8] = {
        {false, 4, false}, {false, 2, false}, {false, 1, false}, {true, 1, true},
        {true, 4, false},  {true, 2, false},  {true, 1, false},  {true, 2, true},
    };
    unsigned op = bits(d->w, 11, 9);
    ir_val addr = ir_add(t->b, reg(t, d, bits(d->w, 5, 3)), reg(t, d, bits(d->w, 8, 6)));
    ldst(t, d, ops[op].load, ops[op].size, ops[op].sign, bits(d->w, 2, 0), addr, 0, IR_NONE);
}

/* STR/LDR (imm5 * 4), STRB/LDRB (imm5). */
static void t16_ldst_wb(jit_tcx *t, const t32_insn *d)
{
    unsigned size = bit(d->w, 12) ? 1 : 4;
    ir_val addr = ir_add(t->b, reg(t, d, bits(d->w, 5, 3)), k32(t->b, bits(d->w, 10, 6) * size));
    ldst(t, d, bit(d->w, 11), size, false, bits(d->w, 2, 0), addr, 0, IR_NONE);
}

static void t16_ldst_half(jit_tcx *t, const t32_insn *d)
{
    ir_val addr = ir_add(t->b, reg(t, d, bits(d->w, 5, 3)), k32(t->b, bits(d->w, 10, 6) * 2));
    ldst(t, d, bit(d->w, 11), 2, false, bits(d->w, 2, 0), addr, 0, IR_NONE);
}

static void t16_ldst_sp(jit_tcx *t, const t32_insn *d)
{
    ir_val addr = ir_add(t->b, reg(t, d, 13), k32(t->b, bits(d->w, 7, 0) * 4));
    ldst(t, d, bit(d->w, 11), 4, false, bits(d->w, 10, 8), addr, 0, IR_NONE);
}

/* ADR Rd, label and ADD Rd, SP, #imm8 * 4. */
static void t16_adr_addsp(jit_tcx *t, const t32_insn *d)
{
    uint32_t imm = bits(d->w, 7, 0) * 4;
    ir_val r = bit(d->w, 11) ? ir_add(t->b, reg(t, d, 13), k32(t->b, imm)) : k32(t->b, pc_aligned(d) + imm);
    set_reg(t->b, bits(d->w, 10, 8), r);
}

/* ADD/SUB SP, SP, #imm7 * 4. */
static void t16_sp_adjust(jit_tcx *t, const t32_insn *d)
{
    ir_val imm = k32(t->b, bits(d->w, 6, 0) * 4);
    set_reg(t->b, 13, bit(d->w, 7) ? ir_sub(t->b, reg(t, d, 13), imm) : ir_add(t->b, reg(t, d, 13), imm));
}

/* PUSH/POP/STM/LDM: the A32 LDM/STM with write-back (the 16-bit LDM does
 * not write back a base that it loads). */
static void t16_push(jit_tcx *t, const t32_insn *d)
{
    uint32_t list = bits(d->w, 7, 0) | bits(d->w, 8, 8) << 14;
    as_a32(t, d, 0xe92d0000u | list); /* STMDB sp!, {list} */
}

static void t16_pop(jit_tcx *t, const t32_insn *d)
{
    uint32_t list = bits(d->w, 7, 0) | bits(d->w, 8, 8) << 15;
    as_a32(t, d, 0xe8bd0000u | list); /* LDMIA sp!, {list} */
}

static void t16_ldm_stm(jit_tcx *t, const t32_insn *d)
{
    unsigned rn = bits(d->w, 10, 8);
    uint32_t list = bits(d->w, 7, 0);
    bool load = bit(d->w, 11);
    bool wb = !load || !(list & (1u << rn));
    as_a32(t, d, 0xe8800000u | (uint32_t)wb << 21 | (uint32_t)load << 20 | rn << 16 | list);
}

/* ---- Miscellaneous 16-bit (A6.2.5) -------------------------------------------------- */

/* CBZ/CBNZ Rn, label: forward only, never in an IT block. */
static void t16_cbz(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    if (in_it(d)) { t32_undef(t, d); return; }
    uint32_t target = d->pc + 4 + (bits(d->w, 9, 9) << 6 | bits(d->w, 7, 3) << 1);
    ir_val zero = ir_setcc(b, IR_EQ, reg(t, d, bits(d->w, 2, 0)), k32(b, 0));
    /* CBZ branches when zero, CBNZ when not (always forward). */
    if (jit_branch_forward(t, bit(d->w, 11) ? ir_xor(b, zero, k32(b, 1)) : zero, target)) return;
    uint32_t not_taken = ir_new_label(b);
    ir_brcond(b, bit(d->w, 11) ? zero : ir_xor(b, zero, k32(b, 1)), not_taken);
    ir_goto(b, target);
    ir_label(b, not_taken);
    ir_goto(b, d->pc + 2);
    t->end = true;
}

/* SXTH SXTB UXTH UXTB: the A32 forms without rotation. */
static void t16_extend(jit_tcx *t, const t32_insn *d)
{
    static const uint32_t a32[4] = {0xe6bf0070u, 0xe6af0070u, 0xe6ff0070u, 0xe6ef0070u};
    as_a32(t, d, a32[bits(d->w, 7, 6)] | bits(d->w, 2, 0) << 12 | bits(d->w, 5, 3));
}

/* REV REV16 (op 10 undefined) REVSH. */
static void t16_rev(jit_tcx *t, const t32_insn *d)
{
    static const uint32_t a32[4] = {0xe6bf0f30u, 0xe6bf0fb0u, 0, 0xe6ff0fb0u};
    unsigned op = bits(d->w, 7, 6);
    if (op == 2) { t32_undef(t, d); return; }
    as_a32(t, d, a32[op] | bits(d->w, 2, 0) << 12 | bits(d->w, 5, 3));
}

/* SETEND LE is a no-op; BE is not supported. */
static void t16_setend(jit_tcx *t, const t32_insn *d)
{
    if (bit(d->w, 3)) t32_undef(t, d);
}

static void t16_bkpt(jit_tcx *t, const t32_insn *d) { arm_gen_exception(t, d->pc, ARM_EXC_BKPT, d->pc); }

/* NOP YIELD WFE WFI SEV (hint numbers 0..4; the rest are NOPs). */
static void hint(jit_tcx *t, const t32_insn *d, unsigned h)
{
    if (h == 4) arm_gen_sev(t);
    if (h != 2 && h != 3) return;
    sync_it(t, d);
    arm_gen_wait(t, h == 2, d->pc + d->len);
}

/* CPS (16-bit): im 1 disables, A I F in bits 2..0; a NOP in User mode. */
static void t16_cps(jit_tcx *t, const t32_insn *d)
{
    if (!arm_priv(t)) return;
    sync_it(t, d);
    arm_gen_cps(t, bit(d->w, 4) ? 3 : 2, bits(d->w, 2, 0), false, 0, d->pc + 2);
}

static void t16_hint(jit_tcx *t, const t32_insn *d) { hint(t, d, bits(d->w, 7, 4)); }

/* IT: the translate loop has already taken firstcond:mask as the next
 * ITSTATE; only the UNPREDICTABLE forms are left to refuse. */
static void t16_it(jit_tcx *t, const t32_insn *d)
{
    unsigned firstcond = bits(d->w, 7, 4), mask = bits(d->w, 3, 0);
    if (firstcond == 15 || (firstcond == 14 && __builtin_popcount(mask) != 1) || in_it(d)) t32_undef(t, d);
}

static void t16_svc(jit_tcx *t, const t32_insn *d)
{
    ir_set(t->b, OFF(svc_imm), k32(t->b, bits(d->w, 7, 0)));
    sync_it(t, d);
    arm_gen_exception(t, d->pc, ARM_EXC_SVC, d->pc + 2);
}

/* B<c> label: its own condition, not allowed in an IT block. */
static void t16_bcond(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    if (in_it(d)) { t32_undef(t, d); return; }
    unsigned cond = bits(d->w, 11, 8);
    uint32_t target = d->pc + 4 + (uint32_t)((int32_t)(d->w << 24) >> 23);
    if (jit_branch_forward(t, arm_cond_value(b, cond), target)) return;
    uint32_t not_taken = ir_new_label(b);
    ir_brcond(b, arm_cond_value(b, cond ^ 1), not_taken);
    ir_goto(b, target);
    ir_label(b, not_taken);
    ir_goto(b, d->pc + 2);
    t->end = true;
}

static void t16_b(jit_tcx *t, const t32_insn *d)
{
    uint32_t target = d->pc + 4 + (uint32_t)((int32_t)(d->w << 21) >> 20);
    if (!in_it(d) && jit_branch_forward(t, IR_NONE, target)) return;
    t32_goto(t, d, target);
}

/* ==== 32-bit encodings (A6.3) ======================================================= */

/* ---- Data processing ---------------------------------------------------------------- */

/* ThumbExpandImm_C (A6.3.2): the byte patterns keep C; a rotated constant
 * sets C to its bit 31. */
static uint32_t thumb_expand_imm(uint32_t imm12, bool *rotated)
{
    uint32_t imm8 = imm12 & 0xff;
    *rotated = false;
    if (!(imm12 >> 10)) {
        switch (imm12 >> 8 & 3) {
        case 0: return imm8;
        case 1: return imm8 << 16 | imm8;
        case 2: return imm8 << 24 | imm8 << 8;
        default: return imm8 * 0x01010101u;
        }
    }
    uint32_t v = 0x80 | (imm12 & 0x7f);
    unsigned rot = imm12 >> 7;
    *rotated = true;
    return v >> rot | v << (32 - rot);
}

/* The DP operation of op = 24:21, S = 20, Rn = 19:16, Rd = 11:8 on the
 * second operand m: TST TEQ CMN CMP are Rd = 15 with S, MOV MVN are ORR
 * ORN with Rn = 15. */
static void dp32(jit_tcx *t, const t32_insn *d, ir_val m, ir_val shc)
{
    unsigned op = bits(d->w, 24, 21), rn = bits(d->w, 19, 16), rd = bits(d->w, 11, 8);
    bool s = bit(d->w, 20);
    static const int ops[16] = {ALU_AND, ALU_BIC, ALU_ORR, ALU_ORN, ALU_EOR, -1, -1, -1,
                                ALU_ADD, -1, ALU_ADC, ALU_SBC, -1, ALU_SUB, ALU_RSB, -1};
    int alu_op = ops[op];
    bool test = rd == 15 && s && (op == 0 || op == 4 || op == 8 || op == 13);
    if (alu_op < 0 || (rd == 15 && !test)) { t32_undef(t, d); return; }
    if (rn == 15 && (op == 2 || op == 3)) alu_op = op == 2 ? ALU_MOV : ALU_MVN;
    ir_val n = alu_op == ALU_MOV || alu_op == ALU_MVN ? IR_NONE : reg(t, d, rn);
    ir_val r = alu(t, (enum alu_op)alu_op, n, m, shc, s);
    if (!test) set_reg(t->b, rd, r);
}

static void t32_dp_imm(jit_tcx *t, const t32_insn *d)
{
    bool rotated;
    uint32_t imm = thumb_expand_imm(bits(d->w, 26, 26) << 11 | bits(d->w, 14, 12) << 8 | bits(d->w, 7, 0), &rotated);
    dp32(t, d, k32(t->b, imm), rotated ? k32(t->b, imm >> 31) : IR_NONE);
}

static void t32_dp_reg(jit_tcx *t, const t32_insn *d)
{
    ir_val c;
    unsigned amt = bits(d->w, 14, 12) << 2 | bits(d->w, 7, 6);
    ir_val m = arm_shift_imm(t, reg(t, d, bits(d->w, 3, 0)), bits(d->w, 5, 4), amt, &c);
    dp32(t, d, m, c);
}

/* PKHBT/PKHTB: the A32 word. */
static void t32_pkh(jit_tcx *t, const t32_insn *d)
{
    unsigned amt = bits(d->w, 14, 12) << 2 | bits(d->w, 7, 6);
    as_a32(t, d, 0xe6800010u | bits(d->w, 19, 16) << 16 | bits(d->w, 11, 8) << 12 | amt << 7 |
                     bits(d->w, 5, 5) << 6 | bits(d->w, 3, 0));
}

/* The plain binary immediates: op = 24:20. */
static void t32_plain_imm(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    unsigned op = bits(d->w, 24, 20), rn = bits(d->w, 19, 16), rd = bits(d->w, 11, 8);
    uint32_t imm12 = bits(d->w, 26, 26) << 11 | bits(d->w, 14, 12) << 8 | bits(d->w, 7, 0);
    unsigned imm5 = bits(d->w, 14, 12) << 2 | bits(d->w, 7, 6), low5 = bits(d->w, 4, 0);
    if (rd == 15) { t32_undef(t, d); return; }
    switch (op) {
    case 0x00: /* ADDW, ADR with Rn = 15 */
        set_reg(b, rd, rn == 15 ? k32(b, pc_aligned(d) + imm12) : ir_add(b, reg(t, d, rn), k32(b, imm12)));
        return;
    case 0x0a: /* SUBW, ADR (subtract) */
        set_reg(b, rd, rn == 15 ? k32(b, pc_aligned(d) - imm12) : ir_sub(b, reg(t, d, rn), k32(b, imm12)));
        return;
    case 0x04: /* MOVW: imm4:i:imm3:imm8 */
        set_reg(b, rd, k32(b, rn << 12 | imm12));
        return;
    case 0x0c: /* MOVT */
        set_reg(b, rd, ir_deposit(b, reg(t, d, rd), k32(b, rn << 12 | imm12), 16, 16));
        return;
    }
    if (rn == 15) { t32_undef(t, d); return; }
    switch (op) {
    case 0x10: case 0x12: case 0x18: case 0x1a: { /* SSAT USAT, SSAT16 USAT16 with sh = 1 and no shift */
        bool unsig = op & 8, sh = op & 2;
        if (sh && imm5 == 0) as_a32(t, d, (unsig ? 0xe6e00f30u : 0xe6a00f30u) | (low5 & 15) << 16 | rd << 12 | rn);
        else as_a32(t, d, (unsig ? 0xe6e00010u : 0xe6a00010u) | low5 << 16 | rd << 12 | imm5 << 7 | sh << 6 | rn);
        return;
    }
    case 0x14: as_a32(t, d, 0xe7a00050u | low5 << 16 | rd << 12 | imm5 << 7 | rn); return; /* SBFX */
    case 0x1c: as_a32(t, d, 0xe7e00050u | low5 << 16 | rd << 12 | imm5 << 7 | rn); return; /* UBFX */
    case 0x16: as_a32(t, d, 0xe7c00010u | low5 << 16 | rd << 12 | imm5 << 7 | rn); return; /* BFI */
    }
    t32_undef(t, d);
}

/* BFC is BFI with Rn = 15, which t32_plain_imm refuses above. */
static void t32_bfc(jit_tcx *t, const t32_insn *d)
{
    unsigned imm5 = bits(d->w, 14, 12) << 2 | bits(d->w, 7, 6), rd = bits(d->w, 11, 8);
    if (rd == 15) { t32_undef(t, d); return; }
    as_a32(t, d, 0xe7c0001fu | bits(d->w, 4, 0) << 16 | rd << 12 | imm5 << 7);
}

/* LSL/LSR/ASR/ROR Rd, Rn, Rm: type = 22:21, S = 20. */
static void t32_shift_reg(jit_tcx *t, const t32_insn *d)
{
    unsigned rd = bits(d->w, 11, 8), rn = bits(d->w, 19, 16), rm = bits(d->w, 3, 0);
    if (rd == 15 || rn == 15 || rm == 15) { t32_undef(t, d); return; }
    ir_val c;
    ir_val r = arm_shift_reg(t, reg(t, d, rn), bits(d->w, 22, 21), reg(t, d, rm), &c);
    set_reg(t->b, rd, alu(t, ALU_MOV, IR_NONE, r, c, bit(d->w, 20)));
}

/* SXTAH UXTAH SXTAB16 UXTAB16 SXTAB UXTAB (Rn = 15: no add), op = 22:20. */
static void t32_extend(jit_tcx *t, const t32_insn *d)
{
    static const int a32_op[8] = {3, 7, 0, 4, 2, 6, -1, -1};
    int op = a32_op[bits(d->w, 22, 20)];
    if (op < 0) { t32_undef(t, d); return; }
    as_a32(t, d, 0xe6800070u | (uint32_t)op << 20 | bits(d->w, 19, 16) << 16 | bits(d->w, 11, 8) << 12 |
                     bits(d->w, 5, 4) << 10 | bits(d->w, 3, 0));
}

/* The parallel add/subtract family: op1 = 22:20 (ADD8 ADD16 ASX . SUB8
 * SUB16 SAX), U = 6, kind = 5:4 (plain, Q, H). */
static void t32_parallel(jit_tcx *t, const t32_insn *d)
{
    static const int op2[8] = {4, 0, 1, -1, 7, 3, 2, -1};
    int o = op2[bits(d->w, 22, 20)];
    unsigned kind = bits(d->w, 5, 4) + 1;
    if (o < 0 || kind > 3) { t32_undef(t, d); return; }
    as_a32(t, d, 0xe6000f10u | bits(d->w, 6, 6) << 22 | kind << 20 | bits(d->w, 19, 16) << 16 |
                     bits(d->w, 11, 8) << 12 | (uint32_t)o << 5 | bits(d->w, 3, 0));
}

/* QADD QDADD QSUB QDSUB, REV REV16 RBIT REVSH, SEL, CLZ: op1 = 21:20, op2 = 5:4. */
static void t32_misc_reg(jit_tcx *t, const t32_insn *d)
{
    unsigned op1 = bits(d->w, 21, 20), op2 = bits(d->w, 5, 4);
    uint32_t rn = bits(d->w, 19, 16), rd = bits(d->w, 11, 8), rm = bits(d->w, 3, 0);
    static const uint32_t q[4] = {0xe1000050u, 0xe1400050u, 0xe1200050u, 0xe1600050u};
    static const uint32_t rev[4] = {0xe6bf0f30u, 0xe6bf0fb0u, 0xe6ff0f30u, 0xe6ff0fb0u};
    switch (op1) {
    case 0: as_a32(t, d, q[op2] | rn << 16 | rd << 12 | rm); return;
    case 1: as_a32(t, d, rev[op2] | rd << 12 | rm); return;
    case 2: if (op2 == 0) { as_a32(t, d, 0xe6800fb0u | rn << 16 | rd << 12 | rm); return; } break;
    default: if (op2 == 0) { as_a32(t, d, 0xe16f0f10u | rd << 12 | rm); return; } break;
    }
    t32_undef(t, d);
}

/* ---- Multiplies and divides: the A32 words -------------------------------------------- */

/* MUL MLA MLS, SMLA<x><y>, SMLAD, SMLAW, SMLSD, SMMLA, SMMLS, USADA8 (Ra =
 * 15: the non-accumulating forms): op1 = 22:20, op2 = 5:4. */
static void t32_mul(jit_tcx *t, const t32_insn *d)
{
    unsigned op1 = bits(d->w, 22, 20), op2 = bits(d->w, 5, 4);
    uint32_t rn = bits(d->w, 19, 16), ra = bits(d->w, 15, 12), rd = bits(d->w, 11, 8), rm = bits(d->w, 3, 0);
    uint32_t regs = rd << 16 | ra << 12 | rm << 8 | rn, w;
    bool x = bit(d->w, 5), y = bit(d->w, 4);
    switch (op1) {
    case 0:
        if (op2 == 0) w = ra == 15 ? 0xe0000090u | (regs & ~0xf000u) : 0xe0200090u | regs;
        else if (op2 == 1) w = 0xe0600090u | regs;
        else { t32_undef(t, d); return; }
        break;
    case 1: w = (ra == 15 ? 0xe1600080u | (regs & ~0xf000u) : 0xe1000080u | regs) | y << 6 | x << 5; break;
    case 3:
        if (x) { t32_undef(t, d); return; }
        w = (ra == 15 ? 0xe12000a0u | (regs & ~0xf000u) : 0xe1200080u | regs) | y << 6;
        break;
    case 2: case 4:
        if (x) { t32_undef(t, d); return; }
        w = 0xe7000010u | regs | (op1 == 4) << 6 | y << 5;
        break;
    case 5: case 6:
        if (x) { t32_undef(t, d); return; }
        w = (op1 == 6 ? 0xe75000d0u : 0xe7500010u) | regs | y << 5;
        break;
    default:
        if (op2) { t32_undef(t, d); return; }
        w = 0xe7800010u | regs;
        break;
    }
    as_a32(t, d, w);
}

/* SMULL SDIV UMULL UDIV SMLAL SMLAL<x><y> SMLALD SMLSLD UMLAL UMAAL:
 * op1 = 22:20, op2 = 7:4, RdLo = 15:12, RdHi = 11:8. */
static void t32_mull(jit_tcx *t, const t32_insn *d)
{
    unsigned op1 = bits(d->w, 22, 20), op2 = bits(d->w, 7, 4);
    uint32_t rn = bits(d->w, 19, 16), lo = bits(d->w, 15, 12), hi = bits(d->w, 11, 8), rm = bits(d->w, 3, 0);
    uint32_t regs = hi << 16 | lo << 12 | rm << 8 | rn;
    if ((op1 == 1 || op1 == 3) && op2 == 15 && lo == 15) { /* SDIV UDIV: Rd = 11:8 */
        as_a32(t, d, 0xe710f010u | (op1 == 3) << 21 | hi << 16 | rm << 8 | rn);
        return;
    }
    if (op2 == 0 && !(op1 & 1)) { /* SMULL UMULL SMLAL UMLAL: bit 22 signed, 21 accumulate */
        bool sign = op1 == 0 || op1 == 4, acc = op1 >= 4;
        as_a32(t, d, 0xe0800090u | (uint32_t)sign << 22 | (uint32_t)acc << 21 | regs);
        return;
    }
    if (op1 == 4 && (op2 & 0xc) == 8) { /* SMLAL<x><y> */
        as_a32(t, d, 0xe1400080u | regs | bits(d->w, 4, 4) << 6 | bits(d->w, 5, 5) << 5);
        return;
    }
    if ((op1 == 4 || op1 == 5) && (op2 & 0xe) == 0xc) { /* SMLALD SMLSLD */
        as_a32(t, d, 0xe7400010u | regs | (op1 == 5) << 6 | bits(d->w, 4, 4) << 5);
        return;
    }
    if (op1 == 6 && op2 == 6) { as_a32(t, d, 0xe0400090u | regs); return; } /* UMAAL */
    t32_undef(t, d);
}

/* ---- Branches and miscellaneous control (A6.3.4) -------------------------------------------- */

/* B.W, BL, BLX: S:I1:I2:imm10:imm11:0 with I = NOT(J XOR S). */
static int32_t branch_offset(uint32_t w)
{
    uint32_t s = bit(w, 26), i1 = !(bit(w, 13) ^ s), i2 = !(bit(w, 11) ^ s);
    uint32_t imm = s << 24 | i1 << 23 | i2 << 22 | bits(w, 25, 16) << 12 | bits(w, 10, 0) << 1;
    return (int32_t)(imm << 7) >> 7;
}

static void t32_b(jit_tcx *t, const t32_insn *d)
{
    uint32_t target = d->pc + 4 + (uint32_t)branch_offset(d->w);
    if (!in_it(d) && jit_branch_forward(t, IR_NONE, target)) return;
    t32_goto(t, d, target);
}

static void t32_bl(jit_tcx *t, const t32_insn *d)
{
    set_reg(t->b, 14, k32(t->b, (d->pc + 4) | 1));
    t32_goto(t, d, d->pc + 4 + (uint32_t)branch_offset(d->w));
}

/* BLX <label>: to ARM state at Align(PC, 4) + offset. */
static void t32_blx_imm(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    if (bit(d->w, 0)) { t32_undef(t, d); return; }
    uint32_t target = pc_aligned(d) + (uint32_t)branch_offset(d->w);
    set_reg(b, 14, k32(b, (d->pc + 4) | 1));
    ir_set(b, OFF(thumb), k32(b, 0));
    ir_set(b, OFF(itstate), k32(b, d->next_it));
    ir_set(b, OFF(key_flags), k32(b, (uint32_t)t->flags & ~ARM_KEY_THUMB));
    ir_goto(b, target);
    t->end = true;
}

/* B<c>.W: S:J2:J1:imm6:imm11:0; not in an IT block. */
static void t32_bcond(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    unsigned cond = bits(d->w, 25, 22);
    if (in_it(d) || cond >= 14) { t32_undef(t, d); return; }
    uint32_t imm = bit(d->w, 26) << 20 | bit(d->w, 11) << 19 | bit(d->w, 13) << 18 | bits(d->w, 21, 16) << 12 |
                   bits(d->w, 10, 0) << 1;
    uint32_t target = d->pc + 4 + (uint32_t)((int32_t)(imm << 11) >> 11);
    if (jit_branch_forward(t, arm_cond_value(b, cond), target)) return;
    uint32_t not_taken = ir_new_label(b);
    ir_brcond(b, arm_cond_value(b, cond ^ 1), not_taken);
    ir_goto(b, target);
    ir_label(b, not_taken);
    ir_goto(b, d->pc + 4);
    t->end = true;
}

/* MSR APSR_<nzcvq,g>, Rn: mask = 11:10; in a privileged mode the mask is
 * 11:8 (flags, status, extension, control) and R = 1 writes the SPSR. */
static void t32_msr(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    unsigned rn = bits(d->w, 19, 16), mask = bits(d->w, 11, 10);
    if (arm_priv(t) && rn != 15 && bits(d->w, 11, 8)) {
        if (bit(d->w, 20)) {
            arm_gen_msr_spsr(t, reg(t, d, rn), bits(d->w, 11, 8));
            return;
        }
        if (bits(d->w, 9, 8)) {
            sync_it(t, d);
            arm_gen_msr_cpsr(t, reg(t, d, rn), bits(d->w, 11, 8), d->pc + 4);
            return;
        }
    }
    if (bit(d->w, 20) || rn == 15 || mask == 0) { t32_undef(t, d); return; } /* R = 1: SPSR */
    ir_val v = reg(t, d, rn);
    if (mask & 2) {
        arm_set_nzcv_word(b, v);
        ir_set(b, OFF(qf), ir_extract(b, v, 27, 1));
    }
    if (mask & 1) ir_set(b, OFF(ge), ir_extract(b, v, 16, 4));
}

/* MRS Rd, APSR: the A32 word (R = 1 is SPSR, refused there). */
static void t32_mrs(jit_tcx *t, const t32_insn *d)
{
    as_a32(t, d, 0xe10f0000u | bits(d->w, 20, 20) << 22 | bits(d->w, 11, 8) << 12);
}

static void t32_hint(jit_tcx *t, const t32_insn *d)
{
    if (bits(d->w, 10, 8)) {
        /* CPS.W: imod 10:9, M 8, A I F 7:5, mode 4:0; a NOP in User mode. */
        if (!arm_priv(t)) return;
        sync_it(t, d);
        arm_gen_cps(t, bits(d->w, 10, 9), bits(d->w, 7, 5), bit(d->w, 8), bits(d->w, 4, 0), d->pc + 4);
        return;
    }
    hint(t, d, bits(d->w, 7, 0));
}

/* SUBS PC, LR, #imm8 (ERET is #0): an exception return, privileged only. */
static void t32_subs_pc_lr(jit_tcx *t, const t32_insn *d)
{
    if (!arm_priv(t)) { t32_undef(t, d); return; }
    arm_gen_eret(t, ir_sub(t->b, ir_get(t->b, IR_I32, ARM_REG(14)), k32(t->b, bits(d->w, 7, 0))), d->pc);
}

/* HVC and SMC: PSCI (system mode). */
static void t32_hvc(jit_tcx *t, const t32_insn *d)
{
    sync_it(t, d);
    arm_gen_hvc(t, d->pc, d->pc + 4);
}

static void t32_ldm_stm(jit_tcx *t, const t32_insn *d);

/* RFE and SRS: the A32 operations (DB: P = 1, U = 0; IA: P = 0, U = 1). */
static void t32_rfe_srs(jit_tcx *t, const t32_insn *d)
{
    if (bits(d->w, 24, 23) == 1 || bits(d->w, 24, 23) == 2) { /* LDM/STM with {lr, pc} */
        t32_ldm_stm(t, d);
        return;
    }
    bool ia = bits(d->w, 24, 23) == 3, wb = bit(d->w, 21);
    uint32_t pu = ia ? 1u << 23 : 1u << 24;
    if (bit(d->w, 20)) /* RFE */
        as_a32(t, d, 0xf8100a00u | pu | (uint32_t)wb << 21 | bits(d->w, 19, 16) << 16);
    else               /* SRS */
        as_a32(t, d, 0xf84d0500u | pu | (uint32_t)wb << 21 | bits(d->w, 4, 0));
}

/* CLREX DSB DMB ISB: op = 7:4. */
static void t32_misc_ctl(jit_tcx *t, const t32_insn *d)
{
    switch (bits(d->w, 7, 4)) {
    case 2: ir_set(t->b, OFF(excl_valid), k32(t->b, 0)); return;
    case 4: case 5: case 6: ir_fence(t->b); return;
    }
    t32_undef(t, d);
}

/* ---- Loads and stores -------------------------------------------------------------------- */

/* LDR/STR of every size: S = 24, U = 23 (imm12 form when Rn != 15),
 * size = 22:21, L = 20. Byte and halfword loads to the pc are the
 * preload hints. */
static void t32_ldst_single(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    bool sign = bit(d->w, 24), up = bit(d->w, 23), load = bit(d->w, 20);
    unsigned size = 1u << bits(d->w, 22, 21), rn = bits(d->w, 19, 16), rt = bits(d->w, 15, 12);
    if (size == 8 || (sign && (!load || size == 4))) { t32_undef(t, d); return; }
    ir_val addr, wb = IR_NONE;
    if (rn == 15) { /* literal */
        if (!load) { t32_undef(t, d); return; }
        uint32_t imm = bits(d->w, 11, 0);
        addr = k32(b, up ? pc_aligned(d) + imm : pc_aligned(d) - imm);
    } else if (up) {
        addr = ir_add(b, reg(t, d, rn), k32(b, bits(d->w, 11, 0)));
    } else if (bit(d->w, 11)) { /* imm8 with P U W; 1110 is the T form */
        bool p = bit(d->w, 10), u = bit(d->w, 9), w = bit(d->w, 8);
        if (!p && !w) { t32_undef(t, d); return; }
        ir_val base = reg(t, d, rn), imm = k32(b, bits(d->w, 7, 0));
        ir_val oa = u ? ir_add(b, base, imm) : ir_sub(b, base, imm);
        addr = p ? oa : base;
        if (w) wb = oa;
    } else if (bits(d->w, 11, 6) == 0) { /* [Rn, Rm, LSL #imm2] */
        unsigned rm = bits(d->w, 3, 0);
        if (rm == 15 || rm == 13) { t32_undef(t, d); return; }
        addr = ir_add(b, reg(t, d, rn), ir_shl(b, reg(t, d, rm), k32(b, bits(d->w, 5, 4))));
    } else {
        t32_undef(t, d);
        return;
    }
    if (load && rt == 15 && size < 4) return; /* PLD PLDW PLI */
    ldst(t, d, load, size, sign, rt, addr, rn, wb);
}

/* LDRD/STRD Rt, Rt2, [Rn, #+/-imm8 * 4]{!} and literal: P = 24, U = 23, W = 21. */
static void t32_ldst_dual(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    bool p = bit(d->w, 24), u = bit(d->w, 23), w = bit(d->w, 21), load = bit(d->w, 20);
    unsigned rn = bits(d->w, 19, 16), rt = bits(d->w, 15, 12), rt2 = bits(d->w, 11, 8);
    if ((!p && !w) || rt == 15 || rt2 == 15 || (load && rt == rt2) || (w && (rn == 15 || rn == rt || rn == rt2)))
        { t32_undef(t, d); return; }
    uint32_t imm = bits(d->w, 7, 0) * 4;
    ir_val base = rn == 15 ? k32(b, pc_aligned(d)) : reg(t, d, rn);
    ir_val oa = u ? ir_add(b, base, k32(b, imm)) : ir_sub(b, base, k32(b, imm));
    ir_val addr = p ? oa : base, a2 = ir_add(b, addr, k32(b, 4));
    if (load) {
        /* The second word is aligned when the first is. */
        ir_val v1 = arm_load_a(b, IR_I32, addr, 4);
        ir_val v2 = ir_load(b, IR_I32, a2, 4, false, false, arm_mmu(b));
        if (w) set_reg(b, rn, oa);
        set_reg(b, rt, v1);
        set_reg(b, rt2, v2);
    } else {
        if (rn == 15) { t32_undef(t, d); return; }
        arm_store_a(b, addr, reg(t, d, rt), 4);
        ir_store(b, a2, reg(t, d, rt2), 4, false, arm_mmu(b));
        if (w) set_reg(b, rn, oa);
    }
}

/* LDM/STM (IA, DB) .W: op = 24:23, W = 21, L = 20; the A32 word (LDM with
 * the pc returns, interworking). */
static void t32_ldm_stm(jit_tcx *t, const t32_insn *d)
{
    unsigned op = bits(d->w, 24, 23);
    uint32_t list = bits(d->w, 15, 0);
    bool load = bit(d->w, 20);
    if (op == 0 || op == 3 || bit(d->w, 13) || (!load && (list & 0x8000)) || (list & 0xc000) == 0xc000)
        { t32_undef(t, d); return; }
    bool db = op == 2;
    as_a32(t, d, 0xe8000000u | (uint32_t)db << 24 | (uint32_t)!db << 23 | bits(d->w, 21, 16) << 16 | list);
}

/* LDREX Rt, [Rn, #imm8 * 4] and STREX Rd, Rt, [Rn, #imm8 * 4]. */
static void t32_ldrex(jit_tcx *t, const t32_insn *d)
{
    unsigned rn = bits(d->w, 19, 16), rt = bits(d->w, 15, 12);
    if (rt == 15 || rn == 15) { t32_undef(t, d); return; }
    arm_gen_ldrex(t, ir_add(t->b, reg(t, d, rn), k32(t->b, bits(d->w, 7, 0) * 4)), 4, rt, 0);
}

static void t32_strex(jit_tcx *t, const t32_insn *d)
{
    unsigned rn = bits(d->w, 19, 16), rt = bits(d->w, 15, 12), rd = bits(d->w, 11, 8);
    if (rt == 15 || rn == 15 || rd == 15 || rd == rn || rd == rt) { t32_undef(t, d); return; }
    arm_gen_strex(t, ir_add(t->b, reg(t, d, rn), k32(t->b, bits(d->w, 7, 0) * 4)), 4, rd, rt, 0);
}

/* LDREXB/H/D and STREXB/H/D: size = 5:4 (00 B, 01 H, 11 D with Rt2 = 11:8). */
static void t32_ldrex_bhd(jit_tcx *t, const t32_insn *d)
{
    static const unsigned sizes[4] = {1, 2, 0, 8};
    unsigned size = sizes[bits(d->w, 5, 4)], rn = bits(d->w, 19, 16), rt = bits(d->w, 15, 12);
    unsigned rt2 = bits(d->w, 11, 8);
    if (!size || rt == 15 || rn == 15 || (size == 8 ? rt2 == 15 || rt2 == rt : rt2 != 15)) { t32_undef(t, d); return; }
    arm_gen_ldrex(t, reg(t, d, rn), size, rt, rt2);
}

static void t32_strex_bhd(jit_tcx *t, const t32_insn *d)
{
    static const unsigned sizes[4] = {1, 2, 0, 8};
    unsigned size = sizes[bits(d->w, 5, 4)], rn = bits(d->w, 19, 16), rt = bits(d->w, 15, 12);
    unsigned rt2 = bits(d->w, 11, 8), rd = bits(d->w, 3, 0);
    if (!size || rt == 15 || rn == 15 || rd == 15 || rd == rn || rd == rt || (size == 8 && (rt2 == 15 || rd == rt2)))
        { t32_undef(t, d); return; }
    arm_gen_strex(t, reg(t, d, rn), size, rd, rt, rt2);
}

/* TBB [Rn, Rm] / TBH [Rn, Rm, LSL #1]: a forward branch by twice the entry. */
static void t32_tbb(jit_tcx *t, const t32_insn *d)
{
    ir_block *b = t->b;
    bool half = bit(d->w, 4);
    unsigned rn = bits(d->w, 19, 16), rm = bits(d->w, 3, 0);
    if (rm == 15 || rm == 13) { t32_undef(t, d); return; }
    ir_val m = reg(t, d, rm);
    if (half) m = ir_shl(b, m, k32(b, 1));
    ir_val v = ir_load(b, IR_I32, ir_add(b, reg(t, d, rn), m), half ? 2 : 1, false, false, arm_mmu(b));
    sync_it(t, d);
    ir_jump(b, ir_add(b, k32(b, d->pc + 4), ir_shl(b, v, k32(b, 1))));
    t->end = true;
}

/* ---- Coprocessors ------------------------------------------------------------------------- */

/* 111T 11xx: the A32 word with cond 111T. Coprocessors 10 and 11 are VFP
 * (undefined until translate_vfp.c is linked), 15 the thread ID registers
 * and barriers (MRC/MCR only). */
static void t32_coproc(jit_tcx *t, const t32_insn *d)
{
    unsigned cp = bits(d->w, 11, 8);
    if (cp == 10 || cp == 11) {
        if (arm_translate_vfp && arm_translate_vfp(t, d->w, true)) return;
    } else if (cp == 15 && bits(d->w, 31, 24) == 0xee && bit(d->w, 4)) {
        as_a32(t, d, d->w);
        return;
    }
    t32_undef(t, d);
}

/* ==== The decoder tables ============================================================== */

#define INST16(fn, name, pat) {PAT16(pat, PAT_FIX) + PAT_LEN_OK(pat, 16), PAT16(pat, PAT_ONE), name, fn}
#define INST32(fn, name, pat) {PAT32(pat, PAT_FIX) + PAT_LEN_OK(pat, 32), PAT32(pat, PAT_ONE), name, fn}

typedef struct t32_row {
    uint32_t mask, value;
    const char *name;
    t32_fn fn;
} t32_row;

/* First match wins: specific rows before general ones. */
static const t32_row t16_table[] = {
    INST16(t16_addsub3,    "ADD/SUB (3 regs, imm3)", "00011xxxxxxxxxxx"),
    INST16(t16_shift_imm,  "LSL/LSR/ASR (imm)",      "000ooiiiiimmmddd"),
    INST16(t16_imm8,       "MOV/CMP/ADD/SUB (imm8)", "001oodddiiiiiiii"),
    INST16(t16_dp,         "data processing",        "010000oooommmddd"),
    INST16(t16_bx,         "BX/BLX (reg)",           "01000111Lmmmm000"),
    INST16(t32_undef,      "BX/BLX (reg)",           "01000111xxxxxxxx"),
    INST16(t16_hireg,      "ADD/CMP/MOV (high)",     "010001ooDmmmmddd"),
    INST16(t16_ldr_lit,    "LDR (literal)",          "01001tttiiiiiiii"),
    INST16(t16_ldst_reg,   "LDR/STR (reg)",          "0101ooommmnnnttt"),
    INST16(t16_ldst_wb,    "LDR/STR{B} (imm)",       "011BLiiiiinnnttt"),
    INST16(t16_ldst_half,  "LDRH/STRH (imm)",        "1000Liiiiinnnttt"),
    INST16(t16_ldst_sp,    "LDR/STR (SP)",           "1001Ltttiiiiiiii"),
    INST16(t16_adr_addsp,  "ADR/ADD (SP)",           "1010Sdddiiiiiiii"),
    INST16(t16_sp_adjust,  "ADD/SUB SP, SP",         "10110000Siiiiiii"),
    INST16(t16_cbz,        "CBZ/CBNZ",               "1011o0i1iiiiinnn"),
    INST16(t16_extend,     "SXTH/SXTB/UXTH/UXTB",    "10110010oommmddd"),
    INST16(t16_push,       "PUSH",                   "1011010Mrrrrrrrr"),
    INST16(t16_setend,     "SETEND",                 "101101100101Exxx"),
    INST16(t16_cps,        "CPS",                    "10110110011i0aif"),
    INST16(t16_rev,        "REV/REV16/REVSH",        "10111010oommmddd"),
    INST16(t16_pop,        "POP",                    "1011110Prrrrrrrr"),
    INST16(t16_bkpt,       "BKPT",                   "10111110iiiiiiii"),
    INST16(t16_hint,       "NOP/YIELD/WFE/WFI/SEV",  "10111111hhhh0000"),
    INST16(t16_it,         "IT",                     "10111111ccccmmmm"),
    INST16(t16_ldm_stm,    "STM/LDM",                "1100Lnnnrrrrrrrr"),
    INST16(t32_undef,      "UDF",                    "11011110iiiiiiii"),
    INST16(t16_svc,        "SVC",                    "11011111iiiiiiii"),
    INST16(t16_bcond,      "B<c>",                   "1101cccciiiiiiii"),
    INST16(t16_b,          "B",                      "11100iiiiiiiiiii"),
};

static const t32_row t32_table[] = {
    /* Load/store multiple, dual, exclusive, table branch (op1 = 01). */
    INST32(t32_strex,      "STREX",             "111010000100nnnnttttddddiiiiiiii"),
    INST32(t32_ldrex,      "LDREX",             "111010000101nnnntttt1111iiiiiiii"),
    INST32(t32_tbb,        "TBB/TBH",           "111010001101nnnn11110000000hmmmm"),
    INST32(t32_strex_bhd,  "STREXB/H/D",        "111010001100nnnnttttTTTT01ssdddd"),
    INST32(t32_ldrex_bhd,  "LDREXB/H/D",        "111010001101nnnnttttTTTT01ss1111"),
    INST32(t32_ldst_dual,  "LDRD/STRD",         "1110100PU1WLnnnnttttTTTTiiiiiiii"),
    INST32(t32_rfe_srs,    "RFEDB/RFEIA",       "1110100xx0W1nnnn1100000000000000"),
    INST32(t32_rfe_srs,    "SRSDB/SRSIA",       "1110100xx0W0110111000000000mmmmm"),
    INST32(t32_ldm_stm,    "LDM/STM/PUSH/POP",  "1110100oo0WLnnnnrrrrrrrrrrrrrrrr"),
    /* Data processing, shifted register. */
    INST32(t32_pkh,        "PKHBT/PKHTB",       "111010101100nnnn0iiiddddiit0mmmm"),
    INST32(t32_dp_reg,     "DP (shifted reg)",  "1110101ooooSnnnn0iiiddddiittmmmm"),
    /* Coprocessors. */
    INST32(t32_coproc,     "coprocessor",       "111x11xxxxxxxxxxxxxxxxxxxxxxxxxx"),
    /* Branches and miscellaneous control (op1 = 10, op = 1). */
    INST32(t32_msr,        "MSR (reg)",         "11110011100Rnnnn10x0mmxxxxxxxxxx"),
    INST32(t32_hint,       "hints",             "111100111010xxxx10x0xoooiiiiiiii"),
    INST32(t32_misc_ctl,   "CLREX/DSB/DMB/ISB", "111100111011xxxx10x0xxxxooooxxxx"),
    INST32(t32_mrs,        "MRS",               "11110011111Rxxxx10x0ddddxxxxxxxx"),
    INST32(t32_subs_pc_lr, "SUBS PC, LR",       "111100111101111010001111iiiiiiii"),
    INST32(t32_hvc,        "HVC",               "111101111110iiii1000iiiiiiiiiiii"),
    INST32(t32_hvc,        "SMC",               "111101111111iiii1000000000000000"),
    INST32(t32_undef,      "BXJ/ERET/SMC/UDF",  "11110x111xxxxxxx10x0xxxxxxxxxxxx"),
    INST32(t32_bcond,      "B<c>.W",            "11110Scccciiiiii10J0Jiiiiiiiiiii"),
    INST32(t32_b,          "B.W",               "11110Siiiiiiiiii10J1Jiiiiiiiiiii"),
    INST32(t32_blx_imm,    "BLX (imm)",         "11110Siiiiiiiiii11J0Jiiiiiiiiiii"),
    INST32(t32_bl,         "BL",                "11110Siiiiiiiiii11J1Jiiiiiiiiiii"),
    /* Data processing, immediates (op1 = 10, op = 0). */
    INST32(t32_dp_imm,     "DP (modified imm)", "11110i0ooooSnnnn0iiiddddiiiiiiii"),
    INST32(t32_bfc,        "BFC",               "11110x11011011110iiiddddiixmmmmm"),
    INST32(t32_plain_imm,  "ADDW/MOVW/SSAT..",  "11110i1ooooonnnn0iiiddddiiiiiiii"),
    /* Loads and stores of one register (op1 = 11). */
    INST32(t32_ldst_single,"LDR/STR (all)",     "1111100SUzzLnnnnttttxxxxxxxxxxxx"),
    /* Data processing, register. */
    INST32(t32_shift_reg,  "LSL/LSR/ASR/ROR",   "111110100ttSnnnn1111dddd0000mmmm"),
    INST32(t32_extend,     "SXTAH..UXTAB",      "111110100ooonnnn1111dddd10rrmmmm"),
    INST32(t32_misc_reg,   "QADD/REV/SEL/CLZ",  "1111101010oonnnn1111dddd10oommmm"),
    INST32(t32_parallel,   "SADD16..UHSUB8",    "111110101ooonnnn1111dddd0Ukkmmmm"),
    INST32(t32_mul,        "MUL/MLA/SMLA..",    "111110110ooonnnnaaaadddd00oommmm"),
    INST32(t32_mull,       "SMULL/SDIV/UMAAL..","111110111ooonnnnllllhhhhoooommmm"),
};

static t32_fn decode(const t32_row *rows, size_t n, uint32_t w)
{
    for (size_t i = 0; i < n; i++)
        if ((w & rows[i].mask) == rows[i].value) return rows[i].fn;
    return t32_undef;
}

void arm_translate_t32(jit_tcx *t)
{
    uint32_t hw1, hw2 = 0;
    if (!jit_fetch(t, t->pc, 2, &hw1)) return;
    bool wide = hw1 >> 11 >= 0x1d;
    /* The halves are fetched apart: a 32-bit instruction may cross a page. */
    if (wide && !jit_fetch(t, t->pc + 2, 2, &hw2)) return;
    ir_block *b = t->b;
    unsigned it = ARM_KEY_ITSTATE(t->flags);
    t32_insn d = {.w = wide ? hw1 << 16 | hw2 : hw1, .pc = (uint32_t)t->pc, .len = wide ? 4 : 2, .it = it};
    ir_insn_start(b, t->pc, it);
    t32_fn fn = wide ? decode(t32_table, sizeof t32_table / sizeof *t32_table, d.w)
                     : decode(t16_table, sizeof t16_table / sizeof *t16_table, d.w);
    /* IT sets ITSTATE to firstcond:mask; everything else advances it. */
    d.next_it = fn == t16_it && !it ? bits(d.w, 7, 0) : it_advance(it);
    t->flags = (t->flags & ~0x1feull) | (uint64_t)d.next_it << 1;
    unsigned cond = it ? it >> 4 : 14;
    if (cond >= 14) {
        fn(t, &d);
        if (!t->end) sync_it(t, &d);
    } else {
        /* A failed condition skips the instruction (A8.3), ITSTATE advances
         * either way. */
        uint32_t skip = ir_new_label(b);
        ir_brcond(b, arm_cond_value(b, cond ^ 1), skip);
        ir_val branch = b->n - 1;
        fn(t, &d);
        if (t->end || !ir_predicate(b, branch)) ir_label(b, skip);
        sync_it(t, &d);
        if (t->end) ir_goto(b, d.pc + d.len);
    }
    t->pc += d.len;
}
