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

/* An integer condition as the outcomes of a compare it accepts: bit 0
 * below, bit 1 equal, bit 2 above; sign 0 for EQ and NE (either), 1
 * unsigned, 2 signed. */
static unsigned cond_set(ir_cond c, unsigned *sign)
{
    static const uint8_t set[] = {[IR_EQ] = 2, [IR_NE] = 5, [IR_LTU] = 1, [IR_LEU] = 3, [IR_GTU] = 4,
                                  [IR_GEU] = 6, [IR_LTS] = 1, [IR_LES] = 3, [IR_GTS] = 4, [IR_GES] = 6};
    *sign = c <= IR_NE ? 0 : c <= IR_GEU ? 1 : 2;
    return set[c];
}

/* The condition accepting outcomes s (1..6; 2 and 5 need no sign). */
static ir_cond cond_of_set(unsigned s, unsigned sign)
{
    static const uint8_t u[] = {0, IR_LTU, IR_EQ, IR_LEU, IR_GTU, IR_NE, IR_GEU};
    static const uint8_t sg[] = {0, IR_LTS, IR_EQ, IR_LES, IR_GTS, IR_NE, IR_GES};
    return (ir_cond)(sign == 2 ? sg[s] : u[s]);
}

static bool is_int_setcc(const ir_block *b, ir_val v)
{
    const ir_insn *i = &b->insns[v];
    ir_type t = (ir_type)b->insns[i->a].type;
    return i->op == IR_SETCC && i->aux <= IR_GES && (t == IR_I32 || t == IR_I64);
}

/* Rewrite i as "x cond y" for the outcome set s, or as a constant when s
 * accepts none or all of them. */
static void make_setcc(ir_insn *i, ir_val x, ir_val y, unsigned s, unsigned sign)
{
    if (s == 0 || s == 7) {
        make_const(i, s == 7);
        return;
    }
    *i = (ir_insn){.op = IR_SETCC, .type = IR_I32, .aux = cond_of_set(s, sign), .a = x, .b = y};
}

/* Logic on conditions of one compare is one compare: AND, OR of two
 * SETCCs of the same operands, XOR of one with 1 (ARM's HI is C and not
 * Z, LS its inverse). True when i was rewritten. */
static bool fold_conditions(ir_block *b, ir_insn *i)
{
    uint64_t k;
    if (i->type != IR_I32) return false;
    if (i->op == IR_XOR && (is_const(b, i->b, &k) || is_const(b, i->a, &k)) && k == 1) {
        ir_val c = is_const(b, i->b, NULL) ? i->a : i->b;
        if (!is_int_setcc(b, c)) return false;
        const ir_insn *s = &b->insns[c];
        unsigned sign, set = cond_set((ir_cond)s->aux, &sign);
        make_setcc(i, s->a, s->b, 7 & ~set, sign);
        return true;
    }
    if ((i->op != IR_AND && i->op != IR_OR) || !is_int_setcc(b, i->a) || !is_int_setcc(b, i->b)) return false;
    const ir_insn *x = &b->insns[i->a], *y = &b->insns[i->b];
    unsigned sx, sy, cx = cond_set((ir_cond)x->aux, &sx), cy = cond_set((ir_cond)y->aux, &sy);
    if (x->a == y->b && x->b == y->a) cy = (cy & 2) | (cy & 1) << 2 | (cy & 4) >> 2; /* y's view swapped */
    else if (x->a != y->a || x->b != y->b) return false;
    if (sx && sy && sx != sy) return false;
    make_setcc(i, x->a, x->b, i->op == IR_AND ? cx & cy : cx | cy, sx | sy);
    return true;
}

/* N == V after a subtraction a - b (N the sign of the difference, V its
 * overflow) is a >= b signed; N != V is a < b. */
static bool fold_signed_compare(ir_block *b, ir_insn *i)
{
    if (i->op != IR_SETCC || (i->aux != IR_EQ && i->aux != IR_NE)) return false;
    ir_val n = i->a, o = i->b;
    if (b->insns[n].op == IR_OVFSUB) {
        n = i->b;
        o = i->a;
    }
    const ir_insn *sh = &b->insns[n], *ov = &b->insns[o];
    uint64_t k;
    if (sh->op != IR_SHR || sh->type != IR_I32 || !is_const(b, sh->b, &k) || k != 31) return false;
    const ir_insn *d = &b->insns[sh->a];
    if (ov->op != IR_OVFSUB || d->op != IR_SUB || d->a != ov->a || d->b != ov->b) return false;
    *i = (ir_insn){.op = IR_SETCC, .type = IR_I32, .aux = i->aux == IR_EQ ? IR_GES : IR_LTS, .a = d->a, .b = d->b};
    return true;
}

