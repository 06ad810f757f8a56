/* Suite "dense": rec_dense_* (Keras Dense) — forward, Glorot init, backward, gradient check,
 * weight access and errors. */
#include "rec_check.h"

#include <math.h>
#include <stdlib.h>

/* The 2×3 → 2 example used by the hand-computed tests.
 * x = [[1, 2, 3], [-1, 0.5, 2]], W = [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], b = [0.05, -0.1]
 * z[0][0] = 1·0.1 + 2·0.3 + 3·(−0.5) + 0.05 = 0.1 + 0.6 − 1.5 + 0.05 = −0.75
 * z[0][1] = 1·(−0.2) + 2·0.4 + 3·0.6 − 0.1 = −0.2 + 0.8 + 1.8 − 0.1 = 2.3
 * z[1][0] = −1·0.1 + 0.5·0.3 + 2·(−0.5) + 0.05 = −0.1 + 0.15 − 1 + 0.05 = −0.9
 * z[1][1] = −1·(−0.2) + 0.5·0.4 + 2·0.6 − 0.1 = 0.2 + 0.2 + 1.2 − 0.1 = 1.5 */
static const float X[6] = {1.0f, 2.0f, 3.0f, -1.0f, 0.5f, 2.0f};
static const float W[6] = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
static const float B[2] = {0.05f, -0.1f};

static rec_dense *make_example(rec_activation act)
{
    rec_dense *d = NULL;
    ck_assert_rec_ok(rec_dense_create(&d, 3, 2, act, 1));
    ck_assert_rec_ok(rec_dense_set_weights(d, W, 6, B, 2));
    return d;
}

static void check_forward(rec_activation act, const float expect[4])
{
    rec_dense *d = make_example(act);
    float y[4];
    ck_assert_rec_ok(rec_dense_forward(d, X, 2, y));
    for (int i = 0; i < 4; i++)
        ck_assert_msg(fabsf(y[i] - expect[i]) < 1e-5f, "%s y[%d] = %.7f, expected %.7f",
                      rec_activation_name(act), i, y[i], expect[i]);
    rec_dense_free(d);
}

/* ---- forward --------------------------------------------------------------------------- */

START_TEST(test_dense_forward_linear)
{
    const float e[4] = {-0.75f, 2.3f, -0.9f, 1.5f};
    check_forward(REC_ACTIVATION_LINEAR, e);
}
END_TEST

START_TEST(test_dense_forward_relu)
{
    /* max(z, 0) */
    const float e[4] = {0.0f, 2.3f, 0.0f, 1.5f};
    check_forward(REC_ACTIVATION_RELU, e);
}
END_TEST

START_TEST(test_dense_forward_sigmoid)
{
    /* 1/(1+e^0.75) = 1/3.1170 = 0.3208213; 1/(1+e^−2.3) = 1/1.100259 = 0.9088770;
     * 1/(1+e^0.9) = 1/3.459603 = 0.2890505; 1/(1+e^−1.5) = 1/1.223130 = 0.8175745 */
    const float e[4] = {0.3208213f, 0.9088770f, 0.2890505f, 0.8175745f};
    check_forward(REC_ACTIVATION_SIGMOID, e);
}
END_TEST

START_TEST(test_dense_forward_tanh)
{
    /* tanh z = (e^2z − 1)/(e^2z + 1): tanh(−0.75) = (0.223130 − 1)/(1.223130) = −0.6351490,
     * tanh 2.3 = 0.9800964, tanh(−0.9) = −0.7162979, tanh 1.5 = 0.9051483 */
    const float e[4] = {-0.6351490f, 0.9800964f, -0.7162979f, 0.9051483f};
    check_forward(REC_ACTIVATION_TANH, e);
}
END_TEST

