package io.vireo.vswitch.core;

/**
 * A port's descriptors as a running switch hands them to the one that takes its place ({@code vireod
 * --takeover}): {@link Vireo#handOverPorts} lists them, {@link Vireo#takePorts} takes them.
 *
 * @param type        {@code tap} (a descriptor per queue) or {@code vxlan} (the receiving socket, the raw
 *                    sending socket, then a socket per source port).
 * @param name        the port's name; a VXLAN port's is {@code <bridge>-vxlan}.
 * @param fds         the descriptors, in the order the type says.
 * @param sourcePorts a VXLAN port's UDP source ports, one per source-port socket; empty for a TAP.
 */
public record HandedPort(String type, String name, int[] fds, int[] sourcePorts)
{
    public static final String TAP = "tap";
    public static final String VXLAN = "vxlan";
}
