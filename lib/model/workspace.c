/* The scratch of forward and backward passes (rec__workspace, model.h) and the per-thread state
 * of training on T > 1 threads (rec__tstate), owned by the model for training and made per call
 * by evaluation and prediction. Everything is sized once and grows only, so that steady-state
 * training allocates nothing per batch. */
#include "model/model.h"

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

/* Whether ws has a dropout mask for every layer that has a rate (rates may be set after
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
                                      (ws->l0 || cap < REC__LAYER0_MIN ||
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
        cap >= REC__LAYER0_MIN) {
        ws->l0 = rec__calloc(m->n_feats ? m->n_feats : 1, sizeof *ws->l0);
        ws->fp_g = rec__malloc_lines(cap * sizeof *ws->fp_g);
        ws->fp_relu = rec__malloc_lines(cap * sizeof *ws->fp_relu);
        ws->fp_w1 = rec__malloc_lines(m->layers[0].units * sizeof *ws->fp_w1);
        ok = ws->l0 && ws->fp_g && ws->fp_relu && ws->fp_w1;
        for (size_t i = 0; ok && i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            rec__l0 *l = &ws->l0[i];
            if (!f->emb) { /* NUMERIC: its row of ∂W₀, summed over a slice (layer0.c) */
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
rec_status rec__workspace_reserve_keys(rec__workspace *ws, const rec_model *m,
                                       const rec__featset *fs, const char *fn)
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
    for (size_t e = 0; e < ts->n_entries; e++) {
        if (ts->dg)
            rec__free(ts->dg[e]);
        if (ts->rg)
            rowgrad_release(&ts->rg[e]);
        if (ts->owned)
            rec__free(ts->owned[e]);
    }
    rec__free(ts->dg);
    rec__free(ts->rg);
    rec__free(ts->owned);
    rec__free(ts->n_owned);
    memset(ts, 0, sizeof *ts);
}

rec_status rec__workspace_oom(const char *fn)
{
    return rec__error(REC_ENOMEM, "%s: out of memory for the training threads' buffers", fn);
}

/* Allocate thread t's fixed-size buffers (everything but the workspace and row capacity), one
 * per entry of the parameter list: the rows of a table it owns, and for t ≥ 1 a private
 * gradient of each dense entry and a private row gradient of each table. */
static rec_status tstate_init(rec__tstate *ts, const rec_model *m, uint32_t t, const char *fn)
{
    const rec__params *ps = &m->params;
    const size_t ne = ps->n ? ps->n : 1;
    ts->n_entries = ps->n;
    ts->owned = rec__calloc(ne, sizeof *ts->owned);
    ts->n_owned = rec__calloc(ne, sizeof *ts->n_owned);
    if (!ts->owned || !ts->n_owned)
        return rec__workspace_oom(fn);
    for (size_t e = 0; e < ps->n; e++) {
        const rec__param *p = ps->e[e].p;
        if (!p->row_dim)
            continue;
        ts->owned[e] = rec__malloc((p->n / p->row_dim) * sizeof(uint32_t));
        if (!ts->owned[e])
            return rec__workspace_oom(fn);
    }
    if (t == 0)
        return REC_OK;
    ts->dg = rec__calloc(ne, sizeof *ts->dg);
    ts->rg = rec__calloc(ne, sizeof *ts->rg);
    if (!ts->dg || !ts->rg)
        return rec__workspace_oom(fn);
    for (size_t e = 0; e < ps->n; e++) {
        const rec__param *p = ps->e[e].p;
        if (!p->row_dim) {
            ts->dg[e] = rec__malloc(p->n * sizeof(float));
            if (!ts->dg[e])
                return rec__workspace_oom(fn);
            continue;
        }
        rec__rowgrad *r = &ts->rg[e];
        r->n_rows = (uint32_t)(p->n / p->row_dim);
        r->dim = p->row_dim;
        r->slot = rec__calloc(r->n_rows, sizeof *r->slot);
        if (!r->slot)
            return rec__workspace_oom(fn);
    }
    return REC_OK;
}

/* Room in thread t's private row buffers for every row a slice of `slice` examples of fs can
 * touch: for a feature's embedding or linear table at most slice × (its longest bag, at least
 * one row), and never more than the table. */
static rec_status rowgrad_reserve(rec__tstate *ts, const rec_model *m, const rec__featset *fs,
                                  size_t slice, const char *fn)
{
    const rec__params *ps = &m->params;
    for (size_t e = 0; e < ps->n; e++) {
        rec__rowgrad *r = &ts->rg[e];
        if (!ps->e[e].p->row_dim)
            continue;
        uint32_t bag = 1;
        if (ps->e[e].role == REC__PARAM_EMBEDDING || ps->e[e].role == REC__PARAM_LINEAR) {
            bag = fs->cols[ps->e[e].owner].max_bag;
            bag = bag ? bag : 1;
        }
        size_t need = slice;
        if (!rec__alloc_mul(slice, bag, &need) || need > r->n_rows)
            need = r->n_rows;
        if (need <= r->cap)
            continue;
        uint32_t *rows = rec__realloc(r->rows, need * sizeof *rows);
        if (!rows)
            return rec__workspace_oom(fn);
        r->rows = rows;
        float *g = rec__realloc(r->g, need * r->dim * sizeof *g);
        if (!g)
            return rec__workspace_oom(fn);
        r->g = g;
        r->cap = need;
    }
    return REC_OK;
}

/* Per-thread state for T > 1 threads training on slices of at most `slice` examples of fs:
 * threads 0..T−1's fixed buffers (made again when T changes), and threads 1..T−1's own
 * workspaces and private row buffers. */
rec_status rec__workspace_threads(rec_model *m, const rec__featset *fs, uint32_t T, size_t slice,
                                  const char *fn)
{
    rec__workspace *ws = &m->ws;
    rec_status rc = REC_OK;
    if (ws->n_extra != T || (ws->extra && ws->extra[0].n_entries != m->params.n)) {
        for (uint32_t t = 0; ws->extra && t < ws->n_extra; t++)
            tstate_release(&ws->extra[t], m);
        rec__free(ws->extra);
        ws->n_extra = 0;
        ws->extra = rec__calloc(T, sizeof *ws->extra);
        if (!ws->extra)
            return rec__workspace_oom(fn);
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
            rc = rec__workspace_reserve_keys(&ws->extra[t].ws, m, fs, fn);
        if (!rc)
            rc = rowgrad_reserve(&ws->extra[t], m, fs, slice, fn);
    }
    return rc;
}
