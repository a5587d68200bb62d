/* x86-64 machine-code emitter: prefixes, REX, ModRM/SIB and the instruction
 * forms of emit.h, encoded as GNU as encodes them (Intel SDM vol. 2, ch. 2). */
#include "emit.h"

#include <assert.h>
#include <string.h>

/* One instruction being assembled. It reaches the buffer whole or not at
 * all, so an overflowing buffer never holds half an instruction. */
typedef struct insn {
    uint8_t b[24];
    unsigned n;
} insn;

/* What goes around the opcode. */
enum {
    W = 1 << 0,    /* REX.W: 64-bit operand size */
    P66 = 1 << 1,  /* operand-size prefix, or SSE's mandatory 66 */
    PF2 = 1 << 2,  /* SSE mandatory prefixes */
    PF3 = 1 << 3,
    LOCK = 1 << 4,
    REG8 = 1 << 5, /* ModRM.reg names a byte register */
    RM8 = 1 << 6,  /* ModRM.rm, or the register in the opcode, is a byte register */
};

static void put(insn *i, uint8_t v)
{
    assert(i->n < sizeof i->b);
    i->b[i->n++] = v;
}

static void put_le(insn *i, uint64_t v, unsigned bytes)
{
    for (unsigned k = 0; k < bytes; k++)
        put(i, (uint8_t)(v >> (8 * k)));
}

static bool fits8(int64_t v)
{
    return v >= INT8_MIN && v <= INT8_MAX;
}

static bool fits32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

static uint8_t *commit(x86_buf *b, const insn *i)
{
    if (b->overflow || (size_t)(b->end - b->p) < i->n) {
        b->overflow = true;
        return NULL;
    }
    uint8_t *at = b->p;
    memcpy(at, i->b, i->n);
    b->p += i->n;
    return at;
}

void x86_buf_init(x86_buf *b, void *mem, size_t size)
{
    b->start = b->p = mem;
    b->end = b->start + size;
    b->overflow = false;
}

/* ---- Encoding core ------------------------------------------------------ */

/* Operand size to prefix flags. Byte operands are marked on both ModRM
 * fields. */
static unsigned sz(unsigned size)
{
    assert(size == 8 || size == 16 || size == 32 || size == 64);
    switch (size) {
    case 8: return REG8 | RM8;
    case 16: return P66;
    case 64: return W;
    }
    return 0;
}

/* For forms whose ModRM.reg is an opcode extension (/digit), not a register. */
static unsigned sz_ext(unsigned size)
{
    return sz(size) & ~REG8;
}

/* Immediate bytes for a size: 64-bit operations take a sign-extended imm32. */
static unsigned immlen(unsigned size)
{
    return size == 8 ? 1 : size == 16 ? 2 : 4;
}

/* The immediate as the instruction sees it: truncated to 8 or 16 bits, so
 * the imm8 test below is made on the value the CPU would use. */
static int64_t imm_value(unsigned size, int64_t imm)
{
    return size == 8 ? (int8_t)imm : size == 16 ? (int16_t)imm : imm;
}

static bool is_byte_hi(int r)
{
    return r >= 4 && r <= 7; /* without REX these would be AH, CH, DH, BH */
}

/* Legacy prefixes in GNU as's order (66, F2/F3, F0), then REX, which must
 * come last. rm is the register in ModRM.rm or in the opcode (or -1). */
static void prefixes(insn *i, unsigned f, int reg, int index, int rm)
{
    if (f & P66) put(i, 0x66);
    if (f & PF2) put(i, 0xF2);
    if (f & PF3) put(i, 0xF3);
    if (f & LOCK) put(i, 0xF0);
    unsigned rex = (f & W ? 8 : 0) | (reg >= 8 ? 4 : 0) | (index >= 8 ? 2 : 0) | (rm >= 8 ? 1 : 0);
    if (rex || ((f & REG8) && is_byte_hi(reg)) || ((f & RM8) && is_byte_hi(rm)))
        put(i, (uint8_t)(0x40 | rex));
}

