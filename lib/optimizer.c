/* Optimizers: apply the gradient accumulated in a rec__param, then clear it.
 *
 * One struct for every optimizer, tagged by `kind`, so adding Adam or SGD is a new kind, a new
 * apply function and a new case in rec__optimizer_apply; the public update functions do not
 * change. Per-parameter state lives in the parameter's slots, created on first use and tagged
 * with the kind that created it (p->slot_kind), so one optimizer's state is never read as
 * another's. Sparse (row) parameters are updated only in the rows their backward touched. */
#include "rec_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Optimizer kinds; also the values stored in rec__param.slot_kind (0 = no state yet). */
enum {
    KIND_ADAGRAD = 1
};

struct rec_optimizer {
    int kind;
    float learning_rate;
    float initial_accumulator; /* Adagrad: value of new accumulators */
    float epsilon;             /* Adagrad: added to √a */
};

static const char *kind_name(int kind)
{
    switch (kind) {
    case KIND_ADAGRAD: return "Adagrad";
    default: return "unknown";
    }
}

rec_status rec_optimizer_create_adagrad(rec_optimizer **out, float learning_rate)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_optimizer_create_adagrad: out is NULL");
    *out = NULL;
    if (!(learning_rate > 0.0f) || !isfinite(learning_rate))
        return rec__error(REC_EINVAL, "rec_optimizer_create_adagrad: learning_rate = %g must be "
                          "> 0 and finite", (double)learning_rate);
    rec_optimizer *opt = rec__calloc(1, sizeof *opt);
    if (!opt)
        return rec__error(REC_ENOMEM, "rec_optimizer_create_adagrad: out of memory");
    /* Keras defaults: initial_accumulator_value 0.1, epsilon 1e-7 */
    opt->kind = KIND_ADAGRAD;
    opt->learning_rate = learning_rate;
    opt->initial_accumulator = 0.1f;
    opt->epsilon = 1e-7f;
    *out = opt;
    return REC_OK;
}

void rec_optimizer_free(rec_optimizer *opt)
{
    rec__free(opt);
}

rec_status rec_optimizer_set_learning_rate(rec_optimizer *opt, float learning_rate)
{
    if (!opt)
        return rec__error(REC_EINVAL, "rec_optimizer_set_learning_rate: opt is NULL");
    if (!(learning_rate > 0.0f) || !isfinite(learning_rate))
        return rec__error(REC_EINVAL, "rec_optimizer_set_learning_rate: learning_rate = %g must "
                          "be > 0 and finite", (double)learning_rate);
    opt->learning_rate = learning_rate;
    return REC_OK;
}

rec_status rec_optimizer_set_initial_accumulator(rec_optimizer *opt, float value)
{
    if (!opt)
        return rec__error(REC_EINVAL, "rec_optimizer_set_initial_accumulator: opt is NULL");
    if (!(value >= 0.0f) || !isfinite(value))
        return rec__error(REC_EINVAL, "rec_optimizer_set_initial_accumulator: value = %g must "
                          "be >= 0 and finite", (double)value);
    opt->initial_accumulator = value;
    return REC_OK;
}

rec_status rec_optimizer_set_epsilon(rec_optimizer *opt, float epsilon)
{
    if (!opt)
        return rec__error(REC_EINVAL, "rec_optimizer_set_epsilon: opt is NULL");
    if (!(epsilon >= 0.0f) || !isfinite(epsilon))
        return rec__error(REC_EINVAL, "rec_optimizer_set_epsilon: epsilon = %g must be >= 0 "
                          "and finite", (double)epsilon);
    opt->epsilon = epsilon;
    return REC_OK;
}

float rec_optimizer_learning_rate(const rec_optimizer *opt)
{
    return opt ? opt->learning_rate : 0.0f;
}

/* Adagrad's state: one accumulator per weight, starting at the initial accumulator. */
static rec_status adagrad_init_state(rec_optimizer *opt, rec__param *p, const char *fn)
{
    size_t bytes;
    if (!rec__mul_size(p->n, sizeof(float), &bytes))
        return rec__error(REC_ENOMEM, "%s: %zu accumulators overflow", fn, p->n);
    float *a = rec__malloc(bytes);
    if (!a)
        return rec__error(REC_ENOMEM, "%s: out of memory for %zu Adagrad accumulators", fn, p->n);
    for (size_t i = 0; i < p->n; i++)
        a[i] = opt->initial_accumulator;
    p->slot[0] = a;
    return REC_OK;
}

/* Create the parameter's optimizer state if it has none. Separate from the update so that
 * rec_optimizer_update_dense can create the state of both its parameters before changing
 * either (ENOMEM leaves the weights unchanged). */
static rec_status ensure_state(rec_optimizer *opt, rec__param *p, const char *fn)
{
    if (p->slot_kind == opt->kind)
        return REC_OK;
    if (p->slot_kind != 0)
        return rec__error(REC_ESTATE, "%s: parameter holds %s state, cannot be updated by %s",
                          fn, kind_name(p->slot_kind), kind_name(opt->kind));
    rec_status rc;
    switch (opt->kind) {
    case KIND_ADAGRAD: rc = adagrad_init_state(opt, p, fn); break;
    default: return rec__error(REC_ESTATE, "%s: unknown optimizer kind %d", fn, opt->kind);
    }
    if (rc == REC_OK)
        p->slot_kind = opt->kind;
    return rc;
}

