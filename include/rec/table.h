/**
 * @file rec/table.h
 * @defgroup table Tables
 * Load a delimited text table (CSV, TSV, or any single-byte delimiter) into a dataset, by
 * header names. Quoting follows RFC 4180: a field in quotes may hold the delimiter, doubled
 * quotes (`""` is one `"`) and newlines; a quote inside an unquoted field is an ordinary
 * character. Lines end in LF or CRLF; a UTF-8 byte order mark before the header is dropped.
 *
 * Columns are chosen and typed through a ::rec_table_options (NULL: every column, types
 * inferred): a type per column, a new name, a list separator, a missing-value policy. Every
 * string is validated as UTF-8. The file is read in blocks, so memory grows with the dataset,
 * not with the file. Every error names the file, the line, and the column by name and
 * 1-based number: `rec_dataset_load_table: ratings.csv:7: column 'rating' (3): 'four' is not
 * a number`, or `ratings.csv:3: expected 5 fields, found 4`. docs/data.md is the guide.
 * @{
 */
#ifndef REC_TABLE_H
#define REC_TABLE_H

#include "common.h"

REC_BEGIN_DECLS

/** Column types a table column is read as; values fixed. */
typedef enum rec_table_type {
    REC_TABLE_AUTO = 0,        /**< inferred from the first rows (rec_table_options_set_infer_rows()) */
    REC_TABLE_STRING = 1,      /**< a string column, each value kept as written */
    REC_TABLE_NUMBER = 2,      /**< a number column (decimal, optional exponent); empty → NaN */
    REC_TABLE_ID = 3,          /**< an integer id kept as a string column ("0042" stays "0042") */
    REC_TABLE_INTEGER = 4,     /**< an integer (|v| ≤ 2^53) kept as a number column */
    REC_TABLE_STRING_LIST = 5, /**< a string-list column, split on the list separator */
    REC_TABLE_SKIP = 6         /**< not loaded */
} rec_table_type;

/** What an empty field means; values fixed. */
typedef enum rec_missing {
    /** Allowed: NaN in number and integer columns, the empty string "" (a value of its own)
     * in string and id columns, an empty list in list columns. The default. */
    REC_MISSING_ALLOW = 0,
    /** Refused: an empty field is an error naming the line and the column. */
    REC_MISSING_ERROR = 1
} rec_missing;

/**
 * Create table options with the defaults: delimiter ',', quote '"', a header line, types
 * inferred from the first 1000 rows, blank lines skipped, every column loaded, missing values
 * allowed, list separator '|'.
 * @param[out] out new options. Ownership: caller, rec_table_options_free().
 * @retval REC_OK
 * @retval REC_EINVAL out NULL
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_table_options_create(rec_table_options **out);

/**
 * Free table options; NULL is accepted.
 * @param o the options (may be NULL: nothing happens)
 * @since 1.1
 */
REC_API void rec_table_options_free(rec_table_options *o);

