/* One of the tutorial's three ranking models on MovieLens 100K, as an experiment with the
 * shared flags (examples/README.md, "Experiments"):
 *   tutorial --model dot|one_layer|enriched --data DIR [--epochs 10] [--seed 42] [--split u1]
 *            [--json FILE] ...
 * It prints what the tutorial shows of the data, Keras-like progress, the final validation
 * RMSE and MAE and two predictions from raw strings; --json writes the curves.
 * --model has no default: the three models score far apart (dot is still at its starting
 * point after 10 epochs), so a forgotten flag must not pass for a result.
 * examples/dot.c, one_layer.c and enriched.c are the same models, written out to be read. */
#include "experiment.h"

#include <string.h>

static const char *const names[] = {"dot", "one_layer", "enriched"}; /* by rec_preset */

/* The tutorial's sanity check: ratings for user 42 and two titles, from raw strings. */
static int predict_examples(const rec_model *m)
{
    const char *users[] = {"42", "42"};
    const char *titles[] = {"One Flew Over the Cuckoo's Nest (1975)", "Strictly Ballroom (1992)"};
    const double times[] = {879024327, 879024327};
    rec_dataset *q = NULL;
    float pred[2];
    int rc = rec_dataset_create(&q, 2);
    if (!rc)
        rc = rec_dataset_add_strings(q, "user_id", users, 2);
    if (!rc)
        rc = rec_dataset_add_strings(q, "movie_title", titles, 2);
    if (!rc)
        rc = rec_dataset_add_numbers(q, "timestamp", times, 2);
    if (!rc)
        rc = rec_model_predict(m, q, pred, 2);
    rec_dataset_free(q);
    if (rc)
        return experiment_fail("predicting", rc);
    for (int i = 0; i < 2; i++)
        printf("predicted rating of user %s for \"%s\": %.2f\n", users[i], titles[i], pred[i]);
    return 0;
}

int main(int argc, char **argv)
{
    experiment_opts o;
    if (experiment_parse(&o, argc, argv, "tutorial", 0))
        return 2;
    int preset = -1;
    for (int p = 0; p < 3; p++)
        if (o.model && !strcmp(o.model, names[p]))
            preset = p;
    if (preset < 0) {
        fprintf(stderr, "tutorial: --model must be dot, one_layer or enriched%s\n",
                o.model ? "" : " (it has no default)");
        return 2;
    }
    experiment_data d;
    if (experiment_load(&d, &o)) {
        experiment_data_free(&d);
        return 1;
    }
    if (!o.quiet)
        experiment_describe_data(&d);
    experiment_result r;
    rec_model *m;
    int rc = experiment_run(&r, &m, &d, &o, (rec_preset)preset);
    if (!rc) {
        printf("%s: split %s, seed %llu: final validation RMSE %.4f, MAE %.4f\n", names[preset],
               o.split, o.seed, r.final_val_rmse, r.final_val_mae);
        printf("RMSE: %.2f.\n", r.final_val_rmse);
        if (!o.quiet)
            rc = predict_examples(m);
        if (!rc && o.json)
            rc = experiment_write_json(o.json, names[preset], &o, &r);
    }
    rec_model_free(m);
    experiment_result_free(&r);
    experiment_data_free(&d);
    return rc ? 1 : 0;
}
