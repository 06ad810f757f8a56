/* The third model of the TensorFlow Recommenders MovieLens 100K tutorial, which adds context
 * to one_layer.c's: the user side also reads when the rating was made, the movie side the
 * words of the title. Loads the data, splits it, trains with Adagrad, evaluates, and predicts
 * a rating from raw strings and a timestamp.
 *   enriched [DATA_DIR]    (default $REC_DATA_DIR; examples/get-movielens.sh DIR downloads it)
 * The model is written out feature by feature rather than taken from REC_PRESET_ENRICHED
 * (whose calls are these same ones, so it trains to the same numbers): its features are the
 * point, each a different preprocessing of a raw column, and this is how a model of your own
 * is described. */
#include <rec.h>

#include <stdio.h>
#include <stdlib.h>

enum { EPOCHS = 10, BATCH = 2048, EVAL_BATCH = 4096, SEED = 42 };

/* Called by rec_model_fit after every epoch: print what Keras prints. */
static int on_epoch(uint32_t epoch, const double *stats, size_t n_stats, void *payload)
{
    size_t steps = *(const size_t *)payload;
    if (n_stats < REC_STAT_COUNT) /* a librec older than this header: don't read past stats */
        return 1;                 /* non-zero stops training */
    printf("Epoch %u/%d\n%zu/%zu - %.3fs - loss: %.4f - root_mean_squared_error: %.4f - "
           "val_root_mean_squared_error: %.4f\n",
           (unsigned)epoch, EPOCHS, steps, steps, stats[REC_STAT_SECONDS], stats[REC_STAT_LOSS],
           stats[REC_STAT_RMSE], stats[REC_STAT_VAL_RMSE]);
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage[] = "usage: enriched DATA_DIR, the unpacked ml-100k directory (or set "
                                "REC_DATA_DIR);\n  sh examples/get-movielens.sh DIR downloads it\n";
    const char *dir = argc > 1 ? argv[1] : getenv("REC_DATA_DIR");
    if (!dir || !*dir) {
        fputs(usage, stderr);
        return 1;
    }
    rec_dataset *all = NULL, *train = NULL, *test = NULL, *query = NULL;
    rec_model *model = NULL;
    rec_optimizer *opt = NULL;

    /* All 100,000 ratings, one row each: user_id, movie_title, user_rating, timestamp, ... */
    rec_status rc = rec_dataset_load_movielens(&all, dir, NULL);
    if (rc) { /* most often DATA_DIR is not the ml-100k directory: say how to get it */
        fprintf(stderr, "enriched: %s (%s)\n%s", rec_last_error(), rec_status_str(rc), usage);
        return 1;
    }
    /* The tutorial's split: shuffled with a seed, 80,000 to train on, 20,000 to test on.
     * From here on, each step runs only if every step before it succeeded. */
    size_t n_train = rec_dataset_size(all) * 4 / 5;
    rc = rec_dataset_shuffle_split(&train, &test, all, n_train, SEED);
    /* A feature reads a column, preprocesses it and embeds it on one side; the sides are
     * concatenated (user side first) and fed to the dense layers. */
    if (!rc)
        rc = rec_model_create(&model, SEED);
    if (!rc) /* the id, through a vocabulary, to a 32-wide row */
        rc = rec_model_add_feature(NULL, model, "user_id", REC_FEATURE_CATEGORICAL,
                                   REC_SIDE_USER, 32);
    if (!rc) /* the time, cut by 1000 evenly spaced boundaries, to a 32-wide row per bucket */
        rc = rec_model_add_feature(NULL, model, "timestamp", REC_FEATURE_BUCKETIZED,
                                   REC_SIDE_USER, 32);
    if (!rc) /* the time itself, standardized: (t - mean) / std, one number */
        rc = rec_model_add_feature(NULL, model, "timestamp", REC_FEATURE_NUMERIC,
                                   REC_SIDE_USER, 1);
    if (!rc)
        rc = rec_model_add_feature(NULL, model, "movie_title", REC_FEATURE_CATEGORICAL,
                                   REC_SIDE_ITEM, 32);
    if (!rc) /* the title's words: the mean of their 32-wide rows */
        rc = rec_model_add_feature(NULL, model, "movie_title", REC_FEATURE_TEXT,
                                   REC_SIDE_ITEM, 32);
    if (!rc)
        rc = rec_model_set_interaction(model, REC_INTERACTION_MLP);
    if (!rc) /* 32 + 32 + 1 + 32 + 32 = 129 inputs */
        rc = rec_model_add_layer(model, 64, REC_ACTIVATION_RELU);
    if (!rc) /* one output unit: the rating */
        rc = rec_model_add_layer(model, 1, REC_ACTIVATION_LINEAR);
    if (!rc) /* the column it learns to predict */
        rc = rec_model_set_label(model, "user_rating");
    /* Build learns the preprocessing from all the ratings, as the tutorial adapts its layers
     * on every example: the vocabularies, the bucket boundaries, the timestamp's mean and
     * std. It reads no label, so nothing of the test ratings leaks into training. It also
     * draws the initial weights from the seed. */
    if (!rc)
        rc = rec_model_build(model, all);
    if (!rc)
        rc = rec_optimizer_create_adagrad(&opt, 0.1f);
    /* The test set is also the validation set, as in the tutorial: it gives each epoch's
     * val_ number. An epoch is n_train / BATCH steps, rounded up. */
    size_t steps = (n_train + BATCH - 1) / BATCH;
    if (!rc)
        rc = rec_model_fit(model, opt, train, test, EPOCHS, BATCH, EVAL_BATCH, on_epoch, &steps);
    double rmse, mae;
    if (!rc)
        rc = rec_model_evaluate(model, test, EVAL_BATCH, &rmse, &mae);
    if (!rc)
        printf("test RMSE %.4f, MAE %.4f\n", rmse, mae);

    /* Predict from raw values: a dataset with the model's input columns, one row per
     * question (no rating needed); the model preprocesses them as it did the training set.
     * The timestamp is 1997-11-08, within the data's range. */
    const char *users[] = {"42", "42"};
    const char *titles[] = {"One Flew Over the Cuckoo's Nest (1975)", "Strictly Ballroom (1992)"};
    const double times[] = {879024327, 879024327};
    float predicted[2];
    if (!rc)
        rc = rec_dataset_create(&query, 2);
    if (!rc)
        rc = rec_dataset_add_strings(query, "user_id", users, 2);
    if (!rc)
        rc = rec_dataset_add_strings(query, "movie_title", titles, 2);
    if (!rc)
        rc = rec_dataset_add_numbers(query, "timestamp", times, 2);
    if (!rc)
        rc = rec_model_predict(model, query, predicted, 2);
    for (int i = 0; !rc && i < 2; i++)
        printf("predicted rating of user %s for \"%s\": %.2f\n", users[i], titles[i],
               predicted[i]);

    /* rec_last_error() describes the last failure on this thread: read it before any other
     * librec call. */
    if (rc)
        fprintf(stderr, "enriched: %s (%s)\n", rec_last_error(), rec_status_str(rc));
    rec_dataset_free(query);
    rec_optimizer_free(opt);
    rec_model_free(model);
    rec_dataset_free(test);
    rec_dataset_free(train);
    rec_dataset_free(all);
    return rc ? 1 : 0;
}
