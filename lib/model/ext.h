/*
 * Beyond the tutorial's two interactions: the state and the internal entry points of the
 * biased dot product and the factorization machine (model_fm.c), per-group L2 regularization,
 * dropout and early stopping (model_ext.c), and Gibbs sampling of the factorization machine
 * with its stored posterior samples (model_mcmc.c). The ranking model points at one rec__ext;
 * model.c creates it, model_train.c calls the hooks below. Never installed.
 *
 * The two interactions, over features f with vectors e_f (an embedding row, or the mean of a
 * bag's rows) and values x_f (NUMERIC):
 *   BIASED_DOT: ŷ = w₀ + Σ_f b_f + ⟨user side, item side⟩
 *   FM:         ŷ = w₀ + Σ_f b_f + Σ_{f<g} ⟨e_f, e_g⟩
 *                 = w₀ + Σ_f b_f + ½ Σ_k [(Σ_f e_fk)² − Σ_f e_fk²]
 * where b_f is the feature's linear term: a 1-wide table ("lin") looked up (or bag-averaged) like
 * its embedding, or w_f·x_f for a NUMERIC feature. Under FM a NUMERIC feature enters the
 * pairwise term as e_f = x_f·v_f with its own k-wide factor vector v_f ("nvec"); under
 * BIASED_DOT it keeps its one column in its side's concatenation, as under DOT.
 */
#ifndef REC_MODEL_EXT_H
#define REC_MODEL_EXT_H

#include "model/model.h"

/* Widest factor vector of an FM (rec__model_layout checks it): per-example sums live on the
 * stack. */
#define REC__FM_MAX_DIM 256u
/* Most distinct labels an ordered probit takes (rec_model_set_likelihood). */
#define REC__MAX_CLASSES 64u

/* Per feature. */
typedef struct rec__fext {
    rec_embedding *lin;  /* BIASED_DOT, FM: n_rows × 1 (1 row for NUMERIC), zeros at build */
    rec_embedding *nvec; /* FM, NUMERIC only: 1 × k */
    float l2_emb;        /* rec_model_feature_set_l2 */
    float l2_lin;
} rec__fext;

/* Early stopping's best weights so far: every parameter's values, concatenated. */
typedef struct rec__snapshot {
    float *w;
    size_t n;
    uint32_t epoch;
    double best;
} rec__snapshot;

struct rec__ext {
    rec__fext *f;          /* cap_feats entries; indices follow the model's features */
    size_t cap_feats;
    float *l2_layer;       /* per layer: L2 of the kernel */
    float *dropout;        /* per layer: dropout rate of its output */
    size_t cap_layers;
    rec_embedding *w0;     /* BIASED_DOT, FM: 1 × 1 global bias */
    uint32_t es_patience;  /* rec_model_set_early_stopping; 0 = off */
    double es_min_delta;
    /* dropout: masks of the current batch (per layer, cap × units: 0 or 1/(1 − p)) and the
     * generator that draws them, seeded from the model's seed at build */
    float **mask;
    float **drop;          /* per layer: the dropped output the next layer reads */
    size_t mask_cap;
    rec__rng drop_rng;
    /* Gibbs sampling (model_mcmc.c): the likelihood (rec_model_set_likelihood), and the
     * posterior samples kept by rec_model_fit_mcmc */
    rec_likelihood likelihood;
    float *samples;        /* n_samples × sample_len */
    uint32_t n_samples;
    size_t sample_len;
    float y_min, y_max;    /* each sample's prediction is clipped to the training labels' range */
    uint32_t n_classes;    /* ordered probit: the classes' values (sorted), else 0 */
    float *classes;
};

/* ---- model_ext.c ----------------------------------------------------------------------------- */

REC_HIDDEN rec_status rec__ext_create(rec__ext **out);
REC_HIDDEN void rec__ext_free(rec__ext *x);
/* Room for the model's current features and layers (new entries zeroed). */
REC_HIDDEN rec_status rec__ext_reserve(rec_model *m, const char *fn);
/* Build: the linear tables, numeric factor vectors and the global bias (BIASED_DOT, FM), the
 * global bias set to w0_init; the dropout generator. On failure the caller releases. */
REC_HIDDEN rec_status rec__ext_build(rec_model *m, uint64_t seed, float w0_init,
                                     const char *fn);
