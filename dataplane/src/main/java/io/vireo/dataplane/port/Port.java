package io.vireo.dataplane.port;

import io.vireo.dataplane.buffer.FrameBurst;

/**
 * The contract every port type keeps. The pipeline never knows which kind of port a frame came
 * from. {@link #receive} and {@link #transmit} are called only by the forwarding thread that owns the
 * port; they never allocate, lock or throw.
 */
public interface Port extends AutoCloseable
{
    /** The port's name, unique within a switch (for a TAP, the interface name). */
    String name();

    /** The port type as users spell it: {@code tap}, {@code loopback}, ... */
    String type();

    /**
     * Appends received frames to the burst while it has {@link FrameBurst#hasReceiveRoom() room} and the port has
     * frames left, each with its virtio-net header in front ({@link FrameBurst#NET_HEADER_LENGTH} bytes, zero when
     * the port has no offloads).
     *
     * @return frames appended.
     */
    int receive(FrameBurst burst);

    /**
     * Sends frames {@code burst[indexes[0]] .. burst[indexes[count - 1]]} in that order, stopping at the
     * first one the port refuses. A port with peers sends each frame to its {@link FrameBurst#peer peer}.
     *
     * @return frames sent, always the first ones; the caller counts the rest as dropped.
     */
    int transmit(FrameBurst burst, int[] indexes, int count);

    /**
     * The largest IP packet the port carries (a VXLAN port's overlay MTU), or 0 if it takes every frame
     * that fits a slot. The pipeline drops a larger packet, counted as {@code oversize} on this port,
     * and answers its sender with an ICMP "fragmentation needed" or "packet too big". Fixed for the
     * port's life: the pipeline reads it once.
     */
    default int mtu()
    {
        return 0;
    }

    /**
     * True if the port counts what it sends in the counters it was opened with, because one frame may
     * leave as several packets (a VXLAN port sends a flooded frame to every peer) or not at all; the
     * pipeline then leaves its transmit counters alone. False by default: the pipeline counts the
     * frames {@link #transmit} took as sent and the rest as {@code tx_error}. Fixed for the port's life.
     */
    default boolean countsTransmits()
    {
        return false;
    }

    /**
     * The offloads ({@link io.vireo.dataplane.offload.Offloads} bits) of frames the port takes as the
     * pipeline holds them, virtio-net header included: partial checksums, GSO frames up to 64 KB of the
     * kinds named. A frame that needs an offload the port does not take is segmented or has its
     * checksum completed in software first. May change while the port runs (a vhost-user driver
     * renegotiates); the pipeline reads it at every flush. 0 by default: every frame is resolved.
     */
    default int offloads()
    {
        return 0;
    }

    /**
     * A descriptor that becomes readable when the port may have frames to receive, so an idle
     * forwarding thread can sleep in epoll; -1 if the port cannot tell, and then the thread never
     * sleeps longer than a millisecond.
     */
    default int pollFd()
    {
        return -1;
    }

    /**
     * 0 while the port works; the errno of the failure once the port has failed for good (its device
     * was removed, say). A failed port receives and transmits nothing.
     */
    int failure();

    /** Releases the port's resources; for a device the port created, removes the device. */
    @Override
    void close();
}
