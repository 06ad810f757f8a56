/* Suite "embedding": Keras Embedding(n, d) and Embedding(mask_zero=True) + average pooling. */
#include "rec_check.h"

#include <math.h>
#include <stdlib.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A table with the given weights (n_rows·dim of them). */
static rec_embedding *make_table(uint32_t n_rows, uint32_t dim, const float *w)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, n_rows, dim, 1));
    ck_assert_rec_ok(rec_embedding_set_weights(e, w, (size_t)n_rows * dim));
    return e;
}

static void assert_grad(const rec_embedding *e, const float *expect, size_t n)
{
    float *g = malloc(n * sizeof *g);
    ck_assert_ptr_nonnull(g);
    ck_assert_rec_ok(rec_embedding_get_grad(e, g, n));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(g[i] - expect[i]) <= 1e-6f, "grad[%zu] = %g, expected %g", i,
                      (double)g[i], (double)expect[i]);
    free(g);
}

/* ---- init ---------------------------------------------------------------------------------- */

START_TEST(test_embedding_init_matches_rng_stream)
{
    /* w = -0.05 + 0.1·u, u the seed's rec_rng_uniform stream, row-major */
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 4, 2024));
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 2024));
    float w[12];
    ck_assert_rec_ok(rec_embedding_get_weights(e, w, 12));
    for (uint32_t r = 0; r < 3; r++) {
        const float *row = rec_embedding_row(e, r);
        for (uint32_t k = 0; k < 4; k++) {
            float expect = -0.05f + 0.1f * rec_rng_uniform(rng);
            ck_assert(w[r * 4 + k] == expect);
            ck_assert(row[k] == expect);
        }
    }
    rec_rng_free(rng);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_init_seed0_first_weight)
{
    /* seed 0: first u = 10087519 / 2^24 = 0.60126299 (see test_rng.c), so
     * w[0] = -0.05 + 0.1 · 0.60126299 = 0.01012630 */
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 1, 1, 0));
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.0101263f, 1e-8f);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_init_range_and_spread)
{
    enum { ROWS = 1000, DIM = 32 };
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, ROWS, DIM, 7));
    float *w = malloc(ROWS * DIM * sizeof *w);
    ck_assert_ptr_nonnull(w);
    ck_assert_rec_ok(rec_embedding_get_weights(e, w, ROWS * DIM));
    double sum = 0.0, lo = 1.0, hi = -1.0;
    for (size_t i = 0; i < ROWS * DIM; i++) {
        ck_assert(w[i] >= -0.05f && w[i] <= 0.05f);
        sum += w[i];
        lo = w[i] < lo ? w[i] : lo;
        hi = w[i] > hi ? w[i] : hi;
    }
    /* mean 0, sd of the mean 0.1/sqrt(12·32000) = 1.6e-4 */
    ck_assert_double_eq_tol(sum / (ROWS * DIM), 0.0, 1e-3);
    ck_assert(lo < -0.0499 && hi > 0.0499);
    free(w);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_init_reproducible)
{
    rec_embedding *a = NULL, *b = NULL, *c = NULL;
    ck_assert_rec_ok(rec_embedding_create(&a, 10, 8, 99));
    ck_assert_rec_ok(rec_embedding_create(&b, 10, 8, 99));
    ck_assert_rec_ok(rec_embedding_create(&c, 10, 8, 100));
    float wa[80], wb[80], wc[80];
    ck_assert_rec_ok(rec_embedding_get_weights(a, wa, 80));
    ck_assert_rec_ok(rec_embedding_get_weights(b, wb, 80));
    ck_assert_rec_ok(rec_embedding_get_weights(c, wc, 80));
    ck_assert_int_eq(memcmp(wa, wb, sizeof wa), 0);
    int same = 0;
    for (int i = 0; i < 80; i++)
        same += wa[i] == wc[i];
    ck_assert_int_lt(same, 3);
    rec_embedding_free(a);
    rec_embedding_free(b);
    rec_embedding_free(c);
}
END_TEST

