/* The QMP monitor (QEMU's docs/interop/qmp-spec): a JSON object per
 * message, read with Jansson as it streams in. Commands are a table: name,
 * whether they need the machine (or only work before it exists), and their
 * parameters, so unknown and missing arguments get QEMU's errors before a
 * handler runs. */
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp.h"

#define QMP_MAX_CLIENTS 16
#define QMP_MAX_INPUT (1 << 20)

typedef struct client {
    int fd;
    bool negotiated;
    char *in;
    size_t len;
} client;

struct loom_qmp {
    int listen_fd;
    char *unix_path;
    client clients[QMP_MAX_CLIENTS];
    loom_sim *sim;
    loom_qmp_phase phase;
    bool exit_preconfig, cont, stop, quit;
    char **overrides;
    size_t noverrides;
    client *waiting;     /* x-exit-preconfig's client, until the machine is built */
    json_t *waiting_id;
};

/* ---- Sockets ------------------------------------------------------------------------------ */

loom_err loom_qmp_open(const char *spec, loom_qmp **out, char *err, size_t errlen)
{
    *out = NULL;
    char addr[512];
    snprintf(addr, sizeof addr, "%s", spec);
    char *comma = strchr(addr, ',');
    if (comma) *comma = 0; /* server, wait=off, nowait: Loom always listens and never waits */
    loom_qmp *q = calloc(1, sizeof *q);
    if (!q) return LOOM_E_NOMEM;
    for (int i = 0; i < QMP_MAX_CLIENTS; i++) q->clients[i].fd = -1;
    q->phase = LOOM_QMP_PRELAUNCH;
    if (!strncmp(addr, "unix:", 5)) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(addr + 5) >= sizeof sa.sun_path || !addr[5]) {
            snprintf(err, errlen, "'%s': the socket path is empty or too long", spec);
            free(q);
            return LOOM_E_INVAL;
        }
        strcpy(sa.sun_path, addr + 5);
        unlink(sa.sun_path);
        q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (q->listen_fd < 0 || bind(q->listen_fd, (struct sockaddr *)&sa, sizeof sa) || listen(q->listen_fd, 4)) {
            snprintf(err, errlen, "cannot listen on '%s': %s", spec, strerror(errno));
            if (q->listen_fd >= 0) close(q->listen_fd);
            free(q);
            return LOOM_E_IO;
        }
        q->unix_path = strdup(sa.sun_path);
    } else if (!strncmp(addr, "tcp:", 4)) {
        char *colon = strrchr(addr + 4, ':');
        if (!colon || !colon[1]) {
            snprintf(err, errlen, "'%s': expected tcp:[HOST]:PORT", spec);
            free(q);
            return LOOM_E_INVAL;
        }
        *colon = 0;
        const char *host = addr[4] ? addr + 4 : "127.0.0.1";
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
        int r = getaddrinfo(host, colon + 1, &hints, &ai);
        if (r) {
            snprintf(err, errlen, "'%s': %s", spec, gai_strerror(r));
            free(q);
            return LOOM_E_INVAL;
        }
        q->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        if (q->listen_fd >= 0) setsockopt(q->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (q->listen_fd < 0 || bind(q->listen_fd, ai->ai_addr, ai->ai_addrlen) || listen(q->listen_fd, 4)) {
            snprintf(err, errlen, "cannot listen on '%s': %s", spec, strerror(errno));
            if (q->listen_fd >= 0) close(q->listen_fd);
            freeaddrinfo(ai);
            free(q);
            return LOOM_E_IO;
        }
        freeaddrinfo(ai);
    } else {
        snprintf(err, errlen, "'%s': expected unix:PATH or tcp:[HOST]:PORT", spec);
        free(q);
        return LOOM_E_INVAL;
    }
    *out = q;
    return LOOM_OK;
}

static void drop(client *c)
{
    /* (A client leaving while it waits for x-exit-preconfig gets nothing.) */
    close(c->fd);
    c->fd = -1;
    free(c->in);
    c->in = NULL;
    c->len = 0;
    c->negotiated = false;
}

