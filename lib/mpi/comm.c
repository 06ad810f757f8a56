/* librec_mpi's context: a duplicate of the caller's communicator (so our collectives never
 * match the caller's messages) with MPI errors returned rather than fatal, scratch buffers,
 * traffic counters, and the status all-gather every collective operation starts with, so
 * that a rank which failed locally makes every rank fail instead of leaving them waiting. */
#include "mpi_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rec_status rec__mpi_error(rec_status code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return rec_error_set(code, buf);
}

rec_status rec__mpi_mpi(int err, const char *call, const char *fn)
{
    if (err == MPI_SUCCESS)
        return REC_OK;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", err);
    return rec__mpi_error(REC_EIO, "%s: %s failed: %s", fn, call, text);
}

int rec__mpi_reserve(void **p, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap && *p)
        return 1;
    size_t want = n > 2 * *cap ? n : 2 * *cap;
    if (want == 0)
        want = 1;
    if (want > SIZE_MAX / size)
        return 0;
    void *q = realloc(*p, want * size);
    if (!q)
        return 0;
    *p = q;
    *cap = want;
    return 1;
}

rec_status rec__mpi_gather_status(rec_mpi *ctx, const double *local, size_t n, const char *fn)
{
    size_t total = (size_t)ctx->size * n;
    if (!rec__mpi_reserve((void **)&ctx->gather, &ctx->gather_cap, total, sizeof(double)))
        return rec__mpi_error(REC_ENOMEM, "%s: out of memory", fn); /* the others then wait: rare */
    rec_status rc = rec__mpi_mpi(MPI_Allgather(local, (int)n, MPI_DOUBLE, ctx->gather, (int)n,
                                         MPI_DOUBLE, ctx->comm), "MPI_Allgather", fn);
    if (rc)
        return rc;
    ctx->meta_bytes += total * sizeof(double);
    for (int r = 0; r < ctx->size; r++) {
        double st = ctx->gather[(size_t)r * n];
        if (st != 0.0) {
            if (local[0] != 0.0)
                return (rec_status)(int)local[0]; /* our own message stands */
            return rec__mpi_error(REC_ERROR, "%s: rank %d failed (%s); its rec_last_error() has "
                                  "the details", fn, r, rec_status_str((int)st));
        }
    }
    return REC_OK;
}

rec_status rec_mpi_create(rec_mpi **out, MPI_Comm comm)
{
    static const char fn[] = "rec_mpi_create";
    if (!out)
        return rec__mpi_error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!init || fin)
        return rec__mpi_error(REC_ESTATE, "%s: MPI is %s; call it between MPI_Init and "
                        "MPI_Finalize", fn, fin ? "already finalized" : "not initialized");
    if (comm == MPI_COMM_NULL)
        return rec__mpi_error(REC_EINVAL, "%s: comm is MPI_COMM_NULL", fn);
    rec_mpi *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return rec__mpi_error(REC_ENOMEM, "%s: out of memory", fn);
    rec_status rc = rec__mpi_mpi(MPI_Comm_dup(comm, &ctx->comm), "MPI_Comm_dup", fn);
    if (rc) {
        free(ctx);
        return rc;
    }
    rc = rec__mpi_mpi(MPI_Comm_set_errhandler(ctx->comm, MPI_ERRORS_RETURN),
                "MPI_Comm_set_errhandler", fn);
    if (!rc)
        rc = rec__mpi_mpi(MPI_Comm_rank(ctx->comm, &ctx->rank), "MPI_Comm_rank", fn);
    if (!rc)
        rc = rec__mpi_mpi(MPI_Comm_size(ctx->comm, &ctx->size), "MPI_Comm_size", fn);
    if (!rc) {
        ctx->recv_counts = calloc((size_t)ctx->size, sizeof(int));
        ctx->displs = calloc((size_t)ctx->size, sizeof(int));
        ctx->cursor = calloc((size_t)ctx->size, sizeof(int));
        if (!ctx->recv_counts || !ctx->displs || !ctx->cursor)
            rc = rec__mpi_error(REC_ENOMEM, "%s: out of memory", fn);
    }
    if (rc) {
        rec_mpi_free(ctx);
        return rc;
    }
    ctx->mode = REC_MPI_EXCHANGE_AUTO;
    *out = ctx;
    return REC_OK;
}

void rec_mpi_free(rec_mpi *ctx)
{
    if (!ctx)
        return;
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin && ctx->comm != MPI_COMM_NULL)
        MPI_Comm_free(&ctx->comm);
    free(ctx->gather);
    free(ctx->counts);
    free(ctx->dense);
    free(ctx->send);
    free(ctx->recv);
    free(ctx->recv_counts);
    free(ctx->displs);
    free(ctx->cursor);
    free(ctx->ids);
    free(ctx->rows);
    free(ctx->is_dense);
    free(ctx);
}

int rec_mpi_rank(const rec_mpi *ctx)
{
    return ctx ? ctx->rank : 0;
}

int rec_mpi_size(const rec_mpi *ctx)
{
    return ctx ? ctx->size : 0;
}

rec_status rec_mpi_set_exchange(rec_mpi *ctx, rec_mpi_exchange mode)
{
    if (!ctx)
        return rec__mpi_error(REC_EINVAL, "rec_mpi_set_exchange: ctx is NULL");
    if (mode != REC_MPI_EXCHANGE_AUTO && mode != REC_MPI_EXCHANGE_SPARSE &&
        mode != REC_MPI_EXCHANGE_DENSE)
        return rec__mpi_error(REC_EINVAL, "rec_mpi_set_exchange: unknown mode %d", (int)mode);
    ctx->mode = mode;
    return REC_OK;
}

rec_status rec_mpi_traffic(uint64_t *steps_out, uint64_t *dense_bytes_out,
                           uint64_t *sparse_bytes_out, uint64_t *meta_bytes_out,
                           double *seconds_out, const rec_mpi *ctx)
{
    if (!ctx)
        return rec__mpi_error(REC_EINVAL, "rec_mpi_traffic: ctx is NULL");
    if (steps_out)
        *steps_out = ctx->steps;
    if (dense_bytes_out)
        *dense_bytes_out = ctx->dense_bytes;
    if (sparse_bytes_out)
        *sparse_bytes_out = ctx->sparse_bytes;
    if (meta_bytes_out)
        *meta_bytes_out = ctx->meta_bytes;
    if (seconds_out)
        *seconds_out = ctx->seconds;
    return REC_OK;
}
