/* Character back ends: the host side of UARTs and consoles (stdio, files,
 * TCP and Unix sockets, and an in-memory back end for tests). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "loom/chardev.h"
#include "loom/sim.h"

#define CD_FORMS                                                                        \
    "stdio, null, mem, file:PATH, tcp:[HOST]:PORT,server[,wait|,nowait], tcp:HOST:PORT, " \
    "unix:PATH,server[,wait|,nowait], unix:PATH"

/* Output a stalled client has not taken yet is kept up to this much. */
#define CD_TX_LIMIT ((size_t)1 << 20)
/* Input read from the host but not yet taken by the model. Past this the
 * back end stops reading, so the host (kernel socket buffer, terminal) holds
 * the rest and nothing is lost. */
#define CD_RX_LIMIT ((size_t)64 << 10)

/* A byte queue: d[head .. head+len) is live. */
typedef struct byteq {
    uint8_t *d;
    size_t head, len, cap;
} byteq;

typedef enum cd_kind { CD_NULL, CD_STDIO, CD_FILE, CD_MEM, CD_TCP, CD_UNIX } cd_kind;

struct loom_chardev {
    loom_sim *sim;
    char *spec;
    cd_kind kind;
    bool server;
    int in_fd, out_fd; /* -1 when absent; a socket uses its connection for both */
    int listen_fd;
    int port;          /* tcp server: the bound port */
    char *unix_path;   /* unix server: removed at close */
    bool term_raw;     /* this back end holds a reference on the raw terminal */
    bool in_eof;
    bool polled;       /* registered with loom_sim_add_poll */
    byteq rx, tx, mem_out;
    size_t rx_limit;
    uint64_t dropped;  /* output bytes lost: nobody connected or queue full */
    void (*notify)(void *opaque);
    void *notify_opaque;
};

/* ---- Byte queues --------------------------------------------------------- */

static size_t q_push(byteq *q, const void *p, size_t n, size_t limit)
{
    if (!n || q->len >= limit) return 0;
    if (n > limit - q->len) n = limit - q->len;
    if (q->head + q->len + n > q->cap) {
        if (q->head) {
            memmove(q->d, q->d + q->head, q->len);
            q->head = 0;
        }
        if (q->len + n > q->cap) {
            size_t cap = q->cap ? q->cap : 256;
            while (cap < q->len + n) cap *= 2;
            uint8_t *d = realloc(q->d, cap);
            if (!d) return 0;
            q->d = d;
            q->cap = cap;
        }
    }
    memcpy(q->d + q->head + q->len, p, n);
    q->len += n;
    return n;
}

static void q_drop(byteq *q, size_t n)
{
    if (n > q->len) n = q->len;
    q->head += n;
    q->len -= n;
    if (!q->len) q->head = 0;
}

static size_t q_pop(byteq *q, void *p, size_t n)
{
    if (n > q->len) n = q->len;
    if (!n) return 0;
    memcpy(p, q->d + q->head, n);
    q_drop(q, n);
    return n;
}

static void q_free(byteq *q)
{
    free(q->d);
    memset(q, 0, sizeof *q);
}

/* ---- The terminal -------------------------------------------------------
 * The controlling terminal belongs to the process, not to a simulation, so
 * its saved settings are process-wide too: with a per-back-end copy, a second
 * simulation opening stdio would save the first one's raw mode as "original"
 * and leave the terminal raw. A reference count lets the last stdio back end
 * restore it; the atexit hook covers a program that exits without freeing
 * its simulation. This is the file's only mutable static, and it mirrors
 * state that is already global in the kernel. */
static struct {
    pthread_mutex_t lock;
    int users;
    bool hook_installed;
    struct termios orig;
} term = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void term_restore_at_exit(void)
{
    pthread_mutex_lock(&term.lock);
    if (term.users > 0) tcsetattr(STDIN_FILENO, TCSANOW, &term.orig);
    term.users = 0;
    pthread_mutex_unlock(&term.lock);
}

