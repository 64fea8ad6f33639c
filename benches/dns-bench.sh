#!/usr/bin/env bash
# Service DNS benchmark (issue 15): DNS queries/s and latency answered for a client namespace C
# (10.84.1.2/24) on 10.84.1.1 port 53 by:
#   dnsmasq  one dnsmasq process (dnsmasq-base's binary, never a system service; started here, killed
#            by its pid) in a server namespace D joined to C by a veth, 10.84.1.1/24, with the same
#            records as Vireo's service and nothing else: --no-resolv --no-hosts --conf-file=/dev/null
#            --local=/svc.vireo/ (names under svc.vireo that it does not know: NXDOMAIN, never
#            forwarded) --host-record=web.svc.vireo,10.96.0.10 --srv-host=SRV,web.svc.vireo,80,0,1
#            --local-ttl=5 (Vireo's records as its router makes them: the SRV record at the service's
#            own name, priority 0, weight 1, TTL 5), --cache-size=150 (its default; local records are
#            not served from the forwarding cache: 0, 150 and 10,000 measured the same), no query log;
#   vireo    vireod (--idle IDLE): bridge b1 with C's TAP, bridge b2 with three backend namespaces'
#            TAPs (10.84.2.2-4/24, each listening on port 80 so that r1's health probes keep it up),
#            router r1 attached to b1 (10.84.1.1/24) and b2 (10.84.2.1/24),
#            answering DNS for NAME.svc.vireo from its services on its gateway address, service `web`:
#              vireoctl service add r1 web --vip 10.96.0.10:80 --proto tcp --algorithm rr
#              vireoctl service backend add r1 web 10.84.2.2:80     (and 10.84.2.3:80, 10.84.2.4:80)
#            `vireoctl service list r1 --json` goes into the logs after each rep. Needs a vireoctl with
#            the `service` command: without it the script says so and stops before measuring.
# Query sets (--query-sets), dnsperf going round the file for --seconds:
#   a    `web.svc.vireo A` only;
#   mix  `web.svc.vireo A`, `web.svc.vireo AAAA` (NOERROR, no data: the service has no IPv6 address),
#        `SRV SRV` (--srv-name, default web.svc.vireo: target web.svc.vireo port 80) and
#        `nosuch.svc.vireo A` (NXDOMAIN), one each.
# Per rep and topology, holding /tmp/vireo-bench.lock from setup to teardown: first the four answers
# are checked with dig (the run stops if one is not as above, printing what came back), then per
# query set one dnsperf run (UDP, one client socket, --outstanding queries in flight, default 100):
# its queries/s, average latency, lost queries and response codes (the run stops on any code but
# NOERROR and NXDOMAIN, or an NXDOMAIN share other than the set's). After teardown: no namespace,
# interface or process of the run is left. vireod and dnsmasq run on --switch-cpu (1), dnsperf on
# --tools-cpu (0) ("any": not pinned). Each rep also gives the CPU that processes not started here
# used meanwhile (othercpu.py).
#   benches/dns-bench.sh [--seconds 10] [--reps 3] [--topologies "dnsmasq vireo"] [--query-sets "a mix"]
#                        [--outstanding 100] [--srv-name web.svc.vireo]
#                        [--idle adaptive|busy|backoff] [--switch-cpu 1] [--tools-cpu 0]
# Prints each rep, the median (min-max) per topology and query set and the ratios vireo / dnsmasq;
# keeps the logs (dig's and dnsperf's output, dnsmasq's and vireod's logs, Vireo's services) in a
# directory it names.
set -eEuo pipefail
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"

