/* Suite "train_threads": rec_model_set_threads() and training, evaluation and prediction on
 * several threads through the public API: the setting and its errors, results identical
 * between runs for a thread count, close to one thread, and gradients that agree with the
 * one-thread computation (which test_gradcheck checks against finite differences). Data come
 * from rec_dataset_synthesize(). No test looks at wall-clock time. */
#include "model_fixtures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct feat_spec {
    const char *column;
    rec_feature_kind kind;
    rec_side side;
    uint32_t dim;
} feat_spec;

/* An MLP over features f[0..n) with one hidden layer of `units` relu units and a linear
 * one-unit head (unbuilt). */
static rec_model *mlp_of(const feat_spec *f, size_t n, uint32_t units, uint64_t seed)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    for (size_t i = 0; i < n; i++)
        ck_assert_rec_ok(rec_model_add_feature(NULL, m, f[i].column, f[i].kind, f[i].side,
                                               f[i].dim));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
    ck_assert_rec_ok(rec_model_add_layer(m, units, REC_ACTIVATION_RELU));
    ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    return m;
}

/* Every kind of feature: user id, timestamp buckets and value, title id and words, genres. */
static rec_model *rich_model(uint64_t seed)
{
    static const feat_spec f[] = {
        {"user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 8},
        {"timestamp", REC_FEATURE_BUCKETIZED, REC_SIDE_USER, 4},
        {"timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1},
        {"movie_title", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, 8},
        {"movie_title", REC_FEATURE_TEXT, REC_SIDE_ITEM, 8},
        {"movie_genres", REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 4},
    };
    return mlp_of(f, sizeof f / sizeof *f, 16, seed);
}

static rec_model *built(rec_model *m, const rec_dataset *ds, uint32_t threads)
{
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_set_threads(m, threads));
    return m;
}

static rec_model *preset(rec_preset p, const rec_dataset *ds, uint32_t threads)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, p, 42));
    return built(m, ds, threads);
}

/* All weights (embeddings, then dense kernels and biases) in one array; *n gets the count. */
static float *weights_of(const rec_model *m, size_t *n)
{
    size_t at, total = rec_model_n_params(m);
    float *w = fx_params(m, 0, &at);
    ck_assert_uint_eq(at, total);
    *n = total;
    return w;
}

/* All accumulated gradients, in the order of weights_of(). */
static float *grads_of(const rec_model *m, size_t *n)
{
    size_t at;
    float *g = fx_params(m, 1, &at);
    *n = rec_model_n_params(m);
    return g;
}

/* Touched embedding rows of every table, summed. */
static size_t touched_rows(const rec_model *m)
{
    size_t t = 0;
    for (uint32_t f = 0; f < rec_model_n_features(m); f++)
        if (rec_model_feature_embedding(m, f))
            t += rec_embedding_grad_row_count(rec_model_feature_embedding(m, f));
    return t;
}

/* max |a − b| / (max |b| + 1e-3): one scale for a whole gradient, so a coordinate that is
 * tiny because of cancellation does not count as a large relative error. */
static double scaled_diff(const float *a, const float *b, size_t n)
{
    double big = 0.0, diff = 0.0;
    for (size_t i = 0; i < n; i++) {
        big = fmax(big, fabs((double)b[i]));
        diff = fmax(diff, fabs((double)a[i] - (double)b[i]));
    }
    return diff / (big + 1e-3);
}

/* ---- the setting ----------------------------------------------------------------------------- */

START_TEST(test_train_threads_default_is_one)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_uint_eq(rec_model_threads(m), 1);
    rec_model_free(m);
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 1));
    ck_assert_uint_eq(rec_model_threads(m), 1);
    rec_model_free(m);
    ck_assert_uint_eq(rec_model_threads(NULL), 0);
}
END_TEST

START_TEST(test_train_threads_set_and_get)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_set_threads(m, 2));
    ck_assert_uint_eq(rec_model_threads(m), 2);
    ck_assert_rec_ok(rec_model_set_threads(m, 256)); /* the documented maximum */
    ck_assert_uint_eq(rec_model_threads(m), 256);
    ck_assert_rec_ok(rec_model_set_threads(m, 1));
    ck_assert_uint_eq(rec_model_threads(m), 1);
    rec_model_free(m);
}
END_TEST

START_TEST(test_train_threads_set_errors)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_set_threads(m, 3));
    ck_assert_rec_fails(rec_model_set_threads(m, 0), REC_EINVAL,
                        "rec_model_set_threads: n_threads = 0 is outside 1..256");
    ck_assert_rec_fails(rec_model_set_threads(m, 257), REC_EINVAL, "n_threads = 257");
    ck_assert_uint_eq(rec_model_threads(m), 3); /* unchanged by the failures */
    ck_assert_rec_fails(rec_model_set_threads(NULL, 2), REC_EINVAL,
                        "rec_model_set_threads: model is NULL");
    rec_model_free(m);
}
END_TEST

/* ---- results --------------------------------------------------------------------------------- */

