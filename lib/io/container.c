/* The checksummed container of a librec file (docs/file-format.md; io.h): CRC-32, the buffered
 * writer, the atomic save, the bounded reader and the checks of the header, the section table
 * and every section's CRC before anything is parsed.
 *
 * Saving streams through a 64 KiB buffer into a temporary file created next to the
 * destination, computing each section's CRC on the way; the header and table are written last
 * (pwrite at offset 0), then fsync, rename over the destination and fsync of the directory, so
 * the destination is either the old file or the complete new one.
 *
 * Loading reads the whole file, checks the header, the table and every section's CRC, then the
 * caller parses each section with a bounded reader: every count is checked against the bytes
 * that remain before anything is allocated for it, so a hostile file costs at most a small
 * multiple of its own size in memory and fails with REC_EFORMAT naming the file. */
#define _POSIX_C_SOURCE 200809L /* open, fsync, pwrite, rename, strerror_r */
#include "io/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- CRC-32 (ISO-HDLC / zlib / PNG: reflected polynomial 0xEDB88320, init and final xor
 * 0xFFFFFFFF; check value CRC("123456789") = 0xCBF43926) ---------------------------------- */

/* crc_table[i] = CRC register after shifting the byte i through 8 rounds of
 * c = c & 1 ? (c >> 1) ^ 0xEDB88320 : c >> 1 (generated once, stored as constants so there is
 * no lazily initialised global). */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

/* Continue a CRC over n bytes; start with crc = 0xFFFFFFFF and xor the result with it. */
static uint32_t crc_update(uint32_t crc, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
    return crc;
}

uint32_t rec__io_crc32(const unsigned char *p, size_t n)
{
    return crc_update(0xffffffffu, p, n) ^ 0xffffffffu;
}



static int write_all(int fd, const unsigned char *p, size_t n, off_t at, int positioned)
{
    while (n > 0) {
        ssize_t k = positioned ? pwrite(fd, p, n, at) : write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        if (k == 0)
            return EIO;
        p += k;
        n -= (size_t)k;
        at += k;
    }
    return 0;
}

static void w_flush(rec__io_writer *w)
{
    if (w->err == 0 && w->len > 0)
        w->err = write_all(w->fd, w->buf, w->len, 0, 0);
    w->len = 0;
}

void rec__io_w_bytes(rec__io_writer *w, const void *data, size_t n)
{
    const unsigned char *p = data;
    w->crc = crc_update(w->crc, p, n);
    w->pos += n;
    while (n > 0 && w->err == 0) {
        size_t k = REC__IO_WBUF - w->len < n ? REC__IO_WBUF - w->len : n;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        p += k;
        n -= k;
        if (w->len == REC__IO_WBUF)
            w_flush(w);
    }
}

void rec__io_w_u32(rec__io_writer *w, uint32_t v)
{
    unsigned char b[4];
    rec__io_put_le32(b, v);
    rec__io_w_bytes(w, b, sizeof b);
}

void rec__io_w_u64(rec__io_writer *w, uint64_t v)
{
    unsigned char b[8];
    rec__io_put_le64(b, v);
    rec__io_w_bytes(w, b, sizeof b);
}

void rec__io_w_f64(rec__io_writer *w, double v)
{
    rec__io_w_u64(w, rec__f64_bits(v));
}

/* A string: u32 byte length, then the bytes (no NUL). Strings held by a model never exceed
 * 4 GiB in practice; a longer one is refused rather than truncated. */
void rec__io_w_str(rec__io_writer *w, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) {
        if (w->err == 0)
            w->err = EOVERFLOW;
        return;
    }
    rec__io_w_u32(w, (uint32_t)n);
    rec__io_w_bytes(w, s, n);
}

/* n floats as little-endian binary32, converted through a small stack buffer. */
void rec__io_w_f32s(rec__io_writer *w, const float *x, size_t n)
{
    unsigned char b[4096];
    while (n > 0) {
        size_t k = n < sizeof b / 4 ? n : sizeof b / 4;
        for (size_t i = 0; i < k; i++)
            rec__io_put_le32(b + 4 * i, rec__f32_bits(x[i]));
        rec__io_w_bytes(w, b, 4 * k);
        x += k;
        n -= k;
    }
}

