/* The ELF and raw binary loaders, and the symbol table an ELF file brings. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loom/bus.h"
#include "loom/loader.h"
#include "loom/model.h"
#include "loom/sim.h"

/* ---- Symbol tables ------------------------------------------------------ */

typedef struct loom_sym {
    uint64_t addr, size;
    const char *name; /* into loom_symtab.names */
    bool global;      /* global or weak: preferred when names or places tie */
} loom_sym;

struct loom_symtab {
    loom_sym *syms;    /* by address (see sym_cmp_addr) */
    size_t n;
    uint64_t *max_end; /* max_end[i]: highest addr+size among syms[0..i] */
    size_t *by_name;   /* indexes into syms, by name */
    char *names;
};

static void symtab_free(void *p)
{
    loom_symtab *t = p;
    if (!t) return;
    free(t->syms);
    free(t->max_end);
    free(t->by_name);
    free(t->names);
    free(t);
}

/* Address order; at one address the larger symbol comes first, so a walk
 * backwards from an address meets the innermost symbol first, and globals
 * after locals so they are met before them. */
static int sym_cmp_addr(const void *a, const void *b)
{
    const loom_sym *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    if (x->global != y->global) return x->global ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* qsort has no context argument and globals are out, so the name index
 * sorts pointers to the entries and converts them back to indexes. */
static int sym_cmp_name(const void *a, const void *b)
{
    const loom_sym *x = *(const loom_sym *const *)a, *y = *(const loom_sym *const *)b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    if (x->global != y->global) return x->global ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sort and index a filled table. */
static bool symtab_index(loom_symtab *t)
{
    qsort(t->syms, t->n, sizeof *t->syms, sym_cmp_addr);
    t->max_end = malloc(t->n * sizeof *t->max_end);
    t->by_name = malloc(t->n * sizeof *t->by_name);
    const loom_sym **order = malloc(t->n * sizeof *order);
    if (!t->max_end || !t->by_name || !order) {
        free(order);
        return false;
    }
    uint64_t hi = 0;
    for (size_t i = 0; i < t->n; i++) {
        const loom_sym *s = &t->syms[i];
        uint64_t end = s->size > UINT64_MAX - s->addr ? UINT64_MAX : s->addr + s->size;
        if (end > hi) hi = end;
        t->max_end[i] = hi;
        order[i] = s;
    }
    qsort(order, t->n, sizeof *order, sym_cmp_name);
    for (size_t i = 0; i < t->n; i++) t->by_name[i] = (size_t)(order[i] - t->syms);
    free(order);
    return true;
}

size_t loom_symtab_count(const loom_symtab *t) { return t ? t->n : 0; }

const char *loom_symtab_lookup(const loom_symtab *t, uint64_t addr, uint64_t *offset)
{
    if (!t || !t->n || t->syms[0].addr > addr) return NULL;
    /* The last symbol starting at or below addr. */
    size_t lo = 0, hi = t->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->syms[mid].addr <= addr) lo = mid; else hi = mid;
    }
    /* A symbol whose extent covers addr wins over a nearer one that does
     * not (a label inside a function). max_end stops the walk as soon as no
     * earlier symbol can reach addr. */
    for (size_t j = lo + 1; j-- > 0 && t->max_end[j] > addr;) {
        const loom_sym *s = &t->syms[j];
        if (s->size && addr - s->addr < s->size) {
            if (offset) *offset = addr - s->addr;
            return s->name;
        }
    }
    if (offset) *offset = addr - t->syms[lo].addr;
    return t->syms[lo].name;
}

bool loom_symtab_find(const loom_symtab *t, const char *name, uint64_t *addr)
{
    if (!t || !name) return false;
    size_t lo = 0, hi = t->n; /* first entry not below name */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->syms[t->by_name[mid]].name, name) < 0) lo = mid + 1; else hi = mid;
    }
    if (lo == t->n || strcmp(t->syms[t->by_name[lo]].name, name)) return false;
    if (addr) *addr = t->syms[t->by_name[lo]].addr;
    return true;
}

/* ---- Reading files ---------------------------------------------------------- */

static loom_err open_error(loom_sim *sim, const char *path, int err)
{
    return loom_sim_error(sim, err == ENOENT || err == ENOTDIR ? LOOM_E_NOTFOUND : LOOM_E_IO,
                          "%s: cannot open: %s", path, strerror(err));
}

