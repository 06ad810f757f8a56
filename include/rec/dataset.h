/**
 * @file rec/dataset.h
 * @defgroup dataset Datasets
 * A dataset is a table of n rows and named, typed columns (columnar storage). String columns
 * are dictionary-encoded (each distinct string stored once), number columns hold doubles
 * (int64 timestamps up to 2^53 are exact), string-list columns hold a list of strings per row
 * (a movie's genres). Loaders for MovieLens and delimited files live in rec/movielens.h and
 * here; a caller can also build a dataset from raw values, which is how raw inputs reach
 * rec_model_predict().
 * @{
 */
#ifndef REC_DATASET_H
#define REC_DATASET_H

#include "common.h"

REC_BEGIN_DECLS

/** Column types; values fixed. */
typedef enum rec_column_type {
    REC_COLUMN_STRING = 0,      /**< one UTF-8 string per row */
    REC_COLUMN_NUMBER = 1,      /**< one double per row (NaN marks a missing value) */
    REC_COLUMN_STRING_LIST = 2  /**< zero or more UTF-8 strings per row */
} rec_column_type;

/** "No such column" for optional column positions of rec_dataset_load_delimited(). */
#define REC_NO_COLUMN UINT32_MAX

/**
 * Create an empty dataset of n_rows rows and no columns; add columns with rec_dataset_add_*.
 * @param[out] out new dataset, NULL on failure. Ownership: caller, rec_dataset_free().
 * @param n_rows number of rows every column will have (0 allowed), < 2^32
 * @retval REC_OK
 * @retval REC_EINVAL out NULL or n_rows ≥ 2^32
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_create(rec_dataset **out, size_t n_rows);

/**
 * Free a dataset; NULL is accepted.
 * @param ds the dataset to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_dataset_free(rec_dataset *ds);

/**
 * Add a string column (values copied). n must equal the row count; names are unique.
 * @param ds the dataset that receives the column
 * @param name the new column's name (copied)
 * @param values n NUL-terminated strings, one per row (copied)
 * @param n number of values; must equal rec_dataset_size()
 * @retval REC_OK
 * @retval REC_EINVAL NULL name/value or duplicate name
 * @retval REC_ESHAPE
 * @retval REC_ENOMEM (dataset unchanged)
 * @since 1.0
 */
REC_API rec_status rec_dataset_add_strings(rec_dataset *ds, const char *name,
                                           const char *const *values, size_t n);

/**
 * Add a number column. NaN marks a missing value; infinities are refused.
 * @param ds the dataset that receives the column
 * @param name the new column's name (copied)
 * @param values n numbers, one per row (copied); NaN marks a missing value
 * @param n number of values; must equal rec_dataset_size()
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE
 * @retval REC_ENUMERIC an infinite value
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_add_numbers(rec_dataset *ds, const char *name,
                                           const double *values, size_t n);

/**
 * Add a string-list column in CSR form: row r holds values[offsets[r] .. offsets[r+1]);
 * offsets has n + 1 non-decreasing entries starting at 0.
 * @param ds the dataset that receives the column
 * @param name the new column's name (copied)
 * @param values offsets[n] NUL-terminated strings, the lists one after another (copied)
 * @param offsets n + 1 non-decreasing offsets into values, starting at 0
 * @param n number of rows; must equal rec_dataset_size()
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_add_string_lists(rec_dataset *ds, const char *name,
                                                const char *const *values, const size_t *offsets,
                                                size_t n);

/**
 * Number of rows.
 * @param ds the dataset (may be NULL: returns 0)
 * @return the row count, or 0 when ds is NULL
 * @since 1.0
 */
REC_API size_t rec_dataset_size(const rec_dataset *ds);

/**
 * Number of columns.
 * @param ds the dataset (may be NULL: returns 0)
 * @return the column count, or 0 when ds is NULL
 * @since 1.0
 */
REC_API size_t rec_dataset_n_columns(const rec_dataset *ds);

/**
 * Position of a column by name.
 * @param[out] index_out the column's position
 * @param ds the dataset (only read)
 * @param name NUL-terminated column name
 * @retval REC_OK
 * @retval REC_ENOTFOUND (message names it)
 * @retval REC_EINVAL
 * @since 1.0
 */
