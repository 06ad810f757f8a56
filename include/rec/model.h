/**
 * @file rec/model.h
 * @defgroup model Ranking models
 * A ranking model predicts a rating from a row of raw features. It is described, not coded:
 * a list of input features, each read from a dataset column, preprocessed and embedded, placed
 * on the user side or the item side; and an interaction joining the two sides:
 * - ::REC_INTERACTION_DOT: ŷ = ⟨user side, item side⟩ (the two sides must have equal width);
 * - ::REC_INTERACTION_MLP: ŷ = dense stack over concat(user side, item side), the layers added
 *   with rec_model_add_layer(), the last of width 1.
 * Inside a side, features are concatenated in the order they were added; the user side comes
 * first. The tutorial's three models are three descriptions (rec_model_create_preset()).
 *
 * Life cycle: create → add features / layers → rec_model_build() on the adapt dataset (this
 * fits vocabularies, buckets, normalization and text vocabularies, and allocates the seeded
 * weights) → train (rec_model_fit(), or rec_model_train_epoch(), or the two halves
 * rec_model_compute_gradients() + rec_model_apply_gradients()) → rec_model_evaluate() /
 * rec_model_predict(). Training minimises the batch-mean squared error.
 * @{
 */
#ifndef REC_MODEL_H
#define REC_MODEL_H

#include "common.h"
#include "dense.h"

REC_BEGIN_DECLS

/** Which side of the interaction a feature belongs to; values fixed. */
typedef enum rec_side {
    REC_SIDE_USER = 0, /**< query side: user and context features */
    REC_SIDE_ITEM = 1  /**< candidate side: movie features */
} rec_side;

/** Feature kinds; values fixed. */
typedef enum rec_feature_kind {
    /** string column → StringLookup (sorted unique adapt values, unknown → 0) → Embedding(n+1, dim) */
    REC_FEATURE_CATEGORICAL = 0,
    /** number column → Discretization (default: 1000 boundaries evenly spaced from the adapt
     * minimum to maximum) → Embedding(boundaries + 1, dim) */
    REC_FEATURE_BUCKETIZED = 1,
    /** number column → Normalization adapted on the adapt rows → 1 value (dim must be 1;
     * a missing value (NaN) becomes 0, the mean) */
    REC_FEATURE_NUMERIC = 2,
    /** string column → TextVectorization (max_tokens default 10000, adapted on the distinct
     * strings) → Embedding(max_tokens, dim, mask_zero) → mean over the tokens */
    REC_FEATURE_TEXT = 3,
    /** string-list column → StringLookup → mean of the embeddings of the row's strings */
    REC_FEATURE_CATEGORICAL_LIST = 4
} rec_feature_kind;

/** Interaction between the two sides; values fixed. */
typedef enum rec_interaction {
    REC_INTERACTION_DOT = 0, /**< dot product of the two sides */
    REC_INTERACTION_MLP = 1  /**< dense layers over the concatenated sides */
} rec_interaction;

/** The tutorial's models; values fixed. */
typedef enum rec_preset {
    REC_PRESET_DOT = 0,       /**< user_id(32) · movie_title(32) */
    REC_PRESET_ONE_LAYER = 1, /**< concat(user_id 32, movie_title 32) → Dense(64, relu) → Dense(1) */
    /** concat(user_id 32, timestamp buckets 32, normalized timestamp 1, movie_title 32,
     * title text 32) → Dense(64, relu) → Dense(1) */
    REC_PRESET_ENRICHED = 2
} rec_preset;

/** Indices into the stats array passed to a ::rec_epoch_fn; only ever appended to. */
typedef enum rec_stat {
    REC_STAT_LOSS = 0,     /**< batch-size-weighted mean of the epoch's batch losses (MSE) */
    REC_STAT_RMSE = 1,     /**< running training RMSE over the epoch, as Keras prints it */
    REC_STAT_VAL_RMSE = 2, /**< RMSE on the validation set after the epoch (NaN without one) */
    REC_STAT_VAL_MAE = 3,  /**< MAE on the validation set (NaN without one) */
    REC_STAT_SECONDS = 4,  /**< wall-clock seconds of the epoch's training part */
    REC_STAT_COUNT = 5     /**< number of stats in this version */
} rec_stat;

