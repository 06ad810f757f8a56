/*
 * lib/blocks: the public building blocks (vocabulary, embedding table, dense layer,
 * discretization, normalization, text vectorizer, optimizers) and the trainable parameter
 * they share, with what the model's training loop needs of them beyond the public API: the
 * parameters themselves, the dense layer's raw passes and its activations. Above lib/kernels.
 * Never installed.
 */
#ifndef REC_LIB_BLOCKS_H
#define REC_LIB_BLOCKS_H

#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

/* ---- trainable parameters (param.c) -------------------------------------------------------
 * A parameter is a flat float array with a gradient buffer of the same size. When row_dim > 0
 * it is a table of rows and its gradient is sparse: only rows listed in `touched` are non-zero,
 * so optimizers and the gradient exchange only visit those. Optimizer state lives in slots
 * created on first use. */
typedef struct rec__param {
    float *w;            /* values, n */
    float *g;            /* gradient, n; zero outside touched rows */
    float *slot[2];      /* optimizer state (Adagrad: slot[0] accumulators), lazily allocated */
    int slot_kind;       /* optimizer kind that created the slots, 0 = none */
    uint64_t steps;      /* updates applied by that optimizer (Adam's bias correction) */
    size_t n;
    uint32_t row_dim;    /* 0: dense; > 0: rows of row_dim floats, sparse gradient */
    uint32_t *touched;   /* rows with a gradient, in first-touch order (sparse only) */
    size_t n_touched;
    uint8_t *is_touched; /* n / row_dim flags (sparse only) */
} rec__param;

REC_HIDDEN rec_status rec__param_init(rec__param *p, size_t n, uint32_t row_dim);
REC_HIDDEN void rec__param_release(rec__param *p);
/* Pointer to the gradient row `row`, marking it touched (sparse parameters). */
REC_HIDDEN float *rec__param_grad_row(rec__param *p, uint32_t row);
REC_HIDDEN void rec__param_zero_grad(rec__param *p);

/* Row `row` of a parameter's gradient, marked touched (the gradient is zero outside touched
 * rows, so the caller may add to it). Inline twin of rec__param_grad_row for the hot loop. */
static inline float *rec__param_row(rec__param *p, uint32_t row)
{
    if (!p->is_touched[row]) {
        p->is_touched[row] = 1;
        p->touched[p->n_touched++] = row;
    }
    return p->g + (size_t)row * p->row_dim;
}

/* Marks rows[0..n) touched, as rec__param_row would one by one, without a branch: whether a
 * row of a batch was seen before is a coin toss the predictor loses half the time, and each
 * miss flushes the row loads in flight. The row is written at the list's end whatever, and
 * kept by advancing the end only if new (touched has one spare slot for the write after the
 * last row). */
static inline void rec__param_mark_rows(rec__param *p, const uint32_t *rows, size_t n)
{
    uint32_t *restrict list = p->touched;
    uint8_t *restrict seen = p->is_touched;
    size_t k = p->n_touched;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        list[k] = r;
        k += (size_t)(seen[r] ^ 1u);
        seen[r] = 1;
    }
    p->n_touched = k;
}

/* ---- optimizers (optimizer.c) ------------------------------------------------------------ */

/* Apply an optimizer to one parameter and clear its gradient. `what` names the parameter in
 * the message of a failure ("training diverged: <what> row 3 column 1 is NaN after an
 * Adagrad step ..."), which names no function: the caller prefixes its own. */
REC_HIDDEN rec_status rec__optimizer_apply(rec_optimizer *opt, rec__param *p, const char *what);
/* State slots used by an optimizer kind as stored in rec__param.slot_kind (0 = no state yet),
 * or -1 for an unknown kind (the model file validates saved state with it). */
REC_HIDDEN int rec__optimizer_slot_count(int slot_kind);

/* ---- the blocks' parameters --------------------------------------------------------------- */

REC_HIDDEN rec__param *rec__embedding_param(rec_embedding *e);
REC_HIDDEN rec__param *rec__dense_kernel(rec_dense *d);
REC_HIDDEN rec__param *rec__dense_bias(rec_dense *d);

/* ---- activations (shared by dense.c and the model's fused first layer) ----------------------- */

