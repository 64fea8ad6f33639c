package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.vireo.flowtable.policy.IpPrefix;

/**
 * The service registry's live instances as the routers follow them: IPv4 ones by service name (for the
 * services that take backends from the registry, and DNS), IPv6 ones (for DNS alone). Control thread only: the
 * caller holds the switch's lock.
 */
final class RegistryInstances
{
    /** A live IPv6 instance of the registry: its address and port. */
    record Ipv6Instance(long high, long low, int port)
    {
    }

    /** By service name: {@code address << 16 | port} of each live IPv4 instance. */
    private final Map<String, List<Long>> ipv4 = new TreeMap<>();
    private final Map<String, List<Ipv6Instance>> ipv6 = new TreeMap<>();

    /** A service's live instances are now these: {@code IP:PORT} each, an IPv6 one as {@code [IP]:PORT}. */
    void changed(final String service, final List<String> instances)
    {
        final List<Long> ipv4Instances = new ArrayList<>();
        final List<Ipv6Instance> ipv6Instances = new ArrayList<>();
        for (final String instance : instances)
        {
            if (instance.startsWith("["))
            {
                final int close = instance.indexOf("]:");
                final IpPrefix address = Routers.parsePrefix(instance.substring(1, close));
                ipv6Instances.add(new Ipv6Instance(address.high(), address.low(), Integer.parseInt(instance.substring(close + 2))));
            }
            else
            {
                ipv4Instances.add(Service.endpoint(instance, "instance"));
            }
        }
        put(ipv4, service, ipv4Instances);
        put(ipv6, service, ipv6Instances);
    }

    /** By service name: {@code address << 16 | port} of each live IPv4 instance. */
    Map<String, List<Long>> ipv4()
    {
        return ipv4;
    }

    Map<String, List<Ipv6Instance>> ipv6()
    {
        return ipv6;
    }

    private static <T> void put(final Map<String, List<T>> map, final String key, final List<T> values)
    {
        if (values.isEmpty())
        {
            map.remove(key);
        }
        else
        {
            map.put(key, List.copyOf(values));
        }
    }
}
