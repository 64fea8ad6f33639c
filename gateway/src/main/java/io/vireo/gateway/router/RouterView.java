package io.vireo.gateway.router;

import io.vireo.gateway.dns.DnsRecords;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;

/**
 * One router as the forwarding threads see it. The route tables change in place (their readers never
 * wait, see {@link Ipv4RouteTable}); the next hops and interfaces are copied on change, in a new
 * {@link RouterDirectory.Snapshot}, published before any route names a new next hop.
 *
 * @param id         the router's id, its index in the snapshot.
 * @param ipv4Routes destination prefix to next hop index.
 * @param ipv6Routes the same for IPv6.
 * @param nextHops   by next hop index; a removed one is null.
 * @param interfaces the router's interfaces.
 * @param nat        its address translation rules.
 * @param dns        the names its DNS server answers for on its addresses, or null if it has none.
 * @param dnsUpstream names outside its domain go to an upstream resolver.
 */
public record RouterView(
    int id, Ipv4RouteTable ipv4Routes, Ipv6RouteTable ipv6Routes, NextHop[] nextHops, RouterInterface[] interfaces,
    NatRules nat, DnsRecords dns, boolean dnsUpstream)
{
    /** A router without a DNS server. */
    public RouterView(
        final int id, final Ipv4RouteTable ipv4Routes, final Ipv6RouteTable ipv6Routes, final NextHop[] nextHops,
        final RouterInterface[] interfaces, final NatRules nat)
    {
        this(id, ipv4Routes, ipv6Routes, nextHops, interfaces, nat, null, false);
    }

    /** The interface that owns this IPv4 address, or null. */
    public RouterInterface ownerOfIpv4(final int address)
    {
        for (final RouterInterface routerInterface : interfaces)
        {
            if (routerInterface.ownsIpv4(address))
            {
                return routerInterface;
            }
        }
        return null;
    }

    /** The interface that owns this IPv6 address, or null. */
    public RouterInterface ownerOfIpv6(final long high, final long low)
    {
        for (final RouterInterface routerInterface : interfaces)
        {
            if (routerInterface.ownsIpv6(high, low))
            {
                return routerInterface;
            }
        }
        return null;
    }
}