void loom_qmp_close(loom_qmp *q)
{
    if (!q) return;
    for (int i = 0; i < QMP_MAX_CLIENTS; i++)
        if (q->clients[i].fd >= 0) drop(&q->clients[i]);
    close(q->listen_fd);
    if (q->unix_path) unlink(q->unix_path);
    free(q->unix_path);
    json_decref(q->waiting_id);
    for (size_t i = 0; i < q->noverrides; i++) free(q->overrides[i]);
    free(q->overrides);
    free(q);
}

static void send_json(client *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text) return;
    size_t n = strlen(text);
    text[n] = '\n'; /* one message per line, as QEMU writes them */
    for (size_t done = 0; done <= n && c->fd >= 0;) {
        ssize_t w = send(c->fd, text + done, n + 1 - done, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w < 0 && errno == EINTR) continue;
            drop(c);
            break;
        }
        done += (size_t)w;
    }
    free(text);
}

static void send_error(client *c, const char *cls, const char *desc, json_t *id)
{
    json_t *m = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
    if (id) json_object_set(m, "id", id);
    send_json(c, m);
}

static json_t *timestamp(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return json_pack("{s:I,s:I}", "seconds", (json_int_t)tv.tv_sec, "microseconds", (json_int_t)tv.tv_usec);
}

void loom_qmp_event(loom_qmp *q, const char *name, const char *data)
{
    for (int i = 0; i < QMP_MAX_CLIENTS; i++) {
        client *c = &q->clients[i];
        if (c->fd < 0 || !c->negotiated) continue;
        json_t *m = json_pack("{s:o,s:s}", "timestamp", timestamp(), "event", name);
        if (data) {
            json_t *d = json_loads(data, 0, NULL);
            if (d) json_object_set_new(m, "data", d);
        }
        send_json(c, m);
    }
}

/* ---- Commands ------------------------------------------------------------------------------- */

typedef json_t *(*cmd_fn)(loom_qmp *q, json_t *args, char *err, size_t errlen);

/* When a command may run: any time, only with the machine, only before. */
enum { ANY, MACHINE, PRECONFIG };

typedef struct command {
    const char *name;
    int when;
    const char *params; /* "name:type" words, '?' before optional ones; s string, i integer, b bool */
    cmd_fn fn;
} command;

static const char *status_name(loom_qmp_phase p)
{
    static const char *const names[] = {"prelaunch", "prelaunch", "running", "paused", "shutdown"};
    return names[p];
}

static json_t *cmd_capabilities(loom_qmp *q, json_t *a, char *err, size_t n) { return json_object(); }

static json_t *cmd_query_status(loom_qmp *q, json_t *a, char *err, size_t n)
{
    return json_pack("{s:s,s:b,s:b}", "status", status_name(q->phase), "singlestep", 0, "running",
                     q->phase == LOOM_QMP_RUNNING);
}

static json_t *cmd_stop(loom_qmp *q, json_t *a, char *err, size_t n)
{
    if (q->phase == LOOM_QMP_RUNNING) {
        q->stop = true;
        loom_sim_request_stop(q->sim, LOOM_STOP_REQUEST, 0);
        q->phase = LOOM_QMP_PAUSED;
        loom_qmp_event(q, "STOP", NULL);
    }
    return json_object();
}

static json_t *cmd_cont(loom_qmp *q, json_t *a, char *err, size_t n)
{
    if (q->phase == LOOM_QMP_SHUTDOWN) {
        snprintf(err, n, "Resetting the Virtual Machine is required");
        return NULL;
    }
    if (q->phase == LOOM_QMP_PAUSED || q->phase == LOOM_QMP_PRELAUNCH) {
        q->cont = true;
        q->phase = LOOM_QMP_RUNNING;
        loom_qmp_event(q, "RESUME", NULL);
    }
    return json_object();
}

/* The reply waits for the machine (loom_qmp_preconfig_done): RESUME comes
 * first, as QEMU has it, and a board that cannot be built is the error. */
static json_t deferred;
static json_t *cmd_exit_preconfig(loom_qmp *q, json_t *a, char *err, size_t n)
{
    q->exit_preconfig = true;
    return &deferred;
}

