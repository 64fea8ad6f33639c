#!/usr/bin/env bash
# takeover-bench.sh [--reps N] [--switch vireo|ovs-userspace]: the gap a switch's restart leaves in forwarding.
# Two namespaces on two ports of one switch, a 10 ms ping (ping -D) from A to B, then N restarts in a row:
#   vireo          (default) `vireod --takeover` of the daemon the one before started; TAP ports
#   ovs-userspace  Open vSwitch on its userspace datapath (datapath_type=netdev, MAC learning) with two veth ports:
#                  ovs-vswitchd stopped (`ovs-appctl exit`) and started again on the same database, the restart an
#                  upgrade of it takes (it cannot hand its datapath to another process); its own ovsdb-server,
#                  database and sockets in a scratch dir, never the system service
# Per restart: the pause a new vireod reports (GO to STARTED), then for either switch the longest time between two
# ping answers and the pings never answered, from the restart's start until 3 s after the switch is back (a vireod's
# ready line; ovs-vswitchd's control socket), and over the whole run the pings lost. Run as root from a clone;
# cleans up after itself (its namespaces, links and processes, by pid).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"
cd "$VIREO_ROOT"
REPS=5
SWITCH=vireo
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    --switch) SWITCH="$2"; shift 2 ;;
    *) echo "usage: $0 [--reps N] [--switch vireo|ovs-userspace]" >&2; exit 2 ;;
  esac
done
case "$SWITCH" in vireo|ovs-userspace) ;; *) echo "takeover-bench: unknown switch $SWITCH" >&2; exit 2 ;; esac
PREFIX="tkb$$"
WORK=$(mktemp -d "/tmp/$PREFIX.XXXX")
RUN="$WORK/run"
PIDS=()
LINKS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
  ip netns del "$PREFIX-a" 2>/dev/null || true
  ip netns del "$PREFIX-b" 2>/dev/null || true
  for link in "${LINKS[@]}"; do ip link del "$link" 2>/dev/null || true; done
  stop_port_keeper "$RUN"
  rm -rf "$WORK"
}
trap cleanup EXIT

await_ready() {  # LOG: waits until the daemon logging there is ready (or fails)
  for _ in $(seq 1 1200); do
    grep -q "vireod: ready" "$1" && return 0
    grep -q "vireod: .*failed\|vireod: --takeover" "$1" && { cat "$1" >&2; return 1; }
    sleep 0.1
  done
  echo "no ready line in $1" >&2; return 1
}

# vireo: one daemon, two TAP ports; a restart is a takeover by a new daemon.
up_vireo() {
  scripts/vireod --run-dir "$RUN" --metrics 127.0.0.1:0 > "$WORK/vireod.0.log" 2>&1 &
  PIDS+=($!)
  await_ready "$WORK/vireod.0.log"
  scripts/vireoctl --run-dir "$RUN" port add br0 "${PREFIX}A" --netns "$PREFIX-a" --ip 10.89.99.1/24 > /dev/null
  scripts/vireoctl --run-dir "$RUN" port add br0 "${PREFIX}B" --netns "$PREFIX-b" --ip 10.89.99.2/24 > /dev/null
}
restart_vireo() {  # REP
  scripts/vireod --run-dir "$RUN" --metrics 127.0.0.1:0 --takeover > "$WORK/vireod.$1.log" 2>&1 &
  PIDS+=($!)
  await_ready "$WORK/vireod.$1.log"
}

