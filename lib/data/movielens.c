/* MovieLens 100K: ratings (u.data or a fold file) joined with u.item, u.user, u.genre and
 * u.occupation into the TFDS movielens/100k-ratings columns listed in rec/movielens.h.
 *
 * The tables are read once per call and kept as fields pointing into the file buffers; the
 * string columns are then built per distinct user or movie (a per-entity code cache), so each
 * distinct string is converted and interned once however many ratings refer to it. The GroupLens
 * files are ISO-8859-1 (u.item has titles such as "Mis\xe9rables, Les (1995)"): every stored
 * string is converted to UTF-8. */
#include "data/loader.h"
#include "base/base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char FN[] = "rec_dataset_load_movielens";


/* The files, in the order they are read. */
enum { F_GENRE, F_OCCUPATION, F_USER, F_ITEM, F_RATINGS, N_FILES };
static const char *const table_names[N_FILES - 1] = {"u.genre", "u.occupation", "u.user",
                                                      "u.item"};

typedef struct ml_user {
    uint32_t id;
    uint32_t occupation; /* 0-based line of u.occupation */
    size_t line;         /* in u.user, for messages about duplicates (the table is sorted) */
    double age;
    rec__text_field gender, occupation_text, zip;
} ml_user;

typedef struct ml_item {
    uint32_t id;
    double year;         /* NaN when the release date is missing */
    size_t line;         /* in u.item, for messages about duplicates */
    rec__text_field title, date;
    size_t genres;       /* offset of its n_genres flags in loader.item_genres */
} ml_item;

typedef struct loader {
    char *path[N_FILES];
    rec__text text[N_FILES];
    rec__text_field *genre_names; /* by genre index */
    size_t n_genres;
    rec__dict occupations;   /* code = label */
    ml_user *users;
    size_t n_users;
    ml_item *items;
    size_t n_items;
    uint8_t *item_genres;    /* n_items × n_genres 0/1 flags */
    uint32_t *row_user, *row_item; /* per rating: index into users / items */
    double *rating, *timestamp;
    size_t n_rows;
    char *scratch;           /* Latin-1 → UTF-8 conversions */
    size_t scratch_cap;
} loader;

static void loader_release(loader *L)
{
    for (int f = 0; f < N_FILES; f++) {
        rec__free(L->path[f]);
        rec__text_release(&L->text[f]);
    }
    rec__free(L->genre_names);
    rec__dict_release(&L->occupations);
    rec__free(L->users);
    rec__free(L->items);
    rec__free(L->item_genres);
    rec__free(L->row_user);
    rec__free(L->row_item);
    rec__free(L->rating);
    rec__free(L->timestamp);
    rec__free(L->scratch);
}

static rec_status nomem(void)
{
    return rec__error(REC_ENOMEM, "%s: out of memory", FN);
}

/* REC_EFORMAT naming this loader, the file and the line (base/text.c). */
#define bad_line(path, line, ...) rec__text_line_error(FN, (path), (line), __VA_ARGS__)

/* dir + "/" + name (no doubled '/'). */
static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = a < SIZE_MAX / 2 && b < SIZE_MAX / 2 ? rec__malloc(a + b + 2) : NULL;
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    if (slash)
        p[a] = '/';
    memcpy(p + a + slash, name, b + 1);
    return p;
}

/* Read file f; refuse an empty one ("<path>:1: empty file") and NUL bytes. */
static rec_status read_file(loader *L, int f)
{
    rec_status rc = rec__text_read(&L->text[f], L->path[f], FN);
    if (rc == REC_OK)
        rc = rec__text_check_no_nul(&L->text[f], L->path[f], FN);
    if (rc == REC_OK && L->text[f].size == 0)
        rc = bad_line(L->path[f], 1, "empty file");
    return rc;
}

