/* A scripted bus master: reads and writes at given simulated times, with
 * expected values, and checks of interrupt inputs. It exercises boards and
 * models end to end before any CPU exists, and in tests next to CPUs.
 *
 * Script, one command per line ('#' starts a comment):
 *   TIME write{8,16,32,64} ADDR VALUE
 *   TIME read{8,16,32,64}  ADDR [expect VALUE [mask MASK]]
 *   TIME irq INDEX LEVEL          the input irq[INDEX] must be at LEVEL (0/1)
 *   TIME exit STATUS              end the simulation
 * TIME is absolute (10us) or relative to the previous command (+2us). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loom/loom.h"

typedef enum op { OP_READ, OP_WRITE, OP_IRQ, OP_EXIT } op;

typedef struct cmd {
    loom_time when;
    op op;
    unsigned size;
    uint64_t addr, value, mask;
    bool expect;
    unsigned line;
} cmd;

#define IRQ_INPUTS 16

typedef struct master {
    loom_inst *inst;
    loom_bus *bus;
    cmd *cmds;
    size_t ncmds, next;
    loom_event *ev;
    bool big_endian;
    bool exit_at_end;
    bool stop_on_failure;
    uint32_t irq_levels;
    uint32_t failures;
    const char *source;
} master;

static loom_err parse_error(loom_inst *inst, const char *src, unsigned line, const char *what)
{
    return loom_inst_error(inst, LOOM_E_CONFIG, "%s:%u: %s", src, line, what);
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 0);
    return !errno && end != s && *end == 0;
}

static loom_err parse_line(master *m, char *text, unsigned line, loom_time *prev)
{
    char *tok[8];
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(text, " \t\r", &save); p && n < 8; p = strtok_r(NULL, " \t\r", &save)) tok[n++] = p;
    if (n == 0) return LOOM_OK;
    if (n < 2) return parse_error(m->inst, m->source, line, "expected: TIME COMMAND ...");
    loom_prop_def tdef = {"time", LOOM_PROP_TIME, NULL, NULL, NULL};
    loom_prop_value tv;
    char err[200];
    bool rel = tok[0][0] == '+';
    if (loom_prop_parse(&tdef, tok[0] + rel, &tv, err, sizeof err))
        return parse_error(m->inst, m->source, line, err);
    cmd c = {.when = rel ? *prev + tv.u : tv.u, .line = line, .mask = ~0ull};
    if (c.when < *prev) return parse_error(m->inst, m->source, line, "time goes backwards");
    *prev = c.when;
    const char *verb = tok[1];
    if (!strncmp(verb, "read", 4) || !strncmp(verb, "write", 5)) {
        c.op = verb[0] == 'r' ? OP_READ : OP_WRITE;
        const char *bits = verb + (c.op == OP_READ ? 4 : 5);
        unsigned b = (unsigned)atoi(bits);
        if (b != 8 && b != 16 && b != 32 && b != 64)
            return parse_error(m->inst, m->source, line, "access size must be 8, 16, 32 or 64 (read32, write8, ...)");
        c.size = b / 8;
        if (n < 3 || !parse_u64(tok[2], &c.addr))
            return parse_error(m->inst, m->source, line, "expected an address after the command");
        if (c.op == OP_WRITE) {
            if (n != 4 || !parse_u64(tok[3], &c.value))
                return parse_error(m->inst, m->source, line, "expected: TIME writeN ADDR VALUE");
        } else if (n > 3) {
            if (strcmp(tok[3], "expect") || n < 5 || !parse_u64(tok[4], &c.value))
                return parse_error(m->inst, m->source, line, "expected: TIME readN ADDR [expect VALUE [mask MASK]]");
            c.expect = true;
            if (n > 5 && (n != 7 || strcmp(tok[5], "mask") || !parse_u64(tok[6], &c.mask)))
                return parse_error(m->inst, m->source, line, "expected: ... expect VALUE mask MASK");
        }
    } else if (!strcmp(verb, "irq")) {
        c.op = OP_IRQ;
        if (n != 4 || !parse_u64(tok[2], &c.addr) || c.addr >= IRQ_INPUTS || !parse_u64(tok[3], &c.value) ||
            c.value > 1)
            return parse_error(m->inst, m->source, line, "expected: TIME irq INDEX(0-15) LEVEL(0 or 1)");
    } else if (!strcmp(verb, "exit")) {
        c.op = OP_EXIT;
        if (n != 3 || !parse_u64(tok[2], &c.value))
            return parse_error(m->inst, m->source, line, "expected: TIME exit STATUS");
    } else {
        char msg[160];
        snprintf(msg, sizeof msg, "unknown command '%s' (expected readN, writeN, irq or exit)", verb);
        return parse_error(m->inst, m->source, line, msg);
    }
    cmd *v = realloc(m->cmds, (m->ncmds + 1) * sizeof *v);
    if (!v) return LOOM_E_NOMEM;
    m->cmds = v;
    m->cmds[m->ncmds++] = c;
    return LOOM_OK;
}

static loom_err parse_script(master *m, const char *text)
{
    loom_time prev = 0;
    unsigned line = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char *buf = strndup(p, len);
        if (!buf) return LOOM_E_NOMEM;
        char *hash = strchr(buf, '#');
        if (hash) *hash = 0;
        line++;
        /* Several commands may share a line, separated by ';'. */
        loom_err e = LOOM_OK;
        char *save = NULL;
        for (char *c = strtok_r(buf, ";", &save); c && !e; c = strtok_r(NULL, ";", &save))
            e = parse_line(m, c, line, &prev);
        free(buf);
        if (e) return e;
        p += len;
        if (*p) p++;
    }
    return LOOM_OK;
}

