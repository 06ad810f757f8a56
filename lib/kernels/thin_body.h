/* The thin products of thin.c for one vector width, included once per width (kernels.h,
 * "FMA kernels by vector width"): REC__W floats per vector of type REC__VF, the register blocks
 * (REC__R rows by REC__C vectors of columns, REC__TN_R, REC__NT_R by REC__NT_C), all
 * undefined again at the end. Every width computes each output element with the same
 * operations in the same order, so the variants differ only in speed. Private to
 * lib/kernels. */

/* P = U·W: rows of P in blocks of REC__R, columns in blocks of REC__C vectors, W's row k read
 * once per block. */
REC__WTARGET
REC_HIDDEN void REC__WFN(rec__thin_nn)(size_t u, const float *x, const float *w, float *p,
                                       size_t ldp)
{
    for (int j0 = 0; j0 < N; j0 += REC__C * REC__W) {
        size_t r = 0;
        for (; r + REC__R <= u; r += REC__R) {
            REC__VF acc[REC__R][REC__C] = {{{0}}};
            const float *x0 = x + r * K;
            for (int k = 0; k < K; k++) {
                REC__VF wk[REC__C];
                for (int c = 0; c < REC__C; c++)
                    REC_VLD(wk[c], w + k * N + j0 + REC__W * c);
                for (int i = 0; i < REC__R; i++) {
                    const float xv = x0[i * K + k];
                    for (int c = 0; c < REC__C; c++)
                        acc[i][c] += xv * wk[c];
                }
            }
            for (int i = 0; i < REC__R; i++)
                for (int c = 0; c < REC__C; c++)
                    REC_VST(p + (r + i) * ldp + j0 + REC__W * c, acc[i][c]);
        }
        for (; r < u; r++) {
            REC__VF acc[REC__C] = {{0}};
            for (int k = 0; k < K; k++) {
                const float xv = x[r * K + k];
                for (int c = 0; c < REC__C; c++) {
                    REC__VF wk;
                    REC_VLD(wk, w + k * N + j0 + REC__W * c);
                    acc[c] += xv * wk;
                }
            }
            for (int c = 0; c < REC__C; c++)
                REC_VST(p + r * ldp + j0 + REC__W * c, acc[c]);
        }
    }
}

/* ∂W = β∂W + Uᵀ·Δ: REC__TN_R rows of ∂W at a time against REC__C vectors of its columns, over
 * a chunk of keys, then the next chunk, each output summing the keys in increasing order
 * (chunking changes no bit: a partial sum is stored and reloaded, not rounded differently). */
REC__WTARGET
REC_HIDDEN void REC__WFN(rec__thin_tn)(size_t u, const float *x, const float *d, size_t ldd,
                                       float beta, float *g)
{
    if (beta == 0.0f) {
        memset(g, 0, K * N * sizeof *g);
    } else if (beta != 1.0f) {
        for (int i = 0; i < K * N; i++)
            g[i] *= beta;
    }
    for (size_t r0 = 0; r0 < u; r0 += TN_CHUNK) {
        const size_t r1 = u - r0 < TN_CHUNK ? u : r0 + TN_CHUNK;
        for (int j0 = 0; j0 < N; j0 += REC__C * REC__W) {
            for (int k0 = 0; k0 < K; k0 += REC__TN_R) {
                REC__VF acc[REC__TN_R][REC__C];
                for (int i = 0; i < REC__TN_R; i++)
                    for (int c = 0; c < REC__C; c++)
                        REC_VLD(acc[i][c], g + (k0 + i) * N + j0 + REC__W * c);
                for (size_t r = r0; r < r1; r++) {
                    REC__VF dr[REC__C];
                    for (int c = 0; c < REC__C; c++)
                        REC_VLD(dr[c], d + r * ldd + j0 + REC__W * c);
                    for (int i = 0; i < REC__TN_R; i++) {
                        const float xv = x[r * K + k0 + i];
                        for (int c = 0; c < REC__C; c++)
                            acc[i][c] += xv * dr[c];
                    }
                }
                for (int i = 0; i < REC__TN_R; i++)
                    for (int c = 0; c < REC__C; c++)
                        REC_VST(g + (k0 + i) * N + j0 + REC__W * c, acc[i][c]);
            }
        }
    }
}

/* ∂U = Δ·Wᵀ: wt is Wᵀ (64×32, made by the caller once per product), rows of ∂U in blocks of
 * REC__NT_R against REC__NT_C vectors of its 32 columns (enough independent chains to keep
 * both FMA units busy). */
REC__WTARGET
REC_HIDDEN void REC__WFN(rec__thin_nt)(size_t u, const float *d, size_t ldd, const float *wt,
                                       float *y)
{
    for (int j0 = 0; j0 < K; j0 += REC__NT_C * REC__W) {
        size_t r = 0;
        for (; r + REC__NT_R <= u; r += REC__NT_R) {
            REC__VF acc[REC__NT_R][REC__NT_C] = {{{0}}};
            for (int j = 0; j < N; j++) {
                REC__VF wv[REC__NT_C];
                for (int c = 0; c < REC__NT_C; c++)
                    REC_VLD(wv[c], wt + j * K + j0 + REC__W * c);
                for (int i = 0; i < REC__NT_R; i++) {
                    const float dv = d[(r + i) * ldd + j];
                    for (int c = 0; c < REC__NT_C; c++)
                        acc[i][c] += dv * wv[c];
                }
            }
            for (int i = 0; i < REC__NT_R; i++)
                for (int c = 0; c < REC__NT_C; c++)
                    REC_VST(y + (r + i) * K + j0 + REC__W * c, acc[i][c]);
        }
        for (; r < u; r++) {
            REC__VF acc[REC__NT_C] = {{0}};
            for (int j = 0; j < N; j++) {
                REC__VF wv[REC__NT_C];
                for (int c = 0; c < REC__NT_C; c++)
                    REC_VLD(wv[c], wt + j * K + j0 + REC__W * c);
                const float dv = d[r * ldd + j];
                for (int c = 0; c < REC__NT_C; c++)
                    acc[c] += dv * wv[c];
            }
            for (int c = 0; c < REC__NT_C; c++)
                REC_VST(y + r * K + j0 + REC__W * c, acc[c]);
        }
    }
}

#undef REC__W
#undef REC__R
#undef REC__C
#undef REC__TN_R
#undef REC__NT_R
#undef REC__NT_C
