#!/usr/bin/env bash
# Service load-balancing benchmark (issue 15): TCP throughput and new TCP connections/s from a client
# namespace C (10.83.1.2/24, default via 10.83.1.1) to a service address, VIP 10.96.0.10, balanced over
# three backend namespaces S1..S3 (10.83.2.2, .3, .4 /24, default via 10.83.2.1), by:
#   kernel-nft  a router namespace R (ip_forward=1; a veth to C with 10.83.1.1/24, a kernel bridge with
#               10.83.2.1/24 joining veths to S1..S3) programmed as kube-proxy's nftables mode programs
#               ClusterIP services (table ip kube-proxy, as in kubernetes' pkg/proxy/nftables
#               proxier_test.go baseRules): nat-prerouting jumps to `services`, whose rule
#               `ip daddr . meta l4proto . th dport vmap @service-ips` goes to one chain per service
#               holding `numgen random mod 3 vmap { 0 : goto endpoint-..., ... }`, each endpoint chain
#               `meta l4proto tcp dnat to 10.83.2.x:PORT`; the filter chains (ct state new jumps to the
#               empty firewall / no-endpoint maps, cluster-ips-check) and the masquerade marking (cluster
#               CIDR 10.83.0.0/16, so none of this traffic is masqueraded, as for pod-to-service traffic)
#               too; conntrack keeps each connection on its backend. (IPVS is not in this kernel.)
#   haproxy     the same R and links, no nftables; HAProxy (`mode tcp`, `balance roundrobin`, one
#               thread, pinned to --switch-cpu) listens on the VIP, which is on R's loopback; C routes
#               to it via R; it connects to the backends from 10.83.2.1.
#   vireo       vireod (--idle IDLE, on --switch-cpu): bridges b1 (C's TAP) and b2 (S1..S3's TAPs),
#               router r1 attached to b1 (10.83.1.1/24) and b2 (10.83.2.1/24), and per service
#                 vireoctl service add r1 NAME --vip 10.96.0.10:PORT --proto tcp --algorithm rr
#                 vireoctl service backend add r1 NAME 10.83.2.x:PORT     (x = 2, 3, 4)
#               `vireoctl service list r1 --json` goes into the logs after each rep. Needs a vireoctl
#               with the `service` command: without it the script says so and stops before measuring.
# Services, the same in the three topologies: `web` on port 5001 (TCP throughput) and web0..webN-1 on
# ports 6000..6000+N-1 (N = --ports, 16), each over the three backends on the same port. Why N ports:
# connrate's clients close first, so each connection leaves C's socket in TIME_WAIT for 60 s and one
# destination would run out of C's source ports within seconds; C's (and on haproxy R's) ephemeral
# port range is also widened to 1024-65535 (ip_local_port_range, per namespace), so N destinations give
# N x 64,512 connections before any port is reused (no tcp_tw_reuse anywhere). One service per port
# because each costs Vireo 4 vireoctl calls (about 0.8 s each here).
# Per rep and topology, holding /tmp/vireo-bench.lock from setup to teardown:
#   TCP: iperf2 (`iperf`, not iperf3: an iperf3 test opens a control connection and data connections,
#        which a balancer sends to different backends; iperf2's streams are independent connections)
#        C -> VIP:5001 for SECONDS with 1 stream and with 4; each backend runs `iperf -s -y C`; the
#        figure is the sum of the receivers' per-connection rates, with the streams each backend got
#        (kernel-nft picks at random: one backend often gets none of the 4);
#   new TCP connections/s: --conn-clients processes of benches/connrate.c in C, each keeping 32
#        connections in flight to VIP ports 6000.. for SECONDS (connect, 16 bytes, shutdown, the
#        server's FIN awaited, close), every backend running the connrate server on its ports; the
#        figure is the connections the clients saw closed by the far end within SECONDS, per second.
# The backends' servers listen from before the services exist to the end of the rep (Vireo's health
# probes take a backend whose port answers with a reset out of selection); vireo waits until every
# backend of r1's services is up before measuring. Checks per rep (the run stops otherwise): the
# backends reported as many TCP streams as were sent; every backend completed connections, together
# at least as many as the clients counted, and saw as their source C's address (kernel-nft) or R's
# 10.83.2.1 (haproxy; printed only for vireo); after teardown no namespace, interface or process of
# the run is left and the root namespace's nftables ruleset (and iptables-save's, if installed) is as
# before the rep.
# vireod and HAProxy run on --switch-cpu (1), every tool (clients and servers) on --tools-cpu (0)
# ("any": not pinned); the kernel's forwarding and NAT run in softirq on the sending CPU, mostly the
# tools CPU. Each rep also gives the CPU that processes not started here used meanwhile (othercpu.py).
#   benches/service-bench.sh [--seconds 10] [--reps 3] [--topologies "kernel-nft haproxy vireo"]
#                            [--idle adaptive|busy|backoff] [--switch-cpu 1] [--tools-cpu 0]
#                            [--conn-clients 4] [--ports 16]
# Prints each rep, the median (min-max) per topology and the ratios vireo / kernel-nft, vireo / haproxy
# and haproxy / kernel-nft; keeps the logs (HAProxy's config, R's ruleset, the servers' and clients'
# output, vireod's log, its services and counters) in a directory it names.
set -eEuo pipefail
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"

