/* Address spaces: regions, mappings with priorities, containers and aliases,
 * routing by binary search over a resolved map, DMI and its revocation. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef enum region_kind { REGION_TARGET, REGION_CONTAINER, REGION_ALIAS } region_kind;

struct loom_region {
    loom_sim *sim;
    char *name;
    uint64_t size;
    region_kind kind;
    const loom_target_ops *ops;
    void *opaque;
    loom_bus *inner;       /* container contents or alias target */
    uint64_t alias_offset; /* alias: where the window starts in inner */
    ptrvec mappings;       /* where this region is mapped */
};

struct loom_mapping {
    loom_bus *bus;
    loom_region *region;
    uint64_t addr;
    int priority;
    bool enabled;
};

/* One piece of the resolved map: [start, end] reaches mapping m. */
typedef struct segment {
    uint64_t start, end;
    loom_mapping *m;
} segment;

typedef struct listener {
    loom_invalidate_fn fn; /* or a loom_write_fn, by kind */
    void *opaque;
    bool writes;           /* a write listener rather than a DMI one */
} listener;

struct loom_bus {
    loom_sim *sim;
    char *name;
    uint64_t last; /* highest address (size - 1) */
    ptrvec mappings;
    segment *segs;
    size_t nsegs;
    bool dirty;
    listener *listeners;
    size_t nlisteners;
    ptrvec parents; /* container and alias regions whose inner is this bus */
};

/* Containers and aliases may nest; this bounds it and catches loops. */
#define MAX_DEPTH 16

static const char *const resp_names[] = {"ok", "address error", "generic error",
                                         "exclusive failed"};

const char *loom_resp_name(loom_resp r)
{
    return (unsigned)r < sizeof resp_names / sizeof *resp_names ? resp_names[r] : "?";
}

/* ---- Regions ------------------------------------------------------------- */

static loom_err region_new(loom_sim *sim, const char *name, uint64_t size, region_kind kind,
                           loom_region **out)
{
    *out = NULL;
    if (size == 0)
        return loom_sim_error(sim, LOOM_E_INVAL, "region '%s' has size 0", name);
    loom_region *r = calloc(1, sizeof *r);
    if (!r) return LOOM_E_NOMEM;
    r->sim = sim;
    r->name = loom_strdup(name);
    r->size = size;
    r->kind = kind;
    if (!r->name || !ptrvec_push(&sim->regions, r)) {
        free(r->name);
        free(r);
        return LOOM_E_NOMEM;
    }
    *out = r;
    return LOOM_OK;
}

loom_err loom_region_new(loom_sim *sim, const char *name, uint64_t size,
                         const loom_target_ops *ops, void *opaque, loom_region **out)
{
    if (!ops || !ops->transport)
        return loom_sim_error(sim, LOOM_E_INVAL, "region '%s' has no transport", name);
    loom_err e = region_new(sim, name, size, REGION_TARGET, out);
    if (e) return e;
    (*out)->ops = ops;
    (*out)->opaque = opaque;
    return LOOM_OK;
}

loom_err loom_region_new_container(loom_sim *sim, const char *name, uint64_t size,
                                   loom_bus *inner, loom_region **out)
{
    loom_err e = region_new(sim, name, size, REGION_CONTAINER, out);
    if (e) return e;
    (*out)->inner = inner;
    if (!ptrvec_push(&inner->parents, *out)) return LOOM_E_NOMEM;
    return LOOM_OK;
}

loom_err loom_region_new_alias(loom_sim *sim, const char *name, uint64_t size,
                               loom_bus *target, uint64_t offset, loom_region **out)
{
    if (offset > target->last || size - 1 > target->last - offset)
        return loom_sim_error(sim, LOOM_E_INVAL,
                              "alias '%s' [0x%" PRIx64 "+0x%" PRIx64
                              "] reaches past the end of address space '%s'",
                              name, offset, size, target->name);
    loom_err e = region_new(sim, name, size, REGION_ALIAS, out);
    if (e) return e;
    (*out)->inner = target;
    (*out)->alias_offset = offset;
    if (!ptrvec_push(&target->parents, *out)) return LOOM_E_NOMEM;
    return LOOM_OK;
}

void loom__region_free(loom_region *r)
{
    for (size_t i = 0; i < r->mappings.n; i++) free(r->mappings.v[i]);
    ptrvec_free(&r->mappings);
    free(r->name);
    free(r);
}

const char *loom_region_name(const loom_region *r) { return r->name; }
uint64_t loom_region_size(const loom_region *r) { return r->size; }

