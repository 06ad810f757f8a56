/* Suite "synth": rec_dataset_synthesize(), the MovieLens-shaped generator: sizes and columns,
 * the value ranges its header promises, reproducibility by seed, argument errors, and that
 * its ratings carry a signal a model can learn. */
#include "rec_check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const columns[] = {"user_id", "movie_id", "movie_title", "movie_genres",
                                      "timestamp", "user_rating"};
static const int types[] = {REC_COLUMN_STRING, REC_COLUMN_STRING, REC_COLUMN_STRING,
                            REC_COLUMN_STRING_LIST, REC_COLUMN_NUMBER, REC_COLUMN_NUMBER};
static const char *const genres[] = {
    "Drama", "Comedy", "Action", "Thriller", "Romance", "Adventure", "Children's", "Crime",
    "Sci-Fi", "Horror", "War", "Mystery", "Musical", "Documentary", "Animation", "Western",
    "Film-Noir", "Fantasy"};

static rec_dataset *make(size_t n, uint32_t users, uint32_t movies, uint64_t seed)
{
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(rec_dataset_synthesize(&ds, n, users, movies, seed));
    ck_assert_ptr_nonnull(ds);
    return ds;
}

static uint32_t col(const rec_dataset *ds, const char *name)
{
    uint32_t c;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, name));
    return c;
}

/* "17" → 17; 0 for anything that is not a plain positive decimal. */
static unsigned long id_of(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    return (*s && *end == '\0' && *s != '0') ? v : 0;
}

/* ---- shape ----------------------------------------------------------------------------------- */

START_TEST(test_synth_sizes_and_columns)
{
    rec_dataset *ds = make(5000, 100, 200, 1);
    ck_assert_uint_eq(rec_dataset_size(ds), 5000);
    ck_assert_uint_eq(rec_dataset_n_columns(ds), 6);
    for (uint32_t c = 0; c < 6; c++) {
        ck_assert_str_eq(rec_dataset_column_name(ds, c), columns[c]);
        ck_assert_int_eq(rec_dataset_column_type(ds, c), types[c]);
    }
    /* ids are "1".."n", and never more distinct ones than asked for */
    uint32_t cu = col(ds, "user_id"), cm = col(ds, "movie_id");
    for (size_t r = 0; r < 5000; r++) {
        unsigned long u = id_of(rec_dataset_string(ds, cu, r));
        unsigned long m = id_of(rec_dataset_string(ds, cm, r));
        ck_assert(u >= 1 && u <= 100);
        ck_assert(m >= 1 && m <= 200);
    }
    size_t nu, nm, nt;
    ck_assert_rec_ok(rec_dataset_unique_strings(NULL, 0, &nu, ds, cu));
    ck_assert_rec_ok(rec_dataset_unique_strings(NULL, 0, &nm, ds, cm));
    ck_assert_rec_ok(rec_dataset_unique_strings(NULL, 0, &nt, ds, col(ds, "movie_title")));
    ck_assert_uint_le(nu, 100);
    ck_assert_uint_le(nm, 200);
    /* 5000 ratings over 100 users: all but the least active appear */
    ck_assert_uint_ge(nu, 90);
    /* one title per movie and one movie per title */
    ck_assert_uint_eq(nt, nm);
    rec_dataset_free(ds);
}
END_TEST

/* Rows of one movie share its title and genres; distinct movies have distinct titles. */
START_TEST(test_synth_movies_are_consistent)
{
    rec_dataset *ds = make(3000, 50, 60, 2);
    uint32_t cm = col(ds, "movie_id"), ct = col(ds, "movie_title"), cg = col(ds, "movie_genres");
    const char *title[61] = {0};
    size_t n_genres[61] = {0};
    const char *first_genre[61] = {0};
    for (size_t r = 0; r < 3000; r++) {
        unsigned long m = id_of(rec_dataset_string(ds, cm, r));
        const char *t = rec_dataset_string(ds, ct, r);
        const char *g[8];
        size_t k;
        ck_assert_rec_ok(rec_dataset_string_list(g, 8, &k, ds, cg, r));
        if (!title[m]) {
            title[m] = t;
            n_genres[m] = k;
            first_genre[m] = g[0];
            continue;
        }
        ck_assert_str_eq(t, title[m]);
        ck_assert_uint_eq(k, n_genres[m]);
        ck_assert_str_eq(g[0], first_genre[m]);
    }
    for (int a = 1; a <= 60; a++)
        for (int b = a + 1; b <= 60; b++)
            if (title[a] && title[b])
                ck_assert_str_ne(title[a], title[b]);
    /* titles look like "Word Word (1994)": a capital first, a year in parentheses last */
    for (int m = 1; m <= 60; m++) {
        if (!title[m])
            continue;
        size_t len = strlen(title[m]);
        ck_assert(title[m][0] >= 'A' && title[m][0] <= 'Z');
        ck_assert_uint_ge(len, 8);
        ck_assert(title[m][len - 1] == ')' && title[m][len - 6] == '(' &&
                  title[m][len - 7] == ' ');
        int year = atoi(title[m] + len - 5);
        ck_assert(year >= 1902 && year <= 2019);
    }
    rec_dataset_free(ds);
}
END_TEST

