/* Unit tests for user/loader.c: ELF32 ARM images built here byte by byte are
 * loaded into the guest space; the segments, the break, the interpreter and
 * the initial stack (argc, argv, envp, auxv) are read back from guest
 * memory. No translator is needed. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "user.h"

/* ---- Building images ----------------------------------------------------------- */

typedef struct seg {
    uint32_t type, vaddr, filesz, memsz, flags;
    uint8_t fill; /* the file bytes */
} seg;

typedef struct image {
    uint8_t data[0x4000];
    size_t size;
} image;

/* An ARM EABI executable: header, program headers, then each segment's
 * bytes at 4 KiB-aligned offsets congruent to their addresses. The first
 * PT_LOAD covers the headers when it starts at offset 0 (fill 0). */
static void build(image *im, uint16_t type, uint32_t entry, const seg *segs, unsigned n, const char *interp)
{
    memset(im, 0, sizeof *im);
    Elf32_Ehdr *eh = (Elf32_Ehdr *)im->data;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS32;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = type;
    eh->e_machine = EM_ARM;
    eh->e_version = EV_CURRENT;
    eh->e_entry = entry;
    eh->e_phoff = sizeof *eh;
    eh->e_flags = EF_ARM_EABI_VER5 | 0x400; /* hard float */
    eh->e_ehsize = sizeof *eh;
    eh->e_phentsize = sizeof(Elf32_Phdr);
    eh->e_phnum = (uint16_t)(n + (interp ? 1 : 0));
    Elf32_Phdr *ph = (Elf32_Phdr *)(im->data + sizeof *eh);
    size_t off = 0x1000;
    unsigned k = 0;
    if (interp) {
        size_t at = sizeof *eh + eh->e_phnum * sizeof *ph;
        strcpy((char *)im->data + at, interp);
        ph[k++] = (Elf32_Phdr){.p_type = PT_INTERP, .p_offset = (uint32_t)at, .p_vaddr = 0,
                               .p_filesz = (uint32_t)strlen(interp) + 1, .p_memsz = (uint32_t)strlen(interp) + 1,
                               .p_flags = PF_R, .p_align = 1};
    }
    for (unsigned i = 0; i < n; i++, k++) {
        uint32_t o;
        if (segs[i].fill == 0 && segs[i].type == PT_LOAD && (segs[i].vaddr & 0xfff) == 0) {
            o = 0; /* the segment that holds the headers */
        } else {
            o = (uint32_t)off + (segs[i].vaddr & 0xfff);
            memset(im->data + o, segs[i].fill, segs[i].filesz);
            off = (o + segs[i].filesz + 0xfff) & ~(size_t)0xfff;
        }
        ph[k] = (Elf32_Phdr){.p_type = segs[i].type, .p_offset = o, .p_vaddr = segs[i].vaddr,
                             .p_paddr = segs[i].vaddr, .p_filesz = segs[i].filesz, .p_memsz = segs[i].memsz,
                             .p_flags = segs[i].flags, .p_align = 0x1000};
        if (o + segs[i].filesz > im->size) im->size = o + segs[i].filesz;
    }
    if (im->size < off) im->size = off;
}

static char tmpdir[64];

static const char *write_file(const char *name, const void *data, size_t size)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    fclose(f);
    return path;
}

