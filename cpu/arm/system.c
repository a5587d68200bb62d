/* The privileged ARMv7-A architecture in system mode: processor modes and
 * banked registers, exception entry, IRQ and FIQ, WFI and WFE, the generic
 * timer driven by simulated time, and PSCI, which the board's firmware
 * would provide (QEMU's virt answers it over HVC the same way).
 * References: ARM ARM DDI 0406C B1 (modes, exceptions), B8 (the generic
 * timer); ARM DEN 0022 (PSCI). No Security or Virtualization Extensions:
 * like QEMU's virt without secure=on, the CPU resets in Supervisor mode. */
#include <stdlib.h>
#include <string.h>

#include "arm.h"

/* What only system mode has: timer events and output lines. */
typedef struct arm_sys {
    loom_cpu *cpu;
    arm_state *s;
    loom_event *timer_ev[2];
    bool out_level[2];
} arm_sys;

/* The counter runs at a fixed 62.5 MHz (16 ns a tick), as on QEMU's virt;
 * CNTFRQ, which firmware may rewrite, resets to that value. */
#define ARM_CNT_HZ 62500000u
#define ARM_CNT_PS 16000u

/* ---- Modes and banked registers (B1.3) --------------------------------------------- */

static int arm_bank(uint32_t mode)
{
    switch (mode) {
    case ARM_MODE_FIQ: return 1;
    case ARM_MODE_IRQ: return 2;
    case ARM_MODE_SVC: return 3;
    case ARM_MODE_ABT: return 4;
    case ARM_MODE_UND: return 5;
    default: return 0; /* User, System */
    }
}

void arm_switch_mode(arm_state *s, uint32_t mode)
{
    uint32_t old = s->mode;
    if (old == mode) return;
    int ob = arm_bank(old), nb = arm_bank(mode);
    if (ob != nb) {
        s->bank_sp[ob] = s->r[13];
        s->bank_lr[ob] = s->r[14];
        s->bank_spsr[ob] = s->spsr;
        s->r[13] = s->bank_sp[nb];
        s->r[14] = s->bank_lr[nb];
        s->spsr = s->bank_spsr[nb];
    }
    if ((old == ARM_MODE_FIQ) != (mode == ARM_MODE_FIQ)) {
        uint32_t *save = old == ARM_MODE_FIQ ? s->fiq_r8_12 : s->usr_r8_12;
        uint32_t *load = old == ARM_MODE_FIQ ? s->usr_r8_12 : s->fiq_r8_12;
        memcpy(save, &s->r[8], sizeof s->usr_r8_12);
        memcpy(&s->r[8], load, sizeof s->usr_r8_12);
    }
    s->mode = mode;
}

void arm_key_update(arm_state *s)
{
    uint32_t k = arm_key_flags(s);
    s->jc.fetch_mmu = s->mode == ARM_MODE_USR ? ARM_MMU_PL0 : ARM_MMU_PL1;
    if (k != s->key_flags) {
        s->key_flags = k;
        jit_cpu_kick(&s->jc);
    }
    /* An interrupt that a change of mask lets through is taken at the next
     * block boundary. */
    if (arm_sys_interrupt_ready(s)) {
        s->jc.interrupt_pending = true;
        jit_cpu_kick(&s->jc);
    }
}

/* ---- Exceptions (B1.8) ------------------------------------------------------------- */

static const struct {
    uint32_t mode, vector, mask;
    uint32_t lr_arm, lr_thumb; /* LR: the pc in r15 plus these */
} arm_vectors[] = {
    [ARM_EXC_UNDEF] = {ARM_MODE_UND, 0x04, ARM_CPSR_I, 4, 2},
    [ARM_EXC_SVC] = {ARM_MODE_SVC, 0x08, ARM_CPSR_I, 0, 0}, /* r15 is past the SVC */
    [ARM_EXC_PREFETCH_ABORT] = {ARM_MODE_ABT, 0x0c, ARM_CPSR_I | ARM_CPSR_A, 4, 4},
    [ARM_EXC_BKPT] = {ARM_MODE_ABT, 0x0c, ARM_CPSR_I | ARM_CPSR_A, 4, 4},
    [ARM_EXC_DATA_ABORT] = {ARM_MODE_ABT, 0x10, ARM_CPSR_I | ARM_CPSR_A, 8, 8},
    [ARM_EXC_ALIGNMENT] = {ARM_MODE_ABT, 0x10, ARM_CPSR_I | ARM_CPSR_A, 8, 8},
    [ARM_EXC_IRQ] = {ARM_MODE_IRQ, 0x18, ARM_CPSR_I | ARM_CPSR_A, 4, 4},
    [ARM_EXC_FIQ] = {ARM_MODE_FIQ, 0x1c, ARM_CPSR_I | ARM_CPSR_A | ARM_CPSR_F, 4, 4},
};

