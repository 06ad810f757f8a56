/* Training internals shared by the files of gradient training:
 *   model_train.c      workspace, per-thread state, forward/backward of a slice, batches cut
 *                      into slices on T threads, the public train/evaluate/predict calls;
 *   model_layer0.c     the first dense layer of an MLP feature by feature (rec__l0);
 *   model_train_dot.c  the DOT model on T > 1 threads;
 *   model_train_mlp.c  an MLP with a one-unit head on T > 1 threads (feature-parallel layer 0).
 * The overview (loss, gradients, threads) is at the top of model_train.c. */
#ifndef REC_LIB_TRAIN_H
#define REC_LIB_TRAIN_H

#include "kernels/kernels.h"
#include "model/model.h"
#include "mcmc/mcmc.h"
#include "base/base.h"

/* Smallest slice worth a thread: below it the fork-join costs more than the work. */
#define MIN_SLICE 64
/* Smallest slice for which layer 0 looks for repeated keys (rec__l0). */
#define FACTOR_MIN 128

/* ---- one slice ------------------------------------------------------------------------------- */

/* The user and item features of a DOT model when each side is one plain lookup (the dot
 * preset): then forward and backward read the two rows directly, with no concatenation. */
static inline int dot_pair(const rec_model *m, size_t *fu, size_t *fv)
{
    if (m->interaction != REC_INTERACTION_DOT || m->n_feats != 2)
        return 0;
    for (size_t i = 0; i < 2; i++)
        if (m->feats[i].kind != REC_FEATURE_CATEGORICAL &&
            m->feats[i].kind != REC_FEATURE_BUCKETIZED)
            return 0;
    *fu = m->feats[0].side == REC_SIDE_USER ? 0 : 1;
    *fv = 1 - *fu;
    return m->feats[*fu].side == REC_SIDE_USER && m->feats[*fv].side == REC_SIDE_ITEM;
}

/* Whether the model ends in hidden layer 0 and a one-unit layer (every preset): then the
 * head is fused into layer 0's row passes (model_layer0.c). */
static inline int has_head(const rec_model *m)
{
    return m->n_layers == 2 && m->layers[1].units == 1;
}

/* Squared error sum (and, when sae is not NULL, absolute error sum) of n predictions. */
REC_HIDDEN void rec__train_errors(const float *pred, const float *labels, size_t n, double *sse,
                                  double *sae);

/* ---- layer 0 feature by feature (model_layer0.c) --------------------------------------------- */

/* Scratch rows of the fused pass, in dact[0] (which the fused path does not otherwise use):
 * z_b and δ_b when they need not be kept, act₁′·w₁ g, and the slice's sums of ∂b₀, ∂w₁, ∂b₁. */
enum { FZ, FTMP, FD, FGB, FGK1, F_ROWS };

/* Whether feature f (rec__l0 l, column c of the feature set) has a map for its distinct keys:
 * CATEGORICAL_LIST features have none, and a TEXT feature's map may be smaller than the
 * bags of a feature set it was not reserved for (l0_reserve_keys). */
static inline int l0_has_map(const rec__feature *f, const rec__l0 *l, const rec__fcol *c)
{
    return l->kslot && !(f->kind == REC_FEATURE_TEXT && l->n_kslot < c->n_bags);
}

/* P_f and Δ_f of a keyed feature share l0[i].p, interleaved by slot: P row s at p + s·2H, Δ row
 * s at p + s·2H + H. The fused pass reads P[s] and adds into Δ[s] for the same key, so the two
 * are neighbouring lines of one miss stream (kept apart, each was a miss of its own: the
 * pair of buffers of a batch outgrows L2). */
#define L0_LD(H) (2 * (size_t)(H))

/* P = U·W_f over u distinct keys into P's interleaved rows: gemm_thin.c for the presets' 32
 * columns into 64 units, OpenBLAS otherwise. */