/* Two runs with 2 threads, from the same seed, end with the same bits in every weight. */
static void check_identical_runs(rec_preset p, size_t batch)
{
    rec_dataset *ds = fx_synth(6000, 200, 300, 11);
    float *w[2];
    size_t n[2];
    double loss[2];
    for (int run = 0; run < 2; run++) {
        rec_model *m = preset(p, ds, 2);
        rec_optimizer *opt;
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
        for (int e = 0; e < 2; e++)
            ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, batch, &loss[run], NULL));
        w[run] = weights_of(m, &n[run]);
        rec_optimizer_free(opt);
        rec_model_free(m);
    }
    ck_assert_uint_eq(n[0], n[1]);
    ck_assert_msg(memcmp(w[0], w[1], n[0] * sizeof(float)) == 0,
                  "two 2-thread runs of preset %d differ", (int)p);
    ck_assert(loss[0] == loss[1]);
    free(w[0]);
    free(w[1]);
    rec_dataset_free(ds);
}

START_TEST(test_train_threads_two_runs_identical)
{
    check_identical_runs(REC_PRESET_DOT, 512);
    check_identical_runs(REC_PRESET_ONE_LAYER, 1000);
    check_identical_runs(REC_PRESET_ENRICHED, 2048);
}
END_TEST

/* One epoch with 1 and with 2 threads: validation RMSE within 1e-3 (the sums are taken in
 * another order, nothing else changes). */
START_TEST(test_train_threads_close_to_one_thread)
{
    rec_dataset *all = fx_synth(30000, 500, 800, 3), *train, *test;
    ck_assert_rec_ok(rec_dataset_shuffle_split(&train, &test, all, 24000, 3));
    static const rec_preset presets[] = {REC_PRESET_DOT, REC_PRESET_ONE_LAYER,
                                         REC_PRESET_ENRICHED};
    for (int i = 0; i < 3; i++) {
        double rmse[2];
        for (uint32_t t = 1; t <= 2; t++) {
            rec_model *m = preset(presets[i], all, t);
            rec_optimizer *opt;
            ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
            ck_assert_rec_ok(rec_model_fit(m, opt, train, NULL, 1, 2048, 4096, NULL, NULL));
            ck_assert_rec_ok(rec_model_evaluate(m, test, 4096, &rmse[t - 1], NULL));
            rec_optimizer_free(opt);
            rec_model_free(m);
        }
        ck_assert_msg(fabs(rmse[0] - rmse[1]) < 1e-3, "preset %d: RMSE %.6f (1 thread) vs "
                      "%.6f (2 threads)", i, rmse[0], rmse[1]);
        ck_assert(isfinite(rmse[0]));
    }
    rec_dataset_free(train);
    rec_dataset_free(test);
    rec_dataset_free(all);
}
END_TEST

/* A model trained on 2 threads learns: after 3 epochs its RMSE is below the spread of the
 * ratings (what predicting their mean would give). */
START_TEST(test_train_threads_learns)
{
    rec_dataset *all = fx_synth(20000, 300, 400, 8), *train, *test;
    ck_assert_rec_ok(rec_dataset_shuffle_split(&train, &test, all, 16000, 8));
    rec_model *m = preset(REC_PRESET_ENRICHED, all, 2);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_fit(m, opt, train, test, 3, 1024, 4096, NULL, NULL));
    double rmse, s = 0, s2 = 0;
    ck_assert_rec_ok(rec_model_evaluate(m, test, 4096, &rmse, NULL));
    uint32_t col;
    size_t n = rec_dataset_size(test);
    ck_assert_rec_ok(rec_dataset_column(&col, test, "user_rating"));
    for (size_t r = 0; r < n; r++) {
        double y = rec_dataset_number(test, col, r);
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

/* ---- gradients ------------------------------------------------------------------------------- */

/* The gradient of a batch over 2 threads equals the 1-thread gradient up to rounding, touches
 * the same rows, and accumulates over calls the same way. */
START_TEST(test_train_threads_gradients_match_one_thread)
{
    rec_dataset *ds = fx_synth(3000, 40, 60, 5);
    uint32_t rows[1200];
    for (uint32_t i = 0; i < 1200; i++)
        rows[i] = (i * 7) % 3000;
    float *g[2];
    size_t n[2], touched[2];
    double loss[2];
    for (uint32_t t = 1; t <= 2; t++) {
        rec_model *m = built(rich_model(9), ds, t);
        ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, 700, &loss[t - 1]));
        /* a second call adds to the first (rows it touches anew join the touched list) */
        ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows + 700, 500, NULL));
        g[t - 1] = grads_of(m, &n[t - 1]);
        touched[t - 1] = touched_rows(m);
        rec_model_free(m);
    }
    ck_assert_uint_eq(n[0], n[1]);
    ck_assert_uint_eq(touched[0], touched[1]);
    /* up to rounding: on 2 threads layer 0 goes feature by feature over the whole batch, one
     * thread may take one product over the concatenated features (lib/model/layer0.c) */
    ck_assert_double_eq_tol(loss[0], loss[1], 1e-6 * loss[0]);
    double d = scaled_diff(g[1], g[0], n[0]);
    ck_assert_msg(d < 1e-5, "2-thread gradient differs from 1 thread by %.3g", d);
    free(g[0]);
    free(g[1]);
    rec_dataset_free(ds);
}
END_TEST

/* The enriched preset's shape (32-wide embeddings, 64 relu units, a linear head: the
 * register-resident fused pass and kernels/thin.c's products) with a numeric feature as well. */
