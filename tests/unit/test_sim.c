/* Unit tests for core/sim.c: the event queue, loom_sim_advance_to, stop
 * requests, and the round-robin scheduler with temporal decoupling, driven
 * by fake runners that record every slice they are given. Expectations
 * come from include/loom/sim.h and DESIGN.md ("Scheduler"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loom/loom.h"

/* ---- A trace: what fired, and when ------------------------------------------ */

typedef struct trace {
    char text[8192];
    size_t len;
} trace;

static void trace_add(trace *t, const char *fmt, ...) LOOM_PRINTF(2, 3);
static void trace_add(trace *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->text + t->len, sizeof t->text - t->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof t->text - t->len);
    t->len += (size_t)n;
}

/* An event that writes "name@now " into a trace when it fires. */
typedef struct tev {
    loom_event *ev;
    trace *t;
    const char *name;
    int fired;
    loom_time fired_at;
    /* Optional follow-ups, done from inside the callback. */
    loom_event *then;       /* schedule this one ... */
    loom_time then_delay;   /* ... this long after now */
    loom_stop_reason stop;  /* request a stop with ... */
    int stop_status;        /* ... this status */
    bool *wake;             /* clear this flag (wakes an idle fake runner) */
} tev;

static void tev_fire(loom_sim *sim, void *opaque)
{
    tev *e = opaque;
    e->fired++;
    e->fired_at = loom_sim_now(sim);
    if (e->t) trace_add(e->t, "%s@%llu ", e->name, (unsigned long long)loom_sim_now(sim));
    if (e->then) loom_event_schedule_in(e->then, e->then_delay);
    if (e->stop != LOOM_STOP_NONE) loom_sim_request_stop(sim, e->stop, e->stop_status);
    if (e->wake) *e->wake = false;
}

static void tev_new(loom_sim *sim, tev *e, trace *t, const char *name)
{
    memset(e, 0, sizeof *e);
    e->t = t;
    e->name = name;
    assert_int_equal(loom_event_new(sim, "test", name, tev_fire, e, &e->ev), LOOM_OK);
}

static loom_sim *new_sim(void)
{
    loom_sim *sim;
    assert_int_equal(loom_sim_new(&sim), LOOM_OK);
    assert_non_null(sim);
    return sim;
}

/* ---- The event queue ------------------------------------------------------- */

static void test_events_fire_in_time_order(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    trace t = {0};
    tev a, b, c, d;
    tev_new(sim, &a, &t, "a");
    tev_new(sim, &b, &t, "b");
    tev_new(sim, &c, &t, "c");
    tev_new(sim, &d, &t, "d");
    loom_event_schedule(c.ev, 300);
    loom_event_schedule(a.ev, 100);
    loom_event_schedule(d.ev, 400);
    loom_event_schedule(b.ev, 200);
    assert_int_equal(loom_sim_next_event(sim), 100);
    loom_sim_advance_to(sim, 1000);
    assert_string_equal(t.text, "a@100 b@200 c@300 d@400 ");
    assert_int_equal(loom_sim_now(sim), 1000);
    assert_int_equal(loom_sim_next_event(sim), LOOM_TIME_MAX);
    assert_false(loom_event_pending(a.ev));
    loom_sim_free(sim);
}

static void test_events_at_equal_times_fire_in_scheduling_order(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    trace t = {0};
    tev e[6];
    static const char *names[6] = {"e0", "e1", "e2", "e3", "e4", "e5"};
    for (int i = 0; i < 6; i++) tev_new(sim, &e[i], &t, names[i]);
    /* Scheduled in a scrambled order; one earlier event in between to
     * disturb the heap. */
    static const int order[5] = {3, 1, 4, 0, 2};
    for (int i = 0; i < 5; i++) loom_event_schedule(e[order[i]].ev, 500);
    loom_event_schedule(e[5].ev, 50);
    loom_sim_advance_to(sim, 500);
    assert_string_equal(t.text, "e5@50 e3@500 e1@500 e4@500 e0@500 e2@500 ");
    loom_sim_free(sim);
}

