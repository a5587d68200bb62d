/* Linux user-mode emulation: one guest process in a reserved 4 GiB address
 * space, its loader, initial stack, page map and system calls. */
#ifndef LOOM_USER_USER_H
#define LOOM_USER_USER_H

#include <pthread.h>
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

/* Signals waiting for delivery: a bit per signal (bit sig-1) and the guest
 * siginfo (128 bytes, the 32-bit layout) of each. A standard signal already
 * pending is not queued twice; real-time signals (32 and up) queue, the
 * instances after the first in `more`. */
typedef struct user_sigq {
    uint64_t set;
    uint8_t info[64][128];
    struct user_sigq_more *more;
} user_sigq;

/* What the host signal handler records, for the run loop to collect:
 * every instance, in order (a ring written from signal handlers). */
#define USER_SIG_RING 64
typedef struct user_sig_ring {
    uint32_t head, tail;
    struct {
        int state; /* 0 free, 1 being written, 2 full */
        uint8_t info[128];
    } slot[USER_SIG_RING];
} user_sig_ring;

typedef struct loom_user loom_user;

/* One guest thread: a host thread with its own CPU. Only the thread that
 * holds the process's run lock runs guest code or touches shared state;
 * blocking system calls let go of it (user_unlock/user_lock). */
typedef struct user_thread {
    loom_user *u;
    loom_cpu *cpu;
    void *arch;             /* the CPU's state (arm_state) */
    uint32_t *regs;         /* r0..r15 */
    uint32_t *tls;          /* the TLS register */
    int tid;                /* the host thread's id, which the guest sees */
    uint64_t sigmask;       /* blocked signals (bit sig-1) */
    uint64_t saved_mask;    /* sigsuspend's mask to restore after the handler */
    bool has_saved_mask;
    uint32_t altstack[3];   /* ss_sp, ss_flags, ss_size */
    uint32_t clear_tid;     /* set_tid_address / CLONE_CHILD_CLEARTID */
    user_sigq pending;      /* sent to this thread */
    user_sig_ring host;     /* thread-directed, recorded by the host handler */
    bool exited;
    struct user_thread *next;
} user_thread;

struct loom_user {
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
    uint32_t robust_list, robust_len;
    uint8_t sigactions[65][20]; /* guest struct sigaction per signal, as given */
    user_sigq pending;        /* sent to the process */
    uint64_t rng;             /* getrandom's generator state */

    /* Threads, and the run lock: a ticket lock, so threads take turns. */
    user_thread *threads, *main_thread;
    unsigned nthreads, nthreads_made;
    pthread_mutex_t lock;
    pthread_cond_t turn;
    uint64_t next_ticket, serving;
    const char *cpu_model;
    /* The options of `loom user ARCH` that carry over to an execve'd guest
     * program. */
    char **exec_opts;
    int nexec_opts;

    bool exited;
    int exit_status;          /* 0..255, or 128 + signal */
    int death_signal;         /* the guest died of this signal: Loom dies of it too */

    struct user_ipc *ipc;     /* SysV shared memory the guest attached (ipc_arm.c) */

    /* Called when guest memory under translated code may have changed
     * (munmap, mprotect, mmap over it, read() into it). */
    void (*invalidate)(void *opaque, uint32_t start, uint32_t end);
    void *invalidate_opaque;
};

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

/* The ARM system calls (user/syscall_arm.c): r7 holds the number, r0 gets
 * the result. */
void user_arm_syscall(user_thread *t);
/* SysV IPC for ARM guests (user/ipc_arm.c): a[0..6] are r0..r6. */
int64_t user_arm_semop(loom_user *u, const uint32_t *a);
int64_t user_arm_semget(loom_user *u, const uint32_t *a);
int64_t user_arm_semctl(loom_user *u, const uint32_t *a);
int64_t user_arm_semtimedop(loom_user *u, const uint32_t *a);
int64_t user_arm_semtimedop_time64(loom_user *u, const uint32_t *a);
int64_t user_arm_msgsnd(loom_user *u, const uint32_t *a);
int64_t user_arm_msgrcv(loom_user *u, const uint32_t *a);
int64_t user_arm_msgget(loom_user *u, const uint32_t *a);
int64_t user_arm_msgctl(loom_user *u, const uint32_t *a);
int64_t user_arm_shmat(loom_user *u, const uint32_t *a);
int64_t user_arm_shmdt(loom_user *u, const uint32_t *a);
int64_t user_arm_shmget(loom_user *u, const uint32_t *a);
int64_t user_arm_shmctl(loom_user *u, const uint32_t *a);
/* Forget the records of shared memory attachments (the host mappings go
 * with the guest space). */
void user_ipc_free(loom_user *u);
/* The guest ends by a signal: say so on stderr, exit status 128 + sig, and
 * Loom ends by the same signal. */
void user_die(loom_user *u, int sig, const char *fmt, ...) LOOM_PRINTF(3, 4);

/* End Loom by the signal the guest died of (no core dump). */
_Noreturn void user_die_now(int sig);

/* The run lock (see user_thread). */
void user_lock(loom_user *u);
void user_unlock(loom_user *u);

/* Signals (user/signal_arm.c). */
/* Catch host faults and the host signals the guest handles. */
void user_sig_init(loom_user *u);
/* The calling host thread runs t. */
void user_sig_enter_thread(user_thread *t);
/* A synchronous signal from the CPU (fault, undefined instruction,
 * breakpoint) with si_code and si_addr; delivered even when blocked or
 * ignored, as the kernel forces it. */
void user_sig_fault(user_thread *t, int sig, int code, uint32_t addr);
/* Deliver what is pending and not blocked: run the handler (a signal
 * frame), or take the default action. */
void user_sig_deliver(user_thread *t);
/* A signal is pending that interrupts a blocking system call: true, and
 * *restart says whether its handler has SA_RESTART. */
bool user_sig_interrupting(user_thread *t, bool *restart);
/* The page at 0xffff0000: kuser helpers and sigreturn code. */
int user_arm_vector_page(loom_user *u);

/* Threads of ARM guests (user/user.c). A new thread's CPU starts as a copy
 * of parent's; NULL when no CPU can be made. */
user_thread *user_arm_thread_new(loom_user *u, user_thread *parent);
/* Forget a thread that never ran. */
void user_arm_thread_drop(user_thread *t);
/* Run a thread (holding the run lock) until it or the process ends. */
void user_arm_thread_run(user_thread *t);
/* In a forked child: t is the only thread; the run lock and the code
 * cache are this process's own. */
void user_arm_after_fork(user_thread *t);
/* Clear the thread's tid word and wake its joiner (user/proc_arm.c). */
void user_thread_end(user_thread *t);
/* Convert open(2) flags between the ARM and host encodings. */
int user_arm_open_flags_to_host(uint32_t f);
uint32_t user_arm_open_flags_from_host(int f);

/* `loom user ARCH PROGRAM ARGS...` (tools/loom.c hands over everything after
 * "user"). Returns the exit status. */
int loom_user_main(int argc, char **argv);
/* Print the options of `loom user` for loom --help. */
void loom_user_usage(FILE *f);

#endif
