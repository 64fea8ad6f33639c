package io.vireo.dataplane.vhost;

/**
 * Feature bits: virtio-net device features (GET/SET_FEATURES) and vhost-user protocol features
 * (GET/SET_PROTOCOL_FEATURES), and what this backend offers. Checksum and segmentation offloads
 * (VIRTIO_NET_F_CSUM, GUEST_CSUM, HOST_TSO*, GUEST_TSO*) are deliberately not offered yet, so every
 * virtio-net header exchanged is all zeros but {@code num_buffers}; carrying them is issue 5.
 */
final class Features
{
    /** Frames to the driver may span several receive buffers, counted in the header's num_buffers. */
    static final long VIRTIO_NET_F_MRG_RXBUF = 1L << 15;
    static final long VIRTIO_RING_F_INDIRECT_DESC = 1L << 28;
    /** vhost-user: GET/SET_PROTOCOL_FEATURES are understood; rings then start disabled. */
    static final long VHOST_USER_F_PROTOCOL_FEATURES = 1L << 30;
    /** virtio 1.x: little-endian rings, the 12-byte net header. Mandatory here. */
    static final long VIRTIO_F_VERSION_1 = 1L << 32;

    static final long OFFERED =
        VIRTIO_NET_F_MRG_RXBUF | VIRTIO_RING_F_INDIRECT_DESC | VHOST_USER_F_PROTOCOL_FEATURES | VIRTIO_F_VERSION_1;

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

    /** Names of the known bits set in {@code features}, for logs. */
    static String describe(final long features)
    {
        final StringBuilder names = new StringBuilder();
        append(names, features, VIRTIO_F_VERSION_1, "VERSION_1");
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
