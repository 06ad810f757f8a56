/*
 * lib/model: what a model is — its description, build, presets, the parameter list, the
 * feature records, and one forward/backward pass through it — shared by lib/mcmc, lib/infer,
 * lib/io and lib/train above it. Above lib/blocks and lib/data. Never installed.
 */
#ifndef REC_LIB_MODEL_H
#define REC_LIB_MODEL_H

#include "data/data.h"
#include "blocks/blocks.h"

#include <math.h>
#include <string.h>

/* Widest factor vector of an FM (rec__model_layout checks it): per-example sums live on the
 * stack. */
#define REC__FM_MAX_DIM 256u
/* Most distinct labels an ordered probit takes (rec_model_set_likelihood). */
#define REC__MAX_CLASSES 64u

/* One input feature: its description (set before build) and its adapted state (after). */
typedef struct rec__feature {
    char *column;
    rec_feature_kind kind;
    rec_side side;
    uint32_t dim;              /* width in the concatenation */
    uint32_t n_boundaries;     /* BUCKETIZED, adapted linspace count */
    double *boundaries;        /* BUCKETIZED, explicit boundaries (NULL = adapt) */
    size_t n_given_boundaries;
    uint32_t max_tokens;       /* TEXT */
    rec_pooling pooling;       /* TEXT, CATEGORICAL_LIST: weight of a bag's rows */
    float l2_emb, l2_lin;      /* rec_model_feature_set_l2: of the embedding (and a NUMERIC
                                * feature's factor vector), of the linear table */
    /* built state, owned */
    rec_vocab *vocab;          /* CATEGORICAL, CATEGORICAL_LIST */
    rec_discretization *disc;  /* BUCKETIZED */
    rec_normalization *norm;   /* NUMERIC */
    rec_textvec *text;         /* TEXT */
    rec_embedding *emb;        /* all but NUMERIC */
    rec_embedding *lin;        /* BIASED_DOT, FM: the linear term, n_rows × 1 (1 row for
                                * NUMERIC), zeros at build */
    rec_embedding *nvec;       /* FM, NUMERIC only: its factor vector, 1 × k */
    uint32_t offset;           /* first column in the concatenated input */
    uint32_t param_emb, param_lin, param_nvec; /* their entries in the parameter list, or
                                                * REC__PARAM_NONE */
} rec__feature;

/* One dense layer of the MLP interaction: its description and, once built, the block. */
typedef struct rec__layer {
    uint32_t units;
    rec_activation act;
    float l2;                  /* rec_model_layer_set_l2: of the kernel */
    float dropout;             /* rec_model_layer_set_dropout: rate on its output */
    rec_dense *dense;          /* built, owned */
    uint32_t param_kernel, param_bias; /* their entries in the parameter list */
} rec__layer;

/* ---- the parameter list (params.c) --------------------------------------------------------
 * Every trainable array of a built model, listed once at build and at load, in the model
 * file's order: the embedding of each feature that has one (feature order), each layer's kernel
 * and bias, then the global bias w₀ and, feature by feature, the linear table and the numeric
 * factor vector. The model file, the gradient API (in its own order, `tables`), optimizer
 * application, L2, early stopping, the parameter count and the threaded training paths all
 * iterate it. */
typedef enum rec__param_role {
    REC__PARAM_EMBEDDING,
    REC__PARAM_KERNEL,
    REC__PARAM_BIAS,
    REC__PARAM_GLOBAL_BIAS,
    REC__PARAM_LINEAR,
    REC__PARAM_FACTORS
} rec__param_role;

#define REC__PARAM_NONE UINT32_MAX

typedef struct rec__params_entry {
    rec__param *p;
    rec__param_role role;
    uint32_t owner;          /* its feature, or its layer */
    const float *l2;         /* its L2 factor (the setting, which may change), or NULL */
    char what[64];           /* its name in messages: "'user_id' embedding", "layer 0 kernel" */
} rec__params_entry;

typedef struct rec__params {
    rec__params_entry *e;
    size_t n;
    uint32_t *tables;        /* the gradient API's tables as entries: per feature its
                              * embedding, linear table and factor vector, then w₀ */
    size_t n_tables;
} rec__params;

/* The posterior samples rec_model_fit_mcmc keeps (lib/mcmc), from which predictions are the
 * posterior mean. */
typedef struct rec__posterior {
    rec_likelihood likelihood; /* rec_model_set_likelihood */
    float *samples;            /* n_samples × sample_len: the FM's weights, flattened */
    uint32_t n_samples;
    size_t sample_len;
    float y_min, y_max;        /* each sample's prediction is clipped to the training labels'
                                * range */
    uint32_t n_classes;        /* ordered probit: the classes' values (sorted), else 0 */
    float *classes;
} rec__posterior;

