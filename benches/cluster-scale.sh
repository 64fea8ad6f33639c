#!/usr/bin/env bash
# cluster-scale.sh: one real Vireo cluster node against many simulated ones (issue 16, "scale by simulation").
# In a network namespace of its own (lo; a dummy interface, or a veth, with the real node's underlay 10.99.0.1/32),
# an etcd (/usr/bin/etcd, one member on 127.0.0.1 inside the namespace, its data on /dev/shm) holding one cluster
# network, sim (VNI 4242, 100.64.0.0/10), and one real `scripts/vireod --cluster ... --node real --underlay
# 10.99.0.1 --metrics off --no-port-keeper`. For each count N of --nodes, under /tmp/vireo-bench.lock, with a
# fresh etcd:
#   live   vireod is up and has converged on the empty cluster (the network's bridge, no peer); ClusterSimulator
#          (benches/src/main/java/io/vireo/benches/cluster) writes N members and N x E endpoints (E: --endpoints)
#          under N leases, in transactions of --txn-ops puts (default 128, etcd's default limit; etcd is started
#          with that limit) from --writers threads. Measured: from the first write to
#          the node's /v1/cluster (what `vireoctl cluster status --json` prints) showing networks[0] with
#          remoteEndpoints = N x E and peers = N, polled every 100 ms; the simulator's puts/s; the watch events
#          the node absorbed per second over that time (its watch_events counter);
#   memory vireod's VmRSS, and its heap used after a full GC (jcmd GC.run, then GC.heap_info): at N and before
#          the writes (the empty cluster), so the growth per endpoint is (heap(N) - heap(empty)) / (N x E);
#   cold   vireod is stopped and started again with the store full: from the process's start to
#          "vireod: ready" and to convergence; its memory after. Before it, the simulator reads the whole store
#          once by itself (EtcdClient.range, a fresh JVM): what a node's first read costs, without the node;
#   catch-up  with a fresh etcd again, vireod converged on the empty cluster is stopped (SIGSTOP) while the
#          simulator writes the same, then continued: from SIGCONT to convergence, and the events/s that is: what
#          the node takes in when the writer is not what limits it (in the live run the node keeps up with the
#          writer, so its rate there is the writer's).
# vireod runs with --lease-seconds 60, so that its own lease outlives the stop.
# Prints each rep, then the medians (min-max) over --reps as two tables: the figures, and the details (how long
# after the last write the node converged; the CPU time vireod, etcd and the simulator's writes used over the
# live run; the store read alone; memory of the empty cluster and after the cold start), and the heap's growth
# per endpoint between the two largest N. The control socket is polled by a small Python client (a JVM per poll, as vireoctl is, would
# take one of the two cores); `vireoctl cluster status --json` is run once per N, after, to check it agrees.
#   benches/cluster-scale.sh [--nodes 10,100,1000] [--endpoints 100] [--reps 3] [--writers 2] [--txn-ops 128]
#                            [--keep] [--jfr]
# Removes everything it made on exit (processes by pid, its namespace, its temp dirs; --keep keeps the logs;
# --jfr records vireod with Java Flight Recorder, from the first write to convergence and from a cold start to
# convergence, into live.jfr and cold.jfr beside the logs, with the CPU ms each thread used then in
# live-threads.txt and cold-threads.txt, and the heap's classes after convergence in live-histogram.txt).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"

nodes_list=10,100,1000 endpoints=100 reps=3 writers=2 txn_ops=128 keep="" jfr=""
die() { echo "cluster-scale: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes_list="${2:-}"; shift 2 || die "--nodes takes a value" ;;
    --endpoints) endpoints="${2:-}"; shift 2 || die "--endpoints takes a value" ;;
    --reps) reps="${2:-}"; shift 2 || die "--reps takes a value" ;;
    --writers) writers="${2:-}"; shift 2 || die "--writers takes a value" ;;
    --txn-ops) txn_ops="${2:-}"; shift 2 || die "--txn-ops takes a value" ;;
    --keep) keep=1; shift ;;
    --jfr) jfr=1 keep=1; shift ;;
    -h | --help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "cluster-scale: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$nodes_list" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--nodes: counts separated by commas, e.g. 10,100,1000"
