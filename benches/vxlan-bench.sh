#!/usr/bin/env bash
# VXLAN overlay benchmark: container-to-container TCP throughput (iperf3, one stream and four) and
# ping RTT across a VXLAN overlay (VNI 42) between two hosts simulated by namespaces, joined by a veth
# underlay with MTU 1500; the containers have MTU 1450. Container 1 sends to container 2. In one run,
# the same topology with, on host 1 and host 2:
#   kernel        the Linux kernel's vxlan device and bridge on both, the containers on veths;
#   vireo         vireod on both (bridge with --vni/--vtep-local, one peer), the containers on TAP ports;
#   vireo-tap     vireod on both, each endpoint over an underlay TAP (--vtep-underlay-tap, Linux 6.17 on) at
#                 an address of its own, 10.77.1.N, that the hosts route and forward;
#   vireo-tap-kernel, kernel-vireo-tap  one host so, the kernel's vxlan on the other;
#   vireo-kernel  vireod on host 1, the kernel on host 2 (Vireo sends, the kernel receives);
#   kernel-vireo  the kernel on host 1, vireod on host 2;
#   vireo-baseline  as vireo, with the jar of another checkout DIR (--baseline DIR, which adds it), to
#                 compare two revisions in one run;
#   c-vxlanfwd    benches/vxlanfwd.c on both: Vireo's system calls (a UDP socket with UDP_SEGMENT and
#                 UDP_GRO) with no switching, the ceiling of Vireo's design on this machine;
#   c-vxlanfwd-tap  benches/vxlanfwd.c --underlay-tap on both: the other design, each endpoint a guest of
#                 its host's IP stack behind a TAP with UDP tunnel GSO (Linux 6.17 on), with an address of
#                 its own (10.77.1.N) that the hosts route; the ceiling of that design.
# (The c- overlays are not in the default list, nor vireo-tap on a kernel before 6.17.)
# The overlays take turns (rep 1 of each, then rep 2, ...), each rep under /tmp/vireo-bench.lock.
#   benches/vxlan-bench.sh [--seconds 10] [--reps 3] [--idle adaptive|busy|backoff]
#                          [--overlays "kernel vireo vireo-tap vireo-kernel kernel-vireo"] [--baseline DIR]
# Prints each repetition and the median per overlay.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"
seconds=10
reps=3
idle=adaptive
overlays="kernel vireo vireo-kernel kernel-vireo"
! bench_tap_tunnel_gso || overlays="kernel vireo vireo-tap vireo-kernel kernel-vireo vireo-tap-kernel kernel-vireo-tap"
baseline=0 baseline_jar=""
while [ $# -gt 0 ]; do
  case "$1" in
    --overlays) overlays="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --idle) idle="$2"; shift 2 ;;
    --baseline) baseline_jar="$(cd "$2" && pwd)/vswitch/target/vireo.jar"; baseline=1; shift 2 ;;
    *) echo "vxlan-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "vxlan-bench: run as root" >&2; exit 1; }
if [ "$baseline" = 1 ]; then
  [ -f "$baseline_jar" ] || { echo "vxlan-bench: no $baseline_jar (build it there first)" >&2; exit 2; }
  [[ " $overlays " == *" vireo-baseline "* ]] || overlays+=" vireo-baseline"
fi
bench_ensure_deps
vireo_ensure_jar
p="vxb$$"
work="$(mktemp -d /tmp/vxlan-bench.XXXXXX)"
if [[ " $overlays " == *" c-vxlanfwd"* ]]; then gcc -O2 -Wall -o "$work/vxlanfwd" "$VIREO_ROOT/benches/vxlanfwd.c"; fi
namespaces=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

netns() { ip netns add "$1"; namespaces+=("$1"); ip -n "$1" link set lo up; }

# Two hosts, 10.77.0.1 and .2 on a veth underlay, and their containers, 10.66.0.1 and .2.
topology() {
  for n in 1 2; do netns "${p}h$n"; netns "${p}c$n"; done
  ip -n "${p}h1" link add eth0 type veth peer name eth0 netns "${p}h2"
  for n in 1 2; do
    ip -n "${p}h$n" addr add "10.77.0.$n/24" dev eth0
    ip -n "${p}h$n" link set eth0 up
  done
}

