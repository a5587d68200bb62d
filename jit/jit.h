/* The JIT engine: per-CPU runtime state, the guest plug-in interface, the
 * block cache and the run loop. A guest fills a jit_guest and keeps a
 * jit_cpu as the first member of its CPU state, so guest-state offsets in
 * the IR are offsets from that struct's start. */
#ifndef LOOM_JIT_JIT_H
#define LOOM_JIT_JIT_H

#include "loom/loom.h"
#include "ir.h"

#define JIT_MAX_MMU 8
#define JIT_TLB_BITS 8
#define JIT_TLB_SIZE (1u << JIT_TLB_BITS)

typedef struct jit_cpu jit_cpu;
typedef struct jit_engine jit_engine;
typedef struct jit_block jit_block;

typedef enum jit_access { JIT_READ = 0, JIT_WRITE = 1, JIT_FETCH = 2 } jit_access;

/* A failed translation or access, handed to the guest to raise. */
typedef struct jit_fault {
    uint64_t vaddr;
    jit_access access;
    unsigned size;
    unsigned mmu_idx;
    int kind;    /* guest-defined: translation, permission, alignment, bus... */
    uint32_t info; /* guest-defined extra (fault status code, ...) */
} jit_fault;

/* Kinds the engine itself reports (guests may define more from 16 up). */
enum { JIT_FAULT_BUS = 1, JIT_FAULT_UNMAPPED = 2, JIT_FAULT_ALIGN = 3, JIT_FAULT_UNDEF = 4,
       JIT_FAULT_WATCH = 5 /* a watchpoint: the engine's own, never the guest's */ };

/* Forward branches a block keeps inside (jit_branch_forward): targets
 * and the branches to them. */
enum { JIT_FWD_TARGETS = 8, JIT_FWD_BRANCHES = 16, JIT_FWD_REACH = 256 };
typedef struct jit_fwd_target {
    uint64_t pc, flags; /* where, and the key's flags the branch leaves */
    uint32_t label;
    bool placed;
} jit_fwd_target;
typedef struct jit_fwd_branch {
    ir_val insn;         /* its BRCOND or BR */
    uint16_t target;     /* index in fwd */
    uint16_t after;      /* instructions translated up to and including it */
} jit_fwd_branch;

/* The translation context a guest's translate() works in. */
typedef struct jit_tcx {
    ir_block *b;
    jit_cpu *cpu;      /* read only: for mode bits already in the key */
    uint64_t pc;       /* of the instruction to translate */
    uint64_t flags;    /* the block key's mode flags */
    uint64_t start_pc;
    unsigned ninsns;   /* instructions translated so far in this block */
    unsigned max_insns;
    bool end;          /* set by translate: the block ends after this one */
    bool fetch_fault;  /* the instruction could not be fetched */
    jit_fault fault;
    uint64_t pages[2]; /* guest pages (physical in system mode) the code came from */
    unsigned npages;
    void *guest;       /* scratch for the guest across one block */
    /* Engine-private: forward branches inside the block. */
    jit_fwd_target fwd[JIT_FWD_TARGETS];
    jit_fwd_branch fbr[JIT_FWD_BRANCHES];
    unsigned nfwd, nfbr;
} jit_tcx;

/* Helpers the IR may call: up to 6 integer arguments; the first is always
 * the jit_cpu (implicit, not in the IR's argument list). */
typedef uint64_t (*jit_helper_fn)(jit_cpu *c, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                                  uint64_t a4);
typedef struct jit_helper {
    const char *name;
    jit_helper_fn fn;
} jit_helper;

