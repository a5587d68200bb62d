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
    ARM_EXC_IRQ,            /* system mode: taken at a block boundary */
    ARM_EXC_FIQ,
};

/* Processor modes (CPSR.M) and the register banks they use. */
enum {
    ARM_MODE_USR = 0x10, ARM_MODE_FIQ = 0x11, ARM_MODE_IRQ = 0x12, ARM_MODE_SVC = 0x13,
    ARM_MODE_MON = 0x16, ARM_MODE_ABT = 0x17, ARM_MODE_HYP = 0x1a, ARM_MODE_UND = 0x1b, ARM_MODE_SYS = 0x1f,
};
#define ARM_BANKS 6 /* usr/sys, fiq, irq, svc, abt, und */
#define ARM_CPSR_A (1u << 8)
#define ARM_CPSR_I (1u << 7)
#define ARM_CPSR_F (1u << 6)

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
    uint32_t mpidr;        /* of the CPU model and the board's CPU number */
    /* ---- Privileged state (system mode; user mode stays in User) ---- */
    uint32_t mode;         /* CPSR.M[4:0] */
    uint32_t aif;          /* CPSR.A, I, F in place (bits 8..6) */
    uint32_t spsr;         /* the current mode's SPSR */
    /* The banked registers of the modes not current, by arm_bank(). */
    uint32_t bank_sp[ARM_BANKS], bank_lr[ARM_BANKS], bank_spsr[ARM_BANKS];
    uint32_t usr_r8_12[5], fiq_r8_12[5]; /* r8-r12 of the mode set not current */
    uint32_t lines;        /* input levels: bit 0 IRQ, bit 1 FIQ */
    uint32_t powered_off;  /* PSCI: off until CPU_ON */
    uint32_t event;        /* the event register (WFE, SEV) */
    uint32_t halt_wfe;     /* the HALT exit is a WFE, not a WFI */
    /* CP15 (B4.1): the registers that are plain storage, and the MMU's. */
    uint32_t sctlr, actlr, cpacr, ttbcr, dacr, dfsr, ifsr, adfsr, aifsr, dfar, ifar;
    uint32_t prrr, nmrr, amair0, amair1, vbar, contextidr, tpidrprw, csselr;
    uint64_t ttbr0, ttbr1, par;
    /* The generic timer (B8): CNTFRQ, CNTKCTL, and the physical and virtual
     * timers ([0] and [1]): control and compare value. */
    uint32_t cntfrq, cntkctl;
    uint32_t cnt_ctl[2];
    uint64_t cnt_cval[2];
    uint64_t cntvoff;
    struct arm_sys *sys;   /* system-mode runtime (events, outputs); NULL in user mode */
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
/* bit 10 ARM_KEY_PRIV: a privileged mode (PL1); data accesses use MMU
 * index ARM_MMU_PL1, else ARM_MMU_PL0. */
#define ARM_KEY_PRIV (1u << 10)
enum { ARM_MMU_PL1 = 0, ARM_MMU_PL0 = 1 };
#define ARM_FPFAST_MASK (3u << 22 | 1u << 24 | 1u << 25 | 1u << 4) /* RMode, FZ, DN, IXC */
#define ARM_FPFAST_VALUE (1u << 4)
static inline uint32_t arm_key_flags(const arm_state *s)
{
    return (s->thumb & 1) | (s->itstate & 0xff) << 1 |
           ((s->fpscr & ARM_FPFAST_MASK) == ARM_FPFAST_VALUE ? ARM_KEY_FPFAST : 0) |
           (s->mode != ARM_MODE_USR ? ARM_KEY_PRIV : 0);
}

#define ARM_OFF(field) ((uint32_t)offsetof(arm_state, field))
#define ARM_REG(n) (ARM_OFF(r) + 4u * (uint32_t)(n))

extern const jit_guest arm_guest;
extern const loom_arch arm_arch;

