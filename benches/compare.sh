#!/usr/bin/env bash
# The whole comparison of Vireo against the other switches, in one command, from a clone:
#   benches/compare.sh [--reps 3] [--seconds 10] [--pings 20] [--peers LIST] [--out DIR]
#                      [--no-vxlan] [--no-vhost] [--no-router] [--vhost-sizes "64 1518"]
# Rep 1 of everything, then rep 2, ...: each rep runs benches/netns-bench.sh once over every TAP peer
# (--peers, default all: linux-bridge ovs-userspace ovs-userspace-tso dpdk-tap c-tapfwd c-tapfwd-epoll vireo), then
# benches/vxlan-bench.sh (kernel vxlan, Vireo), benches/vhost-bench.sh (DPDK net_vhost, Vireo) and
# benches/router-bench.sh (a kernel router namespace, a Vireo router, Vireo's L2 path, the C forwarder) for one rep
# each. Then benches/report.py writes DIR/results.md, DIR/results.csv and DIR/chart.svg: the median of
# the reps, their spread, and Vireo divided by every other peer of its table.
# DIR (default benches/target/compare-DATE) also keeps raw.tsv, meta.tsv, info.tsv and logs/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../scripts/lib.sh"
source "$here/lib.sh"

command_line="benches/compare.sh $*"
reps=3 seconds=10 pings=20 peers="" out="" vxlan=1 vhost=1 router=1 vhost_sizes="64 1518"
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --pings) pings="$2"; shift 2 ;;
    --peers) peers="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-vxlan) vxlan=0; shift ;;
    --no-vhost) vhost=0; shift ;;
    --no-router) router=0; shift ;;
    --vhost-sizes) vhost_sizes="$2"; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "compare: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "compare: run as root" >&2; exit 1; }
bench_ensure_deps
vireo_ensure_jar
out="${out:-$VIREO_ROOT/benches/target/compare-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out/logs"
: >"$out/raw.tsv"
: >"$out/meta.tsv"
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  printf 'cores\t%s\n' "$(nproc)"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'git\t%s\n' "$(git -C "$VIREO_ROOT" describe --always --dirty)"
  printf 'command\t%s\n' "$command_line"
  printf 'reps\t%s\nseconds\t%s\n' "$reps" "$seconds"
} >"$out/info.tsv"

log() { echo "compare $(date +%T): $*" >&2; }

# The peers of each other benchmark, and how the result lines of its output become raw.tsv rows.
declare -A peers_of=([vxlan]="kernel-vxlan vireo-vxlan vireo-kernel-vxlan kernel-vireo-vxlan" [vhost]="vireo-vhost dpdk-vhost"
  [router]="kernel-router vireo-router vireo-l2-router c-tapfwd-router")
# vxlan-bench's overlays by default: Vireo over underlay TAPs too, where the kernel has UDP tunnel GSO on a TAP.
! bench_tap_tunnel_gso || peers_of[vxlan]+=" vireo-tap-vxlan vireo-tap-kernel-vxlan kernel-vireo-tap-vxlan"
# vxlan-bench prints "kernel rep 1: TCP 12.65 Gbit/s, ping avg 0.104 ms, 4 streams 14.2 Gbit/s".
vxlan_rows='/ rep [0-9]+: TCP / {
  printf "%s\t%s-vxlan\t%s\ttcp_gbps\t%s\n", g, $1, r, $5
  printf "%s\t%s-vxlan\t%s\ttcp4_gbps\t%s\n", g, $1, r, $13
  printf "%s\t%s-vxlan\t%s\tping_us\t%s\n", g, $1, r, $9 * 1000 }'
# vhost-bench prints "vireo      64 B round 1: 4.11 Mpps, tx-dropped 0" (and "dpdk-vhost ...").
vhost_rows='/ B round [0-9]+: / {
  printf "%s\t%s\t%s\tmpps_%s\t%s\n", g, ($1 == "vireo") ? "vireo-vhost" : $1, r, $2, $6 }'
