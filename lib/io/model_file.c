/* Saving and loading ranking models (rec_model_save / rec_model_load).
 *
 * The format (docs/file-format.md, byte by byte) is little-endian, versioned and sectioned:
 * a 32-byte header (magic "RECMODEL", format version, section count, file size, CRC-32 of the
 * section table, CRC-32 of the header), a table of 24-byte entries (tag, CRC-32, offset,
 * length), then the sections, contiguous and in a fixed order:
 *   DESC description   PREP preprocessing state   EMBD embedding tables   DENS dense layers
 *   EXTN the settings beyond the first format's: pooling, L2, dropout and early-stopping settings, the
 *        linear tables and global bias of BIASED_DOT / FM, posterior samples
 *   OPTM optimizer slots (optional)   RNGS batch-order generator state
 * Every integer and float is encoded byte by byte (put_le / get_le below), so the file reads
 * the same on any host; floats travel as their IEEE-754 binary32 bits, so a loaded model
 * predicts bit-identically.
 *
 * Saving streams through a 64 KiB buffer into a temporary file created next to the
 * destination, computing each section's CRC on the way; the header and table are written last
 * (pwrite at offset 0), then fsync, rename over the destination and fsync of the directory, so
 * the destination is either the old file or the complete new one.
 *
 * Loading reads the whole file, checks the header, the table and every section's CRC before
 * parsing anything, then parses with bounded reads: every count is checked against the bytes
 * that remain before anything is allocated for it, so a hostile file costs at most a small
 * multiple of its own size in memory and fails with REC_EFORMAT naming the file. The model is
 * rebuilt through the same constructors as rec_model_build() (descriptions through the public
 * setters, so their validation applies), then the saved weights overwrite the fresh ones. */
#define _POSIX_C_SOURCE 200809L /* open, fsync, pwrite, rename, strerror_r */
#include "mcmc/mcmc.h"
#include "base/base.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <float.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Floats are stored as IEEE-754 binary32 bits; a host with another float format would need a
 * conversion this file does not have. */
_Static_assert(sizeof(float) == 4 && FLT_MANT_DIG == 24 && FLT_MAX_EXP == 128,
               "librec's file format assumes IEEE-754 binary32 floats");
_Static_assert(sizeof(double) == 8 && DBL_MANT_DIG == 53 && DBL_MAX_EXP == 1024,
               "librec's file format assumes IEEE-754 binary64 doubles");

#define FORMAT_VERSION 1u
#define HEADER_SIZE 32u
#define ENTRY_SIZE 24u
#define MAX_SECTIONS 7u

/* Section tags: four ASCII letters, stored as the little-endian u32 of their bytes, so a hex
 * dump shows the name. */
#define TAG(a, b, c, d)                                                                       \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_DESC TAG('D', 'E', 'S', 'C')
#define TAG_PREP TAG('P', 'R', 'E', 'P')
#define TAG_EMBD TAG('E', 'M', 'B', 'D')
#define TAG_DENS TAG('D', 'E', 'N', 'S')
#define TAG_OPTM TAG('O', 'P', 'T', 'M')
#define TAG_RNGS TAG('R', 'N', 'G', 'S')
#define TAG_EXTN TAG('E', 'X', 'T', 'N')

/* Optimizer kinds as optimizer.c stores them in rec__param.slot_kind, with the number of slot
 * arrays each keeps (slot[0], then slot[1]). Loading refuses any other kind, so a file can
 * never hand an optimizer a state it would misread (e.g. a missing slot it dereferences).
 * Keep in sync with optimizer.c. */
/* Slots of an optimizer kind as stored in rec__param.slot_kind (optimizer.c owns the table). */
static int slots_of_kind(uint32_t kind)
{
    return rec__optimizer_slot_count((int)kind);
}

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

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    return crc_update(0xffffffffu, p, n) ^ 0xffffffffu;
}

/* ---- little-endian encoding --------------------------------------------------------------- */

static void put_le32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)v;
    b[1] = (unsigned char)(v >> 8);
    b[2] = (unsigned char)(v >> 16);
    b[3] = (unsigned char)(v >> 24);
}

