/* Suite "features": prepared features (rec/features.h). Gradients from prepared rows are the
 * bits rec_model_compute_gradients() gives on the dataset (batches with repeats, of sizes
 * below and above the layer-0 grouping threshold, one and two threads; ENRICHED, an FM with a
 * TEXT feature, an MLP with a CATEGORICAL_LIST feature); training steps both ways give
 * identical weights; every failure path (code and message). */
#include "model_fixtures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------------- */

/* An MLP over user_id and the multi-valued movie_genres (bags per example). */
static rec_model *genres_mlp(const rec_dataset *ds, uint64_t seed)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 8));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_genres",
                                           REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 8));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 8));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
    ck_assert_rec_ok(rec_model_add_layer(m, 16, REC_ACTIVATION_RELU));
    ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    ck_assert_rec_ok(rec_model_build(m, ds));
    return m;
}

typedef rec_model *(*make_fn)(const rec_dataset *ds, uint64_t seed);

static rec_model *make_enriched(const rec_dataset *ds, uint64_t seed)
{
    return fx_enriched(ds, seed);
}

static rec_model *make_fm_text(const rec_dataset *ds, uint64_t seed)
{
    return fx_factorized(ds, REC_INTERACTION_FM, REC_FEATURE_TEXT, 8, seed);
}

/* n rows of 0..n_rows−1 drawn with repeats (a fixed LCG: the test's own sequence). */
static uint32_t *draw_rows(size_t n, size_t n_rows, uint64_t *state)
{
    uint32_t *r = malloc(n * sizeof *r);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; i < n; i++) {
        *state = *state * 6364136223846793005u + 1442695040888963407u;
        r[i] = (uint32_t)((*state >> 33) % n_rows);
    }
    return r;
}

/* Two identical models: gradients of the same batches from ds and from prepared features are
 * the same bits, loss included (without train they accumulate over the batches); with train,
 * each batch is applied (Adagrad) and the weights stay the same bits too. */
static void check_same(make_fn make, uint32_t threads, int train, size_t n_rows)
{
    rec_dataset *all = fx_synth(3000, 60, 400, 7), *ds = all;
    if (n_rows < 3000) {
        /* a subset keeps its parent's dictionaries: fewer rows than distinct titles */
        uint32_t *keep = fx_shuffled(3000, 3);
        ck_assert_rec_ok(rec_dataset_subset(&ds, all, keep, n_rows));
        free(keep);
    }
    rec_model *a = make(all, 5), *b = make(all, 5);
    ck_assert_rec_ok(rec_model_set_threads(a, threads));
    ck_assert_rec_ok(rec_model_set_threads(b, threads));
    rec_optimizer *oa, *ob;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&oa, 0.1f));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&ob, 0.1f));
    rec_features *f;
    ck_assert_rec_ok(rec_features_create(&f, b, ds));
    ck_assert_uint_eq(rec_features_size(f), n_rows);
    static const size_t sizes[] = {1, 7, 200, 512, 1024};
    uint64_t state = 11;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        uint32_t *rows = draw_rows(sizes[s], n_rows, &state);
        double la = NAN, lb = NAN;
        ck_assert_rec_ok(rec_model_compute_gradients(a, ds, rows, sizes[s], &la));
        ck_assert_rec_ok(rec_model_compute_gradients_features(b, f, rows, sizes[s], &lb));
        ck_assert_msg(memcmp(&la, &lb, sizeof la) == 0, "batch %zu: loss %.17g vs %.17g",
                      sizes[s], la, lb);
        size_t na, nb;
        float *ga = fx_params(a, 1, &na), *gb = fx_params(b, 1, &nb);
        ck_assert_uint_eq(na, nb);
        ck_assert_msg(memcmp(ga, gb, na * sizeof *ga) == 0,
                      "batch %zu: gradients differ by up to %g", sizes[s],
                      fx_max_abs_diff(ga, gb, na));
        free(ga);
        free(gb);
        if (train) {
            ck_assert_rec_ok(rec_model_apply_gradients(a, oa));
            ck_assert_rec_ok(rec_model_apply_gradients(b, ob));
            float *wa = fx_weights_of(a, &na), *wb = fx_weights_of(b, &nb);
            ck_assert_msg(memcmp(wa, wb, na * sizeof *wa) == 0,
                          "step %zu: weights differ by up to %g", s,
                          fx_max_abs_diff(wa, wb, na));
            free(wa);
            free(wb);
        }
        free(rows);
    }
    rec_features_free(f);
    rec_optimizer_free(oa);
    rec_optimizer_free(ob);
    rec_model_free(a);
    rec_model_free(b);
    if (ds != all)
        rec_dataset_free(ds);
    rec_dataset_free(all);
}

/* ---- same bits ------------------------------------------------------------------------------- */