void rec__io_w_begin(rec__io_writer *w, uint32_t tag)
{
    rec__io_section *e = &w->sec[w->n_sec];
    e->tag = tag;
    e->offset = w->pos;
    w->crc = 0xffffffffu;
}

void rec__io_w_end(rec__io_writer *w)
{
    rec__io_section *e = &w->sec[w->n_sec++];
    e->length = w->pos - e->offset;
    e->crc = w->crc ^ 0xffffffffu;
}

/* Header and section table, as documented in docs/file-format.md. */
static void encode_header(unsigned char *h, const rec__io_writer *w, uint64_t file_size)
{
    unsigned char *t = h + REC__IO_HEADER_SIZE;
    for (size_t i = 0; i < w->n_sec; i++) {
        unsigned char *e = t + i * REC__IO_ENTRY_SIZE;
        rec__io_put_le32(e, w->sec[i].tag);
        rec__io_put_le32(e + 4, w->sec[i].crc);
        rec__io_put_le64(e + 8, w->sec[i].offset);
        rec__io_put_le64(e + 16, w->sec[i].length);
    }
    memcpy(h, "RECMODEL", 8);
    rec__io_put_le32(h + 8, w->version);
    rec__io_put_le32(h + 12, (uint32_t)w->n_sec);
    rec__io_put_le64(h + 16, file_size);
    rec__io_put_le32(h + 24, rec__io_crc32(t, w->n_sec * REC__IO_ENTRY_SIZE));
    rec__io_put_le32(h + 28, rec__io_crc32(h, 28));
}


/* "<reason>" of an errno value, thread-safely (XSI strerror_r). */
static void errno_text(char *buf, size_t cap, int err)
{
    if (strerror_r(err, buf, cap) != 0)
        snprintf(buf, cap, "error %d", err);
}

/* A new, exclusive temporary file next to path: "<path>.<6 letters>.tmp", mode 0666 minus the
 * umask (as the destination would get from a plain open). The letters come from a generator
 * seeded from the clock, the process and the stack address; a name in use is retried. */
static int create_temp(char *tmp, size_t cap, const char *path)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    rec__rng rng;
    double t = rec__clock_now();
    uint64_t seed;
    memcpy(&seed, &t, sizeof seed);
    seed ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)&rng;
    rec__rng_seed(&rng, seed);
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        for (int i = 0; i < 6; i++)
            suffix[i] = alphabet[rec__rng_below(&rng, sizeof alphabet - 1)];
        suffix[6] = '\0';
        snprintf(tmp, cap, "%s.%s.tmp", path, suffix);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* fsync the directory holding path, so the rename itself is durable. */
static int sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return ENAMETOOLONG;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int err = 0;
    /* some file systems cannot sync a directory (EINVAL): nothing more can be done there */
    if (fsync(fd) != 0 && errno != EINVAL)
        err = errno;
    close(fd);
    return err;
}


