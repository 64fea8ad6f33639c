package io.vireo.dataplane.pipeline;

import io.vireo.dataplane.buffer.FrameBurst;

/**
 * The one encoding of where the forwarding table sends a MAC: a port, or a peer behind a port that has
 * peers (a VXLAN port). Both fit the table's destination field:
 * <pre>
 *  0 .. REMOTE_BASE - 1                         a port id
 *  REMOTE_BASE + port id * MAX_PEERS + peer     peer {@code peer} (0 .. MAX_PEERS - 1) behind port {@code port id}
 * </pre>
 * A frame learned from a peer is learned against that peer; a frame for it goes to the port, carrying
 * the peer in its {@link FrameBurst#peer metadata}.
 */
public final class Destination
{
    /** Destinations from here on name a peer behind a port. */
    public static final int REMOTE_BASE = 1 << 20;
    /** Peers a port may have. */
    public static final int MAX_PEERS = 1024;

    private Destination()
    {
    }

    /** Where a MAC seen on {@code portId} from {@code peer} ({@link FrameBurst#NO_PEER}: from the port itself) is. */
    public static int of(final int portId, final int peer)
    {
        return peer < 0 ? portId : REMOTE_BASE + portId * MAX_PEERS + peer;
    }

    /** The port a destination is on. */
    public static int port(final int destination)
    {
        return destination < REMOTE_BASE ? destination : (destination - REMOTE_BASE) / MAX_PEERS;
    }

    /** The peer of a destination behind a port, or {@link FrameBurst#NO_PEER}. */
    public static int peer(final int destination)
    {
        return destination < REMOTE_BASE ? FrameBurst.NO_PEER : (destination - REMOTE_BASE) % MAX_PEERS;
    }

    /** The largest port id a destination can name when the table holds at most {@code maxDestination}. */
    public static int maxPortId(final int maxDestination)
    {
        return Math.min(REMOTE_BASE - 1, (maxDestination - REMOTE_BASE - (MAX_PEERS - 1)) / MAX_PEERS);
    }
}
