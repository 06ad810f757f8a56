/*
 * Ratings from a delimited text file by field position (rec_dataset_load_delimited, the 1.0
 * loader): the table loader (table.c) with positional options. No quoting (every byte is
 * literal, as in 1.0), rows of at least as many fields as the largest position asks for (later
 * fields ignored), the columns user_id and item_id (strings, never empty) and user_rating and
 * timestamp (numbers, never missing), in that order whatever the positions.
 */
#include "data/loader.h"


static const char FN[] = "rec_dataset_load_delimited";

rec_status rec_dataset_load_delimited(rec_dataset **out, const char *path, char delimiter,
                                      int has_header, uint32_t user_col, uint32_t item_col,
                                      uint32_t rating_col, uint32_t timestamp_col)
{
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", FN);
    *out = NULL;
    if (!path)
        return rec__error(REC_EINVAL, "%s: path is NULL", FN);
    if (delimiter == '\0' || delimiter == '\n' || delimiter == '\r')
        return rec__error(REC_EINVAL, "%s: delimiter must not be NUL, '\\n' or '\\r'", FN);
    if (user_col == REC_NO_COLUMN || item_col == REC_NO_COLUMN || rating_col == REC_NO_COLUMN)
        return rec__error(REC_EINVAL, "%s: %s is REC_NO_COLUMN (only timestamp_col may be)", FN,
                          user_col == REC_NO_COLUMN ? "user_col"
                          : item_col == REC_NO_COLUMN ? "item_col" : "rating_col");
    const uint32_t want[4] = {user_col, item_col, rating_col, timestamp_col};
    size_t n_needed = 0; /* 1 + the largest position asked for */
    for (int j = 0; j < 4; j++)
        if (want[j] != REC_NO_COLUMN && (size_t)want[j] + 1 > n_needed)
            n_needed = (size_t)want[j] + 1;

    rec_table_options o;
    rec__table_options_defaults(&o);
    o.delim = delimiter;
    o.quote = '\0';
    o.header = has_header != 0;
    o.min_fields = n_needed;
    rec_status rc = rec__table_options_add_position(&o, user_col, "user_id", REC_TABLE_STRING,
                                                    REC_MISSING_ERROR);
    if (rc == REC_OK)
        rc = rec__table_options_add_position(&o, item_col, "item_id", REC_TABLE_STRING,
                                             REC_MISSING_ERROR);
    if (rc == REC_OK)
        rc = rec__table_options_add_position(&o, rating_col, "user_rating",
                                             REC_TABLE_NUMBER, REC_MISSING_ERROR);
    if (rc == REC_OK && timestamp_col != REC_NO_COLUMN)
        rc = rec__table_options_add_position(&o, timestamp_col, "timestamp",
                                             REC_TABLE_NUMBER, REC_MISSING_ERROR);
    if (rc == REC_OK)
        rc = rec__table_load(out, path, NULL, 0, NULL, &o, FN);
    else
        rc = rec__error(REC_ENOMEM, "%s: out of memory", FN);
    rec__table_options_release(&o);
    return rc;
}
