/* UNPREDICTABLE and undefined encodings do not crash: completely random
 * A32 words and random Thumb halfword pairs, one at a time from a random
 * state, on both JIT back ends. Each must end in a defined way: it runs (to
 * the WFI after it, or wherever it branched, within an instruction budget),
 * or it raises an exception the state names (undefined instruction at its
 * own pc, SVC, BKPT, alignment fault, prefetch abort). The CPUs run in user
 * mode over the whole 4 GB guest address space, so any address a random
 * instruction forms is memory, executable only where the cases are (random
 * code must not run from memory random stores change). The two back ends run the same cases side by side and
 * must end in the same state. Every block is verified (LOOM_JIT_VERIFY).
 * The random generator has a fixed seed; LOOM_FUZZ_SEED picks another. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "arm/arm.h"

static loom_jit_choice backend = LOOM_JIT_NATIVE;

#include "arm_rig.h"

#define CASES 12000          /* per instruction set */
#define BUDGET 200           /* instructions per case */
#define SLOT 16              /* bytes of code per case */
#define CODE 0x00100000u     /* case i is at CODE + SLOT * i */
#define DATA_AREA 0x00400000u /* where half the registers point */
#define DATA_BYTES 0x10000u
#define GUEST_BYTES ((1ull << 32) + 0x10000) /* every 32-bit address, and what an 8-byte access at the top reads */

static uint64_t rnd_state;

