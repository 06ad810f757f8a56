/* Suite "discretization": rec_discretization_* (Keras Discretization / TF Bucketize). */
#include "rec_check.h"

#include <math.h>
#include <stdlib.h>

/* B = [0, 1, 1, 2.5] (a repeated boundary is allowed: non-decreasing). bucket(x) = #{b ≤ x}. */
static const double B4[4] = {0.0, 1.0, 1.0, 2.5};

static rec_discretization *make_b4(void)
{
    rec_discretization *d = NULL;
    ck_assert_rec_ok(rec_discretization_create(&d, B4, 4));
    return d;
}

/* ---- bucketing ----------------------------------------------------------------------------- */

START_TEST(test_discretization_bucket_at_and_around_boundaries)
{
    rec_discretization *d = make_b4();
    ck_assert_uint_eq(rec_discretization_n_buckets(d), 5);
    ck_assert_uint_eq(rec_discretization_bucket(d, -1.0), 0);                 /* below all */
    ck_assert_uint_eq(rec_discretization_bucket(d, nextafter(0.0, -1.0)), 0); /* just below 0 */
    ck_assert_uint_eq(rec_discretization_bucket(d, 0.0), 1);  /* 0 ≤ 0: counted */
    ck_assert_uint_eq(rec_discretization_bucket(d, -0.0), 1); /* −0 == 0 */
    ck_assert_uint_eq(rec_discretization_bucket(d, nextafter(0.0, 1.0)), 1);
    ck_assert_uint_eq(rec_discretization_bucket(d, 0.5), 1);
    ck_assert_uint_eq(rec_discretization_bucket(d, nextafter(1.0, 0.0)), 1);
    ck_assert_uint_eq(rec_discretization_bucket(d, 1.0), 3); /* both 1s are ≤ 1 */
    ck_assert_uint_eq(rec_discretization_bucket(d, nextafter(1.0, 2.0)), 3);
    ck_assert_uint_eq(rec_discretization_bucket(d, nextafter(2.5, 0.0)), 3);
    ck_assert_uint_eq(rec_discretization_bucket(d, 2.5), 4);
    ck_assert_uint_eq(rec_discretization_bucket(d, 1e300), 4); /* above the last */
    ck_assert_uint_eq(rec_discretization_bucket(d, INFINITY), 4);
    ck_assert_uint_eq(rec_discretization_bucket(d, -INFINITY), 0);
    ck_assert_uint_eq(rec_discretization_bucket(d, NAN), 0);
    ck_assert_uint_eq(rec_discretization_bucket(NULL, 5.0), 0);
    rec_discretization_free(d);
}
END_TEST

/* Against the definition, #{b ≤ x} counted one by one, on every length 0..40 of sorted
 * boundaries with many repeats and on x at, between and beyond them (the search has no
 * branches, so each length exercises its own sequence of halvings). */
START_TEST(test_discretization_bucket_matches_count)
{
    uint64_t s = 12345;
    for (size_t n = 0; n <= 40; n++) {
        for (int rep = 0; rep < 50; rep++) {
            double b[40];
            double v = -3.0;
            for (size_t i = 0; i < n; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                v += (double)((s >> 33) % 3); /* steps of 0, 1 or 2: repeats */
                b[i] = v;
            }
            rec_discretization *d = NULL;
            ck_assert_rec_ok(rec_discretization_create(&d, b, n));
            for (double x = -5.0; x <= v + 2.0; x += 0.5) {
                uint32_t want = 0;
                for (size_t i = 0; i < n; i++)
                    want += b[i] <= x;
                ck_assert_msg(rec_discretization_bucket(d, x) == want,
                              "n %zu x %g: bucket %u, want %u", n, x,
                              rec_discretization_bucket(d, x), want);
            }
            rec_discretization_free(d);
        }
    }
}
END_TEST

/* Evenly spaced boundaries (rec_discretization_create_linspace, as the tutorial's timestamps)
 * take bucket()'s guess; it must agree with counting everywhere, at the boundaries, one ulp
 * either side of them and in between. */
