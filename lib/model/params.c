/* The parameter list (model.h): every trainable array of a built model, listed once, in the
 * order of the model file's sections. Everything that visits "every parameter" goes through it:
 * the model file (weights and optimizer state), the gradient API (in its own table order),
 * optimizer application, L2, early stopping's snapshots, the parameter count and the threaded
 * training paths. This is the one place that knows which parameters a model has. */
#include "model/model.h"

#include <stdio.h>

static void put(rec__params *ps, rec__param *p, rec__param_role role, uint32_t owner,
                const float *l2, const char *column)
{
    static const char *role_name[] = {"embedding", "kernel", "bias", "global bias",
                                      "linear weights", "factor vector"};
    rec__params_entry *e = &ps->e[ps->n++];
    e->p = p;
    e->role = role;
    e->owner = owner;
    e->l2 = l2;
    if (role == REC__PARAM_KERNEL || role == REC__PARAM_BIAS)
        snprintf(e->what, sizeof e->what, "layer %u %s", owner, role_name[role]);
    else if (role == REC__PARAM_GLOBAL_BIAS)
        snprintf(e->what, sizeof e->what, "%s", role_name[role]);
    else
        snprintf(e->what, sizeof e->what, "'%.40s' %s", column, role_name[role]);
}

rec_status rec__params_build(rec_model *m, const char *fn)
{
    rec__params_release(&m->params);
    rec__params *ps = &m->params;
    size_t cap = 3 * m->n_feats + 2 * m->n_layers + 1;
    ps->e = rec__calloc(cap, sizeof *ps->e);
    ps->tables = rec__calloc(cap, sizeof *ps->tables);
    if (!ps->e || !ps->tables) {
        rec__params_release(ps);
        return rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__feature *f = &m->feats[i];
        f->param_emb = f->param_lin = f->param_nvec = REC__PARAM_NONE;
        if (f->emb) {
            f->param_emb = (uint32_t)ps->n;
            put(ps, rec__embedding_param(f->emb), REC__PARAM_EMBEDDING, (uint32_t)i, &f->l2_emb,
                f->column);
        }
    }
    for (size_t l = 0; l < m->n_layers; l++) {
        rec__layer *ly = &m->layers[l];
        ly->param_kernel = (uint32_t)ps->n;
        ly->param_bias = (uint32_t)ps->n + 1;
        put(ps, rec__dense_kernel(ly->dense), REC__PARAM_KERNEL, (uint32_t)l, &ly->l2, NULL);
        put(ps, rec__dense_bias(ly->dense), REC__PARAM_BIAS, (uint32_t)l, NULL, NULL);
    }
    m->param_w0 = REC__PARAM_NONE;
    if (m->w0) {
        m->param_w0 = (uint32_t)ps->n;
        put(ps, rec__embedding_param(m->w0), REC__PARAM_GLOBAL_BIAS, 0, NULL, NULL);
    }
    for (size_t i = 0; i < m->n_feats; i++) {
        rec__feature *f = &m->feats[i];
        if (f->lin) {
            f->param_lin = (uint32_t)ps->n;
            put(ps, rec__embedding_param(f->lin), REC__PARAM_LINEAR, (uint32_t)i, &f->l2_lin,
                f->column);
        }
        if (f->nvec) {
            f->param_nvec = (uint32_t)ps->n;
            /* a numeric feature's factors are regularized with its embedding factor */
            put(ps, rec__embedding_param(f->nvec), REC__PARAM_FACTORS, (uint32_t)i, &f->l2_emb,
                f->column);
        }
    }
    /* the gradient API's tables: per feature its embedding, linear table and factor vector,
     * then the global bias (rec/gradient.h) */
    for (size_t i = 0; i < m->n_feats; i++) {
        const uint32_t own[3] = {m->feats[i].param_emb, m->feats[i].param_lin,
                                 m->feats[i].param_nvec};
        for (int k = 0; k < 3; k++)
            if (own[k] != REC__PARAM_NONE)
                ps->tables[ps->n_tables++] = own[k];
    }
    if (m->param_w0 != REC__PARAM_NONE)
        ps->tables[ps->n_tables++] = m->param_w0;
    return REC_OK;
}

