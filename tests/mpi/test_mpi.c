/* Suite "mpi": librec_mpi under mpirun (tests/mpi/run-mpi.sh runs it on 2 ranks; it also
 * passes on 1). Every rank runs the same tests in the same order, because the calls are
 * collective; Check runs in-process (no fork: a forked child cannot use the MPI library).
 *
 * What it checks: data-parallel steps (each rank its slice of every global batch) give the
 * weights of single-process training on the whole batches within a tight tolerance, in every
 * exchange mode, with Adagrad and Adam, for an MLP and an FM (whose extra tables and global
 * bias travel too); the ranks' weights are bit-identical; an epoch, the sharded evaluation and
 * the rank-0 save (loadable by plain librec) agree with single-process runs; and every failure
 * path returns its code and message on every rank, without leaving any rank waiting. */
#include "../model_fixtures.h"

#include <rec/mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_rank, g_size;

/* ---- helpers --------------------------------------------------------------------------------- */

static rec_dataset *synth(size_t n, uint64_t seed)
{
    return fx_synth(n, 60, 80, seed);
}

static rec_model *fm(const rec_dataset *ds, uint64_t seed)
{
    return fx_factorized(ds, REC_INTERACTION_FM, REC_FEATURE_TEXT, 8, seed);
}

/* Whether a[0..n) is bit-identical on every rank (rank 0's copy broadcast and compared). */
static int same_on_all_ranks(const float *a, size_t n)
{
    float *r0 = malloc(n * sizeof *r0);
    memcpy(r0, a, n * sizeof *r0);
    MPI_Bcast(r0, (int)n, MPI_FLOAT, 0, MPI_COMM_WORLD);
    int same = memcmp(r0, a, n * sizeof *a) == 0, all = 0;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    free(r0);
    return all;
}

/* `steps` global batches of B rows: `dist` through rec_mpi_train_step (this rank's slice
 * [B·r/P, B·(r+1)/P)), `one` through compute + apply on the whole batch; then compare. */
static void steps_match_single(rec_model *dist, rec_model *one, rec_optimizer *opt,
                               const rec_dataset *ds, size_t B, size_t steps,
                               rec_mpi_exchange mode, double tol)
{
    rec_mpi *ctx;
    ck_assert_rec_ok(rec_mpi_create(&ctx, MPI_COMM_WORLD));
    ck_assert_rec_ok(rec_mpi_set_exchange(ctx, mode));
    size_t n = rec_dataset_size(ds), P = (size_t)g_size, r = (size_t)g_rank;
    uint32_t *order = fx_shuffled(n, 99);
    for (size_t s = 0; s < steps; s++) {
        const uint32_t *batch = order + (s * B) % (n - B);
        double loss_d = 0.0, loss_1 = 0.0;
        size_t lo = B * r / P, hi = B * (r + 1) / P;
        ck_assert_rec_ok(rec_mpi_train_step(&loss_d, ctx, dist, opt, ds, batch + lo, hi - lo));
        ck_assert_rec_ok(rec_model_compute_gradients(one, ds, batch, B, &loss_1));
        ck_assert_rec_ok(rec_model_apply_gradients(one, opt));
        ck_assert_msg(fabs(loss_d - loss_1) < 1e-5 * (1.0 + loss_1),
                      "step %zu: global loss %.9g vs single-process %.9g", s, loss_d, loss_1);
    }
    uint64_t n_steps = 0, dense = 0, sparse = 0, meta = 0;
    ck_assert_rec_ok(rec_mpi_traffic(&n_steps, &dense, &sparse, &meta, NULL, ctx));
    ck_assert_uint_eq(n_steps, steps);
    ck_assert_uint_gt(meta, 0);
    if (mode == REC_MPI_EXCHANGE_SPARSE && rec_model_n_layers(dist) == 0)
        ck_assert_uint_eq(dense, 0); /* no dense layers, no dense tables */
    if (mode == REC_MPI_EXCHANGE_DENSE)
        ck_assert_uint_eq(sparse, 0);
    if (mode == REC_MPI_EXCHANGE_SPARSE && g_size > 1) /* one rank exchanges nothing */
        ck_assert_uint_gt(sparse, 0);
    rec_mpi_free(ctx);
    free(order);

    size_t nw;
    float *wd = fx_weights_of(dist, &nw), *w1 = fx_weights_of(one, &nw);
    float *pd = fx_predictions(dist, ds), *p1 = fx_predictions(one, ds);
    int same_w = same_on_all_ranks(wd, nw), same_p = same_on_all_ranks(pd, rec_dataset_size(ds));
    double dw = fx_max_abs_diff(wd, w1, nw), dp = fx_max_abs_diff(pd, p1, rec_dataset_size(ds));
    ck_assert_msg(same_w && same_p, "the ranks' models differ");
    ck_assert_msg(dw < tol, "weights differ from single-process training by %g (tol %g)", dw,
                  tol);
    ck_assert_msg(dp < tol, "predictions differ from single-process training by %g (tol %g)",
                  dp, tol);
    free(wd);
    free(w1);
    free(pd);
    free(p1);
}

