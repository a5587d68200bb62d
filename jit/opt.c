/* The optimizer: one forward pass for constant folding, algebraic identities
 * and guest-state forwarding (GET after SET, GET after GET, SETs overwritten
 * before anyone can see them), then one backward pass that removes what no
 * side effect needs. Condition flags nobody reads die here. */
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "opt.h"

/* What the forward pass knows about a byte range of guest state. */
typedef struct cached {
    uint32_t off;
    uint8_t size;
    uint8_t type;
    ir_val val;     /* the value the state holds now */
    ir_val set;     /* the SET that wrote it, if no one may have seen it yet */
} cached;

#define MAX_CACHED 64

typedef struct fwd {
    cached c[MAX_CACHED];
    unsigned n;
} fwd;

static unsigned type_bytes(ir_type t) { return ir_type_bits(t) / 8; }

static bool overlaps(const cached *c, uint32_t off, unsigned size)
{
    return c->off < off + size && off < c->off + c->size;
}

/* Forget every entry overlapping [off, off+size). A pending SET that is
 * only partly overwritten stays (its other bytes are still needed). */
static void forget(fwd *f, uint32_t off, unsigned size)
{
    unsigned k = 0;
    for (unsigned i = 0; i < f->n; i++)
        if (!overlaps(&f->c[i], off, size)) f->c[k++] = f->c[i];
    f->n = k;
}

/* Someone may read the state now (a barrier, a helper, a branch): pending
 * SETs must stay. */
static void publish(fwd *f)
{
    for (unsigned i = 0; i < f->n; i++) f->c[i].set = 0;
}

static ir_val resolve(const ir_val *repl, ir_val v)
{
    while (v && repl[v]) v = repl[v];
    return v;
}

static bool is_const(const ir_block *b, ir_val v, uint64_t *k)
{
    if (!v || b->insns[v].op != IR_CONST) return false;
    if (k) *k = b->insns[v].imm;
    return true;
}

static void make_const(ir_insn *i, uint64_t k)
{
    ir_type t = (ir_type)i->type;
    *i = (ir_insn){.op = IR_CONST, .type = (uint8_t)t, .imm = k & ir_mask(t)};
}

static void make_nop(ir_insn *i) { *i = (ir_insn){.op = IR_NOP}; }

