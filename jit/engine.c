/* The engine: translation of blocks, the block cache with its page index
 * for self-modifying code, and the run loop with the instruction budget. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "engine.h"
#include "opt.h"
#include "x86/backend.h"

#define HASH_BITS 14
#define PAGE_HASH_BITS 12
#define CACHE_LIMIT (256u << 20) /* bytes of translated blocks before a full flush */

typedef struct page_entry {
    uint64_t page;
    jit_block **blocks;
    uint32_t n, cap;
    struct page_entry *next;
} page_entry;

struct jit_engine {
    loom_sim *sim;
    const jit_guest *g;
    jit_backend backend;
    bool verify;
    bool no_chain;
    bool no_fwd;    /* LOOM_JIT_NOFWD: every branch ends its block */
    FILE *perf_map; /* LOOM_JIT_PERFMAP: where each block's code is in the code cache */
    jit_block *table[1u << HASH_BITS];
    page_entry *pages[1u << PAGE_HASH_BITS];
    size_t bytes;
    bool flush_pending;
    jit_block **zombies; /* invalidated while they may still be running */
    size_t nzombies, zcap;
    jit_cpu **cpus;
    size_t ncpus;
    /* Blocks with native code in code order (the cache fills upward until a
     * flush), so a host pc finds its block. */
    jit_block **by_code;
    size_t nby_code, by_code_cap;
    ir_block scratch;
    jit_stats stats;
    x86_cache *x86;
    uint64_t *bps;  /* breakpoints (jit_break_insert) */
    size_t nbp;
};

static bool break_at(const jit_engine *e, uint64_t pc)
{
    for (size_t i = 0; i < e->nbp; i++)
        if (e->bps[i] == pc) return true;
    return false;
}

loom_err jit_break_insert(jit_engine *e, uint64_t pc)
{
    if (break_at(e, pc)) return LOOM_OK;
    uint64_t *v = realloc(e->bps, (e->nbp + 1) * sizeof *v);
    if (!v) return LOOM_E_NOMEM;
    e->bps = v;
    e->bps[e->nbp++] = pc;
    jit_engine_flush(e); /* blocks must end before it, chains must go */
    return LOOM_OK;
}

loom_err jit_break_remove(jit_engine *e, uint64_t pc)
{
    for (size_t i = 0; i < e->nbp; i++)
        if (e->bps[i] == pc) {
            e->bps[i] = e->bps[--e->nbp];
            jit_engine_flush(e);
            return LOOM_OK;
        }
    return LOOM_E_NOTFOUND;
}

void jit_break_remove_all(jit_engine *e)
{
    if (!e->nbp) return;
    e->nbp = 0;
    jit_engine_flush(e);
}

