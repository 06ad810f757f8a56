/* Fuzz target for rec_dataset_load_movielens(), compiled once per fuzzed file (meson passes
 * -DFUZZ_ML=...):
 *   FUZZ_ML_RATINGS  the input is u.data; the four tables are those of movielens_tiny.h
 *   FUZZ_ML_ITEM     the input is u.item; the others are fixed
 *   FUZZ_ML_USER     the input is u.user; the others are fixed
 *   FUZZ_ML_ALL      the input holds all five files separated by NUL bytes, in the order
 *                    u.genre, u.occupation, u.user, u.item, u.data (further NULs stay in u.data)
 * A successful load is checked against rec/movielens.h: 15 columns in the documented order and
 * types, integer ratings in 1..5, integer timestamps in 0..2^53, ids in 1..2^32−1 written in
 * plain decimal, every string valid UTF-8 (the loader converts ISO-8859-1), ages 0..1000. */
#include "fuzz_common.h"
#include "../movielens_tiny.h"

#include <math.h>

#define FUZZ_ML_RATINGS 0
#define FUZZ_ML_ITEM 1
#define FUZZ_ML_USER 2
#define FUZZ_ML_ALL 3
#ifndef FUZZ_ML
#define FUZZ_ML FUZZ_ML_RATINGS
#endif

static const char *const NAMES[] = {"user_id", "movie_id", "user_rating", "timestamp",
                                    "movie_title", "movie_genres", "release_date",
                                    "release_year", "raw_user_age", "bucketized_user_age",
                                    "user_gender", "user_occupation_text",
                                    "user_occupation_label", "user_zip_code",
                                    "user_zip_prefix"};
static const int TYPES[] = {0, 0, 1, 1, 0, 2, 0, 1, 1, 1, 0, 0, 1, 0, 0};

/* A decimal id as the loader writes it: 1..2^32−1, no sign, no leading zero. */
static int plain_id(const char *s)
{
    if (s[0] < '1' || s[0] > '9' || strlen(s) > 10)
        return 0;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    return v <= UINT32_MAX;
}

static int is_integer_in(double x, double lo, double hi)
{
    return x == floor(x) && x >= lo && x <= hi;
}

