/* Benchmark of the tutorial's models and of the examples' deep and best models (see
 * docs/BENCHMARKS.md): for each model and thread count, training seconds per epoch and
 * examples/s, evaluation examples/s, single-prediction latency, batch-prediction throughput
 * and top-k latency (one user against every title, then a partial sort; and
 * rec_model_recommend), as medians over repeats; plus the machine's sgemm rate on the shapes the
 * models use and on large squares, the FLOPs of an epoch and the fraction of the sgemm rate
 * reached. Data: MovieLens 100K (--data) or the synthetic generator (--synth, any size).
 * Output: a table on stdout and JSON (--json FILE, "-" for stdout).
 *
 * Introduces: rec_model_set_threads(), rec_dataset_synthesize().
 *
 * BLAS threads: librec never changes BLAS settings (they are process-wide); a program that
 * runs a model on several threads should keep OpenBLAS to one thread per caller. This program
 * does it with openblas_set_num_threads(1) (found at run time, so another CBLAS works too)
 * unless OPENBLAS_NUM_THREADS is set, and reports what it found. */
#define _GNU_SOURCE /* qsort_r */
#include "bench.h"
#include "models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* ---- data ------------------------------------------------------------------------------------ */

static int load(data *d, const opts *o)
{
    memset(d, 0, sizeof *d);
    double t0 = now();
    int rc;
    if (o->synth_n) {
        rc = rec_dataset_synthesize(&d->all, o->synth_n, o->synth_users, o->synth_movies,
                                    o->seed);
        if (rc)
            return fail("synthesizing", rc);
        /* train on every rating; evaluate on a copy of the first rows (no second copy of a
         * 25M-row set) */
        size_t n_eval = o->eval_rows ? o->eval_rows : o->synth_n / 5;
        if (n_eval > o->synth_n)
            n_eval = o->synth_n;
        if (n_eval > 1000000 && !o->eval_rows)
            n_eval = 1000000;
        if (n_eval == 0)
            n_eval = 1;
        uint32_t *rows = malloc(n_eval * sizeof *rows);
        if (!rows)
            return fprintf(stderr, "bench: out of memory\n"), 1;
        for (size_t i = 0; i < n_eval; i++)
            rows[i] = (uint32_t)i;
        rc = rec_dataset_subset(&d->test, d->all, rows, n_eval);
        free(rows);
        if (rc)
            return fail("taking the evaluation rows", rc);
        d->train = d->all;
        d->source = "synthetic";
    } else {
        rc = rec_dataset_load_movielens(&d->all, o->data_dir, NULL);
        if (rc)
            return fail("loading MovieLens", rc);
        size_t n_train = rec_dataset_size(d->all) * 4 / 5;
        rc = rec_dataset_shuffle_split(&d->train, &d->test, d->all, n_train, o->seed);
        if (rc)
            return fail("splitting", rc);
        d->source = "movielens-100k";
    }
    d->load_seconds = now() - t0;
    return 0;
}

static void data_free(data *d)
{
    if (d->train != d->all)
        rec_dataset_free(d->train);
    rec_dataset_free(d->test);
    rec_dataset_free(d->all);
}

/* Query datasets: one row (the first test example); one user against every title as rows to
 * predict; and every title as candidates for rec_model_recommend. */
