#!/usr/bin/env python3
"""Check lib/'s layering: folders include and call only downward, no circle between files,
and cross-file private names say where they live.

    tools/check-layers.py [--build BUILD_DIR] [--graph]

lib/ is a stack of folders (LAYERS below, bottom first). The rules:

  1. A file in folder F includes headers of F and of folders below F only, and another
     folder's header only through that folder's one internal header (`G/G.h`, for lib/mpi
     `mpi/mpi_internal.h`). lib/mpi is a separate library on librec's public API: it
     includes only <rec.h>, <rec/*.h>, MPI and its own header.
  2. A file calls (or takes the address of) only functions and objects defined in its own
     folder or in folders below (from the symbol tables of the built objects: `nm`).
  3. No circle between files: the graph "A includes B's header or uses a name that only B
     defines" has no cycle, within a folder or across folders.
  4. A name that one file defines and another uses (a private cross-file name, hidden from
     the shared library) starts with rec__ and then its folder's name or its file's name
     (misnamed() below): rec__model_* in model/, rec__featset_* in model/featset.c.
     rec__malloc and its kin are named after the C functions they wrap.

Rules 2 to 4 need a build (default: build/, made by `meson setup build && ninja -C build`);
without one only rule 1 is checked, and the script says so. Exit status 1 on any violation,
each printed on a line of its own; `--graph` also prints the folder graph. tests/meson.build
runs this as the suite 'layers'.
"""
import argparse
import os
import re
import subprocess
import sys
from collections import defaultdict

# bottom first; a folder may use the folders before it
LAYERS = ["base", "kernels", "blocks", "data", "model", "mcmc", "infer", "io", "train"]
RANK = {f: i for i, f in enumerate(LAYERS)}
# folders of equal standing that must not use each other (io is not above infer)
PEERS = {("infer", "io"), ("io", "infer")}

# The allocation functions, named after the C library functions they wrap (base/alloc.c).
LIBC_NAMES = {"malloc", "calloc", "realloc", "free", "strdup"}

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
LIB = os.path.join(ROOT, "lib")


def folder_of(path):
    rel = os.path.relpath(path, LIB)
    parts = rel.split(os.sep)
    return parts[0] if len(parts) > 1 else ""


def own_header(folder):
    return "mpi/mpi_internal.h" if folder == "mpi" else f"{folder}/{folder}.h"


def sources():
    out = []
    for d, _, files in os.walk(LIB):
        for f in files:
            if f.endswith((".c", ".h")):
                out.append(os.path.join(d, f))
    return sorted(out)