all_topologies="dnsmasq vireo" all_sets="a mix"
seconds=10 reps=3 idle=adaptive topologies="$all_topologies" sets="$all_sets" switch_cpu=1 tools_cpu=0 outstanding=100
srv_name=web.svc.vireo name=web.svc.vireo vip=10.96.0.10 svc_port=80
ip_c=10.84.1.2 server=10.84.1.1 gw_b=10.84.2.1
backends=(10.84.2.2 10.84.2.3 10.84.2.4)
die() { echo "dns-bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 || die "--seconds takes a value" ;;
    --reps) reps="${2:-}"; shift 2 || die "--reps takes a value" ;;
    --topologies) topologies="${2:-}"; shift 2 || die "--topologies takes a value" ;;
    --query-sets) sets="${2:-}"; shift 2 || die "--query-sets takes a value" ;;
    --outstanding) outstanding="${2:-}"; shift 2 || die "--outstanding takes a value" ;;
    --srv-name) srv_name="${2:-}"; shift 2 || die "--srv-name takes a value" ;;
    --idle) idle="${2:-}"; shift 2 || die "--idle takes a value" ;;
    --switch-cpu) switch_cpu="${2:-}"; shift 2 || die "--switch-cpu takes a value" ;;
    --tools-cpu) tools_cpu="${2:-}"; shift 2 || die "--tools-cpu takes a value" ;;
    -h | --help) sed -n '2,38p' "$0"; exit 0 ;;
    *) echo "dns-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$reps" =~ ^[1-9][0-9]*$ && "$outstanding" =~ ^[1-9][0-9]*$ ]] ||
  { echo "dns-bench: --seconds, --reps and --outstanding take a whole number above 0" >&2; exit 2; }
