/* POSIX threads for `loom user arm`: a mutex-protected counter, a bounded
 * producer/consumer queue on condition variables, pthread_join's values,
 * __thread variables, pthread_once, a barrier, thread-specific data with its
 * destructor, a detached thread and a read-write lock. Every result is a
 * count or a sum that does not depend on how the threads interleave.
 * Compared with qemu-arm by tests/cli/test_loom_user_posix.sh. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NTHREADS 4
#define ROUNDS 20000

/* ---- A counter under a mutex ---------------------------------------------------- */

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
    intptr_t id = (intptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&count_lock);
        counter++;
        pthread_mutex_unlock(&count_lock);
    }
    return (void *)(id * 100 + 1);
}

static void test_mutex(void)
{
    pthread_t t[NTHREADS];
    for (intptr_t i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, count_up, (void *)i);
    long joined = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        printf("join %d returned %ld\n", i, (long)(intptr_t)ret);
        joined += (intptr_t)ret;
    }
    printf("counter %ld (want %d), join sum %ld\n", counter, NTHREADS * ROUNDS, joined);
}

/* ---- Producer and consumer ------------------------------------------------------ */

#define QSIZE 4
#define ITEMS 500

static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    int items[QSIZE];
    int head, count;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0};

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&q.lock);
        while (q.count == QSIZE) pthread_cond_wait(&q.not_full, &q.lock);
        q.items[(q.head + q.count) % QSIZE] = i;
        q.count++;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long sum = 0;
    int last = 0, in_order = 1;
    (void)arg;
    for (int n = 0; n < ITEMS; n++) {
        pthread_mutex_lock(&q.lock);
        while (q.count == 0) pthread_cond_wait(&q.not_empty, &q.lock);
        int v = q.items[q.head];
        q.head = (q.head + 1) % QSIZE;
        q.count--;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.lock);
        if (v != last + 1) in_order = 0;
        last = v;
        sum += v;
    }
    return (void *)(intptr_t)(in_order ? sum : -sum);
}

static void test_condvar(void)
{
    pthread_t p, c;
    void *ret;
    pthread_create(&c, NULL, consumer, NULL);
    pthread_create(&p, NULL, producer, NULL);
    pthread_join(p, NULL);
    pthread_join(c, &ret);
    printf("consumer sum %ld (want %d), in order %s\n", labs((long)(intptr_t)ret), ITEMS * (ITEMS + 1) / 2,
           (intptr_t)ret > 0 ? "yes" : "no");

    /* A timed wait that nobody signals. */
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 20 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    int e = pthread_cond_timedwait(&cv, &m, &until);
    pthread_mutex_unlock(&m);
    printf("timedwait: %s\n", e == ETIMEDOUT ? "timed out" : strerror(e));
}

/* ---- Thread-local storage, pthread_once, thread-specific data -------------------- */

static __thread int tls_value = 7;
static __thread char tls_name[16] = "main";
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static pthread_key_t key;
static int destructor_runs;
static pthread_mutex_t destructor_lock = PTHREAD_MUTEX_INITIALIZER;

static void init_once(void) { once_runs++; }

static void destructor(void *v)
{
    pthread_mutex_lock(&destructor_lock);
    destructor_runs += (int)(intptr_t)v;
    pthread_mutex_unlock(&destructor_lock);
}

static void *tls_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    int initial = tls_value;
    tls_value = 1000 + id;
    snprintf(tls_name, sizeof tls_name, "thread %d", id);
    pthread_once(&once, init_once);
    pthread_setspecific(key, (void *)(intptr_t)(id + 1));
    for (int i = 0; i < 1000; i++) tls_value += i & 1; /* someone else's writes would show here */
    char want[16];
    snprintf(want, sizeof want, "thread %d", id);
    int ok = tls_value == 1000 + id + 500 && !strcmp(tls_name, want) &&
             (intptr_t)pthread_getspecific(key) == id + 1;
    return (void *)(intptr_t)(initial * 10 + ok);
}

static void test_tls(void)
{
    pthread_key_create(&key, destructor);
    pthread_t t[NTHREADS];
    for (intptr_t i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, tls_worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        int r = (int)(intptr_t)ret;
        printf("thread %d: initial tls %d, own values kept %s\n", i, r / 10, r % 10 ? "yes" : "no");
    }
    printf("main tls %d '%s', once ran %d time(s), destructors got %d (want %d)\n", tls_value, tls_name, once_runs,
           destructor_runs, NTHREADS * (NTHREADS + 1) / 2);
    pthread_key_delete(key);
}

/* ---- A barrier --------------------------------------------------------------- */

static pthread_barrier_t barrier;
static int arrived, serial_threads, saw_all;
static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;

static void *barrier_worker(void *arg)
{
    (void)arg;
    for (int round = 0; round < 3; round++) {
        pthread_mutex_lock(&barrier_lock);
        arrived++;
        pthread_mutex_unlock(&barrier_lock);
        int r = pthread_barrier_wait(&barrier);
        pthread_mutex_lock(&barrier_lock);
        if (arrived >= (round + 1) * NTHREADS) saw_all++;
        if (r == PTHREAD_BARRIER_SERIAL_THREAD) serial_threads++;
        pthread_mutex_unlock(&barrier_lock);
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

static void test_barrier(void)
{
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) pthread_create(&t[i], NULL, barrier_worker, NULL);
    for (int i = 0; i < NTHREADS; i++) pthread_join(t[i], NULL);
    printf("barrier: %d arrivals, %d saw everyone (want %d), %d serial (want 3)\n", arrived, saw_all, 3 * NTHREADS,
           serial_threads);
    pthread_barrier_destroy(&barrier);
}

/* ---- A detached thread, a read-write lock ------------------------------------------ */

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int detached_done;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int shared_table[8];

static void *detached(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&rw);
    for (int i = 0; i < 8; i++) shared_table[i] += i;
    pthread_rwlock_unlock(&rw);
    pthread_mutex_lock(&done_lock);
    detached_done = 1;
    pthread_cond_signal(&done_cv);
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    long sum = 0;
    for (int n = 0; n < 100; n++) {
        pthread_rwlock_rdlock(&rw);
        int s = 0;
        for (int i = 0; i < 8; i++) s += shared_table[i];
        pthread_rwlock_unlock(&rw);
        sum += s % 28 == 0; /* all-or-nothing updates: 0, 28, 56 */
    }
    return (void *)(intptr_t)sum;
}

static void test_detached_rwlock(void)
{
    pthread_t d, r[2];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < 2; i++) pthread_create(&r[i], NULL, reader, NULL);
    pthread_create(&d, &attr, detached, NULL);
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&done_lock);
    while (!detached_done) pthread_cond_wait(&done_cv, &done_lock);
    pthread_mutex_unlock(&done_lock);
    long consistent = 0;
    for (int i = 0; i < 2; i++) {
        void *ret;
        pthread_join(r[i], &ret);
        consistent += (intptr_t)ret;
    }
    int s = 0;
    for (int i = 0; i < 8; i++) s += shared_table[i];
    printf("detached thread finished, table sum %d, readers saw consistent tables %ld/200\n", s, consistent);
    printf("joining the main thread with itself: %s\n", strerror(pthread_join(pthread_self(), NULL)));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_mutex();
    test_condvar();
    test_tls();
    test_barrier();
    test_detached_rwlock();
    return 0;
}
