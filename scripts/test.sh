#!/usr/bin/env bash
# Installs what the tests need and runs Vireo's whole suite: unit tests, then the integration tests
# that create real TAP devices in network namespaces of their own (so it must run as root), then a
# one-minute soak (benches/soak.sh 1). vswitch's integration tests run two at a time, in two JVMs
# (vswitch/pom.xml says why).
# Then, if the Temurin 25 JDK is installed, builds on it and runs every unit test and the integration tests of
# each seam where the JDK matters (VIREO_JDK25_FULL=1: the whole suite again).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the integration tests create network namespaces and TAP devices: run as root" >&2
  exit 1
fi
"$VIREO_ROOT/scripts/install-deps.sh"
cd "$VIREO_ROOT"
# The tests' Python is the system's, which install-deps.sh installs: a version manager's shim first on the path
# (pyenv's, on the machine of benches/README.md) took 0.41-0.44 s of every `python3` a test starts on an idle
# machine, up to 1 s on a busy one, against 0.03 s; ServiceIT and NatIT alone start 61 (servers, clients).
if [ -x /usr/bin/python3 ]; then
  export PATH="/usr/bin:$PATH"
fi
# -T 2: modules that do not depend on each other build and test at once (cluster beside dataplane and gateway,
# tunnel-vxlan beside gateway), so the unit tests before vswitch's keep both cores busy.
mvn -B -ntp -T 2 verify "$@"
# A one-minute soak: mixed traffic through TAP, VXLAN and vhost-user ports of one vireod; fails on a frame
# lost below capacity, RSS or fd growth, or allocation on the forwarding threads. VIREO_SKIP_SOAK=1 skips it.
if [ -z "${VIREO_SKIP_SOAK:-}" ]; then
  "$VIREO_ROOT/benches/soak.sh" 1
fi

# The integration tests run again on Temurin 25: one for each native door (TAP, epoll and eventfd, rtnetlink,
# AF_PACKET rings, UDP GSO/GRO sockets, vhost-user's shared memory, SCM_RIGHTS to the port keeper and from a
# vhost-user frontend), the daemon with its Netty control socket and metrics, the CNI plugin's JVM, and the JDK's
# HTTP client to etcd. The rest exercise the same doors through more of Vireo's own code, which the JDK 17 run
# above covers (VxlanIT and TakeoverIT too: VtepIT reaches VxlanIT's sockets in a fiftieth of its time, and
# DaemonIT's port keeper and VhostUserIT carry the SCM_RIGHTS that TakeoverIT's handover does).
# Of DaemonIT and CniPluginIT, the test that crosses each door once (the CLI driving a daemon whose port keeper
# holds its TAPs; two containers added and deleted through vireod, its IPAM plugin spawned): 50 s each whole.
jdk25_its='TapPortIT,RtNetlinkIT,AfPacketPortIT,SoftwareOffloadIT,VtepIT,VhostUserIT,TapForwardingIT,MetricsIT,EtcdClientIT'
jdk25_its+=',DaemonIT#theCliDrivesTheDaemonEndToEnd,CniPluginIT#twoContainersAttachedAsARuntimeDoesPingEachOtherAndDetachCleanly'

temurin25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -x "$temurin25/bin/java" ] && [ -z "${VIREO_SKIP_JDK25:-}" ]; then
  echo "test.sh: again on $("$temurin25/bin/java" -version 2>&1 | head -1)" >&2
  if [ -n "${VIREO_JDK25_FULL:-}" ]; then
    JAVA_HOME="$temurin25" mvn -B -ntp -T 2 verify "$@"
  else
    JAVA_HOME="$temurin25" mvn -B -ntp -T 2 verify -Dit.test="$jdk25_its" -Dfailsafe.failIfNoSpecifiedTests=false "$@"
  fi
fi