[[ "$srv_name" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "dns-bench: --srv-name is a DNS name" >&2; exit 2; }
[[ " busy backoff adaptive " == *" $idle "* ]] || { echo "dns-bench: --idle is busy, backoff or adaptive, not $idle" >&2; exit 2; }
[ -n "${topologies// /}" ] || { echo "dns-bench: --topologies is empty ($all_topologies)" >&2; exit 2; }
[ -n "${sets// /}" ] || { echo "dns-bench: --query-sets is empty ($all_sets)" >&2; exit 2; }
for t in $topologies; do
  [[ " $all_topologies " == *" $t "* ]] || { echo "dns-bench: unknown topology $t (one of: $all_topologies)" >&2; exit 2; }
done
for s in $sets; do
  [[ " $all_sets " == *" $s "* ]] || { echo "dns-bench: unknown query set $s (one of: $all_sets)" >&2; exit 2; }
done
pinned() { [ "$1" = any ] || echo "taskset -c $1"; }
for cpu in "$switch_cpu" "$tools_cpu"; do
  [ "$cpu" = any ] || taskset -c "$cpu" true 2>/dev/null || { echo "dns-bench: no CPU $cpu here (a number, or any)" >&2; exit 2; }
done
read -ra on_switch <<<"$(pinned "$switch_cpu")"
read -ra on_tools <<<"$(pinned "$tools_cpu")"
[ "$(id -u)" -eq 0 ] || die "run as root"
bench_ensure_deps
if [[ " $topologies " == *" vireo "* ]]; then
  vireo_ensure_jar
  VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireoctl" --help 2>&1 | grep -qE '^ +service( |$)' ||
    die "this vireoctl has no \`service\` command (issue 15's services and their DNS are not in this build of $VIREO_ROOT), so the vireo topology cannot run; run dnsmasq alone with --topologies dnsmasq, or merge the service commands first"
fi

p="db$$"                                   # prefix of every namespace and interface made here
nc="${p}c" nd="${p}d"                      # namespaces: client, dnsmasq's server; each one's interface has its name
nss=("${p}s1" "${p}s2" "${p}s3")           # vireo: the service's backends
out="$(mktemp -d /tmp/dns-bench.XXXXXX)"   # logs and query files, kept
namespaces=() pids=() run="" stage="start"

# The query files: NAME TYPE per line, as dnsperf reads them; the share of NXDOMAIN answers in each.
printf '%s A\n' "$name" >"$out/queries.a.txt"
printf '%s A\n%s AAAA\n%s SRV\nnosuch.svc.vireo A\n' "$name" "$name" "$srv_name" >"$out/queries.mix.txt"
declare -A nxdomain_pct=([a]=0 [mix]=25)

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
trap teardown EXIT
trap 'echo "dns-bench: interrupted; removing what it made" >&2; exit 130' INT TERM
trap 'rc=$?; [ "$BASH_SUBSHELL" != 0 ] || echo "dns-bench: $stage: \"$BASH_COMMAND\" failed (exit $rc); logs in $out" >&2' ERR

# leftovers: what the rep left behind ("" if nothing).
leftovers() {
  local left="" procs
  left+="$(ip netns list | awk -v p="$p" 'index($1, p) == 1 {printf "namespace %s; ", $1}')"
  left+="$(ip -o link show | awk -F': ' -v p="$p" 'index($2, p) == 1 {printf "interface %s; ", $2}')"
  procs="$(ps -eo pid=,args=)"   # (captured first, so that no filter below lists itself)
  left+="$(grep -F -e "$out/" <<<"$procs" | awk '{printf "process %s; ", $1}' || true)"
  left+="$(grep -E '^ *[0-9]+ +dnsmasq .*--host-record=web\.svc\.vireo' <<<"$procs" | awk '{printf "dnsmasq %s; ", $1}' || true)"
  echo "$left"
}

netns() {
  ip netns add "$1"
  namespaces+=("$1")
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$1" link set lo up
}

# --- topologies

dnsmasq_listening() { ip netns exec "$nd" ss -lunH "src $server and sport = :53" | grep -q .; }
topology_dnsmasq() {
  local log="$out/$topology.$rep.dnsmasq.log"
  netns "$nc"; netns "$nd"
  ip -n "$nc" link add "$nc" type veth peer name "$nd" netns "$nd"
  ip -n "$nc" addr add "$ip_c/24" dev "$nc"
  ip -n "$nd" addr add "$server/24" dev "$nd"
  ip -n "$nc" link set "$nc" up
  ip -n "$nd" link set "$nd" up
  ip netns exec "$nd" "${on_switch[@]}" dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file= \
    --no-resolv --no-hosts --no-poll --user=nobody --group=nogroup --log-facility=- \
    --listen-address="$server" --bind-interfaces --port=53 --cache-size=150 --local=/svc.vireo/ \
    --host-record="$name,$vip" --srv-host="$srv_name,$name,$svc_port,0,1" --local-ttl=5 >"$log" 2>&1 </dev/null 9>&- &
  pids+=($!)
  wait_until 10 eval "dnsmasq_listening || ! alive $!" || true
  dnsmasq_listening || die "dnsmasq did not listen on $server:53: $(tail -3 "$log")"
}

vireo_up() {
  run="$(mktemp -d "$out/run.XXXXXX")"
  VIREO_NO_BUILD=1 "${on_switch[@]}" "$VIREO_ROOT/scripts/vireod" --run-dir "$run" --idle "$idle" --metrics off \
    >"$out/$topology.$rep.vireod.log" 2>&1 </dev/null 9>&- &
  pids+=($!)
  wait_until 60 eval "grep -q 'vireod: ready' '$out/$topology.$rep.vireod.log' || ! alive $!" || true
  grep -q 'vireod: ready' "$out/$topology.$rep.vireod.log" ||
    die "vireod did not start: $(tail -3 "$out/$topology.$rep.vireod.log")"
  netns "$nc"
}
vctl() { VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireoctl" --run-dir "$run" "$@" </dev/null 9>&-; }
ctl() {
  local msg
  msg="$(vctl "$@" 2>&1)" || die "vireoctl $*: $msg"
}

# The backends are namespaces on b2, each with a socket listening on port 80 that never accepts (r1's
# health probes, a SYN every 2 s, are answered by the kernel's SYN/ACK and reset by r1; a port that
# answers with a reset would take the backend out of selection), so the service is healthy as in use.
backend_listening() { ip netns exec "$1" ss -ltnH "sport = :$svc_port" | grep -q .; }
topology_vireo() {
  local i
  vireo_up
  ctl bridge add b1
  ctl bridge add b2
  ctl port add b1 "$nc" --netns "$nc" --ip "$ip_c/24"
  for i in 0 1 2; do
    netns "${nss[$i]}"
    ctl port add b2 "${nss[$i]}" --netns "${nss[$i]}" --ip "${backends[$i]}/24"
    ip -n "${nss[$i]}" route add default via "$gw_b"
    ip netns exec "${nss[$i]}" python3 -c 'import signal, socket, sys
s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64); signal.pause()' \
      "${backends[$i]}" "$svc_port" </dev/null 9>&- &
    pids+=($!)
    wait_until 5 backend_listening "${nss[$i]}" || die "no listener on port $svc_port in ${nss[$i]}"
  done
  ctl router add r1
  ctl router attach r1 b1 --ip "$server/24"
  ctl router attach r1 b2 --ip "$gw_b/24"
  ctl service add r1 web --vip "$vip:$svc_port" --proto tcp --algorithm rr
  for i in 0 1 2; do ctl service backend add r1 web "${backends[$i]}:$svc_port"; done
  wait_until 30 vireo_all_up || die "$topology: not every backend of r1's service web is up (see vireoctl service list r1)"
}
vireo_all_up() {
  vctl service list r1 --json 2>/dev/null | python3 -c 'import json, sys
sys.exit(not all(b["state"] == "up" for s in json.load(sys.stdin)["services"] for b in s["backends"]))'
}

# --- measurements

# ask NAME TYPE: one query from C (dig, no recursion); its output into the logs; prints
# "<status> <answers of TYPE, as TYPE:RDATA, comma-separated, or ->".
ask() {
  local log="$out/$topology.$rep.dig.$1.$2.txt"
  ip netns exec "$nc" dig +norec +time=1 +tries=1 -p 53 "@$server" "$1" "$2" >"$log" 2>&1 9>&- || true
  awk -v t="$2" '
    /->>HEADER<<-/ { sub(/.*status: /, ""); sub(/,.*/, ""); status = $0 }
    /^;; ANSWER SECTION:/ { answer = 1; next }
    /^$/ { answer = 0 }
    answer && $4 == t { r = $4; for (i = 5; i <= NF; i++) r = r (i == 5 ? ":" : " ") $i; rr = rr (rr ? "," : "") r }
    END { print (status ? status : "no-answer"), (rr ? rr : "-") }' "$log"
}

# check_answers: the four names of the query files answer as they should; stops the run otherwise.
check_answers() {
  local got want q
  for q in "$name A|NOERROR A:$vip" "$name AAAA|NOERROR -" "nosuch.svc.vireo A|NXDOMAIN -"; do
    want="${q#*|}"
    # shellcheck disable=SC2086 # NAME TYPE
    got="$(ask ${q%|*})"
    [ "$got" = "$want" ] || die "$topology: ${q%|*} answered \"$got\", expected \"$want\" (see $out/$topology.$rep.dig.*)"
  done
  got="$(ask "$srv_name" SRV)"
  [[ "$got" =~ ^NOERROR\ SRV:[0-9]+\ [0-9]+\ $svc_port\ $name\.$ ]] ||
    die "$topology: $srv_name SRV answered \"$got\", expected NOERROR and one SRV record to $name. port $svc_port (--srv-name sets the name asked)"
}

# dnsperf_run SET: dnsperf from C for $seconds; prints "<queries/s> <average latency ms> <lost> <codes>".
dnsperf_run() {
  local set="$1" log="$out/$topology.$rep.dnsperf.$1.txt" rc=0
  ip netns exec "$nc" "${on_tools[@]}" dnsperf -s "$server" -p 53 -d "$out/queries.$set.txt" -l "$seconds" \
    -q "$outstanding" >"$log" 2>&1 9>&- || rc=$?
  [ "$rc" = 0 ] || die "$topology: dnsperf failed (exit $rc): $(tail -3 "$log")"
  python3 - "$log" "${nxdomain_pct[$set]}" <<'EOF'
import re, sys
text, nx_want = open(sys.argv[1]).read(), float(sys.argv[2])
def field(pattern):
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"dns-bench: no /{pattern}/ in {sys.argv[1]}")
    return m.group(1)
qps, latency, lost = float(field(r"Queries per second:\s+([0-9.]+)")), float(field(r"Average Latency \(s\):\s+([0-9.]+)")), field(r"Queries lost:\s+(\d+)")
codes = dict((c, int(n)) for c, n in re.findall(r"([A-Z]+) (\d+) \([0-9.]+%\)", field(r"Response codes:\s+(.*)")))
total = sum(codes.values())
odd = {c: n for c, n in codes.items() if c not in ("NOERROR", "NXDOMAIN")}
if odd or not total or abs(100 * codes.get("NXDOMAIN", 0) / total - nx_want) > 1:
    sys.exit(f"dns-bench: response codes {codes}, expected NOERROR and {nx_want:.0f} % NXDOMAIN ({sys.argv[1]})")
print("%.0f %.3f %s %s" % (qps, latency * 1e3, lost, ",".join(f"{c}={n}" for c, n in sorted(codes.items()))))
EOF
}

