/* Loom's intermediate representation: typed single-assignment values in a
 * per-block array, the builder guest translators use, the verifier and the
 * printer. Every guest translates into this; every back end consumes it. */
#ifndef LOOM_JIT_IR_H
#define LOOM_JIT_IR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum ir_type { IR_VOID = 0, IR_I32, IR_I64, IR_F32, IR_F64 } ir_type;

/* A value is the index of the instruction that defines it; 0 is "none". */
typedef uint32_t ir_val;
#define IR_NONE ((ir_val)0)

/* Comparison conditions (integer: signed and unsigned; float: ordered ones
 * are false when either side is NaN, UNORD is true then). */
typedef enum ir_cond {
    IR_EQ, IR_NE, IR_LTU, IR_LEU, IR_GTU, IR_GEU, IR_LTS, IR_LES, IR_GTS, IR_GES,
    IR_FEQ, IR_FLT, IR_FLE, IR_FUNORD,
} ir_cond;

/* Memory access flags (ir_insn.flags for LOAD, STORE and atomics). */
enum {
    IR_MEM_SIZE_MASK = 3, /* log2 of bytes: 0..3 */
    IR_MEM_SIGNED = 1u << 2,
    IR_MEM_BE = 1u << 3,   /* big-endian guest data */
    IR_MEM_ALIGN = 1u << 4, /* trap on misalignment rather than split */
    IR_MEM_ALIGN4 = 1u << 5, /* with IR_MEM_ALIGN: only a multiple of 4 is needed (8-byte accesses) */
    IR_MEM_COVERED = 1u << 6 /* a store whose page other stores of its instruction check for
                              * translated code (the middle of a store-multiple) */
};

/* Checked floating point: the kind in ir_insn.flags of FADD, FSUB, FMUL,
 * FDIV, FSQRT, FCVT and FTOI (see ir_fp_checked). */
enum {
    IR_FPCHK_NONE = 0,
    IR_FPCHK_INF,  /* the result is infinite or NaN */
    IR_FPCHK_TINY, /* ... or zero, subnormal or in the smallest normal binade;
                    * but not a zero FMUL of a zero factor or FDIV of a zero
                    * dividend (exact, nothing to raise) */
    IR_FPCHK_INT,  /* FTOI to i32: the result is INT32_MIN (out of range, NaN) */
    IR_FPCHK_UINT, /* FTOI to i32 as unsigned: the value is not in 0..UINT32_MAX */
    IR_FPCHK_UNORD, /* FCMP: unordered (a NaN) */
    IR_FPCHK_MASK = 7
};

/* Helper flags (what the call may do; the optimizer respects them). */
enum {
    IR_HELPER_PURE = 1u << 0,        /* depends only on its arguments */
    IR_HELPER_READS_STATE = 1u << 1, /* reads guest state: flush dirty registers first */
    IR_HELPER_WRITES_STATE = 1u << 2,/* writes guest state: forget cached registers */
    IR_HELPER_MAY_RAISE = 1u << 3,   /* may not return: a precise-state barrier */
};

typedef enum ir_rmw { IR_RMW_XCHG, IR_RMW_ADD, IR_RMW_AND, IR_RMW_OR, IR_RMW_XOR } ir_rmw_op;

