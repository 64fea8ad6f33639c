package io.vireo.gateway.router;

import io.vireo.gateway.service.BackendStats;

/**
 * The routers and their interfaces, as the forwarding threads read them: one immutable
 * {@link Snapshot}, replaced whole by the control thread and read once per burst, so a change applies
 * from the next burst on with no command and no lock.
 */
public final class RouterDirectory
{
    private final BackendStats backendStats = new BackendStats();
    private volatile Snapshot snapshot;

    /**
     * @param maxBridges bridge ids are below this.
     */
    public RouterDirectory(final int maxBridges)
    {
        snapshot = new Snapshot(new RouterInterface[maxBridges], new RouterView[0]);
    }

    /** The current snapshot; any thread. */
    public Snapshot snapshot()
    {
        return snapshot;
    }

    /** The figures of the routers' services' backends, shared. */
    public BackendStats backendStats()
    {
        return backendStats;
    }

    /** Replaces the snapshot. Control thread. */
    public void publish(final Snapshot next)
    {
        snapshot = next;
    }

    /**
     * @param interfaces by bridge id: the router interface on that bridge, or null.
     * @param routers    by router id; a deleted router is null.
     */
    public record Snapshot(RouterInterface[] interfaces, RouterView[] routers)
    {
        /** The router interface on a bridge, or null. */
        public RouterInterface interfaceOn(final int bridgeId)
        {
            return bridgeId >= 0 && bridgeId < interfaces.length ? interfaces[bridgeId] : null;
        }

        /** The router with this id, or null. */
        public RouterView router(final int routerId)
        {
            return routerId >= 0 && routerId < routers.length ? routers[routerId] : null;
        }
    }
}
