/**
 * The switch core, embeddable as a library: {@link io.vireo.vswitch.core.Vireo} with its bridges and
 * ports, the forwarding agent (the pipeline), the conductor (aging, failed ports), counters in a
 * memory-mapped file and the drop reasons table.
 */
package io.vireo.vswitch.core;
