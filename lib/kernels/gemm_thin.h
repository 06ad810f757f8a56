/* Products of an embedding of 32 columns and a layer of 64 units (gemm_thin.c): the
 * presets' layer 0 feature by feature, without OpenBLAS's packing. Row-major throughout; U is
 * u×32 with rows 32 apart, W is 32×64 with rows 64 apart. */
#ifndef REC_GEMM_THIN_H
#define REC_GEMM_THIN_H

#include "base/base.h"

#include <stddef.h>

/* The shape these products take: embedding columns and units. */
#define REC_THIN_K 32
#define REC_THIN_N 64

/* P = U·W, P's rows ldp floats apart. */
REC_HIDDEN void rec__thin_nn(size_t u, const float *x, const float *w, float *p, size_t ldp);
/* G = β·G + Uᵀ·Δ (G 32×64, rows 64 apart), Δ's rows ldd floats apart. β = 0 ignores G's
 * contents. */
REC_HIDDEN void rec__thin_tn(size_t u, const float *x, const float *d, size_t ldd, float beta,
                             float *g);
/* Y = Δ·Wᵀ (Y u×32, rows 32 apart), given wt = Wᵀ from rec__thin_transpose. */
REC_HIDDEN void rec__thin_nt(size_t u, const float *d, size_t ldd, const float *wt, float *y);
/* Y = X·W for any shape, each row's sums in an order that does not depend on the other rows
 * (evaluation and prediction, where OpenBLAS's would): X n×k, rows ldx apart; W k×m, rows m
 * apart; Y n×m, rows ldy apart. */
REC_HIDDEN void rec__rows_nn(size_t n, size_t k, size_t m, const float *x, size_t ldx,
                             const float *w, float *y, size_t ldy);
/* wt (64×32) = Wᵀ. */
REC_HIDDEN void rec__thin_transpose(const float *w, float *wt);

#endif
