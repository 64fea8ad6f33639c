package io.vireo.vswitch.core;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.vireo.gateway.conntrack.ConnectionTable;

/**
 * The routers of the {@link Vireo} facade, reached by {@link Vireo#gateway()}: their interfaces on the bridges,
 * routes and address translation, load-balanced services and their backends, DNS, and the connections they
 * track. It hands each request to {@link Routers}, {@link RoutersDns}, {@link TrackedConnections} or the
 * {@link HealthProber}, and keeps the {@link InjectionPorts} the routers send their own frames through in step.
 * <p>
 * Same contract as {@link Vireo}'s own methods: each takes the switch's lock (the {@link Vireo} instance), a
 * change is refused while the switch is closed or being handed over, and a method returns once the forwarding
 * threads have applied its change.
 */
public final class VireoGateway
{
    private final Vireo vireo;
    private final Routers routers;
    private final RoutersDns dns;
    private final TrackedConnections trackedConnections;
    private final HealthProber prober;
    private final ConnectionTable connections;
    private final InjectionPorts injectionPorts;
    private final Ports ports;
    private final Bridges bridges;
    private final RegistryInstances registry = new RegistryInstances();

    VireoGateway(final Vireo vireo, final Routers routers, final RoutersDns dns,
        final TrackedConnections trackedConnections, final HealthProber prober, final ConnectionTable connections,
        final InjectionPorts injectionPorts, final Ports ports, final Bridges bridges)
    {
        this.vireo = vireo;
        this.routers = routers;
        this.dns = dns;
        this.trackedConnections = trackedConnections;
        this.prober = prober;
        this.connections = connections;
        this.injectionPorts = injectionPorts;
        this.ports = ports;
        this.bridges = bridges;
    }

    // ---- routers ----

    /** Adds a router with no interfaces. */
    public RouterInfo addRouter(final String name)
    {
        return vireo.lockedOpen(() -> routers.add(name));
    }

    /** Deletes a router, its interfaces and routes. */
    public void deleteRouter(final String name)
    {
        changeWithInjectionPorts(() -> routers.delete(name));
    }

    public List<RouterInfo> routers()
    {
        return vireo.locked(routers::list);
    }

    public RouterInfo router(final String name)
    {
        return vireo.locked(() -> routers.get(name));
    }

    /**
     * Gives a router an interface on a bridge: it answers ARP and neighbour solicitations for the
     * addresses ({@code ADDRESS/LENGTH}), is the gateway of the bridge's endpoints, and routes to their
     * subnets. {@code mac} null picks a random locally administered one; {@code mtu} null is 1500.
     */
    public RouterInfo attachRouter(
        final String router, final String bridgeName, final List<String> addresses, final String mac, final Integer mtu)
    {
        return changeWithInjectionPorts(() -> routers.attach(router, bridges.bridge(bridgeName), addresses, mac, mtu));
    }

    /** Takes a router's interface off a bridge, with the routes through it. */
    public RouterInfo detachRouter(final String router, final String bridgeName)
    {
        return changeWithInjectionPorts(() -> routers.detach(router, bridgeName));
    }

    /** Adds a static route: {@code prefix} (IPv4 or IPv6) via a gateway on one of the router's subnets. */
    public RouteInfo addRoute(final String router, final String prefix, final String via)
    {
        return vireo.lockedOpen(() -> routers.addRoute(router, prefix, via));
    }

    public void deleteRoute(final String router, final String prefix)
    {
        vireo.lockedOpen(() -> routers.deleteRoute(router, prefix));
    }

    /** A router's routes: connected ones first, then static ones. */
    public List<RouteInfo> routes(final String router)
    {
        return vireo.locked(() -> routers.routes(router));
    }

    /**
     * Adds an address translation rule to a router: {@code masquerade} (connections leaving by the
     * interface on {@code out} get the router's address there) or {@code publish} (connections to a port
     * of the router's address go to {@code to}). It applies to new connections.
     */
    public NatRuleSpec addNat(final String router, final NatRuleSpec rule)
    {
        return vireo.lockedOpen(() -> routers.addNat(router, rule));
    }

    public void deleteNat(final String router, final int id)
    {
        vireo.lockedOpen(() -> routers.deleteNat(router, id));
    }

    /** A router's address translation rules, in the order they were added. */
    public List<NatRuleSpec> nat(final String router)
    {
        return vireo.locked(() -> routers.nat(router));
    }

    // ---- services, DNS, connections ----

