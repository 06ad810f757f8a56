/* Suite "rng": the seeded SplitMix64 + xoshiro256** generator.
 *
 * Reference values were computed independently with this Python re-implementation
 * (python3, arbitrary-precision ints masked to 64 bits):
 *
 *   M = (1 << 64) - 1
 *   def splitmix(x):
 *       x = (x + 0x9E3779B97F4A7C15) & M
 *       z = x
 *       z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
 *       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
 *       return x, z ^ (z >> 31)
 *   def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M
 *   def gen(seed):
 *       x = seed; s = []
 *       for _ in range(4):
 *           x, z = splitmix(x); s.append(z)
 *       while True:
 *           r = (rotl((s[1] * 5) & M, 7) * 9) & M
 *           t = (s[1] << 17) & M
 *           s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
 *           s[3] = rotl(s[3], 45)
 *           yield r
 *   def below(g, bound):                      # Lemire, as documented in rec/rng.h
 *       m = (next(g) >> 32) * bound
 *       lo = m & 0xffffffff
 *       if lo < bound:
 *           th = ((1 << 32) - bound) % bound
 *           while lo < th:
 *               m = (next(g) >> 32) * bound; lo = m & 0xffffffff
 *       return m >> 32
 *   g = gen(0);  [hex(next(g)) for _ in range(4)]
 *   g = gen(42); [hex(next(g)) for _ in range(2)]
 *   g = gen(0);  [next(g) >> 40 for _ in range(3)]      # uniform = that * 2**-24
 *   g = gen(0);  [below(g, 10) for _ in range(8)]
 *   g = gen(7);  a = list(range(10))
 *   for i in range(10, 1, -1):
 *       j = below(g, i); a[i - 1], a[j] = a[j], a[i - 1]
 */
#include "rec_check.h"

#include <math.h>
#include <stdlib.h>

/* ---- reference values ---------------------------------------------------------------------- */

START_TEST(test_rng_seed0_matches_reference)
{
    static const uint64_t expect[4] = {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                       0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL};
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 0));
    for (int i = 0; i < 4; i++)
        ck_assert_msg(rec_rng_next_u64(rng) == expect[i], "output %d differs", i);
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_seed42_matches_reference)
{
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 42));
    ck_assert(rec_rng_next_u64(rng) == 0x15780b2e0c2ec716ULL);
    ck_assert(rec_rng_next_u64(rng) == 0x6104d9866d113a7eULL);
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_uniform_matches_reference)
{
    /* top 24 bits of the seed-0 outputs: 10087519, 12545567, 1728388; u = that / 2^24, which
     * a float holds exactly, so the comparison is exact */
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 0));
    ck_assert(rec_rng_uniform(rng) == 10087519.0f / 16777216.0f); /* 0.60126299 */
    ck_assert(rec_rng_uniform(rng) == 12545567.0f / 16777216.0f); /* 0.74777406 */
    ck_assert(rec_rng_uniform(rng) == 1728388.0f / 16777216.0f);  /* 0.10301995 */
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_below_matches_reference)
{
    static const uint32_t expect[8] = {6, 7, 1, 4, 7, 9, 4, 5};
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 0));
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(rec_rng_below(rng, 10), expect[i]);
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_shuffle_matches_reference)
{
    static const uint32_t expect[10] = {1, 8, 3, 0, 4, 5, 9, 6, 2, 7};
    uint32_t a[10];
    for (uint32_t i = 0; i < 10; i++)
        a[i] = i;
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 7));
    ck_assert_rec_ok(rec_rng_shuffle_u32(rng, a, 10));
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(a[i], expect[i]);
    rec_rng_free(rng);
}
END_TEST

/* ---- reproducibility ----------------------------------------------------------------------- */

START_TEST(test_rng_same_seed_same_stream)
{
    rec_rng *a = NULL, *b = NULL;
    ck_assert_rec_ok(rec_rng_create(&a, 123456789));
    ck_assert_rec_ok(rec_rng_create(&b, 123456789));
    for (int i = 0; i < 1000; i++)
        ck_assert(rec_rng_next_u64(a) == rec_rng_next_u64(b));
    for (int i = 0; i < 100; i++)
        ck_assert(rec_rng_uniform(a) == rec_rng_uniform(b));
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(rec_rng_below(a, 1000), rec_rng_below(b, 1000));
    rec_rng_free(a);
    rec_rng_free(b);
}
END_TEST