/**
 * Called by rec_model_fit() after each epoch (1-based) with n_stats values indexed by
 * ::rec_stat (n_stats may grow in later versions: check it). Return 0 to go on, non-zero to
 * stop training early (rec_model_fit() then returns REC_OK).
 */
typedef int (*rec_epoch_fn)(uint32_t epoch, const double *stats, size_t n_stats, void *payload);

/**
 * Create an empty model description.
 * @param[out] out new model. Ownership: caller, rec_model_free().
 * @param seed drives every random choice: weight initialisation and batch order
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_create(rec_model **out, uint64_t seed);

/**
 * Create one of the tutorial's models (unbuilt) reading the MovieLens column names
 * (user_id, movie_title, timestamp, label user_rating).
 * @retval REC_OK
 * @retval REC_EINVAL unknown preset
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_create_preset(rec_model **out, rec_preset preset, uint64_t seed);

/** Free a model and everything it owns; NULL is accepted. @since 0.1 */
REC_API void rec_model_free(rec_model *model);

/**
 * Add an input feature.
 * @param[out] id_out the feature's index (0, 1, ...), may be NULL
 * @param column dataset column it reads @param dim embedding width (1 for NUMERIC)
 * @retval REC_OK
 * @retval REC_EINVAL bad kind/side/dim, NULL column
 * @retval REC_ESTATE model
 * already built
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_add_feature(uint32_t *id_out, rec_model *model, const char *column,
                                         rec_feature_kind kind, rec_side side, uint32_t dim);

/**
 * BUCKETIZED: use n evenly spaced boundaries between the adapt minimum and maximum (default
 * 1000).
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 0.1
 */
REC_API rec_status rec_model_feature_set_bucket_count(rec_model *model, uint32_t feature,
                                                      uint32_t n_boundaries);

/**
 * BUCKETIZED: use these boundaries (finite, non-decreasing) instead of adapting them.
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 0.1
 */
REC_API rec_status rec_model_feature_set_boundaries(rec_model *model, uint32_t feature,
                                                    const double *boundaries, size_t n);

/** TEXT: vocabulary and embedding size (≥ 2, default 10000). @retval REC_OK @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 0.1
  */
REC_API rec_status rec_model_feature_set_max_tokens(rec_model *model, uint32_t feature,
                                                    uint32_t max_tokens);

/** Choose the interaction (default DOT). @retval REC_OK @retval REC_EINVAL @retval REC_ESTATE
 * @since 0.1 */
REC_API rec_status rec_model_set_interaction(rec_model *model, rec_interaction interaction);

/**
 * Append a dense layer to the MLP interaction (Glorot-uniform kernel, zero bias).
 * @retval REC_OK
 * @retval REC_EINVAL units 0 or unknown activation
 * @retval REC_ESTATE
 * @since 0.1
 */
REC_API rec_status rec_model_add_layer(rec_model *model, uint32_t units,
                                       rec_activation activation);

/** Label column (number; default "user_rating"). @retval REC_OK @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 0.1
  */
REC_API rec_status rec_model_set_label(rec_model *model, const char *column);

/**
 * Adapt the preprocessing on a dataset and allocate the weights (seeded). The tutorial
 * adapts on all 100,000 ratings. Checks the description: at least one feature per side, DOT
 * sides of equal width, MLP ending in one unit, columns present with the right type.
 * @retval REC_OK
 * @retval REC_ESTATE already built
 * @retval REC_ENOTFOUND a column is missing
 * @retval REC_EINVAL inconsistent description or wrong column type
 * @retval REC_ENOMEM
 * (model left unbuilt, usable again)
 * @since 0.1
 */
REC_API rec_status rec_model_build(rec_model *model, const rec_dataset *adapt);

/** Whether rec_model_build() succeeded. @since 0.1 */
REC_API int rec_model_is_built(const rec_model *model);

