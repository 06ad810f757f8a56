/* The fused pass of layer0_r64.c for one vector width, included once per width (kernels.h,
 * "FMA kernels by vector width"): the 64 units as REC__NP vectors of REC__W floats (type
 * REC__VF, masks REC__VI; REC__W is undefined again at the end). A unit's float index is also
 * its bit in the hand-off's integer.
 * Every width computes each value with the same operations in the same order. Private to
 * layer0_r64.c. */

#define REC__NP (64 / REC__W)

/* Lane j's bit, j < REC__W. */
static const REC__VI REC__WFN(lane_bit) = {1, 2, 4, 8
#if REC__W >= 8
                                           , 16, 32, 64, 128
#endif
#if REC__W >= 16
                                           , 256, 512, 1024, 2048, 4096, 8192, 16384, 32768
#endif
};

/* The lanes of a comparison's mask as the bits of an integer (lane j: bit j). With
 * __builtin_shufflevector (GCC 12, clang) in vector operations only: each lane keeps its own
 * bit, then log₂ W halvings OR them together; elsewhere lane by lane. */
REC__WTARGET
static inline __attribute__((always_inline)) uint32_t REC__WFN(mask_bits)(const REC__VI *mk)
{
    REC__VI t = *mk & REC__WFN(lane_bit);
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#if REC__W == 16
    t |= __builtin_shufflevector(t, t, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
#endif
#if REC__W >= 8
    t |= __builtin_shufflevector(t, t, 4, 5, 6, 7, 0, 1, 2, 3
#if REC__W == 16
                                 , 12, 13, 14, 15, 8, 9, 10, 11
#endif
    );
#endif
    t |= __builtin_shufflevector(t, t, 2, 3, 0, 1
#if REC__W >= 8
                                 , 6, 7, 4, 5
#endif
#if REC__W == 16
                                 , 10, 11, 8, 9, 14, 15, 12, 13
#endif
    );
    t |= __builtin_shufflevector(t, t, 1, 0, 3, 2
#if REC__W >= 8
                                 , 5, 4, 7, 6
#endif
#if REC__W == 16
                                 , 9, 8, 11, 10, 13, 12, 15, 14
#endif
    );
    return (uint32_t)t[0];
#else
    uint32_t r = 0;
    for (int j = 0; j < REC__W; j++)
        r |= (uint32_t)t[j];
    return r;
#endif
}

REC__WTARGET
static void REC__WFN(rec__layer0_r64_delta)(const rec__workspace *sh, rec__l0 *const *ls,
                                            size_t k, size_t B)
{
    enum { H = 64 };
    const uint64_t lanes = (UINT64_C(1) << REC__W) - 1;
    uint32_t seen[REC_R64_GROUP] = {0};
    _Alignas(64) float db[H];
    REC__VF w1[REC__NP];
    for (int c = 0; c < REC__NP; c++)
        REC_VLD(w1[c], sh->fp_w1 + REC__W * c);
    for (size_t b = 0; b < B; b++) {
        const float g = sh->fp_g[b];
        const uint64_t bits = sh->fp_relu[b];
        for (int c = 0; c < REC__NP; c++) {
            /* unit u kept where bit u is set, else +0 (as the fused pass) */
            REC__VI on = ((REC__VI){0} + (int32_t)((bits >> (REC__W * c)) & lanes)) &
                         REC__WFN(lane_bit);
            REC__VF d = g * w1[c];
            d = (REC__VF)((REC__VI)d & (on != 0));
            REC_VST(db + REC__W * c, d);
        }
        for (size_t i = 0; i < k; i++)
            rec__layer0_delta_add(ls[i]->p + H, ls[i]->sidx[b], &seen[i], db, H, REC__L0_LD(H));
    }
}

/* z·w₁ for the head, in the order of 16-float parts at every width: t = (z₀w₀ + z₁w₁) +
 * (z₂w₂ + z₃w₃) over the four 16-unit parts, then t's 16 lanes halved three times. A fixed
 * order (reproducible) with a short dependency chain, where rec__row_dot's eight running sums make
 * a chain of eight dependent additions per example. With S = 16 / W vectors per 16-unit part,
 * vector s of t takes vectors s, S + s, 2S + s, 3S + s of z. */
REC__WTARGET
static inline __attribute__((always_inline)) float REC__WFN(head_dot)(const REC__VF z[REC__NP],
                                                                   const REC__VF w[REC__NP])
{
    enum { S = 16 / REC__W };
    REC__VF t[S];
    for (int s = 0; s < S; s++)
        t[s] = (z[s] * w[s] + z[S + s] * w[S + s]) + (z[2 * S + s] * w[2 * S + s] +
                                                      z[3 * S + s] * w[3 * S + s]);
    float a[16];
    memcpy(a, t, sizeof a);
    for (int j = 0; j < 8; j++)
        a[j] += a[j + 8];
    for (int j = 0; j < 4; j++)
        a[j] += a[j + 4];
    return (a[0] + a[2]) + (a[1] + a[3]);
}

REC__WTARGET
static inline __attribute__((always_inline)) void
REC__WFN(fused_r64)(const rec_model *m, rec__workspace *sh, size_t lo, rec__workspace *pw,
                    size_t n, float *pred, float scale, int dense, const float *w1, float b1,
                    const int fp)
{
    enum { H = 64, NP = REC__NP, W = REC__W };
    const float *Wk = rec__dense_kernel(m->layers[0].dense)->w;
    const float *bias = rec__dense_bias(m->layers[0].dense)->w;
    float *z = sh->act[0], *scr = pw->dact[0];
    const size_t ld = sh->cap, nf = m->n_feats;
    REC__VF bv[NP], wv[NP], agk[NP], agb[NP];
    for (int c = 0; c < NP; c++) {
        REC_VLD(bv[c], bias + W * c);
        REC_VLD(wv[c], w1 + W * c);
        agk[c] = (REC__VF){0};
        agb[c] = (REC__VF){0};
    }
    float agb1 = 0.0f;
    for (size_t i = 0; i < nf; i++) {
        if (!m->feats[i].emb)
            memset(pw->l0[i].p, 0, H * sizeof(float));
        else if (!fp)
            sh->l0[i].n_seen = 0;
    }
    for (size_t b = 0; b < n; b++) {
        const size_t e = lo + b;
        if (b + AHEAD < n)
            for (size_t i = 0; i < nf; i++)
                if (m->feats[i].emb && (fp || sh->l0[i].factored))
                    rec__row_prefetch(sh->l0[i].p +
                                          (size_t)sh->l0[i].sidx[e + AHEAD] * REC__L0_LD(H),
                                      (fp ? H : REC__L0_LD(H)) * sizeof(float));
        /* z_b = relu(b₀ + Σ_f [P_f[slot_f(b)] or X_f·W_f or v_b·W_f]) */
        REC__VF zv[NP];
        for (int c = 0; c < NP; c++) {
            if (dense)
                REC_VLD(zv[c], z + e * H + W * c);
            else
                zv[c] = bv[c];
        }
        for (size_t i = 0; i < nf; i++) {
            const rec__feature *f = &m->feats[i];
            if (!f->emb) {
                const float v = rec__f32_of_bits(sh->bk[i * ld + e]);
                const float *wr = Wk + (size_t)f->offset * H;
                for (int c = 0; c < NP; c++) {
                    REC__VF wc;
                    REC_VLD(wc, wr + W * c);
                    zv[c] += v * wc;
                }
            } else if (fp || sh->l0[i].factored) {
                const float *pr = sh->l0[i].p + (size_t)sh->l0[i].sidx[e] * REC__L0_LD(H);
                for (int c = 0; c < NP; c++) {
                    REC__VF p;
                    REC_VLD(p, pr + W * c);
                    zv[c] += p;
                }
            }
        }
        /* relu on the bits: y < 0 → +0, NaN and −0 kept (as rec__act_apply) */
        for (int c = 0; c < NP; c++)
            zv[c] = (REC__VF)((REC__VI)zv[c] & ~(REC__VI)(zv[c] < 0.0f));
        if (dense)
            for (int c = 0; c < NP; c++)
                REC_VST(z + e * H + W * c, zv[c]);
        /* ŷ_b = z_b·w₁ + b₁; g = 2 (ŷ_b − y_b) / B */
        const float yb = REC__WFN(head_dot)(zv, wv) + b1;
        pred[b] = yb;
        const float g = scale * (yb - sh->by[e]);
        /* ∂w₁ += g z_b; ∂b₁ += g; δ_b = g w₁ ∘ [z_b > 0]; ∂b₀ += δ_b */
        REC__VF dv[NP];
        for (int c = 0; c < NP; c++) {
            agk[c] += g * zv[c];
            dv[c] = (REC__VF)((REC__VI)(g * wv[c]) & (REC__VI)(zv[c] > 0.0f));
            agb[c] += dv[c];
        }
        agb1 += g;
        if (dense || (fp && sh->fp_delta))
            for (int c = 0; c < NP; c++)
                REC_VST(sh->delta + e * H + W * c, dv[c]);
        if (fp) { /* 12 bytes, where δ_b is 256: round D rebuilds δ_b from them */
            sh->fp_g[e] = g;
            uint64_t bits = 0;
            for (int c = 0; c < NP; c++) {
                const REC__VI on = (REC__VI)(zv[c] > 0.0f);
                bits |= (uint64_t)REC__WFN(mask_bits)(&on) << (W * c);
            }
            sh->fp_relu[e] = bits;
        }
        /* ∂W₀[numeric f] += v_b δ_b; Δ_f[slot_f(b)] += δ_b (copied when the slot is new) */
        for (size_t i = 0; i < nf; i++) {
            const rec__feature *f = &m->feats[i];
            if (!f->emb) {
                const float v = rec__f32_of_bits(sh->bk[i * ld + e]);
                float *gr = pw->l0[i].p;
                for (int c = 0; c < NP; c++) {
                    REC__VF r;
                    REC_VLD(r, gr + W * c);
                    r += v * dv[c];
                    REC_VST(gr + W * c, r);
                }
                continue;
            }
            rec__l0 *l = &sh->l0[i];
            if (fp || !l->factored)
                continue;
            const uint32_t slot = l->sidx[b];
            float *dd = l->p + H + (size_t)slot * REC__L0_LD(H);
            if (slot == l->n_seen) {
                for (int c = 0; c < NP; c++)
                    REC_VST(dd + W * c, dv[c]);
                l->n_seen++;
            } else {
                for (int c = 0; c < NP; c++) {
                    REC__VF r;
                    REC_VLD(r, dd + W * c);
                    r += dv[c];
                    REC_VST(dd + W * c, r);
                }
            }
        }
    }
    float *agbr = scr + REC__L0_FGB * H, *agk1 = scr + REC__L0_FGK1 * H;
    for (int c = 0; c < NP; c++) {
        REC_VST(agbr + W * c, agb[c]);
        REC_VST(agk1 + W * c, agk[c]);
    }
    agk1[H] = agb1;
}

REC__WTARGET
static void REC__WFN(rec__layer0_fused_r64)(const rec_model *m, rec__workspace *sh, size_t lo,
                                            rec__workspace *pw, size_t n, float *pred,
                                            float scale, int dense, const float *w1, float b1,
                                            int fp)
{
    if (fp)
        REC__WFN(fused_r64)(m, sh, lo, pw, n, pred, scale, 0, w1, b1, 1);
    else
        REC__WFN(fused_r64)(m, sh, lo, pw, n, pred, scale, dense, w1, b1, 0);
}

#undef REC__NP
#undef REC__W