START_TEST(test_embedding_shape_getters)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 5, 3, 1));
    ck_assert_uint_eq(rec_embedding_rows(e), 5);
    ck_assert_uint_eq(rec_embedding_dim(e), 3);
    ck_assert_ptr_nonnull(rec_embedding_row(e, 4));
    ck_assert_ptr_eq(rec_embedding_row(e, 4), rec_embedding_row(e, 0) + 12); /* 4 rows of 3 */
    ck_assert_ptr_null(rec_embedding_row(e, 5));
    ck_assert_ptr_null(rec_embedding_row(NULL, 0));
    ck_assert_uint_eq(rec_embedding_rows(NULL), 0);
    ck_assert_uint_eq(rec_embedding_dim(NULL), 0);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 0);
    ck_assert_uint_eq(rec_embedding_grad_row_count(NULL), 0);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_create_errors)
{
    rec_embedding *e = (rec_embedding *)&e; /* non-NULL: must be reset */
    ck_assert_rec_fails(rec_embedding_create(NULL, 2, 2, 0), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_embedding_create(&e, 0, 2, 0), REC_EINVAL, "n_rows is 0");
    ck_assert_ptr_null(e);
    e = (rec_embedding *)&e;
    ck_assert_rec_fails(rec_embedding_create(&e, 2, 0, 0), REC_EINVAL, "dim is 0");
    ck_assert_ptr_null(e);
#if SIZE_MAX <= UINT64_MAX
    /* (2^32 - 1)^2 floats = 2^66 bytes: cannot be represented */
    ck_assert_rec_fails(rec_embedding_create(&e, UINT32_MAX, UINT32_MAX, 0), REC_EINVAL,
                        "overflows");
    ck_assert_ptr_null(e);
#endif
}
END_TEST

START_TEST(test_embedding_free_null)
{
    rec_embedding_free(NULL);
    rec_embedding_zero_grad(NULL);
}
END_TEST

/* ---- weights ------------------------------------------------------------------------------- */

START_TEST(test_embedding_set_get_weights)
{
    const float w[6] = {1, 2, 3, 4, 5, 6};
    rec_embedding *e = make_table(3, 2, w);
    float out[6] = {0};
    ck_assert_rec_ok(rec_embedding_get_weights(e, out, 6));
    for (int i = 0; i < 6; i++)
        ck_assert(out[i] == w[i]);
    ck_assert(rec_embedding_row(e, 2)[1] == 6.0f);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_set_weights_refuses_non_finite)
{
    const float w[6] = {1, 2, 3, 4, 5, 6};
    rec_embedding *e = make_table(3, 2, w);
    float bad[6] = {9, 9, 9, NAN, 9, 9};
    ck_assert_rec_fails(rec_embedding_set_weights(e, bad, 6), REC_ENUMERIC,
                        "w[3] (row 1) is NaN");
    bad[3] = 9;
    bad[5] = -INFINITY;
    ck_assert_rec_fails(rec_embedding_set_weights(e, bad, 6), REC_ENUMERIC, "infinite");
    /* nothing changed, not even the finite values before the bad one */
    float out[6];
    ck_assert_rec_ok(rec_embedding_get_weights(e, out, 6));
    for (int i = 0; i < 6; i++)
        ck_assert(out[i] == w[i]);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_weights_errors)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 2, 1));
    float buf[7] = {0};
    ck_assert_rec_fails(rec_embedding_get_weights(NULL, buf, 6), REC_EINVAL, "emb is NULL");
    ck_assert_rec_fails(rec_embedding_get_weights(e, NULL, 6), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_embedding_get_weights(e, buf, 7), REC_ESHAPE, "n = 7, table holds 6");
    ck_assert_rec_fails(rec_embedding_set_weights(NULL, buf, 6), REC_EINVAL, "emb is NULL");
    ck_assert_rec_fails(rec_embedding_set_weights(e, NULL, 6), REC_EINVAL, "w is NULL");
    ck_assert_rec_fails(rec_embedding_set_weights(e, buf, 5), REC_ESHAPE, "n = 5, table holds 6");
    rec_embedding_free(e);
}
END_TEST

