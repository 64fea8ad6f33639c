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
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
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