/* What serving a model without its training data takes (lib/model/serving.c; set by lib/infer's
 * catalog.c, seen.c and clip.c, saved by lib/io): the item catalogue, each user's seen items,
 * the label range and whether predictions are clipped to it. */
typedef struct rec__catalog {
    rec_dataset *items;   /* NULL: no catalogue. Row i is item i: the key column (distinct
                           * strings, so row i's dictionary code is i) and every column an
                           * item-side feature reads */
    char *key;            /* the key column's name */
} rec__catalog;

typedef struct rec__seen {
    char *key;            /* the user-id column; NULL: no seen items recorded */
    rec__dict users;      /* the user ids: code u is user u */
    size_t *offsets;      /* users.n + 1: user u's items are items[offsets[u] .. offsets[u + 1]) */
    uint32_t *items;      /* catalogue rows, strictly increasing within a user */
} rec__seen;

typedef struct rec__serving {
    rec__catalog cat;
    rec__seen seen;
    int has_range;        /* y_lo, y_hi hold the finite labels' range of build and training */
    double y_lo, y_hi;
    int clip;             /* rec_model_set_clip: predictions kept within [y_lo, y_hi] */
} rec__serving;

/* Features of a set of rows, precomputed once so that the hot loop never sees a string.
 * Row-major: example e's record is rows[e·stride ..], one 32-bit word per feature (an
 * embedding row, a bag index, or the float bits of a NUMERIC value) and then the label's
 * float bits, so a shuffled batch reads one cache line per example rather than one per
 * feature (on 25M ratings these arrays are far larger than the caches). Bags (TEXT,
 * CATEGORICAL_LIST) are CSR lists of embedding rows in cols[f]; for TEXT a bag is a distinct
 * string, so a title tokenized once serves all its ratings. */
typedef struct rec__fcol {
    size_t *bag_offsets;  /* TEXT/LIST: n_bags + 1 */
    uint32_t *bag_ids;    /* TEXT/LIST: embedding rows, padding (row 0) already dropped */
    size_t n_bags;
    uint32_t max_bag;     /* longest bag (1 for CATEGORICAL/BUCKETIZED, 0 for NUMERIC) */
} rec__fcol;

typedef struct rec__featset {
    size_t n;
    uint32_t stride;      /* words per record: n_feats + 1 rounded up to a power of two ≤ 16 */
    int has_labels;
    uint32_t *rows;       /* n × stride, 64-byte aligned inside mem */
    void *mem;
    rec__fcol *cols;      /* one per feature */
} rec__featset;

/* Weight of each row of a bag of c ≥ 1 rows (rec_model_feature_set_pooling): 1/c (the mean)
 * or 1/√c. */
static inline float rec__bag_weight(const rec__feature *f, size_t c)
{
    return f->pooling == REC_POOLING_SQRTN ? 1.0f / sqrtf((float)c) : 1.0f / (float)c;
}

/* The first dense layer of an MLP, one feature at a time (layer0.c). Its input is the
 * concatenation of the features, so z = b + Σ_f x_f·W_f with W_f the rows of the kernel that
 * feature f meets. A feature whose value comes from a key (an embedding row, or a bag of
 * rows) takes only as many distinct values as the slice has distinct keys, u ≤ n: then
 * P = U·W_f over the distinct values and z_b += P[slot(b)] costs u·dim·units multiply-adds
 * instead of n·dim·units, and likewise backward (Δ = Σ of δ over the examples of a key,
 * ∂W_f = Uᵀ·Δ, ∂U = Δ·W_fᵀ). On MovieLens 100K a batch of 2048 holds ~660 distinct users,
 * ~770 titles and ~490 timestamp buckets. */
typedef struct rec__l0 {
    const uint32_t *keys; /* the slice's keys (embedding row or bag index): a column of bk */
    uint32_t *sidx;   /* cap: slot of each example's key among the distinct keys */
    uint32_t *ukeys;  /* cap: the distinct keys, in first-seen order */
    uint32_t *kslot;  /* n_kslot: 1 + slot of a key during the distinct pass, else 0 */
    size_t n_kslot;
    size_t n_unique;  /* of the current slice */
    uint32_t n_seen;  /* backward: slots met so far */
    int factored;     /* current slice: P = U·W_f over distinct keys, else X·W_f */
    float *x;         /* cap × dim: X_f (or U_f), then its gradient */
    float *p;         /* cap × units of layer 0: P_f, then Δ_f */
} rec__l0;

/* Scratch of one forward/backward pass over a batch of at most `cap` examples. The model owns
 * one for training; const calls (evaluate, predict) make their own, so they can run
 * concurrently on a shared model. */
