/* String vocabulary with Keras StringLookup(vocabulary=V, mask_token=None) semantics: the sorted
 * unique tokens take indices 1..n, everything else maps to 0 (the single OOV slot).
 *
 * Layout: all token bytes live in one arena (each NUL-terminated, in index order), `offsets`
 * says where token i+1 starts, and an open-addressing hash table (linear probing, power-of-two
 * size, load <= 0.5) maps a string to its index in O(1) on average. A lookup hashes the query
 * and measures its length in a single pass, then compares lengths before bytes, so a probe that
 * misses costs one integer comparison. The structure is immutable after creation, so const
 * lookups from several threads are safe. */
#include "blocks/blocks.h"

#include <stdlib.h>
#include <string.h>

struct rec_vocab {
    char *arena;       /* token bytes, each followed by NUL, in index order */
    size_t *offsets;   /* n_tokens + 1 entries: token i+1 spans arena[offsets[i] .. offsets[i+1]) */
    uint32_t *table;   /* hash slots: 0 = empty, else a token index 1..n_tokens */
    size_t mask;       /* table size - 1 (table size is a power of two) */
    size_t n_tokens;   /* unique tokens (indices 1..n_tokens) */
};

/* FNV-1a over the bytes, then a 64-bit avalanche (murmur3 fmix64): FNV alone spreads poorly into
 * the low bits for short keys like "1", "2", ..., and the table indexes with the low bits. */
static uint64_t hash_str(const char *s, size_t *len_out)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t len = 0;
    while (p[len]) {
        h ^= p[len++];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    *len_out = len;
    return h;
}

/* strcmp compares as unsigned char (C11 7.24.4), which is the byte order Keras's sort uses and
 * sorts UTF-8 by code point. */
static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

rec_status rec_vocab_create(rec_vocab **out, const char *const *tokens, size_t n)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_vocab_create: out is NULL");
    *out = NULL;
    if (!tokens && n > 0)
        return rec__error(REC_EINVAL, "rec_vocab_create: tokens is NULL with n = %zu", n);
    for (size_t i = 0; i < n; i++)
        if (!tokens[i])
            return rec__error(REC_EINVAL, "rec_vocab_create: tokens[%zu] is NULL", i);

    rec_status rc = REC_ENOMEM;
    const char **sorted = NULL;
    rec_vocab *v = rec__calloc(1, sizeof *v);
    if (!v)
        goto fail;

    size_t bytes;
    if (!rec__alloc_mul(n, sizeof *sorted, &bytes))
        goto fail;
    sorted = rec__malloc(bytes);
    if (!sorted)
        goto fail;
    if (n > 0) { /* memcpy/qsort with a NULL pointer are undefined even for 0 elements */
        memcpy(sorted, tokens, bytes);
        qsort(sorted, n, sizeof *sorted, cmp_strp);
    }

    /* Collapse duplicates in place; sizes cannot overflow since each string is in memory. */
    size_t u = 0, arena_len = 0;
    for (size_t i = 0; i < n; i++) {
        if (u > 0 && strcmp(sorted[u - 1], sorted[i]) == 0)
            continue;
        sorted[u++] = sorted[i];
        arena_len += strlen(sorted[i]) + 1;
    }
    /* Indices are uint32 and rec_vocab_size() = u + 1 must be representable too. */
    if (u > (size_t)UINT32_MAX - 1) {
        rc = rec__error(REC_EINVAL, "rec_vocab_create: %zu unique tokens exceed 2^32 - 2", u);
        goto fail_msg;
    }

    /* Smallest power of two >= 2u (load <= 0.5), at least 8. */
    size_t cap = 8;
    while (cap < 2 * u)
        cap *= 2;

    v->arena = rec__malloc(arena_len);
    v->offsets = rec__malloc((u + 1) * sizeof *v->offsets);
    v->table = rec__calloc(cap, sizeof *v->table);
    if (!v->arena || !v->offsets || !v->table)
        goto fail;
    v->mask = cap - 1;
    v->n_tokens = u;

    size_t off = 0;
    for (size_t i = 0; i < u; i++) {
        size_t len;
        uint64_t h = hash_str(sorted[i], &len);
        memcpy(v->arena + off, sorted[i], len + 1);
        v->offsets[i] = off;
        off += len + 1;
        size_t slot = (size_t)h & v->mask;
        while (v->table[slot] != 0)
            slot = (slot + 1) & v->mask;
        v->table[slot] = (uint32_t)(i + 1);
    }
    v->offsets[u] = off;

    rec__free(sorted);
    *out = v;
    return REC_OK;

