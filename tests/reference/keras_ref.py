#!/usr/bin/python3
"""Independent numpy reference of the TFRS MovieLens-100K ranking tutorial (three models).

Written from the Keras-semantics spec of the project (keras-semantics.md) only, without
reading librec's sources, to check librec's numbers. float32 throughout, like Keras.
See tests/reference/README.md.

    /usr/bin/python3 keras_ref.py --data DIR --model dot|one_layer|enriched --seed N \
        [--epochs 10] [--split random|u1..u5] [--batch 2048] [--lr 0.1] [--json FILE] [--quiet]
    /usr/bin/python3 keras_ref.py --selftest [--data DIR]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

EMB_DIM = 32
BATCH = 2048
EVAL_BATCH = 4096
LR = 0.1
ADAGRAD_INIT = 0.1
ADAGRAD_EPS = 1e-7
N_TRAIN = 80_000
N_BOUNDARIES = 1000
MAX_TOKENS = 10_000
PUNCT = b'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'
assert len(PUNCT) == 32


# ----------------------------------------------------------------------------------------------
# Data: TFDS movielens/100k-ratings rebuilt from u.data and u.item
# ----------------------------------------------------------------------------------------------
def load_movielens(data_dir):
    """Return dict of columns, one entry per line of u.data (100,000)."""
    titles = {}
    with open(os.path.join(data_dir, "u.item"), "rb") as f:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line:
                continue
            fields = line.split(b"|")
            # ISO-8859-1 -> UTF-8 bytes (what TFDS stores; TF strings are bytes)
            titles[int(fields[0])] = fields[1].decode("iso-8859-1").encode("utf-8")
    raw = np.loadtxt(os.path.join(data_dir, "u.data"), dtype=np.int64)
    assert raw.shape == (100_000, 4), raw.shape
    users = raw[:, 0]
    items = raw[:, 1]
    return {
        "user_id": np.array([str(u).encode() for u in users], dtype=object),
        "movie_title": np.array([titles[int(i)] for i in items], dtype=object),
        "user_rating": raw[:, 2].astype(np.float32),
        "timestamp": raw[:, 3].astype(np.int64),
        "pair": raw[:, 0] * 10_000 + raw[:, 1],  # (user, item) is unique in ML-100K
    }


def random_split(n, seed):
    perm = np.random.default_rng(seed).permutation(n)
    return perm[:N_TRAIN], perm[N_TRAIN:]


def fold_split(data, data_dir, fold):
    """ML-100K's fixed folds: rows of u.data listed in uK.base (train) / uK.test (test), in
    file order. The preprocessing still adapts on all 100,000 ratings."""
    where = {int(p): i for i, p in enumerate(data["pair"])}
    out = []
    for ext in ("base", "test"):
        raw = np.loadtxt(os.path.join(data_dir, f"{fold}.{ext}"), dtype=np.int64)
        out.append(np.array([where[int(u) * 10_000 + int(i)] for u, i in raw[:, :2]]))
    return out[0], out[1]


# ----------------------------------------------------------------------------------------------
# Preprocessing layers
# ----------------------------------------------------------------------------------------------
class StringLookup:
    """vocabulary = sorted unique; entry i -> i + 1; unknown -> 0."""

    def __init__(self, values):
        self.vocab = sorted(set(values))  # bytes order
        self.index = {v: i + 1 for i, v in enumerate(self.vocab)}

    def __call__(self, values):
        return np.array([self.index.get(v, 0) for v in values], dtype=np.int64)

    def size(self):
        return len(self.vocab) + 1


def discretization_boundaries(x, n):
    return np.linspace(float(np.min(x)), float(np.max(x)), num=n)


def discretize(boundaries, x):
    # number of boundaries <= x  (TensorFlow Bucketize), compared in double precision
    return np.searchsorted(boundaries, np.asarray(x, dtype=np.float64), side="right").astype(np.int64)


class Normalization:
    def __init__(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.mean = x.mean()
        self.var = x.var()  # population variance

    def __call__(self, x):
        std = np.float32(max(np.sqrt(self.var), 1e-7))
        return ((np.asarray(x, dtype=np.float32) - np.float32(self.mean)) / std).astype(np.float32)


def standardize(text):
    """bytes -> bytes: lower-case ASCII A-Z only, delete the 32 ASCII punctuation chars."""
    return text.lower().translate(None, PUNCT)  # bytes.lower() only touches A-Z


def tokenize(text):
    return standardize(text).split()  # bytes.split(): ASCII whitespace, empty pieces dropped


class TextVectorization:
    def __init__(self, texts, max_tokens=MAX_TOKENS):
        counts = {}
        for t in texts:
            for tok in tokenize(t):
                counts[tok] = counts.get(tok, 0) + 1
        # descending count, ties by token bytes descending
        order = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        kept = [tok for tok, _ in order[: max(0, max_tokens - 2)]]
        self.vocab = [b"", b"[UNK]"] + kept
        self.index = {tok: i + 2 for i, tok in enumerate(kept)}
        self.max_tokens = max_tokens

    def encode(self, text):
        return [self.index.get(tok, 1) for tok in tokenize(text)]

    def encode_batch(self, texts):
        """Keras output: ids padded with 0 to the longest text; also the token counts."""
        ids = [self.encode(t) for t in texts]
        width = max([len(x) for x in ids] + [0])
        out = np.zeros((len(texts), width), dtype=np.int64)
        for r, x in enumerate(ids):
            out[r, : len(x)] = x
        return out


# ----------------------------------------------------------------------------------------------
# Features: everything precomputed as integer / float arrays over the 100,000 examples
# ----------------------------------------------------------------------------------------------
class Features:
    def __init__(self, data):
        self.user_lookup = StringLookup(data["user_id"])
        self.title_lookup = StringLookup(data["movie_title"])
        self.user = self.user_lookup(data["user_id"])
        self.title = self.title_lookup(data["movie_title"])
        ts = data["timestamp"]
        self.boundaries = discretization_boundaries(ts, N_BOUNDARIES)
        self.bucket = discretize(self.boundaries, ts)
        self.norm = Normalization(ts)
        self.nts = self.norm(ts)
        unique_titles = self.title_lookup.vocab
        self.textvec = TextVectorization(unique_titles, MAX_TOKENS)
        # token ids per title-lookup index (row 0 = unknown title: empty text)
        tok = self.textvec.encode_batch([b""] + unique_titles)
        self.title_tokens = tok
        self.title_ntok = (tok != 0).sum(axis=1).astype(np.int64)
        self.y = data["user_rating"].astype(np.float32)
        self.n = len(self.y)

    def batch(self, idx):
        return {
            "user": self.user[idx],
            "title": self.title[idx],
            "bucket": self.bucket[idx],
            "nts": self.nts[idx],
            "tokens": self.title_tokens[self.title[idx]],
            "ntok": self.title_ntok[self.title[idx]],
            "y": self.y[idx],
        }


# ----------------------------------------------------------------------------------------------
# Models: forward and hand-written backward
# ----------------------------------------------------------------------------------------------
def glorot(rng, fan_in, fan_out, dtype):
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=(fan_in, fan_out)).astype(dtype)


def emb_init(rng, n, d, dtype):
    return rng.uniform(-0.05, 0.05, size=(n, d)).astype(dtype)


class Model:
    """params: name -> array. Embedding tables are named in self.embeddings; their gradients
    are sparse (rows, values) with possibly repeated rows (summed by the optimizer)."""

    def __init__(self, kind, feats, rng, dtype=np.float32):
        self.kind = kind
        self.dtype = dtype
        n_users = feats.user_lookup.size()
        n_titles = feats.title_lookup.size()
        p = {}
        p["user_emb"] = emb_init(rng, n_users, EMB_DIM, dtype)
        p["title_emb"] = emb_init(rng, n_titles, EMB_DIM, dtype)
        self.embeddings = {"user_emb", "title_emb"}
        if kind == "dot":
            pass
        elif kind == "one_layer":
            width = 2 * EMB_DIM
        elif kind == "enriched":
            p["ts_emb"] = emb_init(rng, N_BOUNDARIES + 1, EMB_DIM, dtype)
            p["text_emb"] = emb_init(rng, MAX_TOKENS, EMB_DIM, dtype)
            self.embeddings |= {"ts_emb", "text_emb"}
            width = 4 * EMB_DIM + 1
        else:
            raise ValueError(kind)
        if kind != "dot":
            p["W1"] = glorot(rng, width, 64, dtype)
            p["b1"] = np.zeros(64, dtype)
            p["W2"] = glorot(rng, 64, 1, dtype)
            p["b2"] = np.zeros(1, dtype)
        self.p = p

    def n_params(self):
        return sum(v.size for v in self.p.values())

    # -- forward ---------------------------------------------------------------------------
    def forward(self, b):
        p = self.p
        u = p["user_emb"][b["user"]]
        m = p["title_emb"][b["title"]]
        cache = {"b": b, "u": u, "m": m}
        if self.kind == "dot":
            return np.sum(u * m, axis=1), cache
        parts = [u]
        if self.kind == "enriched":
            t = p["ts_emb"][b["bucket"]]
            nts = b["nts"].astype(self.dtype)[:, None]
            tok = b["tokens"]
            mask = (tok != 0).astype(self.dtype)  # mask_zero: padding masked out
            e = p["text_emb"][tok] * mask[:, :, None]
            cnt = mask.sum(axis=1)
            denom = np.where(cnt > 0, cnt, 1).astype(self.dtype)
            text = e.sum(axis=1) / denom[:, None]  # empty text -> zeros (Keras: NaN)
            cache.update(t=t, mask=mask, denom=denom)
            parts += [t, nts, m, text]
        else:
            parts += [m]
        x = np.concatenate(parts, axis=1)
        z = x @ p["W1"] + p["b1"]
        h = np.maximum(z, 0)
        out = (h @ p["W2"] + p["b2"])[:, 0]
        cache.update(x=x, z=z, h=h)
        return out, cache

    def predict(self, b):
        return self.forward(b)[0]

    # -- loss and backward -----------------------------------------------------------------
    def loss_and_grads(self, b):
        pred, c = self.forward(b)
        y = b["y"].astype(self.dtype)
        n = len(y)
        err = pred - y
        loss = float(np.mean(err.astype(np.float64) ** 2))
        dpred = (self.dtype(2.0 / n) * err).astype(self.dtype)
        g = {}
        if self.kind == "dot":
            g["user_emb"] = (b["user"], dpred[:, None] * c["m"])
            g["title_emb"] = (b["title"], dpred[:, None] * c["u"])
            return loss, pred, g
        p = self.p
        h = c["h"]
        g["W2"] = h.T @ dpred[:, None]
        g["b2"] = np.array([dpred.sum()], dtype=self.dtype)
        dh = dpred[:, None] * p["W2"][:, 0][None, :]
        dz = dh * (c["z"] > 0)
        g["W1"] = c["x"].T @ dz
        g["b1"] = dz.sum(axis=0)
        dx = dz @ p["W1"].T
        D = EMB_DIM
        g["user_emb"] = (b["user"], dx[:, 0:D])
        if self.kind == "one_layer":
            g["title_emb"] = (b["title"], dx[:, D : 2 * D])
            return loss, pred, g
        g["ts_emb"] = (b["bucket"], dx[:, D : 2 * D])
        # column 2D is the normalized timestamp: an input, no parameter
        g["title_emb"] = (b["title"], dx[:, 2 * D + 1 : 3 * D + 1])
        dtext = dx[:, 3 * D + 1 : 4 * D + 1] / c["denom"][:, None]  # (B, D)
        tok = b["tokens"]
        mask = c["mask"] != 0
        rows = np.broadcast_to(np.arange(len(y))[:, None], tok.shape)[mask]
        g["text_emb"] = (tok[mask], dtext[rows])
        return loss, pred, g


# ----------------------------------------------------------------------------------------------
# Adagrad (Keras 2 / TF ApplyAdagradV2): a += g^2; w -= lr * g / (sqrt(a) + eps)
# ----------------------------------------------------------------------------------------------
class Adagrad:
    def __init__(self, params, lr=LR, init=ADAGRAD_INIT, eps=ADAGRAD_EPS):
        self.lr = np.float32(lr)
        self.eps = np.float32(eps)
        self.acc = {k: np.full_like(v, init) for k, v in params.items()}

    def apply(self, params, grads):
        for k, g in grads.items():
            w, a = params[k], self.acc[k]
            if isinstance(g, tuple):  # sparse embedding rows: sum duplicates, update those rows
                rows, vals = g
                uniq, inv = np.unique(rows, return_inverse=True)
                summed = np.zeros((len(uniq), w.shape[1]), dtype=w.dtype)
                np.add.at(summed, inv, vals)
                a[uniq] += summed * summed
                w[uniq] -= self.lr * summed / (np.sqrt(a[uniq]) + self.eps)
            else:
                a += g * g
                w -= self.lr * g / (np.sqrt(a) + self.eps)


# ----------------------------------------------------------------------------------------------
# Training loop (Keras model.fit)
# ----------------------------------------------------------------------------------------------
def evaluate(model, feats, idx):
    se = 0.0
    ae = 0.0
    for s in range(0, len(idx), EVAL_BATCH):
        b = feats.batch(idx[s : s + EVAL_BATCH])
        err = model.predict(b).astype(np.float64) - b["y"]
        se += float(np.sum(err * err))
        ae += float(np.sum(np.abs(err)))
    return np.sqrt(se / len(idx)), ae / len(idx)


def run(feats, kind, seed, epochs, quiet=False, split=None, batch=BATCH, lr=LR):
    train_idx, test_idx = split if split is not None else random_split(feats.n, seed)
    init_rng = np.random.default_rng([seed, 1])
    shuffle_rng = np.random.default_rng([seed, 2])
    model = Model(kind, feats, init_rng)
    opt = Adagrad(model.p, lr=lr)
    if not quiet:
        print(f"{kind}: seed {seed}, {model.n_params()} params, "
              f"{len(train_idx)} train / {len(test_idx)} test")
    records = []
    for ep in range(1, epochs + 1):
        t0 = time.perf_counter()
        order = train_idx[shuffle_rng.permutation(len(train_idx))]
        wloss = 0.0
        se = 0.0
        for s in range(0, len(order), batch):
            b = feats.batch(order[s : s + batch])
            loss, pred, g = model.loss_and_grads(b)
            n = len(b["y"])
            wloss += loss * n
            se += float(np.sum((pred.astype(np.float64) - b["y"]) ** 2))
            opt.apply(model.p, g)
        secs = time.perf_counter() - t0
        val_rmse, val_mae = evaluate(model, feats, test_idx)
        rec = {"epoch": ep, "loss": wloss / len(order), "rmse": float(np.sqrt(se / len(order))),
               "val_rmse": float(val_rmse), "val_mae": float(val_mae), "seconds": secs}
        records.append(rec)
        if not quiet:
            print(f"Epoch {ep}/{epochs}: loss {rec['loss']:.4f} - rmse {rec['rmse']:.4f} - "
                  f"val_rmse {rec['val_rmse']:.4f} - val_mae {rec['val_mae']:.4f} "
                  f"({secs:.2f}s)")
    return records


# ----------------------------------------------------------------------------------------------
# Self-test: finite-difference gradient check (float64) and preprocessing checks
# ----------------------------------------------------------------------------------------------
def _dense_grad(g, shape, dtype):
    if isinstance(g, tuple):
        out = np.zeros(shape, dtype)
        np.add.at(out, g[0], g[1])
        return out
    return g


def selftest(data_dir):
    ok = True

    # preprocessing on hand-made inputs
    assert standardize(b"Don't Be a Menace... (1996)") == b"dont be a menace 1996"
    assert standardize("Café Señor".encode()) == "café señor".encode()
    assert tokenize(b"  a\tb\n\x0bc  ") == [b"a", b"b", b"c"]
    tv = TextVectorization([b"b a", b"a c", b"c d", b"e"], max_tokens=5)
    # counts: a2 c2 b1 d1 e1 -> ties descending: c, a, then e, d, b; cut at 5 - 2 = 3
    assert tv.vocab == [b"", b"[UNK]", b"c", b"a", b"e"], tv.vocab
    assert tv.encode_batch([b"a zz", b"", b"E c a"]).tolist() == [[3, 1, 0], [0, 0, 0], [4, 2, 3]]
    bd = np.linspace(0.0, 10.0, 3)  # 0, 5, 10
    assert discretize(bd, [-1, 0, 4.9, 5, 10, 11]).tolist() == [0, 1, 1, 2, 3, 3]
    nz = Normalization([3.0, 3.0])
    assert nz([3.0]).tolist() == [0.0]
    sl = StringLookup([b"9", b"10", b"1"])
    assert sl.vocab == [b"1", b"10", b"9"] and sl([b"10", b"x"]).tolist() == [2, 0]
    print("selftest: preprocessing ok")

    # adagrad step, dense and sparse with duplicate rows
    w = {"d": np.array([1.0, -1.0], np.float32), "e": np.zeros((3, 1), np.float32)}
    opt = Adagrad(w)
    opt.apply(w, {"d": np.array([0.5, 0.0], np.float32),
                  "e": (np.array([2, 0, 2]), np.array([[1.0], [3.0], [1.0]], np.float32))})
    exp_d0 = 1.0 - 0.1 * 0.5 / (np.sqrt(0.1 + 0.25) + 1e-7)
    exp_e2 = -0.1 * 2.0 / (np.sqrt(0.1 + 4.0) + 1e-7)
    exp_e0 = -0.1 * 3.0 / (np.sqrt(0.1 + 9.0) + 1e-7)
    assert abs(w["d"][0] - exp_d0) < 1e-6 and w["d"][1] == -1.0
    assert abs(w["e"][2, 0] - exp_e2) < 1e-6 and abs(w["e"][0, 0] - exp_e0) < 1e-6
    assert w["e"][1, 0] == 0.0 and opt.acc["e"][1, 0] == np.float32(0.1)
    print("selftest: adagrad ok")

    # gradient check on a tiny batch with repeated users/titles (float64)
    if data_dir:
        feats = Features(load_movielens(data_dir))
        print(f"selftest: data: {feats.n} ratings, {feats.user_lookup.size() - 1} users, "
              f"{feats.title_lookup.size() - 1} titles, {len(feats.textvec.vocab)} text tokens "
              f"(incl. pad/OOV), max title tokens {feats.title_tokens.shape[1]}, "
              f"empty titles {int((feats.title_ntok[1:] == 0).sum())}, "
              f"buckets used {feats.bucket.min()}..{feats.bucket.max()}")
        idx = np.array([0, 1, 2, 3, 4, 5])
        b = feats.batch(idx)
        b["user"] = b["user"].copy(); b["user"][3] = b["user"][0]  # duplicate rows
        b["title"] = b["title"].copy(); b["title"][4] = b["title"][1]
        b["tokens"] = feats.title_tokens[b["title"]]
        b["ntok"] = feats.title_ntok[b["title"]]
        b["bucket"] = b["bucket"].copy(); b["bucket"][5] = b["bucket"][2]
    else:
        raise SystemExit("selftest: --data needed for the gradient check")
    rng = np.random.default_rng(7)
    for kind in ("dot", "one_layer", "enriched"):
        model = Model(kind, feats, np.random.default_rng(3), dtype=np.float64)
        # larger weights so the dot model's gradient isn't ~0 and relus are mixed
        for k in model.p:
            model.p[k] = model.p[k] * 8.0 + rng.normal(0, 0.05, model.p[k].shape)
        loss, _, g = model.loss_and_grads(b)
        worst = 0.0
        for k, w in model.p.items():
            dg = _dense_grad(g[k], w.shape, np.float64)
            if k in model.embeddings:
                touched = np.unique(g[k][0])
                cand = [(r, c) for r in touched for c in range(w.shape[1])]
                cand += [(r, 0) for r in rng.integers(0, w.shape[0], 3)]  # some untouched
            else:
                flat = [np.unravel_index(i, w.shape) for i in range(w.size)]
                cand = [flat[i] for i in rng.choice(len(flat), min(len(flat), 300), replace=False)]
            for pos in cand:
                h = 1e-6
                old = w[pos]
                w[pos] = old + h
                lp = model.loss_and_grads(b)[0]
                w[pos] = old - h
                lm = model.loss_and_grads(b)[0]
                w[pos] = old
                fd = (lp - lm) / (2 * h)
                err = abs(fd - dg[pos]) / max(1.0, abs(fd), abs(dg[pos]))
                worst = max(worst, err)
        good = worst < 1e-6
        ok &= good
        print(f"selftest: gradcheck {kind}: loss {loss:.4f}, worst relative error {worst:.2e} "
              f"{'ok' if good else 'FAILED'}")
    print("selftest:", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="unpacked ml-100k directory")
    ap.add_argument("--model", choices=["dot", "one_layer", "enriched"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--split", default="random", choices=["random", "u1", "u2", "u3", "u4", "u5"],
                    help="random (seeded permutation, 80,000/20,000) or a fixed ML-100K fold")
    ap.add_argument("--json")
    ap.add_argument("--batch", type=int, default=BATCH, help="training batch size (2048)")
    ap.add_argument("--lr", type=float, default=LR, help="Adagrad learning rate (0.1)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--selftest", action="store_true")
    a = ap.parse_args(argv)
    if a.selftest:
        return selftest(a.data)
    if not a.data or not a.model:
        ap.error("--data and --model are required")
    data = load_movielens(a.data)
    feats = Features(data)
    split = None if a.split == "random" else fold_split(data, a.data, a.split)
    recs = run(feats, a.model, a.seed, a.epochs, a.quiet, split, a.batch, a.lr)
    final = recs[-1]["val_rmse"]
    print(f"{a.model}: split {a.split}, seed {a.seed}: final validation RMSE {final:.4f}, "
          f"MAE {recs[-1]['val_mae']:.4f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"model": a.model, "split": a.split, "seed": a.seed, "epochs": recs,
                       "final_val_rmse": final, "final_val_mae": recs[-1]["val_mae"]}, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
