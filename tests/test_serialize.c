/* Suite "serialize": rec_model_save() / rec_model_load() — round trips that predict
 * bit-identically, resumed training, the documented byte layout (docs/file-format.md), and
 * hostile files: truncated at every length, a flipped byte in every section, wrong magic,
 * future versions, crafted counts behind valid checksums, unwritable destinations.
 * Fixture files are written into a mkdtemp directory and removed. */
#include "rec_check.h"
#include "model_fixtures.h"

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------------ */

/* An independent, bit-at-a-time CRC-32 (reflected 0xEDB88320), so that the library's
 * table-driven one is checked against a second implementation. */
static uint32_t test_crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const unsigned char *b)
{
    return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

static void set_le32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void set_le64(unsigned char *b, uint64_t v)
{
    set_le32(b, (uint32_t)v);
    set_le32(b + 4, (uint32_t)(v >> 32));
}

static char tmpdir[64];

/* Fixtures go to /dev/shm when it is there: the damaged-file tests rewrite a file thousands
 * of times, and on a disk file system each truncation costs a block discard (about 1 ms). */
static void make_tmpdir(void)
{
    const char *base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/rec_serialize_XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Remove the (flat) temp directory and whatever the test left in it. */
static void remove_tmpdir(void)
{
    chmod(tmpdir, 0700);
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            if (rmdir(p) != 0)
                unlink(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
}

/* Number of entries in the temp directory (to see that no temporary file is left behind). */
static int count_entries(void)
{
    DIR *d = opendir(tmpdir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void path_in_tmp(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* Section table of a saved file, read by the documented layout. */
typedef struct sect {
    char tag[5];
    uint32_t crc;
    uint64_t offset, length;
} sect;

static size_t sections(const unsigned char *b, sect *s)
{
    size_t n = le32(b + 12);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *e = b + 32 + 24 * i;
        memcpy(s[i].tag, e, 4);
        s[i].tag[4] = '\0';
        s[i].crc = le32(e + 4);
        s[i].offset = le64(e + 8);
        s[i].length = le64(e + 16);
    }
    return n;
}

static const sect *find_section(const sect *s, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].tag, tag))
            return &s[i];
    ck_abort_msg("no section %s", tag);
    return NULL;
}

/* Recompute every checksum (sections, table, header) after a deliberate edit, so that the
 * loader's content validation, not its checksums, has to catch the edit. */
static void reseal(unsigned char *b)
{
    sect s[8];
    size_t n = sections(b, s);
    for (size_t i = 0; i < n; i++)
        set_le32(b + 32 + 24 * i + 4, test_crc32(b + s[i].offset, (size_t)s[i].length));
    set_le32(b + 24, test_crc32(b + 32, 24 * n));
    set_le32(b + 28, test_crc32(b, 28));
}

static void train_epochs(rec_model *m, const rec_dataset *ds, uint32_t epochs)
{
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_fit(m, opt, ds, NULL, epochs, 16, 64, NULL, NULL));
    rec_optimizer_free(opt);
}

/* A fresh optimizer of a kind. */
static rec_optimizer *optimizer_of(rec_optimizer_kind kind)
{
    rec_optimizer *opt;
    if (kind == REC_OPTIMIZER_ADAM)
        ck_assert_rec_ok(rec_optimizer_create_adam(&opt, 0.01f));
    else if (kind == REC_OPTIMIZER_SGD)
        ck_assert_rec_ok(rec_optimizer_create_sgd(&opt, 0.05f));
    else
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    return opt;
}

/* Epochs through rec_model_train_epoch(), one call each, with a fresh optimizer of a kind. */
static void train_epoch_calls(rec_model *m, const rec_dataset *ds, uint32_t epochs,
                              rec_optimizer_kind kind)
{
    rec_optimizer *opt = optimizer_of(kind);
    for (uint32_t e = 0; e < epochs; e++)
        ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 16, NULL, NULL));
    rec_optimizer_free(opt);
}

