/*
 * lib/infer: the const calls on a built model — evaluation, prediction and recommendation —
 * and serving from a saved model (rec/serve.h): the item catalogue, the seen items, clipping,
 * the counts of unknown inputs. Above lib/model and lib/mcmc. Never installed.
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

/* recommend.c: the k best of pred[0..n) that skip (may be NULL) does not flag, best first:
 * rows_out and scores_out (may be NULL) get min(k, eligible) entries and *n_out their count;
 * descending scores, ties to the lower row. REC_ENOMEM "fn: out of memory". */
REC_HIDDEN rec_status rec__infer_top_k(uint32_t *rows_out, float *scores_out, size_t *n_out,
                                       size_t k, const float *pred, size_t n,
                                       const uint8_t *skip, const char *fn);

/* clip.c: with rec_model_set_clip on, p[0..n) clamped into the label range (NaN stays NaN). */
REC_HIDDEN void rec__infer_clip(const rec_model *m, float *p, size_t n);

/* seen.c: old's lists, of rows of catalogue `from`, as rows of catalogue `to` (items not in it
 * dropped), into out (its own copy, the same users). REC_ENOMEM leaves out empty. */
REC_HIDDEN rec_status rec__infer_seen_remap(rec__seen *out, const rec__seen *old,
                                            const rec__catalog *from, const rec__catalog *to,
                                            const char *fn);

#endif
