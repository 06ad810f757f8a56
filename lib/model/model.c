/* Ranking model: description (features, interaction, layers), presets, build (adapt the
 * preprocessing and allocate seeded weights) and accessors. */
#include "model/model.h"

#include <math.h>
#include <string.h>

#define DEFAULT_BUCKETS 1000u
#define DEFAULT_MAX_TOKENS 10000u

rec_status rec_model_create(rec_model **out, uint64_t seed)
{
    if (!out)
        return rec__error(REC_EINVAL, "rec_model_create: out is NULL");
    *out = NULL;
    rec_model *m = rec__calloc(1, sizeof *m);
    if (!m)
        return rec__error(REC_ENOMEM, "rec_model_create: out of memory");
    m->seed = seed;
    m->n_threads = 1;
    m->interaction = REC_INTERACTION_DOT;
    m->label = rec__strdup(REC__COL_RATING);
    m->name = rec__strdup("model");
    if (!m->label || !m->name) {
        rec_model_free(m);
        return rec__error(REC_ENOMEM, "rec_model_create: out of memory");
    }
    *out = m;
    return REC_OK;
}

/* Free the built state (preprocessing, weights, workspace); the description stays. */
void rec__model_release_built(rec_model *m)
{
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__feature *f = &m->feats[i];
        rec_vocab_free(f->vocab);
        rec_discretization_free(f->disc);
        rec_normalization_free(f->norm);
        rec_textvec_free(f->text);
        rec_embedding_free(f->emb);
        rec_embedding_free(f->lin);
        rec_embedding_free(f->nvec);
        f->vocab = NULL;
        f->disc = NULL;
        f->norm = NULL;
        f->text = NULL;
        f->emb = f->lin = f->nvec = NULL;
    }
    for (size_t l = 0; l < m->n_layers; l++) {
        rec_dense_free(m->layers[l].dense);
        m->layers[l].dense = NULL;
    }
    rec_embedding_free(m->w0);
    m->w0 = NULL;
    rec__params_release(&m->params);
    rec__workspace_release(&m->ws, m);
    rec__posterior_forget(&m->post);
    m->built = 0;
}

void rec_model_free(rec_model *m)
{
    if (!m)
        return;
    rec__model_release_built(m);
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__free(m->feats[i].column);
        rec__free(m->feats[i].boundaries);
    }
    rec__free(m->feats);
    rec__free(m->layers);
    rec__free(m->label);
    rec__free(m->name);
    rec__free(m);
}

static rec_status check_unbuilt(const rec_model *m, const char *fn)
{
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (m->built)
        return rec__error(REC_ESTATE, "%s: the model is already built; describe it before "
                          "rec_model_build()", fn);
    return REC_OK;
}

rec_status rec_model_add_feature(uint32_t *id_out, rec_model *m, const char *column,
                                 rec_feature_kind kind, rec_side side, uint32_t dim)
{
    static const char fn[] = "rec_model_add_feature";
    rec_status rc = check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (!column || !*column)
        return rec__error(REC_EINVAL, "%s: column is NULL or empty", fn);
    if ((unsigned)kind > REC_FEATURE_CATEGORICAL_LIST)
        return rec__error(REC_EINVAL, "%s: unknown feature kind %d", fn, (int)kind);
    if ((unsigned)side > REC_SIDE_ITEM)
        return rec__error(REC_EINVAL, "%s: unknown side %d", fn, (int)side);
    if (dim == 0 || dim > (1u << 16))
        return rec__error(REC_EINVAL, "%s: dim %u for column '%s' is outside 1..65536", fn, dim,
                          column);
    if (kind == REC_FEATURE_NUMERIC && dim != 1)
        return rec__error(REC_EINVAL, "%s: a NUMERIC feature ('%s') has dim 1, not %u", fn,
                          column, dim);
    if (m->n_feats == m->cap_feats) {
        size_t cap = m->cap_feats ? 2 * m->cap_feats : 8;
        rec__feature *nf = rec__realloc(m->feats, cap * sizeof *nf);
        if (!nf)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        m->feats = nf;
        m->cap_feats = cap;
    }
    rec__feature *f = &m->feats[m->n_feats];
    memset(f, 0, sizeof *f);
    f->column = rec__strdup(column);
    if (!f->column)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    f->kind = kind;
    f->side = side;
    f->dim = dim;
    f->n_boundaries = DEFAULT_BUCKETS;
    f->max_tokens = DEFAULT_MAX_TOKENS;
    m->n_feats++;
    if (id_out)
        *id_out = (uint32_t)m->n_feats - 1;
    return REC_OK;
}

