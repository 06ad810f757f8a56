/* Serving from the item catalogue (rec_model_recommend_user, _recommend_users, _score_items).
 * The user-side columns of one row of users are broadcast next to the catalogue's columns in
 * a view: a dataset whose columns point into users and the catalogue wherever they can, so a
 * call copies no string of the catalogue and interns one string per user-side column. The
 * ordinary prediction path scores the view (so clipping and a posterior mean apply, and a
 * shared const model serves several threads), and the bounded selection of recommend.c keeps
 * the k best items that the call's mask does not exclude. */
#include "infer/infer.h"

#include <stdio.h>
#include <string.h>

/* What a column of the view allocated, beside what it borrows. */
enum { OWN_DATA = 1, OWN_DICT = 2 };

typedef struct view {
    rec_dataset ds;     /* its columns: rec__column records pointing into users, the catalogue
                         * or the view's own arrays */
    unsigned char *own; /* per column: OWN_DATA (codes, numbers, offsets), OWN_DICT */
} view;

static void view_release(view *v)
{
    for (size_t c = 0; c < v->ds.n_cols; c++) {
        rec__column *col = &v->ds.cols[c];
        if (v->own[c] & OWN_DATA) {
            rec__free(col->numbers);
            rec__free(col->codes);
            rec__free(col->offsets);
        }
        if (v->own[c] & OWN_DICT)
            rec__dict_release(&col->dict);
    }
    rec__free(v->ds.cols);
    rec__free(v->own);
    memset(v, 0, sizeof *v);
}

/* src's value at `row`, on each of n rows: a string column gets a dictionary of that one
 * string, a list column borrows src's dictionary. 0 when out of memory. */
static int broadcast(rec__column *col, unsigned char *own, const rec__column *src, size_t row,
                     size_t n)
{
    *col = *src;
    col->numbers = NULL;
    col->codes = NULL;
    col->offsets = NULL;
    *own = OWN_DATA;
    switch (src->type) {
    case REC_COLUMN_STRING: {
        memset(&col->dict, 0, sizeof col->dict);
        *own |= OWN_DICT;
        const char *s = src->dict.strings[src->codes[row]];
        uint32_t code;
        col->codes = rec__calloc(n, sizeof *col->codes); /* every row: code 0 */
        return col->codes && rec__dict_intern(&col->dict, s, strlen(s), &code) == REC_OK;
    }
    case REC_COLUMN_NUMBER:
        col->numbers = rec__malloc(n * sizeof *col->numbers);
        for (size_t i = 0; col->numbers && i < n; i++)
            col->numbers[i] = src->numbers[row];
        return col->numbers != NULL;
    default: {
        size_t lo = src->offsets[row], len = src->offsets[row + 1] - lo, total, bytes;
        if (!rec__alloc_mul(n, len, &total) || !rec__alloc_mul(total ? total : 1, 4, &bytes))
            return 0;
        col->offsets = rec__malloc((n + 1) * sizeof *col->offsets);
        col->codes = rec__malloc(bytes);
        if (!col->offsets || !col->codes)
            return 0;
        for (size_t i = 0; i < n; i++) {
            col->offsets[i] = i * len;
            memcpy(col->codes + i * len, src->codes + lo, len * sizeof *col->codes);
        }
        col->offsets[n] = total;
        return 1;
    }
    }
}

/* src itself (rows NULL), or its rows[0..n) with src's dictionary borrowed. 0 when out of
 * memory. */
