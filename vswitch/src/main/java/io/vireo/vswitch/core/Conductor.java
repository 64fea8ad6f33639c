package io.vireo.vswitch.core;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.vireo.dataplane.nativeio.Native;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.gateway.conntrack.ConnectionTable;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;

/**
 * The control plane's own duty cycle, every {@link ForwardingThreads#CONDUCTOR_TICK_MS} ms: retire
 * ports that failed for good (their MACs are flushed), each second hand over the TAP ports whose namespace
 * went ({@link TapPorts#forEachGoneNamespace}), age the forwarding table and expire the routers'
 * connections a slice at a time, probe the services' backends ({@link HealthProber}), and publish the
 * forwarding table's figures. Runs under the switch's lock; allocates nothing, so in invoker mode the
 * invoking thread stays garbage-free.
 */
final class Conductor implements Agent
{
    private static final long MAX_SWEEP_MS = 10_000;
    /** A whole pass over the connection table's slots takes about this long. */
    private static final long CONNECTION_SWEEP_MS = 10_000;
    private static final long CONDUCTOR_TICK_MS = ForwardingThreads.CONDUCTOR_TICK_MS;
    private static final long NAMESPACE_SWEEP_MS = 1_000;

    private final Object lock;
    private final Topology topology;
    private final ForwardingTable fdb;
    private final ConnectionTable connections;
    private final HealthProber prober;
    private final int connectionSliceSlots;
    private final Generations generations;
    private final TableCounters tableCounters;
    private final EpochClock clock;
    private final long[] agingMsByBridge;
    private final ForwardingTable.AgingPolicy agingPolicy;
    private final Consumer<PortRecord> namespaceGone;
    private int agingSliceSlots;
    private long nextTickMs;
    private long nextNamespaceSweepMs;
    private boolean closed;

    Conductor(
        final Object lock,
        final Topology topology,
        final ForwardingTable fdb,
        final ConnectionTable connections,
        final HealthProber prober,
        final Generations generations,
        final TableCounters tableCounters,
        final EpochClock clock,
        final int maxBridges,
        final Consumer<PortRecord> namespaceGone)
    {
        this.lock = lock;
        this.topology = topology;
        this.fdb = fdb;
        this.connections = connections;
        this.prober = prober;
        this.connectionSliceSlots = (int)Math.max(1024, connections.capacity() * CONDUCTOR_TICK_MS / CONNECTION_SWEEP_MS);
        this.generations = generations;
        this.tableCounters = tableCounters;
        this.clock = clock;
        this.agingMsByBridge = new long[maxBridges];
        this.agingPolicy = bridgeId -> agingMsByBridge[bridgeId];
        this.namespaceGone = namespaceGone;
    }

    @Override
    public String roleName()
    {
        return "vireo-conductor";
    }

    @Override
    public int doWork()
    {
        synchronized (lock)
        {
            final long now = clock.time();
            if (closed || now < nextTickMs)
            {
                return 0;
            }
            nextTickMs = now + ForwardingThreads.CONDUCTOR_TICK_MS;
            return retireFailedPorts() + sweepNamespaces(now) + age(now) + connections.expire(now, connectionSliceSlots) +
                prober.tick(now);
        }
    }

    private int retireFailedPorts()
    {
        int work = 0;
        for (final PortRecord record : topology.portsById())
        {
            if (null != record && 0 != record.failure() && !record.failureHandled)
            {
                record.failureHandled = true;
                work += fdb.removeDestination(record.id);
                generations.bump(record.bridge.id);
                System.err.println("vireo: port " + record.name() + " failed: " +
                    Native.strerror(record.failure()) + "; it forwards nothing until deleted");
            }
        }
        return work;
    }

    private int sweepNamespaces(final long now)
    {
        if (now < nextNamespaceSweepMs)
        {
            return 0;
        }
        nextNamespaceSweepMs = now + NAMESPACE_SWEEP_MS;
        return TapPorts.forEachGoneNamespace(topology, namespaceGone);
    }

    private int age(final long now)
    {
        final int aged = fdb.ageSlice(now, agingPolicy, agingSliceSlots);
        tableCounters.publish(fdb.size(), fdb.capacity(), fdb.tableFullCount());
        if (aged > 0)
        {
            // The table does not say whose entries aged: make every bridge's cached flows stale.
            for (int bridgeId = topology.bridgeIds().nextSetBit(0); bridgeId >= 0;
                bridgeId = topology.bridgeIds().nextSetBit(bridgeId + 1))
            {
                generations.bump(bridgeId);
            }
        }
        return aged;
    }

    /** Sets a bridge's aging time (0 for a bridge deleted); the slice per tick follows the shortest. Under the lock. */
    void aging(final int bridgeId, final long agingSeconds)
    {
        agingMsByBridge[bridgeId] = TimeUnit.SECONDS.toMillis(agingSeconds);
        long shortestAgingMs = MAX_SWEEP_MS * 2;
        for (final Bridge bridge : topology.bridges())
        {
            shortestAgingMs = Math.min(shortestAgingMs, agingMsByBridge[bridge.id]);
        }
        // Slots per tick so that a whole sweep takes at most half the shortest aging time (and at most 10 s).
        final long sweepMs = Math.max(ForwardingThreads.CONDUCTOR_TICK_MS, shortestAgingMs / 2);
        final long ticksPerSweep = Math.max(1, sweepMs / ForwardingThreads.CONDUCTOR_TICK_MS);
        agingSliceSlots = (int)Math.min(fdb.slotCount(), (fdb.slotCount() + ticksPerSweep - 1) / ticksPerSweep);
    }

    /** Stops ticking; under the lock. */
    void close()
    {
        closed = true;
    }
}
