/* Bayesian factorization machine by Gibbs sampling (rec_model_fit_mcmc), as libFM's MCMC
 * engine (Rendle 2012, "Factorization Machines with libFM", §4) and myFM, and prediction from
 * the stored posterior samples.
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
#include "kernels/kernels.h"
#include "base/base.h"

#include <math.h>
#include <string.h>

/* ---- random variates --------------------------------------------------------------------- */

/* Uniform in (0, 1): 53 random bits, offset by half a step so 0 never comes out. */
static double unif01(rec__rng *r)
{
    return ((double)(rec__rng_u64(r) >> 11) + 0.5) * 0x1p-53;
}

/* Standard normals by Marsaglia and Tsang's ziggurat (2000) with 128 layers: one 64-bit draw
 * gives the layer (its low 7 bits) and a signed 32-bit abscissa (its high half, so the two are
 * independent); 98.8% of draws return at once, the others fall back to the exact tail and
 * wedge tests. The tables are computed once per sampler, so the draws are reproducible. */
typedef struct ziggurat {
    uint32_t kn[128];
    double wn[128], fn[128];
} ziggurat;

typedef struct normal_gen {
    rec__rng r;
    const ziggurat *z;
} normal_gen;

#define ZIG_R 3.442619855899

static void ziggurat_init(ziggurat *z)
{
    const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
    double dn = ZIG_R, tn = dn, q = vn / exp(-0.5 * dn * dn);
    z->kn[0] = (uint32_t)((dn / q) * m1);
    z->kn[1] = 0;
    z->wn[0] = q / m1;
    z->wn[127] = dn / m1;
    z->fn[0] = 1.0;
    z->fn[127] = exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; i--) {
        dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
        z->kn[i + 1] = (uint32_t)((dn / tn) * m1);
        tn = dn;
        z->fn[i] = exp(-0.5 * dn * dn);
        z->wn[i] = dn / m1;
    }
}

static double std_normal(normal_gen *g)
{
    const ziggurat *z = g->z;
    for (;;) {
        const uint64_t u = rec__rng_u64(&g->r);
        const int32_t hz = (int32_t)(uint32_t)(u >> 32);
        const uint32_t iz = (uint32_t)u & 127u;
        const uint32_t ahz = hz < 0 ? (uint32_t)0 - (uint32_t)hz : (uint32_t)hz;
        if (ahz < z->kn[iz])
            return hz * z->wn[iz];
        double x = hz * z->wn[iz];
        if (iz == 0) {
            /* the base layer's tail beyond ZIG_R (Marsaglia's method) */
            double y;
            do {
                x = -log(unif01(&g->r)) / ZIG_R;
                y = -log(unif01(&g->r));
            } while (y + y < x * x);
            return hz > 0 ? ZIG_R + x : -ZIG_R - x;
        }
        if (z->fn[iz] + unif01(&g->r) * (z->fn[iz - 1] - z->fn[iz]) < exp(-0.5 * x * x))
            return x;
    }
}

/* Gamma(shape, rate): Marsaglia–Tsang for shape ≥ 1, boosted by U^(1/shape) below 1. */
static double gamma_rate(normal_gen *r, double shape, double rate)
{
    double boost = 1.0;
    if (shape < 1.0) {
        boost = pow(unif01(&r->r), 1.0 / shape);
        shape += 1.0;
    }
    const double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = std_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = unif01(&r->r);
        if (u < 1.0 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return boost * d * v / rate;
    }
}

/* ---- the normal distribution ---------------------------------------------------------------- */

static double Phi(double x)
{
    return 0.5 * erfc(-x * 0.70710678118654752440);
}

/* Φ⁻¹(p) for 0 < p < 1: Wichura's AS 241 (PPND16), relative accuracy about 1e-16. */
static double Phi_inv(double p)
{
    double q = p - 0.5, r, x;
    if (fabs(q) <= 0.425) {
        r = 0.180625 - q * q;
        return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r +
                          67265.770927008700853) * r + 45921.953931549871457) * r +
                        13731.693765509461125) * r + 1971.5909503065514427) * r +
                      133.14166789178437745) * r + 3.387132872796366608) /
               (((((((5226.495278852545925 * r + 28729.085735721942674) * r +
                     39307.89580009271061) * r + 21213.794301586595867) * r +
                   5394.1960214247511077) * r + 687.1870074920579083) * r +
                 42.313330701600911252) * r + 1.0);
    }
    r = q < 0 ? p : 1.0 - p;
    r = sqrt(-log(r));
    if (r <= 5.0) {
        r -= 1.6;
        x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r +
                  0.24178072517745061177) * r + 1.27045825245236838258) * r +
                3.64784832476320460504) * r + 5.7694972214606914055) * r +
              4.6303378461565452959) * r + 1.42343711074968357734) /
            (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r +
                  0.0151986665636164571966) * r + 0.14810397642748007459) * r +
                0.68976733498510000455) * r + 1.6763848301838038494) * r +
              2.05319162663775882187) * r + 1.0);
    } else {
        r -= 5.0;
        x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                  0.0012426609473880784386) * r + 0.026532189526576123093) * r +
                0.29656057182850489123) * r + 1.7848265399172913358) * r +
              5.4637849111641143699) * r + 6.6579046435011037772) /
            (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
                  1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
                0.0148753612908506148525) * r + 0.13692988092273580531) * r +
              0.59983220655588793769) * r + 1.0);
    }
    return q < 0 ? -x : x;
}

/* P(lo < Z ≤ hi) for Z ~ N(0, 1), from the tail that keeps precision, floored at 1e-300. */
static double interval(double lo, double hi)
{
    double p;
    if (lo > 0.0)
        p = 0.5 * (erfc(lo * 0.70710678118654752440) - erfc(hi * 0.70710678118654752440));
    else
        p = 0.5 * (erfc(-hi * 0.70710678118654752440) - erfc(-lo * 0.70710678118654752440));
    return p > 1e-300 ? p : 1e-300;
}

/* A draw of N(0, 1) restricted to (lo, hi]: a few tries of plain normals first (most intervals
 * hold a good part of the mass, and a try costs a fraction of the inversion), then inversion
 * from the tail that keeps precision. Either way the draw has exactly the truncated law. */
