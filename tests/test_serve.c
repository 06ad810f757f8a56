/* Suite "serve": serving a model from its item catalogue (rec/serve.h). On a small generated
 * dataset (users u0.., items i0.. with an item-side category, string-list tags and a title, a
 * numeric user age; fixed seed), a DOT and an MLP model trained a few epochs:
 * recommendations equal a brute-force scoring of every catalogue item through
 * rec_model_predict, sorted; exclusions remove exactly their items; the batch call equals the
 * per-row one; scores equal predictions; clipping holds an extreme input within the label
 * range; unknown inputs are counted; the serving state survives save and load (format
 * version 2, checked byte by byte, and refused when damaged), a model without it still saves
 * as version 1; and every failure returns its code with a message naming what is wrong. */
#include "rec_check.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { NU = 12, NI = 20, NR = 480 };

static const char *CATS[] = {"drama", "comedy", "horror", "action"};
static const char *WORDS[] = {"red", "blue", "night", "day", "star", "sea"};

/* ---- the generated data --------------------------------------------------------------------- */

/* Item i's values: id "i<i>", category, two tags and a title of two words; user u's: id "u<u>"
 * and age. Strings live in static buffers indexed by the item or user. */
static char item_id[NI + 8][8], item_title[NI + 8][32], item_tag[NI + 8][2][8];
static char user_id[NU + 8][8], user_uid[NU + 8][8];

static void names(void)
{
    for (int i = 0; i < NI + 8; i++) {
        snprintf(item_id[i], sizeof item_id[i], "i%d", i);
        snprintf(item_title[i], sizeof item_title[i], "%s %s", WORDS[i % 6], WORDS[(i / 2) % 6]);
        snprintf(item_tag[i][0], sizeof item_tag[i][0], "t%d", i % 3);
        snprintf(item_tag[i][1], sizeof item_tag[i][1], "t%d", 3 + (i + 1) % 2);
    }
    for (int u = 0; u < NU + 8; u++) {
        snprintf(user_id[u], sizeof user_id[u], "u%d", u);
        snprintf(user_uid[u], sizeof user_uid[u], "U%d", u);
    }
}

static double age_of(int u)
{
    return 18.0 + 3.0 * u;
}

/* Rows (user[r], item[r]); with_user/with_item: the user-side / item-side columns; with_label:
 * the rating, 1 + ((7u + 3i) mod 5) + a uniform draw of [0, 0.5). */
static rec_dataset *dataset(const int *user, const int *item, size_t n, int with_user,
                            int with_item, int with_label, uint64_t seed)
{
    const char **uids = malloc(n * sizeof *uids), **uids2 = malloc(n * sizeof *uids2);
    const char **ids = malloc(n * sizeof *ids), **cats = malloc(n * sizeof *cats);
    const char **titles = malloc(n * sizeof *titles), **tags = malloc(2 * n * sizeof *tags);
    size_t *off = malloc((n + 1) * sizeof *off);
    double *age = malloc(n * sizeof *age), *y = malloc(n * sizeof *y);
    rec_rng *rng;
    ck_assert_rec_ok(rec_rng_create(&rng, seed));
    off[0] = 0;
    for (size_t r = 0; r < n; r++) {
        if (with_user) {
            uids[r] = user_id[user[r]];
            uids2[r] = user_uid[user[r]];
            age[r] = age_of(user[r]);
        }
        if (with_item) {
            ids[r] = item_id[item[r]];
            cats[r] = CATS[item[r] % 4];
            titles[r] = item_title[item[r]];
            tags[2 * r] = item_tag[item[r]][0];
            tags[2 * r + 1] = item_tag[item[r]][1];
        }
        off[r + 1] = 2 * (r + 1);
        y[r] = 1.0 + (double)((7 * user[r] + 3 * item[r]) % 5) + 0.5 * rec_rng_uniform(rng);
    }
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, n));
    if (with_user) {
        ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", uids, n));
        ck_assert_rec_ok(rec_dataset_add_strings(ds, "uid", uids2, n));
        ck_assert_rec_ok(rec_dataset_add_numbers(ds, "age", age, n));
    }
    if (with_item) {
        ck_assert_rec_ok(rec_dataset_add_strings(ds, "item_id", ids, n));
        ck_assert_rec_ok(rec_dataset_add_strings(ds, "category", cats, n));
        ck_assert_rec_ok(rec_dataset_add_strings(ds, "title", titles, n));
        ck_assert_rec_ok(rec_dataset_add_string_lists(ds, "tags", tags, off, n));
    }
    if (with_label)
        ck_assert_rec_ok(rec_dataset_add_numbers(ds, "rating", y, n));
    rec_rng_free(rng);
    free(uids);
    free(uids2);
    free(ids);
    free(cats);
    free(titles);
    free(tags);
    free(off);
    free(age);
    free(y);
    return ds;
}

/* NR random (user, item) ratings of users 0..NU−1 and items 0..NI−1. */
static rec_dataset *ratings(uint64_t seed)
{
    int user[NR], item[NR];
    rec_rng *rng;
    ck_assert_rec_ok(rec_rng_create(&rng, seed));
    for (int r = 0; r < NR; r++) {
        user[r] = (int)rec_rng_below(rng, NU);
        item[r] = (int)rec_rng_below(rng, NI);
    }
    rec_rng_free(rng);
    return dataset(user, item, NR, 1, 1, 1, seed + 1);
}

/* Users rows of the given user indices (≥ NU: users the model never saw). */
static rec_dataset *users_of(const int *u, size_t n)
{
    int item[16] = {0};
    ck_assert_uint_le(n, 16);
    return dataset(u, item, n, 1, 0, 0, 1);
}

/* The items table: i0..i(NI−1), then i3 again with other values, which the first row of i3
 * overrides in the catalogue. */
static rec_dataset *items_table(void)
{
    /* the duplicate row: the id of item 3, the other values of item 5 */
    const char *ids[NI + 1], *cats[NI + 1], *titles[NI + 1], *tags[2 * (NI + 1)];
    size_t off[NI + 2];
    off[0] = 0;
    for (int r = 0; r <= NI; r++) {
        int i = r < NI ? r : 5;
        ids[r] = item_id[r < NI ? r : 3];
        cats[r] = CATS[i % 4];
        titles[r] = item_title[i];
        tags[2 * r] = item_tag[i][0];
        tags[2 * r + 1] = item_tag[i][1];
        off[r + 1] = 2 * (size_t)(r + 1);
    }
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, NI + 1));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "item_id", ids, NI + 1));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "category", cats, NI + 1));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "title", titles, NI + 1));
    ck_assert_rec_ok(rec_dataset_add_string_lists(ds, "tags", tags, off, NI + 1));
    return ds;
}

/* ---- the models ----------------------------------------------------------------------------- */

/* DOT: user_id (3) + age (1) · item_id (2) + category (2). MLP: user_id (4), age; item_id (4),
 * category (3), tags (2), title words (2) → Dense(8, relu) → Dense(1). Built on ds and
 * trained 5 epochs. */
static rec_model *trained(int mlp, const rec_dataset *ds)
{
    rec_model *m;
    uint32_t t;
    ck_assert_rec_ok(rec_model_create(&m, mlp ? 11 : 7));
    ck_assert_rec_ok(rec_model_set_label(m, "rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, mlp ? 4 : 3));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "age", REC_FEATURE_NUMERIC, REC_SIDE_USER,
                                           1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "item_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, mlp ? 4 : 2));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "category", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, mlp ? 3 : 2));
    if (mlp) {
        ck_assert_rec_ok(rec_model_add_feature(NULL, m, "tags", REC_FEATURE_CATEGORICAL_LIST,
                                               REC_SIDE_ITEM, 2));
        ck_assert_rec_ok(rec_model_add_feature(&t, m, "title", REC_FEATURE_TEXT, REC_SIDE_ITEM,
                                               2));
        ck_assert_rec_ok(rec_model_feature_set_max_tokens(m, t, 16));
        ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_MLP));
        ck_assert_rec_ok(rec_model_add_layer(m, 8, REC_ACTIVATION_RELU));
        ck_assert_rec_ok(rec_model_add_layer(m, 1, REC_ACTIVATION_LINEAR));
    }
    ck_assert_rec_ok(rec_model_build(m, ds));
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    for (int e = 0; e < 5; e++)
        ck_assert_rec_ok(rec_model_train_epoch(m, opt, ds, 32, NULL, NULL));
    rec_optimizer_free(opt);
    return m;
}

/* A trained model with the items table as its catalogue. */
static rec_model *served(int mlp, rec_dataset **ratings_out)
{
    names();
    rec_dataset *ds = ratings(mlp ? 21 : 20);
    rec_model *m = trained(mlp, ds);
    rec_dataset *items = items_table();
    ck_assert_rec_ok(rec_model_set_catalog(m, items, "item_id"));
    rec_dataset_free(items);
    if (ratings_out)
        *ratings_out = ds;
    else
        rec_dataset_free(ds);
    return m;
}

/* Predictions of user u (age `age`) for items[0..n) through rec_model_predict on a dataset
 * built from the raw values. */
