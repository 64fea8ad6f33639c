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
    /** Takeovers in a row of a switch with an af-packet uplink. */
    private static final int AF_PACKET_TAKEOVERS = 2;

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
        // The warm-up users get: the new daemon runs it between the running one's HELLO and GO, while that one forwards.
        final TwoNamespaces net = TwoNamespaces.start(sandbox, "10.89.8", Daemon.FULL_WARM_UP);
        final Daemon first = net.daemon();
        final String vxlanPort = Integer.toString(20_000 + Integer.parseInt(sandbox.prefix.substring(2), 16) % 10_000);
        first.ok("bridge", "add", "vx", "--vni", "42", "--vtep-local", "127.0.0.1", "--vtep-port", vxlanPort);
        first.ok("vxlan", "peer", "add", "vx", "127.0.0.2");
        check(sandbox.inNetns(net.nsA(), "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.89.8.2"));
        final int ifindexA = FaultsIT.ifindex(sandbox, net.nsA(), net.tapA());
        final int ifindexB = FaultsIT.ifindex(sandbox, net.nsB(), net.tapB());
        final List<String> macsBefore = macs(first, "br0");
        assertEquals(2, macsBefore.size(), "A and B learned: " + macsBefore);
        final Traffic traffic = Traffic.start(sandbox, net.nsA(), net.nsB(), "10.89.8.2", first, net.tapB());
        final JsonNode portsBefore = FaultsIT.ports(first);

        final Daemon second = traffic.takeOvers(sandbox, first, TAKEOVERS);

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

        traffic.finish("TakeoverIT");
        assertEquals(0, second.terminate());
    }

    /**
     * An edge gateway's layout: a container namespace on a TAP port of {@code br0} and an "outside" namespace behind
     * a veth whose host end is an af-packet port of {@code br0}; a 10 ms ping from the container to the outside and a
     * TCP transfer to it, read at 8 MB/s, across two takeovers in a row. The af-packet socket passes over with its
     * receive ring, each new daemon reading on from where the one before stopped: the ping loses at most one answer
     * a takeover, the transfer arrives byte-exact without a reset, each daemon taken over exits 0, and afterwards the
     * interface is the one it was, up and promiscuous, and {@code port list} shows the port. When the last daemon
     * stops, the socket's last descriptor closes and the interface is no longer promiscuous.
     */
    @Test
    void anAfPacketUplinkPassesOverWhileAPingAndATransferCrossIt() throws Exception
    {
        final Daemon first = Daemon.start(sandbox, sandbox.tempDir("run"));
        final Uplink.ContainerAndOutside net = Uplink.containerAndOutside(sandbox, first, "10.89.15");
        final String container = net.container();
        final String uplink = net.uplink();
        check(sandbox.inNetns(container, "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.89.15.2"));
        final String ifindex = Files.readString(Path.of("/sys/class/net", uplink, "ifindex")).strip();
        assertEquals(1, Uplink.promiscuity(sandbox, uplink), "the port's socket made it promiscuous");
        final Traffic traffic = Traffic.start(sandbox, container, net.outside(), "10.89.15.2", first, uplink);

        final Daemon second = traffic.takeOvers(sandbox, first, AF_PACKET_TAKEOVERS);

        final JsonNode ports = FaultsIT.ports(second);
        assertEquals(List.of(net.tap(), uplink), FaultsIT.names(ports));
        assertEquals("af-packet", ports.get(1).get("type").asText(), ports.toString());
        assertEquals("br0", ports.get(1).get("bridge").asText(), ports.toString());
        assertEquals(ifindex, Files.readString(Path.of("/sys/class/net", uplink, "ifindex")).strip(), "the same interface");
        // a packet socket's membership counts in promiscuity; the PROMISC flag shows only what a user set
        assertEquals(1, Uplink.promiscuity(sandbox, uplink), "still promiscuous, by the socket handed over");
        final String link = check(sandbox.run("ip", "link", "show", "dev", uplink)).out();
        assertTrue(link.contains(",UP") && link.contains("state UP"), "still up: " + link);

        traffic.finish("TakeoverIT (af-packet uplink)");
        assertEquals(0, second.terminate());
        assertEquals(0, Uplink.promiscuity(sandbox, uplink), "the socket's last descriptor closed with the last daemon");
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

    private static List<String> macs(final Daemon daemon, final String bridge) throws IOException
    {
        final List<String> macs = new ArrayList<>();
        JSON.readTree(daemon.ok("fdb", "show", bridge, "--json").out()).get("entries").forEach(entry -> macs.add(entry.get("mac").asText()));
        return macs;
    }

    /**
     * A TCP transfer from namespace {@code from} to {@code address} in {@code to}, read at {@link #RATE} until the test
     * ends it, and a 10 ms ping along the same way; {@code egress} is the port towards {@code to}, whose transmitted
     * bytes tell the transfer goes on.
     */
    record Traffic(Path sent, Path received, Path stop, Pinger ping, String egress, List<String> figures)
    {
        /** Starts both and waits until 8 MB of the transfer and 50 pings have crossed {@code daemon}'s switch. */
        static Traffic start(final Sandbox sandbox, final String from, final String to, final String address,
            final Daemon daemon, final String egress) throws Exception
        {
            final Path received = sandbox.tempFile(".recv");
            sandbox.start(received, "ip", "netns", "exec", to, "python3", TRANSFER.toString(), "recv", address, "5201",
                Integer.toString(RATE), "pauses");
            TapForwardingIT.waitFor(() -> Sandbox.readUtf8(received).contains("listening"), "the receiver listens");
            final Path sent = sandbox.tempFile(".send");
            final Path stop = sandbox.tempDir("stop").resolve("now");
            sandbox.start(sent, "ip", "netns", "exec", from, "python3", TRANSFER.toString(), "send", address, "5201",
                Long.toString(1L << 40), stop.toString());
            final Pinger ping = Pinger.start(sandbox, from, address);
            TapForwardingIT.waitFor(() -> FaultsIT.txBytes(daemon, egress) > 8 << 20 && ping.replies().size() >= 50,
                "8 MB of the transfer and 50 pings across the switch", 60);
            return new Traffic(sent, received, stop, ping, egress, new ArrayList<>());
        }

        /**
         * {@code count} takeovers in a row, each of the daemon that took over before: each daemon taken over exits 0
         * saying to whom, every learned MAC moves, 8 MB more of the transfer and 50 more pings cross the new daemon,
         * and at most one ping is lost. Each takeover's figures are kept for {@link #finish}.
         *
         * @param extra the new daemons' options beside {@code --takeover}.
         * @return the last daemon.
         */
        Daemon takeOvers(final Sandbox sandbox, final Daemon first, final int count, final String... extra) throws Exception
        {
            Daemon daemon = first;
            for (int takeover = 0; takeover < count; takeover++)
            {
                final Daemon before = daemon;
                final double since = System.currentTimeMillis() / 1000.0;
                final int lostBefore = ping.lost();
                daemon = before.takenOverBy(sandbox, extra);
                assertTrue(before.output().contains("vireod: stopped, handed over to pid " + daemon.process.pid()), before.output());
                assertFalse(daemon.output().contains("not taken"), "every learned MAC moved: " + daemon.output());
                final Daemon after = daemon;
                final long streamed = FaultsIT.txBytes(after, egress);
                final int answered = ping.replies().size();
                TapForwardingIT.waitFor(() -> FaultsIT.txBytes(after, egress) - streamed > 8 << 20 &&
                    ping.replies().size() > answered + 50, "8 MB more of the transfer and 50 more pings through the new daemon", 60);
                final int lost = ping.lost() - lostBefore;
                figures.add(String.format("%s, lost pings %d, longest gap between answers %.1f ms", pausedLine(after.output()),
                    lost, ping.longestGapSince(since) * 1000));
                assertTrue(lost <= 1, "at most one ping lost across a takeover: " + figures);
            }
            return daemon;
        }

        /** Ends the transfer, which must have gone on throughout and arrive byte-exact, and prints the figures. */
        void finish(final String test) throws Exception
        {
            assertEquals("listening", FaultsIT.lastLine(received), "the transfer went on across the takeovers");
            Files.createFile(stop);
            TapForwardingIT.waitFor(() -> FaultsIT.lastLine(sent).contains(" "), "the transfer ends", 60);
            TapForwardingIT.waitFor(() -> !"listening".equals(FaultsIT.lastLine(received)), "its receiver has it all", 30);
            final String[] arrived = FaultsIT.lastLine(received).split(" ");
            assertEquals(FaultsIT.lastLine(sent), arrived[0] + " " + arrived[1], "the transfer arrived byte-exact, without a reset");
            System.out.printf("%s: %s; TCP stall (longest wait for data, read at 8 MB/s) %s ms over the %d takeovers%n",
                test, String.join("; ", figures), arrived[2], figures.size());
        }
    }

    static String pausedLine(final String log)
    {
        final int at = log.indexOf("took over (");
        return at < 0 ? "?" : log.substring(at, log.indexOf(')', at) + 1);
    }
}
