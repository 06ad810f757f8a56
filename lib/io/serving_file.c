/* The serving sections of a model file (format version 2, docs/file-format.md): RANG (the
 * label range and the clip setting), CATL (the item catalogue, column by column) and SEEN (each
 * user's seen catalogue rows). model_file.c writes them after RNGS when the model has them
 * and reads them back; they are checked as strictly as the other sections: every count
 * against the bytes left before anything is allocated for it, strings UTF-8 without NUL, the
 * catalogue rebuilt through the dataset constructors and checked against the model's
 * item-side features (exactly the columns rec_model_set_catalog copies), its ids distinct,
 * seen rows in range and increasing. */
#include "io/io.h"

#include <math.h>
#include <string.h>

static const char load_fn[] = "rec_model_load";

int rec__io_has_serving(const rec_model *m, int *rang, int *catl, int *seen)
{
    *rang = m->serve.has_range;
    *catl = m->serve.cat.items != NULL;
    *seen = m->serve.seen.key != NULL;
    return *rang || *catl || *seen || m->serve.clip;
}

rec_status rec__io_check_serving(const rec_model *m, const char *fn)
{
    const rec_dataset *ds = m->serve.cat.items;
    for (size_t c = 0; ds && c < ds->n_cols; c++) {
        const rec__column *col = &ds->cols[c];
        if (col->type == REC_COLUMN_STRING_LIST && col->offsets[ds->n_rows] > UINT32_MAX)
            return rec__error(REC_EINVAL, "%s: catalogue column '%s' holds more than 2^32 - 1 "
                              "strings", fn, col->name);
    }
    return REC_OK;
}

/* ---- writing -------------------------------------------------------------------------------- */

void rec__io_write_rang(rec__io_writer *w, const rec_model *m)
{
    rec__io_w_begin(w, REC__IO_TAG('R', 'A', 'N', 'G'));
    rec__io_w_f64(w, m->serve.y_lo);
    rec__io_w_f64(w, m->serve.y_hi);
    rec__io_w_u32(w, (uint32_t)m->serve.clip);
    rec__io_w_end(w);
}

static void write_column(rec__io_writer *w, const rec__column *col, size_t n)
{
    rec__io_w_str(w, col->name);
    rec__io_w_u32(w, (uint32_t)col->type);
    switch (col->type) {
    case REC_COLUMN_STRING:
        rec__io_w_u32(w, (uint32_t)n);
        for (size_t r = 0; r < n; r++)
            rec__io_w_str(w, col->dict.strings[col->codes[r]]);
        break;
    case REC_COLUMN_NUMBER:
        for (size_t r = 0; r < n; r++)
            rec__io_w_f64(w, col->numbers[r]);
        break;
    default:
        for (size_t r = 0; r < n; r++)
            rec__io_w_u32(w, (uint32_t)(col->offsets[r + 1] - col->offsets[r]));
        rec__io_w_u32(w, (uint32_t)col->offsets[n]);
        for (size_t j = 0; j < col->offsets[n]; j++)
            rec__io_w_str(w, col->dict.strings[col->codes[j]]);
        break;
    }
}

void rec__io_write_catl(rec__io_writer *w, const rec_model *m)
{
    const rec__catalog *cat = &m->serve.cat;
    const rec_dataset *ds = cat->items;
    rec__io_w_begin(w, REC__IO_TAG('C', 'A', 'T', 'L'));
    rec__io_w_str(w, cat->key);
    rec__io_w_u32(w, (uint32_t)ds->n_rows);
    rec__io_w_u32(w, (uint32_t)ds->n_cols);
    for (size_t c = 0; c < ds->n_cols; c++)
        write_column(w, &ds->cols[c], ds->n_rows);
    rec__io_w_end(w);
}

void rec__io_write_seen(rec__io_writer *w, const rec_model *m)
{
    const rec__seen *s = &m->serve.seen;
    rec__io_w_begin(w, REC__IO_TAG('S', 'E', 'E', 'N'));
    rec__io_w_str(w, s->key);
    rec__io_w_u32(w, (uint32_t)s->users.n);
    for (size_t u = 0; u < s->users.n; u++) {
        rec__io_w_str(w, s->users.strings[u]);
        rec__io_w_u32(w, (uint32_t)(s->offsets[u + 1] - s->offsets[u]));
        for (size_t j = s->offsets[u]; j < s->offsets[u + 1]; j++)
            rec__io_w_u32(w, s->items[j]);
    }
    rec__io_w_end(w);
}

