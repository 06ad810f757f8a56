/* Suite "dataset": building columns, reading them back, subsets, the seeded split, mini-batches
 * and the delimited ratings loader (fixture files written into a mkdtemp directory). */
#include "rec_check.h"

/* The columnar layout the model code reads directly: checked here because it is a contract
 * (first-seen dictionary order, one code per row). Only struct fields are read. */
#include "data/data.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------------- */

/* A dataset of 5 rows: "fruit" strings, "price" numbers, "tags" string lists. */
static rec_dataset *fruit_dataset(void)
{
    static const char *fruit[] = {"pear", "apple", "pear", "fig", "apple"};
    static const double price[] = {1.5, 0.25, 2.0, NAN, 4.0};
    /* rows: {red, sweet} {} {sweet} {green, red, sweet} {green} */
    static const char *tags[] = {"red", "sweet", "sweet", "green", "red", "sweet", "green"};
    static const size_t offsets[] = {0, 2, 2, 3, 6, 7};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 5));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "fruit", fruit, 5));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "price", price, 5));
    ck_assert_rec_ok(rec_dataset_add_string_lists(ds, "tags", tags, offsets, 5));
    return ds;
}

/* A dataset whose "row" column holds 0..n-1, to see where rows went. */
static rec_dataset *counting_dataset(size_t n)
{
    double *v = malloc(n * sizeof *v);
    char (*names)[24] = malloc(n * sizeof *names);
    const char **s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        v[i] = (double)i;
        snprintf(names[i], sizeof names[i], "r%zu", i);
        s[i] = names[i];
    }
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, n));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "row", v, n));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "name", s, n));
    free(v);
    free(names);
    free(s);
    return ds;
}

static uint32_t col_of(const rec_dataset *ds, const char *name)
{
    uint32_t c = UINT32_MAX;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, name));
    return c;
}

/* The permutation rec_dataset_shuffle_split / rec_batches are documented to use: the public
 * rng seeded by seed, shuffling 0..n-1 (`rounds` times, from the identity each time). */
static void reference_order(uint32_t *order, size_t n, uint64_t seed, int rounds)
{
    rec_rng *rng;
    ck_assert_rec_ok(rec_rng_create(&rng, seed));
    for (int k = 0; k < rounds; k++) {
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        ck_assert_rec_ok(rec_rng_shuffle_u32(rng, order, n));
    }
    rec_rng_free(rng);
}

/* Fixture directory for loader tests (each test runs in its own forked process). */
static char fixture_dir[64];
static char fixture_path[160];

static void fixture_setup(void)
{
    strcpy(fixture_dir, "/tmp/rec_test_dataset_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(fixture_dir));
}

static void fixture_teardown(void)
{
    static const char *names[] = {"ratings.csv", "ratings.tsv"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(fixture_path, sizeof fixture_path, "%s/%s", fixture_dir, names[i]);
        unlink(fixture_path);
    }
    rmdir(fixture_dir);
}

/* Write `size` bytes to fixture_dir/name; returns the path (valid until the next call). */
static const char *write_bytes(const char *name, const char *data, size_t size)
{
    snprintf(fixture_path, sizeof fixture_path, "%s/%s", fixture_dir, name);
    FILE *f = fopen(fixture_path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
    return fixture_path;
}

static const char *write_csv(const char *text)
{
    return write_bytes("ratings.csv", text, strlen(text));
}

/* Load a 4-column CSV (user,item,rating,timestamp) with a header. */
static int load_csv(rec_dataset **ds, const char *text)
{
    return rec_dataset_load_delimited(ds, write_csv(text), ',', 1, 0, 1, 2, 3);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

START_TEST(test_dataset_create_empty)
{
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 3));
    ck_assert_uint_eq(rec_dataset_size(ds), 3);
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 0);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_create_zero_rows)
{
    /* an empty dataset is valid (a split may produce one); columns of 0 values need no array */
    rec_dataset *ds;
    size_t zero = 0, n = 99;
    ck_assert_rec_ok(rec_dataset_create(&ds, 0));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "s", NULL, 0));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "x", NULL, 0));
    ck_assert_rec_ok(rec_dataset_add_string_lists(ds, "l", NULL, &zero, 0));
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 3);
    ck_assert_rec_ok(rec_dataset_unique_strings(NULL, 0, &n, ds, 0));
    ck_assert_uint_eq(n, 0);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_create_errors)
{
    rec_dataset *ds = (rec_dataset *)&ds;
    ck_assert_rec_fails(rec_dataset_create(NULL, 1), REC_EINVAL, "rec_dataset_create: out");
#if SIZE_MAX > UINT32_MAX
    ck_assert_rec_fails(rec_dataset_create(&ds, (size_t)UINT32_MAX + 1), REC_EINVAL, "2^32");
    ck_assert_ptr_null(ds);
#endif
}
END_TEST

START_TEST(test_dataset_free_null)
{
    rec_dataset_free(NULL);
    rec_batches_free(NULL);
}
END_TEST

START_TEST(test_dataset_null_handles)
{
    ck_assert_uint_eq(rec_dataset_size(NULL), 0);
    ck_assert_uint_eq(rec_dataset_n_columns(NULL), 0);
    ck_assert_ptr_null(rec_dataset_column_name(NULL, 0));
    ck_assert_int_eq(rec_dataset_column_type(NULL, 0), -1);
    ck_assert_ptr_null(rec_dataset_string(NULL, 0, 0));
    ck_assert(isnan(rec_dataset_number(NULL, 0, 0)));
    ck_assert_uint_eq(rec_batches_count(NULL), 0);
}
END_TEST

/* ---- columns ------------------------------------------------------------------------------- */