static uint32_t hash_key(uint64_t pc, uint64_t flags)
{
    uint64_t h = (pc ^ (flags * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> (64 - HASH_BITS));
}

static uint32_t hash_page(uint64_t page) { return (uint32_t)((page * 0x9e3779b97f4a7c15ull) >> (64 - PAGE_HASH_BITS)); }

static unsigned jc_index(uint64_t pc) { return (unsigned)((pc >> 1) ^ (pc >> (JIT_JUMP_CACHE_BITS + 1))) & ((1u << JIT_JUMP_CACHE_BITS) - 1); }

loom_err jit_engine_new(loom_sim *sim, const jit_guest *g, jit_backend backend, jit_engine **out)
{
    jit_engine *e = calloc(1, sizeof *e);
    if (!e) return LOOM_E_NOMEM;
    e->sim = sim;
    e->g = g;
    e->backend = backend;
    const char *v = getenv("LOOM_JIT_VERIFY");
    e->verify = v && *v && *v != '0';
    const char *nc = getenv("LOOM_JIT_NOCHAIN");
    e->no_chain = nc && *nc && *nc != '0';
    const char *nf = getenv("LOOM_JIT_NOFWD");
    e->no_fwd = nf && *nf && *nf != '0';
    const char *pm = getenv("LOOM_JIT_PERFMAP");
    if (pm && *pm && *pm != '0') {
        /* perf report shows samples in generated code as offsets into
         * memfd:loom-jit; this file says which guest block each one is. */
        char path[64];
        snprintf(path, sizeof path, "/tmp/loom-jit-%ld.map", (long)getpid());
        e->perf_map = fopen(path, "a");
        if (e->perf_map) setvbuf(e->perf_map, NULL, _IOLBF, 0);
    }
    ir_block_init(&e->scratch);
    if (backend == JIT_BACKEND_X86) {
        loom_err err = jit_x86_cache_new(64u << 20, &e->x86);
        if (err) {
            free(e);
            return loom_sim_error(sim, err, "cannot map the code cache (64 MiB, write xor execute)");
        }
    }
    *out = e;
    return LOOM_OK;
}

void jit_block_free(jit_block *tb)
{
    free(tb->in);
    free(tb->x86_descs);
    free(tb->fault_pads);
    free(tb->insns);
    free(tb->args);
    free(tb->label_pos);
    free(tb);
}

static void free_zombies(jit_engine *e)
{
    for (size_t i = 0; i < e->nzombies; i++) jit_block_free(e->zombies[i]);
    e->nzombies = 0;
}

static void clear_jump_caches(jit_engine *e)
{
    for (size_t i = 0; i < e->ncpus; i++)
        if (e->cpus[i]->jump_cache) memset(e->cpus[i]->jump_cache, 0, sizeof(jit_block *) << JIT_JUMP_CACHE_BITS);
}

static void flush_now(jit_engine *e)
{
    for (size_t i = 0; i < (1u << HASH_BITS); i++) {
        for (jit_block *tb = e->table[i], *n; tb; tb = n) {
            n = tb->hash_next;
            jit_block_free(tb);
        }
        e->table[i] = NULL;
    }
    for (size_t i = 0; i < (1u << PAGE_HASH_BITS); i++) {
        for (page_entry *p = e->pages[i], *n; p; p = n) {
            n = p->next;
            free(p->blocks);
            free(p);
        }
        e->pages[i] = NULL;
    }
    for (size_t i = 0; i < e->ncpus; i++) {
        jit_cpu *c = e->cpus[i];
        if (c->code_pages) memset(c->code_pages, 0, c->code_pages_len);
    }
    clear_jump_caches(e);
    free_zombies(e);
    e->nby_code = 0;
    if (e->x86) jit_x86_cache_reset(e->x86);
    e->bytes = 0;
    e->flush_pending = false;
    e->stats.flushes++;
}

void jit_engine_flush(jit_engine *e) { e->flush_pending = true; }

void jit_engine_free(jit_engine *e)
{
    if (!e) return;
    flush_now(e);
    if (e->perf_map) fclose(e->perf_map);
    free(e->bps);
    free(e->zombies);
    free(e->by_code);
    free(e->cpus);
    ir_block_free(&e->scratch);
    jit_x86_cache_free(e->x86);
    free(e);
}

jit_backend jit_engine_backend(const jit_engine *e) { return e->backend; }
x86_cache *jit_engine_x86(jit_engine *e) { return e->x86; }

static bool remember_code(jit_engine *e, jit_block *tb)
{
    if (e->nby_code == e->by_code_cap) {
        size_t cap = e->by_code_cap ? e->by_code_cap * 2 : 1024;
        jit_block **v = realloc(e->by_code, cap * sizeof *v);
        if (!v) return false;
        e->by_code = v;
        e->by_code_cap = cap;
    }
    e->by_code[e->nby_code++] = tb;
    return true;
}

bool jit_host_fault(jit_cpu *c, uintptr_t host_pc, uint64_t vaddr, uintptr_t *resume)
{
    jit_engine *e = c->eng;
    if (!e || !e->nby_code) return false;
    /* The last block that starts at or below host_pc. */
    size_t lo = 0, hi = e->nby_code;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if ((uintptr_t)e->by_code[mid]->code <= host_pc) lo = mid;
        else hi = mid;
    }
    jit_block *tb = e->by_code[lo];
    uintptr_t start = (uintptr_t)tb->code;
    if (host_pc < start || host_pc >= start + tb->code_len) return false;
    uint32_t off = (uint32_t)(host_pc - start);
    for (uint32_t k = 0; k < tb->nfault_pads; k++)
        if (tb->fault_pads[k][0] == off) {
            c->host_fault_vaddr = vaddr;
            *resume = start + tb->fault_pads[k][1];
            return true;
        }
    return false;
}

int jit_engine_fork_prepare(jit_engine *e) { return e->x86 ? jit_x86_cache_copy(e->x86) : -1; }

loom_err jit_engine_fork_parent(jit_engine *e, int fd)
{
    if (fd < 0 || !e->x86) return LOOM_OK;
    return jit_x86_cache_adopt(e->x86, fd);
}

void jit_engine_fork_child(int fd)
{
    if (fd >= 0) close(fd);
}
jit_stats jit_engine_stats(const jit_engine *e) { return e->stats; }
size_t jit_engine_cpu_count(const jit_engine *e) { return e->ncpus; }
jit_cpu *jit_engine_cpu(const jit_engine *e, size_t i) { return i < e->ncpus ? e->cpus[i] : NULL; }

