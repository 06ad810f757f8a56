/* A model on your own tables, end to end (docs/data.md walks through it):
 *
 *   shop train DIR MODEL       read DIR/ratings.csv and DIR/items.csv, join the items onto the
 *                              ratings, train, report test RMSE, save MODEL with its catalogue
 *   shop serve MODEL col=value ... [--item ID]... [-k K]
 *                              from MODEL alone: the predicted rating of each --item for the
 *                              user the col=value pairs describe, and their top-K unseen items
 *
 * The tables are the ones examples/own_data/make_shop.py writes:
 *   ratings.csv  user,item,rating,timestamp,age
 *   items.csv    item,title,category,tags        (tags separated by ';')
 * Introduces: rec_dataset_load_table(), rec_table_options_*, rec_dataset_join(),
 * rec_model_feature_info(), rec_model_set_catalog(), rec_model_set_seen(), rec_model_set_clip(),
 * rec_model_recommend_user(), rec_model_score_items(), rec_model_count_unknown(). */
#define _POSIX_C_SOURCE 200809L
#include <rec.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                          \
    do {                                                                                     \
        rec_status rc_ = (call);                                                             \
        if (rc_ != REC_OK) {                                                                 \
            fprintf(stderr, "shop: %s\n", rec_last_error());                                 \
            goto done;                                                                       \
        }                                                                                    \
    } while (0)

static int usage(void)
{
    fprintf(stderr, "usage: shop train DIR MODEL\n"
                    "       shop serve MODEL column=value ... [--item ID]... [-k K]\n");
    return 2;
}

/* ratings.csv: ids as strings, the rating and the age as numbers; a rating may not be
 * missing (an age may: NaN). */
static rec_status load_ratings(rec_dataset **out, const char *path)
{
    rec_table_options *o;
    rec_status rc = rec_table_options_create(&o);
    if (rc != REC_OK)
        return rc;
    if ((rc = rec_table_options_set_column(o, "user", REC_TABLE_STRING, NULL)) == REC_OK &&
        (rc = rec_table_options_set_column(o, "item", REC_TABLE_STRING, NULL)) == REC_OK &&
        (rc = rec_table_options_set_column(o, "rating", REC_TABLE_NUMBER, NULL)) == REC_OK &&
        (rc = rec_table_options_set_column(o, "timestamp", REC_TABLE_INTEGER, NULL)) == REC_OK &&
        (rc = rec_table_options_set_column(o, "age", REC_TABLE_NUMBER, NULL)) == REC_OK &&
        (rc = rec_table_options_set_missing(o, NULL, REC_MISSING_ERROR)) == REC_OK &&
        (rc = rec_table_options_set_missing(o, "age", REC_MISSING_ALLOW)) == REC_OK)
        rc = rec_dataset_load_table(out, path, o);
    rec_table_options_free(o);
    return rc;
}

/* items.csv: tags is a ';'-separated list; the rest are strings. */
static rec_status load_items(rec_dataset **out, const char *path)
{
    rec_table_options *o;
    rec_status rc = rec_table_options_create(&o);
    if (rc != REC_OK)
        return rc;
    if ((rc = rec_table_options_set_column(o, "item", REC_TABLE_STRING, NULL)) == REC_OK &&
        (rc = rec_table_options_set_column(o, "tags", REC_TABLE_STRING_LIST, NULL)) == REC_OK &&
        (rc = rec_table_options_set_list_separator(o, "tags", ';')) == REC_OK)
        rc = rec_dataset_load_table(out, path, o);
    rec_table_options_free(o);
    return rc;
}

static const char *kind_name(rec_feature_kind k)
{
    static const char *const names[] = {"categorical", "bucketized", "numeric", "text",
                                        "categorical list"};
    return (unsigned)k < 5 ? names[k] : "?";
}

