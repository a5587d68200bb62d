/* The x86-64 back end. Register conventions inside generated code:
 *   RBP  the jit_cpu (the guest state starts there)
 *   R14  user mode: the host address of guest address 0
 *   RSP  a frame of spill slots, one per IR value
 *   RAX, RCX, RDX  scratch (division, shift counts, the memory fast path)
 *   the rest hold IR values, allocated in one forward pass.
 * Guest state written by SET stays in host registers and is written back at
 * the block's exits, before branches and labels, before helpers that may
 * look at the state, and in the out-of-line slow paths of memory accesses:
 * never on the memory fast path. */
#include "backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "../eval.h"
#include "emit.h"

#define FRAME_SLOTS 4096
#define FRAME_BYTES (FRAME_SLOTS * 8 + 8) /* +8 keeps RSP 16-byte aligned at calls */
#define MAX_BLOCK_CODE (256u << 10)       /* the most one block may take */
#define R_BASE X86_RBP
#define R_GUEST_BASE X86_R14

/* A rel32 field to fill in once hot and cold code have their final places. */
enum { FIX_HOT, FIX_COLD, FIX_LABEL, FIX_EXIT };
typedef struct fixup {
    uint32_t field;   /* offset of the field in hot or cold code */
    bool in_cold;
    uint8_t kind;     /* what target is: a hot or cold offset, a label, the epilogue */
    uint32_t target;
} fixup;
#define MAX_FIXUPS 4096

struct x86_cache {
    uint8_t *rw, *rx;
    size_t size, used, reset_to;
    uint8_t *enter;  /* rw address of the trampoline */
    uint8_t *exit;   /* rw address of the common epilogue */
    /* Scratch reused by every compilation (cold code, fixups). */
    uint8_t *cold_mem;
    struct fixup *fix;
};

static uint8_t *to_rx(const x86_cache *x, uint8_t *rw) { return x->rx + (rw - x->rw); }

/* ---- The code cache --------------------------------------------------------- */

static void emit_trampoline(x86_cache *x)
{
    x86_buf b;
    x86_buf_init(&b, x->rw, x->size);
    /* uint64_t enter(jit_cpu *c [rdi], void *code [rsi]) */
    x->enter = b.p;
    static const int saved[] = {X86_RBP, X86_RBX, X86_R12, X86_R13, X86_R14, X86_R15};
    for (int i = 0; i < 6; i++) x86_push(&b, saved[i]);
    x86_alu_ri(&b, X86_SUB, 64, X86_RSP, FRAME_BYTES);
    x86_mov_rr(&b, 64, R_BASE, X86_RDI);
    x86_mov_rm(&b, 64, R_GUEST_BASE, x86_mem_base(R_BASE, (int32_t)offsetof(jit_cpu, guest_base)));
    x86_jmp_r(&b, X86_RSI);
    /* Blocks leave with the exit word in EAX. */
    x->exit = b.p;
    x86_alu_ri(&b, X86_ADD, 64, X86_RSP, FRAME_BYTES);
    for (int i = 5; i >= 0; i--) x86_pop(&b, saved[i]);
    x86_ret(&b);
    x->reset_to = (x86_buf_len(&b) + 63) & ~(size_t)63;
    x->used = x->reset_to;
}

loom_err jit_x86_cache_new(size_t size, x86_cache **out)
{
    *out = NULL;
    x86_cache *x = calloc(1, sizeof *x);
    if (!x) return LOOM_E_NOMEM;
    x->size = size;
    /* Write xor execute: one memory object, a writable view to emit into
     * and an executable view to run; no page is ever both. */
    int fd = memfd_create("loom-jit", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        if (fd >= 0) close(fd);
        free(x);
        return LOOM_E_NOMEM;
    }
    x->rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    x->rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    close(fd);
    if (x->rw == MAP_FAILED || x->rx == MAP_FAILED) {
        if (x->rw != MAP_FAILED) munmap(x->rw, size);
        if (x->rx != MAP_FAILED) munmap(x->rx, size);
        free(x);
        return LOOM_E_NOMEM;
    }
    x->cold_mem = malloc(MAX_BLOCK_CODE / 2);
    x->fix = malloc(MAX_FIXUPS * sizeof *x->fix);
    if (!x->cold_mem || !x->fix) {
        jit_x86_cache_free(x);
        return LOOM_E_NOMEM;
    }
    emit_trampoline(x);
    *out = x;
    return LOOM_OK;
}

void jit_x86_cache_free(x86_cache *x)
{
    if (!x) return;
    munmap(x->rw, x->size);
    munmap(x->rx, x->size);
    free(x->cold_mem);
    free(x->fix);
    free(x);
}

int jit_x86_cache_copy(const x86_cache *x)
{
    int fd = memfd_create("loom-jit", MFD_CLOEXEC);
    if (fd < 0) return -1;
    if (ftruncate(fd, (off_t)x->size) != 0 || pwrite(fd, x->rw, x->used, 0) != (ssize_t)x->used) {
        close(fd);
        return -1;
    }
    return fd;
}