fail:
    rc = rec__error(REC_ENOMEM, "rec_vocab_create: out of memory for %zu tokens", n);
fail_msg:
    rec__free(sorted);
    rec_vocab_free(v);
    return rc;
}

void rec_vocab_free(rec_vocab *vocab)
{
    if (!vocab)
        return;
    rec__free(vocab->arena);
    rec__free(vocab->offsets);
    rec__free(vocab->table);
    rec__free(vocab);
}

size_t rec_vocab_size(const rec_vocab *vocab)
{
    return vocab ? vocab->n_tokens + 1 : 0;
}

/* Index 1..n of token, or 0. */
static uint32_t find(const rec_vocab *v, const char *token)
{
    size_t len;
    uint64_t h = hash_str(token, &len);
    size_t slot = (size_t)h & v->mask;
    for (;;) {
        uint32_t id = v->table[slot];
        if (id == 0)
            return 0;
        size_t start = v->offsets[id - 1];
        /* stored length = distance to the next token's start minus the NUL */
        if (v->offsets[id] - start - 1 == len && memcmp(v->arena + start, token, len) == 0)
            return id;
        slot = (slot + 1) & v->mask;
    }
}

uint32_t rec_vocab_index(const rec_vocab *vocab, const char *token)
{
    if (!vocab || !token)
        return 0;
    return find(vocab, token);
}

rec_status rec_vocab_lookup(uint32_t *id_out, const rec_vocab *vocab, const char *token)
{
    if (!id_out)
        return rec__error(REC_EINVAL, "rec_vocab_lookup: id_out is NULL");
    *id_out = 0;
    if (!vocab)
        return rec__error(REC_EINVAL, "rec_vocab_lookup: vocab is NULL");
    if (!token)
        return rec__error(REC_EINVAL, "rec_vocab_lookup: token is NULL");
    uint32_t id = find(vocab, token);
    *id_out = id;
    if (id == 0)
        return rec__error(REC_ENOTFOUND, "rec_vocab_lookup: token \"%.64s\" is not in the "
                          "vocabulary", token);
    return REC_OK;
}

rec_status rec_vocab_lookup_batch(uint32_t *ids_out, size_t *n_unknown_out,
                                  const rec_vocab *vocab, const char *const *tokens, size_t n)
{
    if (n_unknown_out)
        *n_unknown_out = 0;
    if (!vocab)
        return rec__error(REC_EINVAL, "rec_vocab_lookup_batch: vocab is NULL");
    if (n == 0)
        return REC_OK;
    if (!ids_out)
        return rec__error(REC_EINVAL, "rec_vocab_lookup_batch: ids_out is NULL with n = %zu", n);
    if (!tokens)
        return rec__error(REC_EINVAL, "rec_vocab_lookup_batch: tokens is NULL with n = %zu", n);
    /* Checked in the same pass as the lookups: ids_out is output only, so a partial result on
     * failure harms nothing and the common case reads the tokens once. */
    size_t unknown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tokens[i])
            return rec__error(REC_EINVAL, "rec_vocab_lookup_batch: tokens[%zu] is NULL", i);
        uint32_t id = find(vocab, tokens[i]);
        ids_out[i] = id;
        unknown += id == 0;
    }
    if (n_unknown_out)
        *n_unknown_out = unknown;
    return REC_OK;
}

const char *rec_vocab_token(const rec_vocab *vocab, uint32_t id)
{
    if (!vocab || id == 0 || id > vocab->n_tokens)
        return NULL;
    return vocab->arena + vocab->offsets[id - 1];
}
