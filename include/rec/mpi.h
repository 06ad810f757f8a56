/**
 * @file rec/mpi.h
 * @defgroup mpi Data-parallel training over MPI (librec_mpi)
 * Synchronous data-parallel training of a librec model on the ranks of an MPI communicator
 * (Open MPI, MPICH). A separate library, built with `meson setup -Dmpi=enabled`: link
 * `pkg-config --libs librec-mpi` and include this header after `<mpi.h>` is available; librec
 * itself has no MPI dependency and `<rec.h>` does not include this header. Functions take the
 * caller's communicator, so an application that already uses MPI keeps control of it.
 *
 * Every rank builds the same model (same description, seed and adapt dataset, or loads the
 * same file) and creates a ::rec_mpi over the same communicator. Then, per step, each rank
 * computes the gradient of its own part of the global batch (rec_model_compute_gradients()),
 * the parts are summed across the ranks with weights n_r / B (B the global batch, n_r the
 * rank's rows; rec/gradient.h explains why), and every rank applies the same sum with the
 * same optimizer, so weights and optimizer state stay identical on all ranks and equal to
 * single-process training on the same global batches up to the order of floating-point
 * additions. Per step:
 * 1. one small all-gather of each rank's status, row count, loss and touched rows per table
 *    (a rank that failed makes every rank fail, so none waits in a collective);
 * 2. one all-reduce (sum) of a float vector: the dense layers' gradients, and each table that
 *    is cheaper to send whole, as n_rows × (dim + 1) floats (the extra column counts the ranks
 *    that touched the row, so the update visits exactly the union of their rows);
 * 3. one all-gather of the other tables' touched rows as (row id, gradient row) pairs, summed
 *    on every rank in rank order.
 *
 * Dense or sparse, per table and step (::REC_MPI_EXCHANGE_AUTO): with K the touched rows
 * summed over the ranks (a row counted once per rank that touched it), a ring all-reduce moves
 * about 2·n_rows·(dim + 1) floats through each rank, and an all-gather K·(dim + 1); so a table
 * goes dense when 2·n_rows ≤ K, sparse otherwise. The rule depends only on gathered counts, so
 * all ranks choose alike.
 *
 * Errors go through librec's channel: every fallible call returns a ::rec_status and leaves a
 * message in rec_last_error(). After a failed MPI call (REC_EIO) the ranks may be out of step;
 * the communicator should then be abandoned (MPI_Abort). Functions marked "collective" must
 * be called by every rank of the communicator, in the same order.
 *
 * Threads: a ::rec_mpi is used by one thread at a time; MPI must be initialized with at least
 * MPI_THREAD_FUNNELED if librec's own threads (rec_model_set_threads()) are on, which never
 * call MPI.
 * @{
 */
#ifndef REC_MPI_H
#define REC_MPI_H

#include <mpi.h>

#include "common.h"

/** Export macro of librec_mpi's functions: REC_API under another name, so that librec's
 * export check (which lists the functions declared REC_API) leaves them to librec_mpi's own
 * version script. */
#define REC_MPI_API REC_API

REC_BEGIN_DECLS

/** A communicator wrapper with the buffers of the gradient exchange; opaque. */
typedef struct rec_mpi rec_mpi;

/** How tables are exchanged; values fixed. */
typedef enum rec_mpi_exchange {
    REC_MPI_EXCHANGE_AUTO = 0,   /**< per table and step, the cheaper of the two (default) */
    REC_MPI_EXCHANGE_SPARSE = 1, /**< every table as (row id, gradient row) pairs */
    REC_MPI_EXCHANGE_DENSE = 2   /**< every table whole, in the all-reduce */
} rec_mpi_exchange;

