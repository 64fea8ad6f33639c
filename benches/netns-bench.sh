#!/usr/bin/env bash
# TAP to TAP between two network namespaces, through each switch ("peer") in turn:
#   benches/netns-bench.sh [--peers LIST] [--reps 3] [--seconds 10] [--pings 20] [--out DIR]
#                          [--first-rep 1] [--switch-cpu 1] [--tools-cpu 0] [--vireo-args "ARGS"]
#                          [--baseline DIR] [--ping-interval 1]
# Peers (default: all, in this order): linux-bridge ovs-userspace ovs-userspace-tso dpdk-tap c-tapfwd c-tapfwd-epoll
# vireo (c-tapfwd-epoll: the C forwarder sleeping in epoll when idle, the wake-up floor);
# --baseline adds vireo-baseline, the Vireo of another checkout DIR (its jar built there, e.g. with
# `git worktree add DIR REV && DIR/scripts/vireod --help`), to compare two revisions in one run.
# Reps are interleaved: rep 1 of every peer, then rep 2, ... Each rep of each peer brings the switch
# up, moves its two interfaces into namespaces (10.211.0.1/24, 10.211.0.2/24), measures, and tears it
# all down, holding /tmp/vireo-bench.lock from start to end (so a busy-polling peer never runs while
# someone else measures). The switch is pinned to --switch-cpu, every tool to --tools-cpu.
# Measures: ping at 1 per second (--ping-interval, seconds) on the idle switch (avg), sockperf UDP
# ping-pong p50/p99 (full round trip, 64-byte messages), iperf3 single-stream TCP, 64-byte frames/s
# with trafgen; and, as noise, the CPU that processes not started by this script used meanwhile
# (benches/othercpu.py).
# Appends to DIR/raw.tsv (group, peer, rep, metric, value) and DIR/meta.tsv (group, peer, key, value);
# logs in DIR/logs. benches/compare.sh turns them into a report.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../scripts/lib.sh"
source "$here/lib.sh"

all_peers="linux-bridge ovs-userspace ovs-userspace-tso dpdk-tap c-tapfwd c-tapfwd-epoll vireo"
peers="$all_peers" reps=3 first_rep=1 seconds=10 pings=20 out="" switch_cpu=1 tools_cpu=0 vireo_args="" baseline=""
ping_interval=1
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) peers="${2//,/ }"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --first-rep) first_rep="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --pings) pings="$2"; shift 2 ;;
    --ping-interval) ping_interval="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --switch-cpu) switch_cpu="$2"; shift 2 ;;
    --tools-cpu) tools_cpu="$2"; shift 2 ;;
    --vireo-args) vireo_args="$2"; shift 2 ;;
    --baseline) baseline="$(cd "$2" && pwd)"; all_peers+=" vireo-baseline"; peers+=" vireo-baseline"; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "netns-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$ping_interval" =~ ^[0-9]*\.?[0-9]+$ ]] || { echo "netns-bench: --ping-interval takes seconds, e.g. 1 or 0.05" >&2; exit 2; }
# Each peer once, in the order given: "--peers ...,vireo-baseline --baseline DIR" names it twice.
peers="$(printf '%s\n' $peers | awk '!seen[$0]++' | tr '\n' ' ')"
for peer in $peers; do
  [[ " $all_peers " == *" $peer "* ]] || { echo "netns-bench: unknown peer $peer ($all_peers)" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "netns-bench: run as root" >&2; exit 1; }
bench_ensure_deps
[[ " $peers " != *" vireo "* ]] || vireo_ensure_jar

p="vb$$"                      # prefix of every namespace and interface made here
ip_a=10.211.0.1 ip_b=10.211.0.2
out="${out:-$(mktemp -d "/tmp/netns-bench.XXXXXX")}"
mkdir -p "$out/logs"
work="$(mktemp -d "/tmp/netns-bench-work.XXXXXX")"
pids=() links=() ifa="" ifb="" peer="" rep=0 scratch=""

log() { echo "netns-bench $(date +%T): $*" >&2; }
meta() { printf 'tap\t%s\t%s\t%s\n' "$peer" "$1" "$2" >>"$out/meta.tsv"; }
record() { printf 'tap\t%s\t%s\t%s\t%s\n' "$peer" "$rep" "$1" "$2" >>"$out/raw.tsv"; }
# in_ns N CMD...: CMD in namespace N on the tools CPU (a function: put servers in the background with
# the command itself, so that $! is their pid).
in_ns() { local n="$1"; shift; ip netns exec "${p}n$n" taskset -c "$tools_cpu" "$@"; }

