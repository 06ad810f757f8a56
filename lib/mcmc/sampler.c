/* Bayesian factorization machine by Gibbs sampling (rec_model_fit_mcmc), as libFM's MCMC
 * engine (Rendle 2012, "Factorization Machines with libFM", §4) and myFM; the data it works on
 * are in groups.c, predictions from a set of parameters in predict.c.
 *
 * Model. Over features f (the model's features, plus the global bias as a feature of one
 * column), each row r holds a "group" g = g_f(r): a set of the feature's columns j (its table's
 * rows) with values x_j — one column with x = 1 for CATEGORICAL and BUCKETIZED, the bag's c
 * rows with x = 1/c each for TEXT and CATEGORICAL_LIST (the mean pooling of the gradient path;
 * 1/√c with REC_POOLING_SQRTN),
 * the one column with x = the normalized value for NUMERIC. With e_f(g) = Σ_{j∈g} x_j v_j and
 * b_f(g) = Σ_{j∈g} x_j w_j:
 *     ŷ_r = w₀ + Σ_f b_f(g_f(r)) + Σ_{f<f'} ⟨e_f, e_f'⟩            (model/model.h)
 * Every parameter θ enters ŷ linearly: ŷ = c + θ·h(r), with h = x_j for w_j and
 * h = x_j·o_k(r) for v_jk, where o_k(r) = S_k(r) − e_fk(r) is the sum over the row's other
 * features (S_k = Σ_f e_fk): o does not depend on any parameter of feature f.
 *
 * Priors (libFM): y ~ N(ŷ, 1/α); θ ~ N(μ_π, 1/λ_π), one (μ, λ) per feature π for its linear
 * weights and one per feature and factor k; α ~ Γ(α₀/2, β₀/2), λ_π ~ Γ(α_λ/2, β_λ/2),
 * μ_π ~ N(μ₀, 1/(γ₀ λ_π)), all hyper-priors 1 except μ₀ = 0; w₀ has a flat prior.
 * Conditional of θ given everything else (e_r = y_r − ŷ_r):
 *     precision  P = α Σ_r h_r² + λ_π
 *     mean       m = (α Σ_r h_r (e_r + θ h_r) + λ_π μ_π) / P,     θ ← m + N(0, 1)/√P
 * then e_r −= Δθ·h_r. Hyper-parameters after each sweep, from the J values θ_j of a group:
 *     μ ~ N((Σθ_j + γ₀μ₀)/(J + γ₀), 1/((J + γ₀)λ))
 *     λ ~ Γ((α_λ + J + 1)/2, (β_λ + Σ(θ_j − μ)² + γ₀(μ − μ₀)²)/2)
 *     α ~ Γ((α₀ + N)/2, (β₀ + Σ_r e_r²)/2)
 *
 * Cost (the relational trick of Rendle 2013, "Scaling factorization machines to relational
 * data"). The sums over rows are taken per group: for v_jk, Σ_r h_r² = Σ_{g∋j} x_j² O2_g and
 * Σ_r h_r e_r = Σ_{g∋j} x_j OE_g with O2_g = Σ_{r∈g} o_r², OE_g = Σ_{r∈g} o_r e_r, gathered in
 * one pass over the rows. Changing v_jk by Δ moves e_r by −x_j Δ o_r for the rows of the groups
 * holding j, so OE_g −= x_j Δ O2_g keeps the group sums exact without touching the rows; the
 * rows' residuals and S_k are brought up to date in the next pass (e_r −= D_g·o_r, S_k(r) += D_g
 * with D_g the change of e_fk(g)), which also gathers the group sums of the next step. A sweep
 * thus costs O((F + 1)(K + 1) · N) row visits plus O(K · nnz of the group tables), where a
 * user's history of a hundred movies counts once per user, not once per rating.
 *
 * Residuals, S and the group caches are doubles, so the incremental updates do not drift over
 * hundreds of sweeps; the parameters themselves are the model's float tables. Row passes run
 * on the model's threads (contiguous chunks, per-thread partial sums added in thread order);
 * the draws are made on the calling thread from one generator seeded by the model's seed, so a
 * run is reproducible for a given thread count. */
#include "mcmc/mcmc.h"

#include <math.h>
#include <string.h>

/* ---- the sampler ----------------------------------------------------------------------------- */

/* Prior of a group of parameters. */
typedef struct prior {
    double mu, lambda;
} prior;

/* A block's state for the current step, per key u (see the sweep below). */
typedef struct bstate {
    double *n;          /* rows of u (fixed) */
    double *C1, *C2;    /* Σ c_r, Σ c_r² over u's rows, c_r = S_k(r) − U(u) */
    double *E1, *CE;    /* Σ e_r, Σ c_r e_r */
    double *U;          /* Σ_{f∈B} e_fk(u) (linear step: Σ_f b_f(u)) */
    double *U0;         /* U when the step began */
    double *dQ;         /* change of the block's inner pairs, at the end of the step */
} bstate;

