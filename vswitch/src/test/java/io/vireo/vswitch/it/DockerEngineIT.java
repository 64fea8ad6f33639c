package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
 * Debian's dockerd running busybox containers on networks of the Vireo driver ({@code scripts/vireo-docker}), found
 * as plugin {@code vireo-<prefix>} through a spec file, against a real vireod: what Docker sends is what the driver
 * gets.
 */
class DockerEngineIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NETWORK = "vnet";

    private Sandbox sandbox;
    private Daemon daemon;
    private BusyboxRootfs rootfs;
    private DockerEngine docker;
    private String plugin;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        final Path driverDir = sandbox.tempDir("driver");
        final Path socket = driverDir.resolve("vireo.sock");
        DockerDriver.start(sandbox, daemon, socket, driverDir.resolve("state.json"));
        rootfs = BusyboxRootfs.create(sandbox, 16);
        docker = DockerEngine.start(sandbox, rootfs);
        plugin = "vireo-" + sandbox.prefix;
        docker.plugin(plugin, socket);
    }

    @AfterEach
    void tearDown() throws Exception
    {
        try
        {
            docker.close();
        }
        finally
        {
            sandbox.close();
        }
    }

    @Test
    void twoContainersPingAndTransferAndRmAndNetworkRmLeaveNothingBehind() throws Exception
    {
        final String networkId = check(docker.docker("network", "create", "-d", plugin, "--subnet", "10.91.0.0/24", NETWORK))
            .out().strip();
        final String bridge = "docker-" + networkId.substring(0, 12);
        assertTrue(daemon.bridges().contains(bridge), "the driver made the network's bridge");
        final Container one = docker.start("one", NETWORK);
        final Container two = docker.start("two", NETWORK);
        assertEquals(2, JSON.readTree(daemon.ok("port", "list", "--json").out()).size());

        one.ping(two.address());
        two.ping(one.address());
        one.ping("10.91.0.1"); // the router answers the network's gateway
        BusyboxRootfs.receiver(two, 5000);
        rootfs.send(one, two.address(), 5000);

        check(docker.docker("rm", "--force", "one", "two"));
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "no port left in vireod");
        // Their namespaces stay mounted until Docker's collection, every 60 s; the engine's close unmounts them.
        check(docker.docker("network", "rm", NETWORK));
        assertEquals(List.of("br0"), daemon.bridges(), "the network's bridge is gone");
        assertEquals(List.of(), daemon.routerBridges(), "and the router's interface on it");
    }

    /**
     * vireod killed and started again on its run dir while two Docker containers run, one with {@code
     * --mac-address}: their eth0 never goes (the port keeper holds the TAPs), the new daemon takes them back with
     * the MAC Docker asked for, and they ping each other again without Docker doing anything.
     */
    @Test
    void containersKeepTheirMacAndStayConnectedThroughASwitchCrashAndRestart() throws Exception
    {
        final String mac = "02:00:5e:10:00:02";
        check(docker.docker("network", "create", "-d", plugin, "--subnet", "10.90.0.0/24", NETWORK));
        final Container one = docker.start("one", NETWORK, "--mac-address", mac);
        final Container two = docker.start("two", NETWORK);
        assertEquals(mac, one.mac());
        one.ping(two.address());
        final int ports = JSON.readTree(daemon.ok("port", "list", "--json").out()).size();

        daemon.process.destroyForcibly();
        assertTrue(daemon.process.waitFor(30, TimeUnit.SECONDS));
        check(one.exec("ip", "link", "show", "eth0"));
        daemon = Daemon.start(sandbox, daemon.runDir);

        assertEquals(ports, JSON.readTree(daemon.ok("port", "list", "--json").out()).size());
        one.ping(two.address());
        two.ping(one.address());
        assertEquals(mac, one.mac());
        check(docker.docker("rm", "--force", "one", "two"));
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "docker rm deleted the ports as usual");
        check(docker.docker("network", "rm", NETWORK));
    }

    /**
     * {@code docker network connect} gives a running container an interface on a second Vireo network, which
     * reaches a container there; {@code docker network disconnect} takes it and its port away again.
     */
    @Test
    void aContainerConnectsToASecondNetworkAndDisconnects() throws Exception
    {
        check(docker.docker("network", "create", "-d", plugin, "--subnet", "10.93.0.0/24", NETWORK));
        check(docker.docker("network", "create", "-d", plugin, "--subnet", "10.94.0.0/24", "vnet2"));
        final Container one = docker.start("one", NETWORK);
        final Container two = docker.start("two", "vnet2");

        check(docker.docker("network", "connect", "vnet2", "one"));
        assertTrue(check(one.exec("ip", "-4", "addr", "show", "eth1")).out().contains("inet 10.94.0."), "eth1 on vnet2");
        one.ping(two.address());
        assertEquals(3, JSON.readTree(daemon.ok("port", "list", "--json").out()).size());

        check(docker.docker("network", "disconnect", "vnet2", "one"));
        assertFalse(check(one.exec("ip", "-o", "link", "show")).out().contains("eth1"), "eth1 is gone");
        assertEquals(2, JSON.readTree(daemon.ok("port", "list", "--json").out()).size(), "one port each left");
        assertTrue(check(one.exec("ip", "-4", "addr", "show", "eth0")).out().contains("inet 10.93.0."), "eth0 stays");

        check(docker.docker("rm", "--force", "one", "two"));
        check(docker.docker("network", "rm", NETWORK, "vnet2"));
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "no port left in vireod");
    }

    /**
     * {@code docker run -p 8080:80} on a network whose router (the driver's default, {@code docker}) an operator gave
     * an uplink, as in {@link DockerDriverIT}: an "outside" namespace reaches the container at the router's address,
     * port 8080; the container reaches the outside, masqueraded. Removing the container takes the published port
     * back, removing the network the masquerade.
     */
    @Test
    void aPublishedPortReachesTheContainerFromOutsideThroughTheRouter() throws Exception
    {
        final String outside = sandbox.namespace("o");
        Uplink.edgeRouter(sandbox, daemon, outside, "docker");
        check(docker.docker("network", "create", "-d", plugin, "--subnet", "10.92.0.0/24", NETWORK));
        final Container web = docker.start("web", NETWORK, "-p", "8080:80");
        final String rules = daemon.ok("nat", "list", "docker").out();
        assertTrue(rules.contains("10.92.0.0/24") && rules.contains(web.address() + ":80"), rules);

        web.ping("10.95.0.2"); // the outside has no route to 10.92.0.0/24: the answer comes back masqueraded
        BusyboxRootfs.receiver(web, 80);
        rootfs.sendFromNamespace(sandbox, outside, "10.95.0.1", 8080);

        check(docker.docker("rm", "--force", "web"));
        assertFalse(daemon.ok("nat", "list", "docker").out().contains(web.address() + ":80"), "the published port is taken back");
        check(docker.docker("network", "rm", NETWORK));
        assertEquals(0, JSON.readTree(daemon.ok("nat", "list", "docker", "--json").out()).get("rules").size());
        assertEquals(List.of("wan"), daemon.routerBridges(), "the router keeps its uplink only");
    }

    /**
     * {@code docker run --rm ... true} on a Vireo network and on one of Docker's own bridge driver (a Linux bridge
     * the test names with its prefix, no iptables), alternately; the figures are printed, not asserted: a benchmark,
     * run on demand with {@code -Dvireo.timed=true} (benches/README.md), not in every suite run.
     */
    @Test
    @EnabledIfSystemProperty(named = "vireo.timed", matches = "true")
    void runRmTrueOnVireoAndOnDockersBridgeDriverTimed()
    {
        check(docker.docker("network", "create", "-d", plugin, "--subnet", "10.91.2.0/24", "vireo-timed"));
        check(docker.docker("network", "create", "-d", "bridge", "--subnet", "10.91.3.0/24",
            "-o", "com.docker.network.bridge.name=" + sandbox.hostInterface("br"), "bridge-timed"));
        System.out.println("docker run --rm true: " + Alternately.time(
            "vireo", () -> check(docker.docker("run", "--rm", "--network", "vireo-timed", DockerEngine.IMAGE, "true")),
            "docker's bridge driver", () -> check(docker.docker("run", "--rm", "--network", "bridge-timed", DockerEngine.IMAGE, "true")),
            5));
        check(docker.docker("network", "rm", "vireo-timed", "bridge-timed"));
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "no port left in vireod");
    }
}