static loom_err open_file(loom_sim *sim, const char *path, int *fd)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    return *fd < 0 ? open_error(sim, path, errno) : LOOM_OK;
}

/* Read up to len bytes; short only at the end of the file. */
static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* The whole file into a malloc'd buffer. Pipes and other files without a
 * size are read until their end. */
static loom_err read_file(loom_sim *sim, const char *path, uint8_t **out, size_t *size)
{
    int fd;
    loom_err e = open_file(sim, path, &fd);
    if (e) return e;
    struct stat st;
    size_t cap = 64 * 1024;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((uint64_t)st.st_size >= SIZE_MAX) {
            close(fd);
            return loom_sim_error(sim, LOOM_E_NOMEM, "%s: too large to load (%jd bytes)", path,
                                  (intmax_t)st.st_size);
        }
        cap = (size_t)st.st_size + 1; /* +1 sees the end without another grow */
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    for (;;) {
        uint8_t *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            close(fd);
            return loom_sim_error(sim, LOOM_E_NOMEM, "%s: out of memory reading %zu bytes", path, cap);
        }
        buf = nb;
        ssize_t n = read_full(fd, buf + len, cap - len);
        if (n < 0) {
            int err = errno;
            free(buf);
            close(fd);
            return loom_sim_error(sim, LOOM_E_IO, "%s: cannot read: %s", path, strerror(err));
        }
        len += (size_t)n;
        if (len < cap) break;
        if (cap > SIZE_MAX / 2) {
            free(buf);
            close(fd);
            return loom_sim_error(sim, LOOM_E_NOMEM, "%s: too large to load", path);
        }
        cap *= 2;
    }
    close(fd);
    *out = buf;
    *size = len;
    return LOOM_OK;
}

/* ---- Writing through the bus ---------------------------------------------- */

static const uint8_t zeros[4096];
#define WRITE_CHUNK (64u * 1024)

/* Debug-write len bytes (zeros when src is NULL) at addr. On failure, find
 * the first byte the bus refuses, so the message can name the address. */
static loom_err write_span(loom_bus *bus, uint64_t addr, const uint8_t *src, uint64_t len,
                           uint64_t *bad)
{
    while (len) {
        uint64_t n = len;
        if (n > (src ? WRITE_CHUNK : sizeof zeros)) n = src ? WRITE_CHUNK : sizeof zeros;
        loom_err e = loom_bus_debug_write(bus, addr, src ? src : zeros, n);
        if (e) {
            *bad = addr;
            for (uint64_t i = 0; i < n; i++) {
                if (loom_bus_debug_write(bus, addr + i, src ? src + i : zeros, 1)) {
                    *bad = addr + i;
                    break;
                }
            }
            return e;
        }
        addr += n;
        len -= n;
        if (src) src += n;
    }
    return LOOM_OK;
}

/* ---- ELF --------------------------------------------------------------------
 * Segments go to their physical (load) address p_paddr, as boot ROMs,
 * debug probes and QEMU's loader for bare-metal images do: a linker script
 * that places initialised data in flash (AT> or LOADADDR) gives .data a RAM
 * virtual address but a flash physical one, and the startup code copies it
 * across. For ordinary executables the two are equal. The entry point and
 * the symbols stay virtual: they are what the CPU will see. */

/* What the loader knows about an image once its headers are checked. */
typedef struct elf_image {
    const char *name;
    const uint8_t *data;
    size_t size;
    bool is64, be;
    unsigned machine;
    uint64_t entry;
    uint64_t phoff, phnum;
    uint64_t shoff, shnum;
} elf_image;

static uint64_t rd(const elf_image *f, uint64_t off, unsigned n)
{
    return f->be ? loom_get_be(f->data + off, n) : loom_get_le(f->data + off, n);
}

/* A header field read straight from the file by its layout in <elf.h>, so
 * nothing is trusted to libelf before it has been checked. */
#define EHDR(f, fld)                                                                          \
    ((f)->is64 ? rd(f, offsetof(Elf64_Ehdr, fld), sizeof(((Elf64_Ehdr *)0)->fld))           \
               : rd(f, offsetof(Elf32_Ehdr, fld), sizeof(((Elf32_Ehdr *)0)->fld)))
