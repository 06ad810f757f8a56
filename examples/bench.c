/* Benchmark of the tutorial's models and of the examples' deep and best models (see
 * docs/BENCHMARKS.md): for each model and thread count, training seconds per epoch and examples/s, evaluation examples/s, single-prediction
 * latency, batch-prediction throughput and top-k latency (one user against every title, then
 * a partial sort), as medians over repeats; plus the machine's sgemm rate on the shapes the
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
#define _GNU_SOURCE /* dlsym(RTLD_DEFAULT) */
#include <rec.h>

#include "models.h"

#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 16
#define MAX_EPOCHS 1024 /* epochs of a gradient model, sweeps of best */
#define TOPK 10

/* ---- small utilities ------------------------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int fail(const char *what, int status)
{
    fprintf(stderr, "bench: %s: %s (%s)\n", what, rec_last_error(), rec_status_str(status));
    return 1;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* kilobytes on Linux */
}

/* ---- OpenBLAS, found at run time ------------------------------------------------------------- */

typedef struct blas_info {
    char core[64], config[160];
    int threads;      /* effective OpenBLAS threads, -1 if unknown */
    int forced;       /* this program set it to 1 */
    void (*set_threads)(int);
} blas_info;

/* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer, ISO C
 * does not, so the bits are copied (the form POSIX itself suggests). */
static void *fn_sym(const char *name, void *fp, size_t size)
{
    void *sym = dlsym(RTLD_DEFAULT, name);
    memcpy(fp, &sym, size);
    return sym;
}

static void blas_setup(blas_info *b)
{
    char *(*corename)(void), *(*config)(void);
    int (*get_threads)(void);
    fn_sym("openblas_get_corename", &corename, sizeof corename);
    fn_sym("openblas_get_config", &config, sizeof config);
    fn_sym("openblas_get_num_threads", &get_threads, sizeof get_threads);
    fn_sym("openblas_set_num_threads", &b->set_threads, sizeof b->set_threads);
    snprintf(b->core, sizeof b->core, "%s", corename ? corename() : "unknown (not OpenBLAS?)");
    snprintf(b->config, sizeof b->config, "%s", config ? config() : "unknown");
    if (b->set_threads && !getenv("OPENBLAS_NUM_THREADS")) {
        b->set_threads(1);
        b->forced = 1;
    }
    b->threads = get_threads ? get_threads() : -1;
}

/* ---- sgemm rates ----------------------------------------------------------------------------- */

/* Median GFLOP/s of C (m×n) = op(A)·op(B) over `reps` calls, row-major like librec. */
static double sgemm_rate(int ta, int tb, int m, int n, int k, int reps)
{
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
    float *c = malloc(sizeof(float) * (size_t)m * n);
    double t[64];
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return NAN;
    }
    for (size_t i = 0; i < (size_t)m * k; i++)
        a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)k * n; i++)
        b[i] = (float)(i % 5) * 0.1f;
    if (reps > 64)
        reps = 64;
    for (int r = -2; r < reps; r++) { /* two warm-up calls */
        double t0 = now();
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
        if (r >= 0)
            t[r] = now() - t0;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * m * n * k / median(t, (size_t)reps) / 1e9;
}

/* ---- data ------------------------------------------------------------------------------------ */

typedef struct opts {
    const char *data_dir;
    size_t synth_n;
    uint32_t synth_users, synth_movies;
    int models[5], n_models;
    uint32_t threads[8];
    int n_threads;
    unsigned epochs, repeats;
    size_t batch, eval_batch, eval_rows;
    unsigned long long seed;
    float lr;
    const char *json;
    int sgemm, predict;
    unsigned best_sweeps, best_burn_in; /* best: Gibbs sweeps, of which burn-in */
} opts;

typedef struct data {
    rec_dataset *all, *train, *test;
    double load_seconds;
    const char *source;
} data;

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

/* The queries of one model: the presets read three columns and take the small datasets of
 * make_queries; deep and best read side features, so their one-row query is a whole test row
 * and their candidates one whole row per movie (make_full_queries). */
typedef struct queries {
    rec_dataset *one, *topk, *cands; /* topk: NULL when only rec_model_recommend is timed */
    size_t n_titles;
} queries;

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

