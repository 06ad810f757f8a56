/* Seed inputs for the model-file fuzz target (fuzz_model.c): small valid model files, each
 * written with the mode byte the target expects in front. tests/fuzz/run.sh regenerates them
 * into the working corpus, so seeds follow the current format version.
 * usage: model_seeds OUTPUT_DIR */
#include <rec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                                           \
    do {                                                                                      \
        if ((call) != REC_OK) {                                                               \
            fprintf(stderr, "%s: %s\n", #call, rec_last_error());                            \
            exit(1);                                                                          \
        }                                                                                     \
    } while (0)

static rec_dataset *dataset(void)
{
    const char *users[] = {"a", "b", "a", "c", "b", "c"};
    const char *titles[] = {"Toy Story (1995)", "Heat (1995)", "Heat (1995)",
                            "Caf\xc3\xa9 (1996)", "Toy Story (1995)", "Jumanji (1995)"};
    const char *genres[] = {"Comedy", "Action", "Crime", "Action", "Crime", "Drama", "Comedy",
                            "Comedy"};
    const size_t offsets[] = {0, 1, 3, 5, 6, 7, 8};
    const double ts[] = {874000001, 874000100, 874000500, 874009000, 874000002, 875000000};
    const double y[] = {5, 3, 4, 1, 2, 4};
    rec_dataset *ds = NULL;
    CHECK(rec_dataset_create(&ds, 6));
    CHECK(rec_dataset_add_strings(ds, "user_id", users, 6));
    CHECK(rec_dataset_add_strings(ds, "movie_title", titles, 6));
    CHECK(rec_dataset_add_string_lists(ds, "movie_genres", genres, offsets, 6));
    CHECK(rec_dataset_add_numbers(ds, "timestamp", ts, 6));
    CHECK(rec_dataset_add_numbers(ds, "user_rating", y, 6));
    return ds;
}

/* Save m, then write OUTPUT_DIR/name with each mode byte (0 raw, 1 CRCs repaired, 2 layout). */
static void emit(const rec_model *m, const char *dir, const char *name, int with_opt)
{
    char path[512], out[512];
    snprintf(path, sizeof path, "%s/%s.tmpmodel", dir, name);
    CHECK(rec_model_save(m, path, with_opt));
    FILE *f = fopen(path, "rb");
    if (!f)
        exit(1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    remove(path);
    for (unsigned char mode = 0; mode < 3; mode++) {
        snprintf(out, sizeof out, "%s/%s-mode%u", dir, name, (unsigned)mode);
        FILE *o = fopen(out, "wb");
        if (!o || fwrite(&mode, 1, 1, o) != 1 || fwrite(buf, 1, (size_t)n, o) != (size_t)n ||
            fclose(o) != 0)
            exit(1);
    }
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    rec_dataset *ds = dataset();
    rec_optimizer *opt = NULL;
    CHECK(rec_optimizer_create_adagrad(&opt, 0.1f));

    /* the smallest DOT model (docs/file-format.md's example shape; built on labelled rows, so
     * with a label range: a version-2 file) */
    rec_model *dot = NULL;
    CHECK(rec_model_create(&dot, 1));
    CHECK(rec_model_set_label(dot, "user_rating"));
    CHECK(rec_model_add_feature(NULL, dot, "user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 1));
    CHECK(rec_model_add_feature(NULL, dot, "movie_title", REC_FEATURE_CATEGORICAL,
                                REC_SIDE_ITEM, 1));
    CHECK(rec_model_build(dot, ds));
    emit(dot, argv[1], "dot", 0);

    /* every feature kind, MLP, trained one epoch, saved with and without Adagrad state */
    rec_model *mlp = NULL;
    uint32_t b = 0, t = 0, given = 0;
    const double bounds[] = {874000000, 874005000};
    CHECK(rec_model_create(&mlp, 2));
    CHECK(rec_model_set_label(mlp, "user_rating"));
    CHECK(rec_model_add_feature(NULL, mlp, "user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER, 2));
    CHECK(rec_model_add_feature(&b, mlp, "timestamp", REC_FEATURE_BUCKETIZED, REC_SIDE_USER, 2));
    CHECK(rec_model_feature_set_bucket_count(mlp, b, 3));
    CHECK(rec_model_add_feature(&given, mlp, "timestamp", REC_FEATURE_BUCKETIZED, REC_SIDE_USER,
                                1));
    CHECK(rec_model_feature_set_boundaries(mlp, given, bounds, 2));
    CHECK(rec_model_add_feature(NULL, mlp, "timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1));
    CHECK(rec_model_add_feature(&t, mlp, "movie_title", REC_FEATURE_TEXT, REC_SIDE_ITEM, 2));
    CHECK(rec_model_feature_set_max_tokens(mlp, t, 8));
    CHECK(rec_model_add_feature(NULL, mlp, "movie_genres", REC_FEATURE_CATEGORICAL_LIST,
                                REC_SIDE_ITEM, 2));
    CHECK(rec_model_set_interaction(mlp, REC_INTERACTION_MLP));
    CHECK(rec_model_add_layer(mlp, 3, REC_ACTIVATION_RELU));
    CHECK(rec_model_add_layer(mlp, 2, REC_ACTIVATION_TANH));
    CHECK(rec_model_add_layer(mlp, 1, REC_ACTIVATION_SIGMOID));
    CHECK(rec_model_build(mlp, ds));
    CHECK(rec_model_train_epoch(mlp, opt, ds, 4, NULL, NULL));
    emit(mlp, argv[1], "mlp", 0);
    emit(mlp, argv[1], "mlp-adagrad", 1);

    /* the serving sections of format version 2 beside the label range: an item catalogue
     * (a text and a string-list column among its columns), seen items, clipping */
    CHECK(rec_model_set_catalog(mlp, ds, "movie_title"));
    CHECK(rec_model_set_seen(mlp, ds, "user_id", "movie_title"));
    CHECK(rec_model_set_clip(mlp, 1));
    emit(mlp, argv[1], "mlp-serve", 0);

    rec_model_free(mlp);
    rec_model_free(dot);
    rec_optimizer_free(opt);
    rec_dataset_free(ds);
    return 0;
}