static rec_model *preset_shaped_model(uint64_t seed)
{
    static const feat_spec f[] = {
        {"user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 32},
        {"timestamp", REC_FEATURE_BUCKETIZED, REC_SIDE_USER, 32},
        {"timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1},
        {"movie_id", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, 32},
        {"movie_title", REC_FEATURE_TEXT, REC_SIDE_ITEM, 32},
    };
    return mlp_of(f, sizeof f / sizeof *f, 64, seed);
}

/* A batch large enough for layer 0 to go key by key (few users and movies, so keys repeat)
 * has the gradient of the same rows taken 16 at a time, which goes example by example:
 * mean-loss gradients of 32 chunks of 16 add up to 32 times the gradient of their 512 rows.
 * With `users` large, the user feature's keys barely repeat and it takes the per-example
 * product inside the keyed pass. */
static void check_keyed_gradient_of(rec_model *(*make)(uint64_t), uint32_t users,
                                    uint32_t threads)
{
    rec_dataset *ds = fx_synth(4000, users, 40, 6);
    uint32_t rows[512];
    for (uint32_t i = 0; i < 512; i++)
        rows[i] = (i * 13) % 4000;
    rec_model *whole = built(make(4), ds, threads);
    rec_model *chunks = built(make(4), ds, 1);
    ck_assert_rec_ok(rec_model_compute_gradients(whole, ds, rows, 512, NULL));
    for (int c = 0; c < 32; c++)
        ck_assert_rec_ok(rec_model_compute_gradients(chunks, ds, rows + 16 * c, 16, NULL));
    size_t n, n2;
    float *gw = grads_of(whole, &n), *gc = grads_of(chunks, &n2);
    ck_assert_uint_eq(n, n2);
    for (size_t i = 0; i < n; i++)
        gc[i] /= 32.0f;
    double d = scaled_diff(gw, gc, n);
    ck_assert_msg(d < 1e-5,
                  "%u thread(s), %u users: gradient of 512 rows differs from 32 x 16 by %.3g",
                  threads, users, d);
    ck_assert_uint_eq(touched_rows(whole), touched_rows(chunks));
    free(gw);
    free(gc);
    rec_model_free(whole);
    rec_model_free(chunks);
    rec_dataset_free(ds);
}

START_TEST(test_train_threads_keyed_layer0_gradient)
{
    for (uint32_t t = 1; t <= 3; t++) {
        check_keyed_gradient_of(rich_model, 30, t);
        check_keyed_gradient_of(preset_shaped_model, 30, t);
        check_keyed_gradient_of(preset_shaped_model, 3000, t);
    }
}
END_TEST

/* Table t's touched rows of m, ordered by row id, as (row, gradient row) records. */
static float *table_grad_by_row(const rec_model *m, size_t t, size_t *n_out, uint32_t *dim_out)
{
    size_t n;
    uint32_t dim;
    ck_assert_rec_ok(rec_model_grad_table_shape(NULL, &dim, &n, m, t));
    uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
    float *g = malloc((n ? n : 1) * dim * sizeof *g), *out = malloc((n ? n : 1) * dim * sizeof *g);
    ck_assert_ptr_nonnull(rows);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(out);
    ck_assert_rec_ok(rec_model_grad_table_get(rows, g, n, &n, m, t));
    /* selection by row id: the tables are small */
    size_t k = 0;
    for (uint32_t r = 0; k < n; r++)
        for (size_t i = 0; i < n; i++)
            if (rows[i] == r)
                memcpy(out + dim * k++, g + dim * i, dim * sizeof *g);
    free(rows);
    free(g);
    *n_out = n;
    *dim_out = dim;
    return out;
}

/* ---- L2, dropout and the factorized interactions on T threads ------------------------------ */

/* Every accumulated gradient through the gradient API, which covers every parameter (the linear
 * tables, factor vectors and global bias included): the dense part, then each table's touched
 * rows by row id. *n gets the count; *rows the touched rows of all tables. */
static float *api_grads(const rec_model *m, size_t *n, size_t *rows)
{
    size_t nd = rec_model_grad_dense_size(m), total = nd, at = nd;
    *rows = 0;
    float *g = malloc((nd ? nd : 1) * sizeof *g);
    ck_assert_ptr_nonnull(g);
    ck_assert_rec_ok(rec_model_grad_dense_get(g, nd, m));
    for (size_t t = 0; t < rec_model_grad_n_tables(m); t++) {
        size_t k;
        uint32_t dim;
        float *tg = table_grad_by_row(m, t, &k, &dim);
        total += k * dim;
        g = realloc(g, (total ? total : 1) * sizeof *g);
        ck_assert_ptr_nonnull(g);
        memcpy(g + at, tg, k * dim * sizeof *g);
        at = total;
        *rows += k;
        free(tg);
    }
    *n = total;
    return g;
}

/* The models that trained on one thread only before their parameters joined the threaded
 * paths: L2 on the generic path (a two-hidden-layer MLP), on the feature-parallel MLP (one
 * hidden layer) and on the DOT pair with tables too large for one core's cache (the owner
 * path); BIASED_DOT and FM (with a numeric factor vector, text and a list) on the generic
 * path. */
static rec_model *regularized(int kind, uint64_t seed)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    switch (kind) {
    case 0: /* generic path: two hidden layers */
        ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                               REC_SIDE_USER, 8));
        ck_assert_rec_ok(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC,
                                               REC_SIDE_USER, 1));
        ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_TEXT,
                                               REC_SIDE_ITEM, 8));
        ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
        ck_assert_rec_ok(rec_model_add_layer(m, 16, REC_ACTIVATION_RELU));
        ck_assert_rec_ok(rec_model_add_layer(m, 8, REC_ACTIVATION_TANH));
        ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
        ck_assert_rec_ok(rec_model_feature_set_l2(m, 0, 1e-2f, 0.0f));
        ck_assert_rec_ok(rec_model_feature_set_l2(m, 2, 2e-2f, 0.0f));
        ck_assert_rec_ok(rec_model_layer_set_l2(m, 0, 1e-2f));
        ck_assert_rec_ok(rec_model_layer_set_l2(m, 2, 1e-2f));
        break;
    case 1: /* the feature-parallel MLP: the one_layer preset's shape */
        rec_model_free(m);
        ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ONE_LAYER, seed));
        ck_assert_rec_ok(rec_model_feature_set_l2(m, 0, 1e-2f, 0.0f));
        ck_assert_rec_ok(rec_model_feature_set_l2(m, 1, 2e-2f, 0.0f));
        ck_assert_rec_ok(rec_model_layer_set_l2(m, 0, 1e-2f));
        ck_assert_rec_ok(rec_model_layer_set_l2(m, 1, 3e-2f));
        break;
    case 2: /* the DOT pair */
        rec_model_free(m);
        ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, seed));
        ck_assert_rec_ok(rec_model_feature_set_l2(m, 0, 1e-2f, 0.0f));
        ck_assert_rec_ok(rec_model_feature_set_l2(m, 1, 2e-2f, 0.0f));
        break;
    case 3:
    case 4: /* BIASED_DOT, FM */
        ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                               REC_SIDE_USER, 8));
        if (kind == 4) {
            ck_assert_rec_ok(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC,
                                                   REC_SIDE_USER, 1));
            ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_TEXT,
                                                   REC_SIDE_ITEM, 8));
        } else {
            ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title",
                                                   REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, 8));
        }
        ck_assert_rec_ok(rec_model_set_interaction(m, kind == 4 ? REC_INTERACTION_FM
                                                                : REC_INTERACTION_BIASED_DOT));
        ck_assert_rec_ok(rec_model_feature_set_l2(m, 0, 1e-2f, 2e-2f));
        break;
    }
    return m;
}