static void brute_scores(float *out, const rec_model *m, int u, double age, const int *items,
                         size_t n)
{
    int user[NI + 8];
    ck_assert_uint_le(n, NI + 8);
    for (size_t r = 0; r < n; r++)
        user[r] = u;
    rec_dataset *ds = dataset(user, items, n, 0, 1, 0, 1);
    const char *ids[NI + 8];
    double a[NI + 8];
    for (size_t r = 0; r < n; r++) {
        ids[r] = user_id[u];
        a[r] = age;
    }
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", ids, n));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "age", a, n));
    ck_assert_rec_ok(rec_model_predict(m, ds, out, n));
    rec_dataset_free(ds);
}

/* The catalogue's order: i0..i(NI−1). Brute-force top-k of user u excluding skip[i]: scores
 * descending, ties by catalogue order. */
static size_t brute_top(int *ids_out, float *scores_out, const rec_model *m, int u,
                        const unsigned char *skip, size_t k)
{
    int items[NI];
    float s[NI];
    for (int i = 0; i < NI; i++)
        items[i] = i;
    brute_scores(s, m, u, age_of(u), items, NI);
    unsigned char used[NI] = {0};
    size_t n = 0;
    for (; n < k; n++) {
        int best = -1;
        for (int i = 0; i < NI; i++)
            if (!used[i] && !(skip && skip[i]) && (best < 0 || s[i] > s[best]))
                best = i;
        if (best < 0)
            break;
        used[best] = 1;
        ids_out[n] = best;
        scores_out[n] = s[best];
    }
    return n;
}

static void expect_top(const rec_model *m, int u, const char **ids, const float *scores,
                       size_t n, const unsigned char *skip, size_t k)
{
    int want[NI];
    float ws[NI];
    size_t wn = brute_top(want, ws, m, u, skip, k);
    ck_assert_uint_eq(n, wn);
    for (size_t j = 0; j < n; j++) {
        ck_assert_str_eq(ids[j], item_id[want[j]]);
        ck_assert_msg(scores[j] == ws[j], "user %d, rank %zu: %.9g vs %.9g", u, j,
                      (double)scores[j], (double)ws[j]);
    }
}

/* ---- recommendations ------------------------------------------------------------------------- */

static void check_brute_force(int mlp)
{
    rec_model *m = served(mlp, NULL);
    ck_assert_uint_eq(rec_model_catalog_size(m), NI);
    for (int i = 0; i < NI; i++)
        ck_assert_str_eq(rec_model_catalog_item(m, (size_t)i), item_id[i]);
    const int us[] = {0, 5, 11, NU + 1}; /* the last: a user the model never saw */
    rec_dataset *users = users_of(us, 4);
    const char *ids[NI + 5];
    float scores[NI + 5];
    size_t n;
    for (size_t r = 0; r < 4; r++) {
        const size_t ks[] = {1, 5, NI, NI + 5};
        for (size_t q = 0; q < 4; q++) {
            ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, ks[q], m, users, r, NULL,
                                                      0, 0));
            expect_top(m, us[r], ids, scores, n, NULL, ks[q]);
        }
        /* scores_out may be NULL */
        const char *ids2[5];
        ck_assert_rec_ok(rec_model_recommend_user(ids2, NULL, &n, 5, m, users, r, NULL, 0, 0));
        ck_assert_uint_eq(n, 5);
        ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, 5, m, users, r, NULL, 0, 0));
        for (int j = 0; j < 5; j++)
            ck_assert_ptr_eq(ids2[j], ids[j]); /* borrowed from the catalogue */
    }
    /* k = 0: nothing, and ids_out may be NULL */
    n = 99;
    ck_assert_rec_ok(rec_model_recommend_user(NULL, NULL, &n, 0, m, users, 0, NULL, 0, 0));
    ck_assert_uint_eq(n, 0);
    rec_dataset_free(users);
    rec_model_free(m);
}

START_TEST(test_serve_recommend_user_equals_brute_force_dot)
{
    check_brute_force(0);
}
END_TEST

START_TEST(test_serve_recommend_user_equals_brute_force_mlp)
{
    check_brute_force(1);
}
END_TEST

/* The first row of an id wins: the catalogue's i3 is i3's row, not the later duplicate. */
START_TEST(test_serve_catalog_first_row_wins)
{
    rec_model *m = served(1, NULL);
    const int us[] = {2};
    rec_dataset *users = users_of(us, 1);
    const char *id = "i3";
    float got, want;
    int three = 3;
    ck_assert_rec_ok(rec_model_score_items(&got, 1, m, users, 0, &id));
    brute_scores(&want, m, 2, age_of(2), &three, 1);
    ck_assert_float_eq(got, want);
    rec_dataset_free(users);
    rec_model_free(m);
}
END_TEST

static void check_exclusions(int mlp)
{
    rec_dataset *ds;
    rec_model *m = served(mlp, &ds);
    const int us[] = {4, NU + 2};
    rec_dataset *users = users_of(us, 2);
    const char *ids[NI];
    float scores[NI];
    size_t n;
    /* an exclude list: its catalogue ids go, unknown ids are ignored */
    const char *ex[] = {"i0", "i7", "nope", "i19", "i7"};
    unsigned char skip[NI] = {0};
    skip[0] = skip[7] = skip[19] = 1;
    ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, NI, m, users, 0, ex, 5, 0));
    ck_assert_uint_eq(n, NI - 3);
    expect_top(m, 4, ids, scores, n, skip, NI);
    ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, 4, m, users, 0, ex, 5, 0));
    expect_top(m, 4, ids, scores, n, skip, 4);

    /* exclude_seen: the items of the user's ratings */
    ck_assert_rec_ok(rec_model_set_seen(m, ds, "user_id", "item_id"));
    uint32_t cu, ci;
    ck_assert_rec_ok(rec_dataset_column(&cu, ds, "user_id"));
    ck_assert_rec_ok(rec_dataset_column(&ci, ds, "item_id"));
    unsigned char seen[NI] = {0};
    int n_seen = 0;
    for (size_t r = 0; r < rec_dataset_size(ds); r++)
        if (strcmp(rec_dataset_string(ds, cu, r), "u4") == 0) {
            int i = atoi(rec_dataset_string(ds, ci, r) + 1);
            n_seen += !seen[i];
            seen[i] = 1;
        }
    ck_assert_int_gt(n_seen, 0);
    ck_assert_int_lt(n_seen, NI);
    ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, NI, m, users, 0, NULL, 0, 1));
    ck_assert_uint_eq(n, (size_t)(NI - n_seen));
    expect_top(m, 4, ids, scores, n, seen, NI);
    /* both */
    unsigned char both[NI];
    size_t n_both = 0;
    for (int i = 0; i < NI; i++)
        n_both += (both[i] = seen[i] || skip[i]);
    ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, NI, m, users, 0, ex, 5, 1));
    ck_assert_uint_eq(n, NI - n_both);
    expect_top(m, 4, ids, scores, n, both, NI);
    /* a user without a record: nothing is excluded */
    ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, NI, m, users, 1, NULL, 0, 1));
    expect_top(m, NU + 2, ids, scores, n, NULL, NI);

    /* a new catalogue keeps the seen items of the ids it still has: i0..i9 in reverse */
    const char *rid[10], *rcat[10], *rtitle[10], *rtags[20];
    size_t roff[11] = {0};
    for (int j = 0; j < 10; j++) {
        int i = 9 - j;
        rid[j] = item_id[i];
        rcat[j] = CATS[i % 4];
        rtitle[j] = item_title[i];
        rtags[2 * j] = item_tag[i][0];
        rtags[2 * j + 1] = item_tag[i][1];
        roff[j + 1] = 2 * (size_t)(j + 1);
    }
    rec_dataset *few;
    ck_assert_rec_ok(rec_dataset_create(&few, 10));
    ck_assert_rec_ok(rec_dataset_add_strings(few, "item_id", rid, 10));
    ck_assert_rec_ok(rec_dataset_add_strings(few, "category", rcat, 10));
    ck_assert_rec_ok(rec_dataset_add_strings(few, "title", rtitle, 10));
    ck_assert_rec_ok(rec_dataset_add_string_lists(few, "tags", rtags, roff, 10));
    ck_assert_rec_ok(rec_model_set_catalog(m, few, "item_id"));
    ck_assert_uint_eq(rec_model_catalog_size(m), 10);
    ck_assert_str_eq(rec_model_catalog_item(m, 0), "i9");
    ck_assert_ptr_null(rec_model_catalog_item(m, 10));
    size_t n_left = 0;
    for (int i = 0; i < 10; i++)
        n_left += !seen[i];
    ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, NI, m, users, 0, NULL, 0, 1));
    ck_assert_uint_eq(n, n_left);
    for (size_t j = 0; j < n; j++) {
        int i = atoi(ids[j] + 1);
        ck_assert_int_lt(i, 10);
        ck_assert(!seen[i]);
        if (j > 0)
            ck_assert(scores[j] <= scores[j - 1]);
    }
    rec_dataset_free(few);
    rec_dataset_free(users);
    rec_dataset_free(ds);
    rec_model_free(m);
}

START_TEST(test_serve_exclusions_dot)
{
    check_exclusions(0);
}
END_TEST

START_TEST(test_serve_exclusions_mlp)
{
    check_exclusions(1);
}
END_TEST

