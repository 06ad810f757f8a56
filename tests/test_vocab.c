/* Suite "vocab": Keras StringLookup(vocabulary=V, mask_token=None) semantics. */
#include "rec_check.h"

#include <stdio.h>
#include <stdlib.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- lifecycle ----------------------------------------------------------------------------- */

START_TEST(test_vocab_create_sorts_and_dedups)
{
    /* unsorted with duplicates: unique sorted = a, b, c → indices 1, 2, 3; size 3 + 1 = 4 */
    const char *toks[] = {"b", "a", "c", "a", "b", "b"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, N_OF(toks)));
    ck_assert_uint_eq(rec_vocab_size(v), 4);
    ck_assert_uint_eq(rec_vocab_index(v, "a"), 1);
    ck_assert_uint_eq(rec_vocab_index(v, "b"), 2);
    ck_assert_uint_eq(rec_vocab_index(v, "c"), 3);
    ck_assert_str_eq(rec_vocab_token(v, 1), "a");
    ck_assert_str_eq(rec_vocab_token(v, 2), "b");
    ck_assert_str_eq(rec_vocab_token(v, 3), "c");
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_create_empty)
{
    /* n = 0: only the OOV slot, everything maps to 0 */
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, NULL, 0));
    ck_assert_uint_eq(rec_vocab_size(v), 1);
    ck_assert_uint_eq(rec_vocab_index(v, "a"), 0);
    ck_assert_uint_eq(rec_vocab_index(v, ""), 0);
    ck_assert_ptr_null(rec_vocab_token(v, 0));
    ck_assert_ptr_null(rec_vocab_token(v, 1));
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_create_copies_strings)
{
    char a[] = "movie", b[] = "user";
    const char *toks[] = {a, b};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 2));
    a[0] = 'X';
    b[0] = 'Y';
    ck_assert_uint_eq(rec_vocab_index(v, "movie"), 1);
    ck_assert_uint_eq(rec_vocab_index(v, "user"), 2);
    ck_assert_uint_eq(rec_vocab_index(v, "Xovie"), 0);
    ck_assert_str_eq(rec_vocab_token(v, 1), "movie");
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_free_null)
{
    rec_vocab_free(NULL);
}
END_TEST

/* ---- lookup -------------------------------------------------------------------------------- */

