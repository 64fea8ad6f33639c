package io.vireo.vswitch.control;

import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control API's routing, validation and error answers, over an invoker-mode switch. */
class ControlApiTest
{
    private Vireo vireo;
    private ControlApi api;

    @BeforeEach
    void setUp()
    {
        vireo = Vireo.launch(
            new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024).connectionCapacity(64));
        api = new ControlApi(vireo);
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    private void assertAnswer(final int status, final String bodyPart, final ControlApi.Response response)
    {
        assertEquals(status, response.status(), response.body());
        assertTrue(response.body().contains(bodyPart), response.body());
    }

    @Test
    void bridgesAreCreatedListedAndDeleted()
    {
        assertAnswer(201, "\"name\":\"br0\"", api.handle("POST", "/v1/bridges", "{\"name\":\"br0\",\"agingSeconds\":30}"));
        assertAnswer(200, "\"agingSeconds\":30", api.handle("GET", "/v1/bridges", null));
        assertAnswer(200, "\"entries\":[]", api.handle("GET", "/v1/fdb/br0", null));
        assertAnswer(200, "\"ports\":[]", api.handle("GET", "/v1/stats", null));
        assertAnswer(200, "deleted", api.handle("DELETE", "/v1/bridges/br0", null));
        assertAnswer(200, "[]", api.handle("GET", "/v1/bridges", null));
    }

    @Test
    void connectionsAreListedAPageAtATimeAndABadPageIsRefused()
    {
        assertAnswer(201, "\"name\":\"r1\"", api.handle("POST", "/v1/routers", "{\"name\":\"r1\"}"));
        final String empty = "{\"router\":\"r1\",\"connections\":[]}";
        for (final String query : new String[] {"", "?", "?from=0", "?limit=1", "?from=64&limit=1000000", "?limit=7&from=3"})
        {
            // No connections: one page, with no next.
            assertAnswer(200, empty, api.handle("GET", "/v1/routers/r1/conntrack" + query, null));
        }
        for (final String[] refused : new String[][] {
            {"?limit=0", "limit must be 1..1000000, not 0"},
            {"?limit=1000001", "limit must be 1..1000000, not 1000001"},
            {"?limit=", "limit must be a whole number, not ''"},
            {"?from=-1", "from must be a whole number, not '-1'"},
            {"?from=65", "a page of connections starts at 0..64 (the last page's next), not 65"},
            {"?from=2147483648", "from must be the last page's next, not 2147483648"},
            {"?from=1&from=2", "give from=VALUE once"},
            {"?limit", "give limit=VALUE once"},
            {"?colour=red", "unknown query parameter 'colour': a listing of connections takes from and limit"}})
        {
            assertAnswer(400, refused[1], api.handle("GET", "/v1/routers/r1/conntrack" + refused[0], null));
        }
        assertAnswer(404, "no router nope", api.handle("GET", "/v1/routers/nope/conntrack?limit=1", null));
    }

    @Test
    void badRequestsGetA4xxWithAMessage()
    {
        assertAnswer(400, "malformed JSON", api.handle("POST", "/v1/bridges", "{\"name\":"));
        assertAnswer(400, "malformed JSON", api.handle("POST", "/v1/bridges", "{\"name\":\"a\"} trailing"));
        assertAnswer(400, "unknown field 'colour'", api.handle("POST", "/v1/bridges", "{\"name\":\"br0\",\"colour\":1}"));
        assertAnswer(400, "missing field 'name'", api.handle("POST", "/v1/bridges", "{}"));
        assertAnswer(400, "request body is empty", api.handle("POST", "/v1/bridges", ""));
        assertAnswer(400, "malformed JSON", api.handle("POST", "/v1/bridges", "[1,2]"));
        assertAnswer(400, "unsupported port type", api.handle("POST", "/v1/ports",
            "{\"bridge\":\"br0\",\"name\":\"t\",\"type\":\"vxlan\"}"));
        assertAnswer(404, "no bridge named br0", api.handle("POST", "/v1/ports", "{\"bridge\":\"br0\",\"name\":\"t\"}"));
        assertAnswer(404, "no such path", api.handle("GET", "/v2/bridges", null));
        assertAnswer(404, "no such path", api.handle("GET", "/v1/bridges/a/b", null));
        assertAnswer(404, "no such path", api.handle("GET", "/", null));
        assertAnswer(405, "use GET", api.handle("PUT", "/v1/stats", null));
        assertAnswer(405, "use DELETE", api.handle("POST", "/v1/bridges/br0", "{}"));
        assertAnswer(404, "no port named x", api.handle("DELETE", "/v1/ports/x", null));
        assertAnswer(200, "[]", api.handle("GET", "/v1/bridges", null));
    }
}
