/* Data-parallel training of the tutorial's enriched model over MPI (built with -Dmpi=enabled):
 *   mpirun -np 2 build/examples/experiments/mpi_train --data DIR [--epochs 3] [--json FILE]
 *                                                     [--save FILE]
 *   mpirun -np 2 build/examples/experiments/mpi_train --synth 25000095,162541,62423 --epochs 1
 * (as root, Open MPI also wants --allow-run-as-root; tests/mpi/run-mpi.sh adds what is needed.)
 * Every rank loads (or synthesizes) the same data and splits it with the seed, builds the
 * same model, then each epoch trains on its slice of every global batch of --batch rows
 * (rec_mpi_train_epoch: one shuffled order from seed + epoch, the same on every rank) and
 * evaluates its share of the test rows (rec_mpi_evaluate). Rank 0 prints Keras-like progress
 * and the JSON; --save writes the model once, from rank 0 (rec_mpi_save), as a file any
 * single-process program loads. --single trains the same global batches in one process with
 * plain librec (rec_model_compute_gradients on the whole batch): the reference the
 * data-parallel result must match up to the order of floating-point sums.
 * Introduces: rec_mpi_create(), rec_mpi_train_epoch(), rec_mpi_evaluate(), rec_mpi_save(),
 * rec_mpi_traffic(), rec_mpi_set_exchange(). */
#define _POSIX_C_SOURCE 200809L
#include <rec.h>
#include <rec/mpi.h>

#include "experiment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct opts {
    const char *data_dir, *json, *save, *exchange;
    size_t synth_n, eval_rows, batch, eval_batch;
    uint32_t synth_users, synth_movies;
    unsigned epochs, threads;
    unsigned long long seed;
    float lr;
    int single, quiet, no_eval;
} opts;

typedef struct epoch_rec {
    double loss, rmse, val_rmse, val_mae, seconds;
} epoch_rec;

static int rank0;

static int fail(const char *what, int rc)
{
    fprintf(stderr, "error: %s: %s (%s)\n", what, rec_last_error(), rec_status_str(rc));
    return 1;
}

static void usage(void)
{
    if (!rank0)
        return;
    fprintf(stderr,
            "usage: mpirun -np N mpi_train [--data DIR | --synth N[,USERS,MOVIES]] [--epochs 3]\n"
            "       [--batch 2048] [--eval-batch 4096] [--lr 0.1] [--seed 42] [--threads 1]\n"
            "       [--exchange auto|sparse|dense] [--eval-rows N] [--no-eval] [--single]\n"
            "       [--json FILE] [--save FILE] [--quiet]\n"
            "  --data defaults to $REC_DATA_DIR (the unpacked ml-100k directory).\n"
            "  --single: train in one process without MPI collectives (the reference).\n");
}