static rec_status feature_of_kind(rec__feature **f, rec_model *m, uint32_t feature,
                                  rec_feature_kind kind, const char *fn)
{
    rec_status rc = check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (feature >= m->n_feats)
        return rec__error(REC_EINVAL, "%s: feature %u does not exist (%zu features)", fn,
                          feature, m->n_feats);
    if (m->feats[feature].kind != kind)
        return rec__error(REC_EINVAL, "%s: feature %u ('%s') is %s, not %s", fn, feature,
                          m->feats[feature].column, rec__feature_kind_name(m->feats[feature].kind),
                          rec__feature_kind_name(kind));
    *f = &m->feats[feature];
    return REC_OK;
}

rec_status rec_model_feature_set_bucket_count(rec_model *m, uint32_t feature,
                                              uint32_t n_boundaries)
{
    static const char fn[] = "rec_model_feature_set_bucket_count";
    rec__feature *f = NULL;
    rec_status rc = feature_of_kind(&f, m, feature, REC_FEATURE_BUCKETIZED, fn);
    if (rc)
        return rc;
    if (n_boundaries == 0 || n_boundaries > (1u << 24))
        return rec__error(REC_EINVAL, "%s: n_boundaries %u is outside 1..2^24", fn, n_boundaries);
    rec__free(f->boundaries);
    f->boundaries = NULL;
    f->n_given_boundaries = 0;
    f->n_boundaries = n_boundaries;
    return REC_OK;
}

rec_status rec_model_feature_set_boundaries(rec_model *m, uint32_t feature,
                                            const double *boundaries, size_t n)
{
    static const char fn[] = "rec_model_feature_set_boundaries";
    rec__feature *f = NULL;
    rec_status rc = feature_of_kind(&f, m, feature, REC_FEATURE_BUCKETIZED, fn);
    if (rc)
        return rc;
    if (!boundaries && n > 0)
        return rec__error(REC_EINVAL, "%s: boundaries is NULL", fn);
    if (n > (1u << 24))
        return rec__error(REC_EINVAL, "%s: %zu boundaries exceed 2^24", fn, n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(boundaries[i]))
            return rec__error(REC_EINVAL, "%s: boundaries[%zu] is not finite", fn, i);
        if (i > 0 && boundaries[i] < boundaries[i - 1])
            return rec__error(REC_EINVAL, "%s: boundaries[%zu] < boundaries[%zu]", fn, i, i - 1);
    }
    double *copy = rec__malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    if (n)
        memcpy(copy, boundaries, n * sizeof *copy);
    rec__free(f->boundaries);
    f->boundaries = copy;
    f->n_given_boundaries = n;
    return REC_OK;
}

rec_status rec_model_feature_set_max_tokens(rec_model *m, uint32_t feature, uint32_t max_tokens)
{
    static const char fn[] = "rec_model_feature_set_max_tokens";
    rec__feature *f = NULL;
    rec_status rc = feature_of_kind(&f, m, feature, REC_FEATURE_TEXT, fn);
    if (rc)
        return rc;
    if (max_tokens < 2 || max_tokens > (1u << 24))
        return rec__error(REC_EINVAL, "%s: max_tokens %u is outside 2..2^24", fn, max_tokens);
    f->max_tokens = max_tokens;
    return REC_OK;
}

rec_status rec_model_feature_set_pooling(rec_model *m, uint32_t feature, rec_pooling pooling)
{
    static const char fn[] = "rec_model_feature_set_pooling";
    rec_status rc = check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (feature >= m->n_feats)
        return rec__error(REC_EINVAL, "%s: feature %u does not exist (%zu features)", fn,
                          feature, m->n_feats);
    rec__feature *f = &m->feats[feature];
    if (f->kind != REC_FEATURE_TEXT && f->kind != REC_FEATURE_CATEGORICAL_LIST)
        return rec__error(REC_EINVAL, "%s: feature %u ('%s') is %s; pooling applies to TEXT and "
                          "CATEGORICAL_LIST features", fn, feature, f->column,
                          rec__feature_kind_name(f->kind));
    if ((unsigned)pooling > REC_POOLING_SQRTN)
        return rec__error(REC_EINVAL, "%s: unknown pooling %d", fn, (int)pooling);
    f->pooling = pooling;
    return REC_OK;
}