/* Seen items keyed by another column than a feature's ("uid"). */
START_TEST(test_serve_seen_by_another_key)
{
    rec_dataset *ds;
    rec_model *m = served(0, &ds);
    ck_assert_rec_ok(rec_model_set_seen(m, ds, "uid", "item_id"));
    const int us[] = {4};
    rec_dataset *users = users_of(us, 1);
    const char *a[NI], *b[NI];
    size_t na, nb;
    ck_assert_rec_ok(rec_model_recommend_user(a, NULL, &na, NI, m, users, 0, NULL, 0, 1));
    ck_assert_rec_ok(rec_model_set_seen(m, ds, "user_id", "item_id"));
    ck_assert_rec_ok(rec_model_recommend_user(b, NULL, &nb, NI, m, users, 0, NULL, 0, 1));
    ck_assert_uint_eq(na, nb);
    ck_assert_uint_lt(na, NI);
    for (size_t j = 0; j < na; j++)
        ck_assert_str_eq(a[j], b[j]);
    rec_dataset_free(users);
    rec_dataset_free(ds);
    rec_model_free(m);
}
END_TEST

static void check_batch(int mlp)
{
    rec_dataset *ds;
    rec_model *m = served(mlp, &ds);
    ck_assert_rec_ok(rec_model_set_seen(m, ds, "user_id", "item_id"));
    const int us[] = {0, 3, 3, NU + 4, 9};
    rec_dataset *users = users_of(us, 5);
    enum { K = 6 };
    for (int seen = 0; seen < 2; seen++) {
        const char *ids[5 * K];
        float scores[5 * K];
        size_t n[5];
        ck_assert_rec_ok(rec_model_recommend_users(ids, scores, n, K, m, users, seen));
        for (size_t r = 0; r < 5; r++) {
            const char *one[K];
            float s1[K];
            size_t n1;
            ck_assert_rec_ok(rec_model_recommend_user(one, s1, &n1, K, m, users, r, NULL, 0,
                                                      seen));
            ck_assert_uint_eq(n[r], n1);
            for (size_t j = 0; j < n1; j++) {
                ck_assert_ptr_eq(ids[r * K + j], one[j]);
                ck_assert_float_eq(scores[r * K + j], s1[j]);
            }
        }
        /* scores_out may be NULL; k = 0 writes zero counts */
        ck_assert_rec_ok(rec_model_recommend_users(ids, NULL, n, K, m, users, seen));
        ck_assert_rec_ok(rec_model_recommend_users(NULL, NULL, n, 0, m, users, seen));
        for (size_t r = 0; r < 5; r++)
            ck_assert_uint_eq(n[r], 0);
    }
    rec_dataset_free(users);
    rec_dataset_free(ds);
    rec_model_free(m);
}

START_TEST(test_serve_recommend_users_equals_per_row_dot)
{
    check_batch(0);
}
END_TEST

START_TEST(test_serve_recommend_users_equals_per_row_mlp)
{
    check_batch(1);
}
END_TEST

static void check_scores(int mlp)
{
    rec_model *m = served(mlp, NULL);
    const int us[] = {1, NU + 3};
    rec_dataset *users = users_of(us, 2);
    const int items[] = {4, 0, 19, 4, 11};
    const char *ids[] = {"i4", "i0", "i19", "i4", "i11"};
    for (size_t r = 0; r < 2; r++) {
        float got[5], want[5];
        ck_assert_rec_ok(rec_model_score_items(got, 5, m, users, r, ids));
        brute_scores(want, m, us[r], age_of(us[r]), items, 5);
        for (int j = 0; j < 5; j++)
            ck_assert_float_eq(got[j], want[j]);
    }
    ck_assert_rec_ok(rec_model_score_items(NULL, 0, m, users, 0, NULL));
    rec_dataset_free(users);
    rec_model_free(m);
}

START_TEST(test_serve_score_items_equals_predict_dot)
{
    check_scores(0);
}
END_TEST

START_TEST(test_serve_score_items_equals_predict_mlp)
{
    check_scores(1);
}
END_TEST

/* ---- the label range and clipping ------------------------------------------------------------ */

static void expect_range(const rec_model *m, const rec_dataset *ds)
{
    uint32_t c;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, "rating"));
    double lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < rec_dataset_size(ds); r++) {
        double y = rec_dataset_number(ds, c, r);
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
    }
    double a, b;
    ck_assert_rec_ok(rec_model_label_range(&a, &b, m));
    ck_assert_double_eq(a, lo);
    ck_assert_double_eq(b, hi);
}

static void check_clip(int mlp)
{
    rec_dataset *ds;
    rec_model *m = served(mlp, &ds);
    expect_range(m, ds);
    double lo, hi;
    ck_assert_rec_ok(rec_model_label_range(&lo, &hi, m));
    int items[NI];
    for (int i = 0; i < NI; i++)
        items[i] = i;
    /* an age of 10^9: far outside training, and the predictions with it */
    float raw[NI], clipped[NI];
    brute_scores(raw, m, 2, 1e9, items, NI);
    int outside = 0;
    for (int i = 0; i < NI; i++)
        outside += raw[i] < (float)lo || raw[i] > (float)hi;
    ck_assert_int_gt(outside, 0);
    ck_assert_rec_ok(rec_model_set_clip(m, 1));
    brute_scores(clipped, m, 2, 1e9, items, NI);
    for (int i = 0; i < NI; i++) {
        ck_assert(clipped[i] >= (float)lo && clipped[i] <= (float)hi);
        float want = raw[i] < (float)lo ? (float)lo : raw[i] > (float)hi ? (float)hi : raw[i];
        ck_assert_float_eq(clipped[i], want);
    }
    /* recommendations and scores too */
    const char *uids[] = {"u2"};
    const double age[] = {1e9};
    rec_dataset *users;
    ck_assert_rec_ok(rec_dataset_create(&users, 1));
    ck_assert_rec_ok(rec_dataset_add_strings(users, "user_id", uids, 1));
    ck_assert_rec_ok(rec_dataset_add_numbers(users, "age", age, 1));
    const char *ids[NI];
    float scores[NI];
    size_t n;
    ck_assert_rec_ok(rec_model_recommend_user(ids, scores, &n, NI, m, users, 0, NULL, 0, 0));
    ck_assert_uint_eq(n, NI);
    for (size_t j = 0; j < n; j++) {
        ck_assert(scores[j] >= (float)lo && scores[j] <= (float)hi);
        float s;
        ck_assert_rec_ok(rec_model_score_items(&s, 1, m, users, 0, &ids[j]));
        ck_assert_float_eq(s, scores[j]);
    }
    ck_assert_rec_ok(rec_model_set_clip(m, 0));
    brute_scores(clipped, m, 2, 1e9, items, NI);
    ck_assert_mem_eq(clipped, raw, sizeof raw);
    rec_dataset_free(users);
    rec_dataset_free(ds);
    rec_model_free(m);
}

START_TEST(test_serve_clip_dot)
{
    check_clip(0);
}
END_TEST

START_TEST(test_serve_clip_mlp)
{
    check_clip(1);
}
END_TEST

/* Gibbs sampling's posterior mean goes through the same clip. */
START_TEST(test_serve_clip_mcmc)
{
    names();
    rec_dataset *ds = ratings(30);
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 5));
    ck_assert_rec_ok(rec_model_set_label(m, "rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 3));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "age", REC_FEATURE_NUMERIC, REC_SIDE_USER,
                                           1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "item_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 3));
    ck_assert_rec_ok(rec_model_set_interaction(m, REC_INTERACTION_FM));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_fit_mcmc(m, ds, 6, 2, NULL, NULL, NULL));
    expect_range(m, ds);
    double lo, hi;
    ck_assert_rec_ok(rec_model_label_range(&lo, &hi, m));
    ck_assert_rec_ok(rec_model_set_clip(m, 1));
    int items[NI];
    float p[NI];
    for (int i = 0; i < NI; i++)
        items[i] = i;
    brute_scores(p, m, 3, 1e9, items, NI);
    for (int i = 0; i < NI; i++)
        ck_assert(p[i] >= (float)lo && p[i] <= (float)hi);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* The range is that of the build dataset's labels, widened by every training call. */
START_TEST(test_serve_label_range_widens)
{
    names();
    rec_dataset *ds = ratings(40);
    int user[3] = {1, 2, 3}, item[3] = {1, 2, 3};
    rec_dataset *nolabel = dataset(user, item, 3, 1, 1, 0, 1);
    /* built without the label column: no range */
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "rating"));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "item_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_build(m, nolabel));
    double lo, hi;
    ck_assert_rec_fails(rec_model_label_range(&lo, &hi, m), REC_ESTATE,
                        "rec_model_label_range: the model has no label range");
    ck_assert_rec_fails(rec_model_set_clip(m, 1), REC_ESTATE,
                        "rec_model_set_clip: the model has no label range to clip to");
    ck_assert_rec_ok(rec_model_set_clip(m, 0));
    /* a gradient over two rows: their labels */
    uint32_t c;
    ck_assert_rec_ok(rec_dataset_column(&c, ds, "rating"));
    const uint32_t rows[] = {3, 8};
    ck_assert_rec_ok(rec_model_compute_gradients(m, ds, rows, 2, NULL));
    double y3 = rec_dataset_number(ds, c, 3), y8 = rec_dataset_number(ds, c, 8);
    ck_assert_rec_ok(rec_model_label_range(&lo, &hi, m));
    ck_assert_double_eq(lo, y3 < y8 ? y3 : y8);
    ck_assert_double_eq(hi, y3 < y8 ? y8 : y3);
    /* a whole fit */
    rec_optimizer *opt;
    ck_assert_rec_ok(rec_optimizer_create_adagrad(&opt, 0.1f));
    ck_assert_rec_ok(rec_model_fit(m, opt, ds, NULL, 1, 64, 64, NULL, NULL));
    expect_range(m, ds);
    /* a label of 7.5 widens it; a failed call does not */
    double y[3] = {7.5, 2, 2};
    rec_dataset *high = dataset(user, item, 3, 1, 1, 0, 1);
    ck_assert_rec_ok(rec_dataset_add_numbers(high, "rating", y, 3));
    ck_assert_rec_fails(rec_model_train_epoch(m, opt, high, 0, NULL, NULL), REC_EINVAL,
                        "batch_size");
    ck_assert_rec_ok(rec_model_label_range(&lo, &hi, m));
    ck_assert_double_lt(hi, 7.5);
    ck_assert_rec_ok(rec_model_train_epoch(m, opt, high, 2, NULL, NULL));
    ck_assert_rec_ok(rec_model_label_range(&lo, &hi, m));
    ck_assert_double_eq(hi, 7.5);
    /* prepared features: their (binary32) labels */
    y[0] = -1.25;
    rec_dataset *low = dataset(user, item, 3, 1, 1, 0, 1);
    ck_assert_rec_ok(rec_dataset_add_numbers(low, "rating", y, 3));
    rec_features *f;
    ck_assert_rec_ok(rec_features_create(&f, m, low));
    const uint32_t first[] = {0};
    ck_assert_rec_ok(rec_model_compute_gradients_features(m, f, first, 1, NULL));
    ck_assert_rec_ok(rec_model_label_range(&lo, &hi, m));
    ck_assert_double_eq(lo, -1.25);
    ck_assert_double_eq(hi, 7.5);
    rec_features_free(f);
    rec_dataset_free(low);
    rec_dataset_free(high);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(nolabel);
    rec_dataset_free(ds);
}
END_TEST