/* Opcode bytes, most significant first: 0x0FAF is 0F AF. */
static void opcode(insn *i, uint32_t opc)
{
    if (opc > 0xFFFF) put(i, (uint8_t)(opc >> 16));
    if (opc > 0xFF) put(i, (uint8_t)(opc >> 8));
    put(i, (uint8_t)opc);
}

static uint8_t modrm(unsigned mod, int reg, int rm)
{
    return (uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7));
}

static void mem_operand(insn *i, int reg, const x86_mem *m)
{
    /* index 100 means "no index", so RSP can never be one */
    assert(m->index != X86_RSP && m->index >= X86_NOREG && m->index <= X86_R15);
    assert(m->index == X86_NOREG || m->scale == 1 || m->scale == 2 || m->scale == 4 || m->scale == 8);
    unsigned ss = m->index == X86_NOREG ? 0 : m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
    int index = m->index == X86_NOREG ? 4 : m->index; /* SIB index 100: none */

    if (m->base == X86_RIP) {
        assert(m->index == X86_NOREG);
        put(i, modrm(0, reg, 5));
        put_le(i, (uint32_t)m->disp, 4);
        return;
    }
    if (m->base == X86_NOREG) {
        /* rm 101 alone is RIP-relative in 64-bit mode: an absolute address
         * needs a SIB with base 101 (no base, disp32). */
        put(i, modrm(0, reg, 4));
        put(i, (uint8_t)(ss << 6 | (index & 7) << 3 | 5));
        put_le(i, (uint32_t)m->disp, 4);
        return;
    }
    assert(m->base >= X86_RAX && m->base <= X86_R15);
    /* Base 101 (RBP, R13) with mod 00 means "no base": give it a disp8 0. */
    unsigned mod = m->disp == 0 && (m->base & 7) != 5 ? 0 : fits8(m->disp) ? 1 : 2;
    /* rm 100 (RSP, R12) means "SIB follows", so such a base needs one. */
    if (m->index != X86_NOREG || (m->base & 7) == 4) {
        put(i, modrm(mod, reg, 4));
        put(i, (uint8_t)(ss << 6 | (index & 7) << 3 | (m->base & 7)));
    } else {
        put(i, modrm(mod, reg, m->base));
    }
    if (mod == 1) put(i, (uint8_t)m->disp);
    if (mod == 2) put_le(i, (uint32_t)m->disp, 4);
}

/* The common shape: prefixes, REX, opcode, ModRM with reg (a register or an
 * opcode extension) and rm (a register, or memory when m is set), then an
 * immediate of ilen bytes. */
static void emit(x86_buf *b, unsigned f, uint32_t opc, int reg, int rm, const x86_mem *m,
                 unsigned ilen, int64_t imm)
{
    insn i = { .n = 0 };
    if (m)
        prefixes(&i, f & ~RM8, reg, m->index, m->base);
    else
        prefixes(&i, f, reg, -1, rm);
    opcode(&i, opc);
    if (m)
        mem_operand(&i, reg, m);
    else
        put(&i, modrm(3, reg, rm));
    put_le(&i, (uint64_t)imm, ilen);
    commit(b, &i);
}

static void rr(x86_buf *b, unsigned f, uint32_t opc, int reg, int rm)
{
    emit(b, f, opc, reg, rm, NULL, 0, 0);
}

static void rm(x86_buf *b, unsigned f, uint32_t opc, int reg, x86_mem m)
{
    emit(b, f, opc, reg, 0, &m, 0, 0);
}

/* No ModRM: the register (if any, else -1) is in the opcode's low bits. */
static void emit_opreg(x86_buf *b, unsigned f, uint32_t opc, int r, unsigned ilen, int64_t imm)
{
    insn i = { .n = 0 };
    prefixes(&i, f, -1, -1, r);
    opcode(&i, r < 0 ? opc : opc | (r & 7));
    put_le(&i, (uint64_t)imm, ilen);
    commit(b, &i);
}

static void emit_op(x86_buf *b, unsigned f, uint32_t opc)
{
    emit_opreg(b, f, opc, -1, 0, 0);
}

/* SSE ops carry their mandatory prefix in bits 23:16. */
static unsigned sse_prefix(uint32_t op)
{
    switch (op >> 16) {
    case 0x66: return P66;
    case 0xF2: return PF2;
    case 0xF3: return PF3;
    }
    return 0;
}

