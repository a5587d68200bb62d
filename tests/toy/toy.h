/* "toy": a tiny guest used to test the JIT engine without any real guest.
 * 32-bit fixed-width instructions, little-endian code:
 *   [31:26] opcode  [25:23] rd  [22:20] ra  [19:17] rb  [15:0] imm (signed)
 * Registers r0..r7 and pc. A fault or an undefined instruction jumps to
 * evec with epc = the instruction's pc and cause set; with evec = 0 it
 * stops the simulation. */
#ifndef LOOM_TESTS_TOY_H
#define LOOM_TESTS_TOY_H

#include "jit.h"

enum toy_op {
    TOY_HALT = 0,  /* wait for an interrupt (retires; continues after it) */
    TOY_LI = 1,    /* rd = imm */
    TOY_ADD = 2,   /* rd = ra + rb */
    TOY_SUB = 3,   /* rd = ra - rb */
    TOY_ADDI = 4,  /* rd = ra + imm */
    TOY_LD = 5,    /* rd = mem32[ra + imm] */
    TOY_ST = 6,    /* mem32[ra + imm] = rd */
    TOY_BNE = 7,   /* if ra != rb: pc += imm * 4 (relative to the next instruction) */
    TOY_JR = 8,    /* pc = ra */
    TOY_LUI = 9,   /* rd = imm << 16 */
    TOY_DIVH = 10, /* rd = ra / rb through a helper that raises on rb == 0 */
    TOY_XOR = 11,
    TOY_SHL = 12,  /* rd = ra << (rb & 31) */
    TOY_MUL = 13,
    TOY_LDB = 14,  /* rd = mem8[ra + imm] (zero-extended) */
    TOY_STB = 15,  /* mem8[ra + imm] = rd */
    TOY_CSEL = 16, /* rd = ra ? rb : rd */
    TOY_BEQ = 17,
    TOY_JAL = 18,  /* rd = next pc; pc += imm * 4 */
    TOY_CAS = 19,  /* rd = cmpxchg32([ra], expected rd, new rb) */
    TOY_CSTORE = 20, /* if ra != 0: mem32[rb + imm] = rd (a conditional store: a branch inside the block) */
    TOY_SETBE = 21,  /* data endianness: imm 1 big, 0 little (part of the block key) */
    TOY_UNDEF = 63,
};

enum { TOY_CAUSE_FAULT = 1, TOY_CAUSE_UNDEF = 2, TOY_CAUSE_DIV0 = 3, TOY_CAUSE_IRQ = 4 };

typedef struct toy_state {
    jit_cpu jc;
    uint32_t r[8];
    uint32_t pc;
    uint32_t epc, cause, evec, badaddr;
    uint32_t be;       /* data big-endian */
    uint32_t irq_line; /* level of the interrupt input */
} toy_state;

static inline uint32_t toy_enc(unsigned op, unsigned rd, unsigned ra, unsigned rb, int imm)
{
    return (uint32_t)op << 26 | (rd & 7) << 23 | (ra & 7) << 20 | (rb & 7) << 17 | ((uint32_t)imm & 0xffff);
}

/* The toy's helper for checked floating point (ir_fp_checked): badaddr is
 * its state word, which it counts calls in; it returns arg ^ a ^ (b << 1). */
#define TOY_HELPER_FP 2

extern const loom_arch toy_arch;
extern const jit_guest toy_guest;
/* The state of a toy CPU. */
toy_state *toy_state_of(loom_cpu *cpu);

#endif
