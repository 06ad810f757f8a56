/* Prepared features (rec/features.h): the feature set rec_model_compute_gradients() builds for
 * each batch (rec__featset_build: lookups, tokenization, normalization), built once over every
 * row of a dataset; each batch then gets, by copying words, exactly the feature set
 * rec__featset_build would have made for its rows, and goes through the same trainer
 * (rec__train_gradients). Copying rather than indexing the prepared set directly is what makes
 * the result bit-identical: a batch of fewer rows than a TEXT column's distinct strings gets a
 * bag per example (model/featset.c), so layer 0 never groups its repeated titles, while
 * the prepared set has a bag per string and would group them, summing in another order. The
 * copy costs n records and the batch's bag contents: no lookup, no tokenization. */
#include "rec/features.h"

#include "data/data.h"
#include "train/train.h"

#include <math.h>
#include <string.h>

struct rec_features {
    /* The model it was made for: embedding rows, bag contents and normalized values are that
     * model's. A model cannot be rebuilt (rec_model_build refuses a built model), so its
     * address identifies it for as long as it lives, which the handle requires. */
    const rec_model *model;
    size_t n_feats;         /* copied so that free never reads the model */
    rec__featset fs;        /* has_labels: the label column was present; every TEXT
                             * column has one bag per dictionary string (by_dict) */
    size_t *dict_n;         /* per feature: the TEXT column's distinct strings, else 0 */
    char *label;            /* the label column's name, for messages */
};

/* Like rec__featset_release, but from the copied feature count. */
static void featset_release(rec__featset *fs, size_t n_feats)
{
    for (size_t i = 0; fs->cols && i < n_feats; i++) {
        rec__free(fs->cols[i].bag_offsets);
        rec__free(fs->cols[i].bag_ids);
    }
    rec__free(fs->cols);
    rec__free(fs->mem);
}

void rec_features_free(rec_features *f)
{
    if (!f)
        return;
    featset_release(&f->fs, f->n_feats);
    rec__free(f->dict_n);
    rec__free(f->label);
    rec__free(f);
}

size_t rec_features_size(const rec_features *f)
{
    return f ? f->fs.n : 0;
}

