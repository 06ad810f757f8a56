/**
 * @file rec/vocab.h
 * @defgroup vocab Vocabulary (string lookup)
 * Keras `StringLookup(vocabulary=V, mask_token=None)`: the sorted unique strings of V take
 * indices 1..n, and every other string maps to index 0 (one out-of-vocabulary slot). An
 * embedding that follows it therefore has rec_vocab_size() = n + 1 rows. Strings are compared
 * as bytes (UTF-8 is sorted by code point that way). Lookup is O(1) on average (hash table).
 * @{
 */
#ifndef REC_VOCAB_H
#define REC_VOCAB_H

#include "common.h"

REC_BEGIN_DECLS

/**
 * Build a vocabulary from a list of strings; duplicates are allowed and collapsed, order does
 * not matter. n may be 0 (everything then maps to 0). The strings are copied.
 * @param[out] out new vocabulary, NULL on failure. Ownership: caller, rec_vocab_free().
 * @param tokens n NUL-terminated strings (copied); may be NULL when n is 0
 * @param n number of strings
 * @retval REC_OK
 * @retval REC_EINVAL out NULL, tokens NULL with n > 0, or a NULL entry
 * @retval REC_ENOMEM
 * @since 1.0
 */
REC_API rec_status rec_vocab_create(rec_vocab **out, const char *const *tokens, size_t n);

/**
 * Free a vocabulary; NULL is accepted.
 * @param vocab the vocabulary to free (may be NULL: nothing happens)
 * @since 1.0
 */
REC_API void rec_vocab_free(rec_vocab *vocab);

/**
 * Number of indices, out-of-vocabulary slot included: unique tokens + 1.
 * @param vocab the vocabulary (may be NULL: returns 0)
 * @return unique tokens + 1, or 0 when vocab is NULL
 * @since 1.0
 */
REC_API size_t rec_vocab_size(const rec_vocab *vocab);

/**
 * Index of a token: 1..n, or 0 when unknown (or token is NULL).
 * @param vocab the vocabulary (may be NULL: returns 0)
 * @param token NUL-terminated string to look up (may be NULL: returns 0)
 * @return the index 1..n, or 0 for an unknown token or a NULL argument
 * @since 1.0
 */
REC_API uint32_t rec_vocab_index(const rec_vocab *vocab, const char *token);

/**
 * Index of a token, with a status saying whether it is known.
 * @param[out] id_out the index, 0 when unknown
 * @param vocab the vocabulary (only read)
 * @param token NUL-terminated string to look up
 * @retval REC_OK known
 * @retval REC_ENOTFOUND unknown (*id_out = 0)
 * @retval REC_EINVAL NULL argument
 * @since 1.0
 */
REC_API rec_status rec_vocab_lookup(uint32_t *id_out, const rec_vocab *vocab, const char *token);

/**
 * Batch lookup with StringLookup semantics (unknown → 0).
 * @param[out] ids_out n indices
 * @param[out] n_unknown_out number of unknown tokens (may be NULL)
 * @param vocab the vocabulary (only read)
 * @param tokens n NUL-terminated strings, none NULL; may be NULL when n is 0
 * @param n number of tokens
 * @retval REC_OK
 * @retval REC_EINVAL NULL argument or NULL entry
 * @since 1.0
 */
REC_API rec_status rec_vocab_lookup_batch(uint32_t *ids_out, size_t *n_unknown_out,
                                          const rec_vocab *vocab, const char *const *tokens,
                                          size_t n);

/**
 * Token of an index. Ownership: borrowed, valid while the vocabulary lives.
 * @param vocab the vocabulary (may be NULL: returns NULL)
 * @param id an index in 0..rec_vocab_size() − 1
 * @return the token, or NULL for index 0 (out of vocabulary) and indices ≥ rec_vocab_size().
 * @since 1.0
 */
REC_API const char *rec_vocab_token(const rec_vocab *vocab, uint32_t id);

REC_END_DECLS

/** @} */
#endif
