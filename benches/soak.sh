#!/usr/bin/env bash
# Soak: one vireod carries mixed traffic through TAP, VXLAN and vhost-user ports for MINUTES, and the
# script checks that nothing is lost below capacity and that nothing grows.
#   benches/soak.sh [MINUTES] [--warmup SECONDS] [--udp-pps N] [--tcp-rate RATE] [--out DIR]
#                   [--max-rss-growth PCT] [--max-alloc-rate BYTES_PER_S] [--allow-drops REASON,...]
# MINUTES (default 30) is the measured window; before it, --warmup seconds of the same traffic (default
# 20, or 60 for runs of 10 minutes and more) let the JIT, the heap and the kernel's buffers settle.
#
# The switch: vireod in a namespace of its own (host 1), its own run dir, --metrics off, started with
# -Xlog:gc into the run dir. Its bridges and the traffic that crosses them for the whole run, at once:
#   br0   TAP tA (ns n0, 10.212.0.1) and tB (ns n1, 10.212.0.2): a TCP bulk stream n0 -> n1 (iperf3,
#         --tcp-rate, default 1G; 0: as fast as it goes), small UDP n1 -> n0 (iperf3 -u -l 64 at --udp-pps,
#         default 1000 datagrams/s), a ping a second n0 -> n1;
#   br1   VXLAN (VNI 42, host 1 10.213.0.1 over a veth underlay to host 2 10.213.0.2, where the kernel's
#         vxlan device and bridge put container c2 at 10.66.0.2), TAP tC (ns c1, 10.66.0.1): small UDP
#         c1 -> c2 at --udp-pps, a ping every 100 ms;
#   br2   TAP tD (ns n2, 10.215.0.1) and vhost-user v0, DPDK testpmd's virtio-user port answering ARP and
#         ping (icmpecho, at nice 19 so it yields the CPU it polls): a ping every 10 ms n2 -> 10.215.0.2.
# Every rate is far below what the switch forwards on this machine, so any frame lost is the switch's.
# On a loaded 2-core machine its one forwarding thread can be left unscheduled long enough for a TAP's
# queue (500 frames) to overflow: measured with a 1 Gbit/s TCP stream beside, 2000 datagrams/s a path
# lost nothing in six runs (load average 8 to 78), 5000/s lost 0.06 %, 20000/s 2 %, all in the TAPs'
# queues (tap_tx_dropped), none in the switch. The default keeps a margin below that.
#
# Reports, on stdout, a summary and one line `soak-json: {...}` (also DIR/soak.json): datagrams and
# pings lost per path (iperf3's receiver count, and the kernel's receive-buffer overflows in the
# receiving namespace, which are the receiver's, not the switch's: the threshold counts the rest), the
# switch's drop counters by reason over the run (vireoctl stats --json), the daemon's RSS and open file
# descriptors at the start and end of the window, the forwarding threads' allocation rate over the
# window (vireoctl threads --json, allocatedBytes), GC pauses in the window (count, max, total) and in
# the whole run. Exits 1 naming every threshold broken: a datagram, ping or switch drop lost (but
# reasons in --allow-drops), RSS growth >= --max-rss-growth (5 %), more open fds at the end than at the
# start, allocation above --max-alloc-rate (1024 B/s), the daemon gone; 2 on a usage error, 3 when the
# set-up fails. Holds /tmp/vireo-bench.lock (BENCH_LOCK) for the whole run. Logs and the GC log stay in
# DIR (default /tmp/vireo-soak.XXXXXX). Needs root and what scripts/install-deps.sh installs (iperf3,
# iputils-ping, dpdk-testpmd and its virtio-user and vhost drivers, iproute2, python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../scripts/lib.sh"
source "$here/lib.sh"

minutes=30 warmup="" udp_pps=1000 tcp_rate=1G out="" max_rss_growth=5 max_alloc_rate=1024 allow_drops=""
while [ $# -gt 0 ]; do
  case "$1" in
    --warmup) warmup="$2"; shift 2 ;;
    --udp-pps) udp_pps="$2"; shift 2 ;;
    --tcp-rate) tcp_rate="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --max-rss-growth) max_rss_growth="$2"; shift 2 ;;
    --max-alloc-rate) max_alloc_rate="$2"; shift 2 ;;
    --allow-drops) allow_drops="$2"; shift 2 ;;
    -h | --help) sed -n '2,37p' "$0"; exit 0 ;;
    [0-9]*) minutes="$1"; shift ;;
    *) echo "soak: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "soak: MINUTES must be a number: $minutes" >&2; exit 2; }