START_TEST(test_discretization_linspace_guess_matches_count)
{
    rec_discretization *d = NULL;
    ck_assert_rec_ok(rec_discretization_create_linspace(&d, 874724710.0, 893286638.0, 1000));
    size_t n = rec_discretization_n_buckets(d) - 1;
    double *b = malloc(n * sizeof *b);
    ck_assert_ptr_nonnull(b);
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, n));
    for (size_t i = 0; i < n; i++) {
        const double xs[4] = {b[i], nextafter(b[i], -INFINITY), nextafter(b[i], INFINITY),
                              i + 1 < n ? 0.5 * (b[i] + b[i + 1]) : b[i] + 1.0};
        for (int k = 0; k < 4; k++) {
            uint32_t want = 0;
            for (size_t j = 0; j < n; j++)
                want += b[j] <= xs[k];
            ck_assert_uint_eq(rec_discretization_bucket(d, xs[k]), want);
        }
    }
    free(b);
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_apply_batch)
{
    rec_discretization *d = make_b4();
    const double x[6] = {-5.0, 0.0, 0.99, 1.0, 3.0, NAN};
    uint32_t got[6];
    ck_assert_rec_ok(rec_discretization_apply(d, x, 6, got));
    const uint32_t want[6] = {0, 1, 1, 3, 4, 0};
    ck_assert_mem_eq(got, want, sizeof got);
    ck_assert_rec_ok(rec_discretization_apply(d, NULL, 0, NULL)); /* empty batch */
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_no_boundaries_one_bucket)
{
    rec_discretization *d = NULL;
    ck_assert_rec_ok(rec_discretization_create(&d, NULL, 0));
    ck_assert_uint_eq(rec_discretization_n_buckets(d), 1);
    ck_assert_uint_eq(rec_discretization_bucket(d, -1e9), 0);
    ck_assert_uint_eq(rec_discretization_bucket(d, 1e9), 0);
    ck_assert_rec_ok(rec_discretization_boundaries(d, NULL, 0));
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_boundaries_copy)
{
    rec_discretization *d = make_b4();
    double b[4];
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, 4));
    ck_assert_mem_eq(b, B4, sizeof b);
    rec_discretization_free(d);
}
END_TEST

/* ---- linspace and adapt -------------------------------------------------------------------- */

