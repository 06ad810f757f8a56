/* The gradient sum of one data-parallel step, through librec's public gradient API
 * (rec/gradient.h) and three collectives:
 *
 * 1. all-gather of a header per rank: status, rows n_r, squared-error sum, dense size D,
 *    table count T and a hash of the tables' shapes (so ranks with different models fail
 *    together instead of exchanging garbage); then of the touched-row counts k_{t,r}.
 * 2. all-reduce (sum) of one float vector: the D dense-layer values scaled by n_r / B, then
 *    each table chosen dense as n_rows × (dim + 1) floats, a row's gradient scaled by n_r / B
 *    and its last column 1 when this rank touched it. After the sum a row is touched when
 *    that column is > 0: the union of the ranks' rows, which the optimizer must visit exactly
 *    (Adam changes any row it visits, even with a zero gradient).
 * 3. all-gatherv of the sparse tables: per rank, per table, its k_{t,r} row ids then its
 *    k_{t,r} × dim scaled gradient rows, in 4-byte words. Every rank passes the rows of all
 *    ranks, in rank order, to rec_model_grad_table_set(), which adds repeated rows in the order
 *    given, so every rank computes the same sums.
 *
 * Dense or sparse (REC_MPI_EXCHANGE_AUTO): with K_t = Σ_r k_{t,r}, a ring all-reduce moves
 * 2(P−1)/P · n_rows·(dim + 1) floats through each rank, an all-gather (P−1)/P · K_t·(dim + 1)
 * on average; so dense iff 2·n_rows ≤ K_t. The counts are gathered, so all ranks agree.
 *
 * Scaling: rec_model_compute_gradients() gives the mean over the rank's n_r rows; the mean
 * over the global batch of B = Σ n_r rows is Σ_r (n_r / B)·g_r. */
#include "mpi_internal.h"

#include <limits.h>
#include <math.h>
#include <string.h>

enum { H_STATUS, H_ROWS, H_SSE, H_DENSE, H_TABLES, H_SHAPES, H_LEN };

/* FNV-1a over the tables' (n_rows, dim), cut to 48 bits so that a double holds it exactly. */
static double shape_hash(const rec_model *m, size_t T)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t t = 0; t < T; t++) {
        uint32_t v[2] = {0, 0};
        rec_model_grad_table_shape(&v[0], &v[1], NULL, m, t);
        for (int k = 0; k < 2; k++) {
            h ^= v[k];
            h *= 1099511628211ull;
        }
    }
    return (double)(h >> 16);
}

/* Clear the model's accumulated gradient (after a failure, so no stale sum is applied). */
static void clear_grads(rec_mpi *ctx, rec_model *m)
{
    if (!m || !rec_model_is_built(m))
        return;
    size_t D = rec_model_grad_dense_size(m);
    if (D && rec__mpi_reserve((void **)&ctx->dense, &ctx->dense_cap, D, sizeof(float))) {
        memset(ctx->dense, 0, D * sizeof(float));
        rec_model_grad_dense_set(m, ctx->dense, D);
    }
    for (size_t t = 0; t < rec_model_grad_n_tables(m); t++)
        rec_model_grad_table_set(m, t, NULL, NULL, 0);
}

/* Room for `rows` rows of `dim` floats in ctx->ids / ctx->rows. */
static rec_status reserve_rows(rec_mpi *ctx, size_t rows, size_t dim, const char *fn)
{
    if (!rec__mpi_reserve((void **)&ctx->ids, &ctx->ids_cap, rows, sizeof(uint32_t)) ||
        !rec__mpi_reserve((void **)&ctx->rows, &ctx->rows_cap, rows * (dim ? dim : 1),
                          sizeof(float)))
        return rec__mpi_error(REC_ENOMEM, "%s: out of memory for %zu gradient rows", fn, rows);
    return REC_OK;
}

/* This rank's touched rows of table t into ctx->ids / ctx->rows, scaled by s. */
static rec_status local_rows(rec_mpi *ctx, rec_model *m, size_t t, uint32_t dim, float s,
                             size_t *k, const char *fn)
{
    size_t want;
    rec_status rc = rec_model_grad_table_shape(NULL, NULL, &want, m, t);
    if (!rc)
        rc = reserve_rows(ctx, want, dim, fn);
    if (!rc)
        rc = rec_model_grad_table_get(ctx->ids, ctx->rows, want, k, m, t);
    if (!rc)
        for (size_t i = 0; i < *k * dim; i++)
            ctx->rows[i] *= s;
    return rc;
}

