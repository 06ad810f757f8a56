/*
 * Records of a delimited text (loader.h): read in blocks from a file descriptor or copied in
 * blocks from a buffer, so that memory holds one block and the longest record, never the
 * whole file.
 *
 * Quoting is RFC 4180's: a field that starts with the quote character runs to the next lone
 * quote, may hold delimiters and newlines, and writes a doubled quote as one; after the
 * closing quote comes the delimiter, the end of the line or the end of the input. A quote in
 * the middle of an unquoted field is an ordinary byte (`12" vinyl`), as in most CSV readers.
 *
 * Two paths: a line without the quote character (nearly every line of a ratings file) is
 * split with memchr where it lies; a line with one is walked twice by walk(), first to find
 * where the record ends (refilling the buffer if it spans blocks), then to remove the quotes
 * in place. The two passes keep the buffer untouched until the whole record is in it.
 */
#define _POSIX_C_SOURCE 200809L /* read */

#include "data/loader.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Bytes read per refill. */
#define BLOCK ((size_t)1 << 20)

rec_status rec__csv_open(rec__csv *c, int fd, const char *mem, size_t size, char delim,
                         char quote)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->mem = mem;
    c->mem_left = fd < 0 ? size : 0;
    c->eof = fd < 0 && size == 0;
    c->delim = delim;
    c->quote = quote;
    c->line = 1;
    /* a small buffer for a small table in memory */
    c->cap = fd < 0 && size < BLOCK ? size + 16 : BLOCK;
    c->buf = rec__malloc(c->cap);
    c->cap_f = 16;
    c->f = rec__malloc(c->cap_f * sizeof *c->f);
    if (!c->buf || !c->f) {
        rec__csv_close(c);
        return REC_ENOMEM;
    }
    return REC_OK;
}

void rec__csv_close(rec__csv *c)
{
    rec__free(c->buf);
    rec__free(c->f);
    c->buf = NULL;
    c->f = NULL;
}

/* Move the unparsed bytes to the front and read more after them, growing the buffer when a
 * record fills it. 0, or -1 (c->err set), or -2 (ENOMEM). */
static int fill(rec__csv *c)
{
    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (c->len == c->cap) {
        if (c->cap >= REC__CSV_MAX_RECORD) {
            c->err = REC__CSV_TOO_LONG;
            c->err_line = c->line;
            c->err_field = 1;
            return -1;
        }
        char *bigger = rec__realloc(c->buf, c->cap * 2);
        if (!bigger)
            return -2;
        c->buf = bigger;
        c->cap *= 2;
    }
    size_t room = c->cap - c->len;
    if (c->fd < 0) {
        size_t n = c->mem_left < room ? c->mem_left : room;
        memcpy(c->buf + c->len, c->mem, n);
        c->mem += n;
        c->mem_left -= n;
        c->len += n;
        c->eof = c->mem_left == 0;
        return 0;
    }
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->len, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            c->err = REC__CSV_IO;
            c->err_errno = errno;
            c->err_line = c->line;
            return -1;
        }
        c->len += (size_t)r;
        c->eof = r == 0;
        return 0;
    }
}

/* Append field [p, p + len) to the record. 0 or -2. */
static int push(rec__csv *c, const char *p, size_t len)
{
    if (c->n == c->cap_f) {
        rec__text_field *bigger = rec__realloc(c->f, 2 * c->cap_f * sizeof *c->f);
        if (!bigger)
            return -2;
        c->f = bigger;
        c->cap_f *= 2;
    }
    c->f[c->n].p = p;
    c->f[c->n].len = len;
    c->n++;
    return 0;
}

/* A failure of the record being walked. */
static int fail(rec__csv *c, int what, size_t line, size_t field, unsigned char byte)
{
    c->err = what;
    c->err_line = line;
    c->err_field = field;
    c->err_byte = byte;
    return -1;
}

/*
 * Walk the record that starts at buf[pos]. Without `write`, only find its end: returns 1 when
 * the buffered bytes end inside it (more must be read), else 0 with *next = the offset after
 * it and *lines = the newlines it consumed. With `write`, also unquote its fields in place
 * and push them (the record is known to be complete). -1 on a malformed record, -2 ENOMEM.
 */