START_TEST(test_discretization_linspace_quarters)
{
    /* step = (1 − 0)/4 = 0.25 → 0, 0.25, 0.5, 0.75, 1, all exact */
    rec_discretization *d = NULL;
    ck_assert_rec_ok(rec_discretization_create_linspace(&d, 0.0, 1.0, 5));
    double b[5];
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, 5));
    const double want[5] = {0.0, 0.25, 0.5, 0.75, 1.0};
    for (int i = 0; i < 5; i++)
        ck_assert_double_eq(b[i], want[i]);
    ck_assert_uint_eq(rec_discretization_n_buckets(d), 6);
    ck_assert_uint_eq(rec_discretization_bucket(d, 0.3), 2);
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_linspace_matches_numpy_bits)
{
    /* numpy.linspace(0.1, 0.8, 10): step = 0.7/9 = 0.07777777777777778, b_i = i·step + 0.1
     * (the values below are those doubles, printed round-trip); 9·step + 0.1 rounds to
     * 0.7999999999999999 but numpy sets the last one to stop: 0.8 exactly. */
    const double want[10] = {0.1, 0.17777777777777778, 0.25555555555555554,
                             0.33333333333333337, 0.4111111111111111, 0.48888888888888893,
                             0.5666666666666667, 0.6444444444444445, 0.7222222222222222, 0.8};
    rec_discretization *d = NULL;
    ck_assert_rec_ok(rec_discretization_create_linspace(&d, 0.1, 0.8, 10));
    double b[10];
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, 10));
    for (int i = 0; i < 10; i++)
        ck_assert_msg(b[i] == want[i], "b[%d] = %.17g, numpy %.17g", i, b[i], want[i]);
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_linspace_timestamps)
{
    /* The tutorial's range: linspace(874724710, 893286638, 1000).
     * step = 18561928/999 = 18580.50850850851; b_1 = 874743290.5085086,
     * b_500 = 884014964.2542542, b_998 = 893268057.4914914, b_999 = 893286638 exactly. */
    rec_discretization *d = NULL;
    ck_assert_rec_ok(rec_discretization_create_linspace(&d, 874724710.0, 893286638.0, 1000));
    static double b[1000];
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, 1000));
    ck_assert_double_eq(b[0], 874724710.0);
    ck_assert_double_eq(b[1], 874743290.5085086);
    ck_assert_double_eq(b[500], 884014964.2542542);
    ck_assert_double_eq(b[998], 893268057.4914914);
    ck_assert_double_eq(b[999], 893286638.0);
    ck_assert_uint_eq(rec_discretization_n_buckets(d), 1001);
    ck_assert_uint_eq(rec_discretization_bucket(d, 874724709.0), 0);
    ck_assert_uint_eq(rec_discretization_bucket(d, 874724710.0), 1);
    ck_assert_uint_eq(rec_discretization_bucket(d, 874743290.0), 1); /* just below b_1 */
    ck_assert_uint_eq(rec_discretization_bucket(d, 874743291.0), 2); /* just above b_1 */
    ck_assert_uint_eq(rec_discretization_bucket(d, 893286637.0), 999);
    ck_assert_uint_eq(rec_discretization_bucket(d, 893286638.0), 1000); /* the maximum */
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_linspace_single_and_flat)
{
    rec_discretization *d = NULL;
    double b[3];
    ck_assert_rec_ok(rec_discretization_create_linspace(&d, 4.0, 9.0, 1)); /* n = 1 → [lo] */
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, 1));
    ck_assert_double_eq(b[0], 4.0);
    rec_discretization_free(d);
    ck_assert_rec_ok(rec_discretization_create_linspace(&d, 2.0, 2.0, 3)); /* lo = hi */
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, 3));
    ck_assert_double_eq(b[0], 2.0);
    ck_assert_double_eq(b[1], 2.0);
    ck_assert_double_eq(b[2], 2.0);
    ck_assert_uint_eq(rec_discretization_bucket(d, 2.0), 3);
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_adapt_min_max)
{
    /* x = {5, −3, 10, 2}: min −3, max 10; 3 boundaries = linspace(−3, 10, 3):
     * step = 13/2 = 6.5 → −3, 3.5, 10 */
    const double x[4] = {5.0, -3.0, 10.0, 2.0};
    rec_discretization *d = NULL;
    ck_assert_rec_ok(rec_discretization_adapt(&d, x, 4, 3));
    double b[3];
    ck_assert_rec_ok(rec_discretization_boundaries(d, b, 3));
    ck_assert_double_eq(b[0], -3.0);
    ck_assert_double_eq(b[1], 3.5);
    ck_assert_double_eq(b[2], 10.0);
    ck_assert_uint_eq(rec_discretization_n_buckets(d), 4);
    uint32_t k[4];
    ck_assert_rec_ok(rec_discretization_apply(d, x, 4, k));
    const uint32_t want[4] = {2, 1, 3, 1}; /* 5 ≥ 3.5; −3 = min; 10 = max; 2 < 3.5 */
    ck_assert_mem_eq(k, want, sizeof k);
    rec_discretization_free(d);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------------- */

START_TEST(test_discretization_create_errors)
{
    rec_discretization *d = (rec_discretization *)&d;
    const double unsorted[3] = {0.0, 2.0, 1.0};
    ck_assert_rec_fails(rec_discretization_create(&d, unsorted, 3), REC_EINVAL,
                        "boundaries[2]");
    ck_assert_ptr_null(d);
    const double nan_b[3] = {0.0, NAN, 1.0};
    ck_assert_rec_fails(rec_discretization_create(&d, nan_b, 3), REC_EINVAL,
                        "boundaries[1] is not finite");
    const double inf_b[2] = {0.0, INFINITY};
    ck_assert_rec_fails(rec_discretization_create(&d, inf_b, 2), REC_EINVAL,
                        "boundaries[1] is not finite");
    ck_assert_rec_fails(rec_discretization_create(&d, NULL, 2), REC_EINVAL, "boundaries is NULL");
    ck_assert_rec_fails(rec_discretization_create(NULL, B4, 4), REC_EINVAL,
                        "rec_discretization_create: out");
}
END_TEST

START_TEST(test_discretization_linspace_adapt_errors)
{
    rec_discretization *d = (rec_discretization *)&d;
    ck_assert_rec_fails(rec_discretization_create_linspace(&d, 0.0, 1.0, 0), REC_EINVAL, "n");
    ck_assert_ptr_null(d);
    ck_assert_rec_fails(rec_discretization_create_linspace(&d, 2.0, 1.0, 3), REC_EINVAL,
                        "lo = 2 is greater than hi = 1");
    ck_assert_rec_fails(rec_discretization_create_linspace(&d, NAN, 1.0, 3), REC_EINVAL, "lo");
    ck_assert_rec_fails(rec_discretization_create_linspace(&d, 0.0, INFINITY, 3), REC_EINVAL,
                        "hi");
    ck_assert_rec_fails(rec_discretization_create_linspace(&d, -1e308, 1e308, 3), REC_EINVAL,
                        "too wide");
    ck_assert_rec_fails(rec_discretization_create_linspace(NULL, 0.0, 1.0, 3), REC_EINVAL,
                        "out");

    const double x[3] = {1.0, 2.0, NAN};
    ck_assert_rec_fails(rec_discretization_adapt(&d, x, 3, 10), REC_EINVAL, "x[2]");
    ck_assert_ptr_null(d);
    ck_assert_rec_fails(rec_discretization_adapt(&d, NULL, 3, 10), REC_EINVAL, "x is NULL");
    ck_assert_rec_fails(rec_discretization_adapt(&d, x, 0, 10), REC_EINVAL, "n_x");
    ck_assert_rec_fails(rec_discretization_adapt(&d, x, 2, 0), REC_EINVAL, "n_boundaries");
    ck_assert_rec_fails(rec_discretization_adapt(NULL, x, 2, 3), REC_EINVAL, "out");
}
END_TEST

START_TEST(test_discretization_query_errors)
{
    rec_discretization *d = make_b4();
    double b[5];
    uint32_t k[2];
    const double x[2] = {0.0, 1.0};
    ck_assert_rec_fails(rec_discretization_boundaries(d, b, 5), REC_ESHAPE,
                        "n = 5, there are 4");
    ck_assert_rec_fails(rec_discretization_boundaries(d, NULL, 4), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_discretization_boundaries(NULL, b, 4), REC_EINVAL, "disc");
    ck_assert_rec_fails(rec_discretization_apply(NULL, x, 2, k), REC_EINVAL, "disc");
    ck_assert_rec_fails(rec_discretization_apply(d, NULL, 2, k), REC_EINVAL, "x is NULL");
    ck_assert_rec_fails(rec_discretization_apply(d, x, 2, NULL), REC_EINVAL, "buckets_out");
    ck_assert_uint_eq(rec_discretization_n_buckets(NULL), 0);
    rec_discretization_free(d);
}
END_TEST

START_TEST(test_discretization_free_null)
{
    rec_discretization_free(NULL);
}
END_TEST

static Suite *discretization_suite(void)
{
    Suite *s = suite_create("discretization");
    TCase *tc = tcase_create("bucket");
    tcase_add_test(tc, test_discretization_bucket_at_and_around_boundaries);
    tcase_add_test(tc, test_discretization_bucket_matches_count);
    tcase_add_test(tc, test_discretization_linspace_guess_matches_count);
    tcase_add_test(tc, test_discretization_apply_batch);
    tcase_add_test(tc, test_discretization_no_boundaries_one_bucket);
    tcase_add_test(tc, test_discretization_boundaries_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("linspace");
    tcase_add_test(tc, test_discretization_linspace_quarters);
    tcase_add_test(tc, test_discretization_linspace_matches_numpy_bits);
    tcase_add_test(tc, test_discretization_linspace_timestamps);
    tcase_add_test(tc, test_discretization_linspace_single_and_flat);
    tcase_add_test(tc, test_discretization_adapt_min_max);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_discretization_create_errors);
    tcase_add_test(tc, test_discretization_linspace_adapt_errors);
    tcase_add_test(tc, test_discretization_query_errors);
    tcase_add_test(tc, test_discretization_free_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(discretization_suite());
}
