/* Unit tests for core/bus.c: routing, splitting, overlaps and priorities,
 * remapping, containers and aliases, debug accesses, DMI and its
 * revocation, and the resolved map. Expectations come from
 * include/loom/bus.h and DESIGN.md ("Address space", "Target"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"

/* ---- A target that records what reaches it ------------------------------------ */

typedef struct access {
    uint64_t off;
    uint32_t len;
    loom_cmd cmd;
} access_rec;

typedef struct tgt {
    const char *name;
    uint8_t *mem;
    uint64_t size;
    unsigned transports, debugs;
    access_rec log[16];
    unsigned nlog;
    bool dmi;      /* grants DMI over the whole region */
    unsigned dmi_rights;
    loom_region *region;
} tgt;

static void tgt_record(tgt *t, const loom_txn *txn)
{
    if (t->nlog < 16) t->log[t->nlog++] = (access_rec){txn->addr, txn->len, txn->cmd};
}

static void tgt_copy(tgt *t, loom_txn *txn)
{
    if (txn->addr >= t->size || txn->len > t->size - txn->addr) {
        txn->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(txn->cmd))
        memcpy(t->mem + txn->addr, txn->data, txn->len);
    else
        memcpy(txn->data, t->mem + txn->addr, txn->len);
    txn->resp = LOOM_RESP_OK;
}

static void tgt_transport(void *opaque, loom_txn *txn)
{
    tgt *t = opaque;
    t->transports++;
    tgt_record(t, txn);
    tgt_copy(t, txn);
}

static void tgt_debug(void *opaque, loom_txn *txn)
{
    tgt *t = opaque;
    t->debugs++;
    tgt_copy(t, txn);
}

static bool tgt_get_dmi(void *opaque, uint64_t offset, loom_dmi *dmi)
{
    tgt *t = opaque;
    if (!t->dmi) return false;
    *dmi = (loom_dmi){.host = t->mem, .start = 0, .end = t->size - 1,
                      .rights = t->dmi_rights ? t->dmi_rights : LOOM_DMI_READ | LOOM_DMI_WRITE};
    return true;
}

static const loom_target_ops plain_ops = {tgt_transport, NULL, NULL};
static const loom_target_ops dmi_ops = {tgt_transport, tgt_get_dmi, NULL};
static const loom_target_ops debug_ops = {tgt_transport, NULL, tgt_debug};

static tgt *tgt_new(loom_sim *sim, const char *name, uint64_t size, const loom_target_ops *ops)
{
    tgt *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->name = name;
    t->size = size;
    t->mem = calloc(1, size);
    assert_non_null(t->mem);
    for (uint64_t i = 0; i < size; i++) t->mem[i] = (uint8_t)(i * 7 + 1);
    t->dmi = ops->get_dmi != NULL;
    assert_int_equal(loom_region_new(sim, name, size, ops, t, &t->region), LOOM_OK);
    return t;
}

static void tgt_free(tgt *t)
{
    free(t->mem);
    free(t);
}

static loom_sim *new_sim(void)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    return sim;
}

static loom_resp txn_do(loom_bus *bus, loom_cmd cmd, uint64_t addr, void *buf, uint32_t len)
{
    loom_txn t = {.addr = addr, .data = buf, .len = len, .cmd = cmd};
    loom_bus_transport(bus, &t);
    assert_int_equal(t.addr, addr); /* the initiator gets its address back */
    return t.resp;
}

static uint32_t rd32(loom_bus *bus, uint64_t addr)
{
    uint8_t b[4];
    assert_int_equal(txn_do(bus, LOOM_READ, addr, b, 4), LOOM_RESP_OK);
    return (uint32_t)loom_get_le(b, 4);
}

static void wr32(loom_bus *bus, uint64_t addr, uint32_t v)
{
    uint8_t b[4];
    loom_put_le(b, 4, v);
    assert_int_equal(txn_do(bus, LOOM_WRITE, addr, b, 4), LOOM_RESP_OK);
}

/* Invalidation listener: records each range. */
typedef struct inval {
    uint64_t start[32], end[32];
    unsigned n;
} inval;

static void inval_fn(void *opaque, uint64_t start, uint64_t end)
{
    inval *v = opaque;
    if (v->n < 32) {
        v->start[v->n] = start;
        v->end[v->n] = end;
    }
    v->n++;
}

static bool inval_saw(const inval *v, uint64_t start, uint64_t end)
{
    for (unsigned i = 0; i < v->n && i < 32; i++)
        if (v->start[i] == start && v->end[i] == end) return true;
    return false;
}

static void count_fn(void *opaque, int depth, uint64_t start, uint64_t end, const loom_region *r,
                     uint64_t region_offset, int priority)
{
    ++*(unsigned *)opaque;
}

/* ---- Routing -------------------------------------------------------------------- */

static void test_bus_routes_to_the_right_region_with_offsets(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *a = tgt_new(sim, "a", 0x100, &plain_ops), *b = tgt_new(sim, "b", 0x1000, &plain_ops),
        *c = tgt_new(sim, "c", 0x10, &plain_ops);
    loom_mapping *mb;
    assert_int_equal(loom_bus_map(bus, a->region, 0x1000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, b->region, 0x2000, 0, &mb), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, c->region, 0xfffffffffffffff0ull, 0, NULL), LOOM_OK);
    assert_int_equal(loom_mapping_addr(mb), 0x2000);
    assert_ptr_equal(loom_mapping_region(mb), b->region);

    wr32(bus, 0x2010, 0xcafef00d);
    assert_int_equal(b->nlog, 1);
    assert_int_equal(b->log[0].off, 0x10);
    assert_int_equal(b->log[0].len, 4);
    assert_int_equal(b->log[0].cmd, LOOM_WRITE);
    assert_int_equal(loom_get_le(b->mem + 0x10, 4), 0xcafef00d);
    assert_int_equal(rd32(bus, 0x2010), 0xcafef00d);
    assert_int_equal(rd32(bus, 0x10fc), loom_get_le(a->mem + 0xfc, 4));
    assert_int_equal(a->log[0].off, 0xfc);
    /* The very last bytes of a 64-bit space. */
    assert_int_equal(rd32(bus, 0xfffffffffffffffcull), loom_get_le(c->mem + 0xc, 4));
    assert_int_equal(c->log[0].off, 0xc);
    assert_int_equal(a->transports + b->transports + c->transports, 4);

    /* The convenience calls agree. */
    uint8_t buf[4];
    assert_int_equal(loom_bus_read(bus, 0x2010, buf, 4), LOOM_OK);
    assert_int_equal(loom_get_le(buf, 4), 0xcafef00d);
    loom_sim_free(sim);
    tgt_free(a);
    tgt_free(b);
    tgt_free(c);
}

