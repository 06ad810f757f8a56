/* Suite "optimizer": Adagrad (tf.keras 2.x form), Adam and SGD on embedding tables and dense
 * layers.
 *
 *     a ← a + g²;   w ← w − lr · g / (√a + ε)      defaults: a₀ = 0.1, ε = 1e-7
 *
 * Expected values below were worked out by hand from that formula (the arithmetic is in the
 * comments) and evaluated in double precision; the tolerance 1e-6 covers float rounding. */
#include "rec_check.h"

#include <math.h>

#define TOL 1e-6f

/* An embedding of 3 rows × 2 with weights [0.5, -0.3 | 0.1, 0.2 | 0.7, -0.7]. */
static rec_embedding *make_table(void)
{
    static const float w[6] = {0.5f, -0.3f, 0.1f, 0.2f, 0.7f, -0.7f};
    rec_embedding *e = NULL;
    ck_assert_rec_ok(rec_embedding_create(&e, 3, 2, 1));
    ck_assert_rec_ok(rec_embedding_set_weights(e, w, 6));
    return e;
}

static rec_optimizer *make_adagrad(float lr)
{
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, lr));
    return opt;
}

/* Accumulate the gradient g (2 floats) into row `row`. */
static void grad_row(rec_embedding *e, uint32_t row, float g0, float g1)
{
    const float g[2] = {g0, g1};
    ck_assert_rec_ok(rec_embedding_backward(e, &row, 1, g));
}

/* ---- embedding updates --------------------------------------------------------------------- */

