/* The DOT interaction, ŷ_b = ⟨u_b, v_b⟩ of the user side's and the item side's concatenated
 * features, with ∂L/∂u_b = g_b·v_b and ∂L/∂v_b = g_b·u_b for g_b = ∂L/∂ŷ_b = 2 (ŷ_b − y_b)/B.
 * Two ops tables (model.h): the general one over the concatenation, and the user-item pair of
 * plain lookups (the dot preset, rec__dot_pair), which reads the two embedding rows directly. */
#include "model/model.h"

/* ---- the pair of lookups ------------------------------------------------------------------- */

/* The user and the item feature of the pair (rec__dot_pair holds: the ops were chosen so). */
static inline void pair_sides(const rec_model *m, size_t *fu, size_t *fv)
{
    *fu = m->feats[0].side == REC_SIDE_USER ? 0 : 1;
    *fv = 1 - *fu;
}

REC_CLONES
static const float *pair_forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                                 size_t n, int train, size_t batch)
{
    (void)fs;
    (void)train;
    (void)batch;
    size_t fu, fv;
    pair_sides(m, &fu, &fv);
    const uint32_t d = m->feats[fu].dim;
    const float *wu = rec_embedding_row(m->feats[fu].emb, 0);
    const float *wv = rec_embedding_row(m->feats[fv].emb, 0);
    const uint32_t *iu = ws->bk + fu * ws->cap, *iv = ws->bk + fv * ws->cap;
    for (size_t b = 0; b < n; b++)
        ws->pred[b] = rec__row_dot(wu + (size_t)iu[b] * d, wv + (size_t)iv[b] * d, d);
    return ws->pred;
}

REC_CLONES
static void pair_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                          const rec__featset *fs, size_t n, float scale, const float *pred)
{
    (void)fs;
    size_t fu, fv;
    pair_sides(m, &fu, &fv);
    const uint32_t d = m->feats[fu].dim;
    rec__param *pu = rec__embedding_param(m->feats[fu].emb);
    rec__param *pv = rec__embedding_param(m->feats[fv].emb);
    const uint32_t *iu = ws->bk + fu * ws->cap, *iv = ws->bk + fv * ws->cap;
    if (ts) {
        rec__rowgrad *ru_g = &ts->rg[m->feats[fu].param_emb],
                     *rv_g = &ts->rg[m->feats[fv].param_emb];
        for (size_t b = 0; b < n; b++) {
            uint32_t ru = iu[b], rv = iv[b];
            const float g = scale * (pred[b] - ws->by[b]);
            /* ∂L/∂E_u[ru] += g·v, ∂L/∂E_v[rv] += g·u */
            rec__rowgrad_axpy(ru_g, ru, pv->w + (size_t)rv * d, g);
            rec__rowgrad_axpy(rv_g, rv, pu->w + (size_t)ru * d, g);
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
}

const rec__interaction rec__dot_pair_ops = {"DOT (a pair of lookups)", pair_forward,
                                            pair_backward};

/* ---- over the concatenation -------------------------------------------------------------- */

REC_CLONES
static const float *dot_forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                                size_t n, int train, size_t batch)
{
    (void)train;
    (void)batch;
    rec__embed_forward(m, fs, ws->bk, ws->cap, n, ws->x);
    const size_t W = m->width, Wu = m->width_user;
    for (size_t b = 0; b < n; b++) {
        const float *u = ws->x + b * W;
        ws->pred[b] = rec__row_dot(u, u + Wu, Wu);
    }
    return ws->pred;
}

REC_CLONES
static void dot_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                         const rec__featset *fs, size_t n, float scale, const float *pred)
{
    const size_t W = m->width, Wu = m->width_user;
    for (size_t b = 0; b < n; b++) {
        const float *u = ws->x + b * W, *v = u + Wu;
        float *du = ws->dx + b * W, *dv = du + Wu;
        const float g = scale * (pred[b] - ws->by[b]);
        for (size_t k = 0; k < Wu; k++) {
            du[k] = g * v[k];
            dv[k] = g * u[k];
        }
    }
    rec__embed_backward_slice(m, ws, ts, fs, n);
}

const rec__interaction rec__dot_ops = {"DOT", dot_forward, dot_backward};
