#!/usr/bin/env bash
# Plays a real ffmpeg live origin (scripts/live-origin-env.sh) for a minute in a window
# under Xvfb, sound into a PulseAudio null sink (recorded), driven over the mpv IPC as a
# person would: at 20 s seek back 10 s, at 35 s go live. Prints what happened (positions,
# distance to the edge, stalls, dropped frames, how much of the minute was audible) and
# keeps three screenshots of the window and the recording with --keep DIR.
#
#   scripts/live-window-tour.sh [--player BIN] [--keep DIR] [--seconds N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
player="" keep="" secs=60
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --player) player="$2"; shift 2 ;;
        --keep) keep="$2"; shift 2 ;;
        --seconds) secs="$2"; shift 2 ;;
        *) echo "live-window-tour.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
player="${player:-${CARGO_TARGET_DIR:-$root/target}/release/smoothplay}"
[ -x "$player" ] || { echo "live-window-tour.sh: no player at $player (cargo build --release -p smoothplay-player, or --player BIN)" >&2; exit 1; }
for c in Xvfb pulseaudio pactl parec ffmpeg import python3; do
    command -v "$c" >/dev/null || { echo "live-window-tour.sh: $c not found (scripts/install-deps.sh)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/live-tour.XXXXXX)"
pids=()
. "$root/scripts/desktop-env.sh"
trap desktop_cleanup EXIT
trap 'exit 130' INT TERM
. "$root/scripts/live-origin-env.sh"

start_desktop "$work" 800x450 48000
start_live_origin "$work" $((secs + 60)) || { echo "live-window-tour: the origin did not come up" >&2; exit 1; }
parec -d test_sink.monitor --format=s16le --rate=48000 --channels=2 "$work/sound.raw" &
pids+=($!)
"$player" --geometry 800x450 --events-log "$work/events.jsonl" --stats-json "$work/stats.json" \
    --input-ipc-server "$work/ipc.sock" "http://127.0.0.1:$port/live.ism/Manifest" >"$work/player.log" 2>&1 &
pids+=($!)

python3 - "$work" "$secs" <<'PY'
import json, socket, subprocess, sys, time
work, secs = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX)
for _ in range(300):
    try:
        s.connect(f"{work}/ipc.sock"); break
    except OSError:
        time.sleep(0.1)
f = s.makefile("rw"); rid = 0
def cmd(*c):
    global rid; rid += 1
    f.write(json.dumps({"command": list(c), "request_id": rid}) + "\n"); f.flush()
    while True:
        v = json.loads(f.readline())
        if v.get("request_id") == rid:
            return v
def get(p):
    return cmd("get_property", p).get("data")
def shot(name):
    subprocess.run(["import", "-window", "root", f"{work}/{name}.png"], check=True)
    print(f"  {name}: time-pos {get('time-pos'):.2f} s, paused {get('pause')}", flush=True)
t0 = time.time()
while not get("time-pos"):
    time.sleep(0.2)
plan = [(10, lambda: shot("1-playing")), (20, lambda: print("  seek -10:", cmd("seek", -10)["error"])),
        (21.5, lambda: shot("2-after-seek")), (35, lambda: print("  go-live:", cmd("keypress", "END")["error"])),
        (37, lambda: shot("3-live-again")), (secs, lambda: cmd("quit"))]
for at, act in plan:
    time.sleep(max(0.0, t0 + at - time.time()))
    act()
PY
for _ in $(seq 100); do [ -s "$work/stats.json" ] && break; sleep 0.1; done
python3 - "$work" <<'PY'
import json, struct, sys
work = sys.argv[1]
st = json.load(open(f"{work}/stats.json"))
live = st.get("live") or {}
raw = open(f"{work}/sound.raw", "rb").read()
n = len(raw) // 4
tenth = 4800
audible = sum(1 for i in range(0, n - tenth, tenth)
              if max(abs(v) for v in struct.unpack_from(f"<{2*tenth}h", raw, 4 * i)[::50]) > 300)
kinds = {}
for l in open(f"{work}/events.jsonl"):
    k = json.loads(l)["kind"]; kinds[k] = kinds.get(k, 0) + 1
v = st.get("video", {})
print(f"frames presented {v.get('frames_presented')}, dropped {v.get('frames_dropped')}, rebuffers {st.get('rebuffer', {}).get('count')}")
print(f"distance to the edge: {live.get('edge_distance_ms')}")
print(f"sound: {audible} of {n // tenth} tenths of a second audible")
print(f"events: {kinds}")
PY
echo "screenshots: $work/*.png (use --keep DIR to keep them)"
