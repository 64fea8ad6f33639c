package io.vireo.vswitch.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.core.BridgeInfo;
import io.vireo.vswitch.core.RouterInfo;
import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Arbitrary libnetwork calls into the Docker driver, over the control API of an invoker-mode switch with
 * bridge br0, its state kept in a file. The input is a sequence of up to 32 records
 * {@code [call, 1 byte][body length, 2 bytes][body]}: a POST to one of the driver's paths, or to one it does not
 * implement, by {@code call % 14}, with the body as UTF-8, an empty one none. The control channel refuses TAP
 * ports (a POST to /v1/ports, which only Join makes) as a kernel that cannot make one would, with a 500: no
 * TAP is made.
 * <p>
 * Nothing escapes the driver. Every answer is a JSON object: with status 200 an answer without {@code Err};
 * with 400, 404 or 500 {@code {"Err": "..."}} and nothing else. After every call the saved state agrees with
 * the switch: each network's bridge is there, with an interface of the network's router on it if it has one,
 * and each endpoint's network is a network of the state. After the calls a driver restarted from the file
 * still creates a network and an endpoint, describes the endpoint, and deletes both.
 */
class DockerDriverFuzzTest
{
    private static final String[] PATHS = {"/Plugin.Activate", "/NetworkDriver.GetCapabilities",
        "/NetworkDriver.CreateNetwork", "/NetworkDriver.DeleteNetwork", "/NetworkDriver.CreateEndpoint",
        "/NetworkDriver.EndpointOperInfo", "/NetworkDriver.DeleteEndpoint", "/NetworkDriver.Join", "/NetworkDriver.Leave",
        "/NetworkDriver.ProgramExternalConnectivity", "/NetworkDriver.RevokeExternalConnectivity",
        "/NetworkDriver.DiscoverNew", "/NetworkDriver.DiscoverDelete", "/NetworkDriver.AllocateNetwork"};
    private static final Set<Integer> STATUSES = Set.of(200, 400, 404, 500);
    private static final int MAX_CALLS = 32;
    private static final String NETWORK_ID = "f".repeat(64);
    private static final String ENDPOINT_ID = "e".repeat(64);
    private static final ObjectMapper JSON = new ObjectMapper();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void answersAreJsonAndTheStateAgreesWithTheSwitch(final byte[] input) throws IOException
    {
        final Path dir = Files.createTempDirectory("vireo-docker-fuzz");
        final Path file = dir.resolve("state.json");
        try (Vireo vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024)
            .connectionCapacity(1024).warmUpBursts(0)))
        {
            vireo.addBridge("br0", null);
            final ControlApi api = new ControlApi(vireo);
            final NetworkDriver driver = new NetworkDriver((method, path, body) ->
                "POST".equals(method) && "/v1/ports".equals(path) ? ControlApi.error(500, "this test makes no TAPs") :
                    api.handle(method, path, body), DriverState.load(file));
            int position = 0;
            for (int call = 0; call < MAX_CALLS && position < input.length; call++)
            {
                final String path = PATHS[(input[position] & 0xFF) % PATHS.length];
                final int length = position + 3 > input.length ? 0 :
                    Math.min((input[position + 1] & 0xFF) << 8 | input[position + 2] & 0xFF, input.length - position - 3);
                final String body = 0 == length ? null : new String(input, position + 3, length, StandardCharsets.UTF_8);
                position += 3 + length;
                answersJson(path, body, driver.handle("POST", path, body));
                stateAgreesWithTheSwitch(file, vireo);
            }
            aRestartedDriverStillWorks(new NetworkDriver(api::handle, DriverState.load(file)));
        }
        finally
        {
            try (Stream<Path> files = Files.list(dir))
            {
                for (final Path left : files.toList())
                {
                    Files.delete(left);
                }
            }
            Files.delete(dir);
        }
    }

    private static void answersJson(final String path, final String body, final ControlApi.Response response)
    {
        final String call = path + " " + body + " -> " + response.status() + " " + response.body();
        assertTrue(STATUSES.contains(response.status()), call);
        final JsonNode answer = json(response.body());
        assertTrue(answer.isObject(), call);
        if (200 == response.status())
        {
            assertFalse(answer.has("Err"), call);
        }
        else
        {
            assertTrue(1 == answer.size() && answer.path("Err").isTextual() && !answer.get("Err").asText().isBlank(), call);
        }
    }

    private static void stateAgreesWithTheSwitch(final Path file, final Vireo vireo) throws IOException
    {
        if (!Files.exists(file))
        {
            return;
        }
        final DriverState.Snapshot state = JSON.readValue(file.toFile(), DriverState.Snapshot.class);
        final List<String> bridges = vireo.bridges().stream().map(BridgeInfo::name).toList();
        for (final DriverState.Network network : state.networks())
        {
            assertTrue(bridges.contains(network.bridge()), () -> "the bridge of " + network + " is in " + bridges);
            if (null != network.router())
            {
                final RouterInfo router = vireo.gateway().router(network.router());
                assertTrue(router.interfaces().stream().anyMatch(in -> in.bridge().equals(network.bridge())),
                    () -> router + " is on the bridge of " + network);
            }
        }
        for (final DriverState.Endpoint endpoint : state.endpoints())
        {
            assertTrue(state.networks().stream().anyMatch(network -> network.id().equals(endpoint.networkId())),
                () -> "the network of " + endpoint + " is in " + state.networks());
        }
    }

    /** A network and an endpoint of ids of its own (whatever the calls left under them deleted first), on a subnet of its own. */
    private static void aRestartedDriverStillWorks(final NetworkDriver driver)
    {
        final Map<String, String> ids = Map.of("NETWORK_ID", NETWORK_ID, "ENDPOINT_ID", ENDPOINT_ID, "ADDRESS", "10.250.7.2/24");
        ok(driver, "DeleteEndpoint", DockerFixtures.request("DeleteEndpoint", ids));
        ok(driver, "DeleteNetwork", DockerFixtures.request("DeleteNetwork", ids));
        ok(driver, "CreateNetwork", DockerFixtures.request("CreateNetwork", ids).replace("10.93.0.", "10.250.7."));
        ok(driver, "CreateEndpoint", DockerFixtures.request("CreateEndpoint", ids));
        assertEquals("vd" + ENDPOINT_ID.substring(0, 12),
            ok(driver, "EndpointOperInfo", DockerFixtures.request("EndpointOperInfo", ids)).path("Value").path("port").asText());
        ok(driver, "DeleteEndpoint", DockerFixtures.request("DeleteEndpoint", ids));
        ok(driver, "DeleteNetwork", DockerFixtures.request("DeleteNetwork", ids));
    }

    private static JsonNode ok(final NetworkDriver driver, final String method, final String body)
    {
        final ControlApi.Response response = driver.handle("POST", "/NetworkDriver." + method, body);
        assertEquals(200, response.status(), () -> method + " after the fuzzed calls: " + response.body());
        return json(response.body());
    }

    private static JsonNode json(final String body)
    {
        try
        {
            return JSON.readTree(body);
        }
        catch (final IOException ex)
        {
            return fail("not JSON: " + body, ex);
        }
    }
}