static void put_le64(unsigned char *b, uint64_t v)
{
    put_le32(b, (uint32_t)v);
    put_le32(b + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t get_le64(const unsigned char *b)
{
    return (uint64_t)get_le32(b) | (uint64_t)get_le32(b + 4) << 32;
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double f64_from_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- writing ------------------------------------------------------------------------------ */

#define WBUF_SIZE (64u * 1024u)

typedef struct section_entry {
    uint32_t tag;
    uint32_t crc;
    uint64_t offset;
    uint64_t length;
} section_entry;

/* Buffered writer over a file descriptor. Errors are sticky: the first failed write records
 * errno and every later call does nothing, so the save code checks once at the end. */
typedef struct writer {
    int fd;
    int err;          /* errno of the first failure, 0 if none */
    size_t len;       /* bytes in buf */
    uint64_t pos;     /* file offset of the next byte */
    uint32_t crc;     /* running CRC register of the open section */
    section_entry sec[MAX_SECTIONS];
    size_t n_sec;
    unsigned char buf[WBUF_SIZE];
} writer;

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

static void w_flush(writer *w)
{
    if (w->err == 0 && w->len > 0)
        w->err = write_all(w->fd, w->buf, w->len, 0, 0);
    w->len = 0;
}

static void w_bytes(writer *w, const void *data, size_t n)
{
    const unsigned char *p = data;
    w->crc = crc_update(w->crc, p, n);
    w->pos += n;
    while (n > 0 && w->err == 0) {
        size_t k = WBUF_SIZE - w->len < n ? WBUF_SIZE - w->len : n;
        memcpy(w->buf + w->len, p, k);
        w->len += k;
        p += k;
        n -= k;
        if (w->len == WBUF_SIZE)
            w_flush(w);
    }
}

static void w_u32(writer *w, uint32_t v)
{
    unsigned char b[4];
    put_le32(b, v);
    w_bytes(w, b, sizeof b);
}

static void w_u64(writer *w, uint64_t v)
{
    unsigned char b[8];
    put_le64(b, v);
    w_bytes(w, b, sizeof b);
}

static void w_f64(writer *w, double v)
{
    w_u64(w, f64_bits(v));
}

/* A string: u32 byte length, then the bytes (no NUL). Strings held by a model never exceed
 * 4 GiB in practice; a longer one is refused rather than truncated. */
static void w_str(writer *w, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT32_MAX) {
        if (w->err == 0)
            w->err = EOVERFLOW;
        return;
    }
    w_u32(w, (uint32_t)n);
    w_bytes(w, s, n);
}

/* n floats as little-endian binary32, converted through a small stack buffer. */
static void w_f32s(writer *w, const float *x, size_t n)
{
    unsigned char b[4096];
    while (n > 0) {
        size_t k = n < sizeof b / 4 ? n : sizeof b / 4;
        for (size_t i = 0; i < k; i++)
            put_le32(b + 4 * i, f32_bits(x[i]));
        w_bytes(w, b, 4 * k);
        x += k;
        n -= k;
    }
}

static void w_begin(writer *w, uint32_t tag)
{
    section_entry *e = &w->sec[w->n_sec];
    e->tag = tag;
    e->offset = w->pos;
    w->crc = 0xffffffffu;
}

static void w_end(writer *w)
{
    section_entry *e = &w->sec[w->n_sec++];
    e->length = w->pos - e->offset;
    e->crc = w->crc ^ 0xffffffffu;
}

/* Header and section table, as documented in docs/file-format.md. */
static void encode_header(unsigned char *h, const writer *w, uint64_t file_size)
{
    unsigned char *t = h + HEADER_SIZE;
    for (size_t i = 0; i < w->n_sec; i++) {
        unsigned char *e = t + i * ENTRY_SIZE;
        put_le32(e, w->sec[i].tag);
        put_le32(e + 4, w->sec[i].crc);
        put_le64(e + 8, w->sec[i].offset);
        put_le64(e + 16, w->sec[i].length);
    }
    memcpy(h, "RECMODEL", 8);
    put_le32(h + 8, FORMAT_VERSION);
    put_le32(h + 12, (uint32_t)w->n_sec);
    put_le64(h + 16, file_size);
    put_le32(h + 24, crc32_of(t, w->n_sec * ENTRY_SIZE));
    put_le32(h + 28, crc32_of(h, 28));
}

/* The parameters that carry weights and optimizer slots, in file order: the model's parameter
 * list (model/params.c), built in that order. Saving only reads them. */
static size_t n_params(const rec_model *m)
{
    return m->params.n;
}

static rec__param *param_at(const rec_model *m, size_t i)
{
    return m->params.e[i].p;
}

static void write_desc(writer *w, const rec_model *m)
{
    w_begin(w, TAG_DESC);
    w_u64(w, m->seed);
    w_u32(w, (uint32_t)m->interaction);
    w_u32(w, (uint32_t)m->n_feats);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        w_str(w, f->column);
        w_u32(w, (uint32_t)f->kind);
        w_u32(w, (uint32_t)f->side);
        w_u32(w, f->dim);
        w_u32(w, f->n_boundaries);
        w_u32(w, f->max_tokens);
        w_u32(w, f->boundaries != NULL);
        if (f->boundaries) {
            w_u64(w, f->n_given_boundaries);
            for (size_t k = 0; k < f->n_given_boundaries; k++)
                w_f64(w, f->boundaries[k]);
        }
    }
    w_u32(w, (uint32_t)m->n_layers);
    for (size_t l = 0; l < m->n_layers; l++) {
        w_u32(w, m->layers[l].units);
        w_u32(w, (uint32_t)m->layers[l].act);
    }
    w_str(w, m->label);
    w_str(w, m->name);
    w_end(w);
}

static rec_status write_prep(writer *w, const rec_model *m, const char *fn)
{
    w_begin(w, TAG_PREP);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        w_u32(w, (uint32_t)f->kind);
        switch (f->kind) {
        case REC_FEATURE_CATEGORICAL:
        case REC_FEATURE_CATEGORICAL_LIST: {
            /* tokens of indices 1..n, which are in byte order (rec_vocab_create sorts) */
            uint32_t n = (uint32_t)(rec_vocab_size(f->vocab) - 1);
            w_u32(w, n);
            for (uint32_t id = 1; id <= n; id++)
                w_str(w, rec_vocab_token(f->vocab, id));
            break;
        }
        case REC_FEATURE_BUCKETIZED: {
            size_t n = rec_discretization_n_buckets(f->disc) - 1;
            double *b = rec__malloc((n ? n : 1) * sizeof *b);
            if (!b)
                return rec__error(REC_ENOMEM, "%s: out of memory", fn);
            rec_discretization_boundaries(f->disc, b, n);
            w_u64(w, n);
            for (size_t k = 0; k < n; k++)
                w_f64(w, b[k]);
            rec__free(b);
            break;
        }
        case REC_FEATURE_NUMERIC:
            w_f64(w, rec_normalization_mean(f->norm));
            w_f64(w, rec_normalization_variance(f->norm));
            break;
        case REC_FEATURE_TEXT: {
            /* tokens of ids 2.. (0 is padding, 1 is OOV) */
            uint32_t n = (uint32_t)(rec_textvec_vocab_size(f->text) - 2);
            w_u32(w, n);
            for (uint32_t k = 0; k < n; k++)
                w_str(w, rec_textvec_token(f->text, k + 2));
            break;
        }
        }
    }
    w_end(w);
    return REC_OK;
}

static void write_weights(writer *w, const rec_model *m)
{
    size_t n_emb = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        n_emb += m->feats[i].emb != NULL;
    w_begin(w, TAG_EMBD);
    w_u32(w, (uint32_t)n_emb);
    for (size_t i = 0; i < m->n_feats; i++) {
        const rec__feature *f = &m->feats[i];
        if (!f->emb)
            continue;
        uint32_t rows = rec_embedding_rows(f->emb), dim = rec_embedding_dim(f->emb);
        w_u32(w, (uint32_t)i);
        w_u32(w, rows);
        w_u32(w, dim);
        w_f32s(w, rec_embedding_row(f->emb, 0), (size_t)rows * dim);
    }
    w_end(w);

    w_begin(w, TAG_DENS);
    w_u32(w, (uint32_t)m->n_layers);
    for (size_t l = 0; l < m->n_layers; l++) {
        rec_dense *d = m->layers[l].dense;
        w_u32(w, rec_dense_n_in(d));
        w_u32(w, rec_dense_n_out(d));
        w_u32(w, (uint32_t)rec_dense_activation(d));
        const rec__param *k = rec__dense_kernel(d), *b = rec__dense_bias(d);
        w_f32s(w, k->w, k->n);
        w_f32s(w, b->w, b->n);
    }
    w_end(w);
}