/* Byte forms have even opcodes; the 16/32/64-bit form is the next one. */
static uint32_t wide(uint32_t opc, unsigned size)
{
    return size == 8 ? opc : opc + 1;
}

/* ---- Integer ALU -------------------------------------------------------- */

void x86_alu_rr(x86_buf *b, x86_alu op, unsigned size, int dst, int src)
{
    rr(b, sz(size), wide(op * 8u, size), src, dst);
}

void x86_alu_ri(x86_buf *b, x86_alu op, unsigned size, int dst, int32_t imm)
{
    unsigned f = sz_ext(size);
    int64_t v = imm_value(size, imm);
    if (size != 8 && fits8(v))
        emit(b, f, 0x83, op, dst, NULL, 1, v);
    else if (dst == X86_RAX)
        emit_opreg(b, f, wide(op * 8u + 4, size), -1, immlen(size), v);
    else
        emit(b, f, wide(0x80, size), op, dst, NULL, immlen(size), v);
}

void x86_alu_rm(x86_buf *b, x86_alu op, unsigned size, int dst, x86_mem src)
{
    rm(b, sz(size), wide(op * 8u + 2, size), dst, src);
}

void x86_alu_mr(x86_buf *b, x86_alu op, unsigned size, x86_mem dst, int src)
{
    rm(b, sz(size), wide(op * 8u, size), src, dst);
}

void x86_alu_mi(x86_buf *b, x86_alu op, unsigned size, x86_mem dst, int32_t imm)
{
    int64_t v = imm_value(size, imm);
    if (size != 8 && fits8(v))
        emit(b, sz_ext(size), 0x83, op, 0, &dst, 1, v);
    else
        emit(b, sz_ext(size), wide(0x80, size), op, 0, &dst, immlen(size), v);
}

void x86_lock_alu_mr(x86_buf *b, x86_alu op, unsigned size, x86_mem m, int r)
{
    assert(op != X86_CMP);
    rm(b, sz(size) | LOCK, wide(op * 8u, size), r, m);
}

void x86_test_rr(x86_buf *b, unsigned size, int r1, int r2)
{
    rr(b, sz(size), wide(0x84, size), r2, r1);
}

void x86_test_ri(x86_buf *b, unsigned size, int r, int32_t imm)
{
    int64_t v = imm_value(size, imm);
    if (r == X86_RAX)
        emit_opreg(b, sz_ext(size), wide(0xA8, size), -1, immlen(size), v);
    else
        emit(b, sz_ext(size), wide(0xF6, size), 0, r, NULL, immlen(size), v);
}

void x86_test_mi(x86_buf *b, unsigned size, x86_mem m, int32_t imm)
{
    emit(b, sz_ext(size), wide(0xF6, size), 0, 0, &m, immlen(size), imm_value(size, imm));
}

/* Group 3 (F6/F7) and group 4/5 (FE/FF) take an opcode extension. */
static void unary(x86_buf *b, uint32_t opc, int ext, unsigned size, int r)
{
    rr(b, sz_ext(size), wide(opc, size), ext, r);
}

void x86_not(x86_buf *b, unsigned size, int r) { unary(b, 0xF6, 2, size, r); }
void x86_neg(x86_buf *b, unsigned size, int r) { unary(b, 0xF6, 3, size, r); }
void x86_mul(x86_buf *b, unsigned size, int src) { unary(b, 0xF6, 4, size, src); }
void x86_imul1(x86_buf *b, unsigned size, int src) { unary(b, 0xF6, 5, size, src); }
void x86_div(x86_buf *b, unsigned size, int src) { unary(b, 0xF6, 6, size, src); }
void x86_idiv(x86_buf *b, unsigned size, int src) { unary(b, 0xF6, 7, size, src); }
void x86_inc(x86_buf *b, unsigned size, int r) { unary(b, 0xFE, 0, size, r); }
void x86_dec(x86_buf *b, unsigned size, int r) { unary(b, 0xFE, 1, size, r); }

void x86_imul_rr(x86_buf *b, unsigned size, int dst, int src)
{
    assert(size != 8);
    rr(b, sz(size), 0x0FAF, dst, src);
}

