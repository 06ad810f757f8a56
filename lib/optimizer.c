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
    KIND_ADAGRAD = 1,
    KIND_ADAM = 2,
    KIND_SGD = 3
};

struct rec_optimizer {
    int kind;
    float learning_rate;
    float initial_accumulator; /* Adagrad: value of new accumulators */
    float epsilon;             /* Adagrad: added to √a; Adam: added to √v */
    float beta1, beta2;        /* Adam: decay of the first and second moments */
};

static const char *kind_name(int kind)
{
    switch (kind) {
    case KIND_ADAGRAD: return "Adagrad";
    case KIND_ADAM: return "Adam";
    case KIND_SGD: return "SGD";
    default: return "unknown";
    }
}

int rec__optimizer_slot_count(int slot_kind)
{
    switch (slot_kind) {
    case 0: return 0;            /* no state yet */
    case KIND_ADAGRAD: return 1; /* accumulators */
    case KIND_ADAM: return 2;    /* first and second moments */
    case KIND_SGD: return 0;     /* stateless */
    default: return -1;
    }
}

static rec_status create(rec_optimizer **out, int kind, float learning_rate, const char *fn)
{
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!(learning_rate > 0.0f) || !isfinite(learning_rate))
        return rec__error(REC_EINVAL, "%s: learning_rate = %g must be > 0 and finite", fn,
                          (double)learning_rate);
    rec_optimizer *opt = rec__calloc(1, sizeof *opt);
    if (!opt)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    /* Keras defaults: Adagrad initial_accumulator_value 0.1, epsilon 1e-7;
     * Adam beta_1 0.9, beta_2 0.999, epsilon 1e-7 */
    opt->kind = kind;
    opt->learning_rate = learning_rate;
    opt->initial_accumulator = 0.1f;
    opt->epsilon = 1e-7f;
    opt->beta1 = 0.9f;
    opt->beta2 = 0.999f;
    *out = opt;
    return REC_OK;
}

rec_status rec_optimizer_create_adagrad(rec_optimizer **out, float learning_rate)
{
    return create(out, KIND_ADAGRAD, learning_rate, "rec_optimizer_create_adagrad");
}

rec_status rec_optimizer_create_adam(rec_optimizer **out, float learning_rate)
{
    return create(out, KIND_ADAM, learning_rate, "rec_optimizer_create_adam");
}

rec_status rec_optimizer_create_sgd(rec_optimizer **out, float learning_rate)
{
    return create(out, KIND_SGD, learning_rate, "rec_optimizer_create_sgd");
}

rec_optimizer_kind rec_optimizer_kind_of(const rec_optimizer *opt)
{
    if (!opt)
        return REC_OPTIMIZER_ADAGRAD;
    switch (opt->kind) {
    case KIND_ADAM: return REC_OPTIMIZER_ADAM;
    case KIND_SGD: return REC_OPTIMIZER_SGD;
    default: return REC_OPTIMIZER_ADAGRAD;
    }
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
    if (opt->kind != KIND_ADAGRAD)
        return rec__error(REC_EINVAL, "rec_optimizer_set_initial_accumulator: only Adagrad has "
                          "an initial accumulator (this optimizer is %s)", kind_name(opt->kind));
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
    if (opt->kind == KIND_SGD)
        return rec__error(REC_EINVAL, "rec_optimizer_set_epsilon: SGD has no epsilon");
    if (!(epsilon >= 0.0f) || !isfinite(epsilon))
        return rec__error(REC_EINVAL, "rec_optimizer_set_epsilon: epsilon = %g must be >= 0 "
                          "and finite", (double)epsilon);
    opt->epsilon = epsilon;
    return REC_OK;
}

static rec_status set_beta(rec_optimizer *opt, float beta, float *dst, const char *fn)
{
    if (!opt)
        return rec__error(REC_EINVAL, "%s: opt is NULL", fn);
    if (opt->kind != KIND_ADAM)
        return rec__error(REC_EINVAL, "%s: only Adam has moment decays (this optimizer is %s)",
                          fn, kind_name(opt->kind));
    if (!(beta >= 0.0f && beta < 1.0f))
        return rec__error(REC_EINVAL, "%s: beta = %g must be in [0, 1)", fn, (double)beta);
    *dst = beta;
    return REC_OK;
}

rec_status rec_optimizer_set_beta1(rec_optimizer *opt, float beta1)
{
    return set_beta(opt, beta1, opt ? &opt->beta1 : NULL, "rec_optimizer_set_beta1");
}

