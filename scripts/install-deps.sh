#!/usr/bin/env bash
# Installs the OS packages Vireo's demo and tests use, with apt-get, if any is missing.
set -euo pipefail
# dpdk-dev brings dpdk-testpmd, the real vhost-user frontend (virtio-user) the tests drive; its PMDs
# are only recommended, so they are named here.
packages=(iproute2 iputils-ping iperf3 ethtool procps python3 util-linux maven
  dpdk-dev librte-net-vhost23 librte-net-virtio23 librte-mempool-ring23
  containernetworking-plugins  # host-local IPAM for the CNI plugin's tests
  prometheus  # for promtool, which checks a live scrape of the metrics endpoint
  tshark)  # decodes the VXLAN underlay the tests capture
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