void x86_imul_rm(x86_buf *b, unsigned size, int dst, x86_mem src)
{
    assert(size != 8);
    rm(b, sz(size), 0x0FAF, dst, src);
}

void x86_imul_rri(x86_buf *b, unsigned size, int dst, int src, int32_t imm)
{
    assert(size != 8);
    int64_t v = imm_value(size, imm);
    if (fits8(v))
        emit(b, sz(size), 0x6B, dst, src, NULL, 1, v);
    else
        emit(b, sz(size), 0x69, dst, src, NULL, immlen(size), v);
}

void x86_cwd(x86_buf *b) { emit_op(b, P66, 0x99); }
void x86_cdq(x86_buf *b) { emit_op(b, 0, 0x99); }
void x86_cqo(x86_buf *b) { emit_op(b, W, 0x99); }
void x86_cdqe(x86_buf *b) { emit_op(b, W, 0x98); }

/* ---- Moves -------------------------------------------------------------- */

void x86_mov_rr(x86_buf *b, unsigned size, int dst, int src)
{
    rr(b, sz(size), wide(0x88, size), src, dst);
}

void x86_mov_ri(x86_buf *b, unsigned size, int dst, int64_t imm)
{
    if (size == 64) {
        assert(fits32(imm));
        emit(b, W, 0xC7, 0, dst, NULL, 4, imm);
    } else {
        emit_opreg(b, sz_ext(size), size == 8 ? 0xB0 : 0xB8, dst, immlen(size), imm);
    }
}

void x86_movabs(x86_buf *b, int dst, uint64_t imm)
{
    emit_opreg(b, W, 0xB8, dst, 8, (int64_t)imm);
}

void x86_load_imm_keep_flags(x86_buf *b, int dst, uint64_t v)
{
    if (v <= UINT32_MAX)
        x86_mov_ri(b, 32, dst, (int64_t)v); /* writing r32 zeroes bits 63:32 */
    else if (fits32((int64_t)v))
        x86_mov_ri(b, 64, dst, (int64_t)v);
    else
        x86_movabs(b, dst, v);
}

void x86_load_imm(x86_buf *b, int dst, uint64_t v)
{
    if (v == 0)
        x86_alu_rr(b, X86_XOR, 32, dst, dst);
    else
        x86_load_imm_keep_flags(b, dst, v);
}

void x86_mov_rm(x86_buf *b, unsigned size, int dst, x86_mem src)
{
    rm(b, sz(size), wide(0x8A, size), dst, src);
}

void x86_mov_mr(x86_buf *b, unsigned size, x86_mem dst, int src)
{
    rm(b, sz(size), wide(0x88, size), src, dst);
}

void x86_mov_mi(x86_buf *b, unsigned size, x86_mem dst, int32_t imm)
{
    emit(b, sz_ext(size), wide(0xC6, size), 0, 0, &dst, immlen(size), imm_value(size, imm));
}

/* The destination's size prefix, and the source's byte-register marking. */
static unsigned ext_flags(unsigned dsize, unsigned ssize)
{
    assert(dsize > ssize && dsize != 8);
    return (sz(dsize) & ~(REG8 | RM8)) | (ssize == 8 ? RM8 : 0);
}

void x86_movzx_rr(x86_buf *b, unsigned dsize, unsigned ssize, int dst, int src)
{
    if (ssize == 32)
        x86_mov_rr(b, 32, dst, src);
    else
        rr(b, ext_flags(dsize, ssize), ssize == 8 ? 0x0FB6 : 0x0FB7, dst, src);
}

void x86_movzx_rm(x86_buf *b, unsigned dsize, unsigned ssize, int dst, x86_mem src)
{
    if (ssize == 32)
        x86_mov_rm(b, 32, dst, src);
    else
        rm(b, ext_flags(dsize, ssize), ssize == 8 ? 0x0FB6 : 0x0FB7, dst, src);
}

void x86_movsx_rr(x86_buf *b, unsigned dsize, unsigned ssize, int dst, int src)
{
    uint32_t opc = ssize == 8 ? 0x0FBE : ssize == 16 ? 0x0FBF : 0x63; /* 63: movsxd */
    rr(b, ext_flags(dsize, ssize), opc, dst, src);
}

