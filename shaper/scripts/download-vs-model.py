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
    """When Sabre's model finishes `size` bytes requested at `at` (the trace looped)."""
    cycle = sum(p[0] for p in periods)
    # The period holding `at` and the time left in it, by index (no float drift at edges).
    k, into = 0, at % cycle
    while into >= periods[k][0]:
        into -= periods[k][0]
        k = (k + 1) % len(periods)
    t = at + periods[k][2]
    # Move to the latency's end.
    into += periods[k][2]
    while into >= periods[k][0]:
        into -= periods[k][0]
        k = (k + 1) % len(periods)
    left = size
    while True:
        d, bw, _ = periods[k]
        rest, rate = d - into, bw * scale
        if rate * rest >= left:
            return t + left / rate
        left -= rate * rest
        t += rest
        into = 0.0
        k = (k + 1) % len(periods)


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
