/* The model's sections of a librec file (rec_model_save / rec_model_load), in the checksummed
 * container of container.c (docs/file-format.md, byte by byte): little-endian, versioned, the
 * sections contiguous and in a fixed order:
 *   DESC description   PREP preprocessing state   EMBD embedding tables   DENS dense layers
 *   EXTN pooling, L2, dropout and early-stopping settings, the linear tables and global bias
 *        of BIASED_DOT / FM, posterior samples
 *   OPTM optimizer slots (optional)   RNGS batch-order generator state
 * and, in format version 2, the serving state (serving_file.c), each only when the model has
 * it: RANG label range and clip setting   CATL item catalogue   SEEN seen items. A model
 * without any of it is written as version 1, byte for byte as before version 2 existed.
 * Every integer and float is encoded byte by byte, so the file reads the same on any host;
 * floats travel as their IEEE-754 binary32 bits, so a loaded model predicts bit-identically.
 * The model is rebuilt through the same constructors as rec_model_build() (descriptions
 * through the public setters, so their validation applies), then the saved weights overwrite
 * the fresh ones. */
#include "io/io.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The sections, in their one order (docs/file-format.md). */
#define TAG REC__IO_TAG
#define TAG_DESC TAG('D', 'E', 'S', 'C')
#define TAG_PREP TAG('P', 'R', 'E', 'P')
#define TAG_EMBD TAG('E', 'M', 'B', 'D')
#define TAG_DENS TAG('D', 'E', 'N', 'S')
#define TAG_OPTM TAG('O', 'P', 'T', 'M')
#define TAG_RNGS TAG('R', 'N', 'G', 'S')
#define TAG_EXTN TAG('E', 'X', 'T', 'N')
#define TAG_RANG TAG('R', 'A', 'N', 'G')
#define TAG_CATL TAG('C', 'A', 'T', 'L')
#define TAG_SEEN TAG('S', 'E', 'E', 'N')

/* Optimizer kinds as optimizer.c stores them in rec__param.slot_kind, with the number of slot
 * arrays each keeps (slot[0], then slot[1]). Loading refuses any other kind, so a file can
 * never hand an optimizer a state it would misread (e.g. a missing slot it dereferences).
 * Keep in sync with optimizer.c. */
/* Slots of an optimizer kind as stored in rec__param.slot_kind (optimizer.c owns the table). */
static int slots_of_kind(uint32_t kind)
{
    return rec__optimizer_slot_count((int)kind);
}

/* The parameters that carry weights and optimizer slots, in file order: the model's parameter
 * list (model/params.c), built in that order. Saving only reads them. */
static size_t n_params(const rec_model *m)
{
    return m->params.n;
}

static rec__param *param_at(const rec_model *m, size_t i)
{
    return m->params.e[i].p;
}

static void write_desc(rec__io_writer *w, const rec_model *m)
{
    rec__io_w_begin(w, TAG_DESC);
    rec__io_w_u64(w, m->seed);
    rec__io_w_u32(w, (uint32_t)m->interaction);
    rec__io_w_u32(w, (uint32_t)m->n_feats);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        rec__io_w_str(w, f->column);
        rec__io_w_u32(w, (uint32_t)f->kind);
        rec__io_w_u32(w, (uint32_t)f->side);
        rec__io_w_u32(w, f->dim);
        rec__io_w_u32(w, f->n_boundaries);
        rec__io_w_u32(w, f->max_tokens);
        rec__io_w_u32(w, f->boundaries != NULL);
        if (f->boundaries) {
            rec__io_w_u64(w, f->n_given_boundaries);
            for (size_t k = 0; k < f->n_given_boundaries; k++)
                rec__io_w_f64(w, f->boundaries[k]);
        }
    }
    rec__io_w_u32(w, (uint32_t)m->n_layers);
    for (size_t l = 0; l < m->n_layers; l++) {
        rec__io_w_u32(w, m->layers[l].units);
        rec__io_w_u32(w, (uint32_t)m->layers[l].act);
    }
    rec__io_w_str(w, m->label ? m->label : ""); /* "": no label */
    rec__io_w_str(w, m->name);
    rec__io_w_end(w);
}

