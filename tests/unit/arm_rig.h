/* The ARM tests' shared rig: a simulation with RAM and one Cortex-A15, and
 * snippets assembled at test time by arm-linux-gnueabihf-as, loaded at fresh
 * addresses so no translated code is stale. The including test defines
 * `backend` (the JIT back end new rigs use) before including this. */
#ifndef LOOM_TESTS_ARM_RIG_H
#define LOOM_TESTS_ARM_RIG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arm/arm.h"

#define RAM_BASE 0x10000u
#define RAM_SIZE 0x20000u
#define DATA (RAM_BASE + 0x18000u) /* scratch data, far from code */
#define CODE_LIMIT 0x18000u

typedef struct rig {
    loom_sim *sim;
    loom_cpu *cpu;
    arm_state *s;
    uint8_t *ram;
    loom_region *reg;
    uint32_t next_code; /* each snippet gets fresh addresses: no stale code */
    uint32_t code;      /* address of the last snippet */
    uint32_t code_end;  /* address just past it */
} rig;

static void ram_transport(void *opaque, loom_txn *t)
{
    rig *r = opaque;
    if (t->addr + t->len > RAM_SIZE) {
        t->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(t->cmd)) {
        memcpy(r->ram + t->addr, t->data, t->len);
        loom_region_notify_write(r->reg, t->addr, t->len);
    } else {
        memcpy(t->data, r->ram + t->addr, t->len);
    }
    t->resp = LOOM_RESP_OK;
}

static bool ram_dmi(void *opaque, uint64_t off, loom_dmi *d)
{
    rig *r = opaque;
    *d = (loom_dmi){.host = r->ram, .start = 0, .end = RAM_SIZE - 1, .rights = LOOM_DMI_READ | LOOM_DMI_WRITE};
    return true;
}

static const loom_target_ops ram_ops = {ram_transport, ram_dmi, NULL};

static rig *rig_new(void)
{
    rig *r = calloc(1, sizeof *r);
    assert_non_null(r);
    assert_int_equal(loom_sim_new(&r->sim), LOOM_OK);
    loom_sim_set_jit(r->sim, backend);
    r->ram = calloc(1, RAM_SIZE);
    assert_int_equal(loom_region_new(r->sim, "ram", RAM_SIZE, &ram_ops, r, &r->reg), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(r->sim), r->reg, RAM_BASE, 0, NULL), LOOM_OK);
    loom_cpu_opts o = {.name = "cpu0", .clock_hz = 100000000};
    assert_int_equal(loom_cpu_new(r->sim, "arm", "cortex-a15", NULL, &o, &r->cpu), LOOM_OK);
    r->s = arm_state_of(r->cpu);
    /* Snippets run in User mode (system mode, MMU off), the view the
     * instruction tests compare with qemu-arm; tests of the privileged
     * architecture change mode themselves. */
    arm_cpsr_set(r->s, 0x10, 0x1ff);
    r->next_code = RAM_BASE;
    /* LOOM_TEST_LOG=in_asm,op,out_asm traces what the tests translate. */
    const char *log = getenv("LOOM_TEST_LOG");
    unsigned mask;
    if (log && !loom_log_parse(r->sim, log, &mask)) loom_log_set_mask(r->sim, mask);
    return r;
}

static void rig_free(rig *r)
{
    loom_sim_free(r->sim);
    free(r->ram);
    free(r);
}

static inline uint32_t rd32(rig *r, uint32_t a) { return (uint32_t)loom_get_le(r->ram + a - RAM_BASE, 4); }
static inline void wr32(rig *r, uint32_t a, uint32_t v) { loom_put_le(r->ram + a - RAM_BASE, 4, v); }

/* Assemble `preamble` + src + a WFI, load it at fresh addresses and point the
 * pc at it, in Thumb state if thumb. */
static inline void rig_load_asm(rig *r, const char *preamble, const char *src, bool thumb)
{
    char dir[] = "/tmp/loom-arm-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], cmd[1024];
    snprintf(path, sizeof path, "%s/t.s", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s\n%s\n\twfi\n", preamble, src);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "arm-linux-gnueabihf-as -march=armv7ve -o %s/t.o %s/t.s && "
             "arm-linux-gnueabihf-objcopy -O binary %s/t.o %s/t.bin",
             dir, dir, dir, dir);
    int rc = system(cmd);
    if (rc) fprintf(stderr, "cannot assemble:\n%s\n", src);
    assert_int_equal(rc, 0);
    snprintf(path, sizeof path, "%s/t.bin", dir);
    f = fopen(path, "rb");
    assert_non_null(f);
    uint32_t at = r->next_code;
    size_t n = fread(r->ram + at - RAM_BASE, 1, CODE_LIMIT - (at - RAM_BASE), f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    assert_true(n > 0 && at - RAM_BASE + n < CODE_LIMIT);
    r->code = at;
    r->code_end = at + (uint32_t)n;
    r->next_code = (at + (uint32_t)n + 0xff) & ~0xffu;
    r->s->r[15] = at;
    if (thumb) {
        r->s->thumb = 1;
        r->s->itstate = 0;
        r->s->key_flags = 1;
    }
}

/* System mode: a vector table of WFIs at a fresh address (VBAR), so an
 * exception halts the CPU in its handler's first instruction. */
static inline uint32_t rig_vectors(rig *r)
{
    uint32_t at = (r->next_code + 0x1f) & ~0x1fu;
    for (unsigned i = 0; i < 8; i++) wr32(r, at + 4 * i, 0xe320f003); /* wfi */
    r->next_code = at + 0x100;
    r->s->vbar = at;
    return at;
}

/* Run until the CPU halts in one of rig_vectors' slots: its offset. */
static inline uint32_t rig_run_to_vector(rig *r, uint32_t vbar)
{
    loom_cpu_set_halted(r->cpu, false);
    loom_cpu_exit why = loom_cpu_run(r->cpu, 1000);
    if (why != LOOM_CPU_HALT) fprintf(stderr, "stopped: %s at 0x%x (%s)\n", loom_cpu_exit_name(why), r->s->r[15],
                                      loom_sim_last_error(r->sim) ? loom_sim_last_error(r->sim) : "");
    assert_int_equal(why, LOOM_CPU_HALT);
    assert_true(r->s->r[15] > vbar && r->s->r[15] <= vbar + 0x20);
    return r->s->r[15] - 4 - vbar;
}

/* Run the loaded snippet until it halts at its WFI. */
static inline void rig_run(rig *r)
{
    loom_cpu_set_halted(r->cpu, false);
    loom_cpu_exit why = loom_cpu_run(r->cpu, 100000);
    if (why != LOOM_CPU_HALT) fprintf(stderr, "stopped: %s at 0x%x (%s)\n", loom_cpu_exit_name(why), r->s->r[15],
                                      loom_sim_last_error(r->sim) ? loom_sim_last_error(r->sim) : "");
    assert_int_equal(why, LOOM_CPU_HALT);
}

#endif
