/*
 * The table loader (rec/table.h): records from csv.c become typed columns.
 *
 * One pass over the input. The header (or the first row, without one) fixes the column count
 * and names; the options pick, type and rename columns. While some column's type is left to
 * inference, the first infer_rows rows are held as bytes, their values tallied, the types
 * fixed, and the held rows replayed; after that each record goes straight into its columns.
 * Columns grow by doubling and are trimmed at the end, so memory is the dataset plus one
 * read block.
 */
#define _POSIX_C_SOURCE 200809L /* open, fstat, strerror_r (strerror is not thread-safe) */

#include "data/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Integers a double holds exactly: |v| ≤ 2^53. */
#define MAX_EXACT_INT ((int64_t)1 << 53)

typedef struct tcol {
    size_t src;              /* 0-based field position in the file */
    const char *file_name;   /* the file's name for it (messages) */
    const char *ds_name;     /* its name in the dataset */
    int type;                /* rec_table_type; AUTO until inferred */
    int inferred;            /* the type came from inference (messages say so) */
    int missing;             /* rec_missing */
    char sep;                /* list separator */
    rec__column col;         /* being built */
    size_t n_vals, cap_vals; /* list columns: codes used and allocated */
    int seen_value, all_number, all_integer; /* inference tallies */
    uint32_t *by_int;        /* code + 1 of the canonical integer string v, for small v */
    size_t n_by_int;
} tcol;

typedef struct loader {
    const char *fn, *path;
    const rec_table_options *o;
    rec__csv csv;
    char **names;            /* the file's column names */
    size_t n_names;
    tcol *cols;              /* the loaded columns, in file order */
    size_t n_cols;
    size_t n_rows, cap_rows;
    int holding;             /* rows are held for inference */
    char *held;              /* held field bytes */
    size_t held_len, held_cap;
    size_t *held_at;         /* per held row and column: offset, length */
    size_t *held_line;
    size_t n_held, cap_held;
} loader;

/* "fn: cannot <verb> path: <strerror>" */
static rec_status io_error(const loader *L, const char *verb, int err)
{
    char msg[128];
    if (strerror_r(err, msg, sizeof msg) != 0)
        snprintf(msg, sizeof msg, "error %d", err);
    return rec__error(REC_EIO, "%s: cannot %s %s: %s", L->fn, verb, L->path, msg);
}

static rec_status nomem(const loader *L)
{
    return rec__error(REC_ENOMEM, "%s: out of memory reading %s", L->fn, L->path);
}

