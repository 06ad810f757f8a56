/* The data of Gibbs sampling (mcmc.h): the groups of each feature over a set of rows, the
 * FM's parameters as plain arrays (of the model or of a stored sample), and the blocks of
 * features that are functions of one key. */
#include "mcmc/mcmc.h"

#include <string.h>

/* ---- data: groups of a set of rows ---------------------------------------------------------- */



static void feat_release(rec__mcmc_feat *f)
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

void rec__mcmc_data_release(rec__mcmc_data *d)
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
static rec_status dedupe(rec__mcmc_feat *mf, const rec_model *m, const rec__featset *fs, size_t i,
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
static rec_status build_feat(rec__mcmc_feat *mf, const rec_model *m, const rec__featset *fs,
                             size_t i, const char *fn)
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
            mf->gx[k++] = rec__f32_of_bits(w[0]);
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
static rec_status build_bias(rec__mcmc_feat *mf, size_t n, const char *fn)
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
static rec_status build_csc(rec__mcmc_feat *mf, const char *fn)
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

rec_status rec__mcmc_data_build(rec__mcmc_data *d, const rec_model *m, const rec__featset *fs,
                                int train, const char *fn)
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
            d->y[r] = rec__f32_of_bits(fs->rows[r * fs->stride + m->n_feats]);
    }
    if (rc)
        rec__mcmc_data_release(d);
    return rc;
}

/* ---- parameters ------------------------------------------------------------------------------ */


uint32_t rec__mcmc_k(const rec_model *m)
{
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].emb)
            return m->feats[i].dim;
    return 0;
}

/* Pointers into the model's tables. */
rec_status rec__mcmc_params_of_model(rec__mcmc_params *p, rec_model *m, const char *fn)
{
    p->nf = m->n_feats + 1;
    p->K = rec__mcmc_k(m);
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
size_t rec__mcmc_weights_len(const rec_model *m)
{
    size_t len = 1;
    uint32_t K = rec__mcmc_k(m);
    for (size_t i = 0; i < m->n_feats; i++)
        len += (size_t)feature_cols(m, i) * (1 + K);
    return len;
}

size_t rec__mcmc_sample_len(const rec_model *m)
{
    const uint32_t C = m->post.n_classes;
    return rec__mcmc_weights_len(m) + (C ? C - 1 : 0);
}

/* Pointers into a stored sample (the layout of rec__mcmc_weights_len, then the cutpoints of an
 * ordered probit with C classes of values cls; C = 0 for the Gaussian likelihood). */
void rec__mcmc_params_of_sample(rec__mcmc_params *p, const rec_model *m, float *s, uint32_t C,
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

void rec__mcmc_params_copy_out(const rec__mcmc_params *p, const rec_model *m, float *s)
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



void rec__mcmc_blocks_release(rec__mcmc_blocks *bs)
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
static int determines(const rec__mcmc_data *d, size_t k, size_t f, uint32_t *map)
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

rec_status rec__mcmc_blocks_build(rec__mcmc_blocks *bs, const rec__mcmc_data *d, const char *fn)
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
        rec__mcmc_block *b = &bs->b[bs->n++];
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
        rec__mcmc_blocks_release(bs);
    return rc;
}
