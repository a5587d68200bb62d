/* Linux user mode: the guest address space, its page map, the ELF loader
 * (program and interpreter) and the initial stack the kernel would build. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user.h"

/* ---- The address space -------------------------------------------------- */

loom_err loom_user_new(loom_sim *sim, const loom_user_opts *opts, loom_user **out)
{
    *out = NULL;
    if (sysconf(_SC_PAGESIZE) != USER_PAGE_SIZE)
        return loom_sim_error(sim, LOOM_E_UNSUPPORTED, "user mode needs a host with 4 KiB pages");
    loom_user *u = calloc(1, sizeof *u);
    if (!u) return loom_sim_error(sim, LOOM_E_NOMEM, "out of memory");
    u->sim = sim;
    if (opts) u->opts = *opts;
    if (!u->opts.seed) u->opts.seed = USER_DEFAULT_SEED;
    if (!u->opts.platform) u->opts.platform = "v7l";
    u->rng = u->opts.seed ^ 0x9e3779b97f4a7c15ull;
    u->pages = calloc(USER_NPAGES, 1);
    void *base = mmap(NULL, USER_RESERVE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (!u->pages || base == MAP_FAILED) {
        int err = errno;
        free(u->pages);
        free(u);
        return loom_sim_error(sim, LOOM_E_NOMEM, "cannot reserve the 4 GiB guest address space: %s",
                              strerror(err));
    }
    u->guest_base = base;
    u->mmap_base = USER_INTERP_BASE;
    *out = u;
    return LOOM_OK;
}

void loom_user_free(loom_user *u)
{
    if (!u) return;
    user_ipc_free(u);
    munmap(u->guest_base, USER_RESERVE_SIZE);
    free(u->pages);
    free(u->exe_path);
    free(u->exe_real);
    free(u);
}

static int host_prot(unsigned prot)
{
    /* The translator reads code with ordinary loads: executable means readable. */
    int p = 0;
    if (prot & (USER_PROT_READ | USER_PROT_EXEC)) p |= PROT_READ;
    if (prot & USER_PROT_WRITE) p |= PROT_WRITE;
    return p;
}

static bool range_ok(uint32_t addr, uint64_t len)
{
    return len && (uint64_t)addr + len <= USER_GUEST_SIZE;
}

static void invalidate(loom_user *u, uint32_t addr, uint64_t len)
{
    if (u->invalidate && len) u->invalidate(u->invalidate_opaque, addr, (uint32_t)(addr + len - 1));
}

int user_map(loom_user *u, uint32_t addr, uint32_t len, unsigned prot)
{
    if ((addr | len) & (USER_PAGE_SIZE - 1) || !range_ok(addr, len)) return -EINVAL;
    void *p = mmap(u->guest_base + addr, len, host_prot(prot), MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) return -errno;
    memset(u->pages + (addr >> USER_PAGE_BITS), USER_PAGE_MAPPED | (prot & 7), len >> USER_PAGE_BITS);
    invalidate(u, addr, len);
    return 0;
}

int user_unmap(loom_user *u, uint32_t addr, uint32_t len)
{
    if ((addr | len) & (USER_PAGE_SIZE - 1) || !range_ok(addr, len)) return -EINVAL;
    /* Put the reservation back: the pages become inaccessible again. */
    void *p = mmap(u->guest_base + addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) return -errno;
    uint8_t *pg = u->pages + (addr >> USER_PAGE_BITS);
    for (uint32_t i = 0; i < len >> USER_PAGE_BITS; i++) pg[i] &= USER_PAGE_RESERVED;
    invalidate(u, addr, len);
    return 0;
}

int user_protect(loom_user *u, uint32_t addr, uint32_t len, unsigned prot)
{
    if (addr & (USER_PAGE_SIZE - 1)) return -EINVAL;
    uint64_t l = user_page_up(len);
    if (!len) return 0;
    if (!l || !range_ok(addr, l)) return -ENOMEM; /* l == 0: wrapped past 4 GiB */
    uint8_t *pg = u->pages + (addr >> USER_PAGE_BITS);
    for (uint64_t i = 0; i < l >> USER_PAGE_BITS; i++)
        if (!(pg[i] & USER_PAGE_MAPPED)) return -ENOMEM;
    if (mprotect(u->guest_base + addr, l, host_prot(prot))) return -errno;
    for (uint64_t i = 0; i < l >> USER_PAGE_BITS; i++)
        pg[i] = (uint8_t)((pg[i] & ~7u) | (prot & 7));
    invalidate(u, addr, l);
    return 0;
}

bool user_range_free(const loom_user *u, uint32_t addr, uint64_t len)
{
    if (!range_ok(addr, len)) return false;
    uint32_t first = addr >> USER_PAGE_BITS, n = (uint32_t)((len + USER_PAGE_SIZE - 1) >> USER_PAGE_BITS);
    for (uint32_t i = 0; i < n; i++)
        if (u->pages[first + i]) return false;
    return true;
}

uint32_t user_find_free(loom_user *u, uint32_t from, uint32_t len)
{
    uint32_t n = user_page_up(len) >> USER_PAGE_BITS;
    if (!n) return 0;
    uint32_t limit = u->stack_low ? u->stack_low >> USER_PAGE_BITS : USER_NPAGES;
    uint32_t run = 0;
    for (uint32_t p = from >> USER_PAGE_BITS; p < limit; p++) {
        run = u->pages[p] ? 0 : run + 1;
        if (run == n) return (p + 1 - n) << USER_PAGE_BITS;
    }
    return 0;
}

void *user_ptr(const loom_user *u, uint32_t addr, uint32_t len, unsigned prot)
{
    if (!len) return u->guest_base + addr;
    if ((uint64_t)addr + len > USER_GUEST_SIZE) return NULL;
    for (uint64_t p = addr >> USER_PAGE_BITS; p <= ((uint64_t)addr + len - 1) >> USER_PAGE_BITS; p++) {
        uint8_t f = u->pages[p];
        if (!(f & USER_PAGE_MAPPED) || (f & prot) != prot) return NULL;
    }
    return u->guest_base + addr;
}

const char *user_str(const loom_user *u, uint32_t addr, size_t max)
{
    for (uint64_t a = addr, n = 0; n < max; ) {
        if (a >= USER_GUEST_SIZE) return NULL;
        uint8_t f = u->pages[a >> USER_PAGE_BITS];
        if (!(f & USER_PAGE_MAPPED) || !(f & USER_PROT_READ)) return NULL;
        uint64_t end = (a | (USER_PAGE_SIZE - 1)) + 1;
        for (; a < end && n < max; a++, n++)
            if (!u->guest_base[a]) return (const char *)u->guest_base + addr;
    }
    return NULL;
}

uint32_t user_brk(loom_user *u, uint32_t want)
{
    if (want < u->brk_start) return u->brk;
    uint32_t old_end = user_page_up(u->brk), new_end = user_page_up(want);
    if (new_end < want) return u->brk; /* wrapped past 4 GiB */
    if (new_end > old_end) {
        if (!user_range_free(u, old_end, new_end - old_end)) return u->brk;
        if (user_map(u, old_end, new_end - old_end, USER_PROT_READ | USER_PROT_WRITE)) return u->brk;
    } else if (new_end < old_end) {
        user_unmap(u, new_end, old_end - new_end);
    }
    if (want < u->brk) {
        /* What is given back and later taken again reads as zero. */
        uint32_t end = u->brk < new_end ? u->brk : new_end;
        if (end > want) memset(u->guest_base + want, 0, end - want);
    }
    u->brk = want;
    return want;
}

/* ---- ELF files -------------------------------------------------------------- */

static loom_err read_file(loom_user *u, const char *path, uint8_t **data, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return loom_sim_error(u->sim, LOOM_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return loom_sim_error(u->sim, LOOM_E_IO, "'%s' is not a regular file", path);
    }
    uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf) {
        close(fd);
        return loom_sim_error(u->sim, LOOM_E_NOMEM, "out of memory reading '%s'", path);
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            int err = n < 0 ? errno : EIO;
            close(fd);
            free(buf);
            return loom_sim_error(u->sim, LOOM_E_IO, "cannot read '%s': %s", path, strerror(err));
        }
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *size = got;
    return LOOM_OK;
}

