/**
 * @file rec/rng.h
 * @defgroup rng Random numbers
 * The seeded, platform-independent generator behind every random choice in librec.
 *
 * Algorithm (fixed forever, so results are reproducible across machines and releases):
 * the 64-bit seed is expanded by SplitMix64 into the 256-bit state of xoshiro256**.
 * rec_rng_uniform() takes the top 24 bits of the next 64-bit output: u = (x >> 40) * 2^-24,
 * so u is in [0, 1) and exactly representable as a float. rec_rng_below() uses Lemire's
 * multiply-and-reject method, so it is unbiased.
 * @{
 */
#ifndef REC_RNG_H
#define REC_RNG_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Create a generator from a seed. Every seed, including 0, is valid.
 * @param[out] out the new generator; NULL on failure. Ownership: caller, free with rec_rng_free().
 * @param seed any 64-bit value; the same seed gives the same sequence on every platform
 * @retval REC_OK
 * @retval REC_EINVAL out is NULL
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_rng_create(rec_rng **out, uint64_t seed);

/**
 * Free a generator; NULL is accepted.
 * @param rng the generator to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_rng_free(rec_rng *rng);

/**
 * Next 64 random bits (xoshiro256**). rng must not be NULL.
 * @param rng the generator, advanced by one step (if NULL, returns 0 without failing)
 * @return the next 64-bit output
 * @since 1.0
 */
REC_API uint64_t rec_rng_next_u64(rec_rng *rng);

/**
 * Uniform float in [0, 1) with 24 random bits. rng must not be NULL.
 * @param rng the generator, advanced by one step (if NULL, returns 0 without failing)
 * @return u in [0, 1), a multiple of 2^-24
 * @since 1.0
 */
REC_API float rec_rng_uniform(rec_rng *rng);

/**
 * Uniform integer in [0, bound); returns 0 when bound is 0.
 * @param rng the generator (may be NULL: returns 0)
 * @param bound exclusive upper bound
 * @return an integer in [0, bound), or 0 when bound is 0 or rng is NULL
 * @since 1.0
 */
REC_API uint32_t rec_rng_below(rec_rng *rng, uint32_t bound);

/**
 * Shuffle an array of uint32 in place (Fisher-Yates, from the last element down, drawing
 * j = rec_rng_below(rng, i + 1)).
 * @param rng the generator, advanced by the draws
 * @param values n values, permuted in place; may be NULL when n is 0
 * @param n number of values
 * @retval REC_OK
 * @retval REC_EINVAL rng NULL, or values NULL with n > 0
 * @since 1.0
 */
REC_API rec_status rec_rng_shuffle_u32(rec_rng *rng, uint32_t *values, size_t n);

REC_END_DECLS

/** @} */
#endif
