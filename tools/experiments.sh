#!/usr/bin/env bash
# Reproduce the tables of docs/experiments.md: the three tutorial models, 10 epochs, on random
# 80/20 splits over several seeds and on the u1..u5 folds; prints Markdown tables (mean ± std).
# usage: REC_DATA_DIR=... tools/experiments.sh [BUILD_DIR] [SEEDS...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
: "${REC_DATA_DIR:?set REC_DATA_DIR to the ml-100k directory}"
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for m in dot one_layer enriched; do
    for s in "${seeds[@]}"; do
        "$build/examples/experiments/tutorial" --model "$m" --quiet --seed "$s" \
            --json "$tmp/$m-random-$s.json" >/dev/null
    done
    for f in u1 u2 u3 u4 u5; do
        "$build/examples/experiments/tutorial" --model "$m" --quiet --seed 42 --split "$f" \
            --json "$tmp/$m-$f-42.json" >/dev/null
    done
done
/usr/bin/python3 - "$tmp" "${seeds[@]}" <<'PY'
import json, statistics as st, sys, glob, os
tmp, seeds = sys.argv[1], sys.argv[2:]
def load(m, split, seed):
    return json.load(open(os.path.join(tmp, f"{m}-{split}-{seed}.json")))
def ms(xs):
    return f"{st.mean(xs):.4f} ± {st.stdev(xs):.4f}" if len(xs) > 1 else f"{xs[0]:.4f}"
print(f"Random 80/20 splits, seeds {', '.join(seeds)} (10 epochs):\n")
print("| model | final val RMSE (mean ± std) | final val MAE | per seed | s/epoch (median) |")
print("|---|---|---|---|---|")
for m in ("dot", "one_layer", "enriched"):
    runs = [load(m, "random", s) for s in seeds]
    r = [d["final_val_rmse"] for d in runs]; a = [d["final_val_mae"] for d in runs]
    t = st.median(e["seconds"] for d in runs for e in d["epochs"])
    print(f"| {m} | {ms(r)} | {ms(a)} | {', '.join(f'{x:.4f}' for x in r)} | {t:.4f} |")
print("\nML-100K folds u1..u5 (train uN.base, test uN.test, seed 42, 10 epochs):\n")
print("| model | u1 | u2 | u3 | u4 | u5 | mean ± std |")
print("|---|---|---|---|---|---|---|")
for m in ("dot", "one_layer", "enriched"):
    r = [load(m, f, 42)["final_val_rmse"] for f in ("u1", "u2", "u3", "u4", "u5")]
    print(f"| {m} | " + " | ".join(f"{x:.4f}" for x in r) + f" | {ms(r)} |")
PY
