/* The VFP translator (VFPv3-D32 + VFPv4 fused multiply-add, A32 encodings):
 * hand-worked cases from the ARM ARM (DDI 0406C) pseudo-code, each saying
 * why, and random programs against qemu-arm -cpu cortex-a15 (whose
 * softfloat is exact for these) over NaNs, infinities, denormals, zeros,
 * all rounding modes, FZ and DN, comparing every register and FPSCR.
 * Snippets are assembled at test time by arm-linux-gnueabihf-as (.fpu
 * vfpv4), run on both back ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arm/arm.h"

static loom_jit_choice backend = LOOM_JIT_NATIVE;
static bool have_as, have_qemu;

#include "arm_rig.h"

static void load_asm(rig *r, const char *src)
{
    rig_load_asm(r, "\t.syntax unified\n\t.arm\n\t.fpu vfpv4", src, false);
}

static void run_to_wfi(rig *r)
{
    rig_run(r);
    assert_true(r->s->r[15] > r->code && r->s->r[15] <= r->code_end);
    assert_int_equal(rd32(r, r->s->r[15] - 4), 0xe320f003);
}

static uint32_t get_s(const arm_state *s, unsigned i) { return (uint32_t)(s->d[i / 2] >> (32 * (i & 1))); }
static void set_s(arm_state *s, unsigned i, uint32_t v)
{
    unsigned sh = 32 * (i & 1);
    s->d[i / 2] = (s->d[i / 2] & ~(0xffffffffull << sh)) | (uint64_t)v << sh;
}

#define SKIP_WITHOUT_AS() \
    do {                  \
        if (!have_as) skip(); \
    } while (0)

/* FPSCR bits. */
#define IOC 0x01u
#define DZC 0x02u
#define OFC 0x04u
#define UFC 0x08u
#define IXC 0x10u
#define IDC 0x80u
#define FZ (1u << 24)
#define DN (1u << 25)
#define AHP (1u << 26)
#define RM(m) ((uint32_t)(m) << 22) /* 0 nearest, 1 +inf, 2 -inf, 3 zero */

/* ---- One instruction: single precision ------------------------------------ */

/* insn reads s1 and s2 (and s0 for the accumulating forms), writes s0. */
typedef struct sp_case {
    const char *insn;
    uint32_t s0, s1, s2;
    uint32_t fpscr;      /* before (control bits) */
    uint32_t want;       /* s0 after */
    uint32_t flags;      /* cumulative flags after (bits 7, 4:0), NZCV in 31:28 for compares */
} sp_case;

static void run_sp_cases(const sp_case *c, size_t n)
{
    rig *r = rig_new();
    for (size_t i = 0; i < n; i++) {
        load_asm(r, c[i].insn);
        set_s(r->s, 0, c[i].s0);
        set_s(r->s, 1, c[i].s1);
        set_s(r->s, 2, c[i].s2);
        r->s->fpscr = c[i].fpscr;
        run_to_wfi(r);
        uint32_t got = get_s(r->s, 0), flags = r->s->fpscr & 0xf000009fu;
        if (got != c[i].want || flags != c[i].flags)
            fprintf(stderr, "case %zu '%s': s0 0x%08x (want 0x%08x), flags 0x%08x (want 0x%08x)\n", i, c[i].insn, got,
                    c[i].want, flags, c[i].flags);
        assert_int_equal(got, c[i].want);
        assert_int_equal(flags, c[i].flags);
    }
    rig_free(r);
}

