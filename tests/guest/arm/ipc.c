/* SysV IPC for `loom user arm`: shared memory (shmget, shmat with and
 * without an address, SHM_RND, SHM_RDONLY, shmdt, shmctl IPC_STAT and
 * IPC_RMID, data written by a forked child seen by the parent), semaphores
 * (semget, semctl SETVAL/GETVAL/SETALL/GETALL/IPC_STAT/GETPID, semop,
 * semtimedop, a parent/child handshake) and message queues (msgget, msgsnd
 * and msgrcv by type, MSG_EXCEPT, MSG_NOERROR, msgctl IPC_STAT/IPC_SET, a
 * child sending to its parent). Every object is private and removed at the
 * end. Output is deterministic; compared with qemu-arm by
 * tests/cli/test_loom_user_posix.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

#define ARM_SHMLBA (4 * 4096)

static int failures;

static void check(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) failures++;
}

static const char *err(int r) { return r < 0 ? strerror(errno) : "success"; }

/* On stderr, which is not compared: the test script removes what a run that
 * was cut short left behind. */
static void created(const char *kind, int id)
{
    if (id >= 0) fprintf(stderr, "ipc.c: created %s %d\n", kind, id);
}

static int wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- Shared memory ---------------------------------------------------------- */

static void shm_tests(void)
{
    printf("== shared memory\n");
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    created("shm", id);
    check("shmget", id >= 0);
    struct shmid_ds ds;
    check("IPC_STAT", shmctl(id, IPC_STAT, &ds) == 0);
    printf("segsz %zu nattch %lu mode %o cpid is me %d\n", ds.shm_segsz, (unsigned long)ds.shm_nattch,
           (unsigned)ds.shm_perm.mode & 0777, ds.shm_cpid == getpid());
    printf("uid matches %d key private %d\n", ds.shm_perm.uid == getuid(), ds.shm_perm.__key == IPC_PRIVATE);

    char *p = shmat(id, NULL, 0);
    check("shmat", p != (void *)-1);
    check("attach address is SHMLBA-aligned", ((uintptr_t)p & (ARM_SHMLBA - 1)) == 0);
    check("new segment reads as zero", p[0] == 0 && p[9999] == 0);
    for (int i = 0; i < 10000; i++) p[i] = (char)(i * 7);
    shmctl(id, IPC_STAT, &ds);
    printf("nattch after attach %lu\n", (unsigned long)ds.shm_nattch);

    /* The same segment twice: a store through one is seen through the other. */
    char *q = shmat(id, NULL, 0);
    check("second shmat", q != (void *)-1 && q != p);
    q[5000] = 'Q';
    check("stores are shared between attachments", p[5000] == 'Q');
    char *r = shmat(id, NULL, SHM_RDONLY);
    check("read-only shmat", r != (void *)-1 && r[5000] == 'Q');
    shmctl(id, IPC_STAT, &ds);
    printf("nattch with three %lu\n", (unsigned long)ds.shm_nattch);
    check("shmdt read-only", shmdt(r) == 0);
    check("shmdt second", shmdt(q) == 0);
    errno = 0;
    int e = shmdt(q);
    printf("shmdt again: %d %s\n", e, err(e));
    errno = 0;
    e = shmdt(p + 4096);
    printf("shmdt inside the segment: %d %s\n", e, err(e));

    /* A chosen address: it must be SHMLBA-aligned unless SHM_RND rounds it. */
    errno = 0;
    char *bad = shmat(id, q + 4096, 0);
    printf("shmat at an unaligned address: %s\n", bad == (void *)-1 ? strerror(errno) : "attached");
    char *rnd = shmat(id, q + 4096, SHM_RND);
    check("SHM_RND rounds down to SHMLBA", rnd == q);
    check("rounded attachment sees the data", rnd != (void *)-1 && rnd[5000] == 'Q' && rnd[1] == 7);
    if (rnd != (void *)-1) shmdt(rnd);
    errno = 0;
    char *busy = shmat(id, p, 0);
    printf("shmat over an attachment without SHM_REMAP: %s\n", busy == (void *)-1 ? strerror(errno) : "attached");

    /* The detached range is free again. (Last: qemu-arm 7.2 refuses a later
     * shmat where the guest has mapped and unmapped memory.) */
    void *m = mmap(q, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    check("detached range is free", m == q);
    if (m != MAP_FAILED) munmap(m, 4096);

    /* A child writes, the parent reads. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned sum = 0;
        for (int i = 0; i < 10000; i++) sum += (unsigned char)p[i];
        snprintf(p + 100, 64, "child saw sum %u", sum);
        shmdt(p);
        _exit(0);
    }
    check("fork", pid > 0);
    if (pid > 0) {
        printf("child exit %d\n", wait_child(pid));
        printf("parent reads: %s\n", p + 100);
        shmctl(id, IPC_STAT, &ds);
        printf("nattch after the child %lu lpid is child %d\n", (unsigned long)ds.shm_nattch, ds.shm_lpid == pid);
    }

    check("IPC_RMID", shmctl(id, IPC_RMID, NULL) == 0);
    check("still attached after IPC_RMID", p[5000] == 'Q');
    check("shmdt", shmdt(p) == 0);
    errno = 0;
    void *gone = shmat(id, NULL, 0);
    printf("shmat after removal: %s\n", gone == (void *)-1 ? strerror(errno) : "attached");
    struct shminfo info;
    int maxid = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    printf("IPC_INFO: %s shmmin %lu\n", maxid >= 0 ? "ok" : strerror(errno), (unsigned long)info.shmmin);
}

/* ---- Semaphores --------------------------------------------------------------- */

static int sem_wait_on(int id, int num)
{
    struct sembuf op = {(unsigned short)num, -1, 0};
    return semop(id, &op, 1);
}

static int sem_post_to(int id, int num)
{
    struct sembuf op = {(unsigned short)num, 1, 0};
    return semop(id, &op, 1);
}

static void sem_tests(void)
{
    printf("== semaphores\n");
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    created("sem", id);
    check("semget", id >= 0);
    union semun arg;
    arg.val = 5;
    check("SETVAL", semctl(id, 0, SETVAL, arg) == 0);
    printf("GETVAL %d\n", semctl(id, 0, GETVAL));
    unsigned short vals[3] = {1, 2, 3}, got[3] = {0, 0, 0};
    arg.array = vals;
    check("SETALL", semctl(id, 0, SETALL, arg) == 0);
    arg.array = got;
    check("GETALL", semctl(id, 0, GETALL, arg) == 0);
    printf("values %u %u %u\n", got[0], got[1], got[2]);
    struct semid_ds ds;
    arg.buf = &ds;
    check("IPC_STAT", semctl(id, 0, IPC_STAT, arg) == 0);
    printf("nsems %lu mode %o uid matches %d\n", (unsigned long)ds.sem_nsems, (unsigned)ds.sem_perm.mode & 0777,
           ds.sem_perm.uid == getuid());
    ds.sem_perm.mode = 0640;
    arg.buf = &ds;
    check("IPC_SET", semctl(id, 0, IPC_SET, arg) == 0);
    semctl(id, 0, IPC_STAT, arg);
    printf("mode after IPC_SET %o\n", (unsigned)ds.sem_perm.mode & 0777);

    /* Several operations at once, all or nothing. */
    struct sembuf ops[2] = {{0, -1, 0}, {2, -3, 0}};
    check("semop on two", semop(id, ops, 2) == 0);
    printf("after: %d %d %d\n", semctl(id, 0, GETVAL), semctl(id, 1, GETVAL), semctl(id, 2, GETVAL));
    struct sembuf nowait[2] = {{1, -1, IPC_NOWAIT}, {2, -1, IPC_NOWAIT}};
    errno = 0;
    int e = semop(id, nowait, 2);
    printf("semop that would block: %d %s; sem 1 still %d\n", e, err(e), semctl(id, 1, GETVAL));
    struct timespec ts = {0, 20 * 1000 * 1000};
    struct sembuf one = {2, -1, 0};
    errno = 0;
    e = semtimedop(id, &one, 1, &ts);
    printf("semtimedop timeout: %d %s\n", e, err(e));
    /* The 64-bit time call, which glibc uses only for timeouts past 2038. */
    struct {
        int64_t sec, nsec;
    } ts64 = {0, 20 * 1000 * 1000};
    errno = 0;
    e = (int)syscall(SYS_semtimedop_time64, id, &one, 1, &ts64);
    printf("semtimedop_time64 timeout: %d %s\n", e, err(e));
    struct sembuf zero = {2, 0, IPC_NOWAIT};
    check("wait-for-zero on a zero semaphore", semop(id, &zero, 1) == 0);
    printf("GETPID is me %d\n", semctl(id, 0, GETPID) == getpid());

    /* Ping-pong: the parent posts sem 0, the child answers on sem 1. */
    arg.val = 0;
    semctl(id, 0, SETVAL, arg);
    semctl(id, 1, SETVAL, arg);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 4; i++) {
            if (sem_wait_on(id, 0)) _exit(10);
            printf("child: ping %d\n", i);
            fflush(stdout);
            if (sem_post_to(id, 1)) _exit(11);
        }
        _exit(0);
    }
    if (pid < 0) printf("fork: %s\n", strerror(errno));
    for (int i = 0; i < 4 && pid > 0; i++) {
        printf("parent: send %d\n", i);
        fflush(stdout);
        sem_post_to(id, 0);
        sem_wait_on(id, 1);
        printf("parent: pong %d\n", i);
    }
    printf("child exit %d\n", wait_child(pid));
    /* The child's wait on sem 0 came after the parent's post. */
    printf("GETPID is the child %d\n", semctl(id, 0, GETPID) == pid);

    struct seminfo si;
    arg.buf = (struct semid_ds *)&si;
    printf("IPC_INFO: %s\n", semctl(0, 0, IPC_INFO, arg) >= 0 && si.semmsl > 0 ? "ok" : strerror(errno));
    check("IPC_RMID", semctl(id, 0, IPC_RMID) == 0);
    errno = 0;
    e = semctl(id, 0, GETVAL);
    printf("GETVAL after removal: %d %s\n", e, err(e));
}

