/* The IR block: building, checking and printing. */
#include "ir.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *const ir_op_names[IR_OP_COUNT] = {
#define IR_NAME(name, text) text,
    IR_OPS(IR_NAME)
#undef IR_NAME
};

void ir_block_init(ir_block *b)
{
    memset(b, 0, sizeof *b);
    ir_block_reset(b);
}

void ir_block_reset(ir_block *b)
{
    b->n = 0;
    b->nargs = 0;
    b->nlabels = 0;
    b->guest_insns = 0;
    b->failed = false;
    ir_emit(b, IR_NOP, IR_VOID, 0, 0, 0, 0, 0); /* value 0 means "none" */
}

void ir_block_free(ir_block *b)
{
    free(b->insns);
    free(b->args);
    memset(b, 0, sizeof *b);
}

ir_val ir_emit(ir_block *b, ir_op op, ir_type t, ir_val a, ir_val bb, ir_val c, uint64_t imm, uint32_t aux)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 256;
        ir_insn *v = realloc(b->insns, cap * sizeof *v);
        if (!v) {
            b->failed = true;
            return 0;
        }
        b->insns = v;
        b->cap = cap;
    }
    /* Constants are canonical: an i32 constant holds its value zero-extended. */
    if (op == IR_CONST && t == IR_I32) imm = (uint32_t)imm;
    if (op == IR_CONST && t == IR_F32) imm = (uint32_t)imm;
    b->insns[b->n] = (ir_insn){.op = (uint8_t)op, .type = (uint8_t)t, .aux = aux, .a = a, .b = bb, .c = c, .imm = imm};
    return b->n++;
}

bool ir_predicate(ir_block *b, ir_val branch)
{
    enum { MAX_SETS = 6 };
    ir_val sets[MAX_SETS];
    unsigned nsets = 0;
    if (b->failed || b->insns[branch].op != IR_BRCOND) return false;
    for (ir_val v = branch + 1; v < b->n; v++) {
        const ir_insn *i = &b->insns[v];
        switch (i->op) {
        case IR_NOP: case IR_CONST: case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
        case IR_MUL: case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROR: case IR_NOT: case IR_NEG:
        case IR_ADC: case IR_CARRY: case IR_OVF: case IR_OVFSUB: case IR_SELECT: case IR_ZEXT: case IR_SEXT:
        case IR_TRUNC: case IR_BSWAP: case IR_EXTRACT: case IR_SEXTRACT:
            break;
        case IR_SETCC:
            if (b->insns[i->a].type != IR_I32 && b->insns[i->a].type != IR_I64) return false;
            break;
        case IR_GET: {
            /* It must read the state from before the region. */
            unsigned bytes = ir_type_bits((ir_type)i->type) / 8;
            for (unsigned k = 0; k < nsets; k++) {
                const ir_insn *s = &b->insns[sets[k]];
                unsigned sb = ir_type_bits((ir_type)s->type) / 8;
                if (s->imm < i->imm + bytes && i->imm < s->imm + sb) return false;
            }
            break;
        }
        case IR_SET:
            if ((i->type != IR_I32 && i->type != IR_I64) || nsets == MAX_SETS) return false;
            sets[nsets++] = v;
            break;
        default:
            return false;
        }
    }
    /* The SETs go, in order, after the region, each keeping the old value
     * when the branch would have skipped it. */
    ir_val skip = b->insns[branch].a;
    b->insns[branch] = (ir_insn){.op = IR_NOP};
    for (unsigned k = 0; k < nsets; k++) {
        ir_insn s = b->insns[sets[k]];
        b->insns[sets[k]] = (ir_insn){.op = IR_NOP};
        ir_val old = ir_get(b, (ir_type)s.type, (uint32_t)s.imm);
        ir_set(b, (uint32_t)s.imm, ir_select(b, skip, old, s.a));
    }
    return !b->failed;
}

static unsigned size_log2(unsigned size) { return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0; }

static uint8_t mem_flags(unsigned size, bool sign, bool be)
{
    return (uint8_t)(size_log2(size) | (sign ? IR_MEM_SIGNED : 0) | (be ? IR_MEM_BE : 0));
}

