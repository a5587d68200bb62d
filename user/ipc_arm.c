/* SysV IPC system calls of 32-bit ARM EABI programs (semaphores, message
 * queues, shared memory) on top of the host's. The control structures are
 * converted between the ARM layout (asm-generic ipcbuf.h, sembuf.h, msgbuf.h
 * and shmbuf.h with 32-bit longs and times split in two words) and the
 * host's; struct sembuf, seminfo and msginfo are the same on both. shmat
 * places the segment inside the guest address space and records it, so that
 * shmdt knows how much to give back to the reservation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "user.h"

/* The cmd flag of the *ctl calls asking for the 64-bit structures (the ones
 * with 32-bit uids); glibc on armhf always passes it. */
#define ARM_IPC_64 0x100
/* ARM's SHMLBA is four pages, against aliases in VIPT caches
 * (arch/arm/include/asm/shmparam.h); the kernel holds every attach address
 * to it (__ARCH_FORCE_SHMLBA), page-aligned or not. */
#define ARM_SHMLBA (4u * USER_PAGE_SIZE)

/* The guest structures: byte offsets (ARM EABI, little-endian). */
enum {
    /* struct ipc64_perm: mode is an unsigned short followed by two bytes
     * of padding on ARM. */
    PERM_KEY = 0, PERM_UID = 4, PERM_GID = 8, PERM_CUID = 12, PERM_CGID = 16, PERM_MODE = 20,
    PERM_SEQ = 24, PERM_SIZE = 36,
    /* struct semid64_ds */
    SEM_OTIME = 36, SEM_CTIME = 44, SEM_NSEMS = 52, SEMID_SIZE = 64,
    /* struct msqid64_ds */
    MSG_STIME = 36, MSG_RTIME = 44, MSG_CTIME = 52, MSG_CBYTES = 60, MSG_QNUM = 64, MSG_QBYTES = 68,
    MSG_LSPID = 72, MSG_LRPID = 76, MSQID_SIZE = 88,
    /* struct shmid64_ds */
    SHM_SEGSZ = 36, SHM_ATIME = 40, SHM_DTIME = 48, SHM_CTIME = 56, SHM_CPID = 64, SHM_LPID = 68,
    SHM_NATTCH = 72, SHMID_SIZE = 84,
    /* struct shminfo64 (nine longs), the old struct shminfo (five ints),
     * struct shm_info (an int and five longs) */
    SHMINFO64_SIZE = 36, SHMINFO_OLD_SIZE = 20, SHM_INFO_SIZE = 24,
    SEMINFO_SIZE = 40, MSGINFO_SIZE = 32, SEMBUF_SIZE = 6,
};

/* One shmat of the guest: where, and how long (whole pages). */
typedef struct user_shm_att {
    uint32_t addr, len;
} user_shm_att;

typedef struct user_ipc {
    user_shm_att *att;
    size_t n, cap;
} user_ipc;

void user_ipc_free(loom_user *u)
{
    if (!u->ipc) return;
    free(u->ipc->att);
    free(u->ipc);
    u->ipc = NULL;
}

static int64_t host_ret(long r) { return r < 0 ? -errno : r; }

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A 64-bit time as the two words of the 32-bit layout (low, high). */
static void put_time(uint8_t *p, int64_t t)
{
    put32(p, (uint32_t)t);
    put32(p + 4, (uint32_t)((uint64_t)t >> 32));
}

/* A count the guest sees as an unsigned long: saturated, not wrapped. */
static uint32_t ulong32(unsigned long v) { return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v; }

static uint8_t *guest_rd(loom_user *u, uint32_t addr, uint32_t len) { return user_ptr(u, addr, len, USER_PROT_READ); }
static uint8_t *guest_wr(loom_user *u, uint32_t addr, uint32_t len) { return user_ptr(u, addr, len, USER_PROT_WRITE); }

/* An array the host kernel reads or writes itself (struct sembuf, the
 * semaphore values): only the range is checked here; the kernel answers
 * EFAULT for pages the guest may not touch, which are PROT_NONE on the host. */