loom_err jit_x86_cache_adopt(x86_cache *x, int fd)
{
    /* In place: every address in the code (chains, returns) stays valid. */
    loom_err err = LOOM_OK;
    if (mmap(x->rw, x->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED ||
        mmap(x->rx, x->size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        err = LOOM_E_NOMEM;
    close(fd);
    return err;
}

void jit_x86_cache_reset(x86_cache *x) { x->used = x->reset_to; }
size_t jit_x86_cache_used(const x86_cache *x) { return x->used; }
size_t jit_x86_cache_offset(const x86_cache *x, const void *code) { return (size_t)((const uint8_t *)code - x->rx); }

uint64_t jit_x86_run(x86_cache *x, jit_cpu *c, void *code)
{
    uint64_t (*enter)(jit_cpu *, void *) = (uint64_t (*)(jit_cpu *, void *))(void *)to_rx(x, x->enter);
    return enter(c, code);
}

/* ---- Slow paths called from generated code --------------------------------------- */

/* What a slow path needs to know about its access, kept with the block. */
typedef struct x86_desc {
    uint64_t pc;      /* of the guest instruction */
    uint32_t extra;
    uint8_t flags;    /* IR_MEM_* */
    uint8_t mmu;
    uint8_t op;       /* ir_op */
    uint8_t rmw;      /* ir_rmw_op for RMW */
} x86_desc;

static void slow_fault(jit_cpu *c, const x86_desc *d, const jit_fault *f)
{
    c->guest->restore(c, d->pc, d->extra);
    jit_deliver_fault(c, f);
    c->raised = 3; /* the instruction did not retire */
}

/* The fault pad of a user-mode access whose host access faulted (see
 * jit_host_fault): the guest state is written back, raise the abort. */
static void slow_host_fault(jit_cpu *c, const x86_desc *d)
{
    jit_fault f = {.vaddr = c->host_fault_vaddr,
                   .access = d->op == IR_STORE ? JIT_WRITE : JIT_READ,
                   .size = 1u << (d->flags & IR_MEM_SIZE_MASK),
                   .mmu_idx = d->mmu,
                   .kind = JIT_FAULT_UNMAPPED};
    slow_fault(c, d, &f);
}

static uint64_t slow_load(jit_cpu *c, const x86_desc *d, uint64_t addr)
{
    uint64_t v = 0;
    jit_fault f;
    if (!jit_mem_load(c, addr, d->flags, d->mmu, &v, &f)) slow_fault(c, d, &f);
    return v;
}

static void slow_store(jit_cpu *c, const x86_desc *d, uint64_t addr, uint64_t val)
{
    jit_fault f;
    if (!jit_mem_store(c, addr, d->flags, d->mmu, val, &f)) slow_fault(c, d, &f);
}

/* Compare-and-exchange and read-modify-write: one host thread runs a
 * system-mode simulation, so load then store is atomic for the guest; user
 * mode goes through the same path for now. */
static uint64_t slow_atomic(jit_cpu *c, const x86_desc *d, uint64_t addr, uint64_t b, uint64_t cc)
{
    uint64_t old = 0, nv;
    jit_fault f;
    unsigned bits = 8u << (d->flags & IR_MEM_SIZE_MASK);
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    if (!jit_mem_load(c, addr, d->flags, d->mmu, &old, &f)) {
        slow_fault(c, d, &f);
        return 0;
    }
    old &= mask;
    if (d->op == IR_CMPXCHG) {
        if (old != (b & mask)) return old;
        nv = cc;
    } else {
        switch (d->rmw) {
        case IR_RMW_ADD: nv = old + b; break;
        case IR_RMW_AND: nv = old & b; break;
        case IR_RMW_OR: nv = old | b; break;
        case IR_RMW_XOR: nv = old ^ b; break;
        default: nv = b; break;
        }
    }
    if (!jit_mem_store(c, addr, d->flags, d->mmu, nv, &f)) slow_fault(c, d, &f);
    return old;
}

/* Operations the generator does not emit inline run through the same
 * evaluator as the interpreter and the constant folder. */
static uint64_t slow_eval(const ir_insn *i, uint64_t a, uint64_t b, uint64_t cc, uint64_t ta)
{
    uint64_t r = 0;
    ir_eval(i, (ir_type)ta, a, b, cc, &r);
    return r;
}


/* ---- The generator ------------------------------------------------------------ */

/* Allocatable registers, callee-saved first: values in them survive calls. */
static const int alloc_order[] = {X86_RBX, X86_R12, X86_R13, X86_R15, X86_RSI, X86_RDI,
                                  X86_R8,  X86_R9,  X86_R10, X86_R11};
#define NALLOC (int)(sizeof alloc_order / sizeof *alloc_order)

static bool caller_saved(int r)
{
    return r == X86_RSI || r == X86_RDI || (r >= X86_R8 && r <= X86_R11) || r <= X86_RDX;
}

typedef struct pending_set {
    uint32_t off;
    uint8_t bytes;
    ir_val v;
} pending_set;

#define MAX_PENDING 64
#define MAX_LOOP 7


typedef struct gen {
    x86_cache *x;
    const jit_guest *g;
    jit_block *tb;
    const ir_insn *ins;
    uint32_t n;
    bool user;
    x86_buf hot, cold;
    uint8_t *cold_mem;
    int8_t *reg;      /* host register of each value, or -1 */
    uint8_t *in_slot; /* the value's spill slot holds it */
    uint32_t *last;   /* last use */
    uint8_t *uses;    /* uses, counted up to 2 (a call's arguments count as 2) */
    uint16_t *pins;   /* pending SETs holding the value */
    uint8_t *final;   /* SETs no later SET in the block overlaps: written at once */
    uint8_t *folded;  /* ADDs of a constant computed by the one access using them (user mode),
                       * and SHLs by 1 to 3 made the scaled index of the ADD using them */
    uint8_t *flags_read; /* ADDs whose CARRY or OVF, SUBs whose compares, follow */
    uint8_t *in_loop_reg; /* GETs that are their loop register (see read_loop_registers) */
    ir_val owner[16];
    uint32_t locked;  /* registers the current instruction must keep */
    pending_set pend[MAX_PENDING];
    unsigned npend;
    uint32_t started; /* INSN markers passed */
    uint32_t ninsns;  /* guest instructions in the block (subtracted at entry) */
    unsigned nslots;  /* goto slots used */
    uint32_t slot_field[JIT_GOTO_SLOTS], slot_stub[JIT_GOTO_SLOTS]; /* hot offsets */
    uint64_t cur_pc;
    uint32_t cur_extra;
    bool stored;      /* a store happened since the last INSN marker */
    uint32_t pos;     /* the instruction being generated */
    fixup *fix;
    unsigned nfix;
    x86_desc *descs;
    unsigned ndescs, desc_cap;
    uint32_t (*pads)[2];  /* user mode: (hot offset of an access, cold offset of its fault pad) */
    unsigned npads;
    uint32_t *label_hot;  /* label -> hot offset */
    /* A block that branches back to its own start (see plan_loop): guest
     * state words it writes live in reserved host registers for the whole
     * block, and the back edge jumps to just after their loads. */
    unsigned nloop;
    uint32_t loop_off[MAX_LOOP];
    uint8_t loop_bytes[MAX_LOOP], loop_reg[MAX_LOOP];
    uint32_t reserved;    /* mask of the loop registers */
    ir_val loop_goto;     /* the GOTO back to the start, or 0 */
    uint32_t loop_head;   /* hot offset after the loads */
    /* The host flags hold CMP cmp_a, cmp_b (cmp_valid): a compare of the
     * same operands reuses them. Only code that moves data (loads, stores,
     * SETCC's own set and zero-extend) runs between; everything else
     * clears cmp_valid. */
    bool cmp_valid;
    bool cmp_adc;         /* the flags are ADC cmp_a, cmp_b with carry-in cmp_c */
    ir_val cmp_a, cmp_b, cmp_c;
    uint8_t *fused;       /* SETCCs only a BRCOND uses: compared there, never set */
    uint8_t *coalesced;   /* 1 + the loop register a value is computed in (its one use
                           * is the SET of that loop word right after), or 0 */
    bool failed;
} gen;

static x86_mem slot(ir_val v) { return x86_mem_base(X86_RSP, (int32_t)(8 * v)); }
static x86_mem state(uint32_t off) { return x86_mem_base(R_BASE, (int32_t)off); }
static unsigned bits_of(const gen *g, ir_val v) { return ir_type_bits((ir_type)g->ins[v].type) == 64 ? 64 : 32; }
static bool is_const(const gen *g, ir_val v) { return g->ins[v].op == IR_CONST; }
static bool is_int(const gen *g, ir_val v) { return g->ins[v].type == IR_I32 || g->ins[v].type == IR_I64; }

static bool imm32_ok(const gen *g, ir_val v, int32_t *imm)
{
    if (!is_const(g, v)) return false;
    uint64_t k = g->ins[v].imm;
    if (bits_of(g, v) == 32) {
        *imm = (int32_t)(uint32_t)k; /* a 32-bit operation uses the low bits */
        return true;
    }
    if ((int64_t)k != (int64_t)(int32_t)k) return false;
    *imm = (int32_t)k;
    return true;
}

static void add_fixup(gen *g, uint8_t *field, bool in_cold, uint8_t kind, uint32_t target)
{
    if (!field) return; /* the buffer overflowed; the block fails */
    if (g->nfix == MAX_FIXUPS) {
        g->failed = true;
        return;
    }
    x86_buf *b = in_cold ? &g->cold : &g->hot;
    g->fix[g->nfix++] = (fixup){(uint32_t)(field - b->start), in_cold, kind, target};
}

/* Calls leave generated code for C: always through an absolute address,
 * which does not depend on where the code ends up. */
static void emit_call(x86_buf *b, const void *fn)
{
    x86_movabs(b, X86_RAX, (uint64_t)(uintptr_t)fn);
    x86_call_r(b, X86_RAX);
}

/* Put v's value into its spill slot (if it is not there already). */
static void spill(gen *g, ir_val v)
{
    if (g->in_slot[v] || is_const(g, v)) return;
    if (g->reg[v] < 0) return;
    x86_mov_mr(&g->hot, 64, slot(v), g->reg[v]);
    g->in_slot[v] = 1;
}

static void release(gen *g, int r)
{
    ir_val v = g->owner[r];
    if (v) g->reg[v] = -1;
    g->owner[r] = 0;
}

static bool dead(const gen *g, ir_val v) { return g->last[v] <= g->pos && !g->pins[v]; }

static void flush_value(gen *g, ir_val v);

/* A free register, evicting a value if needed. */
static int grab(gen *g, bool want_callee_saved)
{
    int best = -1;
    for (int k = 0; k < NALLOC; k++) {
        int r = alloc_order[k];
        if (g->locked & (1u << r)) continue;
        if (!g->owner[r]) return r;
        /* Operands of the current instruction are not free yet, even at
         * their last use: only def() may take over such a register. */
        ir_val o = g->owner[r];
        if (g->last[o] < g->pos && !g->pins[o]) {
            release(g, r);
            return r;
        }
    }
    /* A value only pending SETs still hold: write them now, which they
     * need sooner or later anyway, rather than spilling it. */
    for (int k = 0; k < NALLOC; k++) {
        int r = alloc_order[k];
        if (g->locked & (1u << r)) continue;
        ir_val o = g->owner[r];
        if (g->last[o] < g->pos) {
            flush_value(g, o);
            release(g, r);
            return r;
        }
    }
    /* Evict the value used furthest ahead. */
    uint32_t far = 0;
    for (int k = 0; k < NALLOC; k++) {
        int r = alloc_order[k];
        if (g->locked & (1u << r)) continue;
        if (g->last[g->owner[r]] >= far) {
            far = g->last[g->owner[r]];
            best = r;
        }
    }
    if (best < 0) {
        g->failed = true;
        return X86_RBX;
    }
    spill(g, g->owner[best]);
    release(g, best);
    (void)want_callee_saved;
    return best;
}

static void bind(gen *g, int r, ir_val v)
{
    if (g->owner[r] && g->owner[r] != v) g->reg[g->owner[r]] = -1;
    g->owner[r] = v;
    g->reg[v] = (int8_t)r;
    g->in_slot[v] = 0;
}

/* v in some register, loaded or materialized if needed; locked for the
 * rest of the current instruction. */
static int use(gen *g, ir_val v)
{
    int r = g->reg[v];
    if (r < 0) {
        r = grab(g, false);
        if (is_const(g, v))
            x86_load_imm_keep_flags(&g->hot, r, g->ins[v].imm);
        else
            x86_mov_rm(&g->hot, 64, r, slot(v));
        g->owner[r] = v;
        g->reg[v] = (int8_t)r;
        /* A reloaded value is still in its slot. */
        g->in_slot[v] = !is_const(g, v);
    }
    g->locked |= 1u << r;
    return r;
}

/* Load v into a scratch register (RAX, RCX, RDX) without allocating. */
static void load_into(gen *g, int r, ir_val v)
{
    if (g->reg[v] >= 0) x86_mov_rr(&g->hot, 64, r, g->reg[v]);
    else if (is_const(g, v)) x86_load_imm_keep_flags(&g->hot, r, g->ins[v].imm);
    else x86_mov_rm(&g->hot, 64, r, slot(v));
}

/* A register for the result of the current instruction: the loop register
 * it is computed in, or a free one. */
static int result_reg(gen *g, ir_val v)
{
    int r = g->coalesced[v] ? g->loop_reg[g->coalesced[v] - 1] : grab(g, false);
    g->locked |= 1u << r;
    return r;
}

/* Whether v is computed in place in the register of its operand x: the
 * loop register v goes to, or x's own if x dies here (not a loop
 * register, which holds the guest's word). */
static bool reusable(const gen *g, ir_val v, ir_val x)
{
    if (g->coalesced[v]) return g->reg[x] == g->loop_reg[g->coalesced[v] - 1];
    return g->reg[x] >= 0 && dead(g, x) && !is_const(g, x) && !(g->reserved >> g->reg[x] & 1);
}

/* A register for the result of the current instruction. If operand a dies
 * here, its register is reused (two-address form). */
static int def(gen *g, ir_val v, ir_val a)
{
    int r;
    if (!g->coalesced[v] && a && reusable(g, v, a)) {
        r = g->reg[a];
        release(g, r);
    } else {
        r = result_reg(g, v);
        if (a && g->reg[a] != r) load_into(g, r, a);
    }
    bind(g, r, v);
    g->locked |= 1u << r;
    return r;
}

/* ---- Pending guest-state writes ------------------------------------------------- */

static void write_back(gen *g, x86_buf *b, const pending_set *p)
{
    ir_val v = p->v;
    unsigned bits = p->bytes * 8;
    int32_t imm;
    if (imm32_ok(g, v, &imm) && (bits == 32 || (int64_t)g->ins[v].imm == imm)) {
        x86_mov_mi(b, bits, state(p->off), imm);
    } else if (g->reg[v] >= 0) {
        x86_mov_mr(b, bits, state(p->off), g->reg[v]);
    } else if (is_const(g, v)) {
        x86_load_imm_keep_flags(b, X86_RAX, g->ins[v].imm);
        x86_mov_mr(b, bits, state(p->off), X86_RAX);
    } else {
        x86_mov_rm(b, 64, X86_RAX, slot(v));
        x86_mov_mr(b, bits, state(p->off), X86_RAX);
    }
}

static void unpin(gen *g, ir_val v)
{
    if (g->pins[v]) g->pins[v]--;
}

static void flush_all(gen *g)
{
    for (unsigned i = 0; i < g->npend; i++) {
        write_back(g, &g->hot, &g->pend[i]);
        unpin(g, g->pend[i].v);
    }
    g->npend = 0;
}

/* The pending SETs of v go to the guest state now. */
static void flush_value(gen *g, ir_val v)
{
    unsigned k = 0;
    for (unsigned i = 0; i < g->npend; i++) {
        pending_set *p = &g->pend[i];
        if (p->v == v) {
            write_back(g, &g->hot, p);
            unpin(g, v);
        } else {
            g->pend[k++] = *p;
        }
    }
    g->npend = k;
}

static void flush_overlapping(gen *g, uint32_t off, unsigned bytes)
{
    unsigned k = 0;
    for (unsigned i = 0; i < g->npend; i++) {
        pending_set *p = &g->pend[i];
        if (p->off < off + bytes && off < p->off + p->bytes) {
            write_back(g, &g->hot, p);
            unpin(g, p->v);
        } else {
            g->pend[k++] = *p;
        }
    }
    g->npend = k;
}

/* A pending SET of exactly these bytes that a new one replaces. */
static void drop_pending(gen *g, uint32_t off, unsigned bytes)
{
    for (unsigned i = 0; i < g->npend; i++) {
        if (g->pend[i].off == off && g->pend[i].bytes == bytes) {
            unpin(g, g->pend[i].v);
            g->pend[i] = g->pend[--g->npend];
            return;
        }
    }
}

static void add_pending(gen *g, uint32_t off, unsigned bytes, ir_val v)
{
    /* A later write to exactly these bytes replaces the pending one. */
    for (unsigned i = 0; i < g->npend; i++) {
        if (g->pend[i].off == off && g->pend[i].bytes == bytes) {
            unpin(g, g->pend[i].v);
            g->pend[i].v = v;
            g->pins[v]++;
            return;
        }
    }
    flush_overlapping(g, off, bytes);
    if (g->npend == MAX_PENDING) flush_all(g);
    g->pend[g->npend++] = (pending_set){off, (uint8_t)bytes, v};
    g->pins[v]++;
}

/* ---- Loop registers ----------------------------------------------------------- */

static int loop_index(const gen *g, uint32_t off, unsigned bytes)
{
    for (unsigned k = 0; k < g->nloop; k++)
        if (g->loop_off[k] == off && g->loop_bytes[k] == bytes) return (int)k;
    return -1;
}

/* Where a register is kept across a slow path's call: its value's slot,
 * or for a loop register one past the block's values. */
static x86_mem save_slot(const gen *g, int r)
{
    if (g->owner[r]) return slot(g->owner[r]);
    for (unsigned k = 0; k < g->nloop; k++)
        if (g->loop_reg[k] == r) return slot((ir_val)(g->n + k));
    return slot(0);
}

/* The loop registers to the guest state (every way out of the block). */
static void write_loop(gen *g, x86_buf *b)
{
    for (unsigned k = 0; k < g->nloop; k++)
        x86_mov_mr(b, g->loop_bytes[k] * 8, state(g->loop_off[k]), g->loop_reg[k]);
}

/* Every pending write, loop registers included, to the guest state. */
static void write_all_pending(gen *g, x86_buf *b)
{
    for (unsigned k = 0; k < g->npend; k++) write_back(g, b, &g->pend[k]);
    write_loop(g, b);
}

/* Every live value leaves caller-saved registers (before a call). */
static void spill_caller_saved(gen *g)
{
    for (int r = 0; r < 16; r++) {
        ir_val v = g->owner[r];
        if (!v || !caller_saved(r)) continue;
        /* Operands of the current instruction are still needed for its
         * arguments. */
        if (g->last[v] >= g->pos || g->pins[v]) spill(g, v);
        release(g, r);
    }
}

/* Every live value goes to its slot and registers are forgotten (branches
 * and labels: all paths agree that values live in their slots). */
static void spill_everything(gen *g)
{
    for (int r = 0; r < 16; r++) {
        ir_val v = g->owner[r];
        if (!v) continue;
        /* A branch's own condition is read from its register (before
         * anything else can take it), so it needs no slot. */
        if (g->last[v] > g->pos || g->pins[v]) spill(g, v);
        release(g, r);
    }
}

/* Before a conditional forward branch: the values the code at its label
 * still uses go to their slots (the jump brings no registers), and stay in
 * their registers for the code that falls through. */
static void spill_for_label(gen *g, uint32_t label)
{
    uint32_t at = g->tb->label_pos[label];
    for (int r = 0; r < 16; r++) {
        ir_val v = g->owner[r];
        if (v && g->last[v] >= at) spill(g, v);
    }
}

/* ---- Exits ------------------------------------------------------------------ */

/* Leave to the run loop. The block took all its instructions from the
 * budget at entry; what it did not start goes back. */
static void exit_slot(gen *g, x86_buf *b, unsigned kind, unsigned reason, unsigned slot, uint32_t started)
{
    if (g->ninsns > started)
        x86_alu_mi(b, X86_ADD, 32, state((uint32_t)offsetof(jit_cpu, budget)), (int32_t)(g->ninsns - started));
    x86_mov_ri(b, 32, X86_RAX, (int64_t)JIT_X86_EXIT(kind, reason, slot, started));
    if (b == &g->hot) {
        x86_jmp(b, g->x->exit);
    } else {
        uint8_t *j = x86_jmp_fwd(b);
        add_fixup(g, j, true, FIX_EXIT, 0);
    }
}

static void exit_with(gen *g, x86_buf *b, unsigned kind, unsigned reason, uint32_t started)
{
    exit_slot(g, b, kind, reason, 0, started);
}

static void store_pc_imm(gen *g, x86_buf *b, uint64_t pc)
{
    if (g->g->pc_bytes == 8 && (int64_t)pc != (int64_t)(int32_t)pc) {
        x86_load_imm_keep_flags(b, X86_RAX, pc);
        x86_mov_mr(b, 64, state(g->g->pc_offset), X86_RAX);
    } else {
        x86_mov_mi(b, g->g->pc_bytes * 8, state(g->g->pc_offset), (int32_t)pc);
    }
}

/* After a call or slow path that may raise: leave if it did. */
static void check_raised(gen *g, x86_buf *b)
{
    x86_test_mi(b, 32, state((uint32_t)offsetof(jit_cpu, raised)), -1);
    uint8_t *j = x86_jcc_fwd(b, X86_CC_NZ);
    /* The raise exit lives in cold code: jump there. */
    if (b == &g->hot) {
        uint32_t at = (uint32_t)x86_buf_len(&g->cold);
        exit_with(g, &g->cold, JIT_END_RAISED, IR_EXIT_EXCEPTION, g->started);
        add_fixup(g, j, false, FIX_COLD, at);
    } else {
        /* From cold code: the exit follows directly, skip over it. */
        uint8_t *skip = x86_jmp8_fwd(b);
        x86_patch_rel32(j, b->p);
        exit_with(g, b, JIT_END_RAISED, IR_EXIT_EXCEPTION, g->started);
        x86_patch_rel8(skip, b->p);
    }
}

static x86_desc *new_desc(gen *g, const ir_insn *i)
{
    /* Sized before generation: generated code points into this array,
     * which the block keeps. */
    if (g->ndescs == g->desc_cap) {
        g->failed = true;
        return NULL;
    }
    x86_desc *d = &g->descs[g->ndescs++];
    *d = (x86_desc){g->cur_pc, g->cur_extra, i->flags, (uint8_t)i->aux, i->op, (uint8_t)i->imm};
    return d;
}

/* ---- Calls ------------------------------------------------------------------ */

static const int arg_regs[] = {X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8, X86_R9};

/* Load call arguments: values already left caller-saved registers, so
 * their sources are callee-saved registers, slots or constants. */
static void load_arg(gen *g, x86_buf *b, int r, ir_val v)
{
    if (g->reg[v] >= 0) x86_mov_rr(b, 64, r, g->reg[v]);
    else if (is_const(g, v)) x86_load_imm_keep_flags(b, r, g->ins[v].imm);
    else x86_mov_rm(b, 64, r, slot(v));
}

/* ---- Instructions ------------------------------------------------------------- */

static x86_cc cc_of(ir_cond c)
{
    switch (c) {
    case IR_EQ: return X86_CC_E;
    case IR_NE: return X86_CC_NE;
    case IR_LTU: return X86_CC_B;
    case IR_LEU: return X86_CC_BE;
    case IR_GTU: return X86_CC_A;
    case IR_GEU: return X86_CC_AE;
    case IR_LTS: return X86_CC_L;
    case IR_LES: return X86_CC_LE;
    case IR_GTS: return X86_CC_G;
    default: return X86_CC_GE;
    }
}

static void gen_eval_call(gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    spill_caller_saved(g);
    x86_buf *b = &g->hot;
    x86_movabs(b, X86_RDI, (uint64_t)(uintptr_t)&g->tb->insns[v]);
    if (i->a) load_arg(g, b, X86_RSI, i->a);
    if (i->b) load_arg(g, b, X86_RDX, i->b);
    if (i->c) load_arg(g, b, X86_RCX, i->c);
    x86_mov_ri(b, 32, X86_R8, i->a ? g->ins[i->a].type : 0);
    emit_call(b, (const void *)slow_eval);
    int r = grab(g, false);
    x86_mov_rr(b, 64, r, X86_RAX);
    bind(g, r, v);
}

/* v = a op b; a commutative operation takes b's register in place when
 * only b's can be. */
static void gen_binop(gen *g, ir_val v, x86_alu op)
{
    const ir_insn *i = &g->ins[v];
    unsigned sz = bits_of(g, v);
    int32_t imm;
    ir_val a = i->a, b = i->b;
    if (imm32_ok(g, b, &imm)) {
        int d = def(g, v, a);
        x86_alu_ri(&g->hot, op, sz, d, imm);
        return;
    }
    if (op != X86_SUB && !reusable(g, v, a) && reusable(g, v, b)) {
        a = i->b;
        b = i->a;
    }
    int rb = use(g, b);
    int d = def(g, v, a);
    x86_alu_rr(&g->hot, op, sz, d, rb);
}

/* ADD v's operands as one address, base + index * scale + displacement
 * (the index a folded SHL's operand); they are locked for LEA. */
static x86_mem add_operand(gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    int32_t imm;
    if (imm32_ok(g, i->b, &imm)) return x86_mem_base(use(g, i->a), imm);
    ir_val base = g->folded[i->a] ? i->b : i->a, index = base == i->a ? i->b : i->a;
    int rb = use(g, base);
    if (g->folded[index]) {
        const ir_insn *s = &g->ins[index];
        return x86_mem_sib(rb, use(g, s->a), 1u << g->ins[s->b].imm, 0);
    }
    return x86_mem_sib(rb, use(g, index), 1, 0);
}

/* v = the address m, with LEA (no flags change; 32-bit wraps). */
static void gen_lea(gen *g, ir_val v, x86_mem m)
{
    int d = result_reg(g, v);
    x86_lea(&g->hot, bits_of(g, v), d, m);
    bind(g, d, v);
}

static void gen_shift(gen *g, ir_val v, x86_shift op)
{
    const ir_insn *i = &g->ins[v];
    unsigned sz = bits_of(g, v);
    if (is_const(g, i->b)) {
        uint8_t cnt = (uint8_t)(g->ins[i->b].imm & (sz - 1));
        int d = def(g, v, i->a);
        if (cnt) x86_shift_ri(&g->hot, op, sz, d, cnt);
        else if (sz == 32) x86_mov_rr(&g->hot, 32, d, d);
    } else {
        load_into(g, X86_RCX, i->b);
        int d = def(g, v, i->a);
        x86_shift_cl(&g->hot, op, sz, d);
    }
}

static bool flags_hold_cmp(const gen *g, ir_val a, ir_val b)
{
    return g->cmp_valid && !g->cmp_adc && g->cmp_a == a && g->cmp_b == b;
}

/* CMP a (in ra), b (an immediate, in rb, or else loaded into RDX). */
static void emit_cmp(gen *g, ir_val a, int ra, ir_val bv, int rb)
{
    x86_buf *b = &g->hot;
    int32_t imm;
    if (imm32_ok(g, bv, &imm)) {
        x86_alu_ri(b, X86_CMP, bits_of(g, a), ra, imm);
    } else {
        if (rb < 0) {
            load_into(g, X86_RDX, bv);
            rb = X86_RDX;
        }
        x86_alu_rr(b, X86_CMP, bits_of(g, a), ra, rb);
    }
    g->cmp_valid = true;
    g->cmp_adc = false;
    g->cmp_a = a;
    g->cmp_b = bv;
}

/* CMP a, b and one of its flags as 0/1. */
static void gen_compare(gen *g, ir_val v, x86_cc cc)
{
    const ir_insn *i = &g->ins[v];
    x86_buf *b = &g->hot;
    if (!flags_hold_cmp(g, i->a, i->b))
        emit_cmp(g, i->a, use(g, i->a), i->b, is_const(g, i->b) ? -1 : use(g, i->b));
    if (g->fused[v]) return; /* its BRCOND jumps on the flags */
    int d = result_reg(g, v);
    x86_setcc_zx(b, cc, d);
    bind(g, d, v);
}

/* Whether the host's CF holds the carry-in value c already: 1 if so (the
 * carry of the sum the flags are from, or a compare's "below"), -1 if it
 * holds its inverse (a compare's "above or equal": a subtraction's carry,
 * as in a 64-bit subtraction's high half), 0 if not. */
static int carry_in_flags(const gen *g, ir_val c)
{
    const ir_insn *k = &g->ins[c];
    if (!g->cmp_valid) return 0;
    if (k->op == IR_CARRY)
        return g->cmp_adc && g->cmp_a == k->a && g->cmp_b == k->b && g->cmp_c == k->c;
    if (k->op == IR_SETCC && (k->aux == IR_LTU || k->aux == IR_GEU) && flags_hold_cmp(g, k->a, k->b))
        return k->aux == IR_LTU ? 1 : -1;
    return 0;
}

/* a + b + c (c 0/1, or none): the sum (ADC) or one of its flags (CARRY,
 * OVF). The flags stay known, so the other flags of the same sum right
 * after cost one SETcc each. */
static void gen_adc_like(gen *g, ir_val v, bool result_flag, x86_cc flag)
{
    const ir_insn *i = &g->ins[v];
    unsigned sz = bits_of(g, i->a);
    x86_buf *b = &g->hot;
    if (!(result_flag && g->cmp_valid && g->cmp_adc && g->cmp_a == i->a && g->cmp_b == i->b && g->cmp_c == i->c)) {
        int32_t imm;
        bool bimm = imm32_ok(g, i->b, &imm);
        int rb = bimm ? -1 : use(g, i->b);
        int rc = i->c && !is_const(g, i->c) ? use(g, i->c) : -1;
        int d;
        if (result_flag) {
            load_into(g, X86_RAX, i->a);
            d = X86_RAX;
        } else {
            d = def(g, v, i->a);
        }
        /* The carry-in into CF last: the moves above keep the flags. */
        x86_alu op = X86_ADD;
        if (rc >= 0) {
            switch (carry_in_flags(g, i->c)) {
            case 1: break;
            case -1: x86_cmc(b); break;
            default: x86_bt_ri(b, X86_BT, 32, rc, 0); break;
            }
            op = X86_ADC;
        } else if (i->c && (g->ins[i->c].imm & 1)) {
            x86_stc(b); /* a known carry-in: subtraction's 1, say */
            op = X86_ADC;
        }
        if (bimm) x86_alu_ri(b, op, sz, d, imm);
        else x86_alu_rr(b, op, sz, d, rb);
        g->cmp_valid = true;
        g->cmp_adc = true;
        g->cmp_a = i->a;
        g->cmp_b = i->b;
        g->cmp_c = i->c;
        if (!result_flag) return;
    }
    int d = result_reg(g, v);
    x86_setcc_zx(b, flag, d);
    bind(g, d, v);
}

/* Cold code around a call: the live values in caller-saved registers
 * (but `keep`, which the call fills) go to their slots and come back. */
static uint32_t cold_save(gen *g, x86_buf *c, int keep)
{
    uint32_t saved = 0;
    for (int r = 0; r < 16; r++)
        if ((g->owner[r] || (g->reserved >> r & 1)) && caller_saved(r) && r != keep) saved |= 1u << r;
    for (int r = 0; r < 16; r++)
        if (saved & (1u << r)) x86_mov_mr(c, 64, save_slot(g, r), r);
    return saved;
}

static void cold_restore(gen *g, x86_buf *c, uint32_t saved)
{
    for (int r = 0; r < 16; r++)
        if (saved & (1u << r)) x86_mov_rm(c, 64, r, save_slot(g, r));
}

/* The soft-TLB probe (system mode) or guest base (user mode), inline; the
 * slow path is cold code. Leaves the host address in RAX... for the fast
 * path to use, or jumps to the slow path. */
/* An i32 value whose register's upper half is zero: what the generator's
 * own 32-bit operations, loads and GETs produce (not helper results). */
static bool upper_zero(const gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    if (i->type != IR_I32) return false;
    switch (i->op) {
    case IR_GET: case IR_LOAD: case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROR: case IR_MUL: case IR_NOT: case IR_NEG:
    case IR_ZEXT: case IR_SELECT:
        return true;
    default:
        return false;
    }
}

static void gen_mem(gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    x86_buf *b = &g->hot;
    unsigned size = 1u << (i->flags & IR_MEM_SIZE_MASK);
    bool be = i->flags & IR_MEM_BE, sign = i->flags & IR_MEM_SIGNED;
    bool is_store = i->op == IR_STORE;
    unsigned addr_bits = bits_of(g, i->a);
    /* A folded address (base + constant) is computed into RCX right here,
     * wrapping at 32 bits as the guest's does. */
    bool folded = g->folded[i->a];
    int ra = folded ? -1 : use(g, i->a);
    if (folded) {
        int rbase = use(g, g->ins[i->a].a);
        x86_lea(b, 32, X86_RCX, x86_mem_base(rbase, (int32_t)g->ins[g->ins[i->a].b].imm));
    }
    int rv = is_store ? use(g, i->b) : -1;
    /* The result register is chosen now so the slow path can fill it. */
    int rd = -1;
    if (!is_store) rd = result_reg(g, v);
    x86_desc *d = new_desc(g, i);
    if (!d) return;

    uint8_t *to_slow = NULL, *misaligned = NULL;
    x86_mem host;
    /* An access that must be aligned takes the slow path when it is not,
     * which raises the fault. */
    if (ir_mem_alignment(i->flags) > 1) {
        x86_test_ri(b, 32, folded ? X86_RCX : ra, (int32_t)(ir_mem_alignment(i->flags) - 1));
        misaligned = x86_jcc_fwd(b, X86_CC_NE);
    }
    if (g->user) {
        /* The guest address as 64 bits: in RCX, or its own register when
         * that is known to be zero-extended already. */
        int rx = X86_RCX;
        if (folded) {
            /* already in RCX */
        } else if (addr_bits == 32 && upper_zero(g, i->a)) {
            rx = ra;
        } else if (addr_bits == 32) {
            x86_mov_rr(b, 32, X86_RCX, ra);
        } else {
            x86_mov_rr(b, 64, X86_RCX, ra);
        }
        host = x86_mem_sib(R_GUEST_BASE, rx, 1, 0);
        if (is_store && !(i->flags & IR_MEM_COVERED)) {
            /* Stores into pages with translated code go the slow way. */
            x86_mov_rm(b, 64, X86_RAX, state((uint32_t)offsetof(jit_cpu, code_pages)));
            x86_mov_rr(b, 64, X86_RDX, rx);
            x86_shift_ri(b, X86_SHR, 64, X86_RDX, (uint8_t)g->g->page_bits);
            x86_alu_mi(b, X86_CMP, 8, x86_mem_sib(X86_RAX, X86_RDX, 1, 0), 0);
            to_slow = x86_jcc_fwd(b, X86_CC_NE);
        }
    } else {
        unsigned pb = g->g->page_bits;
        uint64_t pmask = ~((1ull << pb) - 1);
        uint32_t tag_off = is_store ? (uint32_t)offsetof(jit_tlb_entry, write_tag) : (uint32_t)offsetof(jit_tlb_entry, read_tag);
        int32_t mmu_off = (int32_t)(i->aux * JIT_TLB_SIZE * sizeof(jit_tlb_entry));
        x86_mov_rr(b, 64, X86_RCX, ra);
        x86_shift_ri(b, X86_SHR, 64, X86_RCX, (uint8_t)pb);
        x86_alu_ri(b, X86_AND, 32, X86_RCX, JIT_TLB_SIZE - 1);
        x86_shift_ri(b, X86_SHL, 32, X86_RCX, 5);
        x86_alu_rm(b, X86_ADD, 64, X86_RCX, state((uint32_t)offsetof(jit_cpu, tlb)));
        /* The last byte's page must be the tag: catches page crossing. */
        x86_lea(b, addr_bits == 32 ? 32 : 64, X86_RDX, x86_mem_base(ra, (int32_t)(size - 1)));
        if ((int64_t)pmask == (int64_t)(int32_t)pmask) {
            x86_alu_ri(b, X86_AND, 64, X86_RDX, (int32_t)pmask);
        } else {
            x86_load_imm_keep_flags(b, X86_RAX, pmask);
            x86_alu_rr(b, X86_AND, 64, X86_RDX, X86_RAX);
        }
        x86_alu_rm(b, X86_CMP, 64, X86_RDX, x86_mem_base(X86_RCX, mmu_off + (int32_t)tag_off));
        to_slow = x86_jcc_fwd(b, X86_CC_NE);
        x86_mov_rm(b, 64, X86_RCX, x86_mem_base(X86_RCX, mmu_off + (int32_t)offsetof(jit_tlb_entry, addend)));
        if (addr_bits == 32) x86_mov_rr(b, 32, X86_RDX, ra);
        else x86_mov_rr(b, 64, X86_RDX, ra);
        host = x86_mem_sib(X86_RCX, X86_RDX, 1, 0);
    }
    /* The fast path. The host instruction that touches memory comes first
     * (after a byte swap of a stored value): a host fault there is the
     * guest's (user mode). */
    uint32_t access_at = (uint32_t)x86_buf_len(b);
    if (is_store) {
        if (be && size > 1) {
            x86_mov_rr(b, 64, X86_RAX, rv);
            x86_bswap(b, size * 8, X86_RAX);
            access_at = (uint32_t)x86_buf_len(b);
            x86_mov_mr(b, size * 8, host, X86_RAX);
        } else {
            x86_mov_mr(b, size * 8, host, rv);
        }
    } else {
        unsigned dsz = bits_of(g, v);
        if (size == 8 || (size == 4 && !sign)) {
            x86_mov_rm(b, size * 8, rd, host);
            if (be) x86_bswap(b, size * 8, rd);
            if (be && sign && size == 4) x86_movsx_rr(b, dsz, 32, rd, rd);
        } else if (!be || size == 1) {
            if (sign) x86_movsx_rm(b, dsz, size * 8, rd, host);
            else x86_movzx_rm(b, 32, size * 8, rd, host);
        } else {
            /* Big-endian 16-bit or signed 32-bit: load, swap, extend. */
            x86_movzx_rm(b, 32, size * 8, rd, host);
            x86_bswap(b, size * 8, rd);
            if (size == 2 && sign) x86_movsx_rr(b, dsz, 16, rd, rd);
            else if (size == 2) x86_movzx_rr(b, 32, 16, rd, rd);
            else if (sign) x86_movsx_rr(b, dsz, 32, rd, rd);
        }
        if (size == 4 && sign && !be) {
            /* handled by movsx above */
        }
    }
    uint32_t back = (uint32_t)x86_buf_len(b);

    if (g->user) {
        /* The fault pad: pending guest state to memory, then raise. */
        x86_buf *c = &g->cold;
        g->pads[g->npads][0] = access_at;
        g->pads[g->npads][1] = (uint32_t)x86_buf_len(c);
        g->npads++;
        write_all_pending(g, c);
        x86_mov_rr(c, 64, X86_RDI, R_BASE);
        x86_movabs(c, X86_RSI, (uint64_t)(uintptr_t)d);
        emit_call(c, (const void *)slow_host_fault);
        check_raised(g, c);
    }
    if (!to_slow && !misaligned) goto done;
    /* The slow path: write back pending state (the access may fault), keep
     * caller-saved values, call, check for a fault, return. */
    {
        x86_buf *c = &g->cold;
        uint32_t at = (uint32_t)x86_buf_len(c);
        if (to_slow) add_fixup(g, to_slow, false, FIX_COLD, at);
        if (misaligned) add_fixup(g, misaligned, false, FIX_COLD, at);
        write_all_pending(g, c);
        uint32_t saved = cold_save(g, c, rd);
        /* Arguments: c, desc, addr, value. ra/rv may be argument registers:
         * read them from where they were saved. */
        int src_a = folded || !((saved >> ra) & 1) ? ra : -1, src_v = rv >= 0 && ((saved >> rv) & 1) ? -1 : rv;
        if (folded) x86_mov_rr(c, 32, X86_RDX, X86_RCX); /* computed there; nothing since touched it */
        else if (src_a < 0) x86_mov_rm(c, 64, X86_RDX, slot(g->owner[ra]));
        else x86_mov_rr(c, 64, X86_RDX, ra);
        if (is_store) {
            if (src_v < 0) x86_mov_rm(c, 64, X86_RCX, slot(g->owner[rv]));
            else x86_mov_rr(c, 64, X86_RCX, rv);
        }
        if (addr_bits == 32) x86_mov_rr(c, 32, X86_RDX, X86_RDX);
        x86_mov_rr(c, 64, X86_RDI, R_BASE);
        x86_movabs(c, X86_RSI, (uint64_t)(uintptr_t)d);
        emit_call(c, is_store ? (const void *)slow_store : (const void *)slow_load);
        if (!is_store) x86_mov_rr(c, 64, rd, X86_RAX);
        cold_restore(g, c, saved);
        check_raised(g, c);
        /* A store that hit translated code ends the block after this
         * instruction: checked at the next instruction start. */
        uint8_t *j = x86_jmp_fwd(c);
        add_fixup(g, j, true, FIX_HOT, back);
    }
done:
    if (is_store) g->stored = true;
    else bind(g, rd, v);
}

/* CMPXCHG and RMW go through C (see slow_atomic). */
static void gen_atomic(gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    x86_desc *d = new_desc(g, i);
    if (!d) return;
    flush_all(g);
    spill_caller_saved(g);
    x86_buf *b = &g->hot;
    x86_mov_rr(b, 64, X86_RDI, R_BASE);
    x86_movabs(b, X86_RSI, (uint64_t)(uintptr_t)d);
    load_arg(g, b, X86_RDX, i->a);
    if (bits_of(g, i->a) == 32) x86_mov_rr(b, 32, X86_RDX, X86_RDX);
    load_arg(g, b, X86_RCX, i->b);
    if (i->c) load_arg(g, b, X86_R8, i->c);
    emit_call(b, (const void *)slow_atomic);
    int r = grab(g, false);
    x86_mov_rr(b, 64, r, X86_RAX);
    bind(g, r, v);
    check_raised(g, b);
    g->stored = true;
}

/* Floating point in SSE: operands go from their general registers to
 * XMM0/XMM1, the result comes back. A checked operation (ir_fp_checked)
 * then tests the result's class and takes its helper in cold code when the
 * guest's rules may differ from IEEE 754's. */
static void gen_fp(gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    x86_buf *b = &g->hot;
    ir_type t = (ir_type)i->type, ta = (ir_type)g->ins[i->a].type;
    unsigned sz = bits_of(g, v), asz = bits_of(g, i->a);
    unsigned k = ir_is_fp_checked(i) ? i->flags & IR_FPCHK_MASK : IR_FPCHK_NONE;
    switch (i->op) {
    case IR_FNEG: case IR_FABS: {
        int d = def(g, v, i->a);
        x86_bt_ri(b, i->op == IR_FNEG ? X86_BTC : X86_BTR, sz, d, (uint8_t)(sz - 1));
        return;
    }
    case IR_BITCAST: {
        int d = def(g, v, i->a);
        if (sz == 32) x86_mov_rr(b, 32, d, d);
        return;
    }
    default:
        break;
    }
    /* The helper reads and writes the guest's FP status word in memory. */
    if (k) flush_overlapping(g, ir_fp_checked_off(i), 4);
    int ra = use(g, i->a);
    int rb = i->b ? use(g, i->b) : -1;
    int d = grab(g, false);
    g->locked |= 1u << d;
    bool f32 = t == IR_F32;
    switch (i->op) {
    case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV: {
        static const x86_sse_op ops[4][2] = {{X86_ADDSD, X86_ADDSS}, {X86_SUBSD, X86_SUBSS},
                                             {X86_MULSD, X86_MULSS}, {X86_DIVSD, X86_DIVSS}};
        x86_movd_xr(b, sz, X86_XMM0, ra);
        x86_movd_xr(b, sz, X86_XMM1, rb);
        x86_sse_rr(b, ops[i->op - IR_FADD][f32], X86_XMM0, X86_XMM1);
        x86_movd_rx(b, sz, d, X86_XMM0);
        break;
    }
    case IR_FSQRT:
        x86_movd_xr(b, sz, X86_XMM0, ra);
        x86_sse_rr(b, f32 ? X86_SQRTSS : X86_SQRTSD, X86_XMM0, X86_XMM0);
        x86_movd_rx(b, sz, d, X86_XMM0);
        break;
    case IR_FCVT:
        x86_movd_xr(b, asz, X86_XMM0, ra);
        x86_sse_rr(b, f32 ? X86_CVTSD2SS : X86_CVTSS2SD, X86_XMM0, X86_XMM0);
        x86_movd_rx(b, sz, d, X86_XMM0);
        break;
    case IR_ITOF:
        x86_cvt_rr(b, f32 ? X86_CVTSI2SS : X86_CVTSI2SD, asz, X86_XMM0, ra);
        x86_movd_rx(b, sz, d, X86_XMM0);
        break;
    case IR_FCMP: {
        /* ucomis: CF less, ZF equal, all three unordered. The code is
         * CF + 2 * (above) + 2 * PF. */
        x86_movd_xr(b, asz, X86_XMM0, ra);
        x86_movd_xr(b, asz, X86_XMM1, rb);
        x86_sse_rr(b, ta == IR_F32 ? X86_UCOMISS : X86_UCOMISD, X86_XMM0, X86_XMM1);
        x86_setcc_zx(b, X86_CC_B, d);
        x86_setcc_zx(b, X86_CC_A, X86_RCX);
        x86_setcc_zx(b, X86_CC_P, X86_RDX);
        x86_alu_rr(b, X86_OR, 32, X86_RCX, X86_RDX);
        x86_lea(b, 32, d, x86_mem_sib(d, X86_RCX, 2, 0));
        break;
    }
    default: /* IR_FTOI */
        x86_movd_xr(b, asz, X86_XMM0, ra);
        x86_cvt_rr(b, ta == IR_F32 ? X86_CVTTSS2SI : X86_CVTTSD2SI, k == IR_FPCHK_UINT ? 64 : sz, d, X86_XMM0);
        break;
    }
    if (k) {
        uint8_t *special;
        if (k == IR_FPCHK_INT || k == IR_FPCHK_UNORD) {
            x86_alu_ri(b, X86_CMP, 32, d, k == IR_FPCHK_INT ? INT32_MIN : 3);
            special = x86_jcc_fwd(b, X86_CC_E);
        } else if (k == IR_FPCHK_UINT) {
            x86_mov_rr(b, 64, X86_RCX, d);
            x86_shift_ri(b, X86_SHR, 64, X86_RCX, 32);
            special = x86_jcc_fwd(b, X86_CC_NZ);
            x86_mov_rr(b, 32, d, d);
        } else {
            /* The biased exponent, from the bits without the sign. */
            int emax = f32 ? 0xff : 0x7ff;
            x86_mov_rr(b, sz, X86_RCX, d);
            x86_alu_rr(b, X86_ADD, sz, X86_RCX, X86_RCX);
            x86_shift_ri(b, X86_SHR, sz, X86_RCX, f32 ? 24 : 53);
            if (k == IR_FPCHK_INF) {
                x86_alu_ri(b, X86_CMP, 32, X86_RCX, emax);
                special = x86_jcc_fwd(b, X86_CC_E);
            } else {
                x86_alu_ri(b, X86_SUB, 32, X86_RCX, 2);
                x86_alu_ri(b, X86_CMP, 32, X86_RCX, emax - 2);
                special = x86_jcc_fwd(b, X86_CC_AE);
            }
        }
        uint32_t back = (uint32_t)x86_buf_len(b);
        /* Cold: the helper gives the guest's result (and flags). */
        x86_buf *c = &g->cold;
        add_fixup(g, special, false, FIX_COLD, (uint32_t)x86_buf_len(c));
        if (k == IR_FPCHK_TINY && (i->op == IR_FMUL || i->op == IR_FDIV)) {
            /* A zero product of a zero factor, or zero divided, is exact
             * and raises nothing: common, and no call. */
            uint8_t *nonzero, *exact;
            x86_mov_rr(c, sz, X86_RCX, d);
            x86_alu_rr(c, X86_ADD, sz, X86_RCX, X86_RCX);
            nonzero = x86_jcc_fwd(c, X86_CC_NZ);
            x86_mov_rr(c, sz, X86_RCX, ra);
            x86_alu_rr(c, X86_ADD, sz, X86_RCX, X86_RCX);
            exact = x86_jcc_fwd(c, X86_CC_Z);
            add_fixup(g, exact, true, FIX_HOT, back);
            if (i->op == IR_FMUL) {
                x86_mov_rr(c, sz, X86_RCX, rb);
                x86_alu_rr(c, X86_ADD, sz, X86_RCX, X86_RCX);
                exact = x86_jcc_fwd(c, X86_CC_Z);
                add_fixup(g, exact, true, FIX_HOT, back);
            }
            x86_patch_rel32(nonzero, c->p);
        }
        uint32_t saved = cold_save(g, c, d);
        /* ra and rb are never RDX or RCX (scratch), and are read before
         * RSI and RDI are written. */
        x86_mov_rr(c, 64, X86_RDX, ra);
        if (rb >= 0) x86_mov_rr(c, 64, X86_RCX, rb);
        else x86_alu_rr(c, X86_XOR, 32, X86_RCX, X86_RCX);
        x86_mov_rr(c, 64, X86_RDI, R_BASE);
        x86_mov_ri(c, 32, X86_RSI, ir_fp_checked_arg(i));
        emit_call(c, (const void *)g->g->helpers[i->aux].fn);
        x86_mov_rr(c, sz, d, X86_RAX);
        cold_restore(g, c, saved);
        uint8_t *j = x86_jmp_fwd(c);
        add_fixup(g, j, true, FIX_HOT, back);
    }
    bind(g, d, v);
}

static void gen_call(gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    x86_buf *b = &g->hot;
    if (i->aux & (IR_HELPER_READS_STATE | IR_HELPER_WRITES_STATE | IR_HELPER_MAY_RAISE)) flush_all(g);
    spill_caller_saved(g);
    if (i->aux & IR_HELPER_WRITES_STATE) {
        /* Values read from state before the call stay valid: they are IR
         * values, not the state itself. Nothing to forget here. */
    }
    x86_mov_rr(b, 64, X86_RDI, R_BASE);
    for (uint32_t k = 0; k < i->c && k < 5; k++) load_arg(g, b, arg_regs[k + 1], (ir_val)g->tb->args[i->b + k]);
    emit_call(b, (const void *)g->g->helpers[i->imm].fn);
    if (i->type != IR_VOID) {
        int r = grab(g, false);
        if (i->type == IR_I32) x86_mov_rr(b, 32, r, X86_RAX);
        else x86_mov_rr(b, 64, r, X86_RAX);
        bind(g, r, v);
    }
    if (i->aux & IR_HELPER_MAY_RAISE) check_raised(g, b);
}

/* The jump j of BRCOND or BR i to its label (forward: the field is filled
 * in at the end). A branch that skips guest instructions gives them back
 * to the budget on the way, out of line. */
static void jump_to_label(gen *g, uint8_t *j, const ir_insn *i)
{
    if (!i->imm && !g->npend) {
        add_fixup(g, j, false, FIX_LABEL, i->aux);
        return;
    }
    /* Out of line: the pending SETs (the code that falls through keeps
     * them pending: a later SET may make them dead there) and the budget. */
    add_fixup(g, j, false, FIX_COLD, (uint32_t)x86_buf_len(&g->cold));
    for (unsigned k = 0; k < g->npend; k++) write_back(g, &g->cold, &g->pend[k]);
    if (i->imm) x86_alu_mi(&g->cold, X86_ADD, 32, state((uint32_t)offsetof(jit_cpu, budget)), (int32_t)i->imm);
    add_fixup(g, x86_jmp_fwd(&g->cold), true, FIX_LABEL, i->aux);
}

static void gen_insn(gen *g, ir_val v)
{
    const ir_insn *i = &g->ins[v];
    x86_buf *b = &g->hot;
    unsigned sz = i->type ? bits_of(g, v) : 32;
    switch (i->op) {
    case IR_NOP: case IR_CONST: case IR_GET: case IR_SET: case IR_SETCC: case IR_OVFSUB: case IR_BRCOND:
    case IR_ADC: case IR_CARRY: case IR_OVF: case IR_SELECT: case IR_NOT:
        break;
    case IR_INSN:
        if (!g->stored) break;
        /* fall through */
    default:
        g->cmp_valid = false;
        break;
    }
    switch (i->op) {
    case IR_NOP: case IR_CONST:
        break;
    case IR_INSN:
        if (g->stored) {
            /* A store in the previous instruction may have rewritten this
             * block: leave here if it did. */
            x86_alu_mi(b, X86_CMP, 8, state((uint32_t)offsetof(jit_cpu, smc_hit)), 0);
            uint8_t *j = x86_jcc_fwd(b, X86_CC_NE);
            x86_buf *c = &g->cold;
            add_fixup(g, j, false, FIX_COLD, (uint32_t)x86_buf_len(c));
            write_all_pending(g, c);
            store_pc_imm(g, c, i->imm);
            exit_with(g, c, JIT_END_EXIT, IR_EXIT_NORMAL, g->started);
            g->stored = false;
        }
        g->started++;
        g->cur_pc = i->imm;
        g->cur_extra = i->aux;
        break;
    case IR_GET: {
        unsigned bytes = ir_type_bits((ir_type)i->type) / 8;
        int l = loop_index(g, (uint32_t)i->imm, bytes);
        if (l >= 0 && g->in_loop_reg[v] && (!g->owner[g->loop_reg[l]] || dead(g, g->owner[g->loop_reg[l]]))) {
            bind(g, g->loop_reg[l], v);
            break;
        }
        if (l >= 0) {
            int d = def(g, v, 0);
            x86_mov_rr(b, bytes * 8, d, g->loop_reg[l]);
            break;
        }
        flush_overlapping(g, (uint32_t)i->imm, bytes);
        int d = def(g, v, 0);
        x86_mov_rm(b, bytes == 8 ? 64 : 32, d, state((uint32_t)i->imm));
        break;
    }
    case IR_SET: {
        uint32_t off = (uint32_t)i->imm;
        unsigned bytes = ir_type_bits((ir_type)i->type) / 8;
        int l = loop_index(g, off, bytes);
        if (l >= 0) {
            /* The loop register is the guest's word from here on. */
            int r = g->loop_reg[l];
            if (g->reg[i->a] == r) break; /* computed there */
            if (g->reg[i->a] >= 0) x86_mov_rr(b, bytes * 8, r, g->reg[i->a]);
            else if (is_const(g, i->a)) x86_load_imm_keep_flags(b, r, bytes == 4 ? (uint32_t)g->ins[i->a].imm : g->ins[i->a].imm);
            else x86_mov_rm(b, bytes * 8, r, slot(i->a));
            break;
        }
        if (!g->final[v]) {
            add_pending(g, off, bytes, i->a);
            break;
        }
        /* The last write of these bytes in the block: it goes out now,
         * as it would at every exit, and holds no register meanwhile. */
        drop_pending(g, off, bytes);
        flush_overlapping(g, off, bytes);
        write_back(g, b, &(pending_set){off, (uint8_t)bytes, i->a});
        break;
    }
    case IR_ADD:
        if (g->folded[v]) break;
        if (g->folded[i->a] || g->folded[i->b] || (!g->flags_read[v] && !reusable(g, v, i->a))) {
            gen_lea(g, v, add_operand(g, v));
            break;
        }
        /* The flags are those of the sum: its CARRY and OVF reuse them. */
        gen_binop(g, v, X86_ADD);
        g->cmp_valid = g->cmp_adc = true;
        g->cmp_a = i->a;
        g->cmp_b = i->b;
        g->cmp_c = 0;
        break;
    case IR_SUB: {
        int32_t imm;
        if (!g->flags_read[v] && !reusable(g, v, i->a) && imm32_ok(g, i->b, &imm) && imm != INT32_MIN) {
            gen_lea(g, v, x86_mem_base(use(g, i->a), -imm));
            break;
        }
        /* The flags are those of CMP a, b: its SETCCs reuse them. */
        gen_binop(g, v, X86_SUB);
        g->cmp_valid = true;
        g->cmp_adc = false;
        g->cmp_a = i->a;
        g->cmp_b = i->b;
        break;
    }
    case IR_AND: gen_binop(g, v, X86_AND); break;
    case IR_OR: gen_binop(g, v, X86_OR); break;
    case IR_XOR: gen_binop(g, v, X86_XOR); break;
    case IR_MUL: {
        ir_val x = i->a, y = i->b;
        if (!reusable(g, v, x) && reusable(g, v, y)) {
            x = i->b;
            y = i->a;
        }
        int ry = use(g, y);
        int d = def(g, v, x);
        x86_imul_rr(b, sz, d, ry);
        break;
    }
    case IR_SHL:
        if (!g->folded[v]) gen_shift(g, v, X86_SHL);
        break;
    case IR_SHR: gen_shift(g, v, X86_SHR); break;
    case IR_SAR: gen_shift(g, v, X86_SAR); break;
    case IR_ROR: gen_shift(g, v, X86_ROR); break;
    case IR_NOT: { int d = def(g, v, i->a); x86_not(b, sz, d); break; }
    case IR_NEG: { int d = def(g, v, i->a); x86_neg(b, sz, d); break; }
    case IR_ADC: gen_adc_like(g, v, false, X86_CC_C); break;
    case IR_CARRY: gen_adc_like(g, v, true, X86_CC_C); break;
    case IR_OVF: gen_adc_like(g, v, true, X86_CC_O); break;
    case IR_SETCC: {
        ir_type ta = (ir_type)g->ins[i->a].type;
        if (ta == IR_F32 || ta == IR_F64) {
            g->cmp_valid = false;
            gen_eval_call(g, v);
            break;
        }
        gen_compare(g, v, cc_of((ir_cond)i->aux));
        break;
    }
    case IR_OVFSUB: gen_compare(g, v, X86_CC_O); break;
    case IR_SELECT: {
        x86_cc cc = X86_CC_NZ;
        if (g->fused[i->a]) {
            /* Move on the compare's flags, comparing again if something
             * came between (its operands live until here); the moves
             * that follow keep the flags. */
            const ir_insn *c = &g->ins[i->a];
            if (!flags_hold_cmp(g, c->a, c->b))
                emit_cmp(g, c->a, use(g, c->a), c->b, is_const(g, c->b) ? -1 : use(g, c->b));
            cc = cc_of((ir_cond)c->aux);
        } else {
            int rc = use(g, i->a);
            x86_test_rr(b, 32, rc, rc);
            g->cmp_valid = false;
        }
        int rb = use(g, i->b);
        int d = def(g, v, i->c);
        x86_cmov_rr(b, cc, sz == 64 ? 64 : 32, d, rb);
        break;
    }
    case IR_ZEXT: {
        int ra = use(g, i->a);
        int d = result_reg(g, v);
        if (i->aux == 32) x86_mov_rr(b, 32, d, ra);
        else x86_movzx_rr(b, 32, i->aux, d, ra);
        bind(g, d, v);
        break;
    }
    case IR_SEXT: {
        int ra = use(g, i->a);
        int d = result_reg(g, v);
        x86_movsx_rr(b, sz, i->aux, d, ra);
        bind(g, d, v);
        break;
    }
    case IR_TRUNC: {
        int ra = use(g, i->a);
        int d = result_reg(g, v);
        x86_mov_rr(b, 32, d, ra);
        bind(g, d, v);
        break;
    }
    case IR_CLZ: case IR_CTZ: {
        /* BSR/BSF set ZF for a zero source (whose count is the width);
         * CLZ is width - 1 - the highest set bit. */
        int ra = use(g, i->a);
        int d = result_reg(g, v);
        x86_bitcount_rr(b, i->op == IR_CLZ ? X86_BSR : X86_BSF, sz, d, ra);
        x86_load_imm_keep_flags(b, X86_RAX, i->op == IR_CLZ ? ~0ull : sz);
        x86_cmov_rr(b, X86_CC_Z, sz, d, X86_RAX);
        if (i->op == IR_CLZ) {
            x86_neg(b, sz, d);
            x86_alu_ri(b, X86_ADD, sz, d, (int32_t)sz - 1);
        }
        bind(g, d, v);
        break;
    }
    case IR_BSWAP: {
        int d = def(g, v, i->a);
        if (i->aux == 16) {
            x86_movzx_rr(b, 32, 16, d, d);
            x86_shift_ri(b, X86_ROL, 16, d, 8);
        } else {
            x86_bswap(b, i->aux, d);
        }
        if (i->aux == 32 && sz == 64) x86_mov_rr(b, 32, d, d);
        break;
    }
    case IR_EXTRACT: case IR_SEXTRACT: {
        unsigned pos = (unsigned)i->imm, len = i->aux;
        int d = def(g, v, i->a);
        if (sz - pos - len) x86_shift_ri(b, X86_SHL, sz, d, (uint8_t)(sz - pos - len));
        if (sz - len) x86_shift_ri(b, i->op == IR_EXTRACT ? X86_SHR : X86_SAR, sz, d, (uint8_t)(sz - len));
        else if (sz == 32) x86_mov_rr(b, 32, d, d);
        break;
    }
    case IR_LOAD: case IR_STORE:
        gen_mem(g, v);
        break;
    case IR_CMPXCHG: case IR_RMW:
        gen_atomic(g, v);
        break;
    case IR_FENCE:
        x86_mfence(b);
        break;
    case IR_CALL:
        gen_call(g, v);
        break;
    case IR_LABEL:
        flush_all(g);
        spill_everything(g);
        g->label_hot[i->aux] = (uint32_t)x86_buf_len(b);
        break;
    case IR_BRCOND: case IR_BR: {
        /* Write back (BR) and spill first, then fetch the condition (from
         * its slot or as a constant): write_back uses RAX as its scratch,
         * so a condition parked there before would be clobbered. A BRCOND
         * writes pending SETs on its way to the label only. */
        if (i->op == IR_BR) flush_all(g);
        if (i->op == IR_BRCOND && g->fused[i->a]) {
            /* Jump on the compare's flags, comparing again if something
             * came between (its operands live until here). */
            const ir_insn *c = &g->ins[i->a];
            int ra = is_const(g, c->a) ? -1 : g->reg[c->a], rb = is_const(g, c->b) ? -1 : g->reg[c->b];
            spill_for_label(g, i->aux);
            if (!flags_hold_cmp(g, c->a, c->b)) {
                if (ra < 0) {
                    load_into(g, X86_RAX, c->a);
                    ra = X86_RAX;
                }
                emit_cmp(g, c->a, ra, c->b, rb);
            }
            jump_to_label(g, x86_jcc_fwd(b, cc_of((ir_cond)c->aux)), i);
            break;
        }
        g->cmp_valid = false;
        /* Spilling only stores: a condition in a register is still there. */
        int rc = i->op == IR_BRCOND && !is_const(g, i->a) ? g->reg[i->a] : -1;
        if (i->op == IR_BRCOND) spill_for_label(g, i->aux);
        else spill_everything(g);
        uint8_t *j;
        if (i->op == IR_BRCOND) {
            if (rc < 0) {
                load_into(g, X86_RAX, i->a);
                rc = X86_RAX;
            }
            x86_test_rr(b, 32, rc, rc);
            j = x86_jcc_fwd(b, X86_CC_NZ);
        } else {
            j = x86_jmp_fwd(b);
        }
        jump_to_label(g, j, i);
        break;
    }
    case IR_GOTO:
        flush_all(g);
        if (v != g->loop_goto) write_loop(g, b);
        if (g->nslots < JIT_GOTO_SLOTS) {
            /* A jump that chaining can point at the next block: its rel32
             * field 4-aligned so patching it is one atomic store. Until
             * then it goes to the exit stub right after it. */
            unsigned slot = g->nslots++;
            unsigned pad = (unsigned)(4 - ((uintptr_t)(b->p + 1) & 3)) & 3;
            if (pad) x86_nop(b, pad);
            uint8_t *j = x86_jmp_fwd(b);
            if (!j) break;
            g->slot_field[slot] = (uint32_t)(j - b->start);
            g->slot_stub[slot] = (uint32_t)x86_buf_len(b);
            x86_patch_rel32(j, b->p);
            if (v == g->loop_goto) {
                /* Unchained, the back edge leaves like any goto; chained
                 * to its own block it goes to the loop head. */
                g->tb->loop_slot = (uint8_t)(slot + 1);
                write_loop(g, b);
            }
            /* Only the run loop needs the pc: a chained block knows its
             * own (its entry stores it when it leaves at once). */
            store_pc_imm(g, b, i->imm);
            x86_movabs(b, X86_RAX, (uint64_t)(uintptr_t)g->tb);
            x86_mov_mr(b, 64, state((uint32_t)offsetof(jit_cpu, exit_tb)), X86_RAX);
            exit_slot(g, b, JIT_END_NEXT, IR_EXIT_NORMAL, slot + 1, g->started);
        } else {
            store_pc_imm(g, b, i->imm);
            exit_with(g, b, JIT_END_NEXT, IR_EXIT_NORMAL, g->started);
        }
        break;
    case IR_JUMP: {
        /* Write back first, then fetch the target: write_back uses RAX as
         * its scratch for spilled and constant values. */
        flush_all(g);
        write_loop(g, b);
        load_into(g, X86_RAX, i->a);
        if (g->g->pc_bytes == 4) x86_mov_rr(b, 32, X86_RAX, X86_RAX);
        x86_mov_mr(b, g->g->pc_bytes * 8, state(g->g->pc_offset), X86_RAX);
        if (g->g->flags_bytes) {
            /* The per-CPU jump cache, inline: a hit with the same pc and
             * mode flags and native code continues there directly (its
             * entry checks the budget). The index is the engine's. */
            uint8_t *miss[4];
            x86_mov_rr(b, 32, X86_RDX, X86_RAX);
            x86_shift_ri(b, X86_SHR, 32, X86_RDX, 1);
            x86_mov_rr(b, 32, X86_RCX, X86_RAX);
            x86_shift_ri(b, X86_SHR, 32, X86_RCX, JIT_JUMP_CACHE_BITS + 1);
            x86_alu_rr(b, X86_XOR, 32, X86_RDX, X86_RCX);
            x86_alu_ri(b, X86_AND, 32, X86_RDX, (1 << JIT_JUMP_CACHE_BITS) - 1);
            x86_mov_rm(b, 64, X86_RCX, state((uint32_t)offsetof(jit_cpu, jump_cache)));
            x86_mov_rm(b, 64, X86_RCX, x86_mem_sib(X86_RCX, X86_RDX, 8, 0));
            x86_test_rr(b, 64, X86_RCX, X86_RCX);
            miss[0] = x86_jcc_fwd(b, X86_CC_Z);
            x86_alu_rm(b, X86_CMP, 64, X86_RAX, x86_mem_base(X86_RCX, (int32_t)offsetof(jit_block, pc)));
            miss[1] = x86_jcc_fwd(b, X86_CC_NE);
            if (g->g->flags_bytes == 8) x86_mov_rm(b, 64, X86_RDX, state(g->g->flags_offset));
            else x86_mov_rm(b, 32, X86_RDX, state(g->g->flags_offset));
            x86_alu_rm(b, X86_CMP, 64, X86_RDX, x86_mem_base(X86_RCX, (int32_t)offsetof(jit_block, flags)));
            miss[2] = x86_jcc_fwd(b, X86_CC_NE);
            x86_mov_rm(b, 64, X86_RCX, x86_mem_base(X86_RCX, (int32_t)offsetof(jit_block, code)));
            x86_test_rr(b, 64, X86_RCX, X86_RCX);
            miss[3] = x86_jcc_fwd(b, X86_CC_Z);
            x86_jmp_r(b, X86_RCX);
            for (int k = 0; k < 4; k++) x86_patch_rel32(miss[k], b->p);
        }
        exit_with(g, b, JIT_END_NEXT, IR_EXIT_NORMAL, g->started);
        break;
    }
    case IR_EXIT:
        flush_all(g);
        write_loop(g, b);
        if (i->aux != IR_EXIT_EXCEPTION) store_pc_imm(g, b, i->imm);
        exit_with(g, b, JIT_END_EXIT, i->aux, g->started);
        break;
    case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV: case IR_FSQRT: case IR_FNEG: case IR_FABS:
    case IR_FCVT: case IR_ITOF: case IR_FTOI: case IR_FCMP: case IR_BITCAST:
        gen_fp(g, v);
        break;
    default:
        gen_eval_call(g, v);
        break;
    }
}

/* Which SETs no later SET of the block overlaps (labels only go forward,
 * so "later" is later in the array). */
static void find_final_sets(gen *g)
{
    enum { MAX_SEEN = 128 };
    uint32_t seen_off[MAX_SEEN], seen_bytes[MAX_SEEN];
    unsigned n = 0;
    bool overflow = false;
    for (uint32_t v = g->n; v-- > 1;) {
        const ir_insn *i = &g->ins[v];
        if (i->op != IR_SET) continue;
        uint32_t off = (uint32_t)i->imm, bytes = ir_type_bits((ir_type)i->type) / 8;
        bool later = overflow, same = false;
        for (unsigned k = 0; k < n && !same; k++) {
            later |= seen_off[k] < off + bytes && off < seen_off[k] + seen_bytes[k];
            same = seen_off[k] == off && seen_bytes[k] == bytes;
        }
        g->final[v] = !later;
        if (same) {
            continue;
        } else if (n == MAX_SEEN) {
            overflow = true;
        } else {
            seen_off[n] = off;
            seen_bytes[n++] = bytes;
        }
    }
}

/* SETCCs of integers used only as the condition of BRCONDs and SELECTs:
 * they jump or move on the host flags of the compare and never become a
 * 0/1 value, and the compare's operands live until the last of them in
 * case one must compare again. */
static void fuse_branches(gen *g)
{
    /* Per value: 1 while every use seen is such a condition, 2 after any
     * other use. */
    uint8_t *only_cond = calloc(g->n, 1);
    if (!only_cond) return;
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        if (i->op == IR_CALL) {
            for (uint32_t k = 0; k < i->c; k++) only_cond[g->tb->args[i->b + k]] = 2;
            continue;
        }
        bool cond = i->op == IR_BRCOND || i->op == IR_SELECT;
        if (i->a) only_cond[i->a] = cond && only_cond[i->a] != 2 ? 1 : 2;
        if (i->b) only_cond[i->b] = 2;
        if (i->c) only_cond[i->c] = 2;
    }
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *c = &g->ins[v];
        if (c->op != IR_SETCC || only_cond[v] != 1) continue;
        if (c->aux > IR_GES || (c->a && !is_int(g, c->a))) continue;
        g->fused[v] = 1;
        if (g->last[c->a] < g->last[v]) g->last[c->a] = g->last[v];
        if (g->last[c->b] < g->last[v]) g->last[c->b] = g->last[v];
    }
    free(only_cond);
}

/* ADDs and SUBs whose host flags a later CARRY, OVF or compare of the same
 * operands reads (these are not made with LEA, which sets no flags). */
static void find_flags_read(gen *g)
{
    enum { REACH = 64 };
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *c = &g->ins[v];
        ir_op want;
        if ((c->op == IR_CARRY || c->op == IR_OVF) && !c->c) want = IR_ADD;
        else if (c->op == IR_OVFSUB || (c->op == IR_SETCC && c->a && is_int(g, c->a))) want = IR_SUB;
        else continue;
        for (uint32_t k = v - 1; k >= 1 && k + REACH > v; k--) {
            const ir_insn *s = &g->ins[k];
            if (s->op == want && s->a == c->a && s->b == c->b) {
                g->flags_read[k] = 1;
                break;
            }
        }
    }
}