/* Raw input without echo. ISIG stays on so ^C and ^Z still reach Loom as
 * signals, and OPOST stays on so Loom's own messages keep their line ends,
 * as QEMU's stdio back end does by default. */
static bool term_acquire(void)
{
    if (!isatty(STDIN_FILENO)) return false;
    bool ok = true;
    pthread_mutex_lock(&term.lock);
    if (term.users == 0) {
        struct termios t;
        if (tcgetattr(STDIN_FILENO, &term.orig) != 0) {
            ok = false;
        } else {
            t = term.orig;
            t.c_iflag &= ~(unsigned)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
            t.c_lflag &= ~(unsigned)(ECHO | ECHONL | ICANON | IEXTEN);
            t.c_cflag &= ~(unsigned)(CSIZE | PARENB);
            t.c_cflag |= CS8;
            t.c_cc[VMIN] = 1;
            t.c_cc[VTIME] = 0;
            ok = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
        }
        if (ok && !term.hook_installed) term.hook_installed = atexit(term_restore_at_exit) == 0;
    }
    if (ok) term.users++;
    pthread_mutex_unlock(&term.lock);
    return ok;
}

static void term_release(void)
{
    pthread_mutex_lock(&term.lock);
    if (term.users > 0 && --term.users == 0) tcsetattr(STDIN_FILENO, TCSANOW, &term.orig);
    pthread_mutex_unlock(&term.lock);
}

/* ---- Errors -------------------------------------------------------------- */

static loom_err bad_spec(loom_sim *sim, const char *spec, const char *why)
{
    return loom_sim_error(sim, LOOM_E_INVAL, "chardev \"%s\": %s; accepted forms: %s", spec, why,
                          CD_FORMS);
}

static loom_err io_error(loom_sim *sim, const char *spec, const char *what, int err)
{
    return loom_sim_error(sim, LOOM_E_IO, "chardev \"%s\": %s: %s", spec, what, strerror(err));
}

/* ---- Connections --------------------------------------------------------- */

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void conn_attach(loom_chardev *cd, int fd)
{
    set_nonblock(fd);
    if (cd->kind == CD_TCP) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    cd->in_fd = cd->out_fd = fd;
    cd->in_eof = false;
}

/* The peer went away: a server goes back to listening, a client stays
 * closed. What was queued for the old peer is not the new peer's. */
static void conn_close(loom_chardev *cd)
{
    if (cd->in_fd >= 0) close(cd->in_fd);
    cd->in_fd = cd->out_fd = -1;
    cd->dropped += cd->tx.len;
    q_drop(&cd->tx, cd->tx.len);
}

