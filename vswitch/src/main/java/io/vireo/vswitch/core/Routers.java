package io.vireo.vswitch.core;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.vireo.dataplane.pipeline.Features;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.dns.DnsRecords;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.NextHop;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.router.RouterView;
import io.vireo.gateway.service.BackendStats;
import io.vireo.gateway.service.ServiceTable;
import io.vireo.gateway.service.ServiceView;

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
    private final ConnectionTable connections;
    private final BackendSlots slots;
    private final Map<String, Router> routers = new LinkedHashMap<>();
    private final List<Service> probed = new ArrayList<>();
    /** The registry's live instances by service name: {@code address << 16 | port} each (IPv4 only). */
    private Map<String, List<Long>> registryNames = Map.of();
    private long dnsSerial;
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
        this.connections = connections;
        this.slots = new BackendSlots(directory.backendStats());
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
        for (final Attachment attachment : List.copyOf(router.interfaces.values()))
        {
            detach(router, attachment);
        }
        final List<Service> services = List.copyOf(router.services.values());
        router.services.clear();
        probed.removeAll(services);
        routers.remove(name);
        byId.set(router.id, null);
        publish();
        quiesce.run();
        for (final Service service : services)
        {
            endBackends(router, service.backends);
        }
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
        final List<Address> parsed = new ArrayList<>();
        for (final String address : addresses)
        {
            parsed.add(Address.parse(address));
        }
        final RouterInterface existing = directory.snapshot().interfaceOn(bridge.id);
        if (null != existing)
        {
            final Attachment same = router.interfaces.get(bridge.name);
            if (null != same && same.sameAs(parsed, null == mac ? same.mac : interfaceMac, null == mtu ? same.mtu : interfaceMtu))
            {
                // Asked again for what it has: the gateway of a network that two containers set up at once.
                return info(router);
            }
            throw VireoException.conflict("bridge " + bridge.name + " already has an interface of router " +
                byId.get(existing.routerId()).name + (null == same ? "" : " with " + same.addressTexts()));
        }
        for (final Address one : parsed)
        {
            for (final Attachment other : router.interfaces.values())
            {
                for (final Address taken : other.addresses)
                {
                    if (taken.subnet().equals(one.subnet()))
                    {
                        throw VireoException.conflict("router " + name + " has " + taken.text() + " on bridge " +
                            other.bridgeName + " already, in the same subnet as " + one.text());
                    }
                }
            }
        }

        final Attachment attachment = new Attachment(bridge.name, bridge.id, interfaceMac, interfaceMtu, parsed);
        router.interfaces.put(bridge.name, attachment);
        final int connected = router.nextHop(NextHop.connected(bridge.id));
        publish();
        for (final Address address : parsed)
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
        final Attachment attachment = router.interfaces.get(bridgeName);
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
            final Attachment attachment = router.interfaces.get(bridge.name);
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
        final Attachment on = router.onLink(gateway);
        if (null == on)
        {
            throw VireoException.invalid("gateway " + via + " is not in the subnet of any interface of router " + name);
        }
        router.staticRoutes.put(destination, gateway);
        router.addRoute(destination, router.nextHop(new NextHop(on.bridgeId, false, gateway.high(), gateway.low())));
        return new RouteInfo(destination.toString(), host(gateway), on.bridgeName, false);
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

    /**
     * Adds a service and the backends its spec names; new connections to its address and port go to them
     * from now on.
     *
     * @throws VireoException (conflict) for a name, or an address, port and protocol, that another service
     * of the router has, or a port of the router's own address that a NAT rule publishes.
     */
    ServiceInfo addService(final String name, final ServiceSpec spec)
    {
        final Router router = router(name);
        final Service service = Service.of(spec, router.id, router.name);
        final Service same = router.services.get(service.name);
        if (null != same)
        {
            throw VireoException.conflict("router " + name + " has a service " + service.name + " already");
        }
        for (final Service other : router.services.values())
        {
            if (other.protocol == service.protocol && other.vip == service.vip && other.port == service.port)
            {
                throw VireoException.conflict("service " + other.name + " of router " + name + " is on " + service.protocolName +
                    " " + service.vipText + " already");
            }
        }
        if (null != router.ownerOf(service.vip))
        {
            for (final NatRuleSpec rule : router.nat)
            {
                if (Nat.PUBLISH.equals(rule.type()) && service.protocolName.equals(rule.protocol()) && service.port == rule.port())
                {
                    throw VireoException.conflict(service.protocolName + " port " + service.port + " of router " + name +
                        " is published to " + rule.to() + " already (rule " + rule.id() + ")");
                }
            }
        }
        final List<ServiceSpec.BackendSpec> backends = null == spec.backends() ? List.of() : spec.backends();
        final Map<Long, Integer> checked = new LinkedHashMap<>();
        for (final ServiceSpec.BackendSpec backend : backends)
        {
            if (null != checked.put(Service.endpoint(backend.address(), "backend"), Service.weight(backend.weight())))
            {
                throw VireoException.invalid("backend " + backend.address() + " is given twice");
            }
        }
        if (checked.size() > Service.MAX_BACKENDS_PER_SERVICE)
        {
            throw VireoException.invalid("a service takes at most " + Service.MAX_BACKENDS_PER_SERVICE + " backends");
        }
        router.services.put(service.name, service);
        if (service.health.enabled())
        {
            probed.add(service);
        }
        try
        {
            checked.forEach((endpoint, weight) -> service.backends.add(
                new Service.Backend(endpoint, weight, false, slots.allocate())));
            if (null != service.registry)
            {
                takeFromRegistry(service);
            }
        }
        catch (final VireoException ex)
        {
            router.services.remove(service.name);
            probed.remove(service);
            service.backends.forEach(backend -> slots.free(backend.slot));
            throw ex;
        }
        router.dnsRecords = null;
        publish();
        return service.info(slots);
    }

    /** Deletes a service; its connections end (their next packets are refused or start new connections). */
    void deleteService(final String name, final String serviceName)
    {
        final Router router = router(name);
        final Service service = service(router, serviceName);
        router.services.remove(serviceName);
        probed.remove(service);
        router.dnsRecords = null;
        publish();
        quiesce.run();
        endBackends(router, service.backends);
    }

    /**
     * Adds a static backend to a service. Asked again for the backend it has with the same weight, it
     * answers the service as it is.
     *
     * @throws VireoException (conflict) for a backend it has with another weight.
     */
    ServiceInfo addBackend(final String name, final String serviceName, final ServiceSpec.BackendSpec spec)
    {
        final Router router = router(name);
        final Service service = service(router, serviceName);
        final long endpoint = Service.endpoint(spec.address(), "backend");
        final int weight = Service.weight(spec.weight());
        final Service.Backend existing = service.backend(endpoint);
        if (null != existing)
        {
            if (existing.weight == weight && !existing.fromRegistry)
            {
                return service.info(slots);
            }
            throw VireoException.conflict("service " + serviceName + " has backend " + existing.text() + " already" +
                (existing.fromRegistry ? ", from the registry" : ", with weight " + existing.weight));
        }
        if (service.backends.size() >= Service.MAX_BACKENDS_PER_SERVICE)
        {
            throw VireoException.conflict("service " + serviceName + " has " + Service.MAX_BACKENDS_PER_SERVICE +
                " backends already, the most it takes");
        }
        service.backends.add(new Service.Backend(endpoint, weight, false, slots.allocate()));
        service.changed();
        publish();
        return service.info(slots);
    }

    /** Takes a static backend out of a service: its connections end, the others' go on. */
    ServiceInfo deleteBackend(final String name, final String serviceName, final String address)
    {
        final Router router = router(name);
        final Service service = service(router, serviceName);
        final Service.Backend backend = service.backend(Service.endpoint(address, "backend"));
        if (null == backend)
        {
            throw VireoException.notFound("service " + serviceName + " of router " + name + " has no backend " + address);
        }
        if (backend.fromRegistry)
        {
            throw VireoException.invalid("backend " + address + " comes from the registry: deregister it there");
        }
        service.backends.remove(backend);
        service.changed();
        publish();
        quiesce.run();
        endBackends(router, List.of(backend));
        return service.info(slots);
    }

    List<ServiceInfo> services(final String name)
    {
        return router(name).services.values().stream().map(service -> service.info(slots)).toList();
    }

    ServiceInfo service(final String name, final String serviceName)
    {
        return service(router(name), serviceName).info(slots);
    }

    /** The services as they would be made again: static backends only. */
    List<ServiceSpec> serviceSpecs(final String name)
    {
        return router(name).services.values().stream().map(Service::spec).toList();
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

    /**
     * The registry's live instances changed: every router's DNS names follow, and the services that take
     * backends from the registry get its instances (weight 1) as backends; a backend whose instance went
     * ends its connections.
     *
     * @param instances by registry service name: {@code address << 16 | port} of each live IPv4 instance.
     */
    void registryChanged(final Map<String, List<Long>> instances)
    {
        registryNames = Map.copyOf(instances);
        final List<Map.Entry<Router, Service.Backend>> gone = new ArrayList<>();
        for (final Router router : routers.values())
        {
            router.dnsRecords = null;
            for (final Service service : router.services.values())
            {
                if (null != service.registry)
                {
                    for (final Service.Backend backend : takeFromRegistry(service))
                    {
                        gone.add(Map.entry(router, backend));
                    }
                }
            }
        }
        publish();
        if (!gone.isEmpty())
        {
            quiesce.run();
            gone.forEach(entry -> endBackends(entry.getKey(), List.of(entry.getValue())));
        }
    }

    /**
     * Makes a service's registry backends the registry's live instances of its registry service.
     *
     * @return the backends taken out, whose connections must end once no thread sees them.
     */
    private List<Service.Backend> takeFromRegistry(final Service service)
    {
        final List<Long> wanted = registryNames.getOrDefault(service.registry, List.of());
        final List<Service.Backend> removed = new ArrayList<>();
        for (final Service.Backend backend : List.copyOf(service.backends))
        {
            if (backend.fromRegistry && !wanted.contains(backend.endpoint()))
            {
                service.backends.remove(backend);
                removed.add(backend);
            }
        }
        for (final long endpoint : wanted)
        {
            if (null == service.backend(endpoint) && service.backends.size() < Service.MAX_BACKENDS_PER_SERVICE)
            {
                service.backends.add(new Service.Backend(endpoint, 1, true, slots.allocate()));
            }
        }
        service.changed();
        return removed;
    }

    /** The services whose backends are probed, every router's: a list the prober walks by index, allocating nothing. */
    List<Service> probed()
    {
        return probed;
    }

    /** Whether a router has a service whose backends are probed. */
    boolean probes(final String name)
    {
        return router(name).services.values().stream().anyMatch(service -> service.health.enabled());
    }

    /** A backend of the service went in or out of selection. */
    void healthChanged(final Service service)
    {
        service.changed();
        publish();
    }

    private static Service service(final Router router, final String serviceName)
    {
        final Service service = router.services.get(serviceName);
        if (null == service)
        {
            throw VireoException.notFound("router " + router.name + " has no service " + serviceName);
        }
        return service;
    }

    /** Ends the connections of backends taken out of every published view, and frees their slots. */
    private void endBackends(final Router router, final List<Service.Backend> backends)
    {
        for (final Service.Backend backend : backends)
        {
            connections.flush(router.id, BackendStats.label(backend.slot));
            slots.free(backend.slot);
        }
    }

    /** The id the router's connections are tracked under. */
    int zone(final String name)
    {
        return router(name).id;
    }

    private void detach(final Router router, final Attachment attachment)
    {
        router.interfaces.remove(attachment.bridgeName);
        for (final Address address : attachment.addresses)
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
        router.nat.removeIf(rule -> attachment.bridgeName.equals(rule.out()) || attachment.bridgeName.equals(rule.on()));
        features.set(attachment.bridgeId, Features.ROUTER, false);
        publish();
        neighbours.removeBridge(attachment.bridgeId);
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
            for (final Attachment attachment : router.interfaces.values())
            {
                final RouterInterface routerInterface = attachment.toInterface(router.id);
                interfaces[attachment.bridgeId] = routerInterface;
                own.add(routerInterface);
            }
            views[router.id] = new RouterView(router.id, router.ipv4Routes, router.ipv6Routes,
                router.nextHops.toArray(new NextHop[0]), own.toArray(new RouterInterface[0]), router.natRules(),
                router.dns.enabled() ? router.dnsRecords() : null, null != router.dns.upstream());
        }
        directory.publish(new RouterDirectory.Snapshot(interfaces, views));
    }

    private RouterInfo info(final Router router)
    {
        final List<RouterInfo.InterfaceInfo> interfaces = router.interfaces.values().stream()
            .map(attachment -> new RouterInfo.InterfaceInfo(attachment.bridgeName, MacAddress.format(attachment.mac),
                attachment.mtu, attachment.addresses.stream().map(Address::text).toList()))
            .toList();
        return new RouterInfo(router.name, interfaces, router.routeInfos().size());
    }

    private static String host(final IpPrefix address)
    {
        return address.isIpv4() ? IpPrefix.formatIpv4((int)address.low()) : IpPrefix.formatIpv6(address.high(), address.low());
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

    /** An interface address as given: the address, and its subnet (the connected route). */
    private record Address(String text, IpPrefix address, IpPrefix subnet)
    {
        static Address parse(final String text)
        {
            final int slash = null == text ? -1 : text.indexOf('/');
            if (slash < 0)
            {
                throw VireoException.invalid("invalid interface address '" + text + "': give ADDRESS/LENGTH");
            }
            final IpPrefix address = parsePrefix(text.substring(0, slash));
            final int length;
            try
            {
                length = Integer.parseInt(text.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw VireoException.invalid("invalid prefix length in '" + text + "'");
            }
            if (length < 1 || length >= address.addressBits())
            {
                throw VireoException.invalid("invalid prefix length in '" + text + "': must be 1.." + (address.addressBits() - 1));
            }
            final IpPrefix subnet = address.isIpv4() ?
                IpPrefix.ipv4((int)address.low() & (-1 << (32 - length)), length) :
                IpPrefix.ipv6(address.high() & mask(length), address.low() & mask(length - 64), length);
            return new Address(text, address, subnet);
        }

        private static long mask(final int bits)
        {
            return bits <= 0 ? 0 : bits >= 64 ? -1L : -1L << (64 - bits);
        }

        boolean contains(final IpPrefix host)
        {
            if (host.isIpv4() != subnet.isIpv4())
            {
                return false;
            }
            final int length = subnet.length();
            if (host.isIpv4())
            {
                final int hostMask = -1 << (32 - length);
                return ((int)host.low() & hostMask) == (int)subnet.low();
            }
            return (host.high() & mask(length)) == subnet.high() && (host.low() & mask(length - 64)) == subnet.low();
        }
    }

    /** A router's interface on one bridge. */
    private record Attachment(String bridgeName, int bridgeId, long mac, int mtu, List<Address> addresses)
    {
        /** True if it has exactly these addresses (in any order and spelling), this MAC and MTU. */
        boolean sameAs(final List<Address> others, final long otherMac, final int otherMtu)
        {
            return mac == otherMac && mtu == otherMtu && prefixes(addresses).equals(prefixes(others));
        }

        String addressTexts()
        {
            return String.join(", ", addresses.stream().map(Address::text).toList());
        }

        private static Set<List<IpPrefix>> prefixes(final List<Address> list)
        {
            return list.stream().map(a -> List.of(a.address(), a.subnet())).collect(Collectors.toSet());
        }

        RouterInterface toInterface(final int routerId)
        {
            final List<Address> v4 = addresses.stream().filter(a -> a.address().isIpv4()).toList();
            final List<Address> v6 = addresses.stream().filter(a -> !a.address().isIpv4()).toList();
            return new RouterInterface(routerId, bridgeId, mac, mtu,
                v4.stream().mapToInt(a -> (int)a.address().low()).toArray(),
                v4.stream().mapToInt(a -> a.subnet().length()).toArray(),
                v6.stream().mapToLong(a -> a.address().high()).toArray(),
                v6.stream().mapToLong(a -> a.address().low()).toArray(),
                v6.stream().mapToInt(a -> a.subnet().length()).toArray());
        }
    }

    /** One router: its interfaces by bridge name, static routes, next hops and route tables. */
    private final class Router
    {
        final String name;
        final int id;
        final Map<String, Attachment> interfaces = new LinkedHashMap<>();
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

        /** The id of a next hop, added (and published) if it is new. */
        int nextHop(final NextHop nextHop)
        {
            final Integer known = nextHopIds.get(nextHop);
            if (null != known)
            {
                return known;
            }
            final int id = nextHops.size();
            if (id > Ipv4RouteTable.MAX_NEXT_HOP)
            {
                throw VireoException.invalid("router " + name + " has " + id + " next hops already, the most it can have");
            }
            nextHops.add(nextHop);
            nextHopIds.put(nextHop, id);
            publish();
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
            final NatRules rules = Nat.compile(nat, bridge -> interfaces.get(bridge).bridgeId);
            if (services.isEmpty())
            {
                return rules;
            }
            return new NatRules(rules.masqueradeBridges(), rules.masqueradeFrom(), rules.masqueradeFromLengths(),
                rules.publishProtocols(), rules.publishPorts(), rules.publishBridges(), rules.publishTargets(),
                rules.publishTargetPorts(), new ServiceTable(services.values().stream().map(Service::view).toArray(ServiceView[]::new)));
        }

        /** Its services' names and the registry's, as its DNS server answers them. */
        DnsRecords dnsRecords()
        {
            if (null == dnsRecords)
            {
                final String domain = "." + dns.domain();
                final DnsRecords.Builder builder = DnsRecords.builder().domain(dns.domain()).ttl(dns.ttl())
                    .serial(++dnsSerial & 0xFFFF_FFFFL);
                for (final Service service : services.values())
                {
                    builder.addA(service.name + domain, service.vip);
                    builder.addSrv(service.name + domain, 0, 1, service.port, service.name + domain);
                }
                registryNames.forEach((name, instances) ->
                {
                    if (!services.containsKey(name))
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
                dnsRecords = builder.build();
            }
            return dnsRecords;
        }

        /** The interface that has this IPv4 address, or null. */
        Attachment ownerOf(final int address)
        {
            for (final Attachment attachment : interfaces.values())
            {
                for (final Address one : attachment.addresses)
                {
                    if (one.address().isIpv4() && (int)one.address().low() == address)
                    {
                        return attachment;
                    }
                }
            }
            return null;
        }

        Attachment onLink(final IpPrefix host)
        {
            for (final Attachment attachment : interfaces.values())
            {
                for (final Address address : attachment.addresses)
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
            for (final Attachment attachment : interfaces.values())
            {
                for (final Address address : attachment.addresses)
                {
                    routes.add(new RouteInfo(address.subnet().toString(), null, attachment.bridgeName, true));
                }
            }
            for (final Map.Entry<IpPrefix, IpPrefix> route : staticRoutes.entrySet())
            {
                final Attachment on = onLink(route.getValue());
                routes.add(new RouteInfo(route.getKey().toString(), host(route.getValue()), null == on ? null : on.bridgeName, false));
            }
            return routes;
        }
    }
}
