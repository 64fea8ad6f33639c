package io.vireo.vswitch.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.vireo.vswitch.it.Sandbox.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scripts/vireo-cni} driven exactly as a container runtime drives a plugin — found as {@code vireo} in
 * {@code CNI_PATH}, CNI_* variables, the network config on stdin, a real namespace — against a real daemon,
 * with Debian's {@code host-local} (containernetworking-plugins, /usr/lib/cni) managing addresses.
 */
class CniPluginIT
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private Sandbox sandbox;
    private Daemon daemon;
    private Path cniBin;
    /** The plugin's name in {@link #cniBin}: the installed binary unless a test says otherwise. */
    private String plugin = "vireo";
    private Path ipamDir;
    private String network;

    @BeforeEach
    void setUp() throws Exception
    {
        sandbox = new Sandbox();
        HostLocal.assertInstalled();
        daemon = Daemon.start(sandbox, sandbox.tempDir("run"));
        cniBin = sandbox.tempDir("cnibin");
        Daemon.installCniPlugin(sandbox, cniBin);
        ipamDir = sandbox.tempDir("ipam");
        network = sandbox.prefix + "-net";
    }

    @AfterEach
    void tearDown()
    {
        sandbox.close();
    }

    @Test
    void twoContainersAttachedAsARuntimeDoesPingEachOtherAndDetachCleanly() throws Exception
    {
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String idA = sandbox.prefix + "-container-a";
        final String idB = sandbox.prefix + "-container-b";

        final JsonNode addA = success(cni("ADD", idA, "/run/netns/" + nsA, config("1.0.0", "br0")));
        assertEquals("1.0.0", addA.get("cniVersion").asText());
        final JsonNode eth0 = addA.get("interfaces").get(0);
        assertEquals("eth0", eth0.get("name").asText());
        assertEquals("/run/netns/" + nsA, eth0.get("sandbox").asText());
        assertEquals(1400, eth0.get("mtu").asInt(), "the config's MTU, reported");
        final String link = check(sandbox.inNetns(nsA, "ip", "-o", "link", "show", "dev", "eth0")).out();
        assertTrue(link.contains("link/ether " + eth0.get("mac").asText()) && link.contains("mtu 1400"), link);
        final JsonNode ipA = addA.get("ips").get(0);
        assertTrue(ipA.get("address").asText().matches("10\\.94\\.0\\.\\d+/24"), ipA::toString);
        assertEquals("10.94.0.1", ipA.get("gateway").asText());
        assertEquals(0, ipA.get("interface").asInt());
        assertTrue(!ipA.has("version"), "1.0.0 results carry no IP version");
        assertEquals("10.95.0.0/16", addA.get("routes").get(0).get("dst").asText());
        assertTrue(check(sandbox.inNetns(nsA, "ip", "route", "show", "10.95.0.0/16")).out().contains("via 10.94.0.1 dev eth0"));

        final JsonNode addB = success(cni("ADD", idB, "/run/netns/" + nsB, config("0.4.0", "br0")));
        assertEquals("4", addB.get("ips").get(0).get("version").asText(), "a 0.4.0 result names the IP version");
        final String addressA = address(addA);
        final String addressB = address(addB);
        check(sandbox.inNetns(nsA, "ping", "-c", "3", "-i", "0.05", "-W", "2", addressB));
        check(sandbox.inNetns(nsB, "ping", "-c", "3", "-i", "0.05", "-W", "2", addressA));
        final JsonNode ports = JSON.readTree(daemon.ok("port", "list", "--json").out());
        assertEquals(2, ports.size());
        assertEquals("/run/netns/" + nsA, ports.get(0).get("netns").asText());
        assertTrue(ports.get(0).get("name").asText().startsWith("vc"));
        assertEquals("cni", ports.get(0).get("owner").asText(), "the plugin's ports say who manages them");

        final Sandbox.Result checkA = cni("CHECK", idA, "/run/netns/" + nsA, withPrevResult(config("1.0.0", "br0"), addA));
        assertEquals(0, checkA.exit(), checkA::all);
        assertEquals("", checkA.out(), "CHECK prints nothing when all is well");
        check(sandbox.inNetns(nsA, "ip", "addr", "del", ipA.get("address").asText(), "dev", "eth0"));
        assertTrue(failure(999, cni("CHECK", idA, "/run/netns/" + nsA, withPrevResult(config("1.0.0", "br0"), addA)))
            .get("msg").asText().endsWith("lacks its address " + ipA.get("address").asText()));

        assertEquals(0, cni("DEL", idA, "/run/netns/" + nsA, config("1.0.0", "br0")).exit());
        assertNotEquals(0, sandbox.inNetns(nsA, "ip", "link", "show", "dev", "eth0").exit(), "eth0 is gone");
        assertEquals(1, JSON.readTree(daemon.ok("port", "list", "--json").out()).size());
        assertEquals(List.of(addressB), allocations(), "A's address went back to host-local");
        final JsonNode afterDel = failure(999, cni("CHECK", idA, "/run/netns/" + nsA, withPrevResult(config("1.0.0", "br0"), addA)));
        assertTrue(afterDel.get("msg").asText().startsWith("vireod has no port vc"), afterDel::toString);
        assertEquals(0, cni("DEL", idA, "/run/netns/" + nsA, config("1.0.0", "br0")).exit(), "DEL twice is no error");

        assertEquals(0, cni("DEL", idB, "/run/netns/" + nsB, config("0.4.0", "br0")).exit());
        assertNothingLeft(nsB);
    }

    @Test
    void aContainerWhoseNamespaceGoesWithoutADelLosesItsPortAndTheNamespaceIsDestroyed() throws Exception
    {
        final String ns = sandbox.namespace("gone");
        final String id = sandbox.prefix + "-container-gone";
        success(cni("ADD", id, "/run/netns/" + ns, config("1.0.0", "br0")));
        // A veth pair across the namespace's edge: the kernel deletes it when it destroys the namespace.
        final String probe = sandbox.hostInterface("p0");
        check(sandbox.run("ip", "link", "add", probe, "type", "veth", "peer", "name", "probe", "netns", ns));

        check(sandbox.run("ip", "netns", "del", ns));
        sandbox.namespaceDeleted(ns);
        TapForwardingIT.waitFor(() -> "[ ]".equals(daemon.ok("port", "list", "--json").out().strip()),
            "the port deleted with its namespace");
        // Its TAP was born inside and held the namespace until the port went.
        TapForwardingIT.waitFor(() -> !Files.exists(Path.of("/sys/class/net", probe)), "the namespace destroyed");

        assertEquals(0, cni("DEL", id, "/run/netns/" + ns, config("1.0.0", "br0")).exit(), "a DEL after it is no error");
        assertEquals(List.of(), allocations(), "the DEL gave the address back to host-local");
    }

    @Test
    void onAVxlanBridgeTheInterfaceGetsTheOverlaysMtuAndTheResultSaysSo() throws Exception
    {
        final String port = Integer.toString(40_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(20_000));
        daemon.ok("bridge", "add", "brx", "--vni", "5", "--vtep-local", "127.0.0.1", "--vtep-port", port);
        final String[] configMtus = {null, "9000", "1400"};
        final int[] expected = {1450, 1450, 1400};
        for (int i = 0; i < configMtus.length; i++)
        {
            final String ns = sandbox.namespace("x" + i);
            final ObjectNode config = (ObjectNode)JSON.readTree(config("1.0.0", "brx"));
            if (null == configMtus[i])
            {
                config.remove("mtu");
            }
            else
            {
                config.put("mtu", Integer.parseInt(configMtus[i]));
            }
            final JsonNode added = success(cni("ADD", sandbox.prefix + "-x" + i, "/run/netns/" + ns, config.toString()));
            assertEquals(expected[i], added.get("interfaces").get(0).get("mtu").asInt(), added::toString);
            assertTrue(check(sandbox.inNetns(ns, "ip", "-o", "link", "show", "dev", "eth0")).out().contains("mtu " + expected[i]));
            final Sandbox.Result checked = cni("CHECK", sandbox.prefix + "-x" + i, "/run/netns/" + ns,
                withPrevResult(config.toString(), added));
            assertEquals(0, checked.exit(), checked::all);
            assertEquals(0, cni("DEL", sandbox.prefix + "-x" + i, "/run/netns/" + ns, config.toString()).exit());
        }
    }

    /**
     * {@code podman network connect}: a container on a second network whose IPAM gives a default route too. As
     * with the reference plugins, the route the namespace has already wins and the ADD succeeds.
     */
    @Test
    void aSecondNetworkWithADefaultRouteKeepsTheFirstNetworksRoute() throws Exception
    {
        final String ns = sandbox.namespace("a");
        final String path = "/run/netns/" + ns;
        final String id = sandbox.prefix + "-container";
        daemon.ok("bridge", "add", "br1");
        final ObjectNode first = (ObjectNode)JSON.readTree(config("1.0.0", "br0"));
        ((ObjectNode)first.get("ipam")).putArray("routes").addObject().put("dst", "0.0.0.0/0");
        final ObjectNode second = (ObjectNode)JSON.readTree(config("1.0.0", "br1"));
        second.put("name", network + "-second");
        final ObjectNode secondIpam = (ObjectNode)second.get("ipam");
        secondIpam.putArray("ranges").addArray().addObject().put("subnet", "10.97.0.0/24").put("gateway", "10.97.0.1");
        secondIpam.putArray("routes").addObject().put("dst", "0.0.0.0/0");

        success(cni("ADD", id, path, first.toString(), "eth0"));
        final JsonNode added = success(cni("ADD", id, path, second.toString(), "eth1"));
        assertEquals("0.0.0.0/0", added.get("routes").get(0).get("dst").asText(), "the result says what IPAM gave: " + added);
        assertEquals("default via 10.94.0.1 dev eth0", check(sandbox.inNetns(ns, "ip", "route", "show", "default")).out().strip());
        assertTrue(check(sandbox.inNetns(ns, "ip", "-o", "addr", "show", "dev", "eth1")).out().contains("inet 10.97.0."));

        assertEquals(0, cni("DEL", id, path, second.toString(), "eth1").exit());
        assertEquals(0, cni("DEL", id, path, first.toString(), "eth0").exit());
        assertNothingLeft(ns);
    }

    /** The installed plugin and {@code scripts/vireo-cni} through a link (the other way to run it) answer alike. */
    @Test
    void versionListsTheSupportedVersions() throws Exception
    {
        Files.createSymbolicLink(cniBin.resolve("vireo-sh"), Daemon.ROOT.resolve("scripts/vireo-cni"));
        for (final String name : List.of("vireo", "vireo-sh"))
        {
            plugin = name;
            final JsonNode version = success(cni("VERSION", null, null, "{\"cniVersion\":\"1.0.0\"}"));
            assertEquals("1.0.0", version.get("cniVersion").asText(), name);
            assertEquals("[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]", version.get("supportedVersions").toString(), name);
        }
    }

    @Test
    void failuresAnswerWithTheSpecsCodeAndLeaveNothingBehind() throws Exception
    {
        final String ns = sandbox.namespace("a");
        final String path = "/run/netns/" + ns;
        final String id = sandbox.prefix + "-container";

        assertTrue(failure(7, cni("ADD", id, path, config("1.0.0", "nope"))).get("msg").asText().contains("no bridge named nope"));
        assertNothingLeft(ns);
        assertEquals("0.2.0", failure(1, cni("ADD", id, path, config("0.2.0", "br0"))).get("cniVersion").asText());
        assertNothingLeft(ns);
        assertTrue(failure(4, cni("ADD", id, null, config("1.0.0", "br0"))).get("msg").asText().contains("CNI_NETNS"));
        assertNothingLeft(ns);
        failure(3, cni("ADD", id, "/run/netns/" + sandbox.prefix + "-missing", config("1.0.0", "br0")));
        assertNothingLeft(ns);
        failure(6, cni("ADD", id, path, "{\"cniVersion\": \"1.0.0\", \"name\": "));
        assertNothingLeft(ns);

        // The daemon refuses the port after host-local allocated an address: the address is released.
        final ObjectNode badMac = (ObjectNode)JSON.readTree(config("1.0.0", "br0"));
        badMac.putObject("runtimeConfig").put("mac", "01:00:5e:00:00:01");
        assertTrue(failure(7, cni("ADD", id, path, badMac.toString())).get("msg").asText().contains("invalid MAC"));
        assertNothingLeft(ns);

        check(sandbox.inNetns(ns, "ip", "tuntap", "add", "dev", "eth0", "mode", "tap"));
        assertTrue(failure(999, cni("ADD", id, path, config("1.0.0", "br0"))).get("msg").asText()
            .contains("an interface named eth0 already exists"));
        check(sandbox.inNetns(ns, "ip", "link", "del", "eth0"));
        assertNothingLeft(ns);

        final Sandbox.Result neverAdded = cni("DEL", sandbox.prefix + "-never", path, config("1.0.0", "br0"));
        assertEquals(0, neverAdded.exit(), neverAdded::all);
        assertEquals("", neverAdded.out());
        assertNothingLeft(ns);
    }

    /**
     * One config gives containers outside access and a published port, as the reference bridge plugin with
     * {@code isGateway}, {@code ipMasq} and the {@code portmap} plugin do: router {@code edge}, set up by the
     * operator with an uplink (a veth to an "outside" namespace, attached with {@code --type af-packet}) and a
     * default route, answers the network's gateway, masquerades it and publishes port 8080 to container A.
     */
    @Test
    void aGatewayConfigGivesOutsideAccessAndPublishedPortsThroughTheRouter() throws Exception
    {
        final String outside = sandbox.namespace("o");
        Uplink.edgeRouter(sandbox, daemon, outside, "edge");

        final ObjectNode gatewayConfig = (ObjectNode)JSON.readTree(config("1.0.0", "br0"));
        ((ObjectNode)gatewayConfig.get("ipam")).remove("routes");
        gatewayConfig.put("router", "edge").put("isDefaultGateway", true).put("ipMasq", true)
            .putObject("capabilities").put("portMappings", true);
        final ObjectNode published = gatewayConfig.deepCopy();
        final ObjectNode runtimeConfig = published.putObject("runtimeConfig");
        runtimeConfig.putArray("portMappings").addObject()
            .put("hostPort", 8080).put("containerPort", 80).put("protocol", "tcp").put("hostIP", "");
        runtimeConfig.putObject("bandwidth").put("ingressRate", 400_000_000).put("ingressBurst", 8_000_000)
            .put("egressRate", 300_000_000).put("egressBurst", 4_000_000);

        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String pathA = "/run/netns/" + nsA;
        final JsonNode resultA = success(cni("ADD", sandbox.prefix + "-a", pathA, published.toString()));
        final JsonNode resultB = success(cni("ADD", sandbox.prefix + "-b", "/run/netns/" + nsB, gatewayConfig.toString()));
        assertEquals("{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.94.0.1\"}", resultA.get("routes").get(0).toString(), resultA::toString);
        final String addressA = address(resultA);
        final List<JsonNode> portsOfA = new java.util.ArrayList<>();
        JSON.readTree(daemon.ok("port", "list", "--json").out()).forEach(port ->
        {
            if (pathA.equals(port.path("netns").asText()))
            {
                portsOfA.add(port);
            }
        });
        assertEquals(1, portsOfA.size(), portsOfA::toString);
        assertEquals("{\"rate\":400000000,\"burst\":1000000}", portsOfA.get(0).get("egress").toString(),
            "the bandwidth capability: what the container receives is the port's egress");
        assertEquals("{\"rate\":300000000,\"burst\":500000}", portsOfA.get(0).get("ingress").toString());

        check(sandbox.inNetns(nsA, "ping", "-c", "2", "-i", "0.2", "-W", "3", "10.94.0.1"));
        assertEquals("10.95.0.1", TcpTransfer.send(sandbox, outside, "10.95.0.2", 5201, nsA, "10.95.0.2", 5201, 8),
            "the outside sees the router's address only");
        assertEquals("10.95.0.2", TcpTransfer.send(sandbox, nsA, addressA, 80, outside, "10.95.0.1", 8080, 16),
            "the published port reaches A from outside, byte-exact");
        assertEquals("10.94.0.1", TcpTransfer.send(sandbox, nsA, addressA, 80, nsB, "10.94.0.1", 8080, 4),
            "and from B through the gateway's address (hairpin)");

        // The host's way in, as the README gives it: a TAP on a bridge of its own where the router has an
        // address, a route to the network through it. A namespace stands in for the host's.
        final String host = sandbox.namespace("h");
        daemon.ok("bridge", "add", "hostlink");
        daemon.ok("port", "add", "hostlink", sandbox.ifname("host"), "--netns", host, "--ip", "10.96.0.2/30");
        daemon.ok("router", "attach", "edge", "hostlink", "--ip", "10.96.0.1/30");
        check(sandbox.inNetns(host, "ip", "route", "add", "10.94.0.0/24", "via", "10.96.0.1"));
        assertEquals("10.96.0.2", TcpTransfer.send(sandbox, nsA, addressA, 80, host, "10.96.0.1", 8080, 4),
            "from the host, at the router's address on the host link");
        check(sandbox.inNetns(host, "ping", "-c", "2", "-i", "0.2", "-W", "3", addressA));

        final JsonNode rules = JSON.readTree(daemon.ok("nat", "list", "edge", "--json").out()).get("rules");
        assertEquals(2, rules.size(), rules::toString);
        assertEquals("masquerade", rules.get(0).get("type").asText(), rules::toString);
        assertEquals("10.94.0.0/24", rules.get(0).get("from").asText(), rules::toString);
        assertEquals(addressA + ":80", rules.get(1).get("to").asText(), rules::toString);
        assertTrue(rules.get(1).get("owner").asText().startsWith("cni:vc"), rules::toString);

        final String nsC = sandbox.namespace("c");
        final String taken = failure(7, cni("ADD", sandbox.prefix + "-c", "/run/netns/" + nsC, published.toString()))
            .get("msg").asText();
        assertTrue(taken.contains("tcp port 8080 of router edge is published to " + addressA + ":80 already"), taken);

        assertEquals(0, cni("DEL", sandbox.prefix + "-a", pathA, published.toString()).exit());
        final JsonNode left = JSON.readTree(daemon.ok("nat", "list", "edge", "--json").out()).get("rules");
        assertEquals(1, left.size(), "DEL took back A's published port; the network's masquerade stays: " + left);
        assertEquals("masquerade", left.get(0).get("type").asText(), left::toString);
        assertEquals(0, cni("DEL", sandbox.prefix + "-b", "/run/netns/" + nsB, gatewayConfig.toString()).exit());
        assertEquals(List.of(), allocations(), "no address held, not even by the refused ADD");
        assertEquals(2, JSON.readTree(daemon.ok("port", "list", "--json").out()).size(), "the uplink and the host link only");
    }

    /**
     * A config's services: ADD registers the container in the daemon's service registry under each, at its address,
     * with no lease; the runtime's runtimeConfig replaces the network's args. DEL deregisters it (with a config that
     * names no service too), and again is no error. An instance the registry refuses fails the ADD and leaves nothing.
     */
    @Test
    void addRegistersTheContainerUnderItsServicesAndDelDeregistersIt() throws Exception
    {
        final ObjectNode network = (ObjectNode)JSON.readTree(config("1.0.0", "br0"));
        network.putObject("args").putObject("vireo").putArray("services").addObject().put("name", "web").put("port", 80);
        final ObjectNode perContainer = network.deepCopy();
        perContainer.putObject("runtimeConfig").putObject("vireo").putArray("services").addObject()
            .put("name", "api").put("port", 8080);
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String idA = sandbox.prefix + "-a";
        final String idB = sandbox.prefix + "-b";

        final String addressA = address(success(cni("ADD", idA, "/run/netns/" + nsA, network.toString())));
        final String addressB = address(success(cni("ADD", idB, "/run/netns/" + nsB, perContainer.toString())));
        final JsonNode web = instances("web");
        assertEquals(1, web.size(), web::toString);
        assertEquals(List.of(idA + ":eth0", addressA, "80", "0"), List.of(web.get(0).get("id").asText(),
            web.get(0).get("address").asText(), web.get(0).get("port").asText(), web.get(0).get("leaseSeconds").asText()));
        assertTrue(web.get(0).get("owner").asText().startsWith("cni:vc"), web::toString);
        final JsonNode api = instances("api");
        assertEquals(List.of(idB + ":eth0", addressB, "8080"), List.of(api.get(0).get("id").asText(),
            api.get(0).get("address").asText(), api.get(0).get("port").asText()), api::toString);
        final String table = daemon.ok("registry", "list").out();
        assertTrue(table.startsWith("SERVICE") && table.contains(idB + ":eth0") && table.contains(addressA), table);

        assertEquals(0, cni("DEL", idA, "/run/netns/" + nsA, network.toString()).exit());
        assertEquals(0, instances("web").size(), "DEL deregistered A");
        assertEquals(0, cni("DEL", idA, "/run/netns/" + nsA, network.toString()).exit(), "DEL twice is no error");
        final Sandbox.Result delB = cni("DEL", idB, "/run/netns/" + nsB, config("1.0.0", "br0"));
        assertEquals(0, delB.exit(), delB::all);
        assertEquals("[ ]", JSON.readTree(daemon.ok("registry", "list", "--json").out()).get("services").toPrettyString());
        assertNothingLeft(nsA);
        assertNothingLeft(nsB);

        final String longId = sandbox.prefix + "-" + "c".repeat(122);
        final JsonNode refused = failure(7, cni("ADD", longId, "/run/netns/" + nsA, network.toString()));
        assertTrue(refused.get("msg").asText().contains("registering " + longId + ":eth0 as an instance of service web: " +
            "invalid instance id"), refused::toString);
        assertNothingLeft(nsA);
        assertEquals(0, instances("web").size());
    }

    /**
     * Spec 1.1's STATUS and GC as a runtime sends them: STATUS is ready with the bridge there, 50 without it; GC takes
     * back the service instance of a container whose namespace went without a DEL, and keeps the one of the container
     * the runtime still lists. (Debian's host-local speaks 1.0.0, so neither is handed to it.)
     */
    @Test
    void statusIsReadyWithTheBridgeAndGcTakesBackWhatAGoneContainerLeft() throws Exception
    {
        final Sandbox.Result ready = cni("STATUS", null, null, config("1.1.0", "br0"));
        assertEquals(0, ready.exit(), ready::all);
        assertEquals("", ready.out(), "STATUS prints nothing when ready");
        assertTrue(failure(50, cni("STATUS", null, null, config("1.1.0", "nope"))).get("msg").asText()
            .contains("has no bridge named nope"));

        // Added at 1.0.0: host-local 1.1.1 speaks no later version.
        final ObjectNode network = (ObjectNode)JSON.readTree(config("1.0.0", "br0"));
        network.putObject("args").putObject("vireo").putArray("services").addObject().put("name", "web").put("port", 80);
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String idA = sandbox.prefix + "-a";
        final String idB = sandbox.prefix + "-b";
        success(cni("ADD", idA, "/run/netns/" + nsA, network.toString()));
        success(cni("ADD", idB, "/run/netns/" + nsB, network.toString()));
        check(sandbox.run("ip", "netns", "del", nsA));
        sandbox.namespaceDeleted(nsA);
        TapForwardingIT.waitFor(() -> 1 == JSON.readTree(daemon.ok("port", "list", "--json").out()).size(),
            "A's port deleted with its namespace");
        assertEquals(2, instances("web").size(), "A's instance outlives its port until a DEL or a GC");

        final ObjectNode collect = network.deepCopy().put("cniVersion", "1.1.0");
        collect.putArray("cni.dev/valid-attachments").addObject().put("containerID", idB).put("ifname", "eth0");
        final Sandbox.Result collected = cni("GC", null, null, collect.toString());
        assertEquals(0, collected.exit(), collected::all);
        final JsonNode web = instances("web");
        assertEquals(List.of(idB + ":eth0"), List.of(web.get(0).get("id").asText()), web::toString);
        assertEquals(1, web.size(), web::toString);
        assertEquals(0, cni("DEL", idB, "/run/netns/" + nsB, network.toString()).exit());
    }

    private JsonNode instances(final String service) throws IOException
    {
        return JSON.readTree(daemon.ok("registry", "list", service, "--json").out()).get("instances");
    }

    /** Runs the plugin as a runtime does, for eth0; null containerId or netns leaves the variable unset. */
    private Sandbox.Result cni(final String command, final String containerId, final String netns, final String config)
    {
        return cni(command, containerId, netns, config, "eth0");
    }

    private Sandbox.Result cni(
        final String command, final String containerId, final String netns, final String config, final String ifname)
    {
        final Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_IFNAME", ifname);
        env.put("CNI_PATH", cniBin + ":" + HostLocal.PLUGIN_DIR);
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default");
        if (null != containerId)
        {
            env.put("CNI_CONTAINERID", containerId);
        }
        if (null != netns)
        {
            env.put("CNI_NETNS", netns);
        }
        return sandbox.runWithInput(env, config, cniBin.resolve(plugin).toString());
    }

    private String config(final String version, final String bridge) throws IOException
    {
        try (InputStream in = CniPluginIT.class.getResourceAsStream("/cni/network.json"))
        {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                .replace("{{VERSION}}", version)
                .replace("{{NAME}}", network)
                .replace("{{BRIDGE}}", bridge)
                .replace("{{RUN_DIR}}", daemon.runDir.toString())
                .replace("{{IPAM_DIR}}", ipamDir.toString());
        }
    }

    private static String withPrevResult(final String config, final JsonNode result) throws IOException
    {
        final ObjectNode withPrevious = (ObjectNode)JSON.readTree(config);
        withPrevious.set("prevResult", result);
        return withPrevious.toString();
    }

    private static JsonNode success(final Sandbox.Result result) throws IOException
    {
        assertEquals(0, result.exit(), result::all);
        return JSON.readTree(result.out());
    }

    /** The spec's error object on stdout with this code, a line on stderr, a non-zero exit. */
    private static JsonNode failure(final int code, final Sandbox.Result result) throws IOException
    {
        assertNotEquals(0, result.exit(), result::all);
        final JsonNode error = JSON.readTree(result.out());
        assertEquals(code, error.get("code").asInt(), result::all);
        assertTrue(error.get("msg").isTextual() && error.has("cniVersion"), error::toString);
        assertTrue(result.err().contains("vireo-cni: " + error.get("msg").asText()), result::all);
        return error;
    }

    private static String address(final JsonNode result)
    {
        final String cidr = result.get("ips").get(0).get("address").asText();
        return cidr.substring(0, cidr.indexOf('/'));
    }

    /** The addresses host-local holds for this network. */
    private List<String> allocations() throws IOException
    {
        return HostLocal.allocations(ipamDir, network);
    }

    /** No port in the daemon, nothing but lo in the namespace, no address allocated. */
    private void assertNothingLeft(final String ns) throws IOException
    {
        assertEquals("[ ]", daemon.ok("port", "list", "--json").out().strip(), "no port in the daemon");
        final String links = check(sandbox.inNetns(ns, "ip", "-o", "link", "show")).out();
        assertEquals(1, links.lines().count(), links);
        assertEquals(List.of(), allocations(), "no address held by host-local");
    }
}
