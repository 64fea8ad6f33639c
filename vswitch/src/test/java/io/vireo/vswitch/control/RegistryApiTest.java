package io.vireo.vswitch.control;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import io.vireo.vswitch.registry.ServiceRegistry;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code /v1/registry} paths: answers, errors, what asks for a save, blocking queries. */
class RegistryApiTest
{
    private static final String WEB_1 = "{\"id\":\"web-1\",\"address\":\"10.0.0.5\",\"port\":80,\"leaseSeconds\":30}";

    private final CachedNanoClock clock = new CachedNanoClock();
    private final List<Throwable> errors = new ArrayList<>();
    private final ServiceRegistry registry = new ServiceRegistry(clock, Runnable::run, errors::add);
    private final AtomicInteger saves = new AtomicInteger();
    private Vireo vireo;
    private ControlApi api;

    @BeforeEach
    void setUp()
    {
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
        api = new ControlApi(vireo, registry, saves::incrementAndGet);
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
        assertEquals(List.of(), errors);
    }

    private static void assertAnswer(final int status, final String body, final ControlApi.Response response)
    {
        assertEquals(status, response.status(), response.body());
        assertTrue(response.body().contains(body), response.body());
    }

    @Test
    void instancesAreRegisteredListedRenewedAndDeregistered()
    {
        final String instance = "{\"service\":\"web\",\"id\":\"web-1\",\"address\":\"10.0.0.5\",\"port\":80," +
            "\"metadata\":{\"zone\":\"a\"},\"leaseSeconds\":30,\"owner\":null}";
        assertAnswer(201, instance, api.handle("POST", "/v1/registry/web",
            "{\"id\":\"web-1\",\"address\":\"10.0.0.5\",\"port\":80,\"metadata\":{\"zone\":\"a\"},\"leaseSeconds\":30}"));
        assertAnswer(201, "\"leaseSeconds\":30", api.handle("POST", "/v1/registry/api",
            "{\"id\":\"api-1\",\"address\":\"fd00::7\",\"port\":8080}"));
        assertAnswer(200, "{\"service\":\"web\",\"index\":1,\"instances\":[" + instance + "]}",
            api.handle("GET", "/v1/registry/web", null));
        assertAnswer(200, "{\"index\":2,\"services\":[{\"service\":\"api\",\"index\":2,",
            api.handle("GET", "/v1/registry", null));
        assertAnswer(200, instance, api.handle("GET", "/v1/registry/web/web-1", null));
        assertAnswer(200, "{\"service\":\"db\",\"index\":0,\"instances\":[]}", api.handle("GET", "/v1/registry/db", null));

        clock.advance(TimeUnit.SECONDS.toNanos(29));
        assertAnswer(200, instance, api.handle("PUT", "/v1/registry/web/web-1", null));
        clock.advance(TimeUnit.SECONDS.toNanos(29));
        assertAnswer(200, "\"instances\":[" + instance + "]", api.handle("GET", "/v1/registry/web", null));
        assertAnswer(200, "\"services\":[{\"service\":\"web\"", api.handle("GET", "/v1/registry", null));
        assertAnswer(404, "service api has no instance api-1 (its lease ran out, or it never registered): register it again",
            api.handle("PUT", "/v1/registry/api/api-1", null));
        assertAnswer(404, "service api has no instance api-1", api.handle("GET", "/v1/registry/api/api-1", null));

        assertAnswer(200, "{\"deleted\":\"web-1\"}", api.handle("DELETE", "/v1/registry/web/web-1", null));
        assertAnswer(404, "service web has no instance web-1", api.handle("DELETE", "/v1/registry/web/web-1", null));
        assertAnswer(200, "{\"index\":3,\"services\":[]}", api.handle("GET", "/v1/registry", null));
    }

    @Test
    void onlyInstancesWithNoLeaseAskForASave()
    {
        assertAnswer(201, "web-1", api.handle("POST", "/v1/registry/web", WEB_1));
        assertAnswer(200, "web-1", api.handle("PUT", "/v1/registry/web/web-1", null));
        assertAnswer(200, "web-1", api.handle("DELETE", "/v1/registry/web/web-1", null));
        assertEquals(0, saves.get(), "a leased instance is not saved: its registration, heartbeats and deregistration");

        final String permanent = WEB_1.replace("30", "0");
        assertAnswer(201, "\"leaseSeconds\":0", api.handle("POST", "/v1/registry/web", permanent));
        assertEquals(1, saves.get());
        assertAnswer(200, "web-1", api.handle("PUT", "/v1/registry/web/web-1", null));
        assertEquals(1, saves.get());
        assertAnswer(201, "\"leaseSeconds\":30", api.handle("POST", "/v1/registry/web", WEB_1));
        assertEquals(2, saves.get(), "replacing one with no lease");
        assertAnswer(201, "\"leaseSeconds\":0", api.handle("POST", "/v1/registry/web", permanent));
        assertAnswer(200, "web-1", api.handle("DELETE", "/v1/registry/web/web-1", null));
        assertEquals(4, saves.get(), "deregistering one");

        assertAnswer(400, "invalid", api.handle("POST", "/v1/registry/web", permanent.replace("80", "0")));
        assertAnswer(404, "no instance", api.handle("DELETE", "/v1/registry/web/web-1", null));
        assertAnswer(200, "instances", api.handle("GET", "/v1/registry/web", null));
        assertEquals(4, saves.get(), "reads and refusals");
    }