START_TEST(test_dataset_add_strings_dictionary_encodes)
{
    rec_dataset *ds = fruit_dataset();
    uint32_t c = col_of(ds, "fruit");
    ck_assert_uint_eq(c, 0);
    ck_assert_int_eq(rec_dataset_column_type(ds, c), REC_COLUMN_STRING);
    ck_assert_str_eq(rec_dataset_column_name(ds, c), "fruit");
    ck_assert_str_eq(rec_dataset_string(ds, c, 0), "pear");
    ck_assert_str_eq(rec_dataset_string(ds, c, 3), "fig");
    ck_assert_str_eq(rec_dataset_string(ds, c, 4), "apple");
    /* pear apple pear fig apple → dictionary {pear, apple, fig} in first-seen order, codes
     * 0 1 0 2 1; equal strings share one copy */
    const rec__column *col = &ds->cols[c];
    static const uint32_t codes[] = {0, 1, 0, 2, 1};
    ck_assert_uint_eq(col->dict.n, 3);
    ck_assert_str_eq(col->dict.strings[0], "pear");
    ck_assert_str_eq(col->dict.strings[1], "apple");
    ck_assert_str_eq(col->dict.strings[2], "fig");
    for (int r = 0; r < 5; r++)
        ck_assert_uint_eq(col->codes[r], codes[r]);
    ck_assert_ptr_eq(rec_dataset_string(ds, c, 0), rec_dataset_string(ds, c, 2));
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_add_strings_copies_values)
{
    char a[] = "alpha", b[] = "beta";
    const char *v[] = {a, b};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "s", v, 2));
    a[0] = 'X';
    b[0] = 'Y';
    ck_assert_str_eq(rec_dataset_string(ds, 0, 0), "alpha");
    ck_assert_str_eq(rec_dataset_string(ds, 0, 1), "beta");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_add_strings_many_distinct)
{
    /* 3000 distinct strings each twice: the hash table grows several times (16 → 8192 slots)
     * and every lookup must still find the first copy: codes r % 3000 */
    enum { N = 6000, D = 3000 };
    static char buf[N][8];
    static const char *v[N];
    for (int r = 0; r < N; r++) {
        snprintf(buf[r], sizeof buf[r], "k%d", r % D);
        v[r] = buf[r];
    }
    rec_dataset *ds;
    size_t n;
    ck_assert_rec_ok(rec_dataset_create(&ds, N));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "k", v, N));
    ck_assert_uint_eq(ds->cols[0].dict.n, D);
    for (int r = 0; r < N; r++)
        ck_assert_uint_eq(ds->cols[0].codes[r], (uint32_t)(r % D));
    ck_assert_rec_ok(rec_dataset_unique_strings(NULL, 0, &n, ds, 0));
    ck_assert_uint_eq(n, D);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_add_numbers_nan_is_missing)
{
    rec_dataset *ds = fruit_dataset();
    uint32_t c = col_of(ds, "price");
    ck_assert_int_eq(rec_dataset_column_type(ds, c), REC_COLUMN_NUMBER);
    ck_assert_double_eq(rec_dataset_number(ds, c, 0), 1.5);
    ck_assert_double_eq(rec_dataset_number(ds, c, 1), 0.25);
    ck_assert(isnan(rec_dataset_number(ds, c, 3)));
    ck_assert_double_eq(rec_dataset_number(ds, c, 4), 4.0);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_add_numbers_refuses_infinity)
{
    rec_dataset *ds = fruit_dataset();
    double v[] = {1, 2, 3, -INFINITY, 5};
    ck_assert_rec_fails(rec_dataset_add_numbers(ds, "bad", v, 5), REC_ENUMERIC,
                        "values[3] of 'bad' is infinite");
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 3);
    v[3] = INFINITY;
    ck_assert_rec_fails(rec_dataset_add_numbers(ds, "bad", v, 5), REC_ENUMERIC, "values[3]");
    ck_assert_rec_fails(rec_dataset_column(&(uint32_t){0}, ds, "bad"), REC_ENOTFOUND, "bad");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_add_errors_leave_dataset_unchanged)
{
    rec_dataset *ds = fruit_dataset();
    const char *v[] = {"a", "b", NULL, "d", "e"};
    const char *ok[] = {"a", "b", "c", "d", "e"};
    double x[5] = {0};
    ck_assert_rec_fails(rec_dataset_add_strings(NULL, "s", ok, 5), REC_EINVAL, "ds is NULL");
    ck_assert_rec_fails(rec_dataset_add_strings(ds, NULL, ok, 5), REC_EINVAL, "name is NULL");
    ck_assert_rec_fails(rec_dataset_add_strings(ds, "s", NULL, 5), REC_EINVAL, "values is NULL");
    /* the third value fails after two were interned: nothing of the column may remain */
    ck_assert_rec_fails(rec_dataset_add_strings(ds, "s", v, 5), REC_EINVAL,
                        "rec_dataset_add_strings: values[2] is NULL");
    ck_assert_rec_fails(rec_dataset_add_strings(ds, "s", ok, 4), REC_ESHAPE,
                        "'s' has 4 values, the dataset 5 rows");
    ck_assert_rec_fails(rec_dataset_add_strings(ds, "fruit", ok, 5), REC_EINVAL,
                        "a column named 'fruit' exists");
    ck_assert_rec_fails(rec_dataset_add_numbers(ds, "price", x, 5), REC_EINVAL, "'price' exists");
    ck_assert_rec_fails(rec_dataset_add_numbers(ds, "x", x, 6), REC_ESHAPE, "6 values");
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 3);
    ck_assert_str_eq(rec_dataset_column_name(ds, 2), "tags");
    ck_assert_ptr_null(rec_dataset_column_name(ds, 3));
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_add_string_lists_reads_back)
{
    rec_dataset *ds = fruit_dataset();
    uint32_t c = col_of(ds, "tags");
    const char *out[4] = {0};
    size_t n = 99;
    ck_assert_int_eq(rec_dataset_column_type(ds, c), REC_COLUMN_STRING_LIST);
    /* row 3 = offsets[3]..offsets[4] = values[3..6) = green, red, sweet */
    ck_assert_rec_ok(rec_dataset_string_list(out, 4, &n, ds, c, 3));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0], "green");
    ck_assert_str_eq(out[1], "red");
    ck_assert_str_eq(out[2], "sweet");
    /* row 1 is empty; a short buffer gets the first entries and the full count */
    ck_assert_rec_ok(rec_dataset_string_list(out, 4, &n, ds, c, 1));
    ck_assert_uint_eq(n, 0);
    out[1] = NULL;
    ck_assert_rec_ok(rec_dataset_string_list(out, 1, &n, ds, c, 0));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(out[0], "red");
    ck_assert_ptr_null(out[1]);
    ck_assert_rec_ok(rec_dataset_string_list(NULL, 0, &n, ds, c, 4));
    ck_assert_uint_eq(n, 1);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_add_string_lists_errors)
{
    rec_dataset *ds;
    const char *v[] = {"a", "b", "c"};
    const size_t bad_start[] = {1, 2, 3}, decreasing[] = {0, 2, 1}, good[] = {0, 1, 3};
    const char *with_null[] = {"a", NULL, "c"};
    ck_assert_rec_ok(rec_dataset_create(&ds, 2));
    ck_assert_rec_fails(rec_dataset_add_string_lists(ds, "l", v, NULL, 2), REC_EINVAL,
                        "offsets is NULL");
    ck_assert_rec_fails(rec_dataset_add_string_lists(ds, "l", v, bad_start, 2), REC_EINVAL,
                        "offsets[0] = 1");
    ck_assert_rec_fails(rec_dataset_add_string_lists(ds, "l", v, decreasing, 2), REC_EINVAL,
                        "offsets[2] = 1 < offsets[1] = 2");
    ck_assert_rec_fails(rec_dataset_add_string_lists(ds, "l", NULL, good, 2), REC_EINVAL,
                        "values is NULL");
    ck_assert_rec_fails(rec_dataset_add_string_lists(ds, "l", with_null, good, 2), REC_EINVAL,
                        "values[1] is NULL");
    ck_assert_rec_fails(rec_dataset_add_string_lists(ds, "l", v, good, 1), REC_ESHAPE,
                        "1 values");
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 0);
    rec_dataset_free(ds);
}
END_TEST

/* ---- lookups --------------------------------------------------------------------------------- */

START_TEST(test_dataset_column_lookup)
{
    rec_dataset *ds = fruit_dataset();
    uint32_t c = 99;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, "tags"));
    ck_assert_uint_eq(c, 2);
    ck_assert_rec_fails(rec_dataset_column(&c, ds, "colour"), REC_ENOTFOUND,
                        "no column named 'colour'");
    ck_assert_rec_fails(rec_dataset_column(NULL, ds, "tags"), REC_EINVAL, "index_out is NULL");
    ck_assert_rec_fails(rec_dataset_column(&c, NULL, "tags"), REC_EINVAL, "ds is NULL");
    ck_assert_rec_fails(rec_dataset_column(&c, ds, NULL), REC_EINVAL, "name is NULL");
    ck_assert_ptr_null(rec_dataset_column_name(ds, 3));
    ck_assert_int_eq(rec_dataset_column_type(ds, 3), -1);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_getters_bad_position_or_type)
{
    rec_dataset *ds = fruit_dataset();
    const char *out[2];
    size_t n;
    double x[5];
    ck_assert_ptr_null(rec_dataset_string(ds, 0, 5));    /* row out of range */
    ck_assert_ptr_null(rec_dataset_string(ds, 1, 0));    /* number column */
    ck_assert_ptr_null(rec_dataset_string(ds, 2, 0));    /* list column */
    ck_assert_ptr_null(rec_dataset_string(ds, 7, 0));    /* no such column */
    ck_assert(isnan(rec_dataset_number(ds, 0, 0)));
    ck_assert(isnan(rec_dataset_number(ds, 1, 5)));
    ck_assert_rec_fails(rec_dataset_string_list(out, 2, &n, ds, 0, 0), REC_EINVAL,
                        "column 'fruit' is not a string-list column");
    ck_assert_rec_fails(rec_dataset_string_list(out, 2, &n, ds, 2, 5), REC_EINVAL,
                        "row = 5 out of range (5 rows)");
    ck_assert_rec_fails(rec_dataset_string_list(out, 2, &n, ds, 9, 0), REC_EINVAL,
                        "col = 9 out of range (3 columns)");
    ck_assert_rec_fails(rec_dataset_string_list(NULL, 2, &n, ds, 2, 0), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_dataset_string_list(out, 2, NULL, ds, 2, 0), REC_EINVAL,
                        "n_out is NULL");
    ck_assert_rec_fails(rec_dataset_numbers(x, 5, ds, 0), REC_EINVAL, "not a number column");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_unique_strings_sorted_by_bytes)
{
    /* bytes: 'A' 0x41 < 'Z' 0x5A < 'a' 0x61 < 'p' 0x70 < "é" 0xC3 0xA9 */
    const char *v[] = {"pear", "Apple", "apple", ("\xc3\xa9" "clair"), "pear", "Zed"};
    rec_dataset *ds;
    const char *out[8] = {0};
    size_t n = 0;
    ck_assert_rec_ok(rec_dataset_create(&ds, 6));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "s", v, 6));
    ck_assert_rec_ok(rec_dataset_unique_strings(NULL, 0, &n, ds, 0));
    ck_assert_uint_eq(n, 5);
    ck_assert_rec_ok(rec_dataset_unique_strings(out, 8, &n, ds, 0));
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(out[0], "Apple");
    ck_assert_str_eq(out[1], "Zed");
    ck_assert_str_eq(out[2], "apple");
    ck_assert_str_eq(out[3], "pear");
    ck_assert_str_eq(out[4], "\xc3\xa9" "clair");
    ck_assert_ptr_null(out[5]);
    /* a short buffer gets the smallest ones */
    const char *two[3] = {0};
    ck_assert_rec_ok(rec_dataset_unique_strings(two, 2, &n, ds, 0));
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(two[0], "Apple");
    ck_assert_str_eq(two[1], "Zed");
    ck_assert_ptr_null(two[2]);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_unique_strings_of_lists)
{
    rec_dataset *ds = fruit_dataset();
    const char *out[4];
    size_t n;
    /* tags: red sweet sweet green red sweet green → green, red, sweet */
    ck_assert_rec_ok(rec_dataset_unique_strings(out, 4, &n, ds, 2));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0], "green");
    ck_assert_str_eq(out[1], "red");
    ck_assert_str_eq(out[2], "sweet");
    ck_assert_rec_fails(rec_dataset_unique_strings(out, 4, &n, ds, 1), REC_EINVAL,
                        "rec_dataset_unique_strings: column 'price' is not a string column");
    ck_assert_rec_fails(rec_dataset_unique_strings(out, 4, &n, ds, 3), REC_EINVAL,
                        "col = 3 out of range");
    ck_assert_rec_fails(rec_dataset_unique_strings(NULL, 4, &n, ds, 0), REC_EINVAL,
                        "out is NULL");
    ck_assert_rec_fails(rec_dataset_unique_strings(out, 4, NULL, ds, 0), REC_EINVAL,
                        "n_out is NULL");
    ck_assert_rec_fails(rec_dataset_unique_strings(out, 4, &n, NULL, 0), REC_EINVAL,
                        "ds is NULL");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_numbers_copies_column)
{
    rec_dataset *ds = fruit_dataset();
    double x[5] = {0};
    ck_assert_rec_ok(rec_dataset_numbers(x, 5, ds, 1));
    ck_assert_double_eq(x[0], 1.5);
    ck_assert_double_eq(x[2], 2.0);
    ck_assert(isnan(x[3]));
    ck_assert_rec_fails(rec_dataset_numbers(x, 4, ds, 1), REC_ESHAPE,
                        "n = 4 but the dataset has 5 rows");
    ck_assert_rec_fails(rec_dataset_numbers(NULL, 5, ds, 1), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_dataset_numbers(x, 5, ds, 5), REC_EINVAL, "out of range");
    rec_dataset_free(ds);
}
END_TEST