uint32_t arm_vector_base(const arm_state *s)
{
    return (s->sctlr & (1u << 13)) ? 0xffff0000u : s->vbar; /* SCTLR.V: the high vectors */
}

void arm_take_exception(arm_state *s, enum arm_exception exc)
{
    uint32_t cpsr = arm_cpsr_get(s);
    uint32_t lr = s->r[15] + (s->thumb ? arm_vectors[exc].lr_thumb : arm_vectors[exc].lr_arm);
    arm_switch_mode(s, arm_vectors[exc].mode);
    s->spsr = cpsr;
    s->r[14] = lr;
    s->aif |= arm_vectors[exc].mask;
    s->thumb = s->sctlr >> 30 & 1; /* SCTLR.TE */
    s->itstate = 0;
    s->r[15] = arm_vector_base(s) + arm_vectors[exc].vector;
    s->exception = ARM_EXC_NONE;
    s->excl_valid = 0; /* exception entry clears the local monitor */
    arm_key_update(s);
}

/* ---- Interrupts ---------------------------------------------------------------------- */

bool arm_sys_interrupt_ready(const arm_state *s)
{
    return ((s->lines & 1) && !(s->aif & ARM_CPSR_I)) || ((s->lines & 2) && !(s->aif & ARM_CPSR_F));
}

void arm_sys_set_irq(arm_state *s, unsigned line, bool level)
{
    uint32_t bit = 1u << (line & 1);
    s->lines = level ? s->lines | bit : s->lines & ~bit;
    if (arm_sys_interrupt_ready(s)) {
        s->jc.interrupt_pending = true;
        jit_cpu_kick(&s->jc);
    }
}

/* The jit_guest interrupt hook, at a block boundary: FIQ first. */
bool arm_sys_interrupt(arm_state *s)
{
    s->jc.interrupt_pending = false;
    if (s->powered_off) return false;
    if ((s->lines & 2) && !(s->aif & ARM_CPSR_F)) arm_take_exception(s, ARM_EXC_FIQ);
    else if ((s->lines & 1) && !(s->aif & ARM_CPSR_I)) arm_take_exception(s, ARM_EXC_IRQ);
    else return false;
    return true;
}

bool arm_sys_should_halt(arm_state *s)
{
    if (s->halt_wfe) {
        s->halt_wfe = 0;
        if (s->event) {
            s->event = 0;
            return false;
        }
    }
    /* A pending interrupt, masked or not, ends the wait (B1.8.13). */
    return !s->lines;
}

/* ---- The generic timer (B8) ----------------------------------------------------- */

/* The counter at the CPU's local time: the simulation's time plus what the
 * CPU ran ahead, counted to the current block. */
static uint64_t cnt_now(const arm_state *s)
{
    loom_cpu *cpu = s->sys->cpu;
    loom_time t = loom_cpu_local_time(cpu) + jit_cpu_retired(&s->jc) * loom_cpu_period(cpu);
    return t / ARM_CNT_PS;
}

static uint64_t cnt_offset(const arm_state *s, unsigned which) { return which ? s->cntvoff : 0; }

/* CNTx_CTL: ENABLE bit 0, IMASK bit 1, ISTATUS bit 2 (read only). */
static bool timer_status(const arm_state *s, unsigned which, uint64_t now)
{
    return (s->cnt_ctl[which] & 1) && now - cnt_offset(s, which) >= s->cnt_cval[which];
}

static void timer_update(arm_state *s, unsigned which, uint64_t now)
{
    arm_sys *sys = s->sys;
    bool st = timer_status(s, which, now);
    bool level = st && !(s->cnt_ctl[which] & 2);
    if (level != sys->out_level[which]) {
        sys->out_level[which] = level;
        /* Outputs: 0 secure physical, 1 physical, 2 virtual, 3 hypervisor. */
        loom_cpu_set_output(sys->cpu, which ? 2 : 1, level);
    }
    loom_event_cancel(sys->timer_ev[which]);
    if ((s->cnt_ctl[which] & 1) && !st) {
        uint64_t at = s->cnt_cval[which] + cnt_offset(s, which);
        if (at >= s->cnt_cval[which] && at < UINT64_MAX / ARM_CNT_PS)
            loom_event_schedule(sys->timer_ev[which], (loom_time)at * ARM_CNT_PS);
    }
}