/* Sizes of this step, the same on every rank: the all-reduce length in floats, and each
 * rank's sparse words (recv_counts, displs); sets is_dense. */
static rec_status plan(rec_mpi *ctx, const rec_model *m, size_t D, size_t T, size_t *len,
                       size_t *words, const char *fn)
{
    const double *k = ctx->gather; /* size × T counts */
    size_t n = D;
    for (size_t t = 0; t < T; t++) {
        uint32_t n_rows, dim;
        rec_model_grad_table_shape(&n_rows, &dim, NULL, m, t);
        double K = 0.0;
        for (int r = 0; r < ctx->size; r++)
            K += k[(size_t)r * T + t];
        int dense = ctx->mode == REC_MPI_EXCHANGE_DENSE ||
                    (ctx->mode == REC_MPI_EXCHANGE_AUTO && K > 0 && 2.0 * n_rows <= K);
        ctx->is_dense[t] = (unsigned char)dense;
        if (dense)
            n += (size_t)n_rows * (dim + 1);
    }
    double total = 0.0;
    for (int r = 0; r < ctx->size; r++) {
        double w = 0.0;
        for (size_t t = 0; t < T; t++)
            if (!ctx->is_dense[t]) {
                uint32_t dim;
                rec_model_grad_table_shape(NULL, &dim, NULL, m, t);
                w += k[(size_t)r * T + t] * (1.0 + dim);
            }
        ctx->recv_counts[r] = (int)(w <= INT_MAX ? w : 0);
        ctx->displs[r] = (int)(total <= INT_MAX ? total : 0);
        total += w;
    }
    if (n > INT_MAX || total > INT_MAX)
        return rec__mpi_error(REC_ESHAPE, "%s: a step of %zu all-reduce floats and %.0f gathered "
                        "words exceeds MPI's int counts; use smaller batches", fn, n, total);
    *len = n;
    *words = (size_t)total;
    return REC_OK;
}

/* Step 2 input: the dense values and the dense tables, scaled by s (zeros from a rank with
 * no rows). */
static rec_status fill_dense(rec_mpi *ctx, rec_model *m, size_t D, size_t T, size_t len,
                             size_t n_local, float s, const char *fn)
{
    if (!rec__mpi_reserve((void **)&ctx->dense, &ctx->dense_cap, len, sizeof(float)))
        return rec__mpi_error(REC_ENOMEM, "%s: out of memory for %zu floats", fn, len);
    memset(ctx->dense, 0, len * sizeof(float));
    if (n_local == 0)
        return REC_OK;
    rec_status rc = rec_model_grad_dense_get(ctx->dense, D, m);
    for (size_t i = 0; i < D && !rc; i++)
        ctx->dense[i] *= s;
    float *at = ctx->dense + D;
    for (size_t t = 0; t < T && !rc; t++) {
        if (!ctx->is_dense[t])
            continue;
        uint32_t n_rows, dim;
        size_t k = 0;
        rec_model_grad_table_shape(&n_rows, &dim, NULL, m, t);
        rc = local_rows(ctx, m, t, dim, s, &k, fn);
        for (size_t i = 0; i < k && !rc; i++) {
            float *row = at + (size_t)ctx->ids[i] * (dim + 1);
            memcpy(row, ctx->rows + i * dim, dim * sizeof(float));
            row[dim] = 1.0f;
        }
        at += (size_t)n_rows * (dim + 1);
    }
    return rc;
}

/* Step 3 input: this rank's sparse tables packed as words (none from a rank with no rows,
 * which announced no touched rows). */
static rec_status fill_sparse(rec_mpi *ctx, rec_model *m, size_t T, size_t n_local, float s,
                              const char *fn)
{
    size_t words = (size_t)ctx->recv_counts[ctx->rank];
    if (!rec__mpi_reserve((void **)&ctx->send, &ctx->send_cap, words, sizeof(uint32_t)))
        return rec__mpi_error(REC_ENOMEM, "%s: out of memory for %zu words", fn, words);
    uint32_t *w = ctx->send;
    for (size_t t = 0; t < T; t++) {
        if (ctx->is_dense[t] || n_local == 0)
            continue;
        uint32_t dim;
        size_t k = 0;
        rec_model_grad_table_shape(NULL, &dim, NULL, m, t);
        rec_status rc = local_rows(ctx, m, t, dim, s, &k, fn);
        if (rc)
            return rc;
        if ((double)k != ctx->counts[t]) /* the layout the others expect */
            return rec__mpi_error(REC_ERROR, "%s: table %zu changed during the exchange", fn, t);
        memcpy(w, ctx->ids, k * sizeof(uint32_t));
        memcpy(w + k, ctx->rows, k * dim * sizeof(float));
        w += k * (1 + (size_t)dim);
    }
    return REC_OK;
}