/* ---- context --------------------------------------------------------------------------------- */

START_TEST(test_mpi_create_rank_size)
{
    rec_mpi *ctx;
    ck_assert_rec_ok(rec_mpi_create(&ctx, MPI_COMM_WORLD));
    ck_assert_int_eq(rec_mpi_rank(ctx), g_rank);
    ck_assert_int_eq(rec_mpi_size(ctx), g_size);
    uint64_t steps = 1, d = 1, s = 1, m = 1;
    double secs = 1.0;
    ck_assert_rec_ok(rec_mpi_traffic(&steps, &d, &s, &m, &secs, ctx));
    ck_assert_uint_eq(steps + d + s + m, 0);
    ck_assert_double_eq(secs, 0.0);
    ck_assert_rec_ok(rec_mpi_traffic(NULL, NULL, NULL, NULL, NULL, ctx));
    rec_mpi_free(ctx);
    rec_mpi_free(NULL);
    ck_assert_int_eq(rec_mpi_rank(NULL), 0);
    ck_assert_int_eq(rec_mpi_size(NULL), 0);
}
END_TEST

START_TEST(test_mpi_context_errors)
{
    rec_mpi *ctx = (rec_mpi *)1;
    ck_assert_rec_fails(rec_mpi_create(NULL, MPI_COMM_WORLD), REC_EINVAL,
                        "rec_mpi_create: out is NULL");
    ck_assert_rec_fails(rec_mpi_create(&ctx, MPI_COMM_NULL), REC_EINVAL,
                        "rec_mpi_create: comm is MPI_COMM_NULL");
    ck_assert_ptr_null(ctx);
    ck_assert_rec_fails(rec_mpi_set_exchange(NULL, REC_MPI_EXCHANGE_DENSE), REC_EINVAL,
                        "rec_mpi_set_exchange: ctx is NULL");
    ck_assert_rec_ok(rec_mpi_create(&ctx, MPI_COMM_WORLD));
    ck_assert_rec_fails(rec_mpi_set_exchange(ctx, (rec_mpi_exchange)7), REC_EINVAL,
                        "rec_mpi_set_exchange: unknown mode 7");
    rec_mpi_free(ctx);
    ck_assert_rec_fails(rec_mpi_traffic(NULL, NULL, NULL, NULL, NULL, NULL), REC_EINVAL,
                        "rec_mpi_traffic: ctx is NULL");
    ck_assert_rec_fails(rec_mpi_allreduce_gradients(NULL, NULL, 0), REC_EINVAL,
                        "rec_mpi_allreduce_gradients: ctx is NULL");
    ck_assert_rec_fails(rec_mpi_train_step(NULL, NULL, NULL, NULL, NULL, NULL, 0), REC_EINVAL,
                        "rec_mpi_train_step: ctx is NULL");
    ck_assert_rec_fails(rec_mpi_train_epoch(NULL, NULL, NULL, NULL, NULL, NULL, 1, 0),
                        REC_EINVAL, "rec_mpi_train_epoch: ctx is NULL");
    ck_assert_rec_fails(rec_mpi_evaluate(NULL, NULL, NULL, NULL, NULL, 1), REC_EINVAL,
                        "rec_mpi_evaluate: ctx is NULL");
    ck_assert_rec_fails(rec_mpi_save(NULL, NULL, "x", 0), REC_EINVAL,
                        "rec_mpi_save: ctx is NULL");
}
END_TEST

