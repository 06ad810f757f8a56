/* Shared helpers for librec's Check suites. */
#ifndef REC_CHECK_H
#define REC_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The bytes of a file (malloc'd, *n of them), or the test fails. */
static inline unsigned char *rec_check_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* Write n bytes to path, or the test fails. */
static inline void rec_check_write_file(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

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