window=$(python3 -c "print(max(1, round($minutes * 60)))")
[ -n "$warmup" ] || { warmup=20; [ "$window" -lt 600 ] || warmup=60; }
[ "$(id -u)" -eq 0 ] || { echo "soak: run as root (namespaces, TAP devices)" >&2; exit 1; }
"$VIREO_ROOT/scripts/install-deps.sh"
vireo_ensure_jar

p="sk$$"                                   # prefix of every namespace and interface made here
out="${out:-$(mktemp -d /tmp/vireo-soak.XXXXXX)}"
mkdir -p "$out"
run="$out/run"
pids=() namespaces=() vireod_pid="" testpmd_pid=""
# Seconds of traffic: warm-up, window, and a margin for the two samples, so that the window ends and the end
# sample is taken under traffic. The window starts once the start sample is done, and each sample starts a
# vireoctl (2.7-4.2 s for the start sample in 13 one-minute runs on this machine, more under more load):
# with a margin of 5 s a slower start sample left the traffic stopping inside the window, which fails the run.
traffic=$((warmup + window + 20))

log() { echo "soak $(date -u +%T): $*" >&2; }
fail_setup() { log "set-up failed: $* (logs in $out)"; exit 3; }

# Stops what this run started, by pid (SIGKILL after 10 s), deletes its namespaces and testpmd's files.
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    wait_until 10 eval "! alive $pid" || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  # vireod's port keeper (detached; its pid in the run dir) lets go of the TAPs and exits by itself within
  # seconds once they are gone; stopped here if it has not.
  if pid="$(cat "$run/keeper.pid" 2>/dev/null)" && [ -n "$pid" ] && alive "$pid"; then
    wait_until 15 eval "! alive $pid" || kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -rf "/var/run/dpdk/${p}"* "$run/v0.sock"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

netns() {
  ip netns add "$1"
  namespaces+=("$1")
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$1" link set lo up
}
in_ns() { local ns="$1"; shift; ip netns exec "${p}$ns" "$@"; }
ctl() { "$VIREO_ROOT/scripts/vireoctl" --run-dir "$run" "$@"; }
# bg NAME CMD...: runs the program CMD (not a function: its own pid must be $!, for kill) in the background,
# output in DIR/NAME.log.
bg() { local name="$1"; shift; "$@" >"$out/$name.log" 2>&1 </dev/null 9>&- & pids+=($!); }
listening() { [ -n "$(in_ns "$1" ss -Hln"$2" "sport = :$3")" ]; }

log "waiting for $BENCH_LOCK"
bench_lock
log "locked; set-up in $out"
rm -rf "$run"   # a run dir keeps the switch's state (state.yaml) for the next vireod there: start from none
mkdir -p "$run"

# --- topology: host 1 (the switch's namespace) and host 2 on a veth underlay, the containers.
for ns in h1 h2 n0 n1 n2 c1 c2; do netns "${p}$ns"; done
ip -n "${p}h1" link add eth0 type veth peer name eth0 netns "${p}h2"
for n in 1 2; do
  ip -n "${p}h$n" addr add "10.213.0.$n/24" dev eth0
  ip -n "${p}h$n" link set eth0 up
done
# Host 2: the kernel's vxlan device and bridge, container c2 on a veth.
ip -n "${p}h2" link add vx0 type vxlan id 42 local 10.213.0.2 remote 10.213.0.1 dstport 4789 dev eth0
ip -n "${p}h2" link add br0 type bridge
ip -n "${p}h2" link set vx0 master br0 up
ip -n "${p}h2" link set br0 up
ip -n "${p}h2" link add veth0 type veth peer name eth0 netns "${p}c2"
ip -n "${p}h2" link set veth0 master br0 up
ip -n "${p}c2" link set eth0 mtu 1450 up
ip -n "${p}c2" addr add 10.66.0.2/24 dev eth0

