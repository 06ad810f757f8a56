/* Suite "textvec": rec_textvec_* (Keras TextVectorization, lower_and_strip_punctuation,
 * whitespace split). */
#include "rec_check.h"

#include <stdio.h>

/* The small corpus: after standardization
 *   "The Cat, the HAT!" → the cat the hat
 *   "cat's hat"         → cats hat
 *   "A cat (1995)"      → a cat 1995
 *   "--- ..."           → (two all-punctuation pieces, dropped)
 *   "Hat\tthe\ncat"     → hat the cat
 *   "abc ab"            → abc ab
 * counts: the 3, cat 3, hat 3, cats 1, a 1, 1995 1, abc 1, ab 1.
 * count 3, bytes descending: "the" > "hat" > "cat"            → ids 2, 3, 4
 * count 1, bytes descending: "cats" > "abc" > "ab" > "a" > "1995" → ids 5..9
 * ("ab" is a prefix of "abc", so it sorts below it; '1' = 0x31 is the smallest first byte) */
static const char *const CORPUS[6] = {"The Cat, the HAT!", "cat's hat", "A cat (1995)",
                                      "--- ...",           "Hat\tthe\ncat", "abc ab"};
static const char *const VOCAB[10] = {"", "[UNK]", "the", "hat", "cat", "cats",
                                      "abc", "ab", "a", "1995"};

static rec_textvec *make_corpus(uint32_t max_tokens)
{
    rec_textvec *tv = NULL;
    ck_assert_rec_ok(rec_textvec_adapt(&tv, CORPUS, 6, max_tokens));
    return tv;
}

static void assert_std(const char *in, const char *want)
{
    char buf[128];
    size_t len = 0;
    ck_assert_rec_ok(rec_textvec_standardize(buf, sizeof buf, &len, in));
    ck_assert_str_eq(buf, want);
    ck_assert_uint_eq(len, strlen(want));
}

/* ---- standardize ---------------------------------------------------------------------------- */

START_TEST(test_textvec_standardize_golden)
{
    assert_std("Don't Look Now (1973)", "dont look now 1973");
    assert_std("Misérables, Les (1995)", "misérables les 1995"); /* é = C3 A9 untouched */
    assert_std("Star Wars: Episode IV - A New Hope", "star wars episode iv  a new hope");
    assert_std("A\tB\nC\rD", "a\tb\nc\rd"); /* whitespace kept: only split removes it */
    assert_std("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", ""); /* all 32, deleted */
    assert_std("ÉCOLE Ÿ", "École Ÿ"); /* É (C3 89), Ÿ (C5 B8): only ASCII is lowered */
    assert_std("", "");
}
END_TEST

START_TEST(test_textvec_standardize_truncates_and_reports_length)
{
    /* "Hello, World" → "hello world" (11 bytes); cap 5 keeps 4 bytes + NUL */
    char buf[5] = "xxxx";
    size_t len = 0;
    ck_assert_rec_ok(rec_textvec_standardize(buf, sizeof buf, &len, "Hello, World"));
    ck_assert_str_eq(buf, "hell");
    ck_assert_uint_eq(len, 11);
    ck_assert_rec_ok(rec_textvec_standardize(NULL, 0, &len, "A-B")); /* size query: "ab" */
    ck_assert_uint_eq(len, 2);
    ck_assert_rec_ok(rec_textvec_standardize(buf, 1, NULL, "abc")); /* cap 1: just the NUL */
    ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- vocabulary ----------------------------------------------------------------------------- */

START_TEST(test_textvec_vocabulary_order)
{
    rec_textvec *tv = make_corpus(100);
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 10);
    ck_assert_uint_eq(rec_textvec_max_tokens(tv), 100);
    for (uint32_t i = 0; i < 10; i++)
        ck_assert_str_eq(rec_textvec_token(tv, i), VOCAB[i]);
    ck_assert_ptr_null(rec_textvec_token(tv, 10));
    ck_assert_ptr_null(rec_textvec_token(tv, UINT32_MAX));
    rec_textvec_free(tv);
}
END_TEST

