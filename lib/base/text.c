/* Text data files: read whole, walk the lines, split fields, parse numbers strictly.
 *
 * Numbers are parsed by hand rather than with strtod: strtod honours the caller's LC_NUMERIC,
 * so a program that called setlocale(LC_ALL, "") under a decimal-comma locale (de_DE) would
 * read "3.5" as 3 and fail the full-consumption check. librec never calls setlocale, but its
 * caller may. The parser below only hands strtod a string without a radix character (digits
 * and an exponent), which every locale reads the same way. */
#define _POSIX_C_SOURCE 200809L /* strerror_r (XSI form): strerror is not thread-safe */

#include "base/base.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer fields are not numbers we expect in data files; the cap also bounds the stack
 * buffer handed to strtod. */
#define MAX_NUMBER_LEN 256

void rec__text_release(rec__text *t)
{
    rec__free(t->data);
    t->data = NULL;
    t->size = 0;
}

static rec_status read_error(const char *who, const char *path, int err)
{
    char msg[128];
    if (strerror_r(err, msg, sizeof msg) != 0)
        snprintf(msg, sizeof msg, "error %d", err);
    return rec__error(REC_EIO, "%s: cannot read %s: %s", who, path, msg);
}

rec_status rec__text_read(rec__text *t, const char *path, const char *who)
{
    t->data = NULL;
    t->size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return read_error(who, path, errno);

    /* Size hint from the file length, so a regular file is read with one allocation; the
     * loop below still copes with files that grow, shrink or cannot seek. A directory reports
     * a length of LONG_MAX on Linux: hints beyond 1 GiB are not trusted (fread then fails
     * with EISDIR, or a real large file grows the buffer). */
    size_t cap = 1 << 16;
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        if (end >= 0 && end < (1L << 30))
            cap = (size_t)end + 2;
    }
    rewind(f);

    char *buf = rec__malloc(cap);
    size_t n = 0;
    if (!buf)
        goto nomem;
    for (;;) {
        if (cap - n < 2) {
            if (cap > SIZE_MAX / 2)
                goto nomem;
            char *bigger = rec__realloc(buf, cap * 2);
            if (!bigger)
                goto nomem;
            buf = bigger;
            cap *= 2;
        }
        size_t want = cap - 1 - n;
        errno = 0;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (got < want) {
            if (ferror(f)) {
                int err = errno ? errno : EIO;
                rec__free(buf);
                fclose(f);
                return read_error(who, path, err);
            }
            break; /* end of file */
        }
    }
    fclose(f);
    buf[n] = '\0';
    t->data = buf;
    t->size = n;
    return REC_OK;

nomem:
    rec__free(buf);
    fclose(f);
    return rec__error(REC_ENOMEM, "%s: out of memory reading %s", who, path);
}

rec_status rec__text_check_no_nul(const rec__text *t, const char *path, const char *who)
{
    const char *nul = t->size ? memchr(t->data, '\0', t->size) : NULL;
    if (!nul)
        return REC_OK;
    size_t line = 1;
    for (const char *p = t->data; p < nul; p++)
        line += *p == '\n';
    return rec__error(REC_EFORMAT, "%s: %s:%zu: NUL byte in a text file", who, path, line);
}

void rec__text_lines_init(rec__text_lines *it, const rec__text *t)
{
    it->p = t->data;
    it->end = t->data + t->size;
    it->line_no = 0;
}

int rec__text_lines_next(rec__text_lines *it, const char **line, size_t *len, int *unterminated)
{
    if (it->p >= it->end)
        return 0;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    const char *stop = nl ? nl : it->end;
    size_t n = (size_t)(stop - it->p);
    if (n > 0 && it->p[n - 1] == '\r')
        n--; /* "\r\n" line ends (files written on Windows) */
    *line = it->p;
    *len = n;
    *unterminated = nl == NULL;
    it->p = nl ? nl + 1 : it->end;
    it->line_no++;
    return 1;
}

size_t rec__text_split(rec__text_field *fields, size_t cap, const char *line, size_t len,
                       char delim)
{
    size_t count = 0;
    const char *p = line, *end = line + len;
    for (;;) {
        const char *d = p < end ? memchr(p, delim, (size_t)(end - p)) : NULL;
        const char *stop = d ? d : end;
        if (count < cap) {
            fields[count].p = p;
            fields[count].len = (size_t)(stop - p);
        }
        count++;
        if (!d)
            return count;
        p = d + 1;
    }
}

int rec__text_utf8_valid(const char *s, size_t len, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        /* lead byte → continuation count and the range of the first continuation byte, which
         * excludes overlong forms (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code
         * points above U+10FFFF (F4 90..BF) */
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            *bad_at = i;
            return 0;
        }
        if (len - i <= n || p[i + 1] < lo || p[i + 1] > hi) {
            *bad_at = i;
            return 0;
        }
        for (size_t k = 2; k <= n; k++) {
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) {
                *bad_at = i;
                return 0;
            }
        }
        i += n + 1;
    }
    return 1;
}

