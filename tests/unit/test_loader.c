/* Unit tests for core/loader.c: ELF images built here byte by byte, loaded
 * into a RAM target, then malformed in every way the loader must refuse. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "loom/loom.h"

/* ---- A RAM target ----------------------------------------------------------- */

#define RAM_SIZE 0x10000u
#define RAM_FILL 0xEE /* what untouched memory holds */

typedef struct ram {
    uint8_t mem[RAM_SIZE];
} ram;

static void ram_access(void *opaque, loom_txn *txn)
{
    ram *r = opaque;
    if (txn->addr >= RAM_SIZE || txn->len > RAM_SIZE - txn->addr) {
        txn->resp = LOOM_RESP_ADDRESS_ERROR;
        return;
    }
    if (loom_cmd_is_write(txn->cmd))
        memcpy(r->mem + txn->addr, txn->data, txn->len);
    else
        memcpy(txn->data, r->mem + txn->addr, txn->len);
    txn->resp = LOOM_RESP_OK;
}

static const loom_target_ops ram_ops = {.transport = ram_access, .debug = ram_access};

typedef struct fixture {
    loom_sim *sim;
    ram *ram;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ram = malloc(sizeof *f->ram);
    assert_non_null(f->ram);
    memset(f->ram->mem, RAM_FILL, RAM_SIZE);
    assert_int_equal(loom_sim_new(&f->sim), LOOM_OK);
    loom_region *r;
    assert_int_equal(loom_region_new(f->sim, "ram", RAM_SIZE, &ram_ops, f->ram, &r), LOOM_OK);
    assert_int_equal(loom_bus_map(loom_sim_memory(f->sim), r, 0, 0, NULL), LOOM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    loom_sim_free(f->sim);
    free(f->ram);
    free(f);
    return 0;
}

/* ---- Building ELF images ------------------------------------------------------
 * Text at physical 0x1000 (64 bytes), data at 0x2000 (32 bytes in the file,
 * 96 in memory: 64 bytes of bss), virtual addresses at vbase + physical.
 * Sections: null, .text, .data, .bss, .symtab, .strtab, .shstrtab. */

#define TEXT_PA 0x1000u
#define DATA_PA 0x2000u
#define TEXT_SIZE 64u
#define DATA_FILESZ 32u
#define DATA_MEMSZ 96u

enum { SEC_TEXT = 1, SEC_DATA, SEC_BSS, SEC_SYMTAB, SEC_STRTAB, SEC_SHSTRTAB, NSECS };

typedef struct img {
    uint8_t buf[4096];
    size_t len;
    bool is64, be;
    unsigned machine;
    uint64_t vbase;
    /* Where things are, for tests that break them. */
    size_t phoff, phentsize, shoff, shentsize, symoff, symentsize, stroff, strsize;
    size_t text_off, data_off;
    unsigned nsyms;
} img;

static void put(img *m, size_t off, size_t n, uint64_t v)
{
    assert_true(off + n <= sizeof m->buf);
    if (m->be) loom_put_be(m->buf + off, (unsigned)n, v); else loom_put_le(m->buf + off, (unsigned)n, v);
}

/* Write field fld of structure S (Ehdr, Phdr, Shdr, Sym) at base, by the
 * image's class: the field names are the same in both. */
#define PUT(m, base, S, fld, v)                                                              \
    ((m)->is64 ? put(m, (base) + offsetof(Elf64_##S, fld), sizeof(((Elf64_##S *)0)->fld), (v)) \
               : put(m, (base) + offsetof(Elf32_##S, fld), sizeof(((Elf32_##S *)0)->fld), (v)))

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

typedef struct symdef {
    const char *name;
    uint64_t value; /* physical offset from vbase */
    uint64_t size;
    unsigned type, bind, shndx;
} symdef;

/* The symbols every image carries; 8 of them are worth keeping. */
static const symdef symbols[] = {
    {"", 0, 0, STT_NOTYPE, STB_LOCAL, SHN_UNDEF},
    {"main", TEXT_PA, 0x20, STT_FUNC, STB_GLOBAL, SEC_TEXT},
    {"helper", TEXT_PA + 0x20, 0x20, STT_FUNC, STB_LOCAL, SEC_TEXT},
    {"inner_label", TEXT_PA + 0x28, 0, STT_NOTYPE, STB_LOCAL, SEC_TEXT},
    {"counter", DATA_PA, 4, STT_OBJECT, STB_GLOBAL, SEC_DATA},
    {"table", DATA_PA + 0x10, 0x10, STT_OBJECT, STB_GLOBAL, SEC_DATA},
    {"buffer", DATA_PA + 0x20, 0x40, STT_OBJECT, STB_GLOBAL, SEC_BSS},
    {"end_marker", DATA_PA + 0x60, 0, STT_NOTYPE, STB_GLOBAL, SEC_BSS},
    {"", DATA_PA + 0x8, 4, STT_OBJECT, STB_LOCAL, SEC_DATA},      /* no name: dropped */
    {"$t", TEXT_PA, 0, STT_NOTYPE, STB_LOCAL, SEC_TEXT},          /* mapping symbol: dropped */
    {"", TEXT_PA, 0, STT_SECTION, STB_LOCAL, SEC_TEXT},           /* section: dropped */
    {"fw.c", 0, 0, STT_FILE, STB_LOCAL, SHN_ABS},                 /* file: dropped */
    {"undefined_ext", 0, 0, STT_NOTYPE, STB_GLOBAL, SHN_UNDEF},   /* undefined: dropped */
    {"weak_fn", TEXT_PA + 0x40, 0, STT_FUNC, STB_WEAK, SEC_TEXT},
};
#define NSYMBOLS (sizeof symbols / sizeof *symbols)
#define KEPT_SYMBOLS 8u

static void build(img *m, bool is64, bool be, unsigned machine, uint64_t vbase)
{
    memset(m, 0, sizeof *m);
    m->is64 = is64;
    m->be = be;
    m->machine = machine;
    m->vbase = vbase;
    size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    m->phentsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
    m->shentsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    m->symentsize = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
    m->phoff = ehsize;
    m->text_off = align_up(m->phoff + 2 * m->phentsize, 16);
    m->data_off = m->text_off + TEXT_SIZE;
    m->symoff = align_up(m->data_off + DATA_FILESZ, 8);
    m->nsyms = NSYMBOLS;
    m->stroff = m->symoff + NSYMBOLS * m->symentsize;

    /* Contents: a pattern per segment, so a misplaced byte shows. */
    for (unsigned i = 0; i < TEXT_SIZE; i++) m->buf[m->text_off + i] = (uint8_t)(i * 7 + 1);
    for (unsigned i = 0; i < DATA_FILESZ; i++) m->buf[m->data_off + i] = (uint8_t)(0xA0 + i);

    /* String table and symbols. */
    size_t s = m->stroff;
    m->buf[s++] = 0;
    for (unsigned i = 0; i < NSYMBOLS; i++) {
        const symdef *d = &symbols[i];
        size_t at = m->symoff + i * m->symentsize, name = 0;
        if (d->name[0]) {
            name = s - m->stroff;
            memcpy(m->buf + s, d->name, strlen(d->name) + 1);
            s += strlen(d->name) + 1;
        }
        uint64_t value = d->value ? vbase + d->value : 0;
        /* A Thumb function's address carries bit 0 (ARM ELF ABI). */
        if (machine == EM_ARM && d->type == STT_FUNC) value |= 1;
        PUT(m, at, Sym, st_name, name);
        PUT(m, at, Sym, st_value, value);
        PUT(m, at, Sym, st_size, d->size);
        m->buf[at + (is64 ? offsetof(Elf64_Sym, st_info) : offsetof(Elf32_Sym, st_info))] =
            (uint8_t)((d->bind << 4) | d->type);
        PUT(m, at, Sym, st_shndx, d->shndx);
    }
    m->strsize = s - m->stroff;

    static const char *const secnames[NSECS] = {"", ".text", ".data", ".bss", ".symtab", ".strtab", ".shstrtab"};
    size_t shstroff = s, shname[NSECS];
    m->buf[s++] = 0;
    for (unsigned i = 1; i < NSECS; i++) {
        shname[i] = s - shstroff;
        memcpy(m->buf + s, secnames[i], strlen(secnames[i]) + 1);
        s += strlen(secnames[i]) + 1;
    }
    size_t shstrsize = s - shstroff;
    m->shoff = align_up(s, 8);
    m->len = m->shoff + NSECS * m->shentsize; /* the file ends with the table */

    struct {
        unsigned type;
        uint64_t flags, addr, off, size;
        unsigned link, info;
        uint64_t align, entsize;
    } sec[NSECS] = {
        [SEC_TEXT] = {SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, vbase + TEXT_PA, m->text_off, TEXT_SIZE, 0, 0, 4, 0},
        [SEC_DATA] = {SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, vbase + DATA_PA, m->data_off, DATA_FILESZ, 0, 0, 4, 0},
        [SEC_BSS] = {SHT_NOBITS, SHF_ALLOC | SHF_WRITE, vbase + DATA_PA + DATA_FILESZ, m->symoff,
                     DATA_MEMSZ - DATA_FILESZ, 0, 0, 4, 0},
        [SEC_SYMTAB] = {SHT_SYMTAB, 0, 0, m->symoff, NSYMBOLS * m->symentsize, SEC_STRTAB, 8, 8,
                        m->symentsize},
        [SEC_STRTAB] = {SHT_STRTAB, 0, 0, m->stroff, m->strsize, 0, 0, 1, 0},
        [SEC_SHSTRTAB] = {SHT_STRTAB, 0, 0, shstroff, shstrsize, 0, 0, 1, 0},
    };
    for (unsigned i = 1; i < NSECS; i++) {
        size_t at = m->shoff + i * m->shentsize;
        PUT(m, at, Shdr, sh_name, shname[i]);
        PUT(m, at, Shdr, sh_type, sec[i].type);
        PUT(m, at, Shdr, sh_flags, sec[i].flags);
        PUT(m, at, Shdr, sh_addr, sec[i].addr);
        PUT(m, at, Shdr, sh_offset, sec[i].off);
        PUT(m, at, Shdr, sh_size, sec[i].size);
        PUT(m, at, Shdr, sh_link, sec[i].link);
        PUT(m, at, Shdr, sh_info, sec[i].info);
        PUT(m, at, Shdr, sh_addralign, sec[i].align);
        PUT(m, at, Shdr, sh_entsize, sec[i].entsize);
    }

    /* Program headers: text, then data with its bss. */
    struct { uint64_t off, pa, filesz, memsz; unsigned flags; } seg[2] = {
        {m->text_off, TEXT_PA, TEXT_SIZE, TEXT_SIZE, PF_R | PF_X},
        {m->data_off, DATA_PA, DATA_FILESZ, DATA_MEMSZ, PF_R | PF_W},
    };
    for (unsigned i = 0; i < 2; i++) {
        size_t at = m->phoff + i * m->phentsize;
        PUT(m, at, Phdr, p_type, PT_LOAD);
        PUT(m, at, Phdr, p_flags, seg[i].flags);
        PUT(m, at, Phdr, p_offset, seg[i].off);
        PUT(m, at, Phdr, p_vaddr, vbase + seg[i].pa);
        PUT(m, at, Phdr, p_paddr, seg[i].pa);
        PUT(m, at, Phdr, p_filesz, seg[i].filesz);
        PUT(m, at, Phdr, p_memsz, seg[i].memsz);
        PUT(m, at, Phdr, p_align, 4);
    }

    memcpy(m->buf, ELFMAG, SELFMAG);
    m->buf[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
    m->buf[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
    m->buf[EI_VERSION] = EV_CURRENT;
    PUT(m, 0, Ehdr, e_type, ET_EXEC);
    PUT(m, 0, Ehdr, e_machine, machine);
    PUT(m, 0, Ehdr, e_version, EV_CURRENT);
    PUT(m, 0, Ehdr, e_entry, vbase + TEXT_PA);
    PUT(m, 0, Ehdr, e_phoff, m->phoff);
    PUT(m, 0, Ehdr, e_shoff, m->shoff);
    PUT(m, 0, Ehdr, e_ehsize, ehsize);
    PUT(m, 0, Ehdr, e_phentsize, m->phentsize);
    PUT(m, 0, Ehdr, e_phnum, 2);
    PUT(m, 0, Ehdr, e_shentsize, m->shentsize);
    PUT(m, 0, Ehdr, e_shnum, NSECS);
    PUT(m, 0, Ehdr, e_shstrndx, SEC_SHSTRTAB);
}

static void build_arm32(img *m) { build(m, false, false, EM_ARM, 0); }

static size_t phdr_at(const img *m, unsigned i) { return m->phoff + i * m->phentsize; }
static size_t shdr_at(const img *m, unsigned i) { return m->shoff + i * m->shentsize; }
static size_t sym_at(const img *m, unsigned i) { return m->symoff + i * m->symentsize; }

/* Load from a heap copy of exactly len bytes, so AddressSanitizer sees any
 * read past the end. */
static loom_err load(fixture *f, const uint8_t *bytes, size_t len, const char *name,
                     loom_elf_info *info)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    loom_err e = loom_load_elf_mem(f->sim, loom_sim_memory(f->sim), copy, len, name, info);
    free(copy);
    return e;
}

static void check_loaded_memory(const fixture *f)
{
    for (unsigned i = 0; i < TEXT_SIZE; i++) assert_int_equal(f->ram->mem[TEXT_PA + i], (uint8_t)(i * 7 + 1));
    for (unsigned i = 0; i < DATA_FILESZ; i++) assert_int_equal(f->ram->mem[DATA_PA + i], 0xA0 + i);
    for (unsigned i = DATA_FILESZ; i < DATA_MEMSZ; i++) assert_int_equal(f->ram->mem[DATA_PA + i], 0);
    /* Nothing beyond the segments. */
    assert_int_equal(f->ram->mem[TEXT_PA - 1], RAM_FILL);
    assert_int_equal(f->ram->mem[TEXT_PA + TEXT_SIZE], RAM_FILL);
    assert_int_equal(f->ram->mem[DATA_PA + DATA_MEMSZ], RAM_FILL);
}

static void check_untouched(const fixture *f)
{
    for (unsigned i = 0; i < RAM_SIZE; i++)
        if (f->ram->mem[i] != RAM_FILL) fail_msg("RAM at 0x%x changed by a refused image", i);
}

static void check_symbols(const loom_symtab *t, uint64_t vbase)
{
    assert_non_null(t);
    assert_int_equal(loom_symtab_count(t), KEPT_SYMBOLS);
    uint64_t a = 0, off = 99;
    assert_true(loom_symtab_find(t, "main", &a));
    assert_true(a == vbase + TEXT_PA); /* Thumb bit cleared on ARM */
    assert_true(loom_symtab_find(t, "buffer", &a));
    assert_true(a == vbase + DATA_PA + 0x20);
    assert_true(loom_symtab_find(t, "weak_fn", &a));
    assert_true(a == vbase + TEXT_PA + 0x40);
    assert_true(loom_symtab_find(t, "end_marker", &a));
    assert_false(loom_symtab_find(t, "$t", &a));
    assert_false(loom_symtab_find(t, "", &a));
    assert_false(loom_symtab_find(t, "fw.c", &a));
    assert_false(loom_symtab_find(t, "undefined_ext", &a));
    assert_false(loom_symtab_find(t, "mai", &a));

    assert_string_equal(loom_symtab_lookup(t, vbase + TEXT_PA, &off), "main");
    assert_true(off == 0);
    assert_string_equal(loom_symtab_lookup(t, vbase + TEXT_PA + 0x1f, &off), "main");
    assert_true(off == 0x1f);
    /* Inside helper, past a label: the containing function wins. */
    assert_string_equal(loom_symtab_lookup(t, vbase + TEXT_PA + 0x30, &off), "helper");
    assert_true(off == 0x10);
    assert_string_equal(loom_symtab_lookup(t, vbase + DATA_PA + 0x14, &off), "table");
    assert_true(off == 4);
    /* Past counter's 4 bytes: nothing contains it, nearest below wins. */
    assert_string_equal(loom_symtab_lookup(t, vbase + DATA_PA + 6, &off), "counter");
    assert_true(off == 6);
    assert_string_equal(loom_symtab_lookup(t, vbase + DATA_PA + 0x100, &off), "end_marker");
    assert_true(off == 0xA0);
    assert_null(loom_symtab_lookup(t, vbase + TEXT_PA - 1, &off));
}

/* ---- Valid images ------------------------------------------------------------- */

static void test_loader_loads_arm32_segments_bss_entry_and_symbols(void **state)
{
    fixture *f = *state;
    img m;
    build_arm32(&m);
    loom_elf_info info;
    assert_int_equal(load(f, m.buf, m.len, "fw.elf", &info), LOOM_OK);
    check_loaded_memory(f);
    assert_true(info.entry == TEXT_PA);
    assert_int_equal(info.machine, EM_ARM);
    assert_false(info.big_endian);
    assert_false(info.is64);
    assert_true(info.low == TEXT_PA);
    assert_true(info.high == DATA_PA + DATA_MEMSZ - 1);
    check_symbols(info.symbols, 0);
}

static void test_loader_loads_big_endian_elf32(void **state)
{
    fixture *f = *state;
    img m;
    build(&m, false, true, EM_PPC, 0);
    loom_elf_info info;
    assert_int_equal(load(f, m.buf, m.len, "ppc.elf", &info), LOOM_OK);
    check_loaded_memory(f);
    assert_true(info.big_endian);
    assert_int_equal(info.machine, EM_PPC);
    assert_true(info.entry == TEXT_PA);
    check_symbols(info.symbols, 0);
}

/* Virtual addresses far from the physical ones: segments go to p_paddr,
 * entry and symbols stay virtual. */
static void test_loader_loads_elf64_at_physical_addresses(void **state)
{
    fixture *f = *state;
    img m;
    const uint64_t vbase = 0xffff000000000000ull;
    build(&m, true, false, EM_AARCH64, vbase);
    loom_elf_info info;
    assert_int_equal(load(f, m.buf, m.len, "a64.elf", &info), LOOM_OK);
    check_loaded_memory(f);
    assert_true(info.is64);
    assert_false(info.big_endian);
    assert_int_equal(info.machine, EM_AARCH64);
    assert_true(info.entry == vbase + TEXT_PA);
    assert_true(info.low == TEXT_PA);
    check_symbols(info.symbols, vbase);
}

static void test_loader_loads_big_endian_elf64(void **state)
{
    fixture *f = *state;
    img m;
    build(&m, true, true, EM_PPC64, 0);
    loom_elf_info info;
    assert_int_equal(load(f, m.buf, m.len, "ppc64.elf", &info), LOOM_OK);
    check_loaded_memory(f);
    assert_true(info.is64 && info.big_endian);
    check_symbols(info.symbols, 0);
}

static void test_loader_without_section_headers_has_no_symbols(void **state)
{
    fixture *f = *state;
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_shoff, 0);
    PUT(&m, 0, Ehdr, e_shnum, 0);
    PUT(&m, 0, Ehdr, e_shstrndx, 0);
    loom_elf_info info;
    assert_int_equal(load(f, m.buf, m.len, "stripped.elf", &info), LOOM_OK);
    check_loaded_memory(f);
    assert_null(info.symbols);
    assert_int_equal(loom_symtab_count(info.symbols), 0);
    assert_null(loom_symtab_lookup(info.symbols, TEXT_PA, NULL));
    assert_false(loom_symtab_find(info.symbols, "main", NULL));
}

static char *temp_file(const void *data, size_t len)
{
    char *path = strdup("/tmp/loom_test_loader_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_loader_loads_elf_from_a_file(void **state)
{
    fixture *f = *state;
    img m;
    build_arm32(&m);
    char *path = temp_file(m.buf, m.len);
    loom_elf_info info;
    loom_err e = loom_load_elf(f->sim, loom_sim_memory(f->sim), path, &info);
    unlink(path);
    free(path);
    assert_int_equal(e, LOOM_OK);
    check_loaded_memory(f);
    check_symbols(info.symbols, 0);
}

static void test_loader_missing_elf_file_names_the_path(void **state)
{
    fixture *f = *state;
    const char *path = "/nonexistent-loom-dir/firmware.elf";
    loom_err e = loom_load_elf(f->sim, loom_sim_memory(f->sim), path, NULL);
    assert_true(e == LOOM_E_NOTFOUND || e == LOOM_E_IO);
    assert_non_null(strstr(loom_sim_last_error(f->sim), path));
}

/* ---- Malformed images ---------------------------------------------------------- */

/* Expect LOOM_E_FORMAT, a message "NAME: ...why...", and untouched memory. */
static void expect_format(fixture *f, const img *m, const char *why)
{
    loom_err e = load(f, m->buf, m->len, "fw.elf", NULL);
    const char *msg = loom_sim_last_error(f->sim);
    if (e != LOOM_E_FORMAT) fail_msg("expected LOOM_E_FORMAT, got %d: %s", e, msg);
    if (strncmp(msg, "fw.elf: ", 8) || !strstr(msg, why))
        fail_msg("message \"%s\" lacks \"%s\"", msg, why);
    check_untouched(f);
}

static void test_loader_refuses_every_truncation(void **state)
{
    fixture *f = *state;
    img m;
    build_arm32(&m);
    for (size_t len = 0; len < m.len; len++) {
        loom_err e = load(f, m.buf, len, "trunc.elf", NULL);
        if (e != LOOM_E_FORMAT)
            fail_msg("truncated at %zu of %zu bytes: got %d (%s)", len, m.len, e,
                     loom_sim_last_error(f->sim));
        assert_int_equal(strncmp(loom_sim_last_error(f->sim), "trunc.elf: ", 11), 0);
    }
    check_untouched(f);
    assert_int_equal(load(f, m.buf, m.len, "trunc.elf", NULL), LOOM_OK);
}

static void test_loader_refuses_bad_magic(void **state)
{
    img m;
    build_arm32(&m);
    m.buf[1] = 'X';
    expect_format(*state, &m, "not an ELF file");
}

static void test_loader_refuses_unknown_class(void **state)
{
    img m;
    build_arm32(&m);
    m.buf[EI_CLASS] = 3;
    expect_format(*state, &m, "unsupported ELF class 3");
}

static void test_loader_refuses_unknown_byte_order(void **state)
{
    img m;
    build_arm32(&m);
    m.buf[EI_DATA] = 7;
    expect_format(*state, &m, "unknown byte order 7");
}

static void test_loader_refuses_relocatable_object(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_type, ET_REL);
    expect_format(*state, &m, "not an executable");
}

static void test_loader_refuses_program_headers_beyond_file(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_phoff, m.len + 100);
    char why[128];
    snprintf(why, sizeof why, "program header table at file offset 0x%zx is beyond the end of the "
                              "file (%zu bytes)", m.len + 100, m.len);
    expect_format(*state, &m, why);
}

static void test_loader_refuses_huge_phnum(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_phnum, 0xfffe);
    expect_format(*state, &m, "program header table (65534 entries of 32 bytes");
}

static void test_loader_refuses_wrong_phentsize(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_phentsize, 40);
    expect_format(*state, &m, "program header entry size is 40 bytes, expected 32");
}

static void test_loader_refuses_segment_beyond_file(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, phdr_at(&m, 1), Phdr, p_offset, 0x1000);
    char why[128];
    snprintf(why, sizeof why, "segment 1 claims 32 bytes at file offset 0x1000 but the file has %zu "
                              "bytes", m.len);
    expect_format(*state, &m, why);
}

static void test_loader_refuses_segment_size_overflowing_offset(void **state)
{
    img m;
    build_arm32(&m);
    /* offset + filesz wraps a 32-bit (and would a careless 64-bit) sum. */
    PUT(&m, phdr_at(&m, 0), Phdr, p_offset, 0xFFFFFFF0u);
    PUT(&m, phdr_at(&m, 0), Phdr, p_filesz, 0x20);
    PUT(&m, phdr_at(&m, 0), Phdr, p_memsz, 0x20);
    expect_format(*state, &m, "segment 0 claims 32 bytes at file offset 0xfffffff0");
}

static void test_loader_refuses_filesz_above_memsz(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, phdr_at(&m, 0), Phdr, p_memsz, 16);
    expect_format(*state, &m, "segment 0 has 64 bytes in the file but only 16 in memory");
}

static void test_loader_refuses_address_overflow(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, phdr_at(&m, 1), Phdr, p_paddr, 0xFFFFFFF0u);
    expect_format(*state, &m, "segment 1 at 0xfffffff0 with 96 bytes wraps past the end of the "
                              "32-bit address space");
}

static void test_loader_refuses_address_overflow_elf64(void **state)
{
    img m;
    build(&m, true, false, EM_AARCH64, 0);
    PUT(&m, phdr_at(&m, 0), Phdr, p_paddr, 0xFFFFFFFFFFFFFFF0ull);
    expect_format(*state, &m, "wraps past the end of the 64-bit address space");
}

static void test_loader_refuses_section_table_beyond_file(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_shoff, m.len - 10);
    expect_format(*state, &m, "section header table at file offset");
}