/* ---- subset and split ------------------------------------------------------------------ */

START_TEST(test_dataset_subset_copies_rows)
{
    rec_dataset *ds = fruit_dataset(), *sub;
    const uint32_t rows[] = {3, 0, 3};
    const char *out[4];
    size_t n;
    ck_assert_rec_ok(rec_dataset_subset(&sub, ds, rows, 3));
    ck_assert_uint_eq(rec_dataset_size(sub), 3);
    ck_assert_uint_eq(rec_dataset_n_columns(sub), 3);
    ck_assert_str_eq(rec_dataset_column_name(sub, 2), "tags");
    /* row 3 = (fig, NaN, {green, red, sweet}), row 0 = (pear, 1.5, {red, sweet}) */
    ck_assert_str_eq(rec_dataset_string(sub, 0, 0), "fig");
    ck_assert_str_eq(rec_dataset_string(sub, 0, 1), "pear");
    ck_assert_str_eq(rec_dataset_string(sub, 0, 2), "fig");
    ck_assert(isnan(rec_dataset_number(sub, 1, 0)));
    ck_assert_double_eq(rec_dataset_number(sub, 1, 1), 1.5);
    ck_assert_rec_ok(rec_dataset_string_list(out, 4, &n, sub, 2, 1));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(out[0], "red");
    ck_assert_str_eq(out[1], "sweet");
    ck_assert_rec_ok(rec_dataset_string_list(out, 4, &n, sub, 2, 2));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0], "green");
    /* codes are kept (the dictionary is copied), so train and test parts agree on codes */
    ck_assert_uint_eq(sub->cols[0].codes[0], ds->cols[0].codes[3]);
    ck_assert_uint_eq(sub->cols[0].codes[1], ds->cols[0].codes[0]);
    /* ...but unique_strings reports only the strings the subset uses: fig, pear */
    ck_assert_rec_ok(rec_dataset_unique_strings(out, 4, &n, sub, 0));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(out[0], "fig");
    ck_assert_str_eq(out[1], "pear");
    /* the subset owns its data */
    rec_dataset_free(ds);
    ck_assert_str_eq(rec_dataset_string(sub, 0, 1), "pear");
    rec_dataset_free(sub);
}
END_TEST

START_TEST(test_dataset_subset_empty)
{
    rec_dataset *ds = fruit_dataset(), *sub;
    ck_assert_rec_ok(rec_dataset_subset(&sub, ds, NULL, 0));
    ck_assert_uint_eq(rec_dataset_size(sub), 0);
    ck_assert_uint_eq(rec_dataset_n_columns(sub), 3);
    rec_dataset_free(sub);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_subset_errors)
{
    rec_dataset *ds = fruit_dataset(), *sub = (rec_dataset *)&sub;
    const uint32_t rows[] = {0, 5};
    ck_assert_rec_fails(rec_dataset_subset(&sub, ds, rows, 2), REC_EINVAL,
                        "rows[1] = 5 out of range (5 rows)");
    ck_assert_ptr_null(sub);
    ck_assert_rec_fails(rec_dataset_subset(NULL, ds, rows, 1), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_dataset_subset(&sub, NULL, rows, 1), REC_EINVAL, "ds is NULL");
    ck_assert_rec_fails(rec_dataset_subset(&sub, ds, NULL, 1), REC_EINVAL, "rows is NULL");
    rec_dataset_free(ds);
}
END_TEST

/* Rows of a split part, read from the "row" column. */
static void part_rows(uint32_t *rows, const rec_dataset *part)
{
    for (size_t i = 0; i < rec_dataset_size(part); i++)
        rows[i] = (uint32_t)rec_dataset_number(part, 0, i);
}

START_TEST(test_dataset_shuffle_split_sizes_and_partition)
{
    enum { N = 100, FIRST = 80 };
    rec_dataset *ds = counting_dataset(N), *a, *b;
    uint32_t ra[FIRST], rb[N - FIRST];
    int seen[N] = {0};
    ck_assert_rec_ok(rec_dataset_shuffle_split(&a, &b, ds, FIRST, 42));
    ck_assert_uint_eq(rec_dataset_size(a), FIRST);
    ck_assert_uint_eq(rec_dataset_size(b), N - FIRST);
    ck_assert_uint_eq(rec_dataset_n_columns(b), 2);
    part_rows(ra, a);
    part_rows(rb, b);
    /* disjoint, and together every row exactly once */
    for (int i = 0; i < FIRST; i++)
        seen[ra[i]]++;
    for (int i = 0; i < N - FIRST; i++)
        seen[rb[i]]++;
    for (int r = 0; r < N; r++)
        ck_assert_int_eq(seen[r], 1);
    /* the strings travelled with their rows */
    char want[12];
    snprintf(want, sizeof want, "r%u", (unsigned)rb[0]);
    ck_assert_str_eq(rec_dataset_string(b, 1, 0), want);
    /* shuffled, not the first 80 rows in order */
    int in_order = 1;
    for (int i = 0; i < FIRST; i++)
        in_order &= ra[i] == (uint32_t)i;
    ck_assert(!in_order);
    rec_dataset_free(a);
    rec_dataset_free(b);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_shuffle_split_is_documented_permutation)
{
    /* first = rows order[0..7), second = order[7..10) where order is rec_rng seeded with 7
     * shuffling 0..9 */
    enum { N = 10, FIRST = 7 };
    rec_dataset *ds = counting_dataset(N), *a, *b;
    uint32_t order[N], rows[N];
    reference_order(order, N, 7, 1);
    ck_assert_rec_ok(rec_dataset_shuffle_split(&a, &b, ds, FIRST, 7));
    part_rows(rows, a);
    part_rows(rows + FIRST, b);
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(rows[i], order[i]);
    rec_dataset_free(a);
    rec_dataset_free(b);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_shuffle_split_reproducible_and_seeded)
{
    enum { N = 50 };
    rec_dataset *ds = counting_dataset(N), *a1, *b1, *a2, *b2, *a3, *b3;
    uint32_t r1[N], r2[N], r3[N];
    ck_assert_rec_ok(rec_dataset_shuffle_split(&a1, &b1, ds, 30, 1));
    ck_assert_rec_ok(rec_dataset_shuffle_split(&a2, &b2, ds, 30, 1));
    ck_assert_rec_ok(rec_dataset_shuffle_split(&a3, &b3, ds, 30, 2));
    part_rows(r1, a1);
    part_rows(r1 + 30, b1);
    part_rows(r2, a2);
    part_rows(r2 + 30, b2);
    part_rows(r3, a3);
    part_rows(r3 + 30, b3);
    int same12 = 1, same13 = 1;
    for (int i = 0; i < N; i++) {
        same12 &= r1[i] == r2[i];
        same13 &= r1[i] == r3[i];
    }
    ck_assert(same12);
    ck_assert(!same13);
    rec_dataset_free(a1);
    rec_dataset_free(b1);
    rec_dataset_free(a2);
    rec_dataset_free(b2);
    rec_dataset_free(a3);
    rec_dataset_free(b3);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_shuffle_split_edges)
{
    rec_dataset *ds = counting_dataset(4), *a, *b;
    ck_assert_rec_ok(rec_dataset_shuffle_split(&a, &b, ds, 0, 3));
    ck_assert_uint_eq(rec_dataset_size(a), 0);
    ck_assert_uint_eq(rec_dataset_size(b), 4);
    rec_dataset_free(a);
    rec_dataset_free(b);
    ck_assert_rec_ok(rec_dataset_shuffle_split(&a, &b, ds, 4, 3));
    ck_assert_uint_eq(rec_dataset_size(a), 4);
    ck_assert_uint_eq(rec_dataset_size(b), 0);
    rec_dataset_free(a);
    rec_dataset_free(b);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_shuffle_split_errors)
{
    rec_dataset *ds = counting_dataset(4), *a = (rec_dataset *)&a, *b = (rec_dataset *)&b;
    ck_assert_rec_fails(rec_dataset_shuffle_split(&a, &b, ds, 5, 1), REC_EINVAL,
                        "n_first = 5 exceeds the 4 rows");
    ck_assert_ptr_null(a);
    ck_assert_ptr_null(b);
    ck_assert_rec_fails(rec_dataset_shuffle_split(NULL, &b, ds, 1, 1), REC_EINVAL,
                        "first is NULL");
    ck_assert_rec_fails(rec_dataset_shuffle_split(&a, NULL, ds, 1, 1), REC_EINVAL,
                        "second is NULL");
    ck_assert_rec_fails(rec_dataset_shuffle_split(&a, &b, NULL, 1, 1), REC_EINVAL, "ds is NULL");
    rec_dataset_free(ds);
}
END_TEST

