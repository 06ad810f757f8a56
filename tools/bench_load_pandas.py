#!/usr/bin/python3
"""pandas.read_csv on the file bench_load writes, as a peer for the table loader.

    examples/experiments/bench_load --keep          # writes /tmp/rec_bench_load.csv
    tools/bench_load_pandas.py [/tmp/rec_bench_load.csv] [--repeat 3]

Times pandas.read_csv with its C parser (Debian's python3-pandas) twice: with inferred dtypes
(the defaults: ids and ratings as int64/float64 numbers) and with the ids read as strings
(`dtype={"userId": str, "movieId": str}`, the form librec keeps ids in). Prints the median
seconds, MB/s and rows/s of each, in bench_load's format, from the page cache (a first read
warms it).
"""
import os
import statistics
import sys
import time

import pandas


def main():
    args = sys.argv[1:]
    repeat = 3
    if "--repeat" in args:
        i = args.index("--repeat")
        repeat = int(args[i + 1])
        del args[i:i + 2]
    path = args[0] if args else "/tmp/rec_bench_load.csv"
    mb = os.path.getsize(path) / 1e6
    with open(path, "rb") as f:  # warm the page cache
        while f.read(1 << 20):
            pass
    runs = {
        "pandas inferred": {},
        "pandas ids as str": {"dtype": {"userId": str, "movieId": str}},
    }
    print("%-18s %10s %10s %14s" % ("pass", "seconds", "MB/s", "rows/s"))
    for name, kwargs in runs.items():
        times, rows = [], 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            df = pandas.read_csv(path, engine="c", **kwargs)
            times.append(time.perf_counter() - t0)
            rows = len(df)
            del df
        t = statistics.median(times)
        print("%-18s %10.3f %10.1f %14.0f" % (name, t, mb / t, rows / t))


if __name__ == "__main__":
    main()
