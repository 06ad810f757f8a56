/* Suite "model": describing, building, training, evaluating, predicting and describing ranking
 * models through the public API. */
#define _GNU_SOURCE /* dlvsym */
#include "rec_check.h"
#include "model_fixtures.h"
#include "synth.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A dataset with exactly 943 users and 1664 titles, like ML-100K's (one row per title), its
 * columns named user, item, time and label; the title is also in column text when that is not
 * NULL. */
static rec_dataset *ml_shaped_named(const char *user, const char *item, const char *time,
                                    const char *label, const char *text)
{
    enum { N = 1664 };
    static char ubuf[N][8], tbuf[N][24];
    const char *u[N], *t[N];
    double ts[N], y[N];
    for (int r = 0; r < N; r++) {
        snprintf(ubuf[r], sizeof ubuf[r], "%d", 1 + r % 943);
        snprintf(tbuf[r], sizeof tbuf[r], "Movie %d (1990)", r);
        u[r] = ubuf[r];
        t[r] = tbuf[r];
        ts[r] = 874724710.0 + 11000.0 * r;
        y[r] = 1 + r % 5;
    }
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, N));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, user, u, N));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, item, t, N));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, time, ts, N));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, label, y, N));
    if (text)
        ck_assert_rec_ok(rec_dataset_add_strings(ds, text, t, N));
    return ds;
}

/* The same with the MovieLens loader's names. */
static rec_dataset *ml_shaped(void)
{
    return ml_shaped_named("user_id", "movie_title", "timestamp", "user_rating", NULL);
}

/* ---- lifecycle and description --------------------------------------------------------- */

START_TEST(test_model_free_null)
{
    rec_model_free(NULL);
}
END_TEST

START_TEST(test_model_create_errors)
{
    rec_model *m = (rec_model *)1;
    ck_assert_rec_fails(rec_model_create(NULL, 1), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_model_create_preset(&m, (rec_preset)7, 1), REC_EINVAL,
                        "unknown preset 7");
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(test_model_add_feature_errors)
{
    rec_model *m;
    uint32_t id = 99;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_fails(rec_model_add_feature(&id, m, NULL, REC_FEATURE_CATEGORICAL,
                                              REC_SIDE_USER, 8), REC_EINVAL, "column");
    ck_assert_rec_fails(rec_model_add_feature(&id, m, "user_id", REC_FEATURE_CATEGORICAL,
                                              REC_SIDE_USER, 0), REC_EINVAL, "dim 0");
    ck_assert_rec_fails(rec_model_add_feature(&id, m, "timestamp", REC_FEATURE_NUMERIC,
                                              REC_SIDE_USER, 2), REC_EINVAL, "dim 1");
    ck_assert_rec_fails(rec_model_add_feature(&id, m, "x", (rec_feature_kind)9, REC_SIDE_USER,
                                              4), REC_EINVAL, "kind 9");
    ck_assert_rec_fails(rec_model_add_feature(&id, m, "x", REC_FEATURE_CATEGORICAL,
                                              (rec_side)5, 4), REC_EINVAL, "side 5");
    ck_assert_uint_eq(id, 99);
    ck_assert_uint_eq(rec_model_n_features(m), 0);
    ck_assert_rec_ok(rec_model_add_feature(&id, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 8));
    ck_assert_uint_eq(id, 0);
    ck_assert_rec_fails(rec_model_feature_set_max_tokens(m, 0, 100), REC_EINVAL, "not TEXT");
    ck_assert_rec_fails(rec_model_feature_set_bucket_count(m, 3, 10), REC_EINVAL,
                        "feature 3 does not exist");
    ck_assert_rec_fails(rec_model_add_layer(m, 0, REC_ACTIVATION_RELU), REC_EINVAL, "units 0");
    ck_assert_rec_fails(rec_model_add_layer(m, 4, (rec_activation)17), REC_EINVAL,
                        "activation 17");
    ck_assert_rec_fails(rec_model_set_interaction(m, (rec_interaction)4), REC_EINVAL,
                        "interaction 4");
    ck_assert_rec_fails(rec_model_set_label(m, ""), REC_EINVAL, "column");
    rec_model_free(m);
}
END_TEST

START_TEST(test_model_feature_setters)
{
    rec_model *m;
    uint32_t b, t;
    const double bad[] = {1.0, 0.5}, nan_b[] = {0.0, NAN};
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(&b, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(&t, m, "movie_title", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_fails(rec_model_feature_set_boundaries(m, b, bad, 2), REC_EINVAL,
                        "boundaries[1] < boundaries[0]");
    ck_assert_rec_fails(rec_model_feature_set_boundaries(m, b, nan_b, 2), REC_EINVAL,
                        "boundaries[1] is not finite");
    ck_assert_rec_fails(rec_model_feature_set_bucket_count(m, b, 0), REC_EINVAL, "n_boundaries");
    ck_assert_rec_fails(rec_model_feature_set_max_tokens(m, t, 1), REC_EINVAL, "max_tokens 1");
    ck_assert_rec_ok(rec_model_feature_set_bucket_count(m, b, 9));
    ck_assert_rec_ok(rec_model_feature_set_max_tokens(m, t, 50));

    rec_dataset *ds = fx_synth(200, 10, 20, 3);
    ck_assert_rec_ok(rec_model_build(m, ds));
    /* 9 boundaries → 10 buckets; max_tokens 50 → 50 rows (Keras's Embedding(max_tokens)) */
    ck_assert_uint_eq(rec_embedding_rows(rec_model_feature_embedding(m, b)), 10);
    ck_assert_uint_eq(rec_embedding_rows(rec_model_feature_embedding(m, t)), 50);
    ck_assert_uint_eq(rec_model_n_params(m), 10 * 4 + 50 * 4);
    ck_assert_rec_fails(rec_model_feature_set_bucket_count(m, b, 3), REC_ESTATE, "already built");
    ck_assert_rec_fails(rec_model_add_layer(m, 3, REC_ACTIVATION_RELU), REC_ESTATE,
                        "already built");
    ck_assert_rec_fails(rec_model_build(m, ds), REC_ESTATE, "already built");
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_model_explicit_boundaries)
{
    rec_model *m;
    uint32_t b;
    const double bounds[] = {874724710.0, 880000000.0, 885000000.0};
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(&b, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_feature_set_boundaries(m, b, bounds, 3));
    rec_dataset *ds = fx_synth(50, 5, 5, 3);
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_uint_eq(rec_embedding_rows(rec_model_feature_embedding(m, b)), 4);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- build errors ----------------------------------------------------------------------- */

START_TEST(test_model_build_errors)
{
    rec_dataset *ds = fx_synth(100, 10, 20, 3);
    rec_model *m;

    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL, "item-side");
    ck_assert_rec_fails(rec_model_build(m, NULL), REC_EINVAL, "NULL");
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "no_such_column", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_ENOTFOUND, "'no_such_column'");
    ck_assert(!rec_model_is_built(m));
    rec_model_free(m);

    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL, "'timestamp' is a number column");
    rec_model_free(m);

    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 5));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL, "equal width (user 4, item 5)");
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL, "1 unit");
    ck_assert_rec_ok(rec_model_add_layer(m, 3, REC_ACTIVATION_RELU));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL, "1 unit");
    ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert(rec_model_is_built(m));
    /* (4 + 5) → 3 → 1 over ≤ 10 users and ≤ 20 titles, each table with its OOV row */
    ck_assert_uint_eq(rec_model_n_layers(m), 2);
    ck_assert_uint_eq(rec_dense_n_in(rec_model_layer(m, 0)), 9);
    ck_assert_ptr_null(rec_model_layer(m, 2));
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_model_unbuilt_calls_fail)
{
    rec_model *m;
    rec_optimizer *opt;
    rec_dataset *ds = fx_synth(20, 5, 5, 3);
    double loss;
    float p[20];
    uint32_t rows[2] = {0, 1};
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 1));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_fails(rec_model_train_epoch(m, opt, ds, 4, &loss, NULL), REC_ESTATE,
                        "not built");
    ck_assert_rec_fails(rec_model_compute_gradients(m, ds, rows, 2, &loss), REC_ESTATE,
                        "not built");
    ck_assert_rec_fails(rec_model_predict(m, ds, p, 20), REC_ESTATE, "not built");
    ck_assert_rec_fails(rec_model_evaluate(m, ds, 8, &loss, NULL), REC_ESTATE, "not built");
    ck_assert_rec_fails(rec_model_summary(NULL, 0, NULL, m), REC_ESTATE, "not built");
    ck_assert_uint_eq(rec_model_n_params(m), 0);
    ck_assert_ptr_null(rec_model_feature_embedding(m, 0));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- parameter counts and summaries (against what Keras reports) ---------------------- */