/* ---- batches ----------------------------------------------------------------------------- */

START_TEST(test_batches_sizes_in_order)
{
    /* 10 rows in batches of 4: ceil(10/4) = 3 batches of 4, 4, 2, then the end marker 0 */
    rec_batches *b;
    const uint32_t *rows;
    size_t n;
    ck_assert_rec_ok(rec_batches_create(&b, 10, 4, 0, 1));
    ck_assert_uint_eq(rec_batches_count(b), 3);
    for (int epoch = 0; epoch < 2; epoch++) {
        static const size_t sizes[] = {4, 4, 2, 0};
        uint32_t next = 0;
        for (int k = 0; k < 4; k++) {
            ck_assert_rec_ok(rec_batches_next(&rows, &n, b));
            ck_assert_uint_eq(n, sizes[k]);
            for (size_t i = 0; i < n; i++)
                ck_assert_uint_eq(rows[i], next++); /* no shuffle: 0, 1, ..., 9 */
        }
    }
    rec_batches_free(b);
}
END_TEST

START_TEST(test_batches_count_exact_and_large)
{
    rec_batches *b;
    ck_assert_rec_ok(rec_batches_create(&b, 12, 4, 1, 1));
    ck_assert_uint_eq(rec_batches_count(b), 3); /* 12 / 4 */
    rec_batches_free(b);
    ck_assert_rec_ok(rec_batches_create(&b, 3, 100, 1, 1));
    ck_assert_uint_eq(rec_batches_count(b), 1); /* one short batch */
    rec_batches_free(b);
}
END_TEST

/* One epoch of b into order (n rows); checks the batch sizes and that it is a permutation. */
static void one_epoch(uint32_t *order, size_t n, size_t batch, rec_batches *b)
{
    const uint32_t *rows;
    size_t got, total = 0, batches = 0;
    char *seen = calloc(n, 1);
    for (;;) {
        ck_assert_rec_ok(rec_batches_next(&rows, &got, b));
        if (got == 0)
            break;
        batches++;
        ck_assert_uint_le(got, batch);
        for (size_t i = 0; i < got; i++) {
            ck_assert_uint_lt(rows[i], n);
            ck_assert_int_eq(seen[rows[i]], 0);
            seen[rows[i]] = 1;
            order[total++] = rows[i];
        }
    }
    ck_assert_uint_eq(total, n);
    ck_assert_uint_eq(batches, rec_batches_count(b));
    free(seen);
}

START_TEST(test_batches_every_row_once_and_reshuffled)
{
    /* 103 rows in batches of 10 (10 of 10, one of 3); each epoch is a new permutation, equal
     * to the e-th shuffle of 0..102 by rec_rng seeded with 5, starting with the first epoch */
    enum { N = 103 };
    rec_batches *b;
    uint32_t e1[N], e2[N], e3[N], ref[N];
    ck_assert_rec_ok(rec_batches_create(&b, N, 10, 1, 5));
    one_epoch(e1, N, 10, b);
    one_epoch(e2, N, 10, b);
    one_epoch(e3, N, 10, b);
    int same12 = 1, same23 = 1;
    for (int i = 0; i < N; i++) {
        same12 &= e1[i] == e2[i];
        same23 &= e2[i] == e3[i];
    }
    ck_assert(!same12);
    ck_assert(!same23);
    reference_order(ref, N, 5, 1);
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(e1[i], ref[i]);
    reference_order(ref, N, 5, 3);
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(e3[i], ref[i]);
    rec_batches_free(b);
}
END_TEST

START_TEST(test_batches_errors)
{
    rec_batches *b = (rec_batches *)&b;
    const uint32_t *rows;
    size_t n;
    ck_assert_rec_fails(rec_batches_create(NULL, 1, 1, 0, 0), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_batches_create(&b, 0, 1, 0, 0), REC_EINVAL, "n_examples must be > 0");
    ck_assert_ptr_null(b);
    ck_assert_rec_fails(rec_batches_create(&b, 5, 0, 0, 0), REC_EINVAL, "batch_size must be > 0");
#if SIZE_MAX > UINT32_MAX
    ck_assert_rec_fails(rec_batches_create(&b, (size_t)UINT32_MAX + 1, 1, 0, 0), REC_EINVAL,
                        "2^32");
#endif
    ck_assert_rec_ok(rec_batches_create(&b, 5, 2, 1, 0));
    ck_assert_rec_fails(rec_batches_next(NULL, &n, b), REC_EINVAL, "rows_out is NULL");
    ck_assert_rec_fails(rec_batches_next(&rows, NULL, b), REC_EINVAL, "n_out is NULL");
    ck_assert_rec_fails(rec_batches_next(&rows, &n, NULL), REC_EINVAL, "b is NULL");
    rec_batches_free(b);
}
END_TEST

/* ---- delimited loader ------------------------------------------------------------------- */

