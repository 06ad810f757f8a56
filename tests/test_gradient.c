/* Suite "gradient": the gradient-exchange API (rec/gradient.h). Its shapes and order, a round
 * trip against the building blocks' own gradient getters, every failure path (code and
 * message), and what the API is for: two model copies ("ranks") computing the gradients of
 * the two parts of each global batch, summed through the API with the n_r / B weights, stay
 * identical to each other and equal to one model trained on the whole batches, up to the order
 * of floating-point additions (Adagrad and Adam; MLP, biased dot and FM models, whose extra
 * tables the API must carry too). No MPI is needed: librec_mpi does the same across processes
 * (tests/mpi). */
#include "model_fixtures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------------- */

static rec_dataset *synth(size_t n, uint64_t seed)
{
    return fx_synth(n, 60, 80, seed);
}

/* A BIASED_DOT or FM model with a NUMERIC feature: linear tables, a global bias and (FM) a
 * numeric factor vector besides the embeddings. */
static rec_model *factorized(const rec_dataset *ds, rec_interaction kind, uint64_t seed)
{
    return fx_factorized(ds, kind, REC_FEATURE_CATEGORICAL,
                         kind == REC_INTERACTION_FM ? 8 : 9, seed);
}

/* What a communicator does: the gradient of part r (n[r] rows of a batch of B) weighted by
 * n[r] / B and summed over the parts in order, then written into every part's model. */
static void exchange(rec_model **parts, const size_t *n, size_t n_parts)
{
    size_t B = 0;
    for (size_t r = 0; r < n_parts; r++)
        B += n[r];
    size_t D = rec_model_grad_dense_size(parts[0]);
    float *sum = calloc(D ? D : 1, sizeof *sum), *g = malloc((D ? D : 1) * sizeof *g);
    ck_assert_ptr_nonnull(sum);
    ck_assert_ptr_nonnull(g);
    for (size_t r = 0; r < n_parts; r++) {
        ck_assert_rec_ok(rec_model_grad_dense_get(g, D, parts[r]));
        for (size_t i = 0; i < D; i++)
            sum[i] += (float)((double)n[r] / (double)B) * g[i];
    }
    for (size_t r = 0; r < n_parts; r++)
        ck_assert_rec_ok(rec_model_grad_dense_set(parts[r], sum, D));
    free(sum);
    free(g);

    size_t T = rec_model_grad_n_tables(parts[0]);
    for (size_t t = 0; t < T; t++) {
        uint32_t n_rows, dim;
        size_t total = 0;
        for (size_t r = 0; r < n_parts; r++) {
            size_t k;
            ck_assert_rec_ok(rec_model_grad_table_shape(&n_rows, &dim, &k, parts[r], t));
            total += k;
        }
        uint32_t *rows = malloc((total + 1) * sizeof *rows);
        float *rg = malloc((total + 1) * dim * sizeof *rg);
        ck_assert_ptr_nonnull(rows);
        ck_assert_ptr_nonnull(rg);
        size_t at = 0;
        for (size_t r = 0; r < n_parts; r++) {
            size_t k;
            ck_assert_rec_ok(rec_model_grad_table_get(rows + at, rg + at * dim, total - at, &k,
                                                      parts[r], t));
            float s = (float)((double)n[r] / (double)B);
            for (size_t i = at * dim; i < (at + k) * dim; i++)
                rg[i] *= s;
            at += k;
        }
        for (size_t r = 0; r < n_parts; r++)
            ck_assert_rec_ok(rec_model_grad_table_set(parts[r], t, rows, rg, total));
        free(rows);
        free(rg);
    }
}

/* `steps` global batches of B rows from a seeded order over ds: model `one` trains on whole
 * batches, models a and b on a cut of each batch at B·cut (through exchange()); then a and b
 * must predict bit-identically and one within tol. */