START_TEST(test_model_param_counts_match_keras)
{
    rec_dataset *ds = ml_shaped();
    rec_model *m;
    /* dot: 944·32 + 1665·32 */
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 1));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_uint_eq(rec_model_n_params(m), 944 * 32 + 1665 * 32);
    rec_model_free(m);
    /* one_layer: 944·32 + 1665·32 + 64·64+64 + 64+1 */
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ONE_LAYER, 1));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_uint_eq(rec_model_n_params(m), 944 * 32 + 1665 * 32 + 64 * 64 + 64 + 64 + 1);
    rec_model_free(m);
    /* enriched: user 944·32 + timestamp buckets 1001·32 + title 1665·32 + title text
     * 10000·32 (Embedding(max_tokens)) + Dense 129·64+64 + Dense 64+1 = 443,905 trainable;
     * Keras adds Normalization's mean, variance and count: 443,908 in all. */
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 1));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_uint_eq(rec_model_n_params(m),
                      944 * 32 + 1001 * 32 + 1665 * 32 + 10000 * 32 + 129 * 64 + 64 + 64 + 1);
    ck_assert_uint_eq(rec_model_n_params(m), 443905);
    char buf[8192];
    size_t len;
    ck_assert_rec_ok(rec_model_summary(buf, sizeof buf, &len, m));
    ck_assert_uint_eq(len, strlen(buf));
    ck_assert_ptr_nonnull(strstr(buf, "Model: \"enriched\""));
    ck_assert_ptr_nonnull(strstr(buf, "Total params: 443,908"));
    ck_assert_ptr_nonnull(strstr(buf, "Trainable params: 443,905"));
    ck_assert_ptr_nonnull(strstr(buf, "Non-trainable params: 3"));
    ck_assert_ptr_nonnull(strstr(buf, "(None, 129)"));
    ck_assert_ptr_nonnull(strstr(buf, "320000"));
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_model_summary_truncates_like_snprintf)
{
    rec_dataset *ds = fx_synth(30, 5, 5, 3);
    rec_model *m;
    char full[4096], small[16];
    size_t len_full, len_small;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ONE_LAYER, 1));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_summary(full, sizeof full, &len_full, m));
    ck_assert_rec_ok(rec_model_summary(small, sizeof small, &len_small, m));
    ck_assert_uint_eq(len_small, len_full);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_int_eq(strncmp(small, full, sizeof small - 1), 0);
    ck_assert_rec_ok(rec_model_summary(NULL, 0, &len_small, m));
    ck_assert_uint_eq(len_small, len_full);
    ck_assert_rec_fails(rec_model_summary(NULL, 5, NULL, m), REC_EINVAL, "out is NULL");
    ck_assert_rec_ok(rec_model_graphviz(full, sizeof full, &len_full, m));
    ck_assert_int_eq(strncmp(full, "digraph \"one_layer\" {", 21), 0);
    ck_assert_ptr_nonnull(strstr(full, "Dense(64, relu)"));
    ck_assert_ptr_nonnull(strstr(full, "Dense(1, linear)"));
    ck_assert_int_eq(full[len_full - 2], '}');
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- training ------------------------------------------------------------------------------ */

/* A model with every feature kind, on both sides, and one hidden layer of 8. */
static rec_model *rich_model(uint64_t seed, rec_activation act)
{
    static const uint32_t hidden[] = {8};
    return fx_rich_model(seed, act, 20, 40, hidden, 1);
}

static double label_rmse_of_mean(const rec_dataset *ds)
{
    uint32_t col;
    ck_assert_rec_ok(rec_dataset_column(&col, ds, "user_rating"));
    size_t n = rec_dataset_size(ds);
    double s = 0, s2 = 0;
    for (size_t r = 0; r < n; r++) {
        double y = rec_dataset_number(ds, col, r);
        s += y;
        s2 += y * y;
    }
    return sqrt(s2 / n - (s / n) * (s / n));
}

static void check_learns(rec_model *m, const rec_dataset *ds, float lr, int epochs)
{
    rec_optimizer *opt;
    double before, after, loss, rmse;
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, lr));
    ck_assert_rec_ok(rec_model_evaluate(m, ds, 64, &before, NULL));
    for (int e = 0; e < epochs; e++)
        ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 32, &loss, &rmse));
    ck_assert_rec_ok(rec_model_evaluate(m, ds, 64, &after, NULL));
    /* must fit the hidden rank-2 structure clearly better than the label mean does */
    ck_assert_msg(after < 0.8 * label_rmse_of_mean(ds), "rmse %g -> %g, mean predictor %g",
                  before, after, label_rmse_of_mean(ds));
    ck_assert_double_lt(after, before);
    rec_optimizer_free(opt);
}

START_TEST(test_model_dot_learns)
{
    rec_dataset *ds = synth_dataset(20, 30, 2000, 5, 0.0, 1.0);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 7));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    check_learns(m, ds, 0.5f, 60);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_model_rich_mlp_learns)
{
    rec_dataset *ds = synth_dataset(20, 30, 2000, 5, 3.0, 1.0);
    rec_model *m = rich_model(11, REC_ACTIVATION_RELU);
    check_learns(m, ds, 0.1f, 40);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_model_training_is_deterministic)
{
    rec_dataset *ds = fx_synth_with_age(500, 20, 30, 5);
    float p[3][500];
    for (int k = 0; k < 3; k++) {
        rec_model *m = rich_model(k < 2 ? 21 : 22, REC_ACTIVATION_TANH);
        rec_optimizer *opt;
        ck_assert_rec_ok(rec_model_build(m, ds));
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
        for (int e = 0; e < 3; e++)
            ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 64, NULL, NULL));
        ck_assert_rec_ok(rec_model_predict(m, ds, p[k], 500));
        rec_optimizer_free(opt);
        rec_model_free(m);
    }
    ck_assert_int_eq(memcmp(p[0], p[1], sizeof p[0]), 0);
    ck_assert_int_ne(memcmp(p[0], p[2], sizeof p[0]), 0);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_model_compute_then_apply)
{
    rec_dataset *ds = fx_synth_with_age(64, 10, 10, 5);
    rec_model *a = rich_model(3, REC_ACTIVATION_TANH), *b = rich_model(3, REC_ACTIVATION_TANH);
    rec_optimizer *oa, *ob;
    float pa[64], pb[64], p0[64];
    uint32_t rows[64];
    double loss_a, loss_b, rmse;
    for (uint32_t i = 0; i < 64; i++)
        rows[i] = i;
    ck_assert_rec_ok(rec_model_build(a, ds));
    ck_assert_rec_ok(rec_model_build(b, ds));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&oa, 0.1f));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&ob, 0.1f));
    ck_assert_rec_ok(rec_model_predict(a, ds, p0, 64));
    /* computing gradients changes no weight */
    ck_assert_rec_ok(rec_model_compute_gradients(a, ds, rows, 64, &loss_a));
    ck_assert_rec_ok(rec_model_predict(a, ds, pa, 64));
    ck_assert_int_eq(memcmp(p0, pa, sizeof pa), 0);
    ck_assert_rec_ok(rec_model_apply_gradients(a, oa));
    /* one full-batch epoch = one compute + apply over all rows (up to summation order) */
    ck_assert_rec_ok(rec_model_train_epoch(b, ob, ds, 64, &loss_b, &rmse));
    ck_assert_double_eq_tol(loss_a, loss_b, 1e-5);
    ck_assert_double_eq_tol(rmse, sqrt(loss_b), 1e-9);
    ck_assert_rec_ok(rec_model_predict(a, ds, pa, 64));
    ck_assert_rec_ok(rec_model_predict(b, ds, pb, 64));
    for (int i = 0; i < 64; i++)
        ck_assert_float_eq_tol(pa[i], pb[i], 1e-4);
    ck_assert_int_ne(memcmp(p0, pa, sizeof pa), 0);

    rows[3] = 64;
    ck_assert_rec_fails(rec_model_compute_gradients(a, ds, rows, 64, &loss_a), REC_EINVAL,
                        "rows[3] = 64");
    ck_assert_rec_fails(rec_model_compute_gradients(a, ds, NULL, 64, &loss_a), REC_EINVAL,
                        "non-NULL");
    ck_assert_rec_fails(rec_model_apply_gradients(a, NULL), REC_EINVAL, "optimizer");
    rec_optimizer_free(oa);
    rec_optimizer_free(ob);
    rec_model_free(a);
    rec_model_free(b);
    rec_dataset_free(ds);
}
END_TEST

typedef struct fit_log {
    int calls;
    int stop_after;
    double last[REC_STAT_COUNT];
    size_t n_stats;
} fit_log;

static int log_epoch(uint32_t epoch, const double *stats, size_t n_stats, void *payload)
{
    fit_log *l = payload;
    l->calls++;
    ck_assert_uint_eq(epoch, (uint32_t)l->calls);
    l->n_stats = n_stats;
    memcpy(l->last, stats, sizeof l->last);
    return l->stop_after && l->calls >= l->stop_after;
}

START_TEST(test_model_fit_reports_and_stops)
{
    rec_dataset *all = fx_synth_with_age(1000, 20, 30, 5), *train, *test;
    rec_model *m = rich_model(5, REC_ACTIVATION_RELU);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_dataset_shuffle_split(&train, &test, all, 800, 9));
    ck_assert_rec_ok(rec_model_build(m, all));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    fit_log log = {0};
    ck_assert_rec_ok(rec_model_fit(m, opt, train, test, 4, 64, 128, log_epoch, &log));
    ck_assert_int_eq(log.calls, 4);
    ck_assert_uint_eq(log.n_stats, REC_STAT_COUNT);
    double rmse, mae;
    /* with fit's evaluation batch size: predictions are computed in float per batch, so
     * another batch size may round the last bits of the RMSE differently */
    ck_assert_rec_ok(rec_model_evaluate(m, test, 128, &rmse, &mae));
    ck_assert_double_eq_tol(log.last[REC_STAT_VAL_RMSE], rmse, 1e-9);
    ck_assert_double_eq_tol(log.last[REC_STAT_VAL_MAE], mae, 1e-9);
    ck_assert_double_eq_tol(log.last[REC_STAT_RMSE], sqrt(log.last[REC_STAT_LOSS]), 1e-9);
    ck_assert(log.last[REC_STAT_SECONDS] >= 0.0);
    ck_assert_double_le(mae, rmse);

    fit_log stop = {.stop_after = 2};
    ck_assert_rec_ok(rec_model_fit(m, opt, train, NULL, 10, 64, 0, log_epoch, &stop));
    ck_assert_int_eq(stop.calls, 2);
    ck_assert(isnan(stop.last[REC_STAT_VAL_RMSE]));

    ck_assert_rec_fails(rec_model_fit(m, opt, train, test, 1, 0, 128, NULL, NULL), REC_EINVAL,
                        "batch_size 0");
    ck_assert_rec_fails(rec_model_fit(m, opt, train, test, 1, 32, 0, NULL, NULL), REC_EINVAL,
                        "eval_batch_size 0");
    ck_assert_rec_fails(rec_model_fit(m, NULL, train, test, 1, 32, 8, NULL, NULL), REC_EINVAL,
                        "optimizer");
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(train);
    rec_dataset_free(test);
    rec_dataset_free(all);
}
END_TEST

