/* CFI parallel NOR flash with the Intel/Sharp command set (CFI primary
 * command set 0001), as boards wire it: `width` bytes of data bus made of
 * interleaved devices `device-width` bytes wide each (QEMU's `virt` has two
 * x16 devices on a 32-bit bus). Software writes each command to every
 * device at once (0x00980098 on that bus); a device sees bus offset / width
 * as its word address, and answers queries in the low byte of its lane.
 *
 * Commands: read array (0xFF, also 0xF0), read identifier (0x90), CFI query
 * (0x98), read and clear status (0x70, 0x50), word program (0x40, 0x10),
 * buffered program (0xE8, count, data, 0xD0), block erase (0x20, 0xD0) and
 * the block lock commands (0x60 then 0x01, 0xD0 or 0x2F; accepted, blocks
 * never lock). Operations finish at once: the status reads ready. Programs
 * clear bits only, as in the cells (new = old AND data); erase sets a
 * block to 0xFF.
 *
 * In read-array mode reads are served straight from memory (DMI), so code
 * runs from flash at full speed; any other mode takes the grant back.
 * `file` gives the initial contents; with `persist` the flash works on the
 * file itself, so programs and erases are kept (what U-Boot's saveenv
 * needs). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loom/loom.h"

#define CFI_SAVE_VERSION 1u

enum mode { READ_ARRAY, READ_ID, READ_QUERY, READ_STATUS };
enum { SR_READY = 0x80 };

typedef struct cfi {
    loom_inst *inst;
    loom_region *region;
    uint8_t *data;
    uint64_t size, sector;
    unsigned width, dwidth, ndev;
    bool shared;       /* data is the persisted file's mapping */
    /* A byte per sector: 1 once its bytes are real. A sector nobody has
     * touched is erased without having been written with 0xFF, so a board
     * with big flash starts at once; NULL: every sector is real. */
    uint8_t *filled;
    uint8_t mode;      /* enum mode */
    uint8_t pending;   /* a two-cycle command's first half (0x40, 0x20, 0x60, 0xE8), or 0 */
    uint32_t buffered; /* buffered program: bus writes still expected (after the count) */
    bool count_next;   /* buffered program: the next write is the count */
    uint8_t query[0x40];
} cfi;

/* ---- The CFI query table (JESD68), per device ----------------------------------------- */

