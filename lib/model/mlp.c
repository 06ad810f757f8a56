/* The MLP interaction: the concatenated features through the dense layers, the last of one
 * unit, ŷ_b = its output; backward runs each layer's pass (rec__dense_backward_raw) from
 * ∂L/∂ŷ_b = 2 (ŷ_b − y_b)/B, through dropout's masks, to ∂L/∂x for the embedding tables. In
 * training without dropout, layer 0 may go feature by feature over the slice's distinct keys
 * (layer0.c), with a one-unit head fused into its passes. Evaluation and prediction multiply
 * with products whose rows do not depend on each other (rec__dense_forward_rows). */
#include "model/model.h"

REC_CLONES
static const float *mlp_forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                                size_t n, int train, size_t batch)
{
    ws->by_feature = 0;
    /* dropout needs each layer's output on its own: no fused first layer */
    if (train && !rec__regularize_has_dropout(m))
        rec__layer0_plan(m, ws, fs, n);
    if (!ws->by_feature)
        rec__embed_forward(m, fs, ws->bk, ws->cap, n, ws->x);
    const float *in = ws->x;
    size_t first = 0;
    if (ws->by_feature) {
        rec__layer0_forward(m, ws, fs, n, rec__model_has_head(m) ? ws->act[1] : NULL,
                            2.0f / (float)batch);
        if (rec__model_has_head(m))
            return ws->act[1];
        in = ws->act[0];
        first = 1;
    }
    for (size_t l = first; l < m->n_layers; l++) {
        /* evaluation and prediction: every row's bits independent of the rows beside it */
        if (train)
            rec__dense_forward_raw(m->layers[l].dense, in, n, ws->act[l]);
        else
            rec__dense_forward_rows(m->layers[l].dense, in, n, ws->act[l]);
        in = ws->act[l];
        if (train)
            in = rec__regularize_drop(m, ws, l, in, n); /* in itself without dropout */
    }
    return in; /* the last layer has one unit: its output is the n predictions */
}

REC_CLONES
static void mlp_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                         const rec__featset *fs, size_t n, float scale, const float *pred)
{
    const size_t L = m->n_layers;
    float *dlast = ws->dact[L - 1];
    for (size_t b = 0; b < n; b++)
        dlast[b] = scale * (pred[b] - ws->by[b]);
    for (size_t l = L; l-- > 0;) {
        if (ws->by_feature && (l == 0 || (l == 1 && rec__model_has_head(m)))) {
            rec__layer0_backward(m, ws, ts, fs, n);
            return; /* it also did the head, and reached the embeddings */
        }
        const rec__layer *ly = &m->layers[l];
        rec_dense *d = ly->dense;
        const float *in = rec__regularize_layer_input(m, ws, l); /* after dropout, if any */
        float *din = l ? ws->dact[l - 1] : ws->dx;
        if (ts)
            rec__dense_backward_raw(d, in, ws->act[l], ws->dact[l], n, ws->delta,
                                    ts->dg[ly->param_kernel], ts->dg[ly->param_bias], 0, din);
        else
            rec__dense_backward_raw(d, in, ws->act[l], ws->dact[l], n, ws->delta,
                                    rec__dense_kernel(d)->g, rec__dense_bias(d)->g, 1, din);
        if (l)
            rec__regularize_drop_back(m, ws, l - 1, din, n);
    }
    rec__embed_backward_slice(m, ws, ts, fs, n);
}

const rec__interaction rec__mlp_ops = {"MLP", mlp_forward, mlp_backward};
