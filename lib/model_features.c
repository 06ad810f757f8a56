/* From raw columns to contiguous feature arrays, and the embedding side of forward and
 * backward. Preprocessing runs here once per dataset (or per requested rows); the hot loops
 * below only read integer ids and floats. */
#include "model_internal.h"

#include <math.h>
#include <string.h>

static const char *type_name(int t)
{
    static const char *tn[] = {"string", "number", "string list"};
    return (t >= 0 && t <= 2) ? tn[t] : "unknown";
}

static rec_status find_column(const rec__column **col, const rec_dataset *ds, const char *name,
                              int type, const char *fn)
{
    *col = rec__dataset_find(ds, name);
    if (!*col)
        return rec__error(REC_ENOTFOUND, "%s: the dataset has no column '%s'", fn, name);
    if ((*col)->type != type)
        return rec__error(REC_EINVAL, "%s: column '%s' is a %s column, expected %s", fn, name,
                          type_name((*col)->type), type_name(type));
    return REC_OK;
}

/* Growable uint32 array for bag contents. */
typedef struct u32vec {
    uint32_t *v;
    size_t n, cap;
} u32vec;

static int u32vec_reserve(u32vec *a, size_t extra)
{
    if (a->n + extra <= a->cap)
        return 1;
    size_t cap = a->cap ? a->cap : 256;
    while (cap < a->n + extra)
        cap *= 2;
    uint32_t *nv = rec__realloc(a->v, cap * sizeof *nv);
    if (!nv)
        return 0;
    a->v = nv;
    a->cap = cap;
    return 1;
}

/* Token ids of one text appended to bags. A text of L bytes holds at most (L + 1) / 2 tokens
 * (each token is ≥ 1 byte and tokens are separated), so L + 1 ids always suffice. */
static rec_status encode_text(u32vec *bags, const rec_textvec *tv, const char *s, const char *fn)
{
    size_t cap = strlen(s) + 1, n = 0;
    if (!u32vec_reserve(bags, cap))
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    rec_status rc = rec_textvec_encode(bags->v + bags->n, cap, &n, tv, s);
    if (rc)
        return rc;
    bags->n += n;
    return REC_OK;
}

