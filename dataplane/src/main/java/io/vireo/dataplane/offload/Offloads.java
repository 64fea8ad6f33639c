package io.vireo.dataplane.offload;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.DirectBuffer;

/**
 * The offloads a port takes, as bits, and the ones a frame's virtio-net header asks for. A frame
 * goes to a port as it is when the port takes every offload the frame needs; otherwise the pipeline
 * segments it or completes its checksum in software first. Ports negotiate these differently (a TAP
 * with {@code TUNSETOFFLOAD}, a vhost-user driver with its {@code GUEST_*} feature bits), so what a
 * port takes can change while it runs.
 */
public final class Offloads
{
    /** A partial checksum ({@code NEEDS_CSUM}) left for the receiver to complete. */
    public static final int CHECKSUM = 1;
    /** TCP over IPv4 segments larger than the MTU ({@code GSO_TCPV4}). */
    public static final int TCP4 = 1 << 1;
    /** TCP over IPv6 segments larger than the MTU ({@code GSO_TCPV6}). */
    public static final int TCP6 = 1 << 2;
    /** Large TCP segments with CWR set ({@code GSO_ECN}). */
    public static final int TCP_ECN = 1 << 3;
    /** UDP segmentation ({@code GSO_UDP_L4}). */
    public static final int UDP_L4 = 1 << 4;
    /** Every offload there is a bit for. */
    public static final int ALL = CHECKSUM | TCP4 | TCP6 | TCP_ECN | UDP_L4;
    /** A GSO type no port takes (legacy UFO, unknown values): always done in software, which refuses it. */
    public static final int UNSUPPORTED = 1 << 31;

    private Offloads()
    {
    }

    /**
     * The offloads the frame behind the virtio-net header at {@code headerOffset} needs from the port it
     * goes to; 0 for a frame with complete checksums and no segmentation. {@code DATA_VALID} needs
     * nothing: it only says the checksum was checked.
     */
    public static int required(final DirectBuffer buffer, final int headerOffset)
    {
        final int flags = buffer.getByte(headerOffset + VirtioNetHeaderFlyweight.FLAGS_OFFSET);
        final int gsoType = buffer.getByte(headerOffset + VirtioNetHeaderFlyweight.GSO_TYPE_OFFSET) & 0xFF;
        final int checksum = 0 != (flags & VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM) ? CHECKSUM : 0;
        return VirtioNetHeaderFlyweight.GSO_NONE == gsoType ? checksum : checksum | gso(gsoType);
    }

    private static int gso(final int gsoType)
    {
        final int ecn = 0 != (gsoType & VirtioNetHeaderFlyweight.GSO_ECN) ? TCP_ECN : 0;
        switch (gsoType & ~VirtioNetHeaderFlyweight.GSO_ECN)
        {
            case VirtioNetHeaderFlyweight.GSO_TCPV4:
                return TCP4 | ecn;
            case VirtioNetHeaderFlyweight.GSO_TCPV6:
                return TCP6 | ecn;
            case VirtioNetHeaderFlyweight.GSO_UDP_L4:
                return 0 == ecn ? UDP_L4 : UNSUPPORTED;
            default:
                return UNSUPPORTED;
        }
    }

    /** True if a port that takes {@code accepted} can be given a frame that needs {@code required}. */
    public static boolean covers(final int accepted, final int required)
    {
        return 0 == (required & ~accepted);
    }

    /** The bits' names, comma-separated ({@code checksum,tcp4,tcp6,tcp-ecn,udp}), for reports. */
    public static String describe(final int offloads)
    {
        final StringBuilder names = new StringBuilder();
        append(names, offloads, CHECKSUM, "checksum");
        append(names, offloads, TCP4, "tcp4");
        append(names, offloads, TCP6, "tcp6");
        append(names, offloads, TCP_ECN, "tcp-ecn");
        append(names, offloads, UDP_L4, "udp");
        return names.toString();
    }

    private static void append(final StringBuilder names, final int offloads, final int bit, final String name)
    {
        if (0 != (offloads & bit))
        {
            names.append(names.length() > 0 ? "," : "").append(name);
        }
    }
}
