#!/bin/sh
# GStreamer (playbin, mssdemux) through smoothplay-shaper on the traces of the
# "Simulator against reality" table of heuristics/README.md, scored with the simulator's
# columns. Bench only (needs gst-launch-1.0, gst-plugins-bad's mssdemux, gst-libav's
# avdec_h264); not part of CI.
#
#   shaper/scripts/gst-through-shaper.sh [MEDIA.ism] [TRACES_ROOT] [OUT_DIR]
#
# Defaults: /work/bench-media/envivio.ism (scripts/make-bench-media.sh), ../shared/traces,
# ./gst-shaped. For each set (fcc, hsdpa: every 62nd trace, 5 traces) it runs
# `smoothplay-bench-net --player gstreamer`: per trace a loopback origin serving the
# media, a shaper with the trace (x0.95) in front of it, and gst-launch-1.0 playbin on the
# manifest through the shaper in real time (avdec_h264, fakesink sync=true), one session
# at a time. Fragment levels come from the shaper's request log, startup and stalls from
# the rendered frames' wall time against their timestamps (see the module docs of
# testkit/src/bin/smoothplay-bench-net.rs). Writes OUT_DIR/gst-SET.csv (the simulator's
# columns), gst-SET-frags.csv (every request) and gst-SET.log. About 25 min.
#
# By hand, with any player: run `smoothplay-shaper --trace T --upstream URL --log req.tsv`
# and read the levels and download times from req.tsv.
set -eu
MEDIA=${1:-/work/bench-media/envivio.ism}
TRACES=${2:-../shared/traces}
OUT=${3:-gst-shaped}
BIN=${CARGO_TARGET_DIR:-target}/release/smoothplay-bench-net
command -v gst-launch-1.0 >/dev/null || { echo "gst-launch-1.0 not found (apt-get install gstreamer1.0-tools)" >&2; exit 2; }
gst-inspect-1.0 mssdemux >/dev/null 2>&1 || { echo "mssdemux not found (gstreamer1.0-plugins-bad)" >&2; exit 2; }
gst-inspect-1.0 avdec_h264 >/dev/null 2>&1 || { echo "avdec_h264 not found (gstreamer1.0-libav)" >&2; exit 2; }
[ -x "$BIN" ] || cargo build --release -p smoothplay-testkit --bin smoothplay-bench-net
mkdir -p "$OUT"
gst-launch-1.0 --version | head -1 > "$OUT/gst-version.txt"
for set in fcc hsdpa; do
    "$BIN" --media "$MEDIA" --traces "$TRACES/$set" --every 62 --limit 5 --player gstreamer \
        --throughput-scale 0.95 --jobs 1 --csv "$OUT/gst-$set.csv" \
        --fragments-csv "$OUT/gst-$set-frags.csv" 2> "$OUT/gst-$set.log"
    tail -n 1 "$OUT/gst-$set.log"
done
