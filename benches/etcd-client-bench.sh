#!/usr/bin/env bash
# etcd client benchmark (issue 16): Vireo's EtcdClient (etcd's gRPC-JSON gateway through the JDK's HttpClient
# and Jackson; cluster/src/main/java/io/vireo/cluster/etcd) against io.etcd:jetcd-core 0.8.5 (gRPC, Netty 4.1,
# Vert.x), both driven by benches/etcd-client (a Maven project of its own, outside the reactor, which compiles
# the gateway client in from its sources). Per rep and client (the order alternates between reps), holding
# /tmp/vireo-bench.lock from etcd's start to its stop:
#   etcd       a fresh /usr/bin/etcd (Debian's 3.4.23), one member on free loopback ports, its data dir in a
#              directory of its own under --data-base (default /dev/shm, a tmpfs: the disk's fsyncs, and other
#              work's I/O, would otherwise drown the clients' differences; --data-base /tmp puts it on disk),
#              removed after; started here and stopped by its pid;
#   load       --range-keys keys /bench/range/%06d with 100-byte values (transactions of 100 puts);
#   first get  --first-gets fresh JVMs, each: ms from the JVM's start (RuntimeMXBean) to the answer of the
#              client's first get (building the client included), and the classes loaded by then;
#   put        1000 puts to warm up, then --puts sequential puts (100-byte values): p50 and p99 latency;
#   create     --puts creates (a transaction: create_revision == 0, then put) of fresh keys, one thread: per
#              second; then the same count from 4 threads at once;
#   range      every key under /bench/range/, in pages of 5000 at the first page's revision (jetcd made to
#              page the same way): median of 5 (after one to warm up); the heap the result holds (used heap
#              after GC, with and without it) and the bytes allocated on all threads while reading it;
#   watch      live: a writer (the JDK's HTTP client, the same for both) puts --watch-keys keys in
#              transactions of 100 while the client's watch counts: events/s from the first write to the
#              last event, the writer's own rate, and the watch's lag when the writer finished; catch-up: a
#              second watch from the same start revision reads that history: events/s;
#   deps       the bytes each client adds to the switch's jar: the gateway client's classes (no jar: Jackson
#              is there already); jetcd's runtime jars other than Jackson's (Netty 4.1 among them, which
#              cannot share one shaded jar with the switch's Netty 4.2 without relocation).
# The client JVMs run with -Xmx1g and no CPU pinning unless --client-cpu/--etcd-cpu say (taskset -c syntax).
#   benches/etcd-client-bench.sh [--reps 3] [--clients "gateway jetcd"] [--puts 5000] [--range-keys 100000]
#                                [--watch-keys 100000] [--first-gets 5] [--client-cpu any] [--etcd-cpu any]
#                                [--data-base /dev/shm]
# Prints the medians over reps as a table, and keeps the logs (each JVM's output, etcd's logs) in a directory
# it names.
set -eEuo pipefail
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"

reps=3 clients="gateway jetcd" puts=5000 range_keys=100000 watch_keys=100000 first_gets=5 client_cpu=any etcd_cpu=any
data_base=/dev/shm
[ -d "$data_base" ] || data_base=/tmp
die() { echo "etcd-client-bench: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="${2:-}"; shift 2 || die "--reps takes a value" ;;
    --clients) clients="${2:-}"; shift 2 || die "--clients takes a value" ;;
    --puts) puts="${2:-}"; shift 2 || die "--puts takes a value" ;;
    --range-keys) range_keys="${2:-}"; shift 2 || die "--range-keys takes a value" ;;
    --watch-keys) watch_keys="${2:-}"; shift 2 || die "--watch-keys takes a value" ;;
    --first-gets) first_gets="${2:-}"; shift 2 || die "--first-gets takes a value" ;;
    --client-cpu) client_cpu="${2:-}"; shift 2 || die "--client-cpu takes a value" ;;
    --etcd-cpu) etcd_cpu="${2:-}"; shift 2 || die "--etcd-cpu takes a value" ;;
    --data-base) data_base="${2:-}"; shift 2 || die "--data-base takes a value" ;;
    *) die "unknown argument $1" ;;
  esac
