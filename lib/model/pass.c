/* One forward and backward pass over a slice of a batch: the examples' records gathered
 * (rec__featset_gather), the features, the interaction, and the gradients back into the
 * parameters or a thread's private buffers. Every training path and every evaluation runs its
 * examples through these (the fast paths of lib/train have their own for their shapes).
 *
 * Loss over a batch of B examples: L = (1/B) Σ_b (ŷ_b − y_b)², so ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B.
 * DOT:  ŷ_b = Σ_k u_bk v_bk  →  ∂L/∂u_bk = ∂L/∂ŷ_b · v_bk,  ∂L/∂v_bk = ∂L/∂ŷ_b · u_bk.
 * MLP:  ŷ_b = last layer's output; each dense layer back-propagates (rec__dense_backward_raw).
 * BIASED_DOT, FM: fm.c. Each interaction's passes are an ops table (model.h). Then ∂L/∂x
 * reaches the embedding tables as sparse row gradients (embed.c). In training the first dense
 * layer of an MLP works per feature over the slice's distinct keys when keys repeat (layer0.c:
 * the same gradient with a third of the multiply-adds on MovieLens 100K), and a one-unit head
 * is fused into its passes over the examples.
 * Evaluation and prediction keep the plain layer-by-layer path, with products whose rows do
 * not depend on each other (rec__rows_nn), so that a prediction does not depend, even in the
 * last bit, on the other examples of its batch. */
#include "model/model.h"

const float *rec__pass_forward(const rec_model *m, rec__workspace *ws, const rec__featset *fs,
                               const uint32_t *idx, size_t n, int train, size_t batch)
{
    /* the slice's records, once, into small sequential arrays */
    rec__featset_gather(m, fs, idx, n, ws->bk, ws->cap, fs->has_labels ? ws->by : NULL);
    return m->ops->forward(m, ws, fs, n, train, batch);
}

/* Squared error sum and absolute error sum of n predictions against labels. */
void rec__pass_errors(const float *pred, const float *labels, size_t n, double *sse,
                      double *sae)
{
    double s2 = 0.0, s1 = 0.0;
    for (size_t b = 0; b < n; b++) {
        double d = (double)pred[b] - (double)labels[b];
        s2 += d * d;
        s1 += fabs(d);
    }
    *sse = s2;
    if (sae)
        *sae = s1;
}

void rec__pass_backward(rec_model *m, rec__workspace *ws, rec__tstate *ts,
                        const rec__featset *fs, size_t n, size_t B, const float *pred)
{
    /* ∂L/∂ŷ_b = 2 (ŷ_b − y_b) / B, B the whole batch: slices add up to the batch gradient */
    m->ops->backward(m, ws, ts, fs, n, 2.0f / (float)B, pred);
}