all_topologies="kernel-nft haproxy vireo"
ratio_pairs="vireo:kernel-nft vireo:haproxy haproxy:kernel-nft"
seconds=10 reps=3 idle=adaptive topologies="$all_topologies" switch_cpu=1 tools_cpu=0 conn_clients=4 ports=16
tcp_port=5001 conn_port=6000 conn_concurrency=32
vip=10.96.0.10 ip_c=10.83.1.2 gw_c=10.83.1.1 gw_s=10.83.2.1
backends=(10.83.2.2 10.83.2.3 10.83.2.4)
die() { echo "service-bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 || die "--seconds takes a value" ;;
    --reps) reps="${2:-}"; shift 2 || die "--reps takes a value" ;;
    --topologies) topologies="${2:-}"; shift 2 || die "--topologies takes a value" ;;
    --idle) idle="${2:-}"; shift 2 || die "--idle takes a value" ;;
    --switch-cpu) switch_cpu="${2:-}"; shift 2 || die "--switch-cpu takes a value" ;;
    --tools-cpu) tools_cpu="${2:-}"; shift 2 || die "--tools-cpu takes a value" ;;
    --conn-clients) conn_clients="${2:-}"; shift 2 || die "--conn-clients takes a value" ;;
    --ports) ports="${2:-}"; shift 2 || die "--ports takes a value" ;;
    -h | --help) sed -n '2,57p' "$0"; exit 0 ;;
    *) echo "service-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$reps" =~ ^[1-9][0-9]*$ && "$conn_clients" =~ ^[1-9][0-9]*$ ]] ||
  { echo "service-bench: --seconds, --reps and --conn-clients take a whole number above 0" >&2; exit 2; }
[[ "$ports" =~ ^[1-9][0-9]*$ && "$ports" -le 64 ]] || { echo "service-bench: --ports takes 1 to 64" >&2; exit 2; }
[[ " busy backoff adaptive " == *" $idle "* ]] || { echo "service-bench: --idle is busy, backoff or adaptive, not $idle" >&2; exit 2; }
[ -n "${topologies// /}" ] || { echo "service-bench: --topologies is empty ($all_topologies)" >&2; exit 2; }
for t in $topologies; do
  [[ " $all_topologies " == *" $t "* ]] || { echo "service-bench: unknown topology $t (one of: $all_topologies)" >&2; exit 2; }
done
pinned() { [ "$1" = any ] || echo "taskset -c $1"; }
for cpu in "$switch_cpu" "$tools_cpu"; do
  [ "$cpu" = any ] || taskset -c "$cpu" true 2>/dev/null || { echo "service-bench: no CPU $cpu here (a number, or any)" >&2; exit 2; }
done
read -ra on_switch <<<"$(pinned "$switch_cpu")"
read -ra on_tools <<<"$(pinned "$tools_cpu")"
[ "$(id -u)" -eq 0 ] || die "run as root"
bench_ensure_deps
if [[ " $topologies " == *" vireo "* ]]; then
  vireo_ensure_jar
  VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireoctl" --help 2>&1 | grep -qE '^ +service( |$)' ||
    die "this vireoctl has no \`service\` command (issue 15's load balancing is not in this build of $VIREO_ROOT), so the vireo topology cannot run; run the others with --topologies \"kernel-nft haproxy\", or merge the service commands first"
fi