/* ---- Pages holding translated code -------------------------------------- */

static page_entry *page_find(jit_engine *e, uint64_t page, bool create)
{
    uint32_t h = hash_page(page);
    for (page_entry *p = e->pages[h]; p; p = p->next)
        if (p->page == page) return p;
    if (!create) return NULL;
    page_entry *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->page = page;
    p->next = e->pages[h];
    e->pages[h] = p;
    return p;
}

bool jit_page_has_code(const jit_cpu *c, uint64_t paddr)
{
    jit_engine *e = c->eng;
    uint64_t page = paddr & ~((1ull << e->g->page_bits) - 1);
    page_entry *p = page_find(e, page, false);
    return p && p->n;
}

static void mark_code_page(jit_engine *e, uint64_t page)
{
    for (size_t i = 0; i < e->ncpus; i++) {
        jit_cpu *c = e->cpus[i];
        if (c->user_mode) {
            uint64_t pn = page >> e->g->page_bits;
            if (c->code_pages && pn < c->code_pages_len) {
                c->code_pages[pn] |= 1;
                if (pn) c->code_pages[pn - 1] |= 2; /* a store may start there and reach it */
            }
        } else if (c->tlb) {
            /* Stores through existing entries for this page must now take
             * the slow path. */
            for (unsigned m = 0; m < JIT_MAX_MMU; m++)
                for (unsigned k = 0; k < JIT_TLB_SIZE; k++)
                    if ((c->tlb[m][k].paddr & ~(uint64_t)JIT_TLB_NOEXEC) == page &&
                        !(c->tlb[m][k].write_tag & JIT_TLB_INVALID))
                        c->tlb[m][k].write_tag |= JIT_TLB_CODE;
        }
    }
}

static bool page_add(jit_engine *e, uint64_t page, jit_block *tb)
{
    page_entry *p = page_find(e, page, true);
    if (!p) return false;
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? p->cap * 2 : 8;
        jit_block **v = realloc(p->blocks, cap * sizeof *v);
        if (!v) return false;
        p->blocks = v;
        p->cap = cap;
    }
    if (p->n == 0) mark_code_page(e, page);
    p->blocks[p->n++] = tb;
    return true;
}

static void page_remove(jit_engine *e, uint64_t page, jit_block *tb)
{
    page_entry *p = page_find(e, page, false);
    if (!p) return;
    for (uint32_t i = 0; i < p->n; i++)
        if (p->blocks[i] == tb) {
            p->blocks[i] = p->blocks[--p->n];
            break;
        }
}

static void hash_remove(jit_engine *e, jit_block *tb)
{
    jit_block **pp = &e->table[hash_key(tb->pc, tb->flags)];
    while (*pp && *pp != tb) pp = &(*pp)->hash_next;
    if (*pp) *pp = tb->hash_next;
}

static void unlink_out(jit_block *tb, unsigned slot)
{
    jit_block *to = tb->out[slot];
    if (!to) return;
    for (uint32_t k = 0; k < to->nin; k++)
        if (to->in[k].from == tb && to->in[k].slot == slot) {
            to->in[k] = to->in[--to->nin];
            break;
        }
    tb->out[slot] = NULL;
}

static void invalidate_block(jit_engine *e, jit_block *tb)
{
    if (tb->invalid) return;
    tb->invalid = true;
    /* No chained jump may lead here any more, and this block leads nowhere. */
    for (uint32_t k = 0; k < tb->nin; k++) {
        jit_block *from = tb->in[k].from;
        jit_x86_unchain(e->x86, from, tb->in[k].slot);
        from->out[tb->in[k].slot] = NULL;
    }
    tb->nin = 0;
    for (unsigned k = 0; k < JIT_GOTO_SLOTS; k++)
        if (tb->out[k]) unlink_out(tb, k);
    hash_remove(e, tb);
    page_remove(e, tb->page[0], tb);
    if (tb->page[1] != tb->page[0]) page_remove(e, tb->page[1], tb);
    if (e->nzombies == e->zcap) {
        size_t cap = e->zcap ? e->zcap * 2 : 64;
        jit_block **v = realloc(e->zombies, cap * sizeof *v);
        if (!v) return; /* leaks one block rather than freeing a running one */
        e->zombies = v;
        e->zcap = cap;
    }
    e->zombies[e->nzombies++] = tb;
    e->stats.invalidations++;
}

