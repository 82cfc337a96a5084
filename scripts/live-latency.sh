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
. "$(dirname "${BASH_SOURCE[0]}")/live-origin-env.sh"
start_live_origin "$work" $((secs + 40)) || { echo "live-latency: the origin did not come up" >&2; exit 1; }
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
