/* samebits: a digest of everything librec computes, to check that a change keeps the bits.
 *
 * Trains a spread of models (the three presets, a deeper MLP with text and list features, the
 * biased dot product, the factorization machine, L2, dropout, early stopping, Gibbs
 * sampling), with Adagrad, Adam and SGD, on 1, 2 and 3 threads, through every training entry
 * point (rec_model_fit, rec_model_train_epoch, rec_model_compute_gradients and
 * _compute_gradients_features with rec_model_apply_gradients), and prints one line per run
 * with FNV-1a hashes of the per-epoch losses and metrics, the gradients, the predictions, the
 * saved file's bytes, the reloaded model's predictions and a top-k. Built on the public API
 * only, so the same source builds against two trees and `diff` of the two outputs shows which
 * runs a change altered:
 *
 *     cc -O2 tools/samebits.c -Iinclude -Lbuild/lib -Wl,-rpath,$PWD/build/lib -lrec -lm \
 *         -o /tmp/samebits && OPENBLAS_NUM_THREADS=1 /tmp/samebits > after.txt
 *
 * Results are reproducible on one machine (the FMA kernels and OpenBLAS pick their code by
 * CPU), so compare two builds on the same machine. Data are synthetic
 * (rec_dataset_synthesize), nothing is downloaded. */
#include <rec.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(call)                                                                            \
    do {                                                                                       \
        rec_status rc_ = (call);                                                               \
        if (rc_ != REC_OK) {                                                                   \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, rec_last_error());    \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}
#define FNV0 1469598103934665603ull

/* ---- data ---------------------------------------------------------------------------------- */

/* A string-list column "tags" derived from each row's title: two or three tokens. */
static void add_tags(rec_dataset *ds)
{
    uint32_t ct;
    CHECK(rec_dataset_column(&ct, ds, "movie_title"));
    size_t n = rec_dataset_size(ds);
    const char **v = malloc(3 * n * sizeof *v);
    size_t *off = malloc((n + 1) * sizeof *off);
    static const char *tok[] = {"a", "b", "c", "d", "e", "f", "g"};
    size_t k = 0;
    for (size_t r = 0; r < n; r++) {
        off[r] = k;
        const char *str = rec_dataset_string(ds, ct, r);
        uint64_t h = fnv(FNV0, str, strlen(str));
        v[k++] = tok[h % 7];
        v[k++] = tok[(h >> 8) % 7];
        if (h & 0x10000)
            v[k++] = tok[(h >> 20) % 7];
    }
    off[n] = k;
    CHECK(rec_dataset_add_string_lists(ds, "tags", v, off, n));
    free(v);
    free(off);
}

typedef struct data {
    rec_dataset *all, *train, *val;
} data;

static data make_data(size_t n, uint32_t users, uint32_t movies, uint64_t seed)
{
    data d;
    CHECK(rec_dataset_synthesize(&d.all, n, users, movies, seed));
    add_tags(d.all);
    CHECK(rec_dataset_shuffle_split(&d.train, &d.val, d.all, n - n / 6, seed + 1));
    return d;
}

static void free_data(data *d)
{
    rec_dataset_free(d->all);
    rec_dataset_free(d->train);
    rec_dataset_free(d->val);
}

/* ---- models -------------------------------------------------------------------------------- */

enum {
    M_DOT, M_ONE_LAYER, M_ENRICHED, M_DEEP, M_BIASED, M_FM, M_L2, M_DROPOUT, M_ES, M_COUNT
};
static const char *model_names[M_COUNT] = {"dot", "one_layer", "enriched", "deep", "biased_dot",
                                           "fm", "l2", "dropout", "early_stop"};