# --- the switch
bg vireod ip netns exec "${p}h1" "$VIREO_JAVA" "${VIREO_JVM_FLAGS[@]}" "${VIREO_DAEMON_JVM_FLAGS[@]}" "-Xlog:gc:file=$run/gc.log:timemillis" \
  -cp "$VIREO_JAR" io.vireo.vswitch.cli.Vireod --run-dir "$run" --metrics off
vireod_pid=$!
wait_until 90 grep -q 'vireod: ready' "$out/vireod.log" || fail_setup "vireod not ready in 90 s"
{
  ctl port add br0 "${p}tA" --netns "${p}n0" --ip 10.212.0.1/24 &&
    ctl port add br0 "${p}tB" --netns "${p}n1" --ip 10.212.0.2/24 &&
    ctl bridge add br1 --vni 42 --vtep-local 10.213.0.1 &&
    ctl vxlan peer add br1 10.213.0.2 &&
    ctl port add br1 "${p}tC" --netns "${p}c1" --ip 10.66.0.1/24 &&
    ctl bridge add br2 &&
    ctl port add br2 "${p}tD" --netns "${p}n2" --ip 10.215.0.1/24 &&
    ctl port add br2 v0 --type vhost-user --socket "$run/v0.sock"
} >"$out/setup.log" 2>&1 || fail_setup "vireoctl refused the set-up (setup.log)"

# --- the vhost-user frontend: answers ARP and ping for any address; nice 19, so it only takes a CPU
# nothing else wants (it polls); both lcores float over the CPUs. Its rings are 1024 deep (256 by
# default): 10 s of the 10 ms ping, so a frontend that a loaded machine leaves unscheduled for seconds
# (nice 19 among dozens of busy processes) still has room for every frame the switch gives it.
cpus="$(python3 -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0)))))')"
bg testpmd nice -n 19 dpdk-testpmd --lcores "0@($cpus),1@($cpus)" --no-huge -m 512 --no-pci --file-prefix "${p}f" \
  --vdev "net_virtio_user0,path=$run/v0.sock,queues=1,queue_size=1024,mac=02:00:00:d5:00:02" \
  -- --nb-cores=1 --forward-mode=icmpecho --total-num-mbufs=32768 --stats-period 60
testpmd_pid=$!

wait_until 30 in_ns n0 ping -c 1 -W 1 10.212.0.2 || fail_setup "no ping n0 -> n1 through br0"
wait_until 30 in_ns c1 ping -c 1 -W 1 10.66.0.2 || fail_setup "no ping c1 -> c2 over VXLAN"
wait_until 90 in_ns n2 ping -c 1 -W 1 10.215.0.2 || fail_setup "no ping n2 -> testpmd over vhost-user"

# --- traffic, all at once, for $traffic seconds
udp_bps=$((udp_pps * 64 * 8))   # iperf3 -b counts the UDP payload: 64 bytes a datagram
bg srv-tcp ip netns exec "${p}n1" iperf3 -s -1 -B 10.212.0.2 -p 5201
bg srv-udp-tap ip netns exec "${p}n0" iperf3 -s -1 -B 10.212.0.1 -p 5202
bg srv-udp-vxlan ip netns exec "${p}c2" iperf3 -s -1 -B 10.66.0.2 -p 5203
wait_until 10 listening n1 t 5201 && wait_until 10 listening n0 t 5202 && wait_until 10 listening c2 t 5203 ||
  fail_setup "iperf3 servers not listening"
