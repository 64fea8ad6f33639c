package io.vireo.vswitch.core;

import io.vireo.dataplane.port.Port;

/**
 * A port as the forwarding thread sees it: the port, its bridge, its counters and its pending
 * transmit burst (indexes of frames in the current receive burst).
 */
final class PortEntry
{
    final Port port;
    final int id;
    final int bridgeId;
    final PortCounters counters;
    final int[] txIndexes;
    int txCount;

    PortEntry(final Port port, final int id, final int bridgeId, final PortCounters counters, final int burstSize)
    {
        this.port = port;
        this.id = id;
        this.bridgeId = bridgeId;
        this.counters = counters;
        this.txIndexes = new int[burstSize];
    }
}
