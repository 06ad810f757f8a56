#!/usr/bin/python3
"""The `deep` example's model before training, in librec and in the numpy reference.

Builds the model of examples/experiments/deep.c through librec's Python binding
(examples/python/librec.py) and deep_ref.py's DeepModel, each adapted on all 100,000 ratings,
and compares what does not depend on the random draws: the parameter count, and statistics
over seeds of the untrained model's predictions on u1.test (their mean and spread, and the
RMSE). The two implementations cannot share an initialisation, so these are compared as
distributions (Welch's t).

    /usr/bin/python3 tests/reference/deep_init.py [--data DIR] [--seeds 20] [--first-seed 1]
        [--steps 0] [--exact] [--check]

--steps N also trains both from their initialisation for N Adagrad steps (lr 0.1) over the same
fixed batches (batch k: entries k·2048 … (k+1)·2048 − 1 of one fixed permutation of u1.base's
rows, numpy default_rng(0); one batch per step, so no implementation's shuffle plays a part)
and prints the mean batch loss of every step over the seeds, and of all N steps.

--exact also starts the reference from librec's own initial weights (read through the C API:
rec_model_feature_embedding + rec_embedding_get_weights, rec_model_layer +
rec_dense_get_weights), after checking that every vocabulary has the same rows in the same order,
and compares the untrained predictions on u1.test and the losses and weights after 5 Adagrad
steps on fixed batches. Measured: predictions within 1e-6, losses within 5e-6 (relative), weights
within 1.2e-4 after the 5 steps (float32 sums in another order, through loss spikes): the two
compute the same function and the same update. --check wants < 1e-5, 1e-4 and 1e-3.

--check exits 1 when the parameter counts differ or a statistic's means differ by more than
4 standard errors (plus a small absolute slack); it exits 77 (skipped) without REC_DATA_DIR
/ --data, numpy or the library. Run by meson as the "reference" suite's deep_init test.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77

try:
    import numpy as np
except ImportError:
    print("numpy not available: skipped")
    sys.exit(SKIP)

sys.path.insert(0, HERE)
sys.path.insert(0, os.environ.get("REC_PYTHON_DIR", os.path.join(HERE, "..", "..", "examples",
                                                                   "python")))


def LIBREC_FEATURES(librec):  # noqa: N802 (a table)
    return [("user_id", librec.FEATURE_CATEGORICAL, librec.SIDE_USER, 32),
            ("raw_user_age", librec.FEATURE_NUMERIC, librec.SIDE_USER, 1),
            ("user_gender", librec.FEATURE_CATEGORICAL, librec.SIDE_USER, 4),
            ("user_occupation_text", librec.FEATURE_CATEGORICAL, librec.SIDE_USER, 8),
            ("movie_title", librec.FEATURE_CATEGORICAL, librec.SIDE_ITEM, 32),
            ("movie_genres", librec.FEATURE_CATEGORICAL_LIST, librec.SIDE_ITEM, 8),
            ("release_year", librec.FEATURE_NUMERIC, librec.SIDE_ITEM, 1)]


def build(librec, seed):
    """examples/experiments/deep.c's description (unbuilt), through the binding."""
    m = librec.Model.create(seed=seed)
    for column, kind, side, dim in LIBREC_FEATURES(librec):
        m.add_feature(column, kind, side, dim)
    m.set_interaction(librec.INTERACTION_MLP)
    m.add_layer(128, librec.ACTIVATION_RELU)
    m.add_layer(64, librec.ACTIVATION_RELU)
    m.add_layer(1, librec.ACTIVATION_LINEAR)
    m.set_label("user_rating")
    return m


def librec_stats(librec, data_dir, seeds, steps=0):
    """deep.c's description, built on u.data, predicting u1.test untrained; then the losses of
    `steps` Adagrad steps on fixed batches of u1.base."""
    out, losses = [], []
    with librec.Dataset.load_movielens(data_dir) as adapt, \
            librec.Dataset.load_movielens(data_dir, "u1.test") as test, \
            librec.Dataset.load_movielens(data_dir, "u1.base") as base:
        y = np.asarray(test.numbers("user_rating"), dtype=np.float64)
        perm = fixed_order(len(base))
        batches = [base.subset([int(r) for r in perm[k * 2048:(k + 1) * 2048]])
                   for k in range(steps)]
        for s in seeds:
            with build(librec, s) as m:
                m.build(adapt)
                pred = np.asarray(m.predict(test), dtype=np.float64)
                out.append((m.n_params, pred.mean(), pred.std(),
                            float(np.sqrt(np.mean((pred - y) ** 2)))))
                with librec.Optimizer.adagrad(0.1) as opt:
                    losses.append([m.train_epoch(opt, b, 2048)[0] for b in batches])
        for b in batches:
            b.close()
    return out, np.array(losses)


