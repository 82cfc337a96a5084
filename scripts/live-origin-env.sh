# Sourced by scripts/live-latency.sh and scripts/soak.sh: `start_live_origin WORK SECONDS`
# starts ffmpeg's smoothstreaming muxer in real time (480x270 + 320x180 H.264 and AAC,
# 2 s fragments, for SECONDS) into WORK/www/live.ism and a loopback HTTP server on it, and
# sets `port` once the manifest lists a fragment (returns 1 if it never does). Both run
# as background jobs of the caller, whose exit trap kills them.
start_live_origin() {
    local work=$1 secs=$2
    mkdir -p "$work/www"
    ffmpeg -hide_banner -nostats -loglevel error -y -re -f lavfi -i testsrc2=size=480x270:rate=25 \
      -re -f lavfi -i sine=frequency=440:sample_rate=48000 -t "$secs" \
      -filter_complex '[0:v]split=2[a][b];[a]scale=480:270[v0];[b]scale=320:180[v1]' -map '[v0]' -map '[v1]' \
      -c:v libx264 -preset veryfast -threads 1 -bf 0 -sc_threshold 0 -pix_fmt yuv420p -g 50 -keyint_min 50 \
      -b:v:0 600k -b:v:1 300k -map 1:a -c:a aac -b:a 64k -ac 2 \
      -f smoothstreaming -window_size 10 -extra_window_size 5 -lookahead_count 2 -min_frag_duration 2000000 \
      "$work/www/live.ism" &
    (cd "$work/www" && exec python3 -m http.server --bind 127.0.0.1 0 >"$work/http.log" 2>&1) &
    port=""
    for _ in $(seq 100); do
        port="$(grep -o 'port [0-9]*' "$work/http.log" 2>/dev/null | head -1 | cut -d' ' -f2 || true)"
        [ -n "$port" ] && grep -q '<c ' "$work/www/live.ism/Manifest" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}
