/* The serving state of a model (rec__serving, model.h): the item catalogue, the items each user
 * has seen, the label range and the clip setting. lib/infer fills it (catalog.c, seen.c,
 * clip.c) and serves from it (serve.c), lib/io saves and loads it; what both need lives here,
 * below them. */
#include "model/model.h"

#include <string.h>

void rec__serving_catalog_release(rec__catalog *c)
{
    rec_dataset_free(c->items);
    rec__free(c->key);
    memset(c, 0, sizeof *c);
}

void rec__serving_seen_release(rec__seen *s)
{
    rec__free(s->key);
    rec__dict_release(&s->users);
    rec__free(s->offsets);
    rec__free(s->items);
    memset(s, 0, sizeof *s);
}

void rec__serving_release(rec__serving *s)
{
    rec__serving_catalog_release(&s->cat);
    rec__serving_seen_release(&s->seen);
    memset(s, 0, sizeof *s);
}

rec_status rec__serving_no_catalog(const char *fn)
{
    return rec__error(REC_ESTATE, "%s: the model has no item catalogue (call "
                      "rec_model_set_catalog)", fn);
}

rec_column_type rec__model_column_type(rec_feature_kind k)
{
    switch (k) {
    case REC_FEATURE_BUCKETIZED:
    case REC_FEATURE_NUMERIC: return REC_COLUMN_NUMBER;
    case REC_FEATURE_CATEGORICAL_LIST: return REC_COLUMN_STRING_LIST;
    case REC_FEATURE_CATEGORICAL:
    case REC_FEATURE_TEXT: break;
    }
    return REC_COLUMN_STRING;
}

static const char *type_name(int t)
{
    static const char *tn[] = {"string", "number", "string list"};
    return t >= 0 && t <= 2 ? tn[t] : "unknown";
}

rec_status rec__serving_check_columns(const rec_model *m, const rec_dataset *ds, rec_side side,
                                      const char *what, const char *fn)
{
    static const char *sides[] = {"user-side", "item-side"};
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        if (f->side != side)
            continue;
        const rec__column *c = rec__dataset_find(ds, f->column);
        int want = (int)rec__model_column_type(f->kind);
        if (!c)
            return rec__error(REC_ENOTFOUND, "%s: %s has no column '%s', which %s feature %zu "
                              "(%s) reads", fn, what, f->column, sides[side], i,
                              rec__model_kind_name(f->kind));
        if (c->type != want)
            return rec__error(REC_EINVAL, "%s: column '%s' of %s is a %s column; %s feature "
                              "%zu (%s) reads a %s column", fn, f->column, what,
                              type_name(c->type), sides[side], i,
                              rec__model_kind_name(f->kind), type_name(want));
    }
    return REC_OK;
}

rec_status rec__serving_check_key(const rec_dataset *ds, const char *key, const char *param,
                                  const char *what, const char *fn)
{
    const rec__column *k = rec__dataset_find(ds, key);
    if (!k)
        return rec__error(REC_ENOTFOUND, "%s: %s has no column '%s' (%s)", fn, what, key, param);
    if (k->type != REC_COLUMN_STRING)
        return rec__error(REC_EINVAL, "%s: column '%s' of %s (%s) is a %s column, not a string "
                          "column of ids", fn, key, what, param, type_name(k->type));
    return REC_OK;
}

int rec__serving_item(const rec__catalog *c, const char *s, uint32_t *row)
{
    if (!c->items || !s)
        return 0;
    /* the key's strings are distinct and were added in row order: code = row */
    const rec__column *k = rec__dataset_find(c->items, c->key);
    return k && rec__dict_find(&k->dict, s, strlen(s), row);
}

const char *rec__serving_item_id(const rec__catalog *c, size_t row)
{
    const rec__column *k = c->items ? rec__dataset_find(c->items, c->key) : NULL;
    if (!k || row >= c->items->n_rows)
        return NULL;
    return k->dict.strings[k->codes[row]];
}
