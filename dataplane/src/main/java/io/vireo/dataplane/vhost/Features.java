package io.vireo.dataplane.vhost;

import io.vireo.dataplane.offload.Offloads;

/**
 * Feature bits: virtio-net device features (GET/SET_FEATURES) and vhost-user protocol features
 * (GET/SET_PROTOCOL_FEATURES), and what this backend offers. The offloads are offered both ways:
 * the driver may send partial checksums and TCP/UDP segments (CSUM, HOST_*), and may take them
 * (GUEST_*); the virtio-net header then carries them to and from the switch's own per-frame header,
 * which is the same {@code virtio_net_hdr_v1} a TAP with {@code IFF_VNET_HDR} uses.
 */
final class Features
{
    /** The driver may send frames with a partial checksum (NEEDS_CSUM). */
    static final long VIRTIO_NET_F_CSUM = 1L;
    /** The driver takes frames with a partial checksum, and DATA_VALID. */
    static final long VIRTIO_NET_F_GUEST_CSUM = 1L << 1;
    static final long VIRTIO_NET_F_GUEST_TSO4 = 1L << 7;
    static final long VIRTIO_NET_F_GUEST_TSO6 = 1L << 8;
    static final long VIRTIO_NET_F_GUEST_ECN = 1L << 9;
    /** The driver may send GSO_TCPV4 frames. */
    static final long VIRTIO_NET_F_HOST_TSO4 = 1L << 11;
    static final long VIRTIO_NET_F_HOST_TSO6 = 1L << 12;
    static final long VIRTIO_NET_F_HOST_ECN = 1L << 13;
    static final long VIRTIO_NET_F_GUEST_USO4 = 1L << 54;
    static final long VIRTIO_NET_F_GUEST_USO6 = 1L << 55;
    /** The driver may send GSO_UDP_L4 frames. */
    static final long VIRTIO_NET_F_HOST_USO = 1L << 56;
    /** Frames to the driver may span several receive buffers, counted in the header's num_buffers. */
    static final long VIRTIO_NET_F_MRG_RXBUF = 1L << 15;
    static final long VIRTIO_RING_F_INDIRECT_DESC = 1L << 28;
    /** vhost-user: GET/SET_PROTOCOL_FEATURES are understood; rings then start disabled. */
    static final long VHOST_USER_F_PROTOCOL_FEATURES = 1L << 30;
    /** virtio 1.x: little-endian rings, the 12-byte net header. Mandatory here. */
    static final long VIRTIO_F_VERSION_1 = 1L << 32;

    static final long HOST_OFFLOADS =
        VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_HOST_TSO6 | VIRTIO_NET_F_HOST_ECN | VIRTIO_NET_F_HOST_USO;
    static final long GUEST_OFFLOADS = VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_GUEST_TSO4 | VIRTIO_NET_F_GUEST_TSO6 |
        VIRTIO_NET_F_GUEST_ECN | VIRTIO_NET_F_GUEST_USO4 | VIRTIO_NET_F_GUEST_USO6;

    static final long OFFERED = VIRTIO_NET_F_MRG_RXBUF | VIRTIO_RING_F_INDIRECT_DESC | VHOST_USER_F_PROTOCOL_FEATURES |
        VIRTIO_F_VERSION_1 | HOST_OFFLOADS | GUEST_OFFLOADS;

    static final long PROTOCOL_F_MQ = 1L;
    static final long PROTOCOL_F_REPLY_ACK = 1L << 3;

    static final long PROTOCOL_OFFERED = PROTOCOL_F_MQ | PROTOCOL_F_REPLY_ACK;

    /** Queue pairs offered through GET_QUEUE_NUM: one, so queue 0 (receive) and queue 1 (transmit). */
    static final int QUEUE_PAIRS = 1;

    private Features()
    {
    }

    static boolean has(final long features, final long feature)
    {
        return (features & feature) == feature;
    }

