/* The ARM guest (ARMv7-A, A32 and Thumb-2, VFPv3): CPU state and what the
 * translator, the helpers and Linux user mode share. */
#ifndef LOOM_CPU_ARM_H
#define LOOM_CPU_ARM_H

#include "jit.h"

/* Exceptions the translator or helpers raise. In user mode the run loop
 * turns them into system calls and signals. */
enum arm_exception {
    ARM_EXC_NONE = 0,
    ARM_EXC_SVC,            /* svc_imm holds the immediate */
    ARM_EXC_UNDEF,          /* undefined or unimplemented encoding */
    ARM_EXC_PREFETCH_ABORT, /* exception_addr: the pc */
    ARM_EXC_DATA_ABORT,     /* exception_addr: the data address */
    ARM_EXC_BKPT,
    ARM_EXC_ALIGNMENT,      /* exception_addr: the data address */
};

typedef struct arm_state {
    jit_cpu jc;            /* first: the JIT's runtime */
    uint32_t r[16];        /* r[15] is the pc of the next instruction to run */
    /* NZCV as separate words, so a flag nobody reads is a dead store the
     * optimizer removes. N is bit 31 of nf and Z is set when zf is 0 (a
     * result sets both as it is); cf and vf are 0 or 1. arm_cpsr_get and
     * arm_cpsr_set convert. */
    uint32_t nf, zf, cf, vf;
    uint32_t qf;           /* sticky saturation */
    uint32_t ge;           /* GE[3:0] of the SIMD add/subtract family */
    uint32_t thumb;        /* 1 in Thumb state */
    uint32_t itstate;      /* IT block state, ITSTATE[7:0] */
    uint32_t key_flags;    /* thumb | itstate << 1 | ... : the block key's flags word */
    uint32_t fpscr;        /* including the NZCV of VFP compares */
    uint32_t fpexc;
    uint64_t d[32];        /* VFP D0..D31; S2n/S2n+1 are the halves of Dn */
    /* The exclusive monitor: address and value of the last LDREX family
     * load (STREX compares and swaps against the value). */
    uint32_t excl_addr;
    uint32_t excl_valid;
    uint64_t excl_val;
    uint32_t tpidruro, tpidrurw; /* thread ID registers (TLS) */
    uint32_t exception;    /* enum arm_exception, set when raised */
    uint32_t exception_addr;
    uint32_t svc_imm;
    uint32_t model_features; /* ARM_FEAT_* of the CPU model */
} arm_state;

enum {
    ARM_FEAT_VFP3 = 1u << 0,
    ARM_FEAT_VFPD32 = 1u << 1,
    ARM_FEAT_IDIV = 1u << 2,  /* SDIV/UDIV in A32 and Thumb */
    ARM_FEAT_NEON = 1u << 3,  /* not advertised until implemented */
};

/* key_flags (the block key's flags word): bit 0 Thumb, bits 8..1 ITSTATE,
 * bit 9 ARM_KEY_FPFAST: FPSCR lets blocks run VFP arithmetic on the host's
 * SSE, checked (ir_fp_checked): round to nearest, no flush to zero, no
 * default NaN, and the inexact flag already set, so the common case raises
 * no flag. Code that changes thumb, itstate or fpscr outside translated
 * code needs nothing more: the run loop recomputes the word (arm_key_flags)
 * before it looks up a block. */
#define ARM_KEY_FPFAST (1u << 9)
#define ARM_FPFAST_MASK (3u << 22 | 1u << 24 | 1u << 25 | 1u << 4) /* RMode, FZ, DN, IXC */
#define ARM_FPFAST_VALUE (1u << 4)
static inline uint32_t arm_key_flags(const arm_state *s)
{
    return (s->thumb & 1) | (s->itstate & 0xff) << 1 |
           ((s->fpscr & ARM_FPFAST_MASK) == ARM_FPFAST_VALUE ? ARM_KEY_FPFAST : 0);
}

#define ARM_OFF(field) ((uint32_t)offsetof(arm_state, field))
#define ARM_REG(n) (ARM_OFF(r) + 4u * (uint32_t)(n))

extern const jit_guest arm_guest;
extern const loom_arch arm_arch;

/* The CPSR as a word (for MRS, signal frames, GDB). */
uint32_t arm_cpsr_get(const arm_state *s);
void arm_cpsr_set(arm_state *s, uint32_t cpsr, uint32_t mask);

/* semihost.c: whether the exception the run loop stopped for is a
 * semihosting call, and the call itself (its result in r0). */
bool arm_semihosting_call(const arm_state *s);
void arm_semihost(loom_cpu *cpu, arm_state *s);

/* The state of an ARM loom_cpu. */
arm_state *arm_state_of(loom_cpu *cpu);

/* Switch the CPU to Linux user mode: guest address a is host address
 * guest_base + a, no TLB. SVC, BKPT and undefined instructions then leave
 * loom_cpu_run with jc.last_exit == IR_EXIT_SYSCALL and `exception` set. */
loom_err arm_user_init(loom_cpu *cpu, uint8_t *guest_base, uint64_t guest_size);

#endif
