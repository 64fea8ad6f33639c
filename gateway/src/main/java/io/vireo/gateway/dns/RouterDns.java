package io.vireo.gateway.dns;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.gateway.ThreadCounts;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * A router's DNS server on a forwarding thread: a DNS query to port 53 of one of its IPv4 addresses, over
 * UDP or TCP, becomes its response in place, the frame turned back to its sender. The message itself is
 * {@link DnsResponder}'s; this class carries it.
 * <pre>
 *  UDP:  | eth | IPv4, 20 B (options: dropped) | UDP 8 B | DNS message |
 *        answer: MACs, addresses and ports swapped, TTL 64, lengths and both checksums written again
 *  TCP:  | eth | IPv4, 20 B | TCP | 2-byte length | DNS message |
 * </pre>
 * TCP is answered without keeping state, the way SYN cookies let a server: a SYN gets a SYN/ACK whose
 * sequence number is a keyed hash of the connection's addresses and ports; a segment whose
 * acknowledgment lies within 1 MB past that number carries queries: one whole query (its length prefix
 * and message in one segment, as resolvers send them) is answered by a segment from that
 * acknowledgment number on, acknowledging the query; a FIN is answered by FIN+ACK; pure ACKs and resets
 * are taken silently. An answer is cut to 1,400 bytes (TC set beyond), so it is always one segment, and
 * a lost answer is asked for again by the client's retransmission of its query. Names outside the
 * domain are refused over TCP: only UDP queries are forwarded ({@link #forward}, {@link DnsForwarding}),
 * and the upstream's answer comes back in a frame {@link #answerFrame} writes.
 * <p>
 * One instance per forwarding thread; no allocation.
 */
public final class RouterDns
{
    /** The DNS port. */
    public static final int PORT = 53;
    /** Not for this class: no answer, nothing taken. */
    public static final int NONE = -1;
    /** A UDP query to forward to the upstream resolver, as it is. */
    public static final int FORWARD = -2;
    /** Taken without an answer (a TCP ACK, FIN's last ACK or reset). */
    public static final int CONSUMED = -3;

    private static final int ETHERNET = 14;
    private static final int IP = ETHERNET;
    private static final int IP_LENGTH = 20;
    private static final int L4 = IP + IP_LENGTH;
    private static final int UDP_LENGTH = 8;
    private static final int TCP_LENGTH = 20;
    private static final int PROTOCOL_TCP = 6;
    private static final int PROTOCOL_UDP = 17;
    private static final int TTL = 64;
    private static final int FLAG_FIN = 0x01;
    private static final int FLAG_SYN = 0x02;
    private static final int FLAG_RST = 0x04;
    private static final int FLAG_PSH = 0x08;
    private static final int FLAG_ACK = 0x10;
    private static final int MSS_OPTION = 0x0204_05B4;
    private static final int WINDOW = 65_535;
    /** The longest answer over TCP: one segment of a 1,500-byte MTU with room for options. */
    private static final int TCP_MAX_MESSAGE = 1_400;
    /** How far past the SYN cookie a query's acknowledgment may lie: answers sent before it. */
    private static final long TCP_WINDOW_OF_ANSWERS = 1 << 20;
    private static final int MIN_FRAME_LENGTH = 60;

    private final DnsResponder responder = new DnsResponder();
    private final ThreadCounts.Writer counters;
    private final long secret;

    /**
     * @param stats  where this thread counts outcomes.
     * @param secret the key of the SYN cookies, shared by the forwarding threads (any thread may see any
     *               segment of a connection).
     */
    public RouterDns(final DnsStats stats, final long secret)
    {
        this.counters = stats.newThreadCounters();
        this.secret = secret;
    }

    /**
     * Whether a valid IPv4 packet at {@code ip} (to one of the router's addresses) is for its DNS
     * server: UDP or TCP to port 53, unfragmented, holding its transport header.
     */
    public static boolean isDns(final MutableDirectBuffer buffer, final int ip)
    {
        final int protocol = buffer.getByte(ip + 9) & 0xFF;
        final int headerLength = (buffer.getByte(ip) & 0x0F) * 4;
        final int payload = (buffer.getShort(ip + 2, BIG_ENDIAN) & 0xFFFF) - headerLength;
        return (PROTOCOL_UDP == protocol && payload >= UDP_LENGTH || PROTOCOL_TCP == protocol && payload >= TCP_LENGTH) &&
            0 == (buffer.getShort(ip + 6, BIG_ENDIAN) & 0x3FFF) &&
            PORT == (buffer.getShort(ip + headerLength + 2, BIG_ENDIAN) & 0xFFFF);
    }

    /**
     * Answers the DNS packet in the frame ({@link #isDns} said so; IPv4 header checksum checked).
     *
     * @param offset          the frame's first byte.
     * @param length          the frame's length.
     * @param capacity        bytes the slot has from {@code offset}.
     * @param routerMac       the router's MAC on the bridge the frame came in on.
     * @param partialChecksum the transport checksum is a partial sum (virtio NEEDS_CSUM): not checked.
     * @param records         the names the router answers for.
     * @param hasUpstream     names outside the domain go to a resolver.
     * @return the answer's frame length, {@link #FORWARD}, {@link #CONSUMED} or {@link #NONE} (drop).
     */
    public int answer(
        final MutableDirectBuffer buffer, final int offset, final int length, final int capacity, final long routerMac,
        final boolean partialChecksum, final DnsRecords records, final boolean hasUpstream)
    {
        final int ip = offset + IP;
        final int headerLength = (buffer.getByte(ip) & 0x0F) * 4;
        final int totalLength = buffer.getShort(ip + 2, BIG_ENDIAN) & 0xFFFF;
        if (IP_LENGTH != headerLength || ETHERNET + totalLength > length)
        {
            return dropped();
        }
        final int source = buffer.getInt(ip + 12, BIG_ENDIAN);
        final int destination = buffer.getInt(ip + 16, BIG_ENDIAN);
        final int l4Length = totalLength - IP_LENGTH;
        if (!partialChecksum && 0 != Checksums.finish(Checksums.ipv4PseudoHeaderSum(source, destination,
            buffer.getByte(ip + 9) & 0xFF, l4Length) + Checksums.sum(buffer, offset + L4, l4Length)) &&
            !(PROTOCOL_UDP == (buffer.getByte(ip + 9) & 0xFF) && 0 == buffer.getShort(offset + L4 + 6)))
        {
            return dropped();
        }
        return PROTOCOL_UDP == (buffer.getByte(ip + 9) & 0xFF) ?
            udp(buffer, offset, l4Length, capacity, routerMac, source, destination, records, hasUpstream) :
            tcp(buffer, offset, l4Length, capacity, routerMac, source, destination, records);
    }

    private int udp(
        final MutableDirectBuffer buffer, final int offset, final int l4Length, final int capacity, final long routerMac,
        final int source, final int destination, final DnsRecords records, final boolean hasUpstream)
    {
        final int udp = offset + L4;
        final int udpLength = buffer.getShort(udp + 4, BIG_ENDIAN) & 0xFFFF;
        if (udpLength < UDP_LENGTH || udpLength > l4Length)
        {
            return dropped();
        }
        final int message = udp + UDP_LENGTH;
        final int answer = responder.respond(buffer, message, udpLength - UDP_LENGTH, capacity - (message - offset),
            DnsResponder.MIN_UDP_PAYLOAD_SIZE, records, hasUpstream);
        counters.add(responder.outcome(), 1);
        if (answer < 0)
        {
            return DnsResponder.FORWARD == answer ? FORWARD : NONE;
        }
        final int sourcePort = buffer.getShort(udp, BIG_ENDIAN) & 0xFFFF;
        buffer.putShort(udp, (short)PORT, BIG_ENDIAN);
        buffer.putShort(udp + 2, (short)sourcePort, BIG_ENDIAN);
        buffer.putShort(udp + 4, (short)(UDP_LENGTH + answer), BIG_ENDIAN);
        buffer.putShort(udp + 6, (short)0);
        final long sum = Checksums.ipv4PseudoHeaderSum(destination, source, PROTOCOL_UDP, UDP_LENGTH + answer) +
            Checksums.sum(buffer, udp, UDP_LENGTH + answer);
        final int checksum = Checksums.finish(sum);
        buffer.putShort(udp + 6, (short)(0 == checksum ? 0xFFFF : checksum), BIG_ENDIAN);
        return turnBack(buffer, offset, routerMac, source, destination, PROTOCOL_UDP, UDP_LENGTH + answer);
    }

    private int tcp(
        final MutableDirectBuffer buffer, final int offset, final int l4Length, final int capacity, final long routerMac,
        final int source, final int destination, final DnsRecords records)
    {
        final int tcp = offset + L4;
        final int dataOffset = ((buffer.getByte(tcp + 12) & 0xFF) >>> 4) * 4;
        final int flags = buffer.getByte(tcp + 13) & 0xFF;
        if (dataOffset < TCP_LENGTH || dataOffset > l4Length || 0 != (flags & FLAG_RST))
        {
            return 0 != (flags & FLAG_RST) ? CONSUMED : dropped();
        }
        final int sourcePort = buffer.getShort(tcp, BIG_ENDIAN) & 0xFFFF;
        final int sequence = buffer.getInt(tcp + 4, BIG_ENDIAN);
        final int acknowledgment = buffer.getInt(tcp + 8, BIG_ENDIAN);
        final int cookie = cookie(source, destination, sourcePort);
        if (FLAG_SYN == (flags & (FLAG_SYN | FLAG_ACK)))
        {
            buffer.putInt(tcp + TCP_LENGTH, MSS_OPTION, BIG_ENDIAN);
            return segment(buffer, offset, routerMac, source, destination, sourcePort, cookie, sequence + 1,
                FLAG_SYN | FLAG_ACK, 4, 0);
        }
        if (0 == (flags & FLAG_ACK) || ((acknowledgment - cookie - 1) & 0xFFFF_FFFFL) >= TCP_WINDOW_OF_ANSWERS)
        {
            return dropped();
        }
        final int dataLength = l4Length - dataOffset;
        if (0 != (flags & FLAG_FIN))
        {
            return segment(buffer, offset, routerMac, source, destination, sourcePort, acknowledgment,
                sequence + dataLength + 1, FLAG_FIN | FLAG_ACK, 0, 0);
        }
        if (dataLength < 2)
        {
            return CONSUMED;
        }
        final int data = tcp + dataOffset;
        final int messageLength = buffer.getShort(data, BIG_ENDIAN) & 0xFFFF;
        if (messageLength + 2 != dataLength)
        {
            return dropped();   // a query split over segments, or several in one: not taken
        }
        // The answer goes right after a header without options: move the query there first.
        final int message = tcp + TCP_LENGTH + 2;
        buffer.putBytes(message, buffer, data + 2, messageLength);
        final int answer = responder.respond(buffer, message, messageLength, capacity - (message - offset),
            TCP_MAX_MESSAGE, records, false);
        counters.add(responder.outcome(), 1);
        if (answer < 0)
        {
            return NONE;
        }
        buffer.putShort(tcp + TCP_LENGTH, (short)answer, BIG_ENDIAN);
        return segment(buffer, offset, routerMac, source, destination, sourcePort, acknowledgment, sequence + dataLength,
            FLAG_ACK | FLAG_PSH, 0, 2 + answer);
    }

    /**
     * Writes the TCP header of an answer segment (its options or data already after the 20-byte header) and
     * turns the frame back.
     */
    private int segment(
        final MutableDirectBuffer buffer, final int offset, final long routerMac, final int source, final int destination,
        final int sourcePort, final int sequence, final int acknowledgment, final int flags, final int optionLength,
        final int dataLength)
    {
        final int tcp = offset + L4;
        final int segmentLength = TCP_LENGTH + optionLength + dataLength;
        buffer.putShort(tcp, (short)PORT, BIG_ENDIAN);
        buffer.putShort(tcp + 2, (short)sourcePort, BIG_ENDIAN);
        buffer.putInt(tcp + 4, sequence, BIG_ENDIAN);
        buffer.putInt(tcp + 8, acknowledgment, BIG_ENDIAN);
        buffer.putByte(tcp + 12, (byte)(((TCP_LENGTH + optionLength) / 4) << 4));
        buffer.putByte(tcp + 13, (byte)flags);
        buffer.putShort(tcp + 14, (short)WINDOW, BIG_ENDIAN);
        buffer.putInt(tcp + 16, 0);
        final long sum = Checksums.ipv4PseudoHeaderSum(destination, source, PROTOCOL_TCP, segmentLength) +
            Checksums.sum(buffer, tcp, segmentLength);
        buffer.putShort(tcp + 16, (short)Checksums.finish(sum), BIG_ENDIAN);
        return turnBack(buffer, offset, routerMac, source, destination, PROTOCOL_TCP, segmentLength);
    }

    /** Swaps the MACs and addresses, writes the IPv4 header for a payload of {@code l4Length}; the frame's length. */
    private static int turnBack(
        final MutableDirectBuffer buffer, final int offset, final long routerMac, final int source, final int destination,
        final int protocol, final int l4Length)
    {
        buffer.putBytes(offset, buffer, offset + 6, 6);
        buffer.putShort(offset + 6, (short)(routerMac >>> 32), BIG_ENDIAN);
        buffer.putInt(offset + 8, (int)routerMac, BIG_ENDIAN);
        final int ip = offset + IP;
        buffer.putByte(ip, (byte)0x45);
        buffer.putByte(ip + 1, (byte)0);
        buffer.putShort(ip + 2, (short)(IP_LENGTH + l4Length), BIG_ENDIAN);
        buffer.putShort(ip + 4, (short)0);
        buffer.putShort(ip + 6, (short)0x4000, BIG_ENDIAN);
        buffer.putByte(ip + 8, (byte)TTL);
        buffer.putByte(ip + 9, (byte)protocol);
        buffer.putShort(ip + 10, (short)0);
        buffer.putInt(ip + 12, destination, BIG_ENDIAN);
        buffer.putInt(ip + 16, source, BIG_ENDIAN);
        buffer.putShort(ip + 10, (short)Checksums.checksum(buffer, ip, IP_LENGTH), BIG_ENDIAN);
        final int frameLength = ETHERNET + IP_LENGTH + l4Length;
        if (frameLength < MIN_FRAME_LENGTH)
        {
            buffer.setMemory(offset + frameLength, MIN_FRAME_LENGTH - frameLength, (byte)0);
            return MIN_FRAME_LENGTH;
        }
        return frameLength;
    }

    /**
     * Queues the UDP query in the frame, which {@link #answer} said to {@link #FORWARD} (and left as it was),
     * for the upstream resolver.
     *
     * @return false if the queue refused it.
     */
    public static boolean forward(
        final MutableDirectBuffer buffer, final int offset, final int routerId, final int bridgeId, final long routerMac,
        final DnsForwarding forwarding)
    {
        final int ip = offset + IP;
        final int udp = offset + L4;
        final long clientMac = ((long)(buffer.getShort(offset + 6, BIG_ENDIAN) & 0xFFFF) << 32) |
            (buffer.getInt(offset + 8, BIG_ENDIAN) & 0xFFFF_FFFFL);
        return forwarding.offer(routerId, bridgeId, routerMac, clientMac, buffer.getInt(ip + 16, BIG_ENDIAN),
            buffer.getInt(ip + 12, BIG_ENDIAN), buffer.getShort(udp, BIG_ENDIAN) & 0xFFFF, buffer, udp + UDP_LENGTH,
            (buffer.getShort(udp + 4, BIG_ENDIAN) & 0xFFFF) - UDP_LENGTH);
    }

    /**
     * Writes the frame that carries an upstream's answer back to the client that asked: Ethernet, IPv4 and
     * UDP headers from the query's record, in front of the message already at {@code offset} + 42.
     *
     * @param record the query's {@link DnsForwarding} record.
     * @return the frame's length.
     */
    public static int answerFrame(
        final MutableDirectBuffer buffer, final int offset, final int messageLength, final DirectBuffer record, final int index)
    {
        final long clientMac = record.getLong(index + DnsForwarding.CLIENT_MAC);
        final long routerMac = record.getLong(index + DnsForwarding.ROUTER_MAC);
        final int udp = offset + L4;
        final int client = record.getInt(index + DnsForwarding.CLIENT_IP);
        final int router = record.getInt(index + DnsForwarding.ROUTER_IP);
        buffer.putShort(udp, (short)PORT, BIG_ENDIAN);
        buffer.putShort(udp + 2, (short)record.getInt(index + DnsForwarding.CLIENT_PORT), BIG_ENDIAN);
        buffer.putShort(udp + 4, (short)(UDP_LENGTH + messageLength), BIG_ENDIAN);
        buffer.putShort(udp + 6, (short)0);
        final int checksum = Checksums.finish(Checksums.ipv4PseudoHeaderSum(router, client, PROTOCOL_UDP,
            UDP_LENGTH + messageLength) + Checksums.sum(buffer, udp, UDP_LENGTH + messageLength));
        buffer.putShort(udp + 6, (short)(0 == checksum ? 0xFFFF : checksum), BIG_ENDIAN);
        // As if the query were still in the slot: turnBack sends it back to its source, the client.
        buffer.putShort(offset + 6, (short)(clientMac >>> 32), BIG_ENDIAN);
        buffer.putInt(offset + 8, (int)clientMac, BIG_ENDIAN);
        buffer.putShort(offset + 12, (short)0x0800, BIG_ENDIAN);
        return turnBack(buffer, offset, routerMac, client, router, PROTOCOL_UDP, UDP_LENGTH + messageLength);
    }

    /** Where an answer's message goes in {@link #answerFrame}: after Ethernet, IPv4 and UDP headers. */
    public static int answerMessageOffset()
    {
        return L4 + UDP_LENGTH;
    }

    private int dropped()
    {
        counters.add(DnsResponder.DROPPED, 1);
        return NONE;
    }

    /** The SYN cookie of a connection: a keyed hash of the client's address and port and the router's address. */
    private int cookie(final int client, final int router, final int clientPort)
    {
        long z = (((long)client << 32) | (router & 0xFFFF_FFFFL)) ^ secret;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ ((long)clientPort << 17) ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return (int)(z ^ (z >>> 31));
    }
}
