/* Suite "gradcheck" (internal): the analytic gradients of whole models — every feature kind,
 * every interaction (DOT, MLP, BIASED_DOT, FM), every activation, dropout — against central
 * finite differences of the loss L(w) = (1/B) Σ_b (ŷ_b − y_b)², computed through
 * rec_model_evaluate (L = RMSE²), or, with dropout, through a training pass replaying the same
 * masks. The L2 penalties' gradients, the FM's forward pass, and RMSE / MAE are checked against
 * hand-computed values. */
#include "model_fixtures.h"
#include "rec_check.h"
#include "synth.h"
#include "model/model.h"

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
    /* dropout: the loss of a training pass, its masks drawn from this generator state */
    int replay;
    rec__rng drop_state;
    const rec_dataset *ds;
    const uint32_t *rows;
} gc;

/* Every gradient of the model back to zero. */
static void zero_all_grads(rec_model *m)
{
    for (size_t i = 0; i < m->params.n; i++)
        rec__param_zero_grad(m->params.e[i].p);
}

static double loss_of(const gc *g)
{
    if (g->replay) {
        /* the training pass with the very masks of the analytic gradient */
        double loss;
        g->m->drop_rng = g->drop_state;
        ck_assert_rec_ok(rec_model_compute_gradients(g->m, g->ds, g->rows, B, &loss));
        zero_all_grads(g->m);
        return loss;
    }
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

/* A parameter's analytic gradient and touched rows, copied before any finite difference (with
 * dropout the replayed training passes clear the gradients). */
typedef struct snap {
    rec__param *p;
    float *grad;
    uint32_t *touched;
    size_t n_touched;
    size_t limit;
} snap;

static snap take(rec__param *p, size_t limit)
{
    snap s = {p, malloc(p->n * sizeof(float)), NULL, p->n_touched, limit};
    memcpy(s.grad, p->g, p->n * sizeof(float));
    if (p->row_dim) {
        ck_assert_uint_gt(p->n_touched, 0);
        s.touched = malloc((p->n_touched ? p->n_touched : 1) * sizeof(uint32_t));
        memcpy(s.touched, p->touched, p->n_touched * sizeof(uint32_t));
    }
    return s;
}

static void check_param(gc *g, snap *s)
{
    rec__param *p = s->p;
    if (p->row_dim == 0) {
        for (size_t i = 0; i < p->n && i < s->limit; i++)
            check_coord(g, &p->w[i], s->grad[i]);
    } else {
        size_t done = 0;
        for (size_t t = 0; t < s->n_touched && done < s->limit; t++) {
            size_t row = s->touched[t];
            for (uint32_t k = 0; k < p->row_dim && done < s->limit; k++, done++)
                check_coord(g, &p->w[row * p->row_dim + k], s->grad[row * p->row_dim + k]);
        }
    }
    free(s->grad);
    free(s->touched);
}

/* On a built m, take the gradient over the first B rows and check up to `limit` coordinates of
 * every parameter (max_kinks: how many may sit at a relu kink). */
static void gradcheck(rec_model *m, rec_dataset *ds, int max_kinks, const char *what)
{
    static uint32_t rows[B];
    gc g = {.m = m, .ds = ds, .rows = rows};
    for (uint32_t i = 0; i < B; i++)
        rows[i] = i;
    ck_assert_rec_ok(rec_dataset_subset(&g.batch, ds, rows, B));
    g.replay = rec__regularize_has_dropout(m);
    g.drop_state = m->drop_rng;
    double loss;
    ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, B, &loss));
    if (!g.replay)
        ck_assert_double_eq_tol(loss, loss_of(&g), 1e-6);

    /* snapshot every gradient first: the finite differences below must compare with the
     * analytic gradient of the starting point, whatever they do to the buffers */
    snap snaps[64];
    size_t ns = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].emb)
            snaps[ns++] = take(rec__embedding_param(m->feats[i].emb), 96);
    for (size_t l = 0; l < m->n_layers; l++) {
        snaps[ns++] = take(rec__dense_kernel(m->layers[l].dense), 200);
        snaps[ns++] = take(rec__dense_bias(m->layers[l].dense), 64);
    }
    /* BIASED_DOT / FM: the global bias, the linear tables, numeric factor vectors */
    if (m->w0)
        snaps[ns++] = take(rec__embedding_param(m->w0), 1);
    for (size_t i = 0; i < m->n_feats; i++) {
        if (m->feats[i].lin)
            snaps[ns++] = take(rec__embedding_param(m->feats[i].lin), 32);
        if (m->feats[i].nvec)
            snaps[ns++] = take(rec__embedding_param(m->feats[i].nvec), 32);
    }
    ck_assert_uint_le(ns, 64);
    for (size_t i = 0; i < ns; i++)
        check_param(&g, &snaps[i]);
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
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
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
    return fx_rich_model(seed, act, 10, 30, hidden, 2);
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

