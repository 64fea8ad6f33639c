package io.vireo.vswitch.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.ControlChannel;
import io.vireo.vswitch.control.NetworkGateway;

/**
 * Docker's libnetwork remote network driver protocol, independent of transport: every call is a POST of a
 * JSON object to {@code /Plugin.Activate} or {@code /NetworkDriver.<Method>}, answered with a JSON object;
 * a failure is {@code {"Err": "..."}}.
 * <pre>
 * CreateNetwork   a Vireo bridge "docker-" + 12 characters of the network id, or the bridge named by
 *                 the option vireo.bridge (docker network create -d vireo -o vireo.bridge=br0 ...), which
 *                 is left alone on DeleteNetwork; com.docker.network.driver.mtu sets the MTU of its ports.
 *                 Unless the network is internal, a Vireo router (option vireo.router, default "docker",
 *                 made if missing) gets an interface on the bridge with the network's gateway addresses,
 *                 and masquerades the network's IPv4 subnet out of its uplink if it has one (the interface
 *                 its default route leaves by); networks on one router are routed to each other
 * CreateEndpoint  records the endpoint; answers with a MAC (02:.. from the endpoint id) unless Docker gave one
 * Join            a TAP port "vd" + 12 characters of the endpoint id, created in the host's namespace;
 *                 Docker moves it into the container and renames it eth0, eth1...; the answer carries the
 *                 network's gateway unless it is internal. The bridge and the router's interface and
 *                 masquerade are made again if vireod lost them (a restart without its config file), and
 *                 the masquerade is added if the router got an uplink since CreateNetwork
 * ProgramExternalConnectivity   publishes the endpoint's ports (docker run -p HOST:CONTAINER) on the router's
 *                 addresses: reachable from the outside (its uplink), from other containers (hairpin)
 * RevokeExternalConnectivity    takes them back
 * Leave           deletes the port: the TAP goes with it, wherever it is by then (Docker calls Leave before
 *                 it would move the interface back, and takes its absence in its stride)
 * DeleteEndpoint  takes back its published ports, deletes the port if still there and forgets the endpoint;
 *                 an unknown one is no error
 * DeleteNetwork   takes the router off the bridge with the network's masquerade, deletes the bridge the
 *                 driver made; an unknown network is no error
 * </pre>
 * Status 200 with the answer; 500 with {@code {"Err"}} for a request understood but not carried out (as
 * Docker's plugin helpers answer); 400 for a body that is not the JSON object the method takes; 404 for a
 * method it does not implement (Docker then takes an optional method as absent); 405 for anything but POST.
 */
final class NetworkDriver
{
    static final String CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";

    private static final Pattern DOCKER_ID = Pattern.compile("[0-9A-Za-z]{12,128}");
    private static final int SHORT_ID = 12;
    private static final String BRIDGE_PREFIX = "docker-";
    private static final String PORT_PREFIX = "vd";
    private static final String OPTION_BRIDGE = "vireo.bridge";
    private static final String OPTION_ROUTER = "vireo.router";
    private static final String DEFAULT_ROUTER = "docker";
    private static final String OPTION_MTU = "com.docker.network.driver.mtu";
    private static final String OPTION_GENERIC = "com.docker.network.generic";
    private static final String OPTION_INTERNAL = "com.docker.network.internal";
    private static final String OPTION_PORT_MAP = "com.docker.network.portmap";
    private static final List<String> VIREO_OPTIONS = List.of(OPTION_BRIDGE, OPTION_ROUTER);
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65535;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ControlChannel control;
    private final DriverState state;

    NetworkDriver(final ControlChannel control, final DriverState state)
    {
        this.control = control;
        this.state = state;
    }

