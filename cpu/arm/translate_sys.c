/* System instructions both ARM translators share: the CPSR and SPSRs, CPS,
 * exception return, CP15, WFI/WFE/SEV, HVC and SMC. Whatever can change
 * the mode goes through a helper and ends the block, so the next block is
 * looked up with the new mode in its key. */
#include "cp15.h"
#include "translate.h"

#define OFF(field) ARM_OFF(field)

static ir_val k32(ir_block *b, uint32_t v) { return ir_const32(b, v); }

bool arm_priv(const jit_tcx *t) { return t->flags & ARM_KEY_PRIV; }
bool arm_system(const jit_tcx *t) { return !t->cpu->user_mode; }

ir_val arm_sys_call(jit_tcx *t, enum arm_sys_op op, ir_val a, ir_val b, uint32_t pc, uint32_t u4)
{
    ir_block *bl = t->b;
    ir_val args[5] = {k32(bl, op), a ? a : k32(bl, 0), b ? b : k32(bl, 0), k32(bl, pc), k32(bl, u4)};
    return ir_call(bl, IR_I32, ARM_H_SYS, IR_HELPER_READS_STATE | IR_HELPER_WRITES_STATE | IR_HELPER_MAY_RAISE,
                   args, 5);
}

void arm_end_after_helper(jit_tcx *t)
{
    ir_jump(t->b, ir_get(t->b, IR_I32, ARM_REG(15)));
    t->end = true;
}

/* Go on at next_pc, looked up again: the helper may have changed the key. */
static void end_at(jit_tcx *t, uint32_t next_pc)
{
    ir_set(t->b, ARM_REG(15), k32(t->b, next_pc));
    arm_end_after_helper(t);
}

void arm_gen_msr_cpsr(jit_tcx *t, ir_val v, unsigned mask, uint32_t next_pc)
{
    arm_sys_call(t, ARM_SYS_MSR_CPSR, v, k32(t->b, mask), next_pc, 0);
    end_at(t, next_pc);
}

ir_val arm_gen_cpsr_read(jit_tcx *t)
{
    ir_block *b = t->b;
    ir_val r = arm_system(t) ? ir_or(b, ir_get(b, IR_I32, OFF(mode)), ir_get(b, IR_I32, OFF(aif)))
                             : k32(b, ARM_MODE_USR); /* Linux user mode: always User */
    r = ir_or(b, r, ir_and(b, ir_get(b, IR_I32, OFF(nf)), k32(b, 1u << 31)));
    r = ir_or(b, r, ir_shl(b, ir_setcc(b, IR_EQ, ir_get(b, IR_I32, OFF(zf)), k32(b, 0)), k32(b, 30)));
    r = ir_or(b, r, ir_shl(b, ir_get(b, IR_I32, OFF(cf)), k32(b, 29)));
    r = ir_or(b, r, ir_shl(b, ir_get(b, IR_I32, OFF(vf)), k32(b, 28)));
    r = ir_or(b, r, ir_shl(b, ir_get(b, IR_I32, OFF(qf)), k32(b, 27)));
    return ir_or(b, r, ir_shl(b, ir_get(b, IR_I32, OFF(ge)), k32(b, 16)));
}

void arm_gen_msr_spsr(jit_tcx *t, ir_val v, unsigned mask)
{
    ir_block *b = t->b;
    uint32_t m = 0;
    for (unsigned i = 0; i < 4; i++)
        if (mask & (1u << i)) m |= 0xffu << (8 * i);
    ir_val old = ir_and(b, ir_get(b, IR_I32, OFF(spsr)), k32(b, ~m));
    ir_set(b, OFF(spsr), ir_or(b, old, ir_and(b, v, k32(b, m))));
}

void arm_gen_cps(jit_tcx *t, unsigned imod, unsigned aif, bool change, unsigned mode, uint32_t next_pc)
{
    uint32_t a = (aif & 7) << 6 | (mode & 0x1f) | (change ? ARM_CPS_MODE : 0) |
                 (imod == 2 ? ARM_CPS_ENABLE : imod == 3 ? ARM_CPS_DISABLE : 0);
    arm_sys_call(t, ARM_SYS_CPS, k32(t->b, a), IR_NONE, next_pc, 0);
    end_at(t, next_pc);
}

