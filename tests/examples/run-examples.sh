#!/bin/sh
# Suite "examples": run every example program the way a user would and check its output.
# usage: run-examples.sh BUILD_DIR. Needs REC_DATA_DIR (the ml-100k directory); without it the
# data-driven runs are skipped (exit 77, meson's "skipped") after the argument checks.
set -eu
build=$1
ex="$build/examples"
exp="$build/examples/experiments"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1

fail() { echo "FAIL: $*"; exit 1; }

# Argument errors: clear message, non-zero exit, no crash.
# dot, one_layer and enriched take the data directory as their only argument: exit status 1.
for m in dot one_layer enriched; do
    rc=0
    env -u REC_DATA_DIR "$ex/$m" >"$tmp/out" 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || fail "$m without data exited $rc: $(cat "$tmp/out")"
    grep -q "usage: $m DATA_DIR" "$tmp/out" || fail "$m no-data message: $(cat "$tmp/out")"
    rc=0
    "$ex/$m" "$tmp/nowhere" >"$tmp/out" 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || fail "$m on a missing dir exited $rc: $(cat "$tmp/out")"
    grep -q "$tmp/nowhere" "$tmp/out" || fail "$m missing-dir message: $(cat "$tmp/out")"
done
if env -u REC_DATA_DIR "$exp/tutorial" --model dot >"$tmp/out" 2>&1; then
    fail "tutorial ran without data"
fi
grep -q "pass --data DIR or set REC_DATA_DIR" "$tmp/out" ||
    fail "no-data message: $(cat "$tmp/out")"
if "$exp/tutorial" --model dot --data "$tmp/nowhere" >"$tmp/out" 2>&1; then
    fail "tutorial ran on a missing dir"
fi
grep -q "$tmp/nowhere" "$tmp/out" || fail "missing-dir message lacks the path: $(cat "$tmp/out")"
if "$exp/tutorial" --model one_layer --data . --split u9 >"$tmp/out" 2>&1; then
    fail "accepted --split u9"
fi
grep -q "random or u1..u5" "$tmp/out" || fail "bad split message: $(cat "$tmp/out")"
if "$exp/tutorial" --model enriched --data . --epochs zero >"$tmp/out" 2>&1; then
    fail "accepted --epochs zero"
fi
if "$exp/tutorial" --data . >"$tmp/out" 2>&1; then fail "tutorial ran without --model"; fi
grep -q "it has no default" "$tmp/out" || fail "no-model message: $(cat "$tmp/out")"
if "$exp/tutorial" --model dott --data . >"$tmp/out" 2>&1; then fail "tutorial --model dott"; fi
grep -q "must be dot, one_layer or enriched" "$tmp/out" || fail "bad model: $(cat "$tmp/out")"
if "$exp/factorize" --data . --model nope >"$tmp/out" 2>&1; then fail "factorize --model nope"; fi
grep -q "must be bmf or fm" "$tmp/out" || fail "factorize bad model message: $(cat "$tmp/out")"
if "$exp/factorize" --data . --optimizer nope >"$tmp/out" 2>&1; then
    fail "factorize --optimizer"
fi
grep -q "sgd, adagrad or adam" "$tmp/out" || fail "factorize optimizer message: $(cat "$tmp/out")"
if "$exp/bench" --synth 1000 --models deep >"$tmp/out" 2>&1; then
    fail "bench ran deep on --synth"
fi
grep -q "deep reads MovieLens's side features" "$tmp/out" ||
    fail "bench synth message: $(cat "$tmp/out")"
if "$exp/bench" --synth 1000 --models dot,dot >"$tmp/out" 2>&1; then fail "bench took dot twice"; fi
grep -q "model 'dot' named twice" "$tmp/out" || fail "bench twice message: $(cat "$tmp/out")"
if "$exp/bench" --synth 1000 --best-sweeps 1 >"$tmp/out" 2>&1; then fail "bench --best-sweeps 1"; fi
grep -q "best-sweeps 2..1024" "$tmp/out" || fail "bench sweeps message: $(cat "$tmp/out")"
echo "argument errors: ok"

if [ -z "${REC_DATA_DIR:-}" ]; then
    echo "REC_DATA_DIR not set: skipping the example runs on ML-100K"
    exit 77
fi

py=/usr/bin/python3
[ -x "$py" ] || py=python3
# dot, one_layer and enriched follow the tutorial's protocol (seed 42, 10 epochs), so their
# test RMSE is the one tutorial --model M reports with its defaults: the same models.
# dot reads the directory from its argument, the other two from REC_DATA_DIR.
for m in dot one_layer enriched; do
    if [ $m = dot ]; then
        "$ex/$m" "$REC_DATA_DIR" >"$tmp/$m-newcomer.out" || fail "$m exited $?"
    else
        "$ex/$m" >"$tmp/$m-newcomer.out" || fail "$m exited $?"
    fi
    grep -q "^Epoch 10/10$" "$tmp/$m-newcomer.out" || fail "$m printed no progress line"
    "$exp/tutorial" --model $m --quiet --json "$tmp/$m-default.json" >/dev/null ||
        fail "tutorial --model $m (defaults) exited $?"
    "$py" - "$tmp/$m-newcomer.out" "$tmp/$m-default.json" <<'PY' || fail "$m output"
