/* The trainer: the threads of one training call, and the path chosen once for it from the
 * table below (train.h). */
#include "train/train.h"

#include <string.h>

/* In order of preference: the first path that takes the model is used. The generic path takes
 * every model, so the search always ends. */
static const rec__path *const paths[] = {
    &rec__fast_mlp_path,       /* an MLP with a one-unit head, T > 1 */
    &rec__fast_dot_owner_path, /* the user-item dot product, T > 1, tables beyond L2 */
    &rec__fast_dot_path,       /* the user-item dot product on one thread */
    &rec__parallel_path,       /* everything, any T */
};

/* The first path that takes m on T threads for batches of `batch`, and the threads it uses. */
static const rec__path *choose(const rec_model *m, uint32_t T, size_t batch, uint32_t *used)
{
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        uint32_t t = paths[i]->applies(m, T, batch);
        if (t) {
            *used = t;
            return paths[i];
        }
    }
    *used = 1; /* not reached: the generic path takes every model */
    return &rec__parallel_path;
}

void rec__train_stop(rec__trainer *tr)
{
    if (tr->path)
        tr->path->stop(tr);
    rec__pool_stop(tr->pool);
    rec__free(tr->out);
    memset(tr, 0, sizeof *tr);
}

rec_status rec__train_start(rec__trainer *tr, rec_model *m, const rec__featset *fs,
                            size_t batch, const char *fn)
{
    memset(tr, 0, sizeof *tr);
    tr->m = m;
    /* gradient training moves the weights away from any posterior samples */
    rec__posterior_forget(&m->post);
    uint32_t T = rec__pool_threads_for(batch, rec__model_threads(m), REC__TRAIN_MIN_SLICE);
    uint32_t used1;
    tr->path = choose(m, T, batch, &tr->T);
    tr->path1 = choose(m, 1, batch, &used1);
    m->ws.drop_rng = &m->drop_rng;
    rec_status rc = tr->path->start(tr, fs, batch, fn);
    if (!rc) {
        tr->out = rec__calloc(tr->T, sizeof *tr->out);
        if (!tr->out)
            rc = rec__error(REC_ENOMEM, "%s: out of memory", fn);
    }
    if (!rc)
        rc = rec__pool_start(&tr->pool, tr->T, fn);
    if (rc)
        rec__train_stop(tr);
    return rc;
}

rec_status rec__train_step(rec__trainer *tr, rec_optimizer *opt, const rec__featset *fs,
                           const uint32_t *idx, size_t B, const uint32_t *next, size_t next_n,
                           double *sse, const char *fn)
{
    /* a short last batch may not fill every thread */
    uint32_t T = rec__pool_threads_for(B, tr->T, REC__TRAIN_MIN_SLICE);
    memset(tr->out, 0, T * sizeof *tr->out);
    tr->next = next;
    tr->next_n = next ? next_n : 0;
    const rec__path *p = T > 1 ? tr->path : tr->path1;
    if (p != tr->path)
        tr->ahead_gen++; /* what the main path prepared ahead is not for this batch */
    return p->step(tr, opt, fs, idx, B, T, sse, fn);
}