const char *rec__text_quote(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = len < REC__QUOTE_MAX ? len : REC__QUOTE_MAX, k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t seq = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, bad;
        if (c >= 0x80 && seq <= n - i && rec__text_utf8_valid(s + i, seq, &bad)) {
            memcpy(out + k, s + i, seq); /* a whole UTF-8 character */
            k += seq;
            i += seq;
            continue;
        }
        if (c >= 0x20 && c < 0x7F) {
            out[k++] = (char)c;
        } else {
            out[k++] = '\\';
            out[k++] = 'x';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
        i++;
    }
    if (n < len) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Case-insensitive match of s[0..len) against a lower-case word. */
static int equals_word(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return 1;
}

int rec__text_parse_double(double *out, const char *s, size_t len)
{
    /* Powers of ten that are exact doubles (10^22 < 2^53 · 2^22 is the largest). */
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    int negative = 0;
    if (len == 0)
        return REC__NUM_SYNTAX;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        i++;
    }
    if (equals_word(s + i, len - i, "nan") || equals_word(s + i, len - i, "inf") ||
        equals_word(s + i, len - i, "infinity"))
        return REC__NUM_RANGE;
    if (len > MAX_NUMBER_LEN)
        return REC__NUM_SYNTAX;

    /* value = mantissa · 10^exp10, exactly, while the digits fit in 19 decimal places;
     * `inexact` notes a non-zero digit that did not fit. */
    uint64_t mantissa = 0;
    int n_kept = 0, inexact = 0;
    long exp10 = 0, n_frac = 0, n_digits = 0;
    for (int frac = 0;; frac = 1) {
        for (; i < len && is_digit(s[i]); i++, n_digits++) {
            int d = s[i] - '0';
            if (frac)
                n_frac++;
            if (n_kept < 19) {
                mantissa = mantissa * 10 + (uint64_t)d;
                n_kept += mantissa != 0; /* leading zeros are not significant */
                exp10 -= frac;
            } else {
                inexact |= d != 0;
                exp10 += !frac;
            }
        }
        if (frac || i >= len || s[i] != '.')
            break;
        i++;
    }
    if (n_digits == 0)
        return REC__NUM_SYNTAX;

    long exp_part = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int exp_negative = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) {
            exp_negative = s[i] == '-';
            i++;
        }
        if (i >= len || !is_digit(s[i]))
            return REC__NUM_SYNTAX;
        for (; i < len && is_digit(s[i]); i++)
            if (exp_part < 100000) /* saturate: beyond ±1e5 the result is 0 or infinite */
                exp_part = exp_part * 10 + (s[i] - '0');
        if (exp_negative)
            exp_part = -exp_part;
    }
    if (i != len)
        return REC__NUM_SYNTAX;
    exp10 += exp_part;

    double v;
    if (mantissa == 0 && !inexact) {
        v = 0.0;
    } else if (!inexact && mantissa <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Clinger's fast path: both operands exact, so one IEEE operation rounds correctly. */
        v = (double)mantissa;
        v = exp10 < 0 ? v / pow10[-exp10] : v * pow10[exp10];
    } else {
        /* Correct rounding in general is strtod's job; give it all the digits without a
         * radix character: "[-]DIGITSe<exp_part - n_frac>". */
        char buf[MAX_NUMBER_LEN + 32];
        size_t k = 0;
        for (size_t j = 0; j < len && s[j] != 'e' && s[j] != 'E'; j++)
            if (is_digit(s[j]))
                buf[k++] = s[j];
        snprintf(buf + k, sizeof buf - k, "e%ld", exp_part - n_frac);
        char *end;
        v = strtod(buf, &end);
        if (*end != '\0')
            return REC__NUM_SYNTAX; /* cannot happen: buf is digits and an exponent */
    }
    if (!isfinite(v))
        return REC__NUM_RANGE;
    *out = negative ? -v : v;
    return REC__NUM_OK;
}

int rec__text_parse_i64(int64_t *out, const char *s, size_t len)
{
    size_t i = 0;
    int negative = 0;
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        i++;
    }
    if (i >= len)
        return REC__NUM_SYNTAX;
    /* |INT64_MIN| = INT64_MAX + 1 */
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    int overflow = 0;
    for (; i < len; i++) {
        if (!is_digit(s[i]))
            return REC__NUM_SYNTAX;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10)
            overflow = 1; /* keep scanning: "12x" is a syntax error even when huge */
        else
            v = v * 10 + d;
    }
    if (overflow)
        return REC__NUM_RANGE;
    if (negative)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return REC__NUM_OK;
}

rec_status rec__text_line_error(const char *fn, const char *path, size_t line, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return rec__error(REC_EFORMAT, "%s: %s:%zu: %s", fn, path, line, what);
}
