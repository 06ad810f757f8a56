/* Keras TextVectorization with standardize="lower_and_strip_punctuation" and
 * split="whitespace", byte for byte:
 * - standardize lower-cases ASCII A–Z and deletes the 32 ASCII punctuation bytes; every other
 *   byte (UTF-8 sequences, invalid bytes too) passes through untouched;
 * - split cuts on ASCII whitespace only, so a multi-byte character is never split.
 * Standardizing neither creates nor removes whitespace, so a token is a maximal run of
 * non-whitespace bytes with the punctuation deleted; a run that was all punctuation is empty
 * and dropped. Tokens are hashed and compared straight from the raw run through that
 * transform, so encoding allocates nothing.
 * Vocabulary order is Keras's sorted(counts, key=(count, token), reverse=True): count
 * descending, ties by token bytes descending (UTF-8 byte order = code point order). */
#include "blocks/blocks.h"

#include <stdlib.h>
#include <string.h>

#define RESERVED 2u /* id 0 = padding "", id 1 = OOV "[UNK]" */
#define OOV_ID 1u

typedef struct entry {
    char *tok;      /* standardized, NUL-terminated */
    size_t len;
    uint64_t hash;
    uint64_t count; /* occurrences while adapting */
} entry;

/* Open addressing, linear probing; a slot holds entry index + 1, 0 = empty. */
typedef struct table {
    uint32_t *slots;
    size_t mask; /* slot count − 1, a power of two minus one */
} table;

struct rec_textvec {
    uint32_t max_tokens;
    entry *e;     /* e[i] is the token of id i + RESERVED */
    size_t n_e;
    table t;
};

/* ---- byte classes (fixed ASCII tables: no locale) --------------------------------------- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* !"#$%&'()*+,-./ (33–47)  :;<=>?@ (58–64)  [\]^_` (91–96)  {|}~ (123–126): 32 bytes */
static int is_punct(unsigned char c)
{
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
           (c >= 123 && c <= 126);
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* ---- tokens as raw runs ------------------------------------------------------------------ */

/* Next maximal run of non-whitespace bytes at or after *p: [*s, *e). Returns 0 at the end. */
static int next_run(const char **p, const char **s, const char **e)
{
    const unsigned char *q = (const unsigned char *)*p;
    while (*q && is_space(*q))
        q++;
    if (!*q)
        return 0;
    *s = (const char *)q;
    while (*q && !is_space(*q))
        q++;
    *e = *p = (const char *)q;
    return 1;
}

/* FNV-1a 64 of the standardized run, and its length. */
static uint64_t run_hash(const char *s, const char *e, size_t *len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t n = 0;
    for (const unsigned char *q = (const unsigned char *)s; q < (const unsigned char *)e; q++) {
        if (is_punct(*q))
            continue;
        h = (h ^ lower(*q)) * 0x100000001b3ULL;
        n++;
    }
    *len = n;
    return h;
}

/* Does the standardized run equal tok (of the same length)? */
static int run_equals(const char *s, const char *e, const char *tok)
{
    const unsigned char *t = (const unsigned char *)tok;
    for (const unsigned char *q = (const unsigned char *)s; q < (const unsigned char *)e; q++) {
        if (is_punct(*q))
            continue;
        if (lower(*q) != *t++)
            return 0;
    }
    return 1;
}

/* ---- hash table --------------------------------------------------------------------------- */

static size_t slot_of(uint64_t h, size_t mask)
{
    return (size_t)(h ^ (h >> 32)) & mask;
}

/* Index of the entry equal to the run, or SIZE_MAX; *slot_out gets the slot where it is or
 * where it would be inserted. */
static size_t table_find(const table *t, const entry *e, const char *s, const char *end,
                         uint64_t h, size_t len, size_t *slot_out)
{
    size_t i = slot_of(h, t->mask);
    for (;; i = (i + 1) & t->mask) {
        uint32_t v = t->slots[i];
        if (v == 0)
            break;
        const entry *x = &e[v - 1];
        if (x->hash == h && x->len == len && run_equals(s, end, x->tok)) {
            if (slot_out)
                *slot_out = i;
            return v - 1;
        }
    }
    if (slot_out)
        *slot_out = i;
    return SIZE_MAX;
}

/* (Re)build t with room for n entries at load ≤ 1/2, from e[0..n). */
static rec_status table_build(table *t, const entry *e, size_t n_slots_for, size_t n)
{
    size_t cap = 64;
    while (cap / 2 < n_slots_for) {
        if (cap > SIZE_MAX / 2 / sizeof(uint32_t))
            return REC_ENOMEM;
        cap *= 2;
    }
    uint32_t *slots = rec__calloc(cap, sizeof(uint32_t));
    if (!slots)
        return REC_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        size_t i = slot_of(e[k].hash, cap - 1);
        while (slots[i] != 0)
            i = (i + 1) & (cap - 1);
        slots[i] = (uint32_t)(k + 1);
    }
    rec__free(t->slots);
    t->slots = slots;
    t->mask = cap - 1;
    return REC_OK;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

void rec_textvec_free(rec_textvec *tv)
{
    if (!tv)
        return;
    for (size_t i = 0; i < tv->n_e; i++)
        rec__free(tv->e[i].tok);
    rec__free(tv->e);
    rec__free(tv->t.slots);
    rec__free(tv);
}

/* Keras order: count descending, then token bytes descending (a proper prefix sorts first
 * in ascending order, so last here). Tokens are unique, so the order is total. */
static int cmp_vocab(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->tok, b->tok, m);
    if (c != 0)
        return c > 0 ? -1 : 1;
    return a->len == b->len ? 0 : (a->len > b->len ? -1 : 1);
}

