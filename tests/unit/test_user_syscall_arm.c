/* Unit tests for user/syscall_arm.c: system calls made by hand with the
 * registers an ARM EABI program would set (r7 the number, r0..r6 the
 * arguments), results read back from r0 and guest memory. The references
 * are the kernel's ARM ABI: syscall.tbl numbers, struct stat64 of
 * arch/arm/include/uapi/asm/stat.h, the EABI pairing of 64-bit arguments. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "user.h"

typedef struct fix {
    loom_sim *sim;
    loom_user *u;
    uint32_t r[16];
    uint32_t tls;
    uint32_t scratch; /* a page of guest memory for arguments */
    user_thread t;    /* the calling thread, without a CPU */
} fix;

static int setup(void **st)
{
    fix *f = calloc(1, sizeof *f);
    if (!f || loom_sim_new(&f->sim)) return -1;
    loom_user_opts o = {.hwcap = USER_ARM_HWCAP_CORTEX_A15};
    if (loom_user_new(f->sim, &o, &f->u)) return -1;
    f->u->brk_start = f->u->brk = 0x100000;
    f->u->mmap_base = USER_INTERP_BASE;
    f->u->exe_real = strdup("/opt/guest/prog");
    f->scratch = 0x20000;
    if (user_map(f->u, f->scratch, 0x4000, USER_PROT_READ | USER_PROT_WRITE)) return -1;
    f->t = (user_thread){.u = f->u, .regs = f->r, .tls = &f->tls, .tid = (int)gettid()};
    f->u->threads = &f->t;
    f->u->nthreads = 1;
    user_lock(f->u); /* system calls are made holding the run lock */
    *st = f;
    return 0;
}

static int teardown(void **st)
{
    fix *f = *st;
    user_unlock(f->u);
    f->u->threads = NULL;
    loom_user_free(f->u);
    loom_sim_free(f->sim);
    free(f);
    return 0;
}

static int32_t call(fix *f, uint32_t nr, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t a4,
                    uint32_t a5)
{
    uint32_t a[6] = {a0, a1, a2, a3, a4, a5};
    memcpy(f->r, a, sizeof a);
    f->r[7] = nr;
    user_arm_syscall(&f->t);
    return (int32_t)f->r[0];
}

static uint8_t *g(fix *f, uint32_t a) { return f->u->guest_base + a; }
static uint32_t str(fix *f, uint32_t at, const char *s)
{
    strcpy((char *)g(f, at), s);
    return at;
}

static void test_syscall_write_and_read_through_a_pipe(void **st)
{
    fix *f = *st;
    uint32_t fds = f->scratch;
    assert_int_equal(call(f, 359 /* pipe2 */, fds, 0, 0, 0, 0, 0), 0);
    int rfd, wfd;
    memcpy(&rfd, g(f, fds), 4);
    memcpy(&wfd, g(f, fds + 4), 4);
    uint32_t msg = str(f, f->scratch + 0x100, "hello");
    assert_int_equal(call(f, 4 /* write */, (uint32_t)wfd, msg, 5, 0, 0, 0), 5);
    /* writev with two 32-bit iovecs */
    uint32_t iov[4] = {msg, 2, msg + 3, 2};
    memcpy(g(f, f->scratch + 0x200), iov, sizeof iov);
    assert_int_equal(call(f, 146 /* writev */, (uint32_t)wfd, f->scratch + 0x200, 2, 0, 0, 0), 4);
    assert_int_equal(call(f, 3 /* read */, (uint32_t)rfd, f->scratch + 0x300, 64, 0, 0, 0), 9);
    assert_memory_equal(g(f, f->scratch + 0x300), "hellohelo", 9);
    /* A buffer outside the guest space. */
    assert_int_equal(call(f, 4, (uint32_t)wfd, 0xfffffff0u, 0x100, 0, 0, 0), -EFAULT);
    close(rfd);
    close(wfd);
}

