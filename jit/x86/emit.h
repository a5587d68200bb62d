/* x86-64 machine-code emitter for the JIT back end: the instruction forms the
 * code generator needs, each encoded exactly as GNU as encodes its mnemonic. */
#ifndef LOOM_JIT_X86_EMIT_H
#define LOOM_JIT_X86_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Code buffer ---------------------------------------------------------
 * Every call appends one whole instruction or nothing. An instruction that
 * does not fit sets overflow and is dropped; overflow is sticky, so nothing
 * after it is written either and the buffer never holds a torn sequence. The
 * caller checks overflow once at the end of a block (flush the cache, retry).
 *
 * Branch targets are addresses in the same view as the buffer: only the
 * distance is encoded. With a write view and an execute view of one code
 * cache, express an outside target (a helper function) in the write view,
 * target - (exec_base - write_base). */
typedef struct x86_buf {
    uint8_t *start, *p, *end;
    bool overflow;
} x86_buf;

void x86_buf_init(x86_buf *b, void *mem, size_t size);

static inline size_t x86_buf_len(const x86_buf *b)
{
    return (size_t)(b->p - b->start);
}

/* ---- Operands ------------------------------------------------------------
 * Sizes are in bits: 8, 16, 32 or 64. At size 8, registers 4..7 are SPL, BPL,
 * SIL and DIL (a REX prefix is added); AH..BH are never used. */
enum {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};
enum {
    X86_XMM0, X86_XMM1, X86_XMM2, X86_XMM3, X86_XMM4, X86_XMM5, X86_XMM6, X86_XMM7,
    X86_XMM8, X86_XMM9, X86_XMM10, X86_XMM11, X86_XMM12, X86_XMM13, X86_XMM14, X86_XMM15,
};
#define X86_NOREG (-1) /* x86_mem: no base, or no index */
#define X86_RIP (-2)   /* x86_mem base: disp is relative to the next instruction */

/* Condition codes in hardware order (the low nibble of Jcc/SETcc/CMOVcc);
 * cc ^ 1 is the opposite condition. */
typedef enum x86_cc {
    X86_CC_O, X86_CC_NO, X86_CC_B, X86_CC_AE, X86_CC_E, X86_CC_NE, X86_CC_BE, X86_CC_A,
    X86_CC_S, X86_CC_NS, X86_CC_P, X86_CC_NP, X86_CC_L, X86_CC_GE, X86_CC_LE, X86_CC_G,
    X86_CC_C = X86_CC_B, X86_CC_NC = X86_CC_AE, X86_CC_Z = X86_CC_E, X86_CC_NZ = X86_CC_NE,
} x86_cc;

/* [base + index*scale + disp]. base may be X86_NOREG (absolute disp32,
 * sign-extended) or X86_RIP; index may be X86_NOREG and is never RSP. scale
 * is 1, 2, 4 or 8 and ignored without an index. */
typedef struct x86_mem {
    int base;
    int index;
    uint8_t scale;
    int32_t disp;
} x86_mem;

static inline x86_mem x86_mem_base(int base, int32_t disp)
{
    return (x86_mem){ base, X86_NOREG, 1, disp };
}
static inline x86_mem x86_mem_sib(int base, int index, unsigned scale, int32_t disp)
{
    return (x86_mem){ base, index, (uint8_t)scale, disp };
}
static inline x86_mem x86_mem_rip(int32_t disp)
{
    return (x86_mem){ X86_RIP, X86_NOREG, 1, disp };
}
static inline x86_mem x86_mem_abs(int32_t addr)
{
    return (x86_mem){ X86_NOREG, X86_NOREG, 1, addr };
}

/* ---- Integer ALU ---------------------------------------------------------
 * The eight classic two-operand operations; the value is ModRM.reg of the
 * 0x80..0x83 group and opcode >> 3 of the register forms. */
typedef enum x86_alu {
    X86_ADD, X86_OR, X86_ADC, X86_SBB, X86_AND, X86_SUB, X86_XOR, X86_CMP,
} x86_alu;

/* dst op= src. reg,reg uses the "r/m, reg" opcode (01, 09, ...), as GNU as. */
void x86_alu_rr(x86_buf *b, x86_alu op, unsigned size, int dst, int src);
/* dst op= imm: 83 /op ib when imm fits in a sign-extended byte, else the
 * accumulator short form (04/05 + 8*op) for AL/AX/EAX/RAX, else 80/81.
 * At sizes 8 and 16 imm is truncated; at 64 it is sign-extended. */
