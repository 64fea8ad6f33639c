package io.vireo.vswitch.core;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.port.Port;
import io.vireo.tunnel.vxlan.Vtep;
import io.vireo.vswitch.pipeline.PortEntry;

/** A port as the control plane keeps it: every thread's entry of it, its bridge, placement and details. */
final class PortRecord
{
    /** {@link #thread} of a port with a queue per thread: every thread polls its own. */
    static final int QUEUE_PER_THREAD = -1;

    final int id;
    /** Every forwarding thread's entry, by thread. */
    final PortEntry[] entries;
    final Bridge bridge;
    /** Changed only by {@link Vireo#locatePort}, on the control thread. */
    PortDetails details;
    /** The port as a VXLAN endpoint, whose peers the control plane changes; null for other ports. */
    final Vtep vtep;
    /** The thread that polls the port, or {@link #QUEUE_PER_THREAD}. */
    int thread;
    /** The thread an operator put the port on ({@link Vireo#movePort}), or null: placed round robin. */
    Integer placedThread;
    boolean failureHandled;
    /** The peers {@link #peerIndexes} was built from: the VTEP's list, which it replaces whenever its peers change. */
    private List<Vtep.Peer> indexedPeers = List.of();
    /** The VTEP's peers by address (as {@link Vtep.Peer#address()} writes it): their indexes. */
    private final Map<String, Vtep.Peer> peerIndexes = new HashMap<>();

    PortRecord(final int thread, final PortEntry[] entries, final Bridge bridge, final PortDetails details, final Vtep vtep)
    {
        this.id = entries[0].id();
        this.thread = thread;
        this.entries = entries;
        this.bridge = bridge;
        this.details = details;
        this.vtep = vtep;
    }

    /** The port (the first queue of a multi-queue TAP). */
    Port port()
    {
        return entries[0].port();
    }

    String name()
    {
        return port().name();
    }

    /** The thread that receives from the port (thread 0 for a port with a queue per thread). */
    int pollingThread()
    {
        return Math.max(thread, 0);
    }

    /**
     * The VTEP's peer at {@code address}, or null: from an index of its peer list, built again only when that
     * list changed (a peer came or went), so a lookup does not walk a thousand peers. Control thread only.
     *
     * @param address the address as {@link Vtep.Peer#address()} writes it (dotted quad, no leading zeros).
     */
    Vtep.Peer peer(final String address)
    {
        final List<Vtep.Peer> peers = vtep.peers();
        if (peers != indexedPeers)
        {
            peerIndexes.clear();
            for (final Vtep.Peer peer : peers)
            {
                peerIndexes.put(peer.address(), peer);
            }
            indexedPeers = peers;
        }
        return peerIndexes.get(address);
    }

    /** The errno of the first queue that failed for good, or 0. */
    int failure()
    {
        for (final PortEntry queue : entries)
        {
            if (0 != queue.port().failure())
            {
                return queue.port().failure();
            }
        }
        return 0;
    }

    /** Closes the port (every queue of a multi-queue TAP) and its counters. */
    void close()
    {
        Arrays.stream(entries).map(PortEntry::port).distinct().forEach(Port::close);
        entries[0].counters().close();
    }
}
