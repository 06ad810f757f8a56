/* Human-readable descriptions of a model: a Keras-style summary and a Graphviz graph, written
 * into caller buffers with snprintf semantics (the full length is always reported). */
#include "model/model.h"

#include <stdio.h>
#include <string.h>

typedef struct sink {
    char *out;
    size_t cap, len;
} sink;

__attribute__((format(printf, 2, 3))) static void put(sink *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->cap ? s->cap - s->len : 0;
    int n = vsnprintf(room ? s->out + s->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        s->len += (size_t)n;
}

static rec_status begin(sink *s, char *out, size_t cap, const rec_model *m, const char *fn)
{
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!out && cap > 0)
        return rec__error(REC_EINVAL, "%s: out is NULL with cap %zu", fn, cap);
    if (!m->built)
        return rec__error(REC_ESTATE, "%s: the model is not built", fn);
    s->out = out;
    s->cap = cap;
    s->len = 0;
    if (cap)
        out[0] = '\0';
    return REC_OK;
}

static void end(sink *s, size_t *len_out)
{
    if (s->cap)
        s->out[s->len < s->cap ? s->len : s->cap - 1] = '\0';
    if (len_out)
        *len_out = s->len;
}

static const char *pool_type(const rec__feature *f)
{
    return f->pooling == REC_POOLING_SQRTN ? "SqrtNPooling" : "GlobalAveragePooling1D";
}

/* Thousands separators, as Keras prints parameter totals. */
static void put_count(sink *s, size_t v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", v);
    for (int i = 0; i < n; i++) {
        put(s, "%c", digits[i]);
        if ((n - i - 1) % 3 == 0 && i != n - 1)
            put(s, ",");
    }
}

static void row(sink *s, const char *name, const char *type, const char *shape, size_t params)
{
    char left[192];
    snprintf(left, sizeof left, "%s (%s)", name, type);
    put(s, " %-46s %-20s %zu\n", left, shape, params);
}

static const char *side_name(rec_side side)
{
    return side == REC_SIDE_USER ? "user" : "item";
}