static void test_event_cancel_and_reschedule(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    trace t = {0};
    tev a, b, c;
    tev_new(sim, &a, &t, "a");
    tev_new(sim, &b, &t, "b");
    tev_new(sim, &c, &t, "c");
    loom_event_schedule(a.ev, 100);
    loom_event_schedule(b.ev, 200);
    loom_event_schedule(c.ev, 300);
    /* Cancel one; cancelling again or cancelling an idle event is harmless. */
    loom_event_cancel(b.ev);
    assert_false(loom_event_pending(b.ev));
    loom_event_cancel(b.ev);
    /* Move one later and one earlier. */
    loom_event_schedule(a.ev, 350);
    loom_event_schedule(c.ev, 150);
    assert_true(loom_event_pending(a.ev));
    assert_int_equal(loom_event_when(a.ev), 350);
    assert_int_equal(loom_sim_next_event(sim), 150);
    /* A rescheduled event goes after others already due at the same time. */
    loom_event_schedule(b.ev, 350);
    loom_event_schedule(a.ev, 350);
    loom_sim_advance_to(sim, 1000);
    assert_string_equal(t.text, "c@150 b@350 a@350 ");
    assert_int_equal(a.fired, 1);
    assert_int_equal(b.fired, 1);
    assert_int_equal(c.fired, 1);
    /* A freed pending event never fires. */
    loom_event_schedule(a.ev, 2000);
    loom_event_free(a.ev);
    loom_sim_advance_to(sim, 3000);
    assert_string_equal(t.text, "c@150 b@350 a@350 ");
    assert_int_equal(loom_sim_next_event(sim), LOOM_TIME_MAX);
    loom_sim_free(sim);
}

static void test_event_scheduled_in_the_past_clamps_to_now(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    trace t = {0};
    tev a, b;
    tev_new(sim, &a, &t, "a");
    tev_new(sim, &b, &t, "b");
    loom_sim_advance_to(sim, 1000);
    loom_event_schedule(a.ev, 10);
    assert_int_equal(loom_event_when(a.ev), 1000);
    /* schedule_in near the end of time saturates instead of wrapping. */
    loom_event_schedule_in(b.ev, LOOM_TIME_MAX - 5);
    assert_int_equal(loom_event_when(b.ev), LOOM_TIME_MAX);
    loom_sim_advance_to(sim, 1000);
    assert_string_equal(t.text, "a@1000 ");
    assert_int_equal(loom_sim_now(sim), 1000);
    assert_true(loom_event_pending(b.ev));
    loom_sim_free(sim);
}

static void test_event_names_are_unique_per_simulation(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    tev a;
    tev_new(sim, &a, NULL, "x");
    loom_event *dup = (loom_event *)&a;
    assert_int_equal(loom_event_new(sim, "test", "x", tev_fire, &a, &dup), LOOM_E_EXISTS);
    assert_null(dup);
    assert_non_null(strstr(loom_sim_last_error(sim), "test.x"));
    /* The same id under another owner is a different event. */
    loom_event *other;
    assert_int_equal(loom_event_new(sim, "other", "x", tev_fire, &a, &other), LOOM_OK);
    loom_sim_free(sim);
}

static void test_events_scheduled_from_a_callback_fire_in_the_same_advance(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    trace t = {0};
    tev a, b, c, late;
    tev_new(sim, &a, &t, "a");
    tev_new(sim, &b, &t, "b");
    tev_new(sim, &c, &t, "c");
    tev_new(sim, &late, &t, "late");
    /* a at 100 schedules b at once (same time), b schedules c 50 later,
     * c schedules late past the end of this advance. */
    a.then = b.ev, a.then_delay = 0;
    b.then = c.ev, b.then_delay = 50;
    c.then = late.ev, c.then_delay = 1000;
    tev other;
    tev_new(sim, &other, &t, "other");
    loom_event_schedule(a.ev, 100);
    loom_event_schedule(other.ev, 100); /* due at 100 before b was scheduled */
    loom_sim_advance_to(sim, 500);
    assert_string_equal(t.text, "a@100 other@100 b@100 c@150 ");
    assert_true(loom_event_pending(late.ev));
    assert_int_equal(loom_event_when(late.ev), 1150);
    assert_int_equal(loom_sim_now(sim), 500);
    loom_sim_free(sim);
}

/* A periodic event reschedules itself from its own callback. */
typedef struct ticker {
    loom_event *ev;
    loom_time period;
    int count;
    trace *t;
} ticker;

static void ticker_fire(loom_sim *sim, void *opaque)
{
    ticker *k = opaque;
    k->count++;
    if (k->t) trace_add(k->t, "tick@%llu ", (unsigned long long)loom_sim_now(sim));
    loom_event_schedule_in(k->ev, k->period);
}

