#!/usr/bin/env bash
# Real-traffic benchmark: Vireo plugged into ../shared/bench/netns-bench.sh, which measures it side by
# side with any reference switches named in --peers, in one run. All options are passed through, e.g.
#   benches/netns-bench.sh --peers linux-bridge,ovs-userspace-tso,dpdk-testpmd --reps 3
# Vireo runs on its daemon with one bridge and the harness's two TAP interfaces (no namespaces: the
# harness moves the interfaces into its own). VIREO_THREADS=N runs N forwarding threads (multi-queue
# TAPs; the row is then named vireo-Nt). --dpdk-tap adds a row for DPDK testpmd forwarding between two
# net_tap ports, started by benches/dpdk-tap-switch.sh (the harness's own dpdk-testpmd peer cannot
# start its second port on this machine; that script says why).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
harness="$VIREO_ROOT/../shared/bench/netns-bench.sh"
[ -x "$harness" ] || harness="bash $harness"
vireo_ensure_jar
# What the harness runs in every row (sockperf for latency, netsniff-ng's trafgen for 64-byte frames),
# beyond what scripts/install-deps.sh brings.
missing=()
for p in sockperf netsniff-ng; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "netns-bench: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
fi
prefix="${NB_PREFIX:-a1}"
threads="${VIREO_THREADS:-1}"
name=vireo
[ "$threads" = 1 ] || name="vireo-${threads}t"
launch='cfg="$NB_WORKDIR/vireo.yaml"
printf "bridges:\n  - name: br0\n    ports:\n      - name: %s\n      - name: %s\n" "$NB_IFACE_A" "$NB_IFACE_B" > "$cfg"
exec '"$VIREO_ROOT"'/scripts/vireod --run-dir "$NB_WORKDIR/run" --config "$cfg" --threads '"$threads"
args=() dpdk_tap=()
for arg in "$@"; do
  if [ "$arg" = --dpdk-tap ]; then
    dpdk_tap=(--name dpdk-tap --ifaces "${prefix}dtA,${prefix}dtB" --launch "exec '$VIREO_ROOT/benches/dpdk-tap-switch.sh'"
      --version-cmd "dpkg-query -W -f='DPDK \${Version}' dpdk")
  else
    args+=("$arg")
  fi
done
exec $harness "${args[@]}" "${dpdk_tap[@]}" --name "$name" --ifaces "${prefix}viA,${prefix}viB" --launch "$launch" \
  --version-cmd "git -C '$VIREO_ROOT' describe --always --dirty"
