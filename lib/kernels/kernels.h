/*
 * lib/kernels: the numeric inner loops, with no recommender concept — the SIMD policy, row
 * kernels, the BLAS wrapper, the thin products of layer 0, the row-exact product of evaluation
 * and the fast Φ. Above lib/base. Never installed.
 */
#ifndef REC_LIB_KERNELS_H
#define REC_LIB_KERNELS_H

#include "base/base.h"

#include <math.h>
#include <string.h>

/* ---- SIMD policy ----------------------------------------------------------------------------
 *
 * REC_CLONES: the hot element-wise loops (embedding rows, activations, optimizer updates) are
 * built for several x86-64 levels and one is picked when the library loads (GCC's function
 * multi-versioning): AVX-512 moves a 32-float row in two instructions where the SSE2 baseline
 * needs eight. Every version gives the same bits: the loops are element-wise or keep a fixed
 * summation order, and ISO C mode does not contract a·b + c into an FMA.
 *
 * The dense-product kernels (thin.c, rows.c, model/layer0_r64.c) are the exception: they fuse
 * each multiply-add into one rounding where the CPU has FMA, and come in one variant per vector
 * width (below). Those files, and only those, are compiled with -ffp-contract=fast
 * (lib/meson.build, which defines REC_FMA_KERNELS for them). Their last bits depend on the
 * CPU, as OpenBLAS's own kernels' do; on one machine they are reproducible: a fixed order of
 * additions, the same variant every run.
 *
 * Clones and variants are off under ThreadSanitizer and MemorySanitizer (their resolvers run
 * before the sanitizer's runtime starts, and crash) and with compilers other than GCC (clang 14
 * does not resolve target_clones functions called from another translation unit: undefined
 * references at link time). */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define REC_NO_CLONES 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define REC_NO_CLONES 1
#endif
#if defined(__x86_64__) && defined(__linux__) && defined(__has_attribute) && \
    !defined(__clang__) && !defined(REC_NO_CLONES)
#if __has_attribute(target_clones)
#define REC_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef REC_CLONES
#define REC_CLONES
#endif

/* ---- FMA kernels by vector width -----------------------------------------------------------
 *
 * GCC's generic vectors are wider than the registers on some clones (64 bytes without
 * AVX-512), and an operation on such a vector is lowered through memory: a kernel written in
 * 16-float vectors runs an order of magnitude slower on an AVX2 machine than in registers. So
 * the dense-product kernels are written once for a vector of REC__W floats (a body header,
 * included once per width) and built three times: REC__W 16 for x86-64-v4 (AVX-512), 8 for
 * x86-64-v3 (AVX2 with FMA), 4 for the baseline (SSE2, and every other target), each with its
 * own register blocking. REC__BY_WIDTH then defines the kernel itself as an ifunc that picks
 * the variant when the library loads (as target_clones does), or as the baseline variant where
 * clones are off; x86-64-v4 and -v3 rather than REC_CLONES's avx512f and avx2, which do not
 * include FMA. Each output element gets the same operations in the same order in every
 * variant (variants.c lists them for the tests). */
#if defined(REC_FMA_KERNELS)
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(REC_NO_CLONES)
#define REC__WTARGET16 __attribute__((target("arch=x86-64-v4")))
#define REC__WTARGET8 __attribute__((target("arch=x86-64-v3")))
/* The resolver runs while the dynamic linker relocates the library, before a sanitizer's
 * runtime is ready: instrumented code there crashes (as GCC's own clone resolvers are not
 * instrumented). */
#define REC__NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
/* The widest variant this CPU runs: 16, 8 or 4 floats. The one choice of every resolver and of
 * rec__kernel_variants. */