rec_status rec_model_set_interaction(rec_model *m, rec_interaction interaction)
{
    rec_status rc = check_unbuilt(m, "rec_model_set_interaction");
    if (rc)
        return rc;
    if ((unsigned)interaction > REC_INTERACTION_FM)
        return rec__error(REC_EINVAL, "rec_model_set_interaction: unknown interaction %d",
                          (int)interaction);
    m->interaction = interaction;
    return REC_OK;
}

rec_status rec_model_add_layer(rec_model *m, uint32_t units, rec_activation activation)
{
    static const char fn[] = "rec_model_add_layer";
    rec_status rc = check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (units == 0 || units > (1u << 16))
        return rec__error(REC_EINVAL, "%s: units %u is outside 1..65536", fn, units);
    if ((unsigned)activation > REC_ACTIVATION_TANH)
        return rec__error(REC_EINVAL, "%s: unknown activation %d", fn, (int)activation);
    if (m->n_layers == m->cap_layers) {
        size_t cap = m->cap_layers ? 2 * m->cap_layers : 4;
        rec__layer *nl = rec__realloc(m->layers, cap * sizeof *nl);
        if (!nl)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        m->layers = nl;
        m->cap_layers = cap;
    }
    m->layers[m->n_layers] = (rec__layer){units, activation, 0.0f, 0.0f, NULL, 0, 0};
    m->n_layers++;
    return REC_OK;
}

rec_status rec_model_set_label(rec_model *m, const char *column)
{
    rec_status rc = check_unbuilt(m, "rec_model_set_label");
    if (rc)
        return rc;
    if (!column || !*column)
        return rec__error(REC_EINVAL, "rec_model_set_label: column is NULL or empty");
    char *copy = rec__strdup(column);
    if (!copy)
        return rec__error(REC_ENOMEM, "rec_model_set_label: out of memory");
    rec__free(m->label);
    m->label = copy;
    return REC_OK;
}

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
        rc = rec_model_add_feature(NULL, m, REC__COL_USER, REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 32);
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

/* ---- regularization, likelihood and early stopping -------------------------------------------------------------------------- */

static rec_status check_lambda(float v, const char *what, const char *fn)
{
    if (!(v >= 0.0f) || !isfinite(v))
        return rec__error(REC_EINVAL, "%s: %s = %g must be >= 0 and finite", fn, what,
                          (double)v);
    return REC_OK;
}

rec_status rec_model_feature_set_l2(rec_model *m, uint32_t feature, float l2_embedding,
                                    float l2_linear)
{
    static const char fn[] = "rec_model_feature_set_l2";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (feature >= m->n_feats)
        return rec__error(REC_EINVAL, "%s: feature %u does not exist (%zu features)", fn,
                          feature, m->n_feats);
    rec_status rc = check_lambda(l2_embedding, "l2_embedding", fn);
    if (!rc)
        rc = check_lambda(l2_linear, "l2_linear", fn);
    if (rc)
        return rc;
    m->feats[feature].l2_emb = l2_embedding;
    m->feats[feature].l2_lin = l2_linear;
    return REC_OK;
}

rec_status rec_model_layer_set_l2(rec_model *m, size_t layer, float l2)
{
    static const char fn[] = "rec_model_layer_set_l2";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (layer >= m->n_layers)
        return rec__error(REC_EINVAL, "%s: layer %zu does not exist (%zu layers)", fn, layer,
                          m->n_layers);
    rec_status rc = check_lambda(l2, "l2", fn);
    if (rc)
        return rc;
    m->layers[layer].l2 = l2;
    return REC_OK;
}

rec_status rec_model_layer_set_dropout(rec_model *m, size_t layer, float rate)
{
    static const char fn[] = "rec_model_layer_set_dropout";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (layer >= m->n_layers)
        return rec__error(REC_EINVAL, "%s: layer %zu does not exist (%zu layers)", fn, layer,
                          m->n_layers);
    if (layer + 1 == m->n_layers)
        return rec__error(REC_EINVAL, "%s: layer %zu is the output layer; dropout applies to "
                          "hidden layers", fn, layer);
    if (!(rate >= 0.0f && rate < 1.0f))
        return rec__error(REC_EINVAL, "%s: rate = %g must be in [0, 1)", fn, (double)rate);
    m->layers[layer].dropout = rate;
    return REC_OK;
}