START_TEST(test_model_divergence_is_reported)
{
    rec_dataset *ds = fx_synth(200, 10, 10, 5);
    rec_model *m;
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 1));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 1e30f));
    rec_status rc = REC_OK;
    for (int e = 0; e < 5 && rc == REC_OK; e++)
        rc = rec_model_train_epoch(m, opt, ds, 50, NULL, NULL);
    ck_assert_int_eq(rc, REC_ENUMERIC);
    ck_assert_ptr_nonnull(strstr(rec_last_error(), "diverged"));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- prediction from raw values ------------------------------------------------------------ */

START_TEST(test_model_predict_from_raw_values)
{
    rec_dataset *ds = fx_synth(300, 10, 10, 5);
    rec_model *m;
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 4));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 32, NULL, NULL));

    /* predictions over the dataset agree with evaluate's RMSE */
    float p[300];
    double rmse, s = 0;
    uint32_t col;
    ck_assert_rec_ok(rec_model_predict(m, ds, p, 300));
    ck_assert_rec_ok(rec_model_evaluate(m, ds, 7, &rmse, NULL));
    ck_assert_rec_ok(rec_dataset_column(&col, ds, "user_rating"));
    for (int r = 0; r < 300; r++) {
        double d = p[r] - rec_dataset_number(ds, col, (size_t)r);
        s += d * d;
    }
    ck_assert_double_eq_tol(sqrt(s / 300), rmse, 1e-5);

    /* a raw query: row 0's values again, plus an unknown user and an unseen title */
    const char *users[] = {rec_dataset_string(ds, 0, 0), "nobody", "nobody"};
    uint32_t tcol, tscol;
    ck_assert_rec_ok(rec_dataset_column(&tcol, ds, "movie_title"));
    ck_assert_rec_ok(rec_dataset_column(&tscol, ds, "timestamp"));
    const char *titles[] = {rec_dataset_string(ds, tcol, 0), "Never Seen (2031)", ""};
    double ts[] = {rec_dataset_number(ds, tscol, 0), 0.0, 9e8};
    rec_dataset *q;
    float out[3];
    ck_assert_rec_ok(rec_dataset_create(&q, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(q, "user_id", users, 3));
    ck_assert_rec_fails(rec_model_predict(m, q, out, 3), REC_ENOTFOUND, "'timestamp'");
    ck_assert_rec_ok(rec_dataset_add_numbers(q, "timestamp", ts, 3));
    ck_assert_rec_fails(rec_model_predict(m, q, out, 3), REC_ENOTFOUND, "'movie_title'");
    ck_assert_rec_ok(rec_dataset_add_strings(q, "movie_title", titles, 3));
    ck_assert_rec_fails(rec_model_predict(m, q, out, 2), REC_ESHAPE, "n = 2");
    ck_assert_rec_ok(rec_model_predict(m, q, out, 3));
    ck_assert_float_eq_tol(out[0], p[0], 1e-6);
    ck_assert(isfinite(out[1]) && isfinite(out[2]));
    rec_dataset_free(q);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- recommendation ----------------------------------------------------------------------- */

START_TEST(test_model_recommend_matches_brute_force)
{
    rec_dataset *ds = fx_synth_with_age(600, 10, 40, 8);
    rec_model *m = rich_model(8, REC_ACTIVATION_RELU);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 64, NULL, NULL));
    /* candidates: the first 30 rows; query: row 5 (its user, timestamp and age) */
    enum { N = 30, Q = 5 };
    uint32_t rows[N];
    for (uint32_t i = 0; i < N; i++)
        rows[i] = i;
    rec_dataset *cand;
    ck_assert_rec_ok(rec_dataset_subset(&cand, ds, rows, N));
    uint8_t exclude[N] = {0};
    exclude[3] = exclude[17] = 1;

    /* brute force: each candidate with the query's user-side values */
    uint32_t ucol, tcol, acol;
    ck_assert_rec_ok(rec_dataset_column(&ucol, ds, "user_id"));
    ck_assert_rec_ok(rec_dataset_column(&tcol, ds, "timestamp"));
    ck_assert_rec_ok(rec_dataset_column(&acol, ds, "raw_user_age"));
    const char *u[N];
    double t[N], a[N];
    for (int i = 0; i < N; i++) {
        u[i] = rec_dataset_string(ds, ucol, Q);
        t[i] = rec_dataset_number(ds, tcol, Q);
        a[i] = rec_dataset_number(ds, acol, Q);
    }
    /* a fresh dataset with the user-side columns replaced */
    rec_dataset *q2;
    uint32_t mcol, gcol;
    ck_assert_rec_ok(rec_dataset_column(&mcol, ds, "movie_title"));
    ck_assert_rec_ok(rec_dataset_column(&gcol, ds, "movie_genres"));
    const char *titles[N], *genres[3 * N];
    size_t off[N + 1] = {0}, cnt;
    for (int i = 0; i < N; i++) {
        titles[i] = rec_dataset_string(ds, mcol, (size_t)i);
        ck_assert_rec_ok(rec_dataset_string_list(genres + off[i], 3, &cnt, ds, gcol, (size_t)i));
        off[i + 1] = off[i] + cnt;
    }
    ck_assert_rec_ok(rec_dataset_create(&q2, N));
    ck_assert_rec_ok(rec_dataset_add_strings(q2, "user_id", u, N));
    ck_assert_rec_ok(rec_dataset_add_numbers(q2, "timestamp", t, N));
    ck_assert_rec_ok(rec_dataset_add_numbers(q2, "raw_user_age", a, N));
    ck_assert_rec_ok(rec_dataset_add_strings(q2, "movie_title", titles, N));
    ck_assert_rec_ok(rec_dataset_add_string_lists(q2, "movie_genres", genres, off, N));
    float want[N];
    ck_assert_rec_ok(rec_model_predict(m, q2, want, N));

    uint32_t top[N];
    float score[N];
    size_t n = 99;
    ck_assert_rec_ok(rec_model_recommend(top, score, &n, 5, m, cand, ds, Q, exclude));
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        ck_assert(!exclude[top[i]]);
        ck_assert_float_eq_tol(score[i], want[top[i]], 1e-6);
        if (i > 0)
            ck_assert(score[i] <= score[i - 1]);
    }
    /* nothing outside the top 5 (and not excluded) beats the 5th */
    for (int i = 0; i < N; i++) {
        int in = 0;
        for (size_t j = 0; j < n; j++)
            in |= top[j] == (uint32_t)i;
        if (!in && !exclude[i])
            ck_assert(want[i] <= score[n - 1]);
    }
    /* k larger than the candidates: everything not excluded, sorted */
    ck_assert_rec_ok(rec_model_recommend(top, NULL, &n, 100, m, cand, ds, Q, exclude));
    ck_assert_uint_eq(n, N - 2);
    for (size_t i = 1; i < n; i++)
        ck_assert(want[top[i]] <= want[top[i - 1]]);

    ck_assert_rec_fails(rec_model_recommend(top, NULL, &n, 0, m, cand, ds, Q, NULL), REC_EINVAL,
                        "k must be > 0");
    ck_assert_rec_fails(rec_model_recommend(top, NULL, &n, 3, m, cand, ds, 600, NULL),
                        REC_EINVAL, "query_row 600");
    /* the query may be any dataset with the user-side columns */
    ck_assert_rec_ok(rec_model_recommend(top, NULL, &n, 3, m, cand, q2, 0, NULL));
    ck_assert_uint_eq(n, 3);
    rec_dataset *bare;
    ck_assert_rec_ok(rec_dataset_create(&bare, 1));
    ck_assert_rec_fails(rec_model_recommend(top, NULL, &n, 3, m, cand, bare, 0, NULL),
                        REC_ENOTFOUND, "column 'user_id' is missing from the query");
    rec_dataset_free(bare);
    rec_dataset_free(q2);
    rec_dataset_free(cand);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- beyond the tutorial: BIASED_DOT, FM, Gibbs sampling, L2, dropout, early stopping ------ */

/* Ratings from a known factorization machine over users and items, K = 2, every one of the
 * n_u × n_i pairs once, labels y = 3 + b_u + c_i + ⟨p_u, q_i⟩ (no noise). The pairs are split
 * into train (the first n_train after a seeded shuffle) and test. */
static void fm_truth(rec_dataset **train, rec_dataset **test, size_t n_u, size_t n_i,
                     size_t n_train, uint64_t seed)
{
    rec_rng *r;
    ck_assert_rec_ok(rec_rng_create(&r, seed));
    double b[64], c[64], p[64][2], q[64][2];
    ck_assert_uint_le(n_u, 64);
    ck_assert_uint_le(n_i, 64);
    for (size_t u = 0; u < n_u; u++) {
        b[u] = rec_rng_uniform(r) - 0.5;
        p[u][0] = 2 * rec_rng_uniform(r) - 1;
        p[u][1] = 2 * rec_rng_uniform(r) - 1;
    }
    for (size_t i = 0; i < n_i; i++) {
        c[i] = rec_rng_uniform(r) - 0.5;
        q[i][0] = 2 * rec_rng_uniform(r) - 1;
        q[i][1] = 2 * rec_rng_uniform(r) - 1;
    }
    size_t n = n_u * n_i;
    char (*us)[8] = calloc(n, 8), (*is)[8] = calloc(n, 8);
    const char **uu = calloc(n, sizeof *uu), **ii = calloc(n, sizeof *ii);
    double *y = calloc(n, sizeof *y);
    for (size_t u = 0, k = 0; u < n_u; u++)
        for (size_t i = 0; i < n_i; i++, k++) {
            snprintf(us[k], 8, "u%zu", u);
            snprintf(is[k], 8, "i%zu", i);
            uu[k] = us[k];
            ii[k] = is[k];
            y[k] = 3 + b[u] + c[i] + p[u][0] * q[i][0] + p[u][1] * q[i][1];
        }
    rec_dataset *all;
    ck_assert_rec_ok(rec_dataset_create(&all, n));
    ck_assert_rec_ok(rec_dataset_add_strings(all, "user_id", uu, n));
    ck_assert_rec_ok(rec_dataset_add_strings(all, "movie_id", ii, n));
    ck_assert_rec_ok(rec_dataset_add_numbers(all, "user_rating", y, n));
    ck_assert_rec_ok(rec_dataset_shuffle_split(train, test, all, n_train, seed));
    rec_dataset_free(all);
    free(us);
    free(is);
    free(uu);
    free(ii);
    free(y);
    rec_rng_free(r);
}

