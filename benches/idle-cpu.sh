#!/usr/bin/env bash
# Where an idle switch's CPU goes, thread by thread, and how often each thread wakes.
#
#   benches/idle-cpu.sh [--seconds 30] [--settle 20] [--pings 20] [--rounds 2] [--baseline DIR]
#
# Starts vireod (this checkout, as scripts/vireod runs it, no metrics listener), puts two containers (network
# namespaces of its own) on TAP ports, pings one from the other, lets the daemon settle for --settle seconds (the
# JIT finishing what start-up queued), then reads every thread's exact run time and times scheduled in from the
# kernel (/proc/PID/task/TID/schedstat) before and after --seconds of idling. With --baseline, the vireod of
# another checkout DIR (its jar built there, e.g. `git worktree add DIR REV && (cd DIR && mvn -q package
# -DskipTests)`) takes turns with this one, round by round. Prints, per round, each thread with any run time: ms
# run, % of a core and wake-ups a second (the times the kernel put it on a CPU), then the daemon's total without
# the JIT's compiler threads (a warm-up's tail, not idling) and with them; then what idling costs the other way:
# --pings pings a second apart from one container to the other through the idle switch (median, min, max).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "idle-cpu: creates network namespaces and TAP devices: run as root" >&2; exit 1; }

seconds=30 settle=20 pings=20 rounds=2 baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --pings) pings="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --baseline) baseline="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "idle-cpu: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -z "$baseline" ] || [ -f "$baseline/vswitch/target/vireo.jar" ] ||
  { echo "idle-cpu: no jar in $baseline/vswitch/target: build it there first" >&2; exit 2; }
bench_ensure_deps
vireo_ensure_jar
vireo_ensure_cds
p="ic$(printf '%04x' $((RANDOM % 65536)))"
run="" log="" vireod_pid="" namespaces=()

stop_vireod() {
  set +e
  if [ -n "$vireod_pid" ]; then
    kill -TERM "$vireod_pid" 2>/dev/null
    wait "$vireod_pid" 2>/dev/null
  fi
  vireod_pid=""
  [ -n "$run" ] && stop_port_keeper "$run"
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
  namespaces=()
  rm -rf "$run" "$log"
  run="" log=""
  set -e
}
trap stop_vireod EXIT
trap 'exit 130' INT TERM

# snapshot PID: a line per thread: tid, name (spaces as _), run ns, times scheduled in.
snapshot() {
  local task name
  for task in /proc/"$1"/task/*; do
    name="$(tr ' ' _ <"$task/comm" 2>/dev/null)" || continue
    read -r run_ns _ slices <"$task/schedstat" 2>/dev/null || continue
    echo "${task##*/} $name $run_ns $slices"
  done | sort
}

# measure ROOT LABEL: one round of one checkout's vireod.
measure() {
  local root="$1" label="$2" before after
  run="$(mktemp -d "/tmp/$p-run.XXXXXX")" log="$(mktemp "/tmp/$p-log.XXXXXX")"
  VIREO_NO_BUILD=1 "$root/scripts/vireod" --run-dir "$run" --metrics off >"$log" 2>&1 9>&- &
  vireod_pid=$!
  wait_until 120 grep -q 'vireod: ready' "$log" || { cat "$log"; exit 1; }
  for side in a b; do
    ip netns add "$p$side"
    namespaces+=("$p$side")
  done
  "$root/scripts/vireoctl" --run-dir "$run" port add br0 "${p}ta" --netns "${p}a" --ip 10.95.0.1/24 >/dev/null
  "$root/scripts/vireoctl" --run-dir "$run" port add br0 "${p}tb" --netns "${p}b" --ip 10.95.0.2/24 >/dev/null
  ip netns exec "${p}a" ping -n -c 2 -i 0.2 -W 2 10.95.0.2 >/dev/null
  sleep "$settle"   # the JIT's tail: what start-up and the first frames queued
  before="$(snapshot "$vireod_pid")"
  sleep "$seconds"  # the idling measured
  after="$(snapshot "$vireod_pid")"
  echo "== $label, round $round: $(git -C "$root" describe --always --dirty), idle for $seconds s"
  join <(echo "$before") <(echo "$after") | awk -v s="$seconds" '
    { ms = ($6 - $3) / 1e6; wakes = ($7 - $4) / s
      if (ms >= 0.05) printf "  %-24s %8.1f ms %7.3f %% %7.1f wake-ups/s\n", $2, ms, ms / (10 * s), wakes
      all += ms; if ($2 !~ /^C[12]_CompilerThre/) own += ms }
    END { printf "  %-24s %8.1f ms %7.3f %%\n  %-24s %8.1f ms %7.3f %%\n", "without the JIT compilers", own,
          own / (10 * s), "all threads", all, all / (10 * s) }'
  if [ "$pings" -gt 0 ]; then
    ip netns exec "${p}a" ping -n -c "$pings" -i 1 -W 2 10.95.0.2 | sed -n 's/.*time=\([0-9.]*\).*/\1/p' |
      sort -g | awk '{t[NR] = $1 * 1000} END {printf "  %d pings a second apart: median %d us (%d-%d)\n", NR,
        t[int((NR + 1) / 2)], t[1], t[NR]}'
  fi
  stop_vireod
}

bench_lock
for round in $(seq "$rounds"); do
  measure "$VIREO_ROOT" vireo
  [ -z "$baseline" ] || measure "$baseline" baseline
done
bench_unlock