# The services: "NAME PORT" lines, the same for every topology.
services="web $tcp_port"
for i in $(seq 0 $((ports - 1))); do services+=$'\n'"web$i $((conn_port + i))"; done

p="sb$$"                                      # prefix of every namespace and interface made here
nc="${p}c" nr="${p}r"                         # namespaces: client, router (kernel-nft, haproxy)
nss=("${p}s1" "${p}s2" "${p}s3")              # backend namespaces; each one's interface has its name
out="$(mktemp -d /tmp/service-bench.XXXXXX)"  # logs, kept
bin="$(mktemp -d /tmp/service-bench-bin.XXXXXX)"   # connrate, removed at exit
namespaces=() pids=() run="" stage="start"

# Stops vireod or HAProxy (SIGKILL after 10 s), kills whatever still runs in our namespaces (by pid),
# deletes them with their interfaces. Between reps and on exit.
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
trap 'teardown; rm -rf "$bin"' EXIT
trap 'echo "service-bench: interrupted; removing what it made" >&2; exit 130' INT TERM
trap 'rc=$?; [ "$BASH_SUBSHELL" != 0 ] || echo "service-bench: $stage: \"$BASH_COMMAND\" failed (exit $rc); logs in $out" >&2' ERR
gcc -O2 -Wall -o "$bin/connrate" "$VIREO_ROOT/benches/connrate.c"

# host_state: what must be the same before a rep and after its teardown, in the root namespace.
host_state() {
  nft list ruleset 2>&1 | sha256sum
  ! command -v iptables-save >/dev/null || iptables-save 2>&1 | grep -v '^#' | sha256sum
}
# leftovers BEFORE: what the rep left behind ("" if nothing).
leftovers() {
  local left="" procs
  left+="$(ip netns list | awk -v p="$p" 'index($1, p) == 1 {printf "namespace %s; ", $1}')"
  left+="$(ip -o link show | awk -F': ' -v p="$p" 'index($2, p) == 1 {printf "interface %s; ", $2}')"
  procs="$(ps -eo pid=,args=)"   # (captured first, so that no filter below lists itself)
  left+="$(grep -F -e "$bin/" -e "$out/" <<<"$procs" | awk '{printf "process %s; ", $1}' || true)"
  [ "$(host_state)" = "$1" ] || left+="the root namespace's nftables/iptables ruleset changed; "
  echo "$left"
}

netns() {
  ip netns add "$1"
  namespaces+=("$1")
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$1" link set lo up
}

# Addresses, routes and the client's port range, once the interfaces are in place.
endpoints_up() {
  local i
  ip netns exec "$nc" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
  ip -n "$nc" route add default via "$gw_c"
  for i in 0 1 2; do ip -n "${nss[$i]}" route add default via "$gw_s"; done
}

# --- the backends' servers, started once the backends have their addresses (for vireo before the services
# exist) and listening through the rep: Vireo's health probes (a SYN from r1 every 2 s) count a reset
# from a port nothing listens on as a failure and would take the backends out of selection between the
# tests. Probes are never accepted (r1 resets the SYN/ACK), so the servers do not count them.
# iperf2 servers: in $pids (stopped at teardown); connrate servers: in $conn_servers (stopped by conn_rate,
# which reads their counts).
conn_servers=()
listening() { [ "$(ip netns exec "$1" ss -ltnH "sport >= :$2 and sport < :$(($2 + $3))" | wc -l)" -ge "$3" ]; }
servers_up() {
  local i
  conn_servers=()
  for i in 0 1 2; do
    ip netns exec "${nss[$i]}" "${on_tools[@]}" iperf -s -B "${backends[$i]}" -p "$tcp_port" -y C \
      >"$out/$topology.$rep.iperf.server$((i + 1)).csv" 2>&1 </dev/null 9>&- &
    pids+=($!)
    ip netns exec "${nss[$i]}" "${on_tools[@]}" "$bin/connrate" server "${backends[$i]}" "$conn_port" "$ports" \
      >"$out/$topology.$rep.connrate.server$((i + 1)).txt" 2>&1 </dev/null 9>&- &
    conn_servers+=($!)
  done
  for i in 0 1 2; do
    wait_until 5 listening "${nss[$i]}" "$tcp_port" 1 || die "$topology: iperf server in ${nss[$i]} not listening"
    wait_until 5 listening "${nss[$i]}" "$conn_port" "$ports" || die "$topology: connrate server in ${nss[$i]} not listening"
  done
}

