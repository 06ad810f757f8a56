/* Model and dataset fixtures shared by the suites that train models on
 * rec_dataset_synthesize() data (test_model, test_gradcheck, test_serialize, test_threads,
 * test_gradient, test_train_threads, test_features, tests/mpi/test_mpi). Header-only: every
 * function is static inline, so a suite that does not use one gets no unused-function
 * warning. */
#ifndef REC_TEST_MODEL_FIXTURES_H
#define REC_TEST_MODEL_FIXTURES_H

#include "rec_check.h"

#include <math.h>
#include <stdlib.h>

/* rec_dataset_synthesize(n, users, movies, seed), asserted. */
static inline rec_dataset *fx_synth(size_t n, uint32_t users, uint32_t movies, uint64_t seed)
{
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(rec_dataset_synthesize(&ds, n, users, movies, seed));
    return ds;
}

/* fx_synth with a raw_user_age column as well, 18 + (user id mod 50), the same on all of a
 * user's rows as in MovieLens: rec_dataset_synthesize has no age, and the models below with a
 * second NUMERIC feature (fx_rich_model and others) read one. */
static inline rec_dataset *fx_synth_with_age(size_t n, uint32_t users, uint32_t movies,
                                             uint64_t seed)
{
    rec_dataset *ds = fx_synth(n, users, movies, seed);
    uint32_t c;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, "user_id"));
    double *age = malloc(n * sizeof *age);
    ck_assert_ptr_nonnull(age);
    for (size_t r = 0; r < n; r++)
        age[r] = 18.0 + (double)(strtoul(rec_dataset_string(ds, c, r), NULL, 10) % 50);
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "raw_user_age", age, n));
    free(age);
    return ds;
}

/* A model with every feature kind on both sides — user: id, timestamp buckets, normalized
 * timestamp, age; item: title, title words, genres — and an MLP of the given hidden widths
 * (activation act) ending in Dense(1). Not built; it needs fx_synth_with_age's columns. */
static inline rec_model *fx_rich_model(uint64_t seed, rec_activation act, uint32_t buckets,
                                       uint32_t max_tokens, const uint32_t *hidden,
                                       size_t n_hidden)
{
    rec_model *m;
    uint32_t f;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_feature_set_bucket_count(m, f, buckets));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_title", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_feature_set_max_tokens(m, f, max_tokens));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_genres",
                                           REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
    for (size_t l = 0; l < n_hidden; l++)
        ck_assert_rec_ok(rec_model_add_layer(m, hidden[l], act));
    ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    return m;
}

/* The ENRICHED preset, built on ds. */
static inline rec_model *fx_enriched(const rec_dataset *ds, uint64_t seed)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, seed));
    ck_assert_rec_ok(rec_model_build(m, ds));
    return m;
}

/* A factorized model (interaction `kind`: BIASED_DOT or FM) built on ds: user_id (8) and a
 * NUMERIC timestamp on the user side, movie_title as `title_kind` of `title_dim` on the item
 * side. */
static inline rec_model *fx_factorized(const rec_dataset *ds, rec_interaction kind,
                                       rec_feature_kind title_kind, uint32_t title_dim,
                                       uint64_t seed)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 8));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", title_kind, REC_SIDE_ITEM,
                                           title_dim));
    ck_assert_rec_ok(rec_model_set_interaction(m, kind));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_build(m, ds));
    return m;
}

/* Every prediction of the model on ds (malloc'd). */
static inline float *fx_predictions(const rec_model *m, const rec_dataset *ds)
{
    size_t n = rec_dataset_size(ds);
    float *p = malloc(n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    ck_assert_rec_ok(rec_model_predict(m, ds, p, n));
    return p;
}

/* The embedding tables, then every dense kernel and bias, concatenated in one array of
 * rec_model_n_params(m) floats: the weights, or (grads) the accumulated gradients. *at gets
 * the count of values written. */
static inline float *fx_params(const rec_model *m, int grads, size_t *at)
{
    size_t total = rec_model_n_params(m);
    float *w = malloc(total * sizeof *w);
    ck_assert_ptr_nonnull(w);
    *at = 0;
    for (uint32_t f = 0; f < rec_model_n_features(m); f++) {
        const rec_embedding *e = rec_model_feature_embedding(m, f);
        if (!e)
            continue;
        size_t k = (size_t)rec_embedding_rows(e) * rec_embedding_dim(e);
        if (grads)
            ck_assert_rec_ok(rec_embedding_get_grad(e, w + *at, k));
        else
            ck_assert_rec_ok(rec_embedding_get_weights(e, w + *at, k));
        *at += k;
    }
    for (size_t l = 0; l < rec_model_n_layers(m); l++) {
        const rec_dense *d = rec_model_layer(m, l);
        size_t nk = (size_t)rec_dense_n_in(d) * rec_dense_n_out(d), nb = rec_dense_n_out(d);
        if (grads)
            ck_assert_rec_ok(rec_dense_get_grad(d, w + *at, nk, w + *at + nk, nb));
        else
            ck_assert_rec_ok(rec_dense_get_weights(d, w + *at, nk, w + *at + nk, nb));
        *at += nk + nb;
    }
    return w;
}

/* Embedding and dense weights, concatenated (what the public getters reach); *n gets the
 * count. */
static inline float *fx_weights_of(const rec_model *m, size_t *n)
{
    return fx_params(m, 0, n);
}

static inline double fx_max_abs_diff(const float *a, const float *b, size_t n)
{
    double d = 0.0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs((double)a[i] - (double)b[i]));
    return d;
}

/* 0..n-1 shuffled by a rec_rng seeded with seed (malloc'd). */
static inline uint32_t *fx_shuffled(size_t n, uint64_t seed)
{
    uint32_t *order = malloc(n * sizeof *order);
    ck_assert_ptr_nonnull(order);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    rec_rng *rng;
    ck_assert_rec_ok(rec_rng_create(&rng, seed));
    ck_assert_rec_ok(rec_rng_shuffle_u32(rng, order, n));
    rec_rng_free(rng);
    return order;
}

#endif
