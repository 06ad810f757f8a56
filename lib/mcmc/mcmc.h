/*
 * lib/mcmc: Gibbs sampling of factorization machines (rec_model_fit_mcmc) and the posterior-mean
 * predictions of the samples it keeps. Above lib/model. Never installed.
 */
#ifndef REC_LIB_MCMC_H
#define REC_LIB_MCMC_H

#include "model/model.h"

/* Posterior-mean predictions of every row of fs (into pred when not NULL) and their squared
 * and absolute errors against its labels (when fs has them). */
REC_HIDDEN rec_status rec__mcmc_forward(const rec_model *m, const rec__featset *fs, float *pred,
                                        double *sse, double *sae, const char *fn);
/* Floats of one stored sample (the FM's weights, flattened). */
REC_HIDDEN size_t rec__mcmc_sample_len(const rec_model *m);

#endif
