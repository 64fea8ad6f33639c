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
  maven openjdk-17-jdk-headless           # building vireo.jar
  haproxy iperf                           # service-bench.sh: HAProxy in TCP mode; iperf2 (see there)
  dnsmasq-base dnsperf bind9-dnsutils)    # dns-bench.sh: dnsmasq, the load, dig
# dnsmasq-base is dnsmasq's binary alone: the `dnsmasq` package adds a system service that its
# installation starts (where invoke-rc.d lets it), a resolver on port 53 of every host interface.
# haproxy's package has a service too (its default config listens nowhere); whatever started it at
# installation, it is stopped and disabled below. The benches start their own dnsmasq and HAProxy
# in namespaces of their own and kill them by pid. (On the machine the figures in README.md come
# from, pid 1 is no init system and /usr/sbin/policy-rc.d exits 101: invoke-rc.d denied the start.)
services=(haproxy)
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
for s in "${services[@]}"; do
  [[ " ${missing[*]} " == *" $s "* ]] || continue
  if [ -d /run/systemd/system ]; then
    systemctl disable --now "$s" >&2 || true
  else
    service "$s" stop >/dev/null 2>&1 || true
    update-rc.d "$s" disable >/dev/null 2>&1 || true
  fi
done
