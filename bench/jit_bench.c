/* Micro-benchmarks of the JIT engine on the toy guest: translation speed
 * (guest instructions translated per second) and the cost of a block
 * transition, chained and through the run loop, on each back end.
 * Prints a Markdown table; --json prints JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "toy.h"

#define RAM_BASE 0x10000u
#define RAM_SIZE (16u << 20)

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ram_transport(void *o, loom_txn *t)
{
    uint8_t *ram = o;
    if (t->addr + t->len > RAM_SIZE) {
        t->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(t->cmd)) memcpy(ram + t->addr, t->data, t->len);
    else memcpy(t->data, ram + t->addr, t->len);
    t->resp = LOOM_RESP_OK;
}

static bool ram_dmi(void *o, uint64_t off, loom_dmi *d)
{
    *d = (loom_dmi){.host = o, .start = 0, .end = RAM_SIZE - 1, .rights = LOOM_DMI_READ | LOOM_DMI_WRITE};
    return true;
}

static const loom_target_ops ram_ops = {ram_transport, ram_dmi, NULL};

typedef struct rig {
    loom_sim *sim;
    loom_cpu *cpu;
    uint8_t *ram;
} rig;

static void rig_new(rig *r, loom_jit_choice jit, const uint32_t *prog, size_t n)
{
    loom_sim_new(&r->sim);
    loom_sim_set_jit(r->sim, jit);
    loom_sim_register_arch(r->sim, &toy_arch);
    r->ram = calloc(1, RAM_SIZE);
    loom_region *reg;
    loom_region_new(r->sim, "ram", RAM_SIZE, &ram_ops, r->ram, &reg);
    loom_bus_map(loom_sim_memory(r->sim), reg, RAM_BASE, 0, NULL);
    loom_cpu_opts o = {.name = "cpu0"};
    if (loom_cpu_new(r->sim, "toy", NULL, NULL, &o, &r->cpu)) {
        fprintf(stderr, "bench: %s\n", loom_sim_last_error(r->sim));
        exit(1);
    }
    for (size_t i = 0; i < n; i++) loom_put_le(r->ram + 4 * i, 4, prog[i]);
    toy_state_of(r->cpu)->pc = RAM_BASE;
}

static void rig_free(rig *r)
{
    loom_sim_free(r->sim);
    free(r->ram);
}

/* Straight-line code executed once: nearly all the time is translation. */
static double translation_rate(loom_jit_choice jit, uint64_t *ns_out)
{
    const size_t n = 1u << 20;
    uint32_t *prog = malloc(n * sizeof *prog);
    uint64_t x = 42;
    for (size_t i = 0; i < n - 1; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        static const unsigned ops[] = {TOY_ADD, TOY_SUB, TOY_XOR, TOY_ADDI, TOY_SHL, TOY_MUL, TOY_LD, TOY_ST};
        unsigned op = ops[x % 8];
        prog[i] = toy_enc(op, (x >> 8) % 6, (x >> 12) % 6, (x >> 16) % 6,
                          op == TOY_LD || op == TOY_ST ? 0 : (int)(x >> 20) % 100);
        if (op == TOY_LD || op == TOY_ST) prog[i] = toy_enc(op, (x >> 8) % 6, 7, 0, (int)((x >> 20) % 1024) * 4);
    }
    prog[n - 1] = toy_enc(TOY_HALT, 0, 0, 0, 0);
    rig r;
    rig_new(&r, jit, prog, n);
    toy_state_of(r.cpu)->r[7] = RAM_BASE + 8u * 1024 * 1024;
    loom_cpu_run(r.cpu, n);
    jit_stats st = jit_engine_stats(toy_state_of(r.cpu)->jc.eng);
    *ns_out = st.translate_ns;
    double rate = (double)st.insns_translated / ((double)st.translate_ns / 1e9);
    rig_free(&r);
    free(prog);
    return rate;
}

/* A ring of blocks, each one ADDI and a JAL to the next: ns per block. */
static double transition_ns(loom_jit_choice jit, bool chain)
{
    const size_t blocks = 64;
    uint32_t prog[2 * 64 + 1];
    for (size_t i = 0; i < blocks; i++) {
        prog[2 * i] = toy_enc(TOY_ADDI, 1, 1, 0, 1);
        int off = i + 1 < blocks ? 0 : -(int)(2 * blocks); /* next block, or back to the first */
        prog[2 * i + 1] = toy_enc(TOY_JAL, 6, 0, 0, off);
    }
    if (chain) unsetenv("LOOM_JIT_NOCHAIN");
    else setenv("LOOM_JIT_NOCHAIN", "1", 1);
    rig r;
    rig_new(&r, jit, prog, 2 * blocks);
    loom_cpu_run(r.cpu, 10000); /* warm up */
    const uint64_t insns = 20000000;
    uint64_t t0 = now_ns();
    loom_cpu_run(r.cpu, insns);
    uint64_t dt = now_ns() - t0;
    rig_free(&r);
    unsetenv("LOOM_JIT_NOCHAIN");
    return (double)dt / (double)(insns / 2);
}

int main(int argc, char **argv)
{
    bool json = argc > 1 && !strcmp(argv[1], "--json");
    uint64_t tn_native, tn_interp;
    double rate_native = translation_rate(LOOM_JIT_NATIVE, &tn_native);
    double rate_interp = translation_rate(LOOM_JIT_INTERP, &tn_interp);
    double chained = transition_ns(LOOM_JIT_NATIVE, true);
    double unchained = transition_ns(LOOM_JIT_NATIVE, false);
    double interp = transition_ns(LOOM_JIT_INTERP, true);
    if (json) {
        printf("{\"translate_insns_per_s\": {\"native\": %.0f, \"interp\": %.0f},\n", rate_native, rate_interp);
        printf(" \"block_transition_ns\": {\"chained\": %.2f, \"run_loop\": %.2f, \"interp\": %.2f}}\n", chained,
               unchained, interp);
        return 0;
    }
    printf("| measure | value |\n|---|---|\n");
    printf("| translation, native back end (guest insns/s) | %.2f M |\n", rate_native / 1e6);
    printf("| translation, interpreter back end (guest insns/s) | %.2f M |\n", rate_interp / 1e6);
    printf("| block of 2 insns + chained transition (ns) | %.2f |\n", chained);
    printf("| block of 2 insns + transition through the run loop (ns) | %.2f |\n", unchained);
    printf("| block of 2 insns on the interpreter (ns) | %.2f |\n", interp);
    return 0;
}
