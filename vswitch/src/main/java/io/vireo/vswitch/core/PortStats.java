package io.vireo.vswitch.core;

import java.util.LinkedHashMap;
import java.util.Map;

import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;

/**
 * A port's counters at one moment; {@code drops} by {@link io.vireo.dataplane.pipeline.DropReason#metricName()};
 * {@code arpNdSuppressed}: the ARP requests and neighbour solicitations from the port that the switch answered
 * itself ({@link VireoOverlay#addNeighbourAnswer}), which went no further; {@code ipv4Fragments}: the IPv4
 * fragments sent on the port, cut from routed packets larger than the router interface's MTU;
 * {@code frontendViolations}: a vhost-user port's frontend broke the protocol (each reset the port; 0 for other types).
 */
public record PortStats(
    long rxPackets, long rxBytes, long txPackets, long txBytes, Map<String, Long> drops, long arpNdSuppressed, long ipv4Fragments,
    long frontendViolations)
{
    /** A port's counters as they are now. */
    static PortStats of(final PortCounters counters)
    {
        final Map<String, Long> drops = new LinkedHashMap<>();
        for (final DropReason reason : DropReason.values())
        {
            drops.put(reason.metricName(), counters.drops(reason));
        }
        return new PortStats(counters.rxPackets(), counters.rxBytes(), counters.txPackets(), counters.txBytes(), drops,
            counters.suppressed(), counters.fragments(), counters.violations());
    }
}
