/* Suite "error": status strings, the per-thread last-error message, and the version calls. */
#include "rec_check.h"

#include <pthread.h>
#include <stdio.h>

/* ---- status strings ------------------------------------------------------------------------ */

START_TEST(test_error_status_str_every_code)
{
    /* the exact strings are part of what users see in logs: pin them */
    ck_assert_str_eq(rec_status_str(REC_OK), "success");
    ck_assert_str_eq(rec_status_str(REC_ERROR), "error");
    ck_assert_str_eq(rec_status_str(REC_ENOMEM), "out of memory");
    ck_assert_str_eq(rec_status_str(REC_EINVAL), "invalid argument");
    ck_assert_str_eq(rec_status_str(REC_ENOTFOUND), "not found");
    ck_assert_str_eq(rec_status_str(REC_EIO), "input/output error");
    ck_assert_str_eq(rec_status_str(REC_EFORMAT), "malformed or unsupported data");
    ck_assert_str_eq(rec_status_str(REC_ESHAPE), "sizes do not match");
    ck_assert_str_eq(rec_status_str(REC_ESTATE), "call made in the wrong state");
    ck_assert_str_eq(rec_status_str(REC_ENUMERIC), "non-finite number");
}
END_TEST

START_TEST(test_error_status_str_codes_are_fixed)
{
    /* values are ABI: bindings hard-code them */
    ck_assert_int_eq(REC_OK, 0);
    ck_assert_int_eq(REC_ERROR, -1);
    ck_assert_int_eq(REC_ENOMEM, -2);
    ck_assert_int_eq(REC_EINVAL, -3);
    ck_assert_int_eq(REC_ENOTFOUND, -4);
    ck_assert_int_eq(REC_EIO, -5);
    ck_assert_int_eq(REC_EFORMAT, -6);
    ck_assert_int_eq(REC_ESHAPE, -7);
    ck_assert_int_eq(REC_ESTATE, -8);
    ck_assert_int_eq(REC_ENUMERIC, -9);
}
END_TEST

START_TEST(test_error_status_str_unknown_code)
{
    const int unknown[] = {-10, -1000, 1, 42, -2147483647 - 1, 2147483647};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = rec_status_str(unknown[i]);
        ck_assert_ptr_nonnull(s);
        ck_assert_str_eq(s, "unknown error");
    }
}
END_TEST

/* ---- last error ---------------------------------------------------------------------------- */

struct thread_result {
    int was_null;
    char initial[64];
    char after[256];
    int rc;
};

static void *fresh_thread(void *arg)
{
    struct thread_result *r = arg;
    const char *e = rec_last_error();
    r->was_null = e == NULL;
    if (e)
        snprintf(r->initial, sizeof r->initial, "%s", e);
    return NULL;
}

START_TEST(test_error_last_error_empty_in_fresh_thread)
{
    struct thread_result r = {.was_null = -1, .initial = "sentinel"};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fresh_thread, &r), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(r.was_null, 0);
    ck_assert_str_eq(r.initial, "");
}
END_TEST

START_TEST(test_error_last_error_set_after_failure)
{
    ck_assert_int_eq(rec_rng_create(NULL, 1), REC_EINVAL);
    ck_assert_str_eq(rec_last_error(), "rec_rng_create: out is NULL");
}
END_TEST

START_TEST(test_error_last_error_kept_after_success)
{
    /* documented: successful calls do not clear the message */
    ck_assert_int_eq(rec_rng_create(NULL, 1), REC_EINVAL);
    rec_rng *rng = NULL;
    ck_assert_rec_ok(rec_rng_create(&rng, 1));
    ck_assert_str_eq(rec_last_error(), "rec_rng_create: out is NULL");
    rec_rng_free(rng);
}
END_TEST

static void *failing_thread(void *arg)
{
    struct thread_result *r = arg;
    r->rc = rec_rng_shuffle_u32(NULL, NULL, 0);
    snprintf(r->after, sizeof r->after, "%s", rec_last_error());
    return NULL;
}

START_TEST(test_error_last_error_is_per_thread)
{
    /* A fails, B must not see A's message; the main thread's own message survives both. */
    ck_assert_int_eq(rec_rng_create(NULL, 1), REC_EINVAL);
    struct thread_result a = {0}, b = {.initial = "sentinel"};
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, failing_thread, &a), 0);
    ck_assert_int_eq(pthread_join(ta, NULL), 0);
    ck_assert_int_eq(a.rc, REC_EINVAL);
    ck_assert_str_eq(a.after, "rec_rng_shuffle_u32: rng is NULL");

    ck_assert_int_eq(pthread_create(&tb, NULL, fresh_thread, &b), 0);
    ck_assert_int_eq(pthread_join(tb, NULL), 0);
    ck_assert_str_eq(b.initial, "");

    ck_assert_str_eq(rec_last_error(), "rec_rng_create: out is NULL");
}
END_TEST

START_TEST(test_error_set_returns_code_and_sets_message)
{
    /* rec_error_set: how code built on librec (librec_mpi) reports through rec_last_error() */
    ck_assert_int_eq(rec_error_set(REC_EIO, "mine: rank 1 failed"), REC_EIO);
    ck_assert_str_eq(rec_last_error(), "mine: rank 1 failed");
    ck_assert_int_eq(rec_error_set(REC_EINVAL, NULL), REC_EINVAL);
    ck_assert_str_eq(rec_last_error(), "");
    char longer[2000];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ck_assert_int_eq(rec_error_set(REC_ERROR, longer), REC_ERROR);
    ck_assert_uint_eq(strlen(rec_last_error()), 511); /* truncated, still terminated */
}
END_TEST

/* ---- version ------------------------------------------------------------------------------- */

START_TEST(test_error_version_number_matches_header)
{
    ck_assert_uint_eq(rec_version(), REC_VERSION_NUMBER);
    /* major * 10000 + minor * 100 + patch */
    ck_assert_uint_eq(REC_VERSION_NUMBER,
                      REC_VERSION_MAJOR * 10000 + REC_VERSION_MINOR * 100 + REC_VERSION_PATCH);
}
END_TEST

START_TEST(test_error_version_string_matches_header)
{
    const char *s = rec_version_string();
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, REC_VERSION_STRING);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", REC_VERSION_MAJOR, REC_VERSION_MINOR,
             REC_VERSION_PATCH);
    ck_assert_str_eq(s, expect);
}
END_TEST

static Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, test_error_status_str_every_code);
    tcase_add_test(tc, test_error_status_str_codes_are_fixed);
    tcase_add_test(tc, test_error_status_str_unknown_code);
    suite_add_tcase(s, tc);

    tc = tcase_create("last_error");
    tcase_add_test(tc, test_error_last_error_empty_in_fresh_thread);
    tcase_add_test(tc, test_error_last_error_set_after_failure);
    tcase_add_test(tc, test_error_last_error_kept_after_success);
    tcase_add_test(tc, test_error_last_error_is_per_thread);
    tcase_add_test(tc, test_error_set_returns_code_and_sets_message);
    suite_add_tcase(s, tc);

    tc = tcase_create("version");
    tcase_add_test(tc, test_error_version_number_matches_header);
    tcase_add_test(tc, test_error_version_string_matches_header);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(error_suite());
}