/* The CPSR as a word (for MRS, signal frames, GDB). */
uint32_t arm_cpsr_get(const arm_state *s);
void arm_cpsr_set(arm_state *s, uint32_t cpsr, uint32_t mask);

/* system.c: the privileged architecture. */
/* Change mode, banking registers (no checks: the caller knows the mode is
 * valid). */
void arm_switch_mode(arm_state *s, uint32_t mode);
bool arm_mode_valid(uint32_t mode); /* a mode the model has (no Monitor, no Hyp) */
uint32_t arm_vector_base(const arm_state *s); /* VBAR, or the high vectors */
/* Take an exception (B1.8): the state is at the instruction it concerns;
 * for SVC r15 is already past it. */
void arm_take_exception(arm_state *s, enum arm_exception exc);
/* The block key's flags and the fetch MMU index after a change of mode or
 * state; stops chained code when the key changed. */
void arm_key_update(arm_state *s);
/* System mode set-up and teardown (events, outputs), reset values. */
loom_err arm_sys_init(loom_cpu *cpu, arm_state *s);
void arm_sys_fini(arm_state *s);
void arm_sys_reset(arm_state *s);
void arm_sys_set_irq(arm_state *s, unsigned line, bool level);
bool arm_sys_interrupt(arm_state *s);
bool arm_sys_interrupt_ready(const arm_state *s);
/* The generic timer's registers (CP15 c14). */
enum arm_timer_reg { ARM_CNTPCT, ARM_CNTVCT, ARM_CNTP_CTL, ARM_CNTV_CTL, ARM_CNTP_CVAL, ARM_CNTV_CVAL,
                     ARM_CNTP_TVAL, ARM_CNTV_TVAL };
uint64_t arm_timer_read(arm_state *s, enum arm_timer_reg r);
void arm_timer_write(arm_state *s, enum arm_timer_reg r, uint64_t v);
/* HVC and SMC: a PSCI call in r0..r3 answered in r0; false if r0 names no
 * PSCI function. */
bool arm_psci_call(arm_state *s);
/* SEV: set every core's event register and wake the waiting ones. */
void arm_send_event(arm_state *s);
/* The helper (ARM_H_SYS) for what changes mode or reaches other banks:
 * (op, a, b, pc of the instruction, u4). */
enum arm_sys_op {
    ARM_SYS_MSR_CPSR, /* a value, b MSR's field mask */
    ARM_SYS_CPS,      /* a: ARM_CPS_* | A I F (bits 8..6) | mode */
    ARM_SYS_ERET,     /* a the return address; CPSR from SPSR, or from b when u4 (RFE) */
    ARM_SYS_GET_USR,  /* a register number: the User mode register (LDM/STM ^) */
    ARM_SYS_SET_USR,  /* a register number, b value */
    ARM_SYS_GET_SP,   /* a mode: its banked SP (SRS) */
    ARM_SYS_SET_SP,   /* a mode, b value */
    ARM_SYS_CALL,     /* HVC or SMC: PSCI */
    ARM_SYS_SEV,
};
#define ARM_CPS_ENABLE (1u << 9)
#define ARM_CPS_DISABLE (1u << 10)
#define ARM_CPS_MODE (1u << 11)
uint64_t arm_sys_helper(jit_cpu *c, uint64_t op, uint64_t a, uint64_t b, uint64_t pc, uint64_t u4);
/* After a HALT exit (WFI, WFE): whether the CPU really waits. */
bool arm_sys_should_halt(arm_state *s);
/* The MMU (mmu.c): the jit_guest tlb_fill hook, and the fault status a
 * jit_fault gets in the current translation table format. */
bool arm_tlb_fill(jit_cpu *c, uint64_t vaddr, jit_access acc, unsigned mmu_idx, uint64_t *paddr, unsigned *prot,
                  jit_fault *f);
uint32_t arm_fault_status(const arm_state *s, const jit_fault *f);
/* A stage 1 translation for ATS1C* (PAR's format), no side effects. */
uint64_t arm_ats1(arm_state *s, uint32_t va, bool pl0, bool write);

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
