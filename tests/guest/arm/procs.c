/* Processes for `loom user arm`: fork and the child's exit status through
 * waitpid and wait4 (WIFEXITED, WEXITSTATUS), children killed by a signal
 * (WIFSIGNALED, WTERMSIG), waitpid WNOHANG, wait for any child, ECHILD,
 * getppid in the child, process groups (setpgid, getpgid, a signal to a
 * group), SIGCHLD, pipes between parent and child with dup2, execve of a
 * host program (/bin/echo, which qemu-arm runs too) and posix_spawn.
 * `procs exec-self` forks and execs this program again as `procs child-mode
 * hello`: qemu-arm cannot run that on a machine without binfmt_misc, so its
 * reference is the output of `procs child-mode hello` run directly followed
 * by the line of the parent (see tests/cli/test_loom_user_posix.sh).
 * Output is deterministic: no pids, only comparisons between them. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void describe(const char *what, int st)
{
    if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else printf("%s: status 0x%x\n", what, st);
}

/* fork, or end the program: a pid of -1 must never reach kill(), where it
 * means every process there is. */
static pid_t fork_or_die(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fork: %s\n", strerror(errno));
        exit(1);
    }
    return pid;
}

static pid_t spawn_exit(int code)
{
    pid_t pid = fork_or_die();
    if (pid == 0) _exit(code);
    return pid;
}

static void test_exit_status(void)
{
    printf("== exit status\n");
    int st;
    pid_t pid = spawn_exit(7);
    printf("waitpid returns the child: %d\n", waitpid(pid, &st, 0) == pid);
    describe("exit(7)", st);

    pid = spawn_exit(200);
    struct rusage ru;
    printf("wait4 returns the child: %d\n", wait4(pid, &st, 0, &ru) == pid);
    describe("exit(200) via wait4", st);

    pid = fork_or_die();
    if (pid == 0) {
        printf("child: exit from main's return path\n");
        exit(3); /* flushes stdio, runs atexit */
    }
    waitpid(pid, &st, 0);
    describe("exit(3)", st);

    pid = fork_or_die();
    if (pid == 0) {
        kill(getpid(), SIGKILL);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    describe("child kills itself with SIGKILL", st);

    pid = fork_or_die();
    if (pid == 0) {
        for (;;) pause();
    }
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    describe("parent sends SIGTERM", st);

    pid = fork_or_die();
    if (pid == 0) {
        volatile int *volatile p = NULL;
        _exit(p[1]);
    }
    waitpid(pid, &st, 0);
    printf("child faults: signaled %d signal %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);

    errno = 0;
    printf("no children left: %d %s\n", (int)waitpid(-1, &st, 0), strerror(errno));
}

static void test_wait_kinds(void)
{
    printf("== waiting\n");
    int fds[2];
    if (pipe(fds)) printf("pipe: %s\n", strerror(errno));
    pid_t pid = fork_or_die();
    if (pid == 0) {
        char c;
        close(fds[1]);
        ssize_t n = read(fds[0], &c, 1);
        _exit(n == 1 ? c - '0' : 100);
    }
    close(fds[0]);
    int st = 0;
    printf("WNOHANG while the child waits: %d\n", (int)waitpid(pid, &st, WNOHANG));
    if (write(fds[1], "5", 1) != 1) printf("write: %s\n", strerror(errno));
    close(fds[1]);
    printf("then blocking waitpid returns the child: %d\n", waitpid(pid, &st, 0) == pid);
    describe("released child", st);

    /* Several children, reaped in any order. */
    int sum = 0, n = 0;
    pid_t kids[4];
    for (int i = 0; i < 4; i++) kids[i] = spawn_exit(10 + i);
    for (;;) {
        pid_t w = wait(&st);
        if (w < 0) break;
        int known = 0;
        for (int i = 0; i < 4; i++) known |= w == kids[i];
        if (known && WIFEXITED(st)) sum += WEXITSTATUS(st);
        n++;
    }
    printf("wait reaped %d children, statuses sum %d, then %s\n", n, sum, strerror(errno));

    /* waitid: the other interface. */
    pid = spawn_exit(42);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, pid, &si, WEXITED)) printf("waitid: %s\n", strerror(errno));
    printf("waitid: signo %d code %d status %d pid matches %d\n", si.si_signo, si.si_code, si.si_status,
           si.si_pid == pid);
}

static volatile sig_atomic_t sigchld_count;
static void on_sigchld(int sig) { (void)sig, sigchld_count++; }

