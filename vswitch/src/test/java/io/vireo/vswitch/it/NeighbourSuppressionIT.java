package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.vswitch.core.ClusterSwitch;
import io.vireo.vswitch.core.NeighbourAnswer;
import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static io.vireo.vswitch.it.TapForwardingIT.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ARP/ND suppression on real traffic. Two nodes on an underlay (a veth between namespaces h1, 10.77.0.1, and h2,
 * 10.77.0.2): node one is a switch in this JVM driven through {@link ClusterSwitch}, its VXLAN endpoint and TAP
 * made from a thread inside h1, container c1 (10.66.0.1, fd00::1) on the TAP; node two is the kernel: a bridge
 * with a {@code vxlan} device (VNI 42) and container c2 (10.66.0.2, fd00::2) on a veth. c2 is installed on node
 * one as a remote endpoint, as the cluster reconciler would.
 * <p>
 * c1 pings c2 over IPv4 and IPv6: the switch answers c1's ARP request and neighbour solicitation itself (c1's
 * neighbour table holds c2's MAC), a capture of the underlay shows none of them carried in VXLAN (while c2's own
 * ARP request for c1, which no one suppresses, is), and the echoes cross both ways.
 */
class NeighbourSuppressionIT
{
    private static final String NETWORK = "ov1";
    private static final String UNDERLAY_ONE = "10.77.0.1";
    private static final String UNDERLAY_TWO = "10.77.0.2";
    private static final String MAC_ONE = "02:77:00:00:00:01";
    private static final String MAC_TWO = "02:77:00:00:00:02";
    /** setns(2): a network namespace. */
    private static final int CLONE_NEWNET = 0x4000_0000;
    /** open(2): O_RDONLY | O_CLOEXEC. */
    private static final int OPEN_FLAGS = 0x80000;

    private Sandbox sandbox;
    private Vireo vireo;

    @BeforeEach
    void setUp()
    {
        sandbox = new Sandbox();
    }

    @AfterEach
    void tearDown()
    {
        try
        {
            if (null != vireo)
            {
                vireo.close();
            }
        }
        finally
        {
            sandbox.close();
        }
    }

