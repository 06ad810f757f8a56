/**
 * @file rec/serve.h
 * @defgroup serve Serving a saved model
 * What a model needs to answer requests for raw ids without its training data: an item
 * catalogue (rec_model_set_catalog(): every item id with the columns its item-side features
 * read), the items each user has seen (rec_model_set_seen()), top-k recommendations and scores
 * for a user row (rec_model_recommend_user(), rec_model_recommend_users(),
 * rec_model_score_items()), predictions kept within the label range of training
 * (rec_model_set_clip(), rec_model_label_range()), and the count of inputs a model has never
 * seen (rec_model_count_unknown()). The catalogue, the seen items, the clip setting and the
 * label range are saved with the model by rec_model_save() (docs/file-format.md, version 2).
 *
 * A user row is a row of a dataset holding the columns the model's user-side features read
 * (for the presets, just user_id); item-side values come from the catalogue. Scores are those
 * of rec_model_predict() on the same values. The calls taking a const model may run at the
 * same time on one shared model (docs/threading.md).
 * @{
 */
#ifndef REC_SERVE_H
#define REC_SERVE_H

#include "rec/common.h"
#include "rec/dataset.h"
#include "rec/model.h"

REC_BEGIN_DECLS

/**
 * Store the item catalogue in the model: one entry per distinct value of the string column
 * item_key of items, in the order of their first rows (the first row of each id wins), with a
 * copy of every column of items that an item-side feature of the model reads (numbers,
 * strings, string lists). Replaces an earlier catalogue; the seen items recorded by
 * rec_model_set_seen() follow their ids into the new one (ids it lacks are dropped). Saved
 * with the model.
 * @param model a built model
 * @param items one or more rows with the column item_key and the item-side feature columns
 *        (only read; copied)
 * @param item_key name of the string column of item ids
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, empty item_key, item_key not a string column, a feature
 *         column of the wrong type, items without rows
 * @retval REC_ESTATE the model is not built
 * @retval REC_ENOTFOUND item_key or an item-side feature's column is missing from items (the
 *         message names the column and the feature)
 * @retval REC_ENOMEM (the model is unchanged)
 * @since 1.1
 */
REC_API rec_status rec_model_set_catalog(rec_model *model, const rec_dataset *items,
                                         const char *item_key);

/**
 * Number of items in the catalogue.
 * @param model the model (may be NULL: returns 0)
 * @return the catalogue's size, 0 when the model has none or is NULL
 * @since 1.1
 */
REC_API size_t rec_model_catalog_size(const rec_model *model);

/**
 * Id of catalogue item i (the catalogue's order is that of rec_model_set_catalog()).
 * @param model the model (may be NULL: returns NULL)
 * @param i index of the item, < rec_model_catalog_size()
 * @return the id, borrowed from the model (valid until the catalogue is replaced or the model
 *         freed), or NULL out of range or without a catalogue
 * @since 1.1
 */
REC_API const char *rec_model_catalog_item(const rec_model *model, size_t i);

/**
 * Record, for each user id (string column user_key of interactions), the catalogue items
 * they interacted with (string column item_key), for exclude_seen of
 * rec_model_recommend_user() and rec_model_recommend_users(). Interactions whose item is not
 * in the catalogue are ignored. Replaces the earlier record. Saved with the model.
 * @param model a built model with a catalogue
 * @param interactions rows of (user id, item id) pairs; repeats are allowed (only read)
 * @param user_key name of the string column of user ids; the users datasets given to
 *        exclude_seen must have a column of this name
 * @param item_key name of the string column of item ids
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, empty key, a key column that is not a string column
 * @retval REC_ESTATE the model is not built, or has no catalogue
 * @retval REC_ENOTFOUND a key column is missing from interactions
 * @retval REC_ENOMEM (the model is unchanged)
 * @since 1.1
 */
REC_API rec_status rec_model_set_seen(rec_model *model, const rec_dataset *interactions,
                                      const char *user_key, const char *item_key);