rec_status rec_model_summary(char *out, size_t cap, size_t *len_out, const rec_model *m)
{
    sink s;
    rec_status rc = begin(&s, out, cap, m, "rec_model_summary");
    if (rc)
        return rc;
    static const char rule[] =
        "______________________________________________________________________________\n";
    static const char dbl[] =
        "==============================================================================\n";
    char name[96], shape[32];
    size_t trainable = 0, frozen = 0;

    put(&s, "Model: \"%s\"\n%s", m->name, rule);
    put(&s, " %-46s %-20s %s\n%s", "Layer (type)", "Output Shape", "Param #", dbl);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        size_t p = rec__model_feature_params(f);
        snprintf(shape, sizeof shape, "(None, %u)", f->dim);
        switch (f->kind) {
        case REC_FEATURE_CATEGORICAL:
            snprintf(name, sizeof name, "%s_lookup", f->column);
            row(&s, name, "StringLookup", "(None,)", 0);
            snprintf(name, sizeof name, "%s_embedding", f->column);
            row(&s, name, "Embedding", shape, p);
            break;
        case REC_FEATURE_BUCKETIZED:
            snprintf(name, sizeof name, "%s_discretization", f->column);
            row(&s, name, "Discretization", "(None,)", 0);
            snprintf(name, sizeof name, "%s_bucket_embedding", f->column);
            row(&s, name, "Embedding", shape, p);
            break;
        case REC_FEATURE_NUMERIC:
            snprintf(name, sizeof name, "%s_normalization", f->column);
            row(&s, name, "Normalization", "(None, 1)", rec__model_feature_nontrainable(f));
            break;
        case REC_FEATURE_TEXT:
            snprintf(name, sizeof name, "%s_vectorizer", f->column);
            row(&s, name, "TextVectorization", "(None, None)", 0);
            snprintf(name, sizeof name, "%s_text_embedding", f->column);
            snprintf(shape, sizeof shape, "(None, None, %u)", f->dim);
            row(&s, name, "Embedding", shape, p);
            snprintf(name, sizeof name, "%s_pooling", f->column);
            snprintf(shape, sizeof shape, "(None, %u)", f->dim);
            row(&s, name, pool_type(f), shape, 0);
            break;
        case REC_FEATURE_CATEGORICAL_LIST:
            snprintf(name, sizeof name, "%s_lookup", f->column);
            row(&s, name, "StringLookup", "(None, None)", 0);
            snprintf(name, sizeof name, "%s_embedding", f->column);
            snprintf(shape, sizeof shape, "(None, None, %u)", f->dim);
            row(&s, name, "Embedding", shape, p);
            snprintf(name, sizeof name, "%s_pooling", f->column);
            snprintf(shape, sizeof shape, "(None, %u)", f->dim);
            row(&s, name, pool_type(f), shape, 0);
            break;
        }
        trainable += p;
        frozen += rec__model_feature_nontrainable(f);
        const rec__feature *fx = &m->feats[i];
        if (fx->nvec) {
            /* FM: a numeric value's own factor vector, x·v */
            snprintf(name, sizeof name, "%s_factor", f->column);
            snprintf(shape, sizeof shape, "(None, %u)", rec_embedding_dim(fx->nvec));
            row(&s, name, "Weight", shape, rec_embedding_dim(fx->nvec));
            trainable += rec_embedding_dim(fx->nvec);
        }
        if (fx->lin) {
            snprintf(name, sizeof name, "%s_linear", f->column);
            row(&s, name, f->emb ? "Embedding" : "Weight", "(None, 1)",
                rec_embedding_rows(fx->lin));
            trainable += rec_embedding_rows(fx->lin);
        }
    }
    if (rec__model_has_linear(m)) {
        if (m->interaction == REC_INTERACTION_BIASED_DOT) {
            snprintf(shape, sizeof shape, "(None, %u)", m->width_user);
            row(&s, "user_concat", "Concatenate", shape, 0);
            snprintf(shape, sizeof shape, "(None, %u)", m->width_item);
            row(&s, "item_concat", "Concatenate", shape, 0);
            row(&s, "dot", "Dot", "(None, 1)", 0);
        } else {
            row(&s, "fm_pairwise", "FactorizationMachine", "(None, 1)", 0);
        }
        row(&s, "global_bias", "Bias", "(None, 1)", 1);
        row(&s, "add", "Add", "(None, 1)", 0);
        trainable += 1;
    } else if (m->interaction == REC_INTERACTION_DOT) {
        snprintf(shape, sizeof shape, "(None, %u)", m->width_user);
        row(&s, "user_concat", "Concatenate", shape, 0);
        snprintf(shape, sizeof shape, "(None, %u)", m->width_item);
        row(&s, "item_concat", "Concatenate", shape, 0);
        row(&s, "dot", "Dot", "(None, 1)", 0);
    } else {
        snprintf(shape, sizeof shape, "(None, %u)", m->width);
        row(&s, "concat", "Concatenate", shape, 0);
        for (size_t l = 0; l < m->n_layers; l++) {
            size_t in = rec_dense_n_in(m->layers[l].dense), o = rec_dense_n_out(m->layers[l].dense);
            if (l == 0)
                snprintf(name, sizeof name, "dense");
            else
                snprintf(name, sizeof name, "dense_%zu", l);
            char type[48];
            snprintf(type, sizeof type, "Dense, %s", rec_activation_name(m->layers[l].act));
            snprintf(shape, sizeof shape, "(None, %zu)", o);
            row(&s, name, type, shape, in * o + o);
            trainable += in * o + o;
            if (m->layers[l].dropout > 0.0f) {
                if (l == 0)
                    snprintf(name, sizeof name, "dropout");
                else
                    snprintf(name, sizeof name, "dropout_%zu", l);
                snprintf(type, sizeof type, "Dropout %g", (double)m->layers[l].dropout);
                row(&s, name, type, shape, 0);
            }
        }
    }
    put(&s, "%sTotal params: ", dbl);
    put_count(&s, trainable + frozen);
    put(&s, "\nTrainable params: ");
    put_count(&s, trainable);
    put(&s, "\nNon-trainable params: ");
    put_count(&s, frozen);
    put(&s, "\n%s", rule);
    if (m->post.n_samples)
        put(&s, "Posterior samples (Gibbs): %u\n", m->post.n_samples);
    end(&s, len_out);
    return REC_OK;
}

