/*
 * lib/train: gradient training — rec_model_fit, _train_epoch, _compute_gradients and
 * _apply_gradients, the prepared features, and the table of training paths that carry a batch
 * through forward, backward and the update on one or T threads. Above every other folder of
 * librec (rec_model_fit validates through lib/infer). Never installed.
 *
 * A training path (rec__path) is chosen once per call by the trainer (paths.c), from the table
 * in order: the first whose `applies` takes the model, the thread count and the batch size.
 * Each path ends a batch with the same update over the parameter list (model/params.c). The
 * generic path (parallel.c) trains every model on any thread count and is the reference the
 * others are tested against (tests/test_train_threads.c); the others are fast paths for the
 * shapes that dominate (fast_dot.c: a user-item dot product; fast_mlp.c: an MLP with a
 * one-unit head), with the same results (bit for bit, or to rounding where their comment says).
 */
#ifndef REC_LIB_TRAIN_H
#define REC_LIB_TRAIN_H

#include "infer/infer.h"
#include "model/model.h"

/* Smallest slice worth a thread: below it the fork-join costs more than the work. */
#define REC__TRAIN_MIN_SLICE 64

/* The thread of T that owns an embedding row, for the paths that update each row on one
 * thread: blocks of 2^shift rows spread over the threads by a multiplicative (Fibonacci)
 * hash, so that a block's rows share the owner and neighbouring blocks rarely do. */
static inline uint32_t rec__train_row_owner(uint32_t row, unsigned shift, uint32_t T)
{
    uint32_t h = (row >> shift) * 0x9E3779B1u;
    return (uint32_t)(((uint64_t)h * T) >> 32);
}

typedef struct rec__trainer rec__trainer;

/* One way to train a batch. */
typedef struct rec__path {
    const char *name;
    /* The threads the path trains m on, given T ≥ 1 threads and batches of at most `batch`
     * examples, or 0 when it does not take the model. */
    uint32_t (*applies)(const rec_model *m, uint32_t T, size_t batch);
    /* Its buffers for batches of at most `batch` examples of fs on tr->T threads. */
    rec_status (*start)(rec__trainer *tr, const rec__featset *fs, size_t batch, const char *fn);
    /* The gradient of batch idx[0..B) on T ≤ tr->T threads into the parameters and, with opt,
     * the update; *sse gets the batch's squared-error sum. A batch whose loss is not finite
     * changes nothing and returns REC_ENUMERIC. */
    rec_status (*step)(rec__trainer *tr, rec_optimizer *opt, const rec__featset *fs,
                       const uint32_t *idx, size_t B, uint32_t T, double *sse, const char *fn);
    /* Frees what start made (also after a failed start). */
    void (*stop)(rec__trainer *tr);
} rec__path;

/* The threads, buffers and path of one training call. */
struct rec__trainer {
    rec_model *m;
    const rec__path *path;   /* full batches, on T threads */
    const rec__path *path1;  /* a batch too short for more than one thread */
    uint32_t T;
    rec__pool *pool;
    rec__pool_out *out;      /* T */
    void *state;             /* the path's own */
    /* the batch after the one being trained, in the same order (NULL: none or unknown), which
     * a path may prepare ahead, and a count that changes whenever what it prepared may be
     * stale (a new order, a batch on the other path) */
    const uint32_t *next;
    size_t next_n;
    uint64_t ahead_gen;
};

/* The paths (parallel.c, fast_dot.c, fast_mlp.c). */
extern const rec__path rec__parallel_path;
extern const rec__path rec__fast_dot_path;
extern const rec__path rec__fast_dot_owner_path;
extern const rec__path rec__fast_mlp_path;

/* ---- paths.c: the trainer ------------------------------------------------------------------ */

/* Threads, buffers and paths for training m on batches of at most `batch` examples of fs;
 * forgets m's posterior samples (gradient training moves the weights away from them). */
REC_HIDDEN rec_status rec__train_start(rec__trainer *tr, rec_model *m, const rec__featset *fs,
                                       size_t batch, const char *fn);
/* One batch idx[0..B) through the chosen path; next[0..next_n) is the batch that follows in
 * the same order (NULL: none or unknown). */
REC_HIDDEN rec_status rec__train_step(rec__trainer *tr, rec_optimizer *opt,
                                      const rec__featset *fs, const uint32_t *idx, size_t B,
                                      const uint32_t *next, size_t next_n, double *sse,
                                      const char *fn);
REC_HIDDEN void rec__train_stop(rec__trainer *tr);

/* ---- prepare.c ------------------------------------------------------------------------------ */

/* What every path needs: thread 0's workspace for `cap0` examples, and for T > 1 the other
 * threads' state for slices of at most `slice` (model/workspace.c). */
REC_HIDDEN rec_status rec__train_prepare(rec__trainer *tr, const rec__featset *fs, size_t slice,
                                         size_t cap0, const char *fn);
/* Largest slice a batch of at most `batch` examples gives one of T threads. */
REC_HIDDEN size_t rec__train_slice_cap(size_t batch, uint32_t T);
/* REC_ENUMERIC for a batch whose loss is not finite. */
REC_HIDDEN rec_status rec__train_diverged(const char *fn);

/* ---- parallel.c: the generic path -------------------------------------------------------- */

/* The generic step on one thread (the fast paths fall back to it). */
REC_HIDDEN rec_status rec__parallel_serial_step(rec__trainer *tr, rec_optimizer *opt,
                                                const rec__featset *fs, const uint32_t *idx,
                                                size_t B, double *sse, const char *fn);
/* The end of a threaded step: the first failure among the T threads' results (REC_OK if
 * none); then, unless the threads updated the parameters by rows (updated), L2 and the update
 * of the whole gradient, as on one thread. */
REC_HIDDEN rec_status rec__parallel_finish(rec_model *m, rec_optimizer *opt, int updated,
                                           const rec__pool_out *out, uint32_t T,
                                           const char *fn);

/* ---- fit.c ----------------------------------------------------------------------------------- */

/* The gradients of examples idx[0..n) of fs (a labelled feature set, n > 0) accumulated into
 * m, as rec_model_compute_gradients() does; *loss_out (may be NULL) gets the batch's MSE.
 * Shared with the prepared features of features.c, so both give the same bits. */
REC_HIDDEN rec_status rec__train_gradients(rec_model *m, const rec__featset *fs,
                                           const uint32_t *idx, size_t n, double *loss_out,
                                           const char *fn);

#endif