static void test_vfp_single_arithmetic(void **st)
{
    SKIP_WITHOUT_AS();
    static const sp_case c[] = {
        /* 1.5 + 2.25 = 3.75, exact. */
        {"vadd.f32 s0, s1, s2", 0, 0x3fc00000, 0x40100000, 0, 0x40700000, 0},
        /* 1 - 1 = +0; in round towards minus infinity -0. */
        {"vsub.f32 s0, s1, s2", 0, 0x3f800000, 0x3f800000, 0, 0x00000000, 0},
        {"vsub.f32 s0, s1, s2", 0, 0x3f800000, 0x3f800000, RM(2), 0x80000000, 0},
        /* 1 / 3 = 0x3eaaaaab rounded to nearest (inexact); towards zero 0x3eaaaaaa. */
        {"vdiv.f32 s0, s1, s2", 0, 0x3f800000, 0x40400000, 0, 0x3eaaaaab, IXC},
        {"vdiv.f32 s0, s1, s2", 0, 0x3f800000, 0x40400000, RM(3), 0x3eaaaaaa, IXC},
        {"vdiv.f32 s0, s1, s2", 0, 0x3f800000, 0x40400000, RM(1), 0x3eaaaaab, IXC},
        /* 1 / 0 = +inf with DZC; 0 / 0 is invalid: the default NaN (positive, unlike x86's). */
        {"vdiv.f32 s0, s1, s2", 0, 0x3f800000, 0x00000000, 0, 0x7f800000, DZC},
        {"vdiv.f32 s0, s1, s2", 0, 0x00000000, 0x80000000, 0, 0x7fc00000, IOC},
        /* inf - inf: invalid. */
        {"vsub.f32 s0, s1, s2", 0, 0x7f800000, 0x7f800000, 0, 0x7fc00000, IOC},
        /* sqrt(2) = 0x3fb504f3 inexact; sqrt(-1) invalid; sqrt(-0) = -0. */
        {"vsqrt.f32 s0, s2", 0, 0, 0x40000000, 0, 0x3fb504f3, IXC},
        {"vsqrt.f32 s0, s2", 0, 0, 0xbf800000, 0, 0x7fc00000, IOC},
        {"vsqrt.f32 s0, s2", 0, 0, 0x80000000, 0, 0x80000000, 0},
        /* Overflow: max * 2 = inf (OFC, IXC), towards zero the largest finite. */
        {"vmul.f32 s0, s1, s2", 0, 0x7f7fffff, 0x40000000, 0, 0x7f800000, OFC | IXC},
        {"vmul.f32 s0, s1, s2", 0, 0x7f7fffff, 0x40000000, RM(3), 0x7f7fffff, OFC | IXC},
        /* NaNs: a signalling NaN wins over a quiet one whatever the order,
         * quieted, IOC; else the first operand's quiet NaN; DN gives the
         * default NaN. */
        {"vadd.f32 s0, s1, s2", 0, 0x7fc00001, 0x7f800002, 0, 0x7fc00002, IOC},
        {"vadd.f32 s0, s1, s2", 0, 0xffc00001, 0x7fc00002, 0, 0xffc00001, 0},
        {"vadd.f32 s0, s1, s2", 0, 0x3f800000, 0x7fc00002, 0, 0x7fc00002, 0},
        {"vadd.f32 s0, s1, s2", 0, 0x7fc00001, 0x7f800002, DN, 0x7fc00000, IOC},
        /* VABS and VNEG are bit operations: no exception for a signalling NaN. */
        {"vneg.f32 s0, s1", 0, 0x7f800001, 0, 0, 0xff800001, 0},
        {"vabs.f32 s0, s1", 0, 0xff800001, 0, 0, 0x7f800001, 0},
        /* Denormals without FZ are exact: min + min = 2 * min. */
        {"vadd.f32 s0, s1, s2", 0, 0x00000001, 0x00000001, 0, 0x00000002, 0},
        /* With FZ an input denormal is zero (IDC): min + 0 = +0. */
        {"vadd.f32 s0, s1, s2", 0, 0x00000001, 0x00000000, FZ, 0x00000000, IDC},
        /* Tininess before rounding: (1 - 2^-23) * (1 + 2^-23) * 2^-126 is
         * below the smallest normal but rounds to it: UFC with IXC on ARM
         * (x86 would say only IXC). With FZ: +0 and UFC alone. */
        {"vmul.f32 s0, s1, s2", 0, 0x3f7ffffe, 0x00800001, 0, 0x00800000, UFC | IXC},
        {"vmul.f32 s0, s1, s2", 0, 0x3f7ffffe, 0x00800001, FZ, 0x00000000, UFC},
        /* An exact denormal result: no UFC without FZ; with FZ flushed. */
        {"vsub.f32 s0, s1, s2", 0, 0x00c00000, 0x00800000, 0, 0x00400000, 0},
        {"vmul.f32 s0, s1, s2", 0, 0x00800000, 0x3f000000, FZ, 0x00000000, UFC},
        /* VMLA rounds the product first: 0 + (1+2^-23)^2 = 1 + 2^-22 (product inexact). */
        {"vmla.f32 s0, s1, s2", 0, 0x3f800001, 0x3f800001, 0, 0x3f800002, IXC},
        /* VFMA does not: 1 + 2^-22 + 2^-46 rounds to 1 + 2^-22, still inexact;
         * -(1 + 2^-22) + (1+2^-23)^2 = 2^-46 exactly with the fused form. */
        {"vfma.f32 s0, s1, s2", 0xbf800002, 0x3f800001, 0x3f800001, 0, 0x28800000, 0},
        {"vmla.f32 s0, s1, s2", 0xbf800002, 0x3f800001, 0x3f800001, 0, 0x00000000, IXC},
        /* VNMUL negates the product, a NaN too. */
        {"vnmul.f32 s0, s1, s2", 0, 0x40000000, 0x40400000, 0, 0xc0c00000, 0},
        {"vnmul.f32 s0, s1, s2", 0, 0x7f800000, 0x00000000, 0, 0xffc00000, IOC},
        /* VMLS: 10 - 2*3 = 4; VNMLA: -10 - 6 = -16; VNMLS: -10 + 6 = -4. */
        {"vmls.f32 s0, s1, s2", 0x41200000, 0x40000000, 0x40400000, 0, 0x40800000, 0},
        {"vnmla.f32 s0, s1, s2", 0x41200000, 0x40000000, 0x40400000, 0, 0xc1800000, 0},
        {"vnmls.f32 s0, s1, s2", 0x41200000, 0x40000000, 0x40400000, 0, 0xc0800000, 0},
        /* VFMS: 10 - 6; VFNMA: -10 - 6; VFNMS: -10 + 6. */
        {"vfms.f32 s0, s1, s2", 0x41200000, 0x40000000, 0x40400000, 0, 0x40800000, 0},
        {"vfnma.f32 s0, s1, s2", 0x41200000, 0x40000000, 0x40400000, 0, 0xc1800000, 0},
        {"vfnms.f32 s0, s1, s2", 0x41200000, 0x40000000, 0x40400000, 0, 0xc0800000, 0},
        /* Fused inf * 0 + quiet NaN: the default NaN and IOC (FPMulAdd). */
        {"vfma.f32 s0, s1, s2", 0x7fc00005, 0x7f800000, 0x00000000, 0, 0x7fc00000, IOC},
        /* ...a signalling addend is quieted instead, and comes first. */
        {"vfma.f32 s0, s1, s2", 0x7f800005, 0x7fc00001, 0x00000000, 0, 0x7fc00005, IOC},
        /* VMOV immediate: #1.5 and #-0.125. */
        {"vmov.f32 s0, #1.5", 0, 0, 0, 0, 0x3fc00000, 0},
        {"vmov.f32 s0, #-0.125", 0, 0, 0, 0, 0xbe000000, 0},
        /* Flags are cumulative: an old IXC stays. */
        {"vadd.f32 s0, s1, s2", 0, 0x3f800000, 0x3f800000, IXC | DZC, 0x40000000, IXC | DZC},
    };
    run_sp_cases(c, sizeof c / sizeof *c);
}