rec_status rec_features_create(rec_features **out, const rec_model *m, const rec_dataset *ds)
{
    static const char fn[] = "rec_features_create";
    if (out)
        *out = NULL;
    if (!out || !m || !ds)
        return rec__error(REC_EINVAL, "%s: out, model and ds must be non-NULL", fn);
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (ds->n_rows > UINT32_MAX)
        return rec__error(REC_EINVAL, "%s: %zu rows exceed 2^32 − 1", fn, ds->n_rows);
    const rec__column *lab = m->label ? rec__dataset_find(ds, m->label) : NULL;
    if (lab && lab->type != REC_COLUMN_NUMBER)
        return rec__error(REC_EINVAL, "%s: label column '%s' is not a number column", fn,
                          m->label);
    rec_features *f = rec__calloc(1, sizeof *f);
    if (!f)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    f->model = m;
    f->n_feats = m->n_feats;
    f->label = rec__strdup(m->label ? m->label : "");
    f->dict_n = rec__calloc(m->n_feats ? m->n_feats : 1, sizeof *f->dict_n);
    if (!f->label || !f->dict_n) {
        rec_features_free(f);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    /* rec__featset_build tokenizes a TEXT column by dictionary string only when asked for at
     * least as many rows as the column has strings; ask for that many (the rows, then row 0
     * repeated), and keep the first n_rows records. */
    size_t n = ds->n_rows, ask = n;
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__column *col = rec__dataset_find(ds, m->feats[i].column);
        if (m->feats[i].kind == REC_FEATURE_TEXT && col && col->type == REC_COLUMN_STRING) {
            f->dict_n[i] = col->dict.n;
            if (col->dict.n > ask)
                ask = col->dict.n;
        }
    }
    uint32_t *rows = n ? rec__malloc(ask * sizeof *rows) : NULL;
    if (n && !rows) {
        rec_features_free(f);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    for (size_t i = 0; i < ask && n; i++)
        rows[i] = i < n ? (uint32_t)i : 0;
    /* without labels: a non-finite label must fail only the batches that use it, as it does
     * in rec_model_compute_gradients, so the labels are copied below unchecked */
    rc = rec__featset_build(&f->fs, m, ds, rows, n ? ask : 0, 0, fn);
    rec__free(rows);
    if (rc) {
        memset(&f->fs, 0, sizeof f->fs);
        rec_features_free(f);
        return rc;
    }
    f->fs.n = n;
    if (lab) {
        const size_t stride = f->fs.stride, w = m->n_feats;
        for (size_t i = 0; i < f->fs.n; i++)
            f->fs.rows[i * stride + w] = rec__f32_bits((float)lab->numbers[i]);
        f->fs.has_labels = 1;
    }
    *out = f;
    return REC_OK;
}

/* Whether a batch of n rows borrows feature i's prepared bags (TEXT by dictionary string, as
 * rec__featset_build does for n ≥ the column's strings) rather than owning per-example ones. */
static int borrows_bags(const rec_features *f, size_t i, size_t n)
{
    return f->dict_n[i] != 0 && n >= f->dict_n[i];
}

static void batch_release(rec__featset *bf, const rec_features *f, size_t n)
{
    for (size_t i = 0; bf->cols && i < f->n_feats; i++) {
        if (borrows_bags(f, i, n))
            continue;
        rec__free(bf->cols[i].bag_offsets);
        rec__free(bf->cols[i].bag_ids);
    }
    rec__free(bf->cols);
    rec__free(bf->mem);
    memset(bf, 0, sizeof *bf);
}

/* The feature set rec__featset_build(m, ds, rows, n, labels) would make, from f's words:
 * records copied; CATEGORICAL_LIST, and TEXT when n is below the column's distinct strings,
 * get a bag per example (word = the example's index) holding the prepared bag's rows; TEXT
 * otherwise keeps the dictionary's bags (borrowed) and codes. */
static rec_status batch_featset(rec__featset *bf, const rec_features *f, const uint32_t *rows,
                                size_t n, const char *fn)
{
    memset(bf, 0, sizeof *bf);
    const size_t stride = f->fs.stride;
    bf->n = n;
    bf->stride = f->fs.stride;
    bf->has_labels = 1;
    bf->cols = rec__calloc(f->n_feats ? f->n_feats : 1, sizeof *bf->cols);
    bf->mem = rec__malloc(n * stride * sizeof(uint32_t) + 64);
    if (!bf->cols || !bf->mem) {
        batch_release(bf, f, n);
        return rec__error(REC_ENOMEM, "%s: out of memory for the features of %zu rows", fn, n);
    }
    bf->rows = (uint32_t *)(((uintptr_t)bf->mem + 63) & ~(uintptr_t)63);
    for (size_t b = 0; b < n; b++)
        memcpy(bf->rows + b * stride, f->fs.rows + (size_t)rows[b] * stride,
               stride * sizeof(uint32_t));
    for (size_t i = 0; i < f->n_feats; i++) {
        const rec__fcol *pc = &f->fs.cols[i];
        rec__fcol *bc = &bf->cols[i];
        if (!pc->bag_offsets) { /* CATEGORICAL, BUCKETIZED, NUMERIC */
            bc->max_bag = pc->max_bag;
            continue;
        }
        if (borrows_bags(f, i, n)) {
            *bc = *pc;
            continue;
        }
        size_t total = 0;
        for (size_t b = 0; b < n; b++) {
            uint32_t k = f->fs.rows[(size_t)rows[b] * stride + i];
            total += pc->bag_offsets[k + 1] - pc->bag_offsets[k];
        }
        bc->n_bags = n;
        bc->bag_offsets = rec__malloc((n + 1) * sizeof *bc->bag_offsets);
        bc->bag_ids = rec__malloc((total ? total : 1) * sizeof *bc->bag_ids);
        if (!bc->bag_offsets || !bc->bag_ids) {
            batch_release(bf, f, n);
            return rec__error(REC_ENOMEM, "%s: out of memory for the features of %zu rows", fn,
                              n);
        }
        bc->bag_offsets[0] = 0;
        for (size_t b = 0; b < n; b++) {
            uint32_t k = f->fs.rows[(size_t)rows[b] * stride + i];
            size_t lo = pc->bag_offsets[k], len = pc->bag_offsets[k + 1] - lo;
            memcpy(bc->bag_ids + bc->bag_offsets[b], pc->bag_ids + lo, len * sizeof(uint32_t));
            bc->bag_offsets[b + 1] = bc->bag_offsets[b] + len;
            if (len > bc->max_bag)
                bc->max_bag = (uint32_t)len;
            bf->rows[b * stride + i] = (uint32_t)b;
        }
    }
    return REC_OK;
}

rec_status rec_model_compute_gradients_features(rec_model *m, const rec_features *f,
                                                const uint32_t *rows, size_t n,
                                                double *loss_out)
{
    static const char fn[] = "rec_model_compute_gradients_features";
    rec_status rc = rec__model_check_built(m, fn);
    if (!rc)
        rc = rec__model_check_label(m, fn);
    if (rc)
        return rc;
    if (!f || !rows || n == 0)
        return rec__error(REC_EINVAL, "%s: features and rows must be non-NULL and n > 0", fn);
    if (f->model != m)
        return rec__error(REC_EINVAL, "%s: the features were prepared for another model "
                          "(rec_features_create() with this model)", fn);
    if (!f->fs.has_labels)
        return rec__error(REC_EINVAL, "%s: the features have no labels (the dataset had no "
                          "label column '%s')", fn, f->label);
    const size_t stride = f->fs.stride, w = m->n_feats;
    for (size_t i = 0; i < n; i++) {
        if (rows[i] >= f->fs.n)
            return rec__error(REC_EINVAL, "%s: rows[%zu] = %u is beyond the features' %zu rows",
                              fn, i, rows[i], f->fs.n);
        if (!isfinite(rec__f32_of_bits(f->fs.rows[(size_t)rows[i] * stride + w])))
            return rec__error(REC_ENUMERIC, "%s: label '%s' is missing or not finite at row "
                              "%u", fn, f->label, rows[i]);
    }
    rec__featset bf;
    rc = batch_featset(&bf, f, rows, n, fn);
    if (rc)
        return rc;
    uint32_t *idx = rec__malloc(n * sizeof *idx);
    if (!idx)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t i = 0; idx && i < n; i++)
        idx[i] = (uint32_t)i;
    if (!rc)
        rc = rec__train_gradients(m, &bf, idx, n, loss_out, fn);
    /* the labels the model now learns from, as the records hold them (binary32) */
    for (size_t i = 0; !rc && i < n; i++) {
        double y = rec__f32_of_bits(bf.rows[i * stride + w]);
        rec__model_label_widen_range(m, y, y);
    }
    rec__free(idx);
    batch_release(&bf, f, n);
    return rc;
}