void x86_movsx_rm(x86_buf *b, unsigned dsize, unsigned ssize, int dst, x86_mem src)
{
    uint32_t opc = ssize == 8 ? 0x0FBE : ssize == 16 ? 0x0FBF : 0x63;
    rm(b, ext_flags(dsize, ssize), opc, dst, src);
}

void x86_lea(x86_buf *b, unsigned size, int dst, x86_mem src)
{
    assert(size != 8);
    rm(b, sz(size), 0x8D, dst, src);
}

/* ---- Shifts, rotates, bits ---------------------------------------------- */

void x86_shift_ri(x86_buf *b, x86_shift op, unsigned size, int r, uint8_t count)
{
    if (count == 1)
        unary(b, 0xD0, op, size, r);
    else
        emit(b, sz_ext(size), wide(0xC0, size), op, r, NULL, 1, count);
}

void x86_shift_cl(x86_buf *b, x86_shift op, unsigned size, int r)
{
    unary(b, 0xD2, op, size, r);
}

void x86_shld_ri(x86_buf *b, unsigned size, int dst, int src, uint8_t count)
{
    emit(b, sz(size), 0x0FA4, src, dst, NULL, 1, count);
}

void x86_shrd_ri(x86_buf *b, unsigned size, int dst, int src, uint8_t count)
{
    emit(b, sz(size), 0x0FAC, src, dst, NULL, 1, count);
}

void x86_shld_cl(x86_buf *b, unsigned size, int dst, int src)
{
    rr(b, sz(size), 0x0FA5, src, dst);
}

void x86_shrd_cl(x86_buf *b, unsigned size, int dst, int src)
{
    rr(b, sz(size), 0x0FAD, src, dst);
}

void x86_bswap(x86_buf *b, unsigned size, int r)
{
    if (size == 16)
        x86_shift_ri(b, X86_ROL, 16, r, 8);
    else
        emit_opreg(b, sz(size), 0x0FC8, r, 0, 0);
}

void x86_bitcount_rr(x86_buf *b, x86_bitcount op, unsigned size, int dst, int src)
{
    assert(size != 8);
    rr(b, sz(size) | sse_prefix(op), op & 0xFFFF, dst, src);
}

void x86_bitcount_rm(x86_buf *b, x86_bitcount op, unsigned size, int dst, x86_mem src)
{
    assert(size != 8);
    rm(b, sz(size) | sse_prefix(op), op & 0xFFFF, dst, src);
}

void x86_bt_ri(x86_buf *b, x86_bt op, unsigned size, int r, uint8_t bit)
{
    assert(size != 8);
    emit(b, sz_ext(size), 0x0FBA, op, r, NULL, 1, bit);
}

/* The register forms are 0F A3 (bt), AB (bts), B3 (btr), BB (btc). */
void x86_bt_rr(x86_buf *b, x86_bt op, unsigned size, int r, int bit)
{
    assert(size != 8);
    rr(b, sz(size), 0x0FA3 + (op - X86_BT) * 8u, bit, r);
}

void x86_bt_mi(x86_buf *b, x86_bt op, unsigned size, x86_mem m, uint8_t bit)
{
    assert(size != 8);
    emit(b, sz_ext(size), 0x0FBA, op, 0, &m, 1, bit);
}

void x86_setcc(x86_buf *b, x86_cc cc, int r)
{
    rr(b, RM8, 0x0F90 + cc, 0, r);
}

void x86_setcc_zx(x86_buf *b, x86_cc cc, int r)
{
    x86_setcc(b, cc, r);
    x86_movzx_rr(b, 32, 8, r, r);
}

void x86_cmov_rr(x86_buf *b, x86_cc cc, unsigned size, int dst, int src)
{
    assert(size != 8);
    rr(b, sz(size), 0x0F40 + cc, dst, src);
}

void x86_cmov_rm(x86_buf *b, x86_cc cc, unsigned size, int dst, x86_mem src)
{
    assert(size != 8);
    rm(b, sz(size), 0x0F40 + cc, dst, src);
}

/* ---- Control flow ------------------------------------------------------- */

