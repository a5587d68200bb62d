/* ARM semihosting (ARM's "Semihosting for AArch32 and AArch64", version
 * 2.0): a program without an operating system asks the host for console
 * and file I/O, the time and its own exit. In A32 the call is SVC 0x123456
 * and in Thumb SVC 0xAB, with the operation in r0 and a parameter (often a
 * block of words) in r1; the result goes to r0. It is off unless the board
 * (semihosting: true) or `loom run --semihosting` turns it on.
 *
 * The console is the host's standard input and output. Files are the
 * host's, named as given (relative to the working directory). The clock is
 * simulated time, so runs read the same times. Parameter blocks are read
 * through the CPU's bus at physical addresses: programs that call this run
 * with the MMU off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arm/arm.h"
#include "loom/loom.h"

enum {
    SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITEC = 0x03, SYS_WRITE0 = 0x04, SYS_WRITE = 0x05, SYS_READ = 0x06,
    SYS_READC = 0x07, SYS_ISERROR = 0x08, SYS_ISTTY = 0x09, SYS_SEEK = 0x0A, SYS_FLEN = 0x0C, SYS_REMOVE = 0x0E,
    SYS_CLOCK = 0x10, SYS_TIME = 0x11, SYS_ERRNO = 0x13, SYS_GET_CMDLINE = 0x15, SYS_HEAPINFO = 0x16,
    SYS_EXIT = 0x18, SYS_ELAPSED = 0x30, SYS_TICKFREQ = 0x31, SYS_EXIT_EXTENDED = 0x20,
};
enum { ADP_STOPPED_APPLICATION_EXIT = 0x20026 };

#define MAX_FILES 32

/* Per simulation: the open files (handle = index + 1; the console's
 * handles are 1-3 for standard input, output and error) and errno. */
typedef struct semihost {
    int fd[MAX_FILES];
    int err;
} semihost;

static void semihost_free(void *p)
{
    semihost *h = p;
    for (int k = 3; k < MAX_FILES; k++)
        if (h->fd[k] >= 0) close(h->fd[k]);
    free(h);
}

static semihost *state_of(loom_sim *sim)
{
    static const char key;
    semihost *h = loom_sim_assoc(sim, &key);
    if (h) return h;
    h = calloc(1, sizeof *h);
    if (!h) return NULL;
    for (int k = 0; k < MAX_FILES; k++) h->fd[k] = -1;
    h->fd[0] = STDIN_FILENO;
    h->fd[1] = STDOUT_FILENO;
    h->fd[2] = STDERR_FILENO;
    if (loom_sim_set_assoc(sim, &key, h, semihost_free)) {
        free(h);
        return NULL;
    }
    return h;
}

static bool get(loom_cpu *cpu, uint32_t addr, void *buf, uint32_t len)
{
    return loom_bus_debug_read(loom_cpu_bus(cpu), addr, buf, len) == LOOM_OK;
}

static bool put(loom_cpu *cpu, uint32_t addr, const void *buf, uint32_t len)
{
    return loom_bus_debug_write(loom_cpu_bus(cpu), addr, buf, len) == LOOM_OK;
}

/* Word n of the parameter block at r1. */
static bool arg(loom_cpu *cpu, uint32_t block, unsigned n, uint32_t *v)
{
    uint8_t b[4];
    if (!get(cpu, block + 4 * n, b, 4)) return false;
    *v = (uint32_t)loom_get_le(b, 4);
    return true;
}

static int fd_of(semihost *h, uint32_t handle)
{
    return handle >= 1 && handle <= MAX_FILES ? h->fd[handle - 1] : -1;
}

