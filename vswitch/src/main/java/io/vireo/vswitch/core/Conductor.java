package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import io.vireo.dataplane.nativeio.DirectoryWatch;
import io.vireo.dataplane.nativeio.Native;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.port.TapPort;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.gateway.conntrack.ConnectionTable;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;

/**
 * The control plane's own duty cycle, every {@link #CONDUCTOR_TICK_MS} ms while services'
 * backends are probed or the routers track connections, else every {@link #IDLE_TICK_MS} ms: retire ports that
 * failed for good (their MACs are flushed), hand over the TAP ports whose namespace went
 * ({@link TapPorts#forEachGoneNamespace}; within a tick of a watched directory losing its file, see
 * {@link #sweepNamespaces}), age the forwarding table and expire the routers' connections a slice at a time
 * (slices sized by the time since the last tick; no aging slice until an entry can expire), probe the services'
 * backends ({@link HealthProber}), and publish the forwarding table's figures. Runs under the switch's lock;
 * allocates nothing once the ports stop changing, so in invoker mode the invoking thread stays garbage-free. On a
 * thread of its own it sleeps until the next tick is due ({@link #idleStrategy()}).
 */
final class Conductor implements Agent
{
    private static final long MAX_SWEEP_MS = 10_000;
    /** A whole pass over the connection table's slots takes about this long. */
    private static final long CONNECTION_SWEEP_MS = 10_000;
    /**
     * The period while services' backends are probed or connections tracked. The sweeps are sized by the time between
     * ticks, so a period sets only what each tick costs whatever it does (a wake-up, code run too rarely to be
     * compiled): at 100 ms that was most of an idle daemon's conductor, 10-15 clock ticks in 30 s against 3-5 at 250
     * ms (benches/README.md, 2026-12-07). A health probe's answer is taken, and a failed port retired, within a tick.
     */
    private static final long CONDUCTOR_TICK_MS = 250;
    /**
     * How often the TAP ports' namespaces are looked at while one of them is named where no directory watch sees it
     * go (under {@code /proc}, or a watch refused).
     */
    private static final long NAMESPACE_SWEEP_MS = 1_000;
    /**
     * How often they are looked at while a watch of the directories that name them would tell: for a namespace
     * whose name went without its file leaving the directory (unmounted only). Every look is an open, an fstat and
     * a close a port: 0.8-1.1 ms a tick for two ports on an idle daemon whose VM's host had taken its pages back
     * (benches/README.md, 2026-12-07, seventh).
     */
    private static final long WATCHED_NAMESPACE_SWEEP_MS = 30_000;
    /**
     * The period while nothing needs a faster one. Each tick is a wake-up of an idle daemon and code run too rarely
     * to be compiled: at four a second the conductor was one of an idle daemon's two busiest threads
     * (benches/README.md, 2026-12-07, fifth).
     */
    private static final long IDLE_TICK_MS = 1_000;

