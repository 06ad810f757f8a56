/* Keras Dense: y = act(x·W + b). The kernel and bias are dense rec__param (row_dim 0) so an
 * optimizer updates them like any other parameter. Both passes go through rec__blas_sgemm; the
 * per-element work (bias, activation, its derivative) is one pass over the batch each. */
#include "blocks/blocks.h"
#include "kernels/kernels.h"

#include <limits.h>
#include <math.h>
#include <string.h>

struct rec_dense {
    rec__param kernel;    /* n_in × n_out, row-major: W[i][j] = kernel.w[i·n_out + j] */
    rec__param bias;      /* n_out */
    uint32_t n_in;
    uint32_t n_out;
    rec_activation activation;
    /* δ of the last backward (batch × n_out). Grown only when a larger batch arrives, so the
     * steady state allocates nothing. Unused for the linear activation (δ = dy). */
    float *delta;
    size_t delta_cap; /* floats */
};

const char *rec_activation_name(int activation)
{
    switch (activation) {
    case REC_ACTIVATION_LINEAR: return "linear";
    case REC_ACTIVATION_RELU: return "relu";
    case REC_ACTIVATION_SIGMOID: return "sigmoid";
    case REC_ACTIVATION_TANH: return "tanh";
    default: return "unknown";
    }
}

static int activation_valid(int activation)
{
    return activation >= REC_ACTIVATION_LINEAR && activation <= REC_ACTIVATION_TANH;
}

rec_status rec_dense_create(rec_dense **out, uint32_t n_in, uint32_t n_out,
                            rec_activation activation, uint64_t seed)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_dense_create: out is NULL");
    *out = NULL;
    if (n_in == 0)
        return rec__error(REC_EINVAL, "rec_dense_create: n_in must be > 0");
    if (n_out == 0)
        return rec__error(REC_EINVAL, "rec_dense_create: n_out must be > 0");
    /* CBLAS takes int dimensions and leading dimensions. */
    if (n_in > INT_MAX || n_out > INT_MAX)
        return rec__error(REC_EINVAL, "rec_dense_create: n_in = %u or n_out = %u exceeds %d",
                          (unsigned)n_in, (unsigned)n_out, INT_MAX);
    if (!activation_valid((int)activation))
        return rec__error(REC_EINVAL, "rec_dense_create: unknown activation %d",
                          (int)activation);
    size_t n_w, bytes;
    if (!rec__alloc_mul(n_in, n_out, &n_w) || !rec__alloc_mul(n_w, sizeof(float), &bytes))
        return rec__error(REC_EINVAL, "rec_dense_create: %u x %u kernel overflows size_t",
                          (unsigned)n_in, (unsigned)n_out);

    rec_dense *d = rec__calloc(1, sizeof *d);
    if (!d)
        return rec__error(REC_ENOMEM, "rec_dense_create: out of memory");
    d->n_in = n_in;
    d->n_out = n_out;
    d->activation = activation;
    if (rec__param_init(&d->kernel, n_w, 0) != REC_OK ||
        rec__param_init(&d->bias, n_out, 0) != REC_OK) {
        rec_dense_free(d);
        return rec__error(REC_ENOMEM, "rec_dense_create: out of memory for %u x %u weights",
                          (unsigned)n_in, (unsigned)n_out);
    }

    /* Glorot uniform: limit = sqrt(6 / (fan_in + fan_out)), w = −limit + 2·limit·u with
     * u ∈ [0, 1), drawn in row-major order so a seed gives the same kernel everywhere. */
    rec__rng rng;
    rec__rng_seed(&rng, seed);
    float limit = (float)sqrt(6.0 / ((double)n_in + (double)n_out));
    for (size_t i = 0; i < n_w; i++)
        d->kernel.w[i] = -limit + 2.0f * limit * rec__rng_uniform(&rng);
    memset(d->bias.w, 0, (size_t)n_out * sizeof(float));

    *out = d;
    return REC_OK;
}

void rec_dense_free(rec_dense *dense)
{
    if (!dense)
        return;
    rec__param_release(&dense->kernel);
    rec__param_release(&dense->bias);
    rec__free(dense->delta);
    rec__free(dense);
}

uint32_t rec_dense_n_in(const rec_dense *dense)
{
    return dense ? dense->n_in : 0;
}

