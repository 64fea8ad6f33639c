package io.vireo.vswitch.pipeline;

import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.Stage;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterStage;
import io.vireo.gateway.suppression.SuppressionStage;
import io.vireo.gateway.suppression.SuppressionTable;
import org.agrona.concurrent.EpochClock;

/**
 * The forwarding pipeline: the tables every forwarding thread shares, and the stages each thread runs
 * over its bursts, in order:
 * <pre>
 *  receive -&gt; parse -&gt; learn -&gt; [policy] -&gt; [suppression] -&gt; [router -&gt; egress policy] -&gt; L2 lookup -&gt; output (local, flood, a port with peers) -&gt; send
 * </pre>
 * A stage in brackets runs only on bridges with its {@link Features feature}. A new capability (a
 * router, NAT, load balancing) is a new {@link Stage} placed in {@link #stages}, with its tables, its
 * drop reasons in {@link io.vireo.dataplane.pipeline.DropReason} and its feature bit; the agent only
 * iterates.
 *
 * @param fdb               the forwarding table, shared by every thread (safe for concurrent learners).
 * @param policy            the endpoint policy, shared.
 * @param generations       each bridge's generation, bumped on every change that makes cached flows stale.
 * @param features          each bridge's feature bits.
 * @param geometry          the sizes of bursts and per-thread tables.
 * @param routers           the routers and their interfaces, shared.
 * @param neighbours        the routers' neighbour table, shared; null for a switch without routers.
 * @param connections       the routers' connection table (NAT), shared; null for a switch without routers.
 * @param suppression       the addresses the switch answers ARP and neighbour solicitations for itself, shared;
 *                          null for a switch that answers for none.
 */
public record Pipeline(
    ForwardingTable fdb, PolicyTable policy, Generations generations, Features features, Geometry geometry,
    RouterDirectory routers, NeighbourTable neighbours, ConnectionTable connections, SuppressionTable suppression)
{
    /** A pipeline without routers. */
    public Pipeline(
        final ForwardingTable fdb, final PolicyTable policy, final Generations generations, final Features features,
        final Geometry geometry)
    {
        this(fdb, policy, generations, features, geometry, new RouterDirectory(geometry.maxBridges()), null, null, null);
    }

    /** A pipeline with routers, and no ARP/ND suppression. */
    public Pipeline(
        final ForwardingTable fdb, final PolicyTable policy, final Generations generations, final Features features,
        final Geometry geometry, final RouterDirectory routers, final NeighbourTable neighbours, final ConnectionTable connections)
    {
        this(fdb, policy, generations, features, geometry, routers, neighbours, connections, null);
    }

    /**
     * @param burstSize         frames per receive burst.
     * @param slotSize          bytes per frame slot, a power of two.
     * @param headroom          bytes in front of each frame.
     * @param maxFrameLength    the longest frame forwarded (GSO frames aside).
     * @param maxPorts          port ids are below this.
     * @param maxBridges        bridge ids are below this.
     * @param flowCacheCapacity entries of each thread's flow cache.
     */
    public record Geometry(
        int burstSize, int slotSize, int headroom, int maxFrameLength, int maxPorts, int maxBridges, int flowCacheCapacity)
    {
    }

    /** A forwarding thread running this pipeline; {@code waitSet} null unless it sleeps in epoll when idle. */
    public ForwardingAgent newAgent(
        final String roleName, final int cpu, final EpochClock clock, final PortWaitSet waitSet, final ThreadCounters counters)
    {
        return new ForwardingAgent(roleName, cpu, this, clock, waitSet, counters);
    }

    FrameBurst newBurst()
    {
        return new FrameBurst(geometry.burstSize(), geometry.slotSize(), geometry.headroom());
    }

    int maxPorts()
    {
        return geometry.maxPorts();
    }

    int maxBridges()
    {
        return geometry.maxBridges();
    }

    PolicyStage policyStage()
    {
        return new PolicyStage(fdb, policy, generations, features, geometry.flowCacheCapacity());
    }

    OutputStage outputStage(final PortTable ports)
    {
        return new OutputStage(ports, geometry.maxPorts(), geometry.burstSize(), geometry.slotSize(), geometry.headroom());
    }

    /** One thread's stages, in order, over its table of ports. */
    Stage[] stages(final PortTable ports, final PolicyStage policyStage, final OutputStage output)
    {
        final Stage parse = new ParseStage(geometry.maxFrameLength());
        final Stage learn = new LearnStage(fdb, generations, geometry.burstSize());
        final Stage lookup = new L2LookupStage(fdb, geometry.burstSize());
        final List<Stage> stages = new ArrayList<>(List.of(parse, learn, policyStage));
        if (null != suppression)
        {
            stages.add(new SuppressionStage(suppression));
        }
        if (null != neighbours)
        {
            stages.add(new RouterStage(routers, neighbours, connections));
            stages.add(new EgressPolicyStage(policyStage));
        }
        stages.add(lookup);
        stages.add(output);
        return stages.toArray(Stage[]::new);
    }
}