void jit_invalidate(jit_engine *e, uint64_t start, uint64_t end)
{
    uint64_t pm = ~((1ull << e->g->page_bits) - 1);
    bool any = false;
    for (uint64_t page = start & pm; page <= (end & pm); page += ~pm + 1) {
        page_entry *p = page_find(e, page, false);
        while (p && p->n) {
            invalidate_block(e, p->blocks[p->n - 1]);
            any = true;
        }
        if (page + (~pm + 1) < page) break;
    }
    if (any) clear_jump_caches(e);
}

void jit_smc_write(jit_cpu *c, uint64_t addr, unsigned size)
{
    jit_engine *e = c->eng;
    jit_invalidate(e, addr, addr + size - 1);
    /* The running block ends after this instruction when the store went
     * into it; the interpreter checks at the next instruction start. */
    c->smc_hit = true;
    if (c->user_mode && c->code_pages) {
        unsigned pb = e->g->page_bits;
        for (uint64_t pn = addr >> pb; pn <= (addr + size - 1) >> pb && pn < c->code_pages_len; pn++) {
            if (jit_page_has_code(c, pn << pb)) continue;
            c->code_pages[pn] &= (uint8_t)~1u;
            if (pn) c->code_pages[pn - 1] &= (uint8_t)~2u;
        }
    }
}

/* ---- Translation ---------------------------------------------------------------- */

