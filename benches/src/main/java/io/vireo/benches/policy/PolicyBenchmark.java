package io.vireo.benches.policy;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.flowtable.flowcache.FlowKey;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.IpPrefix;
import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.flowtable.policy.PolicyTable;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Endpoint policy classification, as on a flow-cache miss.
 * <p>
 * The rules look like what a container platform installs: per workload, allow TCP to its address
 * on a port or port range, UDP 53 to resolvers, deny from some subnets, a few IPv6 and MAC rules,
 * random priorities, default deny. Half the frames are made to match a random rule, half are
 * other traffic in the same address space (mostly decided by the default). Frames are
 * pre-generated and visited in random order.
 * <p>
 * {@code classifyLinearBaseline} decides the same frames with a plain first-match scan over
 * packed primitive arrays in priority order: what the bit-vector classifier is measured against.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class PolicyBenchmark
{
    private static final int BRIDGE_ID = 1;
    private static final int FRAMES = 4096;
    private static final int WORKLOADS = 0x0A00_0000;

    @Param({"10", "1000"})
    int rules;

    private PolicyTable policy;
    private LinearPolicy linear;
    private UnsafeBuffer frames;
    private final FlowKey key = new FlowKey();
    private int next;

    @Setup
    public void setUp()
    {
        final SplittableRandom random = new SplittableRandom(23);
        policy = new PolicyTable(new Generations());
        policy.defaultAction(BRIDGE_ID, PolicyTable.DENY);
        for (int i = 0; i < rules; i++)
        {
            policy.add(BRIDGE_ID, randomRule(random, i));
        }
        final List<PolicyRule> added = policy.list(BRIDGE_ID);
        linear = new LinearPolicy(added, PolicyTable.DENY);

        frames = new UnsafeBuffer(new byte[FRAMES * FlowKey.LENGTH]);
        for (int frame = 0; frame < FRAMES; frame++)
        {
            key.wrap(frames, frame * FlowKey.LENGTH);
            if (random.nextBoolean())
            {
                frameMatching(random, added.get(random.nextInt(added.size())), key);
            }
            else
            {
                otherFrame(random, key);
            }
            if (linear.classify(key) != policy.classify(key))
            {
                throw new IllegalStateException("baseline and policy disagree on " + key);
            }
        }
    }

    @Benchmark
    public int classify()
    {
        return policy.classify(nextFrame());
    }

    @Benchmark
    public int classifyLinearBaseline()
    {
        return linear.classify(nextFrame());
    }

    private FlowKey nextFrame()
    {
        return key.wrap(frames, (next++ & (FRAMES - 1)) * FlowKey.LENGTH);
    }

    private static PolicyRule randomRule(final SplittableRandom random, final int index)
    {
        final PolicyRule.Builder rule = PolicyRule.builder().priority(random.nextInt(1000));
        final int kind = random.nextInt(20);
        if (kind < 12)
        {
            final int port = random.nextInt(4) == 0 ? 8000 + random.nextInt(100) : 80 + random.nextInt(2) * 363;
            rule.allow().protocol(PolicyRule.PROTOCOL_TCP)
                .destinationPrefix(IpPrefix.ipv4(WORKLOADS + index, 32))
                .destinationPorts(port, port + (port >= 8000 ? random.nextInt(10) : 0));
        }
        else if (kind < 14)
        {
            rule.allow().protocol(PolicyRule.PROTOCOL_UDP).destinationPorts(53, 53)
                .destinationPrefix(IpPrefix.ipv4((WORKLOADS + random.nextInt(1 << 16)) & ~0xFF, 24));
        }
        else if (kind < 17)
        {
            rule.deny().sourcePrefix(IpPrefix.ipv4((WORKLOADS + random.nextInt(1 << 16)) & ~0xFF, 24 + random.nextInt(9)));
        }
        else if (kind < 19)
        {
            rule.allow().protocol(PolicyRule.PROTOCOL_TCP)
                .destinationPrefix(IpPrefix.ipv6(0xFD00_0000_0000_0000L, index, 128))
                .sourcePrefix(IpPrefix.ipv6(0xFD00_0000_0000_0000L, 0, 64));
        }
        else
        {
            rule.deny().sourceMac(0x0200_0000_0000L | random.nextInt(1 << 16));
        }
        return rule.build();
    }

    private static void frameMatching(final SplittableRandom random, final PolicyRule rule, final FlowKey key)
    {
        otherFrame(random, key);
        final IpPrefix prefix = null != rule.destinationPrefix() ? rule.destinationPrefix() : rule.sourcePrefix();
        if (null != prefix && !prefix.isIpv4())
        {
            key.etherType(FlowKey.ETHERTYPE_IPV6).ipv6Source(0xFD00_0000_0000_0000L, random.nextLong())
                .ipv6Destination(0xFD00_0000_0000_0000L, random.nextLong());
        }
        final IpPrefix source = rule.sourcePrefix();
        if (null != source)
        {
            if (source.isIpv4())
            {
                key.ipv4Source((int)source.low() | (random.nextInt() & (int)(0xFFFF_FFFFL >>> source.length())));
            }
            else
            {
                key.ipv6Source(source.high(), random.nextLong()); // the rules' IPv6 sources are /64
            }
        }
        final IpPrefix destination = rule.destinationPrefix();
        if (null != destination)
        {
            if (destination.isIpv4())
            {
                key.ipv4Destination((int)destination.low() | (random.nextInt() & (int)(0xFFFF_FFFFL >>> destination.length())));
            }
            else
            {
                key.ipv6Destination(destination.high(), destination.low());
            }
        }
        if (PolicyRule.ANY_PROTOCOL != rule.protocol())
        {
            key.protocol(rule.protocol());
        }
        if (rule.hasDestinationPorts())
        {
            key.destinationPort(rule.destinationPortLow() +
                random.nextInt(rule.destinationPortHigh() - rule.destinationPortLow() + 1));
        }
        if (PolicyRule.ANY_MAC != rule.sourceMac())
        {
            key.sourceMac(rule.sourceMac());
        }
    }

    private static void otherFrame(final SplittableRandom random, final FlowKey key)
    {
        key.reset()
            .ingressPort(random.nextInt(16))
            .bridgeId(BRIDGE_ID)
            .sourceMac(0x0200_0000_0000L | random.nextInt(1 << 16))
            .destinationMac(0x0200_0000_0000L | random.nextInt(1 << 16))
            .etherType(FlowKey.ETHERTYPE_IPV4)
            .ipv4Source(WORKLOADS + random.nextInt(1 << 16))
            .ipv4Destination(WORKLOADS + random.nextInt(1 << 12))
            .protocol(random.nextInt(8) == 0 ? PolicyRule.PROTOCOL_UDP : PolicyRule.PROTOCOL_TCP)
            .sourcePort(1024 + random.nextInt(60_000))
            .destinationPort(random.nextInt(4) == 0 ? 53 : 80 + random.nextInt(9000));
    }

    /**
     * First match over the rules in evaluation order, each field in its own primitive array, the
     * cheapest and most selective checks first.
     */
    static final class LinearPolicy
    {
        /** Source then destination prefix, each as value high, value low, mask high, mask low. */
        private static final int PREFIX_STRIDE = 8;

        private final int count;
        private final int defaultVerdict;
        private final int[] verdicts;
        private final int[] protocols;
        private final int[] destinationPortLows;
        private final int[] destinationPortHighs;
        private final int[] sourcePortLows;
        private final int[] sourcePortHighs;
        private final int[] families;
        private final long[] prefixes;
        private final long[] sourceMacs;
        private final long[] destinationMacs;

        LinearPolicy(final List<PolicyRule> rules, final int defaultAction)
        {
            count = rules.size();
            defaultVerdict = defaultAction;
            verdicts = new int[count];
            protocols = new int[count];
            destinationPortLows = new int[count];
            destinationPortHighs = new int[count];
            sourcePortLows = new int[count];
            sourcePortHighs = new int[count];
            families = new int[count];
            prefixes = new long[count * PREFIX_STRIDE];
            sourceMacs = new long[count];
            destinationMacs = new long[count];
            for (int i = 0; i < count; i++)
            {
                final PolicyRule rule = rules.get(i);
                verdicts[i] = (rule.id() << 1) | rule.action();
                protocols[i] = rule.protocol();
                destinationPortLows[i] = rule.destinationPortLow();
                destinationPortHighs[i] = rule.destinationPortHigh();
                sourcePortLows[i] = rule.sourcePortLow();
                sourcePortHighs[i] = rule.sourcePortHigh();
                sourceMacs[i] = rule.sourceMac();
                destinationMacs[i] = rule.destinationMac();
                final IpPrefix prefix = null != rule.sourcePrefix() ? rule.sourcePrefix() : rule.destinationPrefix();
                families[i] = null == prefix ? 0 : prefix.isIpv4() ? FlowKey.ETHERTYPE_IPV4 : FlowKey.ETHERTYPE_IPV6;
                packPrefix(rule.sourcePrefix(), i * PREFIX_STRIDE);
                packPrefix(rule.destinationPrefix(), i * PREFIX_STRIDE + 4);
            }
        }

        /** All zero, matching anything, when absent. */
        private void packPrefix(final IpPrefix prefix, final int at)
        {
            if (null != prefix)
            {
                final int length = prefix.isIpv4() ? prefix.length() + 96 : prefix.length();
                prefixes[at] = prefix.high();
                prefixes[at + 1] = prefix.low();
                prefixes[at + 2] = 0 == length ? 0 : length >= 64 ? -1L : -1L << (64 - length);
                prefixes[at + 3] = length <= 64 ? 0 : -1L << (128 - length);
            }
        }

        int classify(final FlowKey key)
        {
            final int etherType = key.etherType();
            final boolean ip = FlowKey.ETHERTYPE_IPV4 == etherType || FlowKey.ETHERTYPE_IPV6 == etherType;
            final int protocol = ip ? key.protocol() : -2;
            final int sourcePort = key.sourcePort();
            final int destinationPort = key.destinationPort();
            final long sourceHigh = key.sourceAddressHigh();
            final long sourceLow = key.sourceAddressLow();
            final long destinationHigh = key.destinationAddressHigh();
            final long destinationLow = key.destinationAddressLow();
            final long sourceMac = key.sourceMac();
            final long destinationMac = key.destinationMac();
            for (int i = 0; i < count; i++)
            {
                final int at = i * PREFIX_STRIDE;
                if ((PolicyRule.ANY_PROTOCOL == protocols[i] || protocol == protocols[i]) &&
                    destinationPort >= destinationPortLows[i] && destinationPort <= destinationPortHighs[i] &&
                    (0 == families[i] || etherType == families[i]) &&
                    ((destinationHigh & prefixes[at + 6]) == prefixes[at + 4]) &&
                    ((destinationLow & prefixes[at + 7]) == prefixes[at + 5]) &&
                    ((sourceHigh & prefixes[at + 2]) == prefixes[at]) &&
                    ((sourceLow & prefixes[at + 3]) == prefixes[at + 1]) &&
                    sourcePort >= sourcePortLows[i] && sourcePort <= sourcePortHighs[i] &&
                    (PolicyRule.ANY_MAC == sourceMacs[i] || sourceMac == sourceMacs[i]) &&
                    (PolicyRule.ANY_MAC == destinationMacs[i] || destinationMac == destinationMacs[i]))
                {
                    return verdicts[i];
                }
            }
            return defaultVerdict;
        }
    }
}
