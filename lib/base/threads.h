/*
 * A fork-join pool that lives for one library call (rec_model_fit, _evaluate, ...): the
 * calling thread is thread 0 and n − 1 workers are started at rec__pool_start and joined at
 * rec__pool_stop, so no thread outlives the call and nothing is global. Never installed.
 */
#ifndef REC_THREADS_H
#define REC_THREADS_H

#include "base/base.h"

typedef struct rec__pool rec__pool;

/* Work of one fork-join round: called once on every thread with its index and the count. */
typedef void (*rec__pool_fn)(void *ctx, uint32_t thread, uint32_t n_threads);

/* Start n − 1 workers (n ≥ 1). For n == 1 no thread is started and *out is NULL, which
 * rec__pool_run accepts. `fn` names the public caller in messages. Returns REC_ENOMEM (the
 * message names the failure) with *out = NULL and every started worker joined. */
REC_HIDDEN rec_status rec__pool_start(rec__pool **out, uint32_t n, const char *fn);

/* Threads of the pool, counting the caller (1 for NULL). */
REC_HIDDEN uint32_t rec__pool_size(const rec__pool *p);

/* Run fn(ctx, t, n) on every thread t of the pool (the caller runs t = 0) and return when
 * all have returned; a memory barrier separates the round from what the caller does next.
 * A NULL pool runs fn(ctx, 0, 1) in the caller. */
REC_HIDDEN void rec__pool_run(rec__pool *p, rec__pool_fn fn, void *ctx);

/* Join the workers and free the pool; NULL is accepted. */
REC_HIDDEN void rec__pool_stop(rec__pool *p);

#endif
