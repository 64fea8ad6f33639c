package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.pipeline.Features;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.gateway.suppression.SuppressionTable;

/**
 * What the switch is told of a bridge's endpoints instead of learning it: static forwarding entries for
 * the MACs of remote endpoints, each pointing at a VXLAN peer of the bridge, and the addresses whose ARP
 * requests and neighbour solicitations the switch answers itself ({@link SuppressionTable}), with the
 * bridge's {@link Features#SUPPRESSION} bit on while it has any. Each change bumps the bridge's
 * generation, so cached flows go stale. Control thread only: the caller holds the switch's lock.
 */
final class OverlayEntries
{
    /** A remote MAC's destination in the forwarding table, and the peer's address it names. */
    private record Remote(int destination, String peer)
    {
    }

    /** One bridge's records: remote MACs, and answers by address and by MAC. */
    private static final class BridgeEntries
    {
        final Map<Long, Remote> remotes = new LinkedHashMap<>();
        final Map<IpPrefix, Long> answers = new LinkedHashMap<>();
        /** Immutable lists, replaced on change: most MACs have one or two addresses, and a set each cost 200 bytes. */
        final Map<Long, List<IpPrefix>> addressesByMac = new HashMap<>();

        boolean isEmpty()
        {
            return remotes.isEmpty() && answers.isEmpty();
        }
    }

    private final ForwardingTable fdb;
    private final SuppressionTable table;
    private final Features features;
    private final Generations generations;
    private final Map<Integer, BridgeEntries> bridges = new HashMap<>();

    OverlayEntries(final ForwardingTable fdb, final SuppressionTable table, final Features features, final Generations generations)
    {
        this.fdb = fdb;
        this.table = table;
        this.features = features;
        this.generations = generations;
    }

    /** Points {@code mac} at {@code destination} (a peer behind the bridge's VXLAN port) with a static entry. */
    void addRemoteMac(final Bridge bridge, final long mac, final int destination, final String peer)
    {
        if (!fdb.addStatic(bridge.id, 0, mac, destination))
        {
            throw VireoException.conflict("the forwarding table is full (" + fdb.capacity() + " entries): no room for " +
                MacAddress.format(mac));
        }
        entries(bridge).remotes.put(mac, new Remote(destination, peer));
        generations.bump(bridge.id);
    }