static uint32_t rnd(void)
{
    /* xorshift64*: the same sequence on every host. */
    rnd_state ^= rnd_state >> 12;
    rnd_state ^= rnd_state << 25;
    rnd_state ^= rnd_state >> 27;
    return (uint32_t)((rnd_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* What the outcome of a case was, for the summary. */
enum { OUT_HALT, OUT_BUDGET, OUT_UNDEF, OUT_SVC, OUT_BKPT, OUT_ALIGN, OUT_PABT, OUT_COUNT };
static const char *const out_names[] = {"ran to a WFI", "used its budget", "undefined", "SVC", "BKPT",
                                        "alignment fault", "prefetch abort"};

/* A CPU in user mode over its own 4 GB of guest memory. */
typedef struct fuzz_cpu {
    rig *r;
    uint8_t *mem;
    uint8_t *prot; /* JIT_PAGE_* by 4 KB page */
} fuzz_cpu;

static fuzz_cpu fuzz_cpu_new(loom_jit_choice be)
{
    backend = be;
    fuzz_cpu f = {rig_new(), NULL, NULL};
    void *m = mmap(NULL, GUEST_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(m != MAP_FAILED);
    f.mem = m;
    assert_int_equal(arm_user_init(f.r->cpu, f.mem, GUEST_BYTES), LOOM_OK);
    size_t pages = (size_t)(GUEST_BYTES >> 12);
    f.prot = malloc(pages);
    assert_non_null(f.prot);
    memset(f.prot, JIT_PAGE_READ | JIT_PAGE_WRITE, pages);
    memset(f.prot + (CODE >> 12), JIT_PAGE_READ | JIT_PAGE_WRITE | JIT_PAGE_EXEC, (SLOT * CASES + 0xfff) >> 12);
    f.r->s->jc.user_prot = f.prot;
    return f;
}

static void fuzz_cpu_free(fuzz_cpu *f)
{
    rig_free(f->r);
    munmap(f->mem, GUEST_BYTES);
    free(f->prot);
}

/* The start state of a case: random registers (half of them pointing into
 * RAM so loads and stores reach memory), flags, Q, GE, FPSCR (its writable
 * bits) and VFP registers; the pc at the case. */
typedef struct start {
    uint32_t r[15], nzcv, qf, ge, fpscr;
    uint64_t d[32];
} start;

static void random_start(start *st)
{
    for (int i = 0; i < 15; i++)
        st->r[i] = rnd() & 1 ? DATA_AREA + (rnd() % DATA_BYTES & ~3u) : rnd();
    st->nzcv = rnd() & 15;
    st->qf = rnd() & 1;
    st->ge = rnd() & 15;
    st->fpscr = rnd() & 0xf7c0009fu;
    for (int i = 0; i < 32; i++) st->d[i] = (uint64_t)rnd() << 32 | rnd();
}

static void apply_start(fuzz_cpu *f, const start *st, uint32_t pc, bool thumb)
{
    arm_state *s = f->r->s;
    memcpy(s->r, st->r, sizeof st->r);
    s->r[15] = pc;
    arm_cpsr_set(s, (uint32_t)st->nzcv << 28, 0xf0000000u);
    s->qf = st->qf;
    s->ge = st->ge;
    s->fpscr = st->fpscr;
    memcpy(s->d, st->d, sizeof s->d);
    s->thumb = thumb;
    s->itstate = 0;
    s->key_flags = thumb;
    s->exception = ARM_EXC_NONE;
    s->excl_valid = 0;
}

/* Write a case's code at `at`: an A32 word and WFIs, or a Thumb pair and
 * enough WFIs to leave any IT block; the engine forgets anything it
 * translated there (a random branch may have been there first). */
static void write_case(fuzz_cpu *f, uint32_t at, bool thumb, uint32_t w1, uint32_t w2)
{
    uint8_t *p = f->mem + at;
    if (thumb) {
        loom_put_le(p, 2, w1 & 0xffff);
        loom_put_le(p + 2, 2, w2 & 0xffff);
        for (unsigned k = 4; k < SLOT; k += 2) loom_put_le(p + k, 2, 0xbf30); /* WFI */
    } else {
        loom_put_le(p, 4, w1);
        loom_put_le(p + 4, 4, 0xe320f003); /* WFI */
        loom_put_le(p + 8, 4, 0xe320f003);
        loom_put_le(p + 12, 4, 0xe320f003);
    }
    jit_invalidate(f->r->s->jc.eng, at, at + SLOT);
}

/* Run one case; the outcome, after checking it is one the architecture
 * allows. */
static int run_case(fuzz_cpu *f, uint32_t at, bool thumb, uint32_t w1, uint32_t w2)
{
    loom_cpu_set_halted(f->r->cpu, false);
    loom_cpu_exit why = loom_cpu_run(f->r->cpu, BUDGET);
    arm_state *s = f->r->s;
    int out = -1;
    switch (why) {
    case LOOM_CPU_HALT: out = OUT_HALT; break;
    case LOOM_CPU_BUDGET: out = OUT_BUDGET; break;
    case LOOM_CPU_EXIT_REQUEST:
        switch (s->exception) {
        case ARM_EXC_UNDEF: out = OUT_UNDEF; break;
        case ARM_EXC_SVC: out = OUT_SVC; break;
        case ARM_EXC_BKPT: out = OUT_BKPT; break;
        case ARM_EXC_ALIGNMENT: out = OUT_ALIGN; break;
        case ARM_EXC_PREFETCH_ABORT: out = OUT_PABT; break;
        default: break;
        }
        break;
    default: break;
    }
    if (out < 0) {
        fprintf(stderr, "%s 0x%08x 0x%08x: stopped by %s, exception %u, pc 0x%08x (%s)\n", thumb ? "T32" : "A32", w1,
                w2, loom_cpu_exit_name(why), s->exception, s->r[15],
                loom_sim_last_error(f->r->sim) ? loom_sim_last_error(f->r->sim) : "");
        fail();
    }
    /* An undefined instruction in the case itself stops with the pc at it
     * (in Thumb, the second one if the first ran). */
    if (out == OUT_UNDEF && s->r[15] >= at && s->r[15] < at + SLOT) {
        bool ok = s->r[15] == at || (thumb && s->r[15] == at + 2 && (w1 & 0xffff) < 0xe800);
        if (!ok) fprintf(stderr, "%s 0x%08x 0x%08x: undefined at 0x%08x, case at 0x%08x\n", thumb ? "T32" : "A32", w1,
                         w2, s->r[15], at);
        assert_true(ok);
    }
    /* The state agrees with itself: Thumb bit and key, an aligned pc. */
    assert_int_equal(s->key_flags & 1, s->thumb & 1);
    assert_int_equal(s->r[15] & (s->thumb ? 1u : 3u), 0);
    return out;
}

/* What two back ends must agree on. */
static bool same_state(const arm_state *a, const arm_state *b)
{
    return !memcmp(a->r, b->r, sizeof a->r) && arm_cpsr_get(a) >> 28 == arm_cpsr_get(b) >> 28 &&
           a->qf == b->qf && a->ge == b->ge && a->thumb == b->thumb && a->itstate == b->itstate &&
           a->fpscr == b->fpscr && !memcmp(a->d, b->d, sizeof a->d) && a->exception == b->exception;
}

static void dump_diff(const arm_state *a, const arm_state *b)
{
    for (int i = 0; i < 16; i++)
        if (a->r[i] != b->r[i]) fprintf(stderr, "  r%d native 0x%08x interp 0x%08x\n", i, a->r[i], b->r[i]);
    fprintf(stderr, "  nzcv native %x interp %x, q %u %u, ge %x %x, thumb %u %u, it %02x %02x\n", arm_cpsr_get(a) >> 28,
            arm_cpsr_get(b) >> 28, a->qf, b->qf, a->ge, b->ge, a->thumb, b->thumb, a->itstate, b->itstate);
    fprintf(stderr, "  fpscr 0x%08x 0x%08x, exception %u %u\n", a->fpscr, b->fpscr, a->exception, b->exception);
    for (int i = 0; i < 32; i++)
        if (a->d[i] != b->d[i])
            fprintf(stderr, "  d%d 0x%016llx 0x%016llx\n", i, (unsigned long long)a->d[i], (unsigned long long)b->d[i]);
}

/* A random pair: fully random, or (a third of the time) the first
 * halfword from the 32-bit encoding space, which is where most of Thumb-2
 * lives. */
static void random_words(bool thumb, uint32_t *w1, uint32_t *w2)
{
    *w1 = rnd();
    *w2 = rnd();
    if (thumb && rnd() % 3 == 0) *w1 = 0xe800 | (*w1 & 0x17ff);
}

static void fuzz(bool thumb)
{
    const char *env = getenv("LOOM_FUZZ_SEED");
    rnd_state = env ? strtoull(env, NULL, 0) * 0x9e3779b97f4a7c15ull + 1 : 0x5eed1234abcdull + thumb;
    fuzz_cpu native = fuzz_cpu_new(LOOM_JIT_NATIVE), interp = fuzz_cpu_new(LOOM_JIT_INTERP);
    unsigned counts[OUT_COUNT] = {0}, smc = 0;
    uint32_t at = CODE;
    clock_t t0 = clock();
    for (unsigned i = 0; i < CASES; i++) {
        uint32_t w1, w2;
        random_words(thumb, &w1, &w2);
        start st;
        random_start(&st);
        write_case(&native, at, thumb, w1, w2);
        write_case(&interp, at, thumb, w1, w2);
        uint8_t code[SLOT];
        memcpy(code, native.mem + at, SLOT);
        apply_start(&native, &st, at, thumb);
        apply_start(&interp, &st, at, thumb);
        int a = run_case(&native, at, thumb, w1, w2);
        int b = run_case(&interp, at, thumb, w1, w2);
        counts[a]++;
        at += SLOT;
        if (memcmp(native.mem + at - SLOT, code, SLOT) || memcmp(interp.mem + at - SLOT, code, SLOT)) {
            /* It stored into its own code: whether the old or the new
             * instruction runs next is the implementation's choice (A3.5.4:
             * without an ISB), and the back ends choose differently. Back
             * to common ground. */
            memcpy(interp.mem + DATA_AREA, native.mem + DATA_AREA, DATA_BYTES);
            smc++;
            continue;
        }
        if (a != b || !same_state(native.r->s, interp.r->s) ||
            memcmp(native.mem + DATA_AREA, interp.mem + DATA_AREA, DATA_BYTES)) {
            fprintf(stderr, "%s 0x%08x 0x%08x: the back ends differ (native: %s, interp: %s)\n", thumb ? "T32" : "A32",
                    w1, w2, out_names[a], out_names[b]);
            dump_diff(native.r->s, interp.r->s);
            for (uint32_t k = 0; k < DATA_BYTES; k += 4)
                if (memcmp(native.mem + DATA_AREA + k, interp.mem + DATA_AREA + k, 4))
                    fprintf(stderr, "  [0x%08x] native 0x%08x interp 0x%08x\n", DATA_AREA + k,
                            (uint32_t)loom_get_le(native.mem + DATA_AREA + k, 4),
                            (uint32_t)loom_get_le(interp.mem + DATA_AREA + k, 4));
            fail();
        }
    }
    fprintf(stderr, "%s: %u random cases in %.1f s:", thumb ? "T32" : "A32", CASES,
            (double)(clock() - t0) / CLOCKS_PER_SEC);
    for (int k = 0; k < OUT_COUNT; k++) fprintf(stderr, " %u %s,", counts[k], out_names[k]);
    fprintf(stderr, " %u stored into their own code\n", smc);
    /* Most random words are not undefined: the translator took them. */
    assert_true(counts[OUT_HALT] > CASES / 4);
    fuzz_cpu_free(&native);
    fuzz_cpu_free(&interp);
}

static void test_arm_fuzz_random_a32_words_end_defined(void **st) { fuzz(false); }
static void test_arm_fuzz_random_t32_pairs_end_defined(void **st) { fuzz(true); }

int main(void)
{
    setenv("LOOM_JIT_VERIFY", "1", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arm_fuzz_random_a32_words_end_defined),
        cmocka_unit_test(test_arm_fuzz_random_t32_pairs_end_defined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