void x86_alu_ri(x86_buf *b, x86_alu op, unsigned size, int dst, int32_t imm);
void x86_alu_rm(x86_buf *b, x86_alu op, unsigned size, int dst, x86_mem src);
void x86_alu_mr(x86_buf *b, x86_alu op, unsigned size, x86_mem dst, int src);
void x86_alu_mi(x86_buf *b, x86_alu op, unsigned size, x86_mem dst, int32_t imm);

void x86_test_rr(x86_buf *b, unsigned size, int r1, int r2);
/* No sign-extended imm8 form exists: A8/A9 for the accumulator, else F6/F7. */
void x86_test_ri(x86_buf *b, unsigned size, int r, int32_t imm);
void x86_test_mi(x86_buf *b, unsigned size, x86_mem m, int32_t imm);

void x86_neg(x86_buf *b, unsigned size, int r);
void x86_not(x86_buf *b, unsigned size, int r);
void x86_inc(x86_buf *b, unsigned size, int r);
void x86_dec(x86_buf *b, unsigned size, int r);

/* One-operand forms on RDX:RAX (AX at size 8): mul, imul, div, idiv. */
void x86_mul(x86_buf *b, unsigned size, int src);
void x86_imul1(x86_buf *b, unsigned size, int src);
void x86_div(x86_buf *b, unsigned size, int src);
void x86_idiv(x86_buf *b, unsigned size, int src);
/* dst = dst * src, and dst = src * imm (6B ib when imm fits a byte, else 69);
 * sizes 16, 32, 64. */
void x86_imul_rr(x86_buf *b, unsigned size, int dst, int src);
void x86_imul_rm(x86_buf *b, unsigned size, int dst, x86_mem src);
void x86_imul_rri(x86_buf *b, unsigned size, int dst, int src, int32_t imm);

void x86_cwd(x86_buf *b);  /* DX:AX = sign extension of AX */
void x86_cdq(x86_buf *b);  /* EDX:EAX = sign extension of EAX */
void x86_cqo(x86_buf *b);  /* RDX:RAX = sign extension of RAX */
void x86_cdqe(x86_buf *b); /* RAX = sign extension of EAX */

/* ---- Moves ---------------------------------------------------------------*/
void x86_mov_rr(x86_buf *b, unsigned size, int dst, int src);
/* Size 8/16/32: B0+r / B8+r with imm truncated to the size (mov r32 zeroes
 * bits 63:32). Size 64: REX.W C7 /0 with a sign-extended imm32; imm must fit
 * in int32 (GNU as `mov r64, imm` for such values). */
void x86_mov_ri(x86_buf *b, unsigned size, int dst, int64_t imm);
/* REX.W B8+r imm64, always ten bytes (GNU as `movabs r64, imm`). */
void x86_movabs(x86_buf *b, int dst, uint64_t imm);
/* The shortest way to set a 64-bit register to v: xor r32,r32 for 0 (this
 * one clobbers the flags), mov r32,imm32 when v fits in 32 unsigned bits,
 * C7 when it fits sign-extended, movabs otherwise. */
void x86_load_imm(x86_buf *b, int dst, uint64_t v);
/* The same without xor: leaves the flags alone. */
void x86_load_imm_keep_flags(x86_buf *b, int dst, uint64_t v);

void x86_mov_rm(x86_buf *b, unsigned size, int dst, x86_mem src);
void x86_mov_mr(x86_buf *b, unsigned size, x86_mem dst, int src);
/* C6/C7 /0; at size 64 imm is sign-extended. */
void x86_mov_mi(x86_buf *b, unsigned size, x86_mem dst, int32_t imm);

/* Zero/sign extension from ssize to dsize. ssize 8 (dsize 16/32/64) and 16
 * (dsize 32/64) use movzx/movsx; ssize 32 with dsize 64 is `mov r32, r32`
 * for movzx (writes zero bits 63:32) and movsxd for movsx. */
void x86_movzx_rr(x86_buf *b, unsigned dsize, unsigned ssize, int dst, int src);
void x86_movzx_rm(x86_buf *b, unsigned dsize, unsigned ssize, int dst, x86_mem src);
void x86_movsx_rr(x86_buf *b, unsigned dsize, unsigned ssize, int dst, int src);
void x86_movsx_rm(x86_buf *b, unsigned dsize, unsigned ssize, int dst, x86_mem src);

/* Address arithmetic, sizes 16/32/64 (the address is always computed in 64
 * bits and truncated). */
void x86_lea(x86_buf *b, unsigned size, int dst, x86_mem src);

/* ---- Shifts, rotates, bits -----------------------------------------------*/
typedef enum x86_shift {
    X86_ROL, X86_ROR, X86_RCL, X86_RCR, X86_SHL, X86_SHR, X86_SAR = 7,
} x86_shift;

