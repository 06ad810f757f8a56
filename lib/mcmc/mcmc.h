/*
 * lib/mcmc: Gibbs sampling of factorization machines (rec_model_fit_mcmc) and the posterior-mean
 * predictions of the samples it keeps. Above lib/model. Never installed.
 */
#ifndef REC_LIB_MCMC_H
#define REC_LIB_MCMC_H

#include "model/model.h"

/* The data, parameters and blocks below are explained at the top of sampler.c. */

typedef struct rec__mcmc_feat {
    uint32_t *grp;     /* n: group of each row */
    uint32_t n_groups;
    size_t *goff;      /* n_groups + 1: CSR of the groups' columns */
    uint32_t *gcol;
    float *gx;
    uint32_t n_cols;   /* the feature's columns: its table's rows (1 for NUMERIC and the bias) */
    /* training only: each column's groups (CSC) */
    size_t *coff;      /* n_cols + 1 */
    uint32_t *cgrp;
    float *cx;
} rec__mcmc_feat;

typedef struct rec__mcmc_data {
    size_t n;
    size_t nf;         /* model features + 1 (the global bias, last) */
    rec__mcmc_feat *f;
    float *y;          /* labels, or NULL */
} rec__mcmc_data;

/* The FM's parameters as plain arrays: per feature (the bias last) its linear weights (n_cols)
 * and its factors (n_cols × K, row-major; none for the bias). */
typedef struct rec__mcmc_params {
    size_t nf;
    uint32_t K;
    float **lin;
    float **v;
    /* ordered probit: C classes of values cls, cutpoints cut[0..C−2] = γ_1..γ_{C−1} */
    uint32_t C;
    const float *cls;
    const float *cut;
} rec__mcmc_params;

/* A block is a set of features whose groups are all functions of one feature's groups, the
 * block's key: every feature of a user (the id, the history, gender, age...) is a function of
 * the user id, every feature of a movie a function of the movie id. A block's sums over rows
 * collapse to sums over its keys (see the sampler below). Each feature is in exactly one
 * block; a feature that nothing larger determines is the key of its own block. */
typedef struct rec__mcmc_block {
    size_t key;        /* feature index */
    uint32_t n_keys;   /* the key's groups */
    size_t *feats;     /* members, the key included */
    size_t n_feats;
    uint32_t **gmap;   /* per member: key group → member group */
    int factors;       /* a member has factors (all but the bias) */
} rec__mcmc_block;

typedef struct rec__mcmc_blocks {
    rec__mcmc_block *b;
    size_t n;
    size_t *of;        /* per feature: its block */
} rec__mcmc_blocks;

/* Scratch of predictions over one rec__mcmc_data. A categorical feature's groups are its whole
 * table's rows, but a prediction needs only the groups its rows use: per sample, the sums run
 * over those alone (one user against every movie: 1 user group of 943; one row: 1 group of
 * each feature, where summing every group would take milliseconds with 20 samples). */
typedef struct rec__mcmc_predictor {
    rec__mcmc_blocks bs;
    double **gs;        /* per feature */
    double **bsum;      /* per block */
    uint32_t **used;    /* per feature: the groups d's rows use, ascending */
    uint32_t *n_used;
    uint32_t T;         /* threads per sample (rec__mcmc_predictor_init) */
    uint32_t **split;   /* T > 1, per feature: thread t sums used[split[t] .. split[t + 1]) */
    rec__phi_table phi; /* the ordered probit's Φ */
} rec__mcmc_predictor;

/* ---- groups.c ------------------------------------------------------------------------------ */

/* The groups of every feature over the rows of fs (train: also each column's groups). */
REC_HIDDEN rec_status rec__mcmc_data_build(rec__mcmc_data *d, const rec_model *m,
                                           const rec__featset *fs, int train, const char *fn);
REC_HIDDEN void rec__mcmc_data_release(rec__mcmc_data *d);
/* The factorization's width K (every embedded feature's). */
REC_HIDDEN uint32_t rec__mcmc_k(const rec_model *m);
/* Pointers into the model's tables. */
REC_HIDDEN rec_status rec__mcmc_params_of_model(rec__mcmc_params *p, rec_model *m,
                                                const char *fn);
/* Floats of the weights in one stored sample. */
REC_HIDDEN size_t rec__mcmc_weights_len(const rec_model *m);
/* Pointers into a stored sample s (C classes of values cls for an ordered probit, else 0). */
REC_HIDDEN void rec__mcmc_params_of_sample(rec__mcmc_params *p, const rec_model *m, float *s,
                                           uint32_t C, const float *cls);
/* The parameters p point at, copied into sample s. */
REC_HIDDEN void rec__mcmc_params_copy_out(const rec__mcmc_params *p, const rec_model *m,
                                          float *s);
/* The blocks of d's features (features that are functions of one key). */
REC_HIDDEN rec_status rec__mcmc_blocks_build(rec__mcmc_blocks *bs, const rec__mcmc_data *d,
                                             const char *fn);
REC_HIDDEN void rec__mcmc_blocks_release(rec__mcmc_blocks *bs);

/* ---- predict.c ----------------------------------------------------------------------------- */

/* A predictor for the rows of d, on up to max_threads threads. */
REC_HIDDEN rec_status rec__mcmc_predictor_init(rec__mcmc_predictor *p, const rec__mcmc_data *d,
                                               uint32_t K, uint32_t max_threads,
                                               const char *fn);
REC_HIDDEN void rec__mcmc_predictor_release(rec__mcmc_predictor *p, size_t nf);
/* One set of parameters' predictions of d's rows, clipped to [lo, hi]: added to acc, and
 * written to out when not NULL. */
REC_HIDDEN void rec__mcmc_predict_params(rec__mcmc_predictor *p, const rec__mcmc_data *d,
                                         const rec__mcmc_params *par, rec__pool *pool, float lo,
                                         float hi, double *acc, float *out);
/* The threads a pass over n rows is worth. */
REC_HIDDEN uint32_t rec__mcmc_threads(const rec_model *m, size_t n);

/* Posterior-mean predictions of every row of fs (into pred when not NULL) and their squared
 * and absolute errors against its labels (when fs has them). */
REC_HIDDEN rec_status rec__mcmc_forward(const rec_model *m, const rec__featset *fs, float *pred,
                                        double *sse, double *sae, const char *fn);
/* Floats of one stored sample (the FM's weights, flattened). */
REC_HIDDEN size_t rec__mcmc_sample_len(const rec_model *m);

#endif
