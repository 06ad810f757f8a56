/* Ratings from a delimited text file (CSV, TSV, ...): one rating per line, no quoting. */
#include "data/data.h"
#include "base/base.h"

#include <stdio.h>
#include <string.h>

static const char FN[] = "rec_dataset_load_delimited";

/* The positions a line must provide, in the order user, item, rating, timestamp. */
enum { F_USER, F_ITEM, F_RATING, F_TIME, N_WANTED };

typedef struct loaded {
    rec__column user, item;
    double *rating, *time;
    size_t n;
} loaded;

/* REC_EFORMAT naming this loader, the file and the line (base/text.c). */
#define bad_line(path, line, ...) rec__text_line_error(FN, (path), (line), __VA_ARGS__)

/* Fields at positions want[0..N_WANTED) of a line (REC_NO_COLUMN: not wanted); returns the
 * line's field count. Walks the line once, whatever the positions. */
static size_t pick_fields(rec__text_field *got, const uint32_t *want, const char *line, size_t len,
                          char delim)
{
    size_t count = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *d = p < end ? memchr(p, delim, (size_t)(end - p)) : NULL;
        const char *stop = d ? d : end;
        for (int j = 0; j < N_WANTED; j++) {
            if (want[j] == count) {
                got[j].p = p;
                got[j].len = (size_t)(stop - p);
            }
        }
        count++;
        if (!d)
            return count;
        p = d + 1;
    }
}

/* Parse a rating or timestamp field into *v. */
static rec_status number_field(double *v, const rec__text_field *f, const char *what,
                               const char *path, size_t line)
{
    int r = rec__text_parse_double(v, f->p, f->len);
    if (r == REC__NUM_SYNTAX)
        return bad_line(path, line, "%s '%s' is not a number", what, REC__QUOTE(f));
    if (r == REC__NUM_RANGE)
        return bad_line(path, line, "%s '%s' is not finite", what, REC__QUOTE(f));
    return REC_OK;
}