static void *kbuf(loom_user *u, uint32_t addr, uint64_t len)
{
    if ((uint64_t)addr + len > USER_GUEST_SIZE || (len && !addr)) return NULL;
    return u->guest_base + addr;
}

static void written(loom_user *u, uint32_t addr, uint64_t len)
{
    /* Memory that may hold translated code changed behind the translator. */
    if (len && u->invalidate) u->invalidate(u->invalidate_opaque, addr, (uint32_t)(addr + len - 1));
}

/* A host call that may wait (on a semaphore, a full or an empty queue):
 * without the run lock, so that the other guest threads go on. It must not
 * touch guest state Loom keeps; the host kernel reads the guest's memory. */
#define BLOCKING(u, expr)                                                                           \
    ({                                                                                             \
        user_unlock(u);                                                                            \
        long blocking_r_ = (expr);                                                                 \
        int blocking_errno_ = errno;                                                               \
        user_lock(u);                                                                              \
        errno = blocking_errno_;                                                                   \
        blocking_r_;                                                                               \
    })

static void perm_to_guest(uint8_t *g, const struct ipc_perm *p)
{
    memset(g, 0, PERM_SIZE);
    put32(g + PERM_KEY, (uint32_t)p->__key);
    put32(g + PERM_UID, p->uid);
    put32(g + PERM_GID, p->gid);
    put32(g + PERM_CUID, p->cuid);
    put32(g + PERM_CGID, p->cgid);
    uint16_t mode = (uint16_t)p->mode, seq = p->__seq;
    memcpy(g + PERM_MODE, &mode, 2);
    memcpy(g + PERM_SEQ, &seq, 2);
}

/* IPC_SET takes the owner and the mode; the kernel ignores the rest. */
static void perm_from_guest(struct ipc_perm *p, const uint8_t *g)
{
    uint16_t mode;
    memcpy(&mode, g + PERM_MODE, 2);
    p->uid = get32(g + PERM_UID);
    p->gid = get32(g + PERM_GID);
    p->mode = mode;
}

/* The old structures (without IPC_64, 16-bit uids) are not converted:
 * nothing built in this century asks for them. */
static int64_t old_layout(loom_user *u, const char *call, uint32_t cmd)
{
    loom_log(u->sim, LOOM_LOG_UNIMP, "user: %s command %u without IPC_64 (the old structures) is not supported\n",
             call, cmd);
    return -EINVAL;
}

/* ---- Semaphores ---------------------------------------------------------------- */

int64_t user_arm_semget(loom_user *u, const uint32_t *a)
{
    (void)u;
    return host_ret(syscall(SYS_semget, (key_t)a[0], (int)a[1], (int)a[2]));
}

static int64_t sem_count(int id, unsigned long *nsems)
{
    struct semid_ds ds;
    if (syscall(SYS_semctl, id, 0, IPC_STAT, &ds) < 0) return -errno;
    *nsems = ds.sem_nsems;
    return 0;
}

/* semctl(id, num, cmd, arg): arg is union semun passed by value, an int or
 * a guest pointer depending on cmd. */
