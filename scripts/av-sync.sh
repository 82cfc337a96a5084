#!/usr/bin/env bash
# A/V sync of smoothplay's window mode, measured from outside the player: a 20 s
# presentation with a white flash and a 1 kHz beep at the same instant every second is
# played in a window under Xvfb with its sound going to a PulseAudio null sink; ONE ffmpeg
# records the screen (x11grab, 50 fps) and the sink's monitor on one clock (both inputs
# with the same -itsoffset, -copyts). Flash and beep onsets are found in the recording
# and paired; offset = audio - video (positive: the sound comes late).
# The same measurement with ffplay on an MKV of the same streams, in the same run, is the
# reference: what ffplay shows is the setup's own offset plus ffplay's.
#
#   scripts/av-sync.sh [--keep DIR] [--player BIN] [--record SECONDS] [--skip-ffplay]
#
#   --keep DIR       keep the work files (clip, recordings, analysis) in DIR
#   --player BIN     smoothplay binary (default: $CARGO_TARGET_DIR or target/, release)
#   --record S       at most this many seconds per player (default 30; a player that
#                    ends by itself ends the recording 0.5 s later)
#   --skip-ffplay    only smoothplay
#
# Needs: Xvfb, pulseaudio + pulseaudio-utils + libasound2-plugins, ffmpeg with x11grab and
# pulse input (`ffmpeg -devices`), ffplay, python3, a release build of smoothplay
# (`cargo build --release -p smoothplay-player`). Takes about 1.5 minutes.
# Video onset resolution: x11grab samples the screen every 20 ms, so each flash onset is
# known to +-10 ms (taken as the midpoint between the last dark and first bright capture).
set -euo pipefail

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
root="$(cd "$(dirname "$0")/.." && pwd)"
keep="" ; player="" ; record=30 ; skip_ffplay=0
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --keep) keep="$2"; shift 2 ;;
        --player) player="$2"; shift 2 ;;
        --record) record="$2"; shift 2 ;;
        --skip-ffplay) skip_ffplay=1; shift ;;
        *) echo "av-sync.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
player="${player:-${CARGO_TARGET_DIR:-$root/target}/release/smoothplay}"
[ -x "$player" ] || { echo "av-sync.sh: no player at $player (cargo build --release -p smoothplay-player, or --player BIN)" >&2; exit 1; }
for c in Xvfb pulseaudio pactl ffmpeg ffprobe ffplay python3; do
    command -v "$c" >/dev/null || { echo "av-sync.sh: $c not found" >&2; exit 1; }
done

work="$(mktemp -d /tmp/av-sync.XXXXXX)"
pids=()
. "$(dirname "${BASH_SOURCE[0]}")/desktop-env.sh"
trap desktop_cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "av-sync: $*" >&2; }

# --- 1. The clip: flash + beep at every whole second ---------------------------------
DUR=20 FPS=25 RATE=48000 PRIMING=1024
log "building the 20 s flash/beep clip"
# The flash: two frames (t mod 1 < 0.08 at 25 fps) of full-frame white on black.
ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "color=c=black:s=640x360:r=$FPS:d=$DUR,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t\,1)\,0.079)',format=yuv420p" \
    -c:v libx264 -preset veryfast -profile:v high -bf 0 -g 50 -keyint_min 50 -sc_threshold 0 -b:v 300k \
    "$work/video.mp4"
# The beep: 1 kHz, 35 ms, from every whole second. As in assets/make-demo.sh, the tone is
# generated 1024 samples early because Smooth players do not trim the AAC encoder's
# priming: the decoded stream then has the beeps on whole seconds of the video timeline.
# (aevalsrc rather than sine+volume: one shifted time for both the tone's phase and
# the gate.)
pre="($PRIMING/$RATE)"
ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "aevalsrc=exprs='0.5*sin(2*PI*1000*(t+$pre))*lt(mod(t+$pre\,1)\,0.035)|0.5*sin(2*PI*1000*(t+$pre))*lt(mod(t+$pre\,1)\,0.035)':s=$RATE:d=$DUR" \
    -c:a aac -b:a 128k -ar "$RATE" "$work/audio.m4a"
mkdir -p "$work/www"
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$work/video.mp4" -ignore_editlist 1 -i "$work/audio.m4a" \
    -map 0:v -map 1:a -c copy -min_frag_duration 2000000 -f smoothstreaming "$work/www/clip.ism"
find "$work/www/clip.ism" -name 'FragmentInfo(*' -delete
# ffplay's copy: the same two streams, priming included (as smoothplay plays them).
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$work/video.mp4" -ignore_editlist 1 -i "$work/audio.m4a" \
    -map 0:v -map 1:a -c copy "$work/clip.mkv"

