/* Optimizers: apply the gradient accumulated in a rec__param, then clear it.
 *
 * One struct for every optimizer, tagged by `kind`, so adding Adam or SGD is a new kind, a new
 * apply function and a new case in rec__optimizer_apply; the public update functions do not
 * change. Per-parameter state lives in the parameter's slots, created on first use and tagged
 * with the kind that created it (p->slot_kind), so one optimizer's state is never read as
 * another's. Sparse (row) parameters are updated only in the rows their backward touched. */
#include "blocks/blocks.h"

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

/* A message's "fn: " prefix, or none for rec__optimizer_apply (whose callers add their own):
 * two arguments for a "%s%s" at the start of the format. */
#define FN(fn) (fn) ? (fn) : "", (fn) ? ": " : ""

/* Adagrad's state: one accumulator per weight, starting at the initial accumulator. */
static rec_status adagrad_init_state(rec_optimizer *opt, rec__param *p, const char *fn)
{
    size_t bytes;
    if (!rec__alloc_mul(p->n, sizeof(float), &bytes))
        return rec__error(REC_ENOMEM, "%s%s%zu accumulators overflow", FN(fn), p->n);
    float *a = rec__malloc_lines(bytes);
    if (!a)
        return rec__error(REC_ENOMEM, "%s%sout of memory for %zu Adagrad accumulators",
                          FN(fn), p->n);
    rec__alloc_advise_hugepages(a, bytes);
    for (size_t i = 0; i < p->n; i++)
        a[i] = opt->initial_accumulator;
    p->slot[0] = a;
    return REC_OK;
}

/* Adam's state: first and second moments, starting at 0. */
static rec_status adam_init_state(rec__param *p, const char *fn)
{
    p->slot[0] = rec__calloc_lines(p->n, sizeof(float));
    p->slot[1] = rec__calloc_lines(p->n, sizeof(float));
    if (!p->slot[0] || !p->slot[1]) {
        rec__free(p->slot[0]);
        rec__free(p->slot[1]);
        p->slot[0] = p->slot[1] = NULL;
        return rec__error(REC_ENOMEM, "%s%sout of memory for %zu Adam moments", FN(fn), p->n);
    }
    rec__alloc_advise_hugepages(p->slot[0], p->n * sizeof(float));
    rec__alloc_advise_hugepages(p->slot[1], p->n * sizeof(float));
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
        return rec__error(REC_ESTATE, "%s%sparameter holds %s state, cannot be updated by %s",
                          FN(fn), kind_name(p->slot_kind), kind_name(opt->kind));
    rec_status rc = REC_OK;
    switch (opt->kind) {
    case KIND_ADAGRAD: rc = adagrad_init_state(opt, p, fn); break;
    case KIND_ADAM: rc = adam_init_state(p, fn); break;
    case KIND_SGD: break; /* stateless */
    default: return rec__error(REC_ESTATE, "%s%sunknown optimizer kind %d", FN(fn), opt->kind);
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

/* An update rule over n consecutive weights with their gradient and state slots: updates the
 * weights and state, clears the gradient it has read (so no second pass over the gradient is
 * needed), and returns non-zero if an updated weight is not finite. The finiteness test ORs
 * "exponent bits all ones" (Inf or NaN) into a flag without branching, so GCC -O3 vectorizes
 * the loops. The rules are inlined into the multi-versioned loops below (REC_CLONES): every
 * version computes the same element-wise IEEE operations, so the same bits. With `lanes`
 * (n flags), the flag of weight i is ORed into lanes[i] instead and 0 returned: the caller
 * updating many short rows then tests the flags once, not once per row (the horizontal OR of
 * a vector of flags costs about a third of a short row's update). */
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
static inline __attribute__((always_inline)) int
adagrad_span(const step *k, float *restrict w, float *restrict g, float *restrict a,
             float *restrict unused, size_t n, uint32_t *restrict lanes)
{
    (void)unused;
    uint32_t bad = 0;
    const float lr = k->lr, eps = k->eps;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float ai = a[i] + gi * gi;
        a[i] = ai;
        g[i] = 0.0f;
        float den = sqrtf(ai) + eps;
        den = den > 0.0f ? den : 1.0f;
        float wi = w[i] - lr * gi / den;
        w[i] = wi;
        if (lanes)
            lanes[i] |= non_finite(wi);
        else
            bad |= non_finite(wi);
    }
    return bad != 0;
}

/* Adam (tf.keras 2.x form), at step t of this parameter:
 *     m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *     w ← w − lr_t · m / (√v + ε),   lr_t = lr · √(1 − β2^t) / (1 − β1^t)
 * Embedding tables are updated lazily: only the rows a batch touched have their moments
 * decayed and their weights moved (Keras's dense Adam would decay every row every step). */
static inline __attribute__((always_inline)) int
adam_span(const step *k, float *restrict w, float *restrict g, float *restrict m,
          float *restrict v, size_t n, uint32_t *restrict lanes)
{
    uint32_t bad = 0;
    const float b1 = k->b1, b2 = k->b2, c1 = 1.0f - k->b1, c2 = 1.0f - k->b2;
    const float lr_t = k->lr_t, eps = k->eps;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + c1 * gi;
        float vi = b2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        g[i] = 0.0f;
        float den = sqrtf(vi) + eps;
        den = den > 0.0f ? den : 1.0f;
        float wi = w[i] - lr_t * mi / den;
        w[i] = wi;
        if (lanes)
            lanes[i] |= non_finite(wi);
        else
            bad |= non_finite(wi);
    }
    return bad != 0;
}