/* ---- reading -------------------------------------------------------------------------------- */

rec_status rec__io_read_rang(rec__io_reader *r, rec_model *m)
{
    double lo, hi;
    uint32_t clip;
    rec_status rc;
    if ((rc = rec__io_r_f64(r, &lo, "label minimum")) ||
        (rc = rec__io_r_f64(r, &hi, "label maximum")) ||
        (rc = rec__io_r_u32(r, &clip, "clip flag")))
        return rc;
    if (!isfinite(lo) || !isfinite(hi) || lo > hi)
        return rec__io_bad(r, "label range [%g, %g] is not a finite interval", lo, hi);
    if (clip > 1)
        return rec__io_bad(r, "clip flag %u is neither 0 nor 1", clip);
    m->serve.y_lo = lo;
    m->serve.y_hi = hi;
    m->serve.has_range = 1;
    m->serve.clip = (int)clip;
    return rec__io_r_end(r);
}

static rec_status out_of_memory(void)
{
    return rec__error(REC_ENOMEM, "%s: out of memory", load_fn);
}

/* One column of n rows into ds (its name and type, then its values). */
static rec_status read_column(rec__io_reader *r, rec_dataset *ds, size_t n)
{
    char *name = NULL;
    uint32_t type;
    rec_status rc = rec__io_r_str(r, &name, "column name");
    if (!rc)
        rc = rec__io_r_u32(r, &type, "column type");
    if (!rc && type > REC_COLUMN_STRING_LIST)
        rc = rec__io_bad(r, "column type %u is unknown", type);
    rec__io_strlist l = {0};
    double *x = NULL;
    size_t *off = NULL;
    if (!rc && type == REC_COLUMN_STRING) {
        if (!(rc = rec__io_r_strlist(r, &l, "string count")) && l.n != n)
            rc = rec__io_bad(r, "column '%s' has %zu strings for %zu items", name, l.n, n);
        if (!rc && (rc = rec_dataset_add_strings(ds, name, l.s, n)))
            rc = rec__io_refused(r, rc);
    } else if (!rc && type == REC_COLUMN_NUMBER) {
        if (n > rec__io_left(r) / 8)
            rc = rec__io_short_read(r, "numbers");
        else if (!(x = rec__malloc(n * sizeof *x)))
            rc = out_of_memory();
        for (size_t i = 0; !rc && i < n; i++)
            rec__io_r_f64(r, &x[i], "number"); /* bounded above: cannot fail */
        /* finite or NaN (missing): the constructor refuses infinities */
        if (!rc && (rc = rec_dataset_add_numbers(ds, name, x, n)))
            rc = rec__io_refused(r, rc);
    } else if (!rc) {
        if (n > rec__io_left(r) / 4)
            rc = rec__io_short_read(r, "list lengths");
        else if (!(off = rec__malloc((n + 1) * sizeof *off)))
            rc = out_of_memory();
        if (!rc)
            off[0] = 0;
        for (size_t i = 0; !rc && i < n; i++) {
            uint32_t len;
            rec__io_r_u32(r, &len, "list length"); /* bounded above: cannot fail */
            off[i + 1] = off[i] + len;
        }
        if (!rc && !(rc = rec__io_r_strlist(r, &l, "string count")) && l.n != off[n])
            rc = rec__io_bad(r, "column '%s' has %zu strings, its lists %zu", name, l.n,
                             off[n]);
        if (!rc && (rc = rec_dataset_add_string_lists(ds, name, l.s, off, n)))
            rc = rec__io_refused(r, rc);
    }
    rec__io_strlist_release(&l);
    rec__free(x);
    rec__free(off);
    rec__free(name);
    return rc;
}

/* Whether a catalogue column is one rec_model_set_catalog copies: the key or an item-side
 * feature's column. */
static int wanted(const rec_model *m, const char *key, const char *name)
{
    if (strcmp(name, key) == 0)
        return 1;
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].side == REC_SIDE_ITEM && strcmp(m->feats[i].column, name) == 0)
            return 1;
    return 0;
}