static void test_advance_to_fires_only_due_events_and_sets_now(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    trace t = {0};
    ticker k = {.period = 300, .t = &t};
    assert_int_equal(loom_event_new(sim, "tick", "t", ticker_fire, &k, &k.ev), LOOM_OK);
    loom_event_schedule(k.ev, 300);
    loom_sim_advance_to(sim, 899);
    assert_string_equal(t.text, "tick@300 tick@600 ");
    assert_int_equal(loom_sim_now(sim), 899);
    assert_int_equal(loom_sim_next_event(sim), 900);
    /* An event due exactly at the target fires. */
    loom_sim_advance_to(sim, 900);
    assert_string_equal(t.text, "tick@300 tick@600 tick@900 ");
    assert_int_equal(loom_sim_now(sim), 900);
    /* Advancing to now fires nothing new. */
    loom_sim_advance_to(sim, 900);
    assert_int_equal(k.count, 3);
    loom_sim_free(sim);
}

static void test_two_simulations_in_one_process_are_independent(void **state)
{
    (void)state;
    loom_sim *s1 = new_sim(), *s2 = new_sim();
    trace t1 = {0}, t2 = {0};
    tev a1, a2, b1, b2;
    /* Same owner and id in both: names are per simulation. */
    tev_new(s1, &a1, &t1, "a");
    tev_new(s2, &a2, &t2, "a");
    tev_new(s1, &b1, &t1, "b");
    tev_new(s2, &b2, &t2, "b");
    loom_event_schedule(a1.ev, 100);
    loom_event_schedule(a2.ev, 250);
    loom_sim_set_quantum(s1, 7 * LOOM_NS);
    loom_sim_advance_to(s1, 200);
    assert_int_equal(loom_sim_now(s1), 200);
    assert_int_equal(loom_sim_now(s2), 0);
    assert_string_equal(t2.text, "");
    loom_event_schedule(b2.ev, 120);
    loom_event_schedule(b1.ev, 10); /* clamps to s1's now, not s2's */
    assert_int_equal(loom_event_when(b1.ev), 200);
    assert_int_equal(loom_event_when(b2.ev), 120);
    loom_sim_advance_to(s2, 300);
    loom_sim_advance_to(s1, 300);
    assert_string_equal(t1.text, "a@100 b@200 ");
    assert_string_equal(t2.text, "b@120 a@250 ");
    assert_int_equal(loom_sim_quantum(s1), 7 * LOOM_NS);
    assert_int_equal(loom_sim_quantum(s2), 10 * LOOM_US);

    /* Errors, stop requests and address spaces are per simulation. */
    loom_sim_error(s1, LOOM_E_INVAL, "only in one");
    assert_string_equal(loom_sim_last_error(s1), "only in one");
    assert_string_equal(loom_sim_last_error(s2), "no error");
    loom_sim_request_stop(s2, LOOM_STOP_EXIT, 4);
    assert_false(loom_sim_stop_requested(s1));
    assert_true(loom_sim_stop_requested(s2));
    assert_ptr_not_equal(loom_sim_memory(s1), loom_sim_memory(s2));
    loom_log_set_mask(s1, LOOM_LOG_EVENT);
    assert_int_equal(loom_log_mask(s2), 0);
    loom_log_set_mask(s1, 0);

    /* Freeing one leaves the other working. */
    loom_sim_free(s1);
    loom_event_schedule(b2.ev, 400);
    loom_sim_advance_to(s2, 500);
    assert_string_equal(t2.text, "b@120 a@250 b@400 ");
    loom_sim_free(s2);
}

/* ---- loom_sim_run without runners ---------------------------------------- */

