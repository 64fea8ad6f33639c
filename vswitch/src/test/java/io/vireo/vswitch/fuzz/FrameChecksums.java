package io.vireo.vswitch.fuzz;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Whether the checksums a frame carries are right: the IPv4 header's, and over a whole unfragmented
 * datagram TCP's, UDP's (0: none) and ICMP's or ICMPv6's (IPv6 without extension headers only).
 */
final class FrameChecksums
{
    private static final int PROTOCOL_ICMP = 1;
    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;
    private static final int PROTOCOL_ICMPV6 = 58;
    private static final int UDP_CHECKSUM_OFFSET = 6;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    boolean areValid(final byte[] frame)
    {
        return areValid(new UnsafeBuffer(frame), 0, frame.length);
    }

    boolean areValid(final DirectBuffer frame, final int offset, final int length)
    {
        // Flyweights wrap mutable buffers; these bytes are only read.
        final UnsafeBuffer buffer = new UnsafeBuffer(frame, offset, length);
        ethernet.wrap(buffer, 0, length);
        if (!ethernet.isValid())
        {
            return true;
        }
        final int l3Offset = ethernet.payloadOffset();
        return switch (ethernet.payloadEtherType())
        {
            case EthernetFlyweight.ETHER_TYPE_IPV4 -> ipv4AreValid(buffer, l3Offset, length - l3Offset);
            case EthernetFlyweight.ETHER_TYPE_IPV6 -> ipv6AreValid(buffer, l3Offset, length - l3Offset);
            default -> true;
        };
    }

    private boolean ipv4AreValid(final UnsafeBuffer buffer, final int offset, final int length)
    {
        ipv4.wrap(buffer, offset, length);
        if (!ipv4.isValid())
        {
            return true;
        }
        final int headerLength = ipv4.headerLength();
        if (Checksums.checksum(buffer, offset, headerLength) != 0)
        {
            return false;
        }
        if (ipv4.isFragment())
        {
            return true;
        }
        final int protocol = ipv4.protocol();
        final int segmentLength = ipv4.totalLength() - headerLength;
        final long pseudoHeader = protocol == PROTOCOL_ICMP ? 0 :
            Checksums.ipv4PseudoHeaderSum(ipv4.sourceAddress(), ipv4.destinationAddress(), protocol, segmentLength);
        return segmentIsValid(buffer, offset + headerLength, segmentLength, protocol, pseudoHeader);
    }

    private boolean ipv6AreValid(final UnsafeBuffer buffer, final int offset, final int length)
    {
        ipv6.wrap(buffer, offset, length);
        if (!ipv6.isValid())
        {
            return true;
        }
        final int protocol = ipv6.nextHeader();
        final int segmentLength = ipv6.payloadLength();
        return segmentIsValid(buffer, ipv6.payloadOffset(), segmentLength, protocol,
            ipv6.pseudoHeaderSum(protocol, segmentLength));
    }

    private static boolean segmentIsValid(
        final UnsafeBuffer buffer, final int offset, final int length, final int protocol, final long pseudoHeader)
    {
        final boolean checksummed = protocol == PROTOCOL_TCP && length >= 20 ||
            protocol == PROTOCOL_UDP && length >= 8 && buffer.getShort(offset + UDP_CHECKSUM_OFFSET) != 0 ||
            (protocol == PROTOCOL_ICMP || protocol == PROTOCOL_ICMPV6) && length >= 4;
        return !checksummed || Checksums.finish(pseudoHeader + Checksums.sum(buffer, offset, length)) == 0;
    }
}
