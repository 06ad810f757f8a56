/* The fused pass of layer 0 and its head (model_layer0.c) for the presets' shape: 64 units with
 * relu, a one-unit linear head. It computes what layer0_fused_h computes, in the same order of
 * additions (but for the head's dot product, a shorter tree), with an example's z and δ and
 * the slice's running sums held in registers as four 16-float vectors each. The generic pass
 * keeps them in scratch rows, so every row operation there is a load, the operation and a
 * store: on ML-100K one_layer the fused pass took 28% of an epoch, 17% after this.
 *
 * Multiply-adds are fused where the CPU has FMA (REC_CLONES_FMA, kernels/kernels.h), so its sums
 * have the bits of the generic pass only on CPUs without. Written in 16-float vectors. */
#include "model/model.h"
#include "kernels/kernels.h"

#include <string.h>

/* 16 int32 lanes: the masks of vector comparisons (relu and its derivative on the bits) */
typedef int32_t i16v __attribute__((vector_size(64)));
/* ---- the hand-off to round D of the feature-parallel MLP (model_train_mlp.c) ---------------

Per example the fused pass leaves ∂L/∂ŷ_b and relu′(z_b) as the 64 bits of one integer (bit
16c + j: lane j of the c-th 16-unit part), 12 bytes where δ_b's row is 256; round D rebuilds
δ_b = ∂L/∂ŷ_b · w₁ ∘ relu′(z_b) with the fused pass's own operations (a product, kept or
replaced by +0), so with its bits. mask_bits packs, rec__layer0_r64_delta unpacks. */

/* Lane j's bit. */
static const i16v lane_bit = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
                              16384, 32768};

/* The 16 lanes of a comparison's mask as the bits of an integer (lane j: bit j). With
 * __builtin_shufflevector (GCC 12, clang) in vector operations only: each lane keeps its own
 * bit, then four halvings OR them together; elsewhere lane by lane. */