START_TEST(test_vocab_index_unknown_is_zero)
{
    const char *toks[] = {"42", "7", "100"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 3));
    /* byte order: "100" < "42" < "7" */
    ck_assert_uint_eq(rec_vocab_index(v, "100"), 1);
    ck_assert_uint_eq(rec_vocab_index(v, "42"), 2);
    ck_assert_uint_eq(rec_vocab_index(v, "7"), 3);
    ck_assert_uint_eq(rec_vocab_index(v, "4"), 0);
    ck_assert_uint_eq(rec_vocab_index(v, "420"), 0);
    ck_assert_uint_eq(rec_vocab_index(v, "10"), 0);
    ck_assert_uint_eq(rec_vocab_index(v, ""), 0);
    ck_assert_uint_eq(rec_vocab_index(v, NULL), 0);
    ck_assert_uint_eq(rec_vocab_index(NULL, "42"), 0);
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_empty_string_is_a_token)
{
    /* "" sorts before everything: "" → 1, "a" → 2, "ab" → 3 (a prefix sorts first) */
    const char *toks[] = {"ab", "", "a"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 3));
    ck_assert_uint_eq(rec_vocab_size(v), 4);
    ck_assert_uint_eq(rec_vocab_index(v, ""), 1);
    ck_assert_uint_eq(rec_vocab_index(v, "a"), 2);
    ck_assert_uint_eq(rec_vocab_index(v, "ab"), 3);
    ck_assert_str_eq(rec_vocab_token(v, 1), "");
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_utf8_byte_order)
{
    /* bytes: "Z" 5A, "a" 61, "z" 7A, "ä" C3 A4, "é" C3 A9, "€" E2 82 AC, "😀" F0 9F 98 80.
     * Unsigned byte order = code point order; a signed-char compare would put é first. */
    const char *toks[] = {"\xe2\x82\xac", "z", "\xc3\xa9", "Z", "\xf0\x9f\x98\x80", "a",
                          "\xc3\xa4"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, N_OF(toks)));
    const char *expect[] = {"Z", "a", "z", "\xc3\xa4", "\xc3\xa9", "\xe2\x82\xac",
                            "\xf0\x9f\x98\x80"};
    for (uint32_t i = 0; i < N_OF(expect); i++) {
        ck_assert_str_eq(rec_vocab_token(v, i + 1), expect[i]);
        ck_assert_uint_eq(rec_vocab_index(v, expect[i]), i + 1);
    }
    /* a lone lead byte is a different string */
    ck_assert_uint_eq(rec_vocab_index(v, "\xc3"), 0);
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_lookup_known_and_unknown)
{
    const char *toks[] = {"x", "y"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 2));
    uint32_t id = 99;
    ck_assert_rec_ok(rec_vocab_lookup(&id, v, "y"));
    ck_assert_uint_eq(id, 2);
    id = 99;
    ck_assert_rec_fails(rec_vocab_lookup(&id, v, "w"), REC_ENOTFOUND, "\"w\"");
    ck_assert_uint_eq(id, 0);
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_lookup_errors)
{
    const char *toks[] = {"x"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 1));
    uint32_t id = 99;
    ck_assert_rec_fails(rec_vocab_lookup(NULL, v, "x"), REC_EINVAL, "id_out is NULL");
    ck_assert_rec_fails(rec_vocab_lookup(&id, NULL, "x"), REC_EINVAL, "vocab is NULL");
    ck_assert_uint_eq(id, 0);
    id = 99;
    ck_assert_rec_fails(rec_vocab_lookup(&id, v, NULL), REC_EINVAL, "token is NULL");
    ck_assert_uint_eq(id, 0);
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_lookup_batch_counts_unknown)
{
    const char *toks[] = {"c", "a", "b"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 3));
    const char *q[] = {"b", "zz", "a", "", "c", "b", "A"};
    uint32_t ids[N_OF(q)];
    size_t unknown = 99;
    ck_assert_rec_ok(rec_vocab_lookup_batch(ids, &unknown, v, q, N_OF(q)));
    const uint32_t expect[] = {2, 0, 1, 0, 3, 2, 0};
    for (size_t i = 0; i < N_OF(q); i++)
        ck_assert_uint_eq(ids[i], expect[i]);
    ck_assert_uint_eq(unknown, 3); /* "zz", "", "A" */
    /* n_unknown_out may be NULL */
    ck_assert_rec_ok(rec_vocab_lookup_batch(ids, NULL, v, q, 2));
    ck_assert_uint_eq(ids[1], 0);
    /* n = 0 does nothing and reports 0 unknown */
    unknown = 99;
    ck_assert_rec_ok(rec_vocab_lookup_batch(NULL, &unknown, v, NULL, 0));
    ck_assert_uint_eq(unknown, 0);
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_lookup_batch_errors)
{
    const char *toks[] = {"a"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 1));
    const char *q[] = {"a", "b", NULL, "a"};
    uint32_t ids[4];
    size_t unknown;
    ck_assert_rec_fails(rec_vocab_lookup_batch(ids, &unknown, v, q, 4), REC_EINVAL,
                        "rec_vocab_lookup_batch: tokens[2] is NULL");
    ck_assert_rec_fails(rec_vocab_lookup_batch(NULL, &unknown, v, q, 2), REC_EINVAL,
                        "ids_out is NULL");
    ck_assert_rec_fails(rec_vocab_lookup_batch(ids, &unknown, v, NULL, 2), REC_EINVAL,
                        "tokens is NULL");
    ck_assert_rec_fails(rec_vocab_lookup_batch(ids, &unknown, NULL, q, 2), REC_EINVAL,
                        "vocab is NULL");
    rec_vocab_free(v);
}
END_TEST

/* ---- token and size ------------------------------------------------------------------------ */

START_TEST(test_vocab_token_out_of_range_is_null)
{
    const char *toks[] = {"p", "q"};
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 2));
    ck_assert_uint_eq(rec_vocab_size(v), 3);
    ck_assert_ptr_null(rec_vocab_token(v, 0));
    ck_assert_str_eq(rec_vocab_token(v, 2), "q");
    ck_assert_ptr_null(rec_vocab_token(v, 3)); /* = size */
    ck_assert_ptr_null(rec_vocab_token(v, UINT32_MAX));
    ck_assert_ptr_null(rec_vocab_token(NULL, 1));
    ck_assert_uint_eq(rec_vocab_size(NULL), 0);
    rec_vocab_free(v);
}
END_TEST