/* An id field: a decimal integer in 1..2^32-1. Returns 0 when it is not one. */
static int parse_id(uint32_t *id, const rec__text_field *f)
{
    int64_t v;
    if (rec__text_parse_i64(&v, f->p, f->len) != REC__NUM_OK || v < 1 || v > (int64_t)UINT32_MAX)
        return 0;
    *id = (uint32_t)v;
    return 1;
}

/* Iterate the non-empty lines of a one-name-per-line file (u.genre, u.occupation): empty lines
 * are allowed only at the end (u.genre ends with one). Returns 1 with a line, 0 at the end, or
 * -1 with the error set. */
static int next_name_line(rec__text_lines *it, const char *path, const char **line, size_t *len)
{
    int unterminated;
    if (!rec__text_lines_next(it, line, len, &unterminated))
        return 0;
    if (*len > 0)
        return 1;
    size_t empty_line = it->line_no;
    const char *l;
    size_t n;
    while (rec__text_lines_next(it, &l, &n, &unterminated))
        if (n > 0) {
            bad_line(path, empty_line, "empty line");
            return -1;
        }
    return 0;
}

/* u.genre: "name|index" per line, indices 0..n-1 each once. */
static rec_status load_genres(loader *L)
{
    const rec__text *t = &L->text[F_GENRE];
    const char *path = L->path[F_GENRE], *line;
    size_t len, n = 0;
    int r;
    rec__text_lines it;
    rec__text_lines_init(&it, t);
    while ((r = next_name_line(&it, path, &line, &len)) == 1)
        n++;
    if (r < 0)
        return REC_EFORMAT;
    if (n == 0)
        return bad_line(path, 1, "no genres");
    L->n_genres = n;
    L->genre_names = rec__calloc(n, sizeof *L->genre_names);
    if (!L->genre_names)
        return nomem();
    rec__text_lines_init(&it, t);
    while (next_name_line(&it, path, &line, &len) == 1) {
        rec__text_field f[3];
        size_t nf = rec__text_split(f, 3, line, len, '|');
        int64_t idx;
        if (nf != 2)
            return bad_line(path, it.line_no, "expected 2 '|'-separated fields, found %zu", nf);
        if (rec__text_parse_i64(&idx, f[1].p, f[1].len) != REC__NUM_OK || idx < 0 ||
            (uint64_t)idx >= n)
            return bad_line(path, it.line_no, "genre index '%s' is not in 0..%zu",
                            REC__QUOTE(&f[1]), n - 1);
        if (f[0].len == 0)
            return bad_line(path, it.line_no, "empty genre name");
        if (L->genre_names[idx].p)
            return bad_line(path, it.line_no, "genre index %d appears twice", (int)idx);
        L->genre_names[idx] = f[0];
    }
    return REC_OK;
}

/* u.occupation: one name per line; the label is the 0-based line number. */
static rec_status load_occupations(loader *L)
{
    const char *path = L->path[F_OCCUPATION], *line;
    size_t len;
    int r;
    rec__text_lines it;
    rec__text_lines_init(&it, &L->text[F_OCCUPATION]);
    while ((r = next_name_line(&it, path, &line, &len)) == 1) {
        uint32_t code;
        size_t before = L->occupations.n;
        if (rec__dict_intern(&L->occupations, line, len, &code) != REC_OK)
            return nomem();
        if (L->occupations.n == before)
            return bad_line(path, it.line_no, "occupation '%s' appears twice",
                            rec__text_quote((char[REC__QUOTE_CAP]){0}, line, len));
    }
    return r < 0 ? REC_EFORMAT : REC_OK;
}

/* Number of lines of a text (an upper bound on its records). */
static size_t count_lines(const rec__text *t)
{
    size_t n = 1;
    for (const char *p = t->data; (p = memchr(p, '\n', (size_t)(t->data + t->size - p))); p++)
        n++;
    return n;
}

static int compare_users(const void *a, const void *b)
{
    uint32_t x = ((const ml_user *)a)->id, y = ((const ml_user *)b)->id;
    return (x > y) - (x < y);
}

