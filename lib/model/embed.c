/* The feature layer: each feature's vector from its record (an embedding row, the pooled rows
 * of a bag, or a NUMERIC value) into the concatenated input x, and ∂L/∂x back to the
 * embedding tables as sparse row gradients, into the parameters or a thread's private rows
 * (indexed by the table's entry in the parameter list). */
#include "model/model.h"

#include <string.h>

/* Mean of the rows of one bag (Keras masked GlobalAveragePooling1D: padding was dropped when
 * the bag was built; an empty bag gives zeros where Keras would give NaN). Summed in token
 * order from the first row, then scaled by 1/c when c > 1 (1/√c for REC_POOLING_SQRTN). */
static inline void bag_mean(const rec__feature *f, float *restrict dst,
                            const float *restrict w, uint32_t dim, const uint32_t *ids,
                            size_t lo, size_t hi)
{
    if (lo == hi) {
        memset(dst, 0, dim * sizeof *dst);
        return;
    }
    rec__row_copy(dst, w + (size_t)ids[lo] * dim, dim);
    for (size_t j = lo + 1; j < hi; j++)
        rec__row_add(dst, w + (size_t)ids[j] * dim, dim);
    if (hi - lo > 1) {
        float inv = rec__bag_weight(f, hi - lo);
        for (uint32_t k = 0; k < dim; k++)
            dst[k] *= inv;
    }
}

REC_CLONES
void rec__embed_forward(const rec_model *m, const rec__featset *fs, const uint32_t *bk,
                        size_t ld, size_t count, float *x)
{
    const size_t width = m->width;
    /* feature-outer: one table at a time stays hot in cache across the batch */
    for (size_t fi = 0; fi < m->n_feats; fi++) {
        const rec__feature *f = &m->feats[fi];
        const rec__fcol *fc = &fs->cols[fi];
        const uint32_t dim = f->dim;
        const float *w = f->emb ? rec_embedding_row(f->emb, 0) : NULL;
        float *dst = x + f->offset;
        const uint32_t *keys = bk + fi * ld;
        switch (f->kind) {
        case REC_FEATURE_CATEGORICAL:
        case REC_FEATURE_BUCKETIZED:
            for (size_t b = 0; b < count; b++, dst += width)
                rec__row_copy(dst, w + (size_t)keys[b] * dim, dim);
            break;
        case REC_FEATURE_NUMERIC:
            for (size_t b = 0; b < count; b++, dst += width)
                dst[0] = rec__f32_of_bits(keys[b]);
            break;
        case REC_FEATURE_TEXT:
        case REC_FEATURE_CATEGORICAL_LIST:
            for (size_t b = 0; b < count; b++, dst += width) {
                uint32_t bag = keys[b];
                bag_mean(f, dst, w, dim, fc->bag_ids, fc->bag_offsets[bag],
                         fc->bag_offsets[bag + 1]);
            }
            break;
        }
    }
}

/* A parameter's sparse-gradient bookkeeping held in locals for the hot loop: a store through
 * the uint8_t touched flags may alias anything, so reading the fields through the parameter
 * would make the compiler reload them after every flag it sets. */
typedef struct touch {
    float *g;
    uint8_t *flag;
    uint32_t *list;
    size_t n;
    uint32_t dim;
} touch;

static inline float *touch_row(touch *t, uint32_t row)
{
    if (!t->flag[row]) {
        t->flag[row] = 1;
        t->list[t->n++] = row;
    }
    return t->g + (size_t)row * t->dim;
}

REC_CLONES
void rec__embed_backward(rec_model *m, const rec__featset *fs, const uint32_t *bk,
                         size_t ld, size_t count, const float *dx)
{
    const size_t width = m->width;
    for (size_t fi = 0; fi < m->n_feats; fi++) {
        rec__feature *f = &m->feats[fi];
        if (!f->emb)
            continue; /* NUMERIC: no parameters */
        const rec__fcol *fc = &fs->cols[fi];
        const uint32_t dim = f->dim;
        rec__param *p = rec__embedding_param(f->emb);
        touch t = {p->g, p->is_touched, p->touched, p->n_touched, dim};
        const uint32_t *keys = bk + fi * ld;
        const float *src = dx + f->offset;
        if (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_BUCKETIZED) {
            /* ∂L/∂E[id] += ∂L/∂x (rows repeated in the batch add up) */
            for (size_t b = 0; b < count; b++, src += width)
                rec__row_add(touch_row(&t, keys[b]), src, dim);
        } else {
            /* mean of c rows: each of them gets ∂L/∂x / c */
            const size_t *off = fc->bag_offsets;
            const uint32_t *bag_ids = fc->bag_ids;
            for (size_t b = 0; b < count; b++, src += width) {
                uint32_t bag = keys[b];
                size_t lo = off[bag], hi = off[bag + 1];
                if (lo == hi)
                    continue;
                float inv = rec__bag_weight(f, hi - lo);
                for (size_t j = lo; j < hi; j++)
                    rec__row_axpy(touch_row(&t, bag_ids[j]), src, inv, dim);
            }
        }
        p->n_touched = t.n;
    }
}

