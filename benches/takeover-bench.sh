#!/usr/bin/env bash
# takeover-bench.sh [--reps N]: the gap a `vireod --takeover` leaves in forwarding. Two namespaces on TAP ports of
# one vireod, a 10 ms ping (ping -D) from A to B, then N takeovers in a row, each of the daemon the one before
# started. Per takeover: the pause the new daemon reports (GO to STARTED), the longest time between two ping answers
# in the second before its ready line (the handover is the last thing before it), and pings lost (never answered)
# over the whole run. Run as root from a clone; cleans up after itself (its namespaces, its daemons by pid).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    *) echo "usage: $0 [--reps N]" >&2; exit 2 ;;
  esac
done
PREFIX="tkb$$"
WORK=$(mktemp -d "/tmp/$PREFIX.XXXX")
RUN="$WORK/run"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
  ip netns del "$PREFIX-a" 2>/dev/null || true
  ip netns del "$PREFIX-b" 2>/dev/null || true
  [ -f "$RUN/keeper.pid" ] && kill "$(cat "$RUN/keeper.pid")" 2>/dev/null || true
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

ip netns add "$PREFIX-a"; ip netns add "$PREFIX-b"
scripts/vireod --run-dir "$RUN" --metrics 127.0.0.1:0 > "$WORK/vireod.0.log" 2>&1 &
PIDS+=($!)
await_ready "$WORK/vireod.0.log"
scripts/vireoctl --run-dir "$RUN" port add br0 "${PREFIX}A" --netns "$PREFIX-a" --ip 10.89.99.1/24 > /dev/null
scripts/vireoctl --run-dir "$RUN" port add br0 "${PREFIX}B" --netns "$PREFIX-b" --ip 10.89.99.2/24 > /dev/null
ip netns exec "$PREFIX-a" ping -c 3 -i 0.2 -W 2 10.89.99.2 > /dev/null
ip netns exec "$PREFIX-a" ping -D -i 0.01 10.89.99.2 > "$WORK/ping.log" 2>&1 &
PIDS+=($!)
PING=$!
sleep 2
for rep in $(seq 1 "$REPS"); do
  scripts/vireod --run-dir "$RUN" --metrics 127.0.0.1:0 --takeover > "$WORK/vireod.$rep.log" 2>&1 &
  PIDS+=($!)
  await_ready "$WORK/vireod.$rep.log"
  date +%s.%N > "$WORK/ready.$rep"
  sleep 2
done
kill -INT "$PING"
while kill -0 "$PING" 2>/dev/null; do sleep 0.1; done
python3 - "$WORK" "$REPS" <<'EOF'
import re, sys
work, reps = sys.argv[1], int(sys.argv[2])
ping = open(work + "/ping.log").read()
answers = [(float(t), int(s)) for t, s in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from .*icmp_seq=(\d+)", ping, re.M)]
times = [t for t, _ in answers]
seqs = {s for _, s in answers}
lost = (max(seqs) - min(seqs) + 1) - len(seqs)
print("takeover  paused(ms)  longest gap between ping answers in the second before ready (ms)")
for rep in range(1, reps + 1):
    ready = float(open("%s/ready.%d" % (work, rep)).read())
    paused = re.search(r"forwarding paused (\d+) ms", open("%s/vireod.%d.log" % (work, rep)).read()).group(1)
    window = [t for t in times if ready - 1.0 <= t <= ready]
    gap = max((b - a for a, b in zip(window, window[1:])), default=float("nan"))
    print("%8d  %10s  %.1f" % (rep, paused, gap * 1000))
print("pings sent %d, answered %d, lost %d; longest gap over the whole run %.1f ms" % (
    max(seqs) - min(seqs) + 1, len(seqs), lost, max(b - a for a, b in zip(times, times[1:])) * 1000))
EOF
