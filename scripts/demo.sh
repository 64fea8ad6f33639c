#!/usr/bin/env bash
# The Vireo demo: starts vireod on its embedded default (bridge br0, run dir /run/vireo), puts two
# "containers" (network namespaces) on TAP ports, pings and runs a short iperf3 between them, prints
# the forwarding table and per-port counters, and cleans everything up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: creates network namespaces and TAP devices: run as root" >&2
  exit 1
fi
"$VIREO_ROOT/scripts/install-deps.sh"
vireo_ensure_jar

prefix="vd$(printf '%04x' $((RANDOM % 65536)))"
ns_a="${prefix}-c1" ns_b="${prefix}-c2"
tap_a="${prefix}tapA" tap_b="${prefix}tapB"
log="$(mktemp /tmp/${prefix}-vireod.XXXXXX.log)"
vireod_pid="" iperf_pid=""

cleanup() {
  set +e
  [ -n "$iperf_pid" ] && kill "$iperf_pid" 2>/dev/null && wait "$iperf_pid" 2>/dev/null
  if [ -n "$vireod_pid" ]; then
    # Deleted, not just left with the daemon: a stopped vireod keeps its TAPs for the next one (the port keeper).
    "$VIREO_ROOT/scripts/vireoctl" port del "$tap_a" >/dev/null 2>&1
    "$VIREO_ROOT/scripts/vireoctl" port del "$tap_b" >/dev/null 2>&1
    kill -TERM "$vireod_pid" 2>/dev/null
    wait "$vireod_pid" 2>/dev/null
    echo "== vireod output"; cat "$log"
  fi
  ip netns del "$ns_a" 2>/dev/null
  ip netns del "$ns_b" 2>/dev/null
  rm -f "$log"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
ctl() { echo "\$ vireoctl $*"; "$VIREO_ROOT/scripts/vireoctl" "$@"; }

step "starting vireod (run dir /run/vireo: the switch an earlier vireod left there, else the embedded default, bridge br0)"
"$VIREO_ROOT/scripts/vireod" >"$log" 2>&1 &
vireod_pid=$!
for _ in $(seq 1 100); do
  grep -q 'vireod: ready' "$log" && break
  kill -0 "$vireod_pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
grep -q 'vireod: ready' "$log" || { echo "vireod did not start"; cat "$log"; exit 1; }
head -1 "$log"

step "two containers: namespaces $ns_a and $ns_b on TAP ports"
ip netns add "$ns_a"
ip netns add "$ns_b"
ctl port add br0 "$tap_a" --type tap --netns "$ns_a" --ip 10.77.0.1/24
ctl port add br0 "$tap_b" --type tap --netns "$ns_b" --ip 10.77.0.2/24
ctl port list

step "ping $ns_a -> $ns_b and back"
ip netns exec "$ns_a" ping -c 5 -i 0.2 10.77.0.2
ip netns exec "$ns_b" ping -c 5 -i 0.2 10.77.0.1

step "iperf3 TCP, 5 s, $ns_a -> $ns_b"
ip netns exec "$ns_b" iperf3 -s -1 -B 10.77.0.2 >/dev/null &
iperf_pid=$!
sleep 0.5
ip netns exec "$ns_a" iperf3 -c 10.77.0.2 -t 5 -f g
wait "$iperf_pid" 2>/dev/null || true
iperf_pid=""

step "forwarding table of br0"
ctl fdb show br0
step "per-port counters (read from /run/vireo/counters.dat)"
ctl stats