static rec_status write_prep(rec__io_writer *w, const rec_model *m, const char *fn)
{
    rec__io_w_begin(w, TAG_PREP);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        rec__io_w_u32(w, (uint32_t)f->kind);
        switch (f->kind) {
        case REC_FEATURE_CATEGORICAL:
        case REC_FEATURE_CATEGORICAL_LIST: {
            /* tokens of indices 1..n, which are in byte order (rec_vocab_create sorts) */
            uint32_t n = (uint32_t)(rec_vocab_size(f->vocab) - 1);
            rec__io_w_u32(w, n);
            for (uint32_t id = 1; id <= n; id++)
                rec__io_w_str(w, rec_vocab_token(f->vocab, id));
            break;
        }
        case REC_FEATURE_BUCKETIZED: {
            size_t n = rec_discretization_n_buckets(f->disc) - 1;
            double *b = rec__malloc((n ? n : 1) * sizeof *b);
            if (!b)
                return rec__error(REC_ENOMEM, "%s: out of memory", fn);
            rec_discretization_boundaries(f->disc, b, n);
            rec__io_w_u64(w, n);
            for (size_t k = 0; k < n; k++)
                rec__io_w_f64(w, b[k]);
            rec__free(b);
            break;
        }
        case REC_FEATURE_NUMERIC:
            rec__io_w_f64(w, rec_normalization_mean(f->norm));
            rec__io_w_f64(w, rec_normalization_variance(f->norm));
            break;
        case REC_FEATURE_TEXT: {
            /* tokens of ids 2.. (0 is padding, 1 is OOV) */
            uint32_t n = (uint32_t)(rec_textvec_vocab_size(f->text) - 2);
            rec__io_w_u32(w, n);
            for (uint32_t k = 0; k < n; k++)
                rec__io_w_str(w, rec_textvec_token(f->text, k + 2));
            break;
        }
        }
    }
    rec__io_w_end(w);
    return REC_OK;
}

static void write_weights(rec__io_writer *w, const rec_model *m)
{
    size_t n_emb = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        n_emb += m->feats[i].emb != NULL;
    rec__io_w_begin(w, TAG_EMBD);
    rec__io_w_u32(w, (uint32_t)n_emb);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        if (!f->emb)
            continue;
        uint32_t rows = rec_embedding_rows(f->emb), dim = rec_embedding_dim(f->emb);
        rec__io_w_u32(w, (uint32_t)i);
        rec__io_w_u32(w, rows);
        rec__io_w_u32(w, dim);
        rec__io_w_f32s(w, rec_embedding_row(f->emb, 0), (size_t)rows * dim);
    }
    rec__io_w_end(w);

    rec__io_w_begin(w, TAG_DENS);
    rec__io_w_u32(w, (uint32_t)m->n_layers);
    for (size_t l = 0; l < m->n_layers; l++) {
        rec_dense *d = m->layers[l].dense;
        rec__io_w_u32(w, rec_dense_n_in(d));
        rec__io_w_u32(w, rec_dense_n_out(d));
        rec__io_w_u32(w, (uint32_t)rec_dense_activation(d));
        const rec__param *k = rec__dense_kernel(d), *b = rec__dense_bias(d);
        rec__io_w_f32s(w, k->w, k->n);
        rec__io_w_f32s(w, b->w, b->n);
    }
    rec__io_w_end(w);
}

static void write_extn(rec__io_writer *w, const rec_model *m)
{
    const rec__posterior *x = &m->post;
    rec__io_w_begin(w, TAG_EXTN);
    rec__io_w_u32(w, (uint32_t)m->n_feats);
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__io_w_u32(w, (uint32_t)m->feats[i].pooling);
        rec__io_w_u32(w, rec__f32_bits(m->feats[i].l2_emb));
        rec__io_w_u32(w, rec__f32_bits(m->feats[i].l2_lin));
    }
    rec__io_w_u32(w, (uint32_t)m->n_layers);
    for (size_t l = 0; l < m->n_layers; l++) {
        rec__io_w_u32(w, rec__f32_bits(m->layers[l].l2));
        rec__io_w_u32(w, rec__f32_bits(m->layers[l].dropout));
    }
    rec__io_w_u32(w, m->es_patience);
    rec__io_w_f64(w, m->es_min_delta);
    rec__io_w_u32(w, (uint32_t)x->likelihood);
    rec__io_w_u32(w, m->w0 != NULL);
    if (m->w0) {
        rec__io_w_f32s(w, rec_embedding_row(m->w0, 0), 1);
        for (size_t i = 0; i < m->n_feats; i++) {
            uint32_t rows = rec_embedding_rows(m->feats[i].lin);
            rec__io_w_u32(w, rows);
            rec__io_w_f32s(w, rec_embedding_row(m->feats[i].lin, 0), rows);
            uint32_t dim = m->feats[i].nvec ? rec_embedding_dim(m->feats[i].nvec) : 0;
            rec__io_w_u32(w, dim);
            if (dim)
                rec__io_w_f32s(w, rec_embedding_row(m->feats[i].nvec, 0), dim);
        }
    }
    for (int k = 0; k < 4; k++)
        rec__io_w_u64(w, m->drop_rng.s[k]);
    rec__io_w_u32(w, x->n_samples);
    if (x->n_samples) {
        rec__io_w_u64(w, x->sample_len);
        rec__io_w_u32(w, rec__f32_bits(x->y_min));
        rec__io_w_u32(w, rec__f32_bits(x->y_max));
        rec__io_w_u32(w, x->n_classes);
        if (x->n_classes)
            rec__io_w_f32s(w, x->classes, x->n_classes);
        rec__io_w_f32s(w, x->samples, (size_t)x->n_samples * x->sample_len);
    }
    rec__io_w_end(w);
}