static int take(rec__column *col, unsigned char *own, const rec__column *src,
                const uint32_t *rows, size_t n)
{
    *col = *src;
    *own = 0;
    if (!rows)
        return 1;
    col->numbers = NULL;
    col->codes = NULL;
    col->offsets = NULL;
    *own = OWN_DATA;
    switch (src->type) {
    case REC_COLUMN_STRING:
        col->codes = rec__malloc(n * sizeof *col->codes);
        for (size_t i = 0; col->codes && i < n; i++)
            col->codes[i] = src->codes[rows[i]];
        return col->codes != NULL;
    case REC_COLUMN_NUMBER:
        col->numbers = rec__malloc(n * sizeof *col->numbers);
        for (size_t i = 0; col->numbers && i < n; i++)
            col->numbers[i] = src->numbers[rows[i]];
        return col->numbers != NULL;
    default: {
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += src->offsets[rows[i] + 1] - src->offsets[rows[i]];
        col->offsets = rec__malloc((n + 1) * sizeof *col->offsets);
        col->codes = rec__malloc((total ? total : 1) * sizeof *col->codes);
        if (!col->offsets || !col->codes)
            return 0;
        col->offsets[0] = 0;
        for (size_t i = 0; i < n; i++) {
            size_t lo = src->offsets[rows[i]], len = src->offsets[rows[i] + 1] - lo;
            memcpy(col->codes + col->offsets[i], src->codes + lo, len * sizeof *col->codes);
            col->offsets[i + 1] = col->offsets[i] + len;
        }
        return 1;
    }
    }
}

/* The rows to score: row `row` of users against the catalogue (rows NULL: all n items, else
 * the items rows[0..n)). User side first, so a column both sides read comes from users, as
 * in rec_model_recommend. */
static rec_status view_build(view *v, const rec_model *m, const rec_dataset *users, size_t row,
                             const uint32_t *rows, size_t n, const char *fn)
{
    memset(v, 0, sizeof *v);
    v->ds.n_rows = n;
    v->ds.cols = rec__calloc(m->n_feats, sizeof *v->ds.cols);
    v->own = rec__calloc(m->n_feats, 1);
    int ok = v->ds.cols && v->own;
    for (int side = REC_SIDE_USER; ok && side <= REC_SIDE_ITEM; side++)
        for (size_t i = 0; ok && i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            if (f->side != (rec_side)side || rec__dataset_find(&v->ds, f->column))
                continue;
            size_t c = v->ds.n_cols++; /* counted first: view_release frees a partial one */
            if (side == REC_SIDE_USER)
                ok = broadcast(&v->ds.cols[c], &v->own[c], rec__dataset_find(users, f->column),
                               row, n);
            else
                ok = take(&v->ds.cols[c], &v->own[c],
                          rec__dataset_find(m->serve.cat.items, f->column), rows, n);
        }
    if (!ok) {
        view_release(v);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    return REC_OK;
}

/* Predictions for row `row` of users and the catalogue's items (all, or rows[0..n)). */
static rec_status score(float *out, const rec_model *m, const rec_dataset *users, size_t row,
                        const uint32_t *rows, size_t n, const char *fn)
{
    view v;
    rec_status rc = view_build(&v, m, users, row, rows, n, fn);
    if (rc)
        return rc;
    rc = rec_model_predict(m, &v.ds, out, n);
    view_release(&v);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", rec_last_error());
        rc = rec__error(rc, "%s: %s", fn, msg);
    }
    return rc;
}

/* What every call checks after its arguments: a built model with a catalogue, users with the
 * user-side columns and, for exclude_seen, seen items and their user-id column. */
static rec_status check_serving(const rec_model *m, const rec_dataset *users, int exclude_seen,
                                const char *fn)
{
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (!m->serve.cat.items)
        return rec__serving_no_catalog(fn);
    if ((rc = rec__serving_check_columns(m, users, REC_SIDE_USER, "users", fn)))
        return rc;
    if (!exclude_seen)
        return REC_OK;
    if (!m->serve.seen.key)
        return rec__error(REC_ESTATE, "%s: exclude_seen: the model has no seen items (call "
                          "rec_model_set_seen)", fn);
    return rec__serving_check_key(users, m->serve.seen.key,
                                  "the user key given to rec_model_set_seen", "users", fn);
}

