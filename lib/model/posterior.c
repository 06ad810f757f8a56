/* The posterior samples of Gibbs sampling (rec__posterior, model.h), owned by the model:
 * lib/mcmc fills them, predictions average over them, and anything that moves the weights
 * away from them (gradient training, a new build) forgets them. */
#include "model/model.h"

void rec__posterior_forget(rec__posterior *p)
{
    rec__free(p->samples);
    rec__free(p->classes);
    p->samples = NULL;
    p->classes = NULL;
    p->n_samples = 0;
    p->n_classes = 0;
    p->sample_len = 0;
}