loom_bus *loom_region_alias_target(const loom_region *r, uint64_t *offset)
{
    if (r->kind != REGION_ALIAS) return NULL;
    if (offset) *offset = r->alias_offset;
    return r->inner;
}

loom_bus *loom_region_container_bus(const loom_region *r)
{
    return r->kind == REGION_CONTAINER ? r->inner : NULL;
}

void loom_region_invalidate_dmi(loom_region *r, uint64_t offset, uint64_t len)
{
    if (len == 0 || offset >= r->size) return;
    if (len > r->size - offset) len = r->size - offset;
    for (size_t i = 0; i < r->mappings.n; i++) {
        loom_mapping *m = r->mappings.v[i];
        loom_bus_invalidate_dmi(m->bus, m->addr + offset, m->addr + offset + len - 1);
    }
}

/* ---- Buses --------------------------------------------------------------- */

loom_err loom_bus_new(loom_sim *sim, const char *name, uint64_t size, loom_bus **out)
{
    *out = NULL;
    loom_bus *b = calloc(1, sizeof *b);
    if (!b) return LOOM_E_NOMEM;
    b->sim = sim;
    b->name = loom_strdup(name);
    b->last = size ? size - 1 : UINT64_MAX;
    if (!b->name || !ptrvec_push(&sim->buses, b)) {
        free(b->name);
        free(b);
        return LOOM_E_NOMEM;
    }
    *out = b;
    return LOOM_OK;
}

void loom__bus_free(loom_bus *b)
{
    ptrvec_free(&b->mappings);
    ptrvec_free(&b->parents);
    free(b->segs);
    free(b->listeners);
    free(b->name);
    free(b);
}

const char *loom_bus_name(const loom_bus *bus) { return bus->name; }
uint64_t loom_bus_size(const loom_bus *bus) { return bus->last + 1; }
loom_sim *loom_bus_sim(const loom_bus *bus) { return bus->sim; }
uint64_t loom_mapping_addr(const loom_mapping *m) { return m->addr; }
loom_region *loom_mapping_region(const loom_mapping *m) { return m->region; }

static uint64_t map_end(const loom_mapping *m) { return m->addr + (m->region->size - 1); }

/* Refuse an unintended overlap: same priority, both enabled. */
static loom_err check_overlap(loom_bus *bus, const loom_mapping *m, uint64_t addr)
{
    uint64_t end = addr + (m->region->size - 1);
    for (size_t i = 0; i < bus->mappings.n; i++) {
        const loom_mapping *o = bus->mappings.v[i];
        if (o == m || !o->enabled || o->priority != m->priority) continue;
        if (o->addr <= end && addr <= map_end(o))
            return loom_sim_error(
                bus->sim, LOOM_E_OVERLAP,
                "region '%s' [0x%08" PRIx64 "-0x%08" PRIx64 "] overlaps region '%s' [0x%08" PRIx64
                "-0x%08" PRIx64 "] in address space '%s' (give one a higher priority if "
                "the overlap is intended)",
                m->region->name, addr, end, o->region->name, o->addr, map_end(o), bus->name);
    }
    return LOOM_OK;
}

static loom_err check_fits(loom_bus *bus, const loom_region *r, uint64_t addr)
{
    if (addr > bus->last || r->size - 1 > bus->last - addr)
        return loom_sim_error(bus->sim, LOOM_E_INVAL,
                              "region '%s' at 0x%" PRIx64 " (0x%" PRIx64
                              " bytes) does not fit in address space '%s' (0x%" PRIx64
                              " bytes)",
                              r->name, addr, r->size, bus->name, bus->last + 1);
    return LOOM_OK;
}

loom_err loom_bus_map(loom_bus *bus, loom_region *r, uint64_t addr, int priority,
                      loom_mapping **out)
{
    if (out) *out = NULL;
    loom_err e = check_fits(bus, r, addr);
    if (e) return e;
    /* An alias may show the space it sits in (a boot alias of RAM at 0):
     * routing and revocation stop at the window's edge, and a window that
     * shows itself fails at the nesting limit instead of looping. A
     * container inside itself would show itself everywhere. */
    if (r->kind == REGION_CONTAINER && r->inner == bus)
        return loom_sim_error(bus->sim, LOOM_E_INVAL,
                              "container '%s' cannot be mapped into the address space it holds", r->name);
    loom_mapping *m = calloc(1, sizeof *m);
    if (!m) return LOOM_E_NOMEM;
    *m = (loom_mapping){bus, r, addr, priority, true};
    e = check_overlap(bus, m, addr);
    if (e) {
        free(m);
        return e;
    }
    if (!ptrvec_push(&bus->mappings, m)) {
        free(m);
        return LOOM_E_NOMEM;
    }
    if (!ptrvec_push(&r->mappings, m)) {
        ptrvec_remove(&bus->mappings, m);
        free(m);
        return LOOM_E_NOMEM;
    }
    bus->dirty = true;
    loom_bus_invalidate_dmi(bus, addr, map_end(m));
    if (out) *out = m;
    return LOOM_OK;
}