static json_t *cmd_system_reset(loom_qmp *q, json_t *a, char *err, size_t n)
{
    loom_sim_reset(q->sim);
    loom_qmp_event(q, "RESET", "{\"guest\": false, \"reason\": \"host-qmp-system-reset\"}");
    return json_object();
}

static json_t *cmd_quit(loom_qmp *q, json_t *a, char *err, size_t n)
{
    q->quit = true;
    if (q->sim) loom_sim_request_stop(q->sim, LOOM_STOP_REQUEST, 0);
    loom_qmp_event(q, "SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}");
    return json_object();
}

static json_t *cmd_query_cpus_fast(loom_qmp *q, json_t *a, char *err, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < loom_sim_cpu_count(q->sim); i++) {
        loom_cpu *cpu = loom_sim_cpu_at(q->sim, i);
        char path[160];
        snprintf(path, sizeof path, "/machine/%s", loom_cpu_name(cpu));
        json_array_append_new(
            list, json_pack("{s:I,s:s,s:I,s:{s:I,s:I,s:I,s:I},s:s}", "cpu-index", (json_int_t)i, "qom-path", path,
                            "thread-id", (json_int_t)getpid(), "props", "core-id", (json_int_t)i, "thread-id",
                            (json_int_t)0, "socket-id", (json_int_t)0, "cluster-id", (json_int_t)0, "target",
                            loom_cpu_arch(cpu)->name));
    }
    return list;
}

/* Bytes into a file: from a CPU's virtual addresses (memsave) or the
 * physical address space (pmemsave). */
static json_t *save_memory(loom_qmp *q, json_t *a, char *err, size_t n, bool physical)
{
    uint64_t addr = (uint64_t)json_integer_value(json_object_get(a, "val"));
    uint64_t size = (uint64_t)json_integer_value(json_object_get(a, "size"));
    const char *file = json_string_value(json_object_get(a, "filename"));
    json_t *idx = json_object_get(a, "cpu-index");
    loom_cpu *cpu = loom_sim_cpu_at(q->sim, idx ? (size_t)json_integer_value(idx) : 0);
    if (!physical && !cpu) {
        snprintf(err, n, "CPU index out of range");
        return NULL;
    }
    FILE *f = fopen(file, "wb");
    if (!f) {
        snprintf(err, n, "Could not open '%s': %s", file, strerror(errno));
        return NULL;
    }
    uint8_t buf[4096];
    for (uint64_t done = 0; done < size;) {
        unsigned len = size - done < sizeof buf ? (unsigned)(size - done) : (unsigned)sizeof buf;
        bool ok = physical ? !loom_bus_debug_read(loom_sim_memory(q->sim), addr + done, buf, len)
                           : loom_cpu_mem_debug(cpu, addr + done, buf, len, false);
        if (!ok) {
            fclose(f);
            snprintf(err, n, "Invalid addr 0x%016llx/size %llu specified", (unsigned long long)(addr + done),
                     (unsigned long long)len);
            return NULL;
        }
        fwrite(buf, 1, len, f);
        done += len;
    }
    fclose(f);
    return json_object();
}
static json_t *cmd_memsave(loom_qmp *q, json_t *a, char *e, size_t n) { return save_memory(q, a, e, n, false); }
static json_t *cmd_pmemsave(loom_qmp *q, json_t *a, char *e, size_t n) { return save_memory(q, a, e, n, true); }

static void mtree_line(void *opaque, int depth, uint64_t start, uint64_t end, const loom_region *r, uint64_t off,
                       int prio)
{
    char **out = opaque;
    char line[256];
    snprintf(line, sizeof line, "%*s%016llx-%016llx (prio %d): %s\r\n", 2 + 2 * depth, "",
             (unsigned long long)start, (unsigned long long)end, prio, loom_region_name(r));
    size_t have = *out ? strlen(*out) : 0;
    char *s = realloc(*out, have + strlen(line) + 1);
    if (!s) return;
    strcpy(s + have, line);
    *out = s;
}