/* fopen's modes in the order semihosting numbers them (0-11). */
static const int open_flags[12] = {
    O_RDONLY, O_RDONLY, O_RDWR, O_RDWR,                                      /* r, rb, r+, r+b */
    O_WRONLY | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_TRUNC,               /* w, wb */
    O_RDWR | O_CREAT | O_TRUNC, O_RDWR | O_CREAT | O_TRUNC,                   /* w+, w+b */
    O_WRONLY | O_CREAT | O_APPEND, O_WRONLY | O_CREAT | O_APPEND,             /* a, ab */
    O_RDWR | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_APPEND,                 /* a+, a+b */
};

static uint32_t do_open(loom_cpu *cpu, semihost *h, uint32_t block)
{
    uint32_t name, mode, len;
    char path[1024];
    if (!arg(cpu, block, 0, &name) || !arg(cpu, block, 1, &mode) || !arg(cpu, block, 2, &len) ||
        len >= sizeof path || mode > 11 || !get(cpu, name, path, len))
        return h->err = EINVAL, (uint32_t)-1;
    path[len] = 0;
    if (!strcmp(path, ":tt")) return mode < 4 ? 1 : mode < 8 ? 2 : 3; /* the console */
    int k = 3;
    while (k < MAX_FILES && h->fd[k] >= 0) k++;
    if (k == MAX_FILES) return h->err = EMFILE, (uint32_t)-1;
    int fd = open(path, open_flags[mode] | O_CLOEXEC, 0644);
    if (fd < 0) return h->err = errno, (uint32_t)-1;
    h->fd[k] = fd;
    return (uint32_t)k + 1;
}

/* SYS_READ and SYS_WRITE: the bytes NOT transferred. */
static uint32_t do_rw(loom_cpu *cpu, semihost *h, uint32_t block, bool writing)
{
    uint32_t handle, buf, len;
    if (!arg(cpu, block, 0, &handle) || !arg(cpu, block, 1, &buf) || !arg(cpu, block, 2, &len))
        return h->err = EFAULT, (uint32_t)-1;
    int fd = fd_of(h, handle);
    if (fd < 0) return h->err = EBADF, len;
    uint8_t chunk[4096];
    uint32_t done = 0;
    while (done < len) {
        uint32_t n = len - done < sizeof chunk ? len - done : (uint32_t)sizeof chunk;
        ssize_t r;
        if (writing) {
            if (!get(cpu, buf + done, chunk, n)) return h->err = EFAULT, len - done;
            r = write(fd, chunk, n);
        } else {
            r = read(fd, chunk, n);
            if (r > 0 && !put(cpu, buf + done, chunk, (uint32_t)r)) return h->err = EFAULT, len - done;
        }
        if (r < 0) {
            h->err = errno;
            break;
        }
        done += (uint32_t)r;
        if ((uint32_t)r < n) break; /* end of file, or a short write */
    }
    return len - done;
}

bool arm_semihosting_call(const arm_state *s)
{
    return s->exception == ARM_EXC_SVC && (s->thumb ? s->svc_imm == 0xAB : s->svc_imm == 0x123456);
}