/* ---- values ---------------------------------------------------------------------------------- */

START_TEST(test_synth_value_ranges)
{
    rec_dataset *ds = make(20000, 300, 500, 3);
    uint32_t cr = col(ds, "user_rating"), cs = col(ds, "timestamp"), cg = col(ds, "movie_genres");
    size_t count[6] = {0};
    double sum = 0, sum2 = 0;
    for (size_t r = 0; r < 20000; r++) {
        double y = rec_dataset_number(ds, cr, r);
        ck_assert(y == floor(y) && y >= 1 && y <= 5); /* integers 1..5 */
        count[(int)y]++;
        sum += y;
        sum2 += y * y;
        double t = rec_dataset_number(ds, cs, r);
        ck_assert(t == floor(t) && t >= 789652009.0 && t <= 1574327703.0);
        const char *g[8];
        size_t k;
        ck_assert_rec_ok(rec_dataset_string_list(g, 8, &k, ds, cg, r));
        ck_assert(k >= 1 && k <= 3);
        for (size_t i = 0; i < k; i++) {
            int known = 0;
            for (int j = 0; j < 18; j++)
                known |= !strcmp(g[i], genres[j]);
            ck_assert_msg(known, "unknown genre %s", g[i]);
            for (size_t i2 = 0; i2 < i; i2++)
                ck_assert_str_ne(g[i], g[i2]);
        }
    }
    /* every rating value occurs, and the spread is MovieLens-like (mean 3.5, sd 1.1) */
    for (int v = 1; v <= 5; v++)
        ck_assert_uint_gt(count[v], 200);
    double mean = sum / 20000, sd = sqrt(sum2 / 20000 - mean * mean);
    ck_assert_msg(mean > 3.2 && mean < 3.8, "mean rating %.3f", mean);
    ck_assert_msg(sd > 0.9 && sd < 1.3, "rating sd %.3f", sd);
    rec_dataset_free(ds);
}
END_TEST

/* The most rated movie gets about n_users / 2 ratings, far above the average movie. */
START_TEST(test_synth_popularity_is_skewed)
{
    enum { N = 50000, USERS = 1000, MOVIES = 2000 };
    rec_dataset *ds = make(N, USERS, MOVIES, 4);
    uint32_t cm = col(ds, "movie_id");
    size_t *count = calloc(MOVIES + 1, sizeof *count), top = 0;
    for (size_t r = 0; r < N; r++)
        count[id_of(rec_dataset_string(ds, cm, r))]++;
    for (int m = 1; m <= MOVIES; m++)
        top = count[m] > top ? count[m] : top;
    /* expected 500 (n_users / 2); sampling noise is about √500 ≈ 22 */
    ck_assert_msg(top > 400 && top < 600, "top movie has %zu ratings", top);
    ck_assert_uint_gt(top, 10 * (N / MOVIES)); /* the average movie has 25 */
    free(count);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_synth_reproducible_by_seed)
{
    rec_dataset *a = make(4000, 80, 90, 77), *b = make(4000, 80, 90, 77);
    rec_dataset *c = make(4000, 80, 90, 78);
    int differ = 0;
    for (size_t r = 0; r < 4000; r++) {
        for (uint32_t k = 0; k < 6; k++) {
            if (types[k] == REC_COLUMN_STRING) {
                ck_assert_str_eq(rec_dataset_string(a, k, r), rec_dataset_string(b, k, r));
                differ |= strcmp(rec_dataset_string(a, k, r), rec_dataset_string(c, k, r)) != 0;
            } else if (types[k] == REC_COLUMN_NUMBER) {
                ck_assert(rec_dataset_number(a, k, r) == rec_dataset_number(b, k, r));
                differ |= rec_dataset_number(a, k, r) != rec_dataset_number(c, k, r);
            } else {
                const char *ga[4], *gb[4];
                size_t ka, kb;
                ck_assert_rec_ok(rec_dataset_string_list(ga, 4, &ka, a, k, r));
                ck_assert_rec_ok(rec_dataset_string_list(gb, 4, &kb, b, k, r));
                ck_assert_uint_eq(ka, kb);
                for (size_t i = 0; i < ka; i++)
                    ck_assert_str_eq(ga[i], gb[i]);
            }
        }
    }
    ck_assert_msg(differ, "seeds 77 and 78 gave the same data");
    rec_dataset_free(a);
    rec_dataset_free(b);
    rec_dataset_free(c);
}
END_TEST