static void test_loader_refuses_too_many_sections(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_shnum, 200);
    expect_format(*state, &m, "section header table (200 entries of 40 bytes");
}

static void test_loader_refuses_wrong_shentsize(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_shentsize, 12);
    expect_format(*state, &m, "section header entry size is 12 bytes, expected 40");
}

static void test_loader_refuses_section_count_without_table(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_shoff, 0);
    expect_format(*state, &m, "no section header table");
}

static void test_loader_refuses_symbol_name_outside_string_table(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, sym_at(&m, 4), Sym, st_name, 0x7000);
    expect_format(*state, &m, "symbol 4 name offset 0x7000 is outside the string table");
}

static void test_loader_refuses_unterminated_symbol_name(void **state)
{
    img m;
    build_arm32(&m);
    /* The last name ("weak_fn") loses its terminator. */
    m.buf[m.stroff + m.strsize - 1] = 'x';
    expect_format(*state, &m, "is not terminated inside the table");
}

static void test_loader_refuses_symbol_table_beyond_file(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, shdr_at(&m, SEC_SYMTAB), Shdr, sh_size, 0x100000);
    expect_format(*state, &m, "symbol table (section 4) claims 1048576 bytes");
}

static void test_loader_refuses_symbol_table_with_odd_entry_size(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, shdr_at(&m, SEC_SYMTAB), Shdr, sh_entsize, 12);
    expect_format(*state, &m, "symbol table entry size is 12 bytes, expected 16");
}