/* By an immediate count: D0/D1 (the "by 1" opcode) when count is 1, as GNU
 * as does, else C0/C1 ib. */
void x86_shift_ri(x86_buf *b, x86_shift op, unsigned size, int r, uint8_t count);
void x86_shift_cl(x86_buf *b, x86_shift op, unsigned size, int r);
/* Double shifts dst:src, sizes 16/32/64. */
void x86_shld_ri(x86_buf *b, unsigned size, int dst, int src, uint8_t count);
void x86_shrd_ri(x86_buf *b, unsigned size, int dst, int src, uint8_t count);
void x86_shld_cl(x86_buf *b, unsigned size, int dst, int src);
void x86_shrd_cl(x86_buf *b, unsigned size, int dst, int src);

/* Byte swap. Size 32/64 is bswap (flags unchanged); size 16 is `rol r16, 8`
 * since bswap r16 is undefined, and it writes CF and OF. */
void x86_bswap(x86_buf *b, unsigned size, int r);

/* Bit scans and counts, sizes 16/32/64; the value is the opcode with its
 * mandatory prefix. bsf/bsr leave dst unchanged (and set ZF) for a zero
 * source; tzcnt/lzcnt need BMI1/LZCNT and return the operand size. */
typedef enum x86_bitcount {
    X86_BSF = 0x0FBC, X86_BSR = 0x0FBD,
    X86_TZCNT = 0xF30FBC, X86_LZCNT = 0xF30FBD, X86_POPCNT = 0xF30FB8,
} x86_bitcount;
void x86_bitcount_rr(x86_buf *b, x86_bitcount op, unsigned size, int dst, int src);
void x86_bitcount_rm(x86_buf *b, x86_bitcount op, unsigned size, int dst, x86_mem src);

/* Bit test and modify (ModRM.reg of 0F BA), sizes 16/32/64. */
typedef enum x86_bt { X86_BT = 4, X86_BTS, X86_BTR, X86_BTC } x86_bt;
void x86_bt_ri(x86_buf *b, x86_bt op, unsigned size, int r, uint8_t bit);
void x86_bt_rr(x86_buf *b, x86_bt op, unsigned size, int r, int bit);
void x86_bt_mi(x86_buf *b, x86_bt op, unsigned size, x86_mem m, uint8_t bit);

/* SETcc r8, and SETcc followed by movzx r32, r8 (a 0/1 value in all 64
 * bits). The pair writes the byte register first, so r may be any register. */
void x86_setcc(x86_buf *b, x86_cc cc, int r);
void x86_setcc_zx(x86_buf *b, x86_cc cc, int r);
/* CMOVcc, sizes 16/32/64; at 32 the destination's upper half is zeroed even
 * when the condition is false. */
void x86_cmov_rr(x86_buf *b, x86_cc cc, unsigned size, int dst, int src);
void x86_cmov_rm(x86_buf *b, x86_cc cc, unsigned size, int dst, x86_mem src);

/* ---- Control flow --------------------------------------------------------
 * A function with a target encodes the distance to it, which must fit the
 * field (asserted). A _fwd function emits a zero displacement and returns the
 * address of the field to hand to x86_patch_rel32/rel8 later; it returns NULL
 * if the buffer overflowed, and patching NULL does nothing. */
void x86_jmp(x86_buf *b, const void *target);               /* E9 rel32 */
void x86_jmp8(x86_buf *b, const void *target);              /* EB rel8 */
void x86_jcc(x86_buf *b, x86_cc cc, const void *target);    /* 0F 80+cc rel32 */
void x86_jcc8(x86_buf *b, x86_cc cc, const void *target);   /* 70+cc rel8 */
void x86_call(x86_buf *b, const void *target);              /* E8 rel32 */
uint8_t *x86_jmp_fwd(x86_buf *b);
uint8_t *x86_jmp8_fwd(x86_buf *b);
uint8_t *x86_jcc_fwd(x86_buf *b, x86_cc cc);
uint8_t *x86_jcc8_fwd(x86_buf *b, x86_cc cc);
uint8_t *x86_call_fwd(x86_buf *b);
/* Rewrite a field so its branch reaches target. False (and nothing written)
 * when the distance does not fit. */
bool x86_patch_rel32(uint8_t *field, const void *target);
bool x86_patch_rel8(uint8_t *field, const void *target);
/* True when a rel32 branch emitted next (at most 6 bytes long) reaches
 * target; the caller uses it to choose between x86_call and x86_call_abs. */
bool x86_rel32_reaches(const x86_buf *b, const void *target);
/* call target, through scratch (movabs + call reg) if rel32 cannot reach. */
void x86_call_abs(x86_buf *b, const void *target, int scratch);

