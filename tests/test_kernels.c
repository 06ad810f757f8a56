/* Suite "kernels" (internal): thin.c's three products against sums in double precision, on
 * every count of rows a block leaves over (the kernels take rows 2 to 8 at a time), with the
 * interleaved row stride layer 0 uses, and β = 0 over a matrix of NaN (which must be ignored,
 * as BLAS does), β = 1 and β = 0.5; every vector width's variant of them and of rows.c bit for
 * bit against the order of operations kernels.h documents; the row-exact product of
 * evaluation, whose rows must not depend on the rows beside them; and the ordered probit's
 * fast Φ (phi.c) against erfc. */
#include "rec_check.h"
#include "kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { K = REC_THIN_K, N = REC_THIN_N };

static const size_t counts[] = {0, 1, 3, 4, 5, 7, 8, 9, 15, 17, 100, 129};

/* Deterministic values in [-1, 1), from an LCG. */
static void fill(float *a, size_t n, uint32_t *state)
{
    for (size_t i = 0; i < n; i++) {
        *state = *state * 1664525u + 1013904223u;
        a[i] = (float)((double)(*state >> 8) / (double)(1u << 23) - 1.0);
    }
}

/* |got − want| within a few roundings of a K- or u-term sum of magnitude ≤ scale. */
static void near(double got, double want, double scale, const char *what, size_t r, size_t c)
{
    ck_assert_msg(fabs(got - want) <= 1e-5 * (scale + 1.0), "%s[%zu][%zu] = %.9g, want %.9g",
                  what, r, c, got, want);
}

START_TEST(test_kernels_thin_nn)
{
    uint32_t st = 1;
    float w[K * N];
    fill(w, K * N, &st);
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        const size_t u = counts[ci], ldp = 2 * N;
        float *x = malloc((u + 1) * K * sizeof *x), *p = malloc((u + 1) * ldp * sizeof *p);
        fill(x, u * K, &st);
        for (size_t i = 0; i < (u + 1) * ldp; i++)
            p[i] = -7.0f; /* the other half of each row must stay as it was */
        rec__thin_nn(u, x, w, p, ldp);
        for (size_t r = 0; r < u; r++)
            for (size_t c = 0; c < N; c++) {
                double want = 0.0;
                for (size_t k = 0; k < K; k++)
                    want += (double)x[r * K + k] * w[k * N + c];
                near(p[r * ldp + c], want, K, "P", r, c);
                ck_assert(p[r * ldp + N + c] == -7.0f);
            }
        ck_assert(p[u * ldp] == -7.0f);
        free(x);
        free(p);
    }
}
END_TEST

START_TEST(test_kernels_thin_tn)
{
    uint32_t st = 2;
    const float betas[] = {0.0f, 1.0f, 0.5f};
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++)
        for (size_t bi = 0; bi < 3; bi++) {
            const size_t u = counts[ci], ldd = bi == 1 ? N : 2 * N;
            const float beta = betas[bi];
            float *x = malloc((u + 1) * K * sizeof *x), *d = malloc((u + 1) * ldd * sizeof *d);
            float g[K * N], g0[K * N];
            fill(x, u * K, &st);
            fill(d, u * ldd, &st);
            fill(g0, K * N, &st);
            for (size_t i = 0; i < K * N; i++)
                g[i] = beta == 0.0f ? NAN : g0[i];
            rec__thin_tn(u, x, d, ldd, beta, g);
            for (size_t k = 0; k < K; k++)
                for (size_t c = 0; c < N; c++) {
                    double want = beta == 0.0f ? 0.0 : (double)beta * g0[k * N + c];
                    for (size_t r = 0; r < u; r++)
                        want += (double)x[r * K + k] * d[r * ldd + c];
                    near(g[k * N + c], want, (double)u + 1.0, "dW", k, c);
                }
            free(x);
            free(d);
        }
}
END_TEST

