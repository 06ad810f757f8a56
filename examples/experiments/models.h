/* The descriptions of the models beyond the tutorial's presets, shared by their example
 * programs (deep.c, best.c) and the benchmark (bench.c), so that the benchmark times exactly
 * the model the example trains. Uses only <rec.h> and experiment.h's options. */
#ifndef REC_EXAMPLES_MODELS_H
#define REC_EXAMPLES_MODELS_H

#include "experiment.h"

/* deep.c's model (the tutorial's exercise): ids, age, gender, occupation, title, genres and
 * release year into Dense(128, relu) → Dense(64, relu) → Dense(1), with o->l2, o->dropout and
 * o->patience applied. Unbuilt, in *out; returns a status (the message in rec_last_error()). */
rec_status models_deep_describe(rec_model **out, const experiment_opts *o);

/* best.c's model: a factorization machine over o->features (default
 * MODELS_BEST_FEATURES), K = o->dim, ordered probit unless o->likelihood is "gaussian". */
#define MODELS_BEST_FEATURES "history,raters,day,gender,occupation,age,genres"
rec_status models_best_describe(rec_model **out, const experiment_opts *o);
/* 0 if o->features names only known features of best's model, else prints why to stderr
 * (as program `prog`) and returns 1. */
int models_best_check_features(const experiment_opts *o, const char *prog);
/* The implicit-feedback columns best's model reads (user_history, movie_raters), built from
 * the ratings of `from` only, added to each of sets[0..n). */
rec_status models_best_prepare(rec_dataset *const *sets, size_t n, const rec_dataset *from,
                               const experiment_opts *o);

#endif
