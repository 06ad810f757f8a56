/* What every training path needs before its first batch (train.h): thread 0's workspace, the
 * other threads' state, the size of their slices. */
#include "train/train.h"

rec_status rec__train_diverged(const char *fn)
{
    return rec__error(REC_ENUMERIC, "%s: the loss is not finite (training diverged; lower the "
                      "learning rate)", fn);
}

size_t rec__train_slice_cap(size_t batch, uint32_t T)
{
    uint32_t t = rec__pool_threads_for(batch, T, REC__TRAIN_MIN_SLICE);
    size_t s = (batch + t - 1) / t;
    if (s < 2 * REC__TRAIN_MIN_SLICE)
        s = 2 * REC__TRAIN_MIN_SLICE; /* a short last batch may run on fewer threads */
    return s < batch ? s : batch;
}

rec_status rec__train_prepare(rec__trainer *tr, const rec__featset *fs, size_t slice,
                              size_t cap0, const char *fn)
{
    rec_model *m = tr->m;
    rec_status rc = rec__workspace_reserve(&m->ws, m, cap0, 1, fn);
    if (!rc)
        rc = rec__workspace_reserve_keys(&m->ws, m, fs, fn);
    if (rc || tr->T <= 1)
        return rc;
    return rec__workspace_threads(m, fs, tr->T, slice, fn);
}
