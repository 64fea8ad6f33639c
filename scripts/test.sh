#!/usr/bin/env bash
# Installs what the tests need and runs Vireo's whole suite: unit tests, then the integration tests
# that create real TAP devices in network namespaces of their own (so it must run as root), then a
# one-minute soak (benches/soak.sh 1).
# Then, if the Temurin 25 JDK is installed, builds and runs the suite again on it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the integration tests create network namespaces and TAP devices: run as root" >&2
  exit 1
fi
"$VIREO_ROOT/scripts/install-deps.sh"
cd "$VIREO_ROOT"
mvn -B -ntp verify "$@"
# A one-minute soak: mixed traffic through TAP, VXLAN and vhost-user ports of one vireod; fails on a frame
# lost below capacity, RSS or fd growth, or allocation on the forwarding threads. VIREO_SKIP_SOAK=1 skips it.
if [ -z "${VIREO_SKIP_SOAK:-}" ]; then
  "$VIREO_ROOT/benches/soak.sh" 1
fi

temurin25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -x "$temurin25/bin/java" ] && [ -z "${VIREO_SKIP_JDK25:-}" ]; then
  echo "test.sh: again on $("$temurin25/bin/java" -version 2>&1 | head -1)" >&2
  JAVA_HOME="$temurin25" mvn -B -ntp verify "$@"
fi