typedef struct rec__workspace {
    size_t cap;
    uint32_t *bk;   /* n_feats × cap: the slice's records by feature (rec__featset_gather) */
    float *by;      /* cap: the slice's labels */
    float *x;       /* cap × width: concatenated features */
    float *dx;      /* cap × width: ∂loss/∂x */
    float **act;    /* per layer, cap × units */
    float **dact;   /* per layer, cap × units: ∂loss/∂output */
    float *pred;    /* cap: DOT predictions (an MLP predicts into its last act) */
    float *delta;   /* cap × widest layer: δ = ∂loss/∂output ∘ act′ of the layer in backward */
    int train;      /* dx, dact and delta exist (reserved for training) */
    rec__l0 *l0;    /* MLP: per feature (unused for NUMERIC) */
    int by_feature; /* current slice: layer 0 went feature by feature (rec__l0) */
    /* Dropout in training (rec_model_layer_set_dropout): per layer with a rate, the masks of
     * the current slice (cap × units: 0 or 1/(1 − p)), the dropped output the next layer
     * reads, and the generator that draws them (the model's own for its workspace). */
    float **mask;
    float **drop;
    rec__rng *drop_rng;
    /* Feature-parallel training of the presets' shape (lib/train/fast_mlp.c): per example of the
     * batch, ∂L/∂ŷ (fp_g, cap) and relu′ of z as the bits of its 64 units (fp_relu, cap), from
     * which δ_b = ∂L/∂ŷ_b · w₁ ∘ relu′ is rebuilt with the head's weights of the batch
     * (fp_w1, units); fp_delta: δ rows are stored too (a keyed feature is not factored). */
    float *fp_g;
    uint64_t *fp_relu;
    float *fp_w1;
    int fp_delta;
    /* Training with T > 1 threads (the model's own workspace only): rec__tstate of threads
     * 0..n_extra − 1, see workspace.c. */
    struct rec__tstate *extra;
    uint32_t n_extra;
} rec__workspace;

/* A thread's private gradient of one embedding table: the rows its slice of a batch touched,
 * in first-touch order, with their gradient rows packed; slot[row] = 1 + position, 0 when
 * untouched, so a repeated row is found in O(1) and nothing needs zeroing between batches. */
typedef struct rec__rowgrad {
    uint32_t *slot;   /* n_rows */
    uint32_t *rows;   /* cap */
    float *g;         /* cap × dim */
    size_t n, cap;
    uint32_t dim;
    uint32_t n_rows;
} rec__rowgrad;

/* Training state of thread t of T > 1 (the generic path, lib/train/parallel.c, and the fast
 * paths). Threads t ≥ 1 compute the gradient of their slice of a batch into their own buffers,
 * one per entry of the parameter list: a dense entry's gradient (overwritten each batch) and a
 * table's touched rows (rg); thread 0 uses the model's workspace and writes straight into the
 * parameters. Then every thread reduces and updates the rows of each table it owns (owned:
 * rows collected for the current batch). */
typedef struct rec__tstate {
    rec__workspace ws;   /* t ≥ 1 */
    size_t n_entries;    /* of the parameter list these buffers follow */
    float **dg;          /* t ≥ 1, per dense entry: its gradient of the slice */
    rec__rowgrad *rg;    /* t ≥ 1, per table entry (empty for dense ones) */
    uint32_t **owned;    /* per table entry: capacity n_rows */
    size_t *n_owned;     /* per table entry */
    rec__rng drop_rng;   /* t ≥ 1: this thread's dropout generator, seeded per batch */
} rec__tstate;

/* An interaction's passes over a slice whose records are gathered in ws->bk and ws->by:
 * forward returns the n predictions (inside ws; train: see rec__pass_forward); backward adds
 * the gradient of the slice's loss, from g_b = scale·(ŷ_b − y_b), into the parameters (ts
 * NULL) or thread ts's private buffers, down to the embedding tables. Chosen at build and at
 * load (rec__model_layout): dot.c (a pair of lookups, or over the concatenation), mlp.c, fm.c
 * (BIASED_DOT and FM). */
typedef struct rec__interaction {
    const char *name;
    const float *(*forward)(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                            size_t n, int train, size_t batch);
    void (*backward)(rec_model *m, rec__workspace *ws, rec__tstate *ts, const rec__featset *fs,
                     size_t n, float scale, const float *pred);
} rec__interaction;

extern const rec__interaction rec__dot_pair_ops;
extern const rec__interaction rec__dot_ops;
extern const rec__interaction rec__mlp_ops;
extern const rec__interaction rec__fm_ops;

