package io.vireo.vswitch.core;

import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.port.Port;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.flowtable.policy.PolicyTable;
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
 * The whole forwarding pipeline per frame: receive into the burst (a 64-byte copy, as a real port's
 * read does), parse Ethernet, learn the source, build the flow key and hit the flow cache (the
 * policy and forwarding-table lookups run on a miss only), queue and flush to the egress port. Two ports exchange learned unicast, a burst each per duty cycle; the ports do no I/O,
 * so the figure is the switch's own cost.
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

    @Param({"64"})
    int frameLength;

    /** With a policy rule on the bridge, every frame goes through the flow key and the flow cache. */
    @Param({"false", "true"})
    boolean policy;

    private ForwardingTable fdb;
    private ForwardingAgent agent;

    /** A port that receives the same frame {@link #BURST} times per call and swallows what it is sent. */
    static final class SyntheticPort implements Port
    {
        private final String name;
        private final UnsafeBuffer frame;
        long transmitted;

        SyntheticPort(final String name, final byte[] frame)
        {
            this.name = name;
            this.frame = new UnsafeBuffer(frame);
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public String type()
        {
            return "synthetic";
        }

        @Override
        public int receive(final FrameBurst burst)
        {
            int received = 0;
            while (!burst.isFull())
            {
                burst.buffer().putBytes(burst.nextFrameOffset(), frame, 0, frame.capacity());
                burst.commit(frame.capacity());
                received++;
            }
            return received;
        }

        @Override
        public int transmit(final FrameBurst burst, final int[] indexes, final int count)
        {
            transmitted += count;
            return count;
        }

        @Override
        public int failure()
        {
            return 0;
        }

        @Override
        public void close()
        {
        }
    }

    @Setup
    public void setUp()
    {
        final long macA = MacAddress.parse("02:00:00:00:00:0a");
        final long macB = MacAddress.parse("02:00:00:00:00:0b");
        fdb = new ForwardingTable(65_536);
        final CountersManager counters = CountersFile.inMemory(64);
        final Generations generations = new Generations();
        final PolicyTable policyTable = new PolicyTable(generations);
        if (policy)
        {
            policyTable.add(0, PolicyRule.builder().deny().protocol(PolicyRule.PROTOCOL_TCP).destinationPorts(22, 22).build());
        }
        agent = new ForwardingAgent("bench", ForwardingAgent.ANY_CPU, fdb, new FrameBurst(BURST, 2048, 128), 1518, 16, 4,
            SystemEpochClock.INSTANCE, null, new ThreadCounters(counters, "bench"), generations, policyTable, 8192);
        agent.addBridge(0);
        agent.attach(new PortEntry(new SyntheticPort("a", frame(macB, macA)), 0, 0, new PortCounters(counters, "a"), BURST));
        agent.attach(new PortEntry(new SyntheticPort("b", frame(macA, macB)), 1, 0, new PortCounters(counters, "b"), BURST));
        agent.doWork(); // learn both MACs: from here on every frame is known unicast
    }

    private byte[] frame(final long destination, final long source)
    {
        final byte[] frame = new byte[frameLength];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        MacAddress.write(buffer, 0, destination);
        MacAddress.write(buffer, 6, source);
        buffer.putShort(12, (short)0x0800, java.nio.ByteOrder.BIG_ENDIAN);
        return frame;
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
