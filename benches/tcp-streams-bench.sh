#!/usr/bin/env bash
# TCP throughput with 1 and with 4 parallel streams (iperf3 -P) between two namespaces, through:
#   linux-bridge  the kernel's bridge, veth ports;
#   c-tapfwd      benches/tapfwd.c (vnet_hdr + TSO, busy-polling), the ceiling of TAP forwarding;
#   vireo         vireod on its defaults, two TAP ports.
# benches/netns-bench.sh measures one stream only; this fills in the multi-stream column the same way:
# the switch pinned to CPU 1, iperf3 client and server pinned to CPU 0, MTU 1500.
#   benches/tcp-streams-bench.sh [--seconds 10] [--reps 3] [--streams "1 4"] [--vireo-args "--idle busy"]
# Prints each measurement and the median per switch and stream count. Each rep of each switch holds
# /tmp/vireo-bench.lock.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"
seconds=10
reps=3
streams="1 4"
vireo_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --streams) streams="$2"; shift 2 ;;
    --vireo-args) vireo_args="$2"; shift 2 ;;
    *) echo "tcp-streams-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "tcp-streams-bench: run as root" >&2; exit 1; }
bench_ensure_deps
vireo_ensure_jar
p="tsb$$"
work="$(mktemp -d /tmp/tcp-streams-bench.XXXXXX)"
gcc -O2 -o "$work/tapfwd" "$VIREO_ROOT/benches/tapfwd.c"
namespaces=()
pids=()
links=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  namespaces=()
  for link in "${links[@]}"; do ip link del "$link" 2>/dev/null || true; done
  links=()
}
trap 'stop_all; rm -rf "$work"' EXIT

namespaces_up() {
  for n in 0 1; do ip netns add "${p}n$n"; namespaces+=("${p}n$n"); ip -n "${p}n$n" link set lo up; done
}

# Moves a root-namespace interface into namespace n as 10.203.0.(n+1)/24.
attach() {
  local ifname="$1" n="$2"
  for _ in $(seq 1 300); do ip link show "$ifname" >/dev/null 2>&1 && break; sleep 0.1; done
  ip link set "$ifname" netns "${p}n$n"
  ip -n "${p}n$n" addr add "10.203.0.$((n + 1))/24" dev "$ifname"
  ip -n "${p}n$n" link set "$ifname" up
}

switch_linux-bridge() {
  ip link add "${p}br" type bridge
  links+=("${p}br")
  ip link set "${p}br" up
  for n in 0 1; do
    ip link add "${p}v$n" type veth peer name "${p}e$n"
    links+=("${p}v$n")
    ip link set "${p}v$n" master "${p}br" up
    attach "${p}e$n" "$n"
  done
}

switch_c-tapfwd() {
  taskset -c 1 "$work/tapfwd" "${p}a" "${p}b" >"$work/tapfwd.log" 2>&1 &
  pids+=($!)
  attach "${p}a" 0
  attach "${p}b" 1
}

switch_vireo() {
  local run="$work/run"
  mkdir -p "$run"
  # shellcheck disable=SC2086 # vireo_args are words
  taskset -c 1 "$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" "${VIREO_DAEMON_JVM_FLAGS[@]}" -cp "$VIREO_JAR" io.vireo.vswitch.cli.Vireod \
    --run-dir "$run" --metrics off $vireo_args >"$work/vireod.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q 'vireod: ready' "$work/vireod.log" && break; sleep 0.1; done
  local ctl=("$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" -cp "$VIREO_JAR" io.vireo.vswitch.cli.Vireoctl --run-dir "$run")
  for n in 0 1; do
    "${ctl[@]}" port add br0 "${p}t$n" --netns "${p}n$n" --ip "10.203.0.$((n + 1))/24" >/dev/null
  done
}

switches=(linux-bridge c-tapfwd vireo)
declare -A results
for switch in "${switches[@]}"; do
  for rep in $(seq 1 "$reps"); do
    bench_lock
    namespaces_up
    "switch_$switch"
    ip netns exec "${p}n0" ping -c 3 -i 0.2 -W 2 10.203.0.2 >/dev/null
    for n in $streams; do
      g="$(bench_tcp "${p}n1" "${p}n0" 10.203.0.2 "$seconds" "$n" taskset -c 0)"
      echo "$switch rep $rep, $n stream(s): $g Gbit/s"
      results[$switch/$n]+="$g "
    done
    stop_all
    bench_unlock
  done
done

echo
printf '%-14s' switch
for n in $streams; do printf ' %16s' "TCP x$n Gbit/s"; done
echo
for switch in "${switches[@]}"; do
  printf '%-14s' "$switch"
  for n in $streams; do printf ' %16s' "$(median_of ${results[$switch/$n]})"; done
  echo
done
echo "(median of $reps; iperf3 ${seconds} s; switch on CPU 1, iperf3 on CPU 0; $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r))"