/* The operation set. Operands are a, b, c; imm and aux hold constants. */
#define IR_OPS(X)                                                             \
    X(NOP, "nop")                                                             \
    X(CONST, "const")       /* imm */                                         \
    X(GET, "get")           /* guest state at imm (byte offset), type sized */ \
    X(SET, "set")           /* guest state at imm := a */                     \
    X(ADD, "add") X(SUB, "sub") X(MUL, "mul")                                 \
    X(MULHU, "mulhu") X(MULHS, "mulhs") /* high half of the product */        \
    X(DIVU, "divu") X(DIVS, "divs") X(REMU, "remu") X(REMS, "rems")           \
    /* x/0 = 0, x%0 = x; INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0 (no trap) */     \
    X(AND, "and") X(OR, "or") X(XOR, "xor") X(NOT, "not") X(NEG, "neg")       \
    X(SHL, "shl") X(SHR, "shr") X(SAR, "sar") X(ROR, "ror") /* count mod width */ \
    X(ADC, "adc")           /* a + b + c (c is 0 or 1) */                      \
    X(CARRY, "carry")       /* carry out of a + b + c (c 0/1; IR_NONE = 0) */  \
    X(OVF, "ovf")           /* signed overflow of a + b + c */                 \
    X(OVFSUB, "ovfsub")     /* signed overflow of a - b (the optimizer's form) */ \
    X(SETCC, "setcc")       /* aux = cond: a cond b -> i32 0/1 */              \
    X(SELECT, "select")     /* a != 0 ? b : c */                              \
    X(ZEXT, "zext")         /* aux = source bits: 8, 16, 32 */                \
    X(SEXT, "sext")                                                           \
    X(TRUNC, "trunc")       /* i64 -> i32 */                                  \
    X(BSWAP, "bswap")       /* aux = bits: 16 (low half), 32, 64 */            \
    X(CLZ, "clz") X(CTZ, "ctz") X(POPCNT, "popcnt") /* clz(0) = ctz(0) = width */ \
    X(EXTRACT, "extract")   /* unsigned field of a: imm = pos, aux = len */    \
    X(SEXTRACT, "sextract")                                                   \
    X(DEPOSIT, "deposit")   /* a with field (pos imm, len aux) replaced by b */ \
    X(FADD, "fadd") X(FSUB, "fsub") X(FMUL, "fmul") X(FDIV, "fdiv")           \
    X(FSQRT, "fsqrt") X(FNEG, "fneg") X(FABS, "fabs")                         \
    X(FCVT, "fcvt")         /* float to float of the result type */            \
    X(ITOF, "itof")         /* signed integer to float */                     \
    X(FTOI, "ftoi")         /* float to signed integer, truncating */         \
    X(FCMP, "fcmp")         /* i32: 0 a == b, 1 a < b, 2 a > b, 3 unordered */ \
    X(BITCAST, "bitcast")   /* same bits, other type (i32<->f32, i64<->f64) */ \
    X(LOAD, "load")         /* [a]; flags = size/sign/endian, aux = mmu index */ \
    X(STORE, "store")       /* [a] := b */                                    \
    X(CMPXCHG, "cmpxchg")   /* [a]: if == b then c; returns the old value */   \
    X(RMW, "rmw")           /* [a] op= b, returns old; imm = ir_rmw */        \
    X(FENCE, "fence")                                                         \
    X(CALL, "call")         /* helper imm with args from the arg list, aux = flags */ \
    X(INSN, "insn")         /* start of guest instruction: imm = pc, aux = extra */ \
    X(LABEL, "label")       /* aux = label number */                          \
    X(BRCOND, "brcond")     /* if a != 0 go forward to label aux; imm =       \
                               guest instructions the jump skips */           \
    X(BR, "br")             /* go forward to label aux; imm as BRCOND's */     \
    X(GOTO, "goto")         /* end: continue at static pc imm (may chain) */   \
    X(JUMP, "jump")         /* end: continue at pc a (computed) */            \
    X(EXIT, "exit")         /* end: leave to the run loop, reason aux, pc imm */

typedef enum ir_op {
#define IR_ENUM(name, text) IR_##name,
    IR_OPS(IR_ENUM)
#undef IR_ENUM
    IR_OP_COUNT
} ir_op;

extern const char *const ir_op_names[IR_OP_COUNT];

typedef struct ir_insn {
    uint8_t op;    /* ir_op */
    uint8_t type;  /* ir_type of the result (or of the stored value) */
    uint8_t flags; /* IR_MEM_* for memory operations */
    uint8_t uses;  /* use count, saturating; filled by the passes */
    uint32_t aux;
    ir_val a, b, c;
    uint64_t imm;
} ir_insn;

/* Why a block exits to the run loop (EXIT's aux). */
enum {
    IR_EXIT_NORMAL = 0,   /* the next pc is in the guest state */
    IR_EXIT_HALT,         /* wait for an interrupt */
    IR_EXIT_EXCEPTION,    /* an exception was raised; state already updated */
    IR_EXIT_SYSCALL,      /* user mode: a system call */
    IR_EXIT_BREAKPOINT,
};

