#!/usr/bin/env python3
"""Each download of a bench-net --fragments-csv against Sabre's model of the same request
(done = arrival + latency + bytes at the trace's bandwidth x scale, the trace looped, from
the arrival on the proxy's trace clock): how much earlier (-) or later (+) the proxy
finished it. Prints per session: downloads, median and mean difference, in ms.

  shaper/scripts/download-vs-model.py FRAGS.csv TRACE_DIR [SCALE=0.95]
"""
import csv
import statistics
import sys


def load(path):
    periods = []
    for line in open(path):
        f = line.split()
        if len(f) >= 2:
            periods.append((float(f[0]) / 1000, float(f[1]) * 1000 / 8, float(f[2]) / 1000 if len(f) > 2 else 0.0))
    return periods


def model_done(periods, scale, at, size):
    cycle = sum(p[0] for p in periods)

    def period_at(t):
        t %= cycle
        for d, bw, lat in periods:
            if t < d:
                return d - t, bw * scale, lat
            t -= d
        return periods[-1][0], periods[-1][1] * scale, periods[-1][2]

    t = at + period_at(at)[2]
    left = size
    while left > 1e-9:
        rest, rate, _ = period_at(t)
        if rate * rest >= left:
            return t + left / rate
        left -= rate * rest
        t += rest
    return t


def main():
    frags, tdir = sys.argv[1], sys.argv[2]
    scale = float(sys.argv[3]) if len(sys.argv) > 3 else 0.95
    by = {}
    for r in csv.DictReader(open(frags)):
        if r["done_s"]:
            by.setdefault((r["trace"], r["algorithm"]), []).append(r)
    for (t, a), rows in sorted(by.items()):
        periods = load(f"{tdir}/{t}.txt")
        d = [(float(r["done_s"]) - model_done(periods, scale, float(r["at_s"]), int(r["bytes"]))) * 1000 for r in rows]
        print(f"{a:12} {t[:60]:60} {len(d):3} downloads, real - model: median {statistics.median(d):+.0f} ms, mean {statistics.mean(d):+.0f} ms")


if __name__ == "__main__":
    main()
