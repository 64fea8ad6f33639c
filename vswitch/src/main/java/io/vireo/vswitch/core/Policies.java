package io.vireo.vswitch.core;

import java.util.List;
import java.util.function.Supplier;

import io.vireo.dataplane.pipeline.Features;
import io.vireo.flowtable.policy.PolicyTable;

/**
 * The bridges' endpoint policy as the API changes it: rules by bridge name, the default action, and the
 * {@link Features#POLICY} stage switched on only for bridges that have a policy. Control thread only: the caller
 * holds the switch's lock.
 */
final class Policies
{
    private final Topology topology;
    private final PolicyTable policy;
    private final Features features;

    Policies(final Topology topology, final PolicyTable policy, final Features features)
    {
        this.topology = topology;
        this.policy = policy;
        this.features = features;
    }

    /** Adds a rule; it applies to existing flows at once. Returns it with its id. */
    PolicySpec add(final String bridgeName, final PolicySpec spec)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        final int id = change(bridge, () -> policy.add(bridge.id, PolicyRules.toRule(spec)));
        return list(bridgeName).stream().filter(rule -> rule.id() == id).findFirst().orElseThrow();
    }

    void delete(final String bridgeName, final int ruleId)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        if (!change(bridge, () -> policy.remove(bridge.id, ruleId)))
        {
            throw VireoException.notFound("bridge " + bridgeName + " has no policy rule " + ruleId);
        }
    }

    /** A bridge's rules in evaluation order (highest priority first). */
    List<PolicySpec> list(final String bridgeName)
    {
        return policy.list(topology.bridge(bridgeName).id).stream().map(PolicyRules::toSpec).toList();
    }

    /** Sets what a bridge does with frames no rule matches: allow or deny. */
    void defaultAction(final String bridgeName, final String action)
    {
        final Bridge bridge = topology.bridge(bridgeName);
        final int value = VireoException.checked(() -> PolicyRules.action(action));
        change(bridge, () ->
        {
            policy.defaultAction(bridge.id, value);
            return null;
        });
    }

    String defaultAction(final String bridgeName)
    {
        return PolicyRules.actionName(policy.defaultAction(topology.bridge(bridgeName).id));
    }

    /**
     * Changes a bridge's policy with its policy stage on: switched on before the change, so no frame
     * passes a rule being added, and off after it if the bridge has no policy left.
     */
    private <T> T change(final Bridge bridge, final Supplier<T> change)
    {
        features.set(bridge.id, Features.POLICY, true);
        try
        {
            return VireoException.checked(change);
        }
        finally
        {
            features.set(bridge.id, Features.POLICY, policy.isActive(bridge.id));
        }
    }
}
