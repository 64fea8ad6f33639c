package io.vireo.benches.conntrack;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.gateway.conntrack.ConnectionTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Connection-table lookups at 1,000,000 connections (the table full), one per operation.
 * <p>
 * Each connection is a source-NAT UDP or TCP connection between random addresses and ports in one of
 * four zones; the lookups go through all of them in a random order, pre-generated and cycled, so
 * each finds its index bucket and its entry in memory far from the last one's. {@code original} looks
 * up the original tuple, {@code reply} the reply tuple; {@code originalAndTranslate} is what a stage
 * does per packet: the lookup, the four translated-tuple reads and the {@code isCurrent} check.
 * {@code touchedBurstOriginalAndTranslate} does that for a burst of {@value #BURST} packets the way the
 * router stage does with NAT: the burst's keys, {@code ConnectionTable.touch} of them, then each packet's
 * work as in {@code originalAndTranslate}; its score is per packet.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ConnectionTableBenchmark
{
    private static final int CONNECTIONS = 1_000_000;
    private static final int NAT = 0xCB00_7101;
    private static final int BURST = 32;

    private ConnectionTable table;
    private final int[] zones = new int[CONNECTIONS];
    private final int[] protocols = new int[CONNECTIONS];
    private final int[] hosts = new int[CONNECTIONS];
    private final int[] servers = new int[CONNECTIONS];
    private final int[] hostPorts = new int[CONNECTIONS];
    private final int[] serverPorts = new int[CONNECTIONS];
    private final int[] natPorts = new int[CONNECTIONS];
    private final long[] keys = new long[BURST];
    private int next;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(31);
        table = new ConnectionTable(CONNECTIONS);
        int created = 0;
        while (created < CONNECTIONS)
        {
            final int zone = random.nextInt(4);
            final int protocol = random.nextBoolean() ? 6 : 17;
            final int host = random.nextInt();
            final int server = random.nextInt();
            final int hostPort = random.nextInt(0x10000);
            final int serverPort = random.nextInt(0x10000);
            final int natPort = random.nextInt(0x10000);
            final long handle =
                table.create(zone, protocol, host, server, hostPort, serverPort, server, NAT, serverPort, natPort, 0);
            if (handle >= 0)
            {
                zones[created] = zone;
                protocols[created] = protocol;
                hosts[created] = host;
                servers[created] = server;
                hostPorts[created] = hostPort;
                serverPorts[created] = serverPort;
                natPorts[created] = natPort;
                created++;
            }
        }
        // Connections were created into consecutive entries: look them up in another order.
        for (int i = CONNECTIONS - 1; i > 0; i--)
        {
            swap(i, random.nextInt(i + 1));
        }
    }

    @TearDown
    public void tearDown()
    {
        table.close();
    }

    @Benchmark
    public long original()
    {
        final int i = advance();
        return table.lookup(zones[i], protocols[i], hosts[i], servers[i], hostPorts[i], serverPorts[i]);
    }

    @Benchmark
    public long reply()
    {
        final int i = advance();
        return table.lookup(zones[i], protocols[i], servers[i], NAT, serverPorts[i], natPorts[i]);
    }

    @Benchmark
    public long originalAndTranslate()
    {
        return lookUpAndTranslate(advance());
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long touchedBurstOriginalAndTranslate()
    {
        // CONNECTIONS is a multiple of BURST: a burst never wraps.
        final int first = next;
        next = first + BURST == CONNECTIONS ? 0 : first + BURST;
        for (int k = 0; k < BURST; k++)
        {
            final int i = first + k;
            keys[k] = ConnectionTable.key(zones[i], protocols[i], hosts[i], servers[i], hostPorts[i], serverPorts[i]);
        }
        long tuples = table.touch(keys, BURST);
        for (int k = 0; k < BURST; k++)
        {
            tuples ^= lookUpAndTranslate(first + k);
        }
        return tuples;
    }

    private long lookUpAndTranslate(final int i)
    {
        final long handle = table.lookup(zones[i], protocols[i], hosts[i], servers[i], hostPorts[i], serverPorts[i]);
        final long tuple = table.translatedSource(handle) ^ (long)table.translatedDestination(handle) << 32 ^
            table.translatedSourcePort(handle) ^ (long)table.translatedDestinationPort(handle) << 16;
        return table.isCurrent(handle) ? tuple : 0;
    }

    private int advance()
    {
        final int i = next;
        next = i + 1 == CONNECTIONS ? 0 : i + 1;
        return i;
    }

    private void swap(final int a, final int b)
    {
        swap(zones, a, b);
        swap(protocols, a, b);
        swap(hosts, a, b);
        swap(servers, a, b);
        swap(hostPorts, a, b);
        swap(serverPorts, a, b);
        swap(natPorts, a, b);
    }

    private static void swap(final int[] values, final int a, final int b)
    {
        final int value = values[a];
        values[a] = values[b];
        values[b] = value;
    }
}
