/* rec_dataset_join: the columns of a side table (one row per user or per item) copied onto the
 * rows of a dataset by key.
 *
 * Cost: O(rows of ds + rows of side + distinct keys). The side key's codes give each side row
 * (one pass, which also finds a repeated key); each distinct key of ds is looked up once in
 * the side key's dictionary, so a row's side row is two array reads. A new string or list
 * column gets a dictionary of its own holding only the strings its rows use, in first-seen
 * row order (as a column made by rec_dataset_add_strings), through a map from the side
 * column's codes to the new ones: each distinct string is interned once, not once per row.
 *
 * Every new column is built before ds is touched, and room for them all is reserved in ds
 * first, so adopting them cannot fail: on any failure ds is as it was. */
#include "data/data.h"

#include <math.h>
#include <string.h>

static const char FN[] = "rec_dataset_join";

/* "no side row" in the row maps (rows are < 2^32 − 1, rec_dataset_create) */
#define NONE UINT32_MAX

static const char *type_name(int type)
{
    return type == REC_COLUMN_NUMBER        ? "number"
           : type == REC_COLUMN_STRING_LIST ? "string-list"
                                            : "string";
}

/* A string as it may appear in a message: keys come from files (base.h, rec__text_quote). */
#define QUOTE(s) rec__text_quote((char[REC__QUOTE_CAP]){0}, (s), strlen(s))

static rec_status key_column(const rec__column **col, const rec_dataset *ds, const char *name,
                             const char *which)
{
    *col = rec__dataset_find(ds, name);
    if (!*col)
        return rec__error(REC_ENOTFOUND, "%s: %s has no key column '%s'", FN, which, name);
    if ((*col)->type != REC_COLUMN_STRING)
        return rec__error(REC_EINVAL, "%s: key column '%s' of %s is a %s column; a key must be "
                          "a string column", FN, name, which, type_name((*col)->type));
    return REC_OK;
}

/* The scratch arrays of one join, all freed together. */
typedef struct join_maps {
    uint32_t *side_row;   /* per code of the side key: its side row, NONE when no row has it */
    uint32_t *match;      /* per code of ds's key: the side row, NONE when side lacks it */
    uint32_t *rows;       /* per row of ds: its side row, or NONE */
    uint8_t *used;        /* per side row: some row of ds has its key */
    uint8_t *seen;        /* per code of ds's key: met on a row (missing keys are counted once) */
    uint32_t *remap;      /* per code of a side column: its code in the new column, or NONE */
} join_maps;

static void maps_release(join_maps *j)
{
    rec__free(j->side_row);
    rec__free(j->match);
    rec__free(j->rows);
    rec__free(j->used);
    rec__free(j->seen);
    rec__free(j->remap);
}

/* n elements of `size` bytes (at least one element, so that 0 is not a failure). */
static void *alloc_n(size_t n, size_t size)
{
    size_t bytes;
    return rec__alloc_mul(n ? n : 1, size, &bytes) ? rec__malloc(bytes) : NULL;
}

/* The side row of every side key code; REC_EINVAL naming a key that two side rows share. */
static rec_status side_rows(join_maps *j, const rec__column *skey, const rec_dataset *side,
                            const char *side_key)
{
    for (size_t k = 0; k < skey->dict.n; k++)
        j->side_row[k] = NONE;
    for (size_t r = 0; r < side->n_rows; r++) {
        uint32_t c = skey->codes[r];
        if (j->side_row[c] != NONE)
            return rec__error(REC_EINVAL, "%s: key '%s' appears twice in column '%s' of side "
                              "(rows %u and %zu); side keys must be unique", FN,
                              QUOTE(skey->dict.strings[c]), side_key, (unsigned)j->side_row[c],
                              r);
        j->side_row[c] = (uint32_t)r;
    }
    return REC_OK;
}

/* The code of string s of a side column in the new column dst, interned on first use. */
static rec_status new_code(uint32_t *out, rec__column *dst, uint32_t *remap, uint32_t code,
                           const char *s)
{
    if (remap[code] == NONE &&
        rec__dict_intern(&dst->dict, s, strlen(s), &remap[code]) != REC_OK)
        return REC_ENOMEM;
    *out = remap[code];
    return REC_OK;
}