static unsigned log2u(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

static void build_query(cfi *f)
{
    uint8_t *q = f->query;
    memset(q, 0, sizeof f->query);
    uint64_t dev_size = f->size / f->ndev, dev_block = f->sector / f->ndev;
    uint64_t blocks = f->size / f->sector;
    q[0x10] = 'Q', q[0x11] = 'R', q[0x12] = 'Y';
    q[0x13] = 0x01;                 /* Intel/Sharp extended command set */
    q[0x15] = 0x31;                 /* its extended table */
    q[0x1B] = 0x45, q[0x1C] = 0x55; /* Vcc 4.5-5.5 V */
    q[0x1F] = 0x07;                 /* typical word program 2^7 us */
    q[0x20] = 0x07;                 /* typical buffer program 2^7 us */
    q[0x21] = 0x0A;                 /* typical block erase 2^10 ms */
    q[0x23] = 0x04, q[0x24] = 0x04, q[0x25] = 0x04;
    q[0x27] = (uint8_t)log2u(dev_size);
    q[0x28] = f->dwidth == 1 ? 0x00 : f->dwidth == 2 ? 0x01 : 0x02; /* x8, x16, x32 */
    q[0x2A] = 0x0B;                 /* write buffer: 2 KiB per device */
    q[0x2C] = 1;                    /* one erase block region */
    q[0x2D] = (uint8_t)(blocks - 1), q[0x2E] = (uint8_t)((blocks - 1) >> 8);
    q[0x2F] = (uint8_t)(dev_block / 256), q[0x30] = (uint8_t)(dev_block / 256 >> 8);
    q[0x31] = 'P', q[0x32] = 'R', q[0x33] = 'I', q[0x34] = '1', q[0x35] = '0';
}

/* What one device drives in the current mode at its word address. The
 * identifier: Intel (0x89), device 0x18, and (word 2) no block locked. */
static uint32_t device_read(const cfi *f, uint64_t dev_addr)
{
    switch (f->mode) {
    case READ_ID: return (dev_addr & 0xFF) == 0 ? 0x89 : (dev_addr & 0xFF) == 1 ? 0x18 : 0;
    case READ_QUERY: return dev_addr < sizeof f->query ? f->query[dev_addr] : 0;
    default: return SR_READY;
    }
}

/* ---- Accesses ------------------------------------------------------------------------ */

static void take_dmi_back(cfi *f) { loom_region_invalidate_dmi(f->region, 0, f->size); }

/* Make the sectors of [off, off + len) real: erased ones get their 0xFF. */
static void touch(cfi *f, uint64_t off, uint64_t len)
{
    if (!f->filled || !len) return;
    for (uint64_t k = off / f->sector; k <= (off + len - 1) / f->sector; k++) {
        if (f->filled[k]) continue;
        memset(f->data + k * f->sector, 0xFF, f->sector);
        f->filled[k] = 1;
    }
}

static void set_mode(cfi *f, enum mode m)
{
    if (f->mode == READ_ARRAY && m != READ_ARRAY) take_dmi_back(f);
    f->mode = (uint8_t)m;
}

/* Program bytes: cells go from 1 to 0 only. */
static void program(cfi *f, uint64_t off, const uint8_t *p, uint32_t len)
{
    touch(f, off, len);
    for (uint32_t k = 0; k < len; k++) f->data[off + k] &= p[k];
    loom_region_notify_write(f->region, off, len);
}

static void erase(cfi *f, uint64_t off)
{
    uint64_t start = off - off % f->sector;
    memset(f->data + start, 0xFF, f->sector);
    if (f->filled) f->filled[start / f->sector] = 1;
    loom_region_notify_write(f->region, start, f->sector);
}

static void command(cfi *f, uint64_t off, uint8_t cmd, const uint8_t *p, uint32_t len)
{
    if (f->count_next) {
        /* Buffered program: the number of words per device, less one, in
         * the first device's lane. */
        f->count_next = false;
        f->buffered = (uint32_t)loom_get_le(p, len < f->dwidth ? len : f->dwidth) + 1;
        return;
    }
    if (f->buffered) {
        program(f, off, p, len);
        f->buffered--;
        return;
    }
    uint8_t first = f->pending;
    f->pending = 0;
    switch (first) {
    case 0x40: case 0x10:
        program(f, off, p, len);
        set_mode(f, READ_STATUS);
        return;
    case 0x20:
        if (cmd == 0xD0) erase(f, off);
        else loom_inst_log(f->inst, LOOM_LOG_GUEST_ERRORS, "block erase at 0x%llx not confirmed (0x%02x)\n",
                           (unsigned long long)off, cmd);
        set_mode(f, READ_STATUS);
        return;
    case 0x60:
        set_mode(f, READ_STATUS); /* lock, unlock, lock-down: accepted */
        return;
    case 0xE8:
        /* The confirm after the data. */
        if (cmd != 0xD0)
            loom_inst_log(f->inst, LOOM_LOG_GUEST_ERRORS, "buffered program not confirmed (0x%02x)\n", cmd);
        set_mode(f, READ_STATUS);
        return;
    default: break;
    }
    switch (cmd) {
    case 0xFF: case 0xF0: set_mode(f, READ_ARRAY); break;
    case 0x90: set_mode(f, READ_ID); break;
    case 0x98: set_mode(f, READ_QUERY); break;
    case 0x70: set_mode(f, READ_STATUS); break;
    case 0x50: break; /* clear status: nothing ever fails */
    case 0x40: case 0x10: case 0x20: case 0x60:
        f->pending = cmd;
        set_mode(f, READ_STATUS);
        break;
    case 0xE8:
        f->pending = cmd;
        f->count_next = true;
        set_mode(f, READ_STATUS);
        break;
    case 0xD0: break; /* a stray confirm (resume) */
    default:
        loom_inst_log(f->inst, LOOM_LOG_GUEST_ERRORS, "unknown command 0x%02x at offset 0x%llx\n", cmd,
                      (unsigned long long)off);
        set_mode(f, READ_ARRAY);
        break;
    }
}

static void cfi_transport(void *opaque, loom_txn *txn)
{
    cfi *f = opaque;
    if (txn->addr >= f->size || txn->len > f->size - txn->addr) {
        txn->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    txn->resp = LOOM_RESP_OK;
    if (loom_cmd_is_debug(txn->cmd)) {
        touch(f, txn->addr, txn->len);
        /* Loaders and debuggers see and change the array itself. */
        if (loom_cmd_is_write(txn->cmd)) {
            memcpy(f->data + txn->addr, txn->data, txn->len);
            loom_region_notify_write(f->region, txn->addr, txn->len);
        } else {
            memcpy(txn->data, f->data + txn->addr, txn->len);
        }
        return;
    }
    if (loom_cmd_is_write(txn->cmd)) {
        /* The command is the low byte of the lane written first. */
        command(f, txn->addr, txn->data[0], txn->data, txn->len);
        return;
    }
    if (f->mode == READ_ARRAY) {
        touch(f, txn->addr, txn->len);
        memcpy(txn->data, f->data + txn->addr, txn->len);
        return;
    }
    /* Each byte from the device of its lane: that device's word at bus
     * offset / width, low byte first. */
    for (uint32_t k = 0; k < txn->len; k++) {
        uint64_t a = txn->addr + k;
        unsigned lane = (unsigned)(a % f->width), in_dev = lane % f->dwidth;
        uint32_t v = device_read(f, a / f->width);
        txn->data[k] = (uint8_t)(v >> (8 * in_dev));
    }
}

static bool cfi_get_dmi(void *opaque, uint64_t offset, loom_dmi *dmi)
{
    cfi *f = opaque;
    if (f->mode != READ_ARRAY || offset >= f->size) return false;
    if (!f->filled) {
        *dmi = (loom_dmi){.host = f->data, .start = 0, .end = f->size - 1, .rights = LOOM_DMI_READ};
        return true;
    }
    /* A sector that is real (read or written before); the first read of
     * one takes the transport, which makes it real. Commands written to
     * sectors (the lock status of each, as U-Boot reads it) leave them be. */
    uint64_t start = offset - offset % f->sector;
    if (!f->filled[start / f->sector]) return false;
    *dmi = (loom_dmi){.host = f->data + start, .start = start, .end = start + f->sector - 1,
                      .rights = LOOM_DMI_READ};
    return true;
}

static const loom_target_ops cfi_ops = {cfi_transport, cfi_get_dmi, cfi_transport};

/* ---- Life cycle ------------------------------------------------------------------------ */

static void cfi_reset(void *state)
{
    cfi *f = state;
    f->mode = READ_ARRAY;
    f->pending = 0;
    f->buffered = 0;
    f->count_next = false;
    take_dmi_back(f);
}

/* The persisted file, created erased when missing; it must have the
 * flash's size. */
static loom_err map_file(cfi *f, const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return loom_inst_error(f->inst, LOOM_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    loom_err e = LOOM_OK;
    if (fstat(fd, &st) != 0) {
        e = loom_inst_error(f->inst, LOOM_E_IO, "cannot stat '%s': %s", path, strerror(errno));
    } else if (st.st_size == 0) {
        /* New: erased. */
        uint8_t *ones = malloc(65536);
        if (!ones) e = LOOM_E_NOMEM;
        for (uint64_t done = 0; !e && done < f->size; done += 65536) {
            size_t n = f->size - done < 65536 ? (size_t)(f->size - done) : 65536;
            memset(ones, 0xFF, n);
            if (write(fd, ones, n) != (ssize_t)n)
                e = loom_inst_error(f->inst, LOOM_E_IO, "cannot write '%s': %s", path, strerror(errno));
        }
        free(ones);
    } else if ((uint64_t)st.st_size != f->size) {
        e = loom_inst_error(f->inst, LOOM_E_CONFIG, "'%s' has %lld bytes; the flash has %llu", path,
                            (long long)st.st_size, (unsigned long long)f->size);
    }
    if (!e) {
        void *p = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) e = loom_inst_error(f->inst, LOOM_E_IO, "cannot map '%s': %s", path, strerror(errno));
        else f->data = p;
    }
    close(fd);
    f->shared = !e;
    return e;
}

static loom_err load_file(cfi *f, const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return loom_inst_error(f->inst, LOOM_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    loom_err e = LOOM_OK;
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > f->size)
        e = loom_inst_error(f->inst, LOOM_E_CONFIG, "'%s' is larger than the flash (%llu bytes)", path,
                            (unsigned long long)f->size);
    if (!e) touch(f, 0, (uint64_t)st.st_size);
    for (uint64_t done = 0; !e && done < (uint64_t)st.st_size;) {
        ssize_t n = read(fd, f->data + done, (size_t)((uint64_t)st.st_size - done));
        if (n <= 0) e = loom_inst_error(f->inst, LOOM_E_IO, "cannot read '%s'", path);
        else done += (uint64_t)n;
    }
    close(fd);
    return e;
}

static loom_err cfi_init(loom_inst *inst, void *state)
{
    cfi *f = state;
    f->inst = inst;
    f->size = loom_inst_prop_u64(inst, "size");
    f->sector = loom_inst_prop_u64(inst, "sector");
    f->width = (unsigned)loom_inst_prop_u64(inst, "width");
    f->dwidth = (unsigned)loom_inst_prop_u64(inst, "device-width");
    const char *file = loom_inst_prop_str(inst, "file");
    bool persist = loom_inst_prop_bool(inst, "persist");
    if (f->width != 1 && f->width != 2 && f->width != 4)
        return loom_inst_error(inst, LOOM_E_CONFIG, "width is %u bytes; it must be 1, 2 or 4", f->width);
    if (f->dwidth == 0 || f->dwidth > f->width || f->width % f->dwidth)
        return loom_inst_error(inst, LOOM_E_CONFIG, "device-width %u must divide the width of %u bytes", f->dwidth,
                               f->width);
    f->ndev = f->width / f->dwidth;
    if (f->sector == 0 || f->sector % (256 * f->ndev) || f->size == 0 || f->size % f->sector ||
        f->size / f->sector > 65536)
        return loom_inst_error(inst, LOOM_E_CONFIG,
                               "size %llu must be a whole number (at most 65536) of sectors of %llu bytes, "
                               "each a multiple of 256 bytes per device",
                               (unsigned long long)f->size, (unsigned long long)f->sector);
    if (persist && !*file) return loom_inst_error(inst, LOOM_E_CONFIG, "persist needs a file");
    loom_err e;
    if (persist) {
        e = map_file(f, file);
    } else {
        void *p = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return loom_inst_error(inst, LOOM_E_NOMEM, "cannot reserve %llu bytes", (unsigned long long)f->size);
        f->data = p;
        f->filled = calloc((size_t)(f->size / f->sector), 1); /* erased, lazily */
        if (!f->filled) return LOOM_E_NOMEM;
        e = *file ? load_file(f, file) : LOOM_OK;
    }
    if (e) return e;
    build_query(f);
    return loom_inst_add_region(inst, "regs", f->size, &cfi_ops, f, &f->region);
}

static void cfi_fini(void *state)
{
    cfi *f = state;
    if (!f->data) return;
    if (f->shared) msync(f->data, f->size, MS_SYNC);
    munmap(f->data, f->size);
    f->data = NULL;
    free(f->filled);
    f->filled = NULL;
}

/* The contents are state: sectors that are not erased are saved. */
static void cfi_save(void *state, loom_buf *b)
{
    const cfi *f = state;
    loom_buf_put_u8(b, CFI_SAVE_VERSION);
    loom_buf_put_u8(b, f->mode);
    loom_buf_put_u8(b, f->pending);
    loom_buf_put_u32(b, f->buffered);
    loom_buf_put_u8(b, f->count_next);
    for (uint64_t off = 0; off < f->size; off += 4096) {
        if (f->filled && !f->filled[off / f->sector]) continue; /* erased */
        const uint8_t *p = f->data + off;
        bool erased = p[0] == 0xFF && !memcmp(p, p + 1, 4095);
        if (erased) continue;
        loom_buf_put_u64(b, off);
        loom_buf_put(b, p, 4096);
    }
    loom_buf_put_u64(b, UINT64_MAX);
}

static loom_err cfi_restore(void *state, loom_buf *b)
{
    cfi *f = state;
    unsigned version = loom_buf_get_u8(b);
    if (version != CFI_SAVE_VERSION)
        return loom_inst_error(f->inst, LOOM_E_FORMAT, "saved state has version %u, expected %u", version,
                               CFI_SAVE_VERSION);
    uint8_t mode = loom_buf_get_u8(b), pending = loom_buf_get_u8(b);
    uint32_t buffered = loom_buf_get_u32(b);
    bool count_next = loom_buf_get_u8(b) != 0;
    if (b->bad || mode > READ_STATUS) return loom_inst_error(f->inst, LOOM_E_FORMAT, "saved state is damaged");
    if (f->filled) memset(f->filled, 0, (size_t)(f->size / f->sector));
    else memset(f->data, 0xFF, f->size);
    for (;;) {
        uint64_t off = loom_buf_get_u64(b);
        if (b->bad) return loom_inst_error(f->inst, LOOM_E_FORMAT, "saved state is truncated");
        if (off == UINT64_MAX) break;
        if (off < f->size) touch(f, off, 4096);
        if (off >= f->size || off % 4096 || !loom_buf_get(b, f->data + off, 4096))
            return loom_inst_error(f->inst, LOOM_E_FORMAT, "saved contents do not fit the flash");
    }
    f->mode = mode;
    f->pending = pending;
    f->buffered = buffered;
    f->count_next = count_next;
    take_dmi_back(f);
    return LOOM_OK;
}

static const loom_prop_def cfi_props[] = {
    {"size", LOOM_PROP_SIZE, "64MiB", "size in bytes, a whole number of sectors", NULL},
    {"sector", LOOM_PROP_SIZE, "256KiB", "erase block size across the whole bus", NULL},
    {"width", LOOM_PROP_INT, "4", "data bus width in bytes (1, 2 or 4)", NULL},
    {"device-width", LOOM_PROP_INT, "2", "width of one device in bytes; width / device-width devices interleave", NULL},
    {"file", LOOM_PROP_FILE, "", "initial contents (raw binary, the rest erased); empty: erased, for a loader", NULL},
    {"persist", LOOM_PROP_BOOL, "false", "work on the file itself, keeping programs and erases (created erased if missing)", NULL},
};

static void cfi_dt(const loom_inst *inst, loom_dt *dt)
{
    const cfi *f = loom_inst_state(inst);
    loom_dt_u32(dt, "bank-width", f->width);
}

const loom_model_type loom_model_cfi_flash = {
    .name = "cfi-flash",
    .kind = "memory",
    .doc = "CFI parallel NOR flash, Intel/Sharp command set (pflash): program, erase, query; runs code in place",
    .props = cfi_props,
    .nprops = sizeof cfi_props / sizeof *cfi_props,
    .state_size = sizeof(cfi),
    .init = cfi_init,
    .reset = cfi_reset,
    .save = cfi_save,
    .restore = cfi_restore,
    .fini = cfi_fini,
    .dt_name = "flash",
    .dt_compatible = (const char *const[]){"cfi-flash", NULL},
    .dt_node = cfi_dt,
};
