/* The simulation object: life cycle, errors, the event queue and the
 * scheduler loop. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

loom_err loom_sim_new(loom_sim **out)
{
    *out = NULL;
    loom_sim *sim = calloc(1, sizeof *sim);
    if (!sim) return LOOM_E_NOMEM;
    sim->quantum = 10 * LOOM_US;
    sim->log_file = NULL;
    loom_err e = loom_bus_new(sim, "memory", 0, &sim->memory);
    if (!e) e = loom_bus_new(sim, "io", 0x10000, &sim->io);
    if (e) {
        loom_sim_free(sim);
        return e;
    }
    *out = sim;
    return LOOM_OK;
}

void loom_sim_free(loom_sim *sim)
{
    if (!sim) return;
    /* Instances first (they may cancel events and close back ends), then
     * whatever they handed over, in reverse order of registration. */
    for (size_t i = sim->insts.n; i-- > 0;) loom__inst_free(sim->insts.v[i]);
    ptrvec_free(&sim->insts);
    for (size_t i = sim->nowned; i-- > 0;)
        if (sim->owned[i].destroy) sim->owned[i].destroy(sim->owned[i].obj);
    free(sim->owned);
    free(sim->assoc);
    loom__events_clear(sim);
    for (size_t i = 0; i < sim->nrunners; i++) free(sim->runners[i].name);
    free(sim->runners);
    free(sim->polls);
    for (size_t i = 0; i < sim->regions.n; i++) loom__region_free(sim->regions.v[i]);
    ptrvec_free(&sim->regions);
    for (size_t i = 0; i < sim->buses.n; i++) loom__bus_free(sim->buses.v[i]);
    ptrvec_free(&sim->buses);
    for (size_t i = 0; i < sim->irqs.n; i++) loom__irq_free(sim->irqs.v[i]);
    ptrvec_free(&sim->irqs);
    ptrvec_free(&sim->model_types);
    ptrvec_free(&sim->arch_types);
    ptrvec_free(&sim->cpus);
    free(sim->error);
    free(sim);
}

loom_bus *loom_sim_memory(loom_sim *sim) { return sim->memory; }
loom_bus *loom_sim_io(loom_sim *sim) { return sim->io; }

loom_err loom_sim_own(loom_sim *sim, void *obj, void (*destroy)(void *))
{
    if (sim->nowned == sim->owned_cap) {
        size_t cap = sim->owned_cap ? sim->owned_cap * 2 : 16;
        owned *o = realloc(sim->owned, cap * sizeof *o);
        if (!o) return LOOM_E_NOMEM;
        sim->owned = o;
        sim->owned_cap = cap;
    }
    sim->owned[sim->nowned++] = (owned){obj, destroy};
    return LOOM_OK;
}

/* ---- Errors ---------------------------------------------------------- */

loom_err loom_sim_error(loom_sim *sim, loom_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    free(sim->error);
    sim->error = msg;
    return code;
}

const char *loom_sim_last_error(const loom_sim *sim)
{
    return sim->error ? sim->error : "no error";
}

void loom_sim_clear_error(loom_sim *sim)
{
    free(sim->error);
    sim->error = NULL;
}

/* ---- Event queue: a binary heap ordered by (when, seq) ------------------ */

static bool ev_before(const loom_event *a, const loom_event *b)
{
    return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(loom_sim *sim, size_t i, loom_event *ev)
{
    sim->heap[i] = ev;
    ev->heap_index = i;
}

static void heap_up(loom_sim *sim, size_t i)
{
    loom_event *ev = sim->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(ev, sim->heap[parent])) break;
        heap_set(sim, i, sim->heap[parent]);
        i = parent;
    }
    heap_set(sim, i, ev);
}

static void heap_down(loom_sim *sim, size_t i)
{
    loom_event *ev = sim->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const loom_event *best = ev;
        if (l < sim->heap_n && ev_before(sim->heap[l], best)) m = l, best = sim->heap[l];
        if (r < sim->heap_n && ev_before(sim->heap[r], best)) m = r;
        if (m == i) break;
        heap_set(sim, i, sim->heap[m]);
        i = m;
    }
    heap_set(sim, i, ev);
}

static void heap_remove(loom_sim *sim, loom_event *ev)
{
    size_t i = ev->heap_index;
    ev->heap_index = SIZE_MAX;
    loom_event *last = sim->heap[--sim->heap_n];
    if (i == sim->heap_n) return;
    heap_set(sim, i, last);
    heap_up(sim, i);
    heap_down(sim, last->heap_index);
}