struct rec_model {
    uint64_t seed;
    rec__feature *feats;
    size_t n_feats, cap_feats;
    rec_interaction interaction;
    rec__layer *layers;       /* the MLP's dense layers */
    size_t n_layers, cap_layers;
    char *label;              /* the label column, NULL when none is set */
    char *name;               /* preset name for summaries, "model" otherwise */
    uint32_t n_threads;       /* rec_model_set_threads, default 1 */
    uint32_t es_patience;     /* rec_model_set_early_stopping (lib/train); 0 = off */
    double es_min_delta;
    /* built state */
    int built;
    uint32_t width, width_user, width_item;
    const rec__interaction *ops; /* the interaction's passes (rec__model_layout) */
    rec_embedding *w0;        /* BIASED_DOT, FM: the global bias, 1 × 1 */
    uint32_t param_w0;        /* its entry in the parameter list, or REC__PARAM_NONE */
    rec__params params;       /* every trainable array (params.c) */
    rec__rng order_rng;       /* batch order, derived from seed */
    rec__rng drop_rng;        /* dropout masks, derived from seed */
    rec__workspace ws;        /* training scratch */
    rec__posterior post;      /* Gibbs sampling's samples, when rec_model_fit_mcmc kept any */
    rec__serving serve;       /* catalogue, seen items, label range, clipping */
};

/* Gradient row of `row` in a thread's private buffer: the first touch writes s·src into a
 * fresh packed row, later touches add to it (so the buffer never needs zeroing). The
 * caller reserved room for every row a slice can touch. */
static inline void rec__rowgrad_axpy(rec__rowgrad *r, uint32_t row, const float *src, float s)
{
    uint32_t slot = r->slot[row];
    if (slot == 0) {
        r->rows[r->n] = row;
        slot = (uint32_t)++r->n;
        r->slot[row] = slot;
        rec__row_scale(r->g + (size_t)(slot - 1) * r->dim, src, s, r->dim);
        return;
    }
    rec__row_axpy(r->g + (size_t)(slot - 1) * r->dim, src, s, r->dim);
}

/* The same for a table of 1-wide rows (a linear table, w₀): += g. */
static inline void rec__rowgrad_add1(rec__rowgrad *r, uint32_t row, float g)
{
    uint32_t slot = r->slot[row];
    if (slot == 0) {
        r->rows[r->n] = row;
        slot = (uint32_t)++r->n;
        r->slot[row] = slot;
        r->g[slot - 1] = g;
        return;
    }
    r->g[slot - 1] += g;
}

/* build.c: REC_EINVAL "fn: model is NULL" or REC_ESTATE "fn: the model is not built; call
 * rec_model_build() first" (the calls that train, evaluate or read gradients). */
REC_HIDDEN rec_status rec__model_check_built(const rec_model *m, const char *fn);
/* The dataset column type a feature of kind k reads (serving.c). */
REC_HIDDEN rec_column_type rec__model_column_type(rec_feature_kind k);
/* model.c: a new model of the given seed and label (NULL: none) with fn's name in messages:
 * both versions of rec_model_create, the presets and the model file's load. */
REC_HIDDEN rec_status rec__model_new(rec_model **out, uint64_t seed, const char *label,
                                     const char *fn);
/* build.c: REC_ESTATE "fn: the model has no label column (call rec_model_set_label)" (the calls
 * that read labels: training, evaluation, and building a model whose global bias starts at the
 * label's mean). */
REC_HIDDEN rec_status rec__model_check_label(const rec_model *m, const char *fn);
/* build.c: REC_EINVAL "fn: model is NULL" or REC_ESTATE "fn: the model is already built" (the
 * calls that describe a model). */
REC_HIDDEN rec_status rec__model_check_unbuilt(const rec_model *m, const char *fn);

/* featset.c: the feature set of a dataset's rows */
REC_HIDDEN rec_status rec__featset_build(rec__featset *fs, const rec_model *m,
                                         const rec_dataset *ds, const uint32_t *rows, size_t n,
                                         int with_labels, const char *fn);
/* The same, with a pool of threads (NULL: this thread alone): see featset.c's build_job. */
struct rec__pool;
REC_HIDDEN rec_status rec__featset_build_on(rec__featset *fs, const rec_model *m,
                                            const rec_dataset *ds, const uint32_t *rows,
                                            size_t n, int with_labels, struct rec__pool *pool,
                                            const char *fn);
REC_HIDDEN void rec__featset_release(rec__featset *fs, const rec_model *m);
/* Records of examples idx[0..n) into batch arrays: bk[f·ld + b] = feature f's word of
 * example idx[b]; by[b] = its label (by may be NULL). */
REC_HIDDEN void rec__featset_gather(const rec_model *m, const rec__featset *fs,
                                    const uint32_t *idx, size_t n, uint32_t *bk, size_t ld,
                                    float *by);
/* embed.c: the feature layer. x[b] ← concatenated features of the gathered example b < count. */
REC_HIDDEN void rec__embed_forward(const rec_model *m, const rec__featset *fs,
                                   const uint32_t *bk, size_t ld, size_t count, float *x);
/* Accumulate ∂loss/∂x into the embedding tables' sparse gradients. */
REC_HIDDEN void rec__embed_backward(rec_model *m, const rec__featset *fs, const uint32_t *bk,
                                    size_t ld, size_t count, const float *dx);