static void two_parts_match_one(rec_model *one, rec_model *a, rec_model *b,
                                rec_optimizer *opt, const rec_dataset *ds, size_t B,
                                double cut, size_t steps, double tol)
{
    size_t n = rec_dataset_size(ds);
    uint32_t *order = fx_shuffled(n, 5);
    for (size_t s = 0; s < steps; s++) {
        const uint32_t *batch = order + (s * B) % (n - B);
        size_t n0 = (size_t)(cut * (double)B), parts[2] = {n0, B - n0};
        ck_assert_rec_ok(rec_model_compute_gradients(one, ds, batch, B, NULL));
        ck_assert_rec_ok(rec_model_apply_gradients(one, opt));
        ck_assert_rec_ok(rec_model_compute_gradients(a, ds, batch, n0, NULL));
        ck_assert_rec_ok(rec_model_compute_gradients(b, ds, batch + n0, B - n0, NULL));
        rec_model *m[2] = {a, b};
        exchange(m, parts, 2);
        ck_assert_rec_ok(rec_model_apply_gradients(a, opt));
        ck_assert_rec_ok(rec_model_apply_gradients(b, opt));
    }
    free(order);
    float *p1 = fx_predictions(one, ds), *pa = fx_predictions(a, ds);
    float *pb = fx_predictions(b, ds);
    ck_assert_msg(memcmp(pa, pb, n * sizeof *pa) == 0, "the two parts' models differ");
    double d = fx_max_abs_diff(p1, pa, n);
    ck_assert_msg(d < tol, "predictions differ from one-model training by %g (tol %g)", d, tol);
    /* and they did train: the predictions moved */
    size_t nw;
    float *w1 = fx_weights_of(one, &nw), *wa = fx_weights_of(a, &nw);
    double dw = fx_max_abs_diff(w1, wa, nw);
    ck_assert_msg(dw < tol, "weights differ by %g (tol %g)", dw, tol);
    free(w1);
    free(wa);
    free(p1);
    free(pa);
    free(pb);
}

/* ---- shapes ---------------------------------------------------------------------------------- */