/* Count one token run into tv (adapt phase). */
static rec_status count_run(rec_textvec *tv, size_t *cap_e, const char *s, const char *end)
{
    size_t len, slot;
    uint64_t h = run_hash(s, end, &len);
    if (len == 0)
        return REC_OK; /* all punctuation: an empty piece, dropped */
    size_t k = table_find(&tv->t, tv->e, s, end, h, len, &slot);
    if (k != SIZE_MAX) {
        tv->e[k].count++;
        return REC_OK;
    }
    /* ids are uint32_t and slots store index + 1 */
    if (tv->n_e >= UINT32_MAX - RESERVED - 1)
        return REC_ENOMEM;
    if ((tv->n_e + 1) * 2 > tv->t.mask + 1) {
        if (table_build(&tv->t, tv->e, tv->n_e + 1, tv->n_e) != REC_OK)
            return REC_ENOMEM;
        table_find(&tv->t, tv->e, s, end, h, len, &slot);
    }
    if (tv->n_e == *cap_e) {
        size_t cap = *cap_e ? *cap_e * 2 : 64, bytes;
        if (!rec__alloc_mul(cap, sizeof(entry), &bytes))
            return REC_ENOMEM;
        entry *p = rec__realloc(tv->e, bytes);
        if (!p)
            return REC_ENOMEM;
        tv->e = p;
        *cap_e = cap;
    }
    char *tok = rec__malloc(len + 1);
    if (!tok)
        return REC_ENOMEM;
    size_t n = 0;
    for (const unsigned char *q = (const unsigned char *)s; q < (const unsigned char *)end; q++)
        if (!is_punct(*q))
            tok[n++] = (char)lower(*q);
    tok[n] = '\0';
    tv->e[tv->n_e] = (entry){.tok = tok, .len = len, .hash = h, .count = 1};
    tv->t.slots[slot] = (uint32_t)(tv->n_e + 1);
    tv->n_e++;
    return REC_OK;
}

rec_status rec_textvec_adapt(rec_textvec **out, const char *const *texts, size_t n,
                             uint32_t max_tokens)
{
    static const char fn[] = "rec_textvec_adapt";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!texts && n > 0)
        return rec__error(REC_EINVAL, "%s: texts is NULL with n = %zu", fn, n);
    for (size_t i = 0; i < n; i++)
        if (!texts[i])
            return rec__error(REC_EINVAL, "%s: texts[%zu] is NULL", fn, i);
    if (max_tokens < RESERVED)
        return rec__error(REC_EINVAL,
                          "%s: max_tokens = %u must be >= 2 (padding and OOV included)", fn,
                          (unsigned)max_tokens);

    rec_textvec *tv = rec__calloc(1, sizeof *tv);
    if (!tv)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    tv->max_tokens = max_tokens;
    size_t cap_e = 0;
    if (table_build(&tv->t, NULL, 0, 0) != REC_OK)
        goto nomem;

    for (size_t i = 0; i < n; i++) {
        const char *p = texts[i], *s, *e;
        while (next_run(&p, &s, &e))
            if (count_run(tv, &cap_e, s, e) != REC_OK)
                goto nomem;
    }

    /* Order, then keep the max_tokens − 2 most frequent. */
    if (tv->n_e > 1)
        qsort(tv->e, tv->n_e, sizeof(entry), cmp_vocab);
    size_t keep = max_tokens - RESERVED;
    if (tv->n_e > keep) {
        for (size_t i = keep; i < tv->n_e; i++)
            rec__free(tv->e[i].tok);
        tv->n_e = keep;
    }
    /* Sorting moved the entries: index them again, sized for the kept ones only. */
    if (table_build(&tv->t, tv->e, tv->n_e, tv->n_e) != REC_OK)
        goto nomem;
    *out = tv;
    return REC_OK;

