package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's podman, with its CNI backend, running busybox containers on Vireo networks: conflists of the {@code vireo}
 * plugin ({@code scripts/vireo-cni}) with {@code host-local} IPAM, against a real vireod. What podman sends is what
 * the plugin gets, so this is where a gap between the two shows.
 */
class PodmanIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NETWORK = "vireo-net";
    private static final String DEFAULT_ROUTE = ", \"routes\": [{\"dst\": \"0.0.0.0/0\"}]";

    private Sandbox sandbox;
    private Daemon daemon;
    private Path ipamDir;
    private BusyboxRootfs rootfs;
    private Podman podman;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        ipamDir = sandbox.tempDir("ipam");
        rootfs = BusyboxRootfs.create(sandbox, 16);
        podman = Podman.create(sandbox, rootfs);
        podman.network(NETWORK, vireo("br0", "10.97.0.0/24", ""));
    }

    @AfterEach
    void tearDown() throws Exception
    {
        try
        {
            podman.close();
        }
        finally
        {
            sandbox.close();
        }
    }

    @Test
    void twoContainersPingAndTransferAndStopAndRmLeaveNothingBehind() throws Exception
    {
        final Container one = podman.start("one", NETWORK);
        final Container two = podman.start("two", NETWORK);
        final JsonNode ports = JSON.readTree(daemon.ok("port", "list", "--json").out());
        final Set<String> owned = new HashSet<>();
        ports.forEach(port -> owned.add(port.get("owner").asText() + " " + port.get("netns").asText()));
        assertEquals(Set.of("cni " + one.netns(), "cni " + two.netns()), owned, ports::toString);
        assertEquals(List.of(one.address(), two.address()), HostLocal.allocations(ipamDir, NETWORK));

        one.ping(two.address());
        two.ping(one.address());
        BusyboxRootfs.receiver(two, 5000);
        rootfs.send(one, two.address(), 5000);

        check(podman.podman("stop", "one", "two"));
        check(podman.podman("rm", "one", "two"));
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "no port left in vireod");
        assertEquals(List.of(), HostLocal.allocations(ipamDir, NETWORK), "no address left in host-local");
        assertFalse(Files.exists(one.netns()) || Files.exists(two.netns()), "podman removed the containers' namespaces");
    }

    /**
     * vireod killed and started again on its run dir while two podman containers run: their eth0 never goes
     * (the port keeper holds the TAPs), the new daemon takes them back, and they ping each other again
     * without podman doing anything.
     */
    @Test
    void containersStayConnectedThroughASwitchCrashAndRestart() throws Exception
    {
        final Container one = podman.start("one", NETWORK);
        final Container two = podman.start("two", NETWORK);
        one.ping(two.address());
        final String portsBefore = daemon.ok("port", "list", "--json").out();

        daemon.process.destroyForcibly();
        assertTrue(daemon.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        check(one.exec("ip", "link", "show", "eth0"));
        daemon = Daemon.start(sandbox, daemon.runDir);

        assertEquals(JSON.readTree(portsBefore).size(), JSON.readTree(daemon.ok("port", "list", "--json").out()).size());
        one.ping(two.address());
        two.ping(one.address());
        check(podman.podman("rm", "-f", "one", "two"));
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "podman rm deleted the ports as usual");
    }

    /**
     * A rate limit on a podman container's port (what the container receives is the port's egress) holds a
     * byte-exact transfer to it under the rate: the 16 MB payload through 64 Mbit/s takes 2.1 s at the rate, and at
     * least 1.5 s here (a loaded machine only makes it slower).
     */
    @Test
    void aRateLimitOnAContainersPortHoldsTransfersToIt() throws Exception
    {
        final Container one = podman.start("one", NETWORK);
        final Container two = podman.start("two", NETWORK);
        String portOfTwo = null;
        for (final JsonNode port : JSON.readTree(daemon.ok("port", "list", "--json").out()))
        {
            portOfTwo = two.netns().toString().equals(port.get("netns").asText()) ? port.get("name").asText() : portOfTwo;
        }
        assertTrue(null != portOfTwo, "two's port is listed with its namespace");
        daemon.ok("port", "set", portOfTwo, "--egress-rate", "64mbit");

        BusyboxRootfs.receiver(two, 5000);
        final long start = System.nanoTime();
        rootfs.send(one, two.address(), 5000);
        final double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds >= 1.5, "16 MB through a 64 Mbit/s limit in " + seconds + " s");
    }

    /** Podman hands {@code --mac-address} to CNI plugins in CNI_ARGS ({@code MAC=...}), as the reference bridge reads it. */
    @Test
    void macAddressIsTheContainers() throws Exception
    {
        final Container one = podman.start("one", NETWORK, "--mac-address", "02:00:5e:10:00:01");
        assertEquals("02:00:5e:10:00:01", one.mac());
    }

    /**
     * {@code podman network connect} of a second network whose IPAM gives a default route too, as the first's does.
     * The reference bridge plugin connects it (it leaves a route that is there already); the container reaches the
     * second network by its eth1. {@code podman network disconnect} takes eth1 and its port away again.
     */
    @Test
    void aSecondNetworkWithItsOwnDefaultRouteConnects() throws Exception
    {
        daemon.ok("bridge", "add", "br1");
        podman.network("first", vireo("br0", "10.97.0.0/24", DEFAULT_ROUTE));
        podman.network("second", vireo("br1", "10.98.0.0/24", DEFAULT_ROUTE));
        final Container one = podman.start("one", "first");
        final Container two = podman.start("two", "second");
        check(podman.podman("network", "connect", "second", "one"));
        assertTrue(check(one.exec("ip", "-4", "addr", "show", "eth1")).out().contains("inet 10.98.0."), "eth1 on the second network");
        one.ping(two.address());
        assertEquals(3, JSON.readTree(daemon.ok("port", "list", "--json").out()).size());

        // podman network disconnect: the second network's DEL takes eth1's port and address back, eth0 stays.
        check(podman.podman("network", "disconnect", "second", "one"));
        assertFalse(check(one.exec("ip", "-o", "link", "show")).out().contains("eth1"), "eth1 is gone");
        assertEquals(2, JSON.readTree(daemon.ok("port", "list", "--json").out()).size(), "one port each left");
        assertTrue(check(one.exec("ip", "-4", "addr", "show", "eth0")).out().contains("inet 10.97.0."), "eth0 stays");
    }

    /**
     * {@code podman run --rm ... /bin/true} on a Vireo network and on one of the reference {@code bridge} plugin (a
     * Linux bridge, as podman's own networks), alternately. The figures are printed, not asserted: a benchmark,
     * run on demand with {@code -Dvireo.timed=true} (benches/README.md), not in every suite run.
     */
    @Test
    @EnabledIfSystemProperty(named = "vireo.timed", matches = "true")
    void runRmTrueOnVireoAndOnTheReferenceBridgeTimed() throws Exception
    {
        podman.network("reference", """
            {"type": "bridge", "bridge": "%s", "ipam": {"type": "host-local", "dataDir": "%s",
             "ranges": [[{"subnet": "10.98.0.0/24"}]]}}""".formatted(sandbox.hostInterface("br"), ipamDir));
        System.out.println("podman run --rm /bin/true: " + Alternately.time(
            "vireo", () -> check(podman.runOnce(NETWORK, "/bin/true")),
            "reference bridge", () -> check(podman.runOnce("reference", "/bin/true")), 5));
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "no port left in vireod");
        assertEquals(List.of(), HostLocal.allocations(ipamDir, NETWORK));
        assertEquals(List.of(), HostLocal.allocations(ipamDir, "reference"));
    }

    /** The vireo plugin's config for {@code bridge}, addresses from host-local in {@code subnet}, then {@code ipamMore}. */
    private String vireo(final String bridge, final String subnet, final String ipamMore)
    {
        return """
            {"type": "vireo", "bridge": "%s", "runDir": "%s",
             "ipam": {"type": "host-local", "dataDir": "%s", "ranges": [[{"subnet": "%s"}]]%s}}"""
            .formatted(bridge, daemon.runDir, ipamDir, subnet, ipamMore);
    }
}