typedef struct jit_guest {
    const char *name;
    uint32_t pc_offset;   /* offset of the program counter in the state */
    unsigned pc_bytes;    /* 4 or 8 */
    unsigned page_bits;   /* 12 for 4 KiB pages */
    unsigned max_block_insns;
    bool big_endian_code;
    /* The key of the block about to run: pc and mode flags. */
    void (*block_key)(jit_cpu *c, uint64_t *pc, uint64_t *flags);
    /* Translate the instruction at t->pc into t->b (one INSN marker first).
     * Set t->end when the block must end after it. */
    void (*translate)(jit_tcx *t);
    /* Put the state back to the start of the instruction with this pc and
     * extra word (from its INSN marker) after a fault inside a block. */
    void (*restore)(jit_cpu *c, uint64_t pc, uint32_t extra);
    /* Raise a memory fault (state already restored to the instruction). */
    void (*raise_fault)(jit_cpu *c, const jit_fault *f);
    /* Take a pending interrupt at a block boundary; true if the pc changed. */
    bool (*interrupt)(jit_cpu *c);
    /* Translate an address; NULL means physical = virtual, all access
     * allowed. Return false and fill *f to refuse. */
    bool (*tlb_fill)(jit_cpu *c, uint64_t vaddr, jit_access acc, unsigned mmu_idx, uint64_t *paddr,
                     unsigned *prot, jit_fault *f);
    const jit_helper *helpers;
    unsigned nhelpers;
    /* Disassemble the instruction at pc for -d in_asm: write text, return
     * its length in bytes (0 if unknown). Optional. */
    unsigned (*disas)(jit_cpu *c, uint64_t pc, uint64_t flags, char *buf, size_t len);
    /* Where the state keeps the block key's flags word, so native code can
     * look up computed branch targets inline; 0 bytes: no inline lookup. */
    uint32_t flags_offset;
    unsigned flags_bytes;
} jit_guest;

/* One soft-TLB entry, 32 bytes so native code indexes it with a shift. Tags
 * are page addresses with low flag bits; a tag that matches with no flag
 * bits set means the fast path (host = addr + addend) is allowed. Fetches
 * are never on a fast path: they use the read tag, and the physical page
 * word says whether execution is allowed. */
enum { JIT_TLB_INVALID = 1, JIT_TLB_MMIO = 2, JIT_TLB_CODE = 4, JIT_TLB_NOEXEC = 8, JIT_TLB_WATCH = 16 };
typedef struct jit_tlb_entry {
    uint64_t read_tag, write_tag;
    uintptr_t addend;   /* host address minus guest virtual address */
    uint64_t paddr;     /* physical page | JIT_TLB_NOEXEC */
} jit_tlb_entry;

typedef enum jit_backend { JIT_BACKEND_INTERP = 0, JIT_BACKEND_X86 = 1 } jit_backend;

/* The first member of every JIT guest's CPU state. Keep the hot fields at
 * the start: native code reaches them at small offsets. */
struct jit_cpu {
    int32_t budget;          /* instructions left; <= 0 stops at the next block */
    uint32_t exit_request;   /* non-zero: stop at the next block boundary */
    uint32_t kicked;         /* the budget was lowered by JIT_KICK to stop chained code */
    void *exit_tb;           /* native code: the block that left through an unchained goto */
    uint8_t *guest_base;     /* user mode: host address of guest address 0 */
    jit_tlb_entry (*tlb)[JIT_TLB_SIZE]; /* [mmu_idx][index] */
    jit_engine *eng;
    const jit_guest *guest;
    loom_cpu *cpu;
    loom_bus *bus;
    bool user_mode;
    bool interrupt_pending;
    uint64_t insns;          /* retired by this runtime */
    uint32_t initiator;
    uint32_t raised;         /* set by a helper that raised an exception: 1 if its
                              * instruction did not retire, 2 if it did */
    uint64_t slice_insns;    /* c->insns when the current jit_exec began */
    int32_t slice_budget;    /* the budget it began with */
    uint8_t fetch_mmu;       /* the MMU index instruction fetches use (the guest keeps it) */
    jit_block **jump_cache;  /* by pc hash */
    uint8_t *code_pages;     /* user mode: a byte per guest page, bit 0 if it holds translated
                              * code, bit 1 if the next page does (a store starting here
                              * may reach it): a store checks its first byte's page with
                              * one compare */
    uint64_t code_pages_len; /* guest pages, bytes of code_pages */
    bool smc_hit;            /* a store just invalidated the running block */
    uint32_t last_exit;      /* IR_EXIT_* of the block that ended the last jit_exec */
    /* User mode: a byte per guest page, JIT_PAGE_* rights; accesses from C
     * (helpers, the interpreter, atomics, fetch) check it. NULL: all allowed. */
    const uint8_t *user_prot;
    uint64_t host_fault_vaddr; /* set by jit_host_fault for the fault pad */
    /* Scratch for the interpreter's values. */
    uint64_t *vals;
    uint32_t nvals;
    /* Watchpoints (jit_watch_insert) and the last hit. */
    struct jit_watch *watch;
    unsigned nwatch;
    bool watch_stop;         /* a watchpoint stopped the current run */
    bool watch_step;         /* the next run first steps over the access */
    bool watch_ignore;       /* stepping over it now */
    uint64_t watch_addr;     /* the hit: the access's address and kind */
    jit_access watch_access;
    unsigned watch_kinds;    /* and the kinds of the watchpoint it hit */
    bool watch_hit;          /* a watchpoint stop nobody has asked about yet */
    /* Breakpoints (jit_break_insert): this CPU stopped at one, at bp_pc;
     * its next run starts there and runs that instruction (bp_skip). */
    bool bp_hit, bp_skip;
    uint64_t bp_pc;
};