START_TEST(test_dataset_load_delimited_csv)
{
    /* header; a "\r\n" line; a blank line (skipped); a last line without '\n' */
    rec_dataset *ds;
    ck_assert_rec_ok(load_csv(&ds, "user,item,rating,time\n"
                                   "u1,i9,4.5,100\r\n"
                                   "u2,i9,3,200\n"
                                   "\n"
                                   "u1,i2,-2.5e-1,300,extra"));
    ck_assert_uint_eq(rec_dataset_size(ds), 3);
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 4);
    ck_assert_str_eq(rec_dataset_column_name(ds, 0), "user_id");
    ck_assert_str_eq(rec_dataset_column_name(ds, 1), "item_id");
    ck_assert_str_eq(rec_dataset_column_name(ds, 2), "user_rating");
    ck_assert_str_eq(rec_dataset_column_name(ds, 3), "timestamp");
    ck_assert_int_eq(rec_dataset_column_type(ds, 1), REC_COLUMN_STRING);
    ck_assert_int_eq(rec_dataset_column_type(ds, 3), REC_COLUMN_NUMBER);
    ck_assert_str_eq(rec_dataset_string(ds, 0, 0), "u1");
    ck_assert_str_eq(rec_dataset_string(ds, 0, 1), "u2");
    ck_assert_str_eq(rec_dataset_string(ds, 0, 2), "u1");
    ck_assert_str_eq(rec_dataset_string(ds, 1, 2), "i2");
    ck_assert_double_eq(rec_dataset_number(ds, 2, 0), 4.5);
    ck_assert_double_eq(rec_dataset_number(ds, 2, 1), 3.0);
    ck_assert_double_eq(rec_dataset_number(ds, 2, 2), -0.25); /* -2.5 · 10^-1 */
    ck_assert_double_eq(rec_dataset_number(ds, 3, 1), 200.0);
    ck_assert_double_eq(rec_dataset_number(ds, 3, 2), 300.0);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_load_delimited_positions_and_no_timestamp)
{
    /* tab-separated, no header, rating first, item last, no timestamp column */
    rec_dataset *ds;
    static const char tsv[] = "5\tx\tann\tm1\n.5\ty\tbob\tm2\n";
    const char *path = write_bytes("ratings.tsv", tsv, sizeof tsv - 1);
    ck_assert_rec_ok(rec_dataset_load_delimited(&ds, path, '\t', 0, 2, 3, 0, REC_NO_COLUMN));
    ck_assert_uint_eq(rec_dataset_size(ds), 2);
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 3);
    ck_assert_rec_fails(rec_dataset_column(&(uint32_t){0}, ds, "timestamp"), REC_ENOTFOUND,
                        "timestamp");
    ck_assert_str_eq(rec_dataset_string(ds, 0, 1), "bob");
    ck_assert_str_eq(rec_dataset_string(ds, 1, 1), "m2");
    ck_assert_double_eq(rec_dataset_number(ds, 2, 0), 5.0);
    ck_assert_double_eq(rec_dataset_number(ds, 2, 1), 0.5);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_load_delimited_number_syntax)
{
    /* accepted: +3, 1e2 = 100, 7. = 7, 0.1 (nearest double, same as the literal),
     * 123456789012345678901234567890 (> 19 digits: rounded like the literal), 1e-400 → 0 */
    rec_dataset *ds;
    ck_assert_rec_ok(load_csv(&ds, "h\n"
                                   "a,b,+3,1e2\n"
                                   "a,b,7.,0.1\n"
                                   "a,b,123456789012345678901234567890,1e-400\n"
                                   "a,b,4.35,-0\n"));
    ck_assert_double_eq(rec_dataset_number(ds, 2, 0), 3.0);
    ck_assert_double_eq(rec_dataset_number(ds, 3, 0), 100.0);
    ck_assert_double_eq(rec_dataset_number(ds, 2, 1), 7.0);
    ck_assert_double_eq(rec_dataset_number(ds, 3, 1), 0.1);
    ck_assert_double_eq(rec_dataset_number(ds, 2, 2), 123456789012345678901234567890.0);
    ck_assert_double_eq(rec_dataset_number(ds, 3, 2), 0.0);
    ck_assert_double_eq(rec_dataset_number(ds, 2, 3), 4.35);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_load_delimited_ignores_decimal_comma_locale)
{
    /* A caller under a decimal-comma locale must still read "4.5" as 4.5: the parser does not
     * go through the locale's radix character. (Exercised fully only where such a locale is
     * installed; the C locale result is checked either way.) */
    static const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
    for (size_t i = 0; i < sizeof locales / sizeof *locales; i++)
        if (setlocale(LC_NUMERIC, locales[i]))
            break;
    rec_dataset *ds;
    ck_assert_rec_ok(load_csv(&ds, "h\na,b,4.5,1.25e3\n"));
    ck_assert_double_eq(rec_dataset_number(ds, 2, 0), 4.5);
    ck_assert_double_eq(rec_dataset_number(ds, 3, 0), 1250.0);
    rec_dataset_free(ds);
    setlocale(LC_NUMERIC, "C");
}
END_TEST

START_TEST(test_dataset_load_delimited_short_line)
{
    rec_dataset *ds = (rec_dataset *)&ds;
    ck_assert_rec_fails(load_csv(&ds, "u,i,r,t\na,b,1,2\na,b\n"), REC_EFORMAT,
                        "ratings.csv:3: expected at least 4 fields, found 2");
    ck_assert_ptr_null(ds);
}
END_TEST

START_TEST(test_dataset_load_delimited_bad_rating)
{
    rec_dataset *ds;
    const char *head = "u,i,r,t\na,b,1,2\na,b,1,2\na,b,1,2\n";
    char text[128];
    snprintf(text, sizeof text, "%sa,b,abc,2\n", head);
    ck_assert_rec_fails(load_csv(&ds, text), REC_EFORMAT,
                        "ratings.csv:5: column 'user_rating' (3): 'abc' is not a number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,,1\n"), REC_EFORMAT,
                        "ratings.csv:2: column 'user_rating' (3): empty value (the column "
                        "refuses missing values)");
    /* spaces around a number are not part of it */
    ck_assert_rec_ok(load_csv(&ds, "h\na,b, 3 ,1\n"));
    ck_assert_double_eq(rec_dataset_number(ds, 2, 0), 3);
    rec_dataset_free(ds);
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,3 x,1\n"), REC_EFORMAT, "'3 x' is not a number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,3x,1\n"), REC_EFORMAT, "user_rating' (3): '3x' is not a number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,0x10,1\n"), REC_EFORMAT, "'0x10' is not a number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,1e,1\n"), REC_EFORMAT, "'1e' is not a number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,.,1\n"), REC_EFORMAT, "'.' is not a number");
}
END_TEST

START_TEST(test_dataset_load_delimited_non_finite)
{
    rec_dataset *ds;
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,nan,1\n"), REC_EFORMAT,
                        "ratings.csv:2: column 'user_rating' (3): 'nan' is not a finite number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,-Inf,1\n"), REC_EFORMAT,
                        "'-Inf' is not a finite number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,1e400,1\n"), REC_EFORMAT,
                        "'1e400' is not a finite number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,1,infinity\n"), REC_EFORMAT,
                        "ratings.csv:2: column 'timestamp' (4): 'infinity' is not a finite number");
    ck_assert_rec_fails(load_csv(&ds, "h\na,b,1,t0\n"), REC_EFORMAT,
                        "ratings.csv:2: column 'timestamp' (4): 't0' is not a number");
}
END_TEST

START_TEST(test_dataset_load_delimited_empty_fields_and_files)
{
    rec_dataset *ds;
    ck_assert_rec_fails(load_csv(&ds, ""), REC_EFORMAT, "ratings.csv:1: empty file");
    ck_assert_rec_fails(load_csv(&ds, "user,item,rating,time\n"), REC_EFORMAT,
                        "ratings.csv:1: no data rows after the header");
    ck_assert_rec_fails(load_csv(&ds, "h\n,b,1,2\n"), REC_EFORMAT, "ratings.csv:2: column 'user_id' (1): empty value");
    ck_assert_rec_fails(load_csv(&ds, "h\na,,1,2\n"), REC_EFORMAT, "ratings.csv:2: column 'item_id' (2): empty value");
    static const char nul[] = "h\na,b,1,2\nc\0d,e,1,2\n";
    const char *path = write_bytes("ratings.csv", nul, sizeof nul - 1);
    ck_assert_rec_fails(rec_dataset_load_delimited(&ds, path, ',', 1, 0, 1, 2, 3), REC_EFORMAT,
                        "ratings.csv:3: column 'user_id' (1): NUL byte at offset 1 of the field");
}
END_TEST

START_TEST(test_dataset_load_delimited_missing_file)
{
    rec_dataset *ds = (rec_dataset *)&ds;
    char path[200];
    snprintf(path, sizeof path, "%s/nothere.csv", fixture_dir);
    ck_assert_rec_fails(rec_dataset_load_delimited(&ds, path, ',', 0, 0, 1, 2, 3), REC_EIO,
                        "nothere.csv: No such file or directory");
    ck_assert_ptr_null(ds);
    ck_assert(strstr(rec_last_error(), fixture_dir) != NULL);
    /* a directory opens but cannot be read */
    ck_assert_rec_fails(rec_dataset_load_delimited(&ds, fixture_dir, ',', 0, 0, 1, 2, 3), REC_EIO,
                        "cannot read");
}
END_TEST

START_TEST(test_dataset_load_delimited_argument_errors)
{
    rec_dataset *ds = (rec_dataset *)&ds;
    const char *path = write_csv("a,b,1,2\n");
    ck_assert_rec_fails(rec_dataset_load_delimited(NULL, path, ',', 0, 0, 1, 2, 3), REC_EINVAL,
                        "out is NULL");
    ck_assert_rec_fails(rec_dataset_load_delimited(&ds, NULL, ',', 0, 0, 1, 2, 3), REC_EINVAL,
                        "path is NULL");
    ck_assert_ptr_null(ds);
    ck_assert_rec_fails(rec_dataset_load_delimited(&ds, path, '\n', 0, 0, 1, 2, 3), REC_EINVAL,
                        "delimiter");
    ck_assert_rec_fails(rec_dataset_load_delimited(&ds, path, ',', 0, REC_NO_COLUMN, 1, 2, 3),
                        REC_EINVAL, "user_col is REC_NO_COLUMN");
    ck_assert_rec_fails(rec_dataset_load_delimited(&ds, path, ',', 0, 0, 1, REC_NO_COLUMN, 3),
                        REC_EINVAL, "rating_col is REC_NO_COLUMN");
}
END_TEST

