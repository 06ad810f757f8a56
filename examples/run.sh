#!/usr/bin/env bash
# The main job (README.md "Run the experiments"): install what is missing, build, get
# MovieLens 100K unless REC_DATA_DIR names it already, and run the three tutorial experiments
# side by side (examples/experiments/compare.c), writing the figure, summaries and model graphs
# to results/.
# usage: examples/run.sh [compare flags, e.g. --epochs 10 --seed 42 --split u1]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
if [ ! -f build/build.ninja ]; then
    meson setup build
fi
meson compile -C build
if [ -z "${REC_DATA_DIR:-}" ]; then
    sh examples/get-movielens.sh data
    REC_DATA_DIR=$(pwd)/data/ml-100k
fi
mkdir -p results
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} \
    build/examples/experiments/compare --data "$REC_DATA_DIR" --out results \
    --json results/compare.json "$@"
echo "results in $(pwd)/results: rmse_vs_epoch.{csv,png,svg}, <model>_summary.txt, <model>.dot/.png"