#define SHDR(f, at, fld)                                                                      \
    ((f)->is64 ? rd(f, (at) + offsetof(Elf64_Shdr, fld), sizeof(((Elf64_Shdr *)0)->fld))    \
               : rd(f, (at) + offsetof(Elf32_Shdr, fld), sizeof(((Elf32_Shdr *)0)->fld)))

/* [off, off + len) inside the file, without overflow. */
static bool in_file(const elf_image *f, uint64_t off, uint64_t len)
{
    return off <= f->size && len <= f->size - off;
}

/* A table of count entries of entsize bytes at off inside the file. */
static bool table_in_file(const elf_image *f, uint64_t off, uint64_t count, uint64_t entsize)
{
    return off <= f->size && count <= (f->size - off) / entsize;
}

static loom_err bad(loom_sim *sim, const elf_image *f, const char *fmt, ...) LOOM_PRINTF(3, 4);
static loom_err bad(loom_sim *sim, const elf_image *f, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return loom_sim_error(sim, LOOM_E_FORMAT, "%s: %s", f->name, why);
}

/* Identification and the file header: class, byte order, the program and
 * section header tables in range. Extended numbering (more than 0xfeff
 * sections or 0xfffe segments) keeps the real counts in section 0. */
static loom_err check_header(loom_sim *sim, elf_image *f)
{
    const uint8_t *id = f->data;
    if (memcmp(id, ELFMAG, f->size < SELFMAG ? f->size : SELFMAG))
        return bad(sim, f, "not an ELF file (bad magic bytes)");
    if (f->size < EI_NIDENT)
        return bad(sim, f, "%zu bytes is too short for an ELF header", f->size);
    if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
        return bad(sim, f, "unsupported ELF class %u (expected 1 for ELF32 or 2 for ELF64)",
                   id[EI_CLASS]);
    if (id[EI_DATA] != ELFDATA2LSB && id[EI_DATA] != ELFDATA2MSB)
        return bad(sim, f, "unknown byte order %u (expected 1 for little-endian or 2 for big-endian)",
                   id[EI_DATA]);
    if (id[EI_VERSION] != EV_CURRENT)
        return bad(sim, f, "unsupported ELF version %u", id[EI_VERSION]);
    f->is64 = id[EI_CLASS] == ELFCLASS64;
    f->be = id[EI_DATA] == ELFDATA2MSB;
    size_t ehsize = f->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (f->size < ehsize)
        return bad(sim, f, "%zu bytes is too short for an ELF%d header (%zu bytes)", f->size,
                   f->is64 ? 64 : 32, ehsize);

    unsigned type = (unsigned)EHDR(f, e_type);
    if (type != ET_EXEC && type != ET_DYN)
        return bad(sim, f, "not an executable (e_type %u; expected %u for ET_EXEC or %u for ET_DYN)",
                   type, ET_EXEC, ET_DYN);
    f->machine = (unsigned)EHDR(f, e_machine);
    f->entry = EHDR(f, e_entry);
    f->phoff = EHDR(f, e_phoff);
    f->shoff = EHDR(f, e_shoff);
    unsigned phentsize = (unsigned)EHDR(f, e_phentsize);
    unsigned shentsize = (unsigned)EHDR(f, e_shentsize);
    uint64_t phnum = EHDR(f, e_phnum);
    uint64_t shnum = EHDR(f, e_shnum);
    size_t phsz = f->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    size_t shsz = f->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

    /* Section headers first: extended numbering needs section 0. */
    if (f->shoff == 0) {
        if (shnum)
            return bad(sim, f, "e_shnum says %" PRIu64 " sections but there is no section header "
                               "table (e_shoff is 0)", shnum);
    } else {
        if (shentsize != shsz)
            return bad(sim, f, "section header entry size is %u bytes, expected %zu", shentsize, shsz);
        if (!table_in_file(f, f->shoff, 1, shsz))
            return bad(sim, f, "section header table at file offset 0x%" PRIx64
                               " is beyond the end of the file (%zu bytes)", f->shoff, f->size);
        if (shnum == 0) shnum = SHDR(f, f->shoff, sh_size);
        if (phnum == PN_XNUM) phnum = SHDR(f, f->shoff, sh_info);
        if (!table_in_file(f, f->shoff, shnum, shsz))
            return bad(sim, f, "section header table (%" PRIu64 " entries of %zu bytes at file "
                               "offset 0x%" PRIx64 ") extends past the end of the file (%zu bytes)",
                       shnum, shsz, f->shoff, f->size);
    }
    if (phnum == PN_XNUM)
        return bad(sim, f, "e_phnum is PN_XNUM but there is no section 0 holding the real count");
    if (phnum == 0) return bad(sim, f, "no program headers: nothing to load");
    if (phnum > INT_MAX) /* libelf indexes them with an int */
        return bad(sim, f, "%" PRIu64 " program headers is more than libelf can index", phnum);
    if (phentsize != phsz)
        return bad(sim, f, "program header entry size is %u bytes, expected %zu", phentsize, phsz);
    if (f->phoff >= f->size)
        return bad(sim, f, "program header table at file offset 0x%" PRIx64
                           " is beyond the end of the file (%zu bytes)", f->phoff, f->size);
    if (!table_in_file(f, f->phoff, phnum, phsz))
        return bad(sim, f, "program header table (%" PRIu64 " entries of %zu bytes at file offset 0x%"
                           PRIx64 ") extends past the end of the file (%zu bytes)",
                   phnum, phsz, f->phoff, f->size);
    f->phnum = phnum;
    f->shnum = f->shoff ? shnum : 0;
    return LOOM_OK;
}