/* Logistic function without overflow: for z ≥ 0, 1/(1 + e^−z); for z < 0, e^z/(1 + e^z), so
 * expf only ever sees a non-positive argument. */
static inline float rec__sigmoid(float z)
{
    if (z >= 0.0f)
        return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/* y = act(y) in place. relu keeps NaN (NaN < 0 is false) so divergence stays visible to the
 * loss instead of being silently zeroed. Always inlined: an outlined copy called from the
 * multi-versioned loops (REC_CLONES) would be the baseline (SSE2) one. */
static inline __attribute__((always_inline)) void
rec__act_apply(rec_activation act, float *restrict y, size_t n)
{
    switch (act) {
    case REC_ACTIVATION_LINEAR:
        break;
    case REC_ACTIVATION_RELU:
        for (size_t i = 0; i < n; i++)
            y[i] = y[i] < 0.0f ? 0.0f : y[i];
        break;
    case REC_ACTIVATION_SIGMOID:
        for (size_t i = 0; i < n; i++)
            y[i] = rec__sigmoid(y[i]);
        break;
    case REC_ACTIVATION_TANH:
        for (size_t i = 0; i < n; i++)
            y[i] = tanhf(y[i]);
        break;
    }
}

/* δ = dy ∘ act'(y), with act' written in terms of y = act(z); d, y and dy do not overlap.
 * For the linear activation δ = dy (callers usually use dy itself instead). */
static inline __attribute__((always_inline)) void
rec__act_delta(rec_activation act, float *restrict d, const float *restrict y,
               const float *restrict dy, size_t n)
{
    switch (act) {
    case REC_ACTIVATION_RELU:
        /* relu' = [y > 0]: δ = dy where y > 0, else +0. Done on the bits with an all-ones or
         * all-zeros mask, where the branchy `y > 0 ? dy : 0` mispredicts on half the elements. */
        for (size_t i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &dy[i], sizeof bits);
            bits &= -(uint32_t)(y[i] > 0.0f);
            memcpy(&d[i], &bits, sizeof bits);
        }
        break;
    case REC_ACTIVATION_SIGMOID: /* σ' = y(1 − y) */
        for (size_t i = 0; i < n; i++)
            d[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case REC_ACTIVATION_TANH: /* tanh' = 1 − y² */
        for (size_t i = 0; i < n; i++)
            d[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case REC_ACTIVATION_LINEAR:
        for (size_t i = 0; i < n; i++)
            d[i] = dy[i];
        break;
    }
}

/* ---- passes ---------------------------------------------------------------------------------- */

/* The passes of a layer without argument checks, with caller-owned scratch and
 * gradient buffers, so threads can run them on slices of a batch at the same time.
 * forward: y = act(x·W + b) (batch × n_out).
 * backward: δ = dy ∘ act′(y) (into delta, or dy itself when linear);
 *   gk ← [gk +] xᵀ·δ, gb ← [gb +] Σ_rows δ (accumulate selects "+"); dx = δ·Wᵀ when dx. */
REC_HIDDEN void rec__dense_forward_raw(const rec_dense *d, const float *x, size_t batch,
                                       float *y);
REC_HIDDEN void rec__dense_backward_raw(const rec_dense *d, const float *x, const float *y,
                                        const float *dy, size_t batch, float *delta, float *gk,
                                        float *gb, int accumulate, float *dx);

/* The forward pass with each row's bits independent of the rest of the batch (evaluation and
 * prediction; a multiply-add may be fused where the CPU has FMA). */
REC_HIDDEN void rec__dense_forward_rows(const rec_dense *d, const float *x, size_t batch,
                                        float *y);

/* y = act(y) in place: the first layer of a model adds its bias itself (model/layer0.c). */
REC_HIDDEN void rec__dense_activate(const rec_dense *d, float *restrict y, size_t batch);
/* δ = dy ∘ act′(y) into delta; returns delta, or dy itself for the linear activation. */
REC_HIDDEN const float *rec__dense_delta(const rec_dense *d, const float *y, const float *dy,
                                         size_t batch, float *delta);
/* gb ← [gb +] Σ_rows δ over batch rows of n_out. */
REC_HIDDEN void rec__dense_bias_grad(float *gb, const float *delta, size_t batch, size_t n_out,
                                     int accumulate);

#endif
