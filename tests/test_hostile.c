/* Suite "hostile": the bad-input table of docs/RELIABILITY.md, one row per hostile input, fed
 * through the public API. Each row names the file it damages (or the call it abuses), the
 * bytes, the status the library must return and a piece of the message it must leave; every
 * failing call must also set its output handle to NULL. The row ids (H01, ...) are the ones in
 * the document. Under the sanitizer pass the same rows prove there is no crash and no leak.
 *
 * The MovieLens rows damage one file of the valid fixture of movielens_tiny.h (written into a
 * mkdtemp directory), the delimited rows a CSV file, the model-file rows a small saved model. */
#include "rec_check.h"
#include "movielens_tiny.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixture ------------------------------------------------------------------------------ */

static const char *const FILES[] = {"u.genre", "u.occupation", "u.user", "u.item", "u.data",
                                    "ratings.csv", "model.rec", "model.rec.tmp"};
static char dir[64];

static void path_of(char *out, size_t cap, const char *name)
{
    ck_assert_int_lt(snprintf(out, cap, "%s/%s", dir, name), (int)cap);
}

static void write_file(const char *name, const void *data, size_t size)
{
    char path[128];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(size ? fwrite(data, 1, size, f) : 0, size);
    ck_assert_int_eq(fclose(f), 0);
}

