package io.vireo.dataplane.icmp;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.headers.TcpFlyweight;
import io.vireo.dataplane.headers.UdpFlyweight;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import org.agrona.MutableDirectBuffer;

/**
 * What the overlay does with an IP packet larger than it can carry: the kernel's vxlan drops it
 * silently and the sender's TCP stalls; Vireo drops it too but answers the sender, as a router on the
 * path would, with an ICMP "fragmentation needed" (IPv4 with DF; RFC 1191) or an ICMPv6 "packet too
 * big" (RFC 8201) naming the overlay's MTU, so the sender's path MTU discovery adapts. The answer
 * comes from the packet's destination address and MAC, the one other end the sender already knows.
 * <p>
 * The reply frame, built into a buffer the caller owns:
 * <pre>
 *  IPv4: | Ethernet (+ VLAN tags), MACs swapped | IPv4, 20 B, dst -> src, protocol 1, TTL 64 |
 *        | ICMP type 3 code 4 | checksum | unused (0) | next-hop MTU | original IP header + 8 B |
 *  IPv6: | Ethernet (+ VLAN tags), MACs swapped | IPv6, 40 B, dst -> src, next header 58, hop limit 64 |
 *        | ICMPv6 type 2 code 0 | checksum | MTU (32 bits) | as much of the original as fits in 1280 B |
 * </pre>
 * No answer goes to an ICMP error, an IPv4 packet without DF or a non-first fragment, a group or
 * unspecified source, or a frame sent to a group MAC. One per forwarding thread; allocates nothing.
 */
public final class PacketTooBig
{
    /** The largest frame {@link #reply} builds: two VLAN tags, and IPv6's minimum MTU. */
    public static final int MAX_REPLY_LENGTH = EthernetFlyweight.HEADER_LENGTH + 2 * EthernetFlyweight.VLAN_TAG_LENGTH + 1280;

    private static final int PROTOCOL_ICMP = 1;
    private static final int PROTOCOL_ICMPV6 = 58;
    private static final int ICMP_HEADER_LENGTH = 8;
    private static final int ICMP_DESTINATION_UNREACHABLE = 3;
    private static final int ICMP_FRAGMENTATION_NEEDED = 4;
    private static final int ICMPV6_PACKET_TOO_BIG = 2;
    private static final int ICMPV6_FIRST_INFORMATIONAL = 128;
    private static final int IPV6_MIN_MTU = 1280;
    private static final int TTL = 64;
    /** DSCP CS6 (internetwork control), as the kernel marks its ICMP errors. */
    private static final int DSCP_CS6 = 48;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final Ipv4Flyweight replyIpv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight replyIpv6 = new Ipv6Flyweight();
    private final VirtioNetHeaderFlyweight netHeader = new VirtioNetHeaderFlyweight();

    /**
     * The size of the largest IP packet the frame puts on the wire: its IP packet, or for a GSO frame
     * one segment (IP and TCP or UDP headers plus the segment size).
     *
     * @param netHeaderOffset where the frame's virtio-net header is.
     * @return bytes, or -1 if the frame does not carry IPv4 or IPv6.
     */
    public int packetSize(final MutableDirectBuffer buffer, final int netHeaderOffset, final int offset, final int length)
    {
        ethernet.wrap(buffer, offset, length);
        final int etherType = ethernet.payloadEtherType();
        if (!ethernet.isValid() || (etherType != EthernetFlyweight.ETHER_TYPE_IPV4 && etherType != EthernetFlyweight.ETHER_TYPE_IPV6))
        {
            return -1;
        }
        final int l2Length = ethernet.headerLength();
        netHeader.wrap(buffer, netHeaderOffset, VirtioNetHeaderFlyweight.LENGTH);
        final int gsoType = netHeader.gsoType() & ~VirtioNetHeaderFlyweight.GSO_ECN;
        final int l4Offset = netHeader.csumStart();
        if (gsoType == VirtioNetHeaderFlyweight.GSO_NONE || l4Offset <= l2Length || l4Offset + TcpFlyweight.MIN_HEADER_LENGTH > length)
        {
            return length - l2Length;
        }
        final int l4HeaderLength = gsoType == VirtioNetHeaderFlyweight.GSO_UDP_L4 ? UdpFlyweight.HEADER_LENGTH :
            Math.max(TcpFlyweight.MIN_HEADER_LENGTH, (buffer.getByte(offset + l4Offset + 12) & 0xF0) >>> 2);
        return Math.min(length - l2Length, l4Offset - l2Length + l4HeaderLength + netHeader.gsoSize());
    }

