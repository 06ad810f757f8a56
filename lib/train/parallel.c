/* The generic training path: any model, on one thread or cut into T contiguous slices.
 *
 * On one thread a batch runs forward, backward, L2 and the update over the parameter list.
 * On T > 1 threads (rec_model_set_threads), round A: thread t runs forward and backward on its
 * slice with its own workspace; thread 0 adds its gradient straight into the parameters,
 * threads t ≥ 1 into private buffers (dense gradients of their slice, and packed embedding
 * rows, rec__rowgrad). Round B: the private buffers are reduced into the parameters, each row
 * and each dense range by exactly one thread, always in the order thread 1, 2, ..., T − 1 after
 * thread 0's contribution, so a given T gives the same bits every run; in the same round, when
 * training, the owner of a row or range applies the optimizer to it. Embedding rows are owned
 * by blocks of 64 (a cache line of the touched flags) hashed over the threads. This path is
 * the reference the fast paths are tested against. */
#include "train/train.h"

#include <math.h>
#include <string.h>

/* Owner of an embedding row among T threads: blocks of 64 rows, one cache line of touched
 * flags. */
static inline uint32_t row_owner(uint32_t row, uint32_t T)
{
    return rec__train_row_owner(row, 6, T);
}

typedef struct batch_job {
    rec_model *m;
    const rec__featset *fs;
    const uint32_t *idx;
    size_t B;
    uint32_t T;          /* threads with a slice of this batch */
    rec_optimizer *opt;  /* round B also applies the update; NULL: reduce only */
    rec__pool_out *out;
} batch_job;

/* Round A: forward and backward of thread t's slice. A non-finite loss skips the backward;
 * the caller reports it. */
static void round_a(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    batch_job *j = ctx;
    if (t >= j->T)
        return;
    rec_model *m = j->m;
    size_t lo = rec__pool_slice(j->B, t, j->T), n = rec__pool_slice(j->B, t + 1, j->T) - lo;
    rec__tstate *ts = t ? &m->ws.extra[t] : NULL;
    rec__workspace *ws = rec__workspace_of(m, t);
    const float *pred = rec__pass_forward(m, ws, j->fs, j->idx + lo, n, 1, j->B);
    rec__pass_errors(pred, ws->by, n, &j->out[t].sse, NULL);
    if (isfinite(j->out[t].sse))
        rec__pass_backward(m, ws, ts, j->fs, n, j->B, pred);
}

/* A dense parameter's range [lo, hi) for thread `me` of T, cut at multiples of 16 floats so
 * that two threads never write the same cache line. */
static void dense_range(size_t n, uint32_t me, uint32_t T, size_t *lo, size_t *hi)
{
    size_t blocks = (n + 15) / 16;
    *lo = blocks * me / T * 16;
    *hi = blocks * (me + 1) / T * 16;
    if (*lo > n)
        *lo = n;
    if (*hi > n)
        *hi = n;
}

/* Add threads 1..T−1's gradient of dense entry ei into `me`'s range of it, then (training)
 * add L2 and update the range. */
static void reduce_dense(batch_job *j, size_t ei, uint32_t me)
{
    const rec__params_entry *e = &j->m->params.e[ei];
    rec__param *p = e->p;
    size_t lo, hi;
    dense_range(p->n, me, j->T, &lo, &hi);
    if (lo >= hi)
        return;
    rec__tstate *extra = j->m->ws.extra;
    for (uint32_t t = 1; t < j->T; t++) {
        const float *src = extra[t].dg[ei] + lo;
        float *restrict g = p->g + lo;
        for (size_t i = 0; i < hi - lo; i++)
            g[i] += src[i];
    }
    if (j->opt) {
        rec__regularize_l2_range(e, lo, hi);
        rec__params_apply_range(j->opt, e, lo, hi - lo, &j->out[me]);
    }
}

/* Add threads 1..T−1's rows of table entry ei that `me` owns into the table's gradient, then
 * (training) add L2 and update every touched row `me` owns. */
static void reduce_rows(batch_job *j, size_t ei, uint32_t me)
{
    rec_model *m = j->m;
    const rec__params_entry *e = &m->params.e[ei];
    rec__param *p = e->p;
    const uint32_t T = j->T, dim = p->row_dim;
    rec__tstate *extra = m->ws.extra;
    uint32_t *owned = extra[me].owned[ei];
    size_t k = 0;
    if (j->opt)
        for (size_t i = 0; i < p->n_touched; i++)
            if (row_owner(p->touched[i], T) == me)
                owned[k++] = p->touched[i];
    for (uint32_t t = 1; t < T; t++) {
        rec__rowgrad *r = &extra[t].rg[ei];
        for (size_t i = 0; i < r->n; i++) {
            uint32_t row = r->rows[i];
            if (row_owner(row, T) != me)
                continue;
            if (!p->is_touched[row]) {
                p->is_touched[row] = 1;
                owned[k++] = row;
            }
            rec__row_add(p->g + (size_t)row * dim, r->g + i * dim, dim);
            r->slot[row] = 0;
        }
    }
    extra[me].n_owned[ei] = k;
    if (j->opt && k != 0) {
        rec__regularize_l2_rows(e, owned, k);
        rec__params_apply_rows(j->opt, e, owned, k, &j->out[me]);
    }
}

/* Round B: reduce (and, with an optimizer, apply) what thread `me` owns. */
static void round_b(void *ctx, uint32_t me, uint32_t n_pool)
{
    (void)n_pool;
    batch_job *j = ctx;
    if (me >= j->T)
        return;
    const rec__params *ps = &j->m->params;
    for (size_t e = 0; e < ps->n; e++) {
        if (ps->e[e].p->row_dim)
            reduce_rows(j, e, me);
        else
            reduce_dense(j, e, me);
    }
}