    /** Answers one request. Calls are serialised: each sees the state the previous one left. */
    synchronized ControlApi.Response handle(final String method, final String path, final String body)
    {
        if (!"POST".equals(method))
        {
            return error(405, "the plugin protocol takes POST, not " + method);
        }
        try
        {
            switch (path)
            {
                case "/Plugin.Activate":
                    return ok(JSON.createObjectNode().set("Implements", JSON.createArrayNode().add("NetworkDriver")));
                case "/NetworkDriver.GetCapabilities":
                    return ok(JSON.createObjectNode().put("Scope", "local").put("ConnectivityScope", "local"));
                case "/NetworkDriver.CreateNetwork":
                    return ok(createNetwork(request(body)));
                case "/NetworkDriver.DeleteNetwork":
                    return ok(deleteNetwork(request(body)));
                case "/NetworkDriver.CreateEndpoint":
                    return ok(createEndpoint(request(body)));
                case "/NetworkDriver.EndpointOperInfo":
                    return ok(endpointOperInfo(request(body)));
                case "/NetworkDriver.DeleteEndpoint":
                    return ok(deleteEndpoint(request(body)));
                case "/NetworkDriver.Join":
                    return ok(join(request(body)));
                case "/NetworkDriver.Leave":
                    return ok(leave(request(body)));
                case "/NetworkDriver.ProgramExternalConnectivity":
                    return ok(programExternalConnectivity(request(body)));
                case "/NetworkDriver.RevokeExternalConnectivity":
                    withdraw(endpoint(request(body)));
                    return ok(JSON.createObjectNode());
                case "/NetworkDriver.DiscoverNew":
                case "/NetworkDriver.DiscoverDelete":
                    // Node discovery concerns multi-host drivers; this one is local.
                    request(body);
                    return ok(JSON.createObjectNode());
                default:
                    return error(404, "vireo does not implement " + path);
            }
        }
        catch (final BadRequest ex)
        {
            return error(400, ex.getMessage());
        }
        catch (final DriverException | NetworkGateway.GatewayException | IllegalStateException ex)
        {
            return error(500, ex.getMessage());
        }
    }

    private ObjectNode createNetwork(final JsonNode request)
    {
        final String id = id(request, "NetworkID");
        if (null != state.network(id))
        {
            throw new DriverException("network " + id + " already exists");
        }
        final JsonNode options = request.path("Options");
        final JsonNode generic = options.path(OPTION_GENERIC);
        for (final Iterator<String> names = generic.fieldNames(); names.hasNext(); )
        {
            final String name = names.next();
            if (name.startsWith("vireo.") && !VIREO_OPTIONS.contains(name))
            {
                throw new DriverException("unknown option " + name + "; vireo takes " + String.join(", ", VIREO_OPTIONS));
            }
        }
        final Integer mtu = mtu(generic.get(OPTION_MTU));
        final boolean internal = options.path(OPTION_INTERNAL).asBoolean(false);
        final String gateway = internal ? null : bare(gateway(request.path("IPv4Data")));
        final String gatewayIpv6 = internal ? null : bare(gateway(request.path("IPv6Data")));
        final List<String> gatewayAddresses = internal ? List.of() :
            Stream.of(gateway(request.path("IPv4Data")), gateway(request.path("IPv6Data"))).filter(Objects::nonNull).toList();
        final String router = gatewayAddresses.isEmpty() ? null : generic.path(OPTION_ROUTER).asText(DEFAULT_ROUTER);
        final List<String> subnets = new ArrayList<>();
        for (final JsonNode pool : request.path("IPv4Data"))
        {
            if (null != text(pool, "Pool"))
            {
                subnets.add(text(pool, "Pool"));
            }
        }
        final String chosenBridge = generic.path(OPTION_BRIDGE).asText("");
        final boolean ownsBridge = chosenBridge.isEmpty();
        final String bridge = ownsBridge ? BRIDGE_PREFIX + id.substring(0, SHORT_ID) : chosenBridge;
        final DriverState.Network sharing = state.networkOnBridge(bridge);
        if (null != sharing && (ownsBridge || sharing.ownsBridge() || null != router || null != sharing.router()))
        {
            // Deleting either would take the bridge, or the router's interface on it, from the other.
            throw new DriverException("bridge " + bridge + " is network " + sharing.id() + "'s already: only internal " +
                "networks share a bridge, one they name with " + OPTION_BRIDGE);
        }
        if (ownsBridge)
        {
            ensureBridge(bridge);
        }
        else
        {
            requireBridge(chosenBridge);
        }
        final DriverState.Network network = new DriverState.Network(id, bridge, ownsBridge, mtu, gateway, gatewayIpv6,
            router, gatewayAddresses, internal ? List.of() : subnets);
        try
        {
            programGateway(network);
        }
        catch (final RuntimeException ex)
        {
            try
            {
                removeGateway(network);
            }
            catch (final RuntimeException cleanup)
            {
                ex.addSuppressed(cleanup);
            }
            throw ex;
        }
        state.put(network);
        return JSON.createObjectNode();
    }

    private ObjectNode deleteNetwork(final JsonNode request)
    {
        final DriverState.Network network = state.network(id(request, "NetworkID"));
        if (null != network)
        {
            removeGateway(network);
            state.removeNetwork(network.id());
        }
        return JSON.createObjectNode();
    }

