/* The three products of layer 0 feature by feature (model/layer0.c) for the presets' shape, an
 * embedding of 32 columns into 64 units, over the u distinct keys of a batch:
 *     P = U·W_f (u×32 · 32×64),  ∂W_f = β∂W_f + Uᵀ·Δ (32×u · u×64),  ∂U = Δ·W_fᵀ (u×64 · 64×32).
 * With K or N as small as 32, OpenBLAS spends a large part of its time outside its kernel:
 * packing both operands into its panel layout, and a separate pass that zeroes C for β = 0.
 * These are register-blocked loops over the operands as they lie, every W_f (8 KB) read from
 * L1.
 *
 * Order of additions: each output element sums over k (or over the keys, for ∂W_f) in
 * increasing order, starting from 0 (or from β∂W_f) — fixed, so results are reproducible on a
 * given machine. A multiply-add is one fused operation where the CPU has FMA, as in OpenBLAS's
 * own kernels. The loops are thin_body.h, built for three vector widths (kernels.h). */
#include "kernels/kernels.h"

#include <string.h>

enum { K = 32, N = 64 };

/* Keys per chunk of ∂W = β∂W + Uᵀ·Δ: the chunk's Δ and U rows (64 × 64 and 64 × 32 floats,
 * 24 KB) stay in L1 while the blocks of ∂W pass over them, where each block would otherwise
 * stream all u rows of Δ from L2 (up to 512 KB per feature and batch on MovieLens-25M-sized
 * data). */
#define TN_CHUNK 64

#if defined(REC__WIDTHS_ALL)
/* AVX-512: rows of P by 4 against all 64 columns (16 accumulators); ∂W by 4 rows; ∂U by 8 rows
 * against its 32 columns. */
#define REC__W 16
#define REC__R 4
#define REC__C 4
#define REC__TN_R 4
#define REC__NT_R 8
#define REC__NT_C 2
#include "kernels/thin_body.h"

/* AVX2: 16 registers, so blocks of 3 × 4 (P), 2 × 4 (∂W) and 3 × 4 (∂U) vectors of 8. */
#define REC__W 8
#define REC__R 3
#define REC__C 4
#define REC__TN_R 2
#define REC__NT_R 3
#define REC__NT_C 4
#include "kernels/thin_body.h"
#endif

/* SSE2 and everything else: blocks of 2 × 4 vectors of 4. */
#define REC__W 4
#define REC__R 2
#define REC__C 4
#define REC__TN_R 2
#define REC__NT_R 2
#define REC__NT_C 4
#include "kernels/thin_body.h"

REC__BY_WIDTH(rec__thin_nn, REC__THIN_NN_PARAMS, (u, x, w, p, ldp))
REC__BY_WIDTH(rec__thin_tn, REC__THIN_TN_PARAMS, (u, x, d, ldd, beta, g))
REC__BY_WIDTH(rec__thin_nt, REC__THIN_NT_PARAMS, (u, d, ldd, wt, y))

void rec__thin_transpose(const float *w, float *wt)
{
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            wt[j * K + k] = w[k * N + j];
}
