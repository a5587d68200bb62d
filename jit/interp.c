/* The portable back end: runs a block's optimized IR directly. Slower than
 * native code, but it runs every test too, and a block must give the same
 * result on both. */
#include <stdlib.h>

#include "engine.h"
#include "eval.h"

static bool ensure_vals(jit_cpu *c, uint32_t n)
{
    if (n <= c->nvals) return true;
    uint64_t *v = realloc(c->vals, n * sizeof *v);
    if (!v) return false;
    c->vals = v;
    c->nvals = n;
    return true;
}

static uint64_t state_get(const jit_cpu *c, uint64_t off, ir_type t)
{
    const uint8_t *p = (const uint8_t *)c + off;
    switch (t) {
    case IR_I64: case IR_F64: { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }
    default: { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
    }
}

static void state_set(jit_cpu *c, uint64_t off, ir_type t, uint64_t v)
{
    uint8_t *p = (uint8_t *)c + off;
    if (t == IR_I64 || t == IR_F64) {
        __builtin_memcpy(p, &v, 8);
    } else {
        uint32_t w = (uint32_t)v;
        __builtin_memcpy(p, &w, 4);
    }
}

jit_end jit_interp(jit_cpu *c, jit_block *tb, uint32_t *retired, uint32_t *reason)
{
    if (!ensure_vals(c, tb->n)) {
        loom_cpu_fault(c->cpu, tb->pc, "out of memory running a block");
        *retired = 0;
        *reason = IR_EXIT_EXCEPTION;
        return JIT_END_EXIT;
    }
    uint64_t *val = c->vals;
    val[0] = 0; /* "no operand" reads as 0 (CARRY and OVF without a carry-in) */
    const jit_guest *g = c->guest;
    uint32_t started = 0; /* INSN markers passed */
    uint64_t cur_pc = tb->pc;
    uint32_t cur_extra = 0;
    jit_fault f;
    for (uint32_t v = 1; v < tb->n; v++) {
        const ir_insn *i = &tb->insns[v];
        switch (i->op) {
        case IR_NOP:
            break;
        case IR_INSN:
            if (c->smc_hit && started) {
                /* A store rewrote this block: leave before the next
                 * instruction, which must be translated again. */
                c->smc_hit = false;
                jit_set_pc(c, i->imm);
                *retired = started;
                *reason = IR_EXIT_NORMAL;
                return JIT_END_EXIT;
            }
            started++;
            cur_pc = i->imm;
            cur_extra = i->aux;
            break;
        case IR_GET:
            val[v] = state_get(c, i->imm, (ir_type)i->type);
            break;
        case IR_SET:
            state_set(c, i->imm, (ir_type)i->type, val[i->a]);
            break;
        case IR_LOAD:
            if (!jit_mem_load(c, val[i->a], i->flags, i->aux, &val[v], &f)) goto fault;
            if (i->type == IR_I32) val[v] &= 0xffffffffu;
            break;
        case IR_STORE:
            if (!jit_mem_store(c, val[i->a], i->flags, i->aux, val[i->b], &f)) goto fault;
            break;
        case IR_CMPXCHG: {
            /* One host thread runs a simulation's CPUs in system mode, so a
             * load and a store are atomic for the guest; user mode threads
             * use the host's compare-and-exchange through guest_base. */
            uint64_t old;
            if (!jit_mem_load(c, val[i->a], i->flags, i->aux, &old, &f)) goto fault;
            if (old == (val[i->b] & ((2ull << ((8u << (i->flags & 3)) - 1)) - 1)) &&
                !jit_mem_store(c, val[i->a], i->flags, i->aux, val[i->c], &f))
                goto fault;
            val[v] = old;
            break;
        }
        case IR_RMW: {
            uint64_t old, nv, x = val[i->b];
            if (!jit_mem_load(c, val[i->a], i->flags, i->aux, &old, &f)) goto fault;
            switch (i->imm) {
            case IR_RMW_ADD: nv = old + x; break;
            case IR_RMW_AND: nv = old & x; break;
            case IR_RMW_OR: nv = old | x; break;
            case IR_RMW_XOR: nv = old ^ x; break;
            default: nv = x; break;
            }
            if (!jit_mem_store(c, val[i->a], i->flags, i->aux, nv, &f)) goto fault;
            val[v] = old;
            break;
        }
        case IR_FENCE:
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            break;
        case IR_CALL: {
            uint64_t a[5] = {0};
            for (uint32_t k = 0; k < i->c && k < 5; k++) a[k] = val[tb->args[i->b + k]];
            val[v] = g->helpers[i->imm].fn(c, a[0], a[1], a[2], a[3], a[4]);
            if (i->type == IR_I32) val[v] &= 0xffffffffu;
            if ((i->aux & IR_HELPER_MAY_RAISE) && c->raised) {
                /* The helper raised an exception and set the state; it
                 * says whether its own instruction retired (2) or not (1). */
                *retired = started - (c->raised == 1);
                c->raised = 0;
                *reason = IR_EXIT_EXCEPTION;
                return JIT_END_RAISED;
            }
            break;
        }
        case IR_LABEL:
            break;
        case IR_BRCOND:
            if (val[i->a]) v = tb->label_pos[i->aux];
            break;
        case IR_BR:
            v = tb->label_pos[i->aux];
            break;
        case IR_GOTO:
            jit_set_pc(c, i->imm);
            *retired = started;
            *reason = IR_EXIT_NORMAL;
            return JIT_END_NEXT;
        case IR_JUMP:
            jit_set_pc(c, val[i->a]);
            *retired = started;
            *reason = IR_EXIT_NORMAL;
            return JIT_END_NEXT;
        case IR_EXIT:
            if (i->aux != IR_EXIT_EXCEPTION) jit_set_pc(c, i->imm);
            *retired = started;
            *reason = i->aux;
            return JIT_END_EXIT;
        default: {
            ir_type ta = i->a ? (ir_type)tb->insns[i->a].type : IR_VOID;
            if (ir_is_fp_checked(i)) {
                if (ir_fp_checked_eval(i, ta, val[i->a], val[i->b], &val[v]))
                    val[v] = g->helpers[i->aux].fn(c, ir_fp_checked_arg(i), val[i->a], i->b ? val[i->b] : 0, 0, 0) &
                             ir_mask((ir_type)i->type);
                break;
            }
            if (!ir_eval(i, ta, val[i->a], val[i->b], val[i->c], &val[v])) {
                loom_cpu_fault(c->cpu, cur_pc, "interpreter: unknown IR operation %u", i->op);
                *retired = started ? started - 1 : 0;
                *reason = IR_EXIT_EXCEPTION;
                return JIT_END_EXIT;
            }
            break;
        }
        }
    }
    /* The verifier guarantees a terminator; reaching here is a bug. */
    loom_cpu_fault(c->cpu, cur_pc, "interpreter: block without terminator");
    *retired = started;
    *reason = IR_EXIT_EXCEPTION;
    return JIT_END_EXIT;

fault:
    /* The faulting instruction did not retire; the state goes back to its
     * start and the guest raises the fault. */
    g->restore(c, cur_pc, cur_extra);
    jit_deliver_fault(c, &f);
    *retired = started ? started - 1 : 0;
    *reason = IR_EXIT_EXCEPTION;
    return JIT_END_FAULT;
}