static bool try_accept(loom_chardev *cd)
{
    if (cd->listen_fd < 0 || cd->in_fd >= 0) return false;
    int fd = accept4(cd->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return false;
    conn_attach(cd, fd);
    return true;
}

/* Block until the first client arrives (the `wait` option). */
static loom_err wait_for_client(loom_chardev *cd)
{
    fprintf(stderr, "loom: waiting for a connection on %s\n", cd->spec);
    for (;;) {
        struct pollfd p = {.fd = cd->listen_fd, .events = POLLIN};
        int r = poll(&p, 1, -1);
        if (r < 0 && errno != EINTR) return io_error(cd->sim, cd->spec, "poll", errno);
        if (r > 0 && try_accept(cd)) return LOOM_OK;
    }
}

/* ---- Spec parsing -------------------------------------------------------- */

typedef struct cd_opts {
    bool server, wait;
} cd_opts;

static bool opt_bool(const char *val, bool *out)
{
    if (!strcmp(val, "on") || !strcmp(val, "yes") || !strcmp(val, "true")) *out = true;
    else if (!strcmp(val, "off") || !strcmp(val, "no") || !strcmp(val, "false")) *out = false;
    else return false;
    return true;
}

/* Options after the address: server, wait, nowait, and QEMU's newer
 * server=on|off and wait=on|off. */
static loom_err parse_opts(loom_sim *sim, const char *spec, char *opts, cd_opts *o)
{
    bool wait_given = false;
    for (char *save = NULL, *tok = strtok_r(opts, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *val = strchr(tok, '=');
        if (val) *val++ = '\0';
        bool v = true;
        if (val && !opt_bool(val, &v)) {
            char msg[160];
            snprintf(msg, sizeof msg, "option %s wants on or off, not \"%s\"", tok, val);
            return bad_spec(sim, spec, msg);
        }
        if (!strcmp(tok, "server")) {
            o->server = v;
        } else if (!strcmp(tok, "wait")) {
            o->wait = v;
            wait_given = true;
        } else if (!strcmp(tok, "nowait") && !val) {
            o->wait = false;
            wait_given = true;
        } else {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown option \"%s\" (known: server, wait, nowait)", tok);
            return bad_spec(sim, spec, msg);
        }
    }
    if (wait_given && o->wait && !o->server)
        return bad_spec(sim, spec, "wait applies only to a server");
    return LOOM_OK;
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT"; host is left empty when absent. */
static loom_err parse_hostport(loom_sim *sim, const char *spec, char *addr, char **host,
                               char **port)
{
    char *colon;
    if (addr[0] == '[') {
        char *close_br = strchr(addr, ']');
        if (!close_br || close_br[1] != ':') return bad_spec(sim, spec, "expected [HOST]:PORT");
        *close_br = '\0';
        *host = addr + 1;
        colon = close_br + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon) return bad_spec(sim, spec, "a tcp address needs a port");
        *colon = '\0';
        *host = addr;
    }
    *port = colon + 1;
    char *end;
    errno = 0;
    long p = strtol(*port, &end, 10);
    if (!**port || *end || errno || p < 0 || p > 65535)
        return bad_spec(sim, spec, "the port must be a number from 0 to 65535");
    return LOOM_OK;
}

/* ---- Opening each kind ---------------------------------------------------- */

static loom_err open_tcp(loom_chardev *cd, char *addr, const cd_opts *o)
{
    char *host = NULL, *port = NULL;
    loom_err e = parse_hostport(cd->sim, cd->spec, addr, &host, &port);
    if (e) return e;
    if (!*host) host = "127.0.0.1";
    if (!o->server && !strcmp(port, "0"))
        return bad_spec(cd->sim, cd->spec, "a client needs a non-zero port");

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | (o->server ? AI_PASSIVE : 0)};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai) {
        return loom_sim_error(cd->sim, LOOM_E_IO, "chardev \"%s\": cannot resolve \"%s\": %s",
                              cd->spec, host, gai_strerror(gai));
    }
    int err = 0, fd = -1;
    const char *what = o->server ? "bind" : "connect";
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int ok;
        if (o->server) {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            ok = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4) == 0;
        } else {
            ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
        }
        if (!ok) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return io_error(cd->sim, cd->spec, what, err ? err : EADDRNOTAVAIL);

    if (!o->server) {
        conn_attach(cd, fd);
        return LOOM_OK;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) cd->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6) cd->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    set_nonblock(fd);
    cd->listen_fd = fd;
    return LOOM_OK;
}

static loom_err open_unix(loom_chardev *cd, const char *path, const cd_opts *o)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!*path) return bad_spec(cd->sim, cd->spec, "unix: needs a path");
    if (strlen(path) >= sizeof sa.sun_path) return bad_spec(cd->sim, cd->spec, "the socket path is too long");
    strcpy(sa.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return io_error(cd->sim, cd->spec, "socket", errno);
    if (!o->server) {
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            int err = errno;
            close(fd);
            return io_error(cd->sim, cd->spec, "connect", err);
        }
        conn_attach(cd, fd);
        return LOOM_OK;
    }
    /* A socket file left by an earlier run would make bind fail; anything
     * that is not a socket is left alone. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4) != 0) {
        int err = errno;
        close(fd);
        return io_error(cd->sim, cd->spec, "bind", err);
    }
    cd->unix_path = strdup(path);
    set_nonblock(fd);
    cd->listen_fd = fd;
    return LOOM_OK;
}

/* ---- Polling ------------------------------------------------------------- */

