/* The training paths of the user-item dot product (the dot preset: one plain lookup per side,
 * rec__dot_pair): on one thread, forward and backward in one pass; on T > 1 threads, each
 * embedding row's gradient accumulated by the thread that owns the row. Both give the bits of
 * the generic path. */
#include "train/train.h"

#include <math.h>

/* ---- the DOT model on one thread -------------------------------------------------------------

The weights do not move within a batch, so example b's gradient can be added as soon as its
prediction is known:  ŷ_b = u·v,  g_b = 2 (ŷ_b − y_b) / B,  ∂E_u[u_b] += g_b v,  ∂E_v[v_b] += g_b u,
reading each row pair once instead of once in rec__pass_forward and again in rec__pass_backward.
The additions are those of the two-pass path in the same order, so the bits are the same. A
batch whose loss is not finite must leave no gradient behind (it is refused): the pass runs only
when no gradient is pending, so clearing the rows it touched restores the state exactly. */
static int dot_small(const rec_model *m);

/* One thread, no gradient pending: forward and backward in one pass. Returns 0 (and does
 * nothing) when it does not apply; otherwise 1, with *rc and *sse set. */
REC_CLONES
static int fused_pass(rec_model *m, const rec__featset *fs, const uint32_t *idx, size_t B,
                      double *sse, rec_status *rc, const char *fn)
{
    size_t fu, fv;
    if (!rec__dot_pair(m, &fu, &fv) || !fs->has_labels)
        return 0;
    rec__param *pu = rec__embedding_param(m->feats[fu].emb);
    rec__param *pv = rec__embedding_param(m->feats[fv].emb);
    if (pu->n_touched || pv->n_touched)
        return 0;
    rec__workspace *ws = &m->ws;
    rec__featset_gather(m, fs, idx, B, ws->bk, ws->cap, ws->by);
    const uint32_t d = m->feats[fu].dim;
    const uint32_t *iu = ws->bk + fu * ws->cap, *iv = ws->bk + fv * ws->cap;
    const float *y = ws->by;
    rec__param_mark_rows(pu, iu, B);
    rec__param_mark_rows(pv, iv, B);
    float *restrict gu = pu->g, *restrict gv = pv->g;
    const float *wu = pu->w, *wv = pv->w;
    const float scale = 2.0f / (float)B; /* as in rec__pass_backward */
    const size_t rb = d * sizeof(float);
    const int ahead = !dot_small(m);
    double s2 = 0.0;
    for (size_t b = 0; b < B; b++) {
        if (ahead && b + REC_AHEAD < B) {
            size_t ou = (size_t)iu[b + REC_AHEAD] * d, ov = (size_t)iv[b + REC_AHEAD] * d;
            rec__row_prefetch(wu + ou, rb);
            rec__row_prefetch(wv + ov, rb);
            rec__row_prefetch(gu + ou, rb);
            rec__row_prefetch(gv + ov, rb);
        }
        const float *u = wu + (size_t)iu[b] * d, *v = wv + (size_t)iv[b] * d;
        float pred = rec__row_dot(u, v, d);
        double e = (double)pred - (double)y[b]; /* as rec__pass_errors */
        s2 += e * e;
        const float g = scale * (pred - y[b]);
        rec__row_axpy(gu + (size_t)iu[b] * d, v, g, d);
        rec__row_axpy(gv + (size_t)iv[b] * d, u, g, d);
    }
    *sse = s2;
    if (!isfinite(s2)) {
        rec__param_zero_grad(pu);
        rec__param_zero_grad(pv);
        *rc = rec__train_diverged(fn);
    } else {
        *rc = REC_OK;
    }
    return 1;
}

/* The one-thread path: the fused pass, or the generic step when a gradient is pending (the
 * fused pass could not then undo a diverged batch) or the rows have no labels. */
static rec_status fused_step(rec__trainer *tr, rec_optimizer *opt, const rec__featset *fs,
                             const uint32_t *idx, size_t B, uint32_t T, double *sse,
                             const char *fn)
{
    (void)T;
    rec_model *m = tr->m;
    rec_status rc;
    if (!fused_pass(m, fs, idx, B, sse, &rc, fn))
        return rec__parallel_serial_step(tr, opt, fs, idx, B, sse, fn);
    if (rc)
        return rc;
    rec__regularize_l2(m);
    return opt ? rec__params_apply(&m->params, opt, fn) : REC_OK;
}

/* On one thread, or on any when the tables are small (dot_small). */
static uint32_t fused_applies(const rec_model *m, uint32_t T, size_t batch)
{
    size_t fu, fv;
    (void)batch;
    return rec__dot_pair(m, &fu, &fv) && (T == 1 || dot_small(m)) ? 1 : 0;
}

static rec_status fused_start(rec__trainer *tr, const rec__featset *fs, size_t batch,
                              const char *fn)
{
    return rec__train_prepare(tr, fs, batch, batch, fn);
}