/* An i32 SHL by 1, 2 or 3 whose one use is an i32 ADD becomes that ADD's
 * scaled index: the ADD is one LEA (and sets no flags, so only where none
 * are read). The shifted value then lives until the ADD. */
static void fold_scaled_indexes(gen *g)
{
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        if (i->op != IR_ADD || i->type != IR_I32 || g->flags_read[v] || i->a == i->b) continue;
        ir_val s = g->ins[i->b].op == IR_SHL ? i->b : g->ins[i->a].op == IR_SHL ? i->a : 0;
        if (!s || g->uses[s] != 1 || g->ins[s].type != IR_I32) continue;
        const ir_insn *sh = &g->ins[s];
        if (!is_const(g, sh->b) || sh->b == 0 || g->ins[sh->b].imm < 1 || g->ins[sh->b].imm > 3 || is_const(g, sh->a)) continue;
        if (is_const(g, s == i->b ? i->a : i->b)) continue;
        g->folded[s] = 1;
        if (g->last[sh->a] < v) g->last[sh->a] = v;
    }
}

/* User mode: an address that is a 32-bit base plus a constant, used by
 * one load or store and nothing else, is computed by that access with one
 * LEA into RCX (instead of a register of its own and a copy). The base
 * then lives until the access. */
static void fold_addresses(gen *g)
{
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        if (i->op != IR_LOAD && i->op != IR_STORE) continue;
        const ir_insn *a = &g->ins[i->a];
        if (a->op != IR_ADD || a->type != IR_I32 || g->uses[i->a] != 1 || i->b == i->a) continue;
        if (g->ins[a->b].op != IR_CONST || g->ins[a->a].op == IR_CONST) continue;
        g->folded[i->a] = 1;
        if (g->last[a->a] < v) g->last[a->a] = v;
    }
}