def includes(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    return [(m.group(1), m.group(2)) for m in
            re.finditer(r'^\s*#\s*include\s*([<"])([^">]+)[">]', text, re.M)]


def resolve(path, name):
    """A quoted include's file under lib/, or None (public headers, system headers)."""
    for base in (os.path.dirname(path), LIB):
        c = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(c) and c.startswith(LIB + os.sep):
            return c
    return None


def below(a, b):
    """Whether folder a may use folder b."""
    if a == b:
        return True
    if a not in RANK or b not in RANK or (a, b) in PEERS:
        return False
    return RANK[b] < RANK[a]


def check_includes(files, problems, edges):
    for f in files:
        fa = folder_of(f)
        rel = os.path.relpath(f, LIB)
        if fa == "":
            problems.append(f"lib/{rel}: a source outside the layer folders")
            continue
        if fa not in RANK and fa != "mpi":
            problems.append(f"lib/{rel}: folder '{fa}' is not in tools/check-layers.py's LAYERS")
        for kind, name in includes(f):
            if fa == "mpi":
                ok = kind == "<" or name == "mpi_internal.h"
                if kind == '"' and name != "mpi_internal.h":
                    ok = False
                if not ok:
                    problems.append(f"lib/{rel}: includes \"{name}\"; librec_mpi uses librec's "
                                    "public API only")
                continue
            if kind == "<":
                if name == "cblas.h" and rel != "kernels/blas.c":
                    problems.append(
                        f"lib/{rel}: includes <cblas.h>; only kernels/blas.c calls CBLAS")
                continue
            target = resolve(f, name)
            if target is None:
                continue
            fb = folder_of(target)
            trel = os.path.relpath(target, LIB)
            if not below(fa, fb):
                problems.append(f"lib/{rel}: includes {trel}, which is not below '{fa}'")
            elif fb != fa and trel != own_header(fb):
                problems.append(f"lib/{rel}: includes {trel}; other folders include only "
                                f"{own_header(fb)}")
            if target != f:
                edges[f].add(target)


def object_of(build, src):
    """The shared library's object of a source: meson puts it in <target>.p/ and names it
    after the source's path under the target's folder, '/' written '_'."""
    mpi = folder_of(src) == "mpi"
    top = os.path.join(LIB, "mpi") if mpi else LIB
    name = os.path.relpath(src, top).replace(os.sep, "_") + ".o"
    want = "librec_mpi.so" if mpi else "librec.so"
    for d, _, fs in os.walk(os.path.join(build, "lib")):
        if os.path.basename(d).startswith(want) and d.endswith(".p") and name in fs:
            return os.path.join(d, name)
    return None


def symbol_tables(build, files):
    by_name = {}
    for src in files:
        if src.endswith(".c"):
            obj = object_of(build, src)
            if obj:
                by_name[src] = obj
    defined, used = {}, defaultdict(set)
    for src, obj in by_name.items():
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBRVW" and parts[1].isupper():
                defined.setdefault(parts[2], set()).add(src)
            elif len(parts) == 2 and parts[0] == "U":
                used[src].add(parts[1])
            elif len(parts) == 3 and parts[1] in ("i",):  # ifunc (target_clones) symbols
                defined.setdefault(parts[2], set()).add(src)
    return by_name, defined, used


def exported(build):
    for d, _, fs in os.walk(build):
        for f in fs:
            if re.fullmatch(r"librec\.so\.\d+\.\d+\.\d+", f):
                out = subprocess.run(["nm", "-D", "--defined-only", os.path.join(d, f)],
                                     capture_output=True, text=True, check=True).stdout
                return {l.split()[-1].split("@")[0] for l in out.splitlines() if l.strip()}
    return set()


def check_symbols(build, files, problems, edges):
    by_name, defined, used = symbol_tables(build, files)
    if not by_name:
        return False
    public = exported(build)
    for src in sorted(used):
        fa = folder_of(src)
        rel = os.path.relpath(src, LIB)
        for sym in sorted(used[src]):
            owners = defined.get(sym)
            if not owners:
                continue
            for owner in owners:
                if owner == src:
                    continue
                fb = folder_of(owner)
                orel = os.path.relpath(owner, LIB)
                if fa == "mpi" and fb != "mpi":
                    if sym not in public:
                        problems.append(f"lib/{rel}: uses {sym} of lib/{orel}, which librec "
                                        "does not export")
                    continue
                if not below(fa, fb):
                    problems.append(f"lib/{rel}: uses {sym} of lib/{orel}, which is not "
                                    f"below '{fa}'")
                edges[src].add(owner)
                if sym in public:
                    continue
                # rule 4: a private cross-file name says where it lives
                problem = misnamed(sym, owner)
                if problem:
                    problems.append(f"lib/{orel}: {sym}, used by lib/{rel}, {problem}")
    return True


def misnamed(sym, owner):
    """Why a private name defined in `owner` does not say where it lives, or None: its first
    word after rec__ must be the folder, the file's name, the file name's first word
    (rec__layer0_* in model/layer0_r64.c) or its first four letters or more (rec__dist_* in
    base/distributions.c), or for base/alloc.c a C library function's name."""
    folder = folder_of(owner)
    stem = os.path.splitext(os.path.basename(owner))[0]
    m = re.match(r"rec__([a-z0-9]+)", sym)
    if not m:
        return f"is not named rec__<{folder}|{stem}>_..."
    first = m.group(1)
    ok = {folder, stem, stem.split("_")[0]}
    if stem == "alloc":
        ok |= LIBC_NAMES
    if first in ok or sym.startswith(f"rec__{stem}_") or sym == f"rec__{stem}":
        return None
    # an abbreviation: rec__dist_* in distributions.c
    if len(first) >= 4 and stem.startswith(first):
        return None
    return f"should start with rec__{folder}_ or rec__{stem}_"


def map_headers(edges, files):
    """Turn an edge to a header into edges to the files that define what it declares: a
    header H of folder F stands for the .c files of F (the check is then per file pair)."""
    out = defaultdict(set)
    for a, bs in edges.items():
        if a.endswith(".h"):
            continue
        for b in bs:
            if b.endswith(".c"):
                out[a].add(b)
    return out


def cycles(edges):
    index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return comps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--graph", action="store_true")
    a = ap.parse_args()
    files = sources()
    problems, edges = [], defaultdict(set)
    check_includes(files, problems, edges)
    have_symbols = os.path.isdir(a.build) and check_symbols(a.build, files, problems, edges)
    if not have_symbols:
        print(f"check-layers: no librec objects under {a.build}: include rules only")
    else:
        for comp in cycles(map_headers(edges, files)):
            problems.append("circle between files: " +
                            " <-> ".join("lib/" + os.path.relpath(c, LIB) for c in comp))
    if a.graph:
        fe = defaultdict(set)
        for s, ts in edges.items():
            for t in ts:
                if folder_of(s) != folder_of(t):
                    fe[folder_of(s)].add(folder_of(t))
        for s in sorted(fe):
            print(f"{s} -> {', '.join(sorted(fe[s]))}")
    for p in problems:
        print(p)
    n_c = sum(1 for f in files if f.endswith(".c"))
    print(f"check-layers: {n_c} sources in {len({folder_of(f) for f in files})} folders, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
