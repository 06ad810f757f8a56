/* The tutorial's final figure: the dot, one-layer and enriched models trained on the same
 * split, validation RMSE against epoch. Writes into --out DIR:
 *   rmse_vs_epoch.csv                       always
 *   rmse_vs_epoch.png, rmse_vs_epoch.svg    when gnuplot is on PATH
 *   <model>.json, <model>_summary.txt, <model>.dot (Graphviz; <model>.png too when `dot` is)
 * Introduces: rec_model_summary(), rec_model_graphviz(). */
#define _POSIX_C_SOURCE 200809L
#include "experiment.h"

#include <stdlib.h>
#include <string.h>

#define N_MODELS 3
static const char *names[N_MODELS] = {"dot", "one_layer", "enriched"};

static int have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* Write a description produced by rec_model_summary / rec_model_graphviz into a file. */
static int write_text(const char *path, rec_status (*fn)(char *, size_t, size_t *,
                                                          const rec_model *),
                      const rec_model *m)
{
    size_t len = 0;
    int rc = fn(NULL, 0, &len, m);
    if (rc)
        return experiment_fail(path, rc);
    char *buf = malloc(len + 1);
    if (!buf)
        return 1;
    rc = fn(buf, len + 1, &len, m);
    FILE *f = rc ? NULL : fopen(path, "w");
    if (f) {
        fputs(buf, f);
        rc = fclose(f) != 0;
    } else if (!rc) {
        perror(path);
        rc = 1;
    }
    free(buf);
    return rc;
}

static int plot(const char *dir)
{
    static const char *terms[][2] = {{"pngcairo noenhanced size 1000,450", "png"},
                                     {"svg noenhanced size 1000,450", "svg"}};
    for (int t = 0; t < 2; t++) {
        FILE *g = popen("gnuplot", "w");
        if (!g)
            return 1;
        /* two panels: all three curves, then the MLP curves zoomed in */
        fprintf(g,
                "set terminal %s\nset output '%s/rmse_vs_epoch.%s'\n"
                "set datafile separator ','\nset grid\nset xlabel 'epoch'\n"
                "set ylabel 'validation RMSE'\nset multiplot layout 1,2 title "
                "'Accuracy vs epoch (MovieLens 100K, validation RMSE)'\n"
                "set key center right\nset title 'all models'\n"
                "plot for [c=2:4] '%s/rmse_vs_epoch.csv' using 1:c with linespoints "
                "title columnheader(c)\n"
                "set title 'one_layer and enriched (zoom)'\nset key top right\n"
                "plot for [c=3:4] '%s/rmse_vs_epoch.csv' using 1:c with linespoints lc c-1 "
                "title columnheader(c)\nunset multiplot\n",
                terms[t][0], dir, terms[t][1], dir, dir);
        if (pclose(g) != 0) {
            fprintf(stderr, "compare: gnuplot failed for %s\n", terms[t][1]);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    experiment_opts o;
    if (experiment_parse(&o, argc, argv, "compare", 1))
        return 2;
    experiment_data d;
    if (experiment_load(&d, &o)) {
        experiment_data_free(&d);
        return 1;
    }
    experiment_describe_data(&d);
    experiment_result res[N_MODELS];
    memset(res, 0, sizeof res);
    int rc = 0;
    char path[4096];
    for (int i = 0; i < N_MODELS && !rc; i++) {
        rec_model *m = NULL;
        printf("\n== %s ==\n", names[i]);
        rc = experiment_run(&res[i], &m, &d, &o, (rec_preset)i);
        if (rc)
            break;
        printf("%s: final validation RMSE %.4f, MAE %.4f\n", names[i], res[i].final_val_rmse,
               res[i].final_val_mae);
        snprintf(path, sizeof path, "%s/%s_summary.txt", o.out_dir, names[i]);
        rc = write_text(path, rec_model_summary, m);
        snprintf(path, sizeof path, "%s/%s.dot", o.out_dir, names[i]);
        if (!rc)
            rc = write_text(path, rec_model_graphviz, m);
        if (!rc && have("dot")) {
            char cmd[8400];
            snprintf(cmd, sizeof cmd, "dot -Tpng '%s/%s.dot' -o '%s/%s.png'", o.out_dir,
                     names[i], o.out_dir, names[i]);
            if (system(cmd) != 0)
                fprintf(stderr, "compare: graphviz failed on %s\n", path);
        }
        snprintf(path, sizeof path, "%s/%s.json", o.out_dir, names[i]);
        if (!rc)
            rc = experiment_write_json(path, names[i], &o, &res[i]);
        rec_model_free(m);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/rmse_vs_epoch.csv", o.out_dir);
        FILE *f = fopen(path, "w");
        if (!f) {
            perror(path);
            rc = 1;
        } else {
            fprintf(f, "epoch,dot,one_layer,enriched\n");
            for (unsigned e = 0; e < o.epochs; e++)
                fprintf(f, "%u,%.6f,%.6f,%.6f\n", e + 1, res[0].epochs[e].val_rmse,
                        res[1].epochs[e].val_rmse, res[2].epochs[e].val_rmse);
            rc = fclose(f) != 0;
            printf("\nwrote %s\n", path);
        }
    }
    if (!rc && o.json) {
        /* one file with the three runs, for scripts that compare seeds or splits */
        FILE *f = fopen(o.json, "w");
        if (f) {
            fprintf(f, "{\"split\": \"%s\", \"seed\": %llu, \"final_val_rmse\": {", o.split,
                    o.seed);
            for (int i = 0; i < N_MODELS; i++)
                fprintf(f, "%s\"%s\": %.6f", i ? ", " : "", names[i], res[i].final_val_rmse);
            fprintf(f, "}}\n");
            rc = fclose(f) != 0;
        } else {
            perror(o.json);
            rc = 1;
        }
    }
    if (!rc) {
        if (have("gnuplot")) {
            rc = plot(o.out_dir);
            if (!rc)
                printf("wrote %s/rmse_vs_epoch.png and .svg\n", o.out_dir);
        } else {
            printf("gnuplot not found: figure left as CSV only\n");
        }
    }
    for (int i = 0; i < N_MODELS; i++)
        experiment_result_free(&res[i]);
    experiment_data_free(&d);
    return rc ? 1 : 0;
}