static rec_status check_row(const rec_dataset *users, size_t row, const char *fn)
{
    if (row >= users->n_rows)
        return rec__error(REC_EINVAL, "%s: row %zu is beyond the users' %zu rows", fn, row,
                          users->n_rows);
    return REC_OK;
}

/* Scratch of the recommendations of one call: per catalogue item its score and whether it is
 * excluded, and the rows of the k best. */
typedef struct work {
    float *pred;
    unsigned char *mask;
    uint32_t *best;
} work;

static void work_release(work *w)
{
    rec__free(w->pred);
    rec__free(w->mask);
    rec__free(w->best);
    memset(w, 0, sizeof *w);
}

static rec_status work_alloc(work *w, size_t n, size_t k, const char *fn)
{
    w->pred = rec__malloc(n * sizeof *w->pred);
    w->mask = rec__malloc(n);
    w->best = rec__malloc((k < n ? k : n) * sizeof *w->best);
    if (!w->pred || !w->mask || !w->best) {
        work_release(w);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    return REC_OK;
}

/* The mask of row `row`: the ids of exclude that are in the catalogue and, with exclude_seen,
 * the items recorded for the row's user id. */
static void mask_row(unsigned char *mask, const rec_model *m, const rec_dataset *users,
                     size_t row, const char *const *exclude, size_t n_exclude, int exclude_seen)
{
    const rec__catalog *cat = &m->serve.cat;
    const rec__seen *seen = &m->serve.seen;
    memset(mask, 0, cat->items->n_rows);
    for (size_t j = 0; j < n_exclude; j++) {
        uint32_t r;
        if (rec__serving_item(cat, exclude[j], &r))
            mask[r] = 1;
    }
    if (!exclude_seen)
        return;
    const rec__column *uc = rec__dataset_find(users, seen->key);
    const char *id = uc->dict.strings[uc->codes[row]];
    uint32_t u;
    if (rec__dict_find(&seen->users, id, strlen(id), &u))
        for (size_t j = seen->offsets[u]; j < seen->offsets[u + 1]; j++)
            mask[seen->items[j]] = 1;
}

/* One row's recommendations, k > 0, into ids_out, scores_out (may be NULL), *n_out. */
static rec_status recommend_row(const char **ids_out, float *scores_out, size_t *n_out, size_t k,
                                const rec_model *m, const rec_dataset *users, size_t row,
                                const char *const *exclude, size_t n_exclude, int exclude_seen,
                                const work *w, const char *fn)
{
    const rec__catalog *cat = &m->serve.cat;
    const size_t n = cat->items->n_rows;
    size_t got = 0;
    rec_status rc = score(w->pred, m, users, row, NULL, n, fn);
    if (rc)
        return rc;
    mask_row(w->mask, m, users, row, exclude, n_exclude, exclude_seen);
    if ((rc = rec__infer_top_k(w->best, scores_out, &got, k, w->pred, n, w->mask, fn)))
        return rc;
    for (size_t i = 0; i < got; i++)
        ids_out[i] = rec__serving_item_id(cat, w->best[i]);
    *n_out = got;
    return REC_OK;
}

rec_status rec_model_recommend_user(const char **ids_out, float *scores_out, size_t *n_out,
                                    size_t k, const rec_model *m, const rec_dataset *users,
                                    size_t row, const char *const *exclude, size_t n_exclude,
                                    int exclude_seen)
{
    static const char fn[] = "rec_model_recommend_user";
    if (!n_out)
        return rec__error(REC_EINVAL, "%s: n_out is NULL", fn);
    *n_out = 0;
    if (!ids_out && k > 0)
        return rec__error(REC_EINVAL, "%s: ids_out is NULL (k = %zu)", fn, k);
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!users)
        return rec__error(REC_EINVAL, "%s: users is NULL", fn);
    if (!exclude && n_exclude > 0)
        return rec__error(REC_EINVAL, "%s: exclude is NULL (n_exclude = %zu)", fn, n_exclude);
    for (size_t j = 0; j < n_exclude; j++)
        if (!exclude[j])
            return rec__error(REC_EINVAL, "%s: exclude[%zu] is NULL", fn, j);
    rec_status rc = check_serving(m, users, exclude_seen, fn);
    if (!rc)
        rc = check_row(users, row, fn);
    if (rc || k == 0)
        return rc;
    work w;
    if ((rc = work_alloc(&w, m->serve.cat.items->n_rows, k, fn)))
        return rc;
    rc = recommend_row(ids_out, scores_out, n_out, k, m, users, row, exclude, n_exclude,
                       exclude_seen, &w, fn);
    work_release(&w);
    return rc;
}

