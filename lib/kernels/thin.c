/* The three products of layer 0 feature by feature (model/layer0.c) for the presets' shape, an
 * embedding of 32 columns into 64 units, over the u distinct keys of a batch:
 *     P = U·W_f (u×32 · 32×64),  ∂W_f = β∂W_f + Uᵀ·Δ (32×u · u×64),  ∂U = Δ·W_fᵀ (u×64 · 64×32).
 * With K or N as small as 32, OpenBLAS spends a third of its time outside its kernel: packing
 * both operands into its panel layout, and a separate pass that zeroes C for β = 0 (on
 * MovieLens 100K, one_layer: kernel 28% of the epoch, packing and zeroing 16%). These are
 * register-blocked loops over the operands as they lie, every W_f (8 KB) read from L1.
 *
 * Order of additions: each output element sums over k (or over the keys, for ∂W_f) in
 * increasing order, starting from 0 (or from β∂W_f) — fixed, so results are reproducible on a
 * given machine. A multiply-add is one fused operation where the CPU has FMA (clones_fma.h),
 * as in OpenBLAS's own kernels (REC_CLONES_FMA, kernels.h). Written in 16-float vectors. */
#include "kernels/kernels.h"

#include <string.h>

enum { K = 32, N = 64 };

/* P = U·W: rows of P in blocks of 4 (16 accumulators), W's row k read once per block. */
REC_CLONES_FMA
void rec__thin_nn(size_t u, const float *x, const float *w, float *p, size_t ldp)
{
    size_t r = 0;
    for (; r + 4 <= u; r += 4) {
        rec__v16 acc[4][4] = {{{0}}};
        const float *x0 = x + r * K;
        for (int k = 0; k < K; k++) {
            rec__v16 wk[4];
            for (int c = 0; c < 4; c++)
                REC_VLD(wk[c], w + k * N + 16 * c);
            for (int i = 0; i < 4; i++) {
                const float xv = x0[i * K + k];
                for (int c = 0; c < 4; c++)
                    acc[i][c] += xv * wk[c];
            }
        }
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 4; c++)
                REC_VST(p + (r + i) * ldp + 16 * c, acc[i][c]);
    }
    for (; r < u; r++) {
        rec__v16 acc[4] = {{0}};
        for (int k = 0; k < K; k++) {
            const float xv = x[r * K + k];
            for (int c = 0; c < 4; c++) {
                rec__v16 wk;
                REC_VLD(wk, w + k * N + 16 * c);
                acc[c] += xv * wk;
            }
        }
        for (int c = 0; c < 4; c++)
            REC_VST(p + r * ldp + 16 * c, acc[c]);
    }
}

/* Keys per chunk of ∂W = β∂W + Uᵀ·Δ: the chunk's Δ and U rows (64 × 64 and 64 × 32 floats,
 * 24 KB) stay in L1 while the eight 4-row blocks of ∂W pass over them. Without chunks each
 * block streamed all u rows of Δ from L2 (8 passes of up to 512 KB per feature and batch on
 * the 25M shape), and the product was the slowest of the three. */
#define TN_CHUNK 64

/* ∂W = β∂W + Uᵀ·Δ: four rows of ∂W at a time (16 accumulators) over a chunk of keys, then
 * the next chunk, each output summing the keys in increasing order (chunking changes no
 * bit: a partial sum is stored and reloaded, not rounded differently). */
REC_CLONES_FMA
void rec__thin_tn(size_t u, const float *x, const float *d, size_t ldd, float beta, float *g)
{
    if (beta == 0.0f) {
        memset(g, 0, K * N * sizeof *g);
    } else if (beta != 1.0f) {
        for (int i = 0; i < K * N; i++)
            g[i] *= beta;
    }
    for (size_t r0 = 0; r0 < u; r0 += TN_CHUNK) {
        const size_t r1 = u - r0 < TN_CHUNK ? u : r0 + TN_CHUNK;
        for (int k0 = 0; k0 < K; k0 += 4) {
            rec__v16 acc[4][4];
            for (int i = 0; i < 4; i++)
                for (int c = 0; c < 4; c++)
                    REC_VLD(acc[i][c], g + (k0 + i) * N + 16 * c);
            for (size_t r = r0; r < r1; r++) {
                rec__v16 dr[4];
                for (int c = 0; c < 4; c++)
                    REC_VLD(dr[c], d + r * ldd + 16 * c);
                for (int i = 0; i < 4; i++) {
                    const float xv = x[r * K + k0 + i];
                    for (int c = 0; c < 4; c++)
                        acc[i][c] += xv * dr[c];
                }
            }
            for (int i = 0; i < 4; i++)
                for (int c = 0; c < 4; c++)
                    REC_VST(g + (k0 + i) * N + 16 * c, acc[i][c]);
        }
    }
}

/* ∂U = Δ·Wᵀ: wt is Wᵀ (64×32, made by the caller once per product), rows of ∂U in blocks of
 * 8 (16 accumulators, enough independent chains to keep both FMA units busy). */
REC_CLONES_FMA
void rec__thin_nt(size_t u, const float *d, size_t ldd, const float *wt, float *y)
{
    size_t r = 0;
    for (; r + 8 <= u; r += 8) {
        rec__v16 acc[8][2] = {{{0}}};
        for (int j = 0; j < N; j++) {
            rec__v16 w0, w1;
            REC_VLD(w0, wt + j * K);
            REC_VLD(w1, wt + j * K + 16);
            for (int i = 0; i < 8; i++) {
                const float dv = d[(r + i) * ldd + j];
                acc[i][0] += dv * w0;
                acc[i][1] += dv * w1;
            }
        }
        for (int i = 0; i < 8; i++) {
            REC_VST(y + (r + i) * K, acc[i][0]);
            REC_VST(y + (r + i) * K + 16, acc[i][1]);
        }
    }
    for (; r < u; r++) {
        rec__v16 a0 = {0}, a1 = {0};
        for (int j = 0; j < N; j++) {
            rec__v16 w0, w1;
            REC_VLD(w0, wt + j * K);
            REC_VLD(w1, wt + j * K + 16);
            const float dv = d[r * ldd + j];
            a0 += dv * w0;
            a1 += dv * w1;
        }
        REC_VST(y + r * K, a0);
        REC_VST(y + r * K + 16, a1);
    }
}

void rec__thin_transpose(const float *w, float *wt)
{
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            wt[j * K + k] = w[k * N + j];
}