static rec_status write_optm(rec__io_writer *w, const rec_model *m, const char *fn)
{
    size_t np = n_params(m);
    for (size_t i = 0; i < np; i++) {
        const rec__param *p = param_at(m, i);
        int ns = slots_of_kind((uint32_t)p->slot_kind);
        if (ns < 0)
            return rec__error(REC_ESTATE, "%s: parameter %zu holds optimizer state of unknown "
                              "kind %d, which this version cannot save", fn, i, p->slot_kind);
        for (int s = 0; s < ns; s++)
            if (!p->slot[s])
                return rec__error(REC_ESTATE, "%s: parameter %zu lacks optimizer slot %d", fn,
                                  i, s);
    }
    rec__io_w_begin(w, TAG_OPTM);
    rec__io_w_u32(w, (uint32_t)np);
    for (size_t i = 0; i < np; i++) {
        const rec__param *p = param_at(m, i);
        int ns = slots_of_kind((uint32_t)p->slot_kind);
        rec__io_w_u32(w, (uint32_t)p->slot_kind);
        rec__io_w_u32(w, (uint32_t)ns);
        rec__io_w_u64(w, p->steps);
        rec__io_w_u64(w, p->n);
        for (int s = 0; s < ns; s++)
            rec__io_w_f32s(w, p->slot[s], p->n);
    }
    rec__io_w_end(w);
    return REC_OK;
}

static void write_rngs(rec__io_writer *w, const rec_model *m)
{
    rec__io_w_begin(w, TAG_RNGS);
    for (int k = 0; k < 4; k++)
        rec__io_w_u64(w, m->order_rng.s[k]);
    rec__io_w_end(w);
}

/* What rec_model_save writes between the header and the end. */
typedef struct save_job {
    const rec_model *m;
    int optimizer;
    int rang, catl, seen; /* the serving sections it has */
    const char *fn;
} save_job;

static rec_status write_sections(rec__io_writer *w, void *ctx)
{
    const save_job *j = ctx;
    write_desc(w, j->m);
    rec_status rc = write_prep(w, j->m, j->fn);
    if (rc)
        return rc;
    write_weights(w, j->m);
    write_extn(w, j->m);
    if (j->optimizer && (rc = write_optm(w, j->m, j->fn)))
        return rc;
    write_rngs(w, j->m);
    if (j->rang)
        rec__io_write_rang(w, j->m);
    if (j->catl)
        rec__io_write_catl(w, j->m);
    if (j->seen)
        rec__io_write_seen(w, j->m);
    return REC_OK;
}

rec_status rec_model_save(const rec_model *m, const char *path, int include_optimizer_state)
{
    static const char fn[] = "rec_model_save";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!path || !*path)
        return rec__error(REC_EINVAL, "%s: path is NULL or empty", fn);
    if (!m->built)
        return rec__error(REC_ESTATE, "%s: the model is not built; nothing to save", fn);
    if (m->n_feats > UINT32_MAX || m->n_layers > UINT32_MAX)
        return rec__error(REC_EINVAL, "%s: the model has too many features or layers", fn);
    rec_status rc = rec__io_check_serving(m, fn);
    if (rc)
        return rc;
    save_job j = {m, include_optimizer_state != 0, 0, 0, 0, fn};
    uint32_t version = rec__io_has_serving(m, &j.rang, &j.catl, &j.seen) ? 2 : 1;
    size_t n_sec = 6 + (size_t)(j.optimizer + j.rang + j.catl + j.seen);
    return rec__io_save(path, version, n_sec, write_sections, &j, fn);
}

