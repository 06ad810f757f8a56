#define _POSIX_C_SOURCE 200809L
#include "experiment.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int experiment_fail(const char *what, int status)
{
    fprintf(stderr, "error: %s: %s (%s)\n", what, rec_last_error(), rec_status_str(status));
    return 1;
}

/* compare: 0 for tutorial (--model), 1 for compare (--out), 2 for a described model (deep,
 * best: the model flags). o holds the program's defaults (best trains 350 sweeps on 2
 * threads, the others 10 epochs on 1), shown in brackets. */
static void usage(const char *prog, int compare, const experiment_opts *o)
{
    fprintf(stderr,
            "usage: %s%s--data DIR [--epochs %u] [--seed 42] [--split random|u1|u2|u3|u4|u5]\n"
            "       [--json FILE]%s [--batch 2048] [--eval-batch 4096] [--lr 0.1] [--quiet]\n"
            "       [--threads %u] [--validate]%s\n"
            "  --data defaults to $REC_DATA_DIR (the unpacked ml-100k directory;\n"
            "  examples/get-movielens.sh downloads it).\n",
            prog, compare == 0 ? " --model dot|one_layer|enriched\n       " : " ", o->epochs,
            compare == 1 ? " [--out DIR]" : "", o->threads,
            compare == 2 ? "\n       [--dropout 0] [--l2 0] [--patience 0] [--dim K] [--burn-in N]"
                           "\n       [--features LIST] [--likelihood probit|gaussian]"
                         : "");
    fprintf(stderr, "  --validate trains on 90%% of the training set and reports on the other "
                    "10%%\n  (for choosing hyper-parameters without the test set).\n");
}

int experiment_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > max)
        return 0;
    *out = v;
    return 1;
}

static void defaults(experiment_opts *o)
{
    memset(o, 0, sizeof *o);
    o->data_dir = getenv("REC_DATA_DIR");
    o->epochs = 10;
    o->seed = 42;
    o->split = "random";
    o->out_dir = ".";
    o->batch = 2048;
    o->eval_batch = 4096;
    o->lr = 0.1f;
    o->threads = 1;
}

/* A number in [lo, hi) (hi excluded when open), or 0. */
static int parse_real(const char *s, double lo, double hi, int open, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo) || (open ? !(v < hi) : !(v <= hi)))
        return 0;
    *out = v;
    return 1;
}