static double trunc_normal(normal_gen *g, double lo, double hi)
{
    for (int k = 0; k < 4; k++) {
        double z = std_normal(g);
        if (z > lo && z <= hi)
            return z;
    }
    double x;
    if (lo > 0.0) {
        double qa = 0.5 * erfc(lo * 0.70710678118654752440);
        double qb = isinf(hi) ? 0.0 : 0.5 * erfc(hi * 0.70710678118654752440);
        double u = qb + (qa - qb) * unif01(&g->r);
        x = u > 0.0 ? -Phi_inv(u) : lo;
    } else {
        double pa = isinf(lo) ? 0.0 : Phi(lo), pb = isinf(hi) ? 1.0 : Phi(hi);
        double u = pa + (pb - pa) * unif01(&g->r);
        x = u > 0.0 && u < 1.0 ? Phi_inv(u) : (u <= 0.0 ? lo : hi);
    }
    if (x <= lo)
        x = isinf(hi) ? lo + 1e-12 : 0.5 * (lo + hi);
    if (x > hi)
        x = hi;
    return x;
}

/* ---- data: groups of a set of rows ---------------------------------------------------------- */

typedef struct mc_feat {
    uint32_t *grp;     /* n: group of each row */
    uint32_t n_groups;
    size_t *goff;      /* n_groups + 1: CSR of the groups' columns */
    uint32_t *gcol;
    float *gx;
    uint32_t n_cols;   /* the feature's columns: its table's rows (1 for NUMERIC and the bias) */
    /* training only: each column's groups (CSC) */
    size_t *coff;      /* n_cols + 1 */
    uint32_t *cgrp;
    float *cx;
} mc_feat;

typedef struct mc_data {
    size_t n;
    size_t nf;         /* model features + 1 (the global bias, last) */
    mc_feat *f;
    float *y;          /* labels, or NULL */
} mc_data;

static void feat_release(mc_feat *f)
{
    rec__free(f->grp);
    rec__free(f->goff);
    rec__free(f->gcol);
    rec__free(f->gx);
    rec__free(f->coff);
    rec__free(f->cgrp);
    rec__free(f->cx);
    memset(f, 0, sizeof *f);
}

static void data_release(mc_data *d)
{
    for (size_t i = 0; d->f && i < d->nf; i++)
        feat_release(&d->f[i]);
    rec__free(d->f);
    rec__free(d->y);
    memset(d, 0, sizeof *d);
}

/* The key words of feature i for row r: the row's bag of embedding rows, or its one word. */
static void row_words(const rec_model *m, const rec__featset *fs, size_t i, size_t r,
                      const uint32_t **w, size_t *len)
{
    const uint32_t *word = fs->rows + r * fs->stride + i;
    rec_feature_kind k = m->feats[i].kind;
    if (k == REC_FEATURE_TEXT || k == REC_FEATURE_CATEGORICAL_LIST) {
        const rec__fcol *fc = &fs->cols[i];
        size_t lo = fc->bag_offsets[*word], hi = fc->bag_offsets[*word + 1];
        *w = fc->bag_ids + lo;
        *len = hi - lo;
    } else {
        *w = word;
        *len = 1;
    }
}

static uint64_t hash_words(const uint32_t *w, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    for (size_t i = 0; i < len; i++) {
        h ^= w[i];
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
    }
    return h;
}

/* Groups of a NUMERIC, TEXT or CATEGORICAL_LIST feature: rows with the same words (the same
 * value, or the same bag — every rating of a user carries the same history) share one group. */
