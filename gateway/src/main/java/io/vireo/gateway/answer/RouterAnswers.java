package io.vireo.gateway.answer;

import io.vireo.dataplane.icmp.IcmpErrors;
import org.agrona.MutableDirectBuffer;

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
 * allocates, locks or throws. Each kind of answer is written by a class of its own in this package
 * ({@link NeighbourAnswers}, {@link IcmpAnswers}, {@link TcpAnswers}); this one is their public door.
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

    private final NeighbourAnswers neighbours = new NeighbourAnswers();
    private final IcmpAnswers icmp = new IcmpAnswers();
    private final TcpAnswers tcp = new TcpAnswers();

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
        return neighbours.arpReply(buffer, offset, length, routerMac);
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
        return neighbours.arpRequest(buffer, offset, routerMac, senderIp, targetIp);
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
        return icmp.echoReply(buffer, offset, length, routerMac);
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
        return neighbours.neighbourAdvertisement(buffer, offset, length, routerMac, true);
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
        return neighbours.neighbourAdvertisement(buffer, offset, length, mac, isRouter);
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
        return neighbours.neighbourSolicitation(buffer, offset, routerMac, sourceHigh, sourceLow, targetHigh, targetLow);
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
        return icmp.ipv4Error(buffer, offset, length, capacity, routerMac, routerIp, type, code, nextHopMtu);
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
        return tcp.tcpSyn(buffer, offset, routerMac, destinationMac, source, destination, sourcePort, destinationPort, sequence);
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
        return tcp.tcpReset(buffer, offset, length, routerMac);
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
        return icmp.ipv6Error(buffer, offset, length, capacity, routerMac, routerHigh, routerLow, type, code, mtu);
    }
}
