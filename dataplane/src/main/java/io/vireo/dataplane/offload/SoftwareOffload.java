package io.vireo.dataplane.offload;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_ECN;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV4;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_TCPV6;
import static io.vireo.dataplane.headers.VirtioNetHeaderFlyweight.GSO_UDP_L4;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * What a port that cannot take offloaded frames needs done in software: completing the partial
 * checksum a virtio {@code NEEDS_CSUM} frame carries, and cutting a GSO frame (TCP over IPv4 or IPv6,
 * with or without ECN, and UDP L4) into wire-sized segments with complete checksums. The one
 * implementation shared by every port type and the VXLAN tunnel.
 * <p>
 * One instance per forwarding thread. It allocates its scratch memory at construction and nothing
 * afterwards, takes no locks and throws nothing for bad input: a frame it cannot handle gets a
 * negative status, which the caller counts as a drop. It reads only the frame it is given (never
 * past {@code frameLength}) and writes only the frame's checksum field ({@link #completeChecksum})
 * or its own scratch memory ({@link #segment}).
 * <p>
 * Segments come out as the kernel's own software GSO ({@code skb_segment}, {@code tcp_gso_segment},
 * {@code __udp_gso_segment}) makes them, byte for byte: see the package documentation for which
 * fields change.
 */
public final class SoftwareOffload
{
    /** The GSO type is not TCPV4, TCPV6 or UDP_L4 (legacy UFO and GSO_NONE included), or ECN with UDP. */
    public static final int UNSUPPORTED_GSO_TYPE = -1;
    /**
     * The headers do not parse as the GSO type says: not in the buffer, Ethernet, IP or L4 header
     * truncated or inconsistent, wrong IP version or protocol, an IPv4 fragment, IPv6 extension headers.
     */
    public static final int MALFORMED_HEADERS = -2;
    /** The virtio-net header's {@code hdr_len} reaches past the frame. */
    public static final int BAD_HDR_LEN = -3;
    /** {@code gso_size} is 0. */
    public static final int BAD_GSO_SIZE = -4;
    /** {@code gso_size} is so small that the frame would need more segments than the configured bound. */
    public static final int TOO_MANY_SEGMENTS = -5;
    /** {@code NEEDS_CSUM} with {@code csum_start}/{@code csum_offset} not on the L4 checksum field. */
    public static final int BAD_CHECKSUM_OFFSETS = -6;

    /** Enough for a 64 KB TCP frame cut at the kernel's smallest MSS (88 bytes): 745 segments. */
    public static final int DEFAULT_MAX_SEGMENTS = 1024;
    /** The longest headers copied in front of each segment: Ethernet with two VLAN tags, IPv4 and TCP with full options. */
    private static final int MAX_HEADERS_LENGTH =
        EthernetFlyweight.HEADER_LENGTH + EthernetFlyweight.MAX_VLAN_TAGS * EthernetFlyweight.VLAN_TAG_LENGTH +
        Ipv4Flyweight.MAX_HEADER_LENGTH + TcpFlyweight.MAX_HEADER_LENGTH;

    /** The most L4 payload an IP length field can describe. */
    private static final int MAX_PAYLOAD_LENGTH = 0xFFFF;
    private static final int SEGMENT_ALIGNMENT = BitUtil.CACHE_LINE_LENGTH;
    private static final int TCP_NOT_LAST_CLEARS = TcpFlyweight.FLAG_FIN | TcpFlyweight.FLAG_PSH;
    private static final int CHECKSUM_LENGTH = 2;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();
    private final UnsafeBuffer scratch;
    private final int maxSegments;
    private final int headroom;

    // The parsed GSO frame, set by parse().
    private boolean isIpv4;
    private int ipOffset;
    private int ipHeaderLength;
    private int l4Offset;
    private int l4HeaderLength;
    private int l4Length;

    /** With {@link #DEFAULT_MAX_SEGMENTS} and no headroom. */
    public SoftwareOffload()
    {
        this(DEFAULT_MAX_SEGMENTS, 0);
    }

    /**
     * @param maxSegments the most segments one frame may be cut into; frames that need more are
     *                    refused with {@link #TOO_MANY_SEGMENTS}. Sizes the scratch memory.
     * @param headroom    bytes left free in front of every segment for the caller.
     */
    public SoftwareOffload(final int maxSegments, final int headroom)
    {
        if (maxSegments <= 0 || headroom < 0)
        {
            throw new IllegalArgumentException("maxSegments=" + maxSegments + " headroom=" + headroom);
        }
        this.maxSegments = maxSegments;
        this.headroom = headroom;
        // Each segment starts on a cache line after its headroom, so it takes at most
        // headroom + headers + SEGMENT_ALIGNMENT - 1 bytes besides its share of the payload.
        final long capacity =
            (long)maxSegments * (headroom + MAX_HEADERS_LENGTH + SEGMENT_ALIGNMENT - 1) + MAX_PAYLOAD_LENGTH;
        if (capacity > Integer.MAX_VALUE - SEGMENT_ALIGNMENT)
        {
            throw new IllegalArgumentException("scratch of " + capacity + " bytes is too large");
        }
        this.scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            BitUtil.align((int)capacity, SEGMENT_ALIGNMENT), SEGMENT_ALIGNMENT));
    }

    /** @return bytes free in front of every segment handed to a {@link SegmentSink}. */
    public int headroom()
    {
        return headroom;
    }

    /**
     * Complete the partial checksum of a frame with {@code NEEDS_CSUM}: sum from {@code csum_start}
     * to the end of the frame (the field holds the sender's pseudo-header sum), store the result at
     * {@code csum_start + csum_offset} and clear the flag. A result of 0 is stored as 0xFFFF, as the
     * kernel does, so a UDP checksum never reads as "none". A frame without the flag is left alone.
     *
     * @param buffer      holding the frame.
     * @param frameOffset index of the frame's first byte (destination MAC).
     * @param frameLength bytes of the frame, without trailing padding (it would be summed).
     * @param header      the frame's virtio-net header, updated in place.
     * @return false, leaving frame and header untouched, if the checksum field is not inside the frame.
     */
    public boolean completeChecksum(
        final MutableDirectBuffer buffer,
        final int frameOffset,
        final int frameLength,
        final VirtioNetHeaderFlyweight header)
    {
        if (!header.isValid())
        {
            return false;
        }
        final int flags = header.flags();
        if ((flags & FLAG_NEEDS_CSUM) == 0)
        {
            return true;
        }
        final int start = header.csumStart();
        final int field = start + header.csumOffset();
        if (!isInBuffer(buffer, frameOffset, frameLength) || field + CHECKSUM_LENGTH > frameLength)
        {
            return false;
        }
        final int checksum = Checksums.checksum(buffer, frameOffset + start, frameLength - start);
        buffer.putShort(frameOffset + field, (short)(0 == checksum ? 0xFFFF : checksum), BIG_ENDIAN);
        header.flags(flags & ~FLAG_NEEDS_CSUM);
        return true;
    }

    /**
     * Cut a GSO frame into segments of at most {@code gso_size} bytes of payload, each a complete
     * frame with the original headers (VLAN tags and IP and TCP options included) and these fields
     * rewritten: IPv4 total length, identification (+1 per segment) and header checksum; IPv6 payload
     * length; TCP sequence number, FIN and PSH (last segment only), CWR (first segment only) and
     * checksum; UDP length and checksum. L4 checksums are computed in full whether or not the frame
     * had {@code NEEDS_CSUM}; the header is not modified.
     * <p>
     * A frame whose payload fits in one segment comes out as one segment with its checksums
     * complete. Bytes after the IP datagram (Ethernet padding) are dropped.
     *
     * @param buffer      holding the frame.
     * @param frameOffset index of the frame's first byte (destination MAC).
     * @param frameLength bytes of the frame.
     * @param header      the frame's virtio-net header: GSO type and size, checksum offsets.
     * @param sink        called once per segment, in order, before this method returns.
     * @return the number of segments, or one of the negative statuses ({@link #UNSUPPORTED_GSO_TYPE},
     * {@link #MALFORMED_HEADERS}, {@link #BAD_HDR_LEN}, {@link #BAD_GSO_SIZE},
     * {@link #TOO_MANY_SEGMENTS}, {@link #BAD_CHECKSUM_OFFSETS}), in which case the sink was not called.
     */
    public int segment(
        final MutableDirectBuffer buffer,
        final int frameOffset,
        final int frameLength,
        final VirtioNetHeaderFlyweight header,
        final SegmentSink sink)
    {
        return segment(buffer, frameOffset, frameLength, header, sink, null);
    }

    /**
     * As {@link #segment}, but without copying the payload: each segment's headers are written to the
     * scratch memory, final (the L4 checksum covers the payload where it lies in the frame), and the
     * sink is told where the payload is, for a sender that gathers headers and payload into one packet.
     *
     * @return as {@link #segment}.
     */
    public int segmentHeaders(
        final MutableDirectBuffer buffer,
        final int frameOffset,
        final int frameLength,
        final VirtioNetHeaderFlyweight header,
        final SegmentHeaderSink sink)
    {
        return segment(buffer, frameOffset, frameLength, header, null, sink);
    }

    /** Segments into {@code sink} whole, or into {@code headerSink} headers only (the other null). */
    private int segment(
        final MutableDirectBuffer buffer,
        final int frameOffset,
        final int frameLength,
        final VirtioNetHeaderFlyweight header,
        final SegmentSink sink,
        final SegmentHeaderSink headerSink)
    {
        if (!header.isValid() || !isInBuffer(buffer, frameOffset, frameLength))
        {
            return MALFORMED_HEADERS;
        }
        final int gsoType = header.gsoType();
        final int l4Protocol = l4Protocol(gsoType);
        if (l4Protocol < 0)
        {
            return UNSUPPORTED_GSO_TYPE;
        }
        final int gsoSize = header.gsoSize();
        if (0 == gsoSize)
        {
            return BAD_GSO_SIZE;
        }
        if (header.hdrLen() > frameLength)
        {
            return BAD_HDR_LEN;
        }
        if (!parse(buffer, frameOffset, frameLength, gsoType & ~GSO_ECN, l4Protocol))
        {
            return MALFORMED_HEADERS;
        }
        if ((header.flags() & FLAG_NEEDS_CSUM) != 0 &&
            (header.csumStart() != l4Offset - frameOffset || header.csumOffset() != checksumOffset(l4Protocol)))
        {
            return BAD_CHECKSUM_OFFSETS;
        }
        final int payloadLength = l4Length - l4HeaderLength;
        final int segments = 0 == payloadLength ? 1 : (payloadLength + gsoSize - 1) / gsoSize;
        if (segments > maxSegments)
        {
            return TOO_MANY_SEGMENTS;
        }

        cut(buffer, frameOffset, gsoSize, segments, l4Protocol, sink, headerSink);
        return segments;
    }

    private void cut(
        final MutableDirectBuffer buffer,
        final int frameOffset,
        final int gsoSize,
        final int segments,
        final int l4Protocol,
        final SegmentSink sink,
        final SegmentHeaderSink headerSink)
    {
        final boolean copyPayload = null == headerSink;
        final int headersLength = l4Offset + l4HeaderLength - frameOffset;
        final int payloadEnd = l4Offset + l4Length;
        final int ipDelta = ipOffset - frameOffset;
        final int l4Delta = l4Offset - frameOffset;
        // Read what the segments start from while the flyweights are still wrapped over the frame.
        // The pseudo-header sum is linear in the length: sum the addresses once, add each segment's length.
        final long addressesSum = isIpv4 ?
            ipv4.pseudoHeaderSum(l4Protocol, 0) : ipv6.pseudoHeaderSum(l4Protocol, 0);
        final int firstId = isIpv4 ? ipv4.identification() : 0;
        final boolean isTcp = TcpFlyweight.PROTOCOL == l4Protocol;
        final int firstSequence = isTcp ? tcp.sequenceNumber() : 0;
        final int tcpFlags = isTcp ? tcp.flags() : 0;

        int cursor = 0;
        int payloadOffset = l4Offset + l4HeaderLength;
        for (int i = 0; i < segments; i++)
        {
            final int payload = Math.min(gsoSize, payloadEnd - payloadOffset);
            final int segmentL4Length = l4HeaderLength + payload;
            final int start = BitUtil.align(cursor + headroom, SEGMENT_ALIGNMENT);
            scratch.putBytes(start, buffer, frameOffset, headersLength);
            if (copyPayload)
            {
                scratch.putBytes(start + headersLength, buffer, payloadOffset, payload);
            }
            // The L4 checksum sums the headers in the scratch and the payload where it lies in the
            // frame (the L4 header is even-length, so the two sums add up to the segment's).
            final long payloadSum = Checksums.sum(buffer, payloadOffset, payload);

            if (isIpv4)
            {
                ipv4.wrap(scratch, start + ipDelta, ipHeaderLength + segmentL4Length)
                    .totalLength(ipHeaderLength + segmentL4Length)
                    .identification((firstId + i) & 0xFFFF)
                    .updateChecksum();
            }
            else
            {
                ipv6.wrap(scratch, start + ipDelta, Ipv6Flyweight.HEADER_LENGTH + segmentL4Length)
                    .payloadLength(segmentL4Length);
            }
            final long pseudoHeaderSum = addressesSum + segmentL4Length;
            if (isTcp)
            {
                int flags = tcpFlags;
                if (i > 0)
                {
                    flags &= ~TcpFlyweight.FLAG_CWR;
                }
                if (i < segments - 1)
                {
                    flags &= ~TCP_NOT_LAST_CLEARS;
                }
                tcp.wrap(scratch, start + l4Delta, l4HeaderLength)
                    .sequenceNumber(firstSequence + i * gsoSize)
                    .flags(flags)
                    .updateChecksum(pseudoHeaderSum + payloadSum);
            }
            else
            {
                udp.wrap(scratch, start + l4Delta, UdpFlyweight.HEADER_LENGTH).datagramLength(segmentL4Length).checksum(0);
                final int checksum = Checksums.finish(
                    pseudoHeaderSum + Checksums.sum(scratch, start + l4Delta, UdpFlyweight.HEADER_LENGTH) + payloadSum);
                udp.checksum(0 == checksum ? 0xFFFF : checksum);
            }

            if (copyPayload)
            {
                sink.onSegment(scratch, start, headersLength + payload);
                cursor = start + headersLength + payload;
            }
            else
            {
                headerSink.onSegment(scratch, start, headersLength, payloadOffset, payload);
                cursor = start + headersLength;
            }
            payloadOffset += payload;
        }
    }

    /**
     * Parse Ethernet, IP and L4 headers into the fields above, leaving the IP and L4 flyweights
     * wrapped over the frame.
     *
     * @return false if they do not parse as {@code baseType} says.
     */
    private boolean parse(
        final MutableDirectBuffer buffer,
        final int frameOffset,
        final int frameLength,
        final int baseType,
        final int l4Protocol)
    {
        ethernet.wrap(buffer, frameOffset, frameLength);
        if (!ethernet.isValid())
        {
            return false;
        }
        final int etherType = ethernet.payloadEtherType();
        ipOffset = ethernet.payloadOffset();
        final int ipAvailable = ethernet.payloadLength();
        final int ipProtocol;
        if (EthernetFlyweight.ETHER_TYPE_IPV4 == etherType && GSO_TCPV6 != baseType)
        {
            ipv4.wrap(buffer, ipOffset, ipAvailable);
            if (!ipv4.isValid() || ipv4.isFragment())
            {
                return false;
            }
            isIpv4 = true;
            ipHeaderLength = ipv4.headerLength();
            ipProtocol = ipv4.protocol();
            l4Length = ipv4.payloadLength();
        }
        else if (EthernetFlyweight.ETHER_TYPE_IPV6 == etherType && GSO_TCPV4 != baseType)
        {
            ipv6.wrap(buffer, ipOffset, ipAvailable);
            if (!ipv6.isValid())
            {
                return false;
            }
            isIpv4 = false;
            ipHeaderLength = Ipv6Flyweight.HEADER_LENGTH;
            ipProtocol = ipv6.nextHeader();
            l4Length = ipv6.payloadLength();
        }
        else
        {
            return false;
        }
        if (ipProtocol != l4Protocol)
        {
            return false;
        }

        l4Offset = ipOffset + ipHeaderLength;
        if (TcpFlyweight.PROTOCOL == l4Protocol)
        {
            tcp.wrap(buffer, l4Offset, l4Length);
            if (!tcp.isValid())
            {
                return false;
            }
            l4HeaderLength = tcp.headerLength();
        }
        else
        {
            // The UDP Length field of a GSO frame is rewritten per segment, so only the IP length counts.
            if (l4Length < UdpFlyweight.HEADER_LENGTH)
            {
                return false;
            }
            l4HeaderLength = UdpFlyweight.HEADER_LENGTH;
        }
        return true;
    }

    /** @return the L4 protocol a GSO type cuts, or -1 if it is not one this class handles. */
    private static int l4Protocol(final int gsoType)
    {
        switch (gsoType & ~GSO_ECN)
        {
            case GSO_TCPV4:
            case GSO_TCPV6:
                return TcpFlyweight.PROTOCOL;
            case GSO_UDP_L4:
                return (gsoType & GSO_ECN) == 0 ? UdpFlyweight.PROTOCOL : -1;
            default:
                return -1;
        }
    }

    private static int checksumOffset(final int l4Protocol)
    {
        return TcpFlyweight.PROTOCOL == l4Protocol ? TcpFlyweight.CHECKSUM_OFFSET : UdpFlyweight.CHECKSUM_OFFSET;
    }

    private static boolean isInBuffer(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        return offset >= 0 && length >= 0 && length <= buffer.capacity() - offset;
    }
}