START_TEST(test_textvec_vocabulary_utf8_bytes_order)
{
    /* counts: les 2; Été, misérables, amants, 1995 1 each ("Été" keeps its capital: É is
     * not ASCII). Ties by bytes descending: "Été" starts with C3 > 'm' (6D) > 'a' (61) > '1' */
    const char *const t[3] = {"Misérables, Les (1995)", "Les Amants", "Été"};
    const char *const want[7] = {"", "[UNK]", "les", "Été", "misérables", "amants", "1995"};
    rec_textvec *tv = NULL;
    ck_assert_rec_ok(rec_textvec_adapt(&tv, t, 3, 10000));
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 7);
    for (uint32_t i = 0; i < 7; i++)
        ck_assert_str_eq(rec_textvec_token(tv, i), want[i]);
    uint32_t ids[4];
    size_t n = 0;
    ck_assert_rec_ok(rec_textvec_encode(ids, 4, &n, tv, "MISÉRABLES les"));
    /* "misÉrables": É is not lowered, so it is not "misérables" → OOV */
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ids[0], 1);
    ck_assert_uint_eq(ids[1], 2);
    ck_assert_rec_ok(rec_textvec_encode(ids, 4, &n, tv, "Misérables!"));
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(ids[0], 4);
    rec_textvec_free(tv);
}
END_TEST

START_TEST(test_textvec_max_tokens_truncates)
{
    /* max_tokens 5: padding, OOV and the 3 most frequent (the, hat, cat) */
    rec_textvec *tv = make_corpus(5);
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 5);
    ck_assert_uint_eq(rec_textvec_max_tokens(tv), 5);
    for (uint32_t i = 0; i < 5; i++)
        ck_assert_str_eq(rec_textvec_token(tv, i), VOCAB[i]);
    ck_assert_ptr_null(rec_textvec_token(tv, 5));
    uint32_t ids[3];
    size_t n = 0;
    ck_assert_rec_ok(rec_textvec_encode(ids, 3, &n, tv, "cats cat abc"));
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(ids[0], 1); /* dropped by truncation → OOV */
    ck_assert_uint_eq(ids[1], 4);
    ck_assert_uint_eq(ids[2], 1);
    rec_textvec_free(tv);

    /* max_tokens 2: only padding and OOV; every token is OOV */
    tv = make_corpus(2);
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 2);
    ck_assert_str_eq(rec_textvec_token(tv, 0), "");
    ck_assert_str_eq(rec_textvec_token(tv, 1), "[UNK]");
    ck_assert_ptr_null(rec_textvec_token(tv, 2));
    ck_assert_rec_ok(rec_textvec_encode(ids, 3, &n, tv, "the hat"));
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ids[0], 1);
    ck_assert_uint_eq(ids[1], 1);
    rec_textvec_free(tv);
}
END_TEST

START_TEST(test_textvec_adapt_empty_corpus)
{
    rec_textvec *tv = NULL;
    ck_assert_rec_ok(rec_textvec_adapt(&tv, NULL, 0, 10));
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 2);
    rec_textvec_free(tv);
}
END_TEST

START_TEST(test_textvec_many_tokens_grow_table)
{
    /* 3000 distinct tokens "w0".."w2999" (forces several table growths); "w7" appears twice
     * so it is id 2; the rest tie at 1 and sort by bytes descending: "w999" first → id 3. */
    enum { N = 3000 };
    static char buf[N][8];
    static const char *t[N + 1];
    for (int i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "W%d", i);
        t[i] = buf[i];
    }
    t[N] = "w7";
    rec_textvec *tv = NULL;
    ck_assert_rec_ok(rec_textvec_adapt(&tv, t, N + 1, 100000));
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), N + 2);
    ck_assert_str_eq(rec_textvec_token(tv, 2), "w7");
    ck_assert_str_eq(rec_textvec_token(tv, 3), "w999");
    ck_assert_str_eq(rec_textvec_token(tv, N + 1), "w0");
    uint32_t id;
    size_t n;
    for (int i = 0; i < N; i++) {
        char low[8];
        snprintf(low, sizeof low, "w%d", i);
        ck_assert_rec_ok(rec_textvec_encode(&id, 1, &n, tv, buf[i]));
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(rec_textvec_token(tv, id), low);
    }
    rec_textvec_free(tv);
}
END_TEST

