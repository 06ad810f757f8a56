/* Suite "alloc" (internal): allocation-failure injection over a whole life cycle.
 *
 * The cycle loads the MovieLens fixture of movielens_tiny.h and a CSV, joins a side table onto
 * the CSV, splits, describes and builds a model that uses every feature kind, fits it, trains
 * another epoch, evaluates, predicts, gives it an item catalogue and seen items (rec/serve.h)
 * and recommends, saves it with its optimizer state, loads it back and predicts and recommends
 * again (bit-identical), then does the same for a DOT model over the CSV, with clipping,
 * scores, the counts of unknown inputs and a replaced catalogue. It is run once to count
 * its allocations (T), then once for every N = 1..T with the N-th allocation failing
 * (rec__alloc_fail_at, effective when the internal library is built with
 * -Dalloc_testing=true; otherwise the suite reports a skip).
 *
 * Every step that fails must return REC_ENOMEM with a message and a NULL output, and leave its
 * handles usable: the step is then retried (only the N-th allocation fails, so the retry runs
 * normally) and must succeed, and the cycle goes on to the end with the same handles. Leaks are
 * checked by LeakSanitizer in the sanitizer pass (tests/run.sh builds build-asan with
 * -Dalloc_testing=true), after every N in-process so a leak names its N. Allocations made by
 * worker threads are not counted (the counter is per thread): the models here use one thread.
 */
#include "rec_check.h"
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#include "movielens_tiny.h"

static const char CSV[] = "user,item,rating,ts\n"
                          "u1,i1,4.5,10\nu2,i2,1.5,20\nu1,i2,3,30\nu3,i1,2,40\n";

/* A table for the table loader: quoting, a list column, an inferred id and a number. */
static const char TABLE[] = "user,item_id,tags,x\n\"u,1\",7,a;b,1.5\nu2,8,,\nu3,9,b,\"2\"\n";

static const char *const FILES[] = {"u.genre", "u.occupation", "u.user", "u.item", "u.data",
                                    "ratings.csv", "mlp.model", "dot.model"};
static char dir[96];

static void path_of(char *out, size_t cap, const char *name)
{
    ck_assert_int_lt(snprintf(out, cap, "%s/%s", dir, name), (int)cap);
}

static void write_text(const char *name, const char *text)
{
    char path[160];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
}

