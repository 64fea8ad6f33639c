#!/usr/bin/env bash
# What the JIT throws away on a switch that idles, when real traffic takes a way its warm-up did not.
#
#   benches/deopt-check.sh [--pings 20] [--jvm-flag FLAG]... [--out DIR]
#
# Starts vireod (this checkout, with the JVM flags scripts/vireod gives it, plus each --jvm-flag, e.g.
# -XX:PerMethodTrapLimit=0) with the JIT's compilation log, puts three containers (network namespaces of its
# own) on TAP ports, and pings one from another once a second: before, then after a burst of rarer events
# (a MAC that moves to another port and back, a MAC never seen before, an interface down while frames come
# for it, a fourth container added), then after a one-second TCP stream, then from the first container to
# a fifth on another bridge through a router (`vireoctl router`) that has yet to resolve it. It prints the ping
# times of each phase and every compiled method of Vireo's that trapped back to the interpreter after `vireod: ready`
# (time, phase, reason, method, bytecode): each such method runs interpreted, then at C1's profiling tier,
# until it is hot enough to compile again, which at a frame a second takes a minute or more. The compilation
# log and vireod's output stay in DIR (default: a new directory under /tmp).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "deopt-check: creates network namespaces and TAP devices: run as root" >&2; exit 1; }