START_TEST(test_gradient_shapes_of_enriched)
{
    rec_dataset *ds = synth(500, 1);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 3));
    ck_assert_uint_eq(rec_model_grad_dense_size(m), 0); /* not built */
    ck_assert_uint_eq(rec_model_grad_n_tables(m), 0);
    ck_assert_rec_ok(rec_model_build(m, ds));
    /* concat(32 + 32 + 1 + 32 + 32 = 129) → Dense(64) → Dense(1) */
    ck_assert_uint_eq(rec_model_grad_dense_size(m), 129 * 64 + 64 + 64 * 1 + 1);
    /* user_id, timestamp buckets, title, title words (the numeric timestamp has no table) */
    ck_assert_uint_eq(rec_model_grad_n_tables(m), 4);
    uint32_t rows, dim;
    size_t touched = 99;
    ck_assert_rec_ok(rec_model_grad_table_shape(&rows, &dim, &touched, m, 0));
    ck_assert_uint_eq(rows, rec_embedding_rows(rec_model_feature_embedding(m, 0)));
    ck_assert_uint_eq(dim, 32);
    ck_assert_uint_eq(touched, 0);
    ck_assert_rec_ok(rec_model_grad_table_shape(NULL, NULL, NULL, m, 3));
    ck_assert_uint_eq(rec_model_grad_dense_size(NULL), 0);
    ck_assert_uint_eq(rec_model_grad_n_tables(NULL), 0);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_gradient_shapes_of_fm)
{
    rec_dataset *ds = synth(500, 1);
    rec_model *m = factorized(ds, REC_INTERACTION_FM, 3);
    ck_assert_uint_eq(rec_model_grad_dense_size(m), 0); /* no dense layers */
    /* user_id: embedding + linear; timestamp: linear + factor vector; title: embedding +
     * linear; the global bias */
    ck_assert_uint_eq(rec_model_grad_n_tables(m), 7);
    uint32_t rows, dim;
    ck_assert_rec_ok(rec_model_grad_table_shape(&rows, &dim, NULL, m, 1));
    ck_assert_uint_eq(dim, 1); /* user_id's linear table */
    ck_assert_rec_ok(rec_model_grad_table_shape(&rows, &dim, NULL, m, 3));
    ck_assert_uint_eq(rows, 1); /* timestamp's factor vector */
    ck_assert_uint_eq(dim, 8);
    ck_assert_rec_ok(rec_model_grad_table_shape(&rows, &dim, NULL, m, 6));
    ck_assert_uint_eq(rows, 1); /* w0 */
    ck_assert_uint_eq(dim, 1);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- round trip ------------------------------------------------------------------------------ */

START_TEST(test_gradient_get_matches_block_getters)
{
    rec_dataset *ds = synth(600, 2);
    rec_model *m = fx_enriched(ds, 4);
    uint32_t rows[64];
    for (uint32_t i = 0; i < 64; i++)
        rows[i] = i * 7;
    ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, 64, NULL));
    size_t D = rec_model_grad_dense_size(m);
    float *g = malloc(D * sizeof *g);
    ck_assert_rec_ok(rec_model_grad_dense_get(g, D, m));
    /* layer by layer, kernel then bias, as rec_dense_get_grad */
    size_t at = 0;
    for (size_t l = 0; l < rec_model_n_layers(m); l++) {
        const rec_dense *d = rec_model_layer(m, l);
        size_t nk = (size_t)rec_dense_n_in(d) * rec_dense_n_out(d), nb = rec_dense_n_out(d);
        float *k = malloc(nk * sizeof *k), *b = malloc(nb * sizeof *b);
        ck_assert_rec_ok(rec_dense_get_grad(d, k, nk, b, nb));
        ck_assert(memcmp(k, g + at, nk * sizeof *k) == 0);
        ck_assert(memcmp(b, g + at + nk, nb * sizeof *b) == 0);
        at += nk + nb;
        free(k);
        free(b);
    }
    ck_assert_uint_eq(at, D);
    /* table 0 (user_id): the touched rows are exactly the non-zero rows of the dense view */
    const rec_embedding *e = rec_model_feature_embedding(m, 0);
    size_t n_rows = rec_embedding_rows(e), dim = rec_embedding_dim(e), k;
    float *full = malloc(n_rows * dim * sizeof *full);
    ck_assert_rec_ok(rec_embedding_get_grad(e, full, n_rows * dim));
    uint32_t *ids = malloc(n_rows * sizeof *ids);
    float *tg = malloc(n_rows * dim * sizeof *tg);
    ck_assert_rec_ok(rec_model_grad_table_get(ids, tg, n_rows, &k, m, 0));
    ck_assert_uint_eq(k, rec_embedding_grad_row_count(e));
    ck_assert_uint_gt(k, 0);
    for (size_t i = 0; i < k; i++)
        ck_assert(memcmp(tg + i * dim, full + (size_t)ids[i] * dim, dim * sizeof *tg) == 0);
    /* set what get gave: nothing changes */
    ck_assert_rec_ok(rec_model_grad_table_set(m, 0, ids, tg, k));
    float *again = malloc(n_rows * dim * sizeof *again);
    ck_assert_rec_ok(rec_embedding_get_grad(e, again, n_rows * dim));
    ck_assert(memcmp(full, again, n_rows * dim * sizeof *full) == 0);
    ck_assert_uint_eq(rec_embedding_grad_row_count(e), k);
    free(g);
    free(full);
    free(again);
    free(ids);
    free(tg);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_gradient_table_set_sums_repeats_and_clears)
{
    rec_dataset *ds = synth(300, 2);
    rec_model *m = fx_enriched(ds, 4);
    uint32_t dim;
    ck_assert_rec_ok(rec_model_grad_table_shape(NULL, &dim, NULL, m, 0));
    float *g = calloc(3 * dim, sizeof *g);
    g[0] = 1.0f;
    g[dim] = 2.0f;
    g[2 * dim] = 0.5f;
    uint32_t rows[3] = {5, 2, 5};
    ck_assert_rec_ok(rec_model_grad_table_set(m, 0, rows, g, 3));
    uint32_t ids[8];
    float out[8 * 32];
    size_t k;
    ck_assert_uint_eq(dim, 32);
    ck_assert_rec_ok(rec_model_grad_table_get(ids, out, 8, &k, m, 0));
    ck_assert_uint_eq(k, 2); /* row 5 once, in first-given order */
    ck_assert_uint_eq(ids[0], 5);
    ck_assert_uint_eq(ids[1], 2);
    ck_assert_float_eq(out[0], 1.5f);
    ck_assert_float_eq(out[dim], 2.0f);
    /* a new set replaces; n = 0 clears */
    ck_assert_rec_ok(rec_model_grad_table_set(m, 0, rows + 1, g + dim, 1));
    ck_assert_rec_ok(rec_model_grad_table_get(ids, out, 8, &k, m, 0));
    ck_assert_uint_eq(k, 1);
    ck_assert_uint_eq(ids[0], 2);
    ck_assert_rec_ok(rec_model_grad_table_set(m, 0, NULL, NULL, 0));
    ck_assert_rec_ok(rec_model_grad_table_get(NULL, NULL, 0, &k, m, 0));
    ck_assert_uint_eq(k, 0);
    ck_assert_uint_eq(rec_embedding_grad_row_count(rec_model_feature_embedding(m, 0)), 0);
    free(g);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_gradient_dense_set_is_applied)
{
    /* SGD: w ← w − lr·g, so the weights move by exactly what was set */
    rec_dataset *ds = synth(300, 2);
    rec_model *m = fx_enriched(ds, 4);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_sgd(&opt, 0.5f));
    size_t D = rec_model_grad_dense_size(m), nw;
    float *g = malloc(D * sizeof *g);
    for (size_t i = 0; i < D; i++)
        g[i] = (float)(i % 7) - 3.0f;
    float *before = fx_weights_of(m, &nw);
    ck_assert_rec_ok(rec_model_grad_dense_set(m, g, D));
    ck_assert_rec_ok(rec_model_apply_gradients(m, opt));
    float *after = fx_weights_of(m, &nw);
    size_t dense_at = nw - D; /* the dense weights come last in fx_weights_of() */
    for (size_t i = 0; i < D; i++)
        ck_assert_float_eq_tol(after[dense_at + i], before[dense_at + i] - 0.5f * g[i], 1e-6f);
    ck_assert(memcmp(before, after, dense_at * sizeof *before) == 0); /* tables untouched */
    free(g);
    free(before);
    free(after);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- two parts of every batch = one model on the whole batch --------------------------------- */

