/* The item catalogue a model serves from (rec_model_set_catalog): one row per distinct item id,
 * the first row of each id in the caller's items, with a copy of every column an item-side
 * feature reads, so that a saved model scores its items without the training data. The
 * catalogue is a dataset of its own (rec__catalog, model.h), the candidate table that serve.c
 * broadcasts a user row against. */
#include "infer/infer.h"

#include <stdio.h>
#include <string.h>

/* Column c of the items, restricted to rows[0..n), added to dst under its own name. */
static rec_status copy_rows(rec_dataset *dst, const rec__column *c, const uint32_t *rows,
                            size_t n, const char *fn)
{
    rec_status rc = REC_OK;
    switch (c->type) {
    case REC_COLUMN_STRING: {
        const char **v = rec__malloc(n * sizeof *v);
        if (!v)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t i = 0; i < n; i++)
            v[i] = c->dict.strings[c->codes[rows[i]]];
        rc = rec_dataset_add_strings(dst, c->name, v, n);
        rec__free((void *)v);
        break;
    }
    case REC_COLUMN_NUMBER: {
        double *v = rec__malloc(n * sizeof *v);
        if (!v)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        for (size_t i = 0; i < n; i++)
            v[i] = c->numbers[rows[i]];
        rc = rec_dataset_add_numbers(dst, c->name, v, n);
        rec__free(v);
        break;
    }
    default: {
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += c->offsets[rows[i] + 1] - c->offsets[rows[i]];
        const char **v = rec__malloc((total ? total : 1) * sizeof *v);
        size_t *off = rec__malloc((n + 1) * sizeof *off);
        if (!v || !off) {
            rec__free((void *)v);
            rec__free(off);
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        }
        off[0] = 0;
        for (size_t i = 0; i < n; i++) {
            size_t lo = c->offsets[rows[i]], hi = c->offsets[rows[i] + 1];
            for (size_t j = lo; j < hi; j++)
                v[off[i] + j - lo] = c->dict.strings[c->codes[j]];
            off[i + 1] = off[i] + (hi - lo);
        }
        rc = rec_dataset_add_string_lists(dst, c->name, v, off, n);
        rec__free((void *)v);
        rec__free(off);
        break;
    }
    }
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", rec_last_error());
        return rec__error(rc, "%s: %s", fn, msg);
    }
    return REC_OK;
}

/* The first row of each distinct key of the items, in row order: the catalogue's rows. */
static rec_status first_rows(uint32_t **rows_out, size_t *n_out, const rec__column *key,
                             size_t n_rows, const char *fn)
{
    uint32_t *rows = rec__malloc(n_rows * sizeof *rows);
    unsigned char *met = rec__calloc(key->dict.n ? key->dict.n : 1, 1);
    if (!rows || !met) {
        rec__free(rows);
        rec__free(met);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    size_t n = 0;
    for (size_t r = 0; r < n_rows; r++)
        if (!met[key->codes[r]]) {
            met[key->codes[r]] = 1;
            rows[n++] = (uint32_t)r;
        }
    rec__free(met);
    *rows_out = rows;
    *n_out = n;
    return REC_OK;
}

/* The catalogue of the items: the key column, then the item-side features' columns. */
static rec_status build(rec__catalog *out, const rec_model *m, const rec_dataset *items,
                        const char *item_key, const char *fn)
{
    memset(out, 0, sizeof *out);
    const rec__column *key = rec__dataset_find(items, item_key);
    uint32_t *rows = NULL;
    size_t n = 0;
    rec_status rc = first_rows(&rows, &n, key, items->n_rows, fn);
    if (!rc && (rc = rec_dataset_create(&out->items, n)))
        rc = rec__error(rc, "%s: out of memory", fn);
    if (!rc)
        rc = copy_rows(out->items, key, rows, n, fn);
    for (size_t i = 0; !rc && i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        if (f->side == REC_SIDE_ITEM && !rec__dataset_find(out->items, f->column))
            rc = copy_rows(out->items, rec__dataset_find(items, f->column), rows, n, fn);
    }
    if (!rc && !(out->key = rec__strdup(item_key)))
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    rec__free(rows);
    if (rc)
        rec__serving_catalog_release(out);
    return rc;
}

rec_status rec_model_set_catalog(rec_model *m, const rec_dataset *items, const char *item_key)
{
    static const char fn[] = "rec_model_set_catalog";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!items)
        return rec__error(REC_EINVAL, "%s: items is NULL", fn);
    if (!item_key || !*item_key)
        return rec__error(REC_EINVAL, "%s: item_key is NULL or empty", fn);
    rec_status rc = rec__model_check_built(m, fn);
    if (!rc)
        rc = rec__serving_check_key(items, item_key, "item_key", "items", fn);
    if (!rc)
        rc = rec__serving_check_columns(m, items, REC_SIDE_ITEM, "items", fn);
    if (rc)
        return rc;
    if (items->n_rows == 0)
        return rec__error(REC_EINVAL, "%s: items has no rows", fn);
    rec__catalog cat;
    rec__seen seen = {0};
    if ((rc = build(&cat, m, items, item_key, fn)))
        return rc;
    /* the seen lists follow the items to their rows in the new catalogue */
    if (m->serve.seen.key &&
        (rc = rec__infer_seen_remap(&seen, &m->serve.seen, &m->serve.cat, &cat, fn))) {
        rec__serving_catalog_release(&cat);
        return rc;
    }
    rec__serving_catalog_release(&m->serve.cat);
    m->serve.cat = cat;
    if (m->serve.seen.key) {
        rec__serving_seen_release(&m->serve.seen);
        m->serve.seen = seen;
    }
    return REC_OK;
}

size_t rec_model_catalog_size(const rec_model *m)
{
    return m && m->serve.cat.items ? m->serve.cat.items->n_rows : 0;
}

const char *rec_model_catalog_item(const rec_model *m, size_t i)
{
    return m ? rec__serving_item_id(&m->serve.cat, i) : NULL;
}
