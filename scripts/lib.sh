# Shared by Vireo's scripts: locations, the JVM flags, and building the runnable jar when it is
# missing or older than the sources. Source it; do not run it.
VIREO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VIREO_JAR="$VIREO_ROOT/vswitch/target/vireo.jar"
VIREO_JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# Agrona 2.x reaches jdk.internal.misc.Unsafe; jnr-ffi loads native code.
VIREO_JVM_FLAGS=(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED)

# The idle strategy's way back from epoll to the ports (PortWaitSet, Epoll) runs about ten times a second on an
# idle switch, on the way of every frame that wakes it. The start-up warm-up sleeps and wakes through it between
# its bursts, but there the compilers are busy with hotter code: at the JVM's usual thresholds it ends the warm-up
# at C1's profiling tier, and was still there after 10 s of pings four a second (-XX:+PrintCompilation). Its
# methods compile at a thousandth of the thresholds: with C2 during the warm-up. Not Agrona's AgentRunner, whose duty
# cycle every thread shares: compiled that early from the control threads' profile, it cost the forwarding
# thread's busy loop 3-36 % of its 64-byte frames in four reps (benches/README.md).
# Not -XX:PerMethodTrapLimit=0 (used from 2026-12-03 to 12-07): C2 then compiles every branch rather than trapping
# back to the interpreter on one its profile never saw taken, but it also gives up the loop optimizations built on
# traps, which cost the vhost-user loop 9-13 % of its 64-byte frames. The start-up warm-up takes the rarer ways
# instead (a MAC that moves, a new one, large TCP segments, the idle strategy's spin and yield), and
# benches/deopt-check.sh shows what an idle switch's compiled code still throws away.
# PerfDataSamplingInterval=1000: the JVM samples its performance counters (what jstat reads) once a second, not
# every 50 ms: on an idle daemon those 20 wake-ups a second took 0.15-0.26 % of a core on a 2-core VM (0.02 % with
# the flag), a fifth of IdleIT's 1 % (the sampler's thread alone, /proc/PID/task/*/schedstat).
# The JVM's other timers, on the same idle daemon: the VM thread looked every second for cleanup worth a safepoint
# (GuaranteedSafepointInterval=0, JDK 25's default: the cleanup waits for the next safepoint), the monitor
# deflation thread four times a second (AsyncDeflationInterval=1000: once), and on JDK 17 G1's service thread
# sampled remembered sets three times a second (G1ConcRefinementServiceIntervalMillis=1000: once; JDK 25 refuses
# the flag, so only JDK 17 gets it). On a VM whose host had reclaimed the pages they touch, those three threads
# cost an idle daemon 0.3-0.4 % of a core (benches/README.md, 2026-12-07, seventh).
VIREO_DAEMON_JVM_FLAGS=(-XX:PerfDataSamplingInterval=1000 -XX:+UnlockDiagnosticVMOptions
  -XX:GuaranteedSafepointInterval=0 -XX:AsyncDeflationInterval=1000 -XX:CompileCommand=quiet
  -XX:CompileCommand=CompileThresholdScaling,io.vireo.vswitch.pipeline.PortWaitSet::*,0.001
  -XX:CompileCommand=CompileThresholdScaling,io.vireo.dataplane.nativeio.Epoll::*,0.001)
# vireoctl and the CNI plugin's fallback JVM are short-lived clients: C1 and serial GC start fastest.
VIREO_CTL_JVM_FLAGS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)

# The JDK's feature version, from its release file (no JVM start).
vireo_java_feature() {
  local java home
  java="$(command -v "$VIREO_JAVA")" || return 1
  home="$(dirname "$(dirname "$(readlink -f "$java")")")"
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null
}
# From JDK 23 on, jnr-ffi's use of sun.misc.Unsafe would print a warning on stderr, where our errors
# are one line each; the flag does not exist before.
if [ "$(vireo_java_feature)" -ge 23 ] 2>/dev/null; then
  VIREO_JVM_FLAGS+=(--sun-misc-unsafe-memory-access=allow)
fi
if [ "$(vireo_java_feature)" -eq 17 ] 2>/dev/null; then
  VIREO_DAEMON_JVM_FLAGS+=(-XX:G1ConcRefinementServiceIntervalMillis=1000)
fi

vireo_jar_is_stale() {
  [ -f "$VIREO_JAR" ] || return 0
  [ -n "$(find "$VIREO_ROOT" -path "$VIREO_ROOT/.git" -prune -o \
      \( -path '*/src/main/*' -o -name pom.xml \) -newer "$VIREO_JAR" -print -quit)" ]
}

