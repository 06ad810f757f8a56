/*
 * The ranking model's private layout, shared by model.c (description, build), model_features.c
 * (raw columns → contiguous feature arrays, embedding forward/backward), model_train.c
 * (forward, backward, fit, evaluate, predict) and model_describe.c (summary, Graphviz).
 */
#ifndef REC_MODEL_INTERNAL_H
#define REC_MODEL_INTERNAL_H

#include "dataset_internal.h"

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
    /* built state, owned */
    rec_vocab *vocab;          /* CATEGORICAL, CATEGORICAL_LIST */
    rec_discretization *disc;  /* BUCKETIZED */
    rec_normalization *norm;   /* NUMERIC */
    rec_textvec *text;         /* TEXT */
    rec_embedding *emb;        /* all but NUMERIC */
    uint32_t offset;           /* first column in the concatenated input */
} rec__feature;

/* Features of a set of rows, precomputed once into contiguous arrays so that the hot loop
 * never sees a string. Bags (TEXT, CATEGORICAL_LIST) are CSR lists of embedding rows;
 * row_bag maps an example to its bag, so a title tokenized once serves all its ratings. */
typedef struct rec__fcol {
    uint32_t *ids;        /* CATEGORICAL/BUCKETIZED: embedding row; TEXT/LIST: bag index */
    float *values;        /* NUMERIC */
    size_t *bag_offsets;  /* TEXT/LIST: n_bags + 1 */
    uint32_t *bag_ids;    /* TEXT/LIST: embedding rows (0 = padding, skipped) */
    size_t n_bags;
} rec__fcol;

typedef struct rec__featset {
    size_t n;
    rec__fcol *cols;      /* one per feature */
    float *labels;        /* NULL when built without labels */
} rec__featset;

/* Scratch of one forward/backward pass over a batch of at most `cap` examples. The model owns
 * one for training; const calls (evaluate, predict) make their own, so they can run
 * concurrently on a shared model. */
typedef struct rec__workspace {
    size_t cap;
    float *x;       /* cap × width: concatenated features */
    float *dx;      /* cap × width: ∂loss/∂x */
    float **act;    /* per layer, cap × units */
    float **dact;   /* per layer, cap × units: ∂loss/∂output */
    float *pred;    /* cap */
    float *dpred;   /* cap */
} rec__workspace;

struct rec_model {
    uint64_t seed;
    rec__feature *feats;
    size_t n_feats, cap_feats;
    rec_interaction interaction;
    uint32_t *units;
    rec_activation *acts;
    size_t n_layers, cap_layers;
    char *label;
    char *name;               /* preset name for summaries, "model" otherwise */
    /* built state */
    int built;
    uint32_t width, width_user, width_item;
    rec_dense **layers;
    rec__rng order_rng;       /* batch order, derived from seed */
    rec__workspace ws;        /* training scratch */
};

/* model_features.c */
REC_HIDDEN rec_status rec__featset_build(rec__featset *fs, const rec_model *m,
                                         const rec_dataset *ds, const uint32_t *rows, size_t n,
                                         int with_labels, const char *fn);
REC_HIDDEN void rec__featset_release(rec__featset *fs, const rec_model *m);
/* x[b] ← concatenated features of examples first..first+count of fs (via idx when not NULL). */
REC_HIDDEN void rec__features_forward(const rec_model *m, const rec__featset *fs,
                                      const uint32_t *idx, size_t count, float *x);
/* Accumulate ∂loss/∂x into the embedding tables' sparse gradients. */
REC_HIDDEN void rec__features_backward(rec_model *m, const rec__featset *fs,
                                       const uint32_t *idx, size_t count, const float *dx);

/* model_train.c */
REC_HIDDEN rec_status rec__workspace_reserve(rec__workspace *ws, const rec_model *m, size_t cap);
REC_HIDDEN void rec__workspace_release(rec__workspace *ws, const rec_model *m);

/* model.c: build steps shared with rec_model_load() (serialize.c). rec__model_layout computes
 * the feature offsets and side widths and checks the description (REC_EINVAL, message
 * prefixed with fn); rec__model_release_built frees the built state, keeping the description. */
REC_HIDDEN rec_status rec__model_layout(rec_model *m, const char *fn);
REC_HIDDEN void rec__model_release_built(rec_model *m);

/* model.c: parameter counts as Keras reports them */
REC_HIDDEN size_t rec__feature_params(const rec__feature *f);
REC_HIDDEN size_t rec__feature_nontrainable(const rec__feature *f);
REC_HIDDEN const char *rec__feature_kind_name(rec_feature_kind k);

#endif