# spawn NAME CMD...: runs CMD on the switch CPU in a process group of its own, output in the log.
spawn() {
  local name="$1"
  shift
  taskset -c "$switch_cpu" setsid "$@" >"$out/logs/$peer.$rep.$name.log" 2>&1 </dev/null 9>&- &
  pids+=($!)
}
spawned_alive() {
  local pid
  for pid in "${pids[@]}"; do alive "$pid" || return 1; done
}

# Stops what this rep started (process groups by their leader's pid, SIGKILL after 10 s), deletes its
# namespaces and links. Also the EXIT trap.
teardown() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    wait_until 10 eval "! alive $pid" || kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  ip netns del "${p}n0" 2>/dev/null || true
  ip netns del "${p}n1" 2>/dev/null || true
  for link in "${links[@]}"; do ip link del "$link" 2>/dev/null || true; done
  links=()
  [ -z "$scratch" ] || rm -rf "$scratch"
  scratch=""
}
trap 'teardown; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# --- peers: each brings its switch up and sets ifa/ifb, the two interfaces it makes in the root
# namespace; `version_<peer>` prints what is measured. They run as a condition (errexit is off), so
# each step that can fail says so; they may set $reason, what the report gives as the cause.

up_linux-bridge() {
  ip link add "${p}br" type bridge || return 1
  links+=("${p}br")
  for side in A B; do
    ip link add "${p}l$side" type veth peer name "${p}l${side}p" || return 1
    links+=("${p}l${side}p")
    ip link set "${p}l${side}p" master "${p}br" up || return 1
  done
  ip link set "${p}br" up || return 1
  ifa="${p}lA" ifb="${p}lB"
}
version_linux-bridge() { echo "kernel bridge, veth ports, $(uname -r)"; }

# up_ovs [tso]: ovsdb-server and ovs-vswitchd with their database, sockets and logs in this rep's
# scratch dir (never the system service); a bridge on the userspace datapath (datapath_type=netdev)
# with two internal ports, which are TAPs read and written by ovs-vswitchd; NORMAL (MAC learning).
up_ovs() {
  local d="$scratch" tso="${1:-}"
  # The userspace datapath makes a TAP with this fixed name; another one's would be taken over.
  if ip link show ovs-netdev >/dev/null 2>&1; then
    reason="ovs-netdev exists: another Open vSwitch userspace datapath runs on this machine"
    return 1
  fi
  links+=(ovs-netdev)
  local ovs=(env OVS_RUNDIR="$d" OVS_LOGDIR="$d" OVS_DBDIR="$d" OVS_SYSCONFDIR="$d")
  local vsctl=("${ovs[@]}" ovs-vsctl --db="unix:$d/db.sock" --timeout=30)
  "${ovs[@]}" ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
  spawn ovsdb-server "${ovs[@]}" ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" \
    --unixctl="$d/ovsdb-server.ctl" --log-file="$d/ovsdb-server.log" --no-chdir
  wait_until 10 test -S "$d/db.sock" || return 1
  "${vsctl[@]}" --no-wait init || return 1
  # Read once at start: the TAPs of ports made after it get IFF_VNET_HDR and TSO offloads.
  [ -z "$tso" ] || "${vsctl[@]}" --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true || return 1
  spawn ovs-vswitchd "${ovs[@]}" ovs-vswitchd "unix:$d/db.sock" --unixctl="$d/ovs-vswitchd.ctl" \
    --log-file="$out/logs/$peer.$rep.ovs-vswitchd.file.log" --no-chdir
  wait_until 10 test -S "$d/ovs-vswitchd.ctl" || return 1
  "${vsctl[@]}" add-br "${p}ob" -- set bridge "${p}ob" datapath_type=netdev \
    -- add-port "${p}ob" "${p}oA" -- set Interface "${p}oA" type=internal \
    -- add-port "${p}ob" "${p}oB" -- set Interface "${p}oB" type=internal || return 1
  links+=("${p}ob")
  if [ -n "$tso" ] && ! grep -q 'Userspace TCP Segmentation Offloading support enabled' \
      "$out/logs/$peer.$rep.ovs-vswitchd.file.log"; then
    reason="ovs-vswitchd did not enable userspace TSO"
    return 1
  fi
  ifa="${p}oA" ifb="${p}oB"
}
up_ovs-userspace() { up_ovs; }
up_ovs-userspace-tso() { up_ovs tso; }
version_ovs() { echo "Open vSwitch $(dpkg-query -W -f='${Version}' openvswitch-switch), userspace datapath$1"; }
version_ovs-userspace() { version_ovs ", TSO off"; }
version_ovs-userspace-tso() { version_ovs ", userspace-tso-enable=true"; }