static int compare_items(const void *a, const void *b)
{
    uint32_t x = ((const ml_item *)a)->id, y = ((const ml_item *)b)->id;
    return (x > y) - (x < y);
}

/* "<path>:<line>: <what> <id> appears twice (first on line <line>)": the later of the two
 * lines is the one at fault (the tables are sorted by id when this is found). */
static rec_status duplicate(const char *path, const char *what, uint32_t id, size_t line_a,
                            size_t line_b)
{
    size_t first = line_a < line_b ? line_a : line_b, second = line_a < line_b ? line_b : line_a;
    return bad_line(path, second, "%s %u appears twice (first on line %zu)", what, (unsigned)id,
                    first);
}

/* u.user: id|age|gender|occupation|zip code. */
static rec_status load_users(loader *L)
{
    const rec__text *t = &L->text[F_USER];
    const char *path = L->path[F_USER], *line;
    size_t len;
    int unterminated;
    L->users = rec__malloc(count_lines(t) * sizeof *L->users);
    if (!L->users)
        return nomem();
    rec__text_lines it;
    rec__text_lines_init(&it, t);
    while (rec__text_lines_next(&it, &line, &len, &unterminated)) {
        rec__text_field f[6];
        size_t nf = rec__text_split(f, 6, line, len, '|');
        ml_user *u = &L->users[L->n_users];
        int64_t age;
        if (nf != 5)
            return bad_line(path, it.line_no, "expected 5 '|'-separated fields, found %zu", nf);
        if (!parse_id(&u->id, &f[0]))
            return bad_line(path, it.line_no, "user id '%s' is not a number in 1..2^32-1",
                            REC__QUOTE(&f[0]));
        if (rec__text_parse_i64(&age, f[1].p, f[1].len) != REC__NUM_OK || age < 0 || age > 1000)
            return bad_line(path, it.line_no, "age '%s' is not a number in 0..1000",
                            REC__QUOTE(&f[1]));
        if (!rec__dict_find(&L->occupations, f[3].p, f[3].len, &u->occupation))
            return bad_line(path, it.line_no, "occupation '%s' is not in u.occupation",
                            REC__QUOTE(&f[3]));
        u->age = (double)age;
        u->line = it.line_no;
        u->gender = f[2];
        u->occupation_text = f[3];
        u->zip = f[4];
        L->n_users++;
    }
    qsort(L->users, L->n_users, sizeof *L->users, compare_users);
    for (size_t i = 1; i < L->n_users; i++)
        if (L->users[i].id == L->users[i - 1].id)
            return duplicate(path, "user", L->users[i].id, L->users[i - 1].line,
                             L->users[i].line);
    return REC_OK;
}

/* Year of "DD-Mon-YYYY" (or "D-Mon-YYYY": u.item has one, "4-Feb-1971"), or 0 when f is not
 * such a date. */
static int parse_date_year(const rec__text_field *f)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *s = f->p;
    size_t d = f->len == 11 ? 2 : f->len == 10 ? 1 : 0; /* digits of the day */
    if (d == 0 || s[d] != '-' || s[d + 4] != '-')
        return 0;
    int day = 0, year = 0, month_ok = 0;
    for (size_t i = 0; i < d; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        day = day * 10 + (s[i] - '0');
    }
    for (size_t i = d + 5; i < f->len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        year = year * 10 + (s[i] - '0');
    }
    for (int m = 0; m < 12; m++)
        month_ok |= memcmp(s + d + 1, months + 3 * m, 3) == 0;
    return day >= 1 && day <= 31 && month_ok && year > 0 ? year : 0;
}

