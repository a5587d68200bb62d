/* VFP arithmetic for the ARM guest, exact to the ARM ARM (DDI 0406C, A2.7
 * and the FP pseudo-code of appendix D: FPUnpack, FPProcessNaNs, FPRound,
 * FPMulAdd, FPCompare, FPToFixed, FixedToFP, FPHalfToSingle...).
 *
 * The numerical result comes from the host FPU under the guest's rounding
 * mode, where IEEE 754 makes it identical; everything the host does
 * differently is done in C around it:
 * - NaN operands never reach the host (x86 picks NaNs and makes default
 *   NaNs its own way): FPProcessNaNs order, quieting, default NaN;
 * - flush-to-zero of inputs (IDC) and outputs (UFC, no IXC), the host's own
 *   FTZ/DAZ left off;
 * - underflow: ARM detects tininess before rounding, x86 after, so the
 *   host's flag is ignored and tininess decided by the result rounded
 *   towards zero (below the smallest normal exactly when the exact value
 *   is);
 * - conversions to integers (saturation, NaN gives 0, IOC without IXC)
 *   and to half precision are done in integer arithmetic.
 * The host's rounding mode and exception flags are saved and restored
 * around every call, so no host FP state leaks. */
#include <fenv.h>
#include <xmmintrin.h>
#include <math.h>
#include <string.h>

#include "vfp.h"

/* A format: single, double or half. */
typedef struct fmt {
    unsigned ebits, fbits;
} fmt;
static const fmt F32 = {8, 23}, F64 = {11, 52};

static uint64_t sign_bit(fmt f) { return 1ull << (f.ebits + f.fbits); }
static uint64_t frac_mask(fmt f) { return (1ull << f.fbits) - 1; }
static uint64_t exp_of(fmt f, uint64_t v) { return v >> f.fbits & ((1ull << f.ebits) - 1); }
static uint64_t exp_max(fmt f) { return (1ull << f.ebits) - 1; }
static uint64_t quiet_bit(fmt f) { return 1ull << (f.fbits - 1); }
static uint64_t default_nan(fmt f) { return exp_max(f) << f.fbits | quiet_bit(f); }
static uint64_t min_normal(fmt f) { return 1ull << f.fbits; }
static bool is_nan(fmt f, uint64_t v) { return exp_of(f, v) == exp_max(f) && (v & frac_mask(f)); }
static bool is_snan(fmt f, uint64_t v) { return is_nan(f, v) && !(v & quiet_bit(f)); }
static bool is_inf(fmt f, uint64_t v) { return exp_of(f, v) == exp_max(f) && !(v & frac_mask(f)); }
static bool is_zero(fmt f, uint64_t v) { return !(v & ~sign_bit(f)); }

typedef struct fpctx {
    uint32_t fpscr; /* the control bits at the start of the instruction */
    uint32_t exc;   /* cumulative flags raised */
    int fe_mode;    /* the host rounding mode of FPSCR.RMode */
} fpctx;

static const int fe_modes[4] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

/* ---- The host FPU ------------------------------------------------------------------- */

enum { H_ADD, H_SUB, H_MUL, H_DIV, H_SQRT, H_FMA, H_CVT, H_FROM_I64 };

