/* Datasets: columnar tables of strings (dictionary-encoded), numbers and string lists, with
 * row subsets and the seeded shuffle split. The layout is in data.h, the dictionaries in
 * dict.c. */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- columns and the dataset ---------------------------------------------------------- */

void rec__dataset_column_release(rec__column *col)
{
    if (!col)
        return;
    rec__free(col->name);
    rec__free(col->numbers);
    rec__free(col->codes);
    rec__free(col->offsets);
    rec__dict_release(&col->dict);
    memset(col, 0, sizeof *col);
}

const rec__column *rec__dataset_find(const rec_dataset *ds, const char *name)
{
    if (!ds || !name)
        return NULL;
    for (size_t i = 0; i < ds->n_cols; i++)
        if (strcmp(ds->cols[i].name, name) == 0)
            return &ds->cols[i];
    return NULL;
}

rec_status rec__dataset_reserve_columns(rec_dataset *ds, size_t n)
{
    if (n <= ds->cap_cols - ds->n_cols)
        return REC_OK;
    if (n > SIZE_MAX - ds->n_cols)
        return REC_ENOMEM;
    /* doubling keeps a run of single adoptions linear */
    size_t cap = ds->cap_cols ? ds->cap_cols * 2 : 8, bytes;
    if (cap < ds->n_cols + n)
        cap = ds->n_cols + n;
    rec__column *cols = NULL;
    if (rec__alloc_mul(cap, sizeof *cols, &bytes))
        cols = rec__realloc(ds->cols, bytes);
    if (!cols)
        return REC_ENOMEM;
    ds->cols = cols;
    ds->cap_cols = cap;
    return REC_OK;
}

rec_status rec__dataset_adopt_column(rec_dataset *ds, rec__column *col)
{
    if (!ds || !col || !col->name) {
        rec__dataset_column_release(col);
        return rec__error(REC_EINVAL, "rec__dataset_adopt_column: NULL dataset or column");
    }
    if (rec__dataset_find(ds, col->name)) {
        rec_status rc = rec__error(REC_EINVAL, "rec_dataset: a column named '%s' exists",
                                   col->name);
        rec__dataset_column_release(col);
        return rc;
    }
    if (rec__dataset_reserve_columns(ds, 1) != REC_OK) {
        rec_status rc = rec__error(REC_ENOMEM, "rec_dataset: out of memory adding '%s'",
                                   col->name);
        rec__dataset_column_release(col);
        return rc;
    }
    ds->cols[ds->n_cols++] = *col;
    memset(col, 0, sizeof *col);
    return REC_OK;
}

rec_status rec_dataset_create(rec_dataset **out, size_t n_rows)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_dataset_create: out is NULL");
    *out = NULL;
    if ((uint64_t)n_rows > UINT32_MAX)
        return rec__error(REC_EINVAL, "rec_dataset_create: n_rows = %zu is not below 2^32",
                          n_rows);
    rec_dataset *ds = rec__calloc(1, sizeof *ds);
    if (!ds)
        return rec__error(REC_ENOMEM, "rec_dataset_create: out of memory");
    ds->n_rows = n_rows;
    *out = ds;
    return REC_OK;
}

void rec_dataset_free(rec_dataset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n_cols; i++)
        rec__dataset_column_release(&ds->cols[i]);
    rec__free(ds->cols);
    rec__free(ds);
}

/* Checks shared by the rec_dataset_add_* functions. */
static rec_status check_add(const char *fn, const rec_dataset *ds, const char *name,
                            const void *values, size_t n)
{
    if (!ds)
        return rec__error(REC_EINVAL, "%s: ds is NULL", fn);
    if (!name)
        return rec__error(REC_EINVAL, "%s: name is NULL", fn);
    if (n != ds->n_rows)
        return rec__error(REC_ESHAPE, "%s: column '%s' has %zu values, the dataset %zu rows",
                          fn, name, n, ds->n_rows);
    if (!values && n > 0)
        return rec__error(REC_EINVAL, "%s: values is NULL", fn);
    if (rec__dataset_find(ds, name))
        return rec__error(REC_EINVAL, "%s: a column named '%s' exists", fn, name);
    return REC_OK;
}

