package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An edge gateway end to end: containers A (10.94.1.2) and B (10.94.1.3) on {@code br0}, an outside
 * host (10.95.0.2) behind a veth attached to bridge {@code up} with {@code --type af-packet}, and
 * router {@code r1} between them with a masquerade rule on {@code up} and port 8080 of its outside
 * address published to A's port 80. The outside host has no route to the containers' subnet: only
 * translation makes replies find their way. Every link has a 1500-byte MTU, so a 4000-byte datagram
 * crosses the router in three fragments each way.
 */
class NatIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private Sandbox sandbox;
    private Daemon daemon;
    private String nsA;
    private String nsB;
    private String outside;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
    }

    /** The gateway of the class comment, on a daemon started with these options. */
    private void start(final String... daemonOptions) throws Exception
    {
        start(1500, daemonOptions);
    }

    /** The gateway of the class comment, its interface on {@code up} of this MTU, on a daemon started with these options. */
    private void start(final int uplinkMtu, final String... daemonOptions) throws Exception
    {
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"), daemonOptions);
        nsA = sandbox.namespace("a");
        nsB = sandbox.namespace("b");
        outside = sandbox.namespace("o");
        daemon.ok("port", "add", "br0", sandbox.ifname("tA"), "--netns", nsA, "--ip", "10.94.1.2/24");
        daemon.ok("port", "add", "br0", sandbox.ifname("tB"), "--netns", nsB, "--ip", "10.94.1.3/24");
        check(sandbox.inNetns(nsA, "ip", "route", "add", "default", "via", "10.94.1.1"));
        check(sandbox.inNetns(nsB, "ip", "route", "add", "default", "via", "10.94.1.1"));

        final String uplink = Uplink.create(sandbox, outside, "10.95.0.2/24");

        daemon.ok("bridge", "add", "up");
        daemon.ok("port", "add", "up", uplink, "--type", "af-packet");
        daemon.ok("router", "add", "r1");
        daemon.ok("router", "attach", "r1", "br0", "--ip", "10.94.1.1/24");
        daemon.ok("router", "attach", "r1", "up", "--ip", "10.95.0.1/24", "--mtu", Integer.toString(uplinkMtu));
        daemon.ok("nat", "masquerade", "r1", "--out", "up");
        daemon.ok("nat", "publish", "r1", "--proto", "tcp", "--port", "8080", "--to", "10.94.1.2:80", "--on", "up");
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void containersReachTheOutsideAsTheRoutersAddress() throws Exception
    {
        start();
        final Sandbox.Result ping = sandbox.inNetns(nsA, "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.95.0.2");
        assertTrue(ping.out().contains("bytes from 10.95.0.2"), "ICMP echo is masqueraded too: " + ping.all());

        final String seen = transfer(outside, "10.95.0.2", 5201, nsA, "10.95.0.2", 5201, 16);
        assertEquals("10.95.0.1", seen, "the outside host sees only the router's address");

        final String table = daemon.ok("conntrack", "list", "r1").out();
        assertTrue(table.contains("10.94.1.2") && table.contains("10.95.0.1") && table.contains("tcp"), table);
        assertTrue(JSON.readTree(daemon.ok("conntrack", "list", "r1", "--json").out()).get("connections").size() >= 2, table);
        final String metrics = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(daemon.metricsUrl())).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("vireo_conntrack_connections{router=\"r1\",state=\"") &&
            metrics.contains("vireo_conntrack_refused_total 0"), metrics);
        daemon.ok("conntrack", "flush", "r1");
        assertEquals(0, JSON.readTree(daemon.ok("conntrack", "list", "r1", "--json").out()).get("connections").size());
    }

    /**
     * {@code ping -s 4000} from A: the echo requests leave A in fragments, the router masquerades each
     * fragment by its datagram's first, and the fragmented replies come back to A. A capture on the
     * outside host's link, fragments not reassembled, sees fragments and only the router's address.
     */
    @Test
    void fragmentedEchoGoesThroughMasqueradeAndShowsOnlyTheRoutersAddress() throws Exception
    {
        start();
        final Path capture = sandbox.tempFile(".pcapng");
        final Process dumpcap = sandbox.start(sandbox.tempFile(".dumpcap"), "ip", "netns", "exec", outside,
            "dumpcap", "-q", "-i", sandbox.ifname("far"), "-f", "ip", "-w", capture.toString(), "-a", "duration:120");
        TapForwardingIT.waitFor(() -> Files.size(capture) > 0, "dumpcap capturing");

        final Sandbox.Result ping = sandbox.inNetns(nsA, "ping", "-c", "3", "-i", "0.3", "-W", "3", "-s", "4000", "-M", "want",
            "10.95.0.2");
        assertTrue(ping.out().contains("4008 bytes from 10.95.0.2"), "fragmented echoes answered: " + ping.all());

        // dumpcap writes out what it holds every 100 ms or so: wait for the replies' last fragments, then stop it.
        TapForwardingIT.waitFor(() -> Fragments.captured(sandbox, capture,
            "ip.src == 10.95.0.2 && (icmp.type == 0 || ip.frag_offset > 0)", false) >= 9,
            "the replies' fragments in the capture", 30);
        dumpcap.destroy();
        assertTrue(dumpcap.waitFor(20, TimeUnit.SECONDS), "dumpcap stopped");
        assertTrue(Fragments.captured(sandbox, capture, "ip.src == 10.95.0.1 && ip.frag_offset > 0", true) >= 6,
            () -> "the requests' later fragments, from the router: " + Fragments.decoded(sandbox, capture));
        assertTrue(Fragments.captured(sandbox, capture, "ip.src == 10.95.0.1 && ip.flags.mf == 1 && ip.frag_offset == 0", true)
            >= 3, () -> "their first fragments: " + Fragments.decoded(sandbox, capture));
        assertEquals(0, Fragments.captured(sandbox, capture, "ip.addr == 10.94.0.0/16", true),
            () -> "nothing untranslated: " + Fragments.decoded(sandbox, capture));
        assertEquals(0, dropped("nat_fragment") + dropped("nat_fragment_bad") + dropped("nat_fragment_overlap") +
            dropped("nat_fragments_full"), "no fragment dropped");
    }

    /**
     * The router's interface on {@code up} at MTU 1280: a 3,000-byte UDP datagram without DF from A, in A's own
     * 1,500-byte fragments masqueraded by their datagram's first, is cut again after translation and reaches the
     * outside host byte-exact. Its link sees fragments of at most 1,280 bytes, every one from the router's address.
     */
    @Test
    void aDatagramOverTheUplinkMtuIsTranslatedThenFragmented() throws Exception
    {
        start(1280);
        final Path capture = sandbox.tempFile(".pcapng");
        final Process dumpcap = sandbox.start(sandbox.tempFile(".dumpcap"), "ip", "netns", "exec", outside,
            "dumpcap", "-q", "-i", sandbox.ifname("far"), "-f", "ip", "-w", capture.toString(), "-a", "duration:120");
        TapForwardingIT.waitFor(() -> Files.size(capture) > 0, "dumpcap capturing");
        final Path received = Fragments.receiver(sandbox, outside, "10.95.0.2", 5400);

        Fragments.sendUntilReceived(sandbox, nsA, "10.95.0.2", 5400, 3000, received);

        TapForwardingIT.waitFor(() -> Fragments.captured(sandbox, capture, "ip.src == 10.95.0.1 && ip.frag_offset > 0", false) >= 4,
            "the router's later fragments in the capture", 30);
        dumpcap.destroy();
        assertTrue(dumpcap.waitFor(20, TimeUnit.SECONDS), "dumpcap stopped");
        assertEquals(0, Fragments.captured(sandbox, capture, "ip.len > 1280", true),
            () -> "nothing over the MTU: " + Fragments.decoded(sandbox, capture));
        assertEquals(0, Fragments.captured(sandbox, capture, "ip.addr == 10.94.0.0/16", true),
            () -> "nothing untranslated: " + Fragments.decoded(sandbox, capture));
        assertTrue(dropped("fragmentation_needed") == 0 && dropped("nat_fragment") == 0, "nothing dropped");
    }

    /**
     * A 4000-byte UDP datagram to a published port, in fragments, from outside and from container B (hairpin):
     * A receives each byte-exact and sends it back, in fragments too, and the sender gets it back byte-exact.
     */
    @Test
    void aFragmentedDatagramToAPublishedUdpPortArrivesByteExactBothWays() throws Exception
    {
        start();
        daemon.ok("nat", "publish", "r1", "--proto", "udp", "--port", "5353", "--to", "10.94.1.2:5353");
        final Path echoLog = sandbox.tempFile(".echo");
        sandbox.start(echoLog, "ip", "netns", "exec", nsA, "python3", "-c",
            "import socket,hashlib\n" +
            "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.94.1.2', 5353))\n" +
            "print('listening', flush=True)\n" +
            "while True:\n" +
            "    d,peer=s.recvfrom(65535)\n" +
            "    print('got', hashlib.sha256(d).hexdigest(), len(d), peer[0], flush=True)\n" +
            "    s.sendto(d, peer)\n");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(echoLog).contains("listening"), "A listens");

        final String send =
            "import socket,hashlib,random,sys\n" +
            "d=random.Random(int(sys.argv[1])).randbytes(4000)\n" +
            "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)\n" +
            "for attempt in range(3):\n" +
            "    s.sendto(d, ('10.95.0.1', 5353))\n" +
            "    try:\n" +
            "        e,peer=s.recvfrom(65535); break\n" +
            "    except socket.timeout:\n" +
            "        e,peer=b'',('-',0)\n" +
            "print(hashlib.sha256(d).hexdigest(), len(d), hashlib.sha256(e).hexdigest() == hashlib.sha256(d).hexdigest(), peer[0])\n";
        final String fromOutside = check(sandbox.run(30, "ip", "netns", "exec", outside, "python3", "-c", send, "5")).out().strip();
        final String digest = fromOutside.split(" ")[0];
        assertTrue(fromOutside.endsWith(" 4000 True 10.95.0.1"), "the echo came back whole, from the router: " + fromOutside);
        final String gotFromOutside = Sandbox.readUtf8(echoLog);
        assertTrue(gotFromOutside.contains("got " + digest + " 4000 10.95.0.2"),
            "A got it whole, from the outside host: " + gotFromOutside);

        final String fromB = check(sandbox.run(30, "ip", "netns", "exec", nsB, "python3", "-c", send, "6")).out().strip();
        assertTrue(fromB.endsWith(" 4000 True 10.95.0.1"), "hairpin: the echo came back whole: " + fromB);
        final String gotFromB = Sandbox.readUtf8(echoLog);
        assertTrue(gotFromB.contains("got " + fromB.split(" ")[0] + " 4000 10.94.1.1"),
            "hairpin: A got it whole, from the router: " + gotFromB);
    }

    /** The outside host's "port unreachable" is about the router's datagram; the container must learn of it as its own. */
    @Test
    void anIcmpErrorAboutAMasqueradedDatagramReachesTheContainer() throws Exception
    {
        start();
        final Sandbox.Result refused = sandbox.run(20, "ip", "netns", "exec", nsA, "python3", "-c",
            "import socket\n" +
            "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.connect(('10.95.0.2', 9))\n" +
            "s.send(b'x')\n" +
            "try:\n" +
            "    s.recv(100); print('answered')\n" +
            "except ConnectionRefusedError:\n" +
            "    print('refused')\n" +
            "except socket.timeout:\n" +
            "    print('timeout')\n");
        assertEquals("refused", refused.out().strip(), refused.all());
    }

    @Test
    void aPublishedPortIsReachedFromOutsideAndFromAnotherContainer() throws Exception
    {
        start();
        assertEquals("10.95.0.2", transfer(nsA, "10.94.1.2", 80, outside, "10.95.0.1", 8080, 16),
            "from outside: the container sees the outside host");
        assertEquals("10.94.1.1", transfer(nsA, "10.94.1.2", 80, nsB, "10.95.0.1", 8080, 4),
            "hairpin: B reaches A through the published address, A answers the router");
    }

    /**
     * With room for 4 connections: a TCP connection and 3 UDP flows fill the table, 7 more flows are
     * refused and counted, and the TCP connection carries on to the end, byte-exact.
     */
    @Test
    void aFullConnectionTableRefusesNewConnectionsAndKeepsTheOthers() throws Exception
    {
        start("--conntrack-capacity", "4");
        final java.nio.file.Path sinkLog = sandbox.tempFile(".sink");
        sandbox.start(sinkLog, "ip", "netns", "exec", outside, "python3", "-c",
            "import socket,hashlib\n" +
            "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('10.95.0.2', 5203)); s.listen(1)\n" +
            "print('listening', flush=True)\n" +
            "c,peer=s.accept(); h=hashlib.sha256(); n=0\n" +
            "while True:\n" +
            "    b=c.recv(1<<20)\n" +
            "    if not b: break\n" +
            "    h.update(b); n+=len(b)\n" +
            "print('sha256', h.hexdigest(), n, flush=True)\n");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(sinkLog).contains("listening"), "the sink listens");
        final Sandbox.Result client = check(sandbox.run(60, "ip", "netns", "exec", nsA, "python3", "-c",
            "import socket,hashlib,random,time\n" +
            "data=random.Random(3).randbytes(2<<20)\n" +
            "c=socket.create_connection(('10.95.0.2', 5203), timeout=30); c.sendall(data[:1<<20])\n" +
            "for port in range(10):\n" +
            "    u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('10.94.1.2', 40000 + port))\n" +
            "    u.sendto(b'new flow', ('10.95.0.2', 9999)); u.close()\n" +
            "time.sleep(0.5)\n" +
            "c.sendall(data[1<<20:]); c.close()\n" +
            "print(hashlib.sha256(data).hexdigest(), len(data))\n"));
        TapForwardingIT.waitFor(() -> FaultsIT.lastLine(sinkLog).contains("sha256"), "the sink has it all (a whole line)", 30);
        assertTrue(Sandbox.readUtf8(sinkLog).contains("sha256 " + client.out().strip()),
            "the established connection went on: " + Sandbox.readUtf8(sinkLog) + " vs " + client.out());

        final List<String> listed = tuples(daemon.ok("conntrack", "list", "r1", "--json").out());
        assertEquals(4, listed.size(), listed::toString);
        for (final String pageSize : new String[] {"1", "3", "4"})
        {
            // The same connections a page at a time: the table is full and none of them ends in this test's time
            // (their states and timeouts may move on).
            assertEquals(listed, tuples(daemon.ok("conntrack", "list", "r1", "--json", "--page-size", pageSize).out()),
                "pages of " + pageSize);
            final String table = daemon.ok("conntrack", "list", "r1", "--page-size", pageSize).out();
            assertEquals(5, table.lines().count(), table);
            assertEquals(1, table.lines().filter(line -> line.startsWith("PROTO")).count(), table);
        }
        long refused = 0;
        for (final JsonNode port : JSON.readTree(daemon.ok("port", "list", "--json").out()))
        {
            refused += port.get("stats").get("drops").get("conntrack_full").asLong();
        }
        assertEquals(7, refused, "the 7 flows beyond the table, each counted once");
    }

    @Test
    void badRulesAreRefusedWithOneLine() throws Exception
    {
        start();
        for (final String[] args : new String[][] {
            {"nat", "masquerade", "r1", "--out", "nope"},
            {"nat", "masquerade", "r1", "--out", "up", "--from", "10.94.1.1/24"},
            {"nat", "publish", "r1", "--proto", "sctp", "--port", "80", "--to", "10.94.1.2:80"},
            {"nat", "publish", "r1", "--proto", "tcp", "--port", "0", "--to", "10.94.1.2:80"},
            {"nat", "publish", "r1", "--proto", "tcp", "--port", "80", "--to", "10.94.1.2"},
            {"nat", "publish", "r1", "--proto", "tcp", "--port", "80", "--to", "fd00::1:80"},
            {"nat", "del", "r1", "99"},
            {"conntrack", "list", "nope"},
            {"conntrack", "list", "r1", "--page-size", "0"},
            {"conntrack", "list", "r1", "--page-size", "1000001"}})
        {
            final Sandbox.Result result = daemon.ctl(args);
            assertEquals(1, result.exit(), () -> String.join(" ", args) + ": " + result.all());
            assertTrue(result.err().startsWith("vireoctl: ") && result.err().strip().lines().count() == 1, result::all);
        }
        final String rules = daemon.ok("nat", "list", "r1").out();
        assertTrue(rules.contains("masquerade") && rules.contains("publish") && rules.contains("10.94.1.2:80"), rules);
    }

    /** The connections of a {@code conntrack list --json}, each as its protocol and both tuples, sorted. */
    private static List<String> tuples(final String json) throws Exception
    {
        final List<String> tuples = new ArrayList<>();
        for (final JsonNode connection : JSON.readTree(json).get("connections"))
        {
            tuples.add(connection.get("protocol").asText() + " " + connection.get("original").asText() + " " +
                connection.get("reply").asText());
        }
        Collections.sort(tuples);
        return tuples;
    }

    /** Frames dropped under a reason, over every port. */
    private long dropped(final String reason) throws Exception
    {
        long dropped = 0;
        for (final JsonNode port : JSON.readTree(daemon.ok("port", "list", "--json").out()))
        {
            dropped += port.get("stats").get("drops").path(reason).asLong();
        }
        return dropped;
    }

    private String transfer(
        final String sinkNamespace, final String sinkAddress, final int sinkPort, final String clientNamespace,
        final String address, final int port, final int megabytes) throws Exception
    {
        return TcpTransfer.send(sandbox, sinkNamespace, sinkAddress, sinkPort, clientNamespace, address, port, megabytes);
    }
}
