package io.vireo.gateway.router;

import java.security.SecureRandom;

import io.vireo.gateway.dns.DnsForwarding;
import io.vireo.gateway.dns.DnsStats;
import io.vireo.gateway.service.BackendStats;
import io.vireo.gateway.service.HealthProbes;

/**
 * The routers and their interfaces, as the forwarding threads read them: one immutable
 * {@link Snapshot}, replaced whole by the control thread and read once per burst, so a change applies
 * from the next burst on with no command and no lock.
 */
public final class RouterDirectory
{
    private final BackendStats backendStats = new BackendStats();
    private final HealthProbes healthProbes = new HealthProbes();
    private final DnsStats dnsStats = new DnsStats();
    private final DnsForwarding dnsForwarding = new DnsForwarding();
    private final long dnsSecret = new SecureRandom().nextLong();
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

    /** Where the routers' health probes meet their answers, shared. */
    public HealthProbes healthProbes()
    {
        return healthProbes;
    }

    /** How the routers' DNS answered, shared. */
    public DnsStats dnsStats()
    {
        return dnsStats;
    }

    /** The queries the routers' DNS servers pass to their upstream resolvers, shared. */
    public DnsForwarding dnsForwarding()
    {
        return dnsForwarding;
    }

    /** The key of the routers' DNS-over-TCP SYN cookies, the same for every forwarding thread. */
    public long dnsSecret()
    {
        return dnsSecret;
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