/* ---- history (implicit feedback) ------------------------------------------------------------ */

/* A tiny ratings table: user, movie. */
static rec_dataset *ratings(const char *const *users, const char *const *movies, size_t n)
{
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, n));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", users, n));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "movie_id", movies, n));
    return ds;
}

static void expect_list(const rec_dataset *ds, const char *col, size_t row,
                        const char *const *want, size_t n_want)
{
    const char *got[8];
    size_t n;
    ck_assert_rec_ok(rec_dataset_string_list(got, 8, &n, ds, col_of(ds, col), row));
    ck_assert_uint_eq(n, n_want);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(got[i], want[i]);
}

START_TEST(test_dataset_add_history_by_hand)
{
    /* train: u1 rated a, b; u2 rated b, c, a; u3 rated c */
    static const char *tu[] = {"u1", "u2", "u1", "u2", "u3", "u2"};
    static const char *tm[] = {"a", "b", "b", "c", "c", "a"};
    rec_dataset *train = ratings(tu, tm, 6);
    /* a test set: u2 on d, u4 (unknown to train) on a, u1 on c */
    static const char *su[] = {"u2", "u4", "u1"};
    static const char *sm[] = {"d", "a", "c"};
    rec_dataset *test = ratings(su, sm, 3);
    ck_assert_rec_ok(rec_dataset_add_history(train, "user_hist", train, "user_id", "movie_id"));
    ck_assert_rec_ok(rec_dataset_add_history(test, "user_hist", train, "user_id", "movie_id"));
    ck_assert_rec_ok(rec_dataset_add_history(test, "raters", train, "movie_id", "user_id"));
    /* N(u) in the training set's row order */
    static const char *u1[] = {"a", "b"}, *u2[] = {"b", "c", "a"}, *u3[] = {"c"};
    expect_list(train, "user_hist", 0, u1, 2);
    expect_list(train, "user_hist", 1, u2, 3);
    expect_list(train, "user_hist", 2, u1, 2);
    expect_list(train, "user_hist", 4, u3, 1);
    expect_list(test, "user_hist", 0, u2, 3);
    expect_list(test, "user_hist", 1, NULL, 0); /* u4: not in train */
    expect_list(test, "user_hist", 2, u1, 2);
    /* the users who rated a movie: d none, a {u1, u2}, c {u2, u3} */
    static const char *ra[] = {"u1", "u2"}, *rc[] = {"u2", "u3"};
    expect_list(test, "raters", 0, NULL, 0);
    expect_list(test, "raters", 1, ra, 2);
    expect_list(test, "raters", 2, rc, 2);
    ck_assert_int_eq(rec_dataset_column_type(test, col_of(test, "raters")),
                     REC_COLUMN_STRING_LIST);
    ck_assert_uint_eq(rec_dataset_n_columns(test), 4);
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

START_TEST(test_dataset_add_history_errors)
{
    static const char *tu[] = {"u1"}, *tm[] = {"a"};
    rec_dataset *ds = ratings(tu, tm, 1);
    double y[] = {4};
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "user_rating", y, 1));
    ck_assert_rec_fails(rec_dataset_add_history(NULL, "h", ds, "user_id", "movie_id"),
                        REC_EINVAL, "non-NULL");
    ck_assert_rec_fails(rec_dataset_add_history(ds, "", ds, "user_id", "movie_id"), REC_EINVAL,
                        "name is empty");
    ck_assert_rec_fails(rec_dataset_add_history(ds, "movie_id", ds, "user_id", "movie_id"),
                        REC_EINVAL, "already has a column 'movie_id'");
    ck_assert_rec_fails(rec_dataset_add_history(ds, "h", ds, "nope", "movie_id"),
                        REC_ENOTFOUND, "ds has no column 'nope'");
    ck_assert_rec_fails(rec_dataset_add_history(ds, "h", ds, "user_id", "nope"), REC_ENOTFOUND,
                        "source has no column 'nope'");
    ck_assert_rec_fails(rec_dataset_add_history(ds, "h", ds, "user_id", "user_rating"),
                        REC_EINVAL, "'user_rating' of source is not a string column");
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 3);
    rec_dataset_free(ds);
}
END_TEST

/* ---- join (side tables) ------------------------------------------------------------------- */

/* Interactions: user, item, stars. Row 4 rates item "i9", which the item table lacks. */
static rec_dataset *interactions(void)
{
    static const char *users[] = {"u1", "u2", "u1", "u3", "u2"};
    static const char *items[] = {"i2", "i1", "i1", "i2", "i9"};
    static const double stars[] = {4, 3, 5, 1, 2};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 5));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user", users, 5));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "item", items, 5));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "stars", stars, 5));
    return ds;
}

/* An item table keyed by key_name: i1, i2, i3 with a title, a year and genres. i3 is rated by
 * no one; its strings ("Zed", "horror") must not reach a joined column's dictionary. */