static void fused_stop(rec__trainer *tr)
{
    (void)tr;
}

const rec__path rec__fast_dot_path = {"dot", fused_applies, fused_start, fused_step,
                                      fused_stop};

/* ---- the DOT model on T > 1 threads --------------------------------------------------------

A DOT batch does little arithmetic per example (a 32-wide dot product and two row updates), so
the private gradient buffers and their reduction cost as much as the work. Instead, each
embedding row's gradient is accumulated by the thread that owns the row, straight into the
table, in the order of the batch's examples:

  round A  thread t, slice t: gather the records, ŷ_b = u·v, g_b = 2 (ŷ_b − y_b) / B, and file
           (row, other row, g_b) of each side under the owner of the row;
  round B  thread o, for t = 0, 1, …, T − 1 in turn: ∂E[row] += g_b · w_other[other row] for
           every entry filed under o (and the touched list of what it owns);
  round C  (training) thread o applies the optimizer to the rows it owns.

Every row sees the same additions in the same order as on one thread, so the gradient and the
update have exactly the bits of the one-thread path, for every T. Rows are owned by blocks of
16 (2 KB of a 32-wide table, so two threads rarely share a cache line) hashed over the
threads; the first-touch flags are per thread, so no flag line is shared either. */

#define DOT_BLOCK_SHIFT 4

typedef struct dot_split dot_split;

typedef struct dot_entry {
    uint32_t row;   /* row of this side's table */
    uint32_t other; /* row of the other side's table in the same example */
    float g;        /* ∂L/∂ŷ of the example */
} dot_entry;

struct dot_split {
    size_t fe[2];     /* feature of each side: user, item */
    size_t cap;       /* entries per list: the largest slice */
    dot_entry *e;     /* lists [t][side][owner], cap entries each */
    size_t *n;        /* their lengths */
    uint8_t *seen[2]; /* per side: thread o's first-touch flags at o · rows */
    uint32_t rows[2];
};

static inline uint32_t dot_owner(uint32_t row, uint32_t T)
{
    return rec__train_row_owner(row, DOT_BLOCK_SHIFT, T);
}

static void split_free(dot_split *d)
{
    if (!d)
        return;
    rec__free(d->e);
    rec__free(d->n);
    rec__free(d->seen[0]);
    rec__free(d->seen[1]);
    rec__free(d);
}

/* The lists and flags for T threads and slices of at most `slice` examples. */
static rec_status split_create(dot_split **out, const rec_model *m, uint32_t T, size_t slice,
                               const char *fn)
{
    size_t fu, fv;
    *out = NULL;
    if (!rec__dot_pair(m, &fu, &fv))
        return REC_OK;
    dot_split *d = rec__calloc(1, sizeof *d);
    if (!d)
        return rec__workspace_oom(fn);
    d->fe[0] = fu;
    d->fe[1] = fv;
    d->cap = slice;
    size_t lists = (size_t)T * 2 * T;
    d->e = rec__malloc(lists * slice * sizeof *d->e);
    d->n = rec__calloc(lists, sizeof *d->n);
    for (int s = 0; s < 2; s++) {
        d->rows[s] = rec_embedding_rows(m->feats[d->fe[s]].emb);
        d->seen[s] = rec__calloc((size_t)T * d->rows[s], 1);
    }
    if (!d->e || !d->n || !d->seen[0] || !d->seen[1]) {
        split_free(d);
        return rec__workspace_oom(fn);
    }
    *out = d;
    return REC_OK;
}

/* Tables below this many bytes (weights, gradient and Adagrad state of both) train DOT on one
 * thread whatever the setting: they fit in a core's L2, where one thread moves a row in a few
 * nanoseconds, while on two threads each row a thread updates and the other reads next batch
 * crosses between the cores, at many times that cost, so MovieLens 100K's tables (1 MB) train
 * slower on two threads than on one. Larger tables miss the cache on either path, and two
 * threads then overlap the misses (MovieLens-25M-shaped, 86 MB: docs/BENCHMARKS.md, "Thread
 * scaling").
 * The two paths give the same bits, so the choice changes no result. */
#define DOT_PARALLEL_BYTES ((size_t)2 << 20)

static int dot_small(const rec_model *m)
{
    size_t fu, fv;
    if (!rec__dot_pair(m, &fu, &fv))
        return 0;
    size_t rows = (size_t)rec_embedding_rows(m->feats[fu].emb) +
                  rec_embedding_rows(m->feats[fv].emb);
    return rows * m->feats[fu].dim * 3 * sizeof(float) < DOT_PARALLEL_BYTES;
}

typedef struct dot_job {
    rec_model *m;
    dot_split *d;
    const rec__featset *fs;
    const uint32_t *idx;
    size_t B;
    uint32_t T;
    rec_optimizer *opt; /* round C */
    rec__pool_out *out;
} dot_job;