import json, math, re, sys
out = open(sys.argv[1]).read()
rmse = re.search(r"^test RMSE (\S+), MAE (\S+)$", out, re.M)
assert rmse, out
want = json.load(open(sys.argv[2]))
assert rmse.group(1) == "%.4f" % want["final_val_rmse"], (rmse.group(1), want)
assert rmse.group(2) == "%.4f" % want["final_val_mae"], (rmse.group(2), want)
pred = re.findall(r'^predicted rating of user 42 for ".+": (\S+)$', out, re.M)
assert len(pred) == 2 and all(math.isfinite(float(p)) for p in pred), out
print(sys.argv[2].rsplit("/", 1)[1].split("-")[0], "test RMSE", rmse.group(1))
PY
done
for m in dot one_layer enriched; do
    "$exp/tutorial" --model $m --epochs 2 --seed 7 --json "$tmp/$m.json" >"$tmp/$m.out" ||
        fail "tutorial --model $m exited $?"
    grep -q "^Epoch 2/2" "$tmp/$m.out" || fail "$m printed no progress line"
    grep -q "density" "$tmp/$m.out" || fail "$m did not describe the data"
    grep -q "predicted rating of user 42" "$tmp/$m.out" || fail "$m did not predict"
    "$py" - "$tmp/$m.json" "$m" <<'PY' || fail "$m JSON"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["model"] == sys.argv[2] and d["split"] == "random" and d["seed"] == 7, d
assert [e["epoch"] for e in d["epochs"]] == [1, 2], d["epochs"]
for e in d["epochs"]:
    for k in ("loss", "rmse", "val_rmse", "seconds"):
        assert isinstance(e[k], float) and math.isfinite(e[k]), (k, e)
assert abs(d["final_val_rmse"] - d["epochs"][-1]["val_rmse"]) < 1e-9
print(sys.argv[2], "final_val_rmse", d["final_val_rmse"])
PY
done
"$exp/tutorial" --model dot --epochs 1 --split u3 --quiet | grep -q "split u3" || fail "u3 fold"
"$exp/compare" --epochs 2 --out "$tmp" --quiet >"$tmp/compare.out" || fail "compare exited"
[ "$(wc -l < "$tmp/rmse_vs_epoch.csv")" -eq 3 ] || fail "CSV should have a header and 2 rows"
head -n 1 "$tmp/rmse_vs_epoch.csv" | grep -q "^epoch,dot,one_layer,enriched$" || fail "CSV header"
for m in dot one_layer enriched; do
    grep -q "Total params" "$tmp/${m}_summary.txt" || fail "$m summary"
    grep -q "^digraph" "$tmp/$m.dot" || fail "$m graph"
done
if command -v gnuplot >/dev/null 2>&1; then
    [ -s "$tmp/rmse_vs_epoch.png" ] && [ -s "$tmp/rmse_vs_epoch.svg" ] || fail "figure missing"
fi
# recommend: k lines, sorted by predicted rating, none of them already rated by the user
"$ex/recommend" --user 42 -k 5 --epochs 2 >"$tmp/rec.out" || fail "recommend exited"
[ "$(grep -c '^ *[0-9]*\. ' "$tmp/rec.out")" -eq 5 ] || fail "recommend: $(cat "$tmp/rec.out")"
"$py" - "$tmp/rec.out" "$REC_DATA_DIR" <<'PY' || fail "recommend output"
import sys, re
lines = [l for l in open(sys.argv[1]) if re.match(r"\s*\d+\. ", l)]
scores = [float(l.split()[1]) for l in lines]
assert scores == sorted(scores, reverse=True), scores
titles = {}
for l in open(sys.argv[2] + "/u.item", encoding="latin-1"):
    f = l.split("|")
    titles[f[0]] = f[1]
rated = {titles[l.split()[1]] for l in open(sys.argv[2] + "/u.data") if l.split()[0] == "42"}
for l in lines:
    t = l.split(None, 2)[2].strip()
    assert t not in rated, t
PY
if "$ex/recommend" --user 99999 >"$tmp/rec.out" 2>&1; then fail "recommend for an unknown user"; fi
grep -q "has no ratings" "$tmp/rec.out" || fail "unknown user message"
# deep (the exercise) and best (Gibbs-sampled FM): short runs, same JSON as the presets
"$exp/deep" --epochs 2 --seed 7 --json "$tmp/deep.json" >"$tmp/deep.out" || fail "deep exited $?"
grep -q "dense_1 (Dense, relu)" "$tmp/deep.out" || fail "deep printed no summary"
"$exp/deep" --epochs 3 --patience 1 --dropout 0.1 --l2 0.0001 --quiet --split u2 \
    --json "$tmp/deep2.json" >/dev/null || fail "deep with early stopping"
