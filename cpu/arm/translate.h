/* What the ARM translators (A32 now, Thumb and VFP later) share: state
 * offsets, register access with the pc-reads-ahead rule, condition
 * evaluation, interworking branches and the exception exits. */
#ifndef LOOM_CPU_ARM_TRANSLATE_H
#define LOOM_CPU_ARM_TRANSLATE_H

#include "arm.h"

/* key_flags: bit 0 Thumb, bits 8..1 ITSTATE, bit 9 ARM_KEY_FPFAST (arm.h). */
#define ARM_KEY_THUMB 1u
#define ARM_KEY_ITSTATE(flags) ((uint32_t)((flags) >> 1) & 0xffu)

/* Data memory is little-endian; the MMU index is the block's privilege
 * (ARM_KEY_PRIV), which the translator records in the block. */
static inline unsigned arm_mmu(const ir_block *b) { return b->mmu_idx; }

/* The accesses the ARM ARM makes with MemA (LDRD/STRD, LDM/STM, the
 * exclusives, SWP, VLDR/VSTR, VLDM/VSTM): an address that is not a multiple
 * of the access size is an alignment fault whatever SCTLR.A says (ARMv7
 * has SCTLR.U set: A3.2.1, B2.4.1). LDR, LDRH, STR, STRH are MemU. */
static inline ir_val arm_load_a(ir_block *b, ir_type t, ir_val addr, unsigned size)
{
    ir_val v = ir_load(b, t, addr, size, false, false, arm_mmu(b));
    ir_mem_align(b, v);
    return v;
}
static inline void arm_store_a(ir_block *b, ir_val addr, ir_val v, unsigned size)
{
    ir_mem_align(b, ir_store(b, addr, v, size, false, arm_mmu(b)));
}

