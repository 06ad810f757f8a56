/* Forward, backward, training loops, evaluation and prediction of ranking models.
 *
 * Loss over a batch of B examples: L = (1/B) Σ_b (ŷ_b − y_b)², so ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B.
 * DOT:  ŷ_b = Σ_k u_bk v_bk  →  ∂L/∂u_bk = ∂L/∂ŷ_b · v_bk,  ∂L/∂v_bk = ∂L/∂ŷ_b · u_bk.
 * MLP:  ŷ_b = last layer's output; each dense layer back-propagates (rec__dense_backward_raw).
 * Then ∂L/∂x reaches the embedding tables as sparse row gradients (model_features.c).
 * Computing gradients and applying them are separate steps, so that data-parallel training
 * can sum the gradients of several processes in between.
 *
 * Speed (docs/BENCHMARKS.md). A slice of a batch first copies its examples' records into
 * small sequential arrays (rec__featset_gather). In training, the first dense layer of an MLP
 * works per feature over the slice's distinct keys when keys repeat (rec__l0: the same
 * gradient with a third of the multiply-adds on MovieLens 100K), and a one-unit head is fused
 * into its passes over the examples. Evaluation and prediction keep the plain layer-by-layer
 * path, so that a prediction does not depend on the other rows of its batch. Nothing is
 * allocated per batch. Layer 0 feature by feature is in model_layer0.c; the DOT pair on one
 * thread runs forward and backward in one pass (rec__dot_fused_step, model_train_dot.c).
 *
 * Threads (rec_model_set_threads, T > 1). Two models have paths of their own: the DOT pair (rows
 * accumulated by their owner thread, "the DOT model on T > 1 threads") and an MLP with one hidden
 * layer and a one-unit head (layer 0 feature by feature, "an MLP with a one-unit head on T > 1
 * threads"), in model_train_dot.c and model_train_mlp.c; a DOT pair whose tables fit in L2 trains
 * on one thread (rec__dot_small). Otherwise a batch is cut into T contiguous
 * slices. Round A: thread t runs forward and backward on its slice with its own workspace; thread 0
 * adds its gradient straight into the parameters, threads t ≥ 1 into private buffers (dense
 * gradients of their slice, and packed embedding rows, rec__rowgrad). Round B: the private buffers
 * are reduced into the parameters, each row and each dense range by exactly one thread, always in
 * the order thread 1, 2, ..., T − 1 after thread 0's contribution, so a given T gives the same bits
 * every run; in the same round, when training, the owner of a row or range applies the optimizer to
 * it. Embedding rows are owned by blocks of 64 (a cache line of the touched flags) hashed over the
 * threads. Evaluation and prediction build the feature set on their pool (forward_prepare) and
 * cut the rows into T contiguous chunks, each run in passes of at most EVAL_ROWS rows. OpenBLAS
 * calls made inside these threads must be single-threaded (see docs/BENCHMARKS.md): the library
 * never changes BLAS settings, which are process-global. */
#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- workspace ------------------------------------------------------------------------------- */

static void tstate_release(rec__tstate *ts, const rec_model *m);

void rec__workspace_release(rec__workspace *ws, const rec_model *m)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        if (ws->act)
            rec__free(ws->act[l]);
        if (ws->dact)
            rec__free(ws->dact[l]);
        if (ws->mask)
            rec__free(ws->mask[l]);
        if (ws->drop)
            rec__free(ws->drop[l]);
    }
    rec__free(ws->mask);
    rec__free(ws->drop);
    for (uint32_t t = 0; ws->extra && t < ws->n_extra; t++)
        tstate_release(&ws->extra[t], m);
    for (size_t i = 0; ws->l0 && i < m->n_feats; i++) {
        rec__l0 *l = &ws->l0[i];
        rec__free(l->sidx);
        rec__free(l->ukeys);
        rec__free(l->kslot);
        rec__free(l->x);
        rec__free(l->p);
    }
    rec__free(ws->l0);
    rec__free(ws->extra);
    rec__free(ws->act);
    rec__free(ws->dact);
    rec__free(ws->bk);
    rec__free(ws->by);
    rec__free(ws->x);
    rec__free(ws->dx);
    rec__free(ws->pred);
    rec__free(ws->delta);
    rec__free(ws->fp_g);
    rec__free(ws->fp_relu);
    rec__free(ws->fp_w1);
    rec__rng *rng = ws->drop_rng;
    memset(ws, 0, sizeof *ws);
    ws->drop_rng = rng;
}

/* Whether ws has a dropout mask for every layer that has a rate now (rates may be set after
 * the workspace was made). */
static int masks_ready(const rec__workspace *ws, const rec_model *m)
{
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->layers[l].dropout > 0.0f && !(ws->mask && ws->mask[l]))
            return 0;
    return 1;
}

/* Make room for batches of cap examples. Grows only, so steady-state training allocates
 * nothing per batch. The per-thread state (extra) is kept. */