static void test_vfp_compare_and_vmrs(void **st)
{
    SKIP_WITHOUT_AS();
    static const sp_case c[] = {
        /* FPSCR.NZCV: less 1000, equal 0110, greater 0010, unordered 0011. */
        {"vcmp.f32 s1, s2", 0, 0x3f800000, 0x40000000, 0, 0, 0x80000000},
        {"vcmp.f32 s1, s2", 0, 0x80000000, 0x00000000, 0, 0, 0x60000000},
        {"vcmp.f32 s1, s2", 0, 0x7f800000, 0x40000000, 0, 0, 0x20000000},
        /* A quiet NaN: VCMP quiet, VCMPE IOC; a signalling NaN: IOC for both. */
        {"vcmp.f32 s1, s2", 0, 0x7fc00000, 0x40000000, 0, 0, 0x30000000},
        {"vcmpe.f32 s1, s2", 0, 0x7fc00000, 0x40000000, 0, 0, 0x30000000 | IOC},
        {"vcmp.f32 s1, s2", 0, 0x3f800000, 0x7f800001, 0, 0, 0x30000000 | IOC},
        /* With zero: -1 < 0; FZ makes a denormal equal to zero (IDC). */
        {"vcmp.f32 s1, #0", 0, 0xbf800000, 0, 0, 0, 0x80000000},
        {"vcmp.f32 s1, #0", 0, 0x00000001, 0, 0, 0, 0x20000000},
        {"vcmp.f32 s1, #0", 0, 0x00000001, 0, FZ, 0, 0x60000000 | IDC},
    };
    run_sp_cases(c, sizeof c / sizeof *c);
    /* VMRS APSR_nzcv copies the compare into the condition flags; then a
     * conditional VFP instruction. */
    rig *r = rig_new();
    load_asm(r, " vcmp.f32 s1, s2\n vmrs APSR_nzcv, fpscr\n vmovlt.f32 s0, #2.0\n vmovge.f32 s0, #3.0\n"
                " vmrs r0, fpscr\n");
    set_s(r->s, 1, 0x3f800000);
    set_s(r->s, 2, 0x40000000);
    r->s->fpscr = 0;
    run_to_wfi(r);
    assert_int_equal(arm_cpsr_get(r->s) >> 28, 0x8);
    assert_int_equal(get_s(r->s, 0), 0x40000000);
    assert_int_equal(r->s->r[0], 0x80000000);
    /* VMSR keeps only the implemented bits: no trap enables, no Len/Stride, no QC. */
    load_asm(r, " vmsr fpscr, r1\n vmrs r2, fpscr\n");
    r->s->r[1] = 0xffffffff;
    run_to_wfi(r);
    assert_int_equal(r->s->r[2], 0xf7c0009fu);
    rig_free(r);
}