static void test_loader_refuses_symbol_table_link_out_of_range(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, shdr_at(&m, SEC_SYMTAB), Shdr, sh_link, 99);
    expect_format(*state, &m, "links to string table section 99, but there are 7 sections");
}

static void test_loader_refuses_symbol_table_linked_to_non_strings(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, shdr_at(&m, SEC_SYMTAB), Shdr, sh_link, SEC_TEXT);
    expect_format(*state, &m, "links to section 1, which is not a string table");
}

static void test_loader_refuses_string_table_beyond_file(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, shdr_at(&m, SEC_STRTAB), Shdr, sh_offset, 0xFFFFFFF0u);
    expect_format(*state, &m, "string table (section 5) claims");
}

static void test_loader_refuses_image_without_loadable_segment(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, phdr_at(&m, 0), Phdr, p_type, PT_NOTE);
    PUT(&m, phdr_at(&m, 1), Phdr, p_type, PT_NOTE);
    expect_format(*state, &m, "no loadable segment");
}

static void test_loader_refuses_image_without_program_headers(void **state)
{
    img m;
    build_arm32(&m);
    PUT(&m, 0, Ehdr, e_phnum, 0);
    expect_format(*state, &m, "no program headers");
}

/* ---- Unmapped space ---------------------------------------------------------- */

