/*
 * bench_load: how fast the table loader reads a large ratings file (docs/BENCHMARKS.md).
 *
 *   bench_load [--rows N] [--file PATH] [--repeat R] [--keep]
 *
 * Writes PATH (default /tmp/rec_bench_load.csv; removed afterwards unless --keep) with
 * N rows (default 25,000,000) shaped like MovieLens 25M's ratings.csv:
 * `userId,movieId,rating,timestamp`, 162,541 users, 59,047 movies, half-star ratings,
 * 10-digit timestamps, every row drawn from a seeded generator. Then, on one thread and from
 * the page cache (the first pass warms it):
 *   - read: the file read in 1 MiB blocks and nothing else (the bound of any loader);
 *   - load_table: rec_dataset_load_table() with inferred types (two id columns, two numbers);
 *   - load_delimited: the positional 1.0 loader, rec_dataset_load_delimited(), on the same file.
 * Prints the median seconds of R runs (default 3), MB/s and rows/s of each, and the peak
 * resident memory of one table load in a child process against the file's size and the
 * dataset's own bytes.
 */
#define _POSIX_C_SOURCE 200809L

#include <rec.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

/* xorshift64*: the generator of the file's rows (seeded, so every run writes the same file) */
static uint64_t next_u64(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static int write_file(const char *path, size_t rows)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fprintf(f, "userId,movieId,rating,timestamp\n");
    for (size_t r = 0; r < rows; r++) {
        uint64_t x = next_u64(), y = next_u64();
        unsigned user = 1 + (unsigned)(x % 162541), movie = 1 + (unsigned)((x >> 20) % 59047);
        unsigned half = 1 + (unsigned)(y % 10); /* 0.5 .. 5.0 */
        unsigned long ts = 789652009UL + (unsigned long)((y >> 8) % 784000000UL);
        if (half % 2 == 0)
            fprintf(f, "%u,%u,%u.0,%lu\n", user, movie, half / 2, ts);
        else
            fprintf(f, "%u,%u,%u.5,%lu\n", user, movie, half / 2, ts);
    }
    return fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double read_only(const char *path)
{
    static char block[1 << 20];
    double t0 = now();
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    uint64_t sum = 0;
    ssize_t r;
    while ((r = read(fd, block, sizeof block)) > 0)
        sum += (unsigned char)block[r - 1];
    close(fd);
    double t = now() - t0;
    return sum == UINT64_MAX ? -1 : t;
}

static double load(const char *path, int table, size_t *rows)
{
    rec_dataset *ds = NULL;
    double t0 = now();
    rec_status rc = table ? rec_dataset_load_table(&ds, path, NULL)
                          : rec_dataset_load_delimited(&ds, path, ',', 1, 0, 1, 2, 3);
    double t = now() - t0;
    if (rc != REC_OK) {
        fprintf(stderr, "bench_load: %s\n", rec_last_error());
        exit(1);
    }
    *rows = rec_dataset_size(ds);
    rec_dataset_free(ds);
    return t;
}

/* Peak resident kilobytes of a child that loads the table once. */
static long child_peak_kb(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        size_t rows;
        load(path, 1, &rows);
        struct rusage u;
        getrusage(RUSAGE_SELF, &u);
        _exit(u.ru_maxrss > 0 ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    return u.ru_maxrss;
}

int main(int argc, char **argv)
{
    size_t rows = 25000000;
    const char *path = "/tmp/rec_bench_load.csv";
    int repeat = 3, keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = (size_t)strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else {
            fprintf(stderr, "usage: bench_load [--rows N] [--file PATH] [--repeat R] [--keep]\n");
            return 2;
        }
    }
    if (rows == 0 || repeat < 1 || repeat > 100) {
        fprintf(stderr, "bench_load: --rows must be ≥ 1 and --repeat in 1..100\n");
        return 2;
    }
    double tw = now();
    if (write_file(path, rows) != 0) {
        fprintf(stderr, "bench_load: cannot write %s\n", path);
        return 1;
    }
    struct stat st;
    stat(path, &st);
    double mb = (double)st.st_size / 1e6;
    printf("file: %s, %zu rows, %.1f MB (written in %.1f s)\n", path, rows, mb, now() - tw);
    read_only(path); /* warm the page cache */

    const char *names[] = {"read", "load_table", "load_delimited"};
    double times[3][100];
    size_t got = 0;
    for (int r = 0; r < repeat; r++) {
        times[0][r] = read_only(path);
        times[1][r] = load(path, 1, &got);
        if (got != rows) {
            fprintf(stderr, "bench_load: loaded %zu rows of %zu\n", got, rows);
            return 1;
        }
        times[2][r] = load(path, 0, &got);
    }
    printf("%-16s %10s %10s %14s\n", "pass", "seconds", "MB/s", "rows/s");
    for (int k = 0; k < 3; k++) {
        double t = median(times[k], repeat);
        printf("%-16s %10.3f %10.1f %14.0f\n", names[k], t, mb / t, (double)rows / t);
    }
    long kb = child_peak_kb(path);
    /* the dataset: two uint32 code columns and two double columns, plus the dictionaries */
    double ds_mb = (double)rows * (4 + 4 + 8 + 8) / 1e6;
    printf("peak memory of one load_table: %.1f MB (file %.1f MB, dataset columns %.1f MB)\n",
           (double)kb / 1e3, mb, ds_mb);
    if (!keep)
        unlink(path);
    return 0;
}