static void fixture_setup(void)
{
    strcpy(dir, "/tmp/rec_test_hostile_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < ML_TINY_N_FILES; i++)
        write_file(ML_TINY_FILES[i].name, ML_TINY_FILES[i].text, strlen(ML_TINY_FILES[i].text));
}

static void fixture_teardown(void)
{
    char path[128];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        path_of(path, sizeof path, FILES[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rmdir(path);
        else
            unlink(path);
    }
    rmdir(dir);
}

/* ---- the table ---------------------------------------------------------------------------- */

/* What a row damages. */
enum {
    ML_DATA,       /* u.data, loaded with rec_dataset_load_movielens(dir, NULL) */
    ML_ITEM,       /* u.item */
    ML_USER,       /* u.user */
    ML_GENRE,      /* u.genre */
    ML_OCCUPATION, /* u.occupation */
    CSV,           /* ratings.csv: ',' no header, columns 0 1 2 3 */
    CSV_HEADER,    /* the same with has_header = 1 */
    CSV_SEMICOLON, /* ';' as the delimiter */
    CSV_FAR_COLUMN /* user column 4,000,000,000 */
};

/* Special contents, made at run time. */
enum { BYTES, HUGE_LINE, HUGE_CSV_LINE, A_DIRECTORY, MISSING };

typedef struct row {
    const char *id;
    int target;
    int special;
    const char *data;
    size_t size;
    int code;
    const char *needle;
} row;

#define ROW(id, target, lit, code, needle) {id, target, BYTES, lit, sizeof lit - 1, code, needle}
#define SPECIAL(id, target, special, code, needle) {id, target, special, NULL, 0, code, needle}

static const row ROWS[] = {
    /* u.data */
    ROW("H01", ML_DATA, "", REC_EFORMAT, "u.data:1: empty file"),
    ROW("H02", ML_DATA, "\x89PNG\r\n\x1a\n\xff\xd8\xff\xe0\x7f garbage \x80\x81\n", REC_EFORMAT,
        "u.data:1: expected 4 fields, found 1"),
    ROW("H03", ML_DATA, "1\t1\t5\t874000001\n2\t2\t3\t87\0" "4000002\n", REC_EFORMAT,
        "u.data:2: column 'timestamp' (4): NUL byte at offset 2 of the field"),
    SPECIAL("H04", ML_DATA, HUGE_LINE, REC_EFORMAT,
            "u.data:1: expected 4 fields, found 1"),
    ROW("H05", ML_DATA, "\n\n\n", REC_EFORMAT, "u.data:1: expected 4 fields, found 1"),
    ROW("H06", ML_DATA, "user_id\titem_id\trating\ttimestamp\n1\t1\t5\t1\n", REC_EFORMAT,
        "u.data:1: user id 'user_id' is not a number in 1..2^32-1"),
    ROW("H07", ML_DATA, "1\t1\t5\t1\n-3\t1\t5\t1\n", REC_EFORMAT,
        "u.data:2: user id '-3' is not a number in 1..2^32-1"),
    ROW("H08", ML_DATA, "0\t1\t5\t1\n", REC_EFORMAT, "u.data:1: user id '0' is not a number"),
    ROW("H09", ML_DATA, "1\t4294967296\t5\t1\n", REC_EFORMAT,
        "u.data:1: movie id '4294967296' is not a number in 1..2^32-1"),
    ROW("H10", ML_DATA, "99999999999999999999999\t1\t5\t1\n", REC_EFORMAT,
        "u.data:1: user id '99999999999999999999999' is not a number"),
    ROW("H11", ML_DATA, "1\t1\t5\t1\n4\t1\t5\t1\n", REC_EFORMAT,
        "u.data:2: user 4 is not in u.user"),
    ROW("H12", ML_DATA, "1\t4294967295\t5\t1\n", REC_EFORMAT,
        "u.data:1: movie 4294967295 is not in u.item"),
    ROW("H13", ML_DATA, "1\t1\tnan\t1\n", REC_EFORMAT, "u.data:1: rating 'nan' is not a number"),
    ROW("H14", ML_DATA, "1\t1\t-inf\t1\n", REC_EFORMAT, "u.data:1: rating '-inf' is not a number"),
    ROW("H15", ML_DATA, "1\t1\t3.5\t1\n", REC_EFORMAT, "u.data:1: rating '3.5' is not an integer"),
    ROW("H16", ML_DATA, "1\t1\t-1\t1\n", REC_EFORMAT, "u.data:1: rating -1 outside 1..5"),
    ROW("H17", ML_DATA, "1\t1\t5\tNaN\n", REC_EFORMAT,
        "u.data:1: timestamp 'NaN' is not an integer in 0..2^53"),
    ROW("H18", ML_DATA, "1\t1\t5\t9007199254740993\n", REC_EFORMAT,
        "u.data:1: timestamp '9007199254740993' is not an integer in 0..2^53"),
    ROW("H19", ML_DATA, "1\t1\t5\t-1\n", REC_EFORMAT, "u.data:1: timestamp '-1' is not an"),
    ROW("H20", ML_DATA, "1\t1\t5\t874000001\n2\t2\t3\t8740", REC_EFORMAT,
        "u.data:2: truncated last line (no newline)"),
    ROW("H21", ML_DATA, "1\t1\t5\t1\t1\n", REC_EFORMAT,
        "u.data:1: expected 4 fields, found 5"),
    ROW("H22", ML_DATA, "1 1 5 874000001\n", REC_EFORMAT,
        "u.data:1: expected 4 fields, found 1"),
    ROW("H23", ML_DATA, "1\t1\t5\t1\r2\t2\t3\t2\r", REC_EFORMAT,
        "u.data:1: expected 4 fields, found 7"),
    ROW("H24", ML_DATA, "\xff\xfe" "1\0\t\0" "1\0\t\0" "5\0\t\0" "1\0\n\0", REC_EFORMAT,
        "u.data:1: column 'user id' (1): NUL byte at offset 3 of the field"),
    /* a byte order mark is dropped (the table loader's rule): the id after it is read */
    ROW("H25", ML_DATA, "\xef\xbb\xbf" "x1\t1\t5\t1\n", REC_EFORMAT,
        "u.data:1: user id 'x1' is not a number"),
    ROW("H26", ML_DATA, " 1\t1\t5\t1\n", REC_EFORMAT, "u.data:1: user id ' 1' is not a number"),
    ROW("H89", ML_DATA, "\x1b[2J\x1b[31m1\t1\t5\t1\n", REC_EFORMAT,
        "u.data:1: user id '\\x1B[2J\\x1B[31m1' is not a number"),
    ROW("H90", ML_DATA, "1\t\xff\xfe\t5\t1\n", REC_EFORMAT,
        "u.data:1: column 'movie id' (2): not valid UTF-8 (byte 0xFF at offset 0 of the "
        "field)"),
    SPECIAL("H27", ML_DATA, A_DIRECTORY, REC_EIO, "u.data: it is a directory"),
    SPECIAL("H28", ML_DATA, MISSING, REC_EIO, "u.data: No such file or directory"),
    /* u.item */
    ROW("H29", ML_ITEM, "1|Toy Film (1995)|01-Jan-1995||http://example.com/1|0|1|1\n",
        REC_EFORMAT, "u.item:1: expected 9 '|'-separated fields (5 + 4 genres), found 8"),
    ROW("H30", ML_ITEM, "1|A|01-Jan-1995||u|0|1|1|0\n2|B|31-Foo-1995||u|0|0|0|1\n", REC_EFORMAT,
        "u.item:2: release date '31-Foo-1995' is not DD-Mon-YYYY"),
    ROW("H31", ML_ITEM, "1|A|||u|0|x|1|0\n", REC_EFORMAT,
        "u.item:1: genre flag 2 ('x') is not 0 or 1"),
    ROW("H32", ML_ITEM, "1|A|||u|0|1|0|0\n2|B|||u|0|1|0|0\n1|C|||u|0|1|0|0\n", REC_EFORMAT,
        "u.item:3: movie 1 appears twice (first on line 1)"),
    ROW("H33", ML_ITEM, "abc|A|||u|0|1|0|0\n", REC_EFORMAT,
        "u.item:1: movie id 'abc' is not a number in 1..2^32-1"),
    ROW("H34", ML_ITEM, "", REC_EFORMAT, "u.item:1: empty file"),
    /* u.user */
    ROW("H35", ML_USER, "1|-5|M|artist|10001\n", REC_EFORMAT,
        "u.user:1: age '-5' is not a number in 0..1000"),
    ROW("H36", ML_USER, "1|1001|M|artist|10001\n", REC_EFORMAT,
        "u.user:1: age '1001' is not a number in 0..1000"),
    ROW("H37", ML_USER, "1|31|M|pirate|10001\n", REC_EFORMAT,
        "u.user:1: occupation 'pirate' is not in u.occupation"),
    ROW("H38", ML_USER, "1|31|M|artist|1\n2|31|M|artist|2\n2|31|M|artist|3\n", REC_EFORMAT,
        "u.user:3: user 2 appears twice (first on line 2)"),
    ROW("H39", ML_USER, "1|31|M|artist|10001|extra\n", REC_EFORMAT,
        "u.user:1: expected 5 '|'-separated fields, found 6"),
    /* u.genre and u.occupation */
    ROW("H40", ML_GENRE, "unknown|0\nAction|9\n", REC_EFORMAT,
        "u.genre:2: genre index '9' is not in 0..1"),
    ROW("H41", ML_GENRE, "unknown|0\nAction|1\nComedy|1\n", REC_EFORMAT,
        "u.genre:3: genre index 1 appears twice"),
    ROW("H42", ML_GENRE, "unknown|0\n\nAction|1\n", REC_EFORMAT, "u.genre:2: empty line"),
    ROW("H43", ML_GENRE, "\n", REC_EFORMAT, "u.genre:1: no genres"),
    ROW("H44", ML_OCCUPATION, "artist\nother\nartist\n", REC_EFORMAT,
        "u.occupation:3: occupation 'artist' appears twice"),
    /* delimited */
    ROW("H45", CSV, "", REC_EFORMAT, "ratings.csv:1: empty file"),
    ROW("H46", CSV_HEADER, "user,item,rating,ts\nuser,item,rating,ts\n1,2,3,4\n",
        REC_EFORMAT, "ratings.csv:2: column 'user_rating' (3): 'rating' is not a number"),
    ROW("H47", CSV_HEADER, "user,item,rating,ts\n",
        REC_EFORMAT, "ratings.csv:1: no data rows after the header"),
    ROW("H48", CSV, "1,2,NaN,4\n",
        REC_EFORMAT, "ratings.csv:1: column 'user_rating' (3): 'NaN' is not a finite number"),
    ROW("H49", CSV, "1,2,3,4\n1,2,-Infinity,4\n",
        REC_EFORMAT, "ratings.csv:2: column 'user_rating' (3): '-Infinity' is not a finite number"),
    ROW("H50", CSV, "1,2,1e309,4\n",
        REC_EFORMAT, "ratings.csv:1: column 'user_rating' (3): '1e309' is not a finite number"),
    ROW("H51", CSV, "1,2,3,inf\n",
        REC_EFORMAT, "ratings.csv:1: column 'timestamp' (4): 'inf' is not a finite number"),
    ROW("H52", CSV, "1,2,3\n", REC_EFORMAT, "ratings.csv:1: expected at least 4 fields, found 3"),
    ROW("H53", CSV, ",2,3,4\n",
        REC_EFORMAT,
        "ratings.csv:1: column 'user_id' (1): empty value (the column refuses missing values)"),
    ROW("H54", CSV, "caf\xe9,2,3,4\n",
        REC_EFORMAT,
        "ratings.csv:1: column 'user_id' (1): not valid UTF-8 (byte 0xE9 at offset 3 of "
        "the field)"),
    ROW("H55", CSV, "1,\xc0\xaf,3,4\n",
        REC_EFORMAT,
        "ratings.csv:1: column 'item_id' (2): not valid UTF-8 (byte 0xC0 at offset 0 of "
        "the field)"),
    ROW("H56", CSV, "1,\xed\xa0\x80,3,4\n",
        REC_EFORMAT,
        "ratings.csv:1: column 'item_id' (2): not valid UTF-8 (byte 0xED at offset 0 of "
        "the field)"),
    ROW("H57", CSV_SEMICOLON, "1;2;3,5;4\n",
        REC_EFORMAT, "ratings.csv:1: column 'user_rating' (3): '3,5' is not a number"),
    ROW("H58", CSV_FAR_COLUMN, "1,2,3,4\n", REC_EFORMAT,
        "ratings.csv:1: expected at least 4000000001 fields, found 4"),
    ROW("H59", CSV, "1,2,3,0000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000000000000000000000000000001\n",
        REC_EFORMAT, "ratings.csv:1: column 'timestamp' (4): "
        "'0000000000000000000000000000000000000000...' is not a number"),
    SPECIAL("H60", CSV, HUGE_CSV_LINE, REC_EFORMAT,
            "ratings.csv:1: expected at least 4 fields, found 1"),
    ROW("H61", CSV, "1,2,3,4\n1,2,\0,4\n",
        REC_EFORMAT, "ratings.csv:2: column 'user_rating' (3): '\\x00' is not a number"),
    SPECIAL("H62", CSV, A_DIRECTORY, REC_EIO, "ratings.csv: it is a directory"),
};
#define N_ROWS (sizeof ROWS / sizeof *ROWS)

/* Contents of a special row (malloc'd). */
static char *make_special(int special, size_t *size)
{
    /* 4 MiB without a single delimiter: one field, longer than any buffer a parser could
     * keep on its stack */
    size_t n = (size_t)4 << 20;
    char *p = malloc(n + 1);
    ck_assert_ptr_nonnull(p);
    memset(p, special == HUGE_LINE ? 'x' : '7', n);
    p[n] = '\n';
    *size = n + 1;
    return p;
}

static const char *target_file(int target)
{
    switch (target) {
    case ML_DATA: return "u.data";
    case ML_ITEM: return "u.item";
    case ML_USER: return "u.user";
    case ML_GENRE: return "u.genre";
    case ML_OCCUPATION: return "u.occupation";
    default: return "ratings.csv";
    }
}

static int load(rec_dataset **ds, int target)
{
    char path[128];
    path_of(path, sizeof path, "ratings.csv");
    switch (target) {
    case CSV: return rec_dataset_load_delimited(ds, path, ',', 0, 0, 1, 2, 3);
    case CSV_HEADER: return rec_dataset_load_delimited(ds, path, ',', 1, 0, 1, 2, 3);
    case CSV_SEMICOLON: return rec_dataset_load_delimited(ds, path, ';', 0, 0, 1, 2, 3);
    case CSV_FAR_COLUMN:
        return rec_dataset_load_delimited(ds, path, ',', 0, 4000000000u, 1, 2, 3);
    default: return rec_dataset_load_movielens(ds, dir, NULL);
    }
}

START_TEST(test_hostile_file_rows)
{
    const row *r = &ROWS[_i];
    const char *name = target_file(r->target);
    char path[128];
    path_of(path, sizeof path, name);
    unlink(path);
    if (r->special == A_DIRECTORY) {
        ck_assert_int_eq(mkdir(path, 0700), 0);
    } else if (r->special == HUGE_LINE || r->special == HUGE_CSV_LINE) {
        size_t size;
        char *p = make_special(r->special, &size);
        write_file(name, p, size);
        free(p);
    } else if (r->special == BYTES) {
        write_file(name, r->data, r->size);
    }
    rec_dataset *ds = (rec_dataset *)&ds; /* must come back NULL */
    int rc = load(&ds, r->target);
    ck_assert_msg(rc == r->code, "%s: %s -> %d (%s), expected %d; message: %s", r->id, name, rc,
                  rec_status_str(rc), r->code, rec_last_error());
    ck_assert_msg(strstr(rec_last_error(), r->needle) != NULL,
                  "%s: message \"%s\" lacks \"%s\"", r->id, rec_last_error(), r->needle);
    ck_assert_msg(ds == NULL, "%s: failed load left a dataset", r->id);
    /* the table in docs/RELIABILITY.md quotes these lines */
    printf("%s %s: %s\n", r->id, rec_status_str(rc), rec_last_error());
}
END_TEST

/* The undamaged fixture loads: the damage is what makes the MovieLens rows fail. */
START_TEST(test_hostile_fixture_loads)
{
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(load(&ds, ML_DATA));
    ck_assert_uint_eq(rec_dataset_size(ds), 6);
    rec_dataset_free(ds);
}
END_TEST

/* ---- accepted on purpose: hostile-looking inputs with a defined meaning ------------------- */

static uint32_t col(const rec_dataset *ds, const char *name)
{
    uint32_t c = UINT32_MAX;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, name));
    return c;
}

