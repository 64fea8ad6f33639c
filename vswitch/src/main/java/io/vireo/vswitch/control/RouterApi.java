package io.vireo.vswitch.control;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vireo.vswitch.core.DnsSpec;
import io.vireo.vswitch.core.NatRuleSpec;
import io.vireo.vswitch.core.ServiceSpec;
import io.vireo.vswitch.core.VireoGateway;

import static io.vireo.vswitch.control.ControlApi.created;
import static io.vireo.vswitch.control.ControlApi.error;
import static io.vireo.vswitch.control.ControlApi.ok;
import static io.vireo.vswitch.control.ControlApi.parse;
import static io.vireo.vswitch.control.ControlApi.requireMethod;
import static io.vireo.vswitch.control.ControlApi.required;

/**
 * The control API's routers: {@code /v1/routers[/{name}]} and what a router has under it (interfaces, routes,
 * NAT rules, services and their backends, DNS, tracked connections). Called by {@link ControlApi}, under its
 * lock, which turns what a call throws into an error response.
 */
final class RouterApi
{
    /** Connections in a page when the request does not say: about 14 MB of JSON. */
    static final int DEFAULT_CONNECTIONS_PAGE = 100_000;
    /** The most connections a page may hold: about 140 MB of JSON. */
    static final int MAX_CONNECTIONS_PAGE = 1_000_000;

    private final VireoGateway gateway;

    RouterApi(final VireoGateway gateway)
    {
        this.gateway = gateway;
    }

    ControlApi.Response routers(final String method, final String name, final String body) throws JsonProcessingException
    {
        if (null == name)
        {
            if ("GET".equals(method))
            {
                return ok(gateway.routers());
            }
            requireMethod(method, "POST");
            final ControlApi.RouterRequest request = parse(body, ControlApi.RouterRequest.class);
            required(request.name(), "name");
            return created(gateway.addRouter(request.name()));
        }
        if ("GET".equals(method))
        {
            return ok(gateway.router(name));
        }
        requireMethod(method, "DELETE");
        gateway.deleteRouter(name);
        return ok(Map.of("deleted", name));
    }

    /**
     * {@code /v1/routers/{name}/ITEMS...}: interfaces, routes, nat, services, dns and conntrack.
     *
     * @param parts the path split at '/': {@code parts[4]} names the items.
     * @param query the request's query, after the '?': a listing of connections takes {@code from} and {@code limit}.
     */
    ControlApi.Response items(
        final String method, final String router, final String[] parts, final String query, final String body)
        throws JsonProcessingException
    {
        final String item = parts.length > 5 ? String.join("/", Arrays.copyOfRange(parts, 5, parts.length)) : null;
        switch (parts[4])
        {
            case "interfaces":
                if (null == item)
                {
                    requireMethod(method, "POST");
                    final ControlApi.InterfaceRequest request = parse(body, ControlApi.InterfaceRequest.class);
                    required(request.bridge(), "bridge");
                    required(request.ip(), "ip");
                    return created(
                        gateway.attachRouter(router, request.bridge(), request.ip(), request.mac(), request.mtu()));
                }
                requireMethod(method, "DELETE");
                return ok(gateway.detachRouter(router, item));
            case "routes":
                if (null == item)
                {
                    if ("GET".equals(method))
                    {
                        return ok(Map.of("router", router, "routes", gateway.routes(router)));
                    }
                    requireMethod(method, "POST");
                    final ControlApi.RouteRequest request = parse(body, ControlApi.RouteRequest.class);
                    required(request.prefix(), "prefix");
                    return created(gateway.addRoute(router, request.prefix(), request.via()));
                }
                requireMethod(method, "DELETE");
                gateway.deleteRoute(router, item);
                return ok(Map.of("deleted", item));
            case "nat":
                if (null == item)
                {
                    if ("GET".equals(method))
                    {
                        return ok(Map.of("router", router, "rules", gateway.nat(router)));
                    }
                    requireMethod(method, "POST");
                    return created(gateway.addNat(router, parse(body, NatRuleSpec.class)));
                }
                requireMethod(method, "DELETE");
                try
                {
                    gateway.deleteNat(router, Integer.parseInt(item));
                }
                catch (final NumberFormatException ex)
                {
                    return error(404, "no such path: NAT rule ids are numbers, not '" + item + "'");
                }
                return ok(Map.of("deleted", Integer.parseInt(item)));
            case "services":
                return services(method, router, Arrays.copyOfRange(parts, 5, parts.length), body);
            case "dns":
                if (null != item)
                {
                    return error(404, "no such path: /v1/routers/{name}/dns has no items");
                }
                if ("GET".equals(method))
                {
                    return ok(Map.of("router", router, "dns", gateway.dns(router), "queries", gateway.dnsCounts()));
                }
                requireMethod(method, "PUT");
                return ok(gateway.setDns(router, parse(body, DnsSpec.class)));
            case "conntrack":
                if (null != item)
                {
                    return error(404, "no such path: /v1/routers/{name}/conntrack has no items");
                }
                if ("GET".equals(method))
                {
                    return connections(router, query);
                }
                requireMethod(method, "DELETE");
                return ok(Map.of("router", router, "flushed", gateway.flushConnections(router)));
            default:
                return error(404, "no such path: a router has interfaces, routes, nat, services, dns and conntrack, not '" +
                    parts[4] + "'");
        }
    }