/* ---- unknown inputs ----------------------------------------------------------------------- */

START_TEST(test_serve_count_unknown)
{
    rec_model *m = served(1, NULL);
    /* rows: known user and item; a new user; a new user and a new item (new id, unknown
     * category, an unknown tag and a title with one unknown word); both known, but a title
     * with an unknown word twice */
    const char *uid[] = {"u1", "u_new", "u_new", "u2"}, *iid[] = {"i1", "i1", "i_new", "i2"};
    const char *cat[] = {"drama", "drama", "western", "comedy"};
    const char *title[] = {"red blue", "red blue", "red zebra", "zebra zebra night"};
    const char *tags[] = {"t0", "t3", "t0", "t3", "t9", "t1", "t2"};
    const size_t off[] = {0, 2, 4, 5, 7};
    const double age[] = {20, 30, 40, 50};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 4));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", uid, 4));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "age", age, 4));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "item_id", iid, 4));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "category", cat, 4));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "title", title, 4));
    ck_assert_rec_ok(rec_dataset_add_string_lists(ds, "tags", tags, off, 4));
    uint32_t counts[4];
    ck_assert_rec_ok(rec_model_count_unknown(counts, 4, m, ds));
    ck_assert_uint_eq(counts[0], 0);
    ck_assert_uint_eq(counts[1], 1);
    ck_assert_uint_eq(counts[2], 5); /* the user, the item, the category, "t9", "zebra" */
    ck_assert_uint_eq(counts[3], 2); /* "zebra" twice */
    rec_dataset_free(ds);
    rec_model_free(m);
}
END_TEST

/* ---- save and load --------------------------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    const char *base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/rec_serve_XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void path_in_tmp(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void remove_tmpdir(const char *const *files, size_t n)
{
    char p[160];
    for (size_t i = 0; i < n; i++) {
        path_in_tmp(p, sizeof p, files[i]);
        unlink(p);
    }
    rmdir(tmpdir);
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const unsigned char *b)
{
    return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

static void put32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *b, uint64_t v)
{
    put32(b, (uint32_t)v);
    put32(b + 4, (uint32_t)(v >> 32));
}

static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return c ^ 0xffffffffu;
}

/* A file's sections, each a copy of its bytes, which tests edit and write back. */
typedef struct section {
    char tag[5];
    unsigned char *b;
    size_t n;
} section;

typedef struct file {
    uint32_t version;
    section s[16];
    size_t n;
} file;

static void file_parse(file *f, const unsigned char *b, size_t size)
{
    ck_assert_uint_ge(size, 32);
    ck_assert_int_eq(memcmp(b, "RECMODEL", 8), 0);
    f->version = le32(b + 8);
    f->n = le32(b + 12);
    ck_assert_uint_le(f->n, 16);
    for (size_t i = 0; i < f->n; i++) {
        const unsigned char *e = b + 32 + 24 * i;
        memcpy(f->s[i].tag, e, 4);
        f->s[i].tag[4] = '\0';
        uint64_t off = le64(e + 8), len = le64(e + 16);
        ck_assert_uint_le(off + len, size);
        ck_assert_uint_eq(le32(e + 4), crc32(b + off, (size_t)len));
        f->s[i].n = (size_t)len;
        f->s[i].b = malloc(len ? (size_t)len : 1);
        memcpy(f->s[i].b, b + off, (size_t)len);
    }
}

static void file_load(file *f, const char *path)
{
    size_t n;
    unsigned char *b = rec_check_read_file(path, &n);
    file_parse(f, b, n);
    free(b);
}

static section *file_find(file *f, const char *tag)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->s[i].tag, tag) == 0)
            return &f->s[i];
    return NULL;
}

/* Header, table (CRCs and offsets computed) and sections, written to path. */
static void file_write(const file *f, const char *path)
{
    size_t size = 32 + 24 * f->n;
    for (size_t i = 0; i < f->n; i++)
        size += f->s[i].n;
    unsigned char *b = calloc(1, size);
    size_t off = 32 + 24 * f->n;
    for (size_t i = 0; i < f->n; i++) {
        unsigned char *e = b + 32 + 24 * i;
        memcpy(e, f->s[i].tag, 4);
        put32(e + 4, crc32(f->s[i].b, f->s[i].n));
        put64(e + 8, off);
        put64(e + 16, f->s[i].n);
        memcpy(b + off, f->s[i].b, f->s[i].n);
        off += f->s[i].n;
    }
    memcpy(b, "RECMODEL", 8);
    put32(b + 8, f->version);
    put32(b + 12, (uint32_t)f->n);
    put64(b + 16, size);
    put32(b + 24, crc32(b + 32, 24 * f->n));
    put32(b + 28, crc32(b, 28));
    rec_check_write_file(path, b, size);
    free(b);
}

static void file_free(file *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->s[i].b);
    f->n = 0;
}

/* Identical recommendations (ids and score bits) for every user row, seen items left out. */
static void same_service(const rec_model *a, const rec_model *b, const rec_dataset *users)
{
    enum { K = 7 };
    size_t rows = rec_dataset_size(users);
    const char *ia[8 * K], *ib[8 * K];
    float sa[8 * K], sb[8 * K];
    size_t na[8], nb[8];
    ck_assert_uint_le(rows, 8);
    ck_assert_uint_eq(rec_model_catalog_size(a), rec_model_catalog_size(b));
    for (size_t i = 0; i < rec_model_catalog_size(a); i++)
        ck_assert_str_eq(rec_model_catalog_item(a, i), rec_model_catalog_item(b, i));
    for (int seen = 0; seen < 2; seen++) {
        ck_assert_rec_ok(rec_model_recommend_users(ia, sa, na, K, a, users, seen));
        ck_assert_rec_ok(rec_model_recommend_users(ib, sb, nb, K, b, users, seen));
        for (size_t r = 0; r < rows; r++) {
            ck_assert_uint_eq(na[r], nb[r]);
            for (size_t j = 0; j < na[r]; j++) {
                ck_assert_str_eq(ia[r * K + j], ib[r * K + j]);
                ck_assert_mem_eq(&sa[r * K + j], &sb[r * K + j], sizeof(float));
            }
        }
    }
}

static const char *const SAVED[] = {"old.rec", "new.rec", "again.rec", "bad.rec"};