START_TEST(test_vocab_large_round_trip)
{
    /* the decimal strings "0".."9999", shuffled, plus every one a second time */
    enum { N = 10000 };
    char (*buf)[8] = malloc(N * sizeof *buf);
    const char **toks = malloc(2 * N * sizeof *toks);
    ck_assert_ptr_nonnull(buf);
    ck_assert_ptr_nonnull(toks);
    for (int i = 0; i < N; i++)
        snprintf(buf[i], sizeof buf[i], "%d", i);
    for (int i = 0; i < N; i++) {
        toks[i] = buf[(i * 7919) % N]; /* 7919 is prime, coprime with 10^4: a permutation */
        toks[N + i] = buf[i];
    }
    rec_vocab *v = NULL;
    ck_assert_rec_ok(rec_vocab_create(&v, toks, 2 * N));
    ck_assert_uint_eq(rec_vocab_size(v), N + 1);
    /* byte order starts "0", "1", "10", "100", "1000", "1001", ... and ends "9999" */
    ck_assert_uint_eq(rec_vocab_index(v, "0"), 1);
    ck_assert_uint_eq(rec_vocab_index(v, "1"), 2);
    ck_assert_uint_eq(rec_vocab_index(v, "10"), 3);
    ck_assert_uint_eq(rec_vocab_index(v, "100"), 4);
    ck_assert_uint_eq(rec_vocab_index(v, "1000"), 5);
    ck_assert_uint_eq(rec_vocab_index(v, "1001"), 6);
    ck_assert_uint_eq(rec_vocab_index(v, "9999"), N);
    for (uint32_t id = 1; id <= N; id++) {
        const char *t = rec_vocab_token(v, id);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_eq(rec_vocab_index(v, t), id);
        if (id > 1)
            ck_assert_int_lt(strcmp(rec_vocab_token(v, id - 1), t), 0);
    }
    ck_assert_uint_eq(rec_vocab_index(v, "10000"), 0);
    ck_assert_uint_eq(rec_vocab_index(v, "-1"), 0);
    ck_assert_uint_eq(rec_vocab_index(v, "00"), 0);
    rec_vocab_free(v);
    free(toks);
    free(buf);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------------- */

START_TEST(test_vocab_create_errors)
{
    const char *toks[] = {"a", "b", NULL, "c"};
    rec_vocab *v = (rec_vocab *)&v; /* any non-NULL value: must be reset to NULL */
    ck_assert_rec_fails(rec_vocab_create(NULL, toks, 2), REC_EINVAL, "out is NULL");
    ck_assert_rec_fails(rec_vocab_create(&v, NULL, 3), REC_EINVAL,
                        "rec_vocab_create: tokens is NULL with n = 3");
    ck_assert_ptr_null(v);
    v = (rec_vocab *)&v;
    ck_assert_rec_fails(rec_vocab_create(&v, toks, 4), REC_EINVAL,
                        "rec_vocab_create: tokens[2] is NULL");
    ck_assert_ptr_null(v);
}
END_TEST

static Suite *vocab_suite(void)
{
    Suite *s = suite_create("vocab");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_vocab_create_sorts_and_dedups);
    tcase_add_test(tc, test_vocab_create_empty);
    tcase_add_test(tc, test_vocab_create_copies_strings);
    tcase_add_test(tc, test_vocab_free_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("lookup");
    tcase_add_test(tc, test_vocab_index_unknown_is_zero);
    tcase_add_test(tc, test_vocab_empty_string_is_a_token);
    tcase_add_test(tc, test_vocab_utf8_byte_order);
    tcase_add_test(tc, test_vocab_lookup_known_and_unknown);
    tcase_add_test(tc, test_vocab_lookup_errors);
    tcase_add_test(tc, test_vocab_lookup_batch_counts_unknown);
    tcase_add_test(tc, test_vocab_lookup_batch_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("token");
    tcase_add_test(tc, test_vocab_token_out_of_range_is_null);
    tcase_add_test(tc, test_vocab_large_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_vocab_create_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(vocab_suite());
}
