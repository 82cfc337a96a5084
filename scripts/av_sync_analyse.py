#!/usr/bin/env python3
"""A/V sync analysis for scripts/av-sync.sh (stdlib only).

    av_sync_analyse.py LABEL LUMA.txt AUDIO_PACKETS.csv AUDIO.s16 [--settle SECONDS] [--frame-onset]

LUMA.txt: the output of ffmpeg's `signalstats,metadata=print:key=lavfi.signalstats.YAVG`
(a `frame:N pts:P pts_time:T` line followed by `lavfi.signalstats.YAVG=Y` per frame).
AUDIO_PACKETS.csv: `ffprobe -show_entries packet=pts_time,size -of csv=p=0` of the
recorded audio stream (pcm_s16le, stereo). AUDIO.s16: the same stream as raw mono s16le
48 kHz (one sample per recorded sample frame, so packet sizes map samples to packets).

Video onset: the first captured frame whose mean luma crosses half-way between the dark
and bright levels, after at least 0.3 s dark. Its time is the midpoint between that frame
and the previous capture (the flash reached the screen somewhere in between), so with
x11grab at 50 fps it is good to +-10 ms (--frame-onset: the frame's own time, for a
decoded file rather than a screen capture). Audio onset: the first sample whose absolute
value exceeds a quarter of the beep's peak after at least 0.3 s of quiet (sample-accurate,
within the capture's own timestamps). Each flash is paired with the nearest beep;
offset = audio - video (positive: sound late).
"""
import re
import struct
import sys

RATE = 48000


def video_onsets(path, midpoint=True):
    frames = []
    t = None
    for line in open(path):
        m = re.search(r"pts_time:(-?[0-9.]+)", line)
        if m:
            t = float(m.group(1))
            continue
        m = re.search(r"YAVG=([0-9.]+)", line)
        if m and t is not None:
            frames.append((t, float(m.group(1))))
            t = None
    if not frames:
        return [], frames, 0.0
    ys = sorted(y for _, y in frames)
    lo, hi = ys[len(ys) // 10], ys[-1]
    thr = (lo + hi) / 2
    onsets, last_bright = [], -1e9
    for i, (t, y) in enumerate(frames):
        if y >= thr:
            if t - last_bright > 0.3 and (i > 0 or not midpoint):
                onsets.append((frames[i - 1][0] + t) / 2 if midpoint else t)
            last_bright = t
    return onsets, frames, thr


def audio_onsets(packets_csv, raw_path):
    pk = []
    for line in open(packets_csv):
        parts = line.strip().split(",")
        if len(parts) < 2 or parts[0] in ("", "N/A"):
            continue
        pk.append((float(parts[0]), int(parts[1]) // 4))  # stereo s16 -> sample frames
    data = open(raw_path, "rb").read()
    n = len(data) // 2
    samples = struct.unpack("<%dh" % n, data[: n * 2])
    if not samples:
        return [], 0
    peak = max(abs(s) for s in samples)
    thr = peak / 4
    # sample index -> time, through the packet that holds it
    starts, acc = [], 0
    for pts, cnt in pk:
        starts.append((acc, pts))
        acc += cnt

    def time_of(idx):
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid][0] <= idx:
                lo = mid
            else:
                hi = mid - 1
        s0, pts = starts[lo]
        return pts + (idx - s0) / RATE

    onsets, last_loud = [], -10 * RATE
    for i, s in enumerate(samples):
        if s > thr or -s > thr:
            if i - last_loud > 0.3 * RATE:
                onsets.append(time_of(i))
            last_loud = i
    return onsets, peak


def main():
    args = sys.argv[1:]
    settle = 4.0
    midpoint = True
    if "--frame-onset" in args:  # a decoded file, not a capture: the flash frame's own pts
        midpoint = False
        args.remove("--frame-onset")
    if "--settle" in args:
        k = args.index("--settle")
        settle = float(args[k + 1])
        del args[k : k + 2]
    label, luma, pkts, raw = args
    v, frames, vthr = video_onsets(luma, midpoint)
    a, peak = audio_onsets(pkts, raw)
    print(f"== {label}: {len(frames)} captured frames, {len(v)} flashes (luma threshold {vthr:.0f}); "
          f"{len(a)} beeps (peak {peak}, threshold {peak // 4})")
    if not v or not a:
        print(f"RESULT {label} events=0")
        return 1
    t0 = v[0]
    offs = []
    for tv in v:
        ta = min(a, key=lambda x: abs(x - tv))
        d = (ta - tv) * 1000
        note = "" if abs(d) < 400 else "  (ambiguous: more than 0.4 s from any beep)"
        print(f"  flash at {tv - t0:7.3f} s (first flash = 0): audio - video = {d:+7.1f} ms{note}")
        offs.append((tv - t0, d))

    def summary(name, xs):
        if not xs:
            return f"{name}: no events"
        mean = sum(xs) / len(xs)
        worst = max(xs, key=abs)
        sd = (sum((x - mean) ** 2 for x in xs) / len(xs)) ** 0.5
        return f"{name}: n={len(xs)} mean {mean:+.1f} ms, worst {worst:+.1f} ms, sd {sd:.1f} ms"

    allx = [d for _, d in offs]
    late = [d for t, d in offs if t >= settle]
    print("  " + summary("all events", allx))
    print("  " + summary(f"after the first {settle:g} s", late))
    m_all = sum(allx) / len(allx)
    m_late = sum(late) / len(late) if late else float("nan")
    w_all = max(allx, key=abs)
    w_late = max(late, key=abs) if late else float("nan")
    print(f"RESULT {label} events={len(allx)} mean_ms={m_all:+.1f} worst_ms={w_all:+.1f} "
          f"settled_events={len(late)} settled_mean_ms={m_late:+.1f} settled_worst_ms={w_late:+.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