    /** A page of a router's connections: {@code from=N&limit=M}, both optional. */
    private ControlApi.Response connections(final String router, final String query) throws JsonProcessingException
    {
        final int from;
        final int limit;
        try
        {
            final Map<String, String> parameters =
                QueryParameters.parse(query, "a listing of connections", List.of("from", "limit"));
            final long fromValue =
                parameters.containsKey("from") ? QueryParameters.number(parameters.get("from"), "from") : 0;
            final long limitValue = parameters.containsKey("limit") ?
                QueryParameters.number(parameters.get("limit"), "limit") : DEFAULT_CONNECTIONS_PAGE;
            if (fromValue > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("from must be the last page's next, not " + fromValue);
            }
            if (limitValue < 1 || limitValue > MAX_CONNECTIONS_PAGE)
            {
                throw new IllegalArgumentException("limit must be 1.." + MAX_CONNECTIONS_PAGE + ", not " + limitValue);
            }
            from = (int)fromValue;
            limit = (int)limitValue;
        }
        catch (final IllegalArgumentException ex)
        {
            return error(400, ex.getMessage());
        }
        return ok(gateway.connections(router, from, limit));
    }

    /** {@code /v1/routers/{router}/services[/{name}[/backends[/{address}]]]}: {@code items} is what follows services. */
    private ControlApi.Response services(final String method, final String router, final String[] items, final String body)
        throws JsonProcessingException
    {
        if (0 == items.length)
        {
            if ("GET".equals(method))
            {
                return ok(Map.of("router", router, "services", gateway.services(router)));
            }
            requireMethod(method, "POST");
            final ServiceSpec spec = parse(body, ServiceSpec.class);
            required(spec.name(), "name");
            required(spec.vip(), "vip");
            return created(gateway.addService(router, spec));
        }
        final String name = items[0];
        if (1 == items.length)
        {
            if ("GET".equals(method))
            {
                return ok(gateway.service(router, name));
            }
            requireMethod(method, "DELETE");
            gateway.deleteService(router, name);
            return ok(Map.of("deleted", name));
        }
        if (!"backends".equals(items[1]) || items.length > 3)
        {
            return error(404, "no such path: a service has backends, /v1/routers/{name}/services/{service}/backends");
        }
        if (2 == items.length)
        {
            requireMethod(method, "POST");
            final ServiceSpec.BackendSpec backend = parse(body, ServiceSpec.BackendSpec.class);
            required(backend.address(), "address");
            return created(gateway.addBackend(router, name, backend));
        }
        requireMethod(method, "DELETE");
        return ok(gateway.deleteBackend(router, name, items[2]));
    }
}