START_TEST(test_optimizer_adagrad_one_step)
{
    rec_embedding *e = make_table();
    rec_optimizer *opt = make_adagrad(0.1f);
    grad_row(e, 0, 0.2f, -0.1f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    const float *r0 = rec_embedding_row(e, 0);
    /* w=0.5, g=0.2:  a = 0.1 + 0.04 = 0.14;  w = 0.5 − 0.1·0.2/(√0.14 + 1e-7)
     *              = 0.5 − 0.02/0.37416584 = 0.44654777
     * w=−0.3, g=−0.1: a = 0.1 + 0.01 = 0.11; w = −0.3 + 0.01/(√0.11 + 1e-7) = −0.26984887 */
    ck_assert_float_eq_tol(r0[0], 0.44654777f, TOL);
    ck_assert_float_eq_tol(r0[1], -0.26984887f, TOL);
    /* the gradient is cleared */
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 0);
    float g[6];
    ck_assert_rec_ok(rec_embedding_get_grad(e, g, 6));
    for (int i = 0; i < 6; i++)
        ck_assert(g[i] == 0.0f);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_adagrad_two_steps)
{
    rec_embedding *e = make_table();
    rec_optimizer *opt = make_adagrad(0.1f);
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    /* step 1: a = 0.14, w = 0.44654777 (as above)
     * step 2: a = 0.14 + 0.04 = 0.18; w = 0.44654777 − 0.02/(√0.18 + 1e-7)
     *                                   = 0.44654777 − 0.04714044 = 0.39940732
     * column 1 had g = 0 both times: unchanged */
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.39940732f, TOL);
    ck_assert(rec_embedding_row(e, 0)[1] == -0.3f);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_adagrad_duplicates_summed_before_update)
{
    rec_embedding *e = make_table();
    rec_optimizer *opt = make_adagrad(0.1f);
    /* row 1 twice in one batch: g = [0.1 + 0.3, 0.1 − 0.1] = [0.4, 0] */
    const uint32_t ids[2] = {1, 1};
    const float go[4] = {0.1f, 0.1f, 0.3f, -0.1f};
    ck_assert_rec_ok(rec_embedding_backward(e, ids, 2, go));
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    /* one step with g = 0.4: a = 0.1 + 0.16 = 0.26; w = 0.1 − 0.04/(√0.26 + 1e-7) = 0.02155356.
     * (Two separate steps 0.1 then 0.3 would give 0.00276685 instead.) */
    ck_assert_float_eq_tol(rec_embedding_row(e, 1)[0], 0.02155356f, TOL);
    /* g summed to exactly 0: w unchanged */
    ck_assert(rec_embedding_row(e, 1)[1] == 0.2f);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_untouched_rows_unchanged)
{
    rec_embedding *e = make_table();
    rec_optimizer *opt = make_adagrad(0.1f);
    float before[6], after[6];
    ck_assert_rec_ok(rec_embedding_get_weights(e, before, 6));
    grad_row(e, 1, 1.0f, 1.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    ck_assert_rec_ok(rec_embedding_get_weights(e, after, 6));
    /* rows 0 and 2 bit-identical; row 1 moved */
    ck_assert_int_eq(memcmp(before, after, 2 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(before + 4, after + 4, 2 * sizeof(float)), 0);
    ck_assert(after[2] < before[2] && after[3] < before[3]);
    /* an update with no gradient at all changes nothing */
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    ck_assert_rec_ok(rec_embedding_get_weights(e, before, 6));
    ck_assert_int_eq(memcmp(before, after, sizeof after), 0);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

/* ---- settings ------------------------------------------------------------------------------ */

START_TEST(test_optimizer_learning_rate_setter)
{
    rec_optimizer *opt = make_adagrad(0.1f);
    ck_assert(rec_optimizer_learning_rate(opt) == 0.1f);
    ck_assert_rec_ok(rec_optimizer_set_learning_rate(opt, 0.5f));
    ck_assert(rec_optimizer_learning_rate(opt) == 0.5f);
    rec_embedding *e = make_table();
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    /* w = 0.5 − 0.5·0.2/(√0.14 + 1e-7) = 0.5 − 0.26726117 = 0.23273883 */
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.23273883f, TOL);
    ck_assert(rec_optimizer_learning_rate(NULL) == 0.0f);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_initial_accumulator_applies_to_new_state)
{
    rec_optimizer *opt = make_adagrad(0.1f);
    ck_assert_rec_ok(rec_optimizer_set_initial_accumulator(opt, 1.0f));
    rec_embedding *e = make_table();
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    /* a = 1 + 0.04 = 1.04; w = 0.5 − 0.02/(√1.04 + 1e-7) = 0.48038839 */
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.48038839f, TOL);

    /* changing it now does not touch e's existing accumulators (a = 1.04 stays) ... */
    ck_assert_rec_ok(rec_optimizer_set_initial_accumulator(opt, 0.1f));
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    /* a = 1.04 + 0.04 = 1.08; w = 0.48038839 − 0.02/√1.08 = 0.48038839 − 0.01924501 */
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.46114338f, TOL);

    /* ... but a fresh table gets the new value: back to the default result 0.44654777 */
    rec_embedding *f = make_table();
    grad_row(f, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, f));
    ck_assert_float_eq_tol(rec_embedding_row(f, 0)[0], 0.44654777f, TOL);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
    rec_embedding_free(f);
}
END_TEST