static void heap_insert(loom_sim *sim, loom_event *ev)
{
    if (sim->heap_n == sim->heap_cap) {
        size_t cap = sim->heap_cap ? sim->heap_cap * 2 : 32;
        loom_event **h = realloc(sim->heap, cap * sizeof *h);
        if (!h) {
            /* Event objects are few and preallocated; growing the heap to
             * hold them all cannot reasonably fail. */
            fputs("loom: out of memory growing the event queue\n", stderr);
            abort();
        }
        sim->heap = h;
        sim->heap_cap = cap;
    }
    heap_set(sim, sim->heap_n++, ev);
    heap_up(sim, ev->heap_index);
}

loom_time loom_sim_now(const loom_sim *sim) { return sim->now; }

loom_err loom_event_new(loom_sim *sim, const char *owner, const char *id, loom_event_fn fn,
                        void *opaque, loom_event **out)
{
    *out = NULL;
    for (size_t i = 0; i < sim->events.n; i++) {
        loom_event *o = sim->events.v[i];
        if (!strcmp(o->owner, owner) && !strcmp(o->id, id))
            return loom_sim_error(sim, LOOM_E_EXISTS, "event '%s.%s' already exists", owner, id);
    }
    loom_event *ev = calloc(1, sizeof *ev);
    if (!ev) return LOOM_E_NOMEM;
    ev->sim = sim;
    ev->owner = loom_strdup(owner);
    ev->id = loom_strdup(id);
    ev->fn = fn;
    ev->opaque = opaque;
    ev->heap_index = SIZE_MAX;
    if (!ev->owner || !ev->id || !ptrvec_push(&sim->events, ev)) {
        free(ev->owner);
        free(ev->id);
        free(ev);
        return LOOM_E_NOMEM;
    }
    *out = ev;
    return LOOM_OK;
}

static void event_destroy(loom_event *ev)
{
    free(ev->owner);
    free(ev->id);
    free(ev);
}

void loom_event_free(loom_event *ev)
{
    if (!ev) return;
    loom_event_cancel(ev);
    ptrvec_remove(&ev->sim->events, ev);
    event_destroy(ev);
}

void loom__events_clear(loom_sim *sim)
{
    for (size_t i = 0; i < sim->events.n; i++) event_destroy(sim->events.v[i]);
    ptrvec_free(&sim->events);
    free(sim->heap);
    sim->heap = NULL;
    sim->heap_n = sim->heap_cap = 0;
}

void loom_event_schedule(loom_event *ev, loom_time when)
{
    loom_sim *sim = ev->sim;
    if (when < sim->now) when = sim->now;
    if (ev->heap_index != SIZE_MAX) heap_remove(sim, ev);
    ev->when = when;
    ev->seq = sim->next_seq++;
    heap_insert(sim, ev);
    if (loom_log_enabled(sim, LOOM_LOG_EVENT))
        loom_log(sim, LOOM_LOG_EVENT, "event %s.%s scheduled at %llu ps\n", ev->owner, ev->id,
                 (unsigned long long)when);
}

void loom_event_schedule_in(loom_event *ev, loom_time delay)
{
    loom_time now = ev->sim->now;
    loom_event_schedule(ev, delay > LOOM_TIME_MAX - now ? LOOM_TIME_MAX : now + delay);
}

void loom_event_cancel(loom_event *ev)
{
    if (ev && ev->heap_index != SIZE_MAX) heap_remove(ev->sim, ev);
}

bool loom_event_pending(const loom_event *ev) { return ev->heap_index != SIZE_MAX; }
loom_time loom_event_when(const loom_event *ev) { return ev->when; }

loom_time loom_sim_next_event(const loom_sim *sim)
{
    return sim->heap_n ? sim->heap[0]->when : LOOM_TIME_MAX;
}

void loom_sim_advance_to(loom_sim *sim, loom_time t)
{
    while (sim->heap_n && sim->heap[0]->when <= t) {
        loom_event *ev = sim->heap[0];
        heap_remove(sim, ev);
        if (ev->when > sim->now) sim->now = ev->when;
        ev->fn(sim, ev->opaque);
    }
    if (t > sim->now) sim->now = t;
}

/* Saved form of the queue: time, the sequence counter and each pending event
 * by owner and id. Events are matched by name on restore, so the restoring
 * simulation must have created the same events (it built the same board). */
loom_err loom__events_save(loom_sim *sim, loom_buf *b)
{
    loom_buf_put_u64(b, sim->now);
    loom_buf_put_u64(b, sim->next_seq);
    loom_buf_put_u32(b, (uint32_t)sim->heap_n);
    /* Save in firing order so the saved bytes do not depend on heap shape. */
    loom_event **sorted = malloc((sim->heap_n ? sim->heap_n : 1) * sizeof *sorted);
    if (!sorted) return LOOM_E_NOMEM;
    if (sim->heap_n) memcpy(sorted, sim->heap, sim->heap_n * sizeof *sorted);
    for (size_t i = 1; i < sim->heap_n; i++) {
        loom_event *x = sorted[i];
        size_t j = i;
        for (; j > 0 && ev_before(x, sorted[j - 1]); j--) sorted[j] = sorted[j - 1];
        sorted[j] = x;
    }
    for (size_t i = 0; i < sim->heap_n; i++) {
        loom_buf_put_str(b, sorted[i]->owner);
        loom_buf_put_str(b, sorted[i]->id);
        loom_buf_put_u64(b, sorted[i]->when);
        loom_buf_put_u64(b, sorted[i]->seq);
    }
    free(sorted);
    return LOOM_OK;
}

