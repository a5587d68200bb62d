/* CP15, the system control coprocessor, of the Cortex-A15 model (ARM ARM
 * DDI 0406C B4, Cortex-A15 TRM chapter 4): one table row per register,
 * keyed by opc1, CRn, CRm, opc2 (MCR/MRC) or opc1, CRm (MCRR/MRRC). The
 * translator reads and writes plain registers in line; the rest (side
 * effects, computed values) go through arm_cp15_helper. */
#include "arm.h"
#include "cp15.h"

#define K(opc1, crn, crm, opc2) ((opc1) << 12 | (crn) << 8 | (crm) << 4 | (opc2))
#define K64(opc1, crm) (ARM_CP15_64 | (opc1) << 4 | (crm))
#define F(field) ARM_OFF(field)

/* Access: PL1 read and write unless the row says otherwise. */
#define RW1 (ARM_CP_R1 | ARM_CP_W1)
#define RO1 ARM_CP_R1
#define WO1 ARM_CP_W1
#define ALL (ARM_CP_R0 | ARM_CP_W0 | RW1)

static const arm_cp15_reg cp15_regs[] = {
    /* c0: identification (Cortex-A15 r2p1; no Security or Virtualization
     * Extensions in ID_PFR1, as the model has none). */
    {K(0, 0, 0, 0), "MIDR", RO1, ARM_CP_CONST, 0x412fc0f1u, 0},
    {K(0, 0, 0, 1), "CTR", RO1, ARM_CP_CONST, 0x8444c004u, 0},
    {K(0, 0, 0, 2), "TCMTR", RO1, ARM_CP_CONST, 0, 0},
    {K(0, 0, 0, 3), "TLBTR", RO1, ARM_CP_CONST, 0, 0},
    {K(0, 0, 0, 5), "MPIDR", RO1, ARM_CP_FIELD, F(mpidr), 0},
    {K(0, 0, 0, 6), "REVIDR", RO1, ARM_CP_CONST, 0, 0},
    {K(0, 0, 1, 0), "ID_PFR0", RO1, ARM_CP_CONST, 0x00001131u, 0},
    {K(0, 0, 1, 1), "ID_PFR1", RO1, ARM_CP_CONST, 0x00010001u, 0},
    {K(0, 0, 1, 2), "ID_DFR0", RO1, ARM_CP_CONST, 0x02010555u, 0},
    {K(0, 0, 1, 3), "ID_AFR0", RO1, ARM_CP_CONST, 0, 0},
    {K(0, 0, 1, 4), "ID_MMFR0", RO1, ARM_CP_CONST, 0x10201105u, 0},
    {K(0, 0, 1, 5), "ID_MMFR1", RO1, ARM_CP_CONST, 0x20000000u, 0},
    {K(0, 0, 1, 6), "ID_MMFR2", RO1, ARM_CP_CONST, 0x01240000u, 0},
    {K(0, 0, 1, 7), "ID_MMFR3", RO1, ARM_CP_CONST, 0x02102211u, 0},
    {K(0, 0, 2, 0), "ID_ISAR0", RO1, ARM_CP_CONST, 0x02101110u, 0},
    {K(0, 0, 2, 1), "ID_ISAR1", RO1, ARM_CP_CONST, 0x13112111u, 0},
    {K(0, 0, 2, 2), "ID_ISAR2", RO1, ARM_CP_CONST, 0x21232041u, 0},
    {K(0, 0, 2, 3), "ID_ISAR3", RO1, ARM_CP_CONST, 0x11112131u, 0},
    {K(0, 0, 2, 4), "ID_ISAR4", RO1, ARM_CP_CONST, 0x10011142u, 0},
    {K(0, 0, 2, 5), "ID_ISAR5", RO1, ARM_CP_CONST, 0, 0},
    {K(1, 0, 0, 0), "CCSIDR", RO1, ARM_CP_FUNC, 0, 0},
    {K(1, 0, 0, 1), "CLIDR", RO1, ARM_CP_CONST, 0x0a200023u, 0},
    {K(1, 0, 0, 7), "AIDR", RO1, ARM_CP_CONST, 0, 0},
    {K(2, 0, 0, 0), "CSSELR", RW1, ARM_CP_FIELD, F(csselr), 0},
    /* c1: system control. */
    {K(0, 1, 0, 0), "SCTLR", RW1, ARM_CP_FIELD, F(sctlr), ARM_CP_FLUSH},
    {K(0, 1, 0, 1), "ACTLR", RW1, ARM_CP_FIELD, F(actlr), 0},
    {K(0, 1, 0, 2), "CPACR", RW1, ARM_CP_FIELD, F(cpacr), 0},
    /* c2, c3: translation table bases and control, domains. */
    {K(0, 2, 0, 0), "TTBR0", RW1, ARM_CP_FUNC, 0, ARM_CP_FLUSH},
    {K(0, 2, 0, 1), "TTBR1", RW1, ARM_CP_FUNC, 0, ARM_CP_FLUSH},
    {K(0, 2, 0, 2), "TTBCR", RW1, ARM_CP_FIELD, F(ttbcr), ARM_CP_FLUSH},
    {K(0, 3, 0, 0), "DACR", RW1, ARM_CP_FIELD, F(dacr), ARM_CP_FLUSH},
    /* c5, c6: fault status and address. */
    {K(0, 5, 0, 0), "DFSR", RW1, ARM_CP_FIELD, F(dfsr), 0},
    {K(0, 5, 0, 1), "IFSR", RW1, ARM_CP_FIELD, F(ifsr), 0},
    {K(0, 5, 1, 0), "ADFSR", RW1, ARM_CP_FIELD, F(adfsr), 0},
    {K(0, 5, 1, 1), "AIFSR", RW1, ARM_CP_FIELD, F(aifsr), 0},
    {K(0, 6, 0, 0), "DFAR", RW1, ARM_CP_FIELD, F(dfar), 0},
    {K(0, 6, 0, 2), "IFAR", RW1, ARM_CP_FIELD, F(ifar), 0},
    /* c7: cache and branch predictor maintenance (no caches to keep: stores
     * to code are caught as they happen), address translation, barriers. */
    {K(0, 7, 0, 4), "NOP (WFI)", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 1, 0), "ICIALLUIS", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 1, 6), "BPIALLIS", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 4, 0), "PAR", RW1, ARM_CP_FUNC, 0, 0},
    {K(0, 7, 5, 0), "ICIALLU", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 5, 1), "ICIMVAU", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 5, 4), "CP15ISB", ARM_CP_W0 | WO1, ARM_CP_NOP, 0, ARM_CP_BARRIER},
    {K(0, 7, 5, 6), "BPIALL", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 5, 7), "BPIMVA", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 6, 1), "DCIMVAC", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 6, 2), "DCISW", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 8, 0), "ATS1CPR", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 7, 8, 1), "ATS1CPW", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 7, 8, 2), "ATS1CUR", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 7, 8, 3), "ATS1CUW", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 7, 10, 1), "DCCMVAC", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 10, 2), "DCCSW", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 10, 4), "CP15DSB", ARM_CP_W0 | WO1, ARM_CP_NOP, 0, ARM_CP_BARRIER},
    {K(0, 7, 10, 5), "CP15DMB", ARM_CP_W0 | WO1, ARM_CP_NOP, 0, ARM_CP_BARRIER},
    {K(0, 7, 11, 1), "DCCMVAU", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 14, 1), "DCCIMVAC", WO1, ARM_CP_NOP, 0, 0},
    {K(0, 7, 14, 2), "DCCISW", WO1, ARM_CP_NOP, 0, 0},
    /* c8: TLB maintenance (by MVA: that page; the rest: everything). */
    {K(0, 8, 3, 0), "TLBIALLIS", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 3, 1), "TLBIMVAIS", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 3, 2), "TLBIASIDIS", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 3, 3), "TLBIMVAAIS", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 5, 0), "ITLBIALL", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 5, 1), "ITLBIMVA", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 5, 2), "ITLBIASID", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 6, 0), "DTLBIALL", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 6, 1), "DTLBIMVA", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 6, 2), "DTLBIASID", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 7, 0), "TLBIALL", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 7, 1), "TLBIMVA", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 7, 2), "TLBIASID", WO1, ARM_CP_FUNC, 0, 0},
    {K(0, 8, 7, 3), "TLBIMVAA", WO1, ARM_CP_FUNC, 0, 0},
    /* c9: the L2 control register and the performance monitors, which the
     * model does not count: read as zero, writes ignored. */
    {K(1, 9, 0, 2), "L2CTLR", RW1, ARM_CP_NOP, 0, 0},
    {K(1, 9, 0, 3), "L2ECTLR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 12, 0), "PMCR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 12, 1), "PMCNTENSET", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 12, 2), "PMCNTENCLR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 12, 3), "PMOVSR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 12, 5), "PMSELR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 13, 0), "PMCCNTR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 13, 1), "PMXEVTYPER", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 13, 2), "PMXEVCNTR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 14, 0), "PMUSERENR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 14, 1), "PMINTENSET", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 9, 14, 2), "PMINTENCLR", RW1, ARM_CP_NOP, 0, 0},
    /* c10: memory attributes (PRRR/NMRR, or MAIR0/1 with LPAE). */
    {K(0, 10, 2, 0), "PRRR", RW1, ARM_CP_FIELD, F(prrr), 0},
    {K(0, 10, 2, 1), "NMRR", RW1, ARM_CP_FIELD, F(nmrr), 0},
    {K(0, 10, 3, 0), "AMAIR0", RW1, ARM_CP_FIELD, F(amair0), 0},
    {K(0, 10, 3, 1), "AMAIR1", RW1, ARM_CP_FIELD, F(amair1), 0},
    /* c12: vectors, pending interrupts. */
    {K(0, 12, 0, 0), "VBAR", RW1, ARM_CP_FUNC, 0, 0},
    {K(0, 12, 1, 0), "ISR", RO1, ARM_CP_FUNC, 0, 0},
    /* c13: process and thread IDs. */
    {K(0, 13, 0, 0), "FCSEIDR", RW1, ARM_CP_NOP, 0, 0},
    {K(0, 13, 0, 1), "CONTEXTIDR", RW1, ARM_CP_FIELD, F(contextidr), ARM_CP_FLUSH},
    {K(0, 13, 0, 2), "TPIDRURW", ALL, ARM_CP_FIELD, F(tpidrurw), 0},
    {K(0, 13, 0, 3), "TPIDRURO", ARM_CP_R0 | RW1, ARM_CP_FIELD, F(tpidruro), 0},
    {K(0, 13, 0, 4), "TPIDRPRW", RW1, ARM_CP_FIELD, F(tpidrprw), 0},
    /* c14: the generic timer (PL0 access as CNTKCTL allows, checked when
     * the instruction runs). */
    {K(0, 14, 0, 0), "CNTFRQ", ARM_CP_R0 | RW1, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    {K(0, 14, 1, 0), "CNTKCTL", RW1, ARM_CP_FIELD, F(cntkctl), 0},
    {K(0, 14, 2, 0), "CNTP_TVAL", ALL, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    {K(0, 14, 2, 1), "CNTP_CTL", ALL, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    {K(0, 14, 3, 0), "CNTV_TVAL", ALL, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    {K(0, 14, 3, 1), "CNTV_CTL", ALL, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    /* c15: the configuration base address (the GIC's, on the board). */
    {K(4, 15, 0, 0), "CBAR", RO1, ARM_CP_CONST, 0, 0},
    /* 64-bit registers (MCRR/MRRC). */
    {K64(0, 2), "TTBR0", RW1, ARM_CP_FUNC, 0, ARM_CP_FLUSH},
    {K64(1, 2), "TTBR1", RW1, ARM_CP_FUNC, 0, ARM_CP_FLUSH},
    {K64(0, 7), "PAR", RW1, ARM_CP_FUNC, 0, 0},
    {K64(0, 14), "CNTPCT", ARM_CP_R0 | RO1, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    {K64(1, 14), "CNTVCT", ARM_CP_R0 | RO1, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    {K64(2, 14), "CNTP_CVAL", ALL, ARM_CP_FUNC, 0, ARM_CP_TIMER},
    {K64(3, 14), "CNTV_CVAL", ALL, ARM_CP_FUNC, 0, ARM_CP_TIMER},
};

const arm_cp15_reg *arm_cp15_find(uint32_t key)
{
    for (size_t i = 0; i < sizeof cp15_regs / sizeof *cp15_regs; i++)
        if (cp15_regs[i].key == key) return &cp15_regs[i];
    return NULL;
}

unsigned arm_cp15_index(const arm_cp15_reg *r) { return (unsigned)(r - cp15_regs); }

/* CNTKCTL (B8.1.2): PL0PCTEN bit 0 (CNTPCT), PL0VCTEN bit 1 (CNTVCT);
 * CNTFRQ with either; PL0VTEN bit 8 and PL0PTEN bit 9 the timers. */
static bool timer_pl0_ok(const arm_state *s, uint32_t key)
{
    uint32_t k = s->cntkctl;
    switch (key) {
    case K(0, 14, 0, 0): return k & 3;
    case K64(0, 14): return k & 1;
    case K64(1, 14): return k & 2;
    case K(0, 14, 3, 0): case K(0, 14, 3, 1): case K64(3, 14): return k >> 8 & 1;
    default: return k >> 9 & 1;
    }
}

static enum arm_timer_reg timer_reg(uint32_t key)
{
    switch (key) {
    case K64(0, 14): return ARM_CNTPCT;
    case K64(1, 14): return ARM_CNTVCT;
    case K(0, 14, 2, 0): return ARM_CNTP_TVAL;
    case K(0, 14, 2, 1): return ARM_CNTP_CTL;
    case K(0, 14, 3, 0): return ARM_CNTV_TVAL;
    case K(0, 14, 3, 1): return ARM_CNTV_CTL;
    case K64(2, 14): return ARM_CNTP_CVAL;
    default: return ARM_CNTV_CVAL;
    }
}

/* CCSIDR by CSSELR: L1 data 32 KiB, L1 instruction 32 KiB, L2 2 MiB. */
static uint32_t ccsidr(const arm_state *s)
{
    switch (s->csselr & 0xf) {
    case 0: return 0x701fe00au;
    case 1: return 0x201fe00au;
    case 2: return 0x711fe07au;
    default: return 0;
    }
}

uint64_t arm_cp15_helper(jit_cpu *c, uint64_t op, uint64_t lo, uint64_t hi, uint64_t pc, uint64_t u4)
{
    arm_state *s = (arm_state *)c;
    const arm_cp15_reg *r = &cp15_regs[op & 0xffff];
    bool write = op & ARM_CP15_OP_WRITE;
    uint64_t v = (uint32_t)lo | hi << 32;
    if ((r->effect & ARM_CP_TIMER) && s->mode == ARM_MODE_USR && !timer_pl0_ok(s, r->key)) {
        s->r[15] = (uint32_t)pc;
        arm_take_exception(s, ARM_EXC_UNDEF);
        c->raised = 1;
        return 0;
    }
    uint64_t out = 0;
    switch (r->key) {
    case K(0, 14, 0, 0):
        if (write) s->cntfrq = (uint32_t)v;
        return s->cntfrq;
    case K(1, 0, 0, 0): return ccsidr(s);
    case K(0, 2, 0, 0): case K64(0, 2): case K(0, 2, 0, 1): case K64(1, 2): {
        uint64_t *t = r->key == K(0, 2, 0, 0) || r->key == K64(0, 2) ? &s->ttbr0 : &s->ttbr1;
        if (!write) return r->key & ARM_CP15_64 ? *t : (uint32_t)*t;
        *t = r->key & ARM_CP15_64 ? v : (*t & ~0xffffffffull) | (uint32_t)v;
        break;
    }
    case K(0, 7, 4, 0): case K64(0, 7):
        if (!write) return r->key & ARM_CP15_64 ? s->par : (uint32_t)s->par;
        s->par = r->key & ARM_CP15_64 ? v : (uint32_t)v;
        return 0;
    case K(0, 7, 8, 0): case K(0, 7, 8, 1): case K(0, 7, 8, 2): case K(0, 7, 8, 3): {
        unsigned o2 = r->key & 3;
        s->par = arm_ats1(s, (uint32_t)v, o2 >= 2, o2 & 1);
        return 0;
    }
    case K(0, 12, 0, 0):
        if (write) s->vbar = (uint32_t)v & ~0x1fu;
        return s->vbar;
    case K(0, 12, 1, 0): /* ISR: A bit 8, I bit 7, F bit 6 pending */
        return (s->lines & 1 ? ARM_CPSR_I : 0) | (s->lines & 2 ? ARM_CPSR_F : 0);
    default:
        if (r->effect & ARM_CP_TIMER) {
            if (!write) return arm_timer_read(s, timer_reg(r->key));
            arm_timer_write(s, timer_reg(r->key), r->key & ARM_CP15_64 ? v : (uint32_t)v);
            return 0;
        }
        if ((r->key >> 8 & 0xf) == 8) { /* TLB maintenance */
            if ((r->key & 0xf) == 1 || (r->key & 0xf) == 3) jit_tlb_flush_page(c, (uint32_t)v & ~0xfffu);
            else jit_tlb_flush(c);
            /* The IS forms reach the other cores too. */
            if ((r->key >> 4 & 0xf) == 3)
                for (size_t i = 0; i < jit_engine_cpu_count(c->eng); i++) jit_tlb_flush(jit_engine_cpu(c->eng, i));
            return 0;
        }
        if (r->kind == ARM_CP_FIELD) {
            uint32_t *f = (uint32_t *)((uint8_t *)s + r->value);
            if (!write) return *f;
            *f = (uint32_t)v;
        }
        break;
    }
    if (write && (r->effect & ARM_CP_FLUSH)) {
        jit_tlb_flush(c);
        arm_key_update(s);
    }
    return out;
}