/* ---- encode --------------------------------------------------------------------------------- */

START_TEST(test_textvec_encode_with_unknowns)
{
    /* "The cat sat on the mat." → the cat sat on the mat → 2 4 1 1 2 1 */
    rec_textvec *tv = make_corpus(100);
    uint32_t ids[8];
    size_t n = 0;
    ck_assert_rec_ok(rec_textvec_encode(ids, 8, &n, tv, "The cat sat on the mat."));
    ck_assert_uint_eq(n, 6);
    const uint32_t want[6] = {2, 4, 1, 1, 2, 1};
    ck_assert_mem_eq(ids, want, sizeof want);
    /* all six ASCII whitespace bytes separate: a | ab | abc | cats */
    ck_assert_rec_ok(rec_textvec_encode(ids, 8, &n, tv, " a\vab\f\fabc\r\n cats \t"));
    ck_assert_uint_eq(n, 4);
    const uint32_t want2[4] = {8, 7, 6, 5};
    ck_assert_mem_eq(ids, want2, sizeof want2);
    /* punctuation inside a word is deleted, not a separator: "c-a-t" is "cat" */
    ck_assert_rec_ok(rec_textvec_encode(ids, 8, &n, tv, "C-A-T ... (1995)"));
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ids[0], 4);
    ck_assert_uint_eq(ids[1], 9);
    rec_textvec_free(tv);
}
END_TEST

START_TEST(test_textvec_encode_truncates_to_cap)
{
    rec_textvec *tv = make_corpus(100);
    uint32_t ids[3] = {77, 77, 77};
    size_t n = 0;
    ck_assert_rec_ok(rec_textvec_encode(ids, 2, &n, tv, "the hat cat"));
    ck_assert_uint_eq(n, 3); /* full count */
    ck_assert_uint_eq(ids[0], 2);
    ck_assert_uint_eq(ids[1], 3);
    ck_assert_uint_eq(ids[2], 77); /* beyond cap: untouched */
    ck_assert_rec_ok(rec_textvec_encode(NULL, 0, &n, tv, "a b c d")); /* count only */
    ck_assert_uint_eq(n, 4);
    ck_assert_rec_ok(rec_textvec_encode(ids, 3, &n, tv, "   "));
    ck_assert_uint_eq(n, 0);
    rec_textvec_free(tv);
}
END_TEST

START_TEST(test_textvec_encode_batch_pads_with_zero)
{
    /* counts 1, 0, 4, 0 → width 4:
     * "cat" → 4; "" → none; "the hat ab abc!" → 2 3 7 6; "!!!" → none */
    rec_textvec *tv = make_corpus(100);
    const char *const t[4] = {"cat", "", "the hat ab abc!", "!!!"};
    size_t w = 0;
    ck_assert_rec_ok(rec_textvec_encode_batch(NULL, &w, tv, t, 4)); /* width query */
    ck_assert_uint_eq(w, 4);
    uint32_t ids[16];
    memset(ids, 0xff, sizeof ids);
    ck_assert_rec_ok(rec_textvec_encode_batch(ids, &w, tv, t, 4));
    ck_assert_uint_eq(w, 4);
    const uint32_t want[16] = {4, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7, 6, 0, 0, 0, 0};
    ck_assert_mem_eq(ids, want, sizeof want);

    /* only empty texts: width 0, nothing written */
    const char *const e[2] = {"", " ? "};
    ck_assert_rec_ok(rec_textvec_encode_batch(ids, &w, tv, e, 2));
    ck_assert_uint_eq(w, 0);
    ck_assert_rec_ok(rec_textvec_encode_batch(NULL, &w, tv, NULL, 0));
    ck_assert_uint_eq(w, 0);
    rec_textvec_free(tv);
}
END_TEST