static loom_err libelf_error(loom_sim *sim, const elf_image *f, const char *what)
{
    return bad(sim, f, "%s: %s", what, elf_errmsg(-1));
}

/* Every PT_LOAD: contents inside the file, filesz <= memsz, no wrap past the
 * end of the class's address space, inside the bus. */
static loom_err check_segments(loom_sim *sim, loom_bus *bus, Elf *elf, const elf_image *f,
                               unsigned *nload)
{
    size_t n;
    if (elf_getphdrnum(elf, &n) != 0) return libelf_error(sim, f, "reading the program headers");
    if (n != f->phnum)
        return bad(sim, f, "libelf sees %zu program headers, the header says %" PRIu64, n, f->phnum);
    uint64_t bus_last = loom_bus_size(bus) - 1; /* size 0 is the full 2^64 */
    *nload = 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) return libelf_error(sim, f, "reading a program header");
        if (ph.p_type != PT_LOAD) continue;
        (*nload)++;
        if (!in_file(f, ph.p_offset, ph.p_filesz))
            return bad(sim, f, "segment %zu claims %" PRIu64 " bytes at file offset 0x%" PRIx64
                               " but the file has %zu bytes", i, (uint64_t)ph.p_filesz,
                       (uint64_t)ph.p_offset, f->size);
        if (ph.p_filesz > ph.p_memsz)
            return bad(sim, f, "segment %zu has %" PRIu64 " bytes in the file but only %" PRIu64
                               " in memory (p_filesz > p_memsz)", i, (uint64_t)ph.p_filesz,
                       (uint64_t)ph.p_memsz);
        if (ph.p_memsz == 0) continue;
        uint64_t space_last = f->is64 ? UINT64_MAX : UINT32_MAX;
        if (ph.p_paddr > space_last || ph.p_memsz - 1 > space_last - ph.p_paddr)
            return bad(sim, f, "segment %zu at 0x%" PRIx64 " with %" PRIu64 " bytes wraps past the "
                               "end of the %d-bit address space", i, (uint64_t)ph.p_paddr,
                       (uint64_t)ph.p_memsz, f->is64 ? 64 : 32);
        if (ph.p_paddr > bus_last || ph.p_memsz - 1 > bus_last - ph.p_paddr)
            return loom_sim_error(sim, LOOM_E_ADDRESS,
                                  "%s: segment %zu (0x%" PRIx64 "-0x%" PRIx64 ") lies beyond the end "
                                  "of address space '%s' (0x%" PRIx64 ")", f->name, i,
                                  (uint64_t)ph.p_paddr, (uint64_t)(ph.p_paddr + ph.p_memsz - 1),
                                  loom_bus_name(bus), bus_last);
    }
    if (*nload == 0) return bad(sim, f, "no loadable segment (PT_LOAD)");
    return LOOM_OK;
}