/* Embeddings × scale so that products of two of them are not all ≈ 0 (yet the loss stays
 * small enough for float32 finite differences), linear tables away from 0. */
static void spread_weights(rec_model *m, uint64_t seed, float scale)
{
    rec_rng *r;
    ck_assert_rec_ok(rec_rng_create(&r, seed));
    for (size_t i = 0; i < m->n_feats; i++) {
        if (m->feats[i].emb) {
            rec__param *p = rec__embedding_param(m->feats[i].emb);
            for (size_t k = 0; k < p->n; k++)
                p->w[k] *= scale;
        }
        const rec__feature *fx = &m->feats[i];
        if (fx->lin) {
            rec__param *p = rec__embedding_param(fx->lin);
            for (size_t k = 0; k < p->n; k++)
                p->w[k] = rec_rng_uniform(r) - 0.5f;
        }
        if (fx->nvec) {
            rec__param *p = rec__embedding_param(fx->nvec);
            for (size_t k = 0; k < p->n; k++)
                p->w[k] = rec_rng_uniform(r) - 0.5f;
        }
    }
    rec_rng_free(r);
}

START_TEST(test_gradcheck_biased_dot)
{
    /* user side: id (3) + genres, pooled by 1/√c (2); item side: title (4) + age (1) */
    rec_dataset *ds = synth_dataset(6, 6, 64, 2, 3.0, 0.5);
    rec_model *m;
    uint32_t f;
    ck_assert_rec_ok(rec_model_create(&m, 4));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_feature_set_pooling(m, f, REC_POOLING_SQRTN));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_ITEM, 1));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_BIASED_DOT));
    ck_assert_rec_ok(rec_model_build(m, ds));
    spread_weights(m, 1, 10.0f);
    gradcheck(m, ds, 0, "biased dot (cat, list, num)");
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* An FM over every feature kind, K = 3. */
static rec_model *fm_model(uint64_t seed, rec_pooling pooling)
{
    rec_model *m;
    uint32_t f;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_feature_set_bucket_count(m, f, 5));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_title", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_feature_set_max_tokens(m, f, 30));
    ck_assert_rec_ok(rec_model_feature_set_pooling(m, f, pooling));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_feature_set_pooling(m, f, pooling));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    return m;
}

START_TEST(test_gradcheck_fm)
{
    rec_dataset *ds = synth_dataset(6, 6, 64, 3, 3.0, 0.5);
    for (int pooling = REC_POOLING_MEAN; pooling <= REC_POOLING_SQRTN; pooling++) {
        rec_model *m = fm_model(7 + (uint64_t)pooling, (rec_pooling)pooling);
        ck_assert_rec_ok(rec_model_build(m, ds));
        spread_weights(m, 2, 5.0f);
        gradcheck(m, ds, 0, pooling ? "fm (every kind, sqrt n)" : "fm (every kind, mean)");
        rec_model_free(m);
    }
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_gradcheck_mlp_dropout)
{
    /* dropout after both hidden layers; the finite differences replay the masks */
    static const char *names[] = {"mlp relu, dropout", "mlp tanh, dropout"};
    static const rec_activation acts[] = {REC_ACTIVATION_RELU, REC_ACTIVATION_TANH};
    rec_dataset *ds = synth_dataset(6, 6, 64, 2, 0.0, 0.5);
    for (int a = 0; a < 2; a++) {
        rec_model *m = mlp(acts[a], 20 + (uint64_t)a);
        ck_assert_rec_ok(rec_model_layer_set_dropout(m, 0, 0.5f));
        ck_assert_rec_ok(rec_model_layer_set_dropout(m, 1, 0.25f));
        ck_assert_rec_ok(rec_model_build(m, ds));
        gradcheck(m, ds, a == 0 ? 30 : 0, names[a]);
        /* some units were dropped, and the kept ones scaled by 1/(1 − p) = 2 */
        int zeros = 0, twos = 0;
        for (size_t i = 0; i < B * 6; i++) {
            zeros += m->ws.mask[0][i] == 0.0f;
            twos += m->ws.mask[0][i] == 2.0f;
        }
        ck_assert_int_gt(zeros, 10);
        ck_assert_int_gt(twos, 10);
        ck_assert_int_eq(zeros + twos, B * 6);
        rec_model_free(m);
    }
    rec_dataset_free(ds);
}
END_TEST