static void fixture_setup(void)
{
    /* tmpfs when there is one: saving fsyncs, and the cycle saves thousands of times */
    snprintf(dir, sizeof dir, "%s/rec_test_alloc_XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < ML_TINY_N_FILES; i++)
        write_text(ML_TINY_FILES[i].name, ML_TINY_FILES[i].text);
    write_text("ratings.csv", CSV);
}

static void fixture_teardown(void)
{
    char path[160];
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        path_of(path, sizeof path, FILES[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* ---- one cycle ------------------------------------------------------------------------------ */

typedef struct cycle {
    int failures;     /* steps that failed (each then retried successfully) */
    const char *step; /* the failing step, for messages */
    char message[256];
} cycle;

/* A non-NULL value that no constructor returns: a failed constructor must overwrite it. */
#define SENTINEL(type) ((type *)(void *)&sentinel_target)
static char sentinel_target;

/* The contract of a failed step: REC_ENOMEM, a message, and (for constructors) *out NULL. */
static void failed_step(cycle *c, int rc, const char *what, const void *out, int is_ctor)
{
    ck_assert_msg(rc == REC_ENOMEM, "%s -> %d (%s) under an allocation failure; message: %s",
                  what, rc, rec_status_str(rc), rec_last_error());
    ck_assert_msg(rec_last_error()[0] != '\0', "%s: ENOMEM without a message", what);
    ck_assert_msg(!is_ctor || out == NULL, "%s failed but left its output non-NULL", what);
    c->failures++;
    c->step = what;
    snprintf(c->message, sizeof c->message, "%s", rec_last_error());
}

/* Run `call`; when it fails, check the failure, then retry: the retry must succeed. */
#define STEP(c, call)                                                                         \
    do {                                                                                      \
        int rc_ = (call);                                                                     \
        if (rc_ != REC_OK) {                                                                  \
            failed_step(c, rc_, #call, NULL, 0);                                              \
            rc_ = (call);                                                                     \
            ck_assert_msg(rc_ == REC_OK, "retry of %s after an allocation failure -> %d: %s", \
                          #call, rc_, rec_last_error());                                      \
        }                                                                                     \
    } while (0)

/* The same for a constructor writing *out: out is preset to a sentinel, must come back NULL. */
#define CTOR(c, out, call)                                                                    \
    do {                                                                                      \
        out = SENTINEL(void);                                                                 \
        int rc_ = (call);                                                                     \
        if (rc_ != REC_OK) {                                                                  \
            failed_step(c, rc_, #call, out, 1);                                               \
            rc_ = (call);                                                                     \
            ck_assert_msg(rc_ == REC_OK, "retry of %s after an allocation failure -> %d: %s", \
                          #call, rc_, rec_last_error());                                      \
        }                                                                                     \
    } while (0)

/* A model over every feature kind, MLP interaction. */
static rec_model *describe_mlp(cycle *c)
{
    rec_model *m;
    uint32_t buckets = 0, text = 0;
    CTOR(c, m, rec_model_create(&m, 42));
    STEP(c, rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER,
                                  3));
    STEP(c, rec_model_add_feature(&buckets, m, "timestamp", REC_FEATURE_BUCKETIZED,
                                  REC_SIDE_USER, 2));
    STEP(c, rec_model_feature_set_bucket_count(m, buckets, 4));
    STEP(c, rec_model_add_feature(NULL, m, "timestamp", REC_FEATURE_NUMERIC, REC_SIDE_USER, 1));
    STEP(c, rec_model_add_feature(&text, m, "movie_title", REC_FEATURE_TEXT, REC_SIDE_ITEM, 2));
    STEP(c, rec_model_feature_set_max_tokens(m, text, 16));
    STEP(c, rec_model_add_feature(NULL, m, "movie_genres", REC_FEATURE_CATEGORICAL_LIST,
                                  REC_SIDE_ITEM, 2));
    STEP(c, rec_model_add_feature(NULL, m, "movie_id", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM,
                                  2));
    STEP(c, rec_model_set_interaction(m, REC_INTERACTION_MLP));
    STEP(c, rec_model_add_layer(m, 4, REC_ACTIVATION_RELU));
    STEP(c, rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    STEP(c, rec_model_set_label(m, "user_rating"));
    return m;
}

/* Recommendations of two models for every row of users agree bit for bit (k = 2, the items
 * each row's user has seen left out). */
static void same_recommendations(cycle *c, const rec_model *a, const rec_model *b,
                                 const rec_dataset *users)
{
    size_t rows = rec_dataset_size(users), na[16], nb[16];
    const char *ia[32], *ib[32];
    float sa[32], sb[32];
    ck_assert_uint_le(rows, 16);
    STEP(c, rec_model_recommend_users(ia, sa, na, 2, a, users, 1));
    STEP(c, rec_model_recommend_users(ib, sb, nb, 2, b, users, 1));
    for (size_t r = 0; r < rows; r++) {
        ck_assert_uint_eq(na[r], nb[r]);
        for (size_t j = 0; j < na[r]; j++) {
            ck_assert_str_eq(ia[2 * r + j], ib[2 * r + j]);
            ck_assert_mem_eq(&sa[2 * r + j], &sb[2 * r + j], sizeof(float));
        }
    }
}

/* Predictions of two models on ds agree bit for bit. */
static void same_predictions(cycle *c, const rec_model *a, const rec_model *b,
                             const rec_dataset *ds)
{
    size_t n = rec_dataset_size(ds);
    float pa[16], pb[16];
    ck_assert_uint_le(n, 16);
    STEP(c, rec_model_predict(a, ds, pa, n));
    STEP(c, rec_model_predict(b, ds, pb, n));
    ck_assert_mem_eq(pa, pb, n * sizeof *pa);
}

/* A side table of the CSV's items joined onto it: i1 is there, i2 is not (filled), i3 is
 * unused; a string, a number and a string-list column. A failed join leaves csv unchanged. */
static void join_side_table(cycle *c, rec_dataset *csv)
{
    static const char *ids[] = {"i3", "i1"}, *brands[] = {"acme", "zenith"};
    static const char *tags[] = {"new", "red", "sale"};
    static const double price[] = {9.5, 3.25};
    static const size_t offsets[] = {0, 1, 3};
    rec_dataset *side;
    CTOR(c, side, rec_dataset_create(&side, 2));
    STEP(c, rec_dataset_add_strings(side, "item_id", ids, 2));
    STEP(c, rec_dataset_add_strings(side, "brand", brands, 2));
    STEP(c, rec_dataset_add_numbers(side, "price", price, 2));
    STEP(c, rec_dataset_add_string_lists(side, "tags", tags, offsets, 2));
    size_t n_cols = rec_dataset_n_columns(csv), unmatched = 0, unused = 0;
    int rc = rec_dataset_join(&unmatched, &unused, csv, "item_id", side, NULL,
                              REC_JOIN_FILL_MISSING);
    if (rc != REC_OK) {
        failed_step(c, rc, "rec_dataset_join", NULL, 0);
        ck_assert_uint_eq(rec_dataset_n_columns(csv), n_cols); /* unchanged */
        ck_assert_rec_ok(rec_dataset_join(&unmatched, &unused, csv, "item_id", side, NULL,
                                          REC_JOIN_FILL_MISSING));
    }
    ck_assert_uint_eq(rec_dataset_n_columns(csv), n_cols + 3);
    ck_assert_uint_eq(unmatched, 2);
    ck_assert_uint_eq(unused, 1);
    rec_dataset_free(side);
}

static void run_cycle(cycle *c)
{
    char csv_path[160], mlp_path[160], dot_path[160];
    path_of(csv_path, sizeof csv_path, "ratings.csv");
    path_of(mlp_path, sizeof mlp_path, "mlp.model");
    path_of(dot_path, sizeof dot_path, "dot.model");
    rec_dataset *ds, *csv, *train, *test, *sub;
    rec_model *m, *loaded, *dot, *dot_loaded;
    rec_optimizer *opt;
    double rmse, mae, loss;

    /* load and split */
    CTOR(c, ds, rec_dataset_load_movielens(&ds, dir, NULL));
    CTOR(c, csv, rec_dataset_load_delimited(&csv, csv_path, ',', 1, 0, 1, 2, 3));
    rec_table_options *topt;
    rec_dataset *table;
    CTOR(c, topt, rec_table_options_create(&topt));
    STEP(c, rec_table_options_set_column(topt, "user", REC_TABLE_STRING, "user_id"));
    STEP(c, rec_table_options_set_column(topt, "tags", REC_TABLE_STRING_LIST, NULL));
    STEP(c, rec_table_options_set_list_separator(topt, "tags", ';'));
    STEP(c, rec_table_options_set_missing(topt, "x", REC_MISSING_ALLOW));
    CTOR(c, table, rec_dataset_parse_table(&table, TABLE, strlen(TABLE), "t.csv", topt));
    rec_dataset_free(table);
    CTOR(c, table, rec_dataset_load_table(&table, csv_path, NULL));
    rec_dataset_free(table);
    rec_table_options_free(topt);
    train = test = SENTINEL(rec_dataset);
    int rc = rec_dataset_shuffle_split(&train, &test, ds, 4, 7);
    if (rc != REC_OK) {
        failed_step(c, rc, "rec_dataset_shuffle_split", train, 1);
        ck_assert_ptr_null(test);
        ck_assert_rec_ok(rec_dataset_shuffle_split(&train, &test, ds, 4, 7));
    }
    const uint32_t rows[] = {5, 0, 5};
    CTOR(c, sub, rec_dataset_subset(&sub, ds, rows, 3));
    join_side_table(c, csv);

    /* describe, build, train, evaluate */
    m = describe_mlp(c);
    rc = rec_model_build(m, ds);
    if (rc != REC_OK) {
        failed_step(c, rc, "rec_model_build", NULL, 0);
        ck_assert(!rec_model_is_built(m)); /* "model left unbuilt, usable again" */
        ck_assert_rec_ok(rec_model_build(m, ds));
    }
    CTOR(c, opt, rec_optimizer_create_adagrad(&opt, 0.1f));
    STEP(c, rec_model_fit(m, opt, train, test, 2, 2, 2, NULL, NULL));
    STEP(c, rec_model_train_epoch(m, opt, train, 3, &loss, &rmse));
    STEP(c, rec_model_evaluate(m, test, 2, &rmse, &mae));

    /* prepared features: a gradient from them, applied */
    rec_features *feats;
    const uint32_t batch[] = {0, 1, 0};
    CTOR(c, feats, rec_features_create(&feats, m, train));
    STEP(c, rec_model_compute_gradients_features(m, feats, batch, 3, &loss));
    STEP(c, rec_model_apply_gradients(m, opt));
    rec_features_free(feats);

    /* serving: a catalogue of the movies (a TEXT and a list column among its columns), the
     * users' seen movies, a recommendation leaving out one id and the seen ones */
    const char *ids[3], *leave_out[] = {"1"};
    float scores[3];
    size_t n_ids;
    STEP(c, rec_model_set_catalog(m, ds, "movie_id"));
    STEP(c, rec_model_set_seen(m, train, "user_id", "movie_id"));
    STEP(c, rec_model_recommend_user(ids, scores, &n_ids, 3, m, sub, 0, leave_out, 1, 1));

    /* save with the optimizer state, load, compare */
    STEP(c, rec_model_save(m, mlp_path, 1));
    CTOR(c, loaded, rec_model_load(&loaded, mlp_path));
    same_predictions(c, m, loaded, sub);
    same_recommendations(c, m, loaded, sub);
    STEP(c, rec_model_train_epoch(loaded, opt, train, 2, &loss, NULL)); /* resumes */

    /* a DOT model over the CSV, saved without optimizer state */
    CTOR(c, dot, rec_model_create(&dot, 3));
    STEP(c, rec_model_set_label(dot, "user_rating"));
    STEP(c, rec_model_add_feature(NULL, dot, "user_id", REC_FEATURE_CATEGORICAL, REC_SIDE_USER,
                                  2));
    STEP(c, rec_model_add_feature(NULL, dot, "item_id", REC_FEATURE_CATEGORICAL, REC_SIDE_ITEM,
                                  2));
    STEP(c, rec_model_build(dot, csv));
    STEP(c, rec_model_train_epoch(dot, opt, csv, 2, &loss, NULL));
    /* serving with clipping; a second catalogue takes the seen items over */
    const char *items[] = {"i2", "i1"};
    uint32_t unknown[4];
    STEP(c, rec_model_set_catalog(dot, csv, "item_id"));
    STEP(c, rec_model_set_seen(dot, csv, "user_id", "item_id"));
    STEP(c, rec_model_set_catalog(dot, csv, "item_id"));
    STEP(c, rec_model_set_clip(dot, 1));
    STEP(c, rec_model_score_items(scores, 2, dot, csv, 1, items));
    STEP(c, rec_model_count_unknown(unknown, 4, dot, csv));
    STEP(c, rec_model_save(dot, dot_path, 0));
    CTOR(c, dot_loaded, rec_model_load(&dot_loaded, dot_path));
    same_predictions(c, dot, dot_loaded, csv);
    same_recommendations(c, dot, dot_loaded, csv);

    rec_model_free(dot_loaded);
    rec_model_free(dot);
    rec_model_free(loaded);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(sub);
    rec_dataset_free(test);
    rec_dataset_free(train);
    rec_dataset_free(csv);
    rec_dataset_free(ds);
}

/* ---- the test ------------------------------------------------------------------------------- */

START_TEST(test_alloc_every_failure_in_the_cycle)
{
    /* count the cycle's allocations */
    cycle c = {0};
    rec__alloc_fail_at(0);
    run_cycle(&c);
    unsigned long total = rec__alloc_count();
    ck_assert_int_eq(c.failures, 0);
    ck_assert_uint_gt(total, 100); /* the cycle really allocates (and is counted) */

    unsigned long failed = 0, absorbed = 0;
    for (unsigned long n = 1; n <= total; n++) {
        memset(&c, 0, sizeof c);
        rec__alloc_fail_at(n);
        run_cycle(&c);
        /* at most one step fails, since only one allocation does */
        ck_assert_msg(c.failures <= 1, "N = %lu: %d steps failed", n, c.failures);
        failed += c.failures == 1;
        absorbed += c.failures == 0;
#ifdef HAVE_LSAN
        ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
                      "N = %lu: leak after the failure of %s (%s)", n,
                      c.step ? c.step : "nothing", c.message);
#endif
    }
    rec__alloc_fail_at(0);
    printf("alloc: %lu allocations in the cycle; each failed once: %lu reported REC_ENOMEM, "
           "%lu were absorbed (the call still succeeded)%s\n", total, failed, absorbed,
#ifdef HAVE_LSAN
           ", no leak after any of them"
#else
           " (leaks are checked in the sanitizer build)"
#endif
    );
    /* nearly every allocation is on a path whose failure must surface */
    ck_assert_uint_ge(failed * 10, total * 9);
}
END_TEST

/* Training on two threads allocates more on the calling thread: DOT's per-owner lists, an
 * MLP's feature assignment and timings (lib/train/fast_dot.c, fast_mlp.c). Each of those
 * allocations, failing, makes rec_model_train_epoch return REC_ENOMEM with a message, and the
 * next call succeeds. */
START_TEST(test_alloc_two_thread_training)
{
    /* tables of > 2 MB, or DOT would train on one thread whatever the setting */
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(rec_dataset_synthesize(&ds, 30000, 12000, 9000, 5));
    static const rec_preset presets[] = {REC_PRESET_DOT, REC_PRESET_ONE_LAYER,
                                         REC_PRESET_ENRICHED};
    for (int i = 0; i < 3; i++) {
        rec_model *m = NULL;
        rec_optimizer *opt = NULL;
        ck_assert_rec_ok(rec_model_create_preset(&m, presets[i], 3));
        ck_assert_rec_ok(rec_model_build(m, ds));
        ck_assert_rec_ok(rec_model_set_threads(m, 2));
        ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
        double loss;
        rec__alloc_fail_at(0);
        ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 512, &loss, NULL));
        unsigned long total = rec__alloc_count();
        unsigned long failed = 0;
        for (unsigned long n = 1; n <= total; n++) {
            rec__alloc_fail_at(n);
            int rc = rec_model_train_epoch(m, opt, ds, 512, &loss, NULL);
            rec__alloc_fail_at(0);
            ck_assert_msg(rc == REC_OK || rc == REC_ENOMEM, "preset %d, N = %lu: %d", i, n, rc);
            if (rc == REC_ENOMEM) {
                failed++;
                ck_assert_ptr_nonnull(strstr(rec_last_error(), "rec_model_train_epoch"));
                ck_assert_ptr_nonnull(strstr(rec_last_error(), "out of memory"));
            }
            ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 512, &loss, NULL));
#ifdef HAVE_LSAN
            ck_assert_msg(__lsan_do_recoverable_leak_check() == 0, "preset %d, N = %lu: leak", i,
                          n);
#endif
        }
        ck_assert_uint_gt(failed, 0);
        rec_optimizer_free(opt);
        rec_model_free(m);
    }
    rec_dataset_free(ds);
}
END_TEST

/* A call under test: returns its status. */
typedef struct alloc_call {
    rec_model *m;
    const rec_dataset *ds;
    float *out;
    int predict; /* rec_model_predict, else rec_model_evaluate */
} alloc_call;

static int call_once(const alloc_call *c)
{
    double rmse;
    size_t n = rec_dataset_size(c->ds);
    return c->predict ? rec_model_predict(c->m, c->ds, c->out, n)
                      : rec_model_evaluate(c->m, c->ds, 4096, &rmse, NULL);
}

/* Each allocation of the calling thread in the call, failing in turn, makes it return
 * REC_ENOMEM with a message naming it, leaks nothing, and the next call succeeds. */
static void fail_each_allocation(const alloc_call *c)
{
    const char *fn = c->predict ? "rec_model_predict" : "rec_model_evaluate";
    rec__alloc_fail_at(0);
    ck_assert_rec_ok(call_once(c));
    unsigned long total = rec__alloc_count(), failed = 0;
    for (unsigned long k = 1; k <= total; k++) {
        rec__alloc_fail_at(k);
        int rc = call_once(c);
        rec__alloc_fail_at(0);
        ck_assert_msg(rc == REC_OK || rc == REC_ENOMEM, "%s, N = %lu: %d", fn, k, rc);
        if (rc == REC_ENOMEM) {
            failed++;
            ck_assert_msg(strstr(rec_last_error(), fn) != NULL, "N = %lu: %s", k,
                          rec_last_error());
        }
        ck_assert_rec_ok(call_once(c));
#ifdef HAVE_LSAN
        ck_assert_msg(__lsan_do_recoverable_leak_check() == 0, "%s, N = %lu: leak", fn, k);
#endif
    }
    ck_assert_uint_gt(failed, 0);
}

/* Evaluation and prediction on two threads start their pool before the feature set, which is
 * built on it (lib/infer/predict.c, forward_prepare; lib/model/featset.c, build_parallel): each
 * allocation of the calling thread, failing, makes the call return REC_ENOMEM with a message
 * naming it, leaks nothing, and the next call succeeds. */
START_TEST(test_alloc_two_thread_evaluation)
{
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(rec_dataset_synthesize(&ds, 6000, 200, 300, 7));
    rec_model *m = NULL;
    ck_assert_rec_ok(rec_model_create_preset(&m, REC_PRESET_ENRICHED, 3));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_set_threads(m, 2));
    float *out = malloc(rec_dataset_size(ds) * sizeof *out);
    ck_assert_ptr_nonnull(out);
    for (int pass = 0; pass < 2; pass++) /* evaluate, then predict */
        fail_each_allocation(&(alloc_call){m, ds, out, pass});
    free(out);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* A Gibbs-sampled FM predicting 9,000 rows on two threads splits each sample's sums between
 * them (lib/mcmc/predict.c, predictor_split); fail_each_allocation as above. */
START_TEST(test_alloc_two_thread_mcmc_prediction)
{
    rec_dataset *ds = NULL;
    ck_assert_rec_ok(rec_dataset_synthesize(&ds, 9000, 200, 300, 7));
    rec_model *m = NULL;
    ck_assert_rec_ok(rec_model_create(&m, 3));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 4));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 4));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_fit_mcmc(m, ds, 6, 2, NULL, NULL, NULL));
    ck_assert_rec_ok(rec_model_set_threads(m, 2));
    float *out = malloc(rec_dataset_size(ds) * sizeof *out);
    ck_assert_ptr_nonnull(out);
    fail_each_allocation(&(alloc_call){m, ds, out, 1});
    free(out);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* rec__alloc_fail_at only works in a build with -Dalloc_testing=true. */
static int injection_active(void)
{
    rec_vocab *v = NULL;
    rec__alloc_fail_at(1);
    int rc = rec_vocab_create(&v, NULL, 0);
    rec__alloc_fail_at(0);
    rec_vocab_free(v);
    return rc == REC_ENOMEM;
}

int main(void)
{
    if (!injection_active()) {
        printf("alloc: skipped, the internal library was built without -Dalloc_testing=true\n");
        return 77; /* meson: skipped */
    }
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("cycle");
    tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_alloc_every_failure_in_the_cycle);
    tcase_add_test(tc, test_alloc_two_thread_training);
    tcase_add_test(tc, test_alloc_two_thread_evaluation);
    tcase_add_test(tc, test_alloc_two_thread_mcmc_prediction);
    suite_add_tcase(s, tc);
    return rec_check_run(s);
}