loom_err loom_bus_unmap(loom_bus *bus, loom_mapping *m)
{
    if (m->bus != bus) return loom_sim_error(bus->sim, LOOM_E_INVAL, "mapping not in '%s'", bus->name);
    uint64_t start = m->addr, end = map_end(m);
    ptrvec_remove(&bus->mappings, m);
    ptrvec_remove(&m->region->mappings, m);
    free(m);
    bus->dirty = true;
    loom_bus_invalidate_dmi(bus, start, end);
    return LOOM_OK;
}

loom_err loom_bus_remap(loom_bus *bus, loom_mapping *m, uint64_t new_addr)
{
    loom_err e = check_fits(bus, m->region, new_addr);
    if (!e && m->enabled) e = check_overlap(bus, m, new_addr);
    if (e) return e;
    uint64_t old = m->addr, old_end = map_end(m);
    m->addr = new_addr;
    bus->dirty = true;
    loom_bus_invalidate_dmi(bus, old, old_end);
    loom_bus_invalidate_dmi(bus, new_addr, map_end(m));
    return LOOM_OK;
}

loom_err loom_bus_set_enabled(loom_bus *bus, loom_mapping *m, bool enabled)
{
    if (m->enabled == enabled) return LOOM_OK;
    if (enabled) {
        loom_err e = check_overlap(bus, m, m->addr);
        if (e) return e;
    }
    m->enabled = enabled;
    bus->dirty = true;
    loom_bus_invalidate_dmi(bus, m->addr, map_end(m));
    return LOOM_OK;
}

/* Resolve priorities into non-overlapping segments, sorted by address. The
 * number of mappings in a space is small (tens), and rebuilding happens only
 * when the map changes, so the quadratic walk is fine; lookups are a binary
 * search. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void bus_rebuild(loom_bus *bus)
{
    size_t n = bus->mappings.n;
    free(bus->segs);
    bus->segs = NULL;
    bus->nsegs = 0;
    bus->dirty = false;
    if (!n) return;
    /* Boundaries: every start and every end + 1 (unless it wraps). */
    uint64_t *pts = loom_xcalloc(2 * n, sizeof *pts);
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        loom_mapping *m = bus->mappings.v[i];
        if (!m->enabled) continue;
        pts[np++] = m->addr;
        if (map_end(m) != UINT64_MAX) pts[np++] = map_end(m) + 1;
    }
    qsort(pts, np, sizeof *pts, cmp_u64);
    segment *segs = loom_xcalloc(np ? np : 1, sizeof *segs);
    size_t ns = 0;
    for (size_t k = 0; k < np; k++) {
        if (k > 0 && pts[k] == pts[k - 1]) continue;
        uint64_t start = pts[k];
        uint64_t end = UINT64_MAX;
        for (size_t j = k + 1; j < np; j++)
            if (pts[j] > start) {
                end = pts[j] - 1;
                break;
            }
        loom_mapping *best = NULL;
        for (size_t i = 0; i < n; i++) {
            loom_mapping *m = bus->mappings.v[i];
            if (!m->enabled || m->addr > start || map_end(m) < start) continue;
            if (!best || m->priority > best->priority) best = m;
        }
        if (!best) continue;
        if (ns && segs[ns - 1].m == best && segs[ns - 1].end + 1 == start)
            segs[ns - 1].end = end;
        else
            segs[ns++] = (segment){start, end, best};
    }
    free(pts);
    bus->segs = segs;
    bus->nsegs = ns;
}

static const segment *bus_find(loom_bus *bus, uint64_t addr)
{
    if (bus->dirty) bus_rebuild(bus);
    size_t lo = 0, hi = bus->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const segment *s = &bus->segs[mid];
        if (addr < s->start)
            hi = mid;
        else if (addr > s->end)
            lo = mid + 1;
        else
            return s;
    }
    return NULL;
}

