/* CP15 registers of the ARM system model (cp15.c), for the translator. */
#ifndef LOOM_CPU_ARM_CP15_H
#define LOOM_CPU_ARM_CP15_H

#include "arm.h"

/* Who may access: PL0 and PL1, read and write. */
enum { ARM_CP_R0 = 1, ARM_CP_W0 = 2, ARM_CP_R1 = 4, ARM_CP_W1 = 8 };
/* How: a constant, a 32-bit state field, reads as zero and ignores writes,
 * or arm_cp15_helper. */
enum { ARM_CP_CONST, ARM_CP_FIELD, ARM_CP_NOP, ARM_CP_FUNC };
/* What else: a write changes translation (flush the TLB, end the block); a
 * barrier; a generic timer register (PL0 access checked when it runs). */
enum { ARM_CP_FLUSH = 1, ARM_CP_BARRIER = 2, ARM_CP_TIMER = 4 };

/* Keys: opc1 << 12 | CRn << 8 | CRm << 4 | opc2, or for the 64-bit
 * registers ARM_CP15_64 | opc1 << 4 | CRm. */
#define ARM_CP15_64 (1u << 16)
#define ARM_CP15_64_KEY(opc1, crm) (ARM_CP15_64 | (opc1) << 4 | (crm))

typedef struct arm_cp15_reg {
    uint32_t key;
    const char *name;
    uint8_t access;
    uint8_t kind;
    uint32_t value; /* the constant, or the field's offset in arm_state */
    uint8_t effect;
} arm_cp15_reg;

const arm_cp15_reg *arm_cp15_find(uint32_t key);
unsigned arm_cp15_index(const arm_cp15_reg *r);

/* The helper (ARM_H_CP15): op = row index | ARM_CP15_OP_WRITE; lo, hi the
 * value written; pc the instruction's (a PL0 timer access CNTKCTL refuses
 * raises UNDEF). Returns the value read. */
#define ARM_CP15_OP_WRITE (1u << 16)
uint64_t arm_cp15_helper(jit_cpu *c, uint64_t op, uint64_t lo, uint64_t hi, uint64_t pc, uint64_t u4);

#endif