/* H63: u.item is ISO-8859-1; bytes that are invalid UTF-8 are Latin-1 letters, converted. */
START_TEST(test_hostile_latin1_title_becomes_utf8)
{
    static const char item[] = "1|\xff\xfe \x80 (1995)|||u|0|1|0|0\n"
                               "2|B|||u|0|1|0|0\n3|C|||u|0|1|0|0\n";
    write_file("u.item", item, sizeof item - 1);
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, dir, NULL));
    /* ÿ = U+00FF → C3 BF, þ = U+00FE → C3 BE, U+0080 → C2 80 */
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "movie_title"), 0),
                     "\xc3\xbf\xc3\xbe \xc2\x80 (1995)");
    rec_dataset_free(ds);
}
END_TEST

/* H64: a UTF-8 byte order mark at the start of a CSV is not part of the first user id. */
START_TEST(test_hostile_csv_byte_order_mark_skipped)
{
    static const char csv[] = "\xef\xbb\xbf" "7,2,3,4\n";
    write_file("ratings.csv", csv, sizeof csv - 1);
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(load(&ds, CSV));
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "user_id"), 0), "7");
    rec_dataset_free(ds);
}
END_TEST

/* H65: arbitrary bytes (invalid UTF-8, controls, punctuation only) are text like any other:
 * standardization touches ASCII only, so they vectorize without error. */
