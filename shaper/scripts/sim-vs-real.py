#!/usr/bin/env python3
"""Sim against reality, from smoothplay-bench-net's CSVs: one markdown row per session
(sim, engine and optionally GStreamer through the shaper), the median and worst |QoE
difference| per algorithm, and the fragments whose level differs between the simulator
and the engine with what each side saw (download rate with latency, end time, buffer).

  shaper/scripts/sim-vs-real.py DIR SET [SET...]

DIR holds eng-SET.csv, sim-SET.csv (bench-net --csv/--sim-csv), eng-SET-frags.csv
(--fragments-csv) and, if present, gst-SET.csv (bench-net --player gstreamer).
"""
import csv
import os
import statistics
import sys


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def key(r):
    return (r["trace"], r["algorithm"])


def main():
    d, sets = sys.argv[1], sys.argv[2:]
    for s in sets:
        eng = {key(r): r for r in rows(f"{d}/eng-{s}.csv")}
        sim = {key(r): r for r in rows(f"{d}/sim-{s}.csv")}
        gst = {r["trace"]: r for r in rows(f"{d}/gst-{s}.csv")}
        frags = rows(f"{d}/eng-{s}-frags.csv")
        algos = sorted({a for _, a in eng})
        print(f"\n## {s}\n")
        print("| trace | algorithm | QoE sim | QoE real | real - sim | bitrate kbps sim / real | rebuffer s sim / real | switches sim / real | startup s sim / real |")
        print("|---|---|---|---|---|---|---|---|---|")
        for a in algos:
            diffs = []
            for (t, aa), e in sorted(eng.items()):
                if aa != a or (t, a) not in sim:
                    continue
                m = sim[(t, a)]
                qs, qe = float(m["qoe_lin"]), float(e["qoe_lin"])
                diffs.append((abs(qe - qs), abs(qe - qs) / max(abs(qs), 1e-9)))
                f = lambda k, fmt: f"{float(m[k]):{fmt}} / {float(e[k]):{fmt}}"
                print(f"| `{t}` | {a} | {qs:.2f} | {qe:.2f} | {qe - qs:+.2f} | {f('mean_bitrate_kbps', '.0f')} | {f('rebuffer_s', '.2f')} | {m['switches']} / {e['switches']} | {f('startup_s', '.2f')} |")
            if diffs:
                med = statistics.median(x[0] for x in diffs)
                medp = statistics.median(x[1] for x in diffs)
                worst = max(diffs)
                print(f"| median / worst abs difference | {a} | | | {med:.2f} / {worst[0]:.2f} ({medp * 100:.1f} % median of sim; worst {worst[1] * 100:.1f} %) | | | | |")
        if gst:
            print("\n| trace | GStreamer QoE | bitrate kbps | rebuffer s (count) | switches | startup s |")
            print("|---|---|---|---|---|---|")
            for t, g in sorted(gst.items()):
                print(f"| `{t}` | {float(g['qoe_lin']):.2f} | {float(g['mean_bitrate_kbps']):.0f} | {float(g['rebuffer_s']):.2f} ({g['rebuffer_count']}) | {g['switches']} | {float(g['startup_s']):.2f} |")
        # Per fragment: the kept download (last finished) of each fragment, real vs sim.
        print("\nFragments whose level differs (real vs sim):\n")
        kept = {}
        for r in frags:
            if r["done_s"]:
                kept[(r["trace"], r["algorithm"], int(r["fragment"]))] = r
        prev_real = {}
        for (t, a, i), r in sorted(kept.items()):
            if r["sim_level"] == "" or r["level"] == r["sim_level"]:
                continue
            before = kept.get((t, a, i - 1))
            rate_before = before["download_kbps"] if before else "-"
            print(f"- {a} `{t}` fragment {i}: real level {r['level']} sim {r['sim_level']}; real requested {float(r['at_s']):.2f} s done {float(r['done_s']):.2f} s, sim done {r['sim_done_s']} s (sim buffer after {r['sim_buffer_s']} s); previous fragment's real rate {rate_before} kbit/s")


if __name__ == "__main__":
    main()
