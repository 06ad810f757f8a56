/* One forward and backward pass over a slice of a batch: the examples' records gathered
 * (rec__featset_gather), the features, the interaction, and the gradients back into the
 * parameters or a thread's private buffers. Every training path and every evaluation runs its
 * examples through these (the fast paths of lib/train have their own for their shapes).
 *
 * Loss over a batch of B examples: L = (1/B) Σ_b (ŷ_b − y_b)², so ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B.
 * DOT:  ŷ_b = Σ_k u_bk v_bk  →  ∂L/∂u_bk = ∂L/∂ŷ_b · v_bk,  ∂L/∂v_bk = ∂L/∂ŷ_b · u_bk.
 * MLP:  ŷ_b = last layer's output; each dense layer back-propagates (rec__dense_backward_raw).
 * BIASED_DOT, FM: fm.c. Then ∂L/∂x reaches the embedding tables as sparse row gradients
 * (embed.c). In training the first dense layer of an MLP works per feature over the slice's
 * distinct keys when keys repeat (layer0.c: the same gradient with a third of the multiply-adds
 * on MovieLens 100K), and a one-unit head is fused into its passes over the examples.
 * Evaluation and prediction keep the plain layer-by-layer path, with products whose rows do
 * not depend on each other (rec__rows_nn), so that a prediction does not depend, even in the
 * last bit, on the other examples of its batch. */
#include "model/model.h"

/* Predictions of examples idx[0..n) of fs; returns the n predictions (inside ws). Training
 * (train != 0) may run layer 0 feature by feature; evaluation and prediction never do, so
 * that an example's prediction does not depend, even in the last bit, on the other examples
 * of its batch (the feature-by-feature sums round differently). */
REC_CLONES
const float *rec__pass_forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                               const uint32_t *idx, size_t n, int train, size_t batch)
{
    /* the slice's records, once, into small sequential arrays */
    rec__featset_gather(m, fs, idx, n, ws->bk, ws->cap, fs->has_labels ? ws->by : NULL);
    size_t fu, fv;
    if (rec__dot_pair(m, &fu, &fv)) {
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
        rec__layer0_forward(m, ws, fs, n, rec__model_has_head(m) ? ws->act[1] : NULL,
                            2.0f / (float)batch);
        if (rec__model_has_head(m))
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
void rec__pass_errors(const float *pred, const float *labels, size_t n, double *sse,
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
void rec__pass_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                        const rec__featset *fs, size_t n, size_t B, const float *pred)
{
    /* ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B, B the whole batch: slices add up to the batch gradient */
    const float scale = 2.0f / (float)B;
    size_t fu, fv;
    if (rec__dot_pair(m, &fu, &fv)) {
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
            if (ws->by_feature && (l == 0 || (l == 1 && rec__model_has_head(m)))) {
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
