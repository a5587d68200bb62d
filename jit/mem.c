/* Guest memory access outside native code: the soft TLB in system mode,
 * guest base plus address in user mode, the bus for MMIO, and detection of
 * stores into translated code. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static uint64_t to_host_order(const uint8_t *p, unsigned size, bool be)
{
    return be ? loom_get_be(p, size) : loom_get_le(p, size);
}

static void from_host_order(uint8_t *p, unsigned size, bool be, uint64_t v)
{
    if (be) loom_put_be(p, size, v); else loom_put_le(p, size, v);
}

static uint64_t extend(uint64_t v, unsigned size, bool sign)
{
    if (!sign || size == 8) return v;
    unsigned sh = 64 - 8 * size;
    return (uint64_t)((int64_t)(v << sh) >> sh);
}

static uint64_t page_mask(const jit_cpu *c) { return ~((1ull << c->guest->page_bits) - 1); }

void jit_tlb_flush(jit_cpu *c)
{
    /* The jump cache is looked up by virtual pc: a new mapping may make
     * its entries wrong. */
    if (c->jump_cache) memset(c->jump_cache, 0, sizeof(jit_block *) << JIT_JUMP_CACHE_BITS);
    if (!c->tlb) return;
    for (unsigned m = 0; m < JIT_MAX_MMU; m++)
        for (unsigned i = 0; i < JIT_TLB_SIZE; i++)
            c->tlb[m][i] = (jit_tlb_entry){JIT_TLB_INVALID, JIT_TLB_INVALID, 0, 0};
}

void jit_tlb_flush_page(jit_cpu *c, uint64_t vaddr)
{
    if (c->jump_cache) memset(c->jump_cache, 0, sizeof(jit_block *) << JIT_JUMP_CACHE_BITS);
    if (!c->tlb) return;
    unsigned idx = (unsigned)(vaddr >> c->guest->page_bits) & (JIT_TLB_SIZE - 1);
    for (unsigned m = 0; m < JIT_MAX_MMU; m++)
        c->tlb[m][idx] = (jit_tlb_entry){JIT_TLB_INVALID, JIT_TLB_INVALID, 0, 0};
}

bool jit_page_has_code(const jit_cpu *c, uint64_t paddr);

/* ---- Watchpoints ------------------------------------------------------------------ */

typedef struct jit_watch {
    uint64_t addr, len;
    unsigned kinds;
} jit_watch;

loom_err jit_watch_insert(jit_cpu *c, uint64_t addr, uint64_t len, unsigned kinds)
{
    if (c->user_mode) return LOOM_E_UNSUPPORTED;
    if (!len || !(kinds & (1u << JIT_READ | 1u << JIT_WRITE)) || addr + len - 1 < addr) return LOOM_E_INVAL;
    jit_watch *w = realloc(c->watch, (c->nwatch + 1) * sizeof *w);
    if (!w) return LOOM_E_NOMEM;
    c->watch = w;
    w[c->nwatch++] = (jit_watch){addr, len, kinds};
    jit_tlb_flush(c); /* the watched pages' entries get JIT_TLB_WATCH */
    return LOOM_OK;
}

loom_err jit_watch_remove(jit_cpu *c, uint64_t addr, uint64_t len, unsigned kinds)
{
    for (unsigned i = 0; i < c->nwatch; i++) {
        jit_watch *w = &c->watch[i];
        if (w->addr == addr && w->len == len && w->kinds == kinds) {
            c->watch[i] = c->watch[--c->nwatch];
            jit_tlb_flush(c);
            return LOOM_OK;
        }
    }
    return LOOM_E_NOTFOUND;
}

void jit_watch_remove_all(jit_cpu *c)
{
    if (!c->nwatch) return;
    c->nwatch = 0;
    jit_tlb_flush(c);
}

void jit_watch_free(jit_cpu *c)
{
    free(c->watch);
    c->watch = NULL;
    c->nwatch = 0;
}

/* Does [addr, addr + len) of access kind acc (or any kind: acc < 0) touch a
 * watchpoint? The kinds of the one it touches go to *kinds. */
static bool watched_kinds(const jit_cpu *c, uint64_t addr, uint64_t len, int acc, unsigned *kinds)
{
    for (unsigned i = 0; i < c->nwatch; i++) {
        const jit_watch *w = &c->watch[i];
        if (acc >= 0 && !(w->kinds & (1u << acc))) continue;
        if (w->addr <= addr + len - 1 && addr <= w->addr + w->len - 1) {
            if (kinds) *kinds = w->kinds;
            return true;
        }
    }
    return false;
}