/* u.item: id|title|release date|video release date|IMDb URL|one 0/1 flag per genre. */
static rec_status load_items(loader *L)
{
    const rec__text *t = &L->text[F_ITEM];
    const char *path = L->path[F_ITEM], *line;
    size_t len, max_items = count_lines(t), n_fields = 5 + L->n_genres, bytes;
    int unterminated;
    rec__text_field *f = rec__malloc((n_fields + 1) * sizeof *f);
    L->items = rec__malloc(max_items * sizeof *L->items);
    if (rec__alloc_mul(max_items, L->n_genres, &bytes))
        L->item_genres = rec__malloc(bytes);
    if (!f || !L->items || !L->item_genres) {
        rec__free(f);
        return nomem();
    }
    rec_status rc = REC_OK;
    rec__text_lines it;
    rec__text_lines_init(&it, t);
    while (rc == REC_OK && rec__text_lines_next(&it, &line, &len, &unterminated)) {
        size_t nf = rec__text_split(f, n_fields + 1, line, len, '|');
        ml_item *m = &L->items[L->n_items];
        if (nf != n_fields) {
            rc = bad_line(path, it.line_no, "expected %zu '|'-separated fields (5 + %zu genres), "
                          "found %zu", n_fields, L->n_genres, nf);
            break;
        }
        if (!parse_id(&m->id, &f[0])) {
            rc = bad_line(path, it.line_no, "movie id '%s' is not a number in 1..2^32-1",
                          REC__QUOTE(&f[0]));
            break;
        }
        int year = f[2].len ? parse_date_year(&f[2]) : 0;
        if (f[2].len && !year) {
            rc = bad_line(path, it.line_no, "release date '%s' is not DD-Mon-YYYY",
                          REC__QUOTE(&f[2]));
            break;
        }
        m->title = f[1];
        m->date = f[2];
        m->line = it.line_no;
        m->year = f[2].len ? (double)year : NAN;
        m->genres = L->n_items * L->n_genres;
        for (size_t g = 0; g < L->n_genres && rc == REC_OK; g++) {
            const rec__text_field *flag = &f[5 + g];
            if (flag->len != 1 || (flag->p[0] != '0' && flag->p[0] != '1'))
                rc = bad_line(path, it.line_no, "genre flag %zu ('%s') is not 0 or 1", g + 1,
                              REC__QUOTE(flag));
            else
                L->item_genres[m->genres + g] = flag->p[0] == '1';
        }
        L->n_items++;
    }
    rec__free(f);
    if (rc != REC_OK)
        return rc;
    qsort(L->items, L->n_items, sizeof *L->items, compare_items);
    for (size_t i = 1; i < L->n_items; i++)
        if (L->items[i].id == L->items[i - 1].id)
            return duplicate(path, "movie", L->items[i].id, L->items[i - 1].line,
                             L->items[i].line);
    return REC_OK;
}

/* Index of id in a table sorted by id, or SIZE_MAX. The table's elements are `size` bytes
 * and start with their uint32_t id (ml_user, ml_item). The GroupLens ids are 1..n, which the
 * first test answers without a search. */
static size_t find_id(const void *table, size_t n, size_t size, uint32_t id)
{
    const char *base = table;
#define ID_AT(i) (*(const uint32_t *)(const void *)(base + (i) * size))
    if (id >= 1 && id <= n && ID_AT(id - 1) == id)
        return id - 1;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ID_AT(mid) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ID_AT(lo) == id ? lo : SIZE_MAX;
#undef ID_AT
}

