package io.vireo.vswitch.core;

/** One forwarding-table entry; {@code ageSeconds} is the time since the MAC was last seen (0 for static). */
public record FdbEntry(String mac, int vlan, String port, long ageSeconds, boolean isStatic)
{
}