/* ---- data-parallel steps = single-process steps ---------------------------------------------- */

static void enriched_adagrad(rec_mpi_exchange mode)
{
    rec_dataset *ds = synth(3000, 7);
    rec_model *dist = fx_enriched(ds, 11), *one = fx_enriched(ds, 11);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    /* an odd batch: the ranks' slices differ in size */
    steps_match_single(dist, one, opt, ds, 257, 12, mode, 2e-5);
    rec_optimizer_free(opt);
    rec_model_free(dist);
    rec_model_free(one);
    rec_dataset_free(ds);
}

START_TEST(test_mpi_steps_match_single_auto)
{
    enriched_adagrad(REC_MPI_EXCHANGE_AUTO);
}
END_TEST

START_TEST(test_mpi_steps_match_single_sparse)
{
    enriched_adagrad(REC_MPI_EXCHANGE_SPARSE);
}
END_TEST

START_TEST(test_mpi_steps_match_single_dense)
{
    enriched_adagrad(REC_MPI_EXCHANGE_DENSE);
}
END_TEST

START_TEST(test_mpi_steps_match_single_fm_adam)
{
    /* Adam visits exactly the touched rows: the union must be exact in both exchanges */
    for (int mode = REC_MPI_EXCHANGE_SPARSE; mode <= REC_MPI_EXCHANGE_DENSE; mode++) {
        rec_dataset *ds = synth(2000, 8);
        rec_model *dist = fm(ds, 12), *one = fm(ds, 12);
        rec_optimizer *opt;
        ck_assert_rec_ok(rec_optimizer_create_adam(&opt, 0.01f));
        steps_match_single(dist, one, opt, ds, 150, 10, (rec_mpi_exchange)mode, 2e-5);
        rec_optimizer_free(opt);
        rec_model_free(dist);
        rec_model_free(one);
        rec_dataset_free(ds);
    }
}
END_TEST

START_TEST(test_mpi_allreduce_then_apply)
{
    /* the primitive alone: the caller computes, librec_mpi sums, the caller applies; a rank
     * with no rows contributes nothing */
    rec_dataset *ds = synth(1000, 9);
    rec_model *dist = fx_enriched(ds, 13), *one = fx_enriched(ds, 13);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_sgd(&opt, 0.05f));
    rec_mpi *ctx;
    ck_assert_rec_ok(rec_mpi_create(&ctx, MPI_COMM_WORLD));
    uint32_t rows[100];
    for (uint32_t i = 0; i < 100; i++)
        rows[i] = i * 3;
    /* rank 0 has all 100 rows; the others none (their models hold a stale gradient that must
     * not count) */
    size_t mine = g_rank == 0 ? 100 : 0;
    ck_assert_rec_ok(rec_model_compute_gradients(dist, ds, rows, 100, NULL));
    ck_assert_rec_ok(rec_mpi_allreduce_gradients(ctx, dist, mine));
    ck_assert_rec_ok(rec_model_apply_gradients(dist, opt));
    ck_assert_rec_ok(rec_model_compute_gradients(one, ds, rows, 100, NULL));
    ck_assert_rec_ok(rec_model_apply_gradients(one, opt));
    size_t nw;
    float *wd = fx_weights_of(dist, &nw), *w1 = fx_weights_of(one, &nw);
    ck_assert_msg(same_on_all_ranks(wd, nw), "the ranks' models differ");
    ck_assert_msg(fx_max_abs_diff(wd, w1, nw) < 1e-6, "differs by %g", fx_max_abs_diff(wd, w1, nw));
    free(wd);
    free(w1);
    rec_mpi_free(ctx);
    rec_optimizer_free(opt);
    rec_model_free(dist);
    rec_model_free(one);
    rec_dataset_free(ds);
}
END_TEST

/* ---- epoch, evaluation, save ----------------------------------------------------------------- */

