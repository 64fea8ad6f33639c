package io.vireo.vswitch.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.core.PolicySpec;
import io.vireo.vswitch.core.PortInfo;
import io.vireo.vswitch.core.RateLimit;
import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import io.vireo.vswitch.registry.ServiceInstance;
import io.vireo.vswitch.registry.ServiceRegistry;
import org.agrona.LangUtil;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config round trip: a switch → its config → the file → a config → the same switch. */
class DaemonConfigTest
{
    @TempDir
    Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private Vireo first;
    private Vireo second;

    @AfterEach
    void tearDown()
    {
        for (final Vireo vireo : new Vireo[] {first, second})
        {
            if (null != vireo)
            {
                vireo.close();
            }
        }
    }

    private static Vireo launch()
    {
        return Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
    }

    private static PolicySpec rule(final int priority, final String action, final String dst, final String protocol)
    {
        return new PolicySpec(null, priority, action, null, null, null, dst, protocol, null, null);
    }

    private PrintStream logStream()
    {
        return new PrintStream(log, true, StandardCharsets.UTF_8);
    }

    @Test
    void aSwitchSavedAndLoadedIsBuiltAgainAsItWas() throws Exception
    {
        first = launch();
        first.addBridge("lan", 60L);
        first.addBridge("dmz", null);
        first.defaultPolicy("lan", "deny");
        first.addPolicy("lan", new PolicySpec(null, 200, "allow", "02:00:00:00:00:0a", null, "10.0.0.0/24", null,
            "tcp", "1024-65535", "80"));
        final int deleted = first.addPolicy("lan", rule(300, "deny", null, "udp")).id();
        first.addPolicy("lan", rule(200, "allow", "10.0.0.9", "icmp")); // same priority: evaluated after the first
        first.deletePolicy("lan", deleted);
        first.addVhostUserPort("lan", "vm1", dir.resolve("vm1.sock"), false);
        first.addVhostUserPort("dmz", "vm2", dir.resolve("vm2.sock"), true);
        first.addVhostUserPort("dmz", "vc0123456789ab", dir.resolve("cni.sock"), false, "cni"); // a CNI plugin's port
        first.limitPort("vm2", new RateLimit(100_000_000L, null), new RateLimit(8_000_000L, 4096L));

        final DaemonConfig saved = DaemonConfig.of(first, 120L);
        assertEquals(List.of("vm2"), saved.bridges().get(1).ports().stream().map(DaemonConfig.PortConfig::name).toList(),
            "a container's port is the runtime's to make again");
        final Path file = dir.resolve("switch.yaml");
        Files.writeString(file, saved.format(file));
        assertTrue(Files.readString(file).startsWith("# Saved by vireod"), Files.readString(file));
        assertEquals(saved, DaemonConfig.load(file));

        first.close();
        first = null;
        second = launch();
        DaemonConfig.load(file).applyTo(second, logStream());

        assertEquals(saved, DaemonConfig.of(second, 120L), "same bridges, policies in the same order, ports");
        assertEquals("deny", second.defaultPolicy("lan"));
        assertEquals(60, second.bridges().get(0).agingSeconds());
        final PortInfo vm2 = second.port("vm2");
        assertEquals(List.of("vhost-user", dir.resolve("vm2.sock").toString(), true), List.of(vm2.type(), vm2.socket(), vm2.client()));
        assertEquals(List.of(new RateLimit(100_000_000L, 125_000L), new RateLimit(8_000_000L, 4096L)),
            List.of(vm2.ingress(), vm2.egress()), "rate limits, the default burst (10 ms at the rate) as it was made");
        assertEquals("", log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aJsonFileIsWrittenAsJson() throws Exception
    {
        first = launch();
        first.addBridge("br0", null);
        first.addPolicy("br0", rule(100, "deny", "10.0.0.1", null));
        final DaemonConfig saved = DaemonConfig.of(first, null);
        final Path file = dir.resolve("switch.json");
        Files.writeString(file, saved.format(file));

        assertEquals("deny", new ObjectMapper().readTree(file.toFile()).get("bridges").get(0).get("policies").get(0)
            .get("action").asText());
        assertEquals(saved, DaemonConfig.load(file));
    }

    @Test
    void theClusterSectionIsReadAndWrittenAsItWas() throws Exception
    {
        final Path file = dir.resolve("switch.yaml");
        Files.writeString(file, "cluster:\n  endpoints: [\"http://10.0.0.1:2379\", \"http://10.0.0.2:2379\"]\n" +
            "  node: host-1\n  underlay: 10.0.0.1\n");
        final DaemonConfig loaded = DaemonConfig.load(file);
        assertEquals(new DaemonConfig.ClusterSection(List.of("http://10.0.0.1:2379", "http://10.0.0.2:2379"), "host-1",
            "10.0.0.1", null, null), loaded.cluster());
        first = launch();
        final DaemonConfig saved = DaemonConfig.of(first, null).withCluster(loaded.cluster());
        Files.writeString(file, saved.format(file));
        assertEquals(saved, DaemonConfig.load(file));
        assertTrue(Files.readString(file).contains("underlay: \"10.0.0.1\""), Files.readString(file));
    }

    @Test
    void aPortThatCannotBeMadeNowIsSkippedButAWrongConfigIsRefused() throws Exception
    {
        final Path file = dir.resolve("switch.yaml");
        Files.writeString(file, String.join("\n",
            "bridges:",
            "  - name: br0",
            "    ports:",
            "      - {name: gone, type: tap, netns: vireo-test-no-such-ns}",
            "      - {name: vm0, type: vhost-user, socket: " + dir.resolve("no-such-dir/vm0.sock") + "}",
            "      - {name: vm1, type: vhost-user, socket: " + dir.resolve("vm1.sock") + "}",
            ""));
        first = launch();
        DaemonConfig.load(file).applyTo(first, logStream());

        assertEquals(List.of("vm1"), first.bridges().get(0).ports());
        final String logged = log.toString(StandardCharsets.UTF_8);
        assertTrue(logged.contains("vireod: port gone on bridge br0 not restored: no network namespace named " +
            "vireo-test-no-such-ns") && logged.contains("vireod: port vm0 on bridge br0 not restored"), logged);

        for (final String wrong : List.of(
            "      - {name: t0, type: tap, mac: 'ff:ff:ff:ff:ff:ff'}",
            "      - {name: t0, type: veth}"))
        {
            Files.writeString(file, "bridges:\n  - name: br1\n    ports:\n" + wrong + "\n");
            second = launch();
            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> DaemonConfig.load(file).applyTo(second, logStream()));
            assertTrue(refused.getMessage().startsWith("config: port t0: "), refused.getMessage());
            second.close();
            second = null;
        }
        Files.writeString(file, "bridges:\n  - name: br1\n    policies:\n      - {id: 7, action: deny}\n");
        second = launch();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DaemonConfig.load(file).applyTo(second, logStream()))
            .getMessage().contains("leave id out"));
    }

    /**
     * Instances with no lease are saved, a container's (its owner {@code cni:PORT}) only in the run dir's state, and
     * come back; a container's only with its port.
     */
    @Test
    void theRegistrysInstancesWithNoLeaseAreSavedAndComeBackAContainersWithItsPort() throws Exception
    {
        final String containerPort = "vc0123456789ab";
        first = launch();
        first.addBridge("br0", null);
        first.addVhostUserPort("br0", containerPort, dir.resolve("cni.sock"), false, "cni");
        final ServiceRegistry registry = registry();
        final ServiceInstance operators = registry.register("web", "web-1", "10.0.0.5", 80, Map.of("zone", "a"), 0, null);
        final ServiceInstance containers = registry.register("web", "c1:eth0", "10.0.0.6", 80, null, 0, "cni:" + containerPort);
        registry.register("web", "web-2", "10.0.0.7", 80, null, 30, null);

        assertEquals(List.of("web-1"), ids(DaemonConfig.of(first, registry, null, false)), "the config file: an operator's");
        final DaemonConfig runState = DaemonConfig.of(first, registry, null, true);
        assertEquals(List.of("c1:eth0", "web-1"), ids(runState), "the run dir's state: every one with no lease");
        final Path file = dir.resolve("state.yaml");
        Files.writeString(file, runState.format(file));
        assertTrue(Files.readString(file).contains("registry:"), Files.readString(file));
        assertEquals(runState, DaemonConfig.load(file));

        second = launch();
        DaemonConfig.load(file).applyTo(second, logStream());
        final ServiceRegistry afterCrash = registry();
        DaemonConfig.load(file).applyRegistryTo(afterCrash, second, logStream());
        assertEquals(List.of(operators), afterCrash.service("web").instances(), "the container's port did not come back");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("vireod: instance c1:eth0 of service web not restored: " +
            "its container's port " + containerPort + " is gone"), log.toString(StandardCharsets.UTF_8));

        second.addVhostUserPort("br0", containerPort, dir.resolve("cni-again.sock"), false, "cni");
        final ServiceRegistry withConfigFile = registry();
        DaemonConfig.load(file).applyContainerInstancesTo(withConfigFile, second, logStream());
        assertEquals(List.of(containers), withConfigFile.service("web").instances(), "the container's, its port back");
        assertNull(withConfigFile.instance("web", "web-1"), "an operator's come from the config file");
    }

    private static ServiceRegistry registry()
    {
        return new ServiceRegistry(SystemNanoClock.INSTANCE, Runnable::run, LangUtil::rethrowUnchecked);
    }

    private static List<String> ids(final DaemonConfig config)
    {
        return config.registry().stream().map(DaemonConfig.InstanceConfig::id).toList();
    }
}
