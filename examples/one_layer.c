/* The second model of the TensorFlow Recommenders MovieLens 100K tutorial: a user_id
 * embedding and a movie_title embedding, 32 wide each, concatenated and fed through
 * Dense(64, relu) → Dense(1), whose output is the predicted rating. Loads the data, splits
 * it, trains with Adagrad, evaluates, and predicts a rating from raw strings.
 *   one_layer [DATA_DIR]   (default $REC_DATA_DIR; examples/get-movielens.sh DIR downloads it)
 * The steps are dot.c's; only the preset differs. Unlike the dot product, this model learns
 * from the first epoch: the dense layers' biases move towards the mean rating whatever the
 * embeddings hold, and their kernels do not start near 0. */
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
    static const char usage[] = "usage: one_layer DATA_DIR, the unpacked ml-100k directory (or set "
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
        fprintf(stderr, "one_layer: %s (%s)\n%s", rec_last_error(), rec_status_str(rc), usage);
        return 1;
    }
    /* The tutorial's split: shuffled with a seed, 80,000 to train on, 20,000 to test on.
     * From here on, each step runs only if every step before it succeeded. */
    size_t n_train = rec_dataset_size(all) * 4 / 5;
    rc = rec_dataset_shuffle_split(&train, &test, all, n_train, SEED);
    /* The preset reads the columns named here by role (dot.c says more). */
    static const char *const columns[] = {"user", "user_id", "item", "movie_title",
                                          "label", "user_rating", NULL};
    if (!rc)
        rc = rec_model_create_preset_columns(&model, REC_PRESET_ONE_LAYER, columns, SEED);
    /* Build learns the vocabularies (string → embedding row) from all the ratings, as the
     * tutorial adapts its lookups on every id; it reads no label, so nothing of the test
     * ratings leaks into training. It also draws the initial weights from the seed. */
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

    /* Predict from raw strings: a dataset with the model's input columns, one row per
     * question (no rating needed); the model's vocabularies turn the strings into rows. */
    const char *users[] = {"42", "42"};
    const char *titles[] = {"One Flew Over the Cuckoo's Nest (1975)", "Strictly Ballroom (1992)"};
    float predicted[2];
    if (!rc)
        rc = rec_dataset_create(&query, 2);
    if (!rc)
        rc = rec_dataset_add_strings(query, "user_id", users, 2);
    if (!rc)
        rc = rec_dataset_add_strings(query, "movie_title", titles, 2);
    if (!rc)
        rc = rec_model_predict(model, query, predicted, 2);
    for (int i = 0; !rc && i < 2; i++)
        printf("predicted rating of user %s for \"%s\": %.2f\n", users[i], titles[i],
               predicted[i]);

    /* rec_last_error() describes the last failure on this thread: read it before any other
     * librec call. */
    if (rc)
        fprintf(stderr, "one_layer: %s (%s)\n", rec_last_error(), rec_status_str(rc));
    rec_dataset_free(query);
    rec_optimizer_free(opt);
    rec_model_free(model);
    rec_dataset_free(test);
    rec_dataset_free(train);
    rec_dataset_free(all);
    return rc ? 1 : 0;
}
