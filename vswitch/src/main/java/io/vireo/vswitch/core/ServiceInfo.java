package io.vireo.vswitch.core;

import java.util.List;

/**
 * A service as the API shows it.
 *
 * @param name      its name.
 * @param vip       {@code IP:PORT}.
 * @param protocol  {@code tcp} or {@code udp}.
 * @param algorithm how a new connection's backend is picked.
 * @param registry  the registry service its other backends come from, or null.
 * @param health    its health probe, defaults filled in.
 * @param backends  its backends, static ones first.
 */
public record ServiceInfo(
    String name, String vip, String protocol, String algorithm, String registry, ServiceSpec.HealthCheck health,
    List<BackendInfo> backends)
{
    /**
     * @param address     {@code IP:PORT}.
     * @param weight      its weight.
     * @param source      {@code static} or {@code registry}.
     * @param state       {@code up} (in selection) or {@code down} (its probes failed).
     * @param open        its connections open now.
     * @param connections connections made to it.
     * @param packets     packets of its connections, both ways.
     * @param bytes       bytes of IP packets of its connections, both ways.
     */
    public record BackendInfo(
        String address, int weight, String source, String state, int open, long connections, long packets, long bytes)
    {
    }
}