/* ---- gather / backward --------------------------------------------------------------------- */

START_TEST(test_embedding_gather_rows)
{
    const float w[6] = {1, 2, 3, 4, 5, 6}; /* rows [1,2] [3,4] [5,6] */
    rec_embedding *e = make_table(3, 2, w);
    const uint32_t ids[3] = {2, 0, 2};
    float out[6];
    ck_assert_rec_ok(rec_embedding_gather(e, ids, 3, out));
    const float expect[6] = {5, 6, 1, 2, 5, 6};
    for (int i = 0; i < 6; i++)
        ck_assert(out[i] == expect[i]);
    ck_assert_rec_ok(rec_embedding_gather(e, NULL, 0, NULL)); /* empty batch */
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_gather_errors)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 2, 1));
    const uint32_t ids[2] = {0, 3};
    float out[4];
    ck_assert_rec_fails(rec_embedding_gather(e, ids, 2, out), REC_EINVAL,
                        "rec_embedding_gather: ids[1] = 3 >= n_rows 3");
    ck_assert_rec_fails(rec_embedding_gather(NULL, ids, 1, out), REC_EINVAL, "emb is NULL");
    ck_assert_rec_fails(rec_embedding_gather(e, NULL, 1, out), REC_EINVAL, "ids is NULL");
    ck_assert_rec_fails(rec_embedding_gather(e, ids, 1, NULL), REC_EINVAL, "out is NULL");
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_backward_sums_repeated_ids)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 2, 1));
    float w_before[6], w_after[6];
    ck_assert_rec_ok(rec_embedding_get_weights(e, w_before, 6));
    const uint32_t ids[3] = {1, 2, 1};
    const float go[6] = {0.5f, 1.0f, 2.0f, 3.0f, 0.25f, -1.0f};
    ck_assert_rec_ok(rec_embedding_backward(e, ids, 3, go));
    /* row 1: [0.5 + 0.25, 1 - 1] = [0.75, 0]; row 2: [2, 3]; row 0 untouched */
    const float expect[6] = {0, 0, 0.75f, 0, 2, 3};
    assert_grad(e, expect, 6);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 2);
    /* a second backward accumulates: row 0 += [1, 1], row 2 += [1, 1] */
    const uint32_t ids2[2] = {0, 2};
    const float go2[4] = {1, 1, 1, 1};
    ck_assert_rec_ok(rec_embedding_backward(e, ids2, 2, go2));
    const float expect2[6] = {1, 1, 0.75f, 0, 3, 4};
    assert_grad(e, expect2, 6);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 3);
    /* an empty batch is a no-op, and backward never changes the weights */
    ck_assert_rec_ok(rec_embedding_backward(e, NULL, 0, NULL));
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 3);
    ck_assert_rec_ok(rec_embedding_get_weights(e, w_after, 6));
    ck_assert_int_eq(memcmp(w_before, w_after, sizeof w_after), 0);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_zero_grad_clears)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 4, 2, 1));
    const uint32_t ids[2] = {3, 1};
    const float go[4] = {1, 2, 3, 4};
    ck_assert_rec_ok(rec_embedding_backward(e, ids, 2, go));
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 2);
    rec_embedding_zero_grad(e);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 0);
    const float zeros[8] = {0};
    assert_grad(e, zeros, 8);
    /* touching again after a clear counts the row again */
    ck_assert_rec_ok(rec_embedding_backward(e, ids, 1, go));
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 1);
    const float expect[8] = {0, 0, 0, 0, 0, 0, 1, 2};
    assert_grad(e, expect, 8);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_backward_bad_id_accumulates_nothing)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 2, 1));
    const uint32_t ok[1] = {0};
    const float go[6] = {1, 1, 2, 2, 3, 3};
    ck_assert_rec_ok(rec_embedding_backward(e, ok, 1, go));
    /* the bad id comes last, after two valid ones */
    const uint32_t bad[3] = {1, 2, 7};
    ck_assert_rec_fails(rec_embedding_backward(e, bad, 3, go), REC_EINVAL,
                        "rec_embedding_backward: ids[2] = 7 >= n_rows 3");
    const float expect[6] = {1, 1, 0, 0, 0, 0};
    assert_grad(e, expect, 6);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 1);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_backward_errors)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 2, 1));
    const uint32_t ids[1] = {0};
    const float go[2] = {1, 1};
    ck_assert_rec_fails(rec_embedding_backward(NULL, ids, 1, go), REC_EINVAL, "emb is NULL");
    ck_assert_rec_fails(rec_embedding_backward(e, NULL, 1, go), REC_EINVAL, "ids is NULL");
    ck_assert_rec_fails(rec_embedding_backward(e, ids, 1, NULL), REC_EINVAL, "grad_out is NULL");
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 0);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_get_grad_errors)
{
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 2, 1));
    float g[6];
    ck_assert_rec_fails(rec_embedding_get_grad(NULL, g, 6), REC_EINVAL, "emb is NULL");
    ck_assert_rec_fails(rec_embedding_get_grad(e, NULL, 6), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_embedding_get_grad(e, g, 4), REC_ESHAPE, "n = 4, table holds 6");
    rec_embedding_free(e);
}
END_TEST

