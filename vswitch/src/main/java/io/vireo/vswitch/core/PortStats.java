package io.vireo.vswitch.core;

import java.util.Map;

/**
 * A port's counters at one moment; {@code drops} by {@link io.vireo.dataplane.pipeline.DropReason#metricName()};
 * {@code arpNdSuppressed}: the ARP requests and neighbour solicitations from the port that the switch answered
 * itself ({@link Vireo#addNeighbourAnswer}), which went no further.
 */
public record PortStats(long rxPackets, long rxBytes, long txPackets, long txBytes, Map<String, Long> drops, long arpNdSuppressed)
{
}
