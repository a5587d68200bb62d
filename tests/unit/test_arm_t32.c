/* The Thumb translator (16-bit Thumb and Thumb-2), group by group, the IT
 * block, interworking and a random differential test. Reference: the ARM
 * ARM (DDI 0406C) pseudo-code, worked by hand, and qemu-arm -cpu cortex-a15
 * for the random programs. Snippets are assembled at test time by
 * arm-linux-gnueabihf-as (.thumb, unified syntax), loaded into RAM and run
 * in Thumb state until their final WFI, on both back ends. */
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

/* Thumb state, unified syntax. */
static void load_asm(rig *r, const char *src) { rig_load_asm(r, "\t.syntax unified\n\t.thumb", src, true); }

/* Run the loaded snippet to its final WFI. */
/* Run the loaded snippet to its final WFI. */
static void run_to_wfi(rig *r)
{
    rig_run(r);
    /* Stopped just past a 16-bit WFI (literal pools may follow the last one). */
    assert_true(r->s->r[15] > r->code && r->s->r[15] <= r->code_end);
    assert_int_equal(rd32(r, r->s->r[15] - 2) & 0xffff, 0xbf30);
    assert_int_equal(r->s->itstate, 0);
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
        r->s->r[13] = DATA + 0x800;
        wr32(r, DATA, 0x11223344);
        wr32(r, DATA + 4, 0x8899aabb);
        run_to_wfi(r);
        if (r->s->r[0] != c[i].r0 || nzcv_of(r->s) != c[i].nzcv)
            fprintf(stderr, "case %zu '%s': r0 0x%08x (want 0x%08x), nzcv %x (want %x)\n", i, c[i].insn, r->s->r[0],
                    c[i].r0, nzcv_of(r->s), c[i].nzcv);
        assert_int_equal(r->s->r[0], c[i].r0);
        assert_int_equal(nzcv_of(r->s), c[i].nzcv);
    }
    rig_free(r);
}

/* ---- 16-bit data processing: flags outside IT blocks ------------------------ */

