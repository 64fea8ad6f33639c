package io.vireo.vswitch.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code vireod --takeover}: a new daemon takes a running one's place on its run dir while a TCP transfer and a
 * 10 ms ping cross the switch, and when it cannot, the running one goes on. Every wait is for a condition, with a
 * deadline made for a loaded 2-core machine.
 */
class TakeoverIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TRANSFER = Daemon.ROOT.resolve("scripts/testing/tcp_transfer.py");
    /** The transfer's pace: it runs from before the takeover until the test has checked the new daemon. */
    private static final int RATE = 8_000_000;
    /** Takeovers in a row, each of the one before: a figure each. */
    private static final int TAKEOVERS = 3;

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

    /**
     * Two namespaces on TAP ports of {@code br0} and a VXLAN bridge; a 10 ms ping from A to B and a TCP
     * transfer from A to B read at 8 MB/s; then {@code vireod --takeover} on the run dir (the transfer ends once the
     * test has checked the new daemon, so it spans the handover). The running
     * daemon hands over its TAPs (the same interfaces throughout), its VXLAN sockets and its learned MACs and exits
     * 0; the new one answers {@code vireoctl} with the same bridges, ports, MACs and counters that went on; the
     * transfer arrives byte-exact (no reset), and the ping loses at most one answer. Three takeovers in a row, each
     * of the daemon that took over before, each measured.
     */
    @Test
    void aNewDaemonTakesTheRunningOnesPlaceWhileATransferAndAPingCrossTheSwitch() throws Exception
    {
        final TwoNamespaces net = TwoNamespaces.start(sandbox, "10.89.8");
        final Daemon first = net.daemon();
        final String vxlanPort = Integer.toString(20_000 + Integer.parseInt(sandbox.prefix.substring(2), 16) % 10_000);
        first.ok("bridge", "add", "vx", "--vni", "42", "--vtep-local", "127.0.0.1", "--vtep-port", vxlanPort);
        first.ok("vxlan", "peer", "add", "vx", "127.0.0.2");
        check(sandbox.inNetns(net.nsA(), "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.89.8.2"));
        final int ifindexA = FaultsIT.ifindex(sandbox, net.nsA(), net.tapA());
        final int ifindexB = FaultsIT.ifindex(sandbox, net.nsB(), net.tapB());
        final List<String> macsBefore = macs(first, "br0");
        assertEquals(2, macsBefore.size(), "A and B learned: " + macsBefore);
        final Path received = sandbox.tempFile(".recv");
        sandbox.start(received, "ip", "netns", "exec", net.nsB(), "python3", TRANSFER.toString(), "recv", "10.89.8.2", "5201",
            Integer.toString(RATE), "pauses");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(received).contains("listening"), "the receiver listens");
        final Path sent = sandbox.tempFile(".send");
        final Path stop = sandbox.tempDir("stop").resolve("now");
        sandbox.start(sent, "ip", "netns", "exec", net.nsA(), "python3", TRANSFER.toString(), "send", "10.89.8.2", "5201",
            Long.toString(1L << 40), stop.toString());
        final Pinger ping = Pinger.start(sandbox, net.nsA(), "10.89.8.2");
        TapForwardingIT.waitFor(() -> FaultsIT.txBytes(first, net.tapB()) > 8 << 20 && ping.replies().size() >= 50,
            "8 MB of the transfer and 50 pings across the switch", 60);
        final JsonNode portsBefore = FaultsIT.ports(first);

        final List<String> figures = new ArrayList<>();
        Daemon second = first;
        for (int takeover = 0; takeover < TAKEOVERS; takeover++)
        {
            final Daemon before = second;
            final double since = System.currentTimeMillis() / 1000.0;
            final int lostBefore = ping.lost();
            second = before.takenOverBy(sandbox);
            assertTrue(before.output().contains("vireod: stopped, handed over to pid " + second.process.pid()), before.output());
            assertFalse(second.output().contains("not taken"), "every learned MAC moved: " + second.output());
            final Daemon after = second;
            final long streamed = FaultsIT.txBytes(after, net.tapB());
            final int answered = ping.replies().size();
            TapForwardingIT.waitFor(() -> FaultsIT.txBytes(after, net.tapB()) - streamed > 8 << 20 &&
                ping.replies().size() > answered + 50, "8 MB more of the transfer and 50 more pings through the new daemon", 60);
            final int lost = ping.lost() - lostBefore;
            figures.add(String.format("%s, lost pings %d, longest gap between answers %.1f ms", pausedLine(after.output()), lost,
                ping.longestGapSince(since) * 1000));
            assertTrue(lost <= 1, "at most one ping lost across a takeover: " + figures);
        }

        assertEquals(List.of("br0", "vx"), second.bridges());
        final JsonNode portsAfter = FaultsIT.ports(second);
        assertEquals(FaultsIT.names(portsBefore), FaultsIT.names(portsAfter));
        for (int i = 0; i < portsBefore.size(); i++)
        {
            for (final String field : List.of("bridge", "netns", "ip", "mac", "mtu", "offloads", "state"))
            {
                assertEquals(portsBefore.get(i).get(field), portsAfter.get(i).get(field), portsAfter.get(i) + ": " + field);
            }
            assertTrue(portsAfter.get(i).get("stats").get("rxPackets").asLong() >= portsBefore.get(i).get("stats").get("rxPackets").asLong(),
                "the counters go on: " + portsBefore.get(i) + " then " + portsAfter.get(i));
        }
        assertEquals(ifindexA, FaultsIT.ifindex(sandbox, net.nsA(), net.tapA()), "A's TAP is the one it was");
        assertEquals(ifindexB, FaultsIT.ifindex(sandbox, net.nsB(), net.tapB()), "and B's");
        assertTrue(macs(second, "br0").containsAll(macsBefore), "the learned MACs moved: " + macs(second, "br0"));
        assertEquals("127.0.0.2",
            JSON.readTree(second.ok("vxlan", "peer", "list", "vx", "--json").out()).get("peers").get(0).get("address").asText());
        assertTrue(check(sandbox.run("ss", "-Hulpn", "sport = :" + vxlanPort)).out().contains("pid=" + second.process.pid()),
            "the new daemon has the VXLAN socket");
        second.ok("bridge", "add", "after");

        assertEquals("listening", FaultsIT.lastLine(received), "the transfer went on across the takeover");
        Files.createFile(stop);
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(sent).contains(" "), "the transfer ends", 60);
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(received).lines().count() >= 2, "its receiver has it all", 30);
        final String[] arrived = FaultsIT.lastLine(received).split(" ");
        assertEquals(FaultsIT.lastLine(sent), arrived[0] + " " + arrived[1], "the transfer arrived byte-exact, without a reset");
        System.out.printf("TakeoverIT: %s; TCP stall (longest wait for data, read at 8 MB/s) %s ms over the %d takeovers%n",
            String.join("; ", figures), arrived[2], TAKEOVERS);
        assertEquals(0, second.terminate());
    }

    /**
     * {@code vireod --takeover} on a run dir no daemon serves: exit 1, one line saying so, nothing started.
     */
    @Test
    void takeoverWithNoDaemonRunningFailsAndSaysSo() throws Exception
    {
        final Path runDir = sandbox.tempDir("run");
        final Sandbox.Result result = sandbox.run(120, Daemon.ROOT.resolve("scripts/vireod").toString(), "--run-dir",
            runDir.toString(), "--metrics", "127.0.0.1:0", "--takeover");
        assertEquals(1, result.exit(), result.all());
        assertTrue(result.err().contains("vireod: --takeover: no vireod is running with run dir " + runDir), result.all());
    }

    /**
     * A daemon with a port it cannot hand over (af-packet: the interface is the host's, and the socket bound to it
     * is not passed yet) refuses: the new one exits 1 naming the port, the running one forwards on and takes changes
     * again.
     */
    @Test
    void aDaemonThatCannotHandOverRefusesAndGoesOnForwarding() throws Exception
    {
        final TwoNamespaces net = TwoNamespaces.start(sandbox, "10.89.9");
        final Daemon first = net.daemon();
        final String uplink = Uplink.create(sandbox, sandbox.namespace("o"), "10.89.19.2/24");
        first.ok("bridge", "add", "up");
        first.ok("port", "add", "up", uplink, "--type", "af-packet");
        final Pinger ping = Pinger.start(sandbox, net.nsA(), "10.89.9.2");
        TapForwardingIT.waitFor(() -> ping.replies().size() >= 20, "20 pings across the switch", 60);

        final Sandbox.Result result = sandbox.run(180, Daemon.ROOT.resolve("scripts/vireod").toString(), "--run-dir",
            first.runDir.toString(), "--metrics", "127.0.0.1:0", "--takeover");
        assertEquals(1, result.exit(), result.all());
        assertTrue(result.err().contains("takeover failed: the running vireod refuses: port " + uplink +
            " (af-packet) cannot be handed over"), result.all());
        assertTrue(result.err().contains("the running vireod goes on forwarding"), result.all());

        assertTrue(first.process.isAlive(), "the running daemon goes on: " + first.output());
        final int answered = ping.replies().size();
        TapForwardingIT.waitFor(() -> ping.replies().size() >= answered + 20, "it forwards on", 30);
        first.ok("bridge", "add", "after");
        assertEquals(0, first.terminate());
    }

    private static List<String> macs(final Daemon daemon, final String bridge) throws IOException
    {
        final List<String> macs = new ArrayList<>();
        JSON.readTree(daemon.ok("fdb", "show", bridge, "--json").out()).get("entries").forEach(entry -> macs.add(entry.get("mac").asText()));
        return macs;
    }

    static String pausedLine(final String log)
    {
        final int at = log.indexOf("took over (");
        return at < 0 ? "?" : log.substring(at, log.indexOf(')', at) + 1);
    }
}