/**
 * Top-k catalogue items for row `row` of users, best first: scores descending, ties in
 * catalogue order. Leaves out the items of exclude (ids not in the catalogue are ignored)
 * and, when exclude_seen is non-zero, the items rec_model_set_seen() recorded for the row's
 * user id (read from users' column of the user_key given to it; an id without a record
 * excludes nothing).
 * @param[out] ids_out room for k ids; the first *n_out are written, borrowed from the model
 *             (valid until the catalogue is replaced or the model freed). May be NULL when k
 *             is 0.
 * @param[out] scores_out room for k scores, those of ids_out (may be NULL)
 * @param[out] n_out number written: min(k, items not excluded)
 * @param k number of items wanted; 0 writes none
 * @param model a built model with a catalogue (only read)
 * @param users dataset with the columns of the model's user-side features (only read)
 * @param row the user's row in users
 * @param exclude n_exclude item ids to leave out (may be NULL when n_exclude is 0)
 * @param n_exclude number of ids in exclude
 * @param exclude_seen non-zero: also leave out the user's recorded items
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, row out of range, a column of the wrong type
 * @retval REC_ESTATE the model is not built, has no catalogue, or (exclude_seen) no seen
 *         items
 * @retval REC_ENOTFOUND a user-side feature's column (or, for exclude_seen, the user id
 *         column) is missing from users; the message names the column and the feature
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_model_recommend_user(const char **ids_out, float *scores_out,
                                            size_t *n_out, size_t k, const rec_model *model,
                                            const rec_dataset *users, size_t row,
                                            const char *const *exclude, size_t n_exclude,
                                            int exclude_seen);

/**
 * rec_model_recommend_user() for every row of users (without an exclude list): row r's
 * results are at ids_out[r·k ..] and scores_out[r·k ..], and their count at n_out[r].
 * @param[out] ids_out room for rows·k ids, borrowed from the model as for
 *             rec_model_recommend_user() (may be NULL when k is 0)
 * @param[out] scores_out room for rows·k scores (may be NULL)
 * @param[out] n_out one count per row of users
 * @param k number of items wanted per row; 0 writes none
 * @param model a built model with a catalogue (only read)
 * @param users dataset with the columns of the model's user-side features (only read)
 * @param exclude_seen non-zero: leave out each user's recorded items
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, a column of the wrong type, rows·k overflows
 * @retval REC_ESTATE as for rec_model_recommend_user()
 * @retval REC_ENOTFOUND as for rec_model_recommend_user()
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_model_recommend_users(const char **ids_out, float *scores_out,
                                             size_t *n_out, size_t k, const rec_model *model,
                                             const rec_dataset *users, int exclude_seen);

/**
 * Scores of the given catalogue items for row `row` of users: those of rec_model_predict() on
 * the user's values and each item's catalogue values.
 * @param[out] scores_out n scores, scores_out[j] for item_ids[j] (may be NULL when n is 0)
 * @param n number of items
 * @param model a built model with a catalogue (only read)
 * @param users dataset with the columns of the model's user-side features (only read)
 * @param row the user's row in users
 * @param item_ids n catalogue item ids (repeats allowed; may be NULL when n is 0)
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, row out of range, a column of the wrong type
 * @retval REC_ESTATE the model is not built or has no catalogue
 * @retval REC_ENOTFOUND an id is not in the catalogue, or a user-side column is missing (the
 *         message names it)
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_model_score_items(float *scores_out, size_t n, const rec_model *model,
                                         const rec_dataset *users, size_t row,
                                         const char *const *item_ids);

/**
 * Keep predictions within the label range (rec_model_label_range()): rec_model_predict(), and
 * so rec_model_recommend(), rec_model_recommend_user(), rec_model_recommend_users() and
 * rec_model_score_items(), return min(max(ŷ, min label), max label). rec_model_evaluate()
 * and training see the model's own predictions. Off by default; saved with the model.
 * @param model the model
 * @param clip non-zero: on; 0: off
 * @retval REC_OK
 * @retval REC_EINVAL NULL model
 * @retval REC_ESTATE clip on, but the model has no label range
 * @since 1.1
 */
REC_API rec_status rec_model_set_clip(rec_model *model, int clip);

/**
 * The label range: the least and greatest finite label of the dataset the model was built on
 * (when it has the label column), widened by the labels of every training call since
 * (rec_model_fit(), rec_model_train_epoch(), rec_model_compute_gradients(),
 * rec_model_compute_gradients_features(), rec_model_fit_mcmc()). Saved with the model; a model
 * loaded from a version-1 file has none until it is trained.
 * @param[out] min_out the least label
 * @param[out] max_out the greatest label
 * @param model the model (only read)
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ESTATE no range is known
 * @since 1.1
 */
REC_API rec_status rec_model_label_range(double *min_out, double *max_out,
                                         const rec_model *model);

/**
 * For each row of ds, how many of its values the model has never seen, which prediction maps
 * to the unknown row: a CATEGORICAL value not in its feature's vocabulary (a new user, a new
 * item), each such string of a CATEGORICAL_LIST, each word of a TEXT value outside its text
 * vocabulary. BUCKETIZED and NUMERIC features count nothing. A side (user or item) is counted
 * when ds holds any column its features read, and then ds must hold all of them: a request
 * with only the user's columns counts the user side (a new user), a table of items the item
 * side.
 * @param[out] counts_out n counts, counts_out[r] for row r (may be NULL when n is 0)
 * @param n number of counts; must equal rec_dataset_size(ds)
 * @param model a built model (only read)
 * @param ds rows with the feature columns of one side of the model or of both (only read)
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, a column of the wrong type
 * @retval REC_ESTATE the model is not built
 * @retval REC_ENOTFOUND a feature's column is missing (the message names it and the feature)
 * @retval REC_ESHAPE n ≠ rec_dataset_size(ds)
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_model_count_unknown(uint32_t *counts_out, size_t n,
                                           const rec_model *model, const rec_dataset *ds);

REC_END_DECLS

/** @} */
#endif
