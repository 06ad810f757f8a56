/* Monotonic time for the per-epoch timings reported to callers. */
#define _POSIX_C_SOURCE 200809L
#include "base/base.h"

#include <time.h>

double rec__clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
