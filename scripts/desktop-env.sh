# Sourced by the desktop scripts (av-sync.sh, cpu-vs-gstreamer.sh, play-1080p60.sh,
# live-window-tour.sh):
# `start_desktop WORK SCREEN RATE` starts Xvfb on a free display (SCREEN like 1280x720)
# and a PulseAudio null sink `test_sink` at RATE Hz, private to WORK, and exports
# DISPLAY, XDG_RUNTIME_DIR and PULSE_SERVER. Xvfb's pid goes into the caller's `pids`
# array, for the caller's exit trap (which also stops PulseAudio).
start_desktop() {
    local work=$1 screen=$2 rate=$3 disp="" n
    export XDG_RUNTIME_DIR="$work/xdg"; mkdir -m 0700 "$XDG_RUNTIME_DIR"
    for n in $(seq 150 199); do
        if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then disp=":$n"; break; fi
    done
    [ -n "$disp" ] || { echo "no free X display number (150-199)" >&2; return 1; }
    Xvfb "$disp" -screen 0 "${screen}x24" -br -nolisten tcp >"$work/xvfb.log" 2>&1 &
    pids+=($!)
    export DISPLAY="$disp"
    for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${disp#:}" ] && break; sleep 0.1; done
    pulseaudio -n --daemonize=yes --exit-idle-time=-1 --use-pid-file=no \
        --load=module-native-protocol-unix --load="module-null-sink sink_name=test_sink rate=$rate" \
        >"$work/pulse.log" 2>&1
    export PULSE_SERVER="unix:$XDG_RUNTIME_DIR/pulse/native"
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
    pactl set-default-sink test_sink
}

# `desktop_cleanup`: the callers' exit trap. Stops the jobs in `pids` and PulseAudio,
# copies `work` to `keep` when set, and removes `work`.
desktop_cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ]; then pulseaudio --kill 2>/dev/null || true; fi
    if [ -n "${keep:-}" ]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/ && echo "work files kept in $keep"; fi
    rm -rf "$work"
}