rec_status rec_model_set_likelihood(rec_model *m, rec_likelihood likelihood)
{
    static const char fn[] = "rec_model_set_likelihood";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if ((unsigned)likelihood > REC_LIKELIHOOD_ORDERED_PROBIT)
        return rec__error(REC_EINVAL, "%s: unknown likelihood %d", fn, (int)likelihood);
    m->post.likelihood = likelihood;
    return REC_OK;
}

rec_status rec_model_set_early_stopping(rec_model *m, uint32_t patience, double min_delta)
{
    static const char fn[] = "rec_model_set_early_stopping";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!(min_delta >= 0.0) || !isfinite(min_delta))
        return rec__error(REC_EINVAL, "%s: min_delta = %g must be >= 0 and finite", fn,
                          min_delta);
    m->es_patience = patience;
    m->es_min_delta = min_delta;
    return REC_OK;
}

/* ---- build ------------------------------------------------------------------------------- */

static rec_status column_of_type(const rec__column **col, const rec_dataset *ds, const char *name,
                                 int type, const char *what)
{
    *col = rec__dataset_find(ds, name);
    if (!*col)
        return rec__error(REC_ENOTFOUND, "rec_model_build: column '%s' (%s) is not in the "
                          "dataset", name, what);
    if ((*col)->type != type) {
        static const char *tn[] = {"string", "number", "string list"};
        return rec__error(REC_EINVAL, "rec_model_build: column '%s' is a %s column; a %s "
                          "feature needs a %s column", name, tn[(*col)->type], what, tn[type]);
    }
    return REC_OK;
}

/* Distinct strings of a dictionary column, as borrowed pointers, for adapting lookups. */
static rec_status distinct_strings(const char ***out, size_t *n, const rec_dataset *ds,
                                   const char *name)
{
    uint32_t idx;
    rec_status rc = rec_dataset_column(&idx, ds, name);
    if (rc)
        return rc;
    rc = rec_dataset_unique_strings(NULL, 0, n, ds, idx);
    if (rc)
        return rc;
    *out = rec__malloc((*n ? *n : 1) * sizeof **out);
    if (!*out)
        return rec__error(REC_ENOMEM, "rec_model_build: out of memory");
    rc = rec_dataset_unique_strings(*out, *n, n, ds, idx);
    if (rc) {
        rec__free((void *)*out);
        *out = NULL;
    }
    return rc;
}

/* Non-missing values of a number column. */
static rec_status present_numbers(double **out, size_t *n, const rec__column *col, size_t rows,
                                  const char *name)
{
    *out = rec__malloc((rows ? rows : 1) * sizeof **out);
    if (!*out)
        return rec__error(REC_ENOMEM, "rec_model_build: out of memory");
    size_t k = 0;
    for (size_t r = 0; r < rows; r++)
        if (!isnan(col->numbers[r]))
            (*out)[k++] = col->numbers[r];
    *n = k;
    if (k == 0) {
        rec__free(*out);
        *out = NULL;
        return rec__error(REC_EINVAL, "rec_model_build: column '%s' has no values to adapt on",
                          name);
    }
    return REC_OK;
}