START_TEST(test_optimizer_epsilon_setter)
{
    rec_optimizer *opt = make_adagrad(0.1f);
    ck_assert_rec_ok(rec_optimizer_set_epsilon(opt, 1.0f));
    rec_embedding *e = make_table();
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    /* w = 0.5 − 0.02/(√0.14 + 1) = 0.5 − 0.02/1.37416584 = 0.48544571 */
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.48544571f, TOL);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_zero_accumulator_and_epsilon)
{
    /* a₀ = 0 and ε = 0 are allowed: g = 0.2 gives a = 0.04 and w = 0.5 − 0.02/0.2 = 0.4; the
     * column with g = 0 has √a + ε = 0 and must stay −0.3, not become 0/0 = NaN */
    rec_optimizer *opt = make_adagrad(0.1f);
    ck_assert_rec_ok(rec_optimizer_set_initial_accumulator(opt, 0.0f));
    ck_assert_rec_ok(rec_optimizer_set_epsilon(opt, 0.0f));
    rec_embedding *e = make_table();
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.4f, TOL);
    ck_assert(rec_embedding_row(e, 0)[1] == -0.3f);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_setter_range_errors)
{
    rec_optimizer *opt = make_adagrad(0.25f);
    const float bad_lr[] = {0.0f, -0.1f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_lr / sizeof bad_lr[0]; i++)
        ck_assert_rec_fails(rec_optimizer_set_learning_rate(opt, bad_lr[i]), REC_EINVAL,
                            "rec_optimizer_set_learning_rate: learning_rate");
    ck_assert(rec_optimizer_learning_rate(opt) == 0.25f); /* unchanged */
    const float bad_nonneg[] = {-1e-9f, -1.0f, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad_nonneg / sizeof bad_nonneg[0]; i++) {
        ck_assert_rec_fails(rec_optimizer_set_initial_accumulator(opt, bad_nonneg[i]),
                            REC_EINVAL, "must be >= 0 and finite");
        ck_assert_rec_fails(rec_optimizer_set_epsilon(opt, bad_nonneg[i]), REC_EINVAL,
                            "rec_optimizer_set_epsilon: epsilon");
    }
    ck_assert_rec_fails(rec_optimizer_set_learning_rate(NULL, 0.1f), REC_EINVAL, "opt is NULL");
    ck_assert_rec_fails(rec_optimizer_set_initial_accumulator(NULL, 0.1f), REC_EINVAL,
                        "opt is NULL");
    ck_assert_rec_fails(rec_optimizer_set_epsilon(NULL, 0.1f), REC_EINVAL, "opt is NULL");
    /* the refused values left the defaults in place: the standard one-step result */
    rec_embedding *e = make_table();
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_set_learning_rate(opt, 0.1f));
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.44654777f, TOL);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

/* ---- lifecycle and errors ------------------------------------------------------------------ */

START_TEST(test_optimizer_create_errors)
{
    rec_optimizer *opt = (rec_optimizer *)&opt; /* non-NULL: must be reset */
    ck_assert_rec_fails(rec_optimizer_create_adagrad(NULL, 0.1f), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_optimizer_create_adagrad(&opt, 0.0f), REC_EINVAL,
                        "learning_rate = 0 must be > 0");
    ck_assert_ptr_null(opt);
    opt = (rec_optimizer *)&opt;
    ck_assert_rec_fails(rec_optimizer_create_adagrad(&opt, NAN), REC_EINVAL, "learning_rate");
    ck_assert_ptr_null(opt);
}
END_TEST

START_TEST(test_optimizer_free_null)
{
    rec_optimizer_free(NULL);
}
END_TEST

