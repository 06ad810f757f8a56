/* Suite "movielens": the ml-100k loader on the invented fixture of movielens_tiny.h (written
 * into a mkdtemp directory: the real files may not be redistributed), its malformed-file
 * errors, and, only when REC_DATA_DIR names an unpacked ml-100k, the real data. */
#include "rec_check.h"
#include "movielens_tiny.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the fixture -------------------------------------------------------------------------- */

/* u1.base, a fold file: rows 1 and 3 of the fixture's u.data. */
static const char BASE[] = "2\t2\t3\t874000002\n"
                           "1\t2\t4\t100\n";

static const char *const FILES[] = {"u.genre", "u.occupation", "u.user", "u.item", "u.data",
                                    "u1.base"};
static char dir[64];

static void write_file(const char *name, const char *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_text(const char *name, const char *text)
{
    write_file(name, text, strlen(text));
}

static void fixture_setup(void)
{
    strcpy(dir, "/tmp/rec_test_movielens_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < ML_TINY_N_FILES; i++)
        write_text(ML_TINY_FILES[i].name, ML_TINY_FILES[i].text);
    write_text("u1.base", BASE);
}

static void fixture_teardown(void)
{
    char path[128];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, FILES[i]);
        unlink(path);
    }
    rmdir(dir);
}

static uint32_t col(const rec_dataset *ds, const char *name)
{
    uint32_t c = UINT32_MAX;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, name));
    return c;
}

static const char *str(const rec_dataset *ds, const char *name, size_t row)
{
    const char *s = rec_dataset_string(ds, col(ds, name), row);
    ck_assert_ptr_nonnull(s);
    return s;
}

static double num(const rec_dataset *ds, const char *name, size_t row)
{
    return rec_dataset_number(ds, col(ds, name), row);
}

/* Load the fixture's u.data and expect failure `code` with `needle` in the message, and NULL
 * in *out. */
static void expect_failure(const char *ratings, int code, const char *needle)
{
    rec_dataset *ds = (rec_dataset *)&ds;
    ck_assert_rec_fails(rec_dataset_load_movielens(&ds, dir, ratings), code, needle);
    ck_assert_ptr_null(ds);
}

/* ---- success -------------------------------------------------------------------------------- */