static rec_model *pair_model(rec_interaction interaction, uint32_t dim, uint64_t seed)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, dim));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, dim));
    ck_assert_rec_ok(rec_model_set_interaction(m, interaction));
    return m;
}

START_TEST(test_model_ext_setters_and_checks)
{
    rec_model *m;
    uint32_t f;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_fails(rec_model_feature_set_l2(m, 0, 0.1f, 0.1f), REC_EINVAL,
                        "feature 0 does not exist");
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_fails(rec_model_feature_set_l2(m, 0, -1.0f, 0.0f), REC_EINVAL,
                        "l2_embedding = -1");
    ck_assert_rec_fails(rec_model_feature_set_l2(m, 0, 0.0f, NAN), REC_EINVAL, "l2_linear");
    ck_assert_rec_fails(rec_model_feature_set_l2(NULL, 0, 0.0f, 0.0f), REC_EINVAL, "NULL");
    ck_assert_rec_ok(rec_model_feature_set_l2(m, 0, 0.01f, 0.02f));
    ck_assert_rec_fails(rec_model_feature_set_pooling(m, 0, REC_POOLING_SQRTN), REC_EINVAL,
                        "pooling applies to TEXT and CATEGORICAL_LIST");
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_fails(rec_model_feature_set_pooling(m, f, (rec_pooling)9), REC_EINVAL,
                        "unknown pooling 9");
    ck_assert_rec_ok(rec_model_feature_set_pooling(m, f, REC_POOLING_SQRTN));
    ck_assert_rec_fails(rec_model_layer_set_l2(m, 0, 0.1f), REC_EINVAL,
                        "layer 0 does not exist");
    ck_assert_rec_fails(rec_model_layer_set_dropout(m, 0, 0.1f), REC_EINVAL,
                        "layer 0 does not exist");
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
    ck_assert_rec_ok(rec_model_add_layer(m, 8, REC_ACTIVATION_RELU));
    ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    ck_assert_rec_fails(rec_model_layer_set_dropout(m, 0, 1.0f), REC_EINVAL,
                        "rate = 1 must be in [0, 1)");
    ck_assert_rec_fails(rec_model_layer_set_dropout(m, 1, 0.5f), REC_EINVAL,
                        "the output layer");
    ck_assert_rec_ok(rec_model_layer_set_dropout(m, 0, 0.5f));
    ck_assert_rec_fails(rec_model_layer_set_l2(m, 1, -0.5f), REC_EINVAL, "l2 = -0.5");
    ck_assert_rec_ok(rec_model_layer_set_l2(m, 1, 0.5f));
    ck_assert_rec_fails(rec_model_set_early_stopping(m, 3, -1.0), REC_EINVAL,
                        "min_delta = -1");
    ck_assert_rec_fails(rec_model_set_early_stopping(NULL, 3, 0.0), REC_EINVAL, "NULL");
    ck_assert_rec_ok(rec_model_set_early_stopping(m, 3, 0.001));
    ck_assert_rec_fails(rec_model_set_interaction(m, (rec_interaction)4), REC_EINVAL,
                        "unknown interaction 4");
    /* layers only under MLP */
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    rec_dataset *ds = fx_synth_with_age(20, 5, 5, 1);
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL,
                        "a FM interaction takes no dense layers");
    rec_model_free(m);

    /* FM: one embedding width; BIASED_DOT: sides of equal width */
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL,
                        "one embedding width for every feature ('movie_title' has 3");
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_BIASED_DOT));
    ck_assert_rec_fails(rec_model_build(m, ds), REC_EINVAL,
                        "BIASED_DOT interaction needs sides of equal width (user 5, item 3)");
    rec_model_free(m);
    /* a column the dataset lacks (ml_shaped has no movie_id) */
    rec_dataset *no_movie_id = ml_shaped();
    m = pair_model(REC_INTERACTION_FM, 4, 1);
    ck_assert_rec_fails(rec_model_build(m, no_movie_id), REC_ENOTFOUND, "movie_id");
    rec_model_free(m);
    rec_dataset_free(no_movie_id);
    /* settings on a built model; pooling is part of the description */
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_fails(rec_model_feature_set_pooling(m, f, REC_POOLING_MEAN), REC_ESTATE,
                        "already built");
    ck_assert_rec_ok(rec_model_feature_set_l2(m, f, 0.5f, 0.0f));
    ck_assert_uint_eq(rec_model_n_samples(m), 0);
    ck_assert_uint_eq(rec_model_n_samples(NULL), 0);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* BIASED_DOT and FM trained by Adam recover a known factorization: the held-out pairs are
 * predicted far better than by the mean. */