# router-bench prints "vireo rep 1: TCP 8.47 Gbit/s, 4 streams 11.75 Gbit/s, 64-byte 66.8 kframes/s
# (of 66.8 sent), ping p50 0.287 ms, ...".
router_rows='/ rep [0-9]+: TCP / {
  printf "%s\t%s-router\t%s\ttcp_gbps\t%s\n", g, $1, r, $5
  printf "%s\t%s-router\t%s\ttcp4_gbps\t%s\n", g, $1, r, $9
  printf "%s\t%s-router\t%s\tudp64_kpps\t%s\n", g, $1, r, $12
  printf "%s\t%s-router\t%s\tping_us\t%s\n", g, $1, r, $19 * 1000 }'

# other_rep GROUP REP ROWS CMD...: one rep of another benchmark, its rows and status into the report.
other_rep() {
  local group="$1" rep="$2" rows="$3" f="$out/logs/$1.$2.txt" status=ok peer
  shift 3
  if "$@" >"$f" 2>&1; then
    awk -v g="$group" -v r="$rep" "$rows" "$f" >>"$out/raw.tsv"
  else
    status="FAILED: ${1##*/} exited, see logs/$group.$rep.txt"
    log "$status"
  fi
  for peer in ${peers_of[$group]}; do
    printf '%s\t%s\tstatus.%s\t%s\n' "$group" "$peer" "$rep" "$status" >>"$out/meta.tsv"
  done
}

versions() {
  local vireo
  vireo="Vireo $(git -C "$VIREO_ROOT" describe --always --dirty)"
  [ "$vxlan" = 0 ] || printf '%s\n' "vxlan	kernel-vxlan	version	kernel $(uname -r), vxlan device and bridge" \
    "vxlan	vireo-vxlan	version	$vireo" "vxlan	vireo-kernel-vxlan	version	$vireo sending to kernel $(uname -r)" \
    "vxlan	kernel-vireo-vxlan	version	kernel $(uname -r) sending to $vireo" >>"$out/meta.tsv"
  [ "$vxlan" = 0 ] || ! bench_tap_tunnel_gso ||
    printf 'vxlan\t%s\tversion\t%s\n' "vireo-tap-vxlan" "$vireo, each endpoint over an underlay TAP" \
      "vireo-tap-kernel-vxlan" "$vireo over an underlay TAP sending to kernel $(uname -r)" \
      "kernel-vireo-tap-vxlan" "kernel $(uname -r) sending to $vireo over an underlay TAP" >>"$out/meta.tsv"
  [ "$vhost" = 0 ] || printf 'vhost\tvireo-vhost\tversion\t%s, --idle busy\nvhost\tdpdk-vhost\tversion\tDPDK %s net_vhost, io forwarding\n' \
    "$vireo" "$(dpkg-query -W -f='${Version}' dpdk-dev)" >>"$out/meta.tsv"
  [ "$router" = 0 ] || printf 'router\t%s\tversion\t%s\n' "kernel-router" "kernel $(uname -r), a router namespace" \
    "vireo-router" "$vireo, a router between two bridges" "vireo-l2-router" "$vireo, one bridge (no router)" \
    "c-tapfwd-router" "benches/tapfwd.c between two TAPs, one subnet (no router): the ceiling of TAP forwarding" >>"$out/meta.tsv"
}

versions
for ((rep = 1; rep <= reps; rep++)); do
  log "rep $rep of $reps: TAP peers"
  "$here/netns-bench.sh" --reps 1 --first-rep "$rep" --seconds "$seconds" --pings "$pings" --out "$out" \
    ${peers:+--peers "$peers"} || log "netns-bench.sh failed"
  if [ "$vxlan" = 1 ]; then
    log "rep $rep of $reps: VXLAN"
    other_rep vxlan "$rep" "$vxlan_rows" "$here/vxlan-bench.sh" --reps 1 --seconds "$seconds"
  fi
  if [ "$vhost" = 1 ]; then
    log "rep $rep of $reps: vhost-user"
    other_rep vhost "$rep" "$vhost_rows" "$here/vhost-bench.sh" --rounds 1 --seconds "$seconds" --sizes "$vhost_sizes"
  fi
  if [ "$router" = 1 ]; then
    log "rep $rep of $reps: routing"
    other_rep router "$rep" "$router_rows" "$here/router-bench.sh" --reps 1 --seconds "$seconds"
  fi
done
python3 "$here/report.py" "$out"
log "report: $out/results.md, $out/results.csv, $out/chart.svg"
