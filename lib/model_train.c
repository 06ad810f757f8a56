/* Forward, backward, training loops, evaluation and prediction of ranking models.
 *
 * Loss over a batch of B examples: L = (1/B) Σ_b (ŷ_b − y_b)², so ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B.
 * DOT:  ŷ_b = Σ_k u_bk v_bk  →  ∂L/∂u_bk = ∂L/∂ŷ_b · v_bk,  ∂L/∂v_bk = ∂L/∂ŷ_b · u_bk.
 * MLP:  ŷ_b = last layer's output; each dense layer back-propagates (rec_dense_backward).
 * Then ∂L/∂x reaches the embedding tables as sparse row gradients (model_features.c).
 * Computing gradients and applying them are separate steps, so that data-parallel training
 * can sum the gradients of several processes in between. */
#include "model_internal.h"

#include <math.h>
#include <string.h>

/* ---- workspace ------------------------------------------------------------------------------ */

void rec__workspace_release(rec__workspace *ws, const rec_model *m)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        if (ws->act)
            rec__free(ws->act[l]);
        if (ws->dact)
            rec__free(ws->dact[l]);
    }
    rec__free(ws->act);
    rec__free(ws->dact);
    rec__free(ws->x);
    rec__free(ws->dx);
    rec__free(ws->pred);
    rec__free(ws->dpred);
    memset(ws, 0, sizeof *ws);
}

/* Make room for batches of cap examples. Grows only, so steady-state training allocates
 * nothing per batch. */
rec_status rec__workspace_reserve(rec__workspace *ws, const rec_model *m, size_t cap)
{
    if (cap <= ws->cap)
        return REC_OK;
    rec__workspace_release(ws, m);
    size_t xs;
    if (!rec__mul_size(cap, m->width, &xs) || xs > SIZE_MAX / sizeof(float))
        return rec__error(REC_EINVAL, "batch of %zu examples is too large", cap);
    ws->x = rec__malloc(xs * sizeof(float));
    ws->dx = rec__malloc(xs * sizeof(float));
    ws->pred = rec__malloc(cap * sizeof(float));
    ws->dpred = rec__malloc(cap * sizeof(float));
    ws->act = rec__calloc(m->n_layers ? m->n_layers : 1, sizeof(float *));
    ws->dact = rec__calloc(m->n_layers ? m->n_layers : 1, sizeof(float *));
    int ok = ws->x && ws->dx && ws->pred && ws->dpred && ws->act && ws->dact;
    for (size_t l = 0; ok && l < m->n_layers; l++) {
        ws->act[l] = rec__malloc(cap * m->units[l] * sizeof(float));
        ws->dact[l] = rec__malloc(cap * m->units[l] * sizeof(float));
        ok = ws->act[l] && ws->dact[l];
    }
    if (!ok) {
        rec__workspace_release(ws, m);
        return rec__error(REC_ENOMEM, "out of memory for a batch of %zu examples", cap);
    }
    ws->cap = cap;
    return REC_OK;
}

/* ---- one batch ----------------------------------------------------------------------------- */

static void forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                    const uint32_t *idx, size_t B)
{
    rec__features_forward(m, fs, idx, B, ws->x);
    const size_t W = m->width, Wu = m->width_user;
    if (m->interaction == REC_INTERACTION_DOT) {
        for (size_t b = 0; b < B; b++) {
            const float *u = ws->x + b * W, *v = u + Wu;
            float s = 0.0f;
            for (size_t k = 0; k < Wu; k++)
                s += u[k] * v[k];
            ws->pred[b] = s;
        }
        return;
    }
    const float *in = ws->x;
    for (size_t l = 0; l < m->n_layers; l++) {
        /* arguments were validated at build and reserve: this cannot fail */
        rec_dense_forward(m->layers[l], in, B, ws->act[l]);
        in = ws->act[l];
    }
    memcpy(ws->pred, in, B * sizeof(float)); /* last layer has one unit */
}

/* Squared error sum and absolute error sum of a forward pass against labels. */
static void errors(const rec__workspace *ws, const rec__featset *fs, const uint32_t *idx,
                   size_t B, double *sse, double *sae)
{
    double s2 = 0.0, s1 = 0.0;
    for (size_t b = 0; b < B; b++) {
        double d = (double)ws->pred[b] - (double)fs->labels[idx ? idx[b] : b];
        s2 += d * d;
        s1 += fabs(d);
    }
    *sse = s2;
    if (sae)
        *sae = s1;
}

