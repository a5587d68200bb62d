/* ARM helpers: the media instructions whose lane-wise arithmetic is shorter
 * in C than in IR (parallel add/subtract, saturation, the DSP multiplies).
 * Semantics from the ARM ARM (DDI 0406C) pseudo-code, A8.8. */
#include "translate.h"
#include "cp15.h"
#include "vfp.h"

static int32_t half(uint32_t v, unsigned top) { return (int16_t)(top ? v >> 16 : v); }

/* ---- Parallel add and subtract (A5.4.1, A5.4.2) ----------------------------- */

/* op: bit 5 unsigned, bits 4:3 kind (1 plain: sets GE, 2 saturating,
 * 3 halving), bits 2:0 op2 (0 ADD16, 1 ASX, 2 SAX, 3 SUB16, 4 ADD8, 7 SUB8). */
static uint64_t helper_parallel(jit_cpu *c, uint64_t op, uint64_t a64, uint64_t b64, uint64_t u3, uint64_t u4)
{
    arm_state *s = (arm_state *)c;
    bool u = op >> 5 & 1;
    unsigned kind = op >> 3 & 3, op2 = op & 7;
    uint32_t a = (uint32_t)a64, b = (uint32_t)b64, r = 0, ge = 0;
    unsigned lanes = op2 >= 4 ? 4 : 2, bits = op2 >= 4 ? 8 : 16;
    int32_t lim_hi = u ? (1 << bits) - 1 : (1 << (bits - 1)) - 1, lim_lo = u ? 0 : -(1 << (bits - 1));
    for (unsigned i = 0; i < lanes; i++) {
        /* The lanes each side reads: ASX and SAX cross the halves. */
        unsigned ia = i, ib = (op2 == 1 || op2 == 2) ? 1 - i : i;
        bool sub = op2 == 7 || op2 == 3 || (op2 == 1 && i == 0) || (op2 == 2 && i == 1);
        uint32_t xa = a >> (ia * bits) & ((1u << bits) - 1), xb = b >> (ib * bits) & ((1u << bits) - 1);
        int32_t x = u ? (int32_t)xa : (int32_t)(xa << (32 - bits)) >> (32 - bits);
        int32_t y = u ? (int32_t)xb : (int32_t)(xb << (32 - bits)) >> (32 - bits);
        int32_t v = sub ? x - y : x + y;
        uint32_t out;
        bool g;
        if (u) g = sub ? v >= 0 : v >= (1 << bits);
        else g = v >= 0;
        switch (kind) {
        case 2: out = (uint32_t)(v > lim_hi ? lim_hi : v < lim_lo ? lim_lo : v); break;
        case 3: out = (uint32_t)(v >> 1); break;
        default: out = (uint32_t)v; break;
        }
        r |= (out & ((1u << bits) - 1)) << (i * bits);
        if (g) ge |= (bits == 8 ? 1u : 3u) << (i * (bits / 8));
    }
    if (kind == 1) s->ge = ge;
    return r;
}

/* ---- Saturation (A8.8.152, A8.8.242) ------------------------------------------ */

static int64_t saturate(int64_t v, unsigned n, bool unsig, bool *sat)
{
    int64_t hi = unsig ? ((int64_t)1 << n) - 1 : ((int64_t)1 << (n - 1)) - 1;
    int64_t lo = unsig ? 0 : -((int64_t)1 << (n - 1));
    if (v > hi) { *sat = true; return hi; }
    if (v < lo) { *sat = true; return lo; }
    return v;
}

/* op: bit 0 unsigned, bit 1 the 16-bit form; n the saturation width. */
static uint64_t helper_sat(jit_cpu *c, uint64_t op, uint64_t v64, uint64_t n, uint64_t u3, uint64_t u4)
{
    arm_state *s = (arm_state *)c;
    bool unsig = op & 1, sat = false;
    uint32_t v = (uint32_t)v64, r;
    if (op & 2) {
        uint32_t lo = (uint32_t)saturate(half(v, 0), (unsigned)n, unsig, &sat) & 0xffff;
        uint32_t hi = (uint32_t)saturate(half(v, 1), (unsigned)n, unsig, &sat) & 0xffff;
        r = hi << 16 | lo;
    } else {
        r = (uint32_t)saturate((int32_t)v, (unsigned)n, unsig, &sat);
    }
    if (sat) s->qf = 1;
    return r;
}

/* ---- Signed multiplies with 32-bit results (A5.2.7, A5.4.4) ------------------- */

static uint32_t q_add(arm_state *s, int64_t v)
{
    if (v != (int32_t)v) s->qf = 1;
    return (uint32_t)v;
}