snmp() { in_ns "$1" awk '/^Udp:/ {n++; if (n == 1) split($0, k); else for (i = 2; i <= NF; i++) if (k[i] == "RcvbufErrors") print $i}' /proc/net/snmp; }
rcvbuf0_tap="$(snmp n0)" rcvbuf0_vxlan="$(snmp c2)"
ctl stats --json >"$out/stats-before.json"
traffic_start=$(date +%s)
bg tcp ip netns exec "${p}n0" iperf3 -c 10.212.0.2 -p 5201 -t "$traffic" -b "$tcp_rate" -J
tcp_pid=$!
bg udp-tap ip netns exec "${p}n1" iperf3 -u -c 10.212.0.1 -p 5202 -l 64 -b "$udp_bps" -w 2M -t "$traffic" -J
udp_tap_pid=$!
bg udp-vxlan ip netns exec "${p}c1" iperf3 -u -c 10.66.0.2 -p 5203 -l 64 -b "$udp_bps" -w 2M -t "$traffic" -J
udp_vxlan_pid=$!
# Pings until a deadline (a count would stretch the run when the machine slows them down); a line per reply.
bg ping-tap ip netns exec "${p}n0" ping -n -w "$traffic" -i 1 10.212.0.2
ping_tap_pid=$!
bg ping-vxlan ip netns exec "${p}c1" ping -n -w "$traffic" -i 0.1 10.66.0.2
ping_vxlan_pid=$!
bg ping-vhost ip netns exec "${p}n2" ping -n -w "$traffic" -i 0.01 10.215.0.2
ping_vhost_pid=$!
traffic_pids=("$tcp_pid" "$udp_tap_pid" "$udp_vxlan_pid" "$ping_tap_pid" "$ping_vxlan_pid" "$ping_vhost_pid")

# sample NAME: the daemon's figures now, into DIR/NAME.json (RSS, fds, forwarding threads' allocated bytes).
sample() {
  local rss fds
  rss="$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$vireod_pid/status")"
  fds="$(find "/proc/$vireod_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)"
  ctl threads --json >"$out/threads-$1.json"
  python3 - "$1" "$rss" "$fds" "$out/threads-$1.json" >"$out/$1.json" <<'PY'
import json, sys, time
threads = json.load(open(sys.argv[4]))
print(json.dumps({"at": time.time(), "rss": int(sys.argv[2]), "fds": int(sys.argv[3]),
                  "allocated": sum(t["allocatedBytes"] for t in threads)}))
PY
}
# until_or_dead EPOCH: waits until EPOCH (s), recording RSS and fds every 10 s; fails if the daemon or a
# traffic source has stopped.
until_or_dead() {
  local pid
  while [ "$(date +%s)" -lt "$1" ]; do
    alive "$vireod_pid" || { log "vireod has exited"; return 1; }
    alive "$testpmd_pid" || { log "testpmd has exited"; return 1; }
    for pid in "${traffic_pids[@]}"; do alive "$pid" || { log "a traffic source stopped early (pid $pid)"; return 1; }; done
    printf '%s\t%s\t%s\n' "$(date +%s)" "$(awk '/^VmRSS:/ {print $2}' "/proc/$vireod_pid/status")" \
      "$(find "/proc/$vireod_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)" >>"$out/rss-fds.tsv"
    sleep "$(python3 -c "print(max(0.1, min(10, $1 - $(date +%s.%N))))")"
  done
}

log "traffic for ${traffic}s: warm-up ${warmup}s, then a ${window}s window"
status=ok
until_or_dead $((traffic_start + warmup)) || status="daemon or traffic stopped during the warm-up"
[ "$status" != ok ] || sample start
[ "$status" != ok ] || until_or_dead $(($(python3 -c "import json; print(int(json.load(open('$out/start.json'))['at']))") + window)) ||
  status="daemon or traffic stopped during the window"
