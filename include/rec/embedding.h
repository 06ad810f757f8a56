/**
 * @file rec/embedding.h
 * @defgroup embedding Embedding table
 * Keras `Embedding(n_rows, dim)`: an n_rows × dim float table, row-major, initialised uniform in
 * [-0.05, 0.05] (w = -0.05 + 0.1·u, u from rec_rng in row-major order). Forward is a gather of
 * rows; backward accumulates row gradients into the table's own gradient buffer, touching only
 * the rows used (sparse), until an optimizer applies and clears them. The pooled variants
 * implement `Embedding(mask_zero=True)` + `GlobalAveragePooling1D()`: the mean of the rows of
 * each bag, skipping index 0 (padding); an empty bag gives zeros (Keras would give NaN).
 * @{
 */
#ifndef REC_EMBEDDING_H
#define REC_EMBEDDING_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Create a table with Keras's uniform(-0.05, 0.05) initialisation from a seed.
 * @param[out] out the new table, NULL on failure. Ownership: caller, rec_embedding_free().
 * @param n_rows number of rows (ids 0..n_rows − 1), > 0
 * @param dim width of a row, > 0
 * @param seed seeds the initialisation: the same seed gives the same table on every machine
 * @retval REC_OK
 * @retval REC_EINVAL out NULL, n_rows or dim 0, or n_rows·dim overflowing
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_embedding_create(rec_embedding **out, uint32_t n_rows, uint32_t dim,
                                        uint64_t seed);

/**
 * Free a table; NULL is accepted.
 * @param emb the table to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_embedding_free(rec_embedding *emb);

/**
 * Number of rows.
 * @param emb the table (may be NULL: returns 0)
 * @return the number of rows, or 0 when emb is NULL
 * @since 1.0
 */
REC_API uint32_t rec_embedding_rows(const rec_embedding *emb);

/**
 * Width of a row.
 * @param emb the table (may be NULL: returns 0)
 * @return dim, or 0 when emb is NULL
 * @since 1.0
 */
REC_API uint32_t rec_embedding_dim(const rec_embedding *emb);

/**
 * Borrowed pointer to one row (dim floats), valid until the table is freed; its values change
 * when an optimizer updates the table. NULL when row is out of range.
 * @param emb the table (may be NULL: returns NULL)
 * @param row row index, < rec_embedding_rows()
 * @return the row, or NULL when emb is NULL or row is out of range
 * @since 1.0
 */
REC_API const float *rec_embedding_row(const rec_embedding *emb, uint32_t row);

/**
 * Copy all weights (n_rows·dim floats, row-major) into out.
 * @param emb the table (only read)
 * @param[out] out n_rows·dim floats, row-major
 * @param n capacity of out; must equal n_rows·dim
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ESHAPE n ≠ n_rows·dim
 * @since 1.0
 */
REC_API rec_status rec_embedding_get_weights(const rec_embedding *emb, float *out, size_t n);

/**
 * Replace all weights. Non-finite values are refused and nothing is changed.
 * @param emb the table
 * @param w n_rows·dim floats, row-major (copied)
 * @param n number of floats in w; must equal n_rows·dim
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ESHAPE n ≠ n_rows·dim
 * @retval REC_ENUMERIC a value is NaN or infinite
 * @since 1.0
 */
REC_API rec_status rec_embedding_set_weights(rec_embedding *emb, const float *w, size_t n);

/**
 * Gather: out[i] = row ids[i], for i < n (out holds n·dim floats).
 * @param emb the table (only read)
 * @param ids n row indices, each < rec_embedding_rows()
 * @param n number of indices
 * @param[out] out n·dim floats
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument or an id ≥ n_rows (named in the message)
 * @since 1.0
 */
REC_API rec_status rec_embedding_gather(const rec_embedding *emb, const uint32_t *ids, size_t n,
                                        float *out);

/**
 * Backward of gather: grad[row ids[i]] += grad_out[i]. Repeated ids are summed.
 * @param emb the table whose gradient accumulates
 * @param ids n row indices, as given to rec_embedding_gather()
 * @param n number of indices
 * @param grad_out n·dim floats: gradient of the loss with respect to the gathered rows
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument or id out of range (nothing accumulated)
 * @since 1.0
 */
REC_API rec_status rec_embedding_backward(rec_embedding *emb, const uint32_t *ids, size_t n,
                                          const float *grad_out);

/**
 * Masked mean pooling over bags given in CSR form: bag b holds ids[offsets[b] .. offsets[b+1]),
 * offsets has n_bags + 1 non-decreasing entries starting at 0. out[b] = mean of the rows of the
 * non-zero ids of bag b, or zeros when the bag has none.
 * @param emb the table (only read)
 * @param ids offsets[n_bags] row indices, the bags one after another
 * @param offsets n_bags + 1 non-decreasing offsets into ids, starting at 0
 * @param n_bags number of bags
 * @param[out] out n_bags·dim floats
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, bad offsets or id out of range
 * @since 1.0
 */
REC_API rec_status rec_embedding_pool_mean(const rec_embedding *emb, const uint32_t *ids,
                                           const size_t *offsets, size_t n_bags, float *out);

/**
 * Backward of rec_embedding_pool_mean: each non-zero id j of bag b gets grad_out[b] / c_b,
 * with c_b the number of non-zero ids of the bag.
 * @param emb the table whose gradient accumulates
 * @param ids offsets[n_bags] row indices, as given to rec_embedding_pool_mean()
 * @param offsets n_bags + 1 offsets into ids, as given to rec_embedding_pool_mean()
 * @param n_bags number of bags
 * @param grad_out n_bags·dim floats: gradient of the loss with respect to the pooled rows
 * @retval REC_OK
 * @retval REC_EINVAL as rec_embedding_pool_mean (nothing accumulated)
 * @since 1.0
 */
REC_API rec_status rec_embedding_pool_mean_backward(rec_embedding *emb, const uint32_t *ids,
                                                    const size_t *offsets, size_t n_bags,
                                                    const float *grad_out);

/**
 * Copy the accumulated gradient as a dense n_rows·dim array (zeros in untouched rows).
 * @param emb the table (only read)
 * @param[out] out n_rows·dim floats, row-major
 * @param n capacity of out; must equal n_rows·dim
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE n ≠ n_rows·dim
 * @since 1.0
 */
REC_API rec_status rec_embedding_get_grad(const rec_embedding *emb, float *out, size_t n);

/**
 * Number of distinct rows with an accumulated gradient since the last clear.
 * @param emb the table (may be NULL: returns 0)
 * @return the number of rows touched since the last clear, or 0 when emb is NULL
 * @since 1.0
 */
REC_API size_t rec_embedding_grad_row_count(const rec_embedding *emb);

/**
 * Clear the accumulated gradient (touching only the rows used). NULL is accepted.
 * @param emb the table (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_embedding_zero_grad(rec_embedding *emb);

REC_END_DECLS

/** @} */
#endif