REC_CLONES
void rec__embed_backward_private(const rec_model *m, const rec__featset *fs,
                                 const uint32_t *bk, size_t ld, size_t count,
                                 const float *dx, rec__rowgrad *rg)
{
    const size_t width = m->width;
    for (size_t fi = 0; fi < m->n_feats; fi++) {
        const rec__feature *f = &m->feats[fi];
        if (!f->emb)
            continue;
        const rec__fcol *fc = &fs->cols[fi];
        rec__rowgrad *r = &rg[f->param_emb];
        const float *src = dx + f->offset;
        const uint32_t *keys = bk + fi * ld;
        if (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_BUCKETIZED) {
            for (size_t b = 0; b < count; b++, src += width)
                rec__rowgrad_axpy(r, keys[b], src, 1.0f);
            continue;
        }
        for (size_t b = 0; b < count; b++, src += width) {
            uint32_t bag = keys[b];
            size_t lo = fc->bag_offsets[bag], hi = fc->bag_offsets[bag + 1];
            if (lo == hi)
                continue;
            float inv = rec__bag_weight(f, hi - lo);
            for (size_t j = lo; j < hi; j++)
                rec__rowgrad_axpy(r, fc->bag_ids[j], src, inv);
        }
    }
}

void rec__embed_backward_slice(rec_model *m, const rec__workspace *ws, rec__tstate *ts,
                               const rec__featset *fs, size_t n)
{
    if (ts)
        rec__embed_backward_private(m, fs, ws->bk, ws->cap, n, ws->dx, ts->rg);
    else
        rec__embed_backward(m, fs, ws->bk, ws->cap, n, ws->dx);
}

REC_CLONES
void rec__embed_gather(const rec_model *m, const rec__featset *fs, size_t fi,
                       const uint32_t *keys, size_t k, float *x)
{
    const rec__feature *f = &m->feats[fi];
    const rec__fcol *fc = &fs->cols[fi];
    const uint32_t dim = f->dim;
    const float *w = rec_embedding_row(f->emb, 0);
    const size_t rb = dim * sizeof(float);
    if (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_BUCKETIZED) {
        for (size_t i = 0; i < k; i++, x += dim) {
            if (i + REC_AHEAD < k)
                rec__row_prefetch(w + (size_t)keys[i + REC_AHEAD] * dim, rb);
            rec__row_copy(x, w + (size_t)keys[i] * dim, dim);
        }
        return;
    }
    const size_t *off = fc->bag_offsets;
    for (size_t i = 0; i < k; i++, x += dim) {
        if (i + REC_AHEAD < k) {
            size_t lo = off[keys[i + REC_AHEAD]], hi = off[keys[i + REC_AHEAD] + 1];
            for (size_t j = lo; j < hi; j++)
                rec__row_prefetch(w + (size_t)fc->bag_ids[j] * dim, rb);
        }
        bag_mean(f, x, w, dim, fc->bag_ids, off[keys[i]], off[keys[i] + 1]);
    }
}

REC_CLONES
void rec__embed_scatter(rec_model *m, const rec__featset *fs, size_t fi,
                        const uint32_t *keys, size_t k, const float *g, rec__rowgrad *rg)
{
    rec__feature *f = &m->feats[fi];
    const rec__fcol *fc = &fs->cols[fi];
    const uint32_t dim = f->dim;
    rec__param *p = rec__embedding_param(f->emb);
    rec__rowgrad *r = rg ? &rg[f->param_emb] : NULL;
    /* the parameter's bookkeeping is thread 0's alone: other threads must not even read it */
    touch t = {0};
    if (!r)
        t = (touch){p->g, p->is_touched, p->touched, p->n_touched, dim};
    const size_t rb = dim * sizeof(float);
    if (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_BUCKETIZED) {
        /* ∂L/∂E[key] += g (keys may repeat: they add up) */
        for (size_t i = 0; i < k; i++, g += dim) {
            if (!r && i + REC_AHEAD < k)
                rec__row_prefetch(p->g + (size_t)keys[i + REC_AHEAD] * dim, rb);
            if (r)
                rec__rowgrad_axpy(r, keys[i], g, 1.0f);
            else
                rec__row_add(touch_row(&t, keys[i]), g, dim);
        }
    } else {
        /* a bag's mean over c rows: each row gets g / c */
        const size_t *off = fc->bag_offsets;
        const uint32_t *bag_ids = fc->bag_ids;
        for (size_t i = 0; i < k; i++, g += dim) {
            if (!r && i + REC_AHEAD < k) {
                size_t plo = off[keys[i + REC_AHEAD]], phi = off[keys[i + REC_AHEAD] + 1];
                for (size_t j = plo; j < phi; j++)
                    rec__row_prefetch(p->g + (size_t)bag_ids[j] * dim, rb);
            }
            size_t lo = off[keys[i]], hi = off[keys[i] + 1];
            if (lo == hi)
                continue;
            float inv = rec__bag_weight(f, hi - lo);
            for (size_t j = lo; j < hi; j++) {
                if (r)
                    rec__rowgrad_axpy(r, bag_ids[j], g, inv);
                else
                    rec__row_axpy(touch_row(&t, bag_ids[j]), g, inv, dim);
            }
        }
    }
    if (!r)
        p->n_touched = t.n;
}