static bool watched(const jit_cpu *c, uint64_t addr, uint64_t len, int acc)
{
    return watched_kinds(c, addr, len, acc, NULL);
}

/* Fill the entry for vaddr; false with *f on a translation fault. */
static bool tlb_fill(jit_cpu *c, uint64_t vaddr, jit_access acc, unsigned mmu, jit_fault *f)
{
    uint64_t paddr = vaddr;
    unsigned prot = 7; /* read, write, fetch */
    const jit_guest *g = c->guest;
    f->vaddr = vaddr;
    f->access = acc;
    f->mmu_idx = mmu;
    if (g->tlb_fill && !g->tlb_fill(c, vaddr, acc, mmu, &paddr, &prot, f)) return false;
    uint64_t pm = page_mask(c);
    uint64_t vpage = vaddr & pm, ppage = paddr & pm;
    unsigned idx = (unsigned)(vaddr >> g->page_bits) & (JIT_TLB_SIZE - 1);
    jit_tlb_entry *e = &c->tlb[mmu][idx];
    loom_dmi d;
    bool dmi = loom_bus_get_dmi(c->bus, ppage, &d) && d.start <= ppage && d.end >= (ppage | ~pm);
    /* A fetch needs read rights in the entry, so code that is execute-only
     * still gets a read tag; data reads then check the read permission in
     * the slow path only if the guest marked the page no-read (rare). */
    e->read_tag = (prot & 5) ? vpage | (dmi && (d.rights & LOOM_DMI_READ) ? 0 : JIT_TLB_MMIO) : JIT_TLB_INVALID;
    if ((prot & 5) == 4) e->read_tag |= JIT_TLB_MMIO; /* execute-only: data reads take the slow path */
    e->write_tag = (prot & 2) ? vpage | (dmi && (d.rights & LOOM_DMI_WRITE) ? 0 : JIT_TLB_MMIO) : JIT_TLB_INVALID;
    /* Accesses to a watched page take the slow path, which checks. */
    if (c->nwatch && watched(c, vpage, ~pm + 1, JIT_READ)) e->read_tag |= JIT_TLB_WATCH;
    if (c->nwatch && watched(c, vpage, ~pm + 1, JIT_WRITE)) e->write_tag |= JIT_TLB_WATCH;
    /* Stores to a page with translated code take the slow path, which
     * invalidates that code. */
    if ((prot & 2) && jit_page_has_code(c, ppage)) e->write_tag |= JIT_TLB_CODE;
    e->addend = dmi ? (uintptr_t)(d.host + (ppage - d.start)) - (uintptr_t)vpage : 0;
    e->paddr = ppage | ((prot & 4) ? 0 : JIT_TLB_NOEXEC);
    return true;
}

/* Is the access allowed by this entry's tag? Fills the TLB if the page
 * is not there. Returns the entry, or NULL after a fault. */
static jit_tlb_entry *lookup(jit_cpu *c, uint64_t addr, jit_access acc, unsigned mmu, jit_fault *f, uint64_t *tag)
{
    unsigned idx = (unsigned)(addr >> c->guest->page_bits) & (JIT_TLB_SIZE - 1);
    uint64_t page = addr & page_mask(c);
    jit_tlb_entry *e = &c->tlb[mmu][idx];
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t t = acc == JIT_WRITE ? e->write_tag : e->read_tag;
        bool exec_ok = acc != JIT_FETCH || !(e->paddr & JIT_TLB_NOEXEC);
        if ((t & page_mask(c)) == page && !(t & JIT_TLB_INVALID) && exec_ok) {
            *tag = t;
            return e;
        }
        if (!tlb_fill(c, addr, acc, mmu, f)) return NULL;
    }
    /* The guest granted no access of this kind. */
    f->kind = JIT_FAULT_UNMAPPED;
    return NULL;
}

static loom_time access_delay(const jit_cpu *c)
{
    return (c->insns - c->slice_insns) * loom_cpu_period(c->cpu);
}