ir_val ir_load(ir_block *b, ir_type t, ir_val addr, unsigned size, bool sign, bool be, unsigned mmu_idx)
{
    ir_val v = ir_emit(b, IR_LOAD, t, addr, 0, 0, 0, mmu_idx);
    if (v) b->insns[v].flags = mem_flags(size, sign, be);
    return v;
}

ir_val ir_store(ir_block *b, ir_val addr, ir_val val, unsigned size, bool be, unsigned mmu_idx)
{
    ir_val v = ir_emit(b, IR_STORE, ir_type_of(b, val), addr, val, 0, 0, mmu_idx);
    if (v) b->insns[v].flags = mem_flags(size, false, be);
    return v;
}

ir_val ir_fp_checked(ir_block *b, ir_op op, ir_type t, ir_val x, ir_val y, unsigned check, unsigned helper,
                     uint32_t arg, uint32_t state_off)
{
    ir_val v = ir_emit(b, op, t, x, y, 0, (uint64_t)state_off << 32 | arg, helper);
    if (v) b->insns[v].flags = (uint8_t)(check & IR_FPCHK_MASK);
    return v;
}

ir_val ir_cmpxchg(ir_block *b, ir_val addr, ir_val expect, ir_val newv, unsigned size, bool be, unsigned mmu_idx)
{
    ir_val v = ir_emit(b, IR_CMPXCHG, ir_type_of(b, expect), addr, expect, newv, 0, mmu_idx);
    if (v) b->insns[v].flags = mem_flags(size, false, be);
    return v;
}

ir_val ir_rmw(ir_block *b, ir_rmw_op op, ir_val addr, ir_val val, unsigned size, bool be, unsigned mmu_idx)
{
    ir_val v = ir_emit(b, IR_RMW, ir_type_of(b, val), addr, val, 0, op, mmu_idx);
    if (v) b->insns[v].flags = mem_flags(size, false, be);
    return v;
}

ir_val ir_call(ir_block *b, ir_type ret, unsigned helper, unsigned flags, const ir_val *args, unsigned nargs)
{
    if (b->nargs + nargs > b->argcap) {
        uint32_t cap = b->argcap ? b->argcap * 2 : 64;
        while (cap < b->nargs + nargs) cap *= 2;
        uint64_t *v = realloc(b->args, cap * sizeof *v);
        if (!v) {
            b->failed = true;
            return 0;
        }
        b->args = v;
        b->argcap = cap;
    }
    uint32_t first = b->nargs;
    for (unsigned i = 0; i < nargs; i++) b->args[b->nargs++] = args[i];
    return ir_emit(b, IR_CALL, ret, 0, first, nargs, helper, flags);
}

unsigned ir_type_bits(ir_type t) { return t == IR_I64 || t == IR_F64 ? 64 : t == IR_VOID ? 0 : 32; }

bool ir_is_barrier(const ir_insn *i)
{
    switch (i->op) {
    case IR_LOAD: case IR_STORE: case IR_CMPXCHG: case IR_RMW:
        return true;
    case IR_CALL:
        return (i->aux & (IR_HELPER_MAY_RAISE | IR_HELPER_READS_STATE | IR_HELPER_WRITES_STATE)) != 0;
    default:
        return false;
    }
}

bool ir_has_side_effects(const ir_insn *i)
{
    switch (i->op) {
    case IR_SET: case IR_LOAD: /* a load may fault or touch a device */
    case IR_STORE: case IR_CMPXCHG: case IR_RMW: case IR_FENCE:
    case IR_INSN: case IR_LABEL: case IR_BRCOND: case IR_BR:
    case IR_GOTO: case IR_JUMP: case IR_EXIT:
        return true;
    case IR_CALL:
        return !(i->aux & IR_HELPER_PURE);
    default:
        return ir_is_fp_checked(i); /* its helper may set the guest's flags */
    }
}

/* ---- Verifier ------------------------------------------------------------ */

