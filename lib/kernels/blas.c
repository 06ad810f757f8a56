/* The one place librec calls CBLAS, so the BLAS choice stays a build detail. */
#include "kernels/kernels.h"

#include <cblas.h>

void rec__blas_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                size_t ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, a, (int)lda,
                b, (int)ldb, beta, c, (int)ldc);
}

/* OpenBLAS's thread count, through a weak reference: it resolves when the library that
 * provides CBLAS is OpenBLAS and stays NULL with another BLAS, so any CBLAS still links. */
#if defined(__GNUC__)
extern int openblas_get_num_threads(void) __attribute__((weak));
#endif

int rec__blas_threads(void)
{
#if defined(__GNUC__)
    if (openblas_get_num_threads) {
        int n = openblas_get_num_threads();
        return n > 1 ? n : 1;
    }
#endif
    return 1;
}