    /**
     * The offload bits of one direction: the driver sending (CSUM, HOST_*) or receiving (GUEST_*).
     * Both directions name the same offloads, so one table serves the dependency check and the mapping
     * to {@link Offloads} bits.
     */
    private record Direction(String prefix, String csumName, long csum, long tso4, long tso6, long ecn, long uso)
    {
        /** The first dependency (virtio 1.2, 5.1.3.1) {@code features} breaks, or null. */
        String brokenDependency(final long features)
        {
            if (0 != (features & (tso4 | tso6 | uso)) && !has(features, csum))
            {
                return prefix + "TSO or " + prefix + "USO without " + csumName;
            }
            if (0 != (features & ecn) && 0 == (features & (tso4 | tso6)))
            {
                return prefix + "ECN without " + prefix + "TSO4 or " + prefix + "TSO6";
            }
            return null;
        }

        int offloads(final long features)
        {
            return (has(features, csum) ? Offloads.CHECKSUM : 0) | (has(features, tso4) ? Offloads.TCP4 : 0) |
                (has(features, tso6) ? Offloads.TCP6 : 0) | (has(features, ecn) ? Offloads.TCP_ECN : 0) |
                (has(features, uso) ? Offloads.UDP_L4 : 0);
        }
    }

    private static final Direction HOST = new Direction("HOST_", "CSUM", VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4,
        VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_USO);
    private static final Direction GUEST = new Direction("GUEST_", "GUEST_CSUM", VIRTIO_NET_F_GUEST_CSUM,
        VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_ECN,
        VIRTIO_NET_F_GUEST_USO4 | VIRTIO_NET_F_GUEST_USO6);

    /**
     * The first dependency between offload bits that {@code features} breaks (segmentation needs
     * checksum offload in the same direction, ECN needs TCP segmentation), or null.
     */
    static String brokenDependency(final long features)
    {
        final String host = HOST.brokenDependency(features);
        return null != host ? host : GUEST.brokenDependency(features);
    }

    /** What a driver with {@code features} takes on its receive queue, as {@link Offloads} bits. */
    static int guestOffloads(final long features)
    {
        return GUEST.offloads(features);
    }

    /** What a driver with {@code features} may send on its transmit queue, as {@link Offloads} bits. */
    static int hostOffloads(final long features)
    {
        return HOST.offloads(features);
    }

    /** Names of the known bits set in {@code features}, for logs. */
    static String describe(final long features)
    {
        final StringBuilder names = new StringBuilder();
        append(names, features, VIRTIO_F_VERSION_1, "VERSION_1");
        append(names, features, VIRTIO_NET_F_CSUM, "CSUM");
        append(names, features, VIRTIO_NET_F_GUEST_CSUM, "GUEST_CSUM");
        append(names, features, VIRTIO_NET_F_GUEST_TSO4, "GUEST_TSO4");
        append(names, features, VIRTIO_NET_F_GUEST_TSO6, "GUEST_TSO6");
        append(names, features, VIRTIO_NET_F_GUEST_ECN, "GUEST_ECN");
        append(names, features, VIRTIO_NET_F_HOST_TSO4, "HOST_TSO4");
        append(names, features, VIRTIO_NET_F_HOST_TSO6, "HOST_TSO6");
        append(names, features, VIRTIO_NET_F_HOST_ECN, "HOST_ECN");
        append(names, features, VIRTIO_NET_F_GUEST_USO4, "GUEST_USO4");
        append(names, features, VIRTIO_NET_F_GUEST_USO6, "GUEST_USO6");
        append(names, features, VIRTIO_NET_F_HOST_USO, "HOST_USO");
        append(names, features, VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF");
        append(names, features, VIRTIO_RING_F_INDIRECT_DESC, "INDIRECT_DESC");
        append(names, features, VHOST_USER_F_PROTOCOL_FEATURES, "PROTOCOL_FEATURES");
        final long unknown = features & ~OFFERED;
        if (0 != unknown)
        {
            names.append(names.length() > 0 ? "|" : "").append("0x").append(Long.toHexString(unknown));
        }
        return names.toString();
    }

    private static void append(final StringBuilder names, final long features, final long bit, final String name)
    {
        if (has(features, bit))
        {
            names.append(names.length() > 0 ? "|" : "").append(name);
        }
    }
}
