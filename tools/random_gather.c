/* What one random record costs on this machine (docs/performance.md, "Large tables"): 25
 * million 32-byte records (800 MB, the feature records of an ML-25M-shaped set), visited in a
 * random order, batch by batch, each record's six words copied into per-feature columns as the
 * library's record gather does, with a prefetch `ahead` records ahead (0: none) and the array
 * on 2 MB pages or not.
 *
 *     cc -O2 -o /tmp/random_gather tools/random_gather.c
 *     /tmp/random_gather AHEAD HUGE        e.g. /tmp/random_gather 48 1
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

enum { BATCH = 2048, STRIDE = 8, FEATURES = 6 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s AHEAD HUGE (e.g. 48 1)\n", argv[0]);
        return 2;
    }
    const size_t n = 25000000, huge = (size_t)2 << 20;
    const int ahead = atoi(argv[1]), use_huge = atoi(argv[2]);
    const size_t bytes = (n * STRIDE * sizeof(uint32_t) + huge - 1) & ~(huge - 1);
    uint32_t *rec = aligned_alloc(huge, bytes);
    uint32_t *idx = malloc(n * sizeof *idx), *out = malloc(FEATURES * BATCH * sizeof *out);
    if (!rec || !idx || !out) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (use_huge)
        madvise(rec, bytes, MADV_HUGEPAGE);
    for (size_t i = 0; i < n * STRIDE; i++)
        rec[i] = (uint32_t)i;
    /* a random permutation (Fisher-Yates, a 64-bit LCG) */
    uint64_t s = 1;
    for (size_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t j = (size_t)(s >> 33) % (i + 1);
        uint32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    uint64_t sum = 0;
    const double t0 = now();
    for (size_t b0 = 0; b0 + BATCH <= n; b0 += BATCH) {
        const uint32_t *id = idx + b0;
        for (size_t b = 0; b < BATCH; b++) {
            if (ahead && b + (size_t)ahead < BATCH)
                __builtin_prefetch(rec + (size_t)id[b + (size_t)ahead] * STRIDE);
            const uint32_t *r = rec + (size_t)id[b] * STRIDE;
            for (int f = 0; f < FEATURES; f++)
                out[f * BATCH + b] = r[f];
        }
        sum += out[FEATURES * BATCH - 1];
    }
    const double t = now() - t0;
    printf("prefetch %d ahead, %s pages: %.1f ns per record (checksum %llu)\n", ahead,
           use_huge ? "2 MB" : "4 KB", t / (double)(n / BATCH * BATCH) * 1e9,
           (unsigned long long)sum);
    free(rec);
    free(idx);
    free(out);
    return 0;
}