static rec_status backward(rec_model *m, rec__workspace *ws, const rec__featset *fs,
                           const uint32_t *idx, size_t B)
{
    const float scale = 2.0f / (float)B;
    for (size_t b = 0; b < B; b++)
        ws->dpred[b] = scale * (ws->pred[b] - fs->labels[idx ? idx[b] : b]);
    const size_t W = m->width, Wu = m->width_user;
    if (m->interaction == REC_INTERACTION_DOT) {
        for (size_t b = 0; b < B; b++) {
            const float *u = ws->x + b * W, *v = u + Wu;
            float *du = ws->dx + b * W, *dv = du + Wu;
            const float d = ws->dpred[b];
            for (size_t k = 0; k < Wu; k++) {
                du[k] = d * v[k];
                dv[k] = d * u[k];
            }
        }
    } else {
        size_t L = m->n_layers;
        memcpy(ws->dact[L - 1], ws->dpred, B * sizeof(float));
        for (size_t l = L; l-- > 0;) {
            const float *in = l ? ws->act[l - 1] : ws->x;
            float *din = l ? ws->dact[l - 1] : ws->dx;
            rec_status rc = rec_dense_backward(m->layers[l], in, ws->act[l], ws->dact[l], B, din);
            if (rc)
                return rc;
        }
    }
    rec__features_backward(m, fs, idx, B, ws->dx);
    return REC_OK;
}

/* Gradient of one batch of a precomputed feature set; returns the batch's SSE. */
static rec_status batch_gradients(rec_model *m, const rec__featset *fs, const uint32_t *idx,
                                  size_t B, double *sse, const char *fn)
{
    rec_status rc = rec__workspace_reserve(&m->ws, m, B);
    if (rc)
        return rc;
    forward(m, &m->ws, fs, idx, B);
    errors(&m->ws, fs, idx, B, sse, NULL);
    if (!isfinite(*sse))
        return rec__error(REC_ENUMERIC, "%s: the loss is not finite (training diverged; "
                          "lower the learning rate)", fn);
    return backward(m, &m->ws, fs, idx, B);
}

static rec_status check_built(const rec_model *m, const char *fn)
{
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!m->built)
        return rec__error(REC_ESTATE, "%s: the model is not built; call rec_model_build() "
                          "first", fn);
    return REC_OK;
}

rec_status rec_model_compute_gradients(rec_model *m, const rec_dataset *ds, const uint32_t *rows,
                                       size_t n, double *loss_out)
{
    static const char fn[] = "rec_model_compute_gradients";
    rec_status rc = check_built(m, fn);
    if (rc)
        return rc;
    if (!ds || !rows || n == 0)
        return rec__error(REC_EINVAL, "%s: ds and rows must be non-NULL and n > 0", fn);
    rec__featset fs;
    if ((rc = rec__featset_build(&fs, m, ds, rows, n, 1, fn)))
        return rc;
    double sse = 0.0;
    rc = batch_gradients(m, &fs, NULL, n, &sse, fn);
    rec__featset_release(&fs, m);
    if (!rc && loss_out)
        *loss_out = sse / (double)n;
    return rc;
}

rec_status rec_model_apply_gradients(rec_model *m, rec_optimizer *opt)
{
    static const char fn[] = "rec_model_apply_gradients";
    rec_status rc = check_built(m, fn);
    if (rc)
        return rc;
    if (!opt)
        return rec__error(REC_EINVAL, "%s: optimizer is NULL", fn);
    for (size_t i = 0; i < m->n_feats && !rc; i++)
        if (m->feats[i].emb)
            rc = rec_optimizer_update_embedding(opt, m->feats[i].emb);
    for (size_t l = 0; l < m->n_layers && !rc; l++)
        rc = rec_optimizer_update_dense(opt, m->layers[l]);
    return rc;
}

