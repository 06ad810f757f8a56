/* The row-exact product of rows.c for one vector width, included once per width (kernels.h,
 * "FMA kernels by vector width"): REC__W floats per vector of type REC__VF, blocks of REC__RR
 * rows against REC__RC vectors of columns, then one vector of columns at a time, then the
 * last columns; all undefined again at the end. Every width computes each output element with
 * the same operations in the same order. Private to lib/kernels. */

REC__WTARGET
REC_HIDDEN void REC__WFN(rec__rows_nn)(size_t n, size_t k, size_t m, const float *x, size_t ldx,
                                   const float *w, float *y, size_t ldy)
{
    enum { BC = REC__RC * REC__W };
    size_t j = 0;
    for (; j + BC <= m; j += BC) {
        size_t r = 0;
        for (; r + REC__RR <= n; r += REC__RR) {
            REC__VF acc[REC__RR][REC__RC] = {{{0}}};
            const float *x0 = x + r * ldx;
            for (size_t i = 0; i < k; i++) {
                REC__VF wv[REC__RC];
                for (int c = 0; c < REC__RC; c++)
                    REC_VLD(wv[c], w + i * m + j + REC__W * c);
                for (int q = 0; q < REC__RR; q++) {
                    const float xv = x0[q * ldx + i];
                    for (int c = 0; c < REC__RC; c++)
                        acc[q][c] += xv * wv[c];
                }
            }
            for (int q = 0; q < REC__RR; q++)
                for (int c = 0; c < REC__RC; c++)
                    REC_VST(y + (r + q) * ldy + j + REC__W * c, acc[q][c]);
        }
        for (; r < n; r++) {
            REC__VF acc[REC__RC] = {{0}};
            for (size_t i = 0; i < k; i++) {
                REC__VF wv[REC__RC];
                for (int c = 0; c < REC__RC; c++)
                    REC_VLD(wv[c], w + i * m + j + REC__W * c);
                const float xv = x[r * ldx + i];
                for (int c = 0; c < REC__RC; c++)
                    acc[c] += xv * wv[c];
            }
            for (int c = 0; c < REC__RC; c++)
                REC_VST(y + r * ldy + j + REC__W * c, acc[c]);
        }
    }
    for (; j + REC__W <= m; j += REC__W)
        for (size_t r = 0; r < n; r++) {
            REC__VF a = {0};
            for (size_t i = 0; i < k; i++) {
                REC__VF wv;
                REC_VLD(wv, w + i * m + j);
                a += x[r * ldx + i] * wv;
            }
            REC_VST(y + r * ldy + j, a);
        }
    /* The last t < W columns a row at a time, each in its own running sum. Not a loop over i
     * per column: the vectorizer turns that into an in-order reduction of vector products,
     * a rounded product then a separate addition where every other element has one fused
     * multiply-add. */
    const size_t t = m - j;
    if (t > 0)
        for (size_t r = 0; r < n; r++) {
            float acc[REC__W] = {0};
            for (size_t i = 0; i < k; i++) {
                const float xv = x[r * ldx + i];
                for (size_t c = 0; c < t; c++)
                    acc[c] += xv * w[i * m + j + c];
            }
            memcpy(y + r * ldy + j, acc, t * sizeof *acc);
        }
}
#undef REC__W
#undef REC__RR
#undef REC__RC
