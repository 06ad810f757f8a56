/* Embedding table: Keras Embedding(n_rows, dim), plus the masked mean pooling of
 * Embedding(mask_zero=True) + GlobalAveragePooling1D().
 *
 * The weights and the gradient live in a rec__param with row_dim = dim, so the gradient is
 * sparse: backward marks the rows it touches and optimizers visit only those. Every entry point
 * that accumulates validates all of its ids (and offsets) before writing anything, so a failing
 * call leaves the gradient exactly as it was. */
#include "blocks/blocks.h"

#include <math.h>
#include <string.h>

struct rec_embedding {
    rec__param p; /* n_rows * dim weights, row-major; sparse gradient */
    uint32_t n_rows;
    uint32_t dim;
};

rec__param *rec__embedding_param(rec_embedding *e)
{
    return e ? &e->p : NULL;
}

rec_status rec_embedding_create(rec_embedding **out, uint32_t n_rows, uint32_t dim,
                                uint64_t seed)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_embedding_create: out is NULL");
    *out = NULL;
    if (n_rows == 0)
        return rec__error(REC_EINVAL, "rec_embedding_create: n_rows is 0");
    if (dim == 0)
        return rec__error(REC_EINVAL, "rec_embedding_create: dim is 0");
    size_t n, bytes;
    /* rec__param_init allocates n floats for weights and for gradients */
    if (!rec__alloc_mul(n_rows, dim, &n) || !rec__alloc_mul(n, sizeof(float), &bytes))
        return rec__error(REC_EINVAL, "rec_embedding_create: n_rows * dim = %lu * %lu overflows",
                          (unsigned long)n_rows, (unsigned long)dim);

    rec_embedding *e = rec__calloc(1, sizeof *e);
    if (!e)
        return rec__error(REC_ENOMEM, "rec_embedding_create: out of memory");
    if (rec__param_init(&e->p, n, dim) != REC_OK) {
        rec__free(e);
        return rec__error(REC_ENOMEM, "rec_embedding_create: out of memory for %lu x %lu table",
                          (unsigned long)n_rows, (unsigned long)dim);
    }
    e->n_rows = n_rows;
    e->dim = dim;

    /* Keras RandomUniform(-0.05, 0.05): w = minval + (maxval - minval) * u, row-major. */
    rec__rng rng;
    rec__rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++)
        e->p.w[i] = -0.05f + 0.1f * rec__rng_uniform(&rng);

    *out = e;
    return REC_OK;
}

void rec_embedding_free(rec_embedding *emb)
{
    if (!emb)
        return;
    rec__param_release(&emb->p);
    rec__free(emb);
}

uint32_t rec_embedding_rows(const rec_embedding *emb)
{
    return emb ? emb->n_rows : 0;
}

uint32_t rec_embedding_dim(const rec_embedding *emb)
{
    return emb ? emb->dim : 0;
}

const float *rec_embedding_row(const rec_embedding *emb, uint32_t row)
{
    if (!emb || row >= emb->n_rows)
        return NULL;
    return emb->p.w + (size_t)row * emb->dim;
}

rec_status rec_embedding_get_weights(const rec_embedding *emb, float *out, size_t n)
{
    if (!emb)
        return rec__error(REC_EINVAL, "rec_embedding_get_weights: emb is NULL");
    if (!out)
        return rec__error(REC_EINVAL, "rec_embedding_get_weights: out is NULL");
    if (n != emb->p.n)
        return rec__error(REC_ESHAPE, "rec_embedding_get_weights: n = %zu, table holds %zu",
                          n, emb->p.n);
    memcpy(out, emb->p.w, n * sizeof(float));
    return REC_OK;
}

rec_status rec_embedding_set_weights(rec_embedding *emb, const float *w, size_t n)
{
    if (!emb)
        return rec__error(REC_EINVAL, "rec_embedding_set_weights: emb is NULL");
    if (!w)
        return rec__error(REC_EINVAL, "rec_embedding_set_weights: w is NULL");
    if (n != emb->p.n)
        return rec__error(REC_ESHAPE, "rec_embedding_set_weights: n = %zu, table holds %zu",
                          n, emb->p.n);
    /* all-or-nothing: check every value before copying any */
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return rec__error(REC_ENUMERIC, "rec_embedding_set_weights: w[%zu] (row %zu) is %s",
                              i, i / emb->dim, isnan(w[i]) ? "NaN" : "infinite");
    memcpy(emb->p.w, w, n * sizeof(float));
    return REC_OK;
}

