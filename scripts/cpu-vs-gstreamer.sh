#!/usr/bin/env bash
# CPU of a real-time windowed play of the bundled demo (assets/demo.ism, top level:
# 1280x720 H.264 High + AAC-LC, 20 s) by smoothplay versus GStreamer's playbin on the same
# presentation, in one run, under one Xvfb and into one PulseAudio null sink.
#
#   scripts/cpu-vs-gstreamer.sh [--player BIN] [--presentation DIR] [--sinks LIST] [--keep DIR]
#
#   --player BIN        smoothplay binary (default: $CARGO_TARGET_DIR or target/, release)
#   --presentation DIR  Smooth presentation (default assets/demo.ism)
#   --sinks LIST        GStreamer video sinks to measure, comma-separated
#                       (default glimagesink,ximagesink)
#   --keep DIR          keep the logs and stats in DIR
#
# smoothplay: `smoothplay --video-bitrate max --geometry 1280x720 --no-osd` (winit + wgpu
# on lavapipe, cpal -> ALSA default -> PulseAudio). GStreamer: `gst-launch-1.0 playbin` on
# file://.../Manifest (GStreamer's own Smooth demuxer, mssdemux, with connection-speed set
# high so it takes the top level; the script checks the decoded width), openh264dec forced
# (GST_PLUGIN_FEATURE_RANK=openh264dec:MAX, falls back to avdec_h264 with a note), the
# video sink from --sinks, pulsesink. CPU = user + sys of the whole process (all threads,
# children included) from /usr/bin/time, over the full play including start-up and exit.
# smoothplay's dropped frames come from its --stats-json.
#
# Needs: Xvfb, pulseaudio, libasound2-plugins, gstreamer1.0-{tools,plugins-base,
# plugins-good,plugins-bad,libav,x,gl,pulseaudio}, /usr/bin/time, python3, a release
# build of smoothplay. Takes about 1.5 minutes.
set -euo pipefail

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }
root="$(cd "$(dirname "$0")/.." && pwd)"
player="" ; pres="$root/assets/demo.ism" ; sinks="glimagesink,ximagesink" ; keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --player) player="$2"; shift 2 ;;
        --presentation) pres="$(cd "$2" && pwd)"; shift 2 ;;
        --sinks) sinks="$2"; shift 2 ;;
        --keep) keep="$2"; shift 2 ;;
        *) echo "cpu-vs-gstreamer.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
player="${player:-${CARGO_TARGET_DIR:-$root/target}/release/smoothplay}"
[ -x "$player" ] || { echo "cpu-vs-gstreamer.sh: no player at $player (cargo build --release -p smoothplay-player, or --player BIN)" >&2; exit 1; }
[ -f "$pres/Manifest" ] || { echo "cpu-vs-gstreamer.sh: no Manifest in $pres" >&2; exit 1; }
for c in Xvfb pulseaudio pactl gst-launch-1.0 gst-inspect-1.0 /usr/bin/time python3; do
    command -v "$c" >/dev/null || { echo "cpu-vs-gstreamer.sh: $c not found" >&2; exit 1; }
done

work="$(mktemp -d /tmp/cpu-vs-gst.XXXXXX)"
pids=()
. "$(dirname "${BASH_SOURCE[0]}")/desktop-env.sh"
trap desktop_cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "cpu-vs-gstreamer: $*" >&2; }

# --- Xvfb and a PulseAudio null sink ----------------------------------------------------
start_desktop "$work" 1920x1080 "48000" || exit 1
log "Xvfb on $DISPLAY, PulseAudio null sink test_sink"

decoder=openh264dec
if ! gst-inspect-1.0 openh264dec >/dev/null 2>&1; then
    decoder=avdec_h264
    log "NOTE: no openh264dec in this GStreamer: using avdec_h264 (libavcodec, a different and faster decoder)"
fi

# $1 = label; the rest: the command. Runs it under /usr/bin/time (with a 90 s guard),
# appends "label user_s sys_s wall_s rc" to $work/cpu.txt.
timed() {
    local label="$1"; shift
    log "$label: $*"
    local rc=0
    /usr/bin/time -f "%U %S %e" -o "$work/$label.time" timeout 90 "$@" >"$work/$label.log" 2>&1 &
    pids+=($!)
    wait $! || rc=$?
    echo "$label $(cat "$work/$label.time" | tail -1) $rc" >>"$work/cpu.txt"
    sleep 1
}

timed smoothplay "$player" --video-bitrate max --geometry 1280x720 --no-osd -q \
    --stats-json "$work/smoothplay.stats.json" "$pres"
IFS=, read -r -a sink_list <<<"$sinks"
for s in "${sink_list[@]}"; do
    timed "gst-$s" env GST_PLUGIN_FEATURE_RANK="$decoder:MAX" gst-launch-1.0 -v playbin \
        uri="file://$pres/Manifest" connection-speed=1000000 \
        video-sink="$s" audio-sink=pulsesink
    widths="$(grep -o 'width=(int)[0-9]*' "$work/gst-$s.log" | sort -u | sed 's/width=(int)//' | tr '\n' ' ')"
    used="$(grep -o 'openh264dec\|avdec_h264' "$work/gst-$s.log" | sort -u | tr '\n' ' ')"
    echo "gst-$s widths: $widths decoder: $used" >>"$work/notes.txt"
done

python3 - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
rows = [l.split() for l in open(os.path.join(w, "cpu.txt"))]
print()
print("label                 user_s  sys_s  cpu_s  wall_s  cpu%  rc")
cpu = {}
for label, u, s, e, rc in rows:
    c = float(u) + float(s)
    cpu[label] = c
    print(f"{label:20s} {float(u):7.2f} {float(s):6.2f} {c:6.2f} {float(e):7.2f} {100 * c / float(e):5.0f}  {rc}")
if os.path.exists(os.path.join(w, "notes.txt")):
    print(open(os.path.join(w, "notes.txt")).read().rstrip())
st = os.path.join(w, "smoothplay.stats.json")
if os.path.exists(st):
    j = json.load(open(st))
    v = j.get("video", {})
    print(f"smoothplay: frames decoded {v.get('frames_decoded')}, dropped {v.get('frames_dropped')}, "
          f"mean decode {v.get('mean_decode_ms')} ms, rebuffers {j.get('rebuffer', {}).get('count')}, "
          f"stats cpu_ms {j.get('cpu_ms')} wall_ms {j.get('wall_ms')}, ended_by {j.get('ended_by')}")
for label, c in cpu.items():
    if label.startswith("gst-") and c > 0 and "smoothplay" in cpu:
        print(f"RATIO smoothplay/{label} = {cpu['smoothplay'] / c:.2f}")
PY
