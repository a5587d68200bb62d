/* Linux user-mode emulation: one guest process in a reserved 4 GiB address
 * space, its loader, initial stack, page map and system calls. */
#ifndef LOOM_USER_USER_H
#define LOOM_USER_USER_H

#include <stdio.h>

#include "loom/loom.h"

/* The guest address space: 32 bits, 4 KiB pages. The host reservation is a
 * little longer than 4 GiB so that an access that starts just below 4 GiB
 * and runs past it still lands in the reservation (and faults cleanly). */
#define USER_PAGE_BITS 12u
#define USER_PAGE_SIZE (1u << USER_PAGE_BITS)
#define USER_GUEST_SIZE (1ull << 32)
#define USER_RESERVE_SIZE (USER_GUEST_SIZE + 0x10000u)
#define USER_NPAGES ((uint32_t)(USER_GUEST_SIZE >> USER_PAGE_BITS))

/* Where things go. A position-independent program loads at USER_PIE_BASE,
 * its interpreter at USER_INTERP_BASE; mmap without a fixed address takes
 * the first free range above the interpreter and below the stack. */
#define USER_PIE_BASE 0x00400000u
#define USER_INTERP_BASE 0x40000000u
#define USER_STACK_TOP 0xfffe0000u
#define USER_STACK_SIZE (8u << 20)

/* The page map: a byte per guest page. */
enum {
    USER_PROT_READ = 1,
    USER_PROT_WRITE = 2,
    USER_PROT_EXEC = 4,
    USER_PAGE_MAPPED = 0x40,   /* host memory is there */
    USER_PAGE_RESERVED = 0x80, /* never handed out (stack guard) */
};

/* ARM Linux HWCAP bits (arch/arm/include/uapi/asm/hwcap.h). */
enum {
    USER_ARM_HWCAP_SWP = 1u << 0,
    USER_ARM_HWCAP_HALF = 1u << 1,
    USER_ARM_HWCAP_THUMB = 1u << 2,
    USER_ARM_HWCAP_FAST_MULT = 1u << 4,
    USER_ARM_HWCAP_VFP = 1u << 6,
    USER_ARM_HWCAP_EDSP = 1u << 7,
    USER_ARM_HWCAP_NEON = 1u << 12,
    USER_ARM_HWCAP_VFPv3 = 1u << 13,
    USER_ARM_HWCAP_TLS = 1u << 15,
    USER_ARM_HWCAP_VFPv4 = 1u << 16,
    USER_ARM_HWCAP_IDIVA = 1u << 17,
    USER_ARM_HWCAP_IDIVT = 1u << 18,
    USER_ARM_HWCAP_VFPD32 = 1u << 19,
    USER_ARM_HWCAP_LPAE = 1u << 20,
};
/* Cortex-A15 as Loom models it: no NEON until the translator has it. */
#define USER_ARM_HWCAP_CORTEX_A15                                                                   \
    (USER_ARM_HWCAP_SWP | USER_ARM_HWCAP_HALF | USER_ARM_HWCAP_THUMB | USER_ARM_HWCAP_FAST_MULT |   \
     USER_ARM_HWCAP_VFP | USER_ARM_HWCAP_EDSP | USER_ARM_HWCAP_TLS | USER_ARM_HWCAP_VFPv3 |          \
     USER_ARM_HWCAP_IDIVA | USER_ARM_HWCAP_IDIVT | USER_ARM_HWCAP_VFPD32 | USER_ARM_HWCAP_LPAE)

#define USER_DEFAULT_SEED 0x4c4f4f4d55534552ull /* "LOOMUSER" */

typedef struct loom_user_opts {
    const char *sysroot;  /* -L: where the interpreter and libraries live; NULL: none */
    uint64_t seed;        /* AT_RANDOM and getrandom derive from it */
    uint32_t hwcap, hwcap2;
    const char *platform; /* AT_PLATFORM, "v7l" */
    bool strace;          /* print every system call to the log stream */
} loom_user_opts;

/* What the loader found in one ELF file. */
typedef struct user_elf {
    uint32_t bias;        /* load address minus link address */
    uint32_t entry;       /* with the bias */
    uint32_t phdr;        /* guest address of the program headers (0 if not loaded) */
    uint32_t phnum, phent;
    uint32_t low, high;   /* lowest and one past the highest loaded address */
    uint32_t flags;       /* e_flags */
} user_elf;