# --- topologies

# R between C and S1..S3: a veth to C, a bridge joining a veth to each backend.
kernel_router() {
  local i n
  netns "$nc"; netns "$nr"
  for n in "${nss[@]}"; do netns "$n"; done
  ip -n "$nc" link add "$nc" type veth peer name "${p}rc" netns "$nr"
  ip -n "$nr" link add "${p}br" type bridge
  for i in 0 1 2; do
    ip -n "${nss[$i]}" link add "${nss[$i]}" type veth peer name "${p}r$((i + 1))" netns "$nr"
    ip -n "$nr" link set "${p}r$((i + 1))" master "${p}br" up
    ip -n "${nss[$i]}" addr add "${backends[$i]}/24" dev "${nss[$i]}"
    ip -n "${nss[$i]}" link set "${nss[$i]}" up
  done
  ip -n "$nr" addr add "$gw_c/24" dev "${p}rc"
  ip -n "$nr" addr add "$gw_s/24" dev "${p}br"
  ip -n "$nr" link set "${p}rc" up
  ip -n "$nr" link set "${p}br" up
  ip netns exec "$nr" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$nc" addr add "$ip_c/24" dev "$nc"
  ip -n "$nc" link set "$nc" up
  endpoints_up
  servers_up
}

# kube-proxy's nftables ruleset for $services (ClusterIP, TCP) on $vip over the three backends.
kube_proxy_ruleset() {
  python3 - "$vip" "${backends[*]}" "$gw_c" "$services" <<'EOF'
import base64, hashlib, sys
vip, backends, node_ip = sys.argv[1], sys.argv[2].split(), sys.argv[3]
services = [line.split() for line in sys.argv[4].splitlines() if line.strip()]
t = "ip kube-proxy"
def h(s):
    return base64.b32encode(hashlib.sha256(s.encode()).digest())[:8].decode()
print(f"""add table {t} {{ comment "rules for kube-proxy" ; }}
add set {t} cluster-ips {{ type ipv4_addr ; comment "Active ClusterIPs" ; }}
add set {t} nodeport-ips {{ type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }}
add map {t} firewall-ips {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}
add map {t} no-endpoint-nodeports {{ type inet_proto . inet_service : verdict ; }}
add map {t} no-endpoint-services {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}
add map {t} service-ips {{ type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }}
add map {t} service-nodeports {{ type inet_proto . inet_service : verdict ; }}
add chain {t} cluster-ips-check
add chain {t} filter-prerouting-pre-dnat {{ type filter hook prerouting priority -110 ; }}
add chain {t} filter-output-pre-dnat {{ type filter hook output priority -110 ; }}
add chain {t} filter-forward {{ type filter hook forward priority 0 ; }}
add chain {t} filter-input {{ type filter hook input priority 0 ; }}
add chain {t} filter-output {{ type filter hook output priority 0 ; }}
add chain {t} firewall-check
add chain {t} mark-for-masquerade
add chain {t} masquerading
add chain {t} nat-output {{ type nat hook output priority -100 ; }}
add chain {t} nat-postrouting {{ type nat hook postrouting priority 100 ; }}
add chain {t} nat-prerouting {{ type nat hook prerouting priority -100 ; }}
add chain {t} nodeport-endpoints-check
add chain {t} reject-chain
add chain {t} services
add chain {t} service-endpoints-check
add rule {t} cluster-ips-check ip daddr @cluster-ips reject
add rule {t} cluster-ips-check ip daddr {{ 10.96.0.0/12 }} drop
add rule {t} filter-prerouting-pre-dnat ct state new jump firewall-check
add rule {t} filter-forward ct state new jump service-endpoints-check
add rule {t} filter-forward ct state new jump cluster-ips-check
add rule {t} filter-input ct state new jump nodeport-endpoints-check
add rule {t} filter-input ct state new jump service-endpoints-check
add rule {t} filter-output ct state new jump service-endpoints-check
add rule {t} filter-output-pre-dnat ct state new jump firewall-check
add rule {t} filter-output ct state new jump cluster-ips-check
add rule {t} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips
add rule {t} mark-for-masquerade mark set mark or 0x4000
add rule {t} masquerading mark and 0x4000 == 0 return
add rule {t} masquerading mark set mark xor 0x4000
add rule {t} masquerading masquerade fully-random
add rule {t} nat-output jump services
add rule {t} nat-postrouting jump masquerading
add rule {t} nat-prerouting jump services
add rule {t} nodeport-endpoints-check ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports
add rule {t} reject-chain reject
add rule {t} services ip daddr . meta l4proto . th dport vmap @service-ips
add rule {t} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports
add element {t} nodeport-ips {{ {node_ip} }}
add rule {t} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services""")
for name, port in services:
    spn = f"default/{name}/tcp/"
    chain = f"service-{h(spn)}-{spn}"
    endpoints = [f"endpoint-{h(spn + b)}-{spn}__{b}/{port}" for b in backends]
    for c in [chain] + endpoints:
        print(f"add chain {t} {c}")
    print(f"add rule {t} {chain} ip daddr {vip} ip saddr != 10.83.0.0/16 jump mark-for-masquerade")
    print(f"add rule {t} {chain} numgen random mod {len(endpoints)} vmap {{ "
          + " , ".join(f"{i} : goto {e}" for i, e in enumerate(endpoints)) + " }")
    for b, e in zip(backends, endpoints):
        print(f"add rule {t} {e} ip saddr {b} jump mark-for-masquerade")
        print(f"add rule {t} {e} meta l4proto tcp dnat to {b}:{port}")
    print(f"add element {t} cluster-ips {{ {vip} }}")
    print(f"add element {t} service-ips {{ {vip} . tcp . {port} : goto {chain} }}")
EOF
}

