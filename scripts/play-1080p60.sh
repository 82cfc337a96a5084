#!/usr/bin/env bash
# Can smoothplay play 1080p60 H.264 High in a window on this machine? Makes a 10 s
# 1920x1080 60 fps High-profile clip (x264 preset medium, -bf 0: ffmpeg 5.1's
# smoothstreaming muxer shifts a stream with B-frames by its delay, 333333 ticks at 60 fps,
# while the on-demand manifest implies 0, so no fragment is found) + AAC, packages it as Smooth (one level, ffmpeg's smoothstreaming muxer as
# in assets/make-demo.sh), plays it windowed under Xvfb with sound into a PulseAudio null
# sink, and prints dropped frames, decode ms per frame and CPU from --stats-json; then the
# same clip headless --untimed (decode + pipeline only, no window, no audio device) for
# the decoder's own speed.
#
#   scripts/play-1080p60.sh [--player BIN] [--geometry WxH] [--keep DIR]
#
# Takes 1.5-2.5 minutes (most of it the x264 encode on 2 cores).
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
root="$(cd "$(dirname "$0")/.." && pwd)"
player="" ; bf=0 ; geometry=1920x1080 ; keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --player) player="$2"; shift 2 ;;
        --geometry) geometry="$2"; shift 2 ;;
        --keep) keep="$2"; shift 2 ;;
        *) echo "play-1080p60.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
player="${player:-${CARGO_TARGET_DIR:-$root/target}/release/smoothplay}"
[ -x "$player" ] || { echo "play-1080p60.sh: no player at $player" >&2; exit 1; }

work="$(mktemp -d /tmp/play-1080p60.XXXXXX)"
pids=()
. "$(dirname "${BASH_SOURCE[0]}")/desktop-env.sh"
trap desktop_cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "play-1080p60: $*" >&2; }

RATE=48000 PRIMING=1024
log "encoding 10 s 1920x1080p60 H.264 High (x264 medium, B-frames: $bf)"
bfopt=(); [ "$bf" = 0 ] && bfopt=(-bf 0)
pre="($PRIMING/$RATE)"
ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "aevalsrc=exprs='0.2*sin(2*PI*440*(t+$pre))|0.2*sin(2*PI*550*(t+$pre))':s=$RATE:d=10" \
    -c:a aac -b:a 128k "$work/audio.m4a"
ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=60,format=yuv420p" -t 10 \
    -c:v libx264 -preset medium -profile:v high "${bfopt[@]}" -b:v 8M -maxrate 10M -bufsize 16M \
    -g 120 -keyint_min 120 -sc_threshold 0 "$work/video.mp4"
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$work/video.mp4" -ignore_editlist 1 -i "$work/audio.m4a" \
    -map 0:v -map 1:a -c copy -min_frag_duration 2000000 -f smoothstreaming "$work/clip.ism"
find "$work/clip.ism" -name 'FragmentInfo(*' -delete
bframes="$(ffprobe -v error -select_streams v:0 -show_entries stream=has_b_frames,profile -of csv=p=0 "$work/video.mp4")"
log "clip: $(du -sh "$work/clip.ism" | cut -f1), profile,has_b_frames: $bframes"

start_desktop "$work" 1920x1080 "$RATE" || exit 1

log "windowed play, --geometry $geometry"
"$player" --geometry "$geometry" --no-osd -q --stats-json "$work/window.json" "$work/clip.ism" >"$work/window.log" 2>&1 &
pids+=($!)
wait $! || log "windowed play exited with $?"
log "headless --untimed (decoder speed)"
"$player" --headless --untimed -q --stats-json "$work/untimed.json" "$work/clip.ism" >"$work/untimed.log" 2>&1 &
pids+=($!)
wait $! || log "untimed play exited with $?"

python3 - "$work/window.json" "$work/untimed.json" "$bframes" <<'PY'
import json, sys
for name, path in (("windowed", sys.argv[1]), ("headless --untimed", sys.argv[2])):
    try:
        s = json.load(open(path))
    except Exception as e:
        print(f"{name}: no stats ({e})"); continue
    v = s.get("video", {})
    dec, drop = v.get("frames_decoded") or 0, v.get("frames_dropped") or 0
    wall, cpu = s.get("wall_ms") or 0, s.get("cpu_ms") or 0
    print(f"{name}: frames decoded {dec}, dropped {drop} ({100 * drop / max(1, dec):.1f} % of decoded), "
          f"mean decode {v.get('mean_decode_ms')} ms/frame, cpu {cpu} ms over wall {wall:.0f} ms "
          f"({100 * cpu / max(1, wall):.0f} % of one core), rebuffers {s.get('rebuffer', {}).get('count')}, "
          f"ended_by {s.get('ended_by')}")
print(f"clip: profile,has_b_frames = {sys.argv[3]}")
PY