static void fail(master *m, const cmd *c, const char *fmt, uint64_t a, uint64_t b)
{
    char what[200];
    snprintf(what, sizeof what, fmt, a, b);
    fprintf(stderr, "%s: %s:%u: at %" PRIu64 " ps: %s\n", loom_inst_name(m->inst), m->source, c->line,
            loom_sim_now(loom_inst_sim(m->inst)), what);
    m->failures++;
    /* A failed check ends the run at once unless the board asks to go on:
     * what follows would only measure the consequences. */
    if (m->stop_on_failure) loom_sim_request_stop(loom_inst_sim(m->inst), LOOM_STOP_EXIT, 1);
}

static void run_cmd(master *m, const cmd *c)
{
    loom_sim *sim = loom_inst_sim(m->inst);
    uint8_t data[8];
    loom_txn t = {.addr = c->addr, .data = data, .len = c->size};
    switch (c->op) {
    case OP_WRITE:
        if (m->big_endian) loom_put_be(data, c->size, c->value); else loom_put_le(data, c->size, c->value);
        t.cmd = LOOM_WRITE;
        loom_bus_transport(m->bus, &t);
        if (t.resp != LOOM_RESP_OK) fail(m, c, "write to 0x%" PRIx64 " failed: response %" PRIu64, c->addr, t.resp);
        break;
    case OP_READ: {
        t.cmd = LOOM_READ;
        loom_bus_transport(m->bus, &t);
        uint64_t v = m->big_endian ? loom_get_be(data, c->size) : loom_get_le(data, c->size);
        if (t.resp != LOOM_RESP_OK)
            fail(m, c, "read of 0x%" PRIx64 " failed: response %" PRIu64, c->addr, t.resp);
        else if (c->expect && (v & c->mask) != (c->value & c->mask))
            fail(m, c, "read 0x%" PRIx64 ", expected 0x%" PRIx64, v & c->mask, c->value & c->mask);
        break;
    }
    case OP_IRQ: {
        uint64_t level = (m->irq_levels >> c->addr) & 1;
        if (level != c->value) fail(m, c, "interrupt input %" PRIu64 " is at level %" PRIu64, c->addr, level);
        break;
    }
    case OP_EXIT:
        loom_sim_request_stop(sim, LOOM_STOP_EXIT, (int)(c->value & 0xff));
        break;
    }
}