done
for c in $clients; do [ "$c" = gateway ] || [ "$c" = jetcd ] || die "client: gateway or jetcd, not $c"; done
[ -x /usr/bin/etcd ] || die "no /usr/bin/etcd (apt-get install etcd-server)"
command -v curl >/dev/null || die "no curl"

bench="$VIREO_ROOT/benches/etcd-client"
echo "etcd-client-bench: building $bench ..." >&2
# offline when everything is in ~/.m2; the first time, jetcd's dependencies come from Maven Central
(cd "$bench" && { mvn -B -ntp -q -o package dependency:copy-dependencies -DoutputDirectory=target/deps \
  -DincludeScope=runtime 2>/dev/null || mvn -B -ntp -q package dependency:copy-dependencies \
  -DoutputDirectory=target/deps -DincludeScope=runtime; }) >&2

declare -A classpath
classpath[gateway]="$bench/target/classes:$(ls "$bench"/target/deps/jackson-*.jar | paste -sd:)"
classpath[jetcd]="$bench/target/classes:$bench/target/deps/*"
pin() { if [ "$1" = any ]; then shift; "$@"; else local cpu="$1"; shift; taskset -c "$cpu" "$@"; fi; }

run_dir="$(mktemp -d /tmp/vireo-etcd-client-bench.XXXXXX)"
data_dir="$(mktemp -d "$data_base/vireo-etcd-client-bench.XXXXXX")"
results="$run_dir/results.txt"
: >"$results"
etcd_pid=""

