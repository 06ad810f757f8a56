/* The row-exact product of evaluation and prediction (kernels.h): Y = X·W with each row's
 * sums in an order that does not depend on the other rows of the call. */
#include "kernels/kernels.h"

/* Y = X·W for any shape (X n×k with rows ldx apart, W k×m, Y n×m with rows ldy apart), each
 * Y[r][j] summed over i = 0, 1, …, k−1 in increasing order from 0, one multiply-add per term:
 * the same operations for every row, whatever rows share the call. Evaluation and prediction
 * need that, and OpenBLAS does not give it: its kernels take the rows in groups (12 on Zen)
 * and compute a row's sums with other roundings by its place in the group and in a last
 * partial group. Rows go in blocks of 3 against 32 columns (6 accumulators: 12 AVX2 or 6
 * AVX-512 registers, with room for W's two vectors), then a 16-column and a scalar tail, all
 * with the same operation per element; the scalar tail contracts to the same fused
 * multiply-add as a vector lane. */
REC_CLONES_FMA
void rec__rows_nn(size_t n, size_t k, size_t m, const float *x, size_t ldx, const float *w,
                  float *y, size_t ldy)
{
    size_t j = 0;
    for (; j + 32 <= m; j += 32) {
        size_t r = 0;
        for (; r + 3 <= n; r += 3) {
            rec__v16 acc[3][2] = {{{0}}};
            const float *x0 = x + r * ldx;
            for (size_t i = 0; i < k; i++) {
                rec__v16 w0, w1;
                REC_VLD(w0, w + i * m + j);
                REC_VLD(w1, w + i * m + j + 16);
                for (int q = 0; q < 3; q++) {
                    const float xv = x0[q * ldx + i];
                    acc[q][0] += xv * w0;
                    acc[q][1] += xv * w1;
                }
            }
            for (int q = 0; q < 3; q++) {
                REC_VST(y + (r + q) * ldy + j, acc[q][0]);
                REC_VST(y + (r + q) * ldy + j + 16, acc[q][1]);
            }
        }
        for (; r < n; r++) {
            rec__v16 a0 = {0}, a1 = {0};
            for (size_t i = 0; i < k; i++) {
                rec__v16 w0, w1;
                REC_VLD(w0, w + i * m + j);
                REC_VLD(w1, w + i * m + j + 16);
                const float xv = x[r * ldx + i];
                a0 += xv * w0;
                a1 += xv * w1;
            }
            REC_VST(y + r * ldy + j, a0);
            REC_VST(y + r * ldy + j + 16, a1);
        }
    }
    for (; j + 16 <= m; j += 16)
        for (size_t r = 0; r < n; r++) {
            rec__v16 a = {0};
            for (size_t i = 0; i < k; i++) {
                rec__v16 wv;
                REC_VLD(wv, w + i * m + j);
                a += x[r * ldx + i] * wv;
            }
            REC_VST(y + r * ldy + j, a);
        }
    for (; j < m; j++)
        for (size_t r = 0; r < n; r++) {
            float s = 0.0f;
            for (size_t i = 0; i < k; i++)
                s += x[r * ldx + i] * w[i * m + j];
            y[r * ldy + j] = s;
        }
}
