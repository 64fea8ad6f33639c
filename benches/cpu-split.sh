#!/usr/bin/env bash
# Where a TAP switch's time goes per 64-byte frame: the switch on CPU 1 forwards trafgen's 64-byte UDP
# frames (CPU 0) from one namespace to another; the switch thread's user and kernel CPU time
# (/proc/PID/task/TID/stat) and the frames that arrived give nanoseconds per frame in user space
# and in the kernel (the TAP read and write syscalls, the receiving namespace's stack inside the
# write). In one run: Vireo (--idle busy; its own idle counter removes the spinning between frames
# from user time) and the C forwarder ../shared/bench/tapfwd.c in read/write mode.
#   benches/cpu-split.sh [--seconds 10]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "cpu-split: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "cpu-split: run as root" >&2; exit 1; }
vireo_ensure_jar
p="cs$$"
work="$(mktemp -d /tmp/cpu-split.XXXXXX)"
pid=""
cleanup() {
  [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  ip netns del "${p}n0" 2>/dev/null || true
  ip netns del "${p}n1" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
gcc -O2 -pthread -o "$work/tapfwd" "$VIREO_ROOT/../shared/bench/tapfwd.c"
clk_tck=$(getconf CLK_TCK)

# Moves the switch's TAPs A and B into two namespaces, 10.202.0.1 and .2, and checks ping.
plumb() {
  for _ in $(seq 1 200); do [ -e "/sys/class/net/${p}A" ] && [ -e "/sys/class/net/${p}B" ] && break; sleep 0.1; done
  for i in 0 1; do ip netns add "${p}n$i"; ip -n "${p}n$i" link set lo up; done
  ip link set "${p}A" netns "${p}n0"; ip link set "${p}B" netns "${p}n1"
  ip -n "${p}n0" addr add 10.202.0.1/24 dev "${p}A"; ip -n "${p}n0" link set "${p}A" up
  ip -n "${p}n1" addr add 10.202.0.2/24 dev "${p}B"; ip -n "${p}n1" link set "${p}B" up
  ip netns exec "${p}n0" ping -c 3 -i 0.2 -W 2 10.202.0.2 >/dev/null
}

# user and system clock ticks of thread $1 of process $pid
ticks() { awk '{print $14, $15}' "/proc/$pid/task/$1/stat"; }

# Blasts 64-byte frames for $seconds; prints "<kpps> <user ns/frame> <sys ns/frame>" for thread $1,
# less $2 ns of user time the thread spent idle (spinning) if given as a command.
measure() {
  local tid="$1" idle_cmd="${2:-}" macA macB rx0 rx1 u0 s0 u1 s1 idle0=0 idle1=0
  macA=$(ip netns exec "${p}n0" cat "/sys/class/net/${p}A/address")
  macB=$(ip netns exec "${p}n1" cat "/sys/class/net/${p}B/address")
  printf '{ eth(da=%s, sa=%s), ipv4(saddr=10.202.0.1, daddr=10.202.0.2, ttl=64), udp(sp=40000, dp=9), fill(0x00, 18), }\n' \
    "$macB" "$macA" >"$work/trafgen.cfg"
  rx0=$(ip netns exec "${p}n1" cat "/sys/class/net/${p}B/statistics/rx_packets")
  read -r u0 s0 < <(ticks "$tid")
  [ -z "$idle_cmd" ] || idle0=$($idle_cmd)
  ip netns exec "${p}n0" timeout -s INT "$seconds" taskset -c 0 trafgen -o "${p}A" -i "$work/trafgen.cfg" -P 1 \
    --no-sock-mem -Q >/dev/null 2>&1 || true
  read -r u1 s1 < <(ticks "$tid")
  [ -z "$idle_cmd" ] || idle1=$($idle_cmd)
  rx1=$(ip netns exec "${p}n1" cat "/sys/class/net/${p}B/statistics/rx_packets")
  python3 - "$((rx1 - rx0))" "$((u1 - u0))" "$((s1 - s0))" "$((idle1 - idle0))" "$clk_tck" "$seconds" <<'PY'
import sys
frames, user, system, idle_ns, hz, seconds = (int(x) for x in sys.argv[1:])
ns = 1e9 / hz
print(f"{frames / seconds / 1e3:.0f} {(user * ns - idle_ns) / frames:.0f} {system * ns / frames:.0f}")
PY
}

printf '%-24s %8s %18s %18s\n' switch kpps "user ns/frame" "kernel ns/frame"

# C forwarder, read/write mode
taskset -c 1 "$work/tapfwd" -m a -n "${p}A" -N "${p}B" -c 1 >"$work/tapfwd.log" 2>&1 &
pid=$!
plumb
tid=$(ls "/proc/$pid/task" | sort -n | tail -1)
read -r kpps user sys < <(measure "$tid")
printf '%-24s %8s %18s %18s\n' "c-tapfwd-a" "$kpps" "$user" "$sys"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
ip netns del "${p}n0"; ip netns del "${p}n1"

# Vireo, busy polling, one forwarding thread
printf 'bridges:\n  - name: br0\n    ports:\n      - {name: %s, offloads: false}\n      - {name: %s, offloads: false}\n' \
  "${p}A" "${p}B" >"$work/vireo.yaml"
taskset -c 1 "$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" -cp "$VIREO_JAR" io.vireo.vswitch.cli.Vireod \
  --run-dir "$work/run" --config "$work/vireo.yaml" --idle busy --metrics off >"$work/vireod.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q 'vireod: ready' "$work/vireod.log" && break; sleep 0.1; done
plumb
tid=$(grep -l '^vireo-forwardi' /proc/$pid/task/*/comm | head -1 | cut -d/ -f5)
idle_ns() {
  "$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" -cp "$VIREO_JAR" io.vireo.vswitch.cli.Vireoctl --run-dir "$work/run" stats --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["threads"][0]["idle_ns"])'
}
read -r kpps user sys < <(measure "$tid" idle_ns)
printf '%-24s %8s %18s %18s\n' "vireo (busy, offloads off)" "$kpps" "$user" "$sys"
echo "(${seconds} s of trafgen 64-byte UDP on CPU 0, switch on CPU 1; $(date -u +%Y-%m-%d), $(uname -r))"