topology_kernel-nft() {
  kernel_router
  kube_proxy_ruleset >"$out/$topology.$rep.nft-input.txt"
  ip netns exec "$nr" nft -f "$out/$topology.$rep.nft-input.txt"
  ip netns exec "$nr" nft list ruleset >"$out/$topology.$rep.nft-ruleset.txt"
}

# haproxy_config: one `listen` per service, the VIP's port to the same port of each backend.
haproxy_config() {
  local name port i
  printf 'global\n  nbthread 1\n  maxconn 4096\n\ndefaults\n  mode tcp\n  balance roundrobin\n'
  printf '  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n'
  while read -r name port; do
    printf '\nlisten %s\n  bind %s:%s\n' "$name" "$vip" "$port"
    for i in 0 1 2; do printf '  server s%s %s:%s\n' "$((i + 1))" "${backends[$i]}" "$port"; done
  done <<<"$services"
}
haproxy_listening() { [ "$(ip netns exec "$nr" ss -ltnH "src $vip" | wc -l)" -ge "$(wc -l <<<"$services")" ]; }

topology_haproxy() {
  local log="$out/$topology.$rep.haproxy.log" cfg="$out/$topology.$rep.haproxy.cfg"
  kernel_router
  ip -n "$nr" addr add "$vip/32" dev lo
  ip netns exec "$nr" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
  haproxy_config >"$cfg"
  haproxy -c -q -f "$cfg" || die "haproxy rejects $cfg"
  ip netns exec "$nr" "${on_switch[@]}" haproxy -db -f "$cfg" >"$log" 2>&1 </dev/null 9>&- &
  pids+=($!)
  wait_until 10 eval "haproxy_listening || ! alive $!" || true
  haproxy_listening || die "haproxy did not listen on $vip: $(tail -3 "$log")"
}