/**
 * Create a context over comm (collective over comm). comm is duplicated (MPI_Comm_dup), so
 * librec_mpi's messages never mix with the caller's; the caller keeps comm.
 * @param[out] out new context, NULL on failure. Ownership: caller, rec_mpi_free() before
 *             MPI_Finalize().
 * @param comm the ranks that train together (MPI_COMM_WORLD or a sub-communicator)
 * @retval REC_OK
 * @retval REC_EINVAL out NULL, comm is MPI_COMM_NULL
 * @retval REC_ESTATE MPI is not initialized, or already finalized
 * @retval REC_EIO an MPI call failed (its error string is in the message)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_create(rec_mpi **out, MPI_Comm comm);

/**
 * Free a context and its duplicated communicator (collective); NULL is accepted.
 * @param ctx the context to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_MPI_API void rec_mpi_free(rec_mpi *ctx);

/**
 * This process's rank in the communicator (0 for NULL).
 * @param ctx the context (may be NULL: returns 0)
 * @return the rank, 0..rec_mpi_size() − 1, or 0 when ctx is NULL
 * @since 1.0
 */
REC_MPI_API int rec_mpi_rank(const rec_mpi *ctx);

/**
 * Number of ranks (0 for NULL).
 * @param ctx the context (may be NULL: returns 0)
 * @return the number of ranks, or 0 when ctx is NULL
 * @since 1.0
 */
REC_MPI_API int rec_mpi_size(const rec_mpi *ctx);