/* A block whose GOTO leads back to its own start runs as a loop once the
 * run loop chains that GOTO to its own block: the guest state words the
 * block writes (those it also reads first) live in reserved host registers
 * from the entry on, and the back edge jumps to the budget check after
 * their loads, so a loop-carried guest register never goes through memory.
 * Every other way out writes them back. Only blocks whose every operation
 * is generated inline (no calls on the hot path) qualify, and only words
 * every GET and SET of the block accesses whole. */
/* Operations on values that the generator makes inline and that cannot
 * leave the block: only registers and host flags change. */
static bool inline_value_op(const gen *g, const ir_insn *i)
{
    switch (i->op) {
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR: case IR_MUL: case IR_SHL: case IR_SHR:
    case IR_SAR: case IR_ROR: case IR_NOT: case IR_NEG: case IR_ADC: case IR_CARRY: case IR_OVF: case IR_OVFSUB:
    case IR_SELECT: case IR_ZEXT: case IR_SEXT: case IR_TRUNC: case IR_BSWAP: case IR_EXTRACT: case IR_SEXTRACT:
    case IR_CLZ: case IR_CTZ:
        return true;
    case IR_SETCC:
        return is_int(g, i->a);
    default:
        return false;
    }
}

/* The value SET v writes, if it can be computed straight into the loop
 * register of that word: its one use is this SET, it is made inline by an
 * operation with a result register, and nothing between its definition and
 * the SET may leave the block (which writes loop registers back) or reads
 * the word. */