    /** The network's gateway on its router, and its masquerade if the router has an uplink; again is no harm. */
    private void programGateway(final DriverState.Network network)
    {
        if (null == network.router())
        {
            return;
        }
        final NetworkGateway gateway = new NetworkGateway(control, network.router());
        gateway.attach(network.bridge(), network.gatewayAddresses());
        if (!network.subnets().isEmpty() && null != gateway.uplink())
        {
            for (final String subnet : network.subnets())
            {
                gateway.masquerade(subnet, networkOwner(network));
            }
        }
    }

    /** Undoes CreateNetwork: masquerade, the router's interface, the bridge if the driver made it. */
    private void removeGateway(final DriverState.Network network)
    {
        if (null != network.router())
        {
            final NetworkGateway gateway = new NetworkGateway(control, network.router());
            gateway.withdraw(networkOwner(network));
            gateway.detach(network.bridge());
        }
        if (network.ownsBridge())
        {
            expect(call("DELETE", "/v1/bridges/" + network.bridge(), null), "deleting bridge " + network.bridge(), 200, 404);
        }
    }

    private static String networkOwner(final DriverState.Network network)
    {
        return "docker-network:" + network.id().substring(0, SHORT_ID);
    }

    private static String endpointOwner(final DriverState.Endpoint endpoint)
    {
        return "docker:" + endpoint.id().substring(0, SHORT_ID);
    }

    private ObjectNode createEndpoint(final JsonNode request)
    {
        final DriverState.Network network = network(request);
        final String id = id(request, "EndpointID");
        if (null != state.endpoint(id))
        {
            throw new DriverException("endpoint " + id + " already exists");
        }
        final String port = PORT_PREFIX + id.substring(0, SHORT_ID);
        if (null != state.endpointWithPort(port))
        {
            throw new DriverException("endpoint " + id + " would share port " + port + " with endpoint " +
                state.endpointWithPort(port).id());
        }
        final JsonNode iface = request.path("Interface");
        final String givenMac = text(iface, "MacAddress");
        final String mac = null == givenMac ? macFor(id) : givenMac;
        state.put(new DriverState.Endpoint(id, network.id(), port, mac, text(iface, "Address"), text(iface, "AddressIPv6")));
        final ObjectNode answer = JSON.createObjectNode();
        if (null == givenMac)
        {
            // Docker refuses an answer that repeats what it sent, so only the MAC it left to the driver.
            answer.putObject("Interface").put("MacAddress", mac);
        }
        return answer;
    }

    private ObjectNode endpointOperInfo(final JsonNode request)
    {
        final DriverState.Endpoint endpoint = endpoint(request);
        final ControlApi.Response port = call("GET", "/v1/ports/" + endpoint.port(), null);
        final ObjectNode value = JSON.createObjectNode()
            .put("bridge", state.network(endpoint.networkId()).bridge())
            .put("port", endpoint.port())
            .put("mac", endpoint.mac())
            .put("state", 200 == port.status() ? json(port).path("state").asText() : "not joined");
        final ObjectNode answer = JSON.createObjectNode();
        answer.set("Value", value);
        return answer;
    }

    private ObjectNode deleteEndpoint(final JsonNode request)
    {
        final DriverState.Endpoint endpoint = state.endpoint(id(request, "EndpointID"));
        if (null != endpoint)
        {
            withdraw(endpoint);
            deletePort(endpoint);
            state.removeEndpoint(endpoint.id());
        }
        return JSON.createObjectNode();
    }

    private ObjectNode join(final JsonNode request)
    {
        final DriverState.Endpoint endpoint = endpoint(request);
        final DriverState.Network network = state.network(endpoint.networkId());
        if (network.ownsBridge())
        {
            // The bridge is gone if vireod restarted since CreateNetwork; Docker will not ask again.
            ensureBridge(network.bridge());
        }
        programGateway(network);
        final ObjectNode port = JSON.createObjectNode()
            .put("bridge", network.bridge())
            .put("name", endpoint.port())
            .put("type", "tap")
            .put("owner", "docker")
            .put("mac", endpoint.mac())
            .put("mtu", network.mtu());
        expect(call("POST", "/v1/ports", port.toString()), "adding port " + endpoint.port() + " to bridge " + network.bridge(), 201);
        // Docker moves the TAP into the sandbox and names it eth0 once Join answers; port list shows where.
        final ObjectNode location = JSON.createObjectNode();
        location.putObject("location").put("netns", text(request, "SandboxKey")).put("ip", endpoint.address());
        expect(call("PATCH", "/v1/ports/" + endpoint.port(), location.toString()), "locating port " + endpoint.port(), 200);
        final ObjectNode answer = JSON.createObjectNode();
        answer.putObject("InterfaceName").put("SrcName", endpoint.port()).put("DstPrefix", "eth");
        if (null != endpoint.address() && null != network.gateway())
        {
            answer.put("Gateway", network.gateway());
        }
        if (null != endpoint.addressIpv6() && null != network.gatewayIpv6())
        {
            answer.put("GatewayIPv6", network.gatewayIpv6());
        }
        answer.putArray("StaticRoutes");
        answer.put("DisableGatewayService", false);
        return answer;
    }

