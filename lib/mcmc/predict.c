/* Predictions of the FM from one set of parameters (a posterior sample, or the sampler's
 * current state for validation), summed per group and per block, split between threads, and
 * the posterior mean of the stored samples (rec_model_predict and _evaluate after
 * rec_model_fit_mcmc). */
#include "mcmc/mcmc.h"

#include <math.h>
#include <string.h>

/* ---- prediction from one set of parameters -------------------------------------------------- */

/* Σ_q x_q v[j_q][k0 + w] for w < W over one group's entries, into o[k0 + w]: W is a constant
 * where this is inlined (group_span), so the W sums stay in registers; with K unknown, o[k]
 * would go through memory, a store-to-load chain per entry. Each sum still adds its terms in the
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
static void group_sums(const rec__mcmc_feat *mf, const rec__mcmc_params *p, size_t i, double *out,
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
static void block_sums(const rec__mcmc_block *b, double *const *gs, uint32_t K, double *out,
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
    const rec__mcmc_data *d;
    const rec__mcmc_blocks *bs;
    uint32_t K;
    double **bsum;      /* per block: K + 2 per key */
    float lo, hi;       /* clipping range (lo > hi: none) */
    double *acc;        /* n: predictions added here */
    float *out;         /* n: or written here */
    uint32_t T;
    const rec__mcmc_params *par; /* for the ordered probit's classes and cutpoints */
    const rec__phi_table *phi;
} pred_job;


static void predict_rows(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    pred_job *j = ctx;
    if (t >= j->T)
        return;
    const rec__mcmc_data *d = j->d;
    const uint32_t K = j->K;
    double s[REC__FM_MAX_DIM];
    for (size_t r = rec__pool_slice(d->n, t, j->T); r < rec__pool_slice(d->n, t + 1, j->T); r++) {
        double rest = 0.0, sq = 0.0;
        for (uint32_t k = 0; k < K; k++)
            s[k] = 0.0;
        for (size_t b = 0; b < j->bs->n; b++) {
            const rec__mcmc_block *bl = &j->bs->b[b];
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
        const rec__mcmc_params *par = j->par;
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


/* Work per thread below which a prediction stays on one thread, in rows plus group entries
 * (each about K multiply-adds per sample): a pool round costs a few microseconds, three per
 * sample. One prediction (a few hundred entries) stays on one thread; one user against every
 * movie (80,000 rater entries) and an evaluation take two. */
#define PREDICT_WORK_MIN 4096

void rec__mcmc_predictor_release(rec__mcmc_predictor *p, size_t nf)
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
    rec__mcmc_blocks_release(&p->bs);
    memset(p, 0, sizeof *p);
}

/* Thread t's share of feature i's used groups: cut where the entries (plus one per group)
 * summed so far pass t/T of the feature's total, so the threads sum about as many entries. */
static rec_status predictor_split(rec__mcmc_predictor *p, const rec__mcmc_data *d, const char *fn)
{
    p->split = rec__calloc(d->nf, sizeof *p->split);
    if (!p->split)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t i = 0; i < d->nf; i++) {
        const rec__mcmc_feat *mf = &d->f[i];
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
rec_status rec__mcmc_predictor_init(rec__mcmc_predictor *p, const rec__mcmc_data *d, uint32_t K,
                                 uint32_t max_threads, const char *fn)
{
    memset(p, 0, sizeof *p);
    rec__phi_table_init(&p->phi);
    rec_status rc = rec__mcmc_blocks_build(&p->bs, d, fn);
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
        const rec__mcmc_feat *mf = &d->f[i];
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
    rec__mcmc_predictor *p;
    const rec__mcmc_data *d;
    const rec__mcmc_params *par;
} sums_job;

/* Round 1 of a sample on T threads: thread t's share of every feature's group sums. */
static void group_round(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    sums_job *j = ctx;
    rec__mcmc_predictor *p = j->p;
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
    rec__mcmc_predictor *p = j->p;
    if (t >= p->T)
        return;
    for (size_t b = 0; b < p->bs.n; b++) {
        const size_t k = p->bs.b[b].key;
        const size_t lo = rec__pool_slice(p->n_used[k], t, p->T);
        const size_t hi = rec__pool_slice(p->n_used[k], t + 1, p->T);
        block_sums(&p->bs.b[b], p->gs, j->par->K, p->bsum[b], p->used[k] + lo,
                   (uint32_t)(hi - lo));
    }
}

/* Predictions of d's rows from parameters par, added to acc (clipped to [lo, hi]) or written to
 * out, on p->T threads of pool. Every group, key and row is summed by one thread in the order
 * one thread uses, so the bits do not depend on T. */
void rec__mcmc_predict_params(rec__mcmc_predictor *p, const rec__mcmc_data *d,
                              const rec__mcmc_params *par, rec__pool *pool, float lo, float hi,
                              double *acc, float *out)
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

uint32_t rec__mcmc_threads(const rec_model *m, size_t n)
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
    rec__mcmc_data d;
    rec__mcmc_params p = {0};
    rec__mcmc_predictor pr = {0};
    double *acc = NULL;
    rec__pool *pool = NULL;
    rec_status rc = rec__mcmc_data_build(&d, m, fs, 0, fn);
    if (rc)
        return rc;
    p.nf = d.nf;
    p.K = rec__mcmc_k(m);
    p.lin = rec__calloc(p.nf, sizeof *p.lin);
    p.v = rec__calloc(p.nf, sizeof *p.v);
    acc = rec__calloc(d.n ? d.n : 1, sizeof *acc);
    if (!p.lin || !p.v || !acc)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (!rc)
        rc = rec__mcmc_predictor_init(&pr, &d, p.K, m->n_threads ? m->n_threads : 1, fn);
    if (!rc && pr.T > 1)
        rc = rec__pool_start(&pool, pr.T, fn);
    for (uint32_t s = 0; !rc && s < x->n_samples; s++) {
        rec__mcmc_params_of_sample(&p, m, x->samples + (size_t)s * x->sample_len, x->n_classes,
                         x->classes);
        rec__mcmc_predict_params(&pr, &d, &p, pool, x->y_min, x->y_max, acc, NULL);
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
    rec__mcmc_predictor_release(&pr, d.nf);
    rec__free(acc);
    rec__free(p.lin);
    rec__free(p.v);
    rec__mcmc_data_release(&d);
    return rc;
}
