#!/usr/bin/env python3
"""Tune (even index of the sorted trace listing) / held-out (odd) / full means per algorithm
from smoothplay-sim CSVs: QoE_lin per chunk, rebuffering s, switches per session.
Usage: halves.py FILE.csv [FILE.csv ...]"""
import csv, sys
from collections import defaultdict
for path in sys.argv[1:]:
    rows = list(csv.DictReader(open(path)))
    traces = sorted({r["trace"] for r in rows})
    idx = {t: i for i, t in enumerate(traces)}
    by = defaultdict(list)
    for r in rows:
        by[r["algorithm"]].append(r)
    print(path)
    for algo, rs in by.items():
        line = f"  {algo:11}"
        for label, keep in (("tune", 0), ("held", 1), ("full", None)):
            sel = [r for r in rs if keep is None or idx[r["trace"]] % 2 == keep]
            n = len(sel)
            q = sum(float(r["qoe_lin_per_chunk"]) for r in sel) / n
            rb = sum(float(r["rebuffer_s"]) for r in sel) / n
            sw = sum(float(r["switches"]) for r in sel) / n
            line += f" | {label} {q:.4f} rb {rb:.3f} sw {sw:.2f}"
        print(line)