/* Free the built state (tables, masks, samples); the settings stay. */
REC_HIDDEN void rec__ext_release_built(rec_model *m);
/* Parameters the extension adds (for rec_model_n_params). */
REC_HIDDEN size_t rec__ext_n_params(const rec_model *m);

/* Whether training must run on one thread: the extension's gradients (linear tables, L2,
 * dropout masks) are kept only on the model's own buffers. */
REC_HIDDEN int rec__ext_serial(const rec_model *m);
/* Whether any layer has dropout (training then runs layer by layer). */
REC_HIDDEN int rec__ext_has_dropout(const rec_model *m);
/* Training forward of an MLP, after layer l wrote act (n × units): with dropout on layer l,
 * draws a mask and returns the dropped copy for the next layer; else returns act. */
REC_HIDDEN const float *rec__ext_dropout_forward(const rec_model *m, size_t l,
                                                 const float *act, size_t n);
/* The input layer l saw in the last training forward (x for layer 0). */
REC_HIDDEN const float *rec__ext_layer_input(const rec_model *m, const rec__workspace *ws,
                                             size_t l);
/* Backward through layer l's dropout: dact (n × units) ∘= mask. */
REC_HIDDEN void rec__ext_dropout_backward(const rec_model *m, size_t l, float *dact, size_t n);
/* Room for dropout masks of batches of cap examples. */
REC_HIDDEN rec_status rec__ext_train_prepare(rec_model *m, size_t cap, const char *fn);
/* Add the L2 penalty's gradient: 2λ·w on the touched rows of each table, 2λ·W on each
 * regularized kernel. */
REC_HIDDEN void rec__ext_regularize(rec_model *m);
/* Apply the optimizer to the extension's own parameters. */
REC_HIDDEN rec_status rec__ext_apply(rec_model *m, rec_optimizer *opt);

/* Early stopping (rec_model_fit): after each validated epoch, returns 1 when training must
 * stop; keeps the best weights in s. rec__ext_es_finish restores them (when any) and frees s. */
REC_HIDDEN rec_status rec__ext_es_epoch(rec_model *m, rec__snapshot *s, uint32_t epoch,
                                        double val_rmse, int *stop, const char *fn);
REC_HIDDEN void rec__ext_es_finish(rec_model *m, rec__snapshot *s);

/* Every trainable float of the model, in a fixed order (embeddings, layers, extension):
 * count, and copy out / in. */
REC_HIDDEN size_t rec__ext_weights_count(const rec_model *m);
REC_HIDDEN void rec__ext_weights_get(const rec_model *m, float *w);
REC_HIDDEN void rec__ext_weights_set(rec_model *m, const float *w);

/* ---- model_fm.c: the BIASED_DOT and FM interactions over a slice -------------------------- */

/* Whether the model's interaction is one of these two. */
static inline int rec__ext_interaction(const rec_model *m)
{
    return m->interaction == REC_INTERACTION_BIASED_DOT ||
           m->interaction == REC_INTERACTION_FM;
}
/* Predictions of the n gathered examples (keys in ws->bk, features in ws->x) into ws->pred. */
REC_HIDDEN const float *rec__fm_forward(const rec_model *m, rec__workspace *ws,
                                        const rec__featset *fs, size_t n);
/* From g_b = scale·(ŷ_b − y_b): the gradients of w₀, the linear tables and the numeric factor
 * vectors (into the parameters), and ∂L/∂x into ws->dx for the embedding tables. */
REC_HIDDEN void rec__fm_backward(rec_model *m, rec__workspace *ws, const rec__featset *fs,
                                 size_t n, float scale, const float *pred);

/* ---- model_mcmc.c ---------------------------------------------------------------------------- */

/* Whether predictions come from stored posterior samples. */
static inline int rec__mcmc_active(const rec_model *m)
{
    return m->ext && m->ext->n_samples > 0;
}
/* Posterior-mean predictions of every row of fs (into pred when not NULL) and their squared
 * and absolute errors against its labels (when fs has them). */
REC_HIDDEN rec_status rec__mcmc_forward(const rec_model *m, const rec__featset *fs, float *pred,
                                        double *sse, double *sae, const char *fn);
/* Floats of one stored sample (the FM's weights, flattened). */
REC_HIDDEN size_t rec__mcmc_sample_len(const rec_model *m);
/* Forget the stored samples (gradient training moved the weights away from them). */
REC_HIDDEN void rec__mcmc_forget(rec_model *m);

#endif
