package io.vireo.dataplane.offload;

import org.agrona.MutableDirectBuffer;

/**
 * Receives the segments {@link SoftwareOffload#segment} cuts from a GSO frame, in order, on the
 * calling thread. Implement it once per forwarding thread (not as a capturing lambda per frame).
 */
@FunctionalInterface
public interface SegmentSink
{
    /**
     * One segment: a complete Ethernet frame with final lengths and checksums, in the offload's
     * scratch memory. It stays valid, and may be modified, until the next call of
     * {@link SoftwareOffload#segment}; the {@link SoftwareOffload#headroom() headroom} bytes in front
     * of it are free for the caller (a virtio-net header, an encapsulation).
     *
     * @param buffer the scratch memory.
     * @param offset index in {@code buffer} of the segment's first byte (destination MAC).
     * @param length bytes of the segment.
     */
    void onSegment(MutableDirectBuffer buffer, int offset, int length);
}