rec_status rec_model_recommend_users(const char **ids_out, float *scores_out, size_t *n_out,
                                     size_t k, const rec_model *m, const rec_dataset *users,
                                     int exclude_seen)
{
    static const char fn[] = "rec_model_recommend_users";
    if (!n_out)
        return rec__error(REC_EINVAL, "%s: n_out is NULL", fn);
    if (!ids_out && k > 0)
        return rec__error(REC_EINVAL, "%s: ids_out is NULL (k = %zu)", fn, k);
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!users)
        return rec__error(REC_EINVAL, "%s: users is NULL", fn);
    const size_t rows = users->n_rows;
    size_t slots;
    if (!rec__alloc_mul(rows, k, &slots) || !rec__alloc_mul(slots, sizeof *ids_out, &slots))
        return rec__error(REC_EINVAL, "%s: %zu users times k = %zu slots overflow", fn, rows,
                          k);
    rec_status rc = check_serving(m, users, exclude_seen, fn);
    if (rc)
        return rc;
    for (size_t r = 0; r < rows; r++)
        n_out[r] = 0;
    if (k == 0 || rows == 0)
        return REC_OK;
    work w;
    if ((rc = work_alloc(&w, m->serve.cat.items->n_rows, k, fn)))
        return rc;
    for (size_t r = 0; r < rows && !rc; r++)
        rc = recommend_row(ids_out + r * k, scores_out ? scores_out + r * k : NULL, &n_out[r], k,
                           m, users, r, NULL, 0, exclude_seen, &w, fn);
    work_release(&w);
    return rc;
}

rec_status rec_model_score_items(float *scores_out, size_t n, const rec_model *m,
                                 const rec_dataset *users, size_t row,
                                 const char *const *item_ids)
{
    static const char fn[] = "rec_model_score_items";
    if (!scores_out && n > 0)
        return rec__error(REC_EINVAL, "%s: scores_out is NULL (n = %zu)", fn, n);
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!users)
        return rec__error(REC_EINVAL, "%s: users is NULL", fn);
    if (!item_ids && n > 0)
        return rec__error(REC_EINVAL, "%s: item_ids is NULL (n = %zu)", fn, n);
    for (size_t j = 0; j < n; j++)
        if (!item_ids[j])
            return rec__error(REC_EINVAL, "%s: item_ids[%zu] is NULL", fn, j);
    rec_status rc = check_serving(m, users, 0, fn);
    if (!rc)
        rc = check_row(users, row, fn);
    if (rc || n == 0)
        return rc;
    uint32_t *rows = rec__malloc(n * sizeof *rows);
    if (!rows)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t j = 0; j < n && !rc; j++)
        if (!rec__serving_item(&m->serve.cat, item_ids[j], &rows[j])) {
            char q[REC__QUOTE_CAP];
            rc = rec__error(REC_ENOTFOUND, "%s: item '%s' (item_ids[%zu]) is not in the "
                            "catalogue", fn,
                            rec__text_quote(q, item_ids[j], strlen(item_ids[j])), j);
        }
    if (!rc)
        rc = score(scores_out, m, users, row, rows, n, fn);
    rec__free(rows);
    return rc;
}