static void master_fire(loom_sim *sim, void *opaque)
{
    master *m = opaque;
    while (m->next < m->ncmds && m->cmds[m->next].when <= loom_sim_now(sim)) {
        run_cmd(m, &m->cmds[m->next++]);
        if (loom_sim_stop_requested(sim)) return;
    }
    if (m->next < m->ncmds)
        loom_event_schedule(m->ev, m->cmds[m->next].when);
    else if (m->exit_at_end)
        loom_sim_request_stop(sim, LOOM_STOP_EXIT, m->failures ? 1 : 0);
}

static void master_irq(void *opaque, unsigned n, bool level)
{
    master *m = opaque;
    m->irq_levels = level ? m->irq_levels | (1u << n) : m->irq_levels & ~(1u << n);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (buf) buf[len] = 0;
    return buf;
}

static loom_err master_init(loom_inst *inst, void *state)
{
    master *m = state;
    loom_sim *sim = loom_inst_sim(inst);
    m->inst = inst;
    m->big_endian = !strcmp(loom_inst_prop_str(inst, "endian"), "big");
    m->exit_at_end = loom_inst_prop_bool(inst, "exit-at-end");
    m->stop_on_failure = loom_inst_prop_bool(inst, "stop-on-failure");
    const char *space = loom_inst_prop_str(inst, "space");
    m->bus = !strcmp(space, "io") ? loom_sim_io(sim) : loom_sim_memory(sim);
    const char *file = loom_inst_prop_str(inst, "script");
    const char *inline_cmds = loom_inst_prop_str(inst, "commands");
    if (*file && *inline_cmds)
        return loom_inst_error(inst, LOOM_E_CONFIG, "give either 'script' or 'commands', not both");
    loom_err e;
    if (*file) {
        char *text = read_file(file);
        if (!text) return loom_inst_error(inst, LOOM_E_IO, "cannot read script '%s': %s", file, strerror(errno));
        m->source = file;
        e = parse_script(m, text);
        free(text);
    } else {
        m->source = "commands";
        e = parse_script(m, inline_cmds);
    }
    if (e) return e;
    e = loom_event_new(sim, loom_inst_name(inst), "next", master_fire, m, &m->ev);
    if (!e) e = loom_inst_add_input(inst, "irq", IRQ_INPUTS, master_irq, m);
    return e;
}

static loom_err master_realize(loom_inst *inst, void *state)
{
    master *m = state;
    if (m->ncmds) loom_event_schedule(m->ev, m->cmds[0].when);
    return LOOM_OK;
}

static void master_save(void *state, loom_buf *b)
{
    master *m = state;
    loom_buf_put_u64(b, m->next);
    loom_buf_put_u32(b, m->irq_levels);
    loom_buf_put_u32(b, m->failures);
}

static loom_err master_restore(void *state, loom_buf *b)
{
    master *m = state;
    m->next = loom_buf_get_u64(b);
    m->irq_levels = loom_buf_get_u32(b);
    m->failures = loom_buf_get_u32(b);
    return m->next > m->ncmds ? LOOM_E_FORMAT : LOOM_OK;
}

static void master_fini(void *state)
{
    master *m = state;
    free(m->cmds);
}

static const loom_prop_def master_props[] = {
    {"script", LOOM_PROP_FILE, "", "file of commands", NULL},
    {"commands", LOOM_PROP_STRING, "", "commands inline, separated by ';' or newlines", NULL},
    {"space", LOOM_PROP_ENUM, "memory", "address space the master drives", "memory|io"},
    {"endian", LOOM_PROP_ENUM, "little", "byte order of values", "little|big"},
    {"stop-on-failure", LOOM_PROP_BOOL, "true", "end the simulation with status 1 at the first failed check", NULL},
    {"exit-at-end", LOOM_PROP_BOOL, "true", "end the simulation after the last command (status 1 if a check failed)", NULL},
};

const loom_model_type loom_model_script_master = {
    .name = "script-master",
    .kind = "test",
    .doc = "scripted bus master: timed reads and writes with expected values",
    .props = master_props,
    .nprops = sizeof master_props / sizeof *master_props,
    .state_size = sizeof(master),
    .init = master_init,
    .realize = master_realize,
    .save = master_save,
    .restore = master_restore,
    .fini = master_fini,
};