static void test_t32_16bit_data_processing(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        /* ADDS (3 registers): 0x7fffffff + 1 overflows, no carry. */
        {"adds r0, r1, r2", 0x7fffffff, 1, 0, 0x80000000, 0x9},
        {"subs r0, r1, #3", 5, 0, 0, 2, 0x2},                   /* imm3: no borrow */
        {"movs r0, #0", 0, 0, 0x3, 0, 0x7},                     /* N Z only; C V kept */
        {"movs r0, #200\n adds r0, #100", 0, 0, 0, 300, 0},     /* imm8 forms */
        {"movs r0, #5\n subs r0, #6", 0, 0, 0, 0xffffffff, 0x8},
        {"cmp r1, #42", 42, 0, 0, 0xdeadbeef, 0x6},
        {"lsls r0, r1, #1", 0x80000001, 0, 0, 2, 0x2},           /* C = bit 31 */
        {"lsrs r0, r1, #32", 0x80000000, 0, 0, 0, 0x6},          /* #32: C = bit 31 */
        {"asrs r0, r1, #4", 0x80000008, 0, 0, 0xf8000000, 0xa},  /* C = bit 3 */
        {"movs r0, r1", 0x80000000, 0, 0x3, 0x80000000, 0xb},    /* LSL #0: C kept */
        {"mov r0, r1\n lsls r0, r2", 0x80000001, 33, 0x2, 0, 0x4},
        {"mov r0, r1\n lsrs r0, r2", 0x80000001, 32, 0, 0, 0x6},
        {"mov r0, r1\n asrs r0, r2", 0x80000001, 200, 0, 0xffffffff, 0xa},
        {"mov r0, r1\n rors r0, r2", 0x80000001, 4, 0, 0x18000000, 0},
        {"mov r0, r1\n rors r0, r2", 0x80000001, 0, 0x2, 0x80000001, 0xa}, /* 0: C kept */
        {"mov r0, r1\n adcs r0, r2", 0xffffffff, 0, 0x2, 0, 0x6},
        {"mov r0, r1\n sbcs r0, r2", 0, 0, 0, 0xffffffff, 0x8},
        {"rsbs r0, r1, #0", 1, 0, 0, 0xffffffff, 0x8},
        {"negs r0, r1", 0, 0, 0, 0, 0x6},                        /* 0 - 0: no borrow */
        {"cmp r1, r2", 2, 3, 0, 0xdeadbeef, 0x8},
        {"cmn r1, r2", 0xffffffff, 1, 0, 0xdeadbeef, 0x6},
        {"tst r1, r2", 0xf0, 0x0f, 0x3, 0xdeadbeef, 0x7},        /* C and V kept */
        {"mov r0, r1\n muls r0, r2, r0", 0x10000, 0x10000, 0x3, 0, 0x7},
        {"mov r0, r1\n bics r0, r2", 0xffffffff, 0xffff, 0, 0xffff0000, 0x8},
        {"mvns r0, r1", 0xffffffff, 0, 0, 0, 0x4},
        {"mov r0, r1\n orrs r0, r2", 0xf0, 0x0f, 0, 0xff, 0},
        {"mov r0, r1\n eors r0, r2", 0xff, 0x0f, 0, 0xf0, 0},
        {"mov r0, r1\n ands r0, r2", 0xff, 0x80000f0f, 0, 0x0f, 0},
        /* High registers: ADD and MOV set no flags, CMP does. */
        {"mov r8, r1\n add r8, r2\n mov r0, r8", 0xffffffff, 1, 0xf, 0, 0xf},
        {"mov r9, r1\n cmp r9, r2\n movs r0, #0", 5, 5, 0, 0, 0x6},
        {"add r0, sp, #8\n mov r3, sp\n sub r0, r0, r3", 0, 0, 0, 8, 0},
        {"mov r0, sp\n sub sp, #16\n add sp, #4\n mov r3, sp\n sub r0, r0, r3", 0, 0, 0, 12, 0},
        /* Extends and byte reversal. */
        {"sxth r0, r1", 0x00018000, 0, 0, 0xffff8000, 0},
        {"sxtb r0, r1", 0x0000017f, 0, 0, 0x7f, 0},
        {"uxth r0, r1", 0xffff1234, 0, 0, 0x1234, 0},
        {"uxtb r0, r1", 0xffff1234, 0, 0, 0x34, 0},
        {"rev r0, r1", 0x12345678, 0, 0, 0x78563412, 0},
        {"rev16 r0, r1", 0x12345678, 0, 0, 0x34127856, 0},
        {"revsh r0, r1", 0x12345680, 0, 0, 0xffff8056, 0},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

/* ---- 32-bit data processing ------------------------------------------------------ */

static void test_t32_32bit_data_processing(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        {"adds.w r0, r1, #0xff000000", 0x01000000, 0, 0, 0, 0x6},
        /* ThumbExpandImm: a rotated constant sets C from its bit 31 ... */
        {"ands r0, r1, #0xff000000", 0x12345678, 0, 0x1, 0x12000000, 0x3},
        /* ... the byte patterns leave C alone. */
        {"ands r0, r1, #0x00ff00ff", 0x12345678, 0, 0x2, 0x00340078, 0x2},
        {"ands r0, r1, #0xab00ab00", 0xffffffff, 0, 0x0, 0xab00ab00, 0x8},
        {"eor r0, r1, #0x5a5a5a5a", 0xffffffff, 0, 0, 0xa5a5a5a5, 0},
        {"teq r1, #0x80000000", 0x80000000, 0, 0, 0xdeadbeef, 0x6},
        {"cmp.w r1, #0x100", 0x100, 0, 0, 0xdeadbeef, 0x6},
        {"cmn.w r1, #1", 0xffffffff, 0, 0, 0xdeadbeef, 0x6},
        {"tst.w r1, #0x3fc", 0x400, 0, 0x2, 0xdeadbeef, 0x4}, /* rotated: C = bit 31 = 0 */
        {"orn r0, r1, r2", 0, 0xffff0000, 0, 0x0000ffff, 0},
        {"orn r0, r1, #0xff", 0x100, 0, 0, 0xffffff00, 0},
        {"mvn r0, #0x55", 0, 0, 0, 0xffffffaa, 0},
        {"mvns r0, r1, lsr #1", 0xfffffffe, 0, 0x2, 0x80000000, 0x8},
        {"bic r0, r1, #0xff", 0x12345678, 0, 0, 0x12345600, 0},
        {"rsb r0, r1, r2, asr #1", 1, 10, 0, 4, 0},
        {"rsbs r0, r1, #0", 0x80000000, 0, 0, 0x80000000, 0x9},
        {"add.w r0, r1, r2, lsl #4", 1, 2, 0, 33, 0},
        {"sub.w r0, r1, r2, ror #4", 0x10000000, 1, 0, 0, 0},
        {"adc.w r0, r1, #1", 1, 0, 0x2, 3, 0x2},
        {"sbcs.w r0, r1, r2, lsl #1", 10, 2, 0x2, 6, 0x2},
        {"movs.w r0, r1, rrx", 0x00000002, 0, 0x2, 0x80000001, 0x8},
        {"lsls.w r0, r1, r2", 1, 32, 0, 0, 0x6},
        {"asr.w r0, r1, r2", 0x80000000, 31, 0, 0xffffffff, 0},
        {"ror.w r0, r1, r2", 0x12345678, 8, 0, 0x78123456, 0},
        {"addw r0, r1, #4095", 1, 0, 0, 4096, 0},
        {"subw r0, r1, #1", 0, 0, 0, 0xffffffff, 0},
        {"movw r0, #0xbeef", 0, 0, 0, 0xbeef, 0},
        {"mov r0, r1\n movt r0, #0xdead", 0x12345678, 0, 0, 0xdead5678, 0},
        {"mov.w r0, #0x00ff00ff", 0, 0, 0, 0x00ff00ff, 0},
        {"ubfx r0, r1, #4, #8", 0x12345678, 0, 0, 0x67, 0},
        {"sbfx r0, r1, #4, #8", 0x12345f78, 0, 0, 0xfffffff7, 0},
        {"mov r0, r2\n bfi r0, r1, #8, #8", 0xabcdef12, 0xffffffff, 0, 0xffff12ff, 0},
        {"mov r0, r2\n bfc r0, #4, #24", 0, 0xffffffff, 0, 0xf000000f, 0},
        {"ssat r0, #8, r1", 300, 0, 0, 127, 0},
        {"usat r0, #8, r1, asr #1", 0x400, 0, 0, 255, 0},
        {"ssat16 r0, #4, r1", 0x7fff8000, 0, 0, 0x0007fff8, 0},
        {"clz r0, r1", 0x00010000, 0, 0, 15, 0},
        {"rbit r0, r1", 0x12345678, 0, 0, 0x1e6a2c48, 0},
        {"rev.w r0, r1", 0x12345678, 0, 0, 0x78563412, 0},
        {"uxtb.w r0, r1, ror #8", 0x12345678, 0, 0, 0x56, 0},
        {"sxtah r0, r2, r1", 0x0000fffe, 10, 0, 8, 0},
        {"uxtab r0, r2, r1, ror #24", 0x80000000, 1000, 0, 1000 + 0x80, 0},
        {"uxtb16 r0, r1", 0x12345678, 0, 0, 0x00340078, 0},
        {"pkhbt r0, r1, r2, lsl #16", 0x1111aaaa, 0x0000bbbb, 0, 0xbbbbaaaa, 0},
        {"pkhtb r0, r1, r2, asr #16", 0x1111aaaa, 0xbbbb0000, 0, 0x1111bbbb, 0},
        /* Multiplies and divides. */
        {"mul r0, r1, r2", 7, 6, 0, 42, 0},
        {"mov r0, #100\n mla r0, r1, r2, r0", 3, 4, 0, 112, 0},
        {"mov r0, #100\n mls r0, r1, r2, r0", 3, 4, 0, 88, 0},
        {"umull r3, r0, r1, r2", 0xffffffff, 0xffffffff, 0, 0xfffffffe, 0},
        {"smull r3, r0, r1, r2", 0xfffffffe, 3, 0, 0xffffffff, 0},
        {"movs r3, #1\n movs r0, #5\n umlal r3, r0, r1, r2", 0xffffffff, 1, 0, 6, 0},
        {"movs r3, #10\n movs r0, #0\n smlal r3, r0, r1, r2", 0xffffffff, 20, 0, 0xffffffff, 0x4},
        {"mvn r3, #0\n mvn r0, #0\n umaal r3, r0, r1, r2", 0xffffffff, 0xffffffff, 0, 0xffffffff, 0},
        {"udiv r0, r1, r2", 100, 7, 0, 14, 0},
        {"sdiv r0, r1, r2", (uint32_t)-100, 7, 0, (uint32_t)-14, 0},
        {"sdiv r0, r1, r2", 100, 0, 0, 0, 0},
        {"smulbb r0, r1, r2", 0x0003fffe, 0x00050007, 0, 0xfffffff2, 0},
        {"smultt r0, r1, r2", 0x0003fffe, 0x00050007, 0, 15, 0},
        {"mov r0, #100\n smlabt r0, r1, r2, r0", 0x0003fffe, 0x00050007, 0, 90, 0},
        {"smulwb r0, r1, r2", 0x40000000, 4, 0, 0x10000, 0},
        {"smuad r0, r1, r2", 0x0003fffe, 0x00050007, 0, 1, 0},
        {"smusd r0, r1, r2", 0x0003fffe, 0x00050007, 0, (uint32_t)-29, 0},
        {"smuadx r0, r1, r2", 0x0003fffe, 0x00050007, 0, 11, 0},
        {"smmul r0, r1, r2", 0x40000000, 4, 0, 1, 0},
        {"smmulr r0, r1, r2", 0x40000000, 2, 0, 1, 0},
        {"usad8 r0, r1, r2", 0x01020304, 0x04030201, 0, 8, 0},
        {"movs r3, #0\n movs r0, #0\n smlalbb r3, r0, r1, r2", 0x0003fffe, 0x00050007, 0, 0xffffffff, 0x4},
        /* The parallel family and SEL: what glibc's string functions use. */
        {"uadd8 r0, r1, r2", 0xff010203, 0x01010101, 0, 0x00020304, 0},
        {"uadd8 r3, r1, r2\n mrs r0, APSR", 0xff010203, 0x01010101, 0, 0x00080010, 0},
        {"uadd8 r3, r1, r2\n sel r0, r1, r2", 0xff010203, 0x01010101, 0, 0xff010101, 0}, /* GE = 0b1000 */
        {"ssub16 r0, r1, r2", 0x00000005, 0xffff0007, 0, 0x0001fffe, 0},
        {"uqsub8 r0, r1, r2", 0x10203040, 0x20102010, 0, 0x00101030, 0},
        {"uhadd16 r0, r1, r2", 0xffff0003, 0xffff0001, 0, 0xffff0002, 0},
        {"qadd r3, r1, r2\n mrs r0, APSR\n and r0, r0, #0x08000000\n orr r0, r0, r3, lsr #28", 0x7fffffff, 1, 0,
         0x08000007, 0},
        {"qdsub r0, r1, r2", 0, 0x40000000, 0, 0x80000001, 0}, /* 0 - sat(2 * r2) */
        /* MSR and MRS. */
        {"msr APSR_nzcvq, r1\n mrs r0, APSR", 0xf8000000, 0, 0, 0xf8000010, 0xf},
        {"msr APSR_g, r1\n mrs r0, APSR", 0xffffffff, 0, 0, 0x000f0010, 0},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

/* ---- Loads and stores --------------------------------------------------------- */

static void test_t32_load_store_forms(void **st)
{
    SKIP_WITHOUT_AS();
    /* r1 = DATA: 44 33 22 11 bb aa 99 88, then scratch. */
    static const dp_case c[] = {
        {"ldr r0, [r1]", DATA, 0, 0, 0x11223344, 0},
        {"ldrb r0, [r1, #3]", DATA, 0, 0, 0x11, 0},
        {"ldrh r0, [r1, #2]", DATA, 0, 0, 0x1122, 0},
        {"ldrsb r0, [r1, r2]", DATA, 4, 0, 0xffffffbb, 0},
        {"ldrsh.w r0, [r1, #6]", DATA, 0, 0, 0xffff8899, 0},
        {"ldr r0, [r1, r2]", DATA, 4, 0, 0x8899aabb, 0},
        {"ldr.w r0, [r1, r2, lsl #2]", DATA, 1, 0, 0x8899aabb, 0},
        {"ldrh.w r0, [r1, r2, lsl #1]", DATA, 1, 0, 0x1122, 0},
        {"add r3, r1, #8\n ldr r0, [r3, #-8]", DATA, 0, 0, 0x11223344, 0},
        {"add r3, r1, #8\n ldrb r0, [r3, #-1]", DATA, 0, 0, 0x88, 0},
        {"mov r3, r1\n ldr r0, [r3], #4\n sub r3, r3, r1\n add r0, r0, r3", DATA, 0, 0, 0x11223348, 0},
        {"mov r3, r1\n ldr r0, [r3, #4]!\n sub r3, r3, r1\n add r0, r0, r3", DATA, 0, 0, 0x8899aabf, 0},
        {"add r3, r1, #4\n ldrsh r0, [r3], #-4\n sub r3, r3, r1\n add r0, r0, r3", DATA, 0, 0, 0xffffaabb, 0},
        {"ldrt r0, [r1, #4]", DATA, 0, 0, 0x8899aabb, 0},
        {"ldrsbt r0, [r1, #7]", DATA, 0, 0, 0xffffff88, 0},
        {"ldr.w r0, [r1, #4095]", DATA - 4095, 0, 0, 0x11223344, 0},
        {"mov.w r3, #0\n str r3, [r1, #8]\n strb r2, [r1, #9]\n ldr r0, [r1, #8]", DATA, 0x1ab, 0, 0xab00, 0},
        {"mov.w r3, #0\n str r3, [r1, #8]\n strh.w r2, [r1, #10]\n ldr r0, [r1, #8]", DATA, 0x12345, 0, 0x23450000, 0},
        {"str r2, [r1, #8]!\n ldr r0, [r1]", DATA, 0x5a5a, 0, 0x5a5a, 0},
        {"strt r2, [r1, #12]\n ldr r0, [r1, #12]", DATA, 0x77, 0, 0x77, 0},
        {"str.w r2, [r1, #-4]\n ldr r0, [r1, #-4]", DATA + 16, 0x99, 0, 0x99, 0},
        {"ldrd r0, r3, [r1]\n add r0, r0, r3", DATA, 0, 0, 0x11223344 + 0x8899aabb, 0},
        {"mov r3, r1\n ldrd r0, r4, [r3, #8]!\n ldrd r0, r4, [r3], #-8\n sub r0, r3, r1", DATA, 0, 0, 0, 0},
        {"strd r2, r2, [r1, #8]\n ldr r0, [r1, #12]", DATA, 0x4321, 0, 0x4321, 0},
        {"ldm r1, {r3, r4}\n add r0, r3, r4", DATA, 0, 0, 0x11223344 + 0x8899aabb, 0},
        {"mov r5, r1\n ldmia r5!, {r3, r4}\n sub r0, r5, r1", DATA, 0, 0, 8, 0},
        {"add r5, r1, #16\n stmdb r5!, {r2, r3}\n ldr r0, [r1, #8]", DATA, 0xfeed, 0, 0xfeed, 0},
        {"add r5, r1, #16\n mov.w r3, #3\n stmia r5!, {r2, r3}\n ldr r0, [r1, #20]", DATA, 0xfeed, 0, 3, 0},
        {"push {r1, r2}\n pop {r0, r3}", 1, 2, 0, 1, 0}, /* lowest register, lowest address */
        {"push.w {r1, r2, r8}\n pop.w {r0, r3, r8}", 7, 2, 0, 7, 0},
        {"ldr r0, 1f\n b 2f\n .align 2\n1: .word 0xcafef00d\n2:", 0, 0, 0, 0xcafef00d, 0},
        {"nop\n ldr.w r0, 1f\n b 2f\n .align 2\n1: .word 0x600df00d\n2:", 0, 0, 0, 0x600df00d, 0},
        {"adr r0, 1f\n ldr r0, [r0]\n b 2f\n .align 2\n1: .word 0x12345678\n2:", 0, 0, 0, 0x12345678, 0},
        {"adr.w r0, 1f\n ldr r0, [r0, #4]\n b 2f\n .align 2\n1: .word 0, 0x9abc\n2:", 0, 0, 0, 0x9abc, 0},
        {"pld [r1]\n pli [r1, #4]\n pld [r1, r2]\n movs r0, #1", DATA, 0, 0, 1, 0},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

/* ---- The IT block ----------------------------------------------------------------- */

static bool cond_holds(unsigned cond, unsigned nzcv)
{
    bool n = nzcv >> 3 & 1, z = nzcv >> 2 & 1, c = nzcv >> 1 & 1, v = nzcv & 1, r;
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
    return cond & 1 ? !r : r;
}

static const char *const cond_names[14] = {"eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
                                           "hi", "ls", "ge", "lt", "gt", "le"};

/* ITE <c>: the then-instruction runs when c holds, the else one when it
 * does not, for every condition and every NZCV; 16-bit MOV sets no flags
 * inside the block. */
static void test_t32_it_all_conditions(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    for (unsigned c = 0; c < 14; c++) {
        char src[256];
        snprintf(src, sizeof src, " ite %s\n mov%s r0, #1\n mov%s r0, #2\n movs r1, #3", cond_names[c],
                 cond_names[c], cond_names[c ^ 1]);
        load_asm(r, src);
        for (unsigned nzcv = 0; nzcv < 16; nzcv++) {
            r->s->r[15] = r->code;
            r->s->thumb = 1;
            r->s->key_flags = 1;
            set_nzcv(r->s, nzcv);
            run_to_wfi(r);
            if (r->s->r[0] != (cond_holds(c, nzcv) ? 1u : 2u))
                fprintf(stderr, "it %s with nzcv %x: r0 = %u\n", cond_names[c], nzcv, r->s->r[0]);
            assert_int_equal(r->s->r[0], cond_holds(c, nzcv) ? 1 : 2);
            /* MOVS after the block sets N and Z again; C and V stay. */
            assert_int_equal(nzcv_of(r->s), nzcv & 3);
        }
    }
    rig_free(r);
}

/* What sets flags inside an IT block: the 16-bit data processing forms do
 * not (ADDS outside is ADD inside), CMP and the 32-bit S forms do; flags set
 * inside decide the later conditions of the same block. */
static void test_t32_it_flag_setting_rules(void **st)
{
    SKIP_WITHOUT_AS();
    static const dp_case c[] = {
        /* 0x1888 is ADDS r0, r1, r2 outside an IT block, ADD inside. */
        {".inst.n 0x1888", 0xffffffff, 1, 0, 0, 0x6},
        {"it eq\n .inst.n 0x1888", 0xffffffff, 1, 0x4, 0, 0x4},
        {"it ne\n .inst.n 0x1888", 0xffffffff, 1, 0x4, 0xdeadbeef, 0x4}, /* skipped */
        /* ADDS.W inside sets them. */
        {"it eq\n addseq.w r0, r1, r2", 0xffffffff, 1, 0x4, 0, 0x6},
        /* CMP inside changes the condition of the next instructions. */
        {"itte eq\n cmpeq r1, r2\n moveq r0, #1\n movne r0, #2", 1, 2, 0x4, 2, 0x8},
        {"itte eq\n cmpeq r1, r2\n moveq r0, #1\n movne r0, #2", 2, 2, 0x4, 1, 0x6},
        /* Four instructions, alternating. */
        {"itete mi\n movmi r0, #1\n addpl r0, r0, #10\n addmi r0, r0, #100\n addpl r0, r0, #1000", 0, 0, 0x8, 101, 0x8},
        {"movs r0, #0\n itete mi\n movmi r0, #1\n addpl r0, r0, #10\n addmi r0, r0, #100\n addpl r0, r0, #1000", 0, 0, 0,
         1010, 0x4},
        /* A 32-bit load and a store under a failed condition do nothing. */
        {"ldr r1, =0x18000\n add r1, r1, #0x10000\n it ne\n ldrne.w r0, [r1]", 0, 0, 0x4, 0xdeadbeef, 0x4},
    };
    run_dp_cases(c, sizeof c / sizeof *c);
}

/* An IT block cut by the instruction budget at every point: blocks that
 * end inside it (the engine's cap) keep ITSTATE in the state and the key. */
static void test_t32_it_block_across_block_ends(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    load_asm(r, " movs r0, #0\n cmp r0, #0\n itete eq\n addeq r0, #1\n addne r0, #2\n addeq r0, #4\n addne r0, #8\n"
                " adds r0, #16\n");
    for (unsigned step = 1; step <= 8; step++) {
        r->s->r[15] = r->code;
        r->s->thumb = 1;
        r->s->itstate = 0;
        r->s->key_flags = 1;
        loom_cpu_set_halted(r->cpu, false);
        /* Run step instructions, then the rest. */
        loom_cpu_run(r->cpu, step);
        if (step >= 3 && step <= 6) {
            assert_int_not_equal(r->s->itstate, 0);
            assert_int_equal(r->s->key_flags, 1 | r->s->itstate << 1);
        }
        run_to_wfi(r);
        assert_int_equal(r->s->r[0], 21);
    }
    rig_free(r);
}

/* ---- Branches -------------------------------------------------------------------------- */

static void test_t32_branches_cbz_tbb_tbh(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->s->r[13] = DATA + 0x100;
    run_asm(r,
            " movs r0, #0\n"
            " movs r1, #10\n"
            "1: add r0, r1\n"             /* 10 + 9 + ... + 1 = 55 */
            " subs r1, #1\n"
            " bne 1b\n"
            " movs r2, #0\n"
            " cbz r2, 2f\n"               /* taken */
            " movs r0, #99\n"
            "2: cbnz r2, 3f\n"            /* not taken */
            " movs r3, #7\n"
            "3: bl f\n"
            " b.w done\n"
            " .space 400\n"               /* beyond the 16-bit branches */
            "f: push {r4, lr}\n"
            " movs r4, #2\n"
            " tbb [pc, r4]\n"
            "tb: .byte (c0 - tb) / 2, (c1 - tb) / 2, (c2 - tb) / 2, (c3 - tb) / 2\n"
            "c0: movs r5, #10\n b 4f\n"
            "c1: movs r5, #11\n b 4f\n"
            "c2: movs r5, #12\n b 4f\n"
            "c3: movs r5, #13\n"
            "4: movs r4, #3\n"
            " tbh [pc, r4, lsl #1]\n"
            "th: .hword (d0 - th) / 2, (d1 - th) / 2, (d2 - th) / 2, (d3 - th) / 2\n"
            "d0: movs r6, #20\n pop {r4, pc}\n"
            "d1: movs r6, #21\n pop {r4, pc}\n"
            "d2: movs r6, #22\n pop {r4, pc}\n"
            "d3: movs r6, #23\n"
            " cmp r6, #23\n"
            " it eq\n"
            " popeq {r4, pc}\n"           /* a return as the last instruction of an IT block */
            " movs r6, #0\n"
            "done: mov r8, r8\n");
    assert_int_equal(r->s->r[0], 55);
    assert_int_equal(r->s->r[3], 7);
    assert_int_equal(r->s->r[5], 12);
    assert_int_equal(r->s->r[6], 23);
    assert_int_equal(r->s->r[13], DATA + 0x100);
    assert_int_equal(r->s->r[14] & 1, 1); /* BL's return address is a Thumb one */
    /* Conditional 32-bit branches both ways, and ADD/MOV to the pc. */
    run_asm(r,
            " movs r0, #0\n"
            " cmp r0, #1\n"
            " beq.w 1f\n"                 /* not taken */
            " add r0, r0, #1\n"           /* ADD.W: no flags */
            " blt.w 2f\n"                 /* taken: 0 < 1 */
            "1: movs r0, #99\n"
            " .space 300\n"
            "2: adr r1, 3f + 1\n"
            " mov pc, r1\n"               /* bit 0 ignored, Thumb kept */
            " movs r0, #98\n"
            " .align 2\n"
            "3: adds r0, #2\n");
    assert_int_equal(r->s->r[0], 3);
    rig_free(r);
}

/* ---- Interworking ------------------------------------------------------------------------ */

static void test_t32_interworking_both_ways(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->s->r[13] = DATA + 0x100;
    run_asm(r,
            " adr r0, arm1\n"
            " bx r0\n"                    /* to ARM */
            " .align 2\n"
            " .arm\n"
            "arm1: mov r1, #5\n"
            " adr r0, t1 + 1\n"
            " bx r0\n"                    /* back to Thumb */
            " .thumb\n"
            "t1: blx arm2\n"                /* BLX <label>: to ARM, LR Thumb */
            " movs r3, #9\n"
            " adr r0, arm3\n"
            " blx r0\n"                   /* BLX <reg> to ARM */
            " adr r0, arm4\n"
            " push {r0}\n"
            " pop {pc}\n"                 /* POP {pc} with bit 0 clear: ARM */
            " .align 2\n"
            " .arm\n"
            "arm2: mov r2, #7\n"
            " bx lr\n"
            "arm3: add r3, r3, #1\n"
            " bx lr\n"
            "arm4: mov r4, #4\n"
            " adr r0, t2 + 1\n"
            " push {r0}\n"
            " pop {pc}\n"                 /* A32 POP {pc}, bit 0 set: Thumb */
            " .thumb\n"
            "t2: adr r0, t3 + 1\n"
            " str r0, [sp, #-4]!\n"
            " ldr pc, [sp], #4\n"          /* LDR pc, bit 0 set: stays Thumb */
            " movs r5, #99\n"
            "t3: movs r5, #5\n");
    assert_int_equal(r->s->r[1], 5);
    assert_int_equal(r->s->r[2], 7);
    assert_int_equal(r->s->r[3], 10);
    assert_int_equal(r->s->r[4], 4);
    assert_int_equal(r->s->r[5], 5);
    assert_int_equal(r->s->thumb, 1);
    assert_int_equal(r->s->r[13], DATA + 0x100);
    assert_int_equal(arm_cpsr_get(r->s) & 0x20, 0x20);
    rig_free(r);
}

/* ---- A 32-bit instruction across a page boundary -------------------------------------- */

static void test_t32_instruction_across_pages(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->next_code = RAM_BASE + 0x4000; /* page aligned: the snippet's offsets are page offsets */
    run_asm(r, " movs r0, #1\n b.w 1f\n .space 4086\n1: nop\n movw r0, #0x1234\n adds r0, #1\n");
    assert_int_equal(rd32(r, RAM_BASE + 0x4ffe) & 0xffff, 0xf241); /* the MOVW's first half ends the page */
    assert_int_equal(r->s->r[0], 0x1235);
    rig_free(r);
    /* Its second half unmapped: a prefetch abort at the instruction, after
     * the instructions before it. */
    r = rig_new();
    uint32_t end = RAM_BASE + RAM_SIZE;
    loom_put_le(r->ram + RAM_SIZE - 6, 2, 0x2001); /* movs r0, #1 */
    loom_put_le(r->ram + RAM_SIZE - 4, 2, 0x2102); /* movs r1, #2 */
    loom_put_le(r->ram + RAM_SIZE - 2, 2, 0xf241); /* movw r0, ... (first half) */
    r->s->r[15] = end - 6;
    r->s->thumb = 1;
    r->s->key_flags = 1;
    uint32_t vbar = rig_vectors(r);
    assert_int_equal(rig_run_to_vector(r, vbar), 0x0c);
    assert_int_equal(r->s->ifar, end);
    assert_int_equal(r->s->r[14], end - 2 + 4);
    assert_int_equal(r->s->spsr & 0x20, 0x20); /* from Thumb state */
    assert_int_equal(r->s->r[0], 1);
    assert_int_equal(r->s->r[1], 2);
    rig_free(r);
}

/* ---- Exclusives, barriers, exceptions --------------------------------------------------- */

static void test_t32_ldrex_strex(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->s->r[1] = DATA;
    wr32(r, DATA, 41);
    wr32(r, DATA + 8, 0x01020304);
    wr32(r, DATA + 12, 0x05060708);
    run_asm(r,
            " ldrex r0, [r1]\n"
            " adds r0, #1\n"
            " strex r3, r0, [r1]\n"       /* succeeds: r3 = 0 */
            " ldrex r4, [r1]\n"
            " clrex\n"
            " strex r5, r0, [r1]\n"       /* no monitor: r5 = 1 */
            " add r2, r1, #8\n"
            " ldrexb r6, [r2]\n"
            " adds r6, #1\n"
            " strexb r7, r6, [r2]\n"
            " ldrexh r6, [r2]\n"
            " strexh r7, r6, [r2]\n"
            " ldrexd r8, r9, [r2]\n"
            " add r8, r8, #1\n"
            " strexd r10, r8, r9, [r2]\n"
            " ldrex r0, [r1, #8]\n"       /* the word form's offset */
            " dmb ish\n dsb sy\n isb\n");
    assert_int_equal(rd32(r, DATA), 42);
    assert_int_equal(r->s->r[3], 0);
    assert_int_equal(r->s->r[5], 1);
    assert_int_equal(r->s->r[7], 0);
    assert_int_equal(r->s->r[10], 0);
    assert_int_equal(r->s->r[9], 0x05060708);
    assert_int_equal(rd32(r, DATA + 8), 0x01020306);
    assert_int_equal(r->s->r[0], 0x01020306);
    rig_free(r);
}

static void test_t32_svc_undef_bkpt(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    load_asm(r, " movs r7, #1\n svc #0x42\n movs r7, #2\n");
    uint8_t *mem = rig_to_user_mode(r);
    r->s->thumb = 1;
    r->s->key_flags = 1;
    assert_int_equal(loom_cpu_run(r->cpu, 1000), LOOM_CPU_EXIT_REQUEST);
    assert_int_equal(r->s->exception, ARM_EXC_SVC);
    assert_int_equal(r->s->svc_imm, 0x42);
    assert_int_equal(r->s->r[15], r->code + 4);
    r->s->exception = ARM_EXC_NONE;
    loom_cpu_set_halted(r->cpu, false);
    assert_int_equal(loom_cpu_run(r->cpu, 1000), LOOM_CPU_HALT);
    assert_int_equal(r->s->r[7], 2);
    rig_free(r);
    free(mem);
    static const char *const undef[] = {
        " udf #1\n",
        " udf.w #2\n",
        " .inst.w 0xf3ff8000\n",  /* MRS r0, SPSR */
        " .inst.w 0xe9100000\n",  /* LDMDB r0, {}: no registers */
    };
    for (size_t i = 0; i < sizeof undef / sizeof *undef; i++) {
        r = rig_new();
        char src[256];
        snprintf(src, sizeof src, " movs r0, #1\n%s movs r0, #2\n", undef[i]);
        load_asm(r, src);
        mem = rig_to_user_mode(r);
        r->s->thumb = 1;
        r->s->key_flags = 1;
        loom_cpu_exit why = loom_cpu_run(r->cpu, 1000);
        free(mem);
        if (why != LOOM_CPU_EXIT_REQUEST) fprintf(stderr, "not undefined:%s", undef[i]);
        assert_int_equal(why, LOOM_CPU_EXIT_REQUEST);
        assert_int_equal(r->s->exception, ARM_EXC_UNDEF);
        assert_int_equal(r->s->r[15], r->code + 2);
        assert_int_equal(r->s->r[0], 1);
        rig_free(r);
    }
    r = rig_new();
    uint32_t vbar = rig_vectors(r);
    load_asm(r, " movs r0, #1\n bkpt #3\n");
    assert_int_equal(rig_run_to_vector(r, vbar), 0x0c);
    assert_int_equal(r->s->r[14], r->code + 2 + 4);
    assert_int_equal(r->s->thumb, 0); /* handlers run in ARM state (SCTLR.TE = 0) */
    rig_free(r);
    /* CPS in User mode is a NOP (as qemu-arm has it); in Supervisor mode it
     * unmasks, and an MRS sees the mode and masks. */
    r = rig_new();
    run_asm(r, " cpsid i\n mrs r1, cpsr\n movs r0, #5\n");
    assert_int_equal(r->s->r[0], 5);
    assert_int_equal(r->s->r[1] & 0x1ff, 0x010);
    arm_cpsr_set(r->s, 0x1d3, 0x1ff);
    run_asm(r, " cpsie if\n mrs r1, cpsr\n cpsid a\n mrs r2, cpsr\n");
    assert_int_equal(r->s->r[1] & 0x1ff, 0x113);
    assert_int_equal(r->s->r[2] & 0x1ff, 0x113);
    rig_free(r);
}

/* A data abort inside an IT block: the state is the faulting
 * instruction's, ITSTATE included (from its marker). */
static void test_t32_fault_in_it_block_restores_itstate(void **st)
{
    SKIP_WITHOUT_AS();
    rig *r = rig_new();
    r->s->r[2] = 0x100; /* nothing mapped there */
    load_asm(r, " movs r0, #0\n cmp r0, #0\n itte eq\n moveq r0, #1\n ldreq r1, [r2]\n movne r3, #1\n");
    uint32_t vbar = rig_vectors(r);
    assert_int_equal(rig_run_to_vector(r, vbar), 0x10);
    assert_int_equal(r->s->r[14], r->code + 8 + 8);
    assert_int_equal(r->s->r[0], 1);
    /* ITTE EQ is ITSTATE 0x06; after one instruction 0x0c: the SPSR has
     * it, the handler runs outside any IT block. */
    assert_int_equal(r->s->spsr >> 25 & 3, 0x0c & 3);
    assert_int_equal(r->s->spsr >> 10 & 0x3f, 0x0c >> 2);
    assert_int_equal(r->s->itstate, 0);
    rig_free(r);
}

/* ---- Random programs against qemu-arm ----------------------------------------------- */

/* Random Thumb-2 integer instructions, some in IT blocks, run by Loom and
 * by qemu-arm from the same start state; r0-r11, the APSR and a scratch
 * area must agree at the end. r11 is the memory base, r12 a small index. */
static uint32_t rnd_state;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1664525u + 1013904223u;
    return rnd_state >> 8 ^ rnd_state << 13;
}
static unsigned rr(void) { return rnd() % 11; }

/* A modified immediate: a byte anywhere, or one of the repeated patterns. */
static uint32_t mod_imm(void)
{
    uint32_t b = rnd() & 0xff;
    switch (rnd() % 4) {
    case 0: return b << (rnd() % 25);
    case 1: return b << 16 | b;
    case 2: return b << 24 | b << 8;
    default: return b * 0x01010101u;
    }
}

static int gen_mem(char *p, size_t len, const char *cc)
{
    static const char *const ls[] = {"ldr", "str", "ldrb", "strb", "ldrh", "strh", "ldrsb", "ldrsh"};
    unsigned t = rr(), k = rnd() % 8;
    switch (rnd() % 6) {
    case 0:
        if (rnd() % 2) return snprintf(p, len, " %s%s r%u, [r11, #%u]\n", ls[k], cc, t, rnd() % 1024);
        return snprintf(p, len, " %s%s r%u, [r11, #-%u]\n", ls[k], cc, t, rnd() % 256);
    case 1:
        return snprintf(p, len, " %s%s r%u, [r11, #%s%u]!\n", ls[k], cc, t, rnd() % 2 ? "-" : "", 4 * (rnd() % 8));
    case 2:
        return snprintf(p, len, " %s%s r%u, [r11], #%s%u\n", ls[k], cc, t, rnd() % 2 ? "-" : "", 4 * (rnd() % 8));
    case 3:
        return snprintf(p, len, " %s%s r%u, [r11, r12, lsl #%u]\n", ls[k], cc, t, rnd() % 4);
    case 4: {
        unsigned t2 = (t + 1 + rnd() % 10) % 11;
        return snprintf(p, len, " %s%s r%u, r%u, [r11, #%s%u]%s\n", rnd() % 2 ? "ldrd" : "strd", cc, t, t2,
                        rnd() % 2 ? "-" : "", 4 * (rnd() % 8), rnd() % 2 ? "!" : "");
    }
    default: {
        unsigned list = rnd() & 0x7ff;
        if (__builtin_popcount(list) < 2) list |= 0x81;
        char regs[64];
        size_t rl = 0;
        for (unsigned r = 0; r < 11; r++)
            if (list & (1u << r)) rl += (size_t)snprintf(regs + rl, sizeof regs - rl, "%sr%u", rl ? ", " : "", r);
        return snprintf(p, len, " %s%s%s.w r11%s, {%s}\n", rnd() % 2 ? "ldm" : "stm", rnd() % 2 ? "ia" : "db", cc,
                        rnd() % 2 ? "!" : "", regs);
    }
    }
}

static int gen_media(char *p, size_t len, const char *cc)
{
    static const char *const pre[] = {"s", "q", "sh", "u", "uq", "uh"};
    static const char *const par[] = {"add16", "asx", "sax", "sub16", "add8", "sub8"};
    static const char *const mul3[] = {"smulbb", "smulbt", "smultb", "smultt", "smulwb", "smulwt", "smuad",
                                       "smuadx", "smusd", "smusdx", "smmul", "smmulr", "usad8"};
    static const char *const mul4[] = {"smlabb", "smlabt", "smlatb", "smlatt", "smlawb", "smlawt", "smlad",
                                       "smladx", "smlsd", "smlsdx", "smmla", "smmlar", "smmls", "smmlsr", "usada8"};
    static const char *const mull[] = {"smlalbb", "smlalbt", "smlaltb", "smlaltt", "smlald", "smlaldx", "smlsld",
                                       "smlsldx", "umull", "smull", "umlal", "smlal", "umaal"};
    unsigned d = rr(), n = rr(), m = rr(), a = rr();
    switch (rnd() % 8) {
    case 0: case 1:
        return snprintf(p, len, " %s%s%s r%u, r%u, r%u\n", pre[rnd() % 6], par[rnd() % 6], cc, d, n, m);
    case 2: {
        bool u = rnd() % 2, asr = rnd() % 2;
        unsigned w = u ? rnd() % 32 : 1 + rnd() % 32, sh = asr ? 1 + rnd() % 31 : rnd() % 32;
        return snprintf(p, len, " %s%s r%u, #%u, r%u, %s #%u\n", u ? "usat" : "ssat", cc, d, w, n, asr ? "asr" : "lsl",
                        sh);
    }
    case 3: {
        bool u = rnd() % 2;
        return snprintf(p, len, " %s%s r%u, #%u, r%u\n", u ? "usat16" : "ssat16", cc, d, u ? rnd() % 16 : 1 + rnd() % 16, n);
    }
    case 4:
        if (rnd() % 2) return snprintf(p, len, " pkhbt%s r%u, r%u, r%u, lsl #%u\n", cc, d, n, m, rnd() % 32);
        return snprintf(p, len, " pkhtb%s r%u, r%u, r%u, asr #%u\n", cc, d, n, m, 1 + rnd() % 31);
    case 5:
        if (rnd() % 2) return snprintf(p, len, " %s%s r%u, r%u, ror #%u\n", rnd() % 2 ? "sxtb16" : "uxtb16", cc, d, m, 8 * (rnd() % 4));
        return snprintf(p, len, " %s%s r%u, r%u, r%u, ror #%u\n", rnd() % 2 ? "sxtab16" : "uxtab16", cc, d, n, m, 8 * (rnd() % 4));
    case 6:
        if (rnd() % 2) return snprintf(p, len, " %s%s r%u, r%u, r%u\n", mul3[rnd() % 13], cc, d, n, m);
        return snprintf(p, len, " %s%s r%u, r%u, r%u, r%u\n", mul4[rnd() % 15], cc, d, n, m, a);
    default: {
        unsigned hi = (d + 1 + rnd() % 10) % 11;
        return snprintf(p, len, " %s%s r%u, r%u, r%u, r%u\n", mull[rnd() % 13], cc, d, hi, n, m);
    }
    }
}

/* One instruction with condition suffix cc ("" outside IT blocks). */
static int gen_one(char *p, size_t len, const char *cc)
{
    static const char *const dp[] = {"and", "eor", "sub", "rsb", "add", "adc", "sbc", "orr", "orn", "bic"};
    static const char *const cmp[] = {"tst", "teq", "cmp", "cmn"};
    static const char *const sh[] = {"lsl", "lsr", "asr", "ror"};
    const char *s = rnd() % 2 ? "s" : "";
    char op2[64];
    switch (rnd() % 3) {
    case 0: snprintf(op2, sizeof op2, "#0x%x", mod_imm()); break;
    case 1: snprintf(op2, sizeof op2, "r%u", rr()); break;
    default: {
        unsigned t = rnd() % 5;
        if (t == 4) snprintf(op2, sizeof op2, "r%u, rrx", rr());
        else snprintf(op2, sizeof op2, "r%u, %s #%u", rr(), sh[t], t == 0 || t == 3 ? 1 + rnd() % 31 : 1 + rnd() % 32);
        break;
    }
    }
    unsigned d = rr(), n = rr(), m = rr(), a = rr();
    if (rnd() % 4 == 0) return gen_mem(p, len, cc);
    if (rnd() % 5 == 0) return gen_media(p, len, cc);
    switch (rnd() % 13) {
    case 0: case 1: case 2: case 3:
        return snprintf(p, len, " %s%s%s r%u, r%u, %s\n", dp[rnd() % 10], s, cc, d, n, op2);
    case 4:
        if (op2[0] == '#' || rnd() % 2) return snprintf(p, len, " %s%s%s r%u, %s\n", rnd() % 2 ? "mov" : "mvn", s, cc, d, op2);
        return snprintf(p, len, " %s%s%s r%u, r%u, r%u\n", sh[rnd() % 4], s, cc, d, n, m);
    case 5: return snprintf(p, len, " %s%s r%u, %s\n", cmp[rnd() % 4], cc, n, op2);
    case 6: /* the 16-bit forms the assembler picks for low registers */
        if (rnd() % 2) return snprintf(p, len, " %s%s%s r%u, r%u, #%u\n", rnd() % 2 ? "add" : "sub", s, cc, d & 7, n & 7, rnd() % 8);
        return snprintf(p, len, " %s%s%s r%u, #%u\n", rnd() % 2 ? "add" : "mov", s, cc, d & 7, rnd() % 256);
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
    case 11: {
        static const char *const ml[] = {"mla", "mls"};
        return snprintf(p, len, " %s%s r%u, r%u, r%u, r%u\n", ml[rnd() % 2], cc, d, n, m, a);
    }
    default:
        return snprintf(p, len, " %s%s r%u, #%u\n", rnd() % 2 ? "movw" : "movt", cc, d, rnd() & 0xffff);
    }
}

/* An instruction, or an IT block of 1-4 instructions with mixed then/else
 * conditions: the unit the first-difference search works in. */
static void gen_unit(char *p, size_t len)
{
    if (rnd() % 3) {
        gen_one(p, len, "");
        return;
    }
    unsigned c = rnd() % 14, k = 1 + rnd() % 4;
    char pattern[4] = "", conds[4][4];
    for (unsigned i = 0; i < k; i++) {
        bool then = i == 0 || rnd() % 2;
        if (i) pattern[i - 1] = then ? 't' : 'e';
        snprintf(conds[i], sizeof conds[i], "%s", cond_names[then ? c : c ^ 1]);
    }
    pattern[k - 1] = 0;
    int n = snprintf(p, len, " it%s %s\n", pattern, cond_names[c]);
    for (unsigned i = 0; i < k; i++) n += gen_one(p + n, len - (size_t)n, conds[i]);
}

static bool have_qemu;
#define SCRATCH 4096

static bool same_as_qemu(rig *r, const char *prologue, char units[][512], unsigned n, bool print)
{
    static char body[32768], src[40000];
    size_t len = (size_t)snprintf(body, sizeof body, "%s adr.w r11, scratch\n add r11, r11, #%u\n", prologue, SCRATCH / 2);
    for (unsigned k = 0; k < n; k++) len += (size_t)snprintf(body + len, sizeof body - len, "%s", units[k]);
    snprintf(body + len, sizeof body - len, " adr.w r12, scratch\n sub r11, r11, r12\n");
    const char *tail = " b 9f\n .ltorg\n .align 4\nscratch: .space 4096\n9:\n";
    r->next_code = RAM_BASE;
    jit_engine_flush(loom_sim_assoc(r->sim, &arm_guest));
    memset(r->ram, 0, CODE_LIMIT);
    snprintf(src, sizeof src, "%s%s", body, tail);
    load_asm(r, src);
    run_to_wfi(r);
    char dir[] = "/tmp/loom-t32q-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/q.s", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "\t.syntax unified\n\t.thumb\n\t.global _start\n\t.thumb_func\n_start:\n%s"
            " adr.w r12, buf\n stmia r12, {r0-r11}\n mrs r0, APSR\n str r0, [r12, #48]\n"
            " movs r0, #1\n mov r1, r12\n movs r2, #52\n movs r7, #4\n svc #0\n"
            " movs r0, #1\n adr.w r1, scratch\n mov.w r2, #%u\n movs r7, #4\n svc #0\n"
            " movs r0, #0\n movs r7, #1\n svc #0\n .ltorg\n .align 4\nbuf: .space 64\n%s",
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

static void test_t32_random_programs_match_qemu(void **st)
{
    SKIP_WITHOUT_AS();
    if (!have_qemu) skip();
    rnd_state = 54321;
    rig *r = rig_new();
    static const uint32_t edge[] = {0, 1, 0x80000000, 0xffffffff, 0x7fffffff, 31, 32, 33};
    static char units[24][512];
    for (unsigned prog = 0; prog < 60; prog++) {
        char prologue[2048];
        size_t len = 0;
        for (unsigned k = 0; k < 11; k++) {
            uint32_t v = rnd() % 4 ? rnd() : edge[rnd() % 8];
            len += (size_t)snprintf(prologue + len, sizeof prologue - len, " ldr r%u, =0x%x\n", k, v);
        }
        len += (size_t)snprintf(prologue + len, sizeof prologue - len,
                                " ldr r12, =0x%x\n msr APSR_nzcvq, r12\n msr APSR_g, r12\n movs r12, #%u\n",
                                rnd() & 0xf80f0000u, 4 * (rnd() % 8));
        /* MOVS above set N and Z: put them back from the random word. */
        snprintf(prologue + len, sizeof prologue - len, " ldr r11, =0x%x\n msr APSR_nzcvq, r11\n", rnd() & 0xf8000000u);
        for (unsigned k = 0; k < 24; k++) gen_unit(units[k], sizeof units[k]);
        if (same_as_qemu(r, prologue, units, 24, false)) continue;
        unsigned n = 1;
        while (n < 24 && same_as_qemu(r, prologue, units, n, false)) n++;
        fprintf(stderr, "program %u: first difference after unit %u:\n%s", prog, n, units[n - 1]);
        same_as_qemu(r, prologue, units, n, true);
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
    have_qemu = have_as && system("command -v qemu-arm >/dev/null 2>&1 && command -v arm-linux-gnueabihf-ld >/dev/null 2>&1") == 0;
    if (!have_as) fprintf(stderr, "arm-linux-gnueabihf-as not found: the Thumb tests are skipped\n");
    setenv("LOOM_JIT_VERIFY", "1", 0);
#define T32_TESTS(setup)                                                        \
    cmocka_unit_test_setup(test_t32_16bit_data_processing, setup),              \
    cmocka_unit_test_setup(test_t32_32bit_data_processing, setup),              \
    cmocka_unit_test_setup(test_t32_load_store_forms, setup),                   \
    cmocka_unit_test_setup(test_t32_it_all_conditions, setup),                  \
    cmocka_unit_test_setup(test_t32_it_flag_setting_rules, setup),              \
    cmocka_unit_test_setup(test_t32_it_block_across_block_ends, setup),         \
    cmocka_unit_test_setup(test_t32_branches_cbz_tbb_tbh, setup),               \
    cmocka_unit_test_setup(test_t32_interworking_both_ways, setup),             \
    cmocka_unit_test_setup(test_t32_instruction_across_pages, setup),           \
    cmocka_unit_test_setup(test_t32_ldrex_strex, setup),                        \
    cmocka_unit_test_setup(test_t32_svc_undef_bkpt, setup),                     \
    cmocka_unit_test_setup(test_t32_fault_in_it_block_restores_itstate, setup), \
    cmocka_unit_test_setup(test_t32_random_programs_match_qemu, setup)
    const struct CMUnitTest tests[] = {
        T32_TESTS(on_interp),
        T32_TESTS(on_native),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