/* The ratings file: user \t item \t rating \t timestamp, every line ending in '\n'. */
/* Row r of the u.data table: checked, then stored. */
static rec_status check_rating(loader *L, const rec_dataset *t, size_t r)
{
    const char *path = L->path[F_RATINGS];
    size_t ln = r + 1;
    rec__text_field f[4];
    for (int k = 0; k < 4; k++) {
        const rec__column *c = &t->cols[k];
        f[k].p = c->dict.strings[c->codes[r]];
        f[k].len = strlen(f[k].p);
    }
    uint32_t user, item;
    int64_t rating, ts;
    double unused;
    if (!parse_id(&user, &f[0]))
        return bad_line(path, ln, "user id '%s' is not a number in 1..2^32-1",
                        REC__QUOTE(&f[0]));
    if (!parse_id(&item, &f[1]))
        return bad_line(path, ln, "movie id '%s' is not a number in 1..2^32-1",
                        REC__QUOTE(&f[1]));
    if (rec__text_parse_i64(&rating, f[2].p, f[2].len) != REC__NUM_OK)
        return bad_line(path, ln, "rating '%s' is %s", REC__QUOTE(&f[2]),
                        rec__text_parse_double(&unused, f[2].p, f[2].len) == REC__NUM_OK
                            ? "not an integer" : "not a number");
    if (rating < 1 || rating > 5)
        return bad_line(path, ln, "rating %lld outside 1..5", (long long)rating);
    /* 2^53: the largest range in which every integer is an exact double */
    if (rec__text_parse_i64(&ts, f[3].p, f[3].len) != REC__NUM_OK || ts < 0 ||
        ts > (INT64_C(1) << 53))
        return bad_line(path, ln, "timestamp '%s' is not an integer in 0..2^53",
                        REC__QUOTE(&f[3]));
    size_t u = find_id(L->users, L->n_users, sizeof *L->users, user);
    if (u == SIZE_MAX)
        return bad_line(path, ln, "user %u is not in u.user", (unsigned)user);
    size_t m = find_id(L->items, L->n_items, sizeof *L->items, item);
    if (m == SIZE_MAX)
        return bad_line(path, ln, "movie %u is not in u.item", (unsigned)item);
    L->row_user[r] = (uint32_t)u; /* tables hold < 2^32 entries */
    L->row_item[r] = (uint32_t)m;
    L->rating[r] = (double)rating;
    L->timestamp[r] = (double)ts;
    L->n_rows++;
    return REC_OK;
}

/* u.data through the table loader: tab-separated, no quoting, exactly 4 fields per line, a
 * last line without '\n' refused (a cut-off download or copy, whose last field may be cut
 * too). The fields come back as strings and are checked here, where the rules of the file
 * are: ids in 1..2^32-1 that u.user and u.item know, ratings 1..5, timestamps 0..2^53. */
static rec_status load_ratings(loader *L)
{
    const char *path = L->path[F_RATINGS];
    static const char *const names[4] = {"user id", "movie id", "rating", "timestamp"};
    rec_table_options o;
    rec__table_options_defaults(&o);
    o.delim = '\t';
    o.quote = '\0';
    o.header = 0;
    o.skip_blank = 0;
    o.min_fields = 4;
    o.exact_fields = 1;
    o.refuse_unterminated = 1;
    rec_status rc = REC_OK;
    for (uint32_t k = 0; k < 4 && rc == REC_OK; k++)
        rc = rec__table_options_add_position(&o, k, names[k], REC_TABLE_STRING,
                                             REC_MISSING_ALLOW);
    rec_dataset *t = NULL;
    rc = rc == REC_OK ? rec__table_load(&t, path, NULL, 0, NULL, &o, FN) : nomem();
    rec__table_options_release(&o);
    if (rc != REC_OK)
        return rc;
    size_t n = t->n_rows;
    L->row_user = rec__malloc(n * sizeof *L->row_user);
    L->row_item = rec__malloc(n * sizeof *L->row_item);
    L->rating = rec__malloc(n * sizeof *L->rating);
    L->timestamp = rec__malloc(n * sizeof *L->timestamp);
    if (!L->row_user || !L->row_item || !L->rating || !L->timestamp) {
        rec_dataset_free(t);
        return nomem();
    }
    /* no blank line is skipped and nothing is quoted: row r is line r + 1 */
    for (size_t r = 0; r < n && rc == REC_OK; r++)
        rc = check_rating(L, t, r);
    rec_dataset_free(t);
    return rc;
}

/* ---- building the columns ---------------------------------------------------------------- */

/* The text of column `which` for entity (user or movie) e. */
typedef rec__text_field (*text_of)(const loader *L, size_t e, int which);