/* The models of one two-parts test: ENRICHED, or factorized() of that interaction. */
enum part_model { PART_ENRICHED, PART_BIASED_DOT, PART_FM };

static rec_model *part_model(const rec_dataset *ds, enum part_model kind, uint64_t seed)
{
    if (kind == PART_ENRICHED)
        return fx_enriched(ds, seed);
    return factorized(ds, kind == PART_FM ? REC_INTERACTION_FM : REC_INTERACTION_BIASED_DOT,
                      seed);
}

/* synth(n_ds, ds_seed); three `kind` models from model_seed (`one` on threads_one threads);
 * Adam (adam) or Adagrad at lr; then two_parts_match_one(). */
static void check_two_parts(size_t n_ds, uint64_t ds_seed, enum part_model kind,
                            uint64_t model_seed, uint32_t threads_one, int adam, float lr,
                            size_t B, double cut, size_t steps, double tol)
{
    rec_dataset *ds = synth(n_ds, ds_seed);
    rec_model *one = part_model(ds, kind, model_seed);
    rec_model *a = part_model(ds, kind, model_seed);
    rec_model *b = part_model(ds, kind, model_seed);
    if (threads_one != 1)
        ck_assert_rec_ok(rec_model_set_threads(one, threads_one));
    rec_optimizer *opt;
    if (adam)
        ck_assert_rec_ok(rec_optimizer_create_adam(&opt, lr));
    else
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, lr));
    two_parts_match_one(one, a, b, opt, ds, B, cut, steps, tol);
    rec_optimizer_free(opt);
    rec_model_free(one);
    rec_model_free(a);
    rec_model_free(b);
    rec_dataset_free(ds);
}

START_TEST(test_gradient_two_parts_match_one_enriched_adagrad)
{
    check_two_parts(3000, 7, PART_ENRICHED, 11, 1, 0, 0.1f, 256, 1.0 / 3.0, 12, 2e-5);
}
END_TEST