rec_status rec__io_bad(const rec__io_reader *r, const char *fmt, ...)
{
    char detail[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return rec__error(REC_EFORMAT, "%s: %s: section %s at byte %zu: %s", r->fn, r->path,
                      r->sec, r->base + r->pos, detail);
}

rec_status rec__io_short_read(const rec__io_reader *r, const char *what)
{
    return rec__io_bad(r, "truncated while reading %s (%zu bytes left)", what, r->n - r->pos);
}

size_t rec__io_left(const rec__io_reader *r)
{
    return r->n - r->pos;
}

rec_status rec__io_r_u32(rec__io_reader *r, uint32_t *v, const char *what)
{
    *v = 0;
    if (rec__io_left(r) < 4)
        return rec__io_short_read(r, what);
    *v = rec__io_get_le32(r->p + r->pos);
    r->pos += 4;
    return REC_OK;
}

rec_status rec__io_r_u64(rec__io_reader *r, uint64_t *v, const char *what)
{
    *v = 0;
    if (rec__io_left(r) < 8)
        return rec__io_short_read(r, what);
    *v = rec__io_get_le64(r->p + r->pos);
    r->pos += 8;
    return REC_OK;
}

/* A float the setters will validate. */
rec_status rec__io_r_f32(rec__io_reader *r, float *v, const char *what)
{
    uint32_t u;
    rec_status rc = rec__io_r_u32(r, &u, what);
    if (!rc)
        *v = rec__f32_of_bits(u);
    return rc;
}

rec_status rec__io_r_f64(rec__io_reader *r, double *v, const char *what)
{
    uint64_t u;
    rec_status rc = rec__io_r_u64(r, &u, what);
    if (!rc)
        *v = rec__f64_of_bits(u);
    return rc;
}

/* A count of items of at least item_bytes bytes each: it cannot exceed what remains. This is
 * what keeps a crafted count from driving an allocation. */
rec_status rec__io_r_count(rec__io_reader *r, uint64_t *n, size_t item_bytes, int wide,
                           const char *what)
{
    uint32_t v32 = 0;
    rec_status rc = wide ? rec__io_r_u64(r, n, what) : rec__io_r_u32(r, &v32, what);
    if (rc)
        return rc;
    if (!wide)
        *n = v32;
    if (*n > rec__io_left(r) / item_bytes)
        return rec__io_bad(r, "%s = %llu is more than the section can hold", what,
                   (unsigned long long)*n);
    return REC_OK;
}

/* n floats (little-endian binary32) into dst; the caller checked n against
 * rec__io_left(r) / 4. */
void rec__io_r_f32s(rec__io_reader *r, float *dst, size_t n)
{
    const unsigned char *b = r->p + r->pos;
    for (size_t i = 0; i < n; i++)
        dst[i] = rec__f32_of_bits(rec__io_get_le32(b + 4 * i));
    r->pos += 4 * n;
}

/* A string into a new NUL-terminated copy. */
rec_status rec__io_r_str(rec__io_reader *r, char **out, const char *what)
{
    uint64_t len;
    rec_status rc = rec__io_r_count(r, &len, 1, 0, what);
    if (rc)
        return rc;
    if (memchr(r->p + r->pos, '\0', (size_t)len))
        return rec__io_bad(r, "%s contains a NUL byte", what);
    /* strings are UTF-8 everywhere in librec; a file must not smuggle other bytes into names
     * that later appear in messages */
    size_t bad_at;
    if (!rec__text_utf8_valid((const char *)r->p + r->pos, (size_t)len, &bad_at))
        return rec__io_bad(r, "%s is not valid UTF-8 (byte %zu)", what, bad_at);
    *out = rec__malloc((size_t)len + 1);
    if (!*out)
        return rec__error(REC_ENOMEM, "%s: out of memory", r->fn);
    memcpy(*out, r->p + r->pos, (size_t)len);
    (*out)[len] = '\0';
    r->pos += (size_t)len;
    return REC_OK;
}

void rec__io_strlist_release(rec__io_strlist *l)
{
    rec__free(l->arena);
    rec__free((void *)l->s);
    memset(l, 0, sizeof *l);
}

rec_status rec__io_r_strlist(rec__io_reader *r, rec__io_strlist *l, const char *what)
{
    memset(l, 0, sizeof *l);
    uint64_t n;
    rec_status rc = rec__io_r_count(r, &n, 4, 0, what); /* each string has at least its length */
    if (rc)
        return rc;
    size_t start = r->pos, total = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len;
        if ((rc = rec__io_r_count(r, &len, 1, 0, what)))
            return rc;
        if (memchr(r->p + r->pos, '\0', (size_t)len))
            return rec__io_bad(r, "a token of %s contains a NUL byte", what);
        size_t bad_at;
        if (!rec__text_utf8_valid((const char *)r->p + r->pos, (size_t)len, &bad_at))
            return rec__io_bad(r, "token %llu of %s is not valid UTF-8 (byte %zu)",
                       (unsigned long long)i, what, bad_at);
        r->pos += (size_t)len;
        total += (size_t)len + 1; /* ≤ section size + n: no overflow */
    }
    l->arena = rec__malloc(total ? total : 1);
    l->s = rec__malloc((n ? (size_t)n : 1) * sizeof *l->s);
    if (!l->arena || !l->s) {
        rec__io_strlist_release(l);
        return rec__error(REC_ENOMEM, "%s: out of memory for %llu tokens", r->fn,
                          (unsigned long long)n);
    }
    r->pos = start;
    char *dst = l->arena;
    for (size_t i = 0; i < (size_t)n; i++) {
        size_t len = rec__io_get_le32(r->p + r->pos);
        r->pos += 4;
        memcpy(dst, r->p + r->pos, len);
        dst[len] = '\0';
        l->s[i] = dst;
        dst += len + 1;
        r->pos += len;
    }
    l->n = (size_t)n;
    return REC_OK;
}

