/**
 * @file rec/features.h
 * @brief Prepared features: a model's inputs for every row of a dataset, computed once.
 *
 * rec_model_compute_gradients() turns the batch's raw values into the model's inputs on every
 * call (vocabulary lookups, tokenization, discretization, normalization). A training loop that
 * drives the gradients itself (data-parallel training, librec_mpi) can do that work once per
 * dataset with rec_features_create() and then index the prepared rows batch after batch.
 *
 * A handle is tied to the model it was made for: it may be used only with that model, which
 * must outlive it. The dataset is not retained. A handle is only read after creation.
 * @defgroup features Prepared features
 * @{
 */
#ifndef REC_FEATURES_H
#define REC_FEATURES_H

#include "rec/common.h"
#include "rec/dataset.h"
#include "rec/model.h"

REC_BEGIN_DECLS

/** Opaque handle: a built model's inputs (and labels) for every row of a dataset. @since 1.0 */
typedef struct rec_features rec_features;

/**
 * Compute a model's inputs for every row of ds once, and its labels when ds has the model's
 * label column (a row whose label is missing or not finite is refused only when a batch uses
 * it, as by rec_model_compute_gradients()). Everything needed is copied: ds may be changed or
 * freed afterwards.
 * @param[out] out the handle, NULL on failure. Ownership: caller, rec_features_free().
 * @param model a built model; the handle may be used only with this model, which must
 *        outlive the handle
 * @param ds dataset with every feature column of the model (borrowed for the call)
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, a column of the wrong type, more than 2^32 − 1 rows
 * @retval REC_ESTATE the model is not built
 * @retval REC_ENOTFOUND a feature column is missing
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_features_create(rec_features **out, const rec_model *model,
                                       const rec_dataset *ds);

/**
 * Free a handle made by rec_features_create().
 * @param f the handle; NULL is allowed (no-op)
 * @since 1.0
 */
REC_API void rec_features_free(rec_features *f);

/**
 * Number of prepared rows.
 * @param f the handle (may be NULL)
 * @retval rows the row count of the dataset it was made from (0 for NULL)
 * @since 1.0
 */
REC_API size_t rec_features_size(const rec_features *f);

/**
 * rec_model_compute_gradients() on prepared rows: the same gradients and loss, bit for bit, as
 * rec_model_compute_gradients(model, ds, rows, n, loss_out) on the dataset f was made from,
 * without recomputing the inputs. Accumulates into the model's gradient buffers without
 * changing any weight; pair with rec_model_apply_gradients().
 * @param model the built model f was made for; its gradient buffers are added to
 * @param f prepared features with labels
 * @param rows n indices of prepared rows making up the batch (repeats allowed), each
 *        < rec_features_size(f)
 * @param n number of rows in the batch, > 0
 * @param[out] loss_out the batch's mean squared error (may be NULL)
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, n = 0, f made for another model, f has no labels, a row
 *         out of range (its index in rows named)
 * @retval REC_ESTATE the model is not built, or has no label column (rec_model_set_label())
 * @retval REC_ENUMERIC a label of the batch or the loss is not finite
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_compute_gradients_features(rec_model *model, const rec_features *f,
                                                        const uint32_t *rows, size_t n,
                                                        double *loss_out);

REC_END_DECLS

/** @} */
#endif
