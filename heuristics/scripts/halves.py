#!/usr/bin/env python3
"""Tune / held-out / full means per algorithm from smoothplay-sim CSVs: QoE_lin per chunk
(and per session), rebuffering s, switches per session.

Halves by window (default): tune = even index of the sorted trace listing, held = odd.
Halves by recording (--by-recording): A = traces whose recording (the name without its
trailing numeric _<offset> and _<n> fields, as Trace::recording) has an even index in the
sorted list of recordings, B = odd; the folds of `examples/research/mdp.rs recording=1|2`.
Usage: halves.py [--by-recording] FILE.csv [FILE.csv ...]"""
import csv, sys
from collections import defaultdict


def recording(name):
    for _ in range(2):
        head, sep, tail = name.rpartition("_")
        if sep and tail.isdigit():
            name = head
    return name


args = sys.argv[1:]
by_recording = "--by-recording" in args
paths = [a for a in args if a != "--by-recording"]
labels = ("A", "B") if by_recording else ("tune", "held")
for path in paths:
    rows = list(csv.DictReader(open(path)))
    traces = sorted({r["trace"] for r in rows})
    if by_recording:
        recs = sorted({recording(t) for t in traces})
        half = {t: recs.index(recording(t)) % 2 for t in traces}
    else:
        half = {t: i % 2 for i, t in enumerate(traces)}
    by = defaultdict(list)
    for r in rows:
        by[r["algorithm"]].append(r)
    print(path)
    for algo, rs in by.items():
        line = f"  {algo:11}"
        for label, keep in ((labels[0], 0), (labels[1], 1), ("full", None)):
            sel = [r for r in rs if keep is None or half[r["trace"]] == keep]
            n = len(sel)
            q = sum(float(r["qoe_lin_per_chunk"]) for r in sel) / n
            qs = sum(float(r["qoe_lin"]) for r in sel) / n
            rb = sum(float(r["rebuffer_s"]) for r in sel) / n
            sw = sum(float(r["switches"]) for r in sel) / n
            line += f" | {label} {q:.4f} ({qs:.2f}/session) rb {rb:.3f} sw {sw:.2f} (n {n})"
        print(line)
