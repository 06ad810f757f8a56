/* An MLP with a one-unit head on T > 1 threads: layer 0 feature by feature, each keyed feature
 * owned by one thread (see below; the layer itself is in model/layer0.c). */
#include "train/train.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* ---- an MLP with a one-unit head on T > 1 threads -----------------------------------------

Cutting the batch into slices would look for repeated keys in each slice, and a slice of 1,024
examples repeats far fewer users and titles than the whole batch (420 distinct users against
660 in 2,048 on MovieLens 100K), so two threads would do more multiply-adds than one; and every
thread would need private embedding-row gradients, reduced afterwards. Instead the work of
layer 0 goes feature by feature, each keyed feature owned by one thread (round-robin):

  round A  thread t, slice t: gather the records into the batch's arrays (in training, the
           threads gathered them already at the end of the previous batch's round D, in
           chunks taken first come first served: round D leaves one thread idle while the
           other finishes its features, and a round saved is a synchronization saved);
  round B  owner of f: distinct keys of f over the whole batch, U_f, P_f = U_f·W_f (a feature
           whose keys barely repeat takes one slot per example: X_f·W_f);
  round C  thread t, slice t: the fused pass (model/layer0.c), the slice's sums of the small
           gradients (∂b₀, ∂w₁, ∂b₁, numeric rows of ∂W₀) and, per example, what round D
           needs of δ_b: with the presets' shape the hand-off ∂L/∂ŷ_b and relu′(z_b) as bits
           (12 bytes; rec__layer0_r64_delta rebuilds δ_b), else, and for features that were not
           factored, the δ_b row itself (256 bytes);
  round D  owner of f: Δ_f in the order of the batch (all of the thread's factored features in
           one pass), ∂W_f += U_fᵀ·Δ_f, ∂U_f = Δ_f·W_fᵀ scattered into the table (no other
           thread touches it), then, training, the optimizer on the table and on W_f's rows;
           thread 0 adds the slices' small sums in slice order and updates b₀, the head and
           the numeric rows.

Each table and each row of W₀ is written by one thread, in an order fixed by T alone, so a
given T gives the same bits every run; Δ_f, ∂W_f and ∂U_f have the bits of one thread, and
the small sums differ from one thread's by rounding only. */

/* The next batch's records, gathered by the threads at the end of a batch's round D (where
 * one of them would wait for the other) instead of in a round of their own: a second pair
 * of record buffers, shaped like the workspace's bk and by, swapped with them when the batch
 * they hold comes. */
typedef struct fp_next {
    uint32_t *bk;               /* n_feats × cap, as rec__workspace.bk */
    float *by;                  /* cap */
    const uint32_t *next_idx;   /* the batch after this one, or NULL */
    size_t next_n;
    const uint32_t *ready_idx;  /* the batch bk and by hold, or NULL */
    size_t ready_n;
    uint64_t ready_gen;         /* the trainer's ahead_gen when they were gathered */
} fp_next;

/* The path's state in the trainer. */
typedef struct fp_state {
    uint32_t *owner;            /* thread of each feature */
    double *cost;               /* seconds per feature in rounds B and D (fp_assign) */
    fp_next nx;
} fp_state;

static int fp_shape(const rec_model *m)
{
    return m->interaction == REC_INTERACTION_MLP && m->n_layers && rec__model_has_head(m) &&
           !rec__regularize_has_dropout(m) && !rec__model_has_linear(m);
}

typedef struct fp_job {
    rec_model *m;
    const rec__featset *fs;
    const uint32_t *idx;
    size_t B;
    uint32_t T;
    rec_optimizer *opt; /* round D updates; NULL: gradients only */
    rec__pool_out *out;
    uint32_t *owner;    /* per feature, from fp_assign */
    int relu;           /* round D rebuilds δ from the hand-off (fp_g, fp_relu, fp_w1) */
    double *cost;       /* per feature: seconds of round B, then of round D (2 × n_feats) */
    fp_next *next;      /* round D gathers the next batch into it, or NULL */
    atomic_size_t next_chunk; /* the next chunk of it to take */
} fp_job;