rec_status rec__workspace_reserve(rec__workspace *ws, const rec_model *m, size_t cap, int train,
                                  const char *fn)
{
    if (cap <= ws->cap && (!train || (ws->train && masks_ready(ws, m) &&
                                      (ws->l0 || cap < FACTOR_MIN ||
                                       m->interaction != REC_INTERACTION_MLP))))
        return REC_OK;
    if (cap < ws->cap)
        cap = ws->cap;
    rec__tstate *extra = ws->extra;
    uint32_t n_extra = ws->n_extra;
    ws->extra = NULL;
    ws->n_extra = 0;
    rec__workspace_release(ws, m);
    ws->extra = extra;
    ws->n_extra = n_extra;
    size_t widest = 1;
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->layers[l].units > widest)
            widest = m->layers[l].units;
    size_t xs, ds;
    if (!rec__alloc_mul(cap, m->width, &xs) || xs > SIZE_MAX / sizeof(float) ||
        !rec__alloc_mul(cap, widest, &ds) || ds > SIZE_MAX / sizeof(float))
        return rec__error(REC_EINVAL, "%s: batch of %zu examples is too large", fn, cap);
    /* rows of activations, δ, P and Δ start on cache lines: a row of 64 floats is then 4
     * lines, not 5 */
    ws->bk = rec__malloc(cap * (m->n_feats ? m->n_feats : 1) * sizeof *ws->bk);
    ws->by = rec__malloc(cap * sizeof *ws->by);
    ws->x = rec__malloc_lines(xs * sizeof(float));
    ws->pred = rec__malloc(cap * sizeof(float));
    ws->act = rec__calloc(m->n_layers ? m->n_layers : 1, sizeof(float *));
    ws->dact = rec__calloc(m->n_layers ? m->n_layers : 1, sizeof(float *));
    int ok = ws->bk && ws->by && ws->x && ws->pred && ws->act && ws->dact;
    /* the backward pass's buffers only for training: evaluation and prediction make a
     * workspace per call, and every page of it is a fault on first touch (MovieLens 100K
     * enriched: 4 of its 7 MB per thread) */
    if (ok && train) {
        ws->dx = rec__malloc_lines(xs * sizeof(float));
        ws->delta = rec__malloc_lines(ds * sizeof(float));
        ok = ws->dx && ws->delta;
    }
    for (size_t l = 0; ok && l < m->n_layers; l++) {
        ws->act[l] = rec__malloc_lines(cap * m->layers[l].units * sizeof(float));
        if (train)
            ws->dact[l] = rec__malloc_lines(cap * m->layers[l].units * sizeof(float));
        ok = ws->act[l] && (!train || ws->dact[l]);
    }
    if (ok && train && rec__regularize_has_dropout(m)) {
        ws->mask = rec__calloc(m->n_layers, sizeof *ws->mask);
        ws->drop = rec__calloc(m->n_layers, sizeof *ws->drop);
        ok = ws->mask && ws->drop;
        for (size_t l = 0; ok && l < m->n_layers; l++) {
            if (!(m->layers[l].dropout > 0.0f))
                continue;
            ws->mask[l] = rec__malloc(cap * m->layers[l].units * sizeof(float));
            ws->drop[l] = rec__malloc(cap * m->layers[l].units * sizeof(float));
            ok = ws->mask[l] && ws->drop[l];
        }
    }
    ws->train = train;
    if (ok && train && m->interaction == REC_INTERACTION_MLP && m->n_layers &&
        cap >= FACTOR_MIN) {
        ws->l0 = rec__calloc(m->n_feats ? m->n_feats : 1, sizeof *ws->l0);
        ws->fp_g = rec__malloc_lines(cap * sizeof *ws->fp_g);
        ws->fp_relu = rec__malloc_lines(cap * sizeof *ws->fp_relu);
        ws->fp_w1 = rec__malloc_lines(m->layers[0].units * sizeof *ws->fp_w1);
        ok = ws->l0 && ws->fp_g && ws->fp_relu && ws->fp_w1;
        for (size_t i = 0; ok && i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            rec__l0 *l = &ws->l0[i];
            if (!f->emb) { /* NUMERIC: its row of ∂W₀, summed over a slice (model_layer0.c) */
                l->p = rec__malloc(m->layers[0].units * sizeof *l->p);
                ok = l->p != NULL;
                continue;
            }
            l->sidx = rec__malloc(cap * sizeof *l->sidx);
            l->ukeys = rec__malloc(cap * sizeof *l->ukeys);
            l->x = rec__malloc_lines(cap * f->dim * sizeof *l->x);
            /* P_f, then (from cap · units on) Δ_f: the fused pass reads one, writes the other */
            l->p = rec__malloc_lines(2 * cap * m->layers[0].units * sizeof *l->p);
            ok = l->sidx && l->ukeys && l->x && l->p;
            if (ok && (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_BUCKETIZED)) {
                l->n_kslot = rec_embedding_rows(f->emb);
                l->kslot = rec__calloc(l->n_kslot, sizeof *l->kslot);
                ok = l->kslot != NULL;
            }
        }
    }
    if (!ok) {
        rec__workspace_release(ws, m);
        return rec__error(REC_ENOMEM, "%s: out of memory for a batch of %zu examples", fn,
                          cap);
    }
    ws->cap = cap;
    return REC_OK;
}

/* Room in ws's distinct-key maps for the bags of fs (TEXT features: one bag per distinct
 * string of the dataset). CATEGORICAL_LIST bags are per example and never repeat, so they
 * take no map and always the per-example path. */
static rec_status l0_reserve_keys(rec__workspace *ws, const rec_model *m, const rec__featset *fs,
                                  const char *fn)
{
    for (size_t i = 0; ws->l0 && i < m->n_feats; i++) {
        rec__l0 *l = &ws->l0[i];
        if (m->feats[i].kind != REC_FEATURE_TEXT || fs->cols[i].n_bags <= l->n_kslot)
            continue;
        uint32_t *k = rec__calloc(fs->cols[i].n_bags, sizeof *k);
        if (!k)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        rec__free(l->kslot);
        l->kslot = k;
        l->n_kslot = fs->cols[i].n_bags;
    }
    return REC_OK;
}

/* ---- per-thread training state --------------------------------------------------------------- */

static void rowgrad_release(rec__rowgrad *r)
{
    rec__free(r->slot);
    rec__free(r->rows);
    rec__free(r->g);
    memset(r, 0, sizeof *r);
}

static void tstate_release(rec__tstate *ts, const rec_model *m)
{
    rec__workspace_release(&ts->ws, m);
    for (size_t l = 0; l < m->n_layers; l++) {
        if (ts->dk)
            rec__free(ts->dk[l]);
        if (ts->db)
            rec__free(ts->db[l]);
    }
    for (size_t i = 0; i < m->n_feats; i++) {
        if (ts->rg)
            rowgrad_release(&ts->rg[i]);
        if (ts->owned)
            rec__free(ts->owned[i]);
    }
    rec__free(ts->dk);
    rec__free(ts->db);
    rec__free(ts->rg);
    rec__free(ts->owned);
    rec__free(ts->n_owned);
    memset(ts, 0, sizeof *ts);
}

rec_status rec__train_oom(const char *fn)
{
    return rec__error(REC_ENOMEM, "%s: out of memory for the training threads' buffers", fn);
}

/* Allocate thread t's fixed-size buffers (everything but the workspace and row capacity). */
static rec_status tstate_init(rec__tstate *ts, const rec_model *m, uint32_t t, const char *fn)
{
    size_t nf = m->n_feats ? m->n_feats : 1, nl = m->n_layers ? m->n_layers : 1;
    ts->owned = rec__calloc(nf, sizeof *ts->owned);
    ts->n_owned = rec__calloc(nf, sizeof *ts->n_owned);
    if (!ts->owned || !ts->n_owned)
        return rec__train_oom(fn);
    for (size_t i = 0; i < m->n_feats; i++) {
        if (!m->feats[i].emb)
            continue;
        ts->owned[i] = rec__malloc(rec_embedding_rows(m->feats[i].emb) * sizeof(uint32_t));
        if (!ts->owned[i])
            return rec__train_oom(fn);
    }
    if (t == 0)
        return REC_OK;
    ts->dk = rec__calloc(nl, sizeof *ts->dk);
    ts->db = rec__calloc(nl, sizeof *ts->db);
    ts->rg = rec__calloc(nf, sizeof *ts->rg);
    if (!ts->dk || !ts->db || !ts->rg)
        return rec__train_oom(fn);
    for (size_t l = 0; l < m->n_layers; l++) {
        const rec_dense *d = m->layers[l].dense;
        ts->dk[l] = rec__malloc((size_t)rec_dense_n_in(d) * rec_dense_n_out(d) * sizeof(float));
        ts->db[l] = rec__malloc((size_t)rec_dense_n_out(d) * sizeof(float));
        if (!ts->dk[l] || !ts->db[l])
            return rec__train_oom(fn);
    }
    for (size_t i = 0; i < m->n_feats; i++) {
        if (!m->feats[i].emb)
            continue;
        rec__rowgrad *r = &ts->rg[i];
        r->n_rows = rec_embedding_rows(m->feats[i].emb);
        r->dim = m->feats[i].dim;
        r->slot = rec__calloc(r->n_rows, sizeof *r->slot);
        if (!r->slot)
            return rec__train_oom(fn);
    }
    return REC_OK;
}