/**
 * Field delimiter: any single byte but NUL, '\\n', '\\r' and the quote character ('\\t' for TSV).
 * @param o the options
 * @param delimiter the delimiter byte
 * @retval REC_OK
 * @retval REC_EINVAL o NULL, or a refused byte
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_delimiter(rec_table_options *o, char delimiter);

/**
 * Quote character, or '\\0' for none (every byte is then literal, as in MovieLens files).
 * @param o the options
 * @param quote the quote byte, or '\\0'
 * @retval REC_OK
 * @retval REC_EINVAL o NULL, or quote is '\\n', '\\r' or the delimiter
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_quote(rec_table_options *o, char quote);

/**
 * Whether the first line names the columns (default 1). Without a header, the columns are
 * named `column_1`, `column_2`, … in the options and in the dataset (rename them with
 * rec_table_options_set_column()).
 * @param o the options
 * @param has_header 1 or 0
 * @retval REC_OK
 * @retval REC_EINVAL o NULL
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_header(rec_table_options *o, int has_header);

/**
 * How many data rows type inference reads (default 1000). A column is inferred as a number
 * column when every non-empty value of those rows is a number, as an id column
 * (::REC_TABLE_ID) when its values are integers and its name says id (`id`, `user`, `item`,
 * or ending in `_id`, `-id`, ` id`, `.id`, `Id` or `ID`, or `userid`/`itemid` in any case),
 * else as a string column. A later row that does not fit the inferred type is an error that
 * names the inference and the remedy.
 * @param o the options
 * @param n_rows rows read before the types are fixed, ≥ 1
 * @retval REC_OK
 * @retval REC_EINVAL o NULL or n_rows 0
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_infer_rows(rec_table_options *o, size_t n_rows);

/**
 * Whether empty lines are skipped (default 1, as a trailing newline makes one). With 0, an
 * empty line is a row of one empty field: an error in a table of several columns.
 * @param o the options
 * @param skip 1 or 0
 * @retval REC_OK
 * @retval REC_EINVAL o NULL
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_skip_blank_lines(rec_table_options *o, int skip);

/**
 * Type and name of one column, by its header name (or `column_N` without a header). Calling
 * it again for the same column replaces the type and the name.
 * @param o the options
 * @param column the column's name in the file
 * @param type its type (::REC_TABLE_AUTO: inferred; ::REC_TABLE_SKIP: not loaded)
 * @param rename the column's name in the dataset, or NULL to keep `column`
 * @retval REC_OK
 * @retval REC_EINVAL o or column NULL, column or rename empty, type unknown, or rename is
 *         already the new name of another column
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_column(rec_table_options *o, const char *column,
                                                rec_table_type type, const char *rename);

/**
 * Whether only the columns named by rec_table_options_set_column() are loaded (default 0:
 * every column not skipped). A named column absent from the file is an error either way.
 * @param o the options
 * @param only 1 or 0
 * @retval REC_OK
 * @retval REC_EINVAL o NULL
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_only_listed(rec_table_options *o, int only);

/**
 * Separator of a string-list column's values (default '|'); makes the column a list column
 * when its type is ::REC_TABLE_AUTO. Values are not trimmed; empty values between separators
 * are dropped ("a||b" is {a, b}).
 * @param o the options
 * @param column the column's name in the file
 * @param separator the separator byte: not NUL, '\\n', '\\r' or the delimiter
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_list_separator(rec_table_options *o, const char *column,
                                                        char separator);

/**
 * Missing-value policy of one column, or of every column not given its own (column NULL).
 * @param o the options
 * @param column the column's name in the file, or NULL for the default
 * @param policy ::REC_MISSING_ALLOW or ::REC_MISSING_ERROR
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_table_options_set_missing(rec_table_options *o, const char *column,
                                                 rec_missing policy);

/**
 * Load a table from a file.
 * @param[out] out the new dataset, NULL on failure. Ownership: caller, rec_dataset_free().
 * @param path the file: a regular file (a directory, FIFO or device is refused)
 * @param options the options, or NULL for the defaults (only read; may be reused)
 * @retval REC_OK
 * @retval REC_EINVAL out or path NULL
 * @retval REC_EIO the file cannot be opened or read
 * @retval REC_EFORMAT a malformed table (the message names file, line and column)
 * @retval REC_ENOTFOUND a column named in the options is not in the file
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_dataset_load_table(rec_dataset **out, const char *path,
                                          const rec_table_options *options);

/**
 * Load a table from memory, as rec_dataset_load_table() does from a file.
 * @param[out] out the new dataset, NULL on failure. Ownership: caller, rec_dataset_free().
 * @param data the table's bytes (need not end in NUL or a newline); NULL only when size is 0
 * @param size number of bytes
 * @param name what messages call the table in place of a file name (NULL: "<memory>")
 * @param options the options, or NULL for the defaults
 * @retval REC_OK
 * @retval REC_EINVAL
 * @retval REC_EFORMAT
 * @retval REC_ENOTFOUND
 * @retval REC_ENOMEM
 * @since 1.1
 */
REC_API rec_status rec_dataset_parse_table(rec_dataset **out, const char *data, size_t size,
                                           const char *name, const rec_table_options *options);

REC_END_DECLS

/** @} */
#endif