/* ---- pooling ------------------------------------------------------------------------------- */

/* rows: 0 = [100, 100] (padding, must never be read), 1 = [1, 2], 2 = [3, 6], 3 = [-2, 4]
 * bags: {1, 2, 0} {0, 0} {3} {} {1, 1, 3} */
static const float pool_w[8] = {100, 100, 1, 2, 3, 6, -2, 4};
static const uint32_t pool_ids[9] = {1, 2, 0, 0, 0, 3, 1, 1, 3};
static const size_t pool_offsets[6] = {0, 3, 5, 6, 6, 9};

START_TEST(test_embedding_pool_mean_skips_padding)
{
    rec_embedding *e = make_table(4, 2, pool_w);
    float out[10];
    for (int i = 0; i < 10; i++)
        out[i] = -999.0f; /* must be overwritten, zeros included */
    ck_assert_rec_ok(rec_embedding_pool_mean(e, pool_ids, pool_offsets, 5, out));
    /* bag 0: ([1,2] + [3,6]) / 2 = [2, 4]       (the 0 is padding, count 2)
     * bag 1: only padding → zeros
     * bag 2: [-2, 4]
     * bag 3: empty → zeros
     * bag 4: ([1,2] + [1,2] + [-2,4]) / 3 = [0, 8/3] */
    const float expect[10] = {2, 4, 0, 0, -2, 4, 0, 0, 0, 8.0f / 3.0f};
    for (int i = 0; i < 10; i++)
        ck_assert_float_eq_tol(out[i], expect[i], 1e-6f);
    /* no bags at all */
    ck_assert_rec_ok(rec_embedding_pool_mean(e, NULL, pool_offsets, 0, NULL));
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_pool_mean_backward_divides_by_count)
{
    rec_embedding *e = make_table(4, 2, pool_w);
    const float go[10] = {3, 6, 9, 9, 1, 1, 7, 7, 3, -3};
    ck_assert_rec_ok(rec_embedding_pool_mean_backward(e, pool_ids, pool_offsets, 5, go));
    /* row 1: bag 0 [3,6]/2 = [1.5, 3] + bag 4 twice [3,-3]/3 = 2·[1,-1] → [3.5, 1]
     * row 2: bag 0 [3,6]/2 = [1.5, 3]
     * row 3: bag 2 [1,1]/1 + bag 4 [3,-3]/3 → [2, 0]
     * row 0: padding, never gets a gradient; bags 1 and 3 contribute nothing */
    const float expect[8] = {0, 0, 3.5f, 1, 1.5f, 3, 2, 0};
    assert_grad(e, expect, 8);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 3);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_embedding_pool_errors_accumulate_nothing)
{
    rec_embedding *e = make_table(4, 2, pool_w);
    const float go[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    float out[10];
    /* an out-of-range id in the last bag */
    const uint32_t bad_ids[4] = {1, 2, 3, 4};
    const size_t offs[3] = {0, 2, 4};
    ck_assert_rec_fails(rec_embedding_pool_mean_backward(e, bad_ids, offs, 2, go), REC_EINVAL,
                        "rec_embedding_pool_mean_backward: ids[3] = 4 >= n_rows 4");
    ck_assert_rec_fails(rec_embedding_pool_mean(e, bad_ids, offs, 2, out), REC_EINVAL,
                        "rec_embedding_pool_mean: ids[3] = 4 >= n_rows 4");
    /* decreasing offsets */
    const size_t dec[4] = {0, 3, 2, 4};
    ck_assert_rec_fails(rec_embedding_pool_mean_backward(e, pool_ids, dec, 3, go), REC_EINVAL,
                        "offsets[2] = 2 < offsets[1] = 3");
    ck_assert_rec_fails(rec_embedding_pool_mean(e, pool_ids, dec, 3, out), REC_EINVAL,
                        "offsets[2] = 2 < offsets[1] = 3");
    /* offsets not starting at 0 */
    const size_t nz[2] = {1, 3};
    ck_assert_rec_fails(rec_embedding_pool_mean_backward(e, pool_ids, nz, 1, go), REC_EINVAL,
                        "offsets[0] = 1, must be 0");
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 0);
    const float zeros[8] = {0};
    assert_grad(e, zeros, 8);
    /* NULL arguments */
    ck_assert_rec_fails(rec_embedding_pool_mean(NULL, pool_ids, pool_offsets, 5, out),
                        REC_EINVAL, "emb is NULL");
    ck_assert_rec_fails(rec_embedding_pool_mean(e, pool_ids, NULL, 5, out), REC_EINVAL,
                        "offsets is NULL");
    ck_assert_rec_fails(rec_embedding_pool_mean(e, NULL, pool_offsets, 5, out), REC_EINVAL,
                        "ids is NULL");
    ck_assert_rec_fails(rec_embedding_pool_mean(e, pool_ids, pool_offsets, 5, NULL), REC_EINVAL,
                        "out is NULL");
    ck_assert_rec_fails(rec_embedding_pool_mean_backward(e, pool_ids, pool_offsets, 5, NULL),
                        REC_EINVAL, "grad_out is NULL");
    ck_assert_rec_fails(rec_embedding_pool_mean_backward(NULL, pool_ids, pool_offsets, 5, go),
                        REC_EINVAL, "emb is NULL");
    rec_embedding_free(e);
}
END_TEST