/* opcode then a rel8/rel32 field aiming at target (NULL: 0, to be patched).
 * Returns the field's address. */
static uint8_t *branch(x86_buf *b, uint32_t opc, unsigned rel_bytes, const void *target)
{
    insn i = { .n = 0 };
    opcode(&i, opc);
    unsigned field = i.n;
    int64_t rel = 0;
    if (target) {
        rel = (int64_t)((uintptr_t)target - ((uintptr_t)b->p + field + rel_bytes));
        assert(b->overflow || (rel_bytes == 1 ? fits8(rel) : fits32(rel)));
    }
    put_le(&i, (uint64_t)rel, rel_bytes);
    uint8_t *at = commit(b, &i);
    return at ? at + field : NULL;
}

void x86_jmp(x86_buf *b, const void *target) { branch(b, 0xE9, 4, target); }
void x86_jmp8(x86_buf *b, const void *target) { branch(b, 0xEB, 1, target); }
void x86_jcc(x86_buf *b, x86_cc cc, const void *target) { branch(b, 0x0F80 + cc, 4, target); }
void x86_jcc8(x86_buf *b, x86_cc cc, const void *target) { branch(b, 0x70 + cc, 1, target); }
void x86_call(x86_buf *b, const void *target) { branch(b, 0xE8, 4, target); }
uint8_t *x86_jmp_fwd(x86_buf *b) { return branch(b, 0xE9, 4, NULL); }
uint8_t *x86_jmp8_fwd(x86_buf *b) { return branch(b, 0xEB, 1, NULL); }
uint8_t *x86_jcc_fwd(x86_buf *b, x86_cc cc) { return branch(b, 0x0F80 + cc, 4, NULL); }
uint8_t *x86_jcc8_fwd(x86_buf *b, x86_cc cc) { return branch(b, 0x70 + cc, 1, NULL); }
uint8_t *x86_call_fwd(x86_buf *b) { return branch(b, 0xE8, 4, NULL); }

/* The displacement counts from the end of the field, which ends the
 * instruction in every form here. */
bool x86_patch_rel32(uint8_t *field, const void *target)
{
    if (!field) return true;
    int64_t rel = (int64_t)((uintptr_t)target - ((uintptr_t)field + 4));
    if (!fits32(rel)) return false;
    uint32_t v = (uint32_t)rel;
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    memcpy(field, le, 4);
    return true;
}

bool x86_patch_rel8(uint8_t *field, const void *target)
{
    if (!field) return true;
    int64_t rel = (int64_t)((uintptr_t)target - ((uintptr_t)field + 1));
    if (!fits8(rel)) return false;
    *field = (uint8_t)rel;
    return true;
}

bool x86_rel32_reaches(const x86_buf *b, const void *target)
{
    uintptr_t t = (uintptr_t)target, p = (uintptr_t)b->p;
    return fits32((int64_t)(t - p)) && fits32((int64_t)(t - (p + 6)));
}

void x86_call_abs(x86_buf *b, const void *target, int scratch)
{
    if (x86_rel32_reaches(b, target)) {
        x86_call(b, target);
    } else {
        x86_movabs(b, scratch, (uint64_t)(uintptr_t)target);
        x86_call_r(b, scratch);
    }
}

/* Near indirect branches default to 64-bit operands: no REX.W. */
void x86_call_r(x86_buf *b, int r) { rr(b, 0, 0xFF, 2, r); }
void x86_call_m(x86_buf *b, x86_mem m) { rm(b, 0, 0xFF, 2, m); }
void x86_jmp_r(x86_buf *b, int r) { rr(b, 0, 0xFF, 4, r); }
void x86_jmp_m(x86_buf *b, x86_mem m) { rm(b, 0, 0xFF, 4, m); }
void x86_ret(x86_buf *b) { emit_op(b, 0, 0xC3); }
void x86_stc(x86_buf *b) { emit_op(b, 0, 0xF9); }
void x86_cmc(x86_buf *b) { emit_op(b, 0, 0xF5); }
void x86_push(x86_buf *b, int r) { emit_opreg(b, 0, 0x50, r, 0, 0); }
void x86_pop(x86_buf *b, int r) { emit_opreg(b, 0, 0x58, r, 0, 0); }
void x86_int3(x86_buf *b) { emit_op(b, 0, 0xCC); }
void x86_ud2(x86_buf *b) { emit_op(b, 0, 0x0F0B); }