/* The summed dense part and dense tables back into the model. */
static rec_status unpack_dense(rec_mpi *ctx, rec_model *m, size_t D, size_t T, const char *fn)
{
    rec_status rc = rec_model_grad_dense_set(m, ctx->dense, D);
    const float *at = ctx->dense + D;
    for (size_t t = 0; t < T && !rc; t++) {
        if (!ctx->is_dense[t])
            continue;
        uint32_t n_rows, dim;
        rec_model_grad_table_shape(&n_rows, &dim, NULL, m, t);
        if ((rc = reserve_rows(ctx, n_rows, dim, fn)))
            break;
        size_t k = 0;
        for (uint32_t row = 0; row < n_rows; row++) {
            const float *src = at + (size_t)row * (dim + 1);
            if (src[dim] > 0.0f) {
                ctx->ids[k] = row;
                memcpy(ctx->rows + k * dim, src, dim * sizeof(float));
                k++;
            }
        }
        rc = rec_model_grad_table_set(m, t, ctx->ids, ctx->rows, k);
        at += (size_t)n_rows * (dim + 1);
    }
    return rc;
}

/* The gathered sparse rows of every rank, table by table in rank order, into the model. */
static rec_status unpack_sparse(rec_mpi *ctx, rec_model *m, size_t T, const double *counts,
                                const char *fn)
{
    for (int r = 0; r < ctx->size; r++)
        ctx->cursor[r] = ctx->displs[r];
    rec_status rc = REC_OK;
    for (size_t t = 0; t < T && !rc; t++) {
        if (ctx->is_dense[t])
            continue;
        uint32_t dim;
        rec_model_grad_table_shape(NULL, &dim, NULL, m, t);
        size_t K = 0;
        for (int r = 0; r < ctx->size; r++)
            K += (size_t)counts[(size_t)r * T + t];
        if ((rc = reserve_rows(ctx, K, dim, fn)))
            break;
        size_t at = 0;
        for (int r = 0; r < ctx->size; r++) {
            size_t k = (size_t)counts[(size_t)r * T + t];
            const uint32_t *w = ctx->recv + ctx->cursor[r];
            memcpy(ctx->ids + at, w, k * sizeof(uint32_t));
            memcpy(ctx->rows + at * dim, w + k, k * dim * sizeof(float));
            ctx->cursor[r] += (int)(k * (1 + (size_t)dim));
            at += k;
        }
        rc = rec_model_grad_table_set(m, t, ctx->ids, ctx->rows, K);
    }
    return rc;
}

