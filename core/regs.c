/* Register tables: decode an access against a model's register table once,
 * for every model (sizes, rights, arrays, unmapped offsets, debug). */
#include <inttypes.h>
#include <string.h>

#include "internal.h"

static unsigned reg_bytes(const loom_reg *r) { return r->bits / 8u; }
static unsigned reg_count(const loom_reg *r) { return r->count > 1 ? r->count : 1; }
static unsigned reg_stride(const loom_reg *r) { return r->stride ? r->stride : reg_bytes(r); }

static void *field_ptr(void *dev, const loom_reg *r, unsigned idx)
{
    if (r->field == LOOM_REG_NOFIELD) return NULL;
    size_t elem = r->bits > 32 ? sizeof(uint64_t) : sizeof(uint32_t);
    return (uint8_t *)dev + r->field + idx * elem;
}

static uint64_t field_get(void *dev, const loom_reg *r, unsigned idx)
{
    void *p = field_ptr(dev, r, idx);
    if (!p) return r->reset; /* a constant, or a debug read of a hooked register */
    if (r->bits > 32) return *(uint64_t *)p;
    return *(uint32_t *)p;
}

static void field_set(void *dev, const loom_reg *r, unsigned idx, uint64_t v)
{
    void *p = field_ptr(dev, r, idx);
    if (!p) return;
    if (r->bits > 32)
        *(uint64_t *)p = v;
    else
        *(uint32_t *)p = (uint32_t)v;
}

