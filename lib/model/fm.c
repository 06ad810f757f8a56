/* The BIASED_DOT and FM interactions (model.h) over a slice of a batch: forward from the
 * concatenated features x (rec__embed_forward), backward into the linear tables, the global
 * bias, the numeric factor vectors, and ∂L/∂x for the embedding tables (which
 * rec__embed_backward then spreads over their rows, bags included).
 *
 * For example b, with g_b = ∂L/∂ŷ_b:
 *   linear term b_f: CATEGORICAL/BUCKETIZED lin[key]; TEXT/LIST the pooled lin over the bag
 *     (weight 1/c or 1/√c per row); NUMERIC w_f·x_f. ∂b_f/∂lin[row] = 1 (the pooling weight
 *     for each of a bag's rows), ∂b_f/∂w_f = x_f.
 *   ∂ŷ/∂w₀ = 1.
 *   BIASED_DOT: the dot product of the two halves u, v of x: ∂L/∂u = g·v, ∂L/∂v = g·u.
 *   FM: S_k = Σ_f e_fk, ŷ ∋ ½ Σ_k (S_k² − Σ_f e_fk²), so ∂ŷ/∂e_fk = S_k − e_fk; for NUMERIC
 *     e_f = x_f v_f, ∂ŷ/∂v_fk = x_f (S_k − e_fk).
 * The gradients of w₀, the linear tables and the numeric factor vectors go straight into the
 * parameters on thread 0 (or one thread), into the thread's private rows on the others. */
#include "model/model.h"

static float linear_term(const rec_model *m, const rec__featset *fs, size_t i, uint32_t key)
{
    const rec__feature *f = &m->feats[i];
    const float *lin = rec_embedding_row(m->feats[i].lin, 0);
    switch (f->kind) {
    case REC_FEATURE_CATEGORICAL:
    case REC_FEATURE_BUCKETIZED:
        return lin[key];
    case REC_FEATURE_NUMERIC:
        return lin[0] * rec__f32_of_bits(key);
    case REC_FEATURE_TEXT:
    case REC_FEATURE_CATEGORICAL_LIST: {
        const rec__fcol *fc = &fs->cols[i];
        size_t lo = fc->bag_offsets[key], hi = fc->bag_offsets[key + 1];
        if (lo == hi)
            return 0.0f;
        float s = 0.0f;
        for (size_t j = lo; j < hi; j++)
            s += lin[fc->bag_ids[j]];
        return s * rec__bag_weight(f, hi - lo);
    }
    }
    return 0.0f;
}

/* S_k = Σ_f e_fk of example b into s (K floats); returns Σ_f Σ_k e_fk². */
static float fm_sums(const rec_model *m, const float *xb, const uint32_t *bk, size_t ld,
                     size_t b, uint32_t K, float *s)
{
    for (uint32_t k = 0; k < K; k++)
        s[k] = 0.0f;
    float q = 0.0f;
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        if (f->emb) {
            const float *e = xb + f->offset;
            for (uint32_t k = 0; k < K; k++) {
                s[k] += e[k];
                q += e[k] * e[k];
            }
        } else {
            const float v = rec__f32_of_bits(bk[i * ld + b]);
            const float *nv = rec_embedding_row(m->feats[i].nvec, 0);
            for (uint32_t k = 0; k < K; k++) {
                float e = v * nv[k];
                s[k] += e;
                q += e * e;
            }
        }
    }
    return q;
}

static uint32_t fm_dim(const rec_model *m)
{
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].emb)
            return m->feats[i].dim;
    return 0;
}

REC_CLONES
static const float *fm_forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                               size_t n, int train, size_t batch)
{
    (void)train;
    (void)batch;
    rec__embed_forward(m, fs, ws->bk, ws->cap, n, ws->x);
    const size_t W = m->width, Wu = m->width_user, ld = ws->cap;
    const float w0 = rec_embedding_row(m->w0, 0)[0];
    const int fm = m->interaction == REC_INTERACTION_FM;
    const uint32_t K = fm ? fm_dim(m) : 0;
    for (size_t b = 0; b < n; b++) {
        const float *xb = ws->x + b * W;
        float y = w0;
        for (size_t i = 0; i < m->n_feats; i++)
            y += linear_term(m, fs, i, ws->bk[i * ld + b]);
        if (fm) {
            /* ½ Σ_k [S_k² − Σ_f e_fk²] (rec__model_layout keeps K ≤ REC__FM_MAX_DIM) */
            float s[REC__FM_MAX_DIM];
            float q = fm_sums(m, xb, ws->bk, ld, b, K, s);
            float p = 0.0f;
            for (uint32_t k = 0; k < K; k++)
                p += s[k] * s[k];
            y += 0.5f * (p - q);
        } else {
            float d = 0.0f;
            for (size_t k = 0; k < Wu; k++)
                d += xb[k] * xb[Wu + k];
            y += d;
        }
        ws->pred[b] = y;
    }
    return ws->pred;
}

