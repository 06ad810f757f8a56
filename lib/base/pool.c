/* The fork-join pool of one call (base.h).
 *
 * A round is published by bumping a generation counter; a waiting thread spins on it for up
 * to SPIN_S, 150 µs (a training round lasts tens of microseconds to milliseconds; wait_gen
 * says why that long), and then sleeps on a condition variable, so an idle pool costs no CPU.
 * The caller runs its own share as thread 0, then waits for the `pending` count of workers to
 * reach zero the same way. Both counters are sequentially consistent atomics, and the mutex
 * is taken only to sleep and to wake sleepers, which rules out lost wake-ups: a sleeper
 * re-checks its condition under the mutex, and whoever changes the condition signals under
 * the same mutex. A round in which nobody sleeps takes no mutex at all: a sleeper first counts
 * itself in `sleepers` (under the mutex), then re-checks its condition; whoever changes the
 * condition then reads `sleepers`. All four are sequentially consistent, so either the sleeper
 * sees the change or the changer sees the sleeper and signals under the mutex, which the
 * sleeper holds until it waits. */
#include "base/base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

/* Spin before sleeping for up to this long, in seconds (wait_gen); the clock is read every
 * SPIN_CHECK pause hints (a pause takes from a few to tens of nanoseconds, by CPU). */
#define SPIN_S 150e-6
#define SPIN_CHECK 64

struct rec__pool {
    uint32_t n;               /* threads, counting the caller */
    pthread_t *workers;       /* n − 1 */
    uint32_t n_started;
    pthread_mutex_t mu;
    pthread_cond_t wake;      /* workers: a new generation (or stop) */
    pthread_cond_t done;      /* caller: pending reached 0 */
    atomic_uint_fast64_t gen; /* round number; a change publishes fn/ctx */
    atomic_uint pending;      /* workers still running the current round */
    atomic_int stop;
    atomic_uint sleepers;     /* threads asleep (or about to sleep) on wake or done */
    rec__pool_fn fn;
    void *ctx;
};