rec_status rec_model_graphviz(char *out, size_t cap, size_t *len_out, const rec_model *m)
{
    sink s;
    rec_status rc = begin(&s, out, cap, m, "rec_model_graphviz");
    if (rc)
        return rc;
    put(&s, "digraph \"%s\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        m->name);
    static const char *pre[] = {"StringLookup", "Discretization", "Normalization",
                                "TextVectorization", "StringLookup (list)"};
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        /* one input node per column, even when several features read it */
        size_t first = 0;
        while (strcmp(m->feats[first].column, f->column) != 0)
            first++;
        if (first == i)
            put(&s, "  in%zu [label=\"%s\\n(%s input)\", shape=ellipse];\n", i, f->column,
                side_name(f->side));
        put(&s, "  pre%zu [label=\"%s\"];\n  in%zu -> pre%zu;\n", i, pre[f->kind], first, i);
        const char *last = "pre";
        if (f->emb) {
            put(&s, "  emb%zu [label=\"Embedding %u x %u\"];\n  pre%zu -> emb%zu;\n", i,
                rec_embedding_rows(f->emb), f->dim, i, i);
            last = "emb";
            if (f->kind == REC_FEATURE_TEXT || f->kind == REC_FEATURE_CATEGORICAL_LIST) {
                put(&s, "  pool%zu [label=\"masked %s\"];\n  emb%zu -> pool%zu;\n", i,
                    f->pooling == REC_POOLING_SQRTN ? "sum / sqrt(n)" : "mean", i, i);
                last = "pool";
            }
        }
        const int sides = m->interaction == REC_INTERACTION_DOT ||
                          m->interaction == REC_INTERACTION_BIASED_DOT;
        const char *dst = m->interaction == REC_INTERACTION_FM ? "fm"
                          : sides ? (f->side == REC_SIDE_USER ? "user_concat" : "item_concat")
                                  : "concat";
        const rec__feature *fx = &m->feats[i];
        if (fx->nvec) {
            put(&s, "  fac%zu [label=\"x * factor (%u)\"];\n  %s%zu -> fac%zu;\n", i,
                rec_embedding_dim(fx->nvec), last, i, i);
            last = "fac";
        }
        put(&s, "  %s%zu -> %s [label=\"%u\"];\n", last, i, dst,
            fx->nvec ? rec_embedding_dim(fx->nvec) : f->dim);
        if (fx->lin)
            put(&s, "  lin%zu [label=\"linear term\"];\n  pre%zu -> lin%zu;\n"
                "  lin%zu -> add;\n", i, i, i, i);
    }
    if (rec__model_has_linear(m)) {
        if (m->interaction == REC_INTERACTION_BIASED_DOT) {
            put(&s, "  user_concat [label=\"concat (user side, %u)\"];\n", m->width_user);
            put(&s, "  item_concat [label=\"concat (item side, %u)\"];\n", m->width_item);
            put(&s, "  dot [label=\"Dot\"];\n  user_concat -> dot;\n  item_concat -> dot;\n"
                "  dot -> add;\n");
        } else {
            put(&s, "  fm [label=\"pairwise: 1/2 [(sum e)^2 - sum e^2]\"];\n  fm -> add;\n");
        }
        put(&s, "  bias [label=\"global bias\"];\n  bias -> add;\n");
        put(&s, "  add [label=\"Add\"];\n  rating [label=\"rating\", shape=ellipse];\n"
            "  add -> rating;\n");
    } else if (m->interaction == REC_INTERACTION_DOT) {
        put(&s, "  user_concat [label=\"concat (user side, %u)\"];\n", m->width_user);
        put(&s, "  item_concat [label=\"concat (item side, %u)\"];\n", m->width_item);
        put(&s, "  dot [label=\"Dot\"];\n  user_concat -> dot;\n  item_concat -> dot;\n");
        put(&s, "  rating [label=\"rating\", shape=ellipse];\n  dot -> rating;\n");
    } else {
        put(&s, "  concat [label=\"concat (%u)\"];\n", m->width);
        const char *prev = "concat";
        char cur[32], prevbuf[32];
        for (size_t l = 0; l < m->n_layers; l++) {
            snprintf(cur, sizeof cur, "dense%zu", l);
            if (m->layers[l].dropout > 0.0f)
                put(&s, "  %s [label=\"Dense(%u, %s)\\nDropout(%g)\"];\n  %s -> %s;\n", cur,
                    m->layers[l].units, rec_activation_name(m->layers[l].act),
                    (double)m->layers[l].dropout, prev, cur);
            else
                put(&s, "  %s [label=\"Dense(%u, %s)\"];\n  %s -> %s;\n", cur, m->layers[l].units,
                    rec_activation_name(m->layers[l].act), prev, cur);
            snprintf(prevbuf, sizeof prevbuf, "%s", cur);
            prev = prevbuf;
        }
        put(&s, "  rating [label=\"rating\", shape=ellipse];\n  %s -> rating;\n", prev);
    }
    put(&s, "}\n");
    end(&s, len_out);
    return REC_OK;
}