static bool bus_access(jit_cpu *c, uint64_t paddr, uint8_t *buf, unsigned size, bool write, jit_fault *f)
{
    loom_txn t = {.addr = paddr, .data = buf, .len = size, .cmd = write ? LOOM_WRITE : LOOM_READ,
                  .initiator = c->initiator, .delay = access_delay(c)};
    loom_bus_transport(c->bus, &t);
    if (t.sync) jit_cpu_request_exit(c);
    if (t.resp != LOOM_RESP_OK) {
        f->kind = JIT_FAULT_BUS;
        f->info = t.resp;
        return false;
    }
    return true;
}

static bool access_bytes(jit_cpu *c, uint64_t addr, uint8_t *buf, unsigned size, jit_access acc, unsigned mmu,
                         jit_fault *f)
{
    f->vaddr = addr;
    f->size = size;
    f->access = acc;
    f->mmu_idx = mmu;
    if (c->user_mode) {
        uint8_t *host = c->guest_base + addr;
        if (c->user_prot) {
            /* As on ARMv7 Linux, an executable page is also readable. */
            unsigned need = acc == JIT_WRITE ? JIT_PAGE_WRITE
                          : acc == JIT_FETCH ? JIT_PAGE_EXEC : JIT_PAGE_READ | JIT_PAGE_EXEC;
            unsigned pb = c->guest->page_bits;
            for (uint64_t p = addr >> pb; p <= (addr + size - 1) >> pb; p++)
                if (p >= c->code_pages_len || !(c->user_prot[p] & need)) {
                    f->vaddr = p == addr >> pb ? addr : p << pb;
                    f->kind = JIT_FAULT_UNMAPPED;
                    f->info = 0;
                    return false;
                }
        }
        if (acc == JIT_WRITE) {
            memcpy(host, buf, size);
            uint64_t page = addr >> c->guest->page_bits;
            if (jit_code_page_marked(c, page)) jit_smc_write(c, addr, size);
        } else {
            memcpy(buf, host, size);
        }
        return true;
    }
    uint64_t pm = page_mask(c);
    if ((addr & pm) != ((addr + size - 1) & pm)) {
        /* Crossing a page: each byte on its own page's terms. */
        for (unsigned k = 0; k < size; k++)
            if (!access_bytes(c, addr + k, buf + k, 1, acc, mmu, f)) return false;
        return true;
    }
    uint64_t tag;
    jit_tlb_entry *e = lookup(c, addr, acc, mmu, f, &tag);
    if (!e) return false;
    if ((tag & JIT_TLB_WATCH) && acc != JIT_FETCH && !c->watch_ignore &&
        watched_kinds(c, addr, size, (int)acc, &c->watch_kinds)) {
        f->kind = JIT_FAULT_WATCH;
        return false;
    }
    uint64_t paddr = (e->paddr & pm) | (addr & ~pm);
    if (tag & JIT_TLB_MMIO) return bus_access(c, paddr, buf, size, acc == JIT_WRITE, f);
    uint8_t *host = (uint8_t *)(uintptr_t)(addr + e->addend);
    if (acc == JIT_WRITE) {
        memcpy(host, buf, size);
        if (tag & JIT_TLB_CODE) jit_smc_write(c, paddr, size);
    } else {
        memcpy(buf, host, size);
    }
    return true;
}

bool jit_mem_load(jit_cpu *c, uint64_t addr, unsigned flags, unsigned mmu, uint64_t *val, jit_fault *f)
{
    unsigned size = 1u << (flags & IR_MEM_SIZE_MASK);
    uint8_t buf[8];
    if (addr & (ir_mem_alignment(flags) - 1)) {
        *f = (jit_fault){.vaddr = addr, .access = JIT_READ, .size = size, .mmu_idx = mmu, .kind = JIT_FAULT_ALIGN};
        return false;
    }
    if (!access_bytes(c, addr, buf, size, JIT_READ, mmu, f)) return false;
    *val = extend(to_host_order(buf, size, flags & IR_MEM_BE), size, flags & IR_MEM_SIGNED);
    return true;
}

bool jit_mem_store(jit_cpu *c, uint64_t addr, unsigned flags, unsigned mmu, uint64_t val, jit_fault *f)
{
    unsigned size = 1u << (flags & IR_MEM_SIZE_MASK);
    uint8_t buf[8];
    if (addr & (ir_mem_alignment(flags) - 1)) {
        *f = (jit_fault){.vaddr = addr, .access = JIT_WRITE, .size = size, .mmu_idx = mmu, .kind = JIT_FAULT_ALIGN};
        return false;
    }
    from_host_order(buf, size, flags & IR_MEM_BE, val);
    return access_bytes(c, addr, buf, size, JIT_WRITE, mmu, f);
}

