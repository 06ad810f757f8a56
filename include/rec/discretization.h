/**
 * @file rec/discretization.h
 * @defgroup discretization Discretization
 * Keras `Discretization(bin_boundaries=B)` (TensorFlow's Bucketize): the bucket of x is the
 * number of boundaries b with b ≤ x, so there are len(B) + 1 buckets, 0..len(B). librec compares
 * in double precision (TensorFlow casts the boundaries to float32; for the tutorial's timestamps
 * the two agree except within ~64 s of a boundary).
 * @{
 */
#ifndef REC_DISCRETIZATION_H
#define REC_DISCRETIZATION_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Create from explicit boundaries: finite, non-decreasing; n may be 0 (one bucket).
 * @param[out] out new handle, NULL on failure. Ownership: caller, rec_discretization_free().
 * @param boundaries n bucket boundaries (copied); may be NULL when n is 0
 * @param n number of boundaries; the handle has n + 1 buckets
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, non-finite or decreasing boundary (its
 * position is named)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_discretization_create(rec_discretization **out, const double *boundaries,
                                             size_t n);

/**
 * Create n boundaries evenly spaced from lo to hi inclusive, as numpy.linspace(lo, hi, n):
 * b_i = lo + i·(hi − lo)/(n − 1), with b_{n−1} = hi exactly (n = 1 gives just lo).
 * @param[out] out new handle, NULL on failure. Ownership: caller, rec_discretization_free().
 * @param lo lowest boundary
 * @param hi highest boundary
 * @param n number of boundaries
 * @retval REC_OK
 * @retval REC_EINVAL n = 0, lo > hi, non-finite
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_discretization_create_linspace(rec_discretization **out, double lo,
                                                      double hi, size_t n);

/**
 * Adapt: n_boundaries evenly spaced between the minimum and the maximum of x (what the
 * tutorial does with numpy.linspace over all timestamps).
 * @param[out] out new handle, NULL on failure. Ownership: caller, rec_discretization_free().
 * @param x n_x values to adapt on
 * @param n_x number of values
 * @param n_boundaries number of boundaries wanted
 * @retval REC_OK
 * @retval REC_EINVAL n_x or n_boundaries 0, NULL, or a non-finite x (index
 * named)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_discretization_adapt(rec_discretization **out, const double *x, size_t n_x,
                                            size_t n_boundaries);

/**
 * Free; NULL is accepted.
 * @param disc the discretization to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_discretization_free(rec_discretization *disc);

/**
 * Number of buckets: boundaries + 1.
 * @param disc the discretization (may be NULL: returns 0)
 * @return the number of boundaries + 1, or 0 when disc is NULL
 * @since 1.0
 */
REC_API size_t rec_discretization_n_buckets(const rec_discretization *disc);

/**
 * Copy the boundaries.
 * @param disc the discretization (only read)
 * @param[out] out n boundaries
 * @param n capacity of out; must equal the number of boundaries
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE n ≠ count
 * @since 1.0
 */
REC_API rec_status rec_discretization_boundaries(const rec_discretization *disc, double *out,
                                                 size_t n);

/**
 * Bucket of one value (binary search; NaN goes to bucket 0).
 * @param disc the discretization (may be NULL: returns 0)
 * @param x the value
 * @return the bucket, 0..rec_discretization_n_buckets() − 1; 0 when disc is NULL
 * @since 1.0
 */
REC_API uint32_t rec_discretization_bucket(const rec_discretization *disc, double x);

/**
 * Buckets of n values.
 * @param disc the discretization (only read)
 * @param x n values
 * @param n number of values
 * @param[out] buckets_out n buckets
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @since 1.0
 */
REC_API rec_status rec_discretization_apply(const rec_discretization *disc, const double *x,
                                            size_t n, uint32_t *buckets_out);

REC_END_DECLS

/** @} */
#endif