declare -A qps lat noise
for rep in $(seq 1 "$reps"); do
  for topology in $topologies; do
    stage="$topology rep $rep: waiting for $BENCH_LOCK"
    bench_lock
    stage="$topology rep $rep: setup"
    "topology_$topology"
    wait_until 30 eval "[ \"\$(ask $name A)\" = 'NOERROR A:$vip' ]" ||
      die "$topology: no answer to $name A from $server:53 within 30 s: $(ask "$name" A) (see $out/$topology.$rep.dig.*)$(
        [ "$topology" != vireo ] || echo "; does this build's router answer DNS for its services?")"
    check_answers
    stage="$topology rep $rep: measuring"
    python3 "$VIREO_ROOT/benches/othercpu.py" start $$ "$out/othercpu.json"
    line="$topology rep $rep:"
    for s in $sets; do
      r="$(dnsperf_run "$s")"
      read -r q l lost codes <<<"$r"
      line+=" $s $q queries/s, latency $l ms (lost $lost; $codes);"
      qps[$topology.$s]+="$q " lat[$topology.$s]+="$l "
    done
    o="$(python3 "$VIREO_ROOT/benches/othercpu.py" stop $$ "$out/othercpu.json")"
    noise[$topology]+="$o "
    line+=" other processes $o % of a core"
    [ -z "$run" ] || vctl service list r1 --json >"$out/$topology.$rep.services.json" 2>&1 || line+=", (vireoctl service list failed)"
    echo "$line"
    stage="$topology rep $rep: teardown"
    teardown
    left="$(leftovers)"
    [ -z "$left" ] || die "$topology rep $rep left behind: $left"
    bench_unlock
  done
