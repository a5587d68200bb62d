/* Unit tests for jit/x86/emit.c. Reference: GNU as (binutils, `as --64`,
 * Intel syntax). Every form is emitted over all registers in each operand
 * slot, the special base/index registers, displacement and immediate
 * boundaries and all sizes; the same instructions are written as assembler
 * text, assembled, and the .text section compared byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* jit/ has no library yet, so the emitter is compiled into this test. */
#include "x86/emit.h"

/* Each instruction gets its own 32-byte slot on both sides (padded with
 * int3 here, `.balign 32, 0xcc` there), so a wrong length is reported on the
 * instruction that has it and does not shift everything after it. */
#define SLOT 32
#define CODE_CAP (8u << 20)

typedef struct harness {
    x86_buf b;
    uint8_t *code;
    char *text; /* the .s file */
    size_t text_len;
    FILE *s;
    size_t n, alloc; /* items */
    size_t *off;
    char **line;
} harness;

static void h_init(harness *h)
{
    memset(h, 0, sizeof *h);
    h->code = malloc(CODE_CAP);
    assert_non_null(h->code);
    x86_buf_init(&h->b, h->code, CODE_CAP);
    h->s = open_memstream(&h->text, &h->text_len);
    assert_non_null(h->s);
    fputs("\t.intel_syntax noprefix\n\t.text\n.Lbase:\n", h->s);
}

static void h_free(harness *h)
{
    for (size_t k = 0; k < h->n; k++)
        free(h->line[k]);
    free(h->line);
    free(h->off);
    free(h->text);
    free(h->code);
}

static void pad(harness *h)
{
    while (x86_buf_len(&h->b) % SLOT) {
        assert_true(h->b.p < h->b.end);
        *h->b.p++ = 0xCC;
    }
}

/* Starts the next instruction: its assembler text, then the caller emits. */
static void __attribute__((format(printf, 2, 3))) item(harness *h, const char *fmt, ...)
{
    pad(h);
    if (h->n == h->alloc) {
        h->alloc = h->alloc ? 2 * h->alloc : 4096;
        h->off = realloc(h->off, h->alloc * sizeof *h->off);
        h->line = realloc(h->line, h->alloc * sizeof *h->line);
        assert_non_null(h->off);
        assert_non_null(h->line);
    }
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&h->line[h->n], fmt, ap) >= 0);
    va_end(ap);
    h->off[h->n++] = x86_buf_len(&h->b);
    fprintf(h->s, "\t.balign %d, 0xcc\n%s\n", SLOT, h->line[h->n - 1]);
}

/* The address an item's text calls `.Lbase + n`. */
static long long at(const harness *h, const void *p)
{
    return (long long)((uintptr_t)p - (uintptr_t)h->code);
}

static bool have_binutils(void)
{
    return system("as --version >/dev/null 2>&1") == 0 &&
           system("objcopy --version >/dev/null 2>&1") == 0;
}

static void show_bytes(const char *what, const uint8_t *p, size_t n)
{
    while (n > 0 && p[n - 1] == 0xCC) /* slot padding */
        n--;
    fprintf(stderr, "    %-8s", what);
    for (size_t k = 0; k < n; k++)
        fprintf(stderr, " %02x", p[k]);
    fprintf(stderr, "\n");
}

/* Reads a whole file; NULL if it cannot. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(n > 0 ? (size_t)n : 1);
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return d;
}

/* Assembles the text with GNU as into a scratch directory and returns the
 * .text bytes. */
static uint8_t *assemble(const char *text, size_t text_len, size_t *len)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512], path[600], cmd[2048];
    snprintf(dir, sizeof dir, "%s/loom-x86-emit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.s", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, text_len, f), text_len);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && as --64 -o t.o t.s 2>as.err && objcopy -O binary -j .text t.o t.bin "
             "|| { head -n 20 as.err >&2; exit 1; }",
             dir);
    int rc = system(cmd);
    uint8_t *bin = NULL;
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/t.bin", dir);
        bin = slurp(path, len);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    assert_int_equal(rc, 0);
    assert_non_null(bin);
    return bin;
}

/* Assembles the items and compares them, slot by slot. */
static void h_check(harness *h, const char *what)
{
    pad(h);
    assert_false(h->b.overflow);
    fprintf(h->s, "\t.balign %d, 0xcc\n", SLOT);
    fclose(h->s);
    h->s = NULL;
    size_t len = x86_buf_len(&h->b), as_len = 0;
    uint8_t *ref = assemble(h->text, h->text_len, &as_len);

    size_t bad = 0;
    for (size_t k = 0; k < h->n; k++) {
        size_t lo = h->off[k], hi = k + 1 < h->n ? h->off[k + 1] : len;
        size_t ref_hi = hi < as_len ? hi : as_len;
        /* hi == lo: the call emitted nothing, which padding would hide */
        if (hi > lo && ref_hi >= lo && hi - lo == ref_hi - lo && !memcmp(ref + lo, h->code + lo, hi - lo))
            continue;
        if (bad++ < 40) {
            fprintf(stderr, "mismatch at +0x%zx: %s\n", lo, h->line[k]);
            show_bytes("as:", ref + lo, ref_hi > lo ? ref_hi - lo : 0);
            show_bytes("emitted:", h->code + lo, hi - lo);
        }
    }
    if (as_len != len)
        fprintf(stderr, "length differs: as %zu bytes, emitted %zu\n", as_len, len);
    print_message("%s: %zu instructions compared with GNU as, %zu differ\n", what, h->n, bad);
    free(ref);
    assert_int_equal(bad, 0);
    assert_int_equal(as_len, len);
}

/* ---- Operand names ------------------------------------------------------ */

static const char *const r64[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const r32[16] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                     "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const r16[16] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                     "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" };
static const char *const r8[16] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
                                    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };
static const char *const cc_name[16] = { "o", "no", "b", "ae", "e", "ne", "be", "a",
                                         "s", "ns", "p", "np", "l", "ge", "le", "g" };
static const char *const alu_name[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };
static const char *const shift_name[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", NULL, "sar" };
static const unsigned sizes[4] = { 8, 16, 32, 64 };

static const char *R(unsigned size, int r)
{
    switch (size) {
    case 8: return r8[r];
    case 16: return r16[r];
    case 32: return r32[r];
    default: return r64[r];
    }
}

static const char *X(int r)
{
    static const char *const xmm[16] = { "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
                                         "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
                                         "xmm12", "xmm13", "xmm14", "xmm15" };
    return xmm[r];
}

/* "dword ptr [rbx + r12*4 - 0x10]"; size 0 leaves the size out, 128 is an
 * xmmword. Returned by value, so it lives to the end of the full expression. */
typedef struct mtext {
    char s[96];
} mtext;

static mtext M(unsigned size, x86_mem m)
{
    mtext t;
    const char *ptr = size == 8 ? "byte ptr " : size == 16 ? "word ptr " : size == 32 ? "dword ptr "
                    : size == 64 ? "qword ptr " : size == 128 ? "xmmword ptr " : "";
    char inner[64] = "";
    int n = 0;
    if (m.base == X86_RIP)
        n = snprintf(inner, sizeof inner, "rip");
    else if (m.base != X86_NOREG)
        n = snprintf(inner, sizeof inner, "%s", r64[m.base]);
    if (m.index != X86_NOREG)
        n += snprintf(inner + n, sizeof inner - n, "%s%s*%u", n ? " + " : "", r64[m.index], m.scale);
    long long d = m.disp;
    if (n == 0)
        snprintf(inner, sizeof inner, "%lld", d);
    else if (d > 0)
        snprintf(inner + n, sizeof inner - n, " + %lld", d);
    else if (d < 0)
        snprintf(inner + n, sizeof inner - n, " - %lld", -d);
    snprintf(t.s, sizeof t.s, "%s[%s]", ptr, inner);
    return t;
}

/* ---- Operand sets ------------------------------------------------------- */

/* Addressing cases every memory form is tried with: the SIB-forcing bases
 * (RSP, R12), the disp-forcing ones (RBP, R13), R12 and R13 as index, no
 * base, RIP, absolute, disp8/disp32 edges, all scales. */
static const x86_mem few_mems[] = {
    { X86_RAX, X86_NOREG, 1, 0 },
    { X86_RSP, X86_NOREG, 1, 0 },
    { X86_R12, X86_NOREG, 1, 0 },
    { X86_RBP, X86_NOREG, 1, 0 },
    { X86_R13, X86_NOREG, 1, 0 },
    { X86_RBP, X86_NOREG, 1, 8 },
    { X86_R13, X86_NOREG, 1, -8 },
    { X86_RSP, X86_NOREG, 1, 0x100 },
    { X86_R15, X86_NOREG, 1, 127 },
    { X86_RDI, X86_NOREG, 1, 128 },
    { X86_RSI, X86_NOREG, 1, -128 },
    { X86_R11, X86_NOREG, 1, -129 },
    { X86_R12, X86_R13, 8, -0x80 },
    { X86_RAX, X86_R12, 2, 0 },
    { X86_RBP, X86_RAX, 1, 0 },
    { X86_R13, X86_R15, 4, 0x12345678 },
    { X86_RBX, X86_RBP, 8, 127 },
    { X86_R8, X86_R9, 1, INT32_MIN },
    { X86_RDX, X86_R14, 8, INT32_MAX },
    { X86_NOREG, X86_RCX, 4, 16 },
    { X86_NOREG, X86_R12, 1, 0 },
    { X86_RIP, X86_NOREG, 1, 0x100 },
    { X86_RIP, X86_NOREG, 1, -4 },
    { X86_NOREG, X86_NOREG, 1, 0x1000 },
    { X86_NOREG, X86_NOREG, 1, -16 },
};
#define NFEW (sizeof few_mems / sizeof few_mems[0])

/* Every base with every displacement class, every base/index/scale pair,
 * index without base, RIP and absolute: about 3,300 operands. */
static size_t all_mems(x86_mem *out)
{
    static const int32_t disps[] = { 0, 1, -1, 127, -128, 128, -129, 0x1234, -0x1234, INT32_MAX, INT32_MIN };
    static const int32_t sib_disps[] = { 0, -128, 0x12345 };
    static const uint8_t scales[] = { 1, 2, 4, 8 };
    size_t n = 0;
    for (int base = 0; base < 16; base++)
        for (size_t d = 0; d < sizeof disps / sizeof *disps; d++)
            out[n++] = x86_mem_base(base, disps[d]);
    for (int base = 0; base < 16; base++)
        for (int index = 0; index < 16; index++)
            for (int s = 0; s < 4 && index != X86_RSP; s++)
                for (size_t d = 0; d < 3; d++)
                    out[n++] = x86_mem_sib(base, index, scales[s], sib_disps[d]);
    for (int index = 0; index < 16; index++)
        for (int s = 0; s < 4 && index != X86_RSP; s++)
            for (size_t d = 0; d < 4; d++)
                out[n++] = x86_mem_sib(X86_NOREG, index, scales[s], (int32_t[]){ 0, 16, -16, INT32_MAX }[d]);
    for (size_t d = 0; d < 6; d++)
        out[n++] = x86_mem_rip((int32_t[]){ 0, 1, -1, 0x1000, INT32_MIN, INT32_MAX }[d]);
    for (size_t d = 0; d < 5; d++)
        out[n++] = x86_mem_abs((int32_t[]){ 0, 0x1000, -16, INT32_MAX, INT32_MIN }[d]);
    return n;
}

/* Immediates around the imm8 and imm16 edges and the imm32 extremes. */
static const int32_t imms[] = { 0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 0x1234, -0x1234,
                                32767, -32768, 32768, 65535, INT32_MAX, INT32_MIN, 0x12345678, -0x12345678 };
#define NIMM (sizeof imms / sizeof imms[0])

static bool imm_fits(unsigned size, int64_t v)
{
    return size == 8 ? v >= INT8_MIN && v <= INT8_MAX : size == 16 ? v >= INT16_MIN && v <= INT16_MAX : true;
}

/* ---- Integer ALU -------------------------------------------------------- */

static void gen_alu(harness *h)
{
    for (int op = 0; op < 8; op++) {
        for (int si = 0; si < 4; si++) {
            unsigned s = sizes[si];
            for (int d = 0; d < 16; d++)
                for (int r = 0; r < 16; r++) {
                    item(h, "%s %s, %s", alu_name[op], R(s, d), R(s, r));
                    x86_alu_rr(&h->b, op, s, d, r);
                }
            for (int d = 0; d < 16; d++)
                for (size_t k = 0; k < NIMM; k++)
                    if (imm_fits(s, imms[k])) {
                        item(h, "%s %s, %d", alu_name[op], R(s, d), imms[k]);
                        x86_alu_ri(&h->b, op, s, d, imms[k]);
                    }
            /* every register against some operand, every operand against some register */
            for (size_t k = 0; k < 16 + NFEW; k++) {
                int r = k < 16 ? (int)k : (int)(k * 7 + op) % 16;
                x86_mem m = few_mems[k < 16 ? (k + op) % NFEW : k - 16];
                item(h, "%s %s, %s", alu_name[op], R(s, r), M(s, m).s);
                x86_alu_rm(&h->b, op, s, r, m);
                item(h, "%s %s, %s", alu_name[op], M(s, m).s, R(s, r));
                x86_alu_mr(&h->b, op, s, m, r);
                if (op != X86_CMP) {
                    item(h, "lock %s %s, %s", alu_name[op], M(s, m).s, R(s, r));
                    x86_lock_alu_mr(&h->b, op, s, m, r);
                }
            }
            static const int32_t mimm[] = { 0, 1, -129, -128, 127, 128, INT32_MIN, INT32_MAX, 65535 };
            for (size_t k = 0; k < NFEW; k++)
                for (size_t i = 0; i < sizeof mimm / sizeof *mimm; i++)
                    if (imm_fits(s, mimm[i])) {
                        item(h, "%s %s, %d", alu_name[op], M(s, few_mems[k]).s, mimm[i]);
                        x86_alu_mi(&h->b, op, s, few_mems[k], mimm[i]);
                    }
        }
    }
}

static void gen_test_and_unary(harness *h)
{
    static const char *const un_name[8] = { "not", "neg", "mul", "imul", "div", "idiv", "inc", "dec" };
    void (*const un[8])(x86_buf *, unsigned, int) = { x86_not, x86_neg, x86_mul, x86_imul1,
                                                      x86_div, x86_idiv, x86_inc, x86_dec };
    for (int si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        for (int a = 0; a < 16; a++)
            for (int c = 0; c < 16; c++) {
                item(h, "test %s, %s", R(s, a), R(s, c));
                x86_test_rr(&h->b, s, a, c);
            }
        for (int r = 0; r < 16; r++)
            for (size_t k = 0; k < NIMM; k++)
                if (imm_fits(s, imms[k])) {
                    item(h, "test %s, %d", R(s, r), imms[k]);
                    x86_test_ri(&h->b, s, r, imms[k]);
                }
        for (size_t k = 0; k < NFEW; k++) {
            int32_t v = s == 8 ? -128 : s == 16 ? 0x7fff : INT32_MIN + (int32_t)k;
            item(h, "test %s, %d", M(s, few_mems[k]).s, v);
            x86_test_mi(&h->b, s, few_mems[k], v);
        }
        for (int u = 0; u < 8; u++)
            for (int r = 0; r < 16; r++) {
                item(h, "%s %s", un_name[u], R(s, r));
                un[u](&h->b, s, r);
            }
    }
    for (unsigned s = 16; s <= 64; s *= 2) {
        for (int d = 0; d < 16; d++)
            for (int r = 0; r < 16; r++) {
                item(h, "imul %s, %s", R(s, d), R(s, r));
                x86_imul_rr(&h->b, s, d, r);
            }
        for (size_t k = 0; k < NFEW; k++) {
            int d = (int)(k * 5) % 16;
            item(h, "imul %s, %s", R(s, d), M(s, few_mems[k]).s);
            x86_imul_rm(&h->b, s, d, few_mems[k]);
        }
        for (int d = 0; d < 16; d++)
            for (size_t k = 0; k < NIMM; k++)
                if (imm_fits(s, imms[k])) {
                    int r = (d + (int)k) % 16;
                    item(h, "imul %s, %s, %d", R(s, d), R(s, r), imms[k]);
                    x86_imul_rri(&h->b, s, d, r, imms[k]);
                }
    }
    item(h, "cwd");
    x86_cwd(&h->b);
    item(h, "cdq");
    x86_cdq(&h->b);
    item(h, "cqo");
    x86_cqo(&h->b);
    item(h, "cdqe");
    x86_cdqe(&h->b);
}

static void test_alu_forms_match_gnu_as(void **state)
{
    if (!have_binutils()) skip();
    harness h;
    h_init(&h);
    gen_alu(&h);
    gen_test_and_unary(&h);
    h_check(&h, "alu, test, unary, multiply");
    h_free(&h);
}

/* ---- Moves -------------------------------------------------------------- */

static void gen_mov(harness *h)
{
    for (int si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        for (int d = 0; d < 16; d++)
            for (int r = 0; r < 16; r++) {
                item(h, "mov %s, %s", R(s, d), R(s, r));
                x86_mov_rr(&h->b, s, d, r);
            }
        for (int d = 0; d < 16; d++)
            for (size_t k = 0; k < NIMM; k++)
                if (imm_fits(s, imms[k])) {
                    item(h, "mov %s, %d", R(s, d), imms[k]);
                    x86_mov_ri(&h->b, s, d, imms[k]);
                }
        for (int r = 0; r < 16; r++)
            for (size_t k = 0; k < NFEW; k++) {
                item(h, "mov %s, %s", R(s, r), M(s, few_mems[k]).s);
                x86_mov_rm(&h->b, s, r, few_mems[k]);
                item(h, "mov %s, %s", M(s, few_mems[k]).s, R(s, r));
                x86_mov_mr(&h->b, s, few_mems[k], r);
            }
        for (size_t k = 0; k < NFEW; k++)
            for (size_t i = 0; i < NIMM; i += 3)
                if (imm_fits(s, imms[i])) {
                    item(h, "mov %s, %d", M(s, few_mems[k]).s, imms[i]);
                    x86_mov_mi(&h->b, s, few_mems[k], imms[i]);
                }
    }
    /* mov r32, imm takes the full unsigned range too */
    for (int d = 0; d < 16; d++) {
        item(h, "mov %s, 0xffffffff", R(32, d));
        x86_mov_ri(&h->b, 32, d, 0xffffffff);
        item(h, "mov %s, 0x80000000", R(32, d));
        x86_mov_ri(&h->b, 32, d, 0x80000000);
    }

    static const uint64_t big[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
                                    UINT64_MAX, 0xffffffff80000000, 0xffffffff7fffffff,
                                    0x123456789abcdef0, 0x8000000000000000, 0x7fffffffffffffff };
    for (int d = 0; d < 16; d++)
        for (size_t k = 0; k < sizeof big / sizeof *big; k++) {
            uint64_t v = big[k];
            item(h, "movabs %s, 0x%llx", R(64, d), (unsigned long long)v);
            x86_movabs(&h->b, d, v);
            const char *shortest = v <= UINT32_MAX ? "mov %s, 0x%llx"
                                 : (int64_t)v == (int32_t)v ? "mov %s, %lld" : "movabs %s, 0x%llx";
            const char *reg = v <= UINT32_MAX ? R(32, d) : R(64, d);
            long long arg = v <= UINT32_MAX || (int64_t)v != (int32_t)v ? (long long)v : (int64_t)v;
            if (v == 0)
                item(h, "xor %s, %s", reg, reg);
            else
                item(h, shortest, reg, arg);
            x86_load_imm(&h->b, d, v);
            item(h, shortest, reg, arg);
            x86_load_imm_keep_flags(&h->b, d, v);
        }

    static const unsigned ext[][2] = { { 16, 8 }, { 32, 8 }, { 64, 8 }, { 32, 16 }, { 64, 16 }, { 64, 32 } };
    for (size_t e = 0; e < 6; e++) {
        unsigned ds = ext[e][0], ss = ext[e][1];
        for (int d = 0; d < 16; d++)
            for (int r = 0; r < 16; r++) {
                if (ss == 32)
                    item(h, "mov %s, %s", R(32, d), R(32, r));
                else
                    item(h, "movzx %s, %s", R(ds, d), R(ss, r));
                x86_movzx_rr(&h->b, ds, ss, d, r);
                item(h, "%s %s, %s", ss == 32 ? "movsxd" : "movsx", R(ds, d), R(ss, r));
                x86_movsx_rr(&h->b, ds, ss, d, r);
            }
        for (size_t k = 0; k < 16 + NFEW; k++) {
            int d = k < 16 ? (int)k : (int)(k * 3 + e) % 16;
            x86_mem m = few_mems[k < 16 ? (k + e) % NFEW : k - 16];
            if (ss == 32)
                item(h, "mov %s, %s", R(32, d), M(32, m).s);
            else
                item(h, "movzx %s, %s", R(ds, d), M(ss, m).s);
            x86_movzx_rm(&h->b, ds, ss, d, m);
            item(h, "%s %s, %s", ss == 32 ? "movsxd" : "movsx", R(ds, d), M(ss, m).s);
            x86_movsx_rm(&h->b, ds, ss, d, m);
        }
    }

    for (unsigned s = 16; s <= 64; s *= 2)
        for (int d = 0; d < 16; d++)
            for (size_t k = 0; k < NFEW; k++) {
                item(h, "lea %s, %s", R(s, d), M(0, few_mems[k]).s);
                x86_lea(&h->b, s, d, few_mems[k]);
            }
}

static void test_mov_forms_match_gnu_as(void **state)
{
    if (!have_binutils()) skip();
    harness h;
    h_init(&h);
    gen_mov(&h);
    h_check(&h, "mov, movabs, load_imm, movzx/movsx, lea");
    h_free(&h);
}

/* ---- Addressing --------------------------------------------------------- */

static void test_every_addressing_mode_matches_gnu_as(void **state)
{
    if (!have_binutils()) skip();
    harness h;
    h_init(&h);
    x86_mem *mems = malloc(4096 * sizeof *mems);
    assert_non_null(mems);
    size_t n = all_mems(mems);
    assert_true(n <= 4096);
    for (size_t k = 0; k < n; k++) {
        x86_mem m = mems[k];
        int r = (int)(k % 16);
        item(&h, "mov %s, %s", R(64, r), M(64, m).s);
        x86_mov_rm(&h.b, 64, r, m);
        item(&h, "mov %s, %s", M(8, m).s, R(8, (r + 5) % 16));
        x86_mov_mr(&h.b, 8, m, (r + 5) % 16);
        item(&h, "lea %s, %s", R(32, (r + 9) % 16), M(0, m).s);
        x86_lea(&h.b, 32, (r + 9) % 16, m);
        item(&h, "%s %s, %d", alu_name[k % 8], M(16, m).s, k & 1 ? 0x1000 : -5);
        x86_alu_mi(&h.b, k % 8, 16, m, k & 1 ? 0x1000 : -5);
        item(&h, "addsd %s, %s", X((r + 3) % 16), M(64, m).s);
        x86_sse_rm(&h.b, X86_ADDSD, (r + 3) % 16, m);
    }
    free(mems);
    h_check(&h, "addressing modes");
    h_free(&h);
}

/* ---- Shifts and bits ---------------------------------------------------- */

static void gen_shift_bits(harness *h)
{
    static const uint8_t counts[] = { 0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63 };
    for (int si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        for (int op = 0; op < 8; op++) {
            if (!shift_name[op]) continue;
            for (int r = 0; r < 16; r++) {
                for (size_t k = 0; k < sizeof counts; k++)
                    if (counts[k] < (s < 32 ? 32 : s)) {
                        item(h, "%s %s, %u", shift_name[op], R(s, r), counts[k]);
                        x86_shift_ri(&h->b, op, s, r, counts[k]);
                    }
                item(h, "%s %s, cl", shift_name[op], R(s, r));
                x86_shift_cl(&h->b, op, s, r);
            }
        }
    }
    for (unsigned s = 16; s <= 64; s *= 2) {
        for (int d = 0; d < 16; d++)
            for (int r = 0; r < 16; r++) {
                uint8_t c = (uint8_t)((d * 16 + r) % s);
                item(h, "shld %s, %s, %u", R(s, d), R(s, r), c);
                x86_shld_ri(&h->b, s, d, r, c);
                item(h, "shrd %s, %s, %u", R(s, d), R(s, r), c);
                x86_shrd_ri(&h->b, s, d, r, c);
                item(h, "shld %s, %s, cl", R(s, d), R(s, r));
                x86_shld_cl(&h->b, s, d, r);
                item(h, "shrd %s, %s, cl", R(s, d), R(s, r));
                x86_shrd_cl(&h->b, s, d, r);
            }
        for (int r = 0; r < 16; r++) {
            if (s == 16)
                item(h, "rol %s, 8", R(16, r));
            else
                item(h, "bswap %s", R(s, r));
            x86_bswap(&h->b, s, r);
        }
    }

    static const struct { x86_bitcount op; const char *name; } bc[] = {
        { X86_BSF, "bsf" }, { X86_BSR, "bsr" }, { X86_TZCNT, "tzcnt" },
        { X86_LZCNT, "lzcnt" }, { X86_POPCNT, "popcnt" },
    };
    static const char *const bt_name[4] = { "bt", "bts", "btr", "btc" };
    for (unsigned s = 16; s <= 64; s *= 2) {
        for (size_t o = 0; o < 5; o++) {
            for (int d = 0; d < 16; d++)
                for (int r = 0; r < 16; r++) {
                    item(h, "%s %s, %s", bc[o].name, R(s, d), R(s, r));
                    x86_bitcount_rr(&h->b, bc[o].op, s, d, r);
                }
            for (size_t k = 0; k < NFEW; k++) {
                int d = (int)(k + o) % 16;
                item(h, "%s %s, %s", bc[o].name, R(s, d), M(s, few_mems[k]).s);
                x86_bitcount_rm(&h->b, bc[o].op, s, d, few_mems[k]);
            }
        }
        for (int op = X86_BT; op <= X86_BTC; op++) {
            for (int r = 0; r < 16; r++) {
                static const uint8_t bits[] = { 0, 1, 7, 8, 15, 31, 63 };
                for (size_t k = 0; k < sizeof bits; k++)
                    if (bits[k] < s) {
                        item(h, "%s %s, %u", bt_name[op - X86_BT], R(s, r), bits[k]);
                        x86_bt_ri(&h->b, op, s, r, bits[k]);
                    }
                for (int c = 0; c < 16; c++) {
                    item(h, "%s %s, %s", bt_name[op - X86_BT], R(s, r), R(s, c));
                    x86_bt_rr(&h->b, op, s, r, c);
                }
            }
            for (size_t k = 0; k < NFEW; k++) {
                uint8_t bit = (uint8_t)((k * 11) % s);
                item(h, "%s %s, %u", bt_name[op - X86_BT], M(s, few_mems[k]).s, bit);
                x86_bt_mi(&h->b, op, s, few_mems[k], bit);
            }
        }
    }

    for (int cc = 0; cc < 16; cc++) {
        for (int r = 0; r < 16; r++) {
            item(h, "set%s %s", cc_name[cc], R(8, r));
            x86_setcc(&h->b, cc, r);
            item(h, "set%s %s\n\tmovzx %s, %s", cc_name[cc], R(8, r), R(32, r), R(8, r));
            x86_setcc_zx(&h->b, cc, r);
        }
        for (unsigned s = 16; s <= 64; s *= 2) {
            for (int d = 0; d < 16; d++)
                for (int r = 0; r < 16; r += (cc == X86_CC_E ? 1 : 5)) {
                    item(h, "cmov%s %s, %s", cc_name[cc], R(s, d), R(s, (r + d) % 16));
                    x86_cmov_rr(&h->b, cc, s, d, (r + d) % 16);
                }
            for (size_t k = 0; k < NFEW; k += 2) {
                int d = (int)(k + cc) % 16;
                item(h, "cmov%s %s, %s", cc_name[cc], R(s, d), M(s, few_mems[k]).s);
                x86_cmov_rm(&h->b, cc, s, d, few_mems[k]);
            }
        }
    }
}

static void test_shift_and_bit_forms_match_gnu_as(void **state)
{
    if (!have_binutils()) skip();
    harness h;
    h_init(&h);
    gen_shift_bits(&h);
    h_check(&h, "shifts, rotates, bswap, bit counts, bt, setcc, cmov");
    h_free(&h);
}

/* ---- Control flow ------------------------------------------------------- */

static void gen_control(harness *h)
{
    /* keep branch targets after the start of the section */
    item(h, ".nops 256");
    x86_nop(&h->b, 256);

    static const int32_t rel32s[] = { 0, 1, -1, 127, 128, -128, -129, 0x12345, -0x300, 0x7fff0000 };
    static const int32_t rel8s[] = { 0, 1, -1, 2, 127, -128, -100 };
    for (size_t k = 0; k < sizeof rel32s / sizeof *rel32s; k++) {
        int32_t rel = rel32s[k];
        pad(h);
        const uint8_t *t = h->b.p + 5 + rel;
        item(h, "{disp32} jmp .Lbase + %lld", at(h, t));
        x86_jmp(&h->b, t);
        pad(h);
        t = h->b.p + 5 + rel;
        item(h, "call .Lbase + %lld", at(h, t));
        x86_call(&h->b, t);
        for (int cc = 0; cc < 16; cc++) {
            pad(h);
            t = h->b.p + 6 + rel;
            item(h, "{disp32} j%s .Lbase + %lld", cc_name[cc], at(h, t));
            x86_jcc(&h->b, cc, t);
        }
    }
    for (size_t k = 0; k < sizeof rel8s / sizeof *rel8s; k++) {
        int32_t rel = rel8s[k];
        pad(h);
        const uint8_t *t = h->b.p + 2 + rel;
        item(h, "{disp8} jmp .Lbase + %lld", at(h, t));
        x86_jmp8(&h->b, t);
        for (int cc = 0; cc < 16; cc++) {
            pad(h);
            t = h->b.p + 2 + rel;
            item(h, "{disp8} j%s .Lbase + %lld", cc_name[cc], at(h, t));
            x86_jcc8(&h->b, cc, t);
        }
    }

    /* call_abs: rel32 when in reach, movabs + call through scratch when not */
    pad(h);
    const uint8_t *near = h->b.p + 0x1000;
    item(h, "call .Lbase + %lld", at(h, near));
    x86_call_abs(&h->b, near, X86_R11);
    const void *far = (const void *)((uintptr_t)h->code ^ (1ull << 42));
    item(h, "movabs r11, 0x%llx\n\tcall r11", (unsigned long long)(uintptr_t)far);
    x86_call_abs(&h->b, far, X86_R11);

    for (int r = 0; r < 16; r++) {
        item(h, "call %s", R(64, r));
        x86_call_r(&h->b, r);
        item(h, "jmp %s", R(64, r));
        x86_jmp_r(&h->b, r);
        item(h, "push %s", R(64, r));
        x86_push(&h->b, r);
        item(h, "pop %s", R(64, r));
        x86_pop(&h->b, r);
    }
    for (size_t k = 0; k < NFEW; k++) {
        item(h, "call %s", M(64, few_mems[k]).s);
        x86_call_m(&h->b, few_mems[k]);
        item(h, "jmp %s", M(64, few_mems[k]).s);
        x86_jmp_m(&h->b, few_mems[k]);
    }
    item(h, "ret");
    x86_ret(&h->b);
    item(h, "stc");
    x86_stc(&h->b);
    item(h, "int3");
    x86_int3(&h->b);
    item(h, "ud2");
    x86_ud2(&h->b);
    /* 88 bytes and up start with a jump over the rest, rel8 up to 129 */
    static const unsigned long_nops[] = { 77, 86, 87, 88, 89, 100, 128, 129, 130, 131, 200, 300 };
    for (unsigned n = 1; n <= 40 + sizeof long_nops / sizeof *long_nops; n++) {
        unsigned len = n <= 40 ? n : long_nops[n - 41];
        item(h, ".nops %u", len);
        x86_nop(&h->b, len);
    }
}

static void test_control_forms_match_gnu_as(void **state)
{
    if (!have_binutils()) skip();
    harness h;
    h_init(&h);
    gen_control(&h);
    h_check(&h, "branches, calls, push/pop, nops");
    h_free(&h);
}

/* ---- Atomics ------------------------------------------------------------ */

static void test_atomic_forms_match_gnu_as(void **state)
{
    if (!have_binutils()) skip();
    harness h;
    h_init(&h);
    for (int si = 0; si < 4; si++) {
        unsigned s = sizes[si];
        for (size_t k = 0; k < 16 + NFEW; k++) {
            int r = k < 16 ? (int)k : (int)(k * 7 + s) % 16;
            x86_mem m = few_mems[k < 16 ? (k * 3) % NFEW : k - 16];
            item(&h, "xchg %s, %s", M(s, m).s, R(s, r));
            x86_xchg_mr(&h.b, s, m, r);
            item(&h, "lock cmpxchg %s, %s", M(s, m).s, R(s, r));
            x86_lock_cmpxchg(&h.b, s, m, r);
            item(&h, "lock xadd %s, %s", M(s, m).s, R(s, r));
            x86_lock_xadd(&h.b, s, m, r);
        }
    }
    item(&h, "mfence");
    x86_mfence(&h.b);
    item(&h, "lfence");
    x86_lfence(&h.b);
    item(&h, "sfence");
    x86_sfence(&h.b);
    h_check(&h, "atomics and fences");
    h_free(&h);
}

/* ---- SSE ---------------------------------------------------------------- */

static void test_sse_forms_match_gnu_as(void **state)
{
    if (!have_binutils()) skip();
    static const struct { x86_sse_op op; const char *name; unsigned msize; } ops[] = {
        { X86_MOVSS, "movss", 32 }, { X86_MOVSD, "movsd", 64 },
        { X86_SQRTSS, "sqrtss", 32 }, { X86_SQRTSD, "sqrtsd", 64 },
        { X86_ADDSS, "addss", 32 }, { X86_ADDSD, "addsd", 64 },
        { X86_MULSS, "mulss", 32 }, { X86_MULSD, "mulsd", 64 },
        { X86_CVTSS2SD, "cvtss2sd", 32 }, { X86_CVTSD2SS, "cvtsd2ss", 64 },
        { X86_SUBSS, "subss", 32 }, { X86_SUBSD, "subsd", 64 },
        { X86_MINSS, "minss", 32 }, { X86_MINSD, "minsd", 64 },
        { X86_DIVSS, "divss", 32 }, { X86_DIVSD, "divsd", 64 },
        { X86_MAXSS, "maxss", 32 }, { X86_MAXSD, "maxsd", 64 },
        { X86_UCOMISS, "ucomiss", 32 }, { X86_UCOMISD, "ucomisd", 64 },
        { X86_COMISS, "comiss", 32 }, { X86_COMISD, "comisd", 64 },
        { X86_ANDPS, "andps", 128 }, { X86_ANDPD, "andpd", 128 },
        { X86_ANDNPS, "andnps", 128 }, { X86_ANDNPD, "andnpd", 128 },
        { X86_ORPS, "orps", 128 }, { X86_ORPD, "orpd", 128 },
        { X86_XORPS, "xorps", 128 }, { X86_XORPD, "xorpd", 128 },
        { X86_PXOR, "pxor", 128 },
    };
    static const struct { x86_cvt op; const char *name; bool to_int; unsigned fsize; } cvts[] = {
        { X86_CVTSI2SS, "cvtsi2ss", false, 32 }, { X86_CVTSI2SD, "cvtsi2sd", false, 64 },
        { X86_CVTTSS2SI, "cvttss2si", true, 32 }, { X86_CVTTSD2SI, "cvttsd2si", true, 64 },
        { X86_CVTSS2SI, "cvtss2si", true, 32 }, { X86_CVTSD2SI, "cvtsd2si", true, 64 },
    };
    harness h;
    h_init(&h);
    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++) {
        for (int d = 0; d < 16; d++)
            for (int r = 0; r < 16; r++) {
                item(&h, "%s %s, %s", ops[o].name, X(d), X(r));
                x86_sse_rr(&h.b, ops[o].op, d, r);
            }
        for (size_t k = 0; k < 16 + NFEW; k++) {
            int d = k < 16 ? (int)k : (int)(k * 5 + o) % 16;
            x86_mem m = few_mems[k < 16 ? (k + o) % NFEW : k - 16];
            item(&h, "%s %s, %s", ops[o].name, X(d), M(ops[o].msize, m).s);
            x86_sse_rm(&h.b, ops[o].op, d, m);
        }
    }
    for (size_t k = 0; k < 16 + NFEW; k++) {
        int r = k < 16 ? (int)k : (int)(k * 3) % 16;
        x86_mem m = few_mems[k < 16 ? (k * 2) % NFEW : k - 16];
        item(&h, "movss %s, %s", M(32, m).s, X(r));
        x86_movss_mr(&h.b, m, r);
        item(&h, "movsd %s, %s", M(64, m).s, X(r));
        x86_movsd_mr(&h.b, m, r);
    }
    for (unsigned s = 32; s <= 64; s *= 2) {
        const char *mov = s == 32 ? "movd" : "movq";
        for (int x = 0; x < 16; x++)
            for (int g = 0; g < 16; g++) {
                item(&h, "%s %s, %s", mov, X(x), R(s, g));
                x86_movd_xr(&h.b, s, x, g);
                item(&h, "%s %s, %s", mov, R(s, g), X(x));
                x86_movd_rx(&h.b, s, g, x);
            }
        for (size_t c = 0; c < sizeof cvts / sizeof *cvts; c++) {
            for (int d = 0; d < 16; d++)
                for (int r = 0; r < 16; r++) {
                    if (cvts[c].to_int)
                        item(&h, "%s %s, %s", cvts[c].name, R(s, d), X(r));
                    else
                        item(&h, "%s %s, %s", cvts[c].name, X(d), R(s, r));
                    x86_cvt_rr(&h.b, cvts[c].op, s, d, r);
                }
            for (size_t k = 0; k < NFEW; k++) {
                int d = (int)(k * 7 + c) % 16;
                if (cvts[c].to_int)
                    item(&h, "%s %s, %s", cvts[c].name, R(s, d), M(cvts[c].fsize, few_mems[k]).s);
                else
                    item(&h, "%s %s, %s", cvts[c].name, X(d), M(s, few_mems[k]).s);
                x86_cvt_rm(&h.b, cvts[c].op, s, d, few_mems[k]);
            }
        }
    }
    h_check(&h, "SSE2 scalar");
    h_free(&h);
}

