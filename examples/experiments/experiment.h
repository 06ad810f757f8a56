/* Shared driver of the experiments (tutorial, compare, deep, best, factorize; bench and
 * mpi_train use parts of it): argument parsing, data loading and splitting, progress printing
 * and JSON output. Uses only <rec.h>. The tutorial's presets run through experiment_run();
 * other models describe themselves in an experiment_model (experiment_main_model()). */
#ifndef REC_EXAMPLES_EXPERIMENT_H
#define REC_EXAMPLES_EXPERIMENT_H

#include <rec.h>
#include <stdio.h>

typedef struct experiment_opts {
    const char *data_dir;   /* --data, default $REC_DATA_DIR */
    unsigned epochs;        /* --epochs, default 10 */
    unsigned long long seed;/* --seed, default 42 */
    const char *split;      /* --split random|u1..u5, default random */
    const char *json;       /* --json FILE */
    const char *model;      /* --model (tutorial only): dot, one_layer or enriched; no default */
    const char *out_dir;    /* --out DIR (compare only), default "." */
    size_t batch, eval_batch;
    float lr;
    int quiet;              /* --quiet: only the closing result lines */
    unsigned threads;       /* --threads, default 1 (the model's; BLAS stays single-threaded) */
    /* deep: */
    float dropout;          /* --dropout P after each hidden layer, default 0 */
    float l2;               /* --l2 λ on every embedding and kernel, default 0 */
    unsigned patience;      /* --patience N: early stopping on a validation slice, 0 = off */
    /* best: */
    unsigned burn_in;       /* --burn-in N sweeps of Gibbs sampling kept out of the average */
    unsigned dim;           /* --dim K: the factorization's width */
    const char *features;   /* --features a,b,c: which of the model's optional features */
    const char *likelihood; /* --likelihood gaussian|probit (Gibbs sampling) */
    int validate;           /* --validate: test on a 10% slice of the training set instead */
} experiment_opts;

/* The train/test split and the dataset the preprocessing adapts on (all 100,000 ratings, as
 * the tutorial does: it sees no labels). */
typedef struct experiment_data {
    rec_dataset *all, *train, *test;
} experiment_data;

typedef struct epoch_record {
    double loss, rmse, val_rmse, val_mae, seconds;
} epoch_record;

typedef struct experiment_result {
    epoch_record *epochs;
    unsigned n_epochs;
    double final_val_rmse, final_val_mae;
    double train_seconds;   /* wall clock of training (rec_model_fit / _fit_mcmc), 0 if unknown */
    unsigned best_epoch;    /* early stopping: the epoch whose weights were kept, else 0 */
} experiment_result;

/* A model that is not a preset, as deep.c and best.c describe theirs. */
typedef struct experiment_model {
    const char *name;
    /* describe the model (unbuilt) in *out; print the error and return non-zero on failure */
    int (*describe)(rec_model **out, const experiment_opts *o);
    /* optional: add derived columns to d->train and d->test (built from d->train only) */
    int (*prepare)(experiment_data *d, const experiment_opts *o);
    /* optional: train (and fill r) instead of Adagrad + rec_model_fit */
    int (*train)(rec_model *m, experiment_result *r, const experiment_data *d,
                 const experiment_opts *o);
    int adapt_on_train;     /* build on d->train rather than on all 100,000 ratings */
    /* defaults of --epochs, --lr, --threads, --dim, --burn-in (0: the driver's) */
    unsigned epochs, threads, dim, burn_in;
    float lr;
} experiment_model;

/* A decimal count in 0..max into *out; 1 on success, 0 for anything else (empty, signed,
 * trailing characters, too large). */
int experiment_parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/* Parse flags; returns 0 on success, 1 after printing usage (or an error) to stderr.
 * compare: 0 for tutorial (takes --model), 1 for compare (takes --out). */
int experiment_parse(experiment_opts *o, int argc, char **argv, const char *prog, int compare);

/* Load and split; prints a clear message and returns non-zero on failure. */
int experiment_load(experiment_data *d, const experiment_opts *o);
void experiment_data_free(experiment_data *d);

/* Print what the tutorial shows about the data: counts, density, the first ten examples. */
void experiment_describe_data(const experiment_data *d);

/* The column the experiments predict: the MovieLens loader's rating. */
#define EXPERIMENT_LABEL "user_rating"

/* The tutorial's model `preset` (unbuilt) over the MovieLens loader's columns, named by role
 * (rec_model_create_preset_columns). */
rec_status experiment_create_preset(rec_model **out, rec_preset preset, uint64_t seed);

/* Build, train and evaluate one preset; progress goes to stdout unless o->quiet. */
int experiment_run(experiment_result *r, rec_model **model_out, const experiment_data *d,
                   const experiment_opts *o, rec_preset preset);

/* The same for a described model. */
int experiment_run_model(experiment_result *r, rec_model **model_out, const experiment_data *d,
                         const experiment_opts *o, const experiment_model *spec);

/* The epoch callback that fills r and prints Keras-like progress (payload: an
 * experiment_progress). */
typedef struct experiment_progress {
    const experiment_opts *o;
    experiment_result *r;
    size_t steps;
    const char *unit;       /* "Epoch" or "Sweep" */
} experiment_progress;
int experiment_on_epoch(uint32_t epoch, const double *stats, size_t n_stats, void *payload);

/* experiment_on_epoch that also remembers the epoch with the lowest validation RMSE (the one
 * early stopping keeps; payload: an experiment_best). */
typedef struct experiment_best {
    experiment_progress p;
    double best;
    unsigned best_epoch;    /* 0 until an epoch reported a validation RMSE */
} experiment_best;
int experiment_track_best(uint32_t epoch, const double *stats, size_t n_stats, void *payload);

/* Monotonic wall-clock seconds. */
double experiment_wall(void);

/* --features: whether `name` is in the comma-separated list (the program's default when
 * o->features is NULL; "none" names nothing), and a check that every name is one of `known`
 * (prints "PROG: unknown feature 'x' in --features" and returns 1 otherwise). */
int experiment_feature_wanted(const experiment_opts *o, const char *dflt, const char *name);
int experiment_check_features(const experiment_opts *o, const char *dflt, const char *prog,
                              const char *const *known, size_t n_known);
void experiment_result_free(experiment_result *r);

/* Write {"model":..., "split":..., "seed":..., "epochs":[...], "final_val_rmse":...,
 * "final_val_mae":..., "train_seconds":...}. */
int experiment_write_json(const char *path, const char *model, const experiment_opts *o,
                          const experiment_result *r);

/* Print the librec error of a failed call and return 1. */
int experiment_fail(const char *what, int status);

/* The whole single-model program for a described model: parse, load, train, JSON. */
int experiment_main_model(int argc, char **argv, const experiment_model *spec);

#endif