static const char *machine_name(unsigned m)
{
    switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "AArch64";
    case EM_MIPS: return "MIPS";
    case EM_PPC: return "PowerPC";
    case EM_PPC64: return "PowerPC64";
    case EM_SPARC: return "SPARC";
    case EM_RISCV: return "RISC-V";
    case EM_XTENSA: return "Xtensa";
    default: return NULL;
    }
}

/* Check the header and the program headers; say what is wrong in words. */
static loom_err check_elf(loom_user *u, const char *path, const uint8_t *img, size_t size)
{
    if (size < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is not an ELF file", path);
    if (img[EI_CLASS] == ELFCLASS64)
        return loom_sim_error(u->sim, LOOM_E_FORMAT,
                              "'%s' is a 64-bit ELF file; user mode for arm runs 32-bit ARM programs", path);
    if (img[EI_CLASS] != ELFCLASS32)
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s': unknown ELF class %u", path, img[EI_CLASS]);
    if (img[EI_DATA] != ELFDATA2LSB)
        return loom_sim_error(u->sim, LOOM_E_FORMAT,
                              "'%s' is big-endian; user mode for arm runs little-endian programs", path);
    if (size < sizeof(Elf32_Ehdr))
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is truncated: %zu bytes, not even an ELF header",
                              path, size);
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
    if (eh->e_machine != EM_ARM) {
        const char *m = machine_name(eh->e_machine);
        if (m)
            return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is for %s, not ARM", path, m);
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is for machine %u, not ARM (%u)", path,
                              eh->e_machine, EM_ARM);
    }
    if (eh->e_type == ET_REL)
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is a relocatable object, not an executable", path);
    if (eh->e_type == ET_CORE)
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is a core dump, not an executable", path);
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is not an executable (ELF type %u)", path, eh->e_type);
    if ((eh->e_flags & EF_ARM_EABIMASK) == 0)
        return loom_sim_error(u->sim, LOOM_E_FORMAT,
                              "'%s' uses the old ARM ABI (OABI); only EABI programs are supported", path);
    if (eh->e_phentsize != sizeof(Elf32_Phdr) || !eh->e_phnum)
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' has no usable program headers", path);
    if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) > size - eh->e_phoff)
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' is truncated: the program headers end past the file",
                              path);
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(img + eh->e_phoff);
    bool any = false;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_INTERP &&
            (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset || !ph[i].p_filesz ||
             img[ph[i].p_offset + ph[i].p_filesz - 1]))
            return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s': the interpreter name is malformed", path);
        if (ph[i].p_type != PT_LOAD) continue;
        any = true;
        if (ph[i].p_offset > size || ph[i].p_filesz > size - ph[i].p_offset)
            return loom_sim_error(u->sim, LOOM_E_FORMAT,
                                  "'%s' is truncated: segment %u (at 0x%08x) needs %u bytes at offset 0x%x", path,
                                  i, ph[i].p_vaddr, ph[i].p_filesz, ph[i].p_offset);
        if (ph[i].p_filesz > ph[i].p_memsz)
            return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s': segment %u has more file bytes than memory", path,
                                  i);
        if ((uint64_t)ph[i].p_vaddr + ph[i].p_memsz > USER_GUEST_SIZE)
            return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s': segment %u runs past 4 GiB", path, i);
    }
    if (!any) return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' has no loadable segments", path);
    return LOOM_OK;
}

