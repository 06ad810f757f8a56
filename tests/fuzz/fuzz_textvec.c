/* Fuzz target for text vectorization (rec/textvec.h) and string lookup (rec/vocab.h) on
 * arbitrary bytes. Byte 0 chooses max_tokens (2..65 when < 0xF0, else 10000); the rest is
 * split on NUL bytes into texts (so every other byte, invalid UTF-8 included, reaches the
 * tokenizer). Checks, through the public API only:
 * - adapt: vocab_size ≤ max_tokens; every token non-empty, standardized (no ASCII upper case,
 *   punctuation or whitespace), distinct;
 * - the adapted vocabulary handed to rec_textvec_create() (Keras's vocabulary=) is accepted
 *   and encodes every text to the same ids (a differential check of both hash paths);
 * - encode/encode_batch: ids < vocab_size, counts agree, padding is 0; standardize truncates
 *   like snprintf;
 * - rec_vocab_create over the texts: each text's index maps back to the same text. */
#include "fuzz_common.h"

#define MAX_TEXTS 64

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_punct(unsigned char c)
{
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
}

static void check_token(const char *t)
{
    FUZZ_CHECK(t != NULL && t[0] != '\0', "empty or NULL token");
    for (const unsigned char *q = (const unsigned char *)t; *q; q++)
        FUZZ_CHECK(!is_space(*q) && !is_punct(*q) && !(*q >= 'A' && *q <= 'Z'),
                   "token '%s' is not standardized", t);
}