static inline dot_entry *dot_list(const dot_split *d, uint32_t T, uint32_t t, int side,
                                  uint32_t o, size_t **len)
{
    size_t at = ((size_t)t * 2 + (size_t)side) * T + o;
    *len = &d->n[at];
    return d->e + at * d->cap;
}

REC_CLONES
static void dot_round_a(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    dot_job *j = ctx;
    if (t >= j->T)
        return;
    rec_model *m = j->m;
    const dot_split *d = j->d;
    const uint32_t T = j->T;
    size_t lo = rec__pool_slice(j->B, t, T), n = rec__pool_slice(j->B, t + 1, T) - lo;
    rec__workspace *ws = rec__workspace_of(m, t);
    rec__featset_gather(m, j->fs, j->idx + lo, n, ws->bk, ws->cap, ws->by);
    const uint32_t dim = m->feats[d->fe[0]].dim;
    const float *wu = rec_embedding_row(m->feats[d->fe[0]].emb, 0);
    const float *wv = rec_embedding_row(m->feats[d->fe[1]].emb, 0);
    const uint32_t *iu = ws->bk + d->fe[0] * ws->cap, *iv = ws->bk + d->fe[1] * ws->cap;
    const float scale = 2.0f / (float)j->B; /* as in rec__pass_backward */
    /* The lengths are counted here and stored once at the end: the threads' lengths share
     * cache lines, and a bump per example in memory would fetch the line from the other core
     * every time. */
    size_t nl[2][REC__POOL_MAX];
    dot_entry *l[2][REC__POOL_MAX];
    for (uint32_t o = 0; o < T; o++)
        for (int s = 0; s < 2; s++) {
            size_t *len;
            l[s][o] = dot_list(d, T, t, s, o, &len);
            nl[s][o] = 0;
        }
    /* only tables larger than L2 come here (dot_small): ask for the rows ahead */
    const size_t rb = dim * sizeof(float);
    double sse = 0.0;
    for (size_t b = 0; b < n; b++) {
        if (b + REC_AHEAD < n) {
            rec__row_prefetch(wu + (size_t)iu[b + REC_AHEAD] * dim, rb);
            rec__row_prefetch(wv + (size_t)iv[b + REC_AHEAD] * dim, rb);
        }
        uint32_t ru = iu[b], rv = iv[b];
        float pred = rec__row_dot(wu + (size_t)ru * dim, wv + (size_t)rv * dim, dim);
        double e = (double)pred - (double)ws->by[b];
        sse += e * e;
        float g = scale * (pred - ws->by[b]);
        uint32_t ou = dot_owner(ru, T), ov = dot_owner(rv, T);
        l[0][ou][nl[0][ou]++] = (dot_entry){ru, rv, g};
        l[1][ov][nl[1][ov]++] = (dot_entry){rv, ru, g};
    }
    for (uint32_t o = 0; o < T; o++)
        for (int s = 0; s < 2; s++) {
            size_t *len;
            dot_list(d, T, t, s, o, &len);
            *len = nl[s][o];
        }
    j->out[t].sse = sse;
}

REC_CLONES
static void dot_round_b(void *ctx, uint32_t me, uint32_t n_pool)
{
    (void)n_pool;
    dot_job *j = ctx;
    if (me >= j->T)
        return;
    rec_model *m = j->m;
    const dot_split *d = j->d;
    const uint32_t T = j->T;
    rec__tstate *ts = &m->ws.extra[me];
    for (int s = 0; s < 2; s++) {
        rec__param *p = rec__embedding_param(m->feats[d->fe[s]].emb);
        const float *wo = rec_embedding_row(m->feats[d->fe[1 - s]].emb, 0);
        const uint32_t dim = p->row_dim;
        const size_t rb = dim * sizeof(float);
        uint8_t *seen = d->seen[s] + (size_t)me * d->rows[s];
        uint32_t *owned = ts->owned[m->feats[d->fe[s]].param_emb];
        size_t k = 0;
        /* rows left by an earlier rec_model_compute_gradients: the update takes them too */
        if (j->opt)
            for (size_t i = 0; i < p->n_touched; i++)
                if (dot_owner(p->touched[i], T) == me) {
                    seen[p->touched[i]] = 1;
                    owned[k++] = p->touched[i];
                }
        for (uint32_t t = 0; t < T; t++) {
            size_t *len;
            const dot_entry *l = dot_list(d, T, t, s, me, &len);
            for (size_t i = 0; i < *len; i++) {
                if (i + REC_AHEAD < *len) {
                    rec__row_prefetch(p->g + (size_t)l[i + REC_AHEAD].row * dim, rb);
                    rec__row_prefetch(wo + (size_t)l[i + REC_AHEAD].other * dim, rb);
                }
                uint32_t row = l[i].row;
                if (!seen[row]) {
                    seen[row] = 1;
                    owned[k++] = row;
                }
                /* ∂L/∂E[row] += g · E_other[other] */
                rec__row_axpy(p->g + (size_t)row * dim, wo + (size_t)l[i].other * dim, l[i].g,
                              dim);
            }
        }
        ts->n_owned[m->feats[d->fe[s]].param_emb] = k;
    }
}

