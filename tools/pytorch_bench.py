#!/usr/bin/python3
"""PyTorch side of the side-by-side comparison in docs/BENCHMARKS.md: the tutorial's three
models (dot, one_layer, enriched) trained with PyTorch on MovieLens 100K, one thread, and their
per-epoch training times.

Same data, split, preprocessing and hyper-parameters as librec's examples: the preprocessing
(StringLookup, 1000-boundary Discretization, Normalization, TextVectorization) is imported
from tests/reference/keras_ref.py, the independent numpy reference of the tutorial; 80,000
training examples from the seeded split, batch 2048, Adagrad (learning rate 0.1, initial
accumulator 0.1, epsilon 1e-7), embeddings of 32, Dense(64, relu) -> Dense(1), mean-squared
error. Features are tensors made once before training; an epoch is a fresh permutation, then
for every batch: forward, loss, backward, optimizer step (what Keras's fit and librec's
rec_model_fit time). Evaluation is not timed.

    /usr/bin/python3 tools/pytorch_bench.py --data DIR [--models dot,one_layer,enriched]
        [--epochs 10] [--repeats 3] [--threads 1] [--sparse] [--json FILE|-]

Needs Debian's python3-torch (PyTorch 1.13). Prints one line per model and, with --json, the
per-epoch seconds and their median, in the shape of `bench --json` (model, threads,
train_epoch_seconds_median, epoch_seconds).
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time


def _threads_from_argv():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


# Debian's PyTorch does its matrix products in OpenBLAS, whose own thread pool (all cores by
# default) is not governed by torch.set_num_threads(): one PyTorch thread then used two cores'
# worth of CPU time. Pin the BLAS and OpenMP pools before numpy or torch loads OpenBLAS (it
# reads the variable once, when loaded), unless the caller set them.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _threads_from_argv())

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "reference"))
import keras_ref as kr  # noqa: E402  (preprocessing only)

D = kr.EMB_DIM


class Net(torch.nn.Module):
    def __init__(self, kind, feats, sparse):
        super().__init__()
        self.kind = kind
        self.user = torch.nn.Embedding(feats.user_lookup.size(), D, sparse=sparse)
        self.title = torch.nn.Embedding(feats.title_lookup.size(), D, sparse=sparse)
        for e in (self.user, self.title):
            torch.nn.init.uniform_(e.weight, -0.05, 0.05)
        width = 2 * D
        if kind == "enriched":
            self.ts = torch.nn.Embedding(kr.N_BOUNDARIES + 1, D, sparse=sparse)
            self.text = torch.nn.Embedding(kr.MAX_TOKENS, D, padding_idx=0, sparse=sparse)
            for e in (self.ts, self.text):
                torch.nn.init.uniform_(e.weight, -0.05, 0.05)
            width = 4 * D + 1
        if kind != "dot":
            self.l1 = torch.nn.Linear(width, 64)
            self.l2 = torch.nn.Linear(64, 1)
            for l in (self.l1, self.l2):
                torch.nn.init.xavier_uniform_(l.weight)
                torch.nn.init.zeros_(l.bias)

    def forward(self, b):
        u = self.user(b["user"])
        m = self.title(b["title"])
        if self.kind == "dot":
            return (u * m).sum(dim=1)
        if self.kind == "one_layer":
            x = torch.cat([u, m], dim=1)
        else:
            tok = b["tokens"]
            mask = (tok != 0).to(torch.float32)
            cnt = mask.sum(dim=1).clamp(min=1.0)
            text = (self.text(tok) * mask.unsqueeze(2)).sum(dim=1) / cnt.unsqueeze(1)
            x = torch.cat([u, self.ts(b["bucket"]), b["nts"].unsqueeze(1), m, text], dim=1)
        return self.l2(torch.relu(self.l1(x))).squeeze(1)


def tensors(feats, idx):
    b = feats.batch(idx)
    return {
        "user": torch.from_numpy(b["user"].astype(np.int64)),
        "title": torch.from_numpy(b["title"].astype(np.int64)),
        "bucket": torch.from_numpy(b["bucket"].astype(np.int64)),
        "nts": torch.from_numpy(b["nts"].astype(np.float32)),
        "tokens": torch.from_numpy(b["tokens"].astype(np.int64)),
        "y": torch.from_numpy(b["y"].astype(np.float32)),
    }


def run(kind, feats, train_idx, test_idx, epochs, seed, sparse):
    torch.manual_seed(seed)
    net = Net(kind, feats, sparse)
    opt = torch.optim.Adagrad(net.parameters(), lr=kr.LR,
                              initial_accumulator_value=kr.ADAGRAD_INIT, eps=kr.ADAGRAD_EPS)
    data = tensors(feats, train_idx)
    n = len(train_idx)
    gen = torch.Generator().manual_seed(seed)
    times, cpu = [], []
    for _ in range(epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, kr.BATCH):
            sel = perm[s : s + kr.BATCH]
            b = {k: v[sel] for k, v in data.items()}
            opt.zero_grad(set_to_none=True)
            loss = torch.mean((net(b) - b["y"]) ** 2)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    with torch.no_grad():
        t = tensors(feats, test_idx)
        rmse = float(torch.sqrt(torch.mean((net(t) - t["y"]) ** 2)))
    return times, cpu, rmse


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("REC_DATA_DIR"))
    ap.add_argument("--models", default="dot,one_layer,enriched")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--sparse", action="store_true",
                    help="sparse embedding gradients (Adagrad updates only the rows used, as "
                         "Keras and librec do); default: PyTorch's dense gradients")
    ap.add_argument("--json")
    a = ap.parse_args()
    if not a.data:
        ap.error("--data DIR (MovieLens 100K) or REC_DATA_DIR is required")
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    data = kr.load_movielens(a.data)
    feats = kr.Features(data)
    train_idx, test_idx = kr.random_split(len(data["user_rating"]), a.seed)
    results = []
    for kind in a.models.split(","):
        epochs, cpus, rmse = [], [], float("nan")
        for r in range(a.repeats):
            t, c, rmse = run(kind, feats, train_idx, test_idx, a.epochs, a.seed + r, a.sparse)
            epochs += t
            cpus += c
        med, cmed = statistics.median(epochs), statistics.median(cpus)
        print(f"pytorch {torch.__version__} {kind:10} threads {a.threads}: "
              f"epoch {med * 1e3:8.2f} ms (median of {len(epochs)}; CPU {cmed * 1e3:.2f} ms), "
              f"{len(train_idx) / med / 1e6:6.2f} M ex/s, test RMSE {rmse:.4f}")
        results.append({"model": kind, "threads": a.threads, "train_epoch_seconds_median": med,
                        "train_epoch_cpu_seconds_median": cmed,
                        "train_examples_per_second": len(train_idx) / med, "test_rmse": rmse,
                        "epoch_seconds": epochs})
    if a.json:
        out = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": " ".join(sys.argv), "framework": f"pytorch {torch.__version__}",
               "sparse_embedding_gradients": a.sparse,
               "machine": platform.processor() or platform.machine(), "results": results}
        text = json.dumps(out, indent=1)
        if a.json == "-":
            print(text)
        else:
            with open(a.json, "w") as f:
                f.write(text + "\n")


if __name__ == "__main__":
    main()
