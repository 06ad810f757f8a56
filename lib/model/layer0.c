/* The first dense layer of an MLP in training, feature by feature over a slice's distinct keys
 * (rec__l0 in model.h: the same gradient with a third of the multiply-adds on MovieLens 100K),
 * with a one-unit head fused into its passes over the examples. Used by the slices of the
 * training paths (pass.c) and the feature-parallel rounds of lib/train/fast_mlp.c. */
#include "model/model.h"

#include <string.h>

uint32_t rec__layer0_group_keys(uint32_t *kslot, const uint32_t *keys, size_t n, uint32_t *ukeys,
                         uint32_t *sidx)
{
    uint32_t u = 0;
    for (size_t b = 0; b < n; b++) {
        uint32_t s = kslot[keys[b]];
        if (s == 0) {
            ukeys[u] = keys[b];
            s = ++u;
            kslot[keys[b]] = s;
        }
        sidx[b] = s - 1;
    }
    for (uint32_t k = 0; k < u; k++)
        kslot[ukeys[k]] = 0;
    return u;
}

/* Decide how layer 0 runs on this slice (rec__l0): find each keyed feature's distinct keys,
 * and go feature by feature when the multiply-adds saved outweigh running four thin
 * products instead of one (per-feature products cost ~15% more per FLOP). */
void rec__layer0_plan(const rec_model *m, rec__workspace *ws, const rec__featset *fs, size_t n)
{
    ws->by_feature = 0;
    if (!ws->l0 || n < REC__LAYER0_MIN)
        return;
    double whole = 0.0, split = 0.0;
    int any = 0;
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        rec__l0 *l = &ws->l0[i];
        if (!f->emb)
            continue;
        const uint32_t *keys = ws->bk + i * ws->cap;
        l->keys = keys;
        l->factored = 0;
        whole += (double)n * f->dim;
        if (!rec__layer0_has_map(f, l, &fs->cols[i])) {
            split += 1.15 * (double)n * f->dim;
            continue;
        }
        uint32_t u = rec__layer0_group_keys(l->kslot, keys, n, l->ukeys, l->sidx);
        l->n_unique = u;
        if (4 * (size_t)u <= 3 * n) {
            l->factored = 1;
            any = 1;
            split += (double)u * f->dim;
        } else {
            split += 1.15 * (double)n * f->dim;
        }
    }
    ws->by_feature = any && split < whole;
}

#define FUSED_AHEAD 6

/* z_b = b₀ + Σ_f [P_f[slot_f(b)] or v_b·W_f] for example e of sh, into zb (which holds b₀ or
 * the dense-path features' X_f·W_f already); fp: every keyed feature has slots. */
static inline __attribute__((always_inline)) void
layer0_row_in(const rec_model *m, const rec__workspace *sh, size_t e, float *zb, const float *W,
              const uint32_t H, const int fp)
{
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        if (!f->emb) /* NUMERIC (dim 1): z_b += v_b · W_f */
            rec__row_axpy(zb, W + (size_t)f->offset * H,
                          rec__f32_of_bits(sh->bk[i * sh->cap + e]), H);
        else if (fp || sh->l0[i].factored) /* z_b += P[slot(b)] */
            rec__row_add(zb, sh->l0[i].p + (size_t)sh->l0[i].sidx[e] * REC__L0_LD(H), H);
    }
}

/* Layer 0 and a one-unit head, forward and the per-example part of backward in one pass, so
 * that z_b, δ_b and the rest of an example stay in registers and L1 (a pass per quantity
 * over 2048 × 64 floats would run from L2):
 *     z_b = act₀(b₀ + Σ_f [P_f[slot_f(b)] or X_f·W_f or v_b·W_f]),  ŷ_b = act₁(z_b·w₁ + b₁)
 *     g = 2 (ŷ_b − y_b)/B ∘ act₁′;  ∂w₁ += g z_b;  ∂b₁ += g;  δ_b = (g w₁) ∘ act₀′(z_b)
 *     ∂b₀ += δ_b;  ∂W₀[numeric f] += v_b δ_b;  Δ_f[slot_f(b)] += δ_b
 * The sums go to the workspace; rec__layer0_backward adds them to the gradients only when the
 * slice's loss is finite, so a diverged batch leaves every gradient as it was. The presets'
 * case (64 relu units, a linear head) has a register-resident twin in layer0_r64.c. */
