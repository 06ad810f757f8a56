/* Keras Normalization(axis=None): y = (x − mean) / max(√var, 1e-7) with the population
 * variance. Statistics use two passes in double: the one-pass E[x²] − E[x]² cancels
 * catastrophically on Unix timestamps (x² ≈ 7.7e17, whose ulp is 128). */
#include "blocks/blocks.h"

#include <math.h>

/* Keras's floor on the standard deviation, so constant data maps to 0 instead of NaN. */
#define STD_FLOOR 1e-7

struct rec_normalization {
    double mean;
    double variance;
    double std; /* max(√variance, STD_FLOOR) */
};

static rec_status make(rec_normalization **out, const char *fn, double mean, double variance)
{
    rec_normalization *nm = rec__malloc(sizeof *nm);
    if (!nm)
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    nm->mean = mean;
    nm->variance = variance;
    double s = sqrt(variance);
    nm->std = s > STD_FLOOR ? s : STD_FLOOR;
    *out = nm;
    return REC_OK;
}

rec_status rec_normalization_create(rec_normalization **out, double mean, double variance)
{
    static const char fn[] = "rec_normalization_create";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!isfinite(mean))
        return rec__error(REC_EINVAL, "%s: mean is not finite", fn);
    if (!isfinite(variance))
        return rec__error(REC_EINVAL, "%s: variance is not finite", fn);
    if (variance < 0.0)
        return rec__error(REC_EINVAL, "%s: variance = %g is negative", fn, variance);
    return make(out, fn, mean, variance);
}

rec_status rec_normalization_adapt(rec_normalization **out, const double *x, size_t n)
{
    static const char fn[] = "rec_normalization_adapt";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (!x)
        return rec__error(REC_EINVAL, "%s: x is NULL", fn);
    if (n == 0)
        return rec__error(REC_EINVAL, "%s: n must be > 0", fn);

    /* pass 1: mean = Σx / n */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return rec__error(REC_EINVAL, "%s: x[%zu] is not finite", fn, i);
        sum += x[i];
    }
    double mean = sum / (double)n;
    if (!isfinite(mean))
        return rec__error(REC_EINVAL, "%s: the sum of x overflows", fn);

    /* pass 2: var = Σ(x − mean)² / n */
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;
        ss += d * d;
    }
    double variance = ss / (double)n;
    if (!isfinite(variance))
        return rec__error(REC_EINVAL, "%s: the variance of x overflows", fn);
    return make(out, fn, mean, variance);
}

void rec_normalization_free(rec_normalization *norm)
{
    rec__free(norm);
}

double rec_normalization_mean(const rec_normalization *norm)
{
    return norm ? norm->mean : 0.0;
}

double rec_normalization_variance(const rec_normalization *norm)
{
    return norm ? norm->variance : 0.0;
}

/* Computed in double and rounded once to float. */
static float normalize(const rec_normalization *nm, double x)
{
    return (float)((x - nm->mean) / nm->std);
}

float rec_normalization_value(const rec_normalization *norm, double x)
{
    return norm ? normalize(norm, x) : 0.0f;
}

rec_status rec_normalization_apply(const rec_normalization *norm, const double *x, size_t n,
                                   float *out)
{
    static const char fn[] = "rec_normalization_apply";
    if (!norm)
        return rec__error(REC_EINVAL, "%s: norm is NULL", fn);
    if (!x && n > 0)
        return rec__error(REC_EINVAL, "%s: x is NULL", fn);
    if (!out && n > 0)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    for (size_t i = 0; i < n; i++)
        out[i] = normalize(norm, x[i]);
    return REC_OK;
}