static void test_syscall_uname_says_armv7l(void **st)
{
    fix *f = *st;
    assert_int_equal(call(f, 122, f->scratch, 0, 0, 0, 0, 0), 0);
    assert_string_equal((char *)g(f, f->scratch + 4 * 65), "armv7l");
    assert_string_equal((char *)g(f, f->scratch), "Linux");
}

static void test_syscall_fstat64_has_the_arm_eabi_layout(void **st)
{
    fix *f = *st;
    char path[] = "/tmp/loom-stat-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    struct stat hs;
    fstat(fd, &hs);
    uint8_t *p = g(f, f->scratch);
    assert_int_equal(call(f, 197 /* fstat64 */, (uint32_t)fd, f->scratch, 0, 0, 0, 0), 0);
    uint64_t size, ino;
    uint32_t mode, blksize;
    memcpy(&mode, p + 16, 4);
    memcpy(&size, p + 48, 8);
    memcpy(&blksize, p + 56, 4);
    memcpy(&ino, p + 96, 8);
    assert_int_equal(size, 10);
    assert_int_equal(mode, hs.st_mode);
    assert_int_equal(ino, hs.st_ino);
    assert_int_equal(blksize, hs.st_blksize);
    /* stat64 by name and fstatat64 agree. */
    uint32_t name = str(f, f->scratch + 0x1000, path);
    assert_int_equal(call(f, 195 /* stat64 */, name, f->scratch + 0x200, 0, 0, 0, 0), 0);
    assert_memory_equal(g(f, f->scratch + 0x200 + 48), &size, 8);
    assert_int_equal(call(f, 327 /* fstatat64 */, (uint32_t)AT_FDCWD, name, f->scratch + 0x300, 0, 0, 0), 0);
    assert_memory_equal(g(f, f->scratch + 0x300 + 96), &ino, 8);
    /* _llseek: offset high in r1, low in r2, result at r3, whence r4. */
    assert_int_equal(call(f, 140, (uint32_t)fd, 0, 4, f->scratch + 0x400, SEEK_SET, 0), 0);
    uint64_t pos;
    memcpy(&pos, g(f, f->scratch + 0x400), 8);
    assert_int_equal(pos, 4);
    /* pread64: the 64-bit offset in r4:r5 (an even pair), r3 unused. */
    uint32_t args[7] = {(uint32_t)fd, f->scratch + 0x500, 3, 0xdead, 7, 0, 0};
    memcpy(f->r, args, sizeof args);
    f->r[7] = 180;
    user_arm_syscall(&f->t);
    assert_int_equal(f->r[0], 3);
    assert_memory_equal(g(f, f->scratch + 0x500), "789", 3);
    close(fd);
    unlink(path);
}

static void test_syscall_open_flags_are_converted(void **st)
{
    fix *f = *st;
    /* ARM O_DIRECTORY (040000) is the host's O_DIRECT on x86-64. */
    assert_int_equal(user_arm_open_flags_to_host(040000), O_DIRECTORY);
    assert_int_equal(user_arm_open_flags_to_host(0100000), O_NOFOLLOW);
    assert_int_equal(user_arm_open_flags_to_host(0200000), O_DIRECT);
    assert_int_equal(user_arm_open_flags_to_host(0400000 | O_RDWR | O_CREAT | O_CLOEXEC), O_RDWR | O_CREAT | O_CLOEXEC);
    assert_int_equal(user_arm_open_flags_from_host(O_DIRECTORY | O_NOFOLLOW | O_APPEND), 040000 | 0100000 | O_APPEND);
    uint32_t dir = str(f, f->scratch, "/tmp");
    int32_t fd = call(f, 322 /* openat */, (uint32_t)AT_FDCWD, dir, 040000 /* O_DIRECTORY */, 0, 0, 0);
    assert_true(fd >= 0);
    assert_int_equal(call(f, 6, (uint32_t)fd, 0, 0, 0, 0, 0), 0);
    uint32_t file = str(f, f->scratch, "/etc/passwd");
    assert_int_equal(call(f, 5 /* open */, file, 040000, 0, 0, 0, 0), -ENOTDIR);
}