static rec_status adapt_feature(rec__feature *f, const rec_dataset *ds, uint64_t emb_seed)
{
    const rec__column *col;
    rec_status rc = REC_OK;
    uint32_t rows = 0;
    const char **strings = NULL;
    double *values = NULL;
    size_t n = 0;

    switch (f->kind) {
    case REC_FEATURE_CATEGORICAL:
    case REC_FEATURE_CATEGORICAL_LIST:
        rc = column_of_type(&col, ds, f->column,
                            f->kind == REC_FEATURE_CATEGORICAL ? REC_COLUMN_STRING
                                                               : REC_COLUMN_STRING_LIST,
                            rec__feature_kind_name(f->kind));
        if (!rc)
            rc = distinct_strings(&strings, &n, ds, f->column);
        if (!rc)
            rc = rec_vocab_create(&f->vocab, strings, n);
        if (!rc)
            rows = (uint32_t)rec_vocab_size(f->vocab);
        break;
    case REC_FEATURE_BUCKETIZED:
        if (f->boundaries) {
            rc = rec_discretization_create(&f->disc, f->boundaries, f->n_given_boundaries);
        } else {
            rc = column_of_type(&col, ds, f->column, REC_COLUMN_NUMBER, "BUCKETIZED");
            if (!rc)
                rc = present_numbers(&values, &n, col, ds->n_rows, f->column);
            if (!rc)
                rc = rec_discretization_adapt(&f->disc, values, n, f->n_boundaries);
        }
        if (!rc)
            rows = (uint32_t)rec_discretization_n_buckets(f->disc);
        break;
    case REC_FEATURE_NUMERIC:
        rc = column_of_type(&col, ds, f->column, REC_COLUMN_NUMBER, "NUMERIC");
        if (!rc)
            rc = present_numbers(&values, &n, col, ds->n_rows, f->column);
        if (!rc)
            rc = rec_normalization_adapt(&f->norm, values, n);
        break;
    case REC_FEATURE_TEXT:
        rc = column_of_type(&col, ds, f->column, REC_COLUMN_STRING, "TEXT");
        if (!rc)
            rc = distinct_strings(&strings, &n, ds, f->column);
        if (!rc)
            rc = rec_textvec_adapt(&f->text, strings, n, f->max_tokens);
        /* Keras: Embedding(max_tokens, dim, mask_zero=True), whatever the vocabulary size. */
        rows = f->max_tokens;
        break;
    }
    rec__free((void *)strings);
    rec__free(values);
    if (!rc && f->kind != REC_FEATURE_NUMERIC)
        rc = rec_embedding_create(&f->emb, rows, f->dim, emb_seed);
    return rc;
}

/* Layout of the concatenation (feature offsets, side widths) and the description's consistency
 * checks; shared by rec_model_build() and rec_model_load(). */
rec_status rec__model_layout(rec_model *m, const char *fn)
{
    /* Layout of the concatenation: user-side features in order, then item-side ones. */
    uint32_t off = 0;
    for (int side = REC_SIDE_USER; side <= REC_SIDE_ITEM; side++) {
        uint32_t start = off;
        for (size_t i = 0; i < m->n_feats; i++) {
            if (m->feats[i].side != (rec_side)side)
                continue;
            /* a described (or loaded) model can hold very many features */
            if (m->feats[i].dim > UINT32_MAX - off)
                return rec__error(REC_EINVAL, "%s: the concatenated width overflows 2^32", fn);
            m->feats[i].offset = off;
            off += m->feats[i].dim;
        }
        if (side == REC_SIDE_USER)
            m->width_user = off - start;
        else
            m->width_item = off - start;
    }
    m->width = off;
    if (m->width_user == 0 || m->width_item == 0)
        return rec__error(REC_EINVAL, "%s: the model needs at least one user-side and one "
                          "item-side feature (has %u and %u columns)", fn, m->width_user,
                          m->width_item);
    static const char *names[] = {"DOT", "MLP", "BIASED_DOT", "FM"};
    const char *name = names[m->interaction];
    if (m->interaction != REC_INTERACTION_MLP && m->n_layers)
        return rec__error(REC_EINVAL, "%s: a %s interaction takes no dense layers (%zu added); "
                          "use REC_INTERACTION_MLP", fn, name, m->n_layers);
    if (m->interaction == REC_INTERACTION_DOT || m->interaction == REC_INTERACTION_BIASED_DOT) {
        if (m->width_user != m->width_item)
            return rec__error(REC_EINVAL, "%s: a %s interaction needs sides of equal width "
                              "(user %u, item %u)", fn, name, m->width_user, m->width_item);
    } else if (m->interaction == REC_INTERACTION_FM) {
        /* every embedded feature meets every other in a dot product: one width K for all
         * (a NUMERIC feature gets a K-wide factor vector of its own) */
        uint32_t k = 0;
        for (size_t i = 0; i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            if (f->kind == REC_FEATURE_NUMERIC)
                continue;
            if (k && f->dim != k)
                return rec__error(REC_EINVAL, "%s: an FM interaction needs one embedding width "
                                  "for every feature ('%s' has %u, an earlier one %u)", fn,
                                  f->column, f->dim, k);
            k = f->dim;
        }
        if (k == 0)
            return rec__error(REC_EINVAL, "%s: an FM interaction needs at least one feature "
                              "that is not NUMERIC", fn);
        if (k > REC__FM_MAX_DIM)
            return rec__error(REC_EINVAL, "%s: an FM's embedding width %u exceeds %u", fn, k,
                              REC__FM_MAX_DIM);
    } else {
        if (m->n_layers == 0 || m->layers[m->n_layers - 1].units != 1)
            return rec__error(REC_EINVAL, "%s: an MLP interaction must end in a layer of 1 "
                              "unit (rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR))", fn);
    }
    size_t fu, fv;
    if (rec__dot_pair(m, &fu, &fv))
        m->ops = &rec__dot_pair_ops;
    else if (m->interaction == REC_INTERACTION_DOT)
        m->ops = &rec__dot_ops;
    else if (m->interaction == REC_INTERACTION_MLP)
        m->ops = &rec__mlp_ops;
    else
        m->ops = &rec__fm_ops;
    return REC_OK;
}