static void check_encode(const rec_textvec *a, const rec_textvec *b, const char *text)
{
    size_t n = 0, m = 0;
    FUZZ_CHECK(rec_textvec_encode(NULL, 0, &n, a, text) == REC_OK, "count: %s",
               rec_last_error());
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids), *ids2 = malloc((n ? n : 1) * sizeof *ids);
    FUZZ_CHECK(ids && ids2, "malloc");
    FUZZ_CHECK(rec_textvec_encode(ids, n, &m, a, text) == REC_OK && m == n, "encode");
    FUZZ_CHECK(rec_textvec_encode(ids2, n, &m, b, text) == REC_OK && m == n, "encode (b)");
    size_t vs = rec_textvec_vocab_size(a);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(ids[i] >= 1 && ids[i] < vs, "id %u outside 1..%zu", ids[i], vs - 1);
        FUZZ_CHECK(ids[i] == ids2[i], "adapted and given vocabularies disagree: %u vs %u",
                   ids[i], ids2[i]);
    }
    /* Truncated standardization: same full length, prefix of the full result. */
    size_t full = 0, part = 0;
    FUZZ_CHECK(rec_textvec_standardize(NULL, 0, &full, text) == REC_OK, "standardize");
    char *s = malloc(full + 1), small[5];
    FUZZ_CHECK(s && rec_textvec_standardize(s, full + 1, &part, text) == REC_OK && part == full,
               "standardize full");
    FUZZ_CHECK(strlen(s) == full, "standardized length");
    FUZZ_CHECK(rec_textvec_standardize(small, sizeof small, &part, text) == REC_OK &&
                   part == full && strncmp(small, s, sizeof small - 1) == 0 &&
                   strlen(small) == (full < 4 ? full : 4),
               "truncated standardize");
    free(s);
    free(ids);
    free(ids2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint32_t max_tokens = data[0] >= 0xF0 ? 10000u : 2u + data[0] % 64u;
    /* A NUL-terminated copy, cut into texts at the NULs. */
    char *buf = malloc(size);
    FUZZ_CHECK(buf != NULL, "malloc");
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    const char *texts[MAX_TEXTS];
    size_t n = 0;
    for (size_t i = 0; i < size && n < MAX_TEXTS; i += strlen(buf + i) + 1)
        texts[n++] = buf + i;

    rec_textvec *tv = (rec_textvec *)&tv;
    int rc = rec_textvec_adapt(&tv, texts, n, max_tokens);
    if (rc != REC_OK) {
        static const int allowed[] = {REC_ENOMEM, 0};
        fuzz_check_failure(rc, tv, "rec_textvec_adapt", allowed);
        free(buf);
        return 0;
    }
    size_t vs = rec_textvec_vocab_size(tv);
    FUZZ_CHECK(vs >= 2 && vs <= max_tokens, "vocab size %zu, max_tokens %u", vs, max_tokens);
    FUZZ_CHECK(rec_textvec_max_tokens(tv) == max_tokens, "max_tokens");
    FUZZ_CHECK(strcmp(rec_textvec_token(tv, 0), "") == 0, "padding token");
    FUZZ_CHECK(strcmp(rec_textvec_token(tv, 1), "[UNK]") == 0, "OOV token");
    FUZZ_CHECK(rec_textvec_token(tv, (uint32_t)vs) == NULL, "token past the end");
    const char **vocab = malloc(vs * sizeof *vocab);
    FUZZ_CHECK(vocab != NULL, "malloc");
    for (uint32_t id = 2; id < vs; id++) {
        vocab[id - 2] = rec_textvec_token(tv, id);
        check_token(vocab[id - 2]);
    }

    /* The same vocabulary given explicitly must be accepted (it is standardized and
     * distinct) and must encode identically. */
    rec_textvec *given = NULL;
    rc = rec_textvec_create(&given, vocab, vs - 2, max_tokens);
    FUZZ_CHECK(rc == REC_OK || rc == REC_ENOMEM, "create from the adapted vocabulary: %s",
               rec_last_error());
    if (rc == REC_OK) {
        FUZZ_CHECK(rec_textvec_vocab_size(given) == vs, "given vocab size");
        for (size_t i = 0; i < n; i++)
            check_encode(tv, given, texts[i]);
    }

    /* Padded batch: row i holds text i's ids then zeros. */
    size_t width = 0;
    rc = rec_textvec_encode_batch(NULL, &width, tv, texts, n);
    FUZZ_CHECK(rc == REC_OK, "batch width: %s", rec_last_error());
    uint32_t *batch = malloc((n * width != 0 ? n * width : 1) * sizeof *batch);
    FUZZ_CHECK(batch && rec_textvec_encode_batch(batch, &width, tv, texts, n) == REC_OK,
               "batch");
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        rec_textvec_encode(NULL, 0, &c, tv, texts[i]);
        FUZZ_CHECK(c <= width, "count %zu > width %zu", c, width);
        for (size_t j = 0; j < width; j++)
            FUZZ_CHECK(j < c ? batch[i * width + j] >= 1 : batch[i * width + j] == 0,
                       "batch padding");
    }
    free(batch);

    /* String lookup over the raw texts. */
    rec_vocab *v = (rec_vocab *)&v;
    rc = rec_vocab_create(&v, texts, n);
    if (rc == REC_OK) {
        FUZZ_CHECK(rec_vocab_size(v) >= 1 && rec_vocab_size(v) <= n + 1, "vocab size");
        for (size_t i = 0; i < n; i++) {
            uint32_t id = rec_vocab_index(v, texts[i]);
            FUZZ_CHECK(id >= 1 && strcmp(rec_vocab_token(v, id), texts[i]) == 0,
                       "lookup of text %zu", i);
        }
        for (uint32_t id = 2; id < rec_vocab_size(v); id++)
            FUZZ_CHECK(strcmp(rec_vocab_token(v, id - 1), rec_vocab_token(v, id)) < 0,
                       "vocab not sorted");
        rec_vocab_free(v);
    } else {
        static const int allowed[] = {REC_ENOMEM, 0};
        fuzz_check_failure(rc, v, "rec_vocab_create", allowed);
    }

    rec_textvec_free(given);
    rec_textvec_free(tv);
    free(vocab);
    free(buf);
    return 0;
}
