package io.vireo.vswitch.core;

/**
 * A port's descriptors as a running switch hands them to the one that takes its place ({@code vireod
 * --takeover}): {@link VireoHandover#handOverPorts} lists them, {@link VireoHandover#takePorts} takes them. A
 * vhost-user port is only named there; its descriptors and state come once the running switch stopped forwarding
 * ({@link VireoHandover#stopForwarding}, {@link VireoHandover#startForwarding}), as does where an af-packet port's
 * ring reader is.
 *
 * @param type        {@code tap} (a descriptor per queue), {@code vxlan} (the receiving socket, the raw
 *                    sending socket, then a socket per source port), {@code af-packet} (the socket; none once
 *                    stopped) or {@code vhost-user} (as {@link io.vireo.dataplane.vhost.VhostUserHandover} says).
 * @param name        the port's name; a VXLAN port's is {@code <bridge>-vxlan}.
 * @param fds         the descriptors, in the order the type says.
 * @param sourcePorts a VXLAN port's UDP source ports, one per source-port socket; empty for the others.
 * @param state       a vhost-user port's state, one word ({@link io.vireo.dataplane.vhost.VhostUserHandover#state});
 *                    an af-packet port's ring geometry ({@link io.vireo.dataplane.port.AfPacketPort#geometry}),
 *                    then its reader's position ({@link io.vireo.dataplane.port.AfPacketPort#position}); empty
 *                    for the others, and where a vhost-user port is only named.
 */
public record HandedPort(String type, String name, int[] fds, int[] sourcePorts, String state)
{
    public static final String TAP = "tap";
    public static final String VXLAN = "vxlan";
    public static final String VHOST_USER = "vhost-user";
    public static final String AF_PACKET = "af-packet";

    public HandedPort(final String type, final String name, final int[] fds, final int[] sourcePorts)
    {
        this(type, name, fds, sourcePorts, "");
    }
}