rec_status rec_optimizer_set_beta2(rec_optimizer *opt, float beta2)
{
    return set_beta(opt, beta2, opt ? &opt->beta2 : NULL, "rec_optimizer_set_beta2");
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

/* Adam's state: first and second moments, starting at 0. */
static rec_status adam_init_state(rec__param *p, const char *fn)
{
    p->slot[0] = rec__calloc(p->n, sizeof(float));
    p->slot[1] = rec__calloc(p->n, sizeof(float));
    if (!p->slot[0] || !p->slot[1]) {
        rec__free(p->slot[0]);
        rec__free(p->slot[1]);
        p->slot[0] = p->slot[1] = NULL;
        return rec__error(REC_ENOMEM, "%s: out of memory for %zu Adam moments", fn, p->n);
    }
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
    rec_status rc = REC_OK;
    switch (opt->kind) {
    case KIND_ADAGRAD: rc = adagrad_init_state(opt, p, fn); break;
    case KIND_ADAM: rc = adam_init_state(p, fn); break;
    case KIND_SGD: break; /* stateless */
    default: return rec__error(REC_ESTATE, "%s: unknown optimizer kind %d", fn, opt->kind);
    }
    if (rc == REC_OK) {
        p->slot_kind = opt->kind;
        p->steps = 0;
    }
    return rc;
}

/* Constants of one update step, shared by every span of a parameter. */
typedef struct step {
    float lr, eps, b1, b2;
    float lr_t; /* Adam: bias-corrected learning rate of this step */
} step;

/* An update rule over n consecutive weights with their gradient and state slots; returns
 * non-zero if an updated weight is not finite. The finiteness test ORs "exponent bits all
 * ones" (Inf or NaN) into a flag without branching, so GCC -O3 vectorizes the loops. */
typedef int (*span_fn)(const step *k, float *restrict w, const float *restrict g,
                       float *restrict s0, float *restrict s1, size_t n);

static inline uint32_t non_finite(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (bits & 0x7f800000u) == 0x7f800000u;
}

/* Adagrad:  a ← a + g²;   w ← w − lr · g / (√a + ε)
 *
 * With initial accumulator 0 and epsilon 0 the denominator is 0 exactly when g² is 0; the
 * denominator is then replaced by 1, so a zero gradient leaves w unchanged instead of giving
 * 0/0 = NaN (a NaN gradient still gives NaN: it is in the numerator). */
static int adagrad_span(const step *k, float *restrict w, const float *restrict g,
                        float *restrict a, float *restrict unused, size_t n)
{
    (void)unused;
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float ai = a[i] + gi * gi;
        a[i] = ai;
        float den = sqrtf(ai) + k->eps;
        den = den > 0.0f ? den : 1.0f;
        float wi = w[i] - k->lr * gi / den;
        w[i] = wi;
        bad |= non_finite(wi);
    }
    return bad != 0;
}

/* Adam (tf.keras 2.x form), at step t of this parameter:
 *     m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *     w ← w − lr_t · m / (√v + ε),   lr_t = lr · √(1 − β2^t) / (1 − β1^t)
 * Embedding tables are updated lazily: only the rows a batch touched have their moments
 * decayed and their weights moved (Keras's dense Adam would decay every row every step). */
static int adam_span(const step *k, float *restrict w, const float *restrict g,
                     float *restrict m, float *restrict v, size_t n)
{
    uint32_t bad = 0;
    const float b1 = k->b1, b2 = k->b2, c1 = 1.0f - k->b1, c2 = 1.0f - k->b2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float den = sqrtf(vi) + k->eps;
        den = den > 0.0f ? den : 1.0f;
        float wi = w[i] - k->lr_t * mi / den;
        w[i] = wi;
        bad |= non_finite(wi);
    }
    return bad != 0;
}

/* SGD:  w ← w − lr · g */
static int sgd_span(const step *k, float *restrict w, const float *restrict g,
                    float *restrict unused0, float *restrict unused1, size_t n)
{
    (void)unused0;
    (void)unused1;
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float wi = w[i] - k->lr * g[i];
        w[i] = wi;
        bad |= non_finite(wi);
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

/* One step on p (all weights if dense, touched rows if sparse), then clear the gradient.
 * `fn` and `what` name the caller and the parameter in messages. */
static rec_status update(rec_optimizer *opt, rec__param *p, const char *fn, const char *what)
{
    span_fn span;
    step k = {opt->learning_rate, opt->epsilon, opt->beta1, opt->beta2, opt->learning_rate};
    switch (opt->kind) {
    case KIND_ADAGRAD: span = adagrad_span; break;
    case KIND_ADAM: {
        p->steps++;
        double t = (double)p->steps;
        k.lr_t = (float)(opt->learning_rate * sqrt(1.0 - pow(opt->beta2, t)) /
                         (1.0 - pow(opt->beta1, t)));
        span = adam_span;
        break;
    }
    case KIND_SGD: span = sgd_span; break;
    default: return rec__error(REC_ESTATE, "%s: unknown optimizer kind %d", fn, opt->kind);
    }
    int diverged = 0;
    size_t bad_at = 0;
    if (p->row_dim == 0) {
        if (span(&k, p->w, p->g, p->slot[0], p->slot[1], p->n)) {
            diverged = 1;
            bad_at = first_non_finite(p->w, p->n);
        }
    } else {
        const size_t d = p->row_dim;
        for (size_t t = 0; t < p->n_touched; t++) {
            size_t off = (size_t)p->touched[t] * d;
            float *s0 = p->slot[0] ? p->slot[0] + off : NULL;
            float *s1 = p->slot[1] ? p->slot[1] + off : NULL;
            if (span(&k, p->w + off, p->g + off, s0, s1, d) && !diverged) {
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
                          "%s step (learning rate %g)", fn, what, bad_at, kind,
                          kind_name(opt->kind), (double)opt->learning_rate);
    return rec__error(REC_ENUMERIC, "%s: training diverged: %s row %zu column %zu is %s after an "
                      "%s step (learning rate %g)", fn, what, bad_at / p->row_dim,
                      bad_at % p->row_dim, kind, kind_name(opt->kind),
                      (double)opt->learning_rate);
}

static rec_status apply(rec_optimizer *opt, rec__param *p, const char *fn, const char *what)
{
    rec_status rc = ensure_state(opt, p, fn);
    if (rc != REC_OK)
        return rc;
    return update(opt, p, fn, what);
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