static void test_syscall_memory_brk_mmap2_munmap(void **st)
{
    fix *f = *st;
    assert_int_equal((uint32_t)call(f, 45, 0, 0, 0, 0, 0, 0), 0x100000);
    assert_int_equal((uint32_t)call(f, 45, 0x102345, 0, 0, 0, 0, 0), 0x102345);
    assert_non_null(user_ptr(f->u, 0x102000, 4, USER_PROT_WRITE));
    /* Anonymous private: the first free range above the base. */
    uint32_t a = (uint32_t)call(f, 192, 0, 0x2001, 3, 0x22, (uint32_t)-1, 0);
    assert_int_equal(a, USER_INTERP_BASE);
    assert_non_null(user_ptr(f->u, a + 0x2fff, 1, USER_PROT_WRITE));
    assert_int_equal(*g(f, a + 0x2000), 0);
    uint32_t b = (uint32_t)call(f, 192, 0, 0x1000, 1, 0x22, (uint32_t)-1, 0);
    assert_int_equal(b, a + 0x3000);
    assert_null(user_ptr(f->u, b, 4, USER_PROT_WRITE));
    assert_int_equal(call(f, 125 /* mprotect */, b, 0x1000, 3, 0, 0, 0), 0);
    assert_non_null(user_ptr(f->u, b, 4, USER_PROT_WRITE));
    assert_int_equal(call(f, 91 /* munmap */, a, 0x3000, 0, 0, 0, 0), 0);
    assert_null(user_ptr(f->u, a, 1, USER_PROT_READ));
    /* Fixed, and a file mapping with a page offset in 4096 units. */
    uint32_t fixed = (uint32_t)call(f, 192, 0x30000000, 0x1000, 3, 0x32, (uint32_t)-1, 0);
    assert_int_equal(fixed, 0x30000000);
    int fd = open("/etc/passwd", O_RDONLY);
    assert_true(fd >= 0);
    uint32_t m = (uint32_t)call(f, 192, 0, 0x1000, 1, 2, (uint32_t)fd, 0);
    char head[8];
    assert_int_equal(pread(fd, head, 8, 0), 8);
    assert_memory_equal(g(f, m), head, 8);
    close(fd);
    assert_int_equal(call(f, 192, 0, 0, 3, 0x22, (uint32_t)-1, 0), -EINVAL);
    /* mremap grows in place or moves. */
    uint32_t r = (uint32_t)call(f, 192, 0, 0x1000, 3, 0x22, (uint32_t)-1, 0);
    *g(f, r) = 0x77;
    uint32_t r2 = (uint32_t)call(f, 163, r, 0x1000, 0x3000, 1 /* MAYMOVE */, 0, 0);
    assert_true(r2 < 0xfffff000u);
    assert_int_equal(*g(f, r2), 0x77);
    assert_non_null(user_ptr(f->u, r2 + 0x2fff, 1, USER_PROT_WRITE));
}

static void test_syscall_identity_time_and_randomness(void **st)
{
    fix *f = *st;
    assert_int_equal(call(f, 20, 0, 0, 0, 0, 0, 0), getpid());
    assert_int_equal(call(f, 199, 0, 0, 0, 0, 0, 0), (int32_t)getuid());
    assert_int_equal(call(f, 263 /* clock_gettime */, CLOCK_REALTIME, f->scratch, 0, 0, 0, 0), 0);
    int32_t sec;
    memcpy(&sec, g(f, f->scratch), 4);
    assert_true(sec > 1600000000);
    assert_int_equal(call(f, 403 /* clock_gettime64 */, CLOCK_MONOTONIC, f->scratch, 0, 0, 0, 0), 0);
    /* getrandom follows the seed: the same seed, the same bytes. */
    assert_int_equal(call(f, 384, f->scratch, 16, 0, 0, 0, 0), 16);
    uint8_t first[16];
    memcpy(first, g(f, f->scratch), 16);
    loom_user_opts o = {0};
    loom_user *v;
    assert_int_equal(loom_user_new(f->sim, &o, &v), LOOM_OK);
    user_map(v, f->scratch, 0x1000, USER_PROT_READ | USER_PROT_WRITE);
    uint32_t r[16] = {f->scratch, 16, 0};
    r[7] = 384;
    uint32_t tls = 0;
    user_thread vt = {.u = v, .regs = r, .tls = &tls};
    user_arm_syscall(&vt);
    assert_memory_equal(v->guest_base + f->scratch, first, 16);
    loom_user_free(v);
}

