package io.vireo.vswitch.core;

/**
 * One forwarding-table entry; {@code ageSeconds} is the time since the MAC was last seen (0 for
 * static). {@code remote} is the VXLAN peer behind the bridge's VXLAN port, null for a local port.
 */
public record FdbEntry(String mac, int vlan, String port, String remote, long ageSeconds, boolean isStatic)
{
}