static void write_extn(writer *w, const rec_model *m)
{
    const rec__posterior *x = &m->post;
    w_begin(w, TAG_EXTN);
    w_u32(w, (uint32_t)m->n_feats);
    for (size_t i = 0; i < m->n_feats; i++) {
        w_u32(w, (uint32_t)m->feats[i].pooling);
        w_u32(w, f32_bits(m->feats[i].l2_emb));
        w_u32(w, f32_bits(m->feats[i].l2_lin));
    }
    w_u32(w, (uint32_t)m->n_layers);
    for (size_t l = 0; l < m->n_layers; l++) {
        w_u32(w, f32_bits(m->layers[l].l2));
        w_u32(w, f32_bits(m->layers[l].dropout));
    }
    w_u32(w, m->es_patience);
    w_f64(w, m->es_min_delta);
    w_u32(w, (uint32_t)x->likelihood);
    w_u32(w, m->w0 != NULL);
    if (m->w0) {
        w_f32s(w, rec_embedding_row(m->w0, 0), 1);
        for (size_t i = 0; i < m->n_feats; i++) {
            uint32_t rows = rec_embedding_rows(m->feats[i].lin);
            w_u32(w, rows);
            w_f32s(w, rec_embedding_row(m->feats[i].lin, 0), rows);
            uint32_t dim = m->feats[i].nvec ? rec_embedding_dim(m->feats[i].nvec) : 0;
            w_u32(w, dim);
            if (dim)
                w_f32s(w, rec_embedding_row(m->feats[i].nvec, 0), dim);
        }
    }
    for (int k = 0; k < 4; k++)
        w_u64(w, m->drop_rng.s[k]);
    w_u32(w, x->n_samples);
    if (x->n_samples) {
        w_u64(w, x->sample_len);
        w_u32(w, f32_bits(x->y_min));
        w_u32(w, f32_bits(x->y_max));
        w_u32(w, x->n_classes);
        if (x->n_classes)
            w_f32s(w, x->classes, x->n_classes);
        w_f32s(w, x->samples, (size_t)x->n_samples * x->sample_len);
    }
    w_end(w);
}

static rec_status write_optm(writer *w, const rec_model *m, const char *fn)
{
    size_t np = n_params(m);
    for (size_t i = 0; i < np; i++) {
        const rec__param *p = param_at(m, i);
        int ns = slots_of_kind((uint32_t)p->slot_kind);
        if (ns < 0)
            return rec__error(REC_ESTATE, "%s: parameter %zu holds optimizer state of unknown "
                              "kind %d, which this version cannot save", fn, i, p->slot_kind);
        for (int s = 0; s < ns; s++)
            if (!p->slot[s])
                return rec__error(REC_ESTATE, "%s: parameter %zu lacks optimizer slot %d", fn,
                                  i, s);
    }
    w_begin(w, TAG_OPTM);
    w_u32(w, (uint32_t)np);
    for (size_t i = 0; i < np; i++) {
        const rec__param *p = param_at(m, i);
        int ns = slots_of_kind((uint32_t)p->slot_kind);
        w_u32(w, (uint32_t)p->slot_kind);
        w_u32(w, (uint32_t)ns);
        w_u64(w, p->steps);
        w_u64(w, p->n);
        for (int s = 0; s < ns; s++)
            w_f32s(w, p->slot[s], p->n);
    }
    w_end(w);
    return REC_OK;
}

