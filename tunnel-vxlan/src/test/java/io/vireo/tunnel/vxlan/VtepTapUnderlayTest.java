package io.vireo.tunnel.vxlan;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.headers.Checksums;
import io.vireo.dataplane.headers.VirtioNetHeaderFlyweight;
import io.vireo.dataplane.nativeio.Errno;
import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.UnixSocket;
import io.vireo.dataplane.pipeline.DropReason;
import io.vireo.dataplane.pipeline.PortCounters;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The byte layout of a VTEP over an underlay TAP, both ways, with a packet socket pair standing in for the TAP (each
 * write one read, as a TAP keeps them): frames written on the host's end as the kernel hands them to the endpoint,
 * frames the endpoint writes read back there.
 */
class VtepTapUnderlayTest
{
    private static final int VNI = 42;
    private static final int LOCAL = 0x0A4E_0001;    // 10.78.0.1, the endpoint's own
    private static final int PEER = 0x0A4E_0002;     // 10.78.0.2
    private static final int OTHER_PEER = 0x0A4D_0003;
    private static final long HOST_MAC = 0x0200_0000_00AAL;
    private static final int TCP_PAYLOAD = 3_000;
    private static final int GSO_SIZE = 1_398;
    /** The tunnel virtio-net header and the outer Ethernet, IPv4, UDP and VXLAN headers. */
    private static final int PREFIX = 74;