START_TEST(test_movielens_columns_in_documented_order)
{
    static const char *names[] = {
        "user_id", "movie_id", "user_rating", "timestamp", "movie_title", "movie_genres",
        "release_date", "release_year", "raw_user_age", "bucketized_user_age", "user_gender",
        "user_occupation_text", "user_occupation_label", "user_zip_code", "user_zip_prefix"};
    static const int types[] = {0, 0, 1, 1, 0, 2, 0, 1, 1, 1, 0, 0, 1, 0, 0};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, dir, NULL));
    ck_assert_uint_eq(rec_dataset_size(ds), 6);
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 15);
    for (uint32_t c = 0; c < 15; c++) {
        ck_assert_str_eq(rec_dataset_column_name(ds, c), names[c]);
        ck_assert_int_eq(rec_dataset_column_type(ds, c), types[c]);
    }
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_movielens_row_values)
{
    rec_dataset *ds;
    const char *g[4];
    size_t n;
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, dir, NULL));
    /* row 0: "1 1 5 874000001" joined with user 1 (31, M, artist, 10001) and movie 1 */
    ck_assert_str_eq(str(ds, "user_id", 0), "1");
    ck_assert_str_eq(str(ds, "movie_id", 0), "1");
    ck_assert_double_eq(num(ds, "user_rating", 0), 5.0);
    ck_assert_double_eq(num(ds, "timestamp", 0), 874000001.0);
    ck_assert_str_eq(str(ds, "movie_title", 0), "Toy Film (1995)");
    ck_assert_str_eq(str(ds, "release_date", 0), "01-Jan-1995");
    ck_assert_double_eq(num(ds, "release_year", 0), 1995.0);
    ck_assert_double_eq(num(ds, "raw_user_age", 0), 31.0);
    ck_assert_double_eq(num(ds, "bucketized_user_age", 0), 25.0); /* 25 ≤ 31 < 35 */
    ck_assert_str_eq(str(ds, "user_gender", 0), "M");
    ck_assert_str_eq(str(ds, "user_occupation_text", 0), "artist");
    ck_assert_double_eq(num(ds, "user_occupation_label", 0), 1.0); /* line 2 of u.occupation */
    ck_assert_str_eq(str(ds, "user_zip_code", 0), "10001");
    ck_assert_str_eq(str(ds, "user_zip_prefix", 0), "1");
    /* flags 0|1|1|0 → genres 1 and 2 in u.genre order */
    ck_assert_rec_ok(rec_dataset_string_list(g, 4, &n, ds, col(ds, "movie_genres"), 0));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(g[0], "Action");
    ck_assert_str_eq(g[1], "Comedy");

    /* row 1: user 2 (52, F, other, 9902X), movie 2 (a one-digit day in its date) */
    ck_assert_str_eq(str(ds, "user_id", 1), "2");
    ck_assert_double_eq(num(ds, "user_rating", 1), 3.0);
    ck_assert_double_eq(num(ds, "timestamp", 1), 874000002.0);
    ck_assert_str_eq(str(ds, "release_date", 1), "4-Feb-1996");
    ck_assert_double_eq(num(ds, "release_year", 1), 1996.0);
    ck_assert_double_eq(num(ds, "bucketized_user_age", 1), 50.0); /* 50 ≤ 52 < 56 */
    ck_assert_str_eq(str(ds, "user_gender", 1), "F");
    ck_assert_double_eq(num(ds, "user_occupation_label", 1), 2.0);
    ck_assert_str_eq(str(ds, "user_zip_code", 1), "9902X");
    ck_assert_str_eq(str(ds, "user_zip_prefix", 1), "9");
    ck_assert_rec_ok(rec_dataset_string_list(g, 4, &n, ds, col(ds, "movie_genres"), 1));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(g[0], "Drama");

    /* row 2: user 3 aged 17 (bucket 1), movie 3 without dates */
    ck_assert_str_eq(str(ds, "movie_title", 2), "unknown");
    ck_assert_str_eq(str(ds, "release_date", 2), "");
    ck_assert(isnan(num(ds, "release_year", 2)));
    ck_assert_double_eq(num(ds, "raw_user_age", 2), 17.0);
    ck_assert_double_eq(num(ds, "bucketized_user_age", 2), 1.0);
    ck_assert_str_eq(str(ds, "user_occupation_text", 2), "administrator");
    ck_assert_double_eq(num(ds, "user_occupation_label", 2), 0.0);
    ck_assert_rec_ok(rec_dataset_string_list(g, 4, &n, ds, col(ds, "movie_genres"), 2));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(g[0], "unknown");

    /* row 3: "1 2 4 100": user 1's features with movie 2's */
    ck_assert_str_eq(str(ds, "user_id", 3), "1");
    ck_assert_str_eq(str(ds, "movie_id", 3), "2");
    ck_assert_double_eq(num(ds, "timestamp", 3), 100.0);
    ck_assert_str_eq(str(ds, "user_zip_code", 3), "10001");
    ck_assert_double_eq(num(ds, "release_year", 3), 1996.0);

    /* rows 4 and 5: users 2 and 3 again, with movies 3 and 1 */
    ck_assert_str_eq(str(ds, "movie_title", 4), "unknown");
    ck_assert_double_eq(num(ds, "raw_user_age", 4), 52.0);
    ck_assert_double_eq(num(ds, "user_rating", 5), 4.0);
    ck_assert_double_eq(num(ds, "timestamp", 5), 874000300.0);
    ck_assert_str_eq(str(ds, "movie_title", 5), "Toy Film (1995)");
    ck_assert_str_eq(str(ds, "user_zip_code", 5), "A1B2C");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_movielens_latin1_titles_become_utf8)
{
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, dir, NULL));
    /* é = U+00E9 = 0xE9 in ISO-8859-1 → C3 A9 in UTF-8; è = U+00E8 → C3 A8 */
    ck_assert_str_eq(str(ds, "movie_title", 1), "Caf\xc3\xa9 Cr\xc3\xa8me (1996)");
    ck_assert_str_eq(str(ds, "movie_title", 3), "Caf\xc3\xa9 Cr\xc3\xa8me (1996)");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_movielens_distinct_strings)
{
    rec_dataset *ds;
    const char *out[8];
    size_t n;
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, dir, NULL));
    /* users 1 2 3 1 2 3 → {1, 2, 3}; titles of movies 1 2 3 2 3 1 → 3 titles, byte-sorted:
     * 'C' < 'T' < 'u'; genres used: Action Comedy Drama unknown */
    ck_assert_rec_ok(rec_dataset_unique_strings(out, 8, &n, ds, col(ds, "user_id")));
    ck_assert_uint_eq(n, 3);
    ck_assert_rec_ok(rec_dataset_unique_strings(out, 8, &n, ds, col(ds, "movie_title")));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out[0], "Caf\xc3\xa9 Cr\xc3\xa8me (1996)");
    ck_assert_str_eq(out[1], "Toy Film (1995)");
    ck_assert_str_eq(out[2], "unknown");
    ck_assert_rec_ok(rec_dataset_unique_strings(out, 8, &n, ds, col(ds, "movie_genres")));
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(out[0], "Action");
    ck_assert_str_eq(out[3], "unknown");
    /* the same string is stored once: rows 1 and 3 share movie 2's title */
    ck_assert_ptr_eq(str(ds, "movie_title", 1), str(ds, "movie_title", 3));
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_movielens_fold_file)
{
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, dir, "u1.base"));
    ck_assert_uint_eq(rec_dataset_size(ds), 2);
    ck_assert_str_eq(str(ds, "user_id", 0), "2");
    ck_assert_str_eq(str(ds, "user_id", 1), "1");
    ck_assert_double_eq(num(ds, "user_rating", 1), 4.0);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_movielens_dir_with_trailing_slash_and_crlf)
{
    /* "\r\n" line ends are accepted; "dir/" does not become "dir//u.data" in messages */
    char slash[80];
    rec_dataset *ds;
    write_text("u.data", "1\t1\t5\t874000001\r\n3\t2\t2\t5\r\n");
    snprintf(slash, sizeof slash, "%s/", dir);
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, slash, NULL));
    ck_assert_uint_eq(rec_dataset_size(ds), 2);
    ck_assert_double_eq(num(ds, "timestamp", 0), 874000001.0);
    ck_assert_double_eq(num(ds, "timestamp", 1), 5.0);
    rec_dataset_free(ds);
    write_text("u.data", "1\t1\t9\t1\n");
    expect_failure(NULL, REC_EFORMAT, "/u.data:1:");
    ck_assert_ptr_null(strstr(rec_last_error(), "//"));
}
END_TEST