static void test_vfp_double_and_conversions(void **st)
{
    SKIP_WITHOUT_AS();
    typedef struct {
        const char *insn;     /* reads d1 (and s4), writes d0 or s0 */
        uint64_t d1;
        uint32_t s4, fpscr;
        uint64_t want;        /* d0 (or s0 in the low half when the result is single) */
        uint32_t flags;
    } dc;
    static const dc c[] = {
        /* 1/3 in double. */
        {"vdiv.f64 d0, d1, d1\n vmov.f64 d2, #3.0\n vdiv.f64 d0, d0, d2", 0x3ff0000000000000ull, 0, 0,
         0x3fd5555555555555ull, IXC},
        /* sqrt(2). */
        {"vsqrt.f64 d0, d1", 0x4000000000000000ull, 0, 0, 0x3ff6a09e667f3bcdull, IXC},
        /* Single to double is exact, also for a denormal; a signalling NaN
         * is quieted (payload kept, shifted). */
        {"vcvt.f64.f32 d0, s4", 0, 0x00000001, 0, 0x36a0000000000000ull, 0},
        {"vcvt.f64.f32 d0, s4", 0, 0x7f800001, 0, 0x7ff8000020000000ull, IOC},
        /* Double to single: 1e300 overflows; 1/3 rounds. */
        {"vcvt.f32.f64 s0, d1", 0x7e37e43c8800759cull, 0, 0, 0x7f800000, OFC | IXC},
        {"vcvt.f32.f64 s0, d1", 0x3fd5555555555555ull, 0, 0, 0x3eaaaaab, IXC},
        /* To integer, towards zero: -2.5 -> -2 (inexact); NaN -> 0 (IOC);
         * 3e9 saturates to 0x7fffffff (IOC, not IXC); -1 to unsigned is 0 (IOC). */
        {"vcvt.s32.f64 s0, d1", 0xc004000000000000ull, 0, 0, 0xfffffffe, IXC},
        {"vcvt.s32.f64 s0, d1", 0x7ff8000000000000ull, 0, 0, 0, IOC},
        {"vcvt.s32.f64 s0, d1", 0x41e65a0bc0000000ull, 0, 0, 0x7fffffff, IOC},
        {"vcvt.u32.f64 s0, d1", 0xbff0000000000000ull, 0, 0, 0, IOC},
        {"vcvt.u32.f64 s0, d1", 0x41e65a0bc0000000ull, 0, 0, 0xb2d05e00, 0},
        /* VCVTR uses FPSCR's mode: -2.5 -> -2 (nearest even), -3 (minus infinity). */
        {"vcvtr.s32.f64 s0, d1", 0xc004000000000000ull, 0, 0, 0xfffffffe, IXC},
        {"vcvtr.s32.f64 s0, d1", 0xc004000000000000ull, 0, RM(2), 0xfffffffd, IXC},
        {"vcvtr.s32.f64 s0, d1", 0xc004000000000000ull, 0, RM(1), 0xfffffffe, IXC},
        /* From integers: 0xffffffff unsigned is 2^32 in single (inexact), exact in double. */
        {"vcvt.f32.u32 s0, s4", 0, 0xffffffff, 0, 0x4f800000, IXC},
        {"vcvt.f32.u32 s0, s4", 0, 0xffffffff, RM(3), 0x4f7fffff, IXC},
        {"vcvt.f64.s32 d0, s4", 0, 0xffffffff, 0, 0xbff0000000000000ull, 0},
        /* Fixed point: 1.5 with 16 fraction bits = 0x18000; back again. */
        {"vmov.f64 d0, d1\n vcvt.s32.f64 d0, d0, #16", 0x3ff8000000000000ull, 0, 0, 0x18000, 0},
        {"vmov.f64 d0, d1\n vcvt.s16.f64 d0, d0, #8", 0xc000000000000000ull, 0, 0, 0xfffffffffffffe00ull, 0},
        {"vmov s0, s4\n vcvt.f32.s32 s0, s0, #16", 0, 0x18000, 0, 0x3fc00000, 0},
        {"vmov s0, s4\n vcvt.f32.u16 s0, s0, #1", 0, 0xffff0003, 0, 0x3fc00000, 0},
        /* Half precision: 1.0 <-> 0x3c00 in the bottom or top half; 65520
         * overflows to infinity, or saturates with IOC in the alternative
         * format. */
        {"vmov s0, s4\n vcvtb.f16.f32 s0, s0", 0, 0x3f800000, 0, 0x3f803c00, 0},
        {"vmov s0, s4\n vcvtt.f16.f32 s0, s0", 0, 0x3f800000, 0, 0x3c000000, 0},
        {"vcvtt.f32.f16 s0, s4", 0, 0x3c000000, 0, 0x3f800000, 0},
        {"vmov s0, s4\n vcvtb.f16.f32 s0, s0", 0, 0x477ff000, 0, 0x477f7c00, OFC | IXC},
        {"vmov s0, s4\n vcvtb.f16.f32 s0, s0", 0, 0x477ff000, AHP, 0x477f7c00, AHP | IXC},
    };
    rig *r = rig_new();
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        load_asm(r, c[i].insn);
        r->s->d[0] = 0xdeadbeefdeadbeefull;
        r->s->d[1] = c[i].d1;
        set_s(r->s, 4, c[i].s4);
        r->s->fpscr = c[i].fpscr;
        run_to_wfi(r);
        uint64_t got = r->s->d[0];
        /* A single result: the low word of d0 (the high one is not looked at). */
        bool dbl = strstr(c[i].insn, "d0, d") || strstr(c[i].insn, "d0, s") || strstr(c[i].insn, "d0, d0, #");
        if (!dbl || strstr(c[i].insn, "vcvt.s32.f64 s0") || strstr(c[i].insn, "s0, d1")) got &= 0xffffffffu;
        uint32_t flags = r->s->fpscr & 0xf700009fu;
        if (got != c[i].want || flags != c[i].flags)
            fprintf(stderr, "case %zu '%s': 0x%016llx (want 0x%016llx), flags 0x%08x (want 0x%08x)\n", i, c[i].insn,
                    (unsigned long long)got, (unsigned long long)c[i].want, flags, c[i].flags);
        assert_true(got == c[i].want);
        assert_int_equal(flags, c[i].flags);
    }
    rig_free(r);
}

