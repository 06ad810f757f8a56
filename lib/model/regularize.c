/* L2 regularization and dropout in training.
 *
 * L2 (rec_model_feature_set_l2, rec_model_layer_set_l2). The penalty of a group with factor λ is
 * λ·Σ w², as Keras's regularizers.l2(λ), added to the batch's mean squared error, so its
 * gradient is 2λ·w. Embedding and linear tables are penalized only in the rows the batch
 * touched (the sparse convention of matrix-factorization SGD: a row is pulled toward 0 when it
 * is used, in proportion to how often), a numeric feature's factor vector with its feature's
 * embedding factor; a dense layer's whole kernel every batch (Keras's kernel_regularizer; biases
 * are not penalized, nor is the global bias w₀).
 *
 * Dropout (rec_model_layer_set_dropout): inverted dropout on a hidden layer's output in
 * training only: each unit is zeroed with probability p and the others scaled by 1/(1 − p), so
 * evaluation and prediction use the layer unchanged. The masks come from a generator seeded by
 * the model's seed at build; a run is reproducible. */
#include "model/model.h"

int rec__regularize_has_dropout(const rec_model *m)
{
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->layers[l].dropout > 0.0f)
            return 1;
    return 0;
}

int rec__regularize_has_l2(const rec_model *m)
{
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].l2_emb > 0.0f || m->feats[i].l2_lin > 0.0f)
            return 1;
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->layers[l].l2 > 0.0f)
            return 1;
    return 0;
}

const float *rec__regularize_drop(const rec_model *m, rec__workspace *ws, size_t l,
                                  const float *act, size_t n)
{
    const float p = m->layers[l].dropout;
    if (!(p > 0.0f))
        return act;
    /* inverted dropout: keep with probability 1 − p, scaled by 1/(1 − p) */
    const float keep = 1.0f / (1.0f - p);
    const size_t total = n * m->layers[l].units;
    float *mask = ws->mask[l], *out = ws->drop[l];
    for (size_t i = 0; i < total; i++) {
        mask[i] = rec__rng_uniform(ws->drop_rng) < p ? 0.0f : keep;
        out[i] = act[i] * mask[i];
    }
    return out;
}

const float *rec__regularize_layer_input(const rec_model *m, const rec__workspace *ws, size_t l)
{
    if (l == 0)
        return ws->x;
    return m->layers[l - 1].dropout > 0.0f ? ws->drop[l - 1] : ws->act[l - 1];
}

void rec__regularize_drop_back(const rec_model *m, const rec__workspace *ws, size_t l,
                               float *dact, size_t n)
{
    if (!(m->layers[l].dropout > 0.0f))
        return;
    const size_t total = n * m->layers[l].units;
    const float *mask = ws->mask[l];
    for (size_t i = 0; i < total; i++)
        dact[i] *= mask[i];
}

void rec__regularize_l2(rec_model *m)
{
    const rec__params *ps = &m->params;
    for (size_t i = 0; i < ps->n; i++) {
        const rec__params_entry *e = &ps->e[i];
        if (e->p->row_dim)
            rec__regularize_l2_rows(e, e->p->touched, e->p->n_touched);
        else
            rec__regularize_l2_range(e, 0, e->p->n);
    }
}

/* g += 2λ·w */
void rec__regularize_l2_range(const rec__params_entry *e, size_t lo, size_t hi)
{
    const float lambda = e->l2 ? *e->l2 : 0.0f;
    if (!(lambda > 0.0f))
        return;
    const float c = 2.0f * lambda;
    rec__param *p = e->p;
    for (size_t i = lo; i < hi; i++)
        p->g[i] += c * p->w[i];
}

void rec__regularize_l2_rows(const rec__params_entry *e, const uint32_t *rows, size_t k)
{
    const float lambda = e->l2 ? *e->l2 : 0.0f;
    if (!(lambda > 0.0f))
        return;
    const float c = 2.0f * lambda;
    rec__param *p = e->p;
    const uint32_t d = p->row_dim;
    for (size_t i = 0; i < k; i++) {
        float *g = p->g + (size_t)rows[i] * d;
        const float *w = p->w + (size_t)rows[i] * d;
        for (uint32_t j = 0; j < d; j++)
            g[j] += c * w[j];
    }
}
