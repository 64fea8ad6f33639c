#!/usr/bin/env bash
# vhost-user loop benchmark: one dpdk-testpmd with two virtio-user ports (mac forwarding, --tx-first)
# loops frames through a switch between its two vhost-user sockets; frames/s = what testpmd receives.
# Switches, in one run: Vireo (vireod, busy idle mode, 2 vhost-user ports on one bridge) and DPDK's own
# net_vhost (a second testpmd with two net_vhost ports in io mode). On 2 cores the switch gets CPU 0,
# the frontend's forwarding lcore CPU 1. With --rounds N the two switches take turns N times per size
# and the summary gives each one's median and the median of the per-round ratios: this VM's speed
# drifts by up to 2x over minutes (a single-threaded loop with no frontend does too), so only ratios
# of neighbouring runs are sound. Each round holds /tmp/vireo-bench.lock. Before and after each switch's
# turn, cacheline-pingpong.c times a cache line's round trip between CPUs 0 and 1 (what every ring
# hand-over between the switch and the frontend costs), printed with the turn's result. With --baseline
# DIR each round also gives the jar of another checkout DIR (built there) a turn, after Vireo's, and the
# summary the per-round ratios of Vireo to it: a change measured against the code before it in the same rounds.
# --vireo-args "ARGS" adds options to Vireo's vireod (not the baseline's), e.g. "--burst 64".
#   benches/vhost-bench.sh [--seconds 10] [--sizes "64 1518"] [--rounds 1] [--baseline DIR] [--vireo-args "ARGS"]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"
seconds=10
sizes="64 1518"
rounds=1
baseline_jar=""
vireo_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --baseline) baseline_jar="$(cd "$2" && pwd)/vswitch/target/vireo.jar"; shift 2 ;;
    --vireo-args) vireo_args="$2"; shift 2 ;;
    *) echo "vhost-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "vhost-bench: run as root" >&2; exit 1; }
[ -z "$baseline_jar" ] || [ -f "$baseline_jar" ] || { echo "vhost-bench: no $baseline_jar (build it there first)" >&2; exit 2; }
bench_ensure_deps
vireo_ensure_jar
work="$(mktemp -d /tmp/vhost-bench.XXXXXX)"
prefix="vhb$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work" "/var/run/dpdk/${prefix}"*
}
trap cleanup EXIT
gcc -O2 -pthread -o "$work/cacheline-pingpong" "$VIREO_ROOT/benches/cacheline-pingpong.c"
# The median round trip in ns, timed before and after every turn: the host may move the vCPUs during one.
pingpong() { "$work/cacheline-pingpong" 0 1 | sed -E 's/.*median ([0-9]+) ns.*/\1/'; }

mac0=02:00:00:00:0b:00 mac1=02:00:00:00:0b:01

# Runs the frontend for $seconds with frames of $1 bytes against sockets $2 $3; prints RX Mpps (both
# ports) and drops.
frontend() {
  local size="$1" s0="$2" s1="$3" log="$work/frontend.$size.log"
  timeout -s INT $((seconds + 20)) stdbuf -oL dpdk-testpmd -l 0,1 --no-huge -m 512 --no-pci --file-prefix "${prefix}f" \
    --vdev "net_virtio_user0,path=$s0,queues=1,mac=$mac0" --vdev "net_virtio_user1,path=$s1,queues=1,mac=$mac1" \
    -- --nb-cores=1 --forward-mode=mac --eth-peer=0,$mac1 --eth-peer=1,$mac0 --tx-first --burst=256 --txpkts="$size" \
    --total-num-mbufs=32768 --stats-period "$seconds" >"$log" 2>&1 &
  local pid=$!
  sleep $((seconds * 2 + 8))
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # The last periodic stats block is after a full measuring period: sum both ports' Rx-pps.
  python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", text)]
drops = [int(x) for x in re.findall(r"TX-dropped:\s+(\d+)", text)]
print(f"{sum(pps[-2:]) / 1e6:.2f} Mpps, tx-dropped {sum(drops[-2:]) if drops else 'n/a'}")
PY
}

