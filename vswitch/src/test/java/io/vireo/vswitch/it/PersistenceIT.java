package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code vireod --config FILE} saves changes made through its API there, and a restart builds the same switch. */
class PersistenceIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

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

    @Test
    void aRestartWithTheSameConfigBringsBackBridgesPortsAndPolicies() throws Exception
    {
        final Path runDir = sandbox.tempDir("run");
        final Path config = sandbox.tempDir("etc").resolve("switch.yaml");
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String nsC = sandbox.namespace("c");
        final String tapA = sandbox.ifname("tA");
        final String tapB = sandbox.ifname("tB");
        final String tapC = sandbox.ifname("tC");

        Daemon daemon = Daemon.start(sandbox, runDir, "--config", config.toString(), "--no-port-keeper");
        assertTrue(daemon.output().contains("changes saved to " + config), daemon.output());
        assertEquals("br0", yaml(config).get("bridges").get(0).get("name").asText(), "a missing file starts as the default");
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));

        daemon.ok("bridge", "add", "lan", "--aging", "60");
        daemon.ok("port", "add", "lan", tapA, "--netns", nsA, "--ip", "10.95.0.1/24", "--mac", "02:95:00:00:00:0a", "--mtu", "1400");
        daemon.ok("port", "add", "lan", tapB, "--netns", nsB, "--ip", "10.95.0.2/24");
        daemon.ok("port", "add", "lan", tapC, "--netns", nsC, "--ip", "10.95.0.3/24");
        daemon.ok("policy", "add", "lan", "--action", "deny", "--proto", "icmp", "--dst", "10.95.0.3", "--priority", "200");
        daemon.ok("policy", "default", "br0", "deny");
        final String vxlanPort = Integer.toString(40_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(20_000));
        daemon.ok("bridge", "add", "wan", "--vni", "9", "--vtep-local", "127.0.0.1", "--vtep-port", vxlanPort, "--ttl", "3");
        daemon.ok("vxlan", "peer", "add", "wan", "127.0.0.2");
        assertForwardsAndFilters(nsA);
        final JsonNode portsBefore = ports(daemon);
        final JsonNode policyBefore = policy(daemon);
        assertEquals(0, daemon.terminate());
        assertNotEquals(0, sandbox.inNetns(nsA, "ip", "link", "show", "dev", tapA).exit(),
            "without a port keeper the TAP went with the daemon, and the config makes it again");
        assertEquals(List.of("br0", "lan", "wan"), names(yaml(config).get("bridges")));

        daemon = Daemon.start(sandbox, runDir, "--config", config.toString(), "--no-port-keeper");

        final JsonNode bridges = JSON.readTree(daemon.ok("bridge", "list", "--json").out());
        assertEquals(List.of("br0", "lan", "wan"), names(bridges));
        assertEquals(60, bridges.get(1).get("agingSeconds").asInt());
        final JsonNode vxlan = bridges.get(2).get("vxlan");
        assertEquals(List.of(9, "127.0.0.1", Integer.parseInt(vxlanPort), 3, 1450),
            List.of(vxlan.get("vni").asInt(), vxlan.get("local").asText(), vxlan.get("port").asInt(), vxlan.get("ttl").asInt(),
                vxlan.get("mtu").asInt()), vxlan::toString);
        assertEquals("127.0.0.2", vxlan.get("peers").get(0).get("address").asText(), "the VXLAN peer is back");
        final JsonNode portsAfter = ports(daemon);
        assertEquals(List.of(tapA, tapB, tapC, "wan-vxlan"), names(portsAfter), "the VXLAN port comes with its bridge");
        for (int i = 0; i < 3; i++)
        {
            for (final String field : List.of("bridge", "netns", "ip", "mac", "mtu", "offloads", "state"))
            {
                assertEquals(portsBefore.get(i).get(field), portsAfter.get(i).get(field), portsAfter.get(i) + ": " + field);
            }
        }
        assertEquals("02:95:00:00:00:0a", portsAfter.get(0).get("mac").asText());
        assertTrue(check(sandbox.inNetns(nsA, "ip", "link", "show", "dev", tapA)).out().contains("mtu 1400"));
        final JsonNode policyAfter = policy(daemon);
        assertEquals(policyBefore.get("default"), policyAfter.get("default"));
        assertEquals(policyBefore.get("rules").size(), policyAfter.get("rules").size());
        for (final String field : List.of("priority", "action", "dst", "protocol"))
        {
            assertEquals(policyBefore.get("rules").get(0).get(field), policyAfter.get("rules").get(0).get(field), field);
        }
        assertEquals("deny", JSON.readTree(daemon.ok("policy", "list", "br0", "--json").out()).get("default").asText());
        assertForwardsAndFilters(nsA);
        assertEquals(0, daemon.terminate());
    }

    @Test
    void aPortWhoseNamespaceIsGoneIsSkippedAndLeftOutAtTheNextChange() throws Exception
    {
        final String ns = sandbox.namespace("a");
        final String gone = sandbox.prefix + "-gone";
        final String tapA = sandbox.ifname("tA");
        final String tapB = sandbox.ifname("tB");
        final Path config = sandbox.tempFile(".yaml");
        Files.writeString(config, String.join("\n",
            "bridges:",
            "  - name: br0",
            "    ports:",
            "      - {name: " + tapA + ", netns: " + ns + ", ip: 10.94.0.1/24}",
            "      - {name: " + tapB + ", netns: " + gone + ", ip: 10.94.0.2/24}",
            ""));

        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"), "--config", config.toString());

        assertTrue(daemon.output().contains("vireod: port " + tapB + " on bridge br0 not restored: no network namespace named " +
            gone), daemon.output());
        assertEquals(List.of(tapA), names(ports(daemon)));
        assertEquals(2, yaml(config).get("bridges").get(0).get("ports").size(), "the file is untouched until a change");
        daemon.ok("bridge", "add", "br1");
        final JsonNode saved = yaml(config).get("bridges");
        assertEquals(List.of("br0", "br1"), names(saved));
        assertEquals(List.of(tapA), names(saved.get(0).get("ports")));
        assertEquals(0, daemon.terminate());
    }

    /** A reaches B, and the policy rule keeps ICMP from C. */
    private void assertForwardsAndFilters(final String from)
    {
        check(sandbox.inNetns(from, "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.95.0.2"));
        assertNotEquals(0, sandbox.inNetns(from, "ping", "-c", "2", "-i", "0.05", "-W", "1", "10.95.0.3").exit(),
            "ICMP to C is denied");
    }

    private static JsonNode ports(final Daemon daemon) throws Exception
    {
        return JSON.readTree(daemon.ok("port", "list", "--json").out());
    }

    private static JsonNode policy(final Daemon daemon) throws Exception
    {
        return JSON.readTree(daemon.ok("policy", "list", "lan", "--json").out());
    }

    private static JsonNode yaml(final Path file) throws Exception
    {
        return YAML.readTree(file.toFile());
    }

    private static List<String> names(final JsonNode array)
    {
        final List<String> names = new ArrayList<>();
        array.forEach(node -> names.add(node.get("name").asText()));
        return names;
    }
}
