#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages the real-traffic benchmarks in benches/ run, if any is
# missing; does nothing when all are there. The traffic scripts call it themselves.
#   benches/install-deps.sh [--check]   (--check: only list what is missing, exit 1 if anything is)
set -euo pipefail
packages=(
  iproute2 iputils-ping ethtool procps util-linux coreutils python3  # namespaces, pinning, parsing
  iperf3 sockperf netsniff-ng             # the load: TCP, latency, 64-byte frames (trafgen)
  nftables                                # router-bench.sh: the kernel's masquerade
  gcc libc6-dev                           # the C forwarder, compiled at start
  openvswitch-switch openvswitch-common   # the ovs-userspace peers (the system service is never used)
  dpdk-dev librte-net-tap23               # dpdk-testpmd and its net_tap driver (the dpdk-tap peer)
  librte-net-vhost23 librte-net-virtio23 librte-mempool-ring23  # vhost-bench.sh
  maven openjdk-17-jdk-headless)          # building vireo.jar
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = --check ]; then echo "${missing[*]}"; exit 1; fi
[ "$(id -u)" -eq 0 ] || { echo "bench install-deps: missing ${missing[*]}; run as root" >&2; exit 1; }
echo "bench install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q >&2
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