static void test_loader_segment_over_unmapped_space_names_segment_and_address(void **state)
{
    fixture *f = *state;
    img m;
    build_arm32(&m);
    PUT(&m, phdr_at(&m, 1), Phdr, p_paddr, 0x80000);
    assert_int_equal(load(f, m.buf, m.len, "fw.elf", NULL), LOOM_E_ADDRESS);
    const char *msg = loom_sim_last_error(f->sim);
    assert_non_null(strstr(msg, "fw.elf: segment 1"));
    assert_non_null(strstr(msg, "unmapped address 0x80000"));
}

/* Half in RAM: the message names the first byte past it (bss included). */
static void test_loader_segment_running_off_ram_names_first_unmapped_byte(void **state)
{
    fixture *f = *state;
    img m;
    build_arm32(&m);
    PUT(&m, phdr_at(&m, 1), Phdr, p_paddr, RAM_SIZE - 0x40);
    assert_int_equal(load(f, m.buf, m.len, "fw.elf", NULL), LOOM_E_ADDRESS);
    assert_non_null(strstr(loom_sim_last_error(f->sim), "unmapped address 0x10000"));
}

/* ---- Raw binaries ------------------------------------------------------------ */

static void test_loader_raw_file_lands_at_address(void **state)
{
    fixture *f = *state;
    uint8_t data[100];
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i ^ 0x5A);
    char *path = temp_file(data, sizeof data);
    uint64_t size = 0;
    loom_err e = loom_load_raw(f->sim, loom_sim_memory(f->sim), path, 0x3000, &size);
    unlink(path);
    free(path);
    assert_int_equal(e, LOOM_OK);
    assert_true(size == sizeof data);
    assert_memory_equal(f->ram->mem + 0x3000, data, sizeof data);
    assert_int_equal(f->ram->mem[0x3000 + sizeof data], RAM_FILL);
}

