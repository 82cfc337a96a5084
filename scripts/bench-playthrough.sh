#!/usr/bin/env bash
# Headless, untimed play-through of a presentation at its top video level with the release
# player, N runs, against raw decoding of the same access units measured in the same run.
#
# Usage: scripts/bench-playthrough.sh [-n RUNS] [PRESENTATION_DIR]
#   PRESENTATION_DIR defaults to assets/demo.ism, else tests/fixtures/media/small.ism.
#
# Prints per run the player's wall and CPU time (from --stats-json wall_ms/cpu_ms: the
# whole process, every thread, from Session::open to the end) and then two baselines:
#   raw   openh264 + symphonia driven directly on the same access units, prepared in
#         memory up front (benches/decode_pipeline.rs, SMOOTHPLAY_BENCH_MODE=ratio, one
#         round right after each player run): the same decoders the engine uses, so
#         player/raw is what the engine and the player add.
#   ffmpeg  `ffmpeg -threads 1 -f h264 -i <Annex-B of the same level> -f null -`, video
#         only: a DIFFERENT decoder (libavcodec), an external reference, not the goal's
#         denominator.
# CPU times are user+sys; on a shared machine wall time mostly measures the neighbours.
set -euo pipefail

runs=5
if [[ "${1:-}" == "-n" ]]; then
    runs="$2"
    shift 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ism="${1:-}"
if [[ -z "$ism" ]]; then
    if [[ -f assets/demo.ism/Manifest ]]; then ism=assets/demo.ism; else ism=tests/fixtures/media/small.ism; fi
fi
[[ -f "$ism/Manifest" ]] || { echo "no Manifest in $ism" >&2; exit 2; }
ism="$(cd "$ism" && pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release -q -p smoothplay-player
player="$CARGO_TARGET_DIR/release/smoothplay"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "presentation: $ism (top video level), $runs runs, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Each player run is paired with one raw round measured right after it, so load changes on
# this shared machine hit both sides of a ratio alike.
raw_round() {
    SMOOTHPLAY_BENCH_ISM="$ism" SMOOTHPLAY_BENCH_MODE=ratio SMOOTHPLAY_BENCH_ROUNDS=1 \
        cargo bench -q -p smoothplay --bench decode_pipeline 2>"$tmp/bench.err" >"$tmp/bench.out" ||
        { cat "$tmp/bench.err" >&2; exit 1; }
    awk '/^video\+audio/ {for (i=1;i<=NF;i++) if ($i=="raw") print $(i+1)}' "$tmp/bench.out"
}
echo "run  wall_ms   cpu_ms  frames  dropped   raw_cpu_ms  player/raw"
for i in $(seq 1 "$runs"); do
    "$player" --headless --untimed --quiet --video-bitrate max --stats-json "$tmp/run$i.json" "$ism"
    raw=$(raw_round)
    echo "$raw" >>"$tmp/raw"
    jq -r '[.wall_ms, .cpu_ms, .video.frames_decoded, .video.frames_dropped] | @tsv' "$tmp/run$i.json" |
        awk -v i="$i" -v raw="$raw" '{printf "%3d %8.1f %8.1f %7d %8d %12.1f %11.3f\n", i, $1, $2, $3, $4, raw, $2 / raw; print $2 / raw > "/dev/stderr"}' 2>>"$tmp/ratios"
done
player_wall=$(jq -s -r '.[].wall_ms' "$tmp"/run*.json | median)
player_cpu=$(jq -s -r '.[].cpu_ms' "$tmp"/run*.json | median)
raw_cpu=$(median <"$tmp/raw")
ratio=$(median <"$tmp/ratios")
echo "last raw round in full:"
sed 's/^/  /' "$tmp/bench.out"

python3 "$root/scripts/bench-annexb.py" "$ism" "$tmp/top.h264" 2>/dev/null
ff=()
for i in $(seq 1 "$runs"); do
    /usr/bin/time -f "%U %S" -o "$tmp/ff$i" ffmpeg -nostdin -v error -threads 1 -f h264 -i "$tmp/top.h264" -f null -
    ff+=("$(awk '{print ($1+$2)*1000}' "$tmp/ff$i")")
done
ff_cpu=$(printf '%s\n' "${ff[@]}" | median)

echo
printf 'player   median wall %8.1f ms  cpu %8.1f ms\n' "$player_wall" "$player_cpu"
printf 'raw      median            cpu %8.1f ms   player/raw cpu    %.3f  (median of per-run ratios; goal <= 1.10)\n' "$raw_cpu" "$ratio"
printf 'ffmpeg   median            cpu %8.1f ms   player/ffmpeg cpu %.3f  (different decoder, video only, 10 ms resolution)\n' "$ff_cpu" "$(echo "$player_cpu / $ff_cpu" | bc -l)"
