/* Unit tests for core/chardev.c: every back end against real files and
 * real sockets on the loopback interface, driven through the simulation's
 * own poll hooks. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "loom/loom.h"

/* ---- Helpers -------------------------------------------------------------- */

typedef struct rx_count {
    int calls;
} rx_count;

static void count_rx(void *opaque)
{
    ((rx_count *)opaque)->calls++;
}

typedef struct ticker {
    loom_event *ev;
} ticker;

static void tick(loom_sim *sim, void *opaque)
{
    loom_event_schedule_in(((ticker *)opaque)->ev, LOOM_US);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run the simulation (a 1 us ticking event keeps its loop turning, and the
 * loop polls host input every few rounds) until done() says so or 5 s of
 * host time pass. */
static bool run_until(loom_sim *sim, bool (*done)(void *), void *arg)
{
    static const char *const id = "tick";
    ticker *t = calloc(1, sizeof *t);
    assert_non_null(t);
    char owner[32];
    snprintf(owner, sizeof owner, "test-%p", (void *)t);
    assert_int_equal(loom_event_new(sim, owner, id, tick, t, &t->ev), LOOM_OK);
    loom_event_schedule_in(t->ev, LOOM_US);
    double deadline = now_s() + 5.0;
    bool ok = done(arg);
    while (!ok && now_s() < deadline) {
        loom_sim_run(sim, loom_sim_now(sim) + 1000 * LOOM_US);
        ok = done(arg);
        if (!ok) usleep(1000);
    }
    loom_event_cancel(t->ev);
    loom_event_free(t->ev);
    free(t);
    return ok;
}

static bool rx_seen(void *arg)
{
    return ((rx_count *)arg)->calls > 0;
}

typedef struct pending_arg {
    loom_chardev *cd;
    size_t want;
} pending_arg;

static bool has_pending(void *arg)
{
    pending_arg *p = arg;
    return loom_chardev_pending(p->cd) >= p->want;
}

/* Read exactly n bytes from a socket within 5 s. */
static void recv_exact(int fd, void *buf, size_t n)
{
    size_t got = 0;
    double deadline = now_s() + 5.0;
    while (got < n && now_s() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
    }
    assert_int_equal(got, n);
}

/* True if nothing arrives on fd for 100 ms. */
static bool socket_quiet(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 100) == 0;
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static int unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* A server socket that gets accepted and spoken to, through the sim. */
static void exchange_with_client(loom_sim *sim, loom_chardev *cd, int client)
{
    rx_count rx = {0};
    loom_chardev_set_rx_notify(cd, count_rx, &rx);
    assert_int_equal(send(client, "ping", 4, 0), 4);
    assert_true(run_until(sim, rx_seen, &rx));
    pending_arg pa = {cd, 4};
    assert_true(run_until(sim, has_pending, &pa));
    char buf[8] = {0};
    assert_int_equal(loom_chardev_read(cd, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(loom_chardev_pending(cd), 0);

    loom_chardev_write(cd, "pong", 4);
    recv_exact(client, buf, 4);
    assert_memory_equal(buf, "pong", 4);
}

/* ---- mem, null, file ------------------------------------------------------- */

static void test_chardev_mem_records_output_and_delivers_injected_input(void **state)
{
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, "mem", &cd), LOOM_OK);
    assert_string_equal(loom_chardev_spec(cd), "mem");
    assert_int_equal(loom_chardev_port(cd), -1);

    size_t len = 99;
    loom_chardev_mem_output(cd, &len);
    assert_int_equal(len, 0);
    loom_chardev_write(cd, "hello ", 6);
    loom_chardev_write(cd, "world", 5);
    const uint8_t *out = loom_chardev_mem_output(cd, &len);
    assert_int_equal(len, 11);
    assert_memory_equal(out, "hello world", 11);

    rx_count rx = {0};
    loom_chardev_set_rx_notify(cd, count_rx, &rx);
    loom_chardev_mem_inject(cd, "abc", 3);
    assert_int_equal(rx.calls, 1);
    assert_int_equal(loom_chardev_pending(cd), 3);
    char buf[8];
    assert_int_equal(loom_chardev_read(cd, buf, 2), 2);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(loom_chardev_pending(cd), 1);
    assert_int_equal(loom_chardev_read(cd, buf, sizeof buf), 1);
    assert_int_equal(buf[0], 'c');
    assert_int_equal(loom_chardev_read(cd, buf, sizeof buf), 0);
    loom_sim_free(sim);
}

static void test_chardev_null_drops_output_and_has_no_input(void **state)
{
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, "null", &cd), LOOM_OK);
    loom_chardev_write(cd, "gone", 4);
    size_t len = 1;
    assert_null(loom_chardev_mem_output(cd, &len));
    assert_int_equal(len, 0);
    loom_chardev_mem_inject(cd, "x", 1); /* not a mem back end: ignored */
    assert_int_equal(loom_chardev_pending(cd), 0);
    loom_sim_free(sim);
}