/* ---- malformed files ----------------------------------------------------------------------- */

START_TEST(test_movielens_missing_file)
{
    char path[128];
    snprintf(path, sizeof path, "%s/u.user", dir);
    unlink(path);
    expect_failure(NULL, REC_EIO, "u.user: No such file or directory");
    ck_assert_msg(strstr(rec_last_error(), path) != NULL, "full path %s not in: %s", path,
                  rec_last_error());
    expect_failure("u9.base", REC_EIO, "u.user"); /* the tables are read first */
    write_text("u.user", ML_TINY_USER);
    expect_failure("u9.base", REC_EIO, "/u9.base: No such file or directory");
}
END_TEST

START_TEST(test_movielens_short_line)
{
    write_text("u.data", "1\t1\t5\t874000001\n2\t2\t3\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:2: expected 4 fields, found 3");
    write_text("u.data", "1\t1\t5\t874000001\n\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:2: expected 4 fields, found 1");
}
END_TEST

START_TEST(test_movielens_non_numeric_field)
{
    write_text("u.data", "1\t1\t5\t874000001\n1\t1\tx\t874000001\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:2: rating 'x' is not a number");
    write_text("u.data", "1\t1\t3.5\t874000001\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:1: rating '3.5' is not an integer");
    write_text("u.data", "abc\t1\t5\t874000001\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:1: user id 'abc' is not a number");
    write_text("u.data", "1\t1x\t5\t874000001\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:1: movie id '1x' is not a number");
    write_text("u.data", "1\t1\t5\t8812e9\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:1: timestamp '8812e9' is not an integer");
}
END_TEST

START_TEST(test_movielens_rating_out_of_range)
{
    write_text("u.data", "1\t1\t5\t1\n1\t1\t1\t1\n2\t2\t7\t1\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:3: rating 7 outside 1..5");
    write_text("u.data", "1\t1\t0\t1\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:1: rating 0 outside 1..5");
}
END_TEST

START_TEST(test_movielens_unknown_user)
{
    write_text("u.data", "1\t1\t5\t1\n999\t1\t5\t1\n");
    expect_failure(NULL, REC_EFORMAT, "u.data:2: user 999 is not in u.user");
}
END_TEST

START_TEST(test_movielens_unknown_item)
{
    write_text("u1.base", "1\t1\t5\t1\n1\t2\t5\t1\n2\t4\t5\t1\n");
    expect_failure("u1.base", REC_EFORMAT, "u1.base:3: movie 4 is not in u.item");
}
END_TEST

START_TEST(test_movielens_truncated_file)
{
    write_text("u.data", "1\t1\t5\t874000001\n2\t2\t3\t8917");
    expect_failure(NULL, REC_EFORMAT, "u.data:2: truncated last line (no newline)");
}
END_TEST

