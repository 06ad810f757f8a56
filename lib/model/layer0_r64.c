/* The fused pass of layer 0 and its head (layer0.c) for the presets' shape: 64 units with
 * relu, a one-unit linear head. It computes what layer0_fused_h computes, in the same order of
 * additions (but for the head's dot product, a shorter tree), with an example's z and δ and
 * the slice's running sums held in registers. The generic pass keeps them in scratch rows, so
 * every row operation there is a load, the operation and a store.
 *
 * Multiply-adds are fused where the CPU has FMA, so its sums have the bits of the generic pass
 * only on CPUs without. The loops are layer0_r64_body.h, built for three vector widths
 * (kernels/kernels.h, "FMA kernels by vector width").
 *
 * ---- the hand-off to round D of the feature-parallel MLP (train/fast_mlp.c) ----------------
 *
 * Per example the fused pass leaves ∂L/∂ŷ_b and relu′(z_b) as the 64 bits of one integer (bit
 * u: unit u), 12 bytes where δ_b's row is 256; round D rebuilds δ_b = ∂L/∂ŷ_b · w₁ ∘ relu′(z_b)
 * with the fused pass's own operations (a product, kept or replaced by +0), so with its bits.
 * Reading 12 bytes per example instead of 256, half of them written by the other core, is what
 * makes the hand-off pay: without it every owner of a feature reads the whole δ array of the
 * batch once per feature. All of a thread's factored features go in one pass over the
 * examples. */
#include "model/model.h"
#include "kernels/kernels.h"

#include <string.h>

/* Examples ahead whose P (and Δ) rows are prefetched, as in layer0_fused_h. */
#define AHEAD 6

#if defined(REC__WIDTHS_ALL)
#define REC__W 16
#include "model/layer0_r64_body.h"

#define REC__W 8
#include "model/layer0_r64_body.h"
#endif

#define REC__W 4
#include "model/layer0_r64_body.h"

int rec__layer0_r64_applies(const rec_model *m)
{
    return m->layers[0].units == 64 &&
           rec_dense_activation(m->layers[0].dense) == REC_ACTIVATION_RELU &&
           rec_dense_activation(m->layers[1].dense) == REC_ACTIVATION_LINEAR;
}

REC__BY_WIDTH(rec__layer0_r64_delta,
              (const rec__workspace *sh, rec__l0 *const *ls, size_t k, size_t B),
              (sh, ls, k, B))

REC__BY_WIDTH(rec__layer0_fused_r64,
              (const rec_model *m, rec__workspace *sh, size_t lo, rec__workspace *pw, size_t n,
               float *pred, float scale, int dense, const float *w1, float b1, int fp),
              (m, sh, lo, pw, n, pred, scale, dense, w1, b1, fp))