START_TEST(test_gradient_two_parts_match_one_enriched_adam_threads)
{
    /* Adam updates only touched rows, so the union of the parts' rows must be exact; two
     * threads in one part change only the order of additions */
    check_two_parts(3000, 8, PART_ENRICHED, 12, 2, 1, 0.01f, 512, 0.5, 10, 2e-5);
}
END_TEST

START_TEST(test_gradient_two_parts_match_one_biased_dot)
{
    check_two_parts(2000, 9, PART_BIASED_DOT, 13, 1, 0, 0.1f, 200, 0.7, 10, 2e-5);
}
END_TEST

START_TEST(test_gradient_two_parts_match_one_fm)
{
    check_two_parts(2000, 10, PART_FM, 14, 1, 1, 0.01f, 200, 0.4, 10, 2e-5);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */

START_TEST(test_gradient_errors_model_state)
{
    rec_model *m;
    float g[4] = {0};
    uint32_t r[1] = {0};
    size_t k;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 1));
    ck_assert_rec_fails(rec_model_grad_dense_get(g, 0, NULL), REC_EINVAL,
                        "rec_model_grad_dense_get: model is NULL");
    ck_assert_rec_fails(rec_model_grad_dense_get(g, 0, m), REC_ESTATE,
                        "rec_model_grad_dense_get: the model is not built");
    ck_assert_rec_fails(rec_model_grad_dense_set(m, g, 0), REC_ESTATE,
                        "rec_model_grad_dense_set: the model is not built");
    ck_assert_rec_fails(rec_model_grad_dense_set(NULL, g, 0), REC_EINVAL,
                        "rec_model_grad_dense_set: model is NULL");
    ck_assert_rec_fails(rec_model_grad_table_shape(NULL, NULL, NULL, m, 0), REC_ESTATE,
                        "rec_model_grad_table_shape: the model is not built");
    ck_assert_rec_fails(rec_model_grad_table_shape(NULL, NULL, NULL, NULL, 0), REC_EINVAL,
                        "rec_model_grad_table_shape: model is NULL");
    ck_assert_rec_fails(rec_model_grad_table_get(r, g, 1, &k, m, 0), REC_ESTATE,
                        "rec_model_grad_table_get: the model is not built");
    ck_assert_rec_fails(rec_model_grad_table_set(m, 0, r, g, 1), REC_ESTATE,
                        "rec_model_grad_table_set: the model is not built");
    ck_assert_rec_fails(rec_model_grad_table_set(NULL, 0, r, g, 1), REC_EINVAL,
                        "rec_model_grad_table_set: model is NULL");
    rec_model_free(m);
}
END_TEST