/* Predictions of m on ds, malloc'd. */
static float *predictions(const rec_model *m, const rec_dataset *ds)
{
    size_t n = rec_dataset_size(ds);
    float *p = malloc(n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    ck_assert_rec_ok(rec_model_predict(m, ds, p, n));
    return p;
}

/* Whether a and b predict the same bits on every row of ds. */
static int same_predictions(const rec_model *a, const rec_model *b, const rec_dataset *ds)
{
    float *pa = predictions(a, ds), *pb = predictions(b, ds);
    int same = memcmp(pa, pb, rec_dataset_size(ds) * sizeof *pa) == 0;
    free(pa);
    free(pb);
    return same;
}

static void assert_same_predictions(const rec_model *a, const rec_model *b,
                                    const rec_dataset *ds)
{
    float *pa = predictions(a, ds), *pb = predictions(b, ds);
    size_t n = rec_dataset_size(ds);
    ck_assert_msg(memcmp(pa, pb, n * sizeof *pa) == 0, "predictions differ (first %.9g vs %.9g)",
                  (double)pa[0], (double)pb[0]);
    free(pa);
    free(pb);
}

/* Every feature kind on both sides, an explicit-boundary bucketization beside an adapted one,
 * and an MLP of three activations. Small sizes keep the file a few KiB. */
static rec_model *every_kind_model(uint64_t seed)
{
    rec_model *m;
    uint32_t b, t, e;
    const double bounds[] = {900000000.0, 1100000000.0, 1300000000.0};
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_add_feature(&b, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_feature_set_bucket_count(m, b, 7));
    ck_assert_rec_ok(rec_model_add_feature(&e, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_feature_set_boundaries(m, e, bounds, 3));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_add_feature(&t, m, "movie_title", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_feature_set_max_tokens(m, t, 20));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_genres",
                                           REC_FEATURE_CATEGORICAL_LIST, REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
    ck_assert_rec_ok(rec_model_add_layer(m, 5, REC_ACTIVATION_TANH));
    ck_assert_rec_ok(rec_model_add_layer(m, 3, REC_ACTIVATION_SIGMOID));
    ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    return m;
}

/* A trained every-kind model saved with optimizer state; returns the file bytes. */
static unsigned char *saved_every_kind(const char *path, size_t *n)
{
    rec_dataset *ds = fx_synth_with_age(120, 12, 15, 5);
    rec_model *m = every_kind_model(9);
    ck_assert_rec_ok(rec_model_build(m, ds));
    train_epochs(m, ds, 1);
    ck_assert_rec_ok(rec_model_save(m, path, 1));
    rec_model_free(m);
    rec_dataset_free(ds);
    return rec_check_read_file(path, n);
}

/* ---- round trips -------------------------------------------------------------------------- */

START_TEST(test_serialize_roundtrip_presets)
{
    make_tmpdir();
    rec_dataset *ds = fx_synth(400, 30, 40, 7);
    /* users 31.. and the titles of another seed are unknown to the model: OOV rows */
    rec_dataset *other = fx_synth(300, 40, 60, 8);
    for (int p = REC_PRESET_DOT; p <= REC_PRESET_ENRICHED; p++) {
        rec_model *m, *l;
        char path[128], s1[4096], s2[4096];
        snprintf(path, sizeof path, "%s/preset%d.rec", tmpdir, p);
        ck_assert_rec_ok(rec_model_create_preset(&m, (rec_preset)p, 11));
        ck_assert_rec_ok(rec_model_build(m, ds));
        train_epochs(m, ds, 1);
        ck_assert_rec_ok(rec_model_save(m, path, p % 2));
        ck_assert_rec_ok(rec_model_load(&l, path));
        ck_assert(rec_model_is_built(l));
        ck_assert_uint_eq(rec_model_n_params(l), rec_model_n_params(m));
        ck_assert_uint_eq(rec_model_n_features(l), rec_model_n_features(m));
        ck_assert_rec_ok(rec_model_summary(s1, sizeof s1, NULL, m));
        ck_assert_rec_ok(rec_model_summary(s2, sizeof s2, NULL, l));
        ck_assert_str_eq(s1, s2);
        assert_same_predictions(m, l, ds);
        assert_same_predictions(m, l, other);
        rec_model_free(m);
        rec_model_free(l);
    }
    rec_dataset_free(ds);
    rec_dataset_free(other);
    remove_tmpdir();
}
END_TEST

START_TEST(test_serialize_roundtrip_every_feature_kind)
{
    make_tmpdir();
    char path[128];
    path_in_tmp(path, sizeof path, "kinds.rec");
    rec_dataset *ds = fx_synth_with_age(120, 12, 15, 5);
    rec_dataset *other = fx_synth_with_age(90, 20, 30, 6);
    rec_model *m = every_kind_model(9), *l;
    ck_assert_rec_ok(rec_model_build(m, ds));
    train_epochs(m, ds, 2);
    ck_assert_rec_ok(rec_model_save(m, path, 0));
    ck_assert_rec_ok(rec_model_load(&l, path));
    assert_same_predictions(m, l, ds);
    assert_same_predictions(m, l, other);

    /* every table and layer holds the same bits, every vocabulary the same tokens */
    for (uint32_t f = 0; f < rec_model_n_features(m); f++) {
        const rec_embedding *a = rec_model_feature_embedding(m, f);
        const rec_embedding *b = rec_model_feature_embedding(l, f);
        ck_assert((a == NULL) == (b == NULL));
        if (a) {
            size_t n = (size_t)rec_embedding_rows(a) * rec_embedding_dim(a);
            ck_assert_uint_eq(rec_embedding_rows(b), rec_embedding_rows(a));
            ck_assert_int_eq(memcmp(rec_embedding_row(a, 0), rec_embedding_row(b, 0),
                                    n * sizeof(float)), 0);
        }
        const rec_vocab *va = rec_model_feature_vocab(m, f), *vb = rec_model_feature_vocab(l, f);
        ck_assert((va == NULL) == (vb == NULL));
        if (va) {
            ck_assert_uint_eq(rec_vocab_size(vb), rec_vocab_size(va));
            for (uint32_t i = 1; i < rec_vocab_size(va); i++)
                ck_assert_str_eq(rec_vocab_token(vb, i), rec_vocab_token(va, i));
        }
    }
    for (size_t i = 0; i < rec_model_n_layers(m); i++) {
        const rec_dense *a = rec_model_layer(m, i), *b = rec_model_layer(l, i);
        size_t nk = (size_t)rec_dense_n_in(a) * rec_dense_n_out(a), nb = rec_dense_n_out(a);
        float ka[128], kb[128], ba[8], bb[8];
        ck_assert_uint_le(nk, 128);
        ck_assert_int_eq(rec_dense_activation(b), rec_dense_activation(a));
        ck_assert_rec_ok(rec_dense_get_weights(a, ka, nk, ba, nb));
        ck_assert_rec_ok(rec_dense_get_weights(b, kb, nk, bb, nb));
        ck_assert_int_eq(memcmp(ka, kb, nk * sizeof(float)), 0);
        ck_assert_int_eq(memcmp(ba, bb, nb * sizeof(float)), 0);
    }
    /* saving the loaded model gives the same bytes */
    char path2[128];
    path_in_tmp(path2, sizeof path2, "kinds2.rec");
    ck_assert_rec_ok(rec_model_save(l, path2, 0));
    size_t n1, n2;
    unsigned char *b1 = rec_check_read_file(path, &n1), *b2 = rec_check_read_file(path2, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert_int_eq(memcmp(b1, b2, n1), 0);
    free(b1);
    free(b2);
    rec_model_free(m);
    rec_model_free(l);
    rec_dataset_free(ds);
    rec_dataset_free(other);
    remove_tmpdir();
}
END_TEST

/* An FM over every kind of feature (K = 3) with L2 on two groups: what the EXTN section
 * carries. */
static rec_model *fm_every_kind(uint64_t seed)
{
    rec_model *m;
    uint32_t f;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_feature_set_bucket_count(m, f, 7));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_title", REC_FEATURE_TEXT,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_feature_set_max_tokens(m, f, 40));
    ck_assert_rec_ok(rec_model_add_feature(&f, m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_feature_set_pooling(m, f, REC_POOLING_SQRTN));
    ck_assert_rec_ok(rec_model_feature_set_l2(m, 0, 0.01f, 0.001f));
    ck_assert_rec_ok(rec_model_feature_set_l2(m, 3, 0.02f, 0.0f));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    return m;
}

/* A BIASED_DOT over user_id and movie_title, with a NUMERIC age on the item side and L2 on the
 * title. */
static rec_model *biased_dot_l2(uint64_t seed)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, seed));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "raw_user_age", REC_FEATURE_NUMERIC,
                                           REC_SIDE_ITEM, 1));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_BIASED_DOT));
    ck_assert_rec_ok(rec_model_feature_set_l2(m, 1, 0.01f, 0.01f));
    return m;
}

