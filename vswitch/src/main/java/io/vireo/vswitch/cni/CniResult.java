package io.vireo.vswitch.cni;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vireo.vswitch.link.Cidr;

/**
 * A CNI success result: what an IPAM plugin returns (no interfaces), what a {@code prevResult} holds, and
 * what this plugin prints after ADD. Read leniently (any spec version), written in the config's version:
 * <pre>
 * {"cniVersion": "1.0.0",
 *  "interfaces": [{"name": "eth0", "mac": "aa:..", "sandbox": "/run/netns/x", "mtu": 1450}],
 *  "ips": [{"address": "10.0.0.2/24", "gateway": "10.0.0.1", "interface": 0}],   0.3.x/0.4.0 add "version": "4"
 *  "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.0.1"}],
 *  "dns": {"nameservers": [...], "domain": "...", "search": [...], "options": [...]}}
 * </pre>
 */
record CniResult(List<CniResult.Interface> interfaces, List<CniResult.IpConfig> ips, List<CniResult.Route> routes,
    JsonNode dns)
{
    static final CniResult EMPTY = new CniResult(List.of(), List.of(), List.of(), null);

    /**
     * An interface the attachment created; {@code sandbox} is the namespace path, empty on the host;
     * {@code mtu} as CNI 1.1 reports it, null where unknown.
     */
    record Interface(String name, String mac, String sandbox, Integer mtu)
    {
    }

    /** An address in CIDR notation, its subnet's gateway (or null) and the index of its interface (or null). */
    record IpConfig(String address, String gateway, Integer interfaceIndex)
    {
        boolean isIpv6()
        {
            return address.contains(":");
        }

        IpConfig onInterface(final int index)
        {
            return new IpConfig(address, gateway, index);
        }
    }

    /** A route: destination in CIDR notation and next hop (null: the gateway of the address of its family). */
    record Route(String dst, String gw)
    {
    }

    /**
     * Reads a result of any supported version.
     *
     * @throws CniException code 6 naming {@code source} if it is not a result.
     */
    static CniResult parse(final JsonNode node, final String source)
    {
        if (null == node || !node.isObject())
        {
            throw new CniException(CniException.DECODING_FAILURE, source + " is not a CNI result: " + node);
        }
        final List<Interface> interfaces = new ArrayList<>();
        for (final JsonNode item : node.path("interfaces"))
        {
            interfaces.add(new Interface(required(item, "name", source), optional(item, "mac"), optional(item, "sandbox"),
                item.path("mtu").isInt() ? item.get("mtu").asInt() : null));
        }
        final List<IpConfig> ips = new ArrayList<>();
        for (final JsonNode item : node.path("ips"))
        {
            final JsonNode index = item.get("interface");
            ips.add(new IpConfig(cidr(required(item, "address", source), source), address(optional(item, "gateway"), source),
                null == index || !index.canConvertToInt() ? null : index.asInt()));
        }
        final List<Route> routes = new ArrayList<>();
        for (final JsonNode item : node.path("routes"))
        {
            routes.add(new Route(cidr(required(item, "dst", source), source), address(optional(item, "gw"), source)));
        }
        final JsonNode dns = node.get("dns");
        return new CniResult(interfaces, ips, routes, null == dns || !dns.isObject() ? null : dns);
    }

    /**
     * This result followed by {@code later}'s interfaces, addresses and routes, {@code later}'s interface
     * indexes shifted past this one's interfaces; {@code later}'s DNS wins where it has any.
     */
    CniResult followedBy(final CniResult later)
    {
        final List<Interface> allInterfaces = new ArrayList<>(interfaces);
        allInterfaces.addAll(later.interfaces);
        final List<IpConfig> allIps = new ArrayList<>(ips);
        for (final IpConfig ip : later.ips)
        {
            allIps.add(null == ip.interfaceIndex() ? ip : ip.onInterface(ip.interfaceIndex() + interfaces.size()));
        }
        final List<Route> allRoutes = new ArrayList<>(routes);
        allRoutes.addAll(later.routes);
        return new CniResult(allInterfaces, allIps, allRoutes, null != later.dns ? later.dns : dns);
    }

    /** The gateway of the first address of the family of {@code destination} that has one, or null. */
    String gatewayFor(final String destination)
    {
        final boolean ipv6 = destination.contains(":");
        for (final IpConfig ip : ips)
        {
            if (ip.isIpv6() == ipv6 && null != ip.gateway())
            {
                return ip.gateway();
            }
        }
        return null;
    }

    /** The result as the spec's version {@code cniVersion} writes it. */
    ObjectNode toJson(final ObjectMapper json, final String cniVersion)
    {
        final ObjectNode root = json.createObjectNode();
        root.put("cniVersion", cniVersion);
        final ArrayNode interfaceArray = root.putArray("interfaces");
        for (final Interface item : interfaces)
        {
            final ObjectNode entry = interfaceArray.addObject().put("name", item.name());
            putIfPresent(entry, "mac", item.mac());
            putIfPresent(entry, "sandbox", item.sandbox());
            if (null != item.mtu())
            {
                entry.put("mtu", item.mtu());
            }
        }
        final ArrayNode ipArray = root.putArray("ips");
        for (final IpConfig ip : ips)
        {
            final ObjectNode entry = ipArray.addObject();
            if (cniVersion.startsWith("0."))
            {
                entry.put("version", ip.isIpv6() ? "6" : "4");
            }
            entry.put("address", ip.address());
            putIfPresent(entry, "gateway", ip.gateway());
            if (null != ip.interfaceIndex())
            {
                entry.put("interface", ip.interfaceIndex());
            }
        }
        final ArrayNode routeArray = root.putArray("routes");
        for (final Route route : routes)
        {
            putIfPresent(routeArray.addObject().put("dst", route.dst()), "gw", route.gw());
        }
        root.set("dns", null == dns ? json.createObjectNode() : dns);
        return root;
    }

    private static void putIfPresent(final ObjectNode node, final String field, final String value)
    {
        if (null != value && !value.isEmpty())
        {
            node.put(field, value);
        }
    }

    /** Addresses end up on ip's command line: only well-formed literals get there. */
    private static String cidr(final String text, final String source)
    {
        try
        {
            return Cidr.validate(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CniException(CniException.DECODING_FAILURE, source + ": " + ex.getMessage());
        }
    }

    private static String address(final String text, final String source)
    {
        if (null != text)
        {
            cidr(text + (text.contains(":") ? "/128" : "/32"), source);
        }
        return text;
    }

    private static String required(final JsonNode item, final String field, final String source)
    {
        final String value = optional(item, field);
        if (null == value)
        {
            throw new CniException(CniException.DECODING_FAILURE, source + " has an entry without '" + field + "': " + item);
        }
        return value;
    }

    private static String optional(final JsonNode item, final String field)
    {
        final JsonNode value = item.get(field);
        return null == value || !value.isTextual() ? null : value.asText();
    }
}