static inline void l0_project(size_t u, uint32_t dim, uint32_t H, const float *x, const float *wf,
                              float *p)
{
    if (dim == REC_THIN_K && H == REC_THIN_N)
        rec__thin_nn(u, x, wf, p, L0_LD(H));
    else
        rec__blas_sgemm(0, 0, u, H, dim, 1.0f, x, dim, wf, H, 0.0f, p, L0_LD(H));
}

/* Δ[slot] += δ_b, Δ's rows ld floats apart. Slots were numbered in first-seen order, so a slot
 * is new exactly when it is the next unseen one: copy it then (no zeroing pass), add later
 * repeats. */
static inline __attribute__((always_inline)) void l0_delta_add(float *delta_rows, uint32_t slot,
                                                               uint32_t *n_seen, const float *db,
                                                               size_t H, size_t ld)
{
    float *dd = delta_rows + (size_t)slot * ld;
    if (slot == *n_seen) {
        rec__row_copy(dd, db, H);
        (*n_seen)++;
    } else {
        rec__row_add(dd, db, H);
    }
}

/* The distinct values of keys[0..n) in first-seen order into ukeys, each example's slot among
 * them into sidx; returns their count. kslot (1 + slot of a key during the pass, indexed by
 * key) must be all zero, and is all zero again afterwards. */
REC_HIDDEN uint32_t rec__group_keys(uint32_t *kslot, const uint32_t *keys, size_t n,
                                    uint32_t *ukeys, uint32_t *sidx);
/* Decide how layer 0 runs on a slice of n examples (sets ws->by_feature and each l0). */
REC_HIDDEN void rec__layer0_plan(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                                 size_t n);
/* Layer 0 (and a fused one-unit head into pred) forward, feature by feature. */
REC_HIDDEN void rec__layer0_forward(const rec_model *m, rec__workspace *ws,
                                    const rec__featset *fs, size_t n, float *pred, float scale);
/* Layer 0 backward feature by feature: into the parameters (ts NULL) or ts's buffers. */
REC_HIDDEN void rec__layer0_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                                     const rec__featset *fs, size_t n);
/* The fused pass of thread `pw` over examples [lo, lo + n) of the batch in sh. */
REC_HIDDEN void rec__layer0_fused_slice(const rec_model *m, rec__workspace *sh, size_t lo,
                                        rec__workspace *pw, size_t n, float *pred, float scale);
/* Whether the fused pass has a register-resident twin for m (64 relu units, a linear head:
 * every preset), and that twin (model_layer0_r64.c): the arguments of layer0_fused_h. */
REC_HIDDEN int rec__layer0_r64_applies(const rec_model *m);
REC_HIDDEN void rec__layer0_fused_r64(const rec_model *m, rec__workspace *sh, size_t lo,
                                      rec__workspace *pw, size_t n, float *pred, float scale,
                                      int dense, const float *w1, float b1, int fp);
/* Round D of the feature-parallel MLP (model_train_mlp.c), with the hand-off of the r64 pass
 * (sh->fp_g, fp_relu, fp_w1): Δ_f = Σ_{b: key(b) = k} δ_b in the batch's order for the
 * factored features ls[0..k), k ≤ REC_R64_GROUP, δ_b rebuilt from the hand-off. */
#define REC_R64_GROUP 16
REC_HIDDEN void rec__layer0_r64_delta(const rec__workspace *sh, rec__l0 *const *ls, size_t k,
                                      size_t B);
/* The small gradients a fused pass summed in pw's scratch (∂b₀, ∂w₁, ∂b₁, numeric rows of
 * ∂W₀) into gb, gk (layer 0's kernel), gk1, gb1: added (acc) or copied. */
REC_HIDDEN void rec__layer0_put_sums(const rec_model *m, const rec__workspace *pw, float *gb,
                                     float *gk, float *gk1, float *gb1, int acc);