void arm_gen_eret(jit_tcx *t, ir_val addr, uint32_t pc)
{
    arm_sys_call(t, ARM_SYS_ERET, addr, IR_NONE, pc, 0);
    arm_end_after_helper(t);
}

bool arm_gen_cp15(jit_tcx *t, uint32_t key, bool read, unsigned rt, unsigned rt2, uint32_t pc, uint32_t next_pc)
{
    ir_block *b = t->b;
    const arm_cp15_reg *r = arm_cp15_find(key);
    if (!r) {
        if (loom_log_enabled(loom_cpu_sim(t->cpu->cpu), LOOM_LOG_UNIMP))
            loom_log(loom_cpu_sim(t->cpu->cpu), LOOM_LOG_UNIMP,
                     "arm: no CP15 register opc1=%u CRn=%u CRm=%u opc2=%u%s at 0x%08x\n", key >> 12 & 7,
                     key >> 8 & 15, key >> 4 & 15, key & 7, key & ARM_CP15_64 ? " (64-bit)" : "", pc);
        return false;
    }
    unsigned need = arm_priv(t) ? (read ? ARM_CP_R1 : ARM_CP_W1) : (read ? ARM_CP_R0 : ARM_CP_W0);
    if (!(r->access & need)) return false;
    bool is64 = key & ARM_CP15_64;
    if (r->effect & ARM_CP_BARRIER) {
        ir_fence(b);
        return true;
    }
    switch (r->kind) {
    case ARM_CP_CONST:
        ir_set(b, ARM_REG(rt), k32(b, r->value));
        return true;
    case ARM_CP_NOP:
        if (read) ir_set(b, ARM_REG(rt), k32(b, 0));
        return true;
    case ARM_CP_FIELD:
        if (!(r->effect & ARM_CP_FLUSH) || read) {
            if (read) ir_set(b, ARM_REG(rt), ir_get(b, IR_I32, r->value));
            else ir_set(b, r->value, ir_get(b, IR_I32, ARM_REG(rt)));
            return true;
        }
        break;
    }
    ir_val lo = read ? k32(b, 0) : ir_get(b, IR_I32, ARM_REG(rt));
    ir_val hi = read || !is64 ? k32(b, 0) : ir_get(b, IR_I32, ARM_REG(rt2));
    ir_val args[4] = {k32(b, arm_cp15_index(r) | (read ? 0 : ARM_CP15_OP_WRITE)), lo, hi, k32(b, pc)};
    ir_val v = ir_call(b, IR_I64, ARM_H_CP15, IR_HELPER_READS_STATE | IR_HELPER_WRITES_STATE | IR_HELPER_MAY_RAISE,
                       args, 4);
    if (read) {
        ir_set(b, ARM_REG(rt), ir_trunc(b, v));
        if (is64) ir_set(b, ARM_REG(rt2), ir_trunc(b, ir_shr(b, v, ir_const64(b, 32))));
    }
    if (!read && (r->effect & ARM_CP_FLUSH)) end_at(t, next_pc);
    return true;
}

void arm_gen_wait(jit_tcx *t, bool wfe, uint32_t next_pc)
{
    if (!arm_system(t)) {
        /* Linux user mode: WFE is a hint; WFI waits for nothing. */
        if (wfe) return;
        ir_exit(t->b, IR_EXIT_HALT, next_pc);
        t->end = true;
        return;
    }
    ir_set(t->b, OFF(halt_wfe), k32(t->b, wfe));
    ir_exit(t->b, IR_EXIT_HALT, next_pc);
    t->end = true;
}

void arm_gen_sev(jit_tcx *t)
{
    if (arm_system(t)) arm_sys_call(t, ARM_SYS_SEV, IR_NONE, IR_NONE, 0, 0);
}

void arm_gen_hvc(jit_tcx *t, uint32_t pc, uint32_t next_pc)
{
    if (!arm_system(t)) {
        arm_gen_undef(t, pc);
        return;
    }
    ir_set(t->b, ARM_REG(15), k32(t->b, next_pc));
    arm_sys_call(t, ARM_SYS_CALL, IR_NONE, IR_NONE, pc, 0);
    arm_end_after_helper(t);
}
