package io.vireo.vswitch.pipeline;

import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.pipeline.Destination;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.PortCounters;
import io.vireo.dataplane.port.Port;
import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.flowtable.policy.PolicyRule;
import io.vireo.flowtable.policy.PolicyTable;
import io.vireo.vswitch.core.CountersFile;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipeline through its public seam with ports that record what they are sent, among them a port
 * with peers as a VXLAN port is one: learning against a peer, frames for a peer carrying it in their
 * metadata, flooding to every peer, split horizon, the egress MTU with its ICMP answer, and stages
 * switched by feature bits. No port type is special to the pipeline: the port with peers here is a
 * plain test port.
 */
class PipelineTest
{
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");
    private static final long MAC_R = MacAddress.parse("02:00:00:00:00:0e");
    private static final long BROADCAST = MacAddress.parse("ff:ff:ff:ff:ff:ff");
    private static final int BURST = 8;
    private static final int PEER = 5;

    private final CachedEpochClock clock = new CachedEpochClock();
    private final CountersManager counters = CountersFile.inMemory(256);
    private final ForwardingTable fdb = new ForwardingTable(1024);
    private final Generations generations = new Generations();
    private final PolicyTable policy = new PolicyTable(generations);
    private final Features features = new Features(4);
    private ForwardingAgent agent;
    private ForwardingProxy proxy;
    private final RecordingPort a = new RecordingPort("a", 0);
    private final RecordingPort b = new RecordingPort("b", 0);
    private final RecordingPort tunnel = new RecordingPort("tun", 100);
    private final PortEntry[] entries = new PortEntry[3];

    /** A port that receives what a test queues (with a peer) and records each frame it is sent with its peer. */
    static final class RecordingPort implements Port
    {
        record Sent(long destination, long source, int length, int peer)
        {
        }

        final String name;
        final int mtu;
        final Queue<byte[]> toReceive = new ArrayDeque<>();
        final Queue<Integer> peers = new ArrayDeque<>();
        final List<Sent> sent = new ArrayList<>();
        /** The bytes of each frame sent, in {@link #sent}'s order. */
        final List<byte[]> sentBytes = new ArrayList<>();
        /** The virtio-net header every frame is received with; null: zeroed. */
        byte[] netHeader;