static const char *const regularized_name[] = {"L2, generic path", "L2, feature-parallel MLP",
                                               "L2, DOT owner path", "BIASED_DOT", "FM"};

/* On 2 and 3 threads, these models' gradients (L2 included, every parameter through the
 * gradient API) equal one thread's up to rounding, over the same rows, and two runs on the same
 * thread count give the same bits. */
START_TEST(test_train_threads_regularized_and_factorized_match_one_thread)
{
    rec_dataset *small = fx_synth(3000, 40, 60, 5);
    /* the owner path needs tables beyond a core's cache: ~50k users and movies */
    rec_dataset *large = fx_synth(12000, 30000, 20000, 5);
    uint32_t rows[1200];
    for (int kind = 0; kind < 5; kind++) {
        const rec_dataset *ds = kind == 2 ? large : small;
        const uint32_t n = (uint32_t)rec_dataset_size(ds);
        for (uint32_t i = 0; i < 1200; i++)
            rows[i] = (i * 7) % n;
        float *g1 = NULL;
        size_t n1 = 0, r1 = 0;
        for (uint32_t t = 1; t <= 3; t++) {
            float *g[2];
            size_t ng[2], nr[2];
            for (int run = 0; run < 2; run++) {
                rec_model *m = built(regularized(kind, 9), ds, t);
                /* a second call adds to the first, L2 included */
                ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, 700, NULL));
                ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows + 700, 500, NULL));
                g[run] = api_grads(m, &ng[run], &nr[run]);
                rec_model_free(m);
            }
            ck_assert_uint_eq(ng[0], ng[1]);
            ck_assert_msg(memcmp(g[0], g[1], ng[0] * sizeof(float)) == 0,
                          "%s: two runs on %u threads differ", regularized_name[kind], t);
            if (t == 1) {
                g1 = g[0];
                n1 = ng[0];
                r1 = nr[0];
            } else {
                ck_assert_uint_eq(nr[0], r1);
                ck_assert_uint_eq(ng[0], n1);
                double d = scaled_diff(g[0], g1, n1);
                /* the owner path adds each row's terms in the order of one thread */
                ck_assert_msg(kind == 2 ? d == 0.0 : d < 1e-5, "%s: the gradient on %u "
                              "threads differs from one thread's by %.3g",
                              regularized_name[kind], t, d);
                free(g[0]);
            }
            free(g[1]);
        }
        free(g1);
    }
    rec_dataset_free(small);
    rec_dataset_free(large);
}
END_TEST

/* Training with these models on 2 and 3 threads follows one thread: the weights after two
 * epochs (through the saved file's predictions) are close, and two runs are identical. */