START_TEST(test_dense_forward_sigmoid_extreme_inputs_do_not_overflow)
{
    /* 1×1 layer with w = 1, b = 0: z = x. e^1000 overflows float; the stable form never
     * evaluates it: σ(1000) = 1, σ(−1000) = e^−1000/(1 + e^−1000) = 0, σ(−88) ≈ 6.05e−39. */
    rec_dense *d = NULL;
    ck_assert_rec_ok(rec_dense_create(&d, 1, 1, REC_ACTIVATION_SIGMOID, 1));
    const float w = 1.0f, b = 0.0f;
    ck_assert_rec_ok(rec_dense_set_weights(d, &w, 1, &b, 1));
    const float x[4] = {1000.0f, -1000.0f, -88.0f, 0.0f};
    float y[4];
    ck_assert_rec_ok(rec_dense_forward(d, x, 4, y));
    ck_assert_float_eq(y[0], 1.0f);
    ck_assert_float_eq(y[1], 0.0f);
    ck_assert(isfinite(y[2]) && y[2] >= 0.0f && y[2] < 1e-37f);
    ck_assert_float_eq(y[3], 0.5f);
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_accessors)
{
    rec_dense *d = NULL;
    ck_assert_rec_ok(rec_dense_create(&d, 7, 5, REC_ACTIVATION_TANH, 3));
    ck_assert_uint_eq(rec_dense_n_in(d), 7);
    ck_assert_uint_eq(rec_dense_n_out(d), 5);
    ck_assert_int_eq(rec_dense_activation(d), REC_ACTIVATION_TANH);
    ck_assert_uint_eq(rec_dense_n_in(NULL), 0);
    ck_assert_uint_eq(rec_dense_n_out(NULL), 0);
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_activation_name)
{
    ck_assert_str_eq(rec_activation_name(REC_ACTIVATION_LINEAR), "linear");
    ck_assert_str_eq(rec_activation_name(REC_ACTIVATION_RELU), "relu");
    ck_assert_str_eq(rec_activation_name(REC_ACTIVATION_SIGMOID), "sigmoid");
    ck_assert_str_eq(rec_activation_name(REC_ACTIVATION_TANH), "tanh");
    ck_assert_str_eq(rec_activation_name(4), "unknown");
    ck_assert_str_eq(rec_activation_name(-1), "unknown");
}
END_TEST

/* ---- initialisation -------------------------------------------------------------------- */

START_TEST(test_dense_glorot_range_and_zero_bias)
{
    /* 129 → 64: limit = sqrt(6/193) = 0.1763181 */
    const float limit = 0.1763181f;
    rec_dense *d = NULL;
    ck_assert_rec_ok(rec_dense_create(&d, 129, 64, REC_ACTIVATION_RELU, 42));
    float *k = malloc(129 * 64 * sizeof *k);
    float b[64];
    ck_assert_rec_ok(rec_dense_get_weights(d, k, 129 * 64, b, 64));
    float lo = 1.0f, hi = -1.0f;
    double mean = 0.0;
    for (int i = 0; i < 129 * 64; i++) {
        ck_assert_msg(k[i] >= -limit - 1e-6f && k[i] <= limit + 1e-6f, "k[%d] = %g", i, k[i]);
        lo = k[i] < lo ? k[i] : lo;
        hi = k[i] > hi ? k[i] : hi;
        mean += k[i];
    }
    mean /= 129 * 64;
    /* 8256 uniform draws: the extremes come within 1 % of ±limit, the mean is ~0
     * (its standard deviation is limit/sqrt(3·8256) = 0.0011). */
    ck_assert_float_lt(lo, -0.99f * limit);
    ck_assert_float_gt(hi, 0.99f * limit);
    ck_assert_double_lt(fabs(mean), 0.006);
    for (int j = 0; j < 64; j++)
        ck_assert_float_eq(b[j], 0.0f);
    free(k);
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_glorot_follows_rng_row_major)
{
    /* 3 → 2: limit = sqrt(6/5) = 1.0954451; w_k = −limit + 2·limit·u_k with u_k the k-th
     * rec_rng_uniform draw of the same seed. */
    rec_dense *d = NULL;
    ck_assert_rec_ok(rec_dense_create(&d, 3, 2, REC_ACTIVATION_LINEAR, 7));
    float k[6];
    ck_assert_rec_ok(rec_dense_get_weights(d, k, 6, NULL, 0));
    rec_rng *r = NULL;
    ck_assert_rec_ok(rec_rng_create(&r, 7));
    const float limit = 1.0954451f;
    for (int i = 0; i < 6; i++) {
        float u = rec_rng_uniform(r);
        ck_assert_float_eq_tol(k[i], -limit + 2.0f * limit * u, 1e-6f);
    }
    rec_rng_free(r);
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_glorot_reproducible)
{
    rec_dense *a = NULL, *b = NULL, *c = NULL;
    ck_assert_rec_ok(rec_dense_create(&a, 10, 4, REC_ACTIVATION_RELU, 99));
    ck_assert_rec_ok(rec_dense_create(&b, 10, 4, REC_ACTIVATION_SIGMOID, 99));
    ck_assert_rec_ok(rec_dense_create(&c, 10, 4, REC_ACTIVATION_RELU, 100));
    float ka[40], kb[40], kc[40];
    ck_assert_rec_ok(rec_dense_get_weights(a, ka, 40, NULL, 0));
    ck_assert_rec_ok(rec_dense_get_weights(b, kb, 40, NULL, 0));
    ck_assert_rec_ok(rec_dense_get_weights(c, kc, 40, NULL, 0));
    ck_assert_mem_eq(ka, kb, sizeof ka); /* same seed: same kernel, whatever the activation */
    int differ = 0;
    for (int i = 0; i < 40; i++)
        differ += ka[i] != kc[i];
    ck_assert_int_gt(differ, 35); /* another seed: (almost) every value differs */
    rec_dense_free(a);
    rec_dense_free(b);
    rec_dense_free(c);
}
END_TEST