/* The HMP commands scripts use most: info registers, info mtree. */
static json_t *cmd_hmp(loom_qmp *q, json_t *a, char *err, size_t n)
{
    const char *line = json_string_value(json_object_get(a, "command-line"));
    char *out = NULL;
    if (!strcmp(line, "info registers")) {
        for (size_t i = 0; i < loom_sim_cpu_count(q->sim); i++) {
            loom_cpu *cpu = loom_sim_cpu_at(q->sim, i);
            const loom_arch *arch = loom_cpu_arch(cpu);
            size_t cap = 64 + 32 * (arch->gdb_nregs + 1);
            char *s = malloc(cap), *p = s;
            if (!s) break;
            p += snprintf(p, cap, "\r\nCPU#%zu (%s)\r\n", i, loom_cpu_name(cpu));
            for (unsigned k = 0; k < arch->gdb_nregs; k++) {
                uint8_t b[16];
                int len = loom_cpu_reg_read(cpu, arch->gdb_regs[k], b);
                uint64_t v = len > 0 && len <= 8 ? loom_get_le(b, (unsigned)len) : 0;
                p += sprintf(p, "REG%02u=%0*llx%s", arch->gdb_regs[k], len > 0 && len <= 8 ? 2 * len : 8,
                             (unsigned long long)v, k % 4 == 3 || k + 1 == arch->gdb_nregs ? "\r\n" : " ");
            }
            size_t have = out ? strlen(out) : 0;
            char *t = realloc(out, have + strlen(s) + 1);
            if (t) {
                strcpy(t + have, s);
                out = t;
            }
            free(s);
        }
    } else if (!strcmp(line, "info mtree")) {
        out = strdup("address-space: memory\r\n");
        loom_bus_visit(loom_sim_memory(q->sim), mtree_line, &out);
    } else {
        /* As QEMU's HMP answers an unknown command: text, not an error. */
        char msg[300];
        snprintf(msg, sizeof msg, "unknown command: '%s'\r\n", line);
        return json_string(msg);
    }
    json_t *r = json_string(out ? out : "");
    free(out);
    return r;
}

/* ---- Loom's own ---- */

static json_t *cmd_instances(loom_qmp *q, json_t *a, char *err, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < loom_sim_inst_count(q->sim); i++) {
        loom_inst *inst = loom_sim_inst_at(q->sim, i);
        const loom_model_type *t = loom_inst_type(inst);
        json_t *props = json_object();
        for (size_t k = 0; k < t->nprops; k++) {
            char v[512];
            loom_inst_prop_format(inst, t->props[k].name, v, sizeof v);
            json_object_set_new(props, t->props[k].name, json_string(v));
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:o}", "name", loom_inst_name(inst), "type", t->name,
                                              "properties", props));
    }
    return list;
}

static loom_inst *find_inst(loom_qmp *q, json_t *a, char *err, size_t n)
{
    const char *name = json_string_value(json_object_get(a, "instance"));
    loom_inst *inst = loom_sim_find_inst(q->sim, name);
    if (!inst) snprintf(err, n, "no instance '%s'", name);
    return inst;
}

static json_t *cmd_get_property(loom_qmp *q, json_t *a, char *err, size_t n)
{
    loom_inst *inst = find_inst(q, a, err, n);
    if (!inst) return NULL;
    const char *prop = json_string_value(json_object_get(a, "property"));
    if (!loom_inst_prop(inst, prop)) {
        snprintf(err, n, "%s has no property '%s'", loom_inst_name(inst), prop);
        return NULL;
    }
    char v[512];
    loom_inst_prop_format(inst, prop, v, sizeof v);
    return json_pack("{s:s}", "value", v);
}

static json_t *cmd_set_property(loom_qmp *q, json_t *a, char *err, size_t n)
{
    const char *inst_name = json_string_value(json_object_get(a, "instance"));
    const char *prop = json_string_value(json_object_get(a, "property"));
    const char *value = json_string_value(json_object_get(a, "value"));
    if (q->phase == LOOM_QMP_PRECONFIG) {
        /* Before the machine exists: as -p INST.PROP=VALUE. */
        char **v = realloc(q->overrides, (q->noverrides + 1) * sizeof *v);
        if (!v) return NULL;
        q->overrides = v;
        size_t len = strlen(inst_name) + strlen(prop) + strlen(value) + 3;
        q->overrides[q->noverrides] = malloc(len);
        if (!q->overrides[q->noverrides]) return NULL;
        snprintf(q->overrides[q->noverrides++], len, "%s.%s=%s", inst_name, prop, value);
        return json_object();
    }
    loom_inst *inst = find_inst(q, a, err, n);
    if (!inst || loom_inst_set_prop(inst, prop, value, err, n)) return NULL;
    return json_object();
}