START_TEST(test_rng_different_seeds_differ)
{
    /* adjacent seeds must give unrelated streams (SplitMix64 expands the seed) */
    rec_rng *a = NULL, *b = NULL;
    ck_assert_rec_ok(rec_rng_create(&a, 1));
    ck_assert_rec_ok(rec_rng_create(&b, 2));
    int same = 0;
    for (int i = 0; i < 100; i++)
        same += rec_rng_next_u64(a) == rec_rng_next_u64(b);
    ck_assert_int_eq(same, 0);
    rec_rng_free(a);
    rec_rng_free(b);
}
END_TEST

/* ---- distributions ------------------------------------------------------------------------- */

START_TEST(test_rng_uniform_in_unit_interval)
{
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 99));
    double sum = 0.0;
    float lo = 1.0f, hi = 0.0f;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        float u = rec_rng_uniform(rng);
        ck_assert(u >= 0.0f && u < 1.0f);
        /* 24 bits: u * 2^24 is an integer */
        ck_assert(floorf(u * 16777216.0f) == u * 16777216.0f);
        sum += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    /* mean 0.5, sd of the mean sqrt(1/12/n) = 0.00091: 0.005 is > 5 sd */
    ck_assert_double_eq_tol(sum / n, 0.5, 0.005);
    ck_assert(lo < 0.001f && hi > 0.999f);
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_below_bounds)
{
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 5));
    ck_assert_uint_eq(rec_rng_below(rng, 0), 0); /* documented: bound 0 gives 0 */
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(rec_rng_below(rng, 1), 0);
    int seen[7] = {0};
    for (int i = 0; i < 10000; i++) {
        uint32_t x = rec_rng_below(rng, 7);
        ck_assert_uint_lt(x, 7);
        seen[x] = 1;
    }
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(seen[i], 1);
    /* the largest bound: the top value is reachable in principle, below bound always */
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_lt(rec_rng_below(rng, UINT32_MAX), UINT32_MAX);
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_below_chi_square)
{
    /* 100k draws into 10 buckets: chi² has 9 degrees of freedom, mean 9, sd 4.24; P(chi² > 40)
     * is about 7e-6, so 40 only catches real bias. The second bound, 3·10^9, is close to 2^32
     * and does not divide it, where a biased (modulo) method would overfill the low buckets;
     * its buckets are x / 3·10^8. */
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 2024));
    const int n = 100000;
    const uint32_t bounds[2] = {10, 3000000000u};
    for (int bi = 0; bi < 2; bi++) {
        long counts[10] = {0};
        for (int i = 0; i < n; i++) {
            uint32_t x = rec_rng_below(rng, bounds[bi]);
            counts[x / (bounds[bi] / 10)]++;
        }
        double chi2 = 0.0, e = n / 10.0;
        for (int k = 0; k < 10; k++)
            chi2 += (counts[k] - e) * (counts[k] - e) / e;
        ck_assert_msg(chi2 < 40.0, "bound %u: chi2 = %g", bounds[bi], chi2);
    }
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_uniform_chi_square)
{
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 31337));
    const int n = 100000;
    long counts[10] = {0};
    for (int i = 0; i < n; i++)
        counts[(int)(rec_rng_uniform(rng) * 10.0f)]++;
    double chi2 = 0.0, e = n / 10.0;
    for (int k = 0; k < 10; k++)
        chi2 += (counts[k] - e) * (counts[k] - e) / e;
    ck_assert_msg(chi2 < 40.0, "chi2 = %g", chi2);
    rec_rng_free(rng);
}
END_TEST

/* ---- shuffle ------------------------------------------------------------------------------- */

