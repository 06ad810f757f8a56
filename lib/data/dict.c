/* The dictionary of a string column (data.h): the distinct strings in first-seen order and an
 * open-addressing hash from a string to its code. */
#include "data/data.h"

#include <string.h>

/* Hash of a string, 8 bytes at a time, ending in murmur3's 64-bit finalizer (every input bit
 * flips each output bit with probability about 1/2). The low bits index a power-of-two table
 * with linear probing, so they must depend on every byte: a byte-wise FNV-1a does not mix its
 * low bits enough, and ids that differ only in their digits ("12345", "12346") then share
 * long probe runs. */
static uint64_t hash_bytes(const char *s, size_t len)
{
    const uint64_t k = 0xFF51AFD7ED558CCDULL;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)len * 0xC2B2AE3D27D4EB4FULL);
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * k;
    h ^= h >> 33;
    h *= k;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

/* Slot of s: the slot holding it, or the empty slot where it would go. Needs n_slots > 0. */
static size_t dict_probe(const rec__dict *d, const char *s, size_t len)
{
    size_t mask = d->n_slots - 1;
    size_t i = (size_t)hash_bytes(s, len) & mask;
    while (d->slots[i] != 0) {
        const char *e = d->strings[d->slots[i] - 1];
        /* s holds no '\0', so strncmp returning 0 means e has ≥ len bytes and e[len] is
         * readable. */
        if (strncmp(e, s, len) == 0 && e[len] == '\0')
            return i;
        i = (i + 1) & mask; /* linear probing */
    }
    return i;
}

/* Rebuild the hash table with n_slots slots (a power of two above 2·n). */
static rec_status dict_rehash(rec__dict *d, size_t n_slots)
{
    uint32_t *slots = rec__calloc(n_slots, sizeof *slots);
    if (!slots)
        return REC_ENOMEM;
    rec__free(d->slots);
    d->slots = slots;
    d->n_slots = n_slots;
    for (size_t j = 0; j < d->n; j++) {
        size_t i = dict_probe(d, d->strings[j], strlen(d->strings[j]));
        d->slots[i] = (uint32_t)(j + 1);
    }
    return REC_OK;
}

int rec__dict_find(const rec__dict *d, const char *s, size_t len, uint32_t *code)
{
    if (d->n_slots == 0 || (len > 0 && memchr(s, '\0', len)))
        return 0;
    size_t i = dict_probe(d, s, len);
    if (d->slots[i] == 0)
        return 0;
    *code = d->slots[i] - 1;
    return 1;
}

rec_status rec__dict_intern(rec__dict *d, const char *s, size_t len, uint32_t *code)
{
    if (len > 0 && memchr(s, '\0', len))
        return REC_EINVAL;
    if (rec__dict_find(d, s, len, code))
        return REC_OK;
    /* Codes are uint32 and slots hold code + 1, so at most UINT32_MAX - 1 strings. */
    if (d->n >= UINT32_MAX - 1)
        return REC_EINVAL;
    /* Keep the load factor ≤ 1/2 so probe sequences stay short. */
    if (d->n_slots == 0 || (d->n + 1) * 2 > d->n_slots) {
        size_t n_slots = d->n_slots ? d->n_slots * 2 : 16;
        if (n_slots > SIZE_MAX / sizeof *d->slots || dict_rehash(d, n_slots) != REC_OK)
            return REC_ENOMEM;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8, bytes;
        if (!rec__alloc_mul(cap, sizeof *d->strings, &bytes))
            return REC_ENOMEM;
        char **strings = rec__realloc(d->strings, bytes);
        if (!strings)
            return REC_ENOMEM;
        d->strings = strings;
        d->cap = cap;
    }
    if (len == SIZE_MAX)
        return REC_ENOMEM;
    char *copy = rec__malloc(len + 1);
    if (!copy)
        return REC_ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    size_t i = dict_probe(d, copy, len);
    d->strings[d->n] = copy;
    d->slots[i] = (uint32_t)(d->n + 1);
    *code = (uint32_t)d->n;
    d->n++;
    return REC_OK;
}

void rec__dict_release(rec__dict *d)
{
    for (size_t i = 0; i < d->n; i++)
        rec__free(d->strings[i]);
    rec__free(d->strings);
    rec__free(d->slots);
    memset(d, 0, sizeof *d);
}

rec_status rec__dict_copy(rec__dict *dst, const rec__dict *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->n == 0)
        return REC_OK;
    dst->strings = rec__calloc(src->n, sizeof *dst->strings);
    dst->slots = rec__malloc(src->n_slots * sizeof *dst->slots);
    if (!dst->strings || !dst->slots)
        goto fail;
    dst->cap = src->n;
    for (; dst->n < src->n; dst->n++) {
        dst->strings[dst->n] = rec__strdup(src->strings[dst->n]);
        if (!dst->strings[dst->n])
            goto fail;
    }
    memcpy(dst->slots, src->slots, src->n_slots * sizeof *dst->slots);
    dst->n_slots = src->n_slots;
    return REC_OK;
fail:
    rec__dict_release(dst);
    return REC_ENOMEM;
}
