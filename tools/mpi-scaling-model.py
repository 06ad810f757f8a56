#!/usr/bin/env python3
"""Compute-vs-bandwidth model of data-parallel speedup (docs/performance.md, "MPI speed
model"). One synchronous step on P ranks takes

    t(P) = t_c / P                                    compute: the batch is split evenly
         + 3 * alpha * ceil(log2 P)                   latency of the three collectives
         + 2 (P-1)/P * D_bytes / bw                   ring all-reduce of the dense layers
         + min(sparse, dense) tables                  per the exchange rule (docs/mpi.md)
  sparse = (P-1)/P * K(P) * (dim+1) * 4 / bw          all-gather of the touched rows
  dense  = 2 (P-1)/P * N * (dim+1) * 4 / bw           ring all-reduce of whole tables

and the speedup is t_c / t(P). t_c, D, N, dim and K(P) (rows touched per step summed over the
ranks, measured with the gradient API) are arguments; bw is the network's payload rate.
usage: mpi-scaling-model.py NAME T_C_MS D_FLOATS N_ROWS DIM P:K [P:K ...]
"""
import math
import sys

name, t_c, D, N, dim = sys.argv[1], float(sys.argv[2]) / 1e3, int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5])
K = {int(a): float(b) for a, b in (x.split(":") for x in sys.argv[6:])}
nets = [("10 Gbit/s", 10e9 / 8, 30e-6), ("100 Gbit/s", 100e9 / 8, 3e-6)]
print(f"{name}: t_c = {t_c * 1e3:.2f} ms/step, dense layers {D * 4 / 1e3:.1f} kB, "
      f"tables {N} rows x {dim}: {N * (dim + 1) * 4 / 1e6:.2f} MB whole")
print("| P | K(P) rows | sparse MB/step | dense MB/step | " +
      " | ".join(f"{n}: exchange ms, speedup" for n, _, _ in nets) + " |")
print("|---|---|---|---|" + "---|" * len(nets))
for P in sorted(K):
    f = (P - 1) / P
    sparse = f * K[P] * (dim + 1) * 4
    dense = 2 * f * N * (dim + 1) * 4
    cells = []
    for _, bw, alpha in nets:
        x = 3 * alpha * math.ceil(math.log2(P)) + 2 * f * D * 4 / bw + min(sparse, dense) / bw
        cells.append(f"{x * 1e3:.2f} ms, **{t_c / (t_c / P + x):.1f}x**")
    print(f"| {P} | {K[P]:.0f} | {sparse / 1e6:.2f} | {dense / 1e6:.2f} | " + " | ".join(cells)
          + " |")