START_TEST(test_rng_shuffle_is_permutation)
{
    enum { N = 1000 };
    uint32_t a[N];
    for (uint32_t i = 0; i < N; i++)
        a[i] = i * 3;
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 11));
    ck_assert_rec_ok(rec_rng_shuffle_u32(rng, a, N));
    int seen[N] = {0}, moved = 0;
    for (uint32_t i = 0; i < N; i++) {
        ck_assert_uint_eq(a[i] % 3, 0);
        ck_assert_uint_lt(a[i] / 3, N);
        seen[a[i] / 3]++;
        moved += a[i] != i * 3;
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(seen[i], 1);
    /* a random permutation of 1000 has about 1 fixed point */
    ck_assert_int_gt(moved, N - 10);
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_shuffle_reproducible)
{
    enum { N = 257 };
    uint32_t a[N], b[N];
    for (uint32_t i = 0; i < N; i++)
        a[i] = b[i] = i;
    rec_rng *ra = NULL, *rb = NULL;
    ck_assert_rec_ok(rec_rng_create(&ra, 77));
    ck_assert_rec_ok(rec_rng_create(&rb, 77));
    ck_assert_rec_ok(rec_rng_shuffle_u32(ra, a, N));
    ck_assert_rec_ok(rec_rng_shuffle_u32(rb, b, N));
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(a[i], b[i]);
    rec_rng_free(ra);
    rec_rng_free(rb);
}
END_TEST

START_TEST(test_rng_shuffle_empty_and_single)
{
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 1));
    ck_assert_rec_ok(rec_rng_shuffle_u32(rng, NULL, 0));
    uint32_t one = 42;
    ck_assert_rec_ok(rec_rng_shuffle_u32(rng, &one, 1));
    ck_assert_uint_eq(one, 42);
    rec_rng_free(rng);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------------- */

START_TEST(test_rng_create_null_out_fails)
{
    ck_assert_rec_fails(rec_rng_create(NULL, 0), REC_EINVAL, "rec_rng_create: out is NULL");
}
END_TEST

START_TEST(test_rng_shuffle_errors)
{
    uint32_t a[2] = {0, 1};
    ck_assert_rec_fails(rec_rng_shuffle_u32(NULL, a, 2), REC_EINVAL, "rng is NULL");
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 1));
    ck_assert_rec_fails(rec_rng_shuffle_u32(rng, NULL, 2), REC_EINVAL, "values is NULL");
    rec_rng_free(rng);
}
END_TEST

START_TEST(test_rng_null_handle_getters)
{
    /* documented as "must not be NULL"; the implementation answers 0 rather than crash */
    ck_assert(rec_rng_next_u64(NULL) == 0);
    ck_assert(rec_rng_uniform(NULL) == 0.0f);
    ck_assert_uint_eq(rec_rng_below(NULL, 10), 0);
}
END_TEST

START_TEST(test_rng_free_null)
{
    rec_rng_free(NULL);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("reference");
    tcase_add_test(tc, test_rng_seed0_matches_reference);
    tcase_add_test(tc, test_rng_seed42_matches_reference);
    tcase_add_test(tc, test_rng_uniform_matches_reference);
    tcase_add_test(tc, test_rng_below_matches_reference);
    tcase_add_test(tc, test_rng_shuffle_matches_reference);
    suite_add_tcase(s, tc);

    tc = tcase_create("reproducibility");
    tcase_add_test(tc, test_rng_same_seed_same_stream);
    tcase_add_test(tc, test_rng_different_seeds_differ);
    suite_add_tcase(s, tc);

    tc = tcase_create("distribution");
    tcase_add_test(tc, test_rng_uniform_in_unit_interval);
    tcase_add_test(tc, test_rng_below_bounds);
    tcase_add_test(tc, test_rng_below_chi_square);
    tcase_add_test(tc, test_rng_uniform_chi_square);
    suite_add_tcase(s, tc);

    tc = tcase_create("shuffle");
    tcase_add_test(tc, test_rng_shuffle_is_permutation);
    tcase_add_test(tc, test_rng_shuffle_reproducible);
    tcase_add_test(tc, test_rng_shuffle_empty_and_single);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_rng_create_null_out_fails);
    tcase_add_test(tc, test_rng_shuffle_errors);
    tcase_add_test(tc, test_rng_null_handle_getters);
    tcase_add_test(tc, test_rng_free_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(rng_suite());
}
