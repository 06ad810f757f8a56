/* A single-process program (plain librec, no MPI): load two model files and compare their
 * weights (every embedding table and dense layer). Prints the largest absolute difference;
 * exits 0 when it is at most TOL, 1 when larger, 2 on a load failure or a shape mismatch.
 * usage: compare_models A.rec B.rec TOL */
#include <rec.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* All embedding and dense weights of m, concatenated; NULL on failure. */
static float *weights(const rec_model *m, size_t *n)
{
    size_t total = rec_model_n_params(m), at = 0;
    float *w = malloc((total ? total : 1) * sizeof *w);
    if (!w)
        return NULL;
    for (uint32_t f = 0; f < rec_model_n_features(m); f++) {
        const rec_embedding *e = rec_model_feature_embedding(m, f);
        if (!e)
            continue;
        size_t k = (size_t)rec_embedding_rows(e) * rec_embedding_dim(e);
        if (rec_embedding_get_weights(e, w + at, k))
            goto fail;
        at += k;
    }
    for (size_t l = 0; l < rec_model_n_layers(m); l++) {
        const rec_dense *d = rec_model_layer(m, l);
        size_t nk = (size_t)rec_dense_n_in(d) * rec_dense_n_out(d), nb = rec_dense_n_out(d);
        if (rec_dense_get_weights(d, w + at, nk, w + at + nk, nb))
            goto fail;
        at += nk + nb;
    }
    *n = at;
    return w;
fail:
    free(w);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: compare_models A.rec B.rec TOL\n");
        return 2;
    }
    rec_model *a = NULL, *b = NULL;
    int rc = rec_model_load(&a, argv[1]);
    if (!rc)
        rc = rec_model_load(&b, argv[2]);
    if (rc) {
        fprintf(stderr, "compare_models: %s (%s)\n", rec_last_error(), rec_status_str(rc));
        return 2;
    }
    size_t na = 0, nb = 0;
    float *wa = weights(a, &na), *wb = weights(b, &nb);
    int status = 2;
    if (wa && wb && na == nb && na > 0) {
        double d = 0.0, big = 0.0;
        for (size_t i = 0; i < na; i++) {
            d = fmax(d, fabs((double)wa[i] - (double)wb[i]));
            big = fmax(big, fabs((double)wb[i]));
        }
        printf("%zu weights, max |a - b| = %.3g (largest |weight| %.3g)\n", na, d, big);
        status = d <= atof(argv[3]) ? 0 : 1;
    } else {
        fprintf(stderr, "compare_models: the models differ in shape (%zu vs %zu weights)\n", na,
                nb);
    }
    free(wa);
    free(wb);
    rec_model_free(a);
    rec_model_free(b);
    return status;
}