/* ---- backward -------------------------------------------------------------------------- */

/* relu on the example: y = [[0, 2.3], [0, 1.5]], dy = [[1, 2], [3, −1]]
 * δ = dy ∘ [y > 0] = [[0, 2], [0, −1]]
 * dW = xᵀδ: column 0 is 0; dW[0][1] = 1·2 + (−1)(−1) = 3, dW[1][1] = 2·2 + 0.5·(−1) = 3.5,
 *           dW[2][1] = 3·2 + 2·(−1) = 4
 * db = Σ_rows δ = [0, 2 − 1] = [0, 1]
 * dx = δWᵀ: dx[0] = 2·[−0.2, 0.4, 0.6] = [−0.4, 0.8, 1.2]; dx[1] = −1·[−0.2, 0.4, 0.6] */
static const float DY[4] = {1.0f, 2.0f, 3.0f, -1.0f};
static const float EDW[6] = {0.0f, 3.0f, 0.0f, 3.5f, 0.0f, 4.0f};
static const float EDB[2] = {0.0f, 1.0f};
static const float EDX[6] = {-0.4f, 0.8f, 1.2f, 0.2f, -0.4f, -0.6f};

static void assert_close(const float *got, const float *want, int n, float scale, const char *w)
{
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabsf(got[i] - scale * want[i]) < 1e-5f, "%s[%d] = %.7f, expected %.7f", w,
                      i, got[i], scale * want[i]);
}

