package io.vireo.gateway.answer;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.icmp.IcmpErrors;
import org.agrona.MutableDirectBuffer;

import static io.vireo.gateway.answer.AnswerFrames.IP_OFFSET;
import static io.vireo.gateway.answer.AnswerFrames.TTL;
import static io.vireo.gateway.answer.AnswerFrames.isGroup;
import static io.vireo.gateway.answer.AnswerFrames.padded;
import static io.vireo.gateway.answer.AnswerFrames.unicastEtherType;
import static io.vireo.gateway.answer.RouterAnswers.NONE;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * The TCP segments a router writes for {@link RouterAnswers}: a health probe's SYN and resets. The
 * contracts are on {@link RouterAnswers}'s methods of the same names.
 */
final class TcpAnswers
{
    private static final int PROTOCOL_TCP = 6;
    private static final int DONT_FRAGMENT = 0x4000;
    private static final int TCP_HEADER_LENGTH = 20;
    private static final int TCP_SEQUENCE = 4;
    private static final int TCP_ACKNOWLEDGMENT = 8;
    private static final int TCP_DATA_OFFSET = 12;
    private static final int TCP_FLAGS = 13;
    private static final int TCP_WINDOW = 14;
    private static final int TCP_CHECKSUM = 16;
    private static final int TCP_URGENT = 18;
    /** Kind 2, length 4, 1460. */
    private static final int MSS_OPTION = 0x0204_05B4;
    private static final int PROBE_WINDOW = 64_240;
    private static final int TCP_FIN = 0x01;
    private static final int TCP_SYN = 0x02;
    private static final int TCP_RST = 0x04;
    private static final int TCP_ACK = 0x10;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    int tcpSyn(
        final MutableDirectBuffer buffer, final int offset, final long routerMac, final long destinationMac, final int source,
        final int destination, final int sourcePort, final int destinationPort, final int sequence)
    {
        final int tcpLength = TCP_HEADER_LENGTH + 4;
        ethernet.wrap(buffer, offset, IP_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + tcpLength)
            .destination(destinationMac).source(routerMac).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(buffer, offset + IP_OFFSET, Ipv4Flyweight.MIN_HEADER_LENGTH + tcpLength)
            .headerLength(Ipv4Flyweight.MIN_HEADER_LENGTH)
            .dscp(0)
            .ecn(0)
            .totalLength(Ipv4Flyweight.MIN_HEADER_LENGTH + tcpLength)
            .identification(0)
            .flagsAndFragmentOffset(DONT_FRAGMENT)
            .ttl(TTL)
            .protocol(PROTOCOL_TCP)
            .sourceAddress(source)
            .destinationAddress(destination)
            .updateChecksum();
        final int tcp = offset + IP_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH;
        buffer.putShort(tcp, (short)sourcePort, BIG_ENDIAN);
        buffer.putShort(tcp + 2, (short)destinationPort, BIG_ENDIAN);
        buffer.putInt(tcp + TCP_SEQUENCE, sequence, BIG_ENDIAN);
        buffer.putInt(tcp + TCP_ACKNOWLEDGMENT, 0);
        buffer.putByte(tcp + TCP_DATA_OFFSET, (byte)((tcpLength / 4) << 4));
        buffer.putByte(tcp + TCP_FLAGS, (byte)TCP_SYN);
        buffer.putShort(tcp + TCP_WINDOW, (short)PROBE_WINDOW, BIG_ENDIAN);
        buffer.putShort(tcp + TCP_CHECKSUM, (short)0);
        buffer.putShort(tcp + TCP_URGENT, (short)0);
        buffer.putInt(tcp + TCP_HEADER_LENGTH, MSS_OPTION, BIG_ENDIAN);
        final long sum = ipv4.pseudoHeaderSum(PROTOCOL_TCP, tcpLength) + Checksums.sum(buffer, tcp, tcpLength);
        buffer.putShort(tcp + TCP_CHECKSUM, (short)Checksums.finish(sum), BIG_ENDIAN);
        return padded(buffer, offset, IP_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + tcpLength);
    }

