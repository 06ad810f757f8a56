/* The three products of layer 0 feature by feature (model_layer0.c) for the presets' shape, an
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
 * as in OpenBLAS's own kernels. Written in clones_fma.h's 16-float vectors. */
#include "kernels/gemm_thin.h"
#include "kernels/simd_fma.h"

#include <string.h>

enum { K = 32, N = 64 };

/* P = U·W: rows of P in blocks of 4 (16 accumulators), W's row k read once per block. */
REC_CLONES
void rec__thin_nn(size_t u, const float *x, const float *w, float *p, size_t ldp)
{
    size_t r = 0;
    for (; r + 4 <= u; r += 4) {
        v16 acc[4][4] = {{{0}}};
        const float *x0 = x + r * K;
        for (int k = 0; k < K; k++) {
            v16 wk[4];
            for (int c = 0; c < 4; c++)
                VLD(wk[c], w + k * N + 16 * c);
            for (int i = 0; i < 4; i++) {
                const float xv = x0[i * K + k];
                for (int c = 0; c < 4; c++)
                    acc[i][c] += xv * wk[c];
            }
        }
        for (int i = 0; i < 4; i++)
            for (int c = 0; c < 4; c++)
                VST(p + (r + i) * ldp + 16 * c, acc[i][c]);
    }
    for (; r < u; r++) {
        v16 acc[4] = {{0}};
        for (int k = 0; k < K; k++) {
            const float xv = x[r * K + k];
            for (int c = 0; c < 4; c++) {
                v16 wk;
                VLD(wk, w + k * N + 16 * c);
                acc[c] += xv * wk;
            }
        }
        for (int c = 0; c < 4; c++)
            VST(p + r * ldp + 16 * c, acc[c]);
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
REC_CLONES
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
            v16 acc[4][4];
            for (int i = 0; i < 4; i++)
                for (int c = 0; c < 4; c++)
                    VLD(acc[i][c], g + (k0 + i) * N + 16 * c);
            for (size_t r = r0; r < r1; r++) {
                v16 dr[4];
                for (int c = 0; c < 4; c++)
                    VLD(dr[c], d + r * ldd + 16 * c);
                for (int i = 0; i < 4; i++) {
                    const float xv = x[r * K + k0 + i];
                    for (int c = 0; c < 4; c++)
                        acc[i][c] += xv * dr[c];
                }
            }
            for (int i = 0; i < 4; i++)
                for (int c = 0; c < 4; c++)
                    VST(g + (k0 + i) * N + 16 * c, acc[i][c]);
        }
    }
}

/* ∂U = Δ·Wᵀ: wt is Wᵀ (64×32, made by the caller once per product), rows of ∂U in blocks of
 * 8 (16 accumulators, enough independent chains to keep both FMA units busy). */
REC_CLONES
void rec__thin_nt(size_t u, const float *d, size_t ldd, const float *wt, float *y)
{
    size_t r = 0;
    for (; r + 8 <= u; r += 8) {
        v16 acc[8][2] = {{{0}}};
        for (int j = 0; j < N; j++) {
            v16 w0, w1;
            VLD(w0, wt + j * K);
            VLD(w1, wt + j * K + 16);
            for (int i = 0; i < 8; i++) {
                const float dv = d[(r + i) * ldd + j];
                acc[i][0] += dv * w0;
                acc[i][1] += dv * w1;
            }
        }
        for (int i = 0; i < 8; i++) {
            VST(y + (r + i) * K, acc[i][0]);
            VST(y + (r + i) * K + 16, acc[i][1]);
        }
    }
    for (; r < u; r++) {
        v16 a0 = {0}, a1 = {0};
        for (int j = 0; j < N; j++) {
            v16 w0, w1;
            VLD(w0, wt + j * K);
            VLD(w1, wt + j * K + 16);
            const float dv = d[r * ldd + j];
            a0 += dv * w0;
            a1 += dv * w1;
        }
        VST(y + r * K, a0);
        VST(y + r * K + 16, a1);
    }
}

void rec__thin_transpose(const float *w, float *wt)
{
    for (int k = 0; k < K; k++)
        for (int j = 0; j < N; j++)
            wt[j * K + k] = w[k * N + j];
}

/* Y = X·W for any shape (X n×k with rows ldx apart, W k×m, Y n×m with rows ldy apart), each
 * Y[r][j] summed over i = 0, 1, …, k−1 in increasing order from 0, one multiply-add per term:
 * the same operations for every row, whatever rows share the call. Evaluation and prediction
 * need that, and OpenBLAS does not give it: its kernels take the rows in groups (12 on Zen)
 * and compute a row's sums with other roundings by its place in the group and in a last
 * partial group. Rows go in blocks of 3 against 32 columns (6 accumulators: 12 AVX2 or 6
 * AVX-512 registers, with room for W's two vectors), then a 16-column and a scalar tail, all
 * with the same operation per element; the scalar tail contracts to the same fused
 * multiply-add as a vector lane. */
REC_CLONES
void rec__rows_nn(size_t n, size_t k, size_t m, const float *x, size_t ldx, const float *w,
                  float *y, size_t ldy)
{
    size_t j = 0;
    for (; j + 32 <= m; j += 32) {
        size_t r = 0;
        for (; r + 3 <= n; r += 3) {
            v16 acc[3][2] = {{{0}}};
            const float *x0 = x + r * ldx;
            for (size_t i = 0; i < k; i++) {
                v16 w0, w1;
                VLD(w0, w + i * m + j);
                VLD(w1, w + i * m + j + 16);
                for (int q = 0; q < 3; q++) {
                    const float xv = x0[q * ldx + i];
                    acc[q][0] += xv * w0;
                    acc[q][1] += xv * w1;
                }
            }
            for (int q = 0; q < 3; q++) {
                VST(y + (r + q) * ldy + j, acc[q][0]);
                VST(y + (r + q) * ldy + j + 16, acc[q][1]);
            }
        }
        for (; r < n; r++) {
            v16 a0 = {0}, a1 = {0};
            for (size_t i = 0; i < k; i++) {
                v16 w0, w1;
                VLD(w0, w + i * m + j);
                VLD(w1, w + i * m + j + 16);
                const float xv = x[r * ldx + i];
                a0 += xv * w0;
                a1 += xv * w1;
            }
            VST(y + r * ldy + j, a0);
            VST(y + r * ldy + j + 16, a1);
        }
    }
    for (; j + 16 <= m; j += 16)
        for (size_t r = 0; r < n; r++) {
            v16 a = {0};
            for (size_t i = 0; i < k; i++) {
                v16 wv;
                VLD(wv, w + i * m + j);
                a += x[r * ldx + i] * wv;
            }
            VST(y + r * ldy + j, a);
        }
    for (; j < m; j++)
        for (size_t r = 0; r < n; r++) {
            float s = 0.0f;
            for (size_t i = 0; i < k; i++)
                s += x[r * ldx + i] * w[i * m + j];
            y[r * ldy + j] = s;
        }
}
