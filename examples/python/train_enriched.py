#!/usr/bin/env python3
"""Train the tutorial's enriched model on MovieLens 100K from Python, save it, load it back,
and recommend ten movies for a user.

    python3 examples/python/train_enriched.py --data /path/to/ml-100k [--epochs 3]

--data defaults to $REC_DATA_DIR (examples/get-movielens.sh downloads the data). The
library is found as librec.py explains (LIBREC_PATH, the build tree, the system).

Introduces: Dataset.load_movielens, Dataset.shuffle_split, Model.preset, Model.build,
Model.fit (with a per-epoch callback), Model.save / Model.load, Model.evaluate,
Model.predict on a dataset built from raw values (Dataset.from_columns).
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import librec  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("REC_DATA_DIR"),
                   help="the unpacked ml-100k directory (default: $REC_DATA_DIR)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--batch", type=int, default=8192)
    p.add_argument("--user", default="42", help="user_id to recommend for (default 42)")
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--model", help="where to save the model (default: a temporary file)")
    a = p.parse_args(argv)
    if not a.data:
        p.error("no data directory: pass --data DIR or set REC_DATA_DIR")
    return a


def recommend(model, ratings, user, top):
    """Top `top` (title, predicted rating) among the titles `user` has not rated, predicting
    the user against every title at the latest timestamp of the data ("now")."""
    users = ratings.strings("user_id")
    titles = ratings.strings("movie_title")
    if user not in set(users):
        raise SystemExit("user %s has no ratings" % user)
    seen = {t for u, t in zip(users, titles) if u == user}
    candidates = [t for t in ratings.unique_strings("movie_title") if t not in seen]
    now = max(ratings.numbers("timestamp"))
    with librec.Dataset.from_columns({
        "user_id": [user] * len(candidates),
        "movie_title": candidates,
        "timestamp": [now] * len(candidates),
    }) as query:
        scores = model.predict(query)
    ranked = sorted(zip(candidates, scores), key=lambda ts: (-ts[1], ts[0]))
    return ranked[:top], len(seen), len(candidates)


def main(argv=None):
    a = parse_args(argv)
    print("librec %s (%s), numpy %s" % (librec.version_string(), librec.library_path,
                                         "on" if librec.numpy_enabled() else "off"))
    with librec.Dataset.load_movielens(a.data) as ratings:
        n_train = len(ratings) * 4 // 5
        train, test = ratings.shuffle_split(n_train, a.seed)
        with train, test, librec.Model.preset(librec.PRESET_ENRICHED, a.seed) as model, \
                librec.Optimizer.adagrad(a.lr) as opt:
            # the tutorial adapts the preprocessing on all 100,000 ratings
            model.build(ratings)
            print("%d ratings: %d train, %d test; %d parameters"
                  % (len(ratings), len(train), len(test), model.n_params))

            def report(epoch, s):
                print("epoch %d: loss %.4f  rmse %.4f  val_rmse %.4f  (%.2f s)"
                      % (epoch, s["loss"], s["rmse"], s["val_rmse"], s["seconds"]))

            model.fit(opt, train, test, epochs=a.epochs, batch_size=a.batch,
                      eval_batch_size=4096, on_epoch=report)

            tmp = None
            path = a.model
            if not path:
                tmp = tempfile.TemporaryDirectory()
                path = os.path.join(tmp.name, "enriched.rec")
            t0 = time.perf_counter()
            model.save(path)
            t1 = time.perf_counter()
            with librec.Model.load(path) as loaded:
                t2 = time.perf_counter()
                print("saved %d bytes to %s in %.1f ms, loaded in %.1f ms"
                      % (os.path.getsize(path), path, 1e3 * (t1 - t0), 1e3 * (t2 - t1)))
                same = list(model.predict(test)) == list(loaded.predict(test))
                rmse, mae = loaded.evaluate(test)
                print("loaded model: test RMSE %.4f, MAE %.4f; predictions %s"
                      % (rmse, mae, "identical" if same else "DIFFER"))
                if not same:
                    return 1
                best, n_seen, n_cand = recommend(loaded, ratings, a.user, a.top)
            if tmp:
                tmp.cleanup()
    print("top %d for user %s (rated %d titles; %d candidates):"
          % (a.top, a.user, n_seen, n_cand))
    for rank, (title, score) in enumerate(best, 1):
        print("%2d. %.3f  %s" % (rank, score, title))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except librec.RecError as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