static void test_chardev_file_appends_output(void **state)
{
    char path[] = "/tmp/loom-chardev-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "before|", 7), 7);
    close(fd);

    char spec[64];
    snprintf(spec, sizeof spec, "file:%s", path);
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_OK);
    loom_chardev_write(cd, "guest ", 6);
    loom_chardev_write(cd, "output", 6);
    assert_int_equal(loom_chardev_pending(cd), 0);
    loom_sim_free(sim);

    char buf[64] = {0};
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    unlink(path);
    assert_int_equal(n, 19);
    assert_string_equal(buf, "before|guest output");
}

/* ---- Sockets ---------------------------------------------------------------- */

static void test_chardev_tcp_server_exchanges_bytes_with_a_client(void **state)
{
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, "tcp::0,server,nowait", &cd), LOOM_OK);
    int port = loom_chardev_port(cd);
    assert_true(port > 0 && port < 65536);

    /* Nobody is connected yet: this is dropped, not kept for the client. */
    loom_chardev_write(cd, "lost", 4);

    int client = tcp_connect(port);
    exchange_with_client(sim, cd, client);
    assert_true(socket_quiet(client));
    close(client);
    loom_sim_free(sim);
}

static void test_chardev_tcp_server_takes_a_new_client_after_the_first_leaves(void **state)
{
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, "tcp:127.0.0.1:0,server", &cd), LOOM_OK);
    int port = loom_chardev_port(cd);

    int first = tcp_connect(port);
    exchange_with_client(sim, cd, first);
    close(first);

    int second = tcp_connect(port);
    exchange_with_client(sim, cd, second);
    close(second);
    loom_sim_free(sim);
}

static void test_chardev_tcp_client_connects_to_a_listener(void **state)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 1), 0);
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);

    char spec[64];
    snprintf(spec, sizeof spec, "tcp:127.0.0.1:%d", ntohs(sa.sin_port));
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_OK);
    assert_int_equal(loom_chardev_port(cd), -1);
    int peer = accept(lfd, NULL, NULL);
    assert_true(peer >= 0);
    exchange_with_client(sim, cd, peer);
    close(peer);
    close(lfd);
    loom_sim_free(sim);
}

static void test_chardev_unix_server_exchanges_bytes_with_a_client(void **state)
{
    char dir[] = "/tmp/loom-chardev-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], spec[96];
    snprintf(path, sizeof path, "%s/uart.sock", dir);
    snprintf(spec, sizeof spec, "unix:%s,server,nowait", path);

    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_OK);
    int client = unix_connect(path);
    exchange_with_client(sim, cd, client);
    close(client);
    loom_sim_free(sim);

    /* The socket file goes with the back end. */
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    rmdir(dir);
}

static void test_chardev_unix_client_connects_to_a_listener(void **state)
{
    char dir[] = "/tmp/loom-chardev-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char spec[160];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/peer.sock", dir);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 1), 0);
    snprintf(spec, sizeof spec, "unix:%s", sa.sun_path);

    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_OK);
    int peer = accept(lfd, NULL, NULL);
    assert_true(peer >= 0);
    exchange_with_client(sim, cd, peer);
    close(peer);
    close(lfd);
    loom_sim_free(sim);
    unlink(sa.sun_path);
    rmdir(dir);
}

