/* Gradient-trained factorization models on MovieLens 100K: the baselines that best.c samples by
 * MCMC, here learned by SGD, Adagrad or Adam with L2 and early stopping.
 *   --model bmf: biased matrix factorization, ŷ = w₀ + b_user + b_movie + ⟨p_user, q_movie⟩
 *                (REC_INTERACTION_BIASED_DOT over user_id and movie_id, K factors each)
 *   --model fm:  a factorization machine (REC_INTERACTION_FM) over user_id, movie_id and the
 *                side features of --features (a subset of "gender,occupation,age,genres,
 *                history,raters"; default "history,raters"; "none" = ids only):
 *                gender, occupation, age in ML-1M's groups, the movie's genres (mean), and the
 *                SVD++-style implicit feedback of best.c (the movies the user rated and the
 *                users who rated the movie, in the training set, 1/√n)
 * --optimizer sgd|adagrad|adam (default adam; --lr default 0.003 for Adam, 0.1 otherwise),
 * --l2 λ on every table, embedding and linear term (default 0.0005), --dim K (default 16),
 * --batch (default 256). Training stops early on a seeded
 * 10% validation slice carved from the training set (--patience, default 5; the best epoch's
 * weights are kept), so --epochs (default 200) is only a ceiling; the test set is read for
 * nothing but the final score. Defaults chosen on validation slices of u1.base
 * (docs/experiments.md).
 * Introduces: REC_INTERACTION_BIASED_DOT, REC_INTERACTION_FM trained by gradient,
 * rec_optimizer_create_adam(), rec_optimizer_create_sgd(), rec_model_feature_set_l2(). */
#include "experiment.h"

#include <stdlib.h>
#include <string.h>

/* Flags of this program alone, taken out of argv before the shared parser sees it. */
static const char *g_model = "bmf";
static const char *g_optimizer = "adam";
static int g_lr_given, g_batch_given, g_epochs_given, g_dim_given, g_l2_given;

/* chosen on validation slices of u1.base (docs/experiments.md): with gradient training the
 * side features did not help (0.8985 with them, 0.8979 without) */
static const char DEFAULT_FEATURES[] = "history,raters";

static int wanted(const experiment_opts *o, const char *name)
{
    /* side features only for the FM; biased MF is the ids alone */
    return !strcmp(g_model, "fm") && experiment_feature_wanted(o, DEFAULT_FEATURES, name);
}

static int check_features(const experiment_opts *o)
{
    static const char *const known[] = {"gender",  "occupation", "age",
                                        "genres",  "history",    "raters"};
    return experiment_check_features(o, DEFAULT_FEATURES, "factorize", known,
                                     sizeof known / sizeof *known);
}

static int prepare(experiment_data *d, const experiment_opts *o)
{
    rec_dataset *sets[2] = {d->train, d->test};
    int rc = REC_OK;
    if (check_features(o))
        return 1;
    for (int i = 0; i < 2 && !rc; i++) {
        if (wanted(o, "history"))
            rc = rec_dataset_add_history(sets[i], "user_history", d->train, "user_id",
                                         "movie_id");
        if (!rc && wanted(o, "raters"))
            rc = rec_dataset_add_history(sets[i], "movie_raters", d->train, "movie_id",
                                         "user_id");
    }
    return rc ? experiment_fail("adding the implicit feedback", rc) : 0;
}

static int add(rec_model *m, const char *column, rec_feature_kind kind, rec_side side,
               const experiment_opts *o, uint32_t *id_out)
{
    uint32_t id;
    int rc = rec_model_add_feature(&id, m, column, kind, side, o->dim);
    if (!rc && o->l2 > 0)
        rc = rec_model_feature_set_l2(m, id, o->l2, o->l2);
    if (!rc && kind == REC_FEATURE_CATEGORICAL_LIST && strcmp(column, "movie_genres"))
        rc = rec_model_feature_set_pooling(m, id, REC_POOLING_SQRTN);
    if (id_out)
        *id_out = id;
    return rc;
}

static int describe(rec_model **out, const experiment_opts *o)
{
    const rec_side U = REC_SIDE_USER, I = REC_SIDE_ITEM;
    const int fm = !strcmp(g_model, "fm");
    rec_model *m = NULL;
    uint32_t f;
    int rc = rec_model_create(&m, o->seed);
    if (!rc)
        rc = rec_model_set_label(m, EXPERIMENT_LABEL);
    if (!rc)
        rc = rec_model_set_interaction(m, fm ? REC_INTERACTION_FM : REC_INTERACTION_BIASED_DOT);
    if (!rc)
        rc = add(m, "user_id", REC_FEATURE_CATEGORICAL, U, o, NULL);
    if (!rc && wanted(o, "history"))
        rc = add(m, "user_history", REC_FEATURE_CATEGORICAL_LIST, U, o, NULL);
    if (!rc && wanted(o, "gender"))
        rc = add(m, "user_gender", REC_FEATURE_CATEGORICAL, U, o, NULL);
    if (!rc && wanted(o, "occupation"))
        rc = add(m, "user_occupation_text", REC_FEATURE_CATEGORICAL, U, o, NULL);
    if (!rc && wanted(o, "age")) {
        static const double groups[] = {18, 25, 35, 45, 50, 56}; /* ML-1M's age groups */
        rc = add(m, "raw_user_age", REC_FEATURE_BUCKETIZED, U, o, &f);
        if (!rc)
            rc = rec_model_feature_set_boundaries(m, f, groups, 6);
    }
    if (!rc)
        rc = add(m, "movie_id", REC_FEATURE_CATEGORICAL, I, o, NULL);
    if (!rc && wanted(o, "raters"))
        rc = add(m, "movie_raters", REC_FEATURE_CATEGORICAL_LIST, I, o, NULL);
    if (!rc && wanted(o, "genres"))
        rc = add(m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST, I, o, NULL);
    if (rc) {
        rec_model_free(m);
        return experiment_fail("describing the model", rc);
    }
    *out = m;
    return 0;
}

