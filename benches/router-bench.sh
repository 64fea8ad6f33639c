#!/usr/bin/env bash
# Routing benchmark (issue 14): a client namespace C (10.81.1.2/24, default via 10.81.1.1) sends to a
# server namespace S in another subnet (10.81.2.2/24, default via 10.81.2.1), routed by:
#   kernel     a router namespace R with net.ipv4.ip_forward=1 (10.81.1.1/24 and 10.81.2.1/24), joined to
#              C and S by veth pairs, offloads as the kernel sets them (TSO and GRO on);
#   vireo      vireod (--idle IDLE): bridges b1 and b2, a TAP port into C on b1 and one into S on b2,
#              router r1 attached to b1 (10.81.1.1/24) and b2 (10.81.2.1/24);
#   vireo-l2   the reference for Vireo's own L2 path: C and S on one Vireo bridge, in one subnet (both
#              /16, same addresses), no router;
#   c-tapfwd   the ceiling of any switch or router that reads and writes TAPs: benches/tapfwd.c (the C
#              forwarder of netns-bench.sh) between a TAP into C and one into S, in one subnet as on
#              vireo-l2: one read and one write of each frame, 64 KB TCP segments whole, no parsing;
#   kernel-masquerade  (not run by default) kernel, plus nftables masquerade on R's way to S;
#   vireo-masquerade   (not run by default) vireo, plus `vireoctl nat masquerade r1 --out b2`.
#              In both, S has no route beyond its own /24 (none back to C's subnet): only translation
#              to the router's address 10.81.2.1 brings the answers back, and each rep checks that S's
#              connection server saw 10.81.2.1 and nothing else (for vireo-masquerade also that
#              `vireoctl conntrack list r1` held the iperf3 connections, reply side 10.81.2.1).
#   vireo-baseline     (with --baseline DIR) vireo, run by the Vireo of another checkout DIR (its jar built
#              there, e.g. with `mvn -q package -DskipTests`), to compare a change with the code before.
# Per rep and topology, holding /tmp/vireo-bench.lock from setup to teardown: 20 pings C->S at 50 ms
# (median RTT), iperf3 TCP C->S for SECONDS with 1 stream and with 4 (the receiver's Gbit/s),
# 64-byte frames/s: trafgen floods C's interface with one 60-byte UDP frame addressed to S's address
# and to the MAC of C's next hop (the gateway; S itself on vireo-l2), counted as received by S's
# interface, and new TCP connections/s: CONN_CLIENTS processes of benches/connrate.c (compiled at
# start) in C each keep 32 connections to S in flight for SECONDS (connect, 16 bytes, shutdown, S's
# FIN awaited, close; the destination port going round 64 ports so that no 4-tuple space runs out),
# S's connrate server reading each to its end and closing it; the figure is the connections S closed
# within SECONDS / SECONDS, the line also gives those S received whole, the failed ones, whom S saw
# as their source, and the router's connection table afterwards (Vireo: entries of
# r1's conntrack; kernel-masquerade: R's nf_conntrack_count and its drop, early_drop and insert_failed
# counters). With masquerade both tables hold --conntrack-max connections (vireod's --conntrack-capacity;
# the kernel's nf_conntrack_max and hash size, which are global: raised for the run, put back at exit),
# as a table that fills caps the figure at its size / SECONDS (the rep then says FULL). The topologies
# take turns (rep 1 of each, then rep 2, ...). As in netns-bench.sh, vireod runs on --switch-cpu (1) and
# every tool on --tools-cpu (0) ("any": not pinned); the kernel's routing runs in softirq on the sending
# CPU, so there it shares the tools CPU.
#   benches/router-bench.sh [--seconds 10] [--reps 3] [--topologies "kernel vireo vireo-l2 c-tapfwd"]
#                           [--idle adaptive|busy|backoff] [--switch-cpu 1] [--tools-cpu 0] [--conn-clients 4]
#                           [--conntrack-max 1048576] [--vireo-args "ARGS"] [--baseline DIR]
# --vireo-args adds options to every vireod, e.g. "--threads 2" (with --switch-cpu any, or a list such as 0,1).
# Prints each rep, the median per topology and the ratios vireo / kernel, vireo / vireo-l2,
# c-tapfwd / kernel, vireo-l2 / c-tapfwd, vireo-masquerade / kernel-masquerade and vireo / vireo-baseline (of the
# pairs that ran); keeps the logs (trafgen, vireod, `vireoctl stats --json` after each Vireo rep) in a directory it
# names. Each rep also gives the CPU that processes not started here used meanwhile (benches/othercpu.py): the noise;
# and, during the one-stream TCP, the share of the time the tools' CPU was idle (/proc/stat; with the tools pinned):
# a stream that leaves it idle waits on the other CPU, not on its own work; for Vireo, also the share its
# forwarding threads were busy.
set -eEuo pipefail
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"

