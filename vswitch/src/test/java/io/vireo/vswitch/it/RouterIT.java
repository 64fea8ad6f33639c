package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * A router between two bridges, end to end: namespace A on {@code br0} (10.91.1.0/24, fd91:1::/64),
 * namespace B on {@code br1} (10.91.2.0/24, fd91:2::/64), router {@code r1} the gateway of both.
 * The namespaces' kernels resolve the router with ARP and neighbour discovery, the router resolves
 * them the same way, and its ICMP answers are what ping prints.
 */
class RouterIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private Sandbox sandbox;
    private Daemon daemon;
    private String nsA;
    private String nsB;
    private String tapA;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        nsA = sandbox.namespace("a");
        nsB = sandbox.namespace("b");
        tapA = sandbox.ifname("tA");
        final String tapB = sandbox.ifname("tB");
        daemon.ok("bridge", "add", "br1");
        daemon.ok("port", "add", "br0", tapA, "--netns", nsA, "--ip", "10.91.1.2/24");
        daemon.ok("port", "add", "br1", tapB, "--netns", nsB, "--ip", "10.91.2.2/24");
        daemon.ok("router", "add", "r1");
        daemon.ok("router", "attach", "r1", "br0", "--ip", "10.91.1.1/24", "--ip", "fd91:1::1/64");
        daemon.ok("router", "attach", "r1", "br1", "--ip", "10.91.2.1/24", "--ip", "fd91:2::1/64");
        configure(nsA, tapA, "10.91.1.1", "fd91:1::2/64", "fd91:1::1");
        configure(nsB, tapB, "10.91.2.1", "fd91:2::2/64", "fd91:2::1");
    }

    private void configure(final String ns, final String tap, final String gateway, final String ipv6, final String gateway6)
    {
        check(sandbox.inNetns(ns, "ip", "route", "add", "default", "via", gateway));
        // The sandbox turns IPv6 off in its namespaces, to keep stray solicitations out of other tests.
        check(sandbox.inNetns(ns, "sysctl", "-qw", "net.ipv6.conf." + tap + ".disable_ipv6=0"));
        check(sandbox.inNetns(ns, "ip", "-6", "addr", "add", ipv6, "dev", tap, "nodad"));
        check(sandbox.inNetns(ns, "ip", "-6", "route", "add", "default", "via", gateway6));
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void pingsCrossTheRouterWithOneHopTakenOffTheirTtl()
    {
        final Sandbox.Result gateway = sandbox.inNetns(nsA, "ping", "-c", "2", "-W", "2", "10.91.1.1");
        assertTrue(gateway.out().contains("bytes from 10.91.1.1"), "the router answers on its address: " + gateway.all());

        final Sandbox.Result across = sandbox.inNetns(nsA, "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.91.2.2");
        assertTrue(across.out().contains("bytes from 10.91.2.2") && across.out().contains("ttl=63"),
            "B answers through the router, its reply one hop shorter: " + across.all());

        final Sandbox.Result across6 = sandbox.inNetns(nsA, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "3", "fd91:2::2");
        assertTrue(across6.out().contains("bytes from fd91:2::2") && across6.out().contains("ttl=63"),
            "IPv6 too: " + across6.all());
    }

    @Test
    void aTcpTransferThroughTheRouterArrivesByteExact() throws Exception
    {
        assertTcpArrivesByteExact(nsB, "10.91.2.2", 24);
    }

    @Test
    void expiryAndAMissingRouteAreAnsweredWithIcmp() throws Exception
    {
        final Sandbox.Result expired = sandbox.inNetns(nsA, "ping", "-c", "1", "-t", "1", "-W", "2", "10.91.2.2");
        assertTrue(expired.out().contains("From 10.91.1.1") && expired.out().contains("Time to live exceeded"),
            expired.all());

        final Sandbox.Result unreachable = sandbox.inNetns(nsA, "ping", "-c", "1", "-W", "2", "10.91.9.9");
        assertTrue(unreachable.out().contains("From 10.91.1.1") && unreachable.out().contains("Destination Net Unreachable"),
            unreachable.all());

        final Sandbox.Result unreachable6 = sandbox.inNetns(nsA, "ping", "-6", "-c", "1", "-W", "2", "fd91:9::9");
        assertTrue(unreachable6.out().contains("From fd91:1::1") && unreachable6.out().contains("No route"),
            unreachable6.all());

        final JsonNode drops = port(tapA).get("stats").get("drops");
        assertTrue(drops.get("ttl_exceeded").asLong() >= 1, drops.toString());
        assertTrue(drops.get("router_no_route").asLong() >= 2, drops.toString());
    }

    /**
     * The gateway's uplink: an "outside" namespace behind a veth whose host end is attached to bridge
     * {@code up} with {@code --type af-packet}, the router's third interface on it. Namespace A reaches
     * the outside host through the router, with ping and TCP; deleting the port leaves the veth as it was.
     */
    @Test
    void anOutsideHostBehindAnAfPacketUplinkIsReachedThroughTheRouter() throws Exception
    {
        final String outside = sandbox.namespace("o");
        final String uplink = Uplink.create(sandbox, outside, "10.93.0.2/24");
        check(sandbox.inNetns(outside, "ip", "route", "add", "10.91.0.0/16", "via", "10.93.0.1"));

        daemon.ok("bridge", "add", "up");
        daemon.ok("port", "add", "up", uplink, "--type", "af-packet");
        daemon.ok("router", "attach", "r1", "up", "--ip", "10.93.0.1/24");
        assertEquals("af-packet", port(uplink).get("type").asText());

        final Sandbox.Result ping = sandbox.inNetns(nsA, "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.93.0.2");
        assertTrue(ping.out().contains("bytes from 10.93.0.2") && ping.out().contains("ttl=63"), ping.all());

        assertTcpArrivesByteExact(outside, "10.93.0.2", 16);

        daemon.ok("port", "del", uplink);
        check(sandbox.run("ip", "link", "show", uplink));
    }

    /**
     * B's bridge behind a router interface of MTU 1280. A 3,000-byte UDP datagram without DF leaves A in A's own
     * fragments of 1,500 bytes (a TAP of MTU 1500), and again whole (MTU 9000): the router cuts it into fragments
     * of at most 1,280 bytes, B's kernel puts it back together byte-exact. A capture on B's TAP, fragments not
     * reassembled, sees nothing larger. A ping with DF over the MTU is answered "fragmentation needed".
     */
    @Test
    void aDatagramWithoutDfOverTheEgressMtuCrossesInFragmentsAndArrivesWhole() throws Exception
    {
        final String tapB = sandbox.ifname("tB");
        daemon.ok("router", "detach", "r1", "br1");
        daemon.ok("router", "attach", "r1", "br1", "--ip", "10.91.2.1/24", "--mtu", "1280");
        final Path capture = sandbox.tempFile(".pcapng");
        final Process dumpcap = sandbox.start(sandbox.tempFile(".dumpcap"), "ip", "netns", "exec", nsB,
            "dumpcap", "-q", "-i", tapB, "-f", "ip src 10.91.1.2", "-w", capture.toString(), "-a", "duration:120");
        TapForwardingIT.waitFor(() -> Files.size(capture) > 0, "dumpcap capturing");
        final Path received = Fragments.receiver(sandbox, nsB, "10.91.2.2", 5400);

        for (final String mtu : new String[] {"1500", "9000"})
        {
            check(sandbox.inNetns(nsA, "ip", "link", "set", tapA, "mtu", mtu));
            Fragments.sendUntilReceived(sandbox, nsA, "10.91.2.2", 5400, 3000, received);
        }

        TapForwardingIT.waitFor(() -> Fragments.captured(sandbox, capture, "ip.frag_offset > 0", false) >= 3,
            "later fragments from the router in the capture", 30);
        dumpcap.destroy();
        assertTrue(dumpcap.waitFor(20, TimeUnit.SECONDS), "dumpcap stopped");
        assertEquals(0, Fragments.captured(sandbox, capture, "ip.len > 1280", true),
            () -> "nothing over the MTU: " + Fragments.decoded(sandbox, capture));
        assertTrue(Fragments.captured(sandbox, capture, "ip.flags.mf == 1 && ip.frag_offset == 0", true) >= 2,
            () -> "first fragments: " + Fragments.decoded(sandbox, capture));
        final JsonNode statsB = port(tapB).get("stats");
        assertTrue(statsB.get("ipv4Fragments").asLong() >= 6, () -> "counted on B's port: " + statsB);
        final List<String[]> table = daemon.ok("stats").out().lines().map(line -> line.trim().split("\\s+")).toList();
        final int column = List.of(table.get(0)).indexOf("IPV4_FRAGMENTS");
        assertTrue(table.stream().anyMatch(row -> row[0].equals(tapB) && row[column].equals(statsB.get("ipv4Fragments").asText())),
            () -> "vireoctl stats shows B's fragments: " + table.stream().map(row -> String.join(" ", row)).toList());

        final Sandbox.Result tooBig = sandbox.inNetns(nsA, "ping", "-c", "1", "-M", "do", "-s", "2000", "-W", "2", "10.91.2.2");
        assertTrue(tooBig.out().contains("From 10.91.1.1") && tooBig.out().contains("Frag needed") &&
            tooBig.out().contains("1280"), "DF: fragmentation needed, with the MTU: " + tooBig.all());
        final JsonNode dropsA = port(tapA).get("stats").get("drops");
        assertTrue(dropsA.get("fragmentation_needed").asLong() >= 1, dropsA::toString);
    }

    @Test
    void routesAreListedAndBadRequestsRefusedWithOneLine() throws Exception
    {
        daemon.ok("route", "add", "r1", "10.91.3.0/24", "--via", "10.91.2.2");
        daemon.ok("route", "add", "r1", "fd91:3::/64", "--via", "fd91:2::2");
        final JsonNode routes = JSON.readTree(daemon.ok("route", "list", "r1", "--json").out()).get("routes");
        assertEquals(6, routes.size(), routes.toString());
        final String table = daemon.ok("route", "list", "r1").out();
        assertTrue(table.contains("10.91.3.0/24") && table.contains("10.91.2.2") && table.contains("static") &&
            table.contains("10.91.1.0/24") && table.contains("connected"), table);

        for (final String[] args : new String[][] {
            {"route", "add", "r1", "10.91.4.0/24", "--via", "192.0.2.1"},
            {"route", "add", "r1", "10.91.4.0/33", "--via", "10.91.2.2"},
            {"route", "add", "r1", "10.91.3.0/24", "--via", "10.91.2.2"},
            {"route", "add", "nope", "10.91.4.0/24", "--via", "10.91.2.2"},
            {"route", "del", "r1", "10.91.5.0/24"},
            {"router", "add", "r1"},
            {"router", "attach", "r1", "br0", "--ip", "10.91.8.1/24"},
            {"router", "attach", "r1", "nope", "--ip", "10.91.8.1/24"},
            {"port", "add", "br0", sandbox.ifname("none"), "--type", "af-packet"},
            {"port", "add", "br0", "lo", "--type", "af-packet", "--ip", "10.0.0.1/24"},
            {"router", "add", "bad name"}})
        {
            final Sandbox.Result result = daemon.ctl(args);
            assertEquals(1, result.exit(), () -> String.join(" ", args) + ": " + result.all());
            assertTrue(result.err().startsWith("vireoctl: ") && result.err().strip().lines().count() == 1, result::all);
        }

        daemon.ok("route", "del", "r1", "10.91.3.0/24");
        daemon.ok("router", "detach", "r1", "br1");
        assertEquals(2, JSON.readTree(daemon.ok("route", "list", "r1", "--json").out()).get("routes").size(),
            "the interface's connected routes and the IPv6 route through it went with it");
        final Sandbox.Result gone = sandbox.inNetns(nsA, "ping", "-c", "1", "-W", "2", "10.91.2.2");
        assertTrue(gone.out().contains("Destination Net Unreachable"), gone.all());
        daemon.ok("router", "del", "r1");
        assertEquals(0, JSON.readTree(daemon.ok("router", "list", "--json").out()).size());
    }

    /**
     * A policy on B's bridge checks what the router routes onto it, as if it came in from the router's
     * interface there: A's ping and a TCP connection to a port not allowed fail, counted as {@code policy}
     * on A's port, while a transfer to the allowed port arrives. The policy is stateless, as on the bridge:
     * the answers to B's own connection to A are denied too until a rule lets them in.
     */
    @Test
    void aPolicyOnTheEgressBridgeIsolatesItFromRoutedTraffic() throws Exception
    {
        final String tapB = sandbox.ifname("tB");
        sandbox.start(sandbox.tempFile(".http"), "ip", "netns", "exec", nsB,
            "python3", "-m", "http.server", "5202", "--bind", "10.91.2.2");
        sandbox.start(sandbox.tempFile(".http"), "ip", "netns", "exec", nsA,
            "python3", "-m", "http.server", "5302", "--bind", "10.91.1.2");
        TapForwardingIT.waitFor(() -> connects(nsA, "10.91.2.2", 5202) && connects(nsB, "10.91.1.2", 5302),
            "both servers reachable through the router without a policy");

        daemon.ok("policy", "add", "br1", "--action", "deny", "--src", "10.91.1.0/24", "--priority", "100");
        daemon.ok("policy", "add", "br1", "--action", "allow", "--proto", "tcp", "--dport", "5201", "--priority", "200");

        final Sandbox.Result ping = sandbox.inNetns(nsA, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.91.2.2");
        assertTrue(0 != ping.exit() && !ping.out().contains("bytes from"), "A's ping is denied on br1: " + ping.all());
        assertTrue(!connects(nsA, "10.91.2.2", 5202), "TCP to a port not allowed is denied");
        final JsonNode drops = port(tapA).get("stats").get("drops");
        assertTrue(drops.get("policy").asLong() >= 3, "counted on A's port: " + drops);
        assertEquals(0, port(tapB).get("stats").get("drops").get("policy").asLong());
        assertTcpArrivesByteExact(nsB, "10.91.2.2", 8);

        final Sandbox.Result router = sandbox.inNetns(nsB, "ping", "-c", "1", "-W", "2", "10.91.2.1");
        assertTrue(router.out().contains("bytes from 10.91.2.1"), "the router's own answers on br1 are not checked: " + router.all());

        assertTrue(!connects(nsB, "10.91.1.2", 5302), "stateless: A's answers to B are routed onto br1 and denied");
        daemon.ok("policy", "add", "br1", "--action", "allow", "--proto", "tcp", "--src", "10.91.1.0/24", "--sport", "5302",
            "--priority", "200");
        assertTrue(connects(nsB, "10.91.1.2", 5302), "a rule for the answers lets B's connection through");
    }

    private boolean connects(final String ns, final String address, final int port)
    {
        return 0 == sandbox.inNetns(ns, "timeout", "2", "bash", "-c", "exec 3<>/dev/tcp/" + address + "/" + port).exit();
    }

    /** Sends {@code megabytes} of random data from namespace A to a sink at {@code address}; both ends' SHA-256 agree. */
    private void assertTcpArrivesByteExact(final String sinkNamespace, final String address, final int megabytes)
        throws Exception
    {
        assertEquals("10.91.1.2", TcpTransfer.send(sandbox, sinkNamespace, address, 5201, nsA, address, 5201, megabytes),
            "the sink sees A: routing translates nothing");
    }

    private JsonNode port(final String name) throws Exception
    {
        for (final JsonNode port : JSON.readTree(daemon.ok("port", "list", "--json").out()))
        {
            if (name.equals(port.get("name").asText()))
            {
                return port;
            }
        }
        throw new AssertionError("no port " + name);
    }
}