/* Give col (built by an add function) to ds, with fn's name in an out-of-memory message. */
static rec_status adopt(const char *fn, rec_dataset *ds, rec__column *col)
{
    rec_status rc = rec__dataset_adopt_column(ds, col);
    if (rc == REC_ENOMEM)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    return rc;
}

/* Allocate an n-element array of `size` bytes each into *p, or fail with fn's message. */
static rec_status alloc_array(void **p, size_t n, size_t size, const char *fn)
{
    size_t bytes;
    *p = rec__alloc_mul(n, size, &bytes) ? rec__malloc(bytes) : NULL;
    return *p ? REC_OK : rec__error(REC_ENOMEM, "%s: out of memory", fn);
}

/* Intern values[0..n) into col's dictionary, writing codes[i]. */
static rec_status intern_all(rec__column *col, uint32_t *codes, const char *const *values,
                             size_t n, const char *fn)
{
    for (size_t i = 0; i < n; i++) {
        if (!values[i])
            return rec__error(REC_EINVAL, "%s: values[%zu] is NULL", fn, i);
        if (rec__dict_intern(&col->dict, values[i], strlen(values[i]), &codes[i]) != REC_OK)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    return REC_OK;
}

rec_status rec_dataset_add_strings(rec_dataset *ds, const char *name, const char *const *values,
                                   size_t n)
{
    static const char fn[] = "rec_dataset_add_strings";
    rec_status rc = check_add(fn, ds, name, values, n);
    if (rc != REC_OK)
        return rc;
    rec__column col = {0};
    col.type = REC_COLUMN_STRING;
    col.name = rec__strdup(name);
    if (!col.name)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (rc == REC_OK)
        rc = alloc_array((void **)&col.codes, n, sizeof *col.codes, fn);
    if (rc == REC_OK)
        rc = intern_all(&col, col.codes, values, n, fn);
    if (rc != REC_OK) {
        rec__dataset_column_release(&col);
        return rc;
    }
    return adopt(fn, ds, &col);
}

rec_status rec_dataset_add_numbers(rec_dataset *ds, const char *name, const double *values,
                                   size_t n)
{
    static const char fn[] = "rec_dataset_add_numbers";
    rec_status rc = check_add(fn, ds, name, values, n);
    if (rc != REC_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (isinf(values[i]))
            return rec__error(REC_ENUMERIC, "%s: values[%zu] of '%s' is infinite", fn, i, name);
    rec__column col = {0};
    col.type = REC_COLUMN_NUMBER;
    col.name = rec__strdup(name);
    if (!col.name)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (rc == REC_OK)
        rc = alloc_array((void **)&col.numbers, n, sizeof *col.numbers, fn);
    if (rc != REC_OK) {
        rec__dataset_column_release(&col);
        return rc;
    }
    if (n > 0)
        memcpy(col.numbers, values, n * sizeof *values);
    return adopt(fn, ds, &col);
}

rec_status rec_dataset_add_string_lists(rec_dataset *ds, const char *name,
                                        const char *const *values, const size_t *offsets,
                                        size_t n)
{
    static const char fn[] = "rec_dataset_add_string_lists";
    if (!offsets)
        return rec__error(REC_EINVAL, "%s: offsets is NULL", fn);
    /* values may be NULL only when every list is empty, which check_add cannot know. */
    rec_status rc = check_add(fn, ds, name, offsets, n);
    if (rc != REC_OK)
        return rc;
    if (offsets[0] != 0)
        return rec__error(REC_EINVAL, "%s: offsets[0] = %zu, must be 0", fn, offsets[0]);
    for (size_t r = 0; r < n; r++)
        if (offsets[r + 1] < offsets[r])
            return rec__error(REC_EINVAL, "%s: offsets[%zu] = %zu < offsets[%zu] = %zu", fn,
                              r + 1, offsets[r + 1], r, offsets[r]);
    size_t total = offsets[n];
    if (!values && total > 0)
        return rec__error(REC_EINVAL, "%s: values is NULL", fn);

    rec__column col = {0};
    col.type = REC_COLUMN_STRING_LIST;
    col.name = rec__strdup(name);
    if (!col.name)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (rc == REC_OK)
        rc = alloc_array((void **)&col.offsets, n + 1, sizeof *col.offsets, fn);
    if (rc == REC_OK)
        rc = alloc_array((void **)&col.codes, total, sizeof *col.codes, fn);
    if (rc == REC_OK)
        rc = intern_all(&col, col.codes, values, total, fn);
    if (rc != REC_OK) {
        rec__dataset_column_release(&col);
        return rc;
    }
    memcpy(col.offsets, offsets, (n + 1) * sizeof *offsets);
    return adopt(fn, ds, &col);
}

/* ---- reading ------------------------------------------------------------------------------ */

size_t rec_dataset_size(const rec_dataset *ds)
{
    return ds ? ds->n_rows : 0;
}

size_t rec_dataset_n_columns(const rec_dataset *ds)
{
    return ds ? ds->n_cols : 0;
}

rec_status rec_dataset_column(uint32_t *index_out, const rec_dataset *ds, const char *name)
{
    if (!index_out || !ds || !name)
        return rec__error(REC_EINVAL, "rec_dataset_column: %s is NULL",
                          !index_out ? "index_out" : !ds ? "ds" : "name");
    const rec__column *c = rec__dataset_find(ds, name);
    if (!c)
        return rec__error(REC_ENOTFOUND, "rec_dataset_column: no column named '%s'", name);
    *index_out = (uint32_t)(c - ds->cols);
    return REC_OK;
}

/* Column col of ds when it exists, else NULL. */
static const rec__column *column_at(const rec_dataset *ds, uint32_t col)
{
    return ds && col < ds->n_cols ? &ds->cols[col] : NULL;
}

const char *rec_dataset_column_name(const rec_dataset *ds, uint32_t col)
{
    const rec__column *c = column_at(ds, col);
    return c ? c->name : NULL;
}

int rec_dataset_column_type(const rec_dataset *ds, uint32_t col)
{
    const rec__column *c = column_at(ds, col);
    return c ? c->type : -1;
}

const char *rec_dataset_string(const rec_dataset *ds, uint32_t col, size_t row)
{
    const rec__column *c = column_at(ds, col);
    if (!c || c->type != REC_COLUMN_STRING || row >= ds->n_rows)
        return NULL;
    return c->dict.strings[c->codes[row]];
}

double rec_dataset_number(const rec_dataset *ds, uint32_t col, size_t row)
{
    const rec__column *c = column_at(ds, col);
    if (!c || c->type != REC_COLUMN_NUMBER || row >= ds->n_rows)
        return NAN;
    return c->numbers[row];
}

/* Common checks of the per-column getters: the column exists, has type `type` (or either
 * string type when type < 0). */
static rec_status check_column(const char *fn, const rec_dataset *ds, uint32_t col, int type)
{
    if (!ds)
        return rec__error(REC_EINVAL, "%s: ds is NULL", fn);
    if (col >= ds->n_cols)
        return rec__error(REC_EINVAL, "%s: col = %u out of range (%zu columns)", fn,
                          (unsigned)col, ds->n_cols);
    int t = ds->cols[col].type;
    int ok = type >= 0 ? t == type : (t == REC_COLUMN_STRING || t == REC_COLUMN_STRING_LIST);
    if (!ok)
        return rec__error(REC_EINVAL, "%s: column '%s' is not a %s column", fn,
                          ds->cols[col].name,
                          type == REC_COLUMN_NUMBER ? "number"
                          : type == REC_COLUMN_STRING_LIST ? "string-list" : "string");
    return REC_OK;
}

rec_status rec_dataset_string_list(const char **out, size_t cap, size_t *n_out,
                                   const rec_dataset *ds, uint32_t col, size_t row)
{
    static const char fn[] = "rec_dataset_string_list";
    if (!n_out || (!out && cap > 0))
        return rec__error(REC_EINVAL, "%s: %s is NULL", fn, !n_out ? "n_out" : "out");
    rec_status rc = check_column(fn, ds, col, REC_COLUMN_STRING_LIST);
    if (rc != REC_OK)
        return rc;
    if (row >= ds->n_rows)
        return rec__error(REC_EINVAL, "%s: row = %zu out of range (%zu rows)", fn, row,
                          ds->n_rows);
    const rec__column *c = &ds->cols[col];
    size_t begin = c->offsets[row], count = c->offsets[row + 1] - begin;
    for (size_t i = 0; i < count && i < cap; i++)
        out[i] = c->dict.strings[c->codes[begin + i]];
    *n_out = count;
    return REC_OK;
}

static int compare_strings(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: byte order, which for UTF-8 is code-point order. */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

rec_status rec_dataset_unique_strings(const char **out, size_t cap, size_t *n_out,
                                      const rec_dataset *ds, uint32_t col)
{
    static const char fn[] = "rec_dataset_unique_strings";
    if (!n_out || (!out && cap > 0))
        return rec__error(REC_EINVAL, "%s: %s is NULL", fn, !n_out ? "n_out" : "out");
    rec_status rc = check_column(fn, ds, col, -1);
    if (rc != REC_OK)
        return rc;
    const rec__column *c = &ds->cols[col];

    /* A subset's dictionary may hold strings its rows do not use: mark the used codes. */
    size_t n_codes = c->type == REC_COLUMN_STRING ? ds->n_rows : c->offsets[ds->n_rows];
    uint8_t *used = rec__calloc(c->dict.n, 1);
    if (!used)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    size_t count = 0;
    for (size_t i = 0; i < n_codes; i++) {
        count += !used[c->codes[i]];
        used[c->codes[i]] = 1;
    }

    /* Sort in the caller's buffer when it holds them all, else in a temporary array. */
    const char **sorted = out;
    if (cap < count) {
        sorted = rec__malloc(count * sizeof *sorted);
        if (!sorted) {
            rec__free(used);
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < c->dict.n; i++)
        if (used[i])
            sorted[k++] = c->dict.strings[i];
    if (count > 1)
        qsort(sorted, count, sizeof *sorted, compare_strings);
    if (sorted != out) {
        if (cap > 0)
            memcpy(out, sorted, cap * sizeof *out);
        rec__free(sorted);
    }
    rec__free(used);
    *n_out = count;
    return REC_OK;
}

rec_status rec_dataset_numbers(double *out, size_t n, const rec_dataset *ds, uint32_t col)
{
    static const char fn[] = "rec_dataset_numbers";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    rec_status rc = check_column(fn, ds, col, REC_COLUMN_NUMBER);
    if (rc != REC_OK)
        return rc;
    if (n != ds->n_rows)
        return rec__error(REC_ESHAPE, "%s: n = %zu but the dataset has %zu rows", fn, n,
                          ds->n_rows);
    if (n > 0)
        memcpy(out, ds->cols[col].numbers, n * sizeof *out);
    return REC_OK;
}

/* ---- subsets and splits -------------------------------------------------------------- */

/* dst = the given rows of src (rows already checked). */
static rec_status copy_column_rows(rec__column *dst, const rec__column *src,
                                   const uint32_t *rows, size_t n)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->name = rec__strdup(src->name);
    if (!dst->name)
        return REC_ENOMEM;
    size_t bytes;
    if (src->type == REC_COLUMN_NUMBER) {
        if (!rec__alloc_mul(n, sizeof *dst->numbers, &bytes) ||
            !(dst->numbers = rec__malloc(bytes)))
            return REC_ENOMEM;
        for (size_t i = 0; i < n; i++)
            dst->numbers[i] = src->numbers[rows[i]];
        return REC_OK;
    }
    if (rec__dict_copy(&dst->dict, &src->dict) != REC_OK)
        return REC_ENOMEM;
    if (src->type == REC_COLUMN_STRING) {
        if (!rec__alloc_mul(n, sizeof *dst->codes, &bytes) || !(dst->codes = rec__malloc(bytes)))
            return REC_ENOMEM;
        for (size_t i = 0; i < n; i++)
            dst->codes[i] = src->codes[rows[i]];
        return REC_OK;
    }
    /* string lists: new offsets from the chosen rows' lengths, then their codes */
    if (!rec__alloc_mul(n + 1, sizeof *dst->offsets, &bytes) ||
        !(dst->offsets = rec__malloc(bytes)))
        return REC_ENOMEM;
    dst->offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = src->offsets[rows[i] + 1] - src->offsets[rows[i]];
        if (dst->offsets[i] > SIZE_MAX - len)
            return REC_ENOMEM;
        dst->offsets[i + 1] = dst->offsets[i] + len;
    }
    if (!rec__alloc_mul(dst->offsets[n], sizeof *dst->codes, &bytes) ||
        !(dst->codes = rec__malloc(bytes)))
        return REC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t from = src->offsets[rows[i]];
        memcpy(dst->codes + dst->offsets[i], src->codes + from,
               (dst->offsets[i + 1] - dst->offsets[i]) * sizeof *dst->codes);
    }
    return REC_OK;
}

/* Subset without argument checks beyond the rows (shared with shuffle_split). */
static rec_status subset(rec_dataset **out, const rec_dataset *ds, const uint32_t *rows,
                         size_t n, const char *fn)
{
    *out = NULL;
    rec_dataset *sub = NULL;
    rec_status rc = rec_dataset_create(&sub, n);
    if (rc != REC_OK)
        return rec__error(rc, "%s: %s", fn, rc == REC_ENOMEM ? "out of memory" : "too many rows");
    sub->cols = rec__calloc(ds->n_cols, sizeof *sub->cols);
    if (!sub->cols)
        goto nomem;
    sub->cap_cols = ds->n_cols;
    for (size_t j = 0; j < ds->n_cols; j++) {
        /* count the column before filling it so a failure releases it with the others */
        sub->n_cols++;
        if (copy_column_rows(&sub->cols[j], &ds->cols[j], rows, n) != REC_OK)
            goto nomem;
    }
    *out = sub;
    return REC_OK;
nomem:
    rec_dataset_free(sub);
    return rec__error(REC_ENOMEM, "%s: out of memory", fn);
}

rec_status rec_dataset_subset(rec_dataset **out, const rec_dataset *ds, const uint32_t *rows,
                              size_t n)
{
    static const char fn[] = "rec_dataset_subset";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!ds)
        return rec__error(REC_EINVAL, "%s: ds is NULL", fn);
    if (!rows && n > 0)
        return rec__error(REC_EINVAL, "%s: rows is NULL", fn);
    if ((uint64_t)n > UINT32_MAX)
        return rec__error(REC_EINVAL, "%s: n = %zu is not below 2^32", fn, n);
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= ds->n_rows)
            return rec__error(REC_EINVAL, "%s: rows[%zu] = %u out of range (%zu rows)", fn, i,
                              (unsigned)rows[i], ds->n_rows);
    return subset(out, ds, rows, n, fn);
}

