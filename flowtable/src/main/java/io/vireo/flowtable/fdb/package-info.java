/**
 * The forwarding database: {@link io.vireo.flowtable.fdb.ForwardingTable}, (bridge id, VLAN, MAC) to
 * a destination id (a port, or a peer behind a port such as a VXLAN port: see the pipeline's Destination), with last-seen time,
 * static entries, incremental aging, per-destination MAC limits, and burst lookup and learning.
 * <p>
 * Its pieces, package-private:
 * <ul>
 *   <li>{@link io.vireo.flowtable.fdb.SlotCodec}: the layout of a slot and its packing;</li>
 *   <li>{@link io.vireo.flowtable.fdb.SlotArray}: the off-heap slots, the one seqlock read loop and
 *   the slot writes;</li>
 *   <li>{@link io.vireo.flowtable.fdb.Learner}: learning and static entries as slot writes;</li>
 *   <li>{@link io.vireo.flowtable.fdb.Sweeper}: the control thread's passes over the slots (aging,
 *   flushes, iteration, backward-shift deletion);</li>
 *   <li>{@link io.vireo.flowtable.fdb.MacLimits} and {@link io.vireo.flowtable.fdb.DestinationLimits}:
 *   the MAC limit of each destination and the entries counted against it.</li>
 * </ul>
 */
package io.vireo.flowtable.fdb;