/* Accumulate ∂loss/∂x of a slice into private row gradients (threads other than 0). */
REC_HIDDEN void rec__embed_backward_private(const rec_model *m, const rec__featset *fs,
                                            const uint32_t *bk, size_t ld, size_t count,
                                            const float *dx, rec__rowgrad *rg);
/* The end of every interaction's backward pass: ∂loss/∂x of ws's n examples (ws->dx) into
 * the tables, through rec__embed_backward (ts NULL: thread 0, or one thread) or into ts's
 * private rows. */
REC_HIDDEN void rec__embed_backward_slice(rec_model *m, const rec__workspace *ws,
                                          rec__tstate *ts, const rec__featset *fs, size_t n);

/* Vectors of feature fi for keys[0..k) (embedding rows, or bag means) into rows of x, and
 * the gradient rows g[0..k) back to the keys' embedding rows: into the parameter when rg is
 * NULL, else into the thread's private rows rg[fi]. */
REC_HIDDEN void rec__embed_gather(const rec_model *m, const rec__featset *fs, size_t fi,
                                  const uint32_t *keys, size_t k, float *x);
REC_HIDDEN void rec__embed_scatter(rec_model *m, const rec__featset *fs, size_t fi,
                                   const uint32_t *keys, size_t k, const float *g,
                                   rec__rowgrad *rg);

/* build.c: build steps shared with rec_model_load() (lib/io). rec__model_layout computes
 * the feature offsets and side widths and checks the description (REC_EINVAL, message
 * prefixed with fn); rec__model_release_built frees the built state, keeping the description. */
REC_HIDDEN rec_status rec__model_layout(rec_model *m, const char *fn);
REC_HIDDEN void rec__model_release_built(rec_model *m);

/* model.c: parameter counts as Keras reports them (describe.c's summary); build.c: a kind's
 * name */
REC_HIDDEN size_t rec__model_feature_params(const rec__feature *f);
REC_HIDDEN size_t rec__model_feature_nontrainable(const rec__feature *f);
REC_HIDDEN const char *rec__model_kind_name(rec_feature_kind k);

/* ---- params.c: the parameter list ------------------------------------------------------ */

/* (Re)build m's list from its built blocks (rec_model_build, rec_model_load). */
REC_HIDDEN rec_status rec__params_build(rec_model *m, const char *fn);
REC_HIDDEN void rec__params_release(rec__params *ps);
/* Floats of every entry, and of the dense ones (kernels and biases). */
REC_HIDDEN size_t rec__params_floats(const rec__params *ps);
REC_HIDDEN size_t rec__params_dense_floats(const rec__params *ps);
/* Every entry's weights, in list order, out to w / in from w (rec__params_floats of them). */
REC_HIDDEN void rec__params_get(const rec__params *ps, float *w);
REC_HIDDEN void rec__params_set(const rec__params *ps, const float *w);
/* Whether every entry has optimizer state, which updates through views need. */
REC_HIDDEN int rec__params_have_state(const rec__params *ps);
/* The optimizer on every entry (each one, even after a failure: no gradient is left behind),
 * the first failure reported as "fn: ...". */
REC_HIDDEN rec_status rec__params_apply(const rec__params *ps, rec_optimizer *opt,
                                        const char *fn);
/* The optimizer on one whole entry, by the one thread that owns it; a failure goes to o. */
REC_HIDDEN void rec__params_apply_entry(rec_optimizer *opt, const rec__params_entry *e,
                                        rec__pool_out *o);
/* The optimizer on floats [off, off + n) of a dense entry, or on rows[0..k) of a table, as
 * views, so that threads update disjoint parts at once; a failure goes to o. Then, once per
 * batch for each entry updated that way, rec__params_count_step. */
REC_HIDDEN void rec__params_apply_range(rec_optimizer *opt, const rec__params_entry *e,
                                        size_t off, size_t n, rec__pool_out *o);
REC_HIDDEN void rec__params_apply_rows(rec_optimizer *opt, const rec__params_entry *e,
                                       uint32_t *rows, size_t k, rec__pool_out *o);
REC_HIDDEN void rec__params_count_step(const rec__params_entry *e, const rec_optimizer *opt);

/* ---- regularize.c: L2 and dropout in training ------------------------------------------ */

REC_HIDDEN int rec__regularize_has_dropout(const rec_model *m);
REC_HIDDEN int rec__regularize_has_l2(const rec_model *m);
/* Training forward of an MLP, after layer l wrote act (n × units): with dropout on layer l,
 * draws a mask (ws's generator) and returns the dropped copy for the next layer; else act. */
REC_HIDDEN const float *rec__regularize_drop(const rec_model *m, rec__workspace *ws, size_t l,
                                             const float *act, size_t n);
/* The input layer l saw in the last training forward (x for layer 0, after dropout). */
REC_HIDDEN const float *rec__regularize_layer_input(const rec_model *m,
                                                    const rec__workspace *ws, size_t l);