/* Examples per chunk of the next batch's records (~2 µs of gathering on ML-100K). */
#define NEXT_CHUNK 128

/* Round D's tail: chunks of the next batch's records into the spare buffers until none is
 * left. A copy: which thread takes which chunk changes no bit. */
static void fp_gather_next(fp_job *j)
{
    const fp_next *nx = j->next;
    if (!nx)
        return;
    const size_t ld = j->m->ws.cap;
    for (;;) {
        const size_t lo = atomic_fetch_add(&j->next_chunk, 1) * NEXT_CHUNK;
        if (lo >= nx->next_n)
            return;
        const size_t n = nx->next_n - lo < NEXT_CHUNK ? nx->next_n - lo : NEXT_CHUNK;
        rec__featset_gather(j->m, j->fs, nx->next_idx + lo, n, nx->bk + lo, ld, nx->by + lo);
    }
}

/* Give the keyed features to the threads, largest first, each to the least loaded thread
 * (ties: lowest index). A feature's size is the time its work took in the same round of the
 * previous batch, or before any was measured, the rows it moves: its distinct keys times its
 * mean bag length. Which thread does a feature's work changes no bit of the result (each
 * feature's sums run in the batch's order wherever they run), so the timing may steer it. */
static void fp_assign(const rec_model *m, const rec__featset *fs, uint32_t *owner,
                      const double *cost, uint32_t T)
{
    double load[REC__POOL_MAX] = {0};
    const size_t nf = m->n_feats;
    for (size_t i = 0; i < nf; i++)
        owner[i] = UINT32_MAX;
    for (;;) {
        size_t best = nf;
        double size = -1.0;
        for (size_t i = 0; i < nf; i++) {
            if (!m->feats[i].emb || owner[i] != UINT32_MAX)
                continue;
            double ci = cost[i];
            if (!(ci > 0.0)) {
                const rec__fcol *c = &fs->cols[i];
                double bag = c->n_bags ? (double)c->bag_offsets[c->n_bags] / (double)c->n_bags
                                       : 1.0;
                ci = 1e-9 * (double)(m->ws.l0[i].n_unique + 1) * m->feats[i].dim;
                ci *= bag > 1.0 ? bag : 1.0;
            }
            if (ci > size) {
                size = ci;
                best = i;
            }
        }
        if (best == nf)
            return;
        uint32_t t = 0;
        for (uint32_t k = 1; k < T; k++)
            if (load[k] < load[t])
                t = k;
        owner[best] = t;
        load[t] += size;
    }
}

/* A feature's cost as a moving average of its last rounds (weight 1/4 on the newest): one
 * batch's timing swings with the other core's memory traffic and the batch's keys, and the
 * assignment should follow the features' typical cost, not one batch's noise. */
static inline void fp_cost_update(double *c, double seconds)
{
    *c = *c > 0.0 ? 0.75 * *c + 0.25 * seconds : seconds;
}

REC_CLONES
static void fp_round_a(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    fp_job *j = ctx;
    if (t >= j->T)
        return;
    rec__workspace *sh = &j->m->ws;
    size_t lo = rec__pool_slice(j->B, t, j->T), n = rec__pool_slice(j->B, t + 1, j->T) - lo;
    rec__featset_gather(j->m, j->fs, j->idx + lo, n, sh->bk + lo, sh->cap, sh->by + lo);
}

