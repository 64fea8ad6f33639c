package io.vireo.vswitch.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service registry of a real daemon, through its control socket: {@code vireoctl registry}, and HTTP as a
 * client library would speak it (blocking queries).
 */
class RegistryIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private Sandbox sandbox;
    private Daemon daemon;
    private Path socket;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        socket = daemon.runDir.resolve("vireo.sock");
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    /**
     * A client heartbeating every half second keeps its 3-second lease through three leases; once it stops, the
     * instance goes when its lease runs out (not before), and a blocking query hears of the eviction within a
     * second or two of it.
     */
    @Test
    void heartbeatsKeepAnInstanceAndOnceTheyStopItIsEvictedWhenItsLeaseRunsOut() throws Exception
    {
        final int lease = 3;
        daemon.ok("registry", "register", "web", "web-1", "--address", "10.0.0.5", "--port", "80", "--lease", "3",
            "--meta", "zone=a", "--meta", "version=2");
        daemon.ok("registry", "register", "web", "web-2", "--address", "FD00::5", "--port", "8080", "--lease", "0");
        final long index = listing("web").get("index").asLong();
        final String table = daemon.ok("registry", "list", "web").out();
        assertTrue(table.startsWith("SERVICE  ID     ADDRESS   PORT  LEASE(s)  OWNER  METADATA\n") &&
            table.contains("web      web-1  10.0.0.5  80    3         -      version=2,zone=a") &&
            table.contains("web-2  fd00::5   8080  none"), table);

        final long start = System.nanoTime();
        long lastHeartbeat;
        do
        {
            lastHeartbeat = System.nanoTime();
            assertTrue(daemon.ok("registry", "heartbeat", "web", "web-1").out().contains("renewed"));
            assertEquals(List.of("web-1", "web-2"), ids(listing("web")));
            Thread.sleep(500); // the client's heartbeat interval, a sixth of its lease
        }
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3 * lease));
        assertEquals(index, listing("web").get("index").asLong(), "heartbeats change nothing");

        final ControlApi.Response evicted = request("GET", "/v1/registry/web?index=" + index + "&wait=60");
        final long sinceHeartbeat = System.nanoTime() - lastHeartbeat;
        assertTrue(sinceHeartbeat >= TimeUnit.SECONDS.toNanos(lease), "not before the lease ran out: " + sinceHeartbeat);
        assertTrue(sinceHeartbeat < TimeUnit.SECONDS.toNanos(lease + 3), "evicted within a second of it: " + sinceHeartbeat);
        assertEquals(200, evicted.status(), evicted.body());
        assertEquals(List.of("web-2"), ids(JSON.readTree(evicted.body())));
        assertTrue(JSON.readTree(evicted.body()).get("index").asLong() > index);

        final Sandbox.Result late = daemon.ctl("registry", "heartbeat", "web", "web-1");
        assertEquals(1, late.exit());
        assertEquals("vireoctl: service web has no instance web-1 (its lease ran out, or it never registered): " +
            "register it again\n", late.err());
        daemon.ok("registry", "register", "web", "web-1", "--address", "10.0.0.5", "--port", "80");
        assertEquals(30, JSON.readTree(request("GET", "/v1/registry/web/web-1").body()).get("leaseSeconds").asInt(),
            "the default lease");
        daemon.ok("registry", "deregister", "web", "web-2");
        assertEquals(List.of("web-1"), ids(listing("web")));
    }

    /**
     * A blocking query waits on the daemon without holding it up, and is answered by a change of its service (not
     * of another, nor a heartbeat), or with what is there when its wait is over.
     */
    @Test
    void aBlockingQueryIsAnsweredOnAChangeOrWhenItsWaitIsOver() throws Exception
    {
        daemon.ok("registry", "register", "web", "web-1", "--address", "10.0.0.5", "--port", "80");
        assertEquals(0, listing("api").get("index").asLong(), "a service never registered");
        final CompletableFuture<ControlApi.Response> api =
            CompletableFuture.supplyAsync(() -> request("GET", "/v1/registry/api?index=0&wait=60"));
        final CompletableFuture<ControlApi.Response> any =
            CompletableFuture.supplyAsync(() -> request("GET", "/v1/registry?index=1&wait=60"));
        daemon.ok("registry", "heartbeat", "web", "web-1");
        assertEquals(List.of("br0"), daemon.bridges(), "the daemon answers while they wait");
        daemon.ok("registry", "register", "db", "db-1", "--address", "10.0.0.6", "--port", "5432");
        daemon.ok("registry", "register", "api", "api-1", "--address", "10.0.0.7", "--port", "8080");

        final JsonNode apiAnswer = JSON.readTree(api.get(30, TimeUnit.SECONDS).body());
        assertEquals(List.of("api-1"), ids(apiAnswer), "answered by api's change: " + apiAnswer);
        assertEquals(3, apiAnswer.get("index").asLong());
        final JsonNode anyAnswer = JSON.readTree(any.get(30, TimeUnit.SECONDS).body());
        assertTrue(anyAnswer.get("index").asLong() >= 2, anyAnswer::toString);

        final long start = System.nanoTime();
        final ControlApi.Response unchanged = request("GET", "/v1/registry/api?index=3&wait=2");
        final long waited = System.nanoTime() - start;
        assertTrue(waited >= TimeUnit.SECONDS.toNanos(2) && waited < TimeUnit.SECONDS.toNanos(10), "waited " + waited);
        assertEquals(200, unchanged.status());
        assertEquals(apiAnswer, JSON.readTree(unchanged.body()), "what is there when the wait is over");
    }

    @Test
    void badRequestsGetOneClearLine()
    {
        assertRefused(400, "a blocking query needs index=N", "GET", "/v1/registry/web?wait=5", null);
        assertRefused(400, "wait must be 1..300 seconds, not 301", "GET", "/v1/registry/web?index=0&wait=301", null);
        assertRefused(400, "unknown query parameter 'near'", "GET", "/v1/registry?index=0&near=1", null);
        assertRefused(400, "invalid service name 'Web'", "GET", "/v1/registry/Web", null);
        assertRefused(400, "unknown field 'ttl'", "POST", "/v1/registry/web",
            "{\"id\":\"a\",\"address\":\"10.0.0.5\",\"port\":80,\"ttl\":5}");
        assertRefused(404, "service web has no instance a", "DELETE", "/v1/registry/web/a", null);
        assertRefused(404, "no such path", "GET", "/v1/registry/web/a/b", null);
        assertRefused(405, "use GET", "DELETE", "/v1/registry", null);

        final List<String[]> wrong = List.of(
            new String[] {"invalid service name 'Web'", "Web", "x", "--address", "10.0.0.5", "--port", "80"},
            new String[] {"invalid address 'web.example'", "web", "x", "--address", "web.example", "--port", "80"},
            new String[] {"invalid port 0", "web", "x", "--address", "10.0.0.5", "--port", "0"},
            new String[] {"invalid lease 86401 s", "web", "x", "--address", "10.0.0.5", "--port", "80", "--lease", "86401"},
            new String[] {"invalid metadata key 'a b'", "web", "x", "--address", "10.0.0.5", "--port", "80", "--meta", "a b=c"});
        for (final String[] args : wrong)
        {
            final List<String> command = new ArrayList<>(List.of("registry", "register"));
            command.addAll(List.of(args).subList(1, args.length));
            final Sandbox.Result result = daemon.ctl(command.toArray(String[]::new));
            assertEquals(1, result.exit(), result::all);
            assertTrue(result.err().startsWith("vireoctl: " + args[0]) && 1 == result.err().lines().count(), result::all);
        }
        assertFalse(daemon.ok("registry", "list").out().contains("10.0.0.5"), "nothing refused was registered");
    }

    private void assertRefused(final int status, final String message, final String method, final String path,
        final String body)
    {
        final ControlApi.Response response = request(method, path, body);
        assertEquals(status, response.status(), response.body());
        assertTrue(response.body().startsWith("{\"error\":\"") && response.body().contains(message), response.body());
    }

    private ControlApi.Response request(final String method, final String path)
    {
        return request(method, path, null);
    }

    private ControlApi.Response request(final String method, final String path, final String body)
    {
        return ControlClient.request(socket, method, path, body);
    }

    private JsonNode listing(final String service) throws Exception
    {
        return JSON.readTree(daemon.ok("registry", "list", service, "--json").out());
    }

    private static List<String> ids(final JsonNode listing)
    {
        final List<String> ids = new ArrayList<>();
        listing.get("instances").forEach(instance -> ids.add(instance.get("id").asText()));
        return ids;
    }
}