all_topologies="kernel vireo vireo-l2 c-tapfwd kernel-masquerade vireo-masquerade"
# Pairs "A:B" whose ratio A / B is printed when both ran.
ratio_pairs="vireo:kernel vireo:vireo-l2 c-tapfwd:kernel vireo-l2:c-tapfwd vireo-masquerade:kernel-masquerade
  vireo:vireo-baseline"
seconds=10 reps=3 idle=adaptive topologies="kernel vireo vireo-l2 c-tapfwd" pings=20 switch_cpu=1 tools_cpu=0 conn_clients=4
conntrack_max=1048576   # both routers' connection tables with masquerade (the kernel's: nf_conntrack_max, hashsize)
vireo_args="" baseline=""
conn_port=6000 conn_ports=64 conn_concurrency=32   # connrate: S's first port, its port count, connections in flight per client
die() { echo "router-bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 || die "--seconds takes a value" ;;
    --reps) reps="${2:-}"; shift 2 || die "--reps takes a value" ;;
    --topologies) topologies="${2:-}"; shift 2 || die "--topologies takes a value" ;;
    --idle) idle="${2:-}"; shift 2 || die "--idle takes a value" ;;
    --switch-cpu) switch_cpu="${2:-}"; shift 2 || die "--switch-cpu takes a value" ;;
    --tools-cpu) tools_cpu="${2:-}"; shift 2 || die "--tools-cpu takes a value" ;;
    --conn-clients) conn_clients="${2:-}"; shift 2 || die "--conn-clients takes a value" ;;
    --conntrack-max) conntrack_max="${2:-}"; shift 2 || die "--conntrack-max takes a value" ;;
    --vireo-args) vireo_args="${2:-}"; shift 2 || die "--vireo-args takes a value" ;;
    --baseline)
      [ -n "${2:-}" ] && [ -d "$2" ] || die "--baseline takes a checkout's directory"
      baseline="$(cd "$2" && pwd)"; shift 2 ;;
    -h | --help) sed -n '2,48p' "$0"; exit 0 ;;
    *) echo "router-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$reps" =~ ^[1-9][0-9]*$ && "$conn_clients" =~ ^[1-9][0-9]*$ &&
  "$conntrack_max" =~ ^[1-9][0-9]*$ ]] ||
  { echo "router-bench: --seconds, --reps, --conn-clients and --conntrack-max take a whole number above 0" >&2; exit 2; }
[[ " busy backoff adaptive " == *" $idle "* ]] || { echo "router-bench: --idle is busy, backoff or adaptive, not $idle" >&2; exit 2; }
if [ -n "$baseline" ]; then
  all_topologies+=" vireo-baseline"
  [[ " $topologies " == *" vireo-baseline "* ]] || topologies+=" vireo-baseline"
fi
[ -n "${topologies// /}" ] || { echo "router-bench: --topologies is empty ($all_topologies)" >&2; exit 2; }
for t in $topologies; do
  [[ " $all_topologies " == *" $t "* ]] || { echo "router-bench: unknown topology $t (one of: $all_topologies)" >&2; exit 2; }
done
# pinned CPU: the command prefix that runs a command on CPU (none for "any").
pinned() { [ "$1" = any ] || echo "taskset -c $1"; }
for cpu in "$switch_cpu" "$tools_cpu"; do
  [ "$cpu" = any ] || taskset -c "$cpu" true 2>/dev/null || { echo "router-bench: no CPU $cpu here (a number, or any)" >&2; exit 2; }
done
read -ra on_switch <<<"$(pinned "$switch_cpu")"
read -ra on_tools <<<"$(pinned "$tools_cpu")"
[ "$(id -u)" -eq 0 ] || die "run as root"
bench_ensure_deps
[[ " $topologies " != *" vireo"* ]] || vireo_ensure_jar
[ -z "$baseline" ] || [ -f "$baseline/vswitch/target/vireo.jar" ] ||
  die "no $baseline/vswitch/target/vireo.jar (build it there first)"