static rec_status read_desc(rec__io_reader *r, rec_model **out)
{
    *out = NULL;
    uint64_t seed, n_feats, n_layers;
    uint32_t interaction;
    rec_status rc;
    if ((rc = rec__io_r_u64(r, &seed, "seed")) ||
        (rc = rec__io_r_u32(r, &interaction, "interaction")))
        return rc;
    /* a feature takes at least 28 bytes: a name's length + 6 u32 fields (kind, side, dim,
     * buckets, max_tokens, boundaries flag) */
    if ((rc = rec__io_r_count(r, &n_feats, 28, 0, "feature count")))
        return rc;
    rec_model *m;
    if ((rc = rec__model_new(&m, seed, NULL, "rec_model_load")))
        return rc;
    for (uint64_t i = 0; i < n_feats && !rc; i++) {
        char *column = NULL;
        uint32_t kind, side, dim, n_boundaries, max_tokens, given;
        rc = rec__io_r_str(r, &column, "column name");
        if (!rc && !(rc = rec__io_r_u32(r, &kind, "feature kind")) &&
            !(rc = rec__io_r_u32(r, &side, "side")) && !(rc = rec__io_r_u32(r, &dim, "dim")) &&
            !(rc = rec__io_r_u32(r, &n_boundaries, "bucket count")) &&
            !(rc = rec__io_r_u32(r, &max_tokens, "max_tokens")) &&
            !(rc = rec__io_r_u32(r, &given, "boundaries flag"))) {
            /* the public setters validate kind, side, dim and the ranges */
            if ((rc = rec_model_add_feature(NULL, m, column, (rec_feature_kind)kind,
                                            (rec_side)side, dim)))
                rc = rec__io_refused(r, rc);
        }
        rec__free(column);
        if (rc)
            break;
        rec__feature *f = &m->feats[m->n_feats - 1];
        if (n_boundaries == 0 || n_boundaries > (1u << 24))
            rc = rec__io_bad(r, "bucket count %u is outside 1..2^24", n_boundaries);
        else if (max_tokens < 2 || max_tokens > (1u << 24))
            rc = rec__io_bad(r, "max_tokens %u is outside 2..2^24", max_tokens);
        else if (given > 1)
            rc = rec__io_bad(r, "boundaries flag %u is neither 0 nor 1", given);
        if (rc)
            break;
        f->n_boundaries = n_boundaries;
        f->max_tokens = max_tokens;
        if (given) {
            uint64_t nb;
            if ((rc = rec__io_r_count(r, &nb, 8, 1, "given boundary count")))
                break;
            double *b = rec__malloc((nb ? (size_t)nb : 1) * sizeof *b);
            if (!b) {
                rc = rec__error(REC_ENOMEM, "rec_model_load: out of memory");
                break;
            }
            for (size_t k = 0; k < (size_t)nb; k++)
                rec__io_r_f64(r, &b[k], "boundary"); /* count checked above: cannot fail */
            rc = rec_model_feature_set_boundaries(m, (uint32_t)i, b, (size_t)nb);
            rec__free(b);
            if (rc)
                rc = rec__io_refused(r, rc);
        }
    }
    if (!rc && !(rc = rec__io_r_count(r, &n_layers, 8, 0, "layer count"))) {
        for (uint64_t l = 0; l < n_layers && !rc; l++) {
            uint32_t units, act;
            if (!(rc = rec__io_r_u32(r, &units, "units")) &&
                !(rc = rec__io_r_u32(r, &act, "activation")) &&
                (rc = rec_model_add_layer(m, units, (rec_activation)act)))
                rc = rec__io_refused(r, rc);
        }
    }
    if (!rc && (interaction > REC_INTERACTION_FM))
        rc = rec__io_bad(r, "interaction %u is unknown", interaction);
    if (!rc && (rc = rec_model_set_interaction(m, (rec_interaction)interaction)))
        rc = rec__io_refused(r, rc);
    char *label = NULL, *name = NULL;
    if (!rc && !(rc = rec__io_r_str(r, &label, "label")) &&
        !(rc = rec__io_r_str(r, &name, "name"))) {
        if (*label && (rc = rec_model_set_label(m, label)))
            rc = rec__io_refused(r, rc);
        else if (!*name)
            rc = rec__io_bad(r, "the model name is empty");
        else {
            rec__free(m->name);
            m->name = name;
            name = NULL;
        }
    }
    rec__free(label);
    rec__free(name);
    if (!rc)
        rc = rec__io_r_end(r);
    /* the same consistency checks as rec_model_build(), and the layout they compute */
    if (!rc && (rc = rec__model_layout(m, "rec_model_load")))
        rc = rec__io_refused(r, rc);
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    *out = m;
    return REC_OK;
}

/* Rows of the embedding table a feature's preprocessing implies (as rec_model_build makes). */
static uint32_t expected_rows(const rec__feature *f)
{
    switch (f->kind) {
    case REC_FEATURE_CATEGORICAL:
    case REC_FEATURE_CATEGORICAL_LIST: return (uint32_t)rec_vocab_size(f->vocab);
    case REC_FEATURE_BUCKETIZED: return (uint32_t)rec_discretization_n_buckets(f->disc);
    case REC_FEATURE_TEXT: return f->max_tokens;
    case REC_FEATURE_NUMERIC: return 0;
    }
    return 0;
}

static rec_status read_vocab(rec__io_reader *r, rec__feature *f)
{
    rec__io_strlist l;
    rec_status rc = rec__io_r_strlist(r, &l, "vocabulary size");
    if (rc)
        return rc;
    /* index i + 1 must be the i-th token: rec_vocab_create sorts and collapses, so the saved
     * list must already be strictly increasing (strcmp = byte order) */
    for (size_t i = 1; i < l.n && !rc; i++)
        if (strcmp(l.s[i - 1], l.s[i]) >= 0)
            rc = rec__io_bad(r, "vocabulary tokens %zu and %zu are not in strictly increasing byte "
                     "order", i - 1, i);
    if (!rc && l.n > (size_t)UINT32_MAX - 1)
        rc = rec__io_bad(r, "%zu tokens are too many", l.n);
    if (!rc && (rc = rec_vocab_create(&f->vocab, l.s, l.n)))
        rc = rec__io_refused(r, rc);
    rec__io_strlist_release(&l);
    return rc;
}