    private ObjectNode leave(final JsonNode request)
    {
        deletePort(endpoint(request));
        return JSON.createObjectNode();
    }

    /**
     * Publishes the endpoint's port bindings ({@code docker run -p [HOSTIP:]HOSTPORT:PORT[/PROTO]}) on the
     * network's router; all or none.
     */
    private ObjectNode programExternalConnectivity(final JsonNode request)
    {
        final DriverState.Endpoint endpoint = endpoint(request);
        final JsonNode portMap = request.path("Options").path(OPTION_PORT_MAP);
        if (!portMap.isArray() || portMap.isEmpty())
        {
            return JSON.createObjectNode();
        }
        final DriverState.Network network = state.network(endpoint.networkId());
        if (null == network.router())
        {
            throw new DriverException("network " + network.id() + " is internal: it has no router to publish ports on");
        }
        if (null == endpoint.address())
        {
            throw new DriverException("endpoint " + endpoint.id() + " has no IPv4 address to publish ports to");
        }
        final String address = bare(endpoint.address());
        final NetworkGateway gateway = new NetworkGateway(control, network.router());
        try
        {
            for (final JsonNode binding : portMap)
            {
                final int hostPort = binding.path("HostPort").asInt(0);
                if (hostPort < 1 || hostPort > 65_535)
                {
                    throw new DriverException("publish with a host port (-p HOSTPORT:" + binding.path("Port").asInt() +
                        "): vireo does not choose one, and Docker would not learn which it chose");
                }
                gateway.publish(protocol(binding.path("Proto").asInt()), hostPort,
                    address + ":" + binding.path("Port").asInt(), text(binding, "HostIP"), endpointOwner(endpoint));
            }
        }
        catch (final RuntimeException ex)
        {
            gateway.withdraw(endpointOwner(endpoint));
            throw ex;
        }
        return JSON.createObjectNode();
    }

    /** Takes back the endpoint's published ports. */
    private void withdraw(final DriverState.Endpoint endpoint)
    {
        final String router = state.network(endpoint.networkId()).router();
        if (null != router)
        {
            new NetworkGateway(control, router).withdraw(endpointOwner(endpoint));
        }
    }

    /** libnetwork's protocol numbers (types.Protocol). */
    private static String protocol(final int number)
    {
        switch (number)
        {
            case 6:
                return "tcp";
            case 17:
                return "udp";
            default:
                throw new DriverException("vireo publishes tcp and udp ports, not protocol " + number);
        }
    }

    private void deletePort(final DriverState.Endpoint endpoint)
    {
        expect(call("DELETE", "/v1/ports/" + endpoint.port(), null), "deleting port " + endpoint.port(), 200, 404);
    }

    private void requireBridge(final String bridge)
    {
        for (final JsonNode existing : json(expect(call("GET", "/v1/bridges", null), "listing bridges", 200)))
        {
            if (bridge.equals(existing.path("name").asText()))
            {
                return;
            }
        }
        throw new DriverException("vireod has no bridge named " + bridge + " (option " + OPTION_BRIDGE + ")");
    }

    /** Adds the bridge unless it exists. */
    private void ensureBridge(final String bridge)
    {
        expect(call("POST", "/v1/bridges", JSON.createObjectNode().put("name", bridge).toString()),
            "adding bridge " + bridge, 201, 409);
    }

    private DriverState.Network network(final JsonNode request)
    {
        final String id = id(request, "NetworkID");
        final DriverState.Network network = state.network(id);
        if (null == network)
        {
            throw new DriverException("no network " + id + " in the vireo driver");
        }
        return network;
    }