stop_etcd() {
  [ -n "$etcd_pid" ] || return 0
  kill -TERM "$etcd_pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while alive "$etcd_pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  kill -KILL "$etcd_pid" 2>/dev/null || true
  wait "$etcd_pid" 2>/dev/null || true
  etcd_pid=""
}
cleanup() {
  stop_etcd
  rm -rf "$data_dir"
  bench_unlock
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_etcd DIR DATA: a fresh one-member etcd with its data in DATA, its log in DIR; sets endpoint and etcd_pid.
start_etcd() {
  local dir="$1" data="$2" client_port peer_port
  mkdir -p "$dir"
  client_port="$(free_port)" peer_port="$(free_port)"
  while [ "$peer_port" = "$client_port" ]; do peer_port="$(free_port)"; done
  endpoint="http://127.0.0.1:$client_port"
  pin "$etcd_cpu" /usr/bin/etcd --name bench --data-dir "$data" \
    --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "bench=http://127.0.0.1:$peer_port" --initial-cluster-token "vireo-etcd-bench-$$" \
    --logger zap --log-outputs stderr >"$dir/etcd.log" 2>&1 9>&- &
  etcd_pid=$!
  wait_until 60 bash -c "curl -sf '$endpoint/health' | grep -q '\"health\":\"true\"'" ||
    die "etcd not healthy after 60 s; see $dir/etcd.log"
}

# java_run CLIENT LOG ARGS...: the bench's main with the client's classpath, its output appended to LOG.
java_run() {
  local client="$1" log="$2"
  shift 2
  pin "$client_cpu" "$VIREO_JAVA" -Xmx1g -cp "${classpath[$client]}" io.vireo.benches.etcd.EtcdClientBench "$@" \
    >>"$log" 2>&1 9>&- || die "$client: $* failed; see $log"
}

for rep in $(seq 1 "$reps"); do
  order="$clients"
  [ $((rep % 2)) = 0 ] && order="$(echo "$clients" | tr ' ' '\n' | tac | paste -sd' ')"
  for client in $order; do
    dir="$run_dir/etcd-$client-$rep"
    log="$run_dir/$client-$rep.log"
    echo "etcd-client-bench: rep $rep, $client ..." >&2
    bench_lock
    start_etcd "$dir" "$data_dir/$client-$rep"
    "$VIREO_JAVA" -cp "${classpath[gateway]}" io.vireo.benches.etcd.EtcdClientBench load "$endpoint" "$range_keys" \
      >>"$log" 2>&1 9>&- || die "load failed; see $log"
    for i in $(seq 1 "$first_gets"); do
      java_run "$client" "$log" first-get "$client" "$endpoint"
    done
    java_run "$client" "$log" suite "$client" "$endpoint" "$puts" "$range_keys" "$watch_keys"
    stop_etcd
    bench_unlock
    rm -rf "${data_dir:?}/$client-$rep"
    sed -n "s/^result /$rep /p" "$log" >>"$results"
  done
done

# What each adds to the switch's jar.
# the gateway client's classes as they would sit in a jar (deflated), beside the jars' own sizes
classes_jar="$run_dir/gateway-client-classes.jar"
(cd "$bench/target/classes" && python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as jar:
    for name in sys.argv[2:]:
        jar.write(name)' "$classes_jar" io/vireo/cluster/etcd/*.class)
echo "0 gateway deps_added_jars 0" >>"$results"
echo "0 gateway deps_added_bytes $(stat -c %s "$classes_jar")" >>"$results"
jetcd_jars="$(ls "$bench"/target/deps/*.jar | grep -v '/jackson-')"
echo "0 jetcd deps_added_jars $(echo "$jetcd_jars" | wc -l)" >>"$results"
echo "0 jetcd deps_added_bytes $(cat $jetcd_jars | wc -c)" >>"$results"
echo "0 jetcd deps_netty_jars $(echo "$jetcd_jars" | grep -c '/netty-')" >>"$results"
echo "0 jetcd deps_netty_bytes $(cat $(echo "$jetcd_jars" | grep '/netty-') | wc -c)" >>"$results"
ls "$bench"/target/deps/ >"$run_dir/jetcd-deps.txt"

python3 - "$results" "$clients" <<'EOF'
import collections, statistics, sys
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    rep, client, metric, value = line.split()
    rows.setdefault(metric, collections.defaultdict(list))[client].append(float(value))
labels = {
    "first_get_ms": "JVM start to first get (ms, median of the fresh JVMs)",
    "first_get_in_main_ms": "  of which in main: client built + first get (ms)",
    "first_get_classes": "  classes loaded by then",
    "put_p50_us": "put latency p50 (us)",
    "put_p99_us": "put latency p99 (us)",
    "create_per_s_1_thread": "txn create /s, 1 thread",
    "create_per_s_4_threads": "txn create /s, 4 threads",
    "range_ms": "range of the loaded keys (ms)",
    "range_retained_mb": "  heap the result holds (MB)",
    "range_allocated_mb": "  allocated reading it, all threads (MB)",
    "watch_live_events_per_s": "watch live: events/s absorbed",
    "watch_live_writer_per_s": "  the writer's puts/s meanwhile",
    "watch_live_lag_ms": "  lag when the writer finished (ms)",
    "watch_catchup_events_per_s": "watch catch-up from history: events/s",
    "deps_added_jars": "jars added to the switch's jar",
    "deps_added_bytes": "bytes added (jetcd: its jars; gateway: its classes, jarred)",
    "deps_netty_jars": "  of which Netty 4.1 jars",
    "deps_netty_bytes": "  of which Netty 4.1 bytes",
}
clients = sys.argv[2].split()
def fmt(values):
    if not values:
        return "-"
    m = statistics.median(values)
    text = ("%.1f" % m) if m != int(m) else "%d" % m
    if len(values) > 1:
        text += " (%s-%s)" % (("%g" % min(values)), ("%g" % max(values)))
    return text
width = max(len(l) for l in labels.values())
print("| %s | %s |" % ("measure".ljust(width), " | ".join(c.rjust(22) for c in clients)))
print("|-%s-|%s" % ("-" * width, "|".join("-" * 24 for _ in clients) + "|"))
for metric, label in labels.items():
    if metric in rows:
        print("| %s | %s |" % (label.ljust(width), " | ".join(fmt(rows[metric].get(c, [])).rjust(22) for c in clients)))
EOF
echo "etcd-client-bench: etcd data under $data_base; logs in $run_dir" >&2
