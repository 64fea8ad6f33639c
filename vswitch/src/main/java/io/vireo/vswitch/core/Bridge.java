package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.List;

/** A bridge as the control plane keeps it: its id, aging, port names, and its VXLAN port if it has one. */
final class Bridge
{
    final String name;
    final int id;
    final long agingSeconds;
    final List<String> ports = new ArrayList<>();
    /** The bridge's VXLAN port and its settings, or null. */
    PortRecord vxlanPort;
    VxlanInfo vxlan;

    Bridge(final String name, final int id, final long agingSeconds)
    {
        this.name = name;
        this.id = id;
        this.agingSeconds = agingSeconds;
    }
}
