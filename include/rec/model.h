/**
 * @file rec/model.h
 * @defgroup model Ranking models
 * A ranking model predicts a rating from a row of raw features. It is described, not coded:
 * a list of input features, each read from a dataset column, preprocessed and embedded, placed
 * on the user side or the item side; and an interaction joining the two sides:
 * - ::REC_INTERACTION_DOT: ŷ = ⟨user side, item side⟩ (the two sides must have equal width);
 * - ::REC_INTERACTION_MLP: ŷ = dense stack over concat(user side, item side), the layers added
 *   with rec_model_add_layer(), the last of width 1;
 * - ::REC_INTERACTION_BIASED_DOT: biased matrix factorization, ŷ = w₀ + Σ_f b_f + ⟨user side,
 *   item side⟩;
 * - ::REC_INTERACTION_FM: a factorization machine over every feature of both sides,
 *   ŷ = w₀ + Σ_f b_f + Σ_{f<g} ⟨e_f, e_g⟩, trained by gradient descent like the others or by
 *   Gibbs sampling (rec_model_fit_mcmc()).
 *
 * In the last two, w₀ is a trainable global bias that starts at the mean of the label column of
 * the dataset the model is built on (0 when it has none), and b_f is feature f's linear term: a
 * table of one weight per embedding row, looked up (or averaged over a bag) like the embedding,
 * starting at 0; for a NUMERIC feature, w_f·x_f. In an FM every feature that is not NUMERIC
 * must have the same dim K (e_f is its embedding vector, or the mean over its bag), and a
 * NUMERIC feature x_f enters the pairwise sum as e_f = x_f·v_f with a K-wide factor vector v_f
 * of its own (initialised like an embedding). Pairs are taken between features: the rows of
 * one bag do not interact with each other.
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
#include "dataset.h"
#include "dense.h"

REC_BEGIN_DECLS

/** Which side of the interaction a feature belongs to; values fixed. */
typedef enum rec_side {
    REC_SIDE_USER = 0, /**< query side: user and context features */
    REC_SIDE_ITEM = 1  /**< candidate side: movie features */
} rec_side;

