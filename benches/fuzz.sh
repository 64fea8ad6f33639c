#!/usr/bin/env bash
# fuzz.sh [--minutes N] [--out DIR] [--no-build] [CLASS#METHOD ...]: coverage-guided fuzzing for longer than
# the suite's 50 s a target. Each fuzz test (default: every @FuzzTest in the repository) runs again and again with
# JAZZER_FUZZ=1 until N minutes (default 10) of its runs have passed; each run starts from the corpus the runs
# before it grew (MODULE/.cifuzz-corpus), so together they are one long run. Prints per target: minutes,
# runs, executions (libFuzzer's "Done N runs"), corpus files, and the first failing run's log (a finding:
# Jazzer writes its input under the test's resources directory, and the target stops there).
#   benches/fuzz.sh --minutes 30 SwitchFuzzTest#everyFrameIsForwardedAnsweredOrCountedAsDropped
# Logs go to DIR (default a new /tmp/vireo-fuzz.XXXXXX). Exits 1 if any target found something. The runs load the
# other modules from ~/.m2 (it installs them first): an `mvn install` from another checkout meanwhile replaces
# those jars and fails the next run (ClassNotFoundException in its log), which is no finding. --no-build skips
# the install, to fuzz other targets of the same checkout beside a fuzz.sh that has installed it already (targets of
# another module: two runs in one module's target/surefire collide).
set -euo pipefail
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../scripts/lib.sh"

minutes=10 out="" build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:-}"; shift 2 || { echo "fuzz: --minutes takes a value" >&2; exit 2; } ;;
    --out) out="${2:-}"; shift 2 || { echo "fuzz: --out takes a directory" >&2; exit 2; } ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --minutes takes a whole number above 0" >&2; exit 2; }
out="${out:-$(mktemp -d /tmp/vireo-fuzz.XXXXXX)}"
mkdir -p "$out"

# Every fuzz test as MODULE CLASS METHOD (the method on the line after its @FuzzTest).
all_targets() {
  local file module class
  while IFS= read -r file; do
    module="${file%%/src/test/*}" class="$(basename "$file" .java)"
    awk -v m="$module" -v c="$class" '/@FuzzTest/ { getline; if (match($0, /void [A-Za-z0-9_]+\(/)) {
      print m, c, substr($0, RSTART + 5, RLENGTH - 6) } }' "$VIREO_ROOT/$file"
  done < <(cd "$VIREO_ROOT" && git ls-files '*/src/test/java/*FuzzTest.java')
}
mapfile -t known < <(all_targets)
selected=()
if [ ${#targets[@]} -eq 0 ]; then
  selected=("${known[@]}")
else
  for target in "${targets[@]}"; do
    match="$(printf '%s\n' "${known[@]}" | awk -v c="${target%%#*}" -v m="${target#*#}" '$2 == c && $3 == m')"
    [ -n "$match" ] || { echo "fuzz: no fuzz test $target (give CLASS#METHOD of an @FuzzTest)" >&2; exit 2; }
    selected+=("$match")
  done
fi

if [ "$build" = 1 ]; then
  echo "fuzz: building (mvn install -DskipTests) ..." >&2
  (cd "$VIREO_ROOT" && mvn -B -ntp -o -q install -DskipTests) >&2
fi

found=0
printf '%-56s %8s %5s %14s %7s  %s\n' target minutes runs executions corpus finding
for entry in "${selected[@]}"; do
  read -r module class method <<<"$entry"
  log="$out/$class.$method.log"
  : >"$log"
  runs=0 finding="-"
  start=$SECONDS
  while [ $((SECONDS - start)) -lt $((minutes * 60)) ]; do
    runs=$((runs + 1))
    # A run fuzzes for 50 s after the test's setup and the replay of its corpus, which take a slow target (a whole
    # switch per input) on a loaded machine past the suite's 60 s limit: a timeout that is no finding.
    if ! (cd "$VIREO_ROOT" && JAZZER_FUZZ=1 mvn -B -ntp -o surefire:test -pl "$module" -Dtest="$class#$method" \
        -Dsurefire.failIfNoSpecifiedTests=false -Dvireo.unit.timeout="180 s") >>"$log" 2>&1; then
      finding="run $runs failed: $log" found=1
      break
    fi
  done
  executions="$(grep -o 'Done [0-9]* runs' "$log" | awk '{ n += $2 } END { print n + 0 }')"
  corpus_dir="$(find "$VIREO_ROOT/$module/.cifuzz-corpus" -maxdepth 1 -name "*.$class" 2>/dev/null | head -1)/$method"
  corpus="$( [ -d "$corpus_dir" ] && find "$corpus_dir" -type f | wc -l || echo 0)"
  printf '%-56s %8.1f %5d %14d %7d  %s\n' "$class#$method" "$(awk -v s=$((SECONDS - start)) 'BEGIN { print s / 60 }')" \
    "$runs" "$executions" "$corpus" "$finding"
done
echo "(logs in $out; $(date +%F), $(nproc) cores)"
exit "$found"