/* ---- Routing --------------------------------------------------------------- */

static void bus_route(loom_bus *bus, loom_txn *txn, int depth);

/* A debug access to a target without a debug hook goes through DMI, piece
 * by piece, and never through transport (which may have side effects). */
static void debug_via_dmi(loom_region *r, loom_txn *txn)
{
    uint64_t off = txn->addr;
    uint32_t done = 0;
    while (done < txn->len) {
        loom_dmi d = {0};
        unsigned need = loom_cmd_is_write(txn->cmd) ? LOOM_DMI_WRITE : LOOM_DMI_READ;
        /* A debug write may fill ROM: a read grant is enough to reach it. */
        if (!r->ops->get_dmi || !r->ops->get_dmi(r->opaque, off + done, &d) || !d.host ||
            !(d.rights & (need | LOOM_DMI_READ)) || off + done < d.start || off + done > d.end) {
            txn->resp = LOOM_RESP_GENERIC_ERROR;
            return;
        }
        uint64_t avail = d.end - (off + done) + 1;
        uint32_t chunk = txn->len - done;
        if (avail < chunk) chunk = (uint32_t)avail;
        uint8_t *host = d.host + (off + done - d.start);
        if (loom_cmd_is_write(txn->cmd))
            memcpy(host, txn->data + done, chunk);
        else
            memcpy(txn->data + done, host, chunk);
        done += chunk;
    }
    txn->resp = LOOM_RESP_OK;
}

static void region_dispatch(loom_region *r, loom_txn *txn, int depth)
{
    switch (r->kind) {
    case REGION_TARGET:
        if (loom_cmd_is_debug(txn->cmd)) {
            if (r->ops->debug)
                r->ops->debug(r->opaque, txn);
            else
                debug_via_dmi(r, txn);
        } else {
            r->ops->transport(r->opaque, txn);
        }
        return;
    case REGION_ALIAS:
        txn->addr += r->alias_offset;
        bus_route(r->inner, txn, depth + 1);
        return;
    case REGION_CONTAINER:
        bus_route(r->inner, txn, depth + 1);
        return;
    }
}

static void bus_route(loom_bus *bus, loom_txn *txn, int depth)
{
    if (depth > MAX_DEPTH) {
        loom_log(bus->sim, LOOM_LOG_GUEST_ERRORS,
                 "address space '%s': containers or aliases nest deeper than %d (a loop?)\n",
                 bus->name, MAX_DEPTH);
        txn->resp = LOOM_RESP_GENERIC_ERROR;
        return;
    }
    uint64_t addr = txn->addr;
    uint32_t done = 0;
    txn->resp = LOOM_RESP_OK;
    while (done < txn->len) {
        uint64_t a = addr + done;
        const segment *s = a >= addr ? bus_find(bus, a) : NULL;
        if (!s) {
            if (!loom_cmd_is_debug(txn->cmd))
                loom_log(bus->sim, LOOM_LOG_GUEST_ERRORS,
                         "%s of %u bytes at 0x%" PRIx64 " in '%s': nothing mapped there\n",
                         loom_cmd_is_write(txn->cmd) ? "write" : "read", txn->len - done, a,
                         bus->name);
            txn->resp = LOOM_RESP_ADDRESS_ERROR;
            txn->addr = addr;
            return;
        }
        uint32_t chunk = txn->len - done;
        if (s->end - a < (uint64_t)chunk - 1) chunk = (uint32_t)(s->end - a + 1);
        loom_txn sub = *txn;
        sub.addr = a - s->m->addr;
        sub.data = txn->data + done;
        sub.len = chunk;
        sub.resp = LOOM_RESP_OK;
        if (loom_log_enabled(bus->sim, LOOM_LOG_BUS) && depth == 0)
            loom_log(bus->sim, LOOM_LOG_BUS, "%s %s 0x%" PRIx64 " +%u -> %s+0x%" PRIx64 "\n",
                     bus->name, loom_cmd_is_write(txn->cmd) ? "write" : "read", a, chunk,
                     s->m->region->name, sub.addr);
        region_dispatch(s->m->region, &sub, depth);
        txn->delay = sub.delay;
        txn->sync |= sub.sync;
        if (sub.resp != LOOM_RESP_OK) {
            txn->resp = sub.resp;
            break;
        }
        done += chunk;
    }
    txn->addr = addr;
}

void loom_bus_transport(loom_bus *bus, loom_txn *txn) { bus_route(bus, txn, 0); }

