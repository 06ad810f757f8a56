/* From raw columns to contiguous feature records (rec__featset, model.h): preprocessing runs
 * here once per dataset (or per requested rows), on a pool of threads when given one, so that
 * the hot loops only read integer ids and floats. */
#include "model/model.h"
#include "base/base.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *type_name(int t)
{
    static const char *tn[] = {"string", "number", "string list"};
    return (t >= 0 && t <= 2) ? tn[t] : "unknown";
}

static rec_status find_column(const rec__column **col, const rec_dataset *ds, const char *name,
                              int type, const char *fn)
{
    *col = rec__dataset_find(ds, name);
    if (!*col)
        return rec__error(REC_ENOTFOUND, "%s: the dataset has no column '%s'", fn, name);
    if ((*col)->type != type)
        return rec__error(REC_EINVAL, "%s: column '%s' is a %s column, expected %s", fn, name,
                          type_name((*col)->type), type_name(type));
    return REC_OK;
}

/* Growable uint32 array for bag contents. */
typedef struct u32vec {
    uint32_t *v;
    size_t n, cap;
} u32vec;

static int u32vec_reserve(u32vec *a, size_t extra)
{
    if (a->n + extra <= a->cap)
        return 1;
    size_t cap = a->cap ? a->cap : 256;
    while (cap < a->n + extra)
        cap *= 2;
    uint32_t *nv = rec__realloc(a->v, cap * sizeof *nv);
    if (!nv)
        return 0;
    a->v = nv;
    a->cap = cap;
    return 1;
}

/* Token ids of one text appended to bags. A text of L bytes holds at most (L + 1) / 2 tokens
 * (each token is ≥ 1 byte and tokens are separated), so L + 1 ids always suffice. */