static rec_status read_prep(rec__io_reader *r, rec_model *m)
{
    rec_status rc = REC_OK;
    for (size_t i = 0; i < m->n_feats && !rc; i++) {
        rec__feature *f = &m->feats[i];
        uint32_t kind;
        if ((rc = rec__io_r_u32(r, &kind, "feature kind")))
            break;
        if (kind != (uint32_t)f->kind) {
            rc = rec__io_bad(r, "feature kind %u differs from the description's", kind);
            break;
        }
        switch (f->kind) {
        case REC_FEATURE_CATEGORICAL:
        case REC_FEATURE_CATEGORICAL_LIST:
            rc = read_vocab(r, f);
            break;
        case REC_FEATURE_BUCKETIZED: {
            uint64_t n;
            if ((rc = rec__io_r_count(r, &n, 8, 1, "boundary count")))
                break;
            double *b = rec__malloc((n ? (size_t)n : 1) * sizeof *b);
            if (!b) {
                rc = rec__error(REC_ENOMEM, "rec_model_load: out of memory");
                break;
            }
            for (size_t k = 0; k < (size_t)n; k++)
                rec__io_r_f64(r, &b[k], "boundary");
            /* finite and non-decreasing, checked by the constructor */
            if ((rc = rec_discretization_create(&f->disc, b, (size_t)n)))
                rc = rec__io_refused(r, rc);
            rec__free(b);
            break;
        }
        case REC_FEATURE_NUMERIC: {
            double mean, var;
            if (!(rc = rec__io_r_f64(r, &mean, "mean")) &&
                !(rc = rec__io_r_f64(r, &var, "variance")) &&
                (rc = rec_normalization_create(&f->norm, mean, var)))
                rc = rec__io_refused(r, rc);
            break;
        }
        case REC_FEATURE_TEXT: {
            rec__io_strlist l;
            if ((rc = rec__io_r_strlist(r, &l, "text vocabulary size")))
                break;
            /* tokens standardized, distinct, n + 2 ≤ max_tokens: checked by the constructor */
            if ((rc = rec_textvec_create(&f->text, l.s, l.n, f->max_tokens)))
                rc = rec__io_refused(r, rc);
            rec__io_strlist_release(&l);
            break;
        }
        }
    }
    return rc ? rc : rec__io_r_end(r);
}

/* Overwrite a fresh parameter's weights with n saved floats. */
static rec_status read_weights_into(rec__io_reader *r, rec__param *p, size_t n, const char *what)
{
    if (n != p->n)
        return rec__io_bad(r, "%s has %zu weights, the model expects %zu", what, n, p->n);
    if (n > rec__io_left(r) / 4)
        return rec__io_short_read(r, what);
    rec__io_r_f32s(r, p->w, n);
    return REC_OK;
}

static rec_status read_embd(rec__io_reader *r, rec_model *m)
{
    uint32_t n_tables;
    rec_status rc = rec__io_r_u32(r, &n_tables, "table count");
    if (rc)
        return rc;
    size_t want = 0; /* the tables do not exist yet: every feature but NUMERIC gets one */
    for (size_t i = 0; i < m->n_feats; i++)
        want += m->feats[i].kind != REC_FEATURE_NUMERIC;
    if (n_tables != want)
        return rec__io_bad(r, "table count %u differs from the features' embedding count %zu",
                   n_tables, want);
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__feature *f = &m->feats[i];
        if (f->kind == REC_FEATURE_NUMERIC)
            continue;
        uint32_t fi, rows, dim;
        if ((rc = rec__io_r_u32(r, &fi, "feature index")) ||
            (rc = rec__io_r_u32(r, &rows, "rows")) || (rc = rec__io_r_u32(r, &dim, "dim")))
            return rc;
        if (fi != i)
            return rec__io_bad(r, "feature index %u is out of order (expected %zu)", fi, i);
        if (rows != expected_rows(f) || dim != f->dim)
            return rec__io_bad(r, "the table of feature %zu (%u x %u) does not match its "
                       "preprocessing (%u x %u)", i, rows, dim, expected_rows(f), f->dim);
        /* check the bytes before allocating rows × dim floats */
        if ((uint64_t)rows * dim > rec__io_left(r) / 4)
            return rec__io_short_read(r, "embedding weights");
        if ((rc = rec_embedding_create(&f->emb, rows, dim, 0)))
            return rec__io_refused(r, rc);
        if ((rc = read_weights_into(r, rec__embedding_param(f->emb), (size_t)rows * dim,
                                    "embedding")))
            return rc;
    }
    return rec__io_r_end(r);
}