/* ---- Loads, stores and moves ---------------------------------------------------- */

static void test_vfp_load_store_move(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    for (unsigned i = 0; i < 16; i++) wr32(r, DATA + 4 * i, 0x11110000u + i);
    load_asm(r, " ldr r1, =0x18000 + 0x10000\n"
                " vldr s3, [r1, #4]\n"          /* s3 = word 1 */
                " vldr d6, [r1, #8]\n"          /* d6 = words 2, 3 */
                " vldr d20, [r1]\n"             /* d20 = words 0, 1 */
                " vstr s3, [r1, #64]\n"
                " vstr d20, [r1, #72]\n"
                " add r2, r1, #16\n"
                " vldmia r2!, {s8-s11}\n"       /* words 4-7, r2 += 16 */
                " vldmdb r2!, {d8-d9}\n"        /* words 4-7 again, r2 back */
                " vmov r3, s9\n"                /* word 5 */
                " vmov r4, r5, d9\n"            /* words 6, 7 */
                " vmov s20, s21, r4, r5\n"
                " vmov d11, r5, r4\n"
                " vmov.32 r6, d20[1]\n"         /* word 1 */
                " vmov.32 d21[1], r3\n"
                " mov r7, #0x55\n"
                " vmov s31, r7\n"
                " mov r8, sp\n"
                " vpush {d8-d9}\n"
                " vpop {s24-s27}\n"
                " sub r9, r8, sp\n"             /* 0 */
                " vldr s2, lit\n"
                " b 1f\n"
                "lit: .word 0x3f800000\n"
                "1: vmov.f64 d31, d20\n");
    r->s->r[13] = DATA + 0x400;
    r->s->d[21] = 0;
    run_to_wfi(r);
    arm_state *s = r->s;
    assert_int_equal(get_s(s, 3), 0x11110001);
    assert_true(s->d[6] == 0x1111000311110002ull);
    assert_true(s->d[20] == 0x1111000111110000ull);
    assert_int_equal(rd32(r, DATA + 64), 0x11110001);
    assert_int_equal(rd32(r, DATA + 72), 0x11110000);
    assert_int_equal(rd32(r, DATA + 76), 0x11110001);
    assert_int_equal(get_s(s, 8), 0x11110004);
    assert_int_equal(get_s(s, 11), 0x11110007);
    assert_true(s->d[8] == 0x1111000511110004ull);
    assert_true(s->d[9] == 0x1111000711110006ull);
    assert_int_equal(s->r[2], DATA + 16);
    assert_int_equal(s->r[3], 0x11110005);
    assert_int_equal(s->r[4], 0x11110006);
    assert_int_equal(s->r[5], 0x11110007);
    assert_true(s->d[10] == 0x1111000711110006ull); /* s20, s21 */
    assert_true(s->d[11] == 0x1111000611110007ull);
    assert_int_equal(s->r[6], 0x11110001);
    assert_true(s->d[21] == 0x1111000500000000ull);
    assert_int_equal(get_s(s, 31), 0x55);
    assert_true(s->d[12] == s->d[8] && s->d[13] == s->d[9]);
    assert_int_equal(s->r[9], 0);
    assert_int_equal(get_s(s, 2), 0x3f800000);
    assert_true(s->d[31] == s->d[20]);
    rig_free(r);
}

/* In Linux user mode the identification registers are privileged (UNDEF);
 * in system mode they read as a Cortex-A15 without Advanced SIMD. */
static void test_vfp_id_registers(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    load_asm(r, " vmrs r0, fpsid\n vmrs r1, mvfr0\n vmrs r2, mvfr1\n mov r3, #0x40000000\n vmsr fpexc, r3\n"
                " vmrs r4, fpexc\n");
    run_to_wfi(r);
    assert_int_equal(r->s->r[0], 0x410430f0);
    assert_int_equal(r->s->r[1], 0x10110222);
    assert_int_equal(r->s->r[2] & 0x00fff000u, 0); /* no SIMD half, single, integer, load/store */
    assert_int_equal(r->s->r[4], 0x40000000);
    rig_free(r);
    r = rig_new();
    load_asm(r, " mov r0, #1\n vmrs r1, mvfr0\n mov r0, #2\n");
    size_t size = RAM_BASE + RAM_SIZE;
    uint8_t *mem = calloc(1, size);
    memcpy(mem + RAM_BASE, r->ram, RAM_SIZE);
    uint32_t pc = r->s->r[15];
    assert_int_equal(arm_user_init(r->cpu, mem, size), LOOM_OK);
    r->s->r[15] = pc;
    assert_int_equal(loom_cpu_run(r->cpu, 1000), LOOM_CPU_EXIT_REQUEST);
    assert_int_equal(r->s->exception, ARM_EXC_UNDEF);
    assert_int_equal(r->s->r[0], 1);
    free(mem);
    rig_free(r);
}