START_TEST(test_model_fm_and_biased_dot_recover_a_known_answer)
{
    rec_dataset *train, *test;
    fm_truth(&train, &test, 12, 12, 120, 3);
    for (int kind = 0; kind < 2; kind++) {
        rec_model *m = pair_model(kind ? REC_INTERACTION_FM : REC_INTERACTION_BIASED_DOT, 2, 5);
        rec_optimizer *opt;
        ck_assert_rec_ok(rec_model_build(m, train));
        ck_assert_rec_ok(rec_optimizer_create_adam(&opt, 0.05f));
        ck_assert_rec_ok(rec_model_fit(m, opt, train, NULL, 400, 16, 0, NULL, NULL));
        double fit, held, mean = label_rmse_of_mean(test);
        ck_assert_rec_ok(rec_model_evaluate(m, train, 64, &fit, NULL));
        ck_assert_rec_ok(rec_model_evaluate(m, test, 64, &held, NULL));
        printf("%s on a known K = 2 factorization: train RMSE %.4f, held-out %.4f (mean "
               "predictor %.4f)\n", kind ? "FM" : "BIASED_DOT", fit, held, mean);
        ck_assert_double_lt(fit, 0.15);
        ck_assert_double_lt(held, 0.35 * mean);
        rec_optimizer_free(opt);
        rec_model_free(m);
    }
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

typedef struct mc_log {
    int calls;
    double last[REC_STAT_COUNT];
} mc_log;

static int log_mcmc(uint32_t it, const double *stats, size_t n_stats, void *payload)
{
    mc_log *l = payload;
    ck_assert_uint_eq(it, (uint32_t)++l->calls);
    ck_assert_uint_eq(n_stats, REC_STAT_COUNT);
    memcpy(l->last, stats, sizeof l->last);
    return 0;
}

START_TEST(test_model_mcmc_recovers_and_is_reproducible)
{
    rec_dataset *train, *test;
    fm_truth(&train, &test, 12, 12, 120, 3);
    float p[3][24];
    for (int k = 0; k < 3; k++) {
        rec_model *m = pair_model(REC_INTERACTION_FM, 2, k < 2 ? 11 : 12);
        ck_assert_rec_ok(rec_model_build(m, train));
        mc_log log = {0};
        ck_assert_rec_ok(rec_model_fit_mcmc(m, train, 300, 100, test, log_mcmc, &log));
        ck_assert_int_eq(log.calls, 300);
        ck_assert_uint_eq(rec_model_n_samples(m), 200);
        /* predict / evaluate give the posterior mean the last sweep reported */
        double rmse, mae, mean = label_rmse_of_mean(test);
        ck_assert_rec_ok(rec_model_evaluate(m, test, 8, &rmse, &mae));
        ck_assert_double_eq_tol(rmse, log.last[REC_STAT_VAL_RMSE], 1e-6);
        ck_assert_double_eq_tol(mae, log.last[REC_STAT_VAL_MAE], 1e-6);
        ck_assert_rec_ok(rec_model_predict(m, test, p[k], 24));
        if (k == 0)
            printf("Gibbs-sampled FM on a known K = 2 factorization: held-out RMSE %.4f (mean "
                   "predictor %.4f), training RMSE of the last sample %.4f\n", rmse, mean,
                   log.last[REC_STAT_RMSE]);
        ck_assert_double_lt(rmse, 0.35 * mean);
        ck_assert_double_eq_tol(log.last[REC_STAT_RMSE], sqrt(log.last[REC_STAT_LOSS]), 1e-9);
        if (k == 0) {
            /* a row predicted alone (the sums then run over its own groups only) gets its
             * prediction within the whole set, up to the order of the sums */
            for (uint32_t r = 0; r < 24; r += 5) {
                rec_dataset *row;
                float alone;
                ck_assert_rec_ok(rec_dataset_subset(&row, test, &r, 1));
                ck_assert_rec_ok(rec_model_predict(m, row, &alone, 1));
                ck_assert_msg(fabsf(alone - p[0][r]) <= 1e-5f * (1.0f + fabsf(p[0][r])),
                              "row %u: %.9g alone, %.9g in the set", r, alone, p[0][r]);
                rec_dataset_free(row);
            }
        }
        if (k == 2) {
            /* gradient training drops the samples: predictions come from the weights again */
            rec_optimizer *opt;
            ck_assert_rec_ok(rec_optimizer_create_sgd(&opt, 0.01f));
            ck_assert_rec_ok(rec_model_train_epoch(m, opt, train, 32, NULL, NULL));
            ck_assert_uint_eq(rec_model_n_samples(m), 0);
            rec_optimizer_free(opt);
        }
        rec_model_free(m);
    }
    /* same seed, same chain, same thread count: identical; another seed: another chain */
    ck_assert_int_eq(memcmp(p[0], p[1], sizeof p[0]), 0);
    ck_assert_int_ne(memcmp(p[0], p[2], sizeof p[0]), 0);
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

/* Integer ratings 1..5 from the known factorization (rounded and clamped), for the ordered
 * probit. */
static void fm_truth_ordinal(rec_dataset **train, rec_dataset **test, uint64_t seed)
{
    rec_dataset *tr, *te;
    fm_truth(&tr, &te, 12, 12, 120, seed);
    rec_dataset *src[2] = {tr, te}, **dst[2] = {train, test};
    for (int k = 0; k < 2; k++) {
        size_t n = rec_dataset_size(src[k]);
        uint32_t uc, ic, yc;
        ck_assert_rec_ok(rec_dataset_column(&uc, src[k], "user_id"));
        ck_assert_rec_ok(rec_dataset_column(&ic, src[k], "movie_id"));
        ck_assert_rec_ok(rec_dataset_column(&yc, src[k], "user_rating"));
        const char **u = calloc(n, sizeof *u), **i = calloc(n, sizeof *i);
        double *y = calloc(n, sizeof *y);
        for (size_t r = 0; r < n; r++) {
            u[r] = rec_dataset_string(src[k], uc, r);
            i[r] = rec_dataset_string(src[k], ic, r);
            double v = floor(rec_dataset_number(src[k], yc, r) + 0.5);
            y[r] = v < 1 ? 1 : v > 5 ? 5 : v;
        }
        ck_assert_rec_ok(rec_dataset_create(dst[k], n));
        ck_assert_rec_ok(rec_dataset_add_strings(*dst[k], "user_id", u, n));
        ck_assert_rec_ok(rec_dataset_add_strings(*dst[k], "movie_id", i, n));
        ck_assert_rec_ok(rec_dataset_add_numbers(*dst[k], "user_rating", y, n));
        free(u);
        free(i);
        free(y);
    }
    rec_dataset_free(tr);
    rec_dataset_free(te);
}

START_TEST(test_model_mcmc_ordered_probit)
{
    rec_dataset *train, *test;
    fm_truth_ordinal(&train, &test, 3);
    float p[3][24];
    double rmse[2];
    for (int k = 0; k < 3; k++) {
        rec_model *m = pair_model(REC_INTERACTION_FM, 2, k == 1 ? 11 : 12);
        if (k < 2)
            ck_assert_rec_ok(rec_model_set_likelihood(m, REC_LIKELIHOOD_ORDERED_PROBIT));
        ck_assert_rec_ok(rec_model_build(m, train));
        mc_log log = {0};
        ck_assert_rec_ok(rec_model_fit_mcmc(m, train, 300, 100, test, log_mcmc, &log));
        ck_assert_uint_eq(rec_model_n_samples(m), 200);
        ck_assert_rec_ok(rec_model_predict(m, test, p[k], 24));
        double mae;
        if (k != 1) {
            ck_assert_rec_ok(rec_model_evaluate(m, test, 8, &rmse[k / 2], &mae));
            ck_assert_double_eq_tol(rmse[k / 2], log.last[REC_STAT_VAL_RMSE], 1e-6);
        }
        /* expected labels lie between the lowest and the highest class */
        for (int i = 0; i < 24; i++)
            ck_assert(p[k][i] >= 1.0f && p[k][i] <= 5.0f);
        rec_model_free(m);
    }
    double mean = label_rmse_of_mean(test);
    printf("ordered probit on rounded ratings of a known factorization: held-out RMSE %.4f "
           "(Gaussian %.4f, mean predictor %.4f)\n", rmse[0], rmse[1], mean);
    ck_assert_double_lt(rmse[0], 0.9 * mean);
    /* another seed, another chain */
    ck_assert_int_ne(memcmp(p[0], p[1], sizeof p[0]), 0);
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

/* Posterior-mean predictions of one sampled model on 1, 2 and 3 threads are the same bits:
 * on enough rows the sums of each sample are split between the threads (groups by their
 * entries, keys and rows by count), and every sum still runs on one thread in one order. The
 * sampler's own validation predictions take the same split on its threads. */
START_TEST(test_model_mcmc_predictions_equal_across_threads)
{
    rec_dataset *train, *test, *big;
    fm_truth_ordinal(&train, &test, 3);
    enum { N = 13000 }; /* ≥ 3 × 4096 rows: 3 threads get a share each */
    uint32_t *idx = malloc(N * sizeof *idx);
    for (uint32_t i = 0; i < N; i++)
        idx[i] = (i * 7) % (uint32_t)rec_dataset_size(test);
    ck_assert_rec_ok(rec_dataset_subset(&big, test, idx, N));
    rec_model *m = pair_model(REC_INTERACTION_FM, 2, 11);
    ck_assert_rec_ok(rec_model_set_likelihood(m, REC_LIKELIHOOD_ORDERED_PROBIT));
    ck_assert_rec_ok(rec_model_build(m, train));
    ck_assert_rec_ok(rec_model_fit_mcmc(m, train, 60, 20, NULL, NULL, NULL));
    float *p[3];
    double rmse[3];
    for (uint32_t t = 1; t <= 3; t++) {
        p[t - 1] = malloc(N * sizeof(float));
        ck_assert_rec_ok(rec_model_set_threads(m, t));
        ck_assert_rec_ok(rec_model_predict(m, big, p[t - 1], N));
        ck_assert_rec_ok(rec_model_evaluate(m, big, 512, &rmse[t - 1], NULL));
    }
    for (int t = 1; t < 3; t++) {
        ck_assert_msg(memcmp(p[t], p[0], N * sizeof(float)) == 0,
                      "MCMC predictions on %d threads differ from 1 thread", t + 1);
        ck_assert_double_eq_tol(rmse[t], rmse[0], 1e-12);
    }
    /* sampling on 2 threads with the big set as validation: the sweeps' running posterior
     * mean (split between the sampler's threads) is what evaluation then reports */
    rec_model *m2 = pair_model(REC_INTERACTION_FM, 2, 11);
    ck_assert_rec_ok(rec_model_set_likelihood(m2, REC_LIKELIHOOD_ORDERED_PROBIT));
    ck_assert_rec_ok(rec_model_set_threads(m2, 2));
    rec_dataset *big_train;
    uint32_t *tidx = malloc(N * sizeof *tidx);
    for (uint32_t i = 0; i < N; i++)
        tidx[i] = (i * 5) % (uint32_t)rec_dataset_size(train);
    ck_assert_rec_ok(rec_dataset_subset(&big_train, train, tidx, N));
    ck_assert_rec_ok(rec_model_build(m2, big_train));
    mc_log log = {0};
    ck_assert_rec_ok(rec_model_fit_mcmc(m2, big_train, 30, 10, big, log_mcmc, &log));
    double val;
    ck_assert_rec_ok(rec_model_evaluate(m2, big, 512, &val, NULL));
    ck_assert_double_eq_tol(val, log.last[REC_STAT_VAL_RMSE], 1e-6);
    rec_dataset_free(big_train);
    free(tidx);
    rec_model_free(m2);
    for (int t = 0; t < 3; t++)
        free(p[t]);
    free(idx);
    rec_model_free(m);
    rec_dataset_free(big);
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

START_TEST(test_model_mcmc_ordered_probit_errors)
{
    rec_dataset *train, *test;
    fm_truth(&train, &test, 12, 12, 120, 3); /* 120 distinct real labels */
    rec_model *m = pair_model(REC_INTERACTION_FM, 2, 1);
    ck_assert_rec_fails(rec_model_set_likelihood(m, (rec_likelihood)2), REC_EINVAL,
                        "unknown likelihood 2");
    ck_assert_rec_fails(rec_model_set_likelihood(NULL, REC_LIKELIHOOD_GAUSSIAN), REC_EINVAL,
                        "NULL");
    ck_assert_rec_ok(rec_model_set_likelihood(m, REC_LIKELIHOOD_ORDERED_PROBIT));
    ck_assert_rec_ok(rec_model_build(m, train));
    ck_assert_rec_fails(rec_model_fit_mcmc(m, train, 10, 5, NULL, NULL, NULL), REC_EINVAL,
                        "at most 64 distinct labels");
    ck_assert_uint_eq(rec_model_n_samples(m), 0);
    rec_model_free(m);
    /* one label value: nothing to order */
    const char *u[] = {"a", "b"}, *i[] = {"x", "y"};
    const double y[] = {3, 3};
    rec_dataset *one;
    ck_assert_rec_ok(rec_dataset_create(&one, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(one, "user_id", u, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(one, "movie_id", i, 2));
    ck_assert_rec_ok(rec_dataset_add_numbers(one, "user_rating", y, 2));
    m = pair_model(REC_INTERACTION_FM, 2, 1);
    ck_assert_rec_ok(rec_model_set_likelihood(m, REC_LIKELIHOOD_ORDERED_PROBIT));
    ck_assert_rec_ok(rec_model_build(m, one));
    ck_assert_rec_fails(rec_model_fit_mcmc(m, one, 10, 5, NULL, NULL, NULL), REC_EINVAL,
                        "at least 2 distinct labels");
    rec_model_free(m);
    rec_dataset_free(one);
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

START_TEST(test_model_mcmc_errors)
{
    rec_dataset *train, *test;
    fm_truth(&train, &test, 4, 4, 12, 1);
    rec_model *m = pair_model(REC_INTERACTION_FM, 2, 1);
    ck_assert_rec_fails(rec_model_fit_mcmc(m, train, 10, 5, NULL, NULL, NULL), REC_ESTATE,
                        "not built");
    ck_assert_rec_fails(rec_model_fit_mcmc(NULL, train, 10, 5, NULL, NULL, NULL), REC_EINVAL,
                        "model is NULL");
    ck_assert_rec_ok(rec_model_build(m, train));
    ck_assert_rec_fails(rec_model_fit_mcmc(m, NULL, 10, 5, NULL, NULL, NULL), REC_EINVAL,
                        "training dataset");
    ck_assert_rec_fails(rec_model_fit_mcmc(m, train, 10, 10, NULL, NULL, NULL), REC_EINVAL,
                        "n_iter = 10 must exceed n_burn_in = 10");
    rec_dataset *bare;
    ck_assert_rec_ok(rec_dataset_create(&bare, 3));
    ck_assert_rec_fails(rec_model_fit_mcmc(m, bare, 10, 5, NULL, NULL, NULL), REC_ENOTFOUND,
                        "user_id");
    rec_dataset_free(bare);
    /* stopping during burn-in keeps no sample */
    mc_log log = {0};
    ck_assert_rec_ok(rec_model_fit_mcmc(m, train, 3, 1, NULL, log_mcmc, &log));
    ck_assert_uint_eq(rec_model_n_samples(m), 2);
    ck_assert(isnan(log.last[REC_STAT_VAL_RMSE]));
    rec_model_free(m);
    m = pair_model(REC_INTERACTION_BIASED_DOT, 2, 1);
    ck_assert_rec_ok(rec_model_build(m, train));
    ck_assert_rec_fails(rec_model_fit_mcmc(m, train, 10, 5, NULL, NULL, NULL), REC_EINVAL,
                        "needs a REC_INTERACTION_FM model");
    rec_model_free(m);
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

/* A validation set whose labels contradict the training set: every epoch after the first makes
 * it worse, so the first epoch's weights must come back and training must stop after
 * `patience` more epochs. */
START_TEST(test_model_early_stopping_restores_the_best_epoch)
{
    rec_dataset *train = fx_synth(400, 10, 10, 4);
    size_t n = rec_dataset_size(train);
    uint32_t ucol, tcol, ycol;
    ck_assert_rec_ok(rec_dataset_column(&ucol, train, "user_id"));
    ck_assert_rec_ok(rec_dataset_column(&tcol, train, "movie_title"));
    ck_assert_rec_ok(rec_dataset_column(&ycol, train, "user_rating"));
    const char **u = calloc(n, sizeof *u), **t = calloc(n, sizeof *t);
    double *y = calloc(n, sizeof *y), mean = 0.0;
    for (size_t r = 0; r < n; r++)
        mean += rec_dataset_number(train, ycol, r) / (double)n;
    for (size_t r = 0; r < n; r++) {
        u[r] = rec_dataset_string(train, ucol, r);
        t[r] = rec_dataset_string(train, tcol, r);
        y[r] = 2.0 * mean - rec_dataset_number(train, ycol, r); /* reflected around the mean */
    }
    rec_dataset *val;
    ck_assert_rec_ok(rec_dataset_create(&val, n));
    ck_assert_rec_ok(rec_dataset_add_strings(val, "user_id", u, n));
    ck_assert_rec_ok(rec_dataset_add_strings(val, "movie_title", t, n));
    ck_assert_rec_ok(rec_dataset_add_numbers(val, "user_rating", y, n));
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 3));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_BIASED_DOT));
    ck_assert_rec_ok(rec_model_set_early_stopping(m, 2, 0.0));
    ck_assert_rec_ok(rec_model_build(m, train));
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adam(&opt, 0.05f));
    fit_log log = {0};
    ck_assert_rec_ok(rec_model_fit(m, opt, train, val, 10, 32, 64, log_epoch, &log));
    /* the best epoch is 1 (val RMSE rises afterwards); epochs 2 and 3 do not improve on it */
    ck_assert_int_eq(log.calls, 3);
    double rmse;
    ck_assert_rec_ok(rec_model_evaluate(m, val, 64, &rmse, NULL));
    ck_assert_double_lt(rmse, log.last[REC_STAT_VAL_RMSE]);
    /* without early stopping the same run goes on for all 10 epochs */
    rec_model *m2;
    ck_assert_rec_ok(rec_model_create(&m2, 3));
    ck_assert_rec_ok(rec_model_set_label(m2, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m2, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m2, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_set_interaction(m2, REC_INTERACTION_BIASED_DOT));
    ck_assert_rec_ok(rec_model_build(m2, train));
    rec_optimizer *opt2;
    ck_assert_rec_ok(rec_optimizer_create_adam(&opt2, 0.05f));
    fit_log first = {.stop_after = 1};
    ck_assert_rec_ok(rec_model_fit(m2, opt2, train, val, 1, 32, 64, log_epoch, &first));
    /* m was restored to exactly the state m2 has after its first epoch */
    double rmse2;
    ck_assert_rec_ok(rec_model_evaluate(m2, val, 64, &rmse2, NULL));
    ck_assert_double_eq_tol(rmse, rmse2, 1e-12);
    fit_log all = {0};
    ck_assert_rec_ok(rec_model_fit(m2, opt2, train, val, 9, 32, 64, log_epoch, &all));
    ck_assert_int_eq(all.calls, 9);
    rec_optimizer_free(opt);
    rec_optimizer_free(opt2);
    rec_model_free(m);
    rec_model_free(m2);
    rec_dataset_free(val);
    rec_dataset_free(train);
    free(u);
    free(t);
    free(y);
}
END_TEST

/* Dropout and L2 change training, not prediction; a deep model with both learns. */
START_TEST(test_model_dropout_and_l2_train)
{
    rec_dataset *ds = synth_dataset(20, 30, 2000, 5, 3.0, 1.0);
    static const uint32_t hidden[] = {16, 8};
    rec_model *m = fx_rich_model(13, REC_ACTIVATION_RELU, 10, 50, hidden, 2);
    ck_assert_rec_ok(rec_model_layer_set_dropout(m, 0, 0.2f));
    ck_assert_rec_ok(rec_model_layer_set_l2(m, 0, 1e-4f));
    ck_assert_rec_ok(rec_model_feature_set_l2(m, 0, 1e-4f, 0.0f));
    check_learns(m, ds, 0.1f, 40);
    /* prediction uses no mask: two calls agree */
    float a[100], b[100];
    uint32_t rows[100];
    for (uint32_t i = 0; i < 100; i++)
        rows[i] = i;
    rec_dataset *head;
    ck_assert_rec_ok(rec_dataset_subset(&head, ds, rows, 100));
    ck_assert_rec_ok(rec_model_predict(m, head, a, 100));
    ck_assert_rec_ok(rec_model_predict(m, head, b, 100));
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
    rec_dataset_free(head);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_model_summary_of_fm_and_dropout)
{
    rec_dataset *train, *test;
    fm_truth(&train, &test, 4, 4, 12, 1);
    rec_model *m = pair_model(REC_INTERACTION_FM, 2, 1);
    ck_assert_rec_ok(rec_model_build(m, train));
    char buf[4096];
    ck_assert_rec_ok(rec_model_summary(buf, sizeof buf, NULL, m));
    ck_assert_ptr_nonnull(strstr(buf, "user_id_linear (Embedding)"));
    ck_assert_ptr_nonnull(strstr(buf, "fm_pairwise (FactorizationMachine)"));
    ck_assert_ptr_nonnull(strstr(buf, "global_bias (Bias)"));
    /* (4 users + OOV) × (2 + 1) + (4 movies + OOV) × (2 + 1) + 1 = 31 */
    ck_assert_uint_eq(rec_model_n_params(m), 31);
    ck_assert_ptr_nonnull(strstr(buf, "Total params: 31"));
    ck_assert_rec_ok(rec_model_graphviz(buf, sizeof buf, NULL, m));
    ck_assert_ptr_nonnull(strstr(buf, "global bias"));
    rec_model_free(m);
    static const uint32_t hidden[] = {6};
    m = fx_rich_model(1, REC_ACTIVATION_RELU, 5, 20, hidden, 1);
    ck_assert_rec_ok(rec_model_layer_set_dropout(m, 0, 0.25f));
    rec_dataset *ds = fx_synth_with_age(20, 5, 5, 1);
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_summary(buf, sizeof buf, NULL, m));
    ck_assert_ptr_nonnull(strstr(buf, "dropout (Dropout 0.25)"));
    rec_model_free(m);
    rec_dataset_free(ds);
    rec_dataset_free(train);
    rec_dataset_free(test);
}
END_TEST

/* ---- end to end on ML-100K (needs REC_DATA_DIR) ------------------------------------------ */

static const char *data_dir(void)
{
    const char *d = getenv("REC_DATA_DIR");
    if (!d || !*d) {
        printf("REC_DATA_DIR not set: skipping the ML-100K end-to-end test\n");
        return NULL;
    }
    return d;
}

static double run_ml100k(rec_preset preset, uint64_t seed, double *first_val)
{
    rec_dataset *all, *train, *test;
    rec_model *m;
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_dataset_load_movielens(&all, data_dir(), NULL));
    ck_assert_uint_eq(rec_dataset_size(all), 100000);
    ck_assert_rec_ok(rec_dataset_shuffle_split(&train, &test, all, 80000, seed));
    ck_assert_rec_ok(rec_model_create_preset(&m, preset, seed));
    ck_assert_rec_ok(rec_model_build(m, all));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    fit_log log = {0};
    ck_assert_rec_ok(rec_model_fit(m, opt, train, test, 1, 2048, 4096, log_epoch, &log));
    *first_val = log.last[REC_STAT_VAL_RMSE];
    ck_assert_rec_ok(rec_model_fit(m, opt, train, test, 9, 2048, 4096, NULL, NULL));
    double rmse;
    ck_assert_rec_ok(rec_model_evaluate(m, test, 4096, &rmse, NULL));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(train);
    rec_dataset_free(test);
    rec_dataset_free(all);
    return rmse;
}

START_TEST(test_model_ml100k_dot_stays_at_saddle)
{
    if (!data_dir())
        return;
    double first, rmse = run_ml100k(REC_PRESET_DOT, 42, &first);
    printf("ML-100K dot, 10 epochs, seed 42: validation RMSE %.4f\n", rmse);
    /* Exact Keras semantics: the dot of two ±0.05 vectors starts at a saddle and stays near the
     * RMSE of predicting 0 (√E[y²] ≈ 3.7) for the first ten epochs. */
    ck_assert_double_gt(rmse, 3.0);
    ck_assert_double_lt(rmse, 3.9);
}
END_TEST

START_TEST(test_model_ml100k_one_layer_and_enriched)
{
    if (!data_dir())
        return;
    double first, r1 = run_ml100k(REC_PRESET_ONE_LAYER, 42, &first);
    printf("ML-100K one_layer, 10 epochs, seed 42: validation RMSE %.4f (epoch 1 %.4f)\n", r1,
           first);
    ck_assert_double_lt(r1, 1.0);
    ck_assert_double_gt(r1, 0.85);
    double r2 = run_ml100k(REC_PRESET_ENRICHED, 42, &first);
    printf("ML-100K enriched, 10 epochs, seed 42: validation RMSE %.4f (epoch 1 %.4f)\n", r2,
           first);
    ck_assert_double_lt(r2, 1.0);
    ck_assert_double_gt(r2, 0.85);
}
END_TEST

/* ---- labels, feature descriptions and presets over named columns --------------------------- */

/* What a program linked against librec 1.0 calls: rec_model_create@REC_1.0, bound here by a
 * versioned reference as the 1.0 link editor bound it. */
rec_status rec_model_create_as_linked_by_1_0(rec_model **out, uint64_t seed);
__asm__(".symver rec_model_create_as_linked_by_1_0, rec_model_create@REC_1.0");

/* A DOT model of user_id and movie_title (4 wide), not built, with no label set. */
static rec_model *unlabelled_dot(void)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 3));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    return m;
}

