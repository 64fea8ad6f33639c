package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.pipeline.TokenBucket;
import io.vireo.dataplane.port.Port;
import io.vireo.tunnel.vxlan.Vtep;
import io.vireo.vswitch.pipeline.ForwardingProxy;
import io.vireo.vswitch.pipeline.PortEntry;

/**
 * The switch's bridges and ports, by name and by id, and how a port joins and leaves the forwarding
 * threads. Control thread only: the caller holds the switch's lock.
 */
final class Topology
{
    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
    private final Map<String, PortRecord> ports = new LinkedHashMap<>();
    private final BitSet bridgeIds = new BitSet();
    private final BitSet portIds = new BitSet();
    private long portChanges;
    private final PortRecord[] portsById;
    private final int maxBridges;
    private final int burstSize;
    private final ForwardingProxy forwarding;
    /** While true, ports join the forwarding threads unpolled, until {@link #polling} starts them: a switch taking over. */
    private boolean holding;

    Topology(final int maxBridges, final int maxPorts, final int burstSize, final ForwardingProxy forwarding)
    {
        this.maxBridges = maxBridges;
        this.portsById = new PortRecord[maxPorts];
        this.burstSize = burstSize;
        this.forwarding = forwarding;
    }

    /** Forwarding threads: the queues a TAP gets. */
    int threads()
    {
        return forwarding.threads();
    }

    Collection<Bridge> bridges()
    {
        return bridges.values();
    }

    Collection<PortRecord> ports()
    {
        return ports.values();
    }

    /** @throws VireoException (not found) naming the bridge. */
    Bridge bridge(final String name)
    {
        final Bridge bridge = bridges.get(name);
        if (null == bridge)
        {
            throw VireoException.notFound("no bridge named " + name);
        }
        return bridge;
    }

    /** @throws VireoException (not found) naming the port. */
    PortRecord port(final String name)
    {
        final PortRecord record = ports.get(name);
        if (null == record)
        {
            throw VireoException.notFound("no port named " + name);
        }
        return record;
    }

    /** The ports of one kind (their first queue's {@link Port}), in the order they were added. */
    <T extends Port> List<T> ports(final Class<T> type)
    {
        final List<T> found = new ArrayList<>();
        for (final PortRecord record : ports.values())
        {
            if (type.isInstance(record.port()))
            {
                found.add(type.cast(record.port()));
            }
        }
        return found;
    }

    boolean hasBridge(final String name)
    {
        return bridges.containsKey(name);
    }

    boolean hasPort(final String name)
    {
        return ports.containsKey(name);
    }

    /** The port with this id, or null. */
    PortRecord portById(final int id)
    {
        return id >= 0 && id < portsById.length ? portsById[id] : null;
    }

    /** Ports added and removed so far: the conductor's sign that they changed. */
    long portChanges()
    {
        return portChanges;
    }

    /** The ids in use, for the conductor's sweeps, which must not allocate: read it, never change it. */
    BitSet portIds()
    {
        return portIds;
    }

    /** Adds a bridge on every forwarding thread. */
    Bridge addBridge(final String name, final long agingSeconds)
    {
        final int id = bridgeIds.nextClearBit(0);
        if (id >= maxBridges)
        {
            throw VireoException.conflict("too many bridges (the limit is " + maxBridges + ")");
        }
        forwarding.addBridge(id);
        bridgeIds.set(id);
        final Bridge bridge = new Bridge(name, id, agingSeconds);
        bridges.put(name, bridge);
        return bridge;
    }

    /** Removes a bridge, which has no ports left, from every forwarding thread. */
    void removeBridge(final Bridge bridge)
    {
        forwarding.removeBridge(bridge.id);
        bridges.remove(bridge.name);
        bridgeIds.clear(bridge.id);
    }

    /** The ids of the bridges, lowest first. */
    BitSet bridgeIds()
    {
        return bridgeIds;
    }

    /**
     * Attaches a port to every forwarding thread, with its counters (closed if this fails). With a queue
     * per thread, thread i polls and writes queue i; a port with one queue is polled by one thread (by
     * port id, round robin) and written by all under a lock.
     *
     * @param vtep the port as a VXLAN endpoint, or null.
     */
    PortRecord add(
        final Bridge bridge, final List<? extends Port> queues, final PortDetails details, final PortCounters counters,
        final Vtep vtep)
    {
        final int id = portIds.nextClearBit(0);
        if (id >= portsById.length)
        {
            counters.close();
            throw VireoException.conflict("too many ports (the limit is " + portsById.length + ")");
        }
        final int threads = forwarding.threads();
        final boolean queuePerThread = queues.size() == threads;
        final int owner = queuePerThread ? PortRecord.QUEUE_PER_THREAD : id % threads;
        final AtomicBoolean txLock = queuePerThread ? null : new AtomicBoolean();
        final TokenBucket ingressLimit = new TokenBucket();
        final TokenBucket egressLimit = new TokenBucket();
        final PortEntry[] entries = new PortEntry[threads];
        for (int i = 0; i < threads; i++)
        {
            entries[i] = new PortEntry(queuePerThread ? queues.get(i) : queues.get(0), id, bridge.id, counters,
                burstSize, !holding && (queuePerThread || i == owner), txLock, ingressLimit, egressLimit);
        }
        try
        {
            forwarding.attach(entries);
        }
        catch (final RuntimeException ex)
        {
            counters.close();
            throw ex;
        }
        final PortRecord record = new PortRecord(owner, entries, bridge, details, vtep);
        portIds.set(id);
        portsById[id] = record;
        portChanges++;
        ports.put(record.name(), record);
        bridge.ports.add(record.name());
        return record;
    }

    /** From now on ports join the forwarding threads without being polled, until {@link #polling} starts them. */
    void hold()
    {
        holding = true;
    }

    /**
     * Starts (or stops) every port's polling on the threads that receive from it: all of them for a port with a
     * queue per thread. Each thread starts or stops all its ports between two bursts, in one command (a handover
     * waits for each thread once); frames wait in the ports' queues meanwhile. Starting ends {@link #hold}.
     */
    void polling(final boolean on)
    {
        for (int thread = 0; thread < forwarding.threads(); thread++)
        {
            final int polling = thread;
            forwarding.poll(thread, ports.values().stream()
                .filter(record -> PortRecord.QUEUE_PER_THREAD == record.thread || polling == record.thread)
                .mapToInt(record -> record.id).toArray(), on);
        }
        holding &= !on;
    }

    /** Detaches a port from every forwarding thread, then closes it and its counters. */
    void remove(final PortRecord record)
    {
        forwarding.detach(record.id);
        record.close();
        ports.remove(record.name());
        record.bridge.ports.remove(record.name());
        portsById[record.id] = null;
        portIds.clear(record.id);
        portChanges++;
    }
}
