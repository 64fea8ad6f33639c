package io.vireo.vswitch.core;

/**
 * A port as the control plane reports it; {@code socket} is a vhost-user port's socket path. {@code state} is {@code up}, or {@code failed: reason}
 * once the port's device went away (its namespace was deleted, say).
 */
public record PortInfo(
    String name,
    String bridge,
    String type,
    String netns,
    String ip,
    String mac,
    Integer mtu,
    String socket,
    String state,
    PortStats stats)
{
}
