/* The benchmark's shared declarations (bench.c drives; bench_util.c measures the machine;
 * bench_output.c prints the table and JSON; bench_args.c parses the options). */
#ifndef REC_EXAMPLES_BENCH_H
#define REC_EXAMPLES_BENCH_H

#include <rec.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MAX_RUNS 16
#define MAX_EPOCHS 1024 /* epochs of a gradient model, sweeps of best */
#define TOPK 10

/* The presets (their rec_preset values), then deep.c's and best.c's models (models.c). */
static const char *const model_names[] = {"dot", "one_layer", "enriched", "deep", "best"};
enum { MODEL_DEEP = 3, MODEL_BEST = 4, N_MODELS = 5 };

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

/* The queries of one model: the presets read three columns and take the small datasets of
 * make_queries; deep and best read side features, so their one-row query is a whole test row
 * and their candidates one whole row per movie (make_full_queries). */
typedef struct queries {
    rec_dataset *one, *topk, *cands; /* topk: NULL when only rec_model_recommend is timed */
    size_t n_titles;
} queries;

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

/* What OpenBLAS was found to be, at run time. */
typedef struct blas_info {
    char core[64], config[160];
    int threads;      /* effective OpenBLAS threads, -1 if unknown */
    int forced;       /* this program set it to 1 */
    void (*set_threads)(int);
} blas_info;

typedef struct machine {
    char cpu[128], kernel[300], date[64];
    long cores;
    double gemm_square_1t[2], gemm_square_2t; /* 1024³, 2048³ on 1 thread; 2048³ on 2 */
    double gemm_shapes[6];                     /* see shape_names */
    blas_info blas;
} machine;

/* The six sgemm shapes the bench times on every run (the presets' products, batch 2048). */
extern const char *const bench_shape_names[6];

/* bench_util.c */
double now(void);
double cpu_now(void);
double median(double *v, size_t n);     /* sorts v */
int fail(const char *what, int status); /* prints librec's message; returns 1 */
long peak_rss_kb(void);
void blas_setup(blas_info *b);
double sgemm_rate(int ta, int tb, int m, int n, int k, int reps);
void cpu_model(char *buf, size_t cap);
double flops_per_example(const rec_model *m);
double sgemm_batch_seconds(const rec_model *m, size_t B, int reps, double *flops_out);

/* bench_output.c */
void write_json(FILE *f, const machine *mc, const opts *o, const data *d, const result *res,
                int n_res, const char *command);
void print_table(const result *res, int n_res, const opts *o);

/* bench_args.c: 0, or 1 after printing usage or an error */
int parse(opts *o, int argc, char **argv);

#endif
