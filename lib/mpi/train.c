/* Data-parallel training, evaluation and saving on top of the gradient sum (exchange.c):
 * a step (local gradient, sum, the same update on every rank), an epoch over a dataset every
 * rank holds (one shuffled order from the seed; rank r takes its slice of each global batch),
 * evaluation sharded by contiguous ranges of rows, and a save made once by rank 0. Each
 * collective operation first gathers every rank's status, so a local failure (a bad argument,
 * out of memory, a diverged loss) fails every rank instead of leaving the others waiting. */
#include "mpi_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The collective half of a step, after this rank's local gradient (outcome rc, its batch's
 * MSE mse over n_local rows): every rank's status and gradient summed, then the same update on
 * every rank. */
static rec_status finish_step(double *loss_out, rec_mpi *ctx, rec_model *model,
                              rec_optimizer *opt, size_t n_local, rec_status rc, double mse,
                              const char *fn)
{
    double sse = mse * (double)n_local, sse_all = 0.0, n_all = 0.0;
    rc = rec__mpi_exchange(ctx, model, n_local, rc, sse, &sse_all, &n_all, fn);
    if (rc)
        return rc;
    if (n_all == 0.0)
        return rec__mpi_error(REC_EINVAL, "%s: the global batch is empty (n_local is 0 on every "
                        "rank)", fn);
    /* every rank applies the same sum to the same state: the same result everywhere */
    rc = rec_model_apply_gradients(model, opt);
    if (!rc && loss_out)
        *loss_out = sse_all / n_all;
    return rc;
}

rec_status rec_mpi_train_step(double *loss_out, rec_mpi *ctx, rec_model *model,
                              rec_optimizer *opt, const rec_dataset *ds, const uint32_t *rows,
                              size_t n_local)
{
    static const char fn[] = "rec_mpi_train_step";
    if (!ctx)
        return rec__mpi_error(REC_EINVAL, "%s: ctx is NULL", fn);
    rec_status rc = REC_OK;
    double mse = 0.0;
    if (!opt)
        rc = rec__mpi_error(REC_EINVAL, "%s: optimizer is NULL", fn);
    else if (n_local > 0 && (!ds || !rows))
        rc = rec__mpi_error(REC_EINVAL, "%s: ds and rows must be non-NULL when n_local > 0", fn);
    else if (n_local > 0 && model)
        rc = rec_model_compute_gradients(model, ds, rows, n_local, &mse);
    return finish_step(loss_out, ctx, model, opt, n_local, rc, mse, fn);
}

enum { E_STATUS, E_ROWS, E_BATCH, E_SEED_HI, E_SEED_LO, E_LEN };

rec_status rec_mpi_train_epoch(double *loss_out, double *rmse_out, rec_mpi *ctx,
                               rec_model *model, rec_optimizer *opt, const rec_dataset *ds,
                               size_t batch_size, uint64_t seed)
{
    static const char fn[] = "rec_mpi_train_epoch";
    if (!ctx)
        return rec__mpi_error(REC_EINVAL, "%s: ctx is NULL", fn);
    rec_status rc = REC_OK;
    size_t n = ds ? rec_dataset_size(ds) : 0;
    uint32_t *order = NULL;
    rec_features *feats = NULL;
    if (!model || !opt || !ds)
        rc = rec__mpi_error(REC_EINVAL, "%s: model, opt and ds must be non-NULL", fn);
    else if (n == 0)
        rc = rec__mpi_error(REC_EINVAL, "%s: the training dataset is empty", fn);
    else if (n > UINT32_MAX)
        rc = rec__mpi_error(REC_EINVAL, "%s: %zu rows exceed 2^32 − 1", fn, n);
    else if (batch_size == 0 || batch_size > (1u << 24))
        rc = rec__mpi_error(REC_EINVAL, "%s: batch_size %zu is outside 1..2^24", fn, batch_size);
    else if (!(order = malloc(n * sizeof *order)))
        rc = rec__mpi_error(REC_ENOMEM, "%s: out of memory for %zu rows", fn, n);
    if (!rc) {
        /* the same permutation on every rank: rec_rng's algorithm is fixed */
        rec_rng *rng = NULL;
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        rc = rec_rng_create(&rng, seed);
        if (!rc)
            rc = rec_rng_shuffle_u32(rng, order, n);
        rec_rng_free(rng);
    }
    /* the model's inputs for every row, computed once rather than per step (docs/BENCHMARKS.md
     * compares the two: --single against one rank); its failure is gathered with the rest */
    if (!rc)
        rc = rec_features_create(&feats, model, ds);
    double h[E_LEN] = {(double)rc, (double)n, (double)batch_size,
                       (double)(seed >> 32), (double)(seed & 0xffffffffu)};
    rec_status grc = rec__mpi_gather_status(ctx, h, E_LEN, fn);
    for (int r = 0; r < ctx->size && !grc; r++) {
        const double *g = ctx->gather + (size_t)r * E_LEN;
        if (g[E_ROWS] != h[E_ROWS] || g[E_BATCH] != h[E_BATCH] ||
            g[E_SEED_HI] != h[E_SEED_HI] || g[E_SEED_LO] != h[E_SEED_LO])
            grc = rec__mpi_error(REC_EINVAL, "%s: rank %d has %.0f rows, batch_size %.0f and "
                                 "another or the same seed; rank %d has %zu rows, batch_size "
                                 "%zu: every rank must pass the same dataset, batch size and "
                                 "seed", fn, r, g[E_ROWS], g[E_BATCH], ctx->rank, n, batch_size);
    }
    if (grc) {
        rec_features_free(feats);
        free(order);
        return grc;
    }
    double sse = 0.0;
    size_t P = (size_t)ctx->size, me = (size_t)ctx->rank;
    for (size_t start = 0; start < n && !rc; start += batch_size) {
        size_t B = n - start < batch_size ? n - start : batch_size;
        /* rank r's slice of the global batch: [B·r/P, B·(r+1)/P) */
        size_t lo = start + B * me / P, hi = start + B * (me + 1) / P;
        double loss = 0.0, mse = 0.0;
        rec_status lrc = REC_OK;
        if (hi > lo)
            lrc = rec_model_compute_gradients_features(model, feats, order + lo, hi - lo, &mse);
        /* named as the step it stands for, so messages read as rec_mpi_train_step's */
        rc = finish_step(&loss, ctx, model, opt, hi - lo, lrc, mse, "rec_mpi_train_step");
        sse += loss * (double)B;
    }
    rec_features_free(feats);
    free(order);
    if (rc)
        return rc;
    if (loss_out)
        *loss_out = sse / (double)n;
    if (rmse_out)
        *rmse_out = sqrt(sse / (double)n);
    return REC_OK;
}