/* The every-kind MLP with dropout after its second layer, L2 on its first and early stopping:
 * settings of the model, which the EXTN section carries. */
static rec_model *mlp_dropout_l2_early_stopping(uint64_t seed)
{
    static const uint32_t hidden[] = {8, 4};
    rec_model *m = fx_rich_model(seed, REC_ACTIVATION_RELU, 10, 50, hidden, 2);
    ck_assert_rec_ok(rec_model_layer_set_dropout(m, 1, 0.25f));
    ck_assert_rec_ok(rec_model_layer_set_l2(m, 0, 0.001f));
    ck_assert_rec_ok(rec_model_set_early_stopping(m, 4, 0.5));
    return m;
}

/* One resumed-training case: a model trained `before` epochs, saved, loaded and trained
 * `after` more, against the same model trained before + after epochs without a break. */
typedef struct resume_case {
    const char *what;
    rec_preset preset;                     /* when describe is NULL */
    rec_model *(*describe)(uint64_t seed); /* the model, not built */
    uint64_t seed;
    uint32_t threads;                      /* the model's own threads (0: the default) */
    int through_fit;                       /* rec_model_fit, else rec_model_train_epoch calls */
    rec_optimizer_kind optimizer;
    uint32_t before, after;
    const char *summary_has;               /* a line of the loaded model's summary, or NULL */
} resume_case;

#define PRESET_CASE(p, o)                                                                    \
    {.what = #p " with " #o, .preset = p, .seed = 5, .optimizer = o, .before = 2, .after = 2}

/* - every preset and optimizer, one rec_model_train_epoch call per epoch;
 * - rec_model_fit: every epoch's order is a fresh permutation drawn from the saved generator;
 * - three threads of the model's own, set again after loading (the thread count is a setting
 *   of the process, not saved): the threaded gradient sums are fixed for a thread count;
 * - gradient-trained BIASED_DOT and FM with L2;
 * - dropout, L2 and early stopping: they survive the round trip, and the resumed run draws the
 *   same dropout masks. */
static const resume_case RESUME[] = {
    PRESET_CASE(REC_PRESET_DOT, REC_OPTIMIZER_ADAGRAD),
    PRESET_CASE(REC_PRESET_DOT, REC_OPTIMIZER_ADAM),
    PRESET_CASE(REC_PRESET_DOT, REC_OPTIMIZER_SGD),
    PRESET_CASE(REC_PRESET_ONE_LAYER, REC_OPTIMIZER_ADAGRAD),
    PRESET_CASE(REC_PRESET_ONE_LAYER, REC_OPTIMIZER_ADAM),
    PRESET_CASE(REC_PRESET_ONE_LAYER, REC_OPTIMIZER_SGD),
    PRESET_CASE(REC_PRESET_ENRICHED, REC_OPTIMIZER_ADAGRAD),
    PRESET_CASE(REC_PRESET_ENRICHED, REC_OPTIMIZER_ADAM),
    PRESET_CASE(REC_PRESET_ENRICHED, REC_OPTIMIZER_SGD),
    {.what = "enriched through rec_model_fit", .preset = REC_PRESET_ENRICHED, .seed = 5,
     .through_fit = 1, .optimizer = REC_OPTIMIZER_ADAGRAD, .before = 2, .after = 2},
    {.what = "enriched on 3 model threads", .preset = REC_PRESET_ENRICHED, .seed = 5,
     .threads = 3, .optimizer = REC_OPTIMIZER_ADAM, .before = 2, .after = 2},
    {.what = "BIASED_DOT", .describe = biased_dot_l2, .seed = 5,
     .optimizer = REC_OPTIMIZER_ADAM, .before = 2, .after = 2},
    {.what = "FM over every kind", .describe = fm_every_kind, .seed = 5,
     .optimizer = REC_OPTIMIZER_ADAM, .before = 2, .after = 2},
    {.what = "MLP with dropout, L2 and early stopping", .describe = mlp_dropout_l2_early_stopping,
     .seed = 4, .optimizer = REC_OPTIMIZER_ADAGRAD, .before = 1, .after = 2,
     .summary_has = "dropout_1 (Dropout 0.25)"},
};
#define N_RESUME (sizeof RESUME / sizeof *RESUME)

static rec_model *resume_model(const resume_case *c, const rec_dataset *ds)
{
    rec_model *m;
    if (c->describe)
        m = c->describe(c->seed);
    else
        ck_assert_rec_ok(rec_model_create_preset(&m, c->preset, c->seed));
    if (c->threads)
        ck_assert_rec_ok(rec_model_set_threads(m, c->threads));
    ck_assert_rec_ok(rec_model_build(m, ds));
    return m;
}

static void resume_train(rec_model *m, const resume_case *c, const rec_dataset *ds,
                         uint32_t epochs)
{
    if (!c->through_fit) {
        train_epoch_calls(m, ds, epochs, c->optimizer);
        return;
    }
    rec_optimizer *opt = optimizer_of(c->optimizer);
    ck_assert_rec_ok(rec_model_fit(m, opt, ds, NULL, epochs, 64, 0, NULL, NULL));
    rec_optimizer_free(opt);
}

/* Load a saved case; the thread count comes back as the default and is set again. */
static rec_model *resume_load(const resume_case *c, const char *path)
{
    rec_model *m;
    ck_assert_rec_ok(rec_model_load(&m, path));
    ck_assert_uint_eq(rec_model_threads(m), 1);
    if (c->threads)
        ck_assert_rec_ok(rec_model_set_threads(m, c->threads));
    return m;
}

/* Resumed training with the optimizer state gives the same bits as training without a break
 * (batch order from the saved generator; Adagrad's accumulators, Adam's moments and step counts
 * from the saved slots), for every case of RESUME. Without the optimizer state Adagrad's and
 * Adam's states restart and the result differs, which shows the comparison can fail; SGD has
 * no state, so for it the two agree. */
START_TEST(test_serialize_resume_equals_uninterrupted)
{
    const resume_case *c = &RESUME[_i];
    make_tmpdir();
    char with[128], without[128];
    path_in_tmp(with, sizeof with, "with.rec");
    path_in_tmp(without, sizeof without, "without.rec");
    rec_dataset *ds = fx_synth_with_age(400, 30, 40, 7);
    rec_model *full = resume_model(c, ds), *half = resume_model(c, ds);
    resume_train(full, c, ds, c->before + c->after);
    resume_train(half, c, ds, c->before);
    ck_assert_rec_ok(rec_model_save(half, with, 1));
    ck_assert_rec_ok(rec_model_save(half, without, 0));

    /* the loaded model is the saved one */
    rec_model *resumed = resume_load(c, with);
    ck_assert_msg(same_predictions(half, resumed, ds), "%s: the loaded model predicts otherwise",
                  c->what);
    ck_assert_uint_eq(rec_model_n_params(resumed), rec_model_n_params(half));
    char a[4096], b[4096];
    ck_assert_rec_ok(rec_model_summary(a, sizeof a, NULL, half));
    ck_assert_rec_ok(rec_model_summary(b, sizeof b, NULL, resumed));
    ck_assert_str_eq(a, b);
    if (c->summary_has)
        ck_assert_ptr_nonnull(strstr(b, c->summary_has));

    resume_train(resumed, c, ds, c->after);
    ck_assert_msg(same_predictions(full, resumed, ds), "%s: the resumed run differs", c->what);

    rec_model *cold = resume_load(c, without);
    resume_train(cold, c, ds, c->after);
    int same = same_predictions(full, cold, ds);
    ck_assert_msg(same == (c->optimizer == REC_OPTIMIZER_SGD),
                  "%s: resuming without optimizer state %s", c->what,
                  same ? "matched" : "differed");
    rec_model_free(cold);
    rec_model_free(resumed);
    rec_model_free(half);
    rec_model_free(full);
    rec_dataset_free(ds);
    remove_tmpdir();
}
END_TEST

/* After Gibbs sampling the file holds the posterior samples: the loaded model predicts the same
 * posterior means, bit for bit. */
START_TEST(test_serialize_mcmc_samples_roundtrip)
{
    make_tmpdir();
    char path[128];
    path_in_tmp(path, sizeof path, "mcmc.rec");
    rec_dataset *ds = fx_synth_with_age(400, 30, 40, 7);
    rec_model *m = fm_every_kind(9), *l;
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_fit_mcmc(m, ds, 12, 4, NULL, NULL, NULL));
    ck_assert_uint_eq(rec_model_n_samples(m), 8);
    ck_assert_rec_ok(rec_model_save(m, path, 0));
    ck_assert_rec_ok(rec_model_load(&l, path));
    ck_assert_uint_eq(rec_model_n_samples(l), 8);
    assert_same_predictions(m, l, ds);
    /* the samples are most of the file: 8 samples of every weight */
    size_t n;
    free(rec_check_read_file(path, &n));
    ck_assert_uint_gt(n, 8 * 4 * rec_model_n_params(m));
    rec_model_free(m);
    rec_model_free(l);
    rec_dataset_free(ds);
    remove_tmpdir();
}
END_TEST