START_TEST(test_dense_backward_hand_computed)
{
    rec_dense *d = make_example(REC_ACTIVATION_RELU);
    float y[4], dx[6], gw[6], gb[2];
    ck_assert_rec_ok(rec_dense_forward(d, X, 2, y));
    ck_assert_rec_ok(rec_dense_backward(d, X, y, DY, 2, dx));
    ck_assert_rec_ok(rec_dense_get_grad(d, gw, 6, gb, 2));
    assert_close(gw, EDW, 6, 1.0f, "dW");
    assert_close(gb, EDB, 2, 1.0f, "db");
    assert_close(dx, EDX, 6, 1.0f, "dx");
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_backward_linear_and_sigmoid_hand_computed)
{
    /* linear: δ = dy = [[1, 2], [3, −1]]; db = [4, 1];
     * dW[0] = [1·1 + (−1)·3, 1·2 + (−1)(−1)] = [−2, 3]; dW[1] = [2 + 1.5, 4 − 0.5] = [3.5, 3.5];
     * dW[2] = [3 + 6, 6 − 2] = [9, 4]; dx[0] = [1·0.1 + 2·(−0.2), 0.3 + 0.8, −0.5 + 1.2]
     *       = [−0.3, 1.1, 0.7]; dx[1] = [0.3 + 0.2, 0.9 − 0.4, −1.5 − 0.6] = [0.5, 0.5, −2.1] */
    const float edw[6] = {-2.0f, 3.0f, 3.5f, 3.5f, 9.0f, 4.0f};
    const float edb[2] = {4.0f, 1.0f};
    const float edx[6] = {-0.3f, 1.1f, 0.7f, 0.5f, 0.5f, -2.1f};
    rec_dense *d = make_example(REC_ACTIVATION_LINEAR);
    float y[4], dx[6], gw[6], gb[2];
    ck_assert_rec_ok(rec_dense_forward(d, X, 2, y));
    ck_assert_rec_ok(rec_dense_backward(d, X, y, DY, 2, dx));
    ck_assert_rec_ok(rec_dense_get_grad(d, gw, 6, gb, 2));
    assert_close(gw, edw, 6, 1.0f, "linear dW");
    assert_close(gb, edb, 2, 1.0f, "linear db");
    assert_close(dx, edx, 6, 1.0f, "linear dx");
    rec_dense_free(d);

    /* sigmoid, batch 1, x = [1, 2, 3]: y = σ(−0.75) = 0.3208213, σ(2.3) = 0.9088770;
     * δ = dy·y(1 − y) with dy = [1, 2]: δ0 = 0.3208213·0.6791787 = 0.2178950,
     * δ1 = 2·0.9088770·0.0911230 = 0.1656391; db = δ; dW[i] = x_i·δ */
    d = make_example(REC_ACTIVATION_SIGMOID);
    ck_assert_rec_ok(rec_dense_forward(d, X, 1, y));
    ck_assert_rec_ok(rec_dense_backward(d, X, y, DY, 1, NULL));
    ck_assert_rec_ok(rec_dense_get_grad(d, gw, 6, gb, 2));
    const float sdb[2] = {0.2178950f, 0.1656391f};
    const float sdw[6] = {0.2178950f, 0.1656391f, 0.4357900f, 0.3312783f, 0.6536850f,
                          0.4969174f};
    assert_close(gb, sdb, 2, 1.0f, "sigmoid db");
    assert_close(gw, sdw, 6, 1.0f, "sigmoid dW");
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_backward_accumulates_and_zero_grad_clears)
{
    rec_dense *d = make_example(REC_ACTIVATION_RELU);
    float y[4], dx[6], gw[6], gb[2];
    ck_assert_rec_ok(rec_dense_forward(d, X, 2, y));
    ck_assert_rec_ok(rec_dense_backward(d, X, y, DY, 2, dx));
    ck_assert_rec_ok(rec_dense_backward(d, X, y, DY, 2, dx));
    ck_assert_rec_ok(rec_dense_get_grad(d, gw, 6, gb, 2));
    assert_close(gw, EDW, 6, 2.0f, "dW after two calls"); /* accumulated: 2× */
    assert_close(gb, EDB, 2, 2.0f, "db after two calls");
    assert_close(dx, EDX, 6, 1.0f, "dx after two calls"); /* overwritten, not accumulated */

    rec_dense_zero_grad(d);
    ck_assert_rec_ok(rec_dense_get_grad(d, gw, 6, gb, 2));
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(gw[i], 0.0f);
    ck_assert_float_eq(gb[0], 0.0f);
    ck_assert_float_eq(gb[1], 0.0f);

    /* a smaller batch after a larger one reuses the scratch: row 0 alone gives
     * dW[:,1] = x0·2 = [2, 4, 6], db = [0, 2] */
    ck_assert_rec_ok(rec_dense_backward(d, X, y, DY, 1, NULL));
    ck_assert_rec_ok(rec_dense_get_grad(d, gw, 6, gb, 2));
    const float e1[6] = {0.0f, 2.0f, 0.0f, 4.0f, 0.0f, 6.0f};
    assert_close(gw, e1, 6, 1.0f, "dW batch 1");
    ck_assert_float_eq_tol(gb[1], 2.0f, 1e-6f);
    rec_dense_zero_grad(NULL);
    rec_dense_free(d);
}
END_TEST

/* ---- finite-difference gradient check ------------------------------------------------------
 * L = Σ c_ij·y_ij, so ∂L/∂y = c. Each weight, bias and input is moved by ±eps and
 * (L(+) − L(−))/(2 eps) compared with the analytic gradient. */
enum { GB = 5, GI = 4, GO = 3 };

static double loss(const rec_dense *d, const float *x, const float *c)
{
    float y[GB * GO];
    ck_assert_rec_ok(rec_dense_forward(d, x, GB, y));
    double l = 0.0;
    for (int i = 0; i < GB * GO; i++)
        l += (double)c[i] * y[i];
    return l;
}

static void assert_grad(double analytic, double numeric, const char *what, int i, int act)
{
    double tol = 1e-2 * fmax(fabs(analytic), fabs(numeric)) + 2e-3;
    ck_assert_msg(fabs(analytic - numeric) <= tol, "%s %s[%d]: analytic %.6f numeric %.6f",
                  rec_activation_name(act), what, i, analytic, numeric);
}