REC_CLONES
static void fp_round_b(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    fp_job *j = ctx;
    if (t >= j->T)
        return;
    const rec_model *m = j->m;
    rec__workspace *sh = &j->m->ws;
    const size_t B = j->B;
    const uint32_t H = m->layers[0].units;
    const float *W = rec__dense_kernel(m->layers[0].dense)->w;
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        if (!f->emb || j->owner[i] != t)
            continue;
        const double t0 = rec__clock_now();
        rec__l0 *l = &sh->l0[i];
        const uint32_t *keys = sh->bk + i * sh->cap;
        l->keys = keys;
        l->factored = 0;
        if (rec__layer0_has_map(f, l, &j->fs->cols[i])) {
            l->n_unique = rec__layer0_group_keys(l->kslot, keys, B, l->ukeys, l->sidx);
            l->factored = 4 * (size_t)l->n_unique <= 3 * B;
        }
        const float *wf = W + (size_t)f->offset * H;
        if (l->factored) {
            rec__embed_gather(m, j->fs, i, l->ukeys, l->n_unique, l->x);
        } else { /* one slot per example */
            for (size_t b = 0; b < B; b++)
                l->sidx[b] = (uint32_t)b;
            l->n_unique = B;
            rec__embed_gather(m, j->fs, i, keys, B, l->x);
        }
        rec__layer0_project(l->n_unique, f->dim, H, l->x, wf, l->p);
        fp_cost_update(&j->cost[i], rec__clock_now() - t0);
    }
}

static void fp_round_c(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    fp_job *j = ctx;
    if (t >= j->T)
        return;
    rec__workspace *sh = &j->m->ws;
    size_t lo = rec__pool_slice(j->B, t, j->T), n = rec__pool_slice(j->B, t + 1, j->T) - lo;
    float *pred = sh->act[1] + lo;
    rec__layer0_fused_slice(j->m, sh, lo, rec__workspace_of(j->m, t), n, pred, 2.0f / (float)j->B);
    rec__pass_errors(pred, sh->by + lo, n, &j->out[t].sse, NULL);
}

/* L2 and the optimizer on rows [r0, r1) of a dense entry with `cols` columns. */
static void fp_update_rows(fp_job *j, const rec__params_entry *e, size_t r0, size_t r1,
                           size_t cols, uint32_t t)
{
    rec__regularize_l2_range(e, r0 * cols, r1 * cols);
    rec__params_apply_range(j->opt, e, r0 * cols, (r1 - r0) * cols, &j->out[t]);
}

/* Round D's part for thread 0: the slices' sums of the small gradients, in slice order, and,
 * training, the update of b₀, the head and the numeric rows of W₀. */
static void fp_small_params(fp_job *j)
{
    rec_model *m = j->m;
    const uint32_t H = m->layers[0].units;
    rec__param *k0 = rec__dense_kernel(m->layers[0].dense),
               *b0 = rec__dense_bias(m->layers[0].dense);
    rec__param *k1 = rec__dense_kernel(m->layers[1].dense),
               *b1 = rec__dense_bias(m->layers[1].dense);
    for (uint32_t s = 0; s < j->T; s++)
        rec__layer0_put_sums(m, rec__workspace_of(m, s), b0->g, k0->g, k1->g, b1->g, 1);
    if (!j->opt)
        return;
    const rec__params *ps = &m->params;
    /* thread 0's alone: updated whole */
    const uint32_t own[3] = {m->layers[0].param_bias, m->layers[1].param_kernel,
                             m->layers[1].param_bias};
    for (int k = 0; k < 3; k++) {
        rec__regularize_l2_range(&ps->e[own[k]], 0, ps->e[own[k]].p->n);
        rec__params_apply_entry(j->opt, &ps->e[own[k]], &j->out[0]);
    }
    for (size_t i = 0; i < m->n_feats; i++)
        if (!m->feats[i].emb)
            fp_update_rows(j, &ps->e[m->layers[0].param_kernel], m->feats[i].offset,
                           m->feats[i].offset + 1, H, 0);
}