/* The presets (their rec_preset values), then deep.c's and best.c's models (models.c). */
static const char *const model_names[] = {"dot", "one_layer", "enriched", "deep", "best"};
enum { MODEL_DEEP = 3, MODEL_BEST = 4, N_MODELS = 5 };

typedef struct result {
    int model;
    uint32_t threads;
    unsigned epochs;
    double epoch_s[MAX_EPOCHS], epoch_cpu_s[MAX_EPOCHS];
    double train_s, train_cpu_s, train_eps;
    double eval_s, eval_eps, predict_eps, one_us, topk_ms, recommend_ms;
    double rmse, build_s, flops_epoch, sgemm_batch_s, sgemm_epoch_s, sgemm_gflops;
    size_t n_train, n_test, n_titles;
} result;

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

/* FLOPs of one training example: MLP 2·Σ n_in·n_out forward, twice that backward (∂W and
 * ∂x); DOT 2d forward, 4d backward. Element-wise work is not counted. */
static double flops_per_example(const rec_model *m)
{
    size_t L = rec_model_n_layers(m);
    if (L == 0) {
        double d = rec_embedding_dim(rec_model_feature_embedding(m, 0));
        return 6.0 * d;
    }
    double f = 0.0;
    for (size_t l = 0; l < L; l++) {
        const rec_dense *d = rec_model_layer(m, l);
        f += 6.0 * rec_dense_n_in(d) * rec_dense_n_out(d);
    }
    return f;
}

/* Median seconds of the sgemm calls of one training batch of B rows of an MLP (forward,
 * ∂W and ∂x of each layer) with random operands: the FLOP floor of an epoch at this
 * machine's BLAS rate on these very shapes. */
static double sgemm_batch_seconds(const rec_model *m, size_t B, int reps, double *flops_out)
{
    size_t L = rec_model_n_layers(m), biggest = 1;
    if (L == 0) {
        *flops_out = 0;
        return 0;
    }
    for (size_t l = 0; l < L; l++) {
        const rec_dense *d = rec_model_layer(m, l);
        size_t in = rec_dense_n_in(d), out = rec_dense_n_out(d);
        size_t s = (in > out ? in : out) * (B > in ? B : in);
        if (s > biggest)
            biggest = s;
    }
    float *x = malloc(biggest * sizeof *x), *w = malloc(biggest * sizeof *w);
    float *y = malloc(biggest * sizeof *y);
    double t[64];
    if (!x || !w || !y) {
        free(x);
        free(w);
        free(y);
        return NAN;
    }
    for (size_t i = 0; i < biggest; i++)
        x[i] = w[i] = y[i] = 0.01f * (float)(i % 13);
    double flops = 0;
    if (reps > 64)
        reps = 64;
    for (int r = -2; r < reps; r++) {
        double t0 = now();
        flops = 0;
        for (size_t l = 0; l < L; l++) {
            const rec_dense *d = rec_model_layer(m, l);
            int in = (int)rec_dense_n_in(d), out = (int)rec_dense_n_out(d), b = (int)B;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, out, in, 1.0f, x, in, w,
                        out, 0.0f, y, out);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, b, 1.0f, x, in, y, out,
                        1.0f, w, out);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, in, out, 1.0f, y, out, w, out,
                        0.0f, x, in);
            flops += 6.0 * in * out * b;
        }
        if (r >= 0)
            t[r] = now() - t0;
    }
    free(x);
    free(w);
    free(y);
    *flops_out = flops;
    return median(t, (size_t)reps);
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
        rc = rec_model_create_preset(out, (rec_preset)model, o->seed);
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

/* ---- output ---------------------------------------------------------------------------------- */