/* Room in thread t's private row buffers for every row a slice of `slice` examples of fs can
 * touch: at most slice × (longest bag), and never more than the table. */
static rec_status rowgrad_reserve(rec__tstate *ts, const rec_model *m, const rec__featset *fs,
                                  size_t slice, const char *fn)
{
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__rowgrad *r = &ts->rg[i];
        if (!m->feats[i].emb)
            continue;
        size_t need = slice;
        if (!rec__alloc_mul(slice, fs->cols[i].max_bag, &need) || need > r->n_rows)
            need = r->n_rows;
        if (need <= r->cap)
            continue;
        uint32_t *rows = rec__realloc(r->rows, need * sizeof *rows);
        if (!rows)
            return rec__train_oom(fn);
        r->rows = rows;
        float *g = rec__realloc(r->g, need * r->dim * sizeof *g);
        if (!g)
            return rec__train_oom(fn);
        r->g = g;
        r->cap = need;
    }
    return REC_OK;
}

/* Everything T threads need to train on slices of at most `slice` examples of fs. */
static rec_status train_prepare(rec_model *m, const rec__featset *fs, uint32_t T, size_t slice,
                                size_t batch, const char *fn)
{
    /* feature-parallel layer 0 keeps the whole batch in thread 0's workspace */
    rec_status rc =
        rec__workspace_reserve(&m->ws, m, T > 1 && rec__fp_applies(m) ? batch : slice, 1, fn);
    if (!rc)
        rc = l0_reserve_keys(&m->ws, m, fs, fn);
    if (rc || T <= 1)
        return rc;
    rec__workspace *ws = &m->ws;
    if (ws->n_extra != T) {
        for (uint32_t t = 0; ws->extra && t < ws->n_extra; t++)
            tstate_release(&ws->extra[t], m);
        rec__free(ws->extra);
        ws->n_extra = 0;
        ws->extra = rec__calloc(T, sizeof *ws->extra);
        if (!ws->extra)
            return rec__train_oom(fn);
        ws->n_extra = T;
        for (uint32_t t = 0; t < T && !rc; t++)
            rc = tstate_init(&ws->extra[t], m, t, fn);
        if (rc) {
            for (uint32_t t = 0; t < T; t++)
                tstate_release(&ws->extra[t], m);
            rec__free(ws->extra);
            ws->extra = NULL;
            ws->n_extra = 0;
            return rc;
        }
    }
    for (uint32_t t = 1; t < T && !rc; t++) {
        rc = rec__workspace_reserve(&ws->extra[t].ws, m, slice, 1, fn);
        if (!rc)
            rc = l0_reserve_keys(&ws->extra[t].ws, m, fs, fn);
        if (!rc)
            rc = rowgrad_reserve(&ws->extra[t], m, fs, slice, fn);
    }
    return rc;
}


/* Predictions of examples idx[0..n) of fs; returns the n predictions (inside ws). Training
 * (train != 0) may run layer 0 feature by feature; evaluation and prediction never do, so
 * that an example's prediction does not depend, even in the last bit, on the other examples
 * of its batch (the feature-by-feature sums round differently). */
REC_CLONES
static const float *forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                            const uint32_t *idx, size_t n, int train, size_t batch)
{
    /* the slice's records, once, into small sequential arrays */
    rec__featset_gather(m, fs, idx, n, ws->bk, ws->cap, fs->has_labels ? ws->by : NULL);
    size_t fu, fv;
    if (dot_pair(m, &fu, &fv)) {
        const uint32_t d = m->feats[fu].dim;
        const float *wu = rec_embedding_row(m->feats[fu].emb, 0);
        const float *wv = rec_embedding_row(m->feats[fv].emb, 0);
        const uint32_t *iu = ws->bk + fu * ws->cap, *iv = ws->bk + fv * ws->cap;
        for (size_t b = 0; b < n; b++)
            ws->pred[b] = rec__row_dot(wu + (size_t)iu[b] * d, wv + (size_t)iv[b] * d, d);
        return ws->pred;
    }
    ws->by_feature = 0;
    /* dropout needs each layer's output on its own: no fused first layer */
    if (train && m->interaction == REC_INTERACTION_MLP && !rec__regularize_has_dropout(m))
        rec__layer0_plan(m, ws, fs, n);
    if (!ws->by_feature)
        rec__features_forward(m, fs, ws->bk, ws->cap, n, ws->x);
    const size_t W = m->width, Wu = m->width_user;
    if (rec__model_has_linear(m)) /* BIASED_DOT, FM (model/fm.c) */
        return rec__fm_forward(m, ws, fs, n);
    if (m->interaction == REC_INTERACTION_DOT) {
        for (size_t b = 0; b < n; b++) {
            const float *u = ws->x + b * W;
            ws->pred[b] = rec__row_dot(u, u + Wu, Wu);
        }
        return ws->pred;
    }
    const float *in = ws->x;
    size_t first = 0;
    if (ws->by_feature) {
        rec__layer0_forward(m, ws, fs, n, has_head(m) ? ws->act[1] : NULL,
                            2.0f / (float)batch);
        if (has_head(m))
            return ws->act[1];
        in = ws->act[0];
        first = 1;
    }
    for (size_t l = first; l < m->n_layers; l++) {
        /* evaluation and prediction: every row's bits independent of the rows beside it */
        if (train)
            rec__dense_forward_raw(m->layers[l].dense, in, n, ws->act[l]);
        else
            rec__dense_forward_rows(m->layers[l].dense, in, n, ws->act[l]);
        in = ws->act[l];
        if (train)
            in = rec__regularize_drop(m, ws, l, in, n); /* in itself without dropout */
    }
    return in; /* the last layer has one unit: its output is the n predictions */
}

/* Squared error sum and absolute error sum of n predictions against labels. */
void rec__train_errors(const float *pred, const float *labels, size_t n, double *sse,
                       double *sae)
{
    double s2 = 0.0, s1 = 0.0;
    for (size_t b = 0; b < n; b++) {
        double d = (double)pred[b] - (double)labels[b];
        s2 += d * d;
        s1 += fabs(d);
    }
    *sse = s2;
    if (sae)
        *sae = s1;
}