/* Watchpoints by virtual address (system mode): a data access by this CPU
 * that overlaps [addr, addr + len) and is of a kind in `kinds` (bits
 * 1 << JIT_READ, 1 << JIT_WRITE) stops jit_exec before the access, with
 * LOOM_CPU_BREAKPOINT and the state at the start of the instruction;
 * watch_addr and watch_access say what hit. The next jit_exec runs that
 * instruction to its end, access included, before any watchpoint applies
 * again. Accesses on a watched page take the slow path. User mode (no TLB)
 * does not watch: jit_watch_insert returns LOOM_E_UNSUPPORTED there. */
loom_err jit_watch_insert(jit_cpu *c, uint64_t addr, uint64_t len, unsigned kinds);
/* Remove the watchpoint inserted with these arguments: LOOM_E_NOTFOUND
 * when there is none. */
loom_err jit_watch_remove(jit_cpu *c, uint64_t addr, uint64_t len, unsigned kinds);
void jit_watch_remove_all(jit_cpu *c);

/* Breakpoints by virtual pc, for every CPU of the engine (system mode): a
 * CPU about to run the instruction at pc stops before it, with
 * LOOM_CPU_BREAKPOINT and bp_hit; its next jit_exec from there runs the
 * instruction. While any is set, blocks end before breakpoints and are
 * neither chained nor found inline, so every block start passes the run
 * loop. */
loom_err jit_break_insert(jit_engine *e, uint64_t pc);
loom_err jit_break_remove(jit_engine *e, uint64_t pc); /* LOOM_E_NOTFOUND if none */
void jit_break_remove_all(jit_engine *e);
/* Write guest memory by virtual address for a debugger (no device side
 * effects; translated code over it goes); false if some byte is not mapped. */
bool jit_debug_write(jit_cpu *c, uint64_t vaddr, const void *buf, unsigned len);

#define JIT_JUMP_CACHE_BITS 10

/* User mode: a store starting in the guest page may write translated code
 * (on that page or, crossing, the next). */
static inline bool jit_code_page_marked(const jit_cpu *c, uint64_t page)
{
    return c->code_pages && page < c->code_pages_len && c->code_pages[page];
}

/* Rights in jit_cpu.user_prot (the same bits as PROT_READ/WRITE/EXEC). */
enum { JIT_PAGE_READ = 1, JIT_PAGE_WRITE = 2, JIT_PAGE_EXEC = 4 };

/* An engine per simulation and guest: the block cache and the code cache. */
loom_err jit_engine_new(loom_sim *sim, const jit_guest *guest, jit_backend backend, jit_engine **out);
void jit_engine_free(jit_engine *e);
jit_backend jit_engine_backend(const jit_engine *e);
void jit_engine_flush(jit_engine *e);
/* Statistics, for tests and bench. */
typedef struct jit_stats {
    uint64_t blocks_translated, insns_translated, flushes, invalidations, lookups, lookup_misses, chains;
    uint64_t translate_ns; /* host time spent translating (IR, passes, code) */
} jit_stats;
jit_stats jit_engine_stats(const jit_engine *e);

/* Attach a CPU's runtime: user mode (guest_base != NULL) or system mode
 * through bus with a soft TLB. */
loom_err jit_cpu_init(jit_cpu *c, jit_engine *e, loom_cpu *cpu, loom_bus *bus, uint8_t *guest_base,
                      uint64_t guest_size);
void jit_cpu_fini(jit_cpu *c);
/* Run up to max instructions; *done gets the number retired. */
loom_cpu_exit jit_exec(jit_cpu *c, uint64_t max, uint64_t *done);
void jit_tlb_flush(jit_cpu *c);
void jit_tlb_flush_page(jit_cpu *c, uint64_t vaddr);
/* Invalidate translated code for guest physical (system) or virtual (user)
 * range [start, end]. */
