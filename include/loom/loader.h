/* Loading firmware and programs into an address space. */
#ifndef LOOM_LOADER_H
#define LOOM_LOADER_H

#include "loom/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct loom_symtab loom_symtab;

typedef struct loom_elf_info {
    uint64_t entry;
    unsigned machine;      /* e_machine */
    bool big_endian;
    bool is64;
    uint64_t low, high;    /* lowest and highest loaded address (inclusive) */
    loom_symtab *symbols;  /* owned by the simulation; NULL if none */
} loom_elf_info;

/* Load the PT_LOAD segments of an ELF file through bus with debug writes (so
 * ROM can be filled), zeroing bss. A truncated or malformed file gives
 * LOOM_E_FORMAT with the reason; a segment over unmapped space gives
 * LOOM_E_ADDRESS naming the segment and address. */
loom_err loom_load_elf(loom_sim *sim, loom_bus *bus, const char *path, loom_elf_info *info);
/* The same from memory (tests, fuzzing, files already read). */
loom_err loom_load_elf_mem(loom_sim *sim, loom_bus *bus, const void *image, size_t size,
                           const char *name, loom_elf_info *info);
/* Copy a raw binary to addr. */
loom_err loom_load_raw(loom_sim *sim, loom_bus *bus, const char *path, uint64_t addr,
                       uint64_t *size);

/* Symbols: function and object symbols, sorted by address. */
size_t loom_symtab_count(const loom_symtab *t);
/* The symbol containing addr (or the nearest below it), NULL if none. */
const char *loom_symtab_lookup(const loom_symtab *t, uint64_t addr, uint64_t *offset);
bool loom_symtab_find(const loom_symtab *t, const char *name, uint64_t *addr);

#ifdef __cplusplus
}
#endif
#endif