static float f32_of(uint64_t v) { uint32_t u = (uint32_t)v; float x; memcpy(&x, &u, 4); return x; }
static double f64_of(uint64_t v) { double x; memcpy(&x, &v, 8); return x; }
static uint64_t bits32(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static uint64_t bits64(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }

/* One operation in the result format f (H_CVT: double a to single;
 * H_FROM_I64: the integer a), rounded in host mode `mode`. Operands and
 * result go through volatile variables so that the compiler neither folds
 * nor moves the arithmetic across the mode changes. Returns the host flags. */
/* The host arithmetic here is SSE, so its rounding mode and flags are
 * MXCSR's: set and read it directly. glibc's fenv functions also save and
 * load the x87 environment, which made every guest FP operation cost a
 * microsecond. MXCSR's flag bits have the FE_* values; its rounding field
 * is the x87 one (FE_*) moved from bit 10 to bit 13. */
#define MXCSR_FLAGS 0x3fu
#define MXCSR_RC 0x6000u

static int host_op(int op, fmt f, uint64_t a, uint64_t b, uint64_t c, int mode, uint64_t *res)
{
    _mm_setcsr((_mm_getcsr() & ~(MXCSR_RC | MXCSR_FLAGS)) | ((unsigned)mode >> 10) << 13);
    if (f.ebits == 8) {
        volatile float x = f32_of(a), y = f32_of(b), z = f32_of(c), r;
        volatile double xd = f64_of(a);
        volatile int64_t xi = (int64_t)a;
        switch (op) {
        case H_ADD: r = x + y; break;
        case H_SUB: r = x - y; break;
        case H_MUL: r = x * y; break;
        case H_DIV: r = x / y; break;
        case H_SQRT: r = sqrtf(x); break;
        case H_FMA: r = fmaf(x, y, z); break;
        case H_CVT: r = (float)xd; break;
        default: r = (float)xi; break;
        }
        *res = bits32(r);
    } else {
        volatile double x = f64_of(a), y = f64_of(b), z = f64_of(c), r;
        volatile int64_t xi = (int64_t)a;
        switch (op) {
        case H_ADD: r = x + y; break;
        case H_SUB: r = x - y; break;
        case H_MUL: r = x * y; break;
        case H_DIV: r = x / y; break;
        case H_SQRT: r = sqrt(x); break;
        case H_FMA: r = fma(x, y, z); break;
        default: r = (double)xi; break;
        }
        *res = bits64(r);
    }
    return (int)(_mm_getcsr() & FE_ALL_EXCEPT);
}

/* FPRound's part around the host: the operation rounded per FPSCR, its
 * exceptions, a NaN made by the host (an invalid operation) replaced by the
 * default NaN, tininess before rounding, flush-to-zero of tiny results. */
static uint64_t fp_round_op(fpctx *x, int op, fmt f, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t r;
    int ex = host_op(op, f, a, b, c, x->fe_mode, &r);
    if (ex & FE_INVALID) x->exc |= FPSCR_IOC;
    if (ex & FE_DIVBYZERO) x->exc |= FPSCR_DZC;
    if (ex & FE_OVERFLOW) x->exc |= FPSCR_OFC;
    bool inexact = ex & FE_INEXACT;
    if (is_nan(f, r)) return default_nan(f);
    uint64_t mag = r & ~sign_bit(f);
    if (mag <= min_normal(f) && (mag != 0 || inexact)) {
        /* A non-zero exact value: tiny when below the smallest normal,
         * which the result rounded towards zero tells. */
        uint64_t rz;
        host_op(op, f, a, b, c, FE_TOWARDZERO, &rz);
        if ((rz & ~sign_bit(f)) < min_normal(f)) {
            if (x->fpscr & FPSCR_FZ) {
                x->exc |= FPSCR_UFC;
                return r & sign_bit(f);
            }
            if (inexact) x->exc |= FPSCR_UFC;
        }
    }
    if (inexact) x->exc |= FPSCR_IXC;
    return r;
}

/* ---- Unpacking and NaNs ------------------------------------------------------------ */

/* FPUnpack's flush-to-zero of denormal inputs. */
static uint64_t flush_in(fpctx *x, fmt f, uint64_t v)
{
    if ((x->fpscr & FPSCR_FZ) && exp_of(f, v) == 0 && (v & frac_mask(f))) {
        x->exc |= FPSCR_IDC;
        return v & sign_bit(f);
    }
    return v;
}

/* FPProcessNaN: quiet a signalling NaN (IOC), or the default NaN with DN. */
static uint64_t process_nan(fpctx *x, fmt f, uint64_t v)
{
    if (is_snan(f, v)) {
        x->exc |= FPSCR_IOC;
        v |= quiet_bit(f);
    }
    return (x->fpscr & FPSCR_DN) ? default_nan(f) : v;
}

/* FPProcessNaNs / FPProcessNaNs3: signalling NaNs first, in operand order,
 * then quiet ones. */
static bool process_nans(fpctx *x, fmt f, const uint64_t *ops, unsigned n, uint64_t *r)
{
    for (unsigned i = 0; i < n; i++)
        if (is_snan(f, ops[i])) {
            *r = process_nan(x, f, ops[i]);
            return true;
        }
    for (unsigned i = 0; i < n; i++)
        if (is_nan(f, ops[i])) {
            *r = process_nan(x, f, ops[i]);
            return true;
        }
    return false;
}

/* ---- The operations --------------------------------------------------------------- */

/* A normal number or a zero: nothing in FPUnpack, NaN processing or
 * flush-to-zero applies to it. */
static bool plain(fmt f, uint64_t v)
{
    uint64_t e = exp_of(f, v);
    return (e && e != exp_max(f)) || is_zero(f, v);
}

/* The common case on its own: plain operands and a result the host gives
 * exactly as the ARM ARM does (normal and above the smallest normal, so no
 * tininess question; or an exact zero), with at most an inexact flag.
 * False: take the full path. */
static bool fast_binop(fpctx *x, int op, fmt f, uint64_t a, uint64_t b, uint64_t *res)
{
    if (!plain(f, a) || !plain(f, b)) return false;
    uint64_t r;
    int ex = host_op(op, f, a, b, 0, x->fe_mode, &r);
    if (ex & ~FE_INEXACT) return false;
    uint64_t mag = r & ~sign_bit(f);
    if (exp_of(f, r) == exp_max(f) || (mag <= min_normal(f) && (mag || (ex & FE_INEXACT)))) return false;
    if (ex & FE_INEXACT) x->exc |= FPSCR_IXC;
    *res = r;
    return true;
}

/* FPAdd, FPSub, FPMul, FPDiv: after the NaNs, IEEE 754 as the host does it
 * (infinities, zeros and their signs, invalid operations, division by
 * zero are the same). */
static uint64_t fp_binop(fpctx *x, int op, fmt f, uint64_t a, uint64_t b)
{
    uint64_t r;
    if (fast_binop(x, op, f, a, b, &r)) return r;
    uint64_t ops[2] = {flush_in(x, f, a), flush_in(x, f, b)};
    if (process_nans(x, f, ops, 2, &r)) return r;
    return fp_round_op(x, op, f, ops[0], ops[1], 0);
}

static uint64_t fp_sqrt(fpctx *x, fmt f, uint64_t a)
{
    uint64_t ops[1] = {flush_in(x, f, a)}, r;
    if (process_nans(x, f, ops, 1, &r)) return r;
    return fp_round_op(x, H_SQRT, f, ops[0], 0, 0);
}

/* FPMulAdd: addend + op1 * op2 with one rounding. NaNs in the order
 * addend, op1, op2; a quiet NaN addend with infinity times zero gives the
 * default NaN and IOC. */
static uint64_t fp_muladd(fpctx *x, fmt f, uint64_t addend, uint64_t op1, uint64_t op2)
{
    uint64_t ops[3] = {flush_in(x, f, addend), flush_in(x, f, op1), flush_in(x, f, op2)}, r;
    bool infzero = (is_inf(f, ops[1]) && is_zero(f, ops[2])) || (is_zero(f, ops[1]) && is_inf(f, ops[2]));
    if (is_nan(f, ops[0]) && !is_snan(f, ops[0]) && infzero) {
        x->exc |= FPSCR_IOC;
        return default_nan(f);
    }
    if (process_nans(x, f, ops, 3, &r)) return r;
    return fp_round_op(x, H_FMA, f, ops[1], ops[2], ops[0]);
}

/* FPCompare: NZCV. */
static uint32_t fp_compare(fpctx *x, fmt f, uint64_t a, uint64_t b, bool quiet_nan_exc)
{
    a = flush_in(x, f, a);
    b = flush_in(x, f, b);
    if (is_nan(f, a) || is_nan(f, b)) {
        if (quiet_nan_exc || is_snan(f, a) || is_snan(f, b)) x->exc |= FPSCR_IOC;
        return 0x3;
    }
    double da = f.ebits == 8 ? (double)f32_of(a) : f64_of(a), db = f.ebits == 8 ? (double)f32_of(b) : f64_of(b);
    if (da == db) return 0x6;
    return da < db ? 0x8 : 0x2;
}

/* FPSingleToDouble and FPDoubleToSingle. */
static uint64_t fp_cvt_prec(fpctx *x, bool from_double, uint64_t a)
{
    fmt from = from_double ? F64 : F32, to = from_double ? F32 : F64;
    a = flush_in(x, from, a);
    if (is_nan(from, a)) {
        if (is_snan(from, a)) x->exc |= FPSCR_IOC;
        if (x->fpscr & FPSCR_DN) return default_nan(to);
        bool neg = a & sign_bit(from);
        uint64_t frac = a & frac_mask(from);
        frac = from_double ? frac >> (52 - 23) : frac << (52 - 23);
        return (neg ? sign_bit(to) : 0) | exp_max(to) << to.fbits | quiet_bit(to) | frac;
    }
    if (!from_double) return bits64((double)f32_of(a)); /* exact */
    return fp_round_op(x, H_CVT, F32, a, 0, 0);
}

/* FPToFixed: round (per mode), saturate; NaN gives 0. The value is a
 * double (singles widen exactly) and scaling by 2^fbits is exact. */
static uint32_t fp_to_fixed(fpctx *x, fmt f, uint64_t a, unsigned fbits, unsigned size, bool is_unsigned,
                            bool round_zero)
{
    a = flush_in(x, f, a);
    if (is_nan(f, a)) {
        x->exc |= FPSCR_IOC;
        return 0;
    }
    double v = f.ebits == 8 ? (double)f32_of(a) : f64_of(a);
    double lo = is_unsigned ? 0.0 : -ldexp(1.0, (int)size - 1);
    double hi = is_unsigned ? ldexp(1.0, (int)size) - 1 : ldexp(1.0, (int)size - 1) - 1;
    int64_t ir;
    if (isinf(v) || fabs(v) >= 0x1p60) {
        x->exc |= FPSCR_IOC;
        ir = (int64_t)(v < 0 ? lo : hi);
    } else {
        v = ldexp(v, (int)fbits);
        double fl = floor(v), err = v - fl; /* exact */
        unsigned mode = round_zero ? 3 : x->fpscr >> FPSCR_RMODE_SHIFT & 3;
        bool up;
        switch (mode) {
        case 0: up = err > 0.5 || (err == 0.5 && fmod(fl, 2.0) != 0.0); break;
        case 1: up = err != 0.0; break;
        case 2: up = false; break;
        default: up = err != 0.0 && v < 0; break;
        }
        double r = fl + (up ? 1.0 : 0.0);
        if (r > hi) {
            x->exc |= FPSCR_IOC;
            r = hi;
        } else if (r < lo) {
            x->exc |= FPSCR_IOC;
            r = lo;
        } else if (err != 0.0) {
            x->exc |= FPSCR_IXC;
        }
        ir = (int64_t)r;
    }
    uint32_t res = (uint32_t)ir;
    if (size == 16) res = is_unsigned ? res & 0xffff : (uint32_t)(int32_t)(int16_t)res;
    return res;
}

/* FixedToFP: the integer rounded by the host (one rounding), then scaled
 * by 2^-fbits, which is exact for these magnitudes. */
static uint64_t fixed_to_fp(fpctx *x, fmt f, uint32_t v, unsigned fbits, unsigned size, bool is_unsigned)
{
    int64_t i;
    if (size == 16) i = is_unsigned ? (int64_t)(v & 0xffff) : (int64_t)(int16_t)v;
    else i = is_unsigned ? (int64_t)v : (int64_t)(int32_t)v;
    uint64_t r = fp_round_op(x, H_FROM_I64, f, (uint64_t)i, 0, 0);
    if (fbits) {
        if (f.ebits == 8) r = bits32(ldexpf(f32_of(r), -(int)fbits));
        else r = bits64(ldexp(f64_of(r), -(int)fbits));
    }
    return r;
}

/* ---- Half precision (VCVTB, VCVTT) -------------------------------------------------- */

/* FPHalfToSingle: exact except for NaNs; AHP makes exponent 31 normal. */
static uint32_t fp_half_to_single(fpctx *x, uint32_t h)
{
    bool ahp = x->fpscr & FPSCR_AHP;
    uint32_t sign = (h & 0x8000) << 16, e = h >> 10 & 31, frac = h & 0x3ff;
    if (e == 31 && !ahp) {
        if (!frac) return sign | 0x7f800000u;
        if (!(frac & 0x200)) x->exc |= FPSCR_IOC;
        if (x->fpscr & FPSCR_DN) return (uint32_t)default_nan(F32);
        return sign | 0x7fc00000u | (frac & 0x1ff) << 13;
    }
    if (e == 0) {
        if (!frac) return sign;
        /* A denormal half is a normal single. */
        int sh = 0;
        while (!(frac & 0x400)) {
            frac <<= 1;
            sh++;
        }
        return sign | (uint32_t)(127 - 15 + 1 - sh) << 23 | (frac & 0x3ff) << 13;
    }
    return sign | (e - 15 + 127) << 23 | frac << 13;
}

/* FPSingleToHalf: FPRound to 5 exponent and 10 fraction bits in integer
 * arithmetic (tininess before rounding, no flush-to-zero of half results),
 * or the alternative format (AHP: no infinities or NaNs, saturation with
 * IOC). */
static uint32_t fp_single_to_half(fpctx *x, uint32_t a)
{
    bool ahp = x->fpscr & FPSCR_AHP;
    a = (uint32_t)flush_in(x, F32, a);
    uint32_t sign = a >> 16 & 0x8000;
    if (is_nan(F32, a)) {
        if (ahp) {
            x->exc |= FPSCR_IOC;
            return sign;
        }
        if (is_snan(F32, a)) x->exc |= FPSCR_IOC;
        if (x->fpscr & FPSCR_DN) return 0x7e00;
        return sign | 0x7e00 | (a >> 13 & 0x1ff);
    }
    if (is_inf(F32, a)) {
        if (ahp) {
            x->exc |= FPSCR_IOC;
            return sign | 0x7fff;
        }
        return sign | 0x7c00;
    }
    if (is_zero(F32, a)) return sign;
    /* value = mant * 2^(exp - 23 - 127) with mant < 2^24. */
    int exp = (int)exp_of(F32, a);
    uint64_t mant = a & 0x7fffff;
    if (exp) mant |= 0x800000;
    else exp = 1;
    /* Normalise so bit 23 is set: value = mant * 2^(e2 - 23), e2 unbiased. */
    int e2 = exp - 127;
    while (!(mant & 0x800000)) {
        mant <<= 1;
        e2--;
    }
    /* The half's exponent and how many bits of mant to drop. */
    int biased = e2 + 15;
    int shift = 23 - 10; /* keep 11 bits */
    bool tiny = biased < 1;
    if (tiny) {
        shift += 1 - biased;
        biased = 0;
    }
    uint64_t keep, rest, half_ulp;
    if (shift >= 25) { /* everything goes, and mant < 2^24 is below half an ulp */
        keep = 0;
        rest = 1;
        half_ulp = 2;
    } else {
        keep = mant >> shift;
        rest = mant & (((uint64_t)1 << shift) - 1);
        half_ulp = (uint64_t)1 << (shift - 1);
    }
    bool inexact = rest != 0, up;
    switch (x->fpscr >> FPSCR_RMODE_SHIFT & 3) {
    case 0: up = rest > half_ulp || (rest == half_ulp && (keep & 1)); break;
    case 1: up = inexact && !sign; break;
    case 2: up = inexact && sign; break;
    default: up = false; break;
    }
    keep += up;
    /* keep: the significand with its implicit bit (bit 10) when normal. */
    if (tiny) {
        if (inexact) x->exc |= FPSCR_UFC;
        /* Rounding up into bit 10 makes the smallest normal: the encoding
         * is the same. */
    } else if (keep & 0x800) {
        keep >>= 1;
        biased++;
    }
    uint32_t emax = ahp ? 31 : 30;
    if ((uint32_t)biased > emax) {
        if (ahp) {
            x->exc |= FPSCR_IOC;
            return sign | 0x7fff;
        }
        x->exc |= FPSCR_OFC | FPSCR_IXC;
        /* Infinity, or the largest finite value when rounding away from it. */
        unsigned mode = x->fpscr >> FPSCR_RMODE_SHIFT & 3;
        bool to_inf = mode == 0 || (mode == 1 && !sign) || (mode == 2 && sign);
        return sign | (to_inf ? 0x7c00 : 0x7bff);
    }
    if (inexact) x->exc |= FPSCR_IXC;
    if (tiny) return sign | (uint32_t)keep;
    return sign | (uint32_t)biased << 10 | ((uint32_t)keep & 0x3ff);
}

/* ---- The helper -------------------------------------------------------------------- */

static uint64_t get_reg(const arm_state *s, bool dp, unsigned i)
{
    if (dp) return s->d[i & 31];
    return (uint32_t)(s->d[i >> 1 & 31] >> (32 * (i & 1)));
}

static void set_reg(arm_state *s, bool dp, unsigned i, uint64_t v)
{
    if (dp) {
        s->d[i & 31] = v;
        return;
    }
    unsigned sh = 32 * (i & 1);
    uint64_t *p = &s->d[i >> 1 & 31];
    *p = (*p & ~(0xffffffffull << sh)) | (uint64_t)(uint32_t)v << sh;
}

static uint64_t neg(fmt f, uint64_t v) { return v ^ sign_bit(f); }

/* ---- The fast path ------------------------------------------------------------------
 * Most guest arithmetic has normal operands and a normal result, where the
 * host's IEEE 754 answer and flags are the ARM ARM's and nothing else
 * applies (no NaN, no flush-to-zero, no tininess question). Those run here
 * on the host with the guest's rounding mode, each precision with its
 * constants known; anything else, or any flag but inexact, goes the full
 * way from the start (nothing is written until the fast path succeeds).
 * The MXCSR accesses and the arithmetic are volatile asm so that the
 * compiler keeps them in order. */
static inline unsigned csr_get(void)
{
    unsigned v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}
static inline void csr_set(unsigned v) { __asm__ volatile("ldmxcsr %0" : : "m"(v)); }

#define FAST_PRECISION(T, U, BITS, EBITS, SUF)                                                     \
    static inline bool plain_##BITS(U v)                                                           \
    {                                                                                              \
        U e = v >> (BITS - 1 - EBITS) & ((1u << EBITS) - 1);                                       \
        return e - 1 < ((1u << EBITS) - 2) || !(U)(v << 1);                                        \
    }                                                                                              \
    /* A result the host gives as ARM does: above the smallest normal and \
     * finite, or an exact zero. */                                                                \
    static inline bool result_ok_##BITS(U r, unsigned fl)                                          \
    {                                                                                              \
        U mag = (U)(r << 1) >> 1, min_normal = (U)1 << (BITS - 1 - EBITS);                         \
        if (fl & ~0x20u) return false;                                                             \
        if (mag >> (BITS - 1 - EBITS) == ((1u << EBITS) - 1)) return false;                       \
        return mag > min_normal || (!mag && !(fl & 0x20u));                                        \
    }                                                                                              \
    static inline U fast_op_##BITS(int op, U a, U b)                                               \
    {                                                                                              \
        T x, y;                                                                                    \
        memcpy(&x, &a, sizeof x);                                                                  \
        memcpy(&y, &b, sizeof y);                                                                  \
        switch (op) {                                                                              \
        case H_ADD: __asm__ volatile("adds" SUF " %1, %0" : "+x"(x) : "x"(y)); break;              \
        case H_SUB: __asm__ volatile("subs" SUF " %1, %0" : "+x"(x) : "x"(y)); break;              \
        case H_MUL: __asm__ volatile("muls" SUF " %1, %0" : "+x"(x) : "x"(y)); break;              \
        default: __asm__ volatile("divs" SUF " %1, %0" : "+x"(x) : "x"(y)); break;                 \
        }                                                                                          \
        U r;                                                                                       \
        memcpy(&r, &x, sizeof r);                                                                  \
        return r;                                                                                  \
    }                                                                                              \
    static bool fast_##BITS(arm_state *s, unsigned op, unsigned d, unsigned n, unsigned m)         \
    {                                                                                              \
        U vd, vn, vm;                                                                              \
        if (BITS == 64) {                                                                          \
            vd = (U)s->d[d & 31], vn = (U)s->d[n & 31], vm = (U)s->d[m & 31];                      \
        } else {                                                                                   \
            vd = (U)(s->d[d >> 1 & 31] >> (32 * (d & 1)));                                         \
            vn = (U)(s->d[n >> 1 & 31] >> (32 * (n & 1)));                                         \
            vm = (U)(s->d[m >> 1 & 31] >> (32 * (m & 1)));                                         \
        }                                                                                          \
        if (!plain_##BITS(vn) || !plain_##BITS(vm)) return false;                                  \
        static const unsigned rc[4] = {0u << 13, 2u << 13, 1u << 13, 3u << 13};                   \
        unsigned host = csr_get();                                                                 \
        csr_set((host & ~(MXCSR_RC | MXCSR_FLAGS)) | rc[s->fpscr >> FPSCR_RMODE_SHIFT & 3]);        \
        const U sign = (U)1 << (BITS - 1);                                                         \
        U r, p;                                                                                    \
        unsigned fl;                                                                               \
        bool ok = true;                                                                            \
        switch (op) {                                                                              \
        case VFP_ADD: r = fast_op_##BITS(H_ADD, vn, vm); break;                                    \
        case VFP_SUB: r = fast_op_##BITS(H_SUB, vn, vm); break;                                    \
        case VFP_MUL: r = fast_op_##BITS(H_MUL, vn, vm); break;                                    \
        case VFP_NMUL: r = fast_op_##BITS(H_MUL, vn, vm); break;                                   \
        case VFP_DIV: r = fast_op_##BITS(H_DIV, vn, vm); break;                                    \
        default:                                                                                   \
            /* The chained multiply-accumulates: the product rounded and \
             * checked on its own, then the sum. */                                                \
            p = fast_op_##BITS(H_MUL, vn, vm);                                                     \
            fl = csr_get() & MXCSR_FLAGS;                                                          \
            ok = plain_##BITS(vd) && result_ok_##BITS(p, fl);                                      \
            if (op == VFP_MLS || op == VFP_NMLA) p ^= sign;                                        \
            r = fast_op_##BITS(H_ADD, op == VFP_NMLA || op == VFP_NMLS ? vd ^ sign : vd, p);       \
            break;                                                                                 \
        }                                                                                          \
        fl = csr_get() & MXCSR_FLAGS;                                                              \
        csr_set(host);                                                                             \
        if (!ok || !result_ok_##BITS(r, fl)) return false;                                         \
        if (op == VFP_NMUL) r ^= sign;                                                             \
        if (BITS == 64) {                                                                          \
            s->d[d & 31] = r;                                                                      \
        } else {                                                                                   \
            unsigned sh = 32 * (d & 1);                                                            \
            uint64_t *q = &s->d[d >> 1 & 31];                                                      \
            *q = (*q & ~(0xffffffffull << sh)) | (uint64_t)r << sh;                                \
        }                                                                                          \
        if (fl & 0x20u) s->fpscr |= FPSCR_IXC;                                                     \
        return true;                                                                               \
    }

FAST_PRECISION(float, uint32_t, 32, 8, "s")
FAST_PRECISION(double, uint64_t, 64, 11, "d")

/* Compares, square roots and the conversions that plain operands make
 * exact or simple. */
static bool fast_other(arm_state *s, unsigned op, bool dp, unsigned d, unsigned m, unsigned imm)
{
    uint64_t vd = dp ? s->d[d & 31] : (uint32_t)(s->d[d >> 1 & 31] >> (32 * (d & 1)));
    uint64_t vm = dp ? s->d[m & 31] : (uint32_t)(s->d[m >> 1 & 31] >> (32 * (m & 1)));
    bool pm = dp ? plain_64(vm) : plain_32((uint32_t)vm);
    double x = dp ? f64_of(vm) : (double)f32_of(vm);
    switch (op) {
    case VFP_CMP: {
        /* No NaN: no exception, whatever E says. */
        if (imm & 2) vm = 0, x = 0.0;
        if (!pm && !(imm & 2)) return false;
        if (!(dp ? plain_64(vd) : plain_32((uint32_t)vd))) return false;
        double y = dp ? f64_of(vd) : (double)f32_of(vd);
        uint32_t nzcv = y == x ? 0x6 : y < x ? 0x8 : 0x2;
        s->fpscr = (s->fpscr & 0x0fffffffu) | nzcv << 28;
        return true;
    }
    case VFP_SQRT: {
        /* The root of a positive normal number is normal. */
        if (!pm || (vm >> (dp ? 63 : 31)) || !(vm << 1)) return false;
        static const unsigned rc[4] = {0u << 13, 2u << 13, 1u << 13, 3u << 13};
        unsigned host = csr_get();
        csr_set((host & ~(MXCSR_RC | MXCSR_FLAGS)) | rc[s->fpscr >> FPSCR_RMODE_SHIFT & 3]);
        uint64_t r;
        if (dp) {
            double v = f64_of(vm);
            __asm__ volatile("sqrtsd %0, %0" : "+x"(v));
            r = bits64(v);
        } else {
            float v = f32_of(vm);
            __asm__ volatile("sqrtss %0, %0" : "+x"(v));
            r = bits32(v);
        }
        unsigned fl = csr_get() & MXCSR_FLAGS;
        csr_set(host);
        if (fl & ~0x20u) return false;
        set_reg(s, dp, d, r);
        if (fl & 0x20u) s->fpscr |= FPSCR_IXC;
        return true;
    }
    case VFP_CVT_PREC:
        /* Single to double is exact. */
        if (dp || !pm) return false;
        set_reg(s, true, d, bits64(x));
        return true;
    case VFP_FROM_INT:
        /* Any 32-bit integer is exact as a double. */
        if (!dp) return false;
        /* imm bit 0: unsigned. */
        set_reg(s, true, d, bits64((imm & 1) ? (double)(uint32_t)get_reg(s, false, m)
                                             : (double)(int32_t)get_reg(s, false, m)));
        return true;
    case VFP_TO_INT: {
        /* Towards zero (the C cast), in range: inexact when a fraction
         * was dropped. */
        if (!(imm & 2) || !pm) return false;
        bool is_signed = !(imm & 1); /* imm bit 0: unsigned */
        if (is_signed ? !(x > -2147483649.0 && x < 2147483648.0) : !(x > -1.0 && x < 4294967296.0)) return false;
        int64_t r = (int64_t)x;
        set_reg(s, false, d, (uint32_t)r);
        if ((double)r != x) s->fpscr |= FPSCR_IXC;
        return true;
    }
    default:
        return false;
    }
}

/* An instruction's context: FPSCR's controls, no flags raised yet. */
static fpctx fpctx_of(const arm_state *s)
{
    return (fpctx){.fpscr = s->fpscr, .exc = 0, .fe_mode = fe_modes[s->fpscr >> FPSCR_RMODE_SHIFT & 3]};
}

uint64_t arm_vfp_helper(jit_cpu *c, uint64_t op64, uint64_t d64, uint64_t n64, uint64_t m64, uint64_t imm64)
{
    {
        arm_state *fs = (arm_state *)c;
        unsigned fop = (unsigned)op64 & 0xff;
        if (fop <= VFP_NMLS) {
            if ((op64 & VFP_DP) ? fast_64(fs, fop, (unsigned)d64, (unsigned)n64, (unsigned)m64)
                                : fast_32(fs, fop, (unsigned)d64, (unsigned)n64, (unsigned)m64))
                return 0;
        } else if (fast_other(fs, fop, op64 & VFP_DP, (unsigned)d64, (unsigned)m64, (unsigned)imm64)) {
            return 0;
        }
    }

    arm_state *s = (arm_state *)c;
    unsigned op = (unsigned)op64 & 0xff, d = (unsigned)d64, n = (unsigned)n64, m = (unsigned)m64;
    unsigned imm = (unsigned)imm64;
    bool dp = op64 & VFP_DP;
    fmt f = dp ? F64 : F32;
    /* The host's state, put back on the way out. */
    unsigned host_csr = _mm_getcsr();
    fpctx x = fpctx_of(s);
    uint64_t vd = get_reg(s, dp, d), vn = get_reg(s, dp, n), vm = get_reg(s, dp, m), p;
    switch (op) {
    case VFP_ADD: set_reg(s, dp, d, fp_binop(&x, H_ADD, f, vn, vm)); break;
    case VFP_SUB: set_reg(s, dp, d, fp_binop(&x, H_SUB, f, vn, vm)); break;
    case VFP_MUL: set_reg(s, dp, d, fp_binop(&x, H_MUL, f, vn, vm)); break;
    case VFP_NMUL: set_reg(s, dp, d, neg(f, fp_binop(&x, H_MUL, f, vn, vm))); break;
    case VFP_DIV: set_reg(s, dp, d, fp_binop(&x, H_DIV, f, vn, vm)); break;
    /* A8.8.337 and A8.8.351: the product is rounded (and its NaNs made)
     * first, then negated as the instruction says, then added. */
    case VFP_MLA: p = fp_binop(&x, H_MUL, f, vn, vm); set_reg(s, dp, d, fp_binop(&x, H_ADD, f, vd, p)); break;
    case VFP_MLS: p = fp_binop(&x, H_MUL, f, vn, vm); set_reg(s, dp, d, fp_binop(&x, H_ADD, f, vd, neg(f, p))); break;
    case VFP_NMLA:
        p = fp_binop(&x, H_MUL, f, vn, vm);
        set_reg(s, dp, d, fp_binop(&x, H_ADD, f, neg(f, vd), neg(f, p)));
        break;
    case VFP_NMLS: p = fp_binop(&x, H_MUL, f, vn, vm); set_reg(s, dp, d, fp_binop(&x, H_ADD, f, neg(f, vd), p)); break;
    /* A8.8.318, A8.8.319: operands negated before the fused operation. */
    case VFP_FMA: set_reg(s, dp, d, fp_muladd(&x, f, vd, vn, vm)); break;
    case VFP_FMS: set_reg(s, dp, d, fp_muladd(&x, f, vd, neg(f, vn), vm)); break;
    case VFP_FNMA: set_reg(s, dp, d, fp_muladd(&x, f, neg(f, vd), neg(f, vn), vm)); break;
    case VFP_FNMS: set_reg(s, dp, d, fp_muladd(&x, f, neg(f, vd), vn, vm)); break;
    case VFP_SQRT: set_reg(s, dp, d, fp_sqrt(&x, f, vm)); break;
    case VFP_CMP: {
        uint32_t nzcv = fp_compare(&x, f, vd, (imm & 2) ? 0 : vm, imm & 1);
        s->fpscr = (s->fpscr & 0x0fffffffu) | nzcv << 28;
        break;
    }
    case VFP_CVT_PREC: set_reg(s, !dp, d, fp_cvt_prec(&x, dp, vm)); break;
    case VFP_TO_INT: set_reg(s, false, d, fp_to_fixed(&x, f, vm, 0, 32, imm & 1, imm & 2)); break;
    case VFP_FROM_INT: set_reg(s, dp, d, fixed_to_fp(&x, f, (uint32_t)get_reg(s, false, m), 0, 32, imm & 1)); break;
    case VFP_TO_FIXED: { /* A8.8.309: extended to the register's width */
        uint32_t r = fp_to_fixed(&x, f, vd, imm & 63, (imm & 0x200) ? 16 : 32, imm & 0x100, true);
        set_reg(s, dp, d, (imm & 0x100) ? (uint64_t)r : (uint64_t)(int64_t)(int32_t)r);
        break;
    }
    case VFP_FROM_FIXED: /* A8.8.309: round to nearest, whatever FPSCR says */
        x.fe_mode = FE_TONEAREST;
        set_reg(s, dp, d, fixed_to_fp(&x, f, (uint32_t)vd, imm & 63, (imm & 0x200) ? 16 : 32, imm & 0x100));
        break;
    case VFP_CVT_HALF: {
        unsigned sh = (imm & 1) ? 16 : 0;
        uint32_t sd = (uint32_t)get_reg(s, false, d), sm = (uint32_t)get_reg(s, false, m);
        if (imm & 2) {
            uint32_t h = fp_single_to_half(&x, sm);
            set_reg(s, false, d, (sd & ~(0xffffu << sh)) | h << sh);
        } else {
            set_reg(s, false, d, fp_half_to_single(&x, sm >> sh & 0xffff));
        }
        break;
    }
    default: break;
    }
    s->fpscr |= x.exc;
    _mm_setcsr(host_csr);
    /* The first inexact result (or a VMSR before) may let blocks use the
     * host's arithmetic: back to the run loop, which finds those blocks.
     * The kick also keeps it from chaining this block to them. */
    uint32_t key = (s->key_flags & ~ARM_KEY_FPFAST) | (arm_key_flags(s) & ARM_KEY_FPFAST);
    if (key != s->key_flags) {
        s->key_flags = key;
        jit_cpu_kick(c);
    }
    return 0;
}

uint64_t arm_vfp_checked(jit_cpu *c, uint64_t arg, uint64_t a, uint64_t b, uint64_t unused1, uint64_t unused2)
{
    (void)unused1;
    (void)unused2;
    arm_state *s = (arm_state *)c;
    unsigned op = (unsigned)arg & 0xff, imm = (unsigned)(arg >> 16) & 0xff;
    bool dp = arg & VFP_DP;
    fmt f = dp ? F64 : F32;
    unsigned host_csr = _mm_getcsr();
    fpctx x = fpctx_of(s);
    uint64_t r;
    switch (op) {
    case VFP_ADD: r = fp_binop(&x, H_ADD, f, a, b); break;
    case VFP_SUB: r = fp_binop(&x, H_SUB, f, a, b); break;
    case VFP_MUL: r = fp_binop(&x, H_MUL, f, a, b); break;
    case VFP_DIV: r = fp_binop(&x, H_DIV, f, a, b); break;
    case VFP_SQRT: r = fp_sqrt(&x, f, a); break;
    case VFP_CVT_PREC: r = fp_cvt_prec(&x, dp, a); break;
    case VFP_TO_INT: r = fp_to_fixed(&x, f, a, 0, 32, imm & 1, imm & 2); break;
    case VFP_CMP: { /* imm bit 0: E; the result as IR_FCMP's code */
        uint32_t nzcv = fp_compare(&x, f, a, b, imm & 1);
        r = nzcv == 0x6 ? 0 : nzcv == 0x8 ? 1 : nzcv == 0x2 ? 2 : 3;
        break;
    }
    default: r = 0; break;
    }
    s->fpscr |= x.exc;
    _mm_setcsr(host_csr);
    return r;
}
