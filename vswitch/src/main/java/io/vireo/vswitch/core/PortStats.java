package io.vireo.vswitch.core;

import java.util.Map;

/** A port's counters at one moment; {@code drops} by {@link io.vireo.dataplane.pipeline.DropReason#metricName()}. */
public record PortStats(long rxPackets, long rxBytes, long txPackets, long txBytes, Map<String, Long> drops)
{
}
