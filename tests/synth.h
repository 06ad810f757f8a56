/* A small synthetic MovieLens-shaped dataset built through the public API, for model tests
 * that must not depend on the real data. Ratings come from a hidden rank-2 model plus noise,
 * so a model that learns must beat predicting the mean. */
#ifndef REC_TEST_SYNTH_H
#define REC_TEST_SYNTH_H

#include "rec_check.h"

#include <rec.h>
#include <stdio.h>
#include <stdlib.h>

static const char *synth_words[] = {"love", "war", "night", "city", "dark", "star", "the",
                                    "return", "of", "blue", "king", "story"};
static const char *synth_genres[] = {"Action", "Comedy", "Drama", "Horror"};

/* n_users users "u0".., n_items titles "Title i (19xx)", n rows; labels scaled by
 * label_scale around label_shift. Every string is copied by the dataset. */
static rec_dataset *synth_dataset(size_t n_users, size_t n_items, size_t n, uint64_t seed,
                                  double label_shift, double label_scale)
{
    rec_rng *rng = NULL;
    rec_dataset *ds = NULL;
    if (rec_rng_create(&rng, seed) != REC_OK)
        return NULL;
    char **users = calloc(n, sizeof *users), **titles = calloc(n, sizeof *titles);
    const char **genres = calloc(2 * n, sizeof *genres);
    size_t *offsets = calloc(n + 1, sizeof *offsets);
    double *ts = calloc(n, sizeof *ts), *y = calloc(n, sizeof *y), *age = calloc(n, sizeof *age);
    double *uf = calloc(2 * n_users, sizeof *uf), *itf = calloc(2 * n_items, sizeof *itf);
    for (size_t k = 0; k < 2 * n_users; k++)
        uf[k] = rec_rng_uniform(rng) * 2 - 1;
    for (size_t k = 0; k < 2 * n_items; k++)
        itf[k] = rec_rng_uniform(rng) * 2 - 1;
    size_t ng = 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t u = rec_rng_below(rng, (uint32_t)n_users), i = rec_rng_below(rng, (uint32_t)n_items);
        users[r] = malloc(16);
        snprintf(users[r], 16, "u%u", u);
        titles[r] = malloc(64);
        snprintf(titles[r], 64, "%s %s, The (19%02u)", synth_words[i % 12],
                 synth_words[(i / 12) % 12], 50 + i % 50);
        genres[ng++] = synth_genres[i % 4];
        if (i % 3 == 0)
            genres[ng++] = synth_genres[(i + 1) % 4];
        offsets[r + 1] = ng;
        ts[r] = 874724710.0 + 1000.0 * rec_rng_below(rng, 18000);
        age[r] = 18 + u % 50;
        double s = uf[2 * u] * itf[2 * i] + uf[2 * u + 1] * itf[2 * i + 1];
        y[r] = label_shift + label_scale * (s + 0.1 * (rec_rng_uniform(rng) - 0.5));
    }
    int rc = rec_dataset_create(&ds, n);
    if (!rc)
        rc = rec_dataset_add_strings(ds, "user_id", (const char *const *)users, n);
    if (!rc)
        rc = rec_dataset_add_strings(ds, "movie_title", (const char *const *)titles, n);
    if (!rc)
        rc = rec_dataset_add_numbers(ds, "timestamp", ts, n);
    if (!rc)
        rc = rec_dataset_add_numbers(ds, "raw_user_age", age, n);
    if (!rc)
        rc = rec_dataset_add_string_lists(ds, "movie_genres", genres, offsets, n);
    if (!rc)
        rc = rec_dataset_add_numbers(ds, "user_rating", y, n);
    if (rc) {
        rec_dataset_free(ds);
        ds = NULL;
    }
    for (size_t r = 0; r < n; r++) {
        free(users[r]);
        free(titles[r]);
    }
    free(users);
    free(titles);
    free(genres);
    free(offsets);
    free(ts);
    free(y);
    free(age);
    free(uf);
    free(itf);
    rec_rng_free(rng);
    return ds;
}

/* A model with every feature kind on both sides — user: id, timestamp buckets, normalized
 * timestamp, age; item: title, title words, genres — and an MLP of the given hidden widths
 * (activation act) ending in Dense(1). Not built. */
static inline rec_model *synth_rich_model(uint64_t seed, rec_activation act, uint32_t buckets,
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
    return m;
}

#endif