def librec_weights(librec, model, names, n_layers):
    """Every table and layer of a built model, as numpy arrays (copies)."""
    from ctypes import POINTER, c_float, c_size_t, c_uint32, c_void_p
    lib = librec._lib
    lib.rec_model_feature_embedding.restype = c_void_p
    lib.rec_model_feature_embedding.argtypes = [c_void_p, c_uint32]
    lib.rec_model_layer.restype = c_void_p
    lib.rec_model_layer.argtypes = [c_void_p, c_size_t]
    for f in ("rec_embedding_rows", "rec_embedding_dim", "rec_dense_n_in", "rec_dense_n_out"):
        getattr(lib, f).restype = c_uint32
        getattr(lib, f).argtypes = [c_void_p]
    lib.rec_embedding_get_weights.argtypes = [c_void_p, POINTER(c_float), c_size_t]
    lib.rec_dense_get_weights.argtypes = [c_void_p, POINTER(c_float), c_size_t,
                                          POINTER(c_float), c_size_t]
    ptr = lambda a: a.ctypes.data_as(POINTER(c_float))  # noqa: E731
    out = {}
    for i, name in enumerate(names):
        e = lib.rec_model_feature_embedding(model._as_parameter_, i)
        if not e:
            continue  # NUMERIC: no table
        w = np.zeros((lib.rec_embedding_rows(e), lib.rec_embedding_dim(e)), np.float32)
        assert lib.rec_embedding_get_weights(e, ptr(w), w.size) == 0
        out[name] = w
    for l in range(n_layers):
        d = lib.rec_model_layer(model._as_parameter_, l)
        k = np.zeros((lib.rec_dense_n_in(d), lib.rec_dense_n_out(d)), np.float32)
        b = np.zeros(lib.rec_dense_n_out(d), np.float32)
        assert lib.rec_dense_get_weights(d, ptr(k), k.size, ptr(b), b.size) == 0
        out[f"W{l}"], out[f"b{l}"] = k, b
    return out


def exact(librec, deep_ref, data_dir, feats, split, n_steps=5):
    """Same weights in both: predictions, then n_steps Adagrad steps on fixed batches."""
    from keras_ref import Adagrad
    names = [f[0] for f in deep_ref.FEATURES]
    ok = True
    with librec.Dataset.load_movielens(data_dir) as adapt, \
            librec.Dataset.load_movielens(data_dir, "u1.test") as test, \
            librec.Dataset.load_movielens(data_dir, "u1.base") as base, \
            build(librec, 42) as m, librec.Optimizer.adagrad(0.1) as opt:
        m.build(adapt)
        for i, name in enumerate(names):  # the same rows in the same order
            v = m.feature_vocab(i)
            if v is None:
                continue
            mine = [t.decode("utf-8") for t in feats.lookup[name].vocab]
            same = v.tokens() == mine
            ok &= same
            print(f"vocabulary {name}: {len(mine)} tokens, {'same order' if same else 'DIFFER'}")
        ref = deep_ref.DeepModel(feats, np.random.default_rng(0))
        w = librec_weights(librec, m, names, ref.n_layers)
        assert set(w) == set(ref.p), (set(w) ^ set(ref.p))
        for k in ref.p:
            assert w[k].shape == ref.p[k].shape, (k, w[k].shape, ref.p[k].shape)
        ref.p = w
        test_idx = split[1]
        pr = np.concatenate([ref.predict(feats.batch(test_idx[i:i + 4096]))
                             for i in range(0, len(test_idx), 4096)])
        pl = np.asarray(m.predict(test), dtype=np.float32)
        d0 = float(np.max(np.abs(pr - pl)))
        print(f"same initial weights: predictions on u1.test differ by at most {d0:.2e} "
              f"(values {pl.min():+.3f} .. {pl.max():+.3f})")
        ok &= d0 < 1e-5
        ropt = Adagrad(ref.p, lr=0.1)
        perm = fixed_order(len(base))
        train_idx = split[0][perm]
        for k in range(n_steps):
            rows = perm[k * 2048:(k + 1) * 2048]
            with base.subset([int(r) for r in rows]) as b:
                ll = m.train_epoch(opt, b, 2048)[0]
            rl, _, g = ref.loss_and_grads(feats.batch(train_idx[k * 2048:(k + 1) * 2048]))
            ropt.apply(ref.p, g)
            print(f"step {k + 1}: loss librec {ll:.6f}, reference {rl:.6f} "
                  f"(relative difference {abs(ll - rl) / rl:.1e})")
            ok &= abs(ll - rl) / rl < 1e-4
        w = librec_weights(librec, m, names, ref.n_layers)
        worst = max(float(np.max(np.abs(w[k] - ref.p[k]))) for k in ref.p)
        pl = np.asarray(m.predict(test), dtype=np.float32)
        pr = np.concatenate([ref.predict(feats.batch(test_idx[i:i + 4096]))
                             for i in range(0, len(test_idx), 4096)])
        d1 = float(np.max(np.abs(pr - pl)))
        print(f"after {n_steps} steps: weights differ by at most {worst:.2e}, predictions on "
              f"u1.test by {d1:.2e}")
        ok &= worst < 1e-3 and d1 < 1e-3
    return ok