START_TEST(test_hostile_text_arbitrary_bytes)
{
    const char *texts[] = {"\xff\xfe\x80 \xc0\xaf", "!!! ... ---", "\x01\x02 A\x7f", ""};
    rec_textvec *tv = NULL;
    ck_assert_rec_ok(rec_textvec_adapt(&tv, texts, 4, 100));
    /* tokens: "\xff\xfe\x80", "\xc0\xaf", "\x01\x02", "a\x7f" → 4 + padding + OOV */
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 6);
    uint32_t ids[4];
    size_t n = 99;
    ck_assert_rec_ok(rec_textvec_encode(ids, 4, &n, tv, texts[1]));
    ck_assert_uint_eq(n, 0); /* all punctuation: nothing left */
    rec_textvec_free(tv);
}
END_TEST

/* ---- numbers and absurd parameters -------------------------------------------------------- */

/* H66: an infinite numeric feature is refused when the column is added (NaN means missing). */
START_TEST(test_hostile_infinite_number_column)
{
    rec_dataset *ds = NULL;
    const double v[3] = {1.0, INFINITY, 3.0};
    ck_assert_rec_ok(rec_dataset_create(&ds, 3));
    ck_assert_rec_fails(rec_dataset_add_numbers(ds, "age", v, 3), REC_ENUMERIC,
                        "values[1] of 'age' is infinite");
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 0);
    rec_dataset_free(ds);
}
END_TEST