rec_status rec__io_read_catl(rec__io_reader *r, rec_model *m)
{
    rec__catalog cat = {0};
    uint64_t n, n_cols;
    rec_status rc = rec__io_r_str(r, &cat.key, "item key");
    /* each item takes at least 4 bytes of each column, and a column 8 more */
    if (!rc)
        rc = rec__io_r_count(r, &n, 4, 0, "item count");
    if (!rc && n == 0)
        rc = rec__io_bad(r, "the catalogue has no items");
    if (!rc)
        rc = rec__io_r_count(r, &n_cols, 8, 0, "column count");
    if (!rc && n_cols == 0)
        rc = rec__io_bad(r, "the catalogue has no columns");
    if (!rc && (rc = rec_dataset_create(&cat.items, (size_t)n)))
        rc = out_of_memory();
    for (uint64_t c = 0; !rc && c < n_cols; c++)
        rc = read_column(r, cat.items, (size_t)n);
    /* the checks of rec_model_set_catalog, and distinct ids (row i's code is then i) */
    if (!rc && ((rc = rec__serving_check_key(cat.items, cat.key, "item key", "the catalogue",
                                             load_fn)) ||
                (rc = rec__serving_check_columns(m, cat.items, REC_SIDE_ITEM, "the catalogue",
                                                 load_fn))))
        rc = rec__io_refused(r, rc);
    if (!rc && rec__dataset_find(cat.items, cat.key)->dict.n != n)
        rc = rec__io_bad(r, "the catalogue's item ids are not distinct");
    for (size_t c = 0; !rc && c < cat.items->n_cols; c++)
        if (!wanted(m, cat.key, cat.items->cols[c].name))
            rc = rec__io_bad(r, "catalogue column '%s' is neither the item key nor read by an "
                             "item-side feature", cat.items->cols[c].name);
    if (!rc)
        rc = rec__io_r_end(r);
    if (rc) {
        rec__serving_catalog_release(&cat);
        return rc;
    }
    m->serve.cat = cat;
    return REC_OK;
}

rec_status rec__io_read_seen(rec__io_reader *r, rec_model *m)
{
    if (!m->serve.cat.items)
        return rec__io_bad(r, "seen items without a catalogue");
    const size_t n_items = m->serve.cat.items->n_rows;
    rec__seen s = {0};
    uint64_t n_users;
    size_t cap = 0, n = 0;
    rec_status rc = rec__io_r_str(r, &s.key, "user key");
    if (!rc && !*s.key)
        rc = rec__io_bad(r, "the user key is empty");
    /* a user takes at least its id's length and its count */
    if (!rc)
        rc = rec__io_r_count(r, &n_users, 8, 0, "user count");
    if (!rc && !(s.offsets = rec__malloc(((size_t)n_users + 1) * sizeof *s.offsets)))
        rc = out_of_memory();
    if (!rc)
        s.offsets[0] = 0;
    for (uint64_t u = 0; !rc && u < n_users; u++) {
        char *id = NULL;
        uint32_t code;
        uint64_t c;
        if ((rc = rec__io_r_str(r, &id, "user id")))
            break;
        if (rec__dict_intern(&s.users, id, strlen(id), &code))
            rc = out_of_memory();
        else if (code != u)
            rc = rec__io_bad(r, "user %llu's id repeats user %u's", (unsigned long long)u, code);
        rec__free(id);
        if (!rc)
            rc = rec__io_r_count(r, &c, 4, 0, "item count");
        if (!rc && n + c > cap) {
            size_t want = cap ? cap : 64;
            while (want < n + c)
                want *= 2;
            uint32_t *grown = rec__realloc(s.items, want * sizeof *grown);
            if (!grown)
                rc = out_of_memory();
            else {
                s.items = grown;
                cap = want;
            }
        }
        for (uint64_t j = 0; !rc && j < c; j++) {
            uint32_t row;
            rec__io_r_u32(r, &row, "item"); /* counted above: cannot fail */
            if (row >= n_items)
                rc = rec__io_bad(r, "seen item %u is beyond the catalogue's %zu items", row,
                                 n_items);
            else if (j > 0 && row <= s.items[n - 1])
                rc = rec__io_bad(r, "the seen items of user %llu are not increasing",
                                 (unsigned long long)u);
            else
                s.items[n++] = row;
        }
        if (!rc)
            s.offsets[u + 1] = n;
    }
    if (!rc && !s.items && !(s.items = rec__malloc(sizeof *s.items)))
        rc = out_of_memory();
    if (!rc)
        rc = rec__io_r_end(r);
    if (rc) {
        rec__serving_seen_release(&s);
        return rc;
    }
    m->serve.seen = s;
    return REC_OK;
}
