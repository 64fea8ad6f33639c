package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.FlowCache;
import io.vireo.flowtable.flowcache.FlowKey;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyTable;

/**
 * Endpoint policy, on bridges with the {@link Features#POLICY} feature: each frame's action comes from
 * the thread's exact-match flow cache; on a miss the policy decides, then for an allowed frame the
 * forwarding table ({@link L2LookupStage#action}), and the action is cached under the bridge's
 * generation read before deciding (bumped whenever the table or the policy of the bridge changes, so a
 * cached action is never used after a change). A denied frame is dropped as {@code policy}.
 */
final class PolicyStage implements Stage
{
    /** A cached action besides those of {@link BurstContext}. */
    private static final int DENY = -4;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final FlowKey flowKey = new FlowKey();
    private final FlowKeyBuilder flowKeys = new FlowKeyBuilder();
    private final ForwardingTable fdb;
    private final PolicyTable policy;
    private final Generations generations;
    private final FlowCache flowCache;

    PolicyStage(final ForwardingTable fdb, final PolicyTable policy, final Generations generations, final int flowCacheCapacity)
    {
        this.fdb = fdb;
        this.policy = policy;
        this.generations = generations;
        this.flowCache = new FlowCache(flowCacheCapacity, generations);
    }

    @Override
    public int features()
    {
        return Features.POLICY;
    }

    @Override
    public void process(final BurstContext burst)
    {
        final FrameBurst frames = burst.frames();
        final int bridgeId = burst.bridgeId();
        for (int frame = 0, size = burst.size(); frame < size; frame++)
        {
            if (burst.isDropped(frame))
            {
                continue;
            }
            ethernet.wrap(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame));
            final int vlan = burst.vlan(frame);
            final long destination = burst.destination(frame);
            flowKeys.fill(flowKey, ethernet, burst.ingressPort(), bridgeId, vlan, burst.source(frame), destination);
            int action = flowCache.lookup(flowKey);
            if (action == FlowCache.MISS)
            {
                final long generation = generations.current(bridgeId);
                action = PolicyTable.action(policy.classify(flowKey)) == PolicyTable.DENY ?
                    DENY : L2LookupStage.action(fdb, bridgeId, vlan, destination);
                flowCache.insert(flowKey, action, generation);
            }
            if (DENY == action)
            {
                burst.drop(frame, DropReason.POLICY);
            }
            else
            {
                burst.action(frame, action);
            }
        }
    }

    FlowCache flowCache()
    {
        return flowCache;
    }
}
