/*
 * lib/io: librec's file format. container.c is the checksummed container (header, section
 * table, CRCs, the atomic save and the bounded reader); model_file.c the model's sections
 * (rec_model_save, rec_model_load), serving_file.c those of the serving state (version 2).
 * docs/file-format.md describes the bytes. Above lib/model and lib/mcmc. Never installed.
 */
#ifndef REC_LIB_IO_H
#define REC_LIB_IO_H

#include "mcmc/mcmc.h"
#include "model/model.h"

#include <float.h>
#include <string.h>
#include <sys/types.h>

/* Floats are stored as IEEE-754 binary32 bits; a host with another float format would need a
 * conversion this format does not have. */
_Static_assert(sizeof(float) == 4 && FLT_MANT_DIG == 24 && FLT_MAX_EXP == 128,
               "librec's file format assumes IEEE-754 binary32 floats");
_Static_assert(sizeof(double) == 8 && DBL_MANT_DIG == 53 && DBL_MAX_EXP == 1024,
               "librec's file format assumes IEEE-754 binary64 doubles");

/* The newest format version, which this librec writes when a file needs it and reads with
 * every older one (docs/file-format.md): 1, and 2 = 1 + the serving sections. */
#define REC__IO_FORMAT_VERSION 2u
#define REC__IO_HEADER_SIZE 32u
#define REC__IO_ENTRY_SIZE 24u
#define REC__IO_MAX_SECTIONS 10u
#define REC__IO_WBUF (64u * 1024u)

/* Section tags: four ASCII letters, stored as the little-endian u32 of their bytes, so a hex
 * dump shows the name. */
#define REC__IO_TAG(a, b, c, d)                                                                \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* ---- little-endian encoding --------------------------------------------------------------- */

static inline void rec__io_put_le32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}

static inline void rec__io_put_le64(unsigned char *b, uint64_t v)
{
    rec__io_put_le32(b, (uint32_t)v);
    rec__io_put_le32(b + 4, (uint32_t)(v >> 32));
}

static inline uint32_t rec__io_get_le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t rec__io_get_le64(const unsigned char *b)
{
    return (uint64_t)rec__io_get_le32(b) | (uint64_t)rec__io_get_le32(b + 4) << 32;
}

/* ---- container.c ---------------------------------------------------------------------------- */

/* An entry of the section table. */
typedef struct rec__io_section {
    uint32_t tag;
    uint32_t crc;
    uint64_t offset;
    uint64_t length;
} rec__io_section;

/* The sections a file of one format version holds, in their one order; an optional one may
 * be absent. */
typedef struct rec__io_layout {
    const uint32_t *tags;
    const unsigned char *optional;
    size_t n;
} rec__io_layout;

/* Buffered writer over a file descriptor. Errors are sticky: the first failed write records
 * errno and every later call does nothing, so the save code checks once at the end. */
typedef struct rec__io_writer {
    int fd;
    uint32_t version; /* the format version the header records */
    int err;          /* errno of the first failure, 0 if none */
    size_t len;       /* bytes in buf */
    uint64_t pos;     /* file offset of the next byte */
    uint32_t crc;     /* running CRC register of the open section */
    rec__io_section sec[REC__IO_MAX_SECTIONS];
    size_t n_sec;
    unsigned char buf[REC__IO_WBUF];
} rec__io_writer;

/* CRC-32 (ISO-HDLC / zlib / PNG) of p[0..n). */
REC_HIDDEN uint32_t rec__io_crc32(const unsigned char *p, size_t n);

REC_HIDDEN void rec__io_w_bytes(rec__io_writer *w, const void *data, size_t n);
REC_HIDDEN void rec__io_w_u32(rec__io_writer *w, uint32_t v);
REC_HIDDEN void rec__io_w_u64(rec__io_writer *w, uint64_t v);
REC_HIDDEN void rec__io_w_f64(rec__io_writer *w, double v);
/* A string: u32 byte length, then the bytes (no NUL). */
REC_HIDDEN void rec__io_w_str(rec__io_writer *w, const char *s);
/* n floats as little-endian binary32. */
REC_HIDDEN void rec__io_w_f32s(rec__io_writer *w, const float *x, size_t n);
/* A section begins (its offset and CRC start here) and ends (its length and CRC are kept). */
REC_HIDDEN void rec__io_w_begin(rec__io_writer *w, uint32_t tag);
REC_HIDDEN void rec__io_w_end(rec__io_writer *w);

/* Writes the sections of one file; a failure (with its message set) stops the save. */
typedef rec_status (*rec__io_write_fn)(rec__io_writer *w, void *ctx);
/* path atomically: a temporary file next to it gets room for the header and a table of n_sec
 * (≤ REC__IO_MAX_SECTIONS) entries, the sections write_sections writes, then the header of
 * format `version`; then fsync, rename over path and fsync of the directory. Messages start
 * with fn. */
