package io.vireo.dataplane.offload;

import org.agrona.MutableDirectBuffer;

/**
 * Receives the segments {@link SoftwareOffload#segmentHeaders} cuts from a GSO frame without copying
 * their payload: each segment's headers, final, in the offload's scratch memory, and where its payload
 * lies in the frame. A sender gathers the two (two iovecs) into one packet. Implement it once per
 * forwarding thread (not as a capturing lambda per frame).
 */
@FunctionalInterface
public interface SegmentHeaderSink
{
    /**
     * One segment. The headers stay valid, and may be modified, until the next call of
     * {@link SoftwareOffload#segmentHeaders}; the {@link SoftwareOffload#headroom() headroom} bytes in
     * front of them are free for the caller.
     *
     * @param headers       the scratch memory.
     * @param headersOffset index in {@code headers} of the segment's first byte (destination MAC).
     * @param headersLength bytes of its Ethernet, IP and L4 headers.
     * @param payloadOffset index of its payload in the buffer holding the frame.
     * @param payloadLength bytes of payload.
     */
    void onSegment(MutableDirectBuffer headers, int headersOffset, int headersLength, int payloadOffset, int payloadLength);
}
