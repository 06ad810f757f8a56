/* The model's extension state (model_ext.h): its life cycle, the settings of L2
 * regularization, dropout and early stopping, and what training does with them.
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
 * the model's seed at build; a run is reproducible.
 *
 * Early stopping (rec_model_set_early_stopping): rec_model_fit keeps the weights of the epoch
 * with the lowest validation RMSE; an epoch improves on it when its RMSE is below best − δ.
 * After `patience` epochs without improvement training stops, and at the end of training
 * (stopped or not) the best weights are restored. Optimizer state is not rolled back. */
#include "model/ext.h"

#include <math.h>
#include <string.h>

rec_status rec__ext_create(rec__ext **out)
{
    *out = rec__calloc(1, sizeof **out);
    return *out ? REC_OK : REC_ENOMEM;
}

void rec__ext_free(rec__ext *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->cap_feats; i++) {
        rec_embedding_free(x->f[i].lin);
        rec_embedding_free(x->f[i].nvec);
    }
    for (size_t l = 0; x->mask && l < x->cap_layers; l++) {
        rec__free(x->mask[l]);
        rec__free(x->drop[l]);
    }
    rec__free(x->mask);
    rec__free(x->drop);
    rec__free(x->f);
    rec__free(x->l2_layer);
    rec__free(x->dropout);
    rec_embedding_free(x->w0);
    rec__free(x->samples);
    rec__free(x->classes);
    rec__free(x);
}

rec_status rec__ext_reserve(rec_model *m, const char *fn)
{
    rec__ext *x = m->ext;
    if (m->n_feats > x->cap_feats) {
        size_t cap = m->n_feats < 8 ? 8 : m->n_feats * 2;
        rec__fext *nf = rec__realloc(x->f, cap * sizeof *nf);
        if (!nf)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        memset(nf + x->cap_feats, 0, (cap - x->cap_feats) * sizeof *nf);
        x->f = nf;
        x->cap_feats = cap;
    }
    if (m->n_layers > x->cap_layers) {
        size_t cap = m->n_layers < 4 ? 4 : m->n_layers * 2;
        float *l2 = rec__realloc(x->l2_layer, cap * sizeof *l2);
        if (!l2)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        x->l2_layer = l2;
        float *dr = rec__realloc(x->dropout, cap * sizeof *dr);
        if (!dr)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        x->dropout = dr;
        float **mk = rec__realloc(x->mask, cap * sizeof *mk);
        if (!mk)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        x->mask = mk;
        float **dp = rec__realloc(x->drop, cap * sizeof *dp);
        if (!dp)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        x->drop = dp;
        for (size_t l = x->cap_layers; l < cap; l++) {
            l2[l] = dr[l] = 0.0f;
            mk[l] = dp[l] = NULL;
        }
        x->cap_layers = cap;
    }
    return REC_OK;
}

void rec__ext_release_built(rec_model *m)
{
    rec__ext *x = m->ext;
    if (!x)
        return;
    for (size_t i = 0; i < x->cap_feats; i++) {
        rec_embedding_free(x->f[i].lin);
        rec_embedding_free(x->f[i].nvec);
        x->f[i].lin = x->f[i].nvec = NULL;
    }
    for (size_t l = 0; l < x->cap_layers; l++) {
        rec__free(x->mask[l]);
        rec__free(x->drop[l]);
        x->mask[l] = x->drop[l] = NULL;
    }
    x->mask_cap = 0;
    rec_embedding_free(x->w0);
    x->w0 = NULL;
    rec__mcmc_forget(m);
}

