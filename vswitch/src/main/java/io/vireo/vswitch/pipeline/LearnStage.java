package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;

/**
 * Learns every frame's source MAC against where it came from: the ingress port, or the peer behind it
 * that sent it ({@link Destination}). The whole burst goes to the forwarding table at once, so the
 * cache misses of a large table overlap. A new or moved MAC bumps the bridge's generation, which makes
 * the flows cached for it stale.
 */
final class LearnStage implements Stage
{

    private final ForwardingTable fdb;
    private final Generations generations;
    private final int[] bridgeIds;
    private final int[] learnAs;
    private final int[] outcomes;

    LearnStage(final ForwardingTable fdb, final Generations generations, final int burstSize)
    {
        this.fdb = fdb;
        this.generations = generations;
        this.bridgeIds = new int[burstSize];
        this.learnAs = new int[burstSize];
        this.outcomes = new int[burstSize];
    }

    @Override
    public void process(final BurstContext burst)
    {
        final int size = burst.size();
        final int bridgeId = burst.bridgeId();
        final int ingress = burst.ingressPort();
        for (int frame = 0; frame < size; frame++)
        {
            bridgeIds[frame] = burst.isDropped(frame) ? ForwardingTable.SKIP : bridgeId;
            learnAs[frame] = Destination.of(ingress, burst.frames().peer(frame));
        }
        fdb.learnBurst(bridgeIds, burst.vlans(), burst.sources(), learnAs, size, burst.nowMs(), outcomes);
        for (int frame = 0; frame < size; frame++)
        {
            final int outcome = outcomes[frame];
            if (outcome == ForwardingTable.LEARNED || outcome == ForwardingTable.MOVED)
            {
                generations.bump(bridgeId);
                return;
            }
        }
    }
}