REC_API rec_status rec_dataset_column(uint32_t *index_out, const rec_dataset *ds,
                                      const char *name);

/**
 * Name of column col (borrowed), or NULL when out of range.
 * @param ds the dataset (may be NULL: returns NULL)
 * @param col column position, 0..rec_dataset_n_columns() − 1
 * @return the name, or NULL when ds is NULL or col is out of range
 * @since 1.0
 */
REC_API const char *rec_dataset_column_name(const rec_dataset *ds, uint32_t col);

/**
 * Type of column col (a rec_column_type), or -1 when out of range.
 * @param ds the dataset (may be NULL: returns -1)
 * @param col column position, 0..rec_dataset_n_columns() − 1
 * @return a ::rec_column_type, or -1 when ds is NULL or col is out of range
 * @since 1.0
 */
REC_API int rec_dataset_column_type(const rec_dataset *ds, uint32_t col);

/**
 * String at (col, row) of a string column (borrowed), or NULL on a bad position/type.
 * @param ds the dataset (may be NULL: returns NULL)
 * @param col position of a string column
 * @param row row index, < rec_dataset_size()
 * @return the string, or NULL when ds is NULL, col is not a string column or row is out of range
 * @since 1.0
 */
REC_API const char *rec_dataset_string(const rec_dataset *ds, uint32_t col, size_t row);

/**
 * Number at (col, row) of a number column, or NaN on a bad position/type.
 * @param ds the dataset (may be NULL: returns NaN)
 * @param col position of a number column
 * @param row row index, < rec_dataset_size()
 * @return the number (NaN when missing), or NaN when ds is NULL or the position/type is bad
 * @since 1.0
 */
REC_API double rec_dataset_number(const rec_dataset *ds, uint32_t col, size_t row);

/**
 * Strings of (col, row) of a string-list column (borrowed pointers): writes min(count, cap)
 * and the count.
 * @param[out] out receives min(count, cap) borrowed pointers; may be NULL when cap is 0
 * @param cap capacity of out
 * @param[out] n_out the list's length (count)
 * @param ds the dataset (only read)
 * @param col position of a string-list column
 * @param row row index, < rec_dataset_size()
 * @retval REC_OK
 * @retval REC_EINVAL bad position or type
 * @since 1.0
 */
REC_API rec_status rec_dataset_string_list(const char **out, size_t cap, size_t *n_out,
                                           const rec_dataset *ds, uint32_t col, size_t row);

/**
 * Distinct strings of a string or string-list column, sorted by bytes (borrowed pointers):
 * writes min(count, cap) and the count (call with cap 0 to size the buffer).
 * @param[out] out receives min(count, cap) borrowed pointers; may be NULL when cap is 0
 * @param cap capacity of out
 * @param[out] n_out the number of distinct strings (count)
 * @param ds the dataset (only read)
 * @param col position of a string or string-list column
 * @retval REC_OK
 * @retval REC_EINVAL bad column or type
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_unique_strings(const char **out, size_t cap, size_t *n_out,
                                              const rec_dataset *ds, uint32_t col);

/**
 * Copy a number column.
 * @param[out] out n numbers
 * @param n capacity of out; must equal rec_dataset_size()
 * @param ds the dataset (only read)
 * @param col position of a number column
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ESHAPE n ≠ rows
 * @since 1.0
 */
REC_API rec_status rec_dataset_numbers(double *out, size_t n, const rec_dataset *ds,
                                       uint32_t col);

/**
 * New dataset made of the given rows, in that order (repeats allowed).
 * @param[out] out new dataset, NULL on failure. Ownership: caller, rec_dataset_free().
 * @param ds the source dataset (only read)
 * @param rows n row indices of ds, each < rec_dataset_size(ds)
 * @param n number of rows of the new dataset
 * @retval REC_OK
 * @retval REC_EINVAL a row out of range
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_subset(rec_dataset **out, const rec_dataset *ds,
                                      const uint32_t *rows, size_t n);

/**
 * Seeded shuffle of all rows (rec_rng_shuffle_u32 of 0..n−1 with rec_rng seeded by seed), then
 * the first n_first rows go to first and the rest to second (the tutorial's 80,000 / 20,000).
 * @param[out] first new dataset of the first n_first shuffled rows. Ownership: caller.
 * @param[out] second new dataset of the remaining rows. Ownership: caller.
 * @param ds the source dataset (only read)
 * @param n_first number of rows that go to first, ≤ rec_dataset_size(ds)
 * @param seed seed of the shuffle
 * @retval REC_OK
 * @retval REC_EINVAL n_first > rows
 * @retval REC_ENOMEM (both NULL)
 * @since 1.0
 */