rec_status rec__ext_build(rec_model *m, uint64_t seed, float w0_init, const char *fn)
{
    rec__ext *x = m->ext;
    rec_status rc = rec__ext_reserve(m, fn);
    if (rc)
        return rc;
    rec__rng seeds;
    rec__rng_seed(&seeds, seed);
    rec__rng_seed(&x->drop_rng, rec__rng_u64(&seeds));
    if (!rec__ext_interaction(m))
        return REC_OK;
    uint32_t K = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].emb && !K)
            K = m->feats[i].dim;
    rc = rec_embedding_create(&x->w0, 1, 1, 0);
    if (!rc)
        rec__embedding_param(x->w0)->w[0] = w0_init;
    for (size_t i = 0; i < m->n_feats && !rc; i++) {
        const rec__feature *f = &m->feats[i];
        uint32_t rows = f->emb ? rec_embedding_rows(f->emb) : 1;
        uint64_t s = rec__rng_u64(&seeds);
        /* linear weights start at 0, as the bias of a Dense layer */
        rc = rec_embedding_create(&x->f[i].lin, rows, 1, s);
        if (!rc)
            memset(rec__embedding_param(x->f[i].lin)->w, 0, rows * sizeof(float));
        /* a numeric feature's factor vector: Keras's embedding initializer, ±0.05 */
        if (!rc && !f->emb && m->interaction == REC_INTERACTION_FM)
            rc = rec_embedding_create(&x->f[i].nvec, 1, K, rec__rng_u64(&seeds));
    }
    if (rc == REC_ENOMEM || rc == REC_EINVAL)
        return rec__error(rc, "%s: %s", fn, rec_last_error());
    return rc;
}

size_t rec__ext_n_params(const rec_model *m)
{
    const rec__ext *x = m->ext;
    size_t n = x->w0 ? 1 : 0;
    for (size_t i = 0; i < m->n_feats; i++) {
        if (x->f[i].lin)
            n += rec_embedding_rows(x->f[i].lin);
        if (x->f[i].nvec)
            n += rec_embedding_dim(x->f[i].nvec);
    }
    return n;
}

int rec__ext_has_dropout(const rec_model *m)
{
    for (size_t l = 0; l < m->n_layers; l++)
        if (m->ext->dropout[l] > 0.0f)
            return 1;
    return 0;
}

static int has_l2(const rec_model *m)
{
    const rec__ext *x = m->ext;
    for (size_t i = 0; i < m->n_feats; i++)
        if (x->f[i].l2_emb > 0.0f || x->f[i].l2_lin > 0.0f)
            return 1;
    for (size_t l = 0; l < m->n_layers; l++)
        if (x->l2_layer[l] > 0.0f)
            return 1;
    return 0;
}

int rec__ext_serial(const rec_model *m)
{
    return rec__ext_interaction(m) || rec__ext_has_dropout(m) || has_l2(m);
}

rec_status rec__ext_train_prepare(rec_model *m, size_t cap, const char *fn)
{
    rec__ext *x = m->ext;
    if (!rec__ext_has_dropout(m) || cap <= x->mask_cap)
        return REC_OK;
    for (size_t l = 0; l < m->n_layers; l++) {
        rec__free(x->mask[l]);
        rec__free(x->drop[l]);
        x->mask[l] = x->drop[l] = NULL;
        if (x->dropout[l] <= 0.0f)
            continue;
        size_t n;
        if (!rec__alloc_mul(cap, m->units[l], &n))
            return rec__error(REC_EINVAL, "%s: batch of %zu examples is too large", fn, cap);
        x->mask[l] = rec__malloc(n * sizeof(float));
        x->drop[l] = rec__malloc(n * sizeof(float));
        if (!x->mask[l] || !x->drop[l]) {
            x->mask_cap = 0;
            return rec__error(REC_ENOMEM, "%s: out of memory for dropout masks", fn);
        }
    }
    x->mask_cap = cap;
    return REC_OK;
}

const float *rec__ext_dropout_forward(const rec_model *m, size_t l, const float *act,
                                      size_t n)
{
    rec__ext *x = m->ext;
    const float p = x->dropout[l];
    if (!(p > 0.0f))
        return act;
    /* inverted dropout: keep with probability 1 − p, scaled by 1/(1 − p) */
    const float keep = 1.0f / (1.0f - p);
    const size_t total = n * m->units[l];
    float *mask = x->mask[l], *out = x->drop[l];
    for (size_t i = 0; i < total; i++) {
        mask[i] = rec__rng_uniform(&x->drop_rng) < p ? 0.0f : keep;
        out[i] = act[i] * mask[i];
    }
    return out;
}

const float *rec__ext_layer_input(const rec_model *m, const rec__workspace *ws, size_t l)
{
    if (l == 0)
        return ws->x;
    return m->ext->dropout[l - 1] > 0.0f ? m->ext->drop[l - 1] : ws->act[l - 1];
}

void rec__ext_dropout_backward(const rec_model *m, size_t l, float *dact, size_t n)
{
    const rec__ext *x = m->ext;
    if (!(x->dropout[l] > 0.0f))
        return;
    const size_t total = n * m->units[l];
    const float *mask = x->mask[l];
    for (size_t i = 0; i < total; i++)
        dact[i] *= mask[i];
}

