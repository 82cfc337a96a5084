#!/usr/bin/env bash
# Fuzz smoke: every target for a few seconds (default 5) from its corpus (fuzz/corpus/TARGET
# when seeded by seed.sh, else empty) plus its kept regressions (fuzz/regressions/TARGET).
# A short check that the targets build and nothing shallow crashes, not a substitute for
# run.sh's long runs.
#
#   fuzz/smoke.sh [-t SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --version 0.13.2`); without it, prints a note
# and exits 0 (skipped). Builds first (`cargo fuzz build -s none -a`; from cold this is the
# long part, well over 5 minutes on 2 cores: the engine's whole dependency tree again,
# aws-lc and openh264 C builds included, then 14 instrumented binaries; see README.md)
# and prints how long the build and each target took. Exit status 1 if a target crashes, hangs (over 10 s on one input) or
# runs out of memory; the input is left in fuzz/artifacts/TARGET/.
set -uo pipefail
cd "$(dirname "$0")"
SECS=5
while getopts "t:" opt; do
    case $opt in
        t) SECS=$OPTARG ;;
        *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz smoke: SKIPPED, cargo-fuzz is not installed (cargo install cargo-fuzz --version 0.13.2)"
    exit 0
fi
ALL="manifest playready_object wrmheader fragment decrypt_sample decrypt_fragment asc annexb clearkey live_timeline aac_decode h264_decode fragment_decode sps"
TARGETS=${*:-$ALL}
dict_for() {
    case $1 in
        manifest) echo dict/manifest.dict ;;
        playready_object|wrmheader) echo dict/wrmheader.dict ;;
        fragment|decrypt_fragment|fragment_decode) echo dict/mp4.dict ;;
        clearkey) echo dict/json.dict ;;
        annexb|h264_decode|sps) echo dict/h264.dict ;;
        *) echo "" ;;
    esac
}
start=$(date +%s)
if ! cargo fuzz build -s none -a $TARGETS 2>&1 | tail -3; then
    echo "fuzz smoke: the build failed"
    exit 1
fi
echo "fuzz smoke: build $(( $(date +%s) - start )) s"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in $TARGETS; do
    dict=$(dict_for "$t")
    corpus="$scratch/$t"
    mkdir -p "$corpus"
    [ -d "corpus/$t" ] && cp -r "corpus/$t/." "$corpus/" 2>/dev/null
    extra=""
    [ -d "regressions/$t" ] && extra="regressions/$t"
    t0=$(date +%s)
    log="$scratch/$t.log"
    cargo fuzz run -s none -a "$t" "$corpus" $extra -- \
        -max_total_time="$SECS" ${dict:+-dict=$dict} -timeout=10 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}')
    if [ $rc -eq 0 ]; then
        printf 'fuzz smoke: %-18s ok      %8s execs in %s s\n' "$t" "${execs:-?}" "$(( $(date +%s) - t0 ))"
    else
        status=1
        why=$(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+|deadly signal' "$log" | head -1)
        printf 'fuzz smoke: %-18s FAILED (%s); log:\n' "$t" "${why:-rc=$rc}"
        tail -30 "$log"
    fi
done
echo "fuzz smoke: total $(( $(date +%s) - start )) s"
exit $status