    private final Object lock;
    private final Topology topology;
    private final ForwardingTable fdb;
    private final ConnectionTable connections;
    private final HealthProber prober;
    private final Generations generations;
    private final TableCounters tableCounters;
    private final EpochClock clock;
    private final long[] agingMsByBridge;
    private final ForwardingTable.AgingPolicy agingPolicy;
    private final Consumer<PortRecord> namespaceGone;
    /** A whole pass over the forwarding table takes this long; 0 until a bridge has an aging time. */
    private long agingSweepMs;
    /** The shortest aging time of a bridge whose entries age; 0: none. */
    private long shortestAgingMs;
    /** No entry of the forwarding table expires before this ({@link ForwardingTable#agingQuietUntil}). */
    private long agingQuietUntilMs;
    private long lastTickMs;
    private long nextTickMs;
    private long nextNamespaceSweepMs;
    /** The directories that name the TAP ports' namespaces; made when the first is watched. */
    private DirectoryWatch namespaceDirectories;
    /** The directory watched for each TAP port whose namespace has a path outside {@code /proc}. */
    private final Map<PortRecord, String> watchedDirectories = new HashMap<>();
    /** TAP ports whose namespace no watch sees go. */
    private int unwatchedNamespaces;
    /** {@link Topology#portChanges} when the watches were last made to match the ports. */
    private long portChangesWatched = -1;
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
        this.generations = generations;
        this.tableCounters = tableCounters;
        this.clock = clock;
        this.agingMsByBridge = new long[maxBridges];
        this.agingPolicy = bridgeId -> agingMsByBridge[bridgeId];
        this.namespaceGone = namespaceGone;
        this.lastTickMs = clock.time();
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
            // Set first: a tick that throws is not tried again at once, over and over.
            nextTickMs = now + CONDUCTOR_TICK_MS;
            final long elapsedMs = Math.min(Math.max(now - lastTickMs, 1), MAX_SWEEP_MS);
            lastTickMs = now;
            final long capacity = connections.capacity();
            final int connectionSlots =
                (int)Math.max(1024, Math.min(capacity, capacity * elapsedMs / CONNECTION_SWEEP_MS));
            final boolean probing = prober.probing();
            final int work = retireFailedPorts() + sweepNamespaces(now) + age(now, elapsedMs) +
                connections.expire(now, connectionSlots) + (probing ? prober.tick(now) : 0);
            if (!probing && 0 == connections.size())
            {
                nextTickMs = now + IDLE_TICK_MS;
            }
            return work;
        }
    }

    /**
     * Sleeps the conductor's own thread until its next tick is due; {@link ConductorIdle#stop} ends the sleep, for
     * a close that must not wait for it.
     */
    ConductorIdle idleStrategy()
    {
        return new ConductorIdle();
    }

    final class ConductorIdle implements IdleStrategy
    {
        private volatile boolean stopped;

        @Override
        public void idle(final int workCount)
        {
            idle();
        }

        @Override
        public void idle()
        {
            if (!stopped)
            {
                // Read without the lock: the tick time is written by this thread (doWork), under it.
                final long sleepMs = Math.max(1, nextTickMs - clock.time());
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(sleepMs));
            }
        }

        @Override
        public void reset()
        {
        }

        @Override
        public String alias()
        {
            return "conductor";
        }

        /**
         * Ends the sleep under way and any after it: the runner is about to close. Any thread.
         *
         * @param runner the thread that idles here (null: not started yet, so not asleep).
         */
        void stop(final Thread runner)
        {
            stopped = true;
            LockSupport.unpark(runner);
        }
    }

    private int retireFailedPorts()
    {
        int work = 0;
        final BitSet portIds = topology.portIds();
        for (int id = portIds.nextSetBit(0); id >= 0; id = portIds.nextSetBit(id + 1))
        {
            final PortRecord record = topology.portById(id);
            if (0 != record.failure() && !record.failureHandled)
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

    /**
     * Hands over the TAP ports whose namespace went: at once when a watched directory lost an entry or the ports
     * changed, else every {@link #NAMESPACE_SWEEP_MS} or {@link #WATCHED_NAMESPACE_SWEEP_MS}.
     */
    private int sweepNamespaces(final long now)
    {
        if (topology.portChanges() != portChangesWatched)
        {
            portChangesWatched = topology.portChanges();
            watchNamespaces();
            nextNamespaceSweepMs = 0;
        }
        final boolean changed = null != namespaceDirectories && namespaceDirectories.changed();
        if (!changed && now < nextNamespaceSweepMs)
        {
            return 0;
        }
        nextNamespaceSweepMs = now + (0 == unwatchedNamespaces ? WATCHED_NAMESPACE_SWEEP_MS : NAMESPACE_SWEEP_MS);
        return TapPorts.forEachGoneNamespace(topology, namespaceGone);
    }

    /** Makes the directory watches match the TAP ports there are now. Allocates; only after ports changed. */
    private void watchNamespaces()
    {
        final Iterator<Map.Entry<PortRecord, String>> watched = watchedDirectories.entrySet().iterator();
        while (watched.hasNext())
        {
            final Map.Entry<PortRecord, String> entry = watched.next();
            if (topology.portById(entry.getKey().id) != entry.getKey())
            {
                namespaceDirectories.remove(entry.getValue());
                watched.remove();
            }
        }
        unwatchedNamespaces = 0;
        boolean refused = false;
        final BitSet portIds = topology.portIds();
        for (int id = portIds.nextSetBit(0); id >= 0; id = portIds.nextSetBit(id + 1))
        {
            final PortRecord record = topology.portById(id);
            if (!(record.port() instanceof TapPort tap) || null == tap.namespacePath() ||
                watchedDirectories.containsKey(record))
            {
                continue;
            }
            final String directory = directoryNaming(tap.namespacePath());
            if (null != directory && null == namespaceDirectories && !refused)
            {
                namespaceDirectories = newWatch();
                refused = null == namespaceDirectories;
            }
            if (null != directory && null != namespaceDirectories && namespaceDirectories.add(directory))
            {
                watchedDirectories.put(record, directory);
            }
            else
            {
                unwatchedNamespaces++;
            }
        }
    }

    /**
     * A directory watch, or null if the kernel refuses one (its limit of inotify instances): looks every second. Asked
     * for at most once per change of ports, so the refusal is said once.
     */
    private static DirectoryWatch newWatch()
    {
        try
        {
            return DirectoryWatch.create();
        }
        catch (final NativeException ex)
        {
            System.err.println("vireo: no watch of the namespaces' directories (" + ex.getMessage() +
                "): looking at the namespaces every second");
            return null;
        }
    }

    /** The directory whose watch sees a namespace's file go; null under /proc, where a process's end is not seen. */
    private static String directoryNaming(final String namespacePath)
    {
        final Path parent = Path.of(namespacePath).getParent();
        return null == parent || namespacePath.startsWith("/proc/") ? null : parent.toString();
    }

    /**
     * Ages a slice of the forwarding table, unless its last whole pass showed that nothing expires yet and left no
     * tombstone to close: the slices of an idle switch read a fifth of a megabyte a second of a table it does not
     * use, pages the host of a VM may have taken back meanwhile (benches/README.md, 2026-12-07, seventh).
     */
    private int age(final long now, final long elapsedMs)
    {
        int aged = 0;
        if (now >= agingQuietUntilMs || fdb.tombstoneCount() > 0)
        {
            final long slots = 0 == agingSweepMs ? 0 : (fdb.slotCount() * elapsedMs + agingSweepMs - 1) / agingSweepMs;
            aged = fdb.ageSlice(now, agingPolicy, (int)Math.min(fdb.slotCount(), slots));
            agingQuietUntilMs = fdb.agingQuietUntil(shortestAgingMs);
        }
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
        shortestAgingMs = 0;
        for (final Bridge bridge : topology.bridges())
        {
            final long agingMs = agingMsByBridge[bridge.id];
            if (agingMs > 0 && (0 == shortestAgingMs || agingMs < shortestAgingMs))
            {
                shortestAgingMs = agingMs;
            }
        }
        // A whole sweep takes at most half the shortest aging time, at most 10 s; 10 s to close tombstones when no
        // bridge's entries age.
        agingSweepMs = Math.max(CONDUCTOR_TICK_MS,
            0 == shortestAgingMs ? MAX_SWEEP_MS : Math.min(MAX_SWEEP_MS, shortestAgingMs / 2));
        fdb.agingPolicyChanged();
        agingQuietUntilMs = 0;
    }

    /** Stops ticking; under the lock. */
    void close()
    {
        closed = true;
        if (null != namespaceDirectories)
        {
            namespaceDirectories.close();
        }
    }
}