static void test_loader_raw_missing_file_names_the_path(void **state)
{
    fixture *f = *state;
    const char *path = "/nonexistent-loom-dir/flash.bin";
    loom_err e = loom_load_raw(f->sim, loom_sim_memory(f->sim), path, 0, NULL);
    assert_true(e == LOOM_E_NOTFOUND || e == LOOM_E_IO);
    const char *msg = loom_sim_last_error(f->sim);
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, "No such file"));
}

static void test_loader_raw_over_unmapped_space_names_the_address(void **state)
{
    fixture *f = *state;
    uint8_t data[100] = {0};
    char *path = temp_file(data, sizeof data);
    loom_err e = loom_load_raw(f->sim, loom_sim_memory(f->sim), path, RAM_SIZE - 0x20, NULL);
    unlink(path);
    free(path);
    assert_int_equal(e, LOOM_E_ADDRESS);
    assert_non_null(strstr(loom_sim_last_error(f->sim), "unmapped address 0x10000"));
}

/* ---- Random corruption ------------------------------------------------------- */

/* xorshift64*: deterministic, and state lives on the stack. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* Flip a few bytes, mostly in the headers and tables where a byte changes
 * meaning, and load. Any outcome but a crash or a code outside the
 * documented ones is a failure; run under AddressSanitizer to see reads
 * past the image. */