/* ---- Branch patching ---------------------------------------------------- */

/* Forward branches emitted with a zero field and patched once the label is
 * known, plus a backward patch, give the same code as GNU as resolving the
 * labels itself. */
static void test_patched_branches_reach_their_labels(void **state)
{
    if (!have_binutils()) skip();
    uint8_t *code = malloc(4096);
    assert_non_null(code);
    x86_buf b;
    x86_buf_init(&b, code, 4096);

    uint8_t *l0 = b.p;
    uint8_t *f1 = x86_jcc_fwd(&b, X86_CC_E);
    uint8_t *f2 = x86_jmp8_fwd(&b);
    x86_mov_ri(&b, 32, X86_RAX, 1);
    uint8_t *l1 = b.p;
    assert_true(x86_patch_rel32(f1, l1));
    uint8_t *f3 = x86_call_fwd(&b);
    x86_jcc8(&b, X86_CC_NE, l0);
    x86_jmp(&b, l0);
    uint8_t *l2 = b.p;
    assert_true(x86_patch_rel8(f2, l2));
    uint8_t *f4 = x86_jcc8_fwd(&b, X86_CC_L);
    uint8_t *f6 = x86_jcc_fwd(&b, X86_CC_A);
    x86_nop(&b, 5);
    uint8_t *l3 = b.p;
    assert_true(x86_patch_rel32(f3, l3));
    assert_true(x86_patch_rel8(f4, l3));
    uint8_t *f5 = x86_jmp_fwd(&b);
    assert_true(x86_patch_rel32(f5, l0));
    assert_true(x86_patch_rel32(f6, l2));
    x86_ret(&b);
    /* a rel8 that cannot reach leaves the field alone */
    assert_false(x86_patch_rel8(f4, l3 + 200));
    assert_false(x86_patch_rel8(f4, l0 - 130));
    assert_false(b.overflow);

    static const char text[] =
        "\t.intel_syntax noprefix\n"
        ".L0:\n"
        "\t{disp32} je .L1\n"
        "\t{disp8} jmp .L2\n"
        "\tmov eax, 1\n"
        ".L1:\n"
        "\tcall .L3\n"
        "\t{disp8} jne .L0\n"
        "\t{disp32} jmp .L0\n"
        ".L2:\n"
        "\t{disp8} jl .L3\n"
        "\t{disp32} ja .L2\n"
        "\t.nops 5\n"
        ".L3:\n"
        "\t{disp32} jmp .L0\n"
        "\tret\n";
    size_t as_len = 0;
    uint8_t *ref = assemble(text, sizeof text - 1, &as_len);
    assert_int_equal(as_len, x86_buf_len(&b));
    if (memcmp(ref, code, as_len)) {
        show_bytes("as:", ref, as_len);
        show_bytes("emitted:", code, x86_buf_len(&b));
        fail_msg("patched branches differ from GNU as");
    }
    free(ref);
    free(code);
}