static void print_inputs(const rec_model *m)
{
    printf("inputs:\n");
    for (uint32_t f = 0; f < rec_model_n_features(m); f++) {
        const char *column;
        rec_feature_kind kind;
        rec_side side;
        rec_column_type type;
        uint32_t dim;
        if (rec_model_feature_info(&column, &kind, &side, &type, &dim, m, f) == REC_OK)
            printf("  %-10s %-16s %-4s side, dim %u\n", column, kind_name(kind),
                   side == REC_SIDE_USER ? "user" : "item", (unsigned)dim);
    }
    printf("label: %s\n", rec_model_label(m));
}

static int train(const char *dir, const char *model_path)
{
    int status = 1;
    char path[4096];
    rec_dataset *ratings = NULL, *items = NULL, *tr = NULL, *te = NULL;
    rec_model *m = NULL;
    rec_optimizer *opt = NULL;
    snprintf(path, sizeof path, "%s/ratings.csv", dir);
    CHECK(load_ratings(&ratings, path));
    snprintf(path, sizeof path, "%s/items.csv", dir);
    CHECK(load_items(&items, path));
    /* every rated item must be in items.csv: a typo in an id is an error, not a blank row */
    size_t unmatched = 0, unused = 0;
    CHECK(rec_dataset_join(&unmatched, &unused, ratings, "item", items, NULL,
                           REC_JOIN_REQUIRE_MATCH));
    printf("%zu ratings, %zu items (%zu never rated)\n", rec_dataset_size(ratings),
           rec_dataset_size(items), unused);
    CHECK(rec_dataset_shuffle_split(&tr, &te, ratings, rec_dataset_size(ratings) / 10 * 9, 42));

    CHECK(rec_model_create(&m, 42));
    CHECK(rec_model_add_feature(NULL, m, "user", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 16));
    CHECK(rec_model_add_feature(NULL, m, "age", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1));
    CHECK(rec_model_add_feature(NULL, m, "item", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, 16));
    CHECK(rec_model_add_feature(NULL, m, "category", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM, 8));
    CHECK(rec_model_add_feature(NULL, m, "title", REC_FEATURE_TEXT, REC_SIDE_ITEM, 8));
    CHECK(rec_model_add_feature(NULL, m, "tags", REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 8));
    CHECK(rec_model_set_interaction(m, REC_INTERACTION_MLP));
    CHECK(rec_model_add_layer(m, 64, REC_ACTIVATION_RELU));
    CHECK(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    CHECK(rec_model_set_label(m, "rating"));
    CHECK(rec_model_build(m, tr));
    CHECK(rec_optimizer_create_adam(&opt, 0.005f));
    CHECK(rec_model_fit(m, opt, tr, NULL, 8, 256, 4096, NULL, NULL));

    double rmse, mae, mean = 0, sse = 0;
    CHECK(rec_model_evaluate(m, te, 4096, &rmse, &mae));
    uint32_t rc_col, te_col;
    CHECK(rec_dataset_column(&rc_col, tr, "rating"));
    CHECK(rec_dataset_column(&te_col, te, "rating"));
    for (size_t r = 0; r < rec_dataset_size(tr); r++)
        mean += rec_dataset_number(tr, rc_col, r);
    mean /= (double)rec_dataset_size(tr);
    for (size_t r = 0; r < rec_dataset_size(te); r++) {
        double d = rec_dataset_number(te, te_col, r) - mean;
        sse += d * d;
    }
    printf("test RMSE %.4f, MAE %.4f (predicting the mean: RMSE %.4f)\n", rmse, mae,
           sqrt(sse / (double)rec_dataset_size(te)));

    /* what serving needs, kept in the model file: predictions within the ratings' range, the
     * item catalogue with its columns, and what each user has rated */
    CHECK(rec_model_set_clip(m, 1));
    CHECK(rec_model_set_catalog(m, items, "item"));
    CHECK(rec_model_set_seen(m, ratings, "user", "item"));
    CHECK(rec_model_save(m, model_path, 0)); /* for serving: no optimizer state */
    print_inputs(m);
    printf("saved %s (%zu catalogue items)\n", model_path, rec_model_catalog_size(m));
    status = 0;
done:
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(tr);
    rec_dataset_free(te);
    rec_dataset_free(items);
    rec_dataset_free(ratings);
    return status;
}

/* One row of user-side inputs from col=value arguments: a number column when the model reads
 * the column as a number, else a string column. */
static rec_status user_row(rec_dataset **out, const rec_model *m, char **pairs, int n)
{
    rec_status rc = rec_dataset_create(out, 1);
    for (int i = 0; i < n && rc == REC_OK; i++) {
        char *eq = strchr(pairs[i], '=');
        char msg[256];
        if (!eq || eq == pairs[i]) {
            snprintf(msg, sizeof msg, "'%s' is not column=value", pairs[i]);
            return rec_error_set(REC_EINVAL, msg);
        }
        *eq = '\0';
        const char *value = eq + 1;
        int numeric = 0;
        for (uint32_t f = 0; f < rec_model_n_features(m); f++) {
            const char *column;
            rec_column_type type;
            if (rec_model_feature_info(&column, NULL, NULL, &type, NULL, m, f) == REC_OK &&
                strcmp(column, pairs[i]) == 0)
                numeric = type == REC_COLUMN_NUMBER;
        }
        if (numeric) {
            char *end;
            double v = *value ? strtod(value, &end) : NAN;
            if (*value && *end) {
                snprintf(msg, sizeof msg, "%s: '%s' is not a number", pairs[i], value);
                return rec_error_set(REC_EINVAL, msg);
            }
            rc = rec_dataset_add_numbers(*out, pairs[i], &v, 1);
        } else {
            rc = rec_dataset_add_strings(*out, pairs[i], &value, 1);
        }
    }
    return rc;
}

static int serve(const char *model_path, int argc, char **argv)
{
    int status = 1;
    rec_model *m = NULL;
    rec_dataset *user = NULL;
    const char **items = calloc((size_t)argc + 1, sizeof *items);
    char **pairs = calloc((size_t)argc + 1, sizeof *pairs);
    int n_items = 0, n_pairs = 0;
    unsigned long k = 10;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--item") == 0 && i + 1 < argc) {
            items[n_items++] = argv[++i];
        } else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc) {
            char *end;
            k = strtoul(argv[++i], &end, 10);
            if (*end || k == 0 || k > 100000) {
                free(items);
                free(pairs);
                return usage();
            }
        } else if (strchr(argv[i], '=')) {
            pairs[n_pairs++] = argv[i];
        } else {
            free(items);
            free(pairs);
            return usage();
        }
    }
    const char **ids = calloc(k, sizeof *ids);
    float *scores = calloc(k > (unsigned long)n_items ? k : (unsigned long)n_items,
                           sizeof *scores);
    if (!items || !pairs || !ids || !scores) {
        fprintf(stderr, "shop: out of memory\n");
        goto done;
    }
    CHECK(rec_model_load(&m, model_path));
    CHECK(user_row(&user, m, pairs, n_pairs));
    uint32_t unknown = 0;
    CHECK(rec_model_count_unknown(&unknown, 1, m, user));
    if (unknown > 0)
        printf("note: %u of the user's values were not seen in training (a new user?)\n",
               (unsigned)unknown);
    if (n_items > 0) {
        CHECK(rec_model_score_items(scores, (size_t)n_items, m, user, 0, items));
        for (int i = 0; i < n_items; i++)
            printf("predicted rating for %s: %.3f\n", items[i], scores[i]);
    }
    size_t n = 0;
    CHECK(rec_model_recommend_user(ids, scores, &n, k, m, user, 0, NULL, 0, 1));
    printf("top %zu unseen items:\n", n);
    for (size_t i = 0; i < n; i++)
        printf("%3zu. %-8s %.3f\n", i + 1, ids[i], scores[i]);
    status = 0;
done:
    rec_dataset_free(user);
    rec_model_free(m);
    free(ids);
    free(scores);
    free(items);
    free(pairs);
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "train") == 0)
        return train(argv[2], argv[3]);
    if (argc >= 3 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], argc - 3, argv + 3);
    return usage();
}