static json_t *cmd_read_memory(loom_qmp *q, json_t *a, char *err, size_t n)
{
    uint64_t addr = (uint64_t)json_integer_value(json_object_get(a, "address"));
    uint64_t size = (uint64_t)json_integer_value(json_object_get(a, "size"));
    if (size > 65536) {
        snprintf(err, n, "at most 65536 bytes at a time");
        return NULL;
    }
    uint8_t *buf = malloc(size ? size : 1);
    char *hex = malloc(2 * size + 1);
    if (!buf || !hex || loom_bus_debug_read(loom_sim_memory(q->sim), addr, buf, size)) {
        free(buf);
        free(hex);
        snprintf(err, n, "cannot read %llu bytes at 0x%llx", (unsigned long long)size, (unsigned long long)addr);
        return NULL;
    }
    for (uint64_t i = 0; i < size; i++) sprintf(hex + 2 * i, "%02x", buf[i]);
    hex[2 * size] = 0;
    json_t *r = json_pack("{s:s}", "data", hex);
    free(buf);
    free(hex);
    return r;
}

static json_t *cmd_write_memory(loom_qmp *q, json_t *a, char *err, size_t n)
{
    uint64_t addr = (uint64_t)json_integer_value(json_object_get(a, "address"));
    const char *hex = json_string_value(json_object_get(a, "data"));
    size_t len = strlen(hex) / 2;
    uint8_t *buf = malloc(len ? len : 1);
    bool ok = buf && strlen(hex) % 2 == 0;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned v;
        ok = sscanf(hex + 2 * i, "%2x", &v) == 1;
        buf[i] = (uint8_t)v;
    }
    if (ok) ok = !loom_bus_debug_write(loom_sim_memory(q->sim), addr, buf, len);
    free(buf);
    if (!ok) {
        snprintf(err, n, "cannot write at 0x%llx (data: an even number of hex digits)", (unsigned long long)addr);
        return NULL;
    }
    return json_object();
}

static json_t *cmd_step(loom_qmp *q, json_t *a, char *err, size_t n)
{
    if (q->phase == LOOM_QMP_RUNNING) {
        snprintf(err, n, "the machine is running: stop it first");
        return NULL;
    }
    json_t *c = json_object_get(a, "count"), *idx = json_object_get(a, "cpu-index");
    loom_cpu *cpu = loom_sim_cpu_at(q->sim, idx ? (size_t)json_integer_value(idx) : 0);
    if (!cpu) {
        snprintf(err, n, "CPU index out of range");
        return NULL;
    }
    uint64_t before = loom_cpu_insns(cpu), want = c ? (uint64_t)json_integer_value(c) : 1;
    /* A device access that syncs ends a run early: go on to the count. */
    for (uint64_t done = 0; done < want;) {
        loom_cpu_exit why = loom_cpu_run(cpu, want - done);
        uint64_t now = loom_cpu_insns(cpu) - before;
        if (now == done && why != LOOM_CPU_BUDGET) break; /* waiting, or a fault */
        done = now;
    }
    return json_pack("{s:I,s:I}", "executed", (json_int_t)(loom_cpu_insns(cpu) - before), "pc",
                     (json_int_t)loom_cpu_pc(cpu));
}

static json_t *cmd_time(loom_qmp *q, json_t *a, char *err, size_t n)
{
    return json_pack("{s:I}", "picoseconds", (json_int_t)loom_sim_now(q->sim));
}

static json_t *cmd_query_commands(loom_qmp *q, json_t *a, char *err, size_t n);
static json_t *cmd_query_schema(loom_qmp *q, json_t *a, char *err, size_t n);

