#!/usr/bin/python3
"""Summarize run_all.sh output: per-seed final validation RMSE of both implementations,
mean ± sample std, per-epoch mean curves, and Welch's t on the final RMSE.
    /usr/bin/python3 tests/reference/summarize.py OUT_DIR SPLIT [--curves]"""
import glob
import json
import os
import sys

import numpy as np


def load(out, split, impl, model):
    runs = {}
    for p in glob.glob(os.path.join(out, f"{impl}_{split}_{model}_*.json")):
        if not os.path.basename(p)[len(f"{impl}_{split}_{model}_"):-5].isdigit():
            continue  # another model whose name starts with this one's
        d = json.load(open(p))
        runs[int(d["seed"])] = d
    return runs


def main():
    out, split = sys.argv[1], sys.argv[2]
    curves = "--curves" in sys.argv
    models = ("dot", "one_layer", "enriched")
    if "--models" in sys.argv:
        models = sys.argv[sys.argv.index("--models") + 1].split(",")
    for model in models:
        ref, lib = load(out, split, "ref", model), load(out, split, "librec", model)
        seeds = sorted(set(ref) & set(lib))
        if not seeds:
            continue
        fr = np.array([ref[s]["final_val_rmse"] for s in seeds])
        fl = np.array([lib[s]["final_val_rmse"] for s in seeds])
        print(f"\n### {model} (split {split}, {len(seeds)} seeds)\n")
        if len(seeds) <= 6:
            print("| seed | reference | librec |\n|---|---|---|")
            for s, a, b in zip(seeds, fr, fl):
                print(f"| {s} | {a:.4f} | {b:.4f} |")
        sd = lambda x: x.std(ddof=1) if len(x) > 1 else 0.0
        print(f"| mean ± std | {fr.mean():.4f} ± {sd(fr):.4f} | {fl.mean():.4f} ± {sd(fl):.4f} |")
        if len(seeds) > 1:
            se = np.sqrt(sd(fr) ** 2 / len(fr) + sd(fl) ** 2 / len(fl))
            print(f"\nlibrec − reference: {fl.mean() - fr.mean():+.4f} "
                  f"(Welch t = {(fl.mean() - fr.mean()) / se if se > 0 else 0:+.2f})")
        if curves:
            for key in ("loss", "val_rmse"):
                for name, runs in (("reference", ref), ("librec", lib)):
                    # early-stopped runs differ in length: the epochs every run has
                    n = min(len(runs[s]["epochs"]) for s in seeds)
                    c = np.array([[e[key] for e in runs[s]["epochs"][:n]] for s in seeds])
                    print(f"{key:8s} {name:9s} " + " ".join(f"{v:.4f}" for v in c.mean(0)))


if __name__ == "__main__":
    main()