static rec_status read_dens(rec__io_reader *r, rec_model *m)
{
    uint32_t n_layers;
    rec_status rc = rec__io_r_u32(r, &n_layers, "layer count");
    if (rc)
        return rc;
    if (n_layers != m->n_layers)
        return rec__io_bad(r, "layer count %u differs from the description's %zu", n_layers,
                   m->n_layers);
    uint32_t n_in_want = m->width;
    for (size_t l = 0; l < m->n_layers; l++) {
        uint32_t n_in, n_out, act;
        if ((rc = rec__io_r_u32(r, &n_in, "n_in")) || (rc = rec__io_r_u32(r, &n_out, "n_out")) ||
            (rc = rec__io_r_u32(r, &act, "activation")))
            return rc;
        if (n_in != n_in_want || n_out != m->layers[l].units ||
            act != (uint32_t)m->layers[l].act)
            return rec__io_bad(r, "layer %zu (%u -> %u, activation %u) does not match the "
                       "description", l, n_in, n_out, act);
        /* kernel n_in·n_out + bias n_out floats must be there before allocating them */
        uint64_t nk64 = (uint64_t)n_in * n_out;
        if (nk64 > rec__io_left(r) / 4 || n_out > (rec__io_left(r) / 4) - nk64)
            return rec__io_short_read(r, "dense weights");
        size_t nk = (size_t)nk64; /* ≤ rec__io_left(r) / 4: fits */
        if ((rc = rec_dense_create(&m->layers[l].dense, n_in, n_out, (rec_activation)act, 0)))
            return rec__io_refused(r, rc);
        if ((rc = read_weights_into(r, rec__dense_kernel(m->layers[l].dense), nk, "kernel")) ||
            (rc = read_weights_into(r, rec__dense_bias(m->layers[l].dense), n_out, "bias")))
            return rc;
        n_in_want = n_out;
    }
    return rec__io_r_end(r);
}

/* A 1-wide or K-wide table of the extension, of exactly `rows` × `dim` saved floats. */
static rec_status read_ext_table(rec__io_reader *r, rec_embedding **e, uint32_t rows, uint32_t dim,
                                 const char *what)
{
    if ((uint64_t)rows * dim > rec__io_left(r) / 4)
        return rec__io_short_read(r, what);
    rec_status rc = rec_embedding_create(e, rows, dim, 0);
    if (rc)
        return rec__io_refused(r, rc);
    return read_weights_into(r, rec__embedding_param(*e), (size_t)rows * dim, what);
}