START_TEST(test_kernels_thin_nt)
{
    uint32_t st = 3;
    float w[K * N], wt[N * K];
    fill(w, K * N, &st);
    rec__thin_transpose(w, wt);
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < N; j++)
            ck_assert(wt[j * K + k] == w[k * N + j]);
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        const size_t u = counts[ci], ldd = 2 * N;
        float *d = malloc((u + 1) * ldd * sizeof *d), *y = malloc((u + 1) * K * sizeof *y);
        fill(d, u * ldd, &st);
        y[u * K] = -7.0f;
        rec__thin_nt(u, d, ldd, wt, y);
        for (size_t r = 0; r < u; r++)
            for (size_t k = 0; k < K; k++) {
                double want = 0.0;
                for (size_t j = 0; j < N; j++)
                    want += (double)d[r * ldd + j] * w[k * N + j];
                near(y[r * K + k], want, N, "dU", r, k);
            }
        ck_assert(y[u * K] == -7.0f); /* nothing written past u rows */
        free(d);
        free(y);
    }
}
END_TEST

/* rec__rows_nn: every shape's tails (columns in 32s, 16s and one by one; rows in 3s), against
 * double sums, and each row's bits the same whatever rows share the call: alone, at another
 * place in a larger call, or in a call cut elsewhere. */
START_TEST(test_kernels_rows_nn_rows_independent)
{
    static const size_t ks[] = {1, 7, 33, 129}, ms[] = {1, 5, 16, 31, 32, 48, 64, 70};
    static const size_t ns[] = {1, 2, 3, 4, 5, 11, 40};
    uint32_t st = 3;
    for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++)
        for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++) {
            const size_t k = ks[ki], m = ms[mi], rows = 40, ldx = k + 3, ldy = m + 5;
            float *x = malloc(rows * ldx * sizeof *x), *w = malloc(k * m * sizeof *w);
            float *y = malloc(rows * ldy * sizeof *y), *y1 = malloc(rows * ldy * sizeof *y1);
            fill(x, rows * ldx, &st);
            fill(w, k * m, &st);
            for (size_t i = 0; i < rows * ldy; i++)
                y[i] = y1[i] = -7.0f; /* the gap between rows must stay as it was */
            rec__rows_nn(rows, k, m, x, ldx, w, y, ldy);
            for (size_t r = 0; r < rows; r++) {
                for (size_t c = 0; c < m; c++) {
                    double want = 0.0;
                    for (size_t i = 0; i < k; i++)
                        want += (double)x[r * ldx + i] * w[i * m + c];
                    near(y[r * ldy + c], want, (double)k, "Y", r, c);
                }
                for (size_t c = m; c < ldy; c++)
                    ck_assert(y[r * ldy + c] == -7.0f);
            }
            /* the same rows in calls of n rows from every start */
            for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
                for (size_t lo = 0; lo + ns[ni] <= rows; lo += ns[ni] > 3 ? 3 : 1) {
                    rec__rows_nn(ns[ni], k, m, x + lo * ldx, ldx, w, y1 + lo * ldy, ldy);
                    ck_assert_msg(memcmp(y1 + lo * ldy, y + lo * ldy,
                                         (ns[ni] * ldy - (ldy - m)) * sizeof *y) == 0,
                                  "k %zu, m %zu: rows %zu..%zu differ from one call of %zu",
                                  k, m, lo, lo + ns[ni], rows);
                }
            free(x);
            free(w);
            free(y);
            free(y1);
        }
}
END_TEST

/* One multiply-add as the variant does it: fused (one rounding) or a product then a sum. The
 * test itself is ISO C, which contracts nothing. */
static float madd(int fused, float a, float b, float c)
{
    return fused ? fmaf(a, b, c) : a * b + c;
}

/* The bits of every variant the CPU runs, for all four products on shapes that reach every
 * block and tail, against the order kernels.h documents: each output element summed over its
 * index in increasing order from 0 (or from β∂W), one multiply-add per term. Identical bits
 * across the variants of one machine follow when they fuse alike. */