    /**
     * Builds the answer to a frame whose IP packet exceeds {@code mtu}.
     *
     * @param buffer holds the frame at {@code offset}, {@code length} bytes.
     * @param mtu    the largest IP packet the overlay carries.
     * @param out    receives the reply frame at {@code outOffset}; at least {@link #MAX_REPLY_LENGTH} bytes.
     * @return the reply frame's length, or 0 if no answer is due.
     */
    public int reply(
        final MutableDirectBuffer buffer, final int offset, final int length, final int mtu,
        final MutableDirectBuffer out, final int outOffset)
    {
        ethernet.wrap(buffer, offset, length);
        if (!ethernet.isValid() || isGroup(ethernet.destination()))
        {
            return 0;
        }
        final int l2Length = ethernet.headerLength();
        final int etherType = ethernet.payloadEtherType();
        if (etherType == EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            return replyIpv4(buffer, offset, length, l2Length, mtu, out, outOffset);
        }
        if (etherType == EthernetFlyweight.ETHER_TYPE_IPV6)
        {
            return replyIpv6(buffer, offset, length, l2Length, mtu, out, outOffset);
        }
        return 0;
    }

    private int replyIpv4(
        final MutableDirectBuffer buffer, final int offset, final int length, final int l2Length, final int mtu,
        final MutableDirectBuffer out, final int outOffset)
    {
        ipv4.wrap(buffer, offset + l2Length, length - l2Length);
        if (!ipv4.isValid() || !ipv4.dontFragment() || 0 != ipv4.fragmentOffset())
        {
            return 0;
        }
        final int source = ipv4.sourceAddress();
        final int firstOctet = source >>> 24;
        if (0 == firstOctet || firstOctet >= 224 || isIcmpError(buffer, PROTOCOL_ICMP, ipv4.protocol(), ipv4.payloadOffset(), ipv4.payloadLength()))
        {
            return 0;
        }
        final int quoted = Math.min(ipv4.headerLength() + 8, length - l2Length);
        final int ipOffset = outOffset + l2Length;
        final int icmpOffset = ipOffset + Ipv4Flyweight.MIN_HEADER_LENGTH;
        writeL2(buffer, offset, l2Length, out, outOffset);
        replyIpv4.wrap(out, ipOffset, Ipv4Flyweight.MIN_HEADER_LENGTH + ICMP_HEADER_LENGTH + quoted);
        out.putByte(ipOffset, (byte)0x45);
        replyIpv4.dscp(DSCP_CS6).ecn(0)
            .totalLength(Ipv4Flyweight.MIN_HEADER_LENGTH + ICMP_HEADER_LENGTH + quoted)
            .identification(0)
            .flagsAndFragmentOffset(0)
            .ttl(TTL)
            .protocol(PROTOCOL_ICMP)
            .sourceAddress(ipv4.destinationAddress())
            .destinationAddress(source)
            .headerChecksum(0)
            .updateChecksum();
        out.putByte(icmpOffset, (byte)ICMP_DESTINATION_UNREACHABLE);
        out.putByte(icmpOffset + 1, (byte)ICMP_FRAGMENTATION_NEEDED);
        out.putShort(icmpOffset + 2, (short)0);
        out.putShort(icmpOffset + 4, (short)0);
        putUnsignedShort(out, icmpOffset + 6, mtu);
        out.putBytes(icmpOffset + ICMP_HEADER_LENGTH, buffer, ipv4.offset(), quoted);
        putUnsignedShort(out, icmpOffset + 2, Checksums.checksum(out, icmpOffset, ICMP_HEADER_LENGTH + quoted));
        return l2Length + Ipv4Flyweight.MIN_HEADER_LENGTH + ICMP_HEADER_LENGTH + quoted;
    }