typedef struct ir_block {
    ir_insn *insns;  /* insns[0] is a NOP so that value 0 means none */
    uint32_t n, cap;
    uint64_t *args;  /* helper argument lists: CALL's b = first, c = count */
    uint32_t nargs, argcap;
    uint32_t nlabels;
    uint32_t guest_insns; /* INSN markers emitted */
    uint8_t mmu_idx;  /* the MMU index the guest's translator gives data accesses */
    bool failed;      /* out of memory while building */
} ir_block;

void ir_block_init(ir_block *b);
void ir_block_reset(ir_block *b);
void ir_block_free(ir_block *b);

/* If-conversion: when everything after the BRCOND at `branch` to the end of
 * the block is pure arithmetic and SETs (at most six, of integers, with no
 * GET reading what an earlier one of them wrote), the branch goes and each
 * SET becomes a SET of SELECT(condition, old value, new value). The
 * caller then leaves out the branch's label. True if it did. */
bool ir_predicate(ir_block *b, ir_val branch);

static inline ir_insn *ir_at(const ir_block *b, ir_val v) { return &b->insns[v]; }
static inline ir_type ir_type_of(const ir_block *b, ir_val v) { return (ir_type)b->insns[v].type; }

/* ---- Builder ------------------------------------------------------------ */
ir_val ir_emit(ir_block *b, ir_op op, ir_type t, ir_val a, ir_val bb, ir_val c, uint64_t imm, uint32_t aux);