START_TEST(test_mpi_epoch_evaluate_save)
{
    rec_dataset *all = synth(4000, 10), *train, *test;
    ck_assert_rec_ok(rec_dataset_shuffle_split(&train, &test, all, 3200, 1));
    rec_model *dist = fx_enriched(all, 14), *one = fx_enriched(all, 14);
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    rec_mpi *ctx;
    ck_assert_rec_ok(rec_mpi_create(&ctx, MPI_COMM_WORLD));
    double loss_d, rmse_d;
    for (uint64_t e = 0; e < 2; e++)
        ck_assert_rec_ok(rec_mpi_train_epoch(&loss_d, &rmse_d, ctx, dist, opt, train, 512,
                                             77 + e));
    /* the same epochs in one process: the documented order, whole batches */
    size_t n = rec_dataset_size(train);
    double sse = 0.0;
    for (uint64_t e = 0; e < 2; e++) {
        uint32_t *order = fx_shuffled(n, 77 + e);
        sse = 0.0;
        for (size_t s = 0; s < n; s += 512) {
            size_t B = n - s < 512 ? n - s : 512;
            double l;
            ck_assert_rec_ok(rec_model_compute_gradients(one, train, order + s, B, &l));
            ck_assert_rec_ok(rec_model_apply_gradients(one, opt));
            sse += l * (double)B;
        }
        free(order);
    }
    ck_assert_msg(fabs(loss_d - sse / (double)n) < 1e-5, "epoch loss %.9g vs %.9g", loss_d,
                  sse / (double)n);
    ck_assert_double_eq_tol(rmse_d, sqrt(loss_d), 1e-12);
    size_t nw;
    float *wd = fx_weights_of(dist, &nw), *w1 = fx_weights_of(one, &nw);
    ck_assert_msg(same_on_all_ranks(wd, nw), "the ranks' models differ");
    ck_assert_msg(fx_max_abs_diff(wd, w1, nw) < 5e-5, "weights differ by %g",
                  fx_max_abs_diff(wd, w1, nw));
    free(wd);
    free(w1);

    /* sharded evaluation = evaluation in one process */
    double rmse, mae, rmse1, mae1;
    ck_assert_rec_ok(rec_mpi_evaluate(&rmse, &mae, ctx, dist, test, 100));
    ck_assert_rec_ok(rec_model_evaluate(dist, test, 4096, &rmse1, &mae1));
    ck_assert_double_eq_tol(rmse, rmse1, 1e-9);
    ck_assert_double_eq_tol(mae, mae1, 1e-9);

    /* saved once by rank 0, read back by plain librec */
    char dir[64] = "";
    if (g_rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/rec_mpi_testXXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    char path[128];
    snprintf(path, sizeof path, "%s/model.rec", dir);
    ck_assert_rec_ok(rec_mpi_save(ctx, dist, path, 1));
    MPI_Barrier(MPI_COMM_WORLD);
    rec_model *back;
    ck_assert_rec_ok(rec_model_load(&back, path));
    float *p = fx_predictions(dist, test), *q = fx_predictions(back, test);
    ck_assert(memcmp(p, q, rec_dataset_size(test) * sizeof *p) == 0);
    free(p);
    free(q);
    rec_model_free(back);
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0) {
        unlink(path);
        rmdir(dir);
    }

    rec_mpi_free(ctx);
    rec_optimizer_free(opt);
    rec_model_free(dist);
    rec_model_free(one);
    rec_dataset_free(train);
    rec_dataset_free(test);
    rec_dataset_free(all);
}
END_TEST

/* ---- failures reach every rank --------------------------------------------------------------- */

/* What an error test works on: synth(n, ds_seed), ENRICHED from model_seed, Adagrad at 0.1
 * and a context on MPI_COMM_WORLD. */
struct mpi_fixture {
    rec_dataset *ds;
    rec_model *m;
    rec_optimizer *opt;
    rec_mpi *ctx;
};