REC_CLONES
static void fp_round_d(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    fp_job *j = ctx;
    if (t >= j->T)
        return;
    rec_model *m = j->m;
    rec__workspace *sh = &m->ws;
    const size_t B = j->B;
    const uint32_t H = m->layers[0].units;
    rec__param *k0 = rec__dense_kernel(m->layers[0].dense);
    /* with the hand-off (fp_relu), the Δ of this thread's factored features first, together;
     * its time is shared out between them for fp_assign */
    double shared = 0.0;
    if (j->relu) {
        rec__l0 *ls[REC_R64_GROUP];
        size_t k = 0, n_fact = 0;
        const double t0 = rec__clock_now();
        for (size_t i = 0; i <= m->n_feats; i++) {
            int mine = i < m->n_feats && m->feats[i].emb && j->owner[i] == t &&
                       sh->l0[i].factored;
            if (mine)
                ls[k++] = &sh->l0[i];
            if (k == REC_R64_GROUP || (i == m->n_feats && k)) {
                rec__layer0_r64_delta(sh, ls, k, B);
                n_fact += k;
                k = 0;
            }
        }
        if (n_fact)
            shared = (rec__clock_now() - t0) / (double)n_fact;
    }
    for (size_t i = m->n_feats; i-- > 0;) {
        const rec__feature *f = &m->feats[i];
        if (!f->emb || j->owner[i] != t)
            continue;
        const double t0 = rec__clock_now();
        rec__l0 *l = &sh->l0[i];
        const float *dl = sh->delta;
        size_t ldd = H;
        const uint32_t *keys = l->keys;
        if (l->factored && j->relu) {
            dl = l->p + H;
            ldd = REC__L0_LD(H);
            keys = l->ukeys;
        } else if (l->factored) {
            /* Δ_k = Σ_{b: key(b) = k} δ_b, in the batch's order */
            float *d = l->p + H;
            uint32_t seen = 0;
            for (size_t b = 0; b < B; b++)
                rec__layer0_delta_add(d, l->sidx[b], &seen, sh->delta + b * H, H, REC__L0_LD(H));
            dl = d;
            ldd = REC__L0_LD(H);
            keys = l->ukeys;
        }
        rec__layer0_feature_backward(m, j->fs, i, l, keys, l->n_unique, dl, ldd, 1.0f,
                                     k0->g + (size_t)f->offset * H,
                                     k0->w + (size_t)f->offset * H, NULL);
        if (j->opt) {
            const rec__params_entry *e = &m->params.e[f->param_emb];
            rec__regularize_l2_rows(e, e->p->touched, e->p->n_touched);
            rec__params_apply_entry(j->opt, e, &j->out[t]);
            fp_update_rows(j, &m->params.e[m->layers[0].param_kernel], f->offset,
                           f->offset + f->dim, H, t);
        }
        fp_cost_update(&j->cost[m->n_feats + i],
                       rec__clock_now() - t0 + (l->factored && j->relu ? shared : 0.0));
    }
    if (t == 0)
        fp_small_params(j);
    fp_gather_next(j);
}

