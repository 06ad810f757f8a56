#!/bin/sh
# Run the numpy reference of the `deep` example (deep_ref.py) and librec's
# examples/experiments/deep on the same split and seeds, one JSON per run in OUT_DIR. Usage
# (from the repository root, after building BUILD_DIR):
#   tests/reference/run_deep.sh BUILD_DIR OUT_DIR SPLIT SEED...
# e.g. tests/reference/run_deep.sh build build/ref-results u1 1 2 3 4 5 6 7 8 9 10
# DEEP_FLAGS (e.g. "--epochs 50 --patience 3") is passed to both, and DEEP_TAG (default "deep")
# names the files: ref_SPLIT_TAG_SEED.json and librec_SPLIT_TAG_SEED.json, which
# summarize.py OUT_DIR SPLIT --models TAG reads.
set -e
build=$1; out=$2; split=$3; shift 3
data=${REC_DATA_DIR:-/work/shared/data/ml-100k}
tag=${DEEP_TAG:-deep}
here=$(dirname "$0")
mkdir -p "$out"
for s in "$@"; do
  # shellcheck disable=SC2086
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$here/deep_ref.py" --data "$data" --seed $s \
    --split $split $DEEP_FLAGS --quiet --json "$out/ref_${split}_${tag}_${s}.json"
  # shellcheck disable=SC2086
  OPENBLAS_NUM_THREADS=1 "$build/examples/experiments/deep" --data "$data" --seed $s \
    --split $split $DEEP_FLAGS --quiet --json "$out/librec_${split}_${tag}_${s}.json"
done