static int setup(void **st)
{
    strcpy(tmpdir, "/tmp/loom-user-test.XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    loom_sim *sim;
    if (loom_sim_new(&sim)) return -1;
    *st = sim;
    return 0;
}

static int teardown(void **st)
{
    loom_sim_free(*st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static loom_user *new_user(loom_sim *sim, const char *sysroot)
{
    loom_user_opts o = {.sysroot = sysroot, .hwcap = USER_ARM_HWCAP_CORTEX_A15};
    loom_user *u;
    assert_int_equal(loom_user_new(sim, &o, &u), LOOM_OK);
    return u;
}

/* A static program: text at 0x10000 (headers included), data + bss. */
static const seg static_segs[] = {
    {PT_LOAD, 0x10000, 0x800, 0x800, PF_R | PF_X, 0},
    {PT_LOAD, 0x21f00, 0x140, 0x2100, PF_R | PF_W, 0xab},
};

static uint32_t rd32(loom_user *u, uint32_t a)
{
    uint32_t v;
    memcpy(&v, u->guest_base + a, 4);
    return v;
}

/* ---- Tests ----------------------------------------------------------------------- */

static void test_user_reserves_the_whole_guest_space(void **st)
{
    loom_user *u = new_user(*st, NULL);
    assert_non_null(u->guest_base);
    assert_null(user_ptr(u, 0x10000, 4, USER_PROT_READ));
    assert_true(user_range_free(u, 0, USER_GUEST_SIZE - USER_PAGE_SIZE));
    assert_int_equal(user_map(u, 0xfffff000u, 0x1000, USER_PROT_READ | USER_PROT_WRITE), 0);
    assert_non_null(user_ptr(u, 0xfffffffcu, 4, USER_PROT_WRITE));
    assert_null(user_ptr(u, 0xfffffffeu, 4, USER_PROT_READ)); /* past 4 GiB */
    loom_user_free(u);
}

static void test_user_loads_segments_with_protections_and_zeroed_bss(void **st)
{
    image im;
    build(&im, ET_EXEC, 0x10054, static_segs, 2, NULL);
    loom_user *u = new_user(*st, NULL);
    assert_int_equal(loom_user_load(u, write_file("static", im.data, im.size)), LOOM_OK);
    assert_int_equal(u->exe.entry, 0x10054);
    assert_int_equal(u->start_pc, 0x10054);
    assert_false(u->has_interp);
    assert_int_equal(u->exe.phdr, 0x10000 + sizeof(Elf32_Ehdr));
    assert_int_equal(u->exe.phnum, 2);
    /* Text: the headers are there, read and execute, not write. */
    assert_memory_equal(u->guest_base + 0x10000, ELFMAG, SELFMAG);
    assert_int_equal(u->pages[0x10], USER_PAGE_MAPPED | USER_PROT_READ | USER_PROT_EXEC);
    assert_null(user_ptr(u, 0x10000, 4, USER_PROT_WRITE));
    /* Data: file bytes, then bss zero to the end of memsz and its page. */
    assert_int_equal(u->guest_base[0x21f00], 0xab);
    assert_int_equal(u->guest_base[0x21f00 + 0x13f], 0xab);
    assert_int_equal(u->guest_base[0x21f00 + 0x140], 0);
    for (uint32_t a = 0x21f00 + 0x140; a < 0x24000; a++) assert_int_equal(u->guest_base[a], 0);
    assert_int_equal(u->pages[0x21], USER_PAGE_MAPPED | USER_PROT_READ | USER_PROT_WRITE);
    assert_int_equal(u->pages[0x23], USER_PAGE_MAPPED | USER_PROT_READ | USER_PROT_WRITE);
    assert_int_equal(u->pages[0x24], 0);
    assert_int_equal(u->pages[0x11], 0); /* nothing between the segments */
    /* The break starts on the page after the highest segment. */
    assert_int_equal(u->brk_start, 0x24000);
    assert_int_equal(u->brk, 0x24000);
    loom_user_free(u);
}

static void test_user_brk_grows_and_shrinks_with_zeroed_pages(void **st)
{
    image im;
    build(&im, ET_EXEC, 0x10054, static_segs, 2, NULL);
    loom_user *u = new_user(*st, NULL);
    assert_int_equal(loom_user_load(u, write_file("static", im.data, im.size)), LOOM_OK);
    assert_int_equal(user_brk(u, 0), 0x24000);          /* a query */
    assert_int_equal(user_brk(u, 0x24878), 0x24878);
    assert_non_null(user_ptr(u, 0x24000, 0x1000, USER_PROT_WRITE));
    memset(u->guest_base + 0x24000, 0x5a, 0x878);
    assert_int_equal(user_brk(u, 0x46000), 0x46000);
    assert_int_equal(u->guest_base[0x45fff], 0);
    assert_int_equal(user_brk(u, 0x24100), 0x24100);    /* shrink */
    assert_null(user_ptr(u, 0x25000, 4, USER_PROT_READ));
    assert_int_equal(user_brk(u, 0x25000), 0x25000);    /* grow again: zero */
    assert_int_equal(u->guest_base[0x24200], 0);
    assert_int_equal(user_brk(u, 0x1000), 0x25000);     /* below the start: refused */
    loom_user_free(u);
}

static void test_user_allocator_is_first_fit_above_the_program(void **st)
{
    image im;
    build(&im, ET_EXEC, 0x10054, static_segs, 2, NULL);
    loom_user *u = new_user(*st, NULL);
    assert_int_equal(loom_user_load(u, write_file("static", im.data, im.size)), LOOM_OK);
    char *argv[] = {"p", NULL}, *envp[] = {NULL};
    assert_int_equal(loom_user_setup_stack(u, 1, argv, envp), LOOM_OK);
    uint32_t a = user_find_free(u, u->mmap_base, 0x3000);
    assert_int_equal(a, USER_INTERP_BASE);
    assert_int_equal(user_map(u, a, 0x3000, USER_PROT_READ), 0);
    uint32_t b = user_find_free(u, u->mmap_base, 0x1000);
    assert_int_equal(b, a + 0x3000);
    assert_int_equal(user_unmap(u, a + 0x1000, 0x1000), 0);
    assert_int_equal(user_find_free(u, u->mmap_base, 0x1000), a + 0x1000); /* the hole */
    assert_int_equal(user_find_free(u, u->mmap_base, 0x2000), b);
    /* Never into the stack or its guard page. */
    assert_int_equal(user_find_free(u, u->stack_low - 0x1000, 0x2000), 0);
    loom_user_free(u);
}

/* Read the stack back the way a C library's _start does. */
static void test_user_initial_stack_has_argv_envp_and_auxv(void **st)
{
    image im;
    build(&im, ET_EXEC, 0x10054, static_segs, 2, NULL);
    loom_user *u = new_user(*st, NULL);
    const char *path = write_file("static", im.data, im.size);
    assert_int_equal(loom_user_load(u, path), LOOM_OK);
    char *argv[] = {"prog", "one", "two words", NULL};
    char *envp[] = {"A=1", "LOOM_TEST=yes", NULL};
    assert_int_equal(loom_user_setup_stack(u, 3, argv, envp), LOOM_OK);
    uint32_t sp = u->sp;
    assert_int_equal(sp % 8, 0);
    assert_true(sp < USER_STACK_TOP && sp > USER_STACK_TOP - USER_STACK_SIZE);
    assert_int_equal(rd32(u, sp), 3);
    for (int i = 0; i < 3; i++) assert_string_equal((char *)u->guest_base + rd32(u, sp + 4 + 4 * i), argv[i]);
    assert_int_equal(rd32(u, sp + 16), 0);
    uint32_t e = sp + 20;
    assert_string_equal((char *)u->guest_base + rd32(u, e), "A=1");
    assert_string_equal((char *)u->guest_base + rd32(u, e + 4), "LOOM_TEST=yes");
    assert_int_equal(rd32(u, e + 8), 0);
    uint32_t aux[64] = {0};
    bool seen[64] = {0};
    uint32_t a = e + 12;
    for (;; a += 8) {
        uint32_t type = rd32(u, a), val = rd32(u, a + 4);
        if (type == AT_NULL) break;
        assert_true(type < 64);
        assert_false(seen[type]); /* each once */
        seen[type] = true;
        aux[type] = val;
    }
    assert_int_equal(aux[AT_PHDR], 0x10000 + sizeof(Elf32_Ehdr));
    assert_int_equal(aux[AT_PHENT], sizeof(Elf32_Phdr));
    assert_int_equal(aux[AT_PHNUM], 2);
    assert_int_equal(aux[AT_PAGESZ], 4096);
    assert_true(seen[AT_BASE] && aux[AT_BASE] == 0);
    assert_true(seen[AT_FLAGS] && aux[AT_FLAGS] == 0);
    assert_int_equal(aux[AT_ENTRY], 0x10054);
    assert_int_equal(aux[AT_UID], getuid());
    assert_int_equal(aux[AT_EUID], geteuid());
    assert_int_equal(aux[AT_GID], getgid());
    assert_int_equal(aux[AT_EGID], getegid());
    assert_true(seen[AT_SECURE] && aux[AT_SECURE] == 0);
    /* SWP HALF THUMB FAST_MULT VFP EDSP TLS VFPv3 IDIVA IDIVT VFPD32 LPAE */
    assert_int_equal(aux[AT_HWCAP], 0x1ea0d7);
    assert_true(seen[AT_HWCAP2] && aux[AT_HWCAP2] == 0);
    assert_string_equal((char *)u->guest_base + aux[AT_PLATFORM], "v7l");
    assert_string_equal((char *)u->guest_base + aux[AT_EXECFN], path);
    assert_true(aux[AT_RANDOM] > sp && aux[AT_RANDOM] + 16 <= USER_STACK_TOP);
    /* Everything the pointers name lies above the vectors, on the stack. */
    assert_true(aux[AT_PLATFORM] > a && aux[AT_EXECFN] > a);
    /* The guard page below the stack stays unmapped. */
    assert_null(user_ptr(u, USER_STACK_TOP - USER_STACK_SIZE - 4, 4, USER_PROT_READ));
    assert_non_null(user_ptr(u, USER_STACK_TOP - USER_STACK_SIZE, 4, USER_PROT_WRITE));
    loom_user_free(u);
}

static void random_bytes(loom_sim *sim, const char *path, uint64_t seed, uint8_t out[16])
{
    loom_user_opts o = {.seed = seed};
    loom_user *u;
    assert_int_equal(loom_user_new(sim, &o, &u), LOOM_OK);
    assert_int_equal(loom_user_load(u, path), LOOM_OK);
    char *argv[] = {"p", NULL};
    assert_int_equal(loom_user_setup_stack(u, 1, argv, NULL), LOOM_OK);
    memcpy(out, u->guest_base + u->random_addr, 16);
    loom_user_free(u);
}

static void test_user_at_random_follows_the_seed(void **st)
{
    image im;
    build(&im, ET_EXEC, 0x10054, static_segs, 2, NULL);
    const char *path = write_file("static", im.data, im.size);
    uint8_t a[16], b[16], c[16], zero[16] = {0};
    random_bytes(*st, path, 0, a); /* 0: the default seed */
    random_bytes(*st, path, 0, b);
    random_bytes(*st, path, 1234, c);
    assert_memory_equal(a, b, 16);
    assert_memory_not_equal(a, c, 16);
    assert_memory_not_equal(a, zero, 16);
}

static void test_user_loads_the_interpreter_from_the_sysroot(void **st)
{
    /* The interpreter: position independent, its own entry. */
    static const seg interp_segs[] = {
        {PT_LOAD, 0x0, 0x400, 0x400, PF_R | PF_X, 0},
        {PT_LOAD, 0x1f00, 0x20, 0x200, PF_R | PF_W, 0x11},
    };
    image ii;
    build(&ii, ET_DYN, 0x121, interp_segs, 2, NULL);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/sysroot", tmpdir);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/sysroot/lib", tmpdir);
    mkdir(dir, 0755);
    write_file("sysroot/lib/ld-test.so.1", ii.data, ii.size);
    /* A position-independent program that names it. */
    static const seg pie_segs[] = {
        {PT_LOAD, 0x0, 0x600, 0x600, PF_R | PF_X, 0},
        {PT_LOAD, 0x1f00, 0x10, 0x100, PF_R | PF_W, 0x22},
    };
    image pi;
    build(&pi, ET_DYN, 0x301, pie_segs, 2, "/lib/ld-test.so.1");
    const char *path = write_file("pie", pi.data, pi.size);

    /* Without -L: a clear refusal. */
    loom_user *u = new_user(*st, NULL);
    assert_int_equal(loom_user_load(u, path), LOOM_E_NOTFOUND);
    assert_non_null(strstr(loom_sim_last_error(*st), "-L"));
    assert_non_null(strstr(loom_sim_last_error(*st), "/lib/ld-test.so.1"));
    loom_user_free(u);

    char sysroot[128];
    snprintf(sysroot, sizeof sysroot, "%s/sysroot", tmpdir);
    u = new_user(*st, sysroot);
    assert_int_equal(loom_user_load(u, path), LOOM_OK);
    assert_true(u->has_interp);
    assert_int_equal(u->exe.bias, USER_PIE_BASE);
    assert_int_equal(u->exe.entry, USER_PIE_BASE + 0x301);
    assert_int_equal(u->interp.bias, USER_INTERP_BASE);
    assert_int_equal(u->start_pc, USER_INTERP_BASE + 0x121); /* Thumb bit kept */
    assert_int_equal(u->guest_base[USER_INTERP_BASE + 0x1f00], 0x11);
    assert_int_equal(u->guest_base[USER_PIE_BASE + 0x1f00], 0x22);
    assert_int_equal(u->brk_start, USER_PIE_BASE + 0x2000);
    assert_true(u->mmap_base > USER_INTERP_BASE + 0x2000);
    char *argv[] = {"pie", NULL};
    assert_int_equal(loom_user_setup_stack(u, 1, argv, NULL), LOOM_OK);
    uint32_t a = u->sp + 16; /* past argc, argv[0], NULL and the empty envp's NULL */
    uint32_t base = 0, entry = 0, phdr = 0;
    for (; rd32(u, a) != AT_NULL; a += 8) {
        if (rd32(u, a) == AT_BASE) base = rd32(u, a + 4);
        if (rd32(u, a) == AT_ENTRY) entry = rd32(u, a + 4);
        if (rd32(u, a) == AT_PHDR) phdr = rd32(u, a + 4);
    }
    assert_int_equal(base, USER_INTERP_BASE);
    assert_int_equal(entry, USER_PIE_BASE + 0x301);
    assert_int_equal(phdr, USER_PIE_BASE + sizeof(Elf32_Ehdr));
    loom_user_free(u);

    /* A sysroot without it. */
    u = new_user(*st, tmpdir);
    assert_int_equal(loom_user_load(u, path), LOOM_E_NOTFOUND);
    assert_non_null(strstr(loom_sim_last_error(*st), "not found in sysroot"));
    loom_user_free(u);
}

/* Each malformed file is refused with words that say why. */
static void expect_refusal(loom_sim *sim, const char *name, const void *data, size_t size, const char *words)
{
    loom_user *u = new_user(sim, NULL);
    loom_err e = loom_user_load(u, write_file(name, data, size));
    if (e == LOOM_OK) fail_msg("'%s' was loaded", name);
    if (!strstr(loom_sim_last_error(sim), words)) fail_msg("'%s' lacks '%s'", loom_sim_last_error(sim), words);
    /* Nothing was left mapped. */
    assert_true(user_range_free(u, 0x10000, 0x20000));
    loom_user_free(u);
}

static void test_user_refuses_what_it_cannot_run(void **st)
{
    image im;
    build(&im, ET_EXEC, 0x10054, static_segs, 2, NULL);
    Elf32_Ehdr *eh = (Elf32_Ehdr *)im.data;

    expect_refusal(*st, "text", "#!/bin/sh\necho hi\n", 18, "not an ELF file");
    expect_refusal(*st, "short", im.data, 30, "truncated");
    expect_refusal(*st, "cut", im.data, 0x1010, "truncated");

    image x = im;
    x.data[EI_CLASS] = ELFCLASS64;
    expect_refusal(*st, "elf64", x.data, x.size, "64-bit");
    x = im;
    x.data[EI_DATA] = ELFDATA2MSB;
    expect_refusal(*st, "be", x.data, x.size, "big-endian");
    x = im;
    ((Elf32_Ehdr *)x.data)->e_machine = EM_X86_64;
    expect_refusal(*st, "x86", x.data, x.size, "x86-64, not ARM");
    x = im;
    ((Elf32_Ehdr *)x.data)->e_machine = 0x1234;
    expect_refusal(*st, "odd", x.data, x.size, "not ARM");
    x = im;
    ((Elf32_Ehdr *)x.data)->e_type = ET_REL;
    expect_refusal(*st, "obj", x.data, x.size, "not an executable");
    x = im;
    ((Elf32_Ehdr *)x.data)->e_type = ET_CORE;
    expect_refusal(*st, "core", x.data, x.size, "core dump");
    x = im;
    ((Elf32_Ehdr *)x.data)->e_flags = 0;
    expect_refusal(*st, "oabi", x.data, x.size, "OABI");
    x = im;
    ((Elf32_Ehdr *)x.data)->e_phnum = 1000;
    expect_refusal(*st, "phnum", x.data, x.size, "program headers");
    x = im;
    ((Elf32_Phdr *)(x.data + eh->e_phoff))[1].p_memsz = 0x100; /* < filesz */
    expect_refusal(*st, "filesz", x.data, x.size, "more file bytes");
    x = im;
    ((Elf32_Phdr *)(x.data + eh->e_phoff))[1].p_vaddr = 0xfffff000u;
    expect_refusal(*st, "wrap", x.data, x.size, "past 4 GiB");

    loom_user *u = new_user(*st, NULL);
    assert_int_equal(loom_user_load(u, "/nonexistent/program"), LOOM_E_IO);
    assert_non_null(strstr(loom_sim_last_error(*st), "/nonexistent/program"));
    loom_user_free(u);
}

/* A real program from the cross compiler, when there is one. */
static void test_user_loads_a_cross_compiled_program(void **st)
{
    if (system("command -v arm-linux-gnueabihf-gcc >/dev/null 2>&1")) skip();
    char src[256], exe[256], cmd[1024];
    snprintf(src, sizeof src, "%s/start.S", tmpdir);
    snprintf(exe, sizeof exe, "%s/start", tmpdir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fputs(".arm\n.global _start\n_start: mov r7, #248\n svc 0\n.data\nvalue: .word 0x12345678\n.bss\n"
          "buf: .space 100000\n",
          f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "arm-linux-gnueabihf-gcc -static -nostdlib -o %s %s", exe, src);
    assert_int_equal(system(cmd), 0);
    loom_user *u = new_user(*st, NULL);
    assert_int_equal(loom_user_load(u, exe), LOOM_OK);
    assert_false(u->has_interp);
    /* mov r7, #248 at the entry, in A32. */
    assert_int_equal(rd32(u, u->exe.entry), 0xe3a070f8);
    assert_true(u->brk_start >= u->exe.high && u->brk_start % 4096 == 0);
    assert_true(u->exe.high - u->exe.low > 100000);
    char *argv[] = {exe, NULL};
    assert_int_equal(loom_user_setup_stack(u, 1, argv, NULL), LOOM_OK);
    loom_user_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_reserves_the_whole_guest_space),
        cmocka_unit_test(test_user_loads_segments_with_protections_and_zeroed_bss),
        cmocka_unit_test(test_user_brk_grows_and_shrinks_with_zeroed_pages),
        cmocka_unit_test(test_user_allocator_is_first_fit_above_the_program),
        cmocka_unit_test(test_user_initial_stack_has_argv_envp_and_auxv),
        cmocka_unit_test(test_user_at_random_follows_the_seed),
        cmocka_unit_test(test_user_loads_the_interpreter_from_the_sysroot),
        cmocka_unit_test(test_user_refuses_what_it_cannot_run),
        cmocka_unit_test(test_user_loads_a_cross_compiled_program),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
