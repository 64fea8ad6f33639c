#!/usr/bin/env bash
# ratelimit-bench.sh: how closely a port's rate limit holds TCP to its rate, and what a limit costs.
# Namespaces A and B on one Vireo bridge; per rep and case, in turns, iperf3 TCP from A to B for
# --seconds with 1 stream:
#   none          no limit (and the same after limits came and went: an unlimited port pays nothing)
#   egress RATE   `port set B --egress-rate RATE` (the switch shapes what it sends B, as tc's tbf would)
#   ingress RATE  `port set A --ingress-rate RATE` (the switch reads A no faster than RATE)
# for each RATE of --rates. Prints each rep, the median per case, and the ratio measured / RATE; the
# frames dropped for the limit (rate_limited) and the CPU vireod used.
#   benches/ratelimit-bench.sh [--seconds 5] [--reps 3] [--rates "50mbit 500mbit 2gbit"]
# Holds /tmp/vireo-bench.lock throughout; removes every namespace and process it made.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"

seconds=5 reps=3 rates="50mbit 500mbit 2gbit"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 || die "--seconds takes a value" ;;
    --reps) reps="${2:-}"; shift 2 || die "--reps takes a value" ;;
    --rates) rates="${2:-}"; shift 2 || die "--rates takes a value" ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "ratelimit-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$reps" =~ ^[1-9][0-9]*$ ]] ||
  { echo "ratelimit-bench: --seconds and --reps take a whole number above 0" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "run as root"
bench_ensure_deps
vireo_ensure_jar

p="rl$$" work="$(mktemp -d /tmp/ratelimit-bench.XXXXXX)"
na="${p}a" nb="${p}b" daemon=""
cleanup() {
  if [ -n "$daemon" ]; then
    kill -TERM "$daemon" 2>/dev/null || true
    wait_until 10 eval "! alive $daemon" || kill -KILL "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  local n pid
  for n in "$na" "$nb"; do
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "ratelimit-bench: interrupted; removing what it made" >&2; exit 130' INT TERM
bench_lock

ip netns add "$na"; ip netns add "$nb"
VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireod" --run-dir "$work/run" --metrics off >"$work/vireod.log" 2>&1 </dev/null 9>&- &
daemon=$!
wait_until 60 eval "grep -q 'vireod: ready' '$work/vireod.log' || ! alive $daemon" || true
grep -q 'vireod: ready' "$work/vireod.log" || die "vireod did not start: $(tail -3 "$work/vireod.log")"
ctl() { VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireoctl" --run-dir "$work/run" "$@" 9>&-; }
ctl port add br0 "${p}A" --netns "$na" --ip 10.97.0.1/24 >/dev/null
ctl port add br0 "${p}B" --netns "$nb" --ip 10.97.0.2/24 >/dev/null
wait_until 10 ip netns exec "$na" ping -c 1 -W 1 10.97.0.2 || die "A cannot reach B"

# bits RATE: a tc-style rate (kbit, mbit, gbit) in bits per second.
bits() { awk -v r="$1" 'BEGIN { n = r + 0; u = substr(r, length(n "") + 1);
  f = (u == "kbit") ? 1e3 : (u == "mbit") ? 1e6 : (u == "gbit") ? 1e9 : 1; printf "%.0f", n * f }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }
drops() { ctl port list --json | python3 -c 'import json,sys; print(sum(p["stats"]["drops"]["rate_limited"] for p in json.load(sys.stdin)))'; }

cases="none"
for rate in $rates; do cases+=" egress:$rate ingress:$rate"; done
declare -A results
for rep in $(seq 1 "$reps"); do
  for case in $cases; do
    direction="${case%%:*}" rate="${case#*:}"
    case "$direction" in
      egress) ctl port set "${p}B" --egress-rate "$rate" >/dev/null ;;
      ingress) ctl port set "${p}A" --ingress-rate "$rate" >/dev/null ;;
    esac
    before_drops="$(drops)" before_cpu="$(cpu_ticks)"
    gbit="$(bench_tcp "$nb" "$na" 10.97.0.2 "$seconds" 1)"
    cpu="$(awk -v a="$before_cpu" -v b="$(cpu_ticks)" -v s="$seconds" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", (b - a) / hz / s * 100 }')"
    dropped=$(( $(drops) - before_drops ))
    ctl port set "${p}A" --ingress-rate 0 >/dev/null
    ctl port set "${p}B" --egress-rate 0 >/dev/null
    results[$case]+=" $gbit"
    echo "rep $rep, $case: $gbit Gbit/s, $dropped frames dropped for the limit, vireod $cpu % of a core"
  done
done

echo
printf '%-18s %14s %14s\n' case "Gbit/s" "of the limit"
for case in $cases; do
  read -ra values <<<"${results[$case]}"
  m="$(median_of "${values[@]}")"
  if [ "$case" = none ]; then ratio="-"; else
    ratio="$(awk -v m="$m" -v r="$(bits "${case#*:}")" 'BEGIN { printf "%.3f", m * 1e9 / r }')"; fi
  printf '%-18s %14s %14s\n' "$case" "$m" "$ratio"
done
echo "(median of $reps reps of $seconds s, 1 TCP stream, A -> B; $(date +%F), $(nproc) cores, $(uname -r))"