p="rb$$"                                      # prefix of every namespace and interface made here
nc="${p}nc" ns="${p}ns" nr="${p}nr"           # namespaces: client, server, kernel router
ifc="${p}c" ifs="${p}s"                       # C's and S's interface (veth or Vireo TAP)
ip_c=10.81.1.2 ip_s=10.81.2.2
out="$(mktemp -d /tmp/router-bench.XXXXXX)"   # logs, kept
bin="$(mktemp -d /tmp/router-bench-bin.XXXXXX)"   # connrate, removed at exit
namespaces=() pids=() nexthop="" run="" stage="start"
vireo_root="$VIREO_ROOT"                      # the checkout whose vireod and vireoctl the current topology runs

# Stops vireod (SIGKILL after 10 s) and its port keeper, kills whatever still runs in our namespaces (by
# pid), deletes them with their interfaces. Between reps and on exit.
teardown() {
  local pid n
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait_until 10 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  stop_port_keeper "$run"
  for n in "${namespaces[@]}"; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  namespaces=()
  [ -z "$run" ] || rm -rf "$run"
  run=""
}
# The kernel's connection table limit and hash size as they were, restored at exit ("" if not changed).
saved_conntrack=""
restore_conntrack() {
  local max buckets
  [ -n "$saved_conntrack" ] || return 0
  read -r max buckets <<<"$saved_conntrack"
  sysctl -qw net.netfilter.nf_conntrack_max="$max" || echo "router-bench: could not restore nf_conntrack_max $max" >&2
  echo "$buckets" >/sys/module/nf_conntrack/parameters/hashsize ||
    echo "router-bench: could not restore nf_conntrack hashsize $buckets" >&2
}
trap 'teardown; restore_conntrack; rm -rf "$bin"' EXIT
trap 'echo "router-bench: interrupted; removing what it made" >&2; exit 130' INT TERM
trap 'rc=$?; [ "$BASH_SUBSHELL" != 0 ] || echo "router-bench: $stage: \"$BASH_COMMAND\" failed (exit $rc); logs in $out" >&2' ERR
gcc -O2 -Wall -o "$bin/connrate" "$VIREO_ROOT/benches/connrate.c"
# A connection table that fills caps the new connections/s at its size / --seconds (TIME_WAIT entries stay
# 120 s): both routers get --conntrack-max entries. The kernel's limit is global (read-only in a namespace),
# so it is raised for the run, with the hash table to match, and put back at exit.
if [[ " $topologies " == *" kernel-masquerade "* ]]; then
  saved_conntrack="$(sysctl -n net.netfilter.nf_conntrack_max) $(cat /sys/module/nf_conntrack/parameters/hashsize)"
  echo "$conntrack_max" >/sys/module/nf_conntrack/parameters/hashsize
  sysctl -qw net.netfilter.nf_conntrack_max="$conntrack_max"
fi
[[ " $topologies " != *" c-tapfwd "* ]] || gcc -O2 -Wall -o "$bin/tapfwd" "$VIREO_ROOT/benches/tapfwd.c"

netns() {
  ip netns add "$1"
  namespaces+=("$1")
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$1" link set lo up
}

# --- topologies: each builds C and S (and what joins them) and sets $nexthop, C's next hop to S.

# kernel: R between C and S, with forwarding on; C and S with their addresses and default routes.
topology_kernel() {
  netns "$nc"; netns "$ns"; netns "$nr"
  ip -n "$nc" link add "$ifc" type veth peer name "${p}rc" netns "$nr"
  ip -n "$ns" link add "$ifs" type veth peer name "${p}rs" netns "$nr"
  ip -n "$nr" addr add 10.81.1.1/24 dev "${p}rc"
  ip -n "$nr" addr add 10.81.2.1/24 dev "${p}rs"
  ip -n "$nr" link set "${p}rc" up
  ip -n "$nr" link set "${p}rs" up
  ip netns exec "$nr" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$nc" addr add "$ip_c/24" dev "$ifc"
  ip -n "$ns" addr add "$ip_s/24" dev "$ifs"
  ip -n "$nc" link set "$ifc" up
  ip -n "$ns" link set "$ifs" up
  default_routes
}

topology_kernel-masquerade() {
  topology_kernel
  ip netns exec "$nr" nft -f - <<EOF
table ip nat {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "${p}rs" masquerade; }
}
EOF
}