[ "$status" != ok ] || sample end
for pid in "${traffic_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
alive "$vireod_pid" || status="vireod exited"
ctl stats --json >"$out/stats-after.json" 2>&1 || true
rcvbuf1_tap="$(snmp n0)" rcvbuf1_vxlan="$(snmp c2)"
# Frames a container's TAP could not queue for the switch (it did not read them in time: at capacity).
for t in n0:tA n1:tB c1:tC n2:tD; do
  printf '%s %s\n' "${t#*:}" "$(in_ns "${t%%:*}" cat "/sys/class/net/${p}${t#*:}/statistics/tx_dropped" 2>/dev/null || echo 0)"
done >"$out/tap-tx-dropped.txt"
[ -f "$out/start.json" ] || echo '{}' >"$out/start.json"
[ -f "$out/end.json" ] || echo '{}' >"$out/end.json"

python3 - "$out" "$status" "$minutes" "$warmup" "$udp_pps" "$tcp_rate" "$max_rss_growth" "$max_alloc_rate" "$allow_drops" \
  "$((rcvbuf1_tap - rcvbuf0_tap))" "$((rcvbuf1_vxlan - rcvbuf0_vxlan))" \
  "$(git -C "$VIREO_ROOT" describe --always --dirty 2>/dev/null || echo unknown)" <<'PY'
import json, os, re, sys
(out, status, minutes, warmup, udp_pps, tcp_rate, max_rss_growth, max_alloc_rate, allow_drops,
 rcvbuf_tap, rcvbuf_vxlan, commit) = sys.argv[1:]
broken = [] if status == "ok" else [status]

def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def iperf(name):
    r = load(name + ".log")
    if not r or "end" not in r or "error" in r:
        broken.append(f"{name}: no iperf3 result ({(r or {}).get('error', 'see ' + name + '.log')})")
        return None
    return r["end"]

def ping(name, interval):
    """A ping's requests with no reply, from its line per reply (icmp_seq is 16 bits: unwrapped). The deadline
    may stop ping with the requests of its last second in flight: those are left out of sent and lost."""
    try:
        text = open(os.path.join(out, name + ".log")).read()
        sent = int(re.search(r"(\d+) packets transmitted", text).group(1))
    except (OSError, AttributeError):
        broken.append(f"{name}: no ping summary")
        return None
    replied, last = set(), 0
    for seq in map(int, re.findall(r"icmp_seq=(\d+) ", text)):
        seq += ((last - seq + 32768) // 65536) * 65536  # the unwrapped value nearest the previous one
        replied.add(seq)
        last = seq
    counted = sent - max(2, round(1 / interval))
    rtt = re.search(r"= [\d.]+/([\d.]+)/([\d.]+)/", text)
    return {"sent": counted, "lost": sum(1 for seq in range(1, counted + 1) if seq not in replied),
            "avg_ms": float(rtt.group(1)) if rtt else None, "max_ms": float(rtt.group(2)) if rtt else None}

result = {"date": __import__("datetime").datetime.utcnow().strftime("%Y-%m-%dT%H:%MZ"), "commit": commit,
          "minutes": float(minutes), "warmup_s": int(warmup), "udp_pps": int(udp_pps), "tcp_rate": tcp_rate,
          "cores": os.cpu_count()}
tcp = iperf("tcp")
if tcp:
    result["tcp"] = {"gbps": round(tcp["sum_received"]["bits_per_second"] / 1e9, 3),
                     "retransmits": tcp["sum_sent"].get("retransmits")}
lost = {}
for name, rcvbuf in (("udp-tap", rcvbuf_tap), ("udp-vxlan", rcvbuf_vxlan)):
    end = iperf(name)
    if end:
        s = end["sum"]
        # A datagram the receiving socket had no room for reached the receiver: the switch delivered it.
        result[name] = {"sent": s["packets"], "lost": s["lost_packets"], "receiver_rcvbuf_errors": int(rcvbuf),
                        "lost_by_switch": max(0, s["lost_packets"] - int(rcvbuf))}
        lost[name] = result[name]["lost_by_switch"]
for name, interval in (("ping-tap", 1), ("ping-vxlan", 0.1), ("ping-vhost", 0.01)):
    r = ping(name, interval)
    if r:
        result[name] = r
        lost[name] = r["lost"]
for name, n in lost.items():
    if n > 0:
        broken.append(f"{name}: {n} lost below capacity")

# The switch's drops by port and reason over the run.
before, after = load("stats-before.json"), load("stats-after.json")
drops = {}
if before and after:
    was = {p["port"]: p for p in before["ports"]}
    for port in after["ports"]:
        for k, v in port.items():
            if k.startswith("drop_"):
                d = v - was.get(port["port"], {}).get(k, 0)
                if d:
                    drops[f'{port["port"]}:{k[5:]}'] = d
else:
    broken.append("no counters from vireoctl stats")
result["drops"] = drops
# Not the switch's drops but its capacity: frames the containers' TAPs dropped because it did not read them.
result["tap_tx_dropped"] = {k: int(v) for k, v in (l.split() for l in open(os.path.join(out, "tap-tx-dropped.txt")))}
allowed = {r for r in allow_drops.split(",") if r}
for key, n in drops.items():
    if key.split(":", 1)[1] not in allowed:
        broken.append(f"switch drop {key} = {n}")

start, end = load("start.json") or {}, load("end.json") or {}
if start and end:
    seconds = end["at"] - start["at"]
    growth = 100.0 * (end["rss"] - start["rss"]) / start["rss"]
    alloc_rate = (end["allocated"] - start["allocated"]) / seconds
    result.update({"window_s": round(seconds, 1),
                   "rss_start_mb": round(start["rss"] / 2**20, 1), "rss_end_mb": round(end["rss"] / 2**20, 1),
                   "rss_growth_pct": round(growth, 2), "fds_start": start["fds"], "fds_end": end["fds"],
                   "alloc_bytes": end["allocated"] - start["allocated"], "alloc_bytes_per_s": round(alloc_rate, 1)})
    if growth >= float(max_rss_growth):
        broken.append(f"RSS grew {growth:.2f} % (limit {max_rss_growth} %)")
    if end["fds"] > start["fds"]:
        broken.append(f"open fds grew from {start['fds']} to {end['fds']}")
    if alloc_rate > float(max_alloc_rate):
        broken.append(f"forwarding threads allocated {alloc_rate:.0f} B/s (limit {max_alloc_rate})")
    # GC pauses: -Xlog:gc lines "[<ms since epoch>ms] GC(n) Pause ... 1.234ms".
    pauses, window = [], []
    try:
        for line in open(os.path.join(out, "run", "gc.log")):
            m = re.match(r"\[(\d+)ms\] GC\(\d+\) Pause .* ([\d.]+)ms$", line.strip())
            if m:
                pauses.append(float(m.group(2)))
                if start["at"] * 1000 <= int(m.group(1)) <= end["at"] * 1000:
                    window.append(float(m.group(2)))
    except OSError:
        broken.append("no GC log")
    result["gc"] = {"pauses": len(window), "max_ms": max(window, default=0.0), "total_ms": round(sum(window), 3),
                    "run_pauses": len(pauses), "run_max_ms": max(pauses, default=0.0)}
result["broken"] = broken
result["ok"] = not broken

def get(path, default="-"):
    v = result
    for k in path.split("."):
        if not isinstance(v, dict) or k not in v:
            return default
        v = v[k]
    return v

print(f"soak: {minutes} min window after {warmup} s warm-up, {os.cpu_count()} cores, {commit}")
print(f"  TCP bulk (TAP n0 -> n1, {tcp_rate}): {get('tcp.gbps')} Gbit/s, {get('tcp.retransmits')} retransmits")
for name, what in (("udp-tap", "TAP n1 -> n0"), ("udp-vxlan", "VXLAN c1 -> c2")):
    print(f"  UDP 64 B {udp_pps}/s ({what}): {get(name + '.lost')} lost of {get(name + '.sent')},"
          f" {get(name + '.lost_by_switch')} by the switch ({get(name + '.receiver_rcvbuf_errors')} overflowed"
          " the receiver's buffer)")
for name, what in (("ping-tap", "TAP, 1 s"), ("ping-vxlan", "VXLAN, 100 ms"), ("ping-vhost", "vhost-user, 10 ms")):
    print(f"  ping ({what}): {get(name + '.lost')} lost of {get(name + '.sent')}, avg {get(name + '.avg_ms')} ms,"
          f" max {get(name + '.max_ms')} ms")
print(f"  switch drops: {', '.join(f'{k}={v}' for k, v in drops.items()) or 'none'}; frames the containers' TAPs"
      f" dropped unread (the switch at capacity): {', '.join(f'{k}={v}' for k, v in result['tap_tx_dropped'].items())}")
print(f"  RSS: {get('rss_start_mb')} MB -> {get('rss_end_mb')} MB ({get('rss_growth_pct')} %)"
      f" over {get('window_s')} s; open fds {get('fds_start')} -> {get('fds_end')}")
print(f"  forwarding threads allocated {get('alloc_bytes')} B: {get('alloc_bytes_per_s')} B/s")
print(f"  GC pauses in the window: {get('gc.pauses')}, max {get('gc.max_ms')} ms, total {get('gc.total_ms')} ms"
      f" (whole run: {get('gc.run_pauses')}, max {get('gc.run_max_ms')} ms)")
print("  PASS" if not broken else "  FAIL: " + "; ".join(broken))
with open(os.path.join(out, "soak.json"), "w") as f:
    json.dump(result, f, indent=1)
print("soak-json: " + json.dumps(result))
sys.exit(0 if not broken else 1)
PY