static struct mpi_fixture fixture_open(size_t n, uint64_t ds_seed, uint64_t model_seed)
{
    struct mpi_fixture fx;
    fx.ds = synth(n, ds_seed);
    fx.m = fx_enriched(fx.ds, model_seed);
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&fx.opt, 0.1f));
    ck_assert_rec_ok(rec_mpi_create(&fx.ctx, MPI_COMM_WORLD));
    return fx;
}

static void fixture_close(struct mpi_fixture *fx)
{
    rec_mpi_free(fx->ctx);
    rec_optimizer_free(fx->opt);
    rec_model_free(fx->m);
    rec_dataset_free(fx->ds);
}

START_TEST(test_mpi_failing_rank_fails_all)
{
    struct mpi_fixture fx = fixture_open(500, 11, 15);
    size_t nw;
    float *before = fx_weights_of(fx.m, &nw);
    /* the last rank passes a row out of range */
    int bad = g_size - 1;
    uint32_t rows[4] = {0, 1, 2, g_rank == bad ? 100000u : 3u};
    rec_status rc = rec_mpi_train_step(NULL, fx.ctx, fx.m, fx.opt, fx.ds, rows, 4);
    if (g_rank == bad) {
        ck_assert_int_eq(rc, REC_EINVAL);
        ck_assert_msg(strstr(rec_last_error(), "rec_model_compute_gradients") != NULL, "%s",
                      rec_last_error());
    } else {
        char want[96];
        snprintf(want, sizeof want, "rec_mpi_train_step: rank %d failed (invalid argument)",
                 bad);
        ck_assert_int_eq(rc, REC_ERROR);
        ck_assert_msg(strstr(rec_last_error(), want) == rec_last_error(), "%s",
                      rec_last_error());
    }
    /* no rank changed its weights, and no gradient is left behind */
    float *after = fx_weights_of(fx.m, &nw);
    ck_assert(memcmp(before, after, nw * sizeof *before) == 0);
    ck_assert_uint_eq(rec_embedding_grad_row_count(rec_model_feature_embedding(fx.m, 0)), 0);
    free(before);
    free(after);

    /* every rank with no rows: an empty global batch */
    ck_assert_rec_fails(rec_mpi_train_step(NULL, fx.ctx, fx.m, fx.opt, fx.ds, NULL, 0),
                        REC_EINVAL, "rec_mpi_train_step: the global batch is empty");
    /* a NULL optimizer on every rank */
    ck_assert_rec_fails(rec_mpi_train_step(NULL, fx.ctx, fx.m, NULL, fx.ds, rows, 3),
                        REC_EINVAL, "rec_mpi_train_step: optimizer is NULL");
    fixture_close(&fx);
}
END_TEST

