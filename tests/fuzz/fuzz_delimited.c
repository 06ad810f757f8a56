/* Fuzz target for rec_dataset_load_delimited(). The first 4 bytes of the input choose the
 * arguments, the rest is the file:
 *   byte 0: delimiter (one of , \t ; | space, or any byte when ≥ 0xF0: the low bits pick
 *           0x00..0x0F, so NUL, '\n' and '\r' are tried and must be refused with REC_EINVAL)
 *   byte 1: bit 0 has_header, bit 1 no timestamp column
 *   byte 2: user column (low nibble) and item column (high nibble), mod 6
 *   byte 3: rating column (low nibble) and timestamp column (high nibble), mod 6
 * A success is checked against rec/dataset.h: columns user_id, item_id (non-empty UTF-8
 * strings without the delimiter or a line break), user_rating and timestamp (finite numbers). */
#include "fuzz_common.h"

#include <math.h>

static void check_dataset(const rec_dataset *ds, char delim, int with_time)
{
    size_t n = rec_dataset_size(ds);
    FUZZ_CHECK(n > 0, "a successful load has rows");
    FUZZ_CHECK(rec_dataset_n_columns(ds) == (size_t)(with_time ? 4 : 3), "column count");
    uint32_t user = fuzz_column(ds, "user_id"), item = fuzz_column(ds, "item_id");
    uint32_t rating = fuzz_column(ds, "user_rating");
    uint32_t time = with_time ? fuzz_column(ds, "timestamp") : 0;
    for (size_t r = 0; r < n; r++) {
        const char *ids[2] = {rec_dataset_string(ds, user, r), rec_dataset_string(ds, item, r)};
        for (int k = 0; k < 2; k++) {
            FUZZ_CHECK(ids[k] && ids[k][0], "row %zu: empty id", r);
            FUZZ_CHECK(!strchr(ids[k], delim) && !strchr(ids[k], '\n'),
                       "row %zu: id '%s' holds the delimiter or a newline", r, ids[k]);
        }
        FUZZ_CHECK(isfinite(rec_dataset_number(ds, rating, r)), "row %zu: rating %g", r,
                   rec_dataset_number(ds, rating, r));
        if (with_time)
            FUZZ_CHECK(isfinite(rec_dataset_number(ds, time, r)), "row %zu: timestamp", r);
    }
    fuzz_check_unique(ds, user, 1); /* ids are valid UTF-8 (the loader checks) */
    fuzz_check_unique(ds, item, 1);
    double *v = malloc(n * sizeof *v);
    FUZZ_CHECK(v && rec_dataset_numbers(v, n, ds, rating) == REC_OK, "numbers");
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[] = {',', '\t', ';', '|', ' '};
    if (size < 4)
        return 0;
    char delim = data[0] >= 0xF0 ? (char)(data[0] & 0x0F) : delims[data[0] % sizeof delims];
    int has_header = data[1] & 1, with_time = !(data[1] & 2);
    uint32_t user_col = (data[2] & 15) % 6, item_col = (data[2] >> 4) % 6;
    uint32_t rating_col = (data[3] & 15) % 6;
    uint32_t time_col = with_time ? (uint32_t)((data[3] >> 4) % 6) : REC_NO_COLUMN;
    char path[256];
    fuzz_write("ratings.txt", data + 4, size - 4, path, sizeof path);

    rec_dataset *ds = (rec_dataset *)&ds;
    int rc = rec_dataset_load_delimited(&ds, path, delim, has_header, user_col, item_col,
                                        rating_col, time_col);
    if (delim == '\0' || delim == '\n' || delim == '\r') {
        FUZZ_CHECK(rc == REC_EINVAL && ds == NULL, "delimiter %d accepted", delim);
        return 0;
    }
    if (rc == REC_OK) {
        check_dataset(ds, delim, with_time);
        rec_dataset_free(ds);
    } else {
        static const int allowed[] = {REC_EFORMAT, REC_EIO, REC_ENOMEM, 0};
        fuzz_check_failure(rc, ds, "rec_dataset_load_delimited", allowed);
    }
    return 0;
}
