/*
 * lib/data: datasets and their loaders. The columnar layout behind rec_dataset is shared with
 * the model code, so the hot path reads codes and values directly (no strings, no per-row
 * calls). Above lib/base. Never installed.
 */
#ifndef REC_LIB_DATA_H
#define REC_LIB_DATA_H

#include "base/base.h"

/* The columns the MovieLens, delimited and synthetic loaders make (the delimited loader's item
 * is "item_id"); rec_model_create_preset reads them, and 1.0's rec_model_create takes the
 * rating as its default label (lib/model). */
#define REC__COL_USER "user_id"
#define REC__COL_ITEM "movie_title"
#define REC__COL_RATING "user_rating"
#define REC__COL_TIME "timestamp"

/* Dictionary of the distinct strings of a column, in first-seen order. */
typedef struct rec__dict {
    char **strings;    /* n distinct strings, owned */
    size_t n, cap;
    uint32_t *slots;   /* open-addressing hash: index+1 into strings, 0 = empty */
    size_t n_slots;    /* power of two */
} rec__dict;

typedef struct rec__column {
    char *name;
    int type;          /* rec_column_type */
    double *numbers;   /* NUMBER: n_rows values */
    uint32_t *codes;   /* STRING: n_rows codes into dict; LIST: offsets[n_rows] codes */
    size_t *offsets;   /* LIST: n_rows + 1 */
    rec__dict dict;    /* STRING and LIST */
} rec__column;

struct rec_dataset {
    size_t n_rows;
    rec__column *cols;
    size_t n_cols, cap_cols;
};

/* Dictionary helpers (dict.c). rec__dict_intern returns the code of s, adding it.
 * s need not be '\0'-terminated; it must not contain a '\0' (REC_EINVAL). Returns
 * REC_ENOMEM (dictionary unchanged) or REC_EINVAL without setting the message: the caller
 * knows the context. A zeroed rec__dict is a valid empty dictionary. */
REC_HIDDEN rec_status rec__dict_intern(rec__dict *d, const char *s, size_t len, uint32_t *code);
REC_HIDDEN void rec__dict_release(rec__dict *d);
/* Code of s without adding it: 1 and *code when present, else 0. */
REC_HIDDEN int rec__dict_find(const rec__dict *d, const char *s, size_t len, uint32_t *code);
/* Deep copy (same codes). REC_ENOMEM leaves dst zeroed; no message set. */
REC_HIDDEN rec_status rec__dict_copy(rec__dict *dst, const rec__dict *src);

/* Note for readers of dict: a column built by rec_dataset_add_* or a loader uses every string
 * of its dictionary, in first-seen row order. A rec_dataset_subset() / shuffle_split() copies
 * the parent's dictionaries unchanged so that codes agree between the parts (a model can index
 * tables by code across train and test); its dictionary may then hold strings that none of its
 * rows uses. rec_dataset_unique_strings() reports only the strings in use. */

/* Column by name, or NULL (no error set). */
REC_HIDDEN const rec__column *rec__dataset_find(const rec_dataset *ds, const char *name);

/* Room for n more columns in ds (grows only), so that adopting that many cannot fail for
 * memory: REC_ENOMEM without a message, ds unchanged. */
REC_HIDDEN rec_status rec__dataset_reserve_columns(rec_dataset *ds, size_t n);

/* Take ownership of a fully built column (name included); on failure the column is released. */
REC_HIDDEN rec_status rec__dataset_adopt_column(rec_dataset *ds, rec__column *col);
REC_HIDDEN void rec__dataset_column_release(rec__column *col);

#endif