int64_t user_arm_semctl(loom_user *u, const uint32_t *a)
{
    int id = (int)a[0], num = (int)a[1];
    uint32_t cmd = a[2] & ~(uint32_t)ARM_IPC_64, arg = a[3];
    bool v64 = a[2] & ARM_IPC_64;
    switch (cmd) {
    case IPC_RMID: case GETPID: case GETVAL: case GETNCNT: case GETZCNT:
        return host_ret(syscall(SYS_semctl, id, num, cmd, 0L));
    case SETVAL:
        return host_ret(syscall(SYS_semctl, id, num, cmd, (long)(int32_t)arg));
    case GETALL: case SETALL: {
        unsigned long n = 0;
        int64_t e = sem_count(id, &n);
        if (e) return e;
        void *p = kbuf(u, arg, (uint64_t)n * 2);
        if (!p) return -EFAULT;
        e = host_ret(syscall(SYS_semctl, id, 0, cmd, p));
        if (e >= 0 && cmd == GETALL) written(u, arg, (uint64_t)n * 2);
        return e;
    }
    case IPC_STAT: case SEM_STAT: case SEM_STAT_ANY: {
        if (!v64) return old_layout(u, "semctl", cmd);
        uint8_t *g = guest_wr(u, arg, SEMID_SIZE);
        if (!g) return -EFAULT;
        struct semid_ds ds;
        long r = syscall(SYS_semctl, id, num, cmd, &ds);
        if (r < 0) return -errno;
        memset(g, 0, SEMID_SIZE);
        perm_to_guest(g, &ds.sem_perm);
        put_time(g + SEM_OTIME, ds.sem_otime);
        put_time(g + SEM_CTIME, ds.sem_ctime);
        put32(g + SEM_NSEMS, ulong32(ds.sem_nsems));
        return r;
    }
    case IPC_SET: {
        if (!v64) return old_layout(u, "semctl", cmd);
        uint8_t *g = guest_rd(u, arg, SEMID_SIZE);
        if (!g) return -EFAULT;
        struct semid_ds ds;
        memset(&ds, 0, sizeof ds);
        perm_from_guest(&ds.sem_perm, g);
        return host_ret(syscall(SYS_semctl, id, num, cmd, &ds));
    }
    case IPC_INFO: case SEM_INFO: {
        uint8_t *g = guest_wr(u, arg, SEMINFO_SIZE);
        if (!g) return -EFAULT;
        struct seminfo si;
        long r = syscall(SYS_semctl, id, num, cmd, &si);
        if (r < 0) return -errno;
        memcpy(g, &si, SEMINFO_SIZE); /* ten ints on both */
        return r;
    }
    default:
        return -EINVAL;
    }
}

static int64_t semop_common(loom_user *u, const uint32_t *a, const struct timespec *ts)
{
    /* struct sembuf (unsigned short, short, short) is the same on both. */
    void *ops = kbuf(u, a[1], (uint64_t)a[2] * SEMBUF_SIZE);
    if (!ops) return -EFAULT;
    return host_ret(BLOCKING(u, syscall(SYS_semtimedop, (int)a[0], ops, (size_t)a[2], ts)));
}

int64_t user_arm_semop(loom_user *u, const uint32_t *a) { return semop_common(u, a, NULL); }

static int64_t semtimedop_common(loom_user *u, const uint32_t *a, bool t64)
{
    struct timespec ts;
    if (!a[3]) return semop_common(u, a, NULL);
    const uint8_t *g = guest_rd(u, a[3], t64 ? 16 : 8);
    if (!g) return -EFAULT;
    if (t64) {
        uint64_t sec;
        memcpy(&sec, g, 8);
        ts.tv_sec = (time_t)sec;
        ts.tv_nsec = (int32_t)get32(g + 8); /* the upper half is padding for a 32-bit task */
    } else {
        ts.tv_sec = (int32_t)get32(g);
        ts.tv_nsec = (int32_t)get32(g + 4);
    }
    return semop_common(u, a, &ts);
}

int64_t user_arm_semtimedop(loom_user *u, const uint32_t *a) { return semtimedop_common(u, a, false); }
int64_t user_arm_semtimedop_time64(loom_user *u, const uint32_t *a) { return semtimedop_common(u, a, true); }

/* ---- Message queues ---------------------------------------------------------------- */

int64_t user_arm_msgget(loom_user *u, const uint32_t *a)
{
    (void)u;
    return host_ret(syscall(SYS_msgget, (key_t)a[0], (int)a[1]));
}

/* The guest's struct msgbuf starts with a 32-bit long mtype, the host's
 * with a 64-bit one: the message goes through a host buffer. */
int64_t user_arm_msgsnd(loom_user *u, const uint32_t *a)
{
    int id = (int)a[0];
    uint32_t addr = a[1], size = a[2];
    /* The kernel refuses an oversized message before it reads any of it. */
    struct msginfo mi;
    if (syscall(SYS_msgctl, 0, IPC_INFO, &mi) >= 0 && size > (uint32_t)mi.msgmax) return -EINVAL;
    if (size > 0x7fffffffu) return -EINVAL;
    const uint8_t *g = guest_rd(u, addr, 4 + size);
    if (!g) return -EFAULT;
    int32_t type = (int32_t)get32(g);
    if (type < 1) return -EINVAL;
    long *m = malloc(sizeof(long) + size);
    if (!m) return -ENOMEM;
    m[0] = type;
    memcpy(m + 1, g + 4, size);
    int64_t r = host_ret(BLOCKING(u, syscall(SYS_msgsnd, id, m, (size_t)size, (int)a[3])));
    free(m);
    return r;
}

