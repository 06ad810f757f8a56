/**
 * @file rec/dense.h
 * @defgroup dense Dense layer
 * Keras `Dense(n_out, activation)`: y = act(x·W + b) for a batch x of shape batch × n_in
 * (row-major), W of shape n_in × n_out initialised Glorot-uniform (uniform in ±√(6/(n_in+n_out)),
 * row-major order from rec_rng), b zeros. Forward and backward run through CBLAS sgemm.
 * Backward takes the forward's input and output (activation derivatives are written in terms of
 * y: relu' = [y > 0], sigmoid' = y(1−y), tanh' = 1−y²) and accumulates dW = xᵀ·δ and
 * db = Σ_rows δ with δ = dy ∘ act'(y) into the layer's gradient buffers.
 * @{
 */
#ifndef REC_DENSE_H
#define REC_DENSE_H

#include "common.h"

REC_BEGIN_DECLS

/** Activation functions; values are fixed. */
typedef enum rec_activation {
    REC_ACTIVATION_LINEAR = 0,  /**< y = z */
    REC_ACTIVATION_RELU = 1,    /**< y = max(z, 0) */
    REC_ACTIVATION_SIGMOID = 2, /**< y = 1 / (1 + e^−z) */
    REC_ACTIVATION_TANH = 3     /**< y = tanh z */
} rec_activation;

/**
 * Name of an activation ("linear", "relu", "sigmoid", "tanh"), or "unknown".
 * @param activation a ::rec_activation value (any int is accepted)
 * @return a static string, never NULL
 * @since 1.0
 */
REC_API const char *rec_activation_name(int activation);

/**
 * Create a dense layer with Glorot-uniform kernel and zero bias.
 * @param[out] out new layer, NULL on failure. Ownership: caller, rec_dense_free().
 * @param n_in input width (columns of x), 1..INT_MAX (CBLAS dimensions are int)
 * @param n_out output width (units), 1..INT_MAX; n_in·n_out floats must fit in memory
 * @param activation applied to x·W + b (::rec_activation)
 * @param seed seeds the Glorot-uniform kernel initialisation
 * @retval REC_OK
 * @retval REC_EINVAL zero or overflowing sizes, unknown activation
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dense_create(rec_dense **out, uint32_t n_in, uint32_t n_out,
                                    rec_activation activation, uint64_t seed);

/**
 * Free a layer; NULL is accepted.
 * @param dense the layer to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_dense_free(rec_dense *dense);

/**
 * Input width.
 * @param dense the layer (may be NULL: returns 0)
 * @return n_in, or 0 when dense is NULL
 * @since 1.0
 */
REC_API uint32_t rec_dense_n_in(const rec_dense *dense);
/**
 * Output width.
 * @param dense the layer (may be NULL: returns 0)
 * @return n_out, or 0 when dense is NULL
 * @since 1.0
 */
REC_API uint32_t rec_dense_n_out(const rec_dense *dense);
/**
 * Activation.
 * @param dense the layer (may be NULL: returns ::REC_ACTIVATION_LINEAR)
 * @return the layer's activation, or ::REC_ACTIVATION_LINEAR when dense is NULL
 * @since 1.0
 */
REC_API rec_activation rec_dense_activation(const rec_dense *dense);

/**
 * Forward: y (batch × n_out) = act(x·W + b). Does not modify the layer (thread-safe on a
 * shared layer).
 * @param dense the layer (only read)
 * @param x batch × n_in inputs, row-major
 * @param batch number of rows
 * @param[out] y batch × n_out outputs, row-major
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument or batch 0
 * @since 1.0
 */
REC_API rec_status rec_dense_forward(const rec_dense *dense, const float *x, size_t batch,
                                     float *y);

/**
 * Backward: accumulate dW += xᵀ·δ, db += Σ δ with δ = dy ∘ act'(y), and, when dx is not NULL,
 * write dx (batch × n_in) = δ·Wᵀ.
 * @param dense the layer whose gradient buffers are accumulated into (weights unchanged)
 * @param x the forward's input, batch × n_in
 * @param y the forward's output, batch × n_out
 * @param dy ∂loss/∂y, batch × n_out
 * @param batch number of rows of x, y, dy and dx, > 0
 * @param[out] dx ∂loss/∂x, batch × n_in, overwritten; NULL when not needed (first layer)
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM (scratch growth failed; nothing changed)
 * @since 1.0
 */
REC_API rec_status rec_dense_backward(rec_dense *dense, const float *x, const float *y,
                                      const float *dy, size_t batch, float *dx);

/**
 * Copy kernel (n_in·n_out, row-major) and bias (n_out). Either output may be NULL to skip it.
 * @param dense the layer (only read)
 * @param[out] kernel n_in·n_out floats, row-major
 * @param n_kernel capacity of kernel; must equal n_in·n_out
 * @param[out] bias n_out floats
 * @param n_bias capacity of bias; must equal n_out
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE a size does not match
 * @since 1.0
 */
REC_API rec_status rec_dense_get_weights(const rec_dense *dense, float *kernel, size_t n_kernel,
                                         float *bias, size_t n_bias);

/**
 * Replace kernel and/or bias (NULL skips). Non-finite values are refused, nothing changed.
 * @param dense the layer
 * @param kernel n_in·n_out floats, row-major (copied)
 * @param n_kernel number of floats in kernel; must equal n_in·n_out
 * @param bias n_out floats (copied)
 * @param n_bias number of floats in bias; must equal n_out
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE
 * @retval REC_ENUMERIC
 * @since 1.0
 */
REC_API rec_status rec_dense_set_weights(rec_dense *dense, const float *kernel, size_t n_kernel,
                                         const float *bias, size_t n_bias);

/**
 * Copy the accumulated gradients of kernel and bias (NULL skips).
 * @param dense the layer (only read)
 * @param[out] kernel n_in·n_out floats, row-major
 * @param n_kernel capacity of kernel; must equal n_in·n_out
 * @param[out] bias n_out floats
 * @param n_bias capacity of bias; must equal n_out
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE
 * @since 1.0
 */
REC_API rec_status rec_dense_get_grad(const rec_dense *dense, float *kernel, size_t n_kernel,
                                      float *bias, size_t n_bias);

/**
 * Clear the accumulated gradients; NULL is accepted.
 * @param dense the layer (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_dense_zero_grad(rec_dense *dense);

REC_END_DECLS

/** @} */
#endif