START_TEST(test_serve_save_load_versions)
{
    make_tmpdir();
    names();
    char old[160], path[160], again[160];
    path_in_tmp(old, sizeof old, "old.rec");
    path_in_tmp(path, sizeof path, "new.rec");
    path_in_tmp(again, sizeof again, "again.rec");

    /* a model without serving state (built on rows without labels, untrained): version 1 */
    int user[3] = {1, 2, 3}, item[3] = {1, 2, 3};
    rec_dataset *nolabel = dataset(user, item, 3, 1, 1, 0, 1);
    rec_model *plain, *l;
    ck_assert_rec_ok(rec_model_create(&plain, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, plain, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_add_feature(NULL, plain, "item_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 2));
    ck_assert_rec_ok(rec_model_build(plain, nolabel));
    ck_assert_rec_ok(rec_model_save(plain, old, 0));
    size_t n;
    unsigned char *b = rec_check_read_file(old, &n);
    ck_assert_uint_eq(le32(b + 8), 1);
    ck_assert_uint_eq(le32(b + 12), 6);
    free(b);
    ck_assert_rec_ok(rec_model_load(&l, old));
    double lo, hi;
    ck_assert_rec_fails(rec_model_label_range(&lo, &hi, l), REC_ESTATE, "version-1 file");
    ck_assert_rec_fails(rec_model_set_clip(l, 1), REC_ESTATE, "no label range");
    ck_assert_uint_eq(rec_model_catalog_size(l), 0);
    rec_model_free(l);
    rec_model_free(plain);
    rec_dataset_free(nolabel);

    /* a served model: version 2 with RANG, CATL, SEEN after RNGS */
    for (int mlp = 0; mlp < 2; mlp++) {
        rec_dataset *ds;
        rec_model *m = served(mlp, &ds);
        ck_assert_rec_ok(rec_model_set_seen(m, ds, "user_id", "item_id"));
        ck_assert_rec_ok(rec_model_set_clip(m, 1));
        ck_assert_rec_ok(rec_model_save(m, path, mlp));
        file f;
        file_load(&f, path);
        ck_assert_uint_eq(f.version, 2);
        ck_assert_uint_eq(f.n, 9 + (size_t)mlp);
        const char *tags[] = {"RNGS", "RANG", "CATL", "SEEN"};
        for (int i = 0; i < 4; i++)
            ck_assert_str_eq(f.s[f.n - 4 + (size_t)i].tag, tags[i]);
        /* RANG: f64 min, f64 max, u32 clip */
        const section *rang = file_find(&f, "RANG");
        ck_assert_uint_eq(rang->n, 20);
        ck_assert_rec_ok(rec_model_label_range(&lo, &hi, m));
        uint64_t bits_lo, bits_hi;
        memcpy(&bits_lo, &lo, 8);
        memcpy(&bits_hi, &hi, 8);
        ck_assert_uint_eq(le64(rang->b), bits_lo);
        ck_assert_uint_eq(le64(rang->b + 8), bits_hi);
        ck_assert_uint_eq(le32(rang->b + 16), 1);
        /* CATL starts with the key "item_id", then the item and column counts */
        const section *catl = file_find(&f, "CATL");
        ck_assert_uint_eq(le32(catl->b), 7);
        ck_assert_int_eq(memcmp(catl->b + 4, "item_id", 7), 0);
        ck_assert_uint_eq(le32(catl->b + 11), NI);
        ck_assert_uint_eq(le32(catl->b + 15), mlp ? 4 : 2);
        file_free(&f);

        ck_assert_rec_ok(rec_model_load(&l, path));
        double l2, h2;
        ck_assert_rec_ok(rec_model_label_range(&l2, &h2, l));
        ck_assert_double_eq(l2, lo);
        ck_assert_double_eq(h2, hi);
        const int us[] = {0, 4, 7, NU + 1, 11};
        rec_dataset *users = users_of(us, 5);
        same_service(m, l, users);
        /* the clip setting came along: an extreme age stays in range */
        const char *uid[] = {"u2"};
        const double age[] = {1e9};
        rec_dataset *ext;
        ck_assert_rec_ok(rec_dataset_create(&ext, 1));
        ck_assert_rec_ok(rec_dataset_add_strings(ext, "user_id", uid, 1));
        ck_assert_rec_ok(rec_dataset_add_numbers(ext, "age", age, 1));
        const char *ids[NI];
        float sa[NI], sb[NI];
        size_t na, nb;
        ck_assert_rec_ok(rec_model_recommend_user(ids, sa, &na, NI, m, ext, 0, NULL, 0, 0));
        ck_assert_rec_ok(rec_model_recommend_user(ids, sb, &nb, NI, l, ext, 0, NULL, 0, 0));
        ck_assert_uint_eq(na, nb);
        ck_assert_mem_eq(sa, sb, na * sizeof *sa);
        ck_assert(sb[0] <= (float)hi && sb[na - 1] >= (float)lo);
        /* a loaded model saves to the same bytes */
        ck_assert_rec_ok(rec_model_save(l, again, mlp));
        size_t n1, n2;
        unsigned char *b1 = rec_check_read_file(path, &n1), *b2 = rec_check_read_file(again, &n2);
        ck_assert_uint_eq(n1, n2);
        ck_assert_mem_eq(b1, b2, n1);
        free(b1);
        free(b2);
        rec_dataset_free(ext);
        rec_dataset_free(users);
        rec_model_free(l);
        rec_model_free(m);
        rec_dataset_free(ds);
    }
    remove_tmpdir(SAVED, 4);
}
END_TEST

/* docs/file-format.md's smallest DOT model, built on its rows with their labels 1, 2, 3: the
 * version-1 layout plus a seventh table entry and RANG (1.0, 3.0, clip 0) at the end, 541
 * bytes; without the labels it is the 497-byte version-1 file (test_serialize). */
START_TEST(test_serve_layout_by_hand)
{
    make_tmpdir();
    char path[160];
    path_in_tmp(path, sizeof path, "new.rec");
    const char *users[] = {"a", "b", "a"}, *titles[] = {"t", "t", "t"};
    const double y[] = {1, 2, 3};
    rec_dataset *ds;
    ck_assert_rec_ok(rec_dataset_create(&ds, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "user_id", users, 3));
    ck_assert_rec_ok(rec_dataset_add_strings(ds, "movie_title", titles, 3));
    ck_assert_rec_ok(rec_dataset_add_numbers(ds, "user_rating", y, 3));
    rec_model *m;
    ck_assert_rec_ok(rec_model_create(&m, 0x0102030405060708ull));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, m, "movie_title", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 1));
    ck_assert_rec_ok(rec_model_set_label(m, "user_rating"));
    ck_assert_rec_ok(rec_model_build(m, ds));
    ck_assert_rec_ok(rec_model_save(m, path, 0));
    size_t n;
    unsigned char *b = rec_check_read_file(path, &n);
    ck_assert_uint_eq(n, 541);
    ck_assert_uint_eq(le32(b + 8), 2);
    ck_assert_uint_eq(le32(b + 12), 7);
    const unsigned char *e = b + 32 + 6 * 24;
    ck_assert_int_eq(memcmp(e, "RANG", 4), 0);
    ck_assert_uint_eq(le64(e + 8), 521);
    ck_assert_uint_eq(le64(e + 16), 20);
    ck_assert_uint_eq(le32(e + 4), crc32(b + 521, 20));
    ck_assert_uint_eq(le64(b + 521), 0x3ff0000000000000ull); /* 1.0 */
    ck_assert_uint_eq(le64(b + 529), 0x4008000000000000ull); /* 3.0 */
    ck_assert_uint_eq(le32(b + 537), 0);
    free(b);
    rec_model_free(m);
    rec_dataset_free(ds);
    remove_tmpdir(SAVED, 4);
}
END_TEST

/* Edit a section of the saved file (replace `len` bytes at `at` by `with`, which may change
 * its length), write it with valid checksums, and expect REC_EFORMAT with `needle`. */
static void expect_refused(const char *path, const char *bad, const char *tag, size_t at,
                           size_t len, const void *with, size_t with_len, const char *needle)
{
    file f;
    file_load(&f, path);
    section *s = file_find(&f, tag);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_le(at + len, s->n);
    unsigned char *nb = malloc(s->n - len + with_len + 1);
    memcpy(nb, s->b, at);
    if (with_len > 0)
        memcpy(nb + at, with, with_len);
    memcpy(nb + at + with_len, s->b + at + len, s->n - at - len);
    free(s->b);
    s->b = nb;
    s->n = s->n - len + with_len;
    file_write(&f, bad);
    file_free(&f);
    rec_model *l = (rec_model *)1;
    ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, needle);
    ck_assert_msg(strstr(rec_last_error(), bad) != NULL, "%s lacks the path", rec_last_error());
    ck_assert_ptr_null(l);
}

static void u32_bytes(unsigned char *b, uint32_t v)
{
    put32(b, v);
}

