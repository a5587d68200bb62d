/* The A32 translator, instruction group by group. Reference: the ARM ARM
 * (DDI 0406C) pseudo-code, worked by hand; each expectation says why.
 * Snippets are assembled at test time by arm-linux-gnueabihf-as, loaded
 * into RAM and run until their final WFI, on both back ends. */
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
static bool have_as;

#include "arm_rig.h"

/* ARM state, unified syntax. */
static void load_asm(rig *r, const char *src) { rig_load_asm(r, "\t.syntax unified\n\t.arm", src, false); }

/* Run the loaded snippet to its final WFI. */
/* Run the loaded snippet to its final WFI. */
static void run_to_wfi(rig *r)
{
    rig_run(r);
    /* Stopped just past a WFI (literal pools may follow the last one). */
    assert_true(r->s->r[15] > r->code && r->s->r[15] <= r->code_end);
    assert_int_equal(rd32(r, r->s->r[15] - 4), 0xe320f003);
}

static void run_asm(rig *r, const char *src)
{
    load_asm(r, src);
    run_to_wfi(r);
}

/* Switch the rig's CPU to user mode over a copy of its RAM at the same
 * guest addresses (guest address a is user_mem[a]). */
static uint8_t *rig_to_user_mode(rig *r)
{
    size_t size = RAM_BASE + RAM_SIZE;
    uint8_t *mem = calloc(1, size);
    assert_non_null(mem);
    memcpy(mem + RAM_BASE, r->ram, RAM_SIZE);
    uint32_t pc = r->s->r[15];
    assert_int_equal(arm_user_init(r->cpu, mem, size), LOOM_OK);
    r->s->r[15] = pc;
    return mem;
}

static void set_nzcv(arm_state *s, unsigned nzcv)
{
    arm_cpsr_set(s, (uint32_t)nzcv << 28, 0xf0000000u);
}

static unsigned nzcv_of(const arm_state *s) { return arm_cpsr_get(s) >> 28; }

#define SKIP_WITHOUT_AS() \
    do {                  \
        if (!have_as) skip(); \
    } while (0)

/* ---- Data processing: one instruction, its result and NZCV --------------- */

typedef struct dp_case {
    const char *insn;   /* reads r1, r2; writes r0 */
    uint32_t r1, r2;
    unsigned nzcv_in;
    uint32_t r0;        /* expected result */
    unsigned nzcv;      /* expected flags */
} dp_case;

static void run_dp_cases(const dp_case *c, size_t n)
{
    rig *r = rig_new();
    for (size_t i = 0; i < n; i++) {
        load_asm(r, c[i].insn);
        r->s->r[0] = 0xdeadbeef;
        r->s->r[1] = c[i].r1;
        r->s->r[2] = c[i].r2;
        set_nzcv(r->s, c[i].nzcv_in);
        r->s->qf = 0;
        r->s->ge = 0;
        run_to_wfi(r);
        if (r->s->r[0] != c[i].r0 || nzcv_of(r->s) != c[i].nzcv)
            fprintf(stderr, "case %zu '%s': r0 0x%08x (want 0x%08x), nzcv %x (want %x)\n", i, c[i].insn, r->s->r[0],
                    c[i].r0, nzcv_of(r->s), c[i].nzcv);
        assert_int_equal(r->s->r[0], c[i].r0);
        assert_int_equal(nzcv_of(r->s), c[i].nzcv);
    }
    rig_free(r);
}