/* ---- byte layout -------------------------------------------------------------------------- */

/* The standard check value of CRC-32/ISO-HDLC, to trust the test's own CRC below. */
START_TEST(test_serialize_crc_reference_value)
{
    ck_assert_uint_eq(test_crc32((const unsigned char *)"123456789", 9), 0xCBF43926u);
    ck_assert_uint_eq(test_crc32((const unsigned char *)"", 0), 0u);
}
END_TEST

/* The smallest DOT model, laid out by hand from docs/file-format.md:
 * user_id CATEGORICAL dim 1 on users {"a","b"}, movie_title CATEGORICAL dim 1 on {"t"},
 * built on rows without the label column: no label range, so no serving section and a
 * version-1 file (test_serve checks the version-2 sections).
 *   header 32 + table 6·24 = 176
 *   DESC: seed 8 + interaction 4 + feature count 4                               = 16
 *         "user_id": 4+7 bytes + 6 u32 (kind side dim buckets max_tokens flag)   = 35
 *         "movie_title": 4+11 + 24                                               = 39
 *         layer count 4, label "user_rating" 4+11, name "model" 4+5              = 28
 *         total 16+35+39+28                                                      = 118
 *   PREP: kind 4 + count 4 + "a" 5 + "b" 5 = 18;  kind 4 + count 4 + "t" 5 = 13     = 31
 *   EMBD: count 4; (index, rows, dim) 12 + 3 rows·4 = 24; 12 + 2 rows·4 = 20        = 48
 *   DENS: layer count 4                                                           = 4
 *   EXTN: feature count 4 + 2 × (pooling, L2, L2) 12 = 28; layer count 4;
 *         patience 4 + min_delta 8; likelihood 4; tables flag 4 (0: DOT);
 *         dropout generator 32; sample count 4                                    = 88
 *   RNGS: 4 u64                                                                   = 32
 *   file = 176 + 118 + 31 + 48 + 4 + 88 + 32 = 497;
 *   offsets 176, 294, 325, 373, 377, 465. */