static bool is_int(ir_type t) { return t == IR_I32 || t == IR_I64; }
static bool is_float(ir_type t) { return t == IR_F32 || t == IR_F64; }

#define FAIL(...)                                   \
    do {                                            \
        snprintf(msg, len, __VA_ARGS__);            \
        return msg;                                 \
    } while (0)

const char *ir_verify(const ir_block *b, char *msg, size_t len)
{
    if (b->failed) FAIL("block ran out of memory while being built");
    if (b->n < 2) FAIL("empty block");
    /* Where each label is defined, and the branches to each label. */
    uint32_t *label_at = calloc(b->nlabels ? b->nlabels : 1, sizeof *label_at);
    if (!label_at) FAIL("out of memory");
    const char *res = NULL;
    for (uint32_t v = 1; v < b->n && !res; v++) {
        const ir_insn *i = &b->insns[v];
        if (i->op == IR_LABEL) {
            if (i->aux >= b->nlabels) { snprintf(msg, len, "v%u: label %u was never allocated", v, i->aux); res = msg; }
            else if (label_at[i->aux]) { snprintf(msg, len, "v%u: label %u defined twice", v, i->aux); res = msg; }
            else label_at[i->aux] = v;
        }
    }
    for (uint32_t v = 1; v < b->n && !res; v++) {
        const ir_insn *i = &b->insns[v];
        ir_val ops[3] = {i->a, i->b, i->c};
        unsigned nops = i->op == IR_CALL ? 0 : 3;
        for (unsigned k = 0; k < nops; k++) {
            if (!ops[k]) continue;
            if (ops[k] >= v) { snprintf(msg, len, "v%u (%s): operand v%u is not defined before it", v, ir_op_names[i->op], ops[k]); res = msg; break; }
            ir_insn *d = &b->insns[ops[k]];
            if (d->type == IR_VOID) { snprintf(msg, len, "v%u (%s): operand v%u (%s) has no value", v, ir_op_names[i->op], ops[k], ir_op_names[d->op]); res = msg; break; }
            /* A value defined after a forward branch may not be used past
             * that branch's label: the branch may have skipped it. */
            for (uint32_t s = 1; s < ops[k]; s++) {
                const ir_insn *br = &b->insns[s];
                if ((br->op == IR_BRCOND || br->op == IR_BR) && br->aux < b->nlabels) {
                    uint32_t t = label_at[br->aux];
                    if (t > ops[k] && t < v) { snprintf(msg, len, "v%u (%s): operand v%u may be skipped by the branch at v%u", v, ir_op_names[i->op], ops[k], s); res = msg; break; }
                }
            }
            if (res) break;
        }
        if (res) break;
        if (i->op == IR_CALL) {
            if ((uint64_t)i->b + i->c > b->nargs) { snprintf(msg, len, "v%u: call arguments out of range", v); res = msg; break; }
            for (uint32_t k = 0; k < i->c; k++)
                if (b->args[i->b + k] >= v || !b->args[i->b + k]) { snprintf(msg, len, "v%u: call argument %u is not defined before it", v, k); res = msg; break; }
            if (res) break;
        }
        ir_type ta = i->a ? (ir_type)b->insns[i->a].type : IR_VOID;
        ir_type tb = i->b ? (ir_type)b->insns[i->b].type : IR_VOID;
        ir_type t = (ir_type)i->type;
        switch (i->op) {
        case IR_ADD: case IR_SUB: case IR_MUL: case IR_MULHU: case IR_MULHS: case IR_DIVU: case IR_DIVS:
        case IR_REMU: case IR_REMS: case IR_AND: case IR_OR: case IR_XOR: case IR_SHL: case IR_SHR:
        case IR_SAR: case IR_ROR:
            if (!is_int(t) || ta != t || tb != t) { snprintf(msg, len, "v%u (%s): operands must both be %s", v, ir_op_names[i->op], t == IR_I64 ? "i64" : "i32"); res = msg; }
            break;
        case IR_ADC: case IR_CARRY: case IR_OVF: case IR_OVFSUB:
            if (!is_int(ta) || ta != tb || (i->c && b->insns[i->c].type != IR_I32)) { snprintf(msg, len, "v%u (%s): mismatched operand types", v, ir_op_names[i->op]); res = msg; }
            break;
        case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV:
            if (!is_float(t) || ta != t || tb != t) { snprintf(msg, len, "v%u (%s): operands must be floats of the result type", v, ir_op_names[i->op]); res = msg; }
            break;
        case IR_NOT: case IR_NEG: case IR_CLZ: case IR_CTZ: case IR_POPCNT: case IR_BSWAP: case IR_EXTRACT: case IR_SEXTRACT:
            if (!is_int(t) || ta != t) { snprintf(msg, len, "v%u (%s): operand must be of the result type", v, ir_op_names[i->op]); res = msg; }
            break;
        case IR_DEPOSIT:
            if (!is_int(t) || ta != t || !is_int(tb) || i->imm + i->aux > ir_type_bits(t) || i->aux == 0) { snprintf(msg, len, "v%u (deposit): bad operands or field", v); res = msg; }
            break;
        case IR_FCMP:
            if (t != IR_I32 || ta != tb || !is_float(ta)) { snprintf(msg, len, "v%u (fcmp): two floats of one type, i32 result", v); res = msg; }
            break;
        case IR_SETCC:
            if (t != IR_I32 || ta != tb || ta == IR_VOID) { snprintf(msg, len, "v%u (setcc): operands must have one type", v); res = msg; }
            break;
        case IR_SELECT:
            if (ta != IR_I32 || tb != t || b->insns[i->c].type != t) { snprintf(msg, len, "v%u (select): condition i32, both values of the result type", v); res = msg; }
            break;
        case IR_ZEXT: case IR_SEXT:
            if (!is_int(t) || !is_int(ta) || (i->aux != 8 && i->aux != 16 && i->aux != 32) || i->aux > ir_type_bits(ta)) { snprintf(msg, len, "v%u (%s): bad source width", v, ir_op_names[i->op]); res = msg; }
            break;
        case IR_TRUNC:
            if (t != IR_I32 || ta != IR_I64) { snprintf(msg, len, "v%u (trunc): i64 to i32 only", v); res = msg; }
            break;
        case IR_LOAD: case IR_STORE: case IR_CMPXCHG: case IR_RMW:
            if (!is_int(ta)) { snprintf(msg, len, "v%u (%s): address must be an integer", v, ir_op_names[i->op]); res = msg; }
            else if ((1u << (i->flags & IR_MEM_SIZE_MASK)) * 8 > ir_type_bits(t)) { snprintf(msg, len, "v%u (%s): access wider than its value", v, ir_op_names[i->op]); res = msg; }
            break;
        case IR_GET: case IR_CONST:
            if (t == IR_VOID) { snprintf(msg, len, "v%u (%s): needs a type", v, ir_op_names[i->op]); res = msg; }
            break;
        case IR_BRCOND: case IR_BR:
            if (i->aux >= b->nlabels || label_at[i->aux] == 0) { snprintf(msg, len, "v%u (%s): label %u is never placed", v, ir_op_names[i->op], i->aux); res = msg; }
            else if (label_at[i->aux] < v) { snprintf(msg, len, "v%u (%s): branches go forward only", v, ir_op_names[i->op]); res = msg; }
            else if (i->op == IR_BRCOND && ta != IR_I32) { snprintf(msg, len, "v%u (brcond): condition must be i32", v); res = msg; }
            else {
                /* The budget is taken for every instruction at the block's
                 * entry: a jump over some must say how many. */
                uint64_t skipped = 0;
                for (uint32_t s = v + 1; s < label_at[i->aux]; s++) skipped += b->insns[s].op == IR_INSN;
                if (skipped != i->imm) { snprintf(msg, len, "v%u (%s): jumps over %" PRIu64 " guest instructions but says %" PRIu64, v, ir_op_names[i->op], skipped, i->imm); res = msg; }
            }
            break;
        case IR_JUMP:
            if (!is_int(ta)) { snprintf(msg, len, "v%u (jump): target must be an integer", v); res = msg; }
            break;
        default:
            break;
        }
        if (res) break;
        if (ir_is_terminator((ir_op)i->op) && v + 1 < b->n && b->insns[v + 1].op != IR_LABEL) {
            snprintf(msg, len, "v%u (%s): code after a terminator must start with a label", v, ir_op_names[i->op]);
            res = msg;
        }
    }
    if (!res && !ir_is_terminator((ir_op)b->insns[b->n - 1].op)) {
        snprintf(msg, len, "the block does not end with goto, jump or exit");
        res = msg;
    }
    free(label_at);
    return res;
}