static void timer_fire(loom_sim *sim, void *opaque, unsigned which)
{
    arm_sys *sys = opaque;
    timer_update(sys->s, which, loom_sim_now(sim) / ARM_CNT_PS);
}
static void timer_fire_phys(loom_sim *sim, void *opaque) { timer_fire(sim, opaque, 0); }
static void timer_fire_virt(loom_sim *sim, void *opaque) { timer_fire(sim, opaque, 1); }

uint64_t arm_timer_read(arm_state *s, enum arm_timer_reg r)
{
    uint64_t now = cnt_now(s);
    switch (r) {
    case ARM_CNTPCT: return now;
    case ARM_CNTVCT: return now - s->cntvoff;
    case ARM_CNTP_CTL:
    case ARM_CNTV_CTL: {
        unsigned w = r == ARM_CNTV_CTL;
        return (s->cnt_ctl[w] & 3) | (uint32_t)timer_status(s, w, now) << 2;
    }
    case ARM_CNTP_CVAL: return s->cnt_cval[0];
    case ARM_CNTV_CVAL: return s->cnt_cval[1];
    case ARM_CNTP_TVAL: return (uint32_t)(s->cnt_cval[0] - now);
    case ARM_CNTV_TVAL: return (uint32_t)(s->cnt_cval[1] - (now - s->cntvoff));
    }
    return 0;
}

void arm_timer_write(arm_state *s, enum arm_timer_reg r, uint64_t v)
{
    uint64_t now = cnt_now(s);
    switch (r) {
    case ARM_CNTP_CTL: s->cnt_ctl[0] = (uint32_t)v & 3; break;
    case ARM_CNTV_CTL: s->cnt_ctl[1] = (uint32_t)v & 3; break;
    case ARM_CNTP_CVAL: s->cnt_cval[0] = v; break;
    case ARM_CNTV_CVAL: s->cnt_cval[1] = v; break;
    /* TVAL: a signed 32-bit count down from now. */
    case ARM_CNTP_TVAL: s->cnt_cval[0] = now + (uint64_t)(int64_t)(int32_t)v; break;
    case ARM_CNTV_TVAL: s->cnt_cval[1] = now - s->cntvoff + (uint64_t)(int64_t)(int32_t)v; break;
    case ARM_CNTPCT: case ARM_CNTVCT: return; /* read only */
    }
    timer_update(s, 0, now);
    timer_update(s, 1, now);
}

/* ---- PSCI (ARM DEN 0022) over HVC and SMC ------------------------------------------ */

enum {
    PSCI_VERSION = 0x84000000u, PSCI_CPU_SUSPEND = 0x84000001u, PSCI_CPU_OFF = 0x84000002u,
    PSCI_CPU_ON = 0x84000003u, PSCI_AFFINITY_INFO = 0x84000004u, PSCI_MIGRATE_INFO_TYPE = 0x84000006u,
    PSCI_SYSTEM_OFF = 0x84000008u, PSCI_SYSTEM_RESET = 0x84000009u, PSCI_FEATURES = 0x8400000au,
};
#define PSCI_SMC64 0x40000000u /* the SMC64 forms of CPU_SUSPEND, CPU_ON, AFFINITY_INFO */
enum { PSCI_SUCCESS = 0, PSCI_NOT_SUPPORTED = -1, PSCI_INVALID_PARAMS = -2, PSCI_ALREADY_ON = -4 };

static arm_state *cpu_by_mpidr(arm_state *s, uint32_t mpidr)
{
    for (size_t i = 0; i < jit_engine_cpu_count(s->jc.eng); i++) {
        arm_state *o = (arm_state *)jit_engine_cpu(s->jc.eng, i);
        if (!o->jc.user_mode && (o->mpidr & 0x00ffffffu) == (mpidr & 0x00ffffffu)) return o;
    }
    return NULL;
}

/* The state CPU_ON starts a core in: Supervisor mode, interrupts masked,
 * the MMU and caches off (PSCI 5.6), at entry with context_id in r0. */
static void psci_cpu_on(arm_state *t, uint32_t entry, uint32_t context)
{
    loom_cpu_reset(t->sys->cpu);
    t->powered_off = 0;
    t->r[0] = context;
    t->thumb = entry & 1;
    t->r[15] = entry & ~1u;
    arm_key_update(t);
    loom_cpu_set_halted(t->sys->cpu, false);
}

