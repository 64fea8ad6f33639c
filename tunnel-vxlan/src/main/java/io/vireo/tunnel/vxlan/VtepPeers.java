package io.vireo.tunnel.vxlan;

import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.nativeio.InetSockets;
import org.agrona.collections.Int2IntHashMap;

/**
 * A VXLAN endpoint's peers by index, the number the forwarding table stores for a MAC behind a peer:
 * an index is stable while its peer exists, and a removed peer's index is reused. Changed on the
 * forwarding thread that receives from the endpoint (or the control thread while no thread does);
 * {@link #address} is read as a plain int by the thread that transmits, which may be another;
 * {@link #list()} reads a snapshot published on every change, from any thread.
 */
final class VtepPeers
{
    private final int[] addresses = new int[Vtep.MAX_PEERS];
    private final boolean[] learned = new boolean[Vtep.MAX_PEERS];
    private final Int2IntHashMap indexes = new Int2IntHashMap(Vtep.NO_PEER);
    /** One past the highest index in use; flooding walks indexes below it. */
    private int limit;
    private volatile List<Vtep.Peer> snapshot = List.of();

    /**
     * Adds a peer, or makes a learned one configured if {@code learnedFromTraffic} is false.
     *
     * @return its index, or {@link Vtep#NO_PEER} if there is no room for another.
     */
    int add(final int address, final boolean learnedFromTraffic)
    {
        final int existing = indexes.get(address);
        if (existing != Vtep.NO_PEER)
        {
            if (learned[existing] && !learnedFromTraffic)
            {
                learned[existing] = false;
                publish();
            }
            return existing;
        }
        for (int index = 0; index < addresses.length; index++)
        {
            if (0 == addresses[index])
            {
                addresses[index] = address;
                learned[index] = learnedFromTraffic;
                indexes.put(address, index);
                limit = Math.max(limit, index + 1);
                publish();
                return index;
            }
        }
        return Vtep.NO_PEER;
    }

    /** @return the index the peer had, or {@link Vtep#NO_PEER} if there was none. */
    int remove(final int address)
    {
        final int index = indexes.remove(address);
        if (index != Vtep.NO_PEER)
        {
            addresses[index] = 0;
            learned[index] = false;
            while (limit > 0 && 0 == addresses[limit - 1])
            {
                limit--;
            }
            publish();
        }
        return index;
    }

    /** The index of the peer with this address, or {@link Vtep#NO_PEER}. */
    int indexOf(final int address)
    {
        return indexes.get(address);
    }

    /** The peer at {@code index}, as an IPv4 address int, or 0 if none. */
    int address(final int index)
    {
        return index >= 0 && index < addresses.length ? addresses[index] : 0;
    }

    /** One past the highest index in use. */
    int limit()
    {
        return limit;
    }

    List<Vtep.Peer> list()
    {
        return snapshot;
    }

    private void publish()
    {
        final List<Vtep.Peer> peers = new ArrayList<>();
        for (int index = 0; index < limit; index++)
        {
            if (0 != addresses[index])
            {
                peers.add(new Vtep.Peer(index, InetSockets.format(addresses[index]), learned[index]));
            }
        }
        snapshot = List.copyOf(peers);
    }
}