/* One epoch over a precomputed feature set, in the order `order` reshuffled first. */
static rec_status epoch(rec_model *m, rec_optimizer *opt, const rec__featset *fs,
                        uint32_t *order, size_t batch, double *loss_out, double *rmse_out,
                        const char *fn)
{
    rec__rng_shuffle_u32(&m->order_rng, order, fs->n);
    double sse_total = 0.0;
    rec_status rc = REC_OK;
    for (size_t start = 0; start < fs->n && !rc; start += batch) {
        size_t B = fs->n - start < batch ? fs->n - start : batch;
        double sse;
        rc = batch_gradients(m, fs, order + start, B, &sse, fn);
        if (!rc)
            rc = rec_model_apply_gradients(m, opt);
        sse_total += sse;
    }
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
    rec_status rc = check_built(m, fn);
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
    if (!order)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    else
        rc = epoch(m, opt, &fs, order, batch_size, loss_out, rmse_out, fn);
    rec__free(order);
    rec__featset_release(&fs, m);
    return rc;
}

/* Evaluate a precomputed feature set with a caller-owned workspace. */
static rec_status evaluate_fs(const rec_model *m, const rec__featset *fs, size_t batch,
                              double *rmse_out, double *mae_out, const char *fn)
{
    rec__workspace ws = {0};
    rec_status rc = rec__workspace_reserve(&ws, m, fs->n < batch ? fs->n : batch);
    if (rc)
        return rc;
    uint32_t *idx = rec__malloc((fs->n < batch ? fs->n : batch) * sizeof *idx);
    if (!idx) {
        rec__workspace_release(&ws, m);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    double sse = 0.0, sae = 0.0;
    for (size_t start = 0; start < fs->n; start += batch) {
        size_t B = fs->n - start < batch ? fs->n - start : batch;
        for (size_t b = 0; b < B; b++)
            idx[b] = (uint32_t)(start + b);
        double s2, s1;
        forward(m, &ws, fs, idx, B);
        errors(&ws, fs, idx, B, &s2, &s1);
        sse += s2;
        sae += s1;
    }
    rec__free(idx);
    rec__workspace_release(&ws, m);
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
    rec_status rc = check_built(m, fn);
    if (rc)
        return rc;
    if (!ds || rec_dataset_size(ds) == 0)
        return rec__error(REC_EINVAL, "%s: dataset is NULL or empty", fn);
    if (batch_size == 0 || batch_size > (1u << 24))
        return rec__error(REC_EINVAL, "%s: batch_size %zu is outside 1..2^24", fn, batch_size);
    rec__featset fs;
    if ((rc = rec__featset_build(&fs, m, ds, NULL, 0, 1, fn)))
        return rc;
    rc = evaluate_fs(m, &fs, batch_size, rmse_out, mae_out, fn);
    rec__featset_release(&fs, m);
    return rc;
}

rec_status rec_model_predict(const rec_model *m, const rec_dataset *ds, float *out, size_t n)
{
    static const char fn[] = "rec_model_predict";
    rec_status rc = check_built(m, fn);
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
    if ((rc = rec__featset_build(&fs, m, ds, NULL, 0, 0, fn)))
        return rc;
    const size_t batch = 4096;
    rec__workspace ws = {0};
    rc = rec__workspace_reserve(&ws, m, n < batch ? n : batch);
    uint32_t *idx = rc ? NULL : rec__malloc((n < batch ? n : batch) * sizeof *idx);
    if (!rc && !idx)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t start = 0; !rc && start < n; start += batch) {
        size_t B = n - start < batch ? n - start : batch;
        for (size_t b = 0; b < B; b++)
            idx[b] = (uint32_t)(start + b);
        forward(m, &ws, &fs, idx, B);
        memcpy(out + start, ws.pred, B * sizeof *out);
    }
    rec__free(idx);
    rec__workspace_release(&ws, m);
    rec__featset_release(&fs, m);
    return rc;
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
    if (!order)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (uint32_t e = 1; !rc && e <= epochs; e++) {
        double stats[REC_STAT_COUNT] = {0};
        double t0 = rec__now();
        rc = epoch(m, opt, &tfs, order, batch_size, &stats[REC_STAT_LOSS], &stats[REC_STAT_RMSE],
                   fn);
        stats[REC_STAT_SECONDS] = rec__now() - t0;
        stats[REC_STAT_VAL_RMSE] = stats[REC_STAT_VAL_MAE] = NAN;
        if (!rc && val)
            rc = evaluate_fs(m, &vfs, eval_batch_size, &stats[REC_STAT_VAL_RMSE],
                             &stats[REC_STAT_VAL_MAE], fn);
        if (!rc && on_epoch && on_epoch(e, stats, REC_STAT_COUNT, payload) != 0)
            break;
    }
    rec__free(order);
    rec__featset_release(&tfs, m);
    rec__featset_release(&vfs, m);
    return rc;
}