static void json_num(FILE *f, const char *key, double v, int last)
{
    if (isfinite(v))
        fprintf(f, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
    else
        fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                p += 2;
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, cap, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

typedef struct machine {
    char cpu[128], kernel[300], date[64];
    long cores;
    double gemm_square_1t[2], gemm_square_2t; /* 1024³, 2048³ on 1 thread; 2048³ on 2 */
    double gemm_shapes[6];                     /* see shape_names */
    blas_info blas;
} machine;

static const char *const shape_names[] = {
    "2048x129 . 129x64 (enriched forward)", "129x2048 . 2048x64 (enriched dW, TN)",
    "2048x64 . 64x129 (enriched dx, NT)",   "2048x64 . 64x64 (one_layer forward)",
    "64x2048 . 2048x64 (one_layer dW, TN)", "2048x64 . 64x64 (one_layer dx, NT)"};

static void write_json(FILE *f, const machine *mc, const opts *o, const data *d,
                       const result *res, int n_res, const char *command)
{
    fprintf(f, "{\n  \"date\": \"%s\", \"command\": \"%s\",\n", mc->date, command);
    fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"cores\": %ld, \"kernel\": \"%s\", "
               "\"openblas_core\": \"%s\", \"openblas_config\": \"%s\", "
               "\"openblas_threads\": %d, \"openblas_threads_set_by_bench\": %s, "
               "\"OPENBLAS_NUM_THREADS\": \"%s\", \"OPENBLAS_CORETYPE\": \"%s\"},\n",
            mc->cpu, mc->cores, mc->kernel, mc->blas.core, mc->blas.config, mc->blas.threads,
            mc->blas.forced ? "true" : "false",
            getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "",
            getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "");
    if (o->sgemm) {
        fprintf(f, "  \"sgemm_gflops\": {");
        json_num(f, "square_1024_1thread", mc->gemm_square_1t[0], 0);
        json_num(f, "square_2048_1thread", mc->gemm_square_1t[1], 0);
        json_num(f, "square_2048_2threads", mc->gemm_square_2t, 0);
        for (int i = 0; i < 6; i++)
            json_num(f, shape_names[i], mc->gemm_shapes[i], i == 5);
        fprintf(f, "},\n");
    }
    fprintf(f, "  \"data\": {\"source\": \"%s\", \"ratings\": %zu, \"train\": %zu, "
               "\"test\": %zu, \"load_seconds\": %.3f, \"seed\": %llu, \"batch\": %zu, "
               "\"eval_batch\": %zu},\n",
            d->source, rec_dataset_size(d->all), rec_dataset_size(d->train),
            rec_dataset_size(d->test), d->load_seconds, o->seed, o->batch, o->eval_batch);
    fprintf(f, "  \"peak_rss_mb\": %.1f,\n  \"results\": [", peak_rss_kb() / 1024.0);
    for (int i = 0; i < n_res; i++) {
        const result *r = &res[i];
        fprintf(f, "%s\n    {\"model\": \"%s\", \"threads\": %u, ", i ? "," : "",
                model_names[r->model], r->threads);
        json_num(f, "train_epoch_seconds_median", r->train_s, 0);
        json_num(f, "train_epoch_cpu_seconds_median", r->train_cpu_s, 0);
        json_num(f, "train_examples_per_second", r->train_eps, 0);
        json_num(f, "eval_examples_per_second", r->eval_eps, 0);
        json_num(f, "predict_one_latency_us", o->predict ? r->one_us : NAN, 0);
        json_num(f, "predict_batch_examples_per_second", r->predict_eps, 0);
        json_num(f, "topk_latency_ms", o->predict ? r->topk_ms : NAN, 0);
        json_num(f, "recommend_latency_ms", o->predict ? r->recommend_ms : NAN, 0);
        fprintf(f, "\"topk_candidates\": %zu, \"k\": %d, ", r->n_titles, TOPK);
        json_num(f, "flops_per_epoch", r->flops_epoch, 0);
        json_num(f, "sgemm_gflops_model_shapes", r->sgemm_gflops > 0 ? r->sgemm_gflops : NAN, 0);
        json_num(f, "sgemm_seconds_per_epoch", r->sgemm_epoch_s > 0 ? r->sgemm_epoch_s : NAN, 0);
        json_num(f, "epoch_over_sgemm_time",
                 r->sgemm_epoch_s > 0 ? r->train_s / r->sgemm_epoch_s : NAN, 0);
        json_num(f, "build_seconds", r->build_s, 0);
        json_num(f, "test_rmse", r->rmse, 0);
        fprintf(f, "\"epoch_seconds\": [");
        for (unsigned e = 0; e < r->epochs; e++)
            fprintf(f, "%s%.6f", e ? ", " : "", r->epoch_s[e]);
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]\n}\n");
}

