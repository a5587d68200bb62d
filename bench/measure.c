/* The bench runner's launcher: runs one program and writes its wall time,
 * CPU time, peak memory and exit status to a file. It exists because Linux
 * carries a process's peak RSS across exec: a program started straight from
 * the Python runner would report at least the runner's own RSS, so it is
 * started from this small process instead.
 * Usage: measure TIMEOUT_SECONDS RESULT_FILE PROGRAM [ARGS...]
 * RESULT_FILE gets one line: wall user sys maxrss_kib status timed_out,
 * times in seconds, status the exit code or minus the signal number. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child, timed_out;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (child > 0) kill(child, SIGKILL);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: measure TIMEOUT_SECONDS RESULT_FILE PROGRAM [ARGS...]\n");
        return 64;
    }
    unsigned timeout = (unsigned)strtoul(argv[1], NULL, 10);
    FILE *out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        return 66;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 70;
    }
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        perror(argv[3]);
        _exit(127);
    }
    child = pid;
    signal(SIGALRM, on_alarm);
    if (timeout) alarm(timeout);
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        ; /* EINTR from the alarm: the child is being killed, wait again */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    fprintf(out, "%.6f %ld.%06ld %ld.%06ld %ld %d %d\n", wall, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
            (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss, code, (int)timed_out);
    fclose(out);
    return 0;
}