typedef struct sampler {
    const rec__mcmc_data *d;
    rec__mcmc_blocks bs;
    bstate *st;         /* per block */
    rec__mcmc_params p;
    uint32_t K, T;
    rec__pool *pool;
    double *e;          /* n: residuals y − ŷ */
    double *S;          /* K × n: S_k(r) = Σ_f e_fk(g_f(r)) */
    double **E;         /* per feature: (K + 1) × n_groups, row K = linear sums */
    double *O2, *OE, *D;   /* per group of the current feature */
    double **part;      /* per thread: 4 × max keys (partial C1, C2, E1, CE) */
    double *sq;         /* per thread: Σ e² of its rows in the last pass */
    uint32_t max_groups, max_keys;
    prior *pri;         /* per feature: K + 1 (factor k, then linear); none for the bias */
    double alpha;
    rec__dist_ziggurat zig;
    rec__dist_gen rng;
    double *t;          /* n: the regression target: the labels, or the latent values z */
    /* ordered probit: C classes (values cls, sorted), the class of each row, the cutpoints
     * gam[0] = −∞ < gam[1] = 0 < gam[2] < ... < gam[C] = +∞ (class c is (gam[c], gam[c+1]]),
     * the Metropolis step's scale and acceptance count, per-thread generators for z */
    int ordinal;
    uint32_t C;
    double cls[REC__MAX_CLASSES], gam[REC__MAX_CLASSES + 1], prop[REC__MAX_CLASSES + 1];
    uint8_t *yc;
    uint32_t tries, accepted;
    rec__dist_gen *trng;   /* T */
} sampler;

/* One step: the parameters of block b for factor k (k = K: the linear weights). */
typedef struct step {
    size_t b;
    uint32_t k;
} step;

/* The fused row pass: apply step p's changes to the rows (residuals, S), then gather step a's
 * per-key sums. Either may be absent (b = SIZE_MAX). */
typedef struct pass_job {
    sampler *s;
    step p, a;
} pass_job;

static void row_pass(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    pass_job *j = ctx;
    sampler *s = j->s;
    if (t >= s->T)
        return;
    const size_t n = s->d->n, lo = rec__pool_slice(n, t, s->T),
                 hi = rec__pool_slice(n, t + 1, s->T);
    const uint32_t K = s->K;
    const int has_p = j->p.b != SIZE_MAX, has_a = j->a.b != SIZE_MAX;
    const uint32_t *pk = has_p ? s->d->f[s->bs.b[j->p.b].key].grp : NULL;
    const uint32_t *ak = has_a ? s->d->f[s->bs.b[j->a.b].key].grp : NULL;
    const bstate *ps = has_p ? &s->st[j->p.b] : NULL, *as = has_a ? &s->st[j->a.b] : NULL;
    const int p_lin = has_p && j->p.k == K, a_lin = has_a && j->a.k == K;
    double *restrict pS = has_p && !p_lin ? s->S + (size_t)j->p.k * n : NULL;
    const double *restrict aS = has_a && !a_lin ? s->S + (size_t)j->a.k * n : NULL;
    const uint32_t nk = has_a ? s->bs.b[j->a.b].n_keys : 0;
    double *C1 = s->part[t], *C2 = C1 + s->max_keys, *E1 = C2 + s->max_keys,
           *CE = E1 + s->max_keys;
    for (uint32_t u = 0; u < nk; u++)
        C1[u] = C2[u] = E1[u] = CE[u] = 0.0;
    /* Rows come in runs of one key (a training file sorted by user, say): a run's key values
     * stay in registers, and its sums are added to the key's slot once, when the run ends. */
    uint32_t pcur = UINT32_MAX, acur = UINT32_MAX;
    double pu0 = 0.0, pdu = 0.0, pdq = 0.0, aU = 0.0;
    double e1 = 0.0, c1 = 0.0, c2 = 0.0, ce = 0.0, sq = 0.0;
    double *restrict e = s->e;
    for (size_t r = lo; r < hi; r++) {
        double er = e[r];
        if (has_p) {
            const uint32_t u = pk[r];
            if (u != pcur) {
                pcur = u;
                pu0 = ps->U0[u];
                pdu = ps->U[u] - pu0;
                pdq = pS ? ps->dQ[u] : 0.0;
            }
            if (pS) {
                /* ŷ_r moved by ΔQ(u) + ΔU(u)·c_r with c_r = S_k(r) − U₀(u) */
                er -= pdq + pdu * (pS[r] - pu0);
                pS[r] += pdu;
            } else {
                er -= pdu;
            }
            e[r] = er;
        }
        sq += er * er;
        if (has_a) {
            const uint32_t u = ak[r];
            if (u != acur) {
                if (acur != UINT32_MAX) {
                    E1[acur] += e1;
                    C1[acur] += c1;
                    C2[acur] += c2;
                    CE[acur] += ce;
                }
                acur = u;
                aU = as->U[u];
                e1 = c1 = c2 = ce = 0.0;
            }
            e1 += er;
            if (aS) {
                const double c = aS[r] - aU;
                c1 += c;
                c2 += c * c;
                ce += c * er;
            }
        }
    }
    if (acur != UINT32_MAX) {
        E1[acur] += e1;
        C1[acur] += c1;
        C2[acur] += c2;
        CE[acur] += ce;
    }
    s->sq[t] = sq;
}