static int parse(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->data_dir = getenv("REC_DATA_DIR");
    o->exchange = "auto";
    o->epochs = 3;
    o->threads = 1;
    o->seed = 42;
    o->batch = 2048;
    o->eval_batch = 4096;
    o->lr = 0.1f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        if (!strcmp(a, "--single") || !strcmp(a, "--quiet") || !strcmp(a, "--no-eval")) {
            *(a[2] == 's' ? &o->single : a[2] == 'q' ? &o->quiet : &o->no_eval) = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !v) {
            if (rank0 && strcmp(a, "--help"))
                fprintf(stderr, "mpi_train: %s needs a value\n", a);
            usage();
            return 1;
        }
        if (!strcmp(a, "--data")) {
            o->data_dir = v;
        } else if (!strcmp(a, "--synth")) {
            unsigned long long cnt = 0, u = 943, m = 1682;
            int k = sscanf(v, "%llu,%llu,%llu", &cnt, &u, &m);
            if ((k != 1 && k != 3) || cnt == 0 || u == 0 || m == 0 || u > (1u << 24) ||
                m > (1u << 24)) {
                if (rank0)
                    fprintf(stderr, "mpi_train: --synth N or N,USERS,MOVIES\n");
                return 1;
            }
            o->synth_n = (size_t)cnt;
            o->synth_users = (uint32_t)u;
            o->synth_movies = (uint32_t)m;
        } else if (!strcmp(a, "--epochs") && experiment_parse_uint(v, 100000, &n) && n > 0) {
            o->epochs = (unsigned)n;
        } else if (!strcmp(a, "--batch") && experiment_parse_uint(v, 1 << 24, &n) && n > 0) {
            o->batch = (size_t)n;
        } else if (!strcmp(a, "--eval-batch") && experiment_parse_uint(v, 1 << 24, &n) && n > 0) {
            o->eval_batch = (size_t)n;
        } else if (!strcmp(a, "--eval-rows") && experiment_parse_uint(v, 1ULL << 32, &n) && n > 0) {
            o->eval_rows = (size_t)n;
        } else if (!strcmp(a, "--lr") && atof(v) > 0) {
            o->lr = (float)atof(v);
        } else if (!strcmp(a, "--seed") && experiment_parse_uint(v, SIZE_MAX, &n)) {
            o->seed = n;
        } else if (!strcmp(a, "--threads") && experiment_parse_uint(v, 256, &n) && n > 0) {
            o->threads = (unsigned)n;
        } else if (!strcmp(a, "--exchange") &&
                   (!strcmp(v, "auto") || !strcmp(v, "sparse") || !strcmp(v, "dense"))) {
            o->exchange = v;
        } else if (!strcmp(a, "--json")) {
            o->json = v;
        } else if (!strcmp(a, "--save")) {
            o->save = v;
        } else {
            if (rank0)
                fprintf(stderr, "mpi_train: bad option or value: %s %s\n", a, v);
            usage();
            return 1;
        }
        i++;
    }
    if (!o->synth_n && (!o->data_dir || !*o->data_dir)) {
        if (rank0)
            fprintf(stderr, "mpi_train: no data: pass --data DIR, set REC_DATA_DIR or use "
                            "--synth N\n");
        usage();
        return 1;
    }
    return 0;
}

/* The same data and split on every rank: MovieLens (80/20 shuffled with the seed, as the
 * tutorial) or synthetic (the last eval_rows, default 20 %, held out). */
static int load(rec_dataset **all, rec_dataset **train, rec_dataset **test, const opts *o)
{
    int rc;
    size_t n_train;
    if (o->synth_n) {
        rc = rec_dataset_synthesize(all, o->synth_n, o->synth_users, o->synth_movies, o->seed);
        if (rc)
            return fail("synthesizing", rc);
        size_t n_eval = o->eval_rows ? o->eval_rows : o->synth_n / 5;
        n_train = o->synth_n - (n_eval < o->synth_n ? n_eval : o->synth_n - 1);
    } else {
        rc = rec_dataset_load_movielens(all, o->data_dir, NULL);
        if (rc)
            return fail("loading ratings", rc);
        n_train = rec_dataset_size(*all) * 4 / 5;
    }
    rc = rec_dataset_shuffle_split(train, test, *all, n_train, o->seed);
    return rc ? fail("splitting", rc) : 0;
}

/* --single: the same global batches as rec_mpi_train_epoch, in one process. */
static int single_epoch(double *loss, rec_model *m, rec_optimizer *opt, const rec_dataset *ds,
                        size_t batch, uint64_t seed)
{
    size_t n = rec_dataset_size(ds);
    uint32_t *order = malloc(n * sizeof *order);
    rec_rng *rng = NULL;
    int rc = order ? rec_rng_create(&rng, seed) : REC_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            order[i] = (uint32_t)i;
        rc = rec_rng_shuffle_u32(rng, order, n);
    }
    double sse = 0.0;
    for (size_t s = 0; s < n && !rc; s += batch) {
        size_t B = n - s < batch ? n - s : batch;
        double l = 0.0;
        rc = rec_model_compute_gradients(m, ds, order + s, B, &l);
        if (!rc)
            rc = rec_model_apply_gradients(m, opt);
        sse += l * (double)B;
    }
    *loss = sse / (double)n;
    rec_rng_free(rng);
    free(order);
    return rc;
}