START_TEST(test_textvec_invalid_utf8_does_not_crash)
{
    /* stray continuation bytes, a truncated sequence and 0xFF pass through as bytes */
    const char *const t[2] = {"\xff\xfe ABC \xc3", "abc \x80\x80!"};
    char buf[32];
    size_t len = 0;
    ck_assert_rec_ok(rec_textvec_standardize(buf, sizeof buf, &len, t[0]));
    ck_assert_str_eq(buf, "\xff\xfe abc \xc3");
    rec_textvec *tv = NULL;
    ck_assert_rec_ok(rec_textvec_adapt(&tv, t, 2, 100));
    /* counts: abc 2; "\xff\xfe", "\xc3", "\x80\x80" 1 each, bytes descending: FF, C3, 80 */
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 6);
    ck_assert_str_eq(rec_textvec_token(tv, 2), "abc");
    ck_assert_str_eq(rec_textvec_token(tv, 3), "\xff\xfe");
    ck_assert_str_eq(rec_textvec_token(tv, 4), "\xc3");
    ck_assert_str_eq(rec_textvec_token(tv, 5), "\x80\x80");
    uint32_t ids[4];
    size_t n = 0;
    ck_assert_rec_ok(rec_textvec_encode(ids, 4, &n, tv, "\xc3 \xc3\xa9"));
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(ids[0], 4);
    ck_assert_uint_eq(ids[1], 1);
    rec_textvec_free(tv);
}
END_TEST

/* ---- given vocabulary (rec_textvec_create) --------------------------------------------------- */

START_TEST(test_textvec_create_given_vocabulary)
{
    /* tokens[i] gets id i + 2, in the given order (not re-sorted):
     *   "wars" → 2, "star" → 3, "é" (UTF-8 c3 a9) → 4
     * "Star Wars: the Return (é)" → star wars the return é → 3 2 1 1 4 */
    const char *const tokens[3] = {"wars", "star", "\xc3\xa9"};
    rec_textvec *tv = NULL;
    ck_assert_rec_ok(rec_textvec_create(&tv, tokens, 3, 10));
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 5);
    ck_assert_uint_eq(rec_textvec_max_tokens(tv), 10);
    ck_assert_str_eq(rec_textvec_token(tv, 0), "");
    ck_assert_str_eq(rec_textvec_token(tv, 1), "[UNK]");
    ck_assert_str_eq(rec_textvec_token(tv, 2), "wars");
    ck_assert_str_eq(rec_textvec_token(tv, 3), "star");
    ck_assert_str_eq(rec_textvec_token(tv, 4), "\xc3\xa9");
    ck_assert_ptr_null(rec_textvec_token(tv, 5));
    uint32_t ids[8];
    size_t n = 0;
    ck_assert_rec_ok(rec_textvec_encode(ids, 8, &n, tv, "Star Wars: the Return (\xc3\xa9)"));
    ck_assert_uint_eq(n, 5);
    const uint32_t want[5] = {3, 2, 1, 1, 4};
    ck_assert_mem_eq(ids, want, sizeof want);
    rec_textvec_free(tv);

    /* an empty vocabulary: every token is OOV; n + 2 = max_tokens exactly is allowed */
    ck_assert_rec_ok(rec_textvec_create(&tv, NULL, 0, 2));
    ck_assert_uint_eq(rec_textvec_vocab_size(tv), 2);
    ck_assert_rec_ok(rec_textvec_encode(ids, 8, &n, tv, "anything at all"));
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(ids[0], 1);
    rec_textvec_free(tv);
}
END_TEST

/* The tokens of an adapted vectorizer, given back to rec_textvec_create(), encode every text
 * the same way (how rec_model_load() restores a TEXT feature). */