static rec_dataset *item_table(const char *key_name)
{
    static const char *ids[] = {"i3", "i1", "i2"};
    static const char *titles[] = {"Zed", "Alpha", "Beta"};
    static const double years[] = {2001, 1999, NAN};
    /* i3 {horror}, i1 {comedy, drama}, i2 {} */
    static const char *genres[] = {"horror", "comedy", "drama"};
    static const size_t offsets[] = {0, 1, 3, 3};
    rec_dataset *t;
    ck_assert_rec_ok(rec_dataset_create(&t, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(t, "title", titles, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(t, key_name, ids, 3));
    ck_assert_rec_ok(rec_dataset_add_numbers(t, "year", years, 3));
    ck_assert_rec_ok(rec_dataset_add_string_lists(t, "genres", genres, offsets, 3));
    return t;
}

/* The column layout of interactions(): the three columns and nothing else. */
static void expect_interactions_unchanged(const rec_dataset *ds)
{
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 3);
    ck_assert_str_eq(rec_dataset_column_name(ds, 0), "user");
    ck_assert_str_eq(rec_dataset_column_name(ds, 1), "item");
    ck_assert_str_eq(rec_dataset_column_name(ds, 2), "stars");
    ck_assert_str_eq(rec_dataset_string(ds, 1, 4), "i9");
    ck_assert(rec_dataset_number(ds, 2, 0) == 4.0);
}

START_TEST(test_dataset_join_require_match_copies_every_column)
{
    rec_dataset *ds = interactions(), *items = item_table("item");
    rec_dataset *rated = NULL;
    const uint32_t first4[] = {0, 1, 2, 3};
    ck_assert_rec_ok(rec_dataset_subset(&rated, ds, first4, 4)); /* without the "i9" row */
    size_t unmatched = 99, unused = 99;
    ck_assert_rec_ok(rec_dataset_join(&unmatched, &unused, rated, "item", items, NULL,
                                      REC_JOIN_REQUIRE_MATCH));
    ck_assert_uint_eq(unmatched, 0);
    ck_assert_uint_eq(unused, 1); /* i3 */
    /* side's columns but its key, in side's order, after ds's */
    ck_assert_uint_eq(rec_dataset_n_columns(rated), 6);
    ck_assert_str_eq(rec_dataset_column_name(rated, 3), "title");
    ck_assert_str_eq(rec_dataset_column_name(rated, 4), "year");
    ck_assert_str_eq(rec_dataset_column_name(rated, 5), "genres");
    ck_assert_int_eq(rec_dataset_column_type(rated, 3), REC_COLUMN_STRING);
    ck_assert_int_eq(rec_dataset_column_type(rated, 4), REC_COLUMN_NUMBER);
    ck_assert_int_eq(rec_dataset_column_type(rated, 5), REC_COLUMN_STRING_LIST);
    /* rows rate i2, i1, i1, i2 */
    static const char *want_title[] = {"Beta", "Alpha", "Alpha", "Beta"};
    for (size_t r = 0; r < 4; r++) {
        ck_assert_str_eq(rec_dataset_string(rated, 3, r), want_title[r]);
        if (r == 1 || r == 2)
            ck_assert(rec_dataset_number(rated, 4, r) == 1999.0);
        else
            ck_assert(isnan(rec_dataset_number(rated, 4, r))); /* i2's year is missing */
    }
    static const char *i1[] = {"comedy", "drama"};
    expect_list(rated, "genres", 0, NULL, 0);
    expect_list(rated, "genres", 1, i1, 2);
    expect_list(rated, "genres", 2, i1, 2);
    expect_list(rated, "genres", 3, NULL, 0);
    /* the new dictionaries hold the rows' strings only, in first-seen row order, as columns
     * made by rec_dataset_add_strings do */
    const rec__column *title = &rated->cols[col_of(rated, "title")];
    ck_assert_uint_eq(title->dict.n, 2);
    ck_assert_str_eq(title->dict.strings[0], "Beta");
    ck_assert_str_eq(title->dict.strings[1], "Alpha");
    ck_assert_uint_eq(rated->cols[col_of(rated, "genres")].dict.n, 2);
    /* side is only read */
    ck_assert_uint_eq(rec_dataset_n_columns(items), 4);
    rec_dataset_free(rated);
    rec_dataset_free(items);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_join_fill_missing_and_side_key)
{
    rec_dataset *ds = interactions(), *items = item_table("item_id");
    size_t unmatched = 99, unused = 99;
    ck_assert_rec_ok(rec_dataset_join(&unmatched, &unused, ds, "item", items, "item_id",
                                      REC_JOIN_FILL_MISSING));
    ck_assert_uint_eq(unmatched, 1); /* row 4, "i9" */
    ck_assert_uint_eq(unused, 1);
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 6);
    /* the missing row: NaN, "" and an empty list */
    ck_assert_str_eq(rec_dataset_string(ds, col_of(ds, "title"), 4), "");
    ck_assert(isnan(rec_dataset_number(ds, col_of(ds, "year"), 4)));
    expect_list(ds, "genres", 4, NULL, 0);
    ck_assert_str_eq(rec_dataset_string(ds, col_of(ds, "title"), 1), "Alpha");
    ck_assert(rec_dataset_number(ds, col_of(ds, "year"), 1) == 1999.0);
    /* joining the same table again: its columns are now ds's */
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", items, "item_id",
                                         REC_JOIN_FILL_MISSING),
                        REC_EINVAL, "column 'title' of side is already a column of ds "
                                    "(rename it when loading)");
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 6);
    rec_dataset_free(items);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_dataset_join_exact)
{
    /* every rated item in the table and every table item rated */
    static const char *users[] = {"u1", "u2", "u1"};
    static const char *items3[] = {"i3", "i1", "i2"};
    rec_dataset *ds = NULL, *items = item_table("item");
    ck_assert_rec_ok(rec_dataset_create(&ds, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user", users, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "item", items3, 3));
    size_t unmatched = 99, unused = 99;
    ck_assert_rec_ok(rec_dataset_join(&unmatched, &unused, ds, "item", items, NULL,
                                      REC_JOIN_EXACT));
    ck_assert_uint_eq(unmatched, 0);
    ck_assert_uint_eq(unused, 0);
    ck_assert_str_eq(rec_dataset_string(ds, col_of(ds, "title"), 0), "Zed");
    static const char *horror[] = {"horror"};
    expect_list(ds, "genres", 0, horror, 1);
    rec_dataset_free(ds);

    /* i3 is rated by no one: REQUIRE_MATCH accepts it, EXACT names it */
    rec_dataset *two = NULL;
    ck_assert_rec_ok(rec_dataset_create(&two, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(two, "item", items3 + 1, 2));
    ck_assert_rec_fails(rec_dataset_join(&unmatched, &unused, two, "item", items, NULL,
                                         REC_JOIN_EXACT),
                        REC_ENOTFOUND, "rec_dataset_join: key 'i3' of row 0 of side is used by "
                                       "no row of ds (keys of side unused: 1)");
    ck_assert_uint_eq(unmatched, 0); /* the counts are written with REC_ENOTFOUND too */
    ck_assert_uint_eq(unused, 1);
    ck_assert_uint_eq(rec_dataset_n_columns(two), 1);
    ck_assert_rec_ok(rec_dataset_join(NULL, NULL, two, "item", items, NULL,
                                      REC_JOIN_REQUIRE_MATCH));
    ck_assert_uint_eq(rec_dataset_n_columns(two), 4);
    rec_dataset_free(two);
    rec_dataset_free(items);
}
END_TEST

START_TEST(test_dataset_join_missing_keys_are_named_and_counted)
{
    /* rows 1 and 3 rate i9, row 4 rates i8: two keys missing, on three rows */
    static const char *items5[] = {"i1", "i9", "i2", "i9", "i8"};
    rec_dataset *ds = NULL, *items = item_table("item");
    ck_assert_rec_ok(rec_dataset_create(&ds, 5));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "item", items5, 5));
    for (int p = REC_JOIN_REQUIRE_MATCH; p <= REC_JOIN_EXACT; p += REC_JOIN_EXACT) {
        size_t unmatched = 99, unused = 99;
        ck_assert_rec_fails(rec_dataset_join(&unmatched, &unused, ds, "item", items, NULL,
                                             (rec_join_policy)p),
                            REC_ENOTFOUND,
                            "rec_dataset_join: key 'i9' of row 1 of ds is not in column 'item' "
                            "of side (keys of ds missing from side: 2, on 3 rows)");
        ck_assert_uint_eq(unmatched, 3);
        ck_assert_uint_eq(unused, 1);
        ck_assert_uint_eq(rec_dataset_n_columns(ds), 1);
    }
    size_t unmatched = 0;
    ck_assert_rec_ok(rec_dataset_join(&unmatched, NULL, ds, "item", items, NULL,
                                      REC_JOIN_FILL_MISSING));
    ck_assert_uint_eq(unmatched, 3);
    rec_dataset_free(items);
    rec_dataset_free(ds);
}
END_TEST

/* A side row's key present in its dictionary but on no row (a subset of a table) is missing. */
START_TEST(test_dataset_join_side_subset_and_empty_tables)
{
    rec_dataset *ds = interactions(), *items = item_table("item"), *sub = NULL;
    const uint32_t keep[] = {2}; /* i2 only; i1 stays in the key's dictionary */
    ck_assert_rec_ok(rec_dataset_subset(&sub, items, keep, 1));
    size_t unmatched = 0, unused = 99;
    ck_assert_rec_ok(rec_dataset_join(&unmatched, &unused, ds, "item", sub, NULL,
                                      REC_JOIN_FILL_MISSING));
    ck_assert_uint_eq(unmatched, 3); /* i1 twice, i9 */
    ck_assert_uint_eq(unused, 0);
    ck_assert_str_eq(rec_dataset_string(ds, col_of(ds, "title"), 0), "Beta");
    ck_assert_str_eq(rec_dataset_string(ds, col_of(ds, "title"), 1), "");
    rec_dataset_free(sub);
    rec_dataset_free(ds);

    /* a side table of no rows: every row is missing */
    ds = interactions();
    ck_assert_rec_ok(rec_dataset_subset(&sub, items, NULL, 0));
    ck_assert_rec_ok(rec_dataset_join(&unmatched, &unused, ds, "item", sub, NULL,
                                      REC_JOIN_FILL_MISSING));
    ck_assert_uint_eq(unmatched, 5);
    ck_assert_uint_eq(unused, 0);
    expect_list(ds, "genres", 2, NULL, 0);
    rec_dataset_free(sub);
    rec_dataset_free(ds);

    /* a dataset of no rows: every side key is unused, and EXACT says so */
    rec_dataset *none = NULL;
    ck_assert_rec_ok(rec_dataset_create(&none, 0));
    ck_assert_rec_ok(rec_dataset_add_strings(none, "item", NULL, 0));
    ck_assert_rec_fails(rec_dataset_join(NULL, &unused, none, "item", items, NULL,
                                         REC_JOIN_EXACT),
                        REC_ENOTFOUND, "key 'i3' of row 0 of side is used by no row");
    ck_assert_uint_eq(unused, 3);
    ck_assert_rec_ok(rec_dataset_join(NULL, NULL, none, "item", items, NULL,
                                      REC_JOIN_REQUIRE_MATCH));
    ck_assert_uint_eq(rec_dataset_n_columns(none), 4);
    ck_assert_uint_eq(rec_dataset_size(none), 0);
    rec_dataset_free(none);
    rec_dataset_free(items);
}
END_TEST

START_TEST(test_dataset_join_errors_leave_ds_unchanged)
{
    rec_dataset *ds = interactions(), *items = item_table("item");
    const rec_join_policy fill = REC_JOIN_FILL_MISSING;
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, NULL, "item", items, NULL, fill),
                        REC_EINVAL, "rec_dataset_join: ds is NULL");
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, NULL, items, NULL, fill), REC_EINVAL,
                        "rec_dataset_join: key is NULL");
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", NULL, NULL, fill), REC_EINVAL,
                        "rec_dataset_join: side is NULL");
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", items, NULL,
                                         (rec_join_policy)3),
                        REC_EINVAL, "rec_dataset_join: unknown policy 3");
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "sku", items, NULL, fill),
                        REC_ENOTFOUND, "rec_dataset_join: ds has no key column 'sku'");
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", items, "sku", fill),
                        REC_ENOTFOUND, "rec_dataset_join: side has no key column 'sku'");
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "stars", items, "item", fill),
                        REC_EINVAL, "rec_dataset_join: key column 'stars' of ds is a number "
                                    "column; a key must be a string column");
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", items, "genres", fill),
                        REC_EINVAL, "rec_dataset_join: key column 'genres' of side is a "
                                    "string-list column; a key must be a string column");
    /* a side column named like a column of ds (here ds's key, with another side key) */
    rec_dataset *clash = item_table("item_id");
    static const char *dup[] = {"x", "y", "z"};
    ck_assert_rec_ok(rec_dataset_add_strings(clash, "user", dup, 3));
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", clash, "item_id", fill),
                        REC_EINVAL, "rec_dataset_join: column 'user' of side is already a "
                                    "column of ds (rename it when loading)");
    rec_dataset_free(clash);
    /* a key twice in side: named with both rows */
    static const char *ids[] = {"i1", "i2", "i3", "i2"};
    static const double w[] = {1, 2, 3, 4};
    rec_dataset *twice = NULL;
    ck_assert_rec_ok(rec_dataset_create(&twice, 4));
    ck_assert_rec_ok(rec_dataset_add_strings(twice, "item", ids, 4));
    ck_assert_rec_ok(rec_dataset_add_numbers(twice, "weight", w, 4));
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", twice, NULL, fill), REC_EINVAL,
                        "rec_dataset_join: key 'i2' appears twice in column 'item' of side "
                        "(rows 1 and 3); side keys must be unique");
    rec_dataset_free(twice);
    /* a missing key under REQUIRE_MATCH */
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", items, NULL,
                                         REC_JOIN_REQUIRE_MATCH),
                        REC_ENOTFOUND, "key 'i9' of row 4 of ds is not in column 'item' of side "
                                       "(keys of ds missing from side: 1, on 1 rows)");
    expect_interactions_unchanged(ds);
    rec_dataset_free(items);
    rec_dataset_free(ds);
}
END_TEST