/* SGD:  w ← w − lr · g */
static inline __attribute__((always_inline)) int
sgd_span(const step *k, float *restrict w, float *restrict g, float *restrict unused0,
         float *restrict unused1, size_t n, uint32_t *restrict lanes)
{
    (void)unused0;
    (void)unused1;
    uint32_t bad = 0;
    const float lr = k->lr;
    for (size_t i = 0; i < n; i++) {
        float wi = w[i] - lr * g[i];
        g[i] = 0.0f;
        w[i] = wi;
        if (lanes)
            lanes[i] |= non_finite(wi);
        else
            bad |= non_finite(wi);
    }
    return bad != 0;
}

/* One rule over n weights; `kind` is a constant wherever this is inlined, so each caller gets
 * its own loop with no dispatch inside it. */
static inline __attribute__((always_inline)) int
span(int kind, const step *k, float *w, float *g, float *s0, float *s1, size_t n,
     uint32_t *lanes)
{
    switch (kind) {
    case KIND_ADAGRAD: return adagrad_span(k, w, g, s0, s1, n, lanes);
    case KIND_ADAM: return adam_span(k, w, g, s0, s1, n, lanes);
    default: return sgd_span(k, w, g, s0, s1, n, lanes);
    }
}

/* Index of the first non-finite value in w[0..n), or n. Only called on the failure path. */
static size_t first_non_finite(const float *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return i;
    return n;
}

/* Rows ahead of the current one whose weights, gradient and state are prefetched: on large
 * tables (MovieLens-25M-shaped data: 20 MB per array) every touched row is a miss to memory,
 * and the rows of a batch are independent, so their loads can overlap. Twelve rows, because
 * the ~15 ns of sqrt and division per row cover far less than a miss. */
#define PREFETCH_ROWS 12

static inline void prefetch_row(const float *base, size_t d)
{
    for (size_t o = 0; o < d; o += 16)
        __builtin_prefetch(base + o, 1, 3);
    __builtin_prefetch(base + d - 1, 1, 3);
}

/* The touched rows of a sparse parameter, then its gradient cleared (the rules clear the
 * rows they read; here the touched flags and list). Returns non-zero if a weight diverged,
 * with the offset of the first bad weight of the first bad row in *bad_at. */