static rec_status encode_text(u32vec *bags, const rec_textvec *tv, const char *s, const char *fn)
{
    size_t cap = strlen(s) + 1, n = 0;
    if (!u32vec_reserve(bags, cap))
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    uint32_t *ids = bags->v + bags->n;
    rec_status rc = rec_textvec_encode(ids, cap, &n, tv, s);
    if (rc)
        return rc;
    /* Padding (id 0) is masked out of the mean: drop it here, once, instead of testing every
     * id in every batch. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (ids[i] != 0)
            ids[kept++] = ids[i];
    bags->n += kept;
    return REC_OK;
}

/* The bags of a TEXT feature: each distinct string of the column tokenized once (bags =
 * dictionary entries), unless fewer rows than distinct strings are asked for (bags = rows). */
static rec_status text_bags(rec__fcol *fc, const rec__feature *f, const rec__column *col,
                            const uint32_t *rows, size_t n, const char *fn)
{
    u32vec bags = {0};
    int by_dict = n >= col->dict.n;
    fc->n_bags = by_dict ? col->dict.n : n;
    fc->bag_offsets = rec__malloc((fc->n_bags + 1) * sizeof *fc->bag_offsets);
    if (!fc->bag_offsets)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    fc->bag_offsets[0] = 0;
    for (size_t b = 0; b < fc->n_bags; b++) {
        uint32_t code = by_dict ? (uint32_t)b : col->codes[rows ? rows[b] : b];
        rec_status rc = encode_text(&bags, f->text, col->dict.strings[code], fn);
        if (rc) {
            rec__free(bags.v);
            return rc;
        }
        fc->bag_offsets[b + 1] = bags.n;
        if (bags.n - fc->bag_offsets[b] > fc->max_bag)
            fc->max_bag = (uint32_t)(bags.n - fc->bag_offsets[b]);
    }
    fc->bag_ids = bags.v ? bags.v : rec__malloc(sizeof(uint32_t));
    if (!fc->bag_ids)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    return REC_OK;
}

/* A TEXT feature's word of every row: its bag (text_bags). */
static void text_words(uint32_t *out, size_t stride, const rec__column *col,
                       const uint32_t *rows, size_t n)
{
    int by_dict = n >= col->dict.n;
    for (size_t i = 0; i < n; i++)
        out[i * stride] = by_dict ? col->codes[rows ? rows[i] : i] : (uint32_t)i;
}

/* Write feature f's word of every requested row: out[i·stride] for row i (an embedding row, a
 * bag index, or the float bits of a NUMERIC value); bag tables go to fc. */
static rec_status build_col(rec__fcol *fc, uint32_t *out, size_t stride, const rec__feature *f,
                            const rec_dataset *ds, const uint32_t *rows, size_t n,
                            const char *fn)
{
    const rec__column *col;
    rec_status rc;
    u32vec bags = {0};

    switch (f->kind) {
    case REC_FEATURE_CATEGORICAL: {
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_STRING, fn)))
            return rc;
        fc->max_bag = 1;
        /* Look each distinct string up once when that is cheaper than once per row. */
        if (n >= col->dict.n) {
            uint32_t *map = rec__malloc((col->dict.n ? col->dict.n : 1) * sizeof *map);
            if (!map)
                return rec__error(REC_ENOMEM, "%s: out of memory", fn);
            for (size_t k = 0; k < col->dict.n; k++)
                map[k] = rec_vocab_index(f->vocab, col->dict.strings[k]);
            for (size_t i = 0; i < n; i++)
                out[i * stride] = map[col->codes[rows ? rows[i] : i]];
            rec__free(map);
        } else {
            for (size_t i = 0; i < n; i++)
                out[i * stride] = rec_vocab_index(
                    f->vocab, col->dict.strings[col->codes[rows ? rows[i] : i]]);
        }
        return REC_OK;
    }
    case REC_FEATURE_BUCKETIZED:
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_NUMBER, fn)))
            return rc;
        fc->max_bag = 1;
        for (size_t i = 0; i < n; i++)
            out[i * stride] = rec_discretization_bucket(f->disc,
                                                        col->numbers[rows ? rows[i] : i]);
        return REC_OK;
    case REC_FEATURE_NUMERIC:
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_NUMBER, fn)))
            return rc;
        for (size_t i = 0; i < n; i++) {
            double x = col->numbers[rows ? rows[i] : i];
            /* a missing value takes the mean, which normalizes to 0 */
            out[i * stride] = rec__f32_bits(isnan(x) ? 0.0f
                                                       : rec_normalization_value(f->norm, x));
        }
        return REC_OK;
    case REC_FEATURE_TEXT:
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_STRING, fn)))
            return rc;
        if ((rc = text_bags(fc, f, col, rows, n, fn)))
            return rc;
        text_words(out, stride, col, rows, n);
        return REC_OK;
    case REC_FEATURE_CATEGORICAL_LIST: {
        if ((rc = find_column(&col, ds, f->column, REC_COLUMN_STRING_LIST, fn)))
            return rc;
        fc->n_bags = n;
        fc->bag_offsets = rec__malloc((n + 1) * sizeof *fc->bag_offsets);
        if (!fc->bag_offsets)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        fc->bag_offsets[0] = 0;
        /* Look each distinct string up once when the rows hold more strings than the
         * dictionary (a user's history repeats on each of the user's ratings). */
        size_t entries = 0;
        for (size_t i = 0; i < n; i++) {
            size_t r = rows ? rows[i] : i;
            entries += col->offsets[r + 1] - col->offsets[r];
        }
        uint32_t *map = NULL;
        if (entries >= col->dict.n) {
            map = rec__malloc((col->dict.n ? col->dict.n : 1) * sizeof *map);
            if (!map)
                return rec__error(REC_ENOMEM, "%s: out of memory", fn);
            for (size_t k = 0; k < col->dict.n; k++)
                map[k] = rec_vocab_index(f->vocab, col->dict.strings[k]);
        }
        for (size_t i = 0; i < n; i++) {
            size_t r = rows ? rows[i] : i;
            size_t lo = col->offsets[r], hi = col->offsets[r + 1];
            if (!u32vec_reserve(&bags, hi - lo)) {
                rec__free(bags.v);
                rec__free(map);
                return rec__error(REC_ENOMEM, "%s: out of memory", fn);
            }
            for (size_t j = lo; j < hi; j++) {
                /* unknown strings (row 0) are masked out of the mean, so not stored */
                uint32_t id = map ? map[col->codes[j]]
                                  : rec_vocab_index(f->vocab, col->dict.strings[col->codes[j]]);
                if (id != 0)
                    bags.v[bags.n++] = id;
            }
            fc->bag_offsets[i + 1] = bags.n;
            if (bags.n - fc->bag_offsets[i] > fc->max_bag)
                fc->max_bag = (uint32_t)(bags.n - fc->bag_offsets[i]);
            out[i * stride] = (uint32_t)i;
        }
        rec__free(map);
        fc->bag_ids = bags.v ? bags.v : rec__malloc(sizeof(uint32_t));
        if (!fc->bag_ids)
            return rec__error(REC_ENOMEM, "%s: out of memory", fn);
        return REC_OK;
    }
    }
    return rec__error(REC_EINVAL, "%s: unknown feature kind", fn);
}

