/**
 * @file rec.h
 * The only header applications include: librec, a C library for training and serving neural
 * recommender models (rating prediction) with a stable ABI.
 *
 * Conventions (docs/conventions.md): functions are rec_<concept>_<verb>; fallible calls return a
 * ::rec_status (0 = REC_OK, negative = error) and leave a per-thread message in
 * rec_last_error(); constructors return handles through their first argument and the caller
 * frees them with the matching rec_<concept>_free(), which accepts NULL.
 *
 * Threads: librec has no global mutable state: no init/shutdown call, no global RNG (each
 * handle is seeded explicitly), no global logger, and no setlocale. Different handles may be
 * used from different threads at the same time. One handle may be shared only through
 * functions taking a const pointer (prediction, evaluation, recommendation, lookups and save:
 * rec_model_predict(), rec_model_evaluate(), rec_model_recommend(), rec_vocab_lookup(),
 * rec_model_save() and the like), and only while no thread mutates it; any other use of a
 * handle must be serialized by the caller. rec_last_error() is per thread. librec starts
 * threads only where a handle is told to use them (a per-handle thread-count setting, default
 * 1) and joins them before the call returns; BLAS threading belongs to OpenBLAS
 * (OPENBLAS_NUM_THREADS).
 */
#ifndef REC_H
#define REC_H

#include "rec/common.h"
#include "rec/version.h"
#include "rec/error.h"
#include "rec/rng.h"
#include "rec/vocab.h"
#include "rec/embedding.h"
#include "rec/dense.h"
#include "rec/optimizer.h"
#include "rec/discretization.h"
#include "rec/normalization.h"
#include "rec/textvec.h"
#include "rec/dataset.h"
#include "rec/table.h"
#include "rec/movielens.h"
#include "rec/model.h"
#include "rec/synth.h"
#include "rec/gradient.h"
#include "rec/features.h"
#include "rec/serve.h"

#endif
