package io.vireo.vswitch.core;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.dns.DnsRecords;

/**
 * The names a router's DNS server answers for: its services' (A and SRV), and the service registry's live
 * instances' (A, AAAA and SRV) but for names a service of the router has. Kept in {@link Router#dnsRecords},
 * built again once a change to either cleared it. Control thread only: the caller holds the switch's lock.
 */
final class RouterDnsRecords
{
    /** The registry's live IPv6 instances by service name: DNS names only (NAT and services are IPv4). */
    private Map<String, List<RegistryInstances.Ipv6Instance>> registryIpv6 = Map.of();
    private long serial;

    void registryIpv6(final Map<String, List<RegistryInstances.Ipv6Instance>> instances)
    {
        registryIpv6 = Map.copyOf(instances);
    }

    /**
     * A router's DNS records, built if it has none.
     *
     * @param registryIpv4 by registry service name: {@code address << 16 | port} of each live IPv4 instance.
     */
    DnsRecords of(final Router router, final Map<String, List<Long>> registryIpv4)
    {
        if (null == router.dnsRecords)
        {
            final String domain = "." + router.dns.domain();
            final DnsRecords.Builder builder = DnsRecords.builder().domain(router.dns.domain()).ttl(router.dns.ttl())
                .serial(++serial & 0xFFFF_FFFFL);
            for (final Service service : router.services.values())
            {
                builder.addA(service.name + domain, service.vip);
                builder.addSrv(service.name + domain, 0, 1, service.port, service.name + domain);
            }
            registryIpv4.forEach((name, instances) ->
            {
                if (!router.services.containsKey(name))
                {
                    for (final long instance : instances)
                    {
                        final int address = (int)(instance >>> 16);
                        final String target = IpPrefix.formatIpv4(address).replace('.', '-') + "." + name + domain;
                        builder.addA(name + domain, address);
                        builder.addA(target, address);
                        builder.addSrv(name + domain, 0, 1, (int)instance & 0xFFFF, target);
                    }
                }
            });
            registryIpv6.forEach((name, instances) ->
            {
                if (!router.services.containsKey(name))
                {
                    for (final RegistryInstances.Ipv6Instance instance : instances)
                    {
                        // All 32 hex digits: a label whatever the address (no '::', no '-' first).
                        final String target = String.format(Locale.ROOT, "%016x%016x", instance.high(), instance.low()) + "." +
                            name + domain;
                        builder.addAaaa(name + domain, instance.high(), instance.low());
                        builder.addAaaa(target, instance.high(), instance.low());
                        builder.addSrv(name + domain, 0, 1, instance.port(), target);
                    }
                }
            });
            router.dnsRecords = builder.build();
        }
        return router.dnsRecords;
    }
}