static inline __attribute__((always_inline)) void
layer0_fused_h(const rec_model *m, rec__workspace *sh, size_t lo, rec__workspace *pw, size_t n,
               float *pred, float scale, int dense, const float *w1, float b1, const uint32_t H,
               const int fp)
{
    /* sh holds the slice's keys, labels, P and δ (at lo); pw the scratch rows and the sums.
     * One thread (fp = 0): sh = pw, lo = 0, and Δ is summed here. Feature-parallel (fp = 1,
     * see lib/train/fast_mlp.c): every keyed feature has slots, δ_b goes to sh->delta and
     * the owner of each feature sums Δ later. */
    const float *W = rec__dense_kernel(m->layers[0].dense)->w,
                *bias = rec__dense_bias(m->layers[0].dense)->w;
    const rec_activation act0 = rec_dense_activation(m->layers[0].dense);
    const rec_activation act1 = rec_dense_activation(m->layers[1].dense);
    float *z = sh->act[0], *scr = pw->dact[0];
    float *tmp = scr + REC__L0_FTMP * H, *agb = scr + REC__L0_FGB * H,
          *agk1 = scr + REC__L0_FGK1 * H;
    float agb1 = 0.0f;
    const size_t ld = sh->cap;
    memset(agb, 0, H * sizeof *agb);
    memset(agk1, 0, H * sizeof *agk1);
    for (size_t i = 0; i < m->n_feats; i++) {
        if (!m->feats[i].emb)
            memset(pw->l0[i].p, 0, H * sizeof(float));
        else if (!fp)
            sh->l0[i].n_seen = 0;
    }
    for (size_t b = 0; b < n; b++) {
        const size_t e = lo + b; /* the example's index in sh */
        /* the P (and Δ) rows of a few examples ahead: random rows of buffers in L2 */
        if (b + FUSED_AHEAD < n)
            for (size_t i = 0; i < m->n_feats; i++)
                if (m->feats[i].emb && (fp || sh->l0[i].factored))
                    rec__row_prefetch(sh->l0[i].p +
                                          (size_t)sh->l0[i].sidx[e + FUSED_AHEAD] * REC__L0_LD(H),
                                      (fp ? H : REC__L0_LD(H)) * sizeof(float));
        float *zb = dense ? z + e * H : scr + REC__L0_FZ * H;
        if (!dense)
            rec__row_copy(zb, bias, H);
        layer0_row_in(m, sh, e, zb, W, H, fp);
        rec__act_apply(act0, zb, H);
        float yb = rec__row_dot(zb, w1, H) + b1;
        rec__act_apply(act1, &yb, 1);
        pred[b] = yb;
        /* ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B, then the head */
        float g1 = scale * (yb - sh->by[e]), g;
        rec__act_delta(act1, &g, &yb, &g1, 1);
        rec__row_axpy(agk1, zb, g, H);
        agb1 += g;
        rec__row_scale(tmp, w1, g, H);
        float *db = dense || fp ? sh->delta + e * H : scr + REC__L0_FD * H;
        rec__act_delta(act0, db, zb, tmp, H);
        rec__row_add(agb, db, H);
        for (size_t i = 0; i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            if (!f->emb) {
                rec__row_axpy(pw->l0[i].p, db, rec__f32_of_bits(sh->bk[i * ld + e]), H);
                continue;
            }
            rec__l0 *l = &sh->l0[i];
            if (fp || !l->factored)
                continue;
            rec__layer0_delta_add(l->p + H, l->sidx[b], &l->n_seen, db, H, REC__L0_LD(H));
        }
    }
    agk1[H] = agb1;
}

/* With the tutorial's 64 units as a constant, every row operation above becomes a fixed
 * sequence of vector instructions (no loop, remainder or dispatch). */
REC_CLONES
static void layer0_fused(const rec_model *m, rec__workspace *ws, size_t n, float *pred,
                         float scale, int dense, const float *w1, float b1)
{
    if (rec__layer0_r64_applies(m))
        rec__layer0_fused_r64(m, ws, 0, ws, n, pred, scale, dense, w1, b1, 0);
    else if (m->layers[0].units == 64)
        layer0_fused_h(m, ws, 0, ws, n, pred, scale, dense, w1, b1, 64, 0);
    else
        layer0_fused_h(m, ws, 0, ws, n, pred, scale, dense, w1, b1, m->layers[0].units, 0);
}

/* The fused pass of thread `pw` over examples [lo, lo + n) of the batch in sh (see
 * lib/train/fast_mlp.c). */