static unsigned seg_prot(uint32_t pf)
{
    return (pf & PF_R ? USER_PROT_READ : 0) | (pf & PF_W ? USER_PROT_WRITE : 0) | (pf & PF_X ? USER_PROT_EXEC : 0);
}

/* Map the PT_LOAD segments at bias (ET_DYN: chosen from base; ET_EXEC: 0). */
static loom_err load_image(loom_user *u, const char *path, const uint8_t *img, size_t size, uint32_t base,
                           user_elf *out)
{
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(img + eh->e_phoff);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD) continue;
        if (ph[i].p_vaddr < lo) lo = ph[i].p_vaddr;
        if ((uint64_t)ph[i].p_vaddr + ph[i].p_memsz > hi) hi = (uint64_t)ph[i].p_vaddr + ph[i].p_memsz;
    }
    uint32_t bias = eh->e_type == ET_DYN ? base - user_page_down((uint32_t)lo) : 0;
    if ((uint64_t)bias + hi > USER_GUEST_SIZE)
        return loom_sim_error(u->sim, LOOM_E_FORMAT, "'%s' does not fit below 4 GiB at 0x%08x", path, base);
    uint32_t start = user_page_down((uint32_t)(lo + bias));
    uint64_t end = user_page_up(hi + bias);
    if (end == 0) end = USER_GUEST_SIZE;
    if (!user_range_free(u, start, end - start))
        return loom_sim_error(u->sim, LOOM_E_ADDRESS, "'%s': [0x%08x, 0x%08llx) overlaps memory already in use",
                              path, start, (unsigned long long)end - 1);
    /* Writable first, so segments that share a page can both be filled;
     * the segments' own protections come afterwards. */
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz) continue;
        uint32_t va = ph[i].p_vaddr + bias;
        uint32_t ps = user_page_down(va);
        uint64_t pe = user_page_up((uint64_t)va + ph[i].p_memsz);
        for (uint64_t p = ps; p < pe; p += USER_PAGE_SIZE)
            if (!(u->pages[p >> USER_PAGE_BITS] & USER_PAGE_MAPPED) &&
                user_map(u, (uint32_t)p, USER_PAGE_SIZE, USER_PROT_READ | USER_PROT_WRITE))
                return loom_sim_error(u->sim, LOOM_E_NOMEM, "'%s': cannot map 0x%08x", path, (uint32_t)p);
        memcpy(u->guest_base + va, img + ph[i].p_offset, ph[i].p_filesz);
        /* The bss tail, and the rest of its last page, read as zero. */
        memset(u->guest_base + va + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
    }
    uint8_t *prot = calloc((size_t)((end - start) >> USER_PAGE_BITS), 1);
    if (!prot) return loom_sim_error(u->sim, LOOM_E_NOMEM, "out of memory");
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz) continue;
        uint32_t va = ph[i].p_vaddr + bias;
        uint64_t pe = user_page_up((uint64_t)va + ph[i].p_memsz);
        for (uint64_t p = user_page_down(va); p < pe; p += USER_PAGE_SIZE)
            prot[(p - start) >> USER_PAGE_BITS] |= (uint8_t)seg_prot(ph[i].p_flags);
    }
    for (uint64_t p = start; p < end; p += USER_PAGE_SIZE) {
        uint8_t want = prot[(p - start) >> USER_PAGE_BITS];
        if ((u->pages[p >> USER_PAGE_BITS] & USER_PAGE_MAPPED) && (u->pages[p >> USER_PAGE_BITS] & 7) != want)
            user_protect(u, (uint32_t)p, USER_PAGE_SIZE, want);
    }
    free(prot);

    memset(out, 0, sizeof *out);
    out->bias = bias;
    out->entry = eh->e_entry + bias;
    out->phnum = eh->e_phnum;
    out->phent = eh->e_phentsize;
    out->low = start;
    out->high = (uint32_t)(hi + bias);
    out->flags = eh->e_flags;
    /* The program headers' guest address: PT_PHDR, or inside the segment
     * that holds the headers' file bytes. */
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_PHDR) out->phdr = ph[i].p_vaddr + bias;
    for (unsigned i = 0; i < eh->e_phnum && !out->phdr; i++)
        if (ph[i].p_type == PT_LOAD && eh->e_phoff >= ph[i].p_offset &&
            eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf32_Phdr) <= (uint64_t)ph[i].p_offset + ph[i].p_filesz)
            out->phdr = ph[i].p_vaddr + bias + (eh->e_phoff - ph[i].p_offset);
    return LOOM_OK;
}