/* ---- Buffer limits ------------------------------------------------------ */

static void test_overflow_drops_the_instruction_and_never_writes_past_end(void **state)
{
    uint8_t mem[64];
    x86_buf b;

    /* exactly full is not overflow */
    memset(mem, 0xAB, sizeof mem);
    x86_buf_init(&b, mem, 10);
    x86_movabs(&b, X86_R9, 0x1122334455667788);
    assert_false(b.overflow);
    assert_ptr_equal(b.p, mem + 10);
    x86_int3(&b);
    assert_true(b.overflow);
    assert_ptr_equal(b.p, mem + 10);
    assert_int_equal(mem[10], 0xAB);

    /* an instruction that does not fit is dropped whole, and overflow is
     * sticky: a later one that would fit is not written either */
    memset(mem, 0xAB, sizeof mem);
    x86_buf_init(&b, mem, 16);
    x86_movabs(&b, X86_RAX, 1);
    x86_alu_mi(&b, X86_ADD, 64, x86_mem_sib(X86_R12, X86_R13, 8, 0x12345678), 0x1000); /* 12 bytes */
    assert_true(b.overflow);
    assert_ptr_equal(b.p, mem + 10);
    x86_ret(&b);
    assert_ptr_equal(b.p, mem + 10);
    assert_null(x86_jmp_fwd(&b));
    assert_null(x86_jcc8_fwd(&b, X86_CC_E));
    assert_true(x86_patch_rel32(NULL, mem));
    for (size_t k = 10; k < sizeof mem; k++)
        assert_int_equal(mem[k], 0xAB);

    /* a long nop run stops at the last whole nop that fits */
    for (size_t cap = 0; cap <= 24; cap++) {
        memset(mem, 0xAB, sizeof mem);
        x86_buf_init(&b, mem, cap);
        x86_nop(&b, 30);
        assert_true(b.overflow);
        assert_int_equal(x86_buf_len(&b), cap >= 22 ? 22 : cap >= 11 ? 11 : 0);
        for (size_t k = x86_buf_len(&b); k < sizeof mem; k++)
            assert_int_equal(mem[k], 0xAB);
    }

    /* every size of buffer against every length of one instruction form */
    for (size_t cap = 0; cap <= 16; cap++) {
        memset(mem, 0xAB, sizeof mem);
        x86_buf_init(&b, mem, cap);
        x86_mov_mi(&b, 64, x86_mem_sib(X86_R13, X86_R12, 4, 0x10000), -2); /* REX C7 ModRM SIB disp32 imm32 */
        assert_int_equal(b.overflow, cap < 12);
        assert_int_equal(x86_buf_len(&b), cap < 12 ? 0 : 12);
        for (size_t k = x86_buf_len(&b); k < sizeof mem; k++)
            assert_int_equal(mem[k], 0xAB);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu_forms_match_gnu_as),
        cmocka_unit_test(test_mov_forms_match_gnu_as),
        cmocka_unit_test(test_every_addressing_mode_matches_gnu_as),
        cmocka_unit_test(test_shift_and_bit_forms_match_gnu_as),
        cmocka_unit_test(test_control_forms_match_gnu_as),
        cmocka_unit_test(test_atomic_forms_match_gnu_as),
        cmocka_unit_test(test_sse_forms_match_gnu_as),
        cmocka_unit_test(test_patched_branches_reach_their_labels),
        cmocka_unit_test(test_overflow_drops_the_instruction_and_never_writes_past_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
