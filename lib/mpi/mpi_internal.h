/*
 * Private declarations of librec_mpi (never installed): the context, its scratch buffers and
 * the helpers shared by comm.c (context, errors, status gathering), exchange.c (the gradient
 * sum) and train.c (step, epoch, evaluation, save). librec_mpi uses only librec's public API
 * (rec.h, rec/mpi.h); its errors go through rec_error_set(), so callers read rec_last_error()
 * as for any librec call.
 */
#ifndef REC_LIB_MPI_INTERNAL_H
#define REC_LIB_MPI_INTERNAL_H

#include <rec.h>
#include <rec/mpi.h>

#include <stddef.h>
#include <stdint.h>

#define REC__MPI_HIDDEN __attribute__((visibility("hidden")))

struct rec_mpi {
    MPI_Comm comm;          /* our duplicate of the caller's communicator */
    int rank, size;
    rec_mpi_exchange mode;
    /* scratch, grown on demand and kept: a step allocates nothing once warmed up */
    double *gather;         /* size × (header or counts) values of an all-gather */
    size_t gather_cap;
    double *counts;         /* this rank's touched rows per table */
    size_t counts_cap;
    float *dense;           /* the all-reduce vector */
    size_t dense_cap;
    uint32_t *send, *recv;  /* packed (row ids, rows) of the sparse tables, in 4-byte words */
    size_t send_cap, recv_cap;
    int *recv_counts, *displs, *cursor; /* size each, in words */
    uint32_t *ids;          /* rows of one table (get / set) */
    size_t ids_cap;
    float *rows;            /* their gradient rows */
    size_t rows_cap;
    unsigned char *is_dense;/* per table, for the current step */
    size_t is_dense_cap;
    /* rec_mpi_traffic */
    uint64_t steps, dense_bytes, sparse_bytes, meta_bytes;
    double seconds;         /* wall clock inside the exchange */
};

/* Set librec's per-thread message (printf-style) and return code. */
REC__MPI_HIDDEN rec_status rec__mpi_error(rec_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* REC_EIO naming the MPI call and MPI's error string, when err is not MPI_SUCCESS. */
REC__MPI_HIDDEN rec_status rec__mpi_mpi(int err, const char *call, const char *fn);
/* Grow *p to hold n elements of size bytes (keeps the contents); 0 on failure. */
REC__MPI_HIDDEN int rec__mpi_reserve(void **p, size_t *cap, size_t n, size_t size);

/* All-gather n doubles per rank into ctx->gather (rank r's at gather[r·n]). When any rank's
 * local[0] (its status) is non-zero, every rank fails: the failing rank returns its own status
 * (its message already set), the others REC_ERROR naming the first failing rank. */
REC__MPI_HIDDEN rec_status rec__mpi_gather_status(rec_mpi *ctx, const double *local, size_t n,
                                      const char *fn);

/* The gradient sum (exchange.c): see rec_mpi_allreduce_gradients(). local_rc is this rank's
 * status so far (a non-zero one fails every rank, after the first all-gather); sse is this
 * rank's squared-error sum, returned summed over the ranks with the global row count. */
REC__MPI_HIDDEN rec_status rec__mpi_exchange(rec_mpi *ctx, rec_model *model, size_t n_local,
                                 rec_status local_rc, double sse, double *sse_global,
                                 double *n_global, const char *fn);

#endif