# vireod in the root namespace, its control socket and counters in $run; its TAPs go into C and S1..S3.
vireo_up() {
  local n
  run="$(mktemp -d "$out/run.XXXXXX")"
  VIREO_NO_BUILD=1 "${on_switch[@]}" "$VIREO_ROOT/scripts/vireod" --run-dir "$run" --idle "$idle" --metrics off \
    >"$out/$topology.$rep.vireod.log" 2>&1 </dev/null 9>&- &
  pids+=($!)
  wait_until 60 eval "grep -q 'vireod: ready' '$out/$topology.$rep.vireod.log' || ! alive $!" || true
  grep -q 'vireod: ready' "$out/$topology.$rep.vireod.log" ||
    die "vireod did not start: $(tail -3 "$out/$topology.$rep.vireod.log")"
  netns "$nc"
  for n in "${nss[@]}"; do netns "$n"; done
}
vctl() { VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireoctl" --run-dir "$run" "$@" </dev/null 9>&-; }
ctl() {
  local msg
  msg="$(vctl "$@" 2>&1)" || die "vireoctl $*: $msg"
}

topology_vireo() {
  local i name port
  vireo_up
  ctl bridge add b1
  ctl bridge add b2
  ctl port add b1 "$nc" --netns "$nc" --ip "$ip_c/24"
  for i in 0 1 2; do ctl port add b2 "${nss[$i]}" --netns "${nss[$i]}" --ip "${backends[$i]}/24"; done
  servers_up
  ctl router add r1
  ctl router attach r1 b1 --ip "$gw_c/24"
  ctl router attach r1 b2 --ip "$gw_s/24"
  while read -r name port; do
    ctl service add r1 "$name" --vip "$vip:$port" --proto tcp --algorithm rr
    for i in 0 1 2; do ctl service backend add r1 "$name" "${backends[$i]}:$port"; done
  done <<<"$services"
  endpoints_up
  wait_until 30 vireo_all_up || die "$topology: not every backend of r1's services is up: $(vireo_services "$out/$topology.$rep.services-setup.json")"
}

# --- measurements

# vireo_stats FILE: Vireo's counters now (JSON); busy_pct BEFORE AFTER: the forwarding threads' busy share.
vireo_stats() { vctl stats --json >"$1" 2>&1; }
busy_pct() {
  python3 -c 'import json, sys
t = [sum(th[k] for th in json.load(open(f))["threads"]) for f in sys.argv[1:] for k in ("busy_ns", "idle_ns")]
busy, idle = t[2] - t[0], t[3] - t[1]
print(round(100 * busy / (busy + idle)) if busy + idle else "-")' "$1" "$2"
}
vireo_drops() {
  local f="$out/$topology.$rep.stats.json"
  vireo_stats "$f" || { echo "(stats failed)"; return; }
  python3 -c 'import json, sys
d = [f"{p['"'"'port'"'"']} {k}={v}" for p in json.load(open(sys.argv[1]))["ports"] for k, v in p.items() if k.startswith("drop_") and v]
print(", ".join(d) or "none")' "$f"
}
# vireo_services FILE: `vireoctl service list r1 --json` into FILE; prints the connections r1 counted per
# backend over all services, and the backends not up.
vireo_services() {
  vctl service list r1 --json >"$1" 2>&1 || { echo "(vireoctl service list failed: $(head -c 200 "$1"))"; return; }
  python3 -c 'import collections, json, sys
services = json.load(open(sys.argv[1]))["services"]
per, down = collections.Counter(), set()
for s in services:
    for b in s["backends"]:
        ip = b["address"].split(":")[0]
        per[ip] += b["connections"]
        if b["state"] != "up":
            down.add(f"{s['"'"'name'"'"']} {b['"'"'address'"'"']} {b['"'"'state'"'"']}")
print(f"{len(services)} services, connections per backend " + "/".join(str(per[ip]) for ip in sorted(per))
      + (", not up: " + ", ".join(sorted(down)) if down else ", all backends up"))' "$1"
}

# vireo_all_up: every backend of every service of r1 is up.
vireo_all_up() {
  vctl service list r1 --json 2>/dev/null | python3 -c 'import json, sys
sys.exit(not all(b["state"] == "up" for s in json.load(sys.stdin)["services"] for b in s["backends"]))'
}

# kernel_conntrack: R's table: "<entries> drop=N early_drop=N insert_failed=N".
kernel_conntrack() {
  echo "$(ip netns exec "$nr" cat /proc/sys/net/netfilter/nf_conntrack_count)" \
    "$(ip netns exec "$nr" cat /proc/net/stat/nf_conntrack | python3 -c 'import sys
rows = [l.split() for l in sys.stdin]
sums = {k: sum(int(r[i], 16) for r in rows[1:]) for i, k in enumerate(rows[0])}
print(" ".join(f"{k}={sums[k]}" for k in ("drop", "early_drop", "insert_failed")))')"
}

# The source address the backends should see: R's with HAProxy, C's otherwise ("" for vireo: not checked).
expected_peer() {
  case "$topology" in haproxy) echo "$gw_s" ;; kernel-nft) echo "$ip_c" ;; *) echo "" ;; esac
}

lines_in() { cat "$@" 2>/dev/null | grep -c '^[0-9]' || true; }