static rec_model *make_model(int kind, const rec_dataset *adapt, uint64_t seed)
{
    rec_model *m = NULL;
    switch (kind) {
    case M_DOT:
        CHECK(rec_model_create_preset(&m, REC_PRESET_DOT, seed));
        break;
    case M_ONE_LAYER:
    case M_L2:
        CHECK(rec_model_create_preset(&m, REC_PRESET_ONE_LAYER, seed));
        if (kind == M_L2) {
            CHECK(rec_model_feature_set_l2(m, 0, 1e-3f, 0.0f));
            CHECK(rec_model_feature_set_l2(m, 1, 2e-3f, 0.0f));
            CHECK(rec_model_layer_set_l2(m, 0, 1e-4f));
        }
        break;
    case M_ENRICHED:
    case M_ES:
        CHECK(rec_model_create_preset(&m, REC_PRESET_ENRICHED, seed));
        if (kind == M_ES)
            CHECK(rec_model_set_early_stopping(m, 1, 0.0));
        break;
    case M_DEEP:
    case M_DROPOUT: {
        uint32_t f;
        CHECK(rec_model_create(&m, seed));
        CHECK(rec_model_set_label(m, "user_rating"));
        CHECK(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER,
                                    16));
        CHECK(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1));
        CHECK(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_TEXT, REC_SIDE_ITEM, 8));
        CHECK(rec_model_add_feature(&f, m, "tags", REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 4));
        CHECK(rec_model_feature_set_pooling(m, f, REC_POOLING_SQRTN));
        CHECK(rec_model_set_interaction(m, REC_INTERACTION_MLP));
        CHECK(rec_model_add_layer(m, 24, REC_ACTIVATION_RELU));
        CHECK(rec_model_add_layer(m, 12, REC_ACTIVATION_TANH));
        CHECK(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
        if (kind == M_DROPOUT) {
            CHECK(rec_model_layer_set_dropout(m, 0, 0.25f));
            CHECK(rec_model_layer_set_dropout(m, 1, 0.1f));
        }
        break;
    }
    case M_BIASED:
    case M_FM:
        CHECK(rec_model_create(&m, seed));
        CHECK(rec_model_set_label(m, "user_rating"));
        CHECK(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 8));
        if (kind == M_FM) {
            CHECK(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER,
                                        1));
            CHECK(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_TEXT, REC_SIDE_ITEM,
                                        8));
            CHECK(rec_model_add_feature(NULL, m, "tags", REC_FEATURE_CATEGORICAL_LIST,
                                        REC_SIDE_ITEM, 8));
            CHECK(rec_model_feature_set_l2(m, 0, 1e-3f, 1e-3f));
        } else {
            CHECK(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                        REC_SIDE_ITEM, 8));
        }
        CHECK(rec_model_set_interaction(m, kind == M_FM ? REC_INTERACTION_FM
                                                        : REC_INTERACTION_BIASED_DOT));
        break;
    }
    CHECK(rec_model_build(m, adapt));
    return m;
}

static rec_optimizer *make_opt(int kind)
{
    rec_optimizer *o = NULL;
    if (kind == 0)
        CHECK(rec_optimizer_create_adagrad(&o, 0.1f));
    else if (kind == 1)
        CHECK(rec_optimizer_create_adam(&o, 0.01f));
    else
        CHECK(rec_optimizer_create_sgd(&o, 0.05f));
    return o;
}
static const char *opt_names[] = {"adagrad", "adam", "sgd"};

/* ---- digests ------------------------------------------------------------------------------- */

static int on_epoch(uint32_t epoch, const double *stats, size_t n, void *payload)
{
    uint64_t *h = payload;
    *h = fnv(*h, &epoch, sizeof epoch);
    for (size_t i = 0; i < n; i++)
        if (i != REC_STAT_SECONDS)
            *h = fnv(*h, &stats[i], sizeof stats[i]);
    return 0;
}

static uint64_t predictions(const rec_model *m, const rec_dataset *ds)
{
    size_t n = rec_dataset_size(ds);
    float *p = malloc(n * sizeof *p);
    CHECK(rec_model_predict(m, ds, p, n));
    uint64_t h = fnv(FNV0, p, n * sizeof *p);
    free(p);
    double rmse, mae;
    CHECK(rec_model_evaluate(m, ds, 700, &rmse, &mae));
    h = fnv(h, &rmse, sizeof rmse);
    return fnv(h, &mae, sizeof mae);
}

