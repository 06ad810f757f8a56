/* Shared driver of the tutorial experiments (dot, one_layer, enriched, compare): argument
 * parsing, data loading and splitting, progress printing and JSON output. Uses only <rec.h>. */
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
    const char *out_dir;    /* --out DIR (compare only), default "." */
    size_t batch, eval_batch;
    float lr;
    int quiet;              /* --quiet: only the closing result lines */
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
} experiment_result;

/* Parse flags; returns 0 on success, 1 after printing usage (or an error) to stderr. */
int experiment_parse(experiment_opts *o, int argc, char **argv, const char *prog, int compare);

/* Load and split; prints a clear message and returns non-zero on failure. */
int experiment_load(experiment_data *d, const experiment_opts *o);
void experiment_data_free(experiment_data *d);

/* Print what the tutorial shows about the data: counts, density, the first ten examples. */
void experiment_describe_data(const experiment_data *d);

/* Build, train and evaluate one preset; progress goes to stdout unless o->quiet. */
int experiment_run(experiment_result *r, rec_model **model_out, const experiment_data *d,
                   const experiment_opts *o, rec_preset preset);
void experiment_result_free(experiment_result *r);

/* Write {"model":..., "split":..., "seed":..., "epochs":[...], "final_val_rmse":...}. */
int experiment_write_json(const char *path, const char *model, const experiment_opts *o,
                          const experiment_result *r);

/* Print the librec error of a failed call and return 1. */
int experiment_fail(const char *what, int status);

/* The whole single-model program: parse, load, describe, train, predict two examples, JSON. */
int experiment_main(int argc, char **argv, const char *prog, rec_preset preset);

#endif