loom_err loom__events_restore(loom_sim *sim, loom_buf *b)
{
    loom_time now = loom_buf_get_u64(b);
    uint64_t seq = loom_buf_get_u64(b);
    uint32_t n = loom_buf_get_u32(b);
    if (b->bad) return loom_sim_error(sim, LOOM_E_FORMAT, "saved state: truncated event queue");
    while (sim->heap_n) heap_remove(sim, sim->heap[0]);
    sim->now = now;
    for (uint32_t i = 0; i < n; i++) {
        char *owner = loom_buf_get_str(b), *id = loom_buf_get_str(b);
        loom_time when = loom_buf_get_u64(b);
        uint64_t s = loom_buf_get_u64(b);
        loom_event *ev = NULL;
        for (size_t k = 0; owner && id && k < sim->events.n; k++) {
            loom_event *o = sim->events.v[k];
            if (!strcmp(o->owner, owner) && !strcmp(o->id, id)) ev = o;
        }
        loom_err e = LOOM_OK;
        if (b->bad)
            e = loom_sim_error(sim, LOOM_E_FORMAT, "saved state: truncated event queue");
        else if (!ev)
            e = loom_sim_error(sim, LOOM_E_NOTFOUND,
                               "saved state names event '%s.%s' that this simulation lacks",
                               owner, id);
        free(owner);
        free(id);
        if (e) return e;
        ev->when = when;
        ev->seq = s;
        heap_insert(sim, ev);
    }
    sim->next_seq = seq;
    return LOOM_OK;
}

/* ---- Runners and the scheduler ---------------------------------------- */

loom_err loom_sim_add_runner(loom_sim *sim, const char *name, const loom_runner_ops *ops,
                             void *opaque)
{
    runner *r = realloc(sim->runners, (sim->nrunners + 1) * sizeof *r);
    if (!r) return LOOM_E_NOMEM;
    sim->runners = r;
    char *n = loom_strdup(name);
    if (!n) return LOOM_E_NOMEM;
    sim->runners[sim->nrunners++] = (runner){n, ops, opaque, sim->now};
    return LOOM_OK;
}

void loom_sim_set_quantum(loom_sim *sim, loom_time q) { sim->quantum = q ? q : 1; }
loom_time loom_sim_quantum(const loom_sim *sim) { return sim->quantum; }

static const char *const stop_names[] = {
    [LOOM_STOP_NONE] = "running",       [LOOM_STOP_EXIT] = "exit",
    [LOOM_STOP_TIME_LIMIT] = "time limit", [LOOM_STOP_INSN_LIMIT] = "instruction limit",
    [LOOM_STOP_IDLE] = "idle",          [LOOM_STOP_REQUEST] = "stop request",
    [LOOM_STOP_FAULT] = "fault",
};

const char *loom_stop_reason_name(loom_stop_reason r)
{
    return (unsigned)r < sizeof stop_names / sizeof *stop_names ? stop_names[r] : "?";
}

void loom_sim_request_stop(loom_sim *sim, loom_stop_reason why, int status)
{
    if (sim->stop != LOOM_STOP_NONE) return;
    sim->stop = why;
    sim->exit_status = status;
}

loom_stop_reason loom_sim_stop_reason(const loom_sim *sim) { return sim->stop; }
int loom_sim_exit_status(const loom_sim *sim) { return sim->exit_status; }
bool loom_sim_stop_requested(const loom_sim *sim) { return sim->stop != LOOM_STOP_NONE; }

void loom_sim_set_scheduler(loom_sim *sim, const loom_scheduler *s, void *opaque)
{
    sim->sched = s;
    sim->sched_opaque = opaque;
}

loom_err loom_sim_add_poll(loom_sim *sim, loom_poll_fn fn, void *opaque)
{
    poll_hook *p = realloc(sim->polls, (sim->npolls + 1) * sizeof *p);
    if (!p) return LOOM_E_NOMEM;
    sim->polls = p;
    sim->polls[sim->npolls++] = (poll_hook){fn, opaque};
    return LOOM_OK;
}

void loom_sim_remove_poll(loom_sim *sim, loom_poll_fn fn, void *opaque)
{
    for (size_t i = 0; i < sim->npolls; i++) {
        if (sim->polls[i].fn == fn && sim->polls[i].opaque == opaque) {
            memmove(&sim->polls[i], &sim->polls[i + 1], (sim->npolls - i - 1) * sizeof *sim->polls);
            sim->npolls--;
            return;
        }
    }
}