START_TEST(test_train_threads_regularized_training_follows_one_thread)
{
    rec_dataset *ds = fx_synth(4000, 50, 80, 3);
    for (int kind = 0; kind < 5; kind++) {
        if (kind == 2)
            continue; /* the DOT pair's owner path is bitwise equal to one thread (below) */
        float *p1 = NULL;
        for (uint32_t t = 1; t <= 3; t++) {
            float *p[2];
            for (int run = 0; run < 2; run++) {
                rec_model *m = built(regularized(kind, 4), ds, t);
                rec_optimizer *opt;
                ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.05f));
                ck_assert_rec_ok(rec_model_fit(m, opt, ds, NULL, 2, 512, 0, NULL, NULL));
                p[run] = fx_predictions(m, ds);
                rec_optimizer_free(opt);
                rec_model_free(m);
            }
            ck_assert_msg(memcmp(p[0], p[1], rec_dataset_size(ds) * sizeof(float)) == 0,
                          "%s: two trainings on %u threads differ", regularized_name[kind], t);
            free(p[1]);
            if (t == 1) {
                p1 = p[0];
                continue;
            }
            double d = fx_max_abs_diff(p[0], p1, rec_dataset_size(ds));
            ck_assert_msg(d < 1e-3, "%s: predictions after training on %u threads differ from "
                          "one thread's by %.3g", regularized_name[kind], t, d);
            free(p[0]);
        }
        free(p1);
    }
    rec_dataset_free(ds);
}
END_TEST

/* Dropout on T threads: each thread draws its slice's masks from a generator seeded per batch
 * from the model's, so a thread count gives the same training every run, and the training
 * still learns (its masks are not those of one thread, so the bits are not one thread's). */
START_TEST(test_train_threads_dropout)
{
    rec_dataset *ds = fx_synth(4000, 50, 80, 3);
    for (uint32_t t = 2; t <= 3; t++) {
        double loss[2][3];
        float *p[2];
        for (int run = 0; run < 2; run++) {
            rec_model *m = regularized(0, 4);
            ck_assert_rec_ok(rec_model_layer_set_dropout(m, 0, 0.3f));
            ck_assert_rec_ok(rec_model_layer_set_dropout(m, 1, 0.2f));
            m = built(m, ds, t);
            rec_optimizer *opt;
            ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.05f));
            for (int e = 0; e < 3; e++)
                ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 256, &loss[run][e], NULL));
            p[run] = fx_predictions(m, ds);
            rec_optimizer_free(opt);
            rec_model_free(m);
        }
        ck_assert_msg(memcmp(p[0], p[1], rec_dataset_size(ds) * sizeof(float)) == 0,
                      "dropout: two trainings on %u threads differ", t);
        for (int e = 0; e < 3; e++)
            ck_assert(loss[0][e] == loss[1][e]);
        ck_assert_msg(loss[0][2] < loss[0][0], "dropout on %u threads: loss %g then %g", t,
                      loss[0][0], loss[0][2]);
        free(p[0]);
        free(p[1]);
    }
    rec_dataset_free(ds);
}
END_TEST

/* On 2 and 3 threads, the presets' shape goes feature by feature with each keyed feature's Δ
 * rebuilt by its owner from the fused pass's hand-off (∂L/∂ŷ and relu′ bits,
 * lib/train/fast_mlp.c): the embedding tables' gradients are then the very bits of one thread. */
START_TEST(test_train_threads_feature_parallel_tables_bitwise)
{
    rec_dataset *ds = fx_synth(4000, 30, 40, 6);
    uint32_t rows[512];
    for (uint32_t i = 0; i < 512; i++)
        rows[i] = (i * 13) % 4000;
    rec_model *one = built(preset_shaped_model(4), ds, 1);
    ck_assert_rec_ok(rec_model_compute_gradients(one, ds, rows, 512, NULL));
    for (uint32_t t = 2; t <= 3; t++) {
        rec_model *m = built(preset_shaped_model(4), ds, t);
        ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, 512, NULL));
        ck_assert_uint_eq(rec_model_grad_n_tables(m), 4);
        for (size_t tb = 0; tb < rec_model_grad_n_tables(m); tb++) {
            size_t n1, n2;
            uint32_t d1, d2;
            float *a = table_grad_by_row(one, tb, &n1, &d1);
            float *b = table_grad_by_row(m, tb, &n2, &d2);
            ck_assert_uint_eq(n1, n2);
            ck_assert_uint_gt(n1, 0);
            ck_assert_msg(memcmp(a, b, n1 * d1 * sizeof *a) == 0,
                          "table %zu gradient on %u threads differs from 1 thread", tb, t);
            free(a);
            free(b);
        }
        rec_model_free(m);
    }
    rec_model_free(one);
    rec_dataset_free(ds);
}
END_TEST

/* In an epoch on 2 and 3 threads the feature-parallel path gathers each batch's records at
 * the end of the previous batch (lib/train/fast_mlp.c). With a learning rate too small to move
 * a weight, every batch's loss is that of fixed weights, so an epoch's loss must be the
 * training set's mean squared error whatever the order: a record gathered wrong, or left
 * over from another epoch's order, would change it by ~1e-4. 4,100 examples in batches of
 * 500 end with a 100-example batch, which runs on one thread (a slice would be below
 * REC__TRAIN_MIN_SLICE), and two epochs reshuffle the order between them. */
