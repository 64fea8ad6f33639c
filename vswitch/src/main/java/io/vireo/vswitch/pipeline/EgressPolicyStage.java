package io.vireo.vswitch.pipeline;

import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.Stage;

/**
 * The policy of the bridge a router forwards a packet onto, right after the router stage (on the same
 * bridges, {@link Features#ROUTER}): a packet routed from bridge A onto bridge B is checked by B's policy
 * as if it entered B from the router's interface, as the ingress bridge's policy checked it on the way
 * in ({@link PolicyStage#processForwarded}). The router's own answers and solicitations are not checked.
 * Shares the thread's {@link PolicyStage}, and so its flow cache.
 */
final class EgressPolicyStage implements Stage
{
    private final PolicyStage policy;

    EgressPolicyStage(final PolicyStage policy)
    {
        this.policy = policy;
    }

    @Override
    public int features()
    {
        return Features.ROUTER;
    }

    @Override
    public void process(final BurstContext burst)
    {
        policy.processForwarded(burst);
    }
}