static int walk(rec__csv *c, int write, size_t *next, size_t *lines)
{
    char *b = c->buf;
    const size_t len = c->len;
    const char q = c->quote, d = c->delim;
    size_t i = c->pos, nl = 0, field = 1;
    for (;; field++) {
        if (i < len && b[i] == q) {
            size_t open_line = c->line + nl, w = ++i, start = i;
            for (;;) {
                char *hit = memchr(b + i, q, len - i);
                if (!hit)
                    return c->eof ? fail(c, REC__CSV_UNTERMINATED, open_line, field, 0) : 1;
                size_t at = (size_t)(hit - b);
                for (const char *s = b + i; (s = memchr(s, '\n', (size_t)(hit - s))); s++)
                    nl++;
                if (write)
                    memmove(b + w, b + i, at - i);
                w += at - i;
                i = at + 1;
                if (i == len && !c->eof)
                    return 1; /* a doubled quote may straddle the refill */
                if (i < len && b[i] == q) {
                    if (write)
                        b[w] = q;
                    w++;
                    i++;
                    continue;
                }
                break;
            }
            if (write && push(c, b + start, w - start) < 0)
                return -2;
            if (i == len)
                break;
            if (b[i] == d) {
                i++;
                continue;
            }
            if (b[i] == '\n') {
                i++;
                nl++;
                break;
            }
            if (b[i] == '\r' && i + 1 == len && !c->eof)
                return 1;
            if (b[i] == '\r' && (i + 1 == len || b[i + 1] == '\n')) {
                i += i + 1 == len ? 1 : 2;
                nl += i <= len && b[i - 1] == '\n';
                break;
            }
            c->err_close_line = c->line + nl;
            return fail(c, REC__CSV_AFTER_QUOTE, c->line, field, (unsigned char)b[i]);
        }
        size_t j = i;
        while (j < len && b[j] != d && b[j] != '\n')
            j++;
        if (j == len && !c->eof)
            return 1;
        if (j < len && b[j] == d) {
            if (write && push(c, b + i, j - i) < 0)
                return -2;
            i = j + 1;
            continue;
        }
        size_t e = j; /* the end of the line: '\n' or the end of the input */
        if (e > i && b[e - 1] == '\r')
            e--;
        if (write && push(c, b + i, e - i) < 0)
            return -2;
        i = j < len ? j + 1 : j;
        nl += j < len;
        break;
    }
    *next = i;
    *lines = nl;
    return 0;
}

int rec__csv_next(rec__csv *c)
{
    static const char bom[] = "\xEF\xBB\xBF";
    for (;;) {
        if (!c->bom_checked) {
            if (c->len < 3 && !c->eof) {
                int r = fill(c);
                if (r < 0)
                    return r;
                continue;
            }
            /* A byte order mark (spreadsheets write one) is not part of the first field. */
            if (c->len >= 3 && memcmp(c->buf, bom, 3) == 0)
                c->pos = 3;
            c->bom_checked = 1;
        }
        if (c->pos == c->len) {
            if (c->eof)
                return 0;
            int r = fill(c);
            if (r < 0)
                return r;
            continue;
        }
        char *p = c->buf + c->pos, *end = c->buf + c->len;
        char *nlp = memchr(p, '\n', (size_t)(end - p));
        if (!nlp && !c->eof) {
            int r = fill(c);
            if (r < 0)
                return r;
            continue;
        }
        char *stop = nlp ? nlp : end;
        c->n = 0;
        c->rec_line = c->line;
        if (!c->quote || !memchr(p, c->quote, (size_t)(stop - p))) {
            char *e = stop > p && stop[-1] == '\r' ? stop - 1 : stop;
            c->blank = e == p;
            for (char *s = p;;) {
                char *dp = memchr(s, c->delim, (size_t)(e - s));
                char *fe = dp ? dp : e;
                if (push(c, s, (size_t)(fe - s)) < 0)
                    return -2;
                if (!dp)
                    break;
                s = dp + 1;
            }
            c->pos = nlp ? (size_t)(nlp + 1 - c->buf) : c->len;
            c->line += nlp != NULL;
            c->unterminated = nlp == NULL;
            return 1;
        }
        size_t next, lines;
        int r = walk(c, 0, &next, &lines);
        if (r < 0)
            return r;
        if (r == 1) {
            r = fill(c);
            if (r < 0)
                return r;
            continue;
        }
        c->blank = 0;
        r = walk(c, 1, &next, &lines);
        if (r < 0)
            return r;
        c->pos = next;
        c->line += lines;
        c->unterminated = next == c->len && (next == 0 || c->buf[next - 1] != '\n');
        return 1;
    }
}