START_TEST(test_train_threads_records_gathered_ahead)
{
    rec_dataset *ds = fx_synth(4100, 30, 40, 9);
    for (uint32_t t = 2; t <= 3; t++) {
        rec_model *m = built(preset_shaped_model(4), ds, t);
        rec_optimizer *opt;
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 1e-30f));
        double rmse, loss[2];
        ck_assert_rec_ok(rec_model_evaluate(m, ds, 512, &rmse, NULL));
        for (int e = 0; e < 2; e++) {
            ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 500, &loss[e], NULL));
            /* the per-key first layer rounds differently from evaluation's: 1e-6 */
            ck_assert_msg(fabs(loss[e] - rmse * rmse) <= 1e-6 * rmse * rmse,
                          "%u threads, epoch %d: loss %.9g, mean squared error %.9g", t, e + 1,
                          loss[e], rmse * rmse);
        }
        rec_optimizer_free(opt);
        rec_model_free(m);
    }
    rec_dataset_free(ds);
}
END_TEST

/* One epoch (batches of 500) of the preset p, or (p < 0) of rich_model(2), on 1 and on 2
 * threads, with Adam (adam) or Adagrad at lr: the scaled difference of the final weights. */
static double epoch_two_threads_vs_one(const rec_dataset *ds, int p, int adam, float lr)
{
    float *w[2];
    size_t n[2];
    for (uint32_t t = 1; t <= 2; t++) {
        rec_model *m = p >= 0 ? preset((rec_preset)p, ds, t) : built(rich_model(2), ds, t);
        rec_optimizer *opt;
        if (adam)
            ck_assert_rec_ok(rec_optimizer_create_adam(&opt, lr));
        else
            ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, lr));
        ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 500, NULL, NULL));
        w[t - 1] = weights_of(m, &n[t - 1]);
        rec_optimizer_free(opt);
        rec_model_free(m);
    }
    double d = scaled_diff(w[1], w[0], n[0]);
    free(w[0]);
    free(w[1]);
    return d;
}

/* Training steps on 2 threads (parallel update) follow the 1-thread steps closely. */
START_TEST(test_train_threads_steps_match_one_thread)
{
    rec_dataset *ds = fx_synth(5000, 50, 80, 12);
    double d = epoch_two_threads_vs_one(ds, -1, 0, 0.05f);
    ck_assert_msg(d < 1e-4, "weights after an epoch: 2 threads differ from 1 by %.3g", d);
    rec_dataset_free(ds);
}
END_TEST

/* Adam's bias correction counts the steps of each parameter: the threads' parallel updates
 * must count one step per batch, as one thread does (DOT, the feature-parallel MLP and the
 * sliced path all update through views of the parameters). */
START_TEST(test_train_threads_adam_steps_match_one_thread)
{
    rec_dataset *ds = fx_synth(5000, 50, 80, 12);
    static const int models[] = {REC_PRESET_DOT, REC_PRESET_ONE_LAYER, -1 /* rich_model */};
    for (int i = 0; i < 3; i++) {
        double d = epoch_two_threads_vs_one(ds, models[i], 1, 0.01f);
        ck_assert_msg(d < 1e-4, "model %d, Adam: 2 threads differ from 1 by %.3g", i, d);
    }
    rec_dataset_free(ds);
}
END_TEST

/* Training the preset p on 2 threads with a learning rate of 1e30 (SGD if sgd, else
 * Adagrad) fails within 5 epochs with REC_ENUMERIC and says it diverged. */
static void check_divergence_reported(rec_preset p, int sgd)
{
    rec_dataset *ds = fx_synth(4000, 30, 40, 7);
    rec_model *m = preset(p, ds, 2);
    rec_optimizer *opt;
    if (sgd)
        ck_assert_rec_ok(rec_optimizer_create_sgd(&opt, 1e30f));
    else
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 1e30f));
    rec_status rc = REC_OK;
    for (int e = 0; e < 5 && rc == REC_OK; e++)
        rc = rec_model_train_epoch(m, opt, ds, 512, NULL, NULL);
    ck_assert_int_eq(rc, REC_ENUMERIC);
    ck_assert_ptr_nonnull(strstr(rec_last_error(), "rec_model_train_epoch"));
    ck_assert_ptr_nonnull(strstr(rec_last_error(), "diverged"));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}

START_TEST(test_train_threads_divergence_is_reported)
{
    check_divergence_reported(REC_PRESET_ONE_LAYER, 0);
}
END_TEST

/* The DOT model on T threads accumulates each embedding row on the thread that owns it, in
 * the batch's order (lib/train/fast_dot.c): gradients, touched rows and weights are then the very
 * bits of one thread, for every T, through fit and through compute + apply. */