[[ "$endpoints" =~ ^[0-9]+$ ]] || die "--endpoints takes a whole number"
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || die "--reps takes a whole number above 0"
[[ "$writers" =~ ^[1-9][0-9]*$ ]] || die "--writers takes a whole number above 0"
[[ "$txn_ops" =~ ^[1-9][0-9]*$ ]] || die "--txn-ops takes a whole number above 0"
[ "$(id -u)" -eq 0 ] || die "run as root"
[ -x /usr/bin/etcd ] || die "no /usr/bin/etcd (apt-get install etcd-server)"
command -v jcmd >/dev/null || die "no jcmd (a JDK's)"

# The simulator: the benches jar, which holds the cluster module too.
bench_jar="$VIREO_ROOT/benches/target/benchmarks.jar"
if [ -z "${VIREO_NO_BUILD:-}" ] || [ ! -f "$bench_jar" ]; then
  if [ ! -f "$bench_jar" ] || [ -n "$(find "$VIREO_ROOT" -path "$VIREO_ROOT/.git" -prune -o \
      \( -path '*/src/main/*' -o -name pom.xml \) -newer "$bench_jar" -print -quit)" ]; then
    echo "cluster-scale: building $bench_jar ..." >&2
    (cd "$VIREO_ROOT" && { mvn -B -ntp -q -o -pl benches -am package -DskipTests 2>/dev/null ||
      mvn -B -ntp -q -pl benches -am package -DskipTests; }) >&2
  fi
fi
vireo_ensure_jar

ns="vcs$$"
underlay=10.99.0.1
network=sim vni=4242 subnet=100.64.0.0/10
etcd_url=http://127.0.0.1:23791
work="$(mktemp -d /tmp/cluster-scale.XXXXXX)"
shm=/dev/shm
[ -d "$shm" ] || shm=/tmp
data="$(mktemp -d "$shm/cluster-scale.XXXXXX")"
run="$work/run"
etcd_pid="" vireod_pid="" made_ns=""