REC_API rec_status rec_dataset_shuffle_split(rec_dataset **first, rec_dataset **second,
                                             const rec_dataset *ds, size_t n_first,
                                             uint64_t seed);

/**
 * Add a string-list column holding, for every row of ds, the values of value_column over the
 * rows of source whose key_column equals the row's key_column, in source's row order (repeats
 * kept). With key "user_id" and value "movie_id" it is the list of movies the row's user rated
 * in source — SVD++'s implicit feedback N(u) — and with key "movie_id" and value "user_id" the
 * users who rated the row's movie; a CATEGORICAL_LIST feature over it gives a model that
 * information. Pass the training set as source (also when ds is a validation or test set), so
 * that no held-out rating or membership leaks into the features. A key absent from source
 * gives an empty list.
 * @param ds dataset that receives the column
 * @param name the new column's name (not already in ds; copied)
 * @param source dataset the lists are gathered from, usually the training set (only read)
 * @param key_column name of a string column present in both ds and source that joins them
 *        (e.g. "user_id")
 * @param value_column name of a string column of source whose values make up the lists
 *        (e.g. "movie_id")
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument, empty or duplicate name, a key or value column that is not
 *         a string column
 * @retval REC_ENOTFOUND key_column missing from ds or source, value_column missing from source
 * @retval REC_ENOMEM (ds unchanged)
 * @since 1.0
 */
REC_API rec_status rec_dataset_add_history(rec_dataset *ds, const char *name,
                                           const rec_dataset *source, const char *key_column,
                                           const char *value_column);

/** What rec_dataset_join() does with keys that the two sides do not share; values fixed. */
typedef enum rec_join_policy {
    /** every key of ds must be in side (else REC_ENOTFOUND naming the first missing key, its
     * row and the count of missing keys); side rows that no row of ds uses are fine */
    REC_JOIN_REQUIRE_MATCH = 0,
    /** a row of ds whose key is absent from side gets NaN in number columns, the empty string
     * "" in string columns and an empty list in string-list columns */
    REC_JOIN_FILL_MISSING = 1,
    /** as ::REC_JOIN_REQUIRE_MATCH, and every key of side must be used by some row of ds
     * (else REC_ENOTFOUND naming the first unused side key) */
    REC_JOIN_EXACT = 2
} rec_join_policy;

