package io.vireo.tunnel.vxlan;

import io.vireo.dataplane.buffer.FrameBurst;

/**
 * How a {@link Vtep}'s datagrams reach the underlay and come back: UDP sockets ({@link VtepSockets}), or a TAP
 * device in the host's IP stack that takes whole GSO frames with their outer headers ({@link VtepTapUnderlay}).
 * The endpoint's checks, peers and counters are the same either way.
 */
interface VtepUnderlay
{
    /** Appends the inner frames of received datagrams until the burst is full or nothing is left to read. */
    int receive(FrameBurst burst);

    /** Sends each frame {@code indexes[i]} to its peer, or every peer, counting sends and drops on the port. */
    void transmit(FrameBurst burst, int[] indexes, int count);

    /** The descriptor to wait on for datagrams. */
    int pollFd();

    /** The errno that made a descriptor unusable, or 0. */
    int failure();

    /** The descriptors another process {@link Vtep#adopt adopts} to carry on: see {@link Vtep#descriptors()}. */
    int[] descriptors();

    /** The UDP source ports of the sockets in {@link #descriptors()}, in order; none for a TAP. */
    int[] sourcePorts();

    /** Another process adopted the descriptors: {@link #close} closes this process's copies only. */
    void handedOver();

    void close();
}