enum { V_STATUS, V_TOTAL, V_ROWS, V_SSE, V_SAE, V_LEN };

/* RMSE and MAE of rows [lo, hi) of ds, as error sums. */
static rec_status evaluate_range(double *sse, double *sae, const rec_model *model,
                                 const rec_dataset *ds, size_t lo, size_t hi, size_t batch,
                                 const char *fn)
{
    *sse = *sae = 0.0;
    if (hi == lo)
        return REC_OK;
    uint32_t *rows = malloc((hi - lo) * sizeof *rows);
    if (!rows)
        return rec__mpi_error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t i = lo; i < hi; i++)
        rows[i - lo] = (uint32_t)i;
    rec_dataset *part = NULL;
    rec_status rc = rec_dataset_subset(&part, ds, rows, hi - lo);
    free(rows);
    double rmse = 0.0, mae = 0.0;
    if (!rc)
        rc = rec_model_evaluate(model, part, batch, &rmse, &mae);
    rec_dataset_free(part);
    if (!rc) {
        /* the errors summed back from the means: RMSE² · n and MAE · n */
        *sse = rmse * rmse * (double)(hi - lo);
        *sae = mae * (double)(hi - lo);
    }
    return rc;
}

rec_status rec_mpi_evaluate(double *rmse_out, double *mae_out, rec_mpi *ctx,
                            const rec_model *model, const rec_dataset *ds, size_t batch_size)
{
    static const char fn[] = "rec_mpi_evaluate";
    if (!ctx)
        return rec__mpi_error(REC_EINVAL, "%s: ctx is NULL", fn);
    rec_status rc = REC_OK;
    size_t n = ds ? rec_dataset_size(ds) : 0, lo = 0, hi = 0;
    double sse = 0.0, sae = 0.0;
    if (!model || !ds)
        rc = rec__mpi_error(REC_EINVAL, "%s: model and ds must be non-NULL", fn);
    else if (n == 0)
        rc = rec__mpi_error(REC_EINVAL, "%s: the dataset is empty", fn);
    else if (n > UINT32_MAX)
        rc = rec__mpi_error(REC_EINVAL, "%s: %zu rows exceed 2^32 − 1", fn, n);
    if (!rc) {
        size_t P = (size_t)ctx->size, me = (size_t)ctx->rank;
        lo = n * me / P;
        hi = n * (me + 1) / P;
        rc = evaluate_range(&sse, &sae, model, ds, lo, hi, batch_size, fn);
    }
    double h[V_LEN] = {(double)rc, (double)n, (double)(hi - lo), sse, sae};
    rc = rec__mpi_gather_status(ctx, h, V_LEN, fn);
    if (rc)
        return rc;
    double rows = 0.0, tse = 0.0, tae = 0.0;
    for (int r = 0; r < ctx->size; r++) {
        const double *g = ctx->gather + (size_t)r * V_LEN;
        if (g[V_TOTAL] != (double)n)
            return rec__mpi_error(REC_EINVAL, "%s: rank %d has %.0f rows, rank %d has %zu: every "
                                  "rank must pass the same dataset", fn, r, g[V_TOTAL], ctx->rank,
                                  n);
        rows += g[V_ROWS];
        tse += g[V_SSE];
        tae += g[V_SAE];
    }
    if (rmse_out)
        *rmse_out = sqrt(tse / rows);
    if (mae_out)
        *mae_out = tae / rows;
    return REC_OK;
}

rec_status rec_mpi_save(rec_mpi *ctx, const rec_model *model, const char *path,
                        int include_optimizer_state)
{
    static const char fn[] = "rec_mpi_save";
    if (!ctx)
        return rec__mpi_error(REC_EINVAL, "%s: ctx is NULL", fn);
    /* rank 0 writes; its status and message go to everyone */
    int st = 0;
    char msg[512] = "";
    if (ctx->rank == 0) {
        st = rec_model_save(model, path, include_optimizer_state);
        if (st)
            snprintf(msg, sizeof msg, "%s", rec_last_error());
    }
    rec_status rc = rec__mpi_mpi(MPI_Bcast(&st, 1, MPI_INT, 0, ctx->comm), "MPI_Bcast", fn);
    if (!rc && st)
        rc = rec__mpi_mpi(MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, 0, ctx->comm), "MPI_Bcast", fn);
    if (rc)
        return rc;
    if (st && ctx->rank != 0)
        return rec__mpi_error((rec_status)st, "%s: rank 0 failed to save: %s", fn, msg);
    if (st)
        return rec_error_set((rec_status)st, msg);
    return REC_OK;
}
