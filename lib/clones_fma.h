/* For the dense-product kernels only (gemm_thin.c, model_layer0_r64.c): multiply-adds fused
 * into one rounding where the CPU has FMA, and the clones built for x86-64-v4 / v3 (AVX-512 or
 * AVX2 with FMA) instead of the library's avx512f / avx2 levels, which do not include FMA.
 *
 * Everywhere else librec keeps ISO C's no contraction, so that every clone of an element-wise
 * loop gives the same bits (rec_internal.h). These kernels are the products OpenBLAS computed
 * before them, whose last bits already depended on the CPU's kernel; on one machine they stay
 * reproducible: a fixed order of additions, the same clone every run. Include after
 * rec_internal.h, before any function. */
#ifndef REC_CLONES_FMA_H
#define REC_CLONES_FMA_H

#include "rec_internal.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif
#if defined(REC_CLONES_ON)
#undef REC_CLONES
#define REC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif

#endif