static void test_run_stops_at_the_time_limit_exactly(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    trace t = {0};
    ticker k = {.period = 3 * LOOM_US, .t = &t};
    assert_int_equal(loom_event_new(sim, "tick", "t", ticker_fire, &k, &k.ev), LOOM_OK);
    loom_event_schedule(k.ev, 3 * LOOM_US);
    assert_int_equal(loom_sim_run(sim, 10 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_now(sim), 10 * LOOM_US);
    assert_int_equal(k.count, 3);
    assert_int_equal(loom_event_when(k.ev), 12 * LOOM_US);
    /* A limit between quantum boundaries and events is hit exactly too. */
    loom_sim_set_quantum(sim, 1 * LOOM_US);
    assert_int_equal(loom_sim_run(sim, 10 * LOOM_US + 123), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_now(sim), 10 * LOOM_US + 123);
    assert_int_equal(k.count, 3);
    /* Running to a time already reached stops at once. */
    assert_int_equal(loom_sim_run(sim, 5 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_now(sim), 10 * LOOM_US + 123);
    assert_string_equal(loom_stop_reason_name(LOOM_STOP_TIME_LIMIT), "time limit");
    loom_sim_free(sim);
}

static void test_stop_requests_first_wins_and_status_is_kept(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    tev exit3, fault9, after;
    tev_new(sim, &exit3, NULL, "exit3");
    tev_new(sim, &fault9, NULL, "fault9");
    tev_new(sim, &after, NULL, "after");
    exit3.stop = LOOM_STOP_EXIT, exit3.stop_status = 3;
    fault9.stop = LOOM_STOP_FAULT, fault9.stop_status = 9;
    loom_event_schedule(exit3.ev, 2 * LOOM_US);
    loom_event_schedule(fault9.ev, 2 * LOOM_US);
    loom_event_schedule(after.ev, 5 * LOOM_US);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_stop_reason(sim), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(sim), 3);
    assert_true(loom_sim_stop_requested(sim));
    assert_int_equal(loom_sim_now(sim), 2 * LOOM_US);
    assert_int_equal(after.fired, 0);
    /* A later request does not overwrite the first. */
    loom_sim_request_stop(sim, LOOM_STOP_REQUEST, 42);
    assert_int_equal(loom_sim_stop_reason(sim), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(sim), 3);
    /* Running again continues from where it stopped. */
    assert_int_equal(loom_sim_run(sim, 10 * LOOM_US), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(after.fired, 1);
    assert_int_equal(after.fired_at, 5 * LOOM_US);
    loom_sim_free(sim);
}

/* ---- Fake runners -------------------------------------------------------- */

typedef struct slice {
    loom_time start, until, returned;
    loom_time sim_now, next_event; /* as the runner saw them when called */
} slice;

typedef struct fake {
    loom_sim *sim;
    const char *name;
    trace *t;
    slice slices[4096];
    size_t n;
    bool idle;
    /* Sync: at local time sync_at, schedule sync_ev there and stop. */
    loom_time sync_at;
    loom_event *sync_ev;
    bool synced;
    /* Go idle once local time reaches idle_at (0: never). */
    loom_time idle_at;
} fake;

static loom_time fake_run(void *opaque, loom_time now, loom_time until)
{
    fake *f = opaque;
    assert_true(f->n < sizeof f->slices / sizeof *f->slices);
    slice *s = &f->slices[f->n++];
    *s = (slice){now, until, until, loom_sim_now(f->sim), loom_sim_next_event(f->sim)};
    loom_time end = until;
    if (f->sync_ev && !f->synced && f->sync_at >= now && f->sync_at < until) {
        /* A device access that needs the exact time: the device schedules
         * its reaction at the initiator's local time, and the initiator
         * stops right after the access. */
        loom_event_schedule(f->sync_ev, f->sync_at);
        f->synced = true;
        end = f->sync_at;
    }
    if (f->idle_at && f->idle_at >= now && f->idle_at <= end) {
        end = f->idle_at;
        f->idle = true;
    }
    s->returned = end;
    if (f->t)
        trace_add(f->t, "%s[%llu,%llu)->%llu ", f->name, (unsigned long long)now,
                  (unsigned long long)until, (unsigned long long)end);
    return end;
}

static bool fake_idle(void *opaque) { return ((fake *)opaque)->idle; }

static const loom_runner_ops fake_ops = {fake_run, fake_idle};

static fake *fake_add(loom_sim *sim, const char *name, trace *t)
{
    fake *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->sim = sim;
    f->name = name;
    f->t = t;
    assert_int_equal(loom_sim_add_runner(sim, name, &fake_ops, f), LOOM_OK);
    return f;
}

static void test_runner_slices_never_exceed_the_quantum_nor_pass_the_next_event(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    loom_sim_set_quantum(sim, 1000);
    fake *a = fake_add(sim, "a", NULL), *b = fake_add(sim, "b", NULL);
    tev e1, e2, e3;
    tev_new(sim, &e1, NULL, "e1");
    tev_new(sim, &e2, NULL, "e2");
    tev_new(sim, &e3, NULL, "e3");
    loom_event_schedule(e1.ev, 2500);
    loom_event_schedule(e2.ev, 2600);
    loom_event_schedule(e3.ev, 7001);
    ticker k = {.period = 3333};
    assert_int_equal(loom_event_new(sim, "tick", "t", ticker_fire, &k, &k.ev), LOOM_OK);
    loom_event_schedule(k.ev, 3333);

    assert_int_equal(loom_sim_run(sim, 20000), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_now(sim), 20000);
    fake *both[2] = {a, b};
    for (int r = 0; r < 2; r++) {
        fake *f = both[r];
        assert_true(f->n >= 20);
        loom_time prev_end = 0;
        for (size_t i = 0; i < f->n; i++) {
            const slice *s = &f->slices[i];
            assert_true(s->until > s->start);
            assert_true(s->until - s->start <= 1000);
            assert_true(s->until <= s->sim_now + 1000);
            assert_true(s->until <= s->next_event);
            assert_true(s->until <= 20000);
            /* Slices are contiguous: each starts where the last ended. */
            assert_int_equal(s->start, prev_end);
            prev_end = s->returned;
        }
        assert_int_equal(prev_end, 20000);
    }
    /* Slices end exactly at the events, not a quantum later or earlier. */
    static const loom_time expect[] = {1000, 2000, 2500, 2600, 3333, 4333, 5333,
                                       6333, 6666, 7001, 8001};
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        assert_int_equal(a->slices[i].until, expect[i]);
    assert_int_equal(e1.fired_at, 2500);
    assert_int_equal(e2.fired_at, 2600);
    assert_int_equal(e3.fired_at, 7001);
    assert_int_equal(k.count, 6); /* 3333 ... 19998 */
    loom_sim_free(sim);
    free(a);
    free(b);
}

static void test_runner_that_syncs_early_pulls_time_back_for_its_event(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    loom_sim_set_quantum(sim, 1000);
    trace t = {0};
    fake *a = fake_add(sim, "a", &t), *b = fake_add(sim, "b", &t);
    tev dev;
    tev_new(sim, &dev, &t, "dev");
    a->sync_ev = dev.ev;
    a->sync_at = 1700;
    assert_int_equal(loom_sim_run(sim, 3000), LOOM_STOP_TIME_LIMIT);
    /* The device event fires exactly at the access's local time, although
     * b had already run further; a resumes from there. */
    assert_int_equal(dev.fired, 1);
    assert_int_equal(dev.fired_at, 1700);
    assert_string_equal(t.text, "a[0,1000)->1000 b[0,1000)->1000 "
                                "a[1000,2000)->1700 b[1000,2000)->2000 dev@1700 "
                                "a[1700,2700)->2700 b[2000,2700)->2700 "
                                "a[2700,3000)->3000 b[2700,3000)->3000 ");
    loom_sim_free(sim);
    free(a);
    free(b);
}

static void test_idle_runners_with_no_events_stop_idle(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    fake *a = fake_add(sim, "a", NULL), *b = fake_add(sim, "b", NULL);
    a->idle = b->idle = true;
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_IDLE);
    assert_int_equal(loom_sim_now(sim), 0);
    assert_int_equal(a->n + b->n, 0);
    /* Runners that go idle on their own, with a last event still to come:
     * the event fires, then the run ends idle at its time. */
    loom_sim *s2 = new_sim();
    fake *c = fake_add(s2, "c", NULL);
    c->idle_at = 1500;
    tev last;
    tev_new(s2, &last, NULL, "last");
    loom_event_schedule(last.ev, 40 * LOOM_US);
    assert_int_equal(loom_sim_run(s2, LOOM_TIME_MAX), LOOM_STOP_IDLE);
    assert_int_equal(last.fired, 1);
    assert_int_equal(loom_sim_now(s2), 40 * LOOM_US);
    assert_int_equal(c->slices[c->n - 1].returned, 1500);
    assert_string_equal(loom_stop_reason_name(LOOM_STOP_IDLE), "idle");
    loom_sim_free(sim);
    loom_sim_free(s2);
    free(a);
    free(b);
    free(c);
}

static void test_time_limit_with_idle_runners_advances_to_the_limit(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    fake *a = fake_add(sim, "a", NULL);
    a->idle = true;
    assert_int_equal(loom_sim_run(sim, 123456), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(loom_sim_now(sim), 123456);
    assert_int_equal(a->n, 0);
    loom_sim_free(sim);
    free(a);
}

static void test_idle_runner_woken_by_an_event_resumes_at_the_event_time(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    loom_sim_set_quantum(sim, 1000);
    fake *a = fake_add(sim, "a", NULL);
    a->idle = true;
    tev wake;
    tev_new(sim, &wake, NULL, "wake");
    wake.wake = &a->idle;
    loom_event_schedule(wake.ev, 4321);
    assert_int_equal(loom_sim_run(sim, 6000), LOOM_STOP_TIME_LIMIT);
    assert_int_equal(a->n, 2);
    assert_int_equal(a->slices[0].start, 4321);
    assert_int_equal(a->slices[0].until, 5321);
    assert_int_equal(a->slices[1].until, 6000);
    loom_sim_free(sim);
    free(a);
}

static void test_stop_from_an_event_ends_the_run_with_runners(void **state)
{
    (void)state;
    loom_sim *sim = new_sim();
    loom_sim_set_quantum(sim, 1000);
    fake *a = fake_add(sim, "a", NULL);
    tev stop;
    tev_new(sim, &stop, NULL, "stop");
    stop.stop = LOOM_STOP_EXIT, stop.stop_status = 5;
    loom_event_schedule(stop.ev, 2200);
    assert_int_equal(loom_sim_run(sim, LOOM_TIME_MAX), LOOM_STOP_EXIT);
    assert_int_equal(loom_sim_exit_status(sim), 5);
    assert_int_equal(loom_sim_now(sim), 2200);
    assert_int_equal(a->slices[a->n - 1].until, 2200);
    loom_sim_free(sim);
    free(a);
}

/* ---- Determinism -------------------------------------------------------------- */

static void scenario(trace *t)
{
    loom_sim *sim = new_sim();
    loom_sim_set_quantum(sim, 777);
    fake *a = fake_add(sim, "a", t), *b = fake_add(sim, "b", t), *c = fake_add(sim, "c", t);
    tev dev, e1, e2;
    tev_new(sim, &dev, t, "dev");
    tev_new(sim, &e1, t, "e1");
    tev_new(sim, &e2, t, "e2");
    b->sync_ev = dev.ev;
    b->sync_at = 2345;
    c->idle_at = 3000;
    e1.wake = &c->idle;
    dev.then = e2.ev, dev.then_delay = 111;
    loom_event_schedule(e1.ev, 5555);
    ticker k = {.period = 1234, .t = t};
    assert_int_equal(loom_event_new(sim, "tick", "t", ticker_fire, &k, &k.ev), LOOM_OK);
    loom_event_schedule(k.ev, 1000);
    assert_int_equal(loom_sim_run(sim, 10000), LOOM_STOP_TIME_LIMIT);
    trace_add(t, "end@%llu", (unsigned long long)loom_sim_now(sim));
    loom_sim_free(sim);
    free(a);
    free(b);
    free(c);
}

static void test_two_identical_runs_give_identical_traces(void **state)
{
    (void)state;
    trace *t1 = calloc(1, sizeof *t1), *t2 = calloc(1, sizeof *t2);
    assert_non_null(t1);
    assert_non_null(t2);
    scenario(t1);
    scenario(t2);
    assert_true(t1->len > 200);
    assert_string_equal(t1->text, t2->text);
    assert_non_null(strstr(t1->text, "dev@2345 "));
    assert_non_null(strstr(t1->text, "e2@2456 "));
    free(t1);
    free(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_fire_in_time_order),
        cmocka_unit_test(test_events_at_equal_times_fire_in_scheduling_order),
        cmocka_unit_test(test_event_cancel_and_reschedule),
        cmocka_unit_test(test_event_scheduled_in_the_past_clamps_to_now),
        cmocka_unit_test(test_event_names_are_unique_per_simulation),
        cmocka_unit_test(test_events_scheduled_from_a_callback_fire_in_the_same_advance),
        cmocka_unit_test(test_advance_to_fires_only_due_events_and_sets_now),
        cmocka_unit_test(test_two_simulations_in_one_process_are_independent),
        cmocka_unit_test(test_run_stops_at_the_time_limit_exactly),
        cmocka_unit_test(test_stop_requests_first_wins_and_status_is_kept),
        cmocka_unit_test(test_runner_slices_never_exceed_the_quantum_nor_pass_the_next_event),
        cmocka_unit_test(test_runner_that_syncs_early_pulls_time_back_for_its_event),
        cmocka_unit_test(test_idle_runners_with_no_events_stop_idle),
        cmocka_unit_test(test_time_limit_with_idle_runners_advances_to_the_limit),
        cmocka_unit_test(test_idle_runner_woken_by_an_event_resumes_at_the_event_time),
        cmocka_unit_test(test_stop_from_an_event_ends_the_run_with_runners),
        cmocka_unit_test(test_two_identical_runs_give_identical_traces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
