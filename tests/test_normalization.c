/* Suite "normalization": rec_normalization_* (Keras Normalization(axis=None)). */
#include "rec_check.h"

#include <math.h>

START_TEST(test_normalization_adapt_small_data)
{
    /* x = {1, 2, 3, 4, 10}: mean = 20/5 = 4; deviations −3, −2, −1, 0, 6; squares 9, 4, 1, 0,
     * 36 = 50; population variance = 50/5 = 10; std = √10 = 3.16227766.
     * y = (x − 4)/3.16227766 = −0.9486833, −0.6324555, −0.3162278, 0, 1.8973666 */
    const double x[5] = {1.0, 2.0, 3.0, 4.0, 10.0};
    rec_normalization *nm = NULL;
    ck_assert_rec_ok(rec_normalization_adapt(&nm, x, 5));
    ck_assert_double_eq_tol(rec_normalization_mean(nm), 4.0, 1e-12);
    ck_assert_double_eq_tol(rec_normalization_variance(nm), 10.0, 1e-12);
    float y[5];
    ck_assert_rec_ok(rec_normalization_apply(nm, x, 5, y));
    const float want[5] = {-0.9486833f, -0.6324555f, -0.3162278f, 0.0f, 1.8973666f};
    for (int i = 0; i < 5; i++)
        ck_assert_float_eq_tol(y[i], want[i], 1e-6f);
    ck_assert_float_eq_tol(rec_normalization_value(nm, 7.0), 0.9486833f, 1e-6f); /* 3/√10 */
    ck_assert_rec_ok(rec_normalization_apply(nm, NULL, 0, NULL));                /* empty */
    rec_normalization_free(nm);
}
END_TEST

START_TEST(test_normalization_create_from_stats)
{
    /* mean 2, variance 4 → std 2: value(6) = (6 − 2)/2 = 2, value(−1) = −1.5 */
    rec_normalization *nm = NULL;
    ck_assert_rec_ok(rec_normalization_create(&nm, 2.0, 4.0));
    ck_assert_double_eq(rec_normalization_mean(nm), 2.0);
    ck_assert_double_eq(rec_normalization_variance(nm), 4.0);
    ck_assert_float_eq_tol(rec_normalization_value(nm, 6.0), 2.0f, 1e-7f);
    ck_assert_float_eq_tol(rec_normalization_value(nm, -1.0), -1.5f, 1e-7f);
    rec_normalization_free(nm);
}
END_TEST

START_TEST(test_normalization_constant_data_maps_to_zero)
{
    /* var = 0 → std floored at 1e-7: the mean maps to 0 (not NaN), 7 + 1e-6 maps to 10 */
    const double x[3] = {7.0, 7.0, 7.0};
    rec_normalization *nm = NULL;
    ck_assert_rec_ok(rec_normalization_adapt(&nm, x, 3));
    ck_assert_double_eq(rec_normalization_variance(nm), 0.0);
    float y[3];
    ck_assert_rec_ok(rec_normalization_apply(nm, x, 3, y));
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(y[i], 0.0f);
    ck_assert_float_eq_tol(rec_normalization_value(nm, 7.000001), 10.0f, 1e-3f);
    rec_normalization_free(nm);

    ck_assert_rec_ok(rec_normalization_create(&nm, 3.0, 0.0));
    ck_assert_float_eq(rec_normalization_value(nm, 3.0), 0.0f);
    rec_normalization_free(nm);
}
END_TEST

