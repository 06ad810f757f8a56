/* The tutorial's exercise: "build and test more complex models, with more layers, integrating
 * more contextual information: user's age, movie's genre, ...". On MovieLens 100K:
 *   user side: user_id (embedding 32), raw_user_age (normalized), user_gender (embedding 4),
 *              user_occupation_text (embedding 8)
 *   item side: movie_title (embedding 32), movie_genres (mean of embeddings 8), release_year
 *              (normalized; the one movie without a date gets the mean)
 *   concat (86) → Dense(128, relu) → Dense(64, relu) → Dense(1)
 * trained like the tutorial's models (Adagrad 0.1, batches of 2048, 10 epochs, preprocessing
 * adapted on all 100,000 ratings). Options: --dropout P after both hidden layers, --l2 λ on every
 * embedding table and kernel, --patience N to stop early on a seeded 10% validation slice of
 * the training set (the weights of its best epoch are kept; the test set is never looked at).
 * Introduces: REC_FEATURE_NUMERIC and REC_FEATURE_CATEGORICAL_LIST side features,
 * rec_model_add_layer() for a deeper stack, rec_model_layer_set_dropout(),
 * rec_model_feature_set_l2(), rec_model_layer_set_l2(), rec_model_set_early_stopping(). */
#include "experiment.h"
#include "models.h"

#include <stdlib.h>

static int describe(rec_model **out, const experiment_opts *o)
{
    rec_status rc = models_deep_describe(out, o);
    return rc ? experiment_fail("describing the model", rc) : 0;
}

/* The tutorial's training; with --patience, on 90% of the training set, validated on the other
 * 10% after every epoch. */
static int train(rec_model *m, experiment_result *r, const experiment_data *d,
                 const experiment_opts *o)
{
    rec_dataset *fit = d->train, *val = d->test, *part = NULL, *slice = NULL;
    int rc = REC_OK;
    if (o->patience) {
        size_t n = rec_dataset_size(d->train);
        rc = rec_dataset_shuffle_split(&part, &slice, d->train, n - n / 10, o->seed + 1);
        if (rc)
            return experiment_fail("carving the validation slice", rc);
        fit = part;
        val = slice;
        if (!o->quiet)
            printf("early stopping: training on %zu ratings, validating on %zu (patience %u)\n",
                   rec_dataset_size(fit), rec_dataset_size(val), o->patience);
    }
    rec_optimizer *opt = NULL;
    rc = rec_optimizer_create_adagrad(&opt, o->lr);
    size_t n_train = rec_dataset_size(fit);
    experiment_best t = {{o, r, (n_train + o->batch - 1) / o->batch, "Epoch"}, 0.0, 0};
    double t0 = experiment_wall();
    if (!rc)
        rc = rec_model_fit(m, opt, fit, val, o->epochs, o->batch, o->eval_batch,
                           experiment_track_best, &t);
    r->train_seconds = experiment_wall() - t0;
    if (o->patience)
        r->best_epoch = t.best_epoch;
    rec_optimizer_free(opt);
    rec_dataset_free(part);
    rec_dataset_free(slice);
    if (rc)
        return experiment_fail("training", rc);
    if (o->patience && !o->quiet)
        printf("kept the weights of epoch %u (validation RMSE %.4f)\n", t.best_epoch, t.best);
    return 0;
}

int main(int argc, char **argv)
{
    static const experiment_model spec = {
        .name = "deep",
        .describe = describe,
        .train = train,
        .adapt_on_train = 0, /* the tutorial adapts on all 100,000 ratings (no labels) */
    };
    return experiment_main_model(argc, argv, &spec);
}