static bool run_polls(loom_sim *sim, int wait_ms)
{
    bool any = false;
    /* A hook may remove itself; walk over a snapshot count. */
    for (size_t i = 0; i < sim->npolls; i++) any |= sim->polls[i].fn(sim->polls[i].opaque, wait_ms);
    return any;
}

/* Host input is polled every this many rounds: a poll is a system call,
 * and a round is a few microseconds of host time. */
#define POLL_EVERY_ROUNDS 64

/* Round robin with temporal decoupling: each runner keeps its own local time
 * and may run up to the end of the round (the next event, the quantum or the
 * limit); simulated time then advances to the slowest runner, events due by
 * then fire, and the next round starts. A runner stopping early (a sync
 * access) pulls the simulation time back to its own, so the device event it
 * scheduled fires at the right moment. */
loom_stop_reason loom_sched_round_robin(loom_sim *sim, void *opaque, loom_time until)
{
    (void)opaque;
    for (;;) {
        if (sim->stop != LOOM_STOP_NONE) return sim->stop;
        if (sim->now >= until) return LOOM_STOP_TIME_LIMIT;

        /* With every runner waiting, jump straight to the next event. */
        bool any_ready = false;
        for (size_t i = 0; i < sim->nrunners && !any_ready; i++)
            any_ready = !sim->runners[i].ops->idle || !sim->runners[i].ops->idle(sim->runners[i].opaque);
        loom_time end = any_ready ? sim->now + sim->quantum : LOOM_TIME_MAX;
        if (end < sim->now || end > until) end = until;
        loom_time next_ev = loom_sim_next_event(sim);
        if (next_ev < end) end = next_ev;

        bool active = false;
        loom_time low = LOOM_TIME_MAX;
        for (size_t i = 0; i < sim->nrunners && sim->stop == LOOM_STOP_NONE; i++) {
            runner *r = &sim->runners[i];
            if (r->local < sim->now) r->local = sim->now;
            if (r->ops->idle && r->ops->idle(r->opaque)) continue;
            if (r->local < end) r->local = r->ops->run(r->opaque, r->local, end);
            if (r->ops->idle && r->ops->idle(r->opaque)) continue;
            active = true;
            if (r->local < low) low = r->local;
        }
        if (sim->stop != LOOM_STOP_NONE && !active) return sim->stop;

        if (++sim->rounds % POLL_EVERY_ROUNDS == 0 && sim->npolls) run_polls(sim, 0);

        if (!active && next_ev == LOOM_TIME_MAX) {
            /* Nothing can happen by itself any more. */
            if (until != LOOM_TIME_MAX) {
                loom_sim_advance_to(sim, until);
                return LOOM_STOP_TIME_LIMIT;
            }
            if (!sim->npolls) return LOOM_STOP_IDLE;
            /* Waiting for the outside world (a console, a socket). */
            run_polls(sim, 100);
            continue;
        }
        loom_time to = active ? (low < end ? low : end) : end;
        if (to < sim->now) to = sim->now;
        loom_sim_advance_to(sim, to);
        if (sim->stop != LOOM_STOP_NONE) return sim->stop;
    }
}

static const loom_scheduler round_robin = {"round-robin", loom_sched_round_robin};

loom_stop_reason loom_sim_run(loom_sim *sim, loom_time until)
{
    sim->stop = LOOM_STOP_NONE;
    const loom_scheduler *s = sim->sched ? sim->sched : &round_robin;
    loom_stop_reason r = s->run(sim, sim->sched_opaque, until);
    if (sim->stop == LOOM_STOP_NONE) sim->stop = r;
    return sim->stop;
}

void *loom_sim_assoc(const loom_sim *sim, const void *key)
{
    for (size_t i = 0; i < sim->nassoc; i++)
        if (sim->assoc[i].key == key) return sim->assoc[i].data;
    return NULL;
}

loom_err loom_sim_set_assoc(loom_sim *sim, const void *key, void *data, void (*destroy)(void *))
{
    if (loom_sim_assoc(sim, key)) return loom_sim_error(sim, LOOM_E_EXISTS, "shared data already set");
    struct assoc *v = realloc(sim->assoc, (sim->nassoc + 1) * sizeof *v);
    if (!v) return LOOM_E_NOMEM;
    sim->assoc = v;
    sim->assoc[sim->nassoc++] = (struct assoc){key, data};
    return loom_sim_own(sim, data, destroy);
}

loom_time loom_txn_time(const loom_sim *sim, const loom_txn *txn)
{
    loom_time now = loom_sim_now(sim);
    return txn->delay > LOOM_TIME_MAX - now ? LOOM_TIME_MAX : now + txn->delay;
}
