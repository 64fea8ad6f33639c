#!/usr/bin/env bash
# Builds the Linux guest the QEMU vhost-user test boots: Debian's kernel (fetched by install-deps.sh
# into /var/cache/vireo/guest-kernel) and an initramfs of busybox and the virtio-net modules whose
# /init configures eth0, pings a peer, sends it a stream of zeros over TCP and powers off.
#   guest-image.sh OUTDIR      writes OUTDIR/vmlinuz and OUTDIR/initrd.cpio
# Kernel command line: vireo.ip=CIDR vireo.peer=ADDRESS vireo.bytes=N (sent to ADDRESS:5201).
set -euo pipefail
out="$1"
kernel=/var/cache/vireo/guest-kernel
[ -f "$kernel/vmlinuz" ] && [ -f "$kernel/modules/order" ] || { echo "guest-image: no guest kernel in $kernel (run scripts/install-deps.sh)" >&2; exit 1; }
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,mod,proc,sys,dev}
cp /bin/busybox "$root/bin/"
cp "$kernel"/modules/*.ko "$kernel/modules/order" "$root/mod/"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for arg in $(cat /proc/cmdline); do
  case "$arg" in vireo.*=*) key="${arg%%=*}"; eval "${key#vireo.}=${arg#*=}" ;; esac
done
# In dependency order, as install-deps.sh wrote it (no modprobe here).
for m in $(cat /mod/order); do
  insmod "/mod/$m.ko"
done
ip link set eth0 up
ip addr add "$ip" dev eth0
echo "guest: features $(cat /sys/class/net/eth0/device/features)"
if ping -c 3 -W 5 "$peer"; then echo "guest: ping ok"; fi
if head -c "$bytes" /dev/zero | nc "$peer" 5201; then echo "guest: sent $bytes"; fi
poweroff -f
INIT
chmod +x "$root/init"
mkdir -p "$out"
cp "$kernel/vmlinuz" "$out/vmlinuz"
(cd "$root" && find . | busybox cpio -o -H newc >"$out/initrd.cpio" 2>/dev/null)
