#!/usr/bin/env bash
# Installs the Debian packages smoothplay needs to build, test and play, if missing.
#   nasm        : openh264's assembly (about 30-45% faster decoding; plain C without it)
#   pkg-config  : build scripts of -sys crates
#   ffmpeg      : the independent decoder the tests compare against, and assets/make-demo.sh
#   libasound2-dev : cpal's ALSA backend (the audio output) links against it
#   libxkbcommon-x11-0, libx11-xcb1, libxcursor1, libxrandr2, libxi6 : loaded by winit at run time
#   mesa-vulkan-drivers, libvulkan1 : lavapipe, software Vulkan, so wgpu renders with no GPU
#   xvfb, imagemagick, xdotool : a real X display for the window tests, a screenshot of
#                 it, and keys typed into the window (player/tests/window.rs)
#   pulseaudio, pulseaudio-utils, libasound2-plugins : a null sink the audio tests play
#                 into and record from (ALSA's default device reaches it through the plugin)
# Uses sudo when not root. Safe to run again: it installs only what is missing.
set -euo pipefail
packages=(nasm pkg-config ffmpeg libasound2-dev libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxrandr2 libxi6
  mesa-vulkan-drivers libvulkan1 xvfb imagemagick xdotool pulseaudio pulseaudio-utils libasound2-plugins)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-deps: apt-get not found; install these yourself: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo (missing: ${missing[*]})" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
