/* Fuzz target for the table loader (rec/table.h). The first 2 bytes of the input choose the
 * options, the rest is the table:
 *   byte 0: bits 0-2 the delimiter (, \t ; | space : ^ x), bit 3 no quoting, bit 4 no header,
 *           bit 5 blank lines are rows, bit 6 missing values refused, bit 7 infer from 1 row
 *   byte 1: bits 0-1 the type forced on column_1 (AUTO, NUMBER, ID, STRING_LIST with ';'),
 *           bit 2 only column_1 and column_2 loaded (column_2 renamed "second")
 * The table is parsed from memory and loaded from a file: both must agree. A success is
 * checked against rec/table.h: rows > 0, strings valid UTF-8, numbers finite or NaN, an
 * integer id column of integers. A failure must have a documented code and a message that
 * names the function and quotes input bytes safely. */
#include "fuzz_common.h"

#include <math.h>

static void check_dataset(const rec_dataset *ds, int id_first)
{
    size_t n = rec_dataset_size(ds);
    FUZZ_CHECK(n > 0 && n < UINT32_MAX, "a successful load has rows");
    for (uint32_t c = 0; c < rec_dataset_n_columns(ds); c++) {
        int type = rec_dataset_column_type(ds, c);
        if (type == REC_COLUMN_NUMBER) {
            for (size_t r = 0; r < n; r++) {
                double v = rec_dataset_number(ds, c, r);
                FUZZ_CHECK(isnan(v) || isfinite(v), "column %u row %zu: %g", c, r, v);
            }
        } else {
            fuzz_check_unique(ds, c, 1);
        }
        if (c == 0 && id_first && type == REC_COLUMN_STRING)
            for (size_t r = 0; r < n; r++) {
                const char *s = rec_dataset_string(ds, c, r);
                FUZZ_CHECK(s != NULL, "id string");
                size_t i = s[0] == '-' || s[0] == '+';
                FUZZ_CHECK(s[0] == '\0' || s[i] != '\0', "id '%s' has no digits", s);
                for (; s[i]; i++)
                    FUZZ_CHECK(s[i] >= '0' && s[i] <= '9', "id '%s' is not an integer", s);
            }
    }
}

/* Same columns, types and values. */
static void check_same(const rec_dataset *a, const rec_dataset *b)
{
    size_t n = rec_dataset_size(a);
    FUZZ_CHECK(n == rec_dataset_size(b), "rows differ between memory and file");
    FUZZ_CHECK(rec_dataset_n_columns(a) == rec_dataset_n_columns(b), "columns differ");
    for (uint32_t c = 0; c < rec_dataset_n_columns(a); c++) {
        FUZZ_CHECK(strcmp(rec_dataset_column_name(a, c), rec_dataset_column_name(b, c)) == 0 &&
                   rec_dataset_column_type(a, c) == rec_dataset_column_type(b, c), "column %u", c);
        for (size_t r = 0; r < n; r++) {
            if (rec_dataset_column_type(a, c) == REC_COLUMN_NUMBER) {
                double x = rec_dataset_number(a, c, r), y = rec_dataset_number(b, c, r);
                FUZZ_CHECK((isnan(x) && isnan(y)) || x == y, "number %u/%zu", c, r);
            } else if (rec_dataset_column_type(a, c) == REC_COLUMN_STRING) {
                FUZZ_CHECK(strcmp(rec_dataset_string(a, c, r), rec_dataset_string(b, c, r)) == 0,
                           "string %u/%zu", c, r);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = {',', '\t', ';', '|', ' ', ':', '^', 'x'};
    static const rec_table_type forced[] = {REC_TABLE_AUTO, REC_TABLE_NUMBER, REC_TABLE_ID,
                                            REC_TABLE_STRING_LIST};
    if (size < 2)
        return 0;
    rec_table_options *o;
    FUZZ_CHECK(rec_table_options_create(&o) == REC_OK, "options");
    FUZZ_CHECK(rec_table_options_set_delimiter(o, delims[data[0] & 7]) == REC_OK, "delimiter");
    if (data[0] & 8)
        FUZZ_CHECK(rec_table_options_set_quote(o, '\0') == REC_OK, "quote");
    rec_table_options_set_header(o, !(data[0] & 16));
    rec_table_options_set_skip_blank_lines(o, !(data[0] & 32));
    if (data[0] & 64)
        rec_table_options_set_missing(o, NULL, REC_MISSING_ERROR);
    if (data[0] & 128)
        rec_table_options_set_infer_rows(o, 1);
    rec_table_type t = forced[data[1] & 3];
    int only = data[1] & 4;
    if (t != REC_TABLE_AUTO || only)
        FUZZ_CHECK(rec_table_options_set_column(o, "column_1", t, NULL) == REC_OK, "column");
    if (t == REC_TABLE_STRING_LIST && delims[data[0] & 7] != ';')
        FUZZ_CHECK(rec_table_options_set_list_separator(o, "column_1", ';') == REC_OK, "sep");
    if (only) {
        rec_table_options_set_only_listed(o, 1);
        FUZZ_CHECK(rec_table_options_set_column(o, "column_2", REC_TABLE_AUTO, "second") ==
                   REC_OK, "column_2");
    }
    static const int allowed[] = {REC_EFORMAT, REC_ENOTFOUND, REC_EINVAL, REC_ENOMEM, 0};
    rec_dataset *mem = (rec_dataset *)&mem;
    int rc = rec_dataset_parse_table(&mem, (const char *)data + 2, size - 2, "t.csv", o);
    if (rc == REC_OK)
        check_dataset(mem, t == REC_TABLE_ID);
    else
        fuzz_check_failure(rc, mem, "rec_dataset_parse_table", allowed);

    char path[256];
    fuzz_write("t.csv", data + 2, size - 2, path, sizeof path);
    rec_dataset *file = (rec_dataset *)&file;
    int rc2 = rec_dataset_load_table(&file, path, o);
    FUZZ_CHECK(rc2 == rc, "memory gave %d, the file %d: %s", rc, rc2, rec_last_error());
    if (rc2 == REC_OK)
        check_same(mem, file);
    rec_dataset_free(mem);
    rec_dataset_free(file);
    rec_table_options_free(o);
    return 0;
}