static inline __attribute__((always_inline)) uint32_t mask_bits(const i16v *mk)
{
    i16v t = *mk & lane_bit;
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
    t |= __builtin_shufflevector(t, t, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    t |= __builtin_shufflevector(t, t, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    t |= __builtin_shufflevector(t, t, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    t |= __builtin_shufflevector(t, t, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    return (uint32_t)t[0];
#else
    uint32_t r = 0;
    for (int j = 0; j < 16; j++)
        r |= (uint32_t)t[j];
    return r;
#endif
}

/* Reading 12 bytes per example instead of δ_b's 256, half of them written by the other core,
 * is what makes this pay: on ML-100K enriched every owner had read the whole 512 KB δ array
 * once per feature. All of a thread's factored features go in one pass over the examples. */
REC_CLONES_FMA
void rec__layer0_r64_delta(const rec__workspace *sh, rec__l0 *const *ls, size_t k, size_t B)
{
    enum { H = 64 };
    uint32_t seen[REC_R64_GROUP] = {0};
    _Alignas(64) float db[H];
    rec__v16 w1[4];
    for (int c = 0; c < 4; c++)
        REC_VLD(w1[c], sh->fp_w1 + 16 * c);
    for (size_t b = 0; b < B; b++) {
        const float g = sh->fp_g[b];
        const uint64_t bits = sh->fp_relu[b];
        for (int c = 0; c < 4; c++) {
            /* lane j of part c kept where bit 16c + j is set, else +0 (as the fused pass) */
            i16v on = ((i16v){0} + (int32_t)((bits >> (16 * c)) & 0xffff)) & lane_bit;
            rec__v16 d = g * w1[c];
            d = (rec__v16)((i16v)d & (on != 0));
            REC_VST(db + 16 * c, d);
        }
        for (size_t i = 0; i < k; i++)
            rec__layer0_delta_add(ls[i]->p + H, ls[i]->sidx[b], &seen[i], db, H, REC__L0_LD(H));
    }
}

int rec__layer0_r64_applies(const rec_model *m)
{
    return m->layers[0].units == 64 && rec_dense_activation(m->layers[0].dense) == REC_ACTIVATION_RELU &&
           rec_dense_activation(m->layers[1].dense) == REC_ACTIVATION_LINEAR;
}

/* z·w₁ for the head: the four 16-wide products added as a tree, then the 16 lanes halved
 * three times. A fixed order (reproducible) with a short dependency chain, where dot_row's
 * eight running sums make a chain of eight dependent additions per example. */
static inline __attribute__((always_inline)) float head_dot(const rec__v16 z[4], const rec__v16 w[4])
{
    rec__v16 t = (z[0] * w[0] + z[1] * w[1]) + (z[2] * w[2] + z[3] * w[3]);
    float a[16];
    memcpy(a, &t, sizeof a);
    for (int j = 0; j < 8; j++)
        a[j] += a[j + 8];
    for (int j = 0; j < 4; j++)
        a[j] += a[j + 4];
    return (a[0] + a[2]) + (a[1] + a[3]);
}

/* Examples ahead whose P (and Δ) rows are prefetched, as in layer0_fused_h. */
#define AHEAD 6

static inline __attribute__((always_inline)) void
fused_r64(const rec_model *m, rec__workspace *sh, size_t lo, rec__workspace *pw, size_t n,
          float *pred, float scale, int dense, const float *w1, float b1, const int fp)
{
    enum { H = 64 };
    const float *W = rec__dense_kernel(m->layers[0].dense)->w, *bias = rec__dense_bias(m->layers[0].dense)->w;
    float *z = sh->act[0], *scr = pw->dact[0];
    const size_t ld = sh->cap, nf = m->n_feats;
    rec__v16 bv[4], wv[4], agk[4], agb[4];
    for (int c = 0; c < 4; c++) {
        REC_VLD(bv[c], bias + 16 * c);
        REC_VLD(wv[c], w1 + 16 * c);
        agk[c] = (rec__v16){0};
        agb[c] = (rec__v16){0};
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
                    rec__row_prefetch(sh->l0[i].p + (size_t)sh->l0[i].sidx[e + AHEAD] * REC__L0_LD(H),
                                      (fp ? H : REC__L0_LD(H)) * sizeof(float));
        /* z_b = relu(b₀ + Σ_f [P_f[slot_f(b)] or X_f·W_f or v_b·W_f]) */
        rec__v16 zv[4];
        for (int c = 0; c < 4; c++) {
            if (dense)
                REC_VLD(zv[c], z + e * H + 16 * c);
            else
                zv[c] = bv[c];
        }
        for (size_t i = 0; i < nf; i++) {
            const rec__feature *f = &m->feats[i];
            if (!f->emb) {
                const float v = rec__word_float(sh->bk[i * ld + e]);
                const float *wr = W + (size_t)f->offset * H;
                for (int c = 0; c < 4; c++) {
                    rec__v16 w;
                    REC_VLD(w, wr + 16 * c);
                    zv[c] += v * w;
                }
            } else if (fp || sh->l0[i].factored) {
                const float *pr = sh->l0[i].p + (size_t)sh->l0[i].sidx[e] * REC__L0_LD(H);
                for (int c = 0; c < 4; c++) {
                    rec__v16 p;
                    REC_VLD(p, pr + 16 * c);
                    zv[c] += p;
                }
            }
        }
        /* relu on the bits: y < 0 → +0, NaN and −0 kept (as rec__act_apply) */
        for (int c = 0; c < 4; c++)
            zv[c] = (rec__v16)((i16v)zv[c] & ~(i16v)(zv[c] < 0.0f));
        if (dense)
            for (int c = 0; c < 4; c++)
                REC_VST(z + e * H + 16 * c, zv[c]);
        /* ŷ_b = z_b·w₁ + b₁; g = 2 (ŷ_b − y_b) / B */
        const float yb = head_dot(zv, wv) + b1;
        pred[b] = yb;
        const float g = scale * (yb - sh->by[e]);
        /* ∂w₁ += g z_b; ∂b₁ += g; δ_b = g w₁ ∘ [z_b > 0]; ∂b₀ += δ_b */
        rec__v16 dv[4];
        for (int c = 0; c < 4; c++) {
            agk[c] += g * zv[c];
            dv[c] = (rec__v16)((i16v)(g * wv[c]) & (i16v)(zv[c] > 0.0f));
            agb[c] += dv[c];
        }
        agb1 += g;
        if (dense || (fp && sh->fp_delta))
            for (int c = 0; c < 4; c++)
                REC_VST(sh->delta + e * H + 16 * c, dv[c]);
        if (fp) { /* 12 bytes, where δ_b is 256: round D rebuilds δ_b from them */
            sh->fp_g[e] = g;
            uint64_t bits = 0;
            for (int c = 0; c < 4; c++) {
                const i16v on = (i16v)(zv[c] > 0.0f);
                bits |= (uint64_t)mask_bits(&on) << (16 * c);
            }
            sh->fp_relu[e] = bits;
        }
        /* ∂W₀[numeric f] += v_b δ_b; Δ_f[slot_f(b)] += δ_b (copied when the slot is new) */
        for (size_t i = 0; i < nf; i++) {
            const rec__feature *f = &m->feats[i];
            if (!f->emb) {
                const float v = rec__word_float(sh->bk[i * ld + e]);
                float *gr = pw->l0[i].p;
                for (int c = 0; c < 4; c++) {
                    rec__v16 r;
                    REC_VLD(r, gr + 16 * c);
                    r += v * dv[c];
                    REC_VST(gr + 16 * c, r);
                }
                continue;
            }
            rec__l0 *l = &sh->l0[i];
            if (fp || !l->factored)
                continue;
            const uint32_t slot = l->sidx[b];
            float *dd = l->p + H + (size_t)slot * REC__L0_LD(H);
            if (slot == l->n_seen) {
                for (int c = 0; c < 4; c++)
                    REC_VST(dd + 16 * c, dv[c]);
                l->n_seen++;
            } else {
                for (int c = 0; c < 4; c++) {
                    rec__v16 r;
                    REC_VLD(r, dd + 16 * c);
                    r += dv[c];
                    REC_VST(dd + 16 * c, r);
                }
            }
        }
    }
    float *agbr = scr + REC__L0_FGB * H, *agk1 = scr + REC__L0_FGK1 * H;
    for (int c = 0; c < 4; c++) {
        REC_VST(agbr + 16 * c, agb[c]);
        REC_VST(agk1 + 16 * c, agk[c]);
    }
    agk1[H] = agb1;
}

REC_CLONES_FMA
void rec__layer0_fused_r64(const rec_model *m, rec__workspace *sh, size_t lo, rec__workspace *pw,
                           size_t n, float *pred, float scale, int dense, const float *w1,
                           float b1, int fp)
{
    if (fp)
        fused_r64(m, sh, lo, pw, n, pred, scale, 0, w1, b1, 1);
    else
        fused_r64(m, sh, lo, pw, n, pred, scale, dense, w1, b1, 0);
}