/* Where a thread's gradients go: the parameters themselves (ts NULL: thread 0, or training
 * on one thread), or thread-private buffers. */
REC_CLONES
static void backward(rec_model *m, rec__workspace *ws, rec__tstate *ts, const rec__featset *fs,
                     size_t n, size_t B, const float *pred)
{
    /* ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B, B the whole batch: slices add up to the batch gradient */
    const float scale = 2.0f / (float)B;
    size_t fu, fv;
    if (dot_pair(m, &fu, &fv)) {
        const uint32_t d = m->feats[fu].dim;
        rec__param *pu = rec__embedding_param(m->feats[fu].emb);
        rec__param *pv = rec__embedding_param(m->feats[fv].emb);
        const uint32_t *iu = ws->bk + fu * ws->cap, *iv = ws->bk + fv * ws->cap;
        if (ts) {
            for (size_t b = 0; b < n; b++) {
                uint32_t ru = iu[b], rv = iv[b];
                const float g = scale * (pred[b] - ws->by[b]);
                /* ∂L/∂E_u[ru] += g·v, ∂L/∂E_v[rv] += g·u */
                rec__rowgrad_axpy(&ts->rg[fu], ru, pv->w + (size_t)rv * d, g);
                rec__rowgrad_axpy(&ts->rg[fv], rv, pu->w + (size_t)ru * d, g);
            }
            return;
        }
        rec__param_mark_rows(pu, iu, n);
        rec__param_mark_rows(pv, iv, n);
        float *restrict gu = pu->g, *restrict gv = pv->g;
        const float *wu = pu->w, *wv = pv->w;
        for (size_t b = 0; b < n; b++) {
            uint32_t ru = iu[b], rv = iv[b];
            const float g = scale * (pred[b] - ws->by[b]);
            rec__row_axpy(gu + (size_t)ru * d, wv + (size_t)rv * d, g, d);
            rec__row_axpy(gv + (size_t)rv * d, wu + (size_t)ru * d, g, d);
        }
        return;
    }
    const size_t W = m->width, Wu = m->width_user;
    if (rec__model_has_linear(m)) {
        rec__fm_backward(m, ws, fs, n, scale, pred);
    } else if (m->interaction == REC_INTERACTION_DOT) {
        for (size_t b = 0; b < n; b++) {
            const float *u = ws->x + b * W, *v = u + Wu;
            float *du = ws->dx + b * W, *dv = du + Wu;
            const float g = scale * (pred[b] - ws->by[b]);
            for (size_t k = 0; k < Wu; k++) {
                du[k] = g * v[k];
                dv[k] = g * u[k];
            }
        }
    } else {
        const size_t L = m->n_layers;
        float *dlast = ws->dact[L - 1];
        for (size_t b = 0; b < n; b++)
            dlast[b] = scale * (pred[b] - ws->by[b]);
        for (size_t l = L; l-- > 0;) {
            if (ws->by_feature && (l == 0 || (l == 1 && has_head(m)))) {
                rec__layer0_backward(m, ws, ts, fs, n);
                return; /* it also did the head, and reached the embeddings */
            }
            rec_dense *d = m->layers[l].dense;
            const float *in = rec__regularize_layer_input(m, ws, l); /* after dropout, if any */
            float *din = l ? ws->dact[l - 1] : ws->dx;
            if (ts)
                rec__dense_backward_raw(d, in, ws->act[l], ws->dact[l], n, ws->delta, ts->dk[l],
                                        ts->db[l], 0, din);
            else
                rec__dense_backward_raw(d, in, ws->act[l], ws->dact[l], n, ws->delta,
                                        rec__dense_kernel(d)->g, rec__dense_bias(d)->g, 1, din);
            if (l)
                rec__regularize_drop_back(m, ws, l - 1, din, n);
        }
    }
    if (ts)
        rec__features_backward_private(m, fs, ws->bk, ws->cap, n, ws->dx, ts->rg);
    else
        rec__features_backward(m, fs, ws->bk, ws->cap, n, ws->dx);
}

/* ---- batches on T threads -------------------------------------------------------------------- */

rec_status rec__diverged(const char *fn)
{
    return rec__error(REC_ENUMERIC, "%s: the loss is not finite (training diverged; lower the "
                      "learning rate)", fn);
}

/* The model's thread count, or 1 when the BLAS runs threads of its own: OpenBLAS called from
 * two of these threads with OPENBLAS_NUM_THREADS=2 on two cores was 25 times slower than one
 * thread (the two pools spin against each other), so librec steps aside rather than change a
 * process-wide BLAS setting (docs/BENCHMARKS.md). */
static uint32_t usable_threads(const rec_model *m)
{
    return m->n_threads > 1 && rec__blas_threads() > 1 ? 1 : m->n_threads;
}


/* Largest slice a batch of at most `batch` rows gives a thread. */
static size_t slice_cap(size_t batch, uint32_t T)
{
    uint32_t t = rec__pool_threads_for(batch, T, MIN_SLICE);
    size_t s = (batch + t - 1) / t;
    if (s < 2 * MIN_SLICE)
        s = 2 * MIN_SLICE; /* a short last batch may run on fewer threads */
    return s < batch ? s : batch;
}

/* Owner of an embedding row among T threads: blocks of 64 rows (one cache line of touched
 * flags) spread by a multiplicative hash. */
