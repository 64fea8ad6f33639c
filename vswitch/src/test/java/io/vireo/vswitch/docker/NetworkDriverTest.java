package io.vireo.vswitch.docker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.core.NatRuleSpec;
import io.vireo.vswitch.core.RouterInfo;
import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The driver's answers to Docker's requests, over the control API of an invoker-mode switch in this
 * process. Join (which makes a TAP) is covered against the real daemon by {@code DockerDriverIT}.
 */
class NetworkDriverTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tempDir;

    private Vireo vireo;
    private ControlApi api;
    private NetworkDriver driver;
    private String networkId;
    private String endpointId;

    @BeforeEach
    void setUp()
    {
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
        vireo.addBridge("br0", null);
        api = new ControlApi(vireo);
        driver = new NetworkDriver(api::handle, DriverState.load(tempDir.resolve("state.json")));
        networkId = DockerFixtures.dockerId();
        endpointId = DockerFixtures.dockerId();
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    private ControlApi.Response post(final String method, final String fixture)
    {
        return driver.handle("POST", "/NetworkDriver." + method, DockerFixtures.request(fixture, Map.of(
            "NETWORK_ID", networkId, "ENDPOINT_ID", endpointId, "ADDRESS", "10.93.0.2/24",
            "SANDBOX_KEY", "/var/run/docker/netns/0123456789ab", "BRIDGE", "br0")));
    }

    private static JsonNode ok(final ControlApi.Response response) throws Exception
    {
        assertEquals(200, response.status(), response.body());
        final JsonNode answer = JSON.readTree(response.body());
        assertFalse(answer.has("Err"), response.body());
        return answer;
    }

    private static String err(final int status, final ControlApi.Response response) throws Exception
    {
        assertEquals(status, response.status(), response.body());
        return JSON.readTree(response.body()).get("Err").asText();
    }

    private boolean bridgeExists(final String name)
    {
        return vireo.bridges().stream().anyMatch(bridge -> bridge.name().equals(name));
    }

    @Test
    void handshakeAnnouncesALocalNetworkDriver() throws Exception
    {
        assertEquals("[\"NetworkDriver\"]", ok(driver.handle("POST", "/Plugin.Activate", "")).get("Implements").toString());
        final JsonNode capabilities = ok(driver.handle("POST", "/NetworkDriver.GetCapabilities", null));
        assertEquals("local", capabilities.get("Scope").asText());
        assertEquals("local", capabilities.get("ConnectivityScope").asText());
    }

    @Test
    void aNetworkIsABridgeOfItsOwnUntilItIsDeleted() throws Exception
    {
        final String bridge = "docker-" + networkId.substring(0, 12);
        assertEquals("{}", ok(post("CreateNetwork", "CreateNetwork")).toString());
        assertTrue(bridgeExists(bridge));
        assertTrue(err(500, post("CreateNetwork", "CreateNetwork")).contains("already exists"));

        final JsonNode endpoint = ok(post("CreateEndpoint", "CreateEndpoint"));
        assertEquals(DriverEndpoints.macFor(endpointId), endpoint.get("Interface").get("MacAddress").asText(),
            "the driver chooses the MAC Docker left empty, and answers nothing else");
        assertEquals(1, endpoint.get("Interface").size());
        assertTrue(DriverEndpoints.macFor(endpointId).matches("02(:[0-9a-f]{2}){5}"));
        final JsonNode info = ok(post("EndpointOperInfo", "EndpointOperInfo")).get("Value");
        assertEquals(bridge, info.get("bridge").asText());
        assertEquals("vd" + endpointId.substring(0, 12), info.get("port").asText());
        assertEquals("not joined", info.get("state").asText());

        assertEquals("{}", ok(post("DeleteEndpoint", "DeleteEndpoint")).toString());
        assertEquals("{}", ok(post("DeleteEndpoint", "DeleteEndpoint")).toString(), "deleting twice is no error");
        assertEquals("{}", ok(post("DeleteNetwork", "DeleteNetwork")).toString());
        assertFalse(bridgeExists(bridge));
        assertEquals("{}", ok(post("DeleteNetwork", "DeleteNetwork")).toString(), "deleting twice is no error");
    }

    @Test
    void aMacDockerChoseIsKeptAndNotAnsweredBack() throws Exception
    {
        ok(post("CreateNetwork", "CreateNetwork"));
        assertEquals("{}", ok(post("CreateEndpoint", "CreateEndpoint-mac")).toString());
        assertTrue(Files.readString(tempDir.resolve("state.json")).contains("02:42:0a:5d:00:63"));
    }

    @Test
    void theBridgeOptionUsesAnExistingBridgeAndLeavesIt() throws Exception
    {
        ok(post("CreateNetwork", "CreateNetwork-bridge-option"));
        ok(post("CreateEndpoint", "CreateEndpoint"));
        assertEquals("br0", ok(post("EndpointOperInfo", "EndpointOperInfo")).get("Value").get("bridge").asText());
        ok(post("DeleteEndpoint", "DeleteEndpoint"));
        ok(post("DeleteNetwork", "DeleteNetwork"));
        assertTrue(bridgeExists("br0"));

        vireo.deleteBridge("br0");
        networkId = DockerFixtures.dockerId();
        assertTrue(err(500, post("CreateNetwork", "CreateNetwork-bridge-option")).contains("no bridge named br0"));
    }

    @Test
    void badOptionsAreRefusedAndCreateNothing() throws Exception
    {
        final String typo = DockerFixtures.request("CreateNetwork", Map.of("NETWORK_ID", networkId))
            .replace("\"com.docker.network.driver.mtu\"", "\"vireo.brige\"");
        assertTrue(err(500, driver.handle("POST", "/NetworkDriver.CreateNetwork", typo)).contains("unknown option vireo.brige"));
        final String badMtu = DockerFixtures.request("CreateNetwork", Map.of("NETWORK_ID", networkId))
            .replace("\"1400\"", "\"jumbo\"");
        assertTrue(err(500, driver.handle("POST", "/NetworkDriver.CreateNetwork", badMtu)).contains("not a number"));
        assertEquals(1, vireo.bridges().size());
    }

    /** Found by DockerDriverFuzzTest: an address without a prefix length was kept, and publishing a port to it threw. */
    @Test
    void anEndpointAddressWithoutALengthOrOfTheWrongFamilyIsRefusedAndCreatesNothing() throws Exception
    {
        ok(post("CreateNetwork", "CreateNetwork"));
        for (final String address : new String[] {"10.93.0.2", "fd93::2/64", "10.93.0.2/33", "10.93.0.2/x"})
        {
            final String request = DockerFixtures.request("CreateEndpoint", Map.of(
                "NETWORK_ID", networkId, "ENDPOINT_ID", endpointId, "ADDRESS", address));
            final String err = err(500, driver.handle("POST", "/NetworkDriver.CreateEndpoint", request));
            assertTrue(err.contains("Interface.Address") && err.contains(address), err);
        }
        assertTrue(err(500, post("ProgramExternalConnectivity", "ProgramExternalConnectivity-published")).contains("no endpoint"));
        ok(post("CreateEndpoint", "CreateEndpoint"));
    }

    @Test
    void requestsForUnknownNetworksOrEndpointsGetAnErr() throws Exception
    {
        assertTrue(err(500, post("CreateEndpoint", "CreateEndpoint")).contains("no network " + networkId));
        ok(post("CreateNetwork", "CreateNetwork"));
        assertTrue(err(500, post("Join", "Join")).contains("no endpoint " + endpointId));
        assertTrue(err(500, post("Leave", "Leave")).contains("no endpoint"));
        assertTrue(err(500, post("EndpointOperInfo", "EndpointOperInfo")).contains("no endpoint"));
    }

    @Test
    void theGatewayIsARouterInterfaceAndPublishedPortsAreItsRules() throws Exception
    {
        ok(post("CreateNetwork", "CreateNetwork"));
        final String bridge = "docker-" + networkId.substring(0, 12);
        assertEquals(List.of(new RouterInfo.InterfaceInfo(bridge,
                vireo.gateway().router("docker").interfaces().get(0).mac(), 1500, List.of("10.93.0.1/24"))),
            vireo.gateway().router("docker").interfaces(), "router docker answers the gateway");
        assertEquals(List.of(), vireo.gateway().nat("docker"), "no uplink, so nothing to masquerade out of");

        ok(post("CreateEndpoint", "CreateEndpoint"));
        assertEquals("{}", ok(post("ProgramExternalConnectivity", "ProgramExternalConnectivity")).toString());
        ok(post("ProgramExternalConnectivity", "ProgramExternalConnectivity-published"));
        ok(post("ProgramExternalConnectivity", "ProgramExternalConnectivity-published"));
        final String owner = "docker:" + endpointId.substring(0, 12);
        assertEquals(List.of(new NatRuleSpec(1, "publish", null, null, "tcp", 8080, "10.93.0.2:80", null, owner)),
            vireo.gateway().nat("docker"), "-p 8080:80 is one rule, however often Docker asks");

        final String other = endpointId;
        endpointId = DockerFixtures.dockerId();
        ok(post("CreateEndpoint", "CreateEndpoint"));
        assertTrue(err(500, post("ProgramExternalConnectivity", "ProgramExternalConnectivity-published"))
            .contains("tcp port 8080 of router docker is published to 10.93.0.2:80 already"));
        assertEquals(1, vireo.gateway().nat("docker").size());
        ok(post("DeleteEndpoint", "DeleteEndpoint"));
        endpointId = other;
        ok(post("RevokeExternalConnectivity", "RevokeExternalConnectivity"));
        assertEquals(List.of(), vireo.gateway().nat("docker"), "revoked");
        ok(post("DeleteNetwork", "DeleteNetwork"));
        assertEquals(List.of(), vireo.gateway().router("docker").interfaces(),
            "DeleteNetwork took the router off the bridge");

        vireo.addBridge("up", null);
        vireo.gateway().attachRouter("docker", "up", List.of("192.0.2.1/24"), null, null);
        vireo.gateway().addRoute("docker", "0.0.0.0/0", "192.0.2.254");
        networkId = DockerFixtures.dockerId();
        ok(post("CreateNetwork", "CreateNetwork"));
        final String networkOwner = "docker-network:" + networkId.substring(0, 12);
        assertEquals(List.of(new NatRuleSpec(2, "masquerade", "up", "10.93.0.0/24", null, null, null, null, networkOwner)),
            vireo.gateway().nat("docker"), "with an uplink the network is masqueraded out of it");
        ok(post("DeleteNetwork", "DeleteNetwork"));
        assertEquals(List.of(), vireo.gateway().nat("docker"));
        assertEquals(List.of("up"),
            vireo.gateway().router("docker").interfaces().stream().map(RouterInfo.InterfaceInfo::bridge).toList());
        assertEquals("{}", ok(driver.handle("POST", "/NetworkDriver.DiscoverNew",
            DockerFixtures.request("DiscoverNew", Map.of()))).toString());
    }

    @Test
    void anInternalNetworkHasNoRouterAndPublishesNothing() throws Exception
    {
        ok(driver.handle("POST", "/NetworkDriver.CreateNetwork", DockerFixtures.request("CreateNetwork",
            Map.of("NETWORK_ID", networkId)).replace("\"Options\":{", "\"Options\":{\"com.docker.network.internal\":true,")));
        assertEquals(List.of(), vireo.gateway().routers());
        ok(post("CreateEndpoint", "CreateEndpoint"));
        assertTrue(err(500, post("ProgramExternalConnectivity", "ProgramExternalConnectivity-published")).contains("is internal"));
    }

    @Test
    void malformedRequestsGet4xx() throws Exception
    {
        assertTrue(err(400, driver.handle("POST", "/NetworkDriver.CreateNetwork", "{\"NetworkID\":")).contains("malformed JSON"));
        assertTrue(err(400, driver.handle("POST", "/NetworkDriver.CreateNetwork", "")).contains("no body"));
        assertTrue(err(400, driver.handle("POST", "/NetworkDriver.CreateNetwork", "[1]")).contains("not a JSON object"));
        assertTrue(err(400, driver.handle("POST", "/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"../x\"}"))
            .contains("NetworkID must be a Docker id"));
        assertTrue(err(404, driver.handle("POST", "/NetworkDriver.AllocateNetwork", "{}")).contains("does not implement"));
        err(405, driver.handle("GET", "/Plugin.Activate", null));
        assertEquals(1, vireo.bridges().size());
    }

    @Test
    void aRestartedDriverReadsItsStateBack() throws Exception
    {
        ok(post("CreateNetwork", "CreateNetwork"));
        ok(post("CreateEndpoint", "CreateEndpoint"));
        driver = new NetworkDriver(api::handle, DriverState.load(tempDir.resolve("state.json")));
        assertEquals("not joined", ok(post("EndpointOperInfo", "EndpointOperInfo")).get("Value").get("state").asText());
        assertTrue(err(500, post("CreateNetwork", "CreateNetwork")).contains("already exists"));
    }

    @Test
    void anUnreachableDaemonIsNamedInTheErr() throws Exception
    {
        driver = new NetworkDriver(ControlChannel.socket(tempDir.resolve("vireo.sock")), DriverState.inMemory());
        assertTrue(err(500, post("CreateNetwork", "CreateNetwork")).startsWith("vireod is not reachable: no control socket"));
    }
}
