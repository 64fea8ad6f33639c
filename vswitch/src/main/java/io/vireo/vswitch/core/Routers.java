package io.vireo.vswitch.core;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import io.vireo.dataplane.pipeline.Features;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.dns.DnsRecords;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.NextHop;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.router.RouterView;

/**
 * The routers as the control plane keeps them: names, interfaces on bridges, static routes, NAT rules,
 * services, and the route tables and next hops the forwarding threads read ({@link RouterDirectory}). Every change
 * publishes a new snapshot before a route can name what it adds, and switches the
 * {@link Features#ROUTER} stage on for the bridges that have an interface. Called under
 * {@link Vireo}'s lock.
 */
final class Routers
{
    /** The MTU of a router interface unless given. */
    static final int DEFAULT_MTU = 1500;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final RouterDirectory directory;
    private final NeighbourTable neighbours;
    private final Features features;
    private final Runnable quiesce;
    private final RouterServices services;
    private final Map<String, Router> routers = new LinkedHashMap<>();
    private final RouterDnsRecords dnsRecords = new RouterDnsRecords();
    private final List<Router> byId = new ArrayList<>();

    /**
     * @param quiesce     waits until no forwarding thread still reads a table that was unpublished.
     * @param connections the connection table: a backend that goes takes its connections with it.
     */
    Routers(final RouterDirectory directory, final NeighbourTable neighbours, final Features features, final Runnable quiesce,
        final ConnectionTable connections)
    {
        this.directory = directory;
        this.neighbours = neighbours;
        this.features = features;
        this.quiesce = quiesce;
        this.services = new RouterServices(new BackendSlots(directory.backendStats()), connections, this::publish, quiesce);
    }

