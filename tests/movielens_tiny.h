/* The tiny MovieLens fixture: invented files in the ml-100k format, shared by the movielens,
 * hostile and alloc suites and the movielens fuzz targets. MovieLens itself may not be
 * redistributed; the real data is read only through REC_DATA_DIR.
 *
 * The files are C strings here rather than files under tests/data/, for three reasons:
 * - every user of the fixture damages or replaces some of the files, so each needs a private
 *   copy in a temporary directory anyway; the strings are written there with no source path
 *   to find at run time (the libFuzzer binaries run outside meson);
 * - the ISO-8859-1 bytes of u.item (0xE9, 0xE8) stay visible as escapes, where an editor
 *   could silently re-encode a file to UTF-8;
 * - a test that needs a variant can derive it by string concatenation (ML_TINY_DATA "...\n")
 *   instead of pasting a copy.
 *
 * Four genres (u.genre ends with an empty line, like the real one), three occupations, three
 * users, three movies with 5 + 4 fields. Movie 2's title is ISO-8859-1: "Caf\xe9 Cr\xe8me";
 * movie 3 is like ml-100k's movie 267: title "unknown", no dates. u.data has six ratings:
 * every user and every movie twice; user 1 rates movie 2 at the small timestamp 100. */
#ifndef REC_TEST_MOVIELENS_TINY_H
#define REC_TEST_MOVIELENS_TINY_H

#define ML_TINY_GENRE "unknown|0\nAction|1\nComedy|2\nDrama|3\n\n"
#define ML_TINY_OCCUPATION "administrator\nartist\nother\n"
#define ML_TINY_USER                                                                          \
    "1|31|M|artist|10001\n"                                                                   \
    "2|52|F|other|9902X\n"                                                                    \
    "3|17|M|administrator|A1B2C\n"
#define ML_TINY_ITEM                                                                          \
    "1|Toy Film (1995)|01-Jan-1995||http://example.com/1|0|1|1|0\n"                           \
    "2|Caf\xe9 Cr\xe8me (1996)|4-Feb-1996||http://example.com/2|0|0|0|1\n"                    \
    "3|unknown||||1|0|0|0\n"
#define ML_TINY_DATA                                                                          \
    "1\t1\t5\t874000001\n"                                                                    \
    "2\t2\t3\t874000002\n"                                                                    \
    "3\t3\t1\t874000003\n"                                                                    \
    "1\t2\t4\t100\n"                                                                          \
    "2\t3\t2\t874000200\n"                                                                    \
    "3\t1\t4\t874000300\n"

/* The five files in the order the loader reads them: u.data last. */
typedef struct ml_tiny_file {
    const char *name;
    const char *text;
} ml_tiny_file;

#define ML_TINY_N_FILES 5
static const ml_tiny_file ML_TINY_FILES[ML_TINY_N_FILES] = {
    {"u.genre", ML_TINY_GENRE}, {"u.occupation", ML_TINY_OCCUPATION}, {"u.user", ML_TINY_USER},
    {"u.item", ML_TINY_ITEM},   {"u.data", ML_TINY_DATA},
};

#endif