START_TEST(test_features_gradients_enriched)
{
    check_same(make_enriched, 1, 0, 3000);
}
END_TEST

START_TEST(test_features_gradients_enriched_threads)
{
    check_same(make_enriched, 2, 0, 3000);
}
END_TEST

START_TEST(test_features_gradients_fm_text)
{
    check_same(make_fm_text, 1, 0, 3000);
}
END_TEST

START_TEST(test_features_gradients_genres_mlp)
{
    check_same(genres_mlp, 2, 0, 3000);
}
END_TEST

START_TEST(test_features_training_enriched)
{
    check_same(make_enriched, 1, 1, 3000);
}
END_TEST

START_TEST(test_features_training_enriched_threads)
{
    check_same(make_enriched, 2, 1, 3000);
}
END_TEST

START_TEST(test_features_training_fm_text)
{
    check_same(make_fm_text, 2, 1, 3000);
}
END_TEST

START_TEST(test_features_gradients_few_rows)
{
    check_same(make_enriched, 1, 0, 150);
    check_same(genres_mlp, 1, 1, 150);
}
END_TEST

START_TEST(test_features_dataset_not_retained)
{
    rec_dataset *ds = fx_synth(500, 20, 30, 3);
    rec_model *a = fx_enriched(ds, 9), *b = fx_enriched(ds, 9);
    rec_features *f;
    ck_assert_rec_ok(rec_features_create(&f, b, ds));
    uint32_t rows[5] = {4, 499, 0, 4, 250};
    double la, lb;
    ck_assert_rec_ok(rec_model_compute_gradients(a, ds, rows, 5, &la));
    rec_dataset_free(ds);
    ck_assert_rec_ok(rec_model_compute_gradients_features(b, f, rows, 5, &lb));
    ck_assert(memcmp(&la, &lb, sizeof la) == 0);
    rec_features_free(f);
    rec_features_free(NULL);
    ck_assert_uint_eq(rec_features_size(NULL), 0);
    rec_model_free(a);
    rec_model_free(b);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */

START_TEST(test_features_errors_create)
{
    rec_dataset *ds = fx_synth(300, 10, 20, 2);
    rec_model *m = fx_enriched(ds, 4), *unbuilt;
    rec_features *f = (rec_features *)&f;
    ck_assert_rec_fails(rec_features_create(NULL, m, ds), REC_EINVAL,
                        "rec_features_create: out, model and ds must be non-NULL");
    ck_assert_rec_fails(rec_features_create(&f, NULL, ds), REC_EINVAL,
                        "rec_features_create: out, model and ds must be non-NULL");
    ck_assert_ptr_null(f);
    ck_assert_rec_fails(rec_features_create(&f, m, NULL), REC_EINVAL,
                        "rec_features_create: out, model and ds must be non-NULL");
    ck_assert_rec_ok(rec_model_create_preset(&unbuilt, REC_PRESET_DOT, 1));
    ck_assert_rec_fails(rec_features_create(&f, unbuilt, ds), REC_ESTATE,
                        "rec_features_create: the model is not built; call rec_model_build() "
                        "first");
    ck_assert_ptr_null(f);

    /* a feature column missing, or of the wrong type */
    static const char *const users[2] = {"1", "2"};
    static const double ts[2] = {1.0, 2.0};
    rec_dataset *part;
    ck_assert_rec_ok(rec_dataset_create(&part, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(part, "user_id", users, 2));
    ck_assert_rec_fails(rec_features_create(&f, m, part), REC_ENOTFOUND,
                        "rec_features_create: the dataset has no column 'timestamp'");
    ck_assert_ptr_null(f);
    rec_dataset_free(part);
    ck_assert_rec_ok(rec_dataset_create(&part, 2));
    ck_assert_rec_ok(rec_dataset_add_numbers(part, "user_id", ts, 2));
    ck_assert_rec_fails(rec_features_create(&f, m, part), REC_EINVAL,
                        "rec_features_create: column 'user_id' is a number column, expected "
                        "string");
    rec_dataset_free(part);

    /* the label column present but not numbers */
    rec_model *dot;
    ck_assert_rec_ok(rec_model_create_preset(&dot, REC_PRESET_DOT, 1));
    ck_assert_rec_ok(rec_model_build(dot, ds));
    ck_assert_rec_ok(rec_dataset_create(&part, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(part, "user_id", users, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(part, "movie_title", users, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(part, "user_rating", users, 2));
    ck_assert_rec_fails(rec_features_create(&f, dot, part), REC_EINVAL,
                        "rec_features_create: label column 'user_rating' is not a number column");
    ck_assert_ptr_null(f);
    rec_dataset_free(part);
    rec_model_free(dot);
    rec_model_free(unbuilt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_features_errors_gradients)
{
    rec_dataset *ds = fx_synth(300, 10, 20, 2);
    rec_model *m = fx_enriched(ds, 4), *other = fx_enriched(ds, 4), *unbuilt;
    rec_features *f;
    ck_assert_rec_ok(rec_features_create(&f, m, ds));
    uint32_t rows[3] = {0, 299, 1};
    static const char fn[] = "rec_model_compute_gradients_features";
    char want[160];

    ck_assert_rec_fails(rec_model_compute_gradients_features(NULL, f, rows, 3, NULL),
                        REC_EINVAL, "rec_model_compute_gradients_features: model is NULL");
    ck_assert_rec_ok(rec_model_create_preset(&unbuilt, REC_PRESET_ENRICHED, 4));
    ck_assert_rec_fails(rec_model_compute_gradients_features(unbuilt, f, rows, 3, NULL),
                        REC_ESTATE, "rec_model_compute_gradients_features: the model is not "
                                    "built; call rec_model_build() first");
    snprintf(want, sizeof want, "%s: features and rows must be non-NULL and n > 0", fn);
    ck_assert_rec_fails(rec_model_compute_gradients_features(m, NULL, rows, 3, NULL),
                        REC_EINVAL, want);
    ck_assert_rec_fails(rec_model_compute_gradients_features(m, f, NULL, 3, NULL),
                        REC_EINVAL, want);
    ck_assert_rec_fails(rec_model_compute_gradients_features(m, f, rows, 0, NULL),
                        REC_EINVAL, want);
    /* the same description and weights, but another model */
    ck_assert_rec_fails(rec_model_compute_gradients_features(other, f, rows, 3, NULL),
                        REC_EINVAL, "rec_model_compute_gradients_features: the features were "
                                    "prepared for another model");
    /* a row out of range, named by its index in rows */
    uint32_t bad[3] = {0, 1, 300};
    ck_assert_rec_fails(rec_model_compute_gradients_features(m, f, bad, 3, NULL), REC_EINVAL,
                        "rec_model_compute_gradients_features: rows[2] = 300 is beyond the "
                        "features' 300 rows");
    /* nothing was accumulated by the failed calls */
    ck_assert_uint_eq(rec_embedding_grad_row_count(rec_model_feature_embedding(m, 0)), 0);
    rec_features_free(f);

    /* no label column */
    static const char *const users[2] = {"1", "2"};
    static const double y[2] = {4.0, NAN};
    rec_model *dot;
    rec_dataset *part;
    ck_assert_rec_ok(rec_model_create_preset(&dot, REC_PRESET_DOT, 1));
    ck_assert_rec_ok(rec_model_build(dot, ds));
    ck_assert_rec_ok(rec_dataset_create(&part, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(part, "user_id", users, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(part, "movie_title", users, 2));
    ck_assert_rec_ok(rec_features_create(&f, dot, part));
    ck_assert_rec_fails(rec_model_compute_gradients_features(dot, f, rows, 1, NULL), REC_EINVAL,
                        "rec_model_compute_gradients_features: the features have no labels "
                        "(the dataset had no label column 'user_rating')");
    rec_features_free(f);

    /* a label that is not finite fails only the batches that use it, as with the dataset */
    ck_assert_rec_ok(rec_dataset_add_numbers(part, "user_rating", y, 2));
    ck_assert_rec_ok(rec_features_create(&f, dot, part));
    uint32_t ok[1] = {0}, nan_row[2] = {0, 1};
    ck_assert_rec_ok(rec_model_compute_gradients_features(dot, f, ok, 1, NULL));
    ck_assert_rec_fails(rec_model_compute_gradients(dot, part, nan_row, 2, NULL), REC_ENUMERIC,
                        "label 'user_rating' is missing or not finite at row 1");
    ck_assert_rec_fails(rec_model_compute_gradients_features(dot, f, nan_row, 2, NULL),
                        REC_ENUMERIC, "rec_model_compute_gradients_features: label "
                                      "'user_rating' is missing or not finite at row 1");
    rec_features_free(f);
    rec_dataset_free(part);
    rec_model_free(dot);
    rec_model_free(unbuilt);
    rec_model_free(other);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

static Suite *features_suite(void)
{
    Suite *s = suite_create("features");
    TCase *tc = tcase_create("same_bits");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_features_gradients_enriched);
    tcase_add_test(tc, test_features_gradients_enriched_threads);
    tcase_add_test(tc, test_features_gradients_fm_text);
    tcase_add_test(tc, test_features_gradients_genres_mlp);
    tcase_add_test(tc, test_features_training_enriched);
    tcase_add_test(tc, test_features_training_enriched_threads);
    tcase_add_test(tc, test_features_training_fm_text);
    tcase_add_test(tc, test_features_gradients_few_rows);
    tcase_add_test(tc, test_features_dataset_not_retained);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_features_errors_create);
    tcase_add_test(tc, test_features_errors_gradients);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(features_suite());
}
