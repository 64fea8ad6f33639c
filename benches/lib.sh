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

# alive PID: the process runs (a child that has exited stays a zombie until waited for: not alive).
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ "$state" != Z* ]]
}

# stop_port_keeper RUN: stops the port keeper of the vireod that ran on run dir RUN (vswitch's port-keeper.py,
# started detached by vireod, holding the TAPs for a next vireod on the run dir), by the pid it wrote there and
# only if that pid is still the keeper of RUN; SIGKILL after 10 s.
stop_port_keeper() {
  local pid
  [ -n "$1" ] && [ -f "$1/keeper.pid" ] || return 0
  pid="$(cat "$1/keeper.pid")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && ps -o args= -p "$pid" 2>/dev/null | grep -qF "port-keeper.py $1"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_until 10 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
}

# Installs the Debian packages the traffic benchmarks run, if any is missing (a quick check otherwise).
bench_ensure_deps() {
  "$VIREO_ROOT/benches/install-deps.sh" --check >/dev/null || "$VIREO_ROOT/benches/install-deps.sh"
}

# median: the median of the numbers on stdin, one a line (of an even count, the lower middle one).
# median_of WORDS...: the median of its arguments.
# True if this kernel takes UDP tunnel GSO frames on a TAP (Linux 6.17 on), which a VXLAN endpoint over an
# underlay TAP (vireod's --vtep-underlay-tap) needs.
bench_tap_tunnel_gso() {
  local major minor
  IFS=. read -r major minor _ <<<"$(uname -r)"
  minor="${minor%%[^0-9]*}"
  [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 17 ]; }
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
median_of() { printf '%s\n' "$@" | grep . | median; }

# bench_tcp SERVER_NS CLIENT_NS ADDR SECONDS STREAMS [PREFIX...]: iperf3 TCP from namespace CLIENT_NS
# to ADDR in SERVER_NS for SECONDS with STREAMS parallel streams; prints the receiver's Gbit/s.
# PREFIX (e.g. taskset -c 0) runs both iperf3s.
bench_tcp() {
  local srv="$1" cli="$2" addr="$3" seconds="$4" streams="$5" server json rc=0
  shift 5
  ip netns exec "$srv" "$@" iperf3 -s -1 -B "$addr" >/dev/null 2>&1 9>&- &
  server=$!
  wait_until 5 bash -c "ip netns exec '$srv' ss -ltnH 'sport = :5201' | grep -q ." || rc=$?
  [ "$rc" != 0 ] || json="$(ip netns exec "$cli" "$@" iperf3 -c "$addr" -t "$seconds" -P "$streams" -J 9>&-)" || rc=$?
  kill -TERM "$server" 2>/dev/null || true   # the client has its result; a server that got no client would wait
  wait "$server" 2>/dev/null || true
  [ "$rc" = 0 ] || { echo "bench: iperf3 to $addr failed" >&2; return 1; }
  python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' <<<"$json"
}

# bench_rx_packets NS IFACE: the interface's rx_packets; bench_rx_settled NS IFACE: it no longer moves.
bench_rx_packets() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
bench_rx_settled() { local a; a="$(bench_rx_packets "$1" "$2")"; sleep 0.2; [ "$a" = "$(bench_rx_packets "$1" "$2")" ]; }

# bench_udp64 SECONDS LOG TX_NS TX_IF DST_MAC SADDR DADDR RX_NS RX_IF [PREFIX...]: sends the same 60-byte
# UDP frame (64 on the wire with the FCS), from TX_IF's MAC and SADDR to DST_MAC and DADDR port 9, out of
# TX_IF in namespace TX_NS for SECONDS with trafgen (netsniff-ng; one process, which binds itself to
# CPU 0; no tuning of socket memory or IRQs; its output in LOG), and prints the frames/s, in thousands,
# that RX_IF in RX_NS received (its rx_packets). Nothing listens on port 9: the far end drops them.
# PREFIX (e.g. taskset -c 0) runs trafgen.
bench_udp64() {
  local seconds="$1" log="$2" tx_ns="$3" tx_if="$4" da="$5" saddr="$6" daddr="$7" rx_ns="$8" rx_if="$9" cfg sa rx0
  shift 9
  cfg="$(mktemp /tmp/bench-trafgen.XXXXXX)"
  sa="$(ip netns exec "$tx_ns" cat "/sys/class/net/$tx_if/address")"
  printf '{ eth(da=%s, sa=%s), ipv4(saddr=%s, daddr=%s, ttl=64), udp(sp=40000, dp=9), fill(0x00, 18) }\n' \
    "$da" "$sa" "$saddr" "$daddr" >"$cfg"
  rx0="$(bench_rx_packets "$rx_ns" "$rx_if")"
  ip netns exec "$tx_ns" "$@" timeout -s INT "$seconds" trafgen -o "$tx_if" -i "$cfg" --cpus 1 --no-sock-mem \
    --notouch-irq >"$log" 2>&1 9>&- || true
  rm -f "$cfg"
  wait_until 5 bench_rx_settled "$rx_ns" "$rx_if" || true
  python3 -c "print(round(($(bench_rx_packets "$rx_ns" "$rx_if") - $rx0) / $seconds / 1e3, 1))"
}