/* x op identity = x and friends. Returns the value to use instead, or 0. */
static ir_val simplify(ir_block *b, ir_val v)
{
    ir_insn *i = &b->insns[v];
    uint64_t ka = 0, kb = 0;
    bool ca = is_const(b, i->a, &ka), cb = is_const(b, i->b, &kb);
    uint64_t m = ir_mask((ir_type)i->type);
    switch (i->op) {
    case IR_ADD: case IR_OR: case IR_XOR: case IR_SUB: case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROR:
        if (cb && kb == 0) return i->a;
        if (ca && ka == 0 && (i->op == IR_ADD || i->op == IR_OR || i->op == IR_XOR)) return i->b;
        if (i->a == i->b && i->op == IR_XOR) { make_const(i, 0); return 0; }
        if (i->a == i->b && i->op == IR_SUB) { make_const(i, 0); return 0; }
        if (i->a == i->b && i->op == IR_OR) return i->a;
        break;
    case IR_AND:
        if (cb && (kb & m) == m) return i->a;
        if (ca && (ka & m) == m) return i->b;
        if ((cb && kb == 0) || (ca && ka == 0)) { make_const(i, 0); return 0; }
        if (i->a == i->b) return i->a;
        break;
    case IR_MUL:
        if (cb && kb == 1) return i->a;
        if (ca && ka == 1) return i->b;
        if ((cb && kb == 0) || (ca && ka == 0)) { make_const(i, 0); return 0; }
        break;
    case IR_SELECT:
        if (ca) return ka ? i->b : i->c;
        if (i->b == i->c) return i->b;
        break;
    case IR_CARRY: case IR_OVF: {
        uint64_t kc = 0;
        if (!i->c || is_const(b, i->c, &kc)) {
            if (kc == 0 && ((cb && kb == 0) || (ca && ka == 0))) { make_const(i, 0); return 0; }
            /* a + ~x + 1 is a - x: its carry is "a >= x unsigned" and its
             * overflow that of the subtraction, each one host compare
             * (and the NOT dies). */
            if (kc == 1 && b->insns[i->b].op == IR_NOT) {
                i->b = b->insns[i->b].a;
                i->c = 0;
                if (i->op == IR_CARRY) {
                    i->op = IR_SETCC;
                    i->aux = IR_GEU;
                } else {
                    i->op = IR_OVFSUB;
                }
            }
        }
        break;
    }
    case IR_OVFSUB:
        if (cb && kb == 0) { make_const(i, 0); return 0; } /* a - 0 never overflows */
        break;
    case IR_SETCC:
        /* Against unsigned 0: always above or equal, never below. */
        if (cb && kb == 0 && (i->aux == IR_GEU || i->aux == IR_LTU) &&
            (b->insns[i->a].type == IR_I32 || b->insns[i->a].type == IR_I64)) {
            make_const(i, i->aux == IR_GEU);
            return 0;
        }
        /* (a - x) == 0 is a == x. */
        if ((i->aux == IR_EQ || i->aux == IR_NE) && cb && kb == 0 && b->insns[i->a].op == IR_SUB) {
            const ir_insn *s = &b->insns[i->a];
            i->a = s->a;
            i->b = s->b;
        }
        break;
    case IR_ADC: {
        uint64_t kc;
        if (is_const(b, i->c, &kc) && kc == 0) {
            i->op = IR_ADD;
            i->c = 0;
            return simplify(b, v);
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

void ir_optimize(ir_block *b, unsigned flags)
{
    ir_val *repl = calloc(b->n, sizeof *repl);
    fwd *f = calloc(1, sizeof *f);
    if (!repl || !f) {
        free(repl);
        free(f);
        return; /* the block stays correct, only slower */
    }
    bool stored = false; /* a store since the last INSN marker */
    for (ir_val v = 1; v < b->n; v++) {
        ir_insn *i = &b->insns[v];
        if (i->op == IR_CALL) {
            for (uint32_t k = 0; k < i->c; k++) b->args[i->b + k] = resolve(repl, (ir_val)b->args[i->b + k]);
        } else {
            i->a = resolve(repl, i->a);
            i->b = resolve(repl, i->b);
            i->c = resolve(repl, i->c);
        }
        if (ir_is_fp_checked(i)) {
            /* Its helper reads and may write one state word. */
            uint32_t off = ir_fp_checked_off(i);
            for (unsigned k = 0; k < f->n; k++)
                if (overlaps(&f->c[k], off, 4)) f->c[k].set = 0;
            forget(f, off, 4);
            continue;
        }
        switch (i->op) {
        case IR_GET: {
            unsigned size = type_bytes((ir_type)i->type);
            bool done = false;
            for (unsigned k = 0; k < f->n && !done; k++) {
                cached *c = &f->c[k];
                if (c->off == i->imm && c->size == size && c->type == i->type) {
                    repl[v] = c->val;
                    make_nop(i);
                    done = true;
                } else if (c->off == i->imm && c->size == size && (flags & IR_OPT_FORWARD)) {
                    /* The same bytes as the other type of their size (a
                     * register read as a double after an integer load). */
                    i->op = IR_BITCAST;
                    i->a = c->val;
                    i->imm = 0;
                    done = true;
                } else if (overlaps(c, (uint32_t)i->imm, size)) {
                    c->set = 0; /* this read sees that write */
                }
            }
            if (!done && (flags & IR_OPT_FORWARD) && f->n < MAX_CACHED) {
                forget(f, (uint32_t)i->imm, size);
                f->c[f->n++] = (cached){(uint32_t)i->imm, (uint8_t)size, i->type, v, 0};
            }
            break;
        }
        case IR_SET: {
            unsigned size = type_bytes((ir_type)i->type);
            /* An earlier SET of exactly these bytes that nobody could see
             * is dead. */
            for (unsigned k = 0; k < f->n; k++) {
                cached *c = &f->c[k];
                if (c->set && c->off == i->imm && c->size == size && (flags & IR_OPT_FORWARD))
                    make_nop(&b->insns[c->set]);
            }
            forget(f, (uint32_t)i->imm, size);
            if ((flags & IR_OPT_FORWARD) && f->n < MAX_CACHED)
                f->c[f->n++] = (cached){(uint32_t)i->imm, (uint8_t)size, i->type, i->a, v};
            break;
        }
        case IR_LABEL:
            /* Another path joins here: nothing is known. */
            f->n = 0;
            break;
        case IR_BRCOND: case IR_BR: case IR_GOTO: case IR_JUMP: case IR_EXIT:
            publish(f);
            break;
        case IR_CALL:
            if (i->aux & (IR_HELPER_READS_STATE | IR_HELPER_MAY_RAISE)) publish(f);
            if (i->aux & IR_HELPER_WRITES_STATE) f->n = 0;
            break;
        case IR_LOAD: case IR_STORE: case IR_CMPXCHG: case IR_RMW:
            /* A fault makes the state visible: keep what was written. */
            publish(f);
            stored |= i->op != IR_LOAD;
            break;
        case IR_INSN:
            /* A store that rewrote this block leaves it here, before the
             * next instruction: the state written so far is visible. */
            if (stored) publish(f);
            stored = false;
            break;
        default:
            if (!(flags & IR_OPT_FOLD)) break;
            {
                ir_val same = simplify(b, v);
                if (same) {
                    repl[v] = same;
                    make_nop(i);
                    break;
                }
                if (i->op == IR_CONST) break;
                uint64_t ka = 0, kb = 0, kc = 0, r;
                bool all = (!i->a || is_const(b, i->a, &ka)) && (!i->b || is_const(b, i->b, &kb)) &&
                           (!i->c || is_const(b, i->c, &kc)) && (i->a || i->b);
                ir_type ta = i->a ? (ir_type)b->insns[i->a].type : IR_VOID;
                if (all && ir_eval(i, ta, ka, kb, kc, &r)) make_const(i, r);
            }
            break;
        }
    }
    free(f);
    free(repl);
    ir_dce(b);
}

void ir_dce(ir_block *b)
{
    uint8_t *live = calloc(b->n, 1);
    if (!live) return;
    for (ir_val v = b->n; v-- > 1;) {
        ir_insn *i = &b->insns[v];
        if (ir_has_side_effects(i)) live[v] = 1;
        if (!live[v]) continue;
        if (i->op == IR_CALL) {
            for (uint32_t k = 0; k < i->c; k++) live[b->args[i->b + k]] = 1;
        } else {
            if (i->a) live[i->a] = 1;
            if (i->b) live[i->b] = 1;
            if (i->c) live[i->c] = 1;
        }
    }
    for (ir_val v = 1; v < b->n; v++) {
        ir_insn *i = &b->insns[v];
        if (!live[v] && i->op != IR_NOP) make_nop(i);
        i->uses = 0;
    }
    /* Use counts, for the back end's register allocation. */
    for (ir_val v = 1; v < b->n; v++) {
        ir_insn *i = &b->insns[v];
        ir_val ops[3] = {i->a, i->b, i->c};
        if (i->op == IR_CALL) {
            for (uint32_t k = 0; k < i->c; k++) {
                ir_insn *d = &b->insns[b->args[i->b + k]];
                if (d->uses < 255) d->uses++;
            }
            continue;
        }
        for (int k = 0; k < 3; k++)
            if (ops[k] && b->insns[ops[k]].uses < 255) b->insns[ops[k]].uses++;
    }
    free(live);
}