/* Keep function, object and untyped symbols that have a name and a place.
 * ARM mapping symbols ($a, $t, $d, $x) only mark code and data inside a
 * section, so they are left out; Thumb function addresses carry the Thumb
 * bit (ARM ELF ABI), which is not part of the address. */
static bool keep_symbol(const GElf_Sym *s, const char *name)
{
    unsigned type = GELF_ST_TYPE(s->st_info), bind = GELF_ST_BIND(s->st_info);
    if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) return false;
    if (bind != STB_LOCAL && bind != STB_GLOBAL && bind != STB_WEAK) return false;
    if (s->st_shndx == SHN_UNDEF) return false;
    return name[0] && name[0] != '$';
}

/* The static symbol table (or the dynamic one when stripped) with its
 * string table, every entry checked. *out stays NULL when there is none. */
static loom_err read_symbols(loom_sim *sim, Elf *elf, const elf_image *f, loom_symtab **out)
{
    *out = NULL;
    Elf_Scn *symscn = NULL;
    GElf_Shdr sh;
    size_t symidx = 0;
    for (size_t pass = 0; pass < 2 && !symscn; pass++) {
        for (size_t i = 1; i < f->shnum; i++) {
            Elf_Scn *scn = elf_getscn(elf, i);
            if (!scn || !gelf_getshdr(scn, &sh)) return libelf_error(sim, f, "reading a section header");
            if (sh.sh_type == (pass ? SHT_DYNSYM : SHT_SYMTAB)) {
                symscn = scn;
                symidx = i;
                break;
            }
        }
    }
    if (!symscn) return LOOM_OK;

    size_t entsize = f->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
    if (!in_file(f, sh.sh_offset, sh.sh_size))
        return bad(sim, f, "symbol table (section %zu) claims %" PRIu64 " bytes at file offset 0x%"
                           PRIx64 " but the file has %zu bytes", symidx, (uint64_t)sh.sh_size,
                   (uint64_t)sh.sh_offset, f->size);
    if (sh.sh_entsize != entsize)
        return bad(sim, f, "symbol table entry size is %" PRIu64 " bytes, expected %zu",
                   (uint64_t)sh.sh_entsize, entsize);
    if (sh.sh_size % entsize)
        return bad(sim, f, "symbol table size %" PRIu64 " is not a multiple of its entry size %zu",
                   (uint64_t)sh.sh_size, entsize);
    if (sh.sh_link == 0 || sh.sh_link >= f->shnum)
        return bad(sim, f, "symbol table links to string table section %u, but there are %" PRIu64
                           " sections", (unsigned)sh.sh_link, f->shnum);
    GElf_Shdr strsh;
    Elf_Scn *strscn = elf_getscn(elf, sh.sh_link);
    if (!strscn || !gelf_getshdr(strscn, &strsh))
        return libelf_error(sim, f, "reading the string table header");
    if (strsh.sh_type != SHT_STRTAB)
        return bad(sim, f, "symbol table links to section %u, which is not a string table (type %u)",
                   (unsigned)sh.sh_link, (unsigned)strsh.sh_type);
    if (!in_file(f, strsh.sh_offset, strsh.sh_size))
        return bad(sim, f, "string table (section %u) claims %" PRIu64 " bytes at file offset 0x%"
                           PRIx64 " but the file has %zu bytes", (unsigned)sh.sh_link,
                   (uint64_t)strsh.sh_size, (uint64_t)strsh.sh_offset, f->size);
    /* String tables are bytes: no conversion, read them in place. */
    const char *strs = (const char *)f->data + strsh.sh_offset;
    uint64_t strsize = strsh.sh_size;

    size_t count = sh.sh_size / entsize;
    if (count > INT_MAX) /* libelf indexes them with an int */
        return bad(sim, f, "%zu symbols is more than libelf can index", count);
    Elf_Data *data = elf_getdata(symscn, NULL);
    if (!data && count) return libelf_error(sim, f, "reading the symbol table");

    loom_symtab *t = calloc(1, sizeof *t);
    size_t namebytes = 0;
    if (!t) return LOOM_E_NOMEM;
    if (count) {
        t->syms = malloc(count * sizeof *t->syms);
        if (!t->syms) goto nomem;
    }
    /* First pass: check every entry and size the name block. */
    for (size_t i = 0; i < count; i++) {
        GElf_Sym s;
        if (!gelf_getsym(data, (int)i, &s)) {
            symtab_free(t);
            return libelf_error(sim, f, "reading a symbol");
        }
        if (s.st_name >= strsize && !(s.st_name == 0 && strsize == 0)) {
            symtab_free(t);
            return bad(sim, f, "symbol %zu name offset 0x%x is outside the string table (%" PRIu64
                               " bytes)", i, (unsigned)s.st_name, strsize);
        }
        const char *name = strsize ? strs + s.st_name : "";
        size_t maxlen = strsize ? strsize - s.st_name : 0;
        size_t len = strnlen(name, maxlen);
        if (len == maxlen && strsize) {
            symtab_free(t);
            return bad(sim, f, "symbol %zu name at string table offset 0x%x is not terminated "
                               "inside the table", i, (unsigned)s.st_name);
        }
        if (i == 0 || !keep_symbol(&s, name)) continue;
        uint64_t addr = s.st_value;
        if (f->machine == EM_ARM && GELF_ST_TYPE(s.st_info) == STT_FUNC) addr &= ~(uint64_t)1;
        t->syms[t->n++] = (loom_sym){addr, s.st_size, name, GELF_ST_BIND(s.st_info) != STB_LOCAL};
        namebytes += len + 1;
    }
    if (t->n == 0) {
        symtab_free(t);
        return LOOM_OK;
    }
    /* Second: copy the names out of the image, which the caller frees. */
    t->names = malloc(namebytes);
    if (!t->names) goto nomem;
    char *p = t->names;
    for (size_t i = 0; i < t->n; i++) {
        size_t len = strlen(t->syms[i].name) + 1;
        memcpy(p, t->syms[i].name, len);
        t->syms[i].name = p;
        p += len;
    }
    if (!symtab_index(t)) goto nomem;
    *out = t;
    return LOOM_OK;
nomem:
    symtab_free(t);
    return loom_sim_error(sim, LOOM_E_NOMEM, "%s: out of memory reading symbols", f->name);
}