static inline uint32_t row_owner(uint32_t row, uint32_t T)
{
    uint32_t h = (row >> 6) * 0x9E3779B1u;
    return (uint32_t)(((uint64_t)h * T) >> 32);
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
    rec__workspace *ws = rec__thread_ws(m, t);
    const float *pred = forward(m, ws, j->fs, j->idx + lo, n, 1, j->B);
    rec__train_errors(pred, ws->by, n, &j->out[t].sse, NULL);
    if (isfinite(j->out[t].sse))
        backward(m, ws, ts, j->fs, n, j->B, pred);
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

/* Add threads 1..T−1's gradient of one dense parameter into its range, then update it. */
static void reduce_dense(batch_job *j, const rec__params_entry *e, size_t layer, int is_bias,
                         uint32_t me)
{
    rec__param *p = e->p;
    size_t lo, hi;
    dense_range(p->n, me, j->T, &lo, &hi);
    if (lo >= hi)
        return;
    rec__tstate *extra = j->m->ws.extra;
    for (uint32_t t = 1; t < j->T; t++) {
        const float *src = (is_bias ? extra[t].db[layer] : extra[t].dk[layer]) + lo;
        float *restrict g = p->g + lo;
        for (size_t i = 0; i < hi - lo; i++)
            g[i] += src[i];
    }
    if (j->opt)
        rec__params_apply_range(j->opt, e, lo, hi - lo, &j->out[me]);
}

/* Add threads 1..T−1's rows of feature fi that `me` owns into the table's gradient, then
 * update every touched row `me` owns. */
static void reduce_rows(batch_job *j, size_t fi, uint32_t me)
{
    rec_model *m = j->m;
    const rec__params_entry *e = &m->params.e[m->feats[fi].param_emb];
    rec__param *p = e->p;
    const uint32_t T = j->T, dim = p->row_dim;
    rec__tstate *extra = m->ws.extra;
    uint32_t *owned = extra[me].owned[fi];
    size_t k = 0;
    if (j->opt)
        for (size_t i = 0; i < p->n_touched; i++)
            if (row_owner(p->touched[i], T) == me)
                owned[k++] = p->touched[i];
    for (uint32_t t = 1; t < T; t++) {
        rec__rowgrad *r = &extra[t].rg[fi];
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
    extra[me].n_owned[fi] = k;
    if (j->opt && k != 0)
        rec__params_apply_rows(j->opt, e, owned, k, &j->out[me]);
}

/* Round B: reduce (and, with an optimizer, apply) what thread `me` owns. */
static void round_b(void *ctx, uint32_t me, uint32_t n_pool)
{
    (void)n_pool;
    batch_job *j = ctx;
    if (me >= j->T)
        return;
    rec_model *m = j->m;
    for (size_t l = 0; l < m->n_layers; l++) {
        reduce_dense(j, &m->params.e[m->layers[l].param_kernel], l, 0, me);
        reduce_dense(j, &m->params.e[m->layers[l].param_bias], l, 1, me);
    }
    for (size_t fi = 0; fi < m->n_feats; fi++)
        if (m->feats[fi].emb)
            reduce_rows(j, fi, me);
}

/* After round B: the tables' touched lists agree with their flags again, and the private
 * row buffers are empty. */
static void finish_round_b(batch_job *j)
{
    rec_model *m = j->m;
    for (size_t fi = 0; fi < m->n_feats; fi++) {
        if (!m->feats[fi].emb)
            continue;
        rec__param *p = rec__embedding_param(m->feats[fi].emb);
        if (j->opt) {
            p->n_touched = 0; /* every owner cleared its rows */
        } else {
            for (uint32_t t = 0; t < j->T; t++) {
                const rec__tstate *ts = &m->ws.extra[t];
                memcpy(p->touched + p->n_touched, ts->owned[fi],
                       ts->n_owned[fi] * sizeof(uint32_t));
                p->n_touched += ts->n_owned[fi];
            }
        }
        for (uint32_t t = 1; t < j->T; t++)
            m->ws.extra[t].rg[fi].n = 0;
    }
}

/* Forget threads 1..T−1's private rows (after a failed round A). */
static void discard_private(rec_model *m, uint32_t T)
{
    for (uint32_t t = 1; t < T; t++)
        for (size_t fi = 0; fi < m->n_feats; fi++) {
            rec__rowgrad *r = &m->ws.extra[t].rg[fi];
            for (size_t i = 0; i < r->n; i++)
                r->slot[r->rows[i]] = 0;
            r->n = 0;
        }
}

/* Threads, their buffers and per-thread results for training on batches of at most `batch`
 * rows of fs. */
typedef struct trainer {
    rec__pool *pool;
    rec__pool_out *out;
    dot_split *dot;        /* DOT on T > 1 threads, else NULL */
    int fp;                /* an MLP with a head on T > 1 threads: feature-parallel layer 0 */
    uint32_t *owner;       /* fp: thread of each feature */
    double *cost;          /* fp: seconds per feature in rounds B and D (fp_assign) */
    rec__fp_next nx;       /* fp: the next batch's records, gathered in round D */
} trainer;

/* Gradient of one batch idx[0..B) (and, with opt, the update), on the threads of pool; the
 * caller prepared the buffers (train_prepare). next[0..next_n) is the batch that follows in
 * the same order (NULL: none, or unknown), whose records the feature-parallel path gathers
 * ahead. Returns the batch's SSE. */
static rec_status batch_step(rec_model *m, trainer *tr, rec_optimizer *opt,
                             const rec__featset *fs, const uint32_t *idx, size_t B,
                             const uint32_t *next, size_t next_n, double *sse, const char *fn)
{
    rec__pool *pool = tr->pool;
    rec__pool_out *out = tr->out;
    uint32_t T = rec__pool_threads_for(B, rec__pool_size(pool), MIN_SLICE);
    batch_job j = {m, fs, idx, B, T, NULL, out};
    memset(out, 0, T * sizeof *out);
    tr->nx.next_idx = next;
    tr->nx.next_n = next ? next_n : 0;
    if (T > 1 && tr->fp)
        return rec__fp_batch_step(m, pool, out, tr->owner, tr->cost, &tr->nx, opt, fs, idx, B,
                                  T, sse, fn);
    tr->nx.ready_idx = NULL; /* the other paths gather their own records */
    if (T > 1 && tr->dot)
        return rec__dot_batch_step(m, tr->dot, pool, out, opt, fs, idx, B, T, sse, fn);
    if (T == 1) {
        rec_status rc;
        if (rec__dot_fused_step(m, fs, idx, B, sse, &rc, fn)) {
            if (rc)
                return rc;
            rec__regularize_l2(m);
            return opt ? rec__params_apply(&m->params, opt, fn) : REC_OK;
        }
        const float *pred = forward(m, &m->ws, fs, idx, B, 1, B);
        rec__train_errors(pred, m->ws.by, B, sse, NULL);
        if (!isfinite(*sse))
            return rec__diverged(fn);
        backward(m, &m->ws, NULL, fs, B, B, pred);
        rec__regularize_l2(m); /* L2 penalties, if any (such models train on one thread) */
        return opt ? rec__params_apply(&m->params, opt, fn) : REC_OK;
    }
    rec__pool_run(pool, round_a, &j);
    *sse = rec__pool_sum_sse(out, T);
    if (!isfinite(*sse)) {
        discard_private(m, T);
        return rec__diverged(fn);
    }
    int parallel_update = opt && rec__params_have_state(&m->params);
    j.opt = parallel_update ? opt : NULL;
    rec__pool_run(pool, round_b, &j);
    finish_round_b(&j);
    for (size_t i = 0; parallel_update && i < m->params.n; i++)
        rec__params_count_step(&m->params.e[i], opt);
    rec_status rc = rec__pool_first_failure(out, T, fn);
    if (!rc && opt && !parallel_update)
        rc = rec__params_apply(&m->params, opt, fn);
    return rc;
}

/* ---- training -------------------------------------------------------------------------------- */

static void trainer_stop(trainer *tr)
{
    rec__pool_stop(tr->pool);
    rec__dot_split_free(tr->dot);
    rec__free(tr->owner);
    rec__free(tr->cost);
    rec__free(tr->nx.bk);
    rec__free(tr->nx.by);
    rec__free(tr->out);
    memset(tr, 0, sizeof *tr);
}

static rec_status trainer_start(trainer *tr, rec_model *m, const rec__featset *fs,
                                size_t batch, const char *fn)
{
    memset(tr, 0, sizeof *tr);
    /* gradient training moves the weights away from any posterior samples */
    rec__posterior_forget(&m->post);
    /* the linear tables, L2 and dropout masks are kept on the model's own buffers only */
    const int serial = rec__model_has_linear(m) || rec__regularize_has_dropout(m) ||
                       rec__regularize_has_l2(m);
    uint32_t T = serial ? 1 : rec__pool_threads_for(batch, usable_threads(m), MIN_SLICE);
    if (T > 1 && rec__dot_small(m))
        T = 1;
    rec_status rc = train_prepare(m, fs, T, T > 1 ? slice_cap(batch, T) : batch, batch, fn);
    m->ws.drop_rng = &m->drop_rng;
    if (rc)
        return rc;
    tr->out = rec__calloc(T, sizeof *tr->out);
    if (!tr->out)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    /* every workspace needs layer 0's buffers (slices of at least FACTOR_MIN) */
    tr->fp = T > 1 && rec__fp_applies(m) && m->ws.l0 != NULL;
    for (uint32_t t = 1; tr->fp && t < T; t++)
        tr->fp = m->ws.extra[t].ws.l0 != NULL;
    if (tr->fp) {
        tr->owner = rec__calloc(m->n_feats ? m->n_feats : 1, sizeof *tr->owner);
        tr->cost = rec__calloc(2 * (m->n_feats ? m->n_feats : 1), sizeof *tr->cost);
        /* shaped as the workspace's bk and by, with which they are swapped */
        tr->nx.bk = rec__malloc(m->ws.cap * (m->n_feats ? m->n_feats : 1) * sizeof *tr->nx.bk);
        tr->nx.by = rec__malloc(m->ws.cap * sizeof *tr->nx.by);
        if (!tr->owner || !tr->cost || !tr->nx.bk || !tr->nx.by) {
            trainer_stop(tr);
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        }
    }
    rc = rec__dot_split_create(&tr->dot, m, T, T > 1 ? slice_cap(batch, T) : batch, fn);
    if (!rc)
        rc = rec__pool_start(&tr->pool, T, fn);
    if (rc)
        trainer_stop(tr);
    return rc;
}
rec_status rec_model_compute_gradients(rec_model *m, const rec_dataset *ds, const uint32_t *rows,
                                       size_t n, double *loss_out)
{
    static const char fn[] = "rec_model_compute_gradients";
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (!ds || !rows || n == 0)
        return rec__error(REC_EINVAL, "%s: ds and rows must be non-NULL and n > 0", fn);
    rec__featset fs;
    if ((rc = rec__featset_build(&fs, m, ds, rows, n, 1, fn)))
        return rc;
    uint32_t *idx = rec__malloc(n * sizeof *idx);
    if (!idx)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    else {
        for (size_t i = 0; i < n; i++)
            idx[i] = (uint32_t)i;
        rc = rec__train_gradients(m, &fs, idx, n, loss_out, fn);
    }
    rec__free(idx);
    rec__featset_release(&fs, m);
    return rc;
}

rec_status rec__train_gradients(rec_model *m, const rec__featset *fs, const uint32_t *idx,
                                size_t n, double *loss_out, const char *fn)
{
    trainer tr;
    rec_status rc = trainer_start(&tr, m, fs, n, fn);
    if (rc)
        return rc;
    double sse = 0.0;
    rc = batch_step(m, &tr, NULL, fs, idx, n, NULL, 0, &sse, fn);
    if (!rc && loss_out)
        *loss_out = sse / (double)n;
    trainer_stop(&tr);
    return rc;
}

rec_status rec_model_apply_gradients(rec_model *m, rec_optimizer *opt)
{
    static const char fn[] = "rec_model_apply_gradients";
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (!opt)
        return rec__error(REC_EINVAL, "%s: optimizer is NULL", fn);
    return rec__params_apply(&m->params, opt, fn);
}

/* One epoch over a precomputed feature set, in a fresh permutation of 0..n−1 drawn from the
 * model's order rng. Starting from the identity every epoch (not from the last epoch's order)
 * makes the order a function of the rng state alone, which a checkpoint saves: training resumed
 * from a saved model repeats the batches uninterrupted training would have made, through
 * rec_model_fit as through rec_model_train_epoch. */
static rec_status epoch(rec_model *m, trainer *tr, rec_optimizer *opt,
                        const rec__featset *fs, uint32_t *order, size_t batch, double *loss_out,
                        double *rmse_out, const char *fn)
{
    for (size_t i = 0; i < fs->n; i++)
        order[i] = (uint32_t)i;
    rec__rng_shuffle_u32(&m->order_rng, order, fs->n);
    /* order was just reshuffled: records gathered ahead in an earlier epoch are stale */
    tr->nx.ready_idx = NULL;
    double sse_total = 0.0;
    rec_status rc = REC_OK;
    for (size_t start = 0; start < fs->n && !rc; start += batch) {
        size_t B = fs->n - start < batch ? fs->n - start : batch;
        size_t at = start + B, next_n = fs->n - at < batch ? fs->n - at : batch;
        double sse = 0.0;
        rc = batch_step(m, tr, opt, fs, order + start, B, at < fs->n ? order + at : NULL,
                        next_n, &sse, fn);
        sse_total += sse;
    }
    tr->nx.ready_idx = NULL;
    if (rc)
        return rc;
    /* Keras weights each batch's loss by its size, so the epoch loss is SSE / N; the running
     * RMSE metric is √(SSE / N) over the same predictions (made before each batch's update). */
    if (loss_out)
        *loss_out = sse_total / (double)fs->n;
    if (rmse_out)
        *rmse_out = sqrt(sse_total / (double)fs->n);
    return REC_OK;
}

static rec_status check_train_args(const rec_model *m, const rec_optimizer *opt,
                                   const rec_dataset *ds, size_t batch, const char *fn)
{
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (!opt)
        return rec__error(REC_EINVAL, "%s: optimizer is NULL", fn);
    if (!ds)
        return rec__error(REC_EINVAL, "%s: training dataset is NULL", fn);
    if (rec_dataset_size(ds) == 0)
        return rec__error(REC_EINVAL, "%s: training dataset is empty", fn);
    if (batch == 0 || batch > (1u << 24))
        return rec__error(REC_EINVAL, "%s: batch_size %zu is outside 1..2^24", fn, batch);
    return REC_OK;
}

static uint32_t *identity_order(size_t n)
{
    uint32_t *order = rec__malloc((n ? n : 1) * sizeof *order);
    if (order)
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
    return order;
}

rec_status rec_model_train_epoch(rec_model *m, rec_optimizer *opt, const rec_dataset *ds,
                                 size_t batch_size, double *loss_out, double *rmse_out)
{
    static const char fn[] = "rec_model_train_epoch";
    rec_status rc = check_train_args(m, opt, ds, batch_size, fn);
    if (rc)
        return rc;
    rec__featset fs;
    if ((rc = rec__featset_build(&fs, m, ds, NULL, 0, 1, fn)))
        return rc;
    uint32_t *order = identity_order(fs.n);
    trainer tr;
    if (!order)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    else
        rc = trainer_start(&tr, m, &fs, batch_size, fn);
    if (!rc) {
        rc = epoch(m, &tr, opt, &fs, order, batch_size, loss_out, rmse_out, fn);
        trainer_stop(&tr);
    }
    rec__free(order);
    rec__featset_release(&fs, m);
    return rc;
}

/* ---- evaluation and prediction --------------------------------------------------------------- */

/* Rows per thread below which evaluation and prediction stay on one thread. */
#define MIN_CHUNK 1024
#define MIN_CHUNK_DOT 65536
/* Rows a thread's forward pass takes at a time, at most (the caller's batch size may be
 * smaller). A prediction does not depend on the rows beside it, so this changes no result;
 * it bounds the workspace that every call allocates and faults in page by page (ML-100K
 * enriched, batches of 4,096: a fifth of an evaluation went to page faults) and keeps a
 * pass's rows in L2. */
#define EVAL_ROWS 512

/* Threads for a forward pass over n rows, at most avail. A DOT prediction is 10 ns: its
 * chunks must be far larger to pay for a thread. */
static uint32_t forward_threads(const rec_model *m, size_t n, uint32_t avail)
{
    size_t fu, fv;
    return rec__pool_threads_for(n, avail ? avail : 1, dot_pair(m, &fu, &fv) ? MIN_CHUNK_DOT : MIN_CHUNK);
}

/* The feature set of all rows of ds, and a pool of the threads a forward pass over them will
 * use (NULL for one), which builds the feature set too (rec__featset_build_on). */
static rec_status forward_prepare(rec__featset *fs, rec__pool **pool, const rec_model *m,
                                  const rec_dataset *ds, int with_labels, const char *fn)
{
    *pool = NULL;
    uint32_t T = rec__posterior_active(m) ? 1 : forward_threads(m, rec_dataset_size(ds),
                                                           usable_threads(m));
    rec_status rc = T > 1 ? rec__pool_start(pool, T, fn) : REC_OK;
    if (!rc)
        rc = rec__featset_build_on(fs, m, ds, NULL, 0, with_labels, *pool, fn);
    if (rc) {
        rec__pool_stop(*pool);
        *pool = NULL;
    }
    return rc;
}

typedef struct eval_job {
    const rec_model *m;
    const rec__featset *fs;
    size_t batch;
    uint32_t T;
    rec__workspace *ws; /* T */
    uint32_t *idx;      /* T × batch */
    float *pred_out;    /* predict: n outputs; NULL: evaluate against the labels */
    rec__pool_out *out;
} eval_job;

/* Thread t's contiguous chunk of the rows, in batches; sums its errors in batch order. */
static void eval_chunk(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    eval_job *j = ctx;
    if (t >= j->T)
        return;
    size_t lo = rec__pool_slice(j->fs->n, t, j->T), hi = rec__pool_slice(j->fs->n, t + 1, j->T);
    uint32_t *idx = j->idx + (size_t)t * j->batch;
    double sse = 0.0, sae = 0.0;
    for (size_t start = lo; start < hi; start += j->batch) {
        size_t B = hi - start < j->batch ? hi - start : j->batch;
        for (size_t b = 0; b < B; b++)
            idx[b] = (uint32_t)(start + b);
        const float *pred = forward(j->m, &j->ws[t], j->fs, idx, B, 0, B);
        if (j->pred_out) {
            memcpy(j->pred_out + start, pred, B * sizeof *pred);
            continue;
        }
        double s2, s1;
        rec__train_errors(pred, j->ws[t].by, B, &s2, &s1);
        sse += s2;
        sae += s1;
    }
    j->out[t].sse = sse;
    j->out[t].sae = sae;
}

/* Forward over all rows of fs in batches, on up to the pool's threads (starting a pool when
 * none is given and the model has threads): errors against the labels, or predictions. */
static rec_status run_forward(const rec_model *m, rec__pool *pool, const rec__featset *fs,
                              size_t batch, float *pred_out, double *sse, double *sae,
                              const char *fn)
{
    if (rec__posterior_active(m)) /* the posterior mean over the stored samples (model_mcmc.c) */
        return rec__mcmc_forward(m, fs, pred_out, sse, sae, fn);
    uint32_t avail = pool ? rec__pool_size(pool) : usable_threads(m);
    uint32_t T = forward_threads(m, fs->n, avail);
    size_t chunk = (fs->n + T - 1) / T;
    if (batch > chunk)
        batch = chunk;
    if (batch > EVAL_ROWS)
        batch = EVAL_ROWS;
    eval_job j = {m, fs, batch, T, NULL, NULL, pred_out, NULL};
    rec__pool *own = NULL;
    rec_status rc = REC_OK;
    j.ws = rec__calloc(T, sizeof *j.ws);
    j.idx = rec__malloc((size_t)T * batch * sizeof *j.idx);
    j.out = rec__calloc(T, sizeof *j.out);
    if (!j.ws || !j.idx || !j.out)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (uint32_t t = 0; t < T && !rc; t++) {
        rc = rec__workspace_reserve(&j.ws[t], m, batch, 0, fn);
    }
    if (!rc && T > 1 && !pool) {
        rc = rec__pool_start(&own, T, fn);
        pool = own;
    }
    if (!rc) {
        rec__pool_run(T > 1 ? pool : NULL, eval_chunk, &j);
        double s2 = 0.0, s1 = 0.0;
        for (uint32_t t = 0; t < T; t++) {
            s2 += j.out[t].sse;
            s1 += j.out[t].sae;
        }
        *sse = s2;
        *sae = s1;
    }
    rec__pool_stop(own);
    for (uint32_t t = 0; j.ws && t < T; t++)
        rec__workspace_release(&j.ws[t], m);
    rec__free(j.ws);
    rec__free(j.idx);
    rec__free(j.out);
    return rc;
}

/* Evaluate a precomputed feature set. */
static rec_status evaluate_fs(const rec_model *m, rec__pool *pool, const rec__featset *fs,
                              size_t batch, double *rmse_out, double *mae_out, const char *fn)
{
    double sse = 0.0, sae = 0.0;
    rec_status rc = run_forward(m, pool, fs, batch, NULL, &sse, &sae, fn);
    if (rc)
        return rc;
    if (!isfinite(sse))
        return rec__error(REC_ENUMERIC, "%s: predictions are not finite", fn);
    if (rmse_out)
        *rmse_out = sqrt(sse / (double)fs->n);
    if (mae_out)
        *mae_out = sae / (double)fs->n;
    return REC_OK;
}

rec_status rec_model_evaluate(const rec_model *m, const rec_dataset *ds, size_t batch_size,
                              double *rmse_out, double *mae_out)
{
    static const char fn[] = "rec_model_evaluate";
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (!ds || rec_dataset_size(ds) == 0)
        return rec__error(REC_EINVAL, "%s: dataset is NULL or empty", fn);
    if (batch_size == 0 || batch_size > (1u << 24))
        return rec__error(REC_EINVAL, "%s: batch_size %zu is outside 1..2^24", fn, batch_size);
    rec__featset fs;
    rec__pool *pool;
    if ((rc = forward_prepare(&fs, &pool, m, ds, 1, fn)))
        return rc;
    rc = evaluate_fs(m, pool, &fs, batch_size, rmse_out, mae_out, fn);
    rec__pool_stop(pool);
    rec__featset_release(&fs, m);
    return rc;
}

rec_status rec_model_predict(const rec_model *m, const rec_dataset *ds, float *out, size_t n)
{
    static const char fn[] = "rec_model_predict";
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (!ds || !out)
        return rec__error(REC_EINVAL, "%s: ds and out must be non-NULL", fn);
    if (n != rec_dataset_size(ds))
        return rec__error(REC_ESHAPE, "%s: n = %zu but the dataset has %zu rows", fn, n,
                          rec_dataset_size(ds));
    if (n == 0)
        return REC_OK;
    rec__featset fs;
    rec__pool *pool;
    if ((rc = forward_prepare(&fs, &pool, m, ds, 0, fn)))
        return rc;
    double sse, sae;
    rc = run_forward(m, pool, &fs, 4096, out, &sse, &sae, fn);
    rec__pool_stop(pool);
    rec__featset_release(&fs, m);
    return rc;
}

/* ---- early stopping --------------------------------------------------------------------------

rec_model_set_early_stopping: rec_model_fit keeps the weights of the epoch with the lowest
validation RMSE; an epoch improves on it when its RMSE is below best − δ. After `patience` epochs
without improvement training stops, and at the end of training (stopped or not) the best weights
are restored. Optimizer state is not rolled back. */

/* Early stopping's best weights so far: every parameter's values, concatenated. */
typedef struct snapshot {
    float *w;
    size_t n;
    uint32_t epoch;
    double best;
} snapshot;

static rec_status es_epoch(rec_model *m, snapshot *s, uint32_t epoch, double val_rmse,
                             int *stop, const char *fn)
{
    *stop = 0;
    if (m->es_patience == 0 || !isfinite(val_rmse))
        return REC_OK;
    if (!s->w) {
        s->n = rec__params_floats(&m->params);
        s->w = rec__malloc((s->n ? s->n : 1) * sizeof *s->w);
        if (!s->w)
            return rec__error(REC_ENOMEM, "%s: out of memory for the best weights", fn);
        s->epoch = 0;
    }
    if (s->epoch == 0 || val_rmse < s->best - m->es_min_delta) {
        s->best = val_rmse;
        s->epoch = epoch;
        rec__params_get(&m->params, s->w);
    } else if (epoch - s->epoch >= m->es_patience) {
        *stop = 1;
    }
    return REC_OK;
}

static void es_finish(rec_model *m, snapshot *s)
{
    if (s->w && s->epoch > 0)
        rec__params_set(&m->params, s->w);
    rec__free(s->w);
    memset(s, 0, sizeof *s);
}

rec_status rec_model_fit(rec_model *m, rec_optimizer *opt, const rec_dataset *train,
                         const rec_dataset *val, uint32_t epochs, size_t batch_size,
                         size_t eval_batch_size, rec_epoch_fn on_epoch, void *payload)
{
    static const char fn[] = "rec_model_fit";
    rec_status rc = check_train_args(m, opt, train, batch_size, fn);
    if (rc)
        return rc;
    if (val && (eval_batch_size == 0 || eval_batch_size > (1u << 24)))
        return rec__error(REC_EINVAL, "%s: eval_batch_size %zu is outside 1..2^24", fn,
                          eval_batch_size);
    if (val && rec_dataset_size(val) == 0)
        return rec__error(REC_EINVAL, "%s: validation dataset is empty", fn);
    /* Features are computed once for the whole run, not per epoch or per batch. */
    rec__featset tfs, vfs = {0};
    if ((rc = rec__featset_build(&tfs, m, train, NULL, 0, 1, fn)))
        return rc;
    if (val && (rc = rec__featset_build(&vfs, m, val, NULL, 0, 1, fn))) {
        rec__featset_release(&tfs, m);
        return rc;
    }
    uint32_t *order = identity_order(tfs.n);
    trainer tr = {0};
    if (!order)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    else
        rc = trainer_start(&tr, m, &tfs, batch_size, fn);
    /* One pool for the whole run: training and validation share its threads. */
    snapshot best = {0};
    for (uint32_t e = 1; !rc && e <= epochs; e++) {
        double stats[REC_STAT_COUNT] = {0};
        double t0 = rec__clock_now();
        rc = epoch(m, &tr, opt, &tfs, order, batch_size, &stats[REC_STAT_LOSS],
                   &stats[REC_STAT_RMSE], fn);
        stats[REC_STAT_SECONDS] = rec__clock_now() - t0;
        stats[REC_STAT_VAL_RMSE] = stats[REC_STAT_VAL_MAE] = NAN;
        if (!rc && val)
            rc = evaluate_fs(m, tr.pool, &vfs, eval_batch_size, &stats[REC_STAT_VAL_RMSE],
                             &stats[REC_STAT_VAL_MAE], fn);
        int stop = 0; /* early stopping */
        if (!rc && val)
            rc = es_epoch(m, &best, e, stats[REC_STAT_VAL_RMSE], &stop, fn);
        if (!rc && on_epoch && on_epoch(e, stats, REC_STAT_COUNT, payload) != 0)
            break;
        if (stop)
            break;
    }
    if (rc)
        best.epoch = 0; /* a failed run keeps its weights as they are */
    es_finish(m, &best);
    trainer_stop(&tr);
    rec__free(order);
    rec__featset_release(&tfs, m);
    rec__featset_release(&vfs, m);
    return rc;
}

/* ---- threads --------------------------------------------------------------------------------- */

rec_status rec_model_set_threads(rec_model *m, uint32_t n_threads)
{
    if (!m)
        return rec__error(REC_EINVAL, "rec_model_set_threads: model is NULL");
    if (n_threads == 0 || n_threads > REC__POOL_MAX)
        return rec__error(REC_EINVAL, "rec_model_set_threads: n_threads = %u is outside 1..%u",
                          n_threads, REC__POOL_MAX);
    m->n_threads = n_threads;
    return REC_OK;
}

uint32_t rec_model_threads(const rec_model *m)
{
    return m ? m->n_threads : 0;
}