START_TEST(test_textvec_create_restores_adapted)
{
    rec_textvec *a = make_corpus(100), *b = NULL;
    size_t n = rec_textvec_vocab_size(a) - 2; /* 8 tokens, ids 2..9 */
    ck_assert_uint_eq(n, 8);
    const char *tokens[8];
    for (uint32_t i = 0; i < n; i++)
        tokens[i] = rec_textvec_token(a, i + 2);
    ck_assert_rec_ok(rec_textvec_create(&b, tokens, n, 100));
    ck_assert_uint_eq(rec_textvec_vocab_size(b), 10);
    for (uint32_t id = 0; id < 10; id++)
        ck_assert_str_eq(rec_textvec_token(b, id), VOCAB[id]);
    const char *const texts[3] = {"The CAT's hat, 1995!", "ab abc a cats zebra", ""};
    for (int t = 0; t < 3; t++) {
        uint32_t ia[16], ib[16];
        size_t na = 0, nb = 0;
        ck_assert_rec_ok(rec_textvec_encode(ia, 16, &na, a, texts[t]));
        ck_assert_rec_ok(rec_textvec_encode(ib, 16, &nb, b, texts[t]));
        ck_assert_uint_eq(na, nb);
        ck_assert_mem_eq(ia, ib, na * sizeof *ia);
    }
    rec_textvec_free(a);
    rec_textvec_free(b);
}
END_TEST

START_TEST(test_textvec_create_errors)
{
    rec_textvec *tv = (rec_textvec *)&tv;
    const char *const ok[2] = {"a", "b"};
    ck_assert_rec_fails(rec_textvec_create(NULL, ok, 2, 10), REC_EINVAL,
                        "rec_textvec_create: out is NULL");
    ck_assert_rec_fails(rec_textvec_create(&tv, NULL, 2, 10), REC_EINVAL, "tokens is NULL");
    ck_assert_ptr_null(tv);
    ck_assert_rec_fails(rec_textvec_create(&tv, ok, 2, 1), REC_EINVAL, "max_tokens = 1");
    /* 2 tokens + 2 reserved = 4 > 3 */
    ck_assert_rec_fails(rec_textvec_create(&tv, ok, 2, 3), REC_EINVAL,
                        "2 tokens + 2 reserved exceed max_tokens = 3");
    const char *const null_entry[2] = {"a", NULL};
    ck_assert_rec_fails(rec_textvec_create(&tv, null_entry, 2, 10), REC_EINVAL,
                        "tokens[1] is NULL");
    const char *const empty[1] = {""};
    ck_assert_rec_fails(rec_textvec_create(&tv, empty, 1, 10), REC_EINVAL,
                        "tokens[0] \"\" is empty");
    const char *const upper[2] = {"a", "Cat"};
    ck_assert_rec_fails(rec_textvec_create(&tv, upper, 2, 10), REC_EINVAL,
                        "tokens[1] \"Cat\" contains upper case");
    const char *const punct[1] = {"cat's"};
    ck_assert_rec_fails(rec_textvec_create(&tv, punct, 1, 10), REC_EINVAL,
                        "contains punctuation");
    const char *const space[1] = {"two words"};
    ck_assert_rec_fails(rec_textvec_create(&tv, space, 1, 10), REC_EINVAL,
                        "contains whitespace");
    const char *const dup[3] = {"a", "b", "a"};
    ck_assert_rec_fails(rec_textvec_create(&tv, dup, 3, 10), REC_EINVAL,
                        "tokens[2] \"a\" is a duplicate");
    ck_assert_ptr_null(tv);
}
END_TEST

/* ---- errors --------------------------------------------------------------------------------- */

START_TEST(test_textvec_adapt_errors)
{
    rec_textvec *tv = (rec_textvec *)&tv;
    const char *const bad[3] = {"a", NULL, "b"};
    ck_assert_rec_fails(rec_textvec_adapt(&tv, bad, 3, 10), REC_EINVAL, "texts[1] is NULL");
    ck_assert_ptr_null(tv);
    ck_assert_rec_fails(rec_textvec_adapt(&tv, NULL, 2, 10), REC_EINVAL, "texts is NULL");
    ck_assert_rec_fails(rec_textvec_adapt(&tv, CORPUS, 6, 1), REC_EINVAL, "max_tokens = 1");
    ck_assert_rec_fails(rec_textvec_adapt(&tv, CORPUS, 6, 0), REC_EINVAL, "max_tokens = 0");
    ck_assert_rec_fails(rec_textvec_adapt(NULL, CORPUS, 6, 10), REC_EINVAL,
                        "rec_textvec_adapt: out");
}
END_TEST

