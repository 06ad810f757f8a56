/* Mini-batches of row indices: a permutation of 0..n-1 per epoch, handed out in slices. */
#include "base/base.h"

struct rec_batches {
    uint32_t *order;   /* this epoch's row order, n */
    size_t n, batch_size;
    size_t pos;        /* rows of the epoch already handed out */
    int in_epoch;      /* 0 before the first call and after an epoch's final (empty) batch */
    int shuffle;
    rec__rng rng;
};

rec_status rec_batches_create(rec_batches **out, size_t n_examples, size_t batch_size,
                              int shuffle, uint64_t seed)
{
    static const char fn[] = "rec_batches_create";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (n_examples == 0)
        return rec__error(REC_EINVAL, "%s: n_examples must be > 0", fn);
    if (batch_size == 0)
        return rec__error(REC_EINVAL, "%s: batch_size must be > 0", fn);
    if ((uint64_t)n_examples > UINT32_MAX)
        return rec__error(REC_EINVAL, "%s: n_examples = %zu is not below 2^32", fn, n_examples);
    rec_batches *b = rec__calloc(1, sizeof *b);
    if (b)
        b->order = rec__malloc(n_examples * sizeof *b->order); /* < 2^34 bytes: no overflow */
    if (!b || !b->order) {
        rec__free(b);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    b->n = n_examples;
    b->batch_size = batch_size;
    b->shuffle = shuffle != 0;
    rec__rng_seed(&b->rng, seed);
    for (size_t i = 0; i < n_examples; i++)
        b->order[i] = (uint32_t)i;
    *out = b;
    return REC_OK;
}

void rec_batches_free(rec_batches *b)
{
    if (!b)
        return;
    rec__free(b->order);
    rec__free(b);
}

rec_status rec_batches_next(const uint32_t **rows_out, size_t *n_out, rec_batches *b)
{
    if (!rows_out || !n_out || !b)
        return rec__error(REC_EINVAL, "rec_batches_next: %s is NULL",
                          !rows_out ? "rows_out" : !n_out ? "n_out" : "b");
    if (!b->in_epoch) {
        /* Each epoch shuffles the identity afresh, so epoch e's order is the e-th shuffle of
         * 0..n-1 drawn from the handle's rng: the same as rec_rng_create(seed) followed by e
         * calls of rec_rng_shuffle_u32 on 0..n-1. */
        if (b->shuffle) {
            for (size_t i = 0; i < b->n; i++)
                b->order[i] = (uint32_t)i;
            rec__rng_shuffle_u32(&b->rng, b->order, b->n);
        }
        b->pos = 0;
        b->in_epoch = 1;
    }
    if (b->pos == b->n) {
        b->in_epoch = 0; /* the epoch is over; the next call starts another */
        *rows_out = b->order;
        *n_out = 0;
        return REC_OK;
    }
    size_t take = b->n - b->pos < b->batch_size ? b->n - b->pos : b->batch_size;
    *rows_out = b->order + b->pos;
    *n_out = take;
    b->pos += take;
    return REC_OK;
}

size_t rec_batches_count(const rec_batches *b)
{
    /* ceil(n / batch_size) without the overflow of n + batch_size - 1 */
    return b ? b->n / b->batch_size + (b->n % b->batch_size != 0) : 0;
}
