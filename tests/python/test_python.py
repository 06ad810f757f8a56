#!/usr/bin/python3
"""The Python binding (examples/python/librec.py) against the built library.

Run by meson (suite "bindings") with LIBREC_PATH pointing at the build's librec.so; every
test that moves arrays runs twice, with numpy and with plain lists (numpy is optional for
the module; without numpy only the list path runs). With REC_DATA_DIR set, the
train_enriched.py example also runs on MovieLens 100K.
"""

import gc
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.environ.get("REC_PYTHON_DIR",
                          os.path.join(HERE, "..", "..", "examples", "python"))
sys.path.insert(0, EXAMPLES)
import librec  # noqa: E402

try:
    import numpy
except ImportError:
    numpy = None

MODES = [False, True] if numpy is not None else [False]


def synthetic(n_users=20, n_items=30, n=600, seed=3):
    """Ratings from a hidden rank-1 model, as plain Python columns."""
    rng = random.Random(seed)
    uf = [rng.uniform(-1, 1) for _ in range(n_users)]
    itf = [rng.uniform(-1, 1) for _ in range(n_items)]
    words = ["star", "war", "night", "city", "love", "dark", "return", "king"]
    cols = {"user_id": [], "movie_title": [], "timestamp": [], "user_rating": []}
    for _ in range(n):
        u, i = rng.randrange(n_users), rng.randrange(n_items)
        cols["user_id"].append("u%d" % u)
        cols["movie_title"].append("%s %s (19%02d)" % (words[i % 8], words[(i // 8) % 8],
                                                      50 + i))
        cols["timestamp"].append(874724710.0 + 1000.0 * rng.randrange(18000))
        cols["user_rating"].append(3.0 + 1.5 * uf[u] * itf[i])
    return cols


def as_list(x):
    return [float(v) for v in x]


class ModeTest(unittest.TestCase):
    """Runs a test body once per array mode (lists, then numpy when present)."""

    def each_mode(self, body):
        for mode in MODES:
            with self.subTest(numpy=mode):
                previous = librec.set_numpy(mode)
                try:
                    self.assertEqual(librec.numpy_enabled(), mode)
                    body(mode)
                finally:
                    librec.set_numpy(previous)


class TestLibrary(unittest.TestCase):
    def test_version(self):
        # 1.1.x: major·10000 + minor·100 + patch; the major is the ABI the module expects
        self.assertEqual(librec.version() // 100, 101)
        self.assertEqual(librec.version() // 10000, librec.ABI_MAJOR)
        self.assertTrue(librec.version_string().startswith("1.1."))
        self.assertTrue(os.path.exists(librec.library_path))

    def test_errors_carry_status_and_message(self):
        with self.assertRaises(librec.RecError) as cm:
            librec.Model.preset(7)
        e = cm.exception
        self.assertEqual(e.status, librec.EINVAL)
        self.assertEqual(e.name, "REC_EINVAL")
        self.assertIn("unknown preset 7", e.message)
        self.assertEqual(e.function, "rec_model_create_preset")
        self.assertIn("REC_EINVAL", str(e))

        missing = os.path.join(tempfile.gettempdir(), "no-such-dir-librec", "m.rec")
        with self.assertRaises(librec.RecError) as cm:
            librec.Model.load(missing)
        self.assertEqual(cm.exception.status, librec.EIO)
        self.assertIn(missing, cm.exception.message)

    def test_unknown_status_maps_to_rec_error(self):
        e = librec.RecError(-42, "from the future")
        self.assertEqual(e.status, librec.ERROR)
        self.assertEqual(e.name, "REC_ERROR")


class TestBlocks(unittest.TestCase):
    def test_vocab(self):
        # sorted unique tokens: "a" → 1, "b" → 2; size = 2 + OOV
        with librec.Vocab.create(["b", "a", "b"]) as v:
            self.assertEqual(len(v), 3)
            self.assertEqual(v.index("a"), 1)
            self.assertEqual(v.index("b"), 2)
            self.assertEqual(v.index("zzz"), 0)
            self.assertEqual(v.token(2), "b")
            self.assertIsNone(v.token(0))
            self.assertEqual(v.tokens(), ["a", "b"])
            with self.assertRaises(librec.RecError) as cm:
                v.lookup("zzz")
            self.assertEqual(cm.exception.status, librec.ENOTFOUND)

    def test_textvec(self):
        # given vocabulary: "wars" → 2, "star" → 3; "Star Wars: Episode IV" → 3 2 1 1
        with librec.TextVec.create(["wars", "star"], 10) as tv:
            self.assertEqual(len(tv), 4)
            self.assertEqual(tv.max_tokens, 10)
            self.assertEqual(tv.encode("Star Wars: Episode IV"), [3, 2, 1, 1])
            self.assertEqual(tv.token(1), "[UNK]")
        # adapted: "the" twice → 2, then "cat" > "a" (count 1, bytes descending) → 3, 4
        with librec.TextVec.adapt(["The cat", "a THE"], 100) as tv:
            self.assertEqual([tv.token(i) for i in range(2, 5)], ["the", "cat", "a"])
        with self.assertRaises(librec.RecError) as cm:
            librec.TextVec.create(["Upper"], 10)
        self.assertIn("upper case", cm.exception.message)

    def test_optimizer_kinds(self):
        with librec.Optimizer.adam(0.01) as a, librec.Optimizer.sgd(0.05) as b:
            self.assertEqual(a.kind, librec.OPTIMIZER_ADAM)
            self.assertEqual(b.kind, librec.OPTIMIZER_SGD)
            a.set_beta1(0.8)
            with self.assertRaises(librec.RecError):
                a.set_beta2(1.5)

    def test_optimizer(self):
        with librec.Optimizer.adagrad(0.5) as opt:
            self.assertAlmostEqual(opt.learning_rate, 0.5)
            opt.learning_rate = 0.25
            self.assertAlmostEqual(opt.learning_rate, 0.25)
            with self.assertRaises(librec.RecError):
                opt.learning_rate = -1.0
            opt.set_epsilon(1e-6)
            opt.set_initial_accumulator(0.2)


class TestDataset(ModeTest):
    def test_columns(self):
        def body(mode):
            nums = [1.5, None, 3.0]
            if mode:
                nums = numpy.array([1.5, math.nan, 3.0])
            with librec.Dataset.from_columns({
                "user_id": ["b", "a", "b"],
                "age": nums,
                "genres": [["x", "y"], [], ["y"]],
            }) as ds:
                self.assertEqual(len(ds), 3)
                self.assertEqual(ds.columns, ["user_id", "age", "genres"])
                self.assertEqual(ds.strings("user_id"), ["b", "a", "b"])
                self.assertEqual(ds.unique_strings("user_id"), ["a", "b"])
                self.assertEqual(ds.unique_strings("genres"), ["x", "y"])
                got = ds.numbers("age")
                if mode:
                    self.assertIsInstance(got, numpy.ndarray)
                    self.assertEqual(got.dtype, numpy.float64)
                else:
                    self.assertIsInstance(got, list)
                self.assertEqual(got[0], 1.5)
                self.assertTrue(math.isnan(got[1]))
                with ds.subset([2, 0]) as sub:
                    self.assertEqual(sub.strings("user_id"), ["b", "b"])
                a, b = ds.shuffle_split(2, 7)
                with a, b:
                    self.assertEqual((len(a), len(b)), (2, 1))
                with self.assertRaises(librec.RecError) as cm:
                    ds.strings("nope")
                self.assertEqual(cm.exception.status, librec.ENOTFOUND)
        self.each_mode(body)

    def test_numpy_array_is_not_copied_when_contiguous(self):
        if numpy is None:
            self.skipTest("numpy not installed")
        librec.set_numpy(True)
        arr = numpy.arange(5, dtype=numpy.float64)
        ptr, n, keep = librec._doubles(arr)
        self.assertIs(keep, arr)
        self.assertEqual(n, 5)
        # a strided view must be made contiguous (a copy), never passed as is
        ptr, n, keep = librec._doubles(arr[::2])
        self.assertIsNot(keep, arr)
        self.assertEqual(list(keep), [0.0, 2.0, 4.0])


class TestTable(ModeTest):
    TEXT = 'user,item,rating,tags\n"u,1",7,4.5,a;b\nu2,8,,\n'

    def test_parse_with_keywords(self):
        for mode in MODES:
            with self.subTest(numpy=mode):
                librec.set_numpy(mode)
                ds = librec.Dataset.parse_table(
                    self.TEXT, name="t.csv", columns={"item": (librec.TABLE_ID, "item_id")},
                    list_separators={"tags": ";"})
                self.assertEqual(ds.columns, ["user", "item_id", "rating", "tags"])
                self.assertEqual(ds.strings("user"), ["u,1", "u2"])
                self.assertEqual(ds.strings("item_id"), ["7", "8"])
                r = list(ds.numbers("rating"))
                self.assertEqual(r[0], 4.5)
                self.assertTrue(math.isnan(r[1]))
                self.assertEqual(ds.unique_strings("tags"), ["a", "b"])

    def test_load_file_with_options(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.tsv")
            with open(path, "w") as f:
                f.write("u\tscore\nx\t1\ny\t\n")
            opts = librec.TableOptions(delimiter="\t", missing={"score": librec.MISSING_ERROR})
            with self.assertRaises(librec.RecError) as e:
                librec.Dataset.load_table(path, opts)
            self.assertEqual(e.exception.status, librec.EFORMAT)
            self.assertIn("r.tsv:3: column 'score' (2): empty value", e.exception.message)
            opts.set_missing("score", librec.MISSING_ALLOW)
            ds = librec.Dataset.load_table(path, opts)
            self.assertEqual(len(ds), 2)

    def test_errors_name_file_line_column(self):
        with self.assertRaises(librec.RecError) as e:
            librec.Dataset.parse_table("a,b\n1,2\n3\n", name="t.csv")
        self.assertEqual(e.exception.status, librec.EFORMAT)
        self.assertIn("t.csv:3: expected 2 fields, found 1", e.exception.message)
        with self.assertRaises(librec.RecError) as e:
            librec.Dataset.parse_table("a\n1\n", columns={"b": librec.TABLE_NUMBER})
        self.assertEqual(e.exception.status, librec.ENOTFOUND)

    def test_bad_arguments_raise_before_c(self):
        for bad, exc in [(dict(delimiter=",,"), ValueError), (dict(delimiter=3), TypeError),
                         (dict(infer_rows=0), ValueError), (dict(infer_rows="9"), TypeError),
                         (dict(columns={"a": 9}), ValueError),
                         (dict(columns={"": librec.TABLE_STRING}), ValueError),
                         (dict(missing=7), ValueError)]:
            with self.subTest(bad=bad):
                with self.assertRaises(exc):
                    librec.Dataset.parse_table("a\n1\n", **bad)
        with self.assertRaises(TypeError):
            librec.Dataset.parse_table(12)
        with self.assertRaises(TypeError):
            librec.Dataset.parse_table("a\n1\n", options="x")


class TestOwnColumns(unittest.TestCase):
    def test_join_and_policies(self):
        ratings = librec.Dataset.parse_table("user,item,r\nu1,a,1\nu2,b,2\nu3,zz,3\n")
        items = librec.Dataset.parse_table("item,cat\na,x\nb,y\nc,z\n")
        with self.assertRaises(librec.RecError) as e:
            ratings.join("item", items)
        self.assertEqual(e.exception.status, librec.ENOTFOUND)
        self.assertIn("'zz'", e.exception.message)
        self.assertEqual(ratings.columns, ["user", "item", "r"])  # unchanged
        self.assertEqual(ratings.join("item", items, policy=librec.JOIN_FILL_MISSING), (1, 1))
        self.assertEqual(ratings.strings("cat"), ["x", "y", ""])
        with self.assertRaises(TypeError):
            ratings.join("item", "items")
        with self.assertRaises(ValueError):
            ratings.join("item", items, policy=5)

    def test_preset_columns_and_inputs(self):
        ds = librec.Dataset.from_columns({"who": ["a", "b", "a"], "what": ["x", "y", "y"],
                                          "stars": [1.0, 2.0, 3.0]})
        m = librec.Model.preset(librec.PRESET_DOT, seed=1,
                                columns={"user": "who", "item": "what", "label": "stars"})
        self.assertEqual(m.label, "stars")
        m.build(ds)
        cols = [(f["column"], f["side"], f["kind"]) for f in m.inputs]
        self.assertEqual(cols, [("who", librec.SIDE_USER, librec.FEATURE_CATEGORICAL),
                                ("what", librec.SIDE_ITEM, librec.FEATURE_CATEGORICAL)])
        with self.assertRaises(librec.RecError) as e:
            librec.Model.preset(librec.PRESET_DOT, columns={"user": "who", "item": "what"})
        self.assertIn("role 'label' is missing", e.exception.message)
        with self.assertRaises(IndexError):
            m.feature_info(2)
        with self.assertRaises(TypeError):
            librec.Model.preset(librec.PRESET_DOT, columns=[("user", "who")])


class TestServing(ModeTest):
    def setUp(self):
        rows = ["user,item,rating"]
        for u in range(12):
            for i in range(15):
                if (u * 7 + i * 3) % 4:
                    rows.append("u%d,i%d,%d" % (u, i, 1 + (u + 2 * i) % 5))
        self.ratings = librec.Dataset.parse_table("\n".join(rows) + "\n")
        self.items = librec.Dataset.parse_table(
            "item,cat\n" + "".join("i%d,c%d\n" % (i, i % 3) for i in range(15)))
        self.ratings.join("item", self.items)
        m = librec.Model.create(5)
        m.add_feature("user", librec.FEATURE_CATEGORICAL, librec.SIDE_USER, 6)
        m.add_feature("item", librec.FEATURE_CATEGORICAL, librec.SIDE_ITEM, 4)
        m.add_feature("cat", librec.FEATURE_CATEGORICAL, librec.SIDE_ITEM, 2)
        m.set_label("rating")
        m.build(self.ratings)
        m.fit(librec.Optimizer.adagrad(0.1), self.ratings, epochs=5, batch_size=16)
        m.set_catalog(self.items, "item")
        m.set_seen(self.ratings, "user", "item")
        m.clip = True
        self.model = m

    def test_from_the_model_file_alone(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.rec")
            self.model.save(path)
            m = librec.Model.load(path)
        self.assertEqual(m.catalog, ["i%d" % i for i in range(15)])
        lo, hi = m.label_range
        self.assertEqual((lo, hi), (1.0, 5.0))
        top = m.recommend_user({"user": "u3"}, k=20)
        seen = {self.ratings.strings("item")[r] for r in range(len(self.ratings))
                if self.ratings.strings("user")[r] == "u3"}
        self.assertEqual(len(top), 15 - len(seen))
        self.assertFalse(seen & {i for i, _ in top})
        scores = [s for _, s in top]
        self.assertEqual(scores, sorted(scores, reverse=True))
        self.assertTrue(all(1.0 <= s <= 5.0 for s in scores))
        ids = [i for i, _ in top[:3]]
        for mode in MODES:
            librec.set_numpy(mode)
            got = list(m.score_items({"user": "u3"}, ids))
            for g, (_, want) in zip(got, top[:3]):
                self.assertAlmostEqual(g, want, places=5)
        users = librec.Dataset.from_columns({"user": ["u3", "nobody"]})
        both = m.recommend_users(users, k=4)
        self.assertEqual(both[0], top[:4])
        self.assertEqual(m.count_unknown(users), [0, 1])
        with self.assertRaises(librec.RecError) as e:
            m.score_items({"user": "u3"}, ["nosuch"])
        self.assertEqual(e.exception.status, librec.ENOTFOUND)
        self.assertIn("'nosuch'", e.exception.message)

    def test_arguments_checked_before_c(self):
        m = self.model
        with self.assertRaises(ValueError):
            m.recommend_user({"user": "u1"}, k=-1)
        with self.assertRaises(TypeError):
            m.recommend_user({"user": "u1"}, k=2.5)
        with self.assertRaises(IndexError):
            m.recommend_user(librec.Dataset.from_columns({"user": ["u1"]}), row=1)
        with self.assertRaises(TypeError):
            m.recommend_user("u1")
        with self.assertRaises(TypeError):
            m.score_items({"user": "u1"}, [3])
        with self.assertRaises(TypeError):
            m.set_catalog("items", "item")
        self.assertEqual(m.recommend_user({"user": "u1"}, k=0), [])
        self.assertEqual(len(m.recommend_user({"user": "u1"}, k=3, exclude="i0",
                                              exclude_seen=False)), 3)


class TestModel(ModeTest):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cols = synthetic()

    def tearDown(self):
        self.tmp.cleanup()

    def trained(self, preset=librec.PRESET_ENRICHED, epochs=2):
        ds = librec.Dataset.from_columns(self.cols)
        model = librec.Model.preset(preset, seed=5)
        self.assertEqual(model.label, "user_rating")  # the MovieLens preset's
        model.build(ds)
        with librec.Optimizer.adagrad(0.1) as opt:
            model.fit(opt, ds, epochs=epochs, batch_size=32)
        return model, ds

    def test_save_load_predicts_identically(self):
        def body(mode):
            model, ds = self.trained()
            with model, ds:
                path = os.path.join(self.tmp.name, "m%d.rec" % mode)
                model.save(path)
                with librec.Model.load(path) as loaded:
                    self.assertTrue(loaded.built)
                    self.assertEqual(loaded.n_params, model.n_params)
                    self.assertEqual(loaded.summary(), model.summary())
                    a, b = model.predict(ds), loaded.predict(ds)
                    if mode:
                        self.assertIsInstance(a, numpy.ndarray)
                        self.assertEqual(a.dtype, numpy.float32)
                        self.assertEqual(a.tobytes(), b.tobytes())  # bit-identical
                    else:
                        self.assertIsInstance(a, list)
                        self.assertEqual(a, b)
                    self.assertEqual(len(a), len(ds))
                    self.assertEqual(loaded.evaluate(ds), model.evaluate(ds))
        self.each_mode(body)

    def test_numpy_and_list_paths_agree(self):
        if numpy is None:
            self.skipTest("numpy not installed")
        model, ds = self.trained()
        with model, ds:
            librec.set_numpy(False)
            as_lists = model.predict(ds)
            librec.set_numpy(True)
            as_array = model.predict(ds)
            self.assertEqual(as_lists, as_list(as_array))

    def test_resume_training_from_a_checkpoint(self):
        # 2 epochs + save with optimizer state + load + 2 epochs == 4 epochs (one call each)
        def run(model, ds, epochs):
            with librec.Optimizer.adagrad(0.1) as opt:
                for _ in range(epochs):
                    model.train_epoch(opt, ds, 32)

        def body(mode):
            with librec.Dataset.from_columns(self.cols) as ds:
                full = librec.Model.preset(librec.PRESET_ONE_LAYER, seed=9)
                full.build(ds)
                run(full, ds, 4)
                half = librec.Model.preset(librec.PRESET_ONE_LAYER, seed=9)
                half.build(ds)
                run(half, ds, 2)
                path = os.path.join(self.tmp.name, "ckpt.rec")
                half.save(path, include_optimizer_state=True)
                half.close()
                with librec.Model.load(path) as resumed, full:
                    run(resumed, ds, 2)
                    self.assertEqual(as_list(resumed.predict(ds)), as_list(full.predict(ds)))
        self.each_mode(body)

    def test_fit_history_and_callback(self):
        with librec.Dataset.from_columns(self.cols) as ds, \
                librec.Model.preset(librec.PRESET_DOT, seed=1) as model, \
                librec.Optimizer.adagrad(0.1) as opt:
            model.build(ds)
            seen = []

            def stop_after_two(epoch, stats):
                seen.append(epoch)
                return epoch == 2

            history = model.fit(opt, ds, ds, epochs=5, batch_size=64,
                                on_epoch=stop_after_two)
            self.assertEqual(seen, [1, 2])
            self.assertEqual([h["epoch"] for h in history], [1, 2])
            self.assertGreater(history[0]["loss"], 0.0)
            self.assertFalse(math.isnan(history[1]["val_rmse"]))

            def boom(epoch, stats):
                raise KeyError("from the callback")

            with self.assertRaises(KeyError):
                model.fit(opt, ds, epochs=3, batch_size=64, on_epoch=boom)

    def test_described_model_and_predict_from_raw_values(self):
        def body(mode):
            with librec.Dataset.from_columns(self.cols) as ds, \
                    librec.Model.create(seed=4) as m, librec.Optimizer.adagrad(0.1) as opt:
                m.add_feature("user_id", librec.FEATURE_CATEGORICAL, librec.SIDE_USER, 4)
                t = m.add_feature("timestamp", librec.FEATURE_BUCKETIZED, librec.SIDE_USER, 2)
                m.set_bucket_count(t, 9)
                m.add_feature("movie_title", librec.FEATURE_CATEGORICAL, librec.SIDE_ITEM, 3)
                w = m.add_feature("movie_title", librec.FEATURE_TEXT, librec.SIDE_ITEM, 3)
                m.set_max_tokens(w, 50)
                m.set_interaction(librec.INTERACTION_MLP)
                m.add_layer(8, librec.ACTIVATION_RELU)
                m.add_layer(1)
                self.assertIsNone(m.label)  # no default: the data names its label
                m.set_label("user_rating")
                self.assertEqual(m.label, "user_rating")
                self.assertEqual(m.threads, 1)
                m.threads = 2
                self.assertEqual(m.threads, 2)
                with self.assertRaises(librec.RecError):
                    m.threads = 0
                m.build(ds)
                self.assertEqual(m.n_features, 4)
                self.assertEqual(m.n_layers, 2)
                m.train_epoch(opt, ds, 64)
                vocab = m.feature_vocab(0)
                self.assertEqual(len(vocab), 21)  # 20 users + OOV
                self.assertIsNone(m.feature_vocab(1))
                self.assertIn("digraph", m.graphviz())
                # raw inputs, an unknown user and title among them
                with librec.Dataset.from_columns({
                    "user_id": ["u1", "nobody"],
                    "movie_title": [self.cols["movie_title"][0], "Unknown Movie (2001)"],
                    "timestamp": [880000000.0, 880000000.0],
                }) as q:
                    p = m.predict(q)
                    self.assertEqual(len(p), 2)
                    self.assertTrue(all(math.isfinite(x) for x in as_list(p)))
        self.each_mode(body)

    def test_training_without_a_label_raises(self):
        with librec.Dataset.from_columns(self.cols) as ds, \
                librec.Model.create(seed=4) as m, librec.Optimizer.adagrad(0.1) as opt:
            m.add_feature("user_id", librec.FEATURE_CATEGORICAL, librec.SIDE_USER, 4)
            m.add_feature("movie_title", librec.FEATURE_CATEGORICAL, librec.SIDE_ITEM, 4)
            m.build(ds)
            with self.assertRaises(librec.RecError) as cm:
                m.fit(opt, ds, epochs=1, batch_size=64)
            self.assertEqual(cm.exception.status, librec.ESTATE)
            self.assertIn("has no label column (call rec_model_set_label)",
                          cm.exception.message)

    def test_recommend_matches_predict_and_sort(self):
        model, ds = self.trained()
        with model, ds:
            titles = ds.unique_strings("movie_title")
            seen = {t for u, t in zip(ds.strings("user_id"), ds.strings("movie_title"))
                    if u == "u3"}
            with librec.Dataset.from_columns({"movie_title": titles}) as cand, \
                    librec.Dataset.from_columns({"user_id": ["u3"],
                                                 "timestamp": [880000000.0]}) as query, \
                    librec.Dataset.from_columns({
                        "user_id": ["u3"] * len(titles), "movie_title": titles,
                        "timestamp": [880000000.0] * len(titles)}) as full:
                excl = [i for i, t in enumerate(titles) if t in seen]
                top = model.recommend(5, cand, query, 0, excl)
                scores = as_list(model.predict(full))
                want = sorted((i for i in range(len(titles)) if i not in set(excl)),
                              key=lambda i: (-scores[i], i))[:5]
                self.assertEqual([r for r, _ in top], want)
                self.assertEqual([s for _, s in top], [scores[i] for i in want])

    def test_synthetic_dataset(self):
        with librec.Dataset.synthesize(500, 30, 40, seed=1) as ds, \
                librec.Model.preset(librec.PRESET_ENRICHED, 2) as m, \
                librec.Optimizer.adam(0.01) as opt:
            self.assertEqual(len(ds), 500)
            m.build(ds)
            loss, rmse = m.train_epoch(opt, ds, 64)
            self.assertTrue(math.isfinite(loss))

    def test_handles_close_and_borrow(self):
        model, ds = self.trained(librec.PRESET_DOT, 1)
        vocab = model.feature_vocab(0)
        first = vocab.token(1)
        del model  # the borrowed vocabulary keeps the model alive
        gc.collect()
        self.assertEqual(vocab.token(1), first)
        with ds:
            pass
        self.assertTrue(ds.closed)
        ds.close()  # idempotent
        # ctypes reports the ValueError of a closed handle as an ArgumentError
        with self.assertRaisesRegex(Exception, "Dataset is closed"):
            len(ds)
        with self.assertRaises(librec.RecError) as cm:
            librec.Model.create(1).save(os.path.join(self.tmp.name, "x.rec"))
        self.assertEqual(cm.exception.status, librec.ESTATE)


class TestExample(unittest.TestCase):
    def test_train_enriched_on_movielens(self):
        data = os.environ.get("REC_DATA_DIR")
        if not data or not os.path.exists(os.path.join(data, "u.data")):
            self.skipTest("REC_DATA_DIR is not set to the ml-100k directory")
        script = os.path.join(EXAMPLES, "train_enriched.py")
        r = subprocess.run([sys.executable, script, "--data", data, "--epochs", "1"],
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("predictions identical", r.stdout)
        self.assertIn("top 10 for user 42", r.stdout)
        ranks = [line for line in r.stdout.splitlines() if re.match(r"^ ?\d+\. ", line)]
        self.assertEqual(len(ranks), 10, r.stdout)

    def test_example_without_data_explains(self):
        script = os.path.join(EXAMPLES, "train_enriched.py")
        env = dict(os.environ)
        env.pop("REC_DATA_DIR", None)
        r = subprocess.run([sys.executable, script], capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("REC_DATA_DIR", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