# C's default route via the router; S's too, but not with masquerade: there S reaches nothing beyond
# its /24, so an answer to C that was not translated to the router's address goes nowhere.
default_routes() {
  ip -n "$nc" route add default via 10.81.1.1
  [[ "$topology" == *-masquerade ]] || ip -n "$ns" route add default via 10.81.2.1
  nexthop=10.81.1.1
}

# vireod in the root namespace, its control socket and counters in $run; its TAPs go into C and S.
vireo_up() {
  local -a table=() extra=()
  [[ "$topology" != *-masquerade ]] || table=(--conntrack-capacity "$conntrack_max")
  read -r -a extra <<<"$vireo_args"
  run="$(mktemp -d "$out/run.XXXXXX")"
  VIREO_NO_BUILD=1 "${on_switch[@]}" "$vireo_root/scripts/vireod" --run-dir "$run" --idle "$idle" --metrics off \
    "${table[@]}" "${extra[@]}" >"$out/$topology.$rep.vireod.log" 2>&1 </dev/null 9>&- &
  pids+=($!)
  wait_until 60 eval "grep -q 'vireod: ready' '$out/$topology.$rep.vireod.log' || ! alive $!" || true
  grep -q 'vireod: ready' "$out/$topology.$rep.vireod.log" ||
    die "vireod did not start: $(tail -3 "$out/$topology.$rep.vireod.log")"
  netns "$nc"; netns "$ns"
}
ctl() {
  local msg
  msg="$(VIREO_NO_BUILD=1 "$vireo_root/scripts/vireoctl" --run-dir "$run" "$@" 2>&1 9>&-)" ||
    die "vireoctl $*: $msg"
}

topology_vireo() {
  vireo_root="$VIREO_ROOT"
  routed_vireo
}

topology_vireo-baseline() {
  vireo_root="$baseline"
  routed_vireo
}

# Vireo's router r1 between bridge b1 (C) and b2 (S).
routed_vireo() {
  vireo_up
  ctl bridge add b1
  ctl bridge add b2
  ctl port add b1 "$ifc" --netns "$nc" --ip "$ip_c/24"
  ctl port add b2 "$ifs" --netns "$ns" --ip "$ip_s/24"
  ctl router add r1
  ctl router attach r1 b1 --ip 10.81.1.1/24
  ctl router attach r1 b2 --ip 10.81.2.1/24
  default_routes
}

topology_vireo-masquerade() {
  topology_vireo
  ctl nat masquerade r1 --out b2
}

topology_vireo-l2() {
  vireo_root="$VIREO_ROOT"
  vireo_up
  ctl bridge add b1
  ctl port add b1 "$ifc" --netns "$nc" --ip "$ip_c/16"
  ctl port add b1 "$ifs" --netns "$ns" --ip "$ip_s/16"
  nexthop="$ip_s"
}

# c-tapfwd: the C forwarder on the switch CPU makes the two TAPs (it prints "ready" once both exist); they
# go into C and S, both in one /16 as on vireo-l2.
topology_c-tapfwd() {
  local log="$out/$topology.$rep.tapfwd.log"
  "${on_switch[@]}" "$bin/tapfwd" "$ifc" "$ifs" >"$log" 2>&1 </dev/null 9>&- &
  pids+=($!)
  wait_until 10 eval "grep -q ready '$log' || ! alive $!" || true
  grep -q ready "$log" || die "tapfwd did not start: $(tail -3 "$log")"
  netns "$nc"; netns "$ns"
  ip link set "$ifc" netns "$nc"
  ip link set "$ifs" netns "$ns"
  ip -n "$nc" addr add "$ip_c/16" dev "$ifc"
  ip -n "$ns" addr add "$ip_s/16" dev "$ifs"
  ip -n "$nc" link set "$ifc" up
  ip -n "$ns" link set "$ifs" up
  nexthop="$ip_s"
}

# --- one rep of one topology: prints "<ping ms> <Gbit/s 1 stream> <Gbit/s 4 streams> <kframes/s
# received> <kframes/s sent> <% of the time Vireo's forwarding threads were busy during the flood>
# <new connections/s> <% busy during them> <what S and the router's connection table saw>"

