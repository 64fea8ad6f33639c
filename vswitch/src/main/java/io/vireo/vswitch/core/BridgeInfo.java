package io.vireo.vswitch.core;

import java.util.List;

/** A bridge as the control plane reports it; {@code vxlan} is null on a bridge without a VXLAN endpoint. */
public record BridgeInfo(String name, long agingSeconds, List<String> ports, int fdbEntries, VxlanInfo vxlan)
{
}