    int tcpReset(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        if (unicastEtherType(ethernet, buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV4 || isGroup(ethernet.destination()))
        {
            return NONE;
        }
        final int ipOffset = offset + IP_OFFSET;
        ipv4.wrap(buffer, ipOffset, length - IP_OFFSET);
        if (!ipv4.isValid() || ipv4.isFragment() || ipv4.protocol() != PROTOCOL_TCP || ipv4.payloadLength() < TCP_HEADER_LENGTH)
        {
            return NONE;
        }
        final int segment = ipv4.payloadOffset();
        final int segmentLength = ipv4.payloadLength();
        final int dataOffset = ((buffer.getByte(segment + TCP_DATA_OFFSET) & 0xFF) >>> 4) * 4;
        final int flags = buffer.getByte(segment + TCP_FLAGS) & 0xFF;
        final int source = ipv4.sourceAddress();
        final int destination = ipv4.destinationAddress();
        if (dataOffset < TCP_HEADER_LENGTH || dataOffset > segmentLength || 0 != (flags & TCP_RST) ||
            !IcmpErrors.isUnicastIpv4(source) || IcmpErrors.isGroupIpv4(destination))
        {
            return NONE;
        }
        final int sourcePort = buffer.getShort(segment, BIG_ENDIAN) & 0xFFFF;
        final int destinationPort = buffer.getShort(segment + 2, BIG_ENDIAN) & 0xFFFF;
        final int sequence = buffer.getInt(segment + TCP_SEQUENCE, BIG_ENDIAN);
        final int acknowledgment = buffer.getInt(segment + TCP_ACKNOWLEDGMENT, BIG_ENDIAN);
        final boolean hasAck = 0 != (flags & TCP_ACK);
        final int consumed = segmentLength - dataOffset + (0 != (flags & TCP_SYN) ? 1 : 0) + (0 != (flags & TCP_FIN) ? 1 : 0);

        final int tcp = ipOffset + Ipv4Flyweight.MIN_HEADER_LENGTH;
        ipv4.headerLength(Ipv4Flyweight.MIN_HEADER_LENGTH)
            .dscp(0)
            .ecn(0)
            .totalLength(Ipv4Flyweight.MIN_HEADER_LENGTH + TCP_HEADER_LENGTH)
            .identification(0)
            .flagsAndFragmentOffset(DONT_FRAGMENT)
            .ttl(TTL)
            .sourceAddress(destination)
            .destinationAddress(source)
            .updateChecksum();
        buffer.putShort(tcp, (short)destinationPort, BIG_ENDIAN);
        buffer.putShort(tcp + 2, (short)sourcePort, BIG_ENDIAN);
        buffer.putInt(tcp + TCP_SEQUENCE, hasAck ? acknowledgment : 0, BIG_ENDIAN);
        buffer.putInt(tcp + TCP_ACKNOWLEDGMENT, hasAck ? 0 : sequence + consumed, BIG_ENDIAN);
        buffer.putByte(tcp + TCP_DATA_OFFSET, (byte)((TCP_HEADER_LENGTH / 4) << 4));
        buffer.putByte(tcp + TCP_FLAGS, (byte)(hasAck ? TCP_RST : TCP_RST | TCP_ACK));
        buffer.putInt(tcp + TCP_WINDOW, 0);   // window and checksum
        buffer.putShort(tcp + TCP_URGENT, (short)0);
        final long sum = ipv4.pseudoHeaderSum(PROTOCOL_TCP, TCP_HEADER_LENGTH) + Checksums.sum(buffer, tcp, TCP_HEADER_LENGTH);
        buffer.putShort(tcp + TCP_CHECKSUM, (short)Checksums.finish(sum), BIG_ENDIAN);
        ethernet.destination(ethernet.source()).source(routerMac);
        return padded(buffer, offset, IP_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + TCP_HEADER_LENGTH);
    }
}