    /** Removes the static entry of a remote MAC; false if the bridge had none. */
    boolean removeRemoteMac(final Bridge bridge, final long mac)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        final Remote remote = null == entries ? null : entries.remotes.remove(mac);
        if (null == remote)
        {
            return false;
        }
        if (fdb.lookup(bridge.id, 0, mac) == remote.destination())
        {
            fdb.remove(bridge.id, 0, mac);
        }
        generations.bump(bridge.id);
        forgetIfEmpty(bridge);
        return true;
    }

    /** The peer a remote MAC is behind, or null. */
    String remotePeer(final Bridge bridge, final long mac)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        final Remote remote = null == entries ? null : entries.remotes.get(mac);
        return null == remote ? null : remote.peer();
    }

    /**
     * A peer at {@code destination} is gone and the forwarding table has forgotten the MACs behind it: so do
     * the records, and the answers for those MACs' addresses go too.
     */
    void peerRemoved(final Bridge bridge, final int destination)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        if (null == entries)
        {
            return;
        }
        final List<Long> gone = new ArrayList<>();
        entries.remotes.forEach((mac, remote) ->
        {
            if (remote.destination() == destination)
            {
                gone.add(mac);
            }
        });
        for (final Long mac : gone)
        {
            entries.remotes.remove(mac);
            answers(bridge, mac, List.of());
        }
        forgetIfEmpty(bridge);
    }

    /** Answers for {@code address} with {@code mac} (replacing the MAC it had). */
    void addAnswer(final Bridge bridge, final IpPrefix address, final long mac)
    {
        final BridgeEntries entries = entries(bridge);
        final Long previous = entries.answers.get(address);
        if (null != previous && previous == mac)
        {
            return;
        }
        if (null == previous && table.size() == table.capacity())
        {
            forgetIfEmpty(bridge);
            throw VireoException.conflict("the switch answers for " + table.capacity() +
                " addresses already, its neighbourAnswerCapacity: no room for " + text(address));
        }
        features.set(bridge.id, Features.SUPPRESSION, true);
        if (address.isIpv4())
        {
            table.putIpv4(bridge.id, (int)address.low(), mac);
        }
        else
        {
            table.putIpv6(bridge.id, address.high(), address.low(), mac);
        }
        if (null != previous)
        {
            unindex(entries, previous, address);
        }
        entries.answers.put(address, mac);
        entries.addressesByMac.merge(mac, List.of(address), OverlayEntries::appended);
        generations.bump(bridge.id);
    }

    /** Stops answering for {@code address}; false if the bridge did not. */
    boolean removeAnswer(final Bridge bridge, final IpPrefix address)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        final Long mac = null == entries ? null : entries.answers.remove(address);
        if (null == mac)
        {
            return false;
        }
        removeFromTable(bridge, address);
        unindex(entries, mac, address);
        if (entries.answers.isEmpty())
        {
            features.set(bridge.id, Features.SUPPRESSION, false);
        }
        generations.bump(bridge.id);
        forgetIfEmpty(bridge);
        return true;
    }

    /**
     * Makes {@code addresses} exactly those answered with {@code mac}: adds the new, removes the others of that MAC;
     * refused before anything changes if the table has no room for the new ones.
     */
    void answers(final Bridge bridge, final long mac, final List<IpPrefix> addresses)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        final List<IpPrefix> current = null == entries ? List.of() : entries.addressesByMac.getOrDefault(mac, List.of());
        final long added = addresses.stream().filter(address -> null == entries || !entries.answers.containsKey(address)).count();
        final long removed = current.stream().filter(address -> !addresses.contains(address)).count();
        if (table.size() + added - removed > table.capacity())
        {
            throw VireoException.conflict("the switch answers for " + table.size() + " of its " + table.capacity() +
                " addresses (neighbourAnswerCapacity): no room for " + added + " more");
        }
        for (final IpPrefix address : current)
        {
            if (!addresses.contains(address))
            {
                removeAnswer(bridge, address);
            }
        }
        for (final IpPrefix address : addresses)
        {
            addAnswer(bridge, address, mac);
        }
    }

    /** The bridge's remote MACs, each with its peer. */
    List<RemoteMac> remoteMacs(final Bridge bridge)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        return null == entries ? List.of() : entries.remotes.entrySet().stream()
            .map(entry -> new RemoteMac(MacAddress.format(entry.getKey()), entry.getValue().peer()))
            .toList();
    }

    /** The addresses the bridge answers for, each with its MAC. */
    List<NeighbourAnswer> answers(final Bridge bridge)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        return null == entries ? List.of() : entries.answers.entrySet().stream()
            .map(entry -> new NeighbourAnswer(text(entry.getKey()), MacAddress.format(entry.getValue())))
            .toList();
    }

    /** The bridge is going: its answers leave the table (the caller flushes its forwarding entries and features). */
    void bridgeDeleted(final Bridge bridge)
    {
        final BridgeEntries entries = bridges.remove(bridge.id);
        if (null != entries)
        {
            for (final IpPrefix address : entries.answers.keySet())
            {
                removeFromTable(bridge, address);
            }
        }
    }

    /** An address as the API takes it: IPv4 or IPv6, no prefix length. */
    static IpPrefix address(final String text)
    {
        final long dotted = VxlanPorts.dottedQuad(text);
        if (dotted >= 0)
        {
            return IpPrefix.ipv4((int)dotted, IpPrefix.IPV4_BITS);
        }
        if (null == text || text.indexOf('/') >= 0)
        {
            throw VireoException.invalid("invalid address '" + text + "': an IPv4 or IPv6 address without a prefix length");
        }
        final IpPrefix address = VireoException.checked(() -> IpPrefix.parse(text));
        if (!address.isIpv4() && 0 == address.high() && (address.low() >>> 32) == 0xFFFF)
        {
            throw VireoException.invalid("invalid address '" + text + "': an IPv4-mapped IPv6 address is no neighbour's");
        }
        return address;
    }

    static String text(final IpPrefix address)
    {
        return address.isIpv4() ? IpPrefix.formatIpv4((int)address.low()) : IpPrefix.formatIpv6(address.high(), address.low());
    }

    private void removeFromTable(final Bridge bridge, final IpPrefix address)
    {
        if (address.isIpv4())
        {
            table.removeIpv4(bridge.id, (int)address.low());
        }
        else
        {
            table.removeIpv6(bridge.id, address.high(), address.low());
        }
    }

    private static void unindex(final BridgeEntries entries, final long mac, final IpPrefix address)
    {
        final List<IpPrefix> addresses = entries.addressesByMac.get(mac);
        if (null != addresses && addresses.contains(address))
        {
            if (addresses.size() == 1)
            {
                entries.addressesByMac.remove(mac);
            }
            else
            {
                final List<IpPrefix> rest = new ArrayList<>(addresses);
                rest.remove(address);
                entries.addressesByMac.put(mac, List.copyOf(rest));
            }
        }
    }

    /** {@code addresses} and then {@code more}, those it lacks, as an immutable list. */
    private static List<IpPrefix> appended(final List<IpPrefix> addresses, final List<IpPrefix> more)
    {
        final List<IpPrefix> all = new ArrayList<>(addresses);
        for (final IpPrefix address : more)
        {
            if (!all.contains(address))
            {
                all.add(address);
            }
        }
        return List.copyOf(all);
    }

    private BridgeEntries entries(final Bridge bridge)
    {
        return bridges.computeIfAbsent(bridge.id, id -> new BridgeEntries());
    }

    private void forgetIfEmpty(final Bridge bridge)
    {
        final BridgeEntries entries = bridges.get(bridge.id);
        if (null != entries && entries.isEmpty())
        {
            bridges.remove(bridge.id);
        }
    }
}