static rec_status dedupe(mc_feat *mf, const rec_model *m, const rec__featset *fs, size_t i,
                         uint32_t **rep_out, const char *fn)
{
    const size_t n = fs->n;
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *table = rec__calloc(cap, sizeof *table); /* 1 + group, 0 = empty */
    uint32_t *rep = rec__malloc((n ? n : 1) * sizeof *rep);
    if (!table || !rep) {
        rec__free(table);
        rec__free(rep);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    uint32_t g = 0;
    for (size_t r = 0; r < n; r++) {
        const uint32_t *w;
        size_t len;
        row_words(m, fs, i, r, &w, &len);
        size_t s = (size_t)hash_words(w, len) & (cap - 1);
        for (;; s = (s + 1) & (cap - 1)) {
            if (table[s] == 0) {
                rep[g] = (uint32_t)r;
                table[s] = ++g;
                mf->grp[r] = g - 1;
                break;
            }
            const uint32_t *w2;
            size_t len2;
            row_words(m, fs, i, rep[table[s] - 1], &w2, &len2);
            if (len2 == len && memcmp(w, w2, len * sizeof *w) == 0) {
                mf->grp[r] = table[s] - 1;
                break;
            }
        }
    }
    rec__free(table);
    mf->n_groups = g;
    *rep_out = rep;
    return REC_OK;
}

static uint32_t feature_cols(const rec_model *m, size_t i)
{
    return m->feats[i].emb ? rec_embedding_rows(m->feats[i].emb) : 1;
}

/* Groups of feature i over the rows of fs. */
static rec_status build_feat(mc_feat *mf, const rec_model *m, const rec__featset *fs, size_t i,
                             const char *fn)
{
    const size_t n = fs->n;
    const rec__feature *f = &m->feats[i];
    mf->n_cols = feature_cols(m, i);
    mf->grp = rec__malloc((n ? n : 1) * sizeof *mf->grp);
    if (!mf->grp)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_BUCKETIZED) {
        /* the group is the embedding row itself */
        mf->n_groups = mf->n_cols;
        mf->goff = rec__malloc((mf->n_groups + 1) * sizeof *mf->goff);
        mf->gcol = rec__malloc(mf->n_groups * sizeof *mf->gcol);
        mf->gx = rec__malloc(mf->n_groups * sizeof *mf->gx);
        if (!mf->goff || !mf->gcol || !mf->gx)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (uint32_t g = 0; g <= mf->n_groups; g++)
            mf->goff[g] = g;
        for (uint32_t g = 0; g < mf->n_groups; g++) {
            mf->gcol[g] = g;
            mf->gx[g] = 1.0f;
        }
        for (size_t r = 0; r < n; r++)
            mf->grp[r] = fs->rows[r * fs->stride + i];
        return REC_OK;
    }
    uint32_t *rep = NULL;
    rec_status rc = dedupe(mf, m, fs, i, &rep, fn);
    if (rc)
        return rc;
    size_t total = 0;
    for (uint32_t g = 0; g < mf->n_groups; g++) {
        const uint32_t *w;
        size_t len;
        row_words(m, fs, i, rep[g], &w, &len);
        total += f->kind == REC_FEATURE_NUMERIC ? 1 : len;
    }
    mf->goff = rec__malloc((mf->n_groups + 1) * sizeof *mf->goff);
    mf->gcol = rec__malloc((total ? total : 1) * sizeof *mf->gcol);
    mf->gx = rec__malloc((total ? total : 1) * sizeof *mf->gx);
    if (!mf->goff || !mf->gcol || !mf->gx) {
        rec__free(rep);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    size_t k = 0;
    mf->goff[0] = 0;
    for (uint32_t g = 0; g < mf->n_groups; g++) {
        const uint32_t *w;
        size_t len;
        row_words(m, fs, i, rep[g], &w, &len);
        if (f->kind == REC_FEATURE_NUMERIC) {
            mf->gcol[k] = 0;
            mf->gx[k++] = rec__word_float(w[0]);
        } else {
            /* the mean of c rows: x = 1/c each (an empty bag has no columns) */
            float x = len ? rec__bag_weight(f, len) : 0.0f;
            for (size_t j = 0; j < len; j++) {
                mf->gcol[k] = w[j];
                mf->gx[k++] = x;
            }
        }
        mf->goff[g + 1] = k;
    }
    rec__free(rep);
    return REC_OK;
}

/* The bias as a feature: one group of every row, one column with x = 1. */
static rec_status build_bias(mc_feat *mf, size_t n, const char *fn)
{
    mf->n_cols = 1;
    mf->n_groups = 1;
    mf->grp = rec__calloc(n ? n : 1, sizeof *mf->grp);
    mf->goff = rec__malloc(2 * sizeof *mf->goff);
    mf->gcol = rec__malloc(sizeof *mf->gcol);
    mf->gx = rec__malloc(sizeof *mf->gx);
    if (!mf->grp || !mf->goff || !mf->gcol || !mf->gx)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    mf->goff[0] = 0;
    mf->goff[1] = 1;
    mf->gcol[0] = 0;
    mf->gx[0] = 1.0f;
    return REC_OK;
}

/* Each column's (group, x) pairs, for the draws. */
static rec_status build_csc(mc_feat *mf, const char *fn)
{
    size_t nnz = mf->goff[mf->n_groups];
    mf->coff = rec__calloc((size_t)mf->n_cols + 1, sizeof *mf->coff);
    mf->cgrp = rec__malloc((nnz ? nnz : 1) * sizeof *mf->cgrp);
    mf->cx = rec__malloc((nnz ? nnz : 1) * sizeof *mf->cx);
    if (!mf->coff || !mf->cgrp || !mf->cx)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t p = 0; p < nnz; p++)
        mf->coff[mf->gcol[p] + 1]++;
    for (uint32_t j = 0; j < mf->n_cols; j++)
        mf->coff[j + 1] += mf->coff[j];
    size_t *next = rec__malloc(((size_t)mf->n_cols + 1) * sizeof *next);
    if (!next)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    memcpy(next, mf->coff, ((size_t)mf->n_cols + 1) * sizeof *next);
    for (uint32_t g = 0; g < mf->n_groups; g++)
        for (size_t p = mf->goff[g]; p < mf->goff[g + 1]; p++) {
            size_t q = next[mf->gcol[p]]++;
            mf->cgrp[q] = g;
            mf->cx[q] = mf->gx[p];
        }
    rec__free(next);
    return REC_OK;
}

static rec_status build_data(mc_data *d, const rec_model *m, const rec__featset *fs, int train,
                             const char *fn)
{
    memset(d, 0, sizeof *d);
    d->n = fs->n;
    d->nf = m->n_feats + 1;
    d->f = rec__calloc(d->nf, sizeof *d->f);
    if (!d->f)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    rec_status rc = REC_OK;
    for (size_t i = 0; i < m->n_feats && !rc; i++)
        rc = build_feat(&d->f[i], m, fs, i, fn);
    if (!rc)
        rc = build_bias(&d->f[m->n_feats], fs->n, fn);
    for (size_t i = 0; train && i < d->nf && !rc; i++)
        rc = build_csc(&d->f[i], fn);
    if (!rc && fs->has_labels) {
        d->y = rec__malloc((d->n ? d->n : 1) * sizeof *d->y);
        if (!d->y)
            rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t r = 0; !rc && r < d->n; r++)
            d->y[r] = rec__word_float(fs->rows[r * fs->stride + m->n_feats]);
    }
    if (rc)
        data_release(d);
    return rc;
}

/* ---- parameters ------------------------------------------------------------------------------ */

/* The FM's parameters as plain arrays: per feature (the bias last) its linear weights (n_cols)
 * and its factors (n_cols × K, row-major; none for the bias). */
typedef struct mc_params {
    size_t nf;
    uint32_t K;
    float **lin;
    float **v;
    /* ordered probit: C classes of values cls, cutpoints cut[0..C−2] = γ_1..γ_{C−1} */
    uint32_t C;
    const float *cls;
    const float *cut;
} mc_params;

static uint32_t fm_k(const rec_model *m)
{
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].emb)
            return m->feats[i].dim;
    return 0;
}

/* Pointers into the model's tables. */
static rec_status params_of_model(mc_params *p, rec_model *m, const char *fn)
{
    p->nf = m->n_feats + 1;
    p->K = fm_k(m);
    p->lin = rec__calloc(p->nf, sizeof *p->lin);
    p->v = rec__calloc(p->nf, sizeof *p->v);
    if (!p->lin || !p->v) {
        rec__free(p->lin);
        rec__free(p->v);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *fx = &m->feats[i];
        p->lin[i] = rec__embedding_param(fx->lin)->w;
        p->v[i] = rec__embedding_param(fx->emb ? fx->emb : fx->nvec)->w;
    }
    p->lin[m->n_feats] = rec__embedding_param(m->w0)->w;
    p->v[m->n_feats] = NULL;
    return REC_OK;
}