REC_CLONES
void rec__layer0_fused_slice(const rec_model *m, rec__workspace *sh, size_t lo,
                             rec__workspace *pw, size_t n, float *pred, float scale)
{
    const float *w1 = rec__dense_kernel(m->layers[1].dense)->w;
    const float b1 = rec__dense_bias(m->layers[1].dense)->w[0];
    if (rec__layer0_r64_applies(m))
        rec__layer0_fused_r64(m, sh, lo, pw, n, pred, scale, 0, w1, b1, 1);
    else if (m->layers[0].units == 64)
        layer0_fused_h(m, sh, lo, pw, n, pred, scale, 0, w1, b1, 64, 1);
    else
        layer0_fused_h(m, sh, lo, pw, n, pred, scale, 0, w1, b1, m->layers[0].units, 1);
}

/* z = act(b + Σ_f x_f·W_f) into act[0], feature by feature (see rec__l0), and with a fused
 * head ŷ_b = act₁(z_b·w₁ + b₁) into pred. Products first (dense-path features add into z,
 * keyed ones make P), then one pass over the examples adds bias, numeric and keyed terms,
 * applies the activation and the head while the row is in L1. */
REC_CLONES
void rec__layer0_forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                         size_t n, float *pred, float scale)
{
    rec_dense *d0 = m->layers[0].dense;
    const uint32_t H = m->layers[0].units;
    const float *W = rec__dense_kernel(d0)->w, *bias = rec__dense_bias(d0)->w;
    const rec_activation act0 = rec_dense_activation(d0);
    float *z = ws->act[0];
    int dense = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        dense |= m->feats[i].emb && !ws->l0[i].factored;
    if (dense)
        for (size_t b = 0; b < n; b++)
            rec__row_copy(z + b * H, bias, H);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        rec__l0 *l = &ws->l0[i];
        if (!f->emb)
            continue;
        const float *wf = W + (size_t)f->offset * H;
        if (l->factored) {
            /* P = U·W_f over the distinct keys */
            rec__embed_gather(m, fs, i, l->ukeys, l->n_unique, l->x);
            rec__layer0_project(l->n_unique, f->dim, H, l->x, wf, l->p);
        } else {
            /* z += X_f·W_f */
            rec__embed_gather(m, fs, i, l->keys, n, l->x);
            rec__blas_sgemm(0, 0, n, H, f->dim, 1.0f, l->x, f->dim, wf, H, 1.0f, z, H);
        }
    }
    if (rec__model_has_head(m)) {
        const float *w1 = rec__dense_kernel(m->layers[1].dense)->w;
        const float b1 = rec__dense_bias(m->layers[1].dense)->w[0];
        layer0_fused(m, ws, n, pred, scale, dense, w1, b1);
        return;
    }
    for (size_t b = 0; b < n; b++) {
        float *zb = z + b * H;
        if (!dense)
            rec__row_copy(zb, bias, H);
        layer0_row_in(m, ws, b, zb, W, H, 0);
        rec__act_apply(act0, zb, H);
    }
}

void rec__layer0_put_sums(const rec_model *m, const rec__workspace *pw, float *gb, float *gk,
                          float *gk1, float *gb1, int acc)
{
    const uint32_t H = m->layers[0].units;
    const float *scr = pw->dact[0];
    const float *agb = scr + REC__L0_FGB * H, *agk1 = scr + REC__L0_FGK1 * H;
    if (acc) {
        rec__row_add(gb, agb, H);
        rec__row_add(gk1, agk1, H);
        gb1[0] += agk1[H];
    } else {
        rec__row_copy(gb, agb, H);
        rec__row_copy(gk1, agk1, H);
        gb1[0] = agk1[H];
    }
    for (size_t i = 0; i < m->n_feats; i++) {
        if (m->feats[i].emb)
            continue;
        float *row = gk + (size_t)m->feats[i].offset * H;
        if (acc)
            rec__row_add(row, pw->l0[i].p, H);
        else
            rec__row_copy(row, pw->l0[i].p, H);
    }
}