/* U(u) (and the inner pairs Q(u) into dQ) of block b for factor k (linear sums for k = K). */
static void block_values(sampler *s, size_t b, uint32_t k, double *U, double *Q)
{
    const rec__mcmc_block *bl = &s->bs.b[b];
    const uint32_t K = s->K;
    for (uint32_t u = 0; u < bl->n_keys; u++) {
        double sum = 0.0, sq = 0.0;
        for (size_t j = 0; j < bl->n_feats; j++) {
            const size_t f = bl->feats[j];
            if (k < K && f + 1 == s->d->nf)
                continue; /* the bias has no factors */
            const double v = s->E[f][(size_t)k * s->d->f[f].n_groups + bl->gmap[j][u]];
            sum += v;
            sq += v * v;
        }
        U[u] = sum;
        if (Q)
            Q[u] = 0.5 * (sum * sum - sq);
    }
}

/* Run the fused pass for (p, a), and add up the threads' per-key sums of a. Returns Σ e². */
static double run_pass(sampler *s, step p, step a)
{
    if (p.b != SIZE_MAX && p.b == a.b) {
        /* one block after itself (a model whose features all hang on one key): its state
         * serves the apply first, then the gather */
        step none = {SIZE_MAX, 0};
        run_pass(s, p, none);
        p = none;
    }
    if (a.b != SIZE_MAX) {
        /* the block's values before its draws: what c_r is measured from */
        bstate *st = &s->st[a.b];
        block_values(s, a.b, a.k, st->U, st->dQ);
        memcpy(st->U0, st->U, s->bs.b[a.b].n_keys * sizeof *st->U0);
    }
    pass_job j = {s, p, a};
    rec__pool_run(s->T > 1 ? s->pool : NULL, row_pass, &j);
    if (a.b != SIZE_MAX) {
        bstate *st = &s->st[a.b];
        const uint32_t nk = s->bs.b[a.b].n_keys, M = s->max_keys;
        for (uint32_t u = 0; u < nk; u++) {
            double c1 = 0.0, c2 = 0.0, e1 = 0.0, ce = 0.0;
            for (uint32_t t = 0; t < s->T; t++) {
                const double *pt = s->part[t];
                c1 += pt[u];
                c2 += pt[M + u];
                e1 += pt[2 * (size_t)M + u];
                ce += pt[3 * (size_t)M + u];
            }
            st->C1[u] = c1;
            st->C2[u] = c2;
            st->E1[u] = e1;
            st->CE[u] = ce;
        }
    }
    double sq = 0.0;
    for (uint32_t t = 0; t < s->T; t++)
        sq += s->sq[t];
    return sq;
}

/* Draw the column parameters of feature f for factor k (k = K: linear), given the per-group
 * sums in O2 / OE; the changes of the groups' caches go to D. */
static void draw_columns(sampler *s, size_t f, uint32_t k)
{
    const rec__mcmc_feat *mf = &s->d->f[f];
    const uint32_t K = s->K;
    const int lin = k == K, bias = f + 1 == s->d->nf;
    float *w = lin ? s->p.lin[f] : s->p.v[f];
    const size_t stride = lin ? 1 : K, off = lin ? 0 : k;
    /* the bias has a flat prior */
    const double mu = bias ? 0.0 : s->pri[f * (K + 1) + k].mu;
    const double lambda = bias ? 0.0 : s->pri[f * (K + 1) + k].lambda;
    const double alpha = s->alpha;
    double *O2 = s->O2, *OE = s->OE, *D = s->D;
    for (uint32_t c = 0; c < mf->n_cols; c++) {
        double h2 = 0.0, he = 0.0;
        for (size_t q = mf->coff[c]; q < mf->coff[c + 1]; q++) {
            const double x = mf->cx[q];
            h2 += x * x * O2[mf->cgrp[q]];
            he += x * OE[mf->cgrp[q]];
        }
        float *wc = w + (size_t)c * stride + off;
        const double theta = *wc;
        const double prec = alpha * h2 + lambda;
        if (!(prec > 0.0))
            continue; /* the bias without data: nothing to learn */
        const double mean = (alpha * (he + theta * h2) + lambda * mu) / prec;
        const float nt = (float)(mean + rec__dist_normal(&s->rng) / sqrt(prec));
        const double delta = (double)nt - theta;
        *wc = nt;
        if (delta == 0.0)
            continue;
        for (size_t q = mf->coff[c]; q < mf->coff[c + 1]; q++) {
            const uint32_t g = mf->cgrp[q];
            const double xd = mf->cx[q] * delta;
            OE[g] -= xd * O2[g];
            D[g] += xd;
        }
    }
}

/* Draw every member of block b for factor k (linear for k = K). For a member f and a key u with
 * g = g_f(u), the rows r of u have o_r = S_k(r) − e_fk(g) = a_u + c_r with
 * a_u = U(u) − e_fk(g) (the other members) and c_r = S_k(r) − U(u) (the other blocks), so
 *     Σ_{r∈u} o_r² = n_u a_u² + 2 a_u C1_u + C2_u,   Σ_{r∈u} o_r e_r = a_u E1_u + CE_u
 * (for the linear weights o_r = 1: n_u and E1_u). After e_fk(g) changes by d, the rows' residuals
 * move by −d·o_r: E1_u −= d (n_u a_u + C1_u), CE_u −= d (a_u C1_u + C2_u), and U(u) += d. */
