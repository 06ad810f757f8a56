#!/usr/bin/python3
"""Interleaved A/B comparison of bench binaries (docs/BENCHMARKS.md, "Machine and method").

    tools/bench_ab.py [--data DIR] [--rounds 5] [--threads 1] [--models dot,one_layer,enriched]
        NAME=PATH/TO/bench NAME=PATH/TO/bench ...

Runs the binaries one after the other, --rounds times over (so that a change in the machine's
load hits every binary alike), each with `--epochs 10 --repeats 1 --no-sgemm --no-predict
--json`, and prints per model, thread count and binary: the median over the runs of each run's
median epoch (wall and CPU, ms), the fastest epoch, and the test RMSE. On a shared machine
compare the CPU column with the wall column: where they differ, the run did not have the cores
it asked for.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("REC_DATA_DIR"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--models", default="dot,one_layer,enriched")
    ap.add_argument("bins", nargs="+", help="NAME=PATH of a bench binary")
    a = ap.parse_args()
    if not a.data:
        ap.error("--data DIR (MovieLens 100K) or REC_DATA_DIR is required")
    bins = [b.split("=", 1) for b in a.bins]
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.rounds):
            for name, path in bins:
                out = os.path.join(tmp, name + ".json")
                subprocess.run([path, "--data", a.data, "--models", a.models, "--threads",
                                a.threads, "--epochs", "10", "--repeats", "1", "--no-sgemm",
                                "--no-predict", "--json", out], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=True)
                for x in json.load(open(out))["results"]:
                    k = (x["model"], x["threads"], name)
                    r = res.setdefault(k, {"wall": [], "cpu": [], "epochs": [], "rmse": 0.0})
                    r["wall"].append(x["train_epoch_seconds_median"] * 1e3)
                    r["cpu"].append(x["train_epoch_cpu_seconds_median"] * 1e3)
                    r["epochs"] += [e * 1e3 for e in x["epoch_seconds"]]
                    r["rmse"] = x["test_rmse"]
    with open("/proc/loadavg") as f:
        print("load average at the end:", " ".join(f.read().split()[:3]))
    for k in sorted(res):
        v = res[k]
        print(f"{k[0]:10} threads {k[1]} {k[2]:8} epoch {statistics.median(v['wall']):8.2f} ms"
              f"  cpu {statistics.median(v['cpu']):8.2f} ms  fastest {min(v['epochs']):8.2f} ms"
              f"  test RMSE {v['rmse']:.4f}")


if __name__ == "__main__":
    main()