void rec__params_release(rec__params *ps)
{
    rec__free(ps->e);
    rec__free(ps->tables);
    memset(ps, 0, sizeof *ps);
}

size_t rec__params_floats(const rec__params *ps)
{
    size_t n = 0;
    for (size_t i = 0; i < ps->n; i++)
        n += ps->e[i].p->n;
    return n;
}

size_t rec__params_dense_floats(const rec__params *ps)
{
    size_t n = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->e[i].p->row_dim == 0)
            n += ps->e[i].p->n;
    return n;
}

void rec__params_get(const rec__params *ps, float *w)
{
    for (size_t i = 0; i < ps->n; i++) {
        memcpy(w, ps->e[i].p->w, ps->e[i].p->n * sizeof *w);
        w += ps->e[i].p->n;
    }
}

void rec__params_set(const rec__params *ps, const float *w)
{
    for (size_t i = 0; i < ps->n; i++) {
        memcpy(ps->e[i].p->w, w, ps->e[i].p->n * sizeof *w);
        w += ps->e[i].p->n;
    }
}

int rec__params_have_state(const rec__params *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        if (!ps->e[i].p->slot_kind)
            return 0;
    return 1;
}

/* ---- the one route to the optimizer ---------------------------------------------------------
 * Every training path ends here: the whole list on one thread (rec__params_apply), or parts
 * of entries as views on many (a dense entry's range, a table's rows), each part updated by one
 * thread. A view is a copy of the parameter's struct narrowed to the part; the optimizer must
 * have created the entry's state already (rec__params_have_state), since a view cannot. */

rec_status rec__params_apply(const rec__params *ps, rec_optimizer *opt, const char *fn)
{
    /* every entry is updated, so that no stale gradient is left behind when one diverges; the
     * first failure is reported */
    rec_status first = REC_OK;
    char msg[512] = "";
    for (size_t i = 0; i < ps->n; i++) {
        rec_status rc = rec__optimizer_apply(opt, ps->e[i].p, ps->e[i].what);
        if (rc && !first) {
            first = rc;
            snprintf(msg, sizeof msg, "%s", rec_last_error());
        }
    }
    return first ? rec__error(first, "%s: %s", fn, msg) : REC_OK;
}

void rec__params_apply_entry(rec_optimizer *opt, const rec__params_entry *e, rec__pool_out *o)
{
    rec_status rc = rec__optimizer_apply(opt, e->p, e->what);
    if (rc)
        rec__pool_fail(o, rc);
}

void rec__params_apply_range(rec_optimizer *opt, const rec__params_entry *e, size_t off,
                             size_t n, rec__pool_out *o)
{
    const rec__param *p = e->p;
    rec__param view = *p;
    view.w += off;
    view.g += off;
    view.slot[0] = p->slot[0] ? p->slot[0] + off : NULL;
    view.slot[1] = p->slot[1] ? p->slot[1] + off : NULL;
    view.n = n;
    rec_status rc = rec__optimizer_apply(opt, &view, e->what);
    if (rc)
        rec__pool_fail(o, rc);
}

void rec__params_apply_rows(rec_optimizer *opt, const rec__params_entry *e, uint32_t *rows,
                            size_t k, rec__pool_out *o)
{
    rec__param view = *e->p;
    view.touched = rows;
    view.n_touched = k;
    rec_status rc = rec__optimizer_apply(opt, &view, e->what);
    if (rc)
        rec__pool_fail(o, rc);
}

/* After a parallel update through views (copies of an entry's struct): Adam's step count,
 * which the optimizer advanced only in the views, advances once for the batch, as on one
 * thread (the other optimizers keep no count). */
void rec__params_count_step(const rec__params_entry *e, const rec_optimizer *opt)
{
    if (rec_optimizer_kind_of(opt) == REC_OPTIMIZER_ADAM)
        e->p->steps++;
}