static int parse_args(experiment_opts *o, int argc, char **argv, const char *prog, int compare)
{
    const experiment_opts dflt = *o; /* for usage(): the defaults, not what was parsed so far */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        double x;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(prog, compare, &dflt);
            return 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        } else if (!strcmp(a, "--validate")) {
            o->validate = 1;
            continue;
        } else if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", prog, a);
            usage(prog, compare, &dflt);
            return 1;
        }
        if (!strcmp(a, "--data")) {
            o->data_dir = v;
        } else if (!strcmp(a, "--epochs") && experiment_parse_uint(v, 100000, &n) && n > 0) {
            o->epochs = (unsigned)n;
        } else if (!strcmp(a, "--seed") && experiment_parse_uint(v, ~0ULL, &n)) {
            o->seed = n;
        } else if (!strcmp(a, "--split")) {
            o->split = v;
        } else if (!strcmp(a, "--json")) {
            o->json = v;
        } else if (compare == 0 && !strcmp(a, "--model")) {
            o->model = v;
        } else if (compare && !strcmp(a, "--out")) {
            o->out_dir = v;
        } else if (!strcmp(a, "--batch") && experiment_parse_uint(v, 1 << 24, &n) && n > 0) {
            o->batch = (size_t)n;
        } else if (!strcmp(a, "--eval-batch") && experiment_parse_uint(v, 1 << 24, &n) && n > 0) {
            o->eval_batch = (size_t)n;
        } else if (!strcmp(a, "--lr") && atof(v) > 0) {
            o->lr = (float)atof(v);
        } else if (!strcmp(a, "--threads") && experiment_parse_uint(v, 256, &n) && n > 0) {
            o->threads = (unsigned)n;
        } else if (compare == 2 && !strcmp(a, "--dropout") && parse_real(v, 0, 1, 1, &x)) {
            o->dropout = (float)x;
        } else if (compare == 2 && !strcmp(a, "--l2") && parse_real(v, 0, 1e6, 0, &x)) {
            o->l2 = (float)x;
        } else if (compare == 2 && !strcmp(a, "--patience") &&
                   experiment_parse_uint(v, 100000, &n)) {
            o->patience = (unsigned)n;
        } else if (compare == 2 && !strcmp(a, "--dim") && experiment_parse_uint(v, 256, &n) &&
                   n > 0) {
            o->dim = (unsigned)n;
        } else if (compare == 2 && !strcmp(a, "--burn-in") &&
                   experiment_parse_uint(v, 100000, &n)) {
            o->burn_in = (unsigned)n;
        } else if (compare == 2 && !strcmp(a, "--features")) {
            o->features = v;
        } else if (compare == 2 && !strcmp(a, "--likelihood") &&
                   (!strcmp(v, "gaussian") || !strcmp(v, "probit"))) {
            o->likelihood = v;
        } else {
            fprintf(stderr, "%s: bad option or value: %s %s\n", prog, a, v);
            usage(prog, compare, &dflt);
            return 1;
        }
        i++;
    }
    if (!o->data_dir || !*o->data_dir) {
        fprintf(stderr, "%s: no data directory: pass --data DIR or set REC_DATA_DIR\n", prog);
        usage(prog, compare, &dflt);
        return 1;
    }
    if (strcmp(o->split, "random") != 0 &&
        !(strlen(o->split) == 2 && o->split[0] == 'u' && o->split[1] >= '1' &&
          o->split[1] <= '5')) {
        fprintf(stderr, "%s: --split must be random or u1..u5, not '%s'\n", prog, o->split);
        return 1;
    }
    return 0;
}

int experiment_parse(experiment_opts *o, int argc, char **argv, const char *prog, int compare)
{
    defaults(o);
    return parse_args(o, argc, argv, prog, compare);
}

int experiment_load(experiment_data *d, const experiment_opts *o)
{
    memset(d, 0, sizeof *d);
    int rc = rec_dataset_load_movielens(&d->all, o->data_dir, NULL);
    if (rc)
        return experiment_fail("loading ratings", rc);
    if (!strcmp(o->split, "random")) {
        /* The tutorial: shuffle all 100,000 with a seed, first 80,000 train, last 20,000 test. */
        size_t n_train = rec_dataset_size(d->all) * 4 / 5;
        rc = rec_dataset_shuffle_split(&d->train, &d->test, d->all, n_train, o->seed);
        if (rc)
            return experiment_fail("splitting", rc);
    } else {
        char base[16], test[16];
        snprintf(base, sizeof base, "%s.base", o->split);
        snprintf(test, sizeof test, "%s.test", o->split);
        if ((rc = rec_dataset_load_movielens(&d->train, o->data_dir, base)))
            return experiment_fail("loading the training fold", rc);
        if ((rc = rec_dataset_load_movielens(&d->test, o->data_dir, test)))
            return experiment_fail("loading the test fold", rc);
    }
    if (o->validate) {
        /* hyper-parameter search: the test set is put away; a seeded 10% of the training set
         * plays its part */
        rec_dataset *train = d->train, *val = NULL, *fit = NULL;
        size_t n = rec_dataset_size(train);
        rc = rec_dataset_shuffle_split(&fit, &val, train, n - n / 10, o->seed ^ 0x5eedull);
        if (rc)
            return experiment_fail("carving the validation slice", rc);
        rec_dataset_free(train);
        rec_dataset_free(d->test);
        d->train = fit;
        d->test = val;
    }
    return 0;
}

