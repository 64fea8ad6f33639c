package io.vireo.vswitch.control;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a container network asks of a Vireo router, through the control API: the CNI plugin and the Docker
 * driver both use it.
 * <ul>
 *   <li>{@link #attach}: the router (made if missing) gets an interface on the network's bridge with the
 *   network's gateway address, so it answers ARP for it and routes the containers' traffic;</li>
 *   <li>{@link #masquerade}: connections from the network's subnet leaving by the router's <em>uplink</em> (the
 *   interface its default route 0.0.0.0/0 leaves by) get the router's address there;</li>
 *   <li>{@link #publish}: a port of the router's addresses goes to a container;</li>
 *   <li>{@link #withdraw}: takes back every rule made under one owner.</li>
 * </ul>
 * Every call can be repeated and raced: the switch answers an interface or rule it has already with what it
 * has. A refusal is a {@link GatewayException} carrying the switch's one-line reason.
 */
public final class NetworkGateway
{
    private static final String IPV4_DEFAULT = "0.0.0.0/0";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ControlChannel control;
    private final String router;

    public NetworkGateway(final ControlChannel control, final String router)
    {
        this.control = control;
        this.router = router;
    }

    /** Gives the router (adding it if it does not exist) an interface on {@code bridge} with these addresses. */
    public void attach(final String bridge, final List<String> addresses)
    {
        expect(call("POST", "/v1/routers", JSON.createObjectNode().put("name", router)), "adding router " + router, 201, 409);
        final ObjectNode request = JSON.createObjectNode().put("bridge", bridge);
        addresses.forEach(request.putArray("ip")::add);
        expect(call("POST", routerPath("/interfaces"), request),
            "giving router " + router + " the gateway " + String.join(", ", addresses) + " on bridge " + bridge, 201);
    }

    /** Takes the router off {@code bridge}; nothing to do if it is not there. */
    public void detach(final String bridge)
    {
        expect(call("DELETE", routerPath("/interfaces/" + bridge), null),
            "taking router " + router + " off bridge " + bridge, 200, 404);
    }

    /** The bridge the router's IPv4 default route leaves by, or null if it has none. */
    public String uplink()
    {
        final ControlApi.Response routes = call("GET", routerPath("/routes"), null);
        if (404 == routes.status())
        {
            return null;
        }
        for (final JsonNode route : json(expect(routes, "listing the routes of router " + router, 200)).path("routes"))
        {
            if (IPV4_DEFAULT.equals(route.path("prefix").asText()))
            {
                return route.path("bridge").asText();
            }
        }
        return null;
    }

    /**
     * Masquerades new connections from {@code from} leaving by the router's uplink.
     *
     * @throws GatewayException (invalid) if the router has no default route, so no uplink.
     */
    public void masquerade(final String from, final String owner)
    {
        final String uplink = uplink();
        if (null == uplink)
        {
            throw new GatewayException(true, "router " + router + " has no uplink to masquerade " + from +
                " out of: give it an interface on the outside and a default route " +
                "(vireoctl router attach " + router + " BRIDGE --ip CIDR; vireoctl route add " + router + " 0.0.0.0/0 --via IP)");
        }
        final ObjectNode rule = JSON.createObjectNode().put("type", "masquerade").put("out", uplink).put("from", from)
            .put("owner", owner);
        expect(call("POST", routerPath("/nat"), rule), "masquerading " + from + " on router " + router, 201);
    }

    /**
     * Publishes {@code protocol} port {@code port} of the router's addresses (all of them, or only
     * {@code hostIp} if given and not a wildcard) to {@code to} ({@code IP:PORT}).
     */
    public void publish(final String protocol, final int port, final String to, final String hostIp, final String owner)
    {
        final ObjectNode rule = JSON.createObjectNode().put("type", "publish").put("protocol", protocol).put("port", port)
            .put("to", to).put("owner", owner);
        if (null != hostIp && !hostIp.isEmpty() && !"0.0.0.0".equals(hostIp) && !"::".equals(hostIp))
        {
            rule.put("on", interfaceWith(hostIp));
        }
        expect(call("POST", routerPath("/nat"), rule),
            "publishing " + protocol + " port " + port + " of router " + router + " to " + to, 201);
    }

    /** Deletes every rule of {@code owner}; none, or no router, is no error. */
    public void withdraw(final String owner)
    {
        final ControlApi.Response rules = call("GET", routerPath("/nat"), null);
        if (404 == rules.status())
        {
            return;
        }
        for (final JsonNode rule : json(expect(rules, "listing the NAT rules of router " + router, 200)).path("rules"))
        {
            if (owner.equals(rule.path("owner").asText(null)))
            {
                expect(call("DELETE", routerPath("/nat/" + rule.path("id").asInt()), null),
                    "deleting NAT rule " + rule.path("id").asInt() + " of router " + router, 200, 404);
            }
        }
    }

    /** The owners of the router's NAT rules (none if there is no such router). */
    public Set<String> owners()
    {
        final ControlApi.Response rules = call("GET", routerPath("/nat"), null);
        final Set<String> owners = new TreeSet<>();
        if (404 != rules.status())
        {
            for (final JsonNode rule : json(expect(rules, "listing the NAT rules of router " + router, 200)).path("rules"))
            {
                if (rule.path("owner").isTextual())
                {
                    owners.add(rule.get("owner").asText());
                }
            }
        }
        return owners;
    }

    /** The bridge of the router's interface that has {@code address}. */
    private String interfaceWith(final String address)
    {
        final JsonNode info = json(expect(call("GET", routerPath(""), null), "reading router " + router, 200));
        for (final JsonNode routerInterface : info.path("interfaces"))
        {
            for (final JsonNode cidr : routerInterface.path("addresses"))
            {
                if (cidr.asText().startsWith(address + "/"))
                {
                    return routerInterface.path("bridge").asText();
                }
            }
        }
        throw new GatewayException(true, "host address " + address + " is not an address of router " + router);
    }

    /** Router and bridge names are letters, digits and '_.-' (the switch refuses others): no escaping. */
    private String routerPath(final String rest)
    {
        return "/v1/routers/" + router + rest;
    }

    private ControlApi.Response call(final String method, final String path, final JsonNode body)
    {
        return control.request(method, path, null == body ? null : body.toString());
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
        final String reason = json(response).path("error").asText(response.body());
        throw new GatewayException(400 == response.status() || 404 == response.status() || 409 == response.status(),
            what + ": " + reason);
    }

    private static JsonNode json(final ControlApi.Response response)
    {
        try
        {
            return JSON.readTree(response.body());
        }
        catch (final IOException ex)
        {
            throw new GatewayException(false, "vireod answered something that is not JSON: " + response.body());
        }
    }

    /** The switch refused, or answered something unexpected. */
    public static final class GatewayException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        private final boolean invalid;

        GatewayException(final boolean invalid, final String message)
        {
            super(message);
            this.invalid = invalid;
        }

        /** True if the request was at fault (the configuration asked for something wrong), not the switch. */
        public boolean invalid()
        {
            return invalid;
        }
    }
}