/* ∂L/∂ of one row of a 1-wide table (a linear weight, w₀): into the parameter (r NULL) or the
 * thread's private rows. */
static inline void add_weight(rec__param *p, rec__rowgrad *r, uint32_t row, float g)
{
    if (r)
        rec__rowgrad_add1(r, row, g);
    else
        rec__param_row(p, row)[0] += g;
}

REC_CLONES
static void fm_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                        const rec__featset *fs, size_t n, float scale, const float *pred)
{
    const size_t W = m->width, Wu = m->width_user, ld = ws->cap;
    const int fm = m->interaction == REC_INTERACTION_FM;
    const uint32_t K = fm ? fm_dim(m) : 0;
    rec__param *pw0 = rec__embedding_param(m->w0);
    rec__rowgrad *rw0 = ts ? &ts->rg[m->param_w0] : NULL;
    float *gw0 = rw0 ? NULL : rec__param_row(pw0, 0);
    for (size_t b = 0; b < n; b++) {
        const float g = scale * (pred[b] - ws->by[b]);
        const float *xb = ws->x + b * W;
        float *dxb = ws->dx + b * W;
        if (rw0)
            rec__rowgrad_add1(rw0, 0, g);
        else
            gw0[0] += g;
        for (size_t i = 0; i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            rec__param *pl = rec__embedding_param(f->lin);
            rec__rowgrad *rl = ts ? &ts->rg[f->param_lin] : NULL;
            const uint32_t key = ws->bk[i * ld + b];
            switch (f->kind) {
            case REC_FEATURE_CATEGORICAL:
            case REC_FEATURE_BUCKETIZED:
                add_weight(pl, rl, key, g);
                break;
            case REC_FEATURE_NUMERIC:
                add_weight(pl, rl, 0, g * rec__f32_of_bits(key));
                break;
            case REC_FEATURE_TEXT:
            case REC_FEATURE_CATEGORICAL_LIST: {
                const rec__fcol *fc = &fs->cols[i];
                size_t lo = fc->bag_offsets[key], hi = fc->bag_offsets[key + 1];
                if (lo == hi)
                    break;
                const float gw = g * rec__bag_weight(f, hi - lo);
                for (size_t j = lo; j < hi; j++)
                    add_weight(pl, rl, fc->bag_ids[j], gw);
                break;
            }
            }
        }
        if (!fm) {
            for (size_t k = 0; k < Wu; k++) {
                dxb[k] = g * xb[Wu + k];
                dxb[Wu + k] = g * xb[k];
            }
            continue;
        }
        float sk[REC__FM_MAX_DIM];
        fm_sums(m, xb, ws->bk, ld, b, K, sk);
        for (size_t i = 0; i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            if (f->emb) {
                const float *e = xb + f->offset;
                float *de = dxb + f->offset;
                for (uint32_t k = 0; k < K; k++)
                    de[k] = g * (sk[k] - e[k]);
            } else {
                const float v = rec__f32_of_bits(ws->bk[i * ld + b]);
                rec__param *pn = rec__embedding_param(f->nvec);
                const float *nv = pn->w;
                if (ts) {
                    /* the row's terms, then added as one row */
                    float t[REC__FM_MAX_DIM];
                    for (uint32_t k = 0; k < K; k++)
                        t[k] = g * v * (sk[k] - v * nv[k]);
                    rec__rowgrad_axpy(&ts->rg[f->param_nvec], 0, t, 1.0f);
                } else {
                    float *gn = rec__param_row(pn, 0);
                    for (uint32_t k = 0; k < K; k++)
                        gn[k] += g * v * (sk[k] - v * nv[k]);
                }
                dxb[f->offset] = 0.0f; /* nothing upstream of a normalized value */
            }
        }
    }
    rec__embed_backward_slice(m, ws, ts, fs, n);
}

const rec__interaction rec__fm_ops = {"BIASED_DOT / FM", fm_forward, fm_backward};