void experiment_data_free(experiment_data *d)
{
    rec_dataset_free(d->all);
    rec_dataset_free(d->train);
    rec_dataset_free(d->test);
    memset(d, 0, sizeof *d);
}

static size_t n_unique(const rec_dataset *ds, const char *column)
{
    uint32_t col;
    size_t n = 0;
    if (rec_dataset_column(&col, ds, column) == REC_OK)
        rec_dataset_unique_strings(NULL, 0, &n, ds, col);
    return n;
}

void experiment_describe_data(const experiment_data *d)
{
    size_t users = n_unique(d->all, "user_id"), titles = n_unique(d->all, "movie_title");
    size_t n = rec_dataset_size(d->all);
    printf("%zu ratings, %zu users, %zu titles, density %.4f (ratings / (users x titles))\n", n,
           users, titles, (double)n / ((double)users * (double)titles));
    printf("first ten examples:\n");
    size_t ncol = rec_dataset_n_columns(d->all);
    for (size_t r = 0; r < 10 && r < n; r++) {
        printf("  {");
        for (uint32_t c = 0; c < ncol; c++) {
            const char *name = rec_dataset_column_name(d->all, c);
            printf("%s%s: ", c ? ", " : "", name);
            switch (rec_dataset_column_type(d->all, c)) {
            case REC_COLUMN_STRING:
                printf("\"%s\"", rec_dataset_string(d->all, c, r));
                break;
            case REC_COLUMN_NUMBER: {
                double v = rec_dataset_number(d->all, c, r);
                if (isnan(v))
                    printf("null");
                else
                    printf("%.10g", v);
                break;
            }
            case REC_COLUMN_STRING_LIST: {
                const char *items[32];
                size_t k = 0;
                rec_dataset_string_list(items, 32, &k, d->all, c, r);
                printf("[");
                for (size_t j = 0; j < k && j < 32; j++)
                    printf("%s\"%s\"", j ? ", " : "", items[j]);
                printf("]");
                break;
            }
            }
        }
        printf("}\n");
    }
}

/* Keras-like line: "Epoch 3/10 - 40/40 - 0.02s 0ms/step - loss: ... - val_rmse: ..." */
int experiment_on_epoch(uint32_t epoch, const double *s, size_t n_stats, void *payload)
{
    experiment_progress *p = payload;
    if (n_stats < 5 || p->r->n_epochs >= p->o->epochs)
        return 1;
    epoch_record *e = &p->r->epochs[p->r->n_epochs++];
    e->loss = s[REC_STAT_LOSS];
    e->rmse = s[REC_STAT_RMSE];
    e->val_rmse = s[REC_STAT_VAL_RMSE];
    e->val_mae = s[REC_STAT_VAL_MAE];
    e->seconds = s[REC_STAT_SECONDS];
    if (!p->o->quiet) {
        printf("%s %u/%u\n%zu/%zu [==============================] - %.3fs %.2fms/step - "
               "loss: %.4f - root_mean_squared_error: %.4f - val_root_mean_squared_error: %.4f\n",
               p->unit ? p->unit : "Epoch", epoch, p->o->epochs, p->steps, p->steps, e->seconds,
               1e3 * e->seconds / (double)(p->steps ? p->steps : 1), e->loss, e->rmse,
               e->val_rmse);
        fflush(stdout);
    }
    return 0;
}

double experiment_wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int experiment_track_best(uint32_t epoch, const double *stats, size_t n_stats, void *payload)
{
    experiment_best *t = payload;
    if (n_stats > REC_STAT_VAL_RMSE && (t->best_epoch == 0 || stats[REC_STAT_VAL_RMSE] < t->best)) {
        t->best = stats[REC_STAT_VAL_RMSE];
        t->best_epoch = epoch;
    }
    return experiment_on_epoch(epoch, stats, n_stats, &t->p);
}

