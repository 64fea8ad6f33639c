package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.service.BackendStats;

/**
 * The routers' services ({@code vireoctl service ...}): their checks, their backends (static, or the registry's
 * live instances) and the slots that count each backend, and which services have their backends probed. A
 * backend taken out ends its connections once no forwarding thread can still pick it. Called under
 * {@link Vireo}'s lock, by {@link Routers}, which publishes the routers after each change.
 */
final class RouterServices
{
    private final BackendSlots slots;
    private final ConnectionTable connections;
    private final Runnable publish;
    private final Runnable quiesce;
    private final List<Service> probed = new ArrayList<>();
    /** The registry's live instances by service name: {@code address << 16 | port} each (IPv4 only). */
    private Map<String, List<Long>> registryInstances = Map.of();

    /**
     * @param publish     publishes the routers: their services with the rest.
     * @param quiesce     waits until no forwarding thread still reads a table that was unpublished.
     * @param connections the connection table: a backend that goes takes its connections with it.
     */
    RouterServices(final BackendSlots slots, final ConnectionTable connections, final Runnable publish, final Runnable quiesce)
    {
        this.slots = slots;
        this.connections = connections;
        this.publish = publish;
        this.quiesce = quiesce;
    }

    /**
     * Takes every service off a router that is being deleted; {@link #end} them once it is unpublished.
     *
     * @return its services.
     */
    List<Service> takeAll(final Router router)
    {
        final List<Service> services = List.copyOf(router.services.values());
        router.services.clear();
        probed.removeAll(services);
        return services;
    }

    /** Ends the connections of services taken off an unpublished router, and frees their backends' slots. */
    void end(final Router router, final List<Service> services)
    {
        for (final Service service : services)
        {
            endBackends(router, service.backends);
        }
    }

    /**
     * Adds a service and the backends its spec names; new connections to its address and port go to them
     * from now on.
     *
     * @throws VireoException (conflict) for a name, or an address, port and protocol, that another service
     * of the router has, or a port of the router's own address that a NAT rule publishes.
     */
    ServiceInfo add(final Router router, final ServiceSpec spec)
    {
        final String name = router.name;
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
        publish.run();
        return service.info(slots);
    }

    /** Deletes a service; its connections end (their next packets are refused or start new connections). */
    void delete(final Router router, final String serviceName)
    {
        final Service service = service(router, serviceName);
        router.services.remove(serviceName);
        probed.remove(service);
        router.dnsRecords = null;
        publish.run();
        quiesce.run();
        endBackends(router, service.backends);
    }

    /**
     * Adds a static backend to a service. Asked again for the backend it has with the same weight, it
     * answers the service as it is.
     *
     * @throws VireoException (conflict) for a backend it has with another weight.
     */
    ServiceInfo addBackend(final Router router, final String serviceName, final ServiceSpec.BackendSpec spec)
    {
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
        publish.run();
        return service.info(slots);
    }

    /** Takes a static backend out of a service: its connections end, the others' go on. */
    ServiceInfo deleteBackend(final Router router, final String serviceName, final String address)
    {
        final Service service = service(router, serviceName);
        final Service.Backend backend = service.backend(Service.endpoint(address, "backend"));
        if (null == backend)
        {
            throw VireoException.notFound("service " + serviceName + " of router " + router.name + " has no backend " + address);
        }
        if (backend.fromRegistry)
        {
            throw VireoException.invalid("backend " + address + " comes from the registry: deregister it there");
        }
        service.backends.remove(backend);
        service.changed();
        publish.run();
        quiesce.run();
        endBackends(router, List.of(backend));
        return service.info(slots);
    }

    List<ServiceInfo> list(final Router router)
    {
        return router.services.values().stream().map(service -> service.info(slots)).toList();
    }

    ServiceInfo get(final Router router, final String serviceName)
    {
        return service(router, serviceName).info(slots);
    }

    /** A router's services as they would be made again: static backends only. */
    List<ServiceSpec> specs(final Router router)
    {
        return router.services.values().stream().map(Service::spec).toList();
    }

    /**
     * The registry's live instances changed: the services that take backends from the registry get its
     * instances (weight 1) as backends; a backend whose instance went ends its connections once no forwarding
     * thread sees it. Each router's DNS records are dropped, to be built again with the new names.
     *
     * @param instances by registry service name: {@code address << 16 | port} of each live IPv4 instance.
     */
    void registryChanged(final Collection<Router> routers, final Map<String, List<Long>> instances)
    {
        registryInstances = Map.copyOf(instances);
        final List<Map.Entry<Router, Service.Backend>> gone = new ArrayList<>();
        for (final Router router : routers)
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
        publish.run();
        if (!gone.isEmpty())
        {
            quiesce.run();
            gone.forEach(entry -> endBackends(entry.getKey(), List.of(entry.getValue())));
        }
    }

    /** The registry's live IPv4 instances by service name, as last told. */
    Map<String, List<Long>> registryInstances()
    {
        return registryInstances;
    }

    /**
     * Makes a service's registry backends the registry's live instances of its registry service.
     *
     * @return the backends taken out, whose connections must end once no thread sees them.
     */
    private List<Service.Backend> takeFromRegistry(final Service service)
    {
        final List<Long> wanted = registryInstances.getOrDefault(service.registry, List.of());
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
    boolean probes(final Router router)
    {
        return router.services.values().stream().anyMatch(service -> service.health.enabled());
    }

    /** A backend of the service went in or out of selection. */
    void healthChanged(final Service service)
    {
        service.changed();
        publish.run();
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
}