/* msgrcv(id, msgp, size, type, flags): type is the guest's signed long. */
int64_t user_arm_msgrcv(loom_user *u, const uint32_t *a)
{
    int id = (int)a[0];
    uint32_t addr = a[1], size = a[2];
    if (size > 0x7fffffffu) return -EINVAL;
    uint8_t *g = guest_wr(u, addr, 4 + size);
    if (!g) return -EFAULT;
    long *m = malloc(sizeof(long) + size);
    if (!m) return -ENOMEM;
    long n = BLOCKING(u, syscall(SYS_msgrcv, id, m, (size_t)size, (long)(int32_t)a[3], (int)a[4]));
    int64_t r = host_ret(n);
    if (n >= 0) {
        /* The buffer may have gone while the lock was free. */
        if (!(g = guest_wr(u, addr, 4 + (uint32_t)n))) {
            free(m);
            return -EFAULT;
        }
        put32(g, (uint32_t)m[0]);
        memcpy(g + 4, m + 1, (size_t)n);
        written(u, addr, 4 + (uint64_t)n);
    }
    free(m);
    return r;
}

int64_t user_arm_msgctl(loom_user *u, const uint32_t *a)
{
    int id = (int)a[0];
    uint32_t cmd = a[1] & ~(uint32_t)ARM_IPC_64, arg = a[2];
    bool v64 = a[1] & ARM_IPC_64;
    switch (cmd) {
    case IPC_RMID:
        return host_ret(syscall(SYS_msgctl, id, cmd, NULL));
    case IPC_STAT: case MSG_STAT: case MSG_STAT_ANY: {
        if (!v64) return old_layout(u, "msgctl", cmd);
        uint8_t *g = guest_wr(u, arg, MSQID_SIZE);
        if (!g) return -EFAULT;
        struct msqid_ds ds;
        long r = syscall(SYS_msgctl, id, cmd, &ds);
        if (r < 0) return -errno;
        memset(g, 0, MSQID_SIZE);
        perm_to_guest(g, &ds.msg_perm);
        put_time(g + MSG_STIME, ds.msg_stime);
        put_time(g + MSG_RTIME, ds.msg_rtime);
        put_time(g + MSG_CTIME, ds.msg_ctime);
        put32(g + MSG_CBYTES, ulong32(ds.__msg_cbytes));
        put32(g + MSG_QNUM, ulong32(ds.msg_qnum));
        put32(g + MSG_QBYTES, ulong32(ds.msg_qbytes));
        put32(g + MSG_LSPID, (uint32_t)ds.msg_lspid);
        put32(g + MSG_LRPID, (uint32_t)ds.msg_lrpid);
        return r;
    }
    case IPC_SET: {
        if (!v64) return old_layout(u, "msgctl", cmd);
        const uint8_t *g = guest_rd(u, arg, MSQID_SIZE);
        if (!g) return -EFAULT;
        struct msqid_ds ds;
        memset(&ds, 0, sizeof ds);
        perm_from_guest(&ds.msg_perm, g);
        ds.msg_qbytes = get32(g + MSG_QBYTES);
        return host_ret(syscall(SYS_msgctl, id, cmd, &ds));
    }
    case IPC_INFO: case MSG_INFO: {
        uint8_t *g = guest_wr(u, arg, MSGINFO_SIZE);
        if (!g) return -EFAULT;
        struct msginfo mi;
        long r = syscall(SYS_msgctl, id, cmd, &mi);
        if (r < 0) return -errno;
        memcpy(g, &mi, MSGINFO_SIZE); /* seven ints and an unsigned short on both */
        return r;
    }
    default:
        return -EINVAL;
    }
}

/* ---- Shared memory ----------------------------------------------------------------- */

int64_t user_arm_shmget(loom_user *u, const uint32_t *a)
{
    (void)u;
    return host_ret(syscall(SYS_shmget, (key_t)a[0], (size_t)a[1], (int)a[2]));
}