START_TEST(test_normalization_large_timestamps_precise)
{
    /* x = 880000000 + {0, 1, 2, 3, 4}: mean 880000002, variance (4 + 1 + 0 + 1 + 4)/5 = 2.
     * One-pass E[x²] − E[x]² would lose everything here (x² ≈ 7.7e17, ulp 128). */
    const double x[5] = {880000000.0, 880000001.0, 880000002.0, 880000003.0, 880000004.0};
    rec_normalization *nm = NULL;
    ck_assert_rec_ok(rec_normalization_adapt(&nm, x, 5));
    ck_assert_double_eq_tol(rec_normalization_mean(nm), 880000002.0, 1e-6);
    ck_assert_double_eq_tol(rec_normalization_variance(nm), 2.0, 1e-6);
    /* (880000004 − 880000002)/√2 = √2 = 1.4142136 */
    ck_assert_float_eq_tol(rec_normalization_value(nm, 880000004.0), 1.4142136f, 1e-6f);
    rec_normalization_free(nm);

    /* the tutorial's extremes: mean (874724710 + 893286638)/2 = 884005674,
     * variance 9280964² = 86136292769296, so the ends map to ∓1 */
    const double t[2] = {874724710.0, 893286638.0};
    ck_assert_rec_ok(rec_normalization_adapt(&nm, t, 2));
    ck_assert_double_eq_tol(rec_normalization_mean(nm), 884005674.0, 1e-6);
    ck_assert_double_eq_tol(rec_normalization_variance(nm), 86136292769296.0, 1e-3);
    ck_assert_float_eq_tol(rec_normalization_value(nm, t[0]), -1.0f, 1e-6f);
    ck_assert_float_eq_tol(rec_normalization_value(nm, t[1]), 1.0f, 1e-6f);
    rec_normalization_free(nm);
}
END_TEST

START_TEST(test_normalization_errors)
{
    rec_normalization *nm = (rec_normalization *)&nm;
    ck_assert_rec_fails(rec_normalization_create(&nm, NAN, 1.0), REC_EINVAL, "mean");
    ck_assert_ptr_null(nm);
    ck_assert_rec_fails(rec_normalization_create(&nm, 0.0, INFINITY), REC_EINVAL, "variance");
    ck_assert_rec_fails(rec_normalization_create(&nm, 0.0, -1.0), REC_EINVAL,
                        "variance = -1 is negative");
    ck_assert_rec_fails(rec_normalization_create(NULL, 0.0, 1.0), REC_EINVAL,
                        "rec_normalization_create: out");

    const double x[3] = {1.0, INFINITY, 2.0};
    nm = (rec_normalization *)&nm;
    ck_assert_rec_fails(rec_normalization_adapt(&nm, x, 3), REC_EINVAL, "x[1] is not finite");
    ck_assert_ptr_null(nm);
    ck_assert_rec_fails(rec_normalization_adapt(&nm, NULL, 3), REC_EINVAL, "x is NULL");
    ck_assert_rec_fails(rec_normalization_adapt(&nm, x, 0), REC_EINVAL, "n must be > 0");
    ck_assert_rec_fails(rec_normalization_adapt(NULL, x, 1), REC_EINVAL, "out");
    const double huge[2] = {1.7e308, 1.7e308};
    ck_assert_rec_fails(rec_normalization_adapt(&nm, huge, 2), REC_EINVAL, "overflows");

    float y[1];
    ck_assert_rec_ok(rec_normalization_create(&nm, 0.0, 1.0));
    ck_assert_rec_fails(rec_normalization_apply(NULL, x, 1, y), REC_EINVAL, "norm");
    ck_assert_rec_fails(rec_normalization_apply(nm, NULL, 1, y), REC_EINVAL, "x is NULL");
    ck_assert_rec_fails(rec_normalization_apply(nm, x, 1, NULL), REC_EINVAL, "out is NULL");
    rec_normalization_free(nm);
    ck_assert_double_eq(rec_normalization_mean(NULL), 0.0);
    ck_assert_double_eq(rec_normalization_variance(NULL), 0.0);
    ck_assert_float_eq(rec_normalization_value(NULL, 1.0), 0.0f);
}
END_TEST

START_TEST(test_normalization_free_null)
{
    rec_normalization_free(NULL);
}
END_TEST

static Suite *normalization_suite(void)
{
    Suite *s = suite_create("normalization");
    TCase *tc = tcase_create("adapt");
    tcase_add_test(tc, test_normalization_adapt_small_data);
    tcase_add_test(tc, test_normalization_create_from_stats);
    tcase_add_test(tc, test_normalization_constant_data_maps_to_zero);
    tcase_add_test(tc, test_normalization_large_timestamps_precise);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_normalization_errors);
    tcase_add_test(tc, test_normalization_free_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(normalization_suite());
}
