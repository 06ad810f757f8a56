/* For the dense-product kernels only (gemm_thin.c, model_layer0_r64.c): multiply-adds fused
 * into one rounding where the CPU has FMA, and the clones built for x86-64-v4 / v3 (AVX-512 or
 * AVX2 with FMA) instead of the library's avx512f / avx2 levels, which do not include FMA;
 * and the 16-float vector type those kernels are written in.
 *
 * Everywhere else librec keeps ISO C's no contraction, so that every clone of an element-wise
 * loop gives the same bits (rec_internal.h). These kernels are the products OpenBLAS computed
 * before them, whose last bits already depended on the CPU's kernel; on one machine they stay
 * reproducible: a fixed order of additions, the same clone every run. Include after
 * rec_internal.h, before any function. */
#ifndef REC_CLONES_FMA_H
#define REC_CLONES_FMA_H

#include "base/base.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif
#if defined(REC_CLONES_ON)
#undef REC_CLONES
#define REC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif

#include <string.h>

/* 16 floats as one value of GCC's generic vector extension: one AVX-512 register in the v4
 * clone, two AVX2 or four SSE registers in the others. */
typedef float v16 __attribute__((vector_size(64)));

/* Load and store of 16 floats at any float alignment (memcpy makes the unaligned access
 * explicit). Macros, not functions: a function passing a 64-byte vector by value would have
 * an ABI that depends on the clone's instruction set. */
#define VLD(v, p) memcpy(&(v), (p), sizeof(v16))
#define VST(p, v) memcpy((p), &(v), sizeof(v16))

#endif