static const command commands[] = {
    {"qmp_capabilities", ANY, "?enable:a", cmd_capabilities},
    {"query-status", ANY, "", cmd_query_status},
    {"query-commands", ANY, "", cmd_query_commands},
    {"query-qmp-schema", ANY, "", cmd_query_schema},
    {"x-exit-preconfig", PRECONFIG, "", cmd_exit_preconfig},
    {"quit", ANY, "", cmd_quit},
    {"stop", MACHINE, "", cmd_stop},
    {"cont", MACHINE, "", cmd_cont},
    {"system_reset", MACHINE, "", cmd_system_reset},
    {"query-cpus-fast", MACHINE, "", cmd_query_cpus_fast},
    {"memsave", MACHINE, "val:i size:i filename:s ?cpu-index:i", cmd_memsave},
    {"pmemsave", MACHINE, "val:i size:i filename:s", cmd_pmemsave},
    {"human-monitor-command", MACHINE, "command-line:s ?cpu-index:i", cmd_hmp},
    {"loom-query-instances", MACHINE, "", cmd_instances},
    {"loom-get-property", MACHINE, "instance:s property:s", cmd_get_property},
    {"loom-set-property", ANY, "instance:s property:s value:s", cmd_set_property},
    {"loom-read-memory", MACHINE, "address:i size:i", cmd_read_memory},
    {"loom-write-memory", MACHINE, "address:i data:s", cmd_write_memory},
    {"loom-step", MACHINE, "?count:i ?cpu-index:i", cmd_step},
    {"loom-query-time", MACHINE, "", cmd_time},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static json_t *cmd_query_commands(loom_qmp *q, json_t *a, char *err, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < NCOMMANDS; i++) json_array_append_new(list, json_pack("{s:s}", "name", commands[i].name));
    return list;
}

/* The schema as QEMU introspects it: a command's arg-type names an object
 * type entity (its members), every ret-type here is "any"'s shape. */
static json_t *cmd_query_schema(loom_qmp *q, json_t *a, char *err, size_t n)
{
    json_t *list = json_array();
    json_array_append_new(list, json_pack("{s:s,s:s,s:[s]}", "name", "any", "meta-type", "builtin", "json-type",
                                          "value"));
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char type[16];
        snprintf(type, sizeof type, "%zu", i);
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s}", "name", commands[i].name, "meta-type", "command",
                                              "arg-type", type, "ret-type", "any"));
        json_t *members = json_array();
        char params[128];
        snprintf(params, sizeof params, "%s", commands[i].params);
        for (char *save, *w = strtok_r(params, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            bool opt = *w == '?';
            char *colon = strchr(w, ':');
            if (!colon) continue;
            *colon = 0;
            const char *t = colon[1] == 's' ? "str" : colon[1] == 'i' ? "int" : colon[1] == 'b' ? "bool" : "any";
            json_t *m = json_pack("{s:s,s:s}", "name", w + opt, "type", t);
            if (opt) json_object_set_new(m, "default", json_null());
            json_array_append_new(members, m);
        }
        json_array_append_new(list, json_pack("{s:s,s:s,s:o}", "name", type, "meta-type", "object", "members",
                                              members));
    }
    static const char *const events[] = {"STOP", "RESUME", "SHUTDOWN", "RESET"};
    for (size_t i = 0; i < 4; i++)
        json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "name", events[i], "meta-type", "event", "arg-type",
                                              "any"));
    return list;
}