/* ---- Random programs against qemu-arm ---------------------------------------------- */

static uint32_t rnd_state;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1664525u + 1013904223u;
    return rnd_state >> 8 ^ rnd_state << 13;
}

static uint32_t rnd_single(void)
{
    static const uint32_t special[] = {
        0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00123,
        0x7f800001, 0xff812345, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800001, 0x7f7fffff,
        0x3f7ffffe, 0x00800001, 0x4f000000, 0xcf000000, 0x4f800000, 0x4effffff, 0x3f000000, 0x40200000,
        0xbfc00000, 0x1f800000, 0x20000000, 0x5f800000, 0x0c000000, 0x33800000, 0x477ff000, 0x38800000,
    };
    switch (rnd() % 4) {
    case 0: return special[rnd() % 32];
    case 1: return rnd();
    case 2: return (rnd() & 0x807fffff) | (rnd() % 2 ? 0x3f800000 : 0x00800000 * (rnd() % 4)); /* near 1 or tiny */
    default: { /* small integers and halves */
        float f = (float)((int)(rnd() % 64) - 32) / (float)(1 + rnd() % 4);
        uint32_t u;
        memcpy(&u, &f, 4);
        return u;
    }
    }
}

static uint64_t rnd_double(void)
{
    static const uint64_t special[] = {
        0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
        0x7ff8000000000000ull, 0xfff8000000000abcull, 0x7ff0000000000001ull, 0xfff4000000000000ull,
        0x0000000000000001ull, 0x800fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull,
        0x41dfffffffc00000ull, 0xc1e0000000000000ull, 0x41efffffffe00000ull, 0x3fefffffffffffffull,
        0x0010000000000001ull, 0x47efffffe0000000ull, 0x3810000000000000ull, 0x36a0000000000000ull,
        0xc004000000000000ull, 0x4004000000000000ull, 0x3fe0000000000000ull,
    };
    switch (rnd() % 4) {
    case 0: return special[rnd() % 24];
    case 1: return (uint64_t)rnd() << 32 | rnd();
    case 2: return (((uint64_t)rnd() << 32 | rnd()) & 0x800fffffffffffffull) |
                   (rnd() % 2 ? 0x3ff0000000000000ull : 0x0010000000000000ull * (rnd() % 4));
    default: {
        double f = (double)((int)(rnd() % 64) - 32) / (double)(1 + rnd() % 4);
        uint64_t u;
        memcpy(&u, &f, 8);
        return u;
    }
    }
}

static unsigned rs(void) { return rnd() % 32; }
static unsigned rdd(void) { return rnd() % 32; }

