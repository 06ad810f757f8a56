/* Shared helpers for librec's Check suites. */
#ifndef REC_CHECK_H
#define REC_CHECK_H

#include <check.h>
#include <string.h>
#include <rec.h>

/* Assert a librec call succeeds, printing the status and the thread's message if not. */
#define ck_assert_rec_ok(expr)                                                                \
    do {                                                                                      \
        int rc_ = (expr);                                                                     \
        ck_assert_msg(rc_ == REC_OK, "%s -> %d (%s): %s", #expr, rc_, rec_status_str(rc_),  \
                      rec_last_error());                                                      \
    } while (0)

/* Assert a librec call fails with a given code and leaves a message containing `needle`. */
#define ck_assert_rec_fails(expr, code, needle)                                               \
    do {                                                                                      \
        int rc_ = (expr);                                                                     \
        ck_assert_msg(rc_ == (code), "%s -> %d (%s), expected %d; message: %s", #expr, rc_,  \
                      rec_status_str(rc_), (int)(code), rec_last_error());                    \
        ck_assert_msg(strstr(rec_last_error(), (needle)) != NULL,                             \
                      "%s: message \"%s\" lacks \"%s\"", #expr, rec_last_error(), (needle));  \
    } while (0)

/* Run one suite and return the process exit status (CK_NORMAL prints "N%: Checks: ..."). */
static inline int rec_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#endif