static const char *find_interp(const uint8_t *img)
{
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img;
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(img + eh->e_phoff);
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_INTERP) return (const char *)img + ph[i].p_offset;
    return NULL;
}

loom_err loom_user_load(loom_user *u, const char *path)
{
    uint8_t *img, *iimg = NULL;
    size_t size, isize;
    loom_err e = read_file(u, path, &img, &size);
    if (e) return e;
    e = check_elf(u, path, img, size);
    if (e) goto out;
    const char *interp = find_interp(img);
    char ipath[PATH_MAX];
    if (interp) {
        if (!u->opts.sysroot) {
            e = loom_sim_error(u->sim, LOOM_E_NOTFOUND,
                               "'%s' is dynamically linked and needs its interpreter %s: give the ARM "
                               "sysroot with -L (for Debian's cross libraries: -L /usr/arm-linux-gnueabihf)",
                               path, interp);
            goto out;
        }
        /* Debian's cross sysroots keep the loader in lib/ whatever the
         * program asks for, like QEMU's -L: try the path as asked, then
         * lib/ plus the name. */
        snprintf(ipath, sizeof ipath, "%s%s", u->opts.sysroot, interp);
        if (access(ipath, R_OK)) {
            const char *slash = strrchr(interp, '/');
            char alt[PATH_MAX];
            snprintf(alt, sizeof alt, "%s/lib/%s", u->opts.sysroot, slash ? slash + 1 : interp);
            if (access(alt, R_OK)) {
                e = loom_sim_error(u->sim, LOOM_E_NOTFOUND, "'%s' needs the interpreter %s, not found in sysroot %s",
                                   path, interp, u->opts.sysroot);
                goto out;
            }
            memcpy(ipath, alt, sizeof ipath);
        }
    }
    e = load_image(u, path, img, size, USER_PIE_BASE, &u->exe);
    if (e) goto out;
    u->start_pc = u->exe.entry;
    u->brk_start = u->brk = user_page_up(u->exe.high);
    if (interp) {
        e = read_file(u, ipath, &iimg, &isize);
        if (!e) e = check_elf(u, ipath, iimg, isize);
        if (!e && find_interp(iimg))
            e = loom_sim_error(u->sim, LOOM_E_FORMAT, "the interpreter '%s' asks for an interpreter itself", ipath);
        if (!e) e = load_image(u, ipath, iimg, isize, USER_INTERP_BASE, &u->interp);
        if (e) goto out;
        u->has_interp = true;
        u->start_pc = u->interp.entry;
        /* Leave the interpreter room: ld.so maps libraries after it. */
        u->mmap_base = user_page_up((uint64_t)u->interp.high + USER_PAGE_SIZE);
    } else if (u->exe.high > USER_INTERP_BASE) {
        u->mmap_base = user_page_up((uint64_t)u->exe.high + (16u << 20));
    }
    free(u->exe_path);
    free(u->exe_real);
    u->exe_path = strdup(path);
    u->exe_real = realpath(path, NULL);
    if (!u->exe_path || !u->exe_real) e = loom_sim_error(u->sim, LOOM_E_NOMEM, "out of memory");
out:
    free(img);
    free(iimg);
    return e;
}

