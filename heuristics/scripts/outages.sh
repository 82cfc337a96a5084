#!/bin/sh
# Outage tables (issue 12 item 3). Generates the synthetic outage set on demand
# (traces/make-outages.py, deterministic) and runs every algorithm, `optimal` included, on it:
#   heuristics/scripts/outages.sh [TRACES_DIR (default ../shared/traces)] [OUT_DIR (default target/outages)]
# Envivio video, buffer 20 s, throughput x0.95, on demand and --live 2; then tune (even index)
# / held-out (odd index) / full means per algorithm with scripts/halves.py.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
traces=${1:-$root/../shared/traces}
out=${2:-$root/target/outages}
mkdir -p "$out"
python3 "$root/heuristics/traces/make-outages.py" "$traces" "$out/traces"
cargo build --release -p smoothplay-heuristics --bin smoothplay-sim
sim="${CARGO_TARGET_DIR:-$root/target}/release/smoothplay-sim"
video="$traces/videos/envivio_pensieve_sabre.json"
for set in fcc hsdpa; do
  for mode in vod live2; do
    live=""; [ "$mode" = live2 ] && live="--live 2"
    echo "== outage $set $mode"
    # shellcheck disable=SC2086
    "$sim" --video "$video" --traces "$out/traces/$set" --algo all --buffer 20 \
      --throughput-scale 0.95 $live --csv "$out/${set}_$mode.csv" >"$out/${set}_$mode.txt"
  done
done
python3 "$root/heuristics/scripts/halves.py" "$out"/*_vod.csv "$out"/*_live2.csv
