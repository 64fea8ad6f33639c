#!/usr/bin/env bash
# Installs the OS packages Vireo's demo and tests use, with apt-get, if any is missing.
set -euo pipefail
# dpdk-dev brings dpdk-testpmd, the real vhost-user frontend (virtio-user) the tests drive; its PMDs
# are only recommended, so they are named here.
packages=(iproute2 iputils-ping iperf3 ethtool procps python3 util-linux maven
  dpdk-dev librte-net-vhost23 librte-net-virtio23 librte-mempool-ring23
  containernetworking-plugins  # host-local IPAM for the CNI plugin's tests
  gcc libc6-dev  # the CNI plugin's client (scripts/cni-client.c), compiled on first use
  prometheus  # for promtool, which checks a live scrape of the metrics endpoint
  tshark  # decodes the VXLAN underlay the tests capture
  qemu-system-x86 busybox-static  # QemuGuestIT: a Linux guest on a vhost-user port, its initramfs
  podman runc  # PodmanIT: podman's CNI backend runs the plugin; runc, as podman would pick crun otherwise
  bind9-dnsutils  # dig, the resolver client that checks the routers' DNS answers
  etcd-server  # ClusterIT: a three-member etcd cluster holds the cluster state of three Vireo nodes
  docker.io)  # DockerEngineIT: a dockerd of the test's own finds the Docker driver as a plugin
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

# The guest's kernel: Debian's, unpacked (not installed) with the virtio-net modules it needs.
guest_kernel=/var/cache/vireo/guest-kernel
if [ ! -f "$guest_kernel/vmlinuz" ] || [ ! -f "$guest_kernel/modules/order" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: no guest kernel in $guest_kernel; run as root to fetch it" >&2
    exit 1
  fi
  package="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  if [ -z "$package" ]; then
    apt-get update -q >&2
    package="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  fi
  echo "install-deps: fetching $package for the QEMU guest" >&2
  scratch="$(mktemp -d)"
  chmod 755 "$scratch"  # apt-get download fetches as its own user
  (cd "$scratch" && apt-get download -q "$package" >&2 && dpkg-deb -x ./*.deb root)
  release="${package#linux-image-}"
  mkdir -p "$guest_kernel/modules"
  # In dependency order, which modules/order keeps for the guest's /init (it has no modprobe).
  : >"$guest_kernel/modules/order"
  for module in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev \
      drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/core/failover drivers/net/net_failover \
      drivers/net/virtio_net; do
    cp "$scratch/root/lib/modules/$release/kernel/$module.ko" "$guest_kernel/modules/"
    basename "$module" >>"$guest_kernel/modules/order"
  done
  cp "$scratch/root/boot/vmlinuz-$release" "$guest_kernel/vmlinuz.part"
  mv "$guest_kernel/vmlinuz.part" "$guest_kernel/vmlinuz"
  rm -rf "$scratch"
fi