/* A port that was free a moment ago. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_chardev_wait_option_blocks_open_until_a_client_connects(void **state)
{
    int port = free_port();
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* Keep trying until the server listens, say hello, wait for the
         * answer so the bytes are not cut off by a reset. */
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        for (int i = 0; i < 250; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
                char c;
                if (send(fd, "w", 1, 0) == 1 && recv(fd, &c, 1, 0) == 1) _exit(0);
                _exit(2);
            }
            close(fd);
            usleep(20000);
        }
        _exit(1);
    }
    char spec[64];
    snprintf(spec, sizeof spec, "tcp::%d,server,wait", port);
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_OK);
    /* The client is already attached: what it sent arrives on the next poll. */
    pending_arg pa = {cd, 1};
    assert_true(run_until(sim, has_pending, &pa));
    loom_chardev_write(cd, "k", 1);
    int status = -1;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    loom_sim_free(sim);
}

static void test_chardev_client_whose_server_left_lets_the_sim_go_idle(void **state)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 1), 0);
    socklen_t sl = sizeof sa;
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:127.0.0.1:%d", ntohs(sa.sin_port));
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_OK);
    int peer = accept(lfd, NULL, NULL);
    assert_int_equal(send(peer, "bye", 3, 0), 3);
    close(peer);
    close(lfd);
    /* With nothing runnable the loop waits on host input; once the back
     * end has seen the end of its input it must stop being waited on.
     * A regression hangs here, so a watchdog ends the test. */
    alarm(20);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_IDLE);
    alarm(0);
    char buf[4];
    assert_int_equal(loom_chardev_read(cd, buf, sizeof buf), 3); /* nothing lost */
    loom_chardev_write(cd, "dropped", 7); /* no peer: dropped, no crash */
    loom_sim_free(sim);
}

typedef struct drain_arg {
    int fd;
    uint8_t *buf;
    size_t got, cap;
    double quiet_since;
} drain_arg;

/* Read whatever the client has; done once nothing came for 300 ms. */
static bool drained(void *arg)
{
    drain_arg *d = arg;
    for (;;) {
        ssize_t r = recv(d->fd, d->buf + d->got, d->cap - d->got, MSG_DONTWAIT);
        if (r <= 0) break;
        d->got += (size_t)r;
        d->quiet_since = now_s();
    }
    return now_s() - d->quiet_since > 0.3;
}

static void test_chardev_stalled_client_gets_a_bounded_queue_in_order(void **state)
{
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_int_equal(loom_chardev_open(sim, "tcp::0,server", &cd), LOOM_OK);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)loom_chardev_port(cd)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(client, (struct sockaddr *)&sa, sizeof sa), 0);
    /* Let the back end accept the client. */
    exchange_with_client(sim, cd, client);

    /* 8 MiB while the client reads nothing: more than the kernel's buffers
     * plus the 1 MiB queue can hold. */
    const size_t total = 8u << 20, chunk = 4096;
    uint8_t *pattern = malloc(total);
    assert_non_null(pattern);
    for (size_t i = 0; i < total; i++) pattern[i] = (uint8_t)(i % 251);
    for (size_t off = 0; off < total; off += chunk) loom_chardev_write(cd, pattern + off, chunk);

    drain_arg d = {client, malloc(total), 0, total, now_s()};
    assert_non_null(d.buf);
    run_until(sim, drained, &d);
    assert_true(d.got >= (1u << 20));
    assert_true(d.got < total);
    /* What arrives is the start of the stream, in order, without holes. */
    assert_memory_equal(d.buf, pattern, d.got);
    free(d.buf);
    free(pattern);
    close(client);
    loom_sim_free(sim);
}

/* ---- Errors ----------------------------------------------------------------- */