/* A 4-row dataset for the model rows: users a, b; items x, y; labels given. */
static rec_dataset *small_dataset(const double *labels)
{
    const char *users[] = {"a", "b", "a", "b"}, *items[] = {"x", "y", "y", "x"};
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(rec_dataset_create(&ds, 4));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", users, 4));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "item_id", items, 4));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "user_rating", labels, 4));
    return ds;
}

static rec_model *small_model(const rec_dataset *ds)
{
    rec_model *m = NULL;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "item_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_build(m, ds));
    return m;
}

/* H67: a missing (NaN) label reaches training as an error, not as a NaN loss. */
START_TEST(test_hostile_nan_label_refused)
{
    const double y[4] = {1, 2, NAN, 4};
    rec_dataset *ds = small_dataset(y);
    rec_model *m = small_model(ds);
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_fails(rec_model_train_epoch(m, opt, ds, 2, NULL, NULL), REC_ENUMERIC,
                        "user_rating");
    ck_assert_rec_fails(rec_model_evaluate(m, ds, 2, NULL, NULL), REC_ENUMERIC, "user_rating");
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* H68: a loss that is not finite. Labels of ±1e300 are finite doubles but infinite as the
 * float the model computes in, so the first batch's loss is infinite: it is refused with
 * REC_ENUMERIC before any weight changes (the weights stay finite). */
START_TEST(test_hostile_divergence_reported)
{
    const double y[4] = {1e300, -1e300, 1e300, -1e300};
    rec_dataset *ds = small_dataset(y);
    rec_model *m = small_model(ds);
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 1e30f));
    ck_assert_rec_fails(rec_model_train_epoch(m, opt, ds, 4, NULL, NULL), REC_ENUMERIC,
                        "not finite");
    const rec_embedding *e = rec_model_feature_embedding(m, 0);
    for (uint32_t r = 0; r < rec_embedding_rows(e); r++)
        for (uint32_t k = 0; k < rec_embedding_dim(e); k++)
            ck_assert(isfinite(rec_embedding_row(e, r)[k]));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* H69: divergence in the weights. Finite labels but a learning rate of 1e38: Adagrad's first
 * step is lr · g / √(acc) ≈ 1e38 per weight, so the next loss overflows. Training must stop
 * with REC_ENUMERIC within a few epochs, never return garbage with REC_OK. */
START_TEST(test_hostile_weight_divergence_reported)
{
    const double y[4] = {5, 1, 5, 1};
    rec_dataset *ds = small_dataset(y);
    rec_model *m = small_model(ds);
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 1e38f));
    int rc = REC_OK;
    double loss = 0.0;
    for (int epoch = 0; epoch < 5 && rc == REC_OK; epoch++) {
        rc = rec_model_train_epoch(m, opt, ds, 1, &loss, NULL);
        ck_assert_msg(rc != REC_OK || isfinite(loss), "REC_OK with a loss of %g", loss);
    }
    ck_assert_msg(rc == REC_ENUMERIC, "-> %d (%s): %s", rc, rec_status_str(rc),
                  rec_last_error());
    ck_assert_ptr_nonnull(strstr(rec_last_error(), "diverged"));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* H70: absurd sizes and rates, each refused with REC_EINVAL (or REC_ENOMEM for a table whose
 * size computes but cannot exist) and a NULL output. */
START_TEST(test_hostile_absurd_parameters)
{
    rec_embedding *e = (rec_embedding *)&e;
    ck_assert_rec_fails(rec_embedding_create(&e, 0, 8, 1), REC_EINVAL, "n_rows is 0");
    ck_assert_ptr_null(e);
    ck_assert_rec_fails(rec_embedding_create(&e, 8, 0, 1), REC_EINVAL, "dim is 0");
    /* (2^32 − 1)² floats: the byte count overflows size_t */
    ck_assert_rec_fails(rec_embedding_create(&e, UINT32_MAX, UINT32_MAX, 1), REC_EINVAL,
                        "overflows");
    /* 2^20 × 2^20 floats = 4 TiB: computable, refused as out of memory */
    ck_assert_rec_fails(rec_embedding_create(&e, 1u << 20, 1u << 20, 1), REC_ENOMEM,
                        "out of memory");
    ck_assert_ptr_null(e);

    rec_dense *d = (rec_dense *)&d;
    ck_assert_rec_fails(rec_dense_create(&d, 0, 4, REC_ACTIVATION_RELU, 1), REC_EINVAL,
                        "n_in must be > 0");
    ck_assert_rec_fails(rec_dense_create(&d, UINT32_MAX, UINT32_MAX, REC_ACTIVATION_RELU, 1),
                        REC_EINVAL, "rec_dense_create");
    ck_assert_ptr_null(d);

    rec_optimizer *opt = (rec_optimizer *)&opt;
    ck_assert_rec_fails(rec_optimizer_create_adagrad(&opt, 0.0f), REC_EINVAL, "learning_rate");
    ck_assert_rec_fails(rec_optimizer_create_adagrad(&opt, -0.1f), REC_EINVAL, "learning_rate");
    ck_assert_rec_fails(rec_optimizer_create_adagrad(&opt, NAN), REC_EINVAL, "learning_rate");
    ck_assert_rec_fails(rec_optimizer_create_adagrad(&opt, INFINITY), REC_EINVAL,
                        "learning_rate");
    ck_assert_ptr_null(opt);

    rec_dataset *ds = (rec_dataset *)&ds;
    ck_assert_rec_fails(rec_dataset_create(&ds, (size_t)UINT32_MAX + 1), REC_EINVAL,
                        "not below 2^32");
    ck_assert_ptr_null(ds);
    rec_batches *b = (rec_batches *)&b;
    ck_assert_rec_fails(rec_batches_create(&b, 10, 0, 1, 1), REC_EINVAL, "batch_size");
    ck_assert_rec_fails(rec_batches_create(&b, 0, 10, 1, 1), REC_EINVAL, "n_examples");
    ck_assert_ptr_null(b);
    rec_textvec *tv = (rec_textvec *)&tv;
    ck_assert_rec_fails(rec_textvec_adapt(&tv, NULL, 0, 1), REC_EINVAL, "max_tokens");
    ck_assert_ptr_null(tv);
    double nan_boundary[2] = {0.0, NAN};
    rec_discretization *disc = (rec_discretization *)&disc;
    ck_assert_rec_fails(rec_discretization_create(&disc, nan_boundary, 2), REC_EINVAL,
                        "not finite");
    ck_assert_ptr_null(disc);
    double inf_x[2] = {1.0, -INFINITY};
    rec_normalization *norm = (rec_normalization *)&norm;
    ck_assert_rec_fails(rec_normalization_adapt(&norm, inf_x, 2), REC_EINVAL, "not finite");
    ck_assert_ptr_null(norm);
}
END_TEST