typedef struct loom_user {
    loom_sim *sim;
    loom_user_opts opts;
    uint8_t *guest_base;  /* host address of guest address 0 */
    uint8_t *pages;       /* USER_NPAGES bytes: USER_PROT_* | USER_PAGE_* */

    user_elf exe, interp;
    bool has_interp;
    uint32_t start_pc;    /* where the guest begins: the interpreter or the program */
    char *exe_path;       /* as given (AT_EXECFN) */
    char *exe_real;       /* absolute, for /proc/self/exe */

    uint32_t brk_start, brk;  /* the heap: [brk_start, brk) */
    uint32_t mmap_base;       /* first-fit allocation starts here */
    uint32_t stack_low, stack_top, sp;
    uint32_t random_addr, execfn_addr, platform_addr; /* on the initial stack */
    uint32_t argc;

    /* Process state the guest sets up and the emulation records. */
    uint32_t tid_address, robust_list, robust_len;
    uint8_t sigactions[65][20]; /* guest struct sigaction per signal, as given */
    uint64_t sigmask;
    uint32_t altstack[3];
    uint64_t rng;             /* getrandom's generator state */

    bool exited;
    int exit_status;          /* 0..255, or 128 + signal */

    /* Called when guest memory under translated code may have changed
     * (munmap, mprotect, mmap over it, read() into it). */
    void (*invalidate)(void *opaque, uint32_t start, uint32_t end);
    void *invalidate_opaque;
} loom_user;

/* Reserve the guest space. Errors go to the simulation's last error. */
loom_err loom_user_new(loom_sim *sim, const loom_user_opts *opts, loom_user **out);
void loom_user_free(loom_user *u);

/* Load the program (and its interpreter, from the sysroot). The file must
 * be a 32-bit little-endian ARM executable. */
loom_err loom_user_load(loom_user *u, const char *path);
/* Build the initial stack: argv, envp, auxv. envp is NULL-terminated. */
loom_err loom_user_setup_stack(loom_user *u, int argc, char *const *argv, char *const *envp);

/* Guest memory. Addresses and lengths are page-aligned where the kernel
 * requires it; return 0 or a negative errno. */
int user_map(loom_user *u, uint32_t addr, uint32_t len, unsigned prot);
int user_unmap(loom_user *u, uint32_t addr, uint32_t len);
int user_protect(loom_user *u, uint32_t addr, uint32_t len, unsigned prot);
/* First free range of len bytes at or above from; 0 when there is none. */
uint32_t user_find_free(loom_user *u, uint32_t from, uint32_t len);
bool user_range_free(const loom_user *u, uint32_t addr, uint64_t len);
/* The heap: like the brk system call (returns the new or unchanged break). */
uint32_t user_brk(loom_user *u, uint32_t want);
/* Host pointer for [addr, addr+len) if every page is mapped with prot. */
void *user_ptr(const loom_user *u, uint32_t addr, uint32_t len, unsigned prot);
/* Host pointer to a NUL-terminated string of at most max bytes, or NULL. */
const char *user_str(const loom_user *u, uint32_t addr, size_t max);
static inline uint32_t user_page_up(uint64_t a)
{
    return (uint32_t)((a + USER_PAGE_SIZE - 1) & ~(uint64_t)(USER_PAGE_SIZE - 1));
}
static inline uint32_t user_page_down(uint32_t a) { return a & ~(USER_PAGE_SIZE - 1); }

/* The ARM system calls (user/syscall_arm.c). regs: r0..r15 of the guest; r7
 * holds the number, r0 gets the result. tpidruro: the TLS register. */
void user_arm_syscall(loom_user *u, uint32_t *regs, uint32_t *tpidruro);
/* The guest ends by a signal: say so on stderr, exit status 128 + sig. */
void user_die(loom_user *u, int sig, const char *fmt, ...) LOOM_PRINTF(3, 4);
/* Convert open(2) flags between the ARM and host encodings. */
int user_arm_open_flags_to_host(uint32_t f);
uint32_t user_arm_open_flags_from_host(int f);

/* `loom user ARCH PROGRAM ARGS...` (tools/loom.c hands over everything after
 * "user"). Returns the exit status. */
int loom_user_main(int argc, char **argv);
/* Print the options of `loom user` for loom --help. */
void loom_user_usage(FILE *f);

#endif