/* Adagrad on n consecutive weights; returns non-zero if an updated weight is not finite.
 *
 *     a ← a + g²;   w ← w − lr · g / (√a + ε)
 *
 * With initial accumulator 0 and epsilon 0 the denominator is 0 exactly when g² is 0; the
 * denominator is then replaced by 1, so a zero gradient leaves w unchanged instead of giving
 * 0/0 = NaN (a NaN gradient still gives NaN: it is in the numerator). Both that guard and the
 * finiteness test are branch-free selects (the test ORs "exponent bits all ones", i.e. Inf or
 * NaN, into a flag), so GCC -O3 vectorizes the loop. */
static int adagrad_span(float *restrict w, const float *restrict g, float *restrict a, size_t n,
                        float lr, float eps)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float ai = a[i] + gi * gi;
        a[i] = ai;
        float den = sqrtf(ai) + eps;
        den = den > 0.0f ? den : 1.0f;
        float wi = w[i] - lr * gi / den;
        w[i] = wi;
        uint32_t bits;
        memcpy(&bits, &wi, sizeof bits);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return bad != 0;
}

/* Index of the first non-finite value in w[0..n), or n. Only called on the failure path. */
static size_t first_non_finite(const float *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return i;
    return n;
}

/* Adagrad step on p (all weights if dense, touched rows if sparse), then clear the gradient.
 * `fn` and `what` name the caller and the parameter in messages. */
static rec_status adagrad_apply(rec_optimizer *opt, rec__param *p, const char *fn,
                                const char *what)
{
    const float lr = opt->learning_rate, eps = opt->epsilon;
    float *a = p->slot[0];
    int diverged = 0;
    size_t bad_at = 0;
    if (p->row_dim == 0) {
        if (adagrad_span(p->w, p->g, a, p->n, lr, eps)) {
            diverged = 1;
            bad_at = first_non_finite(p->w, p->n);
        }
    } else {
        const size_t d = p->row_dim;
        for (size_t t = 0; t < p->n_touched; t++) {
            size_t off = (size_t)p->touched[t] * d;
            if (adagrad_span(p->w + off, p->g + off, a + off, d, lr, eps) && !diverged) {
                diverged = 1;
                bad_at = off + first_non_finite(p->w + off, d);
            }
        }
    }
    rec__param_zero_grad(p);
    if (!diverged)
        return REC_OK;
    const char *kind = isnan(p->w[bad_at]) ? "NaN" : "infinite";
    if (p->row_dim == 0)
        return rec__error(REC_ENUMERIC, "%s: training diverged: %s weight %zu is %s after an "
                          "Adagrad step (learning rate %g)", fn, what, bad_at, kind, (double)lr);
    return rec__error(REC_ENUMERIC, "%s: training diverged: %s row %zu column %zu is %s after an "
                      "Adagrad step (learning rate %g)", fn, what, bad_at / p->row_dim,
                      bad_at % p->row_dim, kind, (double)lr);
}

static rec_status apply(rec_optimizer *opt, rec__param *p, const char *fn, const char *what)
{
    rec_status rc = ensure_state(opt, p, fn);
    if (rc != REC_OK)
        return rc;
    switch (opt->kind) {
    case KIND_ADAGRAD: return adagrad_apply(opt, p, fn, what);
    default: return rec__error(REC_ESTATE, "%s: unknown optimizer kind %d", fn, opt->kind);
    }
}

rec_status rec__optimizer_apply(rec_optimizer *opt, rec__param *p)
{
    if (!opt || !p)
        return rec__error(REC_EINVAL, "rec__optimizer_apply: %s is NULL", opt ? "p" : "opt");
    return apply(opt, p, "rec_optimizer", "parameter");
}

rec_status rec_optimizer_update_embedding(rec_optimizer *opt, rec_embedding *emb)
{
    if (!opt)
        return rec__error(REC_EINVAL, "rec_optimizer_update_embedding: opt is NULL");
    if (!emb)
        return rec__error(REC_EINVAL, "rec_optimizer_update_embedding: emb is NULL");
    return apply(opt, rec__embedding_param(emb), "rec_optimizer_update_embedding", "embedding");
}

rec_status rec_optimizer_update_dense(rec_optimizer *opt, rec_dense *dense)
{
    static const char fn[] = "rec_optimizer_update_dense";
    if (!opt)
        return rec__error(REC_EINVAL, "%s: opt is NULL", fn);
    if (!dense)
        return rec__error(REC_EINVAL, "%s: dense is NULL", fn);
    rec__param *kernel = rec__dense_kernel(dense), *bias = rec__dense_bias(dense);
    /* state for both first: an allocation failure must leave kernel and bias untouched */
    rec_status rc = ensure_state(opt, kernel, fn);
    if (rc == REC_OK)
        rc = ensure_state(opt, bias, fn);
    if (rc != REC_OK)
        return rc;
    /* Update both even if the kernel diverged, so no stale gradient is left behind; report the
     * kernel's failure first (its message is kept aside while the bias is updated). */
    rc = apply(opt, kernel, fn, "kernel");
    char msg[512] = "";
    if (rc != REC_OK)
        snprintf(msg, sizeof msg, "%s", rec_last_error());
    rec_status rc_bias = apply(opt, bias, fn, "bias");
    if (rc != REC_OK)
        return rec__error(rc, "%s", msg);
    return rc_bias;
}