static uint64_t width_mask(unsigned bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

/* Find the register holding byte `off`; set idx and the byte within it. */
static const loom_reg *find_reg(const loom_regmap *map, uint64_t off, unsigned *idx, unsigned *within)
{
    for (unsigned i = 0; i < map->nregs; i++) {
        const loom_reg *r = &map->regs[i];
        if (off < r->offset) continue;
        uint64_t rel = off - r->offset;
        unsigned stride = reg_stride(r);
        uint64_t k = rel / stride;
        if (k >= reg_count(r)) continue;
        unsigned w = (unsigned)(rel - k * stride);
        if (w >= reg_bytes(r)) continue;
        *idx = (unsigned)k;
        *within = w;
        return r;
    }
    return NULL;
}

static const char *dev_name(const loom_regmap *map, const loom_inst *inst)
{
    return inst ? loom_inst_name(inst) : map->device;
}

static uint64_t reg_read(const loom_regmap *map, void *dev, const loom_inst *inst,
                         const loom_reg *r, unsigned idx, loom_txn *txn)
{
    loom_sim *sim = inst ? loom_inst_sim(inst) : NULL;
    if (!(r->access & LOOM_R)) {
        if (sim && !loom_cmd_is_debug(txn->cmd))
            loom_log(sim, LOOM_LOG_GUEST_ERRORS, "%s: read of write-only register %s\n",
                     dev_name(map, inst), r->name);
        return 0;
    }
    if (r->read && !loom_cmd_is_debug(txn->cmd)) return r->read(dev, r, idx, txn) & width_mask(r->bits);
    return field_get(dev, r, idx);
}

static void reg_write(const loom_regmap *map, void *dev, const loom_inst *inst, const loom_reg *r,
                      unsigned idx, uint64_t v, loom_txn *txn)
{
    loom_sim *sim = inst ? loom_inst_sim(inst) : NULL;
    if (!(r->access & LOOM_W)) {
        if (sim && !loom_cmd_is_debug(txn->cmd))
            loom_log(sim, LOOM_LOG_GUEST_ERRORS,
                     "%s: write of 0x%" PRIx64 " to read-only register %s ignored\n",
                     dev_name(map, inst), v, r->name);
        return;
    }
    v &= width_mask(r->bits);
    if (r->write && !loom_cmd_is_debug(txn->cmd))
        r->write(dev, r, idx, v, txn);
    else
        field_set(dev, r, idx, v);
}

/* Does every piece of the access fall on a register, whole or (when the map
 * allows narrow accesses) in part? Checked before any piece is served, so a
 * refused access has no side effects: no half-done write, no read hook
 * popping a FIFO. */
static bool pieces_ok(const loom_regmap *map, const loom_txn *txn)
{
    for (uint32_t done = 0; done < txn->len;) {
        unsigned idx, within;
        const loom_reg *r = find_reg(map, txn->addr + done, &idx, &within);
        if (!r) return false;
        unsigned n = reg_bytes(r) - within;
        if (n > txn->len - done) n = txn->len - done;
        if (!map->allow_narrow && (within != 0 || n != reg_bytes(r))) return false;
        done += n;
    }
    return true;
}

void loom_regs_access(const loom_regmap *map, void *dev, const loom_inst *inst, loom_txn *txn)
{
    loom_sim *sim = inst ? loom_inst_sim(inst) : NULL;
    bool write = loom_cmd_is_write(txn->cmd);
    uint32_t done = 0;
    txn->resp = LOOM_RESP_OK;
    /* Refused: walk without serving, to log and answer the first bad piece. */
    bool check_only = !pieces_ok(map, txn);
    /* An access may cover several whole registers (a 64-bit read of two
     * 32-bit registers); each piece must be a whole register, or a part of
     * one when the map allows narrow accesses. */
    while (done < txn->len) {
        uint64_t off = txn->addr + done;
        unsigned idx, within;
        const loom_reg *r = find_reg(map, off, &idx, &within);
        if (!r) {
            if (sim && !loom_cmd_is_debug(txn->cmd))
                loom_log(sim, LOOM_LOG_GUEST_ERRORS,
                         "%s: %s of %u bytes at offset 0x%" PRIx64 ": no register there\n",
                         dev_name(map, inst), write ? "write" : "read", txn->len, off);
            txn->resp = LOOM_RESP_ADDRESS_ERROR;
            return;
        }
        unsigned rb = reg_bytes(r);
        unsigned n = rb - within;
        if (n > txn->len - done) n = txn->len - done;
        bool whole = within == 0 && n == rb;
        if (!whole && !map->allow_narrow) {
            if (sim && !loom_cmd_is_debug(txn->cmd))
                loom_log(sim, LOOM_LOG_GUEST_ERRORS,
                         "%s: %u-byte %s at offset 0x%" PRIx64 " does not match %u-bit register %s\n",
                         dev_name(map, inst), txn->len, write ? "write" : "read", off, r->bits, r->name);
            txn->resp = LOOM_RESP_GENERIC_ERROR;
            return;
        }
        if (check_only) {
            done += n;
            continue;
        }
        uint8_t bytes[8];
        uint8_t *p = txn->data + done;
        if (write) {
            uint64_t v;
            if (whole) {
                v = map->endian == LOOM_BIG ? loom_get_be(p, rb) : loom_get_le(p, rb);
            } else {
                /* Merge into the current value without read side effects. */
                uint64_t cur = field_get(dev, r, idx);
                if (map->endian == LOOM_BIG) loom_put_be(bytes, rb, cur); else loom_put_le(bytes, rb, cur);
                memcpy(bytes + within, p, n);
                v = map->endian == LOOM_BIG ? loom_get_be(bytes, rb) : loom_get_le(bytes, rb);
            }
            reg_write(map, dev, inst, r, idx, v, txn);
        } else {
            uint64_t v = reg_read(map, dev, inst, r, idx, txn);
            if (map->endian == LOOM_BIG) loom_put_be(bytes, rb, v); else loom_put_le(bytes, rb, v);
            memcpy(p, bytes + within, n);
        }
        done += n;
    }
}

void loom_regs_reset(const loom_regmap *map, void *dev)
{
    for (unsigned i = 0; i < map->nregs; i++) {
        const loom_reg *r = &map->regs[i];
        for (unsigned k = 0; k < reg_count(r); k++) field_set(dev, r, k, r->reset);
    }
}