        RecordingPort(final String name, final int mtu)
        {
            this.name = name;
            this.mtu = mtu;
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public String type()
        {
            return "recording";
        }

        @Override
        public int mtu()
        {
            return mtu;
        }

        @Override
        public int receive(final FrameBurst burst)
        {
            int received = 0;
            while (!burst.isFull() && !toReceive.isEmpty())
            {
                final byte[] frame = toReceive.poll();
                burst.clearNextNetHeader();
                if (null != netHeader)
                {
                    burst.buffer().putBytes(burst.nextFrameOffset() - FrameBurst.NET_HEADER_LENGTH, netHeader);
                }
                burst.buffer().putBytes(burst.nextFrameOffset(), frame);
                burst.commit(frame.length);
                burst.peer(burst.size() - 1, peers.poll());
                received++;
            }
            return received;
        }

        @Override
        public int transmit(final FrameBurst burst, final int[] indexes, final int count)
        {
            for (int i = 0; i < count; i++)
            {
                final int offset = burst.frameOffset(indexes[i]);
                sent.add(new Sent(MacAddress.read(burst.buffer(), offset), MacAddress.read(burst.buffer(), offset + 6),
                    burst.frameLength(indexes[i]), burst.peer(indexes[i])));
                final byte[] bytes = new byte[burst.frameLength(indexes[i])];
                burst.buffer().getBytes(offset, bytes);
                sentBytes.add(bytes);
            }
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

    @BeforeEach
    void setUp()
    {
        clock.update(1_000);
        final Pipeline pipeline = new Pipeline(fdb, policy, generations, features,
            new Pipeline.Geometry(BURST, 4096, 128, 1518, 8, 4, 64));
        agent = pipeline.newAgent("test", ForwardingAgent.ANY_CPU, clock, null, new ThreadCounters(counters, "test"));
        proxy = new ForwardingProxy(new ForwardingAgent[] {agent}, agent::doWork);
        proxy.addBridge(0);
        final RecordingPort[] ports = {a, b, tunnel};
        for (int id = 0; id < ports.length; id++)
        {
            entries[id] = new PortEntry(ports[id], id, 0, new PortCounters(counters, ports[id].name), BURST);
            proxy.attach(new PortEntry[] {entries[id]});
        }
    }

    @AfterEach
    void tearDown()
    {
        fdb.close();
    }

    @Test
    void aFrameFromAPeerIsLearnedAgainstItAndAnswersGoToThatPeerOnly()
    {
        receive(tunnel, frame(BROADCAST, MAC_R, 60), PEER);
        assertEquals(Destination.of(2, PEER), fdb.lookup(0, 0, MAC_R), "learned against the peer behind the port");
        assertEquals(1, a.sent.size());
        assertEquals(1, b.sent.size());
        assertTrue(tunnel.sent.isEmpty(), "nothing from the overlay goes back into it");

        receive(a, frame(MAC_R, MAC_A, 60), FrameBurst.NO_PEER);
        assertEquals(List.of(new RecordingPort.Sent(MAC_R, MAC_A, 60, PEER)), tunnel.sent, "to the peer, in the frame's metadata");
        assertEquals(1, b.sent.size(), "known unicast goes nowhere else");
    }

    @Test
    void floodedFramesGoToEveryPeerAndNeverBackToTheirPort()
    {
        receive(a, frame(BROADCAST, MAC_A, 60), FrameBurst.NO_PEER);
        assertEquals(FrameBurst.ALL_PEERS, tunnel.sent.get(0).peer());
        assertEquals(1, b.sent.size());
        assertTrue(a.sent.isEmpty());

        receive(tunnel, frame(MAC_A, MAC_R, 60), PEER);
        receive(tunnel, frame(MAC_R, MAC_B, 60), PEER + 1);
        assertEquals(1, entries[2].counters.drops(DropReason.HAIRPIN), "a MAC behind one peer is not sent back to another");
    }

    @Test
    void packetsLargerThanTheEgressMtuAreDroppedThereAndTheSenderIsTold()
    {
        receive(tunnel, frame(BROADCAST, MAC_R, 60), PEER);
        a.sent.clear();
        receive(a, ipv4(MAC_R, MAC_A, 14 + 101), FrameBurst.NO_PEER);
        assertTrue(tunnel.sent.isEmpty());
        assertEquals(1, entries[2].counters.drops(DropReason.OVERSIZE), "counted on the port whose MTU it exceeds");
        assertEquals(1, a.sent.size(), "an ICMP answer to the sender");
        assertEquals(MAC_A, a.sent.get(0).destination());

        receive(a, ipv4(MAC_R, MAC_A, 14 + 100), FrameBurst.NO_PEER);
        assertEquals(1, tunnel.sent.size(), "a packet of exactly the MTU passes");
    }

    @Test
    void thePolicyStageRunsOnlyOnBridgesWithThePolicyFeature()
    {
        policy.defaultAction(0, PolicyTable.DENY);
        receive(a, frame(BROADCAST, MAC_A, 60), FrameBurst.NO_PEER);
        assertEquals(1, b.sent.size(), "without the feature bit the stage does not run");

        features.set(0, Features.POLICY, true);
        receive(a, frame(BROADCAST, MAC_A, 60), FrameBurst.NO_PEER);
        assertEquals(1, b.sent.size());
        assertEquals(1, entries[0].counters.drops(DropReason.POLICY));

        policy.add(0, PolicyRule.builder().allow().build());
        receive(a, frame(BROADCAST, MAC_A, 60), FrameBurst.NO_PEER);
        assertEquals(2, b.sent.size(), "a rule applies to the flow at once");
    }

    @Test
    void badFramesAreDroppedUnderTheirReasonWhileTheRestOfTheBurstGoesOn()
    {
        a.toReceive.add(new byte[10]);
        a.peers.add(FrameBurst.NO_PEER);
        a.toReceive.add(frame(MAC_B, BROADCAST, 60));
        a.peers.add(FrameBurst.NO_PEER);
        a.toReceive.add(frame(MAC_B, MAC_A, 2000));
        a.peers.add(FrameBurst.NO_PEER);
        receive(a, frame(MAC_B, MAC_A, 60), FrameBurst.NO_PEER);
        assertEquals(1, entries[0].counters.drops(DropReason.RUNT));
        assertEquals(1, entries[0].counters.drops(DropReason.BAD_SOURCE_MAC));
        assertEquals(1, entries[0].counters.drops(DropReason.OVERSIZE));
        assertEquals(1, b.sent.size());
        assertEquals(4, entries[0].counters.rxPackets());
    }

    private void receive(final RecordingPort port, final byte[] frame, final int peer)
    {
        port.toReceive.add(frame);
        port.peers.add(peer);
        clock.advance(1);
        agent.doWork();
    }

    private static byte[] frame(final long destination, final long source, final int length)
    {
        final byte[] frame = new byte[length];
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        MacAddress.write(buffer, 0, destination);
        MacAddress.write(buffer, 6, source);
        buffer.putShort(12, (short)0x88B5, ByteOrder.BIG_ENDIAN);
        return frame;
    }

    /** An IPv4 UDP frame with DF set, its IP packet {@code length - 14} bytes long. */
    private static byte[] ipv4(final long destination, final long source, final int length)
    {
        final byte[] frame = frame(destination, source, length);
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        buffer.putShort(12, (short)0x0800, ByteOrder.BIG_ENDIAN);
        buffer.putByte(14, (byte)0x45);
        buffer.putShort(16, (short)(length - 14), ByteOrder.BIG_ENDIAN);
        buffer.putShort(20, (short)0x4000, ByteOrder.BIG_ENDIAN);
        buffer.putByte(22, (byte)64);
        buffer.putByte(23, (byte)17);
        buffer.putInt(26, 0x0A000001, ByteOrder.BIG_ENDIAN);
        buffer.putInt(30, 0x0A000002, ByteOrder.BIG_ENDIAN);
        return frame;
    }
}
