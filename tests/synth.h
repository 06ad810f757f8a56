/* A small MovieLens-shaped dataset with a known structure, built through the public API. Most
 * suites take their data from the library's rec_dataset_synthesize (model_fixtures.h,
 * fx_synth); this one stays for the two that need what it has and that one lacks:
 * - test_model's learning tests (check_learns) assert that a model fits the data clearly
 *   better than the label mean (RMSE below 0.8 of the mean predictor's). Here the ratings are
 *   a hidden rank-2 interaction with no bias terms plus a little noise (uniform, ±0.05 ×
 *   label_scale), so a model passes by learning the interaction; the trained models end at
 *   0.07–0.45 of the mean predictor's RMSE. rec_dataset_synthesize's ratings are largely user
 *   and item biases, σ 0.7 noise and rounding to 1..5: the same models end at about 0.75
 *   there, next to the bound, and much of that is the biases.
 * - test_gradcheck compares gradients with float32 finite differences of the loss: labels
 *   centred on label_shift with a small label_scale keep that loss small enough, and users
 *   and items drawn uniformly make the first 16 rows touch most rows of every table
 *   (rec_dataset_synthesize's popularity laws concentrate them on a few).
 * Columns: user_id ("u0"..), movie_title, timestamp, raw_user_age, movie_genres, user_rating;
 * no movie_id. */
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
        uint32_t u = rec_rng_below(rng, (uint32_t)n_users);
        uint32_t i = rec_rng_below(rng, (uint32_t)n_items);
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

#endif
