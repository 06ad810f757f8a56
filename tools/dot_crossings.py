#!/usr/bin/python3
"""How many embedding rows a DOT batch needs on both cores of a two-thread split
(docs/performance.md, "Where the remaining time goes").

On two threads with exact mini-batch Adagrad, a row updated on one core and needed by the
other in the next batch moves between the cores' caches. Split the users between two threads
(each thread trains the examples of its users, so user rows never move): a movie rated in the
batch by users of both halves is needed on both cores, whichever thread owns it. This script
counts such rows on MovieLens 100K, for random batches of 2,048 out of 80,000 training
ratings and a random half of the users (and the same with the roles swapped), and then for
splits of the users that keep users who rate alike together — halves of equal ratings cut
along each of the leading singular vectors of the user × movie matrix (a 0/1 entry per rating,
rows scaled to unit length, columns centred) — and prints the means: the rows per batch that
such a split must move between the cores.

    /usr/bin/python3 tools/dot_crossings.py --data DIR [--batches 40] [--seed 1]

Needs numpy (Debian's python3-numpy).
"""
import argparse
import os

import numpy as np


def both_sides(keys_split, keys_other, n_split, rng, batches, examples, half=None):
    """Means over random batches: rows of the other side seen from both halves of a split of
    keys_split's rows (`half`, or a fresh random one per batch), distinct rows of the other
    side, distinct rows split, and the first half's share of the examples."""
    out = []
    for _ in range(batches):
        b = rng.choice(examples, 2048, replace=False)
        h = (half if half is not None else rng.integers(0, 2, n_split))[keys_split[b]]
        other = keys_other[b]
        rows = np.unique(other)
        lo = np.full(other.max() + 1, 2)
        hi = np.full(other.max() + 1, -1)
        np.minimum.at(lo, other, h)
        np.maximum.at(hi, other, h)
        out.append(((lo[rows] != hi[rows]).sum(), len(rows), len(np.unique(keys_split[b])),
                    h.mean()))
    return np.mean(out, axis=0)


def spectral_halves(users, movies, n_users, n_movies, components):
    """Halves of the users with equal numbers of ratings, cut along each of the first
    `components` singular vectors of the scaled and centred rating matrix."""
    r = np.zeros((n_users, n_movies))
    r[users, movies] = 1.0
    ratings = r.sum(axis=1)
    r /= np.sqrt(np.maximum(ratings, 1.0))[:, None]
    u, _, _ = np.linalg.svd(r - r.mean(axis=0), full_matrices=False)
    for k in range(components):
        order = np.argsort(u[:, k])
        half = np.zeros(n_users, dtype=np.int64)
        done = np.cumsum(ratings[order])
        half[order[done > done[-1] / 2]] = 1
        yield k, half


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("REC_DATA_DIR"))
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not a.data:
        ap.error("--data DIR (MovieLens 100K) or REC_DATA_DIR is required")
    d = np.loadtxt(os.path.join(a.data, "u.data"), dtype=np.int64)
    rng = np.random.default_rng(a.seed)
    train = rng.permutation(len(d))[:80000]
    users, movies = d[train, 0] - 1, d[train, 1] - 1
    n_users, n_movies = users.max() + 1, movies.max() + 1
    both, m, u, _ = both_sides(users, movies, n_users, rng, a.batches, len(train))
    print(f"users split: {both:.0f} of {m:.0f} distinct movies per batch are needed on both "
          f"cores ({u:.0f} distinct users)")
    both, u, m, _ = both_sides(movies, users, n_movies, rng, a.batches, len(train))
    print(f"movies split: {both:.0f} of {u:.0f} distinct users per batch are needed on both "
          f"cores ({m:.0f} distinct movies)")
    for k, half in spectral_halves(users, movies, n_users, n_movies, 3):
        both, _, _, share = both_sides(users, movies, n_users, rng, a.batches, len(train),
                                       half)
        print(f"users split along singular vector {k}: {both:.0f} movies per batch needed on "
              f"both cores (first half's share of the examples {share:.3f})")


if __name__ == "__main__":
    main()