# vireo_stats FILE: Vireo's counters now, as JSON (the daemon's counters file, read by vireoctl).
vireo_stats() { VIREO_NO_BUILD=1 "$vireo_root/scripts/vireoctl" --run-dir "$run" stats --json >"$1" 2>&1 9>&-; }
# busy_pct BEFORE AFTER: the share of the forwarding threads' time between two snapshots spent busy.
busy_pct() {
  python3 -c 'import json, sys
t = [sum(th[k] for th in json.load(open(f))["threads"]) for f in sys.argv[1:] for k in ("busy_ns", "idle_ns")]
busy, idle = t[2] - t[0], t[3] - t[1]
print(round(100 * busy / (busy + idle)) if busy + idle else "-")' "$1" "$2"
}

# cpu_ticks CPU: "<busy> <idle>" clock ticks of that CPU so far (/proc/stat; idle with iowait), nothing for "any".
cpu_ticks() {
  [ "$1" = any ] || awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat
}
# idle_pct BEFORE AFTER: the idle share in % between two cpu_ticks, "-" without them.
idle_pct() {
  [ -n "$1" ] || { echo -; return; }
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2]
    if (busy + idle > 0) printf "%.0f", 100 * idle / (busy + idle); else printf "-" }'
}

# The source address S should see: the router's on S's side with masquerade, else C's own.
expected_peer() { if [[ "$topology" == *-masquerade ]]; then echo 10.81.2.1; else echo "$ip_c"; fi; }

# vireo_conntrack FILE: r1's connections as JSON into FILE; prints "<entries> <entries whose replies
# go to 10.81.2.1> <count per state>" (fails if vireoctl does).
vireo_conntrack() {
  VIREO_NO_BUILD=1 "$vireo_root/scripts/vireoctl" --run-dir "$run" conntrack list r1 --json >"$1" 2>&1 9>&- || return 1
  python3 -c 'import collections, json, sys
c = json.load(open(sys.argv[1]))["connections"]
states = collections.Counter(x["state"] for x in c)
print(len(c), sum(1 for x in c if x["reply"].split(" -> ")[-1].startswith("10.81.2.1:")),
      ",".join(f"{k}={v}" for k, v in sorted(states.items())) or "-")' "$1"
}

# kernel_conntrack: R's connection table: "<entries> drop=N early_drop=N insert_failed=N" (its
# per-CPU counters summed).
kernel_conntrack() {
  echo "$(ip netns exec "$nr" cat /proc/sys/net/netfilter/nf_conntrack_count)" \
    "$(ip netns exec "$nr" cat /proc/net/stat/nf_conntrack | python3 -c 'import sys
rows = [l.split() for l in sys.stdin]
sums = {k: sum(int(r[i], 16) for r in rows[1:]) for i, k in enumerate(rows[0])}
print(" ".join(f"{k}={sums[k]}" for k in ("drop", "early_drop", "insert_failed")))')"
}

# conn_listening: S's connrate server listens on all its ports; conn_quiet: S has no connection open.
conn_listening() { [ "$(ip netns exec "$ns" ss -ltnH "sport >= :$conn_port" | wc -l)" -ge "$conn_ports" ]; }
conn_quiet() { [ "$(ip netns exec "$ns" ss -tnH state established state close-wait | wc -l)" -eq 0 ]; }

# conn_rate: --conn-clients connrate clients in C, each with $conn_concurrency connections in flight,
# to S's connrate server, for $seconds. Prints "<connections/s> <complete at S> <failed> <S's peers>";
# stops the run if S saw another source address than expected_peer.
conn_rate() {
  local log="$out/$topology.$rep.connrate" server pid i total=0 failed=0 n f
  local -a clients=()
  ip netns exec "$ns" "${on_tools[@]}" "$bin/connrate" server "$ip_s" "$conn_port" "$conn_ports" >"$log.server.txt" 2>&1 9>&- &
  server=$!
  wait_until 5 conn_listening || die "$topology: connrate server not listening: $(cat "$log.server.txt")"
  for i in $(seq 1 "$conn_clients"); do
    ip netns exec "$nc" "${on_tools[@]}" "$bin/connrate" client "$ip_s" "$conn_port" "$conn_ports" "$seconds" \
      "$conn_concurrency" >"$log.client$i.txt" 2>&1 9>&- &
    clients+=($!)
  done
  for pid in "${clients[@]}"; do wait "$pid" || die "$topology: connrate client failed: $(cat "$log".client*.txt)"; done
  wait_until 5 conn_quiet || true
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" || true
  for i in $(seq 1 "$conn_clients"); do
    read -r _ n _ f _ <"$log.client$i.txt"
    total=$((total + n)) failed=$((failed + f))
  done
  read -r _ _ _ complete _ peers <"$log.server.txt" || die "$topology: connrate server said nothing"
  [[ "$peers" =~ ^$(expected_peer)=[0-9]+$ ]] ||
    die "$topology: S saw connections from $peers, expected only $(expected_peer) (no translation?)"
  echo "$((total / seconds)) $complete $failed $peers"
}