bool jit_fetch(jit_tcx *t, uint64_t addr, unsigned size, uint32_t *insn)
{
    uint8_t buf[4];
    jit_cpu *c = t->cpu;
    if (!access_bytes(c, addr, buf, size, JIT_FETCH, c->fetch_mmu, &t->fault)) {
        t->fetch_fault = true;
        return false;
    }
    *insn = (uint32_t)to_host_order(buf, size, c->guest->big_endian_code);
    /* Remember the pages the block's code comes from, for invalidation. */
    uint64_t pm = page_mask(c);
    for (uint64_t a = addr & pm; a <= ((addr + size - 1) & pm); a += ~pm + 1) {
        uint64_t page = a;
        if (!c->user_mode) {
            uint64_t tag;
            jit_tlb_entry *e = lookup(c, a, JIT_FETCH, c->fetch_mmu, &t->fault, &tag);
            if (!e) {
                t->fetch_fault = true;
                return false;
            }
            page = e->paddr & pm;
        }
        bool known = false;
        for (unsigned k = 0; k < t->npages; k++) known |= t->pages[k] == page;
        if (!known && t->npages < 2) t->pages[t->npages++] = page;
        if (a + (~pm + 1) < a) break;
    }
    return true;
}

bool jit_code_page(jit_cpu *c, uint64_t pc, uint64_t *page)
{
    uint64_t pm = page_mask(c);
    if (c->user_mode) {
        *page = pc & pm;
        return true;
    }
    jit_fault f;
    uint64_t tag;
    jit_tlb_entry *e = lookup(c, pc, JIT_FETCH, c->fetch_mmu, &f, &tag);
    if (!e) return false;
    *page = e->paddr & pm;
    return true;
}

/* The physical address of vaddr for a debugger: the guest's own walk, as a
 * read and else as a fetch, with the fetch MMU index (the current mode's);
 * the TLB is left alone. */
static bool debug_paddr(jit_cpu *c, uint64_t vaddr, uint64_t *pa)
{
    const jit_guest *g = c->guest;
    unsigned prot;
    jit_fault f = {0};
    uint64_t p = vaddr;
    if (!g->tlb_fill || g->tlb_fill(c, vaddr, JIT_READ, c->fetch_mmu, &p, &prot, &f)) {
        *pa = p;
        return true;
    }
    p = vaddr;
    if (g->tlb_fill(c, vaddr, JIT_FETCH, c->fetch_mmu, &p, &prot, &f)) {
        *pa = p;
        return true;
    }
    return false;
}

static bool user_debug_ok(const jit_cpu *c, uint64_t vaddr, unsigned len)
{
    unsigned pb = c->guest->page_bits;
    if (c->user_prot && len)
        for (uint64_t p = vaddr >> pb; p <= (vaddr + len - 1) >> pb; p++)
            if (p >= c->code_pages_len || !(c->user_prot[p] & (JIT_PAGE_READ | JIT_PAGE_EXEC))) return false;
    return true;
}

bool jit_debug_read(jit_cpu *c, uint64_t vaddr, void *buf, unsigned len)
{
    if (c->user_mode) {
        if (!user_debug_ok(c, vaddr, len)) return false;
        memcpy(buf, c->guest_base + vaddr, len);
        return true;
    }
    uint8_t *p = buf;
    for (unsigned k = 0; k < len; k++) {
        uint64_t pa;
        if (!debug_paddr(c, vaddr + k, &pa) || loom_bus_debug_read(c->bus, pa, p + k, 1)) return false;
    }
    return true;
}

bool jit_debug_write(jit_cpu *c, uint64_t vaddr, const void *buf, unsigned len)
{
    if (c->user_mode) {
        if (!user_debug_ok(c, vaddr, len)) return false;
        memcpy(c->guest_base + vaddr, buf, len);
        if (len) jit_invalidate(c->eng, vaddr, vaddr + len - 1);
        return true;
    }
    const uint8_t *p = buf;
    for (unsigned k = 0; k < len; k++) {
        uint64_t pa;
        /* The bus tells the engine about the write: code there goes. */
        if (!debug_paddr(c, vaddr + k, &pa) || loom_bus_debug_write(c->bus, pa, p + k, 1)) return false;
    }
    return true;
}
