/**
 * @file rec/textvec.h
 * @defgroup textvec Text vectorization
 * Keras `TextVectorization(max_tokens=M)` with the default standardization and split:
 * - standardize: lower-case ASCII A–Z (other bytes, UTF-8 included, are left alone) and delete
 *   the 32 ASCII punctuation characters (Python's string.punctuation: the bytes 0x21–0x2F,
 *   0x3A–0x40, 0x5B–0x60 and 0x7B–0x7E);
 * - split on ASCII whitespace (space, \\t, \\n, \\v, \\f, \\r); empty pieces are dropped;
 * - vocabulary (adapted): index 0 is padding, 1 is out-of-vocabulary, then tokens by
 *   descending count, ties broken by the token's bytes in descending order, keeping at most
 *   M entries in all (the two reserved ones included).
 * Adapting counts tokens over the texts given (the tutorial adapts on the unique titles).
 * @{
 */
#ifndef REC_TEXTVEC_H
#define REC_TEXTVEC_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Create a vectorizer and adapt its vocabulary on n texts.
 * @param[out] out new handle, NULL on failure. Ownership: caller, rec_textvec_free().
 * @param texts n UTF-8 texts, none NULL (only read during the call); may be NULL when n is 0
 * @param n number of texts
 * @param max_tokens vocabulary size cap, padding and OOV included; ≥ 2
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument or entry, max_tokens < 2
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_textvec_adapt(rec_textvec **out, const char *const *texts, size_t n,
                                     uint32_t max_tokens);

/**
 * Free; NULL is accepted.
 * @param tv the vectorizer to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_textvec_free(rec_textvec *tv);

/**
 * Create a vectorizer with a given vocabulary instead of adapting one (as Keras's
 * TextVectorization(vocabulary=...)): tokens[i] gets index i + 2 (0 is padding, 1 is OOV).
 * Tokens must be non-empty, distinct, already standardized, without whitespace, and
 * n + 2 ≤ max_tokens.
 * @param[out] out new vectorizer, NULL on failure. Ownership: caller, rec_textvec_free().
 * @param tokens n NUL-terminated vocabulary entries (copied)
 * @param n number of tokens
 * @param max_tokens vocabulary size cap, padding and OOV included
 * @retval REC_OK
 * @retval REC_EINVAL (the offending entry is named)
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_textvec_create(rec_textvec **out, const char *const *tokens, size_t n,
                                      uint32_t max_tokens);

/**
 * Vocabulary size, padding and OOV included (≤ max_tokens).
 * @param tv the vectorizer (may be NULL: returns 0)
 * @return the vocabulary size, or 0 when tv is NULL
 * @since 1.0
 */
REC_API size_t rec_textvec_vocab_size(const rec_textvec *tv);

/**
 * max_tokens given at creation (the size an embedding over it should have).
 * @param tv the vectorizer (may be NULL: returns 0)
 * @return max_tokens, or 0 when tv is NULL
 * @since 1.0
 */
REC_API uint32_t rec_textvec_max_tokens(const rec_textvec *tv);

/**
 * Token of an index: "" for 0 (padding), "[UNK]" for 1, NULL when out of range.
 * Ownership: borrowed.
 * @param tv the vectorizer (may be NULL: returns NULL)
 * @param id an index, < rec_textvec_vocab_size()
 * @return the token (borrowed, valid while tv lives), or NULL when tv is NULL or id is out of range
 * @since 1.0
 */
REC_API const char *rec_textvec_token(const rec_textvec *tv, uint32_t id);

/**
 * Standardize one text into a caller buffer (NUL-terminated, truncated to cap − 1 bytes).
 * @param[out] out buffer of cap bytes; may be NULL when cap is 0
 * @param cap size of out in bytes, NUL included (0 to only measure)
 * @param[out] len_out full length of the standardized text (may exceed cap − 1); may be NULL
 * @retval REC_OK
 * @param text NUL-terminated UTF-8 text to standardize
 * @retval REC_EINVAL NULL text, or out NULL with cap > 0
 * @since 1.0
 */
REC_API rec_status rec_textvec_standardize(char *out, size_t cap, size_t *len_out,
                                           const char *text);

/**
 * Token ids of one text (no padding). Writes min(count, cap) ids and the full count.
 * @param[out] ids_out room for cap ids; receives the first min(count, cap); may be NULL when
 *             cap is 0
 * @param cap number of entries of ids_out (0 to only count)
 * @param[out] n_out number of tokens in the text (may exceed cap)
 * @param tv the vectorizer (only read)
 * @param text NUL-terminated UTF-8 text
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_textvec_encode(uint32_t *ids_out, size_t cap, size_t *n_out,
                                      const rec_textvec *tv, const char *text);

/**
 * Keras output for a batch: ids padded with 0 to the longest text of the batch.
 * Call first with ids_out NULL to get *width_out; then ids_out must hold n · width entries.
 * @param[out] ids_out n·width indices, row-major (each row padded with 0); NULL to only size
 * @param[out] width_out the width: the longest text's token count
 * @param tv the vectorizer (only read)
 * @param texts n NUL-terminated texts
 * @param n number of texts
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_textvec_encode_batch(uint32_t *ids_out, size_t *width_out,
                                            const rec_textvec *tv, const char *const *texts,
                                            size_t n);

REC_END_DECLS

/** @} */
#endif
