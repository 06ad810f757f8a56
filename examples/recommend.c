/* "We can use this model to recommend movies for a given user": train a tutorial model on all
 * of MovieLens 100K, then print a user's top-k unseen movies by predicted rating.
 *   recommend --data DIR --user 42 [-k 10] [--model dot|one_layer|enriched] [--epochs 10]
 *             [--seed 42]
 * Introduces: rec_model_recommend(), rec_dataset_subset() to make one candidate row per movie. */
#define _POSIX_C_SOURCE 200809L
#include <rec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, int rc)
{
    fprintf(stderr, "error: %s: %s (%s)\n", what, rec_last_error(), rec_status_str(rc));
    return 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: recommend --data DIR --user ID [-k 10] [--model enriched] "
                    "[--epochs 10] [--seed 42]\n  --data defaults to $REC_DATA_DIR\n");
}

int main(int argc, char **argv)
{
    const char *data = getenv("REC_DATA_DIR"), *user = NULL, *model_name = "enriched";
    unsigned long k = 10, epochs = 10;
    unsigned long long seed = 42;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(argv[i], "--data"))
            data = v;
        else if (!strcmp(argv[i], "--user"))
            user = v;
        else if (!strcmp(argv[i], "--model"))
            model_name = v;
        else if (!strcmp(argv[i], "-k") || !strcmp(argv[i], "--k"))
            k = strtoul(v, &end, 10);
        else if (!strcmp(argv[i], "--epochs"))
            epochs = strtoul(v, &end, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(v, &end, 10);
        else {
            usage();
            return 2;
        }
        if (end && (*end || k == 0 || k > 100000 || epochs == 0 || epochs > 100000)) {
            fprintf(stderr, "recommend: bad value for %s: %s\n", argv[i], v);
            return 2;
        }
    }
    rec_preset preset;
    if (!strcmp(model_name, "dot"))
        preset = REC_PRESET_DOT;
    else if (!strcmp(model_name, "one_layer"))
        preset = REC_PRESET_ONE_LAYER;
    else if (!strcmp(model_name, "enriched"))
        preset = REC_PRESET_ENRICHED;
    else {
        fprintf(stderr, "recommend: --model must be dot, one_layer or enriched\n");
        return 2;
    }
    if (!data || !user) {
        usage();
        return 2;
    }

    rec_dataset *all = NULL, *cand = NULL;
    rec_model *m = NULL;
    rec_optimizer *opt = NULL;
    uint32_t *first = NULL, *top = NULL;
    uint8_t *seen = NULL;
    float *score = NULL;
    int rc = rec_dataset_load_movielens(&all, data, NULL);
    if (rc)
        return fail("loading ratings", rc);
    size_t n = rec_dataset_size(all);
    uint32_t ucol, icol, tcol, ticol;
    rc = rec_dataset_column(&ucol, all, "user_id");
    if (!rc) rc = rec_dataset_column(&icol, all, "movie_id");
    if (!rc) rc = rec_dataset_column(&tcol, all, "timestamp");
    if (!rc) rc = rec_dataset_column(&ticol, all, "movie_title");
    if (rc) {
        rec_dataset_free(all);
        return fail("reading columns", rc);
    }

    /* One candidate row per movie id (its first rating row carries the movie's features);
     * the user's latest rating is the query (user features, and "now" for the timestamp). */
    size_t n_items = 0, query = (size_t)-1;
    double latest = -1;
    long max_id = 0;
    for (size_t r = 0; r < n; r++) {
        long id = strtol(rec_dataset_string(all, icol, r), NULL, 10);
        max_id = id > max_id ? id : max_id;
    }
    first = calloc(n, sizeof *first);
    char *taken = calloc((size_t)max_id + 1, 1); /* movie ids are 1..1682 in ML-100K */
    size_t n_seen_ids = 0;
    long *seen_ids = calloc(n, sizeof *seen_ids);
    for (size_t r = 0; first && taken && seen_ids && r < n; r++) {
        long id = strtol(rec_dataset_string(all, icol, r), NULL, 10);
        if (id > 0 && !taken[id]) {
            taken[id] = 1;
            first[n_items++] = (uint32_t)r;
        }
        if (!strcmp(rec_dataset_string(all, ucol, r), user)) {
            seen_ids[n_seen_ids++] = id;
            if (rec_dataset_number(all, tcol, r) > latest) {
                latest = rec_dataset_number(all, tcol, r);
                query = r;
            }
        }
    }
    if (query == (size_t)-1) {
        fprintf(stderr, "recommend: user '%s' has no ratings in %s/u.data\n", user, data);
        rc = 1;
        goto out;
    }
    rc = rec_dataset_subset(&cand, all, first, n_items);
    if (rc) {
        rc = fail("making candidates", rc);
        goto out;
    }
    seen = calloc(n_items, 1);
    top = calloc(k, sizeof *top);
    score = calloc(k, sizeof *score);
    for (size_t i = 0; seen && i < n_items; i++) {
        long id = strtol(rec_dataset_string(cand, icol, i), NULL, 10);
        for (size_t j = 0; j < n_seen_ids; j++)
            if (seen_ids[j] == id)
                seen[i] = 1;
    }

    /* the preset's columns by role; the enriched model also reads the time */
    const char *const columns[] = {"user", "user_id", "item", "movie_title", "label",
                                   "user_rating", preset == REC_PRESET_ENRICHED ? "time" : NULL,
                                   "timestamp", NULL};
    rc = rec_model_create_preset_columns(&m, preset, columns, seed);
    if (!rc) rc = rec_model_build(m, all);
    if (!rc) rc = rec_optimizer_create_adagrad(&opt, 0.1f);
    if (!rc) rc = rec_model_fit(m, opt, all, NULL, (uint32_t)epochs, 2048, 4096, NULL, NULL);
    size_t got = 0;
    if (!rc) rc = rec_model_recommend(top, score, &got, k, m, cand, all, query, seen);
    if (rc) {
        rc = fail("training or recommending", rc);
        goto out;
    }
    printf("top %zu movies for user %s (%s model, %lu epochs on all %zu ratings; %zu movies "
           "already rated are excluded):\n", got, user, model_name, epochs, n, n_seen_ids);
    for (size_t i = 0; i < got; i++)
        printf("%2zu. %.2f  %s\n", i + 1, score[i], rec_dataset_string(cand, ticol, top[i]));
out:
    free(first);
    free(taken);
    free(seen_ids);
    free(seen);
    free(top);
    free(score);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(cand);
    rec_dataset_free(all);
    return rc ? 1 : 0;
}