    private final VtepPeers peers = new VtepPeers();
    private final PortCounters counters = new PortCounters(new CountersManager(
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.METADATA_LENGTH, 64)),
        new UnsafeBuffer(BufferUtil.allocateDirectAligned(64 * CountersReader.COUNTER_LENGTH, 64))), "vx");
    private final FrameBurst burst = new FrameBurst(8, 131_072, 128);
    private final UnsafeBuffer scratch = new UnsafeBuffer(BufferUtil.allocateDirectAligned(131_072, 64));
    private VtepTapUnderlay underlay;
    private Fd host;

    @BeforeEach
    void setUp()
    {
        final int[] pair = UnixSocket.packetPair();
        host = Fd.own(pair[1]);
        underlay = new VtepTapUnderlay(pair[0], HOST_MAC, VNI, LOCAL, 4789, 64, false, peers, counters);
        peers.add(PEER, false);
    }

    @AfterEach
    void tearDown()
    {
        underlay.close();
        host.close();
    }

    // ---- from the TAP ----

    @Test
    void aTunnelGsoFrameFromTheHostComesOutWholeWithItsInnerOffsets()
    {
        final byte[] inner = tcpFrame(TCP_PAYLOAD);
        hostWrites(tunnelGso(datagram(PEER, LOCAL, 4789, VNI, inner)));

        assertEquals(1, underlay.receive(burst));
        assertEquals(inner.length, burst.frameLength(0));
        final byte[] got = new byte[inner.length];
        burst.buffer().getBytes(burst.frameOffset(0), got);
        assertArrayEquals(inner, got);
        assertEquals(0, burst.peer(0), "the peer it came from");
        final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(0),
            VirtioNetHeaderFlyweight.LENGTH);
        assertEquals(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, header.flags());
        assertEquals(VirtioNetHeaderFlyweight.GSO_TCPV4, header.gsoType());
        assertEquals(54, header.hdrLen());
        assertEquals(GSO_SIZE, header.gsoSize());
        assertEquals(34, header.csumStart());
        assertEquals(16, header.csumOffset());
    }

    @Test
    void aPlainDatagramComesOutWithNoOffloadAndAnOuterPartialChecksumForgotten()
    {
        final byte[] inner = tcpFrame(100);
        final byte[] frame = datagram(PEER, LOCAL, 4789, VNI, inner);
        frame[0] = VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM | VirtioNetHeaderFlyweight.FLAG_DATA_VALID;
        putShort(frame, 6, 34, LITTLE_ENDIAN);  // the outer UDP checksum's
        putShort(frame, 8, 6, LITTLE_ENDIAN);
        hostWrites(frame);

        assertEquals(1, underlay.receive(burst));
        final VirtioNetHeaderFlyweight header = new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(0),
            VirtioNetHeaderFlyweight.LENGTH);
        assertEquals(0, header.flags(), "the inner checksum is whole, and validity of the outer says nothing of it");
        assertEquals(VirtioNetHeaderFlyweight.GSO_NONE, header.gsoType());
    }

    @Test
    void whatIsNoVxlanDatagramToTheEndpointIsDroppedAndCounted()
    {
        final byte[] inner = tcpFrame(100);
        final byte[] withOptions = datagram(PEER, LOCAL, 4789, VNI, inner);
        withOptions[24 + 14] = 0x46;
        final byte[] fragment = datagram(PEER, LOCAL, 4789, VNI, inner);
        putShort(fragment, 24 + 14 + 6, 0x2000, BIG_ENDIAN);
        final byte[] ipv6 = datagram(PEER, LOCAL, 4789, VNI, inner);
        putShort(ipv6, 24 + 12, 0x86DD, BIG_ENDIAN);
        final byte[] noIFlag = datagram(PEER, LOCAL, 4789, VNI, inner);
        noIFlag[24 + 42] = 0;
        final byte[] gsoNoTunnel = datagram(PEER, LOCAL, 4789, VNI, tcpFrame(TCP_PAYLOAD));
        gsoNoTunnel[0] = VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
        gsoNoTunnel[1] = VirtioNetHeaderFlyweight.GSO_UDP_L4;
        final byte[] gsoOffsetsOutside = tunnelGso(datagram(PEER, LOCAL, 4789, VNI, tcpFrame(TCP_PAYLOAD)));
        putShort(gsoOffsetsOutside, 6, 34, LITTLE_ENDIAN);  // the outer UDP header
        final byte[] runt = new byte[24 + 10];

        for (final byte[] frame : List.of(withOptions, fragment, ipv6, noIFlag,
            datagram(PEER, 0x0A4E_0009, 4789, VNI, inner), datagram(PEER, LOCAL, 4790, VNI, inner)))
        {
            hostWrites(frame);
        }
        hostWrites(datagram(PEER, LOCAL, 4789, VNI + 1, inner));
        hostWrites(datagram(OTHER_PEER, LOCAL, 4789, VNI, inner));
        hostWrites(gsoNoTunnel);
        hostWrites(gsoOffsetsOutside);
        hostWrites(runt);
        hostWrites(datagram(PEER, LOCAL, 4789, VNI, new byte[10]));

        assertEquals(0, underlay.receive(burst), "a burst's worth of reads: the first 8");
        assertEquals(8, totalDrops());
        assertEquals(0, underlay.receive(burst));
        assertEquals(6, counters.drops(DropReason.BAD_VXLAN));
        assertEquals(1, counters.drops(DropReason.UNKNOWN_VNI));
        assertEquals(1, counters.drops(DropReason.UNKNOWN_PEER));
        assertEquals(2, counters.drops(DropReason.BAD_OFFLOAD));
        assertEquals(2, counters.drops(DropReason.RUNT));
    }

    @Test
    void anEndpointThatLearnsAnyPeerTakesANewSenderAsOne()
    {
        final int[] pair = UnixSocket.packetPair();
        final VtepPeers learning = new VtepPeers();
        final VtepTapUnderlay learner = new VtepTapUnderlay(pair[0], HOST_MAC, VNI, LOCAL, 4789, 64, true, learning, counters);
        try (Fd other = Fd.own(pair[1]))
        {
            final byte[] frame = datagram(OTHER_PEER, LOCAL, 4789, VNI, tcpFrame(100));
            scratch.putBytes(0, frame);
            other.write(scratch.addressOffset(), frame.length);
            assertEquals(1, learner.receive(burst));
            assertEquals(0, burst.peer(0));
            assertEquals(OTHER_PEER, learning.address(0));
        }
        finally
        {
            learner.close();
        }
    }

    @Test
    void theHostsArpRequestForTheLocalAddressIsAnsweredAndNoOther()
    {
        final long requester = 0x0200_0000_00BBL;
        final int requesterAddress = 0x0A4D_0001;
        hostWrites(arpRequest(requester, requesterAddress, 0x0A4E_0077));
        hostWrites(arpRequest(requester, requesterAddress, LOCAL));

        assertEquals(0, underlay.receive(burst));
        final int length = hostReads();
        assertEquals(24 + 42, length);
        assertEquals(requester, mac(24));
        assertEquals(VtepTapUnderlay.endpointMac(LOCAL), mac(24 + 6));
        assertEquals(0x0806, scratch.getShort(24 + 12, BIG_ENDIAN) & 0xFFFF);
        assertEquals(2, scratch.getShort(38 + 6, BIG_ENDIAN), "a reply");
        assertEquals(VtepTapUnderlay.endpointMac(LOCAL), mac(38 + 8));
        assertEquals(LOCAL, scratch.getInt(38 + 14, BIG_ENDIAN));
        assertEquals(requester, mac(38 + 18));
        assertEquals(requesterAddress, scratch.getInt(38 + 24, BIG_ENDIAN));
        assertEquals(-Errno.EAGAIN, host.read(scratch.addressOffset(), scratch.capacity()), "one answer, to the request for LOCAL");
    }

    // ---- to the TAP ----

    @Test
    void aGsoFrameLeavesWholeBehindItsOuterHeadersAndATunnelHeader()
    {
        final byte[] inner = tcpFrame(TCP_PAYLOAD);
        final int frame = append(inner, 0);
        tcpGso(frame, 14);

        underlay.transmit(burst, new int[] {frame}, 1);

        assertEquals(PREFIX + inner.length, hostReads());
        assertEquals(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM, scratch.getByte(0));
        assertEquals(VirtioNetHeaderFlyweight.GSO_TCPV4 | VtepTapUnderlay.GSO_UDP_TUNNEL_IPV4, scratch.getByte(1));
        assertEquals(50 + 54, scratch.getShort(2, LITTLE_ENDIAN));
        assertEquals(GSO_SIZE, scratch.getShort(4, LITTLE_ENDIAN));
        assertEquals(50 + 34, scratch.getShort(6, LITTLE_ENDIAN));
        assertEquals(16, scratch.getShort(8, LITTLE_ENDIAN));
        assertEquals(34, scratch.getShort(20, LITTLE_ENDIAN), "the outer UDP header's offset");
        assertEquals(64, scratch.getShort(22, LITTLE_ENDIAN), "the inner IP header's offset");
        assertOuterHeaders(PEER, inner.length);
        assertInner(inner);
        assertEquals(1, counters.txPackets());
        assertEquals(inner.length, counters.txBytes());
    }

    @Test
    void aTaggedGsoFrameNamesItsInnerIpHeaderPastItsTags()
    {
        for (final int[] tpids : new int[][] {{0x8100}, {0x88A8, 0x8100}})
        {
            final byte[] untagged = tcpFrame(TCP_PAYLOAD);
            final int tagsLength = 4 * tpids.length;
            final byte[] inner = new byte[untagged.length + tagsLength];
            System.arraycopy(untagged, 0, inner, 0, 12);
            for (int tag = 0; tag < tpids.length; tag++)
            {
                putShort(inner, 12 + 4 * tag, tpids[tag], BIG_ENDIAN);
                putShort(inner, 14 + 4 * tag, 7 + tag, BIG_ENDIAN);
            }
            System.arraycopy(untagged, 12, inner, 12 + tagsLength, untagged.length - 12);
            final int frame = append(inner, 0);
            tcpGso(frame, 14 + tagsLength);

            underlay.transmit(burst, new int[] {frame}, 1);

            assertEquals(PREFIX + inner.length, hostReads());
            assertEquals(50 + 14 + tagsLength, scratch.getShort(22, LITTLE_ENDIAN),
                "the inner IP header's offset, past " + tpids.length + " tags");
            assertEquals(50 + 34 + tagsLength, scratch.getShort(6, LITTLE_ENDIAN));
            assertInner(inner);
        }
    }

    @Test
    void aPlainFrameLeavesWithItsPartialChecksumCompleted()
    {
        final byte[] inner = tcpFrame(200);
        putShort(inner, 34 + 16, (int)Checksums.fold(Checksums.ipv4PseudoHeaderSum(0x0A42_0001, 0x0A42_0002, 6, 220)), BIG_ENDIAN);
        final int frame = append(inner, 0);
        new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(frame), VirtioNetHeaderFlyweight.LENGTH)
            .flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM).csumStart(34).csumOffset(16);

        underlay.transmit(burst, new int[] {frame}, 1);

        assertEquals(PREFIX + inner.length, hostReads());
        assertEquals(0, scratch.getLong(0), "no offload in the tunnel header");
        assertOuterHeaders(PEER, inner.length);
        final long sum = Checksums.ipv4PseudoHeaderSum(0x0A42_0001, 0x0A42_0002, 6, 220) + Checksums.sum(scratch, PREFIX + 34, 220);
        assertEquals(0xFFFF, Checksums.fold(sum), "the inner TCP checksum holds");
    }

    @Test
    void aFloodedFrameLeavesOncePerPeer()
    {
        peers.add(OTHER_PEER, false);
        final byte[] inner = tcpFrame(100);
        final int frame = append(inner, Vtep.ALL_PEERS);

        underlay.transmit(burst, new int[] {frame}, 1);

        final List<Integer> destinations = new ArrayList<>();
        for (int i = 0; i < 2; i++)
        {
            assertEquals(PREFIX + inner.length, hostReads());
            destinations.add(scratch.getInt(24 + 14 + 16, BIG_ENDIAN));
            assertInner(inner);
        }
        assertEquals(List.of(PEER, OTHER_PEER), destinations);
        assertEquals(2, counters.txPackets());
    }

    @Test
    void aGsoFrameTooLongForOneOuterPacketLeavesAsItsSegments()
    {
        final int payload = 65_500 - 54;
        final byte[] inner = tcpFrame(payload);
        final int frame = append(inner, 0);
        tcpGso(frame, 14);

        underlay.transmit(burst, new int[] {frame}, 1);

        final int segments = (payload + GSO_SIZE - 1) / GSO_SIZE;
        int carried = 0;
        for (int i = 0; i < segments; i++)
        {
            final int length = hostReads();
            final int segment = length - PREFIX - 54;
            assertTrue(segment > 0 && segment <= GSO_SIZE, "segment " + i + " of " + segment + " bytes");
            assertEquals(0, scratch.getLong(0), "a plain frame, its checksums complete");
            assertOuterHeaders(PEER, length - PREFIX);
            carried += segment;
        }
        assertEquals(payload, carried);
        assertEquals(-Errno.EAGAIN, host.read(scratch.addressOffset(), scratch.capacity()));
        assertEquals(segments, counters.txPackets());
    }

    // ---- frames ----

    /** An untagged IPv4 TCP frame from 10.66.0.1 to 10.66.0.2 with {@code payload} bytes after its 20-byte TCP header. */
    private static byte[] tcpFrame(final int payload)
    {
        final byte[] frame = new byte[54 + payload];
        putShort(frame, 12, 0x0800, BIG_ENDIAN);
        frame[14] = 0x45;
        putShort(frame, 16, 40 + payload, BIG_ENDIAN);
        frame[22] = 64;
        frame[23] = 6;
        putInt(frame, 26, 0x0A42_0001);
        putInt(frame, 30, 0x0A42_0002);
        final UnsafeBuffer ip = new UnsafeBuffer(frame);
        putShort(frame, 24, Checksums.checksum(ip, 14, 20), BIG_ENDIAN);
        putShort(frame, 34, 40000, BIG_ENDIAN);
        putShort(frame, 36, 5201, BIG_ENDIAN);
        frame[46] = 0x50;
        frame[47] = 0x18;
        for (int i = 54; i < frame.length; i++)
        {
            frame[i] = (byte)(i * 7);
        }
        return frame;
    }

    /** The frame the TAP hands over for {@code inner} in a VXLAN datagram: a zero tunnel header and the outer headers. */
    private static byte[] datagram(final int source, final int destination, final int port, final int vni, final byte[] inner)
    {
        final byte[] frame = new byte[PREFIX + inner.length];
        putInt(frame, 24, (int)(HOST_MAC >>> 16));
        putShort(frame, 28, (int)HOST_MAC, BIG_ENDIAN);
        putShort(frame, 24 + 12, 0x0800, BIG_ENDIAN);
        frame[38] = 0x45;
        putShort(frame, 40, 36 + inner.length, BIG_ENDIAN);
        putShort(frame, 44, 0x4000, BIG_ENDIAN);
        frame[46] = 63;
        frame[47] = 17;
        putInt(frame, 50, source);
        putInt(frame, 54, destination);
        putShort(frame, 58, 50000, BIG_ENDIAN);
        putShort(frame, 60, port, BIG_ENDIAN);
        putShort(frame, 62, 16 + inner.length, BIG_ENDIAN);
        frame[66] = 0x08;
        putInt(frame, 70, vni << 8);
        System.arraycopy(inner, 0, frame, PREFIX, inner.length);
        return frame;
    }

    /** The tunnel header the kernel writes for a TCPv4 GSO frame inside the datagram. */
    private static byte[] tunnelGso(final byte[] frame)
    {
        frame[0] = VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM;
        frame[1] = (byte)(VirtioNetHeaderFlyweight.GSO_TCPV4 | VtepTapUnderlay.GSO_UDP_TUNNEL_IPV4);
        putShort(frame, 2, 50 + 54, LITTLE_ENDIAN);
        putShort(frame, 4, GSO_SIZE, LITTLE_ENDIAN);
        putShort(frame, 6, 50 + 34, LITTLE_ENDIAN);
        putShort(frame, 8, 16, LITTLE_ENDIAN);
        putShort(frame, 20, 34, LITTLE_ENDIAN);
        putShort(frame, 22, 64, LITTLE_ENDIAN);
        return frame;
    }

    private static byte[] arpRequest(final long senderMac, final int senderAddress, final int target)
    {
        final byte[] frame = new byte[24 + 42];
        for (int i = 0; i < 6; i++)
        {
            frame[24 + i] = (byte)0xFF;
        }
        putInt(frame, 30, (int)(senderMac >>> 16));
        putShort(frame, 34, (int)senderMac, BIG_ENDIAN);
        putShort(frame, 36, 0x0806, BIG_ENDIAN);
        putShort(frame, 38, 1, BIG_ENDIAN);
        putShort(frame, 40, 0x0800, BIG_ENDIAN);
        frame[42] = 6;
        frame[43] = 4;
        putShort(frame, 44, 1, BIG_ENDIAN);
        putInt(frame, 46, (int)(senderMac >>> 16));
        putShort(frame, 50, (int)senderMac, BIG_ENDIAN);
        putInt(frame, 52, senderAddress);
        putInt(frame, 62, target);
        return frame;
    }

    private int append(final byte[] inner, final int peer)
    {
        burst.buffer().setMemory(burst.nextFrameOffset() - FrameBurst.NET_HEADER_LENGTH, FrameBurst.NET_HEADER_LENGTH, (byte)0);
        burst.buffer().putBytes(burst.nextFrameOffset(), inner);
        burst.commit(inner.length);
        burst.peer(burst.size() - 1, peer);
        return burst.size() - 1;
    }

    /** A TCP over IPv4 GSO frame's virtio-net header, its IP header {@code l2Length} bytes in. */
    private void tcpGso(final int frame, final int l2Length)
    {
        new VirtioNetHeaderFlyweight().wrap(burst.buffer(), burst.netHeaderOffset(frame), VirtioNetHeaderFlyweight.LENGTH)
            .flags(VirtioNetHeaderFlyweight.FLAG_NEEDS_CSUM).gsoType(VirtioNetHeaderFlyweight.GSO_TCPV4).hdrLen(l2Length + 40)
            .gsoSize(GSO_SIZE).csumStart(l2Length + 20).csumOffset(16);
    }

    private void hostWrites(final byte[] frame)
    {
        scratch.putBytes(0, frame);
        assertEquals(frame.length, host.write(scratch.addressOffset(), frame.length));
    }

    private int hostReads()
    {
        final long length = host.read(scratch.addressOffset(), scratch.capacity());
        assertTrue(length > 0, () -> "a frame to read, got " + length);
        return (int)length;
    }

    private void assertOuterHeaders(final int destination, final int innerLength)
    {
        assertEquals(HOST_MAC, mac(24));
        assertEquals(VtepTapUnderlay.endpointMac(LOCAL), mac(30));
        assertEquals(0x0800, scratch.getShort(36, BIG_ENDIAN));
        assertEquals(0x45, scratch.getByte(38));
        assertEquals(36 + innerLength, scratch.getShort(40, BIG_ENDIAN) & 0xFFFF);
        assertEquals(0x4000, scratch.getShort(44, BIG_ENDIAN), "DF");
        assertEquals(64, scratch.getByte(46), "TTL");
        assertEquals(17, scratch.getByte(47));
        assertEquals(0, Checksums.checksum(scratch, 38, 20), "the IPv4 header checksum holds");
        assertEquals(LOCAL, scratch.getInt(50, BIG_ENDIAN));
        assertEquals(destination, scratch.getInt(54, BIG_ENDIAN));
        final int sourcePort = scratch.getShort(58, BIG_ENDIAN) & 0xFFFF;
        assertTrue(sourcePort >= 49152, "source port " + sourcePort + " in the dynamic range");
        assertEquals(4789, scratch.getShort(60, BIG_ENDIAN));
        assertEquals(16 + innerLength, scratch.getShort(62, BIG_ENDIAN) & 0xFFFF);
        assertEquals(0, scratch.getShort(64), "no outer UDP checksum");
        assertEquals(0x08, scratch.getByte(66));
        assertEquals(VNI << 8, scratch.getInt(70, BIG_ENDIAN));
    }

    private void assertInner(final byte[] inner)
    {
        final byte[] got = new byte[inner.length];
        scratch.getBytes(PREFIX, got);
        assertArrayEquals(inner, got);
    }

    private long totalDrops()
    {
        long total = 0;
        for (final DropReason reason : DropReason.values())
        {
            total += counters.drops(reason);
        }
        return total;
    }

    private long mac(final int offset)
    {
        return (scratch.getInt(offset, BIG_ENDIAN) & 0xFFFF_FFFFL) << 16 | scratch.getShort(offset + 4, BIG_ENDIAN) & 0xFFFF;
    }

    private static void putShort(final byte[] bytes, final int offset, final int value, final ByteOrder order)
    {
        new UnsafeBuffer(bytes).putShort(offset, (short)value, order);
    }

    private static void putInt(final byte[] bytes, final int offset, final int value)
    {
        new UnsafeBuffer(bytes).putInt(offset, value, BIG_ENDIAN);
    }
}
