package io.vireo.benches.pipeline;

import java.nio.ByteOrder;
import java.util.SplittableRandom;
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
 * <p>
 * {@code nat}: {@code none}, the router has no NAT rules; {@code masquerade-1m}, it masquerades what leaves by
 * bridge 1, and its connection table holds {@value #CONNECTIONS} such connections, established (created as the
 * router creates them), whose packets the bursts carry in a random order, pre-generated and cycled: each frame's
 * connection lookup finds its index bucket and entry far from the last one's, as at a gateway with a million
 * flows, and each frame leaves translated.
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
    private static final int IP_R1 = 0x0A02_0001;
    private static final int CONNECTIONS = 1_000_000;
    private static final int UDP = 17;

    @Param({"none", "egress"})
    String policy;

    @Param({"none", "masquerade-1m"})
    String nat;

    private ForwardingTable fdb;
    private NeighbourTable neighbours;
    private Ipv4RouteTable ipv4Routes;
    private Ipv6RouteTable ipv6Routes;
    private ConnectionTable connections;
    private ForwardingAgent agent;

    /**
     * Receives {@link #BURST} copies of one UDP frame per call, each with the next of {@code ports} (source port in
     * the high 16 bits, destination port in the low), cycled, as its ports if there are any; swallows what it is sent.
     */
    static final class TemplatePort extends SinkPort
    {
        private static final int PORTS_OFFSET = 34;

        private final UnsafeBuffer template;
        private final int[] ports;
        private int next;

        TemplatePort(final String name, final UnsafeBuffer template, final int[] ports)
        {
            super(name);
            this.template = template;
            this.ports = ports;
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
                if (ports.length > 0)
                {
                    burst.buffer().putInt(burst.nextFrameOffset() + PORTS_OFFSET, ports[next], ByteOrder.BIG_ENDIAN);
                    next = next + 1 == ports.length ? 0 : next + 1;
                }
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
        final boolean masquerade = "masquerade-1m".equals(nat);
        connections = new ConnectionTable(masquerade ? CONNECTIONS : 1024);
        final long now = SystemEpochClock.INSTANCE.time();
        final int[] ports = masquerade ? masqueradedConnections(connections, now) : new int[0];
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
        proxy.attach(new PortEntry[] {
            new PortEntry(new TemplatePort("a", udpToB(), ports), 0, 0, new PortCounters(counters, "a"), BURST)});
        proxy.attach(new PortEntry[] {
            new PortEntry(new TemplatePort("b", null, new int[0]), 1, 1, new PortCounters(counters, "b"), BURST)});

        final RouterInterface on0 = new RouterInterface(0, 0, MAC_R0, 1500, new int[] {0x0A01_0001}, new int[] {24},
            new long[0], new long[0], new int[0]);
        final RouterInterface on1 = new RouterInterface(0, 1, MAC_R1, 1500, new int[] {0x0A02_0001}, new int[] {24},
            new long[0], new long[0], new int[0]);
        directory.publish(new RouterDirectory.Snapshot(new RouterInterface[] {on0, on1, null, null},
            new RouterView[] {new RouterView(0, ipv4Routes, ipv6Routes,
                new NextHop[] {NextHop.connected(0), NextHop.connected(1)}, new RouterInterface[] {on0, on1},
                masquerade ? masqueradeOutOf1() : NatRules.NONE)}));
        ipv4Routes.add(0x0A01_0000, 24, 0);
        ipv4Routes.add(0x0A02_0000, 24, 1);
        features.set(0, Features.ROUTER, true);
        features.set(1, Features.ROUTER, true);
    }

    /**
     * Fills the table with {@value #CONNECTIONS} connections from A to B as the router's masquerade out of bridge 1
     * creates them (zone 0, B's replies to the router's address there), with distinct random port pairs and NAT
     * ports, established both ways.
     *
     * @return the connections' ports, {@code source << 16 | destination}, in a random order.
     */
    private static int[] masqueradedConnections(final ConnectionTable table, final long now)
    {
        final SplittableRandom random = new SplittableRandom(17);
        final int[] ports = new int[CONNECTIONS];
        int created = 0;
        while (created < CONNECTIONS)
        {
            final int sourcePort = 1 + random.nextInt(0xFFFF);
            final int destinationPort = 1 + random.nextInt(0xFFFF);
            final int natPort = 1 + random.nextInt(0xFFFF);
            final long handle = table.create(0, UDP, IP_A, IP_B, sourcePort, destinationPort, IP_B, IP_R1,
                destinationPort, natPort, now);
            if (handle >= 0)
            {
                table.seen(handle, 0, now);
                table.seen(handle | 1, 0, now);
                ports[created++] = sourcePort << 16 | destinationPort;
            }
        }
        // Created into consecutive entries: send them in another order.
        for (int i = CONNECTIONS - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int swapped = ports[i];
            ports[i] = ports[j];
            ports[j] = swapped;
        }
        return ports;
    }

    /** Masquerade of whatever leaves by bridge 1. */
    private static NatRules masqueradeOutOf1()
    {
        return new NatRules(new int[] {1}, new int[] {0}, new int[] {0}, new int[0], new int[0], new int[0], new int[0],
            new int[0]);
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