/* The L2 penalty adds exactly 2λ·w to the touched rows of a table and to a kernel. */
START_TEST(test_gradcheck_l2_adds_two_lambda_w)
{
    rec_dataset *ds = synth_dataset(6, 6, 64, 2, 3.0, 0.5);
    static const uint32_t hidden[] = {5};
    uint32_t rows[B];
    for (uint32_t i = 0; i < B; i++)
        rows[i] = i;
    for (int fm = 0; fm < 2; fm++) {
        rec_model *a = fm ? fm_model(3, REC_POOLING_MEAN)
                          : fx_rich_model(3, REC_ACTIVATION_RELU, 10, 30, hidden, 1);
        rec_model *b = fm ? fm_model(3, REC_POOLING_MEAN)
                          : fx_rich_model(3, REC_ACTIVATION_RELU, 10, 30, hidden, 1);
        /* feature 0 (user_id): λ 0.25 on the embedding, 0.5 on the linear table */
        ck_assert_rec_ok(rec_model_feature_set_l2(b, 0, 0.25f, 0.5f));
        if (!fm)
            ck_assert_rec_ok(rec_model_layer_set_l2(b, 0, 0.125f));
        ck_assert_rec_ok(rec_model_build(a, ds));
        ck_assert_rec_ok(rec_model_build(b, ds));
        if (fm) {
            /* linear weights start at 0, where 2λw is 0: move them */
            rec__param *la = rec__embedding_param(a->feats[0].lin);
            rec__param *lb = rec__embedding_param(b->feats[0].lin);
            for (size_t i = 0; i < la->n; i++)
                la->w[i] = lb->w[i] = 0.1f * (float)i - 0.3f;
        }
        ck_assert_rec_ok(rec_model_compute_gradients(a, ds, rows, B, NULL));
        ck_assert_rec_ok(rec_model_compute_gradients(b, ds, rows, B, NULL));
        const rec__param *pa = rec__embedding_param(a->feats[0].emb);
        const rec__param *pb = rec__embedding_param(b->feats[0].emb);
        ck_assert_uint_gt(pb->n_touched, 0);
        ck_assert_uint_eq(pa->n_touched, pb->n_touched);
        for (size_t t = 0; t < pb->n_touched; t++) {
            size_t off = (size_t)pb->touched[t] * pb->row_dim;
            for (uint32_t k = 0; k < pb->row_dim; k++)
                /* g_b = g_a + 2·0.25·w */
                ck_assert_float_eq_tol(pb->g[off + k], pa->g[off + k] + 0.5f * pb->w[off + k],
                                       1e-6);
        }
        /* an untouched row has no gradient at all */
        for (uint32_t r = 0; r < pb->n / pb->row_dim; r++)
            if (!pb->is_touched[r])
                ck_assert_float_eq(pb->g[(size_t)r * pb->row_dim], 0.0f);
        if (fm) {
            const rec__param *la = rec__embedding_param(a->feats[0].lin);
            const rec__param *lb = rec__embedding_param(b->feats[0].lin);
            ck_assert_uint_gt(lb->n_touched, 0);
            for (size_t t = 0; t < lb->n_touched; t++) {
                uint32_t r = lb->touched[t];
                /* g_b = g_a + 2·0.5·w */
                ck_assert_float_eq_tol(lb->g[r], la->g[r] + 1.0f * lb->w[r], 1e-6);
            }
        } else {
            const rec__param *ka = rec__dense_kernel(a->layers[0].dense);
            const rec__param *kb = rec__dense_kernel(b->layers[0].dense);
            for (size_t i = 0; i < kb->n; i++)
                ck_assert_float_eq_tol(kb->g[i], ka->g[i] + 0.25f * kb->w[i], 1e-6);
            /* biases are not penalized */
            const rec__param *ba = rec__dense_bias(a->layers[0].dense);
            const rec__param *bb = rec__dense_bias(b->layers[0].dense);
            for (size_t i = 0; i < bb->n; i++)
                ck_assert_float_eq(bb->g[i], ba->g[i]);
        }
        rec_model_free(a);
        rec_model_free(b);
    }
    rec_dataset_free(ds);
}
END_TEST