static ir_val coalescible(const gen *g, ir_val v)
{
    const ir_insn *s = &g->ins[v];
    ir_val a = s->a;
    const ir_insn *d = &g->ins[a];
    if (g->uses[a] != 1 || d->type != s->type || g->folded[a]) return 0;
    if (!inline_value_op(g, d) && d->op != IR_LOAD) return 0;
    unsigned bytes = ir_type_bits((ir_type)s->type) / 8;
    for (ir_val k = a + 1; k < v; k++) {
        const ir_insn *i = &g->ins[k];
        if (inline_value_op(g, i) || i->op == IR_NOP || i->op == IR_CONST || i->op == IR_SET) continue;
        if (i->op != IR_GET || (i->imm < s->imm + bytes && s->imm < i->imm + ir_type_bits((ir_type)i->type) / 8))
            return 0;
    }
    return a;
}

/* A GET of a loop word is that word's register itself, without a copy,
 * when the register keeps the value for the GET's whole life: no SET of
 * the word and no value computed in the register comes before its last
 * use (an operation that is that last use may be computed there in place
 * from it, as its first operand), and no SET that waits for an exit holds
 * it. */
static void read_loop_registers(gen *g)
{
    for (ir_val v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        if (i->op != IR_GET) continue;
        int l = loop_index(g, (uint32_t)i->imm, ir_type_bits((ir_type)i->type) / 8);
        if (l < 0) continue;
        bool ok = true;
        for (ir_val k = v + 1; k <= g->last[v] && ok; k++) {
            const ir_insn *u = &g->ins[k];
            if (u->op == IR_SET) {
                int lk = loop_index(g, (uint32_t)u->imm, ir_type_bits((ir_type)u->type) / 8);
                if (lk == l) ok = u->a == v && k == g->last[v];
                else if (lk < 0 && u->a == v && !g->final[k]) ok = false;
            } else if (g->coalesced[k] == l + 1) {
                bool in_place_op = u->op == IR_ADD || u->op == IR_SUB || u->op == IR_AND || u->op == IR_OR ||
                                   u->op == IR_XOR || u->op == IR_MUL || u->op == IR_SHL || u->op == IR_SHR ||
                                   u->op == IR_SAR || u->op == IR_ROR || u->op == IR_NOT || u->op == IR_NEG;
                ok = in_place_op && k == g->last[v] && u->a == v && u->b != v && !g->folded[u->b];
            }
        }
        g->in_loop_reg[v] = ok;
    }
}

