package io.vireo.vswitch.control;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.vswitch.core.BridgeInfo;
import io.vireo.vswitch.core.RouterInfo;
import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import io.vireo.vswitch.registry.ServiceRegistry;
import org.agrona.LangUtil;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Arbitrary requests into the control API over a switch in invoker mode with bridge br0 and loopback ports a
 * and b on it, and a registry whose clock stands still (no lease runs out while the input runs). The input is a
 * sequence of up to 32 records {@code [method, 1 byte][path length, 1 byte][path][body length, 2 bytes][body]}:
 * the method is GET, POST, PUT, PATCH, DELETE or HEAD by {@code method % 6}, path and body are UTF-8, an empty
 * body is none.
 * <p>
 * What would make the kernel make something is not sent, as the test cannot tell the kernel's refusals from
 * the API's: a POST of a port to a bridge there is (a TAP, a vhost-user socket or an AF_PACKET socket), of a
 * capture of a port there is (a file anywhere) or of a bridge with a VXLAN endpoint under a name not taken (a
 * UDP socket). The same requests to a bridge or port there is not, or that do not parse, are sent: they are
 * refused before the kernel is asked.
 * <p>
 * Every answer has status 200, 201 (to a POST only), 400, 404, 405 or 409, never 500; its body is JSON, and an
 * error's is {@code {"error": "..."}}, one line. A refused request and a GET leave what the API lists as it was:
 * bridges, ports, policies, routers with their routes, NAT, services and DNS, captures, the registry. After the
 * requests the switch still takes a bridge, a router on it, a service, and lists them.
 */
class ControlApiFuzzTest
{
    private static final String[] METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    private static final Set<Integer> STATUSES = Set.of(200, 201, 400, 404, 405, 409);
    private static final int MAX_REQUESTS = 32;
    private static final int RING_BYTES = 1 << 12;

