package io.vireo.vswitch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real daemon started by {@code scripts/vireod}, driven by {@code vireoctl}. */
class DaemonIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

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
    void theCliDrivesTheDaemonEndToEnd() throws Exception
    {
        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"), Daemon.FULL_WARM_UP);
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String tapA = sandbox.ifname("tA");
        final String tapB = sandbox.ifname("tB");

        assertEquals("br0", json(daemon.ok("bridge", "list", "--json")).get(0).get("name").asText(), "embedded default");
        daemon.ok("port", "add", "br0", tapA, "--type", "tap", "--netns", nsA, "--ip", "10.98.0.1/24",
            "--mac", "02:98:00:00:00:0a", "--mtu", "1400");
        daemon.ok("port", "add", "br0", tapB, "--netns", "/run/netns/" + nsB, "--ip", "10.98.0.2/24"); // by path, as CNI gives it
        assertTrue(check(sandbox.inNetns(nsA, "ip", "link", "show", "dev", tapA)).out().contains("mtu 1400"));
        check(sandbox.inNetns(nsA, "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.98.0.2"));
        check(sandbox.inNetns(nsB, "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.98.0.1"));

        final String fdb = daemon.ok("fdb", "show", "br0").out();
        assertTrue(fdb.contains("02:98:00:00:00:0a") && fdb.contains(tapA), fdb);
        assertEquals(2, json(daemon.ok("fdb", "show", "br0", "--json")).get("entries").size());

        final JsonNode ports = json(daemon.ok("port", "list", "--json"));
        assertEquals(tapA, ports.get(0).get("name").asText());
        assertEquals(nsA, ports.get(0).get("netns").asText());
        assertTrue(ports.get(0).get("stats").get("rxPackets").asLong() >= 4);
        assertTrue(daemon.ok("port", "list").out().contains(tapB));

        final JsonNode stats = json(daemon.ok("stats", "--json"));
        final JsonNode portStats = stats.get("ports");
        assertEquals(tapA, portStats.get(0).get("port").asText());
        assertTrue(portStats.get(0).get("rx_packets").asLong() >= 4, portStats::toString);
        TapForwardingIT.waitFor(() -> json(daemon.ok("stats", "--json")).get("threads").get(0).get("rx_frames").asLong() >= 8,
            "the forwarding thread's counters are published");
        assertEquals("vireo-forwarding-0", stats.get("threads").get(0).get("thread").asText());
        assertTrue(stats.get("threads").get(0).has("flow_cache_hits") && stats.get("threads").get(0).has("flow_cache_misses"));
        TapForwardingIT.waitFor(() -> json(daemon.ok("stats", "--json")).get("fdb").get("fdb_entries").asLong() == 2,
            "the FDB size is in the counters file");
        assertTrue(json(daemon.ok("stats", "--json")).get("fdb").get("fdb_capacity").asLong() > 0);
        final String screen = daemon.ok("stats").out();
        assertTrue(screen.contains(tapB) && screen.contains("FRAMES/BURST") && screen.contains("FLOW_CACHE_HIT%") &&
            screen.contains("FDB: 2 entries of "), screen);
        // Redraws counted, not a fixed 4 s from the start: a vireoctl call took 2.3-3.8 s here at load 6, mostly its JVM's start.
        final Path watchLog = sandbox.tempFile(".watch");
        final Process watch = sandbox.start(watchLog, Daemon.ROOT.resolve("scripts/vireoctl").toString(),
            "--run-dir", daemon.runDir.toString(), "stats", "--watch", "--interval", "0.5");
        TapForwardingIT.waitFor(() -> Sandbox.readUtf8(watchLog).split("FRAMES/BURST", -1).length > 4, "--watch redraws", 60);
        assertTrue(watch.isAlive(), "--watch runs until stopped: " + Sandbox.readUtf8(watchLog));
        Sandbox.stop(watch);

        daemon.ok("bridge", "add", "br1", "--aging", "60");
        assertEquals(60, json(daemon.ok("bridge", "list", "--json")).get(1).get("agingSeconds").asInt());
        daemon.ok("bridge", "del", "br1");
        daemon.ok("port", "del", tapB);
        assertNotEquals(0, sandbox.inNetns(nsB, "ip", "link", "show", "dev", tapB).exit(), "the TAP is gone");
        assertEquals(1, json(daemon.ok("port", "list", "--json")).size());
        assertEquals(0, daemon.terminate());
    }

    @Test
    void badInputGetsOneClearLineAndChangesNothing() throws Exception
    {
        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        final String ns = sandbox.namespace("a");
        final String tap = sandbox.ifname("tA");
        daemon.ok("port", "add", "br0", tap, "--netns", ns);
        final String portsBefore = daemon.ok("port", "list", "--json").out();
        final String bridgesBefore = daemon.ok("bridge", "list", "--json").out();

        final List<List<String>> bad = List.of(
            List.of("port", "add", "nope", sandbox.ifname("x"), "--netns", ns),
            List.of("port", "add", "br0", tap),
            List.of("bridge", "add", "br0"),
            List.of("bridge", "add", "bad/name"),
            List.of("port", "add", "br0", sandbox.ifname("x"), "--mac", "02:00:00:00:00"),
            List.of("port", "add", "br0", sandbox.ifname("x"), "--mac", "ff:ff:ff:ff:ff:ff"),
            List.of("port", "add", "br0", sandbox.ifname("x"), "--ip", "10.0.0.1/33"),
            List.of("port", "add", "br0", sandbox.ifname("x"), "--ip", "not-an-ip/24"),
            List.of("port", "add", "br0", "sixteen-chars-xx"),
            List.of("port", "add", "br0", sandbox.ifname("x"), "--netns", sandbox.prefix + "-missing"),
            List.of("port", "add", "br0", sandbox.ifname("x"), "--mtu", "10"),
            List.of("port", "add", "br0", sandbox.ifname("x"), "--type", "bogus"),
            List.of("port", "add", "br0", "lo"),
            List.of("port", "del", "nope"),
            List.of("bridge", "del", "nope"),
            List.of("fdb", "show", "nope"));
        for (final List<String> args : bad)
        {
            final Sandbox.Result result = daemon.ctl(args.toArray(String[]::new));
            assertNotEquals(0, result.exit(), () -> args + " succeeded: " + result.all());
            assertTrue(result.err().startsWith("vireoctl: ") && result.err().strip().lines().count() == 1,
                () -> args + " should print one line: " + result.err());
            assertEquals("", result.out(), args::toString);
        }
        assertEquals(portsBefore, daemon.ok("port", "list", "--json").out());
        assertEquals(bridgesBefore, daemon.ok("bridge", "list", "--json").out());
        assertFalse(Files.exists(Path.of("/sys/class/net", sandbox.ifname("x"))), "no interface left behind");
        assertEquals(0, daemon.terminate());
    }

    @Test
    void twoDaemonsWithDifferentRunDirsRunAtOnceButNotTwoOnOne() throws Exception
    {
        final Daemon first = Daemon.start(sandbox, sandbox.tempDir("run1"));
        final Daemon second = Daemon.start(sandbox, sandbox.tempDir("run2"));
        first.ok("bridge", "add", "only-in-first");
        assertEquals(1, json(second.ok("bridge", "list", "--json")).size());
        assertEquals(2, json(first.ok("bridge", "list", "--json")).size());

        final Sandbox.Result third = sandbox.run(120, Daemon.ROOT.resolve("scripts/vireod").toString(),
            "--run-dir", first.runDir.toString());
        assertEquals(1, third.exit());
        assertTrue(third.err().contains("another vireod is running"), third.all());
        first.ok("bridge", "list");
        assertEquals(0, first.terminate());
        assertEquals(0, second.terminate());
    }

    /**
     * {@code --warm-up 0}: the daemon starts with no warm-up and forwards, its first frames through code the JIT has
     * not compiled yet; a negative count is refused in one line.
     */
    @Test
    void aDaemonWithNoWarmUpForwardsAndANegativeWarmUpIsRefused() throws Exception
    {
        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"), "--warm-up", "0");
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        daemon.ok("port", "add", "br0", sandbox.ifname("tA"), "--netns", nsA, "--ip", "10.94.1.1/24");
        daemon.ok("port", "add", "br0", sandbox.ifname("tB"), "--netns", nsB, "--ip", "10.94.1.2/24");
        check(sandbox.inNetns(nsA, "ping", "-c", "3", "-i", "0.2", "-W", "3", "10.94.1.2"));
        assertEquals(0, daemon.terminate());
        Daemon.refusesToStart(sandbox, "warm-up bursts must be 0 or more, got -1", "--warm-up", "-1");
    }

    @Test
    void withoutAPortKeeperSigtermRemovesTheInterfacesTheDaemonCreatedAndExitsZero() throws Exception
    {
        final Path runDir = sandbox.tempDir("run");
        final Daemon daemon = Daemon.start(sandbox, runDir, "--no-port-keeper");
        final String ns = sandbox.namespace("a");
        final String inNamespace = sandbox.ifname("tA");
        final String inRoot = sandbox.ifname("tR");
        daemon.ok("port", "add", "br0", inNamespace, "--netns", ns, "--ip", "10.97.0.1/24");
        daemon.ok("port", "add", "br0", inRoot);
        assertTrue(Files.exists(Path.of("/sys/class/net", inRoot)));

        assertEquals(0, daemon.terminate());

        assertTrue(daemon.output().contains("vireod: stopped"), daemon.output());
        assertFalse(Files.exists(Path.of("/sys/class/net", inRoot)));
        assertNotEquals(0, sandbox.inNetns(ns, "ip", "link", "show", "dev", inNamespace).exit());
        assertFalse(Files.exists(runDir.resolve("vireo.sock")));
        assertFalse(Files.exists(runDir.resolve("counters.dat")));
        assertFalse(Files.exists(runDir.resolve("keeper.sock")), "no port keeper was started");
    }

    @Test
    void aConfigFileBuildsTheSwitchAndABadOneIsRefused() throws Exception
    {
        final String ns = sandbox.namespace("a");
        final String tap = sandbox.ifname("tA");
        final Path config = sandbox.tempFile(".yaml");
        Files.writeString(config, String.join("\n",
            "agingSeconds: 120",
            "bridges:",
            "  - name: lan",
            "    ports:",
            "      - name: " + tap,
            "        netns: " + ns,
            "        ip: 10.96.0.1/24",
            "  - name: dmz",
            "    agingSeconds: 30",
            ""));
        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"), "--config", config.toString());
        final JsonNode bridges = json(daemon.ok("bridge", "list", "--json"));
        assertEquals("lan", bridges.get(0).get("name").asText());
        assertEquals(120, bridges.get(0).get("agingSeconds").asInt());
        assertEquals(30, bridges.get(1).get("agingSeconds").asInt());
        assertTrue(check(sandbox.inNetns(ns, "ip", "addr", "show", "dev", tap)).out().contains("10.96.0.1/24"));
        assertEquals(0, daemon.terminate());

        Files.writeString(config, "bridges:\n  - name: lan\n    colour: blue\n");
        final Sandbox.Result refused = sandbox.run(120, Daemon.ROOT.resolve("scripts/vireod").toString(),
            "--run-dir", sandbox.tempDir("run").toString(), "--config", config.toString());
        assertEquals(1, refused.exit());
        assertTrue(refused.err().startsWith("vireod: cannot read config") && refused.err().contains("colour"), refused.all());
    }

    @Test
    void aNonRootUserGetsAClearError() throws Exception
    {
        final Path runDir = sandbox.tempDir("run");
        final Daemon daemon = Daemon.start(sandbox, runDir);
        check(sandbox.run("chmod", "755", runDir.toString()));

        final Sandbox.Result ctl = sandbox.run(120, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
            Daemon.ROOT.resolve("scripts/vireoctl").toString(), "--run-dir", runDir.toString(), "bridge", "list");
        assertEquals(1, ctl.exit(), ctl::all);
        assertTrue(ctl.err().startsWith("vireoctl: permission denied on "), ctl.all());

        final Sandbox.Result vireod = sandbox.run(120, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
            Daemon.ROOT.resolve("scripts/vireod").toString(), "--run-dir", "/tmp/" + sandbox.prefix + "-nonroot");
        assertEquals(1, vireod.exit(), vireod::all);
        assertTrue(vireod.err().startsWith("vireod: must run as root"), vireod.all());
        assertEquals(0, daemon.terminate());
    }

    private static JsonNode json(final Sandbox.Result result) throws Exception
    {
        return JSON.readTree(result.out());
    }
}