/* A guest state word a loop block accesses. */
typedef struct loop_word { uint32_t off; uint8_t bytes, read, written, bad; } loop_word;

/* The most values of the block live at once when the chosen words are in
 * loop registers: GETs of those take no register of their own, nor do
 * values computed in them. */
static int peak_values(gen *g, const loop_word *w, unsigned nw, const uint8_t *chosen)
{
    int *delta = calloc(g->n + 1, sizeof *delta);
    if (!delta) return NALLOC;
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        if (!i->type || is_const(g, v) || g->last[v] <= v) continue;
        bool in_loop_reg = false;
        for (unsigned k = 0; k < nw && i->op == IR_GET; k++)
            in_loop_reg |= chosen[k] && w[k].off == i->imm;
        if (in_loop_reg) continue;
        delta[v]++;
        delta[g->last[v]]--;
    }
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        ir_val a = i->op == IR_SET ? coalescible(g, v) : 0;
        if (!a || g->last[a] <= a) continue;
        for (unsigned k = 0; k < nw; k++) {
            if (!chosen[k] || w[k].off != i->imm) continue;
            delta[a]--;
            delta[g->last[a]]++;
        }
    }
    int live = 0, most = 0;
    for (uint32_t v = 1; v < g->n; v++) {
        live += delta[v];
        if (live > most) most = live;
    }
    free(delta);
    return most;
}