# tcp_rate STREAMS: iperf2 C -> VIP:5001 for $seconds, to the backends' iperf servers (each writes a CSV
# line per connection at its end). Prints "<Gbit/s> <streams per backend, a/b/c>".
tcp_rate() {
  local streams="$1" log="$out/$topology.$rep.tcp$1" i rc=0 before
  local -a files=() offsets=()
  for i in 1 2 3; do
    files+=("$out/$topology.$rep.iperf.server$i.csv")
    offsets+=("$(lines_in "$out/$topology.$rep.iperf.server$i.csv")")
  done
  before=$((offsets[0] + offsets[1] + offsets[2]))
  ip netns exec "$nc" "${on_tools[@]}" iperf -c "$vip" -p "$tcp_port" -t "$seconds" -P "$streams" -y C >"$log.client.csv" 2>&1 9>&- || rc=$?
  [ "$rc" = 0 ] || die "$topology: iperf -c $vip failed (exit $rc): $(tail -3 "$log.client.csv")"
  wait_until 10 eval "[ \"\$(lines_in ${files[*]})\" -ge $((before + streams)) ]" || true
  python3 - "$streams" "${offsets[*]}" "${files[@]}" <<'EOF'
import sys
streams, offsets, counts, bps = int(sys.argv[1]), [int(x) for x in sys.argv[2].split()], [], 0
for path, skip in zip(sys.argv[3:], offsets):
    rows = [l.strip().split(",") for l in open(path) if l[:1].isdigit()][skip:]
    rows = [r for r in rows if len(r) >= 9 and int(r[5]) >= 0]  # connections, not sums
    counts.append(len(rows))
    bps += sum(int(r[8]) for r in rows)
if sum(counts) != streams:
    sys.exit(f"service-bench: the backends reported {sum(counts)} TCP streams, not {streams}: {' '.join(sys.argv[3:])}")
print("%.2f %s" % (bps / 1e9, "/".join(map(str, counts))))
EOF
}

conn_quiet() {
  local n
  for n in "${nss[@]}"; do [ "$(ip netns exec "$n" ss -tnH state established state close-wait | wc -l)" -eq 0 ] || return 1; done
}

# conn_rate: connrate clients in C to VIP ports $conn_port.., servers in S1..S3, for $seconds.
# Prints "<connections/s> <complete per backend a/b/c> <failed> <peers seen, per backend>".
conn_rate() {
  local log="$out/$topology.$rep.connrate" pid i total=0 failed=0 n f complete=() peers=() sum=0 expect
  local -a clients=()
  for i in $(seq 1 "$conn_clients"); do
    ip netns exec "$nc" "${on_tools[@]}" "$bin/connrate" client "$vip" "$conn_port" "$ports" "$seconds" \
      "$conn_concurrency" >"$log.client$i.txt" 2>&1 9>&- &
    clients+=($!)
  done
  for pid in "${clients[@]}"; do wait "$pid" || die "$topology: connrate client failed: $(cat "$log".client*.txt)"; done
  wait_until 5 conn_quiet || true
  # (not `wait`: this runs in a subshell, of which the servers are no children)
  for pid in "${conn_servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait_until 10 eval "! alive $pid" || true; done
  for i in $(seq 1 "$conn_clients"); do
    read -r _ n _ f _ <"$log.client$i.txt"
    total=$((total + n)) failed=$((failed + f))
  done
  expect="$(expected_peer)"
  for i in 1 2 3; do
    read -r _ _ _ n _ f <"$log.server$i.txt" || die "$topology: connrate server $i said nothing"
    [ "$n" -gt 0 ] || die "$topology: backend ${backends[$((i - 1))]} completed no connection (not balanced?)"
    [ -z "$expect" ] || [[ "$f" =~ ^$expect=[0-9]+$ ]] ||
      die "$topology: backend ${backends[$((i - 1))]} saw connections from $f, expected only $expect"
    complete+=("$n") peers+=("$f") sum=$((sum + n))
  done
  [ "$sum" -ge "$total" ] ||
    die "$topology: the clients counted $total connections closed by the far end, the backends completed only $sum"
  echo "$((total / seconds)) $(IFS=/; echo "${complete[*]}") $failed $(IFS=/; echo "${peers[*]}")"
}