static rec_status fp_step(rec__trainer *tr, rec_optimizer *opt, const rec__featset *fs,
                          const uint32_t *idx, size_t B, uint32_t T, double *sse, const char *fn)
{
    rec_model *m = tr->m;
    rec__pool *pool = tr->pool;
    rec__pool_out *out = tr->out;
    fp_state *st = tr->state;
    uint32_t *owner = st->owner;
    double *cost = st->cost;
    fp_next *nx = &st->nx;
    nx->next_idx = tr->next;
    nx->next_n = tr->next_n;
    fp_job j = {m, fs, idx, B, T, NULL, out, owner, 0, cost, NULL, 0};
    atomic_init(&j.next_chunk, 0);
    rec__workspace *sh = &m->ws;
    if (nx->ready_idx == idx && nx->ready_n == B && nx->ready_gen == tr->ahead_gen) {
        /* gathered in the previous batch's round D: swap the buffers in */
        uint32_t *bk = sh->bk;
        float *by = sh->by;
        sh->bk = nx->bk;
        sh->by = nx->by;
        nx->bk = bk;
        nx->by = by;
    } else {
        rec__pool_run(pool, fp_round_a, &j);
    }
    nx->ready_idx = NULL;
    fp_assign(m, fs, owner, cost, T);
    rec__pool_run(pool, fp_round_b, &j);
    /* the hand-off needs the presets' fused pass (model/layer0_r64.c); δ rows are still
     * stored for the features that were not factored, which read them directly */
    const uint32_t H = m->layers[0].units;
    j.relu = rec__layer0_r64_applies(m);
    sh->fp_delta = !j.relu;
    for (size_t i = 0; i < m->n_feats; i++)
        sh->fp_delta |= m->feats[i].emb && !sh->l0[i].factored;
    /* round D rebuilds δ with the head's weights of round C: thread 0 updates them in D */
    memcpy(sh->fp_w1, rec__dense_kernel(m->layers[1].dense)->w, H * sizeof *sh->fp_w1);
    rec__pool_run(pool, fp_round_c, &j);
    *sse = rec__pool_sum_sse(out, T);
    if (!isfinite(*sse)) /* nothing was added to any gradient yet */
        return rec__train_diverged(fn);
    int parallel_update = opt && rec__params_have_state(&m->params);
    j.opt = parallel_update ? opt : NULL;
    fp_assign(m, fs, owner, cost + m->n_feats, T);
    if (nx->next_idx)
        j.next = nx;
    rec__pool_run(pool, fp_round_d, &j);
    if (j.next) {
        nx->ready_idx = nx->next_idx;
        nx->ready_n = nx->next_n;
        nx->ready_gen = tr->ahead_gen;
    }
    if (parallel_update) /* W₀ went by rows; the tables, b₀ and the head were updated whole */
        rec__params_count_step(&m->params.e[m->layers[0].param_kernel], opt);
    return rec__parallel_finish(m, opt, parallel_update, out, T, fn);
}

/* On T > 1 threads, for an MLP ending in a one-unit layer, without dropout (which needs each
 * layer's output on its own), with batches large enough for layer 0 to look for repeated keys
 * (every thread's workspace then has layer 0's buffers). */
static uint32_t fp_applies(const rec_model *m, uint32_t T, size_t batch)
{
    return T > 1 && fp_shape(m) && batch >= REC__LAYER0_MIN ? T : 0;
}

static void fp_stop(rec__trainer *tr)
{
    fp_state *st = tr->state;
    if (st) {
        rec__free(st->owner);
        rec__free(st->cost);
        rec__free(st->nx.bk);
        rec__free(st->nx.by);
        rec__free(st);
    }
    tr->state = NULL;
}

static rec_status fp_start(rec__trainer *tr, const rec__featset *fs, size_t batch,
                           const char *fn)
{
    rec_model *m = tr->m;
    /* layer 0 feature by feature keeps the whole batch in thread 0's workspace */
    rec_status rc = rec__train_prepare(tr, fs, rec__train_slice_cap(batch, tr->T), batch, fn);
    if (rc)
        return rc;
    fp_state *st = rec__calloc(1, sizeof *st);
    tr->state = st;
    const size_t nf = m->n_feats ? m->n_feats : 1;
    if (st) {
        st->owner = rec__calloc(nf, sizeof *st->owner);
        st->cost = rec__calloc(2 * nf, sizeof *st->cost);
        /* shaped as the workspace's bk and by, with which they are swapped */
        st->nx.bk = rec__malloc(m->ws.cap * nf * sizeof *st->nx.bk);
        st->nx.by = rec__malloc(m->ws.cap * sizeof *st->nx.by);
    }
    if (!st || !st->owner || !st->cost || !st->nx.bk || !st->nx.by)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    return REC_OK;
}

const rec__path rec__fast_mlp_path = {"feature-parallel MLP", fp_applies, fp_start, fp_step,
                                      fp_stop};
