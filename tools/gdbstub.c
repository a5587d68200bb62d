/* The GDB stub: GDB's remote serial protocol (the GDB manual, appendix
 * "Remote Protocol") on a TCP socket. Threads are the CPUs of one
 * architecture (thread id = index + 1). Registers come in the order of the
 * architecture's target description; memory is read and written by the
 * selected CPU's virtual addresses without side effects on devices.
 * Breakpoints and watchpoints are GDB's Z types. The simulation runs only
 * between a continue or step and the next stop. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdbstub.h"

#define GDB_MAX_PACKET 16384
#define GDB_MAX_CPUS 64

enum { SIGINT_ = 2, SIGTRAP_ = 5, SIGSEGV_ = 11 };

struct loom_gdb {
    loom_sim *sim;
    int listen_fd, fd;
    char spec[128];
    loom_cpu *cpus[GDB_MAX_CPUS];
    unsigned ncpu;
    const loom_arch *arch;
    unsigned g_cpu;          /* Hg: registers and memory */
    bool no_ack;
    bool interrupted;        /* Ctrl-C came while running */
    bool connected;          /* a debugger connected while running: stop, say nothing */
    bool attached;           /* a debugger is connected */
    bool fault_reported;     /* a fatal fault was shown as a signal */
    bool killed;
    char in[GDB_MAX_PACKET]; /* bytes received, not yet a whole packet */
    size_t inlen;
    char reply[2 * GDB_MAX_PACKET + 64];
};

/* ---- Connection -------------------------------------------------------------------- */

loom_err loom_gdb_open(loom_sim *sim, const char *spec, loom_gdb **out)
{
    *out = NULL;
    const char *hostport = NULL;
    if (!strncmp(spec, "tcp:", 4)) hostport = spec + 4;
    else return loom_sim_error(sim, LOOM_E_INVAL, "--gdb: expected tcp::PORT or tcp:HOST:PORT, not '%s'", spec);
    const char *colon = strrchr(hostport, ':');
    if (!colon || !colon[1])
        return loom_sim_error(sim, LOOM_E_INVAL, "--gdb: expected tcp::PORT or tcp:HOST:PORT, not '%s'", spec);
    char host[256];
    size_t hl = (size_t)(colon - hostport);
    if (hl >= sizeof host) return loom_sim_error(sim, LOOM_E_INVAL, "--gdb: host name too long");
    memcpy(host, hostport, hl);
    host[hl] = 0;
    loom_gdb *g = calloc(1, sizeof *g);
    if (!g) return LOOM_E_NOMEM;
    g->sim = sim;
    g->fd = -1;
    snprintf(g->spec, sizeof g->spec, "%s", spec);
    /* The CPUs of the first CPU's architecture (GDB cannot mix them). */
    for (size_t i = 0; i < loom_sim_cpu_count(sim) && g->ncpu < GDB_MAX_CPUS; i++) {
        loom_cpu *c = loom_sim_cpu_at(sim, i);
        if (!g->arch) g->arch = loom_cpu_arch(c);
        if (loom_cpu_arch(c) == g->arch) g->cpus[g->ncpu++] = c;
    }
    if (!g->ncpu || !g->arch->gdb_xml) {
        free(g);
        return loom_sim_error(sim, LOOM_E_UNSUPPORTED, "--gdb: the board has no CPU GDB can debug");
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int r = getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &ai);
    if (r) {
        free(g);
        return loom_sim_error(sim, LOOM_E_INVAL, "--gdb: '%s': %s", spec, gai_strerror(r));
    }
    g->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (g->listen_fd >= 0) setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (g->listen_fd < 0 || bind(g->listen_fd, ai->ai_addr, ai->ai_addrlen) || listen(g->listen_fd, 1)) {
        int err = errno;
        freeaddrinfo(ai);
        if (g->listen_fd >= 0) close(g->listen_fd);
        free(g);
        return loom_sim_error(sim, LOOM_E_IO, "--gdb: cannot listen on '%s': %s", spec, strerror(err));
    }
    freeaddrinfo(ai);
    *out = g;
    return LOOM_OK;
}

bool loom_gdb_killed(const loom_gdb *g) { return g->killed; }

void loom_gdb_close(loom_gdb *g)
{
    if (!g) return;
    if (g->fd >= 0) close(g->fd);
    close(g->listen_fd);
    free(g);
}