measure() {
  local rtt one four kfps sent mac busy=- log="$out/$topology.$rep.trafgen.txt" stats="$out/$topology.$rep.flood"
  local cps complete failed peers cbusy=- table="" ct n translated tbusy=- tidle=- ticks
  rtt="$(ip netns exec "$nc" "${on_tools[@]}" ping -n -c "$pings" -i 0.05 -W 2 "$ip_s" | sed -n 's/.* time=\([0-9.]*\) ms$/\1/p' | median)"
  [ -z "$run" ] || vireo_stats "$stats.tcp-before.json"
  ticks="$(cpu_ticks "$tools_cpu")"
  one="$(bench_tcp "$ns" "$nc" "$ip_s" "$seconds" 1 "${on_tools[@]}")"
  tidle="$(idle_pct "$ticks" "$(cpu_ticks "$tools_cpu")")"
  [ -z "$run" ] || { vireo_stats "$stats.tcp-after.json"; tbusy="$(busy_pct "$stats.tcp-before.json" "$stats.tcp-after.json")"; }
  four="$(bench_tcp "$ns" "$nc" "$ip_s" "$seconds" 4 "${on_tools[@]}")"
  if [ "$topology" = vireo-masquerade ]; then
    # The iperf3 connections just made, still in r1's table (TIME_WAIT): translated to 10.81.2.1?
    ct="$(vireo_conntrack "$out/$topology.$rep.conntrack-tcp.json")" ||
      die "$topology: vireoctl conntrack list r1 failed: $(head -c 300 "$out/$topology.$rep.conntrack-tcp.json")"
    read -r n translated _ <<<"$ct"
    [ "$translated" -ge 1 ] || die "$topology: r1's conntrack has $n connections, none translated to 10.81.2.1 (see $out/$topology.$rep.conntrack-tcp.json)"
  fi
  # The flood goes to the next hop's MAC, which C's kernel resolved for the pings.
  mac="$(ip -n "$nc" neigh show "$nexthop" dev "$ifc" | sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p')"
  [ -n "$mac" ] || die "$topology: C has no MAC for its next hop $nexthop"
  [ -z "$run" ] || vireo_stats "$stats.before.json"
  kfps="$(bench_udp64 "$seconds" "$log" "$nc" "$ifc" "$mac" "$ip_c" "$ip_s" "$ns" "$ifs" "${on_tools[@]}")"
  [ -z "$run" ] || { vireo_stats "$stats.after.json"; busy="$(busy_pct "$stats.before.json" "$stats.after.json")"; }
  sent="$(awk -v s="$seconds" '{gsub("\r", "")} /packets outgoing/ {printf "%.1f", $1 / s / 1e3}' "$log")"
  [ -z "$run" ] || vireo_stats "$stats.conn-before.json"
  read -r cps complete failed peers <<<"$(conn_rate)"
  [ -z "$run" ] || { vireo_stats "$stats.conn-after.json"; cbusy="$(busy_pct "$stats.conn-before.json" "$stats.conn-after.json")"; }
  case "$topology" in
    vireo-masquerade) table="; r1's conntrack after: $({ vireo_conntrack "$out/$topology.$rep.conntrack-conn.json" ||
      echo "? (vireoctl conntrack list failed) -"; } | awk '{print $1 " entries (" $3 ")"}')" ;;
    kernel-masquerade) table="; R's conntrack after: $(kernel_conntrack | awk '{$1 = $1 " entries,"; print}')" ;;
  esac
  n="$(sed -n 's/.*conntrack after: \([0-9]*\) entries.*/\1/p' <<<"$table")"
  [ -z "$n" ] || [ "$n" -lt "$conntrack_max" ] || table+="; FULL: new connections/s capped at $conntrack_max / $seconds s"
  echo "${rtt:--} $one $four $kfps ${sent:--} $busy $cps $cbusy $tbusy $tidle S completed $complete, failed $failed, S saw $peers$table"
}

