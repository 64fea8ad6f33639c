package io.vireo.benches.pipeline;

import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.vswitch.core.CountersFile;
import io.vireo.vswitch.pipeline.ForwardingAgent;
import io.vireo.vswitch.pipeline.ForwardingProxy;
import io.vireo.vswitch.pipeline.Pipeline;
import io.vireo.vswitch.pipeline.PortEntry;
import io.vireo.vswitch.pipeline.ThreadCounters;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole forwarding pipeline per frame, through its public seam ({@link Pipeline},
 * {@link ForwardingProxy}): receive into the burst (a 64-byte copy, as a real port's read does), then
 * the stages: parse, learn the source, [policy: flow key and flow cache, the policy and forwarding-table
 * lookups on a miss], L2 lookup, queue and flush to the egress port. Two ports exchange known unicast, a
 * burst each per duty cycle; the ports do no I/O, so the figure is the switch's own cost.
 * <p>
 * The forwarding table holds {@code macs} MACs, half behind each port, and every frame carries a source
 * and a destination drawn at random from them, so at 1 M MACs both the learn (a refresh) and the lookup
 * of each frame miss the CPU caches, as a switch facing a million endpoints does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class PipelineBenchmark
{
    private static final int BURST = 32;
    private static final int FRAME_LENGTH = 64;
    /** Frames each port cycles through, each with its own MACs: more than any cache holds at 1 M MACs. */
    private static final int SEQUENCE = 1 << 20;

    /** MACs in the forwarding table, half behind each port (2: every frame the same, as a single flow). */
    @Param({"2", "1000", "1000000"})
    int macs;

    /** With a policy rule on the bridge, every frame goes through the flow key and the flow cache. */
    @Param({"false", "true"})
    boolean policy;

    private ForwardingTable fdb;
    private ForwardingAgent agent;

    /** A port that receives {@link #BURST} frames per call, each with the next MACs of its sequence, and swallows what it is sent. */
    static final class SyntheticPort extends SinkPort
    {
        private final long[] sources;
        private final long[] destinations;
        private int next;

        SyntheticPort(final String name, final long[] sources, final long[] destinations)
        {
            super(name);
            this.sources = sources;
            this.destinations = destinations;
        }

        @Override
        public int receive(final FrameBurst burst)
        {
            int received = 0;
            while (!burst.isFull())
            {
                final UnsafeBuffer buffer = burst.buffer();
                final int offset = burst.nextFrameOffset();
                buffer.setMemory(offset, FRAME_LENGTH, (byte)0);
                MacAddress.write(buffer, offset, destinations[next]);
                MacAddress.write(buffer, offset + 6, sources[next]);
                buffer.putShort(offset + 12, (short)0x0800, ByteOrder.BIG_ENDIAN);
                next = (next + 1) & (SEQUENCE - 1);
                burst.clearNextNetHeader();
                burst.commit(FRAME_LENGTH);
                received++;
            }
            return received;
        }
    }

    @Setup
    public void setUp()
    {
        final int perPort = macs / 2;
        fdb = new ForwardingTable(Math.max(65_536, 4 * macs));
        final long[] macsA = new long[perPort];
        final long[] macsB = new long[perPort];
        final long now = SystemEpochClock.INSTANCE.time();
        for (int i = 0; i < perPort; i++)
        {
            macsA[i] = 0x02_00_00_00_00_00L | i;
            macsB[i] = 0x02_00_00_80_00_00L | i;
            fdb.learn(0, 0, macsA[i], 0, now);
            fdb.learn(0, 0, macsB[i], 1, now);
        }
        final SplittableRandom random = new SplittableRandom(42);
        final long[] fromA = new long[SEQUENCE];
        final long[] toB = new long[SEQUENCE];
        final long[] fromB = new long[SEQUENCE];
        final long[] toA = new long[SEQUENCE];
        for (int i = 0; i < SEQUENCE; i++)
        {
            fromA[i] = macsA[random.nextInt(perPort)];
            toB[i] = macsB[random.nextInt(perPort)];
            fromB[i] = macsB[random.nextInt(perPort)];
            toA[i] = macsA[random.nextInt(perPort)];
        }

        // Room for the thread's counters and each port's, one per drop reason.
        final CountersManager counters = CountersFile.inMemory(256);
        final Generations generations = new Generations();
        final PolicyTable policyTable = new PolicyTable(generations);
        final Features features = new Features(4);
        if (policy)
        {
            features.set(0, Features.POLICY, true);
            policyTable.add(0, PolicyRule.builder().deny().protocol(PolicyRule.PROTOCOL_TCP).destinationPorts(22, 22).build());
        }
        final Pipeline pipeline = new Pipeline(fdb, policyTable, generations, features,
            new Pipeline.Geometry(BURST, 2048, 128, 1518, 16, 4, 8192));
        agent = pipeline.newAgent("bench", ForwardingAgent.ANY_CPU, SystemEpochClock.INSTANCE, null,
            new ThreadCounters(counters, "bench"));
        final ForwardingProxy proxy = new ForwardingProxy(new ForwardingAgent[] {agent}, agent::doWork);
        proxy.addBridge(0);
        proxy.attach(new PortEntry[] {new PortEntry(new SyntheticPort("a", fromA, toB), 0, 0, new PortCounters(counters, "a"), BURST)});
        proxy.attach(new PortEntry[] {new PortEntry(new SyntheticPort("b", fromB, toA), 1, 0, new PortCounters(counters, "b"), BURST)});
    }

    /** One duty cycle: a burst from each of the two ports; reported per frame. */
    @Benchmark
    @OperationsPerInvocation(2 * BURST)
    public int forwardPerFrame()
    {
        return agent.doWork();
    }

    @TearDown
    public void tearDown()
    {
        fdb.close();
    }
}
