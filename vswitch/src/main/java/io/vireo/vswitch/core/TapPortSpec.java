package io.vireo.vswitch.core;

/**
 * A TAP port to create: the interface {@code name}, optionally moved into network namespace
 * {@code netns} and given an address ({@code ip} as CIDR), a MAC and an MTU there; {@code offloads}
 * overrides the switch's {@link VireoContext#tapOffloads()} for this port. Null fields are left to
 * the defaults.
 */
public record TapPortSpec(String name, String netns, String ip, String mac, Integer mtu, Boolean offloads)
{
    /** A TAP with the switch's offload setting. */
    public TapPortSpec(final String name, final String netns, final String ip, final String mac, final Integer mtu)
    {
        this(name, netns, ip, mac, mtu, null);
    }
}
