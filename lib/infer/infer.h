/*
 * lib/infer: the const calls on a built model — evaluation, prediction and recommendation.
 * Above lib/model and lib/mcmc. Never installed.
 */
#ifndef REC_LIB_INFER_H
#define REC_LIB_INFER_H

#include "mcmc/mcmc.h"
#include "model/model.h"

/* RMSE and MAE of the model's predictions on a labelled feature set, on up to pool's threads
 * (NULL: the model's own setting, with a pool of its own): rec_model_evaluate on prepared
 * rows, which rec_model_fit's validation shares. REC_ENUMERIC when a prediction is not finite. */
REC_HIDDEN rec_status rec__infer_evaluate(const rec_model *m, rec__pool *pool,
                                          const rec__featset *fs, size_t batch, double *rmse_out,
                                          double *mae_out, const char *fn);

#endif
