/*
 * Reading text data files (linereader.c): a whole file in memory, its lines with 1-based
 * numbers, fields split on a delimiter, and strict, locale-independent number parsing.
 * Used by the delimited and MovieLens loaders. Never installed.
 */
#ifndef REC_LINEREADER_H
#define REC_LINEREADER_H

#include "base/base.h"

/* A whole file read into memory; data[size] is a '\0' written after the contents. */
typedef struct rec__text {
    char *data;
    size_t size;
} rec__text;

/* Read all of path into *t. On failure sets the message to "<who>: cannot read <path>:
 * <strerror>" (REC_EIO) or reports REC_ENOMEM, and leaves *t empty. */
REC_HIDDEN rec_status rec__text_read(rec__text *t, const char *path, const char *who);
REC_HIDDEN void rec__text_release(rec__text *t);

/* REC_EFORMAT "<who>: <path>:<line>: NUL byte in a text file" when the data holds a '\0':
 * fields become C strings, and a NUL would silently cut them short. */
REC_HIDDEN rec_status rec__text_check_no_nul(const rec__text *t, const char *path,
                                             const char *who);

/* Iterator over the lines of a text. A line excludes its '\n' and a '\r' just before it. */
typedef struct rec__lines {
    const char *p, *end;
    size_t line_no;       /* of the line last returned, 1-based; 0 before the first */
} rec__lines;

REC_HIDDEN void rec__lines_init(rec__lines *it, const rec__text *t);

/* Next line: returns 1 and sets *line / *len (and *unterminated = 1 when the line is the
 * last one and has no '\n'), or returns 0 at the end. */
REC_HIDDEN int rec__lines_next(rec__lines *it, const char **line, size_t *len,
                               int *unterminated);

/* A field of a line: not '\0'-terminated. */
typedef struct rec__field {
    const char *p;
    size_t len;
} rec__field;

/* Split line on delim: writes the first min(count, cap) fields and returns the count
 * (an empty line is one empty field). */
REC_HIDDEN size_t rec__split(rec__field *fields, size_t cap, const char *line, size_t len,
                             char delim);

/* Is s[0..len) valid UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF)?
 * Returns 1, or 0 with *bad_at = offset of the first byte of the offending sequence. */
REC_HIDDEN int rec__utf8_valid(const char *s, size_t len, size_t *bad_at);

/* A field's bytes as they may appear in a message: at most REC__QUOTE_MAX input bytes (then
 * "..."), valid UTF-8 and printable ASCII kept, control characters and bytes that are not
 * UTF-8 written as \xNN. A hostile file then cannot put terminal escapes or undecodable bytes
 * into rec_last_error(). Returns out, which holds REC__QUOTE_CAP bytes. REC__QUOTE(f) quotes
 * a rec__field into a temporary buffer that lives until the end of the enclosing block. */
#define REC__QUOTE_MAX 40
#define REC__QUOTE_CAP (4 * REC__QUOTE_MAX + 4)
REC_HIDDEN const char *rec__quote(char *out, const char *s, size_t len);
#define REC__QUOTE(f) rec__quote((char[REC__QUOTE_CAP]){0}, (f)->p, (f)->len)

/* Results of the number parsers. */
enum {
    REC__NUM_OK = 0,
    REC__NUM_SYNTAX = 1,  /* empty, or not a number in the accepted syntax */
    REC__NUM_RANGE = 2    /* a number, but infinite, NaN or out of the target range */
};

/*
 * Strict decimal number: [+-]? digits [. digits] [(e|E) [+-]? digits], at least one digit
 * before the exponent, the whole field consumed, no spaces. "nan" and "inf" (any case) give
 * REC__NUM_RANGE, as does a value that overflows a double. Independent of the locale.
 */
REC_HIDDEN int rec__parse_double(double *out, const char *s, size_t len);

/* Strict decimal integer: [+-]? digits, no spaces, within int64. */
REC_HIDDEN int rec__parse_i64(int64_t *out, const char *s, size_t len);

/* REC_EFORMAT with "fn: path:line: <message>", the message formatted like printf. */
REC_HIDDEN rec_status rec__line_error(const char *fn, const char *path, size_t line,
                                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