uint32_t rec_dense_n_out(const rec_dense *dense)
{
    return dense ? dense->n_out : 0;
}

rec_activation rec_dense_activation(const rec_dense *dense)
{
    return dense ? dense->activation : REC_ACTIVATION_LINEAR;
}

rec__param *rec__dense_kernel(rec_dense *d)
{
    return d ? &d->kernel : NULL;
}

rec__param *rec__dense_bias(rec_dense *d)
{
    return d ? &d->bias : NULL;
}

/* Check batch against the BLAS int limit and the size of the batch × width buffers. */
static rec_status check_batch(const char *fn, const rec_dense *d, size_t batch)
{
    size_t n;
    if (batch == 0)
        return rec__error(REC_EINVAL, "%s: batch must be > 0", fn);
    if (batch > INT_MAX || !rec__alloc_mul(batch, d->n_in > d->n_out ? d->n_in : d->n_out, &n) ||
        !rec__alloc_mul(n, sizeof(float), &n))
        return rec__error(REC_EINVAL, "%s: batch = %zu is too large", fn, batch);
    return REC_OK;
}

/* row = act(row + b). restrict: the layer's bias never aliases the caller's output, and
 * saying so lets the compiler vectorize. relu keeps NaN (NaN < 0 is false) so divergence
 * stays visible to the loss instead of being silently zeroed. */
static inline void bias_act(rec_activation act, float *restrict row, const float *restrict b,
                            size_t n)
{
    switch (act) {
    case REC_ACTIVATION_LINEAR:
        for (size_t j = 0; j < n; j++)
            row[j] += b[j];
        break;
    case REC_ACTIVATION_RELU:
        for (size_t j = 0; j < n; j++) {
            float z = row[j] + b[j];
            row[j] = z < 0.0f ? 0.0f : z;
        }
        break;
    case REC_ACTIVATION_SIGMOID:
        for (size_t j = 0; j < n; j++)
            row[j] = rec__sigmoid(row[j] + b[j]);
        break;
    case REC_ACTIVATION_TANH:
        for (size_t j = 0; j < n; j++)
            row[j] = tanhf(row[j] + b[j]);
        break;
    }
}

/* acc (cols) += Σ_rows m (rows × cols): the bias gradient, db += Σ_rows δ. */
static inline void add_rows(float *restrict acc, const float *restrict m, size_t rows,
                            size_t cols)
{
    for (size_t r = 0; r < rows; r++) {
        const float *row = m + r * cols;
        for (size_t j = 0; j < cols; j++)
            acc[j] += row[j];
    }
}

/* Σ_i a_i b_i in eight interleaved partial sums added pairwise at the end: a fixed order
 * that vectorizes (a single running sum cannot) and does not depend on the batch. */
static inline float dot8(const float *restrict a, const float *restrict b, size_t n)
{
    float s[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            s[j] += a[i + j] * b[i + j];
    float t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < n; i++)
        t += a[i] * b[i];
    return t;
}

REC_CLONES
void rec__dense_forward_raw(const rec_dense *d, const float *x, size_t batch, float *y)
{
    const size_t n_in = d->n_in, n_out = d->n_out;
    if (n_out == 1) {
        /* one unit (a regression head): a dot product per row; a matrix product with one
         * column would spend more on packing than on arithmetic */
        for (size_t r = 0; r < batch; r++) {
            y[r] = dot8(x + r * n_in, d->kernel.w, n_in);
            bias_act(d->activation, y + r, d->bias.w, 1);
        }
        return;
    }
    /* z = x·W (batch × n_out) */
    rec__blas_sgemm(0, 0, batch, n_out, n_in, 1.0f, x, n_in, d->kernel.w, n_out, 0.0f, y, n_out);
    /* y = act(z + b), one pass over the batch. */
    for (size_t r = 0; r < batch; r++)
        bias_act(d->activation, y + r * n_out, d->bias.w, n_out);
}

/* As rec__dense_forward_raw, with each row's bits independent of the other rows of the batch
 * (rec__rows_nn instead of OpenBLAS): evaluation and prediction. */