/* A failed constructor's message (EINVAL from the model's own validation) becomes a format
 * error naming the file; ENOMEM stays ENOMEM. */
rec_status rec__io_refused(const rec__io_reader *r, rec_status rc)
{
    if (rc == REC_ENOMEM)
        return rc;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", rec_last_error());
    return rec__error(REC_EFORMAT, "%s: %s: section %s: invalid content: %s", r->fn,
                      r->path, r->sec, msg);
}

/* Everything in a section must be consumed: trailing bytes mean a writer we do
 * not know. */
rec_status rec__io_r_end(const rec__io_reader *r)
{
    if (rec__io_left(r) != 0)
        return rec__io_bad(r, "%zu unexpected trailing bytes", rec__io_left(r));
    return REC_OK;
}


/* Read the whole file into memory (bounded by its size, which the header must then match). */
static rec_status slurp(unsigned char **buf, size_t *size, const char *path, const char *fn)
{
    char why[256];
    *buf = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno_text(why, sizeof why, errno);
        return rec__error(REC_EIO, "%s: cannot open '%s': %s", fn, path, why);
    }
    struct stat st;
    rec_status rc = REC_OK;
    if (fstat(fd, &st) != 0) {
        errno_text(why, sizeof why, errno);
        rc = rec__error(REC_EIO, "%s: cannot stat '%s': %s", fn, path, why);
    } else if (!S_ISREG(st.st_mode)) {
        rc = rec__error(REC_EIO, "%s: '%s' is not a regular file", fn, path);
    } else if ((uint64_t)st.st_size > SIZE_MAX / 2) {
        rc = rec__error(REC_EFORMAT, "%s: '%s' is too large (%lld bytes)", fn, path,
                        (long long)st.st_size);
    }
    size_t cap = rc ? 0 : (size_t)st.st_size, n = 0;
    unsigned char *b = rc ? NULL : rec__malloc(cap ? cap : 1);
    if (!rc && !b)
        rc = rec__error(REC_ENOMEM, "%s: out of memory for '%s' (%zu bytes)", fn, path, cap);
    while (!rc && n < cap) {
        ssize_t k = read(fd, b + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            errno_text(why, sizeof why, errno);
            rc = rec__error(REC_EIO, "%s: cannot read '%s': %s", fn, path, why);
        }
        if (k <= 0)
            break; /* a file that shrank meanwhile: the header check reports it */
        n += (size_t)k;
    }
    close(fd);
    if (rc) {
        rec__free(b);
        return rc;
    }
    *buf = b;
    *size = n;
    return REC_OK;
}

static void tag_text(char out[5], uint32_t tag)
{
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)(tag >> (8 * i));
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[4] = '\0';
}

