/* Trainable parameters: weights, gradient buffer and lazily created optimizer slots. Sparse
 * (row) parameters keep a list of the rows a batch touched, so clearing the gradient and
 * applying an update cost O(rows used), not O(table). */
#include "blocks/blocks.h"

#include <string.h>

rec_status rec__param_init(rec__param *p, size_t n, uint32_t row_dim)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->row_dim = row_dim;
    p->w = rec__malloc_lines(n * sizeof(float));
    p->g = rec__calloc_lines(n, sizeof(float));
    if (!p->w || !p->g)
        goto fail;
    /* g was advised by rec__calloc_lines, before its zeroing touched the pages */
    rec__alloc_advise_hugepages(p->w, n * sizeof(float));
    if (row_dim > 0) {
        size_t rows = n / row_dim;
        /* one spare slot: rec__param_mark_rows writes before it knows whether to keep */
        p->touched = rec__malloc((rows + 1) * sizeof(uint32_t));
        p->is_touched = rec__calloc(rows, 1);
        if (!p->touched || !p->is_touched)
            goto fail;
    }
    return REC_OK;
fail:
    rec__param_release(p);
    return REC_ENOMEM;
}

void rec__param_release(rec__param *p)
{
    rec__free(p->w);
    rec__free(p->g);
    rec__free(p->slot[0]);
    rec__free(p->slot[1]);
    rec__free(p->touched);
    rec__free(p->is_touched);
    memset(p, 0, sizeof *p);
}

float *rec__param_grad_row(rec__param *p, uint32_t row)
{
    if (!p->is_touched[row]) {
        p->is_touched[row] = 1;
        p->touched[p->n_touched++] = row;
    }
    return p->g + (size_t)row * p->row_dim;
}

void rec__param_zero_grad(rec__param *p)
{
    if (p->row_dim == 0) {
        memset(p->g, 0, p->n * sizeof(float));
        return;
    }
    for (size_t i = 0; i < p->n_touched; i++) {
        uint32_t row = p->touched[i];
        memset(p->g + (size_t)row * p->row_dim, 0, p->row_dim * sizeof(float));
        p->is_touched[row] = 0;
    }
    p->n_touched = 0;
}
