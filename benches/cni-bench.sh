#!/usr/bin/env bash
# cni-bench.sh: how long a container runtime waits for the network plugin. Per rep and plugin, in turns:
# VERSION, then ADD and DEL of one container (a namespace made for it), each timed from exec to exit as a
# runtime runs them (CNI_* variables, the config on stdin), all with host-local IPAM:
#   vireo      the plugin as scripts/install-cni-plugin installs it: the thin client, a static binary; the
#              call runs in vireod
#   vireo-sh   scripts/vireo-cni through a link: sh and readlink, then the same client (dynamically linked)
#   vireo-jvm  scripts/vireo-cni-jvm: the same plugin in a JVM of its own (what vireo-cni falls back to
#              with no daemon, and what every call cost before the thin client)
#   bridge     the reference bridge plugin (containernetworking-plugins) on a kernel bridge
# Prints each rep, then median (min-max) ms per plugin and call and the ratios of vireo and vireo-sh to bridge.
#   benches/cni-bench.sh [--reps 20]
# Holds /tmp/vireo-bench.lock throughout; removes every namespace, interface and process it made.
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"
source "$VIREO_ROOT/benches/lib.sh"

reps=20
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="${2:-}"; shift 2 || die "--reps takes a value" ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "cni-bench: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "cni-bench: --reps takes a whole number above 0" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || die "run as root"
plugins_dir=/usr/lib/cni
[ -x "$plugins_dir/bridge" ] && [ -x "$plugins_dir/host-local" ] ||
  die "the reference plugins are missing: apt-get install containernetworking-plugins (scripts/install-deps.sh)"
vireo_ensure_jar

p="cb$$"
work="$(mktemp -d /tmp/cni-bench.XXXXXX)"
bin="$work/bin" run="$work/run"
mkdir -p "$bin" "$run"
"$VIREO_ROOT/scripts/install-cni-plugin" "$bin" vireo >/dev/null
ln -s "$VIREO_ROOT/scripts/vireo-cni" "$bin/vireo-sh"
ln -s "$VIREO_ROOT/scripts/vireo-cni-jvm" "$bin/vireo-jvm"
daemon="" namespaces=()
cleanup() {
  local n
  if [ -n "$daemon" ]; then
    kill -TERM "$daemon" 2>/dev/null || true
    wait_until 10 eval "! alive $daemon" || kill -KILL "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  for n in "${namespaces[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  ip link del "${p}br" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "cni-bench: interrupted; removing what it made" >&2; exit 130' INT TERM
bench_lock

VIREO_NO_BUILD=1 "$VIREO_ROOT/scripts/vireod" --run-dir "$run" --metrics off >"$work/vireod.log" 2>&1 </dev/null 9>&- &
daemon=$!
wait_until 60 eval "grep -q 'vireod: ready' '$work/vireod.log' || ! alive $daemon" || true
grep -q 'vireod: ready' "$work/vireod.log" || die "vireod did not start: $(tail -3 "$work/vireod.log")"

# config PLUGIN: the network config each plugin gets (a /24 of its own, host-local in $work).
config() {
  local ipam subnet
  case "$1" in
    vireo) subnet=10.98.1.0/24 ;; vireo-jvm) subnet=10.98.2.0/24 ;; vireo-sh) subnet=10.98.4.0/24 ;; *) subnet=10.98.3.0/24 ;;
  esac
  ipam="\"ipam\": {\"type\": \"host-local\", \"ranges\": [[{\"subnet\": \"$subnet\"}]], \"dataDir\": \"$work/ipam\"}"
  case "$1" in
    bridge) echo "{\"cniVersion\": \"1.0.0\", \"name\": \"${p}-$1\", \"type\": \"bridge\", \"bridge\": \"${p}br\", $ipam}" ;;
    *) echo "{\"cniVersion\": \"1.0.0\", \"name\": \"${p}-$1\", \"type\": \"$1\", \"runDir\": \"$run\", $ipam}" ;;
  esac
}

# call PLUGIN COMMAND CONTAINER: runs the plugin as a runtime does; prints the milliseconds it took.
call() {
  local start end netns="/run/netns/$3"
  start=$EPOCHREALTIME
  CNI_COMMAND="$2" CNI_CONTAINERID="$3" CNI_NETNS="$netns" CNI_IFNAME=eth0 CNI_PATH="$bin:$plugins_dir" \
    "$bin/$1" <<<"$(config "$1")" >"$work/last.out" 2>"$work/last.err" 9>&- ||
    die "$1 $2 failed: $(cat "$work/last.out" "$work/last.err")"
  end=$EPOCHREALTIME
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", (e - s) * 1000 }'
}
[ -e "$bin/bridge" ] || ln -s "$plugins_dir/bridge" "$bin/bridge"

declare -A times
for rep in $(seq 1 "$reps"); do
  for plugin in vireo vireo-sh vireo-jvm bridge; do
    container="${p}-${plugin}-$rep"
    ip netns add "$container"
    namespaces+=("$container")
    version="$(call "$plugin" VERSION "$container")"
    add="$(call "$plugin" ADD "$container")"
    del="$(call "$plugin" DEL "$container")"
    ip netns del "$container"
    times[$plugin.version]+=" $version" times[$plugin.add]+=" $add" times[$plugin.del]+=" $del"
    echo "$plugin rep $rep: VERSION $version ms, ADD $add ms, DEL $del ms"
  done
done

summary() { local v; read -ra v <<<"${times[$1]}"; printf '%s (%s-%s)' "$(median_of "${v[@]}")" \
  "$(printf '%s\n' "${v[@]}" | sort -g | head -1)" "$(printf '%s\n' "${v[@]}" | sort -g | tail -1)"; }
echo
printf '%-10s %24s %24s %24s\n' plugin "VERSION ms" "ADD ms" "DEL ms"
for plugin in vireo vireo-sh vireo-jvm bridge; do
  printf '%-10s %24s %24s %24s\n' "$plugin" "$(summary "$plugin.version")" "$(summary "$plugin.add")" "$(summary "$plugin.del")"
done
ratio() { local a b; read -ra a <<<"${times[$1]}"; read -ra b <<<"${times[$2]}"
  awk -v x="$(median_of "${a[@]}")" -v y="$(median_of "${b[@]}")" 'BEGIN { printf "%.2f", x / y }'; }
for plugin in vireo vireo-sh; do
  echo "$plugin / bridge: VERSION $(ratio $plugin.version bridge.version)x, ADD $(ratio $plugin.add bridge.add)x," \
    "DEL $(ratio $plugin.del bridge.del)x"
done
echo "(median (min-max) of $reps reps; $(date +%F), $(nproc) cores, $(uname -r))"