START_TEST(test_model_create_has_no_label)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_ptr_null(rec_model_label(m));
    ck_assert_ptr_null(rec_model_label(NULL));
    ck_assert_rec_ok(rec_model_set_label(m, "stars"));
    ck_assert_str_eq(rec_model_label(m), "stars");
    ck_assert_rec_ok(rec_model_set_label(m, "score"));
    ck_assert_str_eq(rec_model_label(m), "score");
    rec_model_free(m);
    /* the presets set theirs */
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 1));
    ck_assert_str_eq(rec_model_label(m), "user_rating");
    rec_model_free(m);
}
END_TEST

/* Every call that reads labels refuses a model without one; prediction needs none. */
START_TEST(test_model_no_label_errors)
{
    rec_dataset *ds = ml_shaped();
    rec_model *m = unlabelled_dot();
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_build(m, ds)); /* DOT's build reads no label */
    const char *msg = "the model has no label column (call rec_model_set_label)";
    char want[128];
    snprintf(want, sizeof want, "rec_model_fit: %s", msg);
    ck_assert_rec_fails(rec_model_fit(m, opt, ds, NULL, 1, 64, 64, NULL, NULL), REC_ESTATE,
                        want);
    snprintf(want, sizeof want, "rec_model_train_epoch: %s", msg);
    ck_assert_rec_fails(rec_model_train_epoch(m, opt, ds, 64, NULL, NULL), REC_ESTATE, want);
    snprintf(want, sizeof want, "rec_model_evaluate: %s", msg);
    ck_assert_rec_fails(rec_model_evaluate(m, ds, 64, NULL, NULL), REC_ESTATE, want);
    const uint32_t rows[] = {0, 1, 2};
    snprintf(want, sizeof want, "rec_model_compute_gradients: %s", msg);
    ck_assert_rec_fails(rec_model_compute_gradients(m, ds, rows, 3, NULL), REC_ESTATE, want);
    rec_features *f = NULL;
    ck_assert_rec_ok(rec_features_create(&f, m, ds)); /* inputs only */
    snprintf(want, sizeof want, "rec_model_compute_gradients_features: %s", msg);
    ck_assert_rec_fails(rec_model_compute_gradients_features(m, f, rows, 3, NULL), REC_ESTATE,
                        want);
    rec_features_free(f);
    float p[4];
    const uint32_t four[] = {0, 1, 2, 3};
    rec_dataset *q = NULL;
    ck_assert_rec_ok(rec_dataset_subset(&q, ds, four, 4));
    ck_assert_rec_ok(rec_model_predict(m, q, p, 4));
    /* the label is part of the description: too late once built */
    ck_assert_rec_fails(rec_model_set_label(m, "user_rating"), REC_ESTATE, "already built");
    rec_dataset_free(q);
    rec_model_free(m);

    /* BIASED_DOT and FM start their global bias at the label's mean */
    static const rec_interaction linear[] = {REC_INTERACTION_BIASED_DOT, REC_INTERACTION_FM};
    for (int i = 0; i < 2; i++) {
        m = unlabelled_dot();
        ck_assert_rec_ok(rec_model_set_interaction(m, linear[i]));
        ck_assert_rec_fails(rec_model_build(m, ds), REC_ESTATE,
                            "rec_model_build: the model has no label column (call "
                            "rec_model_set_label)");
        ck_assert(!rec_model_is_built(m));
        ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
        ck_assert_rec_ok(rec_model_build(m, ds));
        rec_model_free(m);
    }
    rec_optimizer_free(opt);
    rec_dataset_free(ds);
}
END_TEST