# stop PID: SIGTERM, 20 s, then SIGKILL; waits for it (our child).
stop() {
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_until 20 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_vireod() { stop "$vireod_pid"; vireod_pid=""; }
stop_etcd() { stop "$etcd_pid"; etcd_pid=""; }
cleanup() {
  stop_vireod
  stop_etcd
  [ -z "$made_ns" ] || ip netns del "$ns" 2>/dev/null || true
  rm -rf "$data"
  if [ -n "$keep" ]; then echo "cluster-scale: logs in $work" >&2; else rm -rf "$work"; fi
  bench_unlock
}
trap cleanup EXIT
trap 'echo "cluster-scale: interrupted; removing what it made" >&2; exit 130' INT TERM

ip netns add "$ns"
made_ns=1
ip -n "$ns" link set lo up
# a dummy interface; where the kernel has no dummy driver, one end of a veth pair whose other end is in the
# namespace too (nothing is sent on it either way)
ip -n "$ns" link add vtep0 type dummy 2>/dev/null || ip -n "$ns" link add vtep0 type veth peer name vtep1
ip -n "$ns" addr add "$underlay/32" dev vtep0
ip -n "$ns" link set vtep0 up

# The status poller: GET /v1/cluster on the control socket every 100 ms (as vireoctl does, without a JVM a
# poll); prints "converged EPOCH_MS WATCH_EVENTS" when networks[0] has REMOTE remote endpoints and PEERS peers,
# "timeout" after SECONDS.
cat >"$work/poll.py" <<'EOF'
import http.client, json, socket, sys, time
path, remote, peers, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
class Unix(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)
def status():
    c = Unix("localhost")
    try:
        c.request("GET", "/v1/cluster")
        r = c.getresponse()
        return json.loads(r.read()) if r.status == 200 else None
    finally:
        c.close()
deadline = time.time() + seconds
while time.time() < deadline:
    try:
        s = status()
    except (OSError, http.client.HTTPException, ValueError):
        s = None
    now = time.time()
    if s and s.get("storeUp") and s["networks"] and s["networks"][0]["remoteEndpoints"] == remote \
            and s["networks"][0]["peers"] == peers:
        print("converged %d %d" % (now * 1000, s["counters"]["watch_events"]), flush=True)
        sys.exit(0)
    time.sleep(max(0, 0.1 - (time.time() - now)))
print("timeout", flush=True)
sys.exit(1)
EOF
poll() { python3 "$work/poll.py" "$run/vireo.sock" "$@" 9>&-; }

start_etcd() {
  rm -rf "$data/etcd"
  ip netns exec "$ns" /usr/bin/etcd --name scale --data-dir "$data/etcd" \
    --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
    --listen-peer-urls http://127.0.0.1:23801 --initial-advertise-peer-urls http://127.0.0.1:23801 \
    --initial-cluster scale=http://127.0.0.1:23801 --initial-cluster-token "vireo-cluster-scale-$$" \
    --max-txn-ops "$txn_ops" \
    --logger zap --log-outputs stderr >"$1" 2>&1 </dev/null 9>&- &
  etcd_pid=$!
  wait_until 60 ip netns exec "$ns" curl -sf "$etcd_url/health" || die "etcd not healthy after 60 s: $(tail -3 "$1")"
}

# start_vireod LOG: vireod in the namespace; sets vireod_pid and started_ms (the wall clock just before).
start_vireod() {
  mkdir -p "$run"
  : >"$1"
  started_ms="$(date +%s%3N)"
  VIREO_NO_BUILD=1 ip netns exec "$ns" "$VIREO_ROOT/scripts/vireod" --run-dir "$run" --metrics off --no-port-keeper \
    --cluster "$etcd_url" --node real --underlay "$underlay" --lease-seconds 60 >"$1" 2>&1 </dev/null 9>&- &
  vireod_pid=$!
}

# wait_ready LOG: prints the ms from started_ms to the "vireod: ready" line (seen by polling the log).
wait_ready() {
  local deadline=$((SECONDS + 120))
  until grep -q 'vireod: ready' "$1"; do
    alive "$vireod_pid" || die "vireod exited: $(tail -3 "$1")"
    [ "$SECONDS" -lt "$deadline" ] || die "vireod not ready after 120 s"
    sleep 0.02
  done
  echo $(($(date +%s%3N) - started_ms))
}

# cpu PID: the user + system CPU time the process has used, in ms.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

# thread_cpu PID: "TID NAME MS" per thread of the process, its CPU time so far (--jfr: where vireod's went).
thread_cpu() {
  local task
  for task in /proc/"$1"/task/*; do
    awk -v hz="$(getconf CLK_TCK)" -v tid="${task##*/}" -v name="$(tr ' ' _ <"$task/comm")" \
      '{ sub(/^.*\) /, ""); print tid, name, int(($12 + $13) * 1000 / hz) }' "$task/stat" 2>/dev/null || true
  done
}
# thread_cpu_diff BEFORE AFTER: per thread name, the ms used between the two, most first.
thread_cpu_diff() {
  awk 'NR == FNR { before[$1] = $3; next } { used[$2] += $3 - before[$1] } END { for (n in used) if (used[n] > 0) print used[n], n }' \
    "$1" "$2" | sort -rn
}

# memory: "RSS_MB HEAP_MB" of vireod: VmRSS, and the heap used after a full GC.
memory() {
  local rss heap
  jcmd "$vireod_pid" GC.run >/dev/null 9>&-
  heap="$(jcmd "$vireod_pid" GC.heap_info 9>&- | awk '/ heap .*used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?$/, "", v); print v; exit } }')"
  rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$vireod_pid/status")"
  awk -v r="$rss" -v h="$heap" 'BEGIN { printf "%.1f %.1f\n", r / 1024, h / 1024 }'
}

simulator() { ip netns exec "$ns" "$VIREO_JAVA" -cp "$bench_jar" io.vireo.benches.cluster.ClusterSimulator "$@" 9>&-; }
value() { sed -n "s/^result $1 //p" "$2"; }

