#!/usr/bin/python3
"""Independent numpy reference of librec's `deep` example (the tutorial's exercise).

Written from examples/experiments/deep.c and the public headers (include/rec/model.h,
movielens.h, normalization.h, embedding.h, dense.h, optimizer.h), not from librec's lib/
sources. float32 throughout, hand-written backward, checked by a float64 finite-difference
self-test.

The model, as deep.c describes it (preprocessing adapted on all 100,000 ratings of u.data):
  user side: user_id    CATEGORICAL       StringLookup → Embedding(944, 32)
             raw_user_age NUMERIC         Normalization over the ratings' ages → 1 value
             user_gender CATEGORICAL      StringLookup → Embedding(3, 4)
             user_occupation_text CATEGORICAL  StringLookup → Embedding(22, 8)
  item side: movie_title CATEGORICAL      StringLookup → Embedding(1665, 32)
             movie_genres CATEGORICAL_LIST StringLookup → mean of Embedding(20, 8) rows
             release_year NUMERIC         Normalization over the known years; NaN → 0
  concat (86) → Dense(128, relu) → Dense(64, relu) → Dense(1)
Embeddings uniform ±0.05, kernels Glorot-uniform, zero biases; batch-mean MSE; Adagrad
(lr 0.1, accumulator 0.1, ε 1e-7, embedding rows updated sparsely); batches of 2048 reshuffled
every epoch, the last partial batch kept; 10 epochs. --dropout P (inverted dropout after both
hidden layers), --l2 λ (λ·Σw² over the touched rows of every embedding table and over every
kernel), --patience N (train on a seeded 90% of the training set, keep the weights of the best
epoch on the other 10%, stop after N epochs without improvement) mirror deep's flags.

    /usr/bin/python3 deep_ref.py --data DIR [--seed 42] [--split random|u1..u5] [--epochs 10]
        [--batch 2048] [--lr 0.1] [--dropout 0] [--l2 0] [--patience 0] [--json FILE] [--quiet]
    /usr/bin/python3 deep_ref.py --selftest --data DIR
    /usr/bin/python3 deep_ref.py --init-stats --data DIR [--split u1] [--seed 1] [--n-seeds 10]
"""
import argparse
import json
import os
import sys
import time

try:
    import numpy as np
except ImportError:  # meson's "skipped"
    print("numpy not available: skipped")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_ref import (Adagrad, Normalization, StringLookup, emb_init, fold_split,  # noqa: E402
                       glorot, random_split)

BATCH = 2048
EVAL_BATCH = 4096
LR = 0.1
HIDDEN = (128, 64)
# (name, side, kind, dim) in deep.c's order; the user side comes first in the concatenation
FEATURES = (
    ("user_id", "user", "categorical", 32),
    ("raw_user_age", "user", "numeric", 1),
    ("user_gender", "user", "categorical", 4),
    ("user_occupation_text", "user", "categorical", 8),
    ("movie_title", "item", "categorical", 32),
    ("movie_genres", "item", "list", 8),
    ("release_year", "item", "numeric", 1),
)


# ----------------------------------------------------------------------------------------------
# Data: u.data joined with u.user and u.item (rec/movielens.h's columns)
# ----------------------------------------------------------------------------------------------
def load_movielens_side(data_dir):
    """One entry per line of u.data (100,000), with the deep model's columns."""
    def lines(name):
        with open(os.path.join(data_dir, name), "rb") as f:
            return [ln.rstrip(b"\r\n") for ln in f if ln.strip()]

    genre_names = {}
    for ln in lines("u.genre"):
        name, idx = ln.rsplit(b"|", 1)
        genre_names[int(idx)] = name
    items = {}
    for ln in lines("u.item"):
        f = ln.split(b"|")
        date = f[2]
        year = float(date[-4:]) if date else np.nan  # "01-Jan-1995"; one movie has none
        flags = f[-19:]
        genres = [genre_names[g] for g in range(19) if flags[g] == b"1"]
        items[int(f[0])] = (f[1].decode("iso-8859-1").encode("utf-8"), genres, year)
    users = {}
    for ln in lines("u.user"):
        f = ln.split(b"|")
        users[int(f[0])] = (float(f[1]), f[2], f[3])
    raw = np.loadtxt(os.path.join(data_dir, "u.data"), dtype=np.int64)
    assert raw.shape == (100_000, 4), raw.shape
    u, i = raw[:, 0], raw[:, 1]
    return {
        "user_id": np.array([str(x).encode() for x in u], dtype=object),
        "raw_user_age": np.array([users[int(x)][0] for x in u]),
        "user_gender": np.array([users[int(x)][1] for x in u], dtype=object),
        "user_occupation_text": np.array([users[int(x)][2] for x in u], dtype=object),
        "movie_title": np.array([items[int(x)][0] for x in i], dtype=object),
        "movie_genres": [items[int(x)][1] for x in i],
        "release_year": np.array([items[int(x)][2] for x in i]),
        "user_rating": raw[:, 2].astype(np.float32),
        "pair": u * 10_000 + i,
    }


