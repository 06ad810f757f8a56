/* Fork-join pool for one call (see threads.h).
 *
 * A round is published by bumping a generation counter; workers spin on it for a short while
 * (a training batch lasts tens of microseconds, far less than a futex sleep and wake-up) and
 * then sleep on a condition variable, so an idle pool costs no CPU. The caller runs its own
 * share as thread 0, then waits for the `pending` count of workers to reach zero the same
 * way. Both counters are sequentially consistent atomics, and the mutex is taken only to sleep
 * and to wake sleepers, which rules out lost wake-ups: a sleeper re-checks its condition under
 * the mutex, and whoever changes the condition signals under the same mutex. */
#include "threads.h"

#include <pthread.h>
#include <stdatomic.h>

/* Spin iterations before sleeping: ~13 µs with the pause hint (27 ns on the Xeon of
 * docs/BENCHMARKS.md), longer than two slices of a batch usually differ, short enough that a
 * thread whose partner was descheduled (a busy machine) wastes little before it sleeps. */
#define SPIN 500

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

static void *worker_main(void *arg_)
{
    worker_arg *arg = arg_;
    rec__pool *p = arg->p;
    const uint32_t id = arg->id;
    uint_fast64_t seen = 0;
    for (;;) {
        uint_fast64_t g = atomic_load(&p->gen);
        for (int i = 0; g == seen && i < SPIN; i++) {
            cpu_relax();
            g = atomic_load(&p->gen);
        }
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            while ((g = atomic_load(&p->gen)) == seen)
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        seen = g;
        if (atomic_load(&p->stop))
            return NULL;
        p->fn(p->ctx, id, p->n);
        if (atomic_fetch_sub(&p->pending, 1) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

/* Publish a round (fn/ctx already set) and wake sleeping workers. */
static void publish(rec__pool *p)
{
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
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
    if (!rec__mul_size(n, sizeof(worker_arg), &bytes) || bytes > SIZE_MAX - sizeof(pool_block))
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
    for (int i = 0; atomic_load(&p->pending) != 0 && i < SPIN; i++)
        cpu_relax();
    if (atomic_load(&p->pending) != 0) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->pending) != 0)
            pthread_cond_wait(&p->done, &p->mu);
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