START_TEST(test_train_threads_dot_bitwise_equal_across_threads)
{
    /* tables of > 2 MB, so that 2, 3 and 5 threads take the owner path (below, DOT trains on
     * one thread whatever the setting) */
    rec_dataset *ds = fx_synth(30000, 12000, 9000, 21);
    uint32_t rows[1500];
    for (uint32_t i = 0; i < 1500; i++)
        rows[i] = (i * 11) % 30000;
    /* 5 threads: each thread files its entries under 5 owners, 10 lists and lengths */
    static const uint32_t counts[] = {1, 2, 3, 5};
    enum { N_COUNTS = sizeof counts / sizeof counts[0] };
    float *w[N_COUNTS], *g[N_COUNTS];
    size_t n[N_COUNTS], ng[N_COUNTS], touched[N_COUNTS];
    double loss[N_COUNTS];
    for (uint32_t c = 0; c < N_COUNTS; c++) {
        rec_model *m = preset(REC_PRESET_DOT, ds, counts[c]);
        rec_optimizer *opt;
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
        ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 1000, &loss[c], NULL));
        /* two calls accumulate; then one update from what they left */
        ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, 900, NULL));
        ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows + 900, 600, NULL));
        g[c] = grads_of(m, &ng[c]);
        touched[c] = touched_rows(m);
        ck_assert_rec_ok(rec_model_apply_gradients(m, opt));
        ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 700, NULL, NULL));
        w[c] = weights_of(m, &n[c]);
        rec_optimizer_free(opt);
        rec_model_free(m);
    }
    for (int t = 1; t < N_COUNTS; t++) {
        ck_assert_uint_eq(n[t], n[0]);
        ck_assert_uint_eq(ng[t], ng[0]);
        ck_assert_uint_eq(touched[t], touched[0]);
        ck_assert_msg(memcmp(g[t], g[0], ng[0] * sizeof(float)) == 0,
                      "DOT gradient on %u threads differs from 1 thread", counts[t]);
        ck_assert_msg(memcmp(w[t], w[0], n[0] * sizeof(float)) == 0,
                      "DOT weights on %u threads differ from 1 thread", counts[t]);
        /* the loss is summed per slice, so only up to rounding */
        ck_assert_double_eq_tol(loss[t], loss[0], 1e-9 * (1.0 + loss[0]));
    }
    for (int t = 0; t < N_COUNTS; t++) {
        free(w[t]);
        free(g[t]);
    }
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_train_threads_dot_divergence_is_reported)
{
    check_divergence_reported(REC_PRESET_DOT, 1);
}
END_TEST

/* ---- evaluation and prediction --------------------------------------------------------------- */

/* Evaluation and prediction on 1, 2 and 3 threads agree: each prediction is computed alone
 * (only the sums of errors are taken in another order). */
START_TEST(test_train_threads_evaluate_and_predict_agree)
{
    rec_dataset *ds = fx_synth(9000, 100, 150, 21);
    rec_model *m = preset(REC_PRESET_ENRICHED, ds, 1);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 1024, NULL, NULL));
    size_t n = rec_dataset_size(ds);
    float *p[3];
    double rmse[3], mae[3];
    for (uint32_t t = 1; t <= 3; t++) {
        ck_assert_rec_ok(rec_model_set_threads(m, t));
        p[t - 1] = malloc(n * sizeof(float));
        ck_assert_rec_ok(rec_model_predict(m, ds, p[t - 1], n));
        ck_assert_rec_ok(rec_model_evaluate(m, ds, 1000, &rmse[t - 1], &mae[t - 1]));
    }
    for (int t = 1; t < 3; t++) {
        ck_assert_double_eq_tol(rmse[t], rmse[0], 1e-9);
        ck_assert_double_eq_tol(mae[t], mae[0], 1e-9);
        for (size_t r = 0; r < n; r++)
            ck_assert_float_eq_tol(p[t][r], p[0][r], 1e-6f);
    }
    /* RMSE from the predictions, by hand: sqrt(Σ (p − y)² / n) */
    uint32_t col;
    ck_assert_rec_ok(rec_dataset_column(&col, ds, "user_rating"));
    double s = 0;
    for (size_t r = 0; r < n; r++) {
        double e = p[1][r] - rec_dataset_number(ds, col, r);
        s += e * e;
    }
    ck_assert_double_eq_tol(sqrt(s / n), rmse[1], 1e-6);
    for (int t = 0; t < 3; t++)
        free(p[t]);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* A copy of ds's enriched columns (user_id, movie_title, timestamp, user_rating), with the
 * label of row `bad` replaced by NaN (none if bad >= the row count) and without the title
 * column if no_title. */
static rec_dataset *enriched_copy(const rec_dataset *ds, size_t bad, int no_title)
{
    size_t n = rec_dataset_size(ds);
    uint32_t cu, ct, cs, cy;
    ck_assert_rec_ok(rec_dataset_column(&cu, ds, "user_id"));
    ck_assert_rec_ok(rec_dataset_column(&ct, ds, "movie_title"));
    ck_assert_rec_ok(rec_dataset_column(&cs, ds, "timestamp"));
    ck_assert_rec_ok(rec_dataset_column(&cy, ds, "user_rating"));
    const char **u = malloc(n * sizeof *u), **t = malloc(n * sizeof *t);
    double *ts = malloc(n * sizeof *ts), *y = malloc(n * sizeof *y);
    ck_assert(u && t && ts && y);
    for (size_t r = 0; r < n; r++) {
        u[r] = rec_dataset_string(ds, cu, r);
        t[r] = rec_dataset_string(ds, ct, r);
        ts[r] = rec_dataset_number(ds, cs, r);
        y[r] = r == bad ? NAN : rec_dataset_number(ds, cy, r);
    }
    rec_dataset *out;
    ck_assert_rec_ok(rec_dataset_create(&out, n));
    ck_assert_rec_ok(rec_dataset_add_strings(out, "user_id", u, n));
    if (!no_title)
        ck_assert_rec_ok(rec_dataset_add_strings(out, "movie_title", t, n));
    ck_assert_rec_ok(rec_dataset_add_numbers(out, "timestamp", ts, n));
    ck_assert_rec_ok(rec_dataset_add_numbers(out, "user_rating", y, n));
    free(u);
    free(t);
    free(ts);
    free(y);
    return out;
}