START_TEST(test_serve_load_refuses_damaged_sections)
{
    make_tmpdir();
    char path[160], bad[160];
    path_in_tmp(path, sizeof path, "new.rec");
    path_in_tmp(bad, sizeof bad, "bad.rec");
    rec_dataset *ds;
    rec_model *m = served(1, &ds);
    ck_assert_rec_ok(rec_model_set_seen(m, ds, "user_id", "item_id"));
    ck_assert_rec_ok(rec_model_save(m, path, 0));
    unsigned char v[8];
    double d;

    /* RANG: min > max, NaN, infinity, a clip flag of 2, a trailing byte, truncated */
    d = 9.0;
    memcpy(v, &d, 8);
    expect_refused(path, bad, "RANG", 0, 8, v, 8, "label range [9, ");
    d = NAN;
    memcpy(v, &d, 8);
    expect_refused(path, bad, "RANG", 8, 8, v, 8, "is not a finite interval");
    d = INFINITY;
    memcpy(v, &d, 8);
    expect_refused(path, bad, "RANG", 0, 8, v, 8, "is not a finite interval");
    u32_bytes(v, 2);
    expect_refused(path, bad, "RANG", 16, 4, v, 4, "clip flag 2 is neither 0 nor 1");
    expect_refused(path, bad, "RANG", 20, 0, "x", 1, "1 unexpected trailing bytes");
    expect_refused(path, bad, "RANG", 12, 8, NULL, 0, "truncated while reading label maximum");

    /* CATL: key "item_id" (4 + 7), item count at 11, column count at 15, then the columns:
     * "item_id" (4 + 7) at 19, its type at 30, its string count at 34 */
    u32_bytes(v, 0);
    expect_refused(path, bad, "CATL", 11, 4, v, 4, "the catalogue has no items");
    u32_bytes(v, 0x40000000u);
    expect_refused(path, bad, "CATL", 11, 4, v, 4, "item count = 1073741824 is more than");
    u32_bytes(v, 0);
    expect_refused(path, bad, "CATL", 15, 4, v, 4, "the catalogue has no columns");
    u32_bytes(v, 5);
    expect_refused(path, bad, "CATL", 15, 4, v, 4, "truncated while reading column name");
    u32_bytes(v, 7);
    expect_refused(path, bad, "CATL", 30, 4, v, 4, "column type 7 is unknown");
    u32_bytes(v, NI - 1);
    expect_refused(path, bad, "CATL", 34, 4, v, 4, "column 'item_id' has 19 strings for 20");
    expect_refused(path, bad, "CATL", 0, 11, "\x04\0\0\0nope", 8,
                   "the catalogue has no column 'nope' (item key)");
    /* the first id "i0" (4 + 2 at 38) made "i1": two equal ids */
    expect_refused(path, bad, "CATL", 42, 2, "i1", 2, "item ids are not distinct");
    expect_refused(path, bad, "CATL", 42, 2, "\xff\xfe", 2, "not valid UTF-8");
    /* the column "item_id" renamed "itemXid": the key is gone */
    expect_refused(path, bad, "CATL", 23, 7, "itemXid", 7, "has no column 'item_id'");
    /* the second column ("category", an item-side feature) renamed */
    {
        file f;
        file_load(&f, path);
        section *c = file_find(&f, "CATL");
        size_t at = 0;
        while (at + 12 <= c->n && memcmp(c->b + at, "\x08\0\0\0category", 12) != 0)
            at++;
        ck_assert_uint_le(at + 12, c->n);
        at += 4;
        file_free(&f);
        expect_refused(path, bad, "CATL", at, 8, "kategory", 8,
                       "has no column 'category', which item-side feature 3 (CATEGORICAL)");
        /* and given the type number (1): its strings then read as numbers */
        u32_bytes(v, 1);
        expect_refused(path, bad, "CATL", at + 8, 4, v, 4, "CATL");
    }

    /* a column no item-side feature reads: "extra", numbers, appended */
    {
        file f;
        file_load(&f, path);
        section *c = file_find(&f, "CATL");
        size_t add = 4 + 5 + 4 + 8 * NI;
        c->b = realloc(c->b, c->n + add);
        unsigned char *p = c->b + c->n;
        put32(p, 5);
        memcpy(p + 4, "extra", 5);
        put32(p + 9, 1);
        memset(p + 13, 0, 8 * NI);
        c->n += add;
        put32(c->b + 15, le32(c->b + 15) + 1);
        file_write(&f, bad);
        file_free(&f);
        rec_model *l = (rec_model *)1;
        ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "catalogue column 'extra' is "
                            "neither the item key nor read by an item-side feature");
        ck_assert_ptr_null(l);
    }

    /* SEEN: key "user_id" (4 + 7), user count at 11, first user's id at 15 */
    {
        file f;
        file_load(&f, path);
        section *s = file_find(&f, "SEEN");
        uint32_t id_len = le32(s->b + 15), c0 = le32(s->b + 19 + id_len);
        ck_assert_uint_gt(c0, 1);
        size_t items = 19 + id_len + 4;
        uint32_t first = le32(s->b + items), second = le32(s->b + items + 4);
        file_free(&f);
        u32_bytes(v, NI);
        expect_refused(path, bad, "SEEN", items, 4, v, 4, "seen item 20 is beyond the "
                       "catalogue's 20 items");
        u32_bytes(v, second);
        expect_refused(path, bad, "SEEN", items, 4, v, 4, "are not increasing");
        u32_bytes(v, first);
        expect_refused(path, bad, "SEEN", items + 4, 4, v, 4, "are not increasing");
        u32_bytes(v, 0x7fffffffu);
        expect_refused(path, bad, "SEEN", 19 + id_len, 4, v, 4, "item count = 2147483647");
        u32_bytes(v, 0x7fffffffu);
        expect_refused(path, bad, "SEEN", 11, 4, v, 4, "user count = 2147483647");
        expect_refused(path, bad, "SEEN", 0, 11, "\0\0\0\0", 4, "the user key is empty");
    }
    /* two users with one id: the second user's id made the first's */
    {
        file f;
        file_load(&f, path);
        section *s = file_find(&f, "SEEN");
        uint32_t id_len = le32(s->b + 15), c0 = le32(s->b + 19 + id_len);
        size_t second = 19 + id_len + 4 + 4 * (size_t)c0;
        uint32_t id2_len = le32(s->b + second);
        unsigned char with[64];
        ck_assert_uint_lt(id_len, 60);
        memcpy(with, s->b + 15, 4 + id_len);
        file_free(&f);
        expect_refused(path, bad, "SEEN", second, 4 + id2_len, with, 4 + id_len,
                       "user 1's id repeats user 0's");
    }
    /* SEEN without CATL */
    {
        file f;
        file_load(&f, path);
        section *c = file_find(&f, "CATL");
        free(c->b);
        size_t i = (size_t)(c - f.s);
        memmove(&f.s[i], &f.s[i + 1], (f.n - i - 1) * sizeof *f.s);
        f.n--;
        file_write(&f, bad);
        file_free(&f);
        rec_model *l = (rec_model *)1;
        ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "seen items without a "
                            "catalogue");
        ck_assert_ptr_null(l);
    }
    /* the serving sections out of order, and in a version-1 file */
    {
        file f;
        file_load(&f, path);
        section t = f.s[f.n - 1];
        f.s[f.n - 1] = f.s[f.n - 2];
        f.s[f.n - 2] = t;
        file_write(&f, bad);
        rec_model *l = (rec_model *)1;
        ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "unexpected section 'CATL'");
        t = f.s[f.n - 1];
        f.s[f.n - 1] = f.s[f.n - 2];
        f.s[f.n - 2] = t;
        f.version = 1;
        /* 7 sections: DESC PREP EMBD DENS EXTN RNGS RANG */
        free(f.s[f.n - 1].b);
        free(f.s[f.n - 2].b);
        f.n -= 2;
        file_write(&f, bad);
        ck_assert_rec_fails(rec_model_load(&l, bad), REC_EFORMAT, "unexpected section 'RANG'");
        /* the same as version 2 loads, with a range and no catalogue */
        f.version = 2;
        file_write(&f, bad);
        ck_assert_rec_ok(rec_model_load(&l, bad));
        ck_assert_uint_eq(rec_model_catalog_size(l), 0);
        double lo, hi;
        ck_assert_rec_ok(rec_model_label_range(&lo, &hi, l));
        rec_model_free(l);
        file_free(&f);
    }
    rec_model_free(m);
    rec_dataset_free(ds);
    remove_tmpdir(SAVED, 4);
}
END_TEST

/* ---- errors ---------------------------------------------------------------------------------- */

