/**
 * Off-heap tables the forwarding path consults for every frame, with no I/O and no per-entry
 * objects.
 * <ul>
 *   <li>{@link io.vireo.flowtable.ForwardingTable}: the forwarding database, (bridge id, VLAN, MAC)
 *   to a destination id (a port, or later a remote VXLAN tunnel endpoint by index), with last-seen
 *   time, static entries, incremental aging, per-destination MAC limits, and burst lookup and learning.</li>
 *   <li>{@link io.vireo.flowtable.FlowKey}: the 64-byte key of a frame (ingress port, bridge, VLAN,
 *   MACs, EtherType, IPv4/IPv6 addresses, protocol, L4 ports), a flyweight the pipeline fills from
 *   the parsed headers.</li>
 *   <li>{@link io.vireo.flowtable.FlowCache}: the exact-match flow cache, key to resolved action,
 *   one per forwarding thread, in front of the FDB and the policy.</li>
 *   <li>{@link io.vireo.flowtable.Generations}: one generation number per bridge; bumping it makes
 *   every cached action of the bridge stale at once.</li>
 *   <li>{@link io.vireo.flowtable.PolicyTable}, {@link io.vireo.flowtable.PolicyRule},
 *   {@link io.vireo.flowtable.IpPrefix}: endpoint policy, per-bridge allow/deny rules on MACs,
 *   IPv4/IPv6 prefixes, protocol and port ranges with priorities and a default action, classified
 *   on a flow-cache miss.</li>
 *   <li>{@link io.vireo.flowtable.MacAddress}: MAC addresses packed in a {@code long}.</li>
 * </ul>
 *
 * <h2>Per frame</h2>
 * <pre>
 *   key.reset(), fill from headers
 *   action = flowCache.lookup(key)
 *   if (action == FlowCache.MISS)
 *       generation = generations.current(bridge)     before reading the FDB and policy
 *       action = resolve(fdb.lookup(...), policyTable.classify(key))
 *       flowCache.insert(key, action, generation)
 *   whoever changes the FDB or a policy: change, then generations.bump(bridge)
 * </pre>
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li><b>Forwarding threads</b>, any number, call the hot-path methods
 *   ({@code lookup}, {@code lookupBurst}, {@code learn}, {@code learnBurst}, {@code classify},
 *   {@code current})
 *   concurrently. These allocate nothing, take no lock and throw nothing; bad arguments give
 *   {@code MISS} or {@code INVALID}.</li>
 *   <li>A {@link io.vireo.flowtable.FlowCache} belongs to one forwarding thread and is never shared.</li>
 *   <li><b>One control thread</b> calls everything else (adding static entries, removal, aging,
 *   limits, iteration, policy changes) while the forwarding threads keep running. Control-plane
 *   methods validate their arguments and throw {@link java.lang.IllegalArgumentException}. Two
 *   control threads must not call them at once.</li>
 *   <li>No reader ever sees a torn entry or a torn rule set; the memory-ordering argument is in each
 *   table's class comment.</li>
 *   <li>{@code close()} frees the off-heap memory; call it only once every thread has stopped
 *   using the table.</li>
 * </ul>
 * Time is milliseconds from whatever clock the caller passes, read once per burst.
 */
package io.vireo.flowtable;
