package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;

/**
 * Decides where the frames no earlier stage decided go: group and unknown destinations flood, a known
 * MAC goes to the destination the forwarding table names on the frame's bridge (the ingress bridge,
 * or the one a router sent it to). The whole burst goes to the table at once, so the cache misses of
 * a large table overlap.
 */
final class L2LookupStage implements Stage
{
    private final ForwardingTable fdb;
    private final int[] bridgeIds;
    private final int[] found;

    L2LookupStage(final ForwardingTable fdb, final int burstSize)
    {
        this.fdb = fdb;
        this.bridgeIds = new int[burstSize];
        this.found = new int[burstSize];
    }

    /** Flood for group and unknown destinations, else the destination the forwarding table names. */
    static int action(final ForwardingTable fdb, final int bridgeId, final int vlan, final long destination)
    {
        if (MacAddress.isMulticast(destination))
        {
            return BurstContext.FLOOD;
        }
        final int out = fdb.lookup(bridgeId, vlan, destination);
        return out == ForwardingTable.MISS ? BurstContext.FLOOD : out;
    }

    @Override
    public void process(final BurstContext burst)
    {
        final int size = burst.size();
        int pending = 0;
        for (int frame = 0; frame < size; frame++)
        {
            final long destination = burst.destination(frame);
            final boolean lookUp = BurstContext.UNDECIDED == burst.action(frame) && !MacAddress.isMulticast(destination);
            pending += lookUp ? 1 : 0;
            bridgeIds[frame] = lookUp ? burst.bridge(frame) : ForwardingTable.SKIP;
        }
        if (pending > 0)
        {
            fdb.lookupBurst(bridgeIds, burst.vlans(), burst.destinations(), size, found);
        }
        for (int frame = 0; frame < size; frame++)
        {
            if (BurstContext.UNDECIDED == burst.action(frame))
            {
                final int out = ForwardingTable.SKIP == bridgeIds[frame] ? ForwardingTable.MISS : found[frame];
                burst.action(frame, out == ForwardingTable.MISS ? BurstContext.FLOOD : out);
            }
        }
    }
}