static const char *const type_names[] = {"void", "i32", "i64", "f32", "f64"};
static const char *const cond_names[] = {"eq", "ne", "ltu", "leu", "gtu", "geu", "lts", "les", "gts", "ges",
                                         "feq", "flt", "fle", "funord"};

void ir_print(const ir_block *b, FILE *out)
{
    for (uint32_t v = 1; v < b->n; v++) {
        const ir_insn *i = &b->insns[v];
        if (i->op == IR_NOP) continue;
        if (i->op == IR_INSN) {
            fprintf(out, " ---- 0x%08" PRIx64 " (%u)\n", i->imm, i->aux);
            continue;
        }
        if (i->type != IR_VOID && i->op != IR_STORE && i->op != IR_SET)
            fprintf(out, "  v%-4u = %-8s %s", v, ir_op_names[i->op], type_names[i->type]);
        else
            fprintf(out, "           %-8s", ir_op_names[i->op]);
        switch (i->op) {
        case IR_CONST: fprintf(out, " 0x%" PRIx64, i->imm); break;
        case IR_GET: fprintf(out, " [env+%" PRIu64 "]", i->imm); break;
        case IR_SET: fprintf(out, " [env+%" PRIu64 "], v%u", i->imm, i->a); break;
        case IR_LABEL: fprintf(out, " L%u", i->aux); break;
        case IR_BR: case IR_BRCOND:
            if (i->op == IR_BRCOND) fprintf(out, " v%u,", i->a);
            fprintf(out, " L%u", i->aux);
            if (i->imm) fprintf(out, " skips %" PRIu64, i->imm);
            break;
        case IR_GOTO: fprintf(out, " 0x%" PRIx64, i->imm); break;
        case IR_EXIT: fprintf(out, " reason %u, pc 0x%" PRIx64, i->aux, i->imm); break;
        case IR_CALL:
            fprintf(out, " helper%" PRIu64 "(", i->imm);
            for (uint32_t k = 0; k < i->c; k++) fprintf(out, "%sv%" PRIu64, k ? ", " : "", b->args[i->b + k]);
            fprintf(out, ")");
            break;
        default:
            if (i->a) fprintf(out, " v%u", i->a);
            if (i->b) fprintf(out, ", v%u", i->b);
            if (i->c) fprintf(out, ", v%u", i->c);
            if (i->op == IR_SETCC) fprintf(out, " %s", cond_names[i->aux]);
            if (i->op == IR_ZEXT || i->op == IR_SEXT || i->op == IR_BSWAP) fprintf(out, " from %u", i->aux);
            if (i->op == IR_EXTRACT || i->op == IR_SEXTRACT || i->op == IR_DEPOSIT)
                fprintf(out, " pos %" PRIu64 " len %u", i->imm, i->aux);
            if (i->op == IR_LOAD || i->op == IR_STORE || i->op == IR_CMPXCHG || i->op == IR_RMW) {
                fprintf(out, " size %u%s%s%s mmu %u", 1u << (i->flags & 3), i->flags & IR_MEM_SIGNED ? " signed" : "",
                        i->flags & IR_MEM_BE ? " be" : "", i->flags & IR_MEM_ALIGN4 ? " aligned4" : i->flags & IR_MEM_ALIGN ? " aligned" : "", i->aux);
                if (i->flags & IR_MEM_COVERED) fprintf(out, " covered");
            }
            break;
        }
        fputc('\n', out);
    }
}