results="$work/results.tsv"
: >"$results"
IFS=, read -ra counts <<<"$nodes_list"
for rep in $(seq 1 "$reps"); do
  for n in "${counts[@]}"; do
    total=$((n * endpoints))
    dir="$work/rep$rep-n$n"
    mkdir -p "$dir"
    bench_lock
    start_etcd "$dir/etcd.log"
    simulator network "$etcd_url" "$network" "$vni" "$subnet" >"$dir/network.out"

    # live: a node converged on the empty cluster takes N nodes' writes
    start_vireod "$dir/vireod-live.log"
    wait_ready "$dir/vireod-live.log" >/dev/null
    poll 0 0 60 >"$dir/empty.out" || die "vireod did not show network $network: $(tail -3 "$dir/vireod-live.log")"
    read -r _ _ events0 <"$dir/empty.out"
    read -r rss0 heap0 <<<"$(memory)"
    # the simulator starts, grants the leases and warms up, then waits: the CPU times and the recording start
    # just before its first timed write
    coproc writer { VIREO_SIMULATOR_WAIT=1 simulator write "$etcd_url" "$network" "$subnet" "$n" "$endpoints" "$writers" 600 "$txn_ops"; }
    writer_pid=$writer_PID
    read -r line <&"${writer[0]}" && [ "$line" = waiting ] || die "the simulator failed (it said: $line)"
    [ -z "$jfr" ] || { jcmd "$vireod_pid" JFR.start name=live settings=profile 9>&- >/dev/null
      thread_cpu "$vireod_pid" >"$dir/threads-before.txt"; }
    vireod_cpu0="$(cpu "$vireod_pid")" etcd_cpu0="$(cpu "$etcd_pid")"
    poll "$total" "$n" 600 >"$dir/live.out" &
    poller=$!
    echo go >&"${writer[1]}"
    cat <&"${writer[0]}" >"$dir/write.out"
    wait "$writer_pid" || { kill "$poller" 2>/dev/null; die "the simulator failed; see $dir"; }
    wait "$poller" || die "N=$n: no convergence within 600 s: $(cat "$dir/live.out")"
    read -r _ converged_ms events <"$dir/live.out"
    vireod_cpu=$(($(cpu "$vireod_pid") - vireod_cpu0)) etcd_cpu=$(($(cpu "$etcd_pid") - etcd_cpu0))
    [ -z "$jfr" ] || { jcmd "$vireod_pid" JFR.stop name=live filename="$dir/live.jfr" 9>&- >/dev/null
      thread_cpu "$vireod_pid" >"$dir/threads-after.txt"
      thread_cpu_diff "$dir/threads-before.txt" "$dir/threads-after.txt" >"$dir/live-threads.txt"; }
    lag_s="$(awk -v a="$converged_ms" -v b="$(value last_write_ms "$dir/write.out")" 'BEGIN { printf "%.2f", (a - b) / 1000 }')"
    first_ms="$(value first_write_ms "$dir/write.out")"
    live_s="$(awk -v a="$converged_ms" -v b="$first_ms" 'BEGIN { printf "%.2f", (a - b) / 1000 }')"
    write_rate="$(value puts_per_s "$dir/write.out")"
    events_rate="$(awk -v e="$((events - events0))" -v s="$live_s" 'BEGIN { printf "%d", e / s }')"
    read -r rss heap <<<"$(memory)"
    [ -z "$jfr" ] || jcmd "$vireod_pid" GC.class_histogram 9>&- >"$dir/live-histogram.txt"
    VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireoctl" --run-dir "$run" cluster status --json 9>&- >"$dir/status.json"
    jq -e --argjson r "$total" --argjson p "$n" \
      '.networks[0].remoteEndpoints == $r and .networks[0].peers == $p and .counters.switch_failures == 0' \
      "$dir/status.json" >/dev/null || die "N=$n: vireoctl cluster status disagrees: see $dir/status.json"
    stop_vireod
    simulator range "$etcd_url" >"$dir/range.out"
    range_s="$(value range_s "$dir/range.out")"

    # cold: the store holds everything when vireod starts
    [ -z "$jfr" ] || export JAVA_TOOL_OPTIONS="-XX:StartFlightRecording=name=cold,settings=profile"
    start_vireod "$dir/vireod-cold.log"
    unset JAVA_TOOL_OPTIONS
    ready_ms="$(wait_ready "$dir/vireod-cold.log")"
    poll "$total" "$n" 600 >"$dir/cold.out" || die "N=$n: no convergence after a cold start within 600 s"
    read -r _ cold_ms _ <"$dir/cold.out"
    [ -z "$jfr" ] || { jcmd "$vireod_pid" JFR.stop name=cold filename="$dir/cold.jfr" 9>&- >/dev/null
      thread_cpu "$vireod_pid" | awk '{ print $3, $2 }' | sort -rn >"$dir/cold-threads.txt"; }
    cold_ready_s="$(awk -v a="$ready_ms" 'BEGIN { printf "%.2f", a / 1000 }')"
    cold_s="$(awk -v a="$cold_ms" -v b="$started_ms" 'BEGIN { printf "%.2f", (a - b) / 1000 }')"
    read -r cold_rss cold_heap <<<"$(memory)"
    stop_vireod
    stop_etcd

    # catch-up: a fresh store; vireod converged on the empty cluster is stopped (SIGSTOP) while the simulator
    # writes, and continued (SIGCONT): from then to convergence it takes in the writes as fast as it can
    start_etcd "$dir/etcd-catchup.log"
    simulator network "$etcd_url" "$network" "$vni" "$subnet" >/dev/null
    start_vireod "$dir/vireod-catchup.log"
    wait_ready "$dir/vireod-catchup.log" >/dev/null
    poll 0 0 60 >"$dir/catchup-empty.out" || die "vireod did not show network $network: $(tail -3 "$dir/vireod-catchup.log")"
    read -r _ _ catchup_events0 <"$dir/catchup-empty.out"
    coproc writer { VIREO_SIMULATOR_WAIT=1 simulator write "$etcd_url" "$network" "$subnet" "$n" "$endpoints" "$writers" 600 "$txn_ops"; }
    writer_pid=$writer_PID
    read -r line <&"${writer[0]}" && [ "$line" = waiting ] || die "the simulator failed (it said: $line)"
    kill -STOP "$vireod_pid"
    echo go >&"${writer[1]}"
    cat <&"${writer[0]}" >"$dir/write-catchup.out"
    wait "$writer_pid" || { kill -CONT "$vireod_pid"; die "the simulator failed; see $dir"; }
    vireod_cpu0="$(cpu "$vireod_pid")"
    continued_ms="$(date +%s%3N)"
    kill -CONT "$vireod_pid"
    poll "$total" "$n" 600 >"$dir/catchup.out" || die "N=$n: no convergence after SIGCONT within 600 s"
    read -r _ caught_ms catchup_events <"$dir/catchup.out"
    catchup_cpu=$(($(cpu "$vireod_pid") - vireod_cpu0))
    catchup_s="$(awk -v a="$caught_ms" -v b="$continued_ms" 'BEGIN { printf "%.2f", (a - b) / 1000 }')"
    catchup_rate="$(awk -v e="$((catchup_events - catchup_events0))" -v s="$catchup_s" 'BEGIN { printf "%d", e / s }')"
    stop_vireod
    stop_etcd
    bench_unlock

    fields=(rep "$rep" n "$n" endpoints "$total" live_s "$live_s" write_rate "$write_rate" events_rate "$events_rate"
      cold_ready_s "$cold_ready_s" cold_s "$cold_s" rss "$rss" heap "$heap" rss0 "$rss0" heap0 "$heap0"
      cold_rss "$cold_rss" cold_heap "$cold_heap" lag_s "$lag_s" range_s "$range_s" sim_cpu_s "$(value cpu_s "$dir/write.out")"
      vireod_cpu_s "$(awk -v ms="$vireod_cpu" 'BEGIN { printf "%.2f", ms / 1000 }')"
      etcd_cpu_s "$(awk -v ms="$etcd_cpu" 'BEGIN { printf "%.2f", ms / 1000 }')"
      catchup_s "$catchup_s" catchup_rate "$catchup_rate" catchup_cpu_s "$(awk -v ms="$catchup_cpu" 'BEGIN { printf "%.2f", ms / 1000 }')"
      catchup_write_rate "$(value puts_per_s "$dir/write-catchup.out")")
    printf '%s=%s ' "${fields[@]}" >>"$results"
    echo >>"$results"
    echo "rep $rep, N=$n ($total endpoints): live converge ${live_s} s (writes ${write_rate}/s, converged ${lag_s} s" \
      "after the last write, absorbed ${events_rate} events/s; CPU meanwhile: vireod ${vireod_cpu} ms, etcd ${etcd_cpu} ms); store read alone ${range_s} s;" \
      "cold ready ${cold_ready_s} s, converge ${cold_s} s; RSS ${rss} MB, heap ${heap} MB" \
      "(empty cluster: ${rss0}, ${heap0}; after the cold start: ${cold_rss}, ${cold_heap}); catch-up ${catchup_s} s" \
      "(${catchup_rate} events/s, vireod CPU ${catchup_cpu} ms)"
  done