# kernel_host N [tap]: host N's kernel vxlan device and bridge, its container on a veth; with "tap", the peer
# is a Vireo endpoint over an underlay TAP at 10.77.1.M, routed through its host.
kernel_host() {
  local n="$1" h="${p}h$1" peer=$((3 - $1)) remote="10.77.0.$((3 - $1))"
  if [ "${2:-}" = tap ]; then
    remote="10.77.1.$peer"
    ip -n "$h" route add "$remote/32" via "10.77.0.$peer"
  fi
  ip -n "$h" link add vx0 type vxlan id 42 local "10.77.0.$n" remote "$remote" dstport 4789 dev eth0
  ip -n "$h" link add br0 type bridge
  ip -n "$h" link set vx0 master br0 up
  ip -n "$h" link set br0 up
  ip -n "$h" link add veth0 type veth peer name eth0 netns "${p}c$n"
  ip -n "$h" link set veth0 master br0 up
  ip -n "${p}c$n" link set eth0 mtu 1450 up
  ip -n "${p}c$n" addr add "10.66.0.$n/24" dev eth0
}

# vireo_host N [JAR|tap|tap-to-kernel]: vireod in host N, its container on a TAP port of a VXLAN bridge; with
# "tap", the endpoint over the underlay TAP ${p}uN at 10.77.1.N, the host forwarding and routing the peer's
# endpoint via its host; with "tap-to-kernel", the same with the kernel's vxlan at the peer host's address.
vireo_host() {
  local n="$1" h="${p}h$1" run="$work/run$1" jar="$VIREO_JAR" vtep=(--vtep-local "10.77.0.$1") peer="10.77.0.$((3 - $1))"
  if [ "${2:-}" = tap ] || [ "${2:-}" = tap-to-kernel ]; then
    vtep=(--vtep-local "10.77.1.$n" --vtep-underlay-tap "${p}u$n")
    ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=1
    if [ "$2" = tap ]; then
      peer="10.77.1.$((3 - n))"
      ip -n "$h" route add "$peer/32" via "10.77.0.$((3 - n))"
    fi
  elif [ -n "${2:-}" ]; then
    jar="$2"
  fi
  # A fresh run dir: vireod keeps the switch's state there (state.yaml), and the next rep's vireod on it would
  # come up with this rep's bridge. No port keeper: it would outlive the rep, holding the TAP.
  rm -rf "$run"
  mkdir -p "$run"
  ip netns exec "$h" "$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" "${VIREO_DAEMON_JVM_FLAGS[@]}" -cp "$jar" io.vireo.vswitch.cli.Vireod \
    --run-dir "$run" --idle "$idle" --metrics off --no-port-keeper >"$work/vireod$n.log" 2>&1 &
  pids+=($!)
  wait_until 60 grep -q 'vireod: ready' "$work/vireod$n.log"
  local ctl=("$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" -cp "$jar" io.vireo.vswitch.cli.Vireoctl --run-dir "$run")
  "${ctl[@]}" bridge add br1 --vni 42 "${vtep[@]}" >/dev/null
  "${ctl[@]}" vxlan peer add br1 "$peer" >/dev/null
  "${ctl[@]}" port add br1 "${p}t$n" --netns "${p}c$n" --ip "10.66.0.$n/24" >/dev/null
}