/* Floats of the weights in one stored sample: every linear weight, then every factor, feature
 * by feature (an ordered-probit sample then has its C − 1 cutpoints). */
static size_t weights_len(const rec_model *m)
{
    size_t len = 1;
    uint32_t K = fm_k(m);
    for (size_t i = 0; i < m->n_feats; i++)
        len += (size_t)feature_cols(m, i) * (1 + K);
    return len;
}

size_t rec__mcmc_sample_len(const rec_model *m)
{
    const uint32_t C = m->post.n_classes;
    return weights_len(m) + (C ? C - 1 : 0);
}

/* Pointers into a stored sample (the layout of weights_len, then the cutpoints of an ordered
 * probit with C classes of values cls; C = 0 for the Gaussian likelihood). */
static void params_of_sample(mc_params *p, const rec_model *m, float *s, uint32_t C,
                             const float *cls)
{
    p->C = C;
    p->cls = cls;
    for (size_t i = 0; i < m->n_feats; i++) {
        uint32_t c = feature_cols(m, i);
        p->lin[i] = s;
        s += c;
        p->v[i] = s;
        s += (size_t)c * p->K;
    }
    p->lin[m->n_feats] = s;
    p->v[m->n_feats] = NULL;
    p->cut = s + 1;
}

static void params_copy_out(const mc_params *p, const rec_model *m, float *s)
{
    for (size_t i = 0; i < m->n_feats; i++) {
        uint32_t c = feature_cols(m, i);
        memcpy(s, p->lin[i], c * sizeof *s);
        s += c;
        memcpy(s, p->v[i], (size_t)c * p->K * sizeof *s);
        s += (size_t)c * p->K;
    }
    s[0] = p->lin[m->n_feats][0];
}

/* ---- blocks: features that are functions of one key --------------------------------------- */

/* A block is a set of features whose groups are all functions of one feature's groups, the
 * block's key: every feature of a user (the id, the history, gender, age...) is a function of
 * the user id, every feature of a movie a function of the movie id. A block's sums over rows
 * collapse to sums over its keys (see the sampler below). Each feature is in exactly one
 * block; a feature that nothing larger determines is the key of its own block. */
typedef struct mc_block {
    size_t key;        /* feature index */
    uint32_t n_keys;   /* the key's groups */
    size_t *feats;     /* members, the key included */
    size_t n_feats;
    uint32_t **gmap;   /* per member: key group → member group */
    int factors;       /* a member has factors (all but the bias) */
} mc_block;

typedef struct mc_blocks {
    mc_block *b;
    size_t n;
    size_t *of;        /* per feature: its block */
} mc_blocks;

static void blocks_release(mc_blocks *bs)
{
    for (size_t i = 0; bs->b && i < bs->n; i++) {
        for (size_t j = 0; j < bs->b[i].n_feats; j++)
            rec__free(bs->b[i].gmap[j]);
        rec__free(bs->b[i].gmap);
        rec__free(bs->b[i].feats);
    }
    rec__free(bs->b);
    rec__free(bs->of);
    memset(bs, 0, sizeof *bs);
}

/* Whether feature f's group is a function of feature k's on d's rows; when it is and map is
 * not NULL, map[key group] = f's group (keys without rows map to 0). */
static int determines(const mc_data *d, size_t k, size_t f, uint32_t *map)
{
    const uint32_t *gk = d->f[k].grp, *gf = d->f[f].grp;
    for (uint32_t g = 0; g < d->f[k].n_groups; g++)
        map[g] = UINT32_MAX;
    for (size_t r = 0; r < d->n; r++) {
        if (map[gk[r]] == UINT32_MAX)
            map[gk[r]] = gf[r];
        else if (map[gk[r]] != gf[r])
            return 0;
    }
    for (uint32_t g = 0; g < d->f[k].n_groups; g++)
        if (map[g] == UINT32_MAX)
            map[g] = 0;
    return 1;
}

static rec_status build_blocks(mc_blocks *bs, const mc_data *d, const char *fn)
{
    memset(bs, 0, sizeof *bs);
    const size_t nf = d->nf;
    uint32_t max_groups = 1;
    for (size_t i = 0; i < nf; i++)
        if (d->f[i].n_groups > max_groups)
            max_groups = d->f[i].n_groups;
    size_t *key = rec__malloc(nf * sizeof *key), *present = rec__calloc(nf, sizeof *present);
    uint32_t *map = rec__malloc(max_groups * sizeof *map);
    uint8_t *seen = rec__malloc(max_groups);
    bs->of = rec__malloc(nf * sizeof *bs->of);
    bs->b = rec__calloc(nf, sizeof *bs->b);
    rec_status rc = REC_OK;
    if (!key || !present || !map || !seen || !bs->of || !bs->b) {
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
        goto done;
    }
    /* groups with rows, the measure of a key's resolution */
    for (size_t i = 0; i < nf; i++) {
        memset(seen, 0, d->f[i].n_groups);
        for (size_t r = 0; r < d->n; r++)
            if (!seen[d->f[i].grp[r]]) {
                seen[d->f[i].grp[r]] = 1;
                present[i]++;
            }
    }
    /* each feature's key: of the features that determine it, the one with the most groups
     * with rows (the lowest index on ties); such a key is its own key */
    for (size_t f = 0; f < nf; f++) {
        key[f] = f;
        for (size_t k = 0; k < nf; k++) {
            if (k == f || present[k] < present[key[f]] ||
                (present[k] == present[key[f]] && k > key[f]))
                continue;
            if (determines(d, k, f, map))
                key[f] = k;
        }
    }
    for (size_t f = 0; f < nf && !rc; f++) {
        if (key[f] != f)
            continue;
        mc_block *b = &bs->b[bs->n++];
        b->key = f;
        b->n_keys = d->f[f].n_groups;
        b->feats = rec__malloc(nf * sizeof *b->feats);
        b->gmap = rec__calloc(nf, sizeof *b->gmap);
        if (!b->feats || !b->gmap) {
            rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
            break;
        }
        for (size_t g = 0; g < nf && !rc; g++) {
            if (key[g] != f)
                continue;
            uint32_t *gm = rec__malloc((b->n_keys ? b->n_keys : 1) * sizeof *gm);
            if (!gm) {
                rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
                break;
            }
            determines(d, f, g, gm);
            bs->of[g] = bs->n - 1;
            b->gmap[b->n_feats] = gm;
            b->feats[b->n_feats++] = g;
            b->factors |= g + 1 < nf; /* the bias (last) has no factors */
        }
    }
done:
    rec__free(key);
    rec__free(present);
    rec__free(map);
    rec__free(seen);
    if (rc)
        blocks_release(bs);
    return rc;
}

