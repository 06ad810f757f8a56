/* rec_dataset_add_history: SVD++'s implicit feedback as a column. For every row of a dataset,
 * the values of one column over the rows of another dataset (the training set) that share the
 * row's key: the movies the row's user rated, or the users who rated the row's movie. Fed to a
 * CATEGORICAL_LIST feature, it gives a model N(u) (Koren 2008) without a feature kind of its
 * own.
 *
 * Cost: the source rows are grouped by key once (a counting sort over the key's codes); each
 * destination row then copies its key's group of codes, so the column holds Σ_r |N(key_r)|
 * codes (on MovieLens 100K u1.base, 168 movies per rating on average for user histories). The
 * list column takes a copy of the source value column's dictionary, so its codes are the
 * source's codes and no string is looked up per entry. */
#include "data/data.h"

#include <string.h>

static rec_status find_string_column(const rec__column **col, const rec_dataset *ds,
                                     const char *name, const char *which, const char *fn)
{
    *col = rec__dataset_find(ds, name);
    if (!*col)
        return rec__error(REC_ENOTFOUND, "%s: %s has no column '%s'", fn, which, name);
    if ((*col)->type != REC_COLUMN_STRING)
        return rec__error(REC_EINVAL, "%s: column '%s' of %s is not a string column", fn, name,
                          which);
    return REC_OK;
}

rec_status rec_dataset_add_history(rec_dataset *ds, const char *name, const rec_dataset *source,
                                   const char *key_column, const char *value_column)
{
    static const char fn[] = "rec_dataset_add_history";
    if (!ds || !name || !source || !key_column || !value_column)
        return rec__error(REC_EINVAL, "%s: ds, name, source, key_column and value_column must "
                          "be non-NULL", fn);
    if (!*name)
        return rec__error(REC_EINVAL, "%s: name is empty", fn);
    if (rec__dataset_find(ds, name))
        return rec__error(REC_EINVAL, "%s: ds already has a column '%s'", fn, name);
    const rec__column *dkey, *skey, *sval;
    rec_status rc = find_string_column(&dkey, ds, key_column, "ds", fn);
    if (!rc)
        rc = find_string_column(&skey, source, key_column, "source", fn);
    if (!rc)
        rc = find_string_column(&sval, source, value_column, "source", fn);
    if (rc)
        return rc;

    const size_t ns = source->n_rows, nd = ds->n_rows, nk = skey->dict.n;
    rec__column col = {0};
    size_t *start = rec__calloc(nk + 1, sizeof *start);  /* source rows by key: CSR */
    uint32_t *by_key = rec__malloc((ns ? ns : 1) * sizeof *by_key);
    uint32_t *map = rec__malloc((dkey->dict.n ? dkey->dict.n : 1) * sizeof *map);
    col.type = REC_COLUMN_STRING_LIST;
    col.name = rec__strdup(name);
    col.offsets = rec__malloc((nd + 1) * sizeof *col.offsets);
    if (!start || !by_key || !map || !col.name || !col.offsets) {
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
        goto done;
    }
    /* counting sort of the source rows by key code, keeping their order within a key */
    for (size_t r = 0; r < ns; r++)
        start[skey->codes[r] + 1]++;
    for (size_t k = 0; k < nk; k++)
        start[k + 1] += start[k];
    {
        size_t *next = rec__malloc((nk ? nk : 1) * sizeof *next);
        if (!next) {
            rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
            goto done;
        }
        memcpy(next, start, nk * sizeof *next);
        for (size_t r = 0; r < ns; r++)
            by_key[next[skey->codes[r]]++] = (uint32_t)r;
        rec__free(next);
    }
    /* each destination key's code in the source, or UINT32_MAX when the source lacks it */
    for (size_t k = 0; k < dkey->dict.n; k++) {
        const char *s = dkey->dict.strings[k];
        uint32_t code;
        map[k] = rec__dict_find(&skey->dict, s, strlen(s), &code) ? code : UINT32_MAX;
    }
    size_t total = 0;
    col.offsets[0] = 0;
    for (size_t r = 0; r < nd; r++) {
        uint32_t k = map[dkey->codes[r]];
        size_t len = k == UINT32_MAX ? 0 : start[k + 1] - start[k];
        if (len > SIZE_MAX / sizeof(uint32_t) - total) {
            rc = rec__error(REC_EINVAL, "%s: the column would hold too many values", fn);
            goto done;
        }
        total += len;
        col.offsets[r + 1] = total;
    }
    col.codes = rec__malloc((total ? total : 1) * sizeof *col.codes);
    if (!col.codes || rec__dict_copy(&col.dict, &sval->dict) != REC_OK) {
        rc = rec__error(REC_ENOMEM, "%s: out of memory for %zu values", fn, total);
        goto done;
    }
    for (size_t r = 0; r < nd; r++) {
        uint32_t k = map[dkey->codes[r]];
        if (k == UINT32_MAX)
            continue;
        uint32_t *dst = col.codes + col.offsets[r];
        for (size_t i = start[k]; i < start[k + 1]; i++)
            *dst++ = sval->codes[by_key[i]];
    }
    rc = rec__dataset_adopt_column(ds, &col);
done:
    rec__dataset_column_release(&col);
    rec__free(start);
    rec__free(by_key);
    rec__free(map);
    return rc;
}