static void drop_client(loom_gdb *g)
{
    if (g->fd >= 0) close(g->fd);
    g->fd = -1;
    g->attached = false;
    g->no_ack = false;
    g->inlen = 0;
}

static bool accept_client(loom_gdb *g, int timeout_ms)
{
    struct pollfd p = {g->listen_fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    int fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return false;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    g->fd = fd;
    g->attached = true;
    g->no_ack = false;
    g->inlen = 0;
    g->g_cpu = 0;
    return true;
}

static void send_all(loom_gdb *g, const char *s, size_t n)
{
    while (n && g->fd >= 0) {
        ssize_t w = send(g->fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            drop_client(g);
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

/* Send one packet: $data#checksum (acknowledgements are read and ignored:
 * TCP does not lose packets). */
static void put_packet(loom_gdb *g, const char *data)
{
    size_t n = strlen(data);
    char *buf = malloc(n + 5);
    if (!buf) return;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) sum += (unsigned char)data[i];
    buf[0] = '$';
    memcpy(buf + 1, data, n);
    snprintf(buf + 1 + n, 4, "#%02x", sum & 0xff);
    send_all(g, buf, n + 4);
    free(buf);
}

/* Read more bytes; false when the client is gone. timeout_ms < 0: wait. */
static bool read_more(loom_gdb *g, int timeout_ms)
{
    if (g->fd < 0) return false;
    struct pollfd p = {g->fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r == 0) return true;
    if (r < 0) return errno == EINTR;
    if (g->inlen == sizeof g->in) g->inlen = 0; /* an overlong packet: drop it */
    ssize_t n = recv(g->fd, g->in + g->inlen, sizeof g->in - g->inlen, 0);
    if (n <= 0) {
        drop_client(g);
        return false;
    }
    g->inlen += (size_t)n;
    return true;
}

/* Take a whole packet from the input into pkt (without $ and checksum);
 * Ctrl-C bytes set interrupted. Bad checksums are refused with '-'. */
static bool take_packet(loom_gdb *g, char *pkt, size_t cap)
{
    size_t i = 0;
    while (i < g->inlen) {
        char ch = g->in[i];
        if (ch == 0x03) {
            g->interrupted = true;
            i++;
        } else if (ch == '$') {
            char *hash = memchr(g->in + i, '#', g->inlen - i);
            if (!hash || (size_t)(hash - g->in) + 2 >= g->inlen) break; /* not all here yet */
            size_t start = i + 1, len = (size_t)(hash - g->in) - start;
            unsigned sum = 0, want = 0;
            for (size_t k = start; k < start + len; k++) sum += (unsigned char)g->in[k];
            bool ok = sscanf(hash + 1, "%2x", &want) == 1 && (sum & 0xff) == want && len < cap;
            if (ok) {
                memcpy(pkt, g->in + start, len);
                pkt[len] = 0;
            }
            size_t used = (size_t)(hash - g->in) + 3;
            memmove(g->in, g->in + used, g->inlen - used);
            g->inlen -= used;
            if (!g->no_ack) send_all(g, ok ? "+" : "-", 1);
            if (ok) return true;
            i = 0;
            continue;
        } else {
            i++; /* acknowledgements and noise */
        }
        if (i == g->inlen || g->in[i] != '$') {
            memmove(g->in, g->in + i, g->inlen - i);
            g->inlen -= i;
            i = 0;
        }
    }
    return false;
}

/* While the simulation runs: a new debugger, or Ctrl-C from the current. */
static bool poll_running(void *opaque, int max_wait_ms)
{
    loom_gdb *g = opaque;
    if (g->fd < 0) {
        if (accept_client(g, max_wait_ms > 0 ? max_wait_ms : 0)) {
            g->connected = true; /* a new debugger stops the machine */
            loom_sim_request_stop(g->sim, LOOM_STOP_REQUEST, 0);
            return true;
        }
        return false;
    }
    size_t before = g->inlen;
    bool was = g->interrupted;
    if (!read_more(g, max_wait_ms > 0 ? max_wait_ms : 0)) {
        /* The debugger left: the machine runs on by itself. */
        return true;
    }
    for (size_t i = before; i < g->inlen; i++)
        if (g->in[i] == 0x03) g->interrupted = true;
    if (g->interrupted && !was) loom_sim_request_stop(g->sim, LOOM_STOP_REQUEST, 0);
    return g->inlen != before;
}

/* ---- Hex ------------------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *to_hex(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        *out++ = d[p[i] >> 4];
        *out++ = d[p[i] & 15];
    }
    *out = 0;
    return out;
}

static bool from_hex(uint8_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool parse_hex(const char **s, uint64_t *v)
{
    const char *p = *s;
    uint64_t r = 0;
    int d, n = 0;
    while ((d = hexval(*p)) >= 0 && n < 16) {
        r = r << 4 | (uint64_t)d;
        p++;
        n++;
    }
    if (!n) return false;
    *s = p;
    *v = r;
    return true;
}

/* ---- Commands --------------------------------------------------------------------------- */

static loom_cpu *cur(loom_gdb *g) { return g->cpus[g->g_cpu < g->ncpu ? g->g_cpu : 0]; }

/* A thread id: -1 all, 0 any, else index + 1. */
static bool parse_thread(loom_gdb *g, const char *s, int *idx)
{
    if (!strcmp(s, "-1") || !strcmp(s, "0")) {
        *idx = -1;
        return true;
    }
    uint64_t t;
    if (!parse_hex(&s, &t) || *s || t == 0 || t > g->ncpu) return false;
    *idx = (int)t - 1;
    return true;
}

static void stop_reply(loom_gdb *g, int sig, unsigned cpu, const char *extra)
{
    snprintf(g->reply, sizeof g->reply, "T%02xthread:%x;%s", sig, cpu + 1, extra ? extra : "");
    put_packet(g, g->reply);
}

static void read_registers(loom_gdb *g)
{
    char *o = g->reply;
    uint8_t buf[64];
    for (unsigned k = 0; k < g->arch->gdb_nregs; k++) {
        int n = loom_cpu_reg_read(cur(g), g->arch->gdb_regs[k], buf);
        if (n <= 0) n = 4, memset(buf, 0, 4);
        o = to_hex(o, buf, (size_t)n);
    }
    put_packet(g, g->reply);
}

static void write_registers(loom_gdb *g, const char *hex)
{
    uint8_t buf[64];
    for (unsigned k = 0; k < g->arch->gdb_nregs; k++) {
        int n = loom_cpu_reg_read(cur(g), g->arch->gdb_regs[k], buf);
        if (n <= 0) continue;
        if (strlen(hex) < 2 * (size_t)n || !from_hex(buf, hex, (size_t)n)) break;
        loom_cpu_reg_write(cur(g), g->arch->gdb_regs[k], buf);
        hex += 2 * n;
    }
    put_packet(g, "OK");
}

/* p/P take GDB's register number, which the description gives each. */
static int reg_number(loom_gdb *g, uint64_t n)
{
    for (unsigned k = 0; k < g->arch->gdb_nregs; k++)
        if (g->arch->gdb_regs[k] == n) return (int)n;
    return -1;
}

static void memory_read(loom_gdb *g, const char *args)
{
    uint64_t addr, len;
    if (!parse_hex(&args, &addr) || *args++ != ',' || !parse_hex(&args, &len)) {
        put_packet(g, "E01");
        return;
    }
    if (len > GDB_MAX_PACKET / 2) len = GDB_MAX_PACKET / 2;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf || !loom_cpu_mem_debug(cur(g), addr, buf, (unsigned)len, false)) {
        free(buf);
        put_packet(g, "E14"); /* EFAULT */
        return;
    }
    to_hex(g->reply, buf, len);
    free(buf);
    put_packet(g, g->reply);
}

static void memory_write(loom_gdb *g, const char *args)
{
    uint64_t addr, len;
    if (!parse_hex(&args, &addr) || *args++ != ',' || !parse_hex(&args, &len) || *args++ != ':' ||
        len > GDB_MAX_PACKET / 2 || strlen(args) < 2 * len) {
        put_packet(g, "E01");
        return;
    }
    uint8_t *buf = malloc(len ? len : 1);
    bool ok = buf && from_hex(buf, args, len) && loom_cpu_mem_debug(cur(g), addr, buf, (unsigned)len, true);
    free(buf);
    put_packet(g, ok ? "OK" : "E14");
}

/* Z/z type,addr,kind: on every CPU of the architecture. */
static void breakpoint(loom_gdb *g, const char *args, bool insert)
{
    uint64_t type, addr, kind;
    if (!parse_hex(&args, &type) || *args++ != ',' || !parse_hex(&args, &addr) || *args++ != ',' ||
        !parse_hex(&args, &kind)) {
        put_packet(g, "E01");
        return;
    }
    if (type > 4) {
        put_packet(g, "");
        return;
    }
    loom_err e = LOOM_OK;
    for (unsigned i = 0; i < g->ncpu && !e; i++)
        e = insert ? loom_cpu_debug_insert(g->cpus[i], (unsigned)type, addr, kind)
                   : loom_cpu_debug_remove(g->cpus[i], (unsigned)type, addr, kind);
    if (e == LOOM_E_UNSUPPORTED) put_packet(g, "");
    else put_packet(g, e ? "E22" : "OK");
}

static void xfer_features(loom_gdb *g, const char *args)
{
    /* qXfer:features:read:ANNEX:OFFSET,LENGTH */
    const char *xml = g->arch->gdb_xml;
    if (strncmp(args, "target.xml:", 11)) {
        put_packet(g, "E00");
        return;
    }
    args += 11;
    uint64_t off, len;
    if (!parse_hex(&args, &off) || *args++ != ',' || !parse_hex(&args, &len)) {
        put_packet(g, "E01");
        return;
    }
    size_t total = strlen(xml);
    if (len > GDB_MAX_PACKET - 2) len = GDB_MAX_PACKET - 2;
    if (off >= total) {
        put_packet(g, "l");
        return;
    }
    size_t n = total - off < len ? total - off : len;
    g->reply[0] = off + n < total ? 'm' : 'l';
    memcpy(g->reply + 1, xml + off, n);
    g->reply[1 + n] = 0;
    put_packet(g, g->reply);
}

/* How the last run stopped, as GDB says it. */
typedef enum { RUN_STOPPED, RUN_ENDED } run_result;

/* Why the machine stopped: a CPU's breakpoint or watchpoint, the
 * debugger's interrupt, a fault; or the simulation is over. */
static run_result report_stop(loom_gdb *g, loom_stop_reason why)
{
    for (unsigned i = 0; i < g->ncpu; i++) {
        uint64_t addr = 0;
        unsigned kind = loom_cpu_debug_stopped(g->cpus[i], &addr);
        if (!kind) continue;
        g->g_cpu = i;
        char extra[64] = "";
        static const char *const names[] = {"swbreak:;", "hwbreak:;", "watch:%llx;", "rwatch:%llx;",
                                            "awatch:%llx;"};
        snprintf(extra, sizeof extra, names[kind - 1], (unsigned long long)addr);
        g->interrupted = false;
        stop_reply(g, SIGTRAP_, i, extra);
        return RUN_STOPPED;
    }
    if (why == LOOM_STOP_REQUEST && g->interrupted) {
        g->interrupted = false;
        stop_reply(g, SIGINT_, g->g_cpu, NULL);
        return RUN_STOPPED;
    }
    if (why == LOOM_STOP_FAULT && !g->fault_reported) {
        /* The state at the fault can be looked at; the run cannot go on. */
        g->fault_reported = true;
        stop_reply(g, SIGSEGV_, g->g_cpu, NULL);
        return RUN_STOPPED;
    }
    if (why == LOOM_STOP_FAULT) put_packet(g, "X0b");
    else {
        char w[8];
        snprintf(w, sizeof w, "W%02x", why == LOOM_STOP_EXIT ? loom_sim_exit_status(g->sim) & 0xff : 0);
        put_packet(g, w);
    }
    return RUN_ENDED;
}

/* One instruction on the given CPU, the others and time held. */
static void step(loom_gdb *g, unsigned cpu)
{
    loom_cpu_exit why = loom_cpu_run(g->cpus[cpu], 1);
    g->g_cpu = cpu;
    uint64_t addr = 0;
    unsigned kind = loom_cpu_debug_stopped(g->cpus[cpu], &addr);
    if (why == LOOM_CPU_FATAL) {
        g->fault_reported = true;
        stop_reply(g, SIGSEGV_, cpu, NULL);
        return;
    }
    if (kind >= 3) {
        static const char *const names[] = {"watch:%llx;", "rwatch:%llx;", "awatch:%llx;"};
        char extra[64];
        snprintf(extra, sizeof extra, names[kind - 3], (unsigned long long)addr);
        stop_reply(g, SIGTRAP_, cpu, extra);
        return;
    }
    stop_reply(g, SIGTRAP_, cpu, NULL);
}

/* vCont;ACTION[:TID];...: a step on a thread steps it alone; otherwise
 * continue. Returns 's' or 'c'; *cpu is the stepped thread. */
static char vcont(loom_gdb *g, const char *args, unsigned *cpu)
{
    *cpu = g->g_cpu;
    char what = 'c';
    while (*args == ';') {
        args++;
        char a = *args++;
        if (a == 'C' || a == 'S') { /* a signal to deliver: none here */
            uint64_t sig;
            parse_hex(&args, &sig);
            a = (char)(a - 'A' + 'a');
        }
        int idx = -1;
        if (*args == ':') {
            args++;
            char tid[24];
            size_t n = strcspn(args, ";");
            if (n >= sizeof tid) n = sizeof tid - 1;
            memcpy(tid, args, n);
            tid[n] = 0;
            args += n;
            if (!parse_thread(g, tid, &idx)) idx = -1;
        }
        if (a == 's' && what != 's') {
            what = 's';
            if (idx >= 0) *cpu = (unsigned)idx;
        }
    }
    return what;
}

/* Serve packets while the machine is stopped. Returns 'c' to run, 's' to
 * step (cpu), 'k' to end, 'D' when the debugger leaves. */
static char serve(loom_gdb *g, unsigned *step_cpu)
{
    static char pkt[GDB_MAX_PACKET];
    for (;;) {
        if (g->fd < 0) return 'D';
        if (!take_packet(g, pkt, sizeof pkt)) {
            if (!read_more(g, -1)) return 'D';
            continue;
        }
        const char *a = pkt + 1;
        switch (pkt[0]) {
        case '?':
            stop_reply(g, SIGTRAP_, g->g_cpu, NULL);
            break;
        case 'g': read_registers(g); break;
        case 'G': write_registers(g, a); break;
        case 'p': {
            uint64_t n;
            uint8_t buf[64];
            int r = parse_hex(&a, &n) ? reg_number(g, n) : -1;
            int len = r < 0 ? -1 : loom_cpu_reg_read(cur(g), (unsigned)r, buf);
            if (len <= 0) put_packet(g, "E01");
            else {
                to_hex(g->reply, buf, (size_t)len);
                put_packet(g, g->reply);
            }
            break;
        }
        case 'P': {
            uint64_t n;
            uint8_t buf[64];
            int r = parse_hex(&a, &n) && *a++ == '=' ? reg_number(g, n) : -1;
            int len = r < 0 ? -1 : loom_cpu_reg_read(cur(g), (unsigned)r, buf);
            if (len <= 0 || strlen(a) < 2 * (size_t)len || !from_hex(buf, a, (size_t)len)) put_packet(g, "E01");
            else {
                loom_cpu_reg_write(cur(g), (unsigned)r, buf);
                put_packet(g, "OK");
            }
            break;
        }
        case 'm': memory_read(g, a); break;
        case 'M': memory_write(g, a); break;
        case 'Z': breakpoint(g, a, true); break;
        case 'z': breakpoint(g, a, false); break;
        case 'H': {
            int idx;
            if ((a[0] != 'g' && a[0] != 'c') || !parse_thread(g, a + 1, &idx)) put_packet(g, "E01");
            else {
                if (a[0] == 'g' && idx >= 0) g->g_cpu = (unsigned)idx;
                put_packet(g, "OK");
            }
            break;
        }
        case 'T': {
            int idx;
            put_packet(g, parse_thread(g, a, &idx) ? "OK" : "E01");
            break;
        }
        case 'c':
            return 'c';
        case 's':
            *step_cpu = g->g_cpu;
            return 's';
        case 'D':
            put_packet(g, "OK");
            return 'D';
        case 'k':
            return 'k';
        case 'v':
            if (!strcmp(pkt, "vCont?")) put_packet(g, "vCont;c;C;s;S");
            else if (!strncmp(pkt, "vCont;", 6)) return vcont(g, pkt + 5, step_cpu);
            else if (!strncmp(pkt, "vKill", 5)) {
                put_packet(g, "OK");
                return 'k';
            } else put_packet(g, "");
            break;
        case 'q':
            if (!strncmp(pkt, "qSupported", 10)) {
                snprintf(g->reply, sizeof g->reply,
                         "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+",
                         GDB_MAX_PACKET);
                put_packet(g, g->reply);
            } else if (!strncmp(pkt, "qXfer:features:read:", 20)) {
                xfer_features(g, pkt + 20);
            } else if (!strcmp(pkt, "qAttached")) {
                put_packet(g, "1");
            } else if (!strcmp(pkt, "qC")) {
                snprintf(g->reply, sizeof g->reply, "QC%x", g->g_cpu + 1);
                put_packet(g, g->reply);
            } else if (!strcmp(pkt, "qfThreadInfo")) {
                char *o = g->reply;
                *o++ = 'm';
                for (unsigned i = 0; i < g->ncpu; i++) o += sprintf(o, i ? ",%x" : "%x", i + 1);
                put_packet(g, g->reply);
            } else if (!strcmp(pkt, "qsThreadInfo")) {
                put_packet(g, "l");
            } else if (!strncmp(pkt, "qThreadExtraInfo,", 17)) {
                int idx;
                if (!parse_thread(g, pkt + 17, &idx) || idx < 0) put_packet(g, "E01");
                else {
                    const char *name = loom_cpu_name(g->cpus[idx]);
                    to_hex(g->reply, (const uint8_t *)name, strlen(name));
                    put_packet(g, g->reply);
                }
            } else if (!strncmp(pkt, "qSymbol", 7)) {
                put_packet(g, "OK");
            } else {
                put_packet(g, "");
            }
            break;
        case 'Q':
            if (!strcmp(pkt, "QStartNoAckMode")) {
                put_packet(g, "OK");
                g->no_ack = true;
            } else {
                put_packet(g, "");
            }
            break;
        default:
            put_packet(g, ""); /* not supported */
            break;
        }
    }
}

static void remove_all_debug(loom_gdb *g)
{
    for (unsigned i = 0; i < g->ncpu; i++) loom_cpu_debug_remove(g->cpus[i], LOOM_DEBUG_ALL, 0, 0);
}

loom_stop_reason loom_gdb_run(loom_gdb *g, loom_time until, bool wait)
{
    if (loom_sim_add_poll(g->sim, poll_running, g)) return LOOM_STOP_FAULT;
    loom_stop_reason why = LOOM_STOP_NONE;
    bool stopped = wait;
    if (wait) {
        fprintf(stderr, "loom: waiting for GDB on %s\n", g->spec);
        while (g->fd < 0 && !loom_sim_stop_requested(g->sim)) accept_client(g, 200);
    }
    for (;;) {
        if (stopped && g->fd >= 0) {
            unsigned cpu = 0;
            char what = serve(g, &cpu);
            if (what == 's') {
                step(g, cpu);
                continue;
            }
            if (what == 'k') {
                g->killed = true;
                why = LOOM_STOP_REQUEST;
                break;
            }
            if (what == 'D') {
                remove_all_debug(g);
                drop_client(g);
            }
        }
        if (g->fault_reported && loom_sim_stop_reason(g->sim) == LOOM_STOP_FAULT) {
            why = LOOM_STOP_FAULT;
            if (g->fd >= 0) put_packet(g, "X0b");
            break;
        }
        why = loom_sim_run(g->sim, until);
        stopped = false;
        if (g->fd >= 0 && why != LOOM_STOP_REQUEST && why != LOOM_STOP_FAULT) {
            report_stop(g, why); /* the end: exit status, limits, idle */
            break;
        }
        if (g->fd < 0) {
            /* Nobody to stop for: breakpoints left behind go on. */
            bool debug_stop = false;
            for (unsigned i = 0; i < g->ncpu; i++) {
                uint64_t addr;
                debug_stop |= loom_cpu_debug_stopped(g->cpus[i], &addr) != 0;
            }
            if (why == LOOM_STOP_REQUEST && (debug_stop || g->interrupted)) {
                g->interrupted = false;
                continue;
            }
            break;
        }
        if (g->connected && why == LOOM_STOP_REQUEST) {
            /* GDB asks why itself ('?'). */
            g->connected = false;
            stopped = true;
            continue;
        }
        if (report_stop(g, why) == RUN_ENDED) break;
        stopped = true;
    }
    loom_sim_remove_poll(g->sim, poll_running, g);
    return why;
}
