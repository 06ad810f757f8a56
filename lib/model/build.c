/* Building a described model (rec_model_build): the preprocessing adapted on a dataset
 * (vocabularies, bucket boundaries, mean and variance, the text vocabulary), the layout of
 * the concatenated input, and every block created with a seed drawn in a fixed order from the
 * model's; the model file's load shares the layout and the release. */
#include "model/model.h"

#include <math.h>
#include <string.h>

/* ---- the built state ---------------------------------------------------------------------- */

rec_status rec__model_check_unbuilt(const rec_model *m, const char *fn)
{
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (m->built)
        return rec__error(REC_ESTATE, "%s: the model is already built; describe it before "
                          "rec_model_build()", fn);
    return REC_OK;
}

rec_status rec__model_check_built(const rec_model *m, const char *fn)
{
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!m->built)
        return rec__error(REC_ESTATE, "%s: the model is not built; call rec_model_build() "
                          "first", fn);
    return REC_OK;
}

rec_status rec__model_check_label(const rec_model *m, const char *fn)
{
    if (!m->label)
        return rec__error(REC_ESTATE, "%s: the model has no label column (call "
                          "rec_model_set_label)", fn);
    return REC_OK;
}

const char *rec__model_kind_name(rec_feature_kind k)
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
                            rec__model_kind_name(f->kind));
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
    rec_status rc = rec__model_check_unbuilt(m, fn);
    if (rc)
        return rc;
    if (!adapt)
        return rec__error(REC_EINVAL, "%s: adapt dataset is NULL", fn);
    if (adapt->n_rows == 0)
        return rec__error(REC_EINVAL, "%s: adapt dataset is empty", fn);
    /* w₀ of BIASED_DOT and FM starts at the label's mean; the label cannot be set later */
    if (rec__model_has_linear(m) && (rc = rec__model_check_label(m, fn)))
        return rc;

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
    /* the label range clipping keeps predictions within (rec_model_set_clip) */
    rec__model_label_widen(m, adapt, NULL, 0);
    m->built = 1;
    return REC_OK;
}