/* A model saved without a label loads without one, and one with a label keeps it. */
START_TEST(test_model_save_load_unlabelled)
{
    char path[] = "/tmp/rec_test_model_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    rec_dataset *ds = ml_shaped();
    float a[16], b[16];
    const uint32_t rows[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    rec_dataset *q = NULL;
    ck_assert_rec_ok(rec_dataset_subset(&q, ds, rows, 16));
    for (int labelled = 0; labelled < 2; labelled++) {
        rec_model *m = unlabelled_dot(), *l = NULL;
        if (labelled)
            ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
        ck_assert_rec_ok(rec_model_build(m, ds));
        ck_assert_rec_ok(rec_model_save(m, path, 0));
        ck_assert_rec_ok(rec_model_load(&l, path));
        ck_assert_rec_ok(rec_model_predict(m, q, a, 16));
        ck_assert_rec_ok(rec_model_predict(l, q, b, 16));
        ck_assert_mem_eq(a, b, sizeof a);
        if (labelled) {
            ck_assert_str_eq(rec_model_label(l), "user_rating");
            ck_assert_rec_ok(rec_model_evaluate(l, ds, 64, NULL, NULL));
        } else {
            ck_assert_ptr_null(rec_model_label(l));
            ck_assert_rec_fails(rec_model_evaluate(l, ds, 64, NULL, NULL), REC_ESTATE,
                                "rec_model_evaluate: the model has no label column");
        }
        rec_model_free(l);
        rec_model_free(m);
    }
    rec_dataset_free(q);
    rec_dataset_free(ds);
    unlink(path);
}
END_TEST

/* Programs linked against 1.0 keep 1.0's rec_model_create: a default label "user_rating". */
START_TEST(test_model_create_of_1_0_keeps_the_default_label)
{
    rec_model *m = NULL;
    ck_assert_rec_ok(rec_model_create_as_linked_by_1_0(&m, 3));
    ck_assert_str_eq(rec_model_label(m), "user_rating");
    /* trains on MovieLens-named data with no rec_model_set_label, as 1.0 programs do */
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    rec_dataset *ds = ml_shaped();
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 256, NULL, NULL));
    rec_optimizer_free(opt);
    rec_model_free(m);
    ck_assert_rec_fails(rec_model_create_as_linked_by_1_0(NULL, 3), REC_EINVAL,
                        "rec_model_create: out is NULL");

    /* the two versions by name, as a loader resolves them */
    typedef rec_status (*create_fn)(rec_model **, uint64_t);
    void *s10 = dlvsym(RTLD_DEFAULT, "rec_model_create", "REC_1.0");
    void *s11 = dlvsym(RTLD_DEFAULT, "rec_model_create", "REC_1.1");
    ck_assert_ptr_nonnull(s10);
    ck_assert_ptr_nonnull(s11);
    create_fn v10, v11; /* POSIX: a symbol's address converts to a function pointer */
    memcpy(&v10, &s10, sizeof v10);
    memcpy(&v11, &s11, sizeof v11);
    ck_assert_rec_ok(v10(&m, 1));
    ck_assert_str_eq(rec_model_label(m), "user_rating");
    rec_model_free(m);
    ck_assert_rec_ok(v11(&m, 1));
    ck_assert_ptr_null(rec_model_label(m));
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

typedef struct feature_want {
    const char *column;
    rec_feature_kind kind;
    rec_side side;
    rec_column_type type;
    uint32_t dim;
} feature_want;

static void expect_features(const rec_model *m, const feature_want *want, size_t n)
{
    ck_assert_uint_eq(rec_model_n_features(m), n);
    for (uint32_t f = 0; f < n; f++) {
        const char *column = NULL;
        rec_feature_kind kind;
        rec_side side;
        rec_column_type type;
        uint32_t dim;
        ck_assert_rec_ok(rec_model_feature_info(&column, &kind, &side, &type, &dim, m, f));
        ck_assert_str_eq(column, want[f].column);
        ck_assert_int_eq(kind, want[f].kind);
        ck_assert_int_eq(side, want[f].side);
        ck_assert_int_eq(type, want[f].type);
        ck_assert_uint_eq(dim, want[f].dim);
    }
}

START_TEST(test_model_feature_info)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 1));
    static const feature_want enriched[] = {
        {"user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, REC_COLUMN_STRING, 32},
        {"timestamp", REC_FEATURE_BUCKETIZED, REC_SIDE_USER, REC_COLUMN_NUMBER, 32},
        {"timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER, REC_COLUMN_NUMBER, 1},
        {"movie_title", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, REC_COLUMN_STRING, 32},
        {"movie_title", REC_FEATURE_TEXT, REC_SIDE_ITEM, REC_COLUMN_STRING, 32}};
    expect_features(m, enriched, 5);
    ck_assert_rec_ok(rec_model_feature_info(NULL, NULL, NULL, NULL, NULL, m, 4));
    ck_assert_rec_fails(rec_model_feature_info(NULL, NULL, NULL, NULL, NULL, m, 5), REC_EINVAL,
                        "rec_model_feature_info: feature 5 does not exist (5 features)");
    ck_assert_rec_fails(rec_model_feature_info(NULL, NULL, NULL, NULL, NULL, NULL, 0),
                        REC_EINVAL, "rec_model_feature_info: model is NULL");
    /* built or not, the same answers */
    rec_dataset *ds = ml_shaped();
    ck_assert_rec_ok(rec_model_build(m, ds));
    expect_features(m, enriched, 5);
    rec_model_free(m);
    rec_dataset_free(ds);

    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_fails(rec_model_feature_info(NULL, NULL, NULL, NULL, NULL, m, 0), REC_EINVAL,
                        "feature 0 does not exist (0 features)");
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "genres", REC_FEATURE_CATEGORICAL_LIST,
                                           REC_SIDE_ITEM, 6));
    static const feature_want list[] = {
        {"genres", REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, REC_COLUMN_STRING_LIST, 6}};
    expect_features(m, list, 1);
    rec_model_free(m);
}
END_TEST

