/* The row-exact product of evaluation and prediction (kernels.h): Y = X·W with each row's
 * sums in an order that does not depend on the other rows of the call. */
#include "kernels/kernels.h"

/* Y = X·W for any shape (X n×k with rows ldx apart, W k×m, Y n×m with rows ldy apart), each
 * Y[r][j] summed over i = 0, 1, …, k−1 in increasing order from 0, one multiply-add per term:
 * the same operations for every row, whatever rows share the call. Evaluation and prediction
 * need that, and OpenBLAS does not give it: its kernels take the rows in groups (12 on Zen)
 * and compute a row's sums with other roundings by its place in the group and in a last
 * partial group. Rows go in register blocks against a block of columns, then one vector of
 * columns at a time, then the last few columns, all with the same operation per element; the
 * loops are rows_body.h, built for three vector widths (kernels.h). */

#if defined(REC__WIDTHS_ALL)
/* AVX-512: 3 rows against 32 columns (6 accumulators). */
#define REC__W 16
#define REC__RR 3
#define REC__RC 2
#include "kernels/rows_body.h"

/* AVX2: 3 rows against 32 columns (12 accumulators of 16 registers). */
#define REC__W 8
#define REC__RR 3
#define REC__RC 4
#include "kernels/rows_body.h"
#endif

/* SSE2 and everything else: 2 rows against 16 columns. */
#define REC__W 4
#define REC__RR 2
#define REC__RC 4
#include "kernels/rows_body.h"

REC__BY_WIDTH(rec__rows_nn, REC__ROWS_NN_PARAMS, (n, k, m, x, ldx, w, y, ldy))
