#!/usr/bin/env bash
# Builds assets/demo.ism/: a 20 s Smooth Streaming on-demand presentation (3 H.264 levels
# without B-frames + AAC-LC 48 kHz stereo) with ffmpeg's smoothstreaming muxer, then checks
# that every fragment the Manifest implies exists. Idempotent: rebuilds from scratch.
# `make-demo.sh --check` only checks the existing demo.ism (no ffmpeg needed).
# See assets/README.md for what it contains and why it is made this way.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/demo.ism"

# --- Check: every fragment the Manifest implies exists, and nothing else -------------
check_presentation() {
    local manifest="$out/Manifest" implied present
    implied="$(mktemp)"; present="$(mktemp)"
    if [ ! -f "$manifest" ]; then echo "make-demo.sh: $manifest is missing" >&2; return 1; fi
    awk '
        /<StreamIndex/ {
            match($0, /Type="[a-z]+"/); type = substr($0, RSTART + 6, RLENGTH - 7)
            nq = 0; t = 0
        }
        /<QualityLevel / {
            match($0, /Bitrate="[0-9]+"/); q[nq++] = substr($0, RSTART + 9, RLENGTH - 10)
        }
        /<c / {
            if (match($0, / t="[0-9]+"/)) t = substr($0, RSTART + 4, RLENGTH - 5) + 0
            match($0, / d="[0-9]+"/); d = substr($0, RSTART + 4, RLENGTH - 5) + 0
            for (i = 0; i < nq; i++) printf "QualityLevels(%s)/Fragments(%s=%.0f)\n", q[i], type, t
            t += d
        }
    ' "$manifest" | sort > "$implied"
    (cd "$out" && find . -path './QualityLevels(*' -type f | sed 's|^\./||' | sort) > "$present"

    local ok=1
    if [ ! -s "$implied" ]; then echo "make-demo.sh: no fragments found in $manifest" >&2; ok=0; fi
    if ! diff -u "$implied" "$present" >&2; then
        echo "make-demo.sh: fragment files do not match the Manifest (above: - implied, + on disk)" >&2
        ok=0
    fi
    for t in video audio; do
        if ! grep -q "Fragments($t=0)" "$implied"; then
            echo "make-demo.sh: the $t stream does not start at time 0 (AAC priming shift?)" >&2
            ok=0
        fi
    done
    if [ "$ok" = 1 ]; then
        echo "make-demo.sh: $(grep -c . "$implied") fragments match $manifest; $(du -sh "$out" | cut -f1) in total"
    fi
    rm -f "$implied" "$present"
    [ "$ok" = 1 ]
}

if [ "${1:-}" = "--check" ]; then
    check_presentation
    exit
fi

if ! command -v ffmpeg >/dev/null 2>&1; then
    echo "make-demo.sh: ffmpeg not found; install it (Debian: apt-get install ffmpeg)" >&2
    exit 1
fi

DURATION_S=20
FPS=25
GOP=50                  # 2 s closed GOPs at 25 fps, aligned across levels
RATE=48000
PRIMING=1024            # samples of encoder delay ffmpeg's AAC encoder puts in front

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- Audio first, on its own ---------------------------------------------------------
# Encoded to m4a and copied in below. Encoding it in the same run as the video makes the
# muxer shift every stream by the AAC priming (1024/48000 s = 213333 ticks), so the video
# fragments start at 213333 while the on-demand manifest implies 0.
# Smooth players do not trim the priming samples, so the tone is generated 1024 samples
# early: the decoded audio then lines up with the video timeline (beeps on whole seconds).
shift="($PRIMING/$RATE)"
chord="0.10*sin(2*PI*220*(t+$shift))+0.07*sin(2*PI*277.18*(t+$shift))+0.06*sin(2*PI*329.63*(t+$shift))"
tremolo="(0.75+0.25*sin(2*PI*0.5*(t+$shift)))"
beep="0.25*sin(2*PI*880*(t+$shift))*lt(mod(t+$shift,1),0.06)"
left="$chord*$tremolo+$beep"
right="$chord*(1.75-$tremolo)+$beep"
ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "aevalsrc=exprs='$left|$right':s=$RATE:d=$DURATION_S" \
    -c:a aac -b:a 96k -ac 2 -ar "$RATE" "$work/audio.m4a"

# --- Video: one 720p source, split into three levels ---------------------------------
font=""
for f in /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; do
    if [ -f "$f" ]; then font="$f"; break; fi
done
label() { # $1 = text; a drawtext filter, or a no-op when no font is installed
    if [ -n "$font" ]; then
        printf "drawtext=fontfile=%s:text='%s  %%{pts\\\\:hms}':x=16:y=h-th-24:fontsize=h/14:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8" "$font" "$1"
    else
        printf "null"
    fi
}
if [ -z "$font" ]; then echo "make-demo.sh: no DejaVu font found, making the demo without the clock overlay" >&2; fi

graph="[0:v]split=3[s0][s1][s2];\
[s0]scale=426:240:flags=bicubic,setsar=1,$(label '240p 250 kbps')[v0];\
[s1]scale=640:360:flags=bicubic,setsar=1,$(label '360p 500 kbps')[v1];\
[s2]setsar=1,$(label '720p 1200 kbps')[v2]"

rm -rf "$out"
# -ignore_editlist: copy the AAC packets from time 0 (priming included), not from -1024,
# which would again shift the video by the priming.
ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "testsrc2=size=1280x720:rate=$FPS,format=yuv420p" \
    -ignore_editlist 1 -i "$work/audio.m4a" \
    -t "$DURATION_S" -filter_complex "$graph" \
    -map "[v0]" -map "[v1]" -map "[v2]" -map 1:a \
    -c:v libx264 -pix_fmt yuv420p -r "$FPS" -bf 0 -g "$GOP" -keyint_min "$GOP" -sc_threshold 0 \
    -profile:v:0 baseline -b:v:0 250k -maxrate:v:0 300k -bufsize:v:0 500k \
    -profile:v:1 main     -b:v:1 500k -maxrate:v:1 600k -bufsize:v:1 1000k \
    -profile:v:2 high     -b:v:2 1200k -maxrate:v:2 1450k -bufsize:v:2 2400k \
    -c:a copy \
    -min_frag_duration 2000000 \
    -f smoothstreaming "$out"

# FragmentInfo(...) files are the muxer's server-side bookkeeping (moof only); Smooth
# clients never request them.
find "$out" -name 'FragmentInfo(*' -delete


check_presentation