/* ---- prediction from one set of parameters -------------------------------------------------- */

/* Σ_q x_q v[j_q][k0 + w] for w < W over one group's entries, into o[k0 + w]: W is a constant
 * where this is inlined (group_span), so the W sums stay in registers; with K unknown, o[k]
 * went through memory, a store-to-load chain per entry. Each sum still adds its terms in the
 * order of q, so the bits are those of one loop over k. */
static inline __attribute__((always_inline)) void
group_chunk(double *o, const float *v, uint32_t K, uint32_t k0, const float *gx,
            const uint32_t *gcol, size_t q0, size_t q1, const uint32_t W)
{
    double a[16];
    for (uint32_t w = 0; w < W; w++)
        a[w] = 0.0;
    for (size_t q = q0; q < q1; q++) {
        const double x = gx[q];
        const float *r = v + (size_t)gcol[q] * K + k0;
        for (uint32_t w = 0; w < W; w++)
            a[w] += x * r[w];
    }
    for (uint32_t w = 0; w < W; w++)
        o[k0 + w] = a[w];
}

/* Columns k0 .. k0 + w − 1 (1 ≤ w ≤ 16) of a group's factor sums, w as a constant. */
static void group_span(double *o, const float *v, uint32_t K, uint32_t k0, uint32_t w,
                       const float *gx, const uint32_t *gcol, size_t q0, size_t q1)
{
    switch (w) {
#define SPAN(W)                                                                                \
    case W: group_chunk(o, v, K, k0, gx, gcol, q0, q1, W); break;
        SPAN(1) SPAN(2) SPAN(3) SPAN(4) SPAN(5) SPAN(6) SPAN(7) SPAN(8)
        SPAN(9) SPAN(10) SPAN(11) SPAN(12) SPAN(13) SPAN(14) SPAN(15) SPAN(16)
#undef SPAN
    default: break;
    }
}

/* Group caches of one feature: per group, K factor sums then the linear sum (row-major, K + 1),
 * the factor sums up to 16 columns at a time (group_span). */
static void group_sums(const mc_feat *mf, const mc_params *p, size_t i, double *out,
                       const uint32_t *groups, uint32_t n_groups)
{
    const uint32_t K = p->K;
    const float *lin = p->lin[i], *v = p->v[i];
    for (uint32_t q0 = 0; q0 < n_groups; q0++) {
        const uint32_t g = groups[q0];
        double *o = out + (size_t)g * (K + 1);
        const size_t lo = mf->goff[g], hi = mf->goff[g + 1];
        for (uint32_t k = 0; k < K; k += 16) {
            const uint32_t w = K - k < 16 ? K - k : 16;
            if (v)
                group_span(o, v, K, k, w, mf->gx, mf->gcol, lo, hi);
            else
                memset(o + k, 0, w * sizeof *o);
        }
        double l = 0.0;
        for (size_t q = lo; q < hi; q++)
            l += (double)mf->gx[q] * lin[mf->gcol[q]];
        o[K] = l;
    }
}

/* Per block and key: U_k = Σ_{f∈B} e_fk (K values), Q = ½ Σ_k (U_k² − Σ_{f∈B} e_fk²) (the pairs
 * inside the block), L = Σ_{f∈B} b_f; row-major, K + 2 per key. Then over blocks,
 *     ŷ = Σ_B L_B + Σ_B Q_B + ½ Σ_k [(Σ_B U_Bk)² − Σ_B U_Bk²]. */
static void block_sums(const mc_block *b, double *const *gs, uint32_t K, double *out,
                       const uint32_t *keys, uint32_t n_keys)
{
    for (uint32_t q = 0; q < n_keys; q++) {
        const uint32_t u = keys[q];
        double *o = out + (size_t)u * (K + 2), sq = 0.0;
        for (uint32_t k = 0; k < K + 2; k++)
            o[k] = 0.0;
        for (size_t j = 0; j < b->n_feats; j++) {
            const size_t f = b->feats[j];
            const double *e = gs[f] + (size_t)b->gmap[j][u] * (K + 1);
            o[K + 1] += e[K];
            (void)f; /* the bias's factor sums are 0 */
            for (uint32_t k = 0; k < K; k++) {
                o[k] += e[k];
                sq += e[k] * e[k];
            }
        }
        double uu = 0.0;
        for (uint32_t k = 0; k < K; k++)
            uu += o[k] * o[k];
        o[K] = 0.5 * (uu - sq);
    }
}

typedef struct pred_job {
    const mc_data *d;
    const mc_blocks *bs;
    uint32_t K;
    double **bsum;      /* per block: K + 2 per key */
    float lo, hi;       /* clipping range (lo > hi: none) */
    double *acc;        /* n: predictions added here */
    float *out;         /* n: or written here */
    uint32_t T;
    const mc_params *par; /* for the ordered probit's classes and cutpoints */
    const rec__phi_table *phi;
} pred_job;

static size_t chunk_at(size_t n, uint32_t t, uint32_t T)
{
    return n * t / T;
}