START_TEST(test_kernels_every_width_follows_the_order)
{
    size_t nv = 0;
    const rec__kernel_variant *v = rec__kernel_variants(&nv);
    ck_assert(nv >= 1 && v[nv - 1].width == 4);
    uint32_t st = 5;
    enum { U = 131, LDP = 2 * N, LDD = N + 8 };
    float *x = malloc(U * K * sizeof *x), *d = malloc(U * LDD * sizeof *d);
    float *got = malloc(U * LDP * sizeof *got), w[K * N], wt[N * K], g0[K * N];
    fill(x, U * K, &st);
    fill(d, U * LDD, &st);
    fill(w, K * N, &st);
    fill(g0, K * N, &st);
    rec__thin_transpose(w, wt);
    for (size_t vi = 0; vi < nv; vi++) {
        const int f = v[vi].fused, wd = v[vi].width;
        /* P = U·W */
        v[vi].thin_nn(U, x, w, got, LDP);
        for (size_t r = 0; r < U; r++)
            for (size_t c = 0; c < N; c++) {
                float s = 0.0f;
                for (size_t k = 0; k < K; k++)
                    s = madd(f, x[r * K + k], w[k * N + c], s);
                ck_assert_msg(got[r * LDP + c] == s, "width %d: P[%zu][%zu] = %.9g, want %.9g",
                              wd, r, c, got[r * LDP + c], s);
            }
        /* ∂W = β∂W + Uᵀ·Δ with β = 0.5 (the product rounded first) */
        memcpy(got, g0, sizeof g0);
        v[vi].thin_tn(U, x, d, LDD, 0.5f, got);
        for (size_t k = 0; k < K; k++)
            for (size_t c = 0; c < N; c++) {
                float s = 0.5f * g0[k * N + c];
                for (size_t r = 0; r < U; r++)
                    s = madd(f, x[r * K + k], d[r * LDD + c], s);
                ck_assert_msg(got[k * N + c] == s, "width %d: dW[%zu][%zu] = %.9g, want %.9g",
                              wd, k, c, got[k * N + c], s);
            }
        /* ∂U = Δ·Wᵀ */
        v[vi].thin_nt(U, d, LDD, wt, got);
        for (size_t r = 0; r < U; r++)
            for (size_t k = 0; k < K; k++) {
                float s = 0.0f;
                for (size_t j = 0; j < N; j++)
                    s = madd(f, d[r * LDD + j], w[k * N + j], s);
                ck_assert_msg(got[r * K + k] == s, "width %d: dU[%zu][%zu] = %.9g, want %.9g",
                              wd, r, k, got[r * K + k], s);
            }
        /* Y = X·W for a shape with every tail: 70 columns, 11 rows, 33 terms */
        enum { RN = 11, RK = 33, RM = 70 };
        v[vi].rows_nn(RN, RK, RM, x, RK, d, got, RM);
        for (size_t r = 0; r < RN; r++)
            for (size_t c = 0; c < RM; c++) {
                float s = 0.0f;
                for (size_t i = 0; i < RK; i++)
                    s = madd(f, x[r * RK + i], d[i * RM + c], s);
                ck_assert_msg(got[r * RM + c] == s, "width %d: Y[%zu][%zu] = %.9g, want %.9g",
                              wd, r, c, got[r * RM + c], s);
            }
    }
    free(x);
    free(d);
    free(got);
}
END_TEST

/* rec__phi (phi.c) against 0.5 erfc(−x/√2) within 1e-13 absolute: on a grid of step 1/1024
 * over [−12, 12] (nodes, midpoints between nodes and every point between), beyond the table's
 * ±9, at ±∞ and NaN. */
START_TEST(test_kernels_phi_matches_erfc)
{
    static rec__phi_table t;
    rec__phi_table_init(&t);
    double worst = 0.0, at = 0.0;
    for (int i = -12 * 1024; i <= 12 * 1024; i++) {
        const double x = i / 1024.0 + 1e-7 * (i % 7); /* off the grid now and then */
        const double want = 0.5 * erfc(-x * 0.70710678118654752440), got = rec__phi(&t, x);
        if (fabs(got - want) > worst) {
            worst = fabs(got - want);
            at = x;
        }
    }
    ck_assert_msg(worst <= 1e-13, "rec__phi is %.3g off erfc at x = %.10g", worst, at);
    ck_assert(rec__phi(&t, -INFINITY) == 0.0);
    ck_assert(rec__phi(&t, INFINITY) == 1.0);
    ck_assert(isnan(rec__phi(&t, NAN)));
    ck_assert(rec__phi(&t, 0.0) == 0.5);
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("thin");
    tcase_add_test(tc, test_kernels_thin_nn);
    tcase_add_test(tc, test_kernels_thin_tn);
    tcase_add_test(tc, test_kernels_thin_nt);
    tcase_add_test(tc, test_kernels_rows_nn_rows_independent);
    tcase_add_test(tc, test_kernels_every_width_follows_the_order);
    tcase_add_test(tc, test_kernels_phi_matches_erfc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rec_check_run(kernels_suite());
}
