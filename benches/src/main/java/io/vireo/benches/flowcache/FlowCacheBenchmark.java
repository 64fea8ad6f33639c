package io.vireo.benches.flowcache;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.flowtable.flowcache.FlowCache;
import io.vireo.flowtable.flowcache.FlowKey;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyRule;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The flow cache at its default capacity (8192 entries).
 * <ul>
 *   <li>{@code hit}: {@code flows} cached flows (random IPv4 and IPv6 TCP/UDP five-tuples, only those
 *   that stayed resident after inserting them all) looked up in a pre-generated random order, the
 *   keys already filled in a burst buffer as the pipeline leaves them.</li>
 *   <li>{@code missAndInsert}: a flow never seen (the source port and address change on every
 *   call): the lookup misses, then the generation is read and the action inserted, replacing an
 *   entry of the set.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class FlowCacheBenchmark
{
    private static final int BRIDGE_ID = 1;
    private static final int ORDER_LENGTH = 1 << 16;

    @Param({"64", "4096"})
    int flows;

    private Generations generations;
    private FlowCache cache;
    private UnsafeBuffer keys;
    private final FlowKey key = new FlowKey();
    private int[] order;
    private int next;
    private final FlowKey newFlow = new FlowKey();
    private int newFlows;

    @Setup
    public void setUp()
    {
        generations = new Generations();
        cache = new FlowCache(FlowCache.DEFAULT_CAPACITY, generations);
        final SplittableRandom random = new SplittableRandom(17);
        keys = new UnsafeBuffer(new byte[flows * FlowKey.LENGTH]);
        for (int flow = 0; flow < flows; flow++)
        {
            randomFlow(random, key.wrap(keys, flow * FlowKey.LENGTH));
            cache.insert(key, flow, generations.current(BRIDGE_ID));
        }

        int resident = 0;
        for (int flow = 0; flow < flows; flow++)
        {
            if (FlowCache.MISS != cache.lookup(key.wrap(keys, flow * FlowKey.LENGTH)))
            {
                keys.putBytes(resident++ * FlowKey.LENGTH, keys, flow * FlowKey.LENGTH, FlowKey.LENGTH);
            }
        }
        order = new int[ORDER_LENGTH];
        for (int i = 0; i < ORDER_LENGTH; i++)
        {
            order[i] = random.nextInt(resident) * FlowKey.LENGTH;
        }

        newFlow.bridgeId(BRIDGE_ID).ingressPort(2).sourceMac(0x0200_0000_0001L).destinationMac(0x0200_0000_0002L)
            .etherType(FlowKey.ETHERTYPE_IPV4).ipv4Destination(0x0A00_0002).protocol(PolicyRule.PROTOCOL_TCP)
            .destinationPort(443);
    }

    @TearDown
    public void tearDown()
    {
        cache.close();
    }

    @Benchmark
    public int hit()
    {
        return cache.lookup(key.wrap(keys, order[next++ & (ORDER_LENGTH - 1)]));
    }

    @Benchmark
    public int missAndInsert()
    {
        final int flow = newFlows++;
        newFlow.sourcePort(flow & 0xFFFF).ipv4Source(0x0B00_0000 + (flow >>> 16));
        final int action = cache.lookup(newFlow);
        if (FlowCache.MISS == action)
        {
            cache.insert(newFlow, flow, generations.current(BRIDGE_ID));
        }
        return action;
    }

    private static void randomFlow(final SplittableRandom random, final FlowKey key)
    {
        key.reset()
            .ingressPort(random.nextInt(16))
            .bridgeId(BRIDGE_ID)
            .sourceMac(0x0200_0000_0000L | random.nextInt(1 << 16))
            .destinationMac(0x0200_0000_0000L | random.nextInt(1 << 16))
            .protocol(random.nextBoolean() ? PolicyRule.PROTOCOL_TCP : PolicyRule.PROTOCOL_UDP)
            .sourcePort(1024 + random.nextInt(60_000))
            .destinationPort(random.nextInt(1024));
        if (random.nextInt(4) == 0)
        {
            key.etherType(FlowKey.ETHERTYPE_IPV6)
                .ipv6Source(0xFD00_0000_0000_0000L, random.nextLong())
                .ipv6Destination(0xFD00_0000_0000_0000L, random.nextLong());
        }
        else
        {
            key.etherType(FlowKey.ETHERTYPE_IPV4)
                .ipv4Source(0x0A00_0000 | random.nextInt(1 << 16))
                .ipv4Destination(0x0A00_0000 | random.nextInt(1 << 16));
        }
    }
}