/* The SDM's recommended multi-byte NOPs (0F 1F /0) up to 9 bytes; 10 and 11
 * add 2E and 66 prefixes, as GNU as does. */
static const uint8_t nops[12][11] = {
    [1] = { 0x90 },
    [2] = { 0x66, 0x90 },
    [3] = { 0x0F, 0x1F, 0x00 },
    [4] = { 0x0F, 0x1F, 0x40, 0x00 },
    [5] = { 0x0F, 0x1F, 0x44, 0x00, 0x00 },
    [6] = { 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00 },
    [7] = { 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00 },
    [8] = { 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    [9] = { 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    [10] = { 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    [11] = { 0x66, 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

void x86_nop(x86_buf *b, unsigned n)
{
    /* Past seven 11-byte NOPs, GNU as jumps over the padding instead of
     * running through it; so do we. */
    if (n / 11 > 7) {
        bool near = n - 2 <= INT8_MAX;
        unsigned len = near ? 2 : 5;
        branch(b, near ? 0xEB : 0xE9, len - 1, b->p + n);
        n -= len;
    }
    while (n > 0) {
        unsigned k = n > 11 ? 11 : n;
        insn i = { .n = k };
        memcpy(i.b, nops[k], k);
        if (!commit(b, &i)) return;
        n -= k;
    }
}

/* ---- Atomics and fences ------------------------------------------------- */

void x86_xchg_mr(x86_buf *b, unsigned size, x86_mem m, int r)
{
    rm(b, sz(size), wide(0x86, size), r, m);
}

void x86_lock_cmpxchg(x86_buf *b, unsigned size, x86_mem m, int r)
{
    rm(b, sz(size) | LOCK, wide(0x0FB0, size), r, m);
}

void x86_lock_xadd(x86_buf *b, unsigned size, x86_mem m, int r)
{
    rm(b, sz(size) | LOCK, wide(0x0FC0, size), r, m);
}

void x86_mfence(x86_buf *b) { emit_op(b, 0, 0x0FAEF0); }
void x86_lfence(x86_buf *b) { emit_op(b, 0, 0x0FAEE8); }
void x86_sfence(x86_buf *b) { emit_op(b, 0, 0x0FAEF8); }

/* ---- SSE2 scalar floating point ----------------------------------------- */

void x86_sse_rr(x86_buf *b, x86_sse_op op, int dst, int src)
{
    rr(b, sse_prefix(op), op & 0xFFFF, dst, src);
}

void x86_sse_rm(x86_buf *b, x86_sse_op op, int dst, x86_mem src)
{
    rm(b, sse_prefix(op), op & 0xFFFF, dst, src);
}

void x86_movss_mr(x86_buf *b, x86_mem dst, int src) { rm(b, PF3, 0x0F11, src, dst); }
void x86_movsd_mr(x86_buf *b, x86_mem dst, int src) { rm(b, PF2, 0x0F11, src, dst); }

/* 66 0F 6E loads the XMM register, 66 0F 7E stores it; REX.W makes it movq. */
void x86_movd_xr(x86_buf *b, unsigned size, int xmm, int gpr)
{
    rr(b, P66 | (size == 64 ? W : 0), 0x0F6E, xmm, gpr);
}

void x86_movd_rx(x86_buf *b, unsigned size, int gpr, int xmm)
{
    rr(b, P66 | (size == 64 ? W : 0), 0x0F7E, xmm, gpr);
}

void x86_cvt_rr(x86_buf *b, x86_cvt op, unsigned size, int dst, int src)
{
    assert(size == 32 || size == 64);
    rr(b, sse_prefix(op) | (size == 64 ? W : 0), op & 0xFFFF, dst, src);
}

void x86_cvt_rm(x86_buf *b, x86_cvt op, unsigned size, int dst, x86_mem src)
{
    assert(size == 32 || size == 64);
    rm(b, sse_prefix(op) | (size == 64 ? W : 0), op & 0xFFFF, dst, src);
}