START_TEST(test_optimizer_update_errors)
{
    rec_optimizer *opt = make_adagrad(0.1f);
    rec_embedding *e = make_table();
    ck_assert_rec_fails(rec_optimizer_update_embedding(NULL, e), REC_EINVAL,
                        "rec_optimizer_update_embedding: opt is NULL");
    ck_assert_rec_fails(rec_optimizer_update_embedding(opt, NULL), REC_EINVAL,
                        "rec_optimizer_update_embedding: emb is NULL");
    ck_assert_rec_fails(rec_optimizer_update_dense(NULL, NULL), REC_EINVAL,
                        "rec_optimizer_update_dense: opt is NULL");
    ck_assert_rec_fails(rec_optimizer_update_dense(opt, NULL), REC_EINVAL,
                        "rec_optimizer_update_dense: dense is NULL");
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_divergence_returns_enumeric)
{
    /* Adagrad's step is below lr in size, so only an absurd (valid) learning rate overflows:
     * lr = 1e38, w = 3e38, g = −1: a = 1.1, w = 3e38 + 1e38/√1.1 = 3.95e38 > FLT_MAX → +Inf */
    rec_optimizer *opt = make_adagrad(1e38f);
    rec_embedding *e = make_table();
    const float w[6] = {0, 0, 0, 0, 3e38f, 0};
    ck_assert_rec_ok(rec_embedding_set_weights(e, w, 6));
    grad_row(e, 2, -1.0f, 0.0f);
    ck_assert_rec_fails(rec_optimizer_update_embedding(opt, e), REC_ENUMERIC,
                        "rec_optimizer_update_embedding: training diverged: embedding row 2 "
                        "column 0 is infinite");
    ck_assert(isinf(rec_embedding_row(e, 2)[0]));
    /* the gradient was consumed all the same */
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 0);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_nan_gradient_returns_enumeric)
{
    rec_optimizer *opt = make_adagrad(0.1f);
    rec_embedding *e = make_table();
    grad_row(e, 1, 0.1f, NAN);
    ck_assert_rec_fails(rec_optimizer_update_embedding(opt, e), REC_ENUMERIC,
                        "training diverged: embedding row 1 column 1 is NaN");
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

/* ---- dense layers -------------------------------------------------------------------------- */

START_TEST(test_optimizer_adagrad_dense_step)
{
    /* linear 2 → 1, W = [0.5, −0.5]ᵀ, b = 0; x = [1, 2], dy = 0.2:
     * δ = dy = 0.2, dW = xᵀδ = [0.2, 0.4], db = 0.2.
     * W0: a = 0.1 + 0.04 = 0.14, w = 0.5 − 0.02/(√0.14 + 1e-7)  = 0.44654777
     * W1: a = 0.1 + 0.16 = 0.26, w = −0.5 − 0.04/(√0.26 + 1e-7) = −0.57844644
     * b:  a = 0.14,              b = 0 − 0.02/(√0.14 + 1e-7)    = −0.05345223 */
    rec_dense *d = NULL;
    ck_assert_rec_ok(rec_dense_create(&d, 2, 1, REC_ACTIVATION_LINEAR, 3));
    const float k0[2] = {0.5f, -0.5f}, b0[1] = {0.0f};
    ck_assert_rec_ok(rec_dense_set_weights(d, k0, 2, b0, 1));
    const float x[2] = {1.0f, 2.0f}, dy[1] = {0.2f};
    float y[1];
    ck_assert_rec_ok(rec_dense_forward(d, x, 1, y));
    ck_assert_float_eq_tol(y[0], -0.5f, TOL); /* 0.5·1 − 0.5·2 */
    ck_assert_rec_ok(rec_dense_backward(d, x, y, dy, 1, NULL));
    rec_optimizer *opt = make_adagrad(0.1f);
    ck_assert_rec_ok(rec_optimizer_update_dense(opt, d));
    float k[2], b[1];
    ck_assert_rec_ok(rec_dense_get_weights(d, k, 2, b, 1));
    ck_assert_float_eq_tol(k[0], 0.44654777f, TOL);
    ck_assert_float_eq_tol(k[1], -0.57844644f, TOL);
    ck_assert_float_eq_tol(b[0], -0.05345223f, TOL);
    /* gradients cleared */
    float gk[2] = {1, 1}, gb[1] = {1};
    ck_assert_rec_ok(rec_dense_get_grad(d, gk, 2, gb, 1));
    ck_assert(gk[0] == 0.0f && gk[1] == 0.0f && gb[0] == 0.0f);
    /* a second update without a gradient changes nothing (g = 0 everywhere) */
    ck_assert_rec_ok(rec_optimizer_update_dense(opt, d));
    float k2[2], b2[1];
    ck_assert_rec_ok(rec_dense_get_weights(d, k2, 2, b2, 1));
    ck_assert(k2[0] == k[0] && k2[1] == k[1] && b2[0] == b[0]);
    rec_optimizer_free(opt);
    rec_dense_free(d);
}
END_TEST

START_TEST(test_optimizer_dense_divergence_reports_kernel)
{
    /* W0 = 3e38, x = 1, dy = −1 → dW0 = −1 and lr = 1e38 push W0 past FLT_MAX (as above); the
     * bias still gets its own (finite) step: db = −1, b = 0 + 1e38/√1.1 = 9.53e37 */
    rec_dense *d = NULL;
    ck_assert_rec_ok(rec_dense_create(&d, 1, 1, REC_ACTIVATION_LINEAR, 3));
    const float k0[1] = {3e38f}, b0[1] = {0.0f};
    ck_assert_rec_ok(rec_dense_set_weights(d, k0, 1, b0, 1));
    const float x[1] = {1.0f}, y[1] = {3e38f}, dy[1] = {-1.0f};
    ck_assert_rec_ok(rec_dense_backward(d, x, y, dy, 1, NULL));
    rec_optimizer *opt = make_adagrad(1e38f);
    ck_assert_rec_fails(rec_optimizer_update_dense(opt, d), REC_ENUMERIC,
                        "rec_optimizer_update_dense: training diverged: kernel weight 0 is "
                        "infinite");
    float k[1], b[1];
    ck_assert_rec_ok(rec_dense_get_weights(d, k, 1, b, 1));
    ck_assert(isinf(k[0]));
    ck_assert_float_eq_tol(b[0] / 1e37f, 9.5346259f, 1e-5f);
    rec_optimizer_free(opt);
    rec_dense_free(d);
}
END_TEST

/* ---- Adam and SGD --------------------------------------------------------------------------- */

START_TEST(test_optimizer_adam_two_steps)
{
    rec_embedding *e = make_table();
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adam(&opt, 0.1f));
    ck_assert_int_eq(rec_optimizer_kind_of(opt), REC_OPTIMIZER_ADAM);
    /* step 1, w=0.5, g=0.2: m = 0.1·0.2 = 0.02; v = 0.001·0.04 = 4e-5;
     *   lr_1 = 0.1·√(1−0.999)/(1−0.9) = 0.0316228; w = 0.5 − lr_1·0.02/(√4e-5 + 1e-7)
     *        = 0.40000158
     * step 2, g=0.1: m = 0.9·0.02 + 0.1·0.1 = 0.028; v = 0.999·4e-5 + 0.001·0.01 = 4.996e-5;
     *   lr_2 = 0.1·√(1−0.999²)/(1−0.81) = 0.0235317; w = 0.40000158 − lr_2·0.028/(√v + 1e-7)
     *        = 0.30678494 */
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.40000158f, TOL);
    /* a zero gradient leaves w unchanged at step 1 (m = v = 0) */
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[1], -0.3f, TOL);
    grad_row(e, 0, 0.1f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.30678494f, TOL);
    /* lazy: rows never touched keep their weights */
    ck_assert(rec_embedding_row(e, 2)[0] == 0.7f);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_sgd_step)
{
    rec_embedding *e = make_table();
    rec_optimizer *opt = NULL;
    ck_assert_rec_ok(rec_optimizer_create_sgd(&opt, 0.1f));
    ck_assert_int_eq(rec_optimizer_kind_of(opt), REC_OPTIMIZER_SGD);
    /* w = 0.5 − 0.1·0.2 = 0.48;  w = 0.1 − 0.1·(−0.4) = 0.14 */
    grad_row(e, 0, 0.2f, 0.0f);
    grad_row(e, 1, -0.4f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(opt, e));
    ck_assert_float_eq_tol(rec_embedding_row(e, 0)[0], 0.48f, TOL);
    ck_assert_float_eq_tol(rec_embedding_row(e, 1)[0], 0.14f, TOL);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), 0);
    rec_optimizer_free(opt);
    rec_embedding_free(e);
}
END_TEST