static void plan_loop(gen *g)
{
    enum { MAX_WORDS = 64 };
    loop_word w[MAX_WORDS];
    unsigned nw = 0, gotos = 0;
    const jit_block *tb = g->tb;
    uint32_t pc_off = g->g->pc_offset, key_off = g->g->flags_offset;
    if (tb->cap || !tb->guest_insns || tb->n + MAX_LOOP >= FRAME_SLOTS) return;
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        if (inline_value_op(g, i)) continue;
        switch (i->op) {
        case IR_NOP: case IR_CONST: case IR_INSN: case IR_LOAD: case IR_STORE: case IR_LABEL: case IR_BRCOND:
        case IR_BR: case IR_JUMP: case IR_EXIT:
            break;
        case IR_GOTO:
            if (i->imm == tb->pc && !g->loop_goto && gotos < JIT_GOTO_SLOTS) g->loop_goto = v;
            gotos++;
            break;
        case IR_GET: case IR_SET: {
            uint32_t off = (uint32_t)i->imm, bytes = ir_type_bits((ir_type)i->type) / 8;
            bool bad = (i->type != IR_I32 && i->type != IR_I64) ||
                       (off < pc_off + g->g->pc_bytes && pc_off < off + bytes) ||
                       (g->g->flags_bytes && off < key_off + g->g->flags_bytes && key_off < off + bytes);
            loop_word *e = NULL;
            for (unsigned k = 0; k < nw; k++) {
                if (w[k].off == off && w[k].bytes == bytes) e = &w[k];
                else if (w[k].off < off + bytes && off < w[k].off + w[k].bytes) {
                    bad = true;
                    w[k].bad = 1;
                }
            }
            if (!e && nw < MAX_WORDS) {
                e = &w[nw++];
                *e = (loop_word){off, (uint8_t)bytes, 0, 0, 0};
            }
            if (!e) break;
            e->bad |= bad;
            if (i->op == IR_GET && !e->written) e->read = 1;
            if (i->op == IR_SET) e->written = 1;
            break;
        }
        default:
            return;
        }
    }
    if (!g->loop_goto) return;
    /* Words read before they are written carry values around the loop:
     * they come first; words only written save a store per iteration.
     * Each takes a register only while the block's own values still find
     * one free at their peak. */
    uint8_t chosen[MAX_WORDS] = {0};
    for (int pass = 0; pass < 2; pass++)
        for (unsigned k = 0; k < nw && g->nloop < MAX_LOOP; k++) {
            if (w[k].bad || !w[k].written || w[k].read != (pass == 0)) continue;
            chosen[k] = 1;
            if ((int)g->nloop + 1 + peak_values(g, w, nw, chosen) + 1 > NALLOC) {
                chosen[k] = 0;
                continue;
            }
            int r = alloc_order[NALLOC - 1 - g->nloop];
            g->loop_off[g->nloop] = w[k].off;
            g->loop_bytes[g->nloop] = w[k].bytes;
            g->loop_reg[g->nloop++] = (uint8_t)r;
            g->reserved |= 1u << r;
        }
    if (!g->nloop) {
        g->loop_goto = 0;
        return;
    }
    for (uint32_t v = 1; v < g->n; v++) {
        const ir_insn *i = &g->ins[v];
        ir_val a = i->op == IR_SET ? coalescible(g, v) : 0;
        int l = a ? loop_index(g, (uint32_t)i->imm, ir_type_bits((ir_type)i->type) / 8) : -1;
        if (l >= 0) g->coalesced[a] = (uint8_t)(l + 1);
    }
    read_loop_registers(g);
}

