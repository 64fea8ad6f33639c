package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.flowtable.MacAddress;
import io.vireo.vswitch.core.Frames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18's hostile traffic, end to end: attackers inside namespaces send crafted frames as fast as a
 * packet socket goes ({@code hostile_frames.py}) into TAP ports and the VXLAN endpoint of one daemon, and a
 * hostile vhost-user frontend ({@code VhostUserAttacker}, a process of its own) sends the same frames and breaks
 * the protocol in every way it knows, all at once, while two other namespaces on the same bridge run a
 * byte-exact TCP transfer and a ping every 20 ms.
 * <p>
 * vireod runs in host namespace {@code h} (10.77.0.1 on a veth to the VXLAN attacker {@code x}, 10.77.0.2
 * and the stranger 10.77.0.9). br0 (10.98.0.0/24, router r1 at .254 and fd98::fe): legitimate {@code a}
 * (.1) and {@code b} (.2); sink {@code s} (.50) where the frames that are well formed as far as a switch
 * looks go, and sink {@code t} (.51, offloads off, so that GSO frames for it are segmented by the switch) for
 * the GSO attacker's; attacker {@code l} (.100,
 * raw frames) and attacker {@code g} (.101, frames with a virtio-net header whose GSO fields lie); vhost-user
 * port {@code vV}, whose attacker sends both kinds of frame (as 02:98:00:00:00:66) to its own sink {@code u}
 * (.52, offloads off). br1: VNI 42 with peer 10.77.0.2.
 */
class HostileTrafficIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 20 s in the suite; {@code -Dvireo.hostile.seconds=60} makes it the minute. */
    private static final int ATTACK_SECONDS = Integer.getInteger("vireo.hostile.seconds", 20);
    private static final int PING_INTERVAL_MS = 20;
    private static final String SINK_MAC = "02:98:00:00:00:50";
    private static final String GSO_SINK_MAC = "02:98:00:00:00:51";
    private static final String VHOST_SINK_MAC = "02:98:00:00:00:52";
    private static final String VHOST_ATTACKER_MAC = "02:98:00:00:00:66";

    private Sandbox sandbox;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void theSwitchForwardsLegitimateTrafficIntactAndCountsEveryBadFrameUnderAReason() throws Exception
    {
        final String host = sandbox.namespace("h");
        final String vxlanAttacker = sandbox.namespace("x");
        check(sandbox.run("ip", "-n", host, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", vxlanAttacker));
        check(sandbox.run("ip", "-n", host, "addr", "add", "10.77.0.1/24", "dev", "eth0"));
        check(sandbox.run("ip", "-n", vxlanAttacker, "addr", "add", "10.77.0.2/24", "dev", "eth0"));
        check(sandbox.run("ip", "-n", vxlanAttacker, "addr", "add", "10.77.0.9/24", "dev", "eth0"));
        check(sandbox.run("ip", "-n", host, "link", "set", "eth0", "up"));
        check(sandbox.run("ip", "-n", vxlanAttacker, "link", "set", "eth0", "up"));

        final Daemon daemon = Daemon.startIn(sandbox, host, sandbox.tempDir("run"));
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String sink = sandbox.namespace("s");
        final String gsoSink = sandbox.namespace("t");
        final String attacker = sandbox.namespace("l");
        final String gsoAttacker = sandbox.namespace("g");
        final String vhostSink = sandbox.namespace("u");
        final String tapA = sandbox.ifname("tA");
        final String tapB = sandbox.ifname("tB");
        final String tapS = sandbox.ifname("tS");
        final String tapT = sandbox.ifname("tT");
        final String tapL = sandbox.ifname("tL");
        final String tapG = sandbox.ifname("tG");
        final String tapU = sandbox.ifname("tU");
        final String vhostPort = sandbox.ifname("vV");
        final Path vhostSocket = sandbox.tempDir("vhost").resolve("attacker.sock");
        daemon.ok("port", "add", "br0", tapA, "--netns", nsA, "--ip", "10.98.0.1/24", "--mac", "02:98:00:00:00:01");
        daemon.ok("port", "add", "br0", tapB, "--netns", nsB, "--ip", "10.98.0.2/24", "--mac", "02:98:00:00:00:02");
        daemon.ok("port", "add", "br0", tapS, "--netns", sink, "--ip", "10.98.0.50/24", "--mac", SINK_MAC);
        daemon.ok("port", "add", "br0", tapT, "--netns", gsoSink, "--ip", "10.98.0.51/24", "--mac", GSO_SINK_MAC, "--offloads", "off");
        daemon.ok("port", "add", "br0", tapL, "--netns", attacker, "--ip", "10.98.0.100/24", "--mac", "02:98:00:00:00:64");
        daemon.ok("port", "add", "br0", tapG, "--netns", gsoAttacker, "--ip", "10.98.0.101/24", "--mac", "02:98:00:00:00:65");
        daemon.ok("port", "add", "br0", tapU, "--netns", vhostSink, "--ip", "10.98.0.52/24", "--mac", VHOST_SINK_MAC, "--offloads", "off");
        daemon.ok("port", "add", "br0", vhostPort, "--type", "vhost-user", "--socket", vhostSocket.toString());
        daemon.ok("router", "add", "r1");
        daemon.ok("router", "attach", "r1", "br0", "--ip", "10.98.0.254/24", "--ip", "fd98::fe/64");
        daemon.ok("bridge", "add", "br1", "--vni", "42", "--vtep-local", "10.77.0.1");
        daemon.ok("vxlan", "peer", "add", "br1", "10.77.0.2");

        check(sandbox.inNetns(nsA, "ping", "-c", "2", "-i", "0.1", "-W", "2", "10.98.0.2"));
        for (final String ns : List.of(sink, gsoSink, attacker, gsoAttacker, vhostSink))
        {
            check(sandbox.inNetns(ns, "ping", "-c", "1", "-W", "2", "10.98.0.254")); // the switch learns them; they the router's MAC
        }
        final String routerMac = neighbour(attacker, "10.98.0.254");
        // the sinks' MACs in VLAN 7 too, so that the attackers' tagged garbage goes to them alone rather than flooding
        check(sandbox.inNetns(sink, "python3", Sandbox.resource("send_frame.py").toString(), tapS,
            "ffffffffffff" + SINK_MAC.replace(":", "") + "8100000788b5" + "00".repeat(46)));
        check(sandbox.inNetns(vhostSink, "python3", Sandbox.resource("send_frame.py").toString(), tapU,
            "ffffffffffff" + VHOST_SINK_MAC.replace(":", "") + "8100000788b5" + "00".repeat(46)));
        // giants: the TAP takes what its MTU allows (the switch set 1500; the kernel refuses longer raw sends)
        check(sandbox.inNetns(attacker, "ip", "link", "set", "dev", tapL, "mtu", "12000"));

        final Map<String, Map<String, Long>> before = stats(daemon);
        final Map<String, Long> kernelBefore = tapCounters(attacker, tapL);
        final Map<String, Long> kernelGsoBefore = tapCounters(gsoAttacker, tapG);
        final long udpErrorsBefore = udpReceiveErrors(host);
        final Path hostile = Sandbox.resource("hostile_frames.py");
        final Path vhostFrames = sandbox.tempFile(".frames");
        Files.writeString(vhostFrames, check(sandbox.run("python3", hostile.toString(), "dump", VHOST_ATTACKER_MAC,
            VHOST_SINK_MAC, routerMac, "10.98.0.52", "10.98.0.254", VHOST_SINK_MAC, "10.98.0.52")).out());
        final long attackStart = System.nanoTime();
        final Path l2Log = sandbox.tempFile(".l2");
        final Process l2 = sandbox.start(l2Log, "ip", "netns", "exec", attacker, "python3", hostile.toString(), "l2",
            tapL, SINK_MAC, routerMac, "10.98.0.50", "10.98.0.254", Integer.toString(ATTACK_SECONDS));
        final Path gsoLog = sandbox.tempFile(".gso");
        final Process gso = sandbox.start(gsoLog, "ip", "netns", "exec", gsoAttacker, "python3", hostile.toString(), "gso",
            tapG, GSO_SINK_MAC, "10.98.0.51", Integer.toString(ATTACK_SECONDS));
        final Path vxlanLog = sandbox.tempFile(".vxlan");
        final Process vxlan = sandbox.start(vxlanLog, "ip", "netns", "exec", vxlanAttacker, "python3", hostile.toString(), "vxlan",
            "10.77.0.2", "10.77.0.9", "10.77.0.1", "42", SINK_MAC, Integer.toString(ATTACK_SECONDS));
        final Path vhostLog = sandbox.tempFile(".vhost");
        final Process vhost = sandbox.start(vhostLog, vhostAttacker(vhostSocket, vhostFrames,
            HexFormat.of().formatHex(Frames.arpRequest(MacAddress.parse(VHOST_ATTACKER_MAC), 0x0A62_0066, 0x0A62_00FE)), // .102 asks for .254
            sandbox.tempDir("vhost-scratch")));
        TapForwardingIT.waitFor(() -> rx(stats(daemon), tapL) - rx(before, tapL) > 1000 && rx(stats(daemon), tapG) > rx(before, tapG)
            && drops(stats(daemon), "br1-vxlan") > drops(before, "br1-vxlan")
            && value(stats(daemon), vhostPort, "frontend_violations") > value(before, vhostPort, "frontend_violations"),
            "the attack under way", 20);

        // the legitimate traffic, while the attack goes on
        final int pings = (int)(TimeUnit.NANOSECONDS.toMillis(
            attackStart + TimeUnit.SECONDS.toNanos(ATTACK_SECONDS) - System.nanoTime()) / PING_INTERVAL_MS);
        final Path pingLog = sandbox.tempFile(".ping");
        final Process ping = sandbox.start(pingLog, "ip", "netns", "exec", nsA, "ping", "-q", "-c", Integer.toString(pings),
            "-i", Double.toString(PING_INTERVAL_MS / 1000.0), "-W", "5", "10.98.0.2");
        TcpTransfer.send(sandbox, nsB, "10.98.0.2", 5201, nsA, "10.98.0.2", 5201, 20);
        final boolean transferDuringAttack = l2.isAlive();
        assertTrue(ping.waitFor(ATTACK_SECONDS + 30, TimeUnit.SECONDS), "ping finished");
        for (final Process process : List.of(l2, gso, vxlan))
        {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "an attacker stopped");
        }
        // past its time it makes each attack it has not made yet (one a second or two on a loaded machine)
        assertTrue(vhost.waitFor(120, TimeUnit.SECONDS), "the vhost-user attacker stopped");
        final String vhostOut = Sandbox.readUtf8(vhostLog);
        assertEquals(0, vhost.exitValue(), () -> "the vhost-user attacker: " + vhostOut);
        final double attackSeconds = (System.nanoTime() - attackStart) / 1e9;

        // the daemon lives and forwards
        assertTrue(daemon.process.isAlive(), "vireod is alive");
        check(sandbox.inNetns(nsB, "ping", "-c", "3", "-i", "0.1", "-W", "2", "10.98.0.1"));
        check(sandbox.inNetns(nsA, "ping", "-c", "2", "-i", "0.1", "-W", "2", "10.98.0.254"));

        // the counters come to rest: nothing is left in flight
        TapForwardingIT.waitFor(() -> stats(daemon).equals(stats(daemon)), "counters at rest");
        final Map<String, Map<String, Long>> after = stats(daemon);
        final JsonNode l2Sent = JSON.readTree(lastLine(l2Log));
        final JsonNode gsoSent = JSON.readTree(lastLine(gsoLog));
        final JsonNode vxlanSent = JSON.readTree(lastLine(vxlanLog));
        final JsonNode vhostSent = JSON.readTree(lastLine(vhostLog));
        final Map<String, Long> kernel = delta(tapCounters(attacker, tapL), kernelBefore);
        final Map<String, Long> kernelGso = delta(tapCounters(gsoAttacker, tapG), kernelGsoBefore);
        final long udpErrors = udpReceiveErrors(host) - udpErrorsBefore;
        final String pingOut = Sandbox.readUtf8(pingLog);

        System.out.printf("HostileTrafficIT: attack %.1f s; TCP transfer (20 MB) %s the attack; ping: %s%n", attackSeconds,
            transferDuringAttack ? "completed during" : "outlasted", pingOut.lines().filter(l -> l.contains("transmitted")).findFirst().orElse(pingOut));
        summary("raw frames into TAP " + tapL, l2Sent, kernel, before, after, tapL);
        summary("virtio-net headers into TAP " + tapG, gsoSent, kernelGso, before, after, tapG);
        summary("UDP datagrams into VXLAN endpoint 10.77.0.1:4789 (host UDP receive errors " + udpErrors + ")",
            vxlanSent, Map.of(), before, after, "br1-vxlan");
        summary("frames into vhost-user port " + vhostPort, vhostSent, Map.of(), before, after, vhostPort);
        System.out.printf("HostileTrafficIT: protocol violations by the vhost-user frontend: %d counted by the switch; made %s%n",
            value(after, vhostPort, "frontend_violations") - value(before, vhostPort, "frontend_violations"), vhostSent.get("violations"));
        System.out.printf("HostileTrafficIT: vhost-user sink %s tx %d, drops %s%n", tapU,
            value(after, tapU, "tx_packets") - value(before, tapU, "tx_packets"), dropsOf(before, after, tapU));
        System.out.printf("HostileTrafficIT: sink %s tx %d, drops %s%n", tapS, value(after, tapS, "tx_packets") - value(before, tapS, "tx_packets"),
            dropsOf(before, after, tapS));
        System.out.printf("HostileTrafficIT: GSO sink %s tx %d, drops %s%n", tapT, value(after, tapT, "tx_packets") - value(before, tapT, "tx_packets"),
            dropsOf(before, after, tapT));
        for (final String port : List.of(tapA, tapB))
        {
            System.out.printf("HostileTrafficIT: legitimate %s rx %d tx %d, drops %s%n", port,
                value(after, port, "rx_packets") - value(before, port, "rx_packets"),
                value(after, port, "tx_packets") - value(before, port, "tx_packets"), dropsOf(before, after, port));
        }

        // legitimate traffic lost nothing (the transfer's hashes agreed in TcpTransfer.send)
        final Matcher replies = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(pingOut);
        assertTrue(replies.find(), pingOut);
        assertEquals(pings, Integer.parseInt(replies.group(1)), pingOut);
        assertEquals(replies.group(1), replies.group(2), () -> "every echo answered: " + pingOut + "; switch drops on A " +
            dropsOf(before, after, tapA) + ", B " + dropsOf(before, after, tapB) + "; kernel: " + tapCounters(nsA, tapA) + tapCounters(nsB, tapB));
        assertEquals(Map.of(), dropsOf(before, after, tapA), "nothing of A's dropped");
        assertEquals(Map.of(), dropsOf(before, after, tapB), "nothing of B's dropped");

        // every targeted reason counted
        final Map<String, Long> l2Drops = dropsOf(before, after, tapL);
        for (final String reason : List.of("runt", "oversize", "bad_source_mac", "bad_ip"))
        {
            assertTrue(l2Drops.getOrDefault(reason, 0L) > 0, () -> reason + " counted on " + tapL + ": " + l2Drops);
        }
        final Map<String, Long> vxlanDrops = dropsOf(before, after, "br1-vxlan");
        for (final String reason : List.of("bad_vxlan", "unknown_vni", "unknown_peer", "runt", "bad_source_mac"))
        {
            assertTrue(vxlanDrops.getOrDefault(reason, 0L) > 0, () -> reason + " counted on br1-vxlan: " + vxlanDrops);
        }

        // what the attackers sent is accounted for: what the TAP's kernel side handed the switch it received,
        // and each frame was dropped under a reason or forwarded to the sink
        final long l2Rx = value(after, tapL, "rx_packets") - value(before, tapL, "rx_packets");
        assertEquals(kernel.get("tx_packets"), l2Rx, () -> "the switch received what the kernel handed it: " + kernel);
        final long l2Accepted = total(l2Sent, 0);
        // the kernel's own frames (ARP) count in the TAP's too
        assertTrue(Math.abs(l2Accepted - kernel.get("tx_packets") - kernel.get("tx_dropped")) <= 100,
            () -> "sent " + l2Accepted + ": the switch took " + l2Rx + ", the kernel's queue to it dropped the rest " + kernel);
        final long gsoAccepted = total(gsoSent, 0);
        assertTrue(Math.abs(gsoAccepted - kernelGso.get("tx_packets") - kernelGso.get("tx_dropped")) <= 100,
            () -> "sent " + gsoAccepted + ": the kernel's TAP " + kernelGso);
        final long forwardedToSink = value(after, tapS, "tx_packets") - value(before, tapS, "tx_packets");
        final long l2Dropped = l2Drops.values().stream().mapToLong(Long::longValue).sum();
        assertTrue(Math.abs(l2Rx - l2Dropped - forwardedToSink) <= 100, () -> "received " + l2Rx + " = dropped " + l2Dropped +
            " " + l2Drops + " + forwarded to the sink " + forwardedToSink);
        assertEquals(kernelGso.get("tx_packets"), value(after, tapG, "rx_packets") - value(before, tapG, "rx_packets"),
            () -> "the switch received what the kernel handed it: " + kernelGso);
        // the vhost-user frontend: every violation it made was answered by a reset and counted, each kind of attack
        // made; the switch received every frame it took (and the one or two frames of some attacks)
        final Map<String, Long> vhostDrops = dropsOf(before, after, vhostPort);
        for (final String reason : List.of("runt", "oversize", "bad_source_mac", "bad_ip"))
        {
            assertTrue(vhostDrops.getOrDefault(reason, 0L) > 0, () -> reason + " counted on " + vhostPort + ": " + vhostDrops);
        }
        assertTrue(dropsOf(before, after, tapU).getOrDefault("bad_offload", 0L) > 0, () -> "bad_offload counted on " + tapU);
        long violationsMade = 0;
        for (final JsonNode made : vhostSent.get("violations"))
        {
            violationsMade += made.asLong();
        }
        final long violationsCounted = value(after, vhostPort, "frontend_violations") - value(before, vhostPort, "frontend_violations");
        assertEquals(violationsMade, violationsCounted, () -> "violations made " + vhostSent.get("violations"));
        assertEquals(vhostSent.get("kinds_of_attack").asInt(), vhostSent.get("violations").size(), () -> "every attack made: " + vhostSent);
        final long vhostTaken = total(vhostSent, 0);
        final long vhostRx = value(after, vhostPort, "rx_packets") - value(before, vhostPort, "rx_packets");
        final long made = violationsMade;
        assertTrue(vhostRx >= vhostTaken && vhostRx <= vhostTaken + 2 * made,
            () -> "the switch received " + vhostRx + " of the " + vhostTaken + " frames it took and the attacks' " + made);
        final long vxlanSentTotal = total(vxlanSent, 0);
        // each datagram dropped once: those whose VXLAN header passes count in rx_packets and again under the inner frame's reason
        final long vxlanCounted = vxlanDrops.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(vxlanSentTotal, vxlanCounted + udpErrors,
            () -> "sent " + vxlanSentTotal + ", counted " + vxlanCounted + " " + vxlanDrops + ", lost in the host's UDP socket " + udpErrors);
    }

    private void summary(final String what, final JsonNode sent, final Map<String, Long> kernel,
        final Map<String, Map<String, Long>> before, final Map<String, Map<String, Long>> after, final String port)
    {
        System.out.printf("HostileTrafficIT: %s: switch rx %d, drops %s%s%n", what,
            value(after, port, "rx_packets") - value(before, port, "rx_packets"), dropsOf(before, after, port),
            kernel.isEmpty() ? "" : ", kernel side of the TAP " + kernel);
        sent.get("counts").properties().forEach(kind -> System.out.printf("HostileTrafficIT:   %-45s sent %9d refused %9d%s%n",
            kind.getKey(), kind.getValue().get(0).asLong(), kind.getValue().get(1).asLong(),
            sent.get("refusals").has(kind.getKey()) ? " (" + sent.get("refusals").get(kind.getKey()).asText() + ")" : ""));
    }

    /** The hostile vhost-user frontend, run with the JVM and class path of this test. */
    private static String[] vhostAttacker(final Path socket, final Path frames, final String answeredFrame, final Path scratch)
    {
        final String java = ProcessHandle.current().info().command().orElseThrow();
        return new String[] {java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), "io.vireo.dataplane.vhost.VhostUserAttacker", socket.toString(),
            Integer.toString(ATTACK_SECONDS), frames.toString(), answeredFrame, scratch.toString()};
    }

    private static long total(final JsonNode sent, final int column)
    {
        long total = 0;
        for (final JsonNode counts : sent.get("counts"))
        {
            total += counts.get(column).asLong();
        }
        return total;
    }

    private static String lastLine(final Path log) throws Exception
    {
        return Sandbox.readUtf8(log).strip().lines().reduce((first, last) -> last).orElse("{}");
    }

    private String neighbour(final String ns, final String address) throws Exception
    {
        final JsonNode entries = JSON.readTree(check(sandbox.inNetns(ns, "ip", "-j", "neigh", "show", address)).out());
        return entries.get(0).get("lladdr").asText();
    }

    /** The kernel's counters of a TAP seen from its namespace: tx is what the namespace sent into the switch. */
    private Map<String, Long> tapCounters(final String ns, final String ifname)
    {
        final JsonNode stats;
        try
        {
            stats = JSON.readTree(check(sandbox.inNetns(ns, "ip", "-j", "-s", "link", "show", "dev", ifname)).out()).get(0).get("stats64");
        }
        catch (final java.io.IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        final Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("tx_packets", stats.get("tx").get("packets").asLong());
        counters.put("tx_dropped", stats.get("tx").get("dropped").asLong());
        counters.put("tx_errors", stats.get("tx").get("errors").asLong());
        counters.put("rx_dropped", stats.get("rx").get("dropped").asLong());
        return counters;
    }

    private static Map<String, Long> delta(final Map<String, Long> after, final Map<String, Long> before)
    {
        final Map<String, Long> delta = new LinkedHashMap<>();
        after.forEach((key, value) -> delta.put(key, value - before.getOrDefault(key, 0L)));
        return delta;
    }

    /** UDP datagrams the host namespace's kernel could not deliver (a full socket buffer: RcvbufErrors, InErrors). */
    private long udpReceiveErrors(final String ns)
    {
        final List<String> lines = check(sandbox.inNetns(ns, "cat", "/proc/net/snmp")).out().lines().filter(l -> l.startsWith("Udp:")).toList();
        final List<String> names = List.of(lines.get(0).split("\\s+"));
        final String[] values = lines.get(1).split("\\s+");
        return Long.parseLong(values[names.indexOf("InErrors")]);
    }

    /** {@code vireoctl stats --json}: each port's counters. */
    private static Map<String, Map<String, Long>> stats(final Daemon daemon) throws Exception
    {
        final Map<String, Map<String, Long>> ports = new TreeMap<>();
        for (final JsonNode row : JSON.readTree(daemon.ok("stats", "--json").out()).get("ports"))
        {
            final Map<String, Long> values = new TreeMap<>();
            row.properties().forEach(field ->
            {
                if (field.getValue().isNumber())
                {
                    values.put(field.getKey(), field.getValue().asLong());
                }
            });
            ports.put(row.get("port").asText(), values);
        }
        return ports;
    }

    private static long value(final Map<String, Map<String, Long>> stats, final String port, final String metric)
    {
        return stats.getOrDefault(port, Map.of()).getOrDefault(metric, 0L);
    }

    private static long rx(final Map<String, Map<String, Long>> stats, final String port)
    {
        return value(stats, port, "rx_packets");
    }

    private static long drops(final Map<String, Map<String, Long>> stats, final String port)
    {
        return stats.getOrDefault(port, Map.of()).entrySet().stream()
            .filter(e -> e.getKey().startsWith("drop_")).mapToLong(Map.Entry::getValue).sum();
    }

    /** The drops of a port between two snapshots, by reason, those that grew only. */
    private static Map<String, Long> dropsOf(final Map<String, Map<String, Long>> before, final Map<String, Map<String, Long>> after,
        final String port)
    {
        final Map<String, Long> drops = new TreeMap<>();
        after.getOrDefault(port, Map.of()).forEach((metric, value) ->
        {
            final long grew = value - value(before, port, metric);
            if (metric.startsWith("drop_") && grew != 0)
            {
                drops.put(metric.substring(5), grew);
            }
        });
        return drops;
    }
}