static void draw_block(sampler *s, size_t b, uint32_t k)
{
    const rec__mcmc_block *bl = &s->bs.b[b];
    bstate *st = &s->st[b];
    const uint32_t K = s->K;
    const int lin = k == K;
    for (size_t j = 0; j < bl->n_feats; j++) {
        const size_t f = bl->feats[j];
        if (!lin && f + 1 == s->d->nf)
            continue;
        const uint32_t G = s->d->f[f].n_groups, *gm = bl->gmap[j];
        double *Ef = s->E[f] + (size_t)k * G;
        for (uint32_t g = 0; g < G; g++)
            s->O2[g] = s->OE[g] = 0.0;
        for (uint32_t u = 0; u < bl->n_keys; u++) {
            const double nu = st->n[u];
            if (nu == 0.0)
                continue;
            const uint32_t g = gm[u];
            if (lin) {
                s->O2[g] += nu;
                s->OE[g] += st->E1[u];
            } else {
                const double a = st->U[u] - Ef[g];
                s->O2[g] += nu * a * a + 2.0 * a * st->C1[u] + st->C2[u];
                s->OE[g] += a * st->E1[u] + st->CE[u];
            }
        }
        draw_columns(s, f, k);
        for (uint32_t u = 0; u < bl->n_keys; u++) {
            const double d = s->D[gm[u]];
            if (d == 0.0)
                continue;
            if (lin) {
                st->E1[u] -= d * st->n[u];
            } else {
                const double a = st->U[u] - Ef[gm[u]];
                st->E1[u] -= d * (st->n[u] * a + st->C1[u]);
                st->CE[u] -= d * (a * st->C1[u] + st->C2[u]);
            }
            st->U[u] += d;
        }
        for (uint32_t g = 0; g < G; g++) {
            Ef[g] += s->D[g];
            s->D[g] = 0.0;
        }
    }
    if (!lin) {
        /* ΔQ(u): the change of the pairs inside the block, for the rows' update */
        const uint32_t nk = bl->n_keys;
        double *Q0 = st->dQ;
        for (uint32_t u = 0; u < nk; u++) {
            double sq = 0.0;
            for (size_t j = 0; j < bl->n_feats; j++) {
                const size_t f = bl->feats[j];
                if (f + 1 == s->d->nf)
                    continue;
                const double v = s->E[f][(size_t)k * s->d->f[f].n_groups + bl->gmap[j][u]];
                sq += v * v;
            }
            Q0[u] = 0.5 * (st->U[u] * st->U[u] - sq) - Q0[u];
        }
    }
}

/* Hyper-parameters of every group of parameters, then of the noise (libFM's defaults: all
 * hyper-priors 1, μ₀ = 0). */
static void draw_hyper(sampler *s, double sse)
{
    const double a0 = 1.0, b0 = 1.0, al = 1.0, bl = 1.0, mu0 = 0.0, g0 = 1.0;
    const uint32_t K = s->K;
    for (size_t f = 0; f + 1 < s->d->nf; f++) {
        const uint32_t J = s->d->f[f].n_cols;
        for (uint32_t k = 0; k <= K; k++) {
            const float *w = k == K ? s->p.lin[f] : s->p.v[f];
            const size_t stride = k == K ? 1 : K, off = k == K ? 0 : k;
            prior *pr = &s->pri[f * (K + 1) + k];
            double sum = 0.0;
            for (uint32_t c = 0; c < J; c++)
                sum += w[(size_t)c * stride + off];
            pr->mu = (sum + g0 * mu0) / (J + g0) +
                     rec__dist_normal(&s->rng) / sqrt((J + g0) * pr->lambda);
            double ss = 0.0;
            for (uint32_t c = 0; c < J; c++) {
                double dv = w[(size_t)c * stride + off] - pr->mu;
                ss += dv * dv;
            }
            ss += g0 * (pr->mu - mu0) * (pr->mu - mu0);
            pr->lambda = rec__dist_gamma(&s->rng, (al + J + 1) / 2.0, (bl + ss) / 2.0);
        }
    }
    /* the ordered probit's latent noise has variance 1: α is not a parameter there */
    if (!s->ordinal)
        s->alpha = rec__dist_gamma(&s->rng, (a0 + (double)s->d->n) / 2.0, (b0 + sse) / 2.0);
}

static void sampler_release(sampler *s)
{
    rec__pool_stop(s->pool);
    rec__free(s->e);
    rec__free(s->S);
    for (size_t i = 0; s->E && i < s->d->nf; i++)
        rec__free(s->E[i]);
    rec__free(s->E);
    for (size_t b = 0; s->st && b < s->bs.n; b++) {
        bstate *st = &s->st[b];
        double **arr[] = {&st->n, &st->C1, &st->C2, &st->E1, &st->CE, &st->U, &st->U0, &st->dQ};
        for (size_t a = 0; a < sizeof arr / sizeof *arr; a++)
            rec__free(*arr[a]);
    }
    rec__free(s->st);
    rec__mcmc_blocks_release(&s->bs);
    rec__free(s->O2);
    rec__free(s->OE);
    rec__free(s->D);
    for (uint32_t t = 0; s->part && t < s->T; t++)
        rec__free(s->part[t]);
    rec__free(s->part);
    rec__free(s->sq);
    rec__free(s->pri);
    rec__free(s->t);
    rec__free(s->yc);
    rec__free(s->trng);
    rec__free(s->p.lin);
    rec__free(s->p.v);
    memset(s, 0, sizeof *s);
}

