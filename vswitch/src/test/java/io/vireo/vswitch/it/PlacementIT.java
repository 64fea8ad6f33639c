package io.vireo.vswitch.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.ThreadInfo;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import io.vireo.vswitch.core.VireoException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forwarding threads pinned to CPUs ({@code vireod --cpus}) and ports with one queue placed on a thread
 * ({@code port add --thread}, {@code port set --thread}): the kernel's view of each thread's CPUs, the
 * {@code threads} view, the config file across a restart, refused requests, and a port moved back and forth
 * between threads under traffic without losing a frame.
 */
class PlacementIT
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
    void threadsArePinnedAndPortsPlacedFromTheCliAndKeptAcrossARestart() throws Exception
    {
        final Path runDir = sandbox.tempDir("run");
        final Path config = sandbox.tempDir("etc").resolve("switch.yaml");
        final Path sockets = sandbox.tempDir("sock");
        final String ns = sandbox.namespace("a");
        final String tap = sandbox.ifname("tA");
        Daemon daemon = Daemon.start(sandbox, runDir, "--threads", "2", "--cpus", "1,0", "--config", config.toString());

        JsonNode threads = threads(daemon);
        assertEquals(2, threads.size());
        for (int i = 0; i < 2; i++)
        {
            final int cpu = 1 - i;
            assertEquals(cpu, threads.get(i).get("cpu").asInt());
            final String tid = threads.get(i).get("threadId").asText();
            assertEquals(Integer.toString(cpu), cpusAllowed(tid), "the kernel runs thread " + i + " on CPU " + cpu + " only");
            assertTrue(threads.get(i).get("allocatedBytes").isNumber(), "thread " + i + " reports its allocated bytes");
        }
        assertTrue(daemon.ok("threads").out().matches("(?s)THREAD +NAME +CPU +TID +ALLOCATED +PORTS\n0 +vireo-forwarding-0 +1 .*"),
            () -> daemon.ctl("threads").out());

        daemon.ok("port", "add", "br0", "vm1", "--type", "vhost-user", "--socket", sockets.resolve("vm1.sock").toString(),
            "--thread", "1");
        daemon.ok("port", "add", "br0", tap, "--netns", ns, "--ip", "10.94.0.1/24");
        threads = threads(daemon);
        assertEquals(List.of(tap), ports(threads.get(0)), "a multi-queue TAP is polled by every thread, vm1 by thread 1 only");
        final List<String> both = List.of("vm1", tap); // sorted: "vm1" < "vt..."
        assertEquals(both, ports(threads.get(1)));

        daemon.ok("port", "set", "vm1", "--thread", "0");
        threads = threads(daemon);
        assertEquals(both, ports(threads.get(0)));
        assertEquals(List.of(tap), ports(threads.get(1)));
        assertEquals(0, JSON.readTree(daemon.ok("port", "list", "--json").out()).get(0).get("thread").asInt());
        assertEquals(0, savedPort(config, "vm1").get("thread").asInt(), "the placement is saved");

        refused(daemon, "thread must be 0..1: 2", "port", "set", "vm1", "--thread", "2");
        refused(daemon, "port " + tap + " has a queue per forwarding thread", "port", "set", tap, "--thread", "1");
        refused(daemon, "no port named nosuch", "port", "set", "nosuch", "--thread", "0");
        refused(daemon, "thread must be 0..1: 7", "port", "add", "br0", "vm2", "--type", "vhost-user",
            "--socket", sockets.resolve("vm2.sock").toString(), "--thread", "7");
        assertEquals(both, names(JSON.readTree(daemon.ok("port", "list", "--json").out())),
            "a refused port add leaves no port behind");
        assertTrue(ports(threads(daemon).get(0)).contains("vm1"), "a refused move leaves the port where it was");

        assertEquals(0, daemon.terminate());
        final Daemon restarted = Daemon.start(sandbox, runDir, "--threads", "2", "--cpus", "0,1", "--config", config.toString());
        threads = threads(restarted);
        assertEquals(both, ports(threads.get(0)), "vm1 comes back on the thread it was put on");
        assertEquals(0, threads.get(0).get("cpu").asInt());
        assertEquals("0", cpusAllowed(threads.get(0).get("threadId").asText()));
        assertEquals(0, restarted.terminate());
    }

    @Test
    void badCpuListsStopTheDaemonWithOneLine() throws Exception
    {
        Daemon.refusesToStart(sandbox, "give one CPU per forwarding thread: 2 thread(s), 1 CPU(s)", "--threads", "2", "--cpus", "0");
        Daemon.refusesToStart(sandbox, "CPU 0 appears twice in '0,0'", "--threads", "2", "--cpus", "0,0");
        Daemon.refusesToStart(sandbox, "CPU range '1-0' runs backwards", "--cpus", "1-0");
        Daemon.refusesToStart(sandbox, "bad CPU 'x' in 'x'", "--cpus", "x");
        final int outside = Runtime.getRuntime().availableProcessors() + 8;
        Daemon.refusesToStart(sandbox, "CPU " + outside + " is not one this process may run on", "--cpus", Integer.toString(outside));
    }

    @Test
    void aPortMovedBetweenThreadsUnderTrafficLosesNoFrame() throws Exception
    {
        final String ns = sandbox.namespace("a");
        try (Vireo vireo = Vireo.launch(new VireoContext().forwardingThreads(2)))
        {
            vireo.addBridge("br0", null);
            vireo.addTapPort("br0", new TapPortSpec(sandbox.ifname("tA"), ns, "10.94.1.1/24", null, null, null));
            final Path socket = sandbox.tempDir("vhost").resolve("v.sock");
            vireo.addVhostUserPort("br0", "v", socket, false);
            VhostUserIT.icmpEchoFrontend(sandbox, socket, false);
            TapForwardingIT.waitFor(() -> 0 == sandbox.inNetns(ns, "ping", "-c", "1", "-W", "1", "10.94.1.77").exit(),
                "testpmd answers ping through the switch");

            final Path pingLog = sandbox.tempFile(".ping");
            final Process ping = sandbox.start(pingLog, "ip", "netns", "exec", ns, "ping", "-c", "400", "-i", "0.005", "-W", "2",
                "10.94.1.77");
            int moves = 0;
            while (ping.isAlive())
            {
                final int thread = ++moves % 2;
                assertEquals(thread, vireo.movePort("v", thread).thread());
                assertEquals(List.of("v"), vireo.threads().get(thread).ports().stream().filter("v"::equals).toList());
                assertTrue(vireo.threads().get(1 - thread).ports().stream().noneMatch("v"::equals),
                    "one thread receives from the port at a time");
                Thread.sleep(20);
            }
            final String out = Files.readString(pingLog);
            assertTrue(moves >= 20, "the port moved " + moves + " times during the pings");
            final Matcher summary = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(out);
            assertTrue(summary.find(), out);
            final String lost = "replies lost while the port moved " + moves + " times:\n" + out;
            assertEquals("400", summary.group(2), lost);

            final ThreadInfo first = vireo.threads().get(0);
            assertEquals("vireo-forwarding-0", first.name());
            assertEquals(null, first.cpu(), "not pinned");
            assertThrows(VireoException.class, () -> vireo.movePort(sandbox.ifname("tA"), 0));
        }
    }

    private static void refused(final Daemon daemon, final String message, final String... args)
    {
        final Sandbox.Result result = daemon.ctl(args);
        assertEquals(1, result.exit(), result::all);
        assertTrue(result.err().contains(message), () -> "wanted '" + message + "': " + result.all());
    }

    private static JsonNode threads(final Daemon daemon) throws IOException
    {
        return JSON.readTree(daemon.ok("threads", "--json").out());
    }

    private static List<String> ports(final JsonNode thread)
    {
        final List<String> ports = new ArrayList<>();
        thread.get("ports").forEach(port -> ports.add(port.asText()));
        return ports;
    }

    private static List<String> names(final JsonNode nodes)
    {
        final List<String> names = new ArrayList<>();
        nodes.forEach(node -> names.add(node.get("name").asText()));
        return names;
    }

    private static JsonNode savedPort(final Path config, final String name) throws IOException
    {
        for (final JsonNode port : YAML.readTree(config.toFile()).get("bridges").get(0).get("ports"))
        {
            if (name.equals(port.get("name").asText()))
            {
                return port;
            }
        }
        throw new AssertionError("port " + name + " is not in " + Files.readString(config));
    }

    /** The CPUs the kernel lets a thread run on, from {@code /proc/TID/status}. */
    private static String cpusAllowed(final String tid) throws IOException
    {
        return Files.readAllLines(Path.of("/proc", tid, "status")).stream()
            .filter(line -> line.startsWith("Cpus_allowed_list:"))
            .map(line -> line.substring(line.indexOf(':') + 1).strip())
            .findFirst()
            .orElseThrow();
    }
}