/* ---- The initial stack -----------------------------------------------------
 * From the top: strings (execfn, environment, arguments, platform) and the
 * 16 AT_RANDOM bytes, then, 16-byte aligned, argc, argv[], NULL, envp[],
 * NULL, auxv pairs ending with AT_NULL. sp points at argc. */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

loom_err loom_user_setup_stack(loom_user *u, int argc, char *const *argv, char *const *envp)
{
    uint32_t top = USER_STACK_TOP, low = top - USER_STACK_SIZE;
    if (!user_range_free(u, low - USER_PAGE_SIZE, USER_STACK_SIZE + USER_PAGE_SIZE))
        return loom_sim_error(u->sim, LOOM_E_ADDRESS, "the stack [0x%08x, 0x%08x) overlaps the program", low, top);
    if (user_map(u, low, USER_STACK_SIZE, USER_PROT_READ | USER_PROT_WRITE))
        return loom_sim_error(u->sim, LOOM_E_NOMEM, "cannot map the stack");
    u->pages[(low >> USER_PAGE_BITS) - 1] = USER_PAGE_RESERVED; /* the guard page */
    u->stack_low = low - USER_PAGE_SIZE;
    u->stack_top = top;

    size_t envc = 0;
    while (envp && envp[envc]) envc++;
    uint8_t *g = u->guest_base;
    uint32_t p = top - 16;
    /* Strings: the kernel puts the file name at the very top. */
#define PUSH_BYTES(src, n)                                                                          \
    do {                                                                                           \
        size_t n_ = (n);                                                                           \
        if (p - low < n_ + 4096) goto too_big;                                                     \
        p -= (uint32_t)n_;                                                                         \
        memcpy(g + p, (src), n_);                                                                  \
    } while (0)
    uint32_t *envs = calloc(envc + 1, sizeof *envs), *args = calloc((size_t)argc + 1, sizeof *args);
    if (!envs || !args) {
        free(envs);
        free(args);
        return loom_sim_error(u->sim, LOOM_E_NOMEM, "out of memory");
    }
    const char *execfn = u->exe_path ? u->exe_path : (argc ? argv[0] : "");
    PUSH_BYTES(execfn, strlen(execfn) + 1);
    u->execfn_addr = p;
    for (size_t i = envc; i-- > 0;) {
        PUSH_BYTES(envp[i], strlen(envp[i]) + 1);
        envs[i] = p;
    }
    for (int i = argc; i-- > 0;) {
        PUSH_BYTES(argv[i], strlen(argv[i]) + 1);
        args[i] = p;
    }
    PUSH_BYTES(u->opts.platform, strlen(u->opts.platform) + 1);
    u->platform_addr = p;
    uint8_t rnd[16];
    uint64_t s = u->opts.seed;
    for (int i = 0; i < 2; i++) {
        uint64_t v = splitmix64(&s);
        memcpy(rnd + 8 * i, &v, 8);
    }
    p &= ~15u;
    PUSH_BYTES(rnd, 16);
    u->random_addr = p;

    uint32_t aux[][2] = {
        {AT_PHDR, u->exe.phdr},
        {AT_PHENT, u->exe.phent},
        {AT_PHNUM, u->exe.phnum},
        {AT_PAGESZ, USER_PAGE_SIZE},
        {AT_BASE, u->has_interp ? u->interp.bias : 0},
        {AT_FLAGS, 0},
        {AT_ENTRY, u->exe.entry},
        {AT_UID, (uint32_t)getuid()},
        {AT_EUID, (uint32_t)geteuid()},
        {AT_GID, (uint32_t)getgid()},
        {AT_EGID, (uint32_t)getegid()},
        {AT_SECURE, 0},
        {AT_RANDOM, u->random_addr},
        {AT_HWCAP, u->opts.hwcap},
        {AT_HWCAP2, u->opts.hwcap2},
        {AT_CLKTCK, 100},
        {AT_PLATFORM, u->platform_addr},
        {AT_EXECFN, u->execfn_addr},
        {AT_NULL, 0},
    };
    size_t nwords = 1 + (size_t)argc + 1 + envc + 1 + 2 * (sizeof aux / sizeof *aux);
    if (p - low < nwords * 4 + 4096) goto too_big;
    p = (p - (uint32_t)nwords * 4) & ~15u;
    u->sp = p;
    uint32_t *w = (uint32_t *)(g + p);
    *w++ = (uint32_t)argc;
    for (int i = 0; i < argc; i++) *w++ = args[i];
    *w++ = 0;
    for (size_t i = 0; i < envc; i++) *w++ = envs[i];
    *w++ = 0;
    memcpy(w, aux, sizeof aux);
    u->argc = (uint32_t)argc;
    free(envs);
    free(args);
    return LOOM_OK;
too_big:
    free(envs);
    free(args);
    return loom_sim_error(u->sim, LOOM_E_INVAL, "the arguments and environment do not fit in the %u MiB stack",
                          USER_STACK_SIZE >> 20);
#undef PUSH_BYTES
}
