/* Memories: RAM and ROM (optionally filled from a file). Both grant DMI. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "loom/loom.h"

typedef struct mem {
    loom_inst *inst;
    loom_region *region;
    uint8_t *data;
    uint64_t size;
    bool rom;
    bool warned; /* one guest_errors line per ROM for writes, not thousands */
    loom_time latency;
} mem;

static void mem_transport(void *opaque, loom_txn *txn)
{
    mem *m = opaque;
    if (txn->addr >= m->size || txn->len > m->size - txn->addr) {
        txn->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(txn->cmd)) {
        if (m->rom && !loom_cmd_is_debug(txn->cmd)) {
            if (!m->warned)
                loom_inst_log(m->inst, LOOM_LOG_GUEST_ERRORS, "write to ROM at offset 0x%llx ignored\n",
                              (unsigned long long)txn->addr);
            m->warned = true;
        } else {
            memcpy(m->data + txn->addr, txn->data, txn->len);
            /* Through transport: a DMA engine or bus master, not a CPU's
             * fast path; translated code over these bytes must go. */
            loom_region_notify_write(m->region, txn->addr, txn->len);
        }
    } else {
        memcpy(txn->data, m->data + txn->addr, txn->len);
    }
    txn->delay += m->latency;
    txn->resp = LOOM_RESP_OK;
}

static bool mem_get_dmi(void *opaque, uint64_t offset, loom_dmi *dmi)
{
    mem *m = opaque;
    *dmi = (loom_dmi){.host = m->data,
                      .start = 0,
                      .end = m->size - 1,
                      .rights = m->rom ? LOOM_DMI_READ : LOOM_DMI_READ | LOOM_DMI_WRITE,
                      .read_latency = m->latency,
                      .write_latency = m->latency};
    return true;
}

/* Debug accesses may write ROM (loaders, debuggers). */
static void mem_debug(void *opaque, loom_txn *txn)
{
    mem *m = opaque;
    if (txn->addr >= m->size || txn->len > m->size - txn->addr) {
        txn->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(txn->cmd)) {
        memcpy(m->data + txn->addr, txn->data, txn->len);
        loom_region_notify_write(m->region, txn->addr, txn->len);
    } else {
        memcpy(txn->data, m->data + txn->addr, txn->len);
    }
    txn->resp = LOOM_RESP_OK;
}

static const loom_target_ops mem_ops = {mem_transport, mem_get_dmi, mem_debug};

/* Anonymous mappings: pages the guest never touches cost nothing, so a
 * board can declare gigabytes of RAM. */
static loom_err mem_alloc(mem *m, loom_inst *inst)
{
    void *p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return loom_inst_error(inst, LOOM_E_NOMEM, "cannot reserve %llu bytes: %s",
                               (unsigned long long)m->size, strerror(errno));
    m->data = p;
    return LOOM_OK;
}

static loom_err load_file(mem *m, loom_inst *inst, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return loom_inst_error(inst, LOOM_E_IO, "cannot open '%s': %s", path, strerror(errno));
    size_t n = fread(m->data, 1, m->size, f);
    bool more = fgetc(f) != EOF;
    bool err = ferror(f);
    fclose(f);
    if (err) return loom_inst_error(inst, LOOM_E_IO, "cannot read '%s'", path);
    if (more)
        return loom_inst_error(inst, LOOM_E_CONFIG, "'%s' is larger than the ROM (%llu bytes)", path,
                               (unsigned long long)m->size);
    (void)n;
    return LOOM_OK;
}