nomem:
    rec_textvec_free(tv);
    return rec__error(REC_ENOMEM, "%s: out of memory while counting tokens", fn);
}

/* A token as rec_textvec_create() takes it: what standardizing and splitting can produce, i.e.
 * non-empty, no ASCII upper case, no punctuation, no whitespace. Returns the first offending
 * byte's description, or NULL when the token is acceptable. */
static const char *token_problem(const char *tok)
{
    if (!*tok)
        return "is empty";
    for (const unsigned char *q = (const unsigned char *)tok; *q; q++) {
        if (is_space(*q))
            return "contains whitespace";
        if (is_punct(*q))
            return "contains punctuation (not standardized)";
        if (*q >= 'A' && *q <= 'Z')
            return "contains upper case (not standardized)";
    }
    return NULL;
}

rec_status rec_textvec_create(rec_textvec **out, const char *const *tokens, size_t n,
                              uint32_t max_tokens)
{
    static const char fn[] = "rec_textvec_create";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!tokens && n > 0)
        return rec__error(REC_EINVAL, "%s: tokens is NULL with n = %zu", fn, n);
    if (max_tokens < RESERVED)
        return rec__error(REC_EINVAL,
                          "%s: max_tokens = %u must be >= 2 (padding and OOV included)", fn,
                          (unsigned)max_tokens);
    /* n + 2 ≤ max_tokens, written so that it cannot overflow */
    if (n > (size_t)max_tokens - RESERVED)
        return rec__error(REC_EINVAL, "%s: %zu tokens + 2 reserved exceed max_tokens = %u", fn,
                          n, (unsigned)max_tokens);
    for (size_t i = 0; i < n; i++) {
        if (!tokens[i])
            return rec__error(REC_EINVAL, "%s: tokens[%zu] is NULL", fn, i);
        const char *why = token_problem(tokens[i]);
        if (why)
            return rec__error(REC_EINVAL, "%s: tokens[%zu] \"%.64s\" %s", fn, i, tokens[i],
                              why);
    }

    rec_textvec *tv = rec__calloc(1, sizeof *tv);
    if (!tv)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    tv->max_tokens = max_tokens;
    size_t bytes;
    /* n < max_tokens ≤ 2^32, so the product cannot overflow on 64-bit; checked for 32-bit */
    if (!rec__alloc_mul(n ? n : 1, sizeof(entry), &bytes) || !(tv->e = rec__malloc(bytes)) ||
        table_build(&tv->t, NULL, n, 0) != REC_OK)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        /* A standardized token is its own run: hashing it as a run gives the hash that
         * encoding computes from any raw text standardizing to it. */
        const char *s = tokens[i], *end = s + strlen(s);
        size_t len, slot;
        uint64_t h = run_hash(s, end, &len);
        if (table_find(&tv->t, tv->e, s, end, h, len, &slot) != SIZE_MAX) {
            rec_textvec_free(tv);
            return rec__error(REC_EINVAL, "%s: tokens[%zu] \"%.64s\" is a duplicate", fn, i,
                              tokens[i]);
        }
        char *tok = rec__malloc(len + 1);
        if (!tok)
            goto nomem;
        memcpy(tok, s, len + 1);
        /* count is only used while adapting; keep the given order as a descending count */
        tv->e[tv->n_e] = (entry){.tok = tok, .len = len, .hash = h, .count = n - i};
        tv->t.slots[slot] = (uint32_t)(tv->n_e + 1);
        tv->n_e++;
    }
    *out = tv;
    return REC_OK;

nomem:
    rec_textvec_free(tv);
    return rec__error(REC_ENOMEM, "%s: out of memory for %zu tokens", fn, n);
}

