package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A switch that crashes and is started again on its run dir, without a config file: container C (attached
 * by the CNI plugin, as a runtime does) and namespace A (a port an operator added) stay on bridge
 * {@code net1} throughout. Their interfaces never go (the port keeper holds the TAPs), and the new daemon
 * takes them back with the bridge, addresses, limits and counters, so C reaches A again without anyone
 * touching the container. C is registered in the service registry as {@code web}, and stays registered.
 */
class RestartIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CNI_PLUGINS = Path.of("/usr/lib/cni");

    private Sandbox sandbox;
    private Path runDir;
    private Path cniBin;
    private String config;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        runDir = sandbox.tempDir("run");
        cniBin = sandbox.tempDir("cnibin");
        Daemon.installCniPlugin(sandbox, cniBin);
        config = JSON.createObjectNode().put("cniVersion", "1.0.0").put("name", sandbox.prefix + "-net").put("type", "vireo")
            .put("bridge", "net1").put("runDir", runDir.toString())
            .<ObjectNode>set("args", JSON.readTree("{\"vireo\": {\"services\": [{\"name\": \"web\", \"port\": 80}]}}"))
            .set("ipam", JSON.readTree("{\"type\": \"host-local\", \"ranges\": [[{\"subnet\": \"10.96.1.0/24\", " +
                "\"rangeStart\": \"10.96.1.10\"}]], \"dataDir\": \"" + sandbox.tempDir("ipam") + "\"}")).toString();
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void containersKeepTheirInterfacesThroughACrashAndTheNextDaemonTakesThemBack() throws Exception
    {
        final Daemon first = Daemon.start(sandbox, runDir);
        final String nsA = sandbox.namespace("a");
        final String nsC = sandbox.namespace("c");
        final String tapA = sandbox.ifname("tA");
        first.ok("bridge", "add", "net1");
        first.ok("port", "add", "net1", tapA, "--netns", nsA, "--ip", "10.96.1.1/24", "--egress-rate", "1gbit");
        final Sandbox.Result added = cni("ADD", nsC);
        assertEquals(0, added.exit(), added::all);
        final String addressC = JSON.readTree(added.out()).get("ips").get(0).get("address").asText().replaceAll("/.*", "");
        check(sandbox.inNetns(nsA, "ping", "-c", "2", "-i", "0.2", "-W", "3", addressC));
        final JsonNode portsBefore = JSON.readTree(first.ok("port", "list", "--json").out());
        first.ok("registry", "register", "db", "db-1", "--address", "10.96.1.1", "--port", "5432", "--lease", "0");
        first.ok("registry", "register", "db", "db-2", "--address", "10.96.1.2", "--port", "5432", "--lease", "60");
        final JsonNode registryBefore = JSON.readTree(first.ok("registry", "list", "--json").out()).get("services");

        first.process.destroyForcibly();
        assertTrue(first.process.waitFor(30, TimeUnit.SECONDS), "vireod was killed");
        check(sandbox.inNetns(nsC, "ip", "link", "show", "dev", "eth0"));
        check(sandbox.inNetns(nsA, "ip", "link", "show", "dev", tapA));

        final Daemon second = Daemon.start(sandbox, runDir);
        assertEquals(List.of("br0", "net1"), names(JSON.readTree(second.ok("bridge", "list", "--json").out())));
        final JsonNode portsAfter = JSON.readTree(second.ok("port", "list", "--json").out());
        assertEquals(names(portsBefore), names(portsAfter));
        for (int i = 0; i < portsBefore.size(); i++)
        {
            for (final String field : List.of("bridge", "netns", "ip", "mac", "mtu", "offloads", "owner", "egress", "state"))
            {
                assertEquals(portsBefore.get(i).get(field), portsAfter.get(i).get(field), portsAfter.get(i) + ": " + field);
            }
        }
        for (int i = 0; i < portsBefore.size(); i++)
        {
            final long before = portsBefore.get(i).get("stats").get("rxPackets").asLong();
            assertTrue(before > 0 && portsAfter.get(i).get("stats").get("rxPackets").asLong() >= before,
                "the counters go on from where they were: " + portsBefore.get(i) + " then " + portsAfter.get(i));
        }
        check(sandbox.inNetns(nsC, "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.96.1.1"));
        final JsonNode registryAfter = JSON.readTree(second.ok("registry", "list", "--json").out()).get("services");
        assertEquals(List.of("db-1", nsC + ":eth0"), ids(registryAfter),
            "the instances with no lease, the container's with its port; not db-2, whose client registers again");
        assertEquals(registryBefore.get(1).get("instances"), registryAfter.get(1).get("instances"), "C's as it was");
        assertTrue(second.ctl("registry", "heartbeat", "db", "db-2").err().contains("register it again"));
        assertTrue(TcpTransfer.send(sandbox, nsA, "10.96.1.1", 5201, nsC, "10.96.1.1", 5201, 8).equals(addressC));

        assertEquals(0, cni("DEL", nsC).exit());
        assertNotEquals(0, sandbox.inNetns(nsC, "ip", "link", "show", "dev", "eth0").exit(), "DEL took the interface away");
        assertEquals(List.of("db-1"), ids(JSON.readTree(second.ok("registry", "list", "--json").out()).get("services")));
        assertEquals(0, second.terminate());
        check(sandbox.inNetns(nsA, "ip", "link", "show", "dev", tapA));
    }

    @Test
    void aContainerDeletedWhileTheSwitchIsDownIsNotBroughtBack() throws Exception
    {
        final Daemon first = Daemon.start(sandbox, runDir);
        final String nsC = sandbox.namespace("c");
        first.ok("bridge", "add", "net1");
        assertEquals(0, cni("ADD", nsC).exit());
        assertEquals(0, first.terminate());
        check(sandbox.inNetns(nsC, "ip", "link", "show", "dev", "eth0"));

        final Sandbox.Result deleted = cni("DEL", nsC);
        assertEquals(0, deleted.exit(), deleted::all);
        assertNotEquals(0, sandbox.inNetns(nsC, "ip", "link", "show", "dev", "eth0").exit(),
            "with no vireod, DEL has the port keeper let the TAP go");

        final Daemon second = Daemon.start(sandbox, runDir);
        assertEquals(List.of(), names(JSON.readTree(second.ok("port", "list", "--json").out())));
        assertTrue(second.output().contains("not restored: its TAP is gone"), second.output());
        assertEquals("[ ]", JSON.readTree(second.ok("registry", "list", "--json").out()).get("services").toPrettyString(),
            "nor its instance of web");
        assertTrue(second.output().contains("vireod: instance " + nsC + ":eth0 of service web not restored: its " +
            "container's port"), second.output());
    }

    private Sandbox.Result cni(final String command, final String ns)
    {
        final Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", ns);
        env.put("CNI_NETNS", "/run/netns/" + ns);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", cniBin + ":" + CNI_PLUGINS);
        return sandbox.runWithInput(env, config, cniBin.resolve("vireo").toString());
    }

    /** The ids of the instances of every service listed. */
    private static List<String> ids(final JsonNode services)
    {
        final List<String> ids = new java.util.ArrayList<>();
        services.forEach(service -> service.get("instances").forEach(instance -> ids.add(instance.get("id").asText())));
        return ids;
    }

    private static List<String> names(final JsonNode items)
    {
        final List<String> names = new java.util.ArrayList<>();
        items.forEach(item -> names.add(item.get("name").asText()));
        return names;
    }
}