/* A preset over named columns is the MovieLens preset with other names: same description,
 * and trained on the same values, the same predictions bit for bit. */
START_TEST(test_model_preset_columns_reads_named_columns)
{
    rec_dataset *ml = ml_shaped();
    rec_dataset *named = ml_shaped_named("customer", "sku", "when", "stars", "blurb");
    static const char *const dot_cols[] = {"label", "stars", "item", "sku", "user", "customer",
                                           NULL};
    static const char *const enriched_cols[] = {"user", "customer", "item", "sku", "time",
                                                "when", "text", "blurb", "label", "stars",
                                                NULL};
    const uint32_t rows[8] = {0, 5, 9, 100, 200, 942, 943, 1663};
    rec_dataset *q_ml = NULL, *q_named = NULL;
    ck_assert_rec_ok(rec_dataset_subset(&q_ml, ml, rows, 8));
    ck_assert_rec_ok(rec_dataset_subset(&q_named, named, rows, 8));
    for (int p = REC_PRESET_DOT; p <= REC_PRESET_ENRICHED; p++) {
        rec_model *a, *b;
        ck_assert_rec_ok(rec_model_create_preset(&a, (rec_preset)p, 9));
        ck_assert_rec_ok(rec_model_create_preset_columns(
            &b, (rec_preset)p, p == REC_PRESET_ENRICHED ? enriched_cols : dot_cols, 9));
        ck_assert_str_eq(rec_model_label(b), "stars");
        ck_assert_uint_eq(rec_model_n_features(b), rec_model_n_features(a));
        ck_assert_uint_eq(rec_model_n_layers(b), rec_model_n_layers(a));
        if (p == REC_PRESET_ENRICHED) {
            static const feature_want want[] = {
                {"customer", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, REC_COLUMN_STRING, 32},
                {"when", REC_FEATURE_BUCKETIZED, REC_SIDE_USER, REC_COLUMN_NUMBER, 32},
                {"when", REC_FEATURE_NUMERIC, REC_SIDE_USER, REC_COLUMN_NUMBER, 1},
                {"sku", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, REC_COLUMN_STRING, 32},
                {"blurb", REC_FEATURE_TEXT, REC_SIDE_ITEM, REC_COLUMN_STRING, 32}};
            expect_features(b, want, 5);
        }
        rec_optimizer *oa, *ob;
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&oa, 0.1f));
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&ob, 0.1f));
        ck_assert_rec_ok(rec_model_build(a, ml));
        ck_assert_rec_ok(rec_model_build(b, named));
        ck_assert_rec_ok(rec_model_fit(a, oa, ml, NULL, 2, 256, 256, NULL, NULL));
        ck_assert_rec_ok(rec_model_fit(b, ob, named, NULL, 2, 256, 256, NULL, NULL));
        float pa[8], pb[8];
        ck_assert_rec_ok(rec_model_predict(a, q_ml, pa, 8));
        ck_assert_rec_ok(rec_model_predict(b, q_named, pb, 8));
        ck_assert_mem_eq(pa, pb, sizeof pa);
        rec_optimizer_free(oa);
        rec_optimizer_free(ob);
        rec_model_free(a);
        rec_model_free(b);
    }
    /* text defaults to the item column */
    static const char *const no_text[] = {"user", "u", "item", "i", "time", "t", "label", "y",
                                          NULL};
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset_columns(&m, REC_PRESET_ENRICHED, no_text, 1));
    const char *column = NULL;
    rec_feature_kind kind;
    ck_assert_rec_ok(rec_model_feature_info(&column, &kind, NULL, NULL, NULL, m, 4));
    ck_assert_str_eq(column, "i");
    ck_assert_int_eq(kind, REC_FEATURE_TEXT);
    rec_model_free(m);
    rec_dataset_free(q_ml);
    rec_dataset_free(q_named);
    rec_dataset_free(named);
    rec_dataset_free(ml);
}
END_TEST

START_TEST(test_model_preset_columns_errors)
{
    static const struct {
        rec_preset preset;
        const char *columns[12];
        const char *message;
    } cases[] = {
        {REC_PRESET_DOT, {"user", "u", "item", "i", "label", "y", "colour", "c", NULL},
         "rec_model_create_preset_columns: unknown role 'colour' (the roles are user, item, "
         "label, time and text)"},
        {REC_PRESET_DOT, {"user", "u", "item", "i", "user", "v", "label", "y", NULL},
         "rec_model_create_preset_columns: role 'user' is given twice"},
        {REC_PRESET_DOT, {"user", "u", "label", "y", NULL},
         "rec_model_create_preset_columns: role 'item' is missing (the dot preset needs a "
         "column for it)"},
        {REC_PRESET_ONE_LAYER, {"item", "i", "label", "y", NULL},
         "role 'user' is missing (the one_layer preset needs a column for it)"},
        {REC_PRESET_DOT, {"user", "u", "item", "i", NULL},
         "role 'label' is missing (the dot preset needs a column for it)"},
        {REC_PRESET_ENRICHED, {"user", "u", "item", "i", "label", "y", NULL},
         "role 'time' is missing (the enriched preset needs a column for it)"},
        {REC_PRESET_DOT, {"user", "u", "item", "i", "label", "y", "time", "t", NULL},
         "role 'time' is not read by the dot preset (only by REC_PRESET_ENRICHED)"},
        {REC_PRESET_ONE_LAYER, {"user", "u", "item", "i", "label", "y", "text", "x", NULL},
         "role 'text' is not read by the one_layer preset (only by REC_PRESET_ENRICHED)"},
        {REC_PRESET_DOT, {"user", "u", "item", "i", "label", NULL},
         "role 'label' has no column name: columns holds role, name pairs, then NULL (an odd "
         "count)"},
        {REC_PRESET_DOT, {"user", "", "item", "i", "label", "y", NULL},
         "role 'user' has an empty column name"},
        {REC_PRESET_DOT, {NULL}, "role 'user' is missing"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        rec_model *m = (rec_model *)1;
        ck_assert_rec_fails(rec_model_create_preset_columns(&m, cases[c].preset,
                                                            cases[c].columns, 1),
                            REC_EINVAL, cases[c].message);
        ck_assert_ptr_null(m);
    }
    static const char *const ok[] = {"user", "u", "item", "i", "label", "y", NULL};
    rec_model *m = (rec_model *)1;
    ck_assert_rec_fails(rec_model_create_preset_columns(&m, REC_PRESET_DOT, NULL, 1), REC_EINVAL,
                        "rec_model_create_preset_columns: columns is NULL");
    ck_assert_ptr_null(m);
    ck_assert_rec_fails(rec_model_create_preset_columns(&m, (rec_preset)3, ok, 1), REC_EINVAL,
                        "rec_model_create_preset_columns: unknown preset 3");
    ck_assert_rec_fails(rec_model_create_preset_columns(NULL, REC_PRESET_DOT, ok, 1), REC_EINVAL,
                        "rec_model_create_preset_columns: out is NULL");
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("describe");
    tcase_add_test(tc, test_model_free_null);
    tcase_add_test(tc, test_model_create_errors);
    tcase_add_test(tc, test_model_add_feature_errors);
    tcase_add_test(tc, test_model_feature_setters);
    tcase_add_test(tc, test_model_explicit_boundaries);
    tcase_add_test(tc, test_model_build_errors);
    tcase_add_test(tc, test_model_unbuilt_calls_fail);
    suite_add_tcase(s, tc);
    tc = tcase_create("columns");
    tcase_add_test(tc, test_model_create_has_no_label);
    tcase_add_test(tc, test_model_no_label_errors);
    tcase_add_test(tc, test_model_save_load_unlabelled);
    tcase_add_test(tc, test_model_create_of_1_0_keeps_the_default_label);
    tcase_add_test(tc, test_model_feature_info);
    tcase_add_test(tc, test_model_preset_columns_reads_named_columns);
    tcase_add_test(tc, test_model_preset_columns_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("summary");
    tcase_add_test(tc, test_model_param_counts_match_keras);
    tcase_add_test(tc, test_model_summary_truncates_like_snprintf);
    suite_add_tcase(s, tc);
    tc = tcase_create("train");
    tcase_add_test(tc, test_model_dot_learns);
    tcase_add_test(tc, test_model_rich_mlp_learns);
    tcase_add_test(tc, test_model_training_is_deterministic);
    tcase_add_test(tc, test_model_compute_then_apply);
    tcase_add_test(tc, test_model_fit_reports_and_stops);
    tcase_add_test(tc, test_model_divergence_is_reported);
    suite_add_tcase(s, tc);
    tc = tcase_create("predict");
    tcase_add_test(tc, test_model_predict_from_raw_values);
    tcase_add_test(tc, test_model_recommend_matches_brute_force);
    suite_add_tcase(s, tc);
    tc = tcase_create("beyond");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_model_ext_setters_and_checks);
    tcase_add_test(tc, test_model_fm_and_biased_dot_recover_a_known_answer);
    tcase_add_test(tc, test_model_mcmc_recovers_and_is_reproducible);
    tcase_add_test(tc, test_model_mcmc_errors);
    tcase_add_test(tc, test_model_mcmc_ordered_probit);
    tcase_add_test(tc, test_model_mcmc_ordered_probit_errors);
    tcase_add_test(tc, test_model_mcmc_predictions_equal_across_threads);
    tcase_add_test(tc, test_model_early_stopping_restores_the_best_epoch);
    tcase_add_test(tc, test_model_dropout_and_l2_train);
    tcase_add_test(tc, test_model_summary_of_fm_and_dropout);
    suite_add_tcase(s, tc);

    tc = tcase_create("ml100k");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_model_ml100k_dot_stays_at_saddle);
    tcase_add_test(tc, test_model_ml100k_one_layer_and_enriched);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(model_suite());
}