START_TEST(test_serialize_layout_by_hand)
{
    make_tmpdir();
    const char *users[] = {"a", "b", "a"}, *titles[] = {"t", "t", "t"};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", users, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "movie_title", titles, 3));
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 0x0102030405060708ull));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 1));
    ck_assert_rec_ok(rec_model_build(m, ds));
    char path[128];
    path_in_tmp(path, sizeof path, "tiny.rec");
    ck_assert_rec_ok(rec_model_save(m, path, 0));
    size_t n;
    unsigned char *b = rec_check_read_file(path, &n);
    ck_assert_uint_eq(n, 497);
    ck_assert_int_eq(memcmp(b, "RECMODEL", 8), 0);
    ck_assert_uint_eq(le32(b + 8), 1);
    ck_assert_uint_eq(le32(b + 12), 6);
    ck_assert_uint_eq(le64(b + 16), 497);
    ck_assert_uint_eq(le32(b + 24), test_crc32(b + 32, 6 * 24));
    ck_assert_uint_eq(le32(b + 28), test_crc32(b, 28));
    sect s[8];
    ck_assert_uint_eq(sections(b, s), 6);
    const char *tags[] = {"DESC", "PREP", "EMBD", "DENS", "EXTN", "RNGS"};
    const uint64_t off[] = {176, 294, 325, 373, 377, 465}, len[] = {118, 31, 48, 4, 88, 32};
    for (int i = 0; i < 6; i++) {
        ck_assert_str_eq(s[i].tag, tags[i]);
        ck_assert_uint_eq(s[i].offset, off[i]);
        ck_assert_uint_eq(s[i].length, len[i]);
        ck_assert_uint_eq(s[i].crc, test_crc32(b + off[i], (size_t)len[i]));
    }
    /* DESC starts with the seed, little-endian: 08 07 06 05 04 03 02 01 */
    const unsigned char seed_le[] = {8, 7, 6, 5, 4, 3, 2, 1};
    ck_assert_int_eq(memcmp(b + 176, seed_le, 8), 0);
    ck_assert_uint_eq(le32(b + 176 + 8), REC_INTERACTION_DOT);
    ck_assert_uint_eq(le32(b + 176 + 12), 2);
    ck_assert_uint_eq(le32(b + 176 + 16), 7);
    ck_assert_int_eq(memcmp(b + 176 + 20, "user_id", 7), 0);
    /* PREP: CATEGORICAL (0), 2 tokens "a" "b" */
    const unsigned char prep0[] = {0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b'};
    ck_assert_int_eq(memcmp(b + 294, prep0, sizeof prep0), 0);
    /* EMBD: 2 tables; table 0 = feature 0, 3 rows, dim 1, then the weights' binary32 bits */
    ck_assert_uint_eq(le32(b + 325), 2);
    ck_assert_uint_eq(le32(b + 329), 0);
    ck_assert_uint_eq(le32(b + 333), 3);
    ck_assert_uint_eq(le32(b + 337), 1);
    float w[3];
    ck_assert_rec_ok(rec_embedding_get_weights(rec_model_feature_embedding(m, 0), w, 3));
    for (int i = 0; i < 3; i++) {
        uint32_t bits;
        memcpy(&bits, &w[i], 4);
        ck_assert_uint_eq(le32(b + 341 + 4 * i), bits);
    }
    ck_assert_uint_eq(le32(b + 373), 0); /* no dense layers */
    /* EXTN: 2 features, MEAN pooling (0), L2 0.0 and 0.0; no layers; early stopping off;
     * no tables; the dropout generator; no samples */
    ck_assert_uint_eq(le32(b + 377), 2);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(le32(b + 381 + 4 * i), 0);
    ck_assert_uint_eq(le32(b + 405), 0);      /* layers */
    ck_assert_uint_eq(le32(b + 409), 0);      /* patience */
    ck_assert_uint_eq(le64(b + 413), 0);      /* min_delta 0.0 */
    ck_assert_uint_eq(le32(b + 421), 0);      /* likelihood: GAUSSIAN */
    ck_assert_uint_eq(le32(b + 425), 0);      /* tables flag */
    ck_assert_uint_ne(le64(b + 429), 0);      /* generator state */
    ck_assert_uint_eq(le32(b + 461), 0);      /* samples */
    free(b);
    rec_model_free(m);
    rec_dataset_free(ds);
    remove_tmpdir();
}
END_TEST

/* Many features with one-letter column names: the smallest features a file can hold (28
 * bytes of description each), so the loader's bound on the feature count must not refuse
 * them. 4 user-side and 4 item-side CATEGORICAL features of dim 1 over columns "u", "v", "w",
 * "x" and "i", "j", "k", "l". */
START_TEST(test_serialize_many_short_features)
{
    make_tmpdir();
    const char *vals[] = {"a", "b", "c"};
    const double y[] = {1, 2, 3};
    const char *cols[8] = {"u", "v", "w", "x", "i", "j", "k", "l"};
    rec_dataset *ds;
    rec_model *m, *l;
    ck_assert_rec_ok(rec_dataset_create(&ds, 3));
    for (int c = 0; c < 8; c++)
        ck_assert_rec_ok(rec_dataset_add_strings(ds, cols[c], vals, 3));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "r", y, 3));
    ck_assert_rec_ok(rec_model_create(&m, 3));
    for (int c = 0; c < 8; c++)
        ck_assert_rec_ok(rec_model_add_feature(NULL, m, cols[c], REC_FEATURE_CATEGORICAL,
                                               c < 4 ? REC_SIDE_USER : REC_SIDE_ITEM, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "r"));
    ck_assert_rec_ok(rec_model_build(m, ds));
    char path[128];
    path_in_tmp(path, sizeof path, "short.rec");
    ck_assert_rec_ok(rec_model_save(m, path, 1));
    ck_assert_rec_ok(rec_model_load(&l, path));
    ck_assert_uint_eq(rec_model_n_features(l), 8);
    assert_same_predictions(m, l, ds);
    rec_model_free(m);
    rec_model_free(l);
    rec_dataset_free(ds);
    remove_tmpdir();
}
END_TEST

/* The optimizer section of a model with P parameters holding N floats in all (Adagrad: one
 * slot each) is a 24-byte table entry + count 4 + P·(kind 4 + slots 4 + steps 8 + length 8)
 * + 4·N. */
