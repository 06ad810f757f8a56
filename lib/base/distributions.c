/* Probability distributions for Gibbs sampling (base.h): standard normals by a ziggurat, gamma
 * variates, the normal distribution function Φ and its inverse, and the normal truncated to an
 * interval. Draws come from a rec__rng the caller seeded, so they are reproducible. */
#include "base/base.h"

#include <math.h>

#define ZIG_R 3.442619855899

void rec__dist_ziggurat_init(rec__dist_ziggurat *z)
{
    const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
    double dn = ZIG_R, tn = dn, q = vn / exp(-0.5 * dn * dn);
    z->kn[0] = (uint32_t)((dn / q) * m1);
    z->kn[1] = 0;
    z->wn[0] = q / m1;
    z->wn[127] = dn / m1;
    z->fn[0] = 1.0;
    z->fn[127] = exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; i--) {
        dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
        z->kn[i + 1] = (uint32_t)((dn / tn) * m1);
        tn = dn;
        z->fn[i] = exp(-0.5 * dn * dn);
        z->wn[i] = dn / m1;
    }
}

double rec__dist_normal(rec__dist_gen *g)
{
    const rec__dist_ziggurat *z = g->z;
    for (;;) {
        const uint64_t u = rec__rng_u64(&g->r);
        const int32_t hz = (int32_t)(uint32_t)(u >> 32);
        const uint32_t iz = (uint32_t)u & 127u;
        const uint32_t ahz = hz < 0 ? (uint32_t)0 - (uint32_t)hz : (uint32_t)hz;
        if (ahz < z->kn[iz])
            return hz * z->wn[iz];
        double x = hz * z->wn[iz];
        if (iz == 0) {
            /* the base layer's tail beyond ZIG_R (Marsaglia's method) */
            double y;
            do {
                x = -log(rec__dist_unif01(&g->r)) / ZIG_R;
                y = -log(rec__dist_unif01(&g->r));
            } while (y + y < x * x);
            return hz > 0 ? ZIG_R + x : -ZIG_R - x;
        }
        if (z->fn[iz] + rec__dist_unif01(&g->r) * (z->fn[iz - 1] - z->fn[iz]) < exp(-0.5 * x * x))
            return x;
    }
}

/* Gamma(shape, rate): Marsaglia–Tsang for shape ≥ 1, boosted by U^(1/shape) below 1. */
double rec__dist_gamma(rec__dist_gen *r, double shape, double rate)
{
    double boost = 1.0;
    if (shape < 1.0) {
        boost = pow(rec__dist_unif01(&r->r), 1.0 / shape);
        shape += 1.0;
    }
    const double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = rec__dist_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = rec__dist_unif01(&r->r);
        if (u < 1.0 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
            return boost * d * v / rate;
    }
}

double rec__dist_phi(double x)
{
    return 0.5 * erfc(-x * 0.70710678118654752440);
}

/* Φ⁻¹(p) for 0 < p < 1: Wichura's AS 241 (PPND16), relative accuracy about 1e-16. */
double rec__dist_phi_inv(double p)
{
    double q = p - 0.5, r, x;
    if (fabs(q) <= 0.425) {
        r = 0.180625 - q * q;
        return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r +
                          67265.770927008700853) * r + 45921.953931549871457) * r +
                        13731.693765509461125) * r + 1971.5909503065514427) * r +
                      133.14166789178437745) * r + 3.387132872796366608) /
               (((((((5226.495278852545925 * r + 28729.085735721942674) * r +
                     39307.89580009271061) * r + 21213.794301586595867) * r +
                   5394.1960214247511077) * r + 687.1870074920579083) * r +
                 42.313330701600911252) * r + 1.0);
    }
    r = q < 0 ? p : 1.0 - p;
    r = sqrt(-log(r));
    if (r <= 5.0) {
        r -= 1.6;
        x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r +
                  0.24178072517745061177) * r + 1.27045825245236838258) * r +
                3.64784832476320460504) * r + 5.7694972214606914055) * r +
              4.6303378461565452959) * r + 1.42343711074968357734) /
            (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r +
                  0.0151986665636164571966) * r + 0.14810397642748007459) * r +
                0.68976733498510000455) * r + 1.6763848301838038494) * r +
              2.05319162663775882187) * r + 1.0);
    } else {
        r -= 5.0;
        x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                  0.0012426609473880784386) * r + 0.026532189526576123093) * r +
                0.29656057182850489123) * r + 1.7848265399172913358) * r +
              5.4637849111641143699) * r + 6.6579046435011037772) /
            (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r +
                  1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
                0.0148753612908506148525) * r + 0.13692988092273580531) * r +
              0.59983220655588793769) * r + 1.0);
    }
    return q < 0 ? -x : x;
}

/* P(lo < Z ≤ hi) for Z ~ N(0, 1), from the tail that keeps precision, floored at 1e-300. */
double rec__dist_interval(double lo, double hi)
{
    double p;
    if (lo > 0.0)
        p = 0.5 * (erfc(lo * 0.70710678118654752440) - erfc(hi * 0.70710678118654752440));
    else
        p = 0.5 * (erfc(-hi * 0.70710678118654752440) - erfc(-lo * 0.70710678118654752440));
    return p > 1e-300 ? p : 1e-300;
}

/* A draw of N(0, 1) restricted to (lo, hi]: a few tries of plain normals first (most intervals
 * hold a good part of the mass, and a try costs a fraction of the inversion), then inversion
 * from the tail that keeps precision. Either way the draw has exactly the truncated law. */
double rec__dist_trunc_normal(rec__dist_gen *g, double lo, double hi)
{
    for (int k = 0; k < 4; k++) {
        double z = rec__dist_normal(g);
        if (z > lo && z <= hi)
            return z;
    }
    double x;
    if (lo > 0.0) {
        double qa = 0.5 * erfc(lo * 0.70710678118654752440);
        double qb = isinf(hi) ? 0.0 : 0.5 * erfc(hi * 0.70710678118654752440);
        double u = qb + (qa - qb) * rec__dist_unif01(&g->r);
        x = u > 0.0 ? -rec__dist_phi_inv(u) : lo;
    } else {
        double pa = isinf(lo) ? 0.0 : rec__dist_phi(lo), pb = isinf(hi) ? 1.0 : rec__dist_phi(hi);
        double u = pa + (pb - pa) * rec__dist_unif01(&g->r);
        x = u > 0.0 && u < 1.0 ? rec__dist_phi_inv(u) : (u <= 0.0 ? lo : hi);
    }
    if (x <= lo)
        x = isinf(hi) ? lo + 1e-12 : 0.5 * (lo + hi);
    if (x > hi)
        x = hi;
    return x;
}
