/**
 * Off-heap tables the forwarding path consults for every frame, with no I/O and no per-entry
 * objects.
 * <ul>
 *   <li>{@link io.vireo.flowtable.ForwardingTable}: the forwarding database, (bridge id, VLAN, MAC)
 *   to a destination id (a port, or later a remote VXLAN tunnel endpoint by index), with last-seen
 *   time, static entries, incremental aging and per-destination MAC limits.</li>
 *   <li>{@link io.vireo.flowtable.MacAddress}: MAC addresses packed in a {@code long}.</li>
 * </ul>
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li><b>Forwarding threads</b>, any number, call the hot-path methods
 *   ({@code lookup}, {@code learn}) concurrently. These allocate nothing, take no lock and throw
 *   nothing; bad arguments give {@code MISS} or {@code INVALID}.</li>
 *   <li><b>One control thread</b> calls everything else (adding static entries, removal, aging,
 *   limits, iteration) while the forwarding threads keep running. Control-plane methods validate
 *   their arguments and throw {@link java.lang.IllegalArgumentException}. Two control threads must
 *   not call them at once.</li>
 *   <li>No reader ever sees a torn entry; the memory-ordering argument is in each table's class
 *   comment.</li>
 *   <li>{@code close()} frees the off-heap memory; call it only once every thread has stopped
 *   using the table.</li>
 * </ul>
 * Time is milliseconds from whatever clock the caller passes, read once per burst.
 */
package io.vireo.flowtable;
