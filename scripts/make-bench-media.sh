#!/bin/sh
# Encodes the presentation that `smoothplay-bench-net` plays through the shaping proxy
# and that `smoothplay-sim --video` reads the fragment sizes of: the envivio ladder of the
# simulator's standard video (300, 750, 1200, 1850, 2850, 4300 kbit/s), 4 s fragments
# (one IDR per fragment), video only, as a static on-demand Smooth Streaming directory.
#
#   scripts/make-bench-media.sh [OUT_DIR] [SECONDS]
#
# OUT_DIR (default target/bench-media) receives `envivio.ism/`; SECONDS defaults to 120
# (30 fragments; about 170 MB). The picture is ffmpeg's testsrc2 at small sizes
# (320x180 .. 640x360) so decoding costs little CPU; x264 runs in CBR with filler data
# (nal-hrd=cbr), so every fragment is close to its level's nominal size, as the envivio
# chunks are on average. Needs ffmpeg (scripts/install-deps.sh). Takes about a minute.
set -eu
out=${1:-target/bench-media}
secs=${2:-120}
mkdir -p "$out"
dir="$out/envivio.ism"
rm -rf "$dir"
# level: width height kbps
set -- 320:180:300 320:180:750 480:270:1200 480:270:1850 640:360:2850 640:360:4300
n=$#
split="[0:v]split=$n"
i=0
for l in "$@"; do split="$split[s$i]"; i=$((i + 1)); done
filters="$split"
maps=""
i=0
for l in "$@"; do
  w=${l%%:*}; rest=${l#*:}; h=${rest%%:*}; k=${rest#*:}
  filters="$filters;[s$i]scale=$w:$h[v$i]"
  maps="$maps -map [v$i] -c:v:$i libx264 -b:v:$i ${k}k -minrate:v:$i ${k}k -maxrate:v:$i ${k}k -bufsize:v:$i $((k / 2))k"
  i=$((i + 1))
done
# shellcheck disable=SC2086
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" \
  -filter_complex "$filters" $maps \
  -preset veryfast -profile:v main -bf 0 -g 100 -keyint_min 100 -sc_threshold 0 \
  -x264-params nal-hrd=cbr:force-cfr=1 \
  -f smoothstreaming -window_size 0 -extra_window_size 0 -min_frag_duration 4000000 "$dir"
echo "$dir: $(ls "$dir" | wc -l) entries, $(du -sh "$dir" | cut -f1)"
