/**
 * The exact-match flow cache in front of the FDB and the policy.
 * <ul>
 *   <li>{@link io.vireo.flowtable.flowcache.FlowKey}: the 64-byte key of a frame (ingress port,
 *   bridge, VLAN, MACs, EtherType, IPv4/IPv6 addresses, protocol, L4 ports), a flyweight the
 *   pipeline fills from the parsed headers.</li>
 *   <li>{@link io.vireo.flowtable.flowcache.FlowCache}: key to resolved action, one per forwarding
 *   thread.</li>
 *   <li>{@link io.vireo.flowtable.flowcache.Generations}: one generation number per bridge; bumping
 *   it makes every cached action of the bridge stale at once.</li>
 * </ul>
 */
package io.vireo.flowtable.flowcache;