static loom_err access(loom_bus *bus, loom_cmd cmd, uint64_t addr, void *buf, uint64_t len)
{
    /* Large debug accesses (loaders) go in pieces that fit a transaction. */
    uint8_t *p = buf;
    while (len) {
        uint32_t chunk = len > (1u << 30) ? (1u << 30) : (uint32_t)len;
        loom_txn t = {.addr = addr, .data = p, .len = chunk, .cmd = cmd};
        bus_route(bus, &t, 0);
        if (t.resp == LOOM_RESP_ADDRESS_ERROR)
            return loom_sim_error(bus->sim, LOOM_E_ADDRESS,
                                  "%s at 0x%" PRIx64 " in address space '%s': nothing mapped",
                                  loom_cmd_is_write(cmd) ? "write" : "read", addr, bus->name);
        if (t.resp != LOOM_RESP_OK)
            return loom_sim_error(bus->sim, LOOM_E_BUS, "%s at 0x%" PRIx64 " in '%s': %s",
                                  loom_cmd_is_write(cmd) ? "write" : "read", addr, bus->name,
                                  loom_resp_name(t.resp));
        addr += chunk;
        p += chunk;
        len -= chunk;
    }
    return LOOM_OK;
}

loom_err loom_bus_read(loom_bus *bus, uint64_t addr, void *buf, uint32_t len)
{
    return access(bus, LOOM_READ, addr, buf, len);
}

loom_err loom_bus_write(loom_bus *bus, uint64_t addr, const void *buf, uint32_t len)
{
    return access(bus, LOOM_WRITE, addr, (void *)buf, len);
}

loom_err loom_bus_debug_read(loom_bus *bus, uint64_t addr, void *buf, uint64_t len)
{
    return access(bus, LOOM_DEBUG_READ, addr, buf, len);
}

loom_err loom_bus_debug_write(loom_bus *bus, uint64_t addr, const void *buf, uint64_t len)
{
    return access(bus, LOOM_DEBUG_WRITE, addr, (void *)buf, len);
}

/* ---- DMI ---------------------------------------------------------------- */

/* Clip a grant in the inner address space to what segment s shows of it and
 * translate it to this bus's addresses. inner_base is the inner address
 * that the segment's mapping address corresponds to. */
static bool clip_dmi(loom_dmi *d, const segment *s, uint64_t inner_base)
{
    uint64_t lo = s->start - s->m->addr + inner_base; /* segment start, inner */
    uint64_t hi = s->end - s->m->addr + inner_base;
    if (d->start > hi || d->end < lo) return false;
    if (d->start < lo) {
        d->host += lo - d->start;
        d->start = lo;
    }
    if (d->end > hi) d->end = hi;
    d->start = d->start - inner_base + s->m->addr;
    d->end = d->end - inner_base + s->m->addr;
    return true;
}

static bool bus_dmi(loom_bus *bus, uint64_t addr, loom_dmi *dmi, int depth)
{
    if (depth > MAX_DEPTH) return false;
    const segment *s = bus_find(bus, addr);
    if (!s) return false;
    loom_region *r = s->m->region;
    uint64_t off = addr - s->m->addr;
    loom_dmi d = {0};
    bool ok = false;
    uint64_t base = 0;
    switch (r->kind) {
    case REGION_TARGET:
        ok = r->ops->get_dmi && r->ops->get_dmi(r->opaque, off, &d) && d.host;
        base = 0;
        break;
    case REGION_CONTAINER:
        ok = bus_dmi(r->inner, off, &d, depth + 1);
        base = 0;
        break;
    case REGION_ALIAS:
        ok = bus_dmi(r->inner, off + r->alias_offset, &d, depth + 1);
        base = r->alias_offset;
        break;
    }
    if (!ok) return false;
    /* Also clip to the region itself (an alias shows only its window). */
    if (r->kind == REGION_ALIAS) {
        uint64_t wlo = r->alias_offset, whi = r->alias_offset + r->size - 1;
        if (d.start < wlo) {
            d.host += wlo - d.start;
            d.start = wlo;
        }
        if (d.end > whi) d.end = whi;
    }
    if (!clip_dmi(&d, s, base)) return false;
    *dmi = d;
    return true;
}

bool loom_bus_get_dmi(loom_bus *bus, uint64_t addr, loom_dmi *dmi) { return bus_dmi(bus, addr, dmi, 0); }