/* The smallest world: one user, one movie, one rating. */
START_TEST(test_synth_smallest)
{
    rec_dataset *ds = make(1, 1, 1, 0);
    ck_assert_uint_eq(rec_dataset_size(ds), 1);
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "user_id"), 0), "1");
    ck_assert_str_eq(rec_dataset_string(ds, col(ds, "movie_id"), 0), "1");
    double y = rec_dataset_number(ds, col(ds, "user_rating"), 0);
    ck_assert(y >= 1 && y <= 5);
    rec_dataset_free(ds);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */

START_TEST(test_synth_errors)
{
    rec_dataset *ds = (rec_dataset *)1;
    ck_assert_rec_fails(rec_dataset_synthesize(NULL, 10, 2, 2, 1), REC_EINVAL,
                        "rec_dataset_synthesize: out is NULL");
    ck_assert_rec_fails(rec_dataset_synthesize(&ds, 0, 2, 2, 1), REC_EINVAL,
                        "n_ratings = 0 is outside 1..2^32-1");
    ck_assert_ptr_null(ds);
    ds = (rec_dataset *)1;
    ck_assert_rec_fails(rec_dataset_synthesize(&ds, (size_t)1 << 32, 2, 2, 1), REC_EINVAL,
                        "n_ratings = 4294967296");
    ck_assert_ptr_null(ds);
    ck_assert_rec_fails(rec_dataset_synthesize(&ds, 10, 0, 2, 1), REC_EINVAL,
                        "n_users = 0 is outside 1..2^24");
    ck_assert_rec_fails(rec_dataset_synthesize(&ds, 10, (1u << 24) + 1, 2, 1), REC_EINVAL,
                        "n_users = 16777217");
    ck_assert_rec_fails(rec_dataset_synthesize(&ds, 10, 2, 0, 1), REC_EINVAL,
                        "n_movies = 0 is outside 1..2^24");
    ck_assert_rec_fails(rec_dataset_synthesize(&ds, 10, 2, (1u << 24) + 1, 1), REC_EINVAL,
                        "n_movies = 16777217");
    ck_assert_ptr_null(ds);
}
END_TEST

/* ---- use ------------------------------------------------------------------------------------- */

/* The tutorial's enriched model reads the generated columns and learns the hidden low-rank
 * signal: its test RMSE ends below the spread of the ratings. */
START_TEST(test_synth_model_learns)
{
    rec_dataset *all = make(20000, 300, 400, 5), *train, *test;
    ck_assert_rec_ok(rec_dataset_shuffle_split(&train, &test, all, 16000, 5));
    rec_model *m;
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 42));
    ck_assert_rec_ok(rec_model_build(m, all));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_fit(m, opt, train, NULL, 5, 512, 4096, NULL, NULL));
    double rmse, s = 0, s2 = 0;
    ck_assert_rec_ok(rec_model_evaluate(m, test, 4096, &rmse, NULL));
    uint32_t c = col(test, "user_rating");
    size_t n = rec_dataset_size(test);
    for (size_t r = 0; r < n; r++) {
        double y = rec_dataset_number(test, c, r);
        s += y;
        s2 += y * y;
    }
    double sd = sqrt(s2 / n - (s / n) * (s / n));
    ck_assert_msg(rmse < 0.95 * sd, "RMSE %.4f vs rating spread %.4f", rmse, sd);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(train);
    rec_dataset_free(test);
    rec_dataset_free(all);
}
END_TEST

static Suite *synth_suite(void)
{
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("shape");
    tcase_add_test(tc, test_synth_sizes_and_columns);
    tcase_add_test(tc, test_synth_movies_are_consistent);
    tcase_add_test(tc, test_synth_smallest);
    suite_add_tcase(s, tc);
    tc = tcase_create("values");
    tcase_add_test(tc, test_synth_value_ranges);
    tcase_add_test(tc, test_synth_popularity_is_skewed);
    tcase_add_test(tc, test_synth_reproducible_by_seed);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_synth_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("use");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_synth_model_learns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(synth_suite());
}
