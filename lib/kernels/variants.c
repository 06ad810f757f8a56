/* The FMA kernels' variants by vector width that this CPU runs (kernels.h), for the tests
 * that hold each one to the documented order of operations. */
#include "kernels/kernels.h"

#define REC__VARIANT(w, width, fused)                                                         \
    {width, fused, rec__thin_nn_##w, rec__thin_tn_##w, rec__thin_nt_##w, rec__rows_nn_##w}

/* The baseline variant fuses where the baseline instruction set has FMA (not x86-64's SSE2;
 * AArch64, for one): -ffp-contract=fast contracts wherever the target can. */
#if defined(__FP_FAST_FMAF)
#define REC__W4_FUSED 1
#else
#define REC__W4_FUSED 0
#endif

const rec__kernel_variant *rec__kernel_variants(size_t *n)
{
#if defined(REC__WIDTHS_ALL)
    static const rec__kernel_variant all[] = {
        REC__VARIANT(w16, 16, 1), REC__VARIANT(w8, 8, 1), REC__VARIANT(w4, 4, REC__W4_FUSED)};
    const int w = rec__kernels_width();
    const size_t first = w == 16 ? 0 : w == 8 ? 1 : 2;
    *n = 3 - first;
    return all + first;
#else
    static const rec__kernel_variant all[] = {REC__VARIANT(w4, 4, REC__W4_FUSED)};
    *n = 1;
    return all;
#endif
}