/* Write every PT_LOAD segment at its physical address. */
static loom_err load_segments(loom_sim *sim, loom_bus *bus, Elf *elf, const elf_image *f,
                              uint64_t *low, uint64_t *high)
{
    *low = UINT64_MAX;
    *high = 0;
    for (size_t i = 0; i < f->phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) return libelf_error(sim, f, "reading a program header");
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        uint64_t at = 0;
        loom_err e = write_span(bus, ph.p_paddr, f->data + ph.p_offset, ph.p_filesz, &at);
        if (!e) e = write_span(bus, ph.p_paddr + ph.p_filesz, NULL, ph.p_memsz - ph.p_filesz, &at);
        if (e == LOOM_E_ADDRESS)
            return loom_sim_error(sim, e, "%s: segment %zu (0x%" PRIx64 "-0x%" PRIx64 ") hits "
                                          "unmapped address 0x%" PRIx64 " in '%s'", f->name, i,
                                  (uint64_t)ph.p_paddr, (uint64_t)(ph.p_paddr + ph.p_memsz - 1),
                                  at, loom_bus_name(bus));
        if (e)
            return loom_sim_error(sim, e, "%s: segment %zu (0x%" PRIx64 "-0x%" PRIx64 "): the "
                                          "target at 0x%" PRIx64 " refused the write", f->name, i,
                                  (uint64_t)ph.p_paddr, (uint64_t)(ph.p_paddr + ph.p_memsz - 1), at);
        if (ph.p_paddr < *low) *low = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz - 1 > *high) *high = ph.p_paddr + ph.p_memsz - 1;
    }
    return LOOM_OK;
}

/* Load from a private, writable copy of the file (libelf takes a non-const
 * image). Everything is checked before the first byte goes to the bus, so
 * a malformed file leaves memory untouched; only an unmapped address found
 * while writing can leave a partial load behind. */
