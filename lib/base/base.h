/*
 * Private declarations shared by librec's sources; never installed. Everything here is
 * hidden (visibility and version script), named rec__<concept>_<verb>.
 */
#ifndef REC_INTERNAL_H
#define REC_INTERNAL_H

#include "rec.h"

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

#define REC_HIDDEN __attribute__((visibility("hidden")))

/* The hot element-wise loops (embedding rows, activations, optimizer updates) are built for
 * several x86-64 levels and one is picked when the library loads (multi-versioning): AVX-512 moves
 * a 32-float row in two instructions where the SSE2 baseline needs eight. Every version gives
 * the same bits: the loops are element-wise or keep a fixed summation order, and ISO C mode
 * does not contract a·b + c into an FMA. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define REC_NO_CLONES 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define REC_NO_CLONES 1 /* the clones' resolvers run before TSan starts, and crash */
#endif
/* GCC only: clang 14 does not resolve target_clones functions called from another
 * translation unit (undefined references at link time). */
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute) && \
    !defined(__clang__) && !defined(REC_NO_CLONES)
#if __has_attribute(target_clones)
#define REC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define REC_CLONES_ON 1
#endif
#endif
#ifndef REC_CLONES
#define REC_CLONES
#endif

/* ---- errors (error.c) ------------------------------------------------------------------ */

/* Set the thread's message (printf-style) and return code, so callers write
 * `return rec__error(REC_EINVAL, "rec_x_y: n must be > 0");`. Messages name the function,
 * the parameter, and for files the path and line. */
REC_HIDDEN rec_status rec__error(rec_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- allocation (alloc.c) ------------------------------------------------------------------
 * Every allocation of the library goes through these, so that a test build can make the Nth
 * one fail (issue: allocation-failure injection). They never set the error message: the
 * caller does, with context. rec__malloc(0) returns a unique non-NULL pointer. */
REC_HIDDEN void *rec__malloc(size_t size);
REC_HIDDEN void *rec__calloc(size_t n, size_t size);
REC_HIDDEN void *rec__realloc(void *p, size_t size);
/* As rec__malloc and rec__calloc, 64-byte (cache line) aligned; freed by rec__free. Weight,
 * gradient and state tables: a row of 16·k floats then fills whole lines, so threads that
 * own different rows share no line, and a row costs the fewest line fetches. */
REC_HIDDEN void *rec__malloc_lines(size_t size);
REC_HIDDEN void *rec__calloc_lines(size_t n, size_t size);
/* Ask the kernel to back the large block p[0..bytes) with huge pages (Linux transparent huge
 * pages in "madvise" mode; a no-op elsewhere and for blocks under 4 MB). Call it before the
 * block is first written. Randomly indexed tables (embedding rows, feature records) of tens to
 * hundreds of MB otherwise take a TLB miss, and under virtualization a two-level page walk,
 * on nearly every access. Advice only: nothing fails if the kernel declines. */
REC_HIDDEN void rec__advise_hugepages(void *p, size_t bytes);
REC_HIDDEN void rec__free(void *p);
REC_HIDDEN char *rec__strdup(const char *s);
/* a·b without overflow; returns 0 on overflow. */
REC_HIDDEN int rec__mul_size(size_t a, size_t b, size_t *out);
/* Allocation-failure injection (only effective when built with -DREC_ALLOC_TESTING): fail the
 * nth allocation from now (1-based), 0 disables; returns allocations counted so far. */
REC_HIDDEN void rec__alloc_fail_at(unsigned long nth);
REC_HIDDEN unsigned long rec__alloc_count(void);

/* ---- random numbers (rng.c) -------------------------------------------------------------- */

typedef struct rec__rng {
    uint64_t s[4];
} rec__rng;

REC_HIDDEN void rec__rng_seed(rec__rng *r, uint64_t seed);
REC_HIDDEN uint64_t rec__rng_u64(rec__rng *r);
REC_HIDDEN float rec__rng_uniform(rec__rng *r);
REC_HIDDEN uint32_t rec__rng_below(rec__rng *r, uint32_t bound);
REC_HIDDEN void rec__rng_shuffle_u32(rec__rng *r, uint32_t *a, size_t n);

/* ---- trainable parameters (param.c) -------------------------------------------------------
 * A parameter is a flat float array with a gradient buffer of the same size. When row_dim > 0
 * it is a table of rows and its gradient is sparse: only rows listed in `touched` are non-zero,
 * so optimizers and (later) a communicator only visit those. Optimizer state lives in slots
 * created on first use. */
typedef struct rec__param {
    float *w;            /* values, n */
    float *g;            /* gradient, n; zero outside touched rows */
    float *slot[2];      /* optimizer state (Adagrad: slot[0] accumulators), lazily allocated */
    int slot_kind;       /* optimizer kind that created the slots, 0 = none */
    uint64_t steps;      /* updates applied by that optimizer (Adam's bias correction) */
    size_t n;
    uint32_t row_dim;    /* 0: dense; > 0: rows of row_dim floats, sparse gradient */
    uint32_t *touched;   /* rows with a gradient, in first-touch order (sparse only) */
    size_t n_touched;
    uint8_t *is_touched; /* n / row_dim flags (sparse only) */
} rec__param;

REC_HIDDEN rec_status rec__param_init(rec__param *p, size_t n, uint32_t row_dim);
REC_HIDDEN void rec__param_release(rec__param *p);
/* Pointer to the gradient row `row`, marking it touched (sparse parameters). */
REC_HIDDEN float *rec__param_grad_row(rec__param *p, uint32_t row);
REC_HIDDEN void rec__param_zero_grad(rec__param *p);

/* Apply an optimizer to one parameter and clear its gradient (optimizer.c). */
REC_HIDDEN rec_status rec__optimizer_apply(rec_optimizer *opt, rec__param *p);
/* State slots used by an optimizer kind as stored in rec__param.slot_kind (0 = no state yet),
 * or -1 for an unknown kind (serialize.c validates saved state with it). */
REC_HIDDEN int rec__optimizer_slot_count(int slot_kind);

/* Parameters of the blocks, for optimizers and (later) serialization and communicators. */
REC_HIDDEN rec__param *rec__embedding_param(rec_embedding *e);
REC_HIDDEN rec__param *rec__dense_kernel(rec_dense *d);
REC_HIDDEN rec__param *rec__dense_bias(rec_dense *d);

/* ---- BLAS (blas.c): the only file that includes cblas.h ----------------------------------- */

/* C (m×n) = alpha · op(A) · op(B) + beta · C, row-major, op = transpose when trans_x != 0. */
REC_HIDDEN void rec__sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                           const float *a, size_t lda, const float *b, size_t ldb, float beta,
                           float *c, size_t ldc);

/* ---- misc ---------------------------------------------------------------------------------- */

/* Monotonic clock in seconds. */
REC_HIDDEN double rec__now(void);

#endif