/* Caches from the current parameters: E_f, S and the residuals. */
static void sampler_refresh(sampler *s)
{
    const rec__mcmc_data *d = s->d;
    const uint32_t K = s->K;
    for (size_t i = 0; i < d->nf; i++) {
        const rec__mcmc_feat *mf = &d->f[i];
        const uint32_t G = mf->n_groups;
        double *E = s->E[i];
        for (size_t q = 0; q < (size_t)(K + 1) * G; q++)
            E[q] = 0.0;
        const float *lin = s->p.lin[i], *v = s->p.v[i];
        for (uint32_t g = 0; g < G; g++)
            for (size_t q = mf->goff[g]; q < mf->goff[g + 1]; q++) {
                const double x = mf->gx[q];
                const uint32_t j = mf->gcol[q];
                for (uint32_t k = 0; v && k < K; k++)
                    E[(size_t)k * G + g] += x * v[(size_t)j * K + k];
                E[(size_t)K * G + g] += x * lin[j];
            }
    }
    for (size_t r = 0; r < d->n; r++) {
        double lin = 0.0, sq = 0.0, pair = 0.0;
        for (uint32_t k = 0; k < K; k++) {
            double sk = 0.0;
            for (size_t i = 0; i + 1 < d->nf; i++) {
                double ek = s->E[i][(size_t)k * d->f[i].n_groups + d->f[i].grp[r]];
                sk += ek;
                sq += ek * ek;
            }
            s->S[(size_t)k * d->n + r] = sk;
            pair += sk * sk;
        }
        for (size_t i = 0; i < d->nf; i++)
            lin += s->E[i][(size_t)K * d->f[i].n_groups + d->f[i].grp[r]];
        s->e[r] = s->t[r] - (lin + 0.5 * (pair - sq));
    }
}

/* ---- the ordered probit (Albert & Chib 1993) --------------------------------------------- */

/* The classes (distinct labels, sorted), the cutpoints from the classes' frequencies
 * (γ_c = Φ⁻¹(P(y ≤ v_c)) − Φ⁻¹(P(y ≤ v_1)), so γ_1 = 0), w₀ shifted so that the mean
 * prediction sits where the first class's frequency puts it (Φ(γ_1 − ŷ) = P(y ≤ v_1)), and the
 * first latent values. */
static rec_status ordinal_init(sampler *s, const char *fn)
{
    const rec__mcmc_data *d = s->d;
    s->ordinal = 1;
    s->alpha = 1.0;
    s->yc = rec__malloc(d->n ? d->n : 1);
    if (!s->yc)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    s->C = 0;
    for (size_t r = 0; r < d->n; r++) {
        const double y = d->y[r];
        uint32_t c = 0;
        while (c < s->C && s->cls[c] != y)
            c++;
        if (c < s->C)
            continue;
        if (s->C == REC__MAX_CLASSES)
            return rec__error(REC_EINVAL, "%s: an ordered probit takes at most %u distinct "
                              "labels; the training set has more", fn, REC__MAX_CLASSES);
        s->cls[s->C++] = y;
    }
    if (s->C < 2)
        return rec__error(REC_EINVAL, "%s: an ordered probit needs at least 2 distinct labels",
                          fn);
    for (uint32_t a = 1; a < s->C; a++) /* insertion sort of ≤ 64 values */
        for (uint32_t b = a; b > 0 && s->cls[b - 1] > s->cls[b]; b--) {
            double tmp = s->cls[b];
            s->cls[b] = s->cls[b - 1];
            s->cls[b - 1] = tmp;
        }
    double count[REC__MAX_CLASSES] = {0}, mean = 0.0;
    for (size_t r = 0; r < d->n; r++) {
        uint32_t c = 0;
        while (s->cls[c] != d->y[r])
            c++;
        s->yc[r] = (uint8_t)c;
        count[c] += 1.0;
        mean += d->y[r] - s->e[r];
    }
    mean /= (double)d->n;
    const double n = (double)d->n, q1 = rec__dist_phi_inv(count[0] / n);
    double cum = 0.0;
    s->gam[0] = -INFINITY;
    s->gam[s->C] = INFINITY;
    for (uint32_t c = 1; c < s->C; c++) {
        cum += count[c - 1];
        s->gam[c] = c == 1 ? 0.0 : rec__dist_phi_inv(cum / n) - q1;
        s->prop[c] = 0.01;
    }
    const double shift = -q1 - mean;
    s->p.lin[d->nf - 1][0] += (float)shift;
    for (size_t r = 0; r < d->n; r++) {
        const double yh = d->y[r] - s->e[r] + shift;
        const uint32_t c = s->yc[r];
        s->t[r] = yh + rec__dist_trunc_normal(&s->rng, s->gam[c] - yh, s->gam[c + 1] - yh);
    }
    sampler_refresh(s);
    return REC_OK;
}

typedef struct ordinal_job {
    sampler *s;
    const double *nw;   /* proposed cutpoints (C + 1), or NULL: draw the latent values */
    double *dl;         /* per thread: Σ log-likelihood change */
} ordinal_job;

