# Shared by the traffic benchmarks in benches/: the machine-wide benchmark lock, waiting for a
# condition, and installing what the benchmarks run. Source it after scripts/lib.sh; do not run it.

# Every timed test on this machine runs under this lock, so that benchmarks started by different
# people do not overlap. bench_lock opens it on fd 9 and waits; children must close fd 9 (9>&-).
BENCH_LOCK="${BENCH_LOCK:-/tmp/vireo-bench.lock}"
bench_lock() {
  exec 9>>"$BENCH_LOCK"
  flock -w 7200 9 || { echo "bench: no lock on $BENCH_LOCK after 2 h" >&2; return 1; }
}
bench_unlock() { flock -u 9 2>/dev/null || true; }

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds; fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Installs the Debian packages the traffic benchmarks run, if any is missing (a quick check otherwise).
bench_ensure_deps() {
  "$VIREO_ROOT/benches/install-deps.sh" --check >/dev/null || "$VIREO_ROOT/benches/install-deps.sh"
}