/* The accumulated gradient, dense part and every table's rows. */
static uint64_t gradients(const rec_model *m)
{
    size_t nd = rec_model_grad_dense_size(m);
    float *g = malloc((nd ? nd : 1) * sizeof *g);
    CHECK(rec_model_grad_dense_get(g, nd, m));
    uint64_t h = fnv(FNV0, g, nd * sizeof *g);
    free(g);
    for (size_t t = 0; t < rec_model_grad_n_tables(m); t++) {
        uint32_t rows, dim;
        size_t touched, got;
        CHECK(rec_model_grad_table_shape(&rows, &dim, &touched, m, t));
        uint32_t *r = malloc((touched ? touched : 1) * sizeof *r);
        float *v = malloc((touched ? touched : 1) * dim * sizeof *v);
        CHECK(rec_model_grad_table_get(r, v, touched, &got, m, t));
        h = fnv(h, r, got * sizeof *r);
        h = fnv(h, v, got * dim * sizeof *v);
        free(r);
        free(v);
    }
    return h;
}

static uint64_t file_hash(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint64_t h = FNV0;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        h = fnv(h, buf, n);
    fclose(f);
    return h;
}

/* Top-10 for the user of the first validation row over the first 300 validation rows. */
static uint64_t topk(const rec_model *m, const rec_dataset *val)
{
    size_t n = rec_dataset_size(val) < 300 ? rec_dataset_size(val) : 300;
    uint32_t *rows = malloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (uint32_t)i;
    rec_dataset *cand;
    CHECK(rec_dataset_subset(&cand, val, rows, n));
    uint32_t top[10];
    float score[10];
    size_t got;
    CHECK(rec_model_recommend(top, score, &got, 10, m, cand, val, 0, NULL));
    uint64_t h = fnv(FNV0, top, got * sizeof *top);
    h = fnv(h, score, got * sizeof *score);
    rec_dataset_free(cand);
    free(rows);
    return h;
}

static char tmp_path[64];

/* ---- runs ---------------------------------------------------------------------------------- */

/* rec_model_fit, then predictions, save / load / predict, one more epoch after loading, and a
 * top-k. */
static void run_fit(int kind, int opt, uint32_t T, const data *d)
{
    rec_model *m = make_model(kind, d->all, 11);
    rec_optimizer *o = make_opt(opt);
    CHECK(rec_model_set_threads(m, T));
    uint64_t fit = FNV0;
    CHECK(rec_model_fit(m, o, d->train, d->val, kind == M_ES ? 6 : 3, 512, 1000, on_epoch, &fit));
    uint64_t pred = predictions(m, d->val);
    CHECK(rec_model_save(m, tmp_path, 1));
    uint64_t file = file_hash(tmp_path);
    rec_model *l;
    CHECK(rec_model_load(&l, tmp_path));
    CHECK(rec_model_set_threads(l, T));
    uint64_t lpred = predictions(l, d->val);
    double loss, rmse;
    CHECK(rec_model_train_epoch(l, o, d->train, 300, &loss, &rmse));
    uint64_t resumed = fnv(fnv(FNV0, &loss, sizeof loss), &rmse, sizeof rmse);
    resumed = fnv(resumed, &(uint64_t){predictions(l, d->val)}, 8);
    printf("fit %-10s %-7s T=%u  fit=%016llx pred=%016llx file=%016llx load=%s resumed=%016llx "
           "topk=%016llx\n",
           model_names[kind], opt_names[opt], T, (unsigned long long)fit,
           (unsigned long long)pred, (unsigned long long)file, lpred == pred ? "same" : "DIFF",
           (unsigned long long)resumed, (unsigned long long)topk(m, d->val));
    rec_model_free(l);
    rec_model_free(m);
    rec_optimizer_free(o);
}

/* Gradients of three batches by rec_model_compute_gradients (the first two accumulated), then
 * by the prepared features, each applied. */
