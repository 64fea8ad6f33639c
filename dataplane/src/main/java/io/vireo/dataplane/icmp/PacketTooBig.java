package io.vireo.dataplane.icmp;

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
 * No answer goes to an IPv4 packet without DF, a frame sent to a group MAC, or where {@link IcmpErrors}
 * forbids an error (a non-first fragment, an ICMP error, a source that names no single host, an IPv4
 * group destination). The IP and ICMP headers are {@link IcmpErrors}'s; the link header and the
 * choice of addresses are this class's. One per forwarding thread; allocates nothing.
 */
public final class PacketTooBig
{
    /** The largest frame {@link #reply} builds: two VLAN tags, and IPv6's minimum MTU. */
    public static final int MAX_REPLY_LENGTH = EthernetFlyweight.HEADER_LENGTH + 2 * EthernetFlyweight.VLAN_TAG_LENGTH + IcmpErrors.IPV6_MIN_MTU;

    /** What an IPv4 answer quotes after the offending header, as RFC 792 asks (RFC 1812 allows more). */
    private static final int QUOTED_IPV4_PAYLOAD = 8;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final IcmpErrors errors = new IcmpErrors();
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
        if (!ipv4.isValid() || !ipv4.dontFragment() || !IcmpErrors.mayAnswer(ipv4))
        {
            return 0;
        }
        final int quoted = Math.min(ipv4.headerLength() + QUOTED_IPV4_PAYLOAD, ipv4.totalLength());
        writeL2(buffer, offset, l2Length, out, outOffset);
        return l2Length + errors.writeIpv4(
            out, outOffset + l2Length, ipv4.destinationAddress(), ipv4.sourceAddress(),
            IcmpErrors.ICMP_DESTINATION_UNREACHABLE, IcmpErrors.ICMP_FRAGMENTATION_NEEDED, mtu & 0xFFFF,
            buffer, ipv4.offset(), quoted);
    }

    private int replyIpv6(
        final MutableDirectBuffer buffer, final int offset, final int length, final int l2Length, final int mtu,
        final MutableDirectBuffer out, final int outOffset)
    {
        ipv6.wrap(buffer, offset + l2Length, length - l2Length);
        if (!ipv6.isValid() || !IcmpErrors.mayAnswer(ipv6, IcmpErrors.ICMPV6_PACKET_TOO_BIG, 0, false))
        {
            return 0;
        }
        final int quoted = Math.min(
            Ipv6Flyweight.HEADER_LENGTH + ipv6.payloadLength(), IcmpErrors.IPV6_MIN_MTU - IcmpErrors.IPV6_HEADERS_LENGTH);
        writeL2(buffer, offset, l2Length, out, outOffset);
        return l2Length + errors.writeIpv6(
            out, outOffset + l2Length,
            ipv6.destinationAddressHigh(), ipv6.destinationAddressLow(), ipv6.sourceAddressHigh(), ipv6.sourceAddressLow(),
            IcmpErrors.ICMPV6_PACKET_TOO_BIG, 0, Math.max(mtu, IcmpErrors.IPV6_MIN_MTU),
            buffer, ipv6.offset(), quoted);
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

    private static boolean isGroup(final long mac)
    {
        return 0 != (mac & 0x0100_0000_0000L);
    }
}