static int make_queries(rec_dataset **one, rec_dataset **topk, rec_dataset **cands,
                        size_t *n_titles, const data *d)
{
    uint32_t cu, ct, cs;
    int rc = rec_dataset_column(&cu, d->test, "user_id");
    if (!rc)
        rc = rec_dataset_column(&ct, d->test, "movie_title");
    if (!rc)
        rc = rec_dataset_column(&cs, d->test, "timestamp");
    if (rc)
        return fail("finding the query columns", rc);
    const char *user = rec_dataset_string(d->test, cu, 0);
    const char *title = rec_dataset_string(d->test, ct, 0);
    double ts = rec_dataset_number(d->test, cs, 0);
    rc = rec_dataset_create(one, 1);
    if (!rc)
        rc = rec_dataset_add_strings(*one, "user_id", &user, 1);
    if (!rc)
        rc = rec_dataset_add_strings(*one, "movie_title", &title, 1);
    if (!rc)
        rc = rec_dataset_add_numbers(*one, "timestamp", &ts, 1);
    if (rc)
        return fail("building the one-row query", rc);

    uint32_t call;
    rc = rec_dataset_column(&call, d->all, "movie_title");
    size_t n = 0;
    if (!rc)
        rc = rec_dataset_unique_strings(NULL, 0, &n, d->all, call);
    const char **titles = calloc(n ? n : 1, sizeof *titles);
    const char **users = calloc(n ? n : 1, sizeof *users);
    double *times = calloc(n ? n : 1, sizeof *times);
    if (!titles || !users || !times)
        rc = REC_ENOMEM;
    if (!rc)
        rc = rec_dataset_unique_strings(titles, n, &n, d->all, call);
    for (size_t i = 0; !rc && i < n; i++) {
        users[i] = user;
        times[i] = ts;
    }
    if (!rc)
        rc = rec_dataset_create(topk, n);
    if (!rc)
        rc = rec_dataset_add_strings(*topk, "user_id", users, n);
    if (!rc)
        rc = rec_dataset_add_strings(*topk, "movie_title", titles, n);
    if (!rc)
        rc = rec_dataset_add_numbers(*topk, "timestamp", times, n);
    /* rec_model_recommend's candidates: the titles alone (the user side comes from *one) */
    if (!rc)
        rc = rec_dataset_create(cands, n);
    if (!rc)
        rc = rec_dataset_add_strings(*cands, "movie_title", titles, n);
    free(titles);
    free(users);
    free(times);
    if (rc)
        return fail("building the top-k query", rc);
    *n_titles = n;
    return 0;
}

static int cmp_row_str(const void *a, const void *b, void *ctx)
{
    const char *const *ids = ctx;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int c = strcmp(ids[x], ids[y]);
    return c ? c : (x > y) - (x < y);
}

/* deep's and best's queries: the first test row whole (every side feature), and one whole row
 * of `all` per distinct movie_id (its first) as rec_model_recommend's candidates. */
static int make_full_queries(queries *q, const data *d)
{
    uint32_t zero = 0, cm;
    int rc = rec_dataset_subset(&q->one, d->test, &zero, 1);
    if (!rc)
        rc = rec_dataset_column(&cm, d->all, "movie_id");
    if (rc)
        return fail("building the one-row query", rc);
    size_t n = rec_dataset_size(d->all), k = 0;
    uint32_t *rows = malloc((n ? n : 1) * sizeof *rows);
    const char **ids = malloc((n ? n : 1) * sizeof *ids);
    if (!rows || !ids) {
        free(rows);
        free(ids);
        return fprintf(stderr, "bench: out of memory\n"), 1;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i] = (uint32_t)i;
        ids[i] = rec_dataset_string(d->all, cm, i);
    }
    /* sort the row numbers by movie id, ties by row: each group's first is the movie's first */
    qsort_r(rows, n, sizeof *rows, cmp_row_str, ids);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(ids[rows[i]], ids[rows[k - 1]]) != 0)
            rows[k++] = rows[i];
    rc = rec_dataset_subset(&q->cands, d->all, rows, k);
    free(rows);
    free(ids);
    if (rc)
        return fail("building the candidates", rc);
    q->n_titles = k;
    return 0;
}

/* Indices of the k largest scores, best first (partial selection: O(n·k), k small). */
static void top_k(uint32_t *ids, const float *s, size_t n, size_t k)
{
    size_t have = 0;
    for (size_t i = 0; i < n; i++) {
        if (have == k && s[i] <= s[ids[k - 1]])
            continue;
        size_t j = have < k ? have++ : k - 1;
        while (j > 0 && s[ids[j - 1]] < s[i]) {
            ids[j] = ids[j - 1];
            j--;
        }
        ids[j] = (uint32_t)i;
    }
}

/* ---- one model at one thread count ----------------------------------------------------------- */

typedef struct epoch_log {
    result *r;
    double last_cpu;
} epoch_log;

static int on_epoch(uint32_t epoch, const double *s, size_t n_stats, void *payload)
{
    epoch_log *log = payload;
    double cpu = cpu_now();
    if (n_stats > REC_STAT_SECONDS && epoch <= MAX_EPOCHS) {
        log->r->epoch_s[epoch - 1] = s[REC_STAT_SECONDS];
        log->r->epoch_cpu_s[epoch - 1] = cpu - log->last_cpu;
    }
    log->last_cpu = cpu;
    return 0;
}