/* Backward through layer l's dropout: dact (n × units) ∘= mask. */
REC_HIDDEN void rec__regularize_drop_back(const rec_model *m, const rec__workspace *ws, size_t l,
                                          float *dact, size_t n);
/* Add the L2 penalty's gradient: 2λ·w on the touched rows of each table, 2λ·W on each
 * regularized kernel. */
REC_HIDDEN void rec__regularize_l2(rec_model *m);
/* The same for one entry of the parameter list, by the thread that owns a part of it once the
 * threads' gradients are summed: floats [lo, hi) of a dense entry, or rows[0..k) of a table
 * (the same operations on the same sums as rec__regularize_l2 on one thread). */
REC_HIDDEN void rec__regularize_l2_range(const rec__params_entry *e, size_t lo, size_t hi);
REC_HIDDEN void rec__regularize_l2_rows(const rec__params_entry *e, const uint32_t *rows,
                                        size_t k);

/* ---- posterior.c ------------------------------------------------------------------------- */

/* Forget the stored samples (gradient training moved the weights away from them). */
REC_HIDDEN void rec__posterior_forget(rec__posterior *p);

/* Whether predictions come from stored posterior samples. */
static inline int rec__posterior_active(const rec_model *m)
{
    return m->post.n_samples > 0;
}

/* ---- serving.c: the serving state ------------------------------------------------------- */

REC_HIDDEN void rec__serving_catalog_release(rec__catalog *c);
REC_HIDDEN void rec__serving_seen_release(rec__seen *s);
/* Everything, at rec_model_free. */
REC_HIDDEN void rec__serving_release(rec__serving *s);
/* Every `side` feature's column is in ds with the type the feature reads: REC_ENOTFOUND
 * naming the column and the feature, or REC_EINVAL naming both types. `what` names ds in
 * messages ("items", "users"). */
REC_HIDDEN rec_status rec__serving_check_columns(const rec_model *m, const rec_dataset *ds,
                                                 rec_side side, const char *what,
                                                 const char *fn);
/* ds has a string column `key` (of ids): REC_ENOTFOUND or REC_EINVAL naming it and the
 * parameter that gave its name (`param`, e.g. "item_key"). */
REC_HIDDEN rec_status rec__serving_check_key(const rec_dataset *ds, const char *key,
                                             const char *param, const char *what,
                                             const char *fn);
/* The catalogue row of item id s: 1 and *row, or 0 when it is not in the catalogue. */
REC_HIDDEN int rec__serving_item(const rec__catalog *c, const char *s, uint32_t *row);
/* The id of catalogue row `row` (borrowed from the catalogue), or NULL out of range. */
REC_HIDDEN const char *rec__serving_item_id(const rec__catalog *c, size_t row);
/* REC_ESTATE "fn: the model has no item catalogue (call rec_model_set_catalog)". */
REC_HIDDEN rec_status rec__serving_no_catalog(const char *fn);

/* ---- label_range.c ------------------------------------------------------------------------ */

/* Widen m's label range by the finite labels of rows[0..n) of ds (every row when rows is
 * NULL); nothing when ds has no number column named after m's label. */
REC_HIDDEN void rec__model_label_widen(rec_model *m, const rec_dataset *ds,
                                       const uint32_t *rows, size_t n);
/* The same by one range [lo, hi] (finite, lo <= hi). */
REC_HIDDEN void rec__model_label_widen_range(rec_model *m, double lo, double hi);

/* Whether the interaction has linear terms and a global bias: BIASED_DOT and FM, over features
 * f with vectors e_f (an embedding row, or the mean of a bag's rows) and values x_f (NUMERIC):
 *   BIASED_DOT: ŷ = w₀ + Σ_f b_f + ⟨user side, item side⟩
 *   FM:         ŷ = w₀ + Σ_f b_f + Σ_{f<g} ⟨e_f, e_g⟩
 *                 = w₀ + Σ_f b_f + ½ Σ_k [(Σ_f e_fk)² − Σ_f e_fk²]
 * where b_f is the feature's linear term: a 1-wide table ("lin") looked up (or bag-averaged)
 * like its embedding, or w_f·x_f for a NUMERIC feature. Under FM a NUMERIC feature enters the
 * pairwise term as e_f = x_f·v_f with its own k-wide factor vector v_f ("nvec"); under
 * BIASED_DOT it keeps its one column in its side's concatenation, as under DOT. */
static inline int rec__model_has_linear(const rec_model *m)
{
    return m->interaction == REC_INTERACTION_BIASED_DOT ||
           m->interaction == REC_INTERACTION_FM;
}

/* ---- the shapes with paths of their own ------------------------------------------------------ */

/* The user and item features of a DOT model when each side is one plain lookup (the dot
 * preset): then forward and backward read the two rows directly, with no concatenation. */
