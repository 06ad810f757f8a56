/*
 * lib/base: generic C with no recommender concept, the bottom layer (tools/check-layers.py):
 * errors, allocation, clock, random numbers and probability distributions, the per-call thread
 * pool and its result protocol, and reading text files. Never installed; everything here is
 * hidden (visibility and version script). A cross-file name starts with its file's name:
 * rec__pool_* is in pool.c, rec__text_* in text.c, rec__dist_* in distributions.c; the
 * allocation functions are named after the C functions they wrap (rec__malloc, rec__free, ...).
 */
#ifndef REC_LIB_BASE_H
#define REC_LIB_BASE_H

#include "rec.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define REC_HIDDEN __attribute__((visibility("hidden")))

/* ---- bit patterns -----------------------------------------------------------------------------
 * A float's or double's IEEE bits as an integer and back: the 32-bit words of a feature record
 * that hold a number, and the little-endian fields of the model file. memcpy: the defined way
 * to reinterpret an object's bytes. */

static inline uint32_t rec__f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float rec__f32_of_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint64_t rec__f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double rec__f64_of_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- errors (error.c) ------------------------------------------------------------------ */

/* Set the thread's message (printf-style) and return code, so callers write
 * `return rec__error(REC_EINVAL, "rec_x_y: n must be > 0");`. Messages name the function,
 * the parameter, and for files the path and line. */
