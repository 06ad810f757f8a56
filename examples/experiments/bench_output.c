/* The bench's table on stdout and its JSON (bench.h). */
#include "bench.h"

#include <math.h>
#include <stdlib.h>

const char *const bench_shape_names[6] = {
    "2048x129 . 129x64 (enriched forward)", "129x2048 . 2048x64 (enriched dW, TN)",
    "2048x64 . 64x129 (enriched dx, NT)",   "2048x64 . 64x64 (one_layer forward)",
    "64x2048 . 2048x64 (one_layer dW, TN)", "2048x64 . 64x64 (one_layer dx, NT)"};

/* ---- output ---------------------------------------------------------------------------------- */

static void json_num(FILE *f, const char *key, double v, int last)
{
    if (isfinite(v))
        fprintf(f, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
    else
        fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

/* The same model's one-thread result, or NULL: speed-ups are reported against it. */
static const result *one_thread_of(const result *res, int n_res, const result *r)
{
    for (int i = 0; i < n_res; i++)
        if (res[i].model == r->model && res[i].threads == 1)
            return &res[i];
    return NULL;
}

void write_json(FILE *f, const machine *mc, const opts *o, const data *d, const result *res,
                int n_res, const char *command)
{
    fprintf(f, "{\n  \"date\": \"%s\", \"command\": \"%s\",\n", mc->date, command);
    fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"cores\": %ld, \"kernel\": \"%s\", "
               "\"openblas_core\": \"%s\", \"openblas_config\": \"%s\", "
               "\"openblas_threads\": %d, \"openblas_threads_set_by_bench\": %s, "
               "\"OPENBLAS_NUM_THREADS\": \"%s\", \"OPENBLAS_CORETYPE\": \"%s\"},\n",
            mc->cpu, mc->cores, mc->kernel, mc->blas.core, mc->blas.config, mc->blas.threads,
            mc->blas.forced ? "true" : "false",
            getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "",
            getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "");
    if (o->sgemm) {
        fprintf(f, "  \"sgemm_gflops\": {");
        json_num(f, "square_1024_1thread", mc->gemm_square_1t[0], 0);
        json_num(f, "square_2048_1thread", mc->gemm_square_1t[1], 0);
        json_num(f, "square_2048_2threads", mc->gemm_square_2t, 0);
        for (int i = 0; i < 6; i++)
            json_num(f, bench_shape_names[i], mc->gemm_shapes[i], i == 5);
        fprintf(f, "},\n");
    }
    fprintf(f, "  \"data\": {\"source\": \"%s\", \"ratings\": %zu, \"train\": %zu, "
               "\"test\": %zu, \"load_seconds\": %.3f, \"seed\": %llu, \"batch\": %zu, "
               "\"eval_batch\": %zu},\n",
            d->source, rec_dataset_size(d->all), rec_dataset_size(d->train),
            rec_dataset_size(d->test), d->load_seconds, o->seed, o->batch, o->eval_batch);
    fprintf(f, "  \"peak_rss_mb\": %.1f,\n  \"results\": [", peak_rss_kb() / 1024.0);
    for (int i = 0; i < n_res; i++) {
        const result *r = &res[i];
        fprintf(f, "%s\n    {\"model\": \"%s\", \"threads\": %u, ", i ? "," : "",
                model_names[r->model], r->threads);
        json_num(f, "train_epoch_seconds_median", r->train_s, 0);
        json_num(f, "train_epoch_cpu_seconds_median", r->train_cpu_s, 0);
        json_num(f, "train_examples_per_second", r->train_eps, 0);
        json_num(f, "eval_examples_per_second", r->eval_eps, 0);
        json_num(f, "predict_one_latency_us", o->predict ? r->one_us : NAN, 0);
        json_num(f, "predict_batch_examples_per_second", r->predict_eps, 0);
        json_num(f, "topk_latency_ms", o->predict ? r->topk_ms : NAN, 0);
        json_num(f, "recommend_latency_ms", o->predict ? r->recommend_ms : NAN, 0);
        fprintf(f, "\"topk_candidates\": %zu, \"k\": %d, ", r->n_titles, TOPK);
        json_num(f, "flops_per_epoch", r->flops_epoch, 0);
        json_num(f, "sgemm_gflops_model_shapes", r->sgemm_gflops > 0 ? r->sgemm_gflops : NAN, 0);
        json_num(f, "sgemm_seconds_per_epoch", r->sgemm_epoch_s > 0 ? r->sgemm_epoch_s : NAN, 0);
        json_num(f, "epoch_over_sgemm_time",
                 r->sgemm_epoch_s > 0 ? r->train_s / r->sgemm_epoch_s : NAN, 0);
        const result *one = r->threads > 1 ? one_thread_of(res, n_res, r) : NULL;
        json_num(f, "train_speedup_over_1_thread", one ? one->train_s / r->train_s : NAN, 0);
        json_num(f, "eval_speedup_over_1_thread", one ? r->eval_eps / one->eval_eps : NAN, 0);
        json_num(f, "build_seconds", r->build_s, 0);
        json_num(f, "test_rmse", r->rmse, 0);
        fprintf(f, "\"epoch_seconds\": [");
        for (unsigned e = 0; e < r->epochs; e++)
            fprintf(f, "%s%.6f", e ? ", " : "", r->epoch_s[e]);
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ]\n}\n");
}

void print_table(const result *res, int n_res, const opts *o)
{
    printf("\n%-10s %3s %9s %9s %10s %10s %7s %10s %8s %8s %8s\n", "model", "thr",
           "epoch ms", "cpu ms", "train ex/s", "eval ex/s", "one us", "pred ex/s", "topk ms",
           "rec ms", "GFLOP/ep");
    for (int i = 0; i < n_res; i++) {
        const result *r = &res[i];
        printf("%-10s %3u %9.2f %9.2f %10.3g %10.3g %7.1f %10.3g %8.3f %8.3f %8.3f\n",
               model_names[r->model], r->threads, 1e3 * r->train_s, 1e3 * r->train_cpu_s,
               r->train_eps, r->eval_eps, o->predict ? r->one_us : NAN, r->predict_eps,
               o->predict ? r->topk_ms : NAN, o->predict ? r->recommend_ms : NAN,
               r->flops_epoch / 1e9);
        if (r->sgemm_epoch_s > 0)
            printf("%-10s     sgemm at %.1f GFLOP/s on these shapes: %.2f ms/epoch; epoch / "
                   "that = %.2f (sgemm fraction %.0f%%)\n", "", r->sgemm_gflops,
                   1e3 * r->sgemm_epoch_s, r->train_s / r->sgemm_epoch_s,
                   100.0 * r->sgemm_epoch_s / r->train_s);
        const result *one = r->threads > 1 ? one_thread_of(res, n_res, r) : NULL;
        if (one)
            printf("%-10s     %u threads against 1: training %.2fx, evaluation %.2fx, batch "
                   "prediction %.2fx\n", "", r->threads, one->train_s / r->train_s,
                   r->eval_eps / one->eval_eps, r->predict_eps / one->predict_eps);
    }
}