static void test_relations(void)
{
    printf("== parents and groups\n");
    int fds[2];
    if (pipe(fds)) printf("pipe: %s\n", strerror(errno));
    pid_t me = getpid();
    pid_t pid = fork_or_die();
    if (pid == 0) {
        int ok = getppid() == me && getpid() != me;
        if (write(fds[1], &ok, sizeof ok) != sizeof ok) _exit(1);
        _exit(0);
    }
    int ok = 0;
    if (read(fds[0], &ok, sizeof ok) != sizeof ok) printf("read: %s\n", strerror(errno));
    waitpid(pid, NULL, 0);
    printf("child's getppid is the parent: %d\n", ok);
    close(fds[0]);
    close(fds[1]);

    /* The child in a group of its own; the parent signals the group. */
    if (pipe(fds)) printf("pipe: %s\n", strerror(errno));
    pid = fork_or_die();
    if (pid == 0) {
        setpgid(0, 0);
        int mine = getpgrp() == getpid();
        if (write(fds[1], &mine, sizeof mine) != sizeof mine) _exit(1);
        for (;;) pause();
    }
    setpgid(pid, pid); /* both sides, as shells do: whoever runs first */
    int mine = 0;
    if (read(fds[0], &mine, sizeof mine) != sizeof mine) printf("read: %s\n", strerror(errno));
    printf("child leads its group: %d, getpgid agrees: %d, parent's group unchanged: %d\n", mine,
           getpgid(pid) == pid, getpgrp() != pid);
    kill(-pid, SIGUSR1);
    int st;
    waitpid(pid, &st, 0);
    describe("signal to the child's group", st);
    close(fds[0]);
    close(fds[1]);
    printf("session id is ours: %d\n", getsid(0) == getsid(getpid()));

    /* SIGCHLD reaches the parent when a child ends. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t b, old;
    sigemptyset(&b);
    sigaddset(&b, SIGCHLD);
    sigprocmask(SIG_BLOCK, &b, &old);
    pid = spawn_exit(0);
    sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    waitpid(pid, NULL, 0);
    printf("SIGCHLD handler ran: %d\n", (int)sigchld_count);
    signal(SIGCHLD, SIG_DFL);
}

static void test_pipes_and_exec(void)
{
    printf("== pipes and exec\n");
    /* The child writes its stdout into a pipe, the parent reads it. */
    int fds[2];
    if (pipe(fds)) printf("pipe: %s\n", strerror(errno));
    pid_t pid = fork_or_die();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        printf("line one from the child\nline two\n");
        fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    char buf[256];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    buf[got] = 0;
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    printf("parent read %zu bytes: [%s]\n", got, buf);

    /* Both directions: the parent sends text, the child answers in upper case. */
    int down[2], up[2];
    if (pipe(down) || pipe(up)) printf("pipe: %s\n", strerror(errno));
    pid = fork_or_die();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        char c;
        while (read(down[0], &c, 1) == 1) {
            if (c >= 'a' && c <= 'z') c -= 32;
            if (write(up[1], &c, 1) != 1) _exit(2);
        }
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    const char *msg = "ping through two pipes";
    if (write(down[1], msg, strlen(msg)) != (ssize_t)strlen(msg)) printf("write: %s\n", strerror(errno));
    close(down[1]);
    got = 0;
    while ((n = read(up[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    buf[got] = 0;
    close(up[0]);
    waitpid(pid, &st, 0);
    printf("answer: %s\n", buf);

    /* execve of a host program, its output through a pipe. */
    if (pipe(fds)) printf("pipe: %s\n", strerror(errno));
    pid = fork_or_die();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        char *args[] = {"echo", "hello", "from", "echo", NULL};
        execve("/bin/echo", args, environ);
        printf("execve failed: %s\n", strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    close(fds[1]);
    got = 0;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    buf[got] = 0;
    close(fds[0]);
    waitpid(pid, &st, 0);
    printf("exec'd /bin/echo said: %s", buf);
    describe("echo", st);

    errno = 0;
    pid = fork_or_die();
    if (pid == 0) {
        char *args[] = {"nothing", NULL};
        execve("/nonexistent/program", args, environ);
        _exit(errno == ENOENT ? 11 : 12);
    }
    waitpid(pid, &st, 0);
    describe("execve of a missing file (11: ENOENT)", st);

    /* posix_spawn: glibc uses clone(CLONE_VM | CLONE_VFORK) for it. */
    char *args[] = {"true", NULL};
    int r = posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ);
    if (r) printf("posix_spawn: %s\n", strerror(r));
    else {
        waitpid(pid, &st, 0);
        describe("posix_spawn /bin/true", st);
    }
}

/* Exec this program again (argv[0] must be a path to it). */
static int exec_self(const char *self)
{
    pid_t pid = fork_or_die();
    if (pid == 0) {
        char *args[] = {(char *)self, "child-mode", "hello", NULL};
        execve(self, args, environ);
        printf("execve of %s failed: %s\n", self, strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    describe("exec-self: child", st);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 2 && !strcmp(argv[1], "child-mode")) {
        printf("child mode: %s, argc %d\n", argv[2], argc);
        return 3;
    }
    if (argc > 1 && !strcmp(argv[1], "exec-self")) return exec_self(argv[0]);
    test_exit_status();
    test_wait_kinds();
    test_relations();
    test_pipes_and_exec();
    printf("done\n");
    return 0;
}