START_TEST(test_textvec_standardize_encode_errors)
{
    char buf[4];
    size_t n;
    uint32_t ids[4];
    ck_assert_rec_fails(rec_textvec_standardize(buf, 4, &n, NULL), REC_EINVAL, "text is NULL");
    ck_assert_rec_fails(rec_textvec_standardize(NULL, 4, &n, "a"), REC_EINVAL,
                        "out is NULL with cap = 4");

    rec_textvec *tv = make_corpus(100);
    ck_assert_rec_fails(rec_textvec_encode(ids, 4, &n, NULL, "a"), REC_EINVAL, "tv is NULL");
    ck_assert_rec_fails(rec_textvec_encode(ids, 4, &n, tv, NULL), REC_EINVAL, "text is NULL");
    ck_assert_rec_fails(rec_textvec_encode(ids, 4, NULL, tv, "a"), REC_EINVAL, "n_out");
    ck_assert_rec_fails(rec_textvec_encode(NULL, 4, &n, tv, "a"), REC_EINVAL,
                        "ids_out is NULL with cap = 4");

    const char *const t[2] = {"a", NULL};
    size_t w = 99;
    ck_assert_rec_fails(rec_textvec_encode_batch(ids, NULL, tv, t, 1), REC_EINVAL, "width_out");
    ck_assert_rec_fails(rec_textvec_encode_batch(ids, &w, NULL, t, 1), REC_EINVAL, "tv");
    ck_assert_rec_fails(rec_textvec_encode_batch(ids, &w, tv, NULL, 1), REC_EINVAL,
                        "texts is NULL");
    ck_assert_rec_fails(rec_textvec_encode_batch(ids, &w, tv, t, 2), REC_EINVAL,
                        "rec_textvec_encode_batch: texts[1] is NULL");
    ck_assert_uint_eq(w, 99); /* not written on failure */
    rec_textvec_free(tv);

    ck_assert_uint_eq(rec_textvec_vocab_size(NULL), 0);
    ck_assert_uint_eq(rec_textvec_max_tokens(NULL), 0);
    ck_assert_ptr_null(rec_textvec_token(NULL, 0));
}
END_TEST

START_TEST(test_textvec_free_null)
{
    rec_textvec_free(NULL);
}
END_TEST

static Suite *textvec_suite(void)
{
    Suite *s = suite_create("textvec");
    TCase *tc = tcase_create("standardize");
    tcase_add_test(tc, test_textvec_standardize_golden);
    tcase_add_test(tc, test_textvec_standardize_truncates_and_reports_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("vocabulary");
    tcase_add_test(tc, test_textvec_vocabulary_order);
    tcase_add_test(tc, test_textvec_vocabulary_utf8_bytes_order);
    tcase_add_test(tc, test_textvec_max_tokens_truncates);
    tcase_add_test(tc, test_textvec_adapt_empty_corpus);
    tcase_add_test(tc, test_textvec_many_tokens_grow_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_test(tc, test_textvec_encode_with_unknowns);
    tcase_add_test(tc, test_textvec_encode_truncates_to_cap);
    tcase_add_test(tc, test_textvec_encode_batch_pads_with_zero);
    tcase_add_test(tc, test_textvec_invalid_utf8_does_not_crash);
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_test(tc, test_textvec_create_given_vocabulary);
    tcase_add_test(tc, test_textvec_create_restores_adapted);
    tcase_add_test(tc, test_textvec_create_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_textvec_adapt_errors);
    tcase_add_test(tc, test_textvec_standardize_encode_errors);
    tcase_add_test(tc, test_textvec_free_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(textvec_suite());
}
