/*
 * The dense layer's passes for the model's training loop (dense.c). Never installed.
 */
#ifndef REC_DENSE_INTERNAL_H
#define REC_DENSE_INTERNAL_H

#include "rec_internal.h"

/* The hot element-wise loops (embedding rows, activations) are built for several x86-64
 * levels and one is picked when the library loads (function multi-versioning): AVX-512 moves
 * a 32-float row in two instructions where the SSE2 baseline needs eight. Every version gives the same bits: the loops are
 * element-wise or keep a fixed summation order, and ISO C mode does not contract a·b + c
 * into an FMA. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define REC_NO_CLONES 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define REC_NO_CLONES 1 /* the clones' resolvers run before TSan starts, and crash */
#endif
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute) && \
    !defined(REC_NO_CLONES)
#if __has_attribute(target_clones)
#define REC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef REC_CLONES
#define REC_CLONES
#endif

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

/* y = act(y) in place: the first layer of a model adds its bias itself (model_train.c). */
REC_HIDDEN void rec__dense_activate(const rec_dense *d, float *restrict y, size_t batch);
/* δ = dy ∘ act′(y) into delta; returns delta, or dy itself for the linear activation. */
REC_HIDDEN const float *rec__dense_delta(const rec_dense *d, const float *y, const float *dy,
                                         size_t batch, float *delta);
/* gb ← [gb +] Σ_rows δ over batch rows of n_out. */
REC_HIDDEN void rec__dense_bias_grad(float *gb, const float *delta, size_t batch, size_t n_out,
                                     int accumulate);

#endif