static rec_status read_extn(rec__io_reader *r, rec_model *m)
{
    rec__posterior *x = &m->post;
    uint32_t nf, nl, patience, has_tables, ns;
    double min_delta;
    rec_status rc = rec__io_r_u32(r, &nf, "feature count");
    if (rc)
        return rc;
    if (nf != m->n_feats)
        return rec__io_bad(r, "feature count %u differs from the description's %zu", nf,
                           m->n_feats);
    for (uint32_t i = 0; i < nf; i++) {
        uint32_t pooling;
        float l2e, l2l;
        if ((rc = rec__io_r_u32(r, &pooling, "pooling")) || (rc = rec__io_r_f32(r, &l2e, "L2")) ||
            (rc = rec__io_r_f32(r, &l2l, "L2")))
            return rc;
        const rec_feature_kind k = m->feats[i].kind;
        if (pooling != REC_POOLING_MEAN || k == REC_FEATURE_TEXT ||
            k == REC_FEATURE_CATEGORICAL_LIST)
            if ((rc = rec_model_feature_set_pooling(m, i, (rec_pooling)pooling)))
                return rec__io_refused(r, rc);
        if ((rc = rec_model_feature_set_l2(m, i, l2e, l2l)))
            return rec__io_refused(r, rc);
    }
    if ((rc = rec__io_r_u32(r, &nl, "layer count")))
        return rc;
    if (nl != m->n_layers)
        return rec__io_bad(r, "layer count %u differs from the description's %zu", nl, m->n_layers);
    for (uint32_t l = 0; l < nl; l++) {
        float l2, rate;
        if ((rc = rec__io_r_f32(r, &l2, "L2")) || (rc = rec__io_r_f32(r, &rate, "dropout rate")))
            return rc;
        if ((rc = rec_model_layer_set_l2(m, l, l2)))
            return rec__io_refused(r, rc);
        if (rate != 0.0f && (rc = rec_model_layer_set_dropout(m, l, rate)))
            return rec__io_refused(r, rc);
    }
    if ((rc = rec__io_r_u32(r, &patience, "patience")) ||
        (rc = rec__io_r_f64(r, &min_delta, "min_delta")))
        return rc;
    if ((rc = rec_model_set_early_stopping(m, patience, min_delta)))
        return rec__io_refused(r, rc);
    uint32_t likelihood;
    if ((rc = rec__io_r_u32(r, &likelihood, "likelihood")))
        return rc;
    if ((rc = rec_model_set_likelihood(m, (rec_likelihood)likelihood)))
        return rec__io_refused(r, rc);
    if ((rc = rec__io_r_u32(r, &has_tables, "tables flag")))
        return rc;
    if (has_tables != (uint32_t)rec__model_has_linear(m))
        return rec__io_bad(r, "tables flag %u does not match interaction %d", has_tables,
                   (int)m->interaction);
    uint32_t K = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].kind != REC_FEATURE_NUMERIC && !K)
            K = m->feats[i].dim;
    if (has_tables) {
        if ((rc = read_ext_table(r, &m->w0, 1, 1, "global bias")))
            return rc;
        for (size_t i = 0; i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            uint32_t rows, dim;
            if ((rc = rec__io_r_u32(r, &rows, "linear rows")))
                return rc;
            uint32_t want = f->kind == REC_FEATURE_NUMERIC ? 1 : expected_rows(f);
            if (rows != want)
                return rec__io_bad(r, "the linear table of feature %zu has %u rows, expected %u", i,
                           rows, want);
            if ((rc = read_ext_table(r, &m->feats[i].lin, rows, 1, "linear weights")) ||
                (rc = rec__io_r_u32(r, &dim, "factor dim")))
                return rc;
            want = f->kind == REC_FEATURE_NUMERIC && m->interaction == REC_INTERACTION_FM ? K
                                                                                          : 0;
            if (dim != want)
                return rec__io_bad(r, "feature %zu has a factor vector of %u, expected %u", i, dim,
                           want);
            if (dim && (rc = read_ext_table(r, &m->feats[i].nvec, 1, dim, "factor vector")))
                return rc;
        }
    }
    uint64_t any = 0;
    for (int k = 0; k < 4; k++) {
        if ((rc = rec__io_r_u64(r, &m->drop_rng.s[k], "dropout generator state")))
            return rc;
        any |= m->drop_rng.s[k];
    }
    if (!any)
        return rec__io_bad(r, "the dropout generator state is all zero");
    if ((rc = rec__io_r_u32(r, &ns, "sample count")))
        return rc;
    if (ns) {
        uint64_t len;
        float lo, hi;
        if (m->interaction != REC_INTERACTION_FM)
            return rec__io_bad(r, "%u posterior samples for a model that is not an FM", ns);
        uint32_t nc;
        if ((rc = rec__io_r_u64(r, &len, "sample length")) ||
            (rc = rec__io_r_f32(r, &lo, "label minimum")) ||
            (rc = rec__io_r_f32(r, &hi, "label maximum")) ||
            (rc = rec__io_r_u32(r, &nc, "class count")))
            return rc;
        if (nc == 1 || nc > REC__MAX_CLASSES)
            return rec__io_bad(r, "class count %u is neither 0 nor in 2..%u", nc, REC__MAX_CLASSES);
        if (nc > rec__io_left(r) / 4)
            return rec__io_short_read(r, "class values");
        if (nc) {
            x->classes = rec__malloc(nc * sizeof *x->classes);
            if (!x->classes)
                return rec__error(REC_ENOMEM, "rec_model_load: out of memory");
            rec__io_r_f32s(r, x->classes, nc);
            for (uint32_t c = 0; c < nc; c++)
                if (!isfinite(x->classes[c]) || (c && !(x->classes[c] > x->classes[c - 1])))
                    return rec__io_bad(r, "class values are not finite and increasing");
            x->n_classes = nc;
        }
        if (len != rec__mcmc_sample_len(m))
            return rec__io_bad(r, "sample length %llu differs from the model's %zu",
                       (unsigned long long)len, rec__mcmc_sample_len(m));
        if (!isfinite(lo) || !isfinite(hi) || lo > hi)
            return rec__io_bad(r, "label range [%g, %g] is not a finite interval", (double)lo,
                       (double)hi);
        if (len > rec__io_left(r) / 4 / ns)
            return rec__io_short_read(r, "posterior samples");
        size_t n = (size_t)len * ns;
        x->samples = rec__malloc(n * sizeof *x->samples);
        if (!x->samples)
            return rec__error(REC_ENOMEM, "rec_model_load: out of memory for the samples");
        rec__io_r_f32s(r, x->samples, n);
        x->n_samples = ns;
        x->sample_len = (size_t)len;
        x->y_min = lo;
        x->y_max = hi;
    }
    return rec__io_r_end(r);
}