void x86_call_r(x86_buf *b, int r);
void x86_call_m(x86_buf *b, x86_mem m);
void x86_jmp_r(x86_buf *b, int r);
void x86_jmp_m(x86_buf *b, x86_mem m);
void x86_ret(x86_buf *b);
void x86_stc(x86_buf *b); /* CF = 1 */
void x86_cmc(x86_buf *b); /* CF = !CF */
void x86_push(x86_buf *b, int r);
void x86_pop(x86_buf *b, int r);
/* n bytes of no-ops, as GNU as `.nops n`: 11-byte NOPs first, then one
 * of the recommended 1..11-byte forms for the rest. */
void x86_nop(x86_buf *b, unsigned n);
void x86_int3(x86_buf *b);
void x86_ud2(x86_buf *b);

/* ---- Atomics and fences --------------------------------------------------*/
void x86_xchg_mr(x86_buf *b, unsigned size, x86_mem m, int r); /* locked implicitly */
void x86_lock_cmpxchg(x86_buf *b, unsigned size, x86_mem m, int r);
void x86_lock_xadd(x86_buf *b, unsigned size, x86_mem m, int r);
/* lock add/or/adc/sbb/and/sub/xor [m], r (X86_CMP cannot be locked). */
void x86_lock_alu_mr(x86_buf *b, x86_alu op, unsigned size, x86_mem m, int r);
void x86_mfence(x86_buf *b);
void x86_lfence(x86_buf *b);
void x86_sfence(x86_buf *b);

/* ---- SSE2 scalar floating point ------------------------------------------
 * The value is the mandatory prefix (if any), 0F and the opcode byte. */
typedef enum x86_sse_op {
    X86_MOVSS = 0xF30F10, X86_MOVSD = 0xF20F10,
    X86_SQRTSS = 0xF30F51, X86_SQRTSD = 0xF20F51,
    X86_ADDSS = 0xF30F58, X86_ADDSD = 0xF20F58,
    X86_MULSS = 0xF30F59, X86_MULSD = 0xF20F59,
    X86_CVTSS2SD = 0xF30F5A, X86_CVTSD2SS = 0xF20F5A,
    X86_SUBSS = 0xF30F5C, X86_SUBSD = 0xF20F5C,
    X86_MINSS = 0xF30F5D, X86_MINSD = 0xF20F5D,
    X86_DIVSS = 0xF30F5E, X86_DIVSD = 0xF20F5E,
    X86_MAXSS = 0xF30F5F, X86_MAXSD = 0xF20F5F,
    X86_UCOMISS = 0x0F2E, X86_UCOMISD = 0x660F2E,
    X86_COMISS = 0x0F2F, X86_COMISD = 0x660F2F,
    X86_ANDPS = 0x0F54, X86_ANDPD = 0x660F54,
    X86_ANDNPS = 0x0F55, X86_ANDNPD = 0x660F55,
    X86_ORPS = 0x0F56, X86_ORPD = 0x660F56,
    X86_XORPS = 0x0F57, X86_XORPD = 0x660F57,
    X86_PXOR = 0x660FEF,
} x86_sse_op;

/* dst = dst op src (movss/movsd: a load; between registers only the low
 * element moves). The memory form of the packed logic ops needs 16-byte
 * alignment. */
void x86_sse_rr(x86_buf *b, x86_sse_op op, int dst, int src);
void x86_sse_rm(x86_buf *b, x86_sse_op op, int dst, x86_mem src);
void x86_movss_mr(x86_buf *b, x86_mem dst, int src);
void x86_movsd_mr(x86_buf *b, x86_mem dst, int src);
/* movd (size 32) / movq (size 64) between an XMM and a general register. */
void x86_movd_xr(x86_buf *b, unsigned size, int xmm, int gpr);
void x86_movd_rx(x86_buf *b, unsigned size, int gpr, int xmm);

/* Conversions between an XMM and a size-bit integer (32 or 64). The t forms
 * truncate toward zero; the others use MXCSR rounding. */
typedef enum x86_cvt {
    X86_CVTSI2SS = 0xF30F2A, X86_CVTSI2SD = 0xF20F2A,   /* xmm <- int */
    X86_CVTTSS2SI = 0xF30F2C, X86_CVTTSD2SI = 0xF20F2C, /* int <- xmm */
    X86_CVTSS2SI = 0xF30F2D, X86_CVTSD2SI = 0xF20F2D,
} x86_cvt;
void x86_cvt_rr(x86_buf *b, x86_cvt op, unsigned size, int dst, int src);
void x86_cvt_rm(x86_buf *b, x86_cvt op, unsigned size, int dst, x86_mem src);

#ifdef __cplusplus
}
#endif

#endif
