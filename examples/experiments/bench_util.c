/* The bench's measurements of the machine and small helpers (bench.h). */
#define _GNU_SOURCE /* dlsym(RTLD_DEFAULT) */
#include "bench.h"

#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ---- small utilities ------------------------------------------------------------------------- */

double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int fail(const char *what, int status)
{
    fprintf(stderr, "bench: %s: %s (%s)\n", what, rec_last_error(), rec_status_str(status));
    return 1;
}

long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* kilobytes on Linux */
}

/* ---- OpenBLAS, found at run time ------------------------------------------------------------- */

/* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer, ISO C
 * does not, so the bits are copied (the form POSIX itself suggests). */
static void *fn_sym(const char *name, void *fp, size_t size)
{
    void *sym = dlsym(RTLD_DEFAULT, name);
    memcpy(fp, &sym, size);
    return sym;
}

void blas_setup(blas_info *b)
{
    char *(*corename)(void), *(*config)(void);
    int (*get_threads)(void);
    fn_sym("openblas_get_corename", &corename, sizeof corename);
    fn_sym("openblas_get_config", &config, sizeof config);
    fn_sym("openblas_get_num_threads", &get_threads, sizeof get_threads);
    fn_sym("openblas_set_num_threads", &b->set_threads, sizeof b->set_threads);
    snprintf(b->core, sizeof b->core, "%s", corename ? corename() : "unknown (not OpenBLAS?)");
    snprintf(b->config, sizeof b->config, "%s", config ? config() : "unknown");
    if (b->set_threads && !getenv("OPENBLAS_NUM_THREADS")) {
        b->set_threads(1);
        b->forced = 1;
    }
    b->threads = get_threads ? get_threads() : -1;
}

/* ---- sgemm rates ----------------------------------------------------------------------------- */

/* Median GFLOP/s of C (m×n) = op(A)·op(B) over `reps` calls, row-major like librec. */
double sgemm_rate(int ta, int tb, int m, int n, int k, int reps)
{
    float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
    float *c = malloc(sizeof(float) * (size_t)m * n);
    double t[64];
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        return NAN;
    }
    for (size_t i = 0; i < (size_t)m * k; i++)
        a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)k * n; i++)
        b[i] = (float)(i % 5) * 0.1f;
    if (reps > 64)
        reps = 64;
    for (int r = -2; r < reps; r++) { /* two warm-up calls */
        double t0 = now();
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n);
        if (r >= 0)
            t[r] = now() - t0;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * m * n * k / median(t, (size_t)reps) / 1e9;
}

void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                p += 2;
                p[strcspn(p, "\n")] = '\0';
                snprintf(buf, cap, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

/* FLOPs of one training example: MLP 2·Σ n_in·n_out forward, twice that backward (∂W and
 * ∂x); DOT 2d forward, 4d backward. Element-wise work is not counted. */
double flops_per_example(const rec_model *m)
{
    size_t L = rec_model_n_layers(m);
    if (L == 0) {
        double d = rec_embedding_dim(rec_model_feature_embedding(m, 0));
        return 6.0 * d;
    }
    double f = 0.0;
    for (size_t l = 0; l < L; l++) {
        const rec_dense *d = rec_model_layer(m, l);
        f += 6.0 * rec_dense_n_in(d) * rec_dense_n_out(d);
    }
    return f;
}

/* Median seconds of the sgemm calls of one training batch of B rows of an MLP (forward,
 * ∂W and ∂x of each layer) with random operands: the FLOP floor of an epoch at this
 * machine's BLAS rate on these very shapes. */
double sgemm_batch_seconds(const rec_model *m, size_t B, int reps, double *flops_out)
{
    size_t L = rec_model_n_layers(m), biggest = 1;
    if (L == 0) {
        *flops_out = 0;
        return 0;
    }
    for (size_t l = 0; l < L; l++) {
        const rec_dense *d = rec_model_layer(m, l);
        size_t in = rec_dense_n_in(d), out = rec_dense_n_out(d);
        size_t s = (in > out ? in : out) * (B > in ? B : in);
        if (s > biggest)
            biggest = s;
    }
    float *x = malloc(biggest * sizeof *x), *w = malloc(biggest * sizeof *w);
    float *y = malloc(biggest * sizeof *y);
    double t[64];
    if (!x || !w || !y) {
        free(x);
        free(w);
        free(y);
        return NAN;
    }
    for (size_t i = 0; i < biggest; i++)
        x[i] = w[i] = y[i] = 0.01f * (float)(i % 13);
    double flops = 0;
    if (reps > 64)
        reps = 64;
    for (int r = -2; r < reps; r++) {
        double t0 = now();
        flops = 0;
        for (size_t l = 0; l < L; l++) {
            const rec_dense *d = rec_model_layer(m, l);
            int in = (int)rec_dense_n_in(d), out = (int)rec_dense_n_out(d), b = (int)B;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, out, in, 1.0f, x, in, w,
                        out, 0.0f, y, out);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, b, 1.0f, x, in, y, out,
                        1.0f, w, out);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, in, out, 1.0f, y, out, w, out,
                        0.0f, x, in);
            flops += 6.0 * in * out * b;
        }
        if (r >= 0)
            t[r] = now() - t0;
    }
    free(x);
    free(w);
    free(y);
    *flops_out = flops;
    return median(t, (size_t)reps);
}