# Vireo as the switch, from the jar $2 (default: this checkout's, with --vireo-args).
vireo_round() {
  local size="$1" jar="${2:-$VIREO_JAR}" run="$work/vireo-run" extra=()
  [ -n "${2:-}" ] || read -r -a extra <<<"$vireo_args"
  mkdir -p "$run"
  printf 'bridges:\n  - name: br0\n    ports:\n      - {name: v0, type: vhost-user, socket: %s}\n      - {name: v1, type: vhost-user, socket: %s}\n' \
    "$work/v0.sock" "$work/v1.sock" >"$work/vireo.yaml"
  taskset -c 0 "$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" "${VIREO_DAEMON_JVM_FLAGS[@]}" -cp "$jar" io.vireo.vswitch.cli.Vireod \
    --run-dir "$run" --config "$work/vireo.yaml" --idle busy --metrics off "${extra[@]}" >"$work/vireod.log" 2>&1 &
  local vpid=$!; pids+=("$vpid")
  for _ in $(seq 1 100); do grep -q 'vireod: ready' "$work/vireod.log" && break; sleep 0.1; done
  frontend "$size" "$work/v0.sock" "$work/v1.sock"
  kill -TERM "$vpid"; wait "$vpid" 2>/dev/null || true
  rm -rf "$run" "$work"/v[01].sock
}

# DPDK net_vhost as the switch
dpdk_round() {
  local size="$1"
  taskset -c 0 dpdk-testpmd --lcores 0@0,1@0 --no-huge -m 512 --no-pci --file-prefix "${prefix}s" \
    --vdev "net_vhost0,iface=$work/d0.sock,queues=1" --vdev "net_vhost1,iface=$work/d1.sock,queues=1" \
    -- --nb-cores=1 --forward-mode=io --total-num-mbufs=32768 --stats-period 3600 >"$work/dpdk-switch.log" 2>&1 &
  local dpid=$!; pids+=("$dpid")
  for _ in $(seq 1 100); do [ -S "$work/d1.sock" ] && break; sleep 0.1; done
  frontend "$size" "$work/d0.sock" "$work/d1.sock"
  kill -INT "$dpid"; wait "$dpid" 2>/dev/null || true
  rm -f "$work"/*.sock
}

# One switch's turn: runs "$2 ..." into $work/result, times the round trip after it and prints the turn's line
# with the round trip before it ($before, which the next turn takes from this one's after).
turn() {
  local name="$1" after; shift
  "$@" >"$work/result"
  after="$(pingpong)"
  printf '%-10s %s B round %s: %s; cache line round trip CPU 0 <-> 1 before it %s ns, after %s ns\n' \
    "$name" "$size" "$round" "$(cat "$work/result")" "$before" "$after"
  before="$after"
}

for size in $sizes; do
  : >"$work/rounds.$size"
  for round in $(seq 1 "$rounds"); do
    # Not in $(...): the switch's pid must reach the cleanup trap if the run is interrupted.
    bench_lock
    before="$(pingpong)"
    turn vireo vireo_round "$size"; v="$(cat "$work/result")"
    b=""
    if [ -n "$baseline_jar" ]; then
      turn baseline vireo_round "$size" "$baseline_jar"; b="$(cat "$work/result")"
    fi
    turn dpdk-vhost dpdk_round "$size"; d="$(cat "$work/result")"
    bench_unlock
    echo "${v%% *} ${d%% *} ${b%% *}" >>"$work/rounds.$size"
  done
  python3 - "$size" "$work/rounds.$size" <<'PY'
import statistics, sys
pairs = [tuple(map(float, line.split())) for line in open(sys.argv[2]) if line.strip()]
vireo, dpdk = [p[0] for p in pairs], [p[1] for p in pairs]
ratios = [p[0] / p[1] for p in pairs if p[1] > 0]
print(f"summary {sys.argv[1]} B, {len(pairs)} rounds: vireo median {statistics.median(vireo):.2f} Mpps, "
      f"dpdk-vhost median {statistics.median(dpdk):.2f} Mpps, ratio per round "
      f"{' '.join(f'{r:.2f}' for r in ratios)}, median ratio {statistics.median(ratios):.2f}")
if all(len(p) == 3 for p in pairs):
    base = [(p[0], p[2]) for p in pairs if p[2] > 0]
    against = [v / b for v, b in base]
    print(f"summary {sys.argv[1]} B, {len(pairs)} rounds: baseline median {statistics.median(b for _, b in base):.2f} Mpps, "
          f"vireo / baseline per round {' '.join(f'{r:.2f}' for r in against)}, median {statistics.median(against):.2f}")
PY
done