static int write_json(const opts *o, int ranks, const epoch_rec *e, unsigned n_epochs,
                      double train_seconds, uint64_t steps, uint64_t dense, uint64_t sparse,
                      uint64_t meta, double exchange_seconds)
{
    FILE *f = fopen(o->json, "w");
    if (!f) {
        perror(o->json);
        return 1;
    }
    fprintf(f, "{\"model\": \"enriched\", \"source\": \"%s\", \"ranks\": %d, \"single\": %s, "
               "\"seed\": %llu, \"batch\": %zu, \"exchange\": \"%s\",\n \"epochs\": [",
            o->synth_n ? "synthetic" : "movielens", ranks, o->single ? "true" : "false",
            o->seed, o->batch, o->exchange);
    for (unsigned i = 0; i < n_epochs; i++)
        fprintf(f, "%s\n  {\"epoch\": %u, \"loss\": %.10g, \"rmse\": %.10g, \"val_rmse\": %.10g, "
                   "\"val_mae\": %.10g, \"seconds\": %.6f}",
                i ? "," : "", i + 1, e[i].loss, e[i].rmse, e[i].val_rmse, e[i].val_mae,
                e[i].seconds);
    double per = steps ? 1.0 / (double)steps : 0.0;
    fprintf(f, "],\n \"final_val_rmse\": %.10g, \"final_val_mae\": %.10g, "
               "\"train_seconds\": %.6f, \"exchange_seconds\": %.6f,\n \"steps\": %llu, "
               "\"bytes_per_step\": {\"dense\": %.1f, \"sparse\": %.1f, \"meta\": %.1f}}\n",
            e[n_epochs - 1].val_rmse, e[n_epochs - 1].val_mae, train_seconds, exchange_seconds,
            (unsigned long long)steps, (double)dense * per, (double)sparse * per,
            (double)meta * per);
    return fclose(f) ? 1 : 0;
}

