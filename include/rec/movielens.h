/**
 * @file rec/movielens.h
 * @defgroup movielens MovieLens 100K
 * Loader for the unpacked GroupLens ml-100k directory. librec does not ship the data (its
 * licence forbids redistribution): `examples/get-movielens.sh` downloads and verifies it.
 *
 * Each rating line (`user \t item \t rating \t time`) becomes one row with the TFDS
 * `movielens/100k-ratings` features, joined from u.item and u.user:
 * | column | type | from |
 * |---|---|---|
 * | user_id | string | u.data field 1 ("42") |
 * | movie_id | string | u.data field 2 |
 * | user_rating | number | u.data field 3, integer 1..5 |
 * | timestamp | number | u.data field 4, seconds |
 * | movie_title | string | u.item field 2, ISO-8859-1 converted to UTF-8 |
 * | movie_genres | string list | u.item genre flags → genre names from u.genre |
 * | release_date | string | u.item field 3 ("01-Jan-1995", "" when missing) |
 * | release_year | number | year of release_date, NaN when missing |
 * | raw_user_age | number | u.user field 2 |
 * | bucketized_user_age | number | 1, 18, 25, 35, 45, 50 or 56 (ML-1M buckets) |
 * | user_gender | string | u.user field 3 ("M" / "F") |
 * | user_occupation_text | string | u.user field 4 |
 * | user_occupation_label | number | its line number (0-based) in u.occupation |
 * | user_zip_code | string | u.user field 5 |
 * | user_zip_prefix | string | its first character ("" when empty): for US codes the first digit, a broad region (0 north-east … 9 west coast); for the few Canadian codes, a letter |
 * @{
 */
#ifndef REC_MOVIELENS_H
#define REC_MOVIELENS_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Load MovieLens 100K ratings joined with their movie and user features.
 * @param[out] out new dataset, NULL on failure. Ownership: caller, rec_dataset_free().
 * @param dir the unpacked ml-100k directory
 * @param ratings_file NULL for "u.data" (all 100,000 ratings), or a fold file name such as
 *        "u1.base" / "u1.test" (a plain name inside dir, no '/')
 * @retval REC_OK
 * @retval REC_EIO a file is missing or unreadable (named)
 * @retval REC_EFORMAT a malformed line (file and line named): too few fields, non-numeric
 *         field, rating outside 1..5, a user or movie not in u.user / u.item, a truncated
 *         last line, an empty file
 * @retval REC_EINVAL NULL argument or bad file name
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_dataset_load_movielens(rec_dataset **out, const char *dir,
                                              const char *ratings_file);

REC_END_DECLS

/** @} */
#endif
