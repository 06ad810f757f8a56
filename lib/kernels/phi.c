/* The table behind rec__phi (kernels.h). */
#include "kernels/kernels.h"

#include <math.h>

void rec__phi_table_init(rec__phi_table *t)
{
    /* 1/√(2π) */
    const double r2pi = 0.39894228040143267794;
    for (size_t i = 0; i < REC__PHI_NODES; i++) {
        const double x = (double)i / REC__PHI_PER_UNIT - REC__PHI_HALF_RANGE;
        t->cdf[i] = rec__dist_phi(x);
        t->pdf[i] = r2pi * exp(-0.5 * x * x);
    }
}
