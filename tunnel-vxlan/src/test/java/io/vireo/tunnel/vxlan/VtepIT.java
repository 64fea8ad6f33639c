package io.vireo.tunnel.vxlan;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two endpoints on loopback addresses (127.0.0.1 and 127.0.0.2) with real kernel sockets, plain UDP
 * sockets as a third party that sends bad datagrams and as a peer that checks the bytes on the wire.
 */
class VtepIT
{
    private static final int VNI = 42;
    private static final int A = 0x7F00_0001;
    private static final int B = 0x7F00_0002;
    private static final int C = 0x7F00_0003;
    private static final int D = 0x7F00_0004;
    private static final int MTU = 1450;

    private final Counting countsA = new Counting("vxa");
    private final Counting countsB = new Counting("vxb");
    private int port;
    private Vtep a;
    private Vtep b;
    private final FrameBurst out = new FrameBurst(32, 2048, 64);
    private final FrameBurst in = new FrameBurst(32, 2048, 64);

    /** A port's real counters, in memory. */
    static final class Counting
    {
        final PortCounters counters;

        Counting(final String port)
        {
            counters = new PortCounters(new CountersManager(
                new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.METADATA_LENGTH, 64)),
                new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.COUNTER_LENGTH, 64))), port);
        }

        /** The drops counted, by reason, those not zero. */
        Map<DropReason, Long> drops()
        {
            final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
            for (final DropReason reason : DropReason.values())
            {
                if (0 != counters.drops(reason))
                {
                    drops.put(reason, counters.drops(reason));
                }
            }
            return drops;
        }
    }

    @BeforeEach
    void setUp() throws Exception
    {
        try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getByName("127.0.0.2")))
        {
            port = probe.getLocalPort();
        }
        a = Vtep.open("vxa", VNI, A, port, 64, MTU, false, countsA.counters, 32);
        b = Vtep.open("vxb", VNI, B, port, 64, MTU, false, countsB.counters, 32);
    }

    @AfterEach
    void tearDown()
    {
        a.close();
        b.close();
    }

    @Test
    void framesCrossBetweenTwoEndpointsWithTheirPeerKnown()
    {
        final int peerB = a.addPeer(B);
        final int peerA = b.addPeer(A);
        final byte[] first = frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, 100, 1);
        final byte[] second = frame(0xFF_FF_FF_FF_FF_FFL, 0x02_00_00_00_00_0AL, 1400, 2);
        put(out, first);
        put(out, second);
        out.peer(0, peerB);
        out.peer(1, Vtep.ALL_PEERS);

        assertEquals(2, a.transmit(out, new int[] {0, 1}, 2));
        assertEquals(2, countsA.counters.txPackets(), countsA.drops()::toString);
        assertEquals(first.length + second.length, countsA.counters.txBytes());

        final int received = receiveAtLeast(b, in, 2);
        assertEquals(2, received);
        assertArrayEquals(first, bytes(in, 0));
        assertArrayEquals(second, bytes(in, 1));
        assertEquals(peerA, in.peer(0));
        assertEquals(0L, in.buffer().getLong(in.netHeaderOffset(0)), "the VXLAN header's place is a zeroed net header");
        assertTrue(countsB.drops().isEmpty(), countsB.drops()::toString);
    }

    @Test
    void theWireCarriesVxlanWithTheVniAndAFlowHashedSourcePort() throws Exception
    {
        a.addPeer(D);
        try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress("127.0.0.4", port)))
        {
            peer.setSoTimeout(5_000);
            final byte[] frame = frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, 64, 7);
            put(out, frame);
            out.peer(0, Vtep.ALL_PEERS);
            a.transmit(out, new int[] {0}, 1);
            final DatagramPacket packet = new DatagramPacket(new byte[4096], 4096);
            peer.receive(packet);
            assertEquals("127.0.0.1", packet.getAddress().getHostAddress());
            assertTrue(packet.getPort() >= 49_152, "source port from the dynamic range: " + packet.getPort());
            assertEquals(8 + frame.length, packet.getLength());
            final byte[] data = packet.getData();
            assertArrayEquals(new byte[] {0x08, 0, 0, 0, 0, 0, 42, 0}, java.util.Arrays.copyOf(data, 8));
            assertArrayEquals(frame, java.util.Arrays.copyOfRange(data, 8, 8 + frame.length));

            final int firstPort = packet.getPort();
            boolean spread = false;
            for (int flow = 0; flow < 16 && !spread; flow++)
            {
                out.clear();
                put(out, frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_01_00L + flow, 64, flow));
                out.peer(0, Vtep.ALL_PEERS);
                a.transmit(out, new int[] {0}, 1);
                peer.receive(packet);
                spread = packet.getPort() != firstPort;
            }
            assertTrue(spread, "other flows get other source ports");
        }
    }

    @Test
    void aGsoFrameLeavesAsOneTrainOfSegmentsAndArrivesWhole() throws Exception
    {
        a.addPeer(B);
        a.addPeer(D);
        b.addPeer(A);
        final FrameBurst bigOut = new FrameBurst(4, 131_072, 64);
        final FrameBurst bigIn = new FrameBurst(4, 131_072, 64);
        final int payload = 20_000;
        final int segmentSize = 1_398;
        final int segments = (payload + segmentSize - 1) / segmentSize;
        final byte[] gso = tcpFrame(payload);
        put(bigOut, gso);
        bigOut.buffer().putBytes(bigOut.netHeaderOffset(0), netHeader(segmentSize));
        bigOut.peer(0, Vtep.ALL_PEERS);
        try (DatagramSocket wire = new DatagramSocket(new InetSocketAddress("127.0.0.4", port)))
        {
            wire.setSoTimeout(5_000);
            assertEquals(1, a.transmit(bigOut, new int[] {0}, 1));
            assertEquals(2L * segments, countsA.counters.txPackets(), countsA.drops()::toString);
            assertEquals(2L * (gso.length + (segments - 1) * 54L), countsA.counters.txBytes(), "each segment's inner bytes, per peer");

            int sourcePort = -1;
            int received = 0;
            for (int i = 0; i < segments; i++)
            {
                final DatagramPacket packet = new DatagramPacket(new byte[4096], 4096);
                wire.receive(packet);
                final int expected = 8 + 54 + Math.min(segmentSize, payload - i * segmentSize);
                assertEquals(expected, packet.getLength(), "datagram " + i);
                assertArrayEquals(header(0x08, VNI), java.util.Arrays.copyOf(packet.getData(), 8));
                assertTrue(packet.getPort() >= 49_152, "source port from the dynamic range: " + packet.getPort());
                assertTrue(sourcePort == -1 || sourcePort == packet.getPort(), "one flow, one source port");
                sourcePort = packet.getPort();
                received += packet.getLength() - 8 - 54;
            }
            assertEquals(payload, received);
        }

        assertEquals(1, receiveAtLeast(b, bigIn, 1));
        assertArrayEquals(gso, bytes(bigIn, 0), "the segments merged back into the frame that was sent");
        final byte[] header = new byte[FrameBurst.NET_HEADER_LENGTH];
        bigIn.buffer().getBytes(bigIn.netHeaderOffset(0), header);
        assertArrayEquals(netHeader(segmentSize), header);
        assertEquals(A, b.peerAddress(bigIn.peer(0)));
        assertTrue(countsB.drops().isEmpty(), countsB.drops()::toString);
    }

    @Test
    void badDatagramsAreDroppedAndCountedAndGoodOnesStillArrive() throws Exception
    {
        b.addPeer(A);
        final byte[] good = frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, 60, 9);
        try (DatagramSocket fromPeer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             DatagramSocket stranger = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0)))
        {
            final InetSocketAddress target = new InetSocketAddress("127.0.0.2", port);
            send(fromPeer, target, new byte[] {0x08, 0, 0, 0});                           // shorter than VXLAN
            send(fromPeer, target, new byte[0]);                                          // empty
            send(fromPeer, target, concat(header(0x00, VNI), good));                       // no I flag
            send(fromPeer, target, concat(header(0x08, 7), good));                         // another VNI
            send(fromPeer, target, concat(header(0x08, VNI), new byte[10]));               // inner runt
            send(stranger, target, concat(header(0x08, VNI), good));                       // not a peer
            send(fromPeer, target, concat(header(0x08, VNI), new byte[3000]));             // larger than a slot
            send(fromPeer, target, concat(header(0x0C, VNI), good));                       // other flag bits: ignored
            send(fromPeer, target, concat(header(0x08, VNI), good));
        }
        assertEquals(2, receiveAtLeast(b, in, 2));
        assertArrayEquals(good, bytes(in, 0));
        assertArrayEquals(good, bytes(in, 1));
        assertEquals(Map.of(DropReason.BAD_VXLAN, 3L, DropReason.UNKNOWN_VNI, 1L, DropReason.RUNT, 1L,
            DropReason.UNKNOWN_PEER, 1L, DropReason.OVERSIZE, 1L), countsB.drops());
    }

    @Test
    void anEndpointThatLearnsPeersTakesAnyAddressAndListsIt() throws Exception
    {
        b.close();
        b = Vtep.open("vxb", VNI, B, port, 64, MTU, true, countsB.counters, 32);
        try (DatagramSocket stranger = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0)))
        {
            send(stranger, new InetSocketAddress("127.0.0.2", port),
                concat(header(0x08, VNI), frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0CL, 60, 3)));
        }
        assertEquals(1, receiveAtLeast(b, in, 1));
        final int learned = in.peer(0);
        assertEquals(List.of(new Vtep.Peer(learned, "127.0.0.3", true)), b.peers());
        assertEquals(C, b.peerAddress(learned));
        assertEquals(learned, b.addPeer(C));
        assertEquals(List.of(new Vtep.Peer(learned, "127.0.0.3", false)), b.peers(), "configuring a learned peer keeps its index");
        assertEquals(learned, b.removePeer(C));
        assertEquals(List.of(), b.peers());
        assertEquals(Vtep.NO_PEER, b.removePeer(C));
    }

    @Test
    void framesForARemovedPeerAreCountedNotSent()
    {
        final int peer = a.addPeer(B);
        a.removePeer(B);
        put(out, frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, 60, 1));
        out.peer(0, peer);
        a.transmit(out, new int[] {0}, 1);
        assertEquals(Map.of(DropReason.NO_ROUTE, 1L), countsA.drops());
        assertEquals(0, countsA.counters.txPackets());
    }

    @Test
    void badSettingsAreRefusedWithTheirName()
    {
        assertThrows(IllegalArgumentException.class, () -> Vtep.open("x", 1 << 24, A, port, 64, MTU, false, countsA.counters, 32));
        assertThrows(IllegalArgumentException.class, () -> Vtep.open("x", 1, A, 0, 64, MTU, false, countsA.counters, 32));
        assertThrows(IllegalArgumentException.class, () -> Vtep.open("x", 1, A, port, 0, MTU, false, countsA.counters, 32));
        assertThrows(IllegalArgumentException.class, () -> Vtep.open("x", 1, A, port, 64, 67, false, countsA.counters, 32));
        final IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
            () -> Vtep.open("x", VNI, A, port, 64, MTU, false, countsA.counters, 32));
        assertEquals("VNI 42 already has an endpoint on 127.0.0.1:" + port, twice.getMessage());
        assertEquals(List.of(VNI), VtepGroup.vnis(A, port), "the refused endpoint left nothing behind");
        final NativeException foreign = assertThrows(NativeException.class,
            () -> Vtep.open("x", 1, 0x0A_FF_FF_01, port, 64, MTU, false, countsA.counters, 32));
        assertTrue(foreign.getMessage().contains("10.255.255.1"), foreign.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Vtep.checkPeerAddress(0xE000_0001, A));
        assertThrows(IllegalArgumentException.class, () -> Vtep.checkPeerAddress(A, A));
        assertThrows(IllegalArgumentException.class, () -> Vtep.checkPeerAddress(0, A));
        Vtep.checkPeerAddress(B, A);
    }

    @Test
    void aSocketBoundWithoutReusePortStillTakesThePortFromEndpoints() throws Exception
    {
        try (DatagramSocket plain = new DatagramSocket(new InetSocketAddress("127.0.0.3", port)))
        {
            final NativeException taken = assertThrows(NativeException.class,
                () -> Vtep.open("x", 1, C, port, 64, MTU, false, countsA.counters, 32));
            assertTrue(taken.getMessage().contains("127.0.0.3:" + port), taken.getMessage());
        }
        assertEquals(List.of(), VtepGroup.vnis(C, port));
    }

    @Test
    void endpointsOfSeveralVnisShareOneAddressAndPortEachGettingItsOwnDatagrams() throws Exception
    {
        final Counting countsC = new Counting("vxc");
        final Counting countsD = new Counting("vxd");
        Vtep c = Vtep.open("vxc", 43, B, port, 32, 1400, false, countsC.counters, 32);
        Vtep d = null;
        try
        {
            assertEquals(List.of(VNI, 43), VtepGroup.vnis(B, port));
            b.addPeer(A);
            c.addPeer(A);
            sendFromManyPorts(new int[] {VNI, 43, 99}, 16);
            assertOwnFrames(b, VNI, 16);
            assertOwnFrames(c, 43, 16);
            assertEquals(16L, countsB.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L) +
                countsC.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L), "an unknown VNI hashed to one of them, counted");

            // Three, then the first closes: the kernel moves the last socket into its place, the program follows.
            d = Vtep.open("vxd", 44, B, port, 64, MTU, false, countsD.counters, 32);
            d.addPeer(A);
            b.close();
            assertEquals(List.of(44, 43), VtepGroup.vnis(B, port));
            b = Vtep.open("vxb", VNI, B, port, 64, MTU, false, countsB.counters, 32);
            b.addPeer(A);
            assertEquals(List.of(44, 43, VNI), VtepGroup.vnis(B, port));
            final long unknownBefore = countsB.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L) +
                countsC.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L) + countsD.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L);
            sendFromManyPorts(new int[] {VNI, 43, 44}, 16);
            assertOwnFrames(b, VNI, 16);
            assertOwnFrames(c, 43, 16);
            assertOwnFrames(d, 44, 16);
            assertEquals(0, receiveAtLeast(b, in, 1, 100), "nothing more for anyone");
            assertEquals(0, receiveAtLeast(c, in, 1, 0));
            assertEquals(0, receiveAtLeast(d, in, 1, 0));
            assertEquals(unknownBefore, countsB.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L) +
                countsC.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L) + countsD.drops().getOrDefault(DropReason.UNKNOWN_VNI, 0L));
        }
        finally
        {
            c.close();
            if (null != d)
            {
                d.close();
            }
        }
        assertEquals(List.of(VNI), VtepGroup.vnis(B, port));
    }

    /**
     * A takeover within one process: the adopting side takes duplicates of the descriptors, in another order than
     * the kernel's, and finds each socket's place by its mark; the handing side lets go and closes its copies.
     */
    @Test
    void endpointsHandedOverKeepTheirPlacesInTheGroupByTheirMarks() throws Exception
    {
        final Counting countsC = new Counting("vxc");
        final Counting countsE = new Counting("vxe");
        final Vtep c = Vtep.open("vxc", 43, B, port, 64, MTU, false, countsC.counters, 32);
        final Vtep e = Vtep.open("vxe", 44, B, port, 64, MTU, false, countsE.counters, 32);
        b.close();
        assertEquals(List.of(44, 43), VtepGroup.vnis(B, port), "44 moved into 42's place");
        final Vtep adoptedC = Vtep.adopt("vxc", 43, B, port, MTU, false, countsC.counters, 32, duplicates(c.descriptors()), c.sourcePorts());
        final Vtep adoptedE = Vtep.adopt("vxe", 44, B, port, MTU, false, countsE.counters, 32, duplicates(e.descriptors()), e.sourcePorts());
        try
        {
            c.handedOver();
            e.handedOver();
            c.close();
            e.close();
            assertEquals(List.of(44, 43), VtepGroup.vnis(B, port));
            b = Vtep.open("vxb", VNI, B, port, 64, MTU, false, countsB.counters, 32);
            assertEquals(List.of(44, 43, VNI), VtepGroup.vnis(B, port));
            b.addPeer(A);
            adoptedC.addPeer(A);
            adoptedE.addPeer(A);
            sendFromManyPorts(new int[] {VNI, 43, 44}, 16);
            assertOwnFrames(b, VNI, 16);
            assertOwnFrames(adoptedC, 43, 16);
            assertOwnFrames(adoptedE, 44, 16);
        }
        finally
        {
            adoptedC.close();
            adoptedE.close();
        }
        assertEquals(List.of(VNI), VtepGroup.vnis(B, port));
    }

    private static int[] duplicates(final int[] fds)
    {
        final int[] copies = new int[fds.length];
        for (int i = 0; i < fds.length; i++)
        {
            copies[i] = io.vireo.dataplane.nativeio.Native.libc().fcntl(fds[i], 1030, 0);   // F_DUPFD_CLOEXEC
            assertTrue(copies[i] >= 0);
        }
        return copies;
    }

    @Test
    void aDatagramOfAnotherVniInsideATrainIsDroppedNotDeliveredIntoTheWrongBridge() throws Exception
    {
        final Counting countsC = new Counting("vxc");
        try (Vtep c = Vtep.open("vxc", 43, B, port, 64, MTU, false, countsC.counters, 32))
        {
            b.addPeer(A);
            c.addPeer(A);
            // One UDP_SEGMENT message, as GRO would merge datagrams of one 4-tuple: 43, 42, 43.
            final byte[] frame = frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, 100, 5);
            final byte[] train = concat(concat(concat(header(0x08, 43), frame), concat(header(0x08, VNI), frame)),
                concat(header(0x08, 43), frame));
            final int sender = io.vireo.dataplane.nativeio.InetSockets.udpSender(A, 0, 64);
            try
            {
                final io.vireo.dataplane.nativeio.MessageBatch batch = new io.vireo.dataplane.nativeio.MessageBatch(1, 1, true);
                final UnsafeBuffer bytes = new UnsafeBuffer(BufferUtil.allocateDirectAligned(train.length, 64));
                bytes.putBytes(0, train);
                batch.iov(0, 0, bytes.addressOffset(), train.length);
                batch.peer(0, B, port);
                batch.segmentSize(0, 8 + frame.length);
                assertEquals(1, batch.send(sender, 0, 1));
            }
            finally
            {
                io.vireo.dataplane.nativeio.Native.libc().close(sender);
            }
            assertEquals(2, receiveAtLeast(c, in, 2));
            assertEquals(Map.of(DropReason.UNKNOWN_VNI, 1L), countsC.drops());
            assertEquals(0, receiveAtLeast(b, in, 1, 100), "VNI 42's datagram never reaches its bridge by the wrong socket");
        }
    }

    /** Receives {@code count} frames on {@code vtep}, each the one sent for {@code vni}. */
    private void assertOwnFrames(final Vtep vtep, final int vni, final int count)
    {
        assertEquals(count, receiveAtLeast(vtep, in, count), vtep + " frames");
        for (int i = 0; i < count; i++)
        {
            assertArrayEquals(frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, 60, vni), bytes(in, i), vtep + " frame " + i);
        }
    }

    /** {@code perVni} datagrams of each VNI, each from its own source port on 127.0.0.1, to 127.0.0.2. */
    private void sendFromManyPorts(final int[] vnis, final int perVni) throws Exception
    {
        final InetSocketAddress target = new InetSocketAddress("127.0.0.2", port);
        for (int i = 0; i < perVni; i++)
        {
            try (DatagramSocket from = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0)))
            {
                for (final int vni : vnis)
                {
                    send(from, target, concat(header(0x08, vni), frame(0x02_00_00_00_00_0BL, 0x02_00_00_00_00_0AL, 60, vni)));
                }
            }
        }
    }

    private static int receiveAtLeast(final Vtep vtep, final FrameBurst burst, final int frames, final long millis)
    {
        burst.clear();
        final long deadline = System.nanoTime() + millis * 1_000_000L;
        do
        {
            vtep.receive(burst);
        }
        while (burst.size() < frames && System.nanoTime() < deadline);
        return burst.size();
    }

    private static int receiveAtLeast(final Vtep vtep, final FrameBurst burst, final int frames)
    {
        burst.clear();
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (burst.size() < frames && System.nanoTime() < deadline)
        {
            vtep.receive(burst);
        }
        return burst.size();
    }

    private static void send(final DatagramSocket socket, final InetSocketAddress target, final byte[] payload) throws Exception
    {
        socket.send(new DatagramPacket(payload, payload.length, target));
    }

    static byte[] header(final int flags, final int vni)
    {
        return new byte[] {(byte)flags, 0, 0, 0, (byte)(vni >>> 16), (byte)(vni >>> 8), (byte)vni, 0};
    }

    static byte[] concat(final byte[] first, final byte[] second)
    {
        final byte[] all = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    /** An Ethernet frame of {@code length} bytes: MACs, EtherType 0x0800, then bytes derived from {@code seed}. */
    static byte[] frame(final long destination, final long source, final int length, final int seed)
    {
        final byte[] frame = new byte[length];
        for (int i = 0; i < 6; i++)
        {
            frame[i] = (byte)(destination >>> (40 - 8 * i));
            frame[6 + i] = (byte)(source >>> (40 - 8 * i));
        }
        frame[12] = 0x08;
        for (int i = 14; i < length; i++)
        {
            frame[i] = (byte)(seed * 31 + i);
        }
        return frame;
    }

    /**
     * An IPv4 TCP frame as a TAP with offloads hands a 64 KB send over: PSH and ACK, the TCP checksum
     * field holding the pseudo-header sum for the whole length (the virtio NEEDS_CSUM contract).
     */
    static byte[] tcpFrame(final int payload)
    {
        final java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(54 + payload);
        frame.putShort((short)0x0200).putInt(0x0B).putShort((short)0x0200).putInt(0x0A).putShort((short)0x0800);
        frame.put((byte)0x45).put((byte)0).putShort((short)(40 + payload)).putShort((short)0x100).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0).putInt(0x0A00_0001).putInt(0x0A00_0002);
        frame.putShort((short)40_000).putShort((short)5201).putInt(1_000).putInt(77).put((byte)0x50).put((byte)0x18)
            .putShort((short)512).putShort((short)0).putShort((short)0);
        for (int i = 0; i < payload; i++)
        {
            frame.put((byte)(i * 7 + i / 251));
        }
        final UnsafeBuffer bytes = new UnsafeBuffer(frame.array());
        bytes.putShort(24, (short)io.vireo.dataplane.headers.Checksums.checksum(bytes, 14, 20), java.nio.ByteOrder.BIG_ENDIAN);
        final long pseudo = io.vireo.dataplane.headers.Checksums.ipv4PseudoHeaderSum(0x0A00_0001, 0x0A00_0002, 6, 20 + payload);
        bytes.putShort(50, (short)io.vireo.dataplane.headers.Checksums.fold(pseudo), java.nio.ByteOrder.BIG_ENDIAN);
        return frame.array();
    }

    /** virtio_net_hdr: NEEDS_CSUM at the TCP checksum, GSO TCPV4, headers 54 bytes. */
    static byte[] netHeader(final int segmentSize)
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[FrameBurst.NET_HEADER_LENGTH]);
        new io.vireo.dataplane.headers.VirtioNetHeaderFlyweight().wrap(header, 0, FrameBurst.NET_HEADER_LENGTH)
            .flags(1).gsoType(1).hdrLen(54).gsoSize(segmentSize).csumStart(34).csumOffset(16);
        return header.byteArray();
    }

    private static void put(final FrameBurst burst, final byte[] frame)
    {
        burst.clearNextNetHeader();
        burst.buffer().putBytes(burst.nextFrameOffset(), frame);
        burst.commit(frame.length);
    }

    private static byte[] bytes(final FrameBurst burst, final int index)
    {
        final byte[] bytes = new byte[burst.frameLength(index)];
        burst.buffer().getBytes(burst.frameOffset(index), bytes);
        return bytes;
    }
}
