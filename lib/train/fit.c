/* Gradient training's public entry points: rec_model_fit (epochs, validation, early stopping),
 * rec_model_train_epoch, and the two halves of a step, rec_model_compute_gradients and
 * rec_model_apply_gradients, kept apart so that data-parallel training can sum the gradients
 * of several processes in between (librec_mpi). Every batch goes through the trainer
 * (paths.c); the features are computed once per call, never per epoch or per batch. */
#include "train/train.h"

#include <math.h>
#include <string.h>

rec_status rec_model_compute_gradients(rec_model *m, const rec_dataset *ds, const uint32_t *rows,
                                       size_t n, double *loss_out)
{
    static const char fn[] = "rec_model_compute_gradients";
    rec_status rc = rec__model_check_built(m, fn);
    if (!rc)
        rc = rec__model_check_label(m, fn);
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
    if (!rc)
        rec__model_label_widen(m, ds, rows, n); /* the labels the model now learns from */
    rec__free(idx);
    rec__featset_release(&fs, m);
    return rc;
}

rec_status rec__train_gradients(rec_model *m, const rec__featset *fs, const uint32_t *idx,
                                size_t n, double *loss_out, const char *fn)
{
    rec__trainer tr;
    rec_status rc = rec__train_start(&tr, m, fs, n, fn);
    if (rc)
        return rc;
    double sse = 0.0;
    rc = rec__train_step(&tr, NULL, fs, idx, n, NULL, 0, &sse, fn);
    if (!rc && loss_out)
        *loss_out = sse / (double)n;
    rec__train_stop(&tr);
    return rc;
}

rec_status rec_model_apply_gradients(rec_model *m, rec_optimizer *opt)
{
    static const char fn[] = "rec_model_apply_gradients";
    rec_status rc = rec__model_check_built(m, fn);
    if (!rc)
        rc = rec__model_check_label(m, fn);
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
static rec_status epoch(rec_model *m, rec__trainer *tr, rec_optimizer *opt,
                        const rec__featset *fs, uint32_t *order, size_t batch, double *loss_out,
                        double *rmse_out, const char *fn)
{
    for (size_t i = 0; i < fs->n; i++)
        order[i] = (uint32_t)i;
    rec__rng_shuffle_u32(&m->order_rng, order, fs->n);
    /* order was just reshuffled: records gathered ahead in an earlier epoch are stale */
    tr->ahead_gen++;
    double sse_total = 0.0;
    rec_status rc = REC_OK;
    for (size_t start = 0; start < fs->n && !rc; start += batch) {
        size_t B = fs->n - start < batch ? fs->n - start : batch;
        size_t at = start + B, next_n = fs->n - at < batch ? fs->n - at : batch;
        double sse = 0.0;
        rc = rec__train_step(tr, opt, fs, order + start, B, at < fs->n ? order + at : NULL,
                             next_n, &sse, fn);
        sse_total += sse;
    }
    tr->ahead_gen++;
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
    rec__trainer tr;
    if (!order)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    else
        rc = rec__train_start(&tr, m, &fs, batch_size, fn);
    if (!rc) {
        rc = epoch(m, &tr, opt, &fs, order, batch_size, loss_out, rmse_out, fn);
        rec__train_stop(&tr);
    }
    if (!rc)
        rec__model_label_widen(m, ds, NULL, 0);
    rec__free(order);
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
    rec__trainer tr = {0};
    if (!order)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    else
        rc = rec__train_start(&tr, m, &tfs, batch_size, fn);
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
            rc = rec__infer_evaluate(m, tr.pool, &vfs, eval_batch_size,
                                     &stats[REC_STAT_VAL_RMSE], &stats[REC_STAT_VAL_MAE], fn);
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
    else
        rec__model_label_widen(m, train, NULL, 0);
    es_finish(m, &best);
    rec__train_stop(&tr);
    rec__free(order);
    rec__featset_release(&tfs, m);
    rec__featset_release(&vfs, m);
    return rc;
}
