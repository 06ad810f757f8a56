#!/bin/sh
# Run the numpy reference and librec's examples on the same models, splits and seeds, writing
# one JSON per run to OUT_DIR. Usage (from the repository root, after building BUILD_DIR):
#   tests/reference/run_all.sh BUILD_DIR OUT_DIR SPLIT SEED...
# e.g. tests/reference/run_all.sh build-h4 build-h4/ref-results random 1 2 3 42
set -e
build=$1; out=$2; split=$3; shift 3
data=${REC_DATA_DIR:-/work/shared/data/ml-100k}
here=$(dirname "$0")
mkdir -p "$out"
for m in dot one_layer enriched; do
  for s in "$@"; do
    /usr/bin/python3 "$here/keras_ref.py" --data "$data" --model $m --seed $s --split $split \
      --quiet --json "$out/ref_${split}_${m}_${s}.json"
    OPENBLAS_NUM_THREADS=1 "$build/examples/experiments/tutorial" --model $m --data "$data" \
      --seed $s --split $split --quiet --json "$out/librec_${split}_${m}_${s}.json"
  done
done