START_TEST(test_serialize_optimizer_section_size)
{
    make_tmpdir();
    char with[128], without[128];
    path_in_tmp(with, sizeof with, "with.rec");
    path_in_tmp(without, sizeof without, "without.rec");
    rec_dataset *ds = fx_synth_with_age(400, 30, 40, 7);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ONE_LAYER, 3));
    ck_assert_rec_ok(rec_model_build(m, ds));
    train_epochs(m, ds, 1);
    ck_assert_rec_ok(rec_model_save(m, with, 1));
    ck_assert_rec_ok(rec_model_save(m, without, 0));
    size_t a, b;
    free(rec_check_read_file(with, &a));
    free(rec_check_read_file(without, &b));
    /* one_layer: 2 tables + 2 layers × (kernel, bias) = 6 parameters */
    size_t P = 6, N = rec_model_n_params(m);
    ck_assert_uint_eq(a - b, 24 + 4 + 24 * P + 4 * N);
    rec_model_free(m);
    rec_dataset_free(ds);
    remove_tmpdir();
}
END_TEST

/* ---- hostile and damaged files ------------------------------------------------------------ */

START_TEST(test_serialize_truncated_at_every_length)
{
    make_tmpdir();
    char path[128], cut[128];
    path_in_tmp(path, sizeof path, "full.rec");
    path_in_tmp(cut, sizeof cut, "cut.rec");
    size_t n;
    unsigned char *b = saved_every_kind(path, &n);
    ck_assert_uint_gt(n, 1000);
    for (size_t len = 0; len < n; len++) {
        rec_model *l = (rec_model *)1;
        rec_check_write_file(cut, b, len);
        ck_assert_rec_fails(rec_model_load(&l, cut), REC_EFORMAT, cut);
        ck_assert_ptr_null(l);
    }
    rec_model *l;
    rec_check_write_file(cut, b, n);
    ck_assert_rec_ok(rec_model_load(&l, cut));
    rec_model_free(l);
    free(b);
    remove_tmpdir();
}
END_TEST

START_TEST(test_serialize_flipped_byte_in_each_section)
{
    make_tmpdir();
    char path[128], bad[128];
    path_in_tmp(path, sizeof path, "full.rec");
    path_in_tmp(bad, sizeof bad, "bad.rec");
    size_t n;
    unsigned char *b = saved_every_kind(path, &n);
    sect s[8];
    size_t ns = sections(b, s);
    ck_assert_uint_eq(ns, 8); /* DESC PREP EMBD DENS EXTN OPTM RNGS RANG */
    for (size_t i = 0; i < ns; i++) {
        /* first, middle and last byte of the section */
        size_t at[3] = {0, (size_t)s[i].length / 2, (size_t)s[i].length - 1};
        for (int k = 0; k < 3; k++) {
            size_t pos = (size_t)s[i].offset + at[k];
            rec_model *l = (rec_model *)1;
            b[pos] ^= 0x10;
            rec_check_write_file(bad, b, n);
            b[pos] ^= 0x10;
            ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "checksum");
            ck_assert_msg(strstr(rec_last_error(), s[i].tag) != NULL, "%s lacks %s",
                          rec_last_error(), s[i].tag);
            ck_assert_msg(strstr(rec_last_error(), bad) != NULL, "%s lacks the path",
                          rec_last_error());
            ck_assert_ptr_null(l);
        }
    }
    /* the header after the version, and the section table, have their own checksums */
    for (size_t pos = 12; pos < 32 + 24 * ns; pos++) {
        rec_model *l;
        b[pos] ^= 0x01;
        rec_check_write_file(bad, b, n);
        b[pos] ^= 0x01;
        ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "checksum");
    }
    free(b);
    remove_tmpdir();
}
END_TEST

START_TEST(test_serialize_wrong_magic_and_versions)
{
    make_tmpdir();
    char path[128], bad[128];
    path_in_tmp(path, sizeof path, "full.rec");
    path_in_tmp(bad, sizeof bad, "bad.rec");
    size_t n;
    unsigned char *b = saved_every_kind(path, &n);
    rec_model *l;

    b[3] = 'X'; /* "RECXODEL" */
    rec_check_write_file(bad, b, n);
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "not a librec model file");
    b[3] = 'M';
    rec_check_write_file(bad, (const unsigned char *)"hello, world\n", 13);
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "bad magic");

    /* a future version, with every checksum valid (the trained model has a label range, so
     * its file is version 2) */
    ck_assert_uint_eq(le32(b + 8), 2);
    set_le32(b + 8, 3);
    reseal(b);
    rec_check_write_file(bad, b, n);
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT,
                        "unsupported format version 3 (this librec reads versions 1 to 2)");
    set_le32(b + 8, 0);
    reseal(b);
    rec_check_write_file(bad, b, n);
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "version 0");
    /* version 1 has at most 7 sections, and no serving section */
    set_le32(b + 8, 1);
    reseal(b);
    rec_check_write_file(bad, b, n);
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "section count 8 is outside 1..7");
    set_le32(b + 8, 2);
    reseal(b);
    rec_check_write_file(bad, b, n);
    ck_assert_rec_ok(rec_model_load(&l, bad)); /* the edits were undone */
    rec_model_free(l);

    /* trailing garbage after the last section */
    unsigned char *longer = malloc(n + 3);
    memcpy(longer, b, n);
    memcpy(longer + n, "abc", 3);
    rec_check_write_file(bad, longer, n + 3);
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "trailing bytes");
    free(longer);
    free(b);
    remove_tmpdir();
}
END_TEST

/* Patch one little-endian u32 (or u64) inside a section, reseal every checksum, and check the
 * loader refuses it with REC_EFORMAT and a message containing `needle`. */
static void expect_refused(const unsigned char *orig, size_t n, const char *tag, size_t at,
                           uint64_t value, int wide, const char *needle)
{
    char bad[128];
    path_in_tmp(bad, sizeof bad, "crafted.rec");
    unsigned char *b = malloc(n);
    memcpy(b, orig, n);
    sect s[8];
    size_t ns = sections(b, s);
    const sect *x = find_section(s, ns, tag);
    ck_assert_uint_le(at + (wide ? 8 : 4), x->length);
    if (wide)
        set_le64(b + x->offset + at, value);
    else
        set_le32(b + x->offset + at, (uint32_t)value);
    reseal(b);
    rec_check_write_file(bad, b, n);
    rec_model *l = (rec_model *)1;
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, needle);
    ck_assert_msg(strstr(rec_last_error(), bad) != NULL, "%s lacks the path", rec_last_error());
    ck_assert_ptr_null(l);
    free(b);
}