pings=20 out="" jvm_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --pings) pings="$2"; shift 2 ;;
    --jvm-flag) jvm_flags+=("$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "deopt-check: unknown option $1" >&2; exit 2 ;;
  esac
done
bench_ensure_deps
vireo_ensure_jar
vireo_ensure_cds
out="${out:-$(mktemp -d /tmp/deopt-check.XXXXXX)}"
mkdir -p "$out"
p="dc$(printf '%04x' $((RANDOM % 65536)))"
run="$(mktemp -d "/tmp/$p-run.XXXXXX")"
vireod_pid="" iperf_pid="" namespaces=()

cleanup() {
  set +e
  [ -n "$iperf_pid" ] && kill "$iperf_pid" 2>/dev/null
  if [ -n "$vireod_pid" ]; then
    kill -TERM "$vireod_pid" 2>/dev/null
    wait "$vireod_pid" 2>/dev/null
  fi
  stop_port_keeper "$run"
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mark() { echo "$1 $(date +%s.%N)" >>"$out/marks"; }
ctl() { "$VIREO_ROOT/scripts/vireoctl" --run-dir "$run" "$@" >/dev/null; }
in_ns() { local ns="$p$1"; shift; ip netns exec "$ns" "$@"; }
# container NAME HOST [BRIDGE SUBNET]: a namespace on a TAP port of BRIDGE (br0), address SUBNET.HOST/24 (10.96.0).
container() {
  ip netns add "$p$1"
  namespaces+=("$p$1")
  ctl port add "${3:-br0}" "${p}t$1" --netns "$p$1" --ip "${4:-10.96.0}.$2/24"
}
mac_of() { in_ns "$1" cat "/sys/class/net/${p}t$1/address"; }
set_mac() { in_ns "$1" ip link set "${p}t$1" address "$2"; }
# pings PHASE COUNT [ADDRESS]: COUNT pings from a to b (or ADDRESS) a second apart; their times in ms on one line
# of $out/pings.
pings() {
  echo "$1 $(in_ns a ping -n -c "$2" -i 1 -W 2 "${3:-10.96.0.2}" | sed -n 's/.*time=\([0-9.]*\).*/\1/p' | tr '\n' ' ')" \
    >>"$out/pings"
}

bench_lock
rm -f "$out/marks" "$out/pings"
JAVA_TOOL_OPTIONS="-XX:+UnlockDiagnosticVMOptions -XX:+LogCompilation -XX:LogFile=$out/compilation.log ${jvm_flags[*]}" \
  "$VIREO_ROOT/scripts/vireod" --run-dir "$run" --metrics off >"$out/vireod.log" 2>&1 9>&- &
vireod_pid=$!
wait_until 120 grep -q 'vireod: ready' "$out/vireod.log" || { cat "$out/vireod.log"; exit 1; }
mark ready
container a 1
container b 2
container c 3
in_ns a ping -n -c 2 -i 0.2 -W 2 10.96.0.2 >/dev/null
mark before
pings before "$pings"

mark events
mac_a="$(mac_of a)" mac_c="$(mac_of c)"
set_mac c "$mac_a"
in_ns c ping -n -c 1 -W 1 10.96.0.2 >/dev/null || true
set_mac c "$mac_c"
in_ns a ping -n -c 1 -W 1 10.96.0.2 >/dev/null || true
set_mac b 02:96:00:00:00:02
in_ns a ip neigh flush all
in_ns a ping -n -c 2 -i 0.2 -W 1 10.96.0.2 >/dev/null || true
in_ns b ip link set "${p}tb" down
in_ns a ping -n -c 3 -i 0.2 -W 1 10.96.0.2 >/dev/null || true
in_ns b ip link set "${p}tb" up
wait_until 10 in_ns a ping -n -c 1 -W 1 10.96.0.2
container d 4
in_ns d ping -n -c 2 -i 0.2 -W 1 10.96.0.2 >/dev/null || true
mark after-events
pings after-events "$((3 * pings))"

mark tcp
in_ns b iperf3 -s -1 -B 10.96.0.2 -p 5299 >/dev/null 2>&1 9>&- &
iperf_pid=$!
wait_until 10 eval "[ -n \"\$(in_ns b ss -Hlnt 'sport = :5299')\" ]"
in_ns a iperf3 -c 10.96.0.2 -p 5299 -t 1 >/dev/null 9>&-
wait "$iperf_pid" || true
iperf_pid=""
mark after-tcp
pings after-tcp "$pings"

mark router
ctl bridge add br1
container e 5 br1 10.96.1
ctl router add r1
ctl router attach r1 br0 --ip 10.96.0.254/24
ctl router attach r1 br1 --ip 10.96.1.254/24
in_ns a ip route add 10.96.1.0/24 via 10.96.0.254
in_ns e ip route add default via 10.96.1.254
mark routed
pings routed "$pings" 10.96.1.5
mark stop
kill -TERM "$vireod_pid"
wait "$vireod_pid" || true
vireod_pid=""
bench_unlock

python3 - "$out" <<'EOF'
import re, statistics, sys
out = sys.argv[1]
log = open(out + "/compilation.log", errors="replace").read()
start = int(re.search(r"<hotspot_log [^>]*time_ms='(\d+)'", log).group(1)) / 1000
marks = [(line.split()[0], float(line.split()[1]) - start) for line in open(out + "/marks")]
print("phase          pings  median ms  max ms")
for line in open(out + "/pings"):
    phase, *times = line.split()
    times = [float(t) for t in times]
    if times:
        print(f"{phase:<14} {len(times):>5} {statistics.median(times):>10.3f} {max(times):>7.3f}")
ready = dict(marks)["ready"]
stop = dict(marks)["stop"]
print("\ntraps back to the interpreter in Vireo's compiled code after ready (seconds since the JVM's start):")
found = 0
for m in re.finditer(r"<uncommon_trap thread='\d+' reason='([^']*)' action='([^']*)'[^>]*stamp='([0-9.]+)'>\s*"
                     r"<jvms bci='(\d+)' method='([^']*)'", log):
    reason, action, stamp, bci, method = m.group(1), m.group(2), float(m.group(3)), m.group(4), m.group(5)
    if ready < stamp < stop and method.startswith("io.vireo."):
        phase = max((name for name, at in marks if at <= stamp), key=lambda name: dict(marks)[name])
        print(f"  {stamp:8.2f}  during {phase:<13} {reason} ({action})  {' '.join(method.split()[:2])} bci {bci}")
        found += 1
print(f"  {found} in all" if found else "  none")
EOF
echo "deopt-check: the compilation log and vireod's output are in $out"