void *jit_x86_compile(x86_cache *x, jit_block *tb, const jit_guest *jg, bool user_mode)
{
    if (tb->n >= FRAME_SLOTS) return NULL;
    if (x->size - x->used < MAX_BLOCK_CODE) return NULL;
    gen G = {0};
    gen *g = &G;
    g->x = x;
    g->g = jg;
    g->tb = tb;
    g->ins = tb->insns;
    g->n = tb->n;
    g->user = user_mode;
    g->cur_pc = tb->pc;
    uint32_t nl = 0, nmem = 0;
    for (uint32_t v = 1; v < tb->n; v++) {
        const ir_insn *i = &tb->insns[v];
        if (i->op == IR_LABEL && i->aux + 1 > nl) nl = i->aux + 1;
        if (i->op == IR_LOAD || i->op == IR_STORE || i->op == IR_CMPXCHG || i->op == IR_RMW) nmem++;
    }
    g->reg = malloc(tb->n);
    g->in_slot = calloc(tb->n, 1);
    g->last = calloc(tb->n, sizeof *g->last);
    g->uses = calloc(tb->n, 1);
    g->pins = calloc(tb->n, sizeof *g->pins);
    g->final = calloc(tb->n, 1);
    g->folded = calloc(tb->n, 1);
    g->flags_read = calloc(tb->n, 1);
    g->in_loop_reg = calloc(tb->n, 1);
    g->fused = calloc(tb->n, 1);
    g->coalesced = calloc(tb->n, 1);
    g->fix = x->fix;
    g->cold_mem = x->cold_mem;
    g->label_hot = calloc(nl ? nl : 1, sizeof *g->label_hot);
    g->desc_cap = nmem;
    g->descs = malloc((nmem ? nmem : 1) * sizeof *g->descs);
    g->pads = malloc((nmem ? nmem : 1) * sizeof *g->pads);
    void *result = NULL;
    if (!g->reg || !g->in_slot || !g->last || !g->uses || !g->pins || !g->final || !g->folded || !g->flags_read || !g->in_loop_reg || !g->fused || !g->coalesced || !g->fix || !g->cold_mem || !g->label_hot || !g->descs ||
        !g->pads)
        goto out;
    memset(g->reg, -1, tb->n);
    for (uint32_t v = 1; v < tb->n; v++) {
        const ir_insn *i = &tb->insns[v];
        if (i->op == IR_CALL) {
            for (uint32_t k = 0; k < i->c; k++) {
                g->last[tb->args[i->b + k]] = v;
                g->uses[tb->args[i->b + k]] = 2;
            }
        } else {
            ir_val ops[3] = {i->a, i->b, i->c};
            for (int k = 0; k < 3; k++) {
                if (!ops[k]) continue;
                g->last[ops[k]] = v;
                if (g->uses[ops[k]] < 2) g->uses[ops[k]]++;
            }
        }
    }
    find_final_sets(g);
    find_flags_read(g);
    fold_scaled_indexes(g);
    if (user_mode) fold_addresses(g);
    fuse_branches(g);
    tb->loop_slot = 0;
    tb->loop_head = NULL;
    plan_loop(g);
    uint8_t *start = x->rw + x->used;
    x86_buf_init(&g->hot, start, MAX_BLOCK_CODE / 2);
    x86_buf_init(&g->cold, g->cold_mem, MAX_BLOCK_CODE / 2);
    for (unsigned k = 0; k < g->nloop; k++)
        x86_mov_rm(&g->hot, g->loop_bytes[k] * 8, g->loop_reg[k], state(g->loop_off[k]));
    g->loop_head = (uint32_t)x86_buf_len(&g->hot);
    /* Entry: take the block's instructions from the budget; if that makes
     * it negative (the run is over, or a kick), give them back and leave
     * before doing anything. */
    g->ninsns = tb->guest_insns;
    if (g->ninsns) {
        x86_alu_mi(&g->hot, X86_SUB, 32, state((uint32_t)offsetof(jit_cpu, budget)), (int32_t)g->ninsns);
        uint8_t *j = x86_jcc_fwd(&g->hot, X86_CC_S);
        add_fixup(g, j, false, FIX_COLD, (uint32_t)x86_buf_len(&g->cold));
        /* A chained branch here did not store the pc. */
        write_loop(g, &g->cold);
        store_pc_imm(g, &g->cold, tb->pc);
        exit_with(g, &g->cold, JIT_END_NEXT, IR_EXIT_NORMAL, 0);
    }
    for (uint32_t v = 1; v < tb->n && !g->failed; v++) {
        g->pos = v;
        g->locked = g->reserved;
        gen_insn(g, v);
    }
    if (g->failed || g->hot.overflow || g->cold.overflow) goto out;
    /* Cold code follows hot code; branches between them and to labels and
     * the epilogue are filled in now that both have their places. */
    size_t hot_len = x86_buf_len(&g->hot), cold_len = x86_buf_len(&g->cold);
    uint8_t *cold_at = start + hot_len;
    memcpy(cold_at, g->cold_mem, cold_len);
    for (unsigned k = 0; k < g->nfix; k++) {
        fixup *f = &g->fix[k];
        uint8_t *field = (f->in_cold ? cold_at : start) + f->field;
        uint8_t *target = f->kind == FIX_HOT ? start + f->target
                        : f->kind == FIX_COLD ? cold_at + f->target
                        : f->kind == FIX_LABEL ? start + g->label_hot[f->target]
                        : x->exit;
        x86_patch_rel32(field, target);
    }
    free(tb->x86_descs);
    tb->x86_descs = g->descs;
    g->descs = NULL;
    for (unsigned k = 0; k < g->npads; k++) g->pads[k][1] += (uint32_t)hot_len;
    free(tb->fault_pads);
    tb->fault_pads = g->npads ? g->pads : NULL;
    tb->nfault_pads = g->npads;
    if (g->npads) g->pads = NULL;
    x->used += (hot_len + cold_len + 15) & ~(size_t)15;
    tb->code_len = (uint32_t)(hot_len + cold_len);
    for (unsigned k = 0; k < JIT_GOTO_SLOTS; k++) {
        tb->goto_field[k] = k < g->nslots ? to_rx(x, start + g->slot_field[k]) : NULL;
        tb->goto_stub[k] = k < g->nslots ? to_rx(x, start + g->slot_stub[k]) : NULL;
    }
    if (tb->loop_slot) tb->loop_head = to_rx(x, start + g->loop_head);
    result = to_rx(x, start);
out:
    free(g->reg);
    free(g->in_slot);
    free(g->last);
    free(g->uses);
    free(g->pins);
    free(g->final);
    free(g->folded);
    free(g->flags_read);
    free(g->in_loop_reg);
    free(g->fused);
    free(g->coalesced);
    free(g->label_hot);
    free(g->descs);
    free(g->pads);
    return result;
}

/* Patching goes through the write view; the field is 4-aligned, so a
 * thread running the code sees the old or the new target, never a mix. */
static void patch_jump(x86_cache *x, uint8_t *field_rx, const uint8_t *target_rx)
{
    uint8_t *field = x->rw + (field_rx - x->rx);
    int32_t rel = (int32_t)(target_rx - (field_rx + 4));
    __atomic_store_n((int32_t *)(void *)field, rel, __ATOMIC_RELEASE);
}

void jit_x86_chain(x86_cache *x, jit_block *from, unsigned slot, jit_block *to)
{
    if (from == to && from->loop_slot == slot + 1) {
        patch_jump(x, from->goto_field[slot], to->loop_head);
        return;
    }
    patch_jump(x, from->goto_field[slot], to->code);
}

void jit_x86_unchain(x86_cache *x, jit_block *from, unsigned slot)
{
    patch_jump(x, from->goto_field[slot], from->goto_stub[slot]);
}

bool jit_x86_check(const void *code, size_t len)
{
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisDecodedInstruction insn;
    const uint8_t *p = code;
    for (size_t off = 0; off < len; off += insn.length)
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, p + off, len - off, &insn))) return false;
    return true;
}

bool jit_x86_disassemble(const void *code, size_t len, FILE *f)
{
    const uint8_t *p = code;
    size_t off = 0;
    ZydisDisassembledInstruction insn;
    while (off < len) {
        if (!ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, (ZyanU64)(uintptr_t)(p + off), p + off,
                                                len - off, &insn))) {
            fprintf(f, "  %p: (undecodable byte 0x%02x)\n", (const void *)(p + off), p[off]);
            return false;
        }
        fprintf(f, "  %p: %s\n", (const void *)(p + off), insn.text);
        off += insn.info.length;
    }
    return true;
}