REC_CLONES
void rec__dense_forward_rows(const rec_dense *d, const float *x, size_t batch, float *y)
{
    const size_t n_in = d->n_in, n_out = d->n_out;
    if (n_out == 1) { /* already row by row */
        rec__dense_forward_raw(d, x, batch, y);
        return;
    }
    rec__rows_nn(batch, n_in, n_out, x, n_in, d->kernel.w, y, n_out);
    for (size_t r = 0; r < batch; r++)
        bias_act(d->activation, y + r * n_out, d->bias.w, n_out);
}

rec_status rec_dense_forward(const rec_dense *dense, const float *x, size_t batch, float *y)
{
    static const char fn[] = "rec_dense_forward";
    if (!dense)
        return rec__error(REC_EINVAL, "%s: dense is NULL", fn);
    if (!x)
        return rec__error(REC_EINVAL, "%s: x is NULL", fn);
    if (!y)
        return rec__error(REC_EINVAL, "%s: y is NULL", fn);
    rec_status rc = check_batch(fn, dense, batch);
    if (rc != REC_OK)
        return rc;
    rec__dense_forward_raw(dense, x, batch, y);
    return REC_OK;
}

REC_CLONES
void rec__dense_activate(const rec_dense *d, float *restrict y, size_t batch)
{
    rec__act_apply(d->activation, y, batch * d->n_out);
}

REC_CLONES
const float *rec__dense_delta(const rec_dense *d, const float *y, const float *dy, size_t batch,
                              float *delta)
{
    if (d->activation == REC_ACTIVATION_LINEAR)
        return dy;
    rec__act_delta(d->activation, delta, y, dy, batch * d->n_out);
    return delta;
}

REC_CLONES
void rec__dense_bias_grad(float *gb, const float *delta, size_t batch, size_t n_out,
                          int accumulate)
{
    if (!accumulate)
        memset(gb, 0, n_out * sizeof *gb);
    add_rows(gb, delta, batch, n_out);
}

REC_CLONES
void rec__dense_backward_raw(const rec_dense *d, const float *x, const float *y, const float *dy,
                             size_t batch, float *delta, float *gk, float *gb, int accumulate,
                             float *dx)
{
    const size_t n_in = d->n_in, n_out = d->n_out;
    /* δ = dy ∘ act'(y); for linear act' = 1 so δ is dy itself and needs no scratch. */
    const float *dl = dy;
    if (d->activation != REC_ACTIVATION_LINEAR) {
        rec__act_delta(d->activation, delta, y, dy, batch * n_out);
        dl = delta;
    }
    if (n_out == 1) {
        /* one unit: gk_i [+]= Σ_r x_ri δ_r, gb [+]= Σ_r δ_r, dx_ri = δ_r w_i, as loops */
        const float *w = d->kernel.w;
        if (!accumulate) {
            memset(gk, 0, n_in * sizeof *gk);
            gb[0] = 0.0f;
        }
        for (size_t r = 0; r < batch; r++) {
            const float *xr = x + r * n_in;
            const float g = dl[r];
            for (size_t i = 0; i < n_in; i++)
                gk[i] += xr[i] * g;
            gb[0] += g;
            if (dx) {
                float *dxr = dx + r * n_in;
                for (size_t i = 0; i < n_in; i++)
                    dxr[i] = g * w[i];
            }
        }
        return;
    }
    /* gk ← [gk +] xᵀ·δ  (n_in × n_out); beta = 0 overwrites without reading gk */
    rec__blas_sgemm(1, 0, n_in, n_out, batch, 1.0f, x, n_in, dl, n_out, accumulate ? 1.0f : 0.0f,
               gk, n_out);
    /* gb ← [gb +] Σ_rows δ */
    if (!accumulate)
        memset(gb, 0, n_out * sizeof *gb);
    add_rows(gb, dl, batch, n_out);
    /* dx = δ·Wᵀ  (batch × n_in) */
    if (dx)
        rec__blas_sgemm(0, 1, batch, n_in, n_out, 1.0f, dl, n_out, d->kernel.w, n_out, 0.0f, dx,
                   n_in);
}

