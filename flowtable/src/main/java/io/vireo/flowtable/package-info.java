/**
 * Off-heap tables the forwarding path consults for every frame, with no I/O and no per-entry
 * objects.
 * <ul>
 *   <li>{@link io.vireo.flowtable.fdb}: the forwarding database, (bridge id, VLAN, MAC) to a
 *   destination id, with last-seen time, static entries, incremental aging, per-destination MAC
 *   limits, and burst lookup and learning.</li>
 *   <li>{@link io.vireo.flowtable.flowcache}: the key of a frame, the exact-match flow cache (one per
 *   forwarding thread, in front of the FDB and the policy) and the per-bridge generations that make
 *   cached actions stale.</li>
 *   <li>{@link io.vireo.flowtable.policy}: endpoint policy, per-bridge allow/deny rules classified on
 *   a flow-cache miss.</li>
 *   <li>{@link io.vireo.flowtable.MacAddress}: MAC addresses packed in a {@code long}.</li>
 * </ul>
 *
 * <h2>Per frame, on a bridge with policy</h2>
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
 *   <li>A {@link io.vireo.flowtable.flowcache.FlowCache} belongs to one forwarding thread and is
 *   never shared.</li>
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