static int gen_vfp_insn(char *p, size_t len)
{
    static const char *const bin[] = {"vadd", "vsub", "vmul", "vnmul", "vdiv", "vmla", "vmls",
                                      "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"};
    static const char *const un[] = {"vsqrt", "vabs", "vneg", "vmov"};
    bool dp = rnd() % 2;
    char t = dp ? 'd' : 's';
    const char *ft = dp ? "f64" : "f32";
    switch (rnd() % 16) {
    case 0: case 1: case 2: case 3: case 4:
        return snprintf(p, len, " %s.%s %c%u, %c%u, %c%u\n", bin[rnd() % 13], ft, t, rs(), t, rs(), t, rs());
    case 5: return snprintf(p, len, " %s.%s %c%u, %c%u\n", un[rnd() % 4], ft, t, rs(), t, rs());
    case 6: { /* compare, then the flags into APSR */
        const char *e = rnd() % 2 ? "e" : "";
        if (rnd() % 3 == 0) return snprintf(p, len, " vcmp%s.%s %c%u, #0\n vmrs APSR_nzcv, fpscr\n", e, ft, t, rs());
        return snprintf(p, len, " vcmp%s.%s %c%u, %c%u\n vmrs APSR_nzcv, fpscr\n", e, ft, t, rs(), t, rs());
    }
    case 7: /* precision */
        if (dp) return snprintf(p, len, " vcvt.f32.f64 s%u, d%u\n", rs(), rdd());
        return snprintf(p, len, " vcvt.f64.f32 d%u, s%u\n", rdd(), rs());
    case 8: { /* to integer */
        const char *r = rnd() % 2 ? "r" : "";
        const char *it = rnd() % 2 ? "s32" : "u32";
        return snprintf(p, len, " vcvt%s.%s.%s s%u, %c%u\n", r, it, ft, rs(), t, rs());
    }
    case 9: /* from integer */
        return snprintf(p, len, " vcvt.%s.%s %c%u, s%u\n", ft, rnd() % 2 ? "s32" : "u32", t, rs(), rs());
    case 10: { /* fixed point */
        unsigned size = rnd() % 2 ? 32 : 16, fb = size == 32 ? 1 + rnd() % 32 : rnd() % 17;
        if (size == 16 && fb == 0) fb = 1;
        char ty[8];
        snprintf(ty, sizeof ty, "%c%u", rnd() % 2 ? 's' : 'u', size);
        unsigned r = rs();
        if (rnd() % 2) return snprintf(p, len, " vcvt.%s.%s %c%u, %c%u, #%u\n", ty, ft, t, r, t, r, fb);
        return snprintf(p, len, " vcvt.%s.%s %c%u, %c%u, #%u\n", ft, ty, t, r, t, r, fb);
    }
    case 11: /* half precision */
        return snprintf(p, len, " vcvt%s.%s s%u, s%u\n", rnd() % 2 ? "b" : "t", rnd() % 2 ? "f16.f32" : "f32.f16", rs(),
                        rs());
    case 12: { /* immediate */
        static const char *const imm[] = {"1.0", "-2.5", "0.125", "31.0", "-0.1875", "1.9375"};
        return snprintf(p, len, " vmov.%s %c%u, #%s\n", ft, t, rs(), imm[rnd() % 6]);
    }
    case 13: /* core registers */
        switch (rnd() % 4) {
        case 0: return snprintf(p, len, " vmov r%u, s%u\n", rnd() % 11, rs());
        case 1: return snprintf(p, len, " vmov s%u, r%u\n", rs(), rnd() % 11);
        case 2: return snprintf(p, len, " vmov r%u, r%u, d%u\n", rnd() % 5, 5 + rnd() % 6, rdd());
        default: return snprintf(p, len, " vmov d%u, r%u, r%u\n", rdd(), rnd() % 11, rnd() % 11);
        }
    case 14: /* conditional */
        return snprintf(p, len, " vadd%s.%s %c%u, %c%u, %c%u\n", rnd() % 2 ? "eq" : "gt", ft, t, rs(), t, rs(), t, rs());
    default: { /* a new mode: RMode, FZ, DN, AHP and NZCV at random, flags kept */
        uint32_t v = (rnd() & 0xf7c00000u);
        return snprintf(p, len, " vmrs r12, fpscr\n and r12, r12, #0x9f\n ldr r11, =0x%x\n orr r12, r12, r11\n"
                                " vmsr fpscr, r12\n", v);
    }
    }
}

#define VFP_DUMP 308 /* d0-d31, FPSCR, APSR, r0-r10 */

/* Run the program on Loom and qemu-arm from the same start; compare. */
static bool same_as_qemu(rig *r, const char *init, char insns[][200], unsigned n, bool print)
{
    static char body[65536], src[80000];
    size_t len = (size_t)snprintf(body, sizeof body, " mov r12, #0\n msr APSR_nzcvq, r12\n adr r12, init\n vldmia r12!, {d0-d15}\n vldmia r12!, {d16-d31}\n"
                                                     " ldm r12, {r0-r11}\n ldr r12, [r12, #48]\n vmsr fpscr, r12\n");
    for (unsigned k = 0; k < n; k++) len += (size_t)snprintf(body + len, sizeof body - len, "%s", insns[k]);
    snprintf(src, sizeof src, "%s b 9f\n .ltorg\n .align 3\ninit:\n%s\n9:\n", body, init);
    r->next_code = RAM_BASE;
    jit_engine_flush(loom_sim_assoc(r->sim, &arm_guest));
    memset(r->ram, 0, CODE_LIMIT);
    memset(r->s->d, 0, sizeof r->s->d);
    load_asm(r, src);
    run_to_wfi(r);
    char dir[] = "/tmp/loom-vfpq-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/q.s", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "\t.syntax unified\n\t.arm\n\t.fpu vfpv4\n\t.global _start\n_start:\n%s"
            " adr r12, buf\n vstmia r12!, {d0-d15}\n vstmia r12!, {d16-d31}\n"
            " vmrs r11, fpscr\n str r11, [r12]\n mrs r11, APSR\n str r11, [r12, #4]\n add r12, r12, #8\n"
            " stmia r12, {r0-r10}\n"
            " mov r0, #1\n adr r1, buf\n mov r2, #%u\n mov r7, #4\n svc #0\n"
            " mov r0, #0\n mov r7, #1\n svc #0\n .ltorg\n .align 3\nbuf: .space 320\n .align 3\ninit:\n%s\n",
            body, VFP_DUMP, init);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd %s && arm-linux-gnueabihf-as -march=armv7ve -o q.o q.s && arm-linux-gnueabihf-ld -N "
             "--no-warn-rwx-segments -o q q.o && qemu-arm -cpu cortex-a15 ./q > q.out",
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/q.out", dir);
    static uint8_t out[VFP_DUMP];
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(out, 1, sizeof out, f), sizeof out);
    fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    bool same = true;
    for (unsigned k = 0; k < 32; k++) same &= r->s->d[k] == loom_get_le(out + 8 * k, 8);
    /* FPSCR: NZCV, AHP, DN, FZ, RMode and the cumulative flags (QEMU's QC,
     * Len and Stride are not modelled and never set by the programs). */
    uint32_t fp = r->s->fpscr & 0xf7c0009fu, qfp = (uint32_t)loom_get_le(out + 256, 4) & 0xf7c0009fu;
    uint32_t apsr = arm_cpsr_get(r->s) & 0xf0000000u, qapsr = (uint32_t)loom_get_le(out + 260, 4) & 0xf0000000u;
    same &= fp == qfp && apsr == qapsr;
    for (unsigned k = 0; k < 11; k++) same &= r->s->r[k] == (uint32_t)loom_get_le(out + 264 + 4 * k, 4);
    if (!same && print) {
        fprintf(stderr, "differs from qemu-arm:\n%s", body);
        for (unsigned k = 0; k < 32; k++)
            if (r->s->d[k] != loom_get_le(out + 8 * k, 8))
                fprintf(stderr, "  d%-2u loom 0x%016llx qemu 0x%016llx\n", k, (unsigned long long)r->s->d[k],
                        (unsigned long long)loom_get_le(out + 8 * k, 8));
        fprintf(stderr, "  fpscr loom 0x%08x qemu 0x%08x\n  apsr loom 0x%08x qemu 0x%08x\n", fp, qfp, apsr, qapsr);
        for (unsigned k = 0; k < 11; k++)
            if (r->s->r[k] != (uint32_t)loom_get_le(out + 264 + 4 * k, 4))
                fprintf(stderr, "  r%u loom 0x%08x qemu 0x%08x\n", k, r->s->r[k],
                        (uint32_t)loom_get_le(out + 264 + 4 * k, 4));
    }
    return same;
}