static void flush_tx(loom_chardev *cd)
{
    while (cd->tx.len && cd->out_fd >= 0) {
        ssize_t n;
        if (cd->kind == CD_TCP || cd->kind == CD_UNIX)
            n = send(cd->out_fd, cd->tx.d + cd->tx.head, cd->tx.len, MSG_NOSIGNAL);
        else
            n = write(cd->out_fd, cd->tx.d + cd->tx.head, cd->tx.len);
        if (n > 0) {
            q_drop(&cd->tx, (size_t)n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            if (cd->kind == CD_TCP || cd->kind == CD_UNIX) {
                conn_close(cd);
            } else {
                cd->dropped += cd->tx.len;
                q_drop(&cd->tx, cd->tx.len);
            }
            return;
        }
    }
}

/* Read what the host has for us; true if anything arrived. */
static bool fill_rx(loom_chardev *cd)
{
    bool got = false;
    uint8_t buf[4096];
    while (cd->in_fd >= 0 && !cd->in_eof && cd->rx.len < cd->rx_limit) {
        size_t want = cd->rx_limit - cd->rx.len;
        if (want > sizeof buf) want = sizeof buf;
        ssize_t n = read(cd->in_fd, buf, want);
        if (n > 0) {
            q_push(&cd->rx, buf, (size_t)n, cd->rx_limit);
            got = true;
            /* stdin stays blocking (its flags are shared with whoever else
             * holds the terminal), so read it once per readiness report. */
            if (cd->kind == CD_STDIO) break;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else if (cd->kind == CD_STDIO) {
            cd->in_eof = true;
        } else {
            conn_close(cd);
        }
    }
    return got;
}

static void update_polling(loom_chardev *cd);

static bool cd_poll(void *opaque, int max_wait_ms)
{
    loom_chardev *cd = opaque;
    struct pollfd p[3];
    int n = 0, listen_i = -1, in_i = -1, out_i = -1;

    if (cd->listen_fd >= 0 && cd->in_fd < 0) {
        listen_i = n;
        p[n++] = (struct pollfd){.fd = cd->listen_fd, .events = POLLIN};
    }
    if (cd->in_fd >= 0 && !cd->in_eof && cd->rx.len < cd->rx_limit) {
        in_i = n;
        p[n++] = (struct pollfd){.fd = cd->in_fd, .events = POLLIN};
    }
    if (cd->out_fd >= 0 && cd->tx.len) {
        if (in_i >= 0 && p[in_i].fd == cd->out_fd) {
            out_i = in_i;
            p[in_i].events |= POLLOUT;
        } else {
            out_i = n;
            p[n++] = (struct pollfd){.fd = cd->out_fd, .events = POLLOUT};
        }
    }
    if (n == 0) {
        update_polling(cd);
        return false;
    }
    int r = poll(p, (nfds_t)n, max_wait_ms > 0 ? max_wait_ms : 0);
    if (r <= 0) return false;

    bool did = false;
    if (out_i >= 0 && p[out_i].revents) {
        size_t before = cd->tx.len;
        flush_tx(cd);
        did |= cd->tx.len != before;
    }
    if (in_i >= 0 && p[in_i].revents && cd->in_fd >= 0) {
        if (p[in_i].revents & POLLNVAL) cd->in_eof = true;
        else if (fill_rx(cd)) did = true;
        else if (cd->in_fd < 0) did = true; /* the peer left */
    }
    if (listen_i >= 0 && p[listen_i].revents && try_accept(cd)) {
        did = true;
        fill_rx(cd); /* a client may have typed before we noticed it */
    }
    if (did && cd->rx.len && cd->notify) cd->notify(cd->notify_opaque);
    update_polling(cd);
    return did;
}

/* A back end that can never bring input or flush output again leaves the
 * poll list: the scheduler reports an idle simulation only once no hook is
 * left (stdin at end of file in CI, a client whose server went away). */
static void update_polling(loom_chardev *cd)
{
    bool live = cd->listen_fd >= 0 || (cd->in_fd >= 0 && !cd->in_eof) ||
                (cd->out_fd >= 0 && cd->tx.len);
    if (live && !cd->polled) {
        cd->polled = loom_sim_add_poll(cd->sim, cd_poll, cd) == LOOM_OK;
    } else if (!live && cd->polled) {
        loom_sim_remove_poll(cd->sim, cd_poll, cd);
        cd->polled = false;
    }
}

/* ---- Life cycle ------------------------------------------------------------ */

static void cd_destroy(void *obj)
{
    loom_chardev *cd = obj;
    if (cd->polled) loom_sim_remove_poll(cd->sim, cd_poll, cd);
    if (cd->kind == CD_STDIO) {
        if (cd->term_raw) term_release();
    } else {
        if (cd->in_fd >= 0) close(cd->in_fd);
        if (cd->out_fd >= 0 && cd->out_fd != cd->in_fd) close(cd->out_fd);
    }
    if (cd->listen_fd >= 0) close(cd->listen_fd);
    if (cd->unix_path) {
        unlink(cd->unix_path);
        free(cd->unix_path);
    }
    q_free(&cd->rx);
    q_free(&cd->tx);
    q_free(&cd->mem_out);
    free(cd->spec);
    free(cd);
}

static loom_err open_kind(loom_chardev *cd, char *work)
{
    loom_sim *sim = cd->sim;
    if (!strcmp(work, "null")) {
        cd->kind = CD_NULL;
        return LOOM_OK;
    }
    if (!strcmp(work, "mem")) {
        cd->kind = CD_MEM;
        cd->rx_limit = SIZE_MAX;
        return LOOM_OK;
    }
    if (!strcmp(work, "stdio")) {
        cd->kind = CD_STDIO;
        cd->in_fd = STDIN_FILENO;
        cd->out_fd = STDOUT_FILENO;
        cd->term_raw = term_acquire();
        return LOOM_OK;
    }
    /* A file path is taken whole, commas included: files have no options. */
    if (!strncmp(work, "file:", 5)) {
        const char *path = work + 5;
        if (!*path) return bad_spec(sim, cd->spec, "file: needs a path");
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (fd < 0) return io_error(sim, cd->spec, path, errno);
        cd->kind = CD_FILE;
        cd->out_fd = fd;
        return LOOM_OK;
    }

    char *opts = strchr(work, ',');
    if (opts) *opts++ = '\0';
    cd_opts o = {0};
    bool is_tcp = !strncmp(work, "tcp:", 4), is_unix = !strncmp(work, "unix:", 5);
    if (!is_tcp && !is_unix) {
        if (opts) return bad_spec(sim, cd->spec, "options apply only to tcp: and unix:");
        return bad_spec(sim, cd->spec, "unknown back end");
    }
    loom_err e = parse_opts(sim, cd->spec, opts ? opts : (char[]){""}, &o);
    if (e) return e;
    cd->server = o.server;
    if (is_tcp) {
        cd->kind = CD_TCP;
        e = open_tcp(cd, work + 4, &o);
    } else {
        cd->kind = CD_UNIX;
        e = open_unix(cd, work + 5, &o);
    }
    if (!e && o.server && o.wait) e = wait_for_client(cd);
    return e;
}

loom_err loom_chardev_open(loom_sim *sim, const char *spec, loom_chardev **out)
{
    *out = NULL;
    if (!spec) spec = "";
    loom_chardev *cd = calloc(1, sizeof *cd);
    char *work = strdup(spec);
    if (!cd || !work || !(cd->spec = strdup(spec))) {
        free(work);
        if (cd) free(cd->spec);
        free(cd);
        return loom_sim_error(sim, LOOM_E_NOMEM, "chardev \"%s\": out of memory", spec);
    }
    cd->sim = sim;
    cd->in_fd = cd->out_fd = cd->listen_fd = -1;
    cd->port = -1;
    cd->rx_limit = CD_RX_LIMIT;

    loom_err e = open_kind(cd, work);
    free(work);
    if (!e && (cd->in_fd >= 0 || cd->listen_fd >= 0)) {
        e = loom_sim_add_poll(sim, cd_poll, cd);
        cd->polled = e == LOOM_OK;
    }
    if (e) {
        cd_destroy(cd);
        return e;
    }
    if ((e = loom_sim_own(sim, cd, cd_destroy)) != LOOM_OK) {
        cd_destroy(cd);
        return e;
    }
    *out = cd;
    return LOOM_OK;
}

const char *loom_chardev_spec(const loom_chardev *cd)
{
    return cd->spec;
}

int loom_chardev_port(const loom_chardev *cd)
{
    return cd->kind == CD_TCP && cd->server ? cd->port : -1;
}

/* ---- Data ---------------------------------------------------------------- */

void loom_chardev_write(loom_chardev *cd, const void *buf, size_t len)
{
    switch (cd->kind) {
    case CD_NULL:
        return;
    case CD_MEM:
        q_push(&cd->mem_out, buf, len, SIZE_MAX);
        return;
    default:
        break;
    }
    if (cd->out_fd < 0) {
        cd->dropped += len;
        return;
    }
    /* Keep order: new bytes go behind anything already queued. */
    size_t done = 0;
    if (!cd->tx.len) {
        const uint8_t *p = buf;
        bool sock = cd->kind == CD_TCP || cd->kind == CD_UNIX;
        while (done < len) {
            ssize_t n = sock ? send(cd->out_fd, p + done, len - done, MSG_NOSIGNAL)
                             : write(cd->out_fd, p + done, len - done);
            if (n > 0) {
                done += (size_t)n;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else {
                if (sock) conn_close(cd);
                cd->dropped += len - done;
                return;
            }
        }
    }
    size_t queued = q_push(&cd->tx, (const uint8_t *)buf + done, len - done, CD_TX_LIMIT);
    cd->dropped += len - done - queued;
    if (queued) update_polling(cd);
}

size_t loom_chardev_read(loom_chardev *cd, void *buf, size_t len)
{
    return q_pop(&cd->rx, buf, len);
}

size_t loom_chardev_pending(loom_chardev *cd)
{
    return cd->rx.len;
}

void loom_chardev_set_rx_notify(loom_chardev *cd, void (*fn)(void *opaque), void *opaque)
{
    cd->notify = fn;
    cd->notify_opaque = opaque;
}

const uint8_t *loom_chardev_mem_output(const loom_chardev *cd, size_t *len)
{
    if (cd->kind != CD_MEM || !cd->mem_out.len) {
        *len = 0;
        return cd->kind == CD_MEM ? (const uint8_t *)"" : NULL;
    }
    *len = cd->mem_out.len;
    return cd->mem_out.d + cd->mem_out.head;
}

/* Injected input is delivered at once: the caller runs on the scheduler's
 * thread, which is what the notify contract asks. */
void loom_chardev_mem_inject(loom_chardev *cd, const void *buf, size_t len)
{
    if (cd->kind != CD_MEM || !len) return;
    q_push(&cd->rx, buf, len, cd->rx_limit);
    if (cd->notify) cd->notify(cd->notify_opaque);
}