/* H71: absurd model descriptions and training parameters. */
START_TEST(test_hostile_absurd_model_parameters)
{
    const double y[4] = {1, 2, 3, 4};
    rec_dataset *ds = small_dataset(y);
    rec_model *m = small_model(ds);
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_fails(rec_model_train_epoch(m, opt, ds, 0, NULL, NULL), REC_EINVAL,
                        "batch_size");
    ck_assert_rec_fails(rec_model_train_epoch(m, opt, ds, (size_t)1 << 40, NULL, NULL),
                        REC_EINVAL, "batch_size");
    ck_assert_rec_fails(rec_model_evaluate(m, ds, 0, NULL, NULL), REC_EINVAL, "batch_size");
    ck_assert_rec_fails(rec_model_fit(m, opt, ds, ds, 1, 2, 0, NULL, NULL), REC_EINVAL,
                        "eval_batch_size");
    ck_assert_rec_fails(rec_model_set_threads(m, 0), REC_EINVAL, "n_threads");
    ck_assert_rec_fails(rec_model_set_threads(m, UINT32_MAX), REC_EINVAL, "n_threads");
    ck_assert_rec_fails(rec_optimizer_set_learning_rate(opt, -1.0f), REC_EINVAL,
                        "learning_rate");
    ck_assert_float_eq(rec_optimizer_learning_rate(opt), 0.1f); /* unchanged */

    rec_model *d = NULL;
    uint32_t f = 0;
    ck_assert_rec_ok(rec_model_create(&d, 1));
    ck_assert_rec_ok(rec_model_set_label(d, "user_rating"));
    ck_assert_rec_fails(rec_model_add_feature(NULL, d, "user_id", REC_FEATURE_CATEGORICAL,
                                              REC_SIDE_USER, 0), REC_EINVAL, "dim 0");
    ck_assert_rec_fails(rec_model_add_feature(NULL, d, "user_id", REC_FEATURE_CATEGORICAL,
                                              REC_SIDE_USER, UINT32_MAX), REC_EINVAL,
                        "outside 1..65536");
    ck_assert_rec_fails(rec_model_add_feature(NULL, d, "user_id", (rec_feature_kind)-1,
                                              REC_SIDE_USER, 4), REC_EINVAL, "kind");
    ck_assert_rec_ok(rec_model_add_feature(&f, d, "ts", REC_FEATURE_BUCKETIZED, REC_SIDE_USER,
                                           4));
    ck_assert_rec_fails(rec_model_feature_set_bucket_count(d, f, 0), REC_EINVAL,
                        "n_boundaries");
    ck_assert_rec_fails(rec_model_feature_set_bucket_count(d, f, UINT32_MAX), REC_EINVAL,
                        "n_boundaries");
    ck_assert_rec_fails(rec_model_add_layer(d, 0, REC_ACTIVATION_RELU), REC_EINVAL, "units");
    ck_assert_rec_fails(rec_model_add_layer(d, UINT32_MAX, REC_ACTIVATION_RELU), REC_EINVAL,
                        "units");
    ck_assert_uint_eq(rec_model_n_features(d), 1);
    ck_assert_uint_eq(rec_model_n_layers(d), 0);
    rec_model_free(d);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- model files ------------------------------------------------------------------------- */

/* The CRC-32 of docs/file-format.md (zlib's), to forge files whose checksums are right. */
static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Make every checksum and the size field of a forged file right again, so that the loader's
 * deeper checks are the ones that must refuse it. */
static void reseal(unsigned char *f, size_t size)
{
    uint64_t n = get_le(f + 12, 4);
    for (uint64_t i = 0; i < n; i++) {
        unsigned char *e = f + 32 + 24 * i;
        uint64_t off = get_le(e + 8, 8), len = get_le(e + 16, 8);
        if (off <= size && len <= size - off)
            put_le(e + 4, crc32(f + off, (size_t)len), 4);
    }
    put_le(f + 24, crc32(f + 32, (size_t)(24 * n)), 4);
    put_le(f + 16, size, 8);
    put_le(f + 28, crc32(f, 28), 4);
}

static unsigned char *model_bytes; /* a valid saved DOT model, and its size */
static size_t model_size;

/* Save the small DOT model with its optimizer state and read the file back. */
static void model_setup(void)
{
    fixture_setup();
    const double y[4] = {1, 2, 3, 4};
    rec_dataset *ds = small_dataset(y);
    rec_model *m = small_model(ds);
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 2, NULL, NULL));
    char path[128];
    path_of(path, sizeof path, "model.rec");
    ck_assert_rec_ok(rec_model_save(m, path, 1));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    model_size = (size_t)ftell(f);
    rewind(f);
    model_bytes = malloc(model_size);
    ck_assert_ptr_nonnull(model_bytes);
    ck_assert_uint_eq(fread(model_bytes, 1, model_size, f), model_size);
    fclose(f);
    ck_assert_uint_gt(model_size, 32 + 6 * 24);
}