START_TEST(test_gradient_errors_dense)
{
    rec_dataset *ds = synth(300, 2);
    rec_model *m = fx_enriched(ds, 4);
    size_t D = rec_model_grad_dense_size(m);
    float *g = calloc(D + 1, sizeof *g);
    ck_assert_rec_fails(rec_model_grad_dense_get(g, D - 1, m), REC_ESHAPE,
                        "rec_model_grad_dense_get: n = 8384, the model's dense gradient has "
                        "8385 values");
    ck_assert_rec_fails(rec_model_grad_dense_set(m, g, D + 1), REC_ESHAPE,
                        "rec_model_grad_dense_set: n = 8386");
    ck_assert_rec_fails(rec_model_grad_dense_get(NULL, D, m), REC_EINVAL,
                        "rec_model_grad_dense_get: buffer is NULL");
    ck_assert_rec_fails(rec_model_grad_dense_set(m, NULL, D), REC_EINVAL,
                        "rec_model_grad_dense_set: buffer is NULL");
    /* a non-finite value is refused and nothing is written */
    g[0] = 1.0f;
    g[17] = NAN;
    ck_assert_rec_fails(rec_model_grad_dense_set(m, g, D), REC_ENUMERIC,
                        "rec_model_grad_dense_set: grad[17] = nan is not finite");
    g[17] = INFINITY;
    ck_assert_rec_fails(rec_model_grad_dense_set(m, g, D), REC_ENUMERIC, "grad[17] = inf");
    float *back = malloc(D * sizeof *back);
    ck_assert_rec_ok(rec_model_grad_dense_get(back, D, m));
    for (size_t i = 0; i < D; i++)
        ck_assert_float_eq(back[i], 0.0f);
    free(back);
    free(g);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_gradient_errors_tables)
{
    rec_dataset *ds = synth(300, 2);
    rec_model *m = fx_enriched(ds, 4);
    uint32_t n_rows, rows[2] = {1, 0};
    float g[64] = {0};
    size_t k = 0;
    ck_assert_rec_ok(rec_model_grad_table_shape(&n_rows, NULL, NULL, m, 0));
    ck_assert_rec_fails(rec_model_grad_table_shape(NULL, NULL, NULL, m, 4), REC_EINVAL,
                        "rec_model_grad_table_shape: table 4 out of range (the model has 4)");
    ck_assert_rec_fails(rec_model_grad_table_get(rows, g, 2, &k, m, 9), REC_EINVAL,
                        "rec_model_grad_table_get: table 9 out of range");
    ck_assert_rec_fails(rec_model_grad_table_set(m, 4, rows, g, 1), REC_EINVAL,
                        "rec_model_grad_table_set: table 4 out of range");
    ck_assert_rec_fails(rec_model_grad_table_set(m, 0, NULL, g, 1), REC_EINVAL,
                        "rec_model_grad_table_set: rows and grad must be non-NULL when n > 0");
    ck_assert_rec_fails(rec_model_grad_table_set(m, 0, rows, NULL, 1), REC_EINVAL,
                        "rows and grad must be non-NULL");
    /* touch rows 1 and 0, then ask with too small a buffer */
    g[0] = 1.0f;
    g[32] = 2.0f;
    ck_assert_rec_ok(rec_model_grad_table_set(m, 0, rows, g, 2));
    ck_assert_rec_fails(rec_model_grad_table_get(rows, g, 1, &k, m, 0), REC_ESHAPE,
                        "rec_model_grad_table_get: table 0 has 2 touched rows, cap is 1");
    ck_assert_uint_eq(k, 2); /* the rows needed */
    ck_assert_rec_fails(rec_model_grad_table_get(NULL, g, 2, &k, m, 0), REC_EINVAL,
                        "rec_model_grad_table_get: rows_out and grad_out must be non-NULL");
    /* a bad row or value anywhere: refused, the gradient left as it was */
    uint32_t bad[2] = {0, n_rows};
    char want[128];
    snprintf(want, sizeof want, "rec_model_grad_table_set: rows[1] = %u out of range (table 0 "
             "has %u rows)", n_rows, n_rows);
    ck_assert_rec_fails(rec_model_grad_table_set(m, 0, bad, g, 2), REC_EINVAL, want);
    g[33] = NAN;
    ck_assert_rec_fails(rec_model_grad_table_set(m, 0, rows, g, 2), REC_ENUMERIC,
                        "rec_model_grad_table_set: the gradient of rows[1] = 0 is not finite");
    uint32_t ids[4];
    float out[4 * 32];
    ck_assert_rec_ok(rec_model_grad_table_get(ids, out, 4, &k, m, 0));
    ck_assert_uint_eq(k, 2);
    ck_assert_uint_eq(ids[0], 1);
    ck_assert_float_eq(out[0], 1.0f);
    ck_assert_float_eq(out[32], 2.0f);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* A DOT batch whose loss is not finite (labels of ±1e300: finite doubles, infinite floats)
 * leaves the gradient exactly as it was: empty when none was pending, unchanged when one was.
 * (This guards the one-pass DOT step, the fused path of lib/train/fast_dot.c, which must clear
 * the rows it touched, as well as the two-pass path.) */
START_TEST(test_gradient_dot_diverged_batch_leaves_gradient)
{
    rec_dataset *good = fx_synth(200, 30, 40, 5);
    uint32_t cu, ct;
    ck_assert_rec_ok(rec_dataset_column(&cu, good, "user_id"));
    ck_assert_rec_ok(rec_dataset_column(&ct, good, "movie_title"));
    const char *u[8], *t[8];
    double y[8];
    for (size_t r = 0; r < 8; r++) {
        u[r] = rec_dataset_string(good, cu, r);
        t[r] = rec_dataset_string(good, ct, r);
        y[r] = r % 2 ? -1e300 : 1e300;
    }
    rec_dataset *bad;
    ck_assert_rec_ok(rec_dataset_create(&bad, 8));
    ck_assert_rec_ok(rec_dataset_add_strings(bad, "user_id", u, 8));
    ck_assert_rec_ok(rec_dataset_add_strings(bad, "movie_title", t, 8));
    ck_assert_rec_ok(rec_dataset_add_numbers(bad, "user_rating", y, 8));
    uint32_t rows[64], first[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (uint32_t i = 0; i < 64; i++)
        rows[i] = (i * 7) % 200;
    rec_model *m, *fresh;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 3));
    ck_assert_rec_ok(rec_model_build(m, good));
    ck_assert_rec_ok(rec_model_create_preset(&fresh, REC_PRESET_DOT, 3));
    ck_assert_rec_ok(rec_model_build(fresh, good));

    /* nothing pending: refused, and nothing left behind */
    ck_assert_rec_fails(rec_model_compute_gradients(m, bad, first, 8, NULL), REC_ENUMERIC,
                        "not finite");
    for (size_t tb = 0; tb < 2; tb++) {
        size_t k = 1;
        ck_assert_rec_ok(rec_model_grad_table_get(NULL, NULL, 0, &k, m, tb));
        ck_assert_uint_eq(k, 0);
    }
    size_t n, n2;
    float *g0 = fx_params(m, 1, &n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(g0[i] == 0.0f, "gradient %zu is %g after a refused batch", i, g0[i]);
    /* the next batch gives the bits of a model that never saw the refused one */
    ck_assert_rec_ok(rec_model_compute_gradients(m, good, rows, 64, NULL));
    ck_assert_rec_ok(rec_model_compute_gradients(fresh, good, rows, 64, NULL));
    float *ga = fx_params(m, 1, &n), *gb = fx_params(fresh, 1, &n2);
    ck_assert_uint_eq(n, n2);
    ck_assert_int_eq(memcmp(ga, gb, n * sizeof *ga), 0);

    /* a gradient pending: refused, and the pending gradient unchanged */
    ck_assert_rec_fails(rec_model_compute_gradients(m, bad, first, 8, NULL), REC_ENUMERIC,
                        "not finite");
    float *gc = fx_params(m, 1, &n);
    ck_assert_int_eq(memcmp(ga, gc, n * sizeof *ga), 0);
    free(g0);
    free(ga);
    free(gb);
    free(gc);
    rec_model_free(m);
    rec_model_free(fresh);
    rec_dataset_free(bad);
    rec_dataset_free(good);
}
END_TEST

static Suite *gradient_suite(void)
{
    Suite *s = suite_create("gradient");
    TCase *tc = tcase_create("shapes");
    tcase_add_test(tc, test_gradient_shapes_of_enriched);
    tcase_add_test(tc, test_gradient_shapes_of_fm);
    suite_add_tcase(s, tc);
    tc = tcase_create("roundtrip");
    tcase_add_test(tc, test_gradient_get_matches_block_getters);
    tcase_add_test(tc, test_gradient_table_set_sums_repeats_and_clears);
    tcase_add_test(tc, test_gradient_dense_set_is_applied);
    tcase_add_test(tc, test_gradient_dot_diverged_batch_leaves_gradient);
    suite_add_tcase(s, tc);
    tc = tcase_create("parts");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gradient_two_parts_match_one_enriched_adagrad);
    tcase_add_test(tc, test_gradient_two_parts_match_one_enriched_adam_threads);
    tcase_add_test(tc, test_gradient_two_parts_match_one_biased_dot);
    tcase_add_test(tc, test_gradient_two_parts_match_one_fm);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_gradient_errors_model_state);
    tcase_add_test(tc, test_gradient_errors_dense);
    tcase_add_test(tc, test_gradient_errors_tables);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(gradient_suite());
}