enum { T_USER_ID, T_GENDER, T_OCCUPATION, T_ZIP, T_ZIP_PREFIX, T_MOVIE_ID, T_TITLE, T_DATE };

static rec__text_field user_text(const loader *L, size_t e, int which)
{
    const ml_user *u = &L->users[e];
    if (which == T_ZIP_PREFIX) {
        /* the first character: a US zip code's first digit is its national area (0 = the
         * north-east ... 9 = the west coast); u.user also has Canadian codes ("T8H1N"), whose
         * first letter is a province, and an empty field stays empty */
        rec__text_field f = u->zip;
        if (f.len > 1)
            f.len = 1;
        return f;
    }
    return which == T_GENDER ? u->gender : which == T_OCCUPATION ? u->occupation_text : u->zip;
}

static rec__text_field item_text(const loader *L, size_t e, int which)
{
    return which == T_TITLE ? L->items[e].title : L->items[e].date;
}

/* Intern field f into dict, converting ISO-8859-1 to UTF-8: a byte b ≥ 0x80 is the code
 * point b (U+0080..U+00FF), encoded as the two bytes 0xC0 | b >> 6, 0x80 | (b & 0x3F). */
static rec_status intern_latin1(loader *L, rec__dict *dict, rec__text_field f, uint32_t *code)
{
    size_t extra = 0;
    for (size_t i = 0; i < f.len; i++)
        extra += (unsigned char)f.p[i] >= 0x80;
    if (extra == 0)
        return rec__dict_intern(dict, f.p, f.len, code);
    size_t need = f.len + extra;
    if (need > L->scratch_cap) {
        char *bigger = rec__realloc(L->scratch, need);
        if (!bigger)
            return REC_ENOMEM;
        L->scratch = bigger;
        L->scratch_cap = need;
    }
    size_t k = 0;
    for (size_t i = 0; i < f.len; i++) {
        unsigned char b = (unsigned char)f.p[i];
        if (b < 0x80) {
            L->scratch[k++] = (char)b;
        } else {
            L->scratch[k++] = (char)(0xC0 | (b >> 6));
            L->scratch[k++] = (char)(0x80 | (b & 0x3F));
        }
    }
    return rec__dict_intern(dict, L->scratch, k, code);
}

/* Decimal digits of id into buf (≥ 10 bytes); returns the length. */
static size_t format_id(char *buf, uint32_t id)
{
    char tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + id % 10);
        id /= 10;
    } while (id);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* A string column whose row r is the text `which` of entity rows[r] (of n_entities). Each
 * entity's string is converted and interned once, on its first row, which keeps the codes in
 * first-seen row order like rec_dataset_add_strings. */
static rec_status add_entity_strings(rec_dataset *ds, loader *L, const char *name,
                                     const uint32_t *rows, size_t n_entities, int which,
                                     text_of text)
{
    rec__column col = {0};
    col.type = REC_COLUMN_STRING;
    col.name = rec__strdup(name);
    col.codes = rec__malloc(L->n_rows * sizeof *col.codes);
    uint32_t *cache = rec__malloc(n_entities * sizeof *cache);
    rec_status rc = col.name && col.codes && cache ? REC_OK : REC_ENOMEM;
    if (cache)
        memset(cache, 0xFF, n_entities * sizeof *cache); /* UINT32_MAX: not yet interned */
    for (size_t r = 0; r < L->n_rows && rc == REC_OK; r++) {
        uint32_t e = rows[r];
        if (cache[e] == UINT32_MAX) {
            if (which == T_USER_ID || which == T_MOVIE_ID) {
                char digits[10];
                uint32_t id = which == T_USER_ID ? L->users[e].id : L->items[e].id;
                rc = rec__dict_intern(&col.dict, digits, format_id(digits, id), &cache[e]);
            } else {
                rc = intern_latin1(L, &col.dict, text(L, e, which), &cache[e]);
            }
        }
        col.codes[r] = cache[e];
    }
    rec__free(cache);
    if (rc != REC_OK) {
        rec__dataset_column_release(&col);
        return nomem();
    }
    return rec__dataset_adopt_column(ds, &col);
}