/* x op identity = x and friends. Returns the value to use instead, or 0. */
static ir_val simplify(ir_block *b, ir_val v)
{
    ir_insn *i = &b->insns[v];
    uint64_t ka = 0, kb = 0;
    bool ca = is_const(b, i->a, &ka), cb = is_const(b, i->b, &kb);
    uint64_t m = ir_mask((ir_type)i->type);
    switch (i->op) {
    case IR_ADD: case IR_OR: case IR_XOR: case IR_SUB: case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROR:
        if (fold_conditions(b, i)) return 0;
        if (cb && kb == 0) return i->a;
        if (ca && ka == 0 && (i->op == IR_ADD || i->op == IR_OR || i->op == IR_XOR)) return i->b;
        if (i->a == i->b && i->op == IR_XOR) { make_const(i, 0); return 0; }
        if (i->a == i->b && i->op == IR_SUB) { make_const(i, 0); return 0; }
        if (i->a == i->b && i->op == IR_OR) return i->a;
        break;
    case IR_AND:
        if (fold_conditions(b, i)) return 0;
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
        if (fold_signed_compare(b, i)) return 0;
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

/* ---- Common subexpressions ------------------------------------------------------ */

/* Integer operations that depend only on their operands: a second one of
 * the same operands is the first. (Floating point is left alone: its
 * rounding follows guest state that may change within the block.) */
static bool cse_candidate(const ir_insn *i)
{
    switch (i->op) {
    case IR_CONST: case IR_ADD: case IR_SUB: case IR_MUL: case IR_MULHU: case IR_MULHS:
    case IR_AND: case IR_OR: case IR_XOR: case IR_NOT: case IR_NEG: case IR_SHL: case IR_SHR:
    case IR_SAR: case IR_ROR: case IR_ADC: case IR_CARRY: case IR_OVF: case IR_OVFSUB:
    case IR_SELECT: case IR_ZEXT: case IR_SEXT: case IR_TRUNC: case IR_BSWAP: case IR_CLZ:
    case IR_CTZ: case IR_EXTRACT: case IR_SEXTRACT: case IR_DEPOSIT:
        return true;
    case IR_SETCC:
        return i->aux <= IR_GES;
    default:
        return false;
    }
}

/* Values seen since the last label (only they dominate what follows),
 * open addressing; a new label starts a new generation. */
typedef struct cse {
    ir_val *val;
    uint32_t *gen;
    uint32_t mask, cur;
} cse;

static bool same_insn(const ir_insn *x, const ir_insn *y)
{
    return x->op == y->op && x->type == y->type && x->aux == y->aux && x->a == y->a && x->b == y->b &&
           x->c == y->c && x->imm == y->imm;
}

/* The earlier value equal to v, or 0 after remembering v. */
static ir_val cse_find(cse *t, const ir_block *b, ir_val v)
{
    const ir_insn *i = &b->insns[v];
    uint64_t h = (uint64_t)i->op * 0x9e3779b97f4a7c15u ^ i->aux ^ (uint64_t)i->type << 40;
    h = (h ^ i->a) * 0xff51afd7ed558ccdu;
    h = (h ^ i->b) * 0xc4ceb9fe1a85ec53u;
    h = (h ^ i->c ^ i->imm) * 0x9e3779b97f4a7c15u;
    for (uint32_t k = (uint32_t)(h >> 32) & t->mask;; k = (k + 1) & t->mask) {
        if (t->gen[k] != t->cur) {
            t->gen[k] = t->cur;
            t->val[k] = v;
            return 0;
        }
        if (same_insn(&b->insns[t->val[k]], i)) return t->val[k];
    }
}

void ir_optimize(ir_block *b, unsigned flags)
{
    ir_val *repl = calloc(b->n, sizeof *repl);
    fwd *f = calloc(1, sizeof *f);
    cse t = {0};
    t.mask = 15;
    while (t.mask < 2 * b->n) t.mask = t.mask * 2 + 1;
    t.val = malloc((t.mask + 1) * sizeof *t.val);
    t.gen = calloc(t.mask + 1, sizeof *t.gen);
    t.cur = 1;
    if (!repl || !f || !t.val || !t.gen) {
        free(repl);
        free(f);
        free(t.val);
        free(t.gen);
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
            t.cur++;
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
                uint64_t ka = 0, kb = 0, kc = 0, r;
                bool all = i->op != IR_CONST && (!i->a || is_const(b, i->a, &ka)) &&
                           (!i->b || is_const(b, i->b, &kb)) && (!i->c || is_const(b, i->c, &kc)) &&
                           (i->a || i->b);
                ir_type ta = i->a ? (ir_type)b->insns[i->a].type : IR_VOID;
                if (all && ir_eval(i, ta, ka, kb, kc, &r)) make_const(i, r);
                if (cse_candidate(i)) {
                    ir_val earlier = cse_find(&t, b, v);
                    if (earlier) {
                        repl[v] = earlier;
                        make_nop(i);
                    }
                }
            }
            break;
        }
    }
    free(f);
    free(repl);
    free(t.val);
    free(t.gen);
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
