/* Synthetic MovieLens-shaped datasets (include/rec/synth.h documents the model).
 *
 * Columns are built directly in the dataset's columnar layout (codes, numbers, CSR lists)
 * rather than through rec_dataset_add_*, so 25 million rows cost one pass of array writes
 * instead of 75 million string hash lookups, and no row-sized copy is made. The columns keep
 * the invariant of the loaders: each dictionary holds exactly the strings its rows use, in
 * first-seen row order. */
#include "data/data.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RANK 8
#define T_FIRST 789652009.0  /* 1995-01-09, first MovieLens 25M rating */
#define T_LAST 1574327703.0  /* 2019-11-21, last one */
#define MAX_COUNT (1u << 24)

/* ---- random variates ------------------------------------------------------------------------- */

/* Uniform double in [0, 1) with 53 random bits. */
static double uniform(rec__rng *r)
{
    return (double)(rec__rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Standard normal by Box–Muller (one of the pair; simple and exact enough here). */
static double normal(rec__rng *r)
{
    double u1 = 1.0 - uniform(r); /* (0, 1]: log is finite */
    double u2 = uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Walker–Vose alias table: O(1) draws from a discrete distribution of n weights. */
typedef struct alias {
    double *prob;
    uint32_t *other;
    uint32_t n;
} alias;

static void alias_release(alias *a)
{
    rec__free(a->prob);
    rec__free(a->other);
    memset(a, 0, sizeof *a);
}

/* Build from non-negative weights w[0..n) with a positive sum. */
static int alias_build(alias *a, const double *w, uint32_t n)
{
    a->n = n;
    a->prob = rec__malloc(n * sizeof *a->prob);
    a->other = rec__malloc(n * sizeof *a->other);
    uint32_t *small = rec__malloc(n * sizeof *small), *large = rec__malloc(n * sizeof *large);
    if (!a->prob || !a->other || !small || !large) {
        rec__free(small);
        rec__free(large);
        alias_release(a);
        return 0;
    }
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++)
        sum += w[i];
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        a->prob[i] = w[i] * n / sum;
        a->other[i] = i;
        if (a->prob[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[nl - 1];
        a->other[s] = l;
        a->prob[l] -= 1.0 - a->prob[s];
        if (a->prob[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    /* leftovers are 1 up to rounding */
    while (nl)
        a->prob[large[--nl]] = 1.0;
    while (ns)
        a->prob[small[--ns]] = 1.0;
    rec__free(small);
    rec__free(large);
    return 1;
}

static uint32_t alias_draw(const alias *a, rec__rng *r)
{
    double u = uniform(r) * a->n;
    uint32_t i = (uint32_t)u;
    if (i >= a->n)
        i = a->n - 1;
    return u - i < a->prob[i] ? i : a->other[i];
}

/* ---- the hidden world: users, movies, titles ------------------------------------------------- */

typedef struct user {
    float bias;
    float f[RANK];
    double start, length; /* rating window, seconds */
} user;

typedef struct movie {
    float bias;
    float f[RANK];
    uint8_t n_genres;
    uint8_t genres[3];
} movie;

static const char *const genre_names[] = {
    "Drama", "Comedy", "Action", "Thriller", "Romance", "Adventure", "Children's", "Crime",
    "Sci-Fi", "Horror", "War", "Mystery", "Musical", "Documentary", "Animation", "Western",
    "Film-Noir", "Fantasy"};
/* movies per genre in MovieLens 100K, as relative weights */
static const double genre_weights[] = {725, 505, 251, 251, 247, 135, 122, 109, 101,
                                       92,  71,  61,  56,  50,  42,  27,  24,  22};
#define N_GENRES (sizeof genre_weights / sizeof genre_weights[0])

static const char *const stop_words[] = {"the", "of", "and", "a", "in", "to", "for", "on"};
#define N_STOP (sizeof stop_words / sizeof stop_words[0])
static const char *const syllables[] = {
    "ka", "lo", "mi", "ra", "sen", "tor", "bel", "dan", "el", "fi", "gor", "ha", "is", "jun",
    "kel", "lan", "mor", "nor", "ol", "pa", "qua", "ren", "sa", "ti", "u", "vel", "wen", "xa",
    "yor", "zen", "ash", "ith"};
#define N_SYL 32u

/* Word w of the title vocabulary: stop words first (the most frequent), then pseudo-words
 * of two syllables, then three. */
static void word(char *buf, size_t cap, uint32_t w)
{
    if (w < N_STOP) {
        snprintf(buf, cap, "%s", stop_words[w]);
        return;
    }
    uint32_t p = w - (uint32_t)N_STOP;
    if (p < N_SYL * N_SYL) {
        snprintf(buf, cap, "%s%s", syllables[p / N_SYL], syllables[p % N_SYL]);
        return;
    }
    p -= N_SYL * N_SYL;
    snprintf(buf, cap, "%s%s%s", syllables[(p / (N_SYL * N_SYL)) % N_SYL],
             syllables[(p / N_SYL) % N_SYL], syllables[p % N_SYL]);
}

/* One title: 1–5 capitalised words and a release year, "Kaseno Of Mira (1994)". */
static void make_title(char *buf, size_t cap, const alias *words, rec__rng *r, uint32_t movie_no,
                       int fallback)
{
    static const double len_cdf[] = {0.20, 0.50, 0.75, 0.90, 1.00};
    double u = uniform(r);
    int len = 1;
    while (len < 5 && u >= len_cdf[len - 1])
        len++;
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < len && at + 1 < cap; k++) {
        char w[32];
        word(w, sizeof w, alias_draw(words, r));
        if (w[0] >= 'a' && w[0] <= 'z')
            w[0] = (char)(w[0] - 'a' + 'A');
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", k ? " " : "", w);
    }
    if (fallback && at + 1 < cap) /* guaranteed unique: the movie's number is a word */
        at += (size_t)snprintf(buf + at, cap - at, " %u", movie_no);
    int year = 2019 - (int)floor(fabs(normal(r)) * 25.0);
    if (year < 1902)
        year = 1902;
    if (at + 1 < cap)
        snprintf(buf + at, cap - at, " (%d)", year);
}

/* Movie popularity by rank, e^(−rank/s) / (rank + q), with the smallest q (by bisection) for
 * which the most popular movie expects at most n_users / 2 ratings. */
static void popularity(double *w, uint32_t n_movies, size_t n_ratings, uint32_t n_users)
{
    const double s = 0.2 * n_movies;
    for (uint32_t r = 0; r < n_movies; r++)
        w[r] = exp(-(double)(r + 1) / s);
    const double cap = 0.5 * n_users;
    double lo = 0.0, hi = 1e7;
    for (int it = 0; it < 60; it++) {
        double q = 0.5 * (lo + hi), sum = 0.0;
        for (uint32_t r = 0; r < n_movies; r++)
            sum += w[r] / ((double)(r + 1) + q);
        double top = (double)n_ratings * (w[0] / (1.0 + q)) / sum;
        if (top > cap)
            lo = q;
        else
            hi = q;
    }
    for (uint32_t r = 0; r < n_movies; r++)
        w[r] /= (double)(r + 1) + hi;
}

/* ---- generation ------------------------------------------------------------------------------ */

typedef struct world {
    user *users;
    movie *movies;
    alias pick_user, pick_movie, pick_word;
    rec__dict titles; /* movie i's title is titles.strings[i] */
} world;

static void world_release(world *w)
{
    rec__free(w->users);
    rec__free(w->movies);
    alias_release(&w->pick_user);
    alias_release(&w->pick_movie);
    alias_release(&w->pick_word);
    rec__dict_release(&w->titles);
    memset(w, 0, sizeof *w);
}

static rec_status world_build(world *w, rec__rng *rng, size_t n_ratings, uint32_t n_users,
                              uint32_t n_movies, const char *fn)
{
    const float sd_f = 0.45f;
    double genre_total = 0.0;
    for (size_t k = 0; k < N_GENRES; k++)
        genre_total += genre_weights[k];
    uint32_t biggest = n_users > n_movies ? n_users : n_movies;
    uint32_t n_words = 500u + n_movies / 2;
    if (n_words > (uint32_t)N_STOP + N_SYL * N_SYL + N_SYL * N_SYL * N_SYL)
        n_words = (uint32_t)N_STOP + N_SYL * N_SYL + N_SYL * N_SYL * N_SYL;
    if (n_words > biggest)
        biggest = n_words;
    w->users = rec__malloc((size_t)n_users * sizeof *w->users);
    w->movies = rec__malloc((size_t)n_movies * sizeof *w->movies);
    double *weights = rec__malloc((size_t)biggest * sizeof *weights);
    uint32_t *rank = rec__malloc((size_t)n_movies * sizeof *rank);
    if (!w->users || !w->movies || !weights || !rank)
        goto oom;

    for (uint32_t u = 0; u < n_users; u++) {
        user *p = &w->users[u];
        p->bias = (float)(0.45 * normal(rng));
        for (int k = 0; k < RANK; k++)
            p->f[k] = sd_f * (float)normal(rng);
        /* start skewed to recent years (u^0.7), length exponential with mean 180 days */
        p->start = T_FIRST + (T_LAST - T_FIRST) * pow(uniform(rng), 0.7);
        p->length = -log(1.0 - uniform(rng)) * 180.0 * 86400.0 + 86400.0;
        if (p->length > T_LAST - T_FIRST)
            p->length = T_LAST - T_FIRST;
        if (p->start + p->length > T_LAST)
            p->start = T_LAST - p->length; /* the window ends by the last day */
        weights[u] = exp(1.2 * normal(rng));
    }
    if (!alias_build(&w->pick_user, weights, n_users))
        goto oom;

    for (uint32_t i = 0; i < n_movies; i++) {
        movie *p = &w->movies[i];
        p->bias = (float)(0.5 * normal(rng));
        for (int k = 0; k < RANK; k++)
            p->f[k] = sd_f * (float)normal(rng);
        double u = uniform(rng);
        p->n_genres = u < 0.55 ? 1 : u < 0.85 ? 2 : 3;
        for (uint8_t g = 0; g < p->n_genres;) {
            /* by weight, without repeats: draw until a new genre comes (18 choices) */
            double x = uniform(rng) * genre_total, acc = 0.0;
            uint8_t pick = (uint8_t)(N_GENRES - 1);
            for (uint8_t k = 0; k < N_GENRES; k++) {
                acc += genre_weights[k];
                if (x < acc) {
                    pick = k;
                    break;
                }
            }
            int seen = 0;
            for (uint8_t k = 0; k < g; k++)
                seen |= p->genres[k] == pick;
            if (!seen)
                p->genres[g++] = pick;
        }
    }
    /* popularity by rank; ranks are a random permutation of the movies */
    for (uint32_t i = 0; i < n_movies; i++)
        rank[i] = i;
    rec__rng_shuffle_u32(rng, rank, n_movies);
    popularity(weights, n_movies, n_ratings, n_users);
    {
        /* weights is indexed by rank: reorder into movie order in place via rank[] */
        double *by_movie = rec__malloc((size_t)n_movies * sizeof *by_movie);
        if (!by_movie)
            goto oom;
        for (uint32_t r = 0; r < n_movies; r++)
            by_movie[rank[r]] = weights[r];
        int ok = alias_build(&w->pick_movie, by_movie, n_movies);
        rec__free(by_movie);
        if (!ok)
            goto oom;
    }

    /* title words: Zipf–Mandelbrot, p(w) ∝ 1 / (w + 2.7) */
    for (uint32_t k = 0; k < n_words; k++)
        weights[k] = 1.0 / ((double)k + 2.7);
    if (!alias_build(&w->pick_word, weights, n_words))
        goto oom;
    for (uint32_t i = 0; i < n_movies; i++) {
        char buf[256];
        uint32_t code = 0;
        for (int attempt = 0;; attempt++) {
            make_title(buf, sizeof buf, &w->pick_word, rng, i + 1, attempt >= 16);
            size_t before = w->titles.n;
            if (rec__dict_intern(&w->titles, buf, strlen(buf), &code) != REC_OK)
                goto oom;
            if (w->titles.n > before)
                break; /* new: title i is strings[i] */
        }
    }
    rec__free(weights);
    rec__free(rank);
    return REC_OK;
oom:
    rec__free(weights);
    rec__free(rank);
    world_release(w);
    return rec__error(REC_ENOMEM, "%s: out of memory for %u users and %u movies", fn, n_users,
                      n_movies);
}

/* The six columns under construction. */
typedef struct columns {
    rec__column user, movie, title, genres, time, rating;
} columns;

static void columns_release(columns *c)
{
    rec__dataset_column_release(&c->user);
    rec__dataset_column_release(&c->movie);
    rec__dataset_column_release(&c->title);
    rec__dataset_column_release(&c->genres);
    rec__dataset_column_release(&c->time);
    rec__dataset_column_release(&c->rating);
}

static int column_init(rec__column *c, const char *name, int type)
{
    c->name = rec__strdup(name);
    c->type = type;
    return c->name != NULL;
}

/* Pass 1: draw every rating; user and movie columns hold raw indices until pass 2. */
static void draw_ratings(const world *w, rec__rng *rng, columns *c, size_t n, size_t *n_genre_out)
{
    size_t n_genre = 0;
    for (size_t r = 0; r < n; r++) {
        uint32_t u = alias_draw(&w->pick_user, rng), i = alias_draw(&w->pick_movie, rng);
        const user *pu = &w->users[u];
        const movie *pi = &w->movies[i];
        c->time.numbers[r] = floor(pu->start + uniform(rng) * pu->length);
        double s = 3.5 + pu->bias + pi->bias;
        for (int k = 0; k < RANK; k++)
            s += (double)pu->f[k] * pi->f[k];
        s += 0.7 * normal(rng);
        double y = floor(s + 0.5);
        c->rating.numbers[r] = y < 1.0 ? 1.0 : y > 5.0 ? 5.0 : y;
        c->user.codes[r] = u;
        c->movie.codes[r] = i;
        n_genre += pi->n_genres;
    }
    *n_genre_out = n_genre;
}

/* Pass 2: raw indices → first-seen codes, interning each string when first met. */
static rec_status encode(const world *w, columns *c, size_t n, uint32_t n_users,
                         uint32_t n_movies)
{
    uint32_t *ucode = rec__malloc((size_t)n_users * sizeof *ucode);
    uint32_t *mcode = rec__malloc((size_t)n_movies * sizeof *mcode);
    uint32_t gcode[N_GENRES];
    rec_status rc = (ucode && mcode) ? REC_OK : REC_ENOMEM;
    if (!rc) {
        memset(ucode, 0xff, (size_t)n_users * sizeof *ucode);
        memset(mcode, 0xff, (size_t)n_movies * sizeof *mcode);
        memset(gcode, 0xff, sizeof gcode);
    }
    size_t at = 0;
    char buf[16];
    for (size_t r = 0; r < n && !rc; r++) {
        uint32_t u = c->user.codes[r], i = c->movie.codes[r];
        if (ucode[u] == UINT32_MAX) {
            int len = snprintf(buf, sizeof buf, "%u", u + 1);
            rc = rec__dict_intern(&c->user.dict, buf, (size_t)len, &ucode[u]);
        }
        if (!rc && mcode[i] == UINT32_MAX) {
            uint32_t code;
            int len = snprintf(buf, sizeof buf, "%u", i + 1);
            rc = rec__dict_intern(&c->movie.dict, buf, (size_t)len, &mcode[i]);
            const char *t = w->titles.strings[i];
            if (!rc)
                rc = rec__dict_intern(&c->title.dict, t, strlen(t), &code);
            /* movie_id and movie_title are first seen on the same rows: same codes */
        }
        if (rc)
            break;
        c->user.codes[r] = ucode[u];
        c->movie.codes[r] = c->title.codes[r] = mcode[i];
        const movie *pi = &w->movies[i];
        c->genres.offsets[r] = at;
        for (uint8_t g = 0; g < pi->n_genres && !rc; g++) {
            uint8_t k = pi->genres[g];
            if (gcode[k] == UINT32_MAX)
                rc = rec__dict_intern(&c->genres.dict, genre_names[k], strlen(genre_names[k]),
                                      &gcode[k]);
            c->genres.codes[at++] = gcode[k];
        }
    }
    c->genres.offsets[n] = at;
    rec__free(ucode);
    rec__free(mcode);
    return rc;
}

rec_status rec_dataset_synthesize(rec_dataset **out, size_t n_ratings, uint32_t n_users,
                                  uint32_t n_movies, uint64_t seed)
{
    static const char fn[] = "rec_dataset_synthesize";
    if (!out)
        return rec__error(REC_EINVAL, "%s: out is NULL", fn);
    *out = NULL;
    if (n_ratings == 0 || (uint64_t)n_ratings > UINT32_MAX)
        return rec__error(REC_EINVAL, "%s: n_ratings = %zu is outside 1..2^32-1", fn, n_ratings);
    if (n_users == 0 || n_users > MAX_COUNT)
        return rec__error(REC_EINVAL, "%s: n_users = %u is outside 1..2^24", fn, n_users);
    if (n_movies == 0 || n_movies > MAX_COUNT)
        return rec__error(REC_EINVAL, "%s: n_movies = %u is outside 1..2^24", fn, n_movies);

    rec__rng rng;
    rec__rng_seed(&rng, seed);
    world w = {0};
    rec_status rc = world_build(&w, &rng, n_ratings, n_users, n_movies, fn);
    if (rc)
        return rc;

    columns c = {0};
    const size_t n = n_ratings;
    int ok = column_init(&c.user, REC__COL_USER, REC_COLUMN_STRING) &&
             column_init(&c.movie, "movie_id", REC_COLUMN_STRING) &&
             column_init(&c.title, REC__COL_ITEM, REC_COLUMN_STRING) &&
             column_init(&c.genres, "movie_genres", REC_COLUMN_STRING_LIST) &&
             column_init(&c.time, REC__COL_TIME, REC_COLUMN_NUMBER) &&
             column_init(&c.rating, REC__COL_RATING, REC_COLUMN_NUMBER);
    if (ok) {
        c.user.codes = rec__malloc(n * sizeof(uint32_t));
        c.movie.codes = rec__malloc(n * sizeof(uint32_t));
        c.title.codes = rec__malloc(n * sizeof(uint32_t));
        c.genres.offsets = rec__malloc((n + 1) * sizeof(size_t));
        c.time.numbers = rec__malloc(n * sizeof(double));
        c.rating.numbers = rec__malloc(n * sizeof(double));
        ok = c.user.codes && c.movie.codes && c.title.codes && c.genres.offsets &&
             c.time.numbers && c.rating.numbers;
    }
    size_t n_genre = 0;
    if (ok) {
        draw_ratings(&w, &rng, &c, n, &n_genre);
        c.genres.codes = rec__malloc((n_genre ? n_genre : 1) * sizeof(uint32_t));
        ok = c.genres.codes != NULL;
    }
    if (ok)
        ok = encode(&w, &c, n, n_users, n_movies) == REC_OK;
    world_release(&w);
    rec_dataset *ds = NULL;
    if (ok)
        ok = rec_dataset_create(&ds, n) == REC_OK;
    if (!ok) {
        columns_release(&c);
        rec_dataset_free(ds);
        return rec__error(REC_ENOMEM, "%s: out of memory for %zu ratings", fn, n);
    }
    rec__column *all[] = {&c.user, &c.movie, &c.title, &c.genres, &c.time, &c.rating};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        /* adopt takes the column (released on failure too); release the rest on failure */
        if (!rc && (rc = rec__dataset_adopt_column(ds, all[k])) != REC_OK)
            rc = rec__error(REC_ENOMEM, "%s: out of memory for %zu ratings", fn, n);
        else if (rc)
            rec__dataset_column_release(all[k]);
    }
    if (rc) {
        rec_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return REC_OK;
}
