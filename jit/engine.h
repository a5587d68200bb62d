/* Private to jit/: blocks and the engine's tables. */
#ifndef LOOM_JIT_ENGINE_H
#define LOOM_JIT_ENGINE_H

#include "jit.h"

/* The GOTOs of a block that can be chained: the first ones in code order
 * (the native exit word has three bits for 1 + the slot). */
enum { JIT_GOTO_SLOTS = 6 };

struct jit_block {
    uint64_t pc, flags;
    uint32_t cap;          /* 0, or the instruction limit of a capped block */
    uint32_t guest_insns;
    uint64_t page[2];      /* guest pages the code came from (page[1] = page[0] if one) */
    uint64_t end_pc;       /* first byte after the block */
    bool invalid;
    /* The optimized IR, executed by the interpreter. */
    ir_insn *insns;
    uint32_t n;
    uint64_t *args;
    uint32_t nargs;
    uint32_t *label_pos;   /* label number -> instruction index */
    void *code;            /* native code (execute view), or NULL: interpreted */
    uint32_t code_len;
    void *x86_descs;       /* what the native slow paths need, owned here */
    /* User mode: (host offset of a guest access, offset of its fault pad)
     * pairs in code order, for jit_host_fault. */
    uint32_t (*fault_pads)[2];
    uint32_t nfault_pads;
    /* Direct branches (GOTO) of native code: the rel32 field (execute view)
     * and the exit stub it points at while unchained. */
    uint8_t *goto_field[JIT_GOTO_SLOTS], *goto_stub[JIT_GOTO_SLOTS];
    /* 1 + the goto slot that branches back to this block's start and keeps
     * guest state in registers (chained only to this block, at loop_head),
     * or 0. */
    uint8_t loop_slot;
    void *loop_head;
    jit_block *out[JIT_GOTO_SLOTS]; /* chained to */
    struct jit_link { jit_block *from; uint8_t slot; } *in; /* chained from */
    uint32_t nin, incap;
    jit_block *hash_next;
};

/* A runnable block from IR (already optimized or not), and its end. */
jit_block *jit_block_from_ir(const ir_block *b, uint64_t pc, uint64_t flags);
void jit_block_free(jit_block *tb);

/* Interpret one block. Returns the instructions retired and how it ended. */
typedef enum jit_end { JIT_END_NEXT, JIT_END_EXIT, JIT_END_FAULT, JIT_END_RAISED } jit_end;
jit_end jit_interp(jit_cpu *c, jit_block *tb, uint32_t *retired, uint32_t *reason);

struct x86_cache *jit_engine_x86(jit_engine *e);
/* The page (physical in system mode) that code at pc comes from; false if
 * it cannot be fetched. */
bool jit_code_page(jit_cpu *c, uint64_t pc, uint64_t *page);

/* Called by stores that hit a page holding translated code. */
void jit_smc_write(jit_cpu *c, uint64_t addr, unsigned size);

/* A fault from an access, the state already at the instruction's start: the
 * guest's exception, or a watchpoint's stop. */
void jit_deliver_fault(jit_cpu *c, const jit_fault *f);
void jit_watch_free(jit_cpu *c);

#endif
