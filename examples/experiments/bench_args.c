/* The bench's options (bench.h); usage() lists them. */
#define _GNU_SOURCE /* strdup, strtok_r */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

/* ---- arguments ------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: bench [--data DIR | --synth N[,USERS,MOVIES]]\n"
            "             [--models dot,one_layer,enriched,deep,best] [--threads 1,2]\n"
            "             [--epochs 5] [--best-sweeps 350] [--repeats 5] [--batch 2048]\n"
            "             [--eval-batch 4096] [--eval-rows N] [--seed 42] [--lr 0.1]\n"
            "             [--json FILE|-] [--no-sgemm] [--no-predict]\n"
            "  --models defaults to all five on MovieLens, the first three on --synth data;\n"
            "  deep and best are the examples' models (MovieLens only: they read its side\n"
            "  features). best trains by\n"
            "  --best-sweeps Gibbs sweeps (the first 40, or half if fewer than 80, burn-in);\n"
            "  its epoch figures are per sweep.\n"
            "  --data defaults to $REC_DATA_DIR (MovieLens 100K, split 80/20 as the tutorial).\n"
            "  --synth N: N synthetic ratings (rec_dataset_synthesize); users and movies default\n"
            "  to MovieLens shapes (<=150k: 943/1682, <=1.5M: 6040/3706, <=15M: 69878/10677, else\n"
            "  162541/62423). Training uses all N ratings; evaluation and prediction a copy of\n"
            "  the first N/5 rows (at most 1M, or --eval-rows).\n");
}

static int parse_list(const char *s, uint32_t *out, int cap)
{
    int n = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < cap; t = strtok_r(NULL, ",", &save)) {
        long v = strtol(t, NULL, 10);
        if (v <= 0 || v > 256) {
            n = -1;
            break;
        }
        out[n++] = (uint32_t)v;
    }
    free(copy);
    return n;
}

int parse(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->data_dir = getenv("REC_DATA_DIR");
    o->n_models = -1; /* all five on MovieLens, the presets on --synth data (below) */
    o->threads[0] = 1, o->threads[1] = 2, o->n_threads = 2;
    o->epochs = 5;
    o->repeats = 5;
    o->batch = 2048;
    o->eval_batch = 4096;
    o->seed = 42;
    o->lr = 0.1f;
    o->sgemm = o->predict = 1;
    o->best_sweeps = 350; /* best.c's default */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-sgemm")) {
            o->sgemm = 0;
            continue;
        }
        if (!strcmp(a, "--no-predict")) {
            o->predict = 0;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h") || !v) {
            usage();
            return 1;
        }
        i++;
        if (!strcmp(a, "--data")) {
            o->data_dir = v;
        } else if (!strcmp(a, "--synth")) {
            unsigned long long n = 0, u = 0, m = 0;
            int k = sscanf(v, "%llu,%llu,%llu", &n, &u, &m);
            if (k < 1 || n == 0 || (k == 2) || (k == 3 && (u == 0 || m == 0))) {
                fprintf(stderr, "bench: --synth N or N,USERS,MOVIES\n");
                return 1;
            }
            o->synth_n = (size_t)n;
            if (k == 3) {
                o->synth_users = (uint32_t)u;
                o->synth_movies = (uint32_t)m;
            } else if (n <= 150000) {
                o->synth_users = 943, o->synth_movies = 1682;
            } else if (n <= 1500000) {
                o->synth_users = 6040, o->synth_movies = 3706;
            } else if (n <= 15000000) {
                o->synth_users = 69878, o->synth_movies = 10677;
            } else {
                o->synth_users = 162541, o->synth_movies = 62423;
            }
        } else if (!strcmp(a, "--models")) {
            o->n_models = 0;
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int found = -1;
                for (int k = 0; k < N_MODELS; k++)
                    if (!strcmp(t, model_names[k]))
                        found = k;
                if (found < 0 || o->n_models == N_MODELS) {
                    fprintf(stderr, "bench: unknown or repeated model '%s' (dot, one_layer, "
                                    "enriched, deep, best)\n", t);
                    free(copy);
                    return 1;
                }
                for (int k = 0; k < o->n_models; k++)
                    if (o->models[k] == found)
                        found = -1;
                if (found < 0) {
                    fprintf(stderr, "bench: model '%s' named twice\n", t);
                    free(copy);
                    return 1;
                }
                o->models[o->n_models++] = found;
            }
            free(copy);
        } else if (!strcmp(a, "--threads")) {
            o->n_threads = parse_list(v, o->threads, 8);
            if (o->n_threads <= 0) {
                fprintf(stderr, "bench: --threads takes counts 1..256, comma-separated\n");
                return 1;
            }
        } else if (!strcmp(a, "--epochs")) {
            o->epochs = (unsigned)atoi(v);
        } else if (!strcmp(a, "--best-sweeps")) {
            long n = strtol(v, NULL, 10);
            if (n < 2 || n > MAX_EPOCHS) {
                fprintf(stderr, "bench: --best-sweeps 2..%d\n", MAX_EPOCHS);
                return 1;
            }
            o->best_sweeps = (unsigned)n;
        } else if (!strcmp(a, "--repeats")) {
            o->repeats = (unsigned)atoi(v);
        } else if (!strcmp(a, "--batch")) {
            o->batch = (size_t)atoll(v);
        } else if (!strcmp(a, "--eval-batch")) {
            o->eval_batch = (size_t)atoll(v);
        } else if (!strcmp(a, "--eval-rows")) {
            o->eval_rows = (size_t)atoll(v);
        } else if (!strcmp(a, "--seed")) {
            o->seed = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--lr")) {
            o->lr = (float)atof(v);
        } else if (!strcmp(a, "--json")) {
            o->json = v;
        } else {
            fprintf(stderr, "bench: unknown option %s\n", a);
            usage();
            return 1;
        }
    }
    if (o->epochs < 1 || o->epochs > MAX_RUNS * 8 || o->repeats < 1 || o->repeats > MAX_RUNS ||
        o->batch == 0 || o->eval_batch == 0) {
        fprintf(stderr, "bench: --epochs 1..%d, --repeats 1..%d, batches > 0\n", MAX_RUNS * 8,
                MAX_RUNS);
        return 1;
    }
    o->best_burn_in = o->best_sweeps >= 80 ? 40 : o->best_sweeps / 2;
    if (o->n_models < 0) {
        o->n_models = o->synth_n || !o->data_dir || !*o->data_dir ? 3 : N_MODELS;
        for (int i = 0; i < o->n_models; i++)
            o->models[i] = i;
    }
    if (!o->synth_n && (!o->data_dir || !*o->data_dir)) {
        /* `meson test --benchmark` without REC_DATA_DIR: MovieLens-100K-shaped synthetic data */
        fprintf(stderr, "bench: no --data and no REC_DATA_DIR: using --synth 100000\n");
        o->synth_n = 100000;
        o->synth_users = 943;
        o->synth_movies = 1682;
    }
    for (int i = 0; i < o->n_models; i++)
        if (o->synth_n && o->models[i] >= MODEL_DEEP) {
            fprintf(stderr, "bench: %s reads MovieLens's side features (age, gender, occupation, "
                            "release date), which --synth data does not have: use --data\n",
                    model_names[o->models[i]]);
            return 1;
        }
    return 0;
}