static void test_bus_unmapped_access_gives_address_error(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *a = tgt_new(sim, "a", 0x100, &plain_ops), *z = tgt_new(sim, "z", 0x10, &plain_ops),
        *top = tgt_new(sim, "top", 0x100, &plain_ops);
    assert_int_equal(loom_bus_map(bus, a->region, 0x1000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, z->region, 0, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, top->region, 0xffffffffffffff00ull, 0, NULL), LOOM_OK);
    uint8_t buf[8] = {0};
    assert_int_equal(txn_do(bus, LOOM_READ, 0x20, buf, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(txn_do(bus, LOOM_WRITE, 0x1100, buf, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(txn_do(bus, LOOM_READ, 0xffffffffull, buf, 1), LOOM_RESP_ADDRESS_ERROR);
    /* Starting in a region and running off its end into nothing. */
    assert_int_equal(txn_do(bus, LOOM_READ, 0x10fc, buf, 8), LOOM_RESP_ADDRESS_ERROR);
    /* An access does not wrap from the top of the space to address 0. */
    assert_int_equal(txn_do(bus, LOOM_READ, 0xfffffffffffffffeull, buf, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(txn_do(bus, LOOM_READ, 0xfffffffffffffffcull, buf, 4), LOOM_RESP_OK);
    assert_int_equal(loom_bus_read(bus, 0x4242, buf, 4), LOOM_E_ADDRESS);
    assert_non_null(strstr(loom_sim_last_error(sim), "0x4242"));
    assert_non_null(strstr(loom_sim_last_error(sim), "memory"));
    assert_int_equal(loom_bus_write(bus, 0x4242, buf, 4), LOOM_E_ADDRESS);
    assert_int_equal(loom_bus_debug_read(bus, 0x4242, buf, 4), LOOM_E_ADDRESS);
    /* An empty space answers every address with an error. */
    loom_bus *empty;
    assert_int_equal(loom_bus_new(sim, "empty", 0x1000, &empty), LOOM_OK);
    assert_int_equal(txn_do(empty, LOOM_READ, 0x10, buf, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_string_equal(loom_resp_name(LOOM_RESP_ADDRESS_ERROR), "address error");
    loom_sim_free(sim);
    tgt_free(a);
    tgt_free(z);
    tgt_free(top);
}

static void test_bus_splits_an_access_spanning_two_regions(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *a = tgt_new(sim, "a", 0x100, &plain_ops), *b = tgt_new(sim, "b", 0x100, &plain_ops),
        *c = tgt_new(sim, "c", 0x4, &plain_ops);
    assert_int_equal(loom_bus_map(bus, a->region, 0x1000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, b->region, 0x1100, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, c->region, 0x1200, 0, NULL), LOOM_OK);
    uint8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(txn_do(bus, LOOM_WRITE, 0x10fd, w, 8), LOOM_RESP_OK);
    assert_int_equal(a->nlog, 1);
    assert_int_equal(a->log[0].off, 0xfd);
    assert_int_equal(a->log[0].len, 3);
    assert_int_equal(b->nlog, 1);
    assert_int_equal(b->log[0].off, 0);
    assert_int_equal(b->log[0].len, 5);
    assert_memory_equal(a->mem + 0xfd, w, 3);
    assert_memory_equal(b->mem, w + 3, 5);
    /* Three pieces: the end of b, all of c, and past c into nothing. */
    uint8_t r[0x10] = {0};
    assert_int_equal(txn_do(bus, LOOM_READ, 0x11fe, r, 6), LOOM_RESP_OK);
    assert_memory_equal(r, b->mem + 0xfe, 2);
    assert_memory_equal(r + 2, c->mem, 4);
    assert_int_equal(c->log[0].off, 0);
    assert_int_equal(c->log[0].len, 4);
    assert_int_equal(txn_do(bus, LOOM_READ, 0x11fe, r, 7), LOOM_RESP_ADDRESS_ERROR);
    loom_sim_free(sim);
    tgt_free(a);
    tgt_free(b);
    tgt_free(c);
}

/* ---- Overlaps and priorities ---------------------------------------------------------- */

static void test_bus_refuses_overlapping_regions(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *flash = tgt_new(sim, "flash", 0x1000, &plain_ops), *uart = tgt_new(sim, "uart", 0x1000, &plain_ops);
    assert_int_equal(loom_bus_map(bus, flash->region, 0x1000, 0, NULL), LOOM_OK);
    loom_mapping *m = (loom_mapping *)&m;
    assert_int_equal(loom_bus_map(bus, uart->region, 0x1800, 0, &m), LOOM_E_OVERLAP);
    assert_null(m);
    const char *msg = loom_sim_last_error(sim);
    assert_non_null(strstr(msg, "'uart'"));
    assert_non_null(strstr(msg, "'flash'"));
    assert_non_null(strstr(msg, "0x00001800-0x000027ff"));
    assert_non_null(strstr(msg, "0x00001000-0x00001fff"));
    assert_non_null(strstr(msg, "'memory'"));
    /* Nothing was mapped: the part outside flash still answers with an error. */
    uint8_t b[4];
    assert_int_equal(txn_do(bus, LOOM_READ, 0x2400, b, 4), LOOM_RESP_ADDRESS_ERROR);
    /* Touching by one byte overlaps; adjacent does not. */
    assert_int_equal(loom_bus_map(bus, uart->region, 0x1fff, 0, NULL), LOOM_E_OVERLAP);
    assert_int_equal(loom_bus_map(bus, uart->region, 0x2000, 0, NULL), LOOM_OK);
    loom_sim_free(sim);
    tgt_free(flash);
    tgt_free(uart);
}

static void test_bus_higher_priority_hides_lower_and_unmap_reveals_it(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *low = tgt_new(sim, "low", 0x10000, &plain_ops), *high = tgt_new(sim, "high", 0x1000, &plain_ops);
    assert_int_equal(loom_bus_map(bus, low->region, 0, 0, NULL), LOOM_OK);
    loom_mapping *mh;
    assert_int_equal(loom_bus_map(bus, high->region, 0x4000, 1, &mh), LOOM_OK);
    rd32(bus, 0x4010);
    assert_int_equal(high->nlog, 1);
    assert_int_equal(high->log[0].off, 0x10);
    rd32(bus, 0x3ff0);
    rd32(bus, 0x5000);
    assert_int_equal(low->nlog, 2);
    assert_int_equal(low->log[0].off, 0x3ff0);
    assert_int_equal(low->log[1].off, 0x5000);
    /* An access across the edge of the hidden part is split between them. */
    uint8_t b[8];
    assert_int_equal(txn_do(bus, LOOM_READ, 0x4ffc, b, 8), LOOM_RESP_OK);
    assert_memory_equal(b, high->mem + 0xffc, 4);
    assert_memory_equal(b + 4, low->mem + 0x5000, 4);
    /* A lower priority under a higher one is fine too, in either order. */
    tgt *lower = tgt_new(sim, "lower", 0x100, &plain_ops);
    assert_int_equal(loom_bus_map(bus, lower->region, 0x4080, -1, NULL), LOOM_OK);
    rd32(bus, 0x4080);
    assert_int_equal(lower->transports, 0);
    /* Unmapping the high one reveals the low one again. */
    assert_int_equal(loom_bus_unmap(bus, mh), LOOM_OK);
    unsigned before = low->nlog, high_before = high->nlog;
    rd32(bus, 0x4010);
    assert_int_equal(low->nlog, before + 1);
    assert_int_equal(low->log[before].off, 0x4010);
    assert_int_equal(high->nlog, high_before);
    /* The lowest one stays hidden, now under the low one. */
    rd32(bus, 0x4080);
    assert_int_equal(low->nlog, before + 2);
    assert_int_equal(lower->transports, 0);
    loom_sim_free(sim);
    tgt_free(low);
    tgt_free(high);
    tgt_free(lower);
}

static void test_bus_remap_moves_a_region_and_invalidates_old_and_new_ranges(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *win = tgt_new(sim, "win", 0x1000, &plain_ops), *other = tgt_new(sim, "other", 0x1000, &plain_ops);
    loom_mapping *m;
    assert_int_equal(loom_bus_map(bus, win->region, 0x10000, 0, &m), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, other->region, 0x30000, 0, NULL), LOOM_OK);
    inval v = {0};
    assert_int_equal(loom_bus_add_listener(bus, inval_fn, &v), LOOM_OK);
    assert_int_equal(rd32(bus, 0x10020), loom_get_le(win->mem + 0x20, 4));

    assert_int_equal(loom_bus_remap(bus, m, 0x20000), LOOM_OK);
    assert_int_equal(loom_mapping_addr(m), 0x20000);
    assert_true(inval_saw(&v, 0x10000, 0x10fff));
    assert_true(inval_saw(&v, 0x20000, 0x20fff));
    assert_int_equal(v.n, 2);
    uint8_t b[4];
    assert_int_equal(txn_do(bus, LOOM_READ, 0x10020, b, 4), LOOM_RESP_ADDRESS_ERROR);
    assert_int_equal(rd32(bus, 0x20020), loom_get_le(win->mem + 0x20, 4));
    assert_int_equal(win->log[win->nlog - 1].off, 0x20);

    /* Moving onto another region of the same priority is refused and
     * changes nothing. */
    v.n = 0;
    assert_int_equal(loom_bus_remap(bus, m, 0x30800), LOOM_E_OVERLAP);
    assert_int_equal(loom_mapping_addr(m), 0x20000);
    assert_int_equal(v.n, 0);
    assert_int_equal(rd32(bus, 0x20020), loom_get_le(win->mem + 0x20, 4));
    assert_int_equal(rd32(bus, 0x30800), loom_get_le(other->mem + 0x800, 4));

    /* A removed listener hears nothing more. */
    loom_bus_remove_listener(bus, inval_fn, &v);
    assert_int_equal(loom_bus_remap(bus, m, 0x40000), LOOM_OK);
    assert_int_equal(v.n, 0);
    loom_sim_free(sim);
    tgt_free(win);
    tgt_free(other);
}

static void test_bus_set_enabled_switches_a_mapping_off_and_on(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *rom = tgt_new(sim, "rom", 0x1000, &plain_ops), *boot = tgt_new(sim, "boot", 0x100, &plain_ops),
        *ram = tgt_new(sim, "ram", 0x1000, &plain_ops);
    loom_mapping *mboot, *mram;
    assert_int_equal(loom_bus_map(bus, rom->region, 0, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, boot->region, 0, 1, &mboot), LOOM_OK);
    inval v = {0};
    assert_int_equal(loom_bus_add_listener(bus, inval_fn, &v), LOOM_OK);
    rd32(bus, 0x10);
    assert_int_equal(boot->transports, 1);
    assert_int_equal(loom_bus_set_enabled(bus, mboot, false), LOOM_OK);
    assert_true(inval_saw(&v, 0, 0xff));
    rd32(bus, 0x10);
    assert_int_equal(rom->transports, 1);
    /* Disabling twice is a no-op, not a second invalidation. */
    unsigned n = v.n;
    assert_int_equal(loom_bus_set_enabled(bus, mboot, false), LOOM_OK);
    assert_int_equal(v.n, n);
    assert_int_equal(loom_bus_set_enabled(bus, mboot, true), LOOM_OK);
    rd32(bus, 0x10);
    assert_int_equal(boot->transports, 2);

    /* A disabled mapping does not block an equal-priority one, and may
     * not be enabled on top of it. */
    assert_int_equal(loom_bus_map(bus, ram->region, 0x10000, 0, &mram), LOOM_OK);
    assert_int_equal(loom_bus_set_enabled(bus, mram, false), LOOM_OK);
    assert_int_equal(loom_bus_remap(bus, mram, 0x800), LOOM_OK);
    assert_int_equal(loom_bus_set_enabled(bus, mram, true), LOOM_E_OVERLAP);
    assert_non_null(strstr(loom_sim_last_error(sim), "'rom'"));
    rd32(bus, 0x800);
    assert_int_equal(ram->transports, 0);
    loom_sim_free(sim);
    tgt_free(rom);
    tgt_free(boot);
    tgt_free(ram);
}

static void test_bus_refuses_a_region_that_does_not_fit(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *io = loom_sim_io(sim);
    tgt *t = tgt_new(sim, "dev", 0x100, &plain_ops);
    assert_int_equal(loom_bus_map(io, t->region, 0xff80, 0, NULL), LOOM_E_INVAL);
    assert_non_null(strstr(loom_sim_last_error(sim), "'dev'"));
    assert_non_null(strstr(loom_sim_last_error(sim), "does not fit"));
    assert_non_null(strstr(loom_sim_last_error(sim), "'io'"));
    assert_int_equal(loom_bus_map(io, t->region, 0x10000, 0, NULL), LOOM_E_INVAL);
    assert_int_equal(loom_bus_map(io, t->region, 0xff00, 0, NULL), LOOM_OK);
    /* At the top of a 64-bit space, a region may end at the last byte but
     * not wrap around. */
    loom_bus *mem = loom_sim_memory(sim);
    assert_int_equal(loom_bus_map(mem, t->region, 0xffffffffffffff01ull, 0, NULL), LOOM_E_INVAL);
    assert_int_equal(loom_bus_map(mem, t->region, 0xffffffffffffff00ull, 0, NULL), LOOM_OK);
    /* Moving a mapping out of the space is refused as well. */
    loom_mapping *m;
    tgt *u = tgt_new(sim, "dev2", 0x10, &plain_ops);
    assert_int_equal(loom_bus_map(io, u->region, 0x10, 0, &m), LOOM_OK);
    assert_int_equal(loom_bus_remap(io, m, 0xfff8), LOOM_E_INVAL);
    assert_int_equal(loom_mapping_addr(m), 0x10);
    /* A region of size 0 cannot be made. */
    loom_region *r = (loom_region *)&r;
    assert_int_equal(loom_region_new(sim, "zero", 0, &plain_ops, NULL, &r), LOOM_E_INVAL);
    assert_null(r);
    loom_sim_free(sim);
    tgt_free(t);
    tgt_free(u);
}

static void test_bus_port_io_space_is_64_kib(void **state)
{
    loom_sim *sim = new_sim();
    assert_int_equal(loom_bus_size(loom_sim_io(sim)), 0x10000);
    assert_string_equal(loom_bus_name(loom_sim_io(sim)), "io");
    assert_string_equal(loom_bus_name(loom_sim_memory(sim)), "memory");
    assert_ptr_equal(loom_bus_sim(loom_sim_io(sim)), sim);
    /* The memory space is the whole 64-bit range (its size wraps to 0). */
    assert_int_equal(loom_bus_size(loom_sim_memory(sim)), 0);
    tgt *t = tgt_new(sim, "com1", 8, &plain_ops);
    assert_int_equal(loom_bus_map(loom_sim_io(sim), t->region, 0x3f8, 0, NULL), LOOM_OK);
    uint8_t b = 0x41;
    assert_int_equal(txn_do(loom_sim_io(sim), LOOM_WRITE, 0x3f8, &b, 1), LOOM_RESP_OK);
    assert_int_equal(t->mem[0], 0x41);
    /* Port I/O and memory are separate spaces. */
    assert_int_equal(txn_do(loom_sim_memory(sim), LOOM_WRITE, 0x3f8, &b, 1), LOOM_RESP_ADDRESS_ERROR);
    loom_sim_free(sim);
    tgt_free(t);
}

/* ---- Containers and aliases ------------------------------------------------------------ */

static void test_bus_container_routes_into_its_nested_space(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim), *pci;
    assert_int_equal(loom_bus_new(sim, "pci", 0x100000, &pci), LOOM_OK);
    tgt *dev = tgt_new(sim, "dev", 0x100, &plain_ops), *dev2 = tgt_new(sim, "dev2", 0x100, &plain_ops);
    assert_int_equal(loom_bus_map(pci, dev->region, 0x1000, 0, NULL), LOOM_OK);
    loom_region *win;
    assert_int_equal(loom_region_new_container(sim, "pci-win", 0x100000, pci, &win), LOOM_OK);
    assert_ptr_equal(loom_region_container_bus(win), pci);
    assert_null(loom_region_alias_target(win, NULL));
    assert_int_equal(loom_bus_map(bus, win, 0x40000000, 0, NULL), LOOM_OK);

    wr32(bus, 0x40001010, 0x11223344);
    assert_int_equal(dev->log[0].off, 0x10);
    assert_int_equal(loom_get_le(dev->mem + 0x10, 4), 0x11223344);
    uint8_t b[4];
    assert_int_equal(txn_do(bus, LOOM_READ, 0x40000000, b, 4), LOOM_RESP_ADDRESS_ERROR);
    /* Devices mapped into the inner space later are reached at once. */
    assert_int_equal(loom_bus_map(pci, dev2->region, 0x2000, 0, NULL), LOOM_OK);
    assert_int_equal(rd32(bus, 0x40002004), loom_get_le(dev2->mem + 4, 4));
    /* An access across two inner devices is split inside. */
    tgt *dev3 = tgt_new(sim, "dev3", 0x100, &plain_ops);
    assert_int_equal(loom_bus_map(pci, dev3->region, 0x2100, 0, NULL), LOOM_OK);
    uint8_t w[8];
    assert_int_equal(txn_do(bus, LOOM_READ, 0x400020fc, w, 8), LOOM_RESP_OK);
    assert_memory_equal(w, dev2->mem + 0xfc, 4);
    assert_memory_equal(w + 4, dev3->mem, 4);
    /* A container cannot be mapped into the space it holds. */
    assert_int_equal(loom_bus_map(pci, win, 0, 0, NULL), LOOM_E_INVAL);
    loom_sim_free(sim);
    tgt_free(dev);
    tgt_free(dev2);
    tgt_free(dev3);
}

static void test_bus_alias_shows_a_window_with_offset(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim), *flashbus;
    assert_int_equal(loom_bus_new(sim, "flashbus", 0, &flashbus), LOOM_OK);
    tgt *flash = tgt_new(sim, "flash", 0x10000, &plain_ops);
    assert_int_equal(loom_bus_map(flashbus, flash->region, 0x20000000, 0, NULL), LOOM_OK);
    loom_region *a;
    assert_int_equal(loom_region_new_alias(sim, "boot", 0x1000, flashbus, 0x20004000, &a), LOOM_OK);
    uint64_t off = 0;
    assert_ptr_equal(loom_region_alias_target(a, &off), flashbus);
    assert_int_equal(off, 0x20004000);
    assert_int_equal(loom_region_size(a), 0x1000);
    assert_string_equal(loom_region_name(a), "boot");
    assert_int_equal(loom_bus_map(bus, a, 0, 0, NULL), LOOM_OK);
    assert_int_equal(rd32(bus, 0x10), loom_get_le(flash->mem + 0x4010, 4));
    assert_int_equal(flash->log[0].off, 0x4010);
    wr32(bus, 0xffc, 0xabcdef01);
    assert_int_equal(loom_get_le(flash->mem + 0x4ffc, 4), 0xabcdef01);
    /* The window ends where the alias ends, whatever lies behind it. */
    uint8_t b[4];
    assert_int_equal(txn_do(bus, LOOM_READ, 0x1000, b, 4), LOOM_RESP_ADDRESS_ERROR);

    /* An alias of an alias: a window onto the first window's space. */
    loom_bus *mid;
    assert_int_equal(loom_bus_new(sim, "mid", 0x10000, &mid), LOOM_OK);
    loom_region *a1, *a2;
    assert_int_equal(loom_region_new_alias(sim, "a1", 0x2000, flashbus, 0x20008000, &a1), LOOM_OK);
    assert_int_equal(loom_bus_map(mid, a1, 0x100, 0, NULL), LOOM_OK);
    assert_int_equal(loom_region_new_alias(sim, "a2", 0x800, mid, 0x900, &a2), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, a2, 0x50000, 0, NULL), LOOM_OK);
    /* 0x50010 -> mid 0x910 -> a1 offset 0x810 -> flashbus 0x20008810 */
    assert_int_equal(rd32(bus, 0x50010), loom_get_le(flash->mem + 0x8810, 4));
    assert_int_equal(flash->log[flash->nlog - 1].off, 0x8810);

    /* An alias may not reach past the end of its target space. */
    loom_bus *small;
    assert_int_equal(loom_bus_new(sim, "small", 0x1000, &small), LOOM_OK);
    assert_int_equal(loom_region_new_alias(sim, "toolong", 0x200, small, 0xf00, &a), LOOM_E_INVAL);
    assert_non_null(strstr(loom_sim_last_error(sim), "'small'"));
    assert_int_equal(loom_region_new_alias(sim, "fits", 0x100, small, 0xf00, &a), LOOM_OK);
    /* It may be mapped into the space it shows (a boot alias of RAM at 0);
     * what it shows there is what lies behind its window. */
    assert_int_equal(loom_bus_map(small, a, 0, 0, NULL), LOOM_OK);
    assert_int_equal(txn_do(small, LOOM_READ, 0x10, b, 4), LOOM_RESP_ADDRESS_ERROR);
    loom_sim_free(sim);
    tgt_free(flash);
}

static void test_bus_boot_alias_in_its_own_space(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *ram = tgt_new(sim, "ram", 0x10000, &dmi_ops);
    assert_int_equal(loom_bus_map(bus, ram->region, 0x40000000, 0, NULL), LOOM_OK);
    loom_region *boot, *mirror;
    /* A boot alias: RAM at 0x40002000 shown again at 0. */
    assert_int_equal(loom_region_new_alias(sim, "boot", 0x1000, bus, 0x40002000, &boot), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, boot, 0, 1, NULL), LOOM_OK);
    assert_int_equal(rd32(bus, 0x10), loom_get_le(ram->mem + 0x2010, 4));
    assert_int_equal(ram->log[0].off, 0x2010);
    loom_dmi d;
    assert_true(loom_bus_get_dmi(bus, 0x100, &d));
    assert_int_equal(d.start, 0);
    assert_int_equal(d.end, 0xfff);
    assert_ptr_equal(d.host, ram->mem + 0x2000);
    /* A revocation in the window reaches both addresses, once each. */
    inval v = {0};
    assert_int_equal(loom_bus_add_listener(bus, inval_fn, &v), LOOM_OK);
    loom_region_invalidate_dmi(ram->region, 0x2100, 0x10);
    assert_int_equal(v.n, 2);
    assert_true(inval_saw(&v, 0x40002100, 0x4000210f));
    assert_true(inval_saw(&v, 0x100, 0x10f));

    /* A window that shows itself fails at the nesting limit, cleanly. */
    assert_int_equal(loom_region_new_alias(sim, "mirror", 0x1000, bus, 0x80000000, &mirror), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, mirror, 0x80000000, 0, NULL), LOOM_OK);
    uint8_t b[4];
    assert_int_equal(txn_do(bus, LOOM_READ, 0x80000010, b, 4), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(txn_do(bus, LOOM_DEBUG_READ, 0x80000010, b, 4), LOOM_RESP_GENERIC_ERROR);
    assert_false(loom_bus_get_dmi(bus, 0x80000010, &d));
    v.n = 0;
    loom_bus_invalidate_dmi(bus, 0x80000000, 0x80000fff);
    assert_true(v.n > 1 && v.n < 100);
    /* A container may not hold itself. */
    loom_region *self;
    assert_int_equal(loom_region_new_container(sim, "self", 0x1000, bus, &self), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, self, 0x90000000, 0, NULL), LOOM_E_INVAL);
    loom_sim_free(sim);
    tgt_free(ram);
}

static void test_bus_alias_loop_fails_cleanly(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *p, *q;
    assert_int_equal(loom_bus_new(sim, "p", 0x10000, &p), LOOM_OK);
    assert_int_equal(loom_bus_new(sim, "q", 0x10000, &q), LOOM_OK);
    loom_region *pq, *qp;
    /* p shows q and q shows p, at the same place: an access goes round. */
    assert_int_equal(loom_region_new_alias(sim, "p-to-q", 0x1000, q, 0, &pq), LOOM_OK);
    assert_int_equal(loom_region_new_alias(sim, "q-to-p", 0x1000, p, 0, &qp), LOOM_OK);
    assert_int_equal(loom_bus_map(p, pq, 0, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(q, qp, 0, 0, NULL), LOOM_OK);
    loom_region *cont;
    assert_int_equal(loom_region_new_container(sim, "p-in-mem", 0x10000, p, &cont), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(sim), cont, 0x100000, 0, NULL), LOOM_OK);
    inval v = {0};
    assert_int_equal(loom_bus_add_listener(loom_sim_memory(sim), inval_fn, &v), LOOM_OK);

    uint8_t b[4] = {0};
    for (int cmd = LOOM_READ; cmd <= LOOM_DEBUG_WRITE; cmd++)
        assert_int_equal(txn_do(p, (loom_cmd)cmd, 0x10, b, 4), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(txn_do(loom_sim_memory(sim), LOOM_READ, 0x100010, b, 4), LOOM_RESP_GENERIC_ERROR);
    assert_int_equal(loom_bus_read(p, 0x10, b, 4), LOOM_E_BUS);
    loom_dmi d;
    assert_false(loom_bus_get_dmi(p, 0x10, &d));
    assert_false(loom_bus_get_dmi(loom_sim_memory(sim), 0x100010, &d));
    /* Invalidation terminates, and reaches the top through the container. */
    loom_bus_invalidate_dmi(q, 0x10, 0x1f);
    assert_true(v.n > 0);
    assert_true(inval_saw(&v, 0x100010, 0x10001f));
    /* Walking the map terminates too. */
    unsigned seen = 0;
    loom_bus_visit(loom_sim_memory(sim), count_fn, &seen);
    assert_int_equal(seen, 2); /* the container and the alias inside; aliases are not followed */
    loom_sim_free(sim);
}

static void test_bus_container_loop_fails_cleanly(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *p, *q;
    assert_int_equal(loom_bus_new(sim, "p", 0x10000, &p), LOOM_OK);
    assert_int_equal(loom_bus_new(sim, "q", 0x10000, &q), LOOM_OK);
    loom_region *cp, *cq;
    assert_int_equal(loom_region_new_container(sim, "cp", 0x10000, p, &cp), LOOM_OK);
    assert_int_equal(loom_region_new_container(sim, "cq", 0x10000, q, &cq), LOOM_OK);
    assert_int_equal(loom_bus_map(p, cq, 0, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(q, cp, 0, 0, NULL), LOOM_OK);
    uint8_t b[4];
    assert_int_equal(txn_do(p, LOOM_WRITE, 0x20, b, 4), LOOM_RESP_GENERIC_ERROR);
    loom_dmi d;
    assert_false(loom_bus_get_dmi(q, 0x20, &d));
    loom_bus_invalidate_dmi(p, 0, 0xff);
    unsigned seen = 0;
    loom_bus_visit(p, count_fn, &seen);
    assert_true(seen > 1 && seen < 100);
    loom_sim_free(sim);
}

/* ---- Debug accesses ------------------------------------------------------------------- */

static void test_bus_debug_accesses_never_call_transport(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tgt *ram = tgt_new(sim, "ram", 0x1000, &dmi_ops);
    tgt *dbg = tgt_new(sim, "dbg", 0x100, &debug_ops);
    tgt *none = tgt_new(sim, "none", 0x100, &plain_ops);
    tgt *rom = tgt_new(sim, "rom", 0x100, &dmi_ops);
    rom->dmi_rights = LOOM_DMI_READ;
    assert_int_equal(loom_bus_map(bus, ram->region, 0x0, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, dbg->region, 0x1000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, none->region, 0x2000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, rom->region, 0x3000, 0, NULL), LOOM_OK);

    /* Through DMI (no debug hook). */
    uint8_t w[16], r[16];
    for (int i = 0; i < 16; i++) w[i] = (uint8_t)(0xa0 + i);
    assert_int_equal(loom_bus_debug_write(bus, 0x100, w, 16), LOOM_OK);
    assert_memory_equal(ram->mem + 0x100, w, 16);
    assert_int_equal(loom_bus_debug_read(bus, 0x100, r, 16), LOOM_OK);
    assert_memory_equal(r, w, 16);
    /* Through the debug hook. */
    assert_int_equal(loom_bus_debug_write(bus, 0x1010, w, 4), LOOM_OK);
    assert_int_equal(dbg->debugs, 1);
    assert_memory_equal(dbg->mem + 0x10, w, 4);
    /* A debug write may fill memory it may only read through DMI (ROM). */
    assert_int_equal(loom_bus_debug_write(bus, 0x3000, w, 8), LOOM_OK);
    assert_memory_equal(rom->mem, w, 8);
    /* Neither hook nor DMI: an error, never the transport. */
    assert_int_equal(loom_bus_debug_read(bus, 0x2000, r, 4), LOOM_E_BUS);
    assert_int_equal(loom_bus_debug_write(bus, 0x2000, w, 4), LOOM_E_BUS);
    /* A debug access spanning RAM and the debug device uses both paths. */
    assert_int_equal(loom_bus_debug_read(bus, 0xffc, r, 8), LOOM_OK);
    assert_memory_equal(r, ram->mem + 0xffc, 4);
    assert_memory_equal(r + 4, dbg->mem, 4);
    assert_int_equal(ram->transports + dbg->transports + none->transports + rom->transports, 0);
    loom_sim_free(sim);
    tgt_free(ram);
    tgt_free(dbg);
    tgt_free(none);
    tgt_free(rom);
}

/* ---- DMI -------------------------------------------------------------------------------- */

static void test_bus_dmi_through_containers_and_aliases_gives_bus_addresses(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim), *inner;
    assert_int_equal(loom_bus_new(sim, "inner", 0x100000, &inner), LOOM_OK);
    tgt *ram = tgt_new(sim, "ram", 0x10000, &dmi_ops);
    assert_int_equal(loom_bus_map(inner, ram->region, 0x1000, 0, NULL), LOOM_OK);
    loom_region *cont, *al;
    assert_int_equal(loom_region_new_container(sim, "cont", 0x100000, inner, &cont), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, cont, 0x40000000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_region_new_alias(sim, "al", 0x2000, inner, 0x3000, &al), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, al, 0x80000000, 0, NULL), LOOM_OK);

    loom_dmi d;
    /* Direct, in the inner space. */
    assert_true(loom_bus_get_dmi(inner, 0x1234, &d));
    assert_int_equal(d.start, 0x1000);
    assert_int_equal(d.end, 0x10fff);
    assert_ptr_equal(d.host, ram->mem);
    /* Through the container: the same grant at the container's address. */
    assert_true(loom_bus_get_dmi(bus, 0x40001234, &d));
    assert_int_equal(d.start, 0x40001000);
    assert_int_equal(d.end, 0x40010fff);
    assert_ptr_equal(d.host, ram->mem);
    assert_int_equal(d.rights, LOOM_DMI_READ | LOOM_DMI_WRITE);
    /* Through the alias: clipped to the window, host at the window start. */
    assert_true(loom_bus_get_dmi(bus, 0x80001000, &d));
    assert_int_equal(d.start, 0x80000000);
    assert_int_equal(d.end, 0x80001fff);
    assert_ptr_equal(d.host, ram->mem + 0x2000);
    /* The pointer is the memory: a write through it reads back on the bus. */
    d.host[0x123] = 0x5a;
    uint8_t b;
    assert_int_equal(loom_bus_read(bus, 0x80000123, &b, 1), LOOM_OK);
    assert_int_equal(b, 0x5a);
    assert_int_equal(loom_bus_read(bus, 0x40003123, &b, 1), LOOM_OK);
    assert_int_equal(b, 0x5a);

    /* A higher-priority region over part of the RAM clips the grant. */
    tgt *hole = tgt_new(sim, "hole", 0x100, &plain_ops);
    assert_int_equal(loom_bus_map(inner, hole->region, 0x8000, 1, NULL), LOOM_OK);
    assert_true(loom_bus_get_dmi(bus, 0x40001234, &d));
    assert_int_equal(d.start, 0x40001000);
    assert_int_equal(d.end, 0x40007fff);
    assert_ptr_equal(d.host, ram->mem);
    assert_true(loom_bus_get_dmi(bus, 0x40008100, &d));
    assert_int_equal(d.start, 0x40008100);
    assert_int_equal(d.end, 0x40010fff);
    assert_ptr_equal(d.host, ram->mem + 0x7100);
    assert_false(loom_bus_get_dmi(bus, 0x40008000, &d)); /* the hole grants none */

    /* An alias of an alias, partly over the alias's window edge. */
    loom_bus *outer;
    assert_int_equal(loom_bus_new(sim, "outer", 0x10000, &outer), LOOM_OK);
    loom_region *al2;
    assert_int_equal(loom_region_new_alias(sim, "al2", 0x1000, bus, 0x80001800, &al2), LOOM_OK);
    assert_int_equal(loom_bus_map(outer, al2, 0x4000, 0, NULL), LOOM_OK);
    assert_true(loom_bus_get_dmi(outer, 0x4100, &d));
    /* al2 shows bus 0x80001800-0x800027ff; only up to 0x80001fff is RAM. */
    assert_int_equal(d.start, 0x4000);
    assert_int_equal(d.end, 0x47ff);
    assert_ptr_equal(d.host, ram->mem + 0x3800);
    assert_false(loom_bus_get_dmi(outer, 0x4800, &d));
    assert_false(loom_bus_get_dmi(bus, 0x20, &d)); /* nothing mapped */
    loom_sim_free(sim);
    tgt_free(ram);
    tgt_free(hole);
}

static void test_region_invalidate_dmi_reaches_the_top_through_containers_and_aliases(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim), *inner;
    assert_int_equal(loom_bus_new(sim, "inner", 0x100000, &inner), LOOM_OK);
    tgt *ram = tgt_new(sim, "ram", 0x10000, &dmi_ops);
    assert_int_equal(loom_bus_map(inner, ram->region, 0x1000, 0, NULL), LOOM_OK);
    loom_region *cont, *al;
    assert_int_equal(loom_region_new_container(sim, "cont", 0x100000, inner, &cont), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, cont, 0x40000000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_region_new_alias(sim, "al", 0x2000, inner, 0x3000, &al), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, al, 0x80000000, 0, NULL), LOOM_OK);
    inval top = {0}, in = {0};
    assert_int_equal(loom_bus_add_listener(bus, inval_fn, &top), LOOM_OK);
    assert_int_equal(loom_bus_add_listener(inner, inval_fn, &in), LOOM_OK);

    /* RAM offset 0x2100 is inner 0x3100: inside the alias window. */
    loom_region_invalidate_dmi(ram->region, 0x2100, 0x10);
    assert_int_equal(in.n, 1);
    assert_true(inval_saw(&in, 0x3100, 0x310f));
    assert_int_equal(top.n, 2);
    assert_true(inval_saw(&top, 0x40003100, 0x4000310f));
    assert_true(inval_saw(&top, 0x80000100, 0x8000010f));

    /* Outside the alias window: only through the container. */
    top.n = in.n = 0;
    loom_region_invalidate_dmi(ram->region, 0x8000, 0x100);
    assert_int_equal(top.n, 1);
    assert_true(inval_saw(&top, 0x40009000, 0x400090ff));

    /* Straddling the window's start: the alias forwards only its part. */
    top.n = in.n = 0;
    loom_region_invalidate_dmi(ram->region, 0x1ff0, 0x20);
    assert_true(inval_saw(&top, 0x40002ff0, 0x4000300f));
    assert_true(inval_saw(&top, 0x80000000, 0x8000000f));
    assert_int_equal(top.n, 2);

    /* Clipped to the region; past its end nothing happens. */
    top.n = in.n = 0;
    loom_region_invalidate_dmi(ram->region, 0xfff0, 0x1000);
    assert_true(inval_saw(&top, 0x40010ff0, 0x40010fff));
    assert_int_equal(top.n, 1);
    top.n = 0;
    loom_region_invalidate_dmi(ram->region, 0x10000, 0x10);
    loom_region_invalidate_dmi(ram->region, 0x10, 0);
    assert_int_equal(top.n, 0);
    loom_sim_free(sim);
    tgt_free(ram);
}

