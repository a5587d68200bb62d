/* What the ARM translators (A32 now, Thumb and VFP later) share: state
 * offsets, register access with the pc-reads-ahead rule, condition
 * evaluation, interworking branches and the exception exits. */
#ifndef LOOM_CPU_ARM_TRANSLATE_H
#define LOOM_CPU_ARM_TRANSLATE_H

#include "arm.h"

/* key_flags: bit 0 Thumb, bits 8..1 ITSTATE. */
#define ARM_KEY_THUMB 1u

/* Data memory: little-endian, one MMU index until system mode has more. */
#define ARM_MMU_IDX 0u

/* Helpers (arm_guest.helpers). */
enum {
    ARM_H_PARALLEL, /* (op, a, b): parallel add/subtract; the plain forms set GE */
    ARM_H_SAT,      /* (op, value, width): SSAT/USAT(16); sets Q */
    ARM_H_MUL32,    /* (op, n, m, a): the DSP multiplies with 32-bit results; may set Q */
    ARM_H_MUL64,    /* (op, n, m, acc64): SMLALxy, SMLALD, SMLSLD (pure) */
    ARM_H_COUNT
};
/* The multiply kinds of ARM_H_MUL32 and ARM_H_MUL64 (op bits 3:0). */
enum {
    ARM_MUL_SMLA, ARM_MUL_SMUL, ARM_MUL_SMLAW, ARM_MUL_SMULW, ARM_MUL_SMUAD, ARM_MUL_SMLAD, ARM_MUL_SMUSD,
    ARM_MUL_SMLSD, ARM_MUL_SMMUL, ARM_MUL_SMMLA, ARM_MUL_SMMLS, ARM_MUL_USAD8, ARM_MUL_USADA8,
    ARM_MUL_SMLAL = 0, ARM_MUL_SMLALD = 1, ARM_MUL_SMLSLD = 2,
};
extern const jit_helper arm_helpers[ARM_H_COUNT];

/* Translate one A32 instruction at t->pc (the jit_guest translate hook for
 * ARM state). */
void arm_translate_a32(jit_tcx *t);

/* Evaluate condition cond (0..13) from nf/zf/cf/vf: i32 0 or 1. */
ir_val arm_cond_value(ir_block *b, unsigned cond);

/* Set N and Z from a 32-bit result. */
void arm_set_nz(ir_block *b, ir_val r);

/* Branch to a computed address with interworking (BXWritePC): bit 0 selects
 * Thumb; ends the block. key_flags is the block's flags word. */
void arm_bx_write(jit_tcx *t, ir_val addr);

/* The architectural exceptions a translator raises itself: the state names
 * the exception and the instruction's pc, and the block leaves to the run
 * loop (IR_EXIT_SYSCALL, which user mode tells apart by `exception`). */
void arm_gen_undef(jit_tcx *t, uint32_t pc);
void arm_gen_exception(jit_tcx *t, uint32_t pc, enum arm_exception exc, uint32_t resume_pc);

#endif
