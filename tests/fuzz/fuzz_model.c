/* Fuzz target for rec_model_load() (the format is docs/file-format.md). Byte 0 of the input
 * chooses how the rest, the file, is repaired before it is written:
 *   mode 0: not at all (the header, table and section checks face raw mutations);
 *   mode 1: the file size field and every CRC (header, table, sections) are recomputed, so a
 *           mutation inside a section reaches the section parsers instead of the checksum;
 *   mode 2: as 1, after laying the sections out contiguously from the table's end with their
 *           recorded lengths, the last one taking the rest of the file (inserted or deleted
 *           bytes then shift section contents instead of breaking the layout).
 * A failed load must follow the contract (documented code, NULL output, message naming
 * rec_model_load). A successful one must give a built model that describes itself (summary,
 * Graphviz), whose tables can be read, and that saves and reloads to a byte-identical file. */
/* Finding F4 (docs/RELIABILITY.md): rec_model_load refuses strings that are not UTF-8, but a
 * valid-UTF-8 column name may hold control characters, which later messages quote unescaped;
 * until names are escaped in messages the message-bytes check stays off here. */
#define FUZZ_SKIP_MESSAGE_BYTES 1
#include "fuzz_common.h"

#include <math.h>

static uint32_t crc_table[256];

static uint32_t crc32(const uint8_t *p, size_t n)
{
    if (!crc_table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

/* Repair a file of size bytes in place (modes 1 and 2 above). */
static void repair(uint8_t *f, size_t size, int relayout)
{
    if (size < 32)
        return;
    uint64_t n = get_le(f + 12, 4);
    if (n <= 64 && 32 + 24 * n <= size) {
        uint8_t *table = f + 32;
        uint64_t off = 32 + 24 * n;
        for (uint64_t i = 0; i < n; i++) {
            uint8_t *e = table + 24 * i;
            if (relayout) {
                uint64_t len = get_le(e + 16, 8);
                if (i == n - 1 || len > size - off)
                    len = size - off;
                put_le(e + 8, off, 8);
                put_le(e + 16, len, 8);
                off += len;
            }
            uint64_t o = get_le(e + 8, 8), len = get_le(e + 16, 8);
            if (o <= size && len <= size - o)
                put_le(e + 4, crc32(f + o, (size_t)len), 4);
        }
        put_le(f + 24, crc32(table, (size_t)(24 * n)), 4);
    }
    put_le(f + 16, size, 8);
    put_le(f + 28, crc32(f, 28), 4);
}

/* Whole file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    FUZZ_CHECK(f != NULL, "cannot reopen %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    FUZZ_CHECK(p && fread(p, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return p;
}

static void check_model(const rec_model *m)
{
    FUZZ_CHECK(rec_model_is_built(m), "a loaded model is built");
    size_t nf = rec_model_n_features(m);
    FUZZ_CHECK(nf >= 2, "a loaded model has a feature per side (%zu features)", nf);
    for (uint32_t i = 0; i < nf; i++) {
        const rec_embedding *e = rec_model_feature_embedding(m, i);
        if (!e)
            continue;
        /* read every weight (the sanitizers check the table really has that size) */
        double sum = 0.0;
        for (uint32_t r = 0; r < rec_embedding_rows(e); r++) {
            const float *row = rec_embedding_row(e, r);
            FUZZ_CHECK(row != NULL, "row %u of table %u", r, i);
            for (uint32_t k = 0; k < rec_embedding_dim(e); k++)
                sum += row[k];
        }
        (void)sum;
    }
    for (size_t l = 0; l < rec_model_n_layers(m); l++)
        FUZZ_CHECK(rec_model_layer(m, l) != NULL, "layer %zu", l);
    /* the catalogue's ids, and the label range (finite, ordered) when there is one */
    size_t n_items = rec_model_catalog_size(m);
    for (size_t i = 0; i < n_items; i++) {
        const char *id = rec_model_catalog_item(m, i);
        FUZZ_CHECK(id != NULL && strlen(id) < (size_t)1 << 32, "catalogue item %zu", i);
    }
    FUZZ_CHECK(rec_model_catalog_item(m, n_items) == NULL, "catalogue item past the end");
    double lo, hi;
    if (rec_model_label_range(&lo, &hi, m) == REC_OK)
        FUZZ_CHECK(isfinite(lo) && isfinite(hi) && lo <= hi, "label range [%g, %g]", lo, hi);
    for (int which = 0; which < 2; which++) {
        size_t len = 0, len2 = 0;
        int rc = which ? rec_model_graphviz(NULL, 0, &len, m) : rec_model_summary(NULL, 0, &len, m);
        FUZZ_CHECK(rc == REC_OK, "describe: %s", rec_last_error());
        char *text = malloc(len + 1);
        FUZZ_CHECK(text != NULL, "malloc");
        rc = which ? rec_model_graphviz(text, len + 1, &len2, m)
                   : rec_model_summary(text, len + 1, &len2, m);
        FUZZ_CHECK(rc == REC_OK && len2 == len && strlen(text) == len, "describe (2nd call)");
        free(text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = data[0] % 3;
    size_t n = size - 1;
    uint8_t *file = malloc(n ? n : 1);
    FUZZ_CHECK(file != NULL, "malloc");
    memcpy(file, data + 1, n);
    if (mode)
        repair(file, n, mode == 2);
    char path[256], again[256], third[256];
    fuzz_write("in.model", file, n, path, sizeof path);
    free(file);

    rec_model *m = (rec_model *)&m;
    int rc = rec_model_load(&m, path);
    if (rc != REC_OK) {
        static const int allowed[] = {REC_EFORMAT, REC_EIO, REC_ENOMEM, 0};
        fuzz_check_failure(rc, m, "rec_model_load", allowed);
        return 0;
    }
    check_model(m);

    /* save → load → save gives the same bytes twice */
    fuzz_write("again.model", "", 0, again, sizeof again);
    fuzz_write("third.model", "", 0, third, sizeof third);
    rc = rec_model_save(m, again, 1);
    FUZZ_CHECK(rc == REC_OK || rc == REC_ENOMEM, "saving a loaded model: %s", rec_last_error());
    if (rc == REC_OK) {
        rec_model *m2 = NULL;
        rc = rec_model_load(&m2, again);
        FUZZ_CHECK(rc == REC_OK || rc == REC_ENOMEM, "reloading a saved model: %s",
                   rec_last_error());
        if (rc == REC_OK) {
            FUZZ_CHECK(rec_model_save(m2, third, 1) == REC_OK, "second save: %s",
                       rec_last_error());
            size_t na, nb;
            uint8_t *a = slurp(again, &na), *b = slurp(third, &nb);
            FUZZ_CHECK(na == nb && memcmp(a, b, na) == 0, "save/load/save is not stable");
            free(a);
            free(b);
            rec_model_free(m2);
        }
    }
    rec_model_free(m);
    return 0;
}
