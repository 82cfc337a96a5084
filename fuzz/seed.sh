#!/usr/bin/env bash
# Writes the seed corpora (fuzz/corpus/TARGET/seed-NNNN) from tests/fixtures/ and
# assets/demo.ism, in each target's input layout. Inputs the fuzzer found are kept.
set -euo pipefail
cd "$(dirname "$0")"
cargo run -q --release -p smoothplay-fuzz-seedgen -- .. corpus