    private Vireo vireo;
    private ControlApi api;

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void answersAreJsonWithAKnownStatusAndRefusalsChangeNothing(final byte[] input)
    {
        try (Vireo launched = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024)
            .connectionCapacity(1024).warmUpBursts(0)))
        {
            vireo = launched;
            api = new ControlApi(vireo, new ServiceRegistry(() -> 0L, Runnable::run, LangUtil::rethrowUnchecked), () -> { });
            vireo.addBridge("br0", null);
            vireo.addPort("br0", new LoopbackPort("a", RING_BYTES));
            vireo.addPort("br0", new LoopbackPort("b", RING_BYTES));
            int position = 0;
            for (int request = 0; request < MAX_REQUESTS && position + 2 <= input.length; request++)
            {
                final String method = METHODS[(input[position] & 0xFF) % METHODS.length];
                final int pathLength = Math.min(input[position + 1] & 0xFF, input.length - position - 2);
                final String path = text(input, position + 2, pathLength);
                position += 2 + pathLength;
                final int bodyLength = position + 2 > input.length ? 0 :
                    Math.min((input[position] & 0xFF) << 8 | input[position + 1] & 0xFF, input.length - position - 2);
                final String body = 0 == bodyLength ? null : text(input, position + 2, bodyLength);
                position += 2 + bodyLength;
                if (!makesKernelObject(method, path, body))
                {
                    send(method, path, body);
                }
            }
            stillTakesABridgeARouterAndAService();
        }
    }

    private void send(final String method, final String path, final String body)
    {
        final String before = listing();
        final ControlApi.Response response = api.handle(method, path, body);
        final String request = method + " " + path + " " + body + " -> " + response.status() + " " + response.body();
        assertTrue(STATUSES.contains(response.status()), request);
        assertTrue(201 != response.status() || "POST".equals(method), request);
        final JsonNode answer = json(response.body(), request);
        if (response.status() >= 400)
        {
            assertTrue(answer.isObject() && 1 == answer.size() && answer.path("error").isTextual(), request);
            final String error = answer.get("error").asText();
            assertTrue(error.indexOf('\n') < 0 && error.indexOf('\r') < 0, () -> "one line: " + request);
        }
        if (response.status() >= 400 || "GET".equals(method))
        {
            assertEquals(before, listing(), () -> "changed nothing: " + request);
        }
    }

    /**
     * A POST that would have the kernel make something if the API took it: a port on a bridge there is, a
     * capture of a port there is, a bridge with a VXLAN endpoint under a name not taken. The body is read as the
     * API reads it; one the API cannot read is refused before anything is made.
     */
    private boolean makesKernelObject(final String method, final String path, final String body)
    {
        final int query = path.indexOf('?');
        final String bare = query < 0 ? path : path.substring(0, query);
        if (!"POST".equals(method) || null == body || body.isBlank())
        {
            return false;
        }
        try
        {
            switch (bare)
            {
                case "/v1/ports":
                    final ControlApi.PortRequest port = ControlApi.JSON.readValue(body, ControlApi.PortRequest.class);
                    return null != port && vireo.bridges().stream().anyMatch(bridge -> bridge.name().equals(port.bridge()));
                case "/v1/captures":
                    final ControlApi.CaptureRequest capture = ControlApi.JSON.readValue(body, ControlApi.CaptureRequest.class);
                    return null != capture && vireo.ports().stream().anyMatch(info -> info.name().equals(capture.port()));
                case "/v1/bridges":
                    final ControlApi.BridgeRequest bridge = ControlApi.JSON.readValue(body, ControlApi.BridgeRequest.class);
                    return null != bridge && null != bridge.vxlan() &&
                        vireo.bridges().stream().noneMatch(info -> info.name().equals(bridge.name()));
                default:
                    return false;
            }
        }
        catch (final JsonProcessingException ex)
        {
            return false;
        }
    }

    /** What the API lists, as one JSON text. */
    private String listing()
    {
        final Map<String, Object> listing = new LinkedHashMap<>();
        listing.put("bridges", vireo.bridges());
        listing.put("ports", vireo.ports());
        listing.put("captures", vireo.captures());
        listing.put("routers", vireo.gateway().routers());
        for (final BridgeInfo bridge : vireo.bridges())
        {
            listing.put("policy of " + bridge.name(), List.of(vireo.defaultPolicy(bridge.name()), vireo.policies(bridge.name())));
        }
        for (final RouterInfo router : vireo.gateway().routers())
        {
            listing.put("router " + router.name(), List.of(vireo.gateway().routes(router.name()),
                vireo.gateway().nat(router.name()), vireo.gateway().services(router.name()),
                vireo.gateway().dns(router.name())));
        }
        listing.put("registry", api.handle("GET", "/v1/registry", null).body());
        try
        {
            return ControlApi.JSON.writeValueAsString(listing);
        }
        catch (final JsonProcessingException ex)
        {
            return fail("the listing is not JSON", ex);
        }
    }

    /** A bridge, a router on it with a service, whatever the fuzzed requests left; names they took are freed first. */
    private void stillTakesABridgeARouterAndAService()
    {
        expect(Set.of(200, 404), "DELETE", "/v1/routers/fuzz-r", null);
        expect(Set.of(200, 404), "DELETE", "/v1/bridges/fuzz-br", null);
        expect(Set.of(201), "POST", "/v1/bridges", "{\"name\":\"fuzz-br\"}");
        expect(Set.of(201), "POST", "/v1/routers", "{\"name\":\"fuzz-r\"}");
        expect(Set.of(201), "POST", "/v1/routers/fuzz-r/interfaces", "{\"bridge\":\"fuzz-br\",\"ip\":[\"10.250.0.1/24\"]}");
        expect(Set.of(201), "POST", "/v1/routers/fuzz-r/services",
            "{\"name\":\"web\",\"vip\":\"10.250.1.1:80\",\"backends\":[{\"address\":\"10.250.0.2:80\",\"weight\":1}]}");
        assertTrue(expect(Set.of(200), "GET", "/v1/bridges", null).contains("\"name\":\"fuzz-br\""));
        assertTrue(expect(Set.of(200), "GET", "/v1/routers/fuzz-r/services", null).contains("\"name\":\"web\""));
    }

    private String expect(final Set<Integer> statuses, final String method, final String path, final String body)
    {
        final ControlApi.Response response = api.handle(method, path, body);
        assertTrue(statuses.contains(response.status()), () -> method + " " + path + " -> " + response.status() + " " +
            response.body() + " after the fuzzed requests; routers " + vireo.gateway().routers());
        return response.body();
    }

    private static JsonNode json(final String body, final String request)
    {
        try
        {
            return ControlApi.JSON.readTree(body);
        }
        catch (final JsonProcessingException ex)
        {
            return fail("the body is not JSON: " + request, ex);
        }
    }

    private static String text(final byte[] input, final int from, final int length)
    {
        return new String(input, from, length, StandardCharsets.UTF_8);
    }
}