static loom_err file_size(loom_inst *inst, const char *path, uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return loom_inst_error(inst, LOOM_E_IO, "cannot open '%s': %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    if (n <= 0) return loom_inst_error(inst, LOOM_E_CONFIG, "'%s' is empty", path);
    *size = (uint64_t)n;
    return LOOM_OK;
}

static loom_err mem_init_common(loom_inst *inst, mem *m, bool rom)
{
    m->inst = inst;
    m->rom = rom;
    m->size = loom_inst_prop_u64(inst, "size");
    m->latency = loom_inst_prop_u64(inst, "latency");
    const char *file = rom ? loom_inst_prop_str(inst, "file") : "";
    loom_err e;
    if (m->size == 0 && *file) {
        e = file_size(inst, file, &m->size);
        if (e) return e;
    }
    if (m->size == 0) return loom_inst_error(inst, LOOM_E_CONFIG, "size must not be 0");
    e = mem_alloc(m, inst);
    if (!e && *file) e = load_file(m, inst, file);
    if (!e) e = loom_inst_add_region(inst, "regs", m->size, &mem_ops, m, &m->region);
    return e;
}

static loom_err ram_init(loom_inst *inst, void *state) { return mem_init_common(inst, state, false); }
static loom_err rom_init(loom_inst *inst, void *state) { return mem_init_common(inst, state, true); }

static void mem_fini(void *state)
{
    mem *m = state;
    if (m->data) munmap(m->data, m->size);
}

/* RAM contents are state; only pages that are not all zero are saved, so a
 * mostly empty gigabyte costs little. */
#define PAGE 4096u

static void mem_save(void *state, loom_buf *b)
{
    mem *m = state;
    static const uint8_t zero[PAGE];
    for (uint64_t off = 0; off < m->size; off += PAGE) {
        uint64_t n = m->size - off < PAGE ? m->size - off : PAGE;
        if (!memcmp(m->data + off, zero, n)) continue;
        loom_buf_put_u64(b, off);
        loom_buf_put(b, m->data + off, n);
    }
    loom_buf_put_u64(b, UINT64_MAX);
}

static loom_err mem_restore(void *state, loom_buf *b)
{
    mem *m = state;
    memset(m->data, 0, m->size);
    for (;;) {
        uint64_t off = loom_buf_get_u64(b);
        if (b->bad) return LOOM_E_FORMAT;
        if (off == UINT64_MAX) break;
        if (off >= m->size || off % PAGE) return LOOM_E_FORMAT;
        uint64_t n = m->size - off < PAGE ? m->size - off : PAGE;
        if (!loom_buf_get(b, m->data + off, n)) return LOOM_E_FORMAT;
    }
    /* Whoever held pointers into the old contents still points at the right
     * bytes; translated code over them must go. */
    loom_region_invalidate_dmi(m->region, 0, m->size);
    return LOOM_OK;
}

static const loom_prop_def ram_props[] = {
    {"size", LOOM_PROP_SIZE, NULL, "size in bytes (64KiB, 128MiB, ...)", NULL},
    {"latency", LOOM_PROP_TIME, "0ps", "time each access takes", NULL},
};

static const loom_prop_def rom_props[] = {
    {"size", LOOM_PROP_SIZE, "0", "size in bytes; 0 takes the size of the file", NULL},
    {"file", LOOM_PROP_FILE, "", "initial contents (raw binary); empty leaves it zeroed for a loader", NULL},
    {"latency", LOOM_PROP_TIME, "0ps", "time each access takes", NULL},
};

static void ram_dt(const loom_inst *inst, loom_dt *dt) { loom_dt_string(dt, "device_type", "memory"); }

const loom_model_type loom_model_ram = {
    .name = "ram",
    .kind = "memory",
    .doc = "random-access memory",
    .props = ram_props,
    .nprops = sizeof ram_props / sizeof *ram_props,
    .state_size = sizeof(mem),
    .init = ram_init,
    .save = mem_save,
    .restore = mem_restore,
    .fini = mem_fini,
    .dt_name = "memory",
    .dt_node = ram_dt,
};

const loom_model_type loom_model_rom = {
    .name = "rom",
    .kind = "memory",
    .doc = "read-only memory, filled from a file or by a loader; guest writes are ignored",
    .props = rom_props,
    .nprops = sizeof rom_props / sizeof *rom_props,
    .state_size = sizeof(mem),
    .init = rom_init,
    .save = mem_save,
    .restore = mem_restore,
    .fini = mem_fini,
};