/* Early-stopped training on 90% of the training set, validated on the other 10%. */
static int train(rec_model *m, experiment_result *r, const experiment_data *d,
                 const experiment_opts *o)
{
    rec_dataset *fit = NULL, *val = NULL;
    size_t n = rec_dataset_size(d->train);
    unsigned patience = o->patience ? o->patience : 5;
    int rc = rec_dataset_shuffle_split(&fit, &val, d->train, n - n / 10, o->seed + 1);
    if (!rc)
        rc = rec_model_set_early_stopping(m, patience, 0.0);
    if (rc) {
        rec_dataset_free(fit);
        rec_dataset_free(val);
        return experiment_fail("carving the validation slice", rc);
    }
    rec_optimizer *opt = NULL;
    if (!strcmp(g_optimizer, "sgd"))
        rc = rec_optimizer_create_sgd(&opt, o->lr);
    else if (!strcmp(g_optimizer, "adagrad"))
        rc = rec_optimizer_create_adagrad(&opt, o->lr);
    else
        rc = rec_optimizer_create_adam(&opt, o->lr);
    experiment_best t = {{o, r, (rec_dataset_size(fit) + o->batch - 1) / o->batch, "Epoch"}, 0, 0};
    double t0 = experiment_wall();
    if (!rc)
        rc = rec_model_fit(m, opt, fit, val, o->epochs, o->batch, o->eval_batch,
                           experiment_track_best, &t);
    r->train_seconds = experiment_wall() - t0;
    r->best_epoch = t.best_epoch;
    rec_optimizer_free(opt);
    rec_dataset_free(fit);
    rec_dataset_free(val);
    if (rc)
        return experiment_fail("training", rc);
    if (!o->quiet)
        printf("kept the weights of epoch %u (validation RMSE %.4f)\n", t.best_epoch, t.best);
    return 0;
}

/* Remove this program's own flags from argv (and note which shared defaults were overridden:
 * this program's defaults differ from the tutorial's). */
static int own_flags(int *argc, char **argv)
{
    int k = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i], *v = i + 1 < *argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--model") || !strcmp(a, "--optimizer")) {
            if (!v) {
                fprintf(stderr, "factorize: %s needs a value\n", a);
                return 1;
            }
            if (!strcmp(a, "--model"))
                g_model = v;
            else
                g_optimizer = v;
            i++;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            fprintf(stderr, "factorize [--model bmf|fm] [--optimizer adam|adagrad|sgd] and:\n");
        g_lr_given |= !strcmp(a, "--lr");
        g_batch_given |= !strcmp(a, "--batch");
        g_epochs_given |= !strcmp(a, "--epochs");
        g_dim_given |= !strcmp(a, "--dim");
        g_l2_given |= !strcmp(a, "--l2");
        argv[k++] = argv[i];
    }
    *argc = k;
    if (strcmp(g_model, "bmf") && strcmp(g_model, "fm")) {
        fprintf(stderr, "factorize: --model must be bmf or fm\n");
        return 1;
    }
    if (strcmp(g_optimizer, "sgd") && strcmp(g_optimizer, "adagrad") &&
        strcmp(g_optimizer, "adam")) {
        fprintf(stderr, "factorize: --optimizer must be sgd, adagrad or adam\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (own_flags(&argc, argv))
        return 2;
    static const char *args[64];
    /* this program's defaults (not the tutorial's), for the flags the user did not give */
    int n = 0;
    args[n++] = argv[0];
    if (!g_epochs_given) {
        args[n++] = "--epochs";
        args[n++] = "200";
    }
    if (!g_batch_given) {
        args[n++] = "--batch";
        args[n++] = "256";
    }
    if (!g_lr_given) {
        args[n++] = "--lr";
        args[n++] = !strcmp(g_optimizer, "adam") ? "0.003" : "0.1";
    }
    if (!g_dim_given) {
        args[n++] = "--dim";
        args[n++] = "16";
    }
    if (!g_l2_given) {
        args[n++] = "--l2";
        args[n++] = "0.0005";
    }
    if (argc - 1 + n > (int)(sizeof args / sizeof *args)) {
        fprintf(stderr, "factorize: too many arguments\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    static const experiment_model spec = {
        .name = "factorize",
        .describe = describe,
        .prepare = prepare,
        .train = train,
        .adapt_on_train = 1,
    };
    return experiment_main_model(n, (char **)args, &spec);
}