static void check_dataset(const rec_dataset *ds)
{
    size_t n = rec_dataset_size(ds);
    FUZZ_CHECK(n > 0, "a successful load has rows");
    FUZZ_CHECK(rec_dataset_n_columns(ds) == 15, "%zu columns", rec_dataset_n_columns(ds));
    for (uint32_t c = 0; c < 15; c++) {
        FUZZ_CHECK(strcmp(rec_dataset_column_name(ds, c), NAMES[c]) == 0, "column %u name", c);
        FUZZ_CHECK(rec_dataset_column_type(ds, c) == TYPES[c], "column %u type", c);
    }
    for (size_t r = 0; r < n; r++) {
        FUZZ_CHECK(plain_id(rec_dataset_string(ds, 0, r)), "user_id '%s'",
                   rec_dataset_string(ds, 0, r));
        FUZZ_CHECK(plain_id(rec_dataset_string(ds, 1, r)), "movie_id '%s'",
                   rec_dataset_string(ds, 1, r));
        FUZZ_CHECK(is_integer_in(rec_dataset_number(ds, 2, r), 1, 5), "rating %g",
                   rec_dataset_number(ds, 2, r));
        FUZZ_CHECK(is_integer_in(rec_dataset_number(ds, 3, r), 0, 9007199254740992.0),
                   "timestamp %g", rec_dataset_number(ds, 3, r));
        double year = rec_dataset_number(ds, 7, r);
        FUZZ_CHECK(isnan(year) || is_integer_in(year, 1, 1e12), "year %g", year);
        FUZZ_CHECK(isnan(year) == (rec_dataset_string(ds, 6, r)[0] == '\0'),
                   "release_year NaN exactly when release_date is empty");
        double age = rec_dataset_number(ds, 8, r), bucket = rec_dataset_number(ds, 9, r);
        FUZZ_CHECK(is_integer_in(age, 0, 1000), "age %g", age);
        FUZZ_CHECK(bucket == 1 || bucket == 18 || bucket == 25 || bucket == 35 ||
                       bucket == 45 || bucket == 50 || bucket == 56,
                   "age bucket %g", bucket);
        FUZZ_CHECK(bucket <= age || bucket == 1, "bucket %g above age %g", bucket, age);
        FUZZ_CHECK(is_integer_in(rec_dataset_number(ds, 12, r), 0, 4294967295.0),
                   "occupation label %g", rec_dataset_number(ds, 12, r));
        for (uint32_t c = 0; c < 15; c++) {
            if (TYPES[c] != 0)
                continue;
            const char *s = rec_dataset_string(ds, c, r);
            FUZZ_CHECK(s != NULL && fuzz_is_utf8(s), "column %s row %zu not UTF-8", NAMES[c],
                       r);
        }
        const char *genres[64];
        size_t ng = 0;
        FUZZ_CHECK(rec_dataset_string_list(genres, 64, &ng, ds, 5, r) == REC_OK, "genres: %s",
                   rec_last_error());
        for (size_t g = 0; g < ng && g < 64; g++)
            FUZZ_CHECK(genres[g] && genres[g][0] && fuzz_is_utf8(genres[g]), "genre name");
    }
    for (uint32_t c = 0; c < 15; c++)
        if (TYPES[c] != 1)
            fuzz_check_unique(ds, c, 1);

    /* The split keeps every row once. */
    rec_dataset *a = NULL, *b = NULL;
    int rc = rec_dataset_shuffle_split(&a, &b, ds, n / 2, 7);
    FUZZ_CHECK(rc == REC_OK || rc == REC_ENOMEM, "split: %s", rec_last_error());
    if (rc == REC_OK)
        FUZZ_CHECK(rec_dataset_size(a) + rec_dataset_size(b) == n, "split sizes");
    rec_dataset_free(a);
    rec_dataset_free(b);
}

#if FUZZ_ML == FUZZ_ML_ALL
/* Write the five NUL-separated parts of the input. */
static void write_parts(const uint8_t *data, size_t size)
{
    static const char *const files[] = {"u.genre", "u.occupation", "u.user", "u.item",
                                        "u.data"};
    size_t start = 0;
    for (int k = 0; k < 5; k++) {
        size_t end = size;
        if (k < 4) {
            const uint8_t *z = start < size ? memchr(data + start, 0, size - start) : NULL;
            end = z ? (size_t)(z - data) : size;
        }
        fuzz_write(files[k], data + (start < size ? start : size),
                   end > start ? end - start : 0, NULL, 0);
        start = end < size ? end + 1 : size;
    }
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int written;
    if (!written && FUZZ_ML != FUZZ_ML_ALL) {
        for (size_t i = 0; i < ML_TINY_N_FILES; i++)
            fuzz_write(ML_TINY_FILES[i].name, ML_TINY_FILES[i].text,
                       strlen(ML_TINY_FILES[i].text), NULL, 0);
        written = 1;
    }
#if FUZZ_ML == FUZZ_ML_RATINGS
    fuzz_write("u.data", data, size, NULL, 0);
#elif FUZZ_ML == FUZZ_ML_ITEM
    fuzz_write("u.item", data, size, NULL, 0);
#elif FUZZ_ML == FUZZ_ML_USER
    fuzz_write("u.user", data, size, NULL, 0);
#else
    write_parts(data, size);
#endif
    rec_dataset *ds = (rec_dataset *)&ds; /* a failure must reset it to NULL */
    int rc = rec_dataset_load_movielens(&ds, fuzz_dir(), NULL);
    if (rc == REC_OK) {
        check_dataset(ds);
        rec_dataset_free(ds);
    } else {
        static const int allowed[] = {REC_EFORMAT, REC_EIO, REC_ENOMEM, 0};
        fuzz_check_failure(rc, ds, "rec_dataset_load_movielens", allowed);
    }
    return 0;
}