static void gradcheck(rec_activation act)
{
    const float eps = 1e-2f;
    float x[GB * GI], c[GB * GO], k[GI * GO], b[GO];
    rec_rng *r = NULL;
    rec_dense *d = NULL;
    /* Draw inputs until every pre-activation is away from relu's kink: a ±eps step moves z by
     * at most eps·max(|x|, |w|, 1) ≤ eps, so |z| > 5·eps keeps each difference on one side. */
    for (uint64_t seed = 1;; seed++) {
        ck_assert_uint_lt(seed, 1000);
        ck_assert_rec_ok(rec_rng_create(&r, seed));
        for (int i = 0; i < GB * GI; i++)
            x[i] = 2.0f * rec_rng_uniform(r) - 1.0f;
        for (int i = 0; i < GB * GO; i++)
            c[i] = 2.0f * rec_rng_uniform(r) - 1.0f;
        for (int i = 0; i < GO; i++)
            b[i] = 0.4f * rec_rng_uniform(r) - 0.2f;
        rec_rng_free(r);
        ck_assert_rec_ok(rec_dense_create(&d, GI, GO, REC_ACTIVATION_LINEAR, seed));
        ck_assert_rec_ok(rec_dense_set_weights(d, NULL, 0, b, GO));
        float z[GB * GO];
        ck_assert_rec_ok(rec_dense_forward(d, x, GB, z));
        ck_assert_rec_ok(rec_dense_get_weights(d, k, GI * GO, NULL, 0));
        rec_dense_free(d);
        int ok = 1;
        for (int i = 0; i < GB * GO; i++)
            ok &= fabsf(z[i]) > 5.0f * eps;
        if (ok)
            break;
    }

    ck_assert_rec_ok(rec_dense_create(&d, GI, GO, act, 1));
    ck_assert_rec_ok(rec_dense_set_weights(d, k, GI * GO, b, GO));
    float y[GB * GO], dx[GB * GI], gk[GI * GO], gb[GO];
    ck_assert_rec_ok(rec_dense_forward(d, x, GB, y));
    ck_assert_rec_ok(rec_dense_backward(d, x, y, c, GB, dx));
    ck_assert_rec_ok(rec_dense_get_grad(d, gk, GI * GO, gb, GO));

    for (int i = 0; i < GI * GO; i++) {
        float kp[GI * GO];
        memcpy(kp, k, sizeof kp);
        kp[i] = k[i] + eps;
        ck_assert_rec_ok(rec_dense_set_weights(d, kp, GI * GO, NULL, 0));
        double lp = loss(d, x, c);
        kp[i] = k[i] - eps;
        ck_assert_rec_ok(rec_dense_set_weights(d, kp, GI * GO, NULL, 0));
        double lm = loss(d, x, c);
        assert_grad(gk[i], (lp - lm) / (2.0 * eps), "dW", i, act);
    }
    ck_assert_rec_ok(rec_dense_set_weights(d, k, GI * GO, NULL, 0));
    for (int j = 0; j < GO; j++) {
        float bp[GO];
        memcpy(bp, b, sizeof bp);
        bp[j] = b[j] + eps;
        ck_assert_rec_ok(rec_dense_set_weights(d, NULL, 0, bp, GO));
        double lp = loss(d, x, c);
        bp[j] = b[j] - eps;
        ck_assert_rec_ok(rec_dense_set_weights(d, NULL, 0, bp, GO));
        double lm = loss(d, x, c);
        assert_grad(gb[j], (lp - lm) / (2.0 * eps), "db", j, act);
    }
    ck_assert_rec_ok(rec_dense_set_weights(d, NULL, 0, b, GO));
    for (int i = 0; i < GB * GI; i++) {
        float xp[GB * GI];
        memcpy(xp, x, sizeof xp);
        xp[i] = x[i] + eps;
        double lp = loss(d, xp, c);
        xp[i] = x[i] - eps;
        double lm = loss(d, xp, c);
        assert_grad(dx[i], (lp - lm) / (2.0 * eps), "dx", i, act);
    }
    rec_dense_free(d);
}

START_TEST(test_dense_gradcheck_linear)
{
    gradcheck(REC_ACTIVATION_LINEAR);
}
END_TEST

START_TEST(test_dense_gradcheck_relu)
{
    gradcheck(REC_ACTIVATION_RELU);
}
END_TEST

