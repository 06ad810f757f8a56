/**
 * @file rec/synth.h
 * @defgroup synth Synthetic MovieLens-shaped data
 * Datasets of any size with the columns of the MovieLens loader that the tutorial's models
 * read, for benchmarks and scale tests where the real data is too small or unavailable
 * (MovieLens 25M may not be redistributed).
 *
 * Columns (in this order):
 * | column | type | content |
 * |---|---|---|
 * | user_id | string | "1" .. n_users |
 * | movie_id | string | "1" .. n_movies |
 * | movie_title | string | unique per movie: 1–5 capitalised words, a year: "Mira Kel (1987)" |
 * | movie_genres | string list | 1–3 of the 18 MovieLens genres, Drama and Comedy the most common |
 * | timestamp | number | seconds, within 1995-01-09 .. 2019-11-21 (the MovieLens 25M span) |
 * | user_rating | number | integer 1..5 |
 *
 * How the ratings are drawn, all from one xoshiro256** stream seeded with seed:
 * - movie popularity follows a Zipf–Mandelbrot law with an exponential cut-off,
 *   p(rank) ∝ e^(−rank / (0.2 n_movies)) / (rank + q), q chosen so that the most popular
 *   movie is rated about n_users / 2 times (as Star Wars in 100K and Forrest Gump in 25M);
 *   ranks are a random permutation of the movies;
 * - user activity is log-normal (σ = 1.2); each user rates within a window of their own
 *   (start skewed towards recent years, exponential length with a mean of 180 days);
 * - rating = clamp(round(3.5 + b_u + b_i + p_u · q_i + ε), 1, 5) from a hidden rank-8 model:
 *   b_u ~ N(0, 0.45²), b_i ~ N(0, 0.5²), factor entries ~ N(0, 0.45²) (so p_u · q_i has a
 *   standard deviation near 0.57), noise ε ~ N(0, 0.7²); ratings then spread about as in
 *   MovieLens (mean 3.5, standard deviation 1.1);
 * - title words come from a vocabulary of about 500 + n_movies / 2 pseudo-words (plus
 *   English stop words) drawn by a Zipf law, so the text feature behaves like real titles.
 * Unlike MovieLens, a user may rate the same movie twice; timings do not depend on it.
 * The same arguments give the same dataset on every platform.
 * @{
 */
#ifndef REC_SYNTH_H
#define REC_SYNTH_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Generate a MovieLens-shaped dataset (MovieLens 100K: 100000 ratings, 943 users, 1682
 * movies; 25M: 25000095, 162541, 62423).
 * @param[out] out new dataset, NULL on failure. Ownership: caller, rec_dataset_free().
 * @param n_ratings rows, 1 .. 2^32 − 1
 * @param n_users users, 1 .. 2^24
 * @param n_movies movies, 1 .. 2^24
 * @param seed drives every random choice
 * @retval REC_OK
 * @retval REC_EINVAL out NULL or a count out of range (the message names it)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_synthesize(rec_dataset **out, size_t n_ratings, uint32_t n_users,
                                          uint32_t n_movies, uint64_t seed);

REC_END_DECLS

/** @} */
#endif