/* Offsets inside the every-kind model's sections (docs/file-format.md):
 *   DESC: seed 0, interaction 8, feature count 12, feature 0's name length 16, name "user_id"
 *         20..26, kind 27, side 31, dim 35, buckets 39, max_tokens 43, boundaries flag 47
 *   PREP: kind 0, vocabulary size of user_id 4, first token length 8
 *   EMBD: table count 0, feature index 4, rows 8, dim 12
 *   DENS: layer count 0, n_in 4, n_out 8, activation 12
 *   OPTM: parameter count 0, kind 4, slot count 8, step count 12, slot length 20
 *   RNGS: the four state words 0, 8, 16, 24 */
START_TEST(test_serialize_crafted_counts_with_valid_checksums)
{
    make_tmpdir();
    char path[128];
    path_in_tmp(path, sizeof path, "full.rec");
    size_t n;
    unsigned char *b = saved_every_kind(path, &n);

    expect_refused(b, n, "DESC", 12, 0xffffffffu, 0, "feature count = 4294967295");
    expect_refused(b, n, "DESC", 16, 0xfffffff0u, 0, "column name = 4294967280");
    expect_refused(b, n, "DESC", 8, 7, 0, "interaction 7");
    expect_refused(b, n, "DESC", 27, 9, 0, "unknown feature kind 9");
    expect_refused(b, n, "DESC", 35, 0, 0, "dim 0");
    expect_refused(b, n, "DESC", 39, 0, 0, "bucket count 0");
    expect_refused(b, n, "DESC", 47, 5, 0, "boundaries flag 5");
    expect_refused(b, n, "PREP", 0, 3, 0, "feature kind 3 differs");
    expect_refused(b, n, "PREP", 4, 0x7fffffffu, 0, "vocabulary size = 2147483647");
    expect_refused(b, n, "PREP", 8, 0xffffffffu, 0, "vocabulary size = 4294967295");
    expect_refused(b, n, "EMBD", 0, 1000000, 0, "table count 1000000");
    expect_refused(b, n, "EMBD", 4, 3, 0, "feature index 3");
    expect_refused(b, n, "EMBD", 8, 0xffffffffu, 0, "does not match its preprocessing");
    expect_refused(b, n, "EMBD", 12, 65536, 0, "does not match its preprocessing");
    expect_refused(b, n, "DENS", 0, 0xffffffffu, 0, "layer count 4294967295");
    expect_refused(b, n, "DENS", 4, 0x10000u, 0, "does not match the description");
    expect_refused(b, n, "DENS", 12, 1, 0, "does not match the description");
    expect_refused(b, n, "OPTM", 0, 0xffffffffu, 0, "parameter count 4294967295");
    expect_refused(b, n, "OPTM", 4, 99, 0, "optimizer kind 99");
    expect_refused(b, n, "OPTM", 8, 2, 0, "slot count 2");
    expect_refused(b, n, "OPTM", 20, 1ull << 60, 1, "slot length");
    expect_refused(b, n, "OPTM", 4, 0, 0, "slot count 1 does not match optimizer kind 0");
    {
        unsigned char *z = malloc(n);
        memcpy(z, b, n);
        sect s[8];
        size_t ns = sections(z, s);
        const sect *r = find_section(s, ns, "RNGS");
        memset(z + r->offset, 0, 32);
        reseal(z);
        char bad[128];
        path_in_tmp(bad, sizeof bad, "zero.rec");
        rec_check_write_file(bad, z, n);
        rec_model *l;
        ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "all zero");
        free(z);
    }
    free(b);
    remove_tmpdir();
}
END_TEST

/* Random edits behind valid checksums (a fixed seed, so failures reproduce): the loader must
 * either accept the file or refuse it with REC_EFORMAT, never crash, read out of bounds (the
 * sanitizer build checks) or return anything else. */
START_TEST(test_serialize_random_edits_never_crash)
{
    make_tmpdir();
    char path[128], bad[128];
    path_in_tmp(path, sizeof path, "full.rec");
    path_in_tmp(bad, sizeof bad, "edit.rec");
    size_t n;
    unsigned char *b = saved_every_kind(path, &n);
    unsigned char *e = malloc(n);
    sect s[8];
    size_t ns = sections(b, s);
    rec_rng *rng;
    ck_assert_rec_ok(rec_rng_create(&rng, 2024));
    int refused = 0;
    for (int it = 0; it < 1500; it++) {
        memcpy(e, b, n);
        /* mostly the small structural sections, where counts and lengths live */
        const sect *x = &s[rec_rng_below(rng, (uint32_t)ns)];
        uint32_t edits = 1 + rec_rng_below(rng, 4);
        for (uint32_t k = 0; k < edits; k++) {
            size_t pos = (size_t)x->offset + rec_rng_below(rng, (uint32_t)x->length);
            uint32_t how = rec_rng_below(rng, 3);
            if (how == 0)
                e[pos] ^= (unsigned char)(1u << rec_rng_below(rng, 8));
            else if (how == 1)
                e[pos] = 0xff;
            else
                e[pos] = (unsigned char)rec_rng_below(rng, 256);
        }
        reseal(e);
        rec_check_write_file(bad, e, n);
        rec_model *l = NULL;
        rec_status rc = rec_model_load(&l, bad);
        ck_assert_msg(rc == REC_OK || rc == REC_EFORMAT, "edit %d: %d %s", it, rc,
                      rec_last_error());
        if (rc == REC_OK)
            ck_assert(rec_model_is_built(l));
        else
            ck_assert_ptr_null(l);
        refused += rc != REC_OK;
        rec_model_free(l);
    }
    /* most edits of counts, kinds and tokens are caught (weights are free-form) */
    ck_assert_int_gt(refused, 500);
    rec_rng_free(rng);
    free(e);
    free(b);
    remove_tmpdir();
}
END_TEST