typedef struct worker_arg {
    rec__pool *p;
    uint32_t id;
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spin until *gen differs from `seen` or SPIN_S has passed; returns whether it changed (if
 * not, the caller sleeps). Why this long: a thread that sleeps between the rounds of a
 * training loop is woken by the thread it waits for, and Linux then tends to run both on that
 * thread's core (wake-affine) while the other core idles; a spinning thread stays runnable,
 * so the idle core takes it over. The spin must outlast the longest round of a large data set
 * (milliseconds on MovieLens-25M-sized tables), not only the tens of microseconds of a small
 * one. The price is paid when another process holds a core: a spinning waiter then delays the
 * thread it waits for, and one thread is the right setting on such a machine
 * (docs/performance.md, "Threads"). Yielding (sched_yield) instead of spinning is worse: each
 * yield can hand a whole time slice, milliseconds, to another process while the round waits. */
static int wait_gen(atomic_uint_fast64_t *gen, uint_fast64_t seen)
{
    const double t0 = rec__clock_now();
    do {
        for (int i = 0; i < SPIN_CHECK; i++) {
            if (atomic_load(gen) != seen)
                return 1;
            cpu_relax();
        }
    } while (rec__clock_now() - t0 < SPIN_S);
    return atomic_load(gen) != seen;
}

/* The caller's wait, the same way: until no worker is pending. */
static int wait_done(atomic_uint *pending)
{
    const double t0 = rec__clock_now();
    do {
        for (int i = 0; i < SPIN_CHECK; i++) {
            if (atomic_load(pending) == 0)
                return 1;
            cpu_relax();
        }
    } while (rec__clock_now() - t0 < SPIN_S);
    return atomic_load(pending) == 0;
}

static void *worker_main(void *arg_)
{
    worker_arg *arg = arg_;
    rec__pool *p = arg->p;
    const uint32_t id = arg->id;
    uint_fast64_t seen = 0;
    for (;;) {
        wait_gen(&p->gen, seen);
        uint_fast64_t g = atomic_load(&p->gen);
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while ((g = atomic_load(&p->gen)) == seen)
                pthread_cond_wait(&p->wake, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        seen = g;
        if (atomic_load(&p->stop))
            return NULL;
        p->fn(p->ctx, id, p->n);
        if (atomic_fetch_sub(&p->pending, 1) == 1 && atomic_load(&p->sleepers) != 0) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

/* Publish a round (fn/ctx already set) and wake sleeping workers. */
static void publish(rec__pool *p)
{
    atomic_fetch_add(&p->gen, 1);
    if (atomic_load(&p->sleepers) != 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
}

static void join_all(rec__pool *p)
{
    atomic_store(&p->stop, 1);
    publish(p);
    for (uint32_t i = 0; i < p->n_started; i++)
        pthread_join(p->workers[i], NULL);
    p->n_started = 0;
}

/* The worker arguments live right after the pool in one block, so stop frees them too. */
typedef struct pool_block {
    rec__pool pool;
    worker_arg args[];
} pool_block;

rec_status rec__pool_start(rec__pool **out, uint32_t n, const char *fn)
{
    *out = NULL;
    if (n <= 1)
        return REC_OK;
    size_t bytes;
    if (!rec__alloc_mul(n, sizeof(worker_arg), &bytes) || bytes > SIZE_MAX - sizeof(pool_block))
        return rec__error(REC_ENOMEM, "%s: %u threads are too many", fn, n);
    pool_block *blk = rec__calloc(1, sizeof(pool_block) + bytes);
    if (!blk)
        return rec__error(REC_ENOMEM, "%s: out of memory for %u threads", fn, n);
    rec__pool *p = &blk->pool;
    p->n = n;
    p->workers = rec__calloc(n - 1, sizeof *p->workers);
    if (!p->workers) {
        rec__free(blk);
        return rec__error(REC_ENOMEM, "%s: out of memory for %u threads", fn, n);
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->sleepers, 0);
    for (uint32_t i = 0; i + 1 < n; i++) {
        blk->args[i].p = p;
        blk->args[i].id = i + 1;
        int err = pthread_create(&p->workers[i], NULL, worker_main, &blk->args[i]);
        if (err) {
            join_all(p);
            rec__free(p->workers);
            pthread_cond_destroy(&p->done);
            pthread_cond_destroy(&p->wake);
            pthread_mutex_destroy(&p->mu);
            rec__free(blk);
            /* the error number, not strerror(): strerror is not thread-safe */
            return rec__error(REC_ENOMEM, "%s: could not start thread %u of %u (error %d)", fn,
                              i + 2, n, err);
        }
        p->n_started++;
    }
    *out = p;
    return REC_OK;
}

uint32_t rec__pool_size(const rec__pool *p)
{
    return p ? p->n : 1;
}

void rec__pool_run(rec__pool *p, rec__pool_fn fn, void *ctx)
{
    if (!p) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->pending, p->n - 1);
    publish(p);
    fn(ctx, 0, p->n);
    if (!wait_done(&p->pending)) {
        pthread_mutex_lock(&p->mu);
        atomic_fetch_add(&p->sleepers, 1);
        while (atomic_load(&p->pending) != 0)
            pthread_cond_wait(&p->done, &p->mu);
        atomic_fetch_sub(&p->sleepers, 1);
        pthread_mutex_unlock(&p->mu);
    }
}

void rec__pool_stop(rec__pool *p)
{
    if (!p)
        return;
    join_all(p);
    /* args are inside the pool's block (pool_block), freed with it */
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    rec__free(p->workers);
    rec__free(p);
}

/* ---- what the threads of a round report --------------------------------------------------- */

void rec__pool_fail(rec__pool_out *o, rec_status rc)
{
    if (o->rc)
        return;
    o->rc = rc;
    snprintf(o->msg, sizeof o->msg, "%s", rec_last_error());
}

rec_status rec__pool_first_failure(const rec__pool_out *out, uint32_t T, const char *fn)
{
    for (uint32_t t = 0; t < T; t++)
        if (out[t].rc)
            return rec__error(out[t].rc, "%s: %s", fn, out[t].msg);
    return REC_OK;
}

double rec__pool_sum_sse(const rec__pool_out *out, uint32_t T)
{
    double sse = 0.0;
    for (uint32_t t = 0; t < T; t++)
        sse += out[t].sse;
    return sse;
}
