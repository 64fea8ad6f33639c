package io.vireo.cluster;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How a node joins a cluster.
 *
 * @param endpoints      the etcd members' client URLs, tried in order.
 * @param node           this node's name, unique in the cluster.
 * @param underlay       this node's IPv4 address on the underlay: its VXLAN endpoint's address.
 * @param vtepPort       the UDP port of its VXLAN endpoints.
 * @param leaseSeconds   how long the store keeps this node's keys after its last renewal: the time
 *                       within which a dead node disappears from every other node.
 * @param prefix         the store's keys for this cluster start with it (ends with '/').
 * @param requestTimeout the longest one store request may take before the next member is tried.
 */
public record ClusterConfig(
    List<URI> endpoints, String node, String underlay, int vtepPort, int leaseSeconds, String prefix,
    Duration requestTimeout)
{
    public static final int DEFAULT_VTEP_PORT = 4789;
    public static final int DEFAULT_LEASE_SECONDS = 5;
    public static final String DEFAULT_PREFIX = "/vireo/";
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public ClusterConfig
    {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty())
        {
            throw new IllegalArgumentException("cluster: no etcd endpoint given");
        }
        for (final URI endpoint : endpoints)
        {
            if (!("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme())) || null == endpoint.getHost())
            {
                throw new IllegalArgumentException("cluster: invalid etcd endpoint '" + endpoint + "': expected http://HOST:PORT");
            }
        }
        if (null == node || !NAME.matcher(node).matches())
        {
            throw new IllegalArgumentException("cluster: invalid node name '" + node +
                "': 1-63 letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        checkIpv4(underlay, "underlay address");
        if (vtepPort < 1 || vtepPort > 65535)
        {
            throw new IllegalArgumentException("cluster: invalid VTEP port " + vtepPort + ": must be 1..65535");
        }
        if (leaseSeconds < 2 || leaseSeconds > 3600)
        {
            throw new IllegalArgumentException("cluster: invalid lease " + leaseSeconds + " s: must be 2..3600");
        }
        if (null == prefix || !prefix.startsWith("/") || !prefix.endsWith("/"))
        {
            throw new IllegalArgumentException("cluster: invalid key prefix '" + prefix + "': must start and end with '/'");
        }
    }

    /** A node with the defaults for everything but where the store is, its name and its underlay address. */
    public static ClusterConfig of(final List<URI> endpoints, final String node, final String underlay)
    {
        return new ClusterConfig(endpoints, node, underlay, DEFAULT_VTEP_PORT, DEFAULT_LEASE_SECONDS, DEFAULT_PREFIX,
            DEFAULT_REQUEST_TIMEOUT);
    }

    /** Parses "http://H1:2379,http://H2:2379". */
    public static List<URI> parseEndpoints(final String urls)
    {
        if (null == urls || urls.isBlank())
        {
            throw new IllegalArgumentException("cluster: no etcd endpoint given");
        }
        return java.util.Arrays.stream(urls.split(",")).map(String::strip).map(url ->
        {
            try
            {
                return new URI(url);
            }
            catch (final java.net.URISyntaxException ex)
            {
                throw new IllegalArgumentException("cluster: invalid etcd endpoint '" + url + "': " + ex.getReason());
            }
        }).toList();
    }

    static InetAddress checkIpv4(final String address, final String what)
    {
        try
        {
            if (null != address && address.matches("[0-9.]+"))
            {
                final InetAddress parsed = InetAddress.getByName(address);
                if (parsed instanceof Inet4Address && !parsed.isAnyLocalAddress() && !parsed.isMulticastAddress())
                {
                    return parsed;
                }
            }
        }
        catch (final UnknownHostException ignored)
        {
            // reported below
        }
        throw new IllegalArgumentException("cluster: invalid " + what + " '" + address + "': expected a unicast IPv4 address");
    }
}
