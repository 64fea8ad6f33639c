package io.vireo.vswitch.core;

/**
 * A port as the control plane reports it; {@code offloads} is a TAP port's, {@code socket} and {@code client} are
 * a vhost-user port's (null for other types). {@code state} is {@code up}, or {@code failed: reason}
 * once the port's device went away (its namespace was deleted, say). {@code owner} names what manages the
 * port ({@code cni}, {@code docker}), null for ports an operator made; the config file saves only those.
 * {@code thread} is the forwarding thread an operator put the port on ({@link Vireo#movePort}), null when
 * the switch placed it ({@link Vireo#threads} says which thread polls what). {@code takes} lists the
 * offloads frames may carry to the port now, comma-separated ({@code checksum,tcp4,tcp6,tcp-ecn,udp}; empty
 * when none, and then the switch segments and checksums in software): a TAP's are fixed when it opens, a
 * vhost-user port's are what its driver negotiated. {@code ingress} and {@code egress} are its rate limits
 * ({@link Vireo#limitPort}; ingress: what the port sends into the switch, egress: what the switch sends it),
 * null without one.
 */
public record PortInfo(
    String name,
    String bridge,
    String type,
    String netns,
    String ip,
    String mac,
    Integer mtu,
    Boolean offloads,
    String takes,
    String socket,
    Boolean client,
    String state,
    PortStats stats,
    String owner,
    Integer thread,
    RateLimit ingress,
    RateLimit egress)
{
}