START_TEST(test_movielens_empty_file)
{
    write_text("u.data", "");
    expect_failure(NULL, REC_EFORMAT, "u.data:1: empty file");
    write_text("u.data", ML_TINY_DATA);
    write_text("u.item", "");
    expect_failure(NULL, REC_EFORMAT, "u.item:1: empty file");
}
END_TEST

START_TEST(test_movielens_bad_tables)
{
    /* each table's own checks, file and line named */
    write_text("u.item", "1|Toy Film (1995)|01-Jan-1995||http://example.com/1|0|1|1\n");
    expect_failure(NULL, REC_EFORMAT, "u.item:1: expected 9 '|'-separated fields");
    write_text("u.item", "1|A|01-Jan-1995||u|0|1|1|0\n2|B|1995||u|0|0|0|1\n");
    expect_failure(NULL, REC_EFORMAT, "u.item:2: release date '1995' is not DD-Mon-YYYY");
    write_text("u.item", "1|A|01-Jan-1995||u|0|1|2|0\n");
    expect_failure(NULL, REC_EFORMAT, "u.item:1: genre flag 3 ('2') is not 0 or 1");
    write_text("u.item", "1|A|||u|0|1|0|0\n1|B|||u|0|1|0|0\n");
    expect_failure(NULL, REC_EFORMAT, "movie 1 appears twice");
    write_text("u.item", ML_TINY_ITEM);

    write_text("u.user", "1|31|M|artist|10001\n2|52|F|pilot|9902X\n");
    expect_failure(NULL, REC_EFORMAT, "u.user:2: occupation 'pilot' is not in u.occupation");
    write_text("u.user", "1|old|M|artist|10001\n");
    expect_failure(NULL, REC_EFORMAT, "u.user:1: age 'old' is not a number");
    write_text("u.user", "1|31|M|artist\n");
    expect_failure(NULL, REC_EFORMAT, "u.user:1: expected 5 '|'-separated fields, found 4");
    write_text("u.user", ML_TINY_USER);

    write_text("u.genre", "unknown|0\nAction|1\nComedy|7\nDrama|3\n");
    expect_failure(NULL, REC_EFORMAT, "u.genre:3: genre index '7' is not in 0..3");
    write_text("u.genre", "unknown|0\n\nAction|1\n");
    expect_failure(NULL, REC_EFORMAT, "u.genre:2: empty line");
    write_text("u.genre", ML_TINY_GENRE);

    write_text("u.occupation", "administrator\nartist\nartist\n");
    expect_failure(NULL, REC_EFORMAT, "u.occupation:3: occupation 'artist' appears twice");
    static const char nul[] = "administrator\nart\0ist\nother\n";
    write_file("u.occupation", nul, sizeof nul - 1);
    expect_failure(NULL, REC_EFORMAT, "u.occupation:2: NUL byte");
}
END_TEST

START_TEST(test_movielens_argument_errors)
{
    rec_dataset *ds = (rec_dataset *)&ds;
    ck_assert_rec_fails(rec_dataset_load_movielens(NULL, dir, NULL), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_dataset_load_movielens(&ds, NULL, NULL), REC_EINVAL, "dir is NULL");
    ck_assert_ptr_null(ds);
    expect_failure("../u.data", REC_EINVAL, "ratings_file '../u.data' is not a plain file name");
    expect_failure("", REC_EINVAL, "not a plain file name");
    expect_failure("..", REC_EINVAL, "not a plain file name");
}
END_TEST

/* ---- the real data (REC_DATA_DIR) ------------------------------------------------------- */

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static size_t n_unique(const rec_dataset *ds, const char *name)
{
    size_t n = 0;
    ck_assert_rec_ok(rec_dataset_unique_strings(NULL, 0, &n, ds, col(ds, name)));
    return n;
}