static void test_chardev_rejects_bad_specs_with_the_accepted_forms(void **state)
{
    static const char *const bad[] = {
        "",
        "serial0",
        "file:",
        "tcp:",
        "tcp:localhost",
        "tcp::99999,server",
        "tcp::port,server",
        "tcp::0",
        "tcp::4444,server,telnet",
        "tcp::4444,server=maybe",
        "tcp:127.0.0.1:4444,wait",
        "unix:",
        "mem,server",
    };
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        loom_chardev *cd = (loom_chardev *)&cd;
        loom_err e = loom_chardev_open(sim, bad[i], &cd);
        if (e != LOOM_E_INVAL) fail_msg("spec \"%s\" gave %s", bad[i], loom_strerror(e));
        assert_null(cd);
        const char *msg = loom_sim_last_error(sim);
        assert_non_null(strstr(msg, "accepted forms"));
        assert_non_null(strstr(msg, "tcp:[HOST]:PORT,server"));
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
        assert_non_null(strstr(msg, quoted));
    }
    loom_sim_free(sim);
}

static void test_chardev_reports_host_errors_with_their_cause(void **state)
{
    loom_sim *sim;
    loom_chardev *cd;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);

    assert_int_equal(loom_chardev_open(sim, "file:/nonexistent-loom-dir/out.txt", &cd), LOOM_E_IO);
    assert_non_null(strstr(loom_sim_last_error(sim), "file:/nonexistent-loom-dir/out.txt"));
    assert_non_null(strstr(loom_sim_last_error(sim), strerror(ENOENT)));

    /* A port that was just free has nobody listening. */
    char spec[64];
    snprintf(spec, sizeof spec, "tcp:127.0.0.1:%d", free_port());
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_E_IO);
    assert_non_null(strstr(loom_sim_last_error(sim), strerror(ECONNREFUSED)));

    /* Two servers on one port: the second cannot bind. */
    loom_chardev *first;
    assert_int_equal(loom_chardev_open(sim, "tcp::0,server", &first), LOOM_OK);
    snprintf(spec, sizeof spec, "tcp::%d,server", loom_chardev_port(first));
    assert_int_equal(loom_chardev_open(sim, spec, &cd), LOOM_E_IO);
    assert_non_null(strstr(loom_sim_last_error(sim), strerror(EADDRINUSE)));
    loom_sim_free(sim);
}

static void test_chardev_two_simulations_keep_separate_back_ends(void **state)
{
    loom_sim *a, *b;
    loom_chardev *ca, *cb;
    assert_int_equal(loom_sim_new(&a), LOOM_OK);
    assert_int_equal(loom_sim_new(&b), LOOM_OK);
    assert_int_equal(loom_chardev_open(a, "mem", &ca), LOOM_OK);
    assert_int_equal(loom_chardev_open(b, "mem", &cb), LOOM_OK);
    loom_chardev_write(ca, "A", 1);
    loom_chardev_mem_inject(cb, "B", 1);
    size_t la, lb;
    loom_chardev_mem_output(ca, &la);
    loom_chardev_mem_output(cb, &lb);
    assert_int_equal(la, 1);
    assert_int_equal(lb, 0);
    assert_int_equal(loom_chardev_pending(ca), 0);
    assert_int_equal(loom_chardev_pending(cb), 1);
    loom_sim_free(a);
    assert_int_equal(loom_chardev_pending(cb), 1);
    loom_sim_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chardev_mem_records_output_and_delivers_injected_input),
        cmocka_unit_test(test_chardev_null_drops_output_and_has_no_input),
        cmocka_unit_test(test_chardev_file_appends_output),
        cmocka_unit_test(test_chardev_tcp_server_exchanges_bytes_with_a_client),
        cmocka_unit_test(test_chardev_tcp_server_takes_a_new_client_after_the_first_leaves),
        cmocka_unit_test(test_chardev_tcp_client_connects_to_a_listener),
        cmocka_unit_test(test_chardev_unix_server_exchanges_bytes_with_a_client),
        cmocka_unit_test(test_chardev_unix_client_connects_to_a_listener),
        cmocka_unit_test(test_chardev_stalled_client_gets_a_bounded_queue_in_order),
        cmocka_unit_test(test_chardev_wait_option_blocks_open_until_a_client_connects),
        cmocka_unit_test(test_chardev_client_whose_server_left_lets_the_sim_go_idle),
        cmocka_unit_test(test_chardev_rejects_bad_specs_with_the_accepted_forms),
        cmocka_unit_test(test_chardev_reports_host_errors_with_their_cause),
        cmocka_unit_test(test_chardev_two_simulations_keep_separate_back_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