/* Helpers (arm_guest.helpers). */
enum {
    ARM_H_PARALLEL, /* (op, a, b): parallel add/subtract; the plain forms set GE */
    ARM_H_SAT,      /* (op, value, width): SSAT/USAT(16); sets Q */
    ARM_H_MUL32,    /* (op, n, m, a): the DSP multiplies with 32-bit results; may set Q */
    ARM_H_MUL64,    /* (op, n, m, acc64): SMLALxy, SMLALD, SMLSLD (pure) */
    ARM_H_VFP,      /* (op, d, n, m, imm): VFP arithmetic on the state (vfp_helper.c, vfp.h) */
    ARM_H_VFP_CHECKED, /* (arg, a, b): the special cases of checked VFP arithmetic (vfp.h) */
    ARM_H_SYS,      /* (op, a, b, pc, u4): modes and banks (arm_sys_helper, arm.h) */
    ARM_H_CP15,     /* (op, lo, hi, pc): CP15 registers (arm_cp15_helper, cp15.h) */
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

/* Translate one Thumb instruction at t->pc (the translate hook in Thumb
 * state). t->flags follows ITSTATE through the block. */
void arm_translate_t32(jit_tcx *t);

/* Translate the A32 word w as if unconditional, as the instruction at pc
 * (its address also names undefined-instruction exceptions). The Thumb
 * translator hands over the media, multiply and coprocessor encodings whose
 * operation is the A32 one; it never passes a word that reads r15. */
void arm_translate_a32_word(jit_tcx *t, uint32_t w, uint32_t pc);

/* The VFP translator (translate_vfp.c, when present): the coprocessor 10/11
 * instruction insn (in A32 layout; Thumb's 111T prefix maps to cond 111T),
 * true if it handled it. */
bool arm_translate_vfp(jit_tcx *t, uint32_t insn, bool thumb);

/* Evaluate condition cond (0..13) from nf/zf/cf/vf: i32 0 or 1. */
ir_val arm_cond_value(ir_block *b, unsigned cond);

/* Set N and Z from a 32-bit result: nf and zf both take the result as it
 * is (N is bit 31 of nf, Z is set when zf is 0), which costs nothing. */
void arm_set_nz(ir_block *b, ir_val r);

/* Set N, Z, C and V from bits 31..28 of v (MSR, VMRS APSR_nzcv). */
void arm_set_nzcv_word(ir_block *b, ir_val v);

/* Branch to a computed address with interworking (BXWritePC): bit 0 selects
 * Thumb; ends the block. key_flags is the block's flags word. */
void arm_bx_write(jit_tcx *t, ir_val addr);

/* The architectural exceptions a translator raises itself: the state names
 * the exception and the instruction's pc, and the block leaves to the run
 * loop (IR_EXIT_SYSCALL, which user mode tells apart by `exception`). */
void arm_gen_undef(jit_tcx *t, uint32_t pc);
void arm_gen_exception(jit_tcx *t, uint32_t pc, enum arm_exception exc, uint32_t resume_pc);

/* System mode instructions both translators share (translate_sys.c). The
 * block ends after each that can change the mode. */
bool arm_priv(const jit_tcx *t);  /* a privileged mode (never in Linux user mode) */
bool arm_system(const jit_tcx *t); /* system mode (not Linux user mode) */
ir_val arm_sys_call(jit_tcx *t, enum arm_sys_op op, ir_val a, ir_val b, uint32_t pc, uint32_t u4);
/* End the block after a helper changed the pc or the mode: on at r15. */
void arm_end_after_helper(jit_tcx *t);
/* MSR CPSR_<mask> from a privileged mode (ends the block). */
void arm_gen_msr_cpsr(jit_tcx *t, ir_val v, unsigned mask, uint32_t next_pc);
/* MRS Rd, CPSR (IT, J and T read as zero) and MSR SPSR_<mask>. */
ir_val arm_gen_cpsr_read(jit_tcx *t);
void arm_gen_msr_spsr(jit_tcx *t, ir_val v, unsigned mask);
/* CPS: imod 2 enable, 3 disable; aif A I F in bits 2..0; change with mode. */
void arm_gen_cps(jit_tcx *t, unsigned imod, unsigned aif, bool change, unsigned mode, uint32_t next_pc);
/* An exception return to addr: CPSR from SPSR (ends the block). */
void arm_gen_eret(jit_tcx *t, ir_val addr, uint32_t pc);
/* MRC/MCR (is64: MRRC/MCRR) p15: false if the register does not exist or
 * the mode may not access it (the caller raises UNDEF). rt, rt2: values to
 * write, or where reads go. */
bool arm_gen_cp15(jit_tcx *t, uint32_t key, bool read, unsigned rt, unsigned rt2, uint32_t pc, uint32_t next_pc);
/* WFI, WFE, SEV; HVC and SMC. */
void arm_gen_wait(jit_tcx *t, bool wfe, uint32_t next_pc);
void arm_gen_sev(jit_tcx *t);
void arm_gen_hvc(jit_tcx *t, uint32_t pc, uint32_t next_pc);

/* The A32 shifter (ARM ARM A8.4.3), also Thumb-2's: Rm shifted by an
 * immediate (DecodeImmShift encodings: LSR/ASR #0 mean #32, ROR #0 is RRX)
 * or by the bottom byte of a register, with the carry out. */
ir_val arm_shift_imm(jit_tcx *t, ir_val m, unsigned type, unsigned amt, ir_val *carry);
ir_val arm_shift_reg(jit_tcx *t, ir_val m, unsigned type, ir_val rs, ir_val *carry);

/* The exclusives (A3.4), a value-based monitor: LDREX of size 1, 2, 4 or 8
 * (Rt2 the high word), and STREX storing Rt (Rt2:Rt) with status in Rs. */
void arm_gen_ldrex(jit_tcx *t, ir_val addr, unsigned size, unsigned rt, unsigned rt2);
void arm_gen_strex(jit_tcx *t, ir_val addr, unsigned size, unsigned rs, unsigned rt, unsigned rt2);

/* Decoder patterns: the instruction as the manual draws it, most
 * significant bit first; 0 and 1 must match, any other letter is a field.
 * PAT32 gives the mask (with PAT_FIX) or value (PAT_ONE) of a 32-letter
 * pattern, PAT16 of a 16-letter one. */
#define PAT_BIT(s, i, c) ((uint32_t)((s)[i] == (c)) << (31 - (i)))
#define PAT_FIX(s, i) (PAT_BIT(s, i, '0') | PAT_BIT(s, i, '1'))
#define PAT_ONE(s, i) PAT_BIT(s, i, '1')
#define PAT4(s, i, F) (F(s, i) | F(s, i + 1) | F(s, i + 2) | F(s, i + 3))
#define PAT16(s, F) ((PAT4(s, 0, F) | PAT4(s, 4, F) | PAT4(s, 8, F) | PAT4(s, 12, F)) >> 16)
#define PAT32(s, F) (PAT16(s, F) << 16 | PAT4(s, 16, F) | PAT4(s, 20, F) | PAT4(s, 24, F) | PAT4(s, 28, F))
/* A pattern of the wrong length does not compile. */
#define PAT_LEN_OK(s, n) (0 * sizeof(char[sizeof(s) == (n) + 1 ? 1 : -1]))

#endif