/* movie_genres: per row, the names of its movie's genres in u.genre index order. */
static rec_status add_genres(rec_dataset *ds, loader *L)
{
    rec__column col = {0};
    uint32_t *genre_code = rec__malloc(L->n_genres * sizeof *genre_code);
    col.type = REC_COLUMN_STRING_LIST;
    col.name = rec__strdup("movie_genres");
    col.offsets = rec__malloc((L->n_rows + 1) * sizeof *col.offsets);
    rec_status rc = col.name && col.offsets && genre_code ? REC_OK : REC_ENOMEM;
    if (rc == REC_OK) {
        memset(genre_code, 0xFF, L->n_genres * sizeof *genre_code);
        size_t total = 0;
        col.offsets[0] = 0;
        for (size_t r = 0; r < L->n_rows; r++) {
            const uint8_t *flags = L->item_genres + L->items[L->row_item[r]].genres;
            for (size_t g = 0; g < L->n_genres; g++)
                total += flags[g];
            col.offsets[r + 1] = total;
        }
        col.codes = rec__malloc(total * sizeof *col.codes); /* ≤ rows × genres: fits */
        rc = col.codes ? REC_OK : REC_ENOMEM;
    }
    for (size_t r = 0; r < L->n_rows && rc == REC_OK; r++) {
        const uint8_t *flags = L->item_genres + L->items[L->row_item[r]].genres;
        size_t k = col.offsets[r];
        for (size_t g = 0; g < L->n_genres && rc == REC_OK; g++) {
            if (!flags[g])
                continue;
            if (genre_code[g] == UINT32_MAX)
                rc = intern_latin1(L, &col.dict, L->genre_names[g], &genre_code[g]);
            col.codes[k++] = genre_code[g];
        }
    }
    rec__free(genre_code);
    if (rc != REC_OK) {
        rec__dataset_column_release(&col);
        return nomem();
    }
    return rec__dataset_adopt_column(ds, &col);
}

/* Number columns. */
enum { N_YEAR, N_AGE, N_AGE_BUCKET, N_OCCUPATION };

/* ML-1M's age buckets (TFDS bucketized_user_age): the largest of {1, 18, 25, 35, 45, 50, 56}
 * not above age, and 1 below 18. */
static double age_bucket(double age)
{
    static const double lower[] = {56, 50, 45, 35, 25, 18};
    for (int i = 0; i < 6; i++)
        if (age >= lower[i])
            return lower[i];
    return 1;
}

static rec_status add_numbers(rec_dataset *ds, loader *L, const char *name, int which,
                              double **take)
{
    rec__column col = {0};
    col.type = REC_COLUMN_NUMBER;
    col.name = rec__strdup(name);
    if (take) {
        col.numbers = *take; /* the column takes the array parsed from the ratings */
        *take = NULL;
    } else {
        col.numbers = rec__malloc(L->n_rows * sizeof *col.numbers);
    }
    if (!col.name || !col.numbers) {
        rec__dataset_column_release(&col);
        return nomem();
    }
    for (size_t r = 0; r < L->n_rows && !take; r++) {
        const ml_user *u = &L->users[L->row_user[r]];
        col.numbers[r] = which == N_YEAR         ? L->items[L->row_item[r]].year
                         : which == N_AGE        ? u->age
                         : which == N_AGE_BUCKET ? age_bucket(u->age)
                                                 : (double)u->occupation;
    }
    return rec__dataset_adopt_column(ds, &col);
}

