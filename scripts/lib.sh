# Shared by Vireo's scripts: locations, the JVM flags, and building the runnable jar when it is
# missing or older than the sources. Source it; do not run it.
VIREO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VIREO_JAR="$VIREO_ROOT/vswitch/target/vireo.jar"
VIREO_JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# Agrona 2.x reaches jdk.internal.misc.Unsafe; jnr-ffi loads native code.
VIREO_JVM_FLAGS=(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED)

# vireod's JVM also runs with PerMethodTrapLimit=0: C2 compiles every branch instead of trapping back to the
# interpreter on one its profile never saw taken. Idle, a switch sees a frame a second, so a path thrown back to
# the interpreter by its first real frame (a new MAC, a failed write, a class the warm-up never ran) would stay
# there for minutes.
VIREO_DAEMON_JVM_FLAGS=(-XX:PerMethodTrapLimit=0)

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

vireo_jar_is_stale() {
  [ -f "$VIREO_JAR" ] || return 0
  [ -n "$(find "$VIREO_ROOT" -path "$VIREO_ROOT/.git" -prune -o \
      \( -path '*/src/main/*' -o -name pom.xml \) -newer "$VIREO_JAR" -print -quit)" ]
}

# Builds vswitch/target/vireo.jar (and what it needs) if it is missing or stale. Build output goes to stderr.
# VIREO_NO_BUILD=1 takes the jar as it is (a benchmark of a build you made yourself).
vireo_ensure_jar() {
  if [ -n "${VIREO_NO_BUILD:-}" ] && [ -f "$VIREO_JAR" ]; then return 0; fi
  vireo_jar_is_stale || return 0
  mkdir -p "$VIREO_ROOT/vswitch/target"
  (
    flock 9
    if vireo_jar_is_stale; then
      echo "vireo: building $VIREO_JAR ..." >&2
      (cd "$VIREO_ROOT" && mvn -q -B -ntp -DskipTests -pl vswitch -am package) >&2
    fi
  ) 9>"$VIREO_ROOT/vswitch/target/.build.lock"
}