static void ordinal_rows(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    ordinal_job *j = ctx;
    sampler *s = j->s;
    if (t >= s->T)
        return;
    const size_t n = s->d->n;
    const double *g = s->gam;
    double dl = 0.0, ratio = 1.0;
    int in_ratio = 0;
    for (size_t r = rec__pool_slice(n, t, s->T); r < rec__pool_slice(n, t + 1, s->T); r++) {
        const uint32_t c = s->yc[r];
        const double yh = s->t[r] - s->e[r];
        if (j->nw) {
            /* P(class c | ŷ) = Φ(γ_{c+1} − ŷ) − Φ(γ_c − ŷ); class 0's bounds never move. The
             * log of the likelihood ratio is taken over products of 16 rows' ratios (each
             * within [1e-300, 1e300] of 1 only in hostile cases: ratios are near 1). */
            if (c == 0)
                continue;
            ratio *= rec__dist_interval(j->nw[c] - yh, j->nw[c + 1] - yh) /
                     rec__dist_interval(g[c] - yh, g[c + 1] - yh);
            if (++in_ratio == 16 || !(ratio > 1e-200 && ratio < 1e200)) {
                dl += log(ratio);
                ratio = 1.0;
                in_ratio = 0;
            }
        } else {
            const double z = yh + rec__dist_trunc_normal(&s->trng[t], g[c] - yh, g[c + 1] - yh);
            s->t[r] = z;
            s->e[r] = z - yh;
        }
    }
    if (j->dl)
        j->dl[t] = dl + log(ratio);
}

/* After a sweep's weights: the free cutpoints γ_2..γ_{C−1} by one random-walk Metropolis step on
 * the likelihood with the latent values integrated out, Π_r [Φ(γ_{c+1} − ŷ_r) − Φ(γ_c − ŷ_r)]
 * (during burn-in the step's scale adapts toward an acceptance of 1/4..1/2), then the latent
 * values z_r ~ N(ŷ_r, 1) truncated to their class's interval. (Stepping the cutpoints only
 * every few sweeps would save Φ evaluations but mixes worse: they move with w₀.) */
static void ordinal_step(sampler *s, int adapt)
{
    double nw[REC__MAX_CLASSES + 1], dl[256]; /* rec_model_set_threads allows ≤ 256 */
    int ok = s->C > 2;
    for (uint32_t c = 0; c <= s->C; c++)
        nw[c] = c >= 2 && c < s->C ? s->gam[c] + s->prop[c] * rec__dist_normal(&s->rng) : s->gam[c];
    for (uint32_t c = 1; c < s->C && ok; c++)
        ok = nw[c] < nw[c + 1];
    if (ok) {
        ordinal_job j = {s, nw, dl};
        rec__pool_run(s->T > 1 ? s->pool : NULL, ordinal_rows, &j);
        double sum = 0.0;
        for (uint32_t t = 0; t < s->T; t++)
            sum += dl[t];
        s->tries++;
        if (log(rec__dist_unif01(&s->rng.r)) < sum) {
            memcpy(s->gam, nw, (s->C + 1) * sizeof *nw);
            s->accepted++;
        }
    } else if (s->C > 2) {
        s->tries++;
    }
    if (adapt && s->tries >= 20) {
        const double rate = (double)s->accepted / s->tries;
        for (uint32_t c = 2; c < s->C; c++)
            s->prop[c] *= rate > 0.5 ? 1.5 : rate < 0.25 ? 1.0 / 1.5 : 1.0;
        s->tries = s->accepted = 0;
    }
    /* each thread draws its rows' latent values from a generator seeded from the main one */
    for (uint32_t t = 0; t < s->T; t++) {
        rec__rng_seed(&s->trng[t].r, rec__rng_u64(&s->rng.r));
        s->trng[t].z = &s->zig;
    }
    ordinal_job j = {s, NULL, NULL};
    rec__pool_run(s->T > 1 ? s->pool : NULL, ordinal_rows, &j);
}