static void model_teardown(void)
{
    free(model_bytes);
    model_bytes = NULL;
    fixture_teardown();
}

/* Write bytes as model.rec and expect rec_model_load to fail with code and needle. */
static void expect_model(const char *id, const void *bytes, size_t size, int code,
                         const char *needle)
{
    char path[128];
    write_file("model.rec", bytes, size);
    path_of(path, sizeof path, "model.rec");
    rec_model *m = (rec_model *)&m;
    int rc = rec_model_load(&m, path);
    ck_assert_msg(rc == code, "%s: -> %d (%s), expected %d; message: %s", id, rc,
                  rec_status_str(rc), code, rec_last_error());
    ck_assert_msg(strstr(rec_last_error(), needle) != NULL, "%s: message \"%s\" lacks \"%s\"",
                  id, rec_last_error(), needle);
    ck_assert_msg(strstr(rec_last_error(), "model.rec") != NULL, "%s: message \"%s\" lacks the "
                  "file name", id, rec_last_error());
    ck_assert_msg(m == NULL, "%s: failed load left a model", id);
    if (strchr(id, '(') == NULL) /* not the loops over every length or byte */
        printf("%s %s: %s\n", id, rec_status_str(rc), rec_last_error());
}

/* A copy of the valid file to damage. */
static unsigned char *copy(void)
{
    unsigned char *c = malloc(model_size + 64);
    ck_assert_ptr_nonnull(c);
    memcpy(c, model_bytes, model_size);
    return c;
}

