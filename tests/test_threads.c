/* Suite "threads": the thread-safety statement of docs/threading.md, exercised.
 * - different handles in different threads at once: two models built from one shared const
 *   dataset and trained in two threads give the bits they give trained one after the other;
 * - one handle shared through const functions only: four threads predicting, evaluating,
 *   looking up and saving on one trained model give the single-threaded results;
 * - rec_last_error() is per thread.
 * Run it under -fsanitize=thread too (docs/threading.md says how). */
#include "rec_check.h"
#include "model_fixtures.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_PREDICTORS 4
#define ROUNDS 5

/* ---- two models trained at once ----------------------------------------------------------- */

typedef struct train_job {
    const rec_dataset *ds; /* shared, const */
    rec_preset preset;
    uint64_t seed;
    uint32_t n_threads;    /* the model's own thread count (rec_model_set_threads) */
    float *pred;           /* rec_dataset_size(ds) predictions after training */
    int rc;
    char msg[256];
} train_job;

/* Build, train two epochs and predict; nothing shared but the const dataset. The model may
 * use threads of its own as well (then each of the two runs 1 + n_threads − 1 threads). */
static void *train_job_run(void *arg)
{
    train_job *j = arg;
    rec_model *m = NULL;
    rec_optimizer *opt = NULL;
    size_t n = rec_dataset_size(j->ds);
    j->rc = rec_model_create_preset(&m, j->preset, j->seed);
    if (!j->rc)
        j->rc = rec_model_set_threads(m, j->n_threads);
    if (!j->rc)
        j->rc = rec_model_build(m, j->ds);
    if (!j->rc)
        j->rc = rec_optimizer_create_adagrad(&opt, 0.1f);
    if (!j->rc)
        j->rc = rec_model_fit(m, opt, j->ds, NULL, 2, 32, 128, NULL, NULL);
    if (!j->rc)
        j->rc = rec_model_predict(m, j->ds, j->pred, n);
    if (j->rc)
        snprintf(j->msg, sizeof j->msg, "%s", rec_last_error());
    rec_optimizer_free(opt);
    rec_model_free(m);
    return NULL;
}

START_TEST(test_threads_two_models_train_at_once)
{
    rec_dataset *ds = fx_synth(1500, 40, 60, 3);
    size_t n = rec_dataset_size(ds);
    train_job seq[2], par[2];
    const rec_preset presets[2] = {REC_PRESET_ENRICHED, REC_PRESET_ONE_LAYER};
    for (int i = 0; i < 2; i++) {
        seq[i] = (train_job){.ds = ds, .preset = presets[i], .seed = 7 + (uint64_t)i,
                             .n_threads = 1 + (uint32_t)i};
        seq[i].pred = malloc(n * sizeof(float));
        par[i] = seq[i];
        par[i].pred = malloc(n * sizeof(float));
        train_job_run(&seq[i]); /* one after the other, on this thread */
        ck_assert_msg(seq[i].rc == REC_OK, "sequential %d: %s", i, seq[i].msg);
    }
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, train_job_run, &par[i]), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(par[i].rc == REC_OK, "thread %d: %s", i, par[i].msg);
        ck_assert_msg(memcmp(seq[i].pred, par[i].pred, n * sizeof(float)) == 0,
                      "model %d trained in a thread differs from the sequential run", i);
        free(seq[i].pred);
        free(par[i].pred);
    }
    /* the two models differ from each other, so the comparison above can fail */
    rec_dataset_free(ds);
}
END_TEST

/* ---- one trained model shared by const calls ------------------------------------------- */

typedef struct share_job {
    const rec_model *m;    /* shared, const */
    const rec_dataset *ds; /* shared, const */
    const float *want;     /* single-threaded predictions */
    double want_rmse;
    const char *known;     /* a user of ds, in the model's vocabulary */
    const char *save_path; /* each thread saves to its own file */
    int ok;
    char msg[256];
} share_job;

static void *share_job_run(void *arg)
{
    share_job *j = arg;
    size_t n = rec_dataset_size(j->ds);
    float *p = malloc(n * sizeof *p);
    j->ok = p != NULL;
    for (int r = 0; j->ok && r < ROUNDS; r++) {
        double rmse = 0;
        int rc = rec_model_predict(j->m, j->ds, p, n);
        if (!rc)
            rc = rec_model_evaluate(j->m, j->ds, 64, &rmse, NULL);
        if (rc) {
            snprintf(j->msg, sizeof j->msg, "%s", rec_last_error());
            j->ok = 0;
        } else if (memcmp(p, j->want, n * sizeof *p) != 0 || rmse != j->want_rmse) {
            snprintf(j->msg, sizeof j->msg, "round %d: results differ", r);
            j->ok = 0;
        }
        /* lookups in the model's vocabulary (borrowed const handle) */
        const rec_vocab *v = rec_model_feature_vocab(j->m, 0);
        if (j->ok &&
            (rec_vocab_index(v, j->known) == 0 || rec_vocab_index(v, "nobody") != 0)) {
            snprintf(j->msg, sizeof j->msg, "vocabulary lookup");
            j->ok = 0;
        }
    }
    if (j->ok && rec_model_save(j->m, j->save_path, 1) != REC_OK) {
        snprintf(j->msg, sizeof j->msg, "%s", rec_last_error());
        j->ok = 0;
    }
    free(p);
    return NULL;
}