done
stage="summary"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
spread() { echo "$(median_of "$@") ($(printf '%s\n' "$@" | grep . | sort -g | sed -n '1p;$p' | paste -sd-))"; }
echo
f='%-10s %-5s %26s %26s %20s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$f" topology set "queries/s" "average latency ms" "other % of a core"
# shellcheck disable=SC2086,SC2059 # the lists are words
for t in $topologies; do
  for s in $sets; do
    printf "$f" "$t" "$s" "$(spread ${qps[$t.$s]})" "$(spread ${lat[$t.$s]})" "$(spread ${noise[$t]})"
  done
done
# shellcheck disable=SC2086
if [[ " $topologies " == *" vireo "* && " $topologies " == *" dnsmasq "* ]]; then
  for s in $sets; do
    echo "vireo / dnsmasq, $s: queries/s $(ratio "$(median_of ${qps[vireo.$s]})" "$(median_of ${qps[dnsmasq.$s]})")x," \
      "latency $(ratio "$(median_of ${lat[vireo.$s]})" "$(median_of ${lat[dnsmasq.$s]})")x"
  done
fi
echo "(median (min-max) of $reps; dnsperf over UDP for $seconds s per query set, $outstanding queries in flight, on CPU" \
  "$tools_cpu; vireod --idle $idle and dnsmasq on CPU $switch_cpu; $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r);" \
  "logs in $out)"