    @Test
    void badRequestsGetA4xxWithAMessage()
    {
        assertAnswer(400, "invalid service name 'Web': a DNS label", api.handle("POST", "/v1/registry/Web", WEB_1));
        assertAnswer(400, "invalid service name 'Web'", api.handle("GET", "/v1/registry/Web", null));
        assertAnswer(400, "invalid instance id 'a b'", api.handle("PUT", "/v1/registry/web/a b", null));
        assertAnswer(400, "unknown field 'lease'", api.handle("POST", "/v1/registry/web", WEB_1.replace("leaseSeconds", "lease")));
        assertAnswer(400, "missing field 'id'", api.handle("POST", "/v1/registry/web", "{\"address\":\"10.0.0.5\",\"port\":80}"));
        assertAnswer(400, "missing field 'address'", api.handle("POST", "/v1/registry/web", "{\"id\":\"a\",\"port\":80}"));
        assertAnswer(400, "missing field 'port'", api.handle("POST", "/v1/registry/web", "{\"id\":\"a\",\"address\":\"10.0.0.5\"}"));
        assertAnswer(400, "invalid address 'web.example'", api.handle("POST", "/v1/registry/web",
            WEB_1.replace("10.0.0.5", "web.example")));
        assertAnswer(400, "invalid lease 100000 s", api.handle("POST", "/v1/registry/web", WEB_1.replace("30", "100000")));
        assertAnswer(400, "malformed JSON", api.handle("POST", "/v1/registry/web", "{\"id\":"));
        assertAnswer(400, "malformed JSON", api.handle("POST", "/v1/registry/web", WEB_1.replace("80", "\"eighty\"")));
        assertAnswer(400, "request body is empty", api.handle("POST", "/v1/registry/web", null));
        assertAnswer(404, "no such path /v1/registry/", api.handle("GET", "/v1/registry/", null));
        assertAnswer(404, "no such path", api.handle("GET", "/v1/registry/web/", null));
        assertAnswer(404, "no such path", api.handle("GET", "/v1/registry/web/web-1/x", null));
        assertAnswer(405, "use GET", api.handle("POST", "/v1/registry", WEB_1));
        assertAnswer(405, "use POST", api.handle("DELETE", "/v1/registry/web", null));
        assertAnswer(405, "use DELETE", api.handle("POST", "/v1/registry/web/web-1", WEB_1));
        assertAnswer(200, "{\"index\":0,\"services\":[]}", api.handle("GET", "/v1/registry", null));
    }

    @Test
    void aBlockingQueryIsAnsweredWhenTheIndexPassesItsOwn() throws Exception
    {
        assertTrue(RegistryApi.isBlockingQuery("GET", "/v1/registry?index=0"));
        assertTrue(RegistryApi.isBlockingQuery("GET", "/v1/registry/web?index=0&wait=5"));
        assertFalse(RegistryApi.isBlockingQuery("GET", "/v1/registry/web"));
        assertFalse(RegistryApi.isBlockingQuery("GET", "/v1/registry/web?"));
        assertFalse(RegistryApi.isBlockingQuery("GET", "/v1/registry/web/web-1?index=0"));
        assertFalse(RegistryApi.isBlockingQuery("PUT", "/v1/registry/web?index=0"));
        assertFalse(RegistryApi.isBlockingQuery("GET", "/v1/bridges?index=0"));

        final CompletableFuture<ControlApi.Response> web = api.blockingQuery("/v1/registry/web?index=0&wait=300");
        final CompletableFuture<ControlApi.Response> any = api.blockingQuery("/v1/registry?index=0");
        assertFalse(web.isDone() || any.isDone());
        api.handle("POST", "/v1/registry/api", WEB_1.replace("web", "api"));
        assertFalse(web.isDone(), "another service");
        assertAnswer(200, "{\"index\":1,\"services\":[{\"service\":\"api\"", any.getNow(null));
        api.handle("POST", "/v1/registry/web", WEB_1);
        assertAnswer(200, "{\"service\":\"web\",\"index\":2,\"instances\":[{", web.getNow(null));
        assertAnswer(200, "\"index\":2", api.blockingQuery("/v1/registry/web?index=1").getNow(null)); // passed already

        final long start = System.nanoTime();
        final ControlApi.Response timedOut = api.blockingQuery("/v1/registry/web?index=2&wait=1").get(10, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start >= TimeUnit.SECONDS.toNanos(1), "answered when the wait is over");
        assertAnswer(200, "{\"service\":\"web\",\"index\":2,", timedOut);
    }

    @Test
    void aBadBlockingQueryIsAnsweredAtOnceWithA400()
    {
        assertBadQuery("a blocking query needs index=N", "/v1/registry/web?wait=5");
        assertBadQuery("index must be a whole number, not 'x'", "/v1/registry/web?index=x");
        assertBadQuery("index must be a whole number, not '-1'", "/v1/registry/web?index=-1");
        assertBadQuery("wait must be 1..300 seconds, not 0", "/v1/registry/web?index=1&wait=0");
        assertBadQuery("wait must be 1..300 seconds, not 301", "/v1/registry/web?index=1&wait=301");
        assertBadQuery("wait must be a whole number, not '5s'", "/v1/registry/web?index=1&wait=5s");
        assertBadQuery("give index=VALUE once", "/v1/registry/web?index=1&index=2");
        assertBadQuery("give index=VALUE once", "/v1/registry/web?index");
        assertBadQuery("unknown query parameter 'stale': a blocking query takes index and wait", "/v1/registry?index=1&stale");
        assertBadQuery("invalid service name 'Web'", "/v1/registry/Web?index=0");
    }

    private void assertBadQuery(final String message, final String uri)
    {
        assertTrue(RegistryApi.isBlockingQuery("GET", uri), uri);
        assertAnswer(400, message, api.blockingQuery(uri).getNow(null));
    }
}