START_TEST(test_serve_catalog_errors)
{
    rec_dataset *ds;
    rec_model *m = served(1, &ds);
    rec_dataset *items = items_table();
    ck_assert_rec_fails(rec_model_set_catalog(NULL, items, "item_id"), REC_EINVAL,
                        "rec_model_set_catalog: model is NULL");
    ck_assert_rec_fails(rec_model_set_catalog(m, NULL, "item_id"), REC_EINVAL,
                        "rec_model_set_catalog: items is NULL");
    ck_assert_rec_fails(rec_model_set_catalog(m, items, NULL), REC_EINVAL,
                        "item_key is NULL or empty");
    ck_assert_rec_fails(rec_model_set_catalog(m, items, ""), REC_EINVAL,
                        "item_key is NULL or empty");
    ck_assert_rec_fails(rec_model_set_catalog(m, items, "nope"), REC_ENOTFOUND,
                        "rec_model_set_catalog: items has no column 'nope' (item_key)");
    ck_assert_rec_fails(rec_model_set_catalog(m, ds, "age"), REC_EINVAL,
                        "rec_model_set_catalog: column 'age' of items (item_key) is a number "
                        "column, not a string column of ids");
    /* items without an item-side feature's column, or with the wrong type */
    const int us[] = {1};
    rec_dataset *users = users_of(us, 1);
    ck_assert_rec_fails(rec_model_set_catalog(m, users, "user_id"), REC_ENOTFOUND,
                        "items has no column 'item_id', which item-side feature 2 "
                        "(CATEGORICAL) reads");
    rec_dataset *wrong;
    const char *ids[] = {"a", "b"}, *words[] = {"x", "y"};
    const double nums[] = {1, 2};
    const size_t off[] = {0, 1, 2};
    ck_assert_rec_ok(rec_dataset_create(&wrong, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(wrong, "item_id", ids, 2));
    ck_assert_rec_ok(rec_dataset_add_numbers(wrong, "category", nums, 2));
    ck_assert_rec_ok(rec_dataset_add_strings(wrong, "title", words, 2));
    ck_assert_rec_ok(rec_dataset_add_string_lists(wrong, "tags", words, off, 2));
    ck_assert_rec_fails(rec_model_set_catalog(m, wrong, "item_id"), REC_EINVAL,
                        "column 'category' of items is a number column; item-side feature 3 "
                        "(CATEGORICAL) reads a string column");
    rec_dataset *empty;
    ck_assert_rec_ok(rec_dataset_subset(&empty, items, NULL, 0));
    ck_assert_rec_fails(rec_model_set_catalog(m, empty, "item_id"), REC_EINVAL,
                        "items has no rows");
    /* the failures left the catalogue as it was */
    ck_assert_uint_eq(rec_model_catalog_size(m), NI);
    ck_assert_str_eq(rec_model_catalog_item(m, 0), "i0");
    /* getters */
    ck_assert_uint_eq(rec_model_catalog_size(NULL), 0);
    ck_assert_ptr_null(rec_model_catalog_item(NULL, 0));
    ck_assert_ptr_null(rec_model_catalog_item(m, NI));
    /* an unbuilt model, a model without a catalogue */
    rec_model *u;
    ck_assert_rec_ok(rec_model_create(&u, 1));
    ck_assert_rec_ok(rec_model_add_feature(NULL, u, "user_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_USER, 2));
    ck_assert_rec_ok(rec_model_add_feature(NULL, u, "item_id", REC_FEATURE_CATEGORICAL,
                                           REC_SIDE_ITEM, 2));
    ck_assert_rec_fails(rec_model_set_catalog(u, items, "item_id"), REC_ESTATE,
                        "rec_model_set_catalog: the model is not built");
    ck_assert_uint_eq(rec_model_catalog_size(u), 0);
    ck_assert_ptr_null(rec_model_catalog_item(u, 0));
    rec_model_free(u);
    rec_dataset_free(empty);
    rec_dataset_free(wrong);
    rec_dataset_free(users);
    rec_dataset_free(items);
    rec_dataset_free(ds);
    rec_model_free(m);
}
END_TEST

START_TEST(test_serve_seen_errors)
{
    names();
    rec_dataset *ds = ratings(20);
    rec_model *m = trained(0, ds);
    ck_assert_rec_fails(rec_model_set_seen(m, ds, "user_id", "item_id"), REC_ESTATE,
                        "rec_model_set_seen: the model has no item catalogue (call "
                        "rec_model_set_catalog)");
    ck_assert_rec_ok(rec_model_set_catalog(m, ds, "item_id"));
    ck_assert_rec_fails(rec_model_set_seen(NULL, ds, "user_id", "item_id"), REC_EINVAL,
                        "rec_model_set_seen: model is NULL");
    ck_assert_rec_fails(rec_model_set_seen(m, NULL, "user_id", "item_id"), REC_EINVAL,
                        "interactions is NULL");
    ck_assert_rec_fails(rec_model_set_seen(m, ds, NULL, "item_id"), REC_EINVAL,
                        "user_key is NULL or empty");
    ck_assert_rec_fails(rec_model_set_seen(m, ds, "user_id", ""), REC_EINVAL,
                        "item_key is NULL or empty");
    ck_assert_rec_fails(rec_model_set_seen(m, ds, "who", "item_id"), REC_ENOTFOUND,
                        "interactions has no column 'who' (user_key)");
    ck_assert_rec_fails(rec_model_set_seen(m, ds, "user_id", "what"), REC_ENOTFOUND,
                        "interactions has no column 'what' (item_key)");
    ck_assert_rec_fails(rec_model_set_seen(m, ds, "age", "item_id"), REC_EINVAL,
                        "column 'age' of interactions (user_key) is a number column");
    ck_assert_rec_fails(rec_model_set_seen(m, ds, "user_id", "tags"), REC_EINVAL,
                        "column 'tags' of interactions (item_key) is a string list column");
    rec_model *u;
    ck_assert_rec_ok(rec_model_create(&u, 1));
    ck_assert_rec_fails(rec_model_set_seen(u, ds, "user_id", "item_id"), REC_ESTATE,
                        "rec_model_set_seen: the model is not built");
    rec_model_free(u);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_serve_recommend_errors)
{
    names();
    rec_dataset *ds = ratings(20);
    rec_model *m = trained(0, ds);
    const int us[] = {1, 2};
    rec_dataset *users = users_of(us, 2);
    const char *ids[4], *ex[] = {"i1", NULL};
    float s[4];
    size_t n = 77, counts[2];
    static const char fn[] = "rec_model_recommend_user";
    /* no catalogue */
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, users, 0, NULL, 0, 0),
                        REC_ESTATE, "rec_model_recommend_user: the model has no item catalogue "
                        "(call rec_model_set_catalog)");
    ck_assert_uint_eq(n, 0);
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, 2, m, users, 0), REC_ESTATE,
                        "rec_model_recommend_users: the model has no item catalogue");
    ck_assert_rec_fails(rec_model_score_items(s, 1, m, users, 0, ex), REC_ESTATE,
                        "rec_model_score_items: the model has no item catalogue");
    ck_assert_rec_ok(rec_model_set_catalog(m, ds, "item_id"));
    /* NULL arguments */
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, NULL, 4, m, users, 0, NULL, 0, 0),
                        REC_EINVAL, "rec_model_recommend_user: n_out is NULL");
    ck_assert_rec_fails(rec_model_recommend_user(NULL, s, &n, 4, m, users, 0, NULL, 0, 0),
                        REC_EINVAL, "ids_out is NULL (k = 4)");
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, NULL, users, 0, NULL, 0, 0),
                        REC_EINVAL, "model is NULL");
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, NULL, 0, NULL, 0, 0),
                        REC_EINVAL, "users is NULL");
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, users, 0, NULL, 2, 0),
                        REC_EINVAL, "exclude is NULL (n_exclude = 2)");
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, users, 0, ex, 2, 0),
                        REC_EINVAL, "exclude[1] is NULL");
    /* the row, the users' columns */
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, users, 2, NULL, 0, 0),
                        REC_EINVAL, "rec_model_recommend_user: row 2 is beyond the users' 2 "
                        "rows");
    const char *uid[] = {"u1"};
    const double num[] = {3};
    rec_dataset *no_age, *bad_type;
    ck_assert_rec_ok(rec_dataset_create(&no_age, 1));
    ck_assert_rec_ok(rec_dataset_add_strings(no_age, "user_id", uid, 1));
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, no_age, 0, NULL, 0, 0),
                        REC_ENOTFOUND, "rec_model_recommend_user: users has no column 'age', "
                        "which user-side feature 1 (NUMERIC) reads");
    ck_assert_rec_ok(rec_dataset_create(&bad_type, 1));
    ck_assert_rec_ok(rec_dataset_add_numbers(bad_type, "user_id", num, 1));
    ck_assert_rec_ok(rec_dataset_add_numbers(bad_type, "age", num, 1));
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, bad_type, 0, NULL, 0, 0),
                        REC_EINVAL, "column 'user_id' of users is a number column; user-side "
                        "feature 0 (CATEGORICAL) reads a string column");
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, 2, m, no_age, 0),
                        REC_ENOTFOUND, "rec_model_recommend_users: users has no column 'age'");
    ck_assert_rec_fails(rec_model_score_items(s, 1, m, no_age, 0, ex), REC_ENOTFOUND,
                        "rec_model_score_items: users has no column 'age'");
    /* exclude_seen without seen items, then with a key column users lack or of another type */
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, users, 0, NULL, 0, 1),
                        REC_ESTATE, "rec_model_recommend_user: exclude_seen: the model has no "
                        "seen items (call rec_model_set_seen)");
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, 4, m, users, 1), REC_ESTATE,
                        "rec_model_recommend_users: exclude_seen: the model has no seen items");
    ck_assert_rec_ok(rec_model_set_seen(m, ds, "uid", "item_id"));
    rec_dataset *no_uid;
    const double ages[] = {20};
    ck_assert_rec_ok(rec_dataset_create(&no_uid, 1));
    ck_assert_rec_ok(rec_dataset_add_strings(no_uid, "user_id", uid, 1));
    ck_assert_rec_ok(rec_dataset_add_numbers(no_uid, "age", ages, 1));
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, m, no_uid, 0, NULL, 0, 1),
                        REC_ENOTFOUND, "users has no column 'uid' (the user key given to "
                        "rec_model_set_seen)");
    ck_assert_rec_ok(rec_model_recommend_user(ids, s, &n, 4, m, no_uid, 0, NULL, 0, 0));
    ck_assert_rec_ok(rec_dataset_add_numbers(no_uid, "uid", ages, 1));
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, 1, m, no_uid, 1), REC_EINVAL,
                        "column 'uid' of users (the user key given to rec_model_set_seen) is "
                        "a number column, not a string column of ids");
    /* recommend_users' arguments */
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, NULL, 2, m, users, 0), REC_EINVAL,
                        "rec_model_recommend_users: n_out is NULL");
    ck_assert_rec_fails(rec_model_recommend_users(NULL, s, counts, 2, m, users, 0), REC_EINVAL,
                        "ids_out is NULL (k = 2)");
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, 2, NULL, users, 0),
                        REC_EINVAL, "rec_model_recommend_users: model is NULL");
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, 2, m, NULL, 0), REC_EINVAL,
                        "rec_model_recommend_users: users is NULL");
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, SIZE_MAX / 2, m, users, 0),
                        REC_EINVAL, "2 users times k = ");
    /* score_items' arguments */
    const char *known[] = {"i1", "zz\x01top"};
    ck_assert_rec_fails(rec_model_score_items(NULL, 1, m, users, 0, known), REC_EINVAL,
                        "rec_model_score_items: scores_out is NULL (n = 1)");
    ck_assert_rec_fails(rec_model_score_items(s, 1, NULL, users, 0, known), REC_EINVAL,
                        "rec_model_score_items: model is NULL");
    ck_assert_rec_fails(rec_model_score_items(s, 1, m, NULL, 0, known), REC_EINVAL,
                        "rec_model_score_items: users is NULL");
    ck_assert_rec_fails(rec_model_score_items(s, 1, m, users, 0, NULL), REC_EINVAL,
                        "item_ids is NULL (n = 1)");
    ck_assert_rec_fails(rec_model_score_items(s, 2, m, users, 0, ex), REC_EINVAL,
                        "item_ids[1] is NULL");
    ck_assert_rec_fails(rec_model_score_items(s, 2, m, users, 0, known), REC_ENOTFOUND,
                        "rec_model_score_items: item 'zz\\x01top' (item_ids[1]) is not in the "
                        "catalogue");
    ck_assert_rec_fails(rec_model_score_items(s, 1, m, users, 5, known), REC_EINVAL,
                        "rec_model_score_items: row 5 is beyond the users' 2 rows");
    /* an unbuilt model */
    rec_model *u;
    ck_assert_rec_ok(rec_model_create(&u, 1));
    ck_assert_rec_fails(rec_model_recommend_user(ids, s, &n, 4, u, users, 0, NULL, 0, 0),
                        REC_ESTATE, "rec_model_recommend_user: the model is not built");
    ck_assert_rec_fails(rec_model_recommend_users(ids, s, counts, 4, u, users, 0), REC_ESTATE,
                        "rec_model_recommend_users: the model is not built");
    ck_assert_rec_fails(rec_model_score_items(s, 1, u, users, 0, known), REC_ESTATE,
                        "rec_model_score_items: the model is not built");
    (void)fn;
    rec_model_free(u);
    rec_dataset_free(no_uid);
    rec_dataset_free(bad_type);
    rec_dataset_free(no_age);
    rec_dataset_free(users);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