static void corrupt_and_load(fixture *f, const img *base, unsigned rounds, uint64_t seed)
{
    unsigned ok = 0;
    for (unsigned r = 0; r < rounds; r++) {
        img m = *base;
        unsigned flips = 1 + (unsigned)(rng_next(&seed) % 6);
        for (unsigned k = 0; k < flips; k++) {
            uint64_t x = rng_next(&seed);
            size_t pos;
            switch (x % 4) {
            case 0: pos = (size_t)((x >> 8) % (m.phoff + 2 * m.phentsize)); break; /* headers */
            case 1: pos = m.shoff + (size_t)((x >> 8) % (NSECS * m.shentsize)); break;
            case 2: pos = m.symoff + (size_t)((x >> 8) % (m.nsyms * m.symentsize)); break;
            default: pos = (size_t)((x >> 8) % m.len); break;
            }
            uint8_t v = (uint8_t)(x >> 40);
            /* Sometimes an extreme value, which finds overflow faster. */
            if ((x >> 48) % 4 == 0) v = (x >> 50) & 1 ? 0xFF : 0x00;
            m.buf[pos] = v;
        }
        loom_elf_info info;
        loom_err e = load(f, m.buf, m.len, "fuzz.elf", &info);
        if (e == LOOM_OK) {
            ok++;
            /* Whatever the symbols became, looking them up must be safe. */
            (void)loom_symtab_lookup(info.symbols, rng_next(&seed), NULL);
            (void)loom_symtab_lookup(info.symbols, TEXT_PA + 4, NULL);
            (void)loom_symtab_find(info.symbols, "main", NULL);
        } else if (e != LOOM_E_FORMAT && e != LOOM_E_ADDRESS && e != LOOM_E_BUS) {
            fail_msg("round %u: unexpected code %d: %s", r, e, loom_sim_last_error(f->sim));
        } else if (strncmp(loom_sim_last_error(f->sim), "fuzz.elf: ", 10)) {
            fail_msg("round %u: message does not name the file: %s", r, loom_sim_last_error(f->sim));
        }
    }
    /* Some corruptions are harmless (padding, names); most must fail. */
    assert_true(ok > 0 && ok < rounds);
}

