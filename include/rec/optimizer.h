/**
 * @file rec/optimizer.h
 * @defgroup optimizer Optimizers
 * Optimizers apply the gradients accumulated in embedding tables and dense layers, then clear
 * them. Per-parameter state (Adagrad's accumulators) lives beside the parameter it belongs to
 * and is created on the first update; embedding tables are updated sparsely, row by row, so a
 * step costs only the rows a batch used (rows repeated in the batch were summed at backward).
 *
 * Adagrad (Keras defaults: learning rate 0.001 unless given, initial accumulator 0.1,
 * epsilon 1e-7), for each weight w with gradient g and accumulator a:
 *
 *     a ← a + g²;   w ← w − lr · g / (√a + ε)
 *
 * This is tf.keras 2.x (ResourceApplyAdagradV2); Keras 3 divides by √(a + ε) instead, a
 * difference below 1e-6 relative when a ≥ 0.1.
 *
 * Adam (Keras defaults β1 0.9, β2 0.999, ε 1e-7), at the parameter's t-th update:
 *
 *     m ← β1·m + (1−β1)·g;   v ← β2·v + (1−β2)·g²;   w ← w − lr_t · m / (√v + ε),
 *     lr_t = lr · √(1−β2^t) / (1−β1^t)
 *
 * Embedding tables are updated lazily (only the rows a batch touched, as TensorFlow Addons'
 * LazyAdam); Keras's Adam would also decay the moments of every other row.
 *
 * SGD: w ← w − lr · g.
 * @{
 */
#ifndef REC_OPTIMIZER_H
#define REC_OPTIMIZER_H

#include "common.h"

REC_BEGIN_DECLS

/** Optimizer kinds; values fixed. */
typedef enum rec_optimizer_kind {
    REC_OPTIMIZER_ADAGRAD = 0, /**< Adagrad */
    REC_OPTIMIZER_ADAM = 1,    /**< Adam (lazy on embedding tables) */
    REC_OPTIMIZER_SGD = 2      /**< plain stochastic gradient descent */
} rec_optimizer_kind;

/**
 * Create an Adagrad optimizer.
 * @param[out] out new optimizer, NULL on failure. Ownership: caller, rec_optimizer_free().
 * @param learning_rate > 0 and finite (the tutorial uses 0.1)
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_optimizer_create_adagrad(rec_optimizer **out, float learning_rate);

/**
 * Create an Adam optimizer (Keras defaults: β1 0.9, β2 0.999, ε 1e-7; Keras's default
 * learning rate is 0.001).
 * @param[out] out new optimizer, NULL on failure. Ownership: caller, rec_optimizer_free().
 * @param learning_rate > 0 and finite
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_optimizer_create_adam(rec_optimizer **out, float learning_rate);

/**
 * Create a plain SGD optimizer (w ← w − lr·g, no state).
 * @param[out] out new optimizer, NULL on failure. Ownership: caller, rec_optimizer_free().
 * @param learning_rate > 0 and finite
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_optimizer_create_sgd(rec_optimizer **out, float learning_rate);

/**
 * Kind of an optimizer (REC_OPTIMIZER_ADAGRAD for NULL).
 * @param opt the optimizer (may be NULL: returns ::REC_OPTIMIZER_ADAGRAD)
 * @return the optimizer's ::rec_optimizer_kind
 * @since 1.0
 */
REC_API rec_optimizer_kind rec_optimizer_kind_of(const rec_optimizer *opt);

/**
 * Adam: decay of the first moment, in [0, 1) (default 0.9).
 * @param opt an Adam optimizer
 * @param beta1 the decay, in [0, 1)
 * @retval REC_OK
 * @retval REC_EINVAL out of range, or not an Adam optimizer
 * @since 1.0
 */
REC_API rec_status rec_optimizer_set_beta1(rec_optimizer *opt, float beta1);

/**
 * Adam: decay of the second moment, in [0, 1) (default 0.999).
 * @param opt an Adam optimizer
 * @param beta2 the decay, in [0, 1)
 * @retval REC_OK
 * @retval REC_EINVAL out of range, or not an Adam optimizer
 * @since 1.0
 */
REC_API rec_status rec_optimizer_set_beta2(rec_optimizer *opt, float beta2);

/**
 * Free an optimizer; NULL is accepted.
 * @param opt the optimizer to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_optimizer_free(rec_optimizer *opt);

/**
 * Set the learning rate (> 0, finite).
 * @param opt the optimizer
 * @param learning_rate the new learning rate, > 0 and finite
 * @retval REC_OK
 * @retval REC_EINVAL
 * @since 1.0
 */
REC_API rec_status rec_optimizer_set_learning_rate(rec_optimizer *opt, float learning_rate);

/**
 * Set Adagrad's initial accumulator value (≥ 0, finite; default 0.1). Applies to state created
 * after the call. Other kinds refuse it (REC_EINVAL).
 * @param opt an Adagrad optimizer
 * @param value the initial accumulator value, ≥ 0 and finite
 * @retval REC_OK
 * @retval REC_EINVAL
 * @since 1.0
 */
REC_API rec_status rec_optimizer_set_initial_accumulator(rec_optimizer *opt, float value);

/**
 * Set epsilon of Adagrad or Adam (≥ 0, finite; default 1e-7). SGD refuses it (REC_EINVAL).
 * @param opt an Adagrad or Adam optimizer
 * @param epsilon the new epsilon, ≥ 0 and finite
 * @retval REC_OK
 * @retval REC_EINVAL
 * @since 1.0
 */
REC_API rec_status rec_optimizer_set_epsilon(rec_optimizer *opt, float epsilon);

/**
 * Current learning rate.
 * @param opt the optimizer (may be NULL: returns 0)
 * @return the learning rate, or 0 when opt is NULL
 * @since 1.0
 */
REC_API float rec_optimizer_learning_rate(const rec_optimizer *opt);

/**
 * Apply and clear the gradient accumulated in an embedding table (rows touched only).
 * @param opt the optimizer (its state for the table is created on first use)
 * @param emb the table whose weights are updated and gradient cleared
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ENOMEM state allocation failed
 * (weights unchanged)
 * @since 1.0
 */
REC_API rec_status rec_optimizer_update_embedding(rec_optimizer *opt, rec_embedding *emb);

/**
 * Apply and clear the gradient accumulated in a dense layer (kernel and bias).
 * @param opt the optimizer (its state for the layer is created on first use)
 * @param dense the layer whose weights are updated and gradient cleared
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM (weights unchanged)
 * @since 1.0
 */
REC_API rec_status rec_optimizer_update_dense(rec_optimizer *opt, rec_dense *dense);

REC_END_DECLS

/** @} */
#endif