/** Number of features. @since 0.1 */
REC_API size_t rec_model_n_features(const rec_model *model);

/** Number of trainable parameters (0 before build). @since 0.1 */
REC_API size_t rec_model_n_params(const rec_model *model);

/**
 * Borrowed embedding table of a feature (NULL for NUMERIC, before build, or out of range).
 * @since 0.1
 */
REC_API const rec_embedding *rec_model_feature_embedding(const rec_model *model,
                                                         uint32_t feature);

/** Borrowed vocabulary of a CATEGORICAL or CATEGORICAL_LIST feature, else NULL. @since 0.1 */
REC_API const rec_vocab *rec_model_feature_vocab(const rec_model *model, uint32_t feature);

/** Number of dense layers. @since 0.1 */
REC_API size_t rec_model_n_layers(const rec_model *model);

/** Borrowed dense layer i (NULL before build or out of range). @since 0.1 */
REC_API const rec_dense *rec_model_layer(const rec_model *model, size_t i);

/**
 * Compute the gradients of the batch-mean squared error over the given rows and accumulate
 * them in the model's parameters (dense buffers for layers, sparse rows for embeddings), without
 * changing any weight. Pair with rec_model_apply_gradients().
 * @param[out] loss_out the batch's mean squared error (may be NULL)
 * @retval REC_OK
 * @retval REC_ESTATE not built
 * @retval REC_EINVAL bad row, missing column
 * @retval REC_ENUMERIC the loss is not finite
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_compute_gradients(rec_model *model, const rec_dataset *ds,
                                               const uint32_t *rows, size_t n, double *loss_out);

/**
 * Apply the accumulated gradients with an optimizer and clear them.
 * @retval REC_OK
 * @retval REC_ESTATE
 * @retval REC_ENOMEM
 * @retval REC_ENUMERIC a weight became
 * non-finite (training diverged)
 * @since 0.1
 */
REC_API rec_status rec_model_apply_gradients(rec_model *model, rec_optimizer *opt);

/**
 * One epoch over ds in batches of batch_size, in an order reshuffled every call from the
 * model's seed.
 * @param[out] loss_out ::REC_STAT_LOSS (may be NULL) @param[out] rmse_out ::REC_STAT_RMSE
 * @retval REC_OK
 * @retval REC_ESTATE
 * @retval REC_EINVAL
 * @retval REC_ENUMERIC
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_train_epoch(rec_model *model, rec_optimizer *opt,
                                         const rec_dataset *ds, size_t batch_size,
                                         double *loss_out, double *rmse_out);

/**
 * Train for epochs epochs (Keras's model.fit): each epoch trains on train in shuffled batches of
 * batch_size, then evaluates on val (may be NULL) in batches of eval_batch_size, then calls
 * on_epoch (may be NULL).
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE
 * @retval REC_ENUMERIC
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_fit(rec_model *model, rec_optimizer *opt, const rec_dataset *train,
                                 const rec_dataset *val, uint32_t epochs, size_t batch_size,
                                 size_t eval_batch_size, rec_epoch_fn on_epoch, void *payload);

/**
 * RMSE and MAE of the model's predictions against the label column of ds.
 * @retval REC_OK
 * @retval REC_ESTATE
 * @retval REC_EINVAL empty dataset, missing column
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_evaluate(const rec_model *model, const rec_dataset *ds,
                                      size_t batch_size, double *rmse_out, double *mae_out);

/**
 * Predict a rating for every row of ds, from raw feature values (strings, timestamps): build ds
 * with rec_dataset_create() and rec_dataset_add_*() using the model's column names; no label
 * column is needed.
 * @param[out] out n = rec_dataset_size(ds) predictions
 * @retval REC_OK
 * @retval REC_ESTATE
 * @retval REC_ENOTFOUND a feature column is missing
 * @retval REC_ESHAPE n ≠ rows
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_predict(const rec_model *model, const rec_dataset *ds, float *out,
                                     size_t n);

/**
 * Threads used by training, evaluation and prediction of this model (default 1). Results are
 * deterministic for a given thread count (gradients of the parts of a batch are summed in a
 * fixed order) but may differ in the last bits between thread counts. librec's threads are
 * started inside a call and joined before it returns; BLAS threading is left to OpenBLAS.
 * When OpenBLAS itself runs more than one thread (OPENBLAS_NUM_THREADS > 1), a call runs on
 * one librec thread instead, since the two thread pools would fight over the cores (measured:
 * an enriched epoch took 1.2 s instead of 41 ms); set OPENBLAS_NUM_THREADS=1 to use these
 * threads.
 * @retval REC_OK
 * @retval REC_EINVAL n_threads 0 or > 256
 * @since 0.1
 */