# Vireo's counters after the rep: the file, and the drop counters that are not 0 ("none" if none).
vireo_drops() {
  local f="$out/$topology.$rep.stats.json"
  vireo_stats "$f" || { echo "(stats failed)"; return; }
  python3 -c 'import json, sys
d = [f"{p['"'"'port'"'"']} {k}={v}" for p in json.load(open(sys.argv[1]))["ports"] for k, v in p.items() if k.startswith("drop_") and v]
print(", ".join(d) or "none")' "$f"
}

declare -A rtt tcp tcp4 kfps cps noise offloads
for rep in $(seq 1 "$reps"); do
  for topology in $topologies; do
    stage="$topology rep $rep: waiting for $BENCH_LOCK"
    bench_lock
    stage="$topology rep $rep: setup"
    "topology_$topology"
    wait_until 30 ip netns exec "$nc" ping -c 1 -W 1 "$ip_s" || die "$topology: no ping from C to S (logs in $out)"
    offloads[$topology]="$(ip netns exec "$nc" ethtool -k "$ifc" |
      awk '/^tcp-segmentation-offload:/ {t = $2} /^generic-receive-offload:/ {g = $2} END {print "TSO " t ", GRO " g}')"
    stage="$topology rep $rep: measuring"
    python3 "$VIREO_ROOT/benches/othercpu.py" start $$ "$out/othercpu.json"
    result="$(measure)"
    read -r r g g4 k s b c cb tb ti note <<<"$result"
    o="$(python3 "$VIREO_ROOT/benches/othercpu.py" stop $$ "$out/othercpu.json")"
    line="$topology rep $rep: TCP $g Gbit/s, 4 streams $g4 Gbit/s, 64-byte $k kframes/s (of $s sent), ping p50 $r ms"
    line+=", new connections $c/s ($note), other processes $o % of a core, tools' CPU idle $ti % during the one-stream TCP"
    [ -z "$run" ] || line+=", switch busy $tb % during it, $b % during the flood and $cb % during the connections, drops: $(vireo_drops)"
    echo "$line"
    rtt[$topology]+="$r " tcp[$topology]+="$g " tcp4[$topology]+="$g4 " kfps[$topology]+="$k " cps[$topology]+="$c "
    noise[$topology]+="$o "
    stage="$topology rep $rep: teardown"
    teardown
    bench_unlock
  done
done
stage="summary"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
# spread WORDS...: "median (min-max)" of its arguments.
spread() { echo "$(median_of "$@") ($(printf '%s\n' "$@" | grep . | sort -g | sed -n '1p;$p' | paste -sd-))"; }
echo
f='%-18s %22s %22s %22s %16s %22s %20s  %s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$f" topology "TCP Gbit/s" "4 streams Gbit/s" "64 B kframes/s" "ping p50 ms" "new connections/s" "other % of a core" "offloads (C)"
# shellcheck disable=SC2086,SC2059 # the lists are words
for t in $topologies; do
  printf "$f" "$t" "$(spread ${tcp[$t]})" "$(spread ${tcp4[$t]})" "$(spread ${kfps[$t]})" "$(spread ${rtt[$t]})" \
    "$(spread ${cps[$t]})" "$(spread ${noise[$t]})" "${offloads[$t]}"
done
# shellcheck disable=SC2086
for pair in $ratio_pairs; do
  a="${pair%%:*}" b="${pair#*:}"
  [[ " $topologies " == *" $a "* && " $topologies " == *" $b "* ]] || continue
  echo "$a / $b: TCP $(ratio "$(median_of ${tcp[$a]})" "$(median_of ${tcp[$b]})")x," \
    "4 streams $(ratio "$(median_of ${tcp4[$a]})" "$(median_of ${tcp4[$b]})")x," \
    "64-byte frames $(ratio "$(median_of ${kfps[$a]})" "$(median_of ${kfps[$b]})")x," \
    "ping $(ratio "$(median_of ${rtt[$a]})" "$(median_of ${rtt[$b]})")x," \
    "new connections $(ratio "$(median_of ${cps[$a]})" "$(median_of ${cps[$b]})")x"
done
echo "(median (min-max) of $reps; $seconds s iperf3 with 1 and 4 streams, $seconds s trafgen 64-byte frames counted at S," \
  "$pings pings at 50 ms, $seconds s of new connections from $conn_clients connrate clients x $conn_concurrency in flight;" \
  "vireod --idle $idle${vireo_args:+ $vireo_args} on CPU $switch_cpu, tools on CPU $tools_cpu; $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); logs in $out)"