/* Check arguments against the table: QEMU's messages for what is wrong. */
static bool check_args(const command *cmd, json_t *args, char *err, size_t n)
{
    const char *key;
    json_t *v;
    json_object_foreach(args, key, v) {
        char pat[40];
        snprintf(pat, sizeof pat, "%s:", key);
        const char *at = strstr(cmd->params, pat);
        if (!at || (at != cmd->params && at[-1] != ' ' && at[-1] != '?')) {
            snprintf(err, n, "Parameter '%s' is unexpected", key);
            return false;
        }
        char t = at[strlen(pat)];
        bool ok = t == 's' ? json_is_string(v) : t == 'i' ? json_is_integer(v) : t == 'b' ? json_is_boolean(v) : true;
        if (!ok) {
            snprintf(err, n, "Invalid parameter type for '%s', expected: %s", key,
                     t == 's' ? "string" : t == 'i' ? "integer" : "boolean");
            return false;
        }
    }
    char params[128];
    snprintf(params, sizeof params, "%s", cmd->params);
    for (char *save, *w = strtok_r(params, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (*w == '?') continue;
        char *colon = strchr(w, ':');
        if (colon) *colon = 0;
        if (!json_object_get(args, w)) {
            snprintf(err, n, "Parameter '%s' is missing", w);
            return false;
        }
    }
    return true;
}

static void execute(loom_qmp *q, client *c, json_t *msg)
{
    if (!json_is_object(msg)) {
        send_error(c, "GenericError", "QMP input must be a JSON object", NULL);
        return;
    }
    json_t *id = json_object_get(msg, "id");
    json_t *exe = json_object_get(msg, "execute");
    json_t *args = json_object_get(msg, "arguments");
    const char *key;
    json_t *v;
    json_object_foreach(msg, key, v) {
        if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
            char d[160];
            snprintf(d, sizeof d, "QMP input member '%s' is unexpected", key);
            send_error(c, "GenericError", d, id);
            return;
        }
    }
    if (!json_is_string(exe)) {
        send_error(c, "GenericError", "QMP input member 'execute' must be a string", id);
        return;
    }
    if (args && !json_is_object(args)) {
        send_error(c, "GenericError", "QMP input member 'arguments' must be an object", id);
        return;
    }
    const char *name = json_string_value(exe);
    if (!c->negotiated && strcmp(name, "qmp_capabilities")) {
        send_error(c, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'", id);
        return;
    }
    const command *cmd = NULL;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name)) cmd = &commands[i];
    char err[512] = "";
    if (!cmd) {
        snprintf(err, sizeof err, "The command %s has not been found", name);
        send_error(c, "CommandNotFound", err, id);
        return;
    }
    if (c->negotiated && cmd->fn == cmd_capabilities) {
        send_error(c, "CommandNotFound", "Capabilities negotiation is already complete, command ignored", id);
        return;
    }
    if (cmd->when == MACHINE && q->phase == LOOM_QMP_PRECONFIG) {
        snprintf(err, sizeof err, "The command '%s' is permitted only after machine initialization has completed",
                 name);
        send_error(c, "GenericError", err, id);
        return;
    }
    if (cmd->when == PRECONFIG && q->phase != LOOM_QMP_PRECONFIG) {
        snprintf(err, sizeof err, "The command '%s' is permitted only before machine initialization", name);
        send_error(c, "GenericError", err, id);
        return;
    }
    json_t *empty = json_object();
    if (!check_args(cmd, args ? args : empty, err, sizeof err)) {
        json_decref(empty);
        send_error(c, "GenericError", err, id);
        return;
    }
    json_t *r = cmd->fn(q, args ? args : empty, err, sizeof err);
    json_decref(empty);
    if (!r) {
        send_error(c, "GenericError", err[0] ? err : "out of memory", id);
        return;
    }
    if (r == &deferred) {
        q->waiting = c;
        json_decref(q->waiting_id);
        q->waiting_id = id ? json_incref(id) : NULL;
        return;
    }
    if (cmd->fn == cmd_capabilities) c->negotiated = true;
    json_t *m = json_pack("{s:o}", "return", r);
    if (id) json_object_set(m, "id", id);
    send_json(c, m);
}

/* Take every whole message in the client's input. */
static void consume(loom_qmp *q, client *c)
{
    for (;;) {
        size_t skip = 0;
        while (skip < c->len && strchr(" \t\r\n", c->in[skip])) skip++;
        if (skip) {
            memmove(c->in, c->in + skip, c->len - skip);
            c->len -= skip;
        }
        if (!c->len) return;
        json_error_t e;
        json_t *msg = json_loadb(c->in, c->len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);
        size_t used;
        if (!msg) {
            if ((size_t)e.position >= c->len) return; /* not all here yet */
            char d[300];
            snprintf(d, sizeof d, "JSON parse error, %s", e.text);
            send_error(c, "GenericError", d, NULL);
            /* Go on after the line with the mistake. */
            char *nl = memchr(c->in + e.position, '\n', c->len - (size_t)e.position);
            used = nl ? (size_t)(nl - c->in) + 1 : c->len;
        } else {
            used = (size_t)e.position;
            execute(q, c, msg);
            json_decref(msg);
            if (c->fd < 0) return;
        }
        memmove(c->in, c->in + used, c->len - used);
        c->len -= used;
    }
}