rec_status rec_dataset_shuffle_split(rec_dataset **first, rec_dataset **second,
                                     const rec_dataset *ds, size_t n_first, uint64_t seed)
{
    static const char fn[] = "rec_dataset_shuffle_split";
    if (first)
        *first = NULL;
    if (second)
        *second = NULL;
    if (!first || !second || !ds)
        return rec__error(REC_EINVAL, "%s: %s is NULL", fn,
                          !first ? "first" : !second ? "second" : "ds");
    size_t n = ds->n_rows;
    if (n_first > n)
        return rec__error(REC_EINVAL, "%s: n_first = %zu exceeds the %zu rows", fn, n_first,
                          n);
    /* order = 0..n-1 shuffled (Fisher-Yates, rec__rng seeded by seed): the same permutation
     * as rec_rng_create(seed) + rec_rng_shuffle_u32, so callers can reproduce it. */
    uint32_t *order = rec__malloc(n * sizeof *order); /* n < 2^32: no overflow */
    if (!order)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    rec__rng rng;
    rec__rng_seed(&rng, seed);
    rec__rng_shuffle_u32(&rng, order, n);

    rec_status rc = subset(first, ds, order, n_first, fn);
    if (rc == REC_OK)
        rc = subset(second, ds, order + n_first, n - n_first, fn);
    rec__free(order);
    if (rc != REC_OK) {
        rec_dataset_free(*first);
        *first = NULL;
    }
    return rc;
}