static rec_status read_optm(rec__io_reader *r, rec_model *m)
{
    /* every block exists here: list the parameters the slots belong to */
    rec_status lrc = rec__params_build(m, "rec_model_load");
    if (lrc)
        return lrc;
    uint32_t np;
    rec_status rc = rec__io_r_u32(r, &np, "parameter count");
    if (rc)
        return rc;
    if (np != n_params(m))
        return rec__io_bad(r, "parameter count %u differs from the model's %zu", np, n_params(m));
    for (size_t i = 0; i < np; i++) {
        rec__param *p = param_at(m, i);
        uint32_t kind, ns;
        uint64_t steps, n;
        if ((rc = rec__io_r_u32(r, &kind, "optimizer kind")) ||
            (rc = rec__io_r_u32(r, &ns, "slot count")) ||
            (rc = rec__io_r_u64(r, &steps, "step count")) ||
            (rc = rec__io_r_u64(r, &n, "slot length")))
            return rc;
        int want = slots_of_kind(kind);
        if (want < 0)
            return rec__io_bad(r, "optimizer kind %u is unknown to this version", kind);
        if (ns != (uint32_t)want)
            return rec__io_bad(r, "slot count %u does not match optimizer kind %u", ns, kind);
        if (n != p->n)
            return rec__io_bad(r, "slot length %llu differs from the parameter's size %zu",
                       (unsigned long long)n, p->n);
        if (kind == 0 && steps != 0)
            return rec__io_bad(r, "step count %llu without optimizer state",
                               (unsigned long long)steps);
        if (ns > 0 && n > rec__io_left(r) / 4 / ns)
            return rec__io_short_read(r, "optimizer slots");
        for (uint32_t s = 0; s < ns; s++) {
            size_t bytes;
            if (!rec__alloc_mul(p->n ? p->n : 1, sizeof(float), &bytes) ||
                !(p->slot[s] = rec__malloc(bytes)))
                return rec__error(REC_ENOMEM, "rec_model_load: out of memory for optimizer "
                                  "state");
            rec__io_r_f32s(r, p->slot[s], p->n);
        }
        p->slot_kind = (int)kind;
        p->steps = steps;
    }
    return rec__io_r_end(r);
}

static rec_status read_rngs(rec__io_reader *r, rec_model *m)
{
    uint64_t any = 0;
    for (int k = 0; k < 4; k++) {
        rec_status rc = rec__io_r_u64(r, &m->order_rng.s[k], "generator state");
        if (rc)
            return rc;
        any |= m->order_rng.s[k];
    }
    /* xoshiro256** never leaves the all-zero state, and never reaches it from a seed */
    if (!any)
        return rec__io_bad(r, "the generator state is all zero");
    return rec__io_r_end(r);
}

/* Version 1 has one order, DESC PREP EMBD DENS EXTN [OPTM] RNGS; version 2 adds
 * [RANG] [CATL] [SEEN] after it. */
static const uint32_t layout_tags[] = {TAG_DESC, TAG_PREP, TAG_EMBD, TAG_DENS, TAG_EXTN,
                                       TAG_OPTM, TAG_RNGS, TAG_RANG, TAG_CATL, TAG_SEEN};
static const unsigned char layout_optional[] = {0, 0, 0, 0, 0, 1, 0, 1, 1, 1};
static const rec__io_layout layouts[REC__IO_FORMAT_VERSION] = {
    {layout_tags, layout_optional, 7},
    {layout_tags, layout_optional, 10},
};

rec_status rec_model_load(rec_model **out, const char *path)
{
    static const char fn[] = "rec_model_load";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!path || !*path)
        return rec__error(REC_EINVAL, "%s: path is NULL or empty", fn);
    unsigned char *b;
    size_t size, n_sec = 0;
    uint32_t version;
    rec__io_section sec[REC__IO_MAX_SECTIONS];
    rec_status rc = rec__io_load(&b, &size, &version, sec, &n_sec, path, layouts,
                                 REC__IO_FORMAT_VERSION, fn);
    if (rc)
        return rc;
    rec_model *m = NULL;
    for (size_t i = 0; i < n_sec && !rc; i++) {
        char name[5];
        rec__io_reader r = rec__io_reader_of(b, &sec[i], path, fn, name);
        switch (sec[i].tag) {
        case TAG_DESC: rc = read_desc(&r, &m); break;
        case TAG_PREP: rc = read_prep(&r, m); break;
        case TAG_EMBD: rc = read_embd(&r, m); break;
        case TAG_DENS: rc = read_dens(&r, m); break;
        case TAG_EXTN: rc = read_extn(&r, m); break;
        case TAG_OPTM: rc = read_optm(&r, m); break;
        case TAG_RNGS: rc = read_rngs(&r, m); break;
        case TAG_RANG: rc = rec__io_read_rang(&r, m); break;
        case TAG_CATL: rc = rec__io_read_catl(&r, m); break;
        case TAG_SEEN: rc = rec__io_read_seen(&r, m); break;
        }
    }
    rec__free(b);
    if (!rc)
        rc = rec__params_build(m, fn);
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    m->built = 1;
    *out = m;
    return REC_OK;
}
