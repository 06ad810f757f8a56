/* The models beyond the tutorial's presets (models.h): deep.c's MLP over side features and
 * best.c's Gibbs-sampled factorization machine. */
#include "models.h"

#include <string.h>

/* ---- deep ------------------------------------------------------------------------------------ */

typedef struct feature {
    const char *column;
    rec_feature_kind kind;
    rec_side side;
    uint32_t dim;
} feature;

static const feature FEATURES[] = {
    {"user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 32},
    {"raw_user_age", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1},
    {"user_gender", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 4},
    {"user_occupation_text", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 8},
    {"movie_title", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, 32},
    {"movie_genres", REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 8},
    {"release_year", REC_FEATURE_NUMERIC, REC_SIDE_ITEM, 1},
};
static const uint32_t HIDDEN[] = {128, 64};

rec_status models_deep_describe(rec_model **out, const experiment_opts *o)
{
    rec_model *m = NULL;
    int rc = rec_model_create(&m, o->seed);
    if (!rc)
        rc = rec_model_set_label(m, EXPERIMENT_LABEL);
    size_t nf = sizeof FEATURES / sizeof *FEATURES, nh = sizeof HIDDEN / sizeof *HIDDEN;
    for (size_t i = 0; !rc && i < nf; i++) {
        const feature *f = &FEATURES[i];
        uint32_t id;
        rc = rec_model_add_feature(&id, m, f->column, f->kind, f->side, f->dim);
        if (!rc && o->l2 > 0 && f->kind != REC_FEATURE_NUMERIC)
            rc = rec_model_feature_set_l2(m, id, o->l2, 0.0f);
    }
    if (!rc)
        rc = rec_model_set_interaction(m, REC_INTERACTION_MLP);
    for (size_t l = 0; !rc && l < nh; l++)
        rc = rec_model_add_layer(m, HIDDEN[l], REC_ACTIVATION_RELU);
    if (!rc)
        rc = rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR);
    for (size_t l = 0; !rc && l <= nh; l++) {
        if (o->l2 > 0)
            rc = rec_model_layer_set_l2(m, l, o->l2);
        if (!rc && l < nh && o->dropout > 0)
            rc = rec_model_layer_set_dropout(m, l, o->dropout);
    }
    if (!rc && o->patience)
        rc = rec_model_set_early_stopping(m, o->patience, 0.0);
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    *out = m;
    return REC_OK;
}

/* ---- best ------------------------------------------------------------------------------------ */

/* The default feature list was chosen on validation slices of u1.base (docs/experiments.md):
 * the zip prefix, the release year and the title's words did not help. "none": the ids
 * alone, a Bayesian biased matrix factorization. */
static int wanted(const experiment_opts *o, const char *name)
{
    return experiment_feature_wanted(o, MODELS_BEST_FEATURES, name);
}

int models_best_check_features(const experiment_opts *o, const char *prog)
{
    static const char *const known[] = {"history", "raters", "day",   "gender", "occupation",
                                        "age",     "zip",    "genres", "year",  "title"};
    return experiment_check_features(o, MODELS_BEST_FEATURES, prog, known,
                                     sizeof known / sizeof *known);
}

/* SVD++'s implicit feedback: the movies each user rated and the users who rated each movie. */
rec_status models_best_prepare(rec_dataset *const *sets, size_t n, const rec_dataset *from,
                               const experiment_opts *o)
{
    rec_status rc = REC_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (wanted(o, "history"))
            rc = rec_dataset_add_history(sets[i], "user_history", from, "user_id", "movie_id");
        if (!rc && wanted(o, "raters"))
            rc = rec_dataset_add_history(sets[i], "movie_raters", from, "movie_id", "user_id");
    }
    return rc;
}

rec_status models_best_describe(rec_model **out, const experiment_opts *o)
{
    const uint32_t K = o->dim;
    const rec_side U = REC_SIDE_USER, I = REC_SIDE_ITEM;
    rec_model *m = NULL;
    uint32_t f;
    int rc = rec_model_create(&m, o->seed);
    if (!rc)
        rc = rec_model_set_label(m, EXPERIMENT_LABEL);
    if (!rc)
        rc = rec_model_set_interaction(m, REC_INTERACTION_FM);
    if (!rc)
        rc = rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL, U, K);
    if (!rc && wanted(o, "history")) {
        rc = rec_model_add_feature(&f, m, "user_history", REC_FEATURE_CATEGORICAL_LIST, U, K);
        if (!rc)
            rc = rec_model_feature_set_pooling(m, f, REC_POOLING_SQRTN);
    }
    if (!rc && wanted(o, "day")) {
        /* ML-100K spans 215 days: 214 evenly spaced boundaries make day-long buckets */
        rc = rec_model_add_feature(&f, m, "timestamp", REC_FEATURE_BUCKETIZED, U, K);
        if (!rc)
            rc = rec_model_feature_set_bucket_count(m, f, 214);
    }
    if (!rc && wanted(o, "gender"))
        rc = rec_model_add_feature(NULL, m, "user_gender", REC_FEATURE_CATEGORICAL, U, K);
    if (!rc && wanted(o, "occupation"))
        rc = rec_model_add_feature(NULL, m, "user_occupation_text", REC_FEATURE_CATEGORICAL,
                                   U, K);
    if (!rc && wanted(o, "age")) {
        static const double buckets[] = {18, 25, 35, 45, 50, 56}; /* ML-1M's age groups */
        rc = rec_model_add_feature(&f, m, "raw_user_age", REC_FEATURE_BUCKETIZED, U, K);
        if (!rc)
            rc = rec_model_feature_set_boundaries(m, f, buckets, 6);
    }
    if (!rc && wanted(o, "zip"))
        rc = rec_model_add_feature(NULL, m, "user_zip_prefix", REC_FEATURE_CATEGORICAL, U, K);
    if (!rc)
        rc = rec_model_add_feature(NULL, m, "movie_id", REC_FEATURE_CATEGORICAL, I, K);
    if (!rc && wanted(o, "raters")) {
        rc = rec_model_add_feature(&f, m, "movie_raters", REC_FEATURE_CATEGORICAL_LIST, I, K);
        if (!rc)
            rc = rec_model_feature_set_pooling(m, f, REC_POOLING_SQRTN);
    }
    if (!rc && wanted(o, "genres"))
        rc = rec_model_add_feature(NULL, m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST, I, K);
    if (!rc && wanted(o, "title")) {
        rc = rec_model_add_feature(&f, m, "movie_title", REC_FEATURE_TEXT, I, K);
        if (!rc)
            rc = rec_model_feature_set_pooling(m, f, REC_POOLING_SQRTN);
    }
    if (!rc && wanted(o, "year")) {
        rc = rec_model_add_feature(&f, m, "release_year", REC_FEATURE_BUCKETIZED, I, K);
        if (!rc)
            rc = rec_model_feature_set_bucket_count(m, f, 20);
    }
    /* ordinal ratings: the ordered probit (default) or a Gaussian */
    if (!rc)
        rc = rec_model_set_likelihood(m, o->likelihood && !strcmp(o->likelihood, "gaussian")
                                             ? REC_LIKELIHOOD_GAUSSIAN
                                             : REC_LIKELIHOOD_ORDERED_PROBIT);
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    *out = m;
    return REC_OK;
}