static void dot_round_c(void *ctx, uint32_t me, uint32_t n_pool)
{
    (void)n_pool;
    dot_job *j = ctx;
    if (me >= j->T)
        return;
    rec_model *m = j->m;
    const dot_split *d = j->d;
    rec__tstate *ts = &m->ws.extra[me];
    for (int s = 0; s < 2; s++) {
        uint32_t *owned = ts->owned[m->feats[d->fe[s]].param_emb];
        size_t k = ts->n_owned[m->feats[d->fe[s]].param_emb];
        uint8_t *seen = d->seen[s] + (size_t)me * d->rows[s];
        for (size_t i = 0; i < k; i++)
            seen[owned[i]] = 0;
        if (k == 0)
            continue;
        const rec__params_entry *e = &m->params.e[m->feats[d->fe[s]].param_emb];
        rec__regularize_l2_rows(e, owned, k);
        rec__params_apply_rows(j->opt, e, owned, k, &j->out[me]);
    }
}

/* After round B without a parallel update: the owners' rows join the tables' touched lists
 * (thread by thread), and the per-thread flags are cleared. */
static void dot_merge(dot_job *j)
{
    rec_model *m = j->m;
    const dot_split *d = j->d;
    for (int s = 0; s < 2; s++) {
        rec__param *p = rec__embedding_param(m->feats[d->fe[s]].emb);
        for (uint32_t t = 0; t < j->T; t++) {
            const rec__tstate *ts = &m->ws.extra[t];
            const uint32_t *owned = ts->owned[m->feats[d->fe[s]].param_emb];
            uint8_t *seen = d->seen[s] + (size_t)t * d->rows[s];
            for (size_t i = 0; i < ts->n_owned[m->feats[d->fe[s]].param_emb]; i++) {
                uint32_t row = owned[i];
                seen[row] = 0;
                if (!p->is_touched[row]) {
                    p->is_touched[row] = 1;
                    p->touched[p->n_touched++] = row;
                }
            }
        }
    }
}

static rec_status owner_step(rec__trainer *tr, rec_optimizer *opt, const rec__featset *fs,
                             const uint32_t *idx, size_t B, uint32_t T, double *sse,
                             const char *fn)
{
    rec_model *m = tr->m;
    rec__pool *pool = tr->pool;
    rec__pool_out *out = tr->out;
    dot_split *d = tr->state;
    dot_job j = {m, d, fs, idx, B, T, NULL, out};
    rec__pool_run(pool, dot_round_a, &j);
    *sse = rec__pool_sum_sse(out, T);
    if (!isfinite(*sse))
        return rec__train_diverged(fn);
    int parallel_update = opt && rec__params_have_state(&m->params);
    j.opt = parallel_update ? opt : NULL;
    rec__pool_run(pool, dot_round_b, &j);
    if (!parallel_update) {
        dot_merge(&j);
        rec__regularize_l2(m);
        return opt ? rec__params_apply(&m->params, opt, fn) : REC_OK;
    }
    rec__pool_run(pool, dot_round_c, &j);
    for (int s = 0; s < 2; s++) {
        const rec__params_entry *e = &m->params.e[m->feats[d->fe[s]].param_emb];
        e->p->n_touched = 0; /* owners cleared all */
        rec__params_count_step(e, opt);
    }
    return rec__pool_first_failure(out, T, fn);
}

/* On T > 1 threads when the tables outgrow a core's cache (dot_small). */
static uint32_t owner_applies(const rec_model *m, uint32_t T, size_t batch)
{
    size_t fu, fv;
    (void)batch;
    return T > 1 && rec__dot_pair(m, &fu, &fv) && !dot_small(m) ? T : 0;
}

static rec_status owner_start(rec__trainer *tr, const rec__featset *fs, size_t batch,
                              const char *fn)
{
    const size_t slice = rec__train_slice_cap(batch, tr->T);
    rec_status rc = rec__train_prepare(tr, fs, slice, slice, fn);
    dot_split *d = NULL;
    if (!rc)
        rc = split_create(&d, tr->m, tr->T, slice, fn);
    tr->state = d;
    return rc;
}

static void owner_stop(rec__trainer *tr)
{
    split_free(tr->state);
    tr->state = NULL;
}

const rec__path rec__fast_dot_owner_path = {"dot owner", owner_applies, owner_start,
                                            owner_step, owner_stop};