/** Feature kinds; values fixed. */
typedef enum rec_feature_kind {
    /** string column → StringLookup (sorted unique adapt values, unknown → 0) →
     *  Embedding(n+1, dim) */
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

/** How a TEXT or CATEGORICAL_LIST feature pools the embeddings of a bag of c rows; values
 * fixed. */
typedef enum rec_pooling {
    REC_POOLING_MEAN = 0, /**< Σ rows / c: Keras's masked GlobalAveragePooling1D (default) */
    REC_POOLING_SQRTN = 1 /**< Σ rows / √c: SVD++'s normalization of implicit feedback */
} rec_pooling;

/** The likelihood rec_model_fit_mcmc() samples under; values fixed. */
typedef enum rec_likelihood {
    /** y ~ N(ŷ, 1/α), α sampled: Bayesian regression (libFM's MCMC; the default) */
    REC_LIKELIHOOD_GAUSSIAN = 0,
    /** ordered probit (Albert & Chib 1993): the label is one of its C ≤ 64 distinct training
     * values, in order; a latent z ~ N(ŷ, 1) falls between cutpoints γ_0 = −∞ < γ_1 = 0 < γ_2
     * < ... < γ_C = +∞, and the label is the c-th value when γ_{c−1} < z ≤ γ_c (myFM's
     * MyFMOrderedProbit) */
    REC_LIKELIHOOD_ORDERED_PROBIT = 1
} rec_likelihood;

/** Interaction between the two sides; values fixed. */
typedef enum rec_interaction {
    REC_INTERACTION_DOT = 0,        /**< dot product of the two sides */
    REC_INTERACTION_MLP = 1,        /**< dense layers over the concatenated sides */
    REC_INTERACTION_BIASED_DOT = 2, /**< global bias + per-feature biases + dot product */
    REC_INTERACTION_FM = 3          /**< factorization machine over all features */
} rec_interaction;

/** The tutorial's models, over the columns of the roles of rec_model_create_preset_columns()
 * (user, item, time, text; the label); values fixed. */
typedef enum rec_preset {
    REC_PRESET_DOT = 0,       /**< user(32) · item(32) */
    /** concat(user 32, item 32) → Dense(64, relu) → Dense(1) */
    REC_PRESET_ONE_LAYER = 1,
    /** concat(user 32, time buckets 32, normalized time 1, item 32, text words 32) →
     * Dense(64, relu) → Dense(1) */
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
 * Create an empty model description, with no label column: name it with
 * rec_model_set_label() before training or evaluating (those calls return REC_ESTATE without
 * one). A program linked against librec 1.0 keeps the 1.0 behaviour, a default label
 * "user_rating" (the two are versions REC_1.0 and REC_1.1 of the symbol).
 * @param[out] out new model. Ownership: caller, rec_model_free().
 * @param seed drives every random choice: weight initialisation and batch order
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.0 (no default label since 1.1)
 */
REC_API rec_status rec_model_create(rec_model **out, uint64_t seed);

/**
 * Create one of the tutorial's models (unbuilt) reading the column names of the MovieLens
 * loader: rec_model_create_preset_columns() with user "user_id", item "movie_title", label
 * "user_rating" and, for ::REC_PRESET_ENRICHED, time "timestamp".
 * @param[out] out new unbuilt model, NULL on failure. Ownership: caller, rec_model_free().
 * @param preset which of the tutorial's models (::rec_preset)
 * @param seed as for rec_model_create(): drives weight initialisation and batch order
 * @retval REC_OK
 * @retval REC_EINVAL unknown preset
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_create_preset(rec_model **out, rec_preset preset, uint64_t seed);

/**
 * Create one of the tutorial's models (unbuilt) over columns named by role. columns is a
 * NULL-terminated array of role, column name pairs, e.g. {"user", "customer", "item", "sku",
 * "label", "stars", NULL}. The roles:
 * - "user": string column of the user id (CATEGORICAL, user side), every preset;
 * - "item": string column of the item id (CATEGORICAL, item side), every preset;
 * - "label": number column of the rating (rec_model_set_label()), every preset;
 * - "time": number column of the time (BUCKETIZED and NUMERIC, user side), required by
 *   ::REC_PRESET_ENRICHED and refused by the others;
 * - "text": string column whose words are a TEXT feature (item side), optional for
 *   ::REC_PRESET_ENRICHED (default: the item column) and refused by the others.
 * @param[out] out new unbuilt model, NULL on failure. Ownership: caller, rec_model_free().
 * @param preset which of the tutorial's models (::rec_preset)
 * @param columns role, name pairs, then NULL (names copied)
 * @param seed as for rec_model_create(): drives weight initialisation and batch order
 * @retval REC_OK
 * @retval REC_EINVAL NULL out or columns, unknown preset; an unknown or repeated role, a role
 *         the preset does not read, a required role missing, a NULL (odd count) or empty
 *         name (the message names the role)
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_model_create_preset_columns(rec_model **out, rec_preset preset,
                                                   const char *const *columns, uint64_t seed);

/**
 * Free a model and everything it owns; NULL is accepted.
 * @param model the model to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_model_free(rec_model *model);

/**
 * Add an input feature.
 * @param[out] id_out the feature's index (0, 1, ...), may be NULL
 * @param model an unbuilt model
 * @param column name of the dataset column it reads, non-empty (copied)
 * @param kind how the column is preprocessed and embedded (::rec_feature_kind)
 * @param side which side of the interaction it feeds (::rec_side)
 * @param dim embedding width, 1..65536 (must be 1 for NUMERIC)
 * @retval REC_OK
 * @retval REC_EINVAL bad kind/side/dim, NULL column
 * @retval REC_ESTATE model already built
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_add_feature(uint32_t *id_out, rec_model *model, const char *column,
                                         rec_feature_kind kind, rec_side side, uint32_t dim);

/**
 * BUCKETIZED: use n evenly spaced boundaries between the adapt minimum and maximum (default
 * 1000).
 * @param model an unbuilt model
 * @param feature id of a BUCKETIZED feature (from rec_model_add_feature())
 * @param n_boundaries number of boundaries (buckets − 1)
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 1.0
 */
REC_API rec_status rec_model_feature_set_bucket_count(rec_model *model, uint32_t feature,
                                                      uint32_t n_boundaries);

/**
 * BUCKETIZED: use these boundaries (finite, non-decreasing) instead of adapting them.
 * @param model an unbuilt model
 * @param feature id of a BUCKETIZED feature (from rec_model_add_feature())
 * @param boundaries n finite, non-decreasing boundaries (copied)
 * @param n number of boundaries
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 1.0
 */
REC_API rec_status rec_model_feature_set_boundaries(rec_model *model, uint32_t feature,
                                                    const double *boundaries, size_t n);

/**
 * TEXT: vocabulary and embedding size (≥ 2, default 10000).
 * @param model an unbuilt model
 * @param feature id of a TEXT feature (from rec_model_add_feature())
 * @param max_tokens vocabulary and embedding size
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, no such feature, not a TEXT feature, max_tokens outside
 *         2..2^24
 * @retval REC_ESTATE already built
 * @since 1.0
 */
REC_API rec_status rec_model_feature_set_max_tokens(rec_model *model, uint32_t feature,
                                                    uint32_t max_tokens);

/**
 * TEXT, CATEGORICAL_LIST: how the bag's embedding rows are pooled (default REC_POOLING_MEAN;
 * an empty bag gives zeros either way). Also the weight of each row in the feature's linear
 * term (BIASED_DOT, FM) and under Gibbs sampling.
 * @param model an unbuilt model
 * @param feature id of a TEXT or CATEGORICAL_LIST feature (from rec_model_add_feature())
 * @param pooling a ::rec_pooling
 * @retval REC_OK
 * @retval REC_EINVAL no such feature, not a bag feature, unknown pooling
 * @retval REC_ESTATE already built
 * @since 1.0
 */
REC_API rec_status rec_model_feature_set_pooling(rec_model *model, uint32_t feature,
                                                 rec_pooling pooling);

/**
 * Choose the interaction (default DOT).
 * @param model an unbuilt model
 * @param interaction a ::rec_interaction
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, unknown interaction
 * @retval REC_ESTATE already built
 * @since 1.0
 */
REC_API rec_status rec_model_set_interaction(rec_model *model, rec_interaction interaction);

/**
 * Append a dense layer to the MLP interaction (Glorot-uniform kernel, zero bias).
 * @param model an unbuilt model
 * @param units output width of the layer
 * @param activation a ::rec_activation
 * @retval REC_OK
 * @retval REC_EINVAL units 0 or unknown activation
 * @retval REC_ESTATE
 * @since 1.0
 */
REC_API rec_status rec_model_add_layer(rec_model *model, uint32_t units,
                                       rec_activation activation);

/**
 * Label column (number). A model has none until this is called (one made by a preset has its
 * "label" column); training and evaluation need it, and so does building a BIASED_DOT or FM
 * model, whose global bias starts at the label's mean.
 * @param model an unbuilt model
 * @param column name of the number column holding the label (copied)
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, NULL or empty column
 * @retval REC_ESTATE already built
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_set_label(rec_model *model, const char *column);

/**
 * L2 regularization of a feature's parameters: the penalty λ·Σw² (Keras's regularizers.l2(λ))
 * is added to each batch's mean squared error over the rows of the feature's tables that the
 * batch touched (its embedding, and a NUMERIC feature's FM factor vector, with l2_embedding;
 * its linear table with l2_linear), so each touched weight gets 2λ·w added to its gradient.
 * 0 (the default) turns it off. May be set before or after build; ignored by
 * rec_model_fit_mcmc(), whose priors are learned. Like every model, one with L2, dropout,
 * BIASED_DOT or FM trains on the model's threads (rec_model_set_threads()), with results
 * that a given thread count repeats bit for bit.
 * @param model the model (built or not)
 * @param feature id of the feature (from rec_model_add_feature())
 * @param l2_embedding λ of the embedding (and FM factor vector), ≥ 0
 * @param l2_linear λ of the linear table, ≥ 0
 * @retval REC_OK
 * @retval REC_EINVAL no such feature, negative or non-finite factor
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_feature_set_l2(rec_model *model, uint32_t feature,
                                            float l2_embedding, float l2_linear);

/**
 * L2 regularization of dense layer `layer`'s kernel (not its bias): λ·Σ W² added to every
 * batch's loss (gradient 2λ·W), as Keras's kernel_regularizer=l2(λ). 0 turns it off.
 * @param model the model (built or not)
 * @param layer index of the dense layer, in the order of rec_model_add_layer()
 * @param l2 λ of the kernel, ≥ 0
 * @retval REC_OK
 * @retval REC_EINVAL no such layer, negative or non-finite factor
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_layer_set_l2(rec_model *model, size_t layer, float l2);

/**
 * Inverted dropout on the output of hidden layer `layer` (not the last), during training only:
 * each unit is zeroed with probability rate and the others multiplied by 1/(1 − rate), so
 * evaluation and prediction use the layer as it is. The masks are drawn from a generator seeded
 * by the model's seed: training is reproducible. 0 turns it off.
 * @param model the model (built or not)
 * @param layer index of a hidden dense layer, in the order of rec_model_add_layer()
 * @param rate probability of zeroing a unit, in [0, 1)
 * @retval REC_OK
 * @retval REC_EINVAL no such layer, the output layer, rate outside [0, 1)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_layer_set_dropout(rec_model *model, size_t layer, float rate);

/**
 * Early stopping for rec_model_fit() with a validation set (carve it from the training data,
 * e.g. with rec_dataset_shuffle_split(), never from the test set): after each epoch the
 * weights with the lowest validation RMSE so far are kept; an epoch improves on the best when
 * its RMSE is below best − min_delta. After patience epochs without improvement training stops,
 * and when training ends, stopped or not, the best epoch's weights are restored (optimizer
 * state is not). patience 0 (the default) turns it off; without a validation set it does
 * nothing.
 * @param model the model
 * @param patience epochs without improvement before training stops; 0 turns it off
 * @param min_delta the least decrease of the validation RMSE that counts as improvement
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, negative or non-finite min_delta
 * @since 1.0
 */
REC_API rec_status rec_model_set_early_stopping(rec_model *model, uint32_t patience,
                                                double min_delta);

/**
 * Adapt the preprocessing on a dataset and allocate the weights (seeded). The tutorial
 * adapts on all 100,000 ratings. When the dataset has the label column, its finite labels'
 * range becomes the model's label range (rec_model_label_range(), rec/serve.h). Checks the
 * description: at least one feature per side, DOT and BIASED_DOT sides of equal width, MLP
 * ending in one unit, FM embeddings of one width (at most 256), no dense layers but in an MLP,
 * columns present with the right type.
 * @param model an unbuilt model
 * @param adapt the dataset the preprocessing is adapted on (only read)
 * @retval REC_OK
 * @retval REC_ESTATE already built; a BIASED_DOT or FM model without a label
 * @retval REC_ENOTFOUND a column is missing
 * @retval REC_EINVAL inconsistent description or wrong column type
 * @retval REC_ENOMEM
 * (model left unbuilt, usable again)
 * @since 1.0
 */
REC_API rec_status rec_model_build(rec_model *model, const rec_dataset *adapt);

/**
 * Whether rec_model_build() succeeded.
 * @param model the model (may be NULL: returns 0)
 * @return 1 when built, else 0 (also for NULL)
 * @since 1.0
 */
REC_API int rec_model_is_built(const rec_model *model);

/**
 * Number of features.
 * @param model the model (may be NULL: returns 0)
 * @return the number of features added, or 0 when model is NULL
 * @since 1.0
 */
REC_API size_t rec_model_n_features(const rec_model *model);

/**
 * Label column set with rec_model_set_label() or by a preset (borrowed).
 * @param model the model (may be NULL: returns NULL)
 * @return the label column's name, valid until the model is changed or freed; NULL when the
 *         model has no label or is NULL
 * @since 1.1
 */
REC_API const char *rec_model_label(const rec_model *model);

/**
 * Description of a feature: the column it reads, how and where.
 * @param[out] column_out the column's name (borrowed, valid while the model lives); may be
 *        NULL
 * @param[out] kind_out its ::rec_feature_kind; may be NULL
 * @param[out] side_out its ::rec_side; may be NULL
 * @param[out] type_out the ::rec_column_type of the dataset column it reads (STRING for
 *        CATEGORICAL and TEXT, NUMBER for BUCKETIZED and NUMERIC, STRING_LIST for
 *        CATEGORICAL_LIST); may be NULL
 * @param[out] dim_out its width; may be NULL
 * @param model the model (built or not)
 * @param feature id of the feature, < rec_model_n_features()
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, feature out of range (the message names it and the count)
 * @since 1.1
 */
REC_API rec_status rec_model_feature_info(const char **column_out, rec_feature_kind *kind_out,
                                          rec_side *side_out, rec_column_type *type_out,
                                          uint32_t *dim_out, const rec_model *model,
                                          uint32_t feature);

/**
 * Number of trainable parameters (0 before build), the linear tables, factor vectors and
 * global bias of BIASED_DOT and FM included.
 * @param model the model (may be NULL: returns 0)
 * @return the parameter count, or 0 when model is NULL or unbuilt
 * @since 1.0
 */
REC_API size_t rec_model_n_params(const rec_model *model);

/**
 * Borrowed embedding table of a feature (NULL for NUMERIC, before build, or out of range).
 * @param model the model (may be NULL: returns NULL)
 * @param feature id of the feature (from rec_model_add_feature())
 * @return the table (borrowed, valid while the model lives), or NULL
 * @since 1.0
 */
REC_API const rec_embedding *rec_model_feature_embedding(const rec_model *model,
                                                         uint32_t feature);

/**
 * Borrowed vocabulary of a CATEGORICAL or CATEGORICAL_LIST feature, else NULL.
 * @param model the model (may be NULL: returns NULL)
 * @param feature id of the feature (from rec_model_add_feature())
 * @return the vocabulary (borrowed, valid while the model lives), or NULL (also before build)
 * @since 1.0
 */
REC_API const rec_vocab *rec_model_feature_vocab(const rec_model *model, uint32_t feature);

/**
 * Number of dense layers.
 * @param model the model (may be NULL: returns 0)
 * @return the number of dense layers added, or 0 when model is NULL
 * @since 1.0
 */
REC_API size_t rec_model_n_layers(const rec_model *model);

/**
 * Borrowed dense layer i (NULL before build or out of range).
 * @param model the model (may be NULL: returns NULL)
 * @param i index of the layer, < rec_model_n_layers()
 * @return the layer (borrowed, valid while the model lives), or NULL
 * @since 1.0
 */
REC_API const rec_dense *rec_model_layer(const rec_model *model, size_t i);

/**
 * Compute the gradients of the batch-mean squared error (plus the L2 penalties set with
 * rec_model_feature_set_l2() / rec_model_layer_set_l2(), and through the dropout masks of a
 * training pass) over the given rows and accumulate them in the model's parameters (dense
 * buffers for layers, sparse rows for embeddings), without changing any weight. Pair with
 * rec_model_apply_gradients().
 * @param model a built model; its gradient buffers are added to
 * @param ds dataset holding the feature and label columns (borrowed for the call)
 * @param rows n row indices of ds making up the batch (repeats allowed)
 * @param n number of rows in the batch, > 0
 * @param[out] loss_out the batch's mean squared error (may be NULL)
 * @retval REC_OK
 * @retval REC_ESTATE not built, or no label column (rec_model_set_label())
 * @retval REC_EINVAL bad row, missing column
 * @retval REC_ENUMERIC the loss is not finite
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_compute_gradients(rec_model *model, const rec_dataset *ds,
                                               const uint32_t *rows, size_t n, double *loss_out);

/**
 * Apply the accumulated gradients with an optimizer and clear them.
 * @param model a built model whose accumulated gradients are applied and cleared
 * @param opt the optimizer
 * @retval REC_OK
 * @retval REC_ESTATE
 * @retval REC_ENOMEM
 * @retval REC_ENUMERIC a weight became
 * non-finite (training diverged)
 * @since 1.0
 */
REC_API rec_status rec_model_apply_gradients(rec_model *model, rec_optimizer *opt);

/**
 * One epoch over ds in batches of batch_size, in an order reshuffled every call from the
 * model's seed.
 * @param model a built model, trained in place
 * @param opt optimizer applied after each batch (its state is updated)
 * @param ds training dataset with the feature and label columns, not empty
 * @param batch_size rows per batch, 1..2^24 (the last batch of the epoch may be smaller)
 * @param[out] loss_out ::REC_STAT_LOSS (may be NULL)
 * @param[out] rmse_out ::REC_STAT_RMSE (may be NULL)
 * @retval REC_OK
 * @retval REC_ESTATE not built, or no label column (rec_model_set_label())
 * @retval REC_EINVAL
 * @retval REC_ENUMERIC
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_train_epoch(rec_model *model, rec_optimizer *opt,
                                         const rec_dataset *ds, size_t batch_size,
                                         double *loss_out, double *rmse_out);

/**
 * Train for epochs epochs (Keras's model.fit): each epoch trains on train in shuffled batches of
 * batch_size, then evaluates on val (may be NULL) in batches of eval_batch_size, then calls
 * on_epoch (may be NULL). With early stopping set (rec_model_set_early_stopping()) and a val,
 * training may end before epochs and the best epoch's weights are restored at the end.
 * @param model a built model
 * @param opt the optimizer
 * @param train the training set (only read)
 * @param val the validation set (only read), or NULL
 * @param epochs number of epochs
 * @param batch_size training rows per batch
 * @param eval_batch_size rows per batch when evaluating on val
 * @param on_epoch called after each epoch (may be NULL); see ::rec_epoch_fn
 * @param payload passed to on_epoch as is
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE not built, or no label column (rec_model_set_label())
 * @retval REC_ENUMERIC
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_fit(rec_model *model, rec_optimizer *opt, const rec_dataset *train,
                                 const rec_dataset *val, uint32_t epochs, size_t batch_size,
                                 size_t eval_batch_size, rec_epoch_fn on_epoch, void *payload);

/**
 * Bayesian factorization machine: Gibbs sampling of an FM model's weights (libFM's MCMC,
 * Rendle 2012), which needs no learning rate and no regularization to tune. The likelihood is
 * y ~ N(ŷ, 1/α); every weight has a Gaussian prior whose mean and precision are shared by a
 * group (each feature's linear weights, each feature's factor k) and sampled too, under
 * N/Gamma hyper-priors (all 1, as libFM); w₀ has a flat prior; α ~ Gamma. The chain starts from
 * the model's current weights (after build: embeddings ±0.05, linear weights 0, w₀ the label
 * mean) and makes n_iter sweeps over every weight and hyper-parameter; the n_iter − n_burn_in
 * samples after the burn-in are stored in the model (so memory grows with the number of
 * weights times kept samples). From then on rec_model_predict(), rec_model_evaluate() and
 * rec_model_recommend() return the posterior mean prediction: the average over the stored
 * samples of each sample's prediction clipped to the range of the training labels (as libFM
 * does); the model's own weights are those of the last sweep. Training the model by gradient
 * (rec_model_fit() and the like) or rebuilding it drops the samples.
 * Only CATEGORICAL, BUCKETIZED, TEXT, CATEGORICAL_LIST (a bag's rows each with value 1/c, as
 * the mean) and NUMERIC features; L2 settings are ignored. Reproducible: the draws come from a
 * generator seeded by the model's seed; results depend on the thread count only through the
 * order of floating-point sums (rows are cut in contiguous chunks per thread).
 * @param model a built model whose interaction is ::REC_INTERACTION_FM
 * @param train training dataset with the feature and label columns, not empty
 * @param n_iter number of Gibbs sweeps, > n_burn_in
 * @param n_burn_in leading sweeps whose samples are discarded; the remaining
 *        n_iter − n_burn_in are stored in the model
 * @param val may be NULL; else after each kept sample, REC_STAT_VAL_RMSE and REC_STAT_VAL_MAE
 *        of the posterior mean so far on val are passed to on_iter
 * @param on_iter called after every sweep (1-based) with REC_STAT_LOSS / REC_STAT_RMSE the
 *        training MSE / RMSE of the sweep's sample and REC_STAT_SECONDS its time; a non-zero
 *        return stops sampling (the samples kept so far are stored). May be NULL.
 * @param payload passed unchanged to on_iter (may be NULL)
 * @retval REC_OK
 * @retval REC_EINVAL NULL or empty dataset, not an FM model, n_burn_in ≥ n_iter; an ordered
 *         probit over fewer than 2 or more than 64 distinct labels
 * @retval REC_ESTATE not built, or no label column (rec_model_set_label())
 * @retval REC_ENOTFOUND a feature or label column is missing
 * @retval REC_ENUMERIC non-finite labels, or the chain diverged
 * @retval REC_ENOMEM (the stored samples need n_params × (n_iter − n_burn_in) floats)
 * @since 1.0
 */
REC_API rec_status rec_model_fit_mcmc(rec_model *model, const rec_dataset *train,
                                      uint32_t n_iter, uint32_t n_burn_in,
                                      const rec_dataset *val, rec_epoch_fn on_iter,
                                      void *payload);

/**
 * The likelihood of rec_model_fit_mcmc() (default REC_LIKELIHOOD_GAUSSIAN; gradient training
 * always minimises the squared error). Under REC_LIKELIHOOD_ORDERED_PROBIT the latent values z
 * are drawn from their truncated normals, the cutpoints γ_2..γ_{C−1} by a random-walk
 * Metropolis step on the likelihood with z integrated out (its scale adapted during the
 * burn-in), the noise variance is 1 (no α), and at the start w₀ is shifted so that the mean
 * prediction matches the lowest label's frequency. A sample's prediction is the expected label
 * Σ_c v_c P(c) = v_1 + Σ_{c≥2} (v_c − v_{c−1}) Φ(ŷ − γ_{c−1}), averaged over the samples, and
 * REC_STAT_LOSS / REC_STAT_RMSE are those of the latent values.
 * @param model the model
 * @param likelihood a ::rec_likelihood
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, unknown likelihood
 * @since 1.0
 */
REC_API rec_status rec_model_set_likelihood(rec_model *model, rec_likelihood likelihood);

/**
 * Posterior samples stored by rec_model_fit_mcmc() (0 otherwise).
 * @param model the model (may be NULL: returns 0)
 * @return the number of stored samples, or 0
 * @since 1.0
 */
REC_API uint32_t rec_model_n_samples(const rec_model *model);

/**
 * RMSE and MAE of the model's predictions against the label column of ds.
 * @param model a built model (only read)
 * @param ds the dataset, with the label column (only read)
 * @param batch_size rows per batch
 * @param[out] rmse_out the RMSE (may be NULL)
 * @param[out] mae_out the MAE (may be NULL)
 * @retval REC_OK
 * @retval REC_ESTATE not built, or no label column (rec_model_set_label())
 * @retval REC_EINVAL empty dataset, missing column
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_evaluate(const rec_model *model, const rec_dataset *ds,
                                      size_t batch_size, double *rmse_out, double *mae_out);

/**
 * Predict a rating for every row of ds, from raw feature values (strings, timestamps): build ds
 * with rec_dataset_create() and rec_dataset_add_*() using the model's column names; no label
 * column is needed. With rec_model_set_clip() on (rec/serve.h), each prediction is kept within
 * the label range.
 * @param model a built model (only read: may be shared between threads)
 * @param ds rows to score, with every feature column of the model
 * @param[out] out n predictions, out[i] for row i of ds
 * @param n number of entries of out; must equal rec_dataset_size(ds)
 * @retval REC_OK
 * @retval REC_ESTATE
 * @retval REC_ENOTFOUND a feature column is missing
 * @retval REC_ESHAPE n ≠ rows
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_predict(const rec_model *model, const rec_dataset *ds, float *out,
                                     size_t n);

/**
 * Threads used by training, evaluation and prediction of this model (default 1). Results are
 * deterministic for a given thread count (gradients of the parts of a batch are summed in a
 * fixed order) but may differ in the last bits between thread counts. librec's threads are
 * started inside a call and joined before it returns; BLAS threading is left to OpenBLAS.
 * @param model the model
 * @param n_threads number of threads, 1..256
 * @retval REC_OK
 * @retval REC_EINVAL n_threads 0 or > 256
 * @since 1.0
 */
REC_API rec_status rec_model_set_threads(rec_model *model, uint32_t n_threads);

/**
 * Thread count set with rec_model_set_threads() (1 by default).
 * @param model the model (may be NULL: returns 0)
 * @return the thread count, or 0 when model is NULL
 * @since 1.0
 */
REC_API uint32_t rec_model_threads(const rec_model *model);

/**
 * Save a built model with everything needed to predict from raw inputs (description,
 * vocabularies, preprocessing state, weights) and, when include_optimizer_state is non-zero,
 * the optimizer state kept beside each weight (to resume training). The file format is
 * documented in docs/file-format.md (little-endian, versioned, with section lengths and
 * checksums). The file is written atomically: to a temporary file in the same directory,
 * flushed with fsync, then renamed over path, so a crash never leaves a partial file at path.
 * @param model a built model (only read)
 * @param path the file to write
 * @param include_optimizer_state non-zero: also save the optimizer state
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ESTATE not built
 * @retval REC_EIO the file could not be written (path and reason named)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_save(const rec_model *model, const char *path,
                                  int include_optimizer_state);

/**
 * Load a model saved by rec_model_save(). Every length, offset, count and checksum is
 * validated; a damaged, truncated or foreign file is refused with a message naming the file
 * and what is wrong. The loaded model predicts bit-identically to the saved one; when the
 * file holds optimizer state, training resumes where it stopped.
 * @param[out] out the model, NULL on failure. Ownership: caller, rec_model_free().
 * @param path file written by rec_model_save()
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_EIO cannot open or read
 * @retval REC_EFORMAT malformed, truncated, corrupted or unsupported version
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_load(rec_model **out, const char *path);

/**
 * Top-k recommendation: score every candidate item for one user and return the k best.
 * Candidate row i takes its item-side feature values from row i of candidates and its
 * user-side feature values from row query_row of query (a column read by features of both
 * sides is taken from query). Candidates flagged in exclude (an array of
 * rec_dataset_size(candidates) bytes, non-zero = skip, e.g. items the user already rated; may be
 * NULL) are skipped. Results are sorted by descending predicted rating, ties by ascending row.
 * @param[out] rows_out room for k candidate row indices; the first *n_out are written
 * @param[out] scores_out room for k floats: the predicted ratings of rows_out (may be NULL)
 * @param[out] n_out number written: min(k, candidates not excluded)
 * @param k number of recommendations wanted, > 0
 * @param model a built model (only read)
 * @param candidates one row per candidate item, with the item-side feature columns
 * @param query dataset holding the user's row, with the user-side feature columns
 * @param query_row the user's row in query, < rec_dataset_size(query)
 * @param exclude rec_dataset_size(candidates) flags, non-zero = skip that candidate; may be
 *        NULL
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, k = 0, query_row out of range
 * @retval REC_ESTATE not built
 * @retval REC_ENOTFOUND a feature's column is missing from candidates or query
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_model_recommend(uint32_t *rows_out, float *scores_out, size_t *n_out,
                                       size_t k, const rec_model *model,
                                       const rec_dataset *candidates, const rec_dataset *query,
                                       size_t query_row, const uint8_t *exclude);

/**
 * Text summary in the style of Keras's model.summary(): each layer with its output shape and
 * parameter count, then the total. Writes at most cap bytes, NUL-terminated (like snprintf).
 * @param[out] out buffer of cap bytes; may be NULL when cap is 0
 * @param cap size of out in bytes, NUL included (0 to only measure)
 * @param[out] len_out full length without the NUL (may exceed cap − 1); may be NULL
 * @param model a built model
 * @retval REC_OK
 * @retval REC_EINVAL NULL model, out NULL with cap > 0
 * @retval REC_ESTATE not built
 * @since 1.0
 */
REC_API rec_status rec_model_summary(char *out, size_t cap, size_t *len_out,
                                     const rec_model *model);

/**
 * Graphviz DOT description of the model graph (inputs, preprocessing, embeddings,
 * concatenation, interaction, output), written like rec_model_summary().
 * @param[out] out buffer of cap bytes; may be NULL when cap is 0
 * @param cap size of out in bytes, NUL included (0 to only measure)
 * @param[out] len_out full length without the NUL (may exceed cap − 1); may be NULL
 * @param model a built model
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESTATE
 * @since 1.0
 */
REC_API rec_status rec_model_graphviz(char *out, size_t cap, size_t *len_out,
                                      const rec_model *model);

REC_END_DECLS

/** @} */
#endif
