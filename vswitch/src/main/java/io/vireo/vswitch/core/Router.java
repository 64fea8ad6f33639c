package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.dns.DnsRecords;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;
import io.vireo.gateway.router.NextHop;
import io.vireo.gateway.service.ServiceTable;
import io.vireo.gateway.service.ServiceView;

/**
 * One router as {@link Routers} keeps it: its interfaces by bridge name, static routes, next hops, route tables,
 * NAT rules, services and DNS settings. Changed under {@link Vireo}'s lock; the forwarding threads read what
 * {@link Routers} publishes of it.
 */
final class Router
{
    final String name;
    final int id;
    final Map<String, RouterAttachment> interfaces = new LinkedHashMap<>();
    /** Destination prefix to gateway address. */
    final Map<IpPrefix, IpPrefix> staticRoutes = new LinkedHashMap<>();
    final List<NextHop> nextHops = new ArrayList<>();
    final Map<NextHop, Integer> nextHopIds = new HashMap<>();
    final Ipv4RouteTable ipv4Routes = new Ipv4RouteTable();
    final Ipv6RouteTable ipv6Routes = new Ipv6RouteTable();
    final List<NatRuleSpec> nat = new ArrayList<>();
    final Map<String, Service> services = new LinkedHashMap<>();
    DnsSpec dns = DnsSpec.DEFAULT;
    /** The records of its DNS server; null when something they show changed. */
    DnsRecords dnsRecords;
    int nextNatId = 1;

    Router(final String name, final int id)
    {
        this.name = name;
        this.id = id;
    }

    /** The id of a next hop it has, or -1. */
    int nextHopId(final NextHop nextHop)
    {
        final Integer known = nextHopIds.get(nextHop);
        return null == known ? -1 : known;
    }

    /** Adds a next hop it does not have; returns its id. */
    int addNextHop(final NextHop nextHop)
    {
        final int id = nextHops.size();
        if (id > Ipv4RouteTable.MAX_NEXT_HOP)
        {
            throw VireoException.invalid("router " + name + " has " + id + " next hops already, the most it can have");
        }
        nextHops.add(nextHop);
        nextHopIds.put(nextHop, id);
        return id;
    }

    void addRoute(final IpPrefix prefix, final int nextHop)
    {
        try
        {
            if (prefix.isIpv4())
            {
                ipv4Routes.add((int)prefix.low(), prefix.length(), nextHop);
            }
            else
            {
                ipv6Routes.add(prefix.high(), prefix.low(), prefix.length(), nextHop);
            }
        }
        catch (final IllegalStateException ex)
        {
            throw VireoException.conflict("router " + name + " cannot take the route to " + prefix + ": " + ex.getMessage());
        }
    }

    void removeRoute(final IpPrefix prefix)
    {
        if (prefix.isIpv4())
        {
            ipv4Routes.remove((int)prefix.low(), prefix.length());
        }
        else
        {
            ipv6Routes.remove(prefix.high(), prefix.low(), prefix.length());
        }
    }

    NatRules natRules()
    {
        final NatRules rules = Nat.compile(nat, bridge -> interfaces.get(bridge).bridgeId());
        if (services.isEmpty())
        {
            return rules;
        }
        return new NatRules(rules.masqueradeBridges(), rules.masqueradeFrom(), rules.masqueradeFromLengths(),
            rules.publishProtocols(), rules.publishPorts(), rules.publishBridges(), rules.publishTargets(),
            rules.publishTargetPorts(), new ServiceTable(services.values().stream().map(Service::view).toArray(ServiceView[]::new)));
    }

    /** The interface that has this IPv4 address, or null. */
    RouterAttachment ownerOf(final int address)
    {
        for (final RouterAttachment attachment : interfaces.values())
        {
            for (final InterfaceAddress one : attachment.addresses())
            {
                if (one.address().isIpv4() && (int)one.address().low() == address)
                {
                    return attachment;
                }
            }
        }
        return null;
    }

    RouterAttachment onLink(final IpPrefix host)
    {
        for (final RouterAttachment attachment : interfaces.values())
        {
            for (final InterfaceAddress address : attachment.addresses())
            {
                if (address.contains(host))
                {
                    return attachment;
                }
            }
        }
        return null;
    }

    List<RouteInfo> routeInfos()
    {
        final List<RouteInfo> routes = new ArrayList<>();
        for (final RouterAttachment attachment : interfaces.values())
        {
            for (final InterfaceAddress address : attachment.addresses())
            {
                routes.add(new RouteInfo(address.subnet().toString(), null, attachment.bridgeName(), true));
            }
        }
        for (final Map.Entry<IpPrefix, IpPrefix> route : staticRoutes.entrySet())
        {
            final RouterAttachment on = onLink(route.getValue());
            routes.add(new RouteInfo(route.getKey().toString(), host(route.getValue()), null == on ? null : on.bridgeName(), false));
        }
        return routes;
    }

    static String host(final IpPrefix address)
    {
        return address.isIpv4() ? IpPrefix.formatIpv4((int)address.low()) : IpPrefix.formatIpv6(address.high(), address.low());
    }
}