static void write_rngs(writer *w, const rec_model *m)
{
    w_begin(w, TAG_RNGS);
    for (int k = 0; k < 4; k++)
        w_u64(w, m->order_rng.s[k]);
    w_end(w);
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

rec_status rec_model_save(const rec_model *m, const char *path, int include_optimizer_state)
{
    static const char fn[] = "rec_model_save";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!path || !*path)
        return rec__error(REC_EINVAL, "%s: path is NULL or empty", fn);
    if (!m->built)
        return rec__error(REC_ESTATE, "%s: the model is not built; nothing to save", fn);
    if (m->n_feats > UINT32_MAX || m->n_layers > UINT32_MAX)
        return rec__error(REC_EINVAL, "%s: the model has too many features or layers", fn);

    size_t tmp_cap = strlen(path) + 16;
    char *tmp = rec__malloc(tmp_cap);
    writer *w = rec__calloc(1, sizeof *w);
    if (!tmp || !w) {
        rec__free(tmp);
        rec__free(w);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    char why[256];
    rec_status rc = REC_OK;
    w->fd = create_temp(tmp, tmp_cap, path);
    if (w->fd < 0) {
        errno_text(why, sizeof why, errno);
        rc = rec__error(REC_EIO, "%s: cannot create a temporary file next to '%s': %s", fn,
                        path, why);
        goto done;
    }

    /* room for the header and table, written last once the CRCs are known */
    size_t n_sec = include_optimizer_state ? 7 : 6;
    unsigned char head[HEADER_SIZE + MAX_SECTIONS * ENTRY_SIZE];
    memset(head, 0, sizeof head);
    w_bytes(w, head, HEADER_SIZE + n_sec * ENTRY_SIZE);
    write_desc(w, m);
    rc = write_prep(w, m, fn);
    if (!rc) {
        write_weights(w, m);
        write_extn(w, m);
        if (include_optimizer_state)
            rc = write_optm(w, m, fn);
    }
    if (rc)
        goto fail;
    write_rngs(w, m);
    w_flush(w);
    if (w->err == 0) {
        encode_header(head, w, w->pos);
        w->err = write_all(w->fd, head, HEADER_SIZE + w->n_sec * ENTRY_SIZE, 0, 1);
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

/* ---- reading ------------------------------------------------------------------------------ */

/* Bounded reader over one section. Every getter checks the bytes that remain; the first
 * failure sets the message (file, section, file offset) and makes the getter return non-zero. */
typedef struct reader {
    const unsigned char *p;
    size_t n, pos;
    size_t base;      /* file offset of p[0], for messages */
    const char *path;
    const char *sec;  /* section tag as text */
} reader;

static rec_status bad(const reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static rec_status bad(const reader *r, const char *fmt, ...)
{
    char detail[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return rec__error(REC_EFORMAT, "rec_model_load: %s: section %s at byte %zu: %s", r->path,
                      r->sec, r->base + r->pos, detail);
}

static rec_status short_read(const reader *r, const char *what)
{
    return bad(r, "truncated while reading %s (%zu bytes left)", what, r->n - r->pos);
}

static size_t left(const reader *r)
{
    return r->n - r->pos;
}

static rec_status r_u32(reader *r, uint32_t *v, const char *what)
{
    *v = 0;
    if (left(r) < 4)
        return short_read(r, what);
    *v = get_le32(r->p + r->pos);
    r->pos += 4;
    return REC_OK;
}

static rec_status r_u64(reader *r, uint64_t *v, const char *what)
{
    *v = 0;
    if (left(r) < 8)
        return short_read(r, what);
    *v = get_le64(r->p + r->pos);
    r->pos += 8;
    return REC_OK;
}

static rec_status r_f64(reader *r, double *v, const char *what)
{
    uint64_t u;
    rec_status rc = r_u64(r, &u, what);
    if (!rc)
        *v = f64_from_bits(u);
    return rc;
}

/* A count of items of at least item_bytes bytes each: it cannot exceed what remains. This is
 * what keeps a crafted count from driving an allocation. */
static rec_status r_count(reader *r, uint64_t *n, size_t item_bytes, int wide, const char *what)
{
    uint32_t v32 = 0;
    rec_status rc = wide ? r_u64(r, n, what) : r_u32(r, &v32, what);
    if (rc)
        return rc;
    if (!wide)
        *n = v32;
    if (*n > left(r) / item_bytes)
        return bad(r, "%s = %llu is more than the section can hold", what,
                   (unsigned long long)*n);
    return REC_OK;
}

/* n floats (little-endian binary32) into dst; the caller checked n against left(r) / 4. */
static void r_f32s(reader *r, float *dst, size_t n)
{
    const unsigned char *b = r->p + r->pos;
    for (size_t i = 0; i < n; i++)
        dst[i] = f32_from_bits(get_le32(b + 4 * i));
    r->pos += 4 * n;
}

/* A string into a new NUL-terminated copy. */
static rec_status r_str(reader *r, char **out, const char *what)
{
    uint64_t len;
    rec_status rc = r_count(r, &len, 1, 0, what);
    if (rc)
        return rc;
    if (memchr(r->p + r->pos, '\0', (size_t)len))
        return bad(r, "%s contains a NUL byte", what);
    /* strings are UTF-8 everywhere in librec; a file must not smuggle other bytes into names
     * that later appear in messages */
    size_t bad_at;
    if (!rec__text_utf8_valid((const char *)r->p + r->pos, (size_t)len, &bad_at))
        return bad(r, "%s is not valid UTF-8 (byte %zu)", what, bad_at);
    *out = rec__malloc((size_t)len + 1);
    if (!*out)
        return rec__error(REC_ENOMEM, "rec_model_load: out of memory");
    memcpy(*out, r->p + r->pos, (size_t)len);
    (*out)[len] = '\0';
    r->pos += (size_t)len;
    return REC_OK;
}

/* n strings into one arena (each NUL-terminated) and an array of pointers into it. Two passes:
 * the first checks every length against the section and sums them, the second copies. */
typedef struct strlist {
    char *arena;
    const char **s;
    size_t n;
} strlist;

static void strlist_release(strlist *l)
{
    rec__free(l->arena);
    rec__free((void *)l->s);
    memset(l, 0, sizeof *l);
}

static rec_status r_strlist(reader *r, strlist *l, const char *what)
{
    memset(l, 0, sizeof *l);
    uint64_t n;
    rec_status rc = r_count(r, &n, 4, 0, what); /* each string has at least its length */
    if (rc)
        return rc;
    size_t start = r->pos, total = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t len;
        if ((rc = r_count(r, &len, 1, 0, what)))
            return rc;
        if (memchr(r->p + r->pos, '\0', (size_t)len))
            return bad(r, "a token of %s contains a NUL byte", what);
        size_t bad_at;
        if (!rec__text_utf8_valid((const char *)r->p + r->pos, (size_t)len, &bad_at))
            return bad(r, "token %llu of %s is not valid UTF-8 (byte %zu)",
                       (unsigned long long)i, what, bad_at);
        r->pos += (size_t)len;
        total += (size_t)len + 1; /* ≤ section size + n: no overflow */
    }
    l->arena = rec__malloc(total ? total : 1);
    l->s = rec__malloc((n ? (size_t)n : 1) * sizeof *l->s);
    if (!l->arena || !l->s) {
        strlist_release(l);
        return rec__error(REC_ENOMEM, "rec_model_load: out of memory for %llu tokens",
                          (unsigned long long)n);
    }
    r->pos = start;
    char *dst = l->arena;
    for (size_t i = 0; i < (size_t)n; i++) {
        size_t len = get_le32(r->p + r->pos);
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
static rec_status refused(const reader *r, rec_status rc)
{
    if (rc == REC_ENOMEM)
        return rc;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", rec_last_error());
    return rec__error(REC_EFORMAT, "rec_model_load: %s: section %s: invalid content: %s",
                      r->path, r->sec, msg);
}

/* Everything in a section must be consumed: trailing bytes mean a writer we do not know. */
static rec_status r_end(const reader *r)
{
    if (left(r) != 0)
        return bad(r, "%zu unexpected trailing bytes", left(r));
    return REC_OK;
}

static rec_status read_desc(reader *r, rec_model **out)
{
    *out = NULL;
    uint64_t seed, n_feats, n_layers;
    uint32_t interaction;
    rec_status rc;
    if ((rc = r_u64(r, &seed, "seed")) || (rc = r_u32(r, &interaction, "interaction")))
        return rc;
    /* a feature takes at least 28 bytes: a name's length + 6 u32 fields (kind, side, dim,
     * buckets, max_tokens, boundaries flag) */
    if ((rc = r_count(r, &n_feats, 28, 0, "feature count")))
        return rc;
    rec_model *m;
    if ((rc = rec_model_create(&m, seed)))
        return rc;
    for (uint64_t i = 0; i < n_feats && !rc; i++) {
        char *column = NULL;
        uint32_t kind, side, dim, n_boundaries, max_tokens, given;
        rc = r_str(r, &column, "column name");
        if (!rc && !(rc = r_u32(r, &kind, "feature kind")) && !(rc = r_u32(r, &side, "side")) &&
            !(rc = r_u32(r, &dim, "dim")) && !(rc = r_u32(r, &n_boundaries, "bucket count")) &&
            !(rc = r_u32(r, &max_tokens, "max_tokens")) &&
            !(rc = r_u32(r, &given, "boundaries flag"))) {
            /* the public setters validate kind, side, dim and the ranges */
            if ((rc = rec_model_add_feature(NULL, m, column, (rec_feature_kind)kind,
                                            (rec_side)side, dim)))
                rc = refused(r, rc);
        }
        rec__free(column);
        if (rc)
            break;
        rec__feature *f = &m->feats[m->n_feats - 1];
        if (n_boundaries == 0 || n_boundaries > (1u << 24))
            rc = bad(r, "bucket count %u is outside 1..2^24", n_boundaries);
        else if (max_tokens < 2 || max_tokens > (1u << 24))
            rc = bad(r, "max_tokens %u is outside 2..2^24", max_tokens);
        else if (given > 1)
            rc = bad(r, "boundaries flag %u is neither 0 nor 1", given);
        if (rc)
            break;
        f->n_boundaries = n_boundaries;
        f->max_tokens = max_tokens;
        if (given) {
            uint64_t nb;
            if ((rc = r_count(r, &nb, 8, 1, "given boundary count")))
                break;
            double *b = rec__malloc((nb ? (size_t)nb : 1) * sizeof *b);
            if (!b) {
                rc = rec__error(REC_ENOMEM, "rec_model_load: out of memory");
                break;
            }
            for (size_t k = 0; k < (size_t)nb; k++)
                r_f64(r, &b[k], "boundary"); /* count checked above: cannot fail */
            rc = rec_model_feature_set_boundaries(m, (uint32_t)i, b, (size_t)nb);
            rec__free(b);
            if (rc)
                rc = refused(r, rc);
        }
    }
    if (!rc && !(rc = r_count(r, &n_layers, 8, 0, "layer count"))) {
        for (uint64_t l = 0; l < n_layers && !rc; l++) {
            uint32_t units, act;
            if (!(rc = r_u32(r, &units, "units")) && !(rc = r_u32(r, &act, "activation")) &&
                (rc = rec_model_add_layer(m, units, (rec_activation)act)))
                rc = refused(r, rc);
        }
    }
    if (!rc && (interaction > REC_INTERACTION_FM))
        rc = bad(r, "interaction %u is unknown", interaction);
    if (!rc && (rc = rec_model_set_interaction(m, (rec_interaction)interaction)))
        rc = refused(r, rc);
    char *label = NULL, *name = NULL;
    if (!rc && !(rc = r_str(r, &label, "label")) && !(rc = r_str(r, &name, "name"))) {
        if ((rc = rec_model_set_label(m, label)))
            rc = refused(r, rc);
        else if (!*name)
            rc = bad(r, "the model name is empty");
        else {
            rec__free(m->name);
            m->name = name;
            name = NULL;
        }
    }
    rec__free(label);
    rec__free(name);
    if (!rc)
        rc = r_end(r);
    /* the same consistency checks as rec_model_build(), and the layout they compute */
    if (!rc && (rc = rec__model_layout(m, "rec_model_load")))
        rc = refused(r, rc);
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    *out = m;
    return REC_OK;
}

/* Rows of the embedding table a feature's preprocessing implies (as rec_model_build makes). */
static uint32_t expected_rows(const rec__feature *f)
{
    switch (f->kind) {
    case REC_FEATURE_CATEGORICAL:
    case REC_FEATURE_CATEGORICAL_LIST: return (uint32_t)rec_vocab_size(f->vocab);
    case REC_FEATURE_BUCKETIZED: return (uint32_t)rec_discretization_n_buckets(f->disc);
    case REC_FEATURE_TEXT: return f->max_tokens;
    case REC_FEATURE_NUMERIC: return 0;
    }
    return 0;
}

static rec_status read_vocab(reader *r, rec__feature *f)
{
    strlist l;
    rec_status rc = r_strlist(r, &l, "vocabulary size");
    if (rc)
        return rc;
    /* index i + 1 must be the i-th token: rec_vocab_create sorts and collapses, so the saved
     * list must already be strictly increasing (strcmp = byte order) */
    for (size_t i = 1; i < l.n && !rc; i++)
        if (strcmp(l.s[i - 1], l.s[i]) >= 0)
            rc = bad(r, "vocabulary tokens %zu and %zu are not in strictly increasing byte "
                     "order", i - 1, i);
    if (!rc && l.n > (size_t)UINT32_MAX - 1)
        rc = bad(r, "%zu tokens are too many", l.n);
    if (!rc && (rc = rec_vocab_create(&f->vocab, l.s, l.n)))
        rc = refused(r, rc);
    strlist_release(&l);
    return rc;
}

static rec_status read_prep(reader *r, rec_model *m)
{
    rec_status rc = REC_OK;
    for (size_t i = 0; i < m->n_feats && !rc; i++) {
        rec__feature *f = &m->feats[i];
        uint32_t kind;
        if ((rc = r_u32(r, &kind, "feature kind")))
            break;
        if (kind != (uint32_t)f->kind) {
            rc = bad(r, "feature kind %u differs from the description's", kind);
            break;
        }
        switch (f->kind) {
        case REC_FEATURE_CATEGORICAL:
        case REC_FEATURE_CATEGORICAL_LIST:
            rc = read_vocab(r, f);
            break;
        case REC_FEATURE_BUCKETIZED: {
            uint64_t n;
            if ((rc = r_count(r, &n, 8, 1, "boundary count")))
                break;
            double *b = rec__malloc((n ? (size_t)n : 1) * sizeof *b);
            if (!b) {
                rc = rec__error(REC_ENOMEM, "rec_model_load: out of memory");
                break;
            }
            for (size_t k = 0; k < (size_t)n; k++)
                r_f64(r, &b[k], "boundary");
            /* finite and non-decreasing, checked by the constructor */
            if ((rc = rec_discretization_create(&f->disc, b, (size_t)n)))
                rc = refused(r, rc);
            rec__free(b);
            break;
        }
        case REC_FEATURE_NUMERIC: {
            double mean, var;
            if (!(rc = r_f64(r, &mean, "mean")) && !(rc = r_f64(r, &var, "variance")) &&
                (rc = rec_normalization_create(&f->norm, mean, var)))
                rc = refused(r, rc);
            break;
        }
        case REC_FEATURE_TEXT: {
            strlist l;
            if ((rc = r_strlist(r, &l, "text vocabulary size")))
                break;
            /* tokens standardized, distinct, n + 2 ≤ max_tokens: checked by the constructor */
            if ((rc = rec_textvec_create(&f->text, l.s, l.n, f->max_tokens)))
                rc = refused(r, rc);
            strlist_release(&l);
            break;
        }
        }
    }
    return rc ? rc : r_end(r);
}

/* Overwrite a fresh parameter's weights with n saved floats. */
static rec_status read_weights_into(reader *r, rec__param *p, size_t n, const char *what)
{
    if (n != p->n)
        return bad(r, "%s has %zu weights, the model expects %zu", what, n, p->n);
    if (n > left(r) / 4)
        return short_read(r, what);
    r_f32s(r, p->w, n);
    return REC_OK;
}

static rec_status read_embd(reader *r, rec_model *m)
{
    uint32_t n_tables;
    rec_status rc = r_u32(r, &n_tables, "table count");
    if (rc)
        return rc;
    size_t want = 0; /* the tables do not exist yet: every feature but NUMERIC gets one */
    for (size_t i = 0; i < m->n_feats; i++)
        want += m->feats[i].kind != REC_FEATURE_NUMERIC;
    if (n_tables != want)
        return bad(r, "table count %u differs from the features' embedding count %zu",
                   n_tables, want);
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__feature *f = &m->feats[i];
        if (f->kind == REC_FEATURE_NUMERIC)
            continue;
        uint32_t fi, rows, dim;
        if ((rc = r_u32(r, &fi, "feature index")) || (rc = r_u32(r, &rows, "rows")) ||
            (rc = r_u32(r, &dim, "dim")))
            return rc;
        if (fi != i)
            return bad(r, "feature index %u is out of order (expected %zu)", fi, i);
        if (rows != expected_rows(f) || dim != f->dim)
            return bad(r, "the table of feature %zu (%u x %u) does not match its "
                       "preprocessing (%u x %u)", i, rows, dim, expected_rows(f), f->dim);
        /* check the bytes before allocating rows × dim floats */
        if ((uint64_t)rows * dim > left(r) / 4)
            return short_read(r, "embedding weights");
        if ((rc = rec_embedding_create(&f->emb, rows, dim, 0)))
            return refused(r, rc);
        if ((rc = read_weights_into(r, rec__embedding_param(f->emb), (size_t)rows * dim,
                                    "embedding")))
            return rc;
    }
    return r_end(r);
}

static rec_status read_dens(reader *r, rec_model *m)
{
    uint32_t n_layers;
    rec_status rc = r_u32(r, &n_layers, "layer count");
    if (rc)
        return rc;
    if (n_layers != m->n_layers)
        return bad(r, "layer count %u differs from the description's %zu", n_layers,
                   m->n_layers);
    uint32_t n_in_want = m->width;
    for (size_t l = 0; l < m->n_layers; l++) {
        uint32_t n_in, n_out, act;
        if ((rc = r_u32(r, &n_in, "n_in")) || (rc = r_u32(r, &n_out, "n_out")) ||
            (rc = r_u32(r, &act, "activation")))
            return rc;
        if (n_in != n_in_want || n_out != m->layers[l].units ||
            act != (uint32_t)m->layers[l].act)
            return bad(r, "layer %zu (%u -> %u, activation %u) does not match the "
                       "description", l, n_in, n_out, act);
        /* kernel n_in·n_out + bias n_out floats must be there before allocating them */
        uint64_t nk64 = (uint64_t)n_in * n_out;
        if (nk64 > left(r) / 4 || n_out > (left(r) / 4) - nk64)
            return short_read(r, "dense weights");
        size_t nk = (size_t)nk64; /* ≤ left(r) / 4: fits */
        if ((rc = rec_dense_create(&m->layers[l].dense, n_in, n_out, (rec_activation)act, 0)))
            return refused(r, rc);
        if ((rc = read_weights_into(r, rec__dense_kernel(m->layers[l].dense), nk, "kernel")) ||
            (rc = read_weights_into(r, rec__dense_bias(m->layers[l].dense), n_out, "bias")))
            return rc;
        n_in_want = n_out;
    }
    return r_end(r);
}

/* A float the setters will validate. */
static rec_status r_f32(reader *r, float *v, const char *what)
{
    uint32_t u;
    rec_status rc = r_u32(r, &u, what);
    if (!rc)
        *v = f32_from_bits(u);
    return rc;
}

/* A 1-wide or K-wide table of the extension, of exactly `rows` × `dim` saved floats. */
static rec_status read_ext_table(reader *r, rec_embedding **e, uint32_t rows, uint32_t dim,
                                 const char *what)
{
    if ((uint64_t)rows * dim > left(r) / 4)
        return short_read(r, what);
    rec_status rc = rec_embedding_create(e, rows, dim, 0);
    if (rc)
        return refused(r, rc);
    return read_weights_into(r, rec__embedding_param(*e), (size_t)rows * dim, what);
}

static rec_status read_extn(reader *r, rec_model *m)
{
    rec__posterior *x = &m->post;
    uint32_t nf, nl, patience, has_tables, ns;
    double min_delta;
    rec_status rc = r_u32(r, &nf, "feature count");
    if (rc)
        return rc;
    if (nf != m->n_feats)
        return bad(r, "feature count %u differs from the description's %zu", nf, m->n_feats);
    for (uint32_t i = 0; i < nf; i++) {
        uint32_t pooling;
        float l2e, l2l;
        if ((rc = r_u32(r, &pooling, "pooling")) || (rc = r_f32(r, &l2e, "L2")) ||
            (rc = r_f32(r, &l2l, "L2")))
            return rc;
        const rec_feature_kind k = m->feats[i].kind;
        if (pooling != REC_POOLING_MEAN || k == REC_FEATURE_TEXT ||
            k == REC_FEATURE_CATEGORICAL_LIST)
            if ((rc = rec_model_feature_set_pooling(m, i, (rec_pooling)pooling)))
                return refused(r, rc);
        if ((rc = rec_model_feature_set_l2(m, i, l2e, l2l)))
            return refused(r, rc);
    }
    if ((rc = r_u32(r, &nl, "layer count")))
        return rc;
    if (nl != m->n_layers)
        return bad(r, "layer count %u differs from the description's %zu", nl, m->n_layers);
    for (uint32_t l = 0; l < nl; l++) {
        float l2, rate;
        if ((rc = r_f32(r, &l2, "L2")) || (rc = r_f32(r, &rate, "dropout rate")))
            return rc;
        if ((rc = rec_model_layer_set_l2(m, l, l2)))
            return refused(r, rc);
        if (rate != 0.0f && (rc = rec_model_layer_set_dropout(m, l, rate)))
            return refused(r, rc);
    }
    if ((rc = r_u32(r, &patience, "patience")) || (rc = r_f64(r, &min_delta, "min_delta")))
        return rc;
    if ((rc = rec_model_set_early_stopping(m, patience, min_delta)))
        return refused(r, rc);
    uint32_t likelihood;
    if ((rc = r_u32(r, &likelihood, "likelihood")))
        return rc;
    if ((rc = rec_model_set_likelihood(m, (rec_likelihood)likelihood)))
        return refused(r, rc);
    if ((rc = r_u32(r, &has_tables, "tables flag")))
        return rc;
    if (has_tables != (uint32_t)rec__model_has_linear(m))
        return bad(r, "tables flag %u does not match interaction %d", has_tables,
                   (int)m->interaction);
    uint32_t K = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        if (m->feats[i].kind != REC_FEATURE_NUMERIC && !K)
            K = m->feats[i].dim;
    if (has_tables) {
        if ((rc = read_ext_table(r, &m->w0, 1, 1, "global bias")))
            return rc;
        for (size_t i = 0; i < m->n_feats; i++) {
            const rec__feature *f = &m->feats[i];
            uint32_t rows, dim;
            if ((rc = r_u32(r, &rows, "linear rows")))
                return rc;
            uint32_t want = f->kind == REC_FEATURE_NUMERIC ? 1 : expected_rows(f);
            if (rows != want)
                return bad(r, "the linear table of feature %zu has %u rows, expected %u", i,
                           rows, want);
            if ((rc = read_ext_table(r, &m->feats[i].lin, rows, 1, "linear weights")) ||
                (rc = r_u32(r, &dim, "factor dim")))
                return rc;
            want = f->kind == REC_FEATURE_NUMERIC && m->interaction == REC_INTERACTION_FM ? K
                                                                                          : 0;
            if (dim != want)
                return bad(r, "feature %zu has a factor vector of %u, expected %u", i, dim,
                           want);
            if (dim && (rc = read_ext_table(r, &m->feats[i].nvec, 1, dim, "factor vector")))
                return rc;
        }
    }
    uint64_t any = 0;
    for (int k = 0; k < 4; k++) {
        if ((rc = r_u64(r, &m->drop_rng.s[k], "dropout generator state")))
            return rc;
        any |= m->drop_rng.s[k];
    }
    if (!any)
        return bad(r, "the dropout generator state is all zero");
    if ((rc = r_u32(r, &ns, "sample count")))
        return rc;
    if (ns) {
        uint64_t len;
        float lo, hi;
        if (m->interaction != REC_INTERACTION_FM)
            return bad(r, "%u posterior samples for a model that is not an FM", ns);
        uint32_t nc;
        if ((rc = r_u64(r, &len, "sample length")) || (rc = r_f32(r, &lo, "label minimum")) ||
            (rc = r_f32(r, &hi, "label maximum")) || (rc = r_u32(r, &nc, "class count")))
            return rc;
        if (nc == 1 || nc > REC__MAX_CLASSES)
            return bad(r, "class count %u is neither 0 nor in 2..%u", nc, REC__MAX_CLASSES);
        if (nc > left(r) / 4)
            return short_read(r, "class values");
        if (nc) {
            x->classes = rec__malloc(nc * sizeof *x->classes);
            if (!x->classes)
                return rec__error(REC_ENOMEM, "rec_model_load: out of memory");
            r_f32s(r, x->classes, nc);
            for (uint32_t c = 0; c < nc; c++)
                if (!isfinite(x->classes[c]) || (c && !(x->classes[c] > x->classes[c - 1])))
                    return bad(r, "class values are not finite and increasing");
            x->n_classes = nc;
        }
        if (len != rec__mcmc_sample_len(m))
            return bad(r, "sample length %llu differs from the model's %zu",
                       (unsigned long long)len, rec__mcmc_sample_len(m));
        if (!isfinite(lo) || !isfinite(hi) || lo > hi)
            return bad(r, "label range [%g, %g] is not a finite interval", (double)lo,
                       (double)hi);
        if (len > left(r) / 4 / ns)
            return short_read(r, "posterior samples");
        size_t n = (size_t)len * ns;
        x->samples = rec__malloc(n * sizeof *x->samples);
        if (!x->samples)
            return rec__error(REC_ENOMEM, "rec_model_load: out of memory for the samples");
        r_f32s(r, x->samples, n);
        x->n_samples = ns;
        x->sample_len = (size_t)len;
        x->y_min = lo;
        x->y_max = hi;
    }
    return r_end(r);
}

static rec_status read_optm(reader *r, rec_model *m)
{
    /* every block exists now: list the parameters the slots belong to */
    rec_status lrc = rec__params_build(m, "rec_model_load");
    if (lrc)
        return lrc;
    uint32_t np;
    rec_status rc = r_u32(r, &np, "parameter count");
    if (rc)
        return rc;
    if (np != n_params(m))
        return bad(r, "parameter count %u differs from the model's %zu", np, n_params(m));
    for (size_t i = 0; i < np; i++) {
        rec__param *p = param_at(m, i);
        uint32_t kind, ns;
        uint64_t steps, n;
        if ((rc = r_u32(r, &kind, "optimizer kind")) || (rc = r_u32(r, &ns, "slot count")) ||
            (rc = r_u64(r, &steps, "step count")) || (rc = r_u64(r, &n, "slot length")))
            return rc;
        int want = slots_of_kind(kind);
        if (want < 0)
            return bad(r, "optimizer kind %u is unknown to this version", kind);
        if (ns != (uint32_t)want)
            return bad(r, "slot count %u does not match optimizer kind %u", ns, kind);
        if (n != p->n)
            return bad(r, "slot length %llu differs from the parameter's size %zu",
                       (unsigned long long)n, p->n);
        if (kind == 0 && steps != 0)
            return bad(r, "step count %llu without optimizer state", (unsigned long long)steps);
        if (ns > 0 && n > left(r) / 4 / ns)
            return short_read(r, "optimizer slots");
        for (uint32_t s = 0; s < ns; s++) {
            size_t bytes;
            if (!rec__alloc_mul(p->n ? p->n : 1, sizeof(float), &bytes) ||
                !(p->slot[s] = rec__malloc(bytes)))
                return rec__error(REC_ENOMEM, "rec_model_load: out of memory for optimizer "
                                  "state");
            r_f32s(r, p->slot[s], p->n);
        }
        p->slot_kind = (int)kind;
        p->steps = steps;
    }
    return r_end(r);
}

static rec_status read_rngs(reader *r, rec_model *m)
{
    uint64_t any = 0;
    for (int k = 0; k < 4; k++) {
        rec_status rc = r_u64(r, &m->order_rng.s[k], "generator state");
        if (rc)
            return rc;
        any |= m->order_rng.s[k];
    }
    /* xoshiro256** never leaves the all-zero state, and never reaches it from a seed */
    if (!any)
        return bad(r, "the generator state is all zero");
    return r_end(r);
}

/* Read the whole file into memory (bounded by its size, which the header must then match). */
static rec_status slurp(unsigned char **buf, size_t *size, const char *path)
{
    static const char fn[] = "rec_model_load";
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
static rec_status check_container(const unsigned char *b, size_t size, const char *path,
                                  section_entry *sec, size_t *n_sec)
{
    static const char fn[] = "rec_model_load";
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
                          path, size, HEADER_SIZE);
    /* the version comes before the rest of the header, whose layout it governs */
    uint32_t version = get_le32(b + 8);
    if (version != FORMAT_VERSION)
        return rec__error(REC_EFORMAT, "%s: %s: unsupported format version %u (this librec "
                          "reads version %u)", fn, path, version, FORMAT_VERSION);
    if (size < HEADER_SIZE)
        return rec__error(REC_EFORMAT, "%s: %s: truncated in the header (%zu of %u bytes)", fn,
                          path, size, HEADER_SIZE);
    if (crc32_of(b, 28) != get_le32(b + 28))
        return rec__error(REC_EFORMAT, "%s: %s: header checksum mismatch (the file is "
                          "corrupted)", fn, path);
    uint32_t n = get_le32(b + 12);
    uint64_t file_size = get_le64(b + 16);
    if (file_size != size)
        return rec__error(REC_EFORMAT, "%s: %s: %s: the header says %llu bytes, the file has "
                          "%zu", fn, path, size < file_size ? "truncated" : "trailing bytes",
                          (unsigned long long)file_size, size);
    if (n == 0 || n > MAX_SECTIONS)
        return rec__error(REC_EFORMAT, "%s: %s: section count %u is outside 1..%u", fn, path, n,
                          MAX_SECTIONS);
    size_t table_end = HEADER_SIZE + (size_t)n * ENTRY_SIZE;
    if (table_end > size)
        return rec__error(REC_EFORMAT, "%s: %s: truncated in the section table", fn, path);
    if (crc32_of(b + HEADER_SIZE, (size_t)n * ENTRY_SIZE) != get_le32(b + 24))
        return rec__error(REC_EFORMAT, "%s: %s: section table checksum mismatch (the file is "
                          "corrupted)", fn, path);
    /* version 1 has one order: DESC PREP EMBD DENS EXTN [OPTM] RNGS, contiguous, ending the
     * file */
    static const uint32_t order[] = {TAG_DESC, TAG_PREP, TAG_EMBD, TAG_DENS, TAG_EXTN, TAG_OPTM,
                                     TAG_RNGS};
    uint64_t expect = table_end;
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const unsigned char *e = b + HEADER_SIZE + (size_t)i * ENTRY_SIZE;
        section_entry s = {get_le32(e), get_le32(e + 4), get_le64(e + 8), get_le64(e + 16)};
        char name[5];
        tag_text(name, s.tag);
        while (k < 7 && order[k] != s.tag && order[k] == TAG_OPTM)
            k++; /* OPTM is optional */
        if (k == 7 || order[k] != s.tag)
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
        if (crc32_of(b + s.offset, (size_t)s.length) != s.crc)
            return rec__error(REC_EFORMAT, "%s: %s: section %s checksum mismatch (the file is "
                              "corrupted)", fn, path, name);
        expect = s.offset + s.length;
        sec[i] = s;
    }
    if (k < 7)
        return rec__error(REC_EFORMAT, "%s: %s: sections are missing (found %u)", fn, path, n);
    if (expect != size)
        return rec__error(REC_EFORMAT, "%s: %s: %llu bytes after the last section", fn, path,
                          (unsigned long long)(size - expect));
    *n_sec = n;
    return REC_OK;
}

rec_status rec_model_load(rec_model **out, const char *path)
{
    static const char fn[] = "rec_model_load";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!path || !*path)
        return rec__error(REC_EINVAL, "%s: path is NULL or empty", fn);
    unsigned char *b;
    size_t size, n_sec = 0;
    rec_status rc = slurp(&b, &size, path);
    if (rc)
        return rc;
    section_entry sec[MAX_SECTIONS];
    rec_model *m = NULL;
    rc = check_container(b, size, path, sec, &n_sec);
    for (size_t i = 0; i < n_sec && !rc; i++) {
        char name[5];
        tag_text(name, sec[i].tag);
        reader r = {b + sec[i].offset, (size_t)sec[i].length, 0, (size_t)sec[i].offset, path,
                    name};
        switch (sec[i].tag) {
        case TAG_DESC: rc = read_desc(&r, &m); break;
        case TAG_PREP: rc = read_prep(&r, m); break;
        case TAG_EMBD: rc = read_embd(&r, m); break;
        case TAG_DENS: rc = read_dens(&r, m); break;
        case TAG_EXTN: rc = read_extn(&r, m); break;
        case TAG_OPTM: rc = read_optm(&r, m); break;
        case TAG_RNGS: rc = read_rngs(&r, m); break;
        }
    }
    rec__free(b);
    if (!rc)
        rc = rec__params_build(m, fn);
    if (rc) {
        rec_model_free(m);
        return rc;
    }
    m->built = 1;
    *out = m;
    return REC_OK;
}
