package io.vireo.vswitch.core;

import java.util.List;

/** A bridge as the control plane reports it. */
public record BridgeInfo(String name, long agingSeconds, List<String> ports, int fdbEntries)
{
}