/* After round B: the tables' touched lists agree with their flags again, and the private
 * row buffers are empty. */
static void finish_round_b(batch_job *j)
{
    rec_model *m = j->m;
    const rec__params *ps = &m->params;
    for (size_t e = 0; e < ps->n; e++) {
        rec__param *p = ps->e[e].p;
        if (!p->row_dim)
            continue;
        if (j->opt) {
            p->n_touched = 0; /* every owner cleared its rows */
        } else {
            for (uint32_t t = 0; t < j->T; t++) {
                const rec__tstate *ts = &m->ws.extra[t];
                memcpy(p->touched + p->n_touched, ts->owned[e],
                       ts->n_owned[e] * sizeof(uint32_t));
                p->n_touched += ts->n_owned[e];
            }
        }
        for (uint32_t t = 1; t < j->T; t++)
            m->ws.extra[t].rg[e].n = 0;
    }
}

/* Forget threads 1..T−1's private rows (after a failed round A). */
static void discard_private(rec_model *m, uint32_t T)
{
    const rec__params *ps = &m->params;
    for (uint32_t t = 1; t < T; t++)
        for (size_t e = 0; e < ps->n; e++) {
            if (!ps->e[e].p->row_dim)
                continue;
            rec__rowgrad *r = &m->ws.extra[t].rg[e];
            for (size_t i = 0; i < r->n; i++)
                r->slot[r->rows[i]] = 0;
            r->n = 0;
        }
}

/* Threads 1..T−1 draw their slices' dropout masks from generators of their own, seeded for
 * each batch from the model's generator as it stands before thread 0 draws from it: a given
 * T gives the same masks every run, and thread 0 draws from the model's generator as training
 * on one thread does. */
static void seed_dropout(rec_model *m, uint32_t T)
{
    for (uint32_t t = 1; t < T; t++) {
        rec__tstate *ts = &m->ws.extra[t];
        uint64_t s = m->drop_rng.s[0] ^ (m->drop_rng.s[1] << 1) ^ m->drop_rng.s[2] ^
                     (m->drop_rng.s[3] >> 1);
        rec__rng_seed(&ts->drop_rng, s ^ (0x9E3779B97F4A7C15ull * t));
        ts->ws.drop_rng = &ts->drop_rng;
    }
}

rec_status rec__parallel_serial_step(rec__trainer *tr, rec_optimizer *opt,
                                     const rec__featset *fs, const uint32_t *idx, size_t B,
                                     double *sse, const char *fn)
{
    rec_model *m = tr->m;
    const float *pred = rec__pass_forward(m, &m->ws, fs, idx, B, 1, B);
    rec__pass_errors(pred, m->ws.by, B, sse, NULL);
    if (!isfinite(*sse))
        return rec__train_diverged(fn);
    rec__pass_backward(m, &m->ws, NULL, fs, B, B, pred);
    rec__regularize_l2(m);
    return opt ? rec__params_apply(&m->params, opt, fn) : REC_OK;
}

static rec_status parallel_step(rec__trainer *tr, rec_optimizer *opt, const rec__featset *fs,
                                const uint32_t *idx, size_t B, uint32_t T, double *sse,
                                const char *fn)
{
    if (T == 1)
        return rec__parallel_serial_step(tr, opt, fs, idx, B, sse, fn);
    rec_model *m = tr->m;
    rec__pool_out *out = tr->out;
    batch_job j = {m, fs, idx, B, T, NULL, out};
    if (rec__regularize_has_dropout(m))
        seed_dropout(m, T);
    rec__pool_run(tr->pool, round_a, &j);
    *sse = rec__pool_sum_sse(out, T);
    if (!isfinite(*sse)) {
        discard_private(m, T);
        return rec__train_diverged(fn);
    }
    int parallel_update = opt && rec__params_have_state(&m->params);
    j.opt = parallel_update ? opt : NULL;
    rec__pool_run(tr->pool, round_b, &j);
    finish_round_b(&j);
    for (size_t i = 0; parallel_update && i < m->params.n; i++)
        rec__params_count_step(&m->params.e[i], opt);
    return rec__parallel_finish(m, opt, parallel_update, out, T, fn);
}

rec_status rec__parallel_finish(rec_model *m, rec_optimizer *opt, int updated,
                                const rec__pool_out *out, uint32_t T, const char *fn)
{
    rec_status rc = rec__pool_first_failure(out, T, fn);
    if (!updated) {
        /* the whole gradient is in the parameters: L2 and the update as on one thread */
        rec__regularize_l2(m);
        if (!rc && opt)
            rc = rec__params_apply(&m->params, opt, fn);
    }
    return rc;
}

static uint32_t parallel_applies(const rec_model *m, uint32_t T, size_t batch)
{
    (void)m;
    (void)batch;
    return T;
}

static rec_status parallel_start(rec__trainer *tr, const rec__featset *fs, size_t batch,
                                 const char *fn)
{
    const size_t slice = tr->T > 1 ? rec__train_slice_cap(batch, tr->T) : batch;
    return rec__train_prepare(tr, fs, slice, slice, fn);
}

static void parallel_stop(rec__trainer *tr)
{
    (void)tr;
}

const rec__path rec__parallel_path = {"parallel", parallel_applies, parallel_start,
                                      parallel_step, parallel_stop};