REC_API rec_status rec_model_set_threads(rec_model *model, uint32_t n_threads);

/** Thread count set with rec_model_set_threads() (1 by default). @since 0.1 */
REC_API uint32_t rec_model_threads(const rec_model *model);

/**
 * Save a built model with everything needed to predict from raw inputs (description,
 * vocabularies, preprocessing state, weights) and, when include_optimizer_state is non-zero,
 * the optimizer state kept beside each weight (to resume training). The file format is
 * documented in docs/file-format.md (little-endian, versioned, with section lengths and
 * checksums). The file is written atomically: to a temporary file in the same directory,
 * flushed with fsync, then renamed over path, so a crash never leaves a partial file at path.
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ESTATE not built
 * @retval REC_EIO the file could not be written (path and reason named)
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_save(const rec_model *model, const char *path,
                                  int include_optimizer_state);

/**
 * Load a model saved by rec_model_save(). Every length, offset, count and checksum is
 * validated; a damaged, truncated or foreign file is refused with a message naming the file
 * and what is wrong. The loaded model predicts bit-identically to the saved one; when the
 * file holds optimizer state, training resumes where it stopped.
 * @param[out] out the model, NULL on failure. Ownership: caller, rec_model_free().
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_EIO cannot open or read
 * @retval REC_EFORMAT malformed, truncated, corrupted or unsupported version
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_load(rec_model **out, const char *path);

/**
 * Top-k recommendation: score every candidate item for one user and return the k best.
 * Candidate row i takes its item-side feature values from row i of candidates and its
 * user-side feature values from row query_row of query (a column read by features of both
 * sides is taken from query). Candidates flagged in exclude (an array of
 * rec_dataset_size(candidates) bytes, non-zero = skip, e.g. items the user already rated; may be
 * NULL) are skipped. Results are sorted by descending predicted rating, ties by ascending row.
 * @param[out] rows_out up to k candidate row indices
 * @param[out] scores_out their predicted ratings (may be NULL)
 * @param[out] n_out number written: min(k, candidates not excluded)
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, k = 0, query_row out of range
 * @retval REC_ESTATE not built
 * @retval REC_ENOTFOUND a feature's column is missing from candidates or query
 * @retval REC_ENOMEM
 * @since 0.1
 */
REC_API rec_status rec_model_recommend(uint32_t *rows_out, float *scores_out, size_t *n_out,
                                       size_t k, const rec_model *model,
                                       const rec_dataset *candidates, const rec_dataset *query,
                                       size_t query_row, const uint8_t *exclude);

/**
 * Text summary in the style of Keras's model.summary(): each layer with its output shape and
 * parameter count, then the total. Writes at most cap bytes, NUL-terminated (like snprintf).
 * @param[out] len_out full length without the NUL (may exceed cap − 1); may be NULL
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE not built
 * @since 0.1
 */
REC_API rec_status rec_model_summary(char *out, size_t cap, size_t *len_out,
                                     const rec_model *model);

/**
 * Graphviz DOT description of the model graph (inputs, preprocessing, embeddings,
 * concatenation, interaction, output), written like rec_model_summary().
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 0.1
 */
REC_API rec_status rec_model_graphviz(char *out, size_t cap, size_t *len_out,
                                      const rec_model *model);

REC_END_DECLS

/** @} */
#endif
