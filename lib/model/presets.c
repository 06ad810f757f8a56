/* The TensorFlow Recommenders tutorial's three models as presets (rec_model_create_preset):
 * user and movie-title embeddings joined by a dot product; the same joined by
 * Dense(64, relu) → Dense(1); and the enriched model with timestamp buckets, a normalized
 * timestamp and title words. */
#include "model/model.h"

static rec_status set_name(rec_model *m, const char *name)
{
    char *copy = rec__strdup(name);
    if (!copy)
        return rec__error(REC_ENOMEM, "rec_model_create_preset: out of memory");
    rec__free(m->name);
    m->name = copy;
    return REC_OK;
}

rec_status rec_model_create_preset(rec_model **out, rec_preset preset, uint64_t seed)
{
    static const char fn[] = "rec_model_create_preset";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if ((unsigned)preset > REC_PRESET_ENRICHED)
        return rec__error(REC_EINVAL, "%s: unknown preset %d", fn, (int)preset);
    rec_model *m;
    rec_status rc = rec_model_create(&m, seed);
    if (rc)
        return rc;
    static const char *names[] = {"dot", "one_layer", "enriched"};
    rc = set_name(m, names[preset]);
    if (!rc)
        rc = rec_model_add_feature(NULL, m, REC__COL_USER, REC_FEATURE_CATEGORICAL, REC_SIDE_USER,
                                   32);
    if (!rc && preset == REC_PRESET_ENRICHED) {
        rc = rec_model_add_feature(NULL, m, REC__COL_TIME, REC_FEATURE_BUCKETIZED, REC_SIDE_USER,
                                   32);
        if (!rc)
            rc = rec_model_add_feature(NULL, m, REC__COL_TIME, REC_FEATURE_NUMERIC, REC_SIDE_USER,
                                       1);
    }
    if (!rc)
        rc = rec_model_add_feature(NULL, m, REC__COL_ITEM, REC_FEATURE_CATEGORICAL,
                                   REC_SIDE_ITEM, 32);
    if (!rc && preset == REC_PRESET_ENRICHED)
        rc = rec_model_add_feature(NULL, m, REC__COL_ITEM, REC_FEATURE_TEXT, REC_SIDE_ITEM, 32);
    if (!rc && preset != REC_PRESET_DOT) {
        rc = rec_model_set_interaction(m, REC_INTERACTION_MLP);
        if (!rc)
            rc = rec_model_add_layer(m, 64, REC_ACTIVATION_RELU);
        if (!rc)
            rc = rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR);
    }
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    *out = m;
    return REC_OK;
}