class NumericFeature:
    """Normalization adapted on the known values of the adapt rows; a missing value (NaN)
    becomes 0 (the mean)."""

    def __init__(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.norm = Normalization(x[~np.isnan(x)])

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        out = self.norm(np.where(np.isnan(x), self.norm.mean, x))
        out[np.isnan(x)] = 0.0
        return out


class Features:
    """Every feature precomputed over the 100,000 ratings (the adapt set)."""

    def __init__(self, data):
        self.lookup, self.ids, self.values = {}, {}, {}
        for name, _side, kind, _dim in FEATURES:
            if kind == "categorical":
                self.lookup[name] = StringLookup(data[name])
                self.ids[name] = self.lookup[name](data[name])
            elif kind == "numeric":
                nf = NumericFeature(data[name])
                self.lookup[name] = nf
                self.values[name] = nf(data[name])
            else:  # a bag of strings per row: ids padded with -1, mean over the valid ones
                bags = data[name]
                lk = StringLookup([s for bag in bags for s in bag])
                self.lookup[name] = lk
                width = max(len(b) for b in bags)
                ids = np.full((len(bags), width), -1, dtype=np.int64)
                for r, bag in enumerate(bags):
                    ids[r, : len(bag)] = lk(bag) if bag else []
                self.ids[name] = ids
        self.y = data["user_rating"].astype(np.float32)
        self.n = len(self.y)

    def rows(self, name):
        lk = self.lookup[name]
        return lk.size() if isinstance(lk, StringLookup) else 0

    def batch(self, idx):
        b = {name: self.ids[name][idx] for name in self.ids}
        b.update({name: self.values[name][idx] for name in self.values})
        b["y"] = self.y[idx]
        return b


# ----------------------------------------------------------------------------------------------
# The model: forward, hand-written backward
# ----------------------------------------------------------------------------------------------
class DeepModel:
    def __init__(self, feats, rng, dtype=np.float32, dropout=0.0, l2=0.0):
        self.dtype, self.dropout, self.l2 = dtype, dropout, l2
        p, self.embeddings = {}, set()
        width = 0
        for name, _side, kind, dim in FEATURES:
            if kind != "numeric":
                p[name] = emb_init(rng, feats.rows(name), dim, dtype)
                self.embeddings.add(name)
            width += dim
        self.width = width
        sizes = (width,) + HIDDEN + (1,)
        self.n_layers = len(sizes) - 1
        for l in range(self.n_layers):
            p[f"W{l}"] = glorot(rng, sizes[l], sizes[l + 1], dtype)
            p[f"b{l}"] = np.zeros(sizes[l + 1], dtype)
        self.p = p

    def n_params(self):
        return sum(v.size for v in self.p.values())

    def forward(self, b, masks=None):
        """masks: per hidden layer, the inverted-dropout multipliers (training), else None."""
        p, parts, cache = self.p, [], {"b": b}
        for name, _side, kind, _dim in FEATURES:
            if kind == "categorical":
                parts.append(p[name][b[name]])
            elif kind == "numeric":
                parts.append(b[name].astype(self.dtype)[:, None])
            else:
                ids = b[name]
                valid = ids >= 0
                cnt = valid.sum(axis=1)
                denom = np.where(cnt > 0, cnt, 1).astype(self.dtype)
                e = p[name][np.where(valid, ids, 0)] * valid[:, :, None].astype(self.dtype)
                parts.append(e.sum(axis=1) / denom[:, None])  # empty bag → zeros
                cache[name] = (valid, denom)
        h = np.concatenate(parts, axis=1)
        acts = [h]
        for l in range(self.n_layers):
            z = h @ p[f"W{l}"] + p[f"b{l}"]
            if l < self.n_layers - 1:
                h = np.maximum(z, 0)
                if masks is not None:
                    h = h * masks[l]
            else:
                h = z
            acts.append(h)
        cache["acts"] = acts
        return acts[-1][:, 0], cache

    def predict(self, b):
        return self.forward(b)[0]

    def draw_masks(self, rng, n):
        if self.dropout <= 0:
            return None
        keep = self.dtype(1.0 / (1.0 - self.dropout))
        return [(rng.random((n, u)) >= self.dropout).astype(self.dtype) * keep for u in HIDDEN]

    def loss_and_grads(self, b, masks=None):
        pred, c = self.forward(b, masks)
        p = self.p
        y = b["y"].astype(self.dtype)
        n = len(y)
        err = pred - y
        loss = float(np.mean(err.astype(np.float64) ** 2))
        g = {}
        d = ((self.dtype(2.0 / n) * err).astype(self.dtype))[:, None]  # ∂loss/∂output
        acts = c["acts"]
        for l in reversed(range(self.n_layers)):
            # y = h W + b: ∂W = hᵀ d, ∂b = Σ d, ∂h = d Wᵀ; relu: ∂z = ∂h · mask · [z > 0]
            g[f"W{l}"] = acts[l].T @ d
            g[f"b{l}"] = d.sum(axis=0)
            if self.l2 > 0:  # λΣW² on every kernel (not the biases)
                loss += self.l2 * float(np.sum(p[f"W{l}"].astype(np.float64) ** 2))
                g[f"W{l}"] = g[f"W{l}"] + self.dtype(2 * self.l2) * p[f"W{l}"]
            d = d @ p[f"W{l}"].T
            if l > 0:
                d = d * (acts[l] > 0)  # acts[l] = relu(z)·mask: > 0 exactly where both are
                if masks is not None:
                    d = d * masks[l - 1]
        dx = d
        off = 0
        bt = c["b"]
        for name, _side, kind, dim in FEATURES:
            part = dx[:, off : off + dim]
            off += dim
            if kind == "categorical":
                g[name] = (bt[name], part)
            elif kind == "list":
                valid, denom = c[name]
                rows = np.broadcast_to(np.arange(n)[:, None], valid.shape)[valid]
                g[name] = (bt[name][valid], (part / denom[:, None])[rows])
        if self.l2 > 0:  # λΣw² over the distinct rows the batch touched, per table
            for name in self.embeddings:
                rows, vals = g[name]
                uniq = np.unique(rows)
                w = p[name][uniq]
                loss += self.l2 * float(np.sum(w.astype(np.float64) ** 2))
                g[name] = (np.concatenate([rows, uniq]),
                           np.concatenate([vals, self.dtype(2 * self.l2) * w]))
        return loss, pred, g


# ----------------------------------------------------------------------------------------------
# Training (Keras model.fit, plus deep's early stopping)
# ----------------------------------------------------------------------------------------------
def evaluate(model, feats, idx):
    se = ae = 0.0
    for s in range(0, len(idx), EVAL_BATCH):
        b = feats.batch(idx[s : s + EVAL_BATCH])
        err = model.predict(b).astype(np.float64) - b["y"]
        se += float(np.sum(err * err))
        ae += float(np.sum(np.abs(err)))
    return float(np.sqrt(se / len(idx))), ae / len(idx)


def run(feats, split, seed, epochs=10, batch=BATCH, lr=LR, dropout=0.0, l2=0.0, patience=0,
        quiet=False):
    train_idx, test_idx = split
    init_rng = np.random.default_rng([seed, 1])
    shuffle_rng = np.random.default_rng([seed, 2])
    drop_rng = np.random.default_rng([seed, 3])
    fit_idx, val_idx = train_idx, test_idx
    if patience:  # a seeded 10% of the training set validates; the test set is never seen
        perm = np.random.default_rng([seed, 4]).permutation(len(train_idx))
        n_fit = len(train_idx) - len(train_idx) // 10
        fit_idx, val_idx = train_idx[perm[:n_fit]], train_idx[perm[n_fit:]]
    model = DeepModel(feats, init_rng, dropout=dropout, l2=l2)
    opt = Adagrad(model.p, lr=lr)
    if not quiet:
        print(f"deep: seed {seed}, {model.n_params()} params, {len(fit_idx)} train / "
              f"{len(val_idx)} validation")
    records, best, best_epoch, best_p, since = [], np.inf, 0, None, 0
    t_train = 0.0
    for ep in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = fit_idx[shuffle_rng.permutation(len(fit_idx))]
        wloss = se = 0.0
        for s in range(0, len(order), batch):
            b = feats.batch(order[s : s + batch])
            masks = model.draw_masks(drop_rng, len(b["y"]))
            loss, pred, g = model.loss_and_grads(b, masks)
            wloss += loss * len(b["y"])
            se += float(np.sum((pred.astype(np.float64) - b["y"]) ** 2))
            opt.apply(model.p, g)
        secs = time.perf_counter() - t0
        t_train += secs
        val_rmse, val_mae = evaluate(model, feats, val_idx)
        records.append({"epoch": ep, "loss": wloss / len(order),
                        "rmse": float(np.sqrt(se / len(order))), "val_rmse": val_rmse,
                        "val_mae": val_mae, "seconds": secs})
        if not quiet:
            r = records[-1]
            print(f"Epoch {ep}/{epochs}: loss {r['loss']:.4f} - rmse {r['rmse']:.4f} - "
                  f"val_rmse {val_rmse:.4f} - val_mae {val_mae:.4f} ({secs:.2f}s)")
        if patience:
            if val_rmse < best:
                best, best_epoch, since = val_rmse, ep, 0
                best_p = {k: v.copy() for k, v in model.p.items()}
            else:
                since += 1
                if since >= patience:
                    break
    if patience and best_p is not None:
        model.p = best_p
    test_rmse, test_mae = evaluate(model, feats, test_idx)
    return model, records, test_rmse, test_mae, best_epoch, t_train


# ----------------------------------------------------------------------------------------------
# Self-test and initial statistics
# ----------------------------------------------------------------------------------------------
def selftest(feats):
    ok = True
    # the preprocessing facts deep.c's comment states
    n = {name: feats.rows(name) for name in feats.lookup}
    print("selftest: rows: " + ", ".join(f"{k} {v}" for k, v in n.items() if v))
    expect = {"user_id": 944, "user_gender": 3, "user_occupation_text": 22,
              "movie_title": 1665, "movie_genres": 20}
    for k, v in expect.items():
        ok &= n[k] == v
    year = feats.values["release_year"]
    age = feats.values["raw_user_age"]
    print(f"selftest: normalized age mean {age.mean():+.2e} std {age.std():.4f}; release year "
          f"mean {year.mean():+.2e} std {year.std():.4f}, zeros {int((year == 0).sum())}")
    ok &= abs(float(age.mean())) < 1e-4 and abs(float(age.std()) - 1) < 1e-4
    # finite differences in float64, with duplicate rows; plain, with L2, and with dropout (one
    # fixed mask for the whole check: the loss is then a deterministic function of the weights)
    idx = np.arange(8)
    b = feats.batch(idx)
    b["user_id"] = b["user_id"].copy(); b["user_id"][3] = b["user_id"][0]
    b["movie_title"] = b["movie_title"].copy(); b["movie_title"][4] = b["movie_title"][1]
    rng = np.random.default_rng(7)
    for l2, drop in ((0.0, 0.0), (0.01, 0.0), (0.0, 0.3)):
        model = DeepModel(feats, np.random.default_rng(3), dtype=np.float64, dropout=drop, l2=l2)
        for k in model.p:
            model.p[k] = model.p[k] * 4.0 + rng.normal(0, 0.05, model.p[k].shape)
        masks = model.draw_masks(np.random.default_rng(5), len(idx))
        loss, _, g = model.loss_and_grads(b, masks)
        worst = 0.0
        for k, w in model.p.items():
            if k in model.embeddings:
                dg = np.zeros_like(w)
                np.add.at(dg, g[k][0], g[k][1])
                cand = [(r, c) for r in np.unique(g[k][0]) for c in range(w.shape[1])]
                cand += [(r, 0) for r in rng.integers(0, w.shape[0], 2)]
            else:
                dg = g[k]
                flat = [np.unravel_index(i, w.shape) for i in range(w.size)]
                cand = [flat[i] for i in rng.choice(len(flat), min(len(flat), 200), False)]
            for pos in cand:
                old, h = w[pos], 1e-6
                w[pos] = old + h
                lp = model.loss_and_grads(b, masks)[0]
                w[pos] = old - h
                lm = model.loss_and_grads(b, masks)[0]
                w[pos] = old
                fd = (lp - lm) / (2 * h)
                worst = max(worst, abs(fd - dg[pos]) / max(1.0, abs(fd), abs(dg[pos])))
        good = worst < 1e-6
        ok &= good
        print(f"selftest: gradcheck l2 {l2} dropout {drop}: loss {loss:.4f}, worst relative "
              f"error {worst:.2e} {'ok' if good else 'FAILED'}")
    print("selftest:", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


def init_stats(feats, split, seeds):
    """Per seed, the untrained model's predictions on the test rows: mean, std, RMSE."""
    out = []
    for s in seeds:
        model = DeepModel(feats, np.random.default_rng([s, 1]))
        pred = np.concatenate([model.predict(feats.batch(split[1][i : i + EVAL_BATCH]))
                               for i in range(0, len(split[1]), EVAL_BATCH)]).astype(np.float64)
        y = feats.y[split[1]].astype(np.float64)
        out.append((model.n_params(), pred.mean(), pred.std(),
                    float(np.sqrt(np.mean((pred - y) ** 2)))))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("REC_DATA_DIR"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--split", default="random", choices=["random", "u1", "u2", "u3", "u4", "u5"])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=BATCH)
    ap.add_argument("--lr", type=float, default=LR)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--l2", type=float, default=0.0)
    ap.add_argument("--patience", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("--init-stats", action="store_true",
                    help="statistics of the untrained model's test predictions, --n-seeds seeds")
    ap.add_argument("--n-seeds", type=int, default=10)
    a = ap.parse_args(argv)
    if not a.data:
        if a.selftest:  # under meson: no data, nothing to check against
            print("REC_DATA_DIR not set: skipped")
            return 77
        ap.error("--data (or REC_DATA_DIR) is required")
    data = load_movielens_side(a.data)
    feats = Features(data)
    if a.selftest:
        return selftest(feats)
    split = random_split(feats.n, a.seed) if a.split == "random" else fold_split(data, a.data,
                                                                                 a.split)
    if a.init_stats:
        st = init_stats(feats, split, range(a.seed, a.seed + a.n_seeds))
        arr = np.array([x[1:] for x in st])
        print(f"params {st[0][0]}; over {len(st)} seeds: prediction mean {arr[:, 0].mean():+.4f} "
              f"± {arr[:, 0].std(ddof=1):.4f}, prediction std {arr[:, 1].mean():.4f} ± "
              f"{arr[:, 1].std(ddof=1):.4f}, RMSE {arr[:, 2].mean():.4f} ± "
              f"{arr[:, 2].std(ddof=1):.4f}")
        return 0
    model, recs, rmse, mae, best_epoch, secs = run(
        feats, split, a.seed, a.epochs, a.batch, a.lr, a.dropout, a.l2, a.patience, a.quiet)
    print(f"deep: split {a.split}, seed {a.seed}: final validation RMSE {rmse:.4f}, MAE {mae:.4f}"
          + (f", best epoch {best_epoch}" if a.patience else "") + f", training {secs:.1f} s")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"model": "deep", "split": a.split, "seed": a.seed, "epochs": recs,
                       "final_val_rmse": rmse, "final_val_mae": mae, "best_epoch": best_epoch,
                       "n_params": model.n_params(), "train_seconds": secs}, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
