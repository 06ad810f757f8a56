/* Helpers shared by librec's fuzz targets (tests/fuzz/README in docs/RELIABILITY.md).
 *
 * Every target is a LLVMFuzzerTestOneInput() that feeds arbitrary bytes to one public loader or
 * parser and then checks the library's contract, not just "no crash":
 * - a failure returns a documented negative code, sets *out = NULL and leaves a message that
 *   names the function (rec_last_error() is never empty after a failure);
 * - a success yields a handle whose contents obey the documented invariants (checked through
 *   the public getters, which also exercises them).
 * A broken contract calls FUZZ_FAIL, which prints the reason and aborts, so libFuzzer (or the
 * replay driver) records the input. The loaders read files, so inputs are written into a
 * private temporary directory (under /dev/shm when it exists: no disk traffic), removed at
 * exit. */
#ifndef REC_FUZZ_COMMON_H
#define REC_FUZZ_COMMON_H

#include <rec.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FAIL(...)                                                                         \
    do {                                                                                       \
        fprintf(stderr, "fuzz contract broken at %s:%d: ", __FILE__, __LINE__);               \
        fprintf(stderr, __VA_ARGS__);                                                          \
        fprintf(stderr, "\n");                                                                 \
        abort();                                                                               \
    } while (0)

#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond))                                                                           \
            FUZZ_FAIL(__VA_ARGS__);                                                            \
    } while (0)

static char fuzz_dir_path[96];
static char fuzz_file_names[8][32];
static int fuzz_n_files;

static inline void fuzz_cleanup(void)
{
    char path[sizeof fuzz_dir_path + sizeof fuzz_file_names[0] + 2];
    for (int i = 0; i < fuzz_n_files; i++) {
        if (snprintf(path, sizeof path, "%s/%s", fuzz_dir_path, fuzz_file_names[i]) <
            (int)sizeof path)
            unlink(path);
    }
    if (fuzz_dir_path[0])
        rmdir(fuzz_dir_path);
}

/* The private directory, created on first use. */
static inline const char *fuzz_dir(void)
{
    if (fuzz_dir_path[0])
        return fuzz_dir_path;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/rec_fuzz_XXXXXX", base);
    if (!mkdtemp(fuzz_dir_path)) {
        perror("mkdtemp");
        abort();
    }
    atexit(fuzz_cleanup);
    return fuzz_dir_path;
}

/* Write size bytes as dir/name (remembered for cleanup); path_out gets the full path. */
static inline void fuzz_write(const char *name, const void *data, size_t size,
                              char *path_out, size_t cap)
{
    char path[sizeof fuzz_dir_path + sizeof fuzz_file_names[0] + 2];
    if (snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name) >= (int)sizeof path)
        FUZZ_FAIL("file name %s too long", name);
    int known = 0;
    for (int i = 0; i < fuzz_n_files; i++)
        known |= strcmp(fuzz_file_names[i], name) == 0;
    if (!known && fuzz_n_files < 8)
        snprintf(fuzz_file_names[fuzz_n_files++], sizeof fuzz_file_names[0], "%s", name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    if (path_out)
        snprintf(path_out, cap, "%s", path);
}

/* Is s valid UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF)? */
static inline int fuzz_is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n;
        uint32_t cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        for (unsigned k = 1; k <= n; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n + 1;
    }
    return 1;
}

/* The contract of a failed constructor-like call: documented code, NULL output, a message
 * that starts with the function's name. `allowed` lists the documented codes, 0-terminated. */
static inline void fuzz_check_failure(int rc, const void *out, const char *fn, const int *allowed)
{
    int ok = 0;
    for (const int *a = allowed; *a; a++)
        ok |= rc == *a;
    FUZZ_CHECK(ok, "%s returned %d (%s), not a documented code; message: %s", fn, rc,
               rec_status_str(rc), rec_last_error());
    FUZZ_CHECK(out == NULL, "%s failed (%d) but left *out non-NULL", fn, rc);
    const char *msg = rec_last_error();
    FUZZ_CHECK(msg != NULL && msg[0] != '\0', "%s failed (%d) with an empty message", fn, rc);
    FUZZ_CHECK(strncmp(msg, fn, strlen(fn)) == 0, "%s failed with a message not naming it: %s",
               fn, msg);
#ifndef FUZZ_SKIP_MESSAGE_BYTES
    /* bytes quoted from the input are escaped: no control characters (terminal escapes), no
     * invalid UTF-8 (bindings decode the message) */
    for (const char *p = msg; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7F,
                   "%s: control byte 0x%02X in the message: %s", fn, (unsigned char)*p, msg);
    FUZZ_CHECK(fuzz_is_utf8(msg), "%s: the message is not valid UTF-8: %s", fn, msg);
#endif
}

/* Column index by name, or abort (used on successful loads, whose columns are documented). */
static inline uint32_t fuzz_column(const rec_dataset *ds, const char *name)
{
    uint32_t c = 0;
    FUZZ_CHECK(rec_dataset_column(&c, ds, name) == REC_OK, "column %s missing: %s", name,
               rec_last_error());
    return c;
}

/* Every distinct string of a string or list column, through rec_dataset_unique_strings:
 * checks the documented byte order and returns the count. */
static inline size_t fuzz_check_unique(const rec_dataset *ds, uint32_t col, int want_utf8)
{
    size_t n = 0;
    FUZZ_CHECK(rec_dataset_unique_strings(NULL, 0, &n, ds, col) == REC_OK, "unique: %s",
               rec_last_error());
    const char **u = malloc((n ? n : 1) * sizeof *u);
    FUZZ_CHECK(u != NULL, "malloc");
    size_t n2 = 0;
    FUZZ_CHECK(rec_dataset_unique_strings(u, n, &n2, ds, col) == REC_OK && n2 == n,
               "unique (2nd call): %s", rec_last_error());
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(u[i] != NULL, "unique string %zu is NULL", i);
        FUZZ_CHECK(i == 0 || strcmp(u[i - 1], u[i]) < 0, "unique strings not sorted/distinct");
        FUZZ_CHECK(!want_utf8 || fuzz_is_utf8(u[i]), "string '%s' is not UTF-8", u[i]);
    }
    free(u);
    return n;
}

#endif