/* ---- Message queues ------------------------------------------------------------- */

struct msg {
    long type;
    char text[32];
};

static void msg_send(int id, long type, const char *text)
{
    struct msg m = {type, ""};
    snprintf(m.text, sizeof m.text, "%s", text);
    if (msgsnd(id, &m, strlen(text) + 1, 0)) printf("msgsnd %ld: %s\n", type, strerror(errno));
}

static void msg_recv(int id, long type, int flags, size_t size)
{
    struct msg m;
    memset(&m, 0, sizeof m);
    errno = 0;
    ssize_t n = msgrcv(id, &m, size, type, flags);
    if (n < 0) printf("msgrcv(%ld): %s\n", type, strerror(errno));
    else printf("msgrcv(%ld): type %ld, %zd bytes, '%.*s'\n", type, m.type, n, (int)n, m.text);
}

static void msg_tests(void)
{
    printf("== message queues\n");
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    created("msg", id);
    check("msgget", id >= 0);
    msg_send(id, 1, "one");
    msg_send(id, 2, "two");
    msg_send(id, 3, "three");
    msg_send(id, 2, "two again");
    msg_send(id, 1, "one again");
    struct msqid_ds ds;
    check("IPC_STAT", msgctl(id, IPC_STAT, &ds) == 0);
    printf("qnum %lu cbytes %lu qbytes>0 %d lspid is me %d mode %o\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, ds.msg_qbytes > 0, ds.msg_lspid == getpid(),
           (unsigned)ds.msg_perm.mode & 0777);
    ds.msg_qbytes = 4000;
    check("IPC_SET qbytes", msgctl(id, IPC_SET, &ds) == 0);
    msgctl(id, IPC_STAT, &ds);
    printf("qbytes now %lu\n", (unsigned long)ds.msg_qbytes);

    msg_recv(id, 2, 0, 32);
    msg_recv(id, -2, 0, 32);
    msg_recv(id, 1, MSG_EXCEPT, 32);
    msg_recv(id, 0, 0, 32);
    msg_recv(id, 1, 0, 3);
    msg_recv(id, 1, MSG_NOERROR, 3);
    msg_recv(id, 7, IPC_NOWAIT, 32);
    msgctl(id, IPC_STAT, &ds);
    printf("qnum %lu cbytes %lu lrpid is me %d\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
           ds.msg_lrpid == getpid());
    errno = 0;
    struct msg m = {0, "x"};
    int e = msgsnd(id, &m, 2, 0);
    printf("msgsnd type 0: %d %s\n", e, err(e));

    /* A child sends, the parent waits for each type in turn. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        msg_send(id, 5, "from child 5");
        msg_send(id, 4, "from child 4");
        msg_send(id, 6, "done");
        _exit(0);
    }
    if (pid < 0) printf("fork: %s\n", strerror(errno));
    for (long type = 4; type <= 6 && pid > 0; type++) msg_recv(id, type, 0, 32);
    printf("child exit %d\n", wait_child(pid));
    msgctl(id, IPC_STAT, &ds);
    printf("qnum %lu lspid is child %d\n", (unsigned long)ds.msg_qnum, ds.msg_lspid == pid);

    struct msginfo mi;
    printf("IPC_INFO: %s\n",
           msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0 && mi.msgmax > 0 ? "ok" : strerror(errno));
    check("IPC_RMID", msgctl(id, IPC_RMID, NULL) == 0);
    errno = 0;
    e = msgctl(id, IPC_STAT, &ds);
    printf("IPC_STAT after removal: %d %s\n", e, err(e));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    shm_tests();
    sem_tests();
    msg_tests();
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