/* A two-row FM by hand: K = 2, user and title embeddings, a numeric age, chosen weights. */
START_TEST(test_gradcheck_fm_forward_and_errors_by_hand)
{
    const char *users[] = {"a", "b"}, *titles[] = {"x", "y"};
    const double age[] = {20, 40}, y[] = {4, 1};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", users, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "movie_title", titles, 2));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "raw_user_age", age, 2));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "user_rating", y, 2));
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    ck_assert_rec_ok(rec_model_build(m, ds));
    /* w₀ starts at the label mean (4 + 1)/2 = 2.5; n_params = 3·2 + 3·2 (tables, OOV row
     * included) + 3 + 3 (their linear weights) + 2 (age factor) + 1 (age linear) + 1 (w₀) = 22 */
    ck_assert_float_eq(rec_embedding_row(m->w0, 0)[0], 2.5f);
    ck_assert_uint_eq(rec_model_n_params(m), 22);
    /* vocabularies: "a" → 1, "b" → 2; "x" → 1, "y" → 2. Age normalizes to −1, +1. */
    float *U = rec__embedding_param(m->feats[0].emb)->w;
    float *T = rec__embedding_param(m->feats[2].emb)->w;
    float *nv = rec__embedding_param(m->feats[1].nvec)->w;
    float *lu = rec__embedding_param(m->feats[0].lin)->w;
    float *la = rec__embedding_param(m->feats[1].lin)->w;
    float *lt = rec__embedding_param(m->feats[2].lin)->w;
    U[2] = 1, U[3] = 2;    /* a */
    U[4] = -1, U[5] = 0;   /* b */
    T[2] = 0.5, T[3] = 1;  /* x */
    T[4] = 2, T[5] = -1;   /* y */
    nv[0] = 1, nv[1] = 1;  /* age factor */
    lu[1] = 0.25f, lu[2] = -0.5f;
    la[0] = 0.5f;
    lt[1] = 0.125f, lt[2] = 0;
    /* row 0: a, age −1, x: e = (1,2), (−1,−1), (0.5,1)
     *   linear 2.5 + 0.25 + 0.5·(−1) + 0.125 = 2.375
     *   pairs ⟨u,a⟩ + ⟨u,x⟩ + ⟨a,x⟩ = (−1 − 2) + (0.5 + 2) + (−0.5 − 1) = −2   → ŷ = 0.375
     * row 1: b, age +1, y: e = (−1,0), (1,1), (2,−1)
     *   linear 2.5 − 0.5 + 0.5·1 + 0 = 2.5
     *   pairs (−1 + 0) + (−2 + 0) + (2 − 1) = −2                              → ŷ = 0.5 */
    float pred[2];
    ck_assert_rec_ok(rec_model_predict(m, ds, pred, 2));
    ck_assert_float_eq_tol(pred[0], 0.375f, 1e-6);
    ck_assert_float_eq_tol(pred[1], 0.5f, 1e-6);
    /* errors −3.625 and −0.5: RMSE = √((13.140625 + 0.25)/2) = √6.6953125, MAE = 2.0625 */
    double rmse, mae;
    ck_assert_rec_ok(rec_model_evaluate(m, ds, 1, &rmse, &mae));
    ck_assert_double_eq_tol(rmse, sqrt(6.6953125), 1e-6);
    ck_assert_double_eq_tol(mae, 2.0625, 1e-6);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* The ordered probit recovers known cutpoints: 4000 labels of one user and one movie drawn as
 * the class of z ~ N(1.2, 1) between γ = 0, 0.7, 1.5, 2.3 (classes 1..5). The posterior means
 * of the free cutpoints must come within 0.1 of the truth, and a sample's prediction is the
 * expected class. */
START_TEST(test_gradcheck_ordered_probit_recovers_cutpoints)
{
    enum { N = 4000 };
    static const char *users[N], *movies[N];
    static double y[N];
    const double cut[] = {0.0, 0.7, 1.5, 2.3};
    rec_rng *r;
    ck_assert_rec_ok(rec_rng_create(&r, 5));
    for (int i = 0; i < N; i++) {
        /* Box–Muller from the public generator */
        double u1 = (rec_rng_uniform(r) + 0.5f / 16777216.0f), u2 = rec_rng_uniform(r);
        double z = 1.2 + sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
        int c = 0;
        while (c < 4 && z > cut[c])
            c++;
        users[i] = "u";
        movies[i] = "m";
        y[i] = 1 + c;
    }
    rec_rng_free(r);
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, N));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", users, N));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "movie_id", movies, N));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "user_rating", y, N));
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 3));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    ck_assert_rec_ok(rec_model_set_likelihood(m, REC_LIKELIHOOD_ORDERED_PROBIT));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_fit_mcmc(m, ds, 600, 200, NULL, NULL, NULL));
    const rec__posterior *x = &m->post;
    ck_assert_uint_eq(x->n_classes, 5);
    for (uint32_t c = 0; c < 5; c++)
        ck_assert_float_eq(x->classes[c], (float)(c + 1));
    /* sample layout: the weights, then γ_1..γ_4 */
    const size_t wl = x->sample_len - 4;
    double g[4] = {0};
    for (uint32_t s = 0; s < x->n_samples; s++)
        for (int c = 0; c < 4; c++)
            g[c] += x->samples[(size_t)s * x->sample_len + wl + c] / x->n_samples;
    printf("ordered probit: posterior cutpoints %.3f %.3f %.3f %.3f (truth 0 0.7 1.5 2.3)\n",
           g[0], g[1], g[2], g[3]);
    ck_assert_double_eq(g[0], 0.0);
    for (int c = 1; c < 4; c++)
        ck_assert_double_eq_tol(g[c], cut[c], 0.1);
    /* the posterior-mean prediction is close to the true expected class:
     * 1 + Σ_c Φ(1.2 − γ_c) = 1 + Φ(1.2) + Φ(0.5) + Φ(−0.3) + Φ(−1.1)
     *                      = 1 + 0.88493 + 0.69146 + 0.38209 + 0.13567 = 3.09415 */
    float pred;
    rec_dataset *one;
    uint32_t row = 0;
    ck_assert_rec_ok(rec_dataset_subset(&one, ds, &row, 1));
    ck_assert_rec_ok(rec_model_predict(m, one, &pred, 1));
    ck_assert_float_eq_tol(pred, 3.09415f, 0.02f);
    /* a sample with every weight 0 but w₀ = 0.5 and cutpoints 0, 1, 2, 3 predicts
     * 1 + Φ(0.5) + Φ(−0.5) + Φ(−1.5) + Φ(−2.5) = 2 + 0.0668072 + 0.0062097 = 2.0730169 */
    float *s0 = x->samples;
    memset(s0, 0, x->sample_len * sizeof *s0);
    s0[wl - 1] = 0.5f; /* w₀ is the last weight */
    for (int c = 0; c < 4; c++)
        s0[wl + c] = (float)c;
    m->post.n_samples = 1;
    ck_assert_rec_ok(rec_model_predict(m, one, &pred, 1));
    ck_assert_float_eq_tol(pred, 2.0730169f, 1e-5);
    rec_dataset_free(one);
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
    tcase_add_test(tc, test_gradcheck_biased_dot);
    tcase_add_test(tc, test_gradcheck_fm);
    tcase_add_test(tc, test_gradcheck_mlp_dropout);
    suite_add_tcase(s, tc);
    tc = tcase_create("by_hand");
    tcase_add_test(tc, test_gradcheck_l2_adds_two_lambda_w);
    tcase_add_test(tc, test_gradcheck_fm_forward_and_errors_by_hand);
    tcase_add_test(tc, test_gradcheck_ordered_probit_recovers_cutpoints);
    suite_add_tcase(s, tc);
    return rec_check_run(s);
}