# --- 2. Xvfb and a PulseAudio null sink ------------------------------------------------
start_desktop "$work" 1280x720 "$RATE" || exit 1
log "Xvfb on $DISPLAY, PulseAudio null sink test_sink ($PULSE_SERVER)"

# --- 3. Record one player -------------------------------------------------------------
# $1 = label; the rest: the player's command line. Writes $work/$label.nut.
measure() {
    local label="$1"; shift
    local off; off="-$(date +%s)"   # the same offset for both inputs: small timestamps
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -thread_queue_size 4096 -itsoffset "$off" -f x11grab -framerate 50 -video_size 640x360 -draw_mouse 0 -i "$DISPLAY+0,0" \
        -thread_queue_size 4096 -itsoffset "$off" -f pulse -sample_rate "$RATE" -channels 2 -fragment_size 3840 -i test_sink.monitor \
        -copyts -map 0:v -vf "scale=80:45:flags=area,format=gray" -c:v rawvideo -fps_mode passthrough -enc_time_base:v 1:1000000 \
        -map 1:a -c:a pcm_s16le -f nut "$work/$label.nut" >"$work/$label.rec.log" 2>&1 &
    local rec=$!; pids+=("$rec")
    sleep 1.5   # the recorder's own start (pulse stream set-up)
    log "$label: playing for up to $record s: $*"
    "$@" >"$work/$label.player.log" 2>&1 &
    local pl=$!; pids+=("$pl")
    local t=0
    while kill -0 "$pl" 2>/dev/null && [ "$t" -lt $((record * 10)) ]; do sleep 0.1; t=$((t + 1)); done
    if kill -0 "$pl" 2>/dev/null; then kill "$pl" 2>/dev/null || true; fi
    wait "$pl" 2>/dev/null || log "$label: the player exited with status $? (log: $label.player.log)"
    sleep 0.5
    kill -INT "$rec" 2>/dev/null || true
    wait "$rec" 2>/dev/null || true
}

analyse() { # $1 = label, $2 = media file, then options for av_sync_analyse.py
    local label="$1" f="$2"; shift 2
    ffmpeg -hide_banner -loglevel error -nostdin -copyts -i "$f" -map 0:v \
        -vf "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=$work/$label.luma.txt" -f null - 2>>"$work/$label.analyse.log"
    ffprobe -v error -select_streams a:0 -show_entries packet=pts_time,size -of csv=p=0 "$f" >"$work/$label.apk.csv"
    ffmpeg -hide_banner -loglevel error -nostdin -i "$f" -map 0:a:0 -af "pan=mono|c0=c0" -c:a pcm_s16le -f s16le "$work/$label.s16"
    python3 "$root/scripts/av_sync_analyse.py" "$label" "$work/$label.luma.txt" "$work/$label.apk.csv" "$work/$label.s16" "$@" \
        | tee -a "$work/results.txt" || log "$label: analysis found no events (logs: $label.*.log)"
}

# The file itself (no playback): the clip as ffmpeg decodes it, flashes vs beeps in
# stream time (flash frame pts vs first beep sample). Expected 0 (+-1 AAC frame's smear).
ffmpeg -hide_banner -loglevel error -nostdin -y -i "$work/clip.mkv" -map 0:v -vf "scale=80:45:flags=area,format=gray" \
    -c:v rawvideo -map 0:a -c:a pcm_s16le -f nut "$work/file.nut"
analyse file "$work/file.nut" --frame-onset

measure smoothplay "$player" --geometry 640x360 --no-osd -q --stats-json "$work/smoothplay.stats.json" "$work/www/clip.ism"
analyse smoothplay "$work/smoothplay.nut"
if [ "$skip_ffplay" = 0 ]; then
    sleep 1
    measure ffplay ffplay -hide_banner -loglevel error -autoexit -noborder -left 0 -top 0 -x 640 -y 360 "$work/clip.mkv"
    analyse ffplay "$work/ffplay.nut"
fi

echo
echo "Summary (offset = audio - video, ms; video onsets +-10 ms from 50 fps capture):"
grep '^RESULT' "$work/results.txt" | sed 's/^RESULT /  /'
if [ -f "$work/smoothplay.stats.json" ]; then
    python3 - "$work/smoothplay.stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
v = s.get("video", {})
print(f"  smoothplay stats: frames decoded {v.get('frames_decoded')}, dropped {v.get('frames_dropped')}, "
      f"rebuffers {s.get('rebuffer', {}).get('count')}, startup {s.get('startup_ms')} ms, ended_by {s.get('ended_by')}")
PY
fi
