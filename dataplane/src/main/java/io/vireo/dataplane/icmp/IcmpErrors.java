package io.vireo.dataplane.icmp;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * ICMP (RFC 792) and ICMPv6 (RFC 4443) error messages: whether one may be sent about a packet, and
 * the IP packet that carries it. Whoever answers (the overlay's {@link PacketTooBig}, a router)
 * chooses the addresses and the link header; this class writes the rest.
 * <pre>
 *  IPv4: | IPv4, 20 B, protocol 1, TTL 64, DSCP CS6 | type | code | checksum |
 *        | rest of header (32 bits: 0, or the next-hop MTU in the low 16)   | quote of the offending packet |
 *  IPv6: | IPv6, 40 B, next header 58, hop limit 64, DSCP CS6 | type | code | checksum |
 *        | rest of header (32 bits: 0, an MTU or a pointer)                | quote of the offending packet |
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     Type      |     Code      |          Checksum             |
 *  +---------------+---------------+-------------------------------+
 *  |                        Rest of header                         |
 *  +---------------------------------------------------------------+
 *  |    As much of the offending packet as the size limit allows   |
 *  +---------------------------------------------------------------+
 * </pre>
 * The quote is copied from a buffer the caller names, which must not overlap the message written: to
 * answer in place, copy the quote aside first. One per forwarding thread; allocates nothing.
 */
public final class IcmpErrors
{
    /** IP protocol number of ICMP. */
    public static final int PROTOCOL_ICMP = 1;
    /** IPv6 next header of ICMPv6. */
    public static final int PROTOCOL_ICMPV6 = 58;
    /** Type, code, checksum and the 32-bit rest of header, in ICMP and ICMPv6 alike. */
    public static final int ICMP_HEADER_LENGTH = 8;
    /** The IPv4 and ICMP headers of an error message. */
    public static final int IPV4_HEADERS_LENGTH = Ipv4Flyweight.MIN_HEADER_LENGTH + ICMP_HEADER_LENGTH;
    /** The IPv6 and ICMPv6 headers of an error message. */
    public static final int IPV6_HEADERS_LENGTH = Ipv6Flyweight.HEADER_LENGTH + ICMP_HEADER_LENGTH;
    /** The largest IPv4 packet an ICMP error may make (RFC 1812 4.3.2.3). */
    public static final int IPV4_MAX_ERROR_LENGTH = 576;
    /** The largest IPv6 packet an ICMPv6 error may make: the minimum MTU (RFC 4443 2.4 (c)). */
    public static final int IPV6_MIN_MTU = 1280;

    public static final int ICMP_DESTINATION_UNREACHABLE = 3;
    public static final int ICMP_FRAGMENTATION_NEEDED = 4;
    public static final int ICMPV6_PACKET_TOO_BIG = 2;
    public static final int ICMPV6_PARAMETER_PROBLEM = 4;
    /** Parameter problem code: unrecognized IPv6 option, the other error a multicast packet may get. */
    public static final int ICMPV6_UNRECOGNIZED_OPTION = 2;

    private static final int ICMP_SOURCE_QUENCH = 4;
    private static final int ICMP_REDIRECT = 5;
    private static final int ICMP_TIME_EXCEEDED = 11;
    private static final int ICMP_PARAMETER_PROBLEM = 12;
    private static final int ICMPV6_FIRST_INFORMATIONAL = 128;
    private static final int ICMPV6_REDIRECT = 137;
    private static final int IPV6_HOP_BY_HOP = 0;
    private static final int IPV6_ROUTING = 43;
    private static final int IPV6_FRAGMENT = 44;
    private static final int IPV6_AUTHENTICATION = 51;
    private static final int IPV6_DESTINATION_OPTIONS = 60;
    private static final int IPV6_FRAGMENT_OFFSET_MASK = 0xFFF8;
    /** Every extension header is a multiple of 8 bytes, and the fragment header is just 8. */
    private static final int MIN_EXTENSION_HEADER_LENGTH = 8;
    private static final int NOT_ICMPV6 = -1;
    private static final int MALFORMED = -2;
    private static final int TTL = 64;
    /** DSCP CS6 (internetwork control), as the kernel marks its ICMP errors. */
    private static final int DSCP_CS6 = 48;
    private static final int IPV4_BROADCAST = 0xFFFF_FFFF;

    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    /**
     * Whether an ICMP error may answer an IPv4 packet (RFC 1812 4.3.2.7, RFC 1122 3.2.2): not when it
     * is a non-first fragment, goes to a multicast or the limited broadcast address, comes from an
     * address that names no single host (0/8, 127/8, multicast, 240/4 and broadcast), or is itself an
     * ICMP error. The caller checks the link-layer destination, and a directed broadcast it knows of.
     *
     * @param packet wrapped over the offending packet, {@link Ipv4Flyweight#isValid() valid}.
     * @return true if an error may be sent.
     */
    public static boolean mayAnswer(final Ipv4Flyweight packet)
    {
        if (0 != packet.fragmentOffset() || !isUnicastIpv4(packet.sourceAddress()) || isGroupIpv4(packet.destinationAddress()))
        {
            return false;
        }
        if (packet.protocol() != PROTOCOL_ICMP || packet.payloadLength() < 1)
        {
            return true;
        }
        final int type = packet.buffer().getByte(packet.payloadOffset()) & 0xFF;
        return type != ICMP_DESTINATION_UNREACHABLE && type != ICMP_SOURCE_QUENCH && type != ICMP_REDIRECT &&
            type != ICMP_TIME_EXCEEDED && type != ICMP_PARAMETER_PROBLEM;
    }

    /**
     * Whether an ICMPv6 error of {@code type} and {@code code} may answer an IPv6 packet
     * (RFC 4443 2.4 (e)): not when the packet comes from the unspecified or a multicast address, is
     * itself an ICMPv6 error or a redirect (seen through extension headers), has an extension header
     * that runs past its payload, or went to a multicast address or link-layer group, unless the
     * error is a packet too big or an unrecognized option.
     *
     * @param packet      wrapped over the offending packet, {@link Ipv6Flyweight#isValid() valid}.
     * @param type        ICMPv6 type of the error.
     * @param code        its code.
     * @param toLinkGroup whether the frame went to a link-layer multicast or broadcast address.
     * @return true if an error may be sent.
     */
    public static boolean mayAnswer(final Ipv6Flyweight packet, final int type, final int code, final boolean toLinkGroup)
    {
        final long sourceHigh = packet.sourceAddressHigh();
        if (isMulticastIpv6(sourceHigh) || (0 == sourceHigh && 0 == packet.sourceAddressLow()))
        {
            return false;
        }
        final boolean forGroups = type == ICMPV6_PACKET_TOO_BIG || (type == ICMPV6_PARAMETER_PROBLEM && code == ICMPV6_UNRECOGNIZED_OPTION);
        if (!forGroups && (toLinkGroup || isMulticastIpv6(packet.destinationAddressHigh())))
        {
            return false;
        }
        final int icmpType = icmpv6Type(packet);
        return icmpType == NOT_ICMPV6 || (icmpType >= ICMPV6_FIRST_INFORMATIONAL && icmpType != ICMPV6_REDIRECT);
    }

    /**
     * @param address an IPv4 address.
     * @return true unless it is in 0/8, 127/8, 224/4 (multicast) or 240/4 (reserved, broadcast).
     */
    public static boolean isUnicastIpv4(final int address)
    {
        final int firstOctet = address >>> 24;
        return 0 != firstOctet && 127 != firstOctet && firstOctet < 224;
    }

    /**
     * @param address an IPv4 address.
     * @return true if it is multicast or the limited broadcast address.
     */
    public static boolean isGroupIpv4(final int address)
    {
        return (address >>> 28) == 0xE || address == IPV4_BROADCAST;
    }

    /**
     * @param high the first 8 bytes of an IPv6 address.
     * @return true if the address is multicast (ff00::/8).
     */
    public static boolean isMulticastIpv6(final long high)
    {
        return (high >>> 56) == 0xFF;
    }

    /**
     * Writes an ICMP error in an IPv4 packet.
     *
     * @param out           receives the IPv4 packet at {@code ipOffset}: {@link #IPV4_HEADERS_LENGTH} + {@code quoteLength} bytes.
     * @param source        IPv4 source address of the error.
     * @param destination   its destination: the offending packet's source.
     * @param type          ICMP type.
     * @param code          ICMP code.
     * @param restOfHeader  the 32 bits after the checksum, e.g. the next-hop MTU for fragmentation needed.
     * @param quote         holds what to quote at {@code quoteOffset}, outside what is written.
     * @param quoteLength   bytes to quote, the offending IP header at least.
     * @return the IPv4 packet's length.
     */
    public int writeIpv4(
        final MutableDirectBuffer out, final int ipOffset, final int source, final int destination, final int type, final int code,
        final int restOfHeader, final DirectBuffer quote, final int quoteOffset, final int quoteLength)
    {
        final int totalLength = IPV4_HEADERS_LENGTH + quoteLength;
        final int icmpOffset = ipOffset + Ipv4Flyweight.MIN_HEADER_LENGTH;
        ipv4.wrap(out, ipOffset, totalLength)
            .headerLength(Ipv4Flyweight.MIN_HEADER_LENGTH)
            .dscp(DSCP_CS6).ecn(0)
            .totalLength(totalLength)
            .identification(0)
            .flagsAndFragmentOffset(0)
            .ttl(TTL)
            .protocol(PROTOCOL_ICMP)
            .sourceAddress(source)
            .destinationAddress(destination)
            .updateChecksum();
        writeIcmp(out, icmpOffset, type, code, restOfHeader, quote, quoteOffset, quoteLength);
        out.putShort(icmpOffset + 2, (short)Checksums.checksum(out, icmpOffset, ICMP_HEADER_LENGTH + quoteLength), BIG_ENDIAN);
        return totalLength;
    }

    /**
     * Writes an ICMPv6 error in an IPv6 packet.
     *
     * @param out             receives the IPv6 packet at {@code ipOffset}: {@link #IPV6_HEADERS_LENGTH} + {@code quoteLength} bytes.
     * @param sourceHigh      first 8 bytes of the error's source address.
     * @param sourceLow       last 8 bytes of it.
     * @param destinationHigh first 8 bytes of its destination: the offending packet's source.
     * @param destinationLow  last 8 bytes of it.
     * @param type            ICMPv6 type.
     * @param code            ICMPv6 code.
     * @param restOfHeader    the 32 bits after the checksum: the MTU of a packet too big, a parameter problem's pointer.
     * @param quote           holds what to quote at {@code quoteOffset}, outside what is written.
     * @param quoteLength     bytes to quote.
     * @return the IPv6 packet's length.
     */
    public int writeIpv6(
        final MutableDirectBuffer out, final int ipOffset,
        final long sourceHigh, final long sourceLow, final long destinationHigh, final long destinationLow,
        final int type, final int code, final int restOfHeader, final DirectBuffer quote, final int quoteOffset, final int quoteLength)
    {
        final int icmpLength = ICMP_HEADER_LENGTH + quoteLength;
        final int icmpOffset = ipOffset + Ipv6Flyweight.HEADER_LENGTH;
        ipv6.wrap(out, ipOffset, Ipv6Flyweight.HEADER_LENGTH + icmpLength)
            .version(Ipv6Flyweight.VERSION).trafficClass(DSCP_CS6 << 2).flowLabel(0)
            .payloadLength(icmpLength)
            .nextHeader(PROTOCOL_ICMPV6)
            .hopLimit(TTL)
            .sourceAddress(sourceHigh, sourceLow)
            .destinationAddress(destinationHigh, destinationLow);
        writeIcmp(out, icmpOffset, type, code, restOfHeader, quote, quoteOffset, quoteLength);
        final long sum = ipv6.pseudoHeaderSum(PROTOCOL_ICMPV6, icmpLength) + Checksums.sum(out, icmpOffset, icmpLength);
        out.putShort(icmpOffset + 2, (short)Checksums.finish(sum), BIG_ENDIAN);
        return Ipv6Flyweight.HEADER_LENGTH + icmpLength;
    }

    /**
     * The type of the ICMPv6 message an IPv6 packet carries, past hop-by-hop, routing, destination
     * options, authentication and first-fragment headers.
     *
     * @return the ICMPv6 type; {@link #NOT_ICMPV6} if the packet carries another protocol or is a later
     * fragment; {@link #MALFORMED} if an extension header runs past the packet or the message is empty.
     */
    private static int icmpv6Type(final Ipv6Flyweight packet)
    {
        final DirectBuffer buffer = packet.buffer();
        final int end = packet.payloadOffset() + packet.payloadLength();
        int nextHeader = packet.nextHeader();
        int position = packet.payloadOffset();
        while (position <= end)
        {
            if (nextHeader == PROTOCOL_ICMPV6)
            {
                return position < end ? buffer.getByte(position) & 0xFF : MALFORMED;
            }
            if (!isExtensionHeader(nextHeader))
            {
                return NOT_ICMPV6;
            }
            if (position + MIN_EXTENSION_HEADER_LENGTH > end)
            {
                return MALFORMED;
            }
            if (nextHeader == IPV6_FRAGMENT && 0 != (buffer.getShort(position + 2, BIG_ENDIAN) & IPV6_FRAGMENT_OFFSET_MASK))
            {
                return NOT_ICMPV6;
            }
            final int lengthField = buffer.getByte(position + 1) & 0xFF;
            final int headerLength = nextHeader == IPV6_FRAGMENT ? MIN_EXTENSION_HEADER_LENGTH :
                nextHeader == IPV6_AUTHENTICATION ? (lengthField + 2) * 4 : (lengthField + 1) * 8;
            nextHeader = buffer.getByte(position) & 0xFF;
            position += headerLength;
        }
        return MALFORMED;
    }

    private static boolean isExtensionHeader(final int nextHeader)
    {
        return nextHeader == IPV6_HOP_BY_HOP || nextHeader == IPV6_ROUTING || nextHeader == IPV6_FRAGMENT ||
            nextHeader == IPV6_AUTHENTICATION || nextHeader == IPV6_DESTINATION_OPTIONS;
    }

    private static void writeIcmp(
        final MutableDirectBuffer out, final int icmpOffset, final int type, final int code, final int restOfHeader,
        final DirectBuffer quote, final int quoteOffset, final int quoteLength)
    {
        out.putByte(icmpOffset, (byte)type);
        out.putByte(icmpOffset + 1, (byte)code);
        out.putShort(icmpOffset + 2, (short)0);
        out.putInt(icmpOffset + 4, restOfHeader, BIG_ENDIAN);
        out.putBytes(icmpOffset + ICMP_HEADER_LENGTH, quote, quoteOffset, quoteLength);
    }
}
