/* Inputs a model has never seen (rec_model_count_unknown): per row, the values of its
 * CATEGORICAL and CATEGORICAL_LIST features that are not in their vocabularies and the words
 * of its TEXT features that are not in their text vocabularies. Prediction maps each of them
 * to the unknown row (index 0, or the text OOV id 1), whose embedding no example trained: a
 * serving system can tell a cold-start user or item, or a title in another language, by this
 * count. BUCKETIZED and NUMERIC features have no vocabulary and count nothing. */
#include "infer/infer.h"

#include <string.h>

static void add(uint32_t *count, uint32_t k)
{
    *count = k > UINT32_MAX - *count ? UINT32_MAX : *count + k;
}

/* OOV words of text s (the vectorizer's id 1) with ids, a buffer of *cap ids grown as needed.
 * UINT32_MAX when out of memory. */
static uint32_t oov_words(const rec_textvec *tv, const char *s, uint32_t **ids, size_t *cap)
{
    size_t n = 0;
    if (rec_textvec_encode(*ids, *cap, &n, tv, s) != REC_OK)
        return UINT32_MAX;
    if (n > *cap) {
        uint32_t *grown = rec__realloc(*ids, n * sizeof *grown);
        if (!grown)
            return UINT32_MAX;
        *ids = grown;
        *cap = n;
        if (rec_textvec_encode(*ids, *cap, &n, tv, s) != REC_OK)
            return UINT32_MAX;
    }
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (*ids)[i] == 1;
    return k;
}

/* Unknown values of string s for feature f: 0 or 1 for a lookup, the OOV words of a text. */
static uint32_t unknown_in(const rec__feature *f, const char *s, uint32_t **ids, size_t *cap)
{
    if (f->kind == REC_FEATURE_TEXT)
        return oov_words(f->text, s, ids, cap);
    return rec_vocab_index(f->vocab, s) == 0;
}

/* Feature f's unknown values in each row of column col, added to counts. Each distinct string
 * is looked at once when the rows hold more strings than the column's dictionary (a user
 * repeated on each of the user's ratings), else each string where it occurs. */
static rec_status count_feature(uint32_t *counts, const rec__feature *f, const rec__column *col,
                                size_t n, const char *fn)
{
    int list = col->type == REC_COLUMN_STRING_LIST;
    size_t entries = list ? col->offsets[n] : n;
    uint32_t *per = NULL, *ids = NULL;
    size_t cap = 0;
    rec_status rc = REC_OK;
    if (entries >= col->dict.n) {
        per = rec__malloc((col->dict.n ? col->dict.n : 1) * sizeof *per);
        if (!per)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t c = 0; c < col->dict.n && !rc; c++)
            if ((per[c] = unknown_in(f, col->dict.strings[c], &ids, &cap)) == UINT32_MAX)
                rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    for (size_t r = 0; r < n && !rc; r++) {
        size_t lo = list ? col->offsets[r] : r, hi = list ? col->offsets[r + 1] : r + 1;
        for (size_t j = lo; j < hi && !rc; j++) {
            uint32_t code = col->codes[j];
            uint32_t k = per ? per[code] : unknown_in(f, col->dict.strings[code], &ids, &cap);
            if (k == UINT32_MAX)
                rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
            else
                add(&counts[r], k);
        }
    }
    rec__free(per);
    rec__free(ids);
    return rc;
}

rec_status rec_model_count_unknown(uint32_t *counts_out, size_t n, const rec_model *m,
                                   const rec_dataset *ds)
{
    static const char fn[] = "rec_model_count_unknown";
    if (!counts_out && n > 0)
        return rec__error(REC_EINVAL, "%s: counts_out is NULL (n = %zu)", fn, n);
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!ds)
        return rec__error(REC_EINVAL, "%s: ds is NULL", fn);
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (n != ds->n_rows)
        return rec__error(REC_ESHAPE, "%s: n = %zu but ds has %zu rows", fn, n, ds->n_rows);
    /* A side is counted when ds holds any column of its features (then it must hold all of
     * them): a serving request carries only the user's columns, a catalogue only the items'. */
    int present[2] = {0, 0};
    for (size_t i = 0; i < m->n_feats; i++)
        present[m->feats[i].side == REC_SIDE_ITEM] |=
            rec__dataset_find(ds, m->feats[i].column) != NULL;
    if (!present[0] && !present[1])
        present[0] = 1; /* neither side: the message names the first user-side column */
    if ((present[0] && (rc = rec__serving_check_columns(m, ds, REC_SIDE_USER, "ds", fn))) ||
        (present[1] && (rc = rec__serving_check_columns(m, ds, REC_SIDE_ITEM, "ds", fn))))
        return rc;
    for (size_t r = 0; r < n; r++)
        counts_out[r] = 0;
    for (size_t i = 0; i < m->n_feats && !rc; i++) {
        const rec__feature *f = &m->feats[i];
        if (!present[f->side == REC_SIDE_ITEM])
            continue;
        if (f->kind == REC_FEATURE_CATEGORICAL || f->kind == REC_FEATURE_CATEGORICAL_LIST ||
            f->kind == REC_FEATURE_TEXT)
            rc = count_feature(counts_out, f, rec__dataset_find(ds, f->column), n, fn);
    }
    return rc;
}