static int run(const opts *o)
{
    rec_dataset *all = NULL, *train = NULL, *test = NULL;
    rec_model *m = NULL;
    rec_optimizer *opt = NULL;
    rec_mpi *ctx = NULL;
    epoch_rec *ep = calloc(o->epochs, sizeof *ep);
    int bad = !ep || load(&all, &train, &test, o);
    int rc = 0;
    /* every rank adapts on the same rows with the same seed: the same model everywhere */
    if (!bad && (rc = experiment_create_preset(&m, REC_PRESET_ENRICHED, o->seed)))
        bad = fail("creating the model", rc);
    if (!bad && (rc = rec_model_build(m, all)))
        bad = fail("building", rc);
    rec_dataset_free(all);
    all = NULL;
    if (!bad && (rc = rec_model_set_threads(m, o->threads)))
        bad = fail("threads", rc);
    if (!bad && (rc = rec_optimizer_create_adagrad(&opt, o->lr)))
        bad = fail("optimizer", rc);
    /* a rank that failed to set up must not leave the others waiting in a collective
     * (rec_mpi_create is one) */
    int any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (!any_bad && (rc = rec_mpi_create(&ctx, MPI_COMM_WORLD)))
        any_bad = fail("rec_mpi_create", rc);
    rec_mpi_exchange mode = !strcmp(o->exchange, "sparse") ? REC_MPI_EXCHANGE_SPARSE
                            : !strcmp(o->exchange, "dense") ? REC_MPI_EXCHANGE_DENSE
                                                            : REC_MPI_EXCHANGE_AUTO;
    if (!any_bad && (rc = rec_mpi_set_exchange(ctx, mode)))
        any_bad = fail("rec_mpi_set_exchange", rc);
    int ranks = rec_mpi_size(ctx);
    if (!any_bad && rank0 && !o->quiet)
        printf("mpi_train: enriched model, %zu training and %zu test ratings (%s), %d rank%s%s, "
               "global batch %zu, exchange %s\n", rec_dataset_size(train),
               rec_dataset_size(test), o->synth_n ? "synthetic" : "MovieLens", ranks,
               ranks == 1 ? "" : "s", o->single ? " (--single: no MPI collectives)" : "",
               o->batch, o->exchange);
    double train_seconds = 0.0;
    for (unsigned e = 0; e < o->epochs && !any_bad; e++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime(), loss = 0.0, rmse = 0.0;
        uint64_t seed = o->seed + e + 1;
        if (o->single)
            rc = single_epoch(&loss, m, opt, train, o->batch, seed), rmse = sqrt(loss);
        else
            rc = rec_mpi_train_epoch(&loss, &rmse, ctx, m, opt, train, o->batch, seed);
        double secs = MPI_Wtime() - t0;
        if (rc) {
            any_bad = fail("training", rc);
            break;
        }
        double vr = NAN, va = NAN;
        if (!o->no_eval) {
            rc = o->single ? rec_model_evaluate(m, test, o->eval_batch, &vr, &va)
                           : rec_mpi_evaluate(&vr, &va, ctx, m, test, o->eval_batch);
            if (rc) {
                any_bad = fail("evaluating", rc);
                break;
            }
        }
        ep[e] = (epoch_rec){loss, rmse, vr, va, secs};
        train_seconds += secs;
        if (rank0 && !o->quiet)
            printf("Epoch %u/%u - %.3fs - loss: %.4f - rmse: %.4f - val_rmse: %.4f - "
                   "val_mae: %.4f\n", e + 1, o->epochs, secs, loss, rmse, vr, va);
    }
    uint64_t steps = 0, dense = 0, sparse = 0, meta = 0;
    double xsecs = 0.0;
    if (!any_bad) {
        rec_mpi_traffic(&steps, &dense, &sparse, &meta, &xsecs, ctx);
        if (rank0)
            printf("final val_rmse %.4f val_mae %.4f; %.3f s training (%.3f s in the exchange); "
                   "per step: %.0f dense + %.0f sparse + %.0f meta bytes over %llu steps\n",
                   ep[o->epochs - 1].val_rmse, ep[o->epochs - 1].val_mae, train_seconds, xsecs,
                   steps ? (double)dense / (double)steps : 0.0,
                   steps ? (double)sparse / (double)steps : 0.0,
                   steps ? (double)meta / (double)steps : 0.0, (unsigned long long)steps);
    }
    if (!any_bad && o->save) {
        /* --single runs in one process, where rank 0 is the only rank */
        if ((rc = rec_mpi_save(ctx, m, o->save, 0)))
            any_bad = fail("saving", rc);
        else if (rank0 && !o->quiet)
            printf("saved %s (rank 0)\n", o->save);
    }
    if (!any_bad && rank0 && o->json)
        any_bad = write_json(o, ranks, ep, o->epochs, train_seconds, steps, dense, sparse, meta,
                             xsecs);
    rec_mpi_free(ctx);
    rec_optimizer_free(opt);
    rec_model_free(m);
    rec_dataset_free(train);
    rec_dataset_free(test);
    free(ep);
    return any_bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    rank0 = rank == 0;
    opts o;
    int status = parse(&o, argc, argv) ? 2 : 0;
    if (!status && o.single && size != 1) {
        if (rank0)
            fprintf(stderr, "mpi_train: --single runs on one rank (no mpirun -np > 1)\n");
        status = 2;
    }
    if (!status)
        status = run(&o);
    MPI_Finalize();
    return status;
}