START_TEST(test_optimizer_kind_specific_setters)
{
    rec_optimizer *adam = NULL, *sgd = NULL, *ada = make_adagrad(0.1f);
    ck_assert_rec_ok(rec_optimizer_create_adam(&adam, 0.01f));
    ck_assert_rec_ok(rec_optimizer_create_sgd(&sgd, 0.01f));
    ck_assert_rec_ok(rec_optimizer_set_beta1(adam, 0.5f));
    ck_assert_rec_ok(rec_optimizer_set_beta2(adam, 0.9f));
    ck_assert_rec_ok(rec_optimizer_set_epsilon(adam, 1e-8f));
    ck_assert_rec_fails(rec_optimizer_set_beta1(adam, 1.0f), REC_EINVAL, "beta = 1");
    ck_assert_rec_fails(rec_optimizer_set_beta2(ada, 0.9f), REC_EINVAL, "only Adam");
    ck_assert_rec_fails(rec_optimizer_set_initial_accumulator(adam, 0.2f), REC_EINVAL,
                        "only Adagrad");
    ck_assert_rec_fails(rec_optimizer_set_epsilon(sgd, 1e-8f), REC_EINVAL, "SGD has no epsilon");
    ck_assert_rec_fails(rec_optimizer_create_adam(NULL, 0.1f), REC_EINVAL, "out is NULL");
    rec_optimizer *bad = (rec_optimizer *)1;
    ck_assert_rec_fails(rec_optimizer_create_sgd(&bad, -1.0f), REC_EINVAL, "learning_rate");
    ck_assert_ptr_null(bad);
    ck_assert_int_eq(rec_optimizer_kind_of(ada), REC_OPTIMIZER_ADAGRAD);
    rec_optimizer_free(adam);
    rec_optimizer_free(sgd);
    rec_optimizer_free(ada);
}
END_TEST