static void release_col(rec__fcol *fc)
{
    rec__free(fc->bag_offsets);
    rec__free(fc->bag_ids);
    memset(fc, 0, sizeof *fc);
}

void rec__featset_release(rec__featset *fs, const rec_model *m)
{
    if (fs->cols)
        for (size_t i = 0; i < m->n_feats; i++)
            release_col(&fs->cols[i]);
    rec__free(fs->cols);
    rec__free(fs->mem);
    memset(fs, 0, sizeof *fs);
}

/* With a pool of two or more threads, thread 1 tokenizes the TEXT features' strings (the
 * costly part of a feature set: over half of it for the 20,000 test rows of ML-100K enriched)
 * while thread 0 builds the other columns and the labels; the TEXT columns' words are written
 * afterwards, so no two threads write the same records. */
typedef struct build_job {
    rec__featset *fs;
    const rec_model *m;
    const rec_dataset *ds;
    const uint32_t *rows;
    size_t n;
    int with_labels;
    const char *fn;
    const rec__column **text_col; /* per feature: its column if TEXT, else NULL */
    rec_status rc[2];             /* thread 0's, thread 1's */
    char msg[256];                /* thread 1's message */
} build_job;

static rec_status build_labels(rec__featset *fs, const rec_model *m, const rec_dataset *ds,
                               const uint32_t *rows, size_t n, int with_labels,
                               const char *fn)
{
    const size_t lab = m->n_feats, stride = fs->stride;
    if (!with_labels) {
        for (size_t i = 0; i < n; i++)
            fs->rows[i * stride + lab] = 0;
        return REC_OK;
    }
    const rec__column *col;
    rec_status rc = rec__model_check_label(m, fn);
    if (!rc)
        rc = find_column(&col, ds, m->label, REC_COLUMN_NUMBER, fn);
    for (size_t i = 0; !rc && i < n; i++) {
        double y = col->numbers[rows ? rows[i] : i];
        if (!isfinite(y))
            rc = rec__error(REC_ENUMERIC, "%s: label '%s' is missing or not finite at row %zu",
                            fn, m->label, rows ? (size_t)rows[i] : i);
        else
            fs->rows[i * stride + lab] = rec__f32_bits((float)y);
    }
    return rc;
}

static void build_round(void *ctx, uint32_t t, uint32_t n_pool)
{
    (void)n_pool;
    build_job *j = ctx;
    const rec_model *m = j->m;
    rec__featset *fs = j->fs;
    rec_status rc = REC_OK;
    if (t == 1) {
        for (size_t i = 0; i < m->n_feats && !rc; i++)
            if (j->text_col[i])
                rc = text_bags(&fs->cols[i], &m->feats[i], j->text_col[i], j->rows, j->n, j->fn);
        if (rc)
            snprintf(j->msg, sizeof j->msg, "%s", rec_last_error());
        j->rc[1] = rc;
        return;
    }
    if (t != 0)
        return;
    for (size_t i = 0; i < m->n_feats && !rc; i++)
        if (!j->text_col[i])
            rc = build_col(&fs->cols[i], fs->rows + i, fs->stride, &m->feats[i], j->ds, j->rows,
                           j->n, j->fn);
    if (!rc)
        rc = build_labels(fs, m, j->ds, j->rows, j->n, j->with_labels, j->fn);
    j->rc[0] = rc;
}

/* The columns and labels with the pool: see build_job. */
static rec_status build_parallel(rec__featset *fs, const rec_model *m, const rec_dataset *ds,
                                 const uint32_t *rows, size_t n, int with_labels,
                                 rec__pool *pool, const char *fn)
{
    build_job j = {fs, m, ds, rows, n, with_labels, fn, NULL, {REC_OK, REC_OK}, {0}};
    j.text_col = rec__calloc(m->n_feats ? m->n_feats : 1, sizeof *j.text_col);
    if (!j.text_col)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    rec_status rc = REC_OK;
    for (size_t i = 0; i < m->n_feats && !rc; i++)
        if (m->feats[i].kind == REC_FEATURE_TEXT)
            rc = find_column(&j.text_col[i], ds, m->feats[i].column, REC_COLUMN_STRING, fn);
    if (!rc) {
        rec__pool_run(pool, build_round, &j);
        rc = j.rc[0];
        if (!rc && j.rc[1])
            rc = rec__error(j.rc[1], "%s", j.msg); /* thread 1's, raised on this thread */
    }
    for (size_t i = 0; !rc && i < m->n_feats; i++)
        if (j.text_col[i])
            text_words(fs->rows + i, fs->stride, j.text_col[i], rows, n);
    rec__free(j.text_col);
    return rc;
}