    RouterInfo add(final String name)
    {
        if (null == name || !NAME.matcher(name).matches())
        {
            throw VireoException.invalid("invalid router name '" + name +
                "': 1-32 letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        if (routers.containsKey(name))
        {
            throw VireoException.conflict("router " + name + " already exists");
        }
        int id = byId.indexOf(null);
        if (id < 0)
        {
            id = byId.size();
            byId.add(null);
        }
        final Router router = new Router(name, id);
        routers.put(name, router);
        byId.set(id, router);
        publish();
        return info(router);
    }

    void delete(final String name)
    {
        final Router router = router(name);
        for (final RouterAttachment attachment : List.copyOf(router.interfaces.values()))
        {
            detach(router, attachment);
        }
        final List<Service> taken = services.takeAll(router);
        routers.remove(name);
        byId.set(router.id, null);
        publish();
        quiesce.run();
        services.end(router, taken);
        router.ipv4Routes.close();
        router.ipv6Routes.close();
    }

    /** Frees every router's route tables; once the forwarding threads have stopped, with the switch. */
    void close()
    {
        for (final Router router : routers.values())
        {
            router.ipv4Routes.close();
            router.ipv6Routes.close();
        }
    }

    List<RouterInfo> list()
    {
        return routers.values().stream().map(this::info).toList();
    }

    RouterInfo get(final String name)
    {
        return info(router(name));
    }

    /**
     * Gives a router an interface on a bridge with these addresses ({@code ADDRESS/LENGTH}, IPv4 or
     * IPv6) and their connected routes.
     */
    RouterInfo attach(final String name, final Bridge bridge, final List<String> addresses, final String mac, final Integer mtu)
    {
        final Router router = router(name);
        if (null == addresses || addresses.isEmpty())
        {
            throw VireoException.invalid("give the interface at least one address (--ip ADDRESS/LENGTH)");
        }
        final int interfaceMtu = null == mtu ? DEFAULT_MTU : mtu;
        if (interfaceMtu < 1280 || interfaceMtu > 9216)
        {
            throw VireoException.invalid("invalid MTU " + interfaceMtu + ": must be 1280..9216");
        }
        final long interfaceMac = null == mac ? randomMac() : parseMac(mac);
        final List<InterfaceAddress> parsed = new ArrayList<>();
        for (final String address : addresses)
        {
            parsed.add(InterfaceAddress.parse(address));
        }
        final RouterInterface existing = directory.snapshot().interfaceOn(bridge.id);
        if (null != existing)
        {
            final RouterAttachment same = router.interfaces.get(bridge.name);
            if (null != same && same.sameAs(parsed, null == mac ? same.mac() : interfaceMac, null == mtu ? same.mtu() : interfaceMtu))
            {
                // Asked again for what it has: the gateway of a network that two containers set up at once.
                return info(router);
            }
            throw VireoException.conflict("bridge " + bridge.name + " already has an interface of router " +
                byId.get(existing.routerId()).name + (null == same ? "" : " with " + same.addressTexts()));
        }
        for (final InterfaceAddress one : parsed)
        {
            for (final RouterAttachment other : router.interfaces.values())
            {
                for (final InterfaceAddress taken : other.addresses())
                {
                    if (taken.subnet().equals(one.subnet()))
                    {
                        throw VireoException.conflict("router " + name + " has " + taken.text() + " on bridge " +
                            other.bridgeName() + " already, in the same subnet as " + one.text());
                    }
                }
            }
        }

        final RouterAttachment attachment = new RouterAttachment(bridge.name, bridge.id, interfaceMac, interfaceMtu, parsed);
        router.interfaces.put(bridge.name, attachment);
        final int connected = nextHop(router, NextHop.connected(bridge.id));
        publish();
        for (final InterfaceAddress address : parsed)
        {
            router.addRoute(address.subnet(), connected);
        }
        features.set(bridge.id, Features.ROUTER, true);
        return info(router);
    }

    /** Takes a router's interface off a bridge, with its connected routes and the routes through it. */
    RouterInfo detach(final String name, final String bridgeName)
    {
        final Router router = router(name);
        final RouterAttachment attachment = router.interfaces.get(bridgeName);
        if (null == attachment)
        {
            throw VireoException.notFound("router " + name + " has no interface on bridge " + bridgeName);
        }
        detach(router, attachment);
        return info(router);
    }

    /** Detaches whatever router has an interface on a bridge that is being deleted. */
    void bridgeDeleted(final Bridge bridge)
    {
        for (final Router router : routers.values())
        {
            final RouterAttachment attachment = router.interfaces.get(bridge.name);
            if (null != attachment)
            {
                detach(router, attachment);
            }
        }
    }

    RouteInfo addRoute(final String name, final String prefix, final String via)
    {
        final Router router = router(name);
        final IpPrefix destination = parsePrefix(prefix);
        if (null == via)
        {
            throw VireoException.invalid("give the route a gateway: --via ADDRESS");
        }
        final IpPrefix gateway = parsePrefix(via);
        if (gateway.isIpv4() != destination.isIpv4() || gateway.length() != gateway.addressBits())
        {
            throw VireoException.invalid("gateway " + via + " must be one " + (destination.isIpv4() ? "IPv4" : "IPv6") +
                " address");
        }
        if (router.staticRoutes.containsKey(destination))
        {
            throw VireoException.conflict("router " + name + " has a route to " + destination + " already");
        }
        final RouterAttachment on = router.onLink(gateway);
        if (null == on)
        {
            throw VireoException.invalid("gateway " + via + " is not in the subnet of any interface of router " + name);
        }
        router.staticRoutes.put(destination, gateway);
        router.addRoute(destination, nextHop(router, new NextHop(on.bridgeId(), false, gateway.high(), gateway.low())));
        return new RouteInfo(destination.toString(), Router.host(gateway), on.bridgeName(), false);
    }

    void deleteRoute(final String name, final String prefix)
    {
        final Router router = router(name);
        final IpPrefix destination = parsePrefix(prefix);
        if (null == router.staticRoutes.remove(destination))
        {
            throw VireoException.notFound("router " + name + " has no static route to " + destination);
        }
        router.removeRoute(destination);
    }

    List<RouteInfo> routes(final String name)
    {
        return router(name).routeInfos();
    }

    /**
     * Adds an address translation rule; it applies to new connections from now on. A rule equal to one the
     * router has (owner included) is that rule: adding it again changes nothing and answers it, so that
     * callers racing to set up one network need no lock.
     *
     * @throws VireoException (conflict) for a published port that another rule publishes already.
     */
    NatRuleSpec addNat(final String name, final NatRuleSpec spec)
    {
        final Router router = router(name);
        if (null != spec.id())
        {
            throw VireoException.invalid("id is assigned by the switch; leave it out");
        }
        final NatRuleSpec rule = Nat.check(spec, null, router.interfaces.keySet());
        for (final NatRuleSpec existing : router.nat)
        {
            if (existing.withId(null).equals(rule))
            {
                return existing;
            }
            if (Nat.overlaps(existing, rule))
            {
                throw VireoException.conflict(rule.protocol() + " port " + rule.port() + " of router " + name +
                    " is published to " + existing.to() + " already (rule " + existing.id() +
                    (null == existing.owner() ? "" : ", owner " + existing.owner()) + ")");
            }
        }
        if (Nat.PUBLISH.equals(rule.type()))
        {
            for (final Service service : router.services.values())
            {
                if (service.protocolName.equals(rule.protocol()) && service.port == rule.port() && null != router.ownerOf(service.vip))
                {
                    throw VireoException.conflict(rule.protocol() + " port " + rule.port() + " of router " + name +
                        " is service " + service.name + " already");
                }
            }
        }
        final NatRuleSpec added = rule.withId(router.nextNatId++);
        router.nat.add(added);
        publish();
        return added;
    }

    void deleteNat(final String name, final int id)
    {
        final Router router = router(name);
        if (!router.nat.removeIf(rule -> rule.id() == id))
        {
            throw VireoException.notFound("router " + name + " has no NAT rule " + id);
        }
        publish();
    }

    List<NatRuleSpec> nat(final String name)
    {
        return List.copyOf(router(name).nat);
    }

    ServiceInfo addService(final String name, final ServiceSpec spec)
    {
        return services.add(router(name), spec);
    }

    void deleteService(final String name, final String serviceName)
    {
        services.delete(router(name), serviceName);
    }

    ServiceInfo addBackend(final String name, final String serviceName, final ServiceSpec.BackendSpec spec)
    {
        return services.addBackend(router(name), serviceName, spec);
    }

    ServiceInfo deleteBackend(final String name, final String serviceName, final String address)
    {
        return services.deleteBackend(router(name), serviceName, address);
    }

    List<ServiceInfo> services(final String name)
    {
        return services.list(router(name));
    }

    ServiceInfo service(final String name, final String serviceName)
    {
        return services.get(router(name), serviceName);
    }

    List<ServiceSpec> serviceSpecs(final String name)
    {
        return services.specs(router(name));
    }

    /**
     * The registry's live instances changed: the services that take backends from it follow
     * ({@link RouterServices#registryChanged}), and every router's DNS names.
     *
     * @param instances     by registry service name: {@code address << 16 | port} of each live IPv4 instance.
     * @param ipv6Instances by registry service name: each live IPv6 instance, for DNS.
     */
    void registryChanged(final Map<String, List<Long>> instances,
        final Map<String, List<RegistryInstances.Ipv6Instance>> ipv6Instances)
    {
        dnsRecords.registryIpv6(ipv6Instances);
        services.registryChanged(routers.values(), instances);
    }

    /** The services whose backends are probed, every router's: a list the prober walks by index, allocating nothing. */
    List<Service> probed()
    {
        return services.probed();
    }

    /** Whether a router has a service whose backends are probed. */
    boolean probes(final String name)
    {
        return services.probes(router(name));
    }

    /** A backend of the service went in or out of selection. */
    void healthChanged(final Service service)
    {
        services.healthChanged(service);
    }

    /**
     * Sets a router's DNS server: each field given replaces what it has.
     *
     * @throws VireoException (invalid) for a bad domain, TTL or upstream.
     */
    DnsSpec setDns(final String name, final DnsSpec spec)
    {
        final Router router = router(name);
        final DnsSpec current = router.dns;
        final DnsSpec next = new DnsSpec(null == spec.enabled() ? current.enabled() : spec.enabled(),
            null == spec.domain() ? current.domain() : spec.domain().toLowerCase(Locale.ROOT),
            null == spec.ttl() ? current.ttl() : spec.ttl(),
            null == spec.upstream() ? current.upstream() : spec.upstream().isEmpty() ? null : spec.upstream());
        try
        {
            DnsRecords.builder().domain(next.domain()).ttl(next.ttl()).build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid("invalid DNS settings: " + ex.getMessage());
        }
        if (null != next.upstream())
        {
            upstreamAddress(next.upstream());
        }
        router.dns = next;
        router.dnsRecords = null;
        publish();
        return next;
    }

    DnsSpec dns(final String name)
    {
        return router(name).dns;
    }

    /** Each router's upstream resolver, by router id: those that have one. */
    Map<Integer, InetSocketAddress> upstreams()
    {
        final Map<Integer, InetSocketAddress> upstreams = new HashMap<>();
        for (final Router router : routers.values())
        {
            if (null != router.dns.upstream())
            {
                upstreams.put(router.id, upstreamAddress(router.dns.upstream()));
            }
        }
        return upstreams;
    }

    /** {@code IP[:PORT]}, port 53 by default. */
    private static InetSocketAddress upstreamAddress(final String text)
    {
        final long endpoint = Service.endpoint(text.contains(":") ? text : text + ":53", "upstream");
        final int address = (int)(endpoint >>> 16);
        return new InetSocketAddress(IpPrefix.formatIpv4(address), (int)endpoint & 0xFFFF);
    }

    /** The id the router's connections are tracked under. */
    int zone(final String name)
    {
        return router(name).id;
    }

    private void detach(final Router router, final RouterAttachment attachment)
    {
        router.interfaces.remove(attachment.bridgeName());
        for (final InterfaceAddress address : attachment.addresses())
        {
            router.removeRoute(address.subnet());
        }
        router.staticRoutes.entrySet().removeIf(route ->
        {
            if (null == router.onLink(route.getValue()))
            {
                router.removeRoute(route.getKey());
                return true;
            }
            return false;
        });
        router.nat.removeIf(rule -> attachment.bridgeName().equals(rule.out()) || attachment.bridgeName().equals(rule.on()));
        features.set(attachment.bridgeId(), Features.ROUTER, false);
        publish();
        neighbours.removeBridge(attachment.bridgeId());
    }

    private Router router(final String name)
    {
        final Router router = routers.get(name);
        if (null == router)
        {
            throw VireoException.notFound("no router " + name);
        }
        return router;
    }

    private void publish()
    {
        final RouterInterface[] interfaces = new RouterInterface[directory.snapshot().interfaces().length];
        final RouterView[] views = new RouterView[byId.size()];
        for (final Router router : routers.values())
        {
            final List<RouterInterface> own = new ArrayList<>();
            for (final RouterAttachment attachment : router.interfaces.values())
            {
                final RouterInterface routerInterface = attachment.toInterface(router.id);
                interfaces[attachment.bridgeId()] = routerInterface;
                own.add(routerInterface);
            }
            views[router.id] = new RouterView(router.id, router.ipv4Routes, router.ipv6Routes,
                router.nextHops.toArray(new NextHop[0]), own.toArray(new RouterInterface[0]), router.natRules(),
                router.dns.enabled() ? dnsRecords.of(router, services.registryInstances()) : null, null != router.dns.upstream());
        }
        directory.publish(new RouterDirectory.Snapshot(interfaces, views));
    }

    /** The id of a router's next hop, added and published (before any route names it) if it is new. */
    private int nextHop(final Router router, final NextHop nextHop)
    {
        final int known = router.nextHopId(nextHop);
        if (known >= 0)
        {
            return known;
        }
        final int id = router.addNextHop(nextHop);
        publish();
        return id;
    }

    private RouterInfo info(final Router router)
    {
        final List<RouterInfo.InterfaceInfo> interfaces = router.interfaces.values().stream()
            .map(attachment -> new RouterInfo.InterfaceInfo(attachment.bridgeName(), MacAddress.format(attachment.mac()),
                attachment.mtu(), attachment.addresses().stream().map(InterfaceAddress::text).toList()))
            .toList();
        return new RouterInfo(router.name, interfaces, router.routeInfos().size());
    }

    private static long randomMac()
    {
        // Locally administered, unicast: peers on other hosts' bridges must not see two routers with one MAC.
        return (RANDOM.nextLong() & 0xFEFF_FFFF_FFFFL & MacAddress.BROADCAST) | 0x0200_0000_0000L;
    }

    private static long parseMac(final String text)
    {
        final long mac;
        try
        {
            mac = MacAddress.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid("invalid MAC '" + text + "': " + ex.getMessage());
        }
        if (MacAddress.isMulticast(mac) || MacAddress.isZero(mac))
        {
            throw VireoException.invalid("invalid MAC " + text + ": must be unicast and not zero");
        }
        return mac;
    }

    /** @throws VireoException (invalid) saying why the text is not a prefix. */
    static IpPrefix parsePrefix(final String text)
    {
        if (null == text)
        {
            throw VireoException.invalid("give a prefix: ADDRESS/LENGTH");
        }
        try
        {
            return IpPrefix.parse(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw VireoException.invalid("invalid prefix '" + text + "': " + ex.getMessage());
        }
    }
}
