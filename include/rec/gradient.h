/**
 * @file rec/gradient.h
 * @defgroup gradient Gradient exchange
 * The gradient a model accumulated with rec_model_compute_gradients(), read out into caller
 * buffers and written back before rec_model_apply_gradients(), so that gradients computed in
 * several processes or on several copies of a model can be summed in between: data-parallel
 * training (librec_mpi, `rec/mpi.h`, is built on these functions alone), or any transport of
 * the caller's. Nothing here depends on MPI.
 *
 * A built model's gradient has two parts:
 * - the **dense part**: one flat vector of rec_model_grad_dense_size() floats, every dense
 *   layer's kernel (row-major n_in × n_out, as rec_dense_get_grad()) then its bias, layer by
 *   layer;
 * - **tables**: rec_model_grad_n_tables() tables of n_rows × dim weights whose gradient is
 *   sparse, non-zero only in the rows the batch touched. In order: for each feature, its
 *   embedding (all kinds but NUMERIC), then its linear table (BIASED_DOT, FM), then its factor
 *   vector (FM, NUMERIC features); last the global bias (BIASED_DOT, FM; 1 × 1).
 *
 * Summing across parts of a batch. rec_model_compute_gradients() over n rows gives the
 * gradient of the mean over those rows. When a global batch of B rows is split into parts of
 * n_r rows (Σ n_r = B) computed separately, the gradient of the whole batch is
 * g = Σ_r (n_r / B) · g_r: scale each part by n_r / B, then add. Apply the same summed gradient
 * to every copy (same optimizer settings, same starting weights and state) and the copies stay
 * identical, and equal to one model trained on the whole batch up to the order of
 * floating-point additions. Exceptions: L2 on a feature's tables adds 2λ·w to the rows each
 * part touched, so a row touched by only some parts gets a share of its penalty; dropout masks
 * are drawn per part; both stay correct in expectation only.
 *
 * Row ids are table rows (0 .. n_rows − 1). A touched row is reported once even when several
 * examples used it; rec_model_grad_table_set() accepts a row any number of times and sums.
 * Optimizers update only touched rows, so a row listed with a zero gradient is still updated
 * (Adam's moments decay): pass the union of the parts' rows, no more.
 * @{
 */
#ifndef REC_GRADIENT_H
#define REC_GRADIENT_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Number of floats in the dense part of the gradient: Σ over dense layers of
 * n_in·n_out + n_out.
 * @param model the model (may be NULL or unbuilt: returns 0)
 * @return 0 for NULL, an unbuilt model or one without dense layers
 * @since 1.0
 */
REC_API size_t rec_model_grad_dense_size(const rec_model *model);

/**
 * Copy the dense part of the accumulated gradient.
 * @param[out] out n floats
 * @param n must equal rec_model_grad_dense_size()
 * @param model a built model
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, NULL out with n > 0
 * @retval REC_ESTATE not built
 * @retval REC_ESHAPE n differs from the dense size
 * @since 1.0
 */
REC_API rec_status rec_model_grad_dense_get(float *out, size_t n, const rec_model *model);

/**
 * Replace the dense part of the accumulated gradient (then rec_model_apply_gradients()).
 * Nothing is changed on failure.
 * @param model a built model
 * @param grad n floats, in the layout of rec_model_grad_dense_get()
 * @param n must equal rec_model_grad_dense_size()
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, NULL grad with n > 0
 * @retval REC_ESTATE not built
 * @retval REC_ESHAPE n differs from the dense size
 * @retval REC_ENUMERIC a value is NaN or infinite (its index is named)
 * @since 1.0
 */
REC_API rec_status rec_model_grad_dense_set(rec_model *model, const float *grad, size_t n);

/**
 * Number of tables with a sparse (row) gradient.
 * @param model the model (may be NULL or unbuilt: returns 0)
 * @return 0 for NULL or an unbuilt model
 * @since 1.0
 */
REC_API size_t rec_model_grad_n_tables(const rec_model *model);

/**
 * Shape of table `table` and how many of its rows hold a gradient now.
 * @param[out] n_rows_out rows (may be NULL)
 * @param[out] dim_out floats per row (may be NULL)
 * @param[out] n_touched_out rows with an accumulated gradient (may be NULL)
 * @param model a built model
 * @param table 0 .. rec_model_grad_n_tables() − 1
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, table ≥ rec_model_grad_n_tables()
 * @retval REC_ESTATE not built
 * @since 1.0
 */
REC_API rec_status rec_model_grad_table_shape(uint32_t *n_rows_out, uint32_t *dim_out,
                                              size_t *n_touched_out, const rec_model *model,
                                              size_t table);

/**
 * Copy the touched rows of table `table`: their ids (in the order the batch first touched
 * them) and their gradient rows.
 * @param[out] rows_out cap row ids
 * @param[out] grad_out cap × dim floats: row i's gradient at grad_out[i·dim]
 * @param cap capacity of the buffers, in rows
 * @param[out] n_out rows written; on REC_ESHAPE, the rows needed (may be NULL)
 * @param model a built model
 * @param table 0 .. rec_model_grad_n_tables() − 1
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, bad table, NULL buffer while rows are touched
 * @retval REC_ESTATE not built
 * @retval REC_ESHAPE cap smaller than the touched rows (nothing written)
 * @since 1.0
 */
REC_API rec_status rec_model_grad_table_get(uint32_t *rows_out, float *grad_out, size_t cap,
                                            size_t *n_out, const rec_model *model,
                                            size_t table);

/**
 * Replace the gradient of table `table` by n rows: the table's gradient is cleared, then each
 * rows[i] gets grad[i·dim ..] added, in the order given (a row listed twice gets the sum) and
 * is marked touched. n = 0 clears the table's gradient. Nothing is changed on failure.
 * @param model a built model
 * @param table 0 .. rec_model_grad_n_tables() − 1
 * @param rows n row ids < n_rows
 * @param grad n × dim floats
 * @param n rows given (0 clears)
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, bad table, NULL arrays with n > 0, a row out of range
 * @retval REC_ESTATE not built
 * @retval REC_ENUMERIC a value is NaN or infinite
 * @since 1.0
 */
REC_API rec_status rec_model_grad_table_set(rec_model *model, size_t table, const uint32_t *rows,
                                            const float *grad, size_t n);

REC_END_DECLS

/** @} */
#endif