/* Header, table and checksums; on success sec[] holds the sections in file order. */
static rec_status check(const unsigned char *b, size_t size, const char *path,
                        const rec__io_layout *lays, uint32_t n_versions, uint32_t *version_out,
                        rec__io_section *sec, size_t *n_sec, const char *fn)
{
    if (size < 8) {
        if (memcmp(b, "RECMODEL", size) == 0)
            return rec__error(REC_EFORMAT, "%s: %s: truncated: %zu bytes, not even the magic",
                              fn, path, size);
        return rec__error(REC_EFORMAT, "%s: %s: not a librec model file (bad magic)", fn, path);
    }
    if (memcmp(b, "RECMODEL", 8) != 0)
        return rec__error(REC_EFORMAT, "%s: %s: not a librec model file (bad magic)", fn, path);
    if (size < 12)
        return rec__error(REC_EFORMAT, "%s: %s: truncated in the header (%zu of %u bytes)", fn,
                          path, size, REC__IO_HEADER_SIZE);
    /* the version comes before the rest of the header, whose layout it governs */
    uint32_t version = rec__io_get_le32(b + 8);
    if (version == 0 || version > n_versions)
        return rec__error(REC_EFORMAT, "%s: %s: unsupported format version %u (this librec "
                          "reads versions 1 to %u)", fn, path, version, n_versions);
    const rec__io_layout *lay = &lays[version - 1];
    if (size < REC__IO_HEADER_SIZE)
        return rec__error(REC_EFORMAT, "%s: %s: truncated in the header (%zu of %u bytes)", fn,
                          path, size, REC__IO_HEADER_SIZE);
    if (rec__io_crc32(b, 28) != rec__io_get_le32(b + 28))
        return rec__error(REC_EFORMAT, "%s: %s: header checksum mismatch (the file is "
                          "corrupted)", fn, path);
    uint32_t n = rec__io_get_le32(b + 12);
    uint64_t file_size = rec__io_get_le64(b + 16);
    if (file_size != size)
        return rec__error(REC_EFORMAT, "%s: %s: %s: the header says %llu bytes, the file has "
                          "%zu", fn, path, size < file_size ? "truncated" : "trailing bytes",
                          (unsigned long long)file_size, size);
    if (n == 0 || n > lay->n)
        return rec__error(REC_EFORMAT, "%s: %s: section count %u is outside 1..%zu", fn, path, n,
                          lay->n);
    size_t table_end = REC__IO_HEADER_SIZE + (size_t)n * REC__IO_ENTRY_SIZE;
    if (table_end > size)
        return rec__error(REC_EFORMAT, "%s: %s: truncated in the section table", fn, path);
    if (rec__io_crc32(b + REC__IO_HEADER_SIZE, (size_t)n * REC__IO_ENTRY_SIZE) !=
        rec__io_get_le32(b + 24))
        return rec__error(REC_EFORMAT, "%s: %s: section table checksum mismatch (the file is "
                          "corrupted)", fn, path);
    /* the layout's order, contiguous, ending the file; optional sections may be absent */
    uint64_t expect = table_end;
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = b + REC__IO_HEADER_SIZE + (size_t)i * REC__IO_ENTRY_SIZE;
        rec__io_section s = {rec__io_get_le32(e), rec__io_get_le32(e + 4), rec__io_get_le64(e + 8),
                             rec__io_get_le64(e + 16)};
        char name[5];
        tag_text(name, s.tag);
        while (k < lay->n && lay->tags[k] != s.tag && lay->optional[k])
            k++;
        if (k == lay->n || lay->tags[k] != s.tag)
            return rec__error(REC_EFORMAT, "%s: %s: unexpected section '%s' at table entry %u",
                              fn, path, name, i);
        k++;
        if (s.offset != expect)
            return rec__error(REC_EFORMAT, "%s: %s: section %s starts at byte %llu, expected "
                              "%llu", fn, path, name, (unsigned long long)s.offset,
                              (unsigned long long)expect);
        if (s.length > size - s.offset)
            return rec__error(REC_EFORMAT, "%s: %s: section %s (%llu bytes at %llu) runs past "
                              "the end of the file", fn, path, name,
                              (unsigned long long)s.length, (unsigned long long)s.offset);
        if (rec__io_crc32(b + s.offset, (size_t)s.length) != s.crc)
            return rec__error(REC_EFORMAT, "%s: %s: section %s checksum mismatch (the file is "
                              "corrupted)", fn, path, name);
        expect = s.offset + s.length;
        sec[i] = s;
    }
    while (k < lay->n && lay->optional[k])
        k++;
    if (k < lay->n)
        return rec__error(REC_EFORMAT, "%s: %s: sections are missing (found %u)", fn, path, n);
    if (expect != size)
        return rec__error(REC_EFORMAT, "%s: %s: %llu bytes after the last section", fn, path,
                          (unsigned long long)(size - expect));
    *n_sec = n;
    *version_out = version;
    return REC_OK;
}