rec_status rec_dense_backward(rec_dense *dense, const float *x, const float *y, const float *dy,
                              size_t batch, float *dx)
{
    static const char fn[] = "rec_dense_backward";
    if (!dense)
        return rec__error(REC_EINVAL, "%s: dense is NULL", fn);
    if (!x)
        return rec__error(REC_EINVAL, "%s: x is NULL", fn);
    if (!y)
        return rec__error(REC_EINVAL, "%s: y is NULL", fn);
    if (!dy)
        return rec__error(REC_EINVAL, "%s: dy is NULL", fn);
    rec_status rc = check_batch(fn, dense, batch);
    if (rc != REC_OK)
        return rc;

    const size_t n = batch * dense->n_out; /* no overflow: check_batch */
    if (dense->activation != REC_ACTIVATION_LINEAR && n > dense->delta_cap) {
        /* Grow before touching anything, so a failure leaves the layer unchanged. */
        float *p = rec__realloc(dense->delta, n * sizeof(float));
        if (!p)
            return rec__error(REC_ENOMEM, "%s: out of memory for a %zu x %zu scratch", fn, batch,
                              (size_t)dense->n_out);
        dense->delta = p;
        dense->delta_cap = n;
    }
    rec__dense_backward_raw(dense, x, y, dy, batch, dense->delta, dense->kernel.g, dense->bias.g,
                            1, dx);
    return REC_OK;
}

/* Shape check shared by the weight and gradient accessors: a non-NULL buffer must have
 * exactly the parameter's size. */
static rec_status check_shapes(const char *fn, const rec_dense *d, const void *kernel,
                               size_t n_kernel, const void *bias, size_t n_bias)
{
    if (!d)
        return rec__error(REC_EINVAL, "%s: dense is NULL", fn);
    if (kernel && n_kernel != d->kernel.n)
        return rec__error(REC_ESHAPE, "%s: n_kernel = %zu, the kernel has %zu (%u x %u)", fn,
                          n_kernel, d->kernel.n, (unsigned)d->n_in, (unsigned)d->n_out);
    if (bias && n_bias != d->bias.n)
        return rec__error(REC_ESHAPE, "%s: n_bias = %zu, the bias has %zu", fn, n_bias,
                          d->bias.n);
    return REC_OK;
}

rec_status rec_dense_get_weights(const rec_dense *dense, float *kernel, size_t n_kernel,
                                 float *bias, size_t n_bias)
{
    rec_status rc = check_shapes("rec_dense_get_weights", dense, kernel, n_kernel, bias, n_bias);
    if (rc != REC_OK)
        return rc;
    if (kernel)
        memcpy(kernel, dense->kernel.w, n_kernel * sizeof(float));
    if (bias)
        memcpy(bias, dense->bias.w, n_bias * sizeof(float));
    return REC_OK;
}

static rec_status check_finite(const char *fn, const char *name, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return rec__error(REC_ENUMERIC, "%s: %s[%zu] is not finite", fn, name, i);
    return REC_OK;
}

rec_status rec_dense_set_weights(rec_dense *dense, const float *kernel, size_t n_kernel,
                                 const float *bias, size_t n_bias)
{
    static const char fn[] = "rec_dense_set_weights";
    rec_status rc = check_shapes(fn, dense, kernel, n_kernel, bias, n_bias);
    if (rc != REC_OK)
        return rc;
    /* Validate both before copying either: all or nothing. */
    if (kernel && (rc = check_finite(fn, "kernel", kernel, n_kernel)) != REC_OK)
        return rc;
    if (bias && (rc = check_finite(fn, "bias", bias, n_bias)) != REC_OK)
        return rc;
    if (kernel)
        memcpy(dense->kernel.w, kernel, n_kernel * sizeof(float));
    if (bias)
        memcpy(dense->bias.w, bias, n_bias * sizeof(float));
    return REC_OK;
}

rec_status rec_dense_get_grad(const rec_dense *dense, float *kernel, size_t n_kernel, float *bias,
                              size_t n_bias)
{
    rec_status rc = check_shapes("rec_dense_get_grad", dense, kernel, n_kernel, bias, n_bias);
    if (rc != REC_OK)
        return rc;
    if (kernel)
        memcpy(kernel, dense->kernel.g, n_kernel * sizeof(float));
    if (bias)
        memcpy(bias, dense->bias.g, n_bias * sizeof(float));
    return REC_OK;
}

void rec_dense_zero_grad(rec_dense *dense)
{
    if (!dense)
        return;
    rec__param_zero_grad(&dense->kernel);
    rec__param_zero_grad(&dense->bias);
}
