package io.vireo.vswitch.docker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.control.NetworkGateway;
import io.vireo.vswitch.link.Cidr;

import static io.vireo.vswitch.docker.DriverMessages.JSON;
import static io.vireo.vswitch.docker.DriverMessages.id;
import static io.vireo.vswitch.docker.DriverMessages.text;
import static io.vireo.vswitch.docker.DriverNetworks.SHORT_ID;
import static io.vireo.vswitch.docker.DriverNetworks.bare;
import static io.vireo.vswitch.docker.VireodCalls.expect;
import static io.vireo.vswitch.docker.VireodCalls.json;

/**
 * The endpoint calls for {@link NetworkDriver}: CreateEndpoint, EndpointOperInfo, Join and Leave (an
 * endpoint's TAP port on its network's bridge), DeleteEndpoint, and Program and Revoke
 * ExternalConnectivity (its ports published on the network's router).
 */
final class DriverEndpoints
{
    private static final String PORT_PREFIX = "vd";
    private static final String OPTION_PORT_MAP = "com.docker.network.portmap";

    private final VireodCalls vireod;
    private final DriverState state;
    private final DriverNetworks networks;

    DriverEndpoints(final VireodCalls vireod, final DriverState state, final DriverNetworks networks)
    {
        this.vireod = vireod;
        this.state = state;
        this.networks = networks;
    }

    private static String endpointOwner(final DriverState.Endpoint endpoint)
    {
        return "docker:" + endpoint.id().substring(0, SHORT_ID);
    }

    ObjectNode createEndpoint(final JsonNode request)
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
        final String address = interfaceAddress(iface, "Address", false);
        final String addressIpv6 = interfaceAddress(iface, "AddressIPv6", true);
        final String givenMac = text(iface, "MacAddress");
        final String mac = null == givenMac ? macFor(id) : givenMac;
        state.put(new DriverState.Endpoint(id, network.id(), port, mac, address, addressIpv6));
        final ObjectNode answer = JSON.createObjectNode();
        if (null == givenMac)
        {
            // Docker refuses an answer that repeats what it sent, so only the MAC it left to the driver.
            answer.putObject("Interface").put("MacAddress", mac);
        }
        return answer;
    }

    /**
     * An address Docker's IPAM gave the endpoint, as {@code ADDRESS/LENGTH} of the field's family (IPv4 for
     * {@code Address}, IPv6 for {@code AddressIPv6}), or null if there is none.
     */
    private static String interfaceAddress(final JsonNode iface, final String field, final boolean ipv6)
    {
        final String text = text(iface, field);
        if (null == text)
        {
            return null;
        }
        try
        {
            Cidr.validate(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new DriverException("Interface." + field + ": " + ex.getMessage());
        }
        if (ipv6 != (text.indexOf(':') >= 0))
        {
            throw new DriverException("Interface." + field + " '" + text + "' is not an " + (ipv6 ? "IPv6" : "IPv4") + " address");
        }
        return text;
    }

    ObjectNode endpointOperInfo(final JsonNode request)
    {
        final DriverState.Endpoint endpoint = endpoint(request);
        final ControlApi.Response port = vireod.call("GET", "/v1/ports/" + endpoint.port(), null);
        final ObjectNode value = JSON.createObjectNode()
            .put("bridge", state.network(endpoint.networkId()).bridge())
            .put("port", endpoint.port())
            .put("mac", endpoint.mac())
            .put("state", 200 == port.status() ? json(port).path("state").asText() : "not joined");
        final ObjectNode answer = JSON.createObjectNode();
        answer.set("Value", value);
        return answer;
    }

    ObjectNode deleteEndpoint(final JsonNode request)
    {
        final DriverState.Endpoint endpoint = state.endpoint(id(request, "EndpointID"));
        if (null != endpoint)
        {
            withdraw(endpoint);
            vireod.deletePort(endpoint.port());
            state.removeEndpoint(endpoint.id());
        }
        return JSON.createObjectNode();
    }

    ObjectNode join(final JsonNode request)
    {
        final DriverState.Endpoint endpoint = endpoint(request);
        final DriverState.Network network = state.network(endpoint.networkId());
        if (network.ownsBridge())
        {
            // The bridge is gone if vireod restarted since CreateNetwork; Docker will not ask again.
            vireod.ensureBridge(network.bridge());
        }
        networks.programGateway(network);
        final ObjectNode port = JSON.createObjectNode()
            .put("bridge", network.bridge())
            .put("name", endpoint.port())
            .put("type", "tap")
            .put("owner", "docker")
            .put("mac", endpoint.mac())
            .put("mtu", network.mtu());
        expect(vireod.call("POST", "/v1/ports", port.toString()), "adding port " + endpoint.port() + " to bridge " + network.bridge(), 201);
        // Docker moves the TAP into the sandbox and names it eth0 once Join answers; port list shows where.
        final ObjectNode location = JSON.createObjectNode();
        location.putObject("location").put("netns", text(request, "SandboxKey")).put("ip", endpoint.address());
        expect(vireod.call("PATCH", "/v1/ports/" + endpoint.port(), location.toString()), "locating port " + endpoint.port(), 200);
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

    ObjectNode leave(final JsonNode request)
    {
        vireod.deletePort(endpoint(request).port());
        return JSON.createObjectNode();
    }

    /**
     * Publishes the endpoint's port bindings ({@code docker run -p [HOSTIP:]HOSTPORT:PORT[/PROTO]}) on the
     * network's router; all or none.
     */
    ObjectNode programExternalConnectivity(final JsonNode request)
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
        final NetworkGateway gateway = vireod.gateway(network.router());
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
    void withdraw(final DriverState.Endpoint endpoint)
    {
        final String router = state.network(endpoint.networkId()).router();
        if (null != router)
        {
            vireod.gateway(router).withdraw(endpointOwner(endpoint));
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

    DriverState.Endpoint endpoint(final JsonNode request)
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
}