void jit_invalidate(jit_engine *e, uint64_t start, uint64_t end);

/* User mode, native code: a host fault (SIGSEGV) at host_pc for guest
 * address vaddr. If host_pc is a guest access in translated code, returns
 * true with *resume: the address to continue at (a pad that writes the
 * guest state back and raises the guest's data abort). Async-signal safe;
 * call it from the host signal handler of the thread that runs c. */
bool jit_host_fault(jit_cpu *c, uintptr_t host_pc, uint64_t vaddr, uintptr_t *resume);
/* fork() with native code: the code cache is one shared memory object,
 * which parent and child must not both write. Before fork, copy it into a
 * new object (returns its fd, or -1); after fork, the parent moves onto the
 * copy (jit_engine_fork_parent) and the child keeps the original, which
 * nobody else writes any more (jit_engine_fork_child closes the fd). */
int jit_engine_fork_prepare(jit_engine *e);
loom_err jit_engine_fork_parent(jit_engine *e, int fd);
void jit_engine_fork_child(int fd);

/* Memory access for helpers, the interpreter and slow paths. Return false
 * after recording a fault in *f (state not yet restored). */
bool jit_mem_load(jit_cpu *c, uint64_t addr, unsigned flags, unsigned mmu_idx, uint64_t *val, jit_fault *f);
bool jit_mem_store(jit_cpu *c, uint64_t addr, unsigned flags, unsigned mmu_idx, uint64_t val, jit_fault *f);
/* Read guest memory by virtual address with no side effects (tracing,
 * debuggers); false if some byte is not mapped. */
bool jit_debug_read(jit_cpu *c, uint64_t vaddr, void *buf, unsigned len);
/* Fetch instruction bytes for the translator (size 2 or 4, code endianness). */
bool jit_fetch(jit_tcx *t, uint64_t addr, unsigned size, uint32_t *insn);
/* A direct branch to target (when cond != 0; always when cond is IR_NONE)
 * that the block may keep inside: a target a little ahead on the block's
 * page, which the block will translate in line with the key's flags as they
 * are now (t->flags: the state the branch leaves); an unconditional one
 * only when another such branch lands right after it. If so, the branch is
 * emitted, the block goes on with the next instruction and true is
 * returned; a target the block ends before is left through a GOTO after
 * the block's end. On false nothing was emitted: end the block as usual. */
bool jit_branch_forward(jit_tcx *t, ir_val cond, uint64_t target);

/* Get back to the run loop at the next block boundary, also from chained
 * native code (whose blocks check only the budget): the budget drops by
 * JIT_KICK, and the run loop gives it back. An interrupt kicks; a sync
 * access or a stop also asks the run loop to return to the scheduler. */
#define JIT_KICK (1 << 30)
static inline void jit_cpu_kick(jit_cpu *c)
{
    if (!c->kicked) {
        c->kicked = 1;
        c->budget -= JIT_KICK;
    }
}
static inline void jit_cpu_request_exit(jit_cpu *c)
{
    c->exit_request = 1;
    jit_cpu_kick(c);
}

/* Instructions retired in the current jit_exec, counted at block entry, so
 * also inside chained native code (helpers read clocks with it). */
static inline uint64_t jit_cpu_retired(const jit_cpu *c)
{
    int64_t left = (int64_t)c->budget + (c->kicked ? JIT_KICK : 0);
    return c->slice_budget > left ? (uint64_t)(c->slice_budget - left) : 0;
}

/* The CPUs attached to an engine (all CPUs of the guest in a simulation). */
size_t jit_engine_cpu_count(const jit_engine *e);
jit_cpu *jit_engine_cpu(const jit_engine *e, size_t i);

/* Guest state access from C. */
static inline uint64_t jit_get_pc(const jit_cpu *c)
{
    const uint8_t *p = (const uint8_t *)c + c->guest->pc_offset;
    if (c->guest->pc_bytes == 8) return *(const uint64_t *)p;
    return *(const uint32_t *)p;
}
static inline void jit_set_pc(jit_cpu *c, uint64_t pc)
{
    uint8_t *p = (uint8_t *)c + c->guest->pc_offset;
    if (c->guest->pc_bytes == 8) *(uint64_t *)p = pc;
    else *(uint32_t *)p = (uint32_t)pc;
}

#endif