static void print_table(const result *res, int n_res, const opts *o)
{
    printf("\n%-10s %3s %9s %9s %10s %10s %7s %10s %8s %8s %8s\n", "model", "thr",
           "epoch ms", "cpu ms", "train ex/s", "eval ex/s", "one us", "pred ex/s", "topk ms",
           "rec ms", "GFLOP/ep");
    for (int i = 0; i < n_res; i++) {
        const result *r = &res[i];
        printf("%-10s %3u %9.2f %9.2f %10.3g %10.3g %7.1f %10.3g %8.3f %8.3f %8.3f\n",
               model_names[r->model], r->threads, 1e3 * r->train_s, 1e3 * r->train_cpu_s,
               r->train_eps, r->eval_eps, o->predict ? r->one_us : NAN, r->predict_eps,
               o->predict ? r->topk_ms : NAN, o->predict ? r->recommend_ms : NAN,
               r->flops_epoch / 1e9);
        if (r->sgemm_epoch_s > 0)
            printf("%-10s     sgemm at %.1f GFLOP/s on these shapes: %.2f ms/epoch; epoch / "
                   "that = %.2f (sgemm fraction %.0f%%)\n", "", r->sgemm_gflops,
                   1e3 * r->sgemm_epoch_s, r->train_s / r->sgemm_epoch_s,
                   100.0 * r->sgemm_epoch_s / r->train_s);
    }
}