    private int replyIpv6(
        final MutableDirectBuffer buffer, final int offset, final int length, final int l2Length, final int mtu,
        final MutableDirectBuffer out, final int outOffset)
    {
        ipv6.wrap(buffer, offset + l2Length, length - l2Length);
        if (!ipv6.isValid())
        {
            return 0;
        }
        final long sourceHigh = ipv6.sourceAddressHigh();
        final long sourceLow = ipv6.sourceAddressLow();
        if ((sourceHigh >>> 56) == 0xFF || (0 == sourceHigh && 0 == sourceLow) ||
            isIcmpError(buffer, PROTOCOL_ICMPV6, ipv6.nextHeader(), ipv6.payloadOffset(), length - l2Length - Ipv6Flyweight.HEADER_LENGTH))
        {
            return 0;
        }
        final int quoted = Math.min(length - l2Length, IPV6_MIN_MTU - Ipv6Flyweight.HEADER_LENGTH - ICMP_HEADER_LENGTH);
        final int icmpLength = ICMP_HEADER_LENGTH + quoted;
        final int ipOffset = outOffset + l2Length;
        final int icmpOffset = ipOffset + Ipv6Flyweight.HEADER_LENGTH;
        writeL2(buffer, offset, l2Length, out, outOffset);
        replyIpv6.wrap(out, ipOffset, Ipv6Flyweight.HEADER_LENGTH + icmpLength);
        replyIpv6.version(Ipv6Flyweight.VERSION).trafficClass(DSCP_CS6 << 2).flowLabel(0)
            .payloadLength(icmpLength)
            .nextHeader(PROTOCOL_ICMPV6)
            .hopLimit(TTL)
            .sourceAddress(ipv6.destinationAddressHigh(), ipv6.destinationAddressLow())
            .destinationAddress(sourceHigh, sourceLow);
        out.putByte(icmpOffset, (byte)ICMPV6_PACKET_TOO_BIG);
        out.putByte(icmpOffset + 1, (byte)0);
        out.putShort(icmpOffset + 2, (short)0);
        out.putInt(icmpOffset + 4, Integer.reverseBytes(Math.max(mtu, IPV6_MIN_MTU)));
        out.putBytes(icmpOffset + ICMP_HEADER_LENGTH, buffer, ipv6.offset(), quoted);
        final long sum = replyIpv6.pseudoHeaderSum(PROTOCOL_ICMPV6, icmpLength) + Checksums.sum(out, icmpOffset, icmpLength);
        putUnsignedShort(out, icmpOffset + 2, Checksums.finish(sum));
        return l2Length + Ipv6Flyweight.HEADER_LENGTH + icmpLength;
    }

    /** Copies the frame's Ethernet header and VLAN tags with the MACs swapped. */
    private void writeL2(
        final MutableDirectBuffer buffer, final int offset, final int l2Length, final MutableDirectBuffer out, final int outOffset)
    {
        out.putBytes(outOffset, buffer, offset, l2Length);
        final long destination = ethernet.destination();
        final long source = ethernet.source();
        ethernet.wrap(out, outOffset, l2Length).destination(source).source(destination);
    }

    /**
     * ICMP errors are never answered with an error (RFC 1122 3.2.2, RFC 4443 2.4): ICMPv6 types below
     * 128, and ICMP's destination unreachable, source quench, redirect, time exceeded and parameter problem.
     */
    private static boolean isIcmpError(
        final MutableDirectBuffer buffer, final int icmpProtocol, final int protocol, final int payloadOffset, final int payloadLength)
    {
        if (protocol != icmpProtocol || payloadLength < 1)
        {
            return false;
        }
        final int type = buffer.getByte(payloadOffset) & 0xFF;
        return icmpProtocol == PROTOCOL_ICMPV6 ? type < ICMPV6_FIRST_INFORMATIONAL :
            type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
    }

    private static boolean isGroup(final long mac)
    {
        return 0 != (mac & 0x0100_0000_0000L);
    }

    private static void putUnsignedShort(final MutableDirectBuffer buffer, final int index, final int value)
    {
        buffer.putShort(index, Short.reverseBytes((short)value));
    }
}
