package io.vireo.vswitch.docker;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vireo.vswitch.control.NetworkGateway;

import static io.vireo.vswitch.docker.DriverMessages.JSON;
import static io.vireo.vswitch.docker.DriverMessages.id;
import static io.vireo.vswitch.docker.DriverMessages.text;
import static io.vireo.vswitch.docker.VireodCalls.expect;
import static io.vireo.vswitch.docker.VireodCalls.json;

/**
 * CreateNetwork and DeleteNetwork for {@link NetworkDriver}: a network's bridge (made by the driver, or
 * one named with {@value #OPTION_BRIDGE}), and unless it is internal its gateway on a Vireo router (the
 * router's interface on the bridge, the masquerade of its IPv4 subnets out of the router's uplink).
 */
final class DriverNetworks
{
    static final String OPTION_BRIDGE = "vireo.bridge";
    /** How many characters of a Docker id name a bridge, a port or an owner. */
    static final int SHORT_ID = 12;

    private static final String BRIDGE_PREFIX = "docker-";
    private static final String OPTION_ROUTER = "vireo.router";
    private static final String DEFAULT_ROUTER = "docker";
    private static final String OPTION_MTU = "com.docker.network.driver.mtu";
    private static final String OPTION_GENERIC = "com.docker.network.generic";
    private static final String OPTION_INTERNAL = "com.docker.network.internal";
    private static final List<String> VIREO_OPTIONS = List.of(OPTION_BRIDGE, OPTION_ROUTER);
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65535;

    private final VireodCalls vireod;
    private final DriverState state;

    DriverNetworks(final VireodCalls vireod, final DriverState state)
    {
        this.vireod = vireod;
        this.state = state;
    }

    ObjectNode createNetwork(final JsonNode request)
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
            vireod.ensureBridge(bridge);
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

    ObjectNode deleteNetwork(final JsonNode request)
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
    void programGateway(final DriverState.Network network)
    {
        if (null == network.router())
        {
            return;
        }
        final NetworkGateway gateway = vireod.gateway(network.router());
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
            final NetworkGateway gateway = vireod.gateway(network.router());
            gateway.withdraw(networkOwner(network));
            gateway.detach(network.bridge());
        }
        if (network.ownsBridge())
        {
            expect(vireod.call("DELETE", "/v1/bridges/" + network.bridge(), null), "deleting bridge " + network.bridge(), 200, 404);
        }
    }

    private static String networkOwner(final DriverState.Network network)
    {
        return "docker-network:" + network.id().substring(0, SHORT_ID);
    }

    private void requireBridge(final String bridge)
    {
        for (final JsonNode existing : json(expect(vireod.call("GET", "/v1/bridges", null), "listing bridges", 200)))
        {
            if (bridge.equals(existing.path("name").asText()))
            {
                return;
            }
        }
        throw new DriverException("vireod has no bridge named " + bridge + " (option " + OPTION_BRIDGE + ")");
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
    static String bare(final String cidr)
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
}