/* ---- the atomic save and the checked load ---------------------------------------------------- */

rec_status rec__io_save(const char *path, uint32_t version, size_t n_sec,
                        rec__io_write_fn write_sections, void *ctx, const char *fn)
{
    size_t tmp_cap = strlen(path) + 16;
    char *tmp = rec__malloc(tmp_cap);
    rec__io_writer *w = rec__calloc(1, sizeof *w);
    if (!tmp || !w) {
        rec__free(tmp);
        rec__free(w);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    char why[256];
    rec_status rc = REC_OK;
    w->version = version;
    w->fd = create_temp(tmp, tmp_cap, path);
    if (w->fd < 0) {
        errno_text(why, sizeof why, errno);
        rc = rec__error(REC_EIO, "%s: cannot create a temporary file next to '%s': %s", fn,
                        path, why);
        goto done;
    }

    /* room for the header and table, written last once the CRCs are known */
    unsigned char head[REC__IO_HEADER_SIZE + REC__IO_MAX_SECTIONS * REC__IO_ENTRY_SIZE];
    memset(head, 0, sizeof head);
    rec__io_w_bytes(w, head, REC__IO_HEADER_SIZE + n_sec * REC__IO_ENTRY_SIZE);
    rc = write_sections(w, ctx);
    if (rc)
        goto fail;
    w_flush(w);
    if (w->err == 0) {
        encode_header(head, w, w->pos);
        w->err = write_all(w->fd, head, REC__IO_HEADER_SIZE + w->n_sec * REC__IO_ENTRY_SIZE, 0,
                           1);
    }
    if (w->err == 0 && fsync(w->fd) != 0)
        w->err = errno;
    if (w->err) {
        errno_text(why, sizeof why, w->err);
        rc = rec__error(REC_EIO, "%s: cannot write '%s' (temporary file '%s'): %s", fn, path,
                        tmp, why);
        goto fail;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        errno_text(why, sizeof why, errno);
        rc = rec__error(REC_EIO, "%s: cannot write '%s' (closing '%s'): %s", fn, path, tmp, why);
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        errno_text(why, sizeof why, errno);
        rc = rec__error(REC_EIO, "%s: cannot rename '%s' to '%s': %s", fn, tmp, path, why);
        goto fail;
    }
    int err = sync_dir(path);
    if (err) {
        errno_text(why, sizeof why, err);
        rc = rec__error(REC_EIO, "%s: '%s' was written but its directory could not be synced: "
                        "%s", fn, path, why);
    }
    goto done;

fail:
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    unlink(tmp);
done:
    if (w->fd >= 0)
        close(w->fd);
    rec__free(w);
    rec__free(tmp);
    return rc;
}

rec_status rec__io_load(unsigned char **buf, size_t *size, uint32_t *version,
                        rec__io_section *sec, size_t *n_sec, const char *path,
                        const rec__io_layout *lays, uint32_t n_versions, const char *fn)
{
    rec_status rc = slurp(buf, size, path, fn);
    if (!rc)
        rc = check(*buf, *size, path, lays, n_versions, version, sec, n_sec, fn);
    if (rc) {
        rec__free(*buf);
        *buf = NULL;
    }
    return rc;
}

rec__io_reader rec__io_reader_of(const unsigned char *buf, const rec__io_section *s,
                                 const char *path, const char *fn, char name[5])
{
    tag_text(name, s->tag);
    rec__io_reader r = {buf + s->offset, (size_t)s->length, 0, (size_t)s->offset, path, name, fn};
    return r;
}