static inline int rec__dot_pair(const rec_model *m, size_t *fu, size_t *fv)
{
    if (m->interaction != REC_INTERACTION_DOT || m->n_feats != 2)
        return 0;
    for (size_t i = 0; i < 2; i++)
        if (m->feats[i].kind != REC_FEATURE_CATEGORICAL &&
            m->feats[i].kind != REC_FEATURE_BUCKETIZED)
            return 0;
    *fu = m->feats[0].side == REC_SIDE_USER ? 0 : 1;
    *fv = 1 - *fu;
    return m->feats[*fu].side == REC_SIDE_USER && m->feats[*fv].side == REC_SIDE_ITEM;
}

/* Whether the model ends in hidden layer 0 and a one-unit layer (every preset): then the
 * head is fused into layer 0's row passes (layer0.c). */
static inline int rec__model_has_head(const rec_model *m)
{
    return m->n_layers == 2 && m->layers[1].units == 1;
}

/* The threads m uses: its setting, or 1 when the BLAS runs threads of its own (model.c). */
REC_HIDDEN uint32_t rec__model_threads(const rec_model *m);

/* ---- workspace.c ----------------------------------------------------------------------------- */

/* Smallest slice for which layer 0 looks for repeated keys (rec__l0). */
#define REC__LAYER0_MIN 128

/* Room for batches of cap examples (grows only); train adds the backward pass's buffers, the
 * dropout masks and those of layer 0 by feature, which only training uses. fn names the caller
 * in messages. */
REC_HIDDEN rec_status rec__workspace_reserve(rec__workspace *ws, const rec_model *m, size_t cap,
                                             int train, const char *fn);
/* Room in ws's distinct-key maps for the bags of fs (TEXT features: one bag per distinct
 * string of the dataset). */
REC_HIDDEN rec_status rec__workspace_reserve_keys(rec__workspace *ws, const rec_model *m,
                                                  const rec__featset *fs, const char *fn);
/* Frees ws, including the per-thread training state hanging off the model's workspace. */
REC_HIDDEN void rec__workspace_release(rec__workspace *ws, const rec_model *m);
/* Per-thread state of m's workspace for T > 1 threads on slices of at most `slice`. */
REC_HIDDEN rec_status rec__workspace_threads(rec_model *m, const rec__featset *fs, uint32_t T,
                                             size_t slice, const char *fn);
/* REC_ENOMEM "fn: out of memory for the training threads' buffers". */
REC_HIDDEN rec_status rec__workspace_oom(const char *fn);

/* Thread t's workspace: the model's own for thread 0, its private one for the others. */
static inline rec__workspace *rec__workspace_of(rec_model *m, uint32_t t)
{
    return t ? &m->ws.extra[t].ws : &m->ws;
}

/* ---- pass.c: one forward and backward pass over a slice ------------------------------------ */

/* Predictions of examples idx[0..n) of fs; returns the n predictions (inside ws). Training
 * (train != 0, batch: the whole batch's size, which scales the gradient) may run layer 0
 * feature by feature and draws dropout masks; evaluation and prediction never do. */
REC_HIDDEN const float *rec__pass_forward(const rec_model *m, rec__workspace *ws,
                                          const rec__featset *fs, const uint32_t *idx, size_t n,
                                          int train, size_t batch);
/* The gradient of the slice's loss (of a batch of B examples): into the parameters (ts NULL:
 * thread 0, or training on one thread), or thread-private buffers. */
REC_HIDDEN void rec__pass_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                                   const rec__featset *fs, size_t n, size_t B, const float *pred);
/* Squared error sum (and, when sae is not NULL, absolute error sum) of n predictions. */
REC_HIDDEN void rec__pass_errors(const float *pred, const float *labels, size_t n, double *sse,
                                 double *sae);

/* ---- layer 0 feature by feature (layer0.c) --------------------------------------------- */

/* Scratch rows of the fused pass, in dact[0] (which the fused path does not otherwise use):
 * z_b and δ_b when they need not be kept, act₁′·w₁ g, and the slice's sums of ∂b₀, ∂w₁, ∂b₁. */
enum { REC__L0_FZ, REC__L0_FTMP, REC__L0_FD, REC__L0_FGB, REC__L0_FGK1, REC__L0_F_ROWS };

/* Whether feature f (rec__l0 l, column c of the feature set) has a map for its distinct keys:
 * CATEGORICAL_LIST features have none, and a TEXT feature's map may be smaller than the
 * bags of a feature set it was not reserved for (rec__workspace_reserve_keys). */
static inline int rec__layer0_has_map(const rec__feature *f, const rec__l0 *l, const rec__fcol *c)
{
    return l->kslot && !(f->kind == REC_FEATURE_TEXT && l->n_kslot < c->n_bags);
}

/* P_f and Δ_f of a keyed feature share l0[i].p, interleaved by slot: P row s at p + s·2H, Δ row
 * s at p + s·2H + H. The fused pass reads P[s] and adds into Δ[s] for the same key, so the two
 * are neighbouring lines of one miss stream (in two buffers each would be a miss of its own:
 * the pair of buffers of a batch outgrows L2). */