static rec_status sampler_init(sampler *s, rec_model *m, const rec__mcmc_data *d, const char *fn)
{
    memset(s, 0, sizeof *s);
    s->d = d;
    rec_status rc = rec__mcmc_params_of_model(&s->p, m, fn);
    if (!rc)
        rc = rec__mcmc_blocks_build(&s->bs, d, fn);
    if (rc)
        return rc;
    s->K = s->p.K;
    s->T = rec__mcmc_threads(m, d->n);
    for (size_t i = 0; i < d->nf; i++)
        if (d->f[i].n_groups > s->max_groups)
            s->max_groups = d->f[i].n_groups;
    for (size_t b = 0; b < s->bs.n; b++)
        if (s->bs.b[b].n_keys > s->max_keys)
            s->max_keys = s->bs.b[b].n_keys;
    size_t n = d->n ? d->n : 1;
    s->e = rec__malloc(n * sizeof *s->e);
    s->S = rec__malloc((size_t)s->K * n * sizeof *s->S);
    s->E = rec__calloc(d->nf, sizeof *s->E);
    s->st = rec__calloc(s->bs.n, sizeof *s->st);
    s->O2 = rec__calloc(s->max_groups, sizeof *s->O2);
    s->OE = rec__calloc(s->max_groups, sizeof *s->OE);
    s->D = rec__calloc(s->max_groups, sizeof *s->D);
    s->part = rec__calloc(s->T, sizeof *s->part);
    s->sq = rec__calloc(s->T, sizeof *s->sq);
    s->pri = rec__malloc(d->nf * (s->K + 1) * sizeof *s->pri);
    int ok = s->e && s->S && s->E && s->st && s->O2 && s->OE && s->D && s->part && s->sq &&
             s->pri;
    for (size_t i = 0; ok && i < d->nf; i++) {
        s->E[i] = rec__malloc((size_t)(s->K + 1) * d->f[i].n_groups * sizeof(double));
        ok = s->E[i] != NULL;
    }
    for (size_t b = 0; ok && b < s->bs.n; b++) {
        bstate *st = &s->st[b];
        size_t nk = (size_t)s->bs.b[b].n_keys + 1;
        double **arr[] = {&st->n, &st->C1, &st->C2, &st->E1, &st->CE, &st->U, &st->U0, &st->dQ};
        for (size_t a = 0; ok && a < sizeof arr / sizeof *arr; a++)
            ok = (*arr[a] = rec__calloc(nk, sizeof(double))) != NULL;
        if (ok) {
            const uint32_t *key = d->f[s->bs.b[b].key].grp;
            for (size_t r = 0; r < d->n; r++)
                st->n[key[r]] += 1.0;
        }
    }
    for (uint32_t t = 0; ok && t < s->T; t++) {
        s->part[t] = rec__malloc(4 * (size_t)s->max_keys * sizeof(double));
        ok = s->part[t] != NULL;
    }
    if (!ok)
        return rec__error(REC_ENOMEM, "%s: out of memory for the sampler", fn);
    if (s->T > 1 && (rc = rec__pool_start(&s->pool, s->T, fn)))
        return rc;
    for (size_t q = 0; q < d->nf * (s->K + 1); q++)
        s->pri[q] = (prior){0.0, 1.0};
    s->alpha = 1.0;
    /* one generator for every draw, derived from the model's seed */
    rec__dist_ziggurat_init(&s->zig);
    rec__rng_seed(&s->rng.r, m->seed ^ 0x4d434d43ull /* "MCMC" */);
    s->rng.z = &s->zig;
    s->t = rec__malloc(n * sizeof *s->t);
    s->trng = rec__calloc(s->T, sizeof *s->trng);
    if (!s->t || !s->trng)
        return rec__error(REC_ENOMEM, "%s: out of memory for the sampler", fn);
    for (size_t r = 0; r < d->n; r++)
        s->t[r] = d->y[r];
    sampler_refresh(s);
    if (m->post.likelihood == REC_LIKELIHOOD_ORDERED_PROBIT)
        return ordinal_init(s, fn);
    return REC_OK;
}

/* One sweep: every block's linear weights (the bias's block included), then for each factor k
 * every block with factors; then the hyper-parameters (and the ordered probit's cutpoints and
 * latent values). A row pass runs between two steps: it brings the rows up to date with the
 * step before and gathers the per-key sums of the step after. Returns the training SSE of the
 * sweep's weights (for the ordered probit, against the latent values). */
static double sweep(sampler *s, int burning_in)
{
    const uint32_t K = s->K;
    step none = {SIZE_MAX, 0}, prev = none;
    for (uint32_t k = K + 1; k-- > 0;) {
        const uint32_t kk = k == K ? K : K - 1 - k; /* linear first, then factors 0..K−1 */
        for (size_t b = 0; b < s->bs.n; b++) {
            if (kk < K && !s->bs.b[b].factors)
                continue;
            step a = {b, kk};
            run_pass(s, prev, a);
            draw_block(s, b, kk);
            prev = a;
        }
    }
    double sse = run_pass(s, prev, none);
    draw_hyper(s, sse);
    if (s->ordinal)
        ordinal_step(s, burning_in);
    return sse;
}

static rec_status check_fm(const rec_model *m, const char *fn)
{
    rec_status rc = rec__model_check_built(m, fn);
    if (!rc)
        rc = rec__model_check_label(m, fn);
    if (rc)
        return rc;
    if (m->interaction != REC_INTERACTION_FM)
        return rec__error(REC_EINVAL, "%s: Gibbs sampling needs a REC_INTERACTION_FM model", fn);
    return REC_OK;
}

