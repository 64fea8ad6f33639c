package io.vireo.gateway.answer;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.icmp.IcmpErrors;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.gateway.answer.AnswerFrames.ICMPV6_OFFSET;
import static io.vireo.gateway.answer.AnswerFrames.IP_OFFSET;
import static io.vireo.gateway.answer.AnswerFrames.TTL;
import static io.vireo.gateway.answer.AnswerFrames.isGroup;
import static io.vireo.gateway.answer.AnswerFrames.padded;
import static io.vireo.gateway.answer.AnswerFrames.unicastEtherType;
import static io.vireo.gateway.answer.RouterAnswers.NONE;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Echo replies and ICMP/ICMPv6 errors for {@link RouterAnswers}, written over the frame that calls for
 * them. The contracts are on {@link RouterAnswers}'s methods of the same names.
 */
final class IcmpAnswers
{
    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_ECHO_REQUEST = 8;
    private static final int ICMPV6_ECHO_REQUEST = 128;
    private static final int ICMPV6_ECHO_REPLY = 129;
    /** Holds an IPv4 packet's ICMP message while the header before it shrinks, or an error's quote. */
    private static final int SCRATCH_LENGTH = 65_536;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final IcmpErrors errors = new IcmpErrors();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH_LENGTH]);

    int echoReply(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        final int etherType = unicastEtherType(ethernet, buffer, offset, length);
        if (etherType == EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            return echoReplyIpv4(buffer, offset, length, routerMac);
        }
        if (etherType == EthernetFlyweight.ETHER_TYPE_IPV6)
        {
            return echoReplyIpv6(buffer, offset, length, routerMac);
        }
        return NONE;
    }

    int ipv4Error(
        final MutableDirectBuffer buffer, final int offset, final int length, final int capacity,
        final long routerMac, final int routerIp, final int type, final int code, final int nextHopMtu)
    {
        if (unicastEtherType(ethernet, buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV4 ||
            isGroup(ethernet.destination()))
        {
            return NONE;
        }
        final int ipOffset = offset + IP_OFFSET;
        ipv4.wrap(buffer, ipOffset, length - IP_OFFSET);
        if (!ipv4.isValid() || !IcmpErrors.mayAnswer(ipv4))
        {
            return NONE;
        }
        final int quoted = Math.min(
            ipv4.totalLength(),
            Math.min(IcmpErrors.IPV4_MAX_ERROR_LENGTH, capacity - IP_OFFSET) - IcmpErrors.IPV4_HEADERS_LENGTH);
        if (quoted < ipv4.headerLength())
        {
            return NONE;
        }
        final int offendingSource = ipv4.sourceAddress();
        scratch.putBytes(0, buffer, ipOffset, quoted);
        ethernet.destination(ethernet.source()).source(routerMac);
        final int restOfHeader = type == RouterAnswers.ICMP_DESTINATION_UNREACHABLE &&
            code == RouterAnswers.ICMP_FRAGMENTATION_NEEDED ? nextHopMtu & 0xFFFF : 0;
        return IP_OFFSET + errors.writeIpv4(buffer, ipOffset, routerIp, offendingSource, type, code, restOfHeader, scratch, 0, quoted);
    }

    int ipv6Error(
        final MutableDirectBuffer buffer, final int offset, final int length, final int capacity,
        final long routerMac, final long routerHigh, final long routerLow, final int type, final int code, final int mtu)
    {
        if (unicastEtherType(ethernet, buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV6)
        {
            return NONE;
        }
        final int ipOffset = offset + IP_OFFSET;
        ipv6.wrap(buffer, ipOffset, length - IP_OFFSET);
        if (!ipv6.isValid() || !IcmpErrors.mayAnswer(ipv6, type, code, isGroup(ethernet.destination())))
        {
            return NONE;
        }
        final int quoted = Math.min(
            Ipv6Flyweight.HEADER_LENGTH + ipv6.payloadLength(),
            Math.min(IcmpErrors.IPV6_MIN_MTU, capacity - IP_OFFSET) - IcmpErrors.IPV6_HEADERS_LENGTH);
        if (quoted < Ipv6Flyweight.HEADER_LENGTH)
        {
            return NONE;
        }
        final long offendingHigh = ipv6.sourceAddressHigh();
        final long offendingLow = ipv6.sourceAddressLow();
        scratch.putBytes(0, buffer, ipOffset, quoted);
        ethernet.destination(ethernet.source()).source(routerMac);
        return IP_OFFSET + errors.writeIpv6(
            buffer, ipOffset, routerHigh, routerLow, offendingHigh, offendingLow,
            type, code, type == RouterAnswers.ICMPV6_PACKET_TOO_BIG ? mtu : 0, scratch, 0, quoted);
    }

    private int echoReplyIpv4(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        final int ipOffset = offset + IP_OFFSET;
        ipv4.wrap(buffer, ipOffset, length - IP_OFFSET);
        if (!ipv4.isValid() || ipv4.isFragment() || ipv4.protocol() != IcmpErrors.PROTOCOL_ICMP ||
            ipv4.payloadLength() < IcmpErrors.ICMP_HEADER_LENGTH || 0 != Checksums.checksum(buffer, ipOffset, ipv4.headerLength()))
        {
            return NONE;
        }
        final int requestOffset = ipv4.payloadOffset();
        final int icmpLength = ipv4.payloadLength();
        final int source = ipv4.sourceAddress();
        final int destination = ipv4.destinationAddress();
        if ((buffer.getByte(requestOffset) & 0xFF) != ICMP_ECHO_REQUEST || 0 != Checksums.checksum(buffer, requestOffset, icmpLength) ||
            !IcmpErrors.isUnicastIpv4(source) || IcmpErrors.isGroupIpv4(destination))
        {
            return NONE;
        }
        final int icmpOffset = ipOffset + Ipv4Flyweight.MIN_HEADER_LENGTH;
        if (requestOffset != icmpOffset)
        {
            scratch.putBytes(0, buffer, requestOffset, icmpLength);
            buffer.putBytes(icmpOffset, scratch, 0, icmpLength);
        }
        ipv4.headerLength(Ipv4Flyweight.MIN_HEADER_LENGTH)
            .ecn(0)
            .totalLength(Ipv4Flyweight.MIN_HEADER_LENGTH + icmpLength)
            .flagsAndFragmentOffset(0)
            .ttl(TTL)
            .sourceAddress(destination)
            .destinationAddress(source)
            .updateChecksum();
        echo(buffer, icmpOffset, ICMP_ECHO_REPLY);
        ethernet.destination(ethernet.source()).source(routerMac);
        return padded(buffer, offset, IP_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + icmpLength);
    }

    private int echoReplyIpv6(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        if (AnswerFrames.icmpv6Message(ipv6, buffer, offset, length, -1, IcmpErrors.ICMP_HEADER_LENGTH) != ICMPV6_ECHO_REQUEST ||
            IcmpErrors.isMulticastIpv6(ipv6.sourceAddressHigh()) || (0 == ipv6.sourceAddressHigh() && 0 == ipv6.sourceAddressLow()) ||
            IcmpErrors.isMulticastIpv6(ipv6.destinationAddressHigh()))
        {
            return NONE;
        }
        final long sourceHigh = ipv6.sourceAddressHigh();
        final long sourceLow = ipv6.sourceAddressLow();
        ipv6.sourceAddress(ipv6.destinationAddressHigh(), ipv6.destinationAddressLow())
            .destinationAddress(sourceHigh, sourceLow)
            .flowLabel(0)
            .hopLimit(TTL);
        echo(buffer, offset + ICMPV6_OFFSET, ICMPV6_ECHO_REPLY);
        ethernet.destination(ethernet.source()).source(routerMac);
        return padded(buffer, offset, ICMPV6_OFFSET + ipv6.payloadLength());
    }

    /**
     * Turns a request whose checksum was verified into a reply of {@code type}, code 0. The checksum
     * is adjusted for the one word that changes (RFC 1624): swapping the addresses leaves an ICMPv6
     * pseudo-header's sum as it was.
     */
    private static void echo(final MutableDirectBuffer buffer, final int icmpOffset, final int type)
    {
        final int oldWord = buffer.getShort(icmpOffset, BIG_ENDIAN) & 0xFFFF;
        final int newWord = type << 8;
        final int checksum = buffer.getShort(icmpOffset + 2, BIG_ENDIAN) & 0xFFFF;
        buffer.putShort(icmpOffset, (short)newWord, BIG_ENDIAN);
        buffer.putShort(icmpOffset + 2, (short)Checksums.adjust(checksum, oldWord, newWord), BIG_ENDIAN);
    }
}