#define REC__L0_LD(H) (2 * (size_t)(H))

/* P = U·W_f over u distinct keys into P's interleaved rows (kernels/thin.c) for the presets'
 * 32 columns into 64 units, OpenBLAS otherwise. */
static inline void rec__layer0_project(size_t u, uint32_t dim, uint32_t H, const float *x,
                                       const float *wf, float *p)
{
    if (dim == REC_THIN_K && H == REC_THIN_N)
        rec__thin_nn(u, x, wf, p, REC__L0_LD(H));
    else
        rec__blas_sgemm(0, 0, u, H, dim, 1.0f, x, dim, wf, H, 0.0f, p, REC__L0_LD(H));
}

/* Δ[slot] += δ_b, Δ's rows ld floats apart. Slots were numbered in first-seen order, so a slot
 * is new exactly when it is the next unseen one: copy it then (no zeroing pass), add later
 * repeats. */
static inline __attribute__((always_inline)) void
rec__layer0_delta_add(float *delta_rows, uint32_t slot, uint32_t *n_seen, const float *db, size_t H,
                      size_t ld)
{
    float *dd = delta_rows + (size_t)slot * ld;
    if (slot == *n_seen) {
        rec__row_copy(dd, db, H);
        (*n_seen)++;
    } else {
        rec__row_add(dd, db, H);
    }
}

/* The distinct values of keys[0..n) in first-seen order into ukeys, each example's slot among
 * them into sidx; returns their count. kslot (1 + slot of a key during the pass, indexed by
 * key) must be all zero, and is all zero again afterwards. */
REC_HIDDEN uint32_t rec__layer0_group_keys(uint32_t *kslot, const uint32_t *keys, size_t n,
                                    uint32_t *ukeys, uint32_t *sidx);
/* Decide how layer 0 runs on a slice of n examples (sets ws->by_feature and each l0). */
REC_HIDDEN void rec__layer0_plan(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                                 size_t n);
/* Layer 0 (and a fused one-unit head into pred) forward, feature by feature. */
REC_HIDDEN void rec__layer0_forward(const rec_model *m, rec__workspace *ws,
                                    const rec__featset *fs, size_t n, float *pred, float scale);
/* Layer 0 backward feature by feature: into the parameters (ts NULL) or ts's buffers. */
REC_HIDDEN void rec__layer0_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                                     const rec__featset *fs, size_t n);
/* The fused pass of thread `pw` over examples [lo, lo + n) of the batch in sh. */
REC_HIDDEN void rec__layer0_fused_slice(const rec_model *m, rec__workspace *sh, size_t lo,
                                        rec__workspace *pw, size_t n, float *pred, float scale);
/* Whether the fused pass has a register-resident twin for m (64 relu units, a linear head:
 * every preset), and that twin (layer0_r64.c): the arguments of layer0_fused_h. */
REC_HIDDEN int rec__layer0_r64_applies(const rec_model *m);
REC_HIDDEN void rec__layer0_fused_r64(const rec_model *m, rec__workspace *sh, size_t lo,
                                      rec__workspace *pw, size_t n, float *pred, float scale,
                                      int dense, const float *w1, float b1, int fp);
/* Round D of the feature-parallel MLP (lib/train/fast_mlp.c), with the hand-off of the r64 pass
 * (sh->fp_g, fp_relu, fp_w1): Δ_f = Σ_{b: key(b) = k} δ_b in the batch's order for the
 * factored features ls[0..k), k ≤ REC_R64_GROUP, δ_b rebuilt from the hand-off. */
#define REC_R64_GROUP 16
REC_HIDDEN void rec__layer0_r64_delta(const rec__workspace *sh, rec__l0 *const *ls, size_t k,
                                      size_t B);
/* The small gradients a fused pass summed in pw's scratch (∂b₀, ∂w₁, ∂b₁, numeric rows of
 * ∂W₀) into gb, gk (layer 0's kernel), gk1, gb1: added (acc) or copied. */
REC_HIDDEN void rec__layer0_put_sums(const rec_model *m, const rec__workspace *pw, float *gb,
                                     float *gk, float *gk1, float *gb1, int acc);
/* Backward of keyed feature i from Δ (dl, u rows ldd floats apart, for keys[0..u)):
 * ∂W_f = βW_f + Uᵀ·Δ into gw, ∂U = Δ·W_fᵀ (in l->x) scattered to the embedding rows (into rg
 * when not NULL). */
REC_HIDDEN void rec__layer0_feature_backward(rec_model *m, const rec__featset *fs, size_t i,
                                             rec__l0 *l, const uint32_t *keys, size_t u,
                                             const float *dl, size_t ldd, float beta, float *gw,
                                             const float *wf, rec__rowgrad *rg);

#endif