/* op: bits 3:0 the kind, bit 4 x / M / R (the N half, the swap, rounding),
 * bit 5 y (the M half). */
static uint64_t helper_mul32(jit_cpu *c, uint64_t op, uint64_t n64, uint64_t m64, uint64_t a64, uint64_t u4)
{
    arm_state *s = (arm_state *)c;
    uint32_t n = (uint32_t)n64, m = (uint32_t)m64, a = (uint32_t)a64;
    bool x = op >> 4 & 1, y = op >> 5 & 1;
    int64_t p1, p2;
    if ((op & 15) >= ARM_MUL_SMUAD && (op & 15) <= ARM_MUL_SMLSD && x) m = m >> 16 | m << 16;
    switch (op & 15) {
    case ARM_MUL_SMLA: return q_add(s, (int64_t)(half(n, x) * half(m, y)) + (int32_t)a);
    case ARM_MUL_SMUL: return (uint32_t)(half(n, x) * half(m, y));
    case ARM_MUL_SMLAW: return q_add(s, (((int64_t)(int32_t)n * half(m, y)) >> 16) + (int32_t)a);
    case ARM_MUL_SMULW: return (uint32_t)(((int64_t)(int32_t)n * half(m, y)) >> 16);
    case ARM_MUL_SMUAD: case ARM_MUL_SMLAD: case ARM_MUL_SMUSD: case ARM_MUL_SMLSD: {
        bool sub = (op & 15) == ARM_MUL_SMUSD || (op & 15) == ARM_MUL_SMLSD;
        bool acc = (op & 15) == ARM_MUL_SMLAD || (op & 15) == ARM_MUL_SMLSD;
        p1 = (int64_t)half(n, 0) * half(m, 0);
        p2 = (int64_t)half(n, 1) * half(m, 1);
        return q_add(s, (sub ? p1 - p2 : p1 + p2) + (acc ? (int32_t)a : 0));
    }
    case ARM_MUL_SMMUL: case ARM_MUL_SMMLA: case ARM_MUL_SMMLS: {
        int64_t p = (int64_t)(int32_t)n * (int32_t)m;
        int64_t acc = (op & 15) == ARM_MUL_SMMUL ? 0 : (int64_t)((uint64_t)a << 32);
        int64_t r = (op & 15) == ARM_MUL_SMMLS ? (int64_t)((uint64_t)acc - (uint64_t)p) : (int64_t)((uint64_t)acc + (uint64_t)p);
        if (x) r = (int64_t)((uint64_t)r + 0x80000000u);
        return (uint32_t)((uint64_t)r >> 32);
    }
    default: { /* USAD8 and USADA8 */
        uint32_t sum = (op & 15) == ARM_MUL_USADA8 ? a : 0;
        for (unsigned i = 0; i < 32; i += 8) {
            int32_t d = (int32_t)(n >> i & 0xff) - (int32_t)(m >> i & 0xff);
            sum += (uint32_t)(d < 0 ? -d : d);
        }
        return sum;
    }
    }
}

/* ---- Signed multiplies with 64-bit results: SMLALxy, SMLALD, SMLSLD ---------- */

static uint64_t helper_mul64(jit_cpu *c, uint64_t op, uint64_t n64, uint64_t m64, uint64_t acc, uint64_t u4)
{
    uint32_t n = (uint32_t)n64, m = (uint32_t)m64;
    bool x = op >> 4 & 1, y = op >> 5 & 1;
    switch (op & 15) {
    case ARM_MUL_SMLAL: return acc + (uint64_t)(int64_t)(half(n, x) * half(m, y));
    default: { /* SMLALD, SMLSLD; x swaps the halves of m */
        if (x) m = m >> 16 | m << 16;
        int64_t p1 = (int64_t)half(n, 0) * half(m, 0), p2 = (int64_t)half(n, 1) * half(m, 1);
        return acc + (uint64_t)((op & 15) == ARM_MUL_SMLSLD ? p1 - p2 : p1 + p2);
    }
    }
}

const jit_helper arm_helpers[ARM_H_COUNT] = {
    [ARM_H_PARALLEL] = {"arm_parallel", helper_parallel},
    [ARM_H_SAT] = {"arm_sat", helper_sat},
    [ARM_H_MUL32] = {"arm_mul32", helper_mul32},
    [ARM_H_MUL64] = {"arm_mul64", helper_mul64},
    [ARM_H_VFP] = {"arm_vfp", arm_vfp_helper},
    [ARM_H_VFP_CHECKED] = {"arm_vfp_checked", arm_vfp_checked},
    [ARM_H_SYS] = {"arm_sys", arm_sys_helper},
    [ARM_H_CP15] = {"arm_cp15", arm_cp15_helper},
};