START_TEST(test_serialize_load_errors)
{
    make_tmpdir();
    rec_model *l = (rec_model *)1;
    char missing[128];
    path_in_tmp(missing, sizeof missing, "missing.rec");
    ck_assert_rec_fails(rec_model_load(NULL, missing), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_model_load(&l, NULL), REC_EINVAL, "path");
    ck_assert_ptr_null(l);
    l = (rec_model *)1;
    ck_assert_rec_fails(rec_model_load(&l, missing), REC_EIO, missing);
    ck_assert_ptr_null(l);
    ck_assert_rec_fails(rec_model_load(&l, tmpdir), REC_EIO, "not a regular file");
    remove_tmpdir();
}
END_TEST

START_TEST(test_serialize_save_errors)
{
    make_tmpdir();
    char path[128];
    path_in_tmp(path, sizeof path, "m.rec");
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_DOT, 1));
    ck_assert_rec_fails(rec_model_save(NULL, path, 0), REC_EINVAL, "model is NULL");
    ck_assert_rec_fails(rec_model_save(m, NULL, 0), REC_EINVAL, "path");
    ck_assert_rec_fails(rec_model_save(m, "", 0), REC_EINVAL, "path");
    ck_assert_rec_fails(rec_model_save(m, path, 0), REC_ESTATE, "not built");
    ck_assert_int_eq(count_entries(), 0);
    rec_model_free(m);
    remove_tmpdir();
}
END_TEST

/* A save that fails must leave the previous file exactly as it was and no temporary file. */
static void assert_old_file_intact(const char *path, const unsigned char *old, size_t n_old)
{
    size_t n;
    unsigned char *now = rec_check_read_file(path, &n);
    ck_assert_uint_eq(n, n_old);
    ck_assert_int_eq(memcmp(now, old, n), 0);
    free(now);
}

START_TEST(test_serialize_failed_save_keeps_old_file)
{
    make_tmpdir();
    char path[128], gone[160];
    path_in_tmp(path, sizeof path, "model.rec");
    const unsigned char old[] = "the previous model file";
    rec_check_write_file(path, old, sizeof old);

    rec_dataset *ds = fx_synth_with_age(400, 30, 40, 7);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 1));
    ck_assert_rec_ok(rec_model_build(m, ds));

    /* 1. the directory does not exist */
    snprintf(gone, sizeof gone, "%s/no/such/dir/model.rec", tmpdir);
    ck_assert_rec_fails(rec_model_save(m, gone, 0), REC_EIO, "cannot create a temporary file");

    /* 2. the disk fills up while writing (a 4 KiB file-size limit: write fails with EFBIG;
     *    SIGXFSZ is ignored so the failure comes back as an error, as a full disk would) */
    struct rlimit old_lim, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old_lim), 0);
    lim = old_lim;
    lim.rlim_cur = 4096;
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    rec_status rc = rec_model_save(m, path, 1);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old_lim), 0);
    signal(SIGXFSZ, SIG_DFL);
    ck_assert_int_eq(rc, REC_EIO);
    ck_assert_msg(strstr(rec_last_error(), "cannot write") && strstr(rec_last_error(), path),
                  "message: %s", rec_last_error());
    assert_old_file_intact(path, old, sizeof old);
    ck_assert_int_eq(count_entries(), 1);

    /* 3. the destination is a directory: the rename fails after a complete write */
    char dir[128];
    path_in_tmp(dir, sizeof dir, "adir");
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_rec_fails(rec_model_save(m, dir, 0), REC_EIO, "cannot rename");
    ck_assert_int_eq(count_entries(), 2);

    /* 4. an unwritable directory (root ignores permissions: then only 1-3 apply) */
    if (geteuid() != 0) {
        ck_assert_int_eq(chmod(tmpdir, 0500), 0);
        ck_assert_rec_fails(rec_model_save(m, path, 0), REC_EIO, path);
        ck_assert_int_eq(chmod(tmpdir, 0700), 0);
        assert_old_file_intact(path, old, sizeof old);
        ck_assert_int_eq(count_entries(), 2);
    }

    /* and a working save replaces the file */
    ck_assert_rec_ok(rec_model_save(m, path, 0));
    size_t n;
    unsigned char *now = rec_check_read_file(path, &n);
    ck_assert_int_eq(memcmp(now, "RECMODEL", 8), 0);
    free(now);
    ck_assert_int_eq(count_entries(), 2);
    rec_model_free(m);
    rec_dataset_free(ds);
    remove_tmpdir();
}
END_TEST

START_TEST(test_serialize_free_null)
{
    rec_model_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("serialize");
    TCase *tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_serialize_roundtrip_presets);
    tcase_add_test(tc, test_serialize_roundtrip_every_feature_kind);
    tcase_add_loop_test(tc, test_serialize_resume_equals_uninterrupted, 0, (int)N_RESUME);
    suite_add_tcase(s, tc);

    tc = tcase_create("beyond");
    tcase_add_test(tc, test_serialize_mcmc_samples_roundtrip);
    suite_add_tcase(s, tc);

    tc = tcase_create("layout");
    tcase_add_test(tc, test_serialize_crc_reference_value);
    tcase_add_test(tc, test_serialize_layout_by_hand);
    tcase_add_test(tc, test_serialize_many_short_features);
    tcase_add_test(tc, test_serialize_optimizer_section_size);
    suite_add_tcase(s, tc);

    tc = tcase_create("damaged");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_serialize_truncated_at_every_length);
    tcase_add_test(tc, test_serialize_flipped_byte_in_each_section);
    tcase_add_test(tc, test_serialize_wrong_magic_and_versions);
    tcase_add_test(tc, test_serialize_crafted_counts_with_valid_checksums);
    tcase_add_test(tc, test_serialize_random_edits_never_crash);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_serialize_load_errors);
    tcase_add_test(tc, test_serialize_save_errors);
    tcase_add_test(tc, test_serialize_failed_save_keeps_old_file);
    tcase_add_test(tc, test_serialize_free_null);
    suite_add_tcase(s, tc);
    return rec_check_run(s);
}
