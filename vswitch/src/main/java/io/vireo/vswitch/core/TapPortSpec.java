package io.vireo.vswitch.core;

/**
 * A TAP port to create: the interface {@code name}, optionally moved into network namespace
 * {@code netns} and given an address ({@code ip} as CIDR), a MAC and an MTU there. Null fields are
 * left to the kernel's defaults.
 */
public record TapPortSpec(String name, String netns, String ip, String mac, Integer mtu)
{
}
