package io.vireo.vswitch.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.docker.DockerFixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/vireo-docker} against a real daemon, fed the requests Docker sends (fixtures in
 * {@code src/test/resources/docker/}) over its unix socket as Docker's plugin client sends them. No Docker
 * engine runs here, so the test does what Docker does after Join: moves the TAP into the container's
 * namespace, renames it, gives it its address and brings it up.
 */
class DockerDriverIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An HTTP answer: status, headers as sent, body. */
    private record Answer(int status, String headers, String body)
    {
        JsonNode json() throws IOException
        {
            return JSON.readTree(body);
        }
    }

    private Sandbox sandbox;
    private Daemon daemon;
    private Path socket;
    private Path stateFile;
    private Process driver;
    private final Map<String, String> ids = new HashMap<>();

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        final Path pluginDir = sandbox.tempDir("plugins");
        socket = pluginDir.resolve("vireo.sock");
        stateFile = pluginDir.resolve("state/docker-driver.json");
        ids.put("NETWORK_ID", DockerFixtures.dockerId());
        driver = DockerDriver.start(sandbox, daemon, socket, stateFile);
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void joinedEndpointsMovedIntoContainersPingEachOtherAndLeaveNothingBehind() throws Exception
    {
        final Answer activate = post("/Plugin.Activate", null);
        assertEquals(200, activate.status());
        assertTrue(activate.headers().contains("content-type: application/vnd.docker.plugins.v1+json"), activate.headers());
        assertEquals("[\"NetworkDriver\"]", activate.json().get("Implements").toString());
        assertEquals("local", ok(post("/NetworkDriver.GetCapabilities", null)).get("Scope").asText());

        ok(driverCall("CreateNetwork", "CreateNetwork", null));
        final String bridge = "docker-" + ids.get("NETWORK_ID").substring(0, 12);
        assertTrue(daemon.bridges().contains(bridge), "CreateNetwork made the bridge");

        final String ns1 = sandbox.namespace("c1");
        final String ns2 = sandbox.namespace("c2");
        final String tap1 = join("e1", "10.93.0.2/24", ns1);
        final String tap2 = join("e2", "10.93.0.3/24", ns2);
        assertEquals("up", ok(driverCall("EndpointOperInfo", "EndpointOperInfo", "e1")).get("Value").get("state").asText());
        assertEquals("{}", ok(driverCall("ProgramExternalConnectivity", "ProgramExternalConnectivity", "e1")).toString());

        check(sandbox.inNetns(ns1, "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.93.0.3"));
        check(sandbox.inNetns(ns2, "ping", "-c", "3", "-i", "0.05", "-W", "2", "10.93.0.2"));

        ok(driverCall("RevokeExternalConnectivity", "RevokeExternalConnectivity", "e1"));
        ok(driverCall("Leave", "Leave", "e1"));
        assertNotEquals(0, sandbox.inNetns(ns1, "ip", "link", "show", "dev", "eth0").exit(), "Leave removed the TAP");
        assertFalse(Files.exists(Path.of("/sys/class/net", tap1)));
        ok(driverCall("DeleteEndpoint", "DeleteEndpoint", "e1"));
        assertEquals(1, JSON.readTree(daemon.ok("port", "list", "--json").out()).size());

        ok(driverCall("Leave", "Leave", "e2"));
        ok(driverCall("DeleteEndpoint", "DeleteEndpoint", "e2"));
        assertFalse(Files.exists(Path.of("/sys/class/net", tap2)));
        assertNotEquals(0, sandbox.inNetns(ns2, "ip", "link", "show", "dev", "eth0").exit());
        ok(driverCall("DeleteNetwork", "DeleteNetwork", null));
        assertFalse(daemon.bridges().contains(bridge), "DeleteNetwork removed the bridge");
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip());

        driver.destroy();
        assertEquals(0, driver.waitFor(), "SIGTERM stops the driver cleanly");
        assertFalse(Files.exists(socket), "and removes its socket");
    }

    /**
     * {@code docker run -p 8080:80} on a network whose router (the default, {@code docker}) an operator gave an
     * uplink: a veth to an "outside" namespace attached with {@code --type af-packet}, and a default route.
     * The container reaches the outside as the router's address, the outside reaches the container's port 80
     * at the router's address, port 8080, and nothing of it is left once Docker has taken the container away.
     */
    @Test
    void publishedPortsAndMasqueradeGoThroughTheNetworksRouter() throws Exception
    {
        final String outside = sandbox.namespace("o");
        Uplink.edgeRouter(sandbox, daemon, outside, "docker");

        ok(driverCall("CreateNetwork", "CreateNetwork", null));
        final String bridge = "docker-" + ids.get("NETWORK_ID").substring(0, 12);
        final String ns = sandbox.namespace("c1");
        join("e1", "10.93.0.2/24", ns);
        check(sandbox.inNetns(ns, "ip", "route", "add", "default", "via", "10.93.0.1"));
        ok(driverCall("ProgramExternalConnectivity", "ProgramExternalConnectivity-published", "e1"));
        final String rules = daemon.ok("nat", "list", "docker").out();
        assertTrue(rules.contains("masquerade") && rules.contains("10.93.0.0/24") && rules.contains("10.93.0.2:80"), rules);

        check(sandbox.inNetns(ns, "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.93.0.1"));
        assertEquals("10.95.0.1", TcpTransfer.send(sandbox, outside, "10.95.0.2", 5201, ns, "10.95.0.2", 5201, 8),
            "the outside sees the router's address only");
        assertEquals("10.95.0.2", TcpTransfer.send(sandbox, ns, "10.93.0.2", 80, outside, "10.95.0.1", 8080, 16),
            "-p 8080:80 reaches the container from outside, byte-exact");

        ok(driverCall("RevokeExternalConnectivity", "RevokeExternalConnectivity", "e1"));
        assertFalse(daemon.ok("nat", "list", "docker").out().contains("10.93.0.2:80"), "revoked");
        ok(driverCall("Leave", "Leave", "e1"));
        ok(driverCall("DeleteEndpoint", "DeleteEndpoint", "e1"));
        ok(driverCall("DeleteNetwork", "DeleteNetwork", null));
        assertEquals(List.of("wan"), daemon.routerBridges(),
            "the router is off the network's bridge " + bridge + ", its uplink stays");
        assertEquals(0, JSON.readTree(daemon.ok("nat", "list", "docker", "--json").out()).get("rules").size());
    }

    @Test
    void aRestartedDriverOrDaemonStillServesTheNetwork() throws Exception
    {
        ok(driverCall("CreateNetwork", "CreateNetwork", null));
        ok(driverCall("CreateEndpoint", "CreateEndpoint", "e1", "ADDRESS", "10.93.0.2/24"));
        driver.destroy();
        assertEquals(0, driver.waitFor());
        assertEquals(0, daemon.terminate());
        daemon = Daemon.start(sandbox, daemon.runDir);
        driver = DockerDriver.start(sandbox, daemon, socket, stateFile);

        final JsonNode joined = ok(driverCall("Join", "Join", "e1", "SANDBOX_KEY", "/var/run/docker/netns/0123456789ab"));
        final String tap = joined.get("InterfaceName").get("SrcName").asText();
        assertTrue(Files.exists(Path.of("/sys/class/net", tap)), "Join after both restarts made the TAP");
        assertTrue(daemon.bridges().contains("docker-" + ids.get("NETWORK_ID").substring(0, 12)), "and the bridge again");
        ok(driverCall("DeleteEndpoint", "DeleteEndpoint", "e1"));
        assertFalse(Files.exists(Path.of("/sys/class/net", tap)), "DeleteEndpoint without Leave removes the TAP too");
        ok(driverCall("DeleteNetwork", "DeleteNetwork", null));
    }

    @Test
    void malformedOrUnknownRequestsGetHttpErrorsWithErr() throws Exception
    {
        final Answer malformed = post("/NetworkDriver.CreateNetwork", "{\"NetworkID\":");
        assertEquals(400, malformed.status());
        assertTrue(malformed.json().get("Err").asText().startsWith("malformed JSON"), malformed.body());
        final Answer unknown = post("/NetworkDriver.AllocateNetwork", "{}");
        assertEquals(404, unknown.status(), "Docker takes 404 as a method the driver does not implement");
        final Answer notJoined = driverCall("Join", "Join", "e9", "SANDBOX_KEY", "/var/run/docker/netns/0123456789ab");
        assertEquals(500, notJoined.status());
        assertTrue(notJoined.json().get("Err").asText().startsWith("no network "), notJoined.body());
        assertEquals(List.of("br0"), daemon.bridges());
    }

    /** CreateEndpoint and Join for endpoint {@code name}, then what Docker does with the TAP; returns its name. */
    private String join(final String name, final String address, final String ns) throws Exception
    {
        final String mac = ok(driverCall("CreateEndpoint", "CreateEndpoint", name, "ADDRESS", address))
            .get("Interface").get("MacAddress").asText();
        final JsonNode joined = ok(driverCall("Join", "Join", name, "SANDBOX_KEY", "/run/netns/" + ns));
        final String tap = joined.get("InterfaceName").get("SrcName").asText();
        assertEquals("eth", joined.get("InterfaceName").get("DstPrefix").asText());
        assertEquals("10.93.0.1", joined.get("Gateway").asText());
        final String link = check(sandbox.run("ip", "-o", "link", "show", "dev", tap)).out();
        assertTrue(link.contains("link/ether " + mac) && link.contains("mtu 1400"), link);
        final JsonNode port = portNamed(tap);
        assertEquals(List.of("/run/netns/" + ns, address, "docker"),
            List.of(port.get("netns").asText(), port.get("ip").asText(), port.get("owner").asText()),
            "port list shows where Docker puts the interface: " + port);

        // Docker's part: into the sandbox, renamed DstPrefix + index, addressed, up. The TAP is down from the
        // move until "up"; nothing is flooded to it meanwhile, as the other container is quiet.
        check(sandbox.run("ip", "link", "set", "dev", tap, "netns", ns));
        check(sandbox.inNetns(ns, "ip", "link", "set", "dev", tap, "name", "eth0"));
        check(sandbox.inNetns(ns, "ip", "addr", "add", address, "dev", "eth0"));
        check(sandbox.inNetns(ns, "ip", "link", "set", "dev", "eth0", "up"));
        return tap;
    }

    /** {@code /NetworkDriver.METHOD} with the fixture, for endpoint {@code endpoint} (null: none) and extra values. */
    private Answer driverCall(final String method, final String fixture, final String endpoint, final String... values)
        throws IOException
    {
        final Map<String, String> all = new HashMap<>(ids);
        if (null != endpoint)
        {
            all.put("ENDPOINT_ID", ids.computeIfAbsent(endpoint, e -> DockerFixtures.dockerId()));
        }
        for (int i = 0; i < values.length; i += 2)
        {
            all.put(values[i], values[i + 1]);
        }
        return post("/NetworkDriver." + method, DockerFixtures.request(fixture, all));
    }

    /** One POST as Docker's plugin client makes it (Accept header, JSON body or none), over the unix socket. */
    private Answer post(final String path, final String body) throws IOException
    {
        final byte[] content = null == body ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        final String head = "POST " + path + " HTTP/1.1\r\nHost: plugin\r\nUser-Agent: Go-http-client/1.1\r\n" +
            "Accept: application/vnd.docker.plugins.v1.2+json\r\nContent-Length: " + content.length +
            "\r\nConnection: close\r\n\r\n";
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX))
        {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            channel.write(ByteBuffer.wrap(content));
            final ByteArrayOutputStream received = new ByteArrayOutputStream();
            final ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0)
            {
                received.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            final String response = received.toString(StandardCharsets.UTF_8);
            final int end = response.indexOf("\r\n\r\n");
            final String headers = response.substring(0, end).toLowerCase();
            return new Answer(Integer.parseInt(response.substring(9, 12)), headers, response.substring(end + 4));
        }
    }

    private static JsonNode ok(final Answer answer) throws IOException
    {
        assertEquals(200, answer.status(), answer.body());
        final JsonNode json = answer.json();
        assertFalse(json.has("Err"), answer.body());
        return json;
    }

    private JsonNode portNamed(final String name) throws IOException
    {
        for (final JsonNode port : JSON.readTree(daemon.ok("port", "list", "--json").out()))
        {
            if (name.equals(port.get("name").asText()))
            {
                return port;
            }
        }
        throw new AssertionError("no port " + name);
    }
}
