#!/usr/bin/env python3
"""Synthetic outage trace set (issue 12 item 3), deterministic, stdlib only.

Takes every trace of the shared sets fcc and hsdpa (simulator text format:
`<duration_ms> <bandwidth_kbps> <latency_ms>` per period) and inserts outages, as on
trains and in tunnels:

  OUTAGE_KBPS = 10        bandwidth during an outage (0.01 Mbit/s), latency unchanged
  GAP_S       = (30, 90)  time from the end of one outage (or the trace start) to the next
                          outage, uniform
  DUR_S       = (1, 20)   outage length, uniform
  SEED        = 12        the generator of a trace is random.Random(f"{SEED}:{set}/{name}")

Outages are placed over the trace's own length only (a session that outlasts it replays
it cyclically, outages included). A ~320 s trace gets 3-6 outages. Each output file keeps
its source's name, so the sorted listing, and with it the tune (even index) / held-out
(odd index) halves, is the same as the source set's.

Usage:
  make-outages.py SHARED_TRACES OUT_DIR          writes OUT_DIR/fcc and OUT_DIR/hsdpa
  make-outages.py --natural SHARED_TRACES [SET...]
      counts traces with a natural outage: >= 1 s continuously below 50 kbit/s (0.05 Mbit/s)
"""
import os
import random
import sys

OUTAGE_KBPS = 10.0
GAP_S = (30.0, 90.0)
DUR_S = (1.0, 20.0)
SEED = 12
SETS = ("fcc", "hsdpa")
NATURAL_KBPS = 50.0
NATURAL_MIN_S = 1.0


def read(path):
    periods = []
    for line in open(path):
        f = line.split()
        if len(f) >= 3:
            periods.append((float(f[0]), float(f[1]), float(f[2])))
    return periods


def outages(total_ms, rng):
    out, t = [], 0.0
    while True:
        start = t + rng.uniform(*GAP_S) * 1000.0
        if start >= total_ms:
            return out
        end = min(start + rng.uniform(*DUR_S) * 1000.0, total_ms)
        out.append((start, end))
        t = end


def insert(periods, spans):
    """Periods with [start, end) of each span replaced by OUTAGE_KBPS."""
    cuts = sorted({x for s in spans for x in s})
    result, t = [], 0.0
    for dur, bw, lat in periods:
        a, b = t, t + dur
        edges = [a] + [c for c in cuts if a < c < b] + [b]
        for x, y in zip(edges, edges[1:]):
            mid = (x + y) / 2
            dark = any(s <= mid < e for s, e in spans)
            result.append((y - x, OUTAGE_KBPS if dark else bw, lat))
        t = b
    merged = []
    for p in result:
        if merged and merged[-1][1] == p[1] and merged[-1][2] == p[2]:
            merged[-1] = (merged[-1][0] + p[0], p[1], p[2])
        else:
            merged.append(p)
    return merged


def fmt(x):
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return s or "0"


def natural(periods):
    """Longest run (s) of consecutive periods below NATURAL_KBPS."""
    best = run = 0.0
    for dur, bw, _ in periods:
        run = run + dur if bw < NATURAL_KBPS else 0.0
        best = max(best, run)
    return best / 1000.0


def main(argv):
    if argv and argv[0] == "--natural":
        root, sets = argv[1], argv[2:] or sorted(
            d for d in os.listdir(argv[1]) if os.path.isdir(os.path.join(argv[1], d)) and d != "videos")
        for s in sets:
            names = sorted(n for n in os.listdir(os.path.join(root, s)) if n.endswith(".txt"))
            runs = [natural(read(os.path.join(root, s, n))) for n in names]
            hit = [r for r in runs if r >= NATURAL_MIN_S]
            print(f"{s}: {len(hit)} of {len(names)} traces have >= {NATURAL_MIN_S:g} s below "
                  f"{NATURAL_KBPS:g} kbit/s" + (f" (longest {max(hit):.1f} s)" if hit else ""))
        return
    if len(argv) != 2:
        sys.exit(__doc__)
    root, out = argv
    for s in SETS:
        os.makedirs(os.path.join(out, s), exist_ok=True)
        names = sorted(n for n in os.listdir(os.path.join(root, s)) if n.endswith(".txt"))
        count = dark = 0
        for n in names:
            periods = read(os.path.join(root, s, n))
            rng = random.Random(f"{SEED}:{s}/{n}")
            spans = outages(sum(p[0] for p in periods), rng)
            count += len(spans)
            dark += sum(e - b for b, e in spans)
            with open(os.path.join(out, s, n), "w") as f:
                for p in insert(periods, spans):
                    f.write(f"{fmt(p[0])} {fmt(p[1])} {fmt(p[2])}\n")
        print(f"{s}: {len(names)} traces, {count} outages, {dark / 1000 / count:.1f} s mean")


if __name__ == "__main__":
    main(sys.argv[1:])