static void run_grad(int kind, uint32_t T, const data *d)
{
    rec_model *m = make_model(kind, d->all, 12);
    rec_optimizer *o = make_opt(0);
    CHECK(rec_model_set_threads(m, T));
    rec_features *f;
    CHECK(rec_features_create(&f, m, d->train));
    size_t n = rec_dataset_size(d->train);
    uint32_t *rows = malloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = (uint32_t)((i * 7919u) % n);
    uint64_t h = FNV0;
    double loss;
    CHECK(rec_model_compute_gradients(m, d->train, rows, 600, &loss));
    CHECK(rec_model_compute_gradients(m, d->train, rows + 600, 300, &loss));
    h = fnv(fnv(h, &loss, sizeof loss), &(uint64_t){gradients(m)}, 8);
    CHECK(rec_model_apply_gradients(m, o));
    for (int b = 0; b < 3; b++) {
        CHECK(rec_model_compute_gradients_features(m, f, rows + 900 + 700 * b, 700, &loss));
        h = fnv(fnv(h, &loss, sizeof loss), &(uint64_t){gradients(m)}, 8);
        CHECK(rec_model_apply_gradients(m, o));
    }
    printf("grad %-10s T=%u  grads=%016llx pred=%016llx\n", model_names[kind], T,
           (unsigned long long)h, (unsigned long long)predictions(m, d->val));
    free(rows);
    rec_features_free(f);
    rec_model_free(m);
    rec_optimizer_free(o);
}

/* Gibbs sampling of the FM, Gaussian and ordered probit, with a validation set. */
static void run_mcmc(rec_likelihood lik, uint32_t T, const data *d)
{
    rec_model *m;
    CHECK(rec_model_create(&m, 13));
    CHECK(rec_model_set_label(m, "user_rating"));
    CHECK(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 6));
    CHECK(rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1));
    CHECK(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, 6));
    CHECK(rec_model_add_feature(NULL, m, "tags", REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 6));
    CHECK(rec_model_set_interaction(m, REC_INTERACTION_FM));
    CHECK(rec_model_set_likelihood(m, lik));
    CHECK(rec_model_build(m, d->train));
    CHECK(rec_model_set_threads(m, T));
    uint64_t fit = FNV0;
    CHECK(rec_model_fit_mcmc(m, d->train, 24, 8, d->val, on_epoch, &fit));
    uint64_t pred = predictions(m, d->val);
    CHECK(rec_model_save(m, tmp_path, 0));
    uint64_t file = file_hash(tmp_path);
    rec_model *l;
    CHECK(rec_model_load(&l, tmp_path));
    uint64_t lpred = predictions(l, d->val);
    printf("mcmc %-8s T=%u  fit=%016llx pred=%016llx file=%016llx load=%s topk=%016llx\n",
           lik == REC_LIKELIHOOD_GAUSSIAN ? "gaussian" : "probit", T, (unsigned long long)fit,
           (unsigned long long)pred, (unsigned long long)file, lpred == pred ? "same" : "DIFF",
           (unsigned long long)topk(m, d->val));
    rec_model_free(l);
    rec_model_free(m);
}

int main(void)
{
    snprintf(tmp_path, sizeof tmp_path, "/tmp/samebits-%ld.rec", (long)getpid());
    data small = make_data(6000, 150, 240, 5);
    /* tables too large for one core's cache: the DOT model's owner path on T > 1 threads */
    data large = make_data(40000, 30000, 9000, 6);
    for (uint32_t T = 1; T <= 3; T++) {
        for (int k = 0; k < M_COUNT; k++)
            run_fit(k, 0, T, &small);
        for (int k = M_DOT; k <= M_ENRICHED; k++)
            for (int o = 1; o < 3; o++)
                run_fit(k, o, T, &small);
        run_fit(M_DOT, 0, T, &large);
        for (int k = 0; k < M_COUNT; k++)
            run_grad(k, T, &small);
        run_grad(M_DOT, T, &large);
    }
    for (uint32_t T = 1; T <= 2; T++) {
        run_mcmc(REC_LIKELIHOOD_GAUSSIAN, T, &small);
        run_mcmc(REC_LIKELIHOOD_ORDERED_PROBIT, T, &small);
    }
    remove(tmp_path);
    free_data(&small);
    free_data(&large);
    return 0;
}
