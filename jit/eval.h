/* Exact semantics of the pure IR operations on 64-bit carriers, shared by the
 * constant folder and the interpreter so the two can never disagree. Values
 * of type i32 are kept zero-extended in their 64-bit carrier. */
#ifndef LOOM_JIT_EVAL_H
#define LOOM_JIT_EVAL_H

#include <string.h>

#include "ir.h"

static inline uint64_t ir_mask(ir_type t) { return t == IR_I64 || t == IR_F64 ? ~0ull : 0xffffffffull; }

static inline int64_t ir_sx(ir_type t, uint64_t v) { return t == IR_I64 ? (int64_t)v : (int64_t)(int32_t)v; }

static inline float ir_f32(uint64_t v)
{
    float f;
    uint32_t u = (uint32_t)v;
    memcpy(&f, &u, 4);
    return f;
}
static inline double ir_f64(uint64_t v)
{
    double d;
    memcpy(&d, &v, 8);
    return d;
}
static inline uint64_t ir_bits32(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline uint64_t ir_bits64(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static inline bool ir_cond_eval(ir_cond c, ir_type t, uint64_t a, uint64_t b)
{
    if (t == IR_F32 || t == IR_F64) {
        double x = t == IR_F32 ? ir_f32(a) : ir_f64(a), y = t == IR_F32 ? ir_f32(b) : ir_f64(b);
        switch (c) {
        case IR_FEQ: return x == y;
        case IR_FLT: return x < y;
        case IR_FLE: return x <= y;
        case IR_FUNORD: return x != x || y != y;
        case IR_EQ: return a == b;
        case IR_NE: return a != b;
        default: return false;
        }
    }
    int64_t sa = ir_sx(t, a), sb = ir_sx(t, b);
    switch (c) {
    case IR_EQ: return a == b;
    case IR_NE: return a != b;
    case IR_LTU: return a < b;
    case IR_LEU: return a <= b;
    case IR_GTU: return a > b;
    case IR_GEU: return a >= b;
    case IR_LTS: return sa < sb;
    case IR_LES: return sa <= sb;
    case IR_GTS: return sa > sb;
    case IR_GES: return sa >= sb;
    default: return false;
    }
}

/* Evaluate a pure operation; returns false for operations that are not pure
 * arithmetic (memory, state, control, calls). */
static inline bool ir_eval(const ir_insn *i, ir_type ta, uint64_t a, uint64_t b, uint64_t c, uint64_t *out)
{
    ir_type t = (ir_type)i->type;
    unsigned w = ir_type_bits(t);
    uint64_t m = ir_mask(t);
    uint64_t r;
    switch (i->op) {
    case IR_CONST: r = i->imm; break;
    case IR_ADD: r = a + b; break;
    case IR_SUB: r = a - b; break;
    case IR_MUL: r = a * b; break;
    case IR_MULHU:
        r = w == 64 ? (uint64_t)(((unsigned __int128)a * b) >> 64) : (a * b) >> 32;
        break;
    case IR_MULHS:
        r = w == 64 ? (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64)
                    : (uint64_t)(((int64_t)(int32_t)a * (int32_t)b) >> 32);
        break;
    case IR_DIVU: r = b ? a / b : 0; break;
    case IR_REMU: r = b ? a % b : a; break;
    case IR_DIVS: {
        int64_t x = ir_sx(t, a), y = ir_sx(t, b);
        int64_t min = w == 64 ? INT64_MIN : INT32_MIN;
        r = y == 0 ? 0 : (y == -1 && x == min) ? (uint64_t)x : (uint64_t)(x / y);
        break;
    }
    case IR_REMS: {
        int64_t x = ir_sx(t, a), y = ir_sx(t, b);
        int64_t min = w == 64 ? INT64_MIN : INT32_MIN;
        r = y == 0 ? (uint64_t)x : (y == -1 && x == min) ? 0 : (uint64_t)(x % y);
        break;
    }
    case IR_AND: r = a & b; break;
    case IR_OR: r = a | b; break;
    case IR_XOR: r = a ^ b; break;
    case IR_NOT: r = ~a; break;
    case IR_NEG: r = 0 - a; break;
    case IR_SHL: r = a << (b & (w - 1)); break;
    case IR_SHR: r = (a & m) >> (b & (w - 1)); break;
    case IR_SAR: r = (uint64_t)(ir_sx(t, a) >> (b & (w - 1))); break;
    case IR_ROR: {
        unsigned s = (unsigned)(b & (w - 1));
        r = s ? ((a & m) >> s) | (a << (w - s)) : a;
        break;
    }
    case IR_ADC: r = a + b + (c & 1); break;
    case IR_CARRY: {
        uint64_t ma = ir_mask(ta);
        a &= ma, b &= ma, c &= 1;
        if (ta == IR_I64) {
            unsigned __int128 s = (unsigned __int128)a + b + c;
            r = (uint64_t)(s >> 64);
        } else {
            r = (a + b + c) >> 32;
        }
        *out = r & 1;
        return true;
    }
    case IR_OVF: {
        uint64_t ma = ir_mask(ta);
        unsigned bits = ir_type_bits(ta);
        uint64_t s = (a + b + (c & 1)) & ma;
        r = ((((a ^ s) & (b ^ s)) >> (bits - 1)) & 1);
        *out = r;
        return true;
    }
    case IR_OVFSUB: {
        uint64_t ma = ir_mask(ta);
        unsigned bits = ir_type_bits(ta);
        uint64_t d = (a - b) & ma;
        *out = (((a ^ b) & (a ^ d)) >> (bits - 1)) & 1;
        return true;
    }
    case IR_SETCC: *out = ir_cond_eval((ir_cond)i->aux, ta, a, b); return true;
    case IR_SELECT: r = a ? b : c; break;
    case IR_ZEXT: r = i->aux == 32 ? (uint32_t)a : i->aux == 16 ? (uint16_t)a : (uint8_t)a; break;
    case IR_SEXT:
        r = i->aux == 32 ? (uint64_t)(int64_t)(int32_t)a : i->aux == 16 ? (uint64_t)(int64_t)(int16_t)a
                                                                         : (uint64_t)(int64_t)(int8_t)a;
        break;
    case IR_TRUNC: r = (uint32_t)a; break;
    case IR_BSWAP:
        r = i->aux == 64 ? __builtin_bswap64(a) : i->aux == 32 ? __builtin_bswap32((uint32_t)a)
                                                                : __builtin_bswap16((uint16_t)a);
        break;
    case IR_CLZ:
        a &= m;
        r = a ? (uint64_t)(w == 64 ? __builtin_clzll(a) : __builtin_clz((uint32_t)a)) : w;
        break;
    case IR_CTZ:
        a &= m;
        r = a ? (uint64_t)__builtin_ctzll(a) : w;
        break;
    case IR_POPCNT: r = (uint64_t)__builtin_popcountll(a & m); break;
    case IR_EXTRACT: {
        unsigned len = i->aux, pos = (unsigned)i->imm;
        uint64_t fm = len >= 64 ? ~0ull : (1ull << len) - 1;
        r = ((a & m) >> pos) & fm;
        break;
    }
    case IR_SEXTRACT: {
        unsigned len = i->aux, pos = (unsigned)i->imm;
        r = (uint64_t)((int64_t)((a & m) << (64 - pos - len)) >> (64 - len));
        break;
    }
    case IR_DEPOSIT: {
        unsigned len = i->aux, pos = (unsigned)i->imm;
        uint64_t fm = (len >= 64 ? ~0ull : (1ull << len) - 1) << pos;
        r = (a & ~fm) | ((b << pos) & fm);
        break;
    }
    case IR_FADD: case IR_FSUB: case IR_FMUL: case IR_FDIV:
        if (t == IR_F32) {
            float x = ir_f32(a), y = ir_f32(b);
            float z = i->op == IR_FADD ? x + y : i->op == IR_FSUB ? x - y : i->op == IR_FMUL ? x * y : x / y;
            r = ir_bits32(z);
        } else {
            double x = ir_f64(a), y = ir_f64(b);
            double z = i->op == IR_FADD ? x + y : i->op == IR_FSUB ? x - y : i->op == IR_FMUL ? x * y : x / y;
            r = ir_bits64(z);
        }
        break;
    case IR_FSQRT: r = t == IR_F32 ? ir_bits32(__builtin_sqrtf(ir_f32(a))) : ir_bits64(__builtin_sqrt(ir_f64(a))); break;
    case IR_FNEG: r = a ^ (t == IR_F32 ? 0x80000000ull : 0x8000000000000000ull); break;
    case IR_FABS: r = a & (t == IR_F32 ? 0x7fffffffull : 0x7fffffffffffffffull); break;
    case IR_FCVT:
        r = t == IR_F32 ? ir_bits32((float)ir_f64(a)) : ir_bits64((double)ir_f32(a));
        break;
    case IR_ITOF:
        if (t == IR_F32) r = ir_bits32(ta == IR_I64 ? (float)(int64_t)a : (float)(int32_t)a);
        else r = ir_bits64(ta == IR_I64 ? (double)(int64_t)a : (double)(int32_t)a);
        break;
    case IR_FTOI: {
        /* Out of range and NaN give the x86 "integer indefinite" value,
         * as the host would; guests needing their own rule use a helper. */
        double x = ta == IR_F32 ? ir_f32(a) : ir_f64(a);
        if (t == IR_I64) r = (x != x || x >= 9223372036854775808.0 || x < -9223372036854775808.0) ? 0x8000000000000000ull : (uint64_t)(int64_t)x;
        else r = (x != x || x >= 2147483648.0 || x < -2147483648.0) ? 0x80000000ull : (uint32_t)(int32_t)x;
        break;
    }
    case IR_FCMP: {
        double x = ta == IR_F32 ? ir_f32(a) : ir_f64(a), y = ta == IR_F32 ? ir_f32(b) : ir_f64(b);
        r = x == y ? 0 : x < y ? 1 : x > y ? 2 : 3;
        break;
    }
    case IR_BITCAST: r = a; break;
    default: return false;
    }
    *out = r & m;
    return true;
}

/* A checked floating-point operation (ir_fp_checked) on the host: the
 * result in *out; true when it is in the class the check names, where the
 * helper decides instead. */
static inline bool ir_fp_checked_eval(const ir_insn *i, ir_type ta, uint64_t a, uint64_t b, uint64_t *out)
{
    unsigned k = i->flags & IR_FPCHK_MASK;
    if (i->op == IR_FTOI && k == IR_FPCHK_UINT) {
        double x = ta == IR_F32 ? ir_f32(a) : ir_f64(a);
        bool in = x > -1.0 && x < 4294967296.0;
        *out = in ? (uint32_t)(int64_t)x : 0;
        return !in;
    }
    if (!ir_eval(i, ta, a, b, 0, out)) return true;
    if (!ir_fp_special(k, i->op == IR_FTOI ? IR_I32 : (ir_type)i->type, *out)) return false;
    if (k == IR_FPCHK_TINY && (i->op == IR_FMUL || i->op == IR_FDIV)) {
        uint64_t mag = ta == IR_F32 ? 0x7fffffffu : ~0ull >> 1;
        if (!(*out & mag) && (!(a & mag) || (i->op == IR_FMUL && !(b & mag)))) return false;
    }
    return true;
}

#endif
