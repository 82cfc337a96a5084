#!/bin/sh
# Kernel shaping for comparison with smoothplay-shaper (Linux, root): a network namespace
# joined to the host by a veth pair; what the host sends into the namespace goes through
# netem (the trace's latency, one way, so a request's first byte comes one latency after
# it is sent) and tbf (the trace's bandwidth, changed at every period). A player run
# inside the namespace fetches from the host side of the pair.
#
#   shaper/scripts/tc-netns.sh up                # namespace spshape, host 10.77.0.1, player 10.77.0.2
#   shaper/scripts/tc-netns.sh replay TRACE [SCALE]   # foreground: set rate/delay per period, looping
#   shaper/scripts/tc-netns.sh down
#
# Serve the origin on 10.77.0.1 (for a loopback-only origin, put smoothplay-shaper in front
# of it as a pass-through: a one-line trace `1000 10000000 0` and --listen 10.77.0.1:PORT),
# start `replay` at the moment the player starts, and run the player with
# `ip netns exec spshape smoothplay --headless http://10.77.0.1:PORT/...`.
# Outages (0 kbit/s periods) become 8 kbit/s: tbf needs a positive rate; connections stay
# open and almost nothing passes, as with the proxy.
set -eu
NS=spshape HOST=sp-host PEER=sp-ns
case "${1:-}" in
up)
  ip netns add $NS
  ip link add $HOST type veth peer name $PEER
  ip link set $PEER netns $NS
  ip addr add 10.77.0.1/24 dev $HOST
  ip link set $HOST up
  ip netns exec $NS ip addr add 10.77.0.2/24 dev $PEER
  ip netns exec $NS ip link set $PEER up
  ip netns exec $NS ip link set lo up
  # No segmentation offloads: tbf then sees MTU-sized packets, not 64 KB super-packets.
  ethtool -K $HOST tso off gso off gro off 2>/dev/null || true
  if tc qdisc add dev $HOST root handle 1: netem delay 80ms limit 10000 2>/dev/null; then
    tc qdisc add dev $HOST parent 1: handle 2: tbf rate 100mbit burst 32kb latency 2s
  else
    echo "tc-netns: no netem qdisc in this kernel (sch_netem): bandwidth only, no latency" >&2
    tc qdisc add dev $HOST root handle 2: tbf rate 100mbit burst 32kb latency 2s
  fi
  ;;
replay)
  trace=$2 scale=${3:-1}
  if tc qdisc show dev $HOST | grep -q netem; then parent="parent 1:"; else parent=root; fi
  while :; do
    grep -v '^#' "$trace" | while read -r ms kbps lat; do
      [ -n "$ms" ] || continue
      rate=$(awk -v k="$kbps" -v s="$scale" 'BEGIN { r = k * s; if (r < 8) r = 8; printf "%d", r * 1000 }')
      # burst: 20 ms at the rate, at least 4 KiB (the proxy's bucket).
      burst=$(awk -v r="$rate" 'BEGIN { b = r / 8 * 0.02; if (b < 4096) b = 4096; printf "%d", b }')
      [ "$parent" = root ] || tc qdisc change dev $HOST root handle 1: netem delay "${lat%.*}ms" limit 10000
      tc qdisc change dev $HOST $parent handle 2: tbf rate "${rate}bit" burst "$burst" latency 2s
      sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
    done
  done
  ;;
down)
  ip link del $HOST 2>/dev/null || true
  ip netns del $NS 2>/dev/null || true
  ;;
*)
  sed -n '2,20p' "$0"
  exit 2
  ;;
esac
