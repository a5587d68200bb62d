/* Guest disassembly for -d in_asm (Capstone). */
#ifndef LOOM_CPU_ARM_DISAS_H
#define LOOM_CPU_ARM_DISAS_H

#include "jit.h"

/* flags bit 0: Thumb. Returns the instruction's length, 0 if unreadable. */
unsigned arm_disas(jit_cpu *c, uint64_t pc, uint64_t flags, char *buf, size_t len);

#endif