"$exp/best" --epochs 6 --burn-in 2 --split u1 --json "$tmp/best.json" >"$tmp/best.out" \
    || fail "best exited $?"
grep -q "^Sweep 6/6" "$tmp/best.out" || fail "best printed no progress line"
"$exp/best" --epochs 4 --burn-in 1 --quiet --validate --likelihood gaussian \
    --features history,day --json "$tmp/best2.json" >/dev/null || fail "best --validate"
"$py" - "$tmp" <<'PY' || fail "deep/best JSON"
import json, math, sys
t = sys.argv[1]
d = json.load(open(t + "/deep.json"))
assert d["model"] == "deep" and len(d["epochs"]) == 2 and d["seed"] == 7, d
assert math.isfinite(d["final_val_rmse"]) and d["final_val_rmse"] < 1.5, d
d = json.load(open(t + "/deep2.json"))
assert d["split"] == "u2" and 1 <= d["best_epoch"] <= 3, d
d = json.load(open(t + "/best.json"))
assert d["model"] == "best" and d["split"] == "u1" and len(d["epochs"]) == 6, d
assert d["epochs"][0]["val_rmse"] is None and math.isfinite(d["epochs"][5]["val_rmse"]), d
assert abs(d["final_val_rmse"] - d["epochs"][-1]["val_rmse"]) < 1e-5, d
assert d["final_val_rmse"] < 1.2 and d["train_seconds"] > 0, d
d = json.load(open(t + "/best2.json"))
assert d["validate"] is True and d["epochs"][-1]["val_rmse"] is None, d
print("deep", "best", "ok")
PY
# factorize (gradient-trained biased MF and FM): short runs, early stopping on a slice
"$exp/factorize" --model bmf --epochs 3 --split u1 --json "$tmp/bmf.json" >"$tmp/bmf.out" \
    || fail "factorize bmf exited $?"
grep -q "kept the weights of epoch" "$tmp/bmf.out" || fail "factorize printed no best epoch"
"$exp/factorize" --model fm --optimizer sgd --lr 0.1 --batch 32 --epochs 2 --quiet \
    --features genres,history --json "$tmp/fm.json" >/dev/null || fail "factorize fm sgd"
"$py" - "$tmp" <<'PY' || fail "factorize JSON"
import json, math, sys
for name, n in (("bmf", 3), ("fm", 2)):
    d = json.load(open(sys.argv[1] + "/" + name + ".json"))
    assert d["model"] == "factorize" and 1 <= len(d["epochs"]) <= n, d
    assert 1 <= d["best_epoch"] <= n and math.isfinite(d["final_val_rmse"]), d
    assert d["final_val_rmse"] < 1.2, d
print("factorize ok")
PY
if "$exp/factorize" --model fm --features nope >"$tmp/out" 2>&1; then fail "factorize nope"; fi
grep -q "unknown feature 'nope'" "$tmp/out" || fail "factorize feature message: $(cat "$tmp/out")"
# the bench on every model (a smoke run: one epoch, four sweeps; timings are not checked)
"$exp/bench" --epochs 1 --repeats 1 --best-sweeps 4 --threads 1,2 --no-sgemm \
    --json "$tmp/bench.json" >"$tmp/bench.out" || fail "bench exited $?: $(cat "$tmp/bench.out")"
"$py" - "$tmp/bench.json" <<'PY' || fail "bench JSON"
import json, math, sys
d = json.load(open(sys.argv[1]))
got = [(r["model"], r["threads"]) for r in d["results"]]
want = [(m, t) for m in ("dot", "one_layer", "enriched", "deep", "best") for t in (1, 2)]
assert got == want, got
for r in d["results"]:
    for k in ("train_epoch_seconds_median", "train_examples_per_second",
              "eval_examples_per_second", "predict_one_latency_us",
              "predict_batch_examples_per_second", "recommend_latency_ms", "test_rmse"):
        assert math.isfinite(r[k]) and r[k] > 0, (r["model"], k, r[k])
    # predict + sort over a built query set: the presets; deep and best time rec_model_recommend
    assert (r["model"] in ("deep", "best")) == (r["topk_latency_ms"] is None), r
    assert r["topk_candidates"] == 1682 if r["model"] in ("deep", "best") else 1664, r
    assert len(r["epoch_seconds"]) == (4 if r["model"] == "best" else 1), r
print("bench ok")
PY
if "$exp/best" --features nope >"$tmp/out" 2>&1; then fail "best accepted --features nope"; fi
grep -q "unknown feature 'nope'" "$tmp/out" || fail "best bad feature message: $(cat "$tmp/out")"
echo "examples: ok"
