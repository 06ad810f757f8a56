/* The model's description (features, interaction, layers, label, regularization, likelihood,
 * early stopping, threads), its life cycle and its accessors. Building is build.c, the
 * tutorial's presets presets.c. */
#include "model/model.h"

#include <math.h>
#include <string.h>

#define DEFAULT_BUCKETS 1000u
#define DEFAULT_MAX_TOKENS 10000u

rec_status rec__model_new(rec_model **out, uint64_t seed, const char *label, const char *fn)
{
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    rec_model *m = rec__calloc(1, sizeof *m);
    if (!m)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    m->seed = seed;
    m->n_threads = 1;
    m->interaction = REC_INTERACTION_DOT;
    m->name = rec__strdup("model");
    if (!m->name || (label && !(m->label = rec__strdup(label)))) {
        rec_model_free(m);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    *out = m;
    return REC_OK;
}

/* rec_model_create has two versions (GNU symbol versioning, lib/librec.map). A program linked
 * against 1.0 binds rec_model_create@REC_1.0, whose models read the label from the loaders'
 * rating column, as they always did; a program linked against 1.1 or later binds the default
 * rec_model_create@@REC_1.1, whose models have no label until rec_model_set_label, so that
 * data with other column names gets an error instead of a MovieLens name. The two functions
 * have default visibility so that the versioned names are exported; the version script keeps
 * their own names local. */
REC_API rec_status rec_model_create_v1_0(rec_model **out, uint64_t seed);
REC_API rec_status rec_model_create_v1_1(rec_model **out, uint64_t seed);
__asm__(".symver rec_model_create_v1_0, rec_model_create@REC_1.0");
__asm__(".symver rec_model_create_v1_1, rec_model_create@@REC_1.1");

rec_status rec_model_create_v1_0(rec_model **out, uint64_t seed)
{
    return rec__model_new(out, seed, REC__COL_RATING, "rec_model_create");
}

rec_status rec_model_create_v1_1(rec_model **out, uint64_t seed)
{
    return rec__model_new(out, seed, NULL, "rec_model_create");
}

void rec_model_free(rec_model *m)
{
    if (!m)
        return;
    rec__model_release_built(m);
    rec__serving_release(&m->serve);
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


rec_status rec_model_add_feature(uint32_t *id_out, rec_model *m, const char *column,
                                 rec_feature_kind kind, rec_side side, uint32_t dim)
{
    static const char fn[] = "rec_model_add_feature";
    rec_status rc = rec__model_check_unbuilt(m, fn);
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
    rec_status rc = rec__model_check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (feature >= m->n_feats)
        return rec__error(REC_EINVAL, "%s: feature %u does not exist (%zu features)", fn,
                          feature, m->n_feats);
    if (m->feats[feature].kind != kind)
        return rec__error(REC_EINVAL, "%s: feature %u ('%s') is %s, not %s", fn, feature,
                          m->feats[feature].column, rec__model_kind_name(m->feats[feature].kind),
                          rec__model_kind_name(kind));
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
    rec_status rc = rec__model_check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (feature >= m->n_feats)
        return rec__error(REC_EINVAL, "%s: feature %u does not exist (%zu features)", fn,
                          feature, m->n_feats);
    rec__feature *f = &m->feats[feature];
    if (f->kind != REC_FEATURE_TEXT && f->kind != REC_FEATURE_CATEGORICAL_LIST)
        return rec__error(REC_EINVAL, "%s: feature %u ('%s') is %s; pooling applies to TEXT and "
                          "CATEGORICAL_LIST features", fn, feature, f->column,
                          rec__model_kind_name(f->kind));
    if ((unsigned)pooling > REC_POOLING_SQRTN)
        return rec__error(REC_EINVAL, "%s: unknown pooling %d", fn, (int)pooling);
    f->pooling = pooling;
    return REC_OK;
}

rec_status rec_model_set_interaction(rec_model *m, rec_interaction interaction)
{
    rec_status rc = rec__model_check_unbuilt(m, "rec_model_set_interaction");
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
    rec_status rc = rec__model_check_unbuilt(m, fn);
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
    rec_status rc = rec__model_check_unbuilt(m, "rec_model_set_label");
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

/* ---- regularization, likelihood and early stopping ------------------------------------------ */

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

/* ---- accessors ------------------------------------------------------------------------------ */


int rec_model_is_built(const rec_model *m)
{
    return m && m->built;
}

size_t rec_model_n_features(const rec_model *m)
{
    return m ? m->n_feats : 0;
}

const char *rec_model_label(const rec_model *m)
{
    return m ? m->label : NULL;
}

rec_status rec_model_feature_info(const char **column_out, rec_feature_kind *kind_out,
                                  rec_side *side_out, rec_column_type *type_out,
                                  uint32_t *dim_out, const rec_model *m, uint32_t feature)
{
    static const char fn[] = "rec_model_feature_info";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (feature >= m->n_feats)
        return rec__error(REC_EINVAL, "%s: feature %u does not exist (%zu features)", fn,
                          feature, m->n_feats);
    const rec__feature *f = &m->feats[feature];
    if (column_out)
        *column_out = f->column;
    if (kind_out)
        *kind_out = f->kind;
    if (side_out)
        *side_out = f->side;
    if (type_out)
        *type_out = rec__model_column_type(f->kind);
    if (dim_out)
        *dim_out = f->dim;
    return REC_OK;
}


size_t rec__model_feature_params(const rec__feature *f)
{
    if (!f->emb)
        return 0;
    return (size_t)rec_embedding_rows(f->emb) * rec_embedding_dim(f->emb);
}

/* Keras's Normalization keeps mean, variance and count as non-trainable weights. */
size_t rec__model_feature_nontrainable(const rec__feature *f)
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