/* H72..H76: not a model file at all. */
START_TEST(test_hostile_model_not_a_model)
{
    static const char csv[] = "user,item,rating\n1,2,3\n";
    static const char garbage[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0";
    expect_model("H72", "", 0, REC_EFORMAT, "truncated: 0 bytes, not even the magic");
    expect_model("H73", csv, sizeof csv - 1, REC_EFORMAT,
                 "not a librec model file (bad magic)");
    expect_model("H74", garbage, sizeof garbage - 1, REC_EFORMAT, "bad magic");
    expect_model("H75", "RECMOD", 6, REC_EFORMAT, "truncated: 6 bytes, not even the magic");
    unsigned char *c = copy();
    memcpy(c, "recmodel", 8); /* magic in the wrong case */
    expect_model("H76", c, model_size, REC_EFORMAT, "bad magic");
    free(c);
}
END_TEST

/* H77, H78: versions other than 1 and 2, with a correct header checksum: the version is
 * named. */
START_TEST(test_hostile_model_wrong_versions)
{
    unsigned char *c = copy();
    put_le(c + 8, 3, 4);
    reseal(c, model_size);
    expect_model("H77", c, model_size, REC_EFORMAT, "unsupported format version 3 (this librec "
                 "reads versions 1 to 2)");
    put_le(c + 8, 0, 4);
    reseal(c, model_size);
    expect_model("H78", c, model_size, REC_EFORMAT, "unsupported format version 0");
    free(c);
}
END_TEST

/* H79: the file cut at every length from 0 to size − 1: always refused, never read past. */
START_TEST(test_hostile_model_truncated_everywhere)
{
    for (size_t len = 0; len < model_size; len++) {
        char id[48];
        snprintf(id, sizeof id, "H79 (cut at %zu)", len);
        expect_model(id, model_bytes, len, REC_EFORMAT,
                     len < 8 ? "not even the magic" : "truncated");
    }
}
END_TEST

/* H80: every single byte of the file flipped (all bits), one at a time: the checksums and the
 * structure checks refuse each of them. */
START_TEST(test_hostile_model_flipped_bytes)
{
    unsigned char *c = copy();
    for (size_t i = 0; i < model_size; i++) {
        char id[48];
        snprintf(id, sizeof id, "H80 (byte %zu)", i);
        c[i] ^= 0xFF;
        expect_model(id, c, model_size, REC_EFORMAT, "rec_model_load: ");
        c[i] ^= 0xFF;
    }
    free(c);
}
END_TEST

/* H81: trailing garbage after a valid file (or a file concatenated to another). */
START_TEST(test_hostile_model_trailing_bytes)
{
    unsigned char *c = copy();
    memcpy(c + model_size, "trailing", 8);
    expect_model("H81", c, model_size + 8, REC_EFORMAT, "trailing bytes: the header says");
    free(c);
}
END_TEST

/* H82..H85: forged structure with correct checksums. */
START_TEST(test_hostile_model_forged_structure)
{
    unsigned char *c = copy();
    /* H82: a section count of 0, then of 1000 */
    put_le(c + 12, 0, 4);
    reseal(c, model_size);
    expect_model("H82", c, model_size, REC_EFORMAT, "section count 0 is outside");
    put_le(c + 12, 1000, 4);
    put_le(c + 16, model_size, 8);
    put_le(c + 28, crc32(c, 28), 4);
    expect_model("H82", c, model_size, REC_EFORMAT, "section count 1000 is outside");
    free(c);

    /* H83: the first two sections swapped in the table */
    c = copy();
    unsigned char tmp[24];
    memcpy(tmp, c + 32, 24);
    memcpy(c + 32, c + 56, 24);
    memcpy(c + 56, tmp, 24);
    reseal(c, model_size);
    expect_model("H83", c, model_size, REC_EFORMAT, "unexpected section 'PREP' at table entry 0");
    free(c);

    /* H84: a section length pointing far beyond the file (2^63) */
    c = copy();
    put_le(c + 32 + 16, (uint64_t)1 << 63, 8);
    reseal(c, model_size);
    expect_model("H84", c, model_size, REC_EFORMAT, "runs past the end of the file");
    free(c);

    /* H85: DESC's feature count set to 2^32 − 1 (DESC starts with seed u64, interaction u32):
     * refused before anything is allocated for it */
    c = copy();
    size_t desc = (size_t)get_le(c + 32 + 8, 8);
    put_le(c + desc + 12, UINT32_MAX, 4);
    reseal(c, model_size);
    expect_model("H85", c, model_size, REC_EFORMAT,
                 "feature count = 4294967295 is more than the section can hold");
    free(c);

    /* H86: an embedding dimension of 0 in the DESC section (first feature: seed 8, interaction
     * 4, count 4, column name "user_id" 4 + 7, kind 4, side 4, then dim) */
    c = copy();
    ck_assert_uint_eq(get_le(c + desc + 16, 4), 7);
    ck_assert_mem_eq(c + desc + 20, "user_id", 7);
    put_le(c + desc + 20 + 7 + 8, 0, 4);
    reseal(c, model_size);
    expect_model("H86", c, model_size, REC_EFORMAT, "dim 0");
    free(c);
}
END_TEST

/* H87, H88: not a readable regular file. */
START_TEST(test_hostile_model_not_a_file)
{
    char path[128];
    rec_model *m = (rec_model *)&m;
    path_of(path, sizeof path, "model.rec");
    unlink(path);
    ck_assert_rec_fails(rec_model_load(&m, path), REC_EIO, "No such file or directory");
    ck_assert_ptr_null(m);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    m = (rec_model *)&m;
    ck_assert_rec_fails(rec_model_load(&m, path), REC_EIO, "is not a regular file");
    ck_assert_ptr_null(m);
    ck_assert_int_eq(rmdir(path), 0);
}
END_TEST

/* The valid file itself loads: the damage above is what makes the rows fail. */
START_TEST(test_hostile_model_valid_file_loads)
{
    char path[128];
    rec_model *m = NULL;
    write_file("model.rec", model_bytes, model_size);
    path_of(path, sizeof path, "model.rec");
    ck_assert_rec_ok(rec_model_load(&m, path));
    ck_assert(rec_model_is_built(m));
    rec_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_add_test(tc, test_hostile_fixture_loads);
    tcase_add_loop_test(tc, test_hostile_file_rows, 0, (int)N_ROWS);
    tcase_add_test(tc, test_hostile_latin1_title_becomes_utf8);
    tcase_add_test(tc, test_hostile_csv_byte_order_mark_skipped);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_test(tc, test_hostile_text_arbitrary_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("numerics");
    tcase_add_test(tc, test_hostile_infinite_number_column);
    tcase_add_test(tc, test_hostile_nan_label_refused);
    tcase_add_test(tc, test_hostile_divergence_reported);
    tcase_add_test(tc, test_hostile_weight_divergence_reported);
    tcase_add_test(tc, test_hostile_absurd_parameters);
    tcase_add_test(tc, test_hostile_absurd_model_parameters);
    suite_add_tcase(s, tc);

    tc = tcase_create("model_file");
    tcase_add_checked_fixture(tc, model_setup, model_teardown);
    tcase_add_test(tc, test_hostile_model_valid_file_loads);
    tcase_add_test(tc, test_hostile_model_not_a_model);
    tcase_add_test(tc, test_hostile_model_wrong_versions);
    tcase_add_test(tc, test_hostile_model_truncated_everywhere);
    tcase_add_test(tc, test_hostile_model_flipped_bytes);
    tcase_add_test(tc, test_hostile_model_trailing_bytes);
    tcase_add_test(tc, test_hostile_model_forged_structure);
    tcase_add_test(tc, test_hostile_model_not_a_file);
    suite_add_tcase(s, tc);
    return rec_check_run(s);
}