/* ---- Scale ------------------------------------------------------------------------------ */

typedef struct tiny {
    unsigned index;
    unsigned hits;
    uint64_t last_off;
} tiny;

static void tiny_transport(void *opaque, loom_txn *txn)
{
    tiny *t = opaque;
    t->hits++;
    t->last_off = txn->addr;
    loom_put_le(txn->data, txn->len, t->index);
    txn->resp = LOOM_RESP_OK;
}

static const loom_target_ops tiny_ops = {tiny_transport, NULL, NULL};

/* Routing is a binary search over the resolved map: ten thousand regions
 * and a million lookups must complete and route each one right (speed is
 * measured in bench/, not here). */
static void test_bus_routes_a_million_lookups_over_ten_thousand_regions(void **state)
{
    enum { N = 10000, STRIDE = 0x1000, SIZE = 0x100 };
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim);
    tiny *t = calloc(N, sizeof *t);
    assert_non_null(t);
    char name[32];
    /* Mapped in a scrambled order. */
    for (unsigned k = 0; k < N; k++) {
        unsigned i = (k * 7919u) % N;
        t[i].index = i;
        snprintf(name, sizeof name, "r%u", i);
        loom_region *r;
        assert_int_equal(loom_region_new(sim, name, SIZE, &tiny_ops, &t[i], &r), LOOM_OK);
        assert_int_equal(loom_bus_map(bus, r, 0x10000000ull + (uint64_t)i * STRIDE, 0, NULL), LOOM_OK);
    }
    uint64_t x = 88172645463325252ull;
    unsigned mapped = 0, unmapped = 0;
    for (unsigned n = 0; n < 1000000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        unsigned i = (unsigned)(x % N);
        uint64_t off = (x >> 20) % STRIDE;
        uint8_t b[4] = {0};
        loom_txn txn = {.addr = 0x10000000ull + (uint64_t)i * STRIDE + off, .data = b, .len = 1,
                        .cmd = LOOM_READ};
        loom_bus_transport(bus, &txn);
        if (off < SIZE) {
            if (txn.resp != LOOM_RESP_OK || b[0] != (uint8_t)i || t[i].last_off != off)
                fail_msg("lookup %u: 0x%llx went wrong", n, (unsigned long long)txn.addr);
            mapped++;
        } else {
            if (txn.resp != LOOM_RESP_ADDRESS_ERROR)
                fail_msg("lookup %u: 0x%llx in a gap answered", n, (unsigned long long)txn.addr);
            unmapped++;
        }
    }
    assert_true(mapped > 10000 && unmapped > 10000);
    unsigned total = 0;
    for (unsigned i = 0; i < N; i++) total += t[i].hits;
    assert_int_equal(total, mapped);
    loom_sim_free(sim);
    free(t);
}