    @Test
    void theSwitchAnswersForARemoteEndpointAndOnlyThePingCrossesTheOverlay() throws Exception
    {
        final String hostOne = sandbox.namespace("h1");
        final String hostTwo = sandbox.namespace("h2");
        check(sandbox.run("ip", "-n", hostOne, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", hostTwo));
        address(hostOne, "eth0", UNDERLAY_ONE + "/24");
        address(hostTwo, "eth0", UNDERLAY_TWO + "/24");
        final String containerTwo = kernelNode(hostTwo);

        vireo = Vireo.launch(new VireoContext());
        final ClusterSwitch cluster = new ClusterSwitch(vireo, UNDERLAY_ONE);
        final List<String> heard = new CopyOnWriteArrayList<>();
        // As the reconciler would: publish what is attached here, and install it as a local endpoint (answers only),
        // calling back into the switch from the switch's own endpoint thread.
        cluster.watchLocalEndpoints(recorder(heard, cluster));
        final String containerOne = sandbox.namespace("c1");
        final String tap = sandbox.ifname("t1");
        inNamespace(hostOne, () ->
        {
            cluster.ensureNetwork(NETWORK, 42, UNDERLAY_ONE, 4789);
            vireo.addTapPort(NETWORK, new TapPortSpec(tap, containerOne, "10.66.0.1/24", MAC_ONE, null));
            return null;
        });
        waitFor(() -> heard.contains("attached " + NETWORK + " " + MAC_ONE + " [10.66.0.1]") &&
            vireo.overlay().neighbourAnswers(NETWORK).contains(new NeighbourAnswer("10.66.0.1", MAC_ONE)),
            "the TAP told and installed: " + heard);
        ipv6(containerOne, tap, "fd00::1/64");

        cluster.addEndpoint(NETWORK, new Endpoint(MAC_TWO, List.of("10.66.0.2", "fd00::2"), UNDERLAY_TWO));
        assertEquals(List.of(NETWORK), cluster.networks());

        final Path capture = sandbox.tempFile(".pcapng");
        final Process dumpcap = sandbox.start(sandbox.tempFile(".dumpcap"), "ip", "netns", "exec", hostOne,
            "dumpcap", "-q", "-i", "eth0", "-f", "udp port 4789", "-w", capture.toString(), "-a", "duration:120");
        waitFor(() -> Files.size(capture) > 0, "dumpcap capturing");

        check(sandbox.inNetns(containerOne, "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.66.0.2"));
        check(sandbox.inNetns(containerOne, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "5", "fd00::2"));
        assertTrue(check(sandbox.inNetns(containerOne, "ip", "neigh", "show", "10.66.0.2")).out().contains(MAC_TWO),
            "c1 has c2's MAC from the switch's answer");
        assertTrue(check(sandbox.inNetns(containerOne, "ip", "-6", "neigh", "show", "fd00::2")).out().contains(MAC_TWO));
        assertTrue(vireo.port(tap).stats().arpNdSuppressed() >= 2, () -> "answered, counted: " + vireo.port(tap).stats());

        // dumpcap writes out what it holds every 100 ms or so: wait for the echoes to be in the file, then stop it.
        waitFor(() -> written(capture, "vxlan && icmp.type == 0") >= 3 && written(capture, "vxlan && icmpv6.type == 129") >= 3,
            "the echo replies in the capture", 30);
        dumpcap.destroy();
        assertTrue(dumpcap.waitFor(20, TimeUnit.SECONDS), "dumpcap stopped");

        assertEquals(0, count(capture, "vxlan && arp.opcode == 1 && arp.dst.proto_ipv4 == 10.66.0.2 && eth.dst == ff:ff:ff:ff:ff:ff"),
            () -> "no broadcast ARP for c2 in the overlay: " + decoded(capture));
        assertEquals(0, count(capture, "vxlan && icmpv6.type == 135 && icmpv6.nd.ns.target_address == fd00::2 && " +
            "eth.dst == 33:33:ff:00:00:02"), () -> "no multicast solicitation for c2 in the overlay: " + decoded(capture));
        assertTrue(count(capture, "vxlan && arp.opcode == 1 && arp.dst.proto_ipv4 == 10.66.0.1 && ip.src == " + UNDERLAY_TWO) >= 1,
            () -> "the kernel's ARP for c1, which nothing suppresses, is there to see: " + decoded(capture));
        assertTrue(count(capture, "vxlan && icmp.type == 8 && ip.src == " + UNDERLAY_ONE) >= 3, () -> decoded(capture));
        assertTrue(count(capture, "vxlan && icmpv6.type == 128 && ip.src == " + UNDERLAY_ONE) >= 3, () -> decoded(capture));

        // A later listener hears of the TAP first; both hear it leave.
        final List<String> later = new CopyOnWriteArrayList<>();
        cluster.watchLocalEndpoints(recorder(later, null));
        waitFor(() -> later.contains("attached " + NETWORK + " " + MAC_ONE + " [10.66.0.1]"), "replayed: " + later);
        vireo.deletePort(tap);
        waitFor(() -> heard.contains("detached " + NETWORK + " " + MAC_ONE) && later.contains("detached " + NETWORK + " " + MAC_ONE),
            "the TAP left: " + heard + " " + later);
        assertTrue(vireo.overlay().neighbourAnswers(NETWORK).stream().noneMatch(answer -> answer.mac().equals(MAC_ONE)),
            "the first listener removed its endpoint: " + vireo.overlay().neighbourAnswers(NETWORK));
    }

    /** Records events as text; with a switch, installs attached endpoints and removes detached ones, as a reconciler. */
    private static EndpointListener recorder(final List<String> heard, final ClusterSwitch cluster)
    {
        return new EndpointListener()
        {
            @Override
            public void attached(final String network, final Endpoint endpoint)
            {
                if (null != cluster)
                {
                    cluster.addEndpoint(network, endpoint);
                }
                heard.add("attached " + network + " " + endpoint.mac() + " " + endpoint.addresses() +
                    (endpoint.isLocal() ? "" : " NOT LOCAL"));
            }

            @Override
            public void detached(final String network, final String mac)
            {
                if (null != cluster)
                {
                    cluster.removeEndpoint(network, mac);
                }
                heard.add("detached " + network + " " + mac);
            }
        };
    }

    /** In {@code host}: a kernel bridge with a vxlan device (VNI 42, flooding to node one) and container c2 on a veth. */
    private String kernelNode(final String host)
    {
        check(sandbox.run("ip", "-n", host, "link", "add", "vx0", "type", "vxlan", "id", "42", "local", UNDERLAY_TWO,
            "dstport", "4789", "dev", "eth0"));
        check(sandbox.run("ip", "-n", host, "link", "add", "br0", "type", "bridge"));
        check(sandbox.run("ip", "-n", host, "link", "set", "vx0", "master", "br0", "up"));
        check(sandbox.run("ip", "-n", host, "link", "set", "br0", "up"));
        check(sandbox.inNetns(host, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", UNDERLAY_ONE));
        final String container = sandbox.namespace("c2");
        check(sandbox.run("ip", "-n", host, "link", "add", "veth0", "type", "veth", "peer", "name", "eth0", "netns", container));
        check(sandbox.run("ip", "-n", host, "link", "set", "veth0", "master", "br0", "up"));
        check(sandbox.run("ip", "-n", container, "link", "set", "eth0", "address", MAC_TWO, "mtu", "1450"));
        address(container, "eth0", "10.66.0.2/24");
        ipv6(container, "eth0", "fd00::2/64");
        return container;
    }

    private void address(final String netns, final String ifname, final String cidr)
    {
        check(sandbox.run("ip", "-n", netns, "addr", "add", cidr, "dev", ifname));
        check(sandbox.run("ip", "-n", netns, "link", "set", ifname, "up"));
    }

    /** IPv6 on for one interface of a sandbox namespace (off there by default), with an address that skips DAD. */
    private void ipv6(final String netns, final String ifname, final String cidr)
    {
        check(sandbox.inNetns(netns, "sysctl", "-qw", "net.ipv6.conf." + ifname + ".disable_ipv6=0"));
        check(sandbox.run("ip", "-n", netns, "addr", "add", cidr, "dev", ifname, "nodad"));
    }

    private int count(final Path capture, final String filter)
    {
        final String out = check(sandbox.run("tshark", "-r", capture.toString(), "-Y", filter, "-T", "fields", "-e", "frame.number")).out();
        return (int)out.lines().filter(line -> !line.isBlank()).count();
    }

    /** {@link #count} in a file dumpcap is still writing, whose last packet tshark may find cut short. */
    private int written(final Path capture, final String filter)
    {
        final String out = sandbox.run("tshark", "-r", capture.toString(), "-Y", filter, "-T", "fields", "-e", "frame.number").out();
        return (int)out.lines().filter(line -> !line.isBlank()).count();
    }

    private String decoded(final Path capture)
    {
        return sandbox.run("tshark", "-r", capture.toString()).all();
    }

    /**
     * Runs {@code work} on a thread of its own that enters network namespace {@code netns} first and ends after:
     * the sockets and TAPs it opens are made there, and no other thread changes namespace.
     */
    private static <T> T inNamespace(final String netns, final Callable<T> work) throws Exception
    {
        final FutureTask<T> task = new FutureTask<>(() ->
        {
            final int fd = Native.libc().open("/run/netns/" + netns, OPEN_FLAGS);
            if (fd < 0)
            {
                throw new IllegalStateException("cannot open namespace " + netns + ": " + Native.strerror(Native.errno()));
            }
            try
            {
                if (Native.libc().setns(fd, CLONE_NEWNET) < 0)
                {
                    throw new IllegalStateException("cannot enter namespace " + netns + ": " + Native.strerror(Native.errno()));
                }
            }
            finally
            {
                Native.libc().close(fd);
            }
            return work.call();
        });
        final Thread thread = new Thread(task, "in-" + netns);
        thread.setDaemon(true);
        thread.start();
        return task.get(60, TimeUnit.SECONDS);
    }
}