/* g += 2λ·w over a table's touched rows. */
static void l2_rows(rec__param *p, float lambda)
{
    if (!(lambda > 0.0f))
        return;
    const float c = 2.0f * lambda;
    const uint32_t d = p->row_dim;
    for (size_t t = 0; t < p->n_touched; t++) {
        size_t off = (size_t)p->touched[t] * d;
        for (uint32_t k = 0; k < d; k++)
            p->g[off + k] += c * p->w[off + k];
    }
}

void rec__ext_regularize(rec_model *m)
{
    const rec__ext *x = m->ext;
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__fext *fx = &x->f[i];
        if (m->feats[i].emb)
            l2_rows(rec__embedding_param(m->feats[i].emb), fx->l2_emb);
        if (fx->nvec)
            l2_rows(rec__embedding_param(fx->nvec), fx->l2_emb);
        if (fx->lin)
            l2_rows(rec__embedding_param(fx->lin), fx->l2_lin);
    }
    for (size_t l = 0; l < m->n_layers; l++) {
        const float lambda = x->l2_layer[l];
        if (!(lambda > 0.0f))
            continue;
        rec__param *k = rec__dense_kernel(m->layers[l]);
        const float c = 2.0f * lambda;
        for (size_t i = 0; i < k->n; i++)
            k->g[i] += c * k->w[i];
    }
}

rec_status rec__ext_apply(rec_model *m, rec_optimizer *opt)
{
    rec__ext *x = m->ext;
    rec_status rc = REC_OK;
    if (x->w0)
        rc = rec_optimizer_update_embedding(opt, x->w0);
    for (size_t i = 0; i < m->n_feats && !rc; i++) {
        if (x->f[i].lin)
            rc = rec_optimizer_update_embedding(opt, x->f[i].lin);
        if (!rc && x->f[i].nvec)
            rc = rec_optimizer_update_embedding(opt, x->f[i].nvec);
    }
    return rc;
}

/* ---- every weight, for early stopping's snapshots ------------------------------------------ */

/* Visit every parameter in a fixed order: feature tables, dense layers, the extension's. */
typedef void (*param_fn)(rec__param *p, void *ctx);

static void each_param(const rec_model *m, param_fn fn, void *ctx)
{
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].emb)
            fn(rec__embedding_param(m->feats[i].emb), ctx);
    for (size_t l = 0; l < m->n_layers; l++) {
        fn(rec__dense_kernel(m->layers[l]), ctx);
        fn(rec__dense_bias(m->layers[l]), ctx);
    }
    const rec__ext *x = m->ext;
    if (x->w0)
        fn(rec__embedding_param(x->w0), ctx);
    for (size_t i = 0; i < m->n_feats; i++) {
        if (x->f[i].lin)
            fn(rec__embedding_param(x->f[i].lin), ctx);
        if (x->f[i].nvec)
            fn(rec__embedding_param(x->f[i].nvec), ctx);
    }
}

static void count_fn(rec__param *p, void *ctx)
{
    *(size_t *)ctx += p->n;
}

typedef struct cursor {
    float *w;
    int out;
} cursor;

static void copy_fn(rec__param *p, void *ctx)
{
    cursor *c = ctx;
    if (c->out)
        memcpy(c->w, p->w, p->n * sizeof *p->w);
    else
        memcpy(p->w, c->w, p->n * sizeof *p->w);
    c->w += p->n;
}

size_t rec__ext_weights_count(const rec_model *m)
{
    size_t n = 0;
    each_param(m, count_fn, &n);
    return n;
}

void rec__ext_weights_get(const rec_model *m, float *w)
{
    cursor c = {w, 1};
    each_param(m, copy_fn, &c);
}

void rec__ext_weights_set(rec_model *m, const float *w)
{
    cursor c = {(float *)w, 0};
    each_param(m, copy_fn, &c);
}

