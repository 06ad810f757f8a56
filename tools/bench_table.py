#!/usr/bin/python3
"""The tables of docs/BENCHMARKS.md from several runs of the same bench command.

    tools/bench_table.py RUN.json [RUN.json ...]

Each RUN.json is the --json output of one `build/examples/experiments/bench` run; all of them
must come from the same command line. Every figure printed is the median over the runs of
that run's figure (itself a median over epochs and repeats), so that one run disturbed by
the machine's load does not set a cell. Prints, as Markdown: one table per model (epoch, its
CPU time, throughputs, latencies, test RMSE), the matrix-product table (the epoch against
OpenBLAS's sgemm rate on the model's shapes) and the thread-scaling table (two threads
against one).
"""
import json
import statistics
import sys

COLUMNS = [  # key, heading, format
    ("train_epoch_seconds_median", "epoch", "ms"),
    ("train_epoch_cpu_seconds_median", "CPU / epoch", "ms"),
    ("train_examples_per_second", "train ex/s", "rate"),
    ("eval_examples_per_second", "eval ex/s", "rate"),
    ("predict_one_latency_us", "one prediction", "us"),
    ("predict_batch_examples_per_second", "batch predict ex/s", "rate"),
    ("topk_latency_ms", "top-k: predict + sort", "ms_direct"),
    ("recommend_latency_ms", "top-k: `rec_model_recommend`", "ms_direct"),
    ("test_rmse", "test RMSE", "rmse"),
]


def fmt(v, kind):
    if v is None:
        return "—"
    if kind == "ms":
        ms = v * 1e3
        return f"{ms:.2f} ms" if ms < 100 else f"{ms:.1f} ms"
    if kind == "ms_direct":
        return f"{v:.3f} ms" if v < 1 else (f"{v:.2f} ms" if v < 100 else f"{v:,.0f} ms")
    if kind == "us":
        return f"{v:.1f} µs" if v < 100 else f"{v:,.0f} µs"
    if kind == "rate":
        return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.1f} k"
    if kind == "rmse":
        return f"{v:.4f}"
    raise ValueError(kind)


def median(values):
    vals = [v for v in values if v is not None and v == v]  # drop null and NaN
    return statistics.median(vals) if vals else None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = [json.load(open(p)) for p in sys.argv[1:]]
    commands = {r["command"].split(" --json")[0] for r in runs}
    if len(commands) != 1:
        sys.exit(f"bench_table: the runs come from different commands: {sorted(commands)}")
    cells = {}  # (model, threads) -> {key: [values]}
    order = []
    for r in runs:
        for res in r["results"]:
            k = (res["model"], res["threads"])
            if k not in cells:
                cells[k] = {}
                order.append(k)
            for key, val in res.items():
                if not isinstance(val, list):
                    cells[k].setdefault(key, []).append(val)
    med = {k: {key: median(v) for key, v in c.items() if key != "model"} for k, c in cells.items()}
    models = list(dict.fromkeys(m for m, _ in order))
    print(f"Median over {len(runs)} runs of `{commands.pop()}`.\n")
    for m in models:
        cols = [c for c in COLUMNS
                if any(med[k].get(c[0]) is not None for k in order if k[0] == m)]
        print(f"#### {m}\n")
        heads = [c[1] for c in cols]
        if m == "best":  # its epoch is one Gibbs sweep
            heads = [h.replace("epoch", "sweep") for h in heads]
        print("| threads | " + " | ".join(heads) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for k in order:
            if k[0] == m:
                print(f"| {k[1]} | " + " | ".join(fmt(med[k].get(c[0]), c[2]) for c in cols)
                      + " |")
        print()
    print("#### Matrix products (1 thread)\n")
    print("| model | FLOPs / epoch | sgemm on its shapes | those FLOPs at that rate | "
          "librec epoch | ratio |")
    print("|---|---|---|---|---|---|")
    for m in models:
        c = med.get((m, 1))
        if not c or c.get("sgemm_gflops_model_shapes") is None:
            continue
        print(f"| {m} | {c['flops_per_epoch'] / 1e9:.2f} G | "
              f"{c['sgemm_gflops_model_shapes']:.1f} GFLOP/s | "
              f"{c['sgemm_seconds_per_epoch'] * 1e3:.1f} ms | "
              f"{fmt(c['train_epoch_seconds_median'], 'ms')} | "
              f"{c['train_epoch_seconds_median'] / c['sgemm_seconds_per_epoch']:.2f} |")
    print()
    squares = [r["sgemm_gflops"].get("square_2048_1thread") for r in runs]
    print(f"sgemm 2048³ on one thread: {median(squares):.1f} GFLOP/s\n")
    print("#### Two threads against one\n")
    print("| model | training | evaluation | batch prediction | top-k (`rec_model_recommend`) |")
    print("|---|---|---|---|---|")
    for m in models:
        one, two = med.get((m, 1)), med.get((m, 2))
        if not one or not two:
            continue
        # ratios of the medians (a rate's ratio, or a latency's inverse ratio)
        tr = one["train_epoch_seconds_median"] / two["train_epoch_seconds_median"]
        ev = two["eval_examples_per_second"] / one["eval_examples_per_second"]
        pr = two["predict_batch_examples_per_second"] / one["predict_batch_examples_per_second"]
        rc = one["recommend_latency_ms"] / two["recommend_latency_ms"]
        print(f"| {m} | {tr:.2f}× | {ev:.2f}× | {pr:.2f}× | {rc:.2f}× |")


if __name__ == "__main__":
    main()