START_TEST(test_movielens_real_counts)
{
    const char *real = getenv("REC_DATA_DIR");
    rec_dataset *ds;
    double t0 = seconds();
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, real, NULL));
    printf("movielens: loaded %zu ratings from %s in %.1f ms\n", rec_dataset_size(ds), real,
           1e3 * (seconds() - t0));
    ck_assert_uint_eq(rec_dataset_size(ds), 100000);
    ck_assert_uint_eq(n_unique(ds, "user_id"), 943);
    ck_assert_uint_eq(n_unique(ds, "movie_id"), 1682);
    ck_assert_uint_eq(n_unique(ds, "movie_title"), 1664);
    ck_assert_uint_eq(n_unique(ds, "movie_genres"), 19);
    ck_assert_uint_eq(n_unique(ds, "user_occupation_text"), 21);
    /* movie 543's title has byte 0xE9 in u.item: UTF-8 C3 A9 here */
    uint32_t id = col(ds, "movie_id"), title = col(ds, "movie_title");
    size_t r = 0;
    while (r < rec_dataset_size(ds) && strcmp(rec_dataset_string(ds, id, r), "543") != 0)
        r++;
    ck_assert_uint_lt(r, rec_dataset_size(ds));
    ck_assert_str_eq(rec_dataset_string(ds, title, r), "Mis\xc3\xa9rables, Les (1995)");
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_movielens_real_folds)
{
    /* the five-fold protocol: u1..u5, each 80,000 training and 20,000 test ratings, the test
     * folds disjoint and together the whole of u.data */
    const char *real = getenv("REC_DATA_DIR");
    uint8_t *seen = calloc(943 * 1682 + 1, 1);
    for (int k = 1; k <= 5; k++) {
        char base[16], test[16];
        snprintf(base, sizeof base, "u%d.base", k);
        snprintf(test, sizeof test, "u%d.test", k);
        rec_dataset *b, *t;
        ck_assert_rec_ok(rec_dataset_load_movielens(&b, real, base));
        ck_assert_uint_eq(rec_dataset_size(b), 80000);
        ck_assert_rec_ok(rec_dataset_load_movielens(&t, real, test));
        ck_assert_uint_eq(rec_dataset_size(t), 20000);
        uint32_t u = col(t, "user_id"), m = col(t, "movie_id");
        for (size_t r = 0; r < 20000; r++) {
            long key = (atol(rec_dataset_string(t, u, r)) - 1) * 1682 +
                       atol(rec_dataset_string(t, m, r)) - 1;
            ck_assert(key >= 0 && key < 943 * 1682);
            ck_assert_msg(!seen[key], "u%d.test repeats a rating of another fold", k);
            seen[key] = 1;
        }
        rec_dataset_free(b);
        rec_dataset_free(t);
    }
    size_t total = 0;
    for (long i = 0; i < 943 * 1682; i++)
        total += seen[i];
    ck_assert_uint_eq(total, 100000);
    free(seen);
}
END_TEST

START_TEST(test_movielens_real_zip_prefix)
{
    /* u.user: 943 zip codes; first characters 0..9 for US codes, a few letters (Canada) */
    const char *real = getenv("REC_DATA_DIR");
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_load_movielens(&ds, real, NULL));
    size_t n = rec_dataset_size(ds);
    uint32_t zip = col(ds, "user_zip_code"), pre = col(ds, "user_zip_prefix");
    for (size_t r = 0; r < n; r += 97) {
        const char *z = rec_dataset_string(ds, zip, r), *p = rec_dataset_string(ds, pre, r);
        ck_assert_uint_eq(strlen(p), 1);
        ck_assert_int_eq(p[0], z[0]);
    }
    ck_assert_uint_eq(n_unique(ds, "user_zip_prefix"), 19);
    rec_dataset_free(ds);
}
END_TEST

static Suite *movielens_suite(void)
{
    Suite *s = suite_create("movielens");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_add_test(tc, test_movielens_columns_in_documented_order);
    tcase_add_test(tc, test_movielens_row_values);
    tcase_add_test(tc, test_movielens_latin1_titles_become_utf8);
    tcase_add_test(tc, test_movielens_distinct_strings);
    tcase_add_test(tc, test_movielens_fold_file);
    tcase_add_test(tc, test_movielens_dir_with_trailing_slash_and_crlf);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_add_test(tc, test_movielens_missing_file);
    tcase_add_test(tc, test_movielens_short_line);
    tcase_add_test(tc, test_movielens_non_numeric_field);
    tcase_add_test(tc, test_movielens_rating_out_of_range);
    tcase_add_test(tc, test_movielens_unknown_user);
    tcase_add_test(tc, test_movielens_unknown_item);
    tcase_add_test(tc, test_movielens_truncated_file);
    tcase_add_test(tc, test_movielens_empty_file);
    tcase_add_test(tc, test_movielens_bad_tables);
    tcase_add_test(tc, test_movielens_argument_errors);
    suite_add_tcase(s, tc);

    if (getenv("REC_DATA_DIR")) {
        tc = tcase_create("real");
        tcase_add_test(tc, test_movielens_real_counts);
        tcase_add_test(tc, test_movielens_real_folds);
        tcase_add_test(tc, test_movielens_real_zip_prefix);
        suite_add_tcase(s, tc);
    } else {
        printf("REC_DATA_DIR not set: skipping ML-100K checks\n");
    }
    return s;
}

int main(void)
{
    return rec_check_run(movielens_suite());
}