done

echo
python3 - "$results" <<'EOF'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    fields = dict(field.split("=", 1) for field in line.split())
    rows[int(fields["n"])].append({k: float(v) for k, v in fields.items()})
def med(values, key):
    return statistics.median(v[key] for v in values)
def spread(values, key, fmt):
    m = med(values, key)
    if len(values) == 1:
        return fmt % m
    return (fmt % m) + " (" + (fmt % min(v[key] for v in values)) + "-" + (fmt % max(v[key] for v in values)) + ")"
print("| nodes N | endpoints | live converge s | write rate puts/s | events/s absorbed | cold: ready s | cold: converge s | RSS MB | heap MB |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in sorted(rows):
    v = rows[n]
    print("| %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (n, med(v, "endpoints"), spread(v, "live_s", "%.2f"),
        spread(v, "write_rate", "%.0f"), spread(v, "events_rate", "%.0f"), spread(v, "cold_ready_s", "%.2f"),
        spread(v, "cold_s", "%.2f"), spread(v, "rss", "%.0f"), spread(v, "heap", "%.1f")))
print()
print("| nodes N | catch-up s | catch-up events/s | catch-up: vireod CPU s | live: converged after the last write s | "
      "live CPU s: vireod | etcd | simulator | store read alone s | heap, empty cluster MB | RSS, empty cluster MB | "
      "after the cold start: RSS MB, heap MB |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in sorted(rows):
    v = rows[n]
    print("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %.0f | %.0f, %.1f |" % (n, spread(v, "catchup_s", "%.2f"),
        spread(v, "catchup_rate", "%.0f"), spread(v, "catchup_cpu_s", "%.1f"), spread(v, "lag_s", "%.2f"),
        spread(v, "vireod_cpu_s", "%.1f"), spread(v, "etcd_cpu_s", "%.1f"), spread(v, "sim_cpu_s", "%.1f"),
        spread(v, "range_s", "%.2f"),
        med(v, "heap0"), med(v, "rss0"), med(v, "cold_rss"), med(v, "cold_heap")))
ns = sorted(rows)
if len(ns) >= 2:
    a, b = ns[-2], ns[-1]
    ea, eb = med(rows[a], "endpoints"), med(rows[b], "endpoints")
    if eb > ea:
        heap = (med(rows[b], "heap") - med(rows[a], "heap")) * 1048576 / (eb - ea)
        rss = (med(rows[b], "rss") - med(rows[a], "rss")) * 1048576 / (eb - ea)
        print()
        print("growth from N=%d to N=%d (medians): heap %.0f bytes per endpoint, RSS %.0f bytes per endpoint" % (a, b, heap, rss))
EOF
echo "(writes: $writers threads, $txn_ops puts a transaction; $(date +%F), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(uname -r)," \
  "$("$VIREO_JAVA" -version 2>&1 | head -1), etcd $(/usr/bin/etcd --version | sed -n 's/^etcd Version: //p'))"