jit_block *jit_block_from_ir(const ir_block *b, uint64_t pc, uint64_t flags)
{
    jit_block *tb = calloc(1, sizeof *tb);
    if (!tb) return NULL;
    tb->pc = pc;
    tb->flags = flags;
    tb->guest_insns = b->guest_insns;
    /* Compact copy without the NOPs left by the passes. */
    uint32_t *map = calloc(b->n, sizeof *map);
    tb->insns = malloc(b->n * sizeof *tb->insns);
    tb->args = malloc((b->nargs ? b->nargs : 1) * sizeof *tb->args);
    tb->label_pos = calloc(b->nlabels ? b->nlabels : 1, sizeof *tb->label_pos);
    if (!map || !tb->insns || !tb->args || !tb->label_pos) {
        free(map);
        jit_block_free(tb);
        return NULL;
    }
    uint32_t n = 1;
    tb->insns[0] = b->insns[0];
    for (uint32_t v = 1; v < b->n; v++) {
        if (b->insns[v].op == IR_NOP) continue;
        ir_insn i = b->insns[v];
        i.a = map[i.a];
        if (i.op != IR_CALL) {
            i.b = map[i.b];
            i.c = map[i.c];
        }
        if (i.op == IR_LABEL) tb->label_pos[i.aux] = n;
        map[v] = n;
        tb->insns[n++] = i;
    }
    for (uint32_t k = 0; k < b->nargs; k++) tb->args[k] = map[b->args[k]];
    tb->n = n;
    tb->nargs = b->nargs;
    free(map);
    return tb;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static jit_block *translate_block(jit_cpu *c, uint64_t pc, uint64_t flags, uint32_t cap, jit_fault *fault);

/* Translation, timed for the statistics (two clock reads per block). */
static jit_block *translate(jit_cpu *c, uint64_t pc, uint64_t flags, uint32_t cap, jit_fault *fault)
{
    uint64_t t0 = now_ns();
    jit_block *tb = translate_block(c, pc, flags, cap, fault);
    c->eng->stats.translate_ns += now_ns() - t0;
    return tb;
}

bool jit_branch_forward(jit_tcx *t, ir_val cond, uint64_t target)
{
    const jit_guest *g = t->cpu->guest;
    uint64_t pm = ~((1ull << g->page_bits) - 1);
    if (t->cpu->eng->no_fwd || t->cpu->eng->nbp || t->b->failed || target <= t->pc || target - t->pc > JIT_FWD_REACH ||
        (target & pm) != (t->start_pc & pm) || t->nfbr == JIT_FWD_BRANCHES || t->ninsns + 1 >= t->max_insns)
        return false;
    if (!cond) {
        /* An unconditional branch goes on only where another branch
         * lands right after it (the else part of an if/else): what
         * follows it is otherwise unreachable. */
        bool next = false;
        for (unsigned k = 0; k < t->nfwd; k++)
            next |= !t->fwd[k].placed && t->fwd[k].flags == t->flags && t->fwd[k].pc > t->pc && t->fwd[k].pc <= t->pc + 4;
        if (!next) return false;
    }
    unsigned k = 0;
    while (k < t->nfwd && (t->fwd[k].pc != target || t->fwd[k].flags != t->flags || t->fwd[k].placed)) k++;
    if (k == t->nfwd) {
        if (t->nfwd == JIT_FWD_TARGETS) return false;
        t->fwd[t->nfwd++] = (jit_fwd_target){target, t->flags, ir_new_label(t->b), false};
    }
    if (cond) ir_brcond(t->b, cond, t->fwd[k].label);
    else ir_br(t->b, t->fwd[k].label);
    t->fbr[t->nfbr++] = (jit_fwd_branch){t->b->n - 1, (uint16_t)k, (uint16_t)(t->ninsns + 1)};
    return true;
}

/* Place the labels of forward branches to t->pc (entered with the flags
 * they left), or with final, those of targets the block ended before, each
 * leaving through a GOTO. The branches say how many instructions they jump
 * over. */
static void place_targets(jit_tcx *t, bool final)
{
    for (unsigned k = 0; k < t->nfwd; k++) {
        jit_fwd_target *f = &t->fwd[k];
        if (f->placed || (!final && (f->pc != t->pc || f->flags != t->flags))) continue;
        f->placed = true;
        ir_label(t->b, f->label);
        for (unsigned j = 0; j < t->nfbr; j++)
            if (t->fbr[j].target == k && !t->b->failed) t->b->insns[t->fbr[j].insn].imm = t->ninsns - t->fbr[j].after;
        if (final) ir_goto(t->b, f->pc);
    }
}

static jit_block *translate_block(jit_cpu *c, uint64_t pc, uint64_t flags, uint32_t cap, jit_fault *fault)
{
    jit_engine *e = c->eng;
    const jit_guest *g = e->g;
    ir_block *b = &e->scratch;
    ir_block_reset(b);
    jit_tcx t = {.b = b, .cpu = c, .pc = pc, .flags = flags, .start_pc = pc,
                 .max_insns = cap ? cap : g->max_block_insns};
    uint64_t pm = ~((1ull << g->page_bits) - 1);
    for (;;) {
        t.end = false;
        if (t.ninsns && e->nbp && break_at(e, t.pc)) {
            ir_goto(b, t.pc); /* the run loop stops there */
            break;
        }
        if (t.nfwd) place_targets(&t, false);
        g->translate(&t);
        if (t.fetch_fault) {
            if (t.ninsns == 0) {
                *fault = t.fault;
                return NULL;
            }
            /* Stop before the instruction that cannot be fetched; running
             * into it raises the fault precisely. */
            ir_goto(b, t.pc);
            break;
        }
        t.ninsns++;
        if (t.end) break;
        if (t.ninsns >= t.max_insns || (t.pc & pm) != (pc & pm)) {
            ir_goto(b, t.pc);
            break;
        }
    }
    place_targets(&t, true);
    if (loom_log_enabled(e->sim, LOOM_LOG_IN_ASM)) {
        FILE *f = loom_log_stream(e->sim);
        fprintf(f, "IN: pc 0x%llx flags 0x%llx, %u instructions\n", (unsigned long long)pc,
                (unsigned long long)flags, t.ninsns);
        for (uint64_t a = pc, k = 0; k < t.ninsns && g->disas; k++) {
            char text[128];
            unsigned len = g->disas(c, a, flags, text, sizeof text);
            if (!len) break;
            fprintf(f, "  0x%08llx: %s\n", (unsigned long long)a, text);
            a += len;
        }
    }
    if (e->verify) {
        char msg[256];
        const char *err = ir_verify(b, msg, sizeof msg);
        if (err) {
            loom_cpu_fault(c->cpu, pc, "internal: %s translated an invalid block: %s", g->name, err);
            ir_print(b, loom_log_stream(e->sim));
            *fault = (jit_fault){0};
            return NULL;
        }
    }
    ir_optimize(b, IR_OPT_ALL);
    if (loom_log_enabled(e->sim, LOOM_LOG_OP)) {
        loom_log(e->sim, LOOM_LOG_OP, "OP after passes: pc 0x%llx\n", (unsigned long long)pc);
        ir_print(b, loom_log_stream(e->sim));
    }
    jit_block *tb = jit_block_from_ir(b, pc, flags);
    if (!tb) return NULL;
    tb->cap = cap;
    tb->end_pc = t.pc;
    tb->page[0] = t.npages ? t.pages[0] : pc & pm;
    tb->page[1] = t.npages > 1 ? t.pages[1] : tb->page[0];
    if (e->x86) {
        tb->code = jit_x86_compile(e->x86, tb, g, c->user_mode);
        /* A full cache is flushed before the next block; until then this
         * one is interpreted, which gives the same result. */
        if (!tb->code) e->flush_pending = true;
        else if (tb->nfault_pads && !remember_code(e, tb)) {
            /* Without its entry a host fault in this block could not be
             * mapped back: run it on the interpreter instead. */
            tb->code = NULL;
        } else if (e->verify && !jit_x86_check(tb->code, tb->code_len)) {
            /* Every block the tests emit is decoded: a malformed
             * instruction fails there, not in a guest. */
            loom_cpu_fault(c->cpu, pc, "internal: the x86-64 back end emitted undecodable code");
            jit_x86_disassemble(tb->code, tb->code_len, loom_log_stream(e->sim));
        } else if (e->perf_map) {
            fprintf(e->perf_map, "%zx %x guest_0x%llx\n", jit_x86_cache_offset(e->x86, tb->code), tb->code_len,
                    (unsigned long long)pc);
        }
        if (tb->code && loom_log_enabled(e->sim, LOOM_LOG_OUT_ASM)) {
            loom_log(e->sim, LOOM_LOG_OUT_ASM, "OUT: pc 0x%llx, %u bytes at %p\n", (unsigned long long)pc,
                     tb->code_len, tb->code);
            jit_x86_disassemble(tb->code, tb->code_len, loom_log_stream(e->sim));
        }
    }
    e->bytes += sizeof *tb + tb->n * sizeof *tb->insns + tb->nargs * sizeof *tb->args;
    e->stats.blocks_translated++;
    e->stats.insns_translated += tb->guest_insns;
    page_add(e, tb->page[0], tb);
    if (tb->page[1] != tb->page[0]) page_add(e, tb->page[1], tb);
    uint32_t h = hash_key(pc, flags);
    tb->hash_next = e->table[h];
    e->table[h] = tb;
    if (e->bytes > CACHE_LIMIT) e->flush_pending = true;
    return tb;
}

static jit_block *find(jit_cpu *c, uint64_t pc, uint64_t flags, uint32_t cap)
{
    jit_engine *e = c->eng;
    e->stats.lookups++;
    if (!cap) {
        jit_block *tb = c->jump_cache[jc_index(pc)];
        if (tb && tb->pc == pc && tb->flags == flags && !tb->invalid) return tb;
    }
    /* The key includes the physical page: the same virtual pc under
     * another mapping is other code. */
    uint64_t page = 0;
    bool have_page = jit_code_page(c, pc, &page);
    for (jit_block *tb = e->table[hash_key(pc, flags)]; tb; tb = tb->hash_next) {
        if (tb->pc == pc && tb->flags == flags && tb->cap == cap && have_page && tb->page[0] == page) {
            if (!cap && !e->nbp) c->jump_cache[jc_index(pc)] = tb;
            return tb;
        }
    }
    e->stats.lookup_misses++;
    return NULL;
}

/* Point from's goto slot straight at to. Only within one guest page, so
 * that invalidating a page's code never leaves a jump into it from a block
 * that was not invalidated with it... and both blocks are unchained when
 * either goes. */
static void chain(jit_engine *e, jit_block *from, unsigned slot, jit_block *to)
{
    if (e->no_chain || e->nbp || !from || from->invalid || to->invalid || !to->code || to->cap ||
        !from->goto_field[slot] ||
        from->out[slot] || from->page[0] != to->page[0] ||
        ((from->pc ^ to->pc) >> e->g->page_bits) != 0)
        return;
    /* A loop's back edge holds guest state in registers: only its own
     * block takes it from there. */
    if (from->loop_slot == slot + 1 && to != from) return;
    if (to->nin == to->incap) {
        uint32_t cap = to->incap ? to->incap * 2 : 4;
        struct jit_link *v = realloc(to->in, cap * sizeof *v);
        if (!v) return;
        to->in = v;
        to->incap = cap;
    }
    to->in[to->nin++] = (struct jit_link){from, (uint8_t)slot};
    from->out[slot] = to;
    jit_x86_chain(e->x86, from, slot, to);
    e->stats.chains++;
}

/* ---- CPUs and the run loop ------------------------------------------------------ */

/* Someone other than a CPU's fast path wrote memory (DMA, a debugger, a
 * loader): code translated from those bytes is stale. */
static void on_bus_write(void *opaque, uint64_t start, uint64_t end)
{
    jit_cpu *c = opaque;
    jit_invalidate(c->eng, start, end);
}

/* A target took back direct access it granted (a flash leaving read-array
 * mode, say): entries may hold its host pointers, so they go, even in the
 * middle of a block (its next accesses miss and fill again). The TLB is
 * virtually indexed, the range physical: all of it. */
static void on_dmi_revoked(void *opaque, uint64_t start, uint64_t end)
{
    (void)start;
    (void)end;
    jit_tlb_flush(opaque);
}

loom_err jit_cpu_init(jit_cpu *c, jit_engine *e, loom_cpu *cpu, loom_bus *bus, uint8_t *guest_base,
                      uint64_t guest_size)
{
    c->eng = e;
    c->guest = e->g;
    c->cpu = cpu;
    c->bus = bus;
    c->initiator = cpu ? loom_cpu_id(cpu) : 0; /* devices tell CPUs apart by it (the GIC) */
    c->guest_base = guest_base;
    c->user_mode = guest_base != NULL;
    c->jump_cache = calloc(1u << JIT_JUMP_CACHE_BITS, sizeof *c->jump_cache);
    if (!c->jump_cache) return LOOM_E_NOMEM;
    if (c->user_mode) {
        uint64_t pages = (guest_size + (1ull << e->g->page_bits) - 1) >> e->g->page_bits;
        c->code_pages_len = pages;
        c->code_pages = calloc(c->code_pages_len ? c->code_pages_len : 1, 1);
        if (!c->code_pages) return LOOM_E_NOMEM;
    } else {
        c->tlb = calloc(JIT_MAX_MMU, sizeof *c->tlb);
        if (!c->tlb) return LOOM_E_NOMEM;
        jit_tlb_flush(c);
        if (bus && loom_bus_add_write_listener(bus, on_bus_write, c)) return LOOM_E_NOMEM;
        if (bus && loom_bus_add_listener(bus, on_dmi_revoked, c)) return LOOM_E_NOMEM;
    }
    jit_cpu **v = realloc(e->cpus, (e->ncpus + 1) * sizeof *v);
    if (!v) return LOOM_E_NOMEM;
    e->cpus = v;
    e->cpus[e->ncpus++] = c;
    return LOOM_OK;
}

void jit_cpu_fini(jit_cpu *c)
{
    jit_engine *e = c->eng;
    if (e) {
        for (size_t i = 0; i < e->ncpus; i++)
            if (e->cpus[i] == c) {
                e->cpus[i] = e->cpus[--e->ncpus];
                break;
            }
    }
    if (!c->user_mode && c->bus) {
        loom_bus_remove_write_listener(c->bus, on_bus_write, c);
        loom_bus_remove_listener(c->bus, on_dmi_revoked, c);
    }
    jit_watch_free(c);
    free(c->jump_cache);
    free(c->code_pages);
    free(c->tlb);
    free(c->vals);
    c->jump_cache = NULL;
    c->code_pages = NULL;
    c->tlb = NULL;
    c->vals = NULL;
}

void jit_deliver_fault(jit_cpu *c, const jit_fault *f)
{
    if (f->kind == JIT_FAULT_WATCH) {
        c->watch_stop = true;
        c->watch_addr = f->vaddr;
        c->watch_access = f->access;
        return;
    }
    c->guest->raise_fault(c, f);
}

loom_cpu_exit jit_exec(jit_cpu *c, uint64_t max, uint64_t *done)
{
    /* After a watchpoint stop: its instruction first, watchpoints off. */
    uint64_t stepped = 0;
    if (c->watch_step && max) {
        c->watch_step = false;
        c->watch_ignore = true;
        loom_cpu_exit w = jit_exec(c, 1, &stepped);
        c->watch_ignore = false;
        if (w != LOOM_CPU_BUDGET || stepped >= max) {
            *done = stepped;
            return w;
        }
        max -= stepped;
    }
    jit_engine *e = c->eng;
    const jit_guest *g = e->g;
    c->slice_insns = c->insns;
    c->budget = max > INT32_MAX / 2 ? INT32_MAX / 2 : (int32_t)max;
    c->slice_budget = c->budget;
    loom_cpu_exit why = LOOM_CPU_BUDGET;
    jit_block *last = NULL;   /* the native block that left through a goto slot */
    unsigned last_slot = 0;
    for (;;) {
        if (c->kicked) {
            c->budget += JIT_KICK;
            c->kicked = 0;
        }
        if (c->budget <= 0) break;
        if (e->flush_pending) {
            flush_now(e);
            last = NULL;
        } else if (e->nzombies) {
            free_zombies(e);
            last = NULL;
        }
        if (c->exit_request) {
            c->exit_request = 0;
            why = LOOM_CPU_EXIT_REQUEST;
            break;
        }
        if (c->interrupt_pending && g->interrupt) g->interrupt(c);
        uint64_t pc, flags;
        g->block_key(c, &pc, &flags);
        if (e->nbp && break_at(e, pc) && !(c->bp_skip && c->bp_pc == pc)) {
            c->bp_hit = c->bp_skip = true;
            c->bp_pc = pc;
            c->last_exit = IR_EXIT_BREAKPOINT;
            why = LOOM_CPU_BREAKPOINT;
            break;
        }
        c->bp_skip = false;
        jit_block *tb = find(c, pc, flags, 0);
        jit_fault fault = {0};
        if (!tb) tb = translate(c, pc, flags, 0, &fault);
        if (tb && tb->guest_insns > (uint32_t)c->budget) {
            /* The budget ends inside this block: run a block that stops
             * exactly there. */
            uint32_t cap = (uint32_t)c->budget;
            jit_block *capped = find(c, pc, flags, cap);
            tb = capped ? capped : translate(c, pc, flags, cap, &fault);
        }
        if (!tb) {
            last = NULL;
            if (loom_sim_stop_requested(loom_cpu_sim(c->cpu))) {
                why = LOOM_CPU_FATAL;
                break;
            }
            jit_deliver_fault(c, &fault);
            /* System mode: taking the exception costs an instruction's
             * time, so firmware that faults again and again still moves
             * on to the end of its budget. */
            if (!c->user_mode) {
                c->budget--;
                c->insns++;
            }
            continue;
        }
        if (loom_log_enabled(e->sim, LOOM_LOG_EXEC)) {
            /* Every block the run loop enters; chained blocks run on
             * without it (run with LOOM_JIT_NOCHAIN=1 to see them all). */
            loom_log(e->sim, LOOM_LOG_EXEC, "Trace %s: pc 0x%llx flags 0x%llx [%u insns]\n",
                     c->cpu ? loom_cpu_name(c->cpu) : "?", (unsigned long long)pc, (unsigned long long)flags,
                     tb->guest_insns);
        }
        if (last && last_slot) chain(e, last, last_slot - 1, tb);
        last = NULL;
        uint32_t retired = 0, reason = 0;
        c->smc_hit = false;
        jit_end end;
        if (tb->code) {
            /* Native code keeps the budget itself, across chained blocks. */
            int32_t before = c->budget;
            uint64_t w = jit_x86_run(e->x86, c, tb->code);
            bool kicked = c->kicked;
            if (kicked) {
                c->budget += JIT_KICK;
                c->kicked = 0;
            }
            end = (jit_end)(w & 3);
            reason = (uint32_t)(w >> 2) & 63;
            last_slot = JIT_X86_EXIT_SLOT(w);
            /* After a kick the block may have changed the key's mode bits
             * behind its translation (a helper did): no chaining then. */
            if (last_slot && !kicked) last = c->exit_tb;
            if (end == JIT_END_RAISED) {
                if (c->raised != 2) c->budget++; /* that instruction did not retire */
                c->raised = 0;
            }
            retired = (uint32_t)(before - c->budget);
            c->insns += retired;
        } else {
            end = jit_interp(c, tb, &retired, &reason);
            c->budget -= (int32_t)retired;
            c->insns += retired;
        }
        c->smc_hit = false;
        if (c->watch_stop) {
            c->watch_stop = false;
            c->watch_hit = true;
            c->watch_step = true;
            c->last_exit = IR_EXIT_BREAKPOINT;
            why = LOOM_CPU_BREAKPOINT;
            break;
        }
        if (loom_sim_stop_requested(loom_cpu_sim(c->cpu))) {
            /* A fault nobody handles, or a device ending the run. */
            why = loom_sim_stop_reason(loom_cpu_sim(c->cpu)) == LOOM_STOP_FAULT ? LOOM_CPU_FATAL
                                                                                : LOOM_CPU_EXIT_REQUEST;
            break;
        }
        if (end != JIT_END_EXIT) continue;
        c->last_exit = reason;
        if (reason == IR_EXIT_HALT) {
            why = LOOM_CPU_HALT;
            break;
        }
        if (reason == IR_EXIT_BREAKPOINT) {
            why = LOOM_CPU_BREAKPOINT;
            break;
        }
        if (reason == IR_EXIT_SYSCALL) {
            why = LOOM_CPU_EXIT_REQUEST;
            break;
        }
    }
    if (c->kicked) {
        c->budget += JIT_KICK;
        c->kicked = 0;
    }
    *done = c->insns - c->slice_insns + stepped;
    return why;
}