REC_HIDDEN rec_status rec__io_save(const char *path, uint32_t version, size_t n_sec,
                                   rec__io_write_fn write_sections, void *ctx, const char *fn);

/* Bounded reader over one section. Every getter checks the bytes that remain; the first
 * failure sets the message (function, file, section, file offset) and makes the getter return
 * non-zero. */
typedef struct rec__io_reader {
    const unsigned char *p;
    size_t n, pos;
    size_t base;      /* file offset of p[0], for messages */
    const char *path;
    const char *sec;  /* section tag as text */
    const char *fn;   /* the public call, for messages */
} rec__io_reader;

/* The whole file at path, its header, table and every CRC checked against the layout of its
 * format version, lays[version − 1] (versions 1..n_versions): *buf (freed by the caller), the
 * version and the sections in file order. REC_EIO, REC_ENOMEM or REC_EFORMAT naming the
 * file. */
REC_HIDDEN rec_status rec__io_load(unsigned char **buf, size_t *size, uint32_t *version,
                                   rec__io_section *sec, size_t *n_sec, const char *path,
                                   const rec__io_layout *lays, uint32_t n_versions,
                                   const char *fn);
/* A reader over section s of buf; name receives the tag as text (it must outlive r). */
REC_HIDDEN rec__io_reader rec__io_reader_of(const unsigned char *buf, const rec__io_section *s,
                                            const char *path, const char *fn, char name[5]);

REC_HIDDEN rec_status rec__io_bad(const rec__io_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
REC_HIDDEN rec_status rec__io_short_read(const rec__io_reader *r, const char *what);
REC_HIDDEN size_t rec__io_left(const rec__io_reader *r);
REC_HIDDEN rec_status rec__io_r_u32(rec__io_reader *r, uint32_t *v, const char *what);
REC_HIDDEN rec_status rec__io_r_u64(rec__io_reader *r, uint64_t *v, const char *what);
REC_HIDDEN rec_status rec__io_r_f64(rec__io_reader *r, double *v, const char *what);
/* A float the setters will validate. */
REC_HIDDEN rec_status rec__io_r_f32(rec__io_reader *r, float *v, const char *what);
/* A count of items of at least item_bytes bytes each: it cannot exceed what remains. This is
 * what keeps a crafted count from driving an allocation. wide: a u64, else a u32. */
REC_HIDDEN rec_status rec__io_r_count(rec__io_reader *r, uint64_t *n, size_t item_bytes,
                                      int wide, const char *what);
/* n floats into dst; the caller checked n against rec__io_left(r) / 4. */
REC_HIDDEN void rec__io_r_f32s(rec__io_reader *r, float *dst, size_t n);
/* A string into a new NUL-terminated copy. */
REC_HIDDEN rec_status rec__io_r_str(rec__io_reader *r, char **out, const char *what);

/* n strings into one arena (each NUL-terminated) and an array of pointers into it. */
typedef struct rec__io_strlist {
    char *arena;
    const char **s;
    size_t n;
} rec__io_strlist;
REC_HIDDEN rec_status rec__io_r_strlist(rec__io_reader *r, rec__io_strlist *l,
                                        const char *what);
REC_HIDDEN void rec__io_strlist_release(rec__io_strlist *l);
/* A failed constructor's message (EINVAL from the model's own validation) becomes a format
 * error naming the file; ENOMEM stays ENOMEM. */
REC_HIDDEN rec_status rec__io_refused(const rec__io_reader *r, rec_status rc);
/* Everything in a section must be consumed: trailing bytes mean a writer we do not know. */
REC_HIDDEN rec_status rec__io_r_end(const rec__io_reader *r);

/* ---- serving_file.c: the sections of format version 2 ------------------------------------ */

/* Which serving sections m needs: RANG (a label range), CATL (a catalogue), SEEN (seen items).
 * Returns whether its file must be version 2: it needs one, or clipping is on. */
REC_HIDDEN int rec__io_has_serving(const rec_model *m, int *rang, int *catl, int *seen);
/* REC_EINVAL "fn: ..." when the serving state does not fit the format's 32-bit counts. */
REC_HIDDEN rec_status rec__io_check_serving(const rec_model *m, const char *fn);
REC_HIDDEN void rec__io_write_rang(rec__io_writer *w, const rec_model *m);
REC_HIDDEN void rec__io_write_catl(rec__io_writer *w, const rec_model *m);
REC_HIDDEN void rec__io_write_seen(rec__io_writer *w, const rec_model *m);
/* Each section into m's serving state (after DESC: the catalogue is checked against the
 * item-side features; SEEN after CATL). */
REC_HIDDEN rec_status rec__io_read_rang(rec__io_reader *r, rec_model *m);
REC_HIDDEN rec_status rec__io_read_catl(rec__io_reader *r, rec_model *m);
REC_HIDDEN rec_status rec__io_read_seen(rec__io_reader *r, rec_model *m);

#endif