bool arm_psci_call(arm_state *s)
{
    uint32_t fn = s->r[0] & ~PSCI_SMC64;
    int32_t ret = PSCI_NOT_SUPPORTED;
    loom_sim *sim = loom_cpu_sim(s->sys->cpu);
    switch (fn) {
    case PSCI_VERSION: ret = 0x10000; break; /* 1.0 */
    case PSCI_MIGRATE_INFO_TYPE: ret = 2; break; /* no trusted OS */
    case PSCI_FEATURES: {
        uint32_t q = s->r[1] & ~PSCI_SMC64;
        ret = (q >= PSCI_VERSION && q <= PSCI_FEATURES && q != 0x84000005u && q != 0x84000007u) ? 0
                                                                                             : PSCI_NOT_SUPPORTED;
        break;
    }
    case PSCI_CPU_SUSPEND: ret = PSCI_SUCCESS; break; /* a standby state: return at once */
    case PSCI_CPU_OFF:
        s->powered_off = 1;
        jit_cpu_request_exit(&s->jc);
        return true;
    case PSCI_CPU_ON: {
        arm_state *t = cpu_by_mpidr(s, s->r[1]);
        if (!t) ret = PSCI_INVALID_PARAMS;
        else if (!t->powered_off) ret = PSCI_ALREADY_ON;
        else {
            psci_cpu_on(t, s->r[2], s->r[3]);
            ret = PSCI_SUCCESS;
        }
        break;
    }
    case PSCI_AFFINITY_INFO: {
        arm_state *t = cpu_by_mpidr(s, s->r[1]);
        ret = !t || s->r[2] ? PSCI_INVALID_PARAMS : t->powered_off ? 1 : 0;
        break;
    }
    case PSCI_SYSTEM_OFF:
        loom_sim_request_stop(sim, LOOM_STOP_EXIT, 0);
        jit_cpu_request_exit(&s->jc);
        return true;
    case PSCI_SYSTEM_RESET:
        loom_sim_reset(sim);
        jit_cpu_request_exit(&s->jc);
        return true;
    default: return false;
    }
    s->r[0] = (uint32_t)ret;
    return true;
}

/* ---- Events: SEV wakes every core -------------------------------------------------- */

void arm_send_event(arm_state *s)
{
    for (size_t i = 0; i < jit_engine_cpu_count(s->jc.eng); i++) {
        arm_state *o = (arm_state *)jit_engine_cpu(s->jc.eng, i);
        o->event = 1;
        if (o->sys && !o->powered_off) loom_cpu_set_halted(o->sys->cpu, false);
    }
}

/* ---- Set-up ----------------------------------------------------------------------------- */

loom_err arm_sys_init(loom_cpu *cpu, arm_state *s)
{
    arm_sys *sys = calloc(1, sizeof *sys);
    if (!sys) return LOOM_E_NOMEM;
    sys->cpu = cpu;
    sys->s = s;
    s->sys = sys;
    loom_sim *sim = loom_cpu_sim(cpu);
    loom_err e = loom_event_new(sim, loom_cpu_name(cpu), "timer-phys", timer_fire_phys, sys, &sys->timer_ev[0]);
    if (!e) e = loom_event_new(sim, loom_cpu_name(cpu), "timer-virt", timer_fire_virt, sys, &sys->timer_ev[1]);
    return e;
}

void arm_sys_fini(arm_state *s)
{
    if (!s->sys) return;
    for (int i = 0; i < 2; i++)
        if (s->sys->timer_ev[i]) loom_event_free(s->sys->timer_ev[i]);
    free(s->sys);
    s->sys = NULL;
}

/* The reset state (B1.8.1 and the Cortex-A15 TRM): Supervisor mode with
 * A, I and F masked, the MMU and caches off. CPUs other than the board's
 * first stay off until PSCI CPU_ON, as on QEMU's virt. */
void arm_sys_reset(arm_state *s)
{
    s->mode = ARM_MODE_SVC;
    s->aif = ARM_CPSR_A | ARM_CPSR_I | ARM_CPSR_F;
    s->sctlr = 0x00c50078u;
    s->cntfrq = ARM_CNT_HZ;
    s->actlr = 0;
    s->powered_off = (s->mpidr & 0xffffff) != 0;
    if (s->sys) {
        for (int i = 0; i < 2; i++) {
            loom_event_cancel(s->sys->timer_ev[i]);
            if (s->sys->out_level[i]) loom_cpu_set_output(s->sys->cpu, i ? 2 : 1, false);
            s->sys->out_level[i] = false;
        }
    }
    s->key_flags = arm_key_flags(s);
    s->jc.fetch_mmu = ARM_MMU_PL1;
}