/* ---- The resolved map --------------------------------------------------------------------- */

typedef struct visit_rec {
    int depth;
    uint64_t start, end, roff;
    const char *name;
    int prio;
} visit_rec;

typedef struct visits {
    visit_rec v[16];
    unsigned n;
} visits;

static void visit_fn(void *opaque, int depth, uint64_t start, uint64_t end, const loom_region *r,
                     uint64_t region_offset, int priority)
{
    visits *vs = opaque;
    assert_true(vs->n < 16);
    vs->v[vs->n++] = (visit_rec){depth, start, end, region_offset, loom_region_name(r), priority};
}

static void expect_visit(const visits *vs, unsigned i, int depth, uint64_t start, uint64_t end,
                         const char *name, uint64_t roff, int prio)
{
    assert_true(i < vs->n);
    const visit_rec *v = &vs->v[i];
    assert_int_equal(v->depth, depth);
    assert_int_equal(v->start, start);
    assert_int_equal(v->end, end);
    assert_string_equal(v->name, name);
    assert_int_equal(v->roff, roff);
    assert_int_equal(v->prio, prio);
}

static void test_bus_visit_lists_the_resolved_map(void **state)
{
    loom_sim *sim = new_sim();
    loom_bus *bus = loom_sim_memory(sim), *inner;
    tgt *ram = tgt_new(sim, "ram", 0x10000, &plain_ops), *boot = tgt_new(sim, "boot", 0x1000, &plain_ops),
        *dev = tgt_new(sim, "dev", 0x10, &plain_ops);
    assert_int_equal(loom_bus_new(sim, "inner", 0x1000, &inner), LOOM_OK);
    assert_int_equal(loom_bus_map(inner, dev->region, 0x10, 0, NULL), LOOM_OK);
    loom_region *cont, *al;
    assert_int_equal(loom_region_new_container(sim, "cont", 0x1000, inner, &cont), LOOM_OK);
    assert_int_equal(loom_region_new_alias(sim, "al", 0x100, inner, 0x0, &al), LOOM_OK);
    /* Mapped out of order. */
    assert_int_equal(loom_bus_map(bus, cont, 0x100000, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, boot->region, 0x4000, 2, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, ram->region, 0, 0, NULL), LOOM_OK);
    assert_int_equal(loom_bus_map(bus, al, 0x200000, 0, NULL), LOOM_OK);
    visits vs = {0};
    loom_bus_visit(bus, visit_fn, &vs);
    assert_int_equal(vs.n, 6);
    expect_visit(&vs, 0, 0, 0x0, 0x3fff, "ram", 0, 0);
    expect_visit(&vs, 1, 0, 0x4000, 0x4fff, "boot", 0, 2);
    expect_visit(&vs, 2, 0, 0x5000, 0xffff, "ram", 0x5000, 0);
    expect_visit(&vs, 3, 0, 0x100000, 0x100fff, "cont", 0, 0);
    expect_visit(&vs, 4, 1, 0x100010, 0x10001f, "dev", 0, 0);
    expect_visit(&vs, 5, 0, 0x200000, 0x2000ff, "al", 0, 0);
    loom_sim_free(sim);
    tgt_free(ram);
    tgt_free(boot);
    tgt_free(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bus_routes_to_the_right_region_with_offsets),
        cmocka_unit_test(test_bus_unmapped_access_gives_address_error),
        cmocka_unit_test(test_bus_splits_an_access_spanning_two_regions),
        cmocka_unit_test(test_bus_refuses_overlapping_regions),
        cmocka_unit_test(test_bus_higher_priority_hides_lower_and_unmap_reveals_it),
        cmocka_unit_test(test_bus_remap_moves_a_region_and_invalidates_old_and_new_ranges),
        cmocka_unit_test(test_bus_set_enabled_switches_a_mapping_off_and_on),
        cmocka_unit_test(test_bus_refuses_a_region_that_does_not_fit),
        cmocka_unit_test(test_bus_port_io_space_is_64_kib),
        cmocka_unit_test(test_bus_container_routes_into_its_nested_space),
        cmocka_unit_test(test_bus_alias_shows_a_window_with_offset),
        cmocka_unit_test(test_bus_boot_alias_in_its_own_space),
        cmocka_unit_test(test_bus_alias_loop_fails_cleanly),
        cmocka_unit_test(test_bus_container_loop_fails_cleanly),
        cmocka_unit_test(test_bus_debug_accesses_never_call_transport),
        cmocka_unit_test(test_bus_dmi_through_containers_and_aliases_gives_bus_addresses),
        cmocka_unit_test(test_region_invalidate_dmi_reaches_the_top_through_containers_and_aliases),
        cmocka_unit_test(test_bus_routes_a_million_lookups_over_ten_thousand_regions),
        cmocka_unit_test(test_bus_visit_lists_the_resolved_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