REC__NO_SANITIZE static inline __attribute__((always_inline)) int rec__kernels_width(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4"))
        return 16;
    if (__builtin_cpu_supports("x86-64-v3"))
        return 8;
    return 4;
}
#define REC__BY_WIDTH(name, params, args)                                                     \
    REC__NO_SANITIZE static void (*name##_pick(void)) params                                   \
    {                                                                                         \
        const int w = rec__kernels_width();                                                   \
        return w == 16 ? name##_w16 : w == 8 ? name##_w8 : name##_w4;                         \
    }                                                                                         \
    void name params __attribute__((ifunc(#name "_pick")));
#define REC__WIDTHS_ALL 1
#else
#define REC__BY_WIDTH(name, params, args)                                                     \
    void name params                                                                          \
    {                                                                                         \
        name##_w4 args;                                                                       \
    }
#endif
#define REC__WTARGET4 /* the baseline: no target attribute */

/* A body header reads REC__W (16, 8 or 4) and its register blocking, and undefines them at
 * its end; these name the width's vector types, its variant of a function and its target. */
#define REC__CAT2(a, b) a##b
#define REC__CAT(a, b) REC__CAT2(a, b)
#define REC__VF REC__CAT(rec__v, REC__W)
#define REC__VI REC__CAT(rec__i, REC__W)
#define REC__WFN(name) REC__CAT(name, REC__CAT(_w, REC__W))
#define REC__WTARGET REC__CAT(REC__WTARGET, REC__W)
#endif

/* 16, 8 and 4 floats (and int32s) as one value of GCC's generic vector extension: the
 * registers of AVX-512, AVX2 and SSE, the FMA kernels' units. */
typedef float rec__v16 __attribute__((vector_size(64)));
typedef float rec__v8 __attribute__((vector_size(32)));
typedef float rec__v4 __attribute__((vector_size(16)));
typedef int32_t rec__i16 __attribute__((vector_size(64)));
typedef int32_t rec__i8 __attribute__((vector_size(32)));
typedef int32_t rec__i4 __attribute__((vector_size(16)));

/* Load and store of a vector at any float alignment, through a copy of its type that is
 * aligned to a float and may alias one (what the AVX intrinsics' __m256_u is). Macros, not
 * functions: a function passing a 64-byte vector by value would have an ABI that depends on
 * the clone's instruction set. Not memcpy: GCC folds a 32-byte memcpy under x86-64-v3 into
 * a loop of 16-byte moves through the stack, and the kernel's vectors then live in memory. */
#define REC_VLD(v, p)                                                                          \
    __extension__({                                                                            \
        typedef __typeof__(v) rec__vu_ __attribute__((aligned(4), may_alias));                 \
        (v) = *(const rec__vu_ *)(const void *)(p);                                            \
    })
#define REC_VST(p, v)                                                                          \
    __extension__({                                                                            \
        typedef __typeof__(v) rec__vu_ __attribute__((aligned(4), may_alias));                 \
        *(rec__vu_ *)(void *)(p) = (v);                                                        \
    })

/* ---- row kernels of the hot loops ------------------------------------------------------------ */

/* Ask for the cache lines of a row of `bytes` ahead of use. Embedding rows are picked at
 * random from tables of tens of megabytes on MovieLens 25M, so each one is a miss to memory;
 * asking for several at once lets them overlap. A hint only: no effect on results. */
static inline void rec__row_prefetch(const void *p, size_t bytes)
{
#if defined(__GNUC__)
    const char *c = p;
    for (size_t off = 0; off < bytes; off += 64)
        __builtin_prefetch(c + off);
#else
    (void)p;
    (void)bytes;
#endif
}

/* How many rows ahead the gathers and scatters ask for: enough to cover a miss to memory
 * (~100 ns) at a few nanoseconds per row. */
#define REC_AHEAD 8

/* The fixed-width cases are the common ones (the tutorial's embeddings have 32 columns, its
 * hidden layer 64); spelling them out lets the compiler unroll them into a few vector moves
 * instead of a call to memcpy or a loop with a remainder. */
static inline void rec__row_copy(float *restrict dst, const float *restrict src, uint32_t dim)
{
    /* a constant-size memcpy is expanded inline into vector moves; a copy loop would be
     * turned into a call to the library's memcpy */
    if (dim == 32)
        memcpy(dst, src, 32 * sizeof *dst);
    else if (dim == 64)
        memcpy(dst, src, 64 * sizeof *dst);
    else
        memcpy(dst, src, dim * sizeof *dst);
}

static inline void rec__row_add(float *restrict dst, const float *restrict src, uint32_t dim)
{
    if (dim == 32) {
        for (uint32_t k = 0; k < 32; k++)
            dst[k] += src[k];
        return;
    }
    if (dim == 64) {
        for (uint32_t k = 0; k < 64; k++)
            dst[k] += src[k];
        return;
    }
    for (uint32_t k = 0; k < dim; k++)
        dst[k] += src[k];
}

/* dst = s · src */
static inline void rec__row_scale(float *restrict dst, const float *restrict src, float s,
                                  uint32_t dim)
{
    if (dim == 32) {
        for (uint32_t k = 0; k < 32; k++)
            dst[k] = s * src[k];
        return;
    }
    if (dim == 64) {
        for (uint32_t k = 0; k < 64; k++)
            dst[k] = s * src[k];
        return;
    }
    for (uint32_t k = 0; k < dim; k++)
        dst[k] = s * src[k];
}

/* dst += s · src */
static inline void rec__row_axpy(float *restrict dst, const float *restrict src, float s,
                                 uint32_t dim)
{
    if (dim == 32) {
        for (uint32_t k = 0; k < 32; k++)
            dst[k] += s * src[k];
        return;
    }
    if (dim == 64) {
        for (uint32_t k = 0; k < 64; k++)
            dst[k] += s * src[k];
        return;
    }
    for (uint32_t k = 0; k < dim; k++)
        dst[k] += s * src[k];
}

/* Σ_k u_k v_k in eight interleaved partial sums added pairwise at the end: a fixed order
 * (so results are reproducible) that vectorizes, where a single running sum cannot. */
static inline __attribute__((always_inline)) float rec__row_dot(const float *restrict u,
                                                               const float *restrict v,
                                                               size_t d)
{
    float s[8] = {0};
    const size_t d8 = d & ~(size_t)7;
    for (size_t k = 0; k < d8; k += 8)
        for (size_t j = 0; j < 8; j++)
            s[j] += u[k + j] * v[k + j];
    float t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (size_t k = d8; k < d; k++)
        t += u[k] * v[k];
    return t;
}

/* ---- BLAS (blas.c: the only file that includes cblas.h) ---------------------------------- */

/* C (m×n) = alpha · op(A) · op(B) + beta · C, row-major, op = transpose when trans_x != 0. */
REC_HIDDEN void rec__blas_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k,
                                float alpha, const float *a, size_t lda, const float *b,
                                size_t ldb, float beta, float *c, size_t ldc);
/* Threads the BLAS itself runs per call (OpenBLAS's setting; 1 for other BLAS). */
REC_HIDDEN int rec__blas_threads(void);

/* ---- thin products (thin.c) ---------------------------------------------------------------
 * Products of an embedding of 32 columns and a layer of 64 units: the presets' layer 0 feature
 * by feature, without OpenBLAS's packing. Row-major throughout; U is u×32 with rows 32 apart,
 * W is 32×64 with rows 64 apart. */

/* The shape these products take: embedding columns and units. */
#define REC_THIN_K 32
#define REC_THIN_N 64

/* P = U·W, P's rows ldp floats apart. */
REC_HIDDEN void rec__thin_nn(size_t u, const float *x, const float *w, float *p, size_t ldp);
/* G = β·G + Uᵀ·Δ (G 32×64, rows 64 apart), Δ's rows ldd floats apart. β = 0 ignores G's
 * contents. */
REC_HIDDEN void rec__thin_tn(size_t u, const float *x, const float *d, size_t ldd, float beta,
                             float *g);
/* Y = Δ·Wᵀ (Y u×32, rows 32 apart), given wt = Wᵀ from rec__thin_transpose. */
REC_HIDDEN void rec__thin_nt(size_t u, const float *d, size_t ldd, const float *wt, float *y);
/* wt (64×32) = Wᵀ. */
REC_HIDDEN void rec__thin_transpose(const float *w, float *wt);

/* ---- the row-exact product (rows.c) ------------------------------------------------------- */

/* Y = X·W for any shape, each row's sums in an order that does not depend on the other rows
 * (evaluation and prediction, where OpenBLAS's would): X n×k, rows ldx apart; W k×m, rows m
 * apart; Y n×m, rows ldy apart. */
REC_HIDDEN void rec__rows_nn(size_t n, size_t k, size_t m, const float *x, size_t ldx,
                             const float *w, float *y, size_t ldy);

/* ---- the variants by width (variants.c) ----------------------------------------------------
 * Each FMA kernel above is an ifunc over one function per vector width (kernels.h, "FMA
 * kernels by vector width"); the tests call every variant the CPU can run and check it
 * against the documented order of operations bit for bit. */

#define REC__THIN_NN_PARAMS (size_t u, const float *x, const float *w, float *p, size_t ldp)
#define REC__THIN_TN_PARAMS                                                                    \
    (size_t u, const float *x, const float *d, size_t ldd, float beta, float *g)
#define REC__THIN_NT_PARAMS (size_t u, const float *d, size_t ldd, const float *wt, float *y)
#define REC__ROWS_NN_PARAMS                                                                    \
    (size_t n, size_t k, size_t m, const float *x, size_t ldx, const float *w, float *y,        \
     size_t ldy)
#define REC__VARIANTS_OF(w)                                                                    \
    REC_HIDDEN void rec__thin_nn_##w REC__THIN_NN_PARAMS;                                      \
    REC_HIDDEN void rec__thin_tn_##w REC__THIN_TN_PARAMS;                                      \
    REC_HIDDEN void rec__thin_nt_##w REC__THIN_NT_PARAMS;                                      \
    REC_HIDDEN void rec__rows_nn_##w REC__ROWS_NN_PARAMS;
REC__VARIANTS_OF(w16)
REC__VARIANTS_OF(w8)
REC__VARIANTS_OF(w4)

typedef struct rec__kernel_variant {
    int width; /* floats per vector: 16, 8 or 4 */
    int fused; /* whether a·b + c is one fused multiply-add (one rounding) */
    void(*thin_nn) REC__THIN_NN_PARAMS;
    void(*thin_tn) REC__THIN_TN_PARAMS;
    void(*thin_nt) REC__THIN_NT_PARAMS;
    void(*rows_nn) REC__ROWS_NN_PARAMS;
} rec__kernel_variant;

/* The variants this build has and this CPU runs, widest first (the first is the one the
 * kernels pick); *n of them. */
REC_HIDDEN const rec__kernel_variant *rec__kernel_variants(size_t *n);

/* ---- Φ fast (phi.c) -------------------------------------------------------------------------
 * Φ, the standard normal distribution function, fast enough to call four times per row and
 * posterior sample when an ordered-probit model predicts (lib/mcmc). With libm's erfc, Φ is a
 * seventh of such a prediction (MovieLens's five classes: four calls per row and sample).
 * Here Φ comes from a table of Φ and φ at every 1/32 on [−9, 9] (built from the exact Φ of
 * base/distributions.c) and a Taylor step from the nearest node x₀, t = x − x₀, |t| ≤ 1/64:
 *
 *     Φ(x₀ + t) = Φ(x₀) + φ(x₀) Σ_{n≥1} (−1)^(n−1) He_{n−1}(x₀) tⁿ / n!,
 *
 * since Φ' = φ and φ^(n) = (−1)ⁿ He_n φ (He: probabilists' Hermite polynomials, He₀ = 1,
 * He₁ = x, He₂ = x² − 1, He₃ = x³ − 3x, He₄ = x⁴ − 6x² + 3). Stopping after t⁵ leaves
 * |He₅ φ| t⁶ / 720 ≤ 1.6 · 64⁻⁶ / 720 < 4e-14; outside [−9, 9], Φ is within 1.2e-19 of 0 or
 * 1. So the absolute error is below 1e-13, a millionth of a float rating's last place (the
 * expected label is a sum of Φs weighted by class gaps of about 1); relative accuracy in the
 * far tails, which a sampler needs, is not offered: the sampler uses the exact Φ. */

#define REC__PHI_HALF_RANGE 9      /* the table covers [−9, 9] */
#define REC__PHI_PER_UNIT 32       /* nodes per unit: steps of 1/32, exact in binary */
#define REC__PHI_NODES (2 * REC__PHI_HALF_RANGE * REC__PHI_PER_UNIT + 1)

typedef struct rec__phi_table {
    double cdf[REC__PHI_NODES]; /* Φ(x₀) */
    double pdf[REC__PHI_NODES]; /* φ(x₀) */
} rec__phi_table;

/* Fills the table (577 erfc and exp calls, ~20 µs). */
REC_HIDDEN void rec__phi_table_init(rec__phi_table *t);

/* Φ(x) to within 1e-13 (NaN for NaN). */
static inline double rec__phi(const rec__phi_table *t, double x)
{
    if (!(x > -REC__PHI_HALF_RANGE))
        return x != x ? x : 0.0;
    if (x >= REC__PHI_HALF_RANGE)
        return 1.0;
    /* nearest node: u ≥ 0, so truncating u + ½ rounds */
    const double u = (x + REC__PHI_HALF_RANGE) * REC__PHI_PER_UNIT;
    const size_t i = (size_t)(u + 0.5);
    const double x0 = (double)i / REC__PHI_PER_UNIT - REC__PHI_HALF_RANGE, z = x0 * x0;
    const double s = x - x0;
    /* (−1)^(n−1) He_{n−1}(x₀) / n! for n = 2..5 */
    const double c2 = -x0 / 2.0, c3 = (z - 1.0) / 6.0, c4 = -x0 * (z - 3.0) / 24.0,
                 c5 = (z * (z - 6.0) + 3.0) / 120.0;
    return t->cdf[i] + t->pdf[i] * s * (1.0 + s * (c2 + s * (c3 + s * (c4 + s * c5))));
}

#endif
