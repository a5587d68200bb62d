/* The x86-64 back end: a code cache mapped write xor execute, and a code
 * generator with one forward pass of register allocation and emission. */
#ifndef LOOM_JIT_X86_BACKEND_H
#define LOOM_JIT_X86_BACKEND_H

#include "../engine.h"

typedef struct x86_cache x86_cache;

/* size bytes of code; the cache is two views of one memory object. */
loom_err jit_x86_cache_new(size_t size, x86_cache **out);
void jit_x86_cache_free(x86_cache *x);
/* Forget every block (the engine flushed). */
void jit_x86_cache_reset(x86_cache *x);
/* Compile a block's optimized IR; NULL when the block cannot be compiled
 * (the cache is full, or the block is too large): the caller flushes or
 * runs the block on the interpreter. */
void *jit_x86_compile(x86_cache *x, jit_block *tb, const jit_guest *g, bool user_mode);
/* Run compiled code; returns the exit word (see JIT_X86_EXIT_*). */
uint64_t jit_x86_run(x86_cache *x, jit_cpu *c, void *code);
/* A new memory object holding a copy of the cache (its fd, or -1), and
 * moving both views onto such a copy at the same addresses (closes fd). */
int jit_x86_cache_copy(const x86_cache *x);
loom_err jit_x86_cache_adopt(x86_cache *x, int fd);
/* Bytes of code in the cache, for statistics. */
size_t jit_x86_cache_used(const x86_cache *x);
/* Where code lies in the cache's memory object (perf names it so). */
size_t jit_x86_cache_offset(const x86_cache *x, const void *code);
/* Decode every instruction of a block with Zydis: false if any fails. */
bool jit_x86_check(const void *code, size_t len);
/* Disassemble a block's host code (Zydis) into f; false if unavailable. */
bool jit_x86_disassemble(const void *code, size_t len, FILE *f);

/* The exit word: end kind in bits 0-1 (jit_end), the IR exit reason in bits
 * 2-7, 1 + the goto slot (0 for none) in bits 8-10, instructions started
 * in the block from bit 11. Blocks also keep the budget exact themselves. */
#define JIT_X86_EXIT(kind, reason, slot, started) \
    ((uint32_t)(kind) | (uint32_t)(reason) << 2 | (uint32_t)(slot) << 8 | (uint32_t)(started) << 11)
#define JIT_X86_EXIT_SLOT(w) ((unsigned)((w) >> 8) & 7)

/* Point from's goto slot at to's code, or back at its exit stub. */
void jit_x86_chain(x86_cache *x, jit_block *from, unsigned slot, jit_block *to);
void jit_x86_unchain(x86_cache *x, jit_block *from, unsigned slot);

#endif