REC_HIDDEN rec_status rec__error(rec_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- allocation (alloc.c) ------------------------------------------------------------------
 * Every allocation of the library goes through these, so that a test build can make the Nth
 * one fail (allocation-failure injection, -Dalloc_testing). They never set the error message:
 * the caller does, with context. rec__malloc(0) returns a unique non-NULL pointer. */
REC_HIDDEN void *rec__malloc(size_t size);
REC_HIDDEN void *rec__calloc(size_t n, size_t size);
REC_HIDDEN void *rec__realloc(void *p, size_t size);
/* As rec__malloc and rec__calloc, 64-byte (cache line) aligned; freed by rec__free. Weight,
 * gradient and state tables: a row of 16·k floats then fills whole lines, so threads that
 * own different rows share no line, and a row costs the fewest line fetches. */
REC_HIDDEN void *rec__malloc_lines(size_t size);
REC_HIDDEN void *rec__calloc_lines(size_t n, size_t size);
REC_HIDDEN void rec__free(void *p);
REC_HIDDEN char *rec__strdup(const char *s);
/* Ask the kernel to back the large block p[0..bytes) with huge pages (Linux transparent huge
 * pages in "madvise" mode; a no-op elsewhere and for blocks under 4 MB). Call it before the
 * block is first written. Randomly indexed tables (embedding rows, feature records) of tens to
 * hundreds of MB otherwise take a TLB miss, and under virtualization a two-level page walk,
 * on nearly every access. Advice only: nothing fails if the kernel declines. */
REC_HIDDEN void rec__alloc_advise_hugepages(void *p, size_t bytes);
/* a·b without overflow; returns 0 on overflow. */
REC_HIDDEN int rec__alloc_mul(size_t a, size_t b, size_t *out);
/* Allocation-failure injection (only effective when built with -DREC_ALLOC_TESTING): fail the
 * nth allocation from now (1-based), 0 disables; returns allocations counted so far. */
REC_HIDDEN void rec__alloc_fail_at(unsigned long nth);
REC_HIDDEN unsigned long rec__alloc_count(void);

/* ---- clock (clock.c) ----------------------------------------------------------------------- */

/* Monotonic clock in seconds. */
REC_HIDDEN double rec__clock_now(void);

/* ---- random numbers (rng.c) -------------------------------------------------------------- */

typedef struct rec__rng {
    uint64_t s[4];
} rec__rng;

REC_HIDDEN void rec__rng_seed(rec__rng *r, uint64_t seed);
REC_HIDDEN uint64_t rec__rng_u64(rec__rng *r);
REC_HIDDEN float rec__rng_uniform(rec__rng *r);
REC_HIDDEN uint32_t rec__rng_below(rec__rng *r, uint32_t bound);
REC_HIDDEN void rec__rng_shuffle_u32(rec__rng *r, uint32_t *a, size_t n);

/* ---- probability distributions (distributions.c) ------------------------------------------ */

/* Uniform in (0, 1): 53 random bits, offset by half a step so 0 never comes out. */
static inline double rec__dist_unif01(rec__rng *r)
{
    return ((double)(rec__rng_u64(r) >> 11) + 0.5) * 0x1p-53;
}

/* Standard normals by Marsaglia and Tsang's ziggurat (2000) with 128 layers: one 64-bit draw
 * gives the layer (its low 7 bits) and a signed 32-bit abscissa (its high half, so the two are
 * independent); 98.8% of draws return at once, the others fall back to the exact tail and
 * wedge tests. The tables are computed once per sampler, so the draws are reproducible. */
typedef struct rec__dist_ziggurat {
    uint32_t kn[128];
    double wn[128], fn[128];
} rec__dist_ziggurat;

typedef struct rec__dist_gen {
    rec__rng r;
    const rec__dist_ziggurat *z;
} rec__dist_gen;

/* The tables of the ziggurat (computed once; then the draws are reproducible). */
REC_HIDDEN void rec__dist_ziggurat_init(rec__dist_ziggurat *z);
/* N(0, 1). */
REC_HIDDEN double rec__dist_normal(rec__dist_gen *g);
/* Gamma(shape, rate): Marsaglia–Tsang for shape ≥ 1, boosted by U^(1/shape) below 1. */
REC_HIDDEN double rec__dist_gamma(rec__dist_gen *g, double shape, double rate);
/* Φ(x), the standard normal distribution function (through erfc). */
REC_HIDDEN double rec__dist_phi(double x);
/* Φ⁻¹(p) for 0 < p < 1: Wichura's AS 241 (PPND16), relative accuracy about 1e-16. */
REC_HIDDEN double rec__dist_phi_inv(double p);
/* P(lo < Z ≤ hi) for Z ~ N(0, 1), from the tail that keeps precision, floored at 1e-300. */
REC_HIDDEN double rec__dist_interval(double lo, double hi);
/* A draw of N(0, 1) restricted to (lo, hi]. */
REC_HIDDEN double rec__dist_trunc_normal(rec__dist_gen *g, double lo, double hi);

/* ---- the thread pool of one call (pool.c) --------------------------------------------------
 * A fork-join pool that lives for one library call (rec_model_fit, _evaluate, ...): the
 * calling thread is thread 0 and n − 1 workers are started at rec__pool_start and joined at
 * rec__pool_stop, so no thread outlives the call and nothing is global. */

typedef struct rec__pool rec__pool;

/* Most threads a pool (and rec_model_set_threads) takes. */
#define REC__POOL_MAX 256u

/* Work of one fork-join round: called once on every thread with its index and the count. */
typedef void (*rec__pool_fn)(void *ctx, uint32_t thread, uint32_t n_threads);

/* Start n − 1 workers (n ≥ 1). For n == 1 no thread is started and *out is NULL, which
 * rec__pool_run accepts. `fn` names the public caller in messages. Returns REC_ENOMEM (the
 * message names the failure) with *out = NULL and every started worker joined. */
REC_HIDDEN rec_status rec__pool_start(rec__pool **out, uint32_t n, const char *fn);

/* Threads of the pool, counting the caller (1 for NULL). */
REC_HIDDEN uint32_t rec__pool_size(const rec__pool *p);

/* Run fn(ctx, t, n) on every thread t of the pool (the caller runs t = 0) and return when
 * all have returned; a memory barrier separates the round from what the caller does next.
 * A NULL pool runs fn(ctx, 0, 1) in the caller. */
REC_HIDDEN void rec__pool_run(rec__pool *p, rec__pool_fn fn, void *ctx);

/* Join the workers and free the pool; NULL is accepted. */
REC_HIDDEN void rec__pool_stop(rec__pool *p);

/* What each thread of a round reports: its sums (errors of its rows) and its first failure,
 * with the message, which is per thread (rec_last_error), copied so that the caller can
 * raise it on its own thread. */
typedef struct rec__pool_out {
    double sse, sae;
    rec_status rc;
    char msg[256];
} rec__pool_out;

/* Record a thread's first failure (and its message). */
REC_HIDDEN void rec__pool_fail(rec__pool_out *o, rec_status rc);
/* The first failure of threads 0..T−1, re-raised on the calling thread as "fn: message". */
REC_HIDDEN rec_status rec__pool_first_failure(const rec__pool_out *out, uint32_t T,
                                              const char *fn);
/* Σ of threads 0..T−1's SSE, in thread order. */
REC_HIDDEN double rec__pool_sum_sse(const rec__pool_out *out, uint32_t T);

/* Thread t's slice of n rows cut in T: [n·t/T, n·(t+1)/T), in 64 bits (n < 2^32, T ≤ 256). */
static inline size_t rec__pool_slice(size_t n, uint32_t t, uint32_t T)
{
    return (size_t)((uint64_t)n * t / T);
}

/* Threads worth using for n rows, at most T, each with at least `min` rows. */
static inline uint32_t rec__pool_threads_for(size_t n, uint32_t T, size_t min)
{
    size_t k = n / min;
    if (k < 1)
        k = 1;
    return k < T ? (uint32_t)k : T;
}

/* ---- reading text files (text.c) -----------------------------------------------------------
 * A whole file in memory, its lines with 1-based numbers, fields split on a delimiter, and
 * strict, locale-independent number parsing; used by the delimited and MovieLens loaders. */

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
typedef struct rec__text_lines {
    const char *p, *end;
    size_t line_no;       /* of the line last returned, 1-based; 0 before the first */
} rec__text_lines;

REC_HIDDEN void rec__text_lines_init(rec__text_lines *it, const rec__text *t);

/* Next line: returns 1 and sets *line / *len (and *unterminated = 1 when the line is the
 * last one and has no '\n'), or returns 0 at the end. */
REC_HIDDEN int rec__text_lines_next(rec__text_lines *it, const char **line, size_t *len,
                                    int *unterminated);

/* A field of a line: not '\0'-terminated. */
typedef struct rec__text_field {
    const char *p;
    size_t len;
} rec__text_field;

/* Split line on delim: writes the first min(count, cap) fields and returns the count
 * (an empty line is one empty field). */
REC_HIDDEN size_t rec__text_split(rec__text_field *fields, size_t cap, const char *line,
                                  size_t len, char delim);

/* Is s[0..len) valid UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF)?
 * Returns 1, or 0 with *bad_at = offset of the first byte of the offending sequence. */
REC_HIDDEN int rec__text_utf8_valid(const char *s, size_t len, size_t *bad_at);

/* A field's bytes as they may appear in a message: at most REC__QUOTE_MAX input bytes (then
 * "..."), valid UTF-8 and printable ASCII kept, control characters and bytes that are not
 * UTF-8 written as \xNN. A hostile file then cannot put terminal escapes or undecodable bytes
 * into rec_last_error(). Returns out, which holds REC__QUOTE_CAP bytes. REC__QUOTE(f) quotes
 * a rec__text_field into a temporary buffer that lives until the end of the enclosing block. */
#define REC__QUOTE_MAX 40
#define REC__QUOTE_CAP (4 * REC__QUOTE_MAX + 4)
REC_HIDDEN const char *rec__text_quote(char *out, const char *s, size_t len);
#define REC__QUOTE(f) rec__text_quote((char[REC__QUOTE_CAP]){0}, (f)->p, (f)->len)

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
REC_HIDDEN int rec__text_parse_double(double *out, const char *s, size_t len);

/* Strict decimal integer: [+-]? digits, no spaces, within int64. */
REC_HIDDEN int rec__text_parse_i64(int64_t *out, const char *s, size_t len);

/* REC_EFORMAT with "fn: path:line: <message>", the message formatted like printf. */
REC_HIDDEN rec_status rec__text_line_error(const char *fn, const char *path, size_t line,
                                           const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
