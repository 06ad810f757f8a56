/* A program outside the tree: it includes only <rec.h> and is built with
 * `cc app.c $(pkg-config --cflags --libs librec)` against the installed library. It trains a
 * tiny two-sided model from raw strings and predicts. */
#include <rec.h>
#include <stdio.h>

int main(void)
{
    const char *users[] = {"ann", "bob", "ann", "cid", "bob", "cid"};
    const char *items[] = {"Heat (1995)", "Heat (1995)", "Up (2009)", "Up (2009)",
                           "Jaws (1975)", "Jaws (1975)"};
    const double ratings[] = {5, 4, 2, 3, 1, 5};
    rec_dataset *ds = NULL;
    rec_model *m = NULL;
    rec_optimizer *opt = NULL;
    float pred[6];
    double rmse0, rmse1;
    int rc = rec_dataset_create(&ds, 6);
    if (!rc) rc = rec_dataset_add_strings(ds, "user_id", users, 6);
    if (!rc) rc = rec_dataset_add_strings(ds, "movie_title", items, 6);
    if (!rc) rc = rec_dataset_add_numbers(ds, "user_rating", ratings, 6);
    if (!rc) rc = rec_model_create_preset(&m, REC_PRESET_ONE_LAYER, 7);
    if (!rc) rc = rec_model_build(m, ds);
    if (!rc) rc = rec_optimizer_create_adagrad(&opt, 0.1f);
    if (!rc) rc = rec_model_evaluate(m, ds, 6, &rmse0, NULL);
    for (int e = 0; e < 200 && !rc; e++)
        rc = rec_model_train_epoch(m, opt, ds, 3, NULL, NULL);
    if (!rc) rc = rec_model_evaluate(m, ds, 6, &rmse1, NULL);
    if (!rc) rc = rec_model_predict(m, ds, pred, 6);
    if (rc) {
        fprintf(stderr, "librec %s failed: %s (%s)\n", rec_version_string(), rec_last_error(),
                rec_status_str(rc));
    } else {
        printf("librec %s: training RMSE %.3f -> %.3f; ann/Heat predicted %.2f (rated 5)\n",
               rec_version_string(), rmse0, rmse1, pred[0]);
        rc = rmse1 < 0.5 * rmse0 ? 0 : 1;
    }
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(ds);
    return rc ? 1 : 0;
}