static inline ir_val ir_const32(ir_block *b, uint32_t v) { return ir_emit(b, IR_CONST, IR_I32, 0, 0, 0, v, 0); }
static inline ir_val ir_const64(ir_block *b, uint64_t v) { return ir_emit(b, IR_CONST, IR_I64, 0, 0, 0, v, 0); }
static inline ir_val ir_get(ir_block *b, ir_type t, uint32_t off) { return ir_emit(b, IR_GET, t, 0, 0, 0, off, 0); }
static inline void ir_set(ir_block *b, uint32_t off, ir_val v) { ir_emit(b, IR_SET, ir_type_of(b, v), v, 0, 0, off, 0); }
#define IR_BINOP(name, OP)                                                             \
    static inline ir_val ir_##name(ir_block *b, ir_val x, ir_val y)                     \
    {                                                                                 \
        return ir_emit(b, IR_##OP, ir_type_of(b, x), x, y, 0, 0, 0);                  \
    }
IR_BINOP(add, ADD) IR_BINOP(sub, SUB) IR_BINOP(mul, MUL) IR_BINOP(mulhu, MULHU)
IR_BINOP(mulhs, MULHS) IR_BINOP(divu, DIVU) IR_BINOP(divs, DIVS) IR_BINOP(remu, REMU)
IR_BINOP(rems, REMS) IR_BINOP(and, AND) IR_BINOP(or, OR) IR_BINOP(xor, XOR)
IR_BINOP(shl, SHL) IR_BINOP(shr, SHR) IR_BINOP(sar, SAR) IR_BINOP(ror, ROR)
IR_BINOP(fadd, FADD) IR_BINOP(fsub, FSUB) IR_BINOP(fmul, FMUL) IR_BINOP(fdiv, FDIV)
#undef IR_BINOP
static inline ir_val ir_ovfsub(ir_block *b, ir_val x, ir_val y) { return ir_emit(b, IR_OVFSUB, IR_I32, x, y, 0, 0, 0); }
static inline ir_val ir_not(ir_block *b, ir_val x) { return ir_emit(b, IR_NOT, ir_type_of(b, x), x, 0, 0, 0, 0); }
static inline ir_val ir_neg(ir_block *b, ir_val x) { return ir_emit(b, IR_NEG, ir_type_of(b, x), x, 0, 0, 0, 0); }
static inline ir_val ir_adc(ir_block *b, ir_val x, ir_val y, ir_val cin)
{
    return ir_emit(b, IR_ADC, ir_type_of(b, x), x, y, cin, 0, 0);
}
/* Carry and signed overflow of x + y + cin, as i32 0/1. For x - y use
 * x + ~y + 1 (the carry is then "no borrow", as ARM defines it). */
static inline ir_val ir_carry(ir_block *b, ir_val x, ir_val y, ir_val cin)
{
    return ir_emit(b, IR_CARRY, IR_I32, x, y, cin, 0, 0);
}
static inline ir_val ir_ovf(ir_block *b, ir_val x, ir_val y, ir_val cin)
{
    return ir_emit(b, IR_OVF, IR_I32, x, y, cin, 0, 0);
}
static inline ir_val ir_setcc(ir_block *b, ir_cond c, ir_val x, ir_val y)
{
    return ir_emit(b, IR_SETCC, IR_I32, x, y, 0, 0, c);
}
static inline ir_val ir_select(ir_block *b, ir_val c, ir_val x, ir_val y)
{
    return ir_emit(b, IR_SELECT, ir_type_of(b, x), c, x, y, 0, 0);
}
static inline ir_val ir_zext(ir_block *b, ir_type t, ir_val x, unsigned from_bits)
{
    return ir_emit(b, IR_ZEXT, t, x, 0, 0, 0, from_bits);
}
static inline ir_val ir_sext(ir_block *b, ir_type t, ir_val x, unsigned from_bits)
{
    return ir_emit(b, IR_SEXT, t, x, 0, 0, 0, from_bits);
}
static inline ir_val ir_trunc(ir_block *b, ir_val x) { return ir_emit(b, IR_TRUNC, IR_I32, x, 0, 0, 0, 0); }
static inline ir_val ir_bswap(ir_block *b, ir_val x, unsigned bits)
{
    return ir_emit(b, IR_BSWAP, ir_type_of(b, x), x, 0, 0, 0, bits);
}
static inline ir_val ir_clz(ir_block *b, ir_val x) { return ir_emit(b, IR_CLZ, ir_type_of(b, x), x, 0, 0, 0, 0); }
static inline ir_val ir_ctz(ir_block *b, ir_val x) { return ir_emit(b, IR_CTZ, ir_type_of(b, x), x, 0, 0, 0, 0); }
static inline ir_val ir_popcnt(ir_block *b, ir_val x) { return ir_emit(b, IR_POPCNT, ir_type_of(b, x), x, 0, 0, 0, 0); }
static inline ir_val ir_extract(ir_block *b, ir_val x, unsigned pos, unsigned len)
{
    return ir_emit(b, IR_EXTRACT, ir_type_of(b, x), x, 0, 0, pos, len);
}
static inline ir_val ir_sextract(ir_block *b, ir_val x, unsigned pos, unsigned len)
{
    return ir_emit(b, IR_SEXTRACT, ir_type_of(b, x), x, 0, 0, pos, len);
}
static inline ir_val ir_deposit(ir_block *b, ir_val x, ir_val field, unsigned pos, unsigned len)
{
    return ir_emit(b, IR_DEPOSIT, ir_type_of(b, x), x, field, 0, pos, len);
}
/* Guest memory: size in bytes (1, 2, 4, 8). */
ir_val ir_load(ir_block *b, ir_type t, ir_val addr, unsigned size, bool sign, bool big_endian, unsigned mmu_idx);
ir_val ir_store(ir_block *b, ir_val addr, ir_val v, unsigned size, bool big_endian, unsigned mmu_idx);
ir_val ir_cmpxchg(ir_block *b, ir_val addr, ir_val expect, ir_val newv, unsigned size, bool big_endian,
                  unsigned mmu_idx);
ir_val ir_rmw(ir_block *b, ir_rmw_op op, ir_val addr, ir_val v, unsigned size, bool big_endian, unsigned mmu_idx);
/* Make the access v (what ir_load, ir_store, ir_cmpxchg or ir_rmw
 * returned) fault (JIT_FAULT_ALIGN) at an address that is not a multiple of
 * its size, rather than access the bytes: ARM's MemA accesses, say. */
static inline void ir_mem_align(ir_block *b, ir_val v)
{
    if (v) b->insns[v].flags |= IR_MEM_ALIGN;
}
/* The same with a 4-byte alignment for an 8-byte access (ARM's VLDR of a
 * double is two word accesses). */
static inline void ir_mem_align4(ir_block *b, ir_val v)
{
    if (v) b->insns[v].flags |= IR_MEM_ALIGN | IR_MEM_ALIGN4;
}
/* The alignment an access with flags f needs: 1 when none. */
static inline unsigned ir_mem_alignment(unsigned f)
{
    if (!(f & IR_MEM_ALIGN)) return 1;
    return (f & IR_MEM_ALIGN4) ? 4 : 1u << (f & IR_MEM_SIZE_MASK);
}
/* Guest floating point the host's IEEE 754 arithmetic (round to nearest,
 * no flush to zero) gets right in the common case: r = x op y (FSQRT, FCVT
 * and FTOI: of x; FTOI truncates, to i32; FCMP compares), and when r is in the class
 * `check` names, where guests have rules of their own (exception flags,
 * NaN selection, tininess, saturation), the value of helper `helper`
 * instead, called as fn(cpu, arg, x, y) (y 0 when there is none). The
 * helper may read and write the 4-byte guest-state word at state_off (the
 * guest's FP status) and nothing else; it may not raise. */
ir_val ir_fp_checked(ir_block *b, ir_op op, ir_type t, ir_val x, ir_val y, unsigned check, unsigned helper,
                     uint32_t arg, uint32_t state_off);
static inline bool ir_is_fp_checked(const ir_insn *i)
{
    return (i->flags & IR_FPCHK_MASK) && i->op >= IR_FADD && i->op <= IR_FCMP && i->op != IR_ITOF;
}
static inline uint32_t ir_fp_checked_arg(const ir_insn *i) { return (uint32_t)i->imm; }
static inline uint32_t ir_fp_checked_off(const ir_insn *i) { return (uint32_t)(i->imm >> 32); }
/* Is the result bits r (of type t) in the class of check kind k? */
static inline bool ir_fp_special(unsigned k, ir_type t, uint64_t r)
{
    unsigned e = t == IR_F32 ? (unsigned)(r >> 23 & 0xff) : (unsigned)(r >> 52 & 0x7ff);
    unsigned emax = t == IR_F32 ? 0xff : 0x7ff;
    switch (k) {
    case IR_FPCHK_INF: return e == emax;
    case IR_FPCHK_TINY: return e == emax || e < 2;
    case IR_FPCHK_INT: return (uint32_t)r == 0x80000000u;
    case IR_FPCHK_UNORD: return r == 3;
    default: return false;
    }
}
static inline void ir_fence(ir_block *b) { ir_emit(b, IR_FENCE, IR_VOID, 0, 0, 0, 0, 0); }
/* Call helper number `helper` (an index into the engine's helper table). */
ir_val ir_call(ir_block *b, ir_type ret, unsigned helper, unsigned flags, const ir_val *args, unsigned nargs);
static inline void ir_insn_start(ir_block *b, uint64_t pc, uint32_t extra)
{
    ir_emit(b, IR_INSN, IR_VOID, 0, 0, 0, pc, extra);
    b->guest_insns++;
}
static inline uint32_t ir_new_label(ir_block *b) { return b->nlabels++; }
static inline void ir_label(ir_block *b, uint32_t l) { ir_emit(b, IR_LABEL, IR_VOID, 0, 0, 0, 0, l); }
static inline void ir_brcond(ir_block *b, ir_val c, uint32_t l) { ir_emit(b, IR_BRCOND, IR_VOID, c, 0, 0, 0, l); }
static inline void ir_br(ir_block *b, uint32_t l) { ir_emit(b, IR_BR, IR_VOID, 0, 0, 0, 0, l); }
static inline void ir_goto(ir_block *b, uint64_t pc) { ir_emit(b, IR_GOTO, IR_VOID, 0, 0, 0, pc, 0); }
static inline void ir_jump(ir_block *b, ir_val pc) { ir_emit(b, IR_JUMP, IR_VOID, pc, 0, 0, 0, 0); }
static inline void ir_exit(ir_block *b, unsigned reason, uint64_t pc) { ir_emit(b, IR_EXIT, IR_VOID, 0, 0, 0, pc, reason); }

static inline bool ir_is_terminator(ir_op op) { return op == IR_GOTO || op == IR_JUMP || op == IR_EXIT; }
/* Operations that may fault or leave the block early: precise-state barriers. */
bool ir_is_barrier(const ir_insn *i);
bool ir_has_side_effects(const ir_insn *i);
unsigned ir_type_bits(ir_type t);

/* Check the block's invariants: operands defined before use and of the right
 * types, labels forward and defined once, exactly one terminator, at the end
 * (plus conditional ones reached through labels). Returns NULL when the block
 * is sound, else a message naming the instruction (static storage is not
 * used: msg is the caller's buffer). */
const char *ir_verify(const ir_block *b, char *msg, size_t len);
void ir_print(const ir_block *b, FILE *out);

#endif