START_TEST(test_dense_gradcheck_sigmoid)
{
    gradcheck(REC_ACTIVATION_SIGMOID);
}
END_TEST

START_TEST(test_dense_gradcheck_tanh)
{
    gradcheck(REC_ACTIVATION_TANH);
}
END_TEST

/* ---- weights --------------------------------------------------------------------------- */

START_TEST(test_dense_set_get_weights_roundtrip)
{
    rec_dense *d = make_example(REC_ACTIVATION_LINEAR);
    float k[6], b[2];
    ck_assert_rec_ok(rec_dense_get_weights(d, k, 6, b, 2));
    ck_assert_mem_eq(k, W, sizeof k);
    ck_assert_mem_eq(b, B, sizeof b);
    /* NULL skips: replace only the bias, the kernel stays */
    const float b2[2] = {1.0f, 2.0f};
    ck_assert_rec_ok(rec_dense_set_weights(d, NULL, 0, b2, 2));
    ck_assert_rec_ok(rec_dense_get_weights(d, k, 6, NULL, 0));
    ck_assert_mem_eq(k, W, sizeof k);
    ck_assert_rec_ok(rec_dense_get_weights(d, NULL, 0, b, 2));
    ck_assert_mem_eq(b, b2, sizeof b);
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_set_weights_refuses_non_finite)
{
    rec_dense *d = make_example(REC_ACTIVATION_LINEAR);
    float k[6], b[2];
    memcpy(k, W, sizeof k);
    k[3] = NAN;
    const float b2[2] = {9.0f, 9.0f};
    ck_assert_rec_fails(rec_dense_set_weights(d, k, 6, b2, 2), REC_ENUMERIC, "kernel[3]");
    const float binf[2] = {0.0f, INFINITY};
    ck_assert_rec_fails(rec_dense_set_weights(d, W, 6, binf, 2), REC_ENUMERIC, "bias[1]");
    /* nothing changed, neither kernel nor bias */
    ck_assert_rec_ok(rec_dense_get_weights(d, k, 6, b, 2));
    ck_assert_mem_eq(k, W, sizeof k);
    ck_assert_mem_eq(b, B, sizeof b);
    rec_dense_free(d);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------- */

START_TEST(test_dense_create_errors)
{
    rec_dense *d = (rec_dense *)&d; /* must be reset to NULL on failure */
    ck_assert_rec_fails(rec_dense_create(&d, 0, 2, REC_ACTIVATION_RELU, 1), REC_EINVAL, "n_in");
    ck_assert_ptr_null(d);
    d = (rec_dense *)&d;
    ck_assert_rec_fails(rec_dense_create(&d, 2, 0, REC_ACTIVATION_RELU, 1), REC_EINVAL,
                        "n_out");
    ck_assert_ptr_null(d);
    ck_assert_rec_fails(rec_dense_create(&d, 2, 2, (rec_activation)4, 1), REC_EINVAL,
                        "activation");
    ck_assert_ptr_null(d);
    ck_assert_rec_fails(rec_dense_create(&d, 2, 2, (rec_activation)-1, 1), REC_EINVAL,
                        "activation");
    ck_assert_rec_fails(rec_dense_create(NULL, 2, 2, REC_ACTIVATION_RELU, 1), REC_EINVAL,
                        "rec_dense_create: out");
    ck_assert_rec_fails(rec_dense_create(&d, 0x80000000u, 2, REC_ACTIVATION_RELU, 1),
                        REC_EINVAL, "n_in");
}
END_TEST

START_TEST(test_dense_forward_backward_errors)
{
    rec_dense *d = make_example(REC_ACTIVATION_RELU);
    float y[4], dx[6];
    ck_assert_rec_fails(rec_dense_forward(NULL, X, 2, y), REC_EINVAL, "dense");
    ck_assert_rec_fails(rec_dense_forward(d, NULL, 2, y), REC_EINVAL, "rec_dense_forward: x");
    ck_assert_rec_fails(rec_dense_forward(d, X, 2, NULL), REC_EINVAL, "rec_dense_forward: y");
    ck_assert_rec_fails(rec_dense_forward(d, X, 0, y), REC_EINVAL, "batch");
    ck_assert_rec_ok(rec_dense_forward(d, X, 2, y));
    ck_assert_rec_fails(rec_dense_backward(NULL, X, y, DY, 2, dx), REC_EINVAL, "dense");
    ck_assert_rec_fails(rec_dense_backward(d, NULL, y, DY, 2, dx), REC_EINVAL, ": x");
    ck_assert_rec_fails(rec_dense_backward(d, X, NULL, DY, 2, dx), REC_EINVAL, ": y");
    ck_assert_rec_fails(rec_dense_backward(d, X, y, NULL, 2, dx), REC_EINVAL, ": dy");
    ck_assert_rec_fails(rec_dense_backward(d, X, y, DY, 0, dx), REC_EINVAL, "batch");
    /* failed calls accumulated nothing */
    float gw[6], gb[2];
    ck_assert_rec_ok(rec_dense_get_grad(d, gw, 6, gb, 2));
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(gw[i], 0.0f);
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_weight_access_errors)
{
    rec_dense *d = make_example(REC_ACTIVATION_RELU);
    float k[7], b[3];
    ck_assert_rec_fails(rec_dense_get_weights(NULL, k, 6, b, 2), REC_EINVAL, "dense");
    ck_assert_rec_fails(rec_dense_get_weights(d, k, 7, b, 2), REC_ESHAPE, "n_kernel = 7");
    ck_assert_rec_fails(rec_dense_get_weights(d, k, 6, b, 3), REC_ESHAPE, "n_bias = 3");
    ck_assert_rec_fails(rec_dense_set_weights(NULL, W, 6, B, 2), REC_EINVAL, "dense");
    ck_assert_rec_fails(rec_dense_set_weights(d, W, 5, B, 2), REC_ESHAPE,
                        "rec_dense_set_weights: n_kernel = 5");
    ck_assert_rec_fails(rec_dense_set_weights(d, W, 6, B, 1), REC_ESHAPE, "n_bias = 1");
    ck_assert_rec_fails(rec_dense_get_grad(NULL, k, 6, b, 2), REC_EINVAL, "dense");
    ck_assert_rec_fails(rec_dense_get_grad(d, k, 2, b, 2), REC_ESHAPE,
                        "rec_dense_get_grad: n_kernel = 2");
    ck_assert_rec_fails(rec_dense_get_grad(d, k, 6, b, 0), REC_ESHAPE, "n_bias = 0");
    rec_dense_free(d);
}
END_TEST

START_TEST(test_dense_free_null)
{
    rec_dense_free(NULL);
}
END_TEST

static Suite *dense_suite(void)
{
    Suite *s = suite_create("dense");
    TCase *tc = tcase_create("forward");
    tcase_add_test(tc, test_dense_forward_linear);
    tcase_add_test(tc, test_dense_forward_relu);
    tcase_add_test(tc, test_dense_forward_sigmoid);
    tcase_add_test(tc, test_dense_forward_tanh);
    tcase_add_test(tc, test_dense_forward_sigmoid_extreme_inputs_do_not_overflow);
    tcase_add_test(tc, test_dense_accessors);
    tcase_add_test(tc, test_dense_activation_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("init");
    tcase_add_test(tc, test_dense_glorot_range_and_zero_bias);
    tcase_add_test(tc, test_dense_glorot_follows_rng_row_major);
    tcase_add_test(tc, test_dense_glorot_reproducible);
    suite_add_tcase(s, tc);

    tc = tcase_create("backward");
    tcase_add_test(tc, test_dense_backward_hand_computed);
    tcase_add_test(tc, test_dense_backward_linear_and_sigmoid_hand_computed);
    tcase_add_test(tc, test_dense_backward_accumulates_and_zero_grad_clears);
    suite_add_tcase(s, tc);

    tc = tcase_create("gradcheck");
    tcase_add_test(tc, test_dense_gradcheck_linear);
    tcase_add_test(tc, test_dense_gradcheck_relu);
    tcase_add_test(tc, test_dense_gradcheck_sigmoid);
    tcase_add_test(tc, test_dense_gradcheck_tanh);
    suite_add_tcase(s, tc);

    tc = tcase_create("weights");
    tcase_add_test(tc, test_dense_set_get_weights_roundtrip);
    tcase_add_test(tc, test_dense_set_weights_refuses_non_finite);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_dense_create_errors);
    tcase_add_test(tc, test_dense_forward_backward_errors);
    tcase_add_test(tc, test_dense_weight_access_errors);
    tcase_add_test(tc, test_dense_free_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(dense_suite());
}