static void predict_rows(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    pred_job *j = ctx;
    if (t >= j->T)
        return;
    const mc_data *d = j->d;
    const uint32_t K = j->K;
    double s[REC__FM_MAX_DIM];
    for (size_t r = chunk_at(d->n, t, j->T); r < chunk_at(d->n, t + 1, j->T); r++) {
        double rest = 0.0, sq = 0.0;
        for (uint32_t k = 0; k < K; k++)
            s[k] = 0.0;
        for (size_t b = 0; b < j->bs->n; b++) {
            const mc_block *bl = &j->bs->b[b];
            const double *e = j->bsum[b] + (size_t)d->f[bl->key].grp[r] * (K + 2);
            rest += e[K] + e[K + 1];
            for (uint32_t k = 0; k < K; k++) {
                s[k] += e[k];
                sq += e[k] * e[k];
            }
        }
        double pair = 0.0;
        for (uint32_t k = 0; k < K; k++)
            pair += s[k] * s[k];
        float y = (float)(rest + 0.5 * (pair - sq));
        const mc_params *par = j->par;
        if (par->C) {
            /* ordered probit: the expected label, v_1 + Σ_{c≥2} (v_c − v_{c−1}) Φ(ŷ − γ_{c−1}) */
            double ey = par->cls[0], yh = y;
            for (uint32_t c = 1; c < par->C; c++)
                ey += ((double)par->cls[c] - par->cls[c - 1]) *
                      rec__phi(j->phi, yh - par->cut[c - 1]);
            y = (float)ey;
        }
        if (j->lo <= j->hi)
            y = y < j->lo ? j->lo : y > j->hi ? j->hi : y;
        if (j->acc)
            j->acc[r] += y;
        else
            j->out[r] = y;
    }
}

/* Scratch of predictions over one mc_data. A categorical feature's groups are its whole
 * table's rows, but a prediction needs only the groups its rows use: per sample, the sums run
 * over those alone (one user against every movie: 1 user group of 943; one row: 1 group of
 * each feature, where summing every group cost 3 ms per prediction with 20 samples). */
typedef struct predictor {
    mc_blocks bs;
    double **gs;        /* per feature */
    double **bsum;      /* per block */
    uint32_t **used;    /* per feature: the groups d's rows use, ascending */
    uint32_t *n_used;
    uint32_t T;         /* threads per sample (predictor_init) */
    uint32_t **split;   /* T > 1, per feature: thread t sums used[split[t] .. split[t + 1]) */
    rec__phi_table phi; /* the ordered probit's Φ */
} predictor;

/* Work per thread below which a prediction stays on one thread, in rows plus group entries
 * (each about K multiply-adds per sample): a pool round costs a few microseconds, three per
 * sample. One prediction (a few hundred entries) stays on one thread; one user against every
 * movie (80,000 rater entries) and an evaluation take two. */
#define PREDICT_WORK_MIN 4096

static void predictor_release(predictor *p, size_t nf)
{
    for (size_t i = 0; p->split && i < nf; i++)
        rec__free(p->split[i]);
    rec__free(p->split);
    for (size_t i = 0; p->used && i < nf; i++)
        rec__free(p->used[i]);
    rec__free(p->used);
    rec__free(p->n_used);
    for (size_t i = 0; p->gs && i < nf; i++)
        rec__free(p->gs[i]);
    for (size_t b = 0; p->bsum && b < p->bs.n; b++)
        rec__free(p->bsum[b]);
    rec__free(p->gs);
    rec__free(p->bsum);
    blocks_release(&p->bs);
    memset(p, 0, sizeof *p);
}

/* Thread t's share of feature i's used groups: cut where the entries (plus one per group)
 * summed so far pass t/T of the feature's total, so the threads sum about as many entries. */
static rec_status predictor_split(predictor *p, const mc_data *d, const char *fn)
{
    p->split = rec__calloc(d->nf, sizeof *p->split);
    if (!p->split)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t i = 0; i < d->nf; i++) {
        const mc_feat *mf = &d->f[i];
        uint32_t *sp = p->split[i] = rec__malloc((p->T + 1) * sizeof *sp);
        if (!sp)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        size_t total = 0, run = 0;
        for (uint32_t q = 0; q < p->n_used[i]; q++)
            total += mf->goff[p->used[i][q] + 1] - mf->goff[p->used[i][q]] + 1;
        uint32_t t = 1;
        sp[0] = 0;
        for (uint32_t q = 0; q < p->n_used[i] && t < p->T; q++) {
            run += mf->goff[p->used[i][q] + 1] - mf->goff[p->used[i][q]] + 1;
            while (t < p->T && run * p->T >= total * t)
                sp[t++] = q + 1;
        }
        while (t <= p->T)
            sp[t++] = p->n_used[i];
    }
    return REC_OK;
}

/* The scratch of predictions over d on at most max_threads threads (p->T says how many). */
static rec_status predictor_init(predictor *p, const mc_data *d, uint32_t K,
                                 uint32_t max_threads, const char *fn)
{
    memset(p, 0, sizeof *p);
    rec__phi_table_init(&p->phi);
    rec_status rc = build_blocks(&p->bs, d, fn);
    if (rc)
        return rc;
    p->gs = rec__calloc(d->nf, sizeof *p->gs);
    p->bsum = rec__calloc(p->bs.n, sizeof *p->bsum);
    if (!p->gs || !p->bsum)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t i = 0; i < d->nf; i++)
        if (!(p->gs[i] = rec__malloc(((size_t)d->f[i].n_groups + 1) * (K + 1) * sizeof(double))))
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t b = 0; b < p->bs.n; b++)
        if (!(p->bsum[b] = rec__malloc(((size_t)p->bs.b[b].n_keys + 1) * (K + 2) *
                                       sizeof(double))))
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    p->used = rec__calloc(d->nf, sizeof *p->used);
    p->n_used = rec__calloc(d->nf, sizeof *p->n_used);
    if (!p->used || !p->n_used)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t i = 0; i < d->nf; i++) {
        const mc_feat *mf = &d->f[i];
        uint8_t *seen = rec__calloc(mf->n_groups ? mf->n_groups : 1, 1);
        if (!seen)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        uint32_t n = 0;
        for (size_t r = 0; r < d->n; r++)
            if (!seen[mf->grp[r]]) {
                seen[mf->grp[r]] = 1;
                n++;
            }
        p->used[i] = rec__malloc((n ? n : 1) * sizeof **p->used);
        if (!p->used[i]) {
            rec__free(seen);
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        }
        for (uint32_t g = 0, k = 0; g < mf->n_groups; g++)
            if (seen[g])
                p->used[i][k++] = g;
        p->n_used[i] = n;
        rec__free(seen);
    }
    size_t work = d->n;
    for (size_t i = 0; i < d->nf; i++)
        for (uint32_t q = 0; q < p->n_used[i]; q++)
            work += d->f[i].goff[p->used[i][q] + 1] - d->f[i].goff[p->used[i][q]];
    size_t most = work / PREDICT_WORK_MIN;
    p->T = most < 1 ? 1 : most < max_threads ? (uint32_t)most : max_threads;
    return p->T > 1 ? predictor_split(p, d, fn) : REC_OK;
}