size_t rec_textvec_vocab_size(const rec_textvec *tv)
{
    return tv ? tv->n_e + RESERVED : 0;
}

uint32_t rec_textvec_max_tokens(const rec_textvec *tv)
{
    return tv ? tv->max_tokens : 0;
}

const char *rec_textvec_token(const rec_textvec *tv, uint32_t id)
{
    if (!tv)
        return NULL;
    if (id == 0)
        return "";
    if (id == OOV_ID)
        return "[UNK]";
    if ((size_t)id - RESERVED >= tv->n_e)
        return NULL;
    return tv->e[id - RESERVED].tok;
}

/* ---- standardize and encode ---------------------------------------------------------------- */

rec_status rec_textvec_standardize(char *out, size_t cap, size_t *len_out, const char *text)
{
    static const char fn[] = "rec_textvec_standardize";
    if (!text)
        return rec__error(REC_EINVAL, "%s: text is NULL", fn);
    if (!out && cap > 0)
        return rec__error(REC_EINVAL, "%s: out is NULL with cap = %zu", fn, cap);
    /* snprintf-like: write at most cap − 1 bytes, always terminate, report the full length */
    size_t n = 0;
    for (const unsigned char *q = (const unsigned char *)text; *q; q++) {
        if (is_punct(*q))
            continue;
        if (n + 1 < cap)
            out[n] = (char)lower(*q);
        n++;
    }
    if (cap > 0)
        out[n < cap ? n : cap - 1] = '\0';
    if (len_out)
        *len_out = n;
    return REC_OK;
}

/* Ids of one text: writes min(count, cap) ids, returns the count. */
static size_t encode(const rec_textvec *tv, const char *text, uint32_t *ids, size_t cap)
{
    size_t count = 0;
    const char *p = text, *s, *e;
    while (next_run(&p, &s, &e)) {
        size_t len;
        uint64_t h = run_hash(s, e, &len);
        if (len == 0)
            continue;
        if (count < cap) {
            size_t k = table_find(&tv->t, tv->e, s, e, h, len, NULL);
            ids[count] = k == SIZE_MAX ? OOV_ID : (uint32_t)(k + RESERVED);
        }
        count++;
    }
    return count;
}

rec_status rec_textvec_encode(uint32_t *ids_out, size_t cap, size_t *n_out, const rec_textvec *tv,
                              const char *text)
{
    static const char fn[] = "rec_textvec_encode";
    if (!tv)
        return rec__error(REC_EINVAL, "%s: tv is NULL", fn);
    if (!text)
        return rec__error(REC_EINVAL, "%s: text is NULL", fn);
    if (!n_out)
        return rec__error(REC_EINVAL, "%s: n_out is NULL", fn);
    if (!ids_out && cap > 0)
        return rec__error(REC_EINVAL, "%s: ids_out is NULL with cap = %zu", fn, cap);
    *n_out = encode(tv, text, ids_out, cap);
    return REC_OK;
}

rec_status rec_textvec_encode_batch(uint32_t *ids_out, size_t *width_out, const rec_textvec *tv,
                                    const char *const *texts, size_t n)
{
    static const char fn[] = "rec_textvec_encode_batch";
    if (!width_out)
        return rec__error(REC_EINVAL, "%s: width_out is NULL", fn);
    if (!tv)
        return rec__error(REC_EINVAL, "%s: tv is NULL", fn);
    if (!texts && n > 0)
        return rec__error(REC_EINVAL, "%s: texts is NULL with n = %zu", fn, n);

    /* Width = the longest text's token count (Keras pads the ragged batch to it). */
    size_t width = 0;
    for (size_t i = 0; i < n; i++) {
        if (!texts[i])
            return rec__error(REC_EINVAL, "%s: texts[%zu] is NULL", fn, i);
        size_t c = encode(tv, texts[i], NULL, 0);
        if (c > width)
            width = c;
    }
    size_t total;
    if (!rec__alloc_mul(n, width, &total))
        return rec__error(REC_EINVAL, "%s: %zu x %zu ids overflow size_t", fn, n, width);
    *width_out = width;
    if (!ids_out)
        return REC_OK;
    for (size_t i = 0; i < n; i++) {
        uint32_t *row = ids_out + i * width;
        size_t c = encode(tv, texts[i], row, width);
        for (size_t j = c; j < width; j++)
            row[j] = 0;
    }
    return REC_OK;
}
