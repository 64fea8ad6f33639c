package io.vireo.benches.nat;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.headers.Checksums;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.nat.Ipv4Nat;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.service.BackendStats;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Ipv4Nat#beforeRouting} on unfragmented UDP packets of 1,024 established masqueraded connections,
 * one packet per operation, in turn: {@code outbound} translates a packet from inside (source to the
 * router's address and port), {@code inbound} a reply (destination back to the inside host). Each
 * operation first copies the packet's 28 header bytes back from a template, so every run translates the
 * same bytes; {@code copyOnly} is that copy alone, the floor to subtract.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class NatBenchmark
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;
    private static final int CONNECTIONS = 1_024;
    private static final int PACKET = 64;
    private static final int ZONE = 1;
    private static final int ROUTER = 0xC000_0201;
    private static final int SERVER = 0xC000_0202;
    private static final int INSIDE = 0x0A01_0000;
    private static final RouterInterface OUT = new RouterInterface(ZONE, 1, 0x0200_0000_0001L, 1500, new int[] {ROUTER},
        new int[] {24}, new long[0], new long[0], new int[0]);
    private static final NatRules MASQUERADE = new NatRules(new int[] {1}, new int[] {0}, new int[] {0}, new int[0],
        new int[0], new int[0], new int[0], new int[0]);

    private ConnectionTable connections;
    private Ipv4Nat nat;
    private final UnsafeBuffer outbound = new UnsafeBuffer(BufferUtil.allocateDirectAligned(CONNECTIONS * PACKET, 64));
    private final UnsafeBuffer inbound = new UnsafeBuffer(BufferUtil.allocateDirectAligned(CONNECTIONS * PACKET, 64));
    private final UnsafeBuffer packet = new UnsafeBuffer(BufferUtil.allocateDirectAligned(PACKET, 64));
    private int next;

    @Setup
    public void setUp()
    {
        connections = new ConnectionTable(CONNECTIONS * 2);
        nat = new Ipv4Nat(connections, new BackendStats());
        for (int i = 0; i < CONNECTIONS; i++)
        {
            udp(outbound, i * PACKET, INSIDE + i, SERVER, 10_000 + i, 53);
            packet.putBytes(0, outbound, i * PACKET, PACKET);
            nat.beforeRouting(packet, 0, false, ZONE, MASQUERADE, null, 1);
            if (null != nat.afterRouting(packet, 0, false, ZONE, MASQUERADE, OUT, 0, 1))
            {
                throw new IllegalStateException("connection " + i + " refused");
            }
            udp(inbound, i * PACKET, SERVER, ROUTER, 53, packet.getShort(20, NETWORK) & 0xFFFF);
        }
    }

    @TearDown
    public void tearDown()
    {
        connections.close();
    }

    @Benchmark
    public int outbound()
    {
        return translate(outbound);
    }

    @Benchmark
    public int inbound()
    {
        return translate(inbound);
    }

    @Benchmark
    public int copyOnly()
    {
        final int i = advance();
        packet.putBytes(0, outbound, i * PACKET, 28);
        return packet.getInt(12);
    }

    private int translate(final UnsafeBuffer packets)
    {
        final int i = advance();
        packet.putBytes(0, packets, i * PACKET, 28);
        return nat.beforeRouting(packet, 0, false, ZONE, MASQUERADE, OUT, 2);
    }

    private int advance()
    {
        final int i = next;
        next = i + 1 == CONNECTIONS ? 0 : i + 1;
        return i;
    }

    /** A UDP datagram with 36 bytes of payload (a 64-byte IP packet), its checksums right. */
    private static void udp(
        final UnsafeBuffer buffer, final int ip, final int source, final int destination, final int sourcePort,
        final int destinationPort)
    {
        buffer.setMemory(ip, PACKET, (byte)0);
        buffer.putByte(ip, (byte)0x45);
        buffer.putShort(ip + 2, (short)PACKET, NETWORK);
        buffer.putByte(ip + 8, (byte)64);
        buffer.putByte(ip + 9, (byte)17);
        buffer.putInt(ip + 12, source, NETWORK);
        buffer.putInt(ip + 16, destination, NETWORK);
        buffer.putShort(ip + 10, (short)Checksums.checksum(buffer, ip, 20), NETWORK);
        buffer.putShort(ip + 20, (short)sourcePort, NETWORK);
        buffer.putShort(ip + 22, (short)destinationPort, NETWORK);
        buffer.putShort(ip + 24, (short)(PACKET - 20), NETWORK);
        // Any nonzero checksum: the benchmark measures its incremental update, not whether it is right.
        buffer.putShort(ip + 26, (short)0x1234, NETWORK);
    }
}