START_TEST(test_optimizer_state_of_another_kind_is_refused)
{
    rec_embedding *e = make_table();
    rec_optimizer *ada = make_adagrad(0.1f), *adam = NULL;
    ck_assert_rec_ok(rec_optimizer_create_adam(&adam, 0.1f));
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_ok(rec_optimizer_update_embedding(ada, e));
    grad_row(e, 0, 0.2f, 0.0f);
    ck_assert_rec_fails(rec_optimizer_update_embedding(adam, e), REC_ESTATE,
                        "holds Adagrad state, cannot be updated by Adam");
    rec_optimizer_free(ada);
    rec_optimizer_free(adam);
    rec_embedding_free(e);
}
END_TEST

static Suite *optimizer_suite(void)
{
    Suite *s = suite_create("optimizer");
    TCase *tc = tcase_create("embedding");
    tcase_add_test(tc, test_optimizer_adagrad_one_step);
    tcase_add_test(tc, test_optimizer_adagrad_two_steps);
    tcase_add_test(tc, test_optimizer_adagrad_duplicates_summed_before_update);
    tcase_add_test(tc, test_optimizer_untouched_rows_unchanged);
    suite_add_tcase(s, tc);

    tc = tcase_create("settings");
    tcase_add_test(tc, test_optimizer_learning_rate_setter);
    tcase_add_test(tc, test_optimizer_initial_accumulator_applies_to_new_state);
    tcase_add_test(tc, test_optimizer_epsilon_setter);
    tcase_add_test(tc, test_optimizer_zero_accumulator_and_epsilon);
    tcase_add_test(tc, test_optimizer_setter_range_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_optimizer_create_errors);
    tcase_add_test(tc, test_optimizer_free_null);
    tcase_add_test(tc, test_optimizer_update_errors);
    tcase_add_test(tc, test_optimizer_divergence_returns_enumeric);
    tcase_add_test(tc, test_optimizer_nan_gradient_returns_enumeric);
    suite_add_tcase(s, tc);

    tc = tcase_create("adam_sgd");
    tcase_add_test(tc, test_optimizer_adam_two_steps);
    tcase_add_test(tc, test_optimizer_sgd_step);
    tcase_add_test(tc, test_optimizer_kind_specific_setters);
    tcase_add_test(tc, test_optimizer_state_of_another_kind_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("dense");
    tcase_add_test(tc, test_optimizer_adagrad_dense_step);
    tcase_add_test(tc, test_optimizer_dense_divergence_reports_kernel);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(optimizer_suite());
}