START_TEST(test_mpi_mismatched_models_fail_all)
{
    rec_dataset *ds = synth(500, 12);
    rec_model *m;
    /* the last rank builds another model */
    ck_assert_rec_ok(rec_model_create_preset(&m, g_rank == g_size - 1 && g_size > 1
                                                     ? REC_PRESET_ONE_LAYER
                                                     : REC_PRESET_ENRICHED, 16));
    ck_assert_rec_ok(rec_model_build(m, ds));
    rec_mpi *ctx;
    ck_assert_rec_ok(rec_mpi_create(&ctx, MPI_COMM_WORLD));
    uint32_t rows[2] = {0, 1};
    ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, 2, NULL));
    rec_status rc = rec_mpi_allreduce_gradients(ctx, m, 2);
    if (g_size > 1) {
        ck_assert_int_eq(rc, REC_ESHAPE);
        ck_assert_msg(strstr(rec_last_error(), "rec_mpi_allreduce_gradients: rank ") &&
                      strstr(rec_last_error(), "build the same model on every rank"), "%s",
                      rec_last_error());
        ck_assert_uint_eq(rec_embedding_grad_row_count(rec_model_feature_embedding(m, 0)), 0);
    } else {
        ck_assert_int_eq(rc, REC_OK);
    }
    rec_model_free(m);
    /* an unbuilt model on every rank */
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 1));
    ck_assert_rec_fails(rec_mpi_allreduce_gradients(ctx, m, 2), REC_ESTATE,
                        "rec_mpi_allreduce_gradients: the model is not built");
    rec_model_free(m);
    rec_mpi_free(ctx);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_mpi_epoch_evaluate_save_errors)
{
    struct mpi_fixture fx = fixture_open(400, 13, 17);
    /* ranks disagree on the seed (with one rank: batch_size 0 instead) */
    if (g_size > 1) {
        ck_assert_rec_fails(rec_mpi_train_epoch(NULL, NULL, fx.ctx, fx.m, fx.opt, fx.ds, 64,
                                                (uint64_t)g_rank),
                            REC_EINVAL, "every rank must pass the same dataset, batch size "
                                        "and seed");
    }
    ck_assert_rec_fails(rec_mpi_train_epoch(NULL, NULL, fx.ctx, fx.m, fx.opt, fx.ds, 0, 1),
                        REC_EINVAL, "rec_mpi_train_epoch: batch_size 0 is outside 1..2^24");
    ck_assert_rec_fails(rec_mpi_train_epoch(NULL, NULL, fx.ctx, fx.m, fx.opt, NULL, 64, 1),
                        REC_EINVAL, "rec_mpi_train_epoch: model, opt and ds must be non-NULL");
    /* one rank without a dataset: it fails with its own message, the others name it */
    int bad = g_size - 1;
    rec_status rc =
        rec_mpi_evaluate(NULL, NULL, fx.ctx, fx.m, g_rank == bad ? NULL : fx.ds, 64);
    if (g_rank == bad) {
        ck_assert_int_eq(rc, REC_EINVAL);
        ck_assert_str_eq(rec_last_error(), "rec_mpi_evaluate: model and ds must be non-NULL");
    } else {
        ck_assert_int_eq(rc, REC_ERROR);
        ck_assert_msg(strstr(rec_last_error(), "rec_mpi_evaluate: rank ") &&
                      strstr(rec_last_error(), " failed (invalid argument)"), "%s",
                      rec_last_error());
    }
    /* rank 0 cannot write: every rank gets its status */
    rc = rec_mpi_save(fx.ctx, fx.m, "/nonexistent-dir/sub/model.rec", 0);
    ck_assert_int_eq(rc, REC_EIO);
    ck_assert_msg(strstr(rec_last_error(), "/nonexistent-dir/sub/model.rec") != NULL, "%s",
                  rec_last_error());
    if (g_rank != 0)
        ck_assert_msg(strstr(rec_last_error(), "rec_mpi_save: rank 0 failed to save: ") ==
                          rec_last_error(), "%s", rec_last_error());
    fixture_close(&fx);
}
END_TEST

static Suite *mpi_suite(void)
{
    Suite *s = suite_create("mpi");
    TCase *tc = tcase_create("context");
    tcase_add_test(tc, test_mpi_create_rank_size);
    tcase_add_test(tc, test_mpi_context_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("steps");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_mpi_steps_match_single_auto);
    tcase_add_test(tc, test_mpi_steps_match_single_sparse);
    tcase_add_test(tc, test_mpi_steps_match_single_dense);
    tcase_add_test(tc, test_mpi_steps_match_single_fm_adam);
    tcase_add_test(tc, test_mpi_allreduce_then_apply);
    suite_add_tcase(s, tc);
    tc = tcase_create("epoch");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_mpi_epoch_evaluate_save);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_mpi_failing_rank_fails_all);
    tcase_add_test(tc, test_mpi_mismatched_models_fail_all);
    tcase_add_test(tc, test_mpi_epoch_evaluate_save_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    SRunner *sr = srunner_create(mpi_suite());
    /* in-process: a forked child cannot use MPI; one summary line, from rank 0 */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, g_rank == 0 ? CK_NORMAL : CK_SILENT);
    int failed = srunner_ntests_failed(sr), any = 0;
    if (failed && g_rank != 0) {
        /* rank 0 printed its own; the others' failures would go unseen */
        TestResult **tr = srunner_failures(sr);
        for (int i = 0; i < failed; i++)
            fprintf(stderr, "rank %d: %s:%d: %s\n", g_rank, tr_lfile(tr[i]), tr_lno(tr[i]),
                    tr_msg(tr[i]));
        free(tr);
    }
    srunner_free(sr);
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any ? 1 : 0;
}
