package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.pipeline.Destination;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.tunnel.vxlan.Vtep;
import org.agrona.concurrent.EpochClock;

/**
 * The forwarding table's entries by names, as the API lists them (port name, VXLAN peer address, age), and as a
 * switch taking another's place learns them back. Control thread only: the caller holds the switch's lock.
 */
final class FdbEntries
{
    private final ForwardingTable fdb;
    private final Topology topology;
    private final Generations generations;
    private final EpochClock clock;

    FdbEntries(final ForwardingTable fdb, final Topology topology, final Generations generations, final EpochClock clock)
    {
        this.fdb = fdb;
        this.topology = topology;
        this.generations = generations;
        this.clock = clock;
    }

    /** The bridge's forwarding table, read while the forwarding threads keep learning. */
    List<FdbEntry> of(final String bridgeName)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        final long now = clock.time();
        final List<FdbEntry> entries = new ArrayList<>();
        final Map<Integer, String> peers = new HashMap<>();
        if (null != bridge.vxlanPort)
        {
            bridge.vxlanPort.vtep.peers().forEach(peer -> peers.put(peer.index(), peer.address()));
        }
        fdb.forEach(bridge.id, (vlan, mac, destination, lastSeenMs, isStatic) ->
        {
            final PortRecord port = topology.portById(Destination.port(destination));
            final int peerIndex = Destination.peer(destination);
            final String peer = peerIndex < 0 ? null : peers.get(peerIndex);
            if (null != port && (peerIndex < 0 || null != peer))
            {
                final long age = isStatic ? 0 : Math.max(0, now - lastSeenMs) / 1000;
                entries.add(new FdbEntry(MacAddress.format(mac), vlan, port.name(), peer, age, isStatic));
            }
        });
        return entries;
    }

    /** Every bridge's learned (dynamic) entries, by bridge name. */
    Map<String, List<FdbEntry>> learned()
    {
        final Map<String, List<FdbEntry>> learned = new LinkedHashMap<>();
        for (final Bridge bridge : topology.bridges())
        {
            learned.put(bridge.name, of(bridge.name).stream().filter(entry -> !entry.isStatic()).toList());
        }
        return learned;
    }

    /**
     * Learns the entries another switch had learned ({@link #learned}), with their age.
     *
     * @return the entries not learned: their bridge, port or VXLAN peer is not on this switch, or the table is full.
     */
    int learn(final Map<String, List<FdbEntry>> learned)
    {
        final long now = clock.time();
        int skipped = 0;
        for (final Map.Entry<String, List<FdbEntry>> bridgeEntries : learned.entrySet())
        {
            if (!topology.hasBridge(bridgeEntries.getKey()))
            {
                skipped += bridgeEntries.getValue().size();
                continue;
            }
            final Bridge bridge = topology.bridge(bridgeEntries.getKey());
            for (final FdbEntry entry : bridgeEntries.getValue())
            {
                final int destination = destinationOf(entry);
                final int outcome = destination < 0 ? ForwardingTable.INVALID : fdb.learn(bridge.id, entry.vlan(),
                    MacAddress.parse(entry.mac()), destination, now - entry.ageSeconds() * 1000);
                skipped += outcome == ForwardingTable.LEARNED || outcome == ForwardingTable.REFRESHED ||
                    outcome == ForwardingTable.MOVED ? 0 : 1;
            }
            generations.bump(bridge.id);
        }
        return skipped;
    }

    /** Where a learned entry of another switch is on this one, by port name and peer address; -1 if nowhere. */
    private int destinationOf(final FdbEntry entry)
    {
        if (!topology.hasPort(entry.port()))
        {
            return -1;
        }
        final PortRecord port = topology.port(entry.port());
        if (null == entry.remote())
        {
            return Destination.of(port.id, Vtep.NO_PEER);
        }
        final Vtep.Peer peer = null == port.vtep ? null : port.peer(entry.remote());
        return null == peer ? -1 : Destination.of(port.id, peer.index());
    }
}