int experiment_feature_wanted(const experiment_opts *o, const char *dflt, const char *name)
{
    const char *list = o->features ? o->features : dflt;
    if (!strcmp(list, "none"))
        return 0;
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

int experiment_check_features(const experiment_opts *o, const char *dflt, const char *prog,
                              const char *const *known, size_t n_known)
{
    const char *p = o->features ? o->features : dflt;
    if (!strcmp(p, "none"))
        return 0;
    while (*p) {
        size_t n = strcspn(p, ",");
        int ok = 0;
        for (size_t k = 0; k < n_known; k++)
            ok |= strlen(known[k]) == n && strncmp(known[k], p, n) == 0;
        if (!ok) {
            fprintf(stderr, "%s: unknown feature '%.*s' in --features\n", prog, (int)n, p);
            return 1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Evaluate the trained m on the test set and hand it to the caller; m is freed on failure. */
static int finish(rec_model *m, experiment_result *r, const experiment_data *d,
                  const experiment_opts *o, rec_model **model_out)
{
    int rc = rec_model_evaluate(m, d->test, o->eval_batch, &r->final_val_rmse,
                                &r->final_val_mae);
    if (rc) {
        rec_model_free(m);
        return experiment_fail("evaluating", rc);
    }
    *model_out = m;
    return 0;
}

/* The tutorial's training: Adagrad(o->lr), validated on the test set after every epoch (the
 * curves), then evaluated; m is freed on failure. */
static int fit_adagrad(rec_model *m, experiment_result *r, const experiment_data *d,
                       const experiment_opts *o, rec_model **model_out)
{
    rec_optimizer *opt = NULL;
    int rc = rec_optimizer_create_adagrad(&opt, o->lr);
    if (rc) {
        rec_model_free(m);
        return experiment_fail("creating the optimizer", rc);
    }
    size_t n_train = rec_dataset_size(d->train);
    experiment_progress p = {o, r, (n_train + o->batch - 1) / o->batch, "Epoch"};
    double t0 = experiment_wall();
    rc = rec_model_fit(m, opt, d->train, d->test, o->epochs, o->batch, o->eval_batch,
                       experiment_on_epoch, &p);
    r->train_seconds = experiment_wall() - t0;
    rec_optimizer_free(opt);
    if (rc) {
        rec_model_free(m);
        return experiment_fail("training", rc);
    }
    return finish(m, r, d, o, model_out);
}

rec_status experiment_create_preset(rec_model **out, rec_preset preset, uint64_t seed)
{
    static const char *const movielens[] = {"user", "user_id", "item", "movie_title", "label",
                                            EXPERIMENT_LABEL, NULL};
    static const char *const movielens_timed[] = {"user", "user_id", "item", "movie_title",
                                                  "label", EXPERIMENT_LABEL, "time",
                                                  "timestamp", NULL};
    return rec_model_create_preset_columns(
        out, preset, preset == REC_PRESET_ENRICHED ? movielens_timed : movielens, seed);
}

int experiment_run(experiment_result *r, rec_model **model_out, const experiment_data *d,
                   const experiment_opts *o, rec_preset preset)
{
    memset(r, 0, sizeof *r);
    *model_out = NULL;
    rec_model *m = NULL;
    int rc = experiment_create_preset(&m, preset, o->seed);
    if (rc)
        return experiment_fail("creating the model", rc);
    if ((rc = rec_model_set_threads(m, o->threads)) || (rc = rec_model_build(m, d->all))) {
        rec_model_free(m);
        return experiment_fail("building the model", rc);
    }
    r->epochs = calloc(o->epochs, sizeof *r->epochs);
    if (!r->epochs) {
        rec_model_free(m);
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    return fit_adagrad(m, r, d, o, model_out);
}

int experiment_run_model(experiment_result *r, rec_model **model_out, const experiment_data *d,
                         const experiment_opts *o, const experiment_model *spec)
{
    memset(r, 0, sizeof *r);
    *model_out = NULL;
    rec_model *m = NULL;
    if (spec->describe(&m, o))
        return 1;
    int rc = rec_model_set_threads(m, o->threads);
    if (rc || (rc = rec_model_build(m, spec->adapt_on_train ? d->train : d->all))) {
        rec_model_free(m);
        return experiment_fail("building the model", rc);
    }
    r->epochs = calloc(o->epochs, sizeof *r->epochs);
    if (!r->epochs) {
        rec_model_free(m);
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    if (!o->quiet) {
        size_t len = 0;
        char *buf = NULL;
        if (rec_model_summary(NULL, 0, &len, m) == REC_OK && (buf = malloc(len + 1)) &&
            rec_model_summary(buf, len + 1, &len, m) == REC_OK)
            fputs(buf, stdout);
        free(buf);
    }
    if (!spec->train)
        return fit_adagrad(m, r, d, o, model_out);
    if (spec->train(m, r, d, o)) {
        rec_model_free(m);
        return 1;
    }
    return finish(m, r, d, o, model_out);
}

void experiment_result_free(experiment_result *r)
{
    free(r->epochs);
    memset(r, 0, sizeof *r);
}

static void json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6f", v);
    else
        fprintf(f, "null");
}

int experiment_write_json(const char *path, const char *model, const experiment_opts *o,
                          const experiment_result *r)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fprintf(f, "{\"model\": \"%s\", \"split\": \"%s\", \"seed\": %llu, ", model, o->split,
            o->seed);
    if (o->validate) /* scored on a slice of the training set, not on the test set */
        fprintf(f, "\"validate\": true, ");
    fprintf(f, "\"threads\": %u, \"epochs\": [", o->threads);
    for (unsigned i = 0; i < r->n_epochs; i++) {
        const epoch_record *e = &r->epochs[i];
        fprintf(f, "%s\n  {\"epoch\": %u, \"loss\": ", i ? "," : "", i + 1);
        json_number(f, e->loss);
        fprintf(f, ", \"rmse\": ");
        json_number(f, e->rmse);
        fprintf(f, ", \"val_rmse\": ");
        json_number(f, e->val_rmse);
        fprintf(f, ", \"val_mae\": ");
        json_number(f, e->val_mae);
        fprintf(f, ", \"seconds\": ");
        json_number(f, e->seconds);
        fprintf(f, "}");
    }
    fprintf(f, "\n], \"final_val_rmse\": ");
    json_number(f, r->final_val_rmse);
    fprintf(f, ", \"final_val_mae\": ");
    json_number(f, r->final_val_mae);
    fprintf(f, ", \"train_seconds\": ");
    json_number(f, r->train_seconds);
    if (r->best_epoch)
        fprintf(f, ", \"best_epoch\": %u", r->best_epoch);
    fprintf(f, "}\n");
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

int experiment_main_model(int argc, char **argv, const experiment_model *spec)
{
    experiment_opts o;
    defaults(&o);
    if (spec->epochs)
        o.epochs = spec->epochs;
    if (spec->lr > 0)
        o.lr = spec->lr;
    if (spec->threads)
        o.threads = spec->threads;
    o.dim = spec->dim;
    o.burn_in = spec->burn_in;
    if (parse_args(&o, argc, argv, spec->name, 2))
        return 2;
    experiment_data d;
    if (experiment_load(&d, &o) || (spec->prepare && spec->prepare(&d, &o))) {
        experiment_data_free(&d);
        return 1;
    }
    experiment_result r;
    rec_model *m;
    int rc = experiment_run_model(&r, &m, &d, &o, spec);
    if (!rc) {
        printf("%s: split %s, seed %llu: final validation RMSE %.4f, MAE %.4f, training %.2f s "
               "on %u thread%s\n", spec->name, o.split, o.seed, r.final_val_rmse,
               r.final_val_mae, r.train_seconds, o.threads, o.threads == 1 ? "" : "s");
        printf("RMSE: %.4f.\n", r.final_val_rmse);
        if (o.json)
            rc = experiment_write_json(o.json, spec->name, &o, &r);
    }
    rec_model_free(m);
    experiment_result_free(&r);
    experiment_data_free(&d);
    return rc ? 1 : 0;
}