static int record_attach(loom_user *u, uint32_t addr, uint32_t len)
{
    if (!u->ipc && !(u->ipc = calloc(1, sizeof *u->ipc))) return -ENOMEM;
    user_ipc *ipc = u->ipc;
    /* An attachment over others (SHM_REMAP) replaces them. */
    for (size_t i = 0; i < ipc->n;) {
        user_shm_att *t = &ipc->att[i];
        if (t->addr < addr + (uint64_t)len && addr < t->addr + (uint64_t)t->len) *t = ipc->att[--ipc->n];
        else i++;
    }
    if (ipc->n == ipc->cap) {
        size_t cap = ipc->cap ? ipc->cap * 2 : 8;
        user_shm_att *n = realloc(ipc->att, cap * sizeof *n);
        if (!n) return -ENOMEM;
        ipc->att = n;
        ipc->cap = cap;
    }
    ipc->att[ipc->n++] = (user_shm_att){addr, len};
    return 0;
}

/* Where an attachment without an address goes: the first free range aligned
 * to SHMLBA. A free run SHMLBA - 1 page longer than needed holds one. */
static uint32_t shm_find_free(loom_user *u, uint32_t len)
{
    uint64_t want = (uint64_t)len + ARM_SHMLBA - USER_PAGE_SIZE;
    if (want >= USER_GUEST_SIZE) return 0;
    uint32_t at = user_find_free(u, u->mmap_base, (uint32_t)want);
    if (!at) at = user_find_free(u, user_page_up((uint64_t)u->brk + (1u << 20)), (uint32_t)want);
    if (!at) return 0;
    return (at + ARM_SHMLBA - 1) & ~(ARM_SHMLBA - 1);
}

/* shmat(id, addr, flags), as do_shmat in ipc/shm.c decides the address. */
int64_t user_arm_shmat(loom_user *u, const uint32_t *a)
{
    int id = (int)a[0];
    uint32_t addr = a[1], flags = a[2];
    bool fixed = addr != 0;
    if (addr & (ARM_SHMLBA - 1)) {
        if (!(flags & SHM_RND)) return -EINVAL;
        addr &= ~(ARM_SHMLBA - 1);
        if (!addr && (flags & SHM_REMAP)) return -EINVAL;
    } else if (!addr && (flags & SHM_REMAP)) {
        return -EINVAL;
    }
    struct shmid_ds ds;
    if (syscall(SYS_shmctl, id, IPC_STAT, &ds) < 0) return -errno;
    if (ds.shm_segsz > USER_GUEST_SIZE - USER_PAGE_SIZE) return -ENOMEM;
    uint32_t len = user_page_up(ds.shm_segsz);
    if (fixed) {
        if (!addr) return -EPERM; /* below mmap_min_addr */
        if ((uint64_t)addr + len > USER_GUEST_SIZE) return -EINVAL;
        if (!(flags & SHM_REMAP) && !user_range_free(u, addr, len)) return -EINVAL;
    } else {
        addr = shm_find_free(u, len);
        if (!addr) return -ENOMEM;
    }
    /* Over the reservation (or whatever SHM_REMAP replaces). Executable
     * means readable to the translator, so SHM_EXEC stays with the guest. */
    void *p = shmat(id, u->guest_base + addr, SHM_REMAP | (int)(flags & SHM_RDONLY));
    if (p == (void *)-1) return -errno;
    if (record_attach(u, addr, len)) {
        shmdt(p);
        user_unmap(u, addr, len);
        return -ENOMEM;
    }
    unsigned prot = USER_PROT_READ | (flags & SHM_RDONLY ? 0 : USER_PROT_WRITE) | (flags & SHM_EXEC ? USER_PROT_EXEC : 0);
    memset(u->pages + (addr >> USER_PAGE_BITS), USER_PAGE_MAPPED | prot, len >> USER_PAGE_BITS);
    written(u, addr, len);
    return addr;
}

