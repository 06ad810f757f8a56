/* The items each user has seen (rec_model_set_seen), which recommendations can leave out
 * (exclude_seen): per user id, the catalogue rows of the items of their interactions, sorted
 * and without repeats (rec__seen, model.h). Items that are not in the catalogue are not
 * recorded: they could never be recommended anyway. */
#include "infer/infer.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The lists of n (user << 32 | catalogue row) pairs, for n_users users: sorted, without
 * repeats, into out's offsets and items (out->users is set by the caller). */
static rec_status lists_of_pairs(rec__seen *out, uint64_t *pairs, size_t n, size_t n_users,
                                 const char *fn)
{
    qsort(pairs, n, sizeof *pairs, cmp_u64);
    out->offsets = rec__calloc(n_users + 1, sizeof *out->offsets);
    out->items = rec__malloc((n ? n : 1) * sizeof *out->items);
    if (!out->offsets || !out->items)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && pairs[i] == pairs[i - 1])
            continue;
        out->items[k++] = (uint32_t)pairs[i];
        out->offsets[(pairs[i] >> 32) + 1]++;
    }
    for (size_t u = 0; u < n_users; u++)
        out->offsets[u + 1] += out->offsets[u];
    return REC_OK;
}

rec_status rec__infer_seen_remap(rec__seen *out, const rec__seen *old, const rec__catalog *from,
                                 const rec__catalog *to, const char *fn)
{
    memset(out, 0, sizeof *out);
    size_t total = old->offsets[old->users.n];
    uint64_t *pairs = rec__malloc((total ? total : 1) * sizeof *pairs);
    out->key = rec__strdup(old->key);
    rec_status rc = !pairs || !out->key ? REC_ENOMEM : rec__dict_copy(&out->users, &old->users);
    if (rc) {
        rec__free(pairs);
        rec__serving_seen_release(out);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    size_t n = 0;
    for (size_t u = 0; u < old->users.n; u++)
        for (size_t j = old->offsets[u]; j < old->offsets[u + 1]; j++) {
            uint32_t row;
            if (rec__serving_item(to, rec__serving_item_id(from, old->items[j]), &row))
                pairs[n++] = (uint64_t)u << 32 | row;
        }
    rc = lists_of_pairs(out, pairs, n, old->users.n, fn);
    rec__free(pairs);
    if (rc)
        rec__serving_seen_release(out);
    return rc;
}

/* Catalogue row of each string of the interactions' item column (UINT32_MAX: not in it). */
static uint32_t *catalogue_rows(const rec__catalog *cat, const rec__column *items)
{
    uint32_t *row = rec__malloc((items->dict.n ? items->dict.n : 1) * sizeof *row);
    for (size_t c = 0; row && c < items->dict.n; c++)
        if (!rec__serving_item(cat, items->dict.strings[c], &row[c]))
            row[c] = UINT32_MAX;
    return row;
}

rec_status rec_model_set_seen(rec_model *m, const rec_dataset *interactions,
                              const char *user_key, const char *item_key)
{
    static const char fn[] = "rec_model_set_seen";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!interactions)
        return rec__error(REC_EINVAL, "%s: interactions is NULL", fn);
    if (!user_key || !*user_key)
        return rec__error(REC_EINVAL, "%s: user_key is NULL or empty", fn);
    if (!item_key || !*item_key)
        return rec__error(REC_EINVAL, "%s: item_key is NULL or empty", fn);
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    if (!m->serve.cat.items)
        return rec__serving_no_catalog(fn);
    if ((rc = rec__serving_check_key(interactions, user_key, "user_key", "interactions", fn)) ||
        (rc = rec__serving_check_key(interactions, item_key, "item_key", "interactions", fn)))
        return rc;
    const rec__column *uc = rec__dataset_find(interactions, user_key);
    const rec__column *ic = rec__dataset_find(interactions, item_key);
    const size_t n = interactions->n_rows;
    rec__seen seen = {0};
    uint32_t *row = catalogue_rows(&m->serve.cat, ic);
    /* user of each string of the user column, numbered in first-seen order of the rows with
     * a catalogue item (UINT32_MAX: none yet) */
    uint32_t *user = rec__malloc((uc->dict.n ? uc->dict.n : 1) * sizeof *user);
    uint64_t *pairs = rec__malloc((n ? n : 1) * sizeof *pairs);
    seen.key = rec__strdup(user_key);
    if (!row || !user || !pairs || !seen.key)
        rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    for (size_t c = 0; !rc && c < uc->dict.n; c++)
        user[c] = UINT32_MAX;
    size_t n_pairs = 0;
    for (size_t r = 0; !rc && r < n; r++) {
        uint32_t item = row[ic->codes[r]], code = uc->codes[r];
        if (item == UINT32_MAX)
            continue;
        if (user[code] == UINT32_MAX) {
            const char *s = uc->dict.strings[code];
            if (rec__dict_intern(&seen.users, s, strlen(s), &user[code]))
                rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
        }
        pairs[n_pairs++] = (uint64_t)user[code] << 32 | item;
    }
    if (!rc)
        rc = lists_of_pairs(&seen, pairs, n_pairs, seen.users.n, fn);
    rec__free(row);
    rec__free(user);
    rec__free(pairs);
    if (rc) {
        rec__serving_seen_release(&seen);
        return rc;
    }
    rec__serving_seen_release(&m->serve.seen);
    m->serve.seen = seen;
    return REC_OK;
}
