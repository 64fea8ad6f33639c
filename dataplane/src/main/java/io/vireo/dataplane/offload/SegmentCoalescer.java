package io.vireo.dataplane.offload;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Receive-side coalescing, the reverse of {@link SoftwareOffload#segment}: appends received frames
 * to a burst and merges consecutive TCP segments of one flow into one GSO frame, as the kernel's GRO
 * does, so that a port that takes GSO frames (an offloading TAP, a vhost-user driver with TSO) gets
 * one 64 KB write instead of forty-odd small ones.
 * <pre>
 *  in:   | eth | IP | TCP seq=S   | P0 |   | eth | IP | TCP seq=S+n | P1 |   ...   (same flow, n = |P0|)
 *  out:  | eth | IP len=all | TCP seq=S, check=pseudo-header sum | P0 | P1 | ... |
 *        virtio_net_hdr: NEEDS_CSUM at the TCP checksum, gso_type TCPV4 or TCPV6, gso_size n, hdr_len
 * </pre>
 * A segment joins the frame before it when both are untagged IPv4 (no options, not a fragment) or
 * IPv6 (TCP right after the fixed header) carrying TCP, and:
 * <ul>
 *   <li>every header byte is the same (MACs, DSCP/ECN, DF, TTL or hop limit, flow label, addresses,
 *   ports, acknowledgment number, header length, window, urgent pointer, options), except the IP
 *   length, identification and header checksum and the TCP sequence number, flags and checksum;</li>
 *   <li>its sequence number follows the frame's last byte, its payload is not empty and not longer
 *   than the frame's first segment's, which every segment before it matched;</li>
 *   <li>the frame's segments carry ACK alone, the new one ACK and maybe PSH (a shorter segment or
 *   PSH ends the frame);</li>
 *   <li>its TCP checksum is right, and the frame's first segment's IP and TCP checksums were, so a
 *   damaged segment is never hidden behind a checksum the receiver trusts; it goes on as it came
 *   and its receiver drops it;</li>
 *   <li>the merged IP packet stays within 65,535 bytes, the frame within a slot, and its segments
 *   within {@link SoftwareOffload#DEFAULT_MAX_SEGMENTS}, so that software segmentation can cut it again
 *   for a port that takes no GSO frames (segments of a few bytes would otherwise pass it).</li>
 * </ul>
 * Anything else starts a frame of its own, unchanged, with a zeroed virtio-net header, except that a
 * TCP or UDP frame whose checksum field holds just the pseudo-header sum for its length, and does not
 * sum right as a whole, is taken for what it is: a sender's offloaded checksum that nothing on the way
 * completed (the kernel's vxlan over a veth underlay sends them so, and keeps the fact in metadata a
 * socket does not pass on). It gets {@code NEEDS_CSUM}, so its receiver fills it in rather than drop
 * it, and such a TCP segment may join a frame as a verified one does. The same sender over the same
 * underlay hands over whole GSO frames too, one "datagram" of up to 64 KB: a TCP frame whose IP packet
 * exceeds {@code mtu} becomes a GSO frame of its own, cut at {@code mtu} when it is segmented (its
 * sender's segments would have had that size), if its IP and TCP checksums hold. A merged frame's
 * IPv4 total length and header checksum (or IPv6 payload length) are rewritten, PSH is kept if the
 * last segment had it, and the TCP checksum field holds the pseudo-header sum for the merged length,
 * as the virtio {@code NEEDS_CSUM} contract wants it. One instance per receiving port and thread;
 * allocates nothing.
 */
public final class SegmentCoalescer
{
    /** Frames shorter than this carry no TCP or UDP header to look at: Ethernet, IPv4 and UDP headers. */
    private static final int MIN_L4_FRAME = EthernetFlyweight.HEADER_LENGTH + 20 + UdpFlyweight.HEADER_LENGTH;
    private static final int IP_OFFSET = EthernetFlyweight.HEADER_LENGTH;
    private static final int IPV4_HEADER = 20;
    private static final int IPV6_HEADER = 40;
    private static final int MAX_IP_PACKET = 0xFFFF;
    /** No more than software segmentation cuts a frame into, for ports that take no GSO frames. */
    private static final int MAX_SEGMENTS = SoftwareOffload.DEFAULT_MAX_SEGMENTS;
    private static final int TCP_SEQUENCE = 4;
    private static final int TCP_ACKNOWLEDGMENT = 8;
    private static final int TCP_FLAGS = 13;
    private static final int TCP_WINDOW = 14;
    private static final int TCP_CHECKSUM = 16;
    private static final int TCP_URGENT = 18;
    private static final int UDP_CHECKSUM = 6;
    private static final int MERGEABLE_FLAGS = TcpFlyweight.FLAG_ACK;
    private static final int ENDING_FLAGS = TcpFlyweight.FLAG_ACK | TcpFlyweight.FLAG_PSH;

    private final VirtioNetHeaderFlyweight netHeader = new VirtioNetHeaderFlyweight();
    private final int mtu;

    // The frame last looked at by parse().
    private boolean isIpv4;
    private int protocol;
    private int l4Offset;
    private int headersLength;
    private int payloadLength;

    // The frame segments may still join: its index in the burst, or -1.
    private int open = -1;
    private int openPeer;
    private boolean openIsIpv4;
    private int openHeadersLength;
    private int openSegmentSize;
    private int openNextSequence;
    private int openSegments;
    private boolean openEnded;

    /**
     * @param mtu the largest IP packet a segment may be, the link's MTU (for a VXLAN port, the overlay's);
     *            a TCP frame with a larger one is taken for an unsegmented GSO frame.
     */
    public SegmentCoalescer(final int mtu)
    {
        this.mtu = mtu;
    }

    /**
     * Appends a frame to the burst, merged into the burst's last frame if it continues that frame's TCP
     * flow (see the class comment), else as a frame of its own with a zeroed virtio-net header.
     *
     * @param source the frame's bytes.
     * @param offset index of its first byte in {@code source}.
     * @param length bytes of the frame, at most {@code burst.frameCapacity()}.
     * @param peer   the frame's {@link FrameBurst#peer peer}; frames of different peers never merge.
     * @param burst  where it goes.
     * @return false if it needed a slot of its own and the burst is full: the frame is not taken (and
     *         the burst's last frame is final, as after {@link #finish}).
     */
    public boolean append(final DirectBuffer source, final int offset, final int length, final int peer, final FrameBurst burst)
    {
        final boolean hasL4 = parse(source, offset, length);
        final boolean isTcp = hasL4 && TcpFlyweight.PROTOCOL == protocol && payloadLength > 0;
        final boolean isGsoFrame = isTcp && length - IP_OFFSET > mtu;
        final boolean isSegment = isTcp && !isGsoFrame;
        if (isSegment && -1 != open && joins(source, offset, length, peer, burst))
        {
            final int frameOffset = burst.frameOffset(open);
            final int frameLength = burst.frameLength(open);
            burst.buffer().putBytes(frameOffset + frameLength, source, offset + headersLength, payloadLength);
            burst.frameLength(open, frameLength + payloadLength);
            final int flags = source.getByte(offset + l4Offset + TCP_FLAGS) & 0xFF;
            if (ENDING_FLAGS == flags)
            {
                burst.buffer().putByte(frameOffset + l4Offset + TCP_FLAGS, (byte)ENDING_FLAGS);
            }
            openNextSequence += payloadLength;
            openSegments++;
            openEnded = ENDING_FLAGS == flags || payloadLength < openSegmentSize;
            return true;
        }
        finish(burst);
        if (burst.isFull())
        {
            return false;
        }
        final int index = burst.size();
        burst.clearNextNetHeader();
        burst.buffer().putBytes(burst.nextFrameOffset(), source, offset, length);
        burst.commit(length);
        burst.peer(index, peer);
        if (isGsoFrame)
        {
            markGso(burst, index, source, offset, length);
        }
        else if (hasL4 && checksumField(source, offset, length) == partialSum(source, offset, length) &&
            !checksumHolds(source, offset, length))
        {
            netHeader.wrap(burst.buffer(), burst.netHeaderOffset(index), FrameBurst.NET_HEADER_LENGTH)
                .flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM)
                .csumStart(l4Offset)
                .csumOffset(checksumOffset());
        }
        if (isSegment && MERGEABLE_FLAGS == (source.getByte(offset + l4Offset + TCP_FLAGS) & 0xFF))
        {
            open = index;
            openPeer = peer;
            openIsIpv4 = isIpv4;
            openHeadersLength = headersLength;
            openSegmentSize = payloadLength;
            openNextSequence = source.getInt(offset + l4Offset + TCP_SEQUENCE, BIG_ENDIAN) + payloadLength;
            openSegments = 1;
            openEnded = false;
        }
        return true;
    }

    /**
     * Ends the frame segments may join, making it a GSO frame if segments joined it. Call before the
     * burst is used or cleared.
     */
    public void finish(final FrameBurst burst)
    {
        if (-1 != open && openSegments > 1)
        {
            seal(burst, open);
        }
        open = -1;
    }

    /**
     * True if the frame is untagged IPv4 (no options, not a fragment) or IPv6 carrying TCP or UDP
     * right after the IP header, lengths consistent; sets the parse fields.
     */
    private boolean parse(final DirectBuffer source, final int offset, final int length)
    {
        if (length < MIN_L4_FRAME)
        {
            return false;
        }
        final int etherType = source.getShort(offset + EthernetFlyweight.ETHER_TYPE_OFFSET, BIG_ENDIAN) & 0xFFFF;
        final int ip = offset + IP_OFFSET;
        if (EthernetFlyweight.ETHER_TYPE_IPV4 == etherType)
        {
            final int fragment = source.getShort(ip + 6, BIG_ENDIAN) & 0x3FFF; // MF and the fragment offset
            if (0x45 != source.getByte(ip) || 0 != fragment ||
                (source.getShort(ip + 2, BIG_ENDIAN) & 0xFFFF) != length - IP_OFFSET)
            {
                return false;
            }
            isIpv4 = true;
            protocol = source.getByte(ip + 9);
            l4Offset = IP_OFFSET + IPV4_HEADER;
        }
        else if (EthernetFlyweight.ETHER_TYPE_IPV6 == etherType)
        {
            if (6 != (source.getByte(ip) & 0xF0) >>> 4 || length < IP_OFFSET + IPV6_HEADER + UdpFlyweight.HEADER_LENGTH ||
                (source.getShort(ip + 4, BIG_ENDIAN) & 0xFFFF) != length - IP_OFFSET - IPV6_HEADER)
            {
                return false;
            }
            isIpv4 = false;
            protocol = source.getByte(ip + 6);
            l4Offset = IP_OFFSET + IPV6_HEADER;
        }
        else
        {
            return false;
        }
        if (UdpFlyweight.PROTOCOL == protocol)
        {
            headersLength = l4Offset + UdpFlyweight.HEADER_LENGTH;
            payloadLength = length - headersLength;
            return true;
        }
        if (TcpFlyweight.PROTOCOL != protocol || length < l4Offset + TcpFlyweight.MIN_HEADER_LENGTH)
        {
            return false;
        }
        final int tcpHeader = ((source.getByte(offset + l4Offset + 12) & 0xF0) >>> 4) * 4;
        headersLength = l4Offset + tcpHeader;
        payloadLength = length - headersLength;
        return tcpHeader >= TcpFlyweight.MIN_HEADER_LENGTH && payloadLength >= 0;
    }

    /** True if the segment just parsed may join the open frame (see the class comment). */
    private boolean joins(
        final DirectBuffer source, final int offset, final int length, final int peer, final FrameBurst burst)
    {
        final int flags = source.getByte(offset + l4Offset + TCP_FLAGS) & 0xFF;
        if (openEnded || MAX_SEGMENTS == openSegments || peer != openPeer || isIpv4 != openIsIpv4 ||
            headersLength != openHeadersLength || payloadLength > openSegmentSize ||
            (MERGEABLE_FLAGS != flags && ENDING_FLAGS != flags) ||
            openNextSequence != source.getInt(offset + l4Offset + TCP_SEQUENCE, BIG_ENDIAN))
        {
            return false;
        }
        final UnsafeBuffer frames = burst.buffer();
        final int frame = burst.frameOffset(open);
        final int frameLength = burst.frameLength(open);
        if (frameLength + payloadLength > burst.frameCapacity() ||
            frameLength + payloadLength - IP_OFFSET > MAX_IP_PACKET + (isIpv4 ? 0 : IPV6_HEADER) ||
            !sameHeaders(frames, frame, source, offset))
        {
            return false;
        }
        if (!intact(source, offset, length))
        {
            return false;
        }
        // The first segment's checksums are checked only now, when a merge would hide them.
        return openSegments > 1 || (ipv4ChecksumHolds(frames, frame) && intact(frames, frame, frameLength));
    }

    /** The header bytes that must match: all but IP length, id and checksum and TCP sequence, flags and checksum. */
    private boolean sameHeaders(final DirectBuffer frame, final int frameOffset, final DirectBuffer segment, final int offset)
    {
        final int ip = IP_OFFSET;
        final int tcp = l4Offset;
        final boolean ipMatches = isIpv4 ?
            equal(frame, frameOffset, segment, offset, 0, ip + 2) && // MACs, type, version, DSCP/ECN
            equal(frame, frameOffset, segment, offset, ip + 6, 4) && // DF and fragment, TTL, protocol
            equal(frame, frameOffset, segment, offset, ip + 12, 8 + TCP_SEQUENCE) : // addresses, ports
            equal(frame, frameOffset, segment, offset, 0, ip + 4) && // MACs, type, version, class, flow label
            equal(frame, frameOffset, segment, offset, ip + 6, 34 + TCP_SEQUENCE); // next header, hop limit, addresses, ports
        return ipMatches &&
            equal(frame, frameOffset, segment, offset, tcp + TCP_ACKNOWLEDGMENT, TCP_FLAGS - TCP_ACKNOWLEDGMENT) &&
            equal(frame, frameOffset, segment, offset, tcp + TCP_WINDOW, TCP_CHECKSUM - TCP_WINDOW) &&
            equal(frame, frameOffset, segment, offset, tcp + TCP_URGENT, headersLength - tcp - TCP_URGENT);
    }

    private static boolean equal(
        final DirectBuffer a, final int aOffset, final DirectBuffer b, final int bOffset, final int from, final int length)
    {
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES)
        {
            if (a.getLong(aOffset + from + i) != b.getLong(bOffset + from + i))
            {
                return false;
            }
        }
        for (; i < length; i++)
        {
            if (a.getByte(aOffset + from + i) != b.getByte(bOffset + from + i))
            {
                return false;
            }
        }
        return true;
    }

    private boolean ipv4ChecksumHolds(final DirectBuffer frame, final int offset)
    {
        return !openIsIpv4 || 0 == Checksums.checksum(frame, offset + IP_OFFSET, IPV4_HEADER);
    }

    /**
     * True if the frame's L4 checksum (of the kind just parsed) is a sender's offloaded one or sums
     * right; the cheap test first, so an offloaded segment costs no pass over its payload.
     */
    private boolean intact(final DirectBuffer frame, final int offset, final int length)
    {
        return checksumField(frame, offset, length) == partialSum(frame, offset, length) || checksumHolds(frame, offset, length);
    }

    /** True if the L4 checksum of the frame at {@code offset} (of the kind just parsed) sums right. */
    private boolean checksumHolds(final DirectBuffer frame, final int offset, final int length)
    {
        final int l4Length = length - l4Offset;
        return 0 == Checksums.finish(pseudoHeaderSum(frame, offset, l4Length) + Checksums.sum(frame, offset + l4Offset, l4Length));
    }

    private int checksumField(final DirectBuffer frame, final int offset, final int length)
    {
        return frame.getShort(offset + l4Offset + checksumOffset(), BIG_ENDIAN) & 0xFFFF;
    }

    /** What a sender that offloads the checksum leaves in the field: the folded pseudo-header sum. */
    private int partialSum(final DirectBuffer frame, final int offset, final int length)
    {
        return Checksums.fold(pseudoHeaderSum(frame, offset, length - l4Offset));
    }

    private int checksumOffset()
    {
        return TcpFlyweight.PROTOCOL == protocol ? TCP_CHECKSUM : UDP_CHECKSUM;
    }

    private long pseudoHeaderSum(final DirectBuffer frame, final int offset, final int l4Length)
    {
        return pseudoHeaderSum(frame, offset, l4Length, isIpv4, protocol);
    }

    private static long pseudoHeaderSum(
        final DirectBuffer frame, final int offset, final int l4Length, final boolean isIpv4, final int protocol)
    {
        final int ip = offset + IP_OFFSET;
        if (isIpv4)
        {
            return Checksums.ipv4PseudoHeaderSum(
                frame.getInt(ip + 12, BIG_ENDIAN), frame.getInt(ip + 16, BIG_ENDIAN), protocol, l4Length);
        }
        return Checksums.ipv6PseudoHeaderSum(
            frame.getLong(ip + 8, BIG_ENDIAN), frame.getLong(ip + 16, BIG_ENDIAN),
            frame.getLong(ip + 24, BIG_ENDIAN), frame.getLong(ip + 32, BIG_ENDIAN), protocol, l4Length);
    }

    /**
     * Makes frame {@code index}, a TCP frame larger than a segment (parsed), a GSO frame cut at the MTU,
     * if its checksums are intact; a damaged one is left as it came, for its receiver to drop. The IPv4
     * header checksum counts too: segmenting writes a right one into every segment, over whatever the
     * TCP checksum does not cover (the TTL, the identification).
     */
    private void markGso(final FrameBurst burst, final int index, final DirectBuffer source, final int offset, final int length)
    {
        final boolean ipHeaderHolds = !isIpv4 || 0 == Checksums.checksum(source, offset + IP_OFFSET, IPV4_HEADER);
        if (!ipHeaderHolds || !intact(source, offset, length))
        {
            return;
        }
        final UnsafeBuffer frames = burst.buffer();
        final int frame = burst.frameOffset(index);
        frames.putShort(frame + l4Offset + TCP_CHECKSUM, (short)partialSum(source, offset, length), BIG_ENDIAN);
        final boolean congestionWindowReduced = 0 != (source.getByte(offset + l4Offset + TCP_FLAGS) & TcpFlyweight.FLAG_CWR);
        netHeader.wrap(frames, burst.netHeaderOffset(index), FrameBurst.NET_HEADER_LENGTH)
            .flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM)
            .gsoType((isIpv4 ? VirtioNetHeaderFlyweight.GSO_TCPV4 : VirtioNetHeaderFlyweight.GSO_TCPV6) |
                (congestionWindowReduced ? VirtioNetHeaderFlyweight.GSO_ECN : 0))
            .hdrLen(headersLength)
            .gsoSize(mtu - (headersLength - IP_OFFSET))
            .csumStart(l4Offset)
            .csumOffset(TCP_CHECKSUM);
    }

    /** Makes frame {@code index}, which segments joined, a GSO frame: lengths, checksums, virtio-net header. */
    private void seal(final FrameBurst burst, final int index)
    {
        final UnsafeBuffer frames = burst.buffer();
        final int frame = burst.frameOffset(index);
        final int length = burst.frameLength(index);
        final int l4 = IP_OFFSET + (openIsIpv4 ? IPV4_HEADER : IPV6_HEADER);
        final int ip = frame + IP_OFFSET;
        if (openIsIpv4)
        {
            frames.putShort(ip + 2, (short)(length - IP_OFFSET), BIG_ENDIAN);
            frames.putShort(ip + 10, (short)0);
            frames.putShort(ip + 10, (short)Checksums.checksum(frames, ip, IPV4_HEADER), BIG_ENDIAN);
        }
        else
        {
            frames.putShort(ip + 4, (short)(length - IP_OFFSET - IPV6_HEADER), BIG_ENDIAN);
        }
        final long pseudoHeaderSum = pseudoHeaderSum(frames, frame, length - l4, openIsIpv4, TcpFlyweight.PROTOCOL);
        frames.putShort(frame + l4 + TCP_CHECKSUM, (short)Checksums.fold(pseudoHeaderSum), BIG_ENDIAN);
        netHeader.wrap(frames, burst.netHeaderOffset(index), FrameBurst.NET_HEADER_LENGTH)
            .flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM)
            .gsoType(openIsIpv4 ? VirtioNetHeaderFlyweight.GSO_TCPV4 : VirtioNetHeaderFlyweight.GSO_TCPV6)
            .hdrLen(openHeadersLength)
            .gsoSize(openSegmentSize)
            .csumStart(l4)
            .csumOffset(TCP_CHECKSUM);
    }
}