up_dpdk-tap() {
  ifa="${p}dA" ifb="${p}dB"
  spawn testpmd env NB_IFACE_A="$ifa" NB_IFACE_B="$ifb" NB_SWITCH_CPU="$switch_cpu" NB_WORKDIR="$scratch" \
    "$here/dpdk-tap-switch.sh"
}
version_dpdk-tap() { echo "DPDK $(dpkg-query -W -f='${Version}' dpdk-dev) testpmd, io forwarding, 2 net_tap ports"; }

up_c-tapfwd() {
  ifa="${p}cA" ifb="${p}cB"
  spawn tapfwd "$work/tapfwd" "$ifa" "$ifb"
}
version_c-tapfwd() { echo "benches/tapfwd.c, $(gcc -dumpfullversion) -O2, IFF_VNET_HDR + TSO, busy-polling"; }
up_c-tapfwd-epoll() {
  ifa="${p}eA" ifb="${p}eB"
  spawn tapfwd "$work/tapfwd" --epoll "$ifa" "$ifb"
}
version_c-tapfwd-epoll() { echo "benches/tapfwd.c --epoll, $(gcc -dumpfullversion) -O2, IFF_VNET_HDR + TSO, sleeps in epoll_wait when idle"; }

# vireo_from ROOT: the Vireo of checkout ROOT, one bridge with the two interfaces.
vireo_from() {
  ifa="${p}vA" ifb="${p}vB"
  printf 'bridges:\n  - name: br0\n    ports:\n      - name: %s\n      - name: %s\n' "$ifa" "$ifb" \
    >"$scratch/vireo.yaml"
  # shellcheck disable=SC2086 # vireo_args are words
  spawn vireod env VIREO_NO_BUILD=1 "$1/scripts/vireod" --run-dir "$scratch/run" \
    --config "$scratch/vireo.yaml" $vireo_args
}
up_vireo() { vireo_from "$VIREO_ROOT"; }
version_vireo() { echo "Vireo $(git -C "$VIREO_ROOT" describe --always --dirty)${vireo_args:+ $vireo_args}"; }
up_vireo-baseline() { vireo_from "$baseline"; }
version_vireo-baseline() { echo "Vireo $(git -C "$baseline" describe --always --dirty)${vireo_args:+ $vireo_args}"; }

# --- measurements: each records its metrics for this peer and rep.

m_ping() {
  local avg
  avg="$(in_ns 0 ping -q -n -c "$pings" -i "$ping_interval" -W 2 "$ip_b" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')" || true
  record ping_idle_us "$(python3 -c "print(round(float('$avg') * 1000, 1))")"
}

# listening NS PROTO PORT: a socket listens on PORT in namespace NS.
listening() { [ -n "$(ip netns exec "${p}n$1" ss -Hln"$2" "sport = :$3")" ]; }

m_sockperf() {
  local f="$out/logs/$peer.$rep.sockperf.txt"
  ip netns exec "${p}n1" taskset -c "$tools_cpu" sockperf server -i "$ip_b" -p 11111 >/dev/null 2>&1 9>&- &
  local server=$!
  wait_until 10 listening 1 u 11111
  in_ns 0 sockperf ping-pong -i "$ip_b" -p 11111 -m 64 -t "$seconds" --full-rtt >"$f" 2>&1 9>&- || true
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  record sp_p50_us "$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' "$f")"
  record sp_p99_us "$(sed -n 's/.*percentile 99.000 = *\([0-9.]*\).*/\1/p' "$f")"
}

