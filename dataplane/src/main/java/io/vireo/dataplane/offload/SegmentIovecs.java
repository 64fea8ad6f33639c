package io.vireo.dataplane.offload;

import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.MutableDirectBuffer;

/**
 * The segments {@link SoftwareOffload#segmentHeaders} cuts from one GSO frame, as a sender gathers them into
 * packets: for each, where its headers lie in the offload's scratch memory, the offload's
 * {@link SoftwareOffload#headroom() headroom} in front of them included (where the sender writes its own
 * encapsulation), and where its payload lies in the frame. One per sender; it allocates nothing after
 * construction.
 */
public final class SegmentIovecs implements SegmentHeaderSink
{
    private final SoftwareOffload offload;
    private final int headroom;
    private final long[] headerAddresses;
    private final int[] headerLengths;
    private final long[] payloadAddresses;
    private final int[] payloadLengths;
    /** Native address of the buffer holding the frame being cut. */
    private long frameAddress;
    private int count;

    /** The segments {@code offload} cuts, at most {@code maxSegments} a frame (the bound it was made with). */
    public SegmentIovecs(final SoftwareOffload offload, final int maxSegments)
    {
        this.offload = offload;
        this.headroom = offload.headroom();
        this.headerAddresses = new long[maxSegments];
        this.headerLengths = new int[maxSegments];
        this.payloadAddresses = new long[maxSegments];
        this.payloadLengths = new int[maxSegments];
    }

    /**
     * Cuts the GSO frame {@code buffer[offset, offset + length)}, described by {@code header}, in place of the
     * segments of the frame before.
     *
     * @return as {@link SoftwareOffload#segmentHeaders}: negative if the frame cannot be cut (then no segments).
     */
    public int cut(
        final MutableDirectBuffer buffer, final int offset, final int length, final VirtioNetHeaderFlyweight header)
    {
        count = 0;
        frameAddress = buffer.addressOffset();
        // The offload checks the whole frame before it hands over a segment: a refused one leaves count 0.
        return offload.segmentHeaders(buffer, offset, length, header, this);
    }

    @Override
    public void onSegment(
        final MutableDirectBuffer headers, final int headersOffset, final int headersLength,
        final int payloadOffset, final int payloadLength)
    {
        headerAddresses[count] = headers.addressOffset() + headersOffset - headroom;
        headerLengths[count] = headroom + headersLength;
        payloadAddresses[count] = frameAddress + payloadOffset;
        payloadLengths[count++] = payloadLength;
    }

    /** Segments of the last frame cut. */
    public int count()
    {
        return count;
    }

    /** Native address of segment {@code i}'s headers, at the headroom in front of them. */
    public long headerAddress(final int i)
    {
        return headerAddresses[i];
    }

    /** Bytes of segment {@code i}'s headers, the headroom included. */
    public int headerLength(final int i)
    {
        return headerLengths[i];
    }

    /** Native address of segment {@code i}'s payload in the frame. */
    public long payloadAddress(final int i)
    {
        return payloadAddresses[i];
    }

    /** Bytes of segment {@code i}'s payload. */
    public int payloadLength(final int i)
    {
        return payloadLengths[i];
    }
}