loom_err loom_bus_add_listener(loom_bus *bus, loom_invalidate_fn fn, void *opaque)
{
    listener *l = realloc(bus->listeners, (bus->nlisteners + 1) * sizeof *l);
    if (!l) return LOOM_E_NOMEM;
    bus->listeners = l;
    bus->listeners[bus->nlisteners++] = (listener){fn, opaque, false};
    return LOOM_OK;
}

loom_err loom_bus_add_write_listener(loom_bus *bus, loom_write_fn fn, void *opaque)
{
    listener *l = realloc(bus->listeners, (bus->nlisteners + 1) * sizeof *l);
    if (!l) return LOOM_E_NOMEM;
    bus->listeners = l;
    bus->listeners[bus->nlisteners++] = (listener){(loom_invalidate_fn)fn, opaque, true};
    return LOOM_OK;
}

void loom_bus_remove_write_listener(loom_bus *bus, loom_write_fn fn, void *opaque)
{
    loom_bus_remove_listener(bus, (loom_invalidate_fn)fn, opaque);
}

void loom_bus_remove_listener(loom_bus *bus, loom_invalidate_fn fn, void *opaque)
{
    for (size_t i = 0; i < bus->nlisteners; i++) {
        if (bus->listeners[i].fn == fn && bus->listeners[i].opaque == opaque) {
            memmove(&bus->listeners[i], &bus->listeners[i + 1],
                    (bus->nlisteners - i - 1) * sizeof *bus->listeners);
            bus->nlisteners--;
            return;
        }
    }
}

static void invalidate(loom_bus *bus, uint64_t start, uint64_t end, int depth, bool writes)
{
    if (depth > MAX_DEPTH || start > end) return;
    for (size_t i = 0; i < bus->nlisteners; i++)
        if (bus->listeners[i].writes == writes) bus->listeners[i].fn(bus->listeners[i].opaque, start, end);
    /* Every space that shows this one, through a container or an alias. */
    for (size_t i = 0; i < bus->parents.n; i++) {
        loom_region *r = bus->parents.v[i];
        uint64_t lo = start, hi = end;
        if (r->kind == REGION_ALIAS) {
            uint64_t wlo = r->alias_offset, whi = r->alias_offset + r->size - 1;
            if (hi < wlo || lo > whi) continue;
            if (lo < wlo) lo = wlo;
            if (hi > whi) hi = whi;
            lo -= wlo;
            hi -= wlo;
        } else {
            if (lo >= r->size) continue;
            if (hi >= r->size) hi = r->size - 1;
        }
        for (size_t k = 0; k < r->mappings.n; k++) {
            loom_mapping *m = r->mappings.v[k];
            invalidate(m->bus, m->addr + lo, m->addr + hi, depth + 1, writes);
        }
    }
}

void loom_bus_invalidate_dmi(loom_bus *bus, uint64_t start, uint64_t end)
{
    invalidate(bus, start, end, 0, false);
}

void loom_region_notify_write(loom_region *r, uint64_t offset, uint64_t len)
{
    if (len == 0 || offset >= r->size) return;
    if (len > r->size - offset) len = r->size - offset;
    for (size_t i = 0; i < r->mappings.n; i++) {
        loom_mapping *m = r->mappings.v[i];
        invalidate(m->bus, m->addr + offset, m->addr + offset + len - 1, 0, true);
    }
}

/* ---- Walking the map ------------------------------------------------------ */

static void visit(const loom_bus *cbus, loom_map_visit_fn fn, void *opaque, int depth,
                  uint64_t base, uint64_t lo, uint64_t hi)
{
    loom_bus *bus = (loom_bus *)cbus;
    if (bus->dirty) bus_rebuild(bus);
    if (depth > MAX_DEPTH) return;
    for (size_t i = 0; i < bus->nsegs; i++) {
        const segment *s = &bus->segs[i];
        if (s->end < lo || s->start > hi) continue;
        uint64_t a = s->start < lo ? lo : s->start, b = s->end > hi ? hi : s->end;
        const loom_region *r = s->m->region;
        uint64_t roff = a - s->m->addr;
        fn(opaque, depth, base + (a - lo), base + (b - lo), r, roff, s->m->priority);
        if (r->kind == REGION_CONTAINER)
            visit(r->inner, fn, opaque, depth + 1, base + (a - lo), roff, roff + (b - a));
    }
}

void loom_bus_visit(const loom_bus *bus, loom_map_visit_fn fn, void *opaque)
{
    visit(bus, fn, opaque, 0, 0, 0, UINT64_MAX);
}