# Builds vswitch/target/vireo.jar (and what it needs) if it is missing or stale. Build output goes to stderr.
# VIREO_NO_BUILD=1 takes the jar as it is (a benchmark of a build you made yourself).
vireo_ensure_jar() {
  if [ -n "${VIREO_NO_BUILD:-}" ] && [ -f "$VIREO_JAR" ]; then return 0; fi
  if vireo_jar_is_stale; then
    mkdir -p "$VIREO_ROOT/vswitch/target"
    (
      flock 9
      if vireo_jar_is_stale; then
        echo "vireo: building $VIREO_JAR ..." >&2
        (cd "$VIREO_ROOT" && mvn -q -B -ntp -DskipTests -pl vswitch -am package) >&2
      fi
    ) 9>"$VIREO_ROOT/vswitch/target/.build.lock"
  fi
}

# Class data sharing (AppCDS): vireod maps the classes it loads while starting from an archive instead of
# parsing and verifying them from the jar, which takes about 40 % off its start (5.6 -> 3.4 s to "ready" on a
# loaded 2-core machine). One archive per jar and JDK, made by a training run the first time scripts/vireod finds
# it missing or older than the jar (only vireod: a vireoctl or CNI call never waits for one). The JVM checks the archive against its jar and JDK and, if they differ, starts
# without it; -Xlog:cds=off keeps its warning about that off stdout. vireoctl maps vireod's archive when there is
# one (of the 3,006 classes a `vireoctl bridge list` loads, 1,269 come from it, 408 from the jar).
VIREO_CDS_ARCHIVE_DIR="$VIREO_ROOT/vswitch/target/cds"

# vireod's archive for this JDK.
vireo_cds_archive() {
  echo "$VIREO_CDS_ARCHIVE_DIR/vireod-jdk$(vireo_java_feature).jsa"
}

# The flags that make vireod's JVM use the archive, one a line, if it is there and newer than the jar.
vireo_cds_flags() {
  local archive
  archive="$(vireo_cds_archive)"
  if [ "$archive" -nt "$VIREO_JAR" ]; then
    printf '%s\n' "-XX:SharedArchiveFile=$archive" "-Xlog:cds=off,cds+dynamic=off"
  fi
}

# Makes the archive if it is missing or older than the jar: starts a vireod on a scratch run dir (no ports, no
# port keeper, metrics on a free loopback port), waits until it is ready, stops it, and keeps the classes it
# loaded (-XX:ArchiveClassesAtExit). About 6 s, once per jar and JDK. It needs root, as vireod does; a run
# that fails leaves a marker so that vireod does not try again until the jar changes, and one that finds
# another training under way goes on without an archive.
vireo_ensure_cds() {
  local archive
  archive="$(vireo_cds_archive)"
  [ -f "$VIREO_JAR" ] && [ "$(id -u)" -eq 0 ] || return 0
  if [ "$archive" -nt "$VIREO_JAR" ] || [ "$archive.failed" -nt "$VIREO_JAR" ]; then return 0; fi
  mkdir -p "$VIREO_CDS_ARCHIVE_DIR"
  (
    flock -n 9 || exit 0
    vireo_train_cds "$archive" || touch "$archive.failed"
  ) 9>"$VIREO_CDS_ARCHIVE_DIR/.train.lock"
}

vireo_train_cds() {
  local archive="$1" scratch pid ready=""
  scratch="$(mktemp -d /tmp/vireo-cds.XXXXXX)"
  "$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" "${VIREO_DAEMON_JVM_FLAGS[@]}" -XX:ArchiveClassesAtExit="$scratch/vireod.jsa" \
    -Xlog:cds=off,cds+dynamic=off -cp "$VIREO_JAR" io.vireo.vswitch.cli.Vireod --run-dir "$scratch/run" \
    --metrics 127.0.0.1:0 --no-port-keeper </dev/null >"$scratch/vireod.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    if grep -q 'vireod: ready' "$scratch/vireod.log"; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if [ -z "$ready" ] || [ ! -s "$scratch/vireod.jsa" ]; then
    echo "vireo: no class data archive for vireod (its training run failed, see $scratch); it starts without one" >&2
    return 1
  fi
  mv "$scratch/vireod.jsa" "$archive"
  rm -rf "$scratch"
}