/**
 * Choose how tables are exchanged (default ::REC_MPI_EXCHANGE_AUTO). Results are the same
 * either way up to the order of additions; only the bytes moved differ. Every rank must set
 * the same mode.
 * @param ctx the context (rec_mpi_create())
 * @param mode ::rec_mpi_exchange
 * @retval REC_OK
 * @retval REC_EINVAL NULL ctx, unknown mode
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_set_exchange(rec_mpi *ctx, rec_mpi_exchange mode);

/**
 * Sum the gradients the ranks accumulated (collective): on return every rank's model holds
 * Σ_r (n_r / B)·g_r with B = Σ_r n_r, ready for rec_model_apply_gradients(). A rank with
 * n_local = 0 contributes nothing (whatever its model holds). On failure every rank's
 * accumulated gradient is cleared.
 * @param ctx the context (rec_mpi_create())
 * @param model a built model, the same description on every rank
 * @param n_local rows this rank computed its gradient over
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ESTATE model not built
 * @retval REC_ESHAPE the ranks' models differ in shape, or a step too large for MPI's int
 *         counts
 * @retval REC_EIO an MPI call failed
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_allreduce_gradients(rec_mpi *ctx, rec_model *model,
                                                   size_t n_local);

/**
 * One synchronous step (collective): the gradient of this rank's rows of the global batch,
 * summed over the ranks (rec_mpi_allreduce_gradients()), then applied with opt. Every rank
 * may hold a different dataset (its shard); the global batch is the union of the ranks' rows.
 * If any rank fails, every rank returns an error (the failing rank its own; the others
 * REC_ERROR naming the first failing rank) and no weight changes.
 * @param[out] loss_out mean squared error over the global batch (may be NULL)
 * @param ctx the context (rec_mpi_create())
 * @param model a built model, the same on every rank
 * @param opt the optimizer (the same settings on every rank)
 * @param ds this rank's data (may be NULL when n_local is 0)
 * @param rows n_local row indices of ds
 * @param n_local this rank's part of the global batch (0 on some ranks is allowed, not on all)
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, bad row, missing column, an empty global batch
 * @retval REC_ESTATE model not built
 * @retval REC_ENUMERIC the loss or a weight is not finite (on some rank)
 * @retval REC_ERROR another rank failed
 * @retval REC_ESHAPE
 * @retval REC_EIO
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_train_step(double *loss_out, rec_mpi *ctx, rec_model *model,
                                          rec_optimizer *opt, const rec_dataset *ds,
                                          const uint32_t *rows, size_t n_local);

/**
 * One epoch (collective): every rank holds the same training set ds (same rows, same order);
 * the rows are shuffled with rec_rng seeded by seed (the same order on every rank), cut into
 * global batches of batch_size, and rank r of P trains on rows [B·r/P, B·(r+1)/P) of each
 * global batch of B rows. Pass a different seed each epoch (e.g. seed + epoch).
 * @param[out] loss_out batch-size-weighted mean of the global batches' MSE (may be NULL)
 * @param[out] rmse_out √ of that (may be NULL)
 * @param ctx the context (rec_mpi_create())
 * @param model a built model, the same on every rank
 * @param opt the optimizer (the same settings on every rank)
 * @param ds the training set, identical on every rank
 * @param batch_size global batch size B, 1 .. 2^24
 * @param seed of the epoch's order (rec_rng), the same on every rank
 * @retval REC_OK
 * @retval REC_EINVAL NULL or empty ds, batch_size 0, ranks disagree on the dataset size,
 *         batch size or seed
 * @retval REC_ESTATE
 * @retval REC_ENUMERIC
 * @retval REC_ERROR another rank failed
 * @retval REC_ESHAPE
 * @retval REC_EIO
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_train_epoch(double *loss_out, double *rmse_out, rec_mpi *ctx,
                                           rec_model *model, rec_optimizer *opt,
                                           const rec_dataset *ds, size_t batch_size,
                                           uint64_t seed);

/**
 * RMSE and MAE over a dataset every rank holds (collective): rank r of P evaluates rows
 * [N·r/P, N·(r+1)/P), and the squared and absolute errors are summed over the ranks.
 * @param[out] rmse_out may be NULL
 * @param[out] mae_out may be NULL
 * @param ctx the context (rec_mpi_create())
 * @param model the model to evaluate
 * @param ds the evaluation set, identical on every rank
 * @param batch_size rows per forward pass (as rec_model_evaluate())
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, empty ds, ranks disagree on its size
 * @retval REC_ESTATE
 * @retval REC_ERROR another rank failed
 * @retval REC_EIO
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_evaluate(double *rmse_out, double *mae_out, rec_mpi *ctx,
                                        const rec_model *model, const rec_dataset *ds,
                                        size_t batch_size);

/**
 * Save the model once, from rank 0 (collective): rec_model_save() on rank 0, its status and
 * message sent to every rank. The file is an ordinary model file: rec_model_load() reads it in
 * any single-process program.
 * @param ctx the context (rec_mpi_create())
 * @param model the model (read on rank 0 only)
 * @param path file to write (used on rank 0 only)
 * @param include_optimizer_state as rec_model_save()
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval as rec_model_save() on rank 0 (the other ranks return the same code, their message
 *         naming rank 0's)
 * @retval REC_EIO an MPI call failed
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_save(rec_mpi *ctx, const rec_model *model, const char *path,
                                    int include_optimizer_state);

/**
 * Traffic counted since the context was created, for this rank.
 * @param[out] steps_out gradient exchanges (may be NULL)
 * @param[out] dense_bytes_out Σ over steps of the all-reduce vector's size in bytes (each rank
 *             contributes it; a ring all-reduce sends and receives 2(P−1)/P of it per rank)
 * @param[out] sparse_bytes_out Σ over steps of the gathered (row id, gradient row) payload of
 *             all ranks in bytes (each rank receives all of it but its own part)
 * @param[out] meta_bytes_out Σ of the per-step status and counts all-gathers, all ranks
 * @param[out] seconds_out wall-clock seconds this rank spent in the exchange: packing,
 *             collectives (including waiting for slower ranks) and unpacking (may be NULL)
 * @param ctx the context (rec_mpi_create())
 * @retval REC_OK
 * @retval REC_EINVAL NULL ctx
 * @since 1.0
 */
REC_MPI_API rec_status rec_mpi_traffic(uint64_t *steps_out, uint64_t *dense_bytes_out,
                                       uint64_t *sparse_bytes_out, uint64_t *meta_bytes_out,
                                       double *seconds_out, const rec_mpi *ctx);

REC_END_DECLS

/** @} */
#endif