START_TEST(test_serve_clip_and_count_errors)
{
    names();
    rec_dataset *ds = ratings(20);
    rec_model *m = trained(0, ds);
    double lo, hi;
    ck_assert_rec_fails(rec_model_set_clip(NULL, 1), REC_EINVAL,
                        "rec_model_set_clip: model is NULL");
    ck_assert_rec_fails(rec_model_label_range(NULL, &hi, m), REC_EINVAL,
                        "rec_model_label_range: min_out is NULL");
    ck_assert_rec_fails(rec_model_label_range(&lo, NULL, m), REC_EINVAL,
                        "rec_model_label_range: max_out is NULL");
    ck_assert_rec_fails(rec_model_label_range(&lo, &hi, NULL), REC_EINVAL,
                        "rec_model_label_range: model is NULL");
    rec_model *u;
    ck_assert_rec_ok(rec_model_create(&u, 1));
    ck_assert_rec_fails(rec_model_label_range(&lo, &hi, u), REC_ESTATE,
                        "the model has no label range");
    ck_assert_rec_fails(rec_model_set_clip(u, 1), REC_ESTATE,
                        "rec_model_set_clip: the model has no label range to clip to, nor a "
                        "label column (call rec_model_set_label");
    ck_assert_rec_ok(rec_model_set_label(u, "user_rating"));
    ck_assert_rec_fails(rec_model_set_clip(u, 1), REC_ESTATE,
                        "rec_model_set_clip: the model has no label range to clip to (build it "
                        "on a dataset with its label column 'user_rating', or train it)");
    uint32_t counts[NR];
    ck_assert_rec_fails(rec_model_count_unknown(counts, NR, u, ds), REC_ESTATE,
                        "rec_model_count_unknown: the model is not built");
    rec_model_free(u);
    ck_assert_rec_fails(rec_model_count_unknown(NULL, NR, m, ds), REC_EINVAL,
                        "rec_model_count_unknown: counts_out is NULL (n = 480)");
    ck_assert_rec_fails(rec_model_count_unknown(counts, NR, NULL, ds), REC_EINVAL,
                        "rec_model_count_unknown: model is NULL");
    ck_assert_rec_fails(rec_model_count_unknown(counts, NR, m, NULL), REC_EINVAL,
                        "rec_model_count_unknown: ds is NULL");
    ck_assert_rec_fails(rec_model_count_unknown(counts, 3, m, ds), REC_ESHAPE,
                        "rec_model_count_unknown: n = 3 but ds has 480 rows");
    const int us[] = {1};
    rec_dataset *users = users_of(us, 1);
    /* the user's columns alone count the user side */
    counts[0] = 99;
    ck_assert_rec_ok(rec_model_count_unknown(counts, 1, m, users));
    ck_assert_uint_eq(counts[0], 0);
    /* one item column makes the item side count, and then all of its columns are needed */
    const char *drama[] = {"drama"};
    ck_assert_rec_ok(rec_dataset_add_strings(users, "category", drama, 1));
    ck_assert_rec_fails(rec_model_count_unknown(counts, 1, m, users), REC_ENOTFOUND,
                        "rec_model_count_unknown: ds has no column 'item_id', which item-side "
                        "feature 2 (CATEGORICAL) reads");
    rec_dataset_free(users);
    users = users_of(us, 1);
    const double num[] = {1};
    ck_assert_rec_ok(rec_dataset_add_numbers(users, "item_id", num, 1));
    ck_assert_rec_fails(rec_model_count_unknown(counts, 1, m, users), REC_EINVAL,
                        "column 'item_id' of ds is a number column");
    ck_assert_rec_ok(rec_model_count_unknown(counts, NR, m, ds));
    for (int r = 0; r < NR; r++)
        ck_assert_uint_eq(counts[r], 0);
    rec_dataset_free(users);
    rec_model_free(m);
    rec_dataset_free(ds);
}
END_TEST

/* One shared const model serves two threads' worth of calls the same way: results do not
 * depend on the model's thread setting either. */
START_TEST(test_serve_threads_agree)
{
    rec_model *m = served(1, NULL);
    const int us[] = {0, 1, 2, 3, 4, 5, 6, 7};
    rec_dataset *users = users_of(us, 8);
    enum { K = 5 };
    const char *a[8 * K], *b[8 * K];
    float sa[8 * K], sb[8 * K];
    size_t na[8], nb[8];
    ck_assert_rec_ok(rec_model_recommend_users(a, sa, na, K, m, users, 0));
    ck_assert_rec_ok(rec_model_set_threads(m, 3));
    ck_assert_rec_ok(rec_model_recommend_users(b, sb, nb, K, m, users, 0));
    ck_assert_mem_eq(na, nb, sizeof na);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_mem_eq(sa, sb, sizeof sa);
    rec_dataset_free(users);
    rec_model_free(m);
}
END_TEST

static Suite *serve_suite(void)
{
    Suite *s = suite_create("serve");
    TCase *tc = tcase_create("recommend");
    tcase_add_test(tc, test_serve_recommend_user_equals_brute_force_dot);
    tcase_add_test(tc, test_serve_recommend_user_equals_brute_force_mlp);
    tcase_add_test(tc, test_serve_catalog_first_row_wins);
    tcase_add_test(tc, test_serve_exclusions_dot);
    tcase_add_test(tc, test_serve_exclusions_mlp);
    tcase_add_test(tc, test_serve_seen_by_another_key);
    tcase_add_test(tc, test_serve_recommend_users_equals_per_row_dot);
    tcase_add_test(tc, test_serve_recommend_users_equals_per_row_mlp);
    tcase_add_test(tc, test_serve_score_items_equals_predict_dot);
    tcase_add_test(tc, test_serve_score_items_equals_predict_mlp);
    tcase_add_test(tc, test_serve_threads_agree);
    suite_add_tcase(s, tc);
    tc = tcase_create("clip");
    tcase_add_test(tc, test_serve_clip_dot);
    tcase_add_test(tc, test_serve_clip_mlp);
    tcase_add_test(tc, test_serve_clip_mcmc);
    tcase_add_test(tc, test_serve_label_range_widens);
    tcase_add_test(tc, test_serve_count_unknown);
    suite_add_tcase(s, tc);
    tc = tcase_create("io");
    tcase_add_test(tc, test_serve_save_load_versions);
    tcase_add_test(tc, test_serve_layout_by_hand);
    tcase_add_test(tc, test_serve_load_refuses_damaged_sections);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_serve_catalog_errors);
    tcase_add_test(tc, test_serve_seen_errors);
    tcase_add_test(tc, test_serve_recommend_errors);
    tcase_add_test(tc, test_serve_clip_and_count_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(serve_suite());
}
