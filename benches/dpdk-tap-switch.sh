#!/usr/bin/env bash
# DPDK testpmd forwarding between two net_tap ports: the dpdk-tap peer of benches/netns-bench.sh, which
# starts it with NB_IFACE_A, NB_IFACE_B, NB_SWITCH_CPU and NB_WORKDIR set; not meant to be run by hand.
#
# The harness moves the interfaces into their namespaces as soon as both exist, but net_tap
# configures its ports by interface name in the root namespace, so a port that is not started yet
# when its interface moves fails with "No such device". So testpmd creates the TAPs under temporary
# names, and they get the harness's names only after testpmd reports both ports started. Forwarding
# then only uses the file descriptors testpmd holds.
set -euo pipefail
: "${NB_IFACE_A:?} ${NB_IFACE_B:?} ${NB_SWITCH_CPU:?} ${NB_WORKDIR:?}"
tmp_a="${NB_IFACE_A}_t" tmp_b="${NB_IFACE_B}_t"
log="$NB_WORKDIR/testpmd.out"
prefix="vireo-bench-$$"
dpdk-testpmd --lcores "0@$NB_SWITCH_CPU,1@$NB_SWITCH_CPU" --main-lcore 0 -n 1 --no-pci --no-telemetry \
  --file-prefix "$prefix" --no-huge -m 512 \
  --vdev "net_tap0,iface=$tmp_a" --vdev "net_tap1,iface=$tmp_b" -- \
  --forward-mode=io --auto-start --stats-period 3600 --nb-cores=1 --total-num-mbufs=32768 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; rm -rf "/var/run/dpdk/$prefix"' EXIT
trap 'exit 0' TERM INT
for _ in $(seq 300); do
  grep -q "start packet forwarding" "$log" && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
if grep -q -E "Fail to start port|Not all ports were started" "$log"; then cat "$log" >&2; exit 1; fi
for pair in "$tmp_a:$NB_IFACE_A" "$tmp_b:$NB_IFACE_B"; do
  ip link set dev "${pair%%:*}" down
  ip link set dev "${pair%%:*}" name "${pair#*:}"
done
echo "testpmd pid $pid forwarding $NB_IFACE_A <-> $NB_IFACE_B"
wait $pid
