#!/bin/sh
# Full-set validation and goal tables (issue 3, items 4-5). Needs the shared traces:
#   heuristics/scripts/validate.sh [TRACES_DIR (default ../shared/traces)] [OUT_DIR (default target/validation)]
# Runs every algorithm on fcc and hsdpa with Sabre's validation settings (max buffer 60 s,
# throughput x 0.95, envivio video), then RobustMPC and the oracle on every 5th trace.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
traces=${1:-$root/../shared/traces}
out=${2:-$root/target/validation}
mkdir -p "$out"
cargo build --release -p smoothplay-heuristics --bin smoothplay-sim
sim="${CARGO_TARGET_DIR:-$root/target}/release/smoothplay-sim"
video="$traces/videos/envivio_pensieve_sabre.json"
for set in fcc hsdpa; do
  echo "== $set: all algorithms, every trace"
  "$sim" --video "$video" --traces "$traces/$set" --algo all --buffer 60 --throughput-scale 0.95 \
    --csv "$out/$set.csv"
  echo "== $set: every 5th trace (Pensieve's RobustMPC figure)"
  "$sim" --video "$video" --traces "$traces/$set" --every 5 --algo robustmpc,smoothplay,optimal \
    --buffer 60 --throughput-scale 0.95 --csv "$out/${set}_every5.csv"
done