/* REC_EFORMAT "fn: path:line: column 'name' (k): what". */
static rec_status col_error(const loader *L, const tcol *c, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static rec_status col_error(const loader *L, const tcol *c, size_t line, const char *fmt, ...)
{
    char what[320], name[REC__QUOTE_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rec__text_line_error(L->fn, L->path, line, "column '%s' (%zu): %s",
                                rec__text_quote(name, c->file_name, strlen(c->file_name)),
                                c->src + 1, what);
}

/* Why the last type inference could be wrong, for messages about an inferred column. */
static const char *inference_hint(const loader *L, const tcol *c, char *buf, size_t cap)
{
    if (!c->inferred)
        return "";
    snprintf(buf, cap, " (the type was inferred from the first %zu rows; set it with "
             "rec_table_options_set_column)", L->o->infer_rows);
    return buf;
}

/* ---- opening ------------------------------------------------------------------------------ */

/* A regular file, opened without blocking (a FIFO with no writer would block open(2)). */
static rec_status open_file(int *fd_out, const loader *L)
{
    int fd = open(L->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return io_error(L, "open", errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return io_error(L, "read", err);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rec__error(REC_EIO, "%s: cannot read %s: %s", L->fn, L->path,
                          S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *fd_out = fd;
    return REC_OK;
}

/* The message of a failed rec__csv_next (-1) or ENOMEM (-2). */
static rec_status csv_error(const loader *L, int r)
{
    const rec__csv *c = &L->csv;
    if (r == -2)
        return nomem(L);
    if (c->err == REC__CSV_IO)
        return io_error(L, "read", c->err_errno);
    if (c->err == REC__CSV_TOO_LONG)
        return rec__text_line_error(L->fn, L->path, c->err_line, "a record longer than 1 GiB "
                                    "(a quoted field that is never closed?)");
    char where[REC__QUOTE_CAP + 48];
    if (c->err_field <= L->n_names) {
        const char *nm = L->names[c->err_field - 1];
        char q[REC__QUOTE_CAP];
        snprintf(where, sizeof where, "column '%s' (%zu)", rec__text_quote(q, nm, strlen(nm)),
                 c->err_field);
    } else {
        snprintf(where, sizeof where, "field %zu", c->err_field);
    }
    if (c->err == REC__CSV_UNTERMINATED)
        return rec__text_line_error(L->fn, L->path, c->err_line, "%s: unterminated quoted "
                                    "field (its opening quote is on this line)", where);
    char byte[8];
    if (c->err_byte >= 0x20 && c->err_byte < 0x7F)
        snprintf(byte, sizeof byte, "'%c'", c->err_byte);
    else
        snprintf(byte, sizeof byte, "0x%02X", c->err_byte);
    if (c->err_close_line != c->err_line)
        return rec__text_line_error(L->fn, L->path, c->err_line, "%s: %s after the closing "
                                    "quote on line %zu (a quoted field opens on this line; a "
                                    "quote inside one is written twice)", where, byte,
                                    c->err_close_line);
    return rec__text_line_error(L->fn, L->path, c->err_line, "%s: %s after the closing quote "
                                "(a quote inside a quoted field is written twice)", where, byte);
}

/* ---- names and columns -------------------------------------------------------------------- */

/* Check a string field: no NUL, valid UTF-8. 1, or 0 with the offset of the bad byte in *bad
 * and *is_nul saying whether it is a NUL. */
static int text_ok(const char *p, size_t len, size_t *bad, int *is_nul)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    for (; i < len; i++)
        if (s[i] == 0 || s[i] >= 0x80)
            break;
    if (i == len)
        return 1;
    const char *z = memchr(p + i, '\0', len - i);
    if (z) {
        *bad = (size_t)(z - p);
        *is_nul = 1;
        return 0;
    }
    *is_nul = 0;
    return rec__text_utf8_valid(p, len, bad);
}

/* The names of the columns: the header's (an empty one becomes column_N), or column_1 … */
static rec_status take_names(loader *L, size_t n, int from_header)
{
    L->names = rec__calloc(n, sizeof *L->names);
    if (!L->names)
        return nomem(L);
    L->n_names = n;
    for (size_t i = 0; i < n; i++) {
        const rec__text_field *f = from_header ? &L->csv.f[i] : NULL;
        if (f && f->len > 0) {
            size_t bad;
            int is_nul;
            if (!text_ok(f->p, f->len, &bad, &is_nul))
                return rec__text_line_error(L->fn, L->path, L->csv.rec_line, "header field "
                                            "%zu: %s (byte 0x%02X at offset %zu of the name)",
                                            i + 1, is_nul ? "NUL byte" : "not valid UTF-8",
                                            (unsigned)(unsigned char)f->p[bad], bad);
            L->names[i] = rec__malloc(f->len + 1);
            if (L->names[i]) {
                memcpy(L->names[i], f->p, f->len);
                L->names[i][f->len] = '\0';
            }
        } else {
            char buf[32];
            snprintf(buf, sizeof buf, "column_%zu", i + 1);
            L->names[i] = rec__strdup(buf);
        }
        if (!L->names[i])
            return nomem(L);
    }
    return REC_OK;
}

/* The position a spec names: the first header name equal to it, else column_N. */
static int find_name(size_t *pos, const loader *L, const char *name)
{
    for (size_t i = 0; i < L->n_names; i++)
        if (strcmp(L->names[i], name) == 0) {
            *pos = i;
            return 1;
        }
    unsigned long long k;
    int used = 0;
    if (sscanf(name, "column_%llu%n", &k, &used) == 1 && name[used] == '\0' && k >= 1 &&
        k <= L->n_names && name[7] != '0' && name[7] != '+') {
        *pos = (size_t)k - 1;
        return 1;
    }
    return 0;
}

static rec_status missing_column(const loader *L, const char *name)
{
    char list[400] = "", q[REC__QUOTE_CAP];
    size_t used = 0;
    for (size_t i = 0; i < L->n_names && used + 1 < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "",
                         rec__text_quote(q, L->names[i], strlen(L->names[i])));
        if (w < 0 || (size_t)w >= sizeof list - used) {
            snprintf(list + (sizeof list - 5), 5, "...");
            break;
        }
        used += (size_t)w;
    }
    return rec__error(REC_ENOTFOUND, "%s: %s has no column '%s' (its columns: %s)", L->fn,
                      L->path, rec__text_quote(q, name, strlen(name)), list);
}

/* Positional reading (min_fields): one column per spec, in the specs' order, each naming its
 * field as column_N; several specs may read one field. */
static rec_status plan_positional(loader *L)
{
    const rec_table_options *o = L->o;
    L->cols = rec__calloc(o->n_specs ? o->n_specs : 1, sizeof *L->cols);
    if (!L->cols)
        return nomem(L);
    for (size_t s = 0; s < o->n_specs; s++) {
        size_t pos;
        if (!find_name(&pos, L, o->specs[s].name))
            return missing_column(L, o->specs[s].name);
        tcol *c = &L->cols[L->n_cols++];
        c->src = pos;
        c->ds_name = c->file_name = o->specs[s].rename ? o->specs[s].rename : o->specs[s].name;
        c->type = o->specs[s].type;
        c->sep = '|';
        c->missing = o->specs[s].missing >= 0 ? o->specs[s].missing : o->missing;
    }
    return REC_OK;
}

/* Two loaded columns with one dataset name are refused, naming the first column that has a
 * namesake and its first namesake. Names are interned once each (a hostile header of a
 * million fields must not cost a million squared comparisons). */
static rec_status check_unique_names(loader *L)
{
    rec__dict names = {0};
    uint32_t *code = rec__malloc(L->n_cols * sizeof *code);
    size_t *second = rec__malloc(L->n_cols * sizeof *second); /* by code: 2nd column, or 0 */
    rec_status rc = code && second ? REC_OK : nomem(L);
    for (size_t j = 0; rc == REC_OK && j < L->n_cols; j++) {
        size_t before = names.n;
        const char *nm = L->cols[j].ds_name;
        if (rec__dict_intern(&names, nm, strlen(nm), &code[j]) != REC_OK)
            rc = nomem(L);
        else if (names.n > before)
            second[code[j]] = 0;
        else if (second[code[j]] == 0)
            second[code[j]] = j;
    }
    for (size_t a = 0; rc == REC_OK && a < L->n_cols; a++) {
        size_t b = second[code[a]];
        if (b > a) {
            char q[REC__QUOTE_CAP];
            const char *nm = L->cols[a].ds_name;
            rc = rec__text_line_error(L->fn, L->path, 1, "columns %zu and %zu are both named "
                                      "'%s' (rename or skip one: its name in the options is "
                                      "'column_%zu')", L->cols[a].src + 1, L->cols[b].src + 1,
                                      rec__text_quote(q, nm, strlen(nm)), L->cols[b].src + 1);
        }
    }
    rec__dict_release(&names);
    rec__free(code);
    rec__free(second);
    return rc;
}

/* The loaded columns from the names and the options. */
static rec_status plan_columns(loader *L)
{
    const rec_table_options *o = L->o;
    if (o->min_fields)
        return plan_positional(L);
    const rec__table_spec **spec_of = rec__calloc(L->n_names, sizeof *spec_of);
    L->cols = rec__calloc(L->n_names, sizeof *L->cols);
    if (!spec_of || !L->cols) {
        rec__free(spec_of);
        return nomem(L);
    }
    for (size_t s = 0; s < o->n_specs; s++) {
        size_t pos;
        if (!find_name(&pos, L, o->specs[s].name)) {
            rec__free(spec_of);
            return missing_column(L, o->specs[s].name);
        }
        if (!spec_of[pos])
            spec_of[pos] = &o->specs[s];
    }
    for (size_t i = 0; i < L->n_names; i++) {
        const rec__table_spec *s = spec_of[i];
        int type = s ? s->type : REC_TABLE_AUTO;
        if (type == REC_TABLE_SKIP || (o->only_listed && !(s && s->listed)))
            continue;
        tcol *c = &L->cols[L->n_cols++];
        c->src = i;
        /* messages name a column as the file does, or as the caller does when the file
         * names nothing */
        c->file_name = o->header || !(s && s->rename) ? L->names[i] : s->rename;
        c->ds_name = s && s->rename ? s->rename : L->names[i];
        c->type = type == REC_TABLE_AUTO && s && s->list_sep ? REC_TABLE_STRING_LIST : type;
        c->sep = s && s->list_sep ? s->list_sep : '|';
        c->missing = s && s->missing >= 0 ? s->missing : o->missing;
        c->all_number = c->all_integer = 1;
    }
    rec__free(spec_of);
    if (L->n_cols == 0)
        return rec__error(REC_EINVAL, "%s: %s: every column is skipped", L->fn, L->path);
    return check_unique_names(L);
    return REC_OK;
}

/* ---- values ------------------------------------------------------------------------------- */

/* A number field without the spaces around it (" 3.5" is 3.5). */
static rec__text_field trimmed(const rec__text_field *f)
{
    rec__text_field t = *f;
    while (t.len > 0 && t.p[0] == ' ') {
        t.p++;
        t.len--;
    }
    while (t.len > 0 && t.p[t.len - 1] == ' ')
        t.len--;
    return t;
}

/* [+-]?[0-9]+ */
static int is_integer_text(const char *p, size_t len)
{
    size_t i = len > 0 && (p[0] == '-' || p[0] == '+');
    if (i == len)
        return 0;
    for (; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* Does a column's name say it holds ids? (rec_table_options_set_infer_rows() lists them.) */
static int id_named(const char *name)
{
    size_t n = strlen(name);
    static const char *const whole[] = {"id", "user", "item", "userid", "itemid"};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
        if (strlen(whole[i]) == n) {
            size_t k = 0;
            while (k < n && (name[k] | 0x20) == whole[i][k])
                k++;
            if (k == n)
                return 1;
        }
    if (n >= 3 && (name[n - 2] | 0x20) == 'i' && (name[n - 1] | 0x20) == 'd' &&
        strchr("_-. ", name[n - 3]))
        return 1;
    /* camelCase: userId, itemID */
    return n >= 3 && name[n - 2] == 'I' && (name[n - 1] == 'd' || name[n - 1] == 'D') &&
           name[n - 3] >= 'a' && name[n - 3] <= 'z';
}

static rec_status grow_rows(loader *L)
{
    size_t cap = L->cap_rows ? 2 * L->cap_rows : 1024;
    for (size_t j = 0; j < L->n_cols; j++) {
        rec__column *col = &L->cols[j].col;
        int t = L->cols[j].type;
        if (t == REC_TABLE_NUMBER || t == REC_TABLE_INTEGER) {
            double *p = rec__realloc(col->numbers, cap * sizeof *p);
            if (!p)
                return nomem(L);
            col->numbers = p;
        } else if (t == REC_TABLE_STRING_LIST) {
            size_t *p = rec__realloc(col->offsets, (cap + 1) * sizeof *p);
            if (!p)
                return nomem(L);
            if (!col->offsets)
                p[0] = 0;
            col->offsets = p;
        } else {
            uint32_t *p = rec__realloc(col->codes, cap * sizeof *p);
            if (!p)
                return nomem(L);
            col->codes = p;
        }
    }
    L->cap_rows = cap;
    return REC_OK;
}

/* The value of a canonical decimal integer string ("0", "17"; not "017", "+1" or "-1") of at
 * most 9 digits, or -1. */
static long canonical_int(const char *p, size_t len)
{
    if (len == 0 || len > 9 || (p[0] == '0' && len > 1))
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9)
            return -1;
        v = v * 10 + (long)d;
    }
    return v;
}

static rec_status intern_slow(loader *L, tcol *c, const char *p, size_t len, uint32_t *code,
                              size_t line);

/*
 * Intern a string value (validated) into the column's dictionary.
 *
 * Integer ids ("12345") are the common key of interaction tables, and a hash lookup per value
 * costs two cache misses once the dictionary outgrows the cache (the slot, then the string).
 * A direct table from a canonical integer's value to its code answers those in one access;
 * it covers values below 1024 + 16 · rows so far, so its memory stays proportional to the
 * dataset whatever ids a file holds. Other strings go through the dictionary.
 */
static rec_status intern(loader *L, tcol *c, const char *p, size_t len, uint32_t *code,
                         size_t line)
{
    long v = canonical_int(p, len);
    if (v < 0 || (size_t)v >= 1024 + 16 * L->n_rows)
        return intern_slow(L, c, p, len, code, line);
    if ((size_t)v < c->n_by_int && c->by_int[v]) {
        *code = c->by_int[v] - 1;
        return REC_OK;
    }
    if ((size_t)v >= c->n_by_int) {
        size_t n = c->n_by_int ? c->n_by_int : 1024;
        while (n <= (size_t)v)
            n *= 2;
        uint32_t *t = rec__realloc(c->by_int, n * sizeof *t);
        if (!t)
            return nomem(L);
        memset(t + c->n_by_int, 0, (n - c->n_by_int) * sizeof *t);
        c->by_int = t;
        c->n_by_int = n;
    }
    rec_status rc = intern_slow(L, c, p, len, code, line);
    if (rc == REC_OK)
        c->by_int[v] = *code + 1;
    return rc;
}

static rec_status intern_slow(loader *L, tcol *c, const char *p, size_t len, uint32_t *code,
                              size_t line)
{
    size_t bad;
    int is_nul;
    if (!text_ok(p, len, &bad, &is_nul)) {
        if (is_nul)
            return col_error(L, c, line, "NUL byte at offset %zu of the field", bad);
        return col_error(L, c, line, "not valid UTF-8 (byte 0x%02X at offset %zu of the field)",
                         (unsigned)(unsigned char)p[bad], bad);
    }
    return rec__dict_intern(&c->col.dict, p, len, code) == REC_OK ? REC_OK : nomem(L);
}

static rec_status put_list(loader *L, tcol *c, const char *p, size_t len, size_t line)
{
    rec__column *col = &c->col;
    const char *end = p + len;
    while (p < end) {
        const char *s = memchr(p, c->sep, (size_t)(end - p));
        const char *e = s ? s : end;
        if (e > p) {
            if (c->n_vals == c->cap_vals) {
                size_t cap = c->cap_vals ? 2 * c->cap_vals : 1024;
                uint32_t *codes = rec__realloc(col->codes, cap * sizeof *codes);
                if (!codes)
                    return nomem(L);
                col->codes = codes;
                c->cap_vals = cap;
            }
            rec_status rc = intern(L, c, p, (size_t)(e - p), &col->codes[c->n_vals], line);
            if (rc != REC_OK)
                return rc;
            c->n_vals++;
        }
        p = e + 1;
    }
    return REC_OK;
}

/* Value f of column c into row `row`. */
static rec_status put(loader *L, tcol *c, const rec__text_field *f, size_t row, size_t line)
{
    rec__column *col = &c->col;
    char hint[160], q[REC__QUOTE_CAP];
    if (f->len == 0) {
        if (c->missing == REC_MISSING_ERROR)
            return col_error(L, c, line, "empty value (the column refuses missing values)");
        switch (c->type) {
        case REC_TABLE_NUMBER:
        case REC_TABLE_INTEGER:
            col->numbers[row] = NAN;
            return REC_OK;
        case REC_TABLE_STRING_LIST:
            col->offsets[row + 1] = c->n_vals;
            return REC_OK;
        default:
            return intern(L, c, "", 0, &col->codes[row], line);
        }
    }
    switch (c->type) {
    case REC_TABLE_NUMBER: {
        rec__text_field t = trimmed(f);
        int r = rec__text_parse_double(&col->numbers[row], t.p, t.len);
        if (r == REC__NUM_OK)
            return REC_OK;
        return col_error(L, c, line, "'%s' is not %s%s", REC__QUOTE(f),
                         r == REC__NUM_RANGE ? "a finite number" : "a number",
                         inference_hint(L, c, hint, sizeof hint));
    }
    case REC_TABLE_INTEGER: {
        rec__text_field t = trimmed(f);
        int64_t v;
        int r = rec__text_parse_i64(&v, t.p, t.len);
        if (r == REC__NUM_OK && v <= MAX_EXACT_INT && v >= -MAX_EXACT_INT) {
            col->numbers[row] = (double)v;
            return REC_OK;
        }
        if (r == REC__NUM_SYNTAX)
            return col_error(L, c, line, "'%s' is not an integer", REC__QUOTE(f));
        return col_error(L, c, line, "'%s' is beyond 2^53 in magnitude (read it as "
                         "REC_TABLE_ID to keep it as a string)", REC__QUOTE(f));
    }
    case REC_TABLE_ID:
        if (!is_integer_text(f->p, f->len))
            return col_error(L, c, line, "'%s' is not an integer id%s",
                             rec__text_quote(q, f->p, f->len),
                             inference_hint(L, c, hint, sizeof hint));
        return intern(L, c, f->p, f->len, &col->codes[row], line);
    case REC_TABLE_STRING_LIST: {
        rec_status rc = put_list(L, c, f->p, f->len, line);
        col->offsets[row + 1] = c->n_vals;
        return rc;
    }
    default:
        return intern(L, c, f->p, f->len, &col->codes[row], line);
    }
}

/* The fields of one row into every column. */
static rec_status add_row(loader *L, const rec__text_field *fields, size_t line)
{
    if (L->n_rows == L->cap_rows) {
        rec_status rc = grow_rows(L);
        if (rc != REC_OK)
            return rc;
    }
    for (size_t j = 0; j < L->n_cols; j++) {
        rec_status rc = put(L, &L->cols[j], &fields[L->cols[j].src], L->n_rows, line);
        if (rc != REC_OK)
            return rc;
    }
    L->n_rows++;
    return REC_OK;
}

/* ---- inference ---------------------------------------------------------------------------- */

/* Keep a row's fields until the types are known, and tally them. */
static rec_status hold(loader *L, const rec__text_field *fields, size_t line)
{
    size_t bytes = 0;
    for (size_t j = 0; j < L->n_cols; j++)
        bytes += fields[L->cols[j].src].len;
    if (L->held_len + bytes > L->held_cap) {
        size_t cap = 2 * (L->held_cap + bytes);
        char *h = rec__realloc(L->held, cap);
        if (!h)
            return nomem(L);
        L->held = h;
        L->held_cap = cap;
    }
    if (L->n_held == L->cap_held) {
        size_t cap = L->cap_held ? 2 * L->cap_held : 1; /* memory stays within 2x the rows held */
        size_t *at = rec__realloc(L->held_at, cap * 2 * L->n_cols * sizeof *at);
        if (!at)
            return nomem(L);
        L->held_at = at;
        size_t *lines = rec__realloc(L->held_line, cap * sizeof *lines);
        if (!lines)
            return nomem(L);
        L->held_line = lines;
        L->cap_held = cap;
    }
    size_t *at = L->held_at, *lines = L->held_line;
    lines[L->n_held] = line;
    for (size_t j = 0; j < L->n_cols; j++) {
        tcol *c = &L->cols[j];
        const rec__text_field *f = &fields[c->src];
        if (f->len > 0)
            memcpy(L->held + L->held_len, f->p, f->len);
        at[(L->n_held * L->n_cols + j) * 2] = L->held_len;
        at[(L->n_held * L->n_cols + j) * 2 + 1] = f->len;
        L->held_len += f->len;
        if (c->type == REC_TABLE_AUTO && f->len > 0) {
            rec__text_field t = trimmed(f);
            double v;
            c->seen_value = 1;
            c->all_number &= rec__text_parse_double(&v, t.p, t.len) == REC__NUM_OK;
            c->all_integer &= is_integer_text(f->p, f->len);
        }
    }
    L->n_held++;
    return REC_OK;
}

/* Fix the inferred types, then replay the held rows. */
static rec_status release_held(loader *L)
{
    for (size_t j = 0; j < L->n_cols; j++) {
        tcol *c = &L->cols[j];
        if (c->type != REC_TABLE_AUTO)
            continue;
        c->inferred = 1;
        if (c->seen_value && c->all_integer && id_named(c->file_name))
            c->type = REC_TABLE_ID;
        else if (c->seen_value && c->all_number)
            c->type = REC_TABLE_NUMBER;
        else
            c->type = REC_TABLE_STRING;
    }
    L->holding = 0;
    rec__text_field *row = rec__malloc(L->n_names * sizeof *row);
    if (!row)
        return nomem(L);
    rec_status rc = REC_OK;
    for (size_t r = 0; r < L->n_held && rc == REC_OK; r++) {
        for (size_t j = 0; j < L->n_cols; j++) {
            const size_t *at = &L->held_at[(r * L->n_cols + j) * 2];
            row[L->cols[j].src].p = at[1] > 0 ? L->held + at[0] : "";
            row[L->cols[j].src].len = at[1];
        }
        rc = add_row(L, row, L->held_line[r]);
    }
    rec__free(row);
    rec__free(L->held);
    rec__free(L->held_at);
    rec__free(L->held_line);
    L->held = NULL;
    L->held_at = L->held_line = NULL;
    L->n_held = L->cap_held = 0;
    return rc;
}

/* ---- rows --------------------------------------------------------------------------------- */

/* The record just read, as a data row. */
static rec_status take_record(loader *L)
{
    const rec__csv *c = &L->csv;
    size_t want = L->o->min_fields ? L->o->min_fields : L->n_names;
    int at_least = L->o->min_fields && !L->o->exact_fields;
    if (at_least ? c->n < want : c->n != want)
        return rec__text_line_error(L->fn, L->path, c->rec_line, "expected %s%zu field%s, "
                                    "found %zu", at_least ? "at least " : "", want,
                                    want == 1 ? "" : "s", c->n);
    if (c->unterminated && L->o->refuse_unterminated)
        return rec__text_line_error(L->fn, L->path, c->rec_line, "truncated last line (no "
                                    "newline)");
    if (L->n_rows + L->n_held >= UINT32_MAX - 1)
        return rec__text_line_error(L->fn, L->path, c->rec_line, "more than 2^32 - 2 rows");
    if (!L->holding)
        return add_row(L, c->f, c->rec_line);
    rec_status rc = hold(L, c->f, c->rec_line);
    if (rc == REC_OK && L->n_held >= L->o->infer_rows)
        rc = release_held(L);
    return rc;
}

/* Next record that is not a skipped blank line: 1, 0 at the end, or a failure in *rc. */
static int next_record(loader *L, rec_status *rc)
{
    for (;;) {
        int r = rec__csv_next(&L->csv);
        if (r < 0) {
            *rc = csv_error(L, r);
            return -1;
        }
        if (r == 0 || !(L->csv.blank && L->o->skip_blank))
            return r;
    }
}

static rec_status read_all(loader *L)
{
    rec_status rc = REC_OK;
    int r = next_record(L, &rc);
    if (r < 0)
        return rc;
    if (r == 0)
        return rec__text_line_error(L->fn, L->path, 1, "empty file");
    size_t header_line = L->o->header ? L->csv.rec_line : 0;
    size_t n_fields = L->csv.n;
    if (L->o->min_fields) {
        /* the header is not looked at; the first data row must reach every position asked
         * for (and so bounds the names made for them) */
        if (L->o->header && (r = next_record(L, &rc)) <= 0)
            return r < 0 ? rc : rec__text_line_error(L->fn, L->path, header_line,
                                                     "no data rows after the header");
        if (L->csv.n < L->o->min_fields)
            return take_record(L);
        n_fields = L->o->min_fields;
    }
    rc = take_names(L, n_fields, L->o->header && !L->o->min_fields);
    if (rc == REC_OK)
        rc = plan_columns(L);
    if (rc != REC_OK)
        return rc;
    for (size_t j = 0; j < L->n_cols; j++)
        L->holding |= L->cols[j].type == REC_TABLE_AUTO;
    if ((!L->o->header || L->o->min_fields) && (rc = take_record(L)) != REC_OK)
        return rc;
    while ((r = next_record(L, &rc)) == 1)
        if ((rc = take_record(L)) != REC_OK)
            return rc;
    if (r < 0)
        return rc;
    if (L->holding && (rc = release_held(L)) != REC_OK)
        return rc;
    if (L->n_rows == 0)
        return rec__text_line_error(L->fn, L->path, header_line ? header_line : 1,
                                    "no data rows after the header");
    return REC_OK;
}

/* The built columns into a dataset, trimmed to size. */
static rec_status build(rec_dataset **out, loader *L)
{
    rec_dataset *ds;
    if (rec_dataset_create(&ds, L->n_rows) != REC_OK)
        return nomem(L);
    for (size_t j = 0; j < L->n_cols; j++) {
        tcol *c = &L->cols[j];
        rec__column *col = &c->col;
        size_t n = L->n_rows;
        if (c->type == REC_TABLE_NUMBER || c->type == REC_TABLE_INTEGER) {
            col->type = REC_COLUMN_NUMBER;
            double *p = rec__realloc(col->numbers, n * sizeof *p);
            col->numbers = p ? p : col->numbers;
        } else if (c->type == REC_TABLE_STRING_LIST) {
            col->type = REC_COLUMN_STRING_LIST;
            size_t *p = rec__realloc(col->offsets, (n + 1) * sizeof *p);
            col->offsets = p ? p : col->offsets;
            if (c->n_vals > 0) {
                uint32_t *q = rec__realloc(col->codes, c->n_vals * sizeof *q);
                col->codes = q ? q : col->codes;
            }
        } else {
            col->type = REC_COLUMN_STRING;
            uint32_t *p = rec__realloc(col->codes, n * sizeof *p);
            col->codes = p ? p : col->codes;
        }
        col->name = rec__strdup(c->ds_name);
        rec_status rc = col->name ? rec__dataset_adopt_column(ds, col) : REC_ENOMEM;
        if (rc != REC_OK) {
            rec__dataset_column_release(col);
            rec_dataset_free(ds);
            return rc == REC_ENOMEM ? nomem(L) : rc;
        }
    }
    *out = ds;
    return REC_OK;
}

rec_status rec__table_load(rec_dataset **out, const char *path, const char *data, size_t size,
                           const char *name, const rec_table_options *o, const char *fn)
{
    rec_table_options defaults;
    if (!o) {
        rec__table_options_defaults(&defaults);
        o = &defaults;
    }
    loader L = {0};
    L.fn = fn;
    L.path = path ? path : name ? name : "<memory>";
    L.o = o;
    int fd = -1;
    rec_status rc = path ? open_file(&fd, &L) : REC_OK;
    if (rc != REC_OK)
        return rc;
    if (rec__csv_open(&L.csv, fd, data, size, o->delim, o->quote) != REC_OK)
        rc = nomem(&L);
    if (rc == REC_OK)
        rc = read_all(&L);
    if (rc == REC_OK)
        rc = build(out, &L);
    rec__csv_close(&L.csv);
    if (fd >= 0)
        close(fd);
    for (size_t j = 0; j < L.n_cols; j++) {
        rec__dataset_column_release(&L.cols[j].col);
        rec__free(L.cols[j].by_int);
    }
    for (size_t i = 0; i < L.n_names; i++)
        rec__free(L.names[i]);
    rec__free(L.names);
    rec__free(L.cols);
    rec__free(L.held);
    rec__free(L.held_at);
    rec__free(L.held_line);
    return rc;
}

rec_status rec_dataset_load_table(rec_dataset **out, const char *path,
                                  const rec_table_options *options)
{
    static const char FN[] = "rec_dataset_load_table";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", FN);
    *out = NULL;
    if (!path)
        return rec__error(REC_EINVAL, "%s: path is NULL", FN);
    return rec__table_load(out, path, NULL, 0, NULL, options, FN);
}

rec_status rec_dataset_parse_table(rec_dataset **out, const char *data, size_t size,
                                   const char *name, const rec_table_options *options)
{
    static const char FN[] = "rec_dataset_parse_table";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", FN);
    *out = NULL;
    if (!data && size > 0)
        return rec__error(REC_EINVAL, "%s: data is NULL and size is %zu", FN, size);
    return rec__table_load(out, NULL, data ? data : "", size, name, options, FN);
}