static rec_status exchange(rec_mpi *ctx, rec_model *m, size_t n_local, rec_status local_rc,
                           double sse, double *sse_global, double *n_global, const char *fn)
{
    /* 1. headers */
    size_t D = 0, T = 0;
    if (!local_rc && !m)
        local_rc = rec__mpi_error(REC_EINVAL, "%s: model is NULL", fn);
    if (!local_rc && !rec_model_is_built(m))
        local_rc = rec__mpi_error(REC_ESTATE, "%s: the model is not built; call rec_model_build() "
                            "first", fn);
    if (!local_rc) {
        D = rec_model_grad_dense_size(m);
        T = rec_model_grad_n_tables(m);
        if (!rec__mpi_reserve((void **)&ctx->counts, &ctx->counts_cap, T, sizeof(double)) ||
            !rec__mpi_reserve((void **)&ctx->is_dense, &ctx->is_dense_cap, T, 1))
            local_rc = rec__mpi_error(REC_ENOMEM, "%s: out of memory", fn);
    }
    double h[H_LEN] = {(double)local_rc, (double)n_local, n_local ? sse : 0.0, (double)D,
                       (double)T, local_rc ? 0.0 : shape_hash(m, T)};
    rec_status rc = rec__mpi_gather_status(ctx, h, H_LEN, fn);
    if (rc)
        return rc;
    double B = 0.0, total_sse = 0.0;
    for (int r = 0; r < ctx->size; r++) {
        const double *g = ctx->gather + (size_t)r * H_LEN;
        if (g[H_DENSE] != (double)D || g[H_TABLES] != (double)T || g[H_SHAPES] != h[H_SHAPES])
            return rec__mpi_error(REC_ESHAPE, "%s: rank %d's model differs from rank %d's (%.0f "
                                  "dense values and %.0f tables vs %zu and %zu, or other table "
                                  "shapes); build the same model on every rank", fn, r,
                                  ctx->rank, g[H_DENSE], g[H_TABLES], D, T);
        B += g[H_ROWS];
        total_sse += g[H_SSE];
    }
    *n_global = B;
    *sse_global = total_sse;
    if (B == 0.0)
        return REC_OK;
    if (ctx->size == 1) { /* n_local = B: the model already holds the sum */
        ctx->steps++;
        return REC_OK;
    }
    float s = (float)((double)n_local / B);

    /* counts of touched rows */
    for (size_t t = 0; t < T; t++) {
        size_t k = 0;
        if (n_local)
            rec_model_grad_table_shape(NULL, NULL, &k, m, t);
        ctx->counts[t] = (double)k;
    }
    if (!rec__mpi_reserve((void **)&ctx->gather, &ctx->gather_cap, (size_t)ctx->size * (T ? T : 1),
                    sizeof(double)))
        return rec__mpi_error(REC_ENOMEM, "%s: out of memory", fn);
    if (T) {
        rc = rec__mpi_mpi(MPI_Allgather(ctx->counts, (int)T, MPI_DOUBLE, ctx->gather, (int)T,
                                  MPI_DOUBLE, ctx->comm), "MPI_Allgather", fn);
        if (rc)
            return rc;
        ctx->meta_bytes += (size_t)ctx->size * T * sizeof(double);
    }

    /* 2. the all-reduce */
    size_t len = 0, words = 0;
    if ((rc = plan(ctx, m, D, T, &len, &words, fn)))
        return rc;
    /* A local failure from here on (out of memory) cannot be told to the others without a
     * further collective; it is reported, and the ranks are then out of step. */
    if ((rc = fill_dense(ctx, m, D, T, len, n_local, s, fn)))
        return rc;
    if (len > 0) {
        rc = rec__mpi_mpi(MPI_Allreduce(MPI_IN_PLACE, ctx->dense, (int)len, MPI_FLOAT, MPI_SUM,
                                  ctx->comm), "MPI_Allreduce", fn);
        if (rc)
            return rc;
    }

    /* 3. the all-gather of sparse rows */
    if ((rc = fill_sparse(ctx, m, T, n_local, s, fn)))
        return rc;
    if (words > 0) {
        if (!rec__mpi_reserve((void **)&ctx->recv, &ctx->recv_cap, words, sizeof(uint32_t)))
            return rec__mpi_error(REC_ENOMEM, "%s: out of memory for %zu words", fn, words);
        rc = rec__mpi_mpi(MPI_Allgatherv(ctx->send, ctx->recv_counts[ctx->rank], MPI_UINT32_T,
                                   ctx->recv, ctx->recv_counts, ctx->displs, MPI_UINT32_T,
                                   ctx->comm), "MPI_Allgatherv", fn);
        if (rc)
            return rc;
    }
    ctx->steps++;
    ctx->dense_bytes += len * sizeof(float);
    ctx->sparse_bytes += words * sizeof(uint32_t);

    if ((rc = unpack_dense(ctx, m, D, T, fn)))
        return rc;
    return unpack_sparse(ctx, m, T, ctx->gather, fn);
}

rec_status rec__mpi_exchange(rec_mpi *ctx, rec_model *model, size_t n_local, rec_status local_rc,
                       double sse, double *sse_global, double *n_global, const char *fn)
{
    double t0 = MPI_Wtime();
    rec_status rc = exchange(ctx, model, n_local, local_rc, sse, sse_global, n_global, fn);
    ctx->seconds += MPI_Wtime() - t0;
    if (rc)
        clear_grads(ctx, model);
    return rc;
}

rec_status rec_mpi_allreduce_gradients(rec_mpi *ctx, rec_model *model, size_t n_local)
{
    static const char fn[] = "rec_mpi_allreduce_gradients";
    if (!ctx)
        return rec__mpi_error(REC_EINVAL, "%s: ctx is NULL", fn);
    double sse, n;
    return rec__mpi_exchange(ctx, model, n_local, REC_OK, 0.0, &sse, &n, fn);
}