typedef struct sums_job {
    predictor *p;
    const mc_data *d;
    const mc_params *par;
} sums_job;

/* Round 1 of a sample on T threads: thread t's share of every feature's group sums. */
static void group_round(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    sums_job *j = ctx;
    predictor *p = j->p;
    if (t >= p->T)
        return;
    for (size_t i = 0; i < j->d->nf; i++) {
        const uint32_t lo = p->split[i][t], hi = p->split[i][t + 1];
        group_sums(&j->d->f[i], j->par, i, p->gs[i], p->used[i] + lo, hi - lo);
    }
}

/* Round 2: thread t's share of every block's keys (each key's sums read only group sums). */
static void block_round(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    sums_job *j = ctx;
    predictor *p = j->p;
    if (t >= p->T)
        return;
    for (size_t b = 0; b < p->bs.n; b++) {
        const size_t k = p->bs.b[b].key;
        const size_t lo = chunk_at(p->n_used[k], t, p->T);
        const size_t hi = chunk_at(p->n_used[k], t + 1, p->T);
        block_sums(&p->bs.b[b], p->gs, j->par->K, p->bsum[b], p->used[k] + lo,
                   (uint32_t)(hi - lo));
    }
}

/* Predictions of d's rows from parameters par, added to acc (clipped to [lo, hi]) or written to
 * out, on p->T threads of pool. Every group, key and row is summed by one thread in the order
 * one thread uses, so the bits do not depend on T. */
static void predict_params(predictor *p, const mc_data *d, const mc_params *par,
                           rec__pool *pool, float lo, float hi, double *acc, float *out)
{
    /* a block's keys with rows are its key feature's used groups; the members' groups of
     * those keys are the members' used groups (a member is a function of the key on d) */
    if (p->T > 1) {
        sums_job sj = {p, d, par};
        rec__pool_run(pool, group_round, &sj);
        rec__pool_run(pool, block_round, &sj);
    } else {
        for (size_t i = 0; i < d->nf; i++)
            group_sums(&d->f[i], par, i, p->gs[i], p->used[i], p->n_used[i]);
        for (size_t b = 0; b < p->bs.n; b++) {
            const size_t k = p->bs.b[b].key;
            block_sums(&p->bs.b[b], p->gs, par->K, p->bsum[b], p->used[k], p->n_used[k]);
        }
    }
    pred_job j = {d, &p->bs, par->K, p->bsum, lo, hi, acc, out, p->T, par, &p->phi};
    rec__pool_run(p->T > 1 ? pool : NULL, predict_rows, &j);
}

static uint32_t threads_for_rows(const rec_model *m, size_t n)
{
    uint32_t T = m->n_threads ? m->n_threads : 1;
    size_t most = n / 4096; /* below ~4k rows per thread a round costs more than it saves */
    if (most < 1)
        most = 1;
    return most < T ? (uint32_t)most : T;
}

/* ---- posterior-mean prediction (rec_model_predict / _evaluate after rec_model_fit_mcmc) ------ */

