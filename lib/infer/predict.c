/* Evaluation and prediction (rec_model_evaluate, rec_model_predict): the const calls, which
 * may run at the same time on one shared model. Each makes its own workspaces and, with the
 * model's threads, its own pool, which also builds the feature set (rec__featset_build_on).
 * The rows are cut into T contiguous chunks, each run in passes of at most EVAL_ROWS rows;
 * a model with posterior samples predicts their mean (lib/mcmc). Predictions, not the errors
 * evaluation sums, are clipped to the label range when the model says so (clip.c). OpenBLAS
 * calls made inside these threads must be single-threaded (docs/threading.md): the library
 * never changes BLAS settings, which are process-global. */
#include "infer/infer.h"

#include <math.h>
#include <string.h>

/* Rows per thread below which evaluation and prediction stay on one thread. */
#define MIN_CHUNK 1024
#define MIN_CHUNK_DOT 65536
/* Rows a thread's forward pass takes at a time, at most (the caller's batch size may be
 * smaller). A prediction does not depend on the rows beside it, so this changes no result;
 * it bounds the workspace that every call allocates and faults in page by page (a workspace
 * sized for batches of 4,096 would spend a fifth of an ML-100K enriched evaluation in page
 * faults) and keeps a pass's rows in L2. */
#define EVAL_ROWS 512

/* Threads for a forward pass over n rows, at most avail. A DOT prediction is 10 ns: its
 * chunks must be far larger to pay for a thread. */
static uint32_t forward_threads(const rec_model *m, size_t n, uint32_t avail)
{
    size_t fu, fv;
    return rec__pool_threads_for(n, avail ? avail : 1,
                                 rec__dot_pair(m, &fu, &fv) ? MIN_CHUNK_DOT : MIN_CHUNK);
}

/* The feature set of all rows of ds, and a pool of the threads a forward pass over them will
 * use (NULL for one), which builds the feature set too (rec__featset_build_on). */
static rec_status forward_prepare(rec__featset *fs, rec__pool **pool, const rec_model *m,
                                  const rec_dataset *ds, int with_labels, const char *fn)
{
    *pool = NULL;
    uint32_t T = rec__posterior_active(m) ? 1 : forward_threads(m, rec_dataset_size(ds),
                                                           rec__model_threads(m));
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
        const float *pred = rec__pass_forward(j->m, &j->ws[t], j->fs, idx, B, 0, B);
        if (j->pred_out) {
            memcpy(j->pred_out + start, pred, B * sizeof *pred);
            continue;
        }
        double s2, s1;
        rec__pass_errors(pred, j->ws[t].by, B, &s2, &s1);
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
    if (rec__posterior_active(m)) /* the posterior mean over the stored samples (lib/mcmc) */
        return rec__mcmc_forward(m, fs, pred_out, sse, sae, fn);
    uint32_t avail = pool ? rec__pool_size(pool) : rec__model_threads(m);
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

rec_status rec__infer_evaluate(const rec_model *m, rec__pool *pool, const rec__featset *fs,
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
    if (!rc)
        rc = rec__model_check_label(m, fn);
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
    rc = rec__infer_evaluate(m, pool, &fs, batch_size, rmse_out, mae_out, fn);
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
    if (!rc)
        rec__infer_clip(m, out, n); /* rec_model_set_clip, on either path */
    rec__pool_stop(pool);
    rec__featset_release(&fs, m);
    return rc;
}
