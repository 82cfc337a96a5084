#!/usr/bin/env bash
# Measures how close smoothplay follows a real live origin: ffmpeg's smoothstreaming
# muxer (-re, 2 s fragments, 2 levels + AAC) writing into a temp dir served over loopback
# by python3's http.server, and the player following it for SECONDS of media.
#
#   scripts/live-latency.sh [SECONDS [LIVE_DELAY]]     (defaults: 60, the player's default)
#
# Prints the live figures of --stats-json (distance to the newest available fragment's
# end: mean/p50/p95/max, stalls, manifest refreshes, retries). Needs ffmpeg and python3.
set -euo pipefail
secs="${1:-60}"
delay="${2:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
cargo build -q -p smoothplay-player --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/debug/smoothplay"
mkdir -p "$work/www"
ffmpeg -hide_banner -nostats -loglevel error -y -re -f lavfi -i testsrc2=size=480x270:rate=25 \
  -re -f lavfi -i sine=frequency=440:sample_rate=48000 -t $((secs + 40)) \
  -filter_complex '[0:v]split=2[a][b];[a]scale=480:270[v0];[b]scale=320:180[v1]' -map '[v0]' -map '[v1]' \
  -c:v libx264 -preset veryfast -threads 1 -bf 0 -sc_threshold 0 -pix_fmt yuv420p -g 50 -keyint_min 50 \
  -b:v:0 600k -b:v:1 300k -map 1:a -c:a aac -b:a 64k -ac 2 \
  -f smoothstreaming -window_size 10 -extra_window_size 5 -lookahead_count 2 -min_frag_duration 2000000 \
  "$work/www/live.ism" &
(cd "$work/www" && exec python3 -m http.server --bind 127.0.0.1 0 >"$work/http.log" 2>&1) &
for _ in $(seq 100); do
  port="$(grep -o 'port [0-9]*' "$work/http.log" 2>/dev/null | head -1 | cut -d' ' -f2 || true)"
  [ -n "$port" ] && grep -q '<c ' "$work/www/live.ism/Manifest" 2>/dev/null && break
  sleep 0.2
done
[ -n "${port:-}" ] || { echo "live-latency: the origin did not come up" >&2; exit 1; }
args=(--headless -q --duration "$secs" --stats-json "$work/stats.json")
[ -n "$delay" ] && args+=(--live-delay "$delay")
"$bin" "${args[@]}" "http://127.0.0.1:$port/live.ism/Manifest"
python3 - "$work/stats.json" "$secs" "${delay:-default}" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); l = s["live"]; d = l["edge_distance_ms"]
print(f"live delay {sys.argv[3]}, {sys.argv[2]} s of media: distance to the edge mean {d['mean']:.0f} ms, "
      f"p50 {d['p50']:.0f}, p95 {d['p95']:.0f}, max {d['max']:.0f}; stalls {s['rebuffer']['count']} "
      f"({s['rebuffer']['total_ms']:.0f} ms); frames {s['video']['frames_decoded']} decoded, {s['video']['frames_dropped']} dropped; "
      f"manifest refreshes {l['manifest_refreshes']}, unavailable retries {l['unavailable_retries']}, startup {s['startup_ms']:.0f} ms")
PY