/* Mean of the adapt dataset's label column, the global bias's starting value (0 when the
 * column is absent or holds no finite value: adapting needs no labels). */
static float label_mean(const rec_dataset *ds, const char *label)
{
    const rec__column *col = rec__dataset_find(ds, label);
    if (!col || col->type != REC_COLUMN_NUMBER)
        return 0.0f;
    double sum = 0.0;
    size_t n = 0;
    for (size_t r = 0; r < ds->n_rows; r++)
        if (isfinite(col->numbers[r])) {
            sum += col->numbers[r];
            n++;
        }
    return n ? (float)(sum / (double)n) : 0.0f;
}

/* The dropout generator, and for BIASED_DOT and FM the linear tables, the numeric factor
 * vectors and the global bias w₀ (set to w0_init), all seeded from `seed`: drawn after every
 * earlier block's seed, so the tutorial's models keep their weights. On failure the caller
 * releases. */
static rec_status build_linear(rec_model *m, uint64_t seed, float w0_init, const char *fn)
{
    rec__rng seeds;
    rec__rng_seed(&seeds, seed);
    rec__rng_seed(&m->drop_rng, rec__rng_u64(&seeds));
    if (!rec__model_has_linear(m))
        return REC_OK;
    uint32_t K = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].emb && !K)
            K = m->feats[i].dim;
    rec_status rc = rec_embedding_create(&m->w0, 1, 1, 0);
    if (!rc)
        rec__embedding_param(m->w0)->w[0] = w0_init;
    for (size_t i = 0; i < m->n_feats && !rc; i++) {
        rec__feature *f = &m->feats[i];
        uint32_t rows = f->emb ? rec_embedding_rows(f->emb) : 1;
        uint64_t s = rec__rng_u64(&seeds);
        /* linear weights start at 0, as the bias of a Dense layer */
        rc = rec_embedding_create(&f->lin, rows, 1, s);
        if (!rc)
            memset(rec__embedding_param(f->lin)->w, 0, rows * sizeof(float));
        /* a numeric feature's factor vector: Keras's embedding initializer, ±0.05 */
        if (!rc && !f->emb && m->interaction == REC_INTERACTION_FM)
            rc = rec_embedding_create(&f->nvec, 1, K, rec__rng_u64(&seeds));
    }
    if (rc == REC_ENOMEM || rc == REC_EINVAL)
        return rec__error(rc, "%s: %s", fn, rec_last_error());
    return rc;
}

