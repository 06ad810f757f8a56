/* The label range of a model (rec__serving.y_lo, y_hi; rec_model_label_range): the least and
 * greatest finite label of the dataset it was built on and of every training call since, to
 * which rec_model_set_clip keeps predictions. */
#include "model/model.h"

#include <math.h>

void rec__model_label_widen_range(rec_model *m, double lo, double hi)
{
    rec__serving *s = &m->serve;
    if (!s->has_range) {
        s->y_lo = lo;
        s->y_hi = hi;
        s->has_range = 1;
        return;
    }
    if (lo < s->y_lo)
        s->y_lo = lo;
    if (hi > s->y_hi)
        s->y_hi = hi;
}

void rec__model_label_widen(rec_model *m, const rec_dataset *ds, const uint32_t *rows, size_t n)
{
    const rec__column *col = m->label ? rec__dataset_find(ds, m->label) : NULL;
    if (!col || col->type != REC_COLUMN_NUMBER)
        return;
    if (!rows)
        n = ds->n_rows;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double y = col->numbers[rows ? rows[i] : i];
        if (!isfinite(y))
            continue;
        if (y < lo)
            lo = y;
        if (y > hi)
            hi = y;
    }
    if (lo <= hi)
        rec__model_label_widen_range(m, lo, hi);
}