def fixed_order(n):
    return np.random.default_rng(0).permutation(n)


def ref_steps(deep_ref, feats, train_idx, seeds, steps):
    from keras_ref import Adagrad
    train_idx = train_idx[fixed_order(len(train_idx))]
    losses = []
    for s in seeds:
        model = deep_ref.DeepModel(feats, np.random.default_rng([s, 1]))
        opt = Adagrad(model.p, lr=0.1)
        row = []
        for k in range(steps):
            loss, _, g = model.loss_and_grads(feats.batch(train_idx[k * 2048:(k + 1) * 2048]))
            opt.apply(model.p, g)
            row.append(loss)
        losses.append(row)
    return np.array(losses)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("REC_DATA_DIR"))
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    if not a.data:
        print("REC_DATA_DIR not set: skipped")
        return SKIP
    try:
        import librec
    except (ImportError, OSError) as e:
        print(f"librec's Python binding not loadable ({e}): skipped")
        return SKIP
    import deep_ref
    from keras_ref import fold_split

    seeds = range(a.first_seed, a.first_seed + a.seeds)
    lib, lib_losses = librec_stats(librec, a.data, seeds, a.steps)
    data = deep_ref.load_movielens_side(a.data)
    feats = deep_ref.Features(data)
    split = fold_split(data, a.data, "u1")
    ref = deep_ref.init_stats(feats, split, seeds)
    ok = lib[0][0] == ref[0][0]
    print(f"parameters: librec {lib[0][0]}, reference {ref[0][0]} {'ok' if ok else 'DIFFER'}")
    L, R = np.array([x[1:] for x in lib]), np.array([x[1:] for x in ref])
    print(f"untrained model on u1.test, {len(seeds)} seeds (mean ± sample std over seeds):")
    print("| statistic | librec | reference | Welch t |\n|---|---|---|---|")
    for j, (name, slack) in enumerate((("prediction mean", 0.02), ("prediction std", 0.02),
                                       ("RMSE", 0.02))):
        lm, rm = L[:, j].mean(), R[:, j].mean()
        se = np.sqrt(L[:, j].var(ddof=1) / len(L) + R[:, j].var(ddof=1) / len(R))
        t = (lm - rm) / se if se > 0 else 0.0
        good = abs(lm - rm) <= 4 * se + slack
        ok &= good
        print(f"| {name} | {lm:+.4f} ± {L[:, j].std(ddof=1):.4f} | {rm:+.4f} ± "
              f"{R[:, j].std(ddof=1):.4f} | {t:+.2f}{'' if good else ' (DIFFER)'} |")
    if a.steps:
        ref_losses = ref_steps(deep_ref, feats, split[0], seeds, a.steps)
        print(f"\nbatch loss after each of {a.steps} Adagrad steps on the same batches "
              f"(mean over {len(seeds)} seeds; Welch t of librec − reference):")
        print("| step | librec | reference | t |\n|---|---|---|---|")
        for k in range(a.steps):
            lv, rv = lib_losses[:, k], ref_losses[:, k]
            se = np.sqrt(lv.var(ddof=1) / len(lv) + rv.var(ddof=1) / len(rv))
            print(f"| {k + 1} | {lv.mean():.4f} | {rv.mean():.4f} | "
                  f"{(lv.mean() - rv.mean()) / se if se > 0 else 0:+.2f} |")
        lv, rv = lib_losses.mean(axis=1), ref_losses.mean(axis=1)
        se = np.sqrt(lv.var(ddof=1) / len(lv) + rv.var(ddof=1) / len(rv))
        print(f"| mean of the {a.steps} steps | {lv.mean():.4f} ± {lv.std(ddof=1):.4f} | "
              f"{rv.mean():.4f} ± {rv.std(ddof=1):.4f} | {(lv.mean() - rv.mean()) / se:+.2f} |")
    if a.exact:
        print()
        ok &= exact(librec, deep_ref, a.data, feats, split)
    if a.check:
        print("deep_init:", "PASSED" if ok else "FAILED")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