static void test_syscall_arm_private_calls_and_unknown_numbers(void **st)
{
    fix *f = *st;
    assert_int_equal(call(f, 0xf0005 /* set_tls */, 0x12345678, 0, 0, 0, 0, 0), 0);
    assert_int_equal(f->tls, 0x12345678);
    assert_int_equal(call(f, 0xf0002 /* cacheflush */, 0x10000, 0x20000, 0, 0, 0, 0), 0);
    assert_int_equal(call(f, 9999, 0, 0, 0, 0, 0, 0), -ENOSYS);
    /* readlink of /proc/self/exe names the guest program. */
    uint32_t p = str(f, f->scratch, "/proc/self/exe");
    int32_t n = call(f, 85, p, f->scratch + 0x100, 200, 0, 0, 0);
    assert_int_equal(n, strlen("/opt/guest/prog"));
    assert_memory_equal(g(f, f->scratch + 0x100), "/opt/guest/prog", (size_t)n);
    /* futex in a single thread */
    memset(g(f, f->scratch), 0, 4);
    assert_int_equal(call(f, 240, f->scratch, 128 /* WAIT|PRIVATE */, 1, 0, 0, 0), -EAGAIN);
    assert_int_equal(call(f, 240, f->scratch, 129 /* WAKE|PRIVATE */, 1, 0, 0, 0), 0);
}

static void test_syscall_exit_and_fatal_self_signals(void **st)
{
    fix *f = *st;
    assert_int_equal(call(f, 37 /* kill */, (uint32_t)getpid(), 0, 0, 0, 0, 0), 0);
    assert_false(f->u->exited);
    assert_int_equal(call(f, 268 /* tgkill */, (uint32_t)getpid(), (uint32_t)gettid(), 17 /* SIGCHLD */, 0, 0, 0),
                     0);
    assert_false(f->u->exited);
    /* A handled signal sent to itself goes through the host kernel and is
     * pending for the guest when the call returns; SA_RESTART is reported. */
    uint8_t *act = g(f, f->scratch + 0x800);
    memset(act, 0, 20);
    uint32_t handler = 0x10000, flags = 0x10000000 /* SA_RESTART */;
    memcpy(act, &handler, 4);
    memcpy(act + 4, &flags, 4);
    assert_int_equal(call(f, 174 /* rt_sigaction */, 10 /* SIGUSR1 */, f->scratch + 0x800, 0, 8, 0, 0), 0);
    bool restart = false;
    assert_false(user_sig_interrupting(&f->t, &restart));
    assert_int_equal(call(f, 268, (uint32_t)getpid(), (uint32_t)gettid(), 10, 0, 0, 0), 0);
    assert_false(f->u->exited);
    assert_true(user_sig_interrupting(&f->t, &restart));
    assert_true(restart);
    /* Ignoring it discards it. */
    handler = 1;
    memcpy(act, &handler, 4);
    assert_int_equal(call(f, 174, 10, f->scratch + 0x800, 0, 8, 0, 0), 0);
    assert_false(user_sig_interrupting(&f->t, &restart));
    call(f, 248 /* exit_group */, 300, 0, 0, 0, 0, 0);
    assert_true(f->u->exited);
    assert_int_equal(f->u->exit_status, 300 & 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_syscall_write_and_read_through_a_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_uname_says_armv7l, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_fstat64_has_the_arm_eabi_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_open_flags_are_converted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_memory_brk_mmap2_munmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_identity_time_and_randomness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_arm_private_calls_and_unknown_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscall_exit_and_fatal_self_signals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