/* On two threads evaluation and prediction build the feature set on both (the titles are
 * tokenized by thread 1 while thread 0 makes the other columns, lib/model/featset.c): the same
 * predictions as one thread, bit for bit, and the same errors, raised on the caller's thread. */
START_TEST(test_train_threads_feature_set_on_two_threads)
{
    rec_dataset *ds = fx_synth(9000, 100, 150, 21);
    rec_model *m = preset(REC_PRESET_ENRICHED, ds, 1);
    size_t n = rec_dataset_size(ds);
    float *p[2];
    for (uint32_t t = 1; t <= 2; t++) {
        ck_assert_rec_ok(rec_model_set_threads(m, t));
        p[t - 1] = malloc(n * sizeof(float));
        ck_assert_ptr_nonnull(p[t - 1]);
        ck_assert_rec_ok(rec_model_predict(m, ds, p[t - 1], n));
    }
    ck_assert_msg(memcmp(p[0], p[1], n * sizeof(float)) == 0,
                  "predictions on 2 threads differ from 1 thread");
    rec_dataset *nan_label = enriched_copy(ds, 7000, 0), *no_title = enriched_copy(ds, n, 1);
    double rmse;
    for (uint32_t t = 1; t <= 2; t++) {
        ck_assert_rec_ok(rec_model_set_threads(m, t));
        ck_assert_rec_fails(rec_model_evaluate(m, nan_label, 4096, &rmse, NULL), REC_ENUMERIC,
                            "rec_model_evaluate: label 'user_rating' is missing or not finite "
                            "at row 7000");
        ck_assert_rec_fails(rec_model_evaluate(m, no_title, 4096, &rmse, NULL), REC_ENOTFOUND,
                            "rec_model_evaluate: the dataset has no column 'movie_title'");
        ck_assert_rec_fails(rec_model_predict(m, no_title, p[0], n), REC_ENOTFOUND,
                            "rec_model_predict: the dataset has no column 'movie_title'");
    }
    free(p[0]);
    free(p[1]);
    rec_dataset_free(nan_label);
    rec_dataset_free(no_title);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* More threads than examples: the extra threads get nothing to do, results stay right. */
START_TEST(test_train_threads_more_threads_than_rows)
{
    rec_dataset *ds = fx_synth(50, 5, 7, 1);
    rec_model *m = preset(REC_PRESET_ENRICHED, ds, 8);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    double loss;
    ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 7, &loss, NULL));
    ck_assert(isfinite(loss));
    float p[50];
    ck_assert_rec_ok(rec_model_predict(m, ds, p, 50));
    double rmse;
    ck_assert_rec_ok(rec_model_evaluate(m, ds, 3, &rmse, NULL));
    ck_assert(isfinite(rmse));
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

static Suite *train_threads_suite(void)
{
    Suite *s = suite_create("train_threads");
    TCase *tc = tcase_create("setting");
    tcase_add_test(tc, test_train_threads_default_is_one);
    tcase_add_test(tc, test_train_threads_set_and_get);
    tcase_add_test(tc, test_train_threads_set_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("results");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_train_threads_two_runs_identical);
    tcase_add_test(tc, test_train_threads_close_to_one_thread);
    tcase_add_test(tc, test_train_threads_learns);
    suite_add_tcase(s, tc);
    tc = tcase_create("gradients");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_train_threads_gradients_match_one_thread);
    tcase_add_test(tc, test_train_threads_keyed_layer0_gradient);
    tcase_add_test(tc, test_train_threads_feature_parallel_tables_bitwise);
    tcase_add_test(tc, test_train_threads_regularized_and_factorized_match_one_thread);
    tcase_add_test(tc, test_train_threads_regularized_training_follows_one_thread);
    tcase_add_test(tc, test_train_threads_dropout);
    tcase_add_test(tc, test_train_threads_records_gathered_ahead);
    tcase_add_test(tc, test_train_threads_steps_match_one_thread);
    tcase_add_test(tc, test_train_threads_divergence_is_reported);
    tcase_add_test(tc, test_train_threads_dot_bitwise_equal_across_threads);
    tcase_add_test(tc, test_train_threads_dot_divergence_is_reported);
    tcase_add_test(tc, test_train_threads_adam_steps_match_one_thread);
    suite_add_tcase(s, tc);
    tc = tcase_create("predict");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_train_threads_evaluate_and_predict_agree);
    tcase_add_test(tc, test_train_threads_feature_set_on_two_threads);
    tcase_add_test(tc, test_train_threads_more_threads_than_rows);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(train_threads_suite());
}
