/* The label range and clipping (rec_model_set_clip, rec_model_label_range): a model predicts
 * outside the labels it learnt from when an input lies far from its training data (a numeric
 * feature of 10^9 where the training values were 18..67); clipping keeps rec_model_predict,
 * and so every recommendation, within [min label, max label] of build and training
 * (model/serving.c records them). */
#include "infer/infer.h"

void rec__infer_clip(const rec_model *m, float *p, size_t n)
{
    const rec__serving *s = &m->serve;
    if (!s->clip || !s->has_range)
        return;
    const float lo = (float)s->y_lo, hi = (float)s->y_hi;
    for (size_t i = 0; i < n; i++) {
        /* comparisons, not fminf/fmaxf, which would turn a NaN into a bound */
        if (p[i] < lo)
            p[i] = lo;
        else if (p[i] > hi)
            p[i] = hi;
    }
}

rec_status rec_model_set_clip(rec_model *m, int clip)
{
    static const char fn[] = "rec_model_set_clip";
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (clip && !m->serve.has_range && !m->label)
        return rec__error(REC_ESTATE, "%s: the model has no label range to clip to, nor a "
                          "label column (call rec_model_set_label, then build or train it)", fn);
    if (clip && !m->serve.has_range)
        return rec__error(REC_ESTATE, "%s: the model has no label range to clip to (build it "
                          "on a dataset with its label column '%s', or train it)", fn,
                          m->label);
    m->serve.clip = clip != 0;
    return REC_OK;
}

rec_status rec_model_label_range(double *min_out, double *max_out, const rec_model *m)
{
    static const char fn[] = "rec_model_label_range";
    if (!min_out)
        return rec__error(REC_EINVAL, "%s: min_out is NULL", fn);
    if (!max_out)
        return rec__error(REC_EINVAL, "%s: max_out is NULL", fn);
    if (!m)
        return rec__error(REC_EINVAL, "%s: model is NULL", fn);
    if (!m->serve.has_range)
        return rec__error(REC_ESTATE, "%s: the model has no label range (it was loaded from a "
                          "version-1 file, or built on a dataset without its label column '%s' "
                          "and not trained since)", fn, m->label ? m->label : "(none set)");
    *min_out = m->serve.y_lo;
    *max_out = m->serve.y_hi;
    return REC_OK;
}
