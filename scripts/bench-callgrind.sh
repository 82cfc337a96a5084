#!/usr/bin/env bash
# Instruction counts (valgrind callgrind, deterministic: no noise from a shared machine) of
# a headless untimed play-through at the top level, split into the decoders' own work and
# everything the engine and the player add around them.
#
# Usage: scripts/bench-callgrind.sh [PRESENTATION_DIR]   (default: small.ism, ~1 min)
#
# "decoders" = openh264's DecodeFrameNoDelay + symphonia's AAC decode_ref, inclusive: what a
# raw caller of the two libraries executes. Everything else (fragment parsing, Annex-B
# conversion, plane copies, audio interleaving, channels, playout, start-up) is overhead.
# Instructions are not cycles: cache misses of the plane copies do not show here; see
# benches/decode_pipeline.rs for CPU time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ism="${1:-$root/tests/fixtures/media/small.ism}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release -q -p smoothplay-player)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
    "$CARGO_TARGET_DIR/release/smoothplay" --headless --untimed --quiet --video-bitrate max "$ism" 2>"$out/vg.log"
callgrind_annotate --inclusive=yes "$out/cg.out" >"$out/incl.txt" 2>/dev/null
ir() { grep -E "$1" "$out/incl.txt" | head -1 | awk '{gsub(",", "", $1); print $1}'; }
total=$(ir 'PROGRAM TOTALS')
h264=$(ir 'CWelsDecoder::DecodeFrameNoDelay')
aac=$(ir 'symphonia_codec_aac::aac::AacDecoder as .*decode_ref')
eng_h264=$(ir 'smoothplay_engine::decode::h264::H264Decoder::decode ')
eng_aac=$(ir 'smoothplay_engine::decode::aac::AacDecoder::decode ')
worker=$(ir 'smoothplay_engine::session::worker::run ')
awk -v t="$total" -v h="$h264" -v a="$aac" -v eh="$eng_h264" -v ea="$eng_aac" -v w="$worker" -v ism="$ism" 'BEGIN {
    m = 1e6
    printf "callgrind Ir, %s top level\n", ism
    printf "  whole player                      %10.1f M\n", t / m
    printf "  openh264 DecodeFrameNoDelay       %10.1f M\n", h / m
    printf "  symphonia AAC decode_ref          %10.1f M\n", a / m
    printf "  H264Decoder::decode beyond openh264 %8.1f M (%.2f %% of openh264)\n", (eh - h) / m, 100 * (eh - h) / h
    printf "  AacDecoder::decode beyond symphonia %8.1f M (%.2f %% of symphonia)\n", (ea - a) / m, 100 * (ea - a) / a
    printf "  rest of the decode workers        %10.1f M\n", (w - eh - ea) / m
    printf "  outside the decode workers        %10.1f M\n", (t - w) / m
    printf "  player / decoders                 %10.4f  (goal <= 1.10)\n", t / (h + a)
}'
