package io.vireo.vswitch.it;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.testkit.EtcdServer;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three hosts, each a network namespace on one underlay (a kernel bridge in a namespace of its own), each
 * running a member of one etcd cluster and a vireod that joined the cluster with {@code --cluster}.
 * Containers are attached through the CNI plugin with {@code "ipam": {"type": "vireo"}}; nobody types a
 * VXLAN peer. The tests run in order on the one cluster: the later ones break parts of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NODES = 3;
    private static final String NETWORK = "blue";
    /** A second network, of an IPv6 subnet. */
    private static final String SIX = "six";
    private static final int LEASE_SECONDS = 5;
    /** How long a cluster change may take to reach every node on a loaded 2-core machine. */
    private static final int CONVERGE_SECONDS = 30;
    /** Node0's forwarding threads: its TAPs have a queue each, and a takeover with other threads is refused. */
    private static final String NODE0_THREADS = "2";

    private Sandbox sandbox;
    private final String[] hosts = new String[NODES];
    private final EtcdServer[] etcd = new EtcdServer[NODES];
    private final Daemon[] nodes = new Daemon[NODES];
    private Path cniBin;
    private final Map<String, Attached> containers = new HashMap<>();

    /** A container attached by the CNI plugin: its namespace, its id, the node it is on, its address and MAC. */
    private record Attached(String netns, String id, int node, String address, String mac)
    {
    }

    private static String underlay(final int node)
    {
        return "10.77.0." + (11 + node);
    }

    @BeforeAll
    void cluster() throws Exception
    {
        assertTrue(EtcdServer.isAvailable(), "etcd is installed (scripts/install-deps.sh installs etcd-server)");
        sandbox = new Sandbox();
        final String wire = sandbox.namespace("ul");
        check(sandbox.inNetns(wire, "ip", "link", "add", "wire", "type", "bridge"));
        check(sandbox.inNetns(wire, "ip", "link", "set", "wire", "up"));
        final List<String> initialCluster = new ArrayList<>();
        for (int i = 0; i < NODES; i++)
        {
            hosts[i] = sandbox.namespace("h" + i);
            check(sandbox.run("ip", "link", "add", "eth0", "netns", hosts[i], "type", "veth", "peer", "name", "h" + i,
                "netns", wire));
            check(sandbox.inNetns(wire, "ip", "link", "set", "h" + i, "master", "wire", "up"));
            check(sandbox.inNetns(hosts[i], "ip", "addr", "add", underlay(i) + "/24", "dev", "eth0"));
            check(sandbox.inNetns(hosts[i], "ip", "link", "set", "eth0", "up"));
            initialCluster.add("e" + i + "=http://" + underlay(i) + ":2380");
        }
        for (int i = 0; i < NODES; i++)
        {
            etcd[i] = EtcdServer.builder().name("e" + i).netns(hosts[i])
                .clientUrl(URI.create("http://" + underlay(i) + ":2379"))
                .peerUrl(URI.create("http://" + underlay(i) + ":2380"))
                .initialCluster(String.join(",", initialCluster))
                .clusterToken(sandbox.prefix)
                .heartbeatMs(100).electionMs(1000)
                .build();
            etcd[i].launch();
        }
        for (final EtcdServer member : etcd)
        {
            member.awaitHealthy();
        }
        final String urls = String.join(",", List.of(0, 1, 2).stream().map(i -> "http://" + underlay(i) + ":2379").toList());
        for (int i = 0; i < NODES; i++)
        {
            nodes[i] = Daemon.startIn(sandbox, hosts[i], sandbox.tempDir("run" + i), "--cluster", urls,
                "--node", "node" + i, "--underlay", underlay(i), "--lease-seconds", Integer.toString(LEASE_SECONDS),
                "--threads", 0 == i ? NODE0_THREADS : "1");
        }
        cniBin = sandbox.tempDir("cnibin");
        Daemon.installCniPlugin(sandbox, cniBin);

        nodes[0].ok("network", "add", NETWORK, "--vni", "4242", "--subnet", "10.88.0.0/16");
        for (final Daemon node : nodes)
        {
            TapForwardingIT.waitFor(() -> peersOf(node).size() == NODES - 1, "every node has the network and its two peers",
                CONVERGE_SECONDS);
        }
    }

    @AfterAll
    void tearDown()
    {
        for (final EtcdServer member : etcd)
        {
            if (null != member)
            {
                member.close();
            }
        }
        if (null != sandbox)
        {
            sandbox.close();
        }
    }

    @Test
    @Order(1)
    void containersOnEveryNodeReachEachOtherWithNoPeerTypedAnywhere() throws Exception
    {
        final Attached a = attach(0, "a");
        final Attached b = attach(1, "b");
        final Attached c = attach(2, "c");
        for (int i = 0; i < NODES; i++)
        {
            final Set<String> others = new HashSet<>(List.of(underlay(0), underlay(1), underlay(2)));
            others.remove(underlay(i));
            assertEquals(others, peersOf(nodes[i]), "node" + i + "'s peers, all from the cluster");
        }
        final JsonNode status = status(nodes[1]);
        assertEquals(3, status.get("members").size());
        status.get("members").forEach(member -> assertTrue(member.get("lease").asLong() != 0, member::toString));
        final String text = nodes[1].ok("cluster", "status").out();
        assertTrue(text.contains("node node1, underlay " + underlay(1)) && text.contains("LEASE") &&
            text.contains("store up"), text);
        // published and installed on the others before any frame flows: no flooding to find it
        TapForwardingIT.waitFor(() -> underlay(2).equals(remoteOf(nodes[0], c.mac())), "node0 has c's MAC behind node2",
            CONVERGE_SECONDS);
        TapForwardingIT.waitFor(() -> underlay(0).equals(remoteOf(nodes[2], a.mac())), "node2 has a's MAC behind node0",
            CONVERGE_SECONDS);
        ping(a, b);
        ping(b, c);
        ping(c, a);
        // a port added by hand on a cluster network is an endpoint as well
        final String manual = sandbox.namespace("p");
        nodes[2].ok("port", "add", NETWORK, sandbox.ifname("p"), "--netns", manual, "--ip", "10.88.255.5/16",
            "--mac", "02:00:00:88:ff:05");
        TapForwardingIT.waitFor(() -> underlay(2).equals(remoteOf(nodes[0], "02:00:00:88:ff:05")),
            "node0 has the hand-made port's MAC behind node2", CONVERGE_SECONDS);
        check(sandbox.inNetns(manual, "ping", "-c", "3", "-i", "0.05", "-W", "2", a.address()));
        nodes[2].ok("port", "del", sandbox.ifname("p"));
        TapForwardingIT.waitFor(() -> null == remoteOf(nodes[0], "02:00:00:88:ff:05"), "and gone with it", CONVERGE_SECONDS);
        TcpTransfer.send(sandbox, c.netns(), c.address(), 5001, a.netns(), c.address(), 5001, 20);

        // the cluster's figures, scraped inside node0's namespace, pass promtool
        final String metrics = check(sandbox.inNetns(hosts[0], "python3", "-c",
            "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
            nodes[0].metricsUrl())).out();
        assertTrue(metrics.contains("vireo_cluster_members 3"), metrics);
        assertTrue(metrics.contains("vireo_cluster_store_up 1"), metrics);
        assertTrue(metrics.contains("vireo_cluster_network_endpoints{network=\"" + NETWORK + "\",where=\"remote\"} 2"), metrics);
        final Path scrape = sandbox.tempFile(".prom");
        Files.writeString(scrape, metrics);
        check(sandbox.run("sh", "-c", "promtool check metrics < " + scrape));
    }

    @Test
    @Order(2)
    void arpForAKnownEndpointIsAnsweredOnItsNodeAndNeverCrossesTheUnderlay() throws Exception
    {
        final Attached a = containers.get("a");
        final Attached b = containers.get("b");
        final Path capture = sandbox.tempFile(".pcap");
        final Process dumpcap = sandbox.start(sandbox.tempFile(".dumpcap"), "ip", "netns", "exec", hosts[0],
            "dumpcap", "-q", "-i", "eth0", "-f", "udp port 4789", "-w", capture.toString(), "-a", "duration:60");
        TapForwardingIT.waitFor(() -> Files.size(capture) > 0, "dumpcap capturing");
        check(sandbox.inNetns(a.netns(), "ip", "neigh", "flush", "dev", "eth0"));
        ping(a, b);
        assertTrue(check(sandbox.inNetns(a.netns(), "ip", "neigh", "show", b.address())).out().contains(b.mac()),
            "a resolved b's MAC");
        // the three echoes and their replies crossed the underlay: once dumpcap has written them, stop it
        TapForwardingIT.waitFor(() -> sandbox.run("tshark", "-r", capture.toString(), "-Y", "vxlan && icmp").out()
            .lines().count() >= 6, "the pings on the underlay capture");
        dumpcap.destroy();
        assertTrue(dumpcap.waitFor(20, TimeUnit.SECONDS), "dumpcap stopped");
        final String arp = check(sandbox.run("tshark", "-r", capture.toString(), "-Y", "vxlan && arp")).out();
        assertEquals("", arp.strip(), "no ARP on the underlay");
        long answered = 0;
        for (final JsonNode port : JSON.readTree(nodes[0].ok("port", "list", "--json").out()))
        {
            if (("/run/netns/" + a.netns()).equals(port.path("netns").asText()))
            {
                answered = port.get("stats").get("arpNdSuppressed").asLong();
            }
        }
        assertTrue(answered >= 1, "node0 answered a's ARP request itself, on a's port: " + answered);
    }

    @Test
    @Order(3)
    void fiftyConcurrentAddsOverTheThreeNodesGetFiftyDistinctAddresses() throws Exception
    {
        final int count = 50;
        final List<String> namespaces = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            namespaces.add(sandbox.namespace("m" + i));
        }
        final ExecutorService runtimes = Executors.newFixedThreadPool(count);
        final CountDownLatch go = new CountDownLatch(1);
        try
        {
            final List<Future<Sandbox.Result>> adds = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final int node = i % NODES;
                final String netns = namespaces.get(i);
                final String id = sandbox.prefix + "-m" + i;
                adds.add(runtimes.submit(() ->
                {
                    go.await();
                    return cni("ADD", id, netns, node);
                }));
            }
            go.countDown();
            final Set<String> addresses = new HashSet<>();
            for (final Future<Sandbox.Result> add : adds)
            {
                final JsonNode result = success(add.get(120, TimeUnit.SECONDS));
                final String address = result.get("ips").get(0).get("address").asText();
                assertTrue(address.matches("10\\.88\\.\\d+\\.\\d+/16"), address);
                addresses.add(address);
            }
            assertEquals(count, addresses.size(), "50 ADDs, 50 distinct addresses: " + addresses);
            final List<Future<Sandbox.Result>> dels = new ArrayList<>();
            for (int i = 0; i < count; i++)
            {
                final int node = i % NODES;
                final String netns = namespaces.get(i);
                final String id = sandbox.prefix + "-m" + i;
                dels.add(runtimes.submit(() -> cni("DEL", id, netns, node)));
            }
            for (final Future<Sandbox.Result> del : dels)
            {
                assertEquals(0, del.get(120, TimeUnit.SECONDS).exit());
            }
            for (int i = 0; i < count; i++)
            {
                final String owner = sandbox.prefix + "-m" + i + ":eth0";
                assertEquals(404, api(nodes[0], "GET", "/v1/networks/" + NETWORK + "/addresses/" + owner).status(),
                    "DEL gave " + owner + "'s address back");
            }
        }
        finally
        {
            runtimes.shutdownNow();
        }
    }

    @Test
    @Order(4)
    void oneEtcdMemberKilledChangesNothing() throws Exception
    {
        etcd[2].kill();
        final Attached d = attach(1, "d");
        TapForwardingIT.waitFor(() -> underlay(1).equals(remoteOf(nodes[0], d.mac())), "node0 has d's MAC behind node1",
            CONVERGE_SECONDS);
        ping(containers.get("a"), d);
        etcd[2].start();
    }

    @Test
    @Order(5)
    void withEveryEtcdMemberStoppedTrafficFlowsAndANewEndpointArrivesWhenTheStoreReturns() throws Exception
    {
        for (final EtcdServer member : etcd)
        {
            member.stop();
        }
        for (final Daemon node : nodes)
        {
            TapForwardingIT.waitFor(() -> !status(node).get("storeUp").asBoolean(), "every node sees the store gone",
                CONVERGE_SECONDS);
        }
        ping(containers.get("a"), containers.get("b"));
        ping(containers.get("c"), containers.get("a"));
        final Attached e = attach(2, "e");
        assertEquals(null, remoteOf(nodes[0], e.mac()), "node0 cannot know e yet");
        for (final EtcdServer member : etcd)
        {
            member.launch();
        }
        for (final EtcdServer member : etcd)
        {
            member.awaitHealthy();
        }
        TapForwardingIT.waitFor(() -> underlay(2).equals(remoteOf(nodes[0], e.mac())),
            "node0 has e's MAC behind node2 once the store is back", CONVERGE_SECONDS);
        ping(containers.get("a"), e);
        for (final Daemon node : nodes)
        {
            TapForwardingIT.waitFor(() -> status(node).get("storeUp").asBoolean() &&
                0 == status(node).get("pendingWrites").asInt(), "every node caught up with the store", CONVERGE_SECONDS);
        }
    }

    @Test
    @Order(6)
    void aNodeRestartedRejoinsFromItsRunDirWithoutDisturbingTheOthers() throws Exception
    {
        final Attached a = containers.get("a");
        final Attached c = containers.get("c");
        final Path pings = sandbox.tempFile(".ping");
        final Process ping = sandbox.start(pings, "ip", "netns", "exec", a.netns(), "ping", "-c", "100", "-i", "0.1", "-W", "1",
            c.address());
        final Path runDir = nodes[1].runDir;
        assertEquals(0, nodes[1].terminate());
        // no --cluster: the run dir's state holds the cluster it joined, and its containers' ports
        nodes[1] = Daemon.startIn(sandbox, hosts[1], runDir);
        TapForwardingIT.waitFor(() ->
        {
            final JsonNode status = status(nodes[1]);
            return status.get("storeUp").asBoolean() && 1 == status.get("networks").size() &&
                3 == status.get("networks").get(0).get("remoteEndpoints").asInt() &&
                2 == status.get("networks").get(0).get("localEndpoints").asInt();
        }, "node1 back with its two containers and the three others'", CONVERGE_SECONDS);
        ping(a, containers.get("b"));
        ping(containers.get("d"), c);
        assertTrue(ping.waitFor(60, TimeUnit.SECONDS), "the background ping ended");
        final String summary = Sandbox.readUtf8(pings);
        assertTrue(summary.contains(" 0% packet loss"), "node0 to node2 never noticed: " + summary);
    }

    /**
     * Node0 taken over by {@code vireod --takeover} on its run dir while a 10 ms ping and a TCP transfer, read at
     * 8 MB/s, go from b on node1 to a on node0: node0's daemon hands over its TAPs, VXLAN sockets, the remote MACs
     * its cluster node installed and its lease, and exits 0; the new one forwards at once, adopts the lease and
     * reconciles. The ping loses at most one answer, the transfer arrives byte-exact without a reset, node1 sees
     * node0, its lease and its endpoints throughout, and a container attached to node0 afterwards (an address from
     * the cluster's IPAM) reaches node1.
     */
    @Test
    @Order(7)
    void aNodeTakenOverByANewDaemonKeepsItsLeaseEndpointsAndTraffic() throws Exception
    {
        final Attached a = containers.get("a");
        final Attached b = containers.get("b");
        final long lease = status(nodes[0]).get("lease").asLong();
        String tapOfA = null;
        for (final JsonNode port : FaultsIT.ports(nodes[0]))
        {
            tapOfA = a.mac().equals(port.path("mac").asText()) ? port.get("name").asText() : tapOfA;
        }
        assertTrue(null != tapOfA, "a's port on node0");
        final TakeoverIT.Traffic traffic = TakeoverIT.Traffic.start(sandbox, b.netns(), a.netns(), a.address(), nodes[0], tapOfA);
        try (NodeWatch watch = NodeWatch.start(nodes[1], "node0", lease))
        {
            nodes[0] = traffic.takeOvers(sandbox, nodes[0], 1, "--threads", NODE0_THREADS);

            final List<String> changes = watch.stop();
            assertTrue(changes.isEmpty(), "node1 saw node0 as it was throughout: " + changes);
            System.out.printf("ClusterIT: node1's view of node0 sampled %d times during the takeover, never changed%n",
                watch.samples());
        }
        final JsonNode status = status(nodes[0]);
        assertEquals(lease, status.get("lease").asLong(), "the new daemon adopted the lease: " + status);
        assertTrue(status.get("storeUp").asBoolean(), status::toString);
        traffic.finish("ClusterIT (takeover of node0)");
        final Attached after = attach(0, "after");
        TapForwardingIT.waitFor(() -> underlay(0).equals(remoteOf(nodes[1], after.mac())),
            "node1 has the new container's MAC behind node0", CONVERGE_SECONDS);
        ping(b, after);
        ping(after, containers.get("c"));
    }

    /**
     * A takeover of node0 that fails (the new daemon, with other threads than node0's, refuses the TAPs it is
     * handed) after node0's cluster node paused for it: node0 forwards on, and its cluster node resumes: an address
     * from the cluster's IPAM for a container attached to node0, which node1 learns, and one of node1 learned.
     */
    @Test
    @Order(8)
    void aTakeoverOfANodeThatFailsLeavesItsClusterNodeWorking() throws Exception
    {
        final Attached a = containers.get("a");
        final Pinger ping = Pinger.start(sandbox, a.netns(), containers.get("b").address());
        TapForwardingIT.waitFor(() -> ping.replies().size() >= 20, "20 pings from node0 to node1", CONVERGE_SECONDS);

        final Sandbox.Result result = sandbox.run(180, "ip", "netns", "exec", hosts[0],
            Daemon.ROOT.resolve("scripts/vireod").toString(), "--run-dir", nodes[0].runDir.toString(),
            "--metrics", "127.0.0.1:0", "--takeover", "--threads", "1");
        assertEquals(1, result.exit(), result.all());
        assertTrue(result.err().contains("take over with --threads " + NODE0_THREADS + "; the running vireod goes on forwarding"),
            result.all());
        assertTrue(nodes[0].process.isAlive(), "node0's daemon goes on: " + nodes[0].output());
        final int answered = ping.replies().size();
        TapForwardingIT.waitFor(() -> ping.replies().size() >= answered + 20, "it forwards on", CONVERGE_SECONDS);

        final Attached onNode0 = attach(0, "f0");
        final Attached onNode1 = attach(1, "f1");
        TapForwardingIT.waitFor(() -> underlay(0).equals(remoteOf(nodes[1], onNode0.mac())),
            "node1 has f0's MAC behind node0", CONVERGE_SECONDS);
        TapForwardingIT.waitFor(() -> underlay(1).equals(remoteOf(nodes[0], onNode1.mac())),
            "node0 has f1's MAC behind node1", CONVERGE_SECONDS);
        ping(onNode0, onNode1);
        assertTrue(status(nodes[0]).get("storeUp").asBoolean());
    }

    @Test
    @Order(9)
    void aNodeKilledWithSigkillLeavesTheOthersWithinItsLeaseAndItsAddressesReturn() throws Exception
    {
        final Attached c = containers.get("c");
        final String owner = c.id() + ":eth0";
        assertEquals(200, api(nodes[0], "GET", "/v1/networks/" + NETWORK + "/addresses/" + owner).status());
        final long killed = System.nanoTime();
        nodes[2].process.destroyForcibly();
        assertTrue(nodes[2].process.waitFor(20, TimeUnit.SECONDS));
        TapForwardingIT.waitFor(() -> status(nodes[0]).get("members").size() == NODES - 1 &&
            status(nodes[1]).get("members").size() == NODES - 1, "node2 gone from the others", CONVERGE_SECONDS);
        final double seconds = (System.nanoTime() - killed) / 1e9;
        System.out.printf("ClusterIT: node2 left the others %.2f s after SIGKILL (lease %d s)%n", seconds, LEASE_SECONDS);
        assertTrue(seconds < LEASE_SECONDS + 5, "gone within the lease (+5 s for a loaded machine): " + seconds + " s");
        assertEquals(Set.of(underlay(1)), peersOf(nodes[0]));
        assertEquals(null, remoteOf(nodes[0], c.mac()), "its MACs are flushed");
        assertEquals(404, api(nodes[0], "GET", "/v1/networks/" + NETWORK + "/addresses/" + owner).status(),
            "its address is free again");
    }

    /**
     * Last, on the two nodes left: an IPv6 network beside blue, both carried at once by each node's one underlay
     * address and VTEP port (a VXLAN endpoint per network, the kernel handing each its VNI's datagrams).
     */
    @Test
    @Order(10)
    void anIpv6NetworkGivesContainersOnTwoNodesAddressesThatPingAndTakesThemBack() throws Exception
    {
        nodes[1].ok("network", "add", SIX, "--vni", "4243", "--subnet", "fd00:88::/64");
        final String listed = nodes[0].ok("network", "list").out();
        assertTrue(listed.contains("fd00:88::/64") && listed.contains("/122"), listed);
        for (int i = 0; i < NODES - 1; i++)
        {
            final Daemon node = nodes[i];
            final String other = underlay(1 - i);
            TapForwardingIT.waitFor(() -> Set.of(other).equals(peersOf(node, SIX)),
                "node" + i + " has the IPv6 network, the other as its peer", CONVERGE_SECONDS);
        }
        final Attached x = attach(0, "x6", SIX);
        final Attached y = attach(1, "y6", SIX);
        for (final Attached attached : List.of(x, y))
        {
            assertTrue(check(sandbox.inNetns(attached.netns(), "ip", "-6", "addr", "show", "dev", "eth0")).out()
                .contains("inet6 " + attached.address() + "/64"), "the container has its address: " + attached.address());
        }
        assertTrue(!x.address().equals(y.address()), x.address());
        TapForwardingIT.waitFor(() -> underlay(1).equals(remoteOf(nodes[0], y.mac(), SIX)), "node0 has y's MAC behind node1",
            CONVERGE_SECONDS);
        check(sandbox.inNetns(x.netns(), "ping", "-6", "-c", "3", "-i", "0.05", "-W", "2", y.address()));
        check(sandbox.inNetns(y.netns(), "ping", "-6", "-c", "3", "-i", "0.05", "-W", "2", x.address()));
        assertTrue(nodes[1].ok("cluster", "status").out().contains("fd00:88::/64"), "the status shows the network");

        // Blue is still there, on the same nodes, address and port: both networks at once.
        for (int i = 0; i < NODES - 1; i++)
        {
            final JsonNode status = status(nodes[i]);
            assertEquals(2, status.get("networks").size(), () -> "blue and the IPv6 network: " + status);
        }
        final Attached b0 = attach(0, "b0");
        final Attached b1 = attach(1, "b1");
        TapForwardingIT.waitFor(() -> underlay(1).equals(remoteOf(nodes[0], b1.mac())), "node0 has b1's MAC behind node1",
            CONVERGE_SECONDS);
        final Path blueLog = sandbox.tempFile(".ping");
        final Path sixLog = sandbox.tempFile(".ping");
        final Process bluePing = sandbox.start(blueLog, "ip", "netns", "exec", b0.netns(),
            "ping", "-c", "20", "-i", "0.05", "-W", "2", b1.address());
        final Process sixPing = sandbox.start(sixLog, "ip", "netns", "exec", y.netns(),
            "ping", "-6", "-c", "20", "-i", "0.05", "-W", "2", x.address());
        assertTrue(bluePing.waitFor(60, TimeUnit.SECONDS) && sixPing.waitFor(60, TimeUnit.SECONDS), "pings finished");
        final String blueOut = Sandbox.readUtf8(blueLog);
        final String sixOut = Sandbox.readUtf8(sixLog);
        assertEquals(0, bluePing.exitValue(), blueOut);
        assertEquals(0, sixPing.exitValue(), sixOut);
        assertTrue(blueOut.contains(" 0% packet loss") && sixOut.contains(" 0% packet loss"), blueOut + sixOut);
        assertEquals(null, remoteOf(nodes[0], y.mac()), "no IPv6 container's MAC in blue");
        assertEquals(null, remoteOf(nodes[0], b1.mac(), SIX), "no blue container's MAC in the IPv6 network");
        assertEquals(0, cni("DEL", b0.id(), b0.netns(), b0.node()).exit());
        assertEquals(0, cni("DEL", b1.id(), b1.netns(), b1.node()).exit());
        for (final Attached attached : List.of(x, y))
        {
            assertEquals(0, cni("DEL", attached.id(), attached.netns(), attached.node(), SIX).exit());
            assertEquals(404, api(nodes[1], "GET", "/v1/networks/" + SIX + "/addresses/" + attached.id() + ":eth0").status(),
                "DEL gave " + attached.address() + " back");
        }
    }

    // ---- helpers ----

    /**
     * Polls a node's cluster status in a thread of its own until stopped, noting every sample in which another
     * node was not a member with the lease it had, or the node had fewer remote endpoints than at the start.
     */
    private static final class NodeWatch implements AutoCloseable
    {
        private final Daemon node;
        private final String member;
        private final long lease;
        private final int remoteEndpoints;
        private final List<String> changes = new ArrayList<>();
        private final CountDownLatch stop = new CountDownLatch(1);
        private final Thread thread;
        private int samples;

        private NodeWatch(final Daemon node, final String member, final long lease) throws Exception
        {
            this.node = node;
            this.member = member;
            this.lease = lease;
            this.remoteEndpoints = remoteEndpoints(status(node));
            this.thread = new Thread(this::run, "node-watch");
        }

        static NodeWatch start(final Daemon node, final String member, final long lease) throws Exception
        {
            final NodeWatch watch = new NodeWatch(node, member, lease);
            watch.thread.start();
            return watch;
        }

        private void run()
        {
            try
            {
                do
                {
                    final JsonNode status = status(node);
                    boolean present = false;
                    for (final JsonNode listed : status.get("members"))
                    {
                        present |= member.equals(listed.get("node").asText()) && lease == listed.get("lease").asLong();
                    }
                    if (!present || remoteEndpoints(status) < remoteEndpoints)
                    {
                        changes.add(status.toString());
                    }
                    samples++;
                }
                while (!stop.await(20, TimeUnit.MILLISECONDS));
            }
            catch (final Exception | AssertionError ex)
            {
                changes.add("the watch failed: " + ex);
            }
        }

        private static int remoteEndpoints(final JsonNode status)
        {
            for (final JsonNode network : status.get("networks"))
            {
                if (NETWORK.equals(network.get("name").asText()))
                {
                    return network.get("remoteEndpoints").asInt();
                }
            }
            return 0;
        }

        /** Stops polling; returns the samples that differed. */
        List<String> stop() throws InterruptedException
        {
            stop.countDown();
            thread.join();
            return changes;
        }

        int samples()
        {
            return samples;
        }

        @Override
        public void close() throws InterruptedException
        {
            stop();
        }
    }

    private Attached attach(final int node, final String name) throws Exception
    {
        return attach(node, name, NETWORK);
    }

    /** A container attached to {@code network}; one of the IPv6 network has IPv6 on (without DAD: at once). */
    private Attached attach(final int node, final String name, final String network) throws Exception
    {
        final String netns = sandbox.namespace(name);
        if (SIX.equals(network))
        {
            check(sandbox.inNetns(netns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0",
                "net.ipv6.conf.default.disable_ipv6=0", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"));
        }
        final String id = sandbox.prefix + "-" + name;
        final JsonNode result = success(cni("ADD", id, netns, node, network));
        if (SIX.equals(network))
        {
            final JsonNode ip = result.get("ips").get(0);
            assertTrue(ip.get("address").asText().matches("fd00:88::[0-9a-f:]+/64"), ip::toString);
            assertEquals("fd00:88::1", ip.get("gateway").asText(), "the gateway of the network, as for IPv4");
        }
        final String address = result.get("ips").get(0).get("address").asText();
        final Attached attached = new Attached(netns, id, node, address.substring(0, address.indexOf('/')),
            result.get("interfaces").get(0).get("mac").asText());
        containers.put(name, attached);
        return attached;
    }

    private Sandbox.Result cni(final String command, final String id, final String netns, final int node) throws Exception
    {
        return cni(command, id, netns, node, NETWORK);
    }

    private Sandbox.Result cni(final String command, final String id, final String netns, final int node,
        final String network) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", cniBin.toString());
        env.put("CNI_CONTAINERID", id);
        env.put("CNI_NETNS", "/run/netns/" + netns);
        final String config = JSON.writeValueAsString(Map.of("cniVersion", "1.0.0", "name", sandbox.prefix + "-" + network,
            "type", "vireo", "bridge", network, "runDir", nodes[node].runDir.toString(), "ipam", Map.of("type", "vireo")));
        return sandbox.runWithInput(env, config, cniBin.resolve("vireo").toString());
    }

    private void ping(final Attached from, final Attached to)
    {
        check(sandbox.inNetns(from.netns(), "ping", "-c", "3", "-i", "0.05", "-W", "2", to.address()));
    }

    private static JsonNode success(final Sandbox.Result result) throws Exception
    {
        assertEquals(0, result.exit(), result::all);
        return JSON.readTree(result.out());
    }

    private static JsonNode status(final Daemon node) throws Exception
    {
        return JSON.readTree(node.ok("cluster", "status", "--json").out());
    }

    private static Set<String> peersOf(final Daemon node) throws Exception
    {
        return peersOf(node, NETWORK);
    }

    private static Set<String> peersOf(final Daemon node, final String network) throws Exception
    {
        final Sandbox.Result listed = node.ctl("vxlan", "peer", "list", network, "--json");
        final Set<String> peers = new HashSet<>();
        if (0 == listed.exit())
        {
            JSON.readTree(listed.out()).get("peers").forEach(peer -> peers.add(peer.get("address").asText()));
        }
        return peers;
    }

    /** The underlay address node's forwarding table sends {@code mac} to, or null if it has no remote entry. */
    private static String remoteOf(final Daemon node, final String mac) throws Exception
    {
        return remoteOf(node, mac, NETWORK);
    }

    private static String remoteOf(final Daemon node, final String mac, final String network) throws Exception
    {
        for (final JsonNode entry : JSON.readTree(node.ok("fdb", "show", network, "--json").out()).get("entries"))
        {
            if (mac.equals(entry.get("mac").asText()) && entry.hasNonNull("remote"))
            {
                return entry.get("remote").asText();
            }
        }
        return null;
    }

    private static ControlApi.Response api(final Daemon node, final String method, final String path)
    {
        return ControlClient.request(node.runDir.resolve("vireo.sock"), method, path, null);
    }
}