    private DriverState.Endpoint endpoint(final JsonNode request)
    {
        final DriverState.Network network = network(request);
        final String id = id(request, "EndpointID");
        final DriverState.Endpoint endpoint = state.endpoint(id);
        if (null == endpoint || !endpoint.networkId().equals(network.id()))
        {
            throw new DriverException("no endpoint " + id + " on network " + network.id());
        }
        return endpoint;
    }

    private ControlApi.Response call(final String method, final String path, final String body)
    {
        try
        {
            return control.request(method, path, body);
        }
        catch (final IllegalStateException ex)
        {
            throw new DriverException("vireod is not reachable: " + ex.getMessage());
        }
    }

    private static ControlApi.Response expect(final ControlApi.Response response, final String what, final int... statuses)
    {
        for (final int status : statuses)
        {
            if (status == response.status())
            {
                return response;
            }
        }
        throw new DriverException(what + ": " + json(response).path("error").asText(response.body()));
    }

    /** The network's gateway address as Docker gives it ({@code ADDRESS/LENGTH}), from the first pool that has one. */
    private static String gateway(final JsonNode pools)
    {
        for (final JsonNode pool : pools)
        {
            final String gateway = text(pool, "Gateway");
            if (null != gateway)
            {
                if (gateway.indexOf('/') < 0)
                {
                    throw new DriverException("gateway " + gateway + " has no prefix length");
                }
                return gateway;
            }
        }
        return null;
    }

    /** The address of {@code ADDRESS/LENGTH}; null stays null. */
    private static String bare(final String cidr)
    {
        return null == cidr ? null : cidr.substring(0, cidr.indexOf('/'));
    }

    /** Docker passes driver options as strings; a number is taken too. */
    private static Integer mtu(final JsonNode option)
    {
        if (null == option || option.isNull() || option.asText().isEmpty())
        {
            return null;
        }
        final int mtu;
        try
        {
            mtu = Integer.parseInt(option.asText());
        }
        catch (final NumberFormatException ex)
        {
            throw new DriverException("invalid " + OPTION_MTU + " '" + option.asText() + "': not a number");
        }
        if (mtu < MIN_MTU || mtu > MAX_MTU)
        {
            throw new DriverException("invalid " + OPTION_MTU + " " + mtu + ": must be " + MIN_MTU + ".." + MAX_MTU);
        }
        return mtu;
    }

    /** A locally administered unicast MAC that is the same every time for the same endpoint. */
    static String macFor(final String endpointId)
    {
        try
        {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(endpointId.getBytes(StandardCharsets.UTF_8));
            digest[0] = 0x02;
            return HexFormat.ofDelimiter(":").formatHex(digest, 0, 6);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every Java runtime has SHA-256", ex);
        }
    }

    private static JsonNode request(final String body)
    {
        if (null == body || body.isBlank())
        {
            throw new BadRequest("the request has no body; expected a JSON object");
        }
        try
        {
            final JsonNode request = JSON.readTree(body);
            if (null == request || !request.isObject())
            {
                throw new BadRequest("the request body is not a JSON object");
            }
            return request;
        }
        catch (final JsonProcessingException ex)
        {
            throw new BadRequest("malformed JSON: " + ex.getOriginalMessage());
        }
    }

    private static String id(final JsonNode request, final String field)
    {
        final String id = text(request, field);
        if (null == id || !DOCKER_ID.matcher(id).matches())
        {
            throw new BadRequest(field + " must be a Docker id (12 to 128 letters and digits), not " + request.get(field));
        }
        return id;
    }

    /** A string field; null when absent, null or empty, as Go's encoder writes unset strings. */
    private static String text(final JsonNode node, final String field)
    {
        final JsonNode value = node.get(field);
        return null == value || !value.isTextual() || value.asText().isEmpty() ? null : value.asText();
    }

    private static JsonNode json(final ControlApi.Response response)
    {
        try
        {
            return JSON.readTree(response.body());
        }
        catch (final IOException ex)
        {
            throw new DriverException("vireod answered something that is not JSON: " + response.body());
        }
    }

    private static ControlApi.Response ok(final JsonNode answer)
    {
        return new ControlApi.Response(200, answer.toString());
    }

    private static ControlApi.Response error(final int status, final String message)
    {
        return new ControlApi.Response(status, JSON.createObjectNode().put("Err", message).toString());
    }

    /** The request cannot be decoded: 400. */
    private static final class BadRequest extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        BadRequest(final String message)
        {
            super(message);
        }
    }

    /** The request is understood but cannot be carried out: 500 with the reason in {@code Err}. */
    private static final class DriverException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        DriverException(final String message)
        {
            super(message);
        }
    }
}