/* Four threads on one model through const calls; each call may itself use the model's own
 * threads (n_threads), which must not disturb the callers or each other. */
static void shared_model_round(rec_model *m, const rec_dataset *ds, uint32_t n_threads)
{
    size_t n = rec_dataset_size(ds);
    ck_assert_rec_ok(rec_model_set_threads(m, n_threads)); /* nobody else uses m yet */
    float *want = malloc(n * sizeof *want);
    double want_rmse;
    ck_assert_rec_ok(rec_model_predict(m, ds, want, n));
    ck_assert_rec_ok(rec_model_evaluate(m, ds, 64, &want_rmse, NULL));

    char dir[] = "/tmp/rec_threads_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char paths[N_PREDICTORS][64];
    share_job jobs[N_PREDICTORS];
    pthread_t th[N_PREDICTORS];
    for (int i = 0; i < N_PREDICTORS; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/m%d.rec", dir, i);
        jobs[i] = (share_job){.m = m, .ds = ds, .want = want, .want_rmse = want_rmse,
                              .known = rec_dataset_string(ds, 0, 0), .save_path = paths[i]};
        ck_assert_int_eq(pthread_create(&th[i], NULL, share_job_run, &jobs[i]), 0);
    }
    for (int i = 0; i < N_PREDICTORS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    size_t n0 = 0;
    unsigned char *f0 = NULL;
    for (int i = 0; i < N_PREDICTORS; i++) {
        ck_assert_msg(jobs[i].ok, "thread %d (model threads %u): %s", i, n_threads,
                      jobs[i].msg);
        size_t ni;
        unsigned char *fi = rec_check_read_file(paths[i], &ni);
        if (i == 0) {
            f0 = fi;
            n0 = ni;
        } else {
            ck_assert_uint_eq(ni, n0);
            ck_assert_int_eq(memcmp(fi, f0, n0), 0); /* four saves, the same bytes */
            free(fi);
        }
        unlink(paths[i]);
    }
    free(f0);
    rmdir(dir);
    free(want);
}

START_TEST(test_threads_shared_model_const_calls)
{
    rec_dataset *ds = fx_synth(1500, 40, 60, 4);
    rec_model *m;
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 5));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_fit(m, opt, ds, NULL, 1, 32, 128, NULL, NULL));
    shared_model_round(m, ds, 1);
    shared_model_round(m, ds, 3);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* ---- per-thread error message ----------------------------------------------------------- */

typedef struct err_job {
    pthread_barrier_t *after_fail;
    pthread_barrier_t *after_other;
    int which;
    char seen[256];
} err_job;

/* Each thread fails a different call, waits until the other has failed too, then reads its
 * own message: it must still be its own. */
static void *err_job_run(void *arg)
{
    err_job *j = arg;
    rec_model *m = NULL;
    if (j->which == 0)
        rec_model_create_preset(&m, (rec_preset)42, 1);
    else
        rec_model_load(&m, "/nonexistent/thread-one.rec");
    pthread_barrier_wait(j->after_fail);
    pthread_barrier_wait(j->after_other);
    snprintf(j->seen, sizeof j->seen, "%s", rec_last_error());
    return NULL;
}

START_TEST(test_threads_last_error_is_per_thread)
{
    pthread_barrier_t a, b;
    ck_assert_int_eq(pthread_barrier_init(&a, NULL, 2), 0);
    ck_assert_int_eq(pthread_barrier_init(&b, NULL, 2), 0);
    err_job j[2] = {{&a, &b, 0, ""}, {&a, &b, 1, ""}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, err_job_run, &j[i]), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    ck_assert_msg(strstr(j[0].seen, "unknown preset 42") != NULL, "thread 0 saw: %s",
                  j[0].seen);
    ck_assert_msg(strstr(j[1].seen, "thread-one.rec") != NULL, "thread 1 saw: %s", j[1].seen);
    pthread_barrier_destroy(&a);
    pthread_barrier_destroy(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_threads_two_models_train_at_once);
    tcase_add_test(tc, test_threads_shared_model_const_calls);
    tcase_add_test(tc, test_threads_last_error_is_per_thread);
    suite_add_tcase(s, tc);
    return rec_check_run(s);
}
