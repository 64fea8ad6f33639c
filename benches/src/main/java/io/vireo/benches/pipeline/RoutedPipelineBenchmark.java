package io.vireo.benches.pipeline;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.gateway.conntrack.ConnectionTable;
import io.vireo.gateway.nat.NatRules;
import io.vireo.gateway.route.Ipv4RouteTable;
import io.vireo.gateway.route.Ipv6RouteTable;
import io.vireo.gateway.router.NeighbourTable;
import io.vireo.gateway.router.NextHop;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterInterface;
import io.vireo.gateway.router.RouterView;
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
 * The routed path per frame, through the pipeline's public seam: a burst of UDP datagrams from port A
 * on bridge 0 to the router's MAC, routed by the router stage (header check, TTL and checksum, longest
 * prefix match, next hop known) onto bridge 1 and out of port B. The ports do no I/O.
 * <p>
 * {@code policy}: {@code none}, no bridge has a policy; {@code egress}, bridge 1 (where the frames are
 * routed to) has one rule that none of them matches, so each routed frame is checked against it through
 * the thread's flow cache (one flow, every lookup a hit after the first).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class RoutedPipelineBenchmark
{
    private static final int BURST = 32;
    private static final long MAC_A = 0x02_00_00_00_00_0AL;
    private static final long MAC_B = 0x02_00_00_00_00_0BL;
    private static final long MAC_R0 = 0x02_00_00_00_01_00L;
    private static final long MAC_R1 = 0x02_00_00_00_01_01L;
    private static final int IP_A = 0x0A01_0002;
    private static final int IP_B = 0x0A02_0002;

    @Param({"none", "egress"})
    String policy;

    private ForwardingTable fdb;
    private NeighbourTable neighbours;
    private Ipv4RouteTable ipv4Routes;
    private Ipv6RouteTable ipv6Routes;
    private ConnectionTable connections;
    private ForwardingAgent agent;

    /** Receives {@link #BURST} copies of one frame per call; swallows what it is sent. */
    static final class TemplatePort extends SinkPort
    {
        private final UnsafeBuffer template;

        TemplatePort(final String name, final UnsafeBuffer template)
        {
            super(name);
            this.template = template;
        }

        @Override
        public int receive(final FrameBurst burst)
        {
            if (null == template)
            {
                return 0;
            }
            int received = 0;
            while (!burst.isFull())
            {
                burst.buffer().putBytes(burst.nextFrameOffset(), template, 0, template.capacity());
                burst.clearNextNetHeader();
                burst.commit(template.capacity());
                received++;
            }
            return received;
        }
    }

    @Setup
    public void setUp()
    {
        fdb = new ForwardingTable(65_536);
        neighbours = new NeighbourTable(1024);
        ipv4Routes = new Ipv4RouteTable(16);
        ipv6Routes = new Ipv6RouteTable(16);
        connections = new ConnectionTable(1024);
        final long now = SystemEpochClock.INSTANCE.time();
        fdb.learn(1, 0, MAC_B, 1, now);
        neighbours.learnIpv4(1, IP_B, MAC_B, now);

        final CountersManager counters = CountersFile.inMemory(256);
        final Generations generations = new Generations();
        final PolicyTable policyTable = new PolicyTable(generations);
        final Features features = new Features(4);
        if ("egress".equals(policy))
        {
            features.set(1, Features.POLICY, true);
            policyTable.add(1, PolicyRule.builder().deny().protocol(PolicyRule.PROTOCOL_TCP).destinationPorts(22, 22).build());
        }
        final RouterDirectory directory = new RouterDirectory(4);
        final Pipeline pipeline = new Pipeline(fdb, policyTable, generations, features,
            new Pipeline.Geometry(BURST, 2048, 128, 1518, 16, 4, 8192), directory, neighbours, connections);
        agent = pipeline.newAgent("bench", ForwardingAgent.ANY_CPU, SystemEpochClock.INSTANCE, null,
            new ThreadCounters(counters, "bench"));
        final ForwardingProxy proxy = new ForwardingProxy(new ForwardingAgent[] {agent}, agent::doWork);
        proxy.addBridge(0);
        proxy.addBridge(1);
        proxy.attach(new PortEntry[] {new PortEntry(new TemplatePort("a", udpToB()), 0, 0, new PortCounters(counters, "a"), BURST)});
        proxy.attach(new PortEntry[] {new PortEntry(new TemplatePort("b", null), 1, 1, new PortCounters(counters, "b"), BURST)});

        final RouterInterface on0 = new RouterInterface(0, 0, MAC_R0, 1500, new int[] {0x0A01_0001}, new int[] {24},
            new long[0], new long[0], new int[0]);
        final RouterInterface on1 = new RouterInterface(0, 1, MAC_R1, 1500, new int[] {0x0A02_0001}, new int[] {24},
            new long[0], new long[0], new int[0]);
        directory.publish(new RouterDirectory.Snapshot(new RouterInterface[] {on0, on1, null, null},
            new RouterView[] {new RouterView(0, ipv4Routes, ipv6Routes,
                new NextHop[] {NextHop.connected(0), NextHop.connected(1)}, new RouterInterface[] {on0, on1}, NatRules.NONE)}));
        ipv4Routes.add(0x0A01_0000, 24, 0);
        ipv4Routes.add(0x0A02_0000, 24, 1);
        features.set(0, Features.ROUTER, true);
        features.set(1, Features.ROUTER, true);
    }

    /** A 64-byte frame: UDP from A to B through the router, header checksum right. */
    private static UnsafeBuffer udpToB()
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[64]);
        final ByteOrder network = ByteOrder.BIG_ENDIAN;
        MacAddress.write(frame, 0, MAC_R0);
        MacAddress.write(frame, 6, MAC_A);
        frame.putShort(12, (short)0x0800, network);
        frame.putByte(14, (byte)0x45);
        frame.putShort(16, (short)(64 - 14), network);
        frame.putByte(22, (byte)64);
        frame.putByte(23, (byte)17);
        frame.putInt(26, IP_A, network);
        frame.putInt(30, IP_B, network);
        frame.putShort(24, (short)Checksums.checksum(frame, 14, 20), network);
        frame.putShort(34, (short)5000, network);
        frame.putShort(36, (short)5001, network);
        frame.putShort(38, (short)(64 - 34), network);
        return frame;
    }

    /** One duty cycle: a burst from A routed to B; reported per frame. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int routePerFrame()
    {
        return agent.doWork();
    }

    @TearDown
    public void tearDown()
    {
        fdb.close();
        neighbours.close();
        ipv4Routes.close();
        ipv6Routes.close();
        connections.close();
    }
}