/* ---- arguments ------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench [--data DIR | --synth N[,USERS,MOVIES]]\n"
            "             [--models dot,one_layer,enriched,deep,best] [--threads 1,2]\n"
            "             [--epochs 5] [--best-sweeps 350] [--repeats 5] [--batch 2048]\n"
            "             [--eval-batch 4096] [--eval-rows N] [--seed 42] [--lr 0.1]\n"
            "             [--json FILE|-] [--no-sgemm] [--no-predict]\n"
            "  --models defaults to all five on MovieLens, the first three on --synth data;\n"
            "  deep and best are the examples' models (MovieLens only: they read its side\n"
            "  features). best trains by\n"
            "  --best-sweeps Gibbs sweeps (the first 40, or half if fewer than 80, burn-in);\n"
            "  its epoch figures are per sweep.\n"
            "  --data defaults to $REC_DATA_DIR (MovieLens 100K, split 80/20 as the tutorial).\n"
            "  --synth N: N synthetic ratings (rec_dataset_synthesize); users and movies default\n"
            "  to MovieLens shapes (<=150k: 943/1682, <=1.5M: 6040/3706, <=15M: 69878/10677, else\n"
            "  162541/62423). Training uses all N ratings; evaluation and prediction a copy of\n"
            "  the first N/5 rows (at most 1M, or --eval-rows).\n");
}

static int parse_list(const char *s, uint32_t *out, int cap)
{
    int n = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < cap; t = strtok_r(NULL, ",", &save)) {
        long v = strtol(t, NULL, 10);
        if (v <= 0 || v > 256) {
            n = -1;
            break;
        }
        out[n++] = (uint32_t)v;
    }
    free(copy);
    return n;
}

static int parse(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->data_dir = getenv("REC_DATA_DIR");
    o->n_models = -1; /* all five on MovieLens, the presets on --synth data (below) */
    o->threads[0] = 1, o->threads[1] = 2, o->n_threads = 2;
    o->epochs = 5;
    o->repeats = 5;
    o->batch = 2048;
    o->eval_batch = 4096;
    o->seed = 42;
    o->lr = 0.1f;
    o->sgemm = o->predict = 1;
    o->best_sweeps = 350; /* best.c's default */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-sgemm")) {
            o->sgemm = 0;
            continue;
        }
        if (!strcmp(a, "--no-predict")) {
            o->predict = 0;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h") || !v) {
            usage();
            return 1;
        }
        i++;
        if (!strcmp(a, "--data")) {
            o->data_dir = v;
        } else if (!strcmp(a, "--synth")) {
            unsigned long long n = 0, u = 0, m = 0;
            int k = sscanf(v, "%llu,%llu,%llu", &n, &u, &m);
            if (k < 1 || n == 0 || (k == 2) || (k == 3 && (u == 0 || m == 0))) {
                fprintf(stderr, "bench: --synth N or N,USERS,MOVIES\n");
                return 1;
            }
            o->synth_n = (size_t)n;
            if (k == 3) {
                o->synth_users = (uint32_t)u;
                o->synth_movies = (uint32_t)m;
            } else if (n <= 150000) {
                o->synth_users = 943, o->synth_movies = 1682;
            } else if (n <= 1500000) {
                o->synth_users = 6040, o->synth_movies = 3706;
            } else if (n <= 15000000) {
                o->synth_users = 69878, o->synth_movies = 10677;
            } else {
                o->synth_users = 162541, o->synth_movies = 62423;
            }
        } else if (!strcmp(a, "--models")) {
            o->n_models = 0;
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int found = -1;
                for (int k = 0; k < N_MODELS; k++)
                    if (!strcmp(t, model_names[k]))
                        found = k;
                if (found < 0 || o->n_models == N_MODELS) {
                    fprintf(stderr, "bench: unknown or repeated model '%s' (dot, one_layer, "
                                    "enriched, deep, best)\n", t);
                    free(copy);
                    return 1;
                }
                for (int k = 0; k < o->n_models; k++)
                    if (o->models[k] == found)
                        found = -1;
                if (found < 0) {
                    fprintf(stderr, "bench: model '%s' named twice\n", t);
                    free(copy);
                    return 1;
                }
                o->models[o->n_models++] = found;
            }
            free(copy);
        } else if (!strcmp(a, "--threads")) {
            o->n_threads = parse_list(v, o->threads, 8);
            if (o->n_threads <= 0) {
                fprintf(stderr, "bench: --threads takes counts 1..256, comma-separated\n");
                return 1;
            }
        } else if (!strcmp(a, "--epochs")) {
            o->epochs = (unsigned)atoi(v);
        } else if (!strcmp(a, "--best-sweeps")) {
            long n = strtol(v, NULL, 10);
            if (n < 2 || n > MAX_EPOCHS) {
                fprintf(stderr, "bench: --best-sweeps 2..%d\n", MAX_EPOCHS);
                return 1;
            }
            o->best_sweeps = (unsigned)n;
        } else if (!strcmp(a, "--repeats")) {
            o->repeats = (unsigned)atoi(v);
        } else if (!strcmp(a, "--batch")) {
            o->batch = (size_t)atoll(v);
        } else if (!strcmp(a, "--eval-batch")) {
            o->eval_batch = (size_t)atoll(v);
        } else if (!strcmp(a, "--eval-rows")) {
            o->eval_rows = (size_t)atoll(v);
        } else if (!strcmp(a, "--seed")) {
            o->seed = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--lr")) {
            o->lr = (float)atof(v);
        } else if (!strcmp(a, "--json")) {
            o->json = v;
        } else {
            fprintf(stderr, "bench: unknown option %s\n", a);
            usage();
            return 1;
        }
    }
    if (o->epochs < 1 || o->epochs > MAX_RUNS * 8 || o->repeats < 1 || o->repeats > MAX_RUNS ||
        o->batch == 0 || o->eval_batch == 0) {
        fprintf(stderr, "bench: --epochs 1..%d, --repeats 1..%d, batches > 0\n", MAX_RUNS * 8,
                MAX_RUNS);
        return 1;
    }
    o->best_burn_in = o->best_sweeps >= 80 ? 40 : o->best_sweeps / 2;
    if (o->n_models < 0) {
        o->n_models = o->synth_n || !o->data_dir || !*o->data_dir ? 3 : N_MODELS;
        for (int i = 0; i < o->n_models; i++)
            o->models[i] = i;
    }
    if (!o->synth_n && (!o->data_dir || !*o->data_dir)) {
        /* `meson test --benchmark` without REC_DATA_DIR: MovieLens-100K-shaped synthetic data */
        fprintf(stderr, "bench: no --data and no REC_DATA_DIR: using --synth 100000\n");
        o->synth_n = 100000;
        o->synth_users = 943;
        o->synth_movies = 1682;
    }
    for (int i = 0; i < o->n_models; i++)
        if (o->synth_n && o->models[i] >= MODEL_DEEP) {
            fprintf(stderr, "bench: %s reads MovieLens's side features (age, gender, occupation, "
                            "release date), which --synth data does not have: use --data\n",
                    model_names[o->models[i]]);
            return 1;
        }
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
            printf("  %-40s %.1f\n", shape_names[i], mc.gemm_shapes[i]);
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