/* Backward of keyed feature i from Δ (dl, u rows ldd floats apart, for keys[0..u)):
 * ∂W_f = βW_f + Uᵀ·Δ into gw, ∂U = Δ·W_fᵀ (in l->x) scattered to the embedding rows (into rg
 * when not NULL). */
REC_HIDDEN void rec__layer0_feature_backward(rec_model *m, const rec__featset *fs, size_t i,
                                             rec__l0 *l, const uint32_t *keys, size_t u,
                                             const float *dl, size_t ldd, float beta, float *gw,
                                             const float *wf, rec__rowgrad *rg);

/* ---- batches on T threads (model_train.c) ---------------------------------------------------- */


/* Thread t's workspace: the model's own for thread 0, its private one for the others. */
static inline rec__workspace *rec__thread_ws(rec_model *m, uint32_t t)
{
    return t ? &m->ws.extra[t].ws : &m->ws;
}


REC_HIDDEN rec_status rec__train_oom(const char *fn);
/* The gradients of examples idx[0..n) of fs (a labelled feature set, n > 0) accumulated into
 * m, as rec_model_compute_gradients() does; *loss_out (may be NULL) gets the batch's MSE.
 * Shared with the prepared features of features.c, so both give the same bits. */
REC_HIDDEN rec_status rec__train_gradients(rec_model *m, const rec__featset *fs,
                                           const uint32_t *idx, size_t n, double *loss_out,
                                           const char *fn);
/* REC_ENUMERIC for a batch whose loss is not finite. */
REC_HIDDEN rec_status rec__diverged(const char *fn);
/* ---- the DOT model (model_train_dot.c) ------------------------------------------------------ */

/* One thread, no gradient pending: forward and backward in one pass. Returns 0 (and does
 * nothing) when it does not apply; otherwise 1, with *rc and *sse set. */
REC_HIDDEN int rec__dot_fused_step(rec_model *m, const rec__featset *fs, const uint32_t *idx,
                                   size_t B, double *sse, rec_status *rc, const char *fn);

typedef struct dot_split dot_split;
REC_HIDDEN rec_status rec__dot_split_create(dot_split **out, const rec_model *m, uint32_t T,
                                            size_t slice, const char *fn);
REC_HIDDEN void rec__dot_split_free(dot_split *d);
REC_HIDDEN int rec__dot_small(const rec_model *m);
REC_HIDDEN rec_status rec__dot_batch_step(rec_model *m, dot_split *d, rec__pool *pool,
                                          rec__pool_out *out, rec_optimizer *opt,
                                          const rec__featset *fs, const uint32_t *idx, size_t B,
                                          uint32_t T, double *sse, const char *fn);

/* ---- an MLP with a one-unit head on T > 1 threads (model_train_mlp.c) ------------------------ */

REC_HIDDEN int rec__fp_applies(const rec_model *m);

/* The next batch's records, gathered by the threads at the end of a batch's round D (where
 * one of them would wait for the other) instead of in a round of their own: a second pair
 * of record buffers, shaped like the workspace's bk and by, swapped with them when the batch
 * they hold comes. The caller names the next batch (next_idx, next_n; NULL when there is
 * none) and clears ready whenever a batch may not be the one named. */
typedef struct rec__fp_next {
    uint32_t *bk;               /* n_feats × cap, as rec__workspace.bk */
    float *by;                  /* cap */
    const uint32_t *next_idx;   /* the batch after this one, or NULL */
    size_t next_n;
    const uint32_t *ready_idx;  /* the batch bk and by hold, or NULL */
    size_t ready_n;
} rec__fp_next;

/* nx: the trainer's (never NULL; its buffers exist whenever this path runs). */
REC_HIDDEN rec_status rec__fp_batch_step(rec_model *m, rec__pool *pool, rec__pool_out *out,
                                         uint32_t *owner, double *cost, rec__fp_next *nx,
                                         rec_optimizer *opt, const rec__featset *fs,
                                         const uint32_t *idx, size_t B, uint32_t T,
                                         double *sse, const char *fn);

#endif