/* A key that is not printable text is quoted in the message, as the loaders quote fields. */
START_TEST(test_dataset_join_quotes_keys_in_messages)
{
    static const char *keys[] = {"a\x1b[31mb"};
    rec_dataset *ds = NULL, *items = item_table("item");
    ck_assert_rec_ok(rec_dataset_create(&ds, 1));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "item", keys, 1));
    ck_assert_rec_fails(rec_dataset_join(NULL, NULL, ds, "item", items, NULL,
                                         REC_JOIN_REQUIRE_MATCH),
                        REC_ENOTFOUND, "key 'a\\x1B[31mb' of row 0 of ds");
    rec_dataset_free(items);
    rec_dataset_free(ds);
}
END_TEST

/* Many rows and keys: every row gets its own key's value (the hashed lookups, not a scan). */
START_TEST(test_dataset_join_many_keys)
{
    enum { N_KEYS = 20000, N_ROWS = 100000 };
    char (*names)[16] = malloc(N_KEYS * sizeof *names);
    const char **keys = malloc(N_KEYS * sizeof *keys), **rowkeys = malloc(N_ROWS * sizeof *keys);
    double *v = malloc(N_KEYS * sizeof *v);
    ck_assert(names && keys && rowkeys && v);
    for (size_t k = 0; k < N_KEYS; k++) {
        snprintf(names[k], sizeof names[k], "k%zu", k);
        keys[k] = names[k];
        v[k] = (double)k;
    }
    for (size_t r = 0; r < N_ROWS; r++)
        rowkeys[r] = names[(r * 7919) % N_KEYS];
    rec_dataset *side = NULL, *ds = NULL;
    ck_assert_rec_ok(rec_dataset_create(&side, N_KEYS));
    ck_assert_rec_ok(rec_dataset_add_strings(side, "k", keys, N_KEYS));
    ck_assert_rec_ok(rec_dataset_add_numbers(side, "v", v, N_KEYS));
    ck_assert_rec_ok(rec_dataset_create(&ds, N_ROWS));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "k", rowkeys, N_ROWS));
    ck_assert_rec_ok(rec_dataset_join(NULL, NULL, ds, "k", side, NULL, REC_JOIN_EXACT));
    uint32_t c = col_of(ds, "v");
    for (size_t r = 0; r < N_ROWS; r++)
        ck_assert(rec_dataset_number(ds, c, r) == (double)((r * 7919) % N_KEYS));
    rec_dataset_free(ds);
    rec_dataset_free(side);
    free(v);
    free(rowkeys);
    free(keys);
    free(names);
}
END_TEST

static Suite *dataset_suite(void)
{
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_dataset_create_empty);
    tcase_add_test(tc, test_dataset_create_zero_rows);
    tcase_add_test(tc, test_dataset_create_errors);
    tcase_add_test(tc, test_dataset_free_null);
    tcase_add_test(tc, test_dataset_null_handles);
    suite_add_tcase(s, tc);

    tc = tcase_create("columns");
    tcase_add_test(tc, test_dataset_add_strings_dictionary_encodes);
    tcase_add_test(tc, test_dataset_add_strings_copies_values);
    tcase_add_test(tc, test_dataset_add_strings_many_distinct);
    tcase_add_test(tc, test_dataset_add_numbers_nan_is_missing);
    tcase_add_test(tc, test_dataset_add_numbers_refuses_infinity);
    tcase_add_test(tc, test_dataset_add_errors_leave_dataset_unchanged);
    tcase_add_test(tc, test_dataset_add_string_lists_reads_back);
    tcase_add_test(tc, test_dataset_add_string_lists_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("lookup");
    tcase_add_test(tc, test_dataset_column_lookup);
    tcase_add_test(tc, test_dataset_getters_bad_position_or_type);
    tcase_add_test(tc, test_dataset_unique_strings_sorted_by_bytes);
    tcase_add_test(tc, test_dataset_unique_strings_of_lists);
    tcase_add_test(tc, test_dataset_numbers_copies_column);
    suite_add_tcase(s, tc);

    tc = tcase_create("split");
    tcase_add_test(tc, test_dataset_subset_copies_rows);
    tcase_add_test(tc, test_dataset_subset_empty);
    tcase_add_test(tc, test_dataset_subset_errors);
    tcase_add_test(tc, test_dataset_shuffle_split_sizes_and_partition);
    tcase_add_test(tc, test_dataset_shuffle_split_is_documented_permutation);
    tcase_add_test(tc, test_dataset_shuffle_split_reproducible_and_seeded);
    tcase_add_test(tc, test_dataset_shuffle_split_edges);
    tcase_add_test(tc, test_dataset_shuffle_split_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("history");
    tcase_add_test(tc, test_dataset_add_history_by_hand);
    tcase_add_test(tc, test_dataset_add_history_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("join");
    tcase_add_test(tc, test_dataset_join_require_match_copies_every_column);
    tcase_add_test(tc, test_dataset_join_fill_missing_and_side_key);
    tcase_add_test(tc, test_dataset_join_exact);
    tcase_add_test(tc, test_dataset_join_missing_keys_are_named_and_counted);
    tcase_add_test(tc, test_dataset_join_side_subset_and_empty_tables);
    tcase_add_test(tc, test_dataset_join_errors_leave_ds_unchanged);
    tcase_add_test(tc, test_dataset_join_quotes_keys_in_messages);
    tcase_add_test(tc, test_dataset_join_many_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("batches");
    tcase_add_test(tc, test_batches_sizes_in_order);
    tcase_add_test(tc, test_batches_count_exact_and_large);
    tcase_add_test(tc, test_batches_every_row_once_and_reshuffled);
    tcase_add_test(tc, test_batches_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("delimited");
    tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_add_test(tc, test_dataset_load_delimited_csv);
    tcase_add_test(tc, test_dataset_load_delimited_positions_and_no_timestamp);
    tcase_add_test(tc, test_dataset_load_delimited_number_syntax);
    tcase_add_test(tc, test_dataset_load_delimited_ignores_decimal_comma_locale);
    tcase_add_test(tc, test_dataset_load_delimited_short_line);
    tcase_add_test(tc, test_dataset_load_delimited_bad_rating);
    tcase_add_test(tc, test_dataset_load_delimited_non_finite);
    tcase_add_test(tc, test_dataset_load_delimited_empty_fields_and_files);
    tcase_add_test(tc, test_dataset_load_delimited_missing_file);
    tcase_add_test(tc, test_dataset_load_delimited_argument_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(dataset_suite());
}
