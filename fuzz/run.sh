#!/usr/bin/env bash
# Runs fuzz targets one after another, one process each (one core), for a fixed number of
# executions, and appends a line per target to logs/summary.tsv.
#
#   fuzz/run.sh [-n RUNS] [-d DECODE_RUNS] [-t MAX_SECONDS] [TARGET...]
#
# RUNS (default 10000000) applies to the parser targets, DECODE_RUNS (default 200000) to
# the targets that run the real decoders (fragment_decode, h264_decode, aac_decode).
# MAX_SECONDS (default 0: no limit) stops a target early. Without TARGETs, all run.
# Needs `cargo install cargo-fuzz` (0.13.2); stable Rust: `-s none` (no sanitizer),
# `-a` (debug assertions and overflow checks on). Seeds: fuzz/seed.sh (run first).
# A crash, hang (-timeout) or out-of-memory (-rss_limit_mb, -malloc_limit_mb) input is
# written to fuzz/artifacts/TARGET/ and the target's run stops there.
set -uo pipefail
cd "$(dirname "$0")"

RUNS=10000000
DECODE_RUNS=200000
MAX_TIME=0
while getopts "n:d:t:" opt; do
    case $opt in
        n) RUNS=$OPTARG ;;
        d) DECODE_RUNS=$OPTARG ;;
        t) MAX_TIME=$OPTARG ;;
        *) sed -n '2,14p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
ALL="manifest playready_object wrmheader fragment decrypt_sample decrypt_fragment asc annexb clearkey live_timeline aac_decode h264_decode fragment_decode sps"
TARGETS=${*:-$ALL}

dict_for() {
    case $1 in
        manifest|ttml|scte35) echo dict/manifest.dict ;;
        playready_object|wrmheader) echo dict/wrmheader.dict ;;
        fragment|decrypt_fragment|fragment_decode) echo dict/mp4.dict ;;
        clearkey) echo dict/json.dict ;;
        annexb|h264_decode|sps) echo dict/h264.dict ;;
        *) echo "" ;;
    esac
}

mkdir -p logs
[ -f logs/summary.tsv ] || printf 'date\ttarget\truns\tseconds\texecs_per_s\tcov\tft\tcorpus\tresult\n' > logs/summary.tsv
status=0
for t in $TARGETS; do
    runs=$RUNS
    case $t in fragment_decode|h264_decode|aac_decode) runs=$DECODE_RUNS ;; esac
    dict=$(dict_for "$t")
    mkdir -p "corpus/$t"
    log="logs/$t.log"
    start=$(date +%s)
    cargo fuzz run -s none -a "$t" "corpus/$t" -- \
        -runs="$runs" -max_total_time="$MAX_TIME" ${dict:+-dict=$dict} \
        -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    done_line=$(grep -E '^#[0-9]+\s+DONE' "$log" | tail -1)
    last_line=$(grep -E '^#[0-9]+\s' "$log" | tail -1)
    line=${done_line:-$last_line}
    execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}')
    execs=${execs:-$(echo "$line" | sed -E 's/^#([0-9]+).*/\1/')}
    cov=$(echo "$line" | grep -oE 'cov: [0-9]+' | awk '{print $2}')
    ft=$(echo "$line" | grep -oE 'ft: [0-9]+' | awk '{print $2}')
    corp=$(echo "$line" | grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' | awk '{print $2}')
    result=ok
    if [ $rc -ne 0 ]; then
        result=$(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+|deadly signal' "$log" | head -1 | tr ' ' '_')
        result=${result:-rc=$rc}
        status=1
    fi
    rate=$(( secs > 0 ? ${execs:-0} / secs : 0 ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "${execs:-?}" "$secs" "$rate" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result" | tee -a logs/summary.tsv
done
exit $status