static inline __attribute__((always_inline)) int
rows_loop(int kind, const step *k, rec__param *p, size_t *bad_at)
{
    const size_t d = p->row_dim, n = p->n_touched;
    const uint32_t *rows = p->touched;
    float *w = p->w, *g = p->g, *s0 = p->slot[0], *s1 = p->slot[1];
    uint32_t lanes[32] = {0};
    int diverged = 0;
    for (size_t t = 0; t < n; t++) {
        if (t + PREFETCH_ROWS < n) {
            size_t ahead = (size_t)rows[t + PREFETCH_ROWS] * d;
            prefetch_row(w + ahead, d);
            prefetch_row(g + ahead, d);
            if (s0)
                prefetch_row(s0 + ahead, d);
            if (s1)
                prefetch_row(s1 + ahead, d);
        }
        const uint32_t row = rows[t];
        const size_t off = (size_t)row * d;
        float *r0 = s0 ? s0 + off : NULL, *r1 = s1 ? s1 + off : NULL;
        /* the common embedding width as a constant: a fully unrolled vector loop whose
         * finiteness flags are tested after the last row */
        if (d == 32)
            span(kind, k, w + off, g + off, r0, r1, 32, lanes);
        else if (span(kind, k, w + off, g + off, r0, r1, d, NULL) && !diverged) {
            diverged = 1;
            *bad_at = off + first_non_finite(w + off, d);
        }
        /* read before writing: a thread updating the rows it owns (lib/train) then never
         * writes a flag line another thread's rows share, unless the flag was set */
        if (p->is_touched[row])
            p->is_touched[row] = 0;
    }
    uint32_t any = 0;
    for (size_t i = 0; i < 32; i++)
        any |= lanes[i];
    for (size_t t = 0; any && t < n && !diverged; t++) {
        const size_t off = (size_t)rows[t] * d;
        size_t at = first_non_finite(w + off, d);
        if (at < d) {
            diverged = 1;
            *bad_at = off + at;
        }
    }
    p->n_touched = 0;
    return diverged;
}

REC_CLONES
static int update_rows(int kind, const step *k, rec__param *p, size_t *bad_at)
{
    switch (kind) {
    case KIND_ADAGRAD: return rows_loop(KIND_ADAGRAD, k, p, bad_at);
    case KIND_ADAM: return rows_loop(KIND_ADAM, k, p, bad_at);
    default: return rows_loop(KIND_SGD, k, p, bad_at);
    }
}

REC_CLONES
static int update_all(int kind, const step *k, rec__param *p)
{
    switch (kind) {
    case KIND_ADAGRAD:
        return span(KIND_ADAGRAD, k, p->w, p->g, p->slot[0], p->slot[1], p->n, NULL);
    case KIND_ADAM: return span(KIND_ADAM, k, p->w, p->g, p->slot[0], p->slot[1], p->n, NULL);
    default: return span(KIND_SGD, k, p->w, p->g, p->slot[0], p->slot[1], p->n, NULL);
    }
}

/* One step on p (all weights if dense, touched rows if sparse), which also clears the
 * gradient. `fn` and `what` name the caller and the parameter in messages. */
static rec_status update(rec_optimizer *opt, rec__param *p, const char *fn, const char *what)
{
    step k = {opt->learning_rate, opt->epsilon, opt->beta1, opt->beta2, opt->learning_rate};
    switch (opt->kind) {
    case KIND_ADAGRAD: break;
    case KIND_ADAM: {
        p->steps++;
        double t = (double)p->steps;
        k.lr_t = (float)(opt->learning_rate * sqrt(1.0 - pow(opt->beta2, t)) /
                         (1.0 - pow(opt->beta1, t)));
        break;
    }
    case KIND_SGD: break;
    default: return rec__error(REC_ESTATE, "%s%sunknown optimizer kind %d", FN(fn), opt->kind);
    }
    int diverged = 0;
    size_t bad_at = 0;
    if (p->row_dim == 0) {
        if (update_all(opt->kind, &k, p)) {
            diverged = 1;
            bad_at = first_non_finite(p->w, p->n);
        }
    } else {
        diverged = update_rows(opt->kind, &k, p, &bad_at);
    }
    if (!diverged)
        return REC_OK;
    const char *kind = isnan(p->w[bad_at]) ? "NaN" : "infinite";
    if (p->row_dim == 0)
        return rec__error(REC_ENUMERIC, "%s%straining diverged: %s weight %zu is %s after an "
                          "%s step (learning rate %g)", FN(fn), what, bad_at, kind,
                          kind_name(opt->kind), (double)opt->learning_rate);
    return rec__error(REC_ENUMERIC, "%s%straining diverged: %s row %zu column %zu is %s after an "
                      "%s step (learning rate %g)", FN(fn), what, bad_at / p->row_dim,
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

rec_status rec__optimizer_apply(rec_optimizer *opt, rec__param *p, const char *what)
{
    return apply(opt, p, NULL, what);
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