/* dst = src's values on the side rows rows[0..n) (NONE: the missing value). No message set. */
static rec_status build_column(rec__column *dst, const rec__column *src, const uint32_t *rows,
                               size_t n, uint32_t *remap)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->name = rec__strdup(src->name);
    if (!dst->name)
        return REC_ENOMEM;
    if (src->type == REC_COLUMN_NUMBER) {
        if (!(dst->numbers = alloc_n(n, sizeof *dst->numbers)))
            return REC_ENOMEM;
        for (size_t i = 0; i < n; i++)
            dst->numbers[i] = rows[i] == NONE ? NAN : src->numbers[rows[i]];
        return REC_OK;
    }
    for (size_t k = 0; k < src->dict.n; k++)
        remap[k] = NONE;
    if (src->type == REC_COLUMN_STRING) {
        if (!(dst->codes = alloc_n(n, sizeof *dst->codes)))
            return REC_ENOMEM;
        uint32_t empty = NONE; /* the code of "", the value of a missing row, once interned */
        for (size_t i = 0; i < n; i++) {
            if (rows[i] != NONE) {
                uint32_t c = src->codes[rows[i]];
                if (new_code(&dst->codes[i], dst, remap, c, src->dict.strings[c]))
                    return REC_ENOMEM;
            } else {
                if (empty == NONE && rec__dict_intern(&dst->dict, "", 0, &empty) != REC_OK)
                    return REC_ENOMEM;
                dst->codes[i] = empty;
            }
        }
        return REC_OK;
    }
    /* string lists: offsets from the side rows' lengths (a missing row's list is empty) */
    if (!(dst->offsets = alloc_n(n + 1, sizeof *dst->offsets)))
        return REC_ENOMEM;
    dst->offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = rows[i] == NONE ? 0 : src->offsets[rows[i] + 1] - src->offsets[rows[i]];
        if (dst->offsets[i] > SIZE_MAX - len)
            return REC_ENOMEM;
        dst->offsets[i + 1] = dst->offsets[i] + len;
    }
    if (!(dst->codes = alloc_n(dst->offsets[n], sizeof *dst->codes)))
        return REC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (rows[i] == NONE)
            continue;
        const uint32_t *from = src->codes + src->offsets[rows[i]];
        uint32_t *to = dst->codes + dst->offsets[i];
        for (size_t e = 0; e < dst->offsets[i + 1] - dst->offsets[i]; e++)
            if (new_code(&to[e], dst, remap, from[e], src->dict.strings[from[e]]))
                return REC_ENOMEM;
    }
    return REC_OK;
}

/* Every argument check that needs no pass over the rows. */
static rec_status check_args(const rec__column **dkey, const rec__column **skey,
                             const rec_dataset *ds, const char *key, const rec_dataset *side,
                             const char *side_key, rec_join_policy policy)
{
    if (!ds || !key || !side)
        return rec__error(REC_EINVAL, "%s: %s is NULL", FN, !ds ? "ds" : !key ? "key" : "side");
    if ((unsigned)policy > REC_JOIN_EXACT)
        return rec__error(REC_EINVAL, "%s: unknown policy %d", FN, (int)policy);
    rec_status rc = key_column(dkey, ds, key, "ds");
    if (!rc)
        rc = key_column(skey, side, side_key, "side");
    if (rc)
        return rc;
    for (size_t c = 0; c < side->n_cols; c++) {
        const char *name = side->cols[c].name;
        if (&side->cols[c] != *skey && rec__dataset_find(ds, name))
            return rec__error(REC_EINVAL, "%s: column '%s' of side is already a column of ds "
                              "(rename it when loading)", FN, name);
    }
    return REC_OK;
}