/* LOOM_LOADER_FUZZ_SCALE=N runs N times as many rounds (a longer soak under
 * AddressSanitizer); the default run is fixed and deterministic. */
static void test_loader_survives_random_corruption(void **state)
{
    fixture *f = *state;
    const char *env = getenv("LOOM_LOADER_FUZZ_SCALE");
    unsigned scale = env && atoi(env) > 0 ? (unsigned)atoi(env) : 1;
    img m;
    build_arm32(&m);
    corrupt_and_load(f, &m, 3000 * scale, 0x1234567887654321ull);
    build(&m, false, true, EM_PPC, 0);
    corrupt_and_load(f, &m, 1000 * scale, 0x0F1E2D3C4B5A6978ull);
    build(&m, true, false, EM_AARCH64, 0xffff000000000000ull);
    corrupt_and_load(f, &m, 1000 * scale, 0xDEADBEEFCAFEF00Dull);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_loader_loads_arm32_segments_bss_entry_and_symbols),
        T(test_loader_loads_big_endian_elf32),
        T(test_loader_loads_elf64_at_physical_addresses),
        T(test_loader_loads_big_endian_elf64),
        T(test_loader_without_section_headers_has_no_symbols),
        T(test_loader_loads_elf_from_a_file),
        T(test_loader_missing_elf_file_names_the_path),
        T(test_loader_refuses_every_truncation),
        T(test_loader_refuses_bad_magic),
        T(test_loader_refuses_unknown_class),
        T(test_loader_refuses_unknown_byte_order),
        T(test_loader_refuses_relocatable_object),
        T(test_loader_refuses_program_headers_beyond_file),
        T(test_loader_refuses_huge_phnum),
        T(test_loader_refuses_wrong_phentsize),
        T(test_loader_refuses_segment_beyond_file),
        T(test_loader_refuses_segment_size_overflowing_offset),
        T(test_loader_refuses_filesz_above_memsz),
        T(test_loader_refuses_address_overflow),
        T(test_loader_refuses_address_overflow_elf64),
        T(test_loader_refuses_section_table_beyond_file),
        T(test_loader_refuses_too_many_sections),
        T(test_loader_refuses_wrong_shentsize),
        T(test_loader_refuses_section_count_without_table),
        T(test_loader_refuses_symbol_name_outside_string_table),
        T(test_loader_refuses_unterminated_symbol_name),
        T(test_loader_refuses_symbol_table_beyond_file),
        T(test_loader_refuses_symbol_table_with_odd_entry_size),
        T(test_loader_refuses_symbol_table_link_out_of_range),
        T(test_loader_refuses_symbol_table_linked_to_non_strings),
        T(test_loader_refuses_string_table_beyond_file),
        T(test_loader_refuses_image_without_loadable_segment),
        T(test_loader_refuses_image_without_program_headers),
        T(test_loader_segment_over_unmapped_space_names_segment_and_address),
        T(test_loader_segment_running_off_ram_names_first_unmapped_byte),
        T(test_loader_raw_file_lands_at_address),
        T(test_loader_raw_missing_file_names_the_path),
        T(test_loader_raw_over_unmapped_space_names_the_address),
        T(test_loader_survives_random_corruption),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