/* NZCV written as 0bNZCV. */
static void test_a32_add_sub_flags(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        /* 0x7fffffff + 1 = 0x80000000: signed overflow, no carry. */
        {"adds r0, r1, r2", 0x7fffffff, 1, 0, 0x80000000, 0x9},
        /* 0xffffffff + 1 = 0 with carry out, no overflow. */
        {"adds r0, r1, r2", 0xffffffff, 1, 0, 0, 0x6},
        /* 0x80000000 + 0x80000000 = 0: carry and overflow. */
        {"adds r0, r1, r2", 0x80000000, 0x80000000, 0, 0, 0x7},
        /* ADD without S leaves the flags alone. */
        {"add r0, r1, r2", 0xffffffff, 1, 0xf, 0, 0xf},
        /* 5 - 5 = 0: no borrow, so C = 1. */
        {"subs r0, r1, r2", 5, 5, 0, 0, 0x6},
        /* 1 - 2 = -1: a borrow, C = 0. */
        {"subs r0, r1, r2", 1, 2, 0, 0xffffffff, 0x8},
        /* 0x80000000 - 1 = 0x7fffffff: signed overflow, no borrow. */
        {"subs r0, r1, r2", 0x80000000, 1, 0, 0x7fffffff, 0x3},
        /* RSB: r2 - r1 = 3 - 1 = 2. */
        {"rsbs r0, r1, r2", 1, 3, 0, 2, 0x2},
        /* RSB immediate: 0 - 1. */
        {"rsbs r0, r1, #0", 1, 0, 0, 0xffffffff, 0x8},
        /* CMP writes no register (r0 keeps its marker): 2 - 3 borrows. */
        {"cmp r1, r2", 2, 3, 0, 0xdeadbeef, 0x8},
        /* CMN: 0xffffffff + 1 carries to zero. */
        {"cmn r1, r2", 0xffffffff, 1, 0, 0xdeadbeef, 0x6},
        /* CMP immediate equal: Z and C. */
        {"cmp r1, #42", 42, 0, 0, 0xdeadbeef, 0x6},
        /* ADC with C = 1: 0xffffffff + 0 + 1 = 0, carry out. */
        {"adcs r0, r1, r2", 0xffffffff, 0, 0x2, 0, 0x6},
        /* ADC with C = 0: plain add. */
        {"adcs r0, r1, r2", 0xffffffff, 0, 0x0, 0xffffffff, 0x8},
        /* ADC overflow: 0x7fffffff + 0 + 1. */
        {"adcs r0, r1, r2", 0x7fffffff, 0, 0x2, 0x80000000, 0x9},
        /* SBC with C = 0: 0 - 0 - 1 = -1, a borrow. */
        {"sbcs r0, r1, r2", 0, 0, 0x0, 0xffffffff, 0x8},
        /* SBC with C = 1: 5 - 3 - 0 = 2, no borrow. */
        {"sbcs r0, r1, r2", 5, 3, 0x2, 2, 0x2},
        /* SBC 0 - 0 - 0 with C = 1: zero and C set. */
        {"sbcs r0, r1, r2", 0, 0, 0x2, 0, 0x6},
        /* RSC with C = 0: r2 - r1 - 1 = 10 - 3 - 1 = 6. */
        {"rscs r0, r1, r2", 3, 10, 0x0, 6, 0x2},
        /* RSC immediate with C = 1: 0 - 0x80000000 overflows. */
        {"rscs r0, r1, #0", 0x80000000, 0, 0x2, 0x80000000, 0x9},
        /* Rotated immediate: #0x3fc = 0xff ror 30. */
        {"add r0, r1, #0x3fc", 4, 0, 0, 0x400, 0},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

static void test_a32_logical_and_shifter_carry(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        /* LSL #0 is no shift: C keeps its old value (1), V stays. */
        {"movs r0, r1", 0x80000000, 0, 0x3, 0x80000000, 0xb},
        {"movs r0, r1, lsl #0", 0x80000001, 0, 0x2, 0x80000001, 0xa},
        /* LSL #1: C is the bit shifted out (bit 31). */
        {"movs r0, r1, lsl #1", 0x80000000, 0, 0x0, 0, 0x6},
        /* LSL #31: C is bit 1. */
        {"movs r0, r1, lsl #31", 0x00000003, 0, 0x0, 0x80000000, 0xa},
        /* LSR #32 (encoded as #0): result 0, C = bit 31. */
        {"movs r0, r1, lsr #32", 0x80000001, 0, 0x0, 0, 0x6},
        /* LSR #1: C = bit 0. */
        {"movs r0, r1, lsr #1", 0x80000001, 0, 0x0, 0x40000000, 0x2},
        /* ASR #32: all sign bits, C = bit 31. */
        {"movs r0, r1, asr #32", 0x80000001, 0, 0x0, 0xffffffff, 0xa},
        /* ASR #4 of a negative number. */
        {"movs r0, r1, asr #4", 0x80000008, 0, 0x0, 0xf8000000, 0xa}, /* C = bit 3 */
        /* RRX with C = 0: shifts in 0, C = bit 0. */
        {"movs r0, r1, rrx", 0x80000001, 0, 0x0, 0x40000000, 0x2},
        /* RRX with C = 1: shifts in 1, C = bit 0 (0). */
        {"movs r0, r1, rrx", 0x00000002, 0, 0x2, 0x80000001, 0x8},
        /* ROR #4: C = bit 31 of the result. */
        {"movs r0, r1, ror #4", 0x80000001, 0, 0x0, 0x18000000, 0x0},
        {"movs r0, r1, ror #1", 0x00000001, 0, 0x0, 0x80000000, 0xa},
        /* A rotated immediate sets C from its bit 31 (0xff000000); V kept. */
        {"ands r0, r1, #0xff000000", 0x12345678, 0, 0x1, 0x12000000, 0x3},
        /* An unrotated immediate keeps C (1 here). */
        {"teq r1, #0x12", 0x12345678, 0, 0x2, 0xdeadbeef, 0x2},
        {"tst r1, #0x80", 0x12345678, 0, 0x2, 0xdeadbeef, 0x6},
        /* The logical operations. */
        {"eors r0, r1, r2", 0xff00ff00, 0x0ff00ff0, 0, 0xf0f0f0f0, 0x8},
        {"orrs r0, r1, r2", 0x0000ff00, 0x000000ff, 0, 0x0000ffff, 0},
        {"bics r0, r1, r2", 0xffffffff, 0x0000ffff, 0, 0xffff0000, 0x8},
        {"mvns r0, r1", 0xffffffff, 0, 0, 0, 0x4},
        {"and r0, r1, r2, lsl #4", 0xfff0, 0x0ff, 0, 0x0ff0, 0},
        /* Register-shifted register: amount from the bottom byte of r2. */
        {"movs r0, r1, lsl r2", 0x80000001, 0, 0x2, 0x80000001, 0xa},       /* 0: C kept */
        {"movs r0, r1, lsl r2", 0x80000001, 32, 0x0, 0, 0x6},             /* 32: C = bit 0 */
        {"movs r0, r1, lsl r2", 0x80000001, 33, 0x2, 0, 0x4},             /* 33: C = 0 */
        {"movs r0, r1, lsl r2", 0x80000001, 0x101, 0x0, 2, 0x2},          /* 0x101: by 1 */
        {"movs r0, r1, lsr r2", 0x80000001, 32, 0x0, 0, 0x6},             /* C = bit 31 */
        {"movs r0, r1, lsr r2", 0x80000001, 33, 0x2, 0, 0x4},
        {"movs r0, r1, lsr r2", 0x80000001, 255, 0x2, 0, 0x4},
        {"movs r0, r1, asr r2", 0x80000001, 33, 0x0, 0xffffffff, 0xa},    /* C = sign */
        {"movs r0, r1, asr r2", 0x40000001, 200, 0x2, 0, 0x4},
        {"movs r0, r1, ror r2", 0x80000001, 32, 0x0, 0x80000001, 0xa},    /* ror 32: C = bit 31 */
        {"movs r0, r1, ror r2", 0x80000001, 36, 0x0, 0x18000000, 0x0},    /* ror 36 = ror 4 */
        {"movs r0, r1, ror r2", 0x80000001, 0, 0x2, 0x80000001, 0xa},     /* 0: C kept */
        {"adds r0, r1, r1, lsl r2", 1, 2, 0, 5, 0},
        /* CMP with a register-shifted operand of 0xff: 0x492a2a49 - 0, no borrow. */
        {"ldr r4, =0x7fffffff\n msr APSR_nzcvq, #0x70000000\n cmplt r1, r2, lsl r4\n mov r0, #0", 0x492a2a49, 0x0bb2485a, 0, 0, 0x2},
        {"ldr r4, =0x7fffffff\n ldr r3, =0x126c4097\n ldr r5, =1\n ldr r6, =0\n ldr r7, =0x20\n ldr r8, =0x6509c32f\n ldr r9, =0xbb2485a\n ldr r10, =0x21\n ldr r11, =0x618ddb0f\n ldr r12, =0x700e0000\n msr APSR_nzcvq, r12\n msr APSR_g, r12\n cmplt r1, r2, lsl r4\n mov r0, #0", 0x492a2a49, 0x0bb2485a, 0, 0, 0x2},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

static void test_a32_multiply_divide(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        {"mul r0, r1, r2", 7, 6, 0, 42, 0},
        /* MULS sets N and Z only; C and V stay (1 and 1 here). */
        {"muls r0, r1, r2", 0x10000, 0x10000, 0x3, 0, 0x7},
        {"muls r0, r1, r2", 0xffffffff, 2, 0x0, 0xfffffffe, 0x8},
        {"mov r0, #100\n mla r0, r1, r2, r0", 3, 4, 0, 112, 0},
        {"mov r0, #100\n mls r0, r1, r2, r0", 3, 4, 0, 88, 0},
        /* UMULL: 0xffffffff^2 = 0xfffffffe_00000001; r0 gets the high word. */
        {"umull r3, r0, r1, r2", 0xffffffff, 0xffffffff, 0, 0xfffffffe, 0},
        /* SMULL: -1 * -1 = 1: high word 0. */
        {"smull r3, r0, r1, r2", 0xffffffff, 0xffffffff, 0, 0, 0},
        /* SMULL: -2 * 3 = -6: high word all ones; S sets N from bit 63. */
        {"smulls r3, r0, r1, r2", 0xfffffffe, 3, 0, 0xffffffff, 0x8},
        /* UMLAL: 1 + 0xffffffff * 1 carries into the high word. */
        {"mov r3, #1\n mov r0, #5\n umlal r3, r0, r1, r2", 0xffffffff, 1, 0, 6, 0},
        /* SMLAL: hi:lo = 0:10 + (-1 * 20) = -10: hi = -1. */
        {"mov r3, #10\n mov r0, #0\n smlal r3, r0, r1, r2", 0xffffffff, 20, 0, 0xffffffff, 0},
        /* UMULLS with a zero product: Z from all 64 bits. */
        {"umulls r3, r0, r1, r2", 0x10000, 0x10000, 0, 1, 0},
        /* UMAAL: 0xffffffff * 0xffffffff + 0xffffffff + 0xffffffff = 2^64 - 1. */
        {"mvn r3, #0\n mvn r0, #0\n umaal r3, r0, r1, r2", 0xffffffff, 0xffffffff, 0, 0xffffffff, 0},
        {"udiv r0, r1, r2", 100, 7, 0, 14, 0},
        {"sdiv r0, r1, r2", (uint32_t)-100, 7, 0, (uint32_t)-14, 0}, /* rounds toward zero */
        {"udiv r0, r1, r2", 100, 0, 0, 0, 0},                        /* x / 0 = 0 */
        {"sdiv r0, r1, r2", 100, 0, 0, 0, 0},
        {"sdiv r0, r1, r2", 0x80000000, 0xffffffff, 0, 0x80000000, 0}, /* INT_MIN / -1 */
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

static void test_a32_bit_and_byte_operations(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        {"clz r0, r1", 0x00010000, 0, 0, 15, 0},
        {"clz r0, r1", 0, 0, 0, 32, 0},
        {"rbit r0, r1", 0x00000001, 0, 0, 0x80000000, 0},
        {"rbit r0, r1", 0x12345678, 0, 0, 0x1e6a2c48, 0},
        {"rev r0, r1", 0x12345678, 0, 0, 0x78563412, 0},
        {"rev16 r0, r1", 0x12345678, 0, 0, 0x34127856, 0},
        {"revsh r0, r1", 0x12345680, 0, 0, 0xffff8056, 0},  /* 0x5680 swapped = 0x8056, sign-extended */
        {"uxtb r0, r1", 0x12345678, 0, 0, 0x78, 0},
        {"uxtb r0, r1, ror #8", 0x12345678, 0, 0, 0x56, 0},
        {"uxth r0, r1, ror #16", 0x12345678, 0, 0, 0x1234, 0},
        {"sxtb r0, r1", 0x00000080, 0, 0, 0xffffff80, 0},
        {"sxth r0, r1, ror #24", 0x34000085, 0, 0, 0xffff8534, 0}, /* low half of the rotation: byte 0 above byte 3 */
        {"uxtab r0, r2, r1, ror #24", 0x80000000, 1000, 0, 1000 + 0x80, 0},
        {"sxtah r0, r2, r1", 0x0000fffe, 10, 0, 8, 0},
        {"ubfx r0, r1, #4, #8", 0x12345678, 0, 0, 0x67, 0},
        {"sbfx r0, r1, #4, #8", 0x12345f78, 0, 0, 0xfffffff7, 0},
        {"sbfx r0, r1, #0, #32", 0x80000000, 0, 0, 0x80000000, 0},
        {"mov r0, r2\n bfi r0, r1, #8, #8", 0xabcdef12, 0xffffffff, 0, 0xffff12ff, 0},
        {"mov r0, r2\n bfc r0, #4, #24", 0, 0xffffffff, 0, 0xf000000f, 0},
        {"movw r0, #0xbeef", 0, 0, 0, 0xbeef, 0},
        {"mov r0, r1\n movt r0, #0xdead", 0x12345678, 0, 0, 0xdead5678, 0},
        /* SEL with GE = 0b0101 (set by MSR): bytes 0 and 2 from r1. */
        {"msr APSR_g, #0x00050000\n sel r0, r1, r2", 0x11223344, 0xaabbccdd, 0, 0xaa22cc44, 0},
        /* QADD saturates and sets Q (read back through MRS bit 27). */
        {"qadd r3, r1, r2\n mrs r0, APSR\n and r0, r0, #0x08000000\n orr r0, r0, r3, lsr #28", 0x7fffffff, 1, 0,
         0x08000007, 0},
        {"qsub r0, r1, r2", 0x80000000, 1, 0, 0x80000000, 0},
        {"qsub r0, r1, r2", 10, 3, 0, 7, 0},
        {"qdadd r0, r1, r2", 1, 0x40000000, 0, 0x7fffffff, 0}, /* 2 * r2 saturates, then + 1 */
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

static void test_a32_dsp_and_simd_media(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        /* UADD8: lane-wise; only lane 3 (0xff + 1) carries out, so GE = 0b1000. */
        {"uadd8 r0, r1, r2", 0xff010203, 0x01010101, 0, 0x00020304, 0},
        {"uadd8 r3, r1, r2\n mrs r0, APSR", 0xff010203, 0x01010101, 0, 0x00080010, 0},
        /* SSUB16: 5 - 7 = -2 (GE lanes 1:0 clear), 0 - (-1) = 1 (GE 3:2 set). */
        {"ssub16 r0, r1, r2", 0x00000005, 0xffff0007, 0, 0x0001fffe, 0},
        {"ssub16 r3, r1, r2\n mrs r0, APSR", 0x00000005, 0xffff0007, 0, 0x000c0010, 0},
        /* UQSUB8 saturates at 0; UHADD16 halves. */
        {"uqsub8 r0, r1, r2", 0x10203040, 0x20102010, 0, 0x00101030, 0},
        {"uhadd16 r0, r1, r2", 0xffff0003, 0xffff0001, 0, 0xffff0002, 0},
        /* SSAT to 8 bits: 300 -> 127 and Q set; USAT of a negative -> 0. */
        {"ssat r3, #8, r1\n mrs r0, APSR\n orr r0, r0, r3", 300, 0, 0, 0x0800007f | 0x10, 0},
        {"usat r0, #8, r1", (uint32_t)-5, 0, 0, 0, 0},
        {"ssat r0, #16, r1, asr #4", 0x00012345, 0, 0, 0x1234, 0},
        {"usat16 r0, #4, r1", 0xfff00020, 0, 0, 0x0000000f, 0},
        /* Halfword multiplies: -2 * 7 (bottoms), 3 * 5 (tops). */
        {"smulbb r0, r1, r2", 0x0003fffe, 0x00050007, 0, 0xfffffff2, 0},
        {"smultt r0, r1, r2", 0x0003fffe, 0x00050007, 0, 15, 0},
        {"mov r0, #100\n smlabt r0, r1, r2, r0", 0x0003fffe, 0x00050007, 0, 90, 0},
        /* SMULWB: (0x40000000 * 4) >> 16 = 0x10000. */
        {"smulwb r0, r1, r2", 0x40000000, 0x00000004, 0, 0x10000, 0},
        /* SMUAD: -2*7 + 3*5 = 1; SMUSD: -14 - 15 = -29; SMUADX: -2*5 + 3*7 = 11. */
        {"smuad r0, r1, r2", 0x0003fffe, 0x00050007, 0, 1, 0},
        {"smusd r0, r1, r2", 0x0003fffe, 0x00050007, 0, (uint32_t)-29, 0},
        {"smuadx r0, r1, r2", 0x0003fffe, 0x00050007, 0, 11, 0},
        /* SMMUL: the high word of 0x40000000 * 4 = 2^32; SMMULR rounds. */
        {"smmul r0, r1, r2", 0x40000000, 4, 0, 1, 0},
        {"smmulr r0, r1, r2", 0x40000000, 2, 0, 1, 0},
        {"smmul r0, r1, r2", 0x40000000, 2, 0, 0, 0},
        /* USAD8: |1-4| + |2-3| + |3-2| + |4-1| = 8. */
        {"usad8 r0, r1, r2", 0x01020304, 0x04030201, 0, 8, 0},
        /* SMLALBB: hi:lo = 0:0 + (-2 * 7) = -14. */
        {"mov r3, #0\n mov r0, #0\n smlalbb r3, r0, r1, r2", 0x0003fffe, 0x00050007, 0, 0xffffffff, 0},
        {"pkhbt r0, r1, r2, lsl #16", 0x1111aaaa, 0x0000bbbb, 0, 0xbbbbaaaa, 0},
        {"pkhtb r0, r1, r2, asr #16", 0x1111aaaa, 0xbbbb0000, 0, 0x1111bbbb, 0},
        {"uxtb16 r0, r1", 0x11223344, 0, 0, 0x00220044, 0},
        /* ror 8 gives 0x33801122: bytes 0x22 and 0x80 -> 0x0022 and 0xff80, plus 1 each. */
        {"sxtab16 r0, r2, r1, ror #8", 0x80112233, 0x00010001, 0, 0xff810023, 0},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

static void test_a32_mrs_msr_apsr(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        /* MRS: NZCV at 31..28, User mode (0x10) in the low bits. */
        {"mrs r0, APSR", 0, 0, 0xa, 0xa0000010, 0xa},
        /* MSR APSR_nzcvq writes the flags (and Q). */
        {"msr APSR_nzcvq, r1\n mrs r0, APSR", 0x58000000, 0, 0, 0x58000010, 0x5},
        {"msr APSR_nzcvq, #0xf0000000", 0, 0, 0, 0xdeadbeef, 0xf},
        /* MSR APSR_g writes GE only (bits 19:16). */
        {"msr APSR_g, r1\n mrs r0, APSR", 0xf00f0000, 0, 0x1, 0x100f0010, 0x1},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

/* ---- Conditional execution ---------------------------------------------------- */

/* ARM ARM A8.3, table A8-1, straight from the definitions. */
static bool cond_holds(unsigned cond, unsigned nzcv)
{
    bool n = nzcv & 8, z = nzcv & 4, c = nzcv & 2, v = nzcv & 1, r;
    switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = !z && n == v; break;
    default: return true;
    }
    return (cond & 1) ? !r : r;
}

static const char *const cond_names[14] = {"eq", "ne", "cs", "cc", "mi", "pl", "vs",
                                           "vc", "hi", "ls", "ge", "lt", "gt", "le"};

/* Every condition against every NZCV: a register write, a store, a load
 * with writeback and a branch, each executed exactly when the condition
 * holds. */
static void test_a32_conditions_all_flags(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    for (unsigned cond = 0; cond < 14; cond++) {
        char src[512];
        const char *cc = cond_names[cond];
        snprintf(src, sizeof src,
                 " mov r0, #0\n"
                 " mov%s r0, #1\n"
                 " str%s r5, [r6]\n"
                 " ldr%s r7, [r8], #4\n"
                 " b%s 1f\n"
                 " mov r9, #1\n"
                 " b 2f\n"
                 "1: mov r9, #2\n"
                 "2: adds%s r10, r10, #0\n",
                 cc, cc, cc, cc, cc);
        load_asm(r, src);
        uint32_t start = r->code;
        for (unsigned f = 0; f < 16; f++) {
            bool yes = cond_holds(cond, f);
            r->s->r[15] = start;
            r->s->r[5] = 0x1234;
            r->s->r[6] = DATA;
            r->s->r[8] = DATA + 16;
            r->s->r[7] = 0;
            r->s->r[10] = 0; /* ADDS of 0 + 0 gives Z=1, C=0, V=0, N=0 */
            wr32(r, DATA, 0);
            wr32(r, DATA + 16, 0x5678);
            set_nzcv(r->s, f);
            run_to_wfi(r);
            assert_int_equal(r->s->r[0], yes ? 1 : 0);
            assert_int_equal(rd32(r, DATA), yes ? 0x1234 : 0);
            assert_int_equal(r->s->r[7], yes ? 0x5678 : 0);
            assert_int_equal(r->s->r[8], yes ? DATA + 20 : DATA + 16);
            assert_int_equal(r->s->r[9], yes ? 2 : 1);
            assert_int_equal(nzcv_of(r->s), yes ? 0x4 : f);
        }
    }
    rig_free(r);
}

/* ---- Loads and stores ------------------------------------------------------------- */

static void test_a32_load_store_addressing_modes(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    for (unsigned i = 0; i < 16; i++) wr32(r, DATA + 4 * i, 0x11111111u * i);
    r->s->r[1] = DATA;
    r->s->r[2] = 0xcafef00d;
    r->s->r[3] = 2;
    run_asm(r,
            " str r2, [r1, #8]\n"          /* [DATA+8] = r2, r1 unchanged */
            " ldr r4, [r1, #12]!\n"        /* pre-indexed with writeback: r1 = DATA+12 */
            " ldr r5, [r1], #-8\n"         /* post-indexed: loads DATA+12, r1 = DATA+4 */
            " ldr r6, [r1, r3, lsl #2]\n"  /* DATA+4+8 = DATA+12 */
            " ldr r7, [r1, -r3, lsl #1]!\n"/* DATA+4-4 = DATA, writeback */
            " ldrb r8, [r1, #9]\n"         /* byte 1 of the word r2 stored: 0xf0 */
            " strb r3, [r1, #20]\n"        /* low byte of [DATA+20] = 2 */
            " ldr r9, [r1, #1]\n"          /* unaligned: bytes 1..4 of DATA */
            " ldr r10, =0x87654321\n"      /* a literal: pc-relative, pc reads + 8 */
            " ldrb r11, [r1], r3\n"        /* post-indexed register: r1 = DATA+2 */
            " sub r1, r1, #2\n");
    assert_int_equal(rd32(r, DATA + 8), 0xcafef00d);
    assert_int_equal(r->s->r[4], 0x33333333);
    assert_int_equal(r->s->r[5], 0x33333333);
    assert_int_equal(r->s->r[6], 0x33333333);
    assert_int_equal(r->s->r[7], 0);
    assert_int_equal(r->s->r[8], 0xf0);
    assert_int_equal(rd32(r, DATA + 20), 0x55555502);
    assert_int_equal(r->s->r[9], 0x11000000); /* bytes 00 00 00 | 11 */
    assert_int_equal(r->s->r[10], 0x87654321);
    assert_int_equal(r->s->r[11], 0x00);
    assert_int_equal(r->s->r[1], DATA);
    rig_free(r);
}

static void test_a32_halfword_signed_and_dual(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    wr32(r, DATA, 0x80ff7f01);
    wr32(r, DATA + 4, 0x12345678);
    r->s->r[1] = DATA;
    r->s->r[2] = 2;
    r->s->r[12] = 0xabcd9876;
    run_asm(r,
            " ldrh r3, [r1, #2]\n"        /* 0x80ff */
            " ldrsh r4, [r1, #2]\n"       /* 0xffff80ff */
            " ldrsb r5, [r1, #3]\n"       /* 0x80 -> 0xffffff80 */
            " ldrsb r6, [r1, r2]\n"       /* byte 2 = 0xff -> -1 */
            " ldrh r7, [r1], #4\n"        /* post-indexed: 0x7f01, r1 = DATA+4 */
            " strh r12, [r1, #4]!\n"      /* [DATA+8] low half = 0x9876, r1 = DATA+8 */
            " ldrd r8, r9, [r1, #-8]\n"   /* DATA, DATA+4 */
            " strd r8, r9, [r1, #8]\n"    /* to DATA+16, DATA+20 */
            " ldrsh r10, [r1, -r2]!\n"    /* DATA+6: 0x1234, r1 = DATA+6 */
            " ldrd r2, r3, [r1, #10]\n"); /* DATA+16: the pair stored above (overwrites r2, r3) */
    assert_int_equal(r->s->r[4], 0xffff80ff);
    assert_int_equal(r->s->r[5], 0xffffff80);
    assert_int_equal(r->s->r[6], 0xffffffff);
    assert_int_equal(r->s->r[7], 0x7f01);
    assert_int_equal(rd32(r, DATA + 8) & 0xffff, 0x9876);
    assert_int_equal(r->s->r[8], 0x80ff7f01);
    assert_int_equal(r->s->r[9], 0x12345678);
    assert_int_equal(rd32(r, DATA + 16), 0x80ff7f01);
    assert_int_equal(rd32(r, DATA + 20), 0x12345678);
    assert_int_equal(r->s->r[10], 0x1234);
    assert_int_equal(r->s->r[1], DATA + 6);
    assert_int_equal(r->s->r[2], 0x80ff7f01);
    assert_int_equal(r->s->r[3], 0x12345678);
    rig_free(r);
}

static void test_a32_ldm_stm_all_modes(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    for (unsigned i = 0; i < 8; i++) r->s->r[i + 2] = 0x100 + i;
    r->s->r[0] = DATA + 0x40;
    r->s->r[1] = DATA + 0x80;
    run_asm(r,
            " stmia r0!, {r2, r3}\n"   /* DATA+0x40, 0x44; r0 = DATA+0x48 */
            " stmib r0!, {r4, r5}\n"   /* DATA+0x4c, 0x50; r0 = DATA+0x50 */
            " stmda r1!, {r6, r7}\n"   /* DATA+0x7c, 0x80; r1 = DATA+0x78 */
            " stmdb r1!, {r8, r9}\n"   /* DATA+0x70, 0x74; r1 = DATA+0x70 */
            " ldmdb r0!, {r10, r11}\n" /* DATA+0x48 (0), 0x4c (r4) ; r0 = DATA+0x48 */
            " ldmia r1, {r2-r5}\n");   /* DATA+0x70..0x7c: r8 r9 0 r6, no writeback */
    assert_int_equal(rd32(r, DATA + 0x40), 0x100);
    assert_int_equal(rd32(r, DATA + 0x44), 0x101);
    assert_int_equal(rd32(r, DATA + 0x4c), 0x102);
    assert_int_equal(rd32(r, DATA + 0x50), 0x103);
    assert_int_equal(rd32(r, DATA + 0x7c), 0x104);
    assert_int_equal(rd32(r, DATA + 0x80), 0x105);
    assert_int_equal(rd32(r, DATA + 0x70), 0x106);
    assert_int_equal(rd32(r, DATA + 0x74), 0x107);
    assert_int_equal(r->s->r[0], DATA + 0x48);
    assert_int_equal(r->s->r[1], DATA + 0x70);
    assert_int_equal(r->s->r[10], 0);
    assert_int_equal(r->s->r[11], 0x102);
    assert_int_equal(r->s->r[2], 0x106);
    assert_int_equal(r->s->r[3], 0x107);
    assert_int_equal(r->s->r[4], 0);
    assert_int_equal(r->s->r[5], 0x104);
    /* LDMDA with writeback. */
    r->s->r[0] = DATA + 0x44;
    run_asm(r, " ldmda r0!, {r6, r7}\n"); /* DATA+0x40, 0x44; r0 = DATA+0x3c */
    assert_int_equal(r->s->r[6], 0x100);
    assert_int_equal(r->s->r[7], 0x101);
    assert_int_equal(r->s->r[0], DATA + 0x3c);
    rig_free(r);
}

/* A call and return through the stack: PUSH/POP with PC in the list. */
static void test_a32_call_return_push_pop_pc(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->s->r[13] = DATA + 0x100;
    run_asm(r,
            " mov r4, #7\n"
            " bl f\n"
            " mov r1, #2\n"
            " b done\n"
            "f: push {r4, lr}\n"
            " mov r4, #99\n"
            " mov r0, #1\n"
            " pop {r4, pc}\n"
            "done:\n");
    assert_int_equal(r->s->r[0], 1);
    assert_int_equal(r->s->r[1], 2);
    assert_int_equal(r->s->r[4], 7);           /* restored by POP */
    assert_int_equal(r->s->r[13], DATA + 0x100);
    assert_int_equal(r->s->r[14], r->code + 8); /* BL at code+4 */
    assert_int_equal(rd32(r, DATA + 0xfc), r->code + 8); /* LR pushed at the top */
    assert_int_equal(r->s->thumb, 0);
    rig_free(r);
}

static void test_a32_bx_blx_and_pc_writes(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    run_asm(r,
            " adr r2, g\n"
            " blx r2\n"            /* to ARM: bit 0 clear; LR = next */
            " mov r6, lr\n"
            " add pc, pc, #4\n"    /* pc reads as this + 8: skips two instructions */
            " mov r7, #1\n"
            " mov r7, #2\n"
            " mov r8, #3\n"
            " mov r9, pc\n"        /* this + 8 */
            " sub r9, r9, r10\n"   /* minus the address of the mov: 8 */
            " b done\n"
            "g: mov r5, #5\n"
            " adr r10, h\n"
            " bx lr\n"
            "h: .word 0\n"
            "done:\n");
    assert_int_equal(r->s->r[5], 5);
    assert_int_equal(r->s->r[6], r->code + 8);
    assert_int_equal(r->s->r[7], 0);
    assert_int_equal(r->s->r[8], 3);
    /* r10 = h, r9 = (address of "mov r9, pc" + 8) - h. */
    uint32_t mov_at = r->code + 7 * 4;
    assert_int_equal(r->s->r[9], mov_at + 8 - r->s->r[10]);
    /* MOV pc, lr returns. */
    run_asm(r,
            " bl f2\n"
            " b done2\n"
            "f2: mov r0, #11\n"
            " mov pc, lr\n"
            "done2:\n");
    assert_int_equal(r->s->r[0], 11);
    rig_free(r);
}

/* Interworking into Thumb: the state switches and the block ends; the run
 * stops just after (budget) so no Thumb code runs here. */
static void test_a32_interworking_to_thumb(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    /* BX to an odd address. */
    load_asm(r, " adr r0, t1\n add r0, r0, #1\n bx r0\n t1: .word 0\n");
    loom_cpu_run(r->cpu, 3);
    assert_int_equal(r->s->thumb, 1);
    assert_int_equal(r->s->key_flags & 1, 1);
    assert_int_equal(r->s->r[15], r->code + 12);
    assert_int_equal(arm_cpsr_get(r->s) & 0x20, 0x20); /* T bit */
    /* BLX <label> always goes to Thumb; LR is the next ARM instruction. */
    r->s->thumb = 0;
    r->s->key_flags = 0;
    load_asm(r, " nop\n blx t2\n nop\n .thumb\n t2: nop\n");
    loom_cpu_run(r->cpu, 2);
    assert_int_equal(r->s->thumb, 1);
    assert_int_equal(r->s->key_flags & 1, 1);
    assert_int_equal(r->s->r[14], r->code + 8);
    assert_int_equal(r->s->r[15], r->code + 12);
    /* POP {pc} with bit 0 set returns to Thumb. */
    r->s->thumb = 0;
    r->s->key_flags = 0;
    wr32(r, DATA, 0x12345679);
    r->s->r[13] = DATA;
    load_asm(r, " pop {pc}\n");
    loom_cpu_run(r->cpu, 1);
    assert_int_equal(r->s->thumb, 1);
    assert_int_equal(r->s->r[15], 0x12345678);
    assert_int_equal(r->s->r[13], DATA + 4);
    rig_free(r);
}

/* ---- Exclusives ---------------------------------------------------------------------- */

static void test_a32_ldrex_strex(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    wr32(r, DATA, 41);
    wr32(r, DATA + 8, 0x11223344);
    wr32(r, DATA + 12, 0x55667788);
    r->s->r[1] = DATA;
    run_asm(r,
            " ldrex r0, [r1]\n"
            " add r0, r0, #1\n"
            " strex r2, r0, [r1]\n"     /* succeeds: r2 = 0, [DATA] = 42 */
            " strex r3, r0, [r1]\n"     /* the monitor was cleared: r3 = 1 */
            " ldrex r4, [r1]\n"
            " clrex\n"
            " strex r5, r4, [r1]\n"     /* cleared by CLREX: r5 = 1 */
            " ldrex r4, [r1]\n"
            " strex r6, r4, [r1, #0]\n" /* same address, same value: 0 */
            " add r7, r1, #8\n"
            " ldrexd r8, r9, [r7]\n"
            " add r8, r8, #1\n"
            " strexd r10, r8, r9, [r7]\n" /* 0 */
            " ldrexb r11, [r7]\n"          /* 0x45 */
            " add r11, r11, #1\n"
            " strexb r12, r11, [r7]\n");  /* 0 */
    assert_int_equal(r->s->r[2], 0);
    assert_int_equal(rd32(r, DATA), 42);
    assert_int_equal(r->s->r[3], 1);
    assert_int_equal(r->s->r[5], 1);
    assert_int_equal(r->s->r[6], 0);
    assert_int_equal(r->s->r[10], 0);
    assert_int_equal(r->s->r[12], 0);
    assert_int_equal(rd32(r, DATA + 8), 0x11223346);
    assert_int_equal(rd32(r, DATA + 12), 0x55667788);
    assert_int_equal(r->s->excl_valid, 0);
    /* Failure: another store changed the value in between (value-based
     * monitor), or the address differs. */
    r->s->r[1] = DATA;
    r->s->r[6] = 1000;
    run_asm(r,
            " ldrex r0, [r1]\n"
            " str r6, [r1]\n"
            " strex r2, r0, [r1]\n"      /* memory holds 1000, not 42: fails */
            " ldrex r0, [r1]\n"
            " add r3, r1, #4\n"
            " strex r4, r0, [r3]\n"      /* other address: fails */
            " ldrexh r5, [r1]\n"
            " strexh r7, r6, [r1]\n");   /* 0 */
    assert_int_equal(r->s->r[2], 1);
    assert_int_equal(r->s->r[4], 1);
    assert_int_equal(rd32(r, DATA), 1000);
    assert_int_equal(rd32(r, DATA + 4), 0);
    assert_int_equal(r->s->r[5], 1000);
    assert_int_equal(r->s->r[7], 0);
    rig_free(r);
}

/* SWP, barriers and hints run; barriers are fences, hints nothing. */
static void test_a32_swp_barriers_hints(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    wr32(r, DATA, 0xaaaa5555);
    r->s->r[1] = DATA;
    r->s->r[2] = 0x12345678;
    r->s->r[13] = 0x1000;
    run_asm(r,
            " .word 0xe1013092\n"                /* SWP r3, r2, [r1] (deprecated: gas refuses it) */
            " dmb ish\n dsb sy\n isb\n nop\n yield\n sev\n wfe\n" /* WFE takes SEV's event */
            " pld [r1]\n"
            " mcr p15, 0, r0, c7, c10, 5\n"   /* CP15DMB */
            " mov r4, #9\n"
            " mcr p15, 0, r4, c13, c0, 2\n"   /* TPIDRURW */
            " mrc p15, 0, r5, c13, c0, 2\n"
            " mrc p15, 0, r6, c13, c0, 3\n"); /* TPIDRURO */
    assert_int_equal(r->s->r[3], 0xaaaa5555);
    assert_int_equal(rd32(r, DATA), 0x12345678);
    assert_int_equal(r->s->r[5], 9);
    assert_int_equal(r->s->tpidrurw, 9);
    assert_int_equal(r->s->r[6], 0);
    rig_free(r);
}

/* Conditional writes to the pc: the skipped path continues after them. */
static void test_a32_conditional_pc_writes_and_loops(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->s->r[13] = DATA + 0x100;
    run_asm(r,
            " mov r0, #0\n"
            " mov r1, #10\n"
            "1: add r0, r0, r1\n"        /* a loop: 10 + 9 + ... + 1 = 55 */
            " subs r1, r1, #1\n"
            " bne 1b\n"
            " mov r2, #0\n"
            " bl f\n"                    /* f returns through moveq pc, lr */
            " mov r3, #0\n"
            " bl g\n"                    /* g returns through popne, then ldr pc */
            " b done\n"
            "f: cmp r2, #1\n"
            " moveq pc, lr\n"            /* not taken: r2 = 0 */
            " add r2, r2, #1\n"
            " cmp r2, #1\n"
            " moveq pc, lr\n"            /* taken */
            " mov r2, #99\n"
            "g: push {lr}\n"
            " cmp r3, #0\n"
            " popne {pc}\n"              /* not taken */
            " add r3, r3, #5\n"
            " ldr pc, [sp], #4\n"        /* LDR to the pc: a return */
            "done:\n");
    assert_int_equal(r->s->r[0], 55);
    assert_int_equal(r->s->r[1], 0);
    assert_int_equal(r->s->r[2], 1);
    assert_int_equal(r->s->r[3], 5);
    assert_int_equal(r->s->r[13], DATA + 0x100);
    rig_free(r);
}

/* ---- Random programs against qemu-arm ----------------------------------------------- */

/* Random integer instructions, run by Loom and by qemu-arm (the
 * distribution's, user mode) from the same start state; r0-r11 and the
 * APSR (NZCVQ, GE) must agree at the end. */
static uint32_t rnd_state;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1664525u + 1013904223u;
    return rnd_state >> 8 ^ rnd_state << 13;
}
static unsigned rr(void) { return rnd() % 11; } /* r0-r10: r11 is the memory base */

/* Loads and stores through r11, which points into a scratch area; data
 * registers r0-r10. Write-back moves r11 by multiples of 4 so that LDRD and
 * LDM stay aligned. */
static int gen_mem_insn(char *p, size_t len, const char *cc)
{
    static const char *const ls[] = {"ldr", "str", "ldrb", "strb", "ldrh", "strh", "ldrsb", "ldrsh"};
    unsigned t = rnd() % 11, k = rnd() % 8;
    const char *sign = rnd() % 2 ? "-" : "";
    switch (rnd() % 6) {
    case 0: /* offset: any alignment */
        return snprintf(p, len, " %s%s r%u, [r11, #%s%u]\n", ls[k], cc, t, sign, rnd() % 64);
    case 1: /* pre-indexed with write-back */
        return snprintf(p, len, " %s%s r%u, [r11, #%s%u]!\n", ls[k], cc, t, sign, 4 * (rnd() % 8));
    case 2: /* post-indexed */
        return snprintf(p, len, " %s%s r%u, [r11], #%s%u\n", ls[k], cc, t, sign, 4 * (rnd() % 8));
    case 3: { /* register offset, scaled: r11 + small multiple of 4 through r12 */
        if (k >= 4) /* the halfword and signed forms take no shift */
            return snprintf(p, len, " mov%s r12, #%u\n %s%s r%u, [r11, %sr12]\n", cc, rnd() % 64, ls[k], cc, t, sign);
        return snprintf(p, len, " mov%s r12, #%u\n %s%s r%u, [r11, %sr12, lsl #%u]\n", cc, rnd() % 16, ls[k], cc, t,
                        sign, rnd() % 3);
    }
    case 4: { /* doubleword */
        unsigned e = 2 * (rnd() % 5);
        return snprintf(p, len, " %s%s r%u, r%u, [r11, #%s%u]%s\n", rnd() % 2 ? "ldrd" : "strd", cc, e, e + 1, sign,
                        4 * (rnd() % 8), rnd() % 2 ? "!" : "");
    }
    default: { /* block transfers */
        static const char *const modes[] = {"ia", "ib", "da", "db"};
        unsigned list = rnd() & 0x7ff;
        if (!list) list = 1;
        char regs[64];
        size_t rl = 0;
        for (unsigned r = 0; r < 11; r++)
            if (list & (1u << r)) rl += (size_t)snprintf(regs + rl, sizeof regs - rl, "%sr%u", rl ? ", " : "", r);
        return snprintf(p, len, " %s%s%s r11%s, {%s}\n", rnd() % 2 ? "ldm" : "stm", modes[rnd() % 4], cc,
                        rnd() % 2 ? "!" : "", regs);
    }
    }
}

/* The DSP and SIMD-within-a-register instructions. */
static int gen_media_insn(char *p, size_t len, const char *cc)
{
    static const char *const pre[] = {"s", "q", "sh", "u", "uq", "uh"};
    static const char *const par[] = {"add16", "asx", "sax", "sub16", "add8", "sub8"};
    static const char *const mul3[] = {"smulbb", "smulbt", "smultb", "smultt", "smulwb", "smulwt", "smuad",
                                       "smuadx", "smusd", "smusdx", "smmul", "smmulr", "usad8"};
    static const char *const mul4[] = {"smlabb", "smlabt", "smlatb", "smlatt", "smlawb", "smlawt", "smlad",
                                       "smladx", "smlsd", "smlsdx", "smmla", "smmlar", "smmls", "smmlsr", "usada8"};
    static const char *const mull[] = {"smlalbb", "smlalbt", "smlaltb", "smlaltt", "smlald", "smlaldx", "smlsld",
                                       "smlsldx"};
    unsigned d = rr(), n = rr(), m = rr(), a = rr();
    switch (rnd() % 8) {
    case 0: case 1:
        return snprintf(p, len, " %s%s%s r%u, r%u, r%u\n", pre[rnd() % 6], par[rnd() % 6], cc, d, n, m);
    case 2: {
        bool u = rnd() % 2, asr = rnd() % 2;
        unsigned w = u ? rnd() % 32 : 1 + rnd() % 32, sh = asr ? 1 + rnd() % 32 : rnd() % 32;
        return snprintf(p, len, " %s%s r%u, #%u, r%u, %s #%u\n", u ? "usat" : "ssat", cc, d, w, n, asr ? "asr" : "lsl",
                        sh);
    }
    case 3: {
        bool u = rnd() % 2;
        return snprintf(p, len, " %s%s r%u, #%u, r%u\n", u ? "usat16" : "ssat16", cc, d, u ? rnd() % 16 : 1 + rnd() % 16, n);
    }
    case 4:
        if (rnd() % 2) return snprintf(p, len, " pkhbt%s r%u, r%u, r%u, lsl #%u\n", cc, d, n, m, rnd() % 32);
        return snprintf(p, len, " pkhtb%s r%u, r%u, r%u, asr #%u\n", cc, d, n, m, 1 + rnd() % 32);
    case 5:
        if (rnd() % 2) return snprintf(p, len, " %s%s r%u, r%u, ror #%u\n", rnd() % 2 ? "sxtb16" : "uxtb16", cc, d, m, 8 * (rnd() % 4));
        return snprintf(p, len, " %s%s r%u, r%u, r%u, ror #%u\n", rnd() % 2 ? "sxtab16" : "uxtab16", cc, d, n, m, 8 * (rnd() % 4));
    case 6:
        if (rnd() % 2) return snprintf(p, len, " %s%s r%u, r%u, r%u\n", mul3[rnd() % 13], cc, d, n, m);
        return snprintf(p, len, " %s%s r%u, r%u, r%u, r%u\n", mul4[rnd() % 15], cc, d, n, m, a);
    default: {
        unsigned hi = (d + 1 + rnd() % 10) % 11;
        return snprintf(p, len, " %s%s r%u, r%u, r%u, r%u\n", mull[rnd() % 8], cc, d, hi, n, m);
    }
    }
}

static int gen_insn(char *p, size_t len)
{
    static const char *const conds[] = {"eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
                                        "hi", "ls", "ge", "lt", "gt", "le", "", ""};
    static const char *const dp[] = {"and", "eor", "sub", "rsb", "add", "adc", "sbc", "rsc", "orr", "bic"};
    static const char *const cmp[] = {"tst", "teq", "cmp", "cmn"};
    static const char *const sh[] = {"lsl", "lsr", "asr", "ror"};
    const char *cc = conds[rnd() % 16];
    const char *s = rnd() % 2 ? "s" : "";
    char op2[64];
    switch (rnd() % 5) {
    case 0: snprintf(op2, sizeof op2, "#0x%x", (rnd() & 0xff) << (2 * (rnd() % 12))); break;
    case 1: snprintf(op2, sizeof op2, "r%u", rr()); break;
    case 2: {
        unsigned t = rnd() % 5;
        if (t == 4) snprintf(op2, sizeof op2, "r%u, rrx", rr());
        else snprintf(op2, sizeof op2, "r%u, %s #%u", rr(), sh[t], t == 0 || t == 3 ? 1 + rnd() % 31 : 1 + rnd() % 32);
        break;
    }
    default: snprintf(op2, sizeof op2, "r%u, %s r%u", rr(), sh[rnd() % 4], rr()); break;
    }
    unsigned d = rr(), n = rr(), m = rr(), a = rr();
    if (rnd() % 4 == 0) return gen_mem_insn(p, len, cc);
    if (rnd() % 4 == 0) return gen_media_insn(p, len, cc);
    switch (rnd() % 12) {
    case 0: case 1: case 2: case 3:
        return snprintf(p, len, " %s%s%s r%u, r%u, %s\n", dp[rnd() % 10], s, cc, d, n, op2);
    case 4: return snprintf(p, len, " %s%s%s r%u, %s\n", rnd() % 2 ? "mov" : "mvn", s, cc, d, op2);
    case 5: return snprintf(p, len, " %s%s r%u, %s\n", cmp[rnd() % 4], cc, n, op2);
    case 6: {
        static const char *const mul[] = {"umull", "smull", "umlal", "smlal"};
        unsigned hi = (d + 1 + rnd() % 10) % 11;
        if (rnd() % 2) return snprintf(p, len, " %s%s%s r%u, r%u, r%u, r%u\n", mul[rnd() % 4], s, cc, d, hi, n, m);
        return snprintf(p, len, " mla%s%s r%u, r%u, r%u, r%u\n", s, cc, d, n, m, a);
    }
    case 7: {
        static const char *const un[] = {"clz", "rbit", "rev", "rev16", "revsh", "uxtb", "uxth", "sxtb", "sxth"};
        return snprintf(p, len, " %s%s r%u, r%u\n", un[rnd() % 9], cc, d, m);
    }
    case 8: {
        static const char *const ext[] = {"uxtab", "uxtah", "sxtab", "sxtah"};
        return snprintf(p, len, " %s%s r%u, r%u, r%u, ror #%u\n", ext[rnd() % 4], cc, d, n, m, 8 * (rnd() % 4));
    }
    case 9: {
        unsigned lsb = rnd() % 32, w = 1 + rnd() % (32 - lsb);
        static const char *const bf[] = {"ubfx", "sbfx", "bfi"};
        unsigned k = rnd() % 4;
        if (k == 3) return snprintf(p, len, " bfc%s r%u, #%u, #%u\n", cc, d, lsb, w);
        return snprintf(p, len, " %s%s r%u, r%u, #%u, #%u\n", bf[k], cc, d, n, lsb, w);
    }
    case 10: {
        static const char *const q[] = {"qadd", "qsub", "qdadd", "qdsub", "sel", "udiv", "sdiv", "mul"};
        return snprintf(p, len, " %s%s r%u, r%u, r%u\n", q[rnd() % 8], cc, d, n, m);
    }
    default:
        return snprintf(p, len, " movw%s r%u, #%u\n movt%s r%u, #%u\n", cc, d, rnd() & 0xffff, cc, n, rnd() & 0xffff);
    }
}

static bool have_qemu;

/* Run prologue + the first n instructions on Loom and on qemu-arm; true if
 * r0-r11 and the APSR agree (printed when print is set). */
#define SCRATCH 4096

/* Run prologue + the first n instructions on Loom and on qemu-arm; true if
 * r0-r11 (r11 relative to the scratch area), the APSR (NZCVQ, GE) and the
 * scratch area agree (the differences printed when print is set). The
 * scratch area sits in the program (linked -N: writable text), so one
 * source serves both. */
static bool same_as_qemu(rig *r, const char *prologue, char insns[][96], unsigned n, bool print)
{
    char body[16384], src[20000];
    size_t len = (size_t)snprintf(body, sizeof body, "%s adrl r11, scratch + %u\n", prologue, SCRATCH / 2);
    for (unsigned k = 0; k < n; k++) len += (size_t)snprintf(body + len, sizeof body - len, "%s", insns[k]);
    snprintf(body + len, sizeof body - len, " adrl r12, scratch\n sub r11, r11, r12\n");
    const char *tail = " b 9f\n .ltorg\n .align 4\nscratch: .space " "4096" "\n9:\n";
    /* Loom: the same addresses again each time, translated code dropped. */
    r->next_code = RAM_BASE;
    jit_engine_flush(loom_sim_assoc(r->sim, &arm_guest));
    memset(r->ram, 0, CODE_LIMIT);
    snprintf(src, sizeof src, "%s%s", body, tail);
    load_asm(r, src);
    run_to_wfi(r);
    char dir[] = "/tmp/loom-a32q-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/q.s", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "\t.syntax unified\n\t.arm\n\t.global _start\n_start:\n%s"
            " adrl r12, buf\n stmia r12, {r0-r11}\n mrs r0, APSR\n str r0, [r12, #48]\n"
            " mov r0, #1\n mov r1, r12\n mov r2, #52\n mov r7, #4\n svc #0\n"
            " mov r0, #1\n adrl r1, scratch\n mov r2, #%u\n mov r7, #4\n svc #0\n"
            " mov r0, #0\n mov r7, #1\n svc #0\n .ltorg\n .align 4\nbuf: .space 64\n%s",
            body, SCRATCH, tail);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd %s && arm-linux-gnueabihf-as -march=armv7ve -o q.o q.s && arm-linux-gnueabihf-ld -N --no-warn-rwx-segments -o q q.o && "
             "qemu-arm -cpu cortex-a15 ./q > q.out",
             dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/q.out", dir);
    static uint8_t out[52 + SCRATCH];
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(out, 1, sizeof out, f), sizeof out);
    fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    bool same = true;
    for (unsigned k = 0; k < 12; k++) same &= r->s->r[k] == (uint32_t)loom_get_le(out + 4 * k, 4);
    uint32_t apsr = arm_cpsr_get(r->s) & 0xf80f0000u, qapsr = (uint32_t)loom_get_le(out + 48, 4) & 0xf80f0000u;
    same &= apsr == qapsr;
    uint32_t scratch = r->s->r[12];
    bool mem_same = scratch >= RAM_BASE && scratch + SCRATCH <= RAM_BASE + CODE_LIMIT &&
                    !memcmp(r->ram + (scratch - RAM_BASE), out + 52, SCRATCH);
    same &= mem_same;
    if (!same && print) {
        fprintf(stderr, "differs from qemu-arm:\n%s", body);
        for (unsigned k = 0; k < 12; k++)
            fprintf(stderr, "  r%-2u loom 0x%08x qemu 0x%08x\n", k, r->s->r[k], (uint32_t)loom_get_le(out + 4 * k, 4));
        fprintf(stderr, "  apsr loom 0x%08x qemu 0x%08x\n", apsr, qapsr);
        if (!mem_same)
            for (unsigned k = 0; k < SCRATCH; k += 4)
                if (scratch >= RAM_BASE && rd32(r, scratch + k) != (uint32_t)loom_get_le(out + 52 + k, 4))
                    fprintf(stderr, "  scratch+%u loom 0x%08x qemu 0x%08x\n", k, rd32(r, scratch + k),
                            (uint32_t)loom_get_le(out + 52 + k, 4));
    }
    return same;
}

static void test_a32_random_programs_match_qemu(void **st)
{
    SKIP_WITHOUT_AS();
    if (!have_qemu) skip();
    rnd_state = 12345;
    rig *r = rig_new();
    static const uint32_t edge[] = {0, 1, 0x80000000, 0xffffffff, 0x7fffffff, 31, 32, 33};
    for (unsigned prog = 0; prog < 60; prog++) {
        char prologue[2048];
        size_t len = 0;
        /* The start state: random registers (some edge values), flags, Q, GE. */
        for (unsigned k = 0; k < 12; k++) {
            uint32_t v = rnd() % 4 ? rnd() : edge[rnd() % 8];
            len += (size_t)snprintf(prologue + len, sizeof prologue - len, " ldr r%u, =0x%x\n", k, v);
        }
        snprintf(prologue + len, sizeof prologue - len, " ldr r12, =0x%x\n msr APSR_nzcvq, r12\n msr APSR_g, r12\n",
                 rnd() & 0xf80f0000u);
        char insns[30][96];
        for (unsigned k = 0; k < 30; k++) gen_insn(insns[k], sizeof insns[k]);
        if (same_as_qemu(r, prologue, insns, 30, false)) continue;
        /* Find the first instruction that makes a difference. */
        unsigned n = 1;
        while (n < 30 && same_as_qemu(r, prologue, insns, n, false)) n++;
        fprintf(stderr, "program %u: first difference after instruction %u:%s", prog, n, insns[n - 1]);
        same_as_qemu(r, prologue, insns, n, true);
        fail();
    }
    rig_free(r);
}

/* ---- Exceptions ------------------------------------------------------------------------ */

static void test_a32_svc_exits_with_syscall(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    load_asm(r, " mov r7, #1\n svc #0x123456\n mov r7, #2\n");
    uint8_t *mem = rig_to_user_mode(r);
    loom_cpu_exit why = loom_cpu_run(r->cpu, 1000);
    assert_int_equal(why, LOOM_CPU_EXIT_REQUEST);
    assert_int_equal(r->s->jc.last_exit, IR_EXIT_SYSCALL);
    assert_int_equal(r->s->exception, ARM_EXC_SVC);
    assert_int_equal(r->s->svc_imm, 0x123456);
    assert_int_equal(r->s->r[7], 1);
    assert_int_equal(r->s->r[15], r->code + 8); /* the instruction after SVC */
    /* Resuming continues after the SVC. */
    r->s->exception = ARM_EXC_NONE;
    loom_cpu_set_halted(r->cpu, false);
    assert_int_equal(loom_cpu_run(r->cpu, 1000), LOOM_CPU_HALT);
    assert_int_equal(r->s->r[7], 2);
    rig_free(r);
    free(mem);
    /* A conditional SVC that fails does not trap. */
    r = rig_new();
    set_nzcv(r->s, 0);
    run_asm(r, " mov r7, #3\n svceq #1\n mov r7, #4\n");
    assert_int_equal(r->s->r[7], 4);
    assert_int_equal(r->s->exception, ARM_EXC_NONE);
    /* In system mode an SVC enters Supervisor mode at VBAR + 8, LR past
     * it, SPSR the CPSR before (from System mode here). */
    uint32_t vbar = rig_vectors(r);
    arm_cpsr_set(r->s, 0x1f, 0x1f);
    r->s->r[14] = 0x5a5a;
    load_asm(r, " svc #0\n");
    assert_int_equal(rig_run_to_vector(r, vbar), 0x08);
    assert_int_equal(arm_cpsr_get(r->s) & 0x1ff, 0x093); /* SVC, I masked, A as it was */
    assert_int_equal(r->s->r[14], r->code + 4);
    assert_int_equal(r->s->spsr & 0x1f, 0x1f);
    assert_int_equal(r->s->bank_lr[0], 0x5a5a); /* System mode's LR is kept */
    rig_free(r);
}

static void test_a32_undefined_instructions(void **st)
{
    SKIP_WITHOUT_AS();
    static const char *const undef[] = {
        " .word 0xe7f000f0\n",  /* UDF #0 */
        " .word 0xee800a40\n",  /* VFP data processing opc1 = 1x00, opc3 = x1: unallocated */
        " .word 0xf2000d40\n",  /* an Advanced SIMD data-processing encoding */
        " .word 0xee400b10\n",  /* VMOV.8 d0[0], r0: Advanced SIMD, not implemented */
        " .word 0xe1b0f00e\n",  /* MOVS pc, lr: exception return, not in User mode */
        " .word 0xe16fff10\n",  /* CLZ pc, r0: UNPREDICTABLE */
    };
    for (size_t i = 0; i < sizeof undef / sizeof *undef; i++) {
        rig *r = rig_new();
        char src[256];
        snprintf(src, sizeof src, " mov r0, #1\n%s mov r0, #2\n", undef[i]);
        load_asm(r, src);
        uint8_t *mem = rig_to_user_mode(r);
        loom_cpu_exit why = loom_cpu_run(r->cpu, 1000);
        free(mem);
        if (why != LOOM_CPU_EXIT_REQUEST) fprintf(stderr, "not undefined:%s", undef[i]);
        assert_int_equal(why, LOOM_CPU_EXIT_REQUEST);
        assert_int_equal(r->s->jc.last_exit, IR_EXIT_SYSCALL);
        assert_int_equal(r->s->exception, ARM_EXC_UNDEF);
        assert_int_equal(r->s->r[15], r->code + 4); /* the undefined instruction itself */
        assert_int_equal(r->s->r[0], 1);
        rig_free(r);
    }
    /* BKPT is the debug exception: a prefetch abort, LR = BKPT + 4, IFSR
     * "debug event". An undefined instruction: LR = it + 4. */
    rig *r = rig_new();
    uint32_t vbar = rig_vectors(r);
    load_asm(r, " mov r0, #1\n bkpt #3\n");
    assert_int_equal(rig_run_to_vector(r, vbar), 0x0c);
    assert_int_equal(arm_cpsr_get(r->s) & 0x1f, 0x17);
    assert_int_equal(r->s->r[14], r->code + 8);
    assert_int_equal(r->s->ifsr, 0x2);
    load_asm(r, " mov r0, #1\n udf #0\n");
    assert_int_equal(rig_run_to_vector(r, vbar), 0x04);
    assert_int_equal(arm_cpsr_get(r->s) & 0x1f, 0x1b);
    assert_int_equal(r->s->r[14], r->code + 8);
    assert_int_equal(r->s->spsr & 0x1f, 0x17); /* from Abort mode */
    rig_free(r);
}

/* A load from nothing is a data abort at its own pc, with the state of the
 * instructions before it and none of its own: LR_abt = its pc + 8, DFAR
 * the address, DFSR an external abort (nothing answers there). */
static void test_a32_data_abort_is_precise(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->s->r[1] = DATA;
    r->s->r[2] = 0x100; /* nothing mapped there */
    r->s->r[3] = 0x77;
    load_asm(r,
             " mov r0, #1\n"
             " adds r3, r3, #1\n"
             " ldm r1!, {r3, r4}\n"  /* fine */
             " ldr r5, [r2, #4]!\n"  /* aborts: r2 must keep its value */
             " mov r0, #2\n");
    wr32(r, DATA, 0xa);
    wr32(r, DATA + 4, 0xb);
    uint32_t vbar = rig_vectors(r);
    assert_int_equal(rig_run_to_vector(r, vbar), 0x10);
    assert_int_equal(r->s->dfar, 0x104);
    assert_int_equal(r->s->dfsr, 0x8);
    assert_int_equal(r->s->r[14], r->code + 12 + 8);
    assert_int_equal(r->s->r[0], 1);
    assert_int_equal(r->s->r[1], DATA + 8);
    assert_int_equal(r->s->r[2], 0x100);
    assert_int_equal(r->s->r[3], 0xa);
    assert_int_equal(r->s->r[4], 0xb);
    rig_free(r);
    /* An LDM whose second word faults changes nothing. */
    r = rig_new();
    r->s->r[1] = RAM_BASE + RAM_SIZE - 4;
    r->s->r[2] = 0x55;
    load_asm(r, " ldmia r1!, {r2, r3}\n");
    vbar = rig_vectors(r);
    assert_int_equal(rig_run_to_vector(r, vbar), 0x10);
    assert_int_equal(r->s->dfar, RAM_BASE + RAM_SIZE);
    assert_int_equal(r->s->r[1], RAM_BASE + RAM_SIZE - 4);
    assert_int_equal(r->s->r[2], 0x55);
    assert_int_equal(r->s->r[14], r->code + 8);
    rig_free(r);
}

/* ---- The glue: user mode, GDB registers, save/restore ---------------------------- */

static void test_a32_user_mode_runs_and_traps(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    load_asm(r, " ldr r1, [r0]\n add r1, r1, #1\n str r1, [r0, #4]\n svc #0\n");
    size_t size = 1u << 20;
    uint8_t *mem = calloc(1, size);
    memcpy(mem + 0x8000, r->ram + (r->code - RAM_BASE), r->code_end - r->code);
    loom_put_le(mem + 0x100, 4, 41);
    assert_int_equal(arm_user_init(r->cpu, mem, size), LOOM_OK);
    r->s->r[15] = 0x8000;
    r->s->r[0] = 0x100;
    assert_int_equal(loom_cpu_run(r->cpu, 1000), LOOM_CPU_EXIT_REQUEST);
    assert_int_equal(r->s->jc.last_exit, IR_EXIT_SYSCALL);
    assert_int_equal(r->s->exception, ARM_EXC_SVC);
    assert_int_equal(r->s->r[15], 0x8010);
    assert_int_equal(loom_get_le(mem + 0x104, 4), 42);
    rig_free(r);
    free(mem);
}

static void test_arm_gdb_registers_and_cpsr(void **st)
{
    rig *r = rig_new();
    uint8_t buf[16];
    r->s->r[3] = 0x12345678;
    assert_int_equal(loom_cpu_reg_read(r->cpu, 3, buf), 4);
    assert_int_equal(loom_get_le(buf, 4), 0x12345678);
    set_nzcv(r->s, 0x9);
    r->s->ge = 0x5;
    assert_int_equal(loom_cpu_reg_read(r->cpu, 25, buf), 4);
    assert_int_equal(loom_get_le(buf, 4), 0x90050010);
    assert_int_equal(loom_cpu_reg_read(r->cpu, 16, buf), 12);
    loom_put_le(buf, 4, 0x68000030); /* Z C Q, Thumb */
    assert_int_equal(loom_cpu_reg_write(r->cpu, 25, buf), 4);
    assert_int_equal(nzcv_of(r->s), 0x6);
    assert_int_equal(r->s->qf, 1);
    assert_int_equal(r->s->thumb, 1);
    assert_int_equal(r->s->key_flags, 1);
    loom_put_le(buf, 4, 0x8004);
    assert_int_equal(loom_cpu_reg_write(r->cpu, 15, buf), 4);
    assert_int_equal(loom_cpu_pc(r->cpu), 0x8004);
    /* d0-d31 (26-57) and FPSCR (58), as the target description numbers
     * them; nothing after. */
    r->s->d[5] = 0x4004000000000000ull; /* 2.5 */
    assert_int_equal(loom_cpu_reg_read(r->cpu, 31, buf), 8);
    assert_int_equal(loom_get_le(buf, 8), 0x4004000000000000ull);
    loom_put_le(buf, 8, 0x3ff0000000000000ull);
    assert_int_equal(loom_cpu_reg_write(r->cpu, 57, buf), 8);
    assert_int_equal(r->s->d[31], 0x3ff0000000000000ull);
    loom_put_le(buf, 4, 0x03000000); /* FZ, DN */
    assert_int_equal(loom_cpu_reg_write(r->cpu, 58, buf), 4);
    assert_int_equal(r->s->fpscr, 0x03000000);
    assert_int_equal(loom_cpu_reg_read(r->cpu, 59, buf), -1);
    rig_free(r);
}

/* Save, continue, restore, continue: the same end state (registers, flags,
 * the exclusive monitor held across the save). */
static void test_a32_save_restore_continues_identically(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    wr32(r, DATA, 5);
    r->s->r[1] = DATA;
    load_asm(r,
             " ldrex r0, [r1]\n"
             " adds r2, r0, #0x7ffffffb\n"  /* 0x80000000: N and V */
             " mrs r3, APSR\n"
             " add r0, r0, r3, lsr #28\n"
             " strex r4, r0, [r1]\n"        /* the monitor survives the save: 0 */
             " movs r5, r0, lsl #28\n");
    assert_int_equal(loom_cpu_run(r->cpu, 2), LOOM_CPU_BUDGET);
    const loom_arch *a = loom_cpu_arch(r->cpu);
    loom_buf b;
    loom_buf_init(&b);
    a->save(r->cpu, loom_cpu_state(r->cpu), &b);
    run_to_wfi(r);
    arm_state first = *r->s;
    uint32_t mem = rd32(r, DATA);
    /* Spoil the state, put the memory back, restore and run again. */
    memset(r->s->r, 0x5a, sizeof r->s->r);
    set_nzcv(r->s, 0xf);
    r->s->excl_valid = 0;
    wr32(r, DATA, 5);
    b.pos = 0;
    assert_int_equal(a->restore(r->cpu, loom_cpu_state(r->cpu), &b), LOOM_OK);
    assert_int_equal(r->s->r[15], r->code + 8);
    loom_cpu_set_halted(r->cpu, false);
    run_to_wfi(r);
    assert_memory_equal(r->s->r, first.r, sizeof first.r);
    assert_int_equal(nzcv_of(r->s), nzcv_of(&first));
    assert_int_equal(r->s->r[4], 0);
    assert_int_equal(rd32(r, DATA), mem);
    assert_int_equal(mem, 5 + 9); /* N and V: 0x9 */
    loom_buf_free(&b);
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
    have_qemu = have_as && system("command -v qemu-arm >/dev/null 2>&1 && command -v arm-linux-gnueabihf-ld >/dev/null 2>&1") == 0;
    if (!have_as) fprintf(stderr, "arm-linux-gnueabihf-as not found: the A32 tests are skipped\n");
    setenv("LOOM_JIT_VERIFY", "1", 0);
#define A32_TESTS(setup)                                                      \
    cmocka_unit_test_setup(test_a32_add_sub_flags, setup),                    \
    cmocka_unit_test_setup(test_a32_logical_and_shifter_carry, setup),        \
    cmocka_unit_test_setup(test_a32_multiply_divide, setup),                  \
    cmocka_unit_test_setup(test_a32_bit_and_byte_operations, setup),          \
    cmocka_unit_test_setup(test_a32_dsp_and_simd_media, setup),               \
    cmocka_unit_test_setup(test_a32_mrs_msr_apsr, setup),                     \
    cmocka_unit_test_setup(test_a32_conditions_all_flags, setup),             \
    cmocka_unit_test_setup(test_a32_load_store_addressing_modes, setup),      \
    cmocka_unit_test_setup(test_a32_halfword_signed_and_dual, setup),         \
    cmocka_unit_test_setup(test_a32_ldm_stm_all_modes, setup),                \
    cmocka_unit_test_setup(test_a32_call_return_push_pop_pc, setup),          \
    cmocka_unit_test_setup(test_a32_bx_blx_and_pc_writes, setup),             \
    cmocka_unit_test_setup(test_a32_interworking_to_thumb, setup),            \
    cmocka_unit_test_setup(test_a32_ldrex_strex, setup),                      \
    cmocka_unit_test_setup(test_a32_swp_barriers_hints, setup),               \
    cmocka_unit_test_setup(test_a32_svc_exits_with_syscall, setup),           \
    cmocka_unit_test_setup(test_a32_undefined_instructions, setup),           \
    cmocka_unit_test_setup(test_a32_data_abort_is_precise, setup),            \
    cmocka_unit_test_setup(test_a32_user_mode_runs_and_traps, setup),         \
    cmocka_unit_test_setup(test_a32_conditional_pc_writes_and_loops, setup),  \
    cmocka_unit_test_setup(test_a32_save_restore_continues_identically, setup), \
    cmocka_unit_test_setup(test_a32_random_programs_match_qemu, setup)
    const struct CMUnitTest tests[] = {
        A32_TESTS(on_interp),
        A32_TESTS(on_native),
        cmocka_unit_test(test_arm_gdb_registers_and_cpsr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