/**
 * Join a side table onto ds: copy every column of side except its key onto ds, one value per
 * row of ds, the value of the side row whose key equals the row's key. A side table holds one
 * row per user or per item (a user's age, an item's title and genres), as loaded from a file of
 * its own; joined, its columns can feed features like the columns of the interactions. Keys
 * are matched as strings through the columns' dictionaries, in O(rows of ds + rows of side).
 * The new columns keep side's names, types and order, after ds's columns; their dictionaries
 * hold the strings of ds's rows only, in first-seen order.
 * @param[out] n_unmatched_out rows of ds whose key is not in side (filled under
 *        ::REC_JOIN_FILL_MISSING); may be NULL. Written on success and on REC_ENOTFOUND.
 * @param[out] n_unused_out rows of side whose key no row of ds has; may be NULL. Written on
 *        success and on REC_ENOTFOUND.
 * @param ds the dataset that receives the columns (unchanged on any failure)
 * @param key name of a string column of ds holding the key
 * @param side the side table (only read), with unique keys; may have 0 rows
 * @param side_key name of side's string key column; NULL: the same name as key
 * @param policy a ::rec_join_policy
 * @retval REC_OK
 * @retval REC_EINVAL NULL ds, key or side; unknown policy; a key column that is not a string
 *         column (the message names it and its type); a key repeated in side (the message
 *         names it and both rows); a column of side whose name ds already has
 * @retval REC_ENOTFOUND a key column missing; under ::REC_JOIN_REQUIRE_MATCH or
 *         ::REC_JOIN_EXACT a key of ds missing from side, under ::REC_JOIN_EXACT a key of side
 *         that no row of ds uses
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_dataset_join(size_t *n_unmatched_out, size_t *n_unused_out,
                                    rec_dataset *ds, const char *key, const rec_dataset *side,
                                    const char *side_key, rec_join_policy policy);

/**
 * Load a delimited ratings file by field positions: one rating per line; fields separated by
 * delimiter, without quoting (every byte is literal); the columns user_col, item_col,
 * rating_col (and timestamp_col unless ::REC_NO_COLUMN) counted from 0. Gives string columns
 * "user_id", "item_id" (never empty) and number columns "user_rating", "timestamp" (when
 * asked; never missing; spaces around a number ignored), in that order. Every line needs at
 * least as many fields as the largest position asks for; later fields are ignored. has_header
 * skips the first line; blank lines, a trailing carriage return and a leading UTF-8 byte order
 * mark are ignored. It reads through the table loader (rec/table.h), whose
 * rec_dataset_load_table() takes columns by header name, with quoting, types and missing
 * values: messages name the line and the column ("ratings.csv:5: column 'user_rating' (3):
 * 'abc' is not a number").
 * @param[out] out new dataset, NULL on failure. Ownership: caller, rec_dataset_free().
 * @param path file to read
 * @param delimiter field separator (e.g. a tab for u.data)
 * @param has_header non-zero: skip the first line
 * @param user_col field of the user id, counted from 0
 * @param item_col field of the item id, counted from 0
 * @param rating_col field of the rating, counted from 0
 * @param timestamp_col field of the timestamp, or ::REC_NO_COLUMN for none
 * @retval REC_OK
 * @retval REC_EIO cannot open/read
 * @retval REC_EFORMAT a malformed line (file, line and column named): missing field, empty id
 * or one that is not valid UTF-8 or holds a NUL byte, empty, non-numeric or non-finite
 * rating/timestamp, empty file
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_load_delimited(rec_dataset **out, const char *path,
                                              char delimiter, int has_header, uint32_t user_col,
                                              uint32_t item_col, uint32_t rating_col,
                                              uint32_t timestamp_col);

/**
 * Shuffled mini-batches of row indices over 0..n_examples−1, reshuffled at the start of every
 * epoch from the handle's own rng (or in order when shuffle is 0).
 * @param[out] out new handle. Ownership: caller, rec_batches_free().
 * @param n_examples number of rows to cover, 1..2^32 − 1
 * @param batch_size rows per batch, > 0 (the last batch of an epoch may be smaller)
 * @param shuffle non-zero: a new random order every epoch; 0: rows in order 0, 1, 2, ...
 * @param seed seeds the handle's own generator (used only when shuffle is non-zero)
 * @retval REC_OK
 * @retval REC_EINVAL n_examples or batch_size 0, n_examples ≥ 2^32
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_batches_create(rec_batches **out, size_t n_examples, size_t batch_size,
                                      int shuffle, uint64_t seed);

/**
 * Free; NULL is accepted.
 * @param b the handle to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_batches_free(rec_batches *b);

/**
 * Next batch of the current epoch: *rows_out points at *n_out row indices (borrowed, valid
 * until the next call). At the end of an epoch *n_out is 0 and the next call starts a new
 * epoch (reshuffled). The last batch of an epoch may be smaller.
 * @param[out] rows_out the batch's row indices (borrowed)
 * @param[out] n_out the batch's size; 0 at the end of an epoch
 * @param b the handle, advanced by one batch
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @since 1.0
 */
REC_API rec_status rec_batches_next(const uint32_t **rows_out, size_t *n_out, rec_batches *b);

/**
 * Batches per epoch: ceil(n_examples / batch_size).
 * @param b the handle (may be NULL: returns 0)
 * @return the number of batches per epoch, or 0 when b is NULL
 * @since 1.0
 */
REC_API size_t rec_batches_count(const rec_batches *b);

REC_END_DECLS

/** @} */
#endif