rec_status rec__featset_build(rec__featset *fs, const rec_model *m, const rec_dataset *ds,
                              const uint32_t *rows, size_t n, int with_labels, const char *fn)
{
    return rec__featset_build_on(fs, m, ds, rows, n, with_labels, NULL, fn);
}

rec_status rec__featset_build_on(rec__featset *fs, const rec_model *m, const rec_dataset *ds,
                                 const uint32_t *rows, size_t n, int with_labels,
                                 rec__pool *pool, const char *fn)
{
    memset(fs, 0, sizeof *fs);
    if (!rows)
        n = ds->n_rows;
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i] >= ds->n_rows)
            return rec__error(REC_EINVAL, "%s: rows[%zu] = %u is beyond the dataset's %zu rows",
                              fn, i, rows[i], ds->n_rows);
    /* one word per feature and the label; a power of two up to 16 words (64 bytes), so that
     * on a 64-byte aligned block no record straddles two cache lines */
    size_t words = m->n_feats + 1, stride = words;
    if (words <= 16)
        for (stride = 1; stride < words; stride *= 2)
            ;
    size_t bytes;
    if (!rec__alloc_mul(n ? n : 1, stride * sizeof(uint32_t), &bytes) || bytes > SIZE_MAX - 64)
        return rec__error(REC_EINVAL, "%s: %zu rows are too many", fn, n);
    fs->n = n;
    fs->stride = (uint32_t)stride;
    fs->has_labels = with_labels;
    fs->cols = rec__calloc(m->n_feats ? m->n_feats : 1, sizeof *fs->cols);
    fs->mem = rec__malloc(bytes + 64);
    if (!fs->cols || !fs->mem) {
        rec__featset_release(fs, m);
        return rec__error(REC_ENOMEM, "%s: out of memory for the features of %zu rows", fn, n);
    }
    fs->rows = (uint32_t *)(((uintptr_t)fs->mem + 63) & ~(uintptr_t)63);
    /* a shuffled epoch reads the records in random order: huge pages spare a TLB miss each */
    rec__alloc_advise_hugepages(fs->mem, bytes + 64);
    /* padding words are never read; clear them so the block has no indeterminate bytes */
    for (size_t i = 0; stride > words && i < n; i++)
        for (size_t w = words; w < stride; w++)
            fs->rows[i * stride + w] = 0;
    rec_status rc = REC_OK;
    int text = 0;
    for (size_t i = 0; i < m->n_feats; i++)
        text |= m->feats[i].kind == REC_FEATURE_TEXT;
    if (text && pool && rec__pool_size(pool) > 1) {
        rc = build_parallel(fs, m, ds, rows, n, with_labels, pool, fn);
    } else {
        for (size_t i = 0; i < m->n_feats && !rc; i++)
            rc = build_col(&fs->cols[i], fs->rows + i, stride, &m->feats[i], ds, rows, n, fn);
        if (!rc)
            rc = build_labels(fs, m, ds, rows, n, with_labels, fn);
    }
    if (rc)
        rec__featset_release(fs, m);
    return rc;
}

/* Prefetch distance of the record gather, in examples: far enough ahead to cover a miss to
 * memory at a few nanoseconds per example. */
#define GATHER_AHEAD 48

void rec__featset_gather(const rec_model *m, const rec__featset *fs, const uint32_t *idx,
                         size_t n, uint32_t *bk, size_t ld, float *by)
{
    const size_t nf = m->n_feats, stride = fs->stride;
    const uint32_t *base = fs->rows;
    for (size_t b = 0; b < n; b++) {
#if defined(__GNUC__)
        if (b + GATHER_AHEAD < n)
            __builtin_prefetch(base + (size_t)idx[b + GATHER_AHEAD] * stride);
#endif
        const uint32_t *r = base + (size_t)idx[b] * stride;
        for (size_t f = 0; f < nf; f++)
            bk[f * ld + b] = r[f];
        if (by)
            by[b] = rec__f32_of_bits(r[nf]);
    }
}