/* Index of the first id >= n_rows among ids[0..n), or n when all are valid. */
static size_t first_bad_id(const uint32_t *ids, size_t n, uint32_t n_rows)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= n_rows)
            return i;
    return n;
}

rec_status rec_embedding_gather(const rec_embedding *emb, const uint32_t *ids, size_t n,
                                float *out)
{
    if (!emb)
        return rec__error(REC_EINVAL, "rec_embedding_gather: emb is NULL");
    if (n == 0)
        return REC_OK;
    if (!ids)
        return rec__error(REC_EINVAL, "rec_embedding_gather: ids is NULL with n = %zu", n);
    if (!out)
        return rec__error(REC_EINVAL, "rec_embedding_gather: out is NULL with n = %zu", n);
    const size_t dim = emb->dim;
    const size_t row_bytes = dim * sizeof(float);
    /* out is output only, so ids are checked as they are copied (one pass over the batch) */
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        if (id >= emb->n_rows)
            return rec__error(REC_EINVAL, "rec_embedding_gather: ids[%zu] = %lu >= n_rows %lu",
                              i, (unsigned long)id, (unsigned long)emb->n_rows);
        memcpy(out + i * dim, emb->p.w + (size_t)id * dim, row_bytes);
    }
    return REC_OK;
}

/* g[k] += x[k] for k < dim; restrict lets the compiler vectorize it. */
static void add_row(float *restrict g, const float *restrict x, size_t dim)
{
    for (size_t k = 0; k < dim; k++)
        g[k] += x[k];
}

rec_status rec_embedding_backward(rec_embedding *emb, const uint32_t *ids, size_t n,
                                  const float *grad_out)
{
    if (!emb)
        return rec__error(REC_EINVAL, "rec_embedding_backward: emb is NULL");
    if (n == 0)
        return REC_OK;
    if (!ids)
        return rec__error(REC_EINVAL, "rec_embedding_backward: ids is NULL with n = %zu", n);
    if (!grad_out)
        return rec__error(REC_EINVAL, "rec_embedding_backward: grad_out is NULL with n = %zu",
                          n);
    size_t bad = first_bad_id(ids, n, emb->n_rows);
    if (bad < n)
        return rec__error(REC_EINVAL, "rec_embedding_backward: ids[%zu] = %lu >= n_rows %lu",
                          bad, (unsigned long)ids[bad], (unsigned long)emb->n_rows);
    /* dL/dW[ids[i]] += dL/dout[i]: a row gathered twice receives both gradients (summed) */
    const size_t dim = emb->dim;
    for (size_t i = 0; i < n; i++)
        add_row(rec__param_grad_row(&emb->p, ids[i]), grad_out + i * dim, dim);
    return REC_OK;
}

/* Checks the CSR bag description shared by the pooled forward and backward; `fn` names the
 * caller in messages. On success *n_ids_out = offsets[n_bags], the length of ids. */
static rec_status check_bags(const char *fn, const rec_embedding *emb, const uint32_t *ids,
                             const size_t *offsets, size_t n_bags, const void *dense,
                             const char *dense_name, size_t *n_ids_out)
{
    if (!emb)
        return rec__error(REC_EINVAL, "%s: emb is NULL", fn);
    if (!offsets)
        return rec__error(REC_EINVAL, "%s: offsets is NULL", fn);
    if (offsets[0] != 0)
        return rec__error(REC_EINVAL, "%s: offsets[0] = %zu, must be 0", fn, offsets[0]);
    for (size_t b = 0; b < n_bags; b++)
        if (offsets[b + 1] < offsets[b])
            return rec__error(REC_EINVAL, "%s: offsets[%zu] = %zu < offsets[%zu] = %zu", fn,
                              b + 1, offsets[b + 1], b, offsets[b]);
    if (n_bags > 0 && !dense)
        return rec__error(REC_EINVAL, "%s: %s is NULL with n_bags = %zu", fn, dense_name,
                          n_bags);
    size_t n_ids = offsets[n_bags];
    if (n_ids > 0 && !ids)
        return rec__error(REC_EINVAL, "%s: ids is NULL with offsets[n_bags] = %zu", fn, n_ids);
    size_t bad = first_bad_id(ids, n_ids, emb->n_rows);
    if (bad < n_ids)
        return rec__error(REC_EINVAL, "%s: ids[%zu] = %lu >= n_rows %lu", fn, bad,
                          (unsigned long)ids[bad], (unsigned long)emb->n_rows);
    *n_ids_out = n_ids;
    return REC_OK;
}