# ovs-userspace: as benches/netns-bench.sh runs it, with veth ports instead of internal ones (the TAPs of
# internal ports go with the process that made them, and come back in the host's namespace).
OVS_DIR="$WORK/ovs"
OVS_ENV=(env OVS_RUNDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_SYSCONFDIR="$OVS_DIR")
vsctl() { "${OVS_ENV[@]}" ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
# The daemons are started by env, which execs them, not from a shell function: $! must be the daemon's own pid
# (a function run in the background is a subshell, and killing it would leave the daemon running).
start_vswitchd() {  # LOG
  "${OVS_ENV[@]}" ovs-vswitchd "unix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/ovs-vswitchd.ctl" --log-file="$1" --no-chdir \
    > /dev/null 2>&1 < /dev/null &
  VSWITCHD=$!
  PIDS+=($VSWITCHD)
  wait_until 30 test -S "$OVS_DIR/ovs-vswitchd.ctl" || { echo "takeover-bench: ovs-vswitchd did not start: $1" >&2; exit 1; }
}
up_ovs-userspace() {
  bench_ensure_deps
  # The userspace datapath makes a TAP with this fixed name; another one's would be taken over.
  if ip link show ovs-netdev > /dev/null 2>&1; then
    echo "takeover-bench: ovs-netdev exists: another Open vSwitch userspace datapath runs on this machine" >&2
    exit 1
  fi
  LINKS+=(ovs-netdev "${PREFIX}ob")
  mkdir -p "$OVS_DIR"
  "${OVS_ENV[@]}" ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  "${OVS_ENV[@]}" ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" --unixctl="$OVS_DIR/ovsdb-server.ctl" \
    --log-file="$OVS_DIR/ovsdb-server.log" --no-chdir > /dev/null 2>&1 < /dev/null &
  PIDS+=($!)
  wait_until 10 test -S "$OVS_DIR/db.sock" || { echo "takeover-bench: ovsdb-server did not start" >&2; exit 1; }
  vsctl --no-wait init
  start_vswitchd "$OVS_DIR/ovs-vswitchd.0.log"
  vsctl add-br "${PREFIX}ob" -- set bridge "${PREFIX}ob" datapath_type=netdev
  local side address
  for side in a b; do
    address=$([ "$side" = a ] && echo 10.89.99.1 || echo 10.89.99.2)
    ip link add "${PREFIX}${side^^}" type veth peer name eth0 netns "$PREFIX-$side"
    LINKS+=("${PREFIX}${side^^}")
    ip link set "${PREFIX}${side^^}" up
    ip -n "$PREFIX-$side" addr add "$address/24" dev eth0
    ip -n "$PREFIX-$side" link set eth0 up
    vsctl add-port "${PREFIX}ob" "${PREFIX}${side^^}"
  done
}
restart_ovs-userspace() {  # REP
  "${OVS_ENV[@]}" ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" exit
  while kill -0 "$VSWITCHD" 2>/dev/null; do sleep 0.01; done
  start_vswitchd "$OVS_DIR/ovs-vswitchd.$1.log"
}

ip netns add "$PREFIX-a"; ip netns add "$PREFIX-b"
"up_$SWITCH"
wait_until 30 ip netns exec "$PREFIX-a" ping -c 1 -W 1 10.89.99.2 || { echo "takeover-bench: A cannot reach B" >&2; exit 1; }
ip netns exec "$PREFIX-a" ping -D -i 0.01 10.89.99.2 > "$WORK/ping.log" 2>&1 &
PIDS+=($!)
PING=$!
sleep 2
for rep in $(seq 1 "$REPS"); do
  date +%s.%N > "$WORK/start.$rep"
  "restart_$SWITCH" "$rep"
  date +%s.%N > "$WORK/ready.$rep"
  sleep 4
done
kill -INT "$PING"
while kill -0 "$PING" 2>/dev/null; do sleep 0.1; done
python3 - "$WORK" "$REPS" "$SWITCH" <<'EOF'
import os, re, sys
work, reps, switch = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ping = open(work + "/ping.log").read()
answers = [(float(t), int(s)) for t, s in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)", ping, re.M)]
seqs = {s for _, s in answers}
lost = (max(seqs) - min(seqs) + 1) - len(seqs)
print("%s: restart  took(ms)  paused(ms)  longest gap between ping answers (ms)  pings lost" % switch)
for rep in range(1, reps + 1):
    start = float(open("%s/start.%d" % (work, rep)).read())
    ready = float(open("%s/ready.%d" % (work, rep)).read())
    log = "%s/vireod.%d.log" % (work, rep)
    paused = re.search(r"forwarding paused (\d+) ms", open(log).read()).group(1) if os.path.exists(log) else "-"
    # the answers around the window, so that a gap that starts before it or ends after it counts whole
    before = [a for a in answers if a[0] < start][-1:]
    after = [a for a in answers if a[0] > ready + 3.0][:1]
    window = before + [a for a in answers if start <= a[0] <= ready + 3.0] + after
    gap = max((b[0] - a[0] for a, b in zip(window, window[1:])), default=float("nan"))
    missed = sum(b[1] - a[1] - 1 for a, b in zip(window, window[1:]))
    print("%15d  %8.0f  %10s  %37.1f  %10d" % (rep, (ready - start) * 1000, paused, gap * 1000, missed))
times = [t for t, _ in answers]
print("pings sent %d, answered %d, lost %d; longest gap over the whole run %.1f ms" % (
    max(seqs) - min(seqs) + 1, len(seqs), lost, max(b - a for a, b in zip(times, times[1:])) * 1000))
EOF
