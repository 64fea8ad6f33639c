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
 * <p>
 * A packet a router {@link BurstContext#forward forwards} onto a bridge with policy is checked again
 * there, by {@link EgressPolicyStage} after the router stage ({@link #processForwarded}), as if it entered
 * that bridge from the router's interface: the key holds the egress bridge, VLAN 0, the router's MAC on
 * that bridge as source, the next hop's as destination, the addresses and ports as they leave the router
 * (after NAT), and {@link #FROM_ROUTER} as ingress port. Rules name no ingress port, so that value only
 * keeps these entries of the flow cache apart from those of frames received on the bridge's ports. The
 * verdict is stateless, as for any frame: a reply is checked as any packet is.
 */
final class PolicyStage implements Stage
{
    /** The ingress port of a forwarded frame's key on its egress bridge: no port, the router's interface. */
    static final int FROM_ROUTER = -1;
    /** A cached action besides those of {@link BurstContext}. */
    private static final int DENY = -4;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final FlowKey flowKey = new FlowKey();
    private final FlowKeyBuilder flowKeys = new FlowKeyBuilder();
    private final ForwardingTable fdb;
    private final PolicyTable policy;
    private final Generations generations;
    private final Features features;
    private final FlowCache flowCache;

    PolicyStage(
        final ForwardingTable fdb, final PolicyTable policy, final Generations generations, final Features features,
        final int flowCacheCapacity)
    {
        this.fdb = fdb;
        this.policy = policy;
        this.generations = generations;
        this.features = features;
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
        final int bridgeId = burst.bridgeId();
        final int ingressPort = burst.ingressPort();
        for (int frame = 0, size = burst.size(); frame < size; frame++)
        {
            if (!burst.isDropped(frame))
            {
                decide(burst, frame, ingressPort, bridgeId);
            }
        }
    }

    /**
     * The frames of the burst a router forwarded onto a bridge with policy, each by its egress bridge's
     * policy from {@link #FROM_ROUTER}. A burst without forwarded frames costs one comparison, a forwarded
     * frame onto a bridge without policy one read of its feature bits.
     */
    void processForwarded(final BurstContext burst)
    {
        if (0 == burst.forwardedCount())
        {
            return;
        }
        for (int frame = 0, size = burst.size(); frame < size; frame++)
        {
            if (burst.isForwarded(frame) && !burst.isDropped(frame))
            {
                final int bridgeId = burst.bridge(frame);
                if (0 != (features.of(bridgeId) & Features.POLICY))
                {
                    decide(burst, frame, FROM_ROUTER, bridgeId);
                }
            }
        }
    }

    /** A frame's action on {@code bridgeId} from the flow cache, or the policy then the forwarding table; drops a denied one. */
    private void decide(final BurstContext burst, final int frame, final int ingressPort, final int bridgeId)
    {
        final FrameBurst frames = burst.frames();
        ethernet.wrap(frames.buffer(), frames.frameOffset(frame), frames.frameLength(frame));
        final int vlan = burst.vlan(frame);
        final long destination = burst.destination(frame);
        flowKeys.fill(flowKey, ethernet, ingressPort, bridgeId, vlan, burst.source(frame), destination);
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

    FlowCache flowCache()
    {
        return flowCache;
    }
}