# c_host N [tap]: benches/vxlanfwd.c in host N, its container on the TAP it makes; with "tap", over an
# underlay TAP: the endpoint's address 10.77.1.N routed to that TAP (and its MAC fixed), the peer's via
# the peer host, and the host forwarding between them; the container's TAP then takes GSO frames of at
# most 65,000 bytes, so that the outer IPv4 packet of one stays within 65,535.
c_host() {
  local n="$1" h="${p}h$1" m=$((3 - $1)) tap="${p}t$1" underlay="${p}u$1" mac="02:00:00:00:01:0$1"
  local args=("$tap" "10.77.0.$n" "10.77.0.$m" 42)
  [ "${2:-}" != tap ] || args=(--underlay-tap "$underlay" "$mac" "$tap" "10.77.1.$n" "10.77.1.$m" 42)
  ip netns exec "$h" "$work/vxlanfwd" "${args[@]}" >"$work/vxlanfwd$n.log" 2>&1 &
  pids+=($!)
  wait_until 10 grep -q ready "$work/vxlanfwd$n.log" ||
    { echo "vxlan-bench: vxlanfwd did not start: $(cat "$work/vxlanfwd$n.log")" >&2; exit 1; }
  if [ "${2:-}" = tap ]; then
    ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=1 "net.ipv6.conf.$underlay.disable_ipv6=1"
    ip -n "$h" link set "$underlay" up
    ip -n "$h" route add "10.77.1.$n/32" dev "$underlay"
    ip -n "$h" neigh replace "10.77.1.$n" lladdr "$mac" dev "$underlay" nud permanent
    ip -n "$h" route add "10.77.1.$m/32" via "10.77.0.$m"
  fi
  ip -n "$h" link set "$tap" netns "${p}c$n"
  [ "${2:-}" != tap ] || ip -n "${p}c$n" link set "$tap" gso_max_size 65000
  ip -n "${p}c$n" link set "$tap" mtu 1450 up
  ip -n "${p}c$n" addr add "10.66.0.$n/24" dev "$tap"
}

# overlay NAME: sets both hosts up as NAME says (host 1's kind, then host 2's).
overlay() {
  case "$1" in
    kernel) kernel_host 1; kernel_host 2 ;;
    vireo) vireo_host 1; vireo_host 2 ;;
    vireo-tap) vireo_host 1 tap; vireo_host 2 tap ;;
    vireo-tap-kernel) vireo_host 1 tap-to-kernel; kernel_host 2 tap ;;
    kernel-vireo-tap) kernel_host 1 tap; vireo_host 2 tap-to-kernel ;;
    vireo-baseline) [ "$baseline" = 1 ] || { echo "vxlan-bench: vireo-baseline needs --baseline DIR" >&2; exit 2; }
                    vireo_host 1 "$baseline_jar"; vireo_host 2 "$baseline_jar" ;;
    vireo-kernel) vireo_host 1; kernel_host 2 ;;
    kernel-vireo) kernel_host 1; vireo_host 2 ;;
    c-vxlanfwd) c_host 1; c_host 2 ;;
    c-vxlanfwd-tap) c_host 1 tap; c_host 2 tap ;;
    *) echo "vxlan-bench: unknown overlay $1" >&2; exit 2 ;;
  esac
}

# Prints "<Gbit/s, one stream> <ping avg ms> <Gbit/s, four streams>" for c1 -> c2.
measure() {
  ip netns exec "${p}c1" ping -c 3 -i 0.2 -W 2 10.66.0.2 >/dev/null
  local one four rtt
  one="$(bench_tcp "${p}c2" "${p}c1" 10.66.0.2 "$seconds" 1)"
  four="$(bench_tcp "${p}c2" "${p}c1" 10.66.0.2 "$seconds" 4)"
  rtt="$(ip netns exec "${p}c1" ping -c 50 -i 0.02 -q 10.66.0.2 | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')"
  echo "$one $rtt $four"
}

declare -A tcp rtt tcp4
for rep in $(seq 1 "$reps"); do
  for overlay in $overlays; do
    bench_lock
    topology
    overlay "$overlay"
    read -r g r g4 < <(measure)
    echo "$overlay rep $rep: TCP $g Gbit/s, ping avg $r ms, 4 streams $g4 Gbit/s"
    tcp[$overlay]+="$g "; rtt[$overlay]+="$r "; tcp4[$overlay]+="$g4 "
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    for ns in "${namespaces[@]}"; do ip netns del "$ns"; done
    namespaces=()
    bench_unlock
  done
done

echo
printf '%-15s %14s %18s %14s\n' overlay "TCP Gbit/s" "4 streams Gbit/s" "ping avg ms"
for overlay in $overlays; do
  printf '%-15s %14s %18s %14s\n' "$overlay" "$(median_of ${tcp[$overlay]})" "$(median_of ${tcp4[$overlay]})" "$(median_of ${rtt[$overlay]})"
done
echo "(median of $reps; $seconds s iperf3, one stream and four, 50 pings at 20 ms; $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r))"
