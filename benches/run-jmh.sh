#!/usr/bin/env bash
# benches/run-jmh.sh [PATTERN] [JMH options...]: runs the JMH benchmarks matching PATTERN (default: all)
# with the GC profiler, and prints a table of score, error and allocation per operation.
# Results: benches/target/jmh-result.json; the table also goes to benches/target/jmh-table.txt.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
jar="$VIREO_ROOT/benches/target/benchmarks.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$VIREO_ROOT" -path "$VIREO_ROOT/.git" -prune -o -path '*/src/main/*' -newer "$jar" -print -quit)" ]; then
  (cd "$VIREO_ROOT" && mvn -q -B -ntp -DskipTests -pl benches -am package) >&2
fi
pattern="${1:-.}"
shift || true
result="$VIREO_ROOT/benches/target/jmh-result.json"
"$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" -jar "$jar" "$pattern" -prof gc -rf json -rff "$result" "$@"
python3 - "$result" <<'PY' | tee "$VIREO_ROOT/benches/target/jmh-table.txt"
import json, sys
rows = json.load(open(sys.argv[1]))
print(f"| benchmark | params | score | error | unit | alloc B/op |")
print(f"|---|---|---|---|---|---|")
for r in rows:
    params = ",".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
    p = r["primaryMetric"]
    alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    alloc = "-" if alloc is None else f"{alloc:.3f}"
    print(f"| {'.'.join(r['benchmark'].split('.')[-2:])} | {params} | {p['score']:.3f} | {p['scoreError']:.3f} | {p['scoreUnit']} | {alloc} |")
PY