/* ---- Instructions that change mode or reach other banks ---------------------------------- */

bool arm_mode_valid(uint32_t m)
{
    switch (m) {
    case ARM_MODE_USR: case ARM_MODE_FIQ: case ARM_MODE_IRQ: case ARM_MODE_SVC: case ARM_MODE_ABT:
    case ARM_MODE_UND: case ARM_MODE_SYS:
        return true;
    default: return false;
    }
}

/* CPSRWriteByInstr (B1.3.3) in a privileged mode, or an exception return
 * (every bit). bytemask: MSR's field mask (bit 3 flags .. bit 0 control). */
static void cpsr_write(arm_state *s, uint32_t v, uint32_t bytemask, bool eret)
{
    uint32_t mask = 0;
    if (bytemask & 8) mask |= eret ? 0xff000000u : 0xf8000000u;
    if (bytemask & 4) mask |= 0x000f0000u;
    if (bytemask & 2) mask |= eret ? 0x0000ff00u : 0x00000300u;
    if (bytemask & 1) mask |= eret ? 0x000000ffu : 0x000000dfu;
    if (s->mode == ARM_MODE_USR) mask &= 0xf80f0200u; /* User mode: flags, GE and E only */
    arm_cpsr_set(s, v, mask);
    arm_key_update(s);
}

static uint32_t *user_reg(arm_state *s, unsigned n)
{
    if (n >= 8 && n <= 12 && s->mode == ARM_MODE_FIQ) return &s->usr_r8_12[n - 8];
    if (n >= 13 && n <= 14 && arm_bank(s->mode) != 0) return n == 13 ? &s->bank_sp[0] : &s->bank_lr[0];
    return &s->r[n];
}

static uint32_t *mode_sp(arm_state *s, uint32_t mode)
{
    return arm_bank(mode) == arm_bank(s->mode) ? &s->r[13] : &s->bank_sp[arm_bank(mode)];
}

uint64_t arm_sys_helper(jit_cpu *c, uint64_t op, uint64_t a, uint64_t b, uint64_t pc, uint64_t u4)
{
    arm_state *s = (arm_state *)c;
    switch ((enum arm_sys_op)op) {
    case ARM_SYS_MSR_CPSR:
        cpsr_write(s, (uint32_t)a, (uint32_t)b, false);
        return 0;
    case ARM_SYS_CPS: /* a: imod << 8 | A I F << 5 | M << 6 ... see the translator */
        if (s->mode == ARM_MODE_USR) return 0;
        if (a & ARM_CPS_ENABLE) s->aif &= ~(uint32_t)(a & 0x1c0u);
        if (a & ARM_CPS_DISABLE) s->aif |= (uint32_t)(a & 0x1c0u);
        if ((a & ARM_CPS_MODE) && arm_mode_valid(a & 0x1f)) arm_switch_mode(s, a & 0x1f);
        arm_key_update(s);
        return 0;
    case ARM_SYS_ERET: {
        /* Return from an exception: CPSR from SPSR (or b, RFE's word). */
        uint32_t cpsr = op == ARM_SYS_ERET && u4 ? (uint32_t)b : s->spsr;
        cpsr_write(s, cpsr, 0xf, true);
        s->r[15] = (uint32_t)a & (s->thumb ? ~1u : ~3u);
        s->event = 1; /* an exception return is an event for WFE */
        arm_key_update(s);
        return 0;
    }
    case ARM_SYS_GET_USR: return *user_reg(s, (unsigned)a);
    case ARM_SYS_SET_USR: *user_reg(s, (unsigned)a) = (uint32_t)b; return 0;
    case ARM_SYS_GET_SP: return *mode_sp(s, (uint32_t)a);
    case ARM_SYS_SET_SP: *mode_sp(s, (uint32_t)a) = (uint32_t)b; return 0;
    case ARM_SYS_CALL: /* HVC, SMC: PSCI, else undefined (no EL2, no EL3) */
        if (s->mode != ARM_MODE_USR && arm_psci_call(s)) return 0;
        s->r[15] = (uint32_t)pc;
        arm_take_exception(s, ARM_EXC_UNDEF);
        c->raised = 1;
        return 0;
    case ARM_SYS_SEV:
        arm_send_event(s);
        return 0;
    }
    return 0;
}