static rec_status parse_lines(loaded *L, const rec__text *t, const char *path, int has_header,
                              const uint32_t *want, size_t n_needed, char delim)
{
    rec__text_lines it;
    const char *line;
    size_t len;
    int unterminated;
    rec__text_lines_init(&it, t);
    /* A UTF-8 byte order mark (spreadsheets write one) is not part of the first field. */
    if (t->size >= 3 && memcmp(t->data, "\xEF\xBB\xBF", 3) == 0)
        it.p += 3;
    while (rec__text_lines_next(&it, &line, &len, &unterminated)) {
        if ((has_header && it.line_no == 1) || len == 0)
            continue; /* the header, and blank lines (a trailing one is common) */
        if (L->n == UINT32_MAX)
            return bad_line(path, it.line_no, "more than 2^32 - 1 rows");
        rec__text_field f[N_WANTED] = {{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};
        size_t count = pick_fields(f, want, line, len, delim);
        if (count < n_needed)
            return bad_line(path, it.line_no, "expected at least %zu fields, found %zu",
                            n_needed, count);
        if (f[F_USER].len == 0)
            return bad_line(path, it.line_no, "empty user id");
        if (f[F_ITEM].len == 0)
            return bad_line(path, it.line_no, "empty item id");
        /* Dataset strings are UTF-8 (rec/dataset.h): refuse other encodings here, where the
         * file and line can be named, rather than hand undecodable ids to bindings. */
        for (int j = F_USER; j <= F_ITEM; j++) {
            size_t bad;
            if (!rec__text_utf8_valid(f[j].p, f[j].len, &bad))
                return bad_line(path, it.line_no, "%s id is not valid UTF-8 (byte 0x%02X at "
                                "offset %zu of the field)", j == F_USER ? "user" : "item",
                                (unsigned)(unsigned char)f[j].p[bad], bad);
        }
        rec_status rc = number_field(&L->rating[L->n], &f[F_RATING], "rating", path, it.line_no);
        if (rc == REC_OK && L->time)
            rc = number_field(&L->time[L->n], &f[F_TIME], REC__COL_TIME, path, it.line_no);
        if (rc != REC_OK)
            return rc;
        /* NUL bytes were refused for the whole file, so interning fails only for memory */
        if (rec__dict_intern(&L->user.dict, f[F_USER].p, f[F_USER].len,
                             &L->user.codes[L->n]) != REC_OK ||
            rec__dict_intern(&L->item.dict, f[F_ITEM].p, f[F_ITEM].len,
                             &L->item.codes[L->n]) != REC_OK)
            return rec__error(REC_ENOMEM, "%s: out of memory reading %s", FN, path);
        L->n++;
    }
    if (L->n == 0)
        return t->size == 0 ? bad_line(path, 1, "empty file")
                            : bad_line(path, it.line_no, "no data lines");
    return REC_OK;
}

/* Move L's arrays into a new dataset of L->n rows. */
static rec_status build(rec_dataset **out, loaded *L)
{
    rec_dataset *ds;
    rec_status rc = rec_dataset_create(&ds, L->n);
    if (rc != REC_OK)
        return rc;
    rec__column rating = {0}, time = {0};
    rating.type = time.type = REC_COLUMN_NUMBER;
    rating.numbers = L->rating;
    time.numbers = L->time;
    L->rating = L->time = NULL;
    L->user.name = rec__strdup(REC__COL_USER);
    L->item.name = rec__strdup("item_id");
    rating.name = rec__strdup(REC__COL_RATING);
    if (time.numbers)
        time.name = rec__strdup(REC__COL_TIME);
    if (!L->user.name || !L->item.name || !rating.name || (time.numbers && !time.name)) {
        rec__dataset_column_release(&rating);
        rec__dataset_column_release(&time);
        rec_dataset_free(ds);
        return rec__error(REC_ENOMEM, "%s: out of memory", FN);
    }
    /* adopt releases the column it is given when it fails */
    rc = rec__dataset_adopt_column(ds, &L->user);
    if (rc == REC_OK)
        rc = rec__dataset_adopt_column(ds, &L->item);
    else
        rec__dataset_column_release(&L->item);
    if (rc == REC_OK)
        rc = rec__dataset_adopt_column(ds, &rating);
    else
        rec__dataset_column_release(&rating);
    if (rc == REC_OK && time.numbers)
        rc = rec__dataset_adopt_column(ds, &time);
    else
        rec__dataset_column_release(&time);
    if (rc != REC_OK) {
        rec_dataset_free(ds);
        return rec__error(rc, "%s: out of memory", FN);
    }
    *out = ds;
    return REC_OK;
}

rec_status rec_dataset_load_delimited(rec_dataset **out, const char *path, char delimiter,
                                      int has_header, uint32_t user_col, uint32_t item_col,
                                      uint32_t rating_col, uint32_t timestamp_col)
{
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", FN);
    *out = NULL;
    if (!path)
        return rec__error(REC_EINVAL, "%s: path is NULL", FN);
    if (delimiter == '\0' || delimiter == '\n' || delimiter == '\r')
        return rec__error(REC_EINVAL, "%s: delimiter must not be NUL, '\\n' or '\\r'", FN);
    if (user_col == REC_NO_COLUMN || item_col == REC_NO_COLUMN || rating_col == REC_NO_COLUMN)
        return rec__error(REC_EINVAL, "%s: %s is REC_NO_COLUMN (only timestamp_col may be)", FN,
                          user_col == REC_NO_COLUMN ? "user_col"
                          : item_col == REC_NO_COLUMN ? "item_col" : "rating_col");
    const uint32_t want[N_WANTED] = {user_col, item_col, rating_col, timestamp_col};
    size_t n_needed = 0; /* 1 + the largest wanted position */
    for (int j = 0; j < N_WANTED; j++)
        if (want[j] != REC_NO_COLUMN && (size_t)want[j] + 1 > n_needed)
            n_needed = (size_t)want[j] + 1;

    rec__text t;
    rec_status rc = rec__text_read(&t, path, FN);
    if (rc != REC_OK)
        return rc;
    rc = rec__text_check_no_nul(&t, path, FN);
    if (rc != REC_OK) {
        rec__text_release(&t);
        return rc;
    }

    /* Rows ≤ lines ≤ newlines + 1: size the arrays once. */
    size_t max_rows = 1;
    for (const char *p = t.data; (p = memchr(p, '\n', (size_t)(t.data + t.size - p))); p++)
        max_rows++;
    loaded L = {0};
    L.user.type = L.item.type = REC_COLUMN_STRING;
    L.user.codes = rec__malloc(max_rows * sizeof *L.user.codes);
    L.item.codes = rec__malloc(max_rows * sizeof *L.item.codes);
    L.rating = rec__malloc(max_rows * sizeof *L.rating);
    if (timestamp_col != REC_NO_COLUMN)
        L.time = rec__malloc(max_rows * sizeof *L.time);
    if (!L.user.codes || !L.item.codes || !L.rating ||
        (timestamp_col != REC_NO_COLUMN && !L.time))
        rc = rec__error(REC_ENOMEM, "%s: out of memory reading %s", FN, path);
    if (rc == REC_OK)
        rc = parse_lines(&L, &t, path, has_header, want, n_needed, delimiter);
    rec__text_release(&t);
    if (rc == REC_OK)
        rc = build(out, &L);
    rec__dataset_column_release(&L.user);
    rec__dataset_column_release(&L.item);
    rec__free(L.rating);
    rec__free(L.time);
    return rc;
}
