package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;

import io.vireo.api.Endpoint;
import io.vireo.api.EndpointListener;

/**
 * Tells listeners of the ports with a MAC that join and leave bridges ({@link VireoOverlay#watchEndpoints}).
 * Events are queued by the control thread, under the switch's lock, in the order the changes happen, and delivered
 * by a thread of their own, {@value #THREAD_NAME}, one at a time and with no lock held: a listener may call the
 * switch (which then queues its own events behind), and a slow one delays only the events after it. A
 * listener that throws is reported on stderr and keeps listening.
 */
final class EndpointWatchers
{
    static final String THREAD_NAME = "vireo-endpoints";

    /** A listener and the bridges it hears of. */
    private record Watcher(Predicate<String> bridges, EndpointListener listener)
    {
    }

    private final List<Watcher> watchers = new ArrayList<>();
    private final Topology topology;
    private ExecutorService delivery;

    EndpointWatchers(final Topology topology)
    {
        this.topology = topology;
    }

    /**
     * Adds a listener, first telling it of the ports with a MAC on the bridges it wants; returns its handle.
     *
     * @param lock the switch's lock, which the handle takes to remove the listener.
     */
    AutoCloseable add(final Predicate<String> bridges, final EndpointListener listener, final Object lock)
    {
        final Watcher watcher = new Watcher(bridges, listener);
        if (null == delivery)
        {
            delivery = Executors.newSingleThreadExecutor(task ->
            {
                final Thread thread = new Thread(task, THREAD_NAME);
                thread.setDaemon(true);
                return thread;
            });
        }
        for (final PortRecord port : List.copyOf(topology.ports()))
        {
            attached(watcher, port);
        }
        watchers.add(watcher);
        return () ->
        {
            synchronized (lock)
            {
                watchers.remove(watcher);
            }
        };
    }

    /** A bridge's ports with a MAC, as the listeners hear of them. */
    List<Endpoint> endpoints(final String bridgeName)
    {
        final List<Endpoint> endpoints = new ArrayList<>();
        for (final String port : topology.bridge(bridgeName).ports)
        {
            final Endpoint endpoint = endpointOf(topology.port(port));
            if (null != endpoint)
            {
                endpoints.add(endpoint);
            }
        }
        return endpoints;
    }

    /** Tells every listener that wants the bridge of its ports with a MAC again, as attached. */
    void announce(final String bridgeName)
    {
        for (final String port : topology.bridge(bridgeName).ports)
        {
            attached(topology.port(port));
        }
    }

    /** A port joined its bridge, or its addresses changed. */
    void attached(final PortRecord port)
    {
        for (final Watcher watcher : watchers)
        {
            attached(watcher, port);
        }
    }

    /** A port left its bridge. */
    void detached(final PortRecord port)
    {
        final String mac = port.details.mac();
        if (null == mac)
        {
            return;
        }
        final String bridge = port.bridge.name;
        for (final Watcher watcher : watchers)
        {
            if (watcher.bridges().test(bridge))
            {
                deliver(() -> watcher.listener().detached(bridge, mac));
            }
        }
    }

    /** Stops telling anything: what was queued is delivered, nothing more is queued. */
    void close()
    {
        watchers.clear();
        if (null != delivery)
        {
            delivery.shutdown();
        }
    }

    private void attached(final Watcher watcher, final PortRecord port)
    {
        final Endpoint endpoint = endpointOf(port);
        final String bridge = port.bridge.name;
        if (null != endpoint && watcher.bridges().test(bridge))
        {
            deliver(() -> watcher.listener().attached(bridge, endpoint));
        }
    }

    /** The endpoint a port is, as watchers hear of it: null for a port with no MAC. */
    private static Endpoint endpointOf(final PortRecord port)
    {
        final String mac = port.details.mac();
        return null == mac ? null : new Endpoint(mac, addresses(port.details.ip()), Endpoint.LOCAL);
    }

    /** A port's address ({@code ADDRESS/LENGTH}), without its length; none if it has none. */
    private static List<String> addresses(final String cidr)
    {
        return null == cidr ? List.of() : List.of(cidr.substring(0, cidr.indexOf('/') < 0 ? cidr.length() : cidr.indexOf('/')));
    }

    private void deliver(final Runnable event)
    {
        try
        {
            delivery.execute(() ->
            {
                try
                {
                    event.run();
                }
                catch (final RuntimeException ex)
                {
                    System.err.println("vireo: an endpoint listener failed: " + ex);
                }
            });
        }
        catch (final RejectedExecutionException ex)
        {
            // Closed: the switch is going and tells nothing more.
        }
    }
}