rec_status rec_embedding_pool_mean(const rec_embedding *emb, const uint32_t *ids,
                                   const size_t *offsets, size_t n_bags, float *out)
{
    size_t n_ids;
    rec_status rc = check_bags("rec_embedding_pool_mean", emb, ids, offsets, n_bags, out, "out",
                               &n_ids);
    if (rc != REC_OK)
        return rc;
    const size_t dim = emb->dim;
    for (size_t b = 0; b < n_bags; b++) {
        float *restrict o = out + b * dim;
        memset(o, 0, dim * sizeof(float));
        size_t count = 0;
        for (size_t j = offsets[b]; j < offsets[b + 1]; j++) {
            if (ids[j] == 0) /* padding (mask_zero=True) */
                continue;
            add_row(o, emb->p.w + (size_t)ids[j] * dim, dim);
            count++;
        }
        /* mean = sum / count, as Keras's masked GlobalAveragePooling1D divides; an empty bag
         * stays zeros where Keras would give 0/0 = NaN */
        if (count > 1) {
            const float c = (float)count;
            for (size_t k = 0; k < dim; k++)
                o[k] /= c;
        }
    }
    return REC_OK;
}

rec_status rec_embedding_pool_mean_backward(rec_embedding *emb, const uint32_t *ids,
                                            const size_t *offsets, size_t n_bags,
                                            const float *grad_out)
{
    size_t n_ids;
    rec_status rc = check_bags("rec_embedding_pool_mean_backward", emb, ids, offsets, n_bags,
                               grad_out, "grad_out", &n_ids);
    if (rc != REC_OK)
        return rc;
    const size_t dim = emb->dim;
    for (size_t b = 0; b < n_bags; b++) {
        size_t count = 0;
        for (size_t j = offsets[b]; j < offsets[b + 1]; j++)
            count += ids[j] != 0;
        if (count == 0)
            continue;
        /* out[b] = (1/c) Σ_j W[ids[j]]  ⇒  dL/dW[ids[j]] += dL/dout[b] / c */
        const float c = (float)count;
        const float *go = grad_out + b * dim;
        for (size_t j = offsets[b]; j < offsets[b + 1]; j++) {
            if (ids[j] == 0)
                continue;
            float *restrict g = rec__param_grad_row(&emb->p, ids[j]);
            for (size_t k = 0; k < dim; k++)
                g[k] += go[k] / c;
        }
    }
    return REC_OK;
}

rec_status rec_embedding_get_grad(const rec_embedding *emb, float *out, size_t n)
{
    if (!emb)
        return rec__error(REC_EINVAL, "rec_embedding_get_grad: emb is NULL");
    if (!out)
        return rec__error(REC_EINVAL, "rec_embedding_get_grad: out is NULL");
    if (n != emb->p.n)
        return rec__error(REC_ESHAPE, "rec_embedding_get_grad: n = %zu, table holds %zu", n,
                          emb->p.n);
    /* rec__param keeps g zero outside the touched rows, so a plain copy is the dense view */
    memcpy(out, emb->p.g, n * sizeof(float));
    return REC_OK;
}

size_t rec_embedding_grad_row_count(const rec_embedding *emb)
{
    return emb ? emb->p.n_touched : 0;
}

void rec_embedding_zero_grad(rec_embedding *emb)
{
    if (emb)
        rec__param_zero_grad(&emb->p);
}