measure() {
  local r one one_at four four_at cps complete failed peers cbusy=- table=""
  # (each result into a variable first: a failure there stops the run, as it would not inside `read <<<`)
  r="$(tcp_rate 1)"; read -r one one_at <<<"$r"
  r="$(tcp_rate 4)"; read -r four four_at <<<"$r"
  [ -z "$run" ] || vireo_stats "$out/$topology.$rep.conn-before.json"
  r="$(conn_rate)"; read -r cps complete failed peers <<<"$r"
  [ -z "$run" ] || { vireo_stats "$out/$topology.$rep.conn-after.json"
    cbusy="$(busy_pct "$out/$topology.$rep.conn-before.json" "$out/$topology.$rep.conn-after.json")"; }
  [ "$topology" != kernel-nft ] || table="; R's conntrack after: $(kernel_conntrack | awk '{$1 = $1 " entries,"; print}')"
  echo "$one $four $cps $cbusy 1 stream to $one_at, 4 streams to $four_at; connections completed per backend $complete, failed $failed, backends saw $peers$table"
}

declare -A tcp tcp4 cps noise
for rep in $(seq 1 "$reps"); do
  for topology in $topologies; do
    stage="$topology rep $rep: waiting for $BENCH_LOCK"
    bench_lock
    before="$(host_state)"
    stage="$topology rep $rep: setup"
    "topology_$topology"
    for b in "${backends[@]}"; do
      wait_until 30 ip netns exec "$nc" ping -c 1 -W 1 "$b" || die "$topology: no ping from C to $b (logs in $out)"
    done
    stage="$topology rep $rep: measuring"
    python3 "$VIREO_ROOT/benches/othercpu.py" start $$ "$out/othercpu.json"
    result="$(measure)"
    read -r g g4 c cb note <<<"$result"
    o="$(python3 "$VIREO_ROOT/benches/othercpu.py" stop $$ "$out/othercpu.json")"
    line="$topology rep $rep: TCP $g Gbit/s, 4 streams $g4 Gbit/s, new connections $c/s ($note), other processes $o % of a core"
    if [ -n "$run" ]; then
      line+=", r1's services: $(vireo_services "$out/$topology.$rep.services.json")"
      line+=", switch busy $cb % during the connections, drops: $(vireo_drops)"
    fi
    echo "$line"
    tcp[$topology]+="$g " tcp4[$topology]+="$g4 " cps[$topology]+="$c " noise[$topology]+="$o "
    stage="$topology rep $rep: teardown"
    teardown
    left="$(leftovers "$before")"
    [ -z "$left" ] || die "$topology rep $rep left behind: $left"
    bench_unlock
  done
done
stage="summary"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
spread() { echo "$(median_of "$@") ($(printf '%s\n' "$@" | grep . | sort -g | sed -n '1p;$p' | paste -sd-))"; }
echo
f='%-12s %24s %24s %24s %20s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$f" topology "TCP 1 stream Gbit/s" "TCP 4 streams Gbit/s" "new connections/s" "other % of a core"
# shellcheck disable=SC2086,SC2059 # the lists are words
for t in $topologies; do
  printf "$f" "$t" "$(spread ${tcp[$t]})" "$(spread ${tcp4[$t]})" "$(spread ${cps[$t]})" "$(spread ${noise[$t]})"
done
# shellcheck disable=SC2086
for pair in $ratio_pairs; do
  a="${pair%%:*}" b="${pair#*:}"
  [[ " $topologies " == *" $a "* && " $topologies " == *" $b "* ]] || continue
  echo "$a / $b: TCP $(ratio "$(median_of ${tcp[$a]})" "$(median_of ${tcp[$b]})")x," \
    "4 streams $(ratio "$(median_of ${tcp4[$a]})" "$(median_of ${tcp4[$b]})")x," \
    "new connections $(ratio "$(median_of ${cps[$a]})" "$(median_of ${cps[$b]})")x"
done
echo "(median (min-max) of $reps; $seconds s iperf2 with 1 and 4 streams to $vip:$tcp_port, $seconds s of new connections" \
  "from $conn_clients connrate clients x $conn_concurrency in flight to $vip:$conn_port-$((conn_port + ports - 1));" \
  "vireod --idle $idle and HAProxy on CPU $switch_cpu, tools on CPU $tools_cpu; $(date -u +%Y-%m-%d), $(nproc) cores," \
  "$(uname -r); logs in $out)"
