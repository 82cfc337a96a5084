#!/usr/bin/env bash
# Real-time memory soak: the player follows a real live origin (ffmpeg's smoothstreaming
# muxer, -re, 2 s fragments, 2 levels + AAC, served by python3's http.server on loopback,
# as scripts/live-latency.sh) for MINUTES, headless, while its resident memory (VmRSS from
# /proc/PID/status) is sampled every 5 s.
#
#   scripts/soak.sh [--minutes N] [--delay SECONDS] [--release] [--out FILE.tsv]
#
# Prints the peak RSS, the RSS after the warm-up (the first 2 minutes) and at the end, and
# the growth per hour after the warm-up (least-squares slope of RSS over time, and end minus
# warm-up scaled to an hour). The samples (seconds, KiB) go to FILE.tsv (default: a temp
# file, path printed). Needs ffmpeg and python3. Default: 30 minutes, debug build.
set -euo pipefail
minutes=30 delay="" profile=debug out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --delay) delay="$2"; shift 2 ;;
    --release) profile=release; shift ;;
    --out) out="$2"; shift 2 ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
secs=$((minutes * 60))
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
if [ "$profile" = release ]; then
  cargo build -q --release -p smoothplay-player --manifest-path "$root/Cargo.toml"
else
  cargo build -q -p smoothplay-player --manifest-path "$root/Cargo.toml"
fi
bin="${CARGO_TARGET_DIR:-$root/target}/$profile/smoothplay"
out="${out:-$work/../soak-$$.tsv}"
. "$(dirname "${BASH_SOURCE[0]}")/live-origin-env.sh"
start_live_origin "$work" $((secs + 60)) || { echo "soak: the origin did not come up" >&2; exit 1; }
args=(--headless -q --duration "$secs" --stats-json "$work/stats.json")
[ -n "$delay" ] && args+=(--live-delay "$delay")
"$bin" "${args[@]}" "http://127.0.0.1:$port/live.ism/Manifest" &
pid=$!
start=$(date +%s)
printf 'seconds\trss_kib\n' >"$out"
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && printf '%s\t%s\n' "$(( $(date +%s) - start ))" "$rss" >>"$out"
  sleep 5
done
rc=0; wait "$pid" || rc=$?
echo "soak: player exited with status $rc after $(( $(date +%s) - start )) s; samples in $out"
python3 - "$out" "$work/stats.json" <<'PY'
import json, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]).read().splitlines()[1:] if l.strip()]
if not rows:
    sys.exit("soak: no RSS sample")
peak = max(r for _, r in rows)
warm = [(t, r) for t, r in rows if t >= 120]
print(f"samples {len(rows)} over {rows[-1][0]} s; peak RSS {peak / 1024:.1f} MiB")
if len(warm) >= 2:
    n = len(warm); mt = sum(t for t, _ in warm) / n; mr = sum(r for _, r in warm) / n
    var = sum((t - mt) ** 2 for t, _ in warm)
    slope = sum((t - mt) * (r - mr) for t, r in warm) / var if var else 0.0  # KiB per s
    (t0, r0), (t1, r1) = warm[0], warm[-1]
    span = max(t1 - t0, 1)
    print(f"after warm-up (t >= 120 s): RSS {r0 / 1024:.1f} MiB at {t0} s, {r1 / 1024:.1f} MiB at {t1} s, "
          f"min {min(r for _, r in warm) / 1024:.1f}, max {max(r for _, r in warm) / 1024:.1f} MiB; "
          f"growth {slope * 3600 / 1024:+.2f} MiB/h (least squares), {(r1 - r0) * 3600 / span / 1024:+.2f} MiB/h (end - start)")
else:
    print("too short for a growth figure (needs samples after 120 s)")
try:
    s = json.load(open(sys.argv[2])); l = s.get("live") or {}
    d = l.get("edge_distance_ms", {})
    print(f"player: ended_by {s['ended_by']}, frames {s['video']['frames_decoded']} decoded / {s['video']['frames_dropped']} dropped, "
          f"stalls {s['rebuffer']['count']}, skipped {s.get('skipped_total', len(s['skipped_fragments']))}, "
          f"edge distance mean {d.get('mean', 0):.0f} ms, samples {len(l.get('samples', []))}")
except (OSError, ValueError, KeyError) as e:
    print(f"(no stats: {e})")
PY
