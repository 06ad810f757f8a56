/* The TensorFlow Recommenders tutorial's three models as presets: user and item embeddings
 * joined by a dot product; the same joined by Dense(64, relu) → Dense(1); and the enriched
 * model with time buckets, a normalized time and the item's text. They read the columns a
 * caller names by role (rec_model_create_preset_columns); rec_model_create_preset is the same
 * with the names of the MovieLens loaders. */
#include "model/model.h"

/* The roles a preset's columns play, in the order of the table below. */
enum { ROLE_USER, ROLE_ITEM, ROLE_LABEL, ROLE_TIME, ROLE_TEXT, N_ROLES };

static const char *const role_names[N_ROLES] = {"user", "item", "label", "time", "text"};

static const char *const preset_names[] = {"dot", "one_layer", "enriched"};

/* Whether preset p reads role r: user, item and label always; time and text only enriched. */
static int reads_role(rec_preset p, int r)
{
    return r <= ROLE_LABEL || p == REC_PRESET_ENRICHED;
}

/* Whether preset p needs role r named (text defaults to the item column). */
static int needs_role(rec_preset p, int r)
{
    return reads_role(p, r) && r != ROLE_TEXT;
}

/* The column of every role from the NULL-terminated role, name pairs (NULL: not given). */
static rec_status parse_columns(const char *cols[N_ROLES], rec_preset preset,
                                const char *const *columns, const char *fn)
{
    for (int r = 0; r < N_ROLES; r++)
        cols[r] = NULL;
    /* every role at most once, so the loop stops within N_ROLES + 1 pairs */
    for (size_t i = 0; columns[i]; i += 2) {
        const char *role = columns[i], *name = columns[i + 1];
        int r = 0;
        while (r < N_ROLES && strcmp(role, role_names[r]) != 0)
            r++;
        if (r == N_ROLES)
            return rec__error(REC_EINVAL, "%s: unknown role '%s' (the roles are user, item, "
                              "label, time and text)", fn, role);
        if (!name)
            return rec__error(REC_EINVAL, "%s: role '%s' has no column name: columns holds "
                              "role, name pairs, then NULL (an odd count)", fn, role);
        if (!*name)
            return rec__error(REC_EINVAL, "%s: role '%s' has an empty column name", fn, role);
        if (cols[r])
            return rec__error(REC_EINVAL, "%s: role '%s' is given twice", fn, role);
        if (!reads_role(preset, r))
            return rec__error(REC_EINVAL, "%s: role '%s' is not read by the %s preset (only by "
                              "REC_PRESET_ENRICHED)", fn, role, preset_names[preset]);
        cols[r] = name;
    }
    for (int r = 0; r < N_ROLES; r++)
        if (needs_role(preset, r) && !cols[r])
            return rec__error(REC_EINVAL, "%s: role '%s' is missing (the %s preset needs a "
                              "column for it)", fn, role_names[r], preset_names[preset]);
    if (!cols[ROLE_TEXT])
        cols[ROLE_TEXT] = cols[ROLE_ITEM];
    return REC_OK;
}

static rec_status set_name(rec_model *m, const char *name, const char *fn)
{
    char *copy = rec__strdup(name);
    if (!copy)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    rec__free(m->name);
    m->name = copy;
    return REC_OK;
}

/* The preset over the given role, name pairs; fn names the public caller in messages. */
static rec_status create_preset(rec_model **out, rec_preset preset, const char *const *columns,
                                uint64_t seed, const char *fn)
{
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if ((unsigned)preset > REC_PRESET_ENRICHED)
        return rec__error(REC_EINVAL, "%s: unknown preset %d", fn, (int)preset);
    if (!columns)
        return rec__error(REC_EINVAL, "%s: columns is NULL", fn);
    const char *col[N_ROLES];
    rec_status rc = parse_columns(col, preset, columns, fn);
    if (rc)
        return rc;
    rec_model *m;
    if ((rc = rec__model_new(&m, seed, col[ROLE_LABEL], fn)))
        return rc;
    rc = set_name(m, preset_names[preset], fn);
    if (!rc)
        rc = rec_model_add_feature(NULL, m, col[ROLE_USER], REC_FEATURE_CATEGORICAL,
                                   REC_SIDE_USER, 32);
    if (!rc && preset == REC_PRESET_ENRICHED) {
        rc = rec_model_add_feature(NULL, m, col[ROLE_TIME], REC_FEATURE_BUCKETIZED,
                                   REC_SIDE_USER, 32);
        if (!rc)
            rc = rec_model_add_feature(NULL, m, col[ROLE_TIME], REC_FEATURE_NUMERIC,
                                       REC_SIDE_USER, 1);
    }
    if (!rc)
        rc = rec_model_add_feature(NULL, m, col[ROLE_ITEM], REC_FEATURE_CATEGORICAL,
                                   REC_SIDE_ITEM, 32);
    if (!rc && preset == REC_PRESET_ENRICHED)
        rc = rec_model_add_feature(NULL, m, col[ROLE_TEXT], REC_FEATURE_TEXT, REC_SIDE_ITEM, 32);
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

rec_status rec_model_create_preset_columns(rec_model **out, rec_preset preset,
                                           const char *const *columns, uint64_t seed)
{
    return create_preset(out, preset, columns, seed, "rec_model_create_preset_columns");
}

rec_status rec_model_create_preset(rec_model **out, rec_preset preset, uint64_t seed)
{
    /* the columns of the MovieLens and synthetic loaders (data.h); the time only where the
     * preset reads it */
    const char *const movielens[] = {"user", REC__COL_USER, "item", REC__COL_ITEM,
                                     "label", REC__COL_RATING,
                                     preset == REC_PRESET_ENRICHED ? "time" : NULL,
                                     REC__COL_TIME, NULL};
    return create_preset(out, preset, movielens, seed, "rec_model_create_preset");
}
