/**
 * Endpoint policy, classified on a flow-cache miss:
 * {@link io.vireo.flowtable.policy.PolicyTable} holds per-bridge allow/deny
 * {@link io.vireo.flowtable.policy.PolicyRule}s on MACs, IPv4/IPv6 prefixes
 * ({@link io.vireo.flowtable.policy.IpPrefix}), protocol and port ranges, with priorities and a
 * default action, compiled into an immutable {@link io.vireo.flowtable.policy.RuleSet} per change.
 */
package io.vireo.flowtable.policy;
