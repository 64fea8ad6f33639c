package io.vireo.benches.route;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;
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
 * Longest-prefix-match lookups of random addresses, one per operation.
 * <p>
 * {@code ipv4}: 100,000 random prefixes whose lengths follow a BGP-like mix (60 % /24, 30 % /16 to /23,
 * 5 % /8 to /15, 5 % /25 to /32) and a default route, so every lookup answers; addresses are uniformly
 * random, pre-generated and cycled. {@code ipv6}: 10,000 prefixes under 2000::/3 (90 % /32 to /64,
 * 10 % /128), half of the addresses inside one of them, half random under 2000::/3.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class RouteLookupBenchmark
{
    private static final int IPV4_PREFIXES = 100_000;
    private static final int IPV6_PREFIXES = 10_000;
    private static final int ADDRESSES = 1 << 16;
    private static final long GLOBAL = 0x2000_0000_0000_0000L;

    private Ipv4RouteTable ipv4;
    private Ipv6RouteTable ipv6;
    private final int[] ipv4Addresses = new int[ADDRESSES];
    private final long[] ipv6High = new long[ADDRESSES];
    private final long[] ipv6Low = new long[ADDRESSES];
    private int next;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(29);
        ipv4 = new Ipv4RouteTable();
        ipv4.add(0, 0, 0);
        while (ipv4.size() < IPV4_PREFIXES + 1)
        {
            final int length = bgpLength(random);
            ipv4.add(random.nextInt() & (-1 << (32 - length)), length, 1 + random.nextInt(Ipv4RouteTable.MAX_NEXT_HOP));
        }
        for (int i = 0; i < ADDRESSES; i++)
        {
            ipv4Addresses[i] = random.nextInt();
        }

        ipv6 = new Ipv6RouteTable();
        final long[] prefixes = new long[IPV6_PREFIXES];
        final long[] lows = new long[IPV6_PREFIXES];
        for (int i = 0; i < IPV6_PREFIXES; i++)
        {
            final long address = GLOBAL | (random.nextLong() >>> 3);
            if (random.nextInt(10) == 0)
            {
                prefixes[i] = address;
                lows[i] = random.nextLong();
                ipv6.add(address, lows[i], 128, i);
            }
            else
            {
                final int length = 32 + random.nextInt(33);
                prefixes[i] = address & (-1L << (64 - length));
                ipv6.add(prefixes[i], 0, length, i);
            }
        }
        for (int i = 0; i < ADDRESSES; i++)
        {
            final int route = random.nextInt(IPV6_PREFIXES);
            final boolean inside = random.nextBoolean();
            ipv6High[i] = inside ? prefixes[route] : GLOBAL | (random.nextLong() >>> 3);
            ipv6Low[i] = inside ? lows[route] : random.nextLong();
        }
    }

    @TearDown
    public void tearDown()
    {
        ipv4.close();
        ipv6.close();
    }

    @Benchmark
    public int ipv4()
    {
        final int i = next++ & (ADDRESSES - 1);
        return ipv4.lookup(ipv4Addresses[i]);
    }

    @Benchmark
    public int ipv6()
    {
        final int i = next++ & (ADDRESSES - 1);
        return ipv6.lookup(ipv6High[i], ipv6Low[i]);
    }

    private static int bgpLength(final SplittableRandom random)
    {
        final int pick = random.nextInt(100);
        if (pick < 60)
        {
            return 24;
        }
        if (pick < 90)
        {
            return 16 + random.nextInt(8);
        }
        return pick < 95 ? 8 + random.nextInt(8) : 25 + random.nextInt(8);
    }
}
