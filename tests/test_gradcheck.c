/* Suite "gradcheck" (internal): the analytic gradients of whole models — every feature kind,
 * both interactions, every activation — against central finite differences of the loss
 * L(w) = (1/B) Σ_b (ŷ_b − y_b)², computed through rec_model_evaluate (L = RMSE²). */
#include "rec_check.h"
#include "synth.h"
#include "model_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define B 16
#define H 1e-3f

typedef struct gc {
    rec_model *m;
    rec_dataset *batch; /* the B rows the gradient is taken over */
    int checked, bad, kinks;
    double worst;
} gc;

static double loss_of(const gc *g)
{
    double rmse;
    ck_assert_rec_ok(rec_model_evaluate(g->m, g->batch, 1024, &rmse, NULL));
    return rmse * rmse;
}

static double rel_err(double a, double b)
{
    return fabs(a - b) / (fabs(a) + fabs(b) + 1e-3);
}

/* Central difference of L at *w with step h, and the two one-sided slopes. */
static double slopes(const gc *g, float *w, float h, double *left, double *right)
{
    float saved = *w;
    double l0 = loss_of(g);
    *w = saved + h;
    double lp = loss_of(g);
    double hp = (double)*w - (double)saved;
    *w = saved - h;
    double lm = loss_of(g);
    double hm = (double)saved - (double)*w;
    *w = saved;
    *right = (lp - l0) / hp;
    *left = (l0 - lm) / hm;
    return (lp - lm) / (hp + hm);
}

/* Compare analytic gradient `an` of weight *w with (L(w+h) − L(w−h)) / 2h. When a relu kink
 * lies inside [w−h, w+h] the one-sided slopes differ; the analytic gradient is the slope of
 * the side without a kink, so it must match one of them — or, when kinks sit on both sides
 * (a bias moves every example), the central difference at a smaller step. */
static void check_coord(gc *g, float *w, double an)
{
    double left, right, err = 1.0;
    int kink = 0;
    for (float h = H; h > H / 64; h /= 4) {
        double num = slopes(g, w, h, &left, &right);
        err = rel_err(num, an);
        if (err <= 2e-2)
            break;
        if (rel_err(right, left) > 2e-2) {
            kink = 1;
            err = fmin(rel_err(an, left), rel_err(an, right));
            if (err <= 2e-2)
                break;
        }
    }
    g->checked++;
    g->kinks += kink;
    if (err > g->worst)
        g->worst = err;
    if (err > 2e-2) {
        g->bad++;
        if (getenv("GRADCHECK_DEBUG"))
            printf("  off: analytic %.6g (left %.6g right %.6g) w %.4g\n", an, left, right,
                   (double)*w);
    }
}

static void check_param(gc *g, rec__param *p, const float *grad, size_t limit)
{
    if (p->row_dim == 0) {
        for (size_t i = 0; i < p->n && i < limit; i++)
            check_coord(g, &p->w[i], grad[i]);
        return;
    }
    size_t done = 0;
    for (size_t t = 0; t < p->n_touched && done < limit; t++) {
        size_t row = p->touched[t];
        for (uint32_t k = 0; k < p->row_dim && done < limit; k++, done++)
            check_coord(g, &p->w[row * p->row_dim + k], grad[row * p->row_dim + k]);
    }
}

/* On a built m, take the gradient over the first B rows and check up to `limit` coordinates of
 * every parameter (max_kinks: how many may sit at a relu kink). */