    /**
     * Adds a load-balanced service to a router: new connections to its virtual address and port go to one
     * of its backends, picked by its algorithm, and stay there.
     */
    public ServiceInfo addService(final String router, final ServiceSpec spec)
    {
        return changeWithInjectionPorts(() -> routers.addService(router, spec));
    }

    /** Deletes a service; its connections end. */
    public void deleteService(final String router, final String service)
    {
        changeWithInjectionPorts(() -> routers.deleteService(router, service));
    }

    /** Adds a static backend to a service; it takes new connections from now on. */
    public ServiceInfo addBackend(final String router, final String service, final ServiceSpec.BackendSpec backend)
    {
        return vireo.lockedOpen(() -> routers.addBackend(router, service, backend));
    }

    /** Takes a static backend ({@code IP:PORT}) out of a service: its connections end, no other connection moves. */
    public ServiceInfo deleteBackend(final String router, final String service, final String address)
    {
        return vireo.lockedOpen(() -> routers.deleteBackend(router, service, address));
    }

    /** A router's services with their backends' state and figures. */
    public List<ServiceInfo> services(final String router)
    {
        return vireo.locked(() -> routers.services(router));
    }

    public ServiceInfo service(final String router, final String service)
    {
        return vireo.locked(() -> routers.service(router, service));
    }

    /** A router's services as a config file writes them: static backends only. */
    public List<ServiceSpec> serviceSpecs(final String router)
    {
        return vireo.locked(() -> routers.serviceSpecs(router));
    }

    /** Times a service's backend went out of selection or came back, since the switch started. */
    public long backendTransitions()
    {
        return vireo.locked(prober::transitions);
    }

    /**
     * The registry's live instances of a service are now these ({@code IP:PORT} each, an IPv6 one as
     * {@code [IP]:PORT}): the routers' DNS names (A and AAAA) follow, and so do the services that take
     * backends from the registry (IPv4 instances only: services are IPv4).
     */
    public void registryChanged(final String service, final List<String> instances)
    {
        changeWithInjectionPorts(() ->
        {
            registry.changed(service, instances);
            routers.registryChanged(registry.ipv4(), registry.ipv6());
        });
    }

    /** Sets a router's DNS server: each field given replaces what it has. */
    public DnsSpec setDns(final String router, final DnsSpec spec)
    {
        return changeWithInjectionPorts(() -> dns.set(router, spec));
    }

    public DnsSpec dns(final String router)
    {
        return vireo.locked(() -> routers.dns(router));
    }

    /**
     * DNS queries the routers took, by outcome name (answered, nxdomain, formerr, dropped, ...), and those passed
     * upstream: upstream_sent, upstream_answered, upstream_unanswered.
     */
    public Map<String, Long> dnsCounts()
    {
        return vireo.locked(dns::counts);
    }

    /**
     * A page of a router's tracked connections (those its NAT rules made): at most {@code limit} of them, from
     * {@code from} on (0 for the first page, then the last page's {@link ConnectionPage#next()}). The switch's lock
     * is held for one page only.
     *
     * @throws VireoException (INVALID) if {@code from} is not a place a listing can be at or {@code limit} is below 1.
     */
    public ConnectionPage connections(final String router, final int from, final int limit)
    {
        return vireo.locked(() -> trackedConnections.page(router, from, limit));
    }

    /** Every router's tracked connections counted by state, for the metrics: router name to state name to count. */
    public Map<String, Map<String, Long>> connectionCounts()
    {
        return vireo.locked(trackedConnections::counts);
    }

    /** New connections the routers' NAT refused because the connection table was full. */
    public long connectionsRefused()
    {
        return connections.fullCount();
    }

    /** Closed TCP connections whose tuple a new connection took (a client's port used again soon after), all routers. */
    public long closedConnectionsTaken()
    {
        return connections.retiredCount();
    }

    /** Forgets a router's tracked connections; their next packets start new ones (or are refused). */
    public int flushConnections(final String router)
    {
        return vireo.lockedOpen(() -> trackedConnections.flush(router));
    }

    /**
     * Makes a change after which a bridge may need a port for the routers' own frames (health probes, answers from
     * a DNS upstream) or no longer need one: the injection ports follow.
     */
    private <T> T changeWithInjectionPorts(final Supplier<T> change)
    {
        return vireo.lockedOpen(() ->
        {
            final T changed = change.get();
            injectionPorts.sync(routers, ports);
            return changed;
        });
    }

    /** As {@link #changeWithInjectionPorts(Supplier)}, for a change that returns nothing. */
    private void changeWithInjectionPorts(final Runnable change)
    {
        changeWithInjectionPorts(() ->
        {
            change.run();
            return null;
        });
    }
}
