package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hosts simulated by namespaces on one underlay (a kernel bridge in its own namespace, host N at
 * 10.77.0.N), each with a container namespace (10.66.0.N, MAC 02:77:00:00:00:0N) on an overlay of
 * VNI 42: Vireo hosts run {@code vireod} inside the host namespace with the container on a TAP port;
 * kernel hosts have a kernel bridge with a {@code vxlan} device and the container on a veth.
 */
class VxlanIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VNI = "42";
    private static final Path TRANSFER = Daemon.ROOT.resolve("scripts/testing/tcp_transfer.py");

    private Sandbox sandbox;
    private String underlay;

    /** A Vireo host: its daemon, its namespace and its container's namespace. */
    private record VireoHost(Daemon daemon, String host, String container)
    {
    }

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
        underlay = sandbox.namespace("u");
        check(sandbox.run("ip", "-n", underlay, "link", "add", "ub", "type", "bridge"));
        check(sandbox.run("ip", "-n", underlay, "link", "set", "ub", "up"));
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void twoVireoHostsPingBothWaysAndCarry100MbIntact() throws Exception
    {
        final VireoHost one = vireoHost(1, 2);
        final VireoHost two = vireoHost(2, new String[] {"--threads", "2"}, 1); // its VXLAN port shared by two threads

        ping(one.container(), overlayIp(2));
        ping(two.container(), overlayIp(1));
        assertEquals("1450", mtu(one.container(), sandbox.ifname("t1")), "ports of a VXLAN bridge default to MTU 1450");
        final JsonNode fdb = json(one.daemon().ok("fdb", "show", "br1", "--json")).get("entries");
        assertTrue(fdb.toString().contains("\"mac\":\"" + mac(2) + "\",\"vlan\":0,\"port\":\"br1-vxlan\",\"remote\":\"" +
            underlayIp(2) + "\""), fdb::toString);

        transfer(one.container(), two.container(), overlayIp(2), 104_857_600);
    }

    @Test
    void vireoAndTheKernelsVxlanTalkBothWaysAndTheWireIsWellFormed() throws Exception
    {
        final VireoHost one = vireoHost(1, 2);
        final String hostTwo = host(2);
        final String two = kernelHost(hostTwo, 2, 1);
        final Path capture = sandbox.tempFile(".pcap");
        final Process dumpcap = sandbox.start(sandbox.tempFile(".dumpcap"), "ip", "netns", "exec", hostTwo,
            "dumpcap", "-q", "-i", "eth0", "-f", "udp port 4789", "-w", capture.toString(), "-a", "duration:60");
        TapForwardingIT.waitFor(() -> Files.size(capture) > 0, "dumpcap capturing");

        ping(one.container(), overlayIp(2));
        ping(two, overlayIp(1));
        assertTrue(check(sandbox.inNetns(two, "ip", "neigh", "show", overlayIp(1))).out().contains(mac(1)),
            "ARP across the overlay resolved the Vireo side's container");
        assertTrue(check(sandbox.inNetns(one.container(), "ip", "neigh", "show", overlayIp(2))).out().contains(mac(2)));
        // dumpcap writes out only what it has read when SIGTERM comes: wait for Vireo's three echoes and three
        // replies to be in the file, then stop it.
        TapForwardingIT.waitFor(() -> Fragments.captured(sandbox, capture, "vxlan && icmp && ip.src == " + underlayIp(1), false) >= 6,
            "Vireo's echoes and replies in the capture", 30);
        dumpcap.destroy(); // SIGTERM: dumpcap writes out what it holds and stops
        assertTrue(dumpcap.waitFor(20, TimeUnit.SECONDS), "dumpcap stopped");

        final String decoded = check(sandbox.run("tshark", "-r", capture.toString(), "-Y", "vxlan && icmp",
            "-T", "fields", "-E", "separator=,", "-E", "aggregator=;", "-e", "ip.src", "-e", "udp.checksum",
            "-e", "vxlan.flags", "-e", "vxlan.vni", "-e", "icmp.type", "-e", "eth.src")).out();
        // Fields that occur in both the outer and the inner frame (ip.src, eth.src) read "outer;inner".
        final long fromVireo = decoded.lines().filter(line -> line.startsWith(underlayIp(1) + ";")).count();
        assertTrue(fromVireo >= 6, () -> "Vireo's echo requests and replies on the wire: " + decoded + " in all: " +
            sandbox.run("tshark", "-r", capture.toString()).all());
        decoded.lines().filter(line -> line.startsWith(underlayIp(1) + ";")).forEach(line ->
        {
            final String[] fields = line.split(",");
            assertEquals("0x0000", fields[1], "UDP checksum zero: " + line);
            assertEquals("0x0800", fields[2], "flags (Wireshark's 16 bits): only I: " + line);
            assertEquals(VNI, fields[3], line);
            assertTrue(fields[4].equals("8") || fields[4].equals("0"), "an intact inner ICMP echo: " + line);
            assertTrue(fields[0].endsWith(";" + overlayIp(1)) || fields[0].endsWith(";" + overlayIp(2)), line);
            assertTrue(fields[5].endsWith(";" + mac(1)), "the inner frame is the container's: " + line);
        });
        final String malformed = check(sandbox.run("tshark", "-r", capture.toString(), "-Y", "_ws.malformed || _ws.expert.severity >= warning")).out();
        assertEquals("", malformed.trim(), "tshark finds nothing malformed");

        transfer(one.container(), two, overlayIp(2), 20_971_520);
        transfer(two, one.container(), overlayIp(1), 20_971_520);
    }

    /**
     * Two bridges of one vireod, VNIs 42 and 43, on the same local address and port, against two kernel vxlan
     * devices that share their host's port 4789 the kernel's way. Both overlays use the same addresses (10.66.0.1
     * and .2) and differ only in their MACs (02:78:... on VNI 43), so a frame that crossed would show as the other
     * network's MAC in a neighbour or forwarding table.
     */
    @Test
    void twoBridgesOfDifferentVnisShareOneLocalAddressAndPortWithoutCrossing() throws Exception
    {
        final String hostOne = host(1);
        final Daemon daemon = Daemon.startIn(sandbox, hostOne, sandbox.tempDir("run1"), new String[0]);
        final String blue = vireoNetwork(daemon, "br1", VNI, 1, mac(1), "c1");
        final String green = vireoNetwork(daemon, "br2", "43", 1, greenMac(1), "d1");
        final String hostTwo = host(2);
        final String blueTwo = kernelNetwork(hostTwo, "0", VNI, 2, mac(2), "c2", 1);
        final String greenTwo = kernelNetwork(hostTwo, "1", "43", 2, greenMac(2), "d2", 1);

        // Pings on both overlays at once, each way.
        final Path[] logs = {sandbox.tempFile(".ping"), sandbox.tempFile(".ping"), sandbox.tempFile(".ping"), sandbox.tempFile(".ping")};
        final Process[] pings = {
            sandbox.start(logs[0], "ip", "netns", "exec", blue, "ping", "-c", "20", "-i", "0.05", "-W", "2", overlayIp(2)),
            sandbox.start(logs[1], "ip", "netns", "exec", green, "ping", "-c", "20", "-i", "0.05", "-W", "2", overlayIp(2)),
            sandbox.start(logs[2], "ip", "netns", "exec", blueTwo, "ping", "-c", "20", "-i", "0.05", "-W", "2", overlayIp(1)),
            sandbox.start(logs[3], "ip", "netns", "exec", greenTwo, "ping", "-c", "20", "-i", "0.05", "-W", "2", overlayIp(1))};
        for (int i = 0; i < pings.length; i++)
        {
            assertTrue(pings[i].waitFor(60, TimeUnit.SECONDS), "ping " + i + " finished");
            final String out = Sandbox.readUtf8(logs[i]);
            assertEquals(0, pings[i].exitValue(), out);
            assertTrue(out.contains(" 0% packet loss"), out);
        }

        assertTrue(check(sandbox.inNetns(blue, "ip", "neigh", "show", overlayIp(2))).out().contains(mac(2)));
        assertTrue(check(sandbox.inNetns(green, "ip", "neigh", "show", overlayIp(2))).out().contains(greenMac(2)));
        assertTrue(check(sandbox.inNetns(blueTwo, "ip", "neigh", "show", overlayIp(1))).out().contains(mac(1)));
        assertTrue(check(sandbox.inNetns(greenTwo, "ip", "neigh", "show", overlayIp(1))).out().contains(greenMac(1)));
        final String blueFdb = json(daemon.ok("fdb", "show", "br1", "--json")).get("entries").toString();
        final String greenFdb = json(daemon.ok("fdb", "show", "br2", "--json")).get("entries").toString();
        assertTrue(blueFdb.contains(mac(2)) && !blueFdb.contains("02:78:"), blueFdb);
        assertTrue(greenFdb.contains(greenMac(2)) && !greenFdb.contains("02:77:"), greenFdb);
        final String kernelBlue = check(sandbox.inNetns(hostTwo, "bridge", "fdb", "show", "br", "br0")).out();
        final String kernelGreen = check(sandbox.inNetns(hostTwo, "bridge", "fdb", "show", "br", "br1")).out();
        assertTrue(kernelBlue.contains(mac(1)) && !kernelBlue.contains("02:78:"), kernelBlue);
        assertTrue(kernelGreen.contains(greenMac(1)) && !kernelGreen.contains("02:77:"), kernelGreen);
        final long blueRx = port(daemon, "br1-vxlan").get("stats").get("rxPackets").asLong();
        final long greenRx = port(daemon, "br2-vxlan").get("stats").get("rxPackets").asLong();
        assertTrue(blueRx >= 40 && greenRx >= 40, blueRx + " and " + greenRx + " frames from the overlays");

        // A datagram of a VNI neither bridge carries lands on one of them, counted there.
        final long unknownBefore = unknownVni(daemon, "br1-vxlan") + unknownVni(daemon, "br2-vxlan");
        check(sandbox.inNetns(hostTwo, "python3", "-c", String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "s.sendto(bytes([8, 0, 0, 0, 0, 0, 99, 0]) + bytes(60), ('" + underlayIp(1) + "', 4789))")));
        TapForwardingIT.waitFor(() -> unknownVni(daemon, "br1-vxlan") + unknownVni(daemon, "br2-vxlan") == unknownBefore + 1,
            "the unknown VNI counted once");
        assertEquals(blueRx, port(daemon, "br1-vxlan").get("stats").get("rxPackets").asLong());
        assertEquals(greenRx, port(daemon, "br2-vxlan").get("stats").get("rxPackets").asLong());

        // One bridge goes: the other keeps its overlay (its socket may have moved in the kernel's group).
        daemon.ok("bridge", "del", "br1");
        ping(green, overlayIp(2));
        daemon.ok("bridge", "add", "br1", "--vni", VNI, "--vtep-local", underlayIp(1));
        daemon.ok("vxlan", "peer", "add", "br1", underlayIp(2));
        daemon.ok("port", "add", "br1", sandbox.ifname("tb"), "--netns", blue, "--ip", overlayIp(1) + "/24", "--mac", mac(1));
        ping(blue, overlayIp(2));
        ping(green, overlayIp(2));
    }

    @Test
    void broadcastReachesEachPeerOnceAndLearnedUnicastOnlyItsPeer() throws Exception
    {
        final VireoHost one = vireoHost(1, 2, 3);
        final String two = kernelHost(host(2), 2, 1, 3);
        final String three = kernelHost(host(3), 3, 1, 2);
        ping(one.container(), overlayIp(2));
        final Path twoLog = countFrames(two);
        final Path threeLog = countFrames(three);
        final String tap = sandbox.ifname("t1");

        sendFrames(one.container(), tap, "ff:ff:ff:ff:ff:ff", 20);
        sendFrames(one.container(), tap, mac(2), 10);
        TapForwardingIT.waitFor(() -> countOf(twoLog, "unicast") == 10 && countOf(threeLog, "broadcast") == 20,
            "the frames arrived");
        Thread.sleep(500); // and no more

        assertEquals(20, countOf(twoLog, "broadcast"), "host 2's container got each broadcast once");
        assertEquals(20, countOf(threeLog, "broadcast"), "host 3's container got each broadcast once");
        assertEquals(10, countOf(twoLog, "unicast"));
        assertEquals(0, countOf(threeLog, "unicast"), "unicast to a learned MAC goes to its peer only");
        final JsonNode vxlanPort = port(one.daemon(), "br1-vxlan");
        assertTrue(vxlanPort.get("stats").get("txPackets").asLong() >= 20 * 2 + 10, vxlanPort::toString);
    }

    @Test
    void aTcpSenderWithTooLargeAnMtuStillCompletesThroughPathMtuDiscovery() throws Exception
    {
        final VireoHost one = vireoHost(1, 2);
        final VireoHost two = vireoHost(2, 1);
        for (final VireoHost host : new VireoHost[] {one, two})
        {
            check(sandbox.inNetns(host.container(), "ip", "link", "set", "dev", tapOf(host), "mtu", "1500"));
        }
        ping(one.container(), overlayIp(2));

        transfer(one.container(), two.container(), overlayIp(2), 20_971_520);

        final JsonNode drops = port(one.daemon(), "br1-vxlan").get("stats").get("drops");
        assertTrue(drops.get("oversize").asLong() > 0, "packets over the overlay MTU were dropped: " + drops);
        final String route = check(sandbox.inNetns(one.container(), "ip", "route", "get", overlayIp(2))).out();
        assertTrue(route.contains("mtu 1450"), "the sender learned the overlay's MTU from Vireo's ICMP: " + route);
    }

    @Test
    void badDatagramsAreDroppedAndCountedAndForwardingGoesOn() throws Exception
    {
        final VireoHost one = vireoHost(1, 2);
        final VireoHost two = vireoHost(2, 1);
        ping(one.container(), overlayIp(2));
        final String hostTwo = two.host();
        check(sandbox.run("ip", "-n", hostTwo, "addr", "add", "10.77.0.9/24", "dev", "eth0"));

        final String inner = "bytes.fromhex('" + mac(1).replace(":", "") + "02770000000908004500')";
        check(sandbox.inNetns(hostTwo, "python3", "-c", String.join("\n",
            "import socket",
            "def send(source, payload):",
            "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "    s.bind((source, 0))",
            "    s.sendto(payload, ('" + underlayIp(1) + "', 4789))",
            "    s.close()",
            "inner = " + inner + " + bytes(50)",
            "send('" + underlayIp(2) + "', bytes([8, 0, 0, 0]))",
            "send('" + underlayIp(2) + "', bytes([0, 0, 0, 0, 0, 0, 42, 0]) + inner)",
            "send('" + underlayIp(2) + "', bytes([8, 0, 0, 0, 0, 0, 7, 0]) + inner)",
            "send('" + underlayIp(2) + "', bytes([8, 0, 0, 0, 0, 0, 42, 0]) + bytes(10))",
            "send('10.77.0.9', bytes([8, 0, 0, 0, 0, 0, 42, 0]) + inner)")));

        TapForwardingIT.waitFor(() -> port(one.daemon(), "br1-vxlan").get("stats").get("drops").get("unknown_peer").asLong() == 1,
            "the datagram from a stranger counted");
        final JsonNode drops = port(one.daemon(), "br1-vxlan").get("stats").get("drops");
        assertEquals(2, drops.get("bad_vxlan").asLong(), drops::toString);
        assertEquals(1, drops.get("unknown_vni").asLong(), drops::toString);
        assertEquals(1, drops.get("runt").asLong(), drops::toString);
        ping(one.container(), overlayIp(2));
        ping(two.container(), overlayIp(1));

    }

    @Test
    void peersComeAndGoAndTheMacsBehindThemWithThem() throws Exception
    {
        final VireoHost one = vireoHost(1, 2);
        final VireoHost two = vireoHost(2, 1);
        ping(two.container(), overlayIp(1));
        assertTrue(two.daemon().ok("fdb", "show", "br1").out().contains(mac(1)));

        two.daemon().ok("vxlan", "peer", "del", "br1", underlayIp(1));
        assertEquals("[]", json(two.daemon().ok("vxlan", "peer", "list", "br1", "--json")).get("peers").toString());
        assertTrue(!two.daemon().ok("fdb", "show", "br1").out().contains(mac(1)), "MACs behind the peer are gone");
        assertEquals(1, sandbox.inNetns(two.container(), "ping", "-c", "2", "-i", "0.2", "-W", "1", overlayIp(1)).exit(),
            "no peer, no path");
        assertTrue(port(two.daemon(), "br1-vxlan").get("stats").get("drops").get("no_route").asLong() > 0);
        assertEquals(1, two.daemon().ctl("vxlan", "peer", "del", "br1", underlayIp(1)).exit(), "deleting it twice is an error");

        two.daemon().ok("vxlan", "peer", "add", "br1", underlayIp(1));
        ping(two.container(), overlayIp(1));
        assertEquals(1, two.daemon().ctl("vxlan", "peer", "add", "br1", "224.0.0.1").exit(), "a group is no peer");
        assertEquals(1, two.daemon().ctl("port", "del", "br1-vxlan").exit(), "the endpoint goes with its bridge");
        final Sandbox.Result twice = two.daemon().ctl("bridge", "add", "br2", "--vni", VNI, "--vtep-local", underlayIp(2));
        assertEquals(1, twice.exit(), "one endpoint per VNI, local address and port");
        assertTrue(twice.all().contains("bridge br1 already carries VNI 42 on " + underlayIp(2) + ":4789"), twice::all);
        assertEquals(1, two.daemon().ctl("bridge", "add", "br3", "--vni", "7", "--vtep-local", "10.77.0.200").exit(),
            "the local address must be the host's");
        two.daemon().ok("bridge", "add", "br4", "--vni", "7", "--vtep-local", underlayIp(2), "--vtep-port", "4790");
        two.daemon().ok("bridge", "del", "br4");
        assertEquals(2, json(two.daemon().ok("bridge", "list", "--json")).size(), "br0 and br1; nothing left of the failures");
    }

    /**
     * A peer host that drops off the underlay while traffic crosses to it (its link down until 3 s of pings went
     * unanswered), then comes back: both daemons go on with the peer configured as it was, the 10 ms ping answers
     * again, and a transfer read at 4 MB/s that spanned the outage arrives byte-exact.
     */
    @Test
    void aPeerThatDropsOffTheUnderlayUnderTrafficAndReturnsCarriesOnAsBefore() throws Exception
    {
        final VireoHost one = vireoHost(1, 2);
        final VireoHost two = vireoHost(2, 1);
        ping(two.container(), overlayIp(1));
        final Path received = sandbox.tempFile(".recv");
        sandbox.start(received, "ip", "netns", "exec", one.container(), "python3", TRANSFER.toString(), "recv", overlayIp(1), "5203",
            "4000000");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(received).contains("listening"), "the receiver listens");
        final Path sent = sandbox.tempFile(".send");
        final Process sender = sandbox.start(sent, "ip", "netns", "exec", two.container(), "python3", TRANSFER.toString(), "send",
            overlayIp(1), "5203", Integer.toString(32 << 20));
        final Pinger ping = Pinger.start(sandbox, two.container(), overlayIp(1));
        TapForwardingIT.waitFor(() -> ping.replies().size() >= 50, "50 pings across the overlay", 60);

        check(sandbox.run("ip", "-n", underlay, "link", "set", "u1", "down"));
        TapForwardingIT.waitFor(() ->
        {
            final java.util.List<Double> replies = ping.replies();
            return System.currentTimeMillis() / 1000.0 - replies.get(replies.size() - 1) > 3;
        }, "3 s of pings unanswered with host 1 off the underlay", 30);
        assertTrue(sender.isAlive(), "the transfer was under way when the peer went");
        check(sandbox.run("ip", "-n", underlay, "link", "set", "u1", "up"));
        final int answered = ping.replies().size();
        TapForwardingIT.waitFor(() -> ping.replies().size() >= answered + 50, "the ping answers again", 60);

        assertTrue(sender.waitFor(120, TimeUnit.SECONDS), "the transfer completes");
        TapForwardingIT.waitFor(() -> !"listening".equals(FaultsIT.lastLine(received)), "its receiver has it all", 30);
        assertEquals(FaultsIT.lastLine(sent), FaultsIT.lastLine(received), "the transfer across the outage arrived byte-exact");
        for (final VireoHost host : new VireoHost[] {one, two})
        {
            assertEquals(1, json(host.daemon().ok("vxlan", "peer", "list", "br1", "--json")).get("peers").size(),
                "the peer stays configured");
        }
        ping(one.container(), overlayIp(2));
        System.out.printf("VxlanIT: a peer off the underlay and back: longest gap between pings %.2f s, transfer byte-exact%n",
            ping.longestGap());
    }

    // ---- topology ----

    /**
     * Over underlay TAPs: hosts 1 and 2 run Vireo with each endpoint behind a TAP at an address of its own
     * (10.78.0.N, which the other hosts route through 10.77.0.N, its host forwarding), host 3 the kernel's vxlan
     * at its host's address. A TCP stream's GSO frames cross between the Vireo hosts whole (the endpoint counts
     * one frame a write, so its frames average far above an MTU), the kernel's vxlan talks to both, a takeover
     * hands the TAP to the new daemon (the same device after, traffic on), and the TAP and its route go with the
     * bridge.
     */
    @Test
    void overUnderlayTapsGsoFramesCrossWholeAndTheKernelsVxlanTalksToo() throws Exception
    {
        final VireoHost one = tapUnderlayHost(1, endpointIp(2), underlayIp(3));
        final VireoHost two = tapUnderlayHost(2, endpointIp(1), underlayIp(3));
        final String hostThree = host(3);
        final String three = kernelHost(hostThree, 3);
        for (final int vireo : new int[] {1, 2})
        {
            check(sandbox.run("ip", "-n", hostThree, "route", "add", endpointIp(vireo) + "/32", "via", underlayIp(vireo)));
            check(sandbox.inNetns(hostThree, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", endpointIp(vireo)));
        }
        final String tap = sandbox.ifname("v1");
        assertTrue(check(sandbox.run("ip", "-n", one.host(), "route", "get", endpointIp(1))).out().contains("dev " + tap),
            "the host routes the endpoint's address to its underlay TAP");

        ping(one.container(), overlayIp(2));
        ping(two.container(), overlayIp(1));
        ping(one.container(), overlayIp(3));
        ping(three, overlayIp(2));

        final JsonNode before = port(one.daemon(), "br1-vxlan").get("stats");
        transfer(one.container(), two.container(), overlayIp(2), 104_857_600);
        final JsonNode after = port(one.daemon(), "br1-vxlan").get("stats");
        final long frames = after.get("txPackets").asLong() - before.get("txPackets").asLong();
        final long bytes = after.get("txBytes").asLong() - before.get("txBytes").asLong();
        assertTrue(bytes >= 104_857_600 && bytes / frames > 8_000,
            () -> "GSO frames went whole: " + bytes + " bytes in " + frames + " writes");
        transfer(two.container(), one.container(), overlayIp(1), 20_971_520);
        transfer(one.container(), three, overlayIp(3), 20_971_520);
        transfer(three, two.container(), overlayIp(2), 20_971_520);
        assertEquals(0, drops(one.daemon(), "tx_error") + drops(two.daemon(), "tx_error"), "no write refused");

        final int ifindex = FaultsIT.ifindex(sandbox, one.host(), tap);
        final Daemon successor = one.daemon().takenOverBy(sandbox);
        assertEquals(ifindex, FaultsIT.ifindex(sandbox, one.host(), tap), "the underlay TAP is the one it was");
        ping(one.container(), overlayIp(2));
        transfer(two.container(), one.container(), overlayIp(1), 20_971_520);

        successor.ok("bridge", "del", "br1");
        TapForwardingIT.waitFor(() -> 0 != sandbox.run("ip", "-n", one.host(), "link", "show", tap).exit(), "the underlay TAP gone");
        assertFalse(check(sandbox.run("ip", "-n", one.host(), "route", "show")).out().contains(endpointIp(1)),
            "its route gone with it");
    }

    /**
     * A bridge over an underlay TAP is refused, saying why, where the host cannot carry it; one that is added comes
     * back, TAP and route, when the daemon starts again from its state.
     */
    @Test
    void anUnderlayTapIsRefusedWhereTheHostCannotCarryItAndComesBackOnRestart() throws Exception
    {
        final String hostNs = host(1);
        final Path runDir = sandbox.tempDir("run1");
        final Daemon daemon = Daemon.startIn(sandbox, hostNs, runDir);
        check(sandbox.inNetns(hostNs, "sysctl", "-qw", "net.ipv4.ip_forward=0"));
        final String tap = sandbox.ifname("v1");
        assertTrue(daemon.fails("bridge", "add", "br1", "--vni", VNI, "--vtep-local", endpointIp(1), "--vtep-underlay-tap", tap)
            .contains("does not forward IPv4"));
        check(sandbox.inNetns(hostNs, "sysctl", "-qw", "net.ipv4.ip_forward=1"));
        assertTrue(daemon.fails("bridge", "add", "br1", "--vni", VNI, "--vtep-local", underlayIp(1), "--vtep-underlay-tap", tap)
            .contains("is the host's own"));
        assertTrue(daemon.fails("bridge", "add", "br1", "--vni", VNI, "--vtep-local", endpointIp(1), "--vtep-underlay-tap", "eth0")
            .contains("interface eth0 exists"));
        check(sandbox.run("ip", "-n", hostNs, "route", "add", endpointIp(1) + "/32", "dev", "eth0"));
        assertTrue(daemon.fails("bridge", "add", "br1", "--vni", VNI, "--vtep-local", endpointIp(1), "--vtep-underlay-tap", tap)
            .contains("the host's route to " + endpointIp(1)));
        check(sandbox.run("ip", "-n", hostNs, "route", "del", endpointIp(1) + "/32", "dev", "eth0"));
        assertNotEquals(0, sandbox.run("ip", "-n", hostNs, "link", "show", tap).exit(), "no TAP left behind");
        daemon.ok("bridge", "add", "br1", "--vni", VNI, "--vtep-local", endpointIp(1), "--vtep-underlay-tap", tap);
        assertTrue(daemon.fails("bridge", "add", "br2", "--vni", "43", "--vtep-local", endpointIp(1)).contains("has its address to itself"));

        assertEquals(0, daemon.terminate());
        TapForwardingIT.waitFor(() -> 0 != sandbox.run("ip", "-n", hostNs, "link", "show", tap).exit(), "the TAP gone with its daemon");
        final Daemon restarted = Daemon.startIn(sandbox, hostNs, runDir);
        assertTrue(check(sandbox.run("ip", "-n", hostNs, "route", "get", endpointIp(1))).out().contains("dev " + tap),
            "the TAP and its route made again from the saved state");
        final JsonNode bridges = json(restarted.ok("bridge", "list", "--json"));
        String underlayTap = null;
        for (final JsonNode bridge : bridges)
        {
            underlayTap = "br1".equals(bridge.get("name").asText()) ? bridge.path("vxlan").path("underlayTap").asText() : underlayTap;
        }
        assertEquals(tap, underlayTap, bridges::toString);
    }

    private static String endpointIp(final int host)
    {
        return "10.78.0." + host;
    }

    /**
     * vireod in a new host {@code n}, forwarding IPv4, with bridge br1 (VNI 42) over the underlay TAP {@code v<n>} at
     * {@link #endpointIp}, the given peers, routes to the other Vireo hosts' endpoints, container {@code c<n>}.
     */
    private VireoHost tapUnderlayHost(final int n, final String... peers) throws Exception
    {
        final String hostNs = host(n);
        check(sandbox.inNetns(hostNs, "sysctl", "-qw", "net.ipv4.ip_forward=1"));
        final Daemon daemon = Daemon.startIn(sandbox, hostNs, sandbox.tempDir("run" + n));
        daemon.ok("bridge", "add", "br1", "--vni", VNI, "--vtep-local", endpointIp(n), "--vtep-underlay-tap", sandbox.ifname("v" + n));
        for (final String peer : peers)
        {
            daemon.ok("vxlan", "peer", "add", "br1", peer);
            if (peer.startsWith("10.78."))
            {
                check(sandbox.run("ip", "-n", hostNs, "route", "add", peer + "/32", "via", "10.77.0." + peer.substring(peer.lastIndexOf('.') + 1)));
            }
        }
        final String container = sandbox.namespace("c" + n);
        daemon.ok("port", "add", "br1", sandbox.ifname("t" + n), "--netns", container, "--ip", overlayIp(n) + "/24", "--mac", mac(n));
        return new VireoHost(daemon, hostNs, container);
    }

    private static long drops(final Daemon daemon, final String reason)
    {
        return port(daemon, "br1-vxlan").get("stats").get("drops").get(reason).asLong();
    }

    private static String underlayIp(final int host)
    {
        return "10.77.0." + host;
    }

    private static String overlayIp(final int host)
    {
        return "10.66.0." + host;
    }

    private static String mac(final int host)
    {
        return "02:77:00:00:00:0" + host;
    }

    private String tapOf(final VireoHost host)
    {
        return sandbox.ifname("t" + host.container().substring(host.container().length() - 1));
    }

    /** Host namespace {@code h<n>}, its {@code eth0} on the underlay bridge with 10.77.0.n/24. */
    private String host(final int n)
    {
        final String ns = sandbox.namespace("h" + n);
        check(sandbox.run("ip", "-n", underlay, "link", "add", "u" + n, "type", "veth", "peer", "name", "eth0", "netns", ns));
        check(sandbox.run("ip", "-n", underlay, "link", "set", "u" + n, "master", "ub", "up"));
        check(sandbox.run("ip", "-n", ns, "addr", "add", underlayIp(n) + "/24", "dev", "eth0"));
        check(sandbox.run("ip", "-n", ns, "link", "set", "eth0", "up"));
        return ns;
    }

    /** vireod in a new host {@code n} with bridge br1 (VNI 42) and the given peers, container {@code c<n>} on a TAP. */
    private VireoHost vireoHost(final int n, final int... peers) throws Exception
    {
        return vireoHost(n, new String[0], peers);
    }

    private VireoHost vireoHost(final int n, final String[] daemonOptions, final int... peers) throws Exception
    {
        final String hostNs = host(n);
        final Daemon daemon = Daemon.startIn(sandbox, hostNs, sandbox.tempDir("run" + n), daemonOptions);
        daemon.ok("bridge", "add", "br1", "--vni", VNI, "--vtep-local", underlayIp(n));
        for (final int peer : peers)
        {
            daemon.ok("vxlan", "peer", "add", "br1", underlayIp(peer));
        }
        final String container = sandbox.namespace("c" + n);
        daemon.ok("port", "add", "br1", sandbox.ifname("t" + n), "--netns", container,
            "--ip", overlayIp(n) + "/24", "--mac", mac(n));
        return new VireoHost(daemon, hostNs, container);
    }

    /**
     * In host namespace {@code hostNs}: a kernel bridge with a vxlan device (VNI 42, port 4789, static
     * peers for head-end replication) and container {@code c<n>} on a veth with MTU 1450.
     * <p>
     * The underlay veth keeps its offloads, so the kernel sends what no NIC would put on a wire:
     * inner TCP checksums left for a NIC to complete, and whole 64 KB GSO frames as one "datagram".
     * Vireo's endpoint takes both (see SegmentCoalescer).
     */
    private String kernelHost(final String hostNs, final int n, final int... peers)
    {
        return kernelNetwork(hostNs, "0", VNI, n, mac(n), "c" + n, peers);
    }

    private static String greenMac(final int host)
    {
        return "02:78:00:00:00:0" + host;
    }

    /** Bridge {@code bridge} of VNI {@code vni} on host {@code n}'s address, peer host 2, container {@code container} on a TAP. */
    private String vireoNetwork(final Daemon daemon, final String bridge, final String vni, final int n, final String mac,
        final String container)
    {
        daemon.ok("bridge", "add", bridge, "--vni", vni, "--vtep-local", underlayIp(n));
        daemon.ok("vxlan", "peer", "add", bridge, underlayIp(2));
        final String ns = sandbox.namespace(container);
        daemon.ok("port", "add", bridge, sandbox.ifname("t" + container), "--netns", ns, "--ip", overlayIp(n) + "/24", "--mac", mac);
        return ns;
    }

    /** As {@link #kernelHost}: kernel bridge {@code br<index>}, vxlan device {@code vx<index>} of {@code vni}, a container. */
    private String kernelNetwork(final String hostNs, final String index, final String vni, final int n, final String mac,
        final String containerName, final int... peers)
    {
        check(sandbox.run("ip", "-n", hostNs, "link", "add", "vx" + index, "type", "vxlan", "id", vni, "local", underlayIp(n),
            "dstport", "4789", "dev", "eth0"));
        check(sandbox.run("ip", "-n", hostNs, "link", "add", "br" + index, "type", "bridge"));
        check(sandbox.run("ip", "-n", hostNs, "link", "set", "vx" + index, "master", "br" + index, "up"));
        check(sandbox.run("ip", "-n", hostNs, "link", "set", "br" + index, "up"));
        for (final int peer : peers)
        {
            check(sandbox.inNetns(hostNs, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx" + index, "dst", underlayIp(peer)));
        }
        final String container = sandbox.namespace(containerName);
        check(sandbox.run("ip", "-n", hostNs, "link", "add", "veth" + index, "type", "veth", "peer", "name", "eth0", "netns", container));
        check(sandbox.run("ip", "-n", hostNs, "link", "set", "veth" + index, "master", "br" + index, "up"));
        check(sandbox.run("ip", "-n", container, "link", "set", "eth0", "address", mac, "mtu", "1450", "up"));
        check(sandbox.run("ip", "-n", container, "addr", "add", overlayIp(n) + "/24", "dev", "eth0"));
        return container;
    }

    private static long unknownVni(final Daemon daemon, final String port)
    {
        return port(daemon, port).get("stats").get("drops").get("unknown_vni").asLong();
    }

    // ---- traffic ----

    private void ping(final String netns, final String address)
    {
        check(sandbox.inNetns(netns, "ping", "-c", "3", "-i", "0.1", "-W", "2", address));
    }

    /** A byte-exact TCP transfer from {@code from} to {@code address} in {@code to}. */
    private void transfer(final String from, final String to, final String address, final long bytes) throws Exception
    {
        final Path receiverLog = sandbox.tempFile(".recv");
        final Process receiver = sandbox.start(receiverLog,
            "ip", "netns", "exec", to, "python3", TRANSFER.toString(), "recv", address, "5201");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(receiverLog).contains("listening"), "receiver listening");
        final String sent = check(sandbox.run(180,
            "ip", "netns", "exec", from, "python3", TRANSFER.toString(), "send", address, "5201", Long.toString(bytes))).out().trim();
        assertTrue(receiver.waitFor(60, TimeUnit.SECONDS), "receiver finished");
        final String received = Sandbox.readUtf8(receiverLog).lines().reduce((first, second) -> second).orElse("");
        assertTrue(sent.startsWith(bytes + " "), sent);
        assertEquals(sent, received.trim(), "bytes and sha256 of what arrived equal what was sent");
    }

    /** Sends {@code count} 60-byte frames (EtherType 0x88B5, local experimental) to {@code destination} out of {@code ifname}. */
    private void sendFrames(final String netns, final String ifname, final String destination, final int count)
    {
        check(sandbox.inNetns(netns, "python3", "-c", String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)",
            "s.bind(('" + ifname + "', 0))",
            "source = open('/sys/class/net/" + ifname + "/address').read().strip()",
            "frame = bytes.fromhex('" + destination.replace(":", "") + "' + source.replace(':', '') + '88b5') + bytes(46)",
            "for _ in range(" + count + "):",
            "    s.send(frame)")));
    }

    /** Starts counting frames of EtherType 0x88B5 arriving on {@code eth0} in {@code netns}; one line per frame in the log. */
    private Path countFrames(final String netns) throws Exception
    {
        final Path log = sandbox.tempFile(".frames");
        sandbox.start(log, "ip", "netns", "exec", netns, "python3", "-c", String.join("\n",
            "import socket",
            "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))",
            "s.bind(('eth0', 0))",
            "print('ready', flush=True)",
            "while True:",
            "    frame, address = s.recvfrom(2048)",
            "    if address[2] != socket.PACKET_OUTGOING:",
            "        print('broadcast' if frame[0] == 0xff else 'unicast', flush=True)"));
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(log).contains("ready"), "frame counter in " + netns);
        return log;
    }

    private static long countOf(final Path log, final String kind) throws Exception
    {
        return Sandbox.readUtf8(log).lines().filter(kind::equals).count();
    }

    private String mtu(final String netns, final String ifname)
    {
        return json(check(sandbox.run("ip", "-n", netns, "-j", "link", "show", "dev", ifname))).get(0).get("mtu").asText();
    }

    private static JsonNode port(final Daemon daemon, final String name)
    {
        for (final JsonNode port : json(daemon.ok("port", "list", "--json")))
        {
            if (name.equals(port.get("name").asText()))
            {
                return port;
            }
        }
        return fail("no port " + name);
    }

    private static JsonNode json(final Sandbox.Result result)
    {
        try
        {
            return JSON.readTree(result.out());
        }
        catch (final Exception ex)
        {
            throw new AssertionError("not JSON: " + result.all(), ex);
        }
    }
}