rec_status rec__mcmc_forward(const rec_model *m, const rec__featset *fs, float *pred,
                             double *sse, double *sae, const char *fn)
{
    const rec__posterior *x = &m->post;
    mc_data d;
    mc_params p = {0};
    predictor pr = {0};
    double *acc = NULL;
    rec__pool *pool = NULL;
    rec_status rc = build_data(&d, m, fs, 0, fn);
    if (rc)
        return rc;
    p.nf = d.nf;
    p.K = fm_k(m);
    p.lin = rec__calloc(p.nf, sizeof *p.lin);
    p.v = rec__calloc(p.nf, sizeof *p.v);
    acc = rec__calloc(d.n ? d.n : 1, sizeof *acc);
    if (!p.lin || !p.v || !acc)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (!rc)
        rc = predictor_init(&pr, &d, p.K, m->n_threads ? m->n_threads : 1, fn);
    if (!rc && pr.T > 1)
        rc = rec__pool_start(&pool, pr.T, fn);
    for (uint32_t s = 0; !rc && s < x->n_samples; s++) {
        params_of_sample(&p, m, x->samples + (size_t)s * x->sample_len, x->n_classes,
                         x->classes);
        predict_params(&pr, &d, &p, pool, x->y_min, x->y_max, acc, NULL);
    }
    if (!rc) {
        double s2 = 0.0, s1 = 0.0;
        for (size_t r = 0; r < d.n; r++) {
            float yh = (float)(acc[r] / x->n_samples);
            if (pred)
                pred[r] = yh;
            if (d.y) {
                double e = (double)yh - d.y[r];
                s2 += e * e;
                s1 += fabs(e);
            }
        }
        if (sse)
            *sse = s2;
        if (sae)
            *sae = s1;
    }
    rec__pool_stop(pool);
    predictor_release(&pr, d.nf);
    rec__free(acc);
    rec__free(p.lin);
    rec__free(p.v);
    data_release(&d);
    return rc;
}


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
    const mc_data *d;
    mc_blocks bs;
    bstate *st;         /* per block */
    mc_params p;
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
    ziggurat zig;
    normal_gen rng;
    double *t;          /* n: the regression target: the labels, or the latent values z */
    /* ordered probit: C classes (values cls, sorted), the class of each row, the cutpoints
     * gam[0] = −∞ < gam[1] = 0 < gam[2] < ... < gam[C] = +∞ (class c is (gam[c], gam[c+1]]),
     * the Metropolis step's scale and acceptance count, per-thread generators for z */
    int ordinal;
    uint32_t C;
    double cls[REC__MAX_CLASSES], gam[REC__MAX_CLASSES + 1], prop[REC__MAX_CLASSES + 1];
    uint8_t *yc;
    uint32_t tries, accepted;
    normal_gen *trng;   /* T */
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
    const size_t n = s->d->n, lo = chunk_at(n, t, s->T), hi = chunk_at(n, t + 1, s->T);
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
    const mc_block *bl = &s->bs.b[b];
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
    const mc_feat *mf = &s->d->f[f];
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
        const float nt = (float)(mean + std_normal(&s->rng) / sqrt(prec));
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
    const mc_block *bl = &s->bs.b[b];
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
                     std_normal(&s->rng) / sqrt((J + g0) * pr->lambda);
            double ss = 0.0;
            for (uint32_t c = 0; c < J; c++) {
                double dv = w[(size_t)c * stride + off] - pr->mu;
                ss += dv * dv;
            }
            ss += g0 * (pr->mu - mu0) * (pr->mu - mu0);
            pr->lambda = gamma_rate(&s->rng, (al + J + 1) / 2.0, (bl + ss) / 2.0);
        }
    }
    /* the ordered probit's latent noise has variance 1: α is not a parameter there */
    if (!s->ordinal)
        s->alpha = gamma_rate(&s->rng, (a0 + (double)s->d->n) / 2.0, (b0 + sse) / 2.0);
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
    blocks_release(&s->bs);
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
    const mc_data *d = s->d;
    const uint32_t K = s->K;
    for (size_t i = 0; i < d->nf; i++) {
        const mc_feat *mf = &d->f[i];
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
    const mc_data *d = s->d;
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
    const double n = (double)d->n, q1 = Phi_inv(count[0] / n);
    double cum = 0.0;
    s->gam[0] = -INFINITY;
    s->gam[s->C] = INFINITY;
    for (uint32_t c = 1; c < s->C; c++) {
        cum += count[c - 1];
        s->gam[c] = c == 1 ? 0.0 : Phi_inv(cum / n) - q1;
        s->prop[c] = 0.01;
    }
    const double shift = -q1 - mean;
    s->p.lin[d->nf - 1][0] += (float)shift;
    for (size_t r = 0; r < d->n; r++) {
        const double yh = d->y[r] - s->e[r] + shift;
        const uint32_t c = s->yc[r];
        s->t[r] = yh + trunc_normal(&s->rng, s->gam[c] - yh, s->gam[c + 1] - yh);
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
    for (size_t r = chunk_at(n, t, s->T); r < chunk_at(n, t + 1, s->T); r++) {
        const uint32_t c = s->yc[r];
        const double yh = s->t[r] - s->e[r];
        if (j->nw) {
            /* P(class c | ŷ) = Φ(γ_{c+1} − ŷ) − Φ(γ_c − ŷ); class 0's bounds never move. The
             * log of the likelihood ratio is taken over products of 16 rows' ratios (each
             * within [1e-300, 1e300] of 1 only in hostile cases: ratios are near 1). */
            if (c == 0)
                continue;
            ratio *= interval(j->nw[c] - yh, j->nw[c + 1] - yh) /
                     interval(g[c] - yh, g[c + 1] - yh);
            if (++in_ratio == 16 || !(ratio > 1e-200 && ratio < 1e200)) {
                dl += log(ratio);
                ratio = 1.0;
                in_ratio = 0;
            }
        } else {
            const double z = yh + trunc_normal(&s->trng[t], g[c] - yh, g[c + 1] - yh);
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
        nw[c] = c >= 2 && c < s->C ? s->gam[c] + s->prop[c] * std_normal(&s->rng) : s->gam[c];
    for (uint32_t c = 1; c < s->C && ok; c++)
        ok = nw[c] < nw[c + 1];
    if (ok) {
        ordinal_job j = {s, nw, dl};
        rec__pool_run(s->T > 1 ? s->pool : NULL, ordinal_rows, &j);
        double sum = 0.0;
        for (uint32_t t = 0; t < s->T; t++)
            sum += dl[t];
        s->tries++;
        if (log(unif01(&s->rng.r)) < sum) {
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

static rec_status sampler_init(sampler *s, rec_model *m, const mc_data *d, const char *fn)
{
    memset(s, 0, sizeof *s);
    s->d = d;
    rec_status rc = params_of_model(&s->p, m, fn);
    if (!rc)
        rc = build_blocks(&s->bs, d, fn);
    if (rc)
        return rc;
    s->K = s->p.K;
    s->T = threads_for_rows(m, d->n);
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
    ziggurat_init(&s->zig);
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
    const size_t wlen = weights_len(m);
    rec__featset tfs, vfs = {0};
    mc_data td = {0}, vd = {0};
    sampler s;
    memset(&s, 0, sizeof s);
    predictor vpr = {0};
    double *vacc = NULL;
    float *samples = NULL, cls[REC__MAX_CLASSES];
    size_t len = wlen;
    rc = rec__featset_build(&tfs, m, train, NULL, 0, 1, fn);
    if (rc)
        return rc;
    if (val)
        rc = rec__featset_build(&vfs, m, val, NULL, 0, 1, fn);
    if (!rc)
        rc = build_data(&td, m, &tfs, 1, fn);
    if (!rc && val)
        rc = build_data(&vd, m, &vfs, 0, fn);
    mc_params vp = {m->n_feats + 1, fm_k(m), NULL, NULL, 0, NULL, NULL};
    if (!rc && val) {
        /* validation predictions run on the sampler's pool, so on at most its threads:
         * threads_for_rows(m, td.n), as sampler_init sets s.T */
        rc = predictor_init(&vpr, &vd, fm_k(m), threads_for_rows(m, td.n), fn);
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
            params_copy_out(&s.p, m, dst);
            for (uint32_t c = 1; s.ordinal && c < s.C; c++)
                dst[wlen + c - 1] = (float)s.gam[c];
            kept++;
            if (val) {
                /* the running posterior mean of the validation predictions */
                params_of_sample(&vp, m, dst, s.ordinal ? s.C : 0, cls);
                predict_params(&vpr, &vd, &vp, s.pool, y_min, y_max, vacc, NULL);
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
    rec__free(samples);
    rec__free(vp.lin);
    rec__free(vp.v);
    sampler_release(&s);
    predictor_release(&vpr, vd.nf);
    rec__free(vacc);
    data_release(&td);
    data_release(&vd);
    rec__featset_release(&tfs, m);
    rec__featset_release(&vfs, m);
    return rc;
}

uint32_t rec_model_n_samples(const rec_model *m)
{
    return m ? m->post.n_samples : 0;
}