void rec__layer0_feature_backward(rec_model *m, const rec__featset *fs, size_t i, rec__l0 *l,
                                  const uint32_t *keys, size_t u, const float *dl, size_t ldd,
                                  float beta, float *gw, const float *wf, rec__rowgrad *rg)
{
    const uint32_t H = m->layers[0].units, dim = m->feats[i].dim;
    if (dim == REC_THIN_K && H == REC_THIN_N) {
        float wt[REC_THIN_K * REC_THIN_N];
        rec__thin_transpose(wf, wt);
        rec__thin_tn(u, l->x, dl, ldd, beta, gw);
        rec__thin_nt(u, dl, ldd, wt, l->x);
    } else {
        rec__blas_sgemm(1, 0, dim, H, u, 1.0f, l->x, dim, dl, ldd, beta, gw, H);
        rec__blas_sgemm(0, 1, u, dim, H, 1.0f, dl, ldd, wf, H, 0.0f, l->x, dim);
    }
    rec__embed_scatter(m, fs, i, keys, u, l->x, rg);
}

/* Backward of layer 0 feature by feature (into the parameters when ts is NULL, else the
 * thread's private buffers). With a fused head, layer0_fused already made the per-example part
 * (δ, Δ and the slice's sums of the small gradients), which is added to the gradients here;
 * without, one pass over the examples starts from δ = ∂L/∂z ∘ act₀′ and makes layer 0's bias
 * and numeric gradients and the sums Δ_k = Σ_{b: key(b)=k} δ_b. Then per feature:
 * ∂W_f [+]= Uᵀ·Δ (or X_fᵀ·δ) and ∂U = Δ·W_fᵀ (or ∂X_f = δ·W_fᵀ), scattered to the embedding
 * rows. */
REC_CLONES
void rec__layer0_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                          const rec__featset *fs, size_t n)
{
    rec_dense *d0 = m->layers[0].dense;
    const uint32_t H = m->layers[0].units;
    const float *W = rec__dense_kernel(d0)->w;
    const rec_activation act0 = rec_dense_activation(d0);
    float *gk = ts ? ts->dg[m->layers[0].param_kernel] : rec__dense_kernel(d0)->g;
    float *gb = ts ? ts->dg[m->layers[0].param_bias] : rec__dense_bias(d0)->g;
    const int acc = ts == NULL;
    const float beta = acc ? 1.0f : 0.0f;
    float *delta = ws->delta;
    if (rec__model_has_head(m)) {
        /* the fused pass's sums: into the parameters (acc) or the thread's buffers */
        rec_dense *d1 = m->layers[1].dense;
        rec__layer0_put_sums(m, ws, gb, gk,
                             ts ? ts->dg[m->layers[1].param_kernel] : rec__dense_kernel(d1)->g,
                             ts ? ts->dg[m->layers[1].param_bias] : rec__dense_bias(d1)->g, acc);
    } else {
        if (!acc)
            memset(gb, 0, H * sizeof *gb);
        for (size_t i = 0; i < m->n_feats; i++) {
            if (m->feats[i].emb)
                ws->l0[i].n_seen = 0;
            else if (!acc)
                memset(gk + (size_t)m->feats[i].offset * H, 0, H * sizeof *gk);
        }
        for (size_t b = 0; b < n; b++) {
            const float *zb = ws->act[0] + b * H;
            float *db = delta + b * H, *tmp = ws->dact[0] + b * H;
            rec__act_delta(act0, db, zb, tmp, H);
            rec__row_add(gb, db, H);
            for (size_t i = 0; i < m->n_feats; i++) {
                const rec__feature *f = &m->feats[i];
                if (!f->emb) { /* ∂W_f += v_b δ_b (nothing upstream needs ∂x) */
                    rec__row_axpy(gk + (size_t)f->offset * H, db,
                                  rec__f32_of_bits(ws->bk[i * ws->cap + b]), H);
                    continue;
                }
                rec__l0 *l = &ws->l0[i];
                if (l->factored)
                    rec__layer0_delta_add(l->p + H, l->sidx[b], &l->n_seen, db, H, REC__L0_LD(H));
            }
        }
    }
    /* last feature first: the update then starts with the rows scattered most recently,
     * still in cache (the features' gradients are independent, so the order changes no bit) */
    for (size_t i = m->n_feats; i-- > 0;) {
        const rec__feature *f = &m->feats[i];
        if (!f->emb)
            continue;
        rec__l0 *l = &ws->l0[i];
        float *gw = gk + (size_t)f->offset * H;
        const float *wf = W + (size_t)f->offset * H;
        if (l->factored)
            rec__layer0_feature_backward(m, fs, i, l, l->ukeys, l->n_unique, l->p + H,
                                         REC__L0_LD(H), beta, gw, wf, ts ? ts->rg : NULL);
        else
            rec__layer0_feature_backward(m, fs, i, l, l->keys, n, delta, H, beta, gw, wf,
                                         ts ? ts->rg : NULL);
    }
}