static rec_status build_col(rec__fcol *fc, const rec__feature *f, const rec_dataset *ds,
                            const uint32_t *rows, size_t n, const char *fn)
{
    const rec__column *col;
    rec_status rc;
    u32vec bags = {0};

    switch (f->kind) {
    case REC_FEATURE_CATEGORICAL: {
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_STRING, fn)))
            return rc;
        fc->ids = rec__malloc((n ? n : 1) * sizeof *fc->ids);
        if (!fc->ids)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        /* Look each distinct string up once when that is cheaper than once per row. */
        if (n >= col->dict.n) {
            uint32_t *map = rec__malloc((col->dict.n ? col->dict.n : 1) * sizeof *map);
            if (!map)
                return rec__error(REC_ENOMEM, "%s: out of memory", fn);
            for (size_t k = 0; k < col->dict.n; k++)
                map[k] = rec_vocab_index(f->vocab, col->dict.strings[k]);
            for (size_t i = 0; i < n; i++)
                fc->ids[i] = map[col->codes[rows ? rows[i] : i]];
            rec__free(map);
        } else {
            for (size_t i = 0; i < n; i++)
                fc->ids[i] = rec_vocab_index(f->vocab,
                                             col->dict.strings[col->codes[rows ? rows[i] : i]]);
        }
        return REC_OK;
    }
    case REC_FEATURE_BUCKETIZED:
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_NUMBER, fn)))
            return rc;
        fc->ids = rec__malloc((n ? n : 1) * sizeof *fc->ids);
        if (!fc->ids)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t i = 0; i < n; i++)
            fc->ids[i] = rec_discretization_bucket(f->disc, col->numbers[rows ? rows[i] : i]);
        return REC_OK;
    case REC_FEATURE_NUMERIC:
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_NUMBER, fn)))
            return rc;
        fc->values = rec__malloc((n ? n : 1) * sizeof *fc->values);
        if (!fc->values)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t i = 0; i < n; i++) {
            double x = col->numbers[rows ? rows[i] : i];
            /* a missing value takes the mean, which normalizes to 0 */
            fc->values[i] = isnan(x) ? 0.0f : rec_normalization_value(f->norm, x);
        }
        return REC_OK;
    case REC_FEATURE_TEXT: {
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_STRING, fn)))
            return rc;
        /* Tokenize each distinct string once (bags = dictionary entries), unless fewer rows
         * than distinct strings are asked for (bags = rows). */
        int by_dict = n >= col->dict.n;
        fc->n_bags = by_dict ? col->dict.n : n;
        fc->ids = rec__malloc((n ? n : 1) * sizeof *fc->ids);
        fc->bag_offsets = rec__malloc((fc->n_bags + 1) * sizeof *fc->bag_offsets);
        if (!fc->ids || !fc->bag_offsets)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        fc->bag_offsets[0] = 0;
        for (size_t b = 0; b < fc->n_bags; b++) {
            uint32_t code = by_dict ? (uint32_t)b : col->codes[rows ? rows[b] : b];
            if ((rc = encode_text(&bags, f->text, col->dict.strings[code], fn))) {
                rec__free(bags.v);
                return rc;
            }
            fc->bag_offsets[b + 1] = bags.n;
        }
        for (size_t i = 0; i < n; i++)
            fc->ids[i] = by_dict ? col->codes[rows ? rows[i] : i] : (uint32_t)i;
        fc->bag_ids = bags.v ? bags.v : rec__malloc(sizeof(uint32_t));
        if (!fc->bag_ids)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        return REC_OK;
    }
    case REC_FEATURE_CATEGORICAL_LIST: {
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_STRING_LIST, fn)))
            return rc;
        fc->n_bags = n;
        fc->ids = rec__malloc((n ? n : 1) * sizeof *fc->ids);
        fc->bag_offsets = rec__malloc((n + 1) * sizeof *fc->bag_offsets);
        if (!fc->ids || !fc->bag_offsets)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        fc->bag_offsets[0] = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = rows ? rows[i] : i;
            size_t lo = col->offsets[r], hi = col->offsets[r + 1];
            if (!u32vec_reserve(&bags, hi - lo)) {
                rec__free(bags.v);
                return rec__error(REC_ENOMEM, "%s: out of memory", fn);
            }
            for (size_t j = lo; j < hi; j++)
                bags.v[bags.n++] = rec_vocab_index(f->vocab, col->dict.strings[col->codes[j]]);
            fc->bag_offsets[i + 1] = bags.n;
            fc->ids[i] = (uint32_t)i;
        }
        fc->bag_ids = bags.v ? bags.v : rec__malloc(sizeof(uint32_t));
        if (!fc->bag_ids)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        return REC_OK;
    }
    }
    return rec__error(REC_EINVAL, "%s: unknown feature kind", fn);
}

static void release_col(rec__fcol *fc)
{
    rec__free(fc->ids);
    rec__free(fc->values);
    rec__free(fc->bag_offsets);
    rec__free(fc->bag_ids);
    memset(fc, 0, sizeof *fc);
}

void rec__featset_release(rec__featset *fs, const rec_model *m)
{
    if (fs->cols)
        for (size_t i = 0; i < m->n_feats; i++)
            release_col(&fs->cols[i]);
    rec__free(fs->cols);
    rec__free(fs->labels);
    memset(fs, 0, sizeof *fs);
}

rec_status rec__featset_build(rec__featset *fs, const rec_model *m, const rec_dataset *ds,
                              const uint32_t *rows, size_t n, int with_labels, const char *fn)
{
    memset(fs, 0, sizeof *fs);
    if (!rows)
        n = ds->n_rows;
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i] >= ds->n_rows)
            return rec__error(REC_EINVAL, "%s: rows[%zu] = %u is beyond the dataset's %zu rows",
                              fn, i, rows[i], ds->n_rows);
    fs->n = n;
    fs->cols = rec__calloc(m->n_feats, sizeof *fs->cols);
    if (!fs->cols)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    rec_status rc = REC_OK;
    for (size_t i = 0; i < m->n_feats && !rc; i++)
        rc = build_col(&fs->cols[i], &m->feats[i], ds, rows, n, fn);
    if (!rc && with_labels) {
        const rec__column *col;
        rc = find_column(&col, ds, m->label, REC_COLUMN_NUMBER, fn);
        if (!rc) {
            fs->labels = rec__malloc((n ? n : 1) * sizeof *fs->labels);
            if (!fs->labels)
                rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
        }
        for (size_t i = 0; !rc && i < n; i++) {
            double y = col->numbers[rows ? rows[i] : i];
            if (!isfinite(y))
                rc = rec__error(REC_ENUMERIC, "%s: label '%s' is missing or not finite at row "
                                "%zu", fn, m->label, rows ? (size_t)rows[i] : i);
            else
                fs->labels[i] = (float)y;
        }
    }
    if (rc)
        rec__featset_release(fs, m);
    return rc;
}