static void test_vfp_random_programs_match_qemu(void **st)
{
    SKIP_WITHOUT_AS();
    if (!have_qemu) skip();
    rnd_state = 2024;
    rig *r = rig_new();
    enum { N = 40 };
    unsigned programs = getenv("LOOM_VFP_PROGRAMS") ? (unsigned)atoi(getenv("LOOM_VFP_PROGRAMS")) : 40;
    for (unsigned prog = 0; prog < programs; prog++) {
        static char init[8192];
        size_t len = 0;
        for (unsigned k = 0; k < 32; k++) {
            if (rnd() % 2) len += (size_t)snprintf(init + len, sizeof init - len, " .quad 0x%016llx\n",
                                                   (unsigned long long)rnd_double());
            else len += (size_t)snprintf(init + len, sizeof init - len, " .word 0x%08x, 0x%08x\n", rnd_single(),
                                         rnd_single());
        }
        for (unsigned k = 0; k < 12; k++)
            len += (size_t)snprintf(init + len, sizeof init - len, " .word 0x%08x\n", rnd() % 2 ? rnd_single() : rnd());
        /* FPSCR: random NZCV, AHP, DN, FZ, RMode; flags clear. */
        snprintf(init + len, sizeof init - len, " .word 0x%08x\n", rnd() & 0xf7c00000u);
        static char insns[N][200];
        for (unsigned k = 0; k < N; k++) gen_vfp_insn(insns[k], sizeof insns[k]);
        if (same_as_qemu(r, init, insns, N, false)) continue;
        unsigned n = 1;
        while (n < N && same_as_qemu(r, init, insns, n, false)) n++;
        fprintf(stderr, "program %u: first difference after instruction %u:%s", prog, n, insns[n - 1]);
        same_as_qemu(r, init, insns, n, true);
        fail();
    }
    rig_free(r);
}

static int on_interp(void **st)
{
    backend = LOOM_JIT_INTERP;
    return 0;
}

static int on_native(void **st)
{
    backend = LOOM_JIT_NATIVE;
    return 0;
}

int main(void)
{
    have_as = system("command -v arm-linux-gnueabihf-as >/dev/null 2>&1 && "
                     "command -v arm-linux-gnueabihf-objcopy >/dev/null 2>&1") == 0;
    have_qemu = have_as &&
                system("command -v qemu-arm >/dev/null 2>&1 && command -v arm-linux-gnueabihf-ld >/dev/null 2>&1") == 0;
    if (!have_as) fprintf(stderr, "arm-linux-gnueabihf-as not found: the VFP tests are skipped\n");
    setenv("LOOM_JIT_VERIFY", "1", 0);
#define VFP_TESTS(setup)                                                   \
    cmocka_unit_test_setup(test_vfp_single_arithmetic, setup),             \
    cmocka_unit_test_setup(test_vfp_compare_and_vmrs, setup),              \
    cmocka_unit_test_setup(test_vfp_double_and_conversions, setup),        \
    cmocka_unit_test_setup(test_vfp_load_store_move, setup),               \
    cmocka_unit_test_setup(test_vfp_id_registers, setup),                  \
    cmocka_unit_test_setup(test_vfp_random_programs_match_qemu, setup)
    const struct CMUnitTest tests[] = {
        VFP_TESTS(on_interp),
        VFP_TESTS(on_native),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
