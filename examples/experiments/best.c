/* librec's most accurate rating predictor on MovieLens 100K: a Bayesian factorization machine
 * with an ordered-probit likelihood (Gibbs sampling, rec_model_fit_mcmc) over the ids,
 * SVD++-style implicit feedback in both directions, the day of the rating and the users' and
 * movies' side features:
 *   user side: user_id; user_history = the movies the user rated in the training set (a bag,
 *              pooled by 1/√n); the day of the rating (timestamp in ~1-day buckets); gender;
 *              occupation; age (ML-1M's buckets)
 *   item side: movie_id; movie_raters = the users who rated the movie in the training set
 *              (1/√n); genres (mean)
 * every feature with K = 14 factors (--dim), 350 sweeps of which the first 40 are burn-in
 * (--epochs, --burn-in); ratings as ordered classes (--likelihood probit, the default) or as a
 * Gaussian (--likelihood gaussian). The implicit-feedback lists come from the training ratings
 * only (also for the test rows), the vocabularies and buckets are adapted on the training set
 * only: the test set is read for nothing but the final score. --features takes a subset of
 * "history,raters,day,gender,occupation,age,zip,genres,year,title" (default all but zip, year
 * and title: the zip code's first character, the release year in 20 buckets, the title's
 * words), or "none" for the ids alone (Bayesian biased MF); --validate
 * scores on a seeded 10% of the training set instead of the test set (how the configuration
 * was chosen, docs/experiments.md).
 * Introduces: REC_INTERACTION_FM, rec_model_fit_mcmc(), rec_model_set_likelihood(),
 * rec_dataset_add_history(), rec_model_feature_set_pooling(). */
#include "experiment.h"
#include "models.h"

#include <stdlib.h>
#include <string.h>

/* SVD++'s implicit feedback, from the training ratings only, for the training and test rows. */
static int prepare(experiment_data *d, const experiment_opts *o)
{
    if (models_best_check_features(o, "best"))
        return 1;
    rec_dataset *sets[2] = {d->train, d->test};
    rec_status rc = models_best_prepare(sets, 2, d->train, o);
    return rc ? experiment_fail("adding the implicit feedback", rc) : 0;
}

static int describe(rec_model **out, const experiment_opts *o)
{
    rec_status rc = models_best_describe(out, o);
    return rc ? experiment_fail("describing the model", rc) : 0;
}

static int train(rec_model *m, experiment_result *r, const experiment_data *d,
                 const experiment_opts *o)
{
    if (o->burn_in >= o->epochs) {
        fprintf(stderr, "best: --burn-in %u must be below --epochs %u\n", o->burn_in, o->epochs);
        return 1;
    }
    /* Without --quiet, each kept sample also predicts the test set for the progress lines (its
     * running posterior mean; nothing flows back into the chain). With --quiet the test set is
     * not touched during training, and the training time is the sampler's alone; the score
     * comes from the stored samples afterwards. */
    experiment_progress p = {o, r, 1, "Sweep"};
    double t0 = experiment_wall();
    int rc = rec_model_fit_mcmc(m, d->train, o->epochs, o->burn_in, o->quiet ? NULL : d->test,
                                experiment_on_epoch, &p);
    r->train_seconds = experiment_wall() - t0;
    if (rc)
        return experiment_fail("Gibbs sampling", rc);
    if (!o->quiet)
        printf("%u posterior samples kept after %u burn-in sweeps\n", rec_model_n_samples(m),
               o->burn_in);
    return 0;
}

int main(int argc, char **argv)
{
    static const experiment_model spec = {
        .name = "best",
        .describe = describe,
        .prepare = prepare,
        .train = train,
        .adapt_on_train = 1,
        .epochs = 350, /* more sweeps score no better on validation and take longer */
        .burn_in = 40,
        .dim = 14,
        .threads = 2, /* on an idle 2-core machine two threads sample faster than one; on a
                       * busy one --threads 1 can be faster */
    };
    return experiment_main_model(argc, argv, &spec);
}