rec_status rec_model_build(rec_model *m, const rec_dataset *adapt)
{
    static const char fn[] = "rec_model_build";
    rec_status rc = check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (!adapt)
        return rec__error(REC_EINVAL, "%s: adapt dataset is NULL", fn);
    if (adapt->n_rows == 0)
        return rec__error(REC_EINVAL, "%s: adapt dataset is empty", fn);

    if ((rc = rec__model_layout(m, fn)))
        return rc;

    /* Seeds of every block, drawn in a fixed order from the model's seed. */
    rec__rng seeds;
    rec__rng_seed(&seeds, m->seed);
    for (size_t i = 0; i < m->n_feats && !rc; i++)
        rc = adapt_feature(&m->feats[i], adapt, rec__rng_u64(&seeds));
    if (!rc && m->n_layers) {
        uint32_t n_in = m->width;
        for (size_t l = 0; l < m->n_layers && !rc; l++) {
            rc = rec_dense_create(&m->layers[l].dense, n_in, m->layers[l].units, m->layers[l].act,
                                  rec__rng_u64(&seeds));
            n_in = m->layers[l].units;
        }
    }
    if (rc) {
        rec__model_release_built(m);
        return rc;
    }
    rec__rng_seed(&m->order_rng, rec__rng_u64(&seeds));
    /* drawn after every earlier block's seed, so the tutorial's models keep their weights */
    if (!rc)
        rc = build_linear(m, rec__rng_u64(&seeds), label_mean(adapt, m->label), fn);
    if (!rc)
        rc = rec__params_build(m, fn);
    if (rc) {
        rec__model_release_built(m);
        return rc;
    }
    m->built = 1;
    return REC_OK;
}

/* ---- accessors ------------------------------------------------------------------------------ */

rec_status rec__model_check_built(const rec_model *m, const char *fn)
{
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!m->built)
        return rec__error(REC_ESTATE, "%s: the model is not built; call rec_model_build() "
                          "first", fn);
    return REC_OK;
}

int rec_model_is_built(const rec_model *m)
{
    return m && m->built;
}

size_t rec_model_n_features(const rec_model *m)
{
    return m ? m->n_feats : 0;
}

const char *rec__feature_kind_name(rec_feature_kind k)
{
    switch (k) {
    case REC_FEATURE_CATEGORICAL: return "CATEGORICAL";
    case REC_FEATURE_BUCKETIZED: return "BUCKETIZED";
    case REC_FEATURE_NUMERIC: return "NUMERIC";
    case REC_FEATURE_TEXT: return "TEXT";
    case REC_FEATURE_CATEGORICAL_LIST: return "CATEGORICAL_LIST";
    }
    return "unknown";
}

size_t rec__feature_params(const rec__feature *f)
{
    if (!f->emb)
        return 0;
    return (size_t)rec_embedding_rows(f->emb) * rec_embedding_dim(f->emb);
}

/* Keras's Normalization keeps mean, variance and count as non-trainable weights. */
size_t rec__feature_nontrainable(const rec__feature *f)
{
    return f->kind == REC_FEATURE_NUMERIC ? 3 : 0;
}

size_t rec_model_n_params(const rec_model *m)
{
    return m && m->built ? rec__params_floats(&m->params) : 0;
}

const rec_embedding *rec_model_feature_embedding(const rec_model *m, uint32_t feature)
{
    if (!m || !m->built || feature >= m->n_feats)
        return NULL;
    return m->feats[feature].emb;
}

const rec_vocab *rec_model_feature_vocab(const rec_model *m, uint32_t feature)
{
    if (!m || !m->built || feature >= m->n_feats)
        return NULL;
    return m->feats[feature].vocab;
}

size_t rec_model_n_layers(const rec_model *m)
{
    return m ? m->n_layers : 0;
}

const rec_dense *rec_model_layer(const rec_model *m, size_t i)
{
    if (!m || !m->built || i >= m->n_layers)
        return NULL;
    return m->layers[i].dense;
}

/* ---- threads ------------------------------------------------------------------------------- */

rec_status rec_model_set_threads(rec_model *m, uint32_t n_threads)
{
    if (!m)
        return rec__error(REC_EINVAL, "rec_model_set_threads: model is NULL");
    if (n_threads == 0 || n_threads > REC__POOL_MAX)
        return rec__error(REC_EINVAL, "rec_model_set_threads: n_threads = %u is outside 1..%u",
                          n_threads, REC__POOL_MAX);
    m->n_threads = n_threads;
    return REC_OK;
}

uint32_t rec_model_threads(const rec_model *m)
{
    return m ? m->n_threads : 0;
}

/* The model's thread count, or 1 when the BLAS runs threads of its own: OpenBLAS called from
 * two of these threads with OPENBLAS_NUM_THREADS=2 on two cores runs many times slower than
 * one thread (the two pools spin against each other), so librec steps aside rather than
 * change a process-wide BLAS setting (docs/threading.md). */
uint32_t rec__model_threads(const rec_model *m)
{
    return m->n_threads > 1 && rec__blas_threads() > 1 ? 1 : m->n_threads;
}