/* ---- forward / backward of the feature layer -------------------------------------------- */

/* Mean of the non-padding rows of one bag (Keras masked GlobalAveragePooling1D; an empty bag
 * gives zeros where Keras would give NaN). Returns the count c of rows averaged. */
static uint32_t bag_mean(float *dst, const float *w, uint32_t dim, const uint32_t *ids,
                         size_t lo, size_t hi)
{
    memset(dst, 0, dim * sizeof *dst);
    uint32_t c = 0;
    for (size_t j = lo; j < hi; j++) {
        if (ids[j] == 0)
            continue;
        const float *row = w + (size_t)ids[j] * dim;
        for (uint32_t k = 0; k < dim; k++)
            dst[k] += row[k];
        c++;
    }
    if (c > 1) {
        float inv = 1.0f / (float)c;
        for (uint32_t k = 0; k < dim; k++)
            dst[k] *= inv;
    }
    return c;
}

void rec__features_forward(const rec_model *m, const rec__featset *fs, const uint32_t *idx,
                           size_t count, float *x)
{
    const size_t width = m->width;
    for (size_t fi = 0; fi < m->n_feats; fi++) {
        const rec__feature *f = &m->feats[fi];
        const rec__fcol *fc = &fs->cols[fi];
        const uint32_t dim = f->dim;
        const float *w = f->emb ? rec_embedding_row(f->emb, 0) : NULL;
        for (size_t b = 0; b < count; b++) {
            size_t e = idx ? idx[b] : b;
            float *dst = x + b * width + f->offset;
            switch (f->kind) {
            case REC_FEATURE_CATEGORICAL:
            case REC_FEATURE_BUCKETIZED:
                memcpy(dst, w + (size_t)fc->ids[e] * dim, dim * sizeof *dst);
                break;
            case REC_FEATURE_NUMERIC:
                dst[0] = fc->values[e];
                break;
            case REC_FEATURE_TEXT:
            case REC_FEATURE_CATEGORICAL_LIST: {
                uint32_t bag = fc->ids[e];
                bag_mean(dst, w, dim, fc->bag_ids, fc->bag_offsets[bag],
                         fc->bag_offsets[bag + 1]);
                break;
            }
            }
        }
    }
}

void rec__features_backward(rec_model *m, const rec__featset *fs, const uint32_t *idx,
                            size_t count, const float *dx)
{
    const size_t width = m->width;
    for (size_t fi = 0; fi < m->n_feats; fi++) {
        rec__feature *f = &m->feats[fi];
        if (!f->emb)
            continue; /* NUMERIC: no parameters */
        const rec__fcol *fc = &fs->cols[fi];
        const uint32_t dim = f->dim;
        rec__param *p = rec__embedding_param(f->emb);
        for (size_t b = 0; b < count; b++) {
            size_t e = idx ? idx[b] : b;
            const float *src = dx + b * width + f->offset;
            if (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_BUCKETIZED) {
                /* ∂L/∂E[id] += ∂L/∂x (rows repeated in the batch add up) */
                float *g = rec__param_grad_row(p, fc->ids[e]);
                for (uint32_t k = 0; k < dim; k++)
                    g[k] += src[k];
                continue;
            }
            /* mean of c rows: each of them gets ∂L/∂x / c */
            uint32_t bag = fc->ids[e];
            size_t lo = fc->bag_offsets[bag], hi = fc->bag_offsets[bag + 1];
            uint32_t c = 0;
            for (size_t j = lo; j < hi; j++)
                c += fc->bag_ids[j] != 0;
            if (c == 0)
                continue;
            float inv = 1.0f / (float)c;
            for (size_t j = lo; j < hi; j++) {
                if (fc->bag_ids[j] == 0)
                    continue;
                float *g = rec__param_grad_row(p, fc->bag_ids[j]);
                for (uint32_t k = 0; k < dim; k++)
                    g[k] += src[k] * inv;
            }
        }
    }
}