static loom_err load_image(loom_sim *sim, loom_bus *bus, uint8_t *image, size_t size,
                           const char *name, loom_elf_info *info)
{
    elf_image f = {.name = name ? name : "<memory>", .data = image, .size = size};
    loom_err e = check_header(sim, &f);
    if (e) return e;
    if (elf_version(EV_CURRENT) == EV_NONE)
        return loom_sim_error(sim, LOOM_E_UNSUPPORTED, "%s: libelf is too old", f.name);
    Elf *elf = elf_memory((char *)image, size);
    if (!elf) return libelf_error(sim, &f, "libelf refuses the file");
    loom_symtab *syms = NULL;
    unsigned nload;
    uint64_t low, high;
    if (elf_kind(elf) != ELF_K_ELF)
        e = bad(sim, &f, "libelf does not see an ELF file");
    if (!e) e = check_segments(sim, bus, elf, &f, &nload);
    if (!e) e = read_symbols(sim, elf, &f, &syms);
    if (!e) e = load_segments(sim, bus, elf, &f, &low, &high);
    elf_end(elf);
    if (e || !info) {
        symtab_free(syms);
        return e;
    }
    if (syms && loom_sim_own(sim, syms, symtab_free)) {
        symtab_free(syms);
        return loom_sim_error(sim, LOOM_E_NOMEM, "%s: out of memory keeping the symbols", f.name);
    }
    *info = (loom_elf_info){
        .entry = f.entry, .machine = f.machine, .big_endian = f.be, .is64 = f.is64,
        .low = low, .high = high, .symbols = syms,
    };
    return LOOM_OK;
}

loom_err loom_load_elf_mem(loom_sim *sim, loom_bus *bus, const void *image, size_t size,
                           const char *name, loom_elf_info *info)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return loom_sim_error(sim, LOOM_E_NOMEM, "%s: out of memory copying %zu bytes",
                              name ? name : "<memory>", size);
    if (size) memcpy(copy, image, size);
    loom_err e = load_image(sim, bus, copy, size, name, info);
    free(copy);
    return e;
}

loom_err loom_load_elf(loom_sim *sim, loom_bus *bus, const char *path, loom_elf_info *info)
{
    uint8_t *image = NULL;
    size_t size = 0;
    loom_err e = read_file(sim, path, &image, &size);
    if (e) return e;
    e = load_image(sim, bus, image, size, path, info);
    free(image);
    return e;
}

/* ---- Raw binaries --------------------------------------------------------- */

loom_err loom_load_raw(loom_sim *sim, loom_bus *bus, const char *path, uint64_t addr,
                       uint64_t *size)
{
    int fd;
    loom_err e = open_file(sim, path, &fd);
    if (e) return e;
    uint8_t *buf = malloc(WRITE_CHUNK);
    if (!buf) {
        close(fd);
        return loom_sim_error(sim, LOOM_E_NOMEM, "%s: out of memory", path);
    }
    /* Streamed in pieces: a flash image can be large. */
    uint64_t done = 0;
    for (;;) {
        ssize_t n = read_full(fd, buf, WRITE_CHUNK);
        if (n < 0) {
            e = loom_sim_error(sim, LOOM_E_IO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        uint64_t at = addr + done;
        if (at < addr || (uint64_t)n - 1 > UINT64_MAX - at) {
            e = loom_sim_error(sim, LOOM_E_ADDRESS, "%s: %" PRIu64 " bytes at 0x%" PRIx64
                                                    " wrap past the end of the address space",
                               path, done + (uint64_t)n, addr);
            break;
        }
        uint64_t badaddr = at;
        e = write_span(bus, at, buf, (uint64_t)n, &badaddr);
        if (e == LOOM_E_ADDRESS) {
            e = loom_sim_error(sim, e, "%s: loading at 0x%" PRIx64 " hits unmapped address 0x%"
                                       PRIx64 " in '%s'", path, addr, badaddr, loom_bus_name(bus));
            break;
        }
        if (e) {
            e = loom_sim_error(sim, e, "%s: loading at 0x%" PRIx64 ": the target at 0x%" PRIx64
                                       " refused the write", path, addr, badaddr);
            break;
        }
        done += (uint64_t)n;
        if ((size_t)n < WRITE_CHUNK) break;
    }
    free(buf);
    close(fd);
    if (!e && size) *size = done;
    return e;
}