m_tcp() {
  local f="$out/logs/$peer.$rep.iperf3.json"
  ip netns exec "${p}n1" taskset -c "$tools_cpu" iperf3 -s -1 -B "$ip_b" -p 5201 >/dev/null 2>&1 9>&- &
  local server=$!
  wait_until 10 listening 1 t 5201
  in_ns 0 iperf3 -c "$ip_b" -p 5201 -t "$seconds" -O 1 -J >"$f" 9>&- || true
  wait_until 5 eval "! alive $server" || kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  record tcp_gbps "$(python3 -c 'import json, sys
print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9, 3))' "$f")"
}

# 64-byte frames from trafgen for $seconds, counted where they arrive (benches/lib.sh, bench_udp64).
m_udp64() {
  local mac_b
  mac_b="$(ip netns exec "${p}n1" cat "/sys/class/net/$ifb/address")"
  record udp64_kpps "$(bench_udp64 "$seconds" "$out/logs/$peer.$rep.trafgen.txt" "${p}n0" "$ifa" "$mac_b" \
    "$ip_a" "$ip_b" "${p}n1" "$ifb" taskset -c "$tools_cpu")"
}

# --- one rep of one peer

# Brings the switch up and its interfaces into the namespaces; on failure says why in $reason.
bring_up() {
  reason="switch setup failed (see $peer.$rep.setup.log)"
  "up_$peer" >>"$out/logs/$peer.$rep.setup.log" 2>&1 || return 1
  reason="interfaces $ifa, $ifb did not appear"
  if ! wait_ifaces 90; then
    spawned_alive || reason="the switch exited at start (see its log)"
    return 1
  fi
  reason="could not move the interfaces into namespaces"
  local n dev
  for n in 0 1; do
    dev="$ifa"
    [ "$n" = 0 ] || dev="$ifb"
    ip netns add "${p}n$n" &&
      ip netns exec "${p}n$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 &&
      ip -n "${p}n$n" link set lo up &&
      ip link set "$dev" netns "${p}n$n" &&
      ip -n "${p}n$n" addr add "10.211.0.$((n + 1))/24" dev "$dev" &&
      ip -n "${p}n$n" link set "$dev" up || return 1
  done
  reason="no ping through the switch"
  wait_until 30 in_ns 0 ping -c 1 -W 1 "$ip_b" || return 1
  in_ns 1 ping -c 3 -i 0.2 -W 1 "$ip_a" >/dev/null || return 1
}
# wait_ifaces SECONDS: both interfaces exist; fails at once if a process of the switch has exited.
wait_ifaces() {
  local deadline=$((SECONDS + $1))
  until ip link show "$ifa" >/dev/null 2>&1 && ip link show "$ifb" >/dev/null 2>&1; do
    spawned_alive && [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

run_rep() {
  local reason t
  scratch="$(mktemp -d "$work/$peer.XXXXXX")"
  ifa="" ifb=""
  if ! bring_up; then
    log "$peer rep $rep: FAILED: $reason (logs: $out/logs/$peer.$rep.*)"
    meta "status.$rep" "FAILED: $reason"
    return 0
  fi
  meta offloads "$(ip netns exec "${p}n0" ethtool -k "$ifa" | awk '/^tcp-segmentation-offload:/ {print "TSO " $2}')"
  python3 "$here/othercpu.py" start $$ "$work/othercpu.json"
  for t in m_ping m_sockperf m_tcp m_udp64; do
    "$t" || log "$peer rep $rep: ${t#m_} failed"
    spawned_alive || { meta "status.$rep" "FAILED: the switch exited during ${t#m_}"; return 0; }
  done
  record other_cpu_pct "$(python3 "$here/othercpu.py" stop $$ "$work/othercpu.json")"
  meta "status.$rep" ok
  log "$peer rep $rep: $(awk -F'\t' -v p="$peer" -v r="$rep" '$2 == p && $3 == r {printf "%s %s  ", $4, $5}' "$out/raw.tsv")"
}

if [[ " $peers " == *" c-tapfwd"* ]]; then gcc -O2 -Wall -o "$work/tapfwd" "$here/tapfwd.c"; fi
for peer in $peers; do meta version "$("version_$peer")"; meta ping_interval_s "$ping_interval"; done
for ((rep = first_rep; rep < first_rep + reps; rep++)); do
  for peer in $peers; do
    log "$peer rep $rep: waiting for $BENCH_LOCK"
    bench_lock
    log "$peer rep $rep: locked, measuring"
    run_rep
    teardown
    bench_unlock
  done
done
log "results in $out"
