package io.vireo.vswitch.core;

/**
 * An endpoint-policy rule as users write it: every match field optional (null: any). Addresses as
 * prefixes ({@code 10.0.0.0/24}, {@code fd00::/64}, a bare address is a host), protocol as {@code tcp},
 * {@code udp}, {@code sctp} or a number, ports as {@code 80} or {@code 8000-8080}; action {@code allow}
 * or {@code deny}; higher priority wins (0..65535, default 100). {@code id} is set by the switch.
 */
public record PolicySpec(
    Integer id,
    Integer priority,
    String action,
    String srcMac,
    String dstMac,
    String src,
    String dst,
    String protocol,
    String srcPorts,
    String dstPorts)
{
}