/* The model `model` described and built (deep on all ratings, as deep.c; best on the training
 * set, as best.c), unbuilt failures reported. */
static int make_model(rec_model **out, const data *d, const opts *o, int model, double *build_s)
{
    experiment_opts eo;
    memset(&eo, 0, sizeof eo);
    eo.seed = o->seed;
    eo.dim = 14; /* best.c's default K */
    rec_status rc;
    if (model == MODEL_DEEP)
        rc = models_deep_describe(out, &eo);
    else if (model == MODEL_BEST)
        rc = models_best_describe(out, &eo);
    else
        rc = experiment_create_preset(out, (rec_preset)model, o->seed);
    double t0 = now();
    if (!rc)
        rc = rec_model_build(*out, model == MODEL_BEST ? d->train : d->all);
    *build_s = now() - t0;
    if (rc) {
        rec_model_free(*out);
        *out = NULL;
        return fail("building the model", rc);
    }
    return 0;
}

static int run_one(result *r, const data *d, const opts *o, int model, uint32_t threads,
                   const queries *q)
{
    memset(r, 0, sizeof *r);
    r->model = model;
    r->threads = threads;
    r->epochs = model == MODEL_BEST ? o->best_sweeps : o->epochs;
    r->n_train = rec_dataset_size(d->train);
    r->n_test = rec_dataset_size(d->test);
    r->n_titles = q ? q->n_titles : 0;
    rec_model *m = NULL;
    rec_optimizer *opt = NULL;
    double t0;
    if (make_model(&m, d, o, model, &r->build_s))
        return 1;
    int rc = rec_model_set_threads(m, threads);
    if (!rc && model != MODEL_BEST)
        rc = rec_optimizer_create_adagrad(&opt, o->lr);
    if (rc) {
        rec_model_free(m);
        return fail("building the model", rc);
    }

    /* training: one fit of `epochs` epochs, no validation, timed by the library per epoch;
     * best: its Gibbs sampler, timed per sweep (no test set during sampling, as best --quiet) */
    epoch_log log = {r, cpu_now()};
    if (model == MODEL_BEST)
        rc = rec_model_fit_mcmc(m, d->train, o->best_sweeps, o->best_burn_in, NULL, on_epoch,
                                &log);
    else
        rc = rec_model_fit(m, opt, d->train, NULL, o->epochs, o->batch, o->eval_batch,
                           on_epoch, &log);
    rec_optimizer_free(opt);
    if (rc) {
        rec_model_free(m);
        return fail("training", rc);
    }
    double tmp[MAX_EPOCHS];
    memcpy(tmp, r->epoch_s, r->epochs * sizeof *tmp);
    r->train_s = median(tmp, r->epochs);
    /* CPU time: epoch 1 also holds the feature preprocessing, so it is left out when possible */
    size_t skip = r->epochs > 1;
    memcpy(tmp, r->epoch_cpu_s + skip, (r->epochs - skip) * sizeof *tmp);
    r->train_cpu_s = median(tmp, r->epochs - skip);
    r->train_eps = (double)r->n_train / r->train_s;
    /* matrix-product FLOPs: the MLPs' (a factorization machine's work is not a product) */
    r->flops_epoch = model == MODEL_BEST ? NAN : flops_per_example(m) * (double)r->n_train;
    if (threads == 1 && o->sgemm && model != MODEL_BEST && rec_model_n_layers(m) > 0) {
        double fl = 0.0;
        r->sgemm_batch_s = sgemm_batch_seconds(m, o->batch, 20, &fl);
        r->sgemm_gflops = fl / r->sgemm_batch_s / 1e9;
        r->sgemm_epoch_s = r->flops_epoch / (r->sgemm_gflops * 1e9);
    }

    /* evaluation and batch prediction over the test rows */
    double ev[MAX_RUNS], pr[MAX_RUNS];
    float *pred = malloc(r->n_test * sizeof *pred);
    if (!pred) {
        rec_model_free(m);
        return fprintf(stderr, "bench: out of memory\n"), 1;
    }
    unsigned reps = o->repeats;
    for (unsigned i = 0; i < reps && !rc; i++) {
        double mae;
        t0 = now();
        rc = rec_model_evaluate(m, d->test, o->eval_batch, &r->rmse, &mae);
        ev[i] = now() - t0;
        if (!rc) {
            t0 = now();
            rc = rec_model_predict(m, d->test, pred, r->n_test);
            pr[i] = now() - t0;
        }
    }
    free(pred);
    if (rc) {
        rec_model_free(m);
        return fail("evaluating", rc);
    }
    r->eval_s = median(ev, reps);
    r->eval_eps = (double)r->n_test / r->eval_s;
    r->predict_eps = (double)r->n_test / median(pr, reps);

    if (o->predict && q) {
        /* single prediction: groups of 200 calls, median of the group means */
        rec_dataset *one = q->one, *topk = q->topk, *cands = q->cands;
        const size_t n_titles = q->n_titles;
        double t1[MAX_RUNS], tk[MAX_RUNS];
        float p1;
        for (unsigned i = 0; i < reps && !rc; i++) {
            t0 = now();
            for (int k = 0; k < 200 && !rc; k++)
                rc = rec_model_predict(m, one, &p1, 1);
            t1[i] = (now() - t0) / 200;
        }
        /* top-k: predict the user against every title, keep the best TOPK; and the same
         * through rec_model_recommend (which builds the rows to predict itself) */
        float *scores = malloc((n_titles ? n_titles : 1) * sizeof *scores);
        uint32_t ids[TOPK];
        float best[TOPK];
        double rk[MAX_RUNS];
        size_t got;
        if (!scores)
            rc = REC_ENOMEM;
        for (unsigned i = 0; i < reps && !rc; i++) {
            tk[i] = NAN;
            if (topk) {
                t0 = now();
                rc = rec_model_predict(m, topk, scores, n_titles);
                if (!rc)
                    top_k(ids, scores, n_titles, n_titles < TOPK ? n_titles : TOPK);
                tk[i] = now() - t0;
            }
            if (!rc) {
                t0 = now();
                rc = rec_model_recommend(ids, best, &got, TOPK, m, cands, one, 0, NULL);
                rk[i] = now() - t0;
            }
        }
        free(scores);
        if (rc) {
            rec_model_free(m);
            return fail("predicting", rc);
        }
        r->one_us = 1e6 * median(t1, reps);
        r->topk_ms = topk ? 1e3 * median(tk, reps) : NAN;
        r->recommend_ms = 1e3 * median(rk, reps);
    }
    rec_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(&o, argc, argv))
        return 2;
    machine mc;
    memset(&mc, 0, sizeof mc);
    blas_setup(&mc.blas);
    cpu_model(mc.cpu, sizeof mc.cpu);
    mc.cores = sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname un;
    if (uname(&un) == 0)
        snprintf(mc.kernel, sizeof mc.kernel, "%s %s", un.sysname, un.release);
    time_t tt = time(NULL);
    strftime(mc.date, sizeof mc.date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
    char command[1024] = "";
    for (int i = 0, at = 0; i < argc && at < (int)sizeof command - 1; i++)
        at += snprintf(command + at, sizeof command - (size_t)at, "%s%s", i ? " " : "", argv[i]);

    printf("librec bench: %s, %ld cores; OpenBLAS core %s, %d thread(s)%s; "
           "OPENBLAS_CORETYPE=%s\n", mc.cpu, mc.cores, mc.blas.core, mc.blas.threads,
           mc.blas.forced ? " (set by bench)" : "",
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");
    if (o.sgemm) {
        mc.gemm_square_1t[0] = sgemm_rate(0, 0, 1024, 1024, 1024, 10);
        mc.gemm_square_1t[1] = sgemm_rate(0, 0, 2048, 2048, 2048, 5);
        if (mc.blas.set_threads && mc.blas.forced) {
            mc.blas.set_threads(2);
            mc.gemm_square_2t = sgemm_rate(0, 0, 2048, 2048, 2048, 5);
            mc.blas.set_threads(1);
        } else {
            mc.gemm_square_2t = NAN;
        }
        int b = (int)o.batch;
        mc.gemm_shapes[0] = sgemm_rate(0, 0, b, 64, 129, 50);
        mc.gemm_shapes[1] = sgemm_rate(1, 0, 129, 64, b, 50);
        mc.gemm_shapes[2] = sgemm_rate(0, 1, b, 129, 64, 50);
        mc.gemm_shapes[3] = sgemm_rate(0, 0, b, 64, 64, 50);
        mc.gemm_shapes[4] = sgemm_rate(1, 0, 64, 64, b, 50);
        mc.gemm_shapes[5] = sgemm_rate(0, 1, b, 64, 64, 50);
        printf("sgemm GFLOP/s: 1024^3 %.1f, 2048^3 %.1f (1 thread), 2048^3 %.1f (2 threads)\n",
               mc.gemm_square_1t[0], mc.gemm_square_1t[1], mc.gemm_square_2t);
        for (int i = 0; i < 6; i++)
            printf("  %-40s %.1f\n", bench_shape_names[i], mc.gemm_shapes[i]);
    }

    data d;
    if (load(&d, &o)) {
        data_free(&d);
        return 1;
    }
    printf("data: %s, %zu ratings (train %zu, test %zu), loaded in %.2f s\n", d.source,
           rec_dataset_size(d.all), rec_dataset_size(d.train), rec_dataset_size(d.test),
           d.load_seconds);
    int wants_full = 0, wants_best = 0;
    for (int i = 0; i < o.n_models; i++) {
        wants_full |= o.models[i] >= MODEL_DEEP;
        wants_best |= o.models[i] == MODEL_BEST;
    }
    if (wants_best) {
        /* best's implicit feedback from the training ratings, as best.c (also on `all`, where
         * its candidates come from) */
        experiment_opts eo;
        memset(&eo, 0, sizeof eo);
        rec_dataset *sets[3] = {d.train, d.test, d.all};
        int prc = models_best_prepare(sets, 3, d.train, &eo);
        if (prc) {
            data_free(&d);
            return fail("adding best's implicit feedback", prc);
        }
    }
    queries qp = {0}, qf = {0};
    if (o.predict && (make_queries(&qp.one, &qp.topk, &qp.cands, &qp.n_titles, &d) ||
                      (wants_full && make_full_queries(&qf, &d)))) {
        rec_dataset_free(qp.one);
        rec_dataset_free(qp.topk);
        rec_dataset_free(qp.cands);
        rec_dataset_free(qf.one);
        rec_dataset_free(qf.cands);
        data_free(&d);
        return 1;
    }
    result *res = calloc((size_t)o.n_models * (size_t)o.n_threads, sizeof *res);
    int n_res = 0, rc = 0;
    for (int i = 0; i < o.n_models && !rc; i++)
        for (int t = 0; t < o.n_threads && !rc; t++) {
            const queries *q = !o.predict ? NULL : o.models[i] >= MODEL_DEEP ? &qf : &qp;
            rc = run_one(&res[n_res], &d, &o, o.models[i], o.threads[t], q);
            if (!rc) {
                const result *r = &res[n_res++];
                printf("%-10s threads %u: %s %.2f ms (median of %u), test RMSE %.4f\n",
                       model_names[r->model], r->threads,
                       r->model == MODEL_BEST ? "sweep" : "epoch", 1e3 * r->train_s, r->epochs,
                       r->rmse);
                fflush(stdout);
            }
        }
    if (!rc) {
        print_table(res, n_res, &o);
        printf("peak RSS %.1f MB\n", peak_rss_kb() / 1024.0);
        if (o.json) {
            FILE *f = strcmp(o.json, "-") ? fopen(o.json, "w") : stdout;
            if (!f) {
                perror(o.json);
                rc = 1;
            } else {
                write_json(f, &mc, &o, &d, res, n_res, command);
                if (f != stdout && fclose(f) != 0) {
                    perror(o.json);
                    rc = 1;
                }
            }
        }
    }
    free(res);
    rec_dataset_free(qp.one);
    rec_dataset_free(qp.topk);
    rec_dataset_free(qp.cands);
    rec_dataset_free(qf.one);
    rec_dataset_free(qf.cands);
    data_free(&d);
    return rc;
}