rec_status rec_dataset_join(size_t *n_unmatched_out, size_t *n_unused_out, rec_dataset *ds,
                            const char *key, const rec_dataset *side, const char *side_key,
                            rec_join_policy policy)
{
    if (n_unmatched_out)
        *n_unmatched_out = 0;
    if (n_unused_out)
        *n_unused_out = 0;
    if (!side_key)
        side_key = key;
    const rec__column *dkey = NULL, *skey = NULL;
    rec_status rc = check_args(&dkey, &skey, ds, key, side, side_key, policy);
    if (rc)
        return rc;

    const size_t n = ds->n_rows, ns = side->n_rows;
    size_t n_new = side->n_cols - 1, remap_n = 0;
    for (size_t c = 0; c < side->n_cols; c++)
        if (&side->cols[c] != skey && side->cols[c].dict.n > remap_n)
            remap_n = side->cols[c].dict.n;
    join_maps j = {0};
    rec__column *cols = rec__calloc(n_new ? n_new : 1, sizeof *cols);
    j.side_row = alloc_n(skey->dict.n, sizeof *j.side_row);
    j.match = alloc_n(dkey->dict.n, sizeof *j.match);
    j.rows = alloc_n(n, sizeof *j.rows);
    j.used = rec__calloc(ns ? ns : 1, 1);
    j.seen = rec__calloc(dkey->dict.n ? dkey->dict.n : 1, 1);
    j.remap = alloc_n(remap_n, sizeof *j.remap);
    size_t built = 0;
    if (!cols || !j.side_row || !j.match || !j.rows || !j.used || !j.seen || !j.remap) {
        rc = rec__error(REC_ENOMEM, "%s: out of memory", FN);
        goto done;
    }
    if ((rc = side_rows(&j, skey, side, side_key)))
        goto done;

    /* each distinct key of ds looked up once, then each row's side row */
    for (size_t k = 0; k < dkey->dict.n; k++) {
        const char *s = dkey->dict.strings[k];
        uint32_t code;
        j.match[k] = rec__dict_find(&skey->dict, s, strlen(s), &code) ? j.side_row[code] : NONE;
    }
    size_t n_unmatched = 0, n_missing_keys = 0, first_missing = SIZE_MAX;
    for (size_t r = 0; r < n; r++) {
        uint32_t k = dkey->codes[r];
        j.rows[r] = j.match[k];
        if (j.rows[r] != NONE) {
            j.used[j.rows[r]] = 1;
            continue;
        }
        n_unmatched++;
        n_missing_keys += !j.seen[k];
        j.seen[k] = 1;
        if (first_missing == SIZE_MAX)
            first_missing = r;
    }
    size_t n_unused = 0, first_unused = SIZE_MAX;
    for (size_t r = 0; r < ns; r++)
        if (!j.used[r]) {
            n_unused++;
            if (first_unused == SIZE_MAX)
                first_unused = r;
        }
    if (n_unmatched_out)
        *n_unmatched_out = n_unmatched;
    if (n_unused_out)
        *n_unused_out = n_unused;
    if (policy != REC_JOIN_FILL_MISSING && n_unmatched > 0) {
        rc = rec__error(REC_ENOTFOUND, "%s: key '%s' of row %zu of ds is not in column '%s' of "
                        "side (keys of ds missing from side: %zu, on %zu rows)", FN,
                        QUOTE(dkey->dict.strings[dkey->codes[first_missing]]), first_missing,
                        side_key, n_missing_keys, n_unmatched);
        goto done;
    }
    if (policy == REC_JOIN_EXACT && n_unused > 0) {
        rc = rec__error(REC_ENOTFOUND, "%s: key '%s' of row %zu of side is used by no row of ds "
                        "(keys of side unused: %zu)", FN,
                        QUOTE(skey->dict.strings[skey->codes[first_unused]]), first_unused,
                        n_unused);
        goto done;
    }

    /* build every new column, then make room for them, then adopt them all */
    for (size_t c = 0; c < side->n_cols; c++) {
        if (&side->cols[c] == skey)
            continue;
        rc = build_column(&cols[built++], &side->cols[c], j.rows, n, j.remap);
        if (rc) {
            rc = rec__error(REC_ENOMEM, "%s: out of memory", FN);
            goto done;
        }
    }
    if (rec__dataset_reserve_columns(ds, n_new) != REC_OK) {
        rc = rec__error(REC_ENOMEM, "%s: out of memory", FN);
        goto done;
    }
    /* cannot fail now: the room is reserved and check_args found no name of ds among them */
    for (size_t c = 0; c < n_new; c++)
        (void)rec__dataset_adopt_column(ds, &cols[c]);
    built = 0; /* ds owns them */
done:
    for (size_t c = 0; c < built; c++)
        rec__dataset_column_release(&cols[c]);
    rec__free(cols);
    maps_release(&j);
    return rc;
}