static void gradcheck(rec_model *m, rec_dataset *ds, int max_kinks, const char *what)
{
    gc g = {.m = m};
    uint32_t rows[B];
    for (uint32_t i = 0; i < B; i++)
        rows[i] = i;
    ck_assert_rec_ok(rec_dataset_subset(&g.batch, ds, rows, B));
    double loss;
    ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, B, &loss));
    ck_assert_double_eq_tol(loss, loss_of(&g), 1e-6);

    /* snapshot gradients: the finite differences below never touch them, but copying keeps
     * the comparison independent of the parameter's buffers */
    for (size_t i = 0; i < m->n_feats; i++) {
        if (!m->feats[i].emb)
            continue;
        rec__param *p = rec__embedding_param(m->feats[i].emb);
        ck_assert_uint_gt(p->n_touched, 0);
        float *grad = malloc(p->n * sizeof *grad);
        memcpy(grad, p->g, p->n * sizeof *grad);
        check_param(&g, p, grad, 96);
        free(grad);
    }
    for (size_t l = 0; l < m->n_layers; l++) {
        rec_dense *d = m->layers[l];
        rec__param *pk = rec__dense_kernel(d), *pb = rec__dense_bias(d);
        float *gk = malloc(pk->n * sizeof *gk), *gb = malloc(pb->n * sizeof *gb);
        ck_assert_rec_ok(rec_dense_get_grad(d, gk, pk->n, gb, pb->n));
        check_param(&g, pk, gk, 200);
        check_param(&g, pb, gb, 64);
        free(gk);
        free(gb);
    }
    printf("gradcheck %-28s %4d coordinates (%d at relu kinks), %d off, worst relative "
           "error %.2e\n", what, g.checked, g.kinks, g.bad, g.worst);
    ck_assert_int_gt(g.checked, 50);
    ck_assert_msg(g.bad == 0, "%s: %d of %d coordinates disagree (worst %.3g)", what, g.bad,
                  g.checked, g.worst);
    ck_assert_msg(g.kinks <= max_kinks, "%s: %d coordinates at kinks", what, g.kinks);
    rec_dataset_free(g.batch);
}

START_TEST(test_gradcheck_dot)
{
    rec_dataset *ds = synth_dataset(6, 6, 64, 2, 0.0, 0.5);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 3));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 5));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_genres",
                                           REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 4));
    /* ±0.05 embeddings give tiny dot products: scale them up so gradients are not all ~0 */
    ck_assert_rec_ok(rec_model_build(m, ds));
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__param *p = rec__embedding_param(m->feats[i].emb);
        for (size_t k = 0; k < p->n; k++)
            p->w[k] *= 10.0f;
    }
    gradcheck(m, ds, 0, "dot (cat, list, text)");
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

static rec_model *mlp(rec_activation act, uint64_t seed)
{
    static const uint32_t hidden[] = {6, 5};
    return synth_rich_model(seed, act, 10, 30, hidden, 2);
}

START_TEST(test_gradcheck_mlp_every_activation)
{
    static const char *names[] = {"mlp linear", "mlp relu", "mlp sigmoid", "mlp tanh"};
    rec_dataset *ds = synth_dataset(6, 6, 64, 2, 0.0, 0.5);
    for (int a = REC_ACTIVATION_LINEAR; a <= REC_ACTIVATION_TANH; a++) {
        rec_model *m = mlp((rec_activation)a, 10 + (uint64_t)a);
        ck_assert_rec_ok(rec_model_build(m, ds));
        gradcheck(m, ds, a == REC_ACTIVATION_RELU ? 30 : 0, names[a]);
        rec_model_free(m);
    }
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_gradcheck_enriched_preset)
{
    /* the tutorial's enriched model: user, timestamp buckets, normalized timestamp, title,
     * title text → Dense(64, relu) → Dense(1) */
    rec_dataset *ds = synth_dataset(8, 8, 64, 4, 0.0, 0.5);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 5));
    ck_assert_rec_ok(rec_model_build(m, ds));
    gradcheck(m, ds, 60, "enriched preset");
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_gradcheck_one_layer_preset)
{
    rec_dataset *ds = synth_dataset(8, 8, 64, 4, 0.0, 0.5);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ONE_LAYER, 6));
    ck_assert_rec_ok(rec_model_build(m, ds));
    gradcheck(m, ds, 60, "one_layer preset");
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tcase_create("models");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_gradcheck_dot);
    tcase_add_test(tc, test_gradcheck_mlp_every_activation);
    tcase_add_test(tc, test_gradcheck_enriched_preset);
    tcase_add_test(tc, test_gradcheck_one_layer_preset);
    suite_add_tcase(s, tc);
    return rec_check_run(s);
}
