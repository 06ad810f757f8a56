/**
 * @file rec/normalization.h
 * @defgroup normalization Normalization
 * Keras `Normalization(axis=None)`: y = (x − mean) / max(√variance, 1e-7), with the mean and
 * the population variance (divided by n) adapted on data. Statistics are computed in double
 * precision (two-pass), outputs are float.
 * @{
 */
#ifndef REC_NORMALIZATION_H
#define REC_NORMALIZATION_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Create from a known mean and variance (variance ≥ 0, both finite).
 * @param[out] out new handle, NULL on failure. Ownership: caller, rec_normalization_free().
 * @param mean value subtracted from every input, finite
 * @param variance population variance, finite and ≥ 0 (a value below 1e-14 divides by 1e-7)
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_normalization_create(rec_normalization **out, double mean,
                                            double variance);

/**
 * Adapt on data: mean and population variance of x.
 * @param[out] out new normalization, NULL on failure. Ownership: caller, rec_normalization_free().
 * @param x n values to adapt on
 * @param n number of values
 * @retval REC_OK
 * @retval REC_EINVAL NULL, n = 0, or a non-finite value (index named)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_normalization_adapt(rec_normalization **out, const double *x, size_t n);

/**
 * Free; NULL is accepted.
 * @param norm the normalization to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_normalization_free(rec_normalization *norm);

/**
 * Adapted mean.
 * @param norm the normalization (may be NULL: returns 0)
 * @return the mean, or 0 when norm is NULL
 * @since 1.0
 */
REC_API double rec_normalization_mean(const rec_normalization *norm);
/**
 * Adapted population variance.
 * @param norm the normalization (may be NULL: returns 0)
 * @return the variance, or 0 when norm is NULL
 * @since 1.0
 */
REC_API double rec_normalization_variance(const rec_normalization *norm);

/**
 * Normalize one value.
 * @param norm the normalization (may be NULL: returns 0)
 * @param x the value
 * @return the normalized value, as rec_normalization_apply() computes it; 0 when norm is NULL
 * @since 1.0
 */
REC_API float rec_normalization_value(const rec_normalization *norm, double x);

/**
 * Normalize n values into out.
 * @param norm the normalization (only read)
 * @param x n values
 * @param n number of values
 * @param[out] out n normalized values
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @since 1.0
 */
REC_API rec_status rec_normalization_apply(const rec_normalization *norm, const double *x,
                                           size_t n, float *out);

REC_END_DECLS

/** @} */
#endif