rec_status rec_model_fit_mcmc(rec_model *m, const rec_dataset *train, uint32_t n_iter,
                              uint32_t n_burn_in, const rec_dataset *val, rec_epoch_fn on_iter,
                              void *payload)
{
    static const char fn[] = "rec_model_fit_mcmc";
    rec_status rc = check_fm(m, fn);
    if (rc)
        return rc;
    if (!train || rec_dataset_size(train) == 0)
        return rec__error(REC_EINVAL, "%s: training dataset is NULL or empty", fn);
    if (val && rec_dataset_size(val) == 0)
        return rec__error(REC_EINVAL, "%s: validation dataset is empty", fn);
    if (n_iter == 0 || n_burn_in >= n_iter)
        return rec__error(REC_EINVAL, "%s: n_iter = %u must exceed n_burn_in = %u", fn, n_iter,
                          n_burn_in);
    rec__posterior *x = &m->post;
    const size_t wlen = rec__mcmc_weights_len(m);
    rec__featset tfs, vfs = {0};
    rec__mcmc_data td = {0}, vd = {0};
    sampler s;
    memset(&s, 0, sizeof s);
    rec__mcmc_predictor vpr = {0};
    double *vacc = NULL;
    float *samples = NULL, cls[REC__MAX_CLASSES];
    size_t len = wlen;
    rc = rec__featset_build(&tfs, m, train, NULL, 0, 1, fn);
    if (rc)
        return rc;
    if (val)
        rc = rec__featset_build(&vfs, m, val, NULL, 0, 1, fn);
    if (!rc)
        rc = rec__mcmc_data_build(&td, m, &tfs, 1, fn);
    if (!rc && val)
        rc = rec__mcmc_data_build(&vd, m, &vfs, 0, fn);
    rec__mcmc_params vp = {m->n_feats + 1, rec__mcmc_k(m), NULL, NULL, 0, NULL, NULL};
    if (!rc && val) {
        /* validation predictions run on the sampler's pool, so on at most its threads:
         * rec__mcmc_threads(m, td.n), as sampler_init sets s.T */
        rc = rec__mcmc_predictor_init(&vpr, &vd, rec__mcmc_k(m), rec__mcmc_threads(m, td.n), fn);
        vacc = rec__calloc(vd.n, sizeof *vacc);
        vp.lin = rec__calloc(vp.nf, sizeof *vp.lin);
        vp.v = rec__calloc(vp.nf, sizeof *vp.v);
        if (!rc && (!vacc || !vp.lin || !vp.v))
            rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    /* the previous run's samples no longer describe the model once this one starts */
    rec__posterior_forget(&m->post);
    if (!rc)
        rc = sampler_init(&s, m, &td, fn);
    if (!rc) {
        /* an ordered-probit sample ends with its C − 1 cutpoints */
        size_t bytes;
        len = wlen + (s.ordinal ? s.C - 1 : 0);
        for (uint32_t c = 0; s.ordinal && c < s.C; c++)
            cls[c] = (float)s.cls[c];
        if (!rec__alloc_mul(len, (size_t)(n_iter - n_burn_in), &bytes) ||
            !rec__alloc_mul(bytes, sizeof(float), &bytes))
            rc = rec__error(REC_EINVAL, "%s: %u samples of %zu parameters are too many", fn,
                            n_iter - n_burn_in, len);
        else if (!(samples = rec__malloc(bytes)))
            rc = rec__error(REC_ENOMEM, "%s: out of memory for %u samples of %zu parameters",
                            fn, n_iter - n_burn_in, len);
    }
    float y_min = 0.0f, y_max = 0.0f;
    for (size_t r = 0; !rc && r < td.n; r++) {
        if (r == 0 || td.y[r] < y_min)
            y_min = td.y[r];
        if (r == 0 || td.y[r] > y_max)
            y_max = td.y[r];
    }
    uint32_t kept = 0;
    for (uint32_t it = 1; !rc && it <= n_iter; it++) {
        double stats[REC_STAT_COUNT] = {0};
        double t0 = rec__clock_now();
        double sse = sweep(&s, it <= n_burn_in);
        stats[REC_STAT_SECONDS] = rec__clock_now() - t0;
        if (!isfinite(sse)) {
            rc = rec__error(REC_ENUMERIC, "%s: the residuals became non-finite at sweep %u", fn,
                            it);
            break;
        }
        stats[REC_STAT_LOSS] = sse / (double)td.n;
        stats[REC_STAT_RMSE] = sqrt(stats[REC_STAT_LOSS]);
        stats[REC_STAT_VAL_RMSE] = stats[REC_STAT_VAL_MAE] = NAN;
        if (it > n_burn_in) {
            float *dst = samples + (size_t)kept * len;
            rec__mcmc_params_copy_out(&s.p, m, dst);
            for (uint32_t c = 1; s.ordinal && c < s.C; c++)
                dst[wlen + c - 1] = (float)s.gam[c];
            kept++;
            if (val) {
                /* the running posterior mean of the validation predictions */
                rec__mcmc_params_of_sample(&vp, m, dst, s.ordinal ? s.C : 0, cls);
                rec__mcmc_predict_params(&vpr, &vd, &vp, s.pool, y_min, y_max, vacc, NULL);
                double s2 = 0.0, s1 = 0.0;
                for (size_t r = 0; r < vd.n; r++) {
                    double e = vacc[r] / kept - vd.y[r];
                    s2 += e * e;
                    s1 += fabs(e);
                }
                stats[REC_STAT_VAL_RMSE] = sqrt(s2 / (double)vd.n);
                stats[REC_STAT_VAL_MAE] = s1 / (double)vd.n;
            }
        }
        if (!rc && on_iter && on_iter(it, stats, REC_STAT_COUNT, payload) != 0)
            break;
    }
    if (!rc && kept > 0 && s.ordinal) {
        x->classes = rec__malloc(s.C * sizeof *x->classes);
        if (!x->classes)
            rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
        else
            memcpy(x->classes, cls, s.C * sizeof *cls);
    }
    if (!rc && kept > 0) {
        float *fit = rec__realloc(samples, (size_t)kept * len * sizeof *samples);
        x->samples = fit ? fit : samples;
        samples = NULL;
        x->n_samples = kept;
        x->n_classes = s.ordinal ? s.C : 0;
        x->sample_len = len;
        x->y_min = y_min;
        x->y_max = y_max;
    }
    if (!rc)
        rec__model_label_widen(m, train, NULL, 0);
    rec__free(samples);
    rec__free(vp.lin);
    rec__free(vp.v);
    sampler_release(&s);
    rec__mcmc_predictor_release(&vpr, vd.nf);
    rec__free(vacc);
    rec__mcmc_data_release(&td);
    rec__mcmc_data_release(&vd);
    rec__featset_release(&tfs, m);
    rec__featset_release(&vfs, m);
    return rc;
}

uint32_t rec_model_n_samples(const rec_model *m)
{
    return m ? m->post.n_samples : 0;
}