void loom_qmp_poll(loom_qmp *q, int timeout_ms)
{
    struct pollfd p[QMP_MAX_CLIENTS + 1];
    int map[QMP_MAX_CLIENTS + 1], np = 0;
    p[np] = (struct pollfd){q->listen_fd, POLLIN, 0};
    map[np++] = -1;
    for (int i = 0; i < QMP_MAX_CLIENTS; i++)
        if (q->clients[i].fd >= 0) {
            p[np] = (struct pollfd){q->clients[i].fd, POLLIN, 0};
            map[np++] = i;
        }
    if (poll(p, (nfds_t)np, timeout_ms) <= 0) return;
    for (int k = 0; k < np; k++) {
        if (!p[k].revents) continue;
        if (map[k] < 0) {
            int fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0) continue;
            client *c = NULL;
            for (int i = 0; i < QMP_MAX_CLIENTS && !c; i++)
                if (q->clients[i].fd < 0) c = &q->clients[i];
            if (!c) {
                close(fd);
                continue;
            }
            c->fd = fd;
            c->negotiated = false;
            send_json(c, json_pack("{s:{s:{s:{s:i,s:i,s:i},s:s},s:[]}}", "QMP", "version", "qemu", "micro", 0,
                                   "minor", 2, "major", 7, "package", "Loom", "capabilities"));
            continue;
        }
        client *c = &q->clients[map[k]];
        char buf[4096];
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n <= 0) {
            drop(c);
            continue;
        }
        if (c->len + (size_t)n > QMP_MAX_INPUT) {
            send_error(c, "GenericError", "QMP input too long", NULL);
            c->len = 0;
            continue;
        }
        char *in = realloc(c->in, c->len + (size_t)n);
        if (!in) continue;
        c->in = in;
        memcpy(c->in + c->len, buf, (size_t)n);
        c->len += (size_t)n;
        consume(q, c);
    }
}

static bool sim_poll(void *opaque, int max_wait_ms)
{
    loom_qmp_poll(opaque, max_wait_ms > 0 ? max_wait_ms : 0);
    return false;
}

loom_err loom_qmp_attach(loom_qmp *q, loom_sim *sim)
{
    q->sim = sim;
    return loom_sim_add_poll(sim, sim_poll, q);
}

void loom_qmp_set_phase(loom_qmp *q, loom_qmp_phase phase) { q->phase = phase; }
loom_qmp_phase loom_qmp_phase_of(const loom_qmp *q) { return q->phase; }
size_t loom_qmp_override_count(const loom_qmp *q) { return q->noverrides; }
const char *loom_qmp_override(const loom_qmp *q, size_t i) { return q->overrides[i]; }

static bool take(bool *flag)
{
    bool v = *flag;
    *flag = false;
    return v;
}
bool loom_qmp_take_exit_preconfig(loom_qmp *q) { return take(&q->exit_preconfig); }
bool loom_qmp_take_cont(loom_qmp *q) { return take(&q->cont); }
bool loom_qmp_take_stop(loom_qmp *q) { return take(&q->stop); }
bool loom_qmp_quit_requested(const loom_qmp *q) { return q->quit; }

void loom_qmp_preconfig_done(loom_qmp *q, const char *error)
{
    client *c = q->waiting;
    json_t *id = q->waiting_id;
    q->waiting = NULL;
    q->waiting_id = NULL;
    if (c && c->fd >= 0) {
        if (error) send_error(c, "GenericError", error, id);
        else {
            json_t *m = json_pack("{s:o}", "return", json_object());
            if (id) json_object_set(m, "id", id);
            send_json(c, m);
        }
    }
    json_decref(id);
}