static Suite *embedding_suite(void)
{
    Suite *s = suite_create("embedding");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_embedding_init_matches_rng_stream);
    tcase_add_test(tc, test_embedding_init_seed0_first_weight);
    tcase_add_test(tc, test_embedding_init_range_and_spread);
    tcase_add_test(tc, test_embedding_init_reproducible);
    tcase_add_test(tc, test_embedding_shape_getters);
    tcase_add_test(tc, test_embedding_create_errors);
    tcase_add_test(tc, test_embedding_free_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("weights");
    tcase_add_test(tc, test_embedding_set_get_weights);
    tcase_add_test(tc, test_embedding_set_weights_refuses_non_finite);
    tcase_add_test(tc, test_embedding_weights_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("gather");
    tcase_add_test(tc, test_embedding_gather_rows);
    tcase_add_test(tc, test_embedding_gather_errors);
    tcase_add_test(tc, test_embedding_backward_sums_repeated_ids);
    tcase_add_test(tc, test_embedding_zero_grad_clears);
    tcase_add_test(tc, test_embedding_backward_bad_id_accumulates_nothing);
    tcase_add_test(tc, test_embedding_backward_errors);
    tcase_add_test(tc, test_embedding_get_grad_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("pool");
    tcase_add_test(tc, test_embedding_pool_mean_skips_padding);
    tcase_add_test(tc, test_embedding_pool_mean_backward_divides_by_count);
    tcase_add_test(tc, test_embedding_pool_errors_accumulate_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(embedding_suite());
}
