package io.vireo.vswitch.core;

import java.util.List;

/** A bridge's VXLAN endpoint as the control plane reports it: its settings, its port and its peers. */
public record VxlanInfo(int vni, String local, int port, int ttl, int mtu, boolean learnAnyPeer, String underlayTap,
    String portName, List<VxlanPeer> peers)
{
}