void arm_semihost(loom_cpu *cpu, arm_state *s)
{
    loom_sim *sim = loom_cpu_sim(cpu);
    semihost *h = state_of(sim);
    uint32_t op = s->r[0], p = s->r[1], r = 0;
    if (!h) {
        s->r[0] = (uint32_t)-1;
        return;
    }
    switch (op) {
    case SYS_WRITEC: {
        uint8_t c;
        if (get(cpu, p, &c, 1)) (void)!write(STDOUT_FILENO, &c, 1);
        return; /* r0 is preserved */
    }
    case SYS_WRITE0: {
        uint8_t c;
        for (uint32_t a = p; get(cpu, a, &c, 1) && c; a++) (void)!write(STDOUT_FILENO, &c, 1);
        return;
    }
    case SYS_WRITE: r = do_rw(cpu, h, p, true); break;
    case SYS_READ: r = do_rw(cpu, h, p, false); break;
    case SYS_READC: {
        uint8_t c;
        r = read(STDIN_FILENO, &c, 1) == 1 ? c : (uint32_t)-1;
        break;
    }
    case SYS_OPEN: r = do_open(cpu, h, p); break;
    case SYS_CLOSE: {
        uint32_t handle;
        int fd = arg(cpu, p, 0, &handle) ? fd_of(h, handle) : -1;
        if (fd < 0) {
            h->err = EBADF;
            r = (uint32_t)-1;
        } else if (handle > 3) {
            close(fd);
            h->fd[handle - 1] = -1;
        }
        break;
    }
    case SYS_ISTTY: {
        uint32_t handle;
        int fd = arg(cpu, p, 0, &handle) ? fd_of(h, handle) : -1;
        r = fd >= 0 && isatty(fd);
        break;
    }
    case SYS_SEEK: {
        uint32_t handle, pos;
        int fd = arg(cpu, p, 0, &handle) && arg(cpu, p, 1, &pos) ? fd_of(h, handle) : -1;
        r = fd >= 0 && lseek(fd, pos, SEEK_SET) >= 0 ? 0 : (h->err = fd < 0 ? EBADF : errno, (uint32_t)-1);
        break;
    }
    case SYS_FLEN: {
        uint32_t handle;
        struct stat st;
        int fd = arg(cpu, p, 0, &handle) ? fd_of(h, handle) : -1;
        r = fd >= 0 && !fstat(fd, &st) ? (uint32_t)st.st_size : (h->err = EBADF, (uint32_t)-1);
        break;
    }
    case SYS_REMOVE: {
        uint32_t name, len;
        char path[1024];
        if (!arg(cpu, p, 0, &name) || !arg(cpu, p, 1, &len) || len >= sizeof path || !get(cpu, name, path, len)) {
            h->err = EINVAL;
            r = (uint32_t)-1;
            break;
        }
        path[len] = 0;
        r = unlink(path) ? (h->err = errno, (uint32_t)-1) : 0;
        break;
    }
    case SYS_ISERROR: r = (int32_t)p < 0; break;
    case SYS_ERRNO: r = (uint32_t)h->err; break;
    case SYS_CLOCK: r = (uint32_t)(loom_cpu_local_time(cpu) / (LOOM_SEC / 100)); break;
    case SYS_TIME: r = (uint32_t)(loom_cpu_local_time(cpu) / LOOM_SEC); break;
    case SYS_HEAPINFO: {
        /* No heap or stack to offer: zeros ask the program to use its own. */
        uint8_t zero[16] = {0};
        uint32_t block;
        if (arg(cpu, p, 0, &block)) put(cpu, block, zero, sizeof zero);
        break;
    }
    case SYS_GET_CMDLINE: {
        uint32_t buf, len;
        if (arg(cpu, p, 0, &buf) && arg(cpu, p, 1, &len) && len) {
            uint8_t zero = 0;
            put(cpu, buf, &zero, 1);
            uint8_t b[4] = {0};
            put(cpu, p + 4, b, 4);
        }
        break;
    }
    case SYS_EXIT:
    case SYS_EXIT_EXTENDED: {
        /* AArch32 SYS_EXIT passes the reason itself; the extended call a
         * block of reason and status. */
        uint32_t reason = p, code = 0;
        if (op == SYS_EXIT_EXTENDED && (!arg(cpu, p, 0, &reason) || !arg(cpu, p, 1, &code))) reason = 0;
        int status = reason == ADP_STOPPED_APPLICATION_EXIT ? (op == SYS_EXIT_EXTENDED ? (int)(code & 0xff) : 0) : 1;
        loom_sim_request_stop(sim, LOOM_STOP_EXIT, status);
        loom_cpu_request_exit(cpu);
        return;
    }
    default:
        loom_log(sim, LOOM_LOG_UNIMP, "%s: semihosting operation 0x%x is not implemented\n", loom_cpu_name(cpu),
                 (unsigned)op);
        h->err = ENOSYS;
        r = (uint32_t)-1;
        break;
    }
    s->r[0] = r;
}
