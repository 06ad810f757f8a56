/* The accumulated gradient of a model, out to caller buffers and back (rec/gradient.h), for
 * summing the gradients of several processes between rec_model_compute_gradients() and
 * rec_model_apply_gradients(). Reads and writes rec__param.g and its touched-row list only:
 * the parameters' layout and the training code are untouched.
 *
 * Dense part: kernel then bias of each layer. Tables, in a fixed order that every process
 * building the same description agrees on: per feature its embedding, linear table and factor
 * vector (the last two only in BIASED_DOT / FM models), then the global bias (the parameter
 * list's `tables`, model/params.c). */
#include "model/model.h"

#include <math.h>
#include <string.h>

static rec_status table_param(rec__param **out, const rec_model *m, size_t table,
                              const char *fn)
{
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    const rec__params *ps = &m->params;
    if (table >= ps->n_tables)
        return rec__error(REC_EINVAL, "%s: table %zu out of range (the model has %zu)", fn,
                          table, ps->n_tables);
    *out = ps->e[ps->tables[table]].p;
    return REC_OK;
}

static rec_status check_dense(const rec_model *m, const void *buf, size_t n, const char *fn)
{
    rec_status rc = rec__model_check_built(m, fn);
    if (rc)
        return rc;
    size_t want = rec__params_dense_floats(&m->params);
    if (n != want)
        return rec__error(REC_ESHAPE, "%s: n = %zu, the model's dense gradient has %zu values",
                          fn, n, want);
    if (!buf && n > 0)
        return rec__error(REC_EINVAL, "%s: buffer is NULL", fn);
    return REC_OK;
}

/* The first non-finite value of a[0..n), or n. */
static size_t first_non_finite(const float *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return i;
    return n;
}

size_t rec_model_grad_dense_size(const rec_model *m)
{
    return m && m->built ? rec__params_dense_floats(&m->params) : 0;
}

rec_status rec_model_grad_dense_get(float *out, size_t n, const rec_model *m)
{
    rec_status rc = check_dense(m, out, n, "rec_model_grad_dense_get");
    if (rc)
        return rc;
    const rec__params *ps = &m->params;
    for (size_t i = 0; i < ps->n; i++) {
        const rec__param *p = ps->e[i].p;
        if (p->row_dim == 0) {
            memcpy(out, p->g, p->n * sizeof *out);
            out += p->n;
        }
    }
    return REC_OK;
}

rec_status rec_model_grad_dense_set(rec_model *m, const float *grad, size_t n)
{
    static const char fn[] = "rec_model_grad_dense_set";
    rec_status rc = check_dense(m, grad, n, fn);
    if (rc)
        return rc;
    size_t bad = first_non_finite(grad, n);
    if (bad < n)
        return rec__error(REC_ENUMERIC, "%s: grad[%zu] = %g is not finite", fn, bad,
                          (double)grad[bad]);
    const rec__params *ps = &m->params;
    for (size_t i = 0; i < ps->n; i++) {
        rec__param *p = ps->e[i].p;
        if (p->row_dim == 0) {
            memcpy(p->g, grad, p->n * sizeof *grad);
            grad += p->n;
        }
    }
    return REC_OK;
}

size_t rec_model_grad_n_tables(const rec_model *m)
{
    return m && m->built ? m->params.n_tables : 0;
}

rec_status rec_model_grad_table_shape(uint32_t *n_rows_out, uint32_t *dim_out,
                                      size_t *n_touched_out, const rec_model *m, size_t table)
{
    rec__param *p = NULL;
    rec_status rc = table_param(&p, m, table, "rec_model_grad_table_shape");
    if (rc)
        return rc;
    if (n_rows_out)
        *n_rows_out = (uint32_t)(p->n / p->row_dim);
    if (dim_out)
        *dim_out = p->row_dim;
    if (n_touched_out)
        *n_touched_out = p->n_touched;
    return REC_OK;
}

rec_status rec_model_grad_table_get(uint32_t *rows_out, float *grad_out, size_t cap,
                                    size_t *n_out, const rec_model *m, size_t table)
{
    static const char fn[] = "rec_model_grad_table_get";
    rec__param *p = NULL;
    rec_status rc = table_param(&p, m, table, fn);
    if (rc)
        return rc;
    if (n_out)
        *n_out = p->n_touched;
    if (cap < p->n_touched)
        return rec__error(REC_ESHAPE, "%s: table %zu has %zu touched rows, cap is %zu", fn,
                          table, p->n_touched, cap);
    if (p->n_touched > 0 && (!rows_out || !grad_out))
        return rec__error(REC_EINVAL, "%s: rows_out and grad_out must be non-NULL", fn);
    for (size_t i = 0; i < p->n_touched; i++) {
        uint32_t row = p->touched[i];
        rows_out[i] = row;
        memcpy(grad_out + i * p->row_dim, p->g + (size_t)row * p->row_dim,
               p->row_dim * sizeof *grad_out);
    }
    return REC_OK;
}

rec_status rec_model_grad_table_set(rec_model *m, size_t table, const uint32_t *rows,
                                    const float *grad, size_t n)
{
    static const char fn[] = "rec_model_grad_table_set";
    rec__param *p = NULL;
    rec_status rc = table_param(&p, m, table, fn);
    if (rc)
        return rc;
    if (n > 0 && (!rows || !grad))
        return rec__error(REC_EINVAL, "%s: rows and grad must be non-NULL when n > 0", fn);
    size_t n_rows = p->n / p->row_dim, dim = p->row_dim;
    /* validate everything first, so a failure leaves the gradient as it was */
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= n_rows)
            return rec__error(REC_EINVAL, "%s: rows[%zu] = %u out of range (table %zu has "
                              "%zu rows)", fn, i, rows[i], table, n_rows);
    size_t total;
    if (!rec__alloc_mul(n, dim, &total))
        return rec__error(REC_EINVAL, "%s: n = %zu rows of %zu overflow", fn, n, dim);
    size_t bad = first_non_finite(grad, total);
    if (bad < total)
        return rec__error(REC_ENUMERIC, "%s: the gradient of rows[%zu] = %u is not finite", fn,
                          bad / dim, rows[bad / dim]);
    rec__param_zero_grad(p);
    for (size_t i = 0; i < n; i++) {
        float *g = rec__param_grad_row(p, rows[i]);
        const float *src = grad + i * dim;
        for (size_t k = 0; k < dim; k++)
            g[k] += src[k];
    }
    return REC_OK;
}
