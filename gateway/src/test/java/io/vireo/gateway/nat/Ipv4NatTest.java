package io.vireo.gateway.nat;

import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.service.BackendStats;
import io.vireo.gateway.service.Maglev;
import io.vireo.gateway.service.ServiceTable;
import io.vireo.gateway.service.ServiceView;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_ACK;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_FIN;
import static io.vireo.dataplane.headers.TcpFlyweight.FLAG_SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Masquerade through {@link Ipv4Nat} on packets built byte by byte: a UDP datagram from inside host A
 * leaves as the router's address, the reply comes back to A, and an ICMP error about the translated
 * datagram reaches A about A's own datagram; a full table refuses a new connection; fragments follow
 * their datagram's first fragment both ways (held before it, dropped when malformed, overlapping or
 * orphaned); a service's connections go to its backends and are counted for them; a burst's loads ahead
 * read within each frame and change nothing; a SYN that finds every masquerade port taken takes one from a
 * closed connection.
 */
class Ipv4NatTest
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int A = 0x0A01_0002;
    private static final int R = 0xC000_0201;
    private static final int X = 0xC000_0202;
    private static final int ZONE = 3;
    private static final RouterInterface OUT = new RouterInterface(ZONE, 1, 0x0200_0000_0001L, 1500, new int[] {R},
        new int[] {24}, new long[0], new long[0], new int[0]);
    private static final NatRules MASQUERADE = new NatRules(new int[] {1}, new int[] {0}, new int[] {0}, new int[0],
        new int[0], new int[0], new int[0], new int[0]);

    private final ConnectionTable connections = new ConnectionTable(16);
    private final Ipv4Nat nat = new Ipv4Nat(connections, new BackendStats());

    @AfterEach
    void close()
    {
        connections.close();
    }

    @Test
    void aMasqueradedDatagramItsReplyAndAnErrorAboutItAreTranslated()
    {
        final UnsafeBuffer out = udp(A, X, 5000, 53);
        assertEquals(Ipv4Nat.NEW, nat.beforeRouting(out, 0, false, ZONE, MASQUERADE, null, 1));
        assertNull(nat.afterRouting(out, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
        assertEquals(R, out.getInt(12, NETWORK), "leaves as the router");
        final int port = Ipv4Rewrite.sourcePort(out, 0);
        assertTrue(port >= Ipv4Nat.FIRST_PORT && port < Ipv4Nat.FIRST_PORT + Ipv4Nat.PORTS, "port " + port);
        assertValid(out);

        final UnsafeBuffer reply = udp(X, R, 53, port);
        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(reply, 0, false, ZONE, MASQUERADE, OUT, 2));
        assertEquals(A, reply.getInt(16, NETWORK));
        assertEquals(5000, Ipv4Rewrite.destinationPort(reply, 0));
        assertValid(reply);

        final UnsafeBuffer error = portUnreachable(X, R, out);
        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(error, 0, false, ZONE, MASQUERADE, OUT, 3));
        assertEquals(X, error.getInt(12, NETWORK));
        assertEquals(A, error.getInt(16, NETWORK), "the error goes to A");
        assertEquals(A, error.getInt(28 + 12, NETWORK), "about A's own datagram");
        assertEquals(5000, Ipv4Rewrite.sourcePort(error, 28));
        assertEquals(0, Checksums.checksum(error, 0, 20));
        assertEquals(0, Checksums.checksum(error, 20, error.capacity() - 20), "ICMP checksum");
        assertEquals(0, Checksums.checksum(error, 28, 20), "the quoted header's checksum");
    }

    @Test
    void aBurstsLoadsAheadReadNothingPastTheFrameAndChangeNoVerdict()
    {
        final UnsafeBuffer out = udp(A, X, 5000, 53);
        assertEquals(Ipv4Nat.NEW, nat.beforeRouting(out, 0, false, ZONE, MASQUERADE, null, 1));
        assertNull(nat.afterRouting(out, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
        final UnsafeBuffer reply = udp(X, R, 53, Ipv4Rewrite.sourcePort(out, 0));
        final UnsafeBuffer options = udp(X, R, 53, Ipv4Rewrite.sourcePort(out, 0));
        options.putByte(0, (byte)0x4F);
        for (final UnsafeBuffer packet : new UnsafeBuffer[] {reply, options, echoRequest(A, X, 7)})
        {
            for (int length = 0; length <= packet.capacity(); length++)
            {
                // Bounds checked: a read past the truncated frame throws.
                final UnsafeBuffer truncated = new UnsafeBuffer(new byte[length]);
                truncated.putBytes(0, packet, 0, length);
                nat.aheadOf(truncated, 0, length, ZONE);
            }
        }
        for (int i = 0; i <= Ipv4Nat.LOADS_AHEAD; i++)
        {
            nat.aheadOf(reply, 0, reply.capacity(), ZONE);
        }
        nat.loadAhead();

        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(reply, 0, false, ZONE, MASQUERADE, OUT, 2));
        assertEquals(A, reply.getInt(16, NETWORK), "back to A");
        assertValid(reply);
    }

    @Test
    void aFullTableRefusesANewConnection()
    {
        final ConnectionTable one = new ConnectionTable(1);
        final Ipv4Nat tight = new Ipv4Nat(one, new BackendStats());
        try
        {
            final UnsafeBuffer first = udp(A, X, 5000, 53);
            tight.beforeRouting(first, 0, false, ZONE, MASQUERADE, null, 1);
            assertNull(tight.afterRouting(first, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
            final UnsafeBuffer second = udp(A, X, 5001, 53);
            tight.beforeRouting(second, 0, false, ZONE, MASQUERADE, null, 1);
            assertEquals(DropReason.CONNTRACK_FULL, tight.afterRouting(second, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
            assertEquals(1, one.fullCount());
        }
        finally
        {
            one.close();
        }
    }

    /**
     * Every port the masquerade hands out towards X:80 is held by a connection: a SYN takes one from a closed
     * connection, a packet that does not open a connection and a SYN that finds them all open are refused.
     */
    @Test
    void aSynThatFindsEveryPortTakenTakesOneFromAClosedConnection()
    {
        final ConnectionTable table = new ConnectionTable(Ipv4Nat.PORTS + 16);
        final Ipv4Nat masquerade = new Ipv4Nat(table, new BackendStats());
        try
        {
            final long[] held = new long[Ipv4Nat.PORTS];
            for (int i = 0; i < Ipv4Nat.PORTS; i++)
            {
                held[i] = table.create(ZONE, 6, A + 1, X, 1_000 + i, 80, X, R, 80, Ipv4Nat.FIRST_PORT + i, 1);
                table.seen(held[i], FLAG_SYN, 1);
                table.seen(held[i] | 1, FLAG_SYN | FLAG_ACK, 1);
                table.seen(held[i], FLAG_ACK, 1);
            }
            assertEquals(DropReason.NAT_NO_PORT, masqueradeTcp(masquerade, 40_000, FLAG_SYN), "all open: nothing to take");
            for (final long handle : held)
            {
                table.seen(handle, FLAG_FIN | FLAG_ACK, 2);
                table.seen(handle | 1, FLAG_FIN | FLAG_ACK, 2);
                assertEquals(ConnectionTable.TCP_TIME_WAIT, table.seen(handle, FLAG_ACK, 2));
            }
            assertEquals(DropReason.NAT_NO_PORT, masqueradeTcp(masquerade, 40_001, FLAG_ACK), "not a SYN: nothing taken");
            assertEquals(0, table.retiredCount());

            final UnsafeBuffer syn = tcp(A, X, 40_002, 80, FLAG_SYN);
            assertEquals(Ipv4Nat.NEW, masquerade.beforeRouting(syn, 0, false, ZONE, MASQUERADE, null, 3));
            assertNull(masquerade.afterRouting(syn, 0, false, ZONE, MASQUERADE, OUT, 0, 3));
            assertEquals(R, syn.getInt(12, NETWORK));
            final int port = Ipv4Rewrite.sourcePort(syn, 0);
            assertEquals(1, table.retiredCount());
            assertEquals(ConnectionTable.NONE, table.state(held[port - Ipv4Nat.FIRST_PORT]), "its holder retired");

            final UnsafeBuffer answer = tcp(X, R, 80, port, FLAG_SYN | FLAG_ACK);
            assertEquals(Ipv4Nat.TRANSLATED, masquerade.beforeRouting(answer, 0, false, ZONE, MASQUERADE, null, 4));
            assertEquals(A, answer.getInt(16, NETWORK), "the answer reaches the new connection's host");
            assertEquals(40_002, Ipv4Rewrite.destinationPort(answer, 0));
        }
        finally
        {
            table.close();
        }
    }

    /** A TCP segment from A:sourcePort to X:80 with these flags, through the masquerade's two steps: the drop reason. */
    private static DropReason masqueradeTcp(final Ipv4Nat masquerade, final int sourcePort, final int flags)
    {
        final UnsafeBuffer segment = tcp(A, X, sourcePort, 80, flags);
        assertEquals(Ipv4Nat.NEW, masquerade.beforeRouting(segment, 0, false, ZONE, MASQUERADE, null, 3));
        return masquerade.afterRouting(segment, 0, false, ZONE, MASQUERADE, OUT, 0, 3);
    }

    @Test
    void laterFragmentsGetTheirFirstFragmentsAddressesBothWays()
    {
        final UnsafeBuffer first = fragment(A, X, 77, 0, true, udpHeader(5000, 53));
        assertEquals(Ipv4Nat.NEW, nat.beforeRouting(first, 0, false, ZONE, MASQUERADE, null, 1));
        assertNull(nat.afterRouting(first, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
        assertEquals(R, first.getInt(12, NETWORK));
        final int port = Ipv4Rewrite.sourcePort(first, 0);
        assertEquals(0, Checksums.checksum(first, 0, 20));

        final UnsafeBuffer second = fragment(A, X, 77, 16, true, new byte[16]);
        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(second, 0, false, ZONE, MASQUERADE, null, 2));
        assertEquals(R, second.getInt(12, NETWORK), "leaves as the router");
        assertEquals(X, second.getInt(16, NETWORK));
        assertEquals(0, Checksums.checksum(second, 0, 20), "the header checksum follows");
        assertEquals(0, second.getByte(20), "the payload untouched");
        final UnsafeBuffer last = fragment(A, X, 77, 32, false, new byte[5]);
        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(last, 0, false, ZONE, MASQUERADE, null, 2));
        assertEquals(R, last.getInt(12, NETWORK));

        // The reply, in fragments too: its first finds the connection, the others follow it to A.
        final UnsafeBuffer replyFirst = fragment(X, R, 900, 0, true, udpHeader(53, port));
        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(replyFirst, 0, false, ZONE, MASQUERADE, OUT, 3));
        assertEquals(A, replyFirst.getInt(16, NETWORK));
        final UnsafeBuffer replyLast = fragment(X, R, 900, 16, false, new byte[100]);
        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(replyLast, 0, false, ZONE, MASQUERADE, OUT, 3));
        assertEquals(A, replyLast.getInt(16, NETWORK));
        assertEquals(X, replyLast.getInt(12, NETWORK));
        assertEquals(0, Checksums.checksum(replyLast, 0, 20));
    }

    @Test
    void aFragmentBeforeItsFirstIsHeldUntilTheFirstHasGoneThrough()
    {
        final UnsafeBuffer early = fragment(A, X, 78, 8, false, new byte[10]);
        assertEquals(Ipv4Nat.HELD, nat.beforeRouting(early, 0, false, ZONE, MASQUERADE, null, 1));
        assertEquals(A, early.getInt(12, NETWORK), "nothing changed");
        final long high = nat.heldKeyHigh();
        final long low = nat.heldKeyLow();
        assertEquals(FragmentTable.PENDING, nat.fragmentState(high, low, 1));
        assertEquals(Ipv4Nat.HELD, nat.beforeRouting(early, 0, false, ZONE, MASQUERADE, null, 1), "still waiting");

        final UnsafeBuffer first = fragment(A, X, 78, 0, true, udpHeader(5000, 53));
        assertEquals(Ipv4Nat.NEW, nat.beforeRouting(first, 0, false, ZONE, MASQUERADE, null, 2));
        assertEquals(FragmentTable.DROPPED, nat.fragmentState(high, low, 2), "until routed, as if the first went nowhere");
        assertNull(nat.afterRouting(first, 0, false, ZONE, MASQUERADE, OUT, 0, 2));
        assertEquals(FragmentTable.TRANSLATED, nat.fragmentState(high, low, 2));
        assertEquals(Ipv4Nat.TRANSLATED, nat.beforeRouting(early, 0, false, ZONE, MASQUERADE, null, 3), "routed again");
        assertEquals(R, early.getInt(12, NETWORK));
        assertEquals(FragmentTable.MISS, nat.fragmentState(high, low, 3), "whole: forgotten");

        final UnsafeBuffer orphan = fragment(A, X, 79, 16, false, new byte[10]);
        assertEquals(Ipv4Nat.HELD, nat.beforeRouting(orphan, 0, false, ZONE, MASQUERADE, null, 10));
        assertEquals(FragmentTable.MISS, nat.fragmentState(nat.heldKeyHigh(), nat.heldKeyLow(), 10 + FragmentTable.LIFETIME_MS));
    }

    @Test
    void malformedOverlappingAndOrphanedFragmentsAreDroppedUnderTheirReason()
    {
        final UnsafeBuffer tiny = fragment(A, X, 80, 0, true, new byte[0]);
        assertEquals(Ipv4Nat.FRAGMENT, nat.beforeRouting(tiny, 0, false, ZONE, MASQUERADE, null, 1));
        assertEquals(DropReason.NAT_FRAGMENT_BAD, nat.fragmentDrop(), "a first fragment without its UDP header");
        final UnsafeBuffer tcp = fragment(A, X, 81, 8, true, new byte[8]);
        tcp.putByte(9, (byte)6);
        assertEquals(Ipv4Nat.FRAGMENT, nat.beforeRouting(tcp, 0, false, ZONE, MASQUERADE, null, 1));
        assertEquals(DropReason.NAT_FRAGMENT_BAD, nat.fragmentDrop(), "offset 8 into a TCP header (RFC 1858)");
        final UnsafeBuffer huge = fragment(A, X, 82, 65_528, false, new byte[100]);
        assertEquals(Ipv4Nat.FRAGMENT, nat.beforeRouting(huge, 0, false, ZONE, MASQUERADE, null, 1));
        assertEquals(DropReason.NAT_FRAGMENT_BAD, nat.fragmentDrop(), "past 65,535 bytes");

        final UnsafeBuffer first = fragment(A, X, 83, 0, true, java.util.Arrays.copyOf(udpHeader(5001, 53), 24));
        nat.beforeRouting(first, 0, false, ZONE, MASQUERADE, null, 1);
        assertNull(nat.afterRouting(first, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
        final UnsafeBuffer again = fragment(A, X, 83, 0, true, udpHeader(5001, 53));
        assertEquals(Ipv4Nat.FRAGMENT, nat.beforeRouting(again, 0, false, ZONE, MASQUERADE, null, 1));
        assertEquals(DropReason.NAT_FRAGMENT_OVERLAP, nat.fragmentDrop(), "the first fragment again");
        final UnsafeBuffer overlap = fragment(A, X, 83, 16, false, new byte[16]);
        assertEquals(Ipv4Nat.FRAGMENT, nat.beforeRouting(overlap, 0, false, ZONE, MASQUERADE, null, 1));
        assertEquals(DropReason.NAT_FRAGMENT_OVERLAP, nat.fragmentDrop());
        assertEquals(A, overlap.getInt(12, NETWORK), "dropped as it came");
        final UnsafeBuffer rest = fragment(A, X, 83, 40, false, new byte[16]);
        assertEquals(Ipv4Nat.FRAGMENT, nat.beforeRouting(rest, 0, false, ZONE, MASQUERADE, null, 1));
        assertEquals(DropReason.NAT_FRAGMENT, nat.fragmentDrop(), "the overlap took the datagram with it");

        // A first fragment that the NAT refuses (no port) takes its datagram with it.
        final ConnectionTable one = new ConnectionTable(1);
        final Ipv4Nat tight = new Ipv4Nat(one, new BackendStats(), 8);
        try
        {
            final UnsafeBuffer taken = udp(A, X, 6000, 53);
            tight.beforeRouting(taken, 0, false, ZONE, MASQUERADE, null, 1);
            assertNull(tight.afterRouting(taken, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
            final UnsafeBuffer refused = fragment(A, X, 84, 0, true, udpHeader(6001, 53));
            assertEquals(Ipv4Nat.NEW, tight.beforeRouting(refused, 0, false, ZONE, MASQUERADE, null, 1));
            assertEquals(DropReason.CONNTRACK_FULL, tight.afterRouting(refused, 0, false, ZONE, MASQUERADE, OUT, 0, 1));
            final UnsafeBuffer after = fragment(A, X, 84, 16, false, new byte[8]);
            assertEquals(Ipv4Nat.FRAGMENT, tight.beforeRouting(after, 0, false, ZONE, MASQUERADE, null, 1));
            assertEquals(DropReason.NAT_FRAGMENT, tight.fragmentDrop());

            // Its fragment table: 8 datagrams fill a window; the next new one is refused.
            int full = 0;
            for (int id = 100; id < 200; id++)
            {
                if (Ipv4Nat.FRAGMENT == tight.beforeRouting(fragment(A, X, id, 16, false, new byte[8]), 0, false, ZONE,
                    MASQUERADE, null, 2))
                {
                    assertEquals(DropReason.NAT_FRAGMENTS_FULL, tight.fragmentDrop());
                    full++;
                }
            }
            assertTrue(full > 0 && full < 100, "some refused: " + full);
        }
        finally
        {
            one.close();
        }
    }

    @Test
    void aServiceConnectionGoesToItsBackendRepliesComeFromTheServiceAndTheBackendCountsIt()
    {
        final int vip = 0x0A60_000A;
        final int first = 0xC000_0210;
        final int second = 0xC000_0211;
        final BackendStats stats = new BackendStats();
        final Ipv4Nat balancer = new Ipv4Nat(connections, stats);
        final NatRules rules = services(new ServiceView(17, vip, 53, ServiceView.RR, new int[] {first, second},
            new int[] {5353, 5354}, new int[] {1, 1}, new int[] {7, 8}, new boolean[] {true, true}, new AtomicLong(),
            Maglev.DEFAULT_TABLE_SIZE));

        final UnsafeBuffer query = udp(A, vip, 5000, 53);
        assertEquals(Ipv4Nat.NEW, balancer.beforeRouting(query, 0, false, ZONE, rules, null, 1));
        assertEquals(first, query.getInt(16, NETWORK), "to the first backend");
        assertEquals(5353, Ipv4Rewrite.destinationPort(query, 0));
        assertNull(balancer.afterRouting(query, 0, false, ZONE, rules, OUT, 0, 1));
        assertEquals(A, query.getInt(12, NETWORK), "not masqueraded: the backend sees the client");
        assertValid(query);

        final UnsafeBuffer answer = udp(first, A, 5353, 5000);
        assertEquals(Ipv4Nat.TRANSLATED, balancer.beforeRouting(answer, 0, false, ZONE, rules, null, 2));
        assertEquals(vip, answer.getInt(12, NETWORK), "the answer comes from the service");
        assertEquals(53, Ipv4Rewrite.sourcePort(answer, 0));
        assertValid(answer);

        final UnsafeBuffer again = udp(A, vip, 5000, 53);
        assertEquals(Ipv4Nat.TRANSLATED, balancer.beforeRouting(again, 0, false, ZONE, rules, null, 3));
        assertEquals(first, again.getInt(16, NETWORK), "the connection stays on its backend");
        assertEquals(1, stats.connections(7));
        assertEquals(3, stats.packets(7));
        assertEquals(120, stats.bytes(7));
        assertEquals(1, stats.open(7));

        final UnsafeBuffer other = udp(A, vip, 5001, 53);
        balancer.beforeRouting(other, 0, false, ZONE, rules, null, 4);
        assertNull(balancer.afterRouting(other, 0, false, ZONE, rules, OUT, 0, 4));
        assertEquals(second, other.getInt(16, NETWORK), "a new connection takes the next backend");

        connections.removalListener(stats);
        assertEquals(1, connections.flush(ZONE, BackendStats.label(7)), "only the first backend's connection ends");
        assertEquals(0, stats.open(7));
        assertEquals(1, stats.open(8));
        assertEquals(1, connections.size());

        final NatRules down = services(new ServiceView(17, vip, 53, ServiceView.RR, new int[] {first}, new int[] {5353},
            new int[] {1}, new int[] {7}, new boolean[] {false}, new AtomicLong(), Maglev.DEFAULT_TABLE_SIZE));
        assertEquals(Ipv4Nat.NO_BACKEND, balancer.beforeRouting(udp(A, vip, 6000, 53), 0, false, ZONE, down, null, 5));
    }

    private static NatRules services(final ServiceView service)
    {
        return new NatRules(new int[0], new int[0], new int[0], new int[0], new int[0], new int[0], new int[0], new int[0],
            new ServiceTable(new ServiceView[] {service}));
    }

    private static void assertValid(final UnsafeBuffer packet)
    {
        assertEquals(0, Checksums.checksum(packet, 0, 20));
        assertEquals(0, Checksums.finish(Checksums.ipv4PseudoHeaderSum(packet.getInt(12, NETWORK), packet.getInt(16, NETWORK),
            17, packet.capacity() - 20) + Checksums.sum(packet, 20, packet.capacity() - 20)), "UDP checksum");
    }

    /** An IPv4 UDP datagram with 12 bytes of payload and right checksums, at offset 0. */
    private static UnsafeBuffer udp(final int source, final int destination, final int sourcePort, final int destinationPort)
    {
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[40]);
        header(packet, 0, 40, 17, source, destination);
        packet.putShort(20, (short)sourcePort, NETWORK);
        packet.putShort(22, (short)destinationPort, NETWORK);
        packet.putShort(24, (short)20, NETWORK);
        packet.putStringWithoutLengthAscii(28, "hello, world");
        final int checksum = Checksums.finish(Checksums.ipv4PseudoHeaderSum(source, destination, 17, 20) + Checksums.sum(packet, 20, 20));
        packet.putShort(26, (short)checksum, NETWORK);
        return packet;
    }

    /** An IPv4 TCP segment, a 20-byte header with these flags and no payload, right checksums, at offset 0. */
    private static UnsafeBuffer tcp(final int source, final int destination, final int sourcePort, final int destinationPort,
        final int flags)
    {
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[40]);
        header(packet, 0, 40, 6, source, destination);
        packet.putShort(20, (short)sourcePort, NETWORK);
        packet.putShort(22, (short)destinationPort, NETWORK);
        packet.putByte(32, (byte)0x50);
        packet.putByte(33, (byte)flags);
        packet.putShort(34, (short)65_535, NETWORK);
        final int checksum = Checksums.finish(Checksums.ipv4PseudoHeaderSum(source, destination, 6, 20) + Checksums.sum(packet, 20, 20));
        packet.putShort(36, (short)checksum, NETWORK);
        return packet;
    }

    /** An ICMP echo request with identifier {@code id} and 8 bytes of data. */
    private static UnsafeBuffer echoRequest(final int source, final int destination, final int id)
    {
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[36]);
        header(packet, 0, packet.capacity(), 1, source, destination);
        packet.putByte(20, (byte)8);
        packet.putShort(24, (short)id, NETWORK);
        packet.putShort(22, (short)Checksums.checksum(packet, 20, packet.capacity() - 20), NETWORK);
        return packet;
    }

    /** The first 8 bytes of a UDP header: ports, a length, and a checksum that is not 0. */
    private static byte[] udpHeader(final int sourcePort, final int destinationPort)
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[8]);
        header.putShort(0, (short)sourcePort, NETWORK);
        header.putShort(2, (short)destinationPort, NETWORK);
        header.putShort(4, (short)4000, NETWORK);
        header.putShort(6, (short)0x1234, NETWORK);
        return header.byteArray();
    }

    /** A UDP fragment: {@code payload} at byte {@code offset} of the datagram, more fragments or not. */
    private static UnsafeBuffer fragment(
        final int source, final int destination, final int id, final int offset, final boolean more, final byte[] payload)
    {
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[20 + payload.length]);
        packet.putBytes(20, payload);
        packet.putShort(4, (short)id, NETWORK);
        packet.putShort(6, (short)((more ? 0x2000 : 0) | offset / 8), NETWORK);
        header(packet, 0, packet.capacity(), 17, source, destination);
        return packet;
    }

    /** ICMP port unreachable from {@code source} quoting the whole of {@code quoted}. */
    private static UnsafeBuffer portUnreachable(final int source, final int destination, final UnsafeBuffer quoted)
    {
        final UnsafeBuffer packet = new UnsafeBuffer(new byte[28 + quoted.capacity()]);
        header(packet, 0, packet.capacity(), 1, source, destination);
        packet.putByte(20, (byte)3);
        packet.putByte(21, (byte)3);
        packet.putBytes(28, quoted, 0, quoted.capacity());
        packet.putShort(22, (short)Checksums.checksum(packet, 20, packet.capacity() - 20), NETWORK);
        return packet;
    }

    private static void header(
        final UnsafeBuffer packet, final int ip, final int totalLength, final int protocol, final int source, final int destination)
    {
        packet.putByte(ip, (byte)0x45);
        packet.putShort(ip + 2, (short)totalLength, NETWORK);
        packet.putByte(ip + 8, (byte)64);
        packet.putByte(ip + 9, (byte)protocol);
        packet.putInt(ip + 12, source, NETWORK);
        packet.putInt(ip + 16, destination, NETWORK);
        packet.putShort(ip + 10, (short)Checksums.checksum(packet, ip, 20), NETWORK);
    }
}
