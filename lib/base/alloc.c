/* The library's allocator wrappers. With REC_ALLOC_TESTING (test builds only) the Nth
 * allocation can be made to fail, to prove every failure path returns REC_ENOMEM and leaks
 * nothing. The counter is per thread so concurrent tests do not disturb each other. */
#define _DEFAULT_SOURCE /* madvise and MADV_HUGEPAGE (Linux) */
#include "base/base.h"

#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* No librec object needs a terabyte: a larger request can only come from a hostile or absurd
 * size (a dimension, a count read from a file) and is refused like a failed allocation, with
 * REC_ENOMEM. Doing it here makes that answer independent of the allocator: sanitizer
 * runtimes abort on such requests instead of returning NULL. */
#define MAX_ALLOC (SIZE_MAX / 2 < ((size_t)1 << 40) ? SIZE_MAX / 2 : ((size_t)1 << 40))

#ifdef REC_ALLOC_TESTING
static _Thread_local unsigned long alloc_count;
static _Thread_local unsigned long alloc_fail_nth;

static int should_fail(void)
{
    alloc_count++;
    return alloc_fail_nth != 0 && alloc_count == alloc_fail_nth;
}
#else
static int should_fail(void)
{
    return 0;
}
#endif

void rec__alloc_fail_at(unsigned long nth)
{
#ifdef REC_ALLOC_TESTING
    alloc_count = 0;
    alloc_fail_nth = nth;
#else
    (void)nth;
#endif
}

unsigned long rec__alloc_count(void)
{
#ifdef REC_ALLOC_TESTING
    return alloc_count;
#else
    return 0;
#endif
}

void *rec__malloc(size_t size)
{
    if (should_fail() || size > MAX_ALLOC)
        return NULL;
    return malloc(size ? size : 1);
}

void *rec__calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    if (n == 0 || size == 0)
        return calloc(1, 1);
    if (n > MAX_ALLOC / size)
        return NULL;
    return calloc(n, size);
}

void *rec__realloc(void *p, size_t size)
{
    if (should_fail() || size > MAX_ALLOC)
        return NULL;
    return realloc(p, size ? size : 1);
}

void *rec__malloc_lines(size_t size)
{
    if (should_fail() || size > MAX_ALLOC)
        return NULL;
    /* aligned_alloc wants a multiple of the alignment */
    return aligned_alloc(64, size ? (size + 63) & ~(size_t)63 : 64);
}

void *rec__calloc_lines(size_t n, size_t size)
{
    size_t bytes;
    if (!rec__alloc_mul(n, size, &bytes))
        return NULL;
    void *p = rec__malloc_lines(bytes);
    if (p) {
        rec__alloc_advise_hugepages(p, bytes); /* before the first write, which faults pages in */
        memset(p, 0, bytes);
    }
    return p;
}

void rec__alloc_advise_hugepages(void *p, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (!p || bytes < 2 * huge)
        return;
    /* the whole 2 MB pages inside the block */
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

void rec__free(void *p)
{
    free(p);
}

char *rec__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = rec__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int rec__alloc_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}