static rec_status build(rec_dataset **out, loader *L)
{
    rec_dataset *ds;
    rec_status rc = rec_dataset_create(&ds, L->n_rows);
    if (rc != REC_OK)
        return rc;
    const uint32_t *ru = L->row_user, *ri = L->row_item;
    size_t nu = L->n_users, ni = L->n_items;
    /* The order of rec/movielens.h's table. */
    rc = add_entity_strings(ds, L, REC__COL_USER, ru, nu, T_USER_ID, user_text);
    if (rc == REC_OK)
        rc = add_entity_strings(ds, L, "movie_id", ri, ni, T_MOVIE_ID, item_text);
    if (rc == REC_OK)
        rc = add_numbers(ds, L, REC__COL_RATING, 0, &L->rating);
    if (rc == REC_OK)
        rc = add_numbers(ds, L, REC__COL_TIME, 0, &L->timestamp);
    if (rc == REC_OK)
        rc = add_entity_strings(ds, L, REC__COL_ITEM, ri, ni, T_TITLE, item_text);
    if (rc == REC_OK)
        rc = add_genres(ds, L);
    if (rc == REC_OK)
        rc = add_entity_strings(ds, L, "release_date", ri, ni, T_DATE, item_text);
    if (rc == REC_OK)
        rc = add_numbers(ds, L, "release_year", N_YEAR, NULL);
    if (rc == REC_OK)
        rc = add_numbers(ds, L, "raw_user_age", N_AGE, NULL);
    if (rc == REC_OK)
        rc = add_numbers(ds, L, "bucketized_user_age", N_AGE_BUCKET, NULL);
    if (rc == REC_OK)
        rc = add_entity_strings(ds, L, "user_gender", ru, nu, T_GENDER, user_text);
    if (rc == REC_OK)
        rc = add_entity_strings(ds, L, "user_occupation_text", ru, nu, T_OCCUPATION,
                                user_text);
    if (rc == REC_OK)
        rc = add_numbers(ds, L, "user_occupation_label", N_OCCUPATION, NULL);
    if (rc == REC_OK)
        rc = add_entity_strings(ds, L, "user_zip_code", ru, nu, T_ZIP, user_text);
    if (rc == REC_OK)
        rc = add_entity_strings(ds, L, "user_zip_prefix", ru, nu, T_ZIP_PREFIX, user_text);
    if (rc != REC_OK) {
        rec_dataset_free(ds);
        return rc == REC_ENOMEM ? nomem() : rc;
    }
    *out = ds;
    return REC_OK;
}

rec_status rec_dataset_load_movielens(rec_dataset **out, const char *dir,
                                      const char *ratings_file)
{
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", FN);
    *out = NULL;
    if (!dir)
        return rec__error(REC_EINVAL, "%s: dir is NULL", FN);
    if (!ratings_file)
        ratings_file = "u.data";
    if (ratings_file[0] == '\0' || strchr(ratings_file, '/') || strcmp(ratings_file, ".") == 0 ||
        strcmp(ratings_file, "..") == 0)
        return rec__error(REC_EINVAL, "%s: ratings_file '%s' is not a plain file name", FN,
                          ratings_file);

    loader L;
    memset(&L, 0, sizeof L);
    rec_status rc = REC_OK;
    for (int f = 0; f < N_FILES && rc == REC_OK; f++) {
        L.path[f] = join_path(dir, f == F_RATINGS ? ratings_file : table_names[f]);
        if (!L.path[f])
            rc = nomem();
    }
    /* Each table needs the one before it: u.user names occupations, u.item genres. */
    if (rc == REC_OK && (rc = read_file(&L, F_GENRE)) == REC_OK)
        rc = load_genres(&L);
    if (rc == REC_OK && (rc = read_file(&L, F_OCCUPATION)) == REC_OK)
        rc = load_occupations(&L);
    if (rc == REC_OK && (rc = read_file(&L, F_USER)) == REC_OK)
        rc = load_users(&L);
    if (rc == REC_OK && (rc = read_file(&L, F_ITEM)) == REC_OK)
        rc = load_items(&L);
    if (rc == REC_OK)
        rc = load_ratings(&L);
    if (rc == REC_OK)
        rc = build(out, &L);
    loader_release(&L);
    return rc;
}
