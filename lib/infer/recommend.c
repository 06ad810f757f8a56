/* Top-k recommendation for one user over a set of candidate items. The user's feature values
 * are broadcast next to every candidate's item features in a temporary dataset, which the
 * ordinary prediction path scores; a bounded selection then keeps the k best. Built on the
 * public API only, so it inherits prediction's validation and thread-safety (const model). */
#include "infer/infer.h"

#include <stdlib.h>
#include <string.h>

/* Copy column `name` into dst: from the query row, repeated n times, when from_query; else
 * from every row of candidates. Skips columns already present in dst. */
static rec_status copy_column(rec_dataset *dst, const char *name, const rec_dataset *candidates,
                              const rec_dataset *query, size_t query_row, int from_query,
                              const char *fn)
{
    uint32_t probe;
    if (rec_dataset_column(&probe, dst, name) == REC_OK)
        return REC_OK;
    const rec_dataset *src = from_query ? query : candidates;
    uint32_t col;
    if (rec_dataset_column(&col, src, name) != REC_OK)
        return rec__error(REC_ENOTFOUND, "%s: column '%s' is missing from the %s dataset", fn,
                          name, from_query ? "query" : "candidates");
    size_t n = rec_dataset_size(dst);
    rec_status rc = REC_OK;
    switch (rec_dataset_column_type(src, col)) {
    case REC_COLUMN_STRING: {
        const char **v = rec__malloc(n * sizeof *v);
        if (!v)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t i = 0; i < n; i++)
            v[i] = rec_dataset_string(src, col, from_query ? query_row : i);
        rc = rec_dataset_add_strings(dst, name, v, n);
        rec__free((void *)v);
        break;
    }
    case REC_COLUMN_NUMBER: {
        double *v = rec__malloc(n * sizeof *v);
        if (!v)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t i = 0; i < n; i++)
            v[i] = rec_dataset_number(src, col, from_query ? query_row : i);
        rc = rec_dataset_add_numbers(dst, name, v, n);
        rec__free(v);
        break;
    }
    default: {
        /* string lists: gather each row's strings into one CSR array */
        size_t total = 0, cnt;
        for (size_t i = 0; i < n; i++) {
            rec_dataset_string_list(NULL, 0, &cnt, src, col, from_query ? query_row : i);
            total += cnt;
        }
        const char **v = rec__malloc((total ? total : 1) * sizeof *v);
        size_t *off = rec__malloc((n + 1) * sizeof *off);
        if (!v || !off) {
            rec__free((void *)v);
            rec__free(off);
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        }
        off[0] = 0;
        for (size_t i = 0; i < n; i++) {
            rec_dataset_string_list(v + off[i], total - off[i], &cnt, src, col,
                                    from_query ? query_row : i);
            off[i + 1] = off[i] + cnt;
        }
        rc = rec_dataset_add_string_lists(dst, name, v, off, n);
        rec__free((void *)v);
        rec__free(off);
        break;
    }
    }
    return rc;
}

/* Min-heap of (score, row) on the k best so far: the root is the worst kept candidate.
 * "a worse than b" = lower score, or equal score and higher row (ties prefer low rows). */
static int worse(float sa, uint32_t ra, float sb, uint32_t rb)
{
    return sa < sb || (sa == sb && ra > rb);
}

static void swap_at(float *s, uint32_t *r, size_t i, size_t j)
{
    float ts = s[i];
    s[i] = s[j];
    s[j] = ts;
    uint32_t tr = r[i];
    r[i] = r[j];
    r[j] = tr;
}

static void sift_down(float *s, uint32_t *r, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && worse(s[l], r[l], s[m], r[m]))
            m = l;
        if (l + 1 < n && worse(s[l + 1], r[l + 1], s[m], r[m]))
            m = l + 1;
        if (m == i)
            return;
        swap_at(s, r, i, m);
        i = m;
    }
}

rec_status rec__infer_top_k(uint32_t *rows_out, float *scores_out, size_t *n_out, size_t k,
                            const float *pred, size_t n, const uint8_t *skip, const char *fn)
{
    *n_out = 0;
    size_t cap = k < n ? k : n, h = 0;
    if (cap == 0)
        return REC_OK;
    float *hs = rec__malloc(cap * sizeof *hs);
    uint32_t *hr = rec__malloc(cap * sizeof *hr);
    if (!hs || !hr) {
        rec__free(hs);
        rec__free(hr);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    for (size_t i = 0; i < n; i++) {
        if (skip && skip[i])
            continue;
        if (h < cap) {
            /* grow the heap: sift the new leaf up */
            size_t j = h++;
            hs[j] = pred[i];
            hr[j] = (uint32_t)i;
            while (j > 0 && worse(hs[j], hr[j], hs[(j - 1) / 2], hr[(j - 1) / 2])) {
                swap_at(hs, hr, j, (j - 1) / 2);
                j = (j - 1) / 2;
            }
        } else if (worse(hs[0], hr[0], pred[i], (uint32_t)i)) {
            hs[0] = pred[i];
            hr[0] = (uint32_t)i;
            sift_down(hs, hr, h, 0);
        }
    }
    /* pop the worst to the back: the arrays end sorted best first */
    *n_out = h;
    for (size_t end = h; end > 0; end--) {
        rows_out[end - 1] = hr[0];
        if (scores_out)
            scores_out[end - 1] = hs[0];
        hs[0] = hs[end - 1];
        hr[0] = hr[end - 1];
        sift_down(hs, hr, end - 1, 0);
    }
    rec__free(hs);
    rec__free(hr);
    return REC_OK;
}

rec_status rec_model_recommend(uint32_t *rows_out, float *scores_out, size_t *n_out, size_t k,
                               const rec_model *m, const rec_dataset *candidates,
                               const rec_dataset *query, size_t query_row,
                               const uint8_t *exclude)
{
    static const char fn[] = "rec_model_recommend";
    if (!rows_out || !n_out || !m || !candidates || !query)
        return rec__error(REC_EINVAL, "%s: rows_out, n_out, model, candidates and query must "
                          "be non-NULL", fn);
    *n_out = 0;
    if (k == 0)
        return rec__error(REC_EINVAL, "%s: k must be > 0", fn);
    if (!m->built)
        return rec__error(REC_ESTATE, "%s: the model is not built", fn);
    if (query_row >= rec_dataset_size(query))
        return rec__error(REC_EINVAL, "%s: query_row %zu is beyond the query's %zu rows", fn,
                          query_row, rec_dataset_size(query));
    size_t n = rec_dataset_size(candidates);
    if (n == 0)
        return REC_OK;

    rec_dataset *joined = NULL;
    float *pred = NULL;
    rec_status rc = rec_dataset_create(&joined, n);
    /* user side first, so a column read by both sides comes from the query */
    for (int side = REC_SIDE_USER; !rc && side <= REC_SIDE_ITEM; side++)
        for (size_t i = 0; !rc && i < m->n_feats; i++)
            if (m->feats[i].side == (rec_side)side)
                rc = copy_column(joined, m->feats[i].column, candidates, query, query_row,
                                 side == REC_SIDE_USER, fn);
    if (!rc && !(pred = rec__malloc(n * sizeof *pred)))
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (!rc)
        rc = rec_model_predict(m, joined, pred, n);
    if (!rc)
        rc = rec__infer_top_k(rows_out, scores_out, n_out, k, pred, n, exclude, fn);
    rec__free(pred);
    rec_dataset_free(joined);
    return rc;
}
