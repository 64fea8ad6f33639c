package io.vireo.benches.suppression;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.gateway.suppression.SuppressionTable;
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
 * Lookups in the ARP/ND suppression table at the switch's default size, full: 100,000 endpoints with an
 * IPv4 and an IPv6 address each (200,000 entries, 6.4 MB, far beyond the caches), on 16 bridges. Addresses
 * are pre-generated and cycled: {@code hit} asks for ones it has, {@code miss} for ones it has not (a request
 * that floods on).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class SuppressionTableBenchmark
{
    private static final int ENDPOINTS = 100_000;
    private static final int BRIDGES = 16;
    private static final int KEYS = 1 << 16;
    private static final long ULA = 0xFD00_0000_0000_0000L;

    private SuppressionTable table;
    private final int[] bridges = new int[KEYS];
    private final int[] ipv4 = new int[KEYS];
    private final long[] ipv6Low = new long[KEYS];
    private final int[] unknown = new int[KEYS];
    private int next;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(16);
        table = new SuppressionTable(2 * ENDPOINTS);
        final int[] endpointBridges = new int[ENDPOINTS];
        final int[] endpointAddresses = new int[ENDPOINTS];
        for (int i = 0; i < ENDPOINTS; i++)
        {
            endpointBridges[i] = random.nextInt(BRIDGES);
            endpointAddresses[i] = 0x0A00_0000 | i;
            final long mac = 0x0200_0000_0000L | i;
            table.putIpv4(endpointBridges[i], endpointAddresses[i], mac);
            table.putIpv6(endpointBridges[i], ULA, i, mac);
        }
        for (int i = 0; i < KEYS; i++)
        {
            final int endpoint = random.nextInt(ENDPOINTS);
            bridges[i] = endpointBridges[endpoint];
            ipv4[i] = endpointAddresses[endpoint];
            ipv6Low[i] = endpoint;
            unknown[i] = 0x0B00_0000 | random.nextInt(1 << 24);
        }
    }

    @TearDown
    public void tearDown()
    {
        table.close();
    }

    @Benchmark
    public long ipv4Hit()
    {
        final int i = next++ & (KEYS - 1);
        return table.lookupIpv4(bridges[i], ipv4[i]);
    }

    @Benchmark
    public long ipv6Hit()
    {
        final int i = next++ & (KEYS - 1);
        return table.lookupIpv6(bridges[i], ULA, ipv6Low[i]);
    }

    @Benchmark
    public long ipv4Miss()
    {
        final int i = next++ & (KEYS - 1);
        return table.lookupIpv4(bridges[i], unknown[i]);
    }
}