rec_status rec__ext_es_epoch(rec_model *m, rec__snapshot *s, uint32_t epoch, double val_rmse,
                             int *stop, const char *fn)
{
    const rec__ext *x = m->ext;
    *stop = 0;
    if (x->es_patience == 0 || !isfinite(val_rmse))
        return REC_OK;
    if (!s->w) {
        s->n = rec__ext_weights_count(m);
        s->w = rec__malloc((s->n ? s->n : 1) * sizeof *s->w);
        if (!s->w)
            return rec__error(REC_ENOMEM, "%s: out of memory for the best weights", fn);
        s->epoch = 0;
    }
    if (s->epoch == 0 || val_rmse < s->best - x->es_min_delta) {
        s->best = val_rmse;
        s->epoch = epoch;
        rec__ext_weights_get(m, s->w);
    } else if (epoch - s->epoch >= x->es_patience) {
        *stop = 1;
    }
    return REC_OK;
}

void rec__ext_es_finish(rec_model *m, rec__snapshot *s)
{
    if (s->w && s->epoch > 0)
        rec__ext_weights_set(m, s->w);
    rec__free(s->w);
    memset(s, 0, sizeof *s);
}

/* ---- public setters -------------------------------------------------------------------------- */

static rec_status check_lambda(float v, const char *what, const char *fn)
{
    if (!(v >= 0.0f) || !isfinite(v))
        return rec__error(REC_EINVAL, "%s: %s = %g must be >= 0 and finite", fn, what,
                          (double)v);
    return REC_OK;
}

rec_status rec_model_feature_set_l2(rec_model *m, uint32_t feature, float l2_embedding,
                                    float l2_linear)
{
    static const char fn[] = "rec_model_feature_set_l2";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (feature >= m->n_feats)
        return rec__error(REC_EINVAL, "%s: feature %u does not exist (%zu features)", fn,
                          feature, m->n_feats);
    rec_status rc = check_lambda(l2_embedding, "l2_embedding", fn);
    if (!rc)
        rc = check_lambda(l2_linear, "l2_linear", fn);
    if (!rc)
        rc = rec__ext_reserve(m, fn);
    if (rc)
        return rc;
    m->ext->f[feature].l2_emb = l2_embedding;
    m->ext->f[feature].l2_lin = l2_linear;
    return REC_OK;
}

rec_status rec_model_layer_set_l2(rec_model *m, size_t layer, float l2)
{
    static const char fn[] = "rec_model_layer_set_l2";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (layer >= m->n_layers)
        return rec__error(REC_EINVAL, "%s: layer %zu does not exist (%zu layers)", fn, layer,
                          m->n_layers);
    rec_status rc = check_lambda(l2, "l2", fn);
    if (!rc)
        rc = rec__ext_reserve(m, fn);
    if (rc)
        return rc;
    m->ext->l2_layer[layer] = l2;
    return REC_OK;
}

rec_status rec_model_layer_set_dropout(rec_model *m, size_t layer, float rate)
{
    static const char fn[] = "rec_model_layer_set_dropout";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (layer >= m->n_layers)
        return rec__error(REC_EINVAL, "%s: layer %zu does not exist (%zu layers)", fn, layer,
                          m->n_layers);
    if (layer + 1 == m->n_layers)
        return rec__error(REC_EINVAL, "%s: layer %zu is the output layer; dropout applies to "
                          "hidden layers", fn, layer);
    if (!(rate >= 0.0f && rate < 1.0f))
        return rec__error(REC_EINVAL, "%s: rate = %g must be in [0, 1)", fn, (double)rate);
    rec_status rc = rec__ext_reserve(m, fn);
    if (rc)
        return rc;
    m->ext->dropout[layer] = rate;
    /* masks are sized for the rates in force: make the next training allocate them again */
    m->ext->mask_cap = 0;
    return REC_OK;
}

rec_status rec_model_set_likelihood(rec_model *m, rec_likelihood likelihood)
{
    static const char fn[] = "rec_model_set_likelihood";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if ((unsigned)likelihood > REC_LIKELIHOOD_ORDERED_PROBIT)
        return rec__error(REC_EINVAL, "%s: unknown likelihood %d", fn, (int)likelihood);
    m->ext->likelihood = likelihood;
    return REC_OK;
}

rec_status rec_model_set_early_stopping(rec_model *m, uint32_t patience, double min_delta)
{
    static const char fn[] = "rec_model_set_early_stopping";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!(min_delta >= 0.0) || !isfinite(min_delta))
        return rec__error(REC_EINVAL, "%s: min_delta = %g must be >= 0 and finite", fn,
                          min_delta);
    m->ext->es_patience = patience;
    m->ext->es_min_delta = min_delta;
    return REC_OK;
}
