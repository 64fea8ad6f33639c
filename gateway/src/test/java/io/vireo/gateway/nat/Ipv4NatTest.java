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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Masquerade through {@link Ipv4Nat} on packets built byte by byte: a UDP datagram from inside host A
 * leaves as the router's address, the reply comes back to A, and an ICMP error about the translated
 * datagram reaches A about A's own datagram; a full table refuses a new connection and a non-first
 * fragment is refused outright; a service's connections go to its backends and are counted for them.
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
    void aFullTableRefusesANewConnectionAndFragmentsAreRefused()
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

        final UnsafeBuffer fragment = udp(A, X, 5000, 53);
        fragment.putShort(6, (short)0x0010, NETWORK);
        assertEquals(Ipv4Nat.FRAGMENT, nat.beforeRouting(fragment, 0, false, ZONE, MASQUERADE, null, 1));
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
