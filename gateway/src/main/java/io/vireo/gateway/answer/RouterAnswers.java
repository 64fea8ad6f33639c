package io.vireo.gateway.answer;

import io.vireo.dataplane.headers.ArpFlyweight;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.EthernetFlyweight;
import io.vireo.dataplane.headers.Ipv4Flyweight;
import io.vireo.dataplane.headers.Ipv6Flyweight;
import io.vireo.dataplane.icmp.IcmpErrors;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * The answers a router gives itself on a forwarding thread, written in place: each takes the frame
 * that calls for an answer and overwrites it with the answer, or writes a request of the router's own
 * into a free slot. Frames are untagged Ethernet at {@code offset}; each method returns the length of
 * the frame it leaves there, or {@link #NONE} when no answer is due, and then leaves the frame as it
 * was. Answers shorter than the Ethernet minimum are padded with zeros to {@link #MIN_FRAME_LENGTH}.
 * <pre>
 *  ARP reply (42 B + padding):
 *    | eth dst = requester, src = router | 0x0806 | ARP op 2 | sha = router, spa = asked address |
 *    | tha = requester's sha, tpa = requester's spa |
 *  Echo reply (IPv4 options dropped):
 *    | eth dst = frame's source, src = router | IP dst <-> src, TTL 64 | type 0 or 129 | id, seq, data as sent |
 *  Neighbour advertisement (86 B):
 *    | eth dst = frame's source (33:33:00:00:00:01) | IPv6 target -> solicitation's source (ff02::1), hop limit 255 |
 *    | 136 | 0 | checksum | R S O (R clear for a host answered for; S clear to ff02::1) | target | option 2, length 1, router MAC |
 *  Neighbour solicitation (86 B; 78 B from ::, which carries no option):
 *    | eth dst 33:33:ff:XX:XX:XX | IPv6 source -> ff02::1:ffXX:XXXX, hop limit 255 |
 *    | 135 | 0 | checksum | reserved | target | option 1, length 1, router MAC |
 *  TCP SYN, a health probe (58 B + padding):
 *    | eth dst = next hop, src = router | IP router -> backend, TTL 64, DF | SYN, seq, window 64240, MSS 1460 |
 *  TCP reset (54 B + padding; IPv4 options and segment data dropped):
 *    | eth dst = frame's source, src = router | IP dst <-> src, TTL 64, DF | ports swapped |
 *    | RST, seq = segment's ACK; or RST+ACK, seq 0, ack = segment's SEQ + its length | window 0 |
 *  ICMP and ICMPv6 errors ({@link IcmpErrors}):
 *    | eth dst = frame's source, src = router | IP router -> offending source, TTL 64, CS6 |
 *    | type | code | checksum | MTU or 0 | quote: IPv4 up to 576 B in all, IPv6 up to 1280 B |
 * </pre>
 * The checks that decide whether an answer is due read only what the frame holds, so a runt, a lying
 * length field or a bad checksum gives {@link #NONE}, never an exception. What the router knows and
 * these methods cannot (that a target or destination is one of its addresses, that a destination is a
 * directed broadcast of one of its subnets, that an IPv4 header checksum was verified before an error
 * is asked for) is the caller's to check.
 * <p>
 * The slot's virtio-net header is the caller's too: an answer has complete checksums and is one
 * packet, so before sending it the caller clears the header's GSO type and its NEEDS_CSUM flag.
 * <p>
 * One instance per forwarding thread: it owns a scratch buffer for what an answer quotes. Nothing
 * allocates, locks or throws.
 */
public final class RouterAnswers
{
    /** Returned when no answer is due. */
    public static final int NONE = -1;
    /** The shortest Ethernet frame without its FCS; shorter answers are padded to it. */
    public static final int MIN_FRAME_LENGTH = 60;

    /** ICMP type: destination unreachable. */
    public static final int ICMP_DESTINATION_UNREACHABLE = IcmpErrors.ICMP_DESTINATION_UNREACHABLE;
    /** ICMP destination unreachable code: no route to the network. */
    public static final int ICMP_NET_UNREACHABLE = 0;
    /** ICMP destination unreachable code: the host does not answer ARP. */
    public static final int ICMP_HOST_UNREACHABLE = 1;
    /** ICMP destination unreachable code: nothing listens on the port (a service with no healthy backend). */
    public static final int ICMP_PORT_UNREACHABLE = 3;
    /** ICMP destination unreachable code: fragmentation needed and DF set; carries the next-hop MTU. */
    public static final int ICMP_FRAGMENTATION_NEEDED = IcmpErrors.ICMP_FRAGMENTATION_NEEDED;
    /** ICMP type: time exceeded. */
    public static final int ICMP_TIME_EXCEEDED = 11;
    /** ICMP time exceeded code: TTL exceeded in transit. */
    public static final int ICMP_TTL_EXCEEDED = 0;
    /** ICMPv6 type: destination unreachable. */
    public static final int ICMPV6_DESTINATION_UNREACHABLE = 1;
    /** ICMPv6 destination unreachable code: no route to destination. */
    public static final int ICMPV6_NO_ROUTE = 0;
    /** ICMPv6 destination unreachable code: address unreachable (neighbour discovery failed). */
    public static final int ICMPV6_ADDRESS_UNREACHABLE = 3;
    /** ICMPv6 type: packet too big; carries the MTU. Its code is 0. */
    public static final int ICMPV6_PACKET_TOO_BIG = IcmpErrors.ICMPV6_PACKET_TOO_BIG;
    /** ICMPv6 type: time exceeded. */
    public static final int ICMPV6_TIME_EXCEEDED = 3;
    /** ICMPv6 time exceeded code: hop limit exceeded in transit. */
    public static final int ICMPV6_HOP_LIMIT_EXCEEDED = 0;

    private static final int ETHERNET_LENGTH = EthernetFlyweight.HEADER_LENGTH;
    private static final int IPV4_OFFSET = ETHERNET_LENGTH;
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
    private static final int IPV6_OFFSET = ETHERNET_LENGTH;
    private static final int ICMPV6_OFFSET = IPV6_OFFSET + Ipv6Flyweight.HEADER_LENGTH;
    private static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;
    private static final long GROUP_MAC_BIT = 0x0100_0000_0000L;
    private static final long ALL_NODES_MAC = 0x3333_0000_0001L;
    private static final long SOLICITED_NODE_MAC = 0x3333_FF00_0000L;
    private static final long MULTICAST_LINK_LOCAL_HIGH = 0xFF02_0000_0000_0000L;
    private static final long ALL_NODES_LOW = 1L;
    private static final long SOLICITED_NODE_LOW = 0x0000_0001_FF00_0000L;
    private static final long SOLICITED_NODE_LOW_MASK = 0xFFFF_FFFF_FF00_0000L;
    private static final int LOW_24_BITS = 0xFF_FFFF;

    private static final int ICMP_ECHO_REPLY = 0;
    private static final int ICMP_ECHO_REQUEST = 8;
    private static final int ICMPV6_ECHO_REQUEST = 128;
    private static final int ICMPV6_ECHO_REPLY = 129;
    private static final int ICMPV6_NEIGHBOUR_SOLICITATION = 135;
    private static final int ICMPV6_NEIGHBOUR_ADVERTISEMENT = 136;
    private static final int ICMP_HEADER_LENGTH = IcmpErrors.ICMP_HEADER_LENGTH;
    private static final int TTL = 64;
    private static final int ND_HOP_LIMIT = 255;
    /** Type, code, checksum, flags or reserved, target address. */
    private static final int ND_LENGTH = ICMP_HEADER_LENGTH + Ipv6Flyweight.ADDRESS_LENGTH;
    private static final int ND_TARGET_OFFSET = ICMP_HEADER_LENGTH;
    private static final int OPTION_SOURCE_LINK_LAYER_ADDRESS = 1;
    private static final int OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
    /** Options are counted in units of 8 bytes; a link-layer address option for Ethernet is one. */
    private static final int OPTION_UNIT = 8;
    private static final int FLAG_ROUTER = 0x8000_0000;
    private static final int FLAG_SOLICITED = 0x4000_0000;
    private static final int FLAG_OVERRIDE = 0x2000_0000;
    /** Holds an IPv4 packet's ICMP message while the header before it shrinks, or an error's quote. */
    private static final int SCRATCH_LENGTH = 65_536;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final IcmpErrors errors = new IcmpErrors();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[SCRATCH_LENGTH]);

    /**
     * An ARP request (Ethernet/IPv4, op 1) to the ARP reply from {@code routerMac} for the address it
     * asks about, in place: eth dst = the requester's sender hardware address, src = routerMac; sha =
     * routerMac, spa = the requested address, tha/tpa = the requester's sha/spa. The caller checked
     * that the target is one of its addresses (or, answering for a host, that the target is
     * {@code routerMac}'s: ARP/ND suppression).
     *
     * @param buffer    holds the frame at {@code offset}.
     * @param offset    index of the frame's first byte.
     * @param length    bytes of the frame.
     * @param routerMac the router's MAC on the bridge, or the MAC of the host that has the target.
     * @return the reply's length, or {@link #NONE} if the frame is not a valid ARP request.
     */
    public int arpReply(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        if (length < ETHERNET_LENGTH + ArpFlyweight.LENGTH ||
            ethernet.wrap(buffer, offset, length).etherType() != EthernetFlyweight.ETHER_TYPE_ARP)
        {
            return NONE;
        }
        arp.wrap(buffer, offset + ETHERNET_LENGTH, length - ETHERNET_LENGTH);
        if (!arp.isValid() || arp.operation() != ArpFlyweight.OPERATION_REQUEST || isGroup(arp.senderHardwareAddress()))
        {
            return NONE;
        }
        final long requesterMac = arp.senderHardwareAddress();
        final int requesterIp = arp.senderProtocolAddress();
        final int requestedIp = arp.targetProtocolAddress();
        ethernet.destination(requesterMac).source(routerMac);
        arp.operation(ArpFlyweight.OPERATION_REPLY)
            .senderHardwareAddress(routerMac)
            .senderProtocolAddress(requestedIp)
            .targetHardwareAddress(requesterMac)
            .targetProtocolAddress(requesterIp);
        return padded(buffer, offset, ETHERNET_LENGTH + ArpFlyweight.LENGTH);
    }

    /**
     * Writes a broadcast ARP request "who has targetIp, tell senderIp" from {@code routerMac}, padded
     * to the Ethernet minimum.
     *
     * @param buffer    receives the frame at {@code offset}, {@link #MIN_FRAME_LENGTH} bytes.
     * @param offset    index of the frame's first byte.
     * @param routerMac the router's MAC on the bridge.
     * @param senderIp  the router's address on the bridge.
     * @param targetIp  the address to resolve.
     * @return the request's length, {@link #MIN_FRAME_LENGTH}.
     */
    public int arpRequest(final MutableDirectBuffer buffer, final int offset, final long routerMac, final int senderIp, final int targetIp)
    {
        ethernet.wrap(buffer, offset, MIN_FRAME_LENGTH)
            .destination(BROADCAST_MAC)
            .source(routerMac)
            .etherType(EthernetFlyweight.ETHER_TYPE_ARP);
        arp.wrap(buffer, offset + ETHERNET_LENGTH, ArpFlyweight.LENGTH)
            .ethernetIpv4()
            .operation(ArpFlyweight.OPERATION_REQUEST)
            .senderHardwareAddress(routerMac)
            .senderProtocolAddress(senderIp)
            .targetHardwareAddress(0)
            .targetProtocolAddress(targetIp);
        return padded(buffer, offset, ETHERNET_LENGTH + ArpFlyweight.LENGTH);
    }

    /**
     * An ICMP echo request (IPv4 type 8, or ICMPv6 type 128) to the router to the echo reply, in
     * place: IP addresses swapped, eth dst = the frame's source MAC, eth src = routerMac, TTL or hop
     * limit 64, checksums right. An IPv4 reply drops the request's IP options and keeps its DSCP and
     * identification; an IPv6 reply keeps the traffic class. Padding after the packet is not echoed.
     *
     * @param buffer    holds the frame at {@code offset}.
     * @param offset    index of the frame's first byte.
     * @param length    bytes of the frame.
     * @param routerMac the router's MAC on the bridge.
     * @return the reply's length, or {@link #NONE} if the frame is not a valid echo request: bad
     * lengths or checksums, a fragment, an IPv6 extension header, a group source or destination.
     */
    public int echoReply(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        final int etherType = unicastEtherType(buffer, offset, length);
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

    /**
     * An ICMPv6 neighbour solicitation (RFC 4861 4.3, valid by 7.1.1: hop limit 255, valid checksum,
     * code 0, at least 24 bytes, a unicast target, no option of length 0, and from :: only to a
     * solicited-node address without a source link-layer address option) to the solicited neighbour
     * advertisement for its target, in place: from the target address, flags Router, Solicited and
     * Override, target link-layer address option = routerMac; to the solicitation's source and the
     * frame's source MAC, or to all-nodes ff02::1 with Solicited clear if the source is ::. The caller
     * checked that the target is one of its addresses.
     *
     * @param buffer    holds the frame at {@code offset}.
     * @param offset    index of the frame's first byte.
     * @param length    bytes of the frame.
     * @param routerMac the router's MAC on the bridge.
     * @return the advertisement's length, or {@link #NONE} if the frame is not a valid solicitation.
     */
    public int neighbourAdvertisement(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        return neighbourAdvertisement(buffer, offset, length, routerMac, true);
    }

    /**
     * {@link #neighbourAdvertisement(MutableDirectBuffer, int, int, long)} from whoever has the target: a
     * router ({@code isRouter}: the Router flag set), or a host the switch answers for by its MAC (ARP/ND
     * suppression: Router clear, Solicited and Override set, as the host would answer itself). The caller
     * checked that the target is {@code mac}'s.
     *
     * @param mac      the MAC that has the target address: the advertisement's source and its target
     *                 link-layer address option.
     * @param isRouter whether the target is a router's address.
     * @return the advertisement's length, or {@link #NONE} if the frame is not a valid solicitation.
     */
    public int neighbourAdvertisement(
        final MutableDirectBuffer buffer, final int offset, final int length, final long mac, final boolean isRouter)
    {
        if (unicastEtherType(buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV6 ||
            icmpv6Message(buffer, offset, length, ND_HOP_LIMIT, ND_LENGTH) != ICMPV6_NEIGHBOUR_SOLICITATION)
        {
            return NONE;
        }
        final int icmpOffset = offset + ICMPV6_OFFSET;
        final long targetHigh = buffer.getLong(icmpOffset + ND_TARGET_OFFSET, BIG_ENDIAN);
        final long targetLow = buffer.getLong(icmpOffset + ND_TARGET_OFFSET + 8, BIG_ENDIAN);
        final long sourceHigh = ipv6.sourceAddressHigh();
        final long sourceLow = ipv6.sourceAddressLow();
        final boolean unspecified = 0 == sourceHigh && 0 == sourceLow;
        if (0 != buffer.getByte(icmpOffset + 1) || IcmpErrors.isMulticastIpv6(targetHigh) || IcmpErrors.isMulticastIpv6(sourceHigh) ||
            !optionsValid(buffer, icmpOffset + ND_LENGTH, icmpOffset + ipv6.payloadLength(), unspecified) ||
            (unspecified && !isSolicitedNode(ipv6.destinationAddressHigh(), ipv6.destinationAddressLow())))
        {
            return NONE;
        }
        ethernet.destination(unspecified ? ALL_NODES_MAC : ethernet.source()).source(mac);
        final int flags = (isRouter ? FLAG_ROUTER : 0) | (unspecified ? FLAG_OVERRIDE : FLAG_SOLICITED | FLAG_OVERRIDE);
        return ETHERNET_LENGTH + neighbourDiscovery(
            buffer, offset, ICMPV6_NEIGHBOUR_ADVERTISEMENT, flags,
            targetHigh, targetLow,
            unspecified ? MULTICAST_LINK_LOCAL_HIGH : sourceHigh, unspecified ? ALL_NODES_LOW : sourceLow,
            targetHigh, targetLow, OPTION_TARGET_LINK_LAYER_ADDRESS, mac);
    }

    /**
     * Writes a multicast neighbour solicitation for {@code target}: to its solicited-node address
     * ff02::1:ffXX:XXXX and eth dst 33:33:ff:XX:XX:XX, from {@code source} with the source link-layer
     * address option routerMac (none from ::, as RFC 4861 7.2.2 asks), hop limit 255.
     *
     * @param buffer     receives the frame at {@code offset}, 86 bytes.
     * @param offset     index of the frame's first byte.
     * @param routerMac  the router's MAC on the bridge.
     * @param sourceHigh first 8 bytes of the router's address on the bridge.
     * @param sourceLow  last 8 bytes of it.
     * @param targetHigh first 8 bytes of the address to resolve.
     * @param targetLow  last 8 bytes of it.
     * @return the solicitation's length.
     */
    public int neighbourSolicitation(
        final MutableDirectBuffer buffer, final int offset, final long routerMac,
        final long sourceHigh, final long sourceLow, final long targetHigh, final long targetLow)
    {
        final long solicitedNode = targetLow & LOW_24_BITS;
        ethernet.wrap(buffer, offset, ETHERNET_LENGTH)
            .destination(SOLICITED_NODE_MAC | solicitedNode)
            .source(routerMac)
            .etherType(EthernetFlyweight.ETHER_TYPE_IPV6);
        final int option = 0 == sourceHigh && 0 == sourceLow ? 0 : OPTION_SOURCE_LINK_LAYER_ADDRESS;
        return ETHERNET_LENGTH + neighbourDiscovery(
            buffer, offset, ICMPV6_NEIGHBOUR_SOLICITATION, 0, sourceHigh, sourceLow,
            MULTICAST_LINK_LOCAL_HIGH, SOLICITED_NODE_LOW | solicitedNode, targetHigh, targetLow, option, routerMac);
    }

    /**
     * An ICMPv4 error about the IPv4 frame, in place: eth dst = the frame's source MAC, eth src =
     * routerMac, IP src = routerIp, dst = the offending packet's source, TTL 64, DSCP CS6; the ICMP
     * type and code (and for fragmentation needed the next-hop MTU); quotes the offending IP header
     * and as much of its payload as keeps the whole IP packet within 576 bytes (RFC 1812 4.3.2.3).
     *
     * @param buffer     holds the frame at {@code offset}.
     * @param offset     index of the frame's first byte.
     * @param length     bytes of the frame.
     * @param capacity   bytes the slot has from {@code offset}; the answer may be longer than the frame.
     * @param routerMac  the router's MAC on the bridge.
     * @param routerIp   the router's address on the bridge.
     * @param type       ICMP type, e.g. {@link #ICMP_TIME_EXCEEDED}.
     * @param code       ICMP code, e.g. {@link #ICMP_TTL_EXCEEDED}.
     * @param nextHopMtu for {@link #ICMP_DESTINATION_UNREACHABLE} / {@link #ICMP_FRAGMENTATION_NEEDED}:
     *                   the MTU of the next hop; ignored otherwise.
     * @return the error's length, or {@link #NONE} where RFC 1812 4.3.2.7 forbids an error: about an
     * ICMP error message, a non-first fragment, a packet to a broadcast or multicast IP or link-layer
     * address, a source that is not a unicast address (0/8, multicast, broadcast, 127/8), or a
     * malformed packet (bad version, IHL or total length).
     */
    public int ipv4Error(
        final MutableDirectBuffer buffer, final int offset, final int length, final int capacity,
        final long routerMac, final int routerIp, final int type, final int code, final int nextHopMtu)
    {
        if (unicastEtherType(buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV4 || isGroup(ethernet.destination()))
        {
            return NONE;
        }
        final int ipOffset = offset + IPV4_OFFSET;
        ipv4.wrap(buffer, ipOffset, length - IPV4_OFFSET);
        if (!ipv4.isValid() || !IcmpErrors.mayAnswer(ipv4))
        {
            return NONE;
        }
        final int quoted = Math.min(
            ipv4.totalLength(),
            Math.min(IcmpErrors.IPV4_MAX_ERROR_LENGTH, capacity - IPV4_OFFSET) - IcmpErrors.IPV4_HEADERS_LENGTH);
        if (quoted < ipv4.headerLength())
        {
            return NONE;
        }
        final int offendingSource = ipv4.sourceAddress();
        scratch.putBytes(0, buffer, ipOffset, quoted);
        ethernet.destination(ethernet.source()).source(routerMac);
        final int restOfHeader = type == ICMP_DESTINATION_UNREACHABLE && code == ICMP_FRAGMENTATION_NEEDED ? nextHopMtu & 0xFFFF : 0;
        return IPV4_OFFSET + errors.writeIpv4(buffer, ipOffset, routerIp, offendingSource, type, code, restOfHeader, scratch, 0, quoted);
    }

    /**
     * Writes a health probe, a TCP SYN with an MSS option of 1460, into the slot at {@code offset}.
     *
     * @return the frame's length.
     */
    public int tcpSyn(
        final MutableDirectBuffer buffer, final int offset, final long routerMac, final long destinationMac, final int source,
        final int destination, final int sourcePort, final int destinationPort, final int sequence)
    {
        final int tcpLength = TCP_HEADER_LENGTH + 4;
        ethernet.wrap(buffer, offset, IPV4_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + tcpLength)
            .destination(destinationMac).source(routerMac).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(buffer, offset + IPV4_OFFSET, Ipv4Flyweight.MIN_HEADER_LENGTH + tcpLength)
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
        final int tcp = offset + IPV4_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH;
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
        return padded(buffer, offset, IPV4_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + tcpLength);
    }

    /**
     * A TCP reset answering the IPv4 TCP segment in the frame, in place, as its destination would send it
     * for a connection it refuses (RFC 9293 3.10.7.1): from the segment's destination address and port to
     * its source; a segment with ACK gets RST with sequence number = its acknowledgment number, any other
     * RST+ACK with acknowledgment number = its sequence number + its length (SYN and FIN count one each).
     * The caller checked the IPv4 header checksum.
     *
     * @param buffer    holds the frame at {@code offset}.
     * @param offset    index of the frame's first byte.
     * @param length    bytes of the frame.
     * @param routerMac the router's MAC on the bridge.
     * @return the reset's length, or {@link #NONE} if the frame is not a whole, unfragmented TCP segment
     * between unicast addresses, or is a reset itself (never answered, RFC 9293).
     */
    public int tcpReset(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        if (unicastEtherType(buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV4 || isGroup(ethernet.destination()))
        {
            return NONE;
        }
        final int ipOffset = offset + IPV4_OFFSET;
        ipv4.wrap(buffer, ipOffset, length - IPV4_OFFSET);
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
        return padded(buffer, offset, IPV4_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + TCP_HEADER_LENGTH);
    }

    /**
     * An ICMPv6 error (RFC 4443) about the IPv6 frame, in place: eth dst = the frame's source MAC, eth
     * src = routerMac, from routerHigh/Low to the offending packet's source, hop limit 64, DSCP CS6,
     * quoting as much of the offending packet as fits in 1280 bytes; for {@link #ICMPV6_PACKET_TOO_BIG}
     * the MTU field = {@code mtu}.
     *
     * @param buffer     holds the frame at {@code offset}.
     * @param offset     index of the frame's first byte.
     * @param length     bytes of the frame.
     * @param capacity   bytes the slot has from {@code offset}; the answer may be longer than the frame.
     * @param routerMac  the router's MAC on the bridge.
     * @param routerHigh first 8 bytes of the router's address on the bridge.
     * @param routerLow  last 8 bytes of it.
     * @param type       ICMPv6 type, e.g. {@link #ICMPV6_TIME_EXCEEDED}.
     * @param code       ICMPv6 code, e.g. {@link #ICMPV6_HOP_LIMIT_EXCEEDED}.
     * @param mtu        for {@link #ICMPV6_PACKET_TOO_BIG}, the MTU of the next hop; ignored otherwise.
     * @return the error's length, or {@link #NONE} per RFC 4443 2.4 (e): about an ICMPv6 error message
     * or a redirect, a packet to a multicast address or sent as link-layer multicast or broadcast
     * (except for packet too big, and parameter problem code 2), a source that is unspecified or
     * multicast; or a malformed packet.
     */
    public int ipv6Error(
        final MutableDirectBuffer buffer, final int offset, final int length, final int capacity,
        final long routerMac, final long routerHigh, final long routerLow, final int type, final int code, final int mtu)
    {
        if (unicastEtherType(buffer, offset, length) != EthernetFlyweight.ETHER_TYPE_IPV6)
        {
            return NONE;
        }
        final int ipOffset = offset + IPV6_OFFSET;
        ipv6.wrap(buffer, ipOffset, length - IPV6_OFFSET);
        if (!ipv6.isValid() || !IcmpErrors.mayAnswer(ipv6, type, code, isGroup(ethernet.destination())))
        {
            return NONE;
        }
        final int quoted = Math.min(
            Ipv6Flyweight.HEADER_LENGTH + ipv6.payloadLength(),
            Math.min(IcmpErrors.IPV6_MIN_MTU, capacity - IPV6_OFFSET) - IcmpErrors.IPV6_HEADERS_LENGTH);
        if (quoted < Ipv6Flyweight.HEADER_LENGTH)
        {
            return NONE;
        }
        final long offendingHigh = ipv6.sourceAddressHigh();
        final long offendingLow = ipv6.sourceAddressLow();
        scratch.putBytes(0, buffer, ipOffset, quoted);
        ethernet.destination(ethernet.source()).source(routerMac);
        return IPV6_OFFSET + errors.writeIpv6(
            buffer, ipOffset, routerHigh, routerLow, offendingHigh, offendingLow,
            type, code, type == ICMPV6_PACKET_TOO_BIG ? mtu : 0, scratch, 0, quoted);
    }

    private int echoReplyIpv4(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        final int ipOffset = offset + IPV4_OFFSET;
        ipv4.wrap(buffer, ipOffset, length - IPV4_OFFSET);
        if (!ipv4.isValid() || ipv4.isFragment() || ipv4.protocol() != IcmpErrors.PROTOCOL_ICMP ||
            ipv4.payloadLength() < ICMP_HEADER_LENGTH || 0 != Checksums.checksum(buffer, ipOffset, ipv4.headerLength()))
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
        return padded(buffer, offset, IPV4_OFFSET + Ipv4Flyweight.MIN_HEADER_LENGTH + icmpLength);
    }

    private int echoReplyIpv6(final MutableDirectBuffer buffer, final int offset, final int length, final long routerMac)
    {
        if (icmpv6Message(buffer, offset, length, -1, ICMP_HEADER_LENGTH) != ICMPV6_ECHO_REQUEST ||
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

    /**
     * Wraps {@link #ipv6} over the frame's IPv6 packet and checks that it carries, right after the
     * fixed header, an ICMPv6 message of at least {@code minLength} bytes with a valid checksum.
     *
     * @param hopLimit the hop limit the packet must have, or -1 for any.
     * @return the message's type, or -1 if the packet is not such.
     */
    private int icmpv6Message(final MutableDirectBuffer buffer, final int offset, final int length, final int hopLimit, final int minLength)
    {
        ipv6.wrap(buffer, offset + IPV6_OFFSET, length - IPV6_OFFSET);
        if (!ipv6.isValid() || ipv6.nextHeader() != IcmpErrors.PROTOCOL_ICMPV6 || ipv6.payloadLength() < minLength ||
            (hopLimit >= 0 && ipv6.hopLimit() != hopLimit))
        {
            return -1;
        }
        final int icmpLength = ipv6.payloadLength();
        final long sum = ipv6.pseudoHeaderSum(IcmpErrors.PROTOCOL_ICMPV6, icmpLength) + Checksums.sum(buffer, ipv6.payloadOffset(), icmpLength);
        return 0 == Checksums.finish(sum) ? buffer.getByte(ipv6.payloadOffset()) & 0xFF : -1;
    }

    /**
     * Writes the IPv6 header and a neighbour solicitation or advertisement after the frame's Ethernet
     * header, with one link-layer address option unless {@code optionType} is 0.
     *
     * @return bytes written: the IPv6 packet's length.
     */
    private int neighbourDiscovery(
        final MutableDirectBuffer buffer, final int offset, final int type, final int flags,
        final long sourceHigh, final long sourceLow, final long destinationHigh, final long destinationLow,
        final long targetHigh, final long targetLow, final int optionType, final long mac)
    {
        final int icmpLength = 0 == optionType ? ND_LENGTH : ND_LENGTH + OPTION_UNIT;
        final int icmpOffset = offset + ICMPV6_OFFSET;
        ipv6.wrap(buffer, offset + IPV6_OFFSET, Ipv6Flyweight.HEADER_LENGTH + icmpLength)
            .version(Ipv6Flyweight.VERSION).trafficClass(0).flowLabel(0)
            .payloadLength(icmpLength)
            .nextHeader(IcmpErrors.PROTOCOL_ICMPV6)
            .hopLimit(ND_HOP_LIMIT)
            .sourceAddress(sourceHigh, sourceLow)
            .destinationAddress(destinationHigh, destinationLow);
        buffer.putByte(icmpOffset, (byte)type);
        buffer.putByte(icmpOffset + 1, (byte)0);
        buffer.putShort(icmpOffset + 2, (short)0);
        buffer.putInt(icmpOffset + 4, flags, BIG_ENDIAN);
        buffer.putLong(icmpOffset + ND_TARGET_OFFSET, targetHigh, BIG_ENDIAN);
        buffer.putLong(icmpOffset + ND_TARGET_OFFSET + 8, targetLow, BIG_ENDIAN);
        if (0 != optionType)
        {
            buffer.putByte(icmpOffset + ND_LENGTH, (byte)optionType);
            buffer.putByte(icmpOffset + ND_LENGTH + 1, (byte)1);
            buffer.putShort(icmpOffset + ND_LENGTH + 2, (short)(mac >>> 32), BIG_ENDIAN);
            buffer.putInt(icmpOffset + ND_LENGTH + 4, (int)mac, BIG_ENDIAN);
        }
        final long sum = ipv6.pseudoHeaderSum(IcmpErrors.PROTOCOL_ICMPV6, icmpLength) + Checksums.sum(buffer, icmpOffset, icmpLength);
        buffer.putShort(icmpOffset + 2, (short)Checksums.finish(sum), BIG_ENDIAN);
        return Ipv6Flyweight.HEADER_LENGTH + icmpLength;
    }

    /**
     * Neighbour discovery options from {@code index} to {@code end} (RFC 4861 7.1.1): none of length 0
     * or running past the end, and no source link-layer address option from the unspecified address.
     */
    private static boolean optionsValid(final MutableDirectBuffer buffer, final int index, final int end, final boolean unspecified)
    {
        int position = index;
        while (position < end)
        {
            if (position + 2 > end)
            {
                return false;
            }
            final int optionLength = (buffer.getByte(position + 1) & 0xFF) * OPTION_UNIT;
            if (0 == optionLength || position + optionLength > end ||
                (unspecified && (buffer.getByte(position) & 0xFF) == OPTION_SOURCE_LINK_LAYER_ADDRESS))
            {
                return false;
            }
            position += optionLength;
        }
        return true;
    }

    /**
     * Wraps {@link #ethernet} over the frame.
     *
     * @return its EtherType if it holds an Ethernet header and comes from a unicast MAC, else 0.
     */
    private int unicastEtherType(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (length < ETHERNET_LENGTH || isGroup(ethernet.wrap(buffer, offset, length).source()))
        {
            return 0;
        }
        return ethernet.etherType();
    }

    private static boolean isSolicitedNode(final long high, final long low)
    {
        return high == MULTICAST_LINK_LOCAL_HIGH && (low & SOLICITED_NODE_LOW_MASK) == SOLICITED_NODE_LOW;
    }

    private static boolean isGroup(final long mac)
    {
        return 0 != (mac & GROUP_MAC_BIT);
    }

    /** Zeros what is missing to the Ethernet minimum. */
    private static int padded(final MutableDirectBuffer buffer, final int offset, final int frameLength)
    {
        if (frameLength >= MIN_FRAME_LENGTH)
        {
            return frameLength;
        }
        buffer.setMemory(offset + frameLength, MIN_FRAME_LENGTH - frameLength, (byte)0);
        return MIN_FRAME_LENGTH;
    }
}