int64_t user_arm_shmdt(loom_user *u, const uint32_t *a)
{
    uint32_t addr = a[0];
    if (addr & (USER_PAGE_SIZE - 1) || !u->ipc) return -EINVAL;
    user_ipc *ipc = u->ipc;
    for (size_t i = 0; i < ipc->n; i++) {
        user_shm_att t = ipc->att[i];
        if (t.addr != addr) continue;
        ipc->att[i] = ipc->att[--ipc->n];
        /* Fails when the guest unmapped the segment itself (munmap,
         * mmap over it): then it is already gone, as for the kernel. */
        if (shmdt(u->guest_base + addr)) return -EINVAL;
        /* The range goes back to the PROT_NONE reservation. */
        return user_unmap(u, addr, t.len);
    }
    return -EINVAL;
}

int64_t user_arm_shmctl(loom_user *u, const uint32_t *a)
{
    int id = (int)a[0];
    uint32_t cmd = a[1] & ~(uint32_t)ARM_IPC_64, arg = a[2];
    bool v64 = a[1] & ARM_IPC_64;
    switch (cmd) {
    case IPC_RMID: case SHM_LOCK: case SHM_UNLOCK:
        return host_ret(syscall(SYS_shmctl, id, cmd, NULL));
    case IPC_STAT: case SHM_STAT: case SHM_STAT_ANY: {
        if (!v64) return old_layout(u, "shmctl", cmd);
        uint8_t *g = guest_wr(u, arg, SHMID_SIZE);
        if (!g) return -EFAULT;
        struct shmid_ds ds;
        long r = syscall(SYS_shmctl, id, cmd, &ds);
        if (r < 0) return -errno;
        memset(g, 0, SHMID_SIZE);
        perm_to_guest(g, &ds.shm_perm);
        put32(g + SHM_SEGSZ, ulong32(ds.shm_segsz));
        put_time(g + SHM_ATIME, ds.shm_atime);
        put_time(g + SHM_DTIME, ds.shm_dtime);
        put_time(g + SHM_CTIME, ds.shm_ctime);
        put32(g + SHM_CPID, (uint32_t)ds.shm_cpid);
        put32(g + SHM_LPID, (uint32_t)ds.shm_lpid);
        put32(g + SHM_NATTCH, ulong32(ds.shm_nattch));
        return r;
    }
    case IPC_SET: {
        if (!v64) return old_layout(u, "shmctl", cmd);
        const uint8_t *g = guest_rd(u, arg, SHMID_SIZE);
        if (!g) return -EFAULT;
        struct shmid_ds ds;
        memset(&ds, 0, sizeof ds);
        perm_from_guest(&ds.shm_perm, g);
        return host_ret(syscall(SYS_shmctl, id, cmd, &ds));
    }
    case IPC_INFO: {
        /* As the kernel gives a 32-bit task on a 64-bit one
         * (copy_compat_shminfo_to_user): shmmax at most INT_MAX. */
        uint32_t size = v64 ? SHMINFO64_SIZE : SHMINFO_OLD_SIZE;
        uint8_t *g = guest_wr(u, arg, size);
        if (!g) return -EFAULT;
        struct shminfo si;
        long r = syscall(SYS_shmctl, id, cmd, &si);
        if (r < 0) return -errno;
        memset(g, 0, size);
        put32(g, si.shmmax > 0x7fffffffu ? 0x7fffffffu : (uint32_t)si.shmmax);
        put32(g + 4, ulong32(si.shmmin));
        put32(g + 8, ulong32(si.shmmni));
        put32(g + 12, ulong32(si.shmseg));
        put32(g + 16, ulong32(si.shmall));
        return r;
    }
    case SHM_INFO: {
        uint8_t *g = guest_wr(u, arg, SHM_INFO_SIZE);
        if (!g) return -EFAULT;
        struct shm_info si;
        long r = syscall(SYS_shmctl, id, cmd, &si);
        if (r < 0) return -errno;
        put32(g, (uint32_t)si.used_ids);
        put32(g + 4, ulong32(si.shm_tot));
        put32(g + 8, ulong32(si.shm_rss));
        put32(g + 12, ulong32(si.shm_swp));
        put32(g + 16, ulong32(si.swap_attempts));
        put32(g + 20, ulong32(si.swap_successes));
        return r;
    }
    default:
        return -EINVAL;
    }
}
