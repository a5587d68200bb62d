/* What the VFP translator (translate_vfp.c) and its helper (vfp_helper.c)
 * share: the operations of the ARM_H_VFP helper and the FPSCR bits. */
#ifndef LOOM_CPU_ARM_VFP_H
#define LOOM_CPU_ARM_VFP_H

#include "translate.h"

/* FPSCR (ARM ARM B6.1.49 / A2.7.4). */
enum {
    FPSCR_IOC = 1u << 0, FPSCR_DZC = 1u << 1, FPSCR_OFC = 1u << 2, FPSCR_UFC = 1u << 3,
    FPSCR_IXC = 1u << 4, FPSCR_IDC = 1u << 7,
    FPSCR_RMODE_SHIFT = 22,
    FPSCR_FZ = 1u << 24, FPSCR_DN = 1u << 25, FPSCR_AHP = 1u << 26,
    /* What VMSR writes: NZCV, AHP, DN, FZ, RMode and the cumulative flags.
     * Cortex-A15 traps no exception (the enables are RAZ/WI), has no short
     * vectors (Len and Stride RAZ/WI here) and, without Advanced SIMD, no QC. */
    FPSCR_WRITABLE = 0xf0000000u | FPSCR_AHP | FPSCR_DN | FPSCR_FZ | 3u << FPSCR_RMODE_SHIFT | 0x9fu,
};

/* Identification registers of a Cortex-A15 with VFPv4-D32 and no Advanced
 * SIMD: MVFR0 says 32 double registers, single and double precision,
 * divide, square root, no short vectors, no trapping; MVFR1 fused
 * multiply-add (VFPv4), half-precision conversion, default NaN and
 * flush-to-zero, and none of the Advanced SIMD fields (23:8) set. */
#define ARM_FPSID 0x410430f0u
#define ARM_MVFR0 0x10110222u
#define ARM_MVFR1 0x11000011u

/* ARM_H_VFP (op, d, n, m, imm): op bits 7:0 the operation, bit 8 double
 * precision; d, n, m register numbers (S or D by precision, see each
 * operation); the helper reads and writes the registers and FPSCR in the
 * state. */
enum {
    VFP_ADD, VFP_SUB, VFP_MUL, VFP_NMUL, VFP_DIV,
    VFP_MLA, VFP_MLS, VFP_NMLA, VFP_NMLS,      /* chained: multiply, round, add */
    VFP_FMA, VFP_FMS, VFP_FNMA, VFP_FNMS,      /* fused */
    VFP_SQRT,
    VFP_CMP,        /* d vs m; imm bit 0: E (quiet NaNs raise too), bit 1: with +0 */
    VFP_CVT_PREC,   /* d (other precision) = m; bit 8: m is double */
    VFP_TO_INT,     /* S[d] = m; imm bit 0 unsigned, bit 1 round towards zero */
    VFP_FROM_INT,   /* d = S[m]; imm bit 0 unsigned */
    VFP_TO_FIXED,   /* d = d; imm bits 5:0 fraction bits, bit 8 unsigned, bit 9 16-bit */
    VFP_FROM_FIXED, /* likewise */
    VFP_CVT_HALF,   /* S[d] = S[m]; imm bit 0: top half (VCVTT), bit 1: to half */
};
#define VFP_DP 0x100u

uint64_t arm_vfp_helper(jit_cpu *c, uint64_t op, uint64_t d, uint64_t n, uint64_t m, uint64_t imm);

/* ARM_H_VFP_CHECKED (arg, a, b): one step of VFP arithmetic on values, the
 * result returned and FPSCR's flags set, for checked operations whose host
 * result is special (ir_fp_checked). arg: the operation (VFP_ADD, VFP_SUB,
 * VFP_MUL, VFP_DIV, VFP_SQRT, VFP_CVT_PREC, VFP_TO_INT, VFP_CMP) | VFP_DP
 * when the operand a is double, and the operation's imm << 16; VFP_CMP
 * returns IR_FCMP's code, its flags go into FPSCR by the caller. */
uint64_t arm_vfp_checked(jit_cpu *c, uint64_t arg, uint64_t a, uint64_t b, uint64_t unused1, uint64_t unused2);

#endif
